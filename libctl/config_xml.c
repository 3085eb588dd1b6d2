/*
 * config_xml.c - the domain configuration as XML (hvctl.xml(5)).
 *
 * Parsing is strict in three passes, each with its own kind of message:
 *  1. libxml2 reads the text ("web.xml:3: Opening and ending tag mismatch");
 *  2. a walk over the tree refuses what the model does not know, missing
 *     and duplicate elements, and fills the model, remembering every
 *     element's line ("web.xml:7: element <foo>: unknown element in
 *     <domain>");
 *  3. the semantic checks of config_validate.c, then schema/domain.rng as
 *     the contract that catches anything the walk let through.
 * Formatting is the mirror image of pass 2.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "config.h"
#include "device.h"
#include "xml_util.h"

struct walk {
    hv_config *cfg;
    const char *src;
};

static int node_line(xmlNodePtr n)
{
    return xmlu_line(n);
}

#define elem_err(w, n, ...) xmlu_elem_err((w)->src, (n), __VA_ARGS__)
#define check_attrs(w, n, ok) xmlu_check_attrs((w)->src, (n), (ok))
#define get_attr xmlu_attr

/* A leaf: text only.  Returns malloc'ed text ("" for an empty element). */
static int leaf_text(struct walk *w, xmlNodePtr n, char **out)
{
    xmlChar *t;

    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return elem_err(w, c, "unexpected element inside <%s>",
                            (const char *)n->name);
    t = xmlNodeGetContent(n);
    *out = strdup(t ? (const char *)t : "");
    xmlFree(t);
    if (!*out)
        return err_set(HV_ENOMEM, "%s: out of memory", w->src);
    return 0;
}

#define child_spec xmlu_child

/*
 * Configurations are often written from libvirt habits; where libvirt
 * spells an element differently, say how this format spells it.
 */
static const char *spelling_hint(xmlNodePtr parent, xmlNodePtr c)
{
    if (!c->ns && strcmp((const char *)parent->name, "domain") == 0 &&
        strcmp((const char *)c->name, "vcpu") == 0)
        return " (did you mean <vcpus>?)";
    return "";
}

static int collect_children(struct walk *w, xmlNodePtr parent,
                            struct child_spec *spec, size_t nspec)
{
    return xmlu_children(w->src, parent, spec, nspec, spelling_hint);
}

static int read_memory(struct walk *w, xmlNodePtr n, enum cfg_field f,
                       uint64_t *mib)
{
    static const char *const attrs[] = { "unit", NULL };
    char *text = NULL, *unit = NULL;
    int rc;

    if ((rc = check_attrs(w, n, attrs)) || (rc = leaf_text(w, n, &text)))
        return rc;
    unit = get_attr(n, "unit");
    w->cfg->line[f] = node_line(n);
    rc = cfg_parse_memory(w->cfg, f, text, unit, mib);
    xmlFree(unit);
    free(text);
    return rc;
}

static int read_count(struct walk *w, enum cfg_field f, const char *text,
                      unsigned *out)
{
    uint64_t v;
    int rc = cfg_parse_uint(w->cfg, f, text, UINT32_MAX, &v);

    if (rc == 0)
        *out = (unsigned)v;
    return rc;
}

static int read_vcpus(struct walk *w, xmlNodePtr n)
{
    static const char *const attrs[] = { "current", NULL };
    char *text = NULL, *cur = NULL;
    int rc;

    if ((rc = check_attrs(w, n, attrs)) || (rc = leaf_text(w, n, &text)))
        return rc;
    w->cfg->line[F_VCPUS] = w->cfg->line[F_VCPUS_CUR] = node_line(n);
    rc = read_count(w, F_VCPUS, text, &w->cfg->vcpus_max);
    cur = get_attr(n, "current");
    if (rc == 0)
        w->cfg->vcpus_cur = w->cfg->vcpus_max;
    if (rc == 0 && cur)
        rc = read_count(w, F_VCPUS_CUR, cur, &w->cfg->vcpus_cur);
    xmlFree(cur);
    free(text);
    return rc;
}

static int read_string(struct walk *w, xmlNodePtr n, enum cfg_field f,
                       char **slot)
{
    int rc;

    if ((rc = check_attrs(w, n, NULL)))
        return rc;
    free(*slot);
    *slot = NULL;
    w->cfg->line[f] = node_line(n);
    return leaf_text(w, n, slot);
}

