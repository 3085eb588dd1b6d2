/*
 * fuzz_check.h - what the harnesses share: an invariant that does not
 * hold is a finding, reported as a crash so that libFuzzer keeps the
 * input that broke it.
 */
#ifndef HVCTL_FUZZ_CHECK_H
#define HVCTL_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond, ...)                                           \
    do {                                                                \
        if (!(cond)) {                                                  \
            fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__,  \
                    __LINE__, #cond);                                   \
            fprintf(stderr, __VA_ARGS__);                               \
            fputc('\n', stderr);                                        \
            abort();                                                    \
        }                                                               \
    } while (0)

#endif /* HVCTL_FUZZ_CHECK_H */
