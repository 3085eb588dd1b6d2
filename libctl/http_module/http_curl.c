/*
 * http_curl.c - libhvctl-http.so, the driver module that carries the
 * agent driver's HTTP over TCP and TLS (https://, http://) with libcurl.
 *
 * It is a module, loaded by libhvctl on the first remote connection, so
 * that a program using only local connections never maps libcurl and
 * its thirty-odd libraries (docs/client-path.md).  It is linked against
 * libcurl the ordinary way, so whichever flavour configure found
 * (OpenSSL, GnuTLS) is the one used.  It exports one symbol,
 * hv_http_transport_v1 (http_transport.h), and knows nothing of REST:
 * it moves requests and bytes.
 *
 * A request reuses the connection's easy handle (and so its kept TCP and
 * TLS connection).  An event stream runs in a thread of its own, on a
 * multi handle it can wake, and hands the body over a socket pair whose
 * reading end is the stream's pollable fd.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "http_scheme.h"
#include "http_transport.h"

#define CONNECT_TIMEOUT_S 30L
#define BODY_MAX (64u << 20)

struct ht_conn {
    CURL *curl;
    char *base, *cacert, *cert, *key, *auth;
    char errbuf[CURL_ERROR_SIZE];
};

struct ht_stream {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    CURLM *multi;
    CURL *curl;
    struct curl_slist *hdr;
    int fds[2];                 /* [0] ours (stream_fd), [1] the thread's */
    bool head_done, finished, stop;
    long status;
    struct ht_response err_body; /* a non-200 answer's body */
    char errbuf[CURL_ERROR_SIZE];
    char err[HT_ERR_MAX];       /* why the transfer ended */
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* The options every transfer of c gets. */
static void base_options(const struct ht_conn *c, CURL *curl, char *errbuf)
{
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "libhvctl");
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    if (c->cacert)
        curl_easy_setopt(curl, CURLOPT_CAINFO, c->cacert);
    if (c->cert)
        curl_easy_setopt(curl, CURLOPT_SSLCERT, c->cert);
    if (c->key)
        curl_easy_setopt(curl, CURLOPT_SSLKEY, c->key);
}

/* The request's headers; NULL when out of memory. */
static struct curl_slist *headers(const struct ht_conn *c,
                                  const struct ht_request *q, bool stream)
{
    struct curl_slist *h = NULL, *n;
    char line[300];

    snprintf(line, sizeof(line), "Accept: %s",
             stream ? "text/event-stream"
                    : q->accept ? q->accept : "application/json");
#define ADD(s) do { if (!(n = curl_slist_append(h, s))) goto fail; h = n; } \
               while (0)
    ADD(line);
    ADD("Expect:");
    if (c->auth)
        ADD(c->auth);
    if (q->body) {
        snprintf(line, sizeof(line), "Content-Type: %s",
                 q->ctype ? q->ctype : "application/json");
        ADD(line);
    }
    if (q->last_event_id) {
        snprintf(line, sizeof(line), "Last-Event-ID: %s", q->last_event_id);
        ADD(line);
    }
#undef ADD
    return h;
fail:
    curl_slist_free_all(h);
    return NULL;
}

static void set_method(CURL *curl, const struct ht_request *q)
{
    if (!strcmp(q->method, "GET")) {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
        return;
    }
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)(q->body ? q->len : 0));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, q->body ? q->body : "");
    if (strcmp(q->method, "POST"))
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, q->method);
}

/* A failed transfer in one line. */
static void curl_err(CURLcode rc, const char *errbuf, char *err)
{
    const char *why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    bool connecting = rc == CURLE_COULDNT_CONNECT ||
                      rc == CURLE_COULDNT_RESOLVE_HOST ||
                      rc == CURLE_SSL_CONNECT_ERROR ||
                      rc == CURLE_PEER_FAILED_VERIFICATION ||
                      rc == CURLE_SSL_CACERT_BADFILE ||
                      rc == CURLE_SSL_CERTPROBLEM ||
                      rc == CURLE_SSL_CIPHER;
    const char *pfx = connecting ? "cannot connect: " : "";

    /* Cut to fit: libcurl's error buffer alone may fill err. */
    snprintf(err, HT_ERR_MAX, "%s%.*s", pfx, HT_ERR_MAX - 1 - (int)strlen(pfx), why);
    /* One line: libcurl's texts sometimes end in a newline. */
    err[strcspn(err, "\r\n")] = '\0';
}

static size_t collect(char *p, size_t size, size_t n, void *opaque)
{
    struct ht_response *r = opaque;
    size_t len = size * n;
    char *nb;

    if (r->len + len > BODY_MAX || !(nb = realloc(r->body, r->len + len + 1)))
        return 0;
    memcpy(nb + r->len, p, len);
    r->body = nb;
    r->len += len;
    r->body[r->len] = '\0';
    return len;
}