static int read_action(struct walk *w, xmlNodePtr n, int ev)
{
    enum cfg_field f = (enum cfg_field)(F_ON_POWEROFF + ev);
    char *text = NULL;
    int rc, act;

    if ((rc = read_string(w, n, f, &text)))
        return rc;
    act = cfg_action_parse(text);
    if (act < 0)
        rc = cfg_err(w->cfg, f, "unknown action '%s' (use destroy, restart "
                     "or preserve)", text);
    else
        w->cfg->actions[ev] = act;
    free(text);
    return rc;
}

/* <type>pv</type> or <type>linux</type>, as libvirt's Xen PV domains. */
static int read_os_type(struct walk *w, xmlNodePtr n)
{
    char *text = NULL;
    int rc, type;

    if ((rc = read_string(w, n, F_OS_TYPE, &text)))
        return rc;
    type = cfg_os_type_parse(text);
    if (type < 0)
        rc = cfg_err(w->cfg, F_OS_TYPE, "unknown os type '%s' (use linux "
                     "or pv)", text);
    else
        w->cfg->os_type = type;
    free(text);
    return rc;
}

static int read_os(struct walk *w, xmlNodePtr os)
{
    enum { O_TYPE, O_KERNEL, O_INITRD, O_CMDLINE, O_COUNT };
    struct child_spec spec[O_COUNT] = {
        [O_TYPE] = { "type", false, NULL },
        [O_KERNEL] = { "kernel", true, NULL },
        [O_INITRD] = { "initrd", false, NULL },
        [O_CMDLINE] = { "cmdline", false, NULL },
    };
    int rc;

    if ((rc = check_attrs(w, os, NULL)) ||
        (rc = collect_children(w, os, spec, O_COUNT)))
        return rc;
    if (spec[O_TYPE].node && (rc = read_os_type(w, spec[O_TYPE].node)))
        return rc;
    if ((rc = read_string(w, spec[O_KERNEL].node, F_KERNEL, &w->cfg->kernel)))
        return rc;
    if (spec[O_INITRD].node &&
        (rc = read_string(w, spec[O_INITRD].node, F_INITRD, &w->cfg->initrd)))
        return rc;
    if (spec[O_CMDLINE].node)
        rc = read_string(w, spec[O_CMDLINE].node, F_CMDLINE, &w->cfg->cmdline);
    return rc;
}

static int read_console(struct walk *w, xmlNodePtr console)
{
    static const char *const log_attrs[] = { "file", NULL };
    struct child_spec cspec[] = { { "log", false, NULL } };
    xmlNodePtr log;
    int rc;

    if ((rc = check_attrs(w, console, NULL)) ||
        (rc = collect_children(w, console, cspec, 1)) || !cspec[0].node)
        return rc;
    log = cspec[0].node;
    if ((rc = check_attrs(w, log, log_attrs)))
        return rc;
    if (log->children)
        return elem_err(w, log, "must be empty");
    w->cfg->line[F_CONSOLE_LOG] = node_line(log);
    w->cfg->console_log = get_attr(log, "file");
    if (!w->cfg->console_log)
        return elem_err(w, log, "missing attribute 'file'");
    return 0;
}

/* <console> once; <disk> and <interface> as many as the limit allows. */
static int read_devices(struct walk *w, xmlNodePtr devs)
{
    xmlNodePtr console = NULL;
    int rc;

    if ((rc = check_attrs(w, devs, NULL)))
        return rc;
    w->cfg->line[F_DEVICES] = node_line(devs);
    for (xmlNodePtr c = devs->children; c; c = c->next) {
        hv_device *dev;

        if (c->type != XML_ELEMENT_NODE) {
            if ((c->type == XML_TEXT_NODE ||
                 c->type == XML_CDATA_SECTION_NODE) && !xmlIsBlankNode(c))
                return elem_err(w, devs, "unexpected text");
            continue;
        }
        if (!c->ns && strcmp((const char *)c->name, "console") == 0) {
            if (console)
                return elem_err(w, c, "duplicate element (first at line "
                                "%d)", node_line(console));
            console = c;
            if ((rc = read_console(w, c)))
                return rc;
            continue;
        }
        if (c->ns || (strcmp((const char *)c->name, "disk") != 0 &&
                      strcmp((const char *)c->name, "interface") != 0))
            return elem_err(w, c, "unknown element in <devices>");
        if (w->cfg->ndevices == HV_DEVICES_MAX)
            return elem_err(w, c, "more than %d disks and interfaces",
                            HV_DEVICES_MAX);
        if ((rc = dev_from_xml_node(c, w->src, &dev)) ||
            (rc = cfg_devices_take(w->cfg, dev)))
            return rc;
    }
    return cfg_devices_complete(w->cfg);
}

