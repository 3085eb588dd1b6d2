/*
 * api_domain.c - the public domain calls: check the arguments, then ask
 * the connection's driver (driver.h).  Checking here means every driver
 * refuses a NULL handle or an unknown flag in the same words.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "domain_int.h"
#include "driver.h"

#define CHECK_OUT(conn, out, what)                                           \
    do {                                                                     \
        if (!(out))                                                          \
            return err_set(HV_EINVAL, "%s: no place for the result", what);  \
        *(out) = NULL;                                                       \
        if (!(conn))                                                         \
            return err_set(HV_EINVAL, "%s: no connection", what);            \
    } while (0)

#define CHECK_DOM(dom)                                                       \
    do {                                                                     \
        if (!(dom))                                                          \
            return err_set(HV_EINVAL, "domain: NULL handle");                \
    } while (0)

/*
 * These six took `flags` in HVCTL_0.4; their 0.1 forms are in compat.c.
 * A name listed under two nodes of libhvctl.sym is bound to the first
 * unless its definition says otherwise, so the new ones say it here.
 */
#ifdef PIC   /* the shared library (libtool); a static link has no versions */
#define DEFAULT_VERSION(name) __asm__(".symver " #name ", " #name "@@@HVCTL_0.4")
#else
#define DEFAULT_VERSION(name) struct hv_unused_##name
#endif
DEFAULT_VERSION(hv_domain_pause);
DEFAULT_VERSION(hv_domain_unpause);
DEFAULT_VERSION(hv_domain_reboot);
DEFAULT_VERSION(hv_domain_destroy);
DEFAULT_VERSION(hv_domain_set_memory);
DEFAULT_VERSION(hv_domain_shutdown);

/* Message prefix naming a handle's domain. */
static const char *dom_what(const hv_domain *dom, char buf[100])
{
    if (dom->domid == HV_DOMID_NONE)
        snprintf(buf, 100, "domain '%s'", dom->name);
    else
        snprintf(buf, 100, "domain '%s' (id %u)", dom->name, dom->domid);
    return buf;
}

static int bad_flags(const hv_domain *dom, const char *verb, unsigned flags)
{
    char what[100];

    return err_set(HV_EINVAL, "%s: %s: unknown flags %#x", dom_what(dom, what),
                   verb, flags);
}

int drv_cannot(const hv_conn *conn, const char *what)
{
    return err_set(HV_ENOTSUP, "%s: not possible through %s: %s", what,
                   conn->uri ? conn->uri : conn->drv->name, conn->drv->cannot);
}

int dom_cannot(const hv_domain *dom, const char *verb)
{
    char what[100], full[180];

    snprintf(full, sizeof(full), "%s: %s", dom_what(dom, what), verb);
    return drv_cannot(dom->conn, full);
}

int dom_new(hv_conn *conn, const char *name, const char *uuid, uint32_t domid,
            hv_domain **out)
{
    uint8_t bin[16];
    hv_domain *dom;

    /*
     * A handle's uuid goes into every request on it (?uuid=) and into
     * messages: from an agent (a start job's result), which may be on
     * another host, it is checked, not trusted.
     */
    if (uuid && *uuid && !uuid_parse(uuid, bin))
        return err_set(HV_EPROTO, "domain '%s': '%s' is not a uuid",
                       name ? name : "", uuid);
    if (!(dom = calloc(1, sizeof(*dom))))
        return err_set(HV_ENOMEM, "domain '%s': out of memory", name);
    pthread_mutex_init(&dom->lock, NULL);
    dom->conn = conn;
    dom->domid = domid;
    dom->ctl_fd = -1;
    snprintf(dom->name, sizeof(dom->name), "%s", name ? name : "");
    snprintf(dom->uuid, sizeof(dom->uuid), "%s", uuid ? uuid : "");
    *out = dom;
    return 0;
}