static int c_open(const struct ht_params *p, struct ht_conn **out, char *err)
{
    struct ht_conn *c;

    *out = NULL;
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK) {
        snprintf(err, HT_ERR_MAX, "libcurl: %s", curl_easy_strerror(global_rc));
        return -1;
    }
    if (!(c = calloc(1, sizeof(*c))))
        goto nomem;
    c->base = dup_or_null(p->base);
    c->cacert = dup_or_null(p->cacert);
    c->cert = dup_or_null(p->cert);
    c->key = dup_or_null(p->key);
    if (p->token) {
        size_t len = strlen(p->token) + sizeof("Authorization: Bearer ");
        if ((c->auth = malloc(len)))
            snprintf(c->auth, len, "Authorization: Bearer %s", p->token);
    }
    c->curl = curl_easy_init();
    if (!c->base || !c->curl || (p->cacert && !c->cacert) ||
        (p->cert && !c->cert) || (p->key && !c->key) ||
        (p->token && !c->auth))
        goto nomem;
    *out = c;
    return 0;
nomem:
    snprintf(err, HT_ERR_MAX, "out of memory");
    if (c) {
        if (c->curl)
            curl_easy_cleanup(c->curl);
        free(c->base);
        free(c->cacert);
        free(c->cert);
        free(c->key);
        free(c->auth);
        free(c);
    }
    return -1;
}

static char *url_of(const struct ht_conn *c, const char *path)
{
    size_t len = strlen(c->base) + strlen(path) + 1;
    char *url = malloc(len);

    if (url)
        snprintf(url, len, "%s%s", c->base, path);
    return url;
}

static int c_request(struct ht_conn *c, const struct ht_request *q,
                     struct ht_response *r, char *err)
{
    struct curl_slist *hdr = headers(c, q, false);
    char *url = url_of(c, q->path);
    CURLcode rc;
    long status = 0;

    memset(r, 0, sizeof(*r));
    if (!hdr || !url) {
        curl_slist_free_all(hdr);
        free(url);
        snprintf(err, HT_ERR_MAX, "out of memory");
        return -1;
    }
    /* Reset drops the last request's options but keeps its connection. */
    curl_easy_reset(c->curl);
    c->errbuf[0] = '\0';
    base_options(c, c->curl, c->errbuf);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS,
                     (long)(q->timeout_ms > 0 ? q->timeout_ms : 120000));
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, r);
    set_method(c->curl, q);
    rc = curl_easy_perform(c->curl);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdr);
    free(url);
    if (rc != CURLE_OK) {
        curl_err(rc, c->errbuf, err);
        http_scheme_explain(c->curl, c->base, rc, err, HT_ERR_MAX);
        free(r->body);
        memset(r, 0, sizeof(*r));
        return -1;
    }
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    r->status = status;
    return 0;
}

/* ---- event streams ---- */

static void head_done(struct ht_stream *s, long status)
{
    pthread_mutex_lock(&s->lock);
    if (!s->head_done) {
        s->head_done = true;
        s->status = status;
        pthread_cond_broadcast(&s->cond);
    }
    pthread_mutex_unlock(&s->lock);
}

static size_t on_header(char *p, size_t size, size_t n, void *opaque)
{
    struct ht_stream *s = opaque;
    long status = 0;

    if (size * n <= 2 && (p[0] == '\r' || p[0] == '\n')) {
        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
        if (status == 200)
            head_done(s, 200);
    }
    return size * n;
}

