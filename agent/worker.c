/*
 * worker.c - the thread pool.  Work goes in through a queue under a mutex;
 * finished items come back through a second list, and an eventfd wakes
 * the event loop to run their `done` callbacks.  One eventfd write per
 * batch: the loop drains the whole list on each wakeup.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "worker.h"

struct workers {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct work *q_head, *q_tail;       /* to run      */
    struct work *d_head, *d_tail;       /* to complete */
    size_t pending;                     /* queued + running + to complete */
    bool stopping;
    int efd;
    struct event *ev;
    pthread_t *threads;
    unsigned n;
};

static void push(struct work **head, struct work **tail, struct work *w)
{
    w->next = NULL;
    if (*tail)
        (*tail)->next = w;
    else
        *head = w;
    *tail = w;
}

static void *thread_main(void *arg)
{
    struct workers *wk = arg;

    pthread_mutex_lock(&wk->lock);
    for (;;) {
        struct work *w = wk->q_head;
        bool wake;

        if (!w) {
            if (wk->stopping)
                break;
            pthread_cond_wait(&wk->cond, &wk->lock);
            continue;
        }
        wk->q_head = w->next;
        if (!wk->q_head)
            wk->q_tail = NULL;
        pthread_mutex_unlock(&wk->lock);

        w->run(w);

        pthread_mutex_lock(&wk->lock);
        wake = wk->d_head == NULL;
        push(&wk->d_head, &wk->d_tail, w);
        if (wake) {
            uint64_t one = 1;
            (void)!write(wk->efd, &one, sizeof(one));
        }
    }
    pthread_mutex_unlock(&wk->lock);
    return NULL;
}

/* Run the `done` callbacks of everything finished so far. */
static void complete(struct workers *wk)
{
    struct work *w;
    uint64_t v;

    (void)!read(wk->efd, &v, sizeof(v));
    pthread_mutex_lock(&wk->lock);
    w = wk->d_head;
    wk->d_head = wk->d_tail = NULL;
    pthread_mutex_unlock(&wk->lock);
    while (w) {
        struct work *next = w->next;
        pthread_mutex_lock(&wk->lock);
        wk->pending--;
        pthread_mutex_unlock(&wk->lock);
        w->done(w);             /* may free w */
        w = next;
    }
}

static void on_event(evutil_socket_t fd, short what, void *arg)
{
    complete(arg);
}

int workers_start(struct event_base *base, unsigned n, struct workers **out)
{
    struct workers *wk = calloc(1, sizeof(*wk));

    *out = NULL;
    if (!wk)
        return -ENOMEM;
    pthread_mutex_init(&wk->lock, NULL);
    pthread_cond_init(&wk->cond, NULL);
    wk->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    wk->threads = calloc(n, sizeof(*wk->threads));
    if (wk->efd < 0 || !wk->threads)
        goto fail;
    wk->ev = event_new(base, wk->efd, EV_READ | EV_PERSIST, on_event, wk);
    if (!wk->ev || event_add(wk->ev, NULL) < 0)
        goto fail;
    for (; wk->n < n; wk->n++)
        if (pthread_create(&wk->threads[wk->n], NULL, thread_main, wk)) {
            log_err("cannot start worker thread %u", wk->n);
            goto fail;
        }
    *out = wk;
    return 0;
fail:
    workers_stop(wk);
    return -ENOMEM;
}

void workers_submit(struct workers *wk, struct work *w)
{
    pthread_mutex_lock(&wk->lock);
    push(&wk->q_head, &wk->q_tail, w);
    wk->pending++;
    pthread_cond_signal(&wk->cond);
    pthread_mutex_unlock(&wk->lock);
}

size_t workers_pending(const struct workers *wk)
{
    return wk ? wk->pending : 0;    /* NULL: stopped */
}

void workers_stop(struct workers *wk)
{
    if (!wk)
        return;
    pthread_mutex_lock(&wk->lock);
    wk->stopping = true;
    pthread_cond_broadcast(&wk->cond);
    pthread_mutex_unlock(&wk->lock);
    for (unsigned i = 0; i < wk->n; i++)
        pthread_join(wk->threads[i], NULL);
    if (wk->efd >= 0)
        complete(wk);
    if (wk->ev)
        event_free(wk->ev);
    if (wk->efd >= 0)
        close(wk->efd);
    pthread_cond_destroy(&wk->cond);
    pthread_mutex_destroy(&wk->lock);
    free(wk->threads);
    free(wk);
}
