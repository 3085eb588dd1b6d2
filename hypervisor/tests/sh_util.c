/*
 * sh_util.c - a shell command from a format.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sh_util.h"

int sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}
