/*
 * fuzz_check.h - the invariant check hvcore's fuzz harnesses share: one
 * that does not hold is a finding, reported as a crash so that libFuzzer
 * keeps the input that broke it.
 */
#ifndef HVCORE_FUZZ_CHECK_H
#define HVCORE_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, ...)                                                \
    do {                                                                \
        if (!(cond)) {                                                  \
            fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__,  \
                    __LINE__, #cond);                                   \
            fprintf(stderr, __VA_ARGS__);                               \
            fputc('\n', stderr);                                        \
            abort();                                                    \
        }                                                               \
    } while (0)

#endif /* HVCORE_FUZZ_CHECK_H */
