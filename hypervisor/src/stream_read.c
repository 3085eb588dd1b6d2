/*
 * stream_read.c - placeholder until the reader lands (helper C owns it).
 */
#include <stdio.h>
#include <string.h>

#include "public/errno.h"
#include "stream_read.h"

int stream_read(int fd, const struct stream_read_opts *opts, const struct stream_sink *sink,
                struct stream_state *state, char *err, size_t errlen)
{
    (void)fd; (void)opts; (void)sink;
    memset(state, 0, sizeof(*state));
    snprintf(err, errlen, "stream reading is not implemented yet");
    return -HVE_NOSYS;
}

void stream_state_free(struct stream_state *state)
{
    (void)state;
}

bool stream_regs_ok(const struct hv_stream_regs *r, char *why, size_t whylen)
{
    (void)r;
    snprintf(why, whylen, "not implemented");
    return false;
}
