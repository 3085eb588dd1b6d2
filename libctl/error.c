/*
 * error.c - the per-thread last error.
 *
 * Every failing path records one message here and returns its code, so the
 * caller gets both from any function without an out-parameter.  A thread
 * local buffer keeps threads from seeing each other's failures (libvirt's
 * virGetLastError works the same way).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define ERR_MSG_MAX 512

static _Thread_local char err_msg[ERR_MSG_MAX];
static _Thread_local int err_code;

HV_EXPORT const char *hv_last_error(void)
{
    return err_msg;
}

HV_EXPORT int hv_last_error_code(void)
{
    return err_code;
}

void err_clear(void)
{
    err_code = 0;
    err_msg[0] = '\0';
}

static int err_vset(int code, const char *fmt, va_list ap, int errnum)
    __attribute__((format(printf, 2, 0)));
static int err_vset(int code, const char *fmt, va_list ap, int errnum)
{
    /* Format into a temporary first: an argument may point at err_msg. */
    char tmp[ERR_MSG_MAX];
    size_t k = 0;

    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    if (errnum) {
        size_t n = strlen(tmp);
        snprintf(tmp + n, sizeof(tmp) - n, ": %s", strerror(errnum));
    }
    /*
     * A message is one line of text, whatever it quotes: a name, a key
     * or an agent's own words (over https://, from another host) with a
     * newline or a terminal escape in them.  A control byte is shown as
     * \xNN.
     */
    for (const char *p = tmp; *p && k + 5 < sizeof(err_msg); p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f) {
            k += (size_t)snprintf(err_msg + k, sizeof(err_msg) - k,
                                  "\\x%02x", c);
        } else {
            err_msg[k++] = (char)c;
        }
    }
    err_msg[k] = '\0';
    err_code = code;
    return code;
}

int err_set(int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    err_vset(code, fmt, ap, 0);
    va_end(ap);
    return code;
}

int err_sys(int code, int errnum, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    err_vset(code, fmt, ap, errnum);
    va_end(ap);
    return code;
}

int err_from_errno(int errnum)
{
    switch (errnum) {
    case ENOMEM:
        return HV_ENOMEM;
    case ENOENT:
    case ESRCH:
        return HV_ENOENT;
    case EEXIST:
        return HV_EEXIST;
    case EACCES:
    case EPERM:
        return HV_EPERM;
    case ETIMEDOUT:
        return HV_ETIMEDOUT;
    case EINVAL:
        return HV_EINVAL;
    default:
        return HV_EIO;
    }
}

HV_EXPORT const char *hv_strerror(int code)
{
    switch (code) {
    case HV_OK:        return "success";
    case HV_EINVAL:    return "invalid argument";
    case HV_ENOMEM:    return "out of memory";
    case HV_ENOENT:    return "no such domain";
    case HV_EEXIST:    return "already exists";
    case HV_ESTATE:    return "domain is in the wrong state";
    case HV_ECONFIG:   return "invalid configuration";
    case HV_EIO:       return "system error";
    case HV_EPERM:     return "permission denied";
    case HV_ETIMEDOUT: return "timed out";
    case HV_EPROTO:    return "protocol error";
    case HV_ENOTSUP:   return "not supported";
    case HV_ESPAWN:    return "hvcore failed to start";
    case HV_ECANCELED: return "cancelled";
    case HV_EAGAIN:    return "try again";
    case HV_ESTREAM:   return "stream refused";
    case HV_EDEAD:     return "domain's hvcore died";
    default:           return "unknown error";
    }
}

HV_EXPORT unsigned hv_version(void)
{
    return HV_API_VERSION;
}
