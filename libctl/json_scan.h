/*
 * json_scan.h - a second look at JSON text that json-c already accepted:
 * json-c keeps the last of duplicate keys silently and forgets where keys
 * were, so this pass finds duplicates and records each key's line.
 */
#ifndef HVCTL_JSON_SCAN_H
#define HVCTL_JSON_SCAN_H

#include <stddef.h>

struct json_key_line {
    char *path;                 /* "memory.max_mib" */
    int line;
};

struct json_scan {
    struct json_key_line *keys;
    size_t nkeys;
    /* Set when the scan fails: */
    int err_line;
    char err[320];
};

/* 0, or -1 with err/err_line set (duplicate key, too deep, too many keys,
 * a string holding \u0000). */
int json_scan(const char *text, size_t len, struct json_scan *s);
/* Line of `path`, 0 if unknown. */
int json_scan_line(const struct json_scan *s, const char *path);
void json_scan_free(struct json_scan *s);

#endif /* HVCTL_JSON_SCAN_H */
