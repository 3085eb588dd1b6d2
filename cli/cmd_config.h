/*
 * cmd_config.h - configuration files as the commands read them.
 */
#ifndef HVCTL_CLI_CMD_CONFIG_H
#define HVCTL_CLI_CMD_CONFIG_H

#include "backend.h"

/*
 * Load and validate a configuration file (XML or JSON) for be.  A
 * relative kernel or initrd path ("guest/vmlinux": with a slash; a bare
 * name is left to hvcore, which looks it up in its guest directory) is
 * made absolute from the current directory when be is this host, and
 * refused when it is another: a definition must not mean another file
 * once hvctld starts it from elsewhere.
 */
int config_load(struct cli *cli, struct backend *be, const char *path,
                hv_config **out);
/* Make cfg's relative kernel and initrd paths absolute (or refuse them),
 * as above. */
int config_fix_paths(struct cli *cli, struct backend *be, hv_config *cfg);

#endif /* HVCTL_CLI_CMD_CONFIG_H */
