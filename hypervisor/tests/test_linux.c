/*
 * test_linux.c - issue 12: Debian's stock cloud kernel, fetched at test
 * time (linux_fetch.sh), boots under hvcore as a Xen PV guest with the
 * busybox initramfs built here, and behaves: it reaches init, its shell
 * answers what is typed on the console, `date` and `sleep 1` keep time,
 * `poweroff -f` ends hvcore with status 0, `reboot -f` boots again in the
 * same domain, and a paused domain prints nothing.  Corrupted or truncated
 * kernels and initrds are refused with one line.
 *
 * HVTEST_LINUX_HYPERVISOR=qemu runs the boots under QEMU TCG instead (the
 * kit's own check; the corrupted-input cases are hvcore's and skip).  Every
 * test skips, saying why, where the packages cannot be fetched; under
 * hvcore also where /dev/kvm is unusable.  An argument filters the tests
 * by name (cmocka's pattern).
 */
#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "linux_guest.h"
#include "linux_initramfs.h"
#include "public/shared_info.h"
#include "test_util.h"

/* sleep 1 may not end before 1 s has passed on the host (less a timer's
 * granularity); its upper bound only catches a clock that barely moves. */
#define SLEEP_MIN_MS         950
#define SLEEP_MAX_MS         30000
/* The guest's date against the host's: its wall clock is the host's. */
#define DATE_SKEW_MAX_S      300
/* The pause test's guest prints a counter every COUNTER_US. */
#define COUNTER_US           100000
#define PAUSED_WATCH_MS      1000
#define PAUSE_SETTLE_MS      300     /* lines already on their way       */

static enum lg_hv hv;
static struct linux_kit kit;
static struct linux_initrd initrd;
static char workdir[64];
static int kit_state = -1;          /* 0, LINUX_FETCH_SKIP or -1         */
static char kit_why[1024];
static struct lg *guest;            /* the test's, freed by its teardown */
static struct dom *refused;         /* the corrupted-input tests'        */

/* Fail with the guest's console and stderr. */
#define GUEST_FAIL(...) do {                                                 \
        fprintf(stderr, __VA_ARGS__);                                        \
        fprintf(stderr, "\n%s\n", lg_story(guest));                          \
        fail();                                                              \
    } while (0)

#define GUEST_WAIT(text, ms) do {                                            \
        int r_ = lc_wait_for(guest->con, (text), (ms));                      \
        if (r_ < 0)                                                          \
            GUEST_FAIL("the console never showed \"%s\" (%s)", (text),       \
                       strerror(-r_));                                       \
    } while (0)

static int group_setup(void **state)
{
    (void)state;
    hv = lg_hv_from_env();
    kit_state = linux_fetch(&kit, kit_why, sizeof(kit_why));
    if (kit_state)
        return 0;
    snprintf(workdir, sizeof(workdir), "/tmp/hvtest-linux.XXXXXX");
    if (!mkdtemp(workdir)) {
        snprintf(kit_why, sizeof(kit_why), "mkdtemp: %s", strerror(errno));
        workdir[0] = '\0';
        kit_state = -1;
        return 0;
    }
    if (linux_initramfs(kit.busybox, workdir, &initrd, kit_why, sizeof(kit_why)) < 0)
        kit_state = -1;
    return 0;
}

static int group_teardown(void **state)
{
    char cmd[128];

    (void)state;
    if (workdir[0]) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", workdir);
        (void)!system(cmd);
    }
    return 0;
}

static int test_teardown(void **state)
{
    (void)state;
    lg_free(guest);
    guest = NULL;
    dom_free(refused);
    refused = NULL;
    return 0;
}

/* Skip without the packages; fail if the kit could not be made. */
static void require_kit(void)
{
    static bool said;

    if (kit_state == LINUX_FETCH_SKIP) {
        if (!said)
            fprintf(stderr, "SKIP: the Debian packages cannot be fetched here: %s\n", kit_why);
        said = true;
        skip();
    }
    if (kit_state) {
        fprintf(stderr, "the Linux test kit could not be made: %s\n", kit_why);
        fail();
    }
    if (hv == LG_HVCORE)
        REQUIRE_KVM();
}

