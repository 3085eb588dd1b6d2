/*
 * fuzz_agent_json.c - libFuzzer harness for what libhvctl's agent driver
 * reads from the agent's answers: the host object (drv_agent.c), domain
 * objects and lists through the field table (domain_fields.c
 * fields_from_json, agent_domain.c), jobs followed to their end, the
 * error bodies mapped to HV_E* codes, configurations, and the event
 * stream's Server-Sent Events parsed into hv_event (agent_events.c),
 * with its reconnection and Last-Event-ID.
 *
 * The input is the agent's answers, one part per request, between lines
 * "%%" (agent_peer.h); a part that starts with three digits and a
 * newline has that status, else 200.  Each is sent as a well-formed
 * HTTP answer with its Content-Length on a kept connection (the framing
 * is fuzz_agent_http's job), and an answer to GET /v1/events as a
 * stream that then ends.  Through the public API, over unix://, the
 * client opens a connection (GET /v1/host), lists, creates a domain
 * (and reads its info through that handle), looks one up, reads its
 * info, sets its memory, reads its configuration and autostart, shuts
 * it down, lists its devices, asks the agent's version, and reads events until the stream
 * ended and the source asked to resume.
 *
 * Checked besides crashes, leaks, sanitizer errors and hangs: every
 * failure has a one-line message (the agent's own text included); what
 * libhvctl sends is well-formed HTTP, whatever event ids it was given.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_peer.h"
#include "fuzz_check.h"
#include "hvctl.h"

#define ANSWERS_MAX 24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct script {
    struct section s[ANSWERS_MAX];
    size_t n, next;
    char *framed[ANSWERS_MAX];
    int streams;                /* GET /v1/events requests */
};

static bool answer(void *ctx, const char *head, const char **out,
                   size_t *len, bool *keep)
{
    struct script *sc = ctx;
    bool stream = !strncmp(head, "GET /v1/events ", 15);
    const char *body;
    size_t blen, k = sc->next;
    int status = 200, n;

    if (stream && ++sc->streams > 1)
        return false;           /* asked to resume: the input is over */
    if (k == sc->n)
        return false;
    body = sc->s[k].p;
    blen = sc->s[k].n;
    if (blen >= 4 && body[0] >= '1' && body[0] <= '9' &&
        body[1] >= '0' && body[1] <= '9' && body[2] >= '0' &&
        body[2] <= '9' && body[3] == '\n') {
        status = (body[0] - '0') * 100 + (body[1] - '0') * 10 + body[2] - '0';
        body += 4;
        blen -= 4;
    }
    FUZZ_CHECK((sc->framed[k] = malloc(blen + 128)), "out of memory");
    if (stream && status == 200)
        n = snprintf(sc->framed[k], 128, "HTTP/1.1 200 OK\r\n"
                     "Content-Type: text/event-stream\r\n\r\n");
    else
        n = snprintf(sc->framed[k], 128, "HTTP/1.1 %d X\r\n"
                     "Content-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n", status, blen);
    memcpy(sc->framed[k] + n, body, blen);
    *out = sc->framed[k];
    *len = (size_t)n + blen;
    /* A 1xx is not an answer: the client would wait for the next. */
    *keep = !stream && status >= 200;
    sc->next++;
    return true;
}

/* A call's outcome: a failure must say why in one line. */
static int check(int rc, const char *what)
{
    if (rc)
        peer_check_message(what, hv_last_error());
    return rc;
}

static void read_info(const hv_domain_info *i)
{
    /* The strings are the library's: terminated, whatever came. */
    FUZZ_CHECK(strlen(hv_domain_info_get_name(i)) < 64, "name");
    FUZZ_CHECK(strlen(hv_domain_info_get_uuid(i)) < 64, "uuid");
    (void)hv_state_name(hv_domain_info_get_state(i));
    (void)hv_reason_name(hv_domain_info_get_reason(i));
}

