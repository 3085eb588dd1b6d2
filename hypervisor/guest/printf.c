/*
 * printf.c - a small printf core feeding either the console or a buffer.
 */
#include <stdbool.h>
#include <stdint.h>

#include "console.h"
#include "printf.h"

#define KPRINTF_CHUNK 256

struct sink {
    char *buf;
    size_t cap;         /* bytes buf can hold                        */
    size_t len;         /* bytes in buf                              */
    size_t total;       /* bytes produced, kept or not (snprintf)    */
    bool console;       /* full buffer: write it out and go on       */
};

static void put(struct sink *s, char c)
{
    s->total++;
    if (s->len == s->cap) {
        if (!s->console)
            return;
        console_write(s->buf, s->len);
        s->len = 0;
    }
    s->buf[s->len++] = c;
}

static void put_padded(struct sink *s, const char *str, size_t n, int width,
                       bool left, char pad)
{
    int fill = width > (int)n ? width - (int)n : 0;

    /* Zero padding goes after a sign: -0042, not 00-42. */
    if (!left && pad == '0' && n > 0 && *str == '-') {
        put(s, *str++);
        n--;
    }
    if (!left)
        while (fill-- > 0)
            put(s, pad);
    while (n-- > 0)
        put(s, *str++);
    if (left)
        while (fill-- > 0)
            put(s, ' ');
}

/* Digits of v in base, most significant first, after an optional '-'. */
static size_t format_number(char *out, uint64_t v, unsigned base, bool upper, bool negative)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    size_t n = 0, len = 0;

    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    if (negative)
        out[len++] = '-';
    while (n)
        out[len++] = tmp[--n];
    return len;
}

static void format(struct sink *s, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(s, *fmt);
            continue;
        }
        bool left = false;
        char pad = ' ';
        int width = 0, lng = 0;
        bool size_t_arg = false;

        for (fmt++;; fmt++) {
            if (*fmt == '-')
                left = true;
            else if (*fmt == '0')
                pad = '0';
            else
                break;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        for (; *fmt == 'l'; fmt++)
            lng++;
        if (*fmt == 'z') {
            size_t_arg = true;
            fmt++;
        }

        char num[24];
        uint64_t u;
        int64_t i;
        switch (*fmt) {
        case 'd':
        case 'i':
            i = size_t_arg ? (int64_t)va_arg(ap, long) :
                lng == 0 ? va_arg(ap, int) :
                lng == 1 ? va_arg(ap, long) : va_arg(ap, long long);
            u = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
            put_padded(s, num, format_number(num, u, 10, false, i < 0), width, left, pad);
            break;
        case 'u':
        case 'x':
        case 'X':
            u = size_t_arg ? va_arg(ap, size_t) :
                lng == 0 ? va_arg(ap, unsigned) :
                lng == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned long long);
            put_padded(s, num, format_number(num, u, *fmt == 'u' ? 10 : 16, *fmt == 'X', false),
                       width, left, pad);
            break;
        case 'p':
            put(s, '0');
            put(s, 'x');
            u = (uint64_t)(uintptr_t)va_arg(ap, void *);
            put_padded(s, num, format_number(num, u, 16, false, false), width, left, pad);
            break;
        case 'c':
            num[0] = (char)va_arg(ap, int);
            put_padded(s, num, 1, width, left, ' ');
            break;
        case 's': {
            const char *str = va_arg(ap, const char *);
            size_t n = 0;

            if (!str)
                str = "(null)";
            while (str[n])
                n++;
            put_padded(s, str, n, width, left, ' ');
            break;
        }
        case '%':
            put(s, '%');
            break;
        case '\0':
            return;             /* a lone '%' at the end */
        default:                /* unknown: print it as written */
            put(s, '%');
            put(s, *fmt);
            break;
        }
    }
}

void kvprintf(const char *fmt, va_list ap)
{
    char buf[KPRINTF_CHUNK];
    struct sink s = { .buf = buf, .cap = sizeof(buf), .console = true };

    format(&s, fmt, ap);
    console_write(buf, s.len);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    struct sink s = { .buf = buf, .cap = size ? size - 1 : 0 };
    va_list ap;

    va_start(ap, fmt);
    format(&s, fmt, ap);
    va_end(ap);
    if (size)
        buf[s.len] = '\0';
    return (int)s.total;
}
