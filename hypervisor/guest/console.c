/*
 * console.c - console output and input through the console page rings.
 *
 * Each side of a ring writes only its own index; the other side's index is
 * read once and checked (prod - cons <= size) before it is trusted.
 */
#include "console.h"
#include "evtchn.h"
#include "hypercall.h"
#include "kernel.h"
#include "public/console.h"
#include "spinlock.h"

/* Give up on a ring hvcore does not drain rather than hang the guest. */
#define FULL_RING_RETRIES 64

static struct hv_console_ring *ring;
static spinlock_t out_lock;
static spinlock_t in_lock;

void console_init(uint64_t page)
{
    ring = (struct hv_console_ring *)(uintptr_t)page;
}

static void flush_locked(void)
{
    hc_console_io(CONSOLEIO_flush, 0, NULL);
}

/* Room in the output ring; a nonsensical consumer index counts as full. */
static uint32_t out_room(uint32_t prod)
{
    uint32_t used = prod - __atomic_load_n(&ring->out_cons, __ATOMIC_ACQUIRE);

    return used > HV_CONSOLE_OUT_SIZE ? 0 : HV_CONSOLE_OUT_SIZE - used;
}

void console_write(const char *buf, size_t len)
{
    unsigned long flags;
    bool newline = false;
    unsigned retries = 0;

    if (!ring)
        return;
    flags = irq_save();
    spin_lock(&out_lock);
    uint32_t prod = ring->out_prod;     /* ours: no one else writes it */
    while (len > 0) {
        uint32_t room = out_room(prod);

        if (room == 0) {
            __atomic_store_n(&ring->out_prod, prod, __ATOMIC_RELEASE);
            flush_locked();
            if (out_room(prod) == 0 && ++retries > FULL_RING_RETRIES)
                break;                  /* hvcore is not draining: drop */
            continue;
        }
        for (; room > 0 && len > 0; room--, len--, buf++) {
            ring->out[prod++ % HV_CONSOLE_OUT_SIZE] = *buf;
            newline |= *buf == '\n';
        }
    }
    __atomic_store_n(&ring->out_prod, prod, __ATOMIC_RELEASE);
    if (newline)
        flush_locked();
    spin_unlock(&out_lock);
    irq_restore(flags);
}

void console_puts(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    console_write(s, n);
}

void console_flush(void)
{
    unsigned long flags;

    if (!ring)
        return;
    flags = irq_save();
    spin_lock(&out_lock);
    flush_locked();
    spin_unlock(&out_lock);
    irq_restore(flags);
}

/* Bytes waiting in the input ring; 0 if hvcore's index makes no sense. */
static uint32_t in_avail(uint32_t cons)
{
    uint32_t avail = __atomic_load_n(&ring->in_prod, __ATOMIC_ACQUIRE) - cons;

    return avail > HV_CONSOLE_IN_SIZE ? 0 : avail;
}

bool console_input_pending(void)
{
    return ring && in_avail(READ_ONCE(ring->in_cons)) > 0;
}

int console_getc(void)
{
    unsigned long flags;
    int c = -1;

    if (!ring)
        return -1;
    flags = irq_save();
    spin_lock(&in_lock);
    uint32_t cons = ring->in_cons;
    if (in_avail(cons) > 0) {
        c = (unsigned char)ring->in[cons % HV_CONSOLE_IN_SIZE];
        /* The byte is read before hvcore may reuse its slot. */
        __atomic_store_n(&ring->in_cons, cons + 1, __ATOMIC_RELEASE);
    }
    spin_unlock(&in_lock);
    irq_restore(flags);
    return c;
}