/* Boot the kit and wait for init's marker and the shell's prompt. */
static void boot(const char *initrd_path, bool reboot_restarts)
{
    struct lg_opts o = { .hv = hv, .vmlinuz = kit.vmlinuz, .initrd = initrd_path,
                         .reboot_restarts = reboot_restarts };
    char why[1024];

    require_kit();
    guest = lg_boot(&o, why, sizeof(why));
    if (!guest) {
        fprintf(stderr, "%s did not start the guest: %s\n", lg_hv_name(hv), why);
        fail();
    }
    GUEST_WAIT(LINUX_INIT_MARKER, LG_BOOT_MS);
    GUEST_WAIT(LINUX_PROMPT, LG_BOOT_MS);
}

/* Run cmd in the guest's shell; its output in out; fail unless it ends
 * with status 0. */
static void run(const char *cmd, char *out, size_t out_len)
{
    int r = lg_run(guest, cmd, out, out_len, LG_CMD_MS);

    if (r < 0)
        GUEST_FAIL("'%s' did not finish: %s", cmd, strerror(-r));
    if (r)
        GUEST_FAIL("'%s' ended with status %d", cmd, r);
}

static void boots_to_init(void **state)
{
    (void)state;
    /* The uncompressed archive here; every other test boots the gzip one. */
    boot(initrd.cpio, false);
}

static void shell_answers(void **state)
{
    char out[256];

    (void)state;
    boot(initrd.gz, false);
    run("echo $((6*7))", out, sizeof(out));
    assert_string_equal(out, "42\n");
    run("uname -r", out, sizeof(out));
    out[strcspn(out, "\n")] = '\0';
    assert_string_equal(out, kit.release);
}

static void date_and_sleep_keep_time(void **state)
{
    char out[256];
    long before, after;
    uint64_t t0, took;

    (void)state;
    boot(initrd.gz, false);
    run("date +%s; sleep 1; date +%s", out, sizeof(out));
    if (sscanf(out, "%ld %ld", &before, &after) != 2)
        GUEST_FAIL("date +%%s printed '%s'", out);
    if (after < before + 1 || after > before + SLEEP_MAX_MS / 1000)
        GUEST_FAIL("the guest's date went from %ld to %ld across sleep 1", before, after);
    if (labs(before - (long)time(NULL)) > DATE_SKEW_MAX_S)
        GUEST_FAIL("the guest's date %ld is far from the host's %ld", before, (long)time(NULL));

    t0 = ms_now();
    run("sleep 1", NULL, 0);
    took = ms_now() - t0;
    if (took < SLEEP_MIN_MS || took > SLEEP_MAX_MS)
        GUEST_FAIL("sleep 1 took %llu ms measured on the host", (unsigned long long)took);
}

static void poweroff_ends_with_status_0(void **state)
{
    int status, r;

    (void)state;
    boot(initrd.gz, false);
    assert_int_equal(lc_send(guest->con, "poweroff -f\n"), 0);
    r = lc_wait_exit(guest->con, LG_BOOT_MS, &status);
    if (r < 0)
        GUEST_FAIL("%s still runs after poweroff -f", lg_hv_name(hv));
    if (status != HVCORE_EXIT_OK)
        GUEST_FAIL("%s exited with status %d after poweroff -f", lg_hv_name(hv), status);
}

