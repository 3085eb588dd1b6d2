/*
 * printf.h - formatted output.  Conversions: %d %i %u %x %X %c %s %p %%
 * with the length modifiers l, ll and z, the flags '-' and '0' and a field
 * width.  No floating point (pvboot is built general-registers-only).
 */
#ifndef PVBOOT_PRINTF_H
#define PVBOOT_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

/* To the console.  A call's output goes to the ring in one piece (up to
 * 256 bytes), so lines printed by different vCPUs do not interleave. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);

/* Into buf, NUL-terminated; returns the length the output would have had. */
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* PVBOOT_PRINTF_H */
