/*
 * xen_console.h - a Xen-PV domain's console ring (struct
 * xen_console_interface in the guest RAM page d->xen->console_gpa, port
 * d->xen->console_port) on hvcore's console plumbing (console.c).
 */
#ifndef HVCORE_XEN_CONSOLE_H
#define HVCORE_XEN_CONSOLE_H

#include <stddef.h>

struct domain;

/*
 * The guest notified the console's port: drain out[] (out_cons to
 * out_prod) to console_output, move input still pending into in[], and
 * raise the port if either ring moved.  A producer index more than the
 * ring's size ahead is a broken guest: its bytes are dropped and out_cons
 * jumps to out_prod.  Any thread; neither dom->lock nor console_lock held.
 */
void xen_console_kick(struct domain *d);

/*
 * console_input for a Xen-PV domain: bytes typed by a client or on stdin
 * go into in[] as far as it has room (what does not fit waits in
 * d->in_pending, up to its size, for the next kick), then the port is
 * raised.  Locks as console_input.
 */
void xen_console_input(struct domain *d, const char *buf, size_t len);

#endif /* HVCORE_XEN_CONSOLE_H */
