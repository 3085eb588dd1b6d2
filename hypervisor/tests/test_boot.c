/*
 * test_boot.c - booting pvboot under hvcore: the hello workload, guest
 * crashes, and every way a start can be refused.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

static void hello_prints_and_powers_off(void **state)
{
    (void)state;
    REQUIRE_KVM();
    struct dom *d = dom_start("hello", 32, 1, "--name", "greeter", NULL);
    assert_non_null(d);
    assert_int_equal(dom_wait_exit(d, 10000), HVCORE_EXIT_OK);
    assert_non_null(strstr(d->out, "pvboot: booting hello (boot 1)\n"));
    assert_non_null(strstr(d->out, "pvboot: hello from domain 1 (greeter), 32 MiB, 1 vCPUs, boot 1\n"));
    assert_string_equal(d->err, "");
    dom_free(d);
}

static void page_fault_is_reported_as_crash(void **state)
{
    (void)state;
    REQUIRE_KVM();
    struct dom *d = dom_start("crash", 32, 1, NULL);
    assert_non_null(d);
    assert_int_equal(dom_wait_exit(d, 10000), HVCORE_EXIT_CRASHED);
    assert_non_null(strstr(d->out, "pvboot: crashing on purpose\n"));
    assert_non_null(strstr(d->err, "hvcore: crashed: #PF at rip=0x"));
    assert_non_null(strstr(d->err, " addr=0x8 (vcpu 0)\n"));
    dom_free(d);
}

/* Start hvcore with the given kernel and arguments; it must refuse with
 * exit status 1 and exactly this stderr line. */
static void expect_refusal(const char *kernel, const char *const *extra, const char *msg)
{
    struct dom *d = dom_startv(kernel, "hello", 32, 1, extra);
    assert_non_null(d);
    assert_int_equal(dom_wait_exit(d, 10000), HVCORE_EXIT_STARTUP);
    if (!strstr(d->err, msg)) {
        fprintf(stderr, "expected \"%s\" in stderr, got \"%s\"\n", msg, d->err);
        fail();
    }
    dom_free(d);
}

static void bad_arguments_are_refused(void **state)
{
    const char *pvboot = getenv("PVBOOT");
    (void)state;

    expect_refusal(pvboot, (const char *[]){ "--vcpus", "17", NULL },
                   "hvcore: --vcpus: '17' is not between 1 and 16\n");
    expect_refusal(pvboot, (const char *[]){ "--memory", "1", NULL },
                   "hvcore: memory 1 MiB is outside 2..8192 MiB\n");
    expect_refusal(pvboot, (const char *[]){ "--memory", "9000", NULL },
                   "hvcore: memory 9000 MiB is outside 2..8192 MiB\n");
    expect_refusal(pvboot, (const char *[]){ "--max-memory", "16", NULL },
                   "hvcore: --max-memory is below --memory\n");
    expect_refusal(pvboot, (const char *[]){ "--memory", "lots", NULL },
                   "hvcore: --memory: 'lots' is not a number of MiB\n");
    expect_refusal(pvboot, (const char *[]){ "--name", "a/b", NULL },
                   "hvcore: --name: 'a/b' may contain only letters, digits, '.', '_' and '-'\n");
    expect_refusal(pvboot, (const char *[]){ "--bogus", NULL },
                   "hvcore: unknown option '--bogus'\n");
    expect_refusal(pvboot, (const char *[]){ "--on-crash", "explode", NULL },
                   "hvcore: --on-crash: 'explode' is not destroy, restart or preserve\n");
    expect_refusal("/nonexistent/kernel", NULL,
                   "hvcore: cannot open /nonexistent/kernel: No such file or directory\n");
    /* --detach: the kernel is read after the fork; the foreground process
     * outlives the domain process and says it too failed to start. */
    expect_refusal("/nonexistent/kernel", (const char *[]){ "--detach", NULL },
                   "hvcore: cannot open /nonexistent/kernel: No such file or directory\n");
}

/* Write a copy of pvboot, damaged by fn, and expect hvcore to refuse it. */
static void expect_bad_elf(void (*damage)(unsigned char *, size_t *), const char *msg)
{
    char path[] = "/tmp/hvtest-elf.XXXXXX";
    static unsigned char buf[4 << 20];
    size_t n;
    FILE *f = fopen(getenv("PVBOOT"), "rb");

    assert_non_null(f);
    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    damage(buf, &n);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, n), (ssize_t)n);
    close(fd);
    expect_refusal(path, NULL, msg);
    unlink(path);
}

