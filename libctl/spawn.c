/*
 * spawn.c - start one hvcore and wait until its domain runs: for a config
 * (create), a save file (hvcore --restore) or a migration stream arriving
 * on a socket (hvcore --incoming, which is "ready" once it receives).
 * One spawner for the three; only the command line differs.
 *
 * hvcore is started with --detach (it forks, and the grandchild outlives
 * us) and --ready-fd (it writes "<domid>\n" once the guest runs and the
 * control socket listens; on failure it writes nothing and explains itself
 * in one "hvcore: ..." line on stderr).  stderr is an anonymous memfd, not
 * a pipe: the detached hvcore keeps it for life, and a pipe nobody reads
 * would either block us (waiting for EOF) or hand hvcore an EPIPE later.
 *
 * posix_spawn (vfork-like in glibc) keeps this cheap and safe to call from
 * any thread; every fd we make is O_CLOEXEC, so concurrent creates in
 * other threads cannot inherit each other's ready pipes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "device.h"
#include "domain_int.h"
#include "public/exit_status.h"

extern char **environ;

/* fd numbers hvcore gets: stdin/stdout /dev/null, stderr the memfd. */
#define CHILD_READY_FD 3
#define CHILD_EVENT_FD 4        /* --event-fd, when an hv_events listens */
#define CHILD_INCOMING_FD 5     /* --incoming, the migration socket      */
#define CHILD_FD_MAX CHILD_INCOMING_FD

struct argv_buf {
    char *argv[44 + 2 * HV_DEVICES_MAX];
    char nums[5][24];
    char *specs[HV_DEVICES_MAX];    /* --device SPEC, freed by argv_free */
    int n, nspecs;
};

static void argv_free(struct argv_buf *a)
{
    for (int i = 0; i < a->nspecs; i++)
        free(a->specs[i]);
    a->nspecs = 0;
}

static void arg(struct argv_buf *a, const char *s)
{
    if (a->n < (int)(sizeof(a->argv) / sizeof(a->argv[0])) - 1)
        a->argv[a->n++] = (char *)s;
    a->argv[a->n] = NULL;
}

/* The options of every start: where, and how to say it is ready. */
static void common_args(struct argv_buf *a, const hv_conn *conn,
                        const char *console_log)
{
    arg(a, "--rundir");
    arg(a, conn->rundir);
    arg(a, "--console");
    arg(a, "none");
    if (console_log) {
        arg(a, "--console-log");
        arg(a, console_log);
    }
}

static void ready_args(struct argv_buf *a, bool events, bool paused)
{
    snprintf(a->nums[3], sizeof(a->nums[3]), "%d", CHILD_READY_FD);
    arg(a, "--ready-fd");
    arg(a, a->nums[3]);
    if (events) {
        snprintf(a->nums[4], sizeof(a->nums[4]), "%d", CHILD_EVENT_FD);
        arg(a, "--event-fd");
        arg(a, a->nums[4]);
    }
    if (paused)
        arg(a, "--paused");
    arg(a, "--detach");
}

/* One --device SPEC per disk and interface (docs/devices.md). */
static int device_args(struct argv_buf *a, const hv_config *cfg)
{
    int rc;

    for (size_t i = 0; i < cfg->ndevices && i < HV_DEVICES_MAX; i++) {
        if ((rc = dev_spec(cfg->devices[i], &a->specs[a->nspecs])))
            return rc;
        arg(a, "--device");
        arg(a, a->specs[a->nspecs++]);
    }
    return 0;
}

/*
 * The kernel, its initramfs and its ABI: --abi only when the config
 * names an os type (hvcore recognises the kernel otherwise).
 */
static void kernel_args(struct argv_buf *a, const hv_config *cfg)
{
    static const char *const abi[] = { [HV_OS_PV] = "hv",
                                       [HV_OS_LINUX] = "xen" };

    arg(a, "--kernel");
    arg(a, cfg->kernel);
    if (cfg->initrd) {
        arg(a, "--initrd");
        arg(a, cfg->initrd);
    }
    if (cfg->os_type == HV_OS_PV || cfg->os_type == HV_OS_LINUX) {
        arg(a, "--abi");
        arg(a, abi[cfg->os_type]);
    }
}

