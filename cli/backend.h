/*
 * backend.h - what a command asks of "the host", whichever it is: every
 * domain operation, through libhvctl's public API on the connection the
 * -c URI names (hv_conn_open_uri; backend_lib.c, backend_lib_io.c).
 * Which driver serves it (direct, or hvctld's agent over its Unix socket
 * or HTTPS) is libhvctl's business, so the commands see every connection
 * alike.
 *
 * Every operation reports its own failure through cli_fail() (so the
 * message can say exactly what libhvctl saw) and returns EXIT_OK or
 * EXIT_FAIL; none prints anything else.  A domain is named by the user's
 * words (`ref`): a name, a domid or a uuid.  What is known of a domain
 * is the field table's struct hv_fields (libctl/domain_fields.h), and the
 * output is made from it.
 */
#ifndef HVCTL_CLI_BACKEND_H
#define HVCTL_CLI_BACKEND_H

#include "cli.h"
#include "domain_fields.h"
#include "hvctl.h"

struct dom_list {
    size_t n;
    struct hv_fields *rows;
};

enum dom_action {
    ACT_PAUSE, ACT_UNPAUSE, ACT_REBOOT, ACT_DESTROY, ACT_START,
};

/* One lifecycle event, as `events` prints it. */
struct dom_event {
    uint64_t time_ns;           /* CLOCK_REALTIME */
    char type[16];              /* started, paused, ..., or the agent's   */
    uint32_t id;                /* domid, or HV_DOMID_NONE                */
    char name[64];
    char uuid[37];              /* "" when not known                      */
    char detail[128];
    char reason[16];            /* hv_reason_name(); "" when not known    */
    char cause[16];             /* who: api, agent, guest, ... ("" unknown) */
};

/* Called for each event; non-zero stops the stream. */
typedef int (*event_fn)(struct cli *cli, const struct dom_event *ev);

struct version_info {
    char library[32];           /* "" when not known (remote)             */
    char hypervisor[96];        /* "" when not known                      */
    char agent[32];             /* "" when not asked or not reachable     */
    char agent_note[160];       /* why the agent version is missing       */
};

struct backend;

/* libhvctl on the connection `uri`; NULL after reporting why. */
struct backend *backend_open(struct cli *cli, const char *uri);
void be_close(struct backend *be);

/*
 * flags as hv_domain_list_filtered (HV_LIST_*; 0 is HV_LIST_ACTIVE),
 * name_glob NULL for any.  Rows are appended to out.
 */
int be_list(struct backend *be, struct cli *cli, unsigned flags,
            const char *name_glob, struct dom_list *out);
int be_info(struct backend *be, struct cli *cli, const char *ref,
            struct hv_fields *out);
/* Run cfg without defining it: a transient domain (flags: HV_CREATE_*). */
int be_create(struct backend *be, struct cli *cli, const hv_config *cfg,
              unsigned flags, struct hv_fields *out);
int be_action(struct backend *be, struct cli *cli, const char *ref,
              enum dom_action act);
/* timeout_ms: 0 only ask, < 0 wait without limit, else wait so long. */
int be_shutdown(struct backend *be, struct cli *cli, const char *ref,
                int timeout_ms);
/* Every running domain (hv_conn_shutdown_all); timeout_ms the same. */
int be_shutdown_all(struct backend *be, struct cli *cli, int timeout_ms);
int be_mem_set(struct backend *be, struct cli *cli, const char *ref,
               uint64_t mib);
/*
 * The configuration: the running one when the domain runs and
 * `inactive` is false, else the stored definition.  Caller frees.
 */
int be_config(struct backend *be, struct cli *cli, const char *ref,
              bool inactive, hv_config **out);
/* Define cfg, or replace the definition with cfg's uuid. */
int be_define(struct backend *be, struct cli *cli, const hv_config *cfg,
              struct hv_fields *out);
int be_undefine(struct backend *be, struct cli *cli, const char *ref);
int be_autostart(struct backend *be, struct cli *cli, const char *ref,
                 bool on);
/* Until fn returns non-zero, a signal arrives, or the stream fails. */
int be_events(struct backend *be, struct cli *cli, event_fn fn);
/* A console fd (bidirectional byte stream); name gets the domain's. */
int be_console(struct backend *be, struct cli *cli, const char *ref, int *fd,
               char name[64]);
/*
 * After that console closed: did the domain end as a domain should
 * (powered off, destroyed), or not?  0 when it did, or when nothing can
 * be learnt; 1 when not, with why in why[len].
 */
int be_console_closed(struct backend *be, struct cli *cli, char *why,
                      size_t len);
/*
 * Save, restore, migrate (backend_xfer.c).  What hvcore reports of a save
 * or a migration, as it goes and (result) at the end; a figure hvcore
 * has not said is 0.  Ctrl-C (SIGINT, SIGTERM) during one cancels it.
 */
struct xfer_figures {
    int phase;                  /* enum hv_op_phase, 0 before any report */
    uint64_t iteration;
    uint64_t bytes_sent, bytes_remaining, bytes_total;
    uint64_t dirty_rate_bps, bandwidth_bps, expected_downtime_ns;
    bool result;                /* the figures below are known           */
    uint64_t total_ns, downtime_ns, iterations;
};
/* Called at each progress report (from the waiting thread). */
typedef void (*xfer_fn)(void *opaque, const struct xfer_figures *f);

/* Save ref to file (keep: a checkpoint); *out gets the final figures,
 * name the domain's name. */
int be_save(struct backend *be, struct cli *cli, const char *ref,
            const char *file, bool keep, xfer_fn fn, void *opaque,
            struct xfer_figures *out, char name[64]);
/* flags: HV_RESTORE_*. */
int be_restore(struct backend *be, struct cli *cli, const char *file,
               unsigned flags, struct hv_fields *out);
struct migrate_opts {
    unsigned flags;             /* HV_MIGRATE_*                           */
    unsigned max_downtime_ms, max_iterations;
    uint64_t bandwidth_mib;
};
int be_migrate(struct backend *be, struct cli *cli, const char *ref,
               const char *dest, const struct migrate_opts *mo, xfer_fn fn,
               void *opaque, struct xfer_figures *out, char name[64]);

/* Devices (backend_devices.c); flags are HV_DEVICE_LIVE / _CONFIG. */
int be_attach_device(struct backend *be, struct cli *cli, const char *ref,
                     hv_device *dev, unsigned flags);
int be_detach_device(struct backend *be, struct cli *cli, const char *ref,
                     const char *id, unsigned flags);
int be_devices(struct backend *be, struct cli *cli, const char *ref,
               hv_devlist **out);
int be_version(struct backend *be, struct cli *cli, struct version_info *out);
/* Whether relative paths name files of this host (a local connection). */
bool be_same_host(struct backend *be);
/* The connection, as libhvctl names it (no credentials) and its driver. */
const char *be_uri(struct backend *be);
const char *be_driver(struct backend *be);

void dom_list_free(struct dom_list *l);
/* Append a row set by fields_init(); NULL if no memory. */
struct hv_fields *dom_list_add(struct dom_list *l);
/* Keep the rows that match flags and name_glob; sort them as listed. */
void dom_list_filter(struct dom_list *l, unsigned flags,
                     const char *name_glob);

#endif /* HVCTL_CLI_BACKEND_H */
