/*
 * startup_step.h - the test-only hook that kills (or stops) hvcore at one
 * step of its start-up; the steps are public (public/startup_step.h,
 * hvcore(8)).
 */
#ifndef HVCORE_STARTUP_STEP_H
#define HVCORE_STARTUP_STEP_H

#include "public/startup_step.h"

/* Kill (or stop) this process if HVCORE_TEST_STOP_AT names step. */
void startup_step(enum startup_step step);

#endif /* HVCORE_STARTUP_STEP_H */
