/*
 * stream_reply.h - the handshake messages of a live stream (READY,
 * REFUSED, GO, RUNNING: public/stream.h), sent and read whole on the
 * stream's connection by both sides (xfer.c, incoming.c).
 */
#ifndef HVCORE_STREAM_REPLY_H
#define HVCORE_STREAM_REPLY_H

#include <stdint.h>

#include "public/stream.h"

/* Send one message of type (message: REFUSED's reason, or NULL), waiting
 * at most timeout_ms for room.  0, -HVE_TIMEDOUT, -EPIPE or -errno. */
int stream_reply_send(int fd, uint32_t type, const char *message, int timeout_ms);

/* Read one message into *rep, waiting at most timeout_ms for each part.
 * stop_fd (-1: none) readable ends the wait with -HVE_CANCELED.  0,
 * -HVE_TIMEDOUT, -HVE_CANCELED, -EPIPE (closed), -HVE_PROTO (not a
 * handshake message) or -errno.  The message is NUL-terminated. */
int stream_reply_recv(int fd, int stop_fd, int timeout_ms, struct hv_stream_reply *rep);

#endif /* HVCORE_STREAM_REPLY_H */
