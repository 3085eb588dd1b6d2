/*
 * shutdown_request.c - what a pending shutdown request becomes.
 *
 * The request lives in hvcore (d->shutdown_pending) as well as in the
 * shared-info page, because the page cannot hold it across a reboot: the
 * guest may have read "reboot" a moment before a poweroff came, or have
 * stopped already, and the new boot's page starts zeroed.  A request was
 * lost that way, and a client waiting for the poweroff timed out.
 */
#include "public/shared_info.h"
#include "shutdown_request.h"

uint32_t shutdown_request_merge(uint32_t pending, uint32_t reason)
{
    return pending == SHUTDOWN_REQUEST_poweroff ? pending : reason;
}

uint32_t shutdown_request_settle(enum end_reason *end, uint32_t pending)
{
    switch (*end) {
    case END_REBOOT:
        if (pending == SHUTDOWN_REQUEST_poweroff)
            *end = END_POWEROFF;
        return SHUTDOWN_REQUEST_none;
    case END_CRASH:
        return pending == SHUTDOWN_REQUEST_poweroff ? pending : SHUTDOWN_REQUEST_none;
    default:
        return SHUTDOWN_REQUEST_none;
    }
}
