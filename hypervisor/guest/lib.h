/*
 * lib.h - the bits of a C library pvboot uses.  The compiler may also emit
 * calls to memset, memcpy and memmove on its own.
 */
#ifndef PVBOOT_LIB_H
#define PVBOOT_LIB_H

#include <stdbool.h>
#include <stddef.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

/* strtoul with C semantics for base 0, 10 and 16 (no locale, no errno:
 * an overflowing number saturates to ULONG_MAX). */
unsigned long strtoul(const char *s, char **end, int base);

bool is_space(int c);
bool is_digit(int c);
const char *skip_spaces(const char *s);

#endif /* PVBOOT_LIB_H */
