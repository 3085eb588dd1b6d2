/*
 * test_config.c - the domain configuration: every fixture under
 * tests/data/config/ in, the exact text or the exact error out.
 *
 *   valid/NAME.xml      input
 *   valid/NAME.out.xml  what hv_config_to_xml must write for it
 *   valid/NAME.json     what hv_config_to_json must write for it (and,
 *                       read back, must give the same XML again)
 *   invalid/NAME.{xml,json} + NAME.err   the one-line error the user sees
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hvctl.h"

static char datadir[1024];

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

static char *fixture(const char *sub, const char *name, size_t *len)
{
    char path[2048];
    char *s;

    /* The fixtures' names are short: precisions keep gcc -O3 quiet. */
    snprintf(path, sizeof(path), "%.1000s/config/%.20s/%.900s", datadir, sub, name);
    s = slurp(path, len);
    if (!s)
        fail_msg("cannot read fixture %s", path);
    return s;
}

static const char *const valid[] = { "minimal", "full", "units", "escaping",
                                     "devices", "linux", "os-pv",
                                     "initrd-auto" };

/* XML -> model -> XML and JSON, against the expected files. */
static void test_valid_fixtures(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        char name[256], *in, *want_xml, *want_json, *x, *j, *x2, *j2;
        hv_config *c, *c2, *c3;
        size_t len;

        snprintf(name, sizeof(name), "%s.xml", valid[i]);
        in = fixture("valid", name, &len);
        snprintf(name, sizeof(name), "%s.out.xml", valid[i]);
        want_xml = fixture("valid", name, NULL);
        snprintf(name, sizeof(name), "%s.json", valid[i]);
        want_json = fixture("valid", name, NULL);

        if (hv_config_from_xml(in, len, valid[i], &c) != 0)
            fail_msg("%s: %s", valid[i], hv_last_error());
        assert_int_equal(hv_config_to_xml(c, &x), 0);
        assert_int_equal(hv_config_to_json(c, &j), 0);
        assert_string_equal(x, want_xml);
        assert_string_equal(j, want_json);

        /* JSON back to the model, and out as XML: nothing lost. */
        assert_int_equal(hv_config_from_json(j, strlen(j), name, &c2), 0);
        assert_int_equal(hv_config_to_xml(c2, &x2), 0);
        assert_string_equal(x2, want_xml);

        /* The canonical XML reads back to itself. */
        assert_int_equal(hv_config_from_xml(x, strlen(x), "out", &c3), 0);
        assert_int_equal(hv_config_to_json(c3, &j2), 0);
        assert_string_equal(j2, want_json);

        free(in); free(want_xml); free(want_json);
        free(x); free(j); free(x2); free(j2);
        hv_config_free(c); hv_config_free(c2); hv_config_free(c3);
    }
}

static unsigned long long host_ram_mib(void)
{
    return (unsigned long long)sysconf(_SC_PHYS_PAGES) *
           (unsigned long long)sysconf(_SC_PAGESIZE) / (1024 * 1024);
}

/* Every invalid fixture fails with exactly its .err line. */
static void test_invalid_fixtures(void **state)
{
    char dir[1100], path[2200];
    struct dirent *de;
    int checked = 0, failed = 0;
    DIR *d;

    (void)state;
    snprintf(dir, sizeof(dir), "%s/config/invalid", datadir);
    d = opendir(dir);
    assert_non_null(d);
    while ((de = readdir(d))) {
        const char *dot = strrchr(de->d_name, '.');
        char stem[256], *in, *want, *nl, *at, expect[1024];
        bool json;
        hv_config *c = (hv_config *)1;
        size_t len;
        int rc;

        if (!dot || (strcmp(dot, ".xml") && strcmp(dot, ".json")))
            continue;
        json = strcmp(dot, ".json") == 0;
        snprintf(stem, sizeof(stem), "%.*s", (int)(dot - de->d_name),
                 de->d_name);
        in = fixture("invalid", de->d_name, &len);
        snprintf(path, sizeof(path), "%s.err", stem);
        want = fixture("invalid", path, NULL);
        if ((nl = strchr(want, '\n')))
            *nl = '\0';
        /* The one host-dependent number. */
        if ((at = strstr(want, "@HOSTRAM@")))
            snprintf(expect, sizeof(expect), "%.*s%llu%s", (int)(at - want),
                     want, host_ram_mib(), at + 9);
        else
            snprintf(expect, sizeof(expect), "%s", want);

        rc = json ? hv_config_from_json(in, len, de->d_name, &c)
                  : hv_config_from_xml(in, len, de->d_name, &c);
        if (rc != HV_ECONFIG || c != NULL ||
            strcmp(hv_last_error(), expect) != 0) {
            print_error("%s: rc %d\n  want: %s\n  got:  %s\n", de->d_name, rc,
                        expect, hv_last_error());
            failed++;
        }
        assert_int_equal(hv_last_error_code(), rc);
        hv_config_free(c);
        free(in);
        free(want);
        checked++;
    }
    closedir(d);
    assert_int_equal(failed, 0);
    assert_true(checked >= 40);
}