static int build_argv(struct argv_buf *a, const hv_conn *conn,
                      const hv_config *cfg, bool events, unsigned flags)
{
    static const char *const opt[] = { "--on-poweroff", "--on-reboot",
                                       "--on-crash" };
    int rc;

    a->n = a->nspecs = 0;
    snprintf(a->nums[0], sizeof(a->nums[0]), "%llu",
             (unsigned long long)cfg->mem_cur_mib);
    snprintf(a->nums[1], sizeof(a->nums[1]), "%llu",
             (unsigned long long)cfg->mem_max_mib);
    snprintf(a->nums[2], sizeof(a->nums[2]), "%u", cfg->vcpus_max);
    arg(a, conn->hvcore_path);
    kernel_args(a, cfg);
    arg(a, "--memory");
    arg(a, a->nums[0]);
    arg(a, "--max-memory");
    arg(a, a->nums[1]);
    arg(a, "--vcpus");
    arg(a, a->nums[2]);
    if (cfg->cmdline) {
        arg(a, "--cmdline");
        arg(a, cfg->cmdline);
    }
    arg(a, "--name");
    arg(a, cfg->name);
    arg(a, "--uuid");
    arg(a, cfg->uuid_str);
    common_args(a, conn, cfg->console_log);
    for (int ev = HV_ON_POWEROFF; ev <= HV_ON_CRASH; ev++) {
        arg(a, opt[ev]);
        arg(a, cfg_action_name(cfg->actions[ev]));
    }
    if ((rc = device_args(a, cfg)))
        return rc;
    ready_args(a, events, flags & HV_CREATE_PAUSED);
    return 0;
}

/* hvcore --restore FILE or --incoming FD: the rest comes with the stream. */
static void build_stream_argv(struct argv_buf *a, const hv_conn *conn,
                              const struct spawn_req *req, bool events)
{
    a->n = a->nspecs = 0;
    arg(a, conn->hvcore_path);
    if (req->restore) {
        arg(a, "--restore");
        arg(a, req->restore);
        if (req->flags & SPAWN_VERIFY)
            arg(a, "--verify");
    } else {
        snprintf(a->nums[0], sizeof(a->nums[0]), "%d", CHILD_INCOMING_FD);
        arg(a, "--incoming");
        arg(a, a->nums[0]);
        if (req->reserve_mib) {
            snprintf(a->nums[1], sizeof(a->nums[1]), "%llu",
                     (unsigned long long)req->reserve_mib);
            arg(a, "--reserve");
            arg(a, a->nums[1]);
        }
    }
    common_args(a, conn, NULL);
    ready_args(a, events, req->flags & SPAWN_PAUSED);
}

/* Close every fd from `from` up in the child (glibc 2.34: close_range). */
static int add_closefrom(posix_spawn_file_actions_t *fa, int from)
{
#if defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 34)
#define HAVE_ADDCLOSEFROM 1
#endif
#endif
#ifdef HAVE_ADDCLOSEFROM
    return posix_spawn_file_actions_addclosefrom_np(fa, from);
#else
    (void)fa;                   /* older C libraries: best effort */
    (void)from;
    return 0;
#endif
}

/* Move fd above the numbers hvcore gets so the file actions cannot
 * clash (nor dup2 an fd onto itself, which would keep it close-on-exec). */
static int high_fd(int fd)
{
    int h;

    if (fd < 0 || fd > CHILD_FD_MAX)
        return fd;
    h = fcntl(fd, F_DUPFD_CLOEXEC, CHILD_FD_MAX + 1);
    close(fd);
    return h;
}

