/*
 * http_transport.h - how the agent driver's REST code (drv_agent*.c)
 * talks HTTP, whatever carries it: the Unix-socket client inside
 * libhvctl (agent_unix.c) or the libcurl module libhvctl-http.so
 * (http_module/), which libhvctl dlopen()s for https:// and http://
 * (agent_module.c).  One table of functions, so the REST code (paths,
 * JSON, jobs, errors, SSE) is written once (docs/client-path.md).
 *
 * The module exports one symbol, HV_HTTP_TRANSPORT_SYMBOL, a const
 * struct hv_http_transport whose `version` must equal
 * HV_HTTP_TRANSPORT_VERSION and whose `size` must cover this struct: a
 * module from another build is refused with a message, not called.
 *
 * Header only, shared by libhvctl and the module; not installed.
 * Failures return -1 and a one-line reason in err[HT_ERR_MAX] ("cannot
 * connect: Connection refused"); the caller puts the URI in front.
 */
#ifndef HVCTL_HTTP_TRANSPORT_H
#define HVCTL_HTTP_TRANSPORT_H

#include <stddef.h>
#include <sys/types.h>

#define HV_HTTP_TRANSPORT_VERSION 1
#define HV_HTTP_TRANSPORT_SYMBOL "hv_http_transport_v1"
#define HT_ERR_MAX 256

/* Where and how to connect (the parsed URI's parts). */
struct ht_params {
    const char *base;           /* "https://HOST:PORT", or NULL for unix */
    const char *socket;         /* the Unix socket path, or NULL         */
    const char *cacert, *cert, *key, *token;
};

struct ht_request {
    const char *method;         /* "GET", "POST", "PUT", "DELETE"        */
    const char *path;           /* "/v1/...", query included             */
    const char *body;           /* NULL: none                            */
    size_t len;
    const char *ctype;          /* the body's Content-Type               */
    const char *accept;         /* NULL: application/json                */
    const char *last_event_id;  /* streams: resume after this id, or NULL */
    /*
     * The whole exchange; for a stream, the wait for its head, and 0
     * there means do not wait: the head is read by stream_read.
     */
    int timeout_ms;
};

struct ht_response {
    long status;
    char *body;                 /* malloc'ed, NUL-terminated, or NULL    */
    size_t len;
};

struct ht_conn;
struct ht_stream;

struct hv_http_transport {
    unsigned version;           /* HV_HTTP_TRANSPORT_VERSION             */
    size_t size;                /* sizeof(struct hv_http_transport)      */
    /* A connection (keep-alive where the transport can); 0 or -1. */
    int (*open)(const struct ht_params *p, struct ht_conn **out,
                char *err);
    /* One exchange on it, any status; 0 or -1 (no answer). */
    int (*request)(struct ht_conn *c, const struct ht_request *q,
                   struct ht_response *r, char *err);
    /*
     * A long answer (text/event-stream) on a connection of its own.  0
     * with *out once the head said 200; 0 with *out NULL and r filled for
     * any other status; -1 when there was no answer.  With timeout_ms 0,
     * 0 and *out as soon as the request is on its way; a head other than
     * 200 then ends the stream (stream_read: -1, and why).  Safe to call
     * while another thread is in request() on the same connection.
     */
    int (*stream_open)(struct ht_conn *c, const struct ht_request *q,
                       struct ht_stream **out, struct ht_response *r,
                       char *err);
    /* Readable when stream_read may have something. */
    int (*stream_fd)(const struct ht_stream *s);
    /*
     * The body's next bytes (transfer coding removed), without blocking:
     * > 0 bytes, 0 nothing now, -1 the stream has ended (or failed: err).
     */
    ssize_t (*stream_read)(struct ht_stream *s, char *buf, size_t len,
                           char *err);
    void (*stream_close)(struct ht_stream *s);
    void (*close)(struct ht_conn *c);
};

/*
 * text from the agent (a status line, its error message), quoted into
 * out[size] as one line: a control byte becomes \xNN, so what an agent
 * at the other end of https:// says can neither break a message into
 * lines nor send escape sequences to the user's terminal.  At most max
 * bytes of text are taken.
 */
static inline void ht_printable(const char *text, size_t max, char *out,
                                size_t size)
{
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;

    for (; *text && max && k + 5 < size; text++, max--) {
        unsigned char c = (unsigned char)*text;
        if (c < 0x20 || c == 0x7f) {
            out[k++] = '\\';
            out[k++] = 'x';
            out[k++] = hex[c >> 4];
            out[k++] = hex[c & 15];
        } else {
            out[k++] = (char)c;
        }
    }
    if (size)
        out[k] = '\0';
}

/* The Unix-socket transport inside libhvctl (agent_unix.c). */
extern const struct hv_http_transport ht_unix;

void ht_response_free(struct ht_response *r);

#endif /* HVCTL_HTTP_TRANSPORT_H */
