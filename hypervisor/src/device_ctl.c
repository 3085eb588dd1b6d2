/*
 * device_ctl.c - devices come and go: --device at start, domctl
 * device_attach / device_detach / device_info at run time, and every back
 * end stopped when hvcore exits.  All on the main thread.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "device.h"
#include "domain.h"
#include "event_loop.h"
#include "hvcore.h"
#include "public/errno.h"
#include "xfer.h"

/* A device in slot s with its descriptors, not yet connected. */
static struct device *dev_alloc(struct domain *d, const struct dev_spec *spec, unsigned s)
{
    struct device *dev = calloc(1, sizeof(*dev));

    if (!dev)
        return NULL;
    dev->spec = *spec;
    dev->slot = s;
    dev->vu.fd = dev->pidfd = dev->stats_fd = -1;
    dev->state = HV_DEV_STATE_CONNECTING;
    dev_spec_describe(spec, dev->desc, sizeof(dev->desc));
    for (unsigned q = 0; q < HV_DEV_MAX_QUEUES; q++)
        dev->q[q].kick_fd = dev->q[q].call_fd = dev->q[q].err_fd = -1;
    dev->retry_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (dev->retry_fd < 0)
        goto fail;
    for (unsigned q = 0; q < HV_DEV_MAX_QUEUES; q++) {
        dev->q[q].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        dev->q[q].call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (dev->q[q].kick_fd < 0 || dev->q[q].call_fd < 0)
            goto fail;
    }
    d->dev[s] = dev;
    pthread_mutex_lock(&d->lock);
    for (unsigned q = 0; q < HV_DEV_MAX_QUEUES; q++)
        d->dev_call_fd[DEV_QID(s, q)] = dev->q[q].call_fd;
    pthread_mutex_unlock(&d->lock);
    for (unsigned q = 0; q < HV_DEV_MAX_QUEUES; q++)
        loop_watch_device(d, dev->q[q].call_fd, DEVFD_TAG(DEVFD_CALL, s, q),
                          WATCH_IN_EXCLUSIVE);
    loop_watch_device(d, dev->retry_fd, DEVFD_TAG(DEVFD_RETRY, s, 0), WATCH_IN);
    return dev;
fail:
    dev_free(d, dev, false);
    return NULL;
}

/* Stop the back end, take the slot back, close everything.  dev_lock held. */
void dev_free(struct domain *d, struct device *dev, bool talk)
{
    /* The back end stops touching the rings before it goes (detach). */
    dev_queues_stop(d, dev, talk && dev->state == HV_DEV_STATE_RUNNING);
    dev_backend_stop(d, dev);
    if (d->dev[dev->slot] == dev) {
        dev_forget_setup(d, dev);
        d->dev[dev->slot] = NULL;
        pthread_mutex_lock(&d->lock);
        for (unsigned q = 0; q < HV_DEV_MAX_QUEUES; q++)
            d->dev_call_fd[DEV_QID(dev->slot, q)] = -1;
        pthread_mutex_unlock(&d->lock);
    }
    for (unsigned q = 0; q < HV_DEV_MAX_QUEUES; q++) {
        if (dev->q[q].call_fd >= 0) {
            loop_unwatch_device(d, dev->q[q].call_fd);
            close(dev->q[q].call_fd);
        }
        if (dev->q[q].kick_fd >= 0)
            close(dev->q[q].kick_fd);
    }
    if (dev->retry_fd >= 0) {
        loop_unwatch_device(d, dev->retry_fd);
        close(dev->retry_fd);
    }
    if (dev->stats)
        munmap(dev->stats, 4096);
    if (dev->stats_fd >= 0)
        close(dev->stats_fd);
    free(dev);
}

/* Find a slot and start the back end.  0, or -HVE_* with a line in err.
 * dev_lock held. */
