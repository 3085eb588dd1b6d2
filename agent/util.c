/*
 * util.c - see util.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

uint64_t now_mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t now_real_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *time_str(int64_t ms, char buf[TIME_STR_LEN])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    size_t n;

    if (!gmtime_r(&secs, &tm))
        memset(&tm, 0, sizeof(tm));
    n = strftime(buf, TIME_STR_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, TIME_STR_LEN - n, ".%03dZ", (int)(ms % 1000));
    return buf;
}

bool utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str, *end = s + len;

    while (s < end) {
        unsigned c = *s++;
        unsigned need, min, cp;

        if (c == 0)
            return false;
        if (c < 0x80)
            continue;
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1; min = 0x80; cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2; min = 0x800; cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3; min = 0x10000; cp = c & 0x07;
        } else {
            return false;       /* continuation byte, or C0/C1/F5..FF */
        }
        if ((size_t)(end - s) < need)
            return false;
        for (unsigned i = 0; i < need; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i] & 0x3f);
        }
        s += need;
        /* Overlong forms, UTF-16 surrogates and beyond U+10FFFF. */
        if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return false;
    }
    return true;
}

static bool sb_grow(struct strbuf *b, size_t more)
{
    size_t cap;
    char *s;

    if (b->oom)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    s = realloc(b->s, cap);
    if (!s) {
        b->oom = true;
        return false;
    }
    b->s = s;
    b->cap = cap;
    return true;
}

void sb_add(struct strbuf *b, const char *s, size_t len)
{
    if (!sb_grow(b, len))
        return;
    memcpy(b->s + b->len, s, len);
    b->len += len;
    b->s[b->len] = '\0';
}

void sb_puts(struct strbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

void sb_printf(struct strbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !sb_grow(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *sb_steal(struct strbuf *b)
{
    char *s = b->s;

    if (b->oom || !s) {
        free(s);
        s = b->oom ? NULL : strdup("");
    }
    b->s = NULL;
    b->len = b->cap = 0;
    b->oom = false;
    return s;
}

void sb_free(struct strbuf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
    b->oom = false;
}

bool parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    long long v;

    if (!s || !*s || (*s != '-' && (*s < '0' || *s > '9')))
        return false;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}
