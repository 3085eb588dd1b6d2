/*
 * main.c - hvcore: run one paravirtualized domain.
 *
 * Start-up order matters: detaching (fork) must happen before any thread
 * or KVM object exists, and the runtime entry is claimed before the
 * (comparatively slow) VM creation so that a name clash fails fast.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "console.h"
#include "device.h"
#include "domain.h"
#include "domctl.h"
#include "event_loop.h"
#include "hvcore.h"
#include "incoming.h"
#include "options.h"
#include "public/exit_status.h"
#include "runtime.h"
#include "startup_step.h"
#include "vcpu.h"

/*
 * --detach: the parent stays until the child reports the domain running,
 * so that the caller sees startup errors in hvcore's exit status.  Until
 * then the two live and die together: a child that dies makes the parent
 * die the same way (a kill -9 of the domain process reads as a kill -9 of
 * hvcore to whoever started it), and the child gets SIGKILL should the
 * parent die first (PR_SET_PDEATHSIG): a creator that kills the hvcore it
 * started leaves no domain behind, even one blocked in start-up.
 */
static int detach(int *notify_fd)
{
    int p[2], go[2], status = 0, err;
    char buf[32];
    pid_t parent = getpid();

    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    /* The child goes on only once the parent has passed STEP_FORKED and
     * said so on go[]: a parent killed before that leaves the child EOF,
     * and it ends before it has published anything, however late
     * PR_SET_PDEATHSIG would reach it on a loaded machine. */
    if (pipe2(go, O_CLOEXEC) < 0) {
        err = -errno;
        close(p[0]);
        close(p[1]);
        return err;
    }
    pid_t pid = fork();
    if (pid < 0) {
        err = -errno;
        close(p[0]);
        close(p[1]);
        close(go[0]);
        close(go[1]);
        return err;
    }
    if (pid > 0) {
        close(p[1]);
        close(go[0]);
        startup_step(STEP_FORKED);
        if (write(go[1], "g", 1) != 1)
            _exit(HVCORE_EXIT_STARTUP);
        close(go[1]);
        ssize_t n;
        do
            n = read(p[0], buf, sizeof(buf));
        while (n < 0 && errno == EINTR);
        if (n > 0)
            _exit(HVCORE_EXIT_OK);          /* the domain runs */
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (WIFSIGNALED(status)) {
            sigset_t set;
            signal(WTERMSIG(status), SIG_DFL);
            sigemptyset(&set);
            sigaddset(&set, WTERMSIG(status));
            sigprocmask(SIG_UNBLOCK, &set, NULL);
            raise(WTERMSIG(status));
        }
        /* The domain never ran.  A refused stream (--restore, --incoming)
         * says so, so that the caller can tell a bad file from a host
         * that could not start it; anything else is a failed start. */
        if (WIFEXITED(status) && WEXITSTATUS(status) == HVCORE_EXIT_STREAM)
            _exit(HVCORE_EXIT_STREAM);
        _exit(HVCORE_EXIT_STARTUP);
    }
    close(p[0]);
    close(go[1]);
    ssize_t n;
    do
        n = read(go[0], buf, 1);
    while (n < 0 && errno == EINTR);
    close(go[0]);
    if (n != 1)
        _exit(HVCORE_EXIT_STARTUP);     /* the parent died at STEP_FORKED */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && getppid() != parent)
        raise(SIGKILL);         /* the parent died before prctl */
    setsid();
    *notify_fd = p[1];
    return 0;
}

/* Tell whoever waits that the domain runs.  false if they are gone (the
 * read end is closed: a creator that timed out and gave up), in which
 * case nobody knows this domain exists and it must not live on. */
static bool announce_ready(int fd, uint32_t domid)
{
    char buf[32];
    int len = snprintf(buf, sizeof(buf), "%u\n", domid);
    bool ok = true;

    if (fd >= 0) {
        ok = write(fd, buf, (size_t)len) == len || errno != EPIPE;
        close(fd);
    }
    return ok;
}

/* Returns the signalfd, or -errno. */
static int setup_signals(void)
{
    sigset_t set;
    int r, fd;

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    /* Blocked here and so in every vCPU thread: they arrive on the fd. */
    r = pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (r != 0)
        return -r;
    r = vcpu_init_signals();
    if (r < 0)
        return r;
    fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    return fd < 0 ? -errno : fd;
}

