/*
 * test_backends.c - the back ends' shared library (backends/vu_*.c,
 * virtq.c, be_common.c), driven through hvblk by a vhost-user front end
 * in the test (vu_front.c) instead of hvcore: event suppression both
 * ways, batching, notifications when idle, --socket, every hostile ring
 * breaking its queue with its line word for word, hostile messages, and
 * hvblk(8)/hvnet(8) against --help.  (test_hvblk and test_hvnet test
 * the devices.)  Every wait is for a condition, with a 30 s deadline
 * that only matters on failure.
 */
#include "backend_test.h"

/*
 * EVENT_IDX: with used_event far ahead the back end completes without a
 * call; once used_event is crossed it calls.  The eventfd adds up every
 * call, so a count of exactly 1 at the end proves the first had none.
 */
static void hvblk_calls_only_when_used_event_asks(void **state)
{
    struct vf f = { 0 };
    struct req_area a;
    uint32_t hdr[4] = { VIRTIO_BLK_T_IN, 0, 0, 0 };

    (void)state;
    blk_up(&f, NULL);
    a = area(&f);
    memcpy(vf_ptr(&f, a.hdr), hdr, 16);
    vf_desc(&f, 0, 0, a.hdr, 16, VIRTQ_DESC_F_NEXT, 1);
    vf_desc(&f, 0, 1, a.data, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    vf_desc(&f, 0, 2, a.status, 1, VIRTQ_DESC_F_WRITE, 0);

    /* The first completion is always called (nothing decided yet). */
    vf_set_used_event(&f, 0, 0);
    vf_avail(&f, 0, 0);
    vf_kick(&f, 0);
    assert_true(vf_wait_used(&f, 0, 1));
    uint64_t first = 0;
    for (int i = 0; i < 30000 && !(first = vf_calls(&f, 0)); i++)
        usleep(1000);
    assert_int_equal(first, 1);

    /* used_event 100: completions 2 and 3 are not called. */
    vf_set_used_event(&f, 0, 100);
    vf_avail(&f, 0, 0);
    vf_kick(&f, 0);
    assert_true(vf_wait_used(&f, 0, 2));
    vf_avail(&f, 0, 0);
    vf_kick(&f, 0);
    assert_true(vf_wait_used(&f, 0, 3));
    /* used_event 3: completion 4 crosses it and is called. */
    vf_set_used_event(&f, 0, 3);
    vf_avail(&f, 0, 0);
    vf_kick(&f, 0);
    assert_true(vf_wait_used(&f, 0, 4));
    uint64_t calls = 0;
    for (int i = 0; i < 30000 && !(calls = vf_calls(&f, 0)); i++)
        usleep(1000);
    assert_int_equal(calls, 1);
    assert_int_equal(f.stats->calls, 2);
    assert_int_equal(vf_stop(&f), 0);
}

/*
 * A batch: 32 reads published at once with one kick are all answered
 * with one call when the guest asks once (used_event at the last).
 * Also the per-request cost at depth 1 and 32, printed, never judged.
 */
static void hvblk_batches_requests(void **state)
{
    struct vf f = { 0 };
    enum { DEPTH = 32, ROUNDS = 200 };
    uint64_t hdr = 0, st = 0, data = 0;
    uint32_t h[4] = { VIRTIO_BLK_T_IN, 0, 0, 0 };
    double t0, t1;

    (void)state;
    blk_up_n(&f, NULL, 128);
    hdr = vf_alloc(&f, 16, 16);
    st = vf_alloc(&f, DEPTH, 1);
    data = vf_alloc(&f, DEPTH * 4096, 4096);
    memcpy(vf_ptr(&f, hdr), h, 16);
    for (unsigned i = 0; i < DEPTH; i++) {
        vf_desc(&f, 0, 3 * i, hdr, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(3 * i + 1));
        vf_desc(&f, 0, 3 * i + 1, data + 4096 * i, 4096, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
                (uint16_t)(3 * i + 2));
        vf_desc(&f, 0, 3 * i + 2, st + i, 1, VIRTQ_DESC_F_WRITE, 0);
    }
    uint64_t calls0 = f.stats->calls, kicks0 = f.stats->kicks;
    t0 = secs();
    for (unsigned r = 0; r < ROUNDS; r++) {
        uint16_t end = (uint16_t)(f.q[0].avail_idx + DEPTH);

        vf_set_used_event(&f, 0, (uint16_t)(end - 1));
        for (unsigned i = 0; i < DEPTH; i++)
            vf_avail(&f, 0, (uint16_t)(3 * i));
        vf_kick(&f, 0);
        assert_true(spin_used(&f, 0, end));
    }
    t1 = secs();
    uint64_t calls = f.stats->calls - calls0, kicks = f.stats->kicks - kicks0;
    /* One call per round (the guest asked once per round), and the very
     * first completion, which is always called. */
    assert_true(calls <= ROUNDS + 1);
    assert_true(kicks <= ROUNDS);
    printf("hvblk: depth 32: %.2f us per 4 KiB read, %.3f calls and %.3f kicks per request\n",
           (t1 - t0) * 1e6 / (ROUNDS * DEPTH), (double)calls / (ROUNDS * DEPTH),
           (double)kicks / (ROUNDS * DEPTH));
    t0 = secs();
    for (unsigned r = 0; r < ROUNDS * 4; r++) {
        uint16_t end = (uint16_t)(f.q[0].avail_idx + 1);

        vf_set_used_event(&f, 0, (uint16_t)(end - 1));
        vf_avail(&f, 0, 0);
        vf_kick(&f, 0);
        assert_true(spin_used(&f, 0, end));
    }
    t1 = secs();
    printf("hvblk: depth 1: %.2f us per 4 KiB read (test front end polls the used ring)\n",
           (t1 - t0) * 1e6 / (ROUNDS * 4));
    assert_int_equal(f.stats->errors, 0);
    assert_int_equal(vf_stop(&f), 0);
}



/* Idle, the back end asks to be kicked for the next request (EVENT_IDX:
 * avail_event is the index it waits for), else a guest that follows
 * avail_event would never kick it again. */
static void hvblk_asks_for_a_kick_when_idle(void **state)
{
    struct vf f = { 0 };
    uint8_t buf[512];
    time_t end;

    (void)state;
    blk_up(&f, (const char *[]){ "--poll-us", "0", NULL });
    for (uint16_t i = 1; i <= 3; i++) {
        assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, i, buf, 512), VIRTIO_BLK_S_OK);
        end = time(NULL) + 30;
        while (vf_avail_event(&f, 0) != i && time(NULL) <= end)
            usleep(200);
        assert_int_equal(vf_avail_event(&f, 0), i);
        assert_true(wait_sleeping(f.pid));      /* and it sleeps */
    }
    assert_int_equal(vf_stop(&f), 0);
}

