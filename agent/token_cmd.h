/*
 * token_cmd.h - `hvctld token create|list|revoke`: managing the API
 * tokens of TCP clients, directly in the database (the running daemon
 * sees the change at its next request).
 */
#ifndef HVCTLD_TOKEN_CMD_H
#define HVCTLD_TOKEN_CMD_H

/* argv[0] is "token"; returns the exit status. */
int token_main(int argc, char **argv);

#endif /* HVCTLD_TOKEN_CMD_H */