/* Read "<domid>\n" from the ready pipe; 0 with *domid, or -errno / -1 EOF. */
static int read_ready(int fd, uint32_t *domid)
{
    char buf[32];
    size_t len = 0;
    uint64_t deadline = now_mono_ns() + (uint64_t)SPAWN_TIMEOUT_MS * 1000000;

    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        uint64_t now = now_mono_ns();
        int r;
        ssize_t n;

        if (now >= deadline)
            return -ETIMEDOUT;
        r = poll(&p, 1, (int)((deadline - now) / 1000000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            continue;
        n = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -1;
        len += (size_t)n;
        buf[len] = '\0';
        if (strchr(buf, '\n') || len == sizeof(buf) - 1) {
            char *end;
            unsigned long v = strtoul(buf, &end, 10);
            if (end == buf || *end != '\n' || v == 0 || v > UINT32_MAX)
                return -EPROTO;
            *domid = (uint32_t)v;
            return 0;
        }
    }
}

/* The last "hvcore: ..." line hvcore wrote, without the prefix. */
static void read_stderr(int memfd, char *out, size_t outlen)
{
    char buf[2048];
    ssize_t n = pread(memfd, buf, sizeof(buf) - 1, 0);
    char *line = NULL, *p, *save = NULL;

    out[0] = '\0';
    if (n <= 0)
        return;
    buf[n] = '\0';
    for (p = strtok_r(buf, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
        if (strncmp(p, "hvcore: ", 8) == 0 && strncmp(p, "hvcore: Try", 11))
            line = p + 8;
        else if (!line)
            line = p;
    if (line)
        snprintf(out, outlen, "%s", line);
}

/*
 * After a timeout, the hvcore we killed (and its domain process, killed
 * with it) must leave nothing behind: wait until the domain process has
 * closed the ready pipe (it is exiting), then remove the entry it made,
 * known by our name and uuid, once the process is gone.
 */
/* Is domains/<entry> locked (by its hvcore)? */
static bool entry_locked(const hv_conn *conn, const char *entry)
{
    int dfd = openat(conn_domains_fd(conn), entry,
                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    bool locked;

    if (dfd < 0)
        return false;
    locked = flock(dfd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
    close(dfd);
    return locked;
}

static void remove_abandoned(hv_conn *conn, const char *our_uuid, int ready_fd)
{
    struct pollfd p = { .fd = ready_fd, .events = POLLIN };
    char buf[48], path[300], uuid[40], name[64];
    struct dirent *de;
    DIR *dir;
    int fd;

    while (poll(&p, 1, DOMCTL_TIMEOUT_MS) > 0 && read(ready_fd, buf, sizeof(buf)) > 0)
        ;
    /*
     * Every entry it may have made, wherever it stopped: domains/<domid>
     * (with or without a name link yet) or a staging directory, known by
     * our uuid, or staged before the uuid was written.
     */
    fd = openat(conn_domains_fd(conn), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || !(dir = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((de = readdir(dir))) {
        bool staging = strncmp(de->d_name, RT_STAGING_PREFIX,
                               strlen(RT_STAGING_PREFIX)) == 0;
        char *end;
        unsigned long id = strtoul(de->d_name, &end, 10);
        pid_t pid = 0;

        if (!staging && (*end || id == 0 || id > UINT32_MAX))
            continue;
        snprintf(path, sizeof(path), "%s/pid", de->d_name);
        if (read_small_file(conn_domains_fd(conn), path, buf, sizeof(buf)) > 0)
            pid = (pid_t)strtol(buf, NULL, 10);
        else if (staging)
            pid = (pid_t)strtol(de->d_name + strlen(RT_STAGING_PREFIX), NULL, 10);
        snprintf(path, sizeof(path), "%s/uuid", de->d_name);
        bool ours_by_uuid = false;
        if (read_small_file(conn_domains_fd(conn), path, uuid, sizeof(uuid)) > 0) {
            if (strcmp(uuid, our_uuid) != 0)
                continue;       /* another domain's */
            ours_by_uuid = true;
        } else if (!staging || pid <= 0) {
            continue;           /* not known to be ours */
        }
        /* A staging directory without a uuid may be ours (hung at steps
         * 2-3) or, rarely, a starting namesake's: waiting for its pid
         * costs that one's case time on this failure path only, and the
         * sweep removes only a directory nobody holds locked. */
        if (pid <= 0)
            continue;
        /* Locked, so pid is its hvcore: one that came up just as we gave
         * up is ours to end too. */
        if (ours_by_uuid && entry_locked(conn, de->d_name))
            kill(pid, SIGKILL);
        /* Its lock goes with its last thread: wait for that first. */
        if (rt_wait_exit(pid, DOMCTL_TIMEOUT_MS) < 0)
            continue;
        if (staging)
            rt_sweep_staging_wait(conn, de->d_name);
        else
            rt_reap(conn, (uint32_t)id, pid, name);
    }
    closedir(dir);
}

/* Why hvcore_path cannot be run, in words that say where it came from;
 * NULL if it looks runnable. */
static const char *check_hvcore(const hv_conn *conn, char *buf, size_t len)
{
    const char *from = conn->hvcore_from_env ? " (HVCORE_PATH)" : "";
    struct stat st;

    if (stat(conn->hvcore_path, &st) < 0 && errno == ENOENT)
        snprintf(buf, len, "%s%s does not exist", conn->hvcore_path, from);
    else if (stat(conn->hvcore_path, &st) == 0 && !S_ISREG(st.st_mode))
        snprintf(buf, len, "%s%s is not a regular file", conn->hvcore_path,
                 from);
    else if (access(conn->hvcore_path, X_OK) < 0)
        snprintf(buf, len, "%s%s is not executable: %s", conn->hvcore_path,
                 from, strerror(errno));
    else
        return NULL;
    return buf;
}

/*
 * The foreground hvcore exits as soon as its domain process tells it the
 * domain runs, which it does right after telling us: by the time the
 * caller has asked the new domain for its figures, it is gone.  Waiting
 * for its exit first would put a process teardown and two wake-ups on
 * create's path for nothing.  A caller that ignores SIGCHLD has its
 * children reaped for it (ECHILD).
 */
void spawn_reap(pid_t fg)
{
    while (fg > 0 && waitpid(fg, NULL, 0) < 0 && errno == EINTR)
        ;
}

int spawn_start(hv_conn *conn, const struct spawn_req *req, uint32_t *domid,
                pid_t *fg)
{
    const char *what = req->what;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    struct argv_buf a = { .nspecs = 0 };
    sigset_t none, all;
    int pipefd[2] = { -1, -1 }, memfd = -1, devnull = -1, rc, status = 0, err;
    pid_t waited;
    int evfd = -1, infd = -1;
    bool fa_ok = false, attr_ok = false;
    char msg[300];
    pid_t pid = -1;

    if (check_hvcore(conn, msg, sizeof(msg)))
        return err_set(HV_ESPAWN, "%s: cannot run hvcore: %s", what, msg);
    /* Before hvcore exists, so that our events hear all it says. */
    evfd = high_fd(ev_created_stream(conn, req->name));
    if (req->cfg) {
        if ((rc = build_argv(&a, conn, req->cfg, evfd >= 0, req->flags)))
            goto out;
    } else {
        build_stream_argv(&a, conn, req, evfd >= 0);
    }
    if (req->incoming >= 0 &&
        (infd = high_fd(fcntl(req->incoming, F_DUPFD_CLOEXEC, 0))) < 0) {
        rc = err_sys(HV_EIO, errno, "%s: the migration socket", what);
        goto out;
    }
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        rc = err_sys(HV_EIO, errno, "%s: pipe", what);
        goto out;
    }
    memfd = memfd_create("hvcore-stderr", MFD_CLOEXEC);
    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    pipefd[1] = high_fd(pipefd[1]);
    memfd = high_fd(memfd);
    devnull = high_fd(devnull);
    if (memfd < 0 || devnull < 0 || pipefd[1] < 0) {
        rc = err_sys(HV_EIO, errno, "%s: cannot set up hvcore's "
                     "standard streams", what);
        goto out;
    }

    rc = err_set(HV_ENOMEM, "%s: out of memory", what);
    if (posix_spawn_file_actions_init(&fa))
        goto out;
    fa_ok = true;
    /*
     * dup2 clears O_CLOEXEC on the copy: exactly these four survive, once
     * every other inherited fd is closed.  Our own fds are O_CLOEXEC, but
     * the caller's need not be, and the detached hvcore would otherwise
     * hold them (pipes, sockets, locked files) for the domain's lifetime.
     */
    if (posix_spawn_file_actions_adddup2(&fa, devnull, 0) ||
        posix_spawn_file_actions_adddup2(&fa, devnull, 1) ||
        posix_spawn_file_actions_adddup2(&fa, memfd, 2) ||
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], CHILD_READY_FD) ||
        (evfd >= 0 &&
         posix_spawn_file_actions_adddup2(&fa, evfd, CHILD_EVENT_FD)) ||
        (infd >= 0 &&
         posix_spawn_file_actions_adddup2(&fa, infd, CHILD_INCOMING_FD)) ||
        add_closefrom(&fa, (infd >= 0 ? CHILD_INCOMING_FD
                            : evfd >= 0 ? CHILD_EVENT_FD
                            : CHILD_READY_FD) + 1))
        goto out;
    if (posix_spawnattr_init(&attr))
        goto out;
    attr_ok = true;
    /* hvcore must not inherit our blocked or ignored signals. */
    sigemptyset(&none);
    sigfillset(&all);
    if (posix_spawnattr_setsigmask(&attr, &none) ||
        posix_spawnattr_setsigdefault(&attr, &all) ||
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
                                        POSIX_SPAWN_SETSIGDEF))
        goto out;

    err = posix_spawn(&pid, conn->hvcore_path, &fa, &attr, a.argv, environ);
    if (err) {
        pid = -1;
        rc = err_sys(HV_ESPAWN, err, "%s: cannot run %s", what,
                     conn->hvcore_path);
        goto out;
    }
    close(pipefd[1]);
    pipefd[1] = -1;
    /* hvcore holds the only copy of its end of the migration socket now:
     * if it dies, the sender sees the connection break. */
    if (infd >= 0) {
        close(infd);
        infd = -1;
    }

    rc = read_ready(pipefd[0], domid);
    if (rc == 0) {
        *fg = pid;              /* the domain runs: spawn_reap */
        goto out;
    }
    /* Killing the foreground hvcore kills the domain process too, as long
     * as it has not started the domain (PR_SET_PDEATHSIG, hvcore(8)). */
    if (rc == -ETIMEDOUT)
        kill(pid, SIGKILL);
    /* The first hvcore exits as soon as the domain fails, with its
     * status.  A caller that ignores SIGCHLD has its children reaped for
     * it: waitpid fails (ECHILD) and there is no status to read. */
    while ((waited = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
        ;
    if (rc == -ETIMEDOUT) {
        remove_abandoned(conn, req->uuid, pipefd[0]);
        rc = err_set(HV_ETIMEDOUT, "%s: hvcore did not start within "
                     "%d ms", what, SPAWN_TIMEOUT_MS);
    } else if (rc == -EPROTO) {
        rc = err_set(HV_EPROTO, "%s: hvcore announced a malformed "
                     "domid", what);
    } else if (rc < 0 && waited == pid && WIFSIGNALED(status)) {
        /* hvcore dies of the signal its domain process died of. */
        rc = err_set(HV_ESPAWN, "%s: hvcore was killed by signal %d "
                     "(%s) during start-up", what, WTERMSIG(status),
                     strsignal(WTERMSIG(status)));
    } else if (rc < 0) {
        read_stderr(memfd, msg, sizeof(msg));
        if (strstr(msg, "is already in use") && req->name[0])
            rc = err_set(HV_EEXIST, "domain '%s': the name is already in use",
                         req->name);
        else if (!req->cfg)     /* what failed is hvcore reading it */
            rc = err_set(waited == pid && WIFEXITED(status) &&
                         WEXITSTATUS(status) == HVCORE_EXIT_STREAM
                         ? HV_ESTREAM : HV_ESPAWN, "%s: %s", what,
                         msg[0] ? msg : "hvcore exited without a message");
        else
            rc = err_set(HV_ESPAWN, "%s: hvcore: %s", what,
                         msg[0] ? msg : "exited without a message");
    }
out:
    if (attr_ok)
        posix_spawnattr_destroy(&attr);
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 2; i++)
        if (pipefd[i] >= 0)
            close(pipefd[i]);
    if (memfd >= 0)
        close(memfd);
    if (devnull >= 0)
        close(devnull);
    if (evfd >= 0)
        close(evfd);
    if (infd >= 0)
        close(infd);
    argv_free(&a);
    return rc;
}

int spawn_hvcore(hv_conn *conn, const hv_config *cfg, unsigned flags,
                 uint32_t *domid, pid_t *fg)
{
    char what[96];
    struct spawn_req req = {
        .what = what, .name = cfg->name, .uuid = cfg->uuid_str, .cfg = cfg,
        .incoming = -1, .flags = flags,
    };

    snprintf(what, sizeof(what), "domain '%s'", cfg->name);
    return spawn_start(conn, &req, domid, fg);
}
