/*
 * cli_harness.h - what the hvctl tests share: running the built hvctl and
 * capturing its output and exit status, a private runtime directory,
 * domain configuration files for pvboot, and cleanup.
 *
 * Tests read like a session at a shell:
 *
 *     RUN_OK(&r, "create", cfg);
 *     RUN_FAIL(&r, 1, "hvctl: error: pause web: domain 'web' (id 1): "
 *                     "already paused\n", "pause", "web");
 */
#ifndef HVCTL_TEST_CLI_HARNESS_H
#define HVCTL_TEST_CLI_HARNESS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmocka.h>

struct run {
    int status;                 /* exit status, or 128 + signal      */
    char out[256 * 1024];
    char err[16 * 1024];
};

struct cli_env {
    char dir[256];              /* private scratch directory         */
    char rundir[300];           /* HVCTL_RUNDIR, inside dir          */
    char hvctl[1024];           /* the built hvctl                   */
    char pvboot[1024];
};

/* The environment every test file gets (set by cli_env_open). */
extern struct cli_env cli_env;

/*
 * Whether domains can run here (/dev/kvm, $HVCORE, $PVBOOT); if not,
 * why.  Tests that boot domains exit 77 (SKIP) when they cannot.
 */
bool cli_can_run_domains(char *why, size_t len);
/*
 * Make the scratch and runtime directories, point HVCTL_RUNDIR and
 * HVCORE_PATH at them / the built hvcore, and clear HVCTL_URL and
 * HVCTL_TOKEN.  Exits 99 (hard error) if that cannot be done.
 */
void cli_env_open(const char *tag);
/* Destroy every domain left in the runtime directory, remove dir. */
void cli_env_close(void);
/* Destroy every domain of the runtime directory (between tests). */
void cli_destroy_all(void);

/*
 * Run hvctl with the NULL-terminated arguments; stdin from /dev/null
 * (or `input` when not NULL).  Returns the status.  A run longer than
 * 60 s is killed and fails the test.
 */
int hvctl_run(struct run *r, const char *input, const char *const *argv);
int hvctl_runl(struct run *r, ...);    /* arguments, then NULL */

/*
 * Arguments put before every later run's own (global options such as
 * "-c", URL), NULL-terminated; NULL for none.  The array must outlive
 * the runs.
 */
void hvctl_prefix(const char *const *args);

/* Run, and assert exit status 0 with nothing on stderr. */
#define RUN_OK(r, ...) run_ok(r, __FILE__, __LINE__, __VA_ARGS__, NULL)
/* Run, and assert `status` and stderr equal to `err` exactly. */
#define RUN_FAIL(r, status, err, ...) \
    run_fail(r, __FILE__, __LINE__, status, err, __VA_ARGS__, NULL)
void run_ok(struct run *r, const char *file, int line, ...);
void run_fail(struct run *r, const char *file, int line, int status,
              const char *err, ...);

/* Assert that haystack contains needle (with a readable failure). */
#define assert_contains(haystack, needle) \
    assert_contains_(haystack, needle, __FILE__, __LINE__)
void assert_contains_(const char *haystack, const char *needle,
                      const char *file, int line);

/*
 * Write a pvboot domain configuration into the scratch directory and
 * return its path (static storage, one per name+format): XML or JSON,
 * 32 MiB (max `max_mib`, 0 = same), 1 vCPU.
 */
const char *cli_config(const char *name, const char *cmdline, bool json,
                       unsigned max_mib);
/* Write text to a file in the scratch directory; its path (static). */
const char *cli_file(const char *basename, const char *text);

/* The domid `hvctl info --json NAME` reports (asserts it runs). */
long cli_domid(const char *name);
/* A JSON key's value as text out of hvctl output ("" if absent). */
const char *json_field(const char *json, const char *key, char *buf,
                       size_t len);

/*
 * A long-running hvctl (events) in the background, its output collected:
 * start it, wait for text to appear, then interrupt it (SIGINT) and get
 * its exit status.
 */
struct watcher {
    pid_t pid;
    int fd;
    size_t len;
    char buf[64 * 1024];
};
void watch_start(struct watcher *w, const char *const *args);
bool watch_until(struct watcher *w, const char *needle, int ms);
int watch_stop(struct watcher *w);
/*
 * Events of domain `name` in a watcher's JSON lines (`hvctl events
 * --json`) appear in the order of `types` (others may come between).
 * Each line must carry a time.
 */
void assert_event_order(const char *lines, const char *name,
                        const char *const *types, size_t n);

/* Milliseconds on the monotonic clock. */
double now_ms(void);
/* Wait up to ms for path to exist. */
bool wait_for_file(const char *path, int ms);

#endif /* HVCTL_TEST_CLI_HARNESS_H */
