/*
 * xfer_show.c - see xfer_show.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "output.h"
#include "xfer_show.h"

struct xfer_show {
    bool json;                  /* JSON lines on stdout, else the bar    */
    char title[160];
};

void format_bytes(uint64_t bytes, char *buf, size_t len)
{
    static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
    double v = (double)bytes;
    int u = -1;

    if (bytes < 1024) {
        snprintf(buf, len, "%" PRIu64 " B", bytes);
        return;
    }
    while (v >= 1024 && u < 3) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, u >= 2 ? "%.2f %s" : "%.1f %s", v, unit[u]);
}

struct xfer_show *xfer_show_new(const struct cli *cli, const char *title)
{
    struct xfer_show *xs;

    if (!cli->json && !isatty(STDERR_FILENO))
        return NULL;
    if (!(xs = calloc(1, sizeof(*xs))))
        return NULL;
    xs->json = cli->json;
    snprintf(xs->title, sizeof(xs->title), "%s", title);
    return xs;
}

static double percent(const struct xfer_figures *f)
{
    uint64_t all = f->bytes_sent + f->bytes_remaining;

    return all ? 100.0 * (double)f->bytes_sent / (double)all : 0;
}

static void show_json(const struct xfer_figures *f)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "type", json_object_new_string("progress"));
    json_object_object_add(o, "phase",
                           json_object_new_string(hv_op_phase_name(f->phase)));
    json_object_object_add(o, "iteration",
                           json_object_new_int64((int64_t)f->iteration));
    json_object_object_add(o, "percent", json_object_new_double(percent(f)));
#define ADD(key) json_object_object_add(o, #key, \
                     json_object_new_int64((int64_t)f->key))
    ADD(bytes_sent);
    ADD(bytes_remaining);
    ADD(bytes_total);
    ADD(dirty_rate_bps);
    ADD(bandwidth_bps);
    ADD(expected_downtime_ns);
#undef ADD
    print_json(o, true);
    fflush(stdout);
}

void xfer_show_update(void *opaque, const struct xfer_figures *f)
{
    struct xfer_show *xs = opaque;
    char left[32];

    if (!xs)
        return;
    if (xs->json) {
        show_json(f);
        return;
    }
    format_bytes(f->bytes_remaining, left, sizeof(left));
    /* \r and "erase to end of line": redraw in place. */
    fprintf(stderr, "\r\033[K%s: %3.0f%%  %.1f MiB/s  round %" PRIu64
            "  %s left  downtime ~%.1f ms", xs->title, percent(f),
            (double)f->bandwidth_bps / (1024.0 * 1024.0), f->iteration,
            left, (double)f->expected_downtime_ns / 1e6);
    fflush(stderr);
}

void xfer_show_done(struct xfer_show *xs)
{
    if (!xs)
        return;
    if (!xs->json) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
    free(xs);
}
