/*
 * json_scan.c - find duplicate keys and key lines in JSON text.
 *
 * Runs only on text json-c has parsed, so it can assume well-formed input
 * and stay a small recursive descent; bounds (depth, keys per object) keep
 * hostile input from costing more than linear time.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "json_scan.h"

#define MAX_KEYS_PER_OBJECT 64
#define MAX_PATH 192
#define NUL_MSG "\\u0000 (a NUL character) is not allowed in a string"

struct scanner {
    const char *p, *end;
    int line;
    struct json_scan *s;
};

static void ws(struct scanner *sc)
{
    while (sc->p < sc->end &&
           (*sc->p == ' ' || *sc->p == '\t' || *sc->p == '\n' ||
            *sc->p == '\r')) {
        if (*sc->p == '\n')
            sc->line++;
        sc->p++;
    }
}

static int fail(struct scanner *sc, const char *msg, const char *path)
{
    sc->s->err_line = sc->line;
    snprintf(sc->s->err, sizeof(sc->s->err), "%s%s%s%s", path ? "\"" : "",
             path ? path : "", path ? "\": " : "", msg);
    return -1;
}

/*
 * Skip a string; *start and *len get the raw bytes between the quotes.
 * True when it holds the escape \u0000: json-c decodes it into a NUL
 * that every C string after it would stop at ("ok\u0000../x" read as
 * "ok"), so such a string cannot mean what it says.
 */
static bool string(struct scanner *sc, const char **start, size_t *len)
{
    bool nul = false;

    sc->p++;                            /* opening quote */
    *start = sc->p;
    while (sc->p < sc->end && *sc->p != '"') {
        if (*sc->p == '\\' && sc->p + 1 < sc->end) {
            if (sc->end - sc->p >= 6 && memcmp(sc->p + 1, "u0000", 5) == 0)
                nul = true;
            sc->p++;
        }
        sc->p++;
    }
    *len = (size_t)(sc->p - *start);
    if (sc->p < sc->end)
        sc->p++;                        /* closing quote */
    return nul;
}

static int record(struct scanner *sc, const char *path)
{
    struct json_scan *s = sc->s;
    struct json_key_line *k = realloc(s->keys, (s->nkeys + 1) * sizeof(*k));

    if (!k)
        return fail(sc, "out of memory", NULL);
    s->keys = k;
    k[s->nkeys].path = strdup(path);
    if (!k[s->nkeys].path)
        return fail(sc, "out of memory", NULL);
    k[s->nkeys++].line = sc->line;
    return 0;
}

static int value(struct scanner *sc, const char *path, int depth);

static int object(struct scanner *sc, const char *path, int depth)
{
    struct { const char *s; size_t n; } seen[MAX_KEYS_PER_OBJECT];
    size_t nseen = 0;

    sc->p++;
    for (;;) {
        const char *key;
        size_t klen;
        char child[MAX_PATH];
        bool nul;

        ws(sc);
        if (sc->p >= sc->end || *sc->p == '}')
            break;
        if (*sc->p == ',') {
            sc->p++;
            continue;
        }
        /* json-c takes 'single-quoted' keys even when strict; the check
         * for duplicates could not see them, so they are refused. */
        if (*sc->p != '"')
            return fail(sc, "a key must be a string in double quotes",
                        path[0] ? path : NULL);
        nul = string(sc, &key, &klen);
        snprintf(child, sizeof(child), "%s%s%.*s", path, *path ? "." : "",
                 (int)klen, key);
        if (nul)
            return fail(sc, NUL_MSG, child);
        for (size_t i = 0; i < nseen; i++)
            if (seen[i].n == klen && memcmp(seen[i].s, key, klen) == 0)
                return fail(sc, "duplicate key", child);
        if (nseen == MAX_KEYS_PER_OBJECT)
            return fail(sc, "too many keys in one object", path[0] ? path : NULL);
        seen[nseen].s = key;
        seen[nseen++].n = klen;
        if (record(sc, child) < 0)
            return -1;
        ws(sc);
        if (sc->p < sc->end && *sc->p == ':')
            sc->p++;
        if (value(sc, child, depth + 1) < 0)
            return -1;
    }
    if (sc->p < sc->end)
        sc->p++;
    return 0;
}

static int value(struct scanner *sc, const char *path, int depth)
{
    const char *s;
    size_t n;

    if (depth > CFG_MAX_NESTING)
        return fail(sc, "nested too deeply", NULL);
    ws(sc);
    if (sc->p >= sc->end)
        return 0;
    switch (*sc->p) {
    case '{':
        return object(sc, path, depth);
    case '[': {
        /* Elements are "path[0]", "path[1]": a device's line. */
        char elem[MAX_PATH];
        unsigned i = 0;

        sc->p++;
        for (;;) {
            ws(sc);
            if (sc->p >= sc->end || *sc->p == ']')
                break;
            if (*sc->p == ',') {
                sc->p++;
                continue;
            }
            snprintf(elem, sizeof(elem), "%s[%u]", path, i++);
            if (record(sc, elem) < 0 || value(sc, elem, depth + 1) < 0)
                return -1;
        }
        if (sc->p < sc->end)
            sc->p++;
        return 0;
    }
    case '"':
        if (string(sc, &s, &n))
            return fail(sc, NUL_MSG, path[0] ? path : NULL);
        return 0;
    default:
        /* At least one byte, so that no loop above can spin in place on
         * text json-c took and this scanner does not know. */
        do
            sc->p++;
        while (sc->p < sc->end && !strchr(",}] \t\r\n", *sc->p));
        return 0;
    }
}

int json_scan(const char *text, size_t len, struct json_scan *s)
{
    struct scanner sc = { text, text + len, 1, s };

    memset(s, 0, sizeof(*s));
    return value(&sc, "", 0);
}

int json_scan_line(const struct json_scan *s, const char *path)
{
    for (size_t i = 0; i < s->nkeys; i++)
        if (strcmp(s->keys[i].path, path) == 0)
            return s->keys[i].line;
    return 0;
}

void json_scan_free(struct json_scan *s)
{
    for (size_t i = 0; i < s->nkeys; i++)
        free(s->keys[i].path);
    free(s->keys);
    s->keys = NULL;
    s->nkeys = 0;
}