static size_t on_body(char *p, size_t size, size_t n, void *opaque)
{
    struct ht_stream *s = opaque;
    size_t len = size * n, off = 0;

    if (s->status != 200)
        return collect(p, size, n, &s->err_body);
    while (off < len) {
        ssize_t w = send(s->fds[1], p + off, len - off, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return 0;           /* our reader has gone: abort */
        off += (size_t)w;
    }
    return len;
}

static void *stream_thread(void *opaque)
{
    struct ht_stream *s = opaque;
    int running = 1;
    CURLMsg *m;
    int left;
    CURLcode rc = CURLE_OK;

    while (running) {
        bool stop;
        if (curl_multi_perform(s->multi, &running) != CURLM_OK)
            break;
        pthread_mutex_lock(&s->lock);
        stop = s->stop;
        pthread_mutex_unlock(&s->lock);
        if (stop || !running)
            break;
        curl_multi_poll(s->multi, NULL, 0, 1000, NULL);
    }
    while ((m = curl_multi_info_read(s->multi, &left)))
        if (m->msg == CURLMSG_DONE)
            rc = m->data.result;
    if (!s->head_done) {
        long status = 0;
        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
        head_done(s, rc == CURLE_OK ? status : -1);
    }
    pthread_mutex_lock(&s->lock);
    if (rc != CURLE_OK)
        curl_err(rc, s->errbuf, s->err);
    else if (s->status != 200)
        snprintf(s->err, sizeof(s->err), "the agent answered HTTP %ld",
                 s->status);
    else
        snprintf(s->err, sizeof(s->err), "the agent ended the event stream");
    s->finished = true;
    pthread_mutex_unlock(&s->lock);
    /* End of stream for the reader. */
    shutdown(s->fds[1], SHUT_WR);
    return NULL;
}

static void stream_free(struct ht_stream *s)
{
    if (s->multi && s->curl)
        curl_multi_remove_handle(s->multi, s->curl);
    if (s->curl)
        curl_easy_cleanup(s->curl);
    if (s->multi)
        curl_multi_cleanup(s->multi);
    curl_slist_free_all(s->hdr);
    if (s->fds[0] >= 0)
        close(s->fds[0]);
    if (s->fds[1] >= 0)
        close(s->fds[1]);
    free(s->err_body.body);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}

static void c_stream_close(struct ht_stream *s);

/* Wait for the answer's head: 0, or -1 after timeout_ms. */
static int head_wait(struct ht_stream *s, int timeout_ms)
{
    struct timespec end;
    int rc = 0;

    clock_gettime(CLOCK_REALTIME, &end);
    end.tv_sec += timeout_ms / 1000;
    end.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (end.tv_nsec >= 1000000000L) {
        end.tv_sec++;
        end.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    while (!s->head_done && rc == 0)
        rc = pthread_cond_timedwait(&s->cond, &s->lock, &end);
    rc = s->head_done ? 0 : -1;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int c_stream_open(struct ht_conn *c, const struct ht_request *q,
                         struct ht_stream **out, struct ht_response *r,
                         char *err)
{
    struct ht_stream *s = calloc(1, sizeof(*s));
    char *url = url_of(c, q->path);

    *out = NULL;
    memset(r, 0, sizeof(*r));
    if (!s || !url) {
        free(s);
        free(url);
        snprintf(err, HT_ERR_MAX, "out of memory");
        return -1;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    s->fds[0] = s->fds[1] = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s->fds) < 0) {
        snprintf(err, HT_ERR_MAX, "socketpair: %s", strerror(errno));
        goto fail;
    }
    s->multi = curl_multi_init();
    s->curl = curl_easy_init();
    s->hdr = headers(c, q, true);
    if (!s->multi || !s->curl || !s->hdr) {
        snprintf(err, HT_ERR_MAX, "out of memory");
        goto fail;
    }
    base_options(c, s->curl, s->errbuf);
    curl_easy_setopt(s->curl, CURLOPT_URL, url);
    curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, s->hdr);
    curl_easy_setopt(s->curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, s);
    /*
     * The agent says ": keep-alive" every 15 s: a stream silent for three
     * of them has lost its peer (a TCP connection may never say so), and
     * ends, so the driver reconnects.
     */
    curl_easy_setopt(s->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(s->curl, CURLOPT_LOW_SPEED_TIME, 45L);
    curl_multi_add_handle(s->multi, s->curl);
    if (pthread_create(&s->thread, NULL, stream_thread, s) != 0) {
        snprintf(err, HT_ERR_MAX, "cannot start the stream's thread");
        goto fail;
    }
    free(url);
    if (q->timeout_ms == 0) {
        /* The thread reads the head; a refusal ends the stream. */
        *out = s;
        return 0;
    }
    if (head_wait(s, q->timeout_ms)) {
        c_stream_close(s);
        snprintf(err, HT_ERR_MAX, "the agent did not answer in time");
        return -1;
    }
    if (s->status == 200) {
        *out = s;
        return 0;
    }
    pthread_join(s->thread, NULL);
    if (s->status < 0) {
        snprintf(err, HT_ERR_MAX, "%s", s->err);
        stream_free(s);
        return -1;
    }
    *r = s->err_body;
    r->status = s->status;
    s->err_body.body = NULL;
    stream_free(s);
    return 0;
fail:
    free(url);
    stream_free(s);
    return -1;
}

static int c_stream_fd(const struct ht_stream *s)
{
    return s->fds[0];
}

static ssize_t c_stream_read(struct ht_stream *s, char *buf, size_t len,
                             char *err)
{
    for (;;) {
        ssize_t n = recv(s->fds[0], buf, len, MSG_DONTWAIT);
        if (n > 0)
            return n;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        pthread_mutex_lock(&s->lock);
        snprintf(err, HT_ERR_MAX, "%s",
                 s->finished && s->err[0] ? s->err : "the event stream ended");
        pthread_mutex_unlock(&s->lock);
        return -1;
    }
}

static void c_stream_close(struct ht_stream *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_mutex_unlock(&s->lock);
    /* A thread blocked handing us bytes sees its peer go. */
    shutdown(s->fds[0], SHUT_RDWR);
    curl_multi_wakeup(s->multi);
    pthread_join(s->thread, NULL);
    stream_free(s);
}

static void c_close(struct ht_conn *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    free(c->base);
    free(c->cacert);
    free(c->cert);
    free(c->key);
    if (c->auth)
        memset(c->auth, 0, strlen(c->auth));
    free(c->auth);
    free(c);
}

__attribute__((visibility("default")))
const struct hv_http_transport hv_http_transport_v1 = {
    .version = HV_HTTP_TRANSPORT_VERSION,
    .size = sizeof(struct hv_http_transport),
    .open = c_open,
    .request = c_request,
    .stream_open = c_stream_open,
    .stream_fd = c_stream_fd,
    .stream_read = c_stream_read,
    .stream_close = c_stream_close,
    .close = c_close,
};
