/*
 * console.c - the pv console back end.
 *
 * Output fans out to every sink: the log is a plain write, clients are
 * non-blocking sockets and a client that cannot keep up loses bytes
 * rather than stalling the guest.  stdout throttles the guest (like a
 * serial line) but never holds console_lock while it waits and gives up
 * as soon as the domain is paused or ending: a reader that stops reading
 * must not wedge the event loop (console input, attach, pause, destroy,
 * SIGTERM).  The
 * last few KiB are kept so that a client attaching late sees the current
 * screen (the shell prompt, the last counter line).
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console.h"
#include "evtchn.h"
#include "hvcore.h"
#include "public/errno.h"
#include "xen_console.h"

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;              /* a closed stdout must not stop the guest */
        buf += n;
        len -= (size_t)n;
    }
}

/* stdout gets its own open file description, made non-blocking, when it
 * is a pipe or a terminal: O_NONBLOCK on fd 1 itself would also change the
 * description the parent (a shell, the agent) shares.  A socket is
 * written with MSG_DONTWAIT; a regular file never stalls for good. */
static void stdout_open(struct domain *d)
{
    struct stat st;

    d->stdout_fd = STDOUT_FILENO;
    d->stdout_is_socket = false;
    if (!d->console_stdio || fstat(STDOUT_FILENO, &st) < 0)
        return;
    if (S_ISSOCK(st.st_mode)) {
        d->stdout_is_socket = true;
    } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
        int fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd >= 0)
            d->stdout_fd = fd;
    }
}

int console_init(struct domain *d, const char *log_path)
{
    pthread_mutex_init(&d->console_lock, NULL);
    pthread_mutex_init(&d->stdout_lock, NULL);
    d->console_log_fd = -1;
    stdout_open(d);
    if (log_path) {
        d->console_log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (d->console_log_fd < 0)
            return -errno;
    }
    return 0;
}

void console_fini(struct domain *d)
{
    struct console_client *c = d->console_clients, *next;

    for (; c; c = next) {
        next = c->next;
        close(c->fd);
        free(c);
    }
    d->console_clients = NULL;
    if (d->console_log_fd >= 0)
        close(d->console_log_fd);
    d->console_log_fd = -1;
    if (d->stdout_fd > STDOUT_FILENO)
        close(d->stdout_fd);
    d->stdout_fd = STDOUT_FILENO;
    pthread_mutex_destroy(&d->stdout_lock);
    pthread_mutex_destroy(&d->console_lock);
}

static void history_append(struct domain *d, const char *buf, size_t len)
{
    size_t cap = sizeof(d->history);

    if (len >= cap) {
        memcpy(d->history, buf + len - cap, cap);
        d->history_len = cap;
        return;
    }
    if (d->history_len + len > cap) {
        size_t drop = d->history_len + len - cap;
        memmove(d->history, d->history + drop, d->history_len - drop);
        d->history_len -= drop;
    }
    memcpy(d->history + d->history_len, buf, len);
    d->history_len += len;
}

/* The vCPU must leave the hypercall: pause waits for it, destroy joins it
 * (both kick it, which also cuts a poll() below short). */
static bool stdout_give_up(struct domain *d)
{
    pthread_mutex_lock(&d->lock);
    bool stop = d->paused || d->stopping;
    pthread_mutex_unlock(&d->lock);
    return stop;
}

/* stdout_lock held. */
static void stdout_write(struct domain *d, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = d->stdout_is_socket
                        ? send(d->stdout_fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL)
                        : write(d->stdout_fd, buf, len);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (stdout_give_up(d))
                return;          /* the rest is lost, as for a slow client */
            struct pollfd p = { .fd = d->stdout_fd, .events = POLLOUT };
            (void)poll(&p, 1, 50);
            continue;
        }
        return;                  /* a closed stdout must not stop the guest */
    }
}

void console_output(struct domain *d, const char *buf, size_t len)
{
    if (len == 0)
        return;
    /* stdout_lock first (it may be held for long), console_lock only for
     * the quick sinks: one order for every sink, and the event loop, which
     * takes console_lock alone, never waits for stdout's reader. */
    if (d->console_stdio)
        pthread_mutex_lock(&d->stdout_lock);
    pthread_mutex_lock(&d->console_lock);
    history_append(d, buf, len);
    if (d->console_log_fd >= 0)
        write_all(d->console_log_fd, buf, len);
    for (struct console_client *c = d->console_clients; c; c = c->next)
        (void)send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    pthread_mutex_unlock(&d->console_lock);
    if (d->console_stdio) {
        stdout_write(d, buf, len);
        pthread_mutex_unlock(&d->stdout_lock);
    }
}

/* Move pending host-side input into the ring.  console_lock held.
 * Returns how many bytes went in. */
