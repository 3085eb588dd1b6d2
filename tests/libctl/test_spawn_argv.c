/*
 * test_spawn_argv.c - what the direct driver asks hvcore for: the kernel's
 * options of a domain's command line (--kernel, --initrd, --abi), as
 * hv_domain_create passes them.
 *
 * hvcore here is a stand-in (HVCORE_PATH): a shell script that writes its
 * arguments one a line next to itself and fails with one "hvcore: ..."
 * line, as the real one does when it refuses a domain.  So the create
 * fails, with that line for its message, and the test reads what hvcore
 * was given; no domain runs and nothing needs /dev/kvm.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "hvctl.h"

#define MAX_ARGS 128

static char dir[64];            /* the stand-in, its record, the rundir */
static char fake[128];
static hv_conn *conn;

struct args {
    char *buf;
    char *v[MAX_ARGS];
    int n;
};

static int group_setup(void **state)
{
    static const char script[] =
        "#!/bin/sh\n"
        "for a in \"$0\" \"$@\"; do printf '%s\\n' \"$a\"; done "
        ">\"$(dirname \"$0\")/argv\"\n"
        "echo 'hvcore: argv recorded' >&2\n"
        "exit 1\n";
    char rundir[128];
    FILE *f;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/hvctl-argv-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(fake, sizeof(fake), "%s/hvcore", dir);
    if (!(f = fopen(fake, "w")) || fputs(script, f) < 0 || fclose(f) ||
        chmod(fake, 0755))
        return -1;
    setenv("HVCORE_PATH", fake, 1);
    snprintf(rundir, sizeof(rundir), "%s/run", dir);
    return hv_conn_open(rundir, &conn);
}