enum { C_NAME, C_UUID, C_MEMORY, C_CURMEM, C_VCPUS, C_OS, C_ON_POWEROFF,
       C_ON_REBOOT, C_ON_CRASH, C_DEVICES, C_COUNT };

static int read_domain(struct walk *w, xmlNodePtr root)
{
    static const char *const attrs[] = { "type", NULL };
    struct child_spec spec[C_COUNT] = {
        [C_NAME] = { "name", true, NULL },
        [C_UUID] = { "uuid", false, NULL },
        [C_MEMORY] = { "memory", true, NULL },
        [C_CURMEM] = { "currentMemory", false, NULL },
        [C_VCPUS] = { "vcpus", false, NULL },
        [C_OS] = { "os", true, NULL },
        [C_ON_POWEROFF] = { "on_poweroff", false, NULL },
        [C_ON_REBOOT] = { "on_reboot", false, NULL },
        [C_ON_CRASH] = { "on_crash", false, NULL },
        [C_DEVICES] = { "devices", false, NULL },
    };
    hv_config *cfg = w->cfg;
    char *type, *text = NULL;
    int rc;

    cfg->line[F_DOMAIN] = node_line(root);
    if (root->ns || strcmp((const char *)root->name, "domain") != 0)
        return elem_err(w, root, "the root element must be <domain>");
    if ((rc = check_attrs(w, root, attrs)))
        return rc;
    type = get_attr(root, "type");
    if (!type || strcmp(type, "pv") != 0) {
        /* libvirt's Xen PV domains are <domain type="xen">. */
        rc = type ? elem_err(w, root, "type '%s' is not supported (only "
                             "'pv'%s)", type, strcmp(type, "xen") == 0
                             ? "; a Xen PV kernel is <os><type>linux</type>"
                             : "")
                  : elem_err(w, root, "missing attribute 'type'");
        xmlFree(type);
        return rc;
    }
    xmlFree(type);
    if ((rc = collect_children(w, root, spec, C_COUNT)))
        return rc;

    if ((rc = read_string(w, spec[C_NAME].node, F_NAME, &cfg->name)))
        return rc;
    if (spec[C_UUID].node) {
        if ((rc = read_string(w, spec[C_UUID].node, F_UUID, &text)))
            return rc;
        if (!uuid_parse(text, cfg->uuid))
            rc = cfg_err(cfg, F_UUID, "'%s' is not a uuid "
                         "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", text);
        else
            uuid_format(cfg->uuid, cfg->uuid_str);
        free(text);
        if (rc)
            return rc;
    }
    if ((rc = read_memory(w, spec[C_MEMORY].node, F_MEMORY, &cfg->mem_max_mib)))
        return rc;
    cfg->mem_cur_mib = cfg->mem_max_mib;
    if (spec[C_CURMEM].node &&
        (rc = read_memory(w, spec[C_CURMEM].node, F_CURMEM, &cfg->mem_cur_mib)))
        return rc;
    if (spec[C_VCPUS].node && (rc = read_vcpus(w, spec[C_VCPUS].node)))
        return rc;
    if ((rc = read_os(w, spec[C_OS].node)))
        return rc;
    for (int ev = HV_ON_POWEROFF; ev <= HV_ON_CRASH; ev++)
        if (spec[C_ON_POWEROFF + ev].node &&
            (rc = read_action(w, spec[C_ON_POWEROFF + ev].node, ev)))
            return rc;
    if (spec[C_DEVICES].node)
        rc = read_devices(w, spec[C_DEVICES].node);
    return rc;
}

HV_EXPORT int hv_config_from_xml(const char *text, size_t len,
                                 const char *source, hv_config **out)
{
    const char *src = source ? source : "<config>";
    struct xmlu_doc d;
    hv_config *cfg = NULL;
    struct walk w;
    int rc;

    if (!out)
        return err_set(HV_EINVAL, "%s: no place for the result", src);
    *out = NULL;
    if ((rc = xmlu_doc_read(&d, text, len, src)))
        goto out;
    cfg = hv_config_new();
    if (!cfg) {
        rc = hv_last_error_code();
        goto out;
    }
    cfg_set_origin(cfg, SYN_XML, src);
    w.cfg = cfg;
    w.src = src;
    if ((rc = read_domain(&w, xmlDocGetRootElement(d.doc))) ||
        (rc = cfg_validate(cfg)) || (rc = xmlu_doc_validate(&d)))
        goto out;
    *out = cfg;
    cfg = NULL;
out:
    hv_config_free(cfg);
    xmlu_doc_close(&d);
    return rc;
}

