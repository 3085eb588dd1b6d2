/*
 * test_save_restore.c - hv_domain_save and hv_domain_restore on the direct
 * driver, with real hvcore and pvboot domains running memcheck (every
 * word of its memory checkable, its tick count in guest memory).
 *
 *   - a saved domain has left (name free, `saved` said); restored it runs
 *     under the same name and uuid (`restored` said) with its console
 *     history, its memory intact and its ticks going on from where they
 *     were, and its configuration came with it;
 *   - HV_SAVE_KEEP leaves it running; the checkpoint restores paused
 *     with its image hash checked (HV_RESTORE_VERIFY);
 *   - a save that fails leaves the existing file as it was and no
 *     temporary file, and the domain runs on: one cancelled, one whose
 *     temporary file is in the way, one into a missing directory, one
 *     that fills its file system;
 *   - a missing file (HV_ENOENT), a file that is not a stream and a
 *     truncated stream (HV_ESTREAM, hvcore's words), bad arguments: each
 *     refused with its exact message;
 *   - the progress callback sees bytes_sent grow.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_assert.h"
#include "xfer_harness.h"

static struct harness H;
static char dir[300];           /* where the save files go */

static const char *file(const char *name)
{
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];

    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The whole of a small file, or "" when it cannot be read. */
static const char *text_of(const char *path)
{
    static char buf[256];
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

    if (f)
        fclose(f);
    buf[n] = '\0';
    return buf;
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* The next event of type `type` for `name` within 30 s, or fail. */
static void expect_event(hv_events *ev, int type, const char *name)
{
    double end = harness_now_ms() + 30000;

    while (harness_now_ms() < end) {
        struct pollfd p = { .fd = hv_events_get_fd(ev), .events = POLLIN };
        hv_event *e;

        poll(&p, 1, 100);
        while (hv_event_next(ev, &e) == 0) {
            bool hit = hv_event_get_type(e) == type &&
                       strcmp(hv_event_get_name(e), name) == 0;
            hv_event_free(e);
            if (hit)
                return;
        }
    }
    fail_msg("no %s event for %s", hv_event_type_name(type), name);
}

static void save_then_restore(void **state)
{
    const char *f = file("web.save");
    hv_domain *d = xfer_start(&H, "web", 32, 8), *r = NULL, *gone = NULL;
    hv_domain_info *i;
    hv_config *cfg;
    char uuid[37];
    long long ticks;
    struct xfer_rec rec;
    struct stat st;
    hv_events *ev = NULL;
    uint64_t v;

    (void)state;
    OK(hv_events_open(H.conn, &ev));
    snprintf(uuid, sizeof(uuid), "%s", hv_domain_get_uuid(d));
    ticks = xfer_verify(d, XFER_ANY);
    xfer_rec_init(&rec);
    OK(hv_domain_save(d, f, 0, rec.op));
    /* Gone here, its name free at once; the file complete and private. */
    expect_err(hv_domain_lookup_by_name(H.conn, "web", &gone), HV_ENOENT,
               "domain 'web': no such domain");
    assert_int_equal(stat(f, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_false(exists(file("web.save.tmp")));
    /* The outcome's figures are on the op. */
    OK(hv_op_get_figure(rec.op, HV_OP_BYTES_SENT, &v));
    assert_true(v > 8u << 20);
    OK(hv_op_get_figure(rec.op, HV_OP_TOTAL_NS, &v));
    assert_true(v > 0);
    assert_false(rec.went_down);
    xfer_rec_free(&rec);
    hv_domain_free(d);
    expect_event(ev, HV_EVENT_SAVED, "web");

    OK(hv_domain_restore(H.conn, f, 0, &r, NULL));
    /* Its first word where it came back (in place of started). */
    expect_event(ev, HV_EVENT_RESTORED, "web");
    hv_events_free(ev);
    assert_string_equal(hv_domain_get_name(r), "web");
    assert_string_equal(hv_domain_get_uuid(r), uuid);
    OK(hv_domain_get_info(r, &i));
    assert_int_equal(hv_domain_info_get_state(i), HV_STATE_RUNNING);
    assert_int_equal(hv_domain_info_get_mem_max_kib(i), 32 << 10);
    hv_domain_info_free(i);
    /* Its configuration travelled in the file (TOOLSTACK). */
    OK(hv_domain_get_config(r, &cfg));
    assert_string_equal(hv_config_get_name(cfg), "web");
    assert_string_equal(hv_config_get_cmdline(cfg), "memcheck=8");
    hv_config_free(cfg);
    /* What it printed before the save, and its memory and ticks. */
    assert_true(xfer_console_shows(r, "memcheck filled 8 MiB"));
    xfer_verify(r, ticks);
    /* The file is left as it was: restored once more, it is refused for
     * the name only. */
    {
        hv_domain *again = NULL;
        expect_err(hv_domain_restore(H.conn, f, 0, &again, NULL), HV_EEXIST,
                   "domain 'web': the name is already in use");
        assert_null(again);
    }
    /* Saved again to the file it runs from (its memory is mapped from
     * it): the new stream is renamed over it, never written into it, so
     * the running domain and the new file are both whole. */
    ticks = xfer_verify(r, ticks);
    OK(hv_domain_save(r, f, HV_SAVE_KEEP, NULL));
    xfer_verify(r, ticks);
    OK(hv_domain_destroy(r, 0));
    hv_domain_free(r);
    OK(hv_domain_restore(H.conn, f, 0, &r, NULL));
    xfer_verify(r, ticks);
    OK(hv_domain_destroy(r, 0));
    hv_domain_free(r);
    unlink(f);
}

static void keep_and_paused(void **state)
{
    const char *f = file("ck.save");
    hv_domain *d = xfer_start(&H, "ck", 32, 8), *r = NULL;
    hv_domain_info *i;

    (void)state;
    OK(hv_domain_save(d, f, HV_SAVE_KEEP, NULL));
    OK(hv_domain_get_info(d, &i));
    assert_int_equal(hv_domain_info_get_state(i), HV_STATE_RUNNING);
    hv_domain_info_free(i);
    xfer_verify(d, XFER_ANY);
    OK(hv_domain_destroy(d, 0));
    hv_domain_free(d);

    /* The checkpoint's memory image checks out (--verify reads it all). */
    OK(hv_domain_restore(H.conn, f, HV_RESTORE_PAUSED | HV_RESTORE_VERIFY,
                         &r, NULL));
    OK(hv_domain_get_info(r, &i));
    assert_int_equal(hv_domain_info_get_state(i), HV_STATE_PAUSED);
    hv_domain_info_free(i);
    OK(hv_domain_unpause(r, 0));
    xfer_verify(r, XFER_ANY);
    OK(hv_domain_destroy(r, 0));
    hv_domain_free(r);
    unlink(f);
}

/* Each failed save: the old file intact, no temporary file, it runs on. */
static void failed_saves_keep_the_old_file(void **state)
{
    const char *f = file("old.save"), *tmp = file("old.save.tmp");
    hv_domain *d = xfer_start(&H, "db", 64, 40);
    hv_domain_info *i;
    struct xfer_rec rec;
    char want[1024];

    (void)state;
    write_text(f, "the previous save\n");

    /* A temporary file in the way (another save, or an interrupted one). */
    write_text(tmp, "someone else's\n");
    snprintf(want, sizeof(want), "domain 'db' (id %u): save to %s: %s "
             "exists (another save to that file, or one that was "
             "interrupted, which may hold a whole saved domain: restore "
             "it or remove it)", hv_domain_get_id(d), f, tmp);
    expect_err(hv_domain_save(d, f, 0, NULL), HV_EEXIST, "%s", want);
    assert_string_equal(text_of(tmp), "someone else's\n");
    unlink(tmp);

    /* Cancelled before hvcore wrote 40 MiB of pattern. */
    xfer_rec_init(&rec);
    hv_op_cancel(rec.op);
    expect_err(hv_domain_save(d, f, 0, rec.op), HV_ECANCELED,
               "domain 'db' (id %u): save to %s cancelled: it runs on",
               hv_domain_get_id(d), f);
    xfer_rec_free(&rec);
    assert_string_equal(text_of(f), "the previous save\n");
    assert_false(exists(tmp));

    /* A directory that does not exist. */
    snprintf(want, sizeof(want), "domain 'db' (id %u): save to %s/no/x.save: "
             "cannot create %s/no/x.save.tmp: No such file or directory",
             hv_domain_get_id(d), dir, dir);
    {
        char path[600];
        snprintf(path, sizeof(path), "%s/no/x.save", dir);
        expect_err(hv_domain_save(d, path, 0, NULL), HV_ENOENT, "%s", want);
    }

    OK(hv_domain_get_info(d, &i));
    assert_int_equal(hv_domain_info_get_state(i), HV_STATE_RUNNING);
    hv_domain_info_free(i);
    xfer_verify(d, XFER_ANY);
    OK(hv_domain_destroy(d, 0));
    hv_domain_free(d);
    unlink(f);
}

static const char *want_bad_magic(const char *path)
{
    static char buf[700];

    snprintf(buf, sizeof(buf), "restore from %s: not a domain stream (bad "
             "magic)", path);
    return buf;
}

/*
 * A save that fails while hvcore writes (a full file system: a 4 MiB
 * tmpfs in a mount namespace of this test's own): the old file is as it
 * was, no temporary file is left, and the domain runs on.  Skipped where
 * this process may not make a mount namespace.
 */
static void save_into_a_full_disk(void **state)
{
    char small[400], f[500], tmp[520];
    hv_domain *d;
    hv_domain_info *i;

    (void)state;
    snprintf(small, sizeof(small), "%s/small", dir);
    if (mkdir(small, 0700) < 0)
        fail_msg("mkdir %s: %s", small, strerror(errno));
    if (unshare(CLONE_NEWNS) < 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("tmpfs", small, "tmpfs", 0, "size=4m") < 0) {
        rmdir(small);
        skip();
    }
    snprintf(f, sizeof(f), "%s/full.save", small);
    snprintf(tmp, sizeof(tmp), "%s.tmp", f);
    write_text(f, "the previous save\n");
    d = xfer_start(&H, "full", 64, 32);
    assert_int_equal(hv_domain_save(d, f, 0, NULL), HV_EIO);
    {
        char want[700];
        const char *e = hv_last_error();
        snprintf(want, sizeof(want), "domain 'full' (id %u): save to %s "
                 "failed: ", hv_domain_get_id(d), f);
        if (strncmp(e, want, strlen(want)) != 0 ||
            strlen(e) < 12 || strcmp(e + strlen(e) - 12, "; it runs on"))
            fail_msg("a save into a full disk: %s", e);
    }
    assert_string_equal(text_of(f), "the previous save\n");
    assert_false(exists(tmp));
    OK(hv_domain_get_info(d, &i));
    assert_int_equal(hv_domain_info_get_state(i), HV_STATE_RUNNING);
    hv_domain_info_free(i);
    xfer_verify(d, XFER_ANY);
    OK(hv_domain_destroy(d, 0));
    hv_domain_free(d);
    unlink(f);
    umount(small);
    rmdir(small);
}

static void refused_files_and_arguments(void **state)
{
    const char *missing = file("missing.save"), *junk = file("junk.save");
    const char *cut = file("cut.save"), *full = file("full.save");
    hv_domain *d = NULL, *r = NULL;
    char buf[4096];
    int in, out;
    ssize_t n;

    (void)state;
    expect_err(hv_domain_restore(H.conn, missing, 0, &r, NULL), HV_ENOENT,
               "restore from %s: No such file or directory", missing);
    assert_null(r);
    /* Refused by hvcore, in its words, told from a failed start. */
    write_text(junk, "this is not a domain stream, only text\n");
    expect_err(hv_domain_restore(H.conn, junk, 0, &r, NULL), HV_ESTREAM,
               "%s", want_bad_magic(junk));
    assert_null(r);
    /* A real stream cut after its first 4 KiB. */
    d = xfer_start(&H, "cut", 32, 4);
    OK(hv_domain_save(d, full, 0, NULL));
    hv_domain_free(d);
    in = open(full, O_RDONLY);
    out = open(cut, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    n = read(in, buf, sizeof(buf));
    assert_int_equal(write(out, buf, (size_t)n), n);
    close(in);
    close(out);
    assert_int_equal(hv_domain_restore(H.conn, cut, 0, &r, NULL), HV_ESTREAM);
    if (strncmp(hv_last_error(), "restore from ", 13) != 0 ||
        !strstr(hv_last_error(), "stream ended at offset 4096"))
        fail_msg("truncated stream: %s", hv_last_error());
    assert_null(r);
    assert_int_equal(harness_nothing_left(&H), 0);

    /* Arguments. */
    expect_err(hv_domain_save(NULL, full, 0, NULL), HV_EINVAL,
               "domain: NULL handle");
    expect_err(hv_domain_restore(H.conn, NULL, 0, &r, NULL), HV_EINVAL,
               "restore: no file name");
    expect_err(hv_domain_restore(NULL, full, 0, &r, NULL), HV_EINVAL,
               "restore: no connection");
    expect_err(hv_domain_restore(H.conn, full, 0x4, &r, NULL), HV_EINVAL,
               "restore from %s: unknown flags 0x4", full);
    d = xfer_start(&H, "args", 32, 4);
    expect_err(hv_domain_save(d, full, 0x2, NULL), HV_EINVAL,
               "domain 'args' (id %u): save: unknown flags 0x2",
               hv_domain_get_id(d));
    expect_err(hv_domain_save(d, "", 0, NULL), HV_EINVAL,
               "domain 'args' (id %u): save: no file name",
               hv_domain_get_id(d));
    OK(hv_domain_destroy(d, 0));
    /* A handle whose domain has ended. */
    expect_err(hv_domain_save(d, full, 0, NULL), HV_ENOENT,
               "domain 'args' (id %u): the domain has ended",
               hv_domain_get_id(d));
    hv_domain_free(d);
    {
        uint64_t v;
        expect_err(hv_op_get_figure(NULL, HV_OP_BYTES_SENT, &v), HV_EINVAL,
                   "operation: NULL handle");
    }
    unlink(junk);
    unlink(cut);
    unlink(full);
}

static void progress_grows(void **state)
{
    const char *f = file("big.save");
    hv_domain *d = xfer_start(&H, "big", 256, 200), *r = NULL;
    struct xfer_rec rec;
    uint64_t v;

    (void)state;
    xfer_rec_init(&rec);
    OK(hv_domain_save(d, f, 0, rec.op));
    hv_domain_free(d);
    /* hvcore reports every 100 ms; what the figures say must hold
     * however many reports a fast disk left room for. */
    assert_false(rec.went_down);
    if (rec.calls)
        assert_true(rec.last_sent >= rec.first_sent);
    OK(hv_op_get_figure(rec.op, HV_OP_BYTES_SENT, &v));
    assert_true(v >= 200u << 20);
    assert_true(v >= rec.last_sent);
    xfer_rec_free(&rec);
    OK(hv_domain_restore(H.conn, f, 0, &r, NULL));
    xfer_verify(r, XFER_ANY);
    OK(hv_domain_destroy(r, 0));
    hv_domain_free(r);
    unlink(f);
}

static int teardown(void **state)
{
    (void)state;
    return xfer_nothing_left(&H);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(save_then_restore, teardown),
        cmocka_unit_test_teardown(keep_and_paused, teardown),
        cmocka_unit_test_teardown(failed_saves_keep_the_old_file, teardown),
        cmocka_unit_test_teardown(save_into_a_full_disk, teardown),
        cmocka_unit_test_teardown(refused_files_and_arguments, teardown),
        cmocka_unit_test_teardown(progress_grows, teardown),
    };
    char why[256];
    int rc;

    if (!harness_can_run(why, sizeof(why))) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    if (harness_open(&H, "save") != 0)
        return 99;
    snprintf(dir, sizeof(dir), "%s/files", H.rundir);
    if (mkdir(dir, 0700) < 0)
        return 99;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    harness_close(&H);
    return rc;
}
