/*
 * agent_peer.h - a scripted agent for the client-side harnesses
 * (fuzz_agent_http, fuzz_agent_json): a Unix socket in a temporary
 * directory and a thread that reads each HTTP request libhvctl sends and
 * writes back whatever the harness's answer function gives, as hvctld
 * (or something pretending to be it, at the other end of https://)
 * would.
 *
 * Each input gets a fresh peer.  The thread serves every connection at
 * once (poll), since libhvctl keeps one connection for requests and opens
 * others for event streams.  After an answer the connection either stays
 * open for the next request (keep-alive) or is shut for writing, so that
 * an incomplete answer ends in end-of-file instead of a wait.
 *
 * peer_settle() waits until no request is being answered: the harness
 * calls it between client calls, so that whether libhvctl sees a closed
 * connection before its next request never depends on thread timing
 * (libFuzzer needs an input to mean the same thing every time).
 */
#ifndef HVCTL_AGENT_PEER_H
#define HVCTL_AGENT_PEER_H

#include <stdbool.h>
#include <stddef.h>

struct peer;

/*
 * The answer to one request (its head, NUL-terminated, without the body):
 * true and *out[*len] (the answer's bytes, kept by the caller until the
 * peer stops), *keep for keep-alive; false to close the connection
 * without a word.  Called on the peer's thread.
 */
typedef bool (*peer_answer_fn)(void *ctx, const char *head,
                               const char **out, size_t *len, bool *keep);

struct peer *peer_start(peer_answer_fn fn, void *ctx);
/* The socket's path (unix://PATH). */
const char *peer_path(const struct peer *p);
void peer_settle(struct peer *p);
/* Close every connection and the socket, and free p. */
void peer_stop(struct peer *p);

/*
 * An input as the answers it holds: the parts between lines "%%" (the
 * newline before a "%%" line belongs to it).  At most max; their count.
 */
struct section {
    const char *p;
    size_t n;
};
size_t peer_sections(const unsigned char *data, size_t size,
                     struct section *s, size_t max);

/*
 * A message libhvctl gives for bad input must be one clear line: not
 * empty, and no control byte (a newline, or a terminal escape from the
 * agent's text).
 */
void peer_check_message(const char *what, const char *msg);

/*
 * Wait until fd is readable; 30 s without is a finding (what libhvctl
 * should have done by then, in what).  Signals (libFuzzer's timer) do
 * not end the wait.
 */
void peer_wait_readable(int fd, const char *what);

#endif /* HVCTL_AGENT_PEER_H */
