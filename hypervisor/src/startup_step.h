/*
 * startup_step.h - the steps of hvcore's start-up, in order, and the
 * test-only hook that kills hvcore at one of them.
 *
 * HVCORE_TEST_STOP_AT=K (documented in hvcore(8) as test-only) makes
 * hvcore raise SIGKILL on itself when it reaches step K, so that tests
 * can leave the runtime directory in exactly the state a kill -9 at that
 * instant leaves (docs/architecture.md, "Runtime directory");
 * HVCORE_TEST_STOP_AT=K:stop raises SIGSTOP instead (a hung start-up).
 */
#ifndef HVCORE_STARTUP_STEP_H
#define HVCORE_STARTUP_STEP_H

enum startup_step {
    STEP_FORKED = 1,        /* --detach: the foreground process, forked    */
    STEP_STAGED,            /* domains/.new-<pid> made and locked, empty   */
    STEP_PID_WRITTEN,       /* ... with its pid file                       */
    STEP_FILES_WRITTEN,     /* ... and its name and uuid files             */
    STEP_DOMID_TAKEN,       /* renamed to domains/<domid>                  */
    STEP_NAME_TAKEN,        /* names/<name> -> ../domains/<domid>          */
    STEP_VM_CREATED,        /* kernel read, KVM VM and memory made         */
    STEP_LISTENING,         /* domains/<domid>/control listens             */
    STEP_BOOTED,            /* vCPU 0 runs the guest                       */
    STEP_READY,             /* the domid was announced on --ready-fd       */
    STEP_COUNT = STEP_READY
};

/* Kill (or stop) this process if HVCORE_TEST_STOP_AT names step. */
void startup_step(enum startup_step step);

#endif /* HVCORE_STARTUP_STEP_H */
