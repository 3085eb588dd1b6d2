/*
 * device_xml.c - a disk or an interface as XML, in libvirt's shapes
 * (hvctl.xml(5), DEVICES): one element read into an hv_device, or
 * written from one.  The element inside a domain's <devices> and the text
 * of hv_device_from_xml are the same thing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "device.h"
#include "xml_util.h"

/* An empty element with only these attributes (NULL-terminated). */
static int leaf(const char *src, xmlNodePtr n, const char *const *attrs)
{
    int rc = xmlu_check_attrs(src, n, attrs);

    return rc ? rc : xmlu_children(src, n, NULL, 0, NULL);
}

/* *slot = the attribute (malloc'ed), required or not. */
static int take_attr(const char *src, xmlNodePtr n, const char *name,
                     bool required, char **slot)
{
    char *v = xmlu_attr(n, name);

    if (!v)
        return required ? xmlu_elem_err(src, n, "missing attribute '%s'",
                                        name) : 0;
    free(*slot);
    *slot = strdup(v);
    xmlFree(v);
    return *slot ? 0 : err_set(HV_ENOMEM, "%s: out of memory", src);
}

static bool has_attr(xmlNodePtr n, const char *name)
{
    return xmlHasNsProp(n, (const xmlChar *)name, NULL) != NULL;
}

/* Compare an attribute with a value; a missing one is `dflt`. */
static int attr_is(xmlNodePtr n, const char *name, const char *value,
                   bool dflt)
{
    char *v = xmlu_attr(n, name);
    int eq = v ? strcmp(v, value) == 0 : dflt;

    xmlFree(v);
    return eq;
}

static int attr_err(const char *src, xmlNodePtr n, const char *name,
                    const char *use)
{
    char *v = xmlu_attr(n, name);
    int rc = xmlu_elem_err(src, n, "%s '%s' is not supported (%s)", name,
                           v ? v : "", use);

    xmlFree(v);
    return rc;
}

static int read_queues(const char *src, xmlNodePtr n, hv_device *dev)
{
    char *v = xmlu_attr(n, "queues");
    unsigned long long q = 0;
    char *end;
    int rc = 0;

    if (!v)
        return 0;
    if (v[0] < '0' || v[0] > '9' || (q = strtoull(v, &end, 10), *end))
        rc = xmlu_elem_err(src, n, "queues '%s' is not a number", v);
    else if ((rc = dev_check_queues(dev, q > 1000 ? 1000 : (long long)q)) == 0)
        dev->queues = (unsigned)q;
    xmlFree(v);
    return rc;
}

/*
 * <source> of a vhost-user device: type="unix" path="...".  libvirt's
 * mode="client" is what hvcore is (it connects to the back end), and is
 * taken as said; "server" it cannot be.
 */
static int read_socket_source(const char *src, xmlNodePtr n, hv_device *dev)
{
    static const char *const attrs[] = { "type", "path", "mode", NULL };
    int rc;

    if ((rc = leaf(src, n, attrs)))
        return rc;
    if (!attr_is(n, "mode", "client", true))
        return attr_err(src, n, "mode", "only 'client': hvcore connects to "
                        "the back end's socket");
    if (!attr_is(n, "type", "unix", false))
        return has_attr(n, "type")
               ? attr_err(src, n, "type", "only 'unix'")
               : xmlu_elem_err(src, n, "missing attribute 'type'");
    return take_attr(src, n, "path", true, &dev->path);
}

static int read_backend(const char *src, xmlNodePtr n, hv_device *dev)
{
    static const char *const attrs[] = { "user", NULL };
    int rc;

    if (!n)
        return 0;
    if ((rc = leaf(src, n, attrs)))
        return rc;
    return take_attr(src, n, "user", true, &dev->user);
}

enum { D_DRIVER, D_SOURCE, D_TARGET, D_READONLY, D_BACKEND, D_COUNT };

