/*
 * kvm_stats.c - reading one counter from KVM's binary statistics.
 *
 * The stats fd starts with a header that says where the descriptors and
 * the data are; each descriptor names a counter and gives its offset in
 * the data (in bytes).  Everything is read with pread, so no state is kept: the
 * counter is wanted rarely (domctl getinfo), the fd is opened per read.
 */
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hvcore.h"
#include "kvm_stats.h"

int64_t kvm_vcpu_stat(int vcpu_fd, const char *name)
{
    struct kvm_stats_header h;
    int64_t ret = -1;
    char *descs = NULL;
    int fd = ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL);

    if (fd < 0)
        return -1;
    if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || h.num_desc == 0 ||
        h.num_desc > 4096 || h.name_size == 0 || h.name_size > 256)
        goto out;
    size_t desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
    descs = malloc(desc_size * h.num_desc);
    if (!descs ||
        pread(fd, descs, desc_size * h.num_desc, h.desc_offset) !=
            (ssize_t)(desc_size * h.num_desc))
        goto out;
    for (uint32_t i = 0; i < h.num_desc; i++) {
        const struct kvm_stats_desc *d = (const void *)(descs + i * desc_size);
        uint64_t v;

        if (strncmp(d->name, name, h.name_size) != 0 || d->size != 1 ||
            (d->flags & KVM_STATS_TYPE_MASK) != KVM_STATS_TYPE_CUMULATIVE)
            continue;
        if (pread(fd, &v, sizeof(v), (off_t)h.data_offset + (off_t)d->offset) ==
            (ssize_t)sizeof(v))
            ret = v > INT64_MAX ? INT64_MAX : (int64_t)v;
        break;
    }
out:
    free(descs);
    close(fd);
    return ret;
}

uint64_t domain_kvm_exits(struct domain *d)
{
    uint64_t total = 0;

    /* vCPU fds are made before the threads start and closed only after
     * they ended, at hvcore's exit: no lock needed to read them here. */
    for (unsigned i = 0; i < d->max_vcpus; i++) {
        int64_t v = d->vcpu[i].fd >= 0 ? kvm_vcpu_stat(d->vcpu[i].fd, "exits") : -1;
        if (v > 0)
            total += (uint64_t)v;
    }
    return total;
}
