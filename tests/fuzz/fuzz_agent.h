/*
 * fuzz_agent.h - the hvctld the REST harnesses talk to: a real agent
 * (agent_start) on a temporary database and runtime directory, listening
 * on a Unix socket and on plain loopback TCP, with no hvcore
 * (HVCORE_PATH names nothing, so a start is a job that fails at once).
 * Two tokens are in its database: "admin" and the read-only "reader",
 * with the secrets below (also in rest.dict and http.dict).
 */
#ifndef HVCTL_FUZZ_AGENT_H
#define HVCTL_FUZZ_AGENT_H

#include "agent.h"

#define FUZZ_ADMIN_SECRET "hvt_fuzzAdminTokenAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define FUZZ_READER_SECRET "hvt_fuzzReaderTokenRRRRRRRRRRRRRRRRRRRRRRRRRRR"

/* The agent, started on the first call. */
struct agent *fuzz_agent(void);
/* Where it listens. */
const char *fuzz_agent_socket(void);
int fuzz_agent_tcp_port(void);

/*
 * Back to the state of a fresh agent, so that an input means the same
 * whatever ran before: no job running, no definition (each removed
 * through the API, which must take it).
 */
void fuzz_agent_reset(void);

#endif /* HVCTL_FUZZ_AGENT_H */