static int attach(struct domain *d, const struct dev_spec *spec, struct device **out,
                  char *err, size_t errlen)
{
    int free_slot = -1;

    if (d->mem_image) {
        snprintf(err, errlen, "%s: the domain's memory is a private mapping of a save "
                 "file: a back end could not see it", spec->id);
        return -HVE_PERM;
    }
    for (int s = HV_DEV_MAX - 1; s >= 0; s--) {
        if (d->dev[s] && strcmp(d->dev[s]->spec.id, spec->id) == 0) {
            snprintf(err, errlen, "%s: the domain has a device of that id", spec->id);
            return -HVE_EXIST;
        }
        if (!d->dev[s])
            free_slot = s;
    }
    if (free_slot < 0) {
        snprintf(err, errlen, "%s: all %d device slots are taken", spec->id, HV_DEV_MAX);
        return -HVE_NOSPC;
    }
    /* Notifications go to back ends through KVM where it can (device.h);
     * HVCORE_NO_IOEVENTFD=1 makes hvcore take them itself, to measure
     * what the in-kernel path saves. */
    if (!d->ioeventfd_probed) {
        const char *no = getenv("HVCORE_NO_IOEVENTFD");
        d->have_ioeventfd = !(no && *no && strcmp(no, "0") != 0) &&
                            ioctl(d->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD) > 0;
        d->ioeventfd_probed = true;
    }
    struct device *dev = dev_alloc(d, spec, (unsigned)free_slot);
    if (!dev) {
        snprintf(err, errlen, "%s: out of memory or descriptors", spec->id);
        return -HVE_NOMEM;
    }
    int r = dev_backend_start(d, dev, err, errlen);
    if (r < 0) {
        dev_free(d, dev, false);
        return r == -HVE_TIMEDOUT || r == -HVE_PROTO ? -HVE_IO : r;
    }
    dev->state = HV_DEV_STATE_READY;
    dev_slot_publish(d, dev);
    *out = dev;
    return 0;
}

int device_start_all(struct domain *d, char *err, size_t errlen)
{
    struct dev_spec *spec = malloc(sizeof(*spec));
    char why[256];
    int r = 0;

    if (!spec)
        return -HVE_NOMEM;
    pthread_mutex_lock(&d->dev_lock);
    for (unsigned i = 0; i < d->nr_device_specs && r == 0; i++) {
        struct device *dev;
        r = dev_spec_parse(d->device_specs[i], strlen(d->device_specs[i]), spec, why,
                           sizeof(why));
        if (r == 0)
            r = attach(d, spec, &dev, why, sizeof(why));
        if (r < 0)
            snprintf(err, errlen, "--device: %s", why);
    }
    pthread_mutex_unlock(&d->dev_lock);
    free(spec);
    return r;
}

void device_stop_all(struct domain *d)
{
    pthread_mutex_lock(&d->dev_lock);
    for (unsigned s = 0; s < HV_DEV_MAX; s++)
        if (d->dev[s])
            dev_free(d, d->dev[s], false);
    pthread_mutex_unlock(&d->dev_lock);
}

static void set_message(struct hv_domctl_reply *reply, const char *msg)
{
    size_t n = strnlen(msg, sizeof(reply->u.result.message) - 1);

    memcpy(reply->u.result.message, msg, n);    /* one line, cut if need be */
    reply->u.result.message[n] = '\0';
}