static int group_teardown(void **state)
{
    char cmd[128];

    (void)state;
    hv_conn_free(conn);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A config of the test's own: name, kernel, and the os fields given. */
static hv_config *config(const char *name, enum hv_os_type type,
                         const char *initrd)
{
    hv_config *c = hv_config_new();

    assert_non_null(c);
    assert_int_equal(hv_config_set_name(c, name), 0);
    assert_int_equal(hv_config_set_kernel(c, "/boot/vmlinuz"), 0);
    assert_int_equal(hv_config_set_cmdline(c, "console=hvc0"), 0);
    assert_int_equal(hv_config_set_os_type(c, type), 0);
    assert_int_equal(hv_config_set_initrd(c, initrd), 0);
    return c;
}

/* Create cfg with the stand-in; *a gets what it was given. */
static void create_recorded(const hv_config *cfg, struct args *a)
{
    char path[128], want[128];
    hv_domain *dom = NULL;
    long len;
    FILE *f;

    snprintf(path, sizeof(path), "%s/argv", dir);
    unlink(path);
    assert_int_equal(hv_domain_create(conn, cfg, 0, &dom), HV_ESPAWN);
    assert_null(dom);
    snprintf(want, sizeof(want), "domain '%s': hvcore: argv recorded",
             hv_config_get_name(cfg));
    assert_string_equal(hv_last_error(), want);

    f = fopen(path, "r");
    if (!f)
        fail_msg("the stand-in hvcore left no %s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    rewind(f);
    a->buf = malloc((size_t)len + 1);
    assert_non_null(a->buf);
    assert_int_equal(fread(a->buf, 1, (size_t)len, f), (size_t)len);
    a->buf[len] = '\0';
    fclose(f);
    a->n = 0;
    for (char *p = a->buf, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
        *nl = '\0';
        assert_true(a->n < MAX_ARGS);
        a->v[a->n++] = p;
    }
    assert_string_equal(a->v[0], fake);
}

/* The index of option opt, or -1 when it is not there (at most once). */
static int find(const struct args *a, const char *opt)
{
    int at = -1;

    for (int i = 1; i < a->n; i++) {
        if (strcmp(a->v[i], opt) != 0)
            continue;
        if (at >= 0)
            fail_msg("%s given twice (arguments %d and %d)", opt, at, i);
        at = i;
    }
    return at;
}

/* opt is given, with value. */
static void assert_option(const struct args *a, const char *opt,
                          const char *value)
{
    int i = find(a, opt);

    if (i < 0)
        fail_msg("hvcore was not given %s", opt);
    if (i + 1 >= a->n || strcmp(a->v[i + 1], value) != 0)
        fail_msg("hvcore was given %s '%s', not '%s'", opt,
                 i + 1 < a->n ? a->v[i + 1] : "(nothing)", value);
}

static void assert_no_option(const struct args *a, const char *opt)
{
    if (find(a, opt) >= 0)
        fail_msg("hvcore was given %s", opt);
}

/* <type>linux</type> with an initrd: the Xen PV ABI and the initramfs. */
static void test_linux_with_initrd(void **state)
{
    hv_config *c = config("deb", HV_OS_LINUX, "/srv/hv/initrd.img");
    struct args a;

    (void)state;
    create_recorded(c, &a);
    assert_option(&a, "--kernel", "/boot/vmlinuz");
    assert_option(&a, "--initrd", "/srv/hv/initrd.img");
    assert_option(&a, "--abi", "xen");
    assert_option(&a, "--cmdline", "console=hvc0");
    assert_option(&a, "--name", "deb");
    /* The kernel's options together, right after hvcore's name. */
    assert_int_equal(find(&a, "--kernel"), 1);
    assert_int_equal(find(&a, "--initrd"), 3);
    assert_int_equal(find(&a, "--abi"), 5);
    free(a.buf);
    hv_config_free(c);
}

/* <type>pv</type>: hvcore's own ABI, named; no initrd. */
static void test_pv(void **state)
{
    hv_config *c = config("pvb", HV_OS_PV, NULL);
    struct args a;

    (void)state;
    create_recorded(c, &a);
    assert_option(&a, "--kernel", "/boot/vmlinuz");
    assert_option(&a, "--abi", "hv");
    assert_no_option(&a, "--initrd");
    free(a.buf);
    hv_config_free(c);
}

/* No <type>: no --abi, hvcore recognises the kernel; an initrd is still
 * passed on, for hvcore to take or refuse. */
static void test_auto(void **state)
{
    hv_config *c = config("auto", HV_OS_AUTO, NULL);
    struct args a;

    (void)state;
    create_recorded(c, &a);
    assert_option(&a, "--kernel", "/boot/vmlinuz");
    assert_no_option(&a, "--abi");
    assert_no_option(&a, "--initrd");
    free(a.buf);
    hv_config_free(c);

    c = config("auto-i", HV_OS_AUTO, "/boot/initrd.img");
    create_recorded(c, &a);
    assert_option(&a, "--initrd", "/boot/initrd.img");
    assert_no_option(&a, "--abi");
    free(a.buf);
    hv_config_free(c);
}

/* A config read from XML reaches hvcore the same way. */
static void test_from_xml(void **state)
{
    static const char xml[] =
        "<domain type=\"pv\"><name>xml</name><memory unit=\"MiB\">64</memory>"
        "<os><type>linux</type><kernel>/k</kernel><initrd>/i</initrd></os>"
        "</domain>";
    hv_config *c = NULL;
    struct args a;

    (void)state;
    assert_int_equal(hv_config_from_xml(xml, strlen(xml), "xml", &c), 0);
    create_recorded(c, &a);
    assert_option(&a, "--kernel", "/k");
    assert_option(&a, "--initrd", "/i");
    assert_option(&a, "--abi", "xen");
    free(a.buf);
    hv_config_free(c);
}

/* pv with an initrd never reaches hvcore: the config is refused. */
static void test_pv_initrd_refused(void **state)
{
    hv_config *c = config("pvi", HV_OS_PV, "/boot/initrd.img");
    hv_domain *dom = NULL;
    char path[128];

    (void)state;
    snprintf(path, sizeof(path), "%s/argv", dir);
    unlink(path);
    assert_int_equal(hv_domain_create(conn, c, 0, &dom), HV_ECONFIG);
    assert_string_equal(hv_last_error(), "config 'pvi': os.initrd: os type "
                        "'pv' takes no initrd (only 'linux' does)");
    assert_int_equal(access(path, F_OK), -1);
    hv_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_with_initrd),
        cmocka_unit_test(test_pv),
        cmocka_unit_test(test_auto),
        cmocka_unit_test(test_from_xml),
        cmocka_unit_test(test_pv_initrd_refused),
    };

    return cmocka_run_group_tests_name("libctl spawn argv", tests,
                                       group_setup, group_teardown);
}
