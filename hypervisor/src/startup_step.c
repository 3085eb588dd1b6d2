/*
 * startup_step.c - the test-only HVCORE_TEST_STOP_AT hook (startup_step.h).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "startup_step.h"

void startup_step(enum startup_step step)
{
    const char *at = getenv("HVCORE_TEST_STOP_AT");
    char *end;
    long k;

    if (!at || !*at)
        return;
    k = strtol(at, &end, 10);
    if (k != (long)step)
        return;
    if (*end == '\0')
        raise(SIGKILL);
    else if (strcmp(end, ":stop") == 0)
        raise(SIGSTOP);         /* hung, as in a blocking open(2) */
}