static int read_disk(const char *src, xmlNodePtr n, hv_device *dev)
{
    static const char *const attrs[] = { "type", "device", NULL };
    static const char *const driver_attrs[] = { "cache", "discard", "queues",
                                                NULL };
    static const char *const target_attrs[] = { "dev", "bus", NULL };
    static const char *const file_attrs[] = { "file", NULL };
    static const char *const dev_attrs[] = { "dev", NULL };
    struct xmlu_child c[D_COUNT] = {
        [D_DRIVER] = { "driver", false, NULL },
        [D_SOURCE] = { "source", true, NULL },
        [D_TARGET] = { "target", true, NULL },
        [D_READONLY] = { "readonly", false, NULL },
        [D_BACKEND] = { "backend", false, NULL },
    };
    int rc;

    if ((rc = xmlu_check_attrs(src, n, attrs)))
        return rc;
    if (attr_is(n, "type", "file", false))
        dev->source = SRC_FILE;
    else if (attr_is(n, "type", "block", false))
        dev->source = SRC_BLOCK;
    else if (attr_is(n, "type", "vhostuser", false))
        dev->source = SRC_SOCKET;
    else
        return has_attr(n, "type")
               ? attr_err(src, n, "type", "use file, block or vhostuser")
               : xmlu_elem_err(src, n, "missing attribute 'type'");
    if (!attr_is(n, "device", "disk", true))
        return attr_err(src, n, "device", "only 'disk'");
    if ((rc = xmlu_children(src, n, c, D_COUNT, NULL)))
        return rc;

    if (c[D_DRIVER].node) {
        xmlNodePtr d = c[D_DRIVER].node;
        if ((rc = leaf(src, d, driver_attrs)))
            return rc;
        if (attr_is(d, "cache", "none", false))
            dev->direct = true;
        else if (!attr_is(d, "cache", "default", true))
            return attr_err(src, d, "cache", "use none or default");
        if (attr_is(d, "discard", "unmap", false))
            dev->discard = DISCARD_UNMAP;
        else if (attr_is(d, "discard", "ignore", false))
            dev->discard = DISCARD_IGNORE;
        else if (has_attr(d, "discard"))
            return attr_err(src, d, "discard", "use unmap or ignore");
        if ((rc = read_queues(src, d, dev)))
            return rc;
    }

    switch (dev->source) {
    case SRC_FILE:
        rc = leaf(src, c[D_SOURCE].node, file_attrs);
        rc = rc ? rc : take_attr(src, c[D_SOURCE].node, "file", true,
                                 &dev->path);
        break;
    case SRC_BLOCK:
        rc = leaf(src, c[D_SOURCE].node, dev_attrs);
        rc = rc ? rc : take_attr(src, c[D_SOURCE].node, "dev", true,
                                 &dev->path);
        break;
    default:
        rc = read_socket_source(src, c[D_SOURCE].node, dev);
        break;
    }
    if (rc)
        return rc;

    if ((rc = leaf(src, c[D_TARGET].node, target_attrs)) ||
        (rc = take_attr(src, c[D_TARGET].node, "dev", true, &dev->target)))
        return rc;
    if (!attr_is(c[D_TARGET].node, "bus", "virtio", true))
        return attr_err(src, c[D_TARGET].node, "bus", "only 'virtio'");
    if (c[D_READONLY].node) {
        if ((rc = leaf(src, c[D_READONLY].node, NULL)))
            return rc;
        dev->readonly = true;
    }
    return read_backend(src, c[D_BACKEND].node, dev);
}

enum { I_SOURCE, I_MAC, I_TARGET, I_DRIVER, I_ALIAS, I_BACKEND, I_COUNT };