static void reboot_boots_again(void **state)
{
    struct hv_domctl_info info;
    char out[64];

    (void)state;
    boot(initrd.gz, true);
    assert_int_equal(lc_send(guest->con, "reboot -f\n"), 0);
    GUEST_WAIT(LINUX_INIT_MARKER, LG_BOOT_MS);
    GUEST_WAIT(LINUX_PROMPT, LG_BOOT_MS);
    run("echo again", out, sizeof(out));
    assert_string_equal(out, "again\n");
    if (!lc_running(guest->con))
        GUEST_FAIL("%s ended", lg_hv_name(hv));
    if (hv == LG_HVCORE) {
        if (lg_info(guest, &info) != 0)
            GUEST_FAIL("getinfo failed after the reboot");
        assert_int_equal(info.domid, guest->domid);
        assert_int_equal(info.boot_count, 2);
        assert_int_equal(info.state, HV_DOMSTATE_running);
    }
}

/* hvctl shutdown: hvcore writes xenstore's control/shutdown, Linux's
 * watch sees it and runs /sbin/poweroff, init powers off. */
static void shutdown_request_reaches_the_guest(void **state)
{
    int status;

    (void)state;
    if (hv != LG_HVCORE)
        skip();
    boot(initrd.gz, false);
    assert_int_equal(lg_shutdown(guest, SHUTDOWN_REQUEST_poweroff), 0);
    GUEST_WAIT(LINUX_POWEROFF_MARKER, LG_BOOT_MS);
    if (lc_wait_exit(guest->con, LG_BOOT_MS, &status) < 0)
        GUEST_FAIL("hvcore still runs after the guest's poweroff");
    if (status != HVCORE_EXIT_OK)
        GUEST_FAIL("hvcore exited with status %d after the shutdown request", status);
}

/* hvctl reboot: the same path with "reboot", and the domain boots again. */
static void reboot_request_boots_again(void **state)
{
    struct hv_domctl_info info;

    (void)state;
    if (hv != LG_HVCORE)
        skip();
    boot(initrd.gz, true);
    assert_int_equal(lg_shutdown(guest, SHUTDOWN_REQUEST_reboot), 0);
    GUEST_WAIT(LINUX_REBOOT_MARKER, LG_BOOT_MS);
    GUEST_WAIT(LINUX_PROMPT, LG_BOOT_MS);
    if (lg_info(guest, &info) != 0)
        GUEST_FAIL("getinfo failed after the reboot");
    assert_int_equal(info.boot_count, 2);
    assert_int_equal(info.state, HV_DOMSTATE_running);
}

/* The last "counter <n>" line the guest printed, or -1. */
static long last_counter(void)
{
    const char *t = lc_transcript(guest->con);
    long last = -1;

    for (const char *p = strstr(t, "counter "); p; p = strstr(p + 1, "counter ")) {
        char *end;
        long v = strtol(p + 8, &end, 10);
        if (end != p + 8 && *end == '\n')
            last = v;
    }
    return last;
}

static void pause_stops_output(void **state)
{
    struct hv_domctl_info info;
    char why[512], cmd[128], next[32];
    long paused_at;

    (void)state;
    boot(initrd.gz, false);
    snprintf(cmd, sizeof(cmd),
             "i=0; while :; do echo counter $i; i=$((i+1)); usleep %d; done\n", COUNTER_US);
    assert_int_equal(lc_send(guest->con, cmd), 0);
    GUEST_WAIT("counter 3\n", LG_CMD_MS);

    if (lg_pause(guest, true, why, sizeof(why)) < 0)
        GUEST_FAIL("pause: %s", why);
    if (hv == LG_HVCORE && (lg_info(guest, &info) != 0 || info.state != HV_DOMSTATE_paused))
        GUEST_FAIL("getinfo does not say paused");
    lc_drain(guest->con, PAUSE_SETTLE_MS);
    paused_at = last_counter();
    lc_drain(guest->con, PAUSED_WATCH_MS);
    if (last_counter() != paused_at)
        GUEST_FAIL("the paused guest went on from counter %ld to %ld", paused_at,
                   last_counter());

    if (lg_pause(guest, false, why, sizeof(why)) < 0)
        GUEST_FAIL("unpause: %s", why);
    snprintf(next, sizeof(next), "counter %ld\n", paused_at + 1);
    GUEST_WAIT(next, LG_CMD_MS);
}

