/*
 * linux_guest.h - boot the test kit (Debian's kernel and the busybox
 * initramfs) under hvcore or under QEMU's software emulator, and talk to
 * its shell: what test_linux and bench-linux share.
 *
 *   hvcore:  $HVCORE --rundir <private> --ready-fd N --kernel vmlinuz
 *            --initrd initrd --memory 256 --cmdline "console=hvc0 quiet"
 *            --console stdio, plus the words of $HVTEST_HVCORE_ARGS
 *   QEMU:    ${HVTEST_QEMU:-qemu-system-x86_64} -accel tcg -cpu max -smp 1
 *            -m 256 -nographic -nic none [-no-reboot] -kernel vmlinuz
 *            -initrd initrd -append "console=ttyS0 quiet"
 * $HVTEST_LINUX_APPEND, if set, is added to either command line (e.g.
 * "loglevel=7" to see the boot).
 */
#ifndef HV_TEST_LINUX_GUEST_H
#define HV_TEST_LINUX_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "linux_console.h"
#include "linux_fetch.h"
#include "public/domctl.h"

/* Deadlines, in ms: what a loaded machine needs with a wide margin (a
 * boot under TCG takes ~4 s, a command well under one). */
#define LG_BOOT_MS   180000
#define LG_CMD_MS    60000

enum lg_hv { LG_HVCORE, LG_QEMU };

struct lg_opts {
    enum lg_hv hv;
    const char *vmlinuz;
    const char *initrd;
    unsigned mem_mib;            /* 0: 256                               */
    bool reboot_restarts;        /* QEMU: no -no-reboot (hvcore restarts
                                  * on a reboot by default)               */
};

struct lg {
    enum lg_hv hv;
    struct lc *con;              /* the console                          */
    uint64_t started_ms;         /* monotonic, just before the fork      */
    char rundir[64];             /* hvcore's private runtime directory   */
    uint32_t domid;              /* hvcore's domain                      */
    unsigned cmds;               /* lg_run() calls, for unique markers   */
};

/* The hypervisor $HVTEST_LINUX_HYPERVISOR names ("qemu" or "hvcore", the
 * default). */
enum lg_hv lg_hv_from_env(void);
/* "hvcore" or "QEMU TCG". */
const char *lg_hv_name(enum lg_hv hv);

/* Start the guest.  For hvcore, wait until hvcore says the domain runs.
 * NULL with one line in why if it could not be started (for hvcore: the
 * first line hvcore wrote on stderr). */
struct lg *lg_boot(const struct lg_opts *o, char *why, size_t why_len);

/* Run one shell command at the prompt and wait (up to timeout_ms) for it
 * to end; its output (without the echoed command line) in out, cut to
 * out_len.  The command's exit status, or -ETIMEDOUT / -EPIPE. */
int lg_run(struct lg *g, const char *cmd, char *out, size_t out_len, int timeout_ms);

/* Pause (pause true) or unpause the guest: domctl pause/unpause for
 * hvcore, the monitor's stop/cont for QEMU.  0, or -1 with why. */
int lg_pause(struct lg *g, bool pause, char *why, size_t why_len);

/* hvcore's domctl getinfo for the domain.  0, or the negative status. */
int lg_info(struct lg *g, struct hv_domctl_info *info);

/* hvcore only: domctl shutdown with reason (SHUTDOWN_REQUEST_poweroff or
 * _reboot), as `hvctl shutdown` / `reboot` send it.  0 or the status. */
int lg_shutdown(struct lg *g, uint32_t reason);

/* Kill the guest if it still runs, remove the runtime directory, free. */
void lg_free(struct lg *g);

/* A failure message's view of the guest: the console's last lines and
 * the program's stderr (static buffer). */
const char *lg_story(const struct lg *g);

#endif /* HV_TEST_LINUX_GUEST_H */