static int read_interface(const char *src, xmlNodePtr n, hv_device *dev)
{
    static const char *const attrs[] = { "type", NULL };
    static const char *const bridge_attrs[] = { "bridge", NULL };
    static const char *const mac_attrs[] = { "address", NULL };
    static const char *const target_attrs[] = { "dev", NULL };
    static const char *const driver_attrs[] = { "queues", NULL };
    static const char *const alias_attrs[] = { "name", NULL };
    struct xmlu_child c[I_COUNT] = {
        [I_SOURCE] = { "source", false, NULL },
        [I_MAC] = { "mac", false, NULL },
        [I_TARGET] = { "target", false, NULL },
        [I_DRIVER] = { "driver", false, NULL },
        [I_ALIAS] = { "alias", false, NULL },
        [I_BACKEND] = { "backend", false, NULL },
    };
    int rc;

    if ((rc = xmlu_check_attrs(src, n, attrs)))
        return rc;
    if (attr_is(n, "type", "bridge", false))
        dev->source = SRC_BRIDGE;
    else if (attr_is(n, "type", "ethernet", false))
        dev->source = SRC_ETHERNET;
    else if (attr_is(n, "type", "vhostuser", false))
        dev->source = SRC_SOCKET;
    else
        return has_attr(n, "type")
               ? attr_err(src, n, "type", "use bridge, ethernet or vhostuser")
               : xmlu_elem_err(src, n, "missing attribute 'type'");
    c[I_SOURCE].required = dev->source != SRC_ETHERNET;
    if ((rc = xmlu_children(src, n, c, I_COUNT, NULL)))
        return rc;

    if (c[I_SOURCE].node) {
        xmlNodePtr s = c[I_SOURCE].node;
        if (dev->source == SRC_ETHERNET)
            return xmlu_elem_err(src, s, "type 'ethernet' has no source (a "
                                 "tap device named by <target dev>)");
        if (dev->source == SRC_BRIDGE) {
            if ((rc = leaf(src, s, bridge_attrs)) ||
                (rc = take_attr(src, s, "bridge", true, &dev->bridge)))
                return rc;
        } else if ((rc = read_socket_source(src, s, dev))) {
            return rc;
        }
    }
    if (c[I_MAC].node &&
        ((rc = leaf(src, c[I_MAC].node, mac_attrs)) ||
         (rc = take_attr(src, c[I_MAC].node, "address", true, &dev->mac))))
        return rc;
    if (c[I_TARGET].node &&
        ((rc = leaf(src, c[I_TARGET].node, target_attrs)) ||
         (rc = take_attr(src, c[I_TARGET].node, "dev", true, &dev->target))))
        return rc;
    if (c[I_DRIVER].node &&
        ((rc = leaf(src, c[I_DRIVER].node, driver_attrs)) ||
         (rc = read_queues(src, c[I_DRIVER].node, dev))))
        return rc;
    if (c[I_ALIAS].node &&
        ((rc = leaf(src, c[I_ALIAS].node, alias_attrs)) ||
         (rc = take_attr(src, c[I_ALIAS].node, "name", true, &dev->alias))))
        return rc;
    return read_backend(src, c[I_BACKEND].node, dev);
}

int dev_from_xml_node(xmlNodePtr n, const char *src, hv_device **out)
{
    bool disk = strcmp((const char *)n->name, "disk") == 0;
    hv_device *dev;
    int rc;

    *out = NULL;
    if (n->ns || (!disk && strcmp((const char *)n->name, "interface") != 0))
        return xmlu_elem_err(src, n, "not a device (use <disk> or "
                             "<interface>)");
    dev = dev_new(disk ? HV_DEVICE_DISK : HV_DEVICE_INTERFACE);
    if (!dev)
        return HV_ENOMEM;
    if ((rc = dev_set_origin(dev, "%s:%d: element <%s>", src, xmlu_line(n),
                             (const char *)n->name)))
        goto out;
    rc = disk ? read_disk(src, n, dev) : read_interface(src, n, dev);
    if (rc == 0) {
        dev_normalize(dev);
        rc = dev_validate(dev);
    }
out:
    if (rc)
        hv_device_free(dev);
    else
        *out = dev;
    return rc;
}

/* ---- formatting ---- */

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
    return xmlNewChild(parent, NULL, (const xmlChar *)name, NULL);
}

static bool prop(xmlNodePtr n, const char *name, const char *value)
{
    return n && (!value || xmlNewProp(n, (const xmlChar *)name,
                                      (const xmlChar *)value));
}

static bool add_socket(xmlNodePtr n, const hv_device *dev)
{
    xmlNodePtr s = child(n, "source");

    return prop(s, "type", "unix") && prop(s, "path", dev->path);
}

static bool add_common_tail(xmlNodePtr n, const hv_device *dev)
{
    return !dev->user || prop(child(n, "backend"), "user", dev->user);
}