static void on_domain(struct peer *p, hv_domain *d)
{
    hv_domain_info *info;
    hv_config *cfg;
    hv_devlist *devs;
    int autostart;

    if (!check(hv_domain_get_info(d, &info), "get_info")) {
        read_info(info);
        hv_domain_info_free(info);
    }
    peer_settle(p);
    check(hv_domain_set_memory(d, 64, 0), "set_memory");
    peer_settle(p);
    if (!check(hv_domain_get_config(d, &cfg), "get_config"))
        hv_config_free(cfg);
    peer_settle(p);
    check(hv_domain_get_autostart(d, &autostart), "get_autostart");
    peer_settle(p);
    check(hv_domain_shutdown(d, 1000, 0, NULL), "shutdown");
    peer_settle(p);
    if (!check(hv_domain_get_devices(d, 0, &devs), "get_devices")) {
        for (size_t k = 0; k < hv_devlist_count(devs); k++) {
            uint64_t v;
            FUZZ_CHECK(strlen(hv_devlist_get_id(devs, k)) < 16, "device id");
            FUZZ_CHECK(strlen(hv_devlist_get_backend(devs, k)) < 128,
                       "device backend");
            (void)hv_device_state_name(hv_devlist_get_state(devs, k));
            for (int c = HV_DEVICE_REQS_IN; c <= HV_DEVICE_RECONNECTS; c++)
                (void)hv_devlist_get_counter(devs, k, c, &v);
        }
        hv_devlist_free(devs);
    }
    peer_settle(p);
}

/*
 * Events until the source, its stream ended, asked to resume (or it had
 * none): every event's strings are terminated.
 */
static void events(struct peer *p, struct script *sc, hv_conn *conn)
{
    hv_events *ev;
    hv_event *e;
    int rc;

    if (check(hv_events_open(conn, &ev), "events_open"))
        return;
    for (;;) {
        e = NULL;
        rc = hv_event_next(ev, &e);
        if (rc == 0) {
            FUZZ_CHECK(strlen(hv_event_get_name(e)) < 64 &&
                       strlen(hv_event_get_uuid(e)) < 64 &&
                       strlen(hv_event_get_detail(e)) < 4096, "event");
            (void)hv_event_type_name(hv_event_get_type(e));
            hv_event_free(e);
            continue;
        }
        FUZZ_CHECK(rc == HV_EAGAIN, "hv_event_next: %d %s", rc,
                   hv_last_error());
        peer_settle(p);
        if (sc->streams > 1)
            break;
        peer_wait_readable(hv_events_get_fd(ev), "the event source neither "
                           "read its ended stream nor reconnected in 30 s");
    }
    hv_events_free(ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char minimal[] = "{\"type\": \"pv\", \"name\": \"web\", "
        "\"memory\": {\"max_mib\": 64}, \"vcpus\": {\"max\": 1}, "
        "\"os\": {\"kernel\": \"/boot/pvboot\"}}";
    struct script sc = { .n = peer_sections(data, size, sc.s, ANSWERS_MAX) };
    struct peer *p = peer_start(answer, &sc);
    hv_conn *conn = NULL;
    hv_domlist *l;
    hv_domain *d;
    hv_config *cfg = NULL;
    char uri[200], *version;

    snprintf(uri, sizeof(uri), "unix://%s", peer_path(p));
    if (check(hv_conn_open_uri(uri, 0, &conn), "open"))
        goto out;
    peer_settle(p);
    if (!check(hv_domain_list(conn, &l), "list")) {
        for (size_t i = 0; i < hv_domlist_count(l); i++)
            read_info(hv_domlist_get(l, i));
        hv_domlist_free(l);
    }
    peer_settle(p);
    FUZZ_CHECK(hv_config_from_json(minimal, strlen(minimal), "fuzz", &cfg) ==
               0, "%s", hv_last_error());
    if (!check(hv_domain_create(conn, cfg, 0, &d), "create")) {
        hv_domain_info *info;
        /* A handle from a start job's result: its requests carry it. */
        peer_settle(p);
        if (!check(hv_domain_get_info(d, &info), "get_info")) {
            read_info(info);
            hv_domain_info_free(info);
        }
        hv_domain_free(d);
    }
    hv_config_free(cfg);
    peer_settle(p);
    if (!check(hv_domain_lookup_by_name(conn, "web", &d), "lookup")) {
        peer_settle(p);
        on_domain(p, d);
        hv_domain_free(d);
    }
    peer_settle(p);
    if (!check(hv_conn_get_agent_version(conn, &version), "version"))
        free(version);
    peer_settle(p);
    events(p, &sc, conn);
out:
    hv_conn_free(conn);
    peer_stop(p);
    for (size_t i = 0; i < sc.n; i++)
        free(sc.framed[i]);
    return 0;
}
