/*
 * console.h - the pv console: output ring, input ring (public/console.h).
 *
 * Output is batched: bytes go into the ring and one CONSOLEIO_flush
 * (one exit) hands them to hvcore at the end of a line, when the ring
 * fills, or on console_flush().  Safe from any vCPU and from upcalls.
 */
#ifndef PVBOOT_CONSOLE_H
#define PVBOOT_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void console_init(uint64_t page);
void console_write(const char *buf, size_t len);
void console_puts(const char *s);
void console_flush(void);

/* Input: the next byte typed on the console, or -1 if none is pending. */
int console_getc(void);
bool console_input_pending(void);

#endif /* PVBOOT_CONSOLE_H */
