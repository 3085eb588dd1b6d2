# cli: hvctl, the command-line tool.  Included by the top-level Makefile.am.
#
# Every domain operation goes through libhvctl's public API on the
# connection -c names (cli/backend_lib.c); what hvctl shows of a domain
# is made from the field table, libctl/domain_fields.[ch], compiled in.
# hvctl has no HTTP client of its own: remote connections are libhvctl's
# agent driver (and its libcurl module), so hvctl never maps libcurl for
# a local connection.

bin_PROGRAMS += cli/hvctl

cli_hvctl_SOURCES = \
	cli/cli.h \
	cli/main.c \
	cli/commands.c \
	cli/cmdopts.h \
	cli/util.c \
	cli/output.h \
	cli/output.c \
	cli/progress.h \
	cli/progress.c \
	cli/backend.h \
	cli/backend_lib.h \
	cli/backend_lib.c \
	cli/backend_devices.c \
	cli/cmd_devices.c \
	cli/backend_lib_io.c \
	cli/connect.c \
	cli/dom_list.c \
	cli/hvcore_version.c \
	cli/suggest.c \
	libctl/domain_fields.c \
	libctl/domain_fields.h \
	cli/console.h \
	cli/console.c \
	cli/console_end.h \
	cli/console_end.c \
	cli/cmd_domain.c \
	cli/cmd_list.c \
	cli/cmd_shutdown.c \
	cli/cmd_config.h \
	cli/cmd_config.c \
	cli/cmd_edit.c \
	cli/cmd_stats.c \
	cli/cmd_persist.c \
	cli/cmd_misc.c \
	cli/cmd_save.c \
	cli/cmd_migrate.c \
	cli/backend_xfer.c \
	cli/xfer_show.h \
	cli/xfer_show.c
# Where `hvctl version` looks for hvcore when $HVCORE_PATH is unset: the
# same place libhvctl does (libctl/local.mk).
cli_hvctl_CPPFLAGS = $(AM_CPPFLAGS) \
	-DHVCORE_INSTALL_PATH='"$(bindir)/hvcore"'
cli_hvctl_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
cli_hvctl_LDADD = libctl/libhvctl.la $(JSONC_LIBS)

# Bash completion, installed where bash-completion looks for it (under
# the command's own name, hence the directory).
bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = cli/bash-completion/hvctl

dist_man_MANS += man/hvctl.1
