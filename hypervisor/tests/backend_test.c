/*
 * backend_test.c - what test_backends, test_hvblk and test_hvnet share:
 * a temporary directory with a test disk, hvblk brought up behind the
 * test front end (vu_front.c), one-at-a-time block requests, running a
 * back end for its exit status and line, waiting without judging speed.
 */
#include "backend_test.h"

char tmpdir[PATH_MAX];
char disk[PATH_MAX + 16];
struct req_area the_area;
unsigned rq;
struct vf *current;

uint64_t blk_features(void)
{
    return (1ull << HV_VIRTIO_F_VERSION_1) | (1ull << HV_VIRTIO_F_RING_EVENT_IDX) |
           (1ull << HV_VIRTIO_F_INDIRECT_DESC) | (1ull << VIRTIO_BLK_F_FLUSH) |
           (1ull << VIRTIO_BLK_F_DISCARD) | (1ull << VIRTIO_BLK_F_WRITE_ZEROES) |
           (1ull << VIRTIO_BLK_F_RO) | (1ull << VIRTIO_BLK_F_SEG_MAX) |
           (1ull << VIRTIO_BLK_F_BLK_SIZE) | (1ull << VIRTIO_BLK_F_SIZE_MAX) |
           (1ull << VIRTIO_BLK_F_MQ);
}

void make_disk(void)
{
    int fd = open(disk, O_RDWR | O_CREAT | O_TRUNC, 0600);
    uint8_t *b = malloc(DISK_BYTES);

    assert_true(fd >= 0);
    for (unsigned i = 0; i < DISK_BYTES; i++)
        b[i] = (uint8_t)(i / 512 + 1);      /* sector s holds s+1 */
    assert_int_equal(write(fd, b, DISK_BYTES), DISK_BYTES);
    close(fd);
    free(b);
}

int kill_leftover(void **state)
{
    (void)state;
    if (current && current->pid > 0 && vf_alive(current)) {
        kill(current->pid, SIGKILL);
        waitpid(current->pid, NULL, 0);
    }
    current = NULL;
    return 0;
}

