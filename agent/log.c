/*
 * log.c - one line per message, written with a single write(2) so that
 * lines from worker threads never interleave.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"

static enum log_level max_level = LOG_INFO;

void log_set_level(enum log_level level)
{
    max_level = level;
}

enum log_level log_get_level(void)
{
    return max_level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static int journal = -1;
    char line[1024];
    va_list ap;
    int n;

    if (level > max_level)
        return;
    if (journal < 0)
        journal = getenv("JOURNAL_STREAM") != NULL;
    n = journal ? snprintf(line, sizeof(line), "<%d>", (int)level)
                : snprintf(line, sizeof(line), "hvctld: ");
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    (void)!write(STDERR_FILENO, line, (size_t)n);
}
