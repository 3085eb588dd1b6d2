/*
 * domain.c - lifecycle of the one domain this hvcore process runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "errline.h"
#include "boot_layout.h"
#include "console.h"
#include "device.h"
#include "dirty_ring.h"
#include "domain.h"
#include "elf_load.h"
#include "xen_domain.h"
#include "evtchn.h"
#include "guest_time.h"
#include "kvm_stats.h"
#include "memory.h"
#include "public/errno.h"
#include "public/exit_status.h"
#include "public/layout.h"
#include "pvclock.h"
#include "shutdown_request.h"
#include "vcpu.h"
#include "xfer.h"

int64_t domain_measure_tsc_offset(int vcpu_fd)
{
    /* struct kvm_msrs ends in a flexible array: room for one entry. */
    union {
        struct kvm_msrs hdr;
        uint8_t raw[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
    } m;

    memset(&m, 0, sizeof(m));
    m.hdr.nmsrs = 1;
    m.hdr.entries[0].index = 0x10;          /* IA32_TIME_STAMP_COUNTER */
    uint64_t host = pvclock_rdtsc();
    if (ioctl(vcpu_fd, KVM_GET_MSRS, &m) != 1)
        return 0;
    return (int64_t)(m.hdr.entries[0].data - host);
}

int domain_setup(struct domain *d, char *err, size_t errlen)
{
    int ret, probe;

    d->vm_fd = d->mem_fd = d->wake_fd = -1;
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->cond, NULL);

    /* A domain from a stream brings its kernel in the stream. */
    if (!d->from_stream) {
        ret = elf_read_file(d->kernel_path, &d->kernel_image, &d->kernel_size, err, errlen);
        if (ret < 0)
            return ret;
        if (xen_domain_wanted(d)) {
            ret = xen_domain_setup(d, err, errlen);
            if (ret < 0)
                return ret;
        } else if (d->initrd_path) {
            return errline(-HVE_INVAL, err, errlen,
                        "initrd: %s is not a Xen PV kernel, which alone takes an initrd",
                        d->kernel_path);
        }
    }

    /* An arriving domain opened it already (incoming.c). */
    if (d->kvm_fd < 0)
        d->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (d->kvm_fd < 0)
        return errline(-errno, err, errlen, "cannot open /dev/kvm: %s", strerror(errno));
    if (ioctl(d->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION ||
        ioctl(d->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) <= 0 ||
        ioctl(d->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0)
        return errline(-HVE_NOSYS, err, errlen,
                    "KVM lacks a required capability (API 12, sync regs, immediate exit)");
    ret = ioctl(d->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (ret <= 0)
        return errline(ret < 0 ? -errno : -HVE_IO, err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %s",
                    ret < 0 ? strerror(errno) : "size 0");
    d->run_mmap_size = (size_t)ret;
    d->vm_fd = ioctl(d->kvm_fd, KVM_CREATE_VM, 0);
    if (d->vm_fd < 0)
        return errline(-errno, err, errlen, "cannot create a KVM VM: %s", strerror(errno));
    fcntl(d->vm_fd, F_SETFD, FD_CLOEXEC);
    ret = dirty_ring_setup(d);
    if (ret < 0)
        return errline(ret, err, errlen, "HVCORE_DIRTY_RING: KVM refused dirty rings: %s",
                    strerror(-ret));
    ret = mem_create(d);
    if (ret < 0)
        return errline(ret, err, errlen, "cannot allocate %llu MiB of guest memory: %s",
                    (unsigned long long)(d->mem_max_bytes >> 20), strerror(-ret));
    ret = vcpu_setup(d);
    if (ret < 0)
        return errline(ret, err, errlen, "cannot set up vCPUs: %s", strerror(-ret));
    if (d->xen && (ret = xen_domain_create(d, err, errlen)) < 0)
        return ret;
    d->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (d->wake_fd < 0)
        return errline(-errno, err, errlen, "eventfd: %s", strerror(errno));

    /* The guest's TSC frequency: a VM ioctl on current kernels, else ask a
     * spare vCPU id that no guest vCPU uses. */
    ret = ioctl(d->vm_fd, KVM_GET_TSC_KHZ, 0);
    d->tsc_khz = ret > 0 ? (uint64_t)ret : 0;
    if (d->tsc_khz == 0) {
        probe = ioctl(d->vm_fd, KVM_CREATE_VCPU, (unsigned long)(HV_MAX_VCPUS + 1));
        if (probe >= 0) {
            ret = ioctl(probe, KVM_GET_TSC_KHZ, 0);
            d->tsc_khz = ret > 0 ? (uint64_t)ret : 0;
            close(probe);
        }
    }
    if (d->tsc_khz == 0)
        return errline(-HVE_NOSYS, err, errlen, "cannot read the TSC frequency from KVM");
    return 0;
}

void domain_teardown(struct domain *d)
{
    xen_domain_teardown(d);
    vcpu_teardown(d);
    mem_destroy(d);
    if (d->vm_fd >= 0)
        close(d->vm_fd);
    if (d->kvm_fd >= 0)
        close(d->kvm_fd);
    free(d->cpuid);
    d->cpuid = NULL;
    if (d->wake_fd >= 0)
        close(d->wake_fd);
    d->vm_fd = d->kvm_fd = d->wake_fd = -1;
    free(d->kernel_image);
    d->kernel_image = NULL;
}

int domain_boot(struct domain *d, char *err, size_t errlen)
{
    struct elf_image img;
    struct hv_vcpu_context ctx;
    char why[256];

    if (d->xen)
        return xen_domain_boot(d, err, errlen);
    /* Back ends stop touching the rings before RAM is cleared under them;
     * devices stay across a reboot, their set-up does not. */
    device_boot(d);
    int ret = d->boot_count > 0 ? mem_reset(d) : 0;
    if (ret < 0)
        return errline(ret, err, errlen, "cannot reset guest memory: %s", strerror(-ret));
    ret = elf_load(d->kernel_image, d->kernel_size, d->mem, d->mem_max_bytes, &img,
                   why, sizeof(why));
    if (ret < 0)
        return errline(ret, err, errlen, "%s: %s", d->kernel_path, why);
    pthread_mutex_lock(&d->lock);
    uint32_t pending = d->shutdown_pending;
    d->boot_count++;
    d->boot_mono_ns = now_ns(CLOCK_MONOTONIC);
    d->entry_rip = img.entry;
    d->first_free_pfn = (img.end + HV_PAGE_SIZE - 1) >> HV_PAGE_SHIFT;
    d->end_reason = END_NONE;
    d->end_detail[0] = '\0';
    d->stopping = false;
    d->state = d->paused ? HV_DOMSTATE_paused : HV_DOMSTATE_running;
    pthread_mutex_unlock(&d->lock);

    boot_layout_build(d);
    device_page_build(d);
    /* A request the last boot did not carry out is the new boot's: it
     * reads the field once it has bound VIRQ_SHUTDOWN. */
    __atomic_store_n(&dom_shared(d)->shutdown_request, pending, __ATOMIC_SEQ_CST);
    evtchn_reset(d);
    console_reset(d);
    for (unsigned i = 0; i < d->max_vcpus; i++)
        guest_timer_arm(&d->vcpu[i], 0);

    memset(&ctx, 0, sizeof(ctx));
    ctx.rip = img.entry;
    ctx.rdi = HV_START_INFO_PAGE;
    ret = vcpu_up(d, 0, &ctx);
    if (ret < 0)
        return errline(ret, err, errlen, "cannot start vcpu 0: %s", strerror(-ret));
    return 0;
}

void domain_end(struct domain *d, enum end_reason reason, const char *detail)
{
    uint64_t one = 1;

    pthread_mutex_lock(&d->lock);
    /* The first reason wins, except that destroy overrides everything
     * (it is how a crashed-and-preserved domain is finally removed). */
    if (d->end_reason == END_NONE || reason == END_DESTROY) {
        d->end_reason = reason;
        snprintf(d->end_detail, sizeof(d->end_detail), "%s", detail);
    }
    d->stopping = true;
    for (unsigned i = 0; i < d->max_vcpus; i++)
        vcpu_notify_locked(&d->vcpu[i]);
    pthread_mutex_unlock(&d->lock);
    (void)!write(d->wake_fd, &one, sizeof(one));
}

void domain_emit_event(struct domain *d, uint32_t type, const char *detail)
{
    struct hv_domctl_event ev;
    unsigned keep = 0;

    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.domid = d->domid;
    ev.time_ns = now_ns(CLOCK_REALTIME);
    snprintf(ev.detail, sizeof(ev.detail), "%s", detail ? detail : "");
    for (unsigned i = 0; i < d->nr_subscribers; i++) {
        int fd = d->subscribers[i];
        if (send(fd, &ev, sizeof(ev), MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)sizeof(ev))
            d->subscribers[keep++] = fd;
        else
            close(fd);          /* gone or not reading: drop it */
    }
    d->nr_subscribers = keep;
}

static enum lifecycle_action action_for(struct domain *d, enum end_reason r)
{
    switch (r) {
    case END_POWEROFF: return d->on_poweroff;
    case END_REBOOT:   return d->on_reboot;
    case END_CRASH:    return d->on_crash;
    default:           return ACTION_DESTROY;
    }
}

int domain_finish_end(struct domain *d)
{
    enum end_reason reason;
    char detail[112];
    char err[256];

    xfer_stop(d);
    vcpus_join(d);
    pthread_mutex_lock(&d->lock);
    /* What becomes of a pending request (shutdown_request.h): a poweroff
     * asked for while the guest rebooted replaces the reboot. */
    reason = d->end_reason;
    d->shutdown_pending = shutdown_request_settle(&d->end_reason, d->shutdown_pending);
    if (reason == END_REBOOT && d->end_reason == END_POWEROFF)
        snprintf(d->end_detail, sizeof(d->end_detail),
                 "guest rebooted, powered off as requested meanwhile");
    reason = d->end_reason;
    snprintf(detail, sizeof(detail), "%s", d->end_detail);
    pthread_mutex_unlock(&d->lock);

    if (reason == END_CRASH) {
        fprintf(stderr, "hvcore: crashed: %s\n", detail);
        domain_emit_event(d, HV_EVENT_crashed, detail);
    }

    switch (action_for(d, reason)) {
    case ACTION_RESTART:
        if (domain_boot(d, err, sizeof(err)) < 0) {
            fprintf(stderr, "hvcore: reboot failed: %s\n", err);
            domain_emit_event(d, HV_EVENT_crashed, err);
            return HVCORE_EXIT_CRASHED;
        }
        domain_emit_event(d, HV_EVENT_rebooted, detail);
        return DOMAIN_LIVES_ON;
    case ACTION_PRESERVE:
        pthread_mutex_lock(&d->lock);
        d->state = HV_DOMSTATE_crashed;
        pthread_mutex_unlock(&d->lock);
        domain_emit_event(d, HV_EVENT_preserved, NULL);
        return DOMAIN_LIVES_ON;
    case ACTION_DESTROY:
        break;
    }
    pthread_mutex_lock(&d->lock);
    d->state = HV_DOMSTATE_shutdown;
    pthread_mutex_unlock(&d->lock);
    switch (reason) {
    case END_POWEROFF:
    case END_REBOOT:
        domain_emit_event(d, HV_EVENT_shutdown, detail);
        return HVCORE_EXIT_OK;
    case END_DESTROY:
        domain_emit_event(d, HV_EVENT_destroyed, detail);
        return HVCORE_EXIT_DESTROYED;
    case END_SAVED:
        domain_emit_event(d, HV_EVENT_saved, detail);
        return HVCORE_EXIT_SAVED;
    case END_MIGRATED:
        domain_emit_event(d, HV_EVENT_migrated, detail);
        return HVCORE_EXIT_MIGRATED;
    default:
        return HVCORE_EXIT_CRASHED;
    }
}

void domain_get_info(struct domain *d, struct hv_domctl_info *info)
{
    memset(info, 0, sizeof(*info));
    info->domid = d->domid;
    info->vcpus_online = vcpus_online(d);
    info->vcpus_max = d->max_vcpus;
    info->mem_max_kib = d->mem_max_bytes >> 10;
    info->mem_current_kib = info->mem_max_kib - (mem_ballooned_pages(d) << 2);
    info->cpu_time_ns = vcpus_cpu_time_ns(d);
    info->exits = vcpus_exits(d);
    info->kvm_exits = domain_kvm_exits(d);
    info->pid = (int32_t)getpid();
    memcpy(info->name, d->name, sizeof(info->name));
    memcpy(info->uuid, d->uuid, sizeof(info->uuid));
    pthread_mutex_lock(&d->lock);
    info->state = d->state;
    info->mem_target_kib = d->mem_target_kib;
    info->boot_count = d->boot_count;
    info->uptime_ns = now_ns(CLOCK_MONOTONIC) - d->boot_mono_ns;
    info->events = d->events;
    info->xfer = d->xfer_state;
    pthread_mutex_unlock(&d->lock);
}

int domain_request_shutdown(struct domain *d, uint32_t reason)
{
    if (reason != SHUTDOWN_REQUEST_poweroff && reason != SHUTDOWN_REQUEST_reboot)
        return -HVE_INVAL;
    pthread_mutex_lock(&d->lock);
    enum hv_domain_state st = d->state;
    if (st == HV_DOMSTATE_crashed || st == HV_DOMSTATE_shutdown) {
        pthread_mutex_unlock(&d->lock);
        return -HVE_BUSY;
    }
    /* Kept here as well as in the shared-info page, which the guest may
     * have read already and a reboot rebuilds (shutdown_request.c). */
    d->shutdown_pending = shutdown_request_merge(d->shutdown_pending, reason);
    reason = d->shutdown_pending;
    pthread_mutex_unlock(&d->lock);
    if (d->xen)     /* Xen guests watch control/shutdown in xenstore */
        return xen_domain_request_shutdown(d, reason);
    __atomic_store_n(&dom_shared(d)->shutdown_request, reason, __ATOMIC_SEQ_CST);
    evtchn_raise_virq(d, VIRQ_SHUTDOWN, 0);
    return 0;
}

int domain_set_mem_target(struct domain *d, uint64_t kib)
{
    if (kib < 1024 || kib > (d->mem_max_bytes >> 10))
        return -HVE_RANGE;
    if (d->xen)
        return -HVE_NOSYS;      /* no balloon for Xen PV domains yet */
    pthread_mutex_lock(&d->lock);
    d->mem_target_kib = kib;
    pthread_mutex_unlock(&d->lock);
    __atomic_store_n(&dom_shared(d)->mem_target_kib, kib, __ATOMIC_SEQ_CST);
    evtchn_raise_virq(d, VIRQ_BALLOON, 0);
    return 0;
}
