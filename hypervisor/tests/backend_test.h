/*
 * backend_test.h - helpers of the back-end tests (test_backends,
 * test_hvblk, test_hvnet): see backend_test.c.
 */
#ifndef HV_TESTS_BACKEND_TEST_H
#define HV_TESTS_BACKEND_TEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "blk.h"
#include "net.h"
#include "public/device.h"
#include "sh_util.h"
#include "virtq.h"
#include "vu_front.h"
#include "vu_msg.h"

#define DISK_BYTES (1u << 20)           /* 2048 sectors */
#define DISK_SECTORS (DISK_BYTES / 512)
#define QSIZE 64

/* The temporary directory (bt_setup) and the test disk in it. */
extern char tmpdir[PATH_MAX];
extern char disk[PATH_MAX + 16];

/* Scratch buffers of the one-at-a-time requests (blk_req). */
struct req_area {
    uint64_t hdr, status, data;
};

extern struct req_area the_area;
extern unsigned rq;                     /* the queue blk_req uses */

/* The back end of the running test, killed by kill_leftover (a cmocka
 * teardown) if the test failed before it stopped it. */
extern struct vf *current;
int kill_leftover(void **state);

int bt_setup(void **state);
int bt_teardown(void **state);

/* Every virtio-blk feature the test front end accepts. */
uint64_t blk_features(void);

/* The test disk: 1 MiB, sector s holding s + 1 in every byte. */
void make_disk(void);

/* hvblk on the test disk with extra options, handshake done, queue 0 of
 * num (QSIZE) entries set up. */
void blk_up_n(struct vf *f, const char *const *extra, unsigned num);
void blk_up(struct vf *f, const char *const *extra);
struct req_area area(struct vf *f);

/*
 * One request on queue rq at depth 1: header, data, status in
 * descriptors 0, 1, 2; buf: the data to write, or where a read's data
 * goes.  The status, or -1 if the back end never answered.
 */
int blk_req(struct vf *f, uint32_t type, uint64_t sector, void *buf, uint32_t len);

/* Spin (no sleep: for figures) until queue qi's used index reaches idx. */
bool spin_used(struct vf *f, unsigned qi, uint16_t idx);

void assert_last_error(struct vf *f, const char *want);

/* Run PROGRAM args...: its exit status and first line, as wanted. */
void expect_run(const char *program, const char *const *args, int status, const char *line);

double secs(void);

/* Wait (30 s) until process pid sleeps (state S in /proc/pid/stat). */
bool wait_sleeping(pid_t pid);

/* PROGRAM --socket SOCK args..., once it accepts (30 s); its pid. */
pid_t listen_backend(const char *program, const char *sock, const char *const *args);

/* A listen_backend back end stopped (SIGTERM, reaped), its socket gone. */
void stop_backend(pid_t pid, const char *sock);

/* Skip the test, saying so, where qemu-system-x86_64 is not installed. */
void require_qemu(void);

/* Run the shell line cmd to its end: its output (the first cap - 1 bytes)
 * into out, and its status (pclose) returned. */
int run_output(const char *cmd, char *out, size_t cap);

#endif
