# tests/fuzz: libFuzzer harnesses (docs/fuzzing.md).  Included by the
# top-level Makefile.am; hvcore's domctl harness is hypervisor's own.
#
# fuzz_config_xml   libctl/config_xml.c, through hv_config_from_xml()
# fuzz_config_json  libctl/config_json.c, through hv_config_from_json()
# fuzz_rest         hvctld's requests: routing, headers, bodies, handlers
#                   (tests/fuzz/rest_local.c feeds them in without a
#                   socket; it reads libevent's private http_struct.h,
#                   so it stays out of the daemon)
# fuzz_http         what hvctld reads off a connection: agent/front*.c,
#                   evhttp, then the same handlers (Unix socket and TCP)
# fuzz_agent_http   libhvctl's side: its HTTP client over the agent's Unix
#                   socket (libctl/agent_unix.c) against a scripted agent
#                   (tests/fuzz/agent_peer.c)
# fuzz_agent_json   libhvctl's agent driver reading the agent's JSON and
#                   events (drv_agent.c, agent_domain.c, domain_fields.c,
#                   agent_events.c), through the public API
#
# `make check` runs each on a fixed number of inputs from seed 1 (a few
# seconds; the same run on every machine) from its seed corpus (tests/fuzz/corpus/),
# `make fuzz` for FUZZ_TIME (60) s.  The runner is hypervisor's
# run-fuzzer.sh: it takes the harnesses configure --enable-fuzzing built,
# or else builds them with clang (SKIP without clang and libFuzzer).

FUZZ_TARGETS = config_xml config_json rest http agent_http agent_json
FUZZ_TIME = 60

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_config_xml tests/fuzz/fuzz_config_json \
	tests/fuzz/fuzz_rest tests/fuzz/fuzz_http tests/fuzz/fuzz_agent_http \
	tests/fuzz/fuzz_agent_json
FUZZ_LINK_FLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer -no-install
tests_fuzz_fuzz_config_xml_LDADD = libctl/libhvctl_core.la
tests_fuzz_fuzz_config_xml_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_config_json_LDADD = libctl/libhvctl_core.la
tests_fuzz_fuzz_config_json_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_rest_CFLAGS = $(AGENT_CFLAGS)
tests_fuzz_fuzz_rest_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/agent
tests_fuzz_fuzz_rest_LDADD = agent/libhvctld.la
tests_fuzz_fuzz_rest_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_http_CFLAGS = $(AGENT_CFLAGS)
tests_fuzz_fuzz_http_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/agent
tests_fuzz_fuzz_http_LDADD = agent/libhvctld.la
tests_fuzz_fuzz_http_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_agent_http_LDADD = libctl/libhvctl_core.la
tests_fuzz_fuzz_agent_http_LDFLAGS = $(FUZZ_LINK_FLAGS)
tests_fuzz_fuzz_agent_json_LDADD = libctl/libhvctl_core.la
tests_fuzz_fuzz_agent_json_LDFLAGS = $(FUZZ_LINK_FLAGS)
FUZZ_BIN = $(abs_builddir)/tests/fuzz
else
FUZZ_BIN =
endif
tests_fuzz_fuzz_config_xml_SOURCES = tests/fuzz/fuzz_config_xml.c \
	tests/fuzz/fuzz_check.h
tests_fuzz_fuzz_config_json_SOURCES = tests/fuzz/fuzz_config_json.c \
	tests/fuzz/fuzz_check.h
tests_fuzz_fuzz_rest_SOURCES = tests/fuzz/fuzz_rest.c tests/fuzz/fuzz_check.h \
	tests/fuzz/fuzz_agent.c tests/fuzz/fuzz_agent.h \
	tests/fuzz/rest_local.c tests/fuzz/rest_local.h
tests_fuzz_fuzz_http_SOURCES = tests/fuzz/fuzz_http.c tests/fuzz/fuzz_check.h \
	tests/fuzz/fuzz_agent.c tests/fuzz/fuzz_agent.h \
	tests/fuzz/rest_local.c tests/fuzz/rest_local.h
tests_fuzz_fuzz_agent_http_SOURCES = tests/fuzz/fuzz_agent_http.c \
	tests/fuzz/fuzz_check.h tests/fuzz/agent_peer.c tests/fuzz/agent_peer.h
tests_fuzz_fuzz_agent_json_SOURCES = tests/fuzz/fuzz_agent_json.c \
	tests/fuzz/fuzz_check.h tests/fuzz/agent_peer.c tests/fuzz/agent_peer.h

