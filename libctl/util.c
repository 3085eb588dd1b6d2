/*
 * util.c - small helpers: uuids, clocks, reading tiny runtime files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

char *xstrdup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Only the canonical 8-4-4-4-12 form: one spelling per uuid keeps lookups
 * and round trips simple. */
bool uuid_parse(const char *s, uint8_t out[16])
{
    size_t i, b = 0;

    if (!s || strlen(s) != 36)
        return false;
    for (i = 0; i < 36;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
            i++;
            continue;
        }
        int hi = hexval(s[i]), lo = hexval(s[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[b++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    return b == 16;
}

void uuid_format(const uint8_t in[16], char out[37])
{
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7], in[8],
             in[9], in[10], in[11], in[12], in[13], in[14], in[15]);
}

/* Random (version 4) uuid. */
int uuid_generate(uint8_t out[16])
{
    size_t got = 0;

    while (got < 16) {
        ssize_t n = getrandom(out + got, 16 - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return err_sys(HV_EIO, errno, "cannot generate a uuid");
        }
        got += (size_t)n;
    }
    out[6] = (uint8_t)((out[6] & 0x0f) | 0x40);
    out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
    return 0;
}

/* Returns bytes read, or -errno.  Trailing newline stripped. */
int read_small_file(int dirfd, const char *path, char *buf, size_t max)
{
    int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -errno;
    do
        n = read(fd, buf, max - 1);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    close(fd);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    return (int)n;
}

uint64_t now_mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t now_real_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
