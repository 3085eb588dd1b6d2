/*
 * restart.h - restarts with systemd's caution (Restart=, RestartSec=,
 * StartLimitBurst=, StartLimitIntervalSec=): a guest that crashes or
 * reboots at boot must not loop as fast as hvcore can boot it.
 *
 * A defined domain with on_crash=restart is started with on_crash=preserve
 * (ops.c): its crash leaves it stopped in hvcore, and hvctld restarts it
 * after a backoff that doubles from --restart-backoff up to
 * --restart-backoff-max (destroy, then a start with cause agent).
 * Reboots (on_reboot=restart, and crash restarts that hvcore makes itself
 * for domains hvctld did not start) stay in their hvcore, at once; they
 * are counted all the same.  More than --start-limit-burst restarts within
 * --start-limit-interval: no more; the domain is destroyed, shows as
 * crashed, and a `start_limit` event says why.  A start through the API
 * resets the count.
 */
#ifndef HVCTLD_RESTART_H
#define HVCTLD_RESTART_H

#include <stdbool.h>
#include <stdint.h>

#define START_LIMIT_BURST_MAX 64

struct agent;
struct dom;
struct restart_wait;

/* In struct dom: the restarts of one domain. */
struct restart_state {
    uint64_t at_ns[START_LIMIT_BURST_MAX];     /* ring of restart times */
    unsigned n, next;
    bool managed;               /* its crashes are ours to restart        */
    bool limited;               /* stopped by the start limit             */
    struct restart_wait *wait;  /* a crash restart waiting for its time   */
};

/* A start of d is submitted, by `cause` (HV_CAUSE_API: a manual start). */
void restart_on_start(struct dom *d, int cause);
/* The current incarnation of d started outside hvctld. */
void restart_external(struct dom *d);
/* It crashed (preserved, if managed): restart it later, or give up. */
void restart_crashed(struct agent *a, struct dom *d);
/*
 * hvcore restarted it in place, by `action` ("on_reboot", "on_crash");
 * cause: who asked (a reboot through the API is not counted).
 */
void restart_rebooted(struct agent *a, struct dom *d, int cause,
                      const char *action);
/* Its incarnation ended (or it is going away): no restart is due. */
void restart_forget(struct dom *d);
/* At shutdown: drop every waiting restart. */
void restart_shutdown(struct agent *a);

#endif /* HVCTLD_RESTART_H */