/*
 * --socket: listens, serves one front end, then the next one.  Killed,
 * it leaves its socket file; started again at the same path it takes the
 * dead socket's place, while a second one beside a live one is refused.
 */
static void hvblk_listens_at_a_socket(void **state)
{
    char sock[PATH_MAX + 16], want[PATH_MAX + 64];
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    uint8_t buf[512];
    pid_t pid;

    (void)state;
    make_disk();
    snprintf(sock, sizeof(sock), "%s/vda.sock", tmpdir);
    assert_true(strlen(sock) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    for (int life = 0; life < 2; life++) {
        pid = listen_backend("hvblk", sock, (const char *[]){ "--file", disk, "--readonly",
                                                              "--poll-us", "0", NULL });
        for (int round = 0; round < 2; round++) {
            struct vf f = { 0 };
            int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

            assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
            assert_int_equal(vf_attach(&f, s), 0);
            assert_int_equal(vf_handshake(&f, blk_features()), 0);
            assert_int_equal(vf_queue(&f, 0, QSIZE), 0);
            memset(&the_area, 0, sizeof(the_area));
            rq = 0;
            assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, (uint64_t)round, buf, 512),
                             VIRTIO_BLK_S_OK);
            assert_int_equal(buf[0], round + 1);
            vf_stop(&f);
        }
        if (life == 0) {
            /* A second back end at a live socket: refused, nothing removed. */
            snprintf(want, sizeof(want), "hvblk: cannot listen at %s: Address already in use",
                     sock);
            expect_run("hvblk", (const char *[]){ "--socket", sock, "--file", disk,
                                                  "--readonly", NULL }, 1, want);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        assert_int_equal(access(sock, F_OK), 0);    /* left behind */
    }
    unlink(sock);
}

