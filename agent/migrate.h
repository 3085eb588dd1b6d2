/*
 * migrate.h - save, restore and migration through hvctld
 * (docs/migration.md): the REST handlers (rest_xfer.c, migrate_out.c,
 * migrate_in.c), the relay they start (migrate_relay.c), and the notes
 * that give the monitor's saved/migrated/restored events where the
 * domain went or came from.
 */
#ifndef HVCTLD_MIGRATE_H
#define HVCTLD_MIGRATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "hvctl.h"
#include "relay.h"

struct agent;
struct rest_req;

/* rest_xfer.c */
void h_domain_save(struct rest_req *rr);
void h_domains_restore(struct rest_req *rr);
struct job;
/* The figures op knows now as j's running figures (any thread). */
void xfer_job_figures(struct job *j, const hv_op *op);

/* migrate_out.c: the source agent drives the move. */
void h_domain_migrate(struct rest_req *rr);

/* migrate_in.c: the destination agent's side. */
void h_migrations_incoming(struct rest_req *rr);
void h_migration_get(struct rest_req *rr);
void h_migration_finish(struct rest_req *rr);
/* Stop and forget every incoming migration (at shutdown). */
void migrate_in_free_all(struct agent *a);

/*
 * The detail of the next `type` event ("saved", "migrated", "restored")
 * of domain name, set by whoever started the move; the monitor takes it
 * (a copy into out, true) when the event comes.  "destroyed": the next
 * destroyed event of name is the end of a source copy the destination
 * runs, told as "migrated" with this detail.  Any thread.
 */
void migrate_note_set(struct agent *a, const char *name, const char *type,
                      const char *detail);
bool migrate_note_take(struct agent *a, const char *name, const char *type,
                       char *out, size_t len);
void migrate_notes_free(struct agent *a);

/*
 * Start hvmigrate-relay ($HVMIGRATE_RELAY, else its installed path):
 * listening on listen_fd (>= 0) or connecting to `connect`, local_fd its
 * side of hvcore's socketpair, key the 64 hex digits, id the identity,
 * its standard error to stderr_fd (-1: the agent's).  0 and *pid, or -1
 * with why in err.
 */
int relay_spawn(int listen_fd, const char *connect, int local_fd,
                const char *key, const char *id, bool insecure,
                int stderr_fd, pid_t *pid, char *err, size_t errlen);
/* Wait up to ms for it to exit, then kill it: its exit status. */
int relay_reap(pid_t pid, int ms);

/* Is host (a numeric address or "localhost") a loopback address? */
bool migrate_host_is_loopback(const char *host);

#endif /* HVCTLD_MIGRATE_H */