/* The example in the issue, as it stands: accepted, uuid generated. */
static void test_issue_example(void **state)
{
    char *in, *x, *j;
    hv_config *c, *c2;
    const char *u;
    uint64_t cur, max;
    unsigned vc, vm;
    size_t len;

    (void)state;
    in = fixture("valid", "issue-example.xml", &len);
    assert_int_equal(hv_config_from_xml(in, len, "web.xml", &c), 0);
    assert_string_equal(hv_config_get_name(c), "web");
    u = hv_config_get_uuid(c);
    assert_int_equal(strlen(u), 36);
    assert_int_equal(u[14], '4');       /* random, version 4 */
    hv_config_get_memory(c, &cur, &max);
    assert_int_equal(cur, 256);
    assert_int_equal(max, 256);
    hv_config_get_vcpus(c, &vc, &vm);
    assert_int_equal(vc, 2);
    assert_int_equal(vm, 2);
    assert_string_equal(hv_config_get_kernel(c), "/path/to/pvboot");
    assert_string_equal(hv_config_get_cmdline(c), "counter");
    assert_int_equal(hv_config_get_action(c, HV_ON_POWEROFF), HV_ACTION_DESTROY);
    assert_int_equal(hv_config_get_action(c, HV_ON_REBOOT), HV_ACTION_RESTART);
    assert_null(hv_config_get_console_log(c));

    /* The generated uuid is part of the config from now on. */
    assert_int_equal(hv_config_to_json(c, &j), 0);
    assert_int_equal(hv_config_from_json(j, strlen(j), "web.json", &c2), 0);
    assert_string_equal(hv_config_get_uuid(c2), u);
    assert_int_equal(hv_config_to_xml(c2, &x), 0);
    assert_non_null(strstr(x, u));
    free(in); free(x); free(j);
    hv_config_free(c); hv_config_free(c2);
}

static void test_huge_input(void **state)
{
    char path[] = "/tmp/hvctl-huge-XXXXXX", want[256];
    size_t n = 2 * 1024 * 1024;
    char *big = malloc(n);
    hv_config *c;
    int fd;

    (void)state;
    assert_non_null(big);
    memset(big, ' ', n);
    memcpy(big, "<domain type=\"pv\">", 18);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, big, n), (ssize_t)n);
    close(fd);

    assert_int_equal(hv_config_load_file(path, &c), HV_ECONFIG);
    assert_null(c);
    snprintf(want, sizeof(want), "%s: 2097152 bytes is more than the limit "
             "of 1048576 bytes", path);
    assert_string_equal(hv_last_error(), want);
    assert_int_equal(hv_config_from_xml(big, n, "big.xml", &c), HV_ECONFIG);
    assert_string_equal(hv_last_error(), "big.xml: 2097152 bytes is more "
                        "than the limit of 1048576 bytes");
    assert_int_equal(hv_config_from_json(big, n, "big.json", &c), HV_ECONFIG);
    assert_string_equal(hv_last_error(), "big.json: 2097152 bytes is more "
                        "than the limit of 1048576 bytes");
    unlink(path);
    free(big);
}