/* ---- hostile rings ------------------------------------------------------ */

/* Each case builds its ring on a fresh hvblk, which must break queue 0
 * with exactly this line, count one error, and live on. */
struct hostile {
    const char *name;
    void (*build)(struct vf *f);
    const char *line;
};

static void h_loop(struct vf *f)
{
    uint64_t b = vf_alloc(f, 16, 16);

    vf_desc(f, 0, 0, b, 16, VIRTQ_DESC_F_NEXT, 1);
    vf_desc(f, 0, 1, b, 16, VIRTQ_DESC_F_NEXT, 0);
    vf_avail(f, 0, 0);
}

static void h_next_out_of_range(struct vf *f)
{
    vf_desc(f, 0, 0, vf_alloc(f, 16, 16), 16, VIRTQ_DESC_F_NEXT, QSIZE);
    vf_avail(f, 0, 0);
}

static void h_head_out_of_range(struct vf *f)
{
    vf_avail(f, 0, QSIZE + 3);
}

static void h_avail_idx_ahead(struct vf *f)
{
    vf_avail_idx(f, 0, QSIZE + 1);
}

static void h_below_1mib(struct vf *f)
{
    vf_desc(f, 0, 0, 0x1000, 16, 0, 0);      /* hvcore's page tables live there */
    vf_avail(f, 0, 0);
}

static void h_past_ram(struct vf *f)
{
    vf_desc(f, 0, 0, VF_MEM_SIZE - 8, 16, 0, 0);
    vf_avail(f, 0, 0);
}

static void h_wraps(struct vf *f)
{
    vf_desc(f, 0, 0, 0xfffffffffffff000ull, 0x2000, 0, 0);
    vf_avail(f, 0, 0);
}

static void h_indirect_bad_len(struct vf *f)
{
    vf_desc(f, 0, 0, vf_alloc(f, 64, 16), 20, VIRTQ_DESC_F_INDIRECT, 0);
    vf_avail(f, 0, 0);
}

static void h_indirect_nested(struct vf *f)
{
    uint64_t t = vf_alloc(f, 32, 16);
    struct virtq_desc *d = vf_ptr(f, t);

    d[0] = (struct virtq_desc){ t, 32, VIRTQ_DESC_F_INDIRECT, 0 };
    vf_desc(f, 0, 0, t, 32, VIRTQ_DESC_F_INDIRECT, 0);
    vf_avail(f, 0, 0);
}

static void h_indirect_loop(struct vf *f)
{
    uint64_t t = vf_alloc(f, 32, 16), b = vf_alloc(f, 16, 16);
    struct virtq_desc *d = vf_ptr(f, t);

    d[0] = (struct virtq_desc){ b, 16, VIRTQ_DESC_F_NEXT, 1 };
    d[1] = (struct virtq_desc){ b, 16, VIRTQ_DESC_F_NEXT, 0 };
    vf_desc(f, 0, 0, t, 32, VIRTQ_DESC_F_INDIRECT, 0);
    vf_avail(f, 0, 0);
}

static void h_indirect_outside(struct vf *f)
{
    vf_desc(f, 0, 0, VF_MEM_SIZE, 32, VIRTQ_DESC_F_INDIRECT, 0);
    vf_avail(f, 0, 0);
}

