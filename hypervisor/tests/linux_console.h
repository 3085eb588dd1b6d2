/*
 * linux_console.h - an expect-like driver for a program whose console is
 * its standard input and output: QEMU with -nographic (the guest's serial
 * line), hvcore with --console stdio (the guest's hvc0).
 *
 * The program runs in a session of its own on a pseudo-terminal in raw
 * mode (so the host side neither echoes nor edits what is typed) with its
 * stderr on a pipe of its own.  Everything the console prints is kept in a
 * transcript, for failure messages and for reading a command's output,
 * less its NULs and carriage returns (lines end in "\n" alone, whatever
 * the terminal in between made of them).
 * lc_wait_for() searches the transcript from a mark, which each match
 * moves past itself, so the same text printed twice is found twice.
 *
 * Every wait takes its deadline in milliseconds as given: the caller picks
 * deadlines generous enough that only a broken guest reaches them.
 */
#ifndef HV_TEST_LINUX_CONSOLE_H
#define HV_TEST_LINUX_CONSOLE_H

#include <stddef.h>
#include <sys/types.h>

struct lc;

/* Start argv (argv[0] is looked up in PATH) on a new pseudo-terminal.
 * keep_fd, if not -1, is inherited by the program under the same number.
 * NULL, with one line in why, if it could not be started. */
struct lc *lc_start(const char *const *argv, int keep_fd, char *why, size_t why_len);

/* Wait until text appears in the transcript after the mark, then move the
 * mark past it.  0; -ETIMEDOUT if timeout_ms passed first; -EPIPE if the
 * console closed (the program ended) without printing it. */
int lc_wait_for(struct lc *c, const char *text, int timeout_ms);

/* Type text on the console.  0 or -errno. */
int lc_send(struct lc *c, const char *text);

/* Read the console for ms milliseconds (or until it closes). */
void lc_drain(struct lc *c, int ms);

/* Wait up to timeout_ms for the program to end, reading its console
 * meanwhile.  0 with *status its exit status (128 + the signal's number
 * if a signal ended it), or -ETIMEDOUT. */
int lc_wait_exit(struct lc *c, int timeout_ms, int *status);

/* Kill the program's process group if it still runs (SIGKILL), reap it,
 * free c.  NULL is allowed. */
void lc_close(struct lc *c);

/* Everything the console printed so far, NUL-terminated. */
const char *lc_transcript(const struct lc *c);
/* Its length in bytes, and the mark (an offset into it). */
size_t lc_len(const struct lc *c);
size_t lc_mark(const struct lc *c);
/* The last (at most) n bytes of the transcript, for failure messages. */
const char *lc_tail(const struct lc *c, size_t n);

/* What the program wrote on stderr so far, NUL-terminated. */
const char *lc_stderr(const struct lc *c);

/* The program's process id (also its process group's). */
pid_t lc_pid(const struct lc *c);

/* Is the program still running? (Reaps it if it has ended.) */
int lc_running(struct lc *c);

#endif /* HV_TEST_LINUX_CONSOLE_H */