static size_t pump_input(struct domain *d)
{
    struct hv_console_ring *ring = dom_console(d);
    uint32_t cons = __atomic_load_n(&ring->in_cons, __ATOMIC_ACQUIRE);
    uint32_t prod = __atomic_load_n(&ring->in_prod, __ATOMIC_RELAXED);
    size_t moved = 0;

    if (prod - cons > HV_CONSOLE_IN_SIZE)
        cons = prod;             /* corrupt consumer index: treat as empty */
    while (moved < d->in_pending_len && prod - cons < HV_CONSOLE_IN_SIZE) {
        ring->in[prod % HV_CONSOLE_IN_SIZE] = d->in_pending[moved++];
        prod++;
    }
    __atomic_store_n(&ring->in_prod, prod, __ATOMIC_RELEASE);
    memmove(d->in_pending, d->in_pending + moved, d->in_pending_len - moved);
    d->in_pending_len -= moved;
    return moved;
}

void console_flush_ring(struct domain *d)
{
    struct hv_console_ring *ring = dom_console(d);
    char tmp[HV_CONSOLE_OUT_SIZE];
    size_t n = 0;

    pthread_mutex_lock(&d->console_lock);
    uint32_t prod = __atomic_load_n(&ring->out_prod, __ATOMIC_ACQUIRE);
    uint32_t cons = __atomic_load_n(&ring->out_cons, __ATOMIC_RELAXED);
    uint32_t avail = prod - cons;
    if (avail > HV_CONSOLE_OUT_SIZE) {
        /* Corrupt indices: resynchronise rather than trust them. */
        __atomic_store_n(&ring->out_cons, prod, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&d->console_lock);
        return;
    }
    for (; n < avail; n++)
        tmp[n] = ring->out[(cons + n) % HV_CONSOLE_OUT_SIZE];
    __atomic_store_n(&ring->out_cons, prod, __ATOMIC_RELEASE);
    /* The guest drains the input ring without telling us; a flush is a
     * cheap moment to top it up from input that did not fit. */
    bool more = d->in_pending_len && pump_input(d);
    pthread_mutex_unlock(&d->console_lock);
    console_output(d, tmp, n);
    if (more)
        evtchn_raise_virq(d, VIRQ_CONSOLE, 0);
}

void console_input(struct domain *d, const char *buf, size_t len)
{
    size_t moved;

    if (d->xen) {
        xen_console_input(d, buf, len);     /* the Xen ring (xen_console.c) */
        return;
    }
    pthread_mutex_lock(&d->console_lock);
    size_t room = sizeof(d->in_pending) - d->in_pending_len;
    if (len > room)
        len = room;              /* typing faster than the guest reads */
    memcpy(d->in_pending + d->in_pending_len, buf, len);
    d->in_pending_len += len;
    moved = pump_input(d);
    pthread_mutex_unlock(&d->console_lock);
    if (moved)
        evtchn_raise_virq(d, VIRQ_CONSOLE, 0);
}

size_t console_read_input(struct domain *d, char *buf, size_t len)
{
    struct hv_console_ring *ring = dom_console(d);
    size_t n = 0;

    pthread_mutex_lock(&d->console_lock);
    uint32_t prod = __atomic_load_n(&ring->in_prod, __ATOMIC_ACQUIRE);
    uint32_t cons = __atomic_load_n(&ring->in_cons, __ATOMIC_RELAXED);
    if (prod - cons > HV_CONSOLE_IN_SIZE)
        cons = prod;
    while (n < len && cons != prod)
        buf[n++] = ring->in[cons++ % HV_CONSOLE_IN_SIZE];
    __atomic_store_n(&ring->in_cons, cons, __ATOMIC_RELEASE);
    pump_input(d);
    pthread_mutex_unlock(&d->console_lock);
    return n;
}

int console_attach(struct domain *d, int *client_fd)
{
    int sv[2];
    struct console_client *c = calloc(1, sizeof(*c));

    if (!c)
        return -HVE_NOMEM;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        free(c);
        return -errno;
    }
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    c->fd = sv[0];
    pthread_mutex_lock(&d->console_lock);
    (void)send(c->fd, d->history, d->history_len, MSG_DONTWAIT | MSG_NOSIGNAL);
    c->next = d->console_clients;
    d->console_clients = c;
    pthread_mutex_unlock(&d->console_lock);
    *client_fd = sv[0];
    return sv[1];
}

void console_detach(struct domain *d, int client_fd)
{
    pthread_mutex_lock(&d->console_lock);
    for (struct console_client **p = &d->console_clients; *p; p = &(*p)->next) {
        if ((*p)->fd == client_fd) {
            struct console_client *c = *p;
            *p = c->next;
            close(c->fd);
            free(c);
            break;
        }
    }
    pthread_mutex_unlock(&d->console_lock);
}

void console_reset(struct domain *d)
{
    pthread_mutex_lock(&d->console_lock);
    d->in_pending_len = 0;
    pthread_mutex_unlock(&d->console_lock);
}
