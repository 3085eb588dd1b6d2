# agent: hvctld, the agent (SQLite persistence and the REST API).
# Included by the top-level Makefile.am.
#
# Everything but main() is a convenience library, so that the unit tests
# in tests/agent/ link the very code the daemon runs.  The agent uses only
# libctl/hvctl.h and links libhvctl.la; it never speaks domctl.

noinst_LTLIBRARIES += agent/libhvctld.la
sbin_PROGRAMS += agent/hvctld

AGENT_CFLAGS = $(AM_CFLAGS) $(SQLITE3_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(OPENSSL_CFLAGS) $(JSONC_CFLAGS)
AGENT_LIBS = libctl/libhvctl.la $(SQLITE3_LIBS) $(LIBEVENT_LIBS) \
	$(OPENSSL_LIBS) $(JSONC_LIBS)

agent_libhvctld_la_SOURCES = \
	agent/agent.c agent/agent.h \
	agent/auth.c agent/auth.h \
	agent/domtable.c agent/domtable.h \
	agent/errmap.c agent/errmap.h \
	agent/evlog.c agent/evlog.h \
	agent/front.c agent/front.h agent/front_int.h agent/front_parse.c \
	agent/host_shutdown.c agent/host_shutdown.h \
	agent/httpd.c agent/httpd.h \
	agent/jobs.c agent/jobs.h \
	agent/log.c agent/log.h \
	agent/metrics.c agent/metrics.h \
	agent/migrate.h agent/migrate_in.c agent/migrate_out.c \
	agent/migrate_relay.c agent/relay.h \
	agent/monitor.c agent/monitor.h agent/monitor_int.h \
	agent/monitor_list.c \
	agent/ops.c agent/ops.h \
	agent/options.c agent/options.h \
	agent/reconcile.c agent/reconcile.h \
	agent/rest.c agent/rest.h agent/rest_body.c agent/rest_media.c \
	agent/rest_reply.c \
	agent/rest_actions.c agent/rest_config.c agent/rest_define.c \
	agent/rest_devices.c \
	agent/rest_domains.c \
	agent/rest_list.c \
	agent/rest_xfer.c \
	agent/rest_misc.c \
	agent/rest_handlers.h \
	agent/route.c agent/route.h \
	agent/sdnotify.c agent/sdnotify.h \
	agent/shutdown.c agent/shutdown.h \
	agent/restart.c agent/restart.h \
	agent/sse.c agent/sse.h \
	agent/store.c agent/store.h agent/store_int.h \
	agent/store_domains.c agent/store_events.c agent/store_schema.c \
	agent/store_tokens.c \
	agent/tls.c agent/tls.h \
	agent/token_cmd.c agent/token_cmd.h \
	agent/util.c agent/util.h \
	agent/worker.c agent/worker.h \
	libctl/domain_fields.c libctl/domain_fields.h
agent_libhvctld_la_CFLAGS = $(AGENT_CFLAGS)
# Where hvctld finds the relay when $HVMIGRATE_RELAY is unset.
agent_libhvctld_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DRELAY_INSTALL_PATH='"$(pkglibexecdir)/hvmigrate-relay"'
agent_libhvctld_la_LIBADD = $(AGENT_LIBS)

agent_hvctld_SOURCES = agent/main.c
agent_hvctld_CFLAGS = $(AGENT_CFLAGS)
agent_hvctld_LDADD = agent/libhvctld.la

# The systemd unit, with the installed path of hvctld filled in.
systemdunitdir = $(prefix)/lib/systemd/system
systemdunit_DATA = agent/hvctld.service
agent/hvctld.service: $(srcdir)/agent/hvctld.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) agent && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' \
	    -e 's|@localstatedir[@]|$(localstatedir)|g' \
	    $(srcdir)/agent/hvctld.service.in > $@-t && mv $@-t $@
CLEANFILES += agent/hvctld.service
EXTRA_DIST += agent/hvctld.service.in

# hvmigrate-relay: the TLS leg of a migration between agents (relay.c).
pkglibexec_PROGRAMS = agent/hvmigrate-relay
agent_hvmigrate_relay_SOURCES = agent/relay.c agent/relay.h \
	agent/relay_pump.c
agent_hvmigrate_relay_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
agent_hvmigrate_relay_LDADD = $(OPENSSL_LIBS)

dist_man_MANS += man/hvctld.8 man/hvmigrate-relay.8
