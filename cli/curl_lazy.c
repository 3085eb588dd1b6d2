/*
 * curl_lazy.c - dlopen of libcurl for curl_lazy.h.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "curl_lazy.h"

/* libcurl's SONAME: 4 since 2006 (curl 7.16), for every 7.x and 8.x. */
#define LIBCURL_SONAME "libcurl.so.4"

struct curl_lazy curl_lazy;

/* The struct's slots, in order, with curl's names. */
static const char *const symbols[] = {
    "curl_global_init", "curl_easy_init", "curl_easy_setopt",
    "curl_easy_perform", "curl_easy_getinfo", "curl_easy_cleanup",
    "curl_easy_strerror", "curl_easy_escape", "curl_free",
    "curl_slist_append", "curl_slist_free_all", "curl_multi_init",
    "curl_multi_add_handle", "curl_multi_remove_handle",
    "curl_multi_perform", "curl_multi_info_read", "curl_multi_poll",
    "curl_multi_cleanup",
};

_Static_assert(sizeof(symbols) / sizeof(symbols[0]) ==
               sizeof(struct curl_lazy) / sizeof(void (*)(void)),
               "one symbol name per slot of struct curl_lazy");

int curl_lazy_load(char *err, size_t len)
{
    static int loaded;
    void (*slots[sizeof(symbols) / sizeof(symbols[0])])(void);
    void *lib;

    if (loaded)
        return 0;
    lib = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(err, len, "cannot load %s: %s", LIBCURL_SONAME, dlerror());
        return -1;
    }
    for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
        /* POSIX: a function pointer may go through void * (dlsym). */
        void *sym = dlsym(lib, symbols[i]);
        if (!sym) {
            snprintf(err, len, "%s has no %s (libcurl 7.66 or later is "
                     "needed)", LIBCURL_SONAME, symbols[i]);
            dlclose(lib);
            return -1;
        }
        memcpy(&slots[i], &sym, sizeof(sym));
    }
    memcpy(&curl_lazy, slots, sizeof(curl_lazy));
    loaded = 1;
    return 0;
}
