/*
 * device_spec.c - parsing device specs (device_spec.h).
 *
 *   SPEC = TYPE "," ITEM { "," ITEM }   (a ',' inside a value is ",,")
 *   ITEM = KEY "=" VALUE | FLAG
 *
 * The text is hostile (a domctl client wrote it): its length is checked
 * before anything else, a NUL byte is refused rather than silently ending
 * the text, and what a message quotes of it is shortened and made
 * printable so that the one-line answer stays one line.
 */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "device_spec.h"
#include "public/errno.h"

#define T_BLK (1u << HV_DEV_TYPE_BLOCK)
#define T_NET (1u << HV_DEV_TYPE_NET)

enum key {
    K_ID, K_SOCKET, K_FILE, K_READONLY, K_DIRECT, K_DISCARD, K_MAC, K_BRIDGE,
    K_TAP, K_QUEUES, K_USER, K_NR
};

static const struct {
    const char *name;
    unsigned types;
    bool flag;              /* no value */
    bool in_tree;           /* only for an in-tree back end */
} keys[K_NR] = {
    [K_ID]       = { "id",       T_BLK | T_NET, false, false },
    [K_SOCKET]   = { "socket",   T_BLK | T_NET, false, false },
    [K_FILE]     = { "file",     T_BLK,         false, true },
    [K_READONLY] = { "readonly", T_BLK,         true,  true },
    [K_DIRECT]   = { "direct",   T_BLK,         true,  true },
    [K_DISCARD]  = { "discard",  T_BLK,         false, true },
    [K_MAC]      = { "mac",      T_NET,         false, false },
    [K_BRIDGE]   = { "bridge",   T_NET,         false, true },
    [K_TAP]      = { "tap",      T_NET,         false, true },
    [K_QUEUES]   = { "queues",   T_BLK | T_NET, false, false },
    [K_USER]     = { "user",     T_BLK | T_NET, false, true },
};

/* Quote at most 40 bytes of hostile text, printable. */
static const char *show(char *buf, size_t cap, const char *s, size_t len)
{
    size_t n = len > 40 ? 40 : len, o = 0;

    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (len > n && o + 4 < cap) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -HVE_INVAL;
}

/*
 * The next item of text[*pos..len) into item (",," unescaped), its length
 * in *ilen.  Returns false at the end of the text.
 */
static bool next_item(const char *text, size_t len, size_t *pos, char *item, size_t *ilen)
{
    size_t i = *pos, o = 0;

    if (i > len)
        return false;
    while (i < len) {
        if (text[i] == ',') {
            if (i + 1 < len && text[i + 1] == ',') {
                item[o++] = ',';
                i += 2;
                continue;
            }
            break;
        }
        item[o++] = text[i++];
    }
    item[o] = '\0';
    *ilen = o;
    *pos = i + 1;       /* past the separator; len + 1 at the end */
    return true;
}