HV_EXPORT void hv_domain_free(hv_domain *dom)
{
    if (!dom)
        return;
    if (dom->conn->drv->domain_free)
        dom->conn->drv->domain_free(dom);
    pthread_mutex_destroy(&dom->lock);
    free(dom);
}

/* ---- on the connection ---- */

static int new_domain(hv_conn *conn, const hv_config *cfg, unsigned flags,
                      hv_domain **out, bool define)
{
    const char *verb = define ? "define" : "create";
    char what[100];

    CHECK_OUT(conn, out, "domain");
    if (!cfg)
        return err_set(HV_EINVAL, "domain: no config");
    snprintf(what, sizeof(what), "domain '%s'", cfg->name ? cfg->name : "");
    if (flags & ~(define ? 0u : HV_CREATE_PAUSED))
        return err_set(HV_EINVAL, "%s: %s: unknown flags %#x", what, verb,
                       flags & ~(define ? 0u : HV_CREATE_PAUSED));
    if (define ? !conn->drv->define : !conn->drv->create) {
        snprintf(what + strlen(what), sizeof(what) - strlen(what), ": %s",
                 verb);
        return drv_cannot(conn, what);
    }
    return define ? conn->drv->define(conn, cfg, flags, out)
                  : conn->drv->create(conn, cfg, flags, out);
}

HV_EXPORT int hv_domain_create(hv_conn *conn, const hv_config *cfg,
                               unsigned flags, hv_domain **out)
{
    return new_domain(conn, cfg, flags, out, false);
}

HV_EXPORT int hv_domain_define(hv_conn *conn, const hv_config *cfg,
                               unsigned flags, hv_domain **out)
{
    hv_domain *dom = NULL;
    int rc;

    /* out may be NULL here: defining is worth doing without a handle. */
    rc = new_domain(conn, cfg, flags, &dom, true);
    if (out)
        *out = dom;
    else
        hv_domain_free(dom);
    return rc;
}

HV_EXPORT int hv_domain_lookup_by_id(hv_conn *conn, uint32_t domid,
                                     hv_domain **out)
{
    char what[32];

    snprintf(what, sizeof(what), "domain %u", domid);
    CHECK_OUT(conn, out, what);
    if (domid == 0 || domid == HV_DOMID_NONE)
        return err_set(HV_ENOENT, "%s: no such domain", what);
    return conn->drv->lookup(conn, KEY_ID, NULL, domid, out);
}

HV_EXPORT int hv_domain_lookup_by_name(hv_conn *conn, const char *name,
                                       hv_domain **out)
{
    CHECK_OUT(conn, out, "domain");
    if (!name || !*name || strchr(name, '/') || strlen(name) > HV_NAME_MAX ||
        name[0] == '.')
        return err_set(HV_ENOENT, "domain '%s': no such domain",
                       name ? name : "(null)");
    return conn->drv->lookup(conn, KEY_NAME, name, 0, out);
}

HV_EXPORT int hv_domain_lookup_by_uuid(hv_conn *conn, const char *uuid,
                                       hv_domain **out)
{
    uint8_t want[16];

    CHECK_OUT(conn, out, "domain");
    if (!uuid_parse(uuid, want))
        return err_set(HV_EINVAL, "domain uuid '%s': not a uuid",
                       uuid ? uuid : "(null)");
    return conn->drv->lookup(conn, KEY_UUID, uuid, 0, out);
}

/* ---- on a handle ---- */

HV_EXPORT int hv_domain_get_info(hv_domain *dom, hv_domain_info **out)
{
    if (!out)
        return err_set(HV_EINVAL, "domain: no place for the result");
    *out = NULL;
    CHECK_DOM(dom);
    return dom->conn->drv->get_info(dom, out);
}

HV_EXPORT int hv_domain_get_config(hv_domain *dom, hv_config **out)
{
    if (!out)
        return err_set(HV_EINVAL, "domain: no place for the result");
    *out = NULL;
    if (!dom)
        return err_set(HV_EINVAL, "domain: no domain handle");
    if (!dom->conn->drv->get_config)
        return dom_cannot(dom, "configuration");
    return dom->conn->drv->get_config(dom, out);
}