/* Corrupted input: hvcore's command line ------------------------------- */

/* The file at path, or fail. */
static char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    char *buf;

    assert_non_null(f);
    assert_int_equal(fstat(fileno(f), &st), 0);
    buf = malloc((size_t)st.st_size);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)st.st_size, f), (size_t)st.st_size);
    fclose(f);
    *size = (size_t)st.st_size;
    return buf;
}

/* Write size bytes of buf to workdir/name; its path in path. */
static void spill(const char *name, const char *buf, size_t size, char *path, size_t len)
{
    FILE *f;

    snprintf(path, len, "%s/%s", workdir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, size, f), size);
    assert_int_equal(fclose(f), 0);
}

/* hvcore refuses kernel + initrd at startup with exactly one stderr line
 * that starts with prefix. */
static void expect_refused(const char *kernel, const char *initrd_path, const char *prefix)
{
    const char *args[] = { "--kernel", kernel, "--initrd", initrd_path, "--memory", "256",
                           "--cmdline", "console=hvc0", "--console", "stdio", NULL };
    const char *nl;

    refused = dom_spawnv(args, -1);
    assert_non_null(refused);
    if (refused->domid) {
        fprintf(stderr, "hvcore started a domain with %s and %s\n", kernel, initrd_path);
        fail();
    }
    nl = strchr(refused->err, '\n');
    if (refused->status != HVCORE_EXIT_STARTUP || strncmp(refused->err, prefix, strlen(prefix)) ||
        !nl || nl[1]) {
        fprintf(stderr, "hvcore exited with status %d and stderr:\n%s\nwanted status %d and "
                "one line starting \"%s\"\n", refused->status, refused->err, HVCORE_EXIT_STARTUP,
                prefix);
        fail();
    }
}

static void require_hvcore_kit(void)
{
    if (hv != LG_HVCORE) {
        fprintf(stderr, "SKIP: hvcore's command line only\n");
        skip();
    }
    require_kit();
}

static void refuses_truncated_kernel(void **state)
{
    char path[PATH_MAX];
    size_t size;
    char *k;

    (void)state;
    require_hvcore_kit();
    k = slurp(kit.vmlinuz, &size);
    spill("vmlinuz-truncated", k, size / 2, path, sizeof(path));
    free(k);
    expect_refused(path, initrd.gz, "hvcore: kernel:");
}

/* The bzImage's compressed payload (setup header: setup_sects at 0x1f1,
 * payload_offset and payload_length at 0x248) with its first byte, the
 * compression format's magic, flipped.  A byte further in may be a
 * literal that no check can see: the legacy lz4 frame has no checksum,
 * and the image's build CRC no longer matches once Debian signs it. */
static void refuses_flipped_kernel_byte(void **state)
{
    char path[PATH_MAX];
    uint32_t payload_offset, payload_length;
    size_t size, setup;
    char *k;

    (void)state;
    require_hvcore_kit();
    k = slurp(kit.vmlinuz, &size);
    assert_true(size > 0x250);
    setup = ((size_t)(k[0x1f1] ? (unsigned char)k[0x1f1] : 4) + 1) * 512;
    memcpy(&payload_offset, k + 0x248, 4);
    memcpy(&payload_length, k + 0x24c, 4);
    assert_true(payload_length > 0 && setup + payload_offset + payload_length <= size);
    k[setup + payload_offset] ^= (char)0xff;
    spill("vmlinuz-flipped", k, size, path, sizeof(path));
    free(k);
    expect_refused(path, initrd.gz, "hvcore: kernel:");
}

static void refuses_truncated_initrd(void **state)
{
    char path[PATH_MAX];
    size_t size;
    char *r;

    (void)state;
    require_hvcore_kit();
    r = slurp(initrd.gz, &size);
    spill("initrd-truncated", r, size / 2, path, sizeof(path));
    free(r);
    expect_refused(kit.vmlinuz, path, "hvcore: initrd:");
}