static bool add_disk(xmlNodePtr n, const hv_device *dev)
{
    char q[16];
    bool ok = prop(n, "type", dev_source_name(dev->source)) &&
              prop(n, "device", "disk");
    xmlNodePtr d;

    snprintf(q, sizeof(q), "%u", dev->queues);
    if (ok && (dev->direct || dev->discard != DISCARD_DEFAULT || dev->queues))
        ok = (d = child(n, "driver")) &&
             prop(d, "cache", dev->direct ? "none" : NULL) &&
             prop(d, "discard", dev->discard == DISCARD_UNMAP ? "unmap"
                                : dev->discard == DISCARD_IGNORE ? "ignore"
                                                                 : NULL) &&
             prop(d, "queues", dev->queues ? q : NULL);
    if (ok && dev->source == SRC_SOCKET)
        ok = add_socket(n, dev);
    else if (ok)
        ok = prop(child(n, "source"), dev->source == SRC_BLOCK ? "dev"
                                                               : "file",
                  dev->path);
    ok = ok && (d = child(n, "target")) && prop(d, "dev", dev->target) &&
         prop(d, "bus", "virtio");
    if (ok && dev->readonly)
        ok = child(n, "readonly") != NULL;
    return ok && add_common_tail(n, dev);
}

static bool add_interface(xmlNodePtr n, const hv_device *dev)
{
    char q[16];
    bool ok = prop(n, "type", dev_source_name(dev->source));

    snprintf(q, sizeof(q), "%u", dev->queues);
    if (ok && dev->source == SRC_SOCKET)
        ok = add_socket(n, dev);
    else if (ok && dev->source == SRC_BRIDGE)
        ok = prop(child(n, "source"), "bridge", dev->bridge);
    if (ok && dev->mac)
        ok = prop(child(n, "mac"), "address", dev->mac);
    if (ok && dev->target)
        ok = prop(child(n, "target"), "dev", dev->target);
    if (ok && dev->queues)
        ok = prop(child(n, "driver"), "queues", q);
    if (ok && dev->alias)
        ok = prop(child(n, "alias"), "name", dev->alias);
    return ok && add_common_tail(n, dev);
}

bool dev_to_xml_node(const hv_device *dev, xmlNodePtr parent)
{
    xmlNodePtr n = child(parent, dev->type == HV_DEVICE_DISK ? "disk"
                                                            : "interface");

    if (!n)
        return false;
    return dev->type == HV_DEVICE_DISK ? add_disk(n, dev)
                                       : add_interface(n, dev);
}

/* ---- the public entry points ---- */

HV_EXPORT int hv_device_from_xml(const char *text, size_t len,
                                 const char *source, hv_device **out)
{
    const char *src = source ? source : "<device>";
    struct xmlu_doc d;
    hv_device *dev = NULL;
    int rc;

    if (!out)
        return err_set(HV_EINVAL, "%s: no place for the result", src);
    *out = NULL;
    if ((rc = xmlu_doc_read(&d, text, len, src)) ||
        (rc = dev_from_xml_node(xmlDocGetRootElement(d.doc), src, &dev)) ||
        (rc = xmlu_doc_validate(&d)))
        goto out;
    *out = dev;
    dev = NULL;
out:
    hv_device_free(dev);
    xmlu_doc_close(&d);
    return rc;
}

HV_EXPORT int hv_device_to_xml(const hv_device *dev, char **out)
{
    struct xmlu_quiet quiet;
    xmlDocPtr doc;
    xmlNodePtr root;
    int rc;

    if (!dev || !out)
        return err_set(HV_EINVAL, "device: NULL argument");
    *out = NULL;
    if ((rc = dev_validate(dev)))
        return rc;
    xmlu_init();
    xmlu_quiet_begin(&quiet);
    doc = xmlNewDoc((const xmlChar *)"1.0");
    /* A scratch root: the device element is its only child. */
    root = doc ? xmlNewNode(NULL, (const xmlChar *)"devices") : NULL;
    if (root) {
        xmlDocSetRootElement(doc, root);
        if (dev_to_xml_node(dev, root))
            *out = xmlu_doc_text(doc, root->children);
    }
    xmlFreeDoc(doc);
    xmlu_quiet_end(&quiet);
    if (!*out)
        return err_set(HV_ENOMEM, "device: out of memory");
    err_clear();
    return 0;
}