static void text_file(unsigned char *b, size_t *n) { memcpy(b, "#!/bin/sh\n", 10); *n = 10; }
static void truncated(unsigned char *b, size_t *n) { (void)b; *n = 100; }
static void arm64(unsigned char *b, size_t *n) { (void)n; b[18] = 183; b[19] = 0; }
static void class32(unsigned char *b, size_t *n) { (void)n; b[4] = 1; }

static void malformed_elf_files_are_refused(void **state)
{
    (void)state;
    expect_bad_elf(text_file, ": not an ELF file\n");
    expect_bad_elf(truncated, ": program headers outside the file\n");
    expect_bad_elf(arm64, ": not an x86-64 ELF file (e_machine 183)\n");
    expect_bad_elf(class32, ": not a 64-bit ELF file\n");
}

static void a_name_is_held_by_one_domain(void **state)
{
    (void)state;
    REQUIRE_KVM();
    struct dom *a = dom_start("counter", 32, 1, "--name", "web", NULL);
    assert_non_null(a);
    EXPECT_CONSOLE(a, "counter 1\n", 5000);

    /* the same runtime directory, the same name */
    const char *extra[] = { "--name", "web", "--rundir", a->rundir, NULL };
    struct dom *b = dom_startv(getenv("PVBOOT"), "hello", 32, 1, extra);
    assert_non_null(b);
    assert_int_equal(dom_wait_exit(b, 10000), HVCORE_EXIT_STARTUP);
    assert_string_equal(b->err, "hvcore: name 'web' is already in use\n");
    /* the loser left nothing behind; the winner still runs */
    char path[128];
    snprintf(path, sizeof(path), "%s/domains/2", a->rundir);
    assert_int_equal(access(path, F_OK), -1);
    b->rundir[0] = '\0';     /* shared: a's dom_free removes it */
    dom_free(b);
    assert_int_equal(dom_ctl_cmd(a, HV_DOMCTL_destroy, NULL), 0);
    assert_int_equal(dom_wait_exit(a, 10000), HVCORE_EXIT_DESTROYED);
    dom_free(a);
}

/* Each documented hypercall error, checked by the guest itself: the
 * exact code for every bad pointer, number, port, vCPU and page range. */
static void every_documented_hypercall_error(void **state)
{
    (void)state;
    REQUIRE_KVM();
    struct dom *d = dom_start("abi-errors", 32, 2, NULL);
    assert_non_null(d);
    assert_int_equal(dom_wait_exit(d, 10000), HVCORE_EXIT_OK);
    if (!strstr(d->out, "abi-errors: 34 checks, 0 wrong\n")) {
        fprintf(stderr, "%s", d->out);
        fail();
    }
    dom_free(d);
}

/* A creator that gave up waiting (closed its end of --ready-fd) must not
 * leave behind a domain nobody knows about. */
static void domain_of_a_vanished_creator_is_destroyed(void **state)
{
    int p[2];
    char fdarg[16];

    (void)state;
    REQUIRE_KVM();
    assert_int_equal(pipe(p), 0);
    close(p[0]);
    snprintf(fdarg, sizeof(fdarg), "%d", p[1]);
    struct dom *d = dom_start("counter", 32, 1, "--ready-fd", fdarg, NULL);
    close(p[1]);
    assert_non_null(d);
    assert_int_equal(dom_wait_exit(d, 10000), HVCORE_EXIT_DESTROYED);
    assert_non_null(strstr(d->err, "hvcore: nobody is waiting for the domain any more: "
                                   "destroying it\n"));
    char path[128];
    snprintf(path, sizeof(path), "%s/domains/1", d->rundir);
    assert_int_equal(access(path, F_OK), -1);
    dom_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hello_prints_and_powers_off),
        cmocka_unit_test(page_fault_is_reported_as_crash),
        cmocka_unit_test(bad_arguments_are_refused),
        cmocka_unit_test(malformed_elf_files_are_refused),
        cmocka_unit_test(a_name_is_held_by_one_domain),
        cmocka_unit_test(domain_of_a_vanished_creator_is_destroyed),
        cmocka_unit_test(every_documented_hypercall_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
