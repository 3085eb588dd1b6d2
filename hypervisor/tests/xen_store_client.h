/*
 * xen_store_client.h - what the tests of hvcore's xenstore
 * (unit_xen_store.c) play: a Xen-PV domain's side of the store page.
 *
 * The domain is a fake: RAM_PAGES calloc'ed pages of "guest RAM" with the
 * store page last, so that ASan sees a step past it.  The event channel
 * and frame-type calls xen_store.c makes are doubles here: a raise counts
 * (and checks dom->lock is held), a writable reference counts (or is
 * refused, with xsc_mm_refuse).  The client reads and writes the rings as
 * Linux's xenbus does; in Linux mode (xsc_linux_mode) it also signals
 * only when Linux would (a request written into a ring the store had
 * emptied, a read from a full ring), so that a lost wakeup shows as a
 * reply that never comes.  Every helper fails the running test when the
 * store misbehaves.
 */
#ifndef HV_TEST_XEN_STORE_CLIENT_H
#define HV_TEST_XEN_STORE_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "public/xen_store.h"
#include "xen_store.h"

#define RING XEN_XENSTORE_RING_SIZE
#define HDR ((uint32_t)sizeof(struct xen_xsd_sockmsg))
#define RAM_PAGES 4
#define STORE_GPA (3 * 4096ull)        /* the last page */
#define STORE_PORT 5
#define CONSOLE_GPA (2 * 4096ull)
#define CONSOLE_PORT 2
#define DOMID 7
#define HOME "/local/domain/7"

struct domain;

extern struct domain xsc_dom;
extern struct xen_xenstore_domain_interface *xsc_ring;  /* the store page */
extern unsigned xsc_raises;          /* store port raised, ever           */
extern bool xsc_mm_refuse;           /* xen_mm_get_writable says no       */
extern int xsc_mm_refs;              /* writable references held          */
extern bool xsc_linux_mode;          /* signal only as Linux does         */

/* A message from the store. */
struct xsc_msg {
    struct xen_xsd_sockmsg h;
    char body[XEN_XENSTORE_PAYLOAD_MAX + 1];    /* NUL after the payload */
};
extern struct xsc_msg xsc_reply;     /* the reply xs_raw returned last    */

/* cmocka fixture: the fake domain ("web-7", domid 7, 512 MiB target of
 * 1 GiB, one vCPU, console page 2 on port 2) and xen_store_init on its
 * last page, port 5; teardown frees the store and checks every writable
 * reference was put back. */
int xsc_setup(void **state);
int xsc_teardown(void **state);

/* The guest signals the store port (xen_store_kick). */
void signal_store(void);
/* Forget what the client half-read (after a reconnect or a new init);
 * Linux mode off. */
void client_reset(void);

/* Read what the response ring holds into the client's inbox (whole
 * messages).  True if a byte came. */
bool client_poll(void);
/* Write bytes into the request ring, waiting (reading) for room. */
void client_write(const void *data, uint32_t len);
/* Write a whole request. */
void client_send(uint32_t type, uint32_t req_id, uint32_t tx, const void *payload,
                 uint32_t len);
/* Put bytes at req_prod behind the client's back: no room check, no
 * signal. */
void raw_put(const void *data, uint32_t len);
/* Wait for the reply to req_id (0: the next watch event) as Linux's
 * thread does; false if none comes. */
bool client_wait(uint32_t req_id, struct xsc_msg *out);

/* A message as text: "!ENOENT" for an error, else its payload with each
 * NUL shown as "|" (valid until the next call). */
const char *show(const struct xsc_msg *m);

/* Send a request and wait for its reply (kept in xsc_reply), shown. */
const char *xs_raw(uint32_t type, uint32_t tx, const void *payload, uint32_t len);
/* ... of one string, of two strings, and WRITE path|value. */
const char *xs1(uint32_t type, uint32_t tx, const char *a);
const char *xs2(uint32_t type, uint32_t tx, const char *a, const char *b);
const char *xs_write(uint32_t tx, const char *path, const char *value);
#define xs_read(path) xs1(XEN_XS_READ, 0, (path))

/* The next watch event is path|token; there is none. */
void expect_event(const char *path, const char *token);
void expect_no_event(void);

/* xen_store_get_stats of the fake domain. */
struct xen_store_stats store_stats(void);

#endif /* HV_TEST_XEN_STORE_CLIENT_H */
