/*
 * backend.h - what a command asks of "the host", whichever it is.
 *
 * Two implementations: backend_local.c drives libhvctl on this host (and
 * hands what needs persistence to the local hvctld over its Unix socket),
 * backend_remote.c speaks hvctld's REST API.  Every operation reports its
 * own failure through cli_fail() (so the message can say exactly what the
 * backend saw) and returns EXIT_OK or EXIT_FAIL; none prints anything else.
 *
 * A domain is named by the user's words (`ref`): a name, a domid or a
 * uuid.  Resolving it is the backend's job.
 */
#ifndef HVCTL_CLI_BACKEND_H
#define HVCTL_CLI_BACKEND_H

#include "cli.h"

/* One domain as `list` and `info` show it. */
struct dom_row {
    char name[64];
    char uuid[37];              /* "" when unknown                        */
    long id;                    /* domid, or -1 when not running          */
    char state[16];             /* running, paused, shutdown, crashed,
                                   shutoff (defined, not running)         */
    bool have_size;             /* vcpus and mem_kib are known            */
    unsigned vcpus;
    uint64_t mem_kib;
    bool live;                  /* hvcore's figures below are known       */
    unsigned vcpus_max;
    uint64_t mem_target_kib, mem_max_kib;
    uint64_t cpu_time_ns, uptime_ns;
    unsigned boot_count;
    int pid;                    /* hvcore's pid; 0 when unknown           */
    int persistent;             /* 1 defined in hvctld, 0 not, -1 unknown */
    int autostart;              /* 1, 0, or -1 unknown                    */
};

struct dom_list {
    size_t n;
    struct dom_row *rows;
};

enum dom_action {
    ACT_PAUSE, ACT_UNPAUSE, ACT_REBOOT, ACT_DESTROY, ACT_START,
};

enum cfg_format { CFG_XML, CFG_JSON };

/* One lifecycle event, as `events` prints it. */
struct dom_event {
    uint64_t time_ns;           /* CLOCK_REALTIME */
    char type[16];              /* started, paused, ..., or the agent's   */
    long id;                    /* domid, or -1                           */
    char name[64];
    char detail[128];
    char cause[16];             /* who: api, agent, guest, ... ("" local) */
};

/* Called for each event; non-zero stops the stream. */
typedef int (*event_fn)(struct cli *cli, const struct dom_event *ev);

struct version_info {
    char library[32];           /* "" when not known (remote)             */
    char hypervisor[96];        /* "" when not known                      */
    char agent[32];             /* "" when not asked or not reachable     */
    char agent_note[160];       /* why the agent version is missing       */
};

/*
 * Every operation gets its backend (for its own state) and the cli (for
 * options and error reporting).
 */
struct backend_ops {
    int (*list)(struct backend *, struct cli *, bool all,
                struct dom_list *out);
    int (*info)(struct backend *, struct cli *, const char *ref,
                struct dom_row *out);
    /* Run the domain of a configuration file, without defining it. */
    int (*create)(struct backend *, struct cli *, const char *path,
                  struct dom_row *out);
    int (*action)(struct backend *, struct cli *, const char *ref,
                  enum dom_action act);
    /* timeout_ms: 0 only ask, < 0 wait without limit, else wait so long. */
    int (*shutdown)(struct backend *, struct cli *, const char *ref,
                    int timeout_ms);
    int (*mem_set)(struct backend *, struct cli *, const char *ref,
                   uint64_t mib);
    /* *text is malloc'ed, NUL-terminated. */
    int (*dump)(struct backend *, struct cli *, const char *ref,
                enum cfg_format fmt, char **text);
    int (*define)(struct backend *, struct cli *, const char *path,
                  struct dom_row *out);
    int (*undefine)(struct backend *, struct cli *, const char *ref);
    int (*autostart)(struct backend *, struct cli *, const char *ref,
                     bool on);
    /* Until fn returns non-zero, a signal arrives, or the stream ends. */
    int (*events)(struct backend *, struct cli *, event_fn fn);
    /* A console fd (bidirectional byte stream); name gets the domain's. */
    int (*console)(struct backend *, struct cli *, const char *ref, int *fd,
                   char name[64]);
    /*
     * After that console closed: did the domain end as a domain should
     * (powered off, destroyed), or not?  0 when it did, or when nothing
     * can be learnt; 1 when not, with why it did not in why[len] ("hvcore
     * (pid 42) was killed by signal 9 (Killed) without shutting the
     * domain down").  Waits a little for the answer.
     */
    int (*console_closed)(struct backend *, struct cli *, char *why,
                          size_t len);
    int (*version)(struct backend *, struct cli *, struct version_info *out);
    void (*close)(struct backend *);
};

struct backend {
    const struct backend_ops *ops;
};

/* The two backends; NULL after reporting why they cannot open. */
struct backend *backend_local_open(struct cli *cli);
struct backend *backend_remote_open(struct cli *cli, const char *url);

void dom_list_free(struct dom_list *l);
/* Append a zeroed row (id -1, persistent/autostart -1); NULL if no memory. */
struct dom_row *dom_list_add(struct dom_list *l);

#endif /* HVCTL_CLI_BACKEND_H */