static void h_read_after_write(struct vf *f)
{
    uint64_t b = vf_alloc(f, 32, 16);

    vf_desc(f, 0, 0, b, 16, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    vf_desc(f, 0, 1, b + 16, 16, 0, 0);
    vf_avail(f, 0, 0);
}

static const struct hostile hostile_cases[] = {
    { "loop", h_loop, "queue 0: head 0: chain loops or is longer than the queue size 64" },
    { "next out of range", h_next_out_of_range,
      "queue 0: head 0: next descriptor 64 is not below 64" },
    { "head out of range", h_head_out_of_range, "queue 0: head 67 is not below the queue size 64" },
    { "avail idx ahead", h_avail_idx_ahead,
      "queue 0: available index 65 is 65 ahead of 0, more than the queue size 64" },
    { "below 1 MiB", h_below_1mib, "queue 0: head 0: buffer 0x1000+16 is outside guest memory" },
    { "past RAM", h_past_ram, "queue 0: head 0: buffer 0x7ffff8+16 is outside guest memory" },
    { "wraps", h_wraps, "queue 0: head 0: buffer 0xfffffffffffff000+8192 wraps around" },
    { "indirect bad length", h_indirect_bad_len,
      "queue 0: head 0: indirect table length 20 is not a multiple of 16 from 16 to 16384" },
    { "indirect nested", h_indirect_nested,
      "queue 0: head 0: indirect descriptor inside an indirect table" },
    { "indirect loop", h_indirect_loop,
      "queue 0: head 0: indirect chain loops or is longer than its table of 2" },
    { "indirect outside", h_indirect_outside,
      "queue 0: head 0: indirect table 0x800000+32 is outside guest memory" },
    { "readable after writable", h_read_after_write,
      "queue 0: head 0: device-readable buffer after a device-writable one" },
};

static void hvblk_breaks_queue_on_hostile_rings(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(hostile_cases) / sizeof(hostile_cases[0]); i++) {
        const struct hostile *h = &hostile_cases[i];
        struct vf f = { 0 };
        uint64_t feat;
        char want[512];

        blk_up(&f, NULL);
        h->build(&f);
        vf_kick(&f, 0);
        if (!vf_wait_errors(&f, 1)) {
            fprintf(stderr, "%s: no error counted; hvblk said: %s\n", h->name, vf_stderr(&f));
            fail();
        }
        if (strcmp(f.stats->last_error, h->line) != 0) {
            fprintf(stderr, "%s: last_error \"%s\"\nwanted \"%s\"\n", h->name,
                    f.stats->last_error, h->line);
            fail();
        }
        /* Alive and answering; nothing was completed; one line logged. */
        assert_int_equal(vf_get_u64(&f, VU_GET_FEATURES, &feat), 0);
        assert_true(vf_alive(&f));
        assert_int_equal(vf_used_idx(&f, 0), 0);
        assert_int_equal(f.stats->errors, 1);
        assert_int_equal(vf_stop(&f), 0);
        snprintf(want, sizeof(want), "hvblk: %s; the queue is stopped until the device is reset\n",
                 h->line);
        assert_string_equal(f.err, want);
    }
}

/* A broken queue signals its error eventfd (SET_VRING_ERR). */
static void hvblk_signals_the_error_eventfd(void **state)
{
    struct vf f = { 0 };
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    uint64_t idx = 0, r, n = 0;

    (void)state;
    blk_up(&f, NULL);
    assert_int_equal(vf_raw(&f, VU_SET_VRING_ERR, VU_VERSION | VU_FLAG_NEED_REPLY, &idx, 8,
                            &efd, 1), 0);
    assert_int_equal(vf_reply(&f, VU_SET_VRING_ERR, &r, 8), 0);
    assert_int_equal(r, 0);
    h_loop(&f);
    vf_kick(&f, 0);
    assert_true(vf_wait_errors(&f, 1));
    for (int i = 0; i < 30000 && read(efd, &n, 8) != 8; i++)
        usleep(1000);
    assert_int_equal(n, 1);
    close(efd);
    assert_int_equal(vf_stop(&f), 0);
}


/* ---- protocol ------------------------------------------------------------- */

