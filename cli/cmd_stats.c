/*
 * cmd_stats.c - `hvctl domstats` (one snapshot of every field, raw) and
 * `hvctl top` (rates from two snapshots).
 *
 * Rates are differences between two hv_domain_info snapshots divided by
 * the difference of the domain's own uptime, not of hvctl's clock: a
 * slow look at a domain does not make its rates look low.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "backend.h"
#include "cmdopts.h"
#include "output.h"

#define TOP_DELAY_MS 1000

int cmd_domstats(struct cli *cli, int argc, char **argv)
{
    struct cmdopts o = { .cmd = "domstats" };
    struct dom_list l = { 0 };
    struct backend *be;
    int c, rc = EXIT_OK;

    if ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END)
        return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if (NARGS == 0) {
        if ((rc = be_list(be, cli, HV_LIST_ACTIVE | HV_LIST_FRESH, NULL, &l)))
            return rc;
        dom_list_filter(&l, HV_LIST_ACTIVE, NULL);
    }
    for (int i = optind; i < argc; i++) {
        struct hv_fields *f = dom_list_add(&l);
        if (!f) {
            rc = cli_fail(cli, "out of memory");
            goto out;
        }
        cli_what(cli, "domstats %s", argv[i]);
        if ((rc = be_info(be, cli, argv[i], f)))
            goto out;
    }
    if (cli->json) {
        json_object *arr = json_object_new_array(), *top;
        for (size_t i = 0; i < l.n; i++)
            json_object_array_add(arr, fields_json(&l.rows[i]));
        top = json_object_new_object();
        json_object_object_add(top, "domains", arr);
        print_json(top, false);
    } else {
        for (size_t i = 0; i < l.n; i++) {
            if (i)
                printf("\n");
            print_stats(&l.rows[i]);
        }
    }
out:
    dom_list_free(&l);
    return rc;
}

/* ---- top ---- */

struct rates {
    bool known;
    double cpu_pct, exits_s, events_s;
};

/* The rates of f since its row in prev (same uuid, or same name and id). */
static struct rates rates_of(const struct hv_fields *f,
                             const struct dom_list *prev)
{
    struct rates r = { 0 };

    for (size_t i = 0; i < prev->n; i++) {
        const struct hv_fields *p = &prev->rows[i];
        double dt;
        if (f->uuid[0] ? strcmp(p->uuid, f->uuid) != 0
                       : strcmp(p->name, f->name) != 0 || p->domid != f->domid)
            continue;
        if (!f->figures_known || !p->figures_known ||
            f->uptime_ns <= p->uptime_ns || f->cpu_time_ns < p->cpu_time_ns ||
            f->exits < p->exits || f->events < p->events)
            return r;           /* rebooted hvcore, or nothing to say */
        dt = (double)(f->uptime_ns - p->uptime_ns);
        r.known = true;
        r.cpu_pct = 100.0 * (double)(f->cpu_time_ns - p->cpu_time_ns) / dt;
        r.exits_s = 1e9 * (double)(f->exits - p->exits) / dt;
        r.events_s = 1e9 * (double)(f->events - p->events) / dt;
        return r;
    }
    return r;
}

/* "-" when unknown, else v with `decimals` digits after the point. */
static void rate_text(bool known, double v, int decimals, char *buf,
                      size_t len)
{
    if (known)
        snprintf(buf, len, "%.*f", decimals, v);
    else
        snprintf(buf, len, "-");
}

