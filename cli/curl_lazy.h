/*
 * curl_lazy.h - libcurl, loaded only when a command goes remote.
 *
 * Why: linking libcurl pulls in some thirty libraries (GnuTLS, OpenSSL,
 * Kerberos, LDAP, nghttp2, ...) whose loading and constructors cost about
 * 7 ms at every start of hvctl - more than the whole budget of a local
 * `hvctl pause` (5 ms, issue 5).  So hvctl is built against curl's
 * headers but opens libcurl.so.4 with dlopen the first time it needs it,
 * and http.c calls curl through the pointers below under curl's own names.
 *
 * Include this instead of <curl/curl.h>, in http.c only.
 */
#ifndef HVCTL_CLI_CURL_LAZY_H
#define HVCTL_CLI_CURL_LAZY_H

#define CURL_DISABLE_TYPECHECK 1    /* its macros would hide our names */
#include <curl/curl.h>

struct curl_lazy {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL *curl);
    CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
    void (*easy_cleanup)(CURL *curl);
    const char *(*easy_strerror)(CURLcode code);
    char *(*easy_escape)(CURL *curl, const char *s, int len);
    void (*free)(void *p);
    struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
    void (*slist_free_all)(struct curl_slist *l);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_add_handle)(CURLM *m, CURL *curl);
    CURLMcode (*multi_remove_handle)(CURLM *m, CURL *curl);
    CURLMcode (*multi_perform)(CURLM *m, int *running);
    CURLMsg *(*multi_info_read)(CURLM *m, int *left);
    CURLMcode (*multi_poll)(CURLM *m, struct curl_waitfd fds[],
                            unsigned nfds, int timeout_ms, int *numfds);
    CURLMcode (*multi_cleanup)(CURLM *m);
};

extern struct curl_lazy curl_lazy;

/*
 * Load libcurl and fill curl_lazy (once); 0, or -1 with the reason in
 * err.  Nothing below may be called before it succeeded.
 */
int curl_lazy_load(char *err, size_t len);

/* curl.h wraps these two in macros that check the argument count. */
#undef curl_easy_setopt
#undef curl_easy_getinfo

#define curl_global_init         curl_lazy.global_init
#define curl_easy_init           curl_lazy.easy_init
#define curl_easy_setopt         curl_lazy.easy_setopt
#define curl_easy_perform        curl_lazy.easy_perform
#define curl_easy_getinfo        curl_lazy.easy_getinfo
#define curl_easy_cleanup        curl_lazy.easy_cleanup
#define curl_easy_strerror       curl_lazy.easy_strerror
#define curl_easy_escape         curl_lazy.easy_escape
#define curl_free                curl_lazy.free
#define curl_slist_append        curl_lazy.slist_append
#define curl_slist_free_all      curl_lazy.slist_free_all
#define curl_multi_init          curl_lazy.multi_init
#define curl_multi_add_handle    curl_lazy.multi_add_handle
#define curl_multi_remove_handle curl_lazy.multi_remove_handle
#define curl_multi_perform       curl_lazy.multi_perform
#define curl_multi_info_read     curl_lazy.multi_info_read
#define curl_multi_poll          curl_lazy.multi_poll
#define curl_multi_cleanup       curl_lazy.multi_cleanup

#endif /* HVCTL_CLI_CURL_LAZY_H */
