/*
 * xen_console.c - the Xen console ring of a Xen-PV domain (xen_console.h).
 *
 * The guest produces out[] and consumes in[]; hvcore does the opposite,
 * under console_lock, and tells the guest with the console's port.  Both
 * index pairs sit in guest memory, so every one is read as hostile: only
 * masked offsets touch the arrays, and a pair further apart than the ring
 * is reset rather than trusted.
 */
#include <string.h>

#include "console.h"
#include "hvcore.h"
#include "xen.h"
#include "xen_console.h"
#include "xen_evtchn.h"

#define OUT_SIZE sizeof(((struct xen_console_interface *)0)->out)
#define IN_SIZE  sizeof(((struct xen_console_interface *)0)->in)

_Static_assert((OUT_SIZE & (OUT_SIZE - 1)) == 0 && (IN_SIZE & (IN_SIZE - 1)) == 0,
               "console ring sizes are powers of two");

/* The ring, or NULL if the domain has none. */
static struct xen_console_interface *ring(struct domain *d)
{
    uint64_t gpa = d->xen ? d->xen->console_gpa : 0;
    uint8_t *frame;

    if (!gpa || (gpa & 0xfff) + sizeof(struct xen_console_interface) > 4096)
        return NULL;
    frame = xen_frame(d, gpa >> 12);
    return frame ? (struct xen_console_interface *)(frame + (gpa & 0xfff)) : NULL;
}

/* Move d->in_pending into in[].  console_lock held.  Bytes moved. */
static size_t pump_input(struct domain *d, struct xen_console_interface *r)
{
    uint32_t cons = __atomic_load_n(&r->in_cons, __ATOMIC_ACQUIRE);
    uint32_t prod = __atomic_load_n(&r->in_prod, __ATOMIC_RELAXED);
    size_t moved = 0;

    if (prod - cons > IN_SIZE)
        cons = prod;                /* corrupt consumer index: treat as empty */
    while (moved < d->in_pending_len && prod - cons < IN_SIZE)
        r->in[prod++ & (IN_SIZE - 1)] = d->in_pending[moved++];
    __atomic_store_n(&r->in_prod, prod, __ATOMIC_RELEASE);
    memmove(d->in_pending, d->in_pending + moved, d->in_pending_len - moved);
    d->in_pending_len -= moved;
    return moved;
}

/* Take out[] into buf (OUT_SIZE bytes).  console_lock held.  Returns the
 * bytes taken; *moved: out_cons changed. */
static size_t drain_output(struct xen_console_interface *r, char *buf, bool *moved)
{
    uint32_t prod = __atomic_load_n(&r->out_prod, __ATOMIC_ACQUIRE);
    uint32_t cons = __atomic_load_n(&r->out_cons, __ATOMIC_RELAXED);
    uint32_t avail = prod - cons;

    *moved = avail != 0;
    if (avail > OUT_SIZE) {
        /* A broken guest: resynchronise, print nothing of it. */
        __atomic_store_n(&r->out_cons, prod, __ATOMIC_RELEASE);
        return 0;
    }
    for (uint32_t i = 0; i < avail; i++)
        buf[i] = r->out[(cons + i) & (OUT_SIZE - 1)];
    __atomic_store_n(&r->out_cons, prod, __ATOMIC_RELEASE);
    return avail;
}

void xen_console_kick(struct domain *d)
{
    struct xen_console_interface *r = ring(d);
    char buf[OUT_SIZE];
    size_t n;
    bool moved;

    if (!r)
        return;
    pthread_mutex_lock(&d->console_lock);
    n = drain_output(r, buf, &moved);
    /* The guest notifies after reading input too: top in[] up. */
    if (d->in_pending_len && pump_input(d, r))
        moved = true;
    pthread_mutex_unlock(&d->console_lock);
    console_output(d, buf, n);
    if (moved)
        xen_evtchn_raise_console(d);
}

void xen_console_input(struct domain *d, const char *buf, size_t len)
{
    struct xen_console_interface *r = ring(d);
    size_t moved = 0;

    pthread_mutex_lock(&d->console_lock);
    size_t room = sizeof(d->in_pending) - d->in_pending_len;
    if (len > room)
        len = room;                 /* typing faster than the guest reads */
    memcpy(d->in_pending + d->in_pending_len, buf, len);
    d->in_pending_len += len;
    if (r)
        moved = pump_input(d, r);
    pthread_mutex_unlock(&d->console_lock);
    if (moved)
        xen_evtchn_raise_console(d);
}
