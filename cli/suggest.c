/*
 * suggest.c - "did you mean": the command (or alias) nearest to a
 * mistyped one, by edit distance with adjacent transpositions counted as
 * one edit (optimal string alignment), so `lsit` is one edit from `list`.
 */
#include <string.h>

#include "cli.h"

#define WORD_MAX 32
/* Farther than this, or as far as the word is long, is no suggestion. */
#define MAX_EDITS 2

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;

    return m < c ? m : c;
}

static size_t distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    size_t d[WORD_MAX + 1][WORD_MAX + 1];

    if (n > WORD_MAX || m > WORD_MAX)
        return (size_t)-1;
    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1,
                           d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < d[i][j])
                d[i][j] = d[i - 2][j - 2] + 1;
        }
    return d[n][m];
}

const char *command_suggest(const char *typo)
{
    const char *best = NULL, *word, *name;
    size_t best_d = MAX_EDITS + 1, d;
    const struct command *c;

    for (size_t i = 0; (c = command_at(i)); i++)
        if ((d = distance(typo, c->name)) < best_d) {
            best_d = d;
            best = c->name;
        }
    for (size_t i = 0; (word = alias_at(i, &name)); i++)
        if ((d = distance(typo, word)) < best_d) {
            best_d = d;
            best = word;
        }
    return best && best_d < strlen(typo) ? best : NULL;
}

int unknown_command(const char *cmd, const char *name)
{
    const char *near = command_suggest(name);

    if (near)
        return cli_usage(cmd, "unknown command '%s'; did you mean '%s'?",
                         name, near);
    return cli_usage(cmd, "unknown command '%s'", name);
}
