/*
 * progress.c - the status line of progress.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "progress.h"

#define BAR_WIDTH 24

struct progress {
    char title[160];
    unsigned spin;
};

struct progress *progress_new(const struct cli *cli, const char *title)
{
    struct progress *pg;

    if (cli->json || !isatty(STDERR_FILENO))
        return NULL;
    pg = calloc(1, sizeof(*pg));
    if (pg)
        snprintf(pg->title, sizeof(pg->title), "%s", title);
    return pg;
}

void progress_show(struct progress *pg, const char *step, double fraction)
{
    static const char spinner[] = "|/-\\";
    char bar[BAR_WIDTH + 1];

    if (!pg)
        return;
    if (fraction >= 0) {
        int full = (int)(fraction * BAR_WIDTH + 0.5);
        if (full > BAR_WIDTH)
            full = BAR_WIDTH;
        memset(bar, '=', (size_t)full);
        memset(bar + full, ' ', (size_t)(BAR_WIDTH - full));
        bar[BAR_WIDTH] = '\0';
        /* \r and "erase to end of line": redraw in place. */
        fprintf(stderr, "\r\033[K%s: %s [%s] %3d%%", pg->title, step, bar,
                (int)(fraction * 100 + 0.5));
    } else {
        fprintf(stderr, "\r\033[K%s: %s %c", pg->title, step,
                spinner[pg->spin++ % 4]);
    }
    fflush(stderr);
}

void progress_done(struct progress *pg)
{
    if (!pg)
        return;
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
    free(pg);
}
