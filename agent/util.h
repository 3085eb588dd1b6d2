/*
 * util.h - small helpers the agent's modules share: clocks, RFC 3339
 * timestamps, UTF-8 checking and a growable string.
 */
#ifndef HVCTLD_UTIL_H
#define HVCTLD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

uint64_t now_mono_ns(void);
/* Wall-clock milliseconds since the epoch (what the database stores). */
int64_t now_real_ms(void);

/* "2024-11-25T16:31:21.123Z" (UTC) into buf; returns buf. */
#define TIME_STR_LEN 32
char *time_str(int64_t ms, char buf[TIME_STR_LEN]);

/* Is [s, s+len) well-formed UTF-8 without NUL bytes? (RFC 3629) */
bool utf8_valid(const char *s, size_t len);

/* A NUL-terminated string that grows; `s` is NULL until the first add. */
struct strbuf {
    char *s;
    size_t len, cap;
    bool oom;                   /* an append failed: the content is cut */
};
void sb_add(struct strbuf *b, const char *s, size_t len);
void sb_puts(struct strbuf *b, const char *s);
void sb_printf(struct strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hand the string to the caller (who frees it); NULL after an OOM. */
char *sb_steal(struct strbuf *b);
void sb_free(struct strbuf *b);

/* Parse a whole decimal string into [min, max]; false if it is not one. */
bool parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

#endif /* HVCTLD_UTIL_H */