static void refuses_garbage_initrd(void **state)
{
    char path[PATH_MAX], junk[65536];
    uint32_t x = 12345;

    (void)state;
    require_hvcore_kit();
    for (size_t i = 0; i < sizeof(junk); i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (char)(x >> 16);
    }
    spill("initrd-garbage", junk, sizeof(junk), path, sizeof(path));
    expect_refused(kit.vmlinuz, path, "hvcore: initrd:");
}

/* What a Xen PV domain cannot have yet is refused before any VM exists,
 * with the one line that says so, word for word. */
static void refuse_option(const char *opt, const char *val, const char *line)
{
    const char *args[] = { "--kernel", kit.vmlinuz, "--initrd", initrd.gz, "--memory", "256",
                           "--console", "stdio", opt, val, NULL };

    dom_free(refused);
    refused = dom_spawnv(args, -1);
    assert_non_null(refused);
    assert_int_equal(refused->domid, 0);
    assert_int_equal(refused->status, HVCORE_EXIT_STARTUP);
    assert_string_equal(refused->err, line);
}

static void refuses_what_xen_domains_lack(void **state)
{
    (void)state;
    require_hvcore_kit();
    refuse_option("--vcpus", "2", "hvcore: a Xen PV domain has one vCPU for now (--vcpus 1)\n");
    refuse_option("--max-memory", "512",
                  "hvcore: a Xen PV domain cannot balloon yet: give --memory without "
                  "--max-memory\n");
    refuse_option("--device", "blk,id=vda,file=/dev/null",
                  "hvcore: --device: a Xen PV domain cannot have devices yet "
                  "(no blkfront/netfront)\n");
}

/* Boot with HVCORE_XEN_TRACE (and HVCORE_XEN_FASTCALL=fastcall,
 * HVCORE_XEN_PATCH=patch; NULL: not set), run fork+exec in the shell,
 * power off: hvcore's trace. */
static const char *traced_boot(const char *fastcall, const char *patch)
{
    char out[64];
    int status;

    setenv("HVCORE_XEN_TRACE", "1", 1);
    if (fastcall)
        setenv("HVCORE_XEN_FASTCALL", fastcall, 1);
    if (patch)
        setenv("HVCORE_XEN_PATCH", patch, 1);
    boot(initrd.gz, false);
    unsetenv("HVCORE_XEN_TRACE");
    unsetenv("HVCORE_XEN_FASTCALL");
    unsetenv("HVCORE_XEN_PATCH");
    run("for i in 1 2 3 4 5 6 7 8; do /bin/true; done; echo done", out, sizeof(out));
    assert_string_equal(out, "done\n");
    assert_int_equal(lc_send(guest->con, "poweroff -f\n"), 0);
    if (lc_wait_exit(guest->con, LG_BOOT_MS, &status) < 0 || status != HVCORE_EXIT_OK)
        GUEST_FAIL("hvcore did not end with status 0 after poweroff -f");
    return lc_stderr(guest->con);
}

/* The count the trace gives for "fast hypercall <nr>:", 0 if none. */
static unsigned long fast_count(const char *trace, unsigned nr)
{
    char key[48];
    const char *at;

    snprintf(key, sizeof(key), "fast hypercall %2u: ", nr);
    at = strstr(trace, key);
    return at ? strtoul(at + strlen(key), NULL, 10) : 0;
}

/* The boot's page-table updates start the fast-call thread
 * (docs/xen-pv.md) and each is made once, by the thread or through an
 * exit; the guest is none the wiser.  How many the thread serves depends
 * on the CPU it gets (none with both cores busy), so that is not asked:
 * unit_xen_fastcall shows it serves. */
