/*
 * backend_lib.h - what the two files of the libhvctl back end share
 * (backend_lib.c: domains; backend_lib_io.c: events and the console).
 */
#ifndef HVCTL_CLI_BACKEND_LIB_H
#define HVCTL_CLI_BACKEND_LIB_H

#include "backend.h"
#include "console_end.h"

struct backend {
    hv_conn *conn;
    struct console_end *con_end;    /* the domain whose console is open */
};

/* Report libhvctl's last error, which names the domain and the cause. */
int lib_fail(struct cli *cli);
/*
 * A handle for ref: a domid (all digits), a uuid, or a name (which may
 * look like either).  EXIT_FAIL after reporting.
 */
int lib_resolve(struct backend *be, struct cli *cli, const char *ref,
                hv_domain **out);


#endif /* HVCTL_CLI_BACKEND_LIB_H */
