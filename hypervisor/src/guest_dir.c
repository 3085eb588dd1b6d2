/*
 * guest_dir.c - see guest_dir.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_dir.h"

const char *guest_dir_resolve(const char *name, char *buf, size_t len)
{
    const char *dir = getenv("HVCORE_GUEST_DIR");
    int n;

    if (strchr(name, '/'))
        return name;
    if (!dir || !*dir)
        dir = HVCORE_GUEST_DIR;
    n = snprintf(buf, len, "%s/%s", dir, name);
    return n >= 0 && (size_t)n < len ? buf : NULL;
}
