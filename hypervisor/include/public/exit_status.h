/*
 * public/exit_status.h - what hvcore's exit status says about how its
 * domain ended (hvcore(8), EXIT STATUS).
 *
 * For whoever waits for an hvcore process: a shell, a supervisor, the
 * tests.  A process killed by a signal has no status.  With --detach the
 * foreground process exits HVCORE_EXIT_OK once the domain runs,
 * dies of the signal the domain process died of during start-up, and
 * exits HVCORE_EXIT_STARTUP if that process ended before the domain ran.
 */
#ifndef HV_PUBLIC_EXIT_STATUS_H
#define HV_PUBLIC_EXIT_STATUS_H

/* Macros, not an enum, so that hvcore's --help text is made from them. */

/* The guest powered off (or rebooted with --on-reboot destroy); also after
 * --help and --version. */
#define HVCORE_EXIT_OK        0
/* Start-up failed: a usage error, the kernel, KVM, memory, the name or
 * domid in use; the reason is one line on standard error. */
#define HVCORE_EXIT_STARTUP   1
/* The guest crashed, or restarting the domain (--on-* restart) failed;
 * standard error says how. */
#define HVCORE_EXIT_CRASHED   2
/* The domain was destroyed: domctl destroy, SIGTERM/SIGINT/SIGHUP, or
 * nobody waiting for it any more at start-up. */
#define HVCORE_EXIT_DESTROYED 3
/* The domain was saved to a file (domctl save) and is no longer here. */
#define HVCORE_EXIT_SAVED     4
/* The domain was migrated: another hvcore runs it now. */
#define HVCORE_EXIT_MIGRATED  5
/* --restore or --incoming: the stream was refused or broke before the
 * domain ran; nothing ran.  Standard error says why (the record and its
 * offset). */
#define HVCORE_EXIT_STREAM    6

#endif /* HV_PUBLIC_EXIT_STATUS_H */