static bool id_ok(const char *s)
{
    size_t n = strlen(s);

    if (n < 1 || n >= HV_DEV_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_' || s[i] == '.' || s[i] == '-'))
            return false;
    return true;
}

static bool ifname_ok(const char *s)
{
    size_t n = strlen(s);

    if (n < 1 || n >= DEV_SPEC_IFNAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/' || s[i] == ':' || (unsigned char)s[i] <= ' ' ||
            (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

static bool user_ok(const char *s)
{
    size_t n = strlen(s);

    if (n < 1 || n >= DEV_SPEC_USER_MAX || s[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-' || s[i] == '.'))
            return false;
    return true;
}

/* Does the user exist?  Asked as the spec is parsed, so a typo is the
 * attach's one-line answer, not a back end that dies at each start.  err:
 * the lookup's own failure (0 with no entry: there is none). */
static bool user_exists(const char *name, int *err)
{
    struct passwd pw, *res = NULL;
    char buf[4096];

    *err = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
    if (*err == ENOENT || *err == ESRCH || *err == EBADF || *err == EPERM)
        *err = 0;               /* what glibc may say for "no such user" */
    return res != NULL;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
           c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static bool mac_parse(const char *s, uint8_t mac[6])
{
    if (strlen(s) != 17)
        return false;
    for (unsigned i = 0; i < 6; i++) {
        int hi = hexval(s[3 * i]), lo = hexval(s[3 * i + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
            return false;
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static bool queues_parse(const char *s, unsigned max, unsigned *out)
{
    unsigned v = 0;

    if (!*s || strlen(s) > 2)
        return false;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v < 1 || v > max)
        return false;
    *out = v;
    return true;
}

static int set_value(struct dev_spec *s, enum key k, const char *v, char *err, size_t errlen)
{
    char q[48];
    unsigned max;
    int e;

    switch (k) {
    case K_ID:
        if (!id_ok(v))
            return fail(err, errlen, "id '%s' is not 1-15 bytes of [a-z0-9_.-]",
                        show(q, sizeof(q), v, strlen(v)));
        memcpy(s->id, v, strlen(v) + 1);
        return 0;
    case K_SOCKET:
        if (strlen(v) >= sizeof(s->socket))
            return fail(err, errlen, "socket path is longer than %zu bytes",
                        sizeof(s->socket) - 1);
        memcpy(s->socket, v, strlen(v) + 1);
        return 0;
    case K_FILE:
        if (strlen(v) >= sizeof(s->file))
            return fail(err, errlen, "file path is longer than %zu bytes",
                        sizeof(s->file) - 1);
        memcpy(s->file, v, strlen(v) + 1);
        return 0;
    case K_READONLY: s->readonly = true; return 0;
    case K_DIRECT:   s->direct = true; return 0;
    case K_DISCARD:
        if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
            return fail(err, errlen, "discard '%s' is not on or off",
                        show(q, sizeof(q), v, strlen(v)));
        s->discard = strcmp(v, "on") == 0;
        return 0;
    case K_MAC:
        if (!mac_parse(v, s->mac))
            return fail(err, errlen, "mac '%s' is not a MAC address (xx:xx:xx:xx:xx:xx)",
                        show(q, sizeof(q), v, strlen(v)));
        if (s->mac[0] & 1)
            return fail(err, errlen, "mac '%s' is a multicast address", v);
        s->have_mac = true;
        return 0;
    case K_BRIDGE:
    case K_TAP:
        if (!ifname_ok(v))
            return fail(err, errlen, "%s '%s' is not an interface name (1-15 bytes, "
                        "no '/', ':' or spaces)", keys[k].name, show(q, sizeof(q), v, strlen(v)));
        memcpy(k == K_TAP ? s->tap : s->bridge, v, strlen(v) + 1);
        return 0;
    case K_QUEUES:
        max = s->type == HV_DEV_TYPE_NET ? 7 : 8;
        if (!queues_parse(v, max, &s->queues))
            return fail(err, errlen, "queues '%s' is not between 1 and %u",
                        show(q, sizeof(q), v, strlen(v)), max);
        return 0;
    case K_USER:
        if (!user_ok(v))
            return fail(err, errlen, "user '%s' is not a user name",
                        show(q, sizeof(q), v, strlen(v)));
        if (!user_exists(v, &e))
            return e ? fail(err, errlen, "user '%s': cannot look it up: %s", v, strerror(e))
                     : fail(err, errlen, "user '%s' does not exist", v);
        memcpy(s->user, v, strlen(v) + 1);
        return 0;
    case K_NR:
        break;
    }
    return -HVE_INVAL;
}

/* The rules between keys, once every item is in. */
static int check_whole(const struct dev_spec *s, const bool *seen, char *err, size_t errlen)
{
    if (!seen[K_ID])
        return fail(err, errlen, "id= is required");
    if (s->type == HV_DEV_TYPE_BLOCK) {
        if (seen[K_FILE] && seen[K_SOCKET])
            return fail(err, errlen, "file= and socket= exclude each other");
        if (!seen[K_FILE] && !seen[K_SOCKET])
            return fail(err, errlen, "a blk device needs file= or socket=");
    } else if (!seen[K_SOCKET] && !seen[K_MAC]) {
        return fail(err, errlen, "a net device needs socket= or mac=");
    }
    if (seen[K_SOCKET])
        for (unsigned k = 0; k < K_NR; k++)
            if (seen[k] && keys[k].in_tree && k != K_FILE)
                return fail(err, errlen, "%s is for the in-tree back end, not for socket=",
                            keys[k].name);
    return 0;
}

int dev_spec_parse(const char *text, size_t len, struct dev_spec *out, char *err, size_t errlen)
{
    static char item[HV_DEVICE_SPEC_MAX + 1];   /* event-loop thread only */
    bool seen[K_NR] = { false };
    size_t pos = 0, ilen;
    char q[48];

    memset(out, 0, sizeof(*out));
    out->discard = true;
    out->queues = 1;
    if (len == 0)
        return fail(err, errlen, "device spec is empty");
    if (len > HV_DEVICE_SPEC_MAX)
        return fail(err, errlen, "device spec is longer than %d bytes", HV_DEVICE_SPEC_MAX);
    if (memchr(text, '\0', len))
        return fail(err, errlen, "device spec contains a NUL byte");
    /* Paths and names reach one-line messages and events: no newlines,
     * no terminal escapes. */
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f)
            return fail(err, errlen, "device spec contains a control character");

    next_item(text, len, &pos, item, &ilen);
    if (strcmp(item, "blk") == 0)
        out->type = HV_DEV_TYPE_BLOCK;
    else if (strcmp(item, "net") == 0)
        out->type = HV_DEV_TYPE_NET;
    else if (ilen == 0)
        return fail(err, errlen, "device spec has no type (blk or net)");
    else
        return fail(err, errlen, "unknown device type '%s' (blk or net)",
                    show(q, sizeof(q), item, ilen));
    const char *tname = out->type == HV_DEV_TYPE_BLOCK ? "blk" : "net";

    while (next_item(text, len, &pos, item, &ilen)) {
        if (ilen == 0)
            return fail(err, errlen, "empty item in device spec (a ',' inside a value "
                        "is written ',,')");
        char *eq = strchr(item, '=');
        size_t klen = eq ? (size_t)(eq - item) : ilen;
        unsigned k;

        for (k = 0; k < K_NR; k++)
            if (strlen(keys[k].name) == klen && memcmp(keys[k].name, item, klen) == 0)
                break;
        if (k == K_NR)
            return fail(err, errlen, "unknown key '%s'", show(q, sizeof(q), item, klen));
        if (!(keys[k].types & (1u << out->type)))
            return fail(err, errlen, "%s does not apply to a %s device", keys[k].name, tname);
        if (seen[k])
            return fail(err, errlen, "%s is given twice", keys[k].name);
        seen[k] = true;
        if (keys[k].flag && eq)
            return fail(err, errlen, "%s takes no value", keys[k].name);
        if (!keys[k].flag && !eq)
            return fail(err, errlen, "%s needs a value (%s=...)", keys[k].name, keys[k].name);
        if (!keys[k].flag && !eq[1])
            return fail(err, errlen, "%s= has an empty value", keys[k].name);
        int r = set_value(out, (enum key)k, eq ? eq + 1 : "", err, errlen);
        if (r < 0)
            return r;
    }
    return check_whole(out, seen, err, errlen);
}

void dev_spec_describe(const struct dev_spec *s, char *buf, size_t len)
{
    if (s->socket[0]) {
        snprintf(buf, len, "vhost-user %s", s->socket);
    } else if (s->type == HV_DEV_TYPE_BLOCK) {
        snprintf(buf, len, "hvblk %s%s%s", s->file, s->readonly ? " (read-only)" : "",
                 s->direct ? " (direct)" : "");
    } else {
        snprintf(buf, len, "hvnet %02x:%02x:%02x:%02x:%02x:%02x%s%s%s%s", s->mac[0], s->mac[1],
                 s->mac[2], s->mac[3], s->mac[4], s->mac[5], s->tap[0] ? " tap " : "", s->tap,
                 s->bridge[0] ? " bridge " : "", s->bridge);
    }
}