static void hvblk_checks_messages(void **state)
{
    struct vf f = { 0 };
    struct vu_state st = { 0, 64 };
    struct vu_memtable mt = { .nregions = 1 };
    uint64_t r;

    (void)state;
    blk_up(&f, NULL);
    /* With REPLY_ACK a refused message is answered 1 and the connection lives. */
    st.index = 5;
    assert_int_equal(vf_raw(&f, VU_SET_VRING_NUM, VU_VERSION | VU_FLAG_NEED_REPLY, &st,
                            sizeof(st), NULL, 0), 0);
    assert_int_equal(vf_reply(&f, VU_SET_VRING_NUM, &r, 8), 0);
    assert_int_equal(r, 1);
    /* The whole table of 8 with one region in use (as hvcore sends it) is
     * taken, and the running queue goes on in the new mapping. */
    struct vu_memtable full = { .nregions = 1 };
    uint8_t buf[512];
    full.region[0] = (struct vu_mem_desc){ VF_MEM_BASE, VF_MEM_SIZE - VF_MEM_BASE,
                                           (uint64_t)(uintptr_t)(f.mem + VF_MEM_BASE),
                                           VF_MEM_BASE };
    assert_int_equal(vf_raw(&f, VU_SET_MEM_TABLE, VU_VERSION | VU_FLAG_NEED_REPLY, &full,
                            sizeof(full), &f.memfd, 1), 0);
    assert_int_equal(vf_reply(&f, VU_SET_MEM_TABLE, &r, 8), 0);
    assert_int_equal(r, 0);
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, 5, buf, 512), VIRTIO_BLK_S_OK);
    assert_int_equal(buf[0], 6);
    /* A table that puts the running queue's rings at odd addresses of the
     * mapping (an odd mmap_offset) is refused (fuzz_vu found it). */
    char misaligned[512];
    full.region[0].size -= 1;
    full.region[0].mmap_offset += 1;
    assert_int_equal(vf_raw(&f, VU_SET_MEM_TABLE, VU_VERSION | VU_FLAG_NEED_REPLY, &full,
                            sizeof(full), &f.memfd, 1), 0);
    assert_int_equal(vf_reply(&f, VU_SET_MEM_TABLE, &r, 8), 0);
    assert_int_equal(r, 1);
    snprintf(misaligned, sizeof(misaligned), "hvblk: queue 0: rings at 0x%llx 0x%llx 0x%llx are "
             "not aligned (16, 2, 4) in the memory table\n",
             (unsigned long long)(uintptr_t)(f.mem + f.q[0].desc_gpa),
             (unsigned long long)(uintptr_t)(f.mem + f.q[0].avail_gpa),
             (unsigned long long)(uintptr_t)(f.mem + f.q[0].used_gpa));
    /* A region the memfd does not cover (it would raise SIGBUS). */
    mt.region[0] = (struct vu_mem_desc){ VF_MEM_BASE, VF_MEM_SIZE, 0x10000000, VF_MEM_BASE };
    assert_int_equal(vf_raw(&f, VU_SET_MEM_TABLE, VU_VERSION | VU_FLAG_NEED_REPLY, &mt,
                            8 + sizeof(mt.region[0]), &f.memfd, 1), 0);
    assert_int_equal(vf_reply(&f, VU_SET_MEM_TABLE, &r, 8), 0);
    assert_int_equal(r, 1);
    assert_true(vf_alive(&f));
    /* Without NEED_REPLY a bad size ends the connection: exit 1, one line. */
    assert_int_equal(vf_raw(&f, VU_SET_VRING_NUM, 0, &st, 4, NULL, 0), 0);
    assert_int_equal(vf_stop(&f), 1);
    char want[2048];
    snprintf(want, sizeof(want), "%s%s%s%s",
             "hvblk: vhost-user message 8 names queue 5 (the device has 1)\n", misaligned,
             "hvblk: memory region 0: the file is smaller than offset 0x100000 + size "
             "0x800000\n",
             "hvblk: vhost-user message 8 has 4 payload bytes, not 8\n");
    assert_string_equal(f.err, want);
}


/* ---- the man pages --------------------------------------------------------- */

/* Every option --help lists is in the man page and back, and the man page
 * gives the three exit statuses. */
