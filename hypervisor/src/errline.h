/*
 * errline.h - the one-line error messages hvcore's set-up code returns.
 */
#ifndef HVCORE_ERRLINE_H
#define HVCORE_ERRLINE_H

#include <stddef.h>

/* Format one line into err[errlen] (truncated to fit) and return code (a
 * negative -HVE_* or -errno), so that a caller can write
 * `return errline(-HVE_INVAL, err, errlen, "...", ...);`. */
int errline(int code, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif /* HVCORE_ERRLINE_H */