# What run-fuzzer.sh needs to build a harness itself: the very source
# lists the library and the agent are built from.  The agent links the
# built libhvctl.so, as hvctld does: its internals would clash with the
# agent's (util.c) in one static link.
FUZZ_LIBCTL_FILES = $(libctl_libhvctl_core_la_SOURCES) \
	$(nodist_libctl_libhvctl_core_la_SOURCES)
FUZZ_ENV = \
	FUZZ_SRCDIR='$(abs_srcdir)' FUZZ_BUILDDIR='$(abs_builddir)' \
	FUZZ_SCRATCH='$(abs_builddir)/tests/fuzz/scratch' \
	FUZZ_CORPUS='$(abs_srcdir)/tests/fuzz/corpus' FUZZ_BIN='$(FUZZ_BIN)' \
	FUZZ_CPPFLAGS='-D_GNU_SOURCE -DPACKAGE_VERSION="$(PACKAGE_VERSION)" \
	  -DHVCORE_INSTALL_PATH="$(HVCORE_INSTALL_PATH)" -I$(abs_srcdir)/libctl -I$(abs_srcdir)/hypervisor/include \
	  -I$(abs_srcdir)/agent -I$(abs_srcdir)/tests/fuzz $(LIBXML2_CFLAGS) \
	  $(JSONC_CFLAGS) $(SQLITE3_CFLAGS) $(LIBEVENT_CFLAGS) $(OPENSSL_CFLAGS)' \
	FUZZ_LIBS='$(LIBXML2_LIBS) $(JSONC_LIBS) $(SQLITE3_LIBS) \
	  $(LIBEVENT_LIBS) $(OPENSSL_LIBS)' \
	FUZZ_SOURCES_config_xml='$(tests_fuzz_fuzz_config_xml_SOURCES) \
	  $(FUZZ_LIBCTL_FILES)' \
	FUZZ_SOURCES_config_json='$(tests_fuzz_fuzz_config_json_SOURCES) \
	  $(FUZZ_LIBCTL_FILES)' \
	FUZZ_SOURCES_rest='$(tests_fuzz_fuzz_rest_SOURCES) \
	  $(agent_libhvctld_la_SOURCES)' \
	FUZZ_LDADD_rest='-L$(abs_builddir)/libctl/.libs -lhvctl \
	  -Wl,-rpath,$(abs_builddir)/libctl/.libs' \
	FUZZ_LINKED_rest='$(abs_builddir)/libctl/.libs/libhvctl.so' \
	FUZZ_SOURCES_http='$(tests_fuzz_fuzz_http_SOURCES) \
	  $(agent_libhvctld_la_SOURCES)' \
	FUZZ_LDADD_http='-L$(abs_builddir)/libctl/.libs -lhvctl \
	  -Wl,-rpath,$(abs_builddir)/libctl/.libs' \
	FUZZ_LINKED_http='$(abs_builddir)/libctl/.libs/libhvctl.so' \
	FUZZ_SOURCES_agent_http='$(tests_fuzz_fuzz_agent_http_SOURCES) \
	  $(FUZZ_LIBCTL_FILES)' \
	FUZZ_SOURCES_agent_json='$(tests_fuzz_fuzz_agent_json_SOURCES) \
	  $(FUZZ_LIBCTL_FILES)'
FUZZ_RUN = env $(FUZZ_ENV) $(SHELL) $(srcdir)/hypervisor/tests/fuzz/run-fuzzer.sh

TEST_EXTENSIONS = .test .fuzz
FUZZ_LOG_COMPILER = $(FUZZ_RUN)
TESTS += tests/fuzz/config_xml.fuzz tests/fuzz/config_json.fuzz \
	tests/fuzz/rest.fuzz tests/fuzz/http.fuzz tests/fuzz/agent_http.fuzz \
	tests/fuzz/agent_json.fuzz
EXTRA_DIST += tests/fuzz
clean-local:
	rm -rf tests/fuzz/scratch

# make fuzz: every harness for FUZZ_TIME seconds, hvcore's first.
fuzz: all
	$(MAKE) -C hypervisor fuzz FUZZ_TIME=$(FUZZ_TIME)
	@for t in $(FUZZ_TARGETS); do \
	  FUZZ_TIME=$(FUZZ_TIME) $(FUZZ_RUN) $(srcdir)/tests/fuzz/$$t.fuzz || \
	    exit 1; \
	done
.PHONY: fuzz