static void top_frame(struct cli *cli, const struct dom_list *now,
                      const struct dom_list *prev, bool tty)
{
    json_object *arr = cli->json ? json_object_new_array() : NULL, *top;
    char id[16], mem[32], cpu[16], ex[24], evs[24];

    if (!cli->json) {
        if (tty)
            printf("\033[H\033[2J");
        printf("%5s  %-16s  %-8s  %6s  %8s  %10s  %10s\n", "ID", "NAME",
               "STATE", "CPU%", "MEM(MiB)", "EXITS/s", "EVENTS/s");
    }
    for (size_t i = 0; i < now->n; i++) {
        const struct hv_fields *f = &now->rows[i];
        struct rates r = rates_of(f, prev);
        if (arr) {
            json_object *o = json_object_new_object();
            json_object_object_add(o, "name", json_object_new_string(f->name));
            json_object_object_add(o, "id", f->domid == HV_DOMID_NONE ? NULL
                                   : json_object_new_int64(f->domid));
            json_object_object_add(o, "cpu_percent", r.known
                                   ? json_object_new_double(r.cpu_pct) : NULL);
            json_object_object_add(o, "exits_per_s", r.known
                                   ? json_object_new_double(r.exits_s) : NULL);
            json_object_object_add(o, "events_per_s", r.known
                                   ? json_object_new_double(r.events_s) : NULL);
            json_object_array_add(arr, o);
            continue;
        }
        rate_text(r.known, r.cpu_pct, 1, cpu, sizeof(cpu));
        rate_text(r.known, r.exits_s, 0, ex, sizeof(ex));
        rate_text(r.known, r.events_s, 0, evs, sizeof(evs));
        printf("%5s  %-16s  %-8s  %6s  %8s  %10s  %10s\n",
               field_text(f, "id", true, id, sizeof(id)), f->name,
               hv_state_name(f->state), cpu,
               field_text(f, "memory_current_kib", true, mem, sizeof(mem)),
               ex, evs);
    }
    if (arr) {
        top = json_object_new_object();
        json_object_object_add(top, "domains", arr);
        print_json(top, true);
    } else if (!tty) {
        printf("\n");
    }
    fflush(stdout);
}

/* Wait ms for a signal or 'q' on a terminal: 1 to stop. */
static int top_wait(int ms, bool tty_in)
{
    struct pollfd p[2] = {
        { .fd = sig_fd(), .events = POLLIN },
        { .fd = tty_in ? STDIN_FILENO : -1, .events = POLLIN },
    };
    uint64_t end = mono_ns() + (uint64_t)ms * 1000000;

    for (;;) {
        uint64_t now = mono_ns();
        char c;
        if (now >= end)
            return 0;
        poll(p, 2, (int)((end - now) / 1000000) + 1);
        if (sig_caught())
            return 1;
        if ((p[1].revents & POLLIN) && read(STDIN_FILENO, &c, 1) == 1 &&
            (c == 'q' || c == 'Q'))
            return 1;
    }
}

static int on_top_opt(struct cli *cli, int c, long *count, int *delay)
{
    uint64_t n;

    if (c == 'n') {
        if (parse_u64(optarg, 1, 1000000, &n) < 0)
            return cli_usage("top", "--iterations '%s': not a whole number "
                             "above 0", optarg);
        *count = (long)n;
        return 0;
    }
    if (parse_seconds_ms(optarg, delay) < 0 || *delay == 0)
        return cli_usage("top", "--delay '%s': not a number of seconds above "
                         "0", optarg);
    (void)cli;
    return 0;
}

int cmd_top(struct cli *cli, int argc, char **argv)
{
    static const struct option own[] = {
        { "iterations", required_argument, NULL, 'n' },
        { "delay", required_argument, NULL, 'd' },
        { NULL, 0, NULL, 0 },
    };
    struct cmdopts o = { .cmd = "top", .own = own, .shorts = "n:d:" };
    struct dom_list prev = { 0 }, now = { 0 };
    bool tty = isatty(STDOUT_FILENO), tty_in = isatty(STDIN_FILENO);
    int c, rc, delay = TOP_DELAY_MS;
    struct termios saved, raw;
    struct backend *be;
    long count = -1;

    while ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END) {
        if (c != 'n' && c != 'd')
            return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
        if ((rc = on_top_opt(cli, c, &count, &delay)))
            return rc;
    }
    if ((rc = cmd_operands("top", NARGS, 0, 0)))
        return rc;
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if (sig_watch() < 0)
        return cli_fail(cli, "cannot watch signals: %s", strerror(errno));
    /* 'q' without Enter, and not echoed. */
    if (tty_in && tcgetattr(STDIN_FILENO, &saved) == 0) {
        raw = saved;
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    } else {
        tty_in = false;
    }
    if ((rc = be_list(be, cli, HV_LIST_ACTIVE | HV_LIST_FRESH, NULL, &prev)))
        goto out;
    for (long i = 0; count < 0 || i < count; i++) {
        if (top_wait(delay, tty_in))
            break;
        if ((rc = be_list(be, cli, HV_LIST_ACTIVE | HV_LIST_FRESH, NULL, &now)))
            break;
        dom_list_filter(&now, HV_LIST_ACTIVE, NULL);
        top_frame(cli, &now, &prev, tty && !cli->json);
        dom_list_free(&prev);
        prev = now;
        now = (struct dom_list){ 0 };
    }
out:
    if (tty_in)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    dom_list_free(&prev);
    dom_list_free(&now);
    return rc;
}