static void test_load_file(void **state)
{
    char path[2048];
    hv_config *c;

    (void)state;
    snprintf(path, sizeof(path), "%s/config/valid/full.json", datadir);
    assert_int_equal(hv_config_load_file(path, &c), 0);
    assert_string_equal(hv_config_get_name(c), "web-01.example");
    hv_config_free(c);
    snprintf(path, sizeof(path), "%s/config/valid/full.xml", datadir);
    assert_int_equal(hv_config_load_file(path, &c), 0);
    assert_string_equal(hv_config_get_console_log(c),
                        "/var/log/hvctl/web-01.log");
    hv_config_free(c);
    assert_int_equal(hv_config_load_file("/nonexistent/x.xml", &c), HV_EIO);
    assert_string_equal(hv_last_error(),
                        "/nonexistent/x.xml: No such file or directory");
    assert_int_equal(hv_config_load_file("/", &c), HV_ECONFIG);
    assert_string_equal(hv_last_error(), "/: not a regular file");
}

/* Building a config through the API, and what the API refuses. */
static void test_api(void **state)
{
    hv_config *c = hv_config_new(), *copy;
    char *x, *j;

    (void)state;
    assert_non_null(c);
    assert_null(hv_config_get_name(c));
    assert_int_equal(hv_config_validate(c), HV_ECONFIG);
    assert_string_equal(hv_last_error(), "config: no name");

    assert_int_equal(hv_config_set_name(c, "a/b"), HV_EINVAL);
    assert_string_equal(hv_last_error(), "config: name: 'a/b' contains '/'");
    assert_int_equal(hv_config_set_name(c, ""), HV_EINVAL);
    assert_string_equal(hv_last_error(), "config: name: is empty");
    assert_int_equal(hv_config_set_name(c, "api"), 0);
    assert_int_equal(hv_config_validate(c), HV_ECONFIG);
    assert_string_equal(hv_last_error(), "config 'api': no kernel");
    assert_int_equal(hv_config_set_kernel(c, "/k"), 0);
    assert_int_equal(hv_config_validate(c), 0);

    assert_int_equal(hv_config_set_uuid(c, "nope"), HV_EINVAL);
    assert_int_equal(hv_config_set_uuid(c, "0123456789AB-CDEF-4000-8000-000000000000"), HV_EINVAL);
    assert_int_equal(hv_config_set_uuid(c, "01234567-89AB-CDEF-4000-800000000000"), 0);
    assert_string_equal(hv_config_get_uuid(c), "01234567-89ab-cdef-4000-800000000000");

    assert_int_equal(hv_config_set_memory(c, 0, 64), 0);
    assert_int_equal(hv_config_validate(c), HV_ECONFIG);
    assert_string_equal(hv_last_error(), "config 'api': memory.current_mib: "
                        "0 MiB is less than the minimum of 2 MiB");
    assert_int_equal(hv_config_set_memory(c, 32, 64), 0);
    assert_int_equal(hv_config_set_vcpus(c, 1, 17), 0);
    assert_int_equal(hv_config_validate(c), HV_ECONFIG);
    assert_string_equal(hv_last_error(), "config 'api': vcpus.max: 17 vCPUs "
                        "is more than the limit of 16");
    assert_int_equal(hv_config_set_vcpus(c, 2, 2), 0);
    assert_int_equal(hv_config_set_action(c, HV_ON_REBOOT, HV_ACTION_PRESERVE), 0);
    assert_int_equal(hv_config_to_xml(c, &x), HV_ECONFIG);
    assert_null(x);
    assert_string_equal(hv_last_error(), "config 'api': on_reboot: 'preserve' "
                        "is only supported for on_crash (use destroy or restart)");
    assert_int_equal(hv_config_set_action(c, HV_ON_REBOOT, 7), HV_EINVAL);
    assert_int_equal(hv_config_set_action(c, 9, HV_ACTION_DESTROY), HV_EINVAL);
    assert_int_equal(hv_config_set_action(c, HV_ON_REBOOT, HV_ACTION_DESTROY), 0);
    assert_int_equal(hv_config_set_cmdline(c, "counter"), 0);
    assert_int_equal(hv_config_set_console_log(c, ""), HV_EINVAL);
    assert_int_equal(hv_config_set_console_log(c, "/tmp/c.log"), 0);

    copy = hv_config_copy(c);
    assert_non_null(copy);
    assert_int_equal(hv_config_to_xml(c, &x), 0);
    assert_int_equal(hv_config_to_json(copy, &j), 0);
    hv_config_free(c);
    assert_int_equal(hv_config_from_json(j, strlen(j), NULL, &c), 0);
    free(j);
    assert_int_equal(hv_config_to_xml(c, &j), 0);
    assert_string_equal(x, j);
    free(x);
    free(j);
    assert_int_equal(hv_config_set_cmdline(c, NULL), 0);
    assert_null(hv_config_get_cmdline(c));
    hv_config_free(c);
    hv_config_free(copy);

    /* NULL handles are errors, not crashes. */
    assert_int_equal(hv_config_validate(NULL), HV_EINVAL);
    assert_int_equal(hv_config_set_name(NULL, "x"), HV_EINVAL);
    assert_int_equal(hv_config_from_xml(NULL, 0, NULL, &c), HV_EINVAL);
    assert_int_equal(hv_config_from_xml("<a/>", 4, NULL, NULL), HV_EINVAL);
    hv_config_free(NULL);
}

