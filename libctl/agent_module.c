/*
 * agent_module.c - loading libhvctl-http.so, the HTTP module, on the
 * first https:// or http:// connection (docs/client-path.md).
 *
 * It comes from $HVCTL_DRIVER_DIR, else the directory it was installed
 * to.  It is loaded once and never unloaded (a later connection reuses
 * it; a stream thread may still run in it while a connection closes).
 * Its table must carry this build's version: a stale module is refused
 * with a message rather than called through a table of another shape.
 */
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_int.h"

#ifndef HV_DRIVER_DIR
#define HV_DRIVER_DIR "/usr/local/lib/hvctl/drivers"
#endif
#define MODULE_NAME "libhvctl-http.so"

static pthread_mutex_t module_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct hv_http_transport *module;

int agent_http_module(const char *uri, const struct hv_http_transport **out)
{
    /* Not from the environment of a setuid or setgid embedder: the module
     * is code this process will run. */
    const char *dir = secure_getenv("HVCTL_DRIVER_DIR");
    const struct hv_http_transport *t;
    char path[PATH_MAX];
    void *h;
    int rc = 0;

    pthread_mutex_lock(&module_lock);
    if (module)
        goto out;
    snprintf(path, sizeof(path), "%s/" MODULE_NAME,
             dir && *dir ? dir : HV_DRIVER_DIR);
    if (!(h = dlopen(path, RTLD_NOW | RTLD_LOCAL))) {
        const char *why = dlerror();
        rc = err_set(HV_ENOTSUP, "connection '%s': cannot load the HTTP "
                     "driver module: %s", uri, why ? why : path);
        goto out;
    }
    t = dlsym(h, HV_HTTP_TRANSPORT_SYMBOL);
    if (!t) {
        rc = err_set(HV_ENOTSUP, "connection '%s': %s is not libhvctl's HTTP "
                     "driver module (no %s)", uri, path,
                     HV_HTTP_TRANSPORT_SYMBOL);
        dlclose(h);
        goto out;
    }
    if (t->version != HV_HTTP_TRANSPORT_VERSION ||
        t->size < sizeof(struct hv_http_transport)) {
        rc = err_set(HV_ENOTSUP, "connection '%s': %s is version %u of the "
                     "HTTP driver module, this libhvctl needs version %u "
                     "(install both from the same build)", uri, path,
                     t->version, HV_HTTP_TRANSPORT_VERSION);
        dlclose(h);
        goto out;
    }
    module = t;
out:
    *out = module;
    pthread_mutex_unlock(&module_lock);
    return rc;
}
