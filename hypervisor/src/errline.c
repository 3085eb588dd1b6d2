/*
 * errline.c - the one-line error messages hvcore's set-up code returns
 * (errline.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "errline.h"

int errline(int code, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}
