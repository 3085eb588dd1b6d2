/*
 * shutdown_request.h - the rule for domctl shutdown requests that meet
 * each other, a pause, or a reboot (docs/architecture.md, "Shutdown
 * requests").  Pure functions: domain.c keeps the state under d->lock.
 */
#ifndef HVCORE_SHUTDOWN_REQUEST_H
#define HVCORE_SHUTDOWN_REQUEST_H

#include <stdint.h>

#include "hvcore.h"

/* The request that stands once `reason` arrives while `pending` stands
 * (SHUTDOWN_REQUEST_*): the later one, except that a poweroff is never
 * turned into a reboot. */
uint32_t shutdown_request_merge(uint32_t pending, uint32_t reason);

/*
 * The guest stopped for *end with `pending` standing: returns what still
 * stands for the next boot.  A poweroff pending at a reboot replaces it
 * (*end becomes END_POWEROFF); any other clean end carries the request
 * out; a crash carries out a pending reboot (a restart is one) and leaves
 * a pending poweroff standing.
 */
uint32_t shutdown_request_settle(enum end_reason *end, uint32_t pending);

#endif /* HVCORE_SHUTDOWN_REQUEST_H */
