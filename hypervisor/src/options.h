/*
 * options.h - hvcore's command line.
 */
#ifndef HVCORE_OPTIONS_H
#define HVCORE_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

struct domain;

struct options {
    uint32_t domid;          /* 0: allocate                         */
    const char *log_path;    /* --console-log                       */
    int ready_fd;            /* -1: none                            */
    int event_fd;            /* -1: none; a subscriber from the start */
    bool detach;
    bool paused;             /* --paused                            */
    const char *restore_path; /* --restore FILE                     */
    int incoming_fd;         /* --incoming FD, -1: none             */
    bool verify;             /* --verify (with --restore)           */
    uint64_t reserve_mib;    /* --reserve (with --incoming)         */
};

/* options_parse() printed --help or --version: nothing to run. */
#define OPTIONS_DONE 1

/*
 * Parse argv into d and o.  Returns 0 to run, OPTIONS_DONE, or after
 * printing why on stderr -HVE_INVAL (a usage error) or -HVE_RANGE (memory
 * the host cannot give, a kernel path too long).
 */
int options_parse(int argc, char **argv, struct domain *d, struct options *o);

/* Parse "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" into 16 bytes.
 * 0 or -HVE_INVAL. */
int uuid_parse(const char *s, uint8_t out[16]);

#endif /* HVCORE_OPTIONS_H */
