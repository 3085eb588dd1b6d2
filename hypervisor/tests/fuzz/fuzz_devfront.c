/*
 * fuzz_devfront.c - hvcore's hostile inputs on the device side that are
 * not a guest's: a device spec (from a domctl client), and every byte a
 * vhost-user back end answers (a back end nobody here wrote, or one gone
 * wrong).  The first input byte picks which:
 *
 *   0   the rest is a spec for dev_spec_parse: it is accepted, or refused
 *       with -HVE_INVAL and one printable line; an accepted one means
 *       what the rules say (an id of [a-z0-9_.-], one of file/socket...).
 *   1   the rest is what the back end sends, all of it, then it hangs up:
 *       hvcore's front end goes through the hand-shake and a queue's
 *       set-up as hvcore does; every call returns (the hang-up ends any
 *       wait at once, so no deadline is ever reached) with 0 or -HVE_*,
 *       and the front end leaves no descriptor open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_check.h"
#include "device_spec.h"
#include "public/errno.h"
#include "vhost_user.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one_spec(const char *text, size_t len)
{
    static struct dev_spec spec;
    char err[256], desc[128];

    memset(err, 0x55, sizeof(err));
    int r = dev_spec_parse(text, len, &spec, err, sizeof(err));
    CHECK(r == 0 || r == -HVE_INVAL, "result %d", r);
    if (r < 0) {
        size_t n = strnlen(err, sizeof(err));
        CHECK(n > 0 && n < sizeof(err), "message length %zu", n);
        for (size_t i = 0; i < n; i++)
            CHECK((unsigned char)err[i] >= 0x20 && err[i] != 0x7f, "byte %zu of '%s'", i, err);
        return;
    }
    CHECK(spec.type == HV_DEV_TYPE_BLOCK || spec.type == HV_DEV_TYPE_NET, "type %u", spec.type);
    size_t idn = strnlen(spec.id, sizeof(spec.id));
    CHECK(idn >= 1 && idn < sizeof(spec.id), "id length %zu", idn);
    CHECK(strspn(spec.id, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == idn, "id '%s'", spec.id);
    CHECK(!spec.file[0] || !spec.socket[0], "file and socket");
    CHECK(spec.type != HV_DEV_TYPE_BLOCK || spec.file[0] || spec.socket[0], "blk without both");
    CHECK(spec.type != HV_DEV_TYPE_NET || spec.have_mac || spec.socket[0], "net without both");
    CHECK(spec.queues >= 1 && spec.queues <= 8, "queues %u", spec.queues);
    dev_spec_describe(&spec, desc, sizeof(desc));
    CHECK(strnlen(desc, sizeof(desc)) < sizeof(desc), "description");
}

static int open_fds(void)
{
    int n = 0;

    for (int fd = 0; fd < 256; fd++)
        n += fcntl(fd, F_GETFD) >= 0;
    return n;
}

static void check_rc(int r, const char *what)
{
    CHECK(r == 0 || (r < 0 && r > -4096), "%s returned %d", what, r);
}

static void one_backend(const uint8_t *bytes, size_t len)
{
    static int memfd = -1;
    int sv[2];

    if (memfd < 0) {
        memfd = memfd_create("fuzz-ram", MFD_CLOEXEC);
        CHECK(memfd >= 0 && ftruncate(memfd, 1 << 20) == 0, "memfd: %s", strerror(errno));
    }
    int before = open_fds();
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "%s", strerror(errno));
    /* Everything the back end will ever say, then its hang-up; what
     * hvcore sends it stays unread in its buffer. */
    int big = 1 << 20;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    CHECK(len == 0 || write(sv[1], bytes, len) == (ssize_t)len, "write: %s", strerror(errno));
    shutdown(sv[1], SHUT_WR);

    struct vu_conn c = { .fd = sv[0], .timeout_ms = 60000 };
    int ev = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    uint8_t config[60];
    unsigned base = 0;
    int r = vu_handshake(&c);
    check_rc(r, "vu_handshake");
    if (r == 0) {
        check_rc(vu_get_config(&c, config, sizeof(config)), "vu_get_config");
        check_rc(vu_set_features(&c, c.features), "vu_set_features");
        check_rc(vu_set_mem_table(&c, 1 << 20, 1 << 20, 0x7f0000100000ULL, 1 << 20, memfd),
                 "vu_set_mem_table");
        check_rc(vu_set_vring_state(&c, VHOST_USER_SET_VRING_NUM, 0, 256), "SET_VRING_NUM");
        check_rc(vu_set_vring_addr(&c, 0, 1, 2, 3), "vu_set_vring_addr");
        check_rc(vu_set_vring_fd(&c, VHOST_USER_SET_VRING_KICK, 0, ev), "SET_VRING_KICK");
        check_rc(vu_get_vring_base(&c, 0, &base), "vu_get_vring_base");
    }
    close(ev);
    close(sv[0]);
    close(sv[1]);
    CHECK(open_fds() == before, "descriptors: %d before, %d after", before, open_fds());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] == 0)
        one_spec((const char *)data + 1, size - 1);
    else if (data[0] == 1 && size - 1 <= 65536)
        one_backend(data + 1, size - 1);
    return 0;
}