void device_ctl_attach(struct domain *d, const struct hv_domctl *req, const char *text,
                       size_t len, struct hv_domctl_reply *reply)
{
    struct dev_spec *spec = malloc(sizeof(*spec));
    struct device *dev;
    char why[256], ev[112];

    if (!spec) {
        reply->status = -HVE_NOMEM;
        return;
    }
    if (req->u.device.spec_len != len || len == 0 || len > HV_DEVICE_SPEC_MAX) {
        reply->status = -HVE_MSGSIZE;
        goto out;
    }
    if (req->u.device.flags) {
        reply->status = -HVE_INVAL;
        set_message(reply, "device_attach: flags must be 0");
        goto out;
    }
    reply->status = dev_spec_parse(text, len, spec, why, sizeof(why));
    if (reply->status < 0) {
        set_message(reply, why);
        goto out;
    }
    if (xfer_busy(d)) {
        reply->status = -HVE_BUSY;
        set_message(reply, "a save or migration is running");
        goto out;
    }
    pthread_mutex_lock(&d->dev_lock);
    reply->status = attach(d, spec, &dev, why, sizeof(why));
    if (reply->status == 0)
        dev_fill_info(d, dev, &reply->u.device_info);
    pthread_mutex_unlock(&d->dev_lock);
    if (reply->status < 0) {
        set_message(reply, why);
        goto out;
    }
    snprintf(ev, sizeof(ev), "%s: %.90s", spec->id, reply->u.device_info.backend_desc);
    domain_emit_event(d, HV_EVENT_device_attached, ev);
out:
    free(spec);
}

void device_ctl_detach(struct domain *d, const struct hv_domctl *req,
                       struct hv_domctl_reply *reply)
{
    char id[HV_DEV_ID_MAX], ev[112];
    unsigned s;

    memcpy(id, req->u.device.id, sizeof(id));
    if (!memchr(id, '\0', sizeof(id))) {
        reply->status = -HVE_INVAL;
        return;
    }
    pthread_mutex_lock(&d->dev_lock);
    for (s = 0; s < HV_DEV_MAX; s++)
        if (d->dev[s] && strcmp(d->dev[s]->spec.id, id) == 0)
            break;
    if (s == HV_DEV_MAX) {
        pthread_mutex_unlock(&d->dev_lock);
        reply->status = -HVE_NOENT;
        return;
    }
    dev_free(d, d->dev[s], true);
    dev_slot_clear(d, s);
    pthread_mutex_unlock(&d->dev_lock);
    snprintf(ev, sizeof(ev), "%s: detached", id);
    domain_emit_event(d, HV_EVENT_device_detached, ev);
}

void dev_fill_info(struct domain *d, struct device *dev, struct hv_domctl_device_info *out)
{
    (void)d;
    memset(out, 0, sizeof(*out));
    memcpy(out->id, dev->spec.id, sizeof(out->id));
    out->slot = dev->slot;
    out->type = dev->spec.type;
    out->state = dev->state;
    out->backend = dev->spec.socket[0] ? HV_DEVICE_BACKEND_SOCKET : HV_DEVICE_BACKEND_PROCESS;
    out->backend_pid = dev->pid;
    out->reconnects = dev->reconnects;
    if (dev->stats) {
        const struct hv_backend_stats *st = dev->stats;
        out->flags |= HV_DEVICE_INFO_COUNTERS;
        out->reqs_in = __atomic_load_n(&st->reqs_in, __ATOMIC_RELAXED);
        out->reqs_out = __atomic_load_n(&st->reqs_out, __ATOMIC_RELAXED);
        out->reqs_other = __atomic_load_n(&st->reqs_other, __ATOMIC_RELAXED);
        out->bytes_in = __atomic_load_n(&st->bytes_in, __ATOMIC_RELAXED);
        out->bytes_out = __atomic_load_n(&st->bytes_out, __ATOMIC_RELAXED);
        out->errors = __atomic_load_n(&st->errors, __ATOMIC_RELAXED);
    }
    snprintf(out->backend_desc, sizeof(out->backend_desc), "%s", dev->desc);
}

void device_ctl_info(struct domain *d, const struct hv_domctl *req,
                     struct hv_domctl_reply *reply)
{
    uint32_t n = 0;

    reply->status = -HVE_NOENT;
    pthread_mutex_lock(&d->dev_lock);
    for (unsigned s = 0; s < HV_DEV_MAX; s++) {
        if (!d->dev[s])
            continue;
        if (n++ == req->u.device.index) {
            dev_fill_info(d, d->dev[s], &reply->u.device_info);
            reply->status = 0;
            break;
        }
    }
    pthread_mutex_unlock(&d->dev_lock);
}
