/*
 * front_int.h - what front.c (connections) and front_parse.c (reading
 * requests) share: one connection's state.
 */
#ifndef HVCTLD_FRONT_INT_H
#define HVCTLD_FRONT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "front.h"

struct evbuffer;

enum front_state { S_HEAD, S_BODY, S_CHUNK_SIZE, S_CHUNK_DATA, S_TRAILER,
                   S_REJECTED };

struct conn {
    LIST_ENTRY(conn) link;
    struct agent *a;
    enum transport tr;
    struct bufferevent *under, *bev;
    enum front_state st;
    struct evbuffer *held;      /* the request being read */
    size_t pos;                 /* bytes of held already parsed */
    size_t scan;                /* held before this has no newline past pos */
    size_t tstart;              /* where the chunked trailer starts */
    size_t head_bytes;          /* of the head (and trailer) */
    uint64_t left;              /* body or chunk bytes still to come */
    uint64_t body;              /* body bytes so far (chunked) */
    unsigned long forwarded;    /* requests given to evhttp */
    unsigned long dispatched;   /* of them, taken by rest_dispatch */
    unsigned long reject_seq;   /* the stand-in's number, 0: none */
    bool head;                  /* the request being read is a HEAD */
    struct front_reject rej;
};

/*
 * Refuse: keep the verdict, drop what is held, and put the stand-in
 * request in dst for evhttp.  Nothing more is read from the connection.
 */
void front_reject(struct conn *c, struct evbuffer *dst, int status,
                  const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* One more header for the refusal's answer (Allow, WWW-Authenticate). */
void front_reject_header(struct conn *c, const char *name, const char *value);

/*
 * Parse what c->held has; move each whole request to dst.  Returns when
 * more bytes are needed or the connection was refused.
 */
void front_parse(struct conn *c, struct evbuffer *dst);

#endif /* HVCTLD_FRONT_INT_H */