/* hvblk on the test disk with extra options, handshake done, queue 0 of num. */
void blk_up_n(struct vf *f, const char *const *extra, unsigned num)
{
    const char *args[16] = { "--file", disk };
    unsigned n = 2;

    make_disk();
    for (unsigned i = 0; extra && extra[i]; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    assert_int_equal(vf_start(f, "hvblk", args), 0);
    current = f;
    if (vf_handshake(f, blk_features()) < 0) {
        fprintf(stderr, "handshake failed; hvblk said: %s\n", vf_stderr(f));
        fail();
    }
    assert_int_equal(vf_queue(f, 0, num), 0);
    memset(&the_area, 0, sizeof(the_area));
    rq = 0;
}

void blk_up(struct vf *f, const char *const *extra)
{
    blk_up_n(f, extra, QSIZE);
}

struct req_area area(struct vf *f)
{
    if (!the_area.hdr) {
        the_area.hdr = vf_alloc(f, 16, 16);
        the_area.status = vf_alloc(f, 1, 1);
        the_area.data = vf_alloc(f, 64 * 1024, 4096);
    }
    return the_area;
}

/* Spin (no sleep: the figures printed are per-request costs) until the
 * used index reaches idx, 30 s at most. */
bool spin_used(struct vf *f, unsigned qi, uint16_t idx)
{
    time_t end = time(NULL) + 30;

    while ((uint16_t)(vf_used_idx(f, qi) - idx) > 0x8000u)
        if (time(NULL) > end)
            return false;
    return true;
}

/*
 * One request at depth 1 with descriptors 0 (header), 1 (data), 2
 * (status); buf: the data to write, or where a read's data goes.  The
 * status, or -1 if the back end never answered.
 */
int blk_req(struct vf *f, uint32_t type, uint64_t sector, void *buf, uint32_t len)
{
    struct req_area a = area(f);
    bool in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
    uint32_t hdr[4] = { type, 0, (uint32_t)sector, (uint32_t)(sector >> 32) };
    uint8_t *status = vf_ptr(f, a.status);
    uint16_t want = (uint16_t)(f->q[rq].avail_idx + 1);
    unsigned last;

    memcpy(vf_ptr(f, a.hdr), hdr, 16);
    *status = 0xff;
    if (!in && len)
        memcpy(vf_ptr(f, a.data), buf, len);
    vf_desc(f, rq, 0, a.hdr, 16, VIRTQ_DESC_F_NEXT, 1);
    if (len) {
        vf_desc(f, rq, 1, a.data, len, VIRTQ_DESC_F_NEXT | (in ? VIRTQ_DESC_F_WRITE : 0), 2);
        last = 2;
    } else {
        vf_desc(f, rq, 0, a.hdr, 16, VIRTQ_DESC_F_NEXT, 2);
        last = 2;
    }
    vf_desc(f, rq, last, a.status, 1, VIRTQ_DESC_F_WRITE, 0);
    vf_set_used_event(f, rq, (uint16_t)(want - 1));
    vf_avail(f, rq, 0);
    vf_kick(f, rq);
    if (!vf_wait_used(f, rq, want)) {
        fprintf(stderr, "no answer; hvblk said: %s\n", vf_stderr(f));
        return -1;
    }
    if (in && len)
        memcpy(buf, vf_ptr(f, a.data), len);
    return *status;
}

void assert_last_error(struct vf *f, const char *want)
{
    if (strcmp(f->stats->last_error, want) != 0) {
        fprintf(stderr, "last_error: \"%s\"\nwanted:     \"%s\"\n", f->stats->last_error, want);
        fail();
    }
}

void expect_run(const char *program, const char *const *args, int status,
                       const char *line)
{
    char got[1024];
    int st = vf_run(program, args, got, sizeof(got));

    if (st != status || strcmp(got, line) != 0) {
        fprintf(stderr, "%s %s...: status %d, \"%s\"\nwanted: status %d, \"%s\"\n", program,
                args[0] ? args[0] : "", st, got, status, line);
        fail();
    }
}

/* Seconds on the monotonic clock. */
double secs(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool wait_sleeping(pid_t pid)
{
    char path[64], buf[512];
    time_t end = time(NULL) + 30;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    while (time(NULL) <= end) {
        FILE *f = fopen(path, "r");
        char *p = NULL;

        if (f && fgets(buf, sizeof(buf), f))
            p = strrchr(buf, ')');          /* the name may hold spaces */
        if (f)
            fclose(f);
        if (p && p[1] == ' ' && p[2] == 'S')
            return true;
        usleep(1000);
    }
    return false;
}

/* Start PROGRAM --socket SOCK args... and wait until it accepts (30 s). */
pid_t listen_backend(const char *program, const char *sock, const char *const *args)
{
    char bin[4096];
    const char *argv[16] = { bin, "--socket", sock };
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    unsigned n = 3;
    time_t end = time(NULL) + 30;
    pid_t pid;

    snprintf(bin, sizeof(bin), "%s/%s", getenv("HVCORE_BACKEND_DIR"), program);
    for (unsigned i = 0; args[i]; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);

        dup2(devnull, 1);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    assert_true(strlen(sock) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    /* A probe connection: served (it ends at once), then the next. */
    while (time(NULL) <= end) {
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int ok = connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0;

        close(s);
        if (ok)
            return pid;
        usleep(10000);
    }
    fail_msg("%s never listened at %s", program, sock);
    return -1;
}

void stop_backend(pid_t pid, const char *sock)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    unlink(sock);
}

void require_qemu(void)
{
    if (sh("command -v qemu-system-x86_64 >/dev/null") != 0) {
        fprintf(stderr, "qemu-system-x86_64 not installed: skipped\n");
        skip();
    }
}

int run_output(const char *cmd, char *out, size_t cap)
{
    size_t k = 0, r;
    FILE *p = popen(cmd, "r");

    assert_non_null(p);
    while ((r = fread(out + k, 1, cap - 1 - k, p)) > 0)
        k += r;
    out[k] = 0;
    return pclose(p);
}

int bt_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "%s/test_backends.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(disk, sizeof(disk), "%s/disk.img", tmpdir);
    return 0;
}

int bt_teardown(void **state)
{
    (void)state;
    unlink(disk);
    rmdir(tmpdir);
    return 0;
}