HV_EXPORT int hv_domain_get_definition(hv_domain *dom, unsigned flags,
                                       hv_config **out)
{
    if (!out)
        return err_set(HV_EINVAL, "domain: no place for the result");
    *out = NULL;
    CHECK_DOM(dom);
    if (flags)
        return bad_flags(dom, "definition", flags);
    if (!dom->conn->drv->get_definition)
        return dom_cannot(dom, "definition");
    return dom->conn->drv->get_definition(dom, flags, out);
}

static int action(hv_domain *dom, enum drv_action act, const char *verb,
                  unsigned flags)
{
    CHECK_DOM(dom);
    if (flags)
        return bad_flags(dom, verb, flags);
    if (!dom->conn->drv->action)
        return dom_cannot(dom, verb);
    return dom->conn->drv->action(dom, act, flags);
}

HV_EXPORT int hv_domain_pause(hv_domain *dom, unsigned flags)
{
    return action(dom, ACT_PAUSE, "pause", flags);
}

HV_EXPORT int hv_domain_unpause(hv_domain *dom, unsigned flags)
{
    return action(dom, ACT_UNPAUSE, "unpause", flags);
}

HV_EXPORT int hv_domain_reboot(hv_domain *dom, unsigned flags)
{
    return action(dom, ACT_REBOOT, "reboot", flags);
}

HV_EXPORT int hv_domain_destroy(hv_domain *dom, unsigned flags)
{
    return action(dom, ACT_DESTROY, "destroy", flags);
}

HV_EXPORT int hv_domain_start(hv_domain *dom, unsigned flags)
{
    return action(dom, ACT_START, "start", flags);
}

HV_EXPORT int hv_domain_undefine(hv_domain *dom, unsigned flags)
{
    return action(dom, ACT_UNDEFINE, "undefine", flags);
}

HV_EXPORT int hv_domain_shutdown(hv_domain *dom, int timeout_ms,
                                 unsigned flags, hv_op *op)
{
    CHECK_DOM(dom);
    if (flags)
        return bad_flags(dom, "shutdown", flags);
    if (!dom->conn->drv->shutdown)
        return dom_cannot(dom, "shutdown");
    return dom->conn->drv->shutdown(dom, timeout_ms, flags, op);
}

HV_EXPORT int hv_domain_set_memory(hv_domain *dom, uint64_t target_mib,
                                   unsigned flags)
{
    CHECK_DOM(dom);
    if (flags)
        return bad_flags(dom, "memory target", flags);
    if (!dom->conn->drv->set_memory)
        return dom_cannot(dom, "memory target");
    return dom->conn->drv->set_memory(dom, target_mib, flags);
}

HV_EXPORT int hv_domain_get_autostart(hv_domain *dom, int *autostart)
{
    if (!autostart)
        return err_set(HV_EINVAL, "domain: no place for the result");
    *autostart = 0;
    CHECK_DOM(dom);
    if (!dom->conn->drv->get_autostart)
        return dom_cannot(dom, "autostart");
    return dom->conn->drv->get_autostart(dom, autostart);
}

HV_EXPORT int hv_domain_set_autostart(hv_domain *dom, int autostart,
                                      unsigned flags)
{
    CHECK_DOM(dom);
    if (flags)
        return bad_flags(dom, "autostart", flags);
    if (!dom->conn->drv->set_autostart)
        return dom_cannot(dom, "autostart");
    return dom->conn->drv->set_autostart(dom, autostart ? 1 : 0, flags);
}

HV_EXPORT int hv_domain_console_open(hv_domain *dom, int *fd)
{
    if (!fd)
        return err_set(HV_EINVAL, "domain: no place for the console fd");
    *fd = -1;
    CHECK_DOM(dom);
    if (!dom->conn->drv->console_open)
        return dom_cannot(dom, "console");
    return dom->conn->drv->console_open(dom, fd);
}