/*
 * The os type and the initrd through the API (HV_HAVE_LINUX_GUEST): the
 * default leaves the kernel to hvcore, pv refuses an initrd, and the
 * formats write only what was given.
 */
static void test_os_type(void **state)
{
    hv_config *c = hv_config_new(), *back, *copy;
    char *x, *j;

    (void)state;
    assert_non_null(c);
    assert_int_equal(hv_config_get_os_type(c), HV_OS_AUTO);
    assert_null(hv_config_get_initrd(c));
    assert_string_equal(hv_os_type_name(HV_OS_AUTO), "auto");
    assert_string_equal(hv_os_type_name(HV_OS_PV), "pv");
    assert_string_equal(hv_os_type_name(HV_OS_LINUX), "linux");
    assert_string_equal(hv_os_type_name(3), "unknown");
    assert_string_equal(hv_os_type_name(-1), "unknown");

    assert_int_equal(hv_config_set_name(c, "deb"), 0);
    assert_int_equal(hv_config_set_kernel(c, "/boot/vmlinuz"), 0);
    assert_int_equal(hv_config_set_os_type(c, 3), HV_EINVAL);
    assert_string_equal(hv_last_error(), "config: unknown os type 3");
    assert_int_equal(hv_config_set_os_type(c, -1), HV_EINVAL);
    assert_int_equal(hv_config_get_os_type(c), HV_OS_AUTO);
    assert_int_equal(hv_config_set_initrd(c, ""), HV_EINVAL);
    assert_string_equal(hv_last_error(), "config: initrd path is empty");

    /* No type: the initrd goes to hvcore, which recognises the kernel. */
    assert_int_equal(hv_config_set_initrd(c, "/boot/initrd.img"), 0);
    assert_string_equal(hv_config_get_initrd(c), "/boot/initrd.img");
    assert_int_equal(hv_config_validate(c), 0);
    assert_int_equal(hv_config_to_xml(c, &x), 0);
    assert_non_null(strstr(x, "  <os>\n    <kernel>/boot/vmlinuz</kernel>\n"
                              "    <initrd>/boot/initrd.img</initrd>\n"
                              "  </os>\n"));
    free(x);

    /* pv refuses it, in the caller's words. */
    assert_int_equal(hv_config_set_os_type(c, HV_OS_PV), 0);
    assert_int_equal(hv_config_get_os_type(c), HV_OS_PV);
    assert_int_equal(hv_config_validate(c), HV_ECONFIG);
    assert_string_equal(hv_last_error(), "config 'deb': os.initrd: os type "
                        "'pv' takes no initrd (only 'linux' does)");
    assert_int_equal(hv_config_to_json(c, &j), HV_ECONFIG);
    assert_null(j);
    assert_int_equal(hv_config_set_initrd(c, NULL), 0);
    assert_null(hv_config_get_initrd(c));
    assert_int_equal(hv_config_validate(c), 0);
    assert_int_equal(hv_config_set_initrd(c, "/boot/init\x01rd"), 0);
    assert_int_equal(hv_config_set_os_type(c, HV_OS_LINUX), 0);
    assert_int_equal(hv_config_validate(c), HV_ECONFIG);
    assert_string_equal(hv_last_error(), "config 'deb': os.initrd: holds a "
                        "control character (byte 0x01)");

    /* linux: both survive a copy and the JSON round trip. */
    assert_int_equal(hv_config_set_initrd(c, "/boot/initrd.img"), 0);
    copy = hv_config_copy(c);
    assert_non_null(copy);
    hv_config_free(c);
    assert_int_equal(hv_config_get_os_type(copy), HV_OS_LINUX);
    assert_string_equal(hv_config_get_initrd(copy), "/boot/initrd.img");
    assert_int_equal(hv_config_to_json(copy, &j), 0);
    assert_non_null(strstr(j, "  \"os\": {\n    \"type\": \"linux\",\n"
                              "    \"kernel\": \"/boot/vmlinuz\",\n"
                              "    \"initrd\": \"/boot/initrd.img\"\n  }"));
    assert_int_equal(hv_config_from_json(j, strlen(j), "deb.json", &back), 0);
    assert_int_equal(hv_config_get_os_type(back), HV_OS_LINUX);
    assert_string_equal(hv_config_get_initrd(back), "/boot/initrd.img");
    free(j);
    hv_config_free(back);
    hv_config_free(copy);

    /* NULL handles are errors, not crashes. */
    assert_int_equal(hv_config_get_os_type(NULL), HV_EINVAL);
    assert_int_equal(hv_config_set_os_type(NULL, HV_OS_PV), HV_EINVAL);
    assert_int_equal(hv_config_set_initrd(NULL, "/i"), HV_EINVAL);
    assert_null(hv_config_get_initrd(NULL));
}

