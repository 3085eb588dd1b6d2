/*
 * sh_util.h - a shell command from a format, for the tests that set up
 * namespaces, bridges and taps (test_net, and the back end tests).
 */
#ifndef HV_TEST_SH_UTIL_H
#define HV_TEST_SH_UTIL_H

/* The command (at most 1023 bytes once formatted) run by system(): its
 * status. */
__attribute__((format(printf, 1, 2)))
int sh(const char *fmt, ...);

#endif
