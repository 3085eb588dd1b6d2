/*
 * harness.h - what the hvctld tests share: a real hvctld on a private
 * database, runtime directory and Unix socket; an HTTP client (libcurl)
 * that checks every response it receives against schema/openapi.yaml;
 * an event-stream reader; and a cleanup that leaves no domain behind.
 */
#ifndef HVCTLD_TEST_HARNESS_H
#define HVCTLD_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

struct agentd {
    char dir[128];              /* private temporary directory */
    char db[192], rundir[192], sock[192], log[192];
    pid_t pid;                  /* 0 when not running */
    char tcp_url[96];           /* "http(s)://127.0.0.1:PORT" with --listen */
};

/*
 * main() of a test that runs hvctld: SKIP (exit 77, with why) where
 * domains cannot run, else libcurl set up around the cmocka group, and the
 * number of answers checked against the spec.  Use HARNESS_MAIN().
 */
struct CMUnitTest;
int harness_main(const char *group, const struct CMUnitTest *tests,
                 size_t count, int (*setup)(void **),
                 int (*teardown)(void **));
#define HARNESS_MAIN(tests, setup, teardown) \
    harness_main(__FILE__, tests, sizeof(tests) / sizeof((tests)[0]), \
                 setup, teardown)

/* Can domains run here ($HVCORE, $PVBOOT, /dev/kvm)?  Else why. */
bool harness_can_run(char *why, size_t len);
/* Path of the built hvctld, pvboot. */
const char *harness_hvctld(void);
const char *harness_pvboot(void);

/* A fresh directory for an agent (nothing started yet). */
void agentd_init(struct agentd *ad, const char *tag);
/*
 * Start hvctld with --db, --rundir, -v and extra (NULL-ended, may be
 * NULL); returns once its socket answers.  0, or -1 if it exited (its
 * status in *status if not NULL).
 */
int agentd_start(struct agentd *ad, const char *const *extra, int *status);
/* A loopback TCP port that was free a moment ago, as text. */
void harness_free_port(char *port, size_t len);
/*
 * agentd_start with "--listen 127.0.0.1:PORT" and extra, PORT a free
 * loopback port (written to port).  Another program may take the port
 * between harness_free_port() and the agent's bind: if the agent exits,
 * again on another port (5 tries).  0, or -1.
 */
int agentd_start_tcp(struct agentd *ad, const char *const *extra,
                     char *port, size_t len);
/* SIGTERM and wait: the exit status. */
int agentd_stop(struct agentd *ad);
void agentd_kill9(struct agentd *ad);
/* Destroy every domain in the runtime directory, remove everything. */
void agentd_cleanup(struct agentd *ad);
/* Run `hvctld ARGS...` to completion; its exit status, stdout in out. */
int run_hvctld(char *out, size_t outlen, const char *const *argv);

struct resp {
    long status;
    char *body;                 /* NUL-terminated */
    size_t len;
    char ctype[128], location[256], allow[128], www_auth[128];
    json_object *json;          /* parsed when the body is JSON */
};
void resp_free(struct resp *r);

struct req {
    const char *method;
    const char *path;           /* "/v1/..." */
    const char *ctype;          /* Content-Type, or NULL */
    const char *accept;
    const char *body;
    size_t len;                 /* 0 with body: strlen(body) */
    const char *token;          /* Authorization: Bearer */
    const char *extra_header;   /* one more "Key: value" */
    /* Over TCP instead of the Unix socket: */
    const char *url;            /* "https://127.0.0.1:PORT" */
    const char *cacert, *cert, *key;
    bool no_check;              /* skip the openapi check */
};

/*
 * Send a request (to ad's socket unless q->url); 0, or -1 when no
 * answer came (connection refused, reset).  Every answer is checked
 * against the spec: a mismatch fails the test.
 */
int http(struct agentd *ad, const struct req *q, struct resp *r);
/* Shorthands over the Unix socket; fail the test on no answer. */
struct resp GET(struct agentd *ad, const char *path);
struct resp POST(struct agentd *ad, const char *path, const char *json);
struct resp PUT(struct agentd *ad, const char *path, const char *json);
struct resp DELETE(struct agentd *ad, const char *path);

/* Walk a dotted path ("runtime.memory.max_kib") in a JSON object. */
json_object *jget(json_object *o, const char *dotted);
const char *jstr(json_object *o, const char *dotted);      /* "" if absent */
long long jint(json_object *o, const char *dotted);        /* -1 if absent */

/* A pvboot domain config as JSON; caller frees. */
char *domain_json(const char *name, const char *cmdline, unsigned mem_mib);
/* r must be status with error code and (unless NULL) message, verbatim. */
void expect_error(const struct resp *r, long status, const char *code,
                  const char *message);
/* POST a domain_json() config: it must be defined (201). */
void define_domain(struct agentd *ad, const char *name, const char *cmdline,
                   unsigned mem_mib);
/* POST /v1/domains/NAME/destroy: it must succeed. */
void destroy_domain(struct agentd *ad, const char *name);
/* The names GET /v1/domains?QUERY lists, comma-separated (static). */
const char *list_names(struct agentd *ad, const char *query);
/* Poll a job until it ends; its final state ("succeeded", ...). */
const char *wait_job(struct agentd *ad, long long id, struct resp *final);
/* POST /v1/domains/NAME/start and wait for the job: it must succeed. */
void start_domain(struct agentd *ad, const char *name);
/* Poll GET /v1/domains/NAME until state is `state` (true) or timeout. */
bool wait_state(struct agentd *ad, const char *name, const char *state,
                int timeout_ms);

/* An event stream (HTTP/1.0 over the Unix socket, so no chunking). */
int sse_open(struct agentd *ad, long long since);
/* The same, resuming as a reconnecting client does (Last-Event-ID). */
int sse_open_last_event_id(struct agentd *ad, long long last_id);
/* The same with ?jobs=true: job progress ("event: job", Job objects,
 * which have no "type") comes too. */
int sse_open_jobs(struct agentd *ad);
/* The next event's data within timeout_ms; NULL on timeout or end. */
json_object *sse_next(int fd, int timeout_ms);
void sse_close(int fd);
/* Next event of type `type` for domain `name` (others skipped). */
json_object *sse_wait(int fd, const char *type, const char *name,
                      int timeout_ms);

double now_ms(void);

struct openapi;
/* schema/openapi.yaml, loaded once (from $HV_SRCDIR). */
struct openapi *harness_spec(void);

/* Every check of the spec made so far, for the logs. */
extern unsigned long harness_checked;

#endif /* HVCTLD_TEST_HARNESS_H */