static void test_errors(void **state)
{
    (void)state;
    for (int code = 0; code >= HV_EDEAD; code--)
        assert_string_not_equal(hv_strerror(code), "unknown error");
    assert_string_equal(hv_strerror(-999), "unknown error");
    assert_int_equal(hv_version(), HV_API_VERSION);
    assert_string_equal(hv_state_name(HV_STATE_PAUSED), "paused");
    assert_string_equal(hv_event_type_name(HV_EVENT_CRASHED), "crashed");
}

/* The last error belongs to the thread that failed. */
static void *other_thread(void *arg)
{
    hv_config *c;

    (void)arg;
    for (int i = 0; i < 200; i++) {
        hv_config_from_json("[", 1, "thread.json", &c);
        if (strcmp(hv_last_error(), "thread.json:1: JSON ends too early"))
            return (void *)1;
    }
    return NULL;
}

static void test_thread_local_error(void **state)
{
    pthread_t t;
    void *ret;
    hv_config *c;

    (void)state;
    assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
    for (int i = 0; i < 200; i++) {
        hv_config_from_xml("<", 1, "main.xml", &c);
        assert_non_null(strstr(hv_last_error(), "main.xml:1:"));
    }
    pthread_join(t, &ret);
    assert_null(ret);
}

/* A library never prints: parse every broken input with stderr captured. */
static void test_silent(void **state)
{
    char tmpl[] = "/tmp/hvctl-stderr-XXXXXX";
    int fd = mkstemp(tmpl), saved = dup(2);
    hv_config *c;
    off_t size;

    (void)state;
    assert_true(fd >= 0 && saved >= 0);
    fflush(stderr);
    dup2(fd, 2);
    hv_config_from_xml("<domain><</domain>", 18, "x", &c);
    hv_config_from_xml("<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>", 40, "x", &c);
    hv_config_from_xml("\xff\xfe<", 3, "x", &c);
    hv_config_from_json("{\"a\":", 5, "x", &c);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    size = lseek(fd, 0, SEEK_END);
    close(fd);
    unlink(tmpl);
    assert_int_equal(size, 0);
}

int main(void)
{
    const char *d = getenv("HV_TESTDATA");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_fixtures),
        cmocka_unit_test(test_invalid_fixtures),
        cmocka_unit_test(test_issue_example),
        cmocka_unit_test(test_huge_input),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_api),
        cmocka_unit_test(test_os_type),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_thread_local_error),
        cmocka_unit_test(test_silent),
    };

    snprintf(datadir, sizeof(datadir), "%s", d ? d : "tests/data");
    return cmocka_run_group_tests_name("libctl config", tests, NULL, NULL);
}
