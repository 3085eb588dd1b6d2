/*
 * public/startup_step.h - the steps of hvcore's start-up, in order: the
 * interface of the test-only HVCORE_TEST_STOP_AT hook (hvcore(8)).
 *
 * HVCORE_TEST_STOP_AT=K makes hvcore raise SIGKILL on itself when it
 * reaches step K, so that tests can leave the runtime directory in exactly
 * the state a kill -9 at that instant leaves (docs/architecture.md,
 * "Runtime directory"); HVCORE_TEST_STOP_AT=K:stop raises SIGSTOP instead
 * (a hung start-up).  The numbers are those hvcore(8) lists.
 */
#ifndef HV_PUBLIC_STARTUP_STEP_H
#define HV_PUBLIC_STARTUP_STEP_H

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

#endif /* HV_PUBLIC_STARTUP_STEP_H */