int main(int argc, char **argv)
{
    static struct domain dom;
    struct domain *d = &dom;
    struct options opt;
    char err[512];
    int notify_fd = -1, sig_fd, status = HVCORE_EXIT_STARTUP;

    int r = options_parse(argc, argv, d, &opt);
    if (r != 0)
        return r == OPTIONS_DONE ? HVCORE_EXIT_OK : HVCORE_EXIT_STARTUP;
    d->listen_fd = d->epoll_fd = d->mem_fd = d->kvm_fd = d->vm_fd = d->wake_fd = -1;
    d->console_log_fd = d->domdir_fd = d->reserved_fd = -1;
    device_init(d);

    if (opt.detach && (r = detach(&notify_fd)) < 0) {
        fprintf(stderr, "hvcore: cannot detach: %s\n", strerror(-r));
        return HVCORE_EXIT_STARTUP;
    }
    sig_fd = setup_signals();
    if (sig_fd < 0) {
        fprintf(stderr, "hvcore: cannot set up signals: %s\n", strerror(-sig_fd));
        return HVCORE_EXIT_STARTUP;
    }
    r = console_init(d, opt.log_path);
    if (r < 0) {
        fprintf(stderr, "hvcore: cannot open console log %s: %s\n", opt.log_path,
                strerror(-r));
        return HVCORE_EXIT_STARTUP;
    }
    bool from_stream = opt.restore_path || opt.incoming_fd >= 0, announced = false;
    enum incoming_outcome outcome = INCOMING_RUNS;
    if (from_stream) {
        bool stream_error;
        if (incoming_start(d, &opt, sig_fd, &notify_fd, &announced, &outcome, &stream_error,
                           err, sizeof(err)) < 0) {
            fprintf(stderr, "hvcore: %s\n", err);
            if (stream_error)
                status = HVCORE_EXIT_STREAM;
            goto out;
        }
    } else if (runtime_claim(d, opt.domid, err, sizeof(err)) < 0 ||
        domain_setup(d, err, sizeof(err)) < 0 ||
        (startup_step(STEP_VM_CREATED), domctl_listen(d, err, sizeof(err)) < 0) ||
        (startup_step(STEP_LISTENING),
         loop_init(d, sig_fd, d->console_stdio, err, sizeof(err)) < 0) ||
        device_start_all(d, err, sizeof(err)) < 0 ||
        domain_boot(d, err, sizeof(err)) < 0) {
        fprintf(stderr, "hvcore: %s\n", err);
        goto out;
    }
    startup_step(STEP_BOOTED);
    /* --event-fd: the creator hears every event, even a crash at boot
     * that would be over before it could subscribe. */
    if (opt.event_fd >= 0)
        d->subscribers[d->nr_subscribers++] = opt.event_fd;
    if (!from_stream)
        domain_emit_event(d, HV_EVENT_started, NULL);
    else if (outcome == INCOMING_RUNS)
        domain_emit_event(d, HV_EVENT_restored, opt.restore_path ? "restored from a file"
                                                                 : "migrated in");
    else
        domain_emit_event(d, HV_EVENT_paused,
                          "migration undecided: the toolstack unpauses or destroys it");
    /* Running: from now on the domain outlives the foreground process. */
    if (notify_fd >= 0)
        prctl(PR_SET_PDEATHSIG, 0);
    /* The creator is the --ready-fd reader if there is one (libhvctl),
     * else whoever waits for the foreground process.  --incoming told
     * them already, as soon as it listened. */
    bool ready_heard = announced || announce_ready(opt.ready_fd, d->domid);
    bool notify_heard = announced || announce_ready(notify_fd, d->domid);
    bool heard = opt.ready_fd >= 0 ? ready_heard : notify_heard;
    notify_fd = -1;
    startup_step(STEP_READY);
    if (!heard) {
        fprintf(stderr, "hvcore: nobody is waiting for the domain any more: destroying it\n");
        domain_end(d, END_DESTROY, "creator gone");
    }

    status = loop_run(d);

out:
    /* Back ends first: they map guest memory, and none may outlive us. */
    device_stop_all(d);
    runtime_release(d);
    loop_fini(d);
    for (unsigned i = 0; i < d->nr_subscribers; i++)
        close(d->subscribers[i]);
    if (d->listen_fd >= 0)
        close(d->listen_fd);
    domain_teardown(d);
    console_fini(d);
    close(sig_fd);
    return status;
}
