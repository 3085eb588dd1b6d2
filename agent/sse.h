/*
 * sse.h - GET /v1/events: lifecycle events as Server-Sent Events.
 *
 * Each event is
 *     id: <event log id>
 *     event: domain
 *     data: {"id":..,"time":"..","type":"paused","domain":"web",...}
 * A client that reconnects with Last-Event-ID (or ?since=ID) first gets
 * what it missed from the event log.  A comment line every
 * SSE_KEEPALIVE_S keeps proxies from closing an idle stream.
 */
#ifndef HVCTLD_SSE_H
#define HVCTLD_SSE_H

#define SSE_KEEPALIVE_S 15
#define SSE_MAX_CLIENTS 256
#define SSE_MAX_BUFFERED (4 * 1024 * 1024)  /* then the client is dropped */
#define SSE_REPLAY_MAX 10000
/* How often the progress of jobs is looked at for ?jobs=true streams. */
#define SSE_JOBS_MS 200

struct agent;

int sse_init(struct agent *a);
/* End every stream (at shutdown). */
void sse_shutdown(void);

#endif /* HVCTLD_SSE_H */