static void options_of(const char *text, char opts[][32], unsigned *n)
{
    *n = 0;
    for (const char *p = text; (p = strstr(p, "--")); ) {
        size_t len = 2;

        while ((p[len] >= 'a' && p[len] <= 'z') || (p[len] == '-' && len > 2))
            len++;
        if (len > 2 && len < 32) {
            bool dup = false;

            for (unsigned i = 0; i < *n; i++)
                dup |= strlen(opts[i]) == len && !strncmp(opts[i], p, len);
            if (!dup && *n < 64) {
                memcpy(opts[*n], p, len);
                opts[(*n)++][len] = 0;
            }
        }
        p += len;
    }
}

static char *slurp(const char *cmd_or_path, bool command)
{
    static char buf[65536];
    FILE *in = command ? popen(cmd_or_path, "r") : fopen(cmd_or_path, "r");
    size_t n, k = 0;

    assert_non_null(in);
    while ((n = fread(buf + k, 1, sizeof(buf) - 1 - k, in)) > 0)
        k += n;
    buf[k] = 0;
    command ? pclose(in) : fclose(in);
    /* man(7) writes hyphens as \-. */
    for (char *w = buf, *r = buf; ; r++) {
        if (r[0] == '\\' && r[1] == '-')
            r++;
        *w++ = *r;
        if (!*r)
            break;
    }
    return strdup(buf);
}

static void check_man(const char *prog)
{
    char cmd[4200], path[4200], help_opts[64][32], man_opts[64][32];
    unsigned nh, nm;
    char *help, *man;

    snprintf(cmd, sizeof(cmd), "%s/%s --help", getenv("HVCORE_BACKEND_DIR"), prog);
    snprintf(path, sizeof(path), "%s/%s.8", HV_MAN_DIR, prog);
    help = slurp(cmd, true);
    man = slurp(path, false);
    options_of(help, help_opts, &nh);
    /* The OPTIONS section only: the examples show hvcore's options too. */
    char *opts = strstr(man, "\n.SH OPTIONS\n"), *end;
    assert_non_null(opts);
    end = strstr(opts + 1, "\n.SH ");
    assert_non_null(end);
    *end = 0;
    options_of(opts, man_opts, &nm);
    *end = '\n';
    assert_true(nh > 5);
    for (unsigned i = 0; i < nh; i++) {
        bool found = false;

        for (unsigned j = 0; j < nm; j++)
            found |= !strcmp(help_opts[i], man_opts[j]);
        if (!found)
            fprintf(stderr, "%s: %s is not in %s.8\n", prog, help_opts[i], prog);
        assert_true(found);
    }
    for (unsigned j = 0; j < nm; j++) {
        bool found = false;

        for (unsigned i = 0; i < nh; i++)
            found |= !strcmp(help_opts[i], man_opts[j]);
        if (!found)
            fprintf(stderr, "%s: %s.8 documents %s, which --help does not list\n", prog, prog,
                    man_opts[j]);
        assert_true(found);
    }
    assert_non_null(strstr(man, ".SH EXIT STATUS\n.TP\n0\n"));
    assert_non_null(strstr(man, ".TP\n1\n"));
    assert_non_null(strstr(man, ".TP\n2\n"));
    assert_non_null(strstr(help, "Exit status: 0 "));
    free(help);
    free(man);
}

static void man_pages_list_every_option(void **state)
{
    (void)state;
    check_man("hvblk");
    check_man("hvnet");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(hvblk_calls_only_when_used_event_asks, kill_leftover),
        cmocka_unit_test_teardown(hvblk_batches_requests, kill_leftover),
        cmocka_unit_test_teardown(hvblk_asks_for_a_kick_when_idle, kill_leftover),
        cmocka_unit_test_teardown(hvblk_listens_at_a_socket, kill_leftover),
        cmocka_unit_test_teardown(hvblk_signals_the_error_eventfd, kill_leftover),
        cmocka_unit_test_teardown(hvblk_breaks_queue_on_hostile_rings, kill_leftover),
        cmocka_unit_test_teardown(hvblk_checks_messages, kill_leftover),
        cmocka_unit_test_teardown(man_pages_list_every_option, kill_leftover),
    };

    return cmocka_run_group_tests(tests, bt_setup, bt_teardown);
}
