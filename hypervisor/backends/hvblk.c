/*
 * hvblk - the in-tree vhost-user block back end (hvblk(8)): a raw file or
 * block device served as a virtio-blk device, its I/O through io_uring.
 *
 *   hvblk --fd N | --socket PATH  --file PATH [--readonly] [--direct]
 *         [--no-discard] [--queues N] [--stats-fd N] [--user NAME]
 *         [--poll-us N]
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "blk.h"
#include "public/device.h"

#define PROG "hvblk"

enum {
    OPT_FILE = BE_OPT_DEVICE,
    OPT_READONLY,
    OPT_DIRECT,
    OPT_NO_DISCARD,
};

static const struct option options[] = {
    BE_COMMON_OPTIONS,
    { "file", required_argument, NULL, OPT_FILE },
    { "readonly", no_argument, NULL, OPT_READONLY },
    { "direct", no_argument, NULL, OPT_DIRECT },
    { "no-discard", no_argument, NULL, OPT_NO_DISCARD },
    { NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: hvblk (--fd N | --socket PATH) --file PATH [options]\n"
            "Serve a raw file or block device as a vhost-user block device.\n"
            "\n"
            "  --fd N          serve the connected vhost-user socket N; exit when it closes\n"
            "  --socket PATH   listen at PATH and serve one front end at a time\n"
            "  --file PATH     the raw image file or block device\n"
            "  --readonly      a read-only disk (VIRTIO_BLK_F_RO; writes fail)\n"
            "  --direct        open the file with O_DIRECT (no host page cache)\n"
            "  --no-discard    do not offer discard\n"
            "  --queues N      request queues, 1 to %u (default 1)\n"
            "  --stats-fd N    the counters page (public/backend_stats.h) to keep\n"
            "  --user NAME     run as NAME once the file is open\n"
            "  --poll-us N     poll the queues N microseconds after work (default %u, 0: off)\n"
            "  --help          this text\n"
            "\n"
            "Exit status: 0 the front end closed the connection, 1 runtime error, 2 usage.\n",
            BLK_MAX_QUEUES, BE_POLL_US_DEFAULT);
}

static int parse(struct blk *b, int argc, char **argv)
{
    int opt;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        int rc = be_common_option(&b->opt, opt, optarg);

        if (rc < 0)
            return BE_EXIT_USAGE;
        if (rc > 0)
            continue;
        switch (opt) {
        case OPT_FILE:
            if (!*optarg) {
                fprintf(stderr, PROG ": --file: an empty path\n");
                return BE_EXIT_USAGE;
            }
            b->path = optarg;
            break;
        case OPT_READONLY: b->readonly = true; break;
        case OPT_DIRECT: b->direct = true; break;
        case OPT_NO_DISCARD: b->discard = false; break;
        case BE_OPT_HELP:
            usage(stdout);
            return BE_EXIT_OK;
        default:
            be_bad_option(PROG, opt, argv);
            return BE_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
        return BE_EXIT_USAGE;
    }
    if (be_common_check(&b->opt) < 0)
        return BE_EXIT_USAGE;
    if (!b->path) {
        fprintf(stderr, PROG ": --file is required\n");
        return BE_EXIT_USAGE;
    }
    return -1;
}

/* Open the disk, learn its size; 0 or -1 (printed). */
static int open_disk(struct blk *b)
{
    int flags = (b->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | (b->direct ? O_DIRECT : 0);
    struct stat st;
    char *copy;

    b->fd = open(b->path, flags);
    if (b->fd < 0) {
        fprintf(stderr, PROG ": cannot open %s%s: %s\n", b->path,
                b->direct && errno == EINVAL ? " with O_DIRECT" : "", strerror(errno));
        return -1;
    }
    if (fstat(b->fd, &st) < 0 || (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))) {
        fprintf(stderr, PROG ": %s is neither a regular file nor a block device\n", b->path);
        return -1;
    }
    /* Two writers on one disk corrupt it: one writer, or many readers. */
    if (flock(b->fd, (b->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
        fprintf(stderr, PROG ": %s is in use by another process (locked)\n", b->path);
        return -1;
    }
    b->is_bdev = S_ISBLK(st.st_mode);
    b->blk_size = BLK_SECTOR;
    if (b->is_bdev) {
        uint64_t bytes;
        int ssz;

        if (ioctl(b->fd, BLKGETSIZE64, &bytes) < 0) {
            fprintf(stderr, PROG ": %s: size: %s\n", b->path, strerror(errno));
            return -1;
        }
        if (b->direct && ioctl(b->fd, BLKSSZGET, &ssz) == 0 && ssz >= (int)BLK_SECTOR)
            b->blk_size = (uint32_t)ssz;
        b->sectors = bytes / BLK_SECTOR;
    } else {
        struct statfs fs;

        b->sectors = (uint64_t)st.st_size / BLK_SECTOR;
        /* A file in memory (tmpfs has no non-blocking reads or writes):
         * io_uring would hand every request to a worker thread, a thread
         * switch for a memcpy; it is read and written in place instead. */
        if (fstatfs(b->fd, &fs) == 0 &&
            (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC ||
             fs.f_type == HUGETLBFS_MAGIC))
            b->in_place = true;
        /* O_DIRECT on a file wants the file system's block alignment. */
        if (b->direct && st.st_blksize > (blksize_t)BLK_SECTOR && st.st_blksize <= 65536)
            b->blk_size = (uint32_t)st.st_blksize;
    }
    /* GET_ID: the file's name, as much as fits in 20 bytes. */
    copy = strdup(b->path);
    if (copy) {
        const char *name = basename(copy);

        memcpy(b->id, name, strnlen(name, sizeof(b->id)));
    }
    free(copy);
    return 0;
}

int main(int argc, char **argv)
{
    static struct blk b;
    struct io_uring_params p = { .flags = IORING_SETUP_CQSIZE,
                                 .cq_entries = 2 * BLK_MAX_QUEUES * BLK_REQS_PER_QUEUE };
    int rc, listen_fd = -1;

    be_common_init(&b.opt, PROG, BLK_MAX_QUEUES);
    b.discard = true;
    b.fd = -1;
    rc = parse(&b, argc, argv);
    if (rc >= 0)
        return rc;
    if (open_disk(&b) < 0)
        return BE_EXIT_RUNTIME;
    rc = io_uring_queue_init_params(BLK_REQS_PER_QUEUE, &b.ring, &p);
    if (rc < 0) {
        fprintf(stderr, PROG ": io_uring: %s\n", strerror(-rc));
        return BE_EXIT_RUNTIME;
    }
    b.dev.prog = PROG;
    b.dev.ops = &blk_ops;
    b.dev.priv = &b;
    b.dev.nr_queues = b.opt.queues;
    b.dev.queue_num = b.opt.queues;
    b.dev.poll_us = b.opt.poll_us;
    b.dev.features = (1ull << HV_VIRTIO_F_VERSION_1) | (1ull << HV_VIRTIO_F_RING_EVENT_IDX) |
                     (1ull << HV_VIRTIO_F_INDIRECT_DESC) | (1ull << VIRTIO_BLK_F_SIZE_MAX) |
                     (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
                     (1ull << VIRTIO_BLK_F_FLUSH);
    if (b.opt.queues > 1)
        b.dev.features |= 1ull << VIRTIO_BLK_F_MQ;
    if (b.readonly)
        b.dev.features |= 1ull << VIRTIO_BLK_F_RO;
    else
        b.dev.features |= 1ull << VIRTIO_BLK_F_WRITE_ZEROES;
    if (b.discard && !b.readonly)
        b.dev.features |= 1ull << VIRTIO_BLK_F_DISCARD;
    b.dev.stats = be_stats_open(&b.opt);
    if (!b.dev.stats || vu_dev_init(&b.dev) < 0)
        return BE_EXIT_RUNTIME;
    if (vu_dev_watch(&b.dev, b.ring.ring_fd, EPOLLIN) < 0) {
        fprintf(stderr, PROG ": epoll: %s\n", strerror(errno));
        return BE_EXIT_RUNTIME;
    }
    if (b.opt.socket && (listen_fd = be_listen(&b.opt)) < 0)
        return BE_EXIT_RUNTIME;
    if (be_drop_user(&b.opt) < 0)
        return BE_EXIT_RUNTIME;
    return be_serve(&b.dev, &b.opt, listen_fd);
}
