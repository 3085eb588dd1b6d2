/*
 * test_console_stall.c - a guest that floods its console while nobody
 * reads hvcore's stdout (a stalled pipe reader, a terminal on XOFF, an
 * agent that stopped reading) must not wedge hvcore's control plane:
 * domctl keeps answering, pause completes, destroy and SIGTERM end it.
 */
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

/* _start: mov $0x400000,%rsp
 * 1:      xor %edi,%edi; mov $4096,%esi; mov $0x100000,%edx
 *         mov $0x18000,%eax; call *%rax      (console_io(write, 4096, image))
 *         jmp 1b */
static const unsigned char flood_code[] = {
    0x48, 0xc7, 0xc4, 0x00, 0x00, 0x40, 0x00, 0x31, 0xff, 0xbe, 0x00, 0x10, 0x00, 0x00,
    0xba, 0x00, 0x00, 0x10, 0x00, 0xb8, 0x00, 0x80, 0x01, 0x00, 0xff, 0xd0, 0xeb, 0xeb,
};

static void write_flood_kernel(char *path)
{
    struct {
        Elf64_Ehdr eh;
        Elf64_Phdr ph;
        unsigned char code[sizeof(flood_code)];
    } k;

    memset(&k, 0, sizeof(k));
    memcpy(k.eh.e_ident, ELFMAG, SELFMAG);
    k.eh.e_ident[EI_CLASS] = ELFCLASS64;
    k.eh.e_ident[EI_DATA] = ELFDATA2LSB;
    k.eh.e_ident[EI_VERSION] = EV_CURRENT;
    k.eh.e_type = ET_EXEC;
    k.eh.e_machine = EM_X86_64;
    k.eh.e_version = EV_CURRENT;
    k.eh.e_entry = 0x100000;
    k.eh.e_phoff = sizeof(k.eh);
    k.eh.e_ehsize = sizeof(k.eh);
    k.eh.e_phentsize = sizeof(k.ph);
    k.eh.e_phnum = 1;
    k.ph.p_type = PT_LOAD;
    k.ph.p_flags = PF_R | PF_X;
    k.ph.p_offset = offsetof(__typeof__(k), code);
    k.ph.p_vaddr = k.ph.p_paddr = 0x100000;
    k.ph.p_filesz = sizeof(flood_code);
    k.ph.p_memsz = 0x2000;
    memcpy(k.code, flood_code, sizeof(flood_code));

    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, &k, sizeof(k)), (ssize_t)sizeof(k));
    close(fd);
}

/* Like dom_wait_exit(), but without reading the console. */
static int wait_exit_without_reading(struct dom *d, int timeout_ms)
{
    uint64_t end = ms_now() + (uint64_t)timeout_ms;
    int st;

    while (ms_now() < end) {
        if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
            d->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            return d->status;
        }
        usleep(10000);
    }
    return -1;
}

/* Until hvcore's stdout pipe is full: a test that stalls it must not
 * depend on how soon a loaded machine fills it. */
static void wait_pipe_full(int fd)
{
    uint64_t end = ms_now() + 30000;
    int size = fcntl(fd, F_GETPIPE_SZ), queued = 0;

    assert_true(size > 0);
    while (ioctl(fd, FIONREAD, &queued) == 0 && queued < size) {
        if (ms_now() > end)
            fail_msg("hvcore's stdout holds %d of %d bytes after 30 s",
                     queued, size);
        usleep(2000);
    }
}

static struct dom *start_flood(char *path)
{
    write_flood_kernel(path);
    struct dom *d = dom_startv(path, "", 16, 1, (const char *[]){ "--name", "flood", NULL });
    assert_non_null(d);
    assert_true(d->status < 0);
    wait_pipe_full(d->console_fd);
    return d;
}

static void stalled_stdout_does_not_block_domctl(void **state)
{
    char path[] = "/tmp/hvtest-flood.XXXXXX";
    struct hv_domctl req;
    struct hv_domctl_reply rep;
    int cfd;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = start_flood(path);

    /* console attach takes console_lock on the event loop */
    memset(&req, 0, sizeof(req));
    req.cmd = HV_DOMCTL_console_attach;
    assert_int_equal(dom_ctl(d, &req, &rep, &cfd), 0);
    assert_true(cfd >= 0);
    close(cfd);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_pause, &rep), 0);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    assert_int_equal(rep.u.info.state, HV_DOMSTATE_paused);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_unpause, &rep), 0);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_destroy, &rep), 0);
    assert_int_equal(wait_exit_without_reading(d, 30000), HVCORE_EXIT_DESTROYED);
    dom_free(d);
    unlink(path);
}

static void stalled_stdout_does_not_block_sigterm(void **state)
{
    char path[] = "/tmp/hvtest-flood.XXXXXX";

    (void)state;
    REQUIRE_KVM();
    struct dom *d = start_flood(path);
    kill(d->pid, SIGTERM);
    assert_int_equal(wait_exit_without_reading(d, 30000), HVCORE_EXIT_DESTROYED);
    dom_free(d);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stalled_stdout_does_not_block_domctl),
        cmocka_unit_test(stalled_stdout_does_not_block_sigterm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
