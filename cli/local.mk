# cli: hvctl, the command-line tool.  Included by the top-level Makefile.am.
#
# Local operations go through libhvctl's public header alone; remote ones
# (and what needs persistence) through hvctld's REST API with libcurl.

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
	cli/backend_local.c \
	cli/backend_remote.c \
	cli/http.h \
	cli/http.c \
	cli/http_scheme.h \
	cli/http_scheme.c \
	cli/rest.h \
	cli/rest.c \
	cli/curl_lazy.h \
	cli/curl_lazy.c \
	cli/console.h \
	cli/console.c \
	cli/console_end.h \
	cli/console_end.c \
	cli/cmd_domain.c \
	cli/cmd_persist.c \
	cli/cmd_misc.c
# Where `hvctl version` looks for hvcore when $HVCORE_PATH is unset: the
# same place libhvctl does (libctl/local.mk).
cli_hvctl_CPPFLAGS = $(AM_CPPFLAGS) \
	-DHVCORE_INSTALL_PATH='"$(bindir)/hvcore"'
cli_hvctl_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBCURL_CFLAGS)
# Not $(LIBCURL_LIBS): libcurl is opened with dlopen (cli/curl_lazy.h).
cli_hvctl_LDADD = libctl/libhvctl.la $(JSONC_LIBS) -ldl

# Bash completion, installed where bash-completion looks for it (under
# the command's own name, hence the directory).
bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = cli/bash-completion/hvctl

dist_man_MANS += man/hvctl.1