/* ---- formatting ---- */

static xmlNodePtr add_text(xmlNodePtr parent, const char *name,
                           const char *value)
{
    /* xmlNewTextChild escapes the content, unlike xmlNewChild. */
    return xmlNewTextChild(parent, NULL, (const xmlChar *)name,
                           (const xmlChar *)value);
}

static bool add_memory(xmlNodePtr parent, const char *name, uint64_t mib)
{
    char buf[32];
    xmlNodePtr n;

    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)mib);
    n = add_text(parent, name, buf);
    return n && xmlNewProp(n, (const xmlChar *)"unit", (const xmlChar *)"MiB");
}

/* The console, then the disks, then the interfaces. */
static bool add_devices(xmlNodePtr root, const hv_config *cfg)
{
    xmlNodePtr devs = xmlNewChild(root, NULL, (const xmlChar *)"devices",
                                  NULL), n;
    bool ok = devs != NULL;

    if (ok && cfg->console_log)
        ok = (n = xmlNewChild(devs, NULL, (const xmlChar *)"console", NULL)) &&
             (n = xmlNewChild(n, NULL, (const xmlChar *)"log", NULL)) &&
             xmlNewProp(n, (const xmlChar *)"file",
                        (const xmlChar *)cfg->console_log);
    for (int type = HV_DEVICE_DISK; type <= HV_DEVICE_INTERFACE; type++)
        for (size_t i = 0; ok && i < cfg->ndevices; i++)
            if (cfg->devices[i]->type == type)
                ok = dev_to_xml_node(cfg->devices[i], devs);
    return ok;
}

static xmlDocPtr build_doc(const hv_config *cfg)
{
    xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNodePtr root, n;
    char buf[32];
    bool ok = true;

    if (!doc)
        return NULL;
    root = xmlNewNode(NULL, (const xmlChar *)"domain");
    if (!root) {
        xmlFreeDoc(doc);
        return NULL;
    }
    xmlDocSetRootElement(doc, root);
    ok = ok && xmlNewProp(root, (const xmlChar *)"type", (const xmlChar *)"pv");
    ok = ok && add_text(root, "name", cfg->name);
    ok = ok && add_text(root, "uuid", cfg->uuid_str);
    ok = ok && add_memory(root, "memory", cfg->mem_max_mib);
    if (ok && cfg->mem_cur_mib != cfg->mem_max_mib)
        ok = add_memory(root, "currentMemory", cfg->mem_cur_mib);
    snprintf(buf, sizeof(buf), "%u", cfg->vcpus_max);
    ok = ok && (n = add_text(root, "vcpus", buf));
    if (ok && cfg->vcpus_cur != cfg->vcpus_max) {
        snprintf(buf, sizeof(buf), "%u", cfg->vcpus_cur);
        ok = xmlNewProp(n, (const xmlChar *)"current", (const xmlChar *)buf);
    }
    ok = ok && (n = xmlNewChild(root, NULL, (const xmlChar *)"os", NULL));
    if (ok && cfg->os_type != HV_OS_AUTO)
        ok = add_text(n, "type", hv_os_type_name(cfg->os_type));
    ok = ok && add_text(n, "kernel", cfg->kernel);
    if (ok && cfg->initrd)
        ok = add_text(n, "initrd", cfg->initrd);
    if (ok && cfg->cmdline)
        ok = add_text(n, "cmdline", cfg->cmdline);
    for (int ev = HV_ON_POWEROFF; ok && ev <= HV_ON_CRASH; ev++)
        ok = add_text(root, cfg_event_key(ev), cfg_action_name(cfg->actions[ev]));
    if (ok && (cfg->console_log || cfg->ndevices))
        ok = add_devices(root, cfg);
    if (!ok) {
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

HV_EXPORT int hv_config_to_xml(const hv_config *cfg, char **out)
{
    struct xmlu_quiet quiet;
    xmlDocPtr doc;
    int rc;

    if (!cfg || !out)
        return err_set(HV_EINVAL, "config: NULL argument");
    *out = NULL;
    if ((rc = cfg_validate(cfg)))
        return rc;
    xmlu_init();
    xmlu_quiet_begin(&quiet);
    doc = build_doc(cfg);
    *out = doc ? xmlu_doc_text(doc, NULL) : NULL;
    xmlFreeDoc(doc);
    xmlu_quiet_end(&quiet);
    if (!*out)
        return err_set(HV_ENOMEM, "config '%s': out of memory", cfg->name);
    err_clear();
    return 0;
}