static void page_table_updates_start_the_fast_call_thread(void **state)
{
    unsigned long punted = 0, gave_up = 0, bursts = 0;
    const char *at;

    (void)state;
    require_hvcore_kit();
    const char *trace = traced_boot(NULL, NULL);
    at = strstr(trace, "fast calls: ");
    if (!at || sscanf(at, "fast calls: %lu punted, %lu given up by the stub, %lu bursts",
                      &punted, &gave_up, &bursts) != 3)
        GUEST_FAIL("hvcore's trace has no fast-call summary");
    if (bursts == 0)
        GUEST_FAIL("the boot's page-table updates never started the fast-call thread");
    at = strstr(trace, "hypercall  1: ");
    unsigned long slow = at ? strtoul(at + strlen("hypercall  1: "), NULL, 10) : 0;
    if (fast_count(trace, 1) + slow < 1000)
        GUEST_FAIL("a boot made %lu mmu_updates", fast_count(trace, 1) + slow);
}

/* The kernel's emulation of cmpxchg16b, whose cli traps, is made the
 * instruction before the kernel runs (xen_patch.h), and Linux runs on it:
 * the boot and the fork+exec loop are SLUB at work. */
static void cmpxchg16b_emulation_is_patched(void **state)
{
    unsigned a, b, c, d;

    (void)state;
    require_hvcore_kit();
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_CMPXCHG16B)) {
        fprintf(stderr, "SKIP: this CPU has no cmpxchg16b: hvcore leaves the kernel as it is\n");
        skip();
    }
    const char *trace = traced_boot(NULL, NULL);
    if (!strstr(trace, "hvcore: xen: kernel: this_cpu_cmpxchg16b_emu at 0xffffffff"))
        GUEST_FAIL("the kernel's cmpxchg16b emulation was not patched");
}

/* With HVCORE_XEN_FASTCALL=0 every call exits, with HVCORE_XEN_PATCH=0 the
 * kernel runs as loaded (every cli of its cmpxchg16b emulation traps),
 * and Linux runs the same. */
static void every_call_may_exit(void **state)
{
    (void)state;
    require_hvcore_kit();
    const char *trace = traced_boot("0", "0");
    if (strstr(trace, "fast hypercall") || strstr(trace, "fast calls:"))
        GUEST_FAIL("a call was served without an exit under HVCORE_XEN_FASTCALL=0");
    if (!strstr(trace, "hypercall  1: "))
        GUEST_FAIL("the trace counts no mmu_update exits");
    if (strstr(trace, "this_cpu_cmpxchg16b_emu"))
        GUEST_FAIL("the kernel was patched under HVCORE_XEN_PATCH=0");
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(boots_to_init, test_teardown),
        cmocka_unit_test_teardown(shell_answers, test_teardown),
        cmocka_unit_test_teardown(date_and_sleep_keep_time, test_teardown),
        cmocka_unit_test_teardown(poweroff_ends_with_status_0, test_teardown),
        cmocka_unit_test_teardown(reboot_boots_again, test_teardown),
        cmocka_unit_test_teardown(shutdown_request_reaches_the_guest, test_teardown),
        cmocka_unit_test_teardown(reboot_request_boots_again, test_teardown),
        cmocka_unit_test_teardown(pause_stops_output, test_teardown),
        cmocka_unit_test_teardown(refuses_truncated_kernel, test_teardown),
        cmocka_unit_test_teardown(refuses_flipped_kernel_byte, test_teardown),
        cmocka_unit_test_teardown(refuses_truncated_initrd, test_teardown),
        cmocka_unit_test_teardown(refuses_garbage_initrd, test_teardown),
        cmocka_unit_test_teardown(refuses_what_xen_domains_lack, test_teardown),
        cmocka_unit_test_teardown(page_table_updates_start_the_fast_call_thread, test_teardown),
        cmocka_unit_test_teardown(cmpxchg16b_emulation_is_patched, test_teardown),
        cmocka_unit_test_teardown(every_call_may_exit, test_teardown),
    };

    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
