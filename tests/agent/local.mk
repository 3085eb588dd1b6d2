# tests/agent: hvctld's tests.  Included by the top-level Makefile.am.
#
# unit_*        cmocka units on the agent's code (agent/libhvctld.la):
#               the store, routing, options, tokens, jobs, the domain table.
# test_rest_*   a real hvctld on a private database, runtime directory and
#               Unix socket, with real hvcore + pvboot domains; every answer
#               is checked against schema/openapi.yaml (harness.c).
#               They SKIP (77) without /dev/kvm or a built hvcore/pvboot.
# test_openapi  the spec and the route table hold the same operations, and
#               a live agent serves them all and nothing else.
# test_help.sh  every option of --help is in man/hvctld.8 and back.

AGENT_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JSONC_CFLAGS) \
	$(LIBCURL_CFLAGS) $(YAML_CFLAGS) $(SQLITE3_CFLAGS) $(LIBEVENT_CFLAGS)
AGENT_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/agent -I$(srcdir)/tests/agent
AGENT_UNIT_LDADD = agent/libhvctld.la $(CMOCKA_LIBS)
AGENT_REST_LDADD = agent/libhvctld.la $(CMOCKA_LIBS) $(LIBCURL_LIBS) \
	$(YAML_LIBS)
AGENT_HARNESS = tests/agent/harness.c tests/agent/harness.h \
	tests/agent/http_client.c tests/agent/sse_client.c \
	tests/agent/openapi.c tests/agent/openapi.h

AGENT_TESTS = \
	tests/agent/unit_store \
	tests/agent/unit_rest \
	tests/agent/unit_event_classes \
	tests/agent/test_rest_api \
	tests/agent/test_rest_client_path \
	tests/agent/test_rest_events_host \
	tests/agent/test_rest_malformed \
	tests/agent/test_rest_devices \
	tests/agent/test_rest_auth \
	tests/agent/test_rest_limits \
	tests/agent/test_rest_restart \
	tests/agent/test_rest_kill9 \
	tests/agent/test_rest_migrate \
	tests/agent/test_openapi \
	tests/agent/test_agent_db \
	tests/agent/test_agent_events \
	tests/agent/test_agent_restart
check_PROGRAMS += $(AGENT_TESTS)
TESTS += $(AGENT_TESTS) tests/agent/test_help.sh
EXTRA_DIST += tests/agent/test_help.sh

tests_agent_unit_store_SOURCES = tests/agent/unit_store.c
tests_agent_unit_store_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_agent_unit_store_CPPFLAGS = $(AGENT_TEST_CPPFLAGS)
tests_agent_unit_store_LDADD = $(AGENT_UNIT_LDADD)

tests_agent_unit_rest_SOURCES = tests/agent/unit_rest.c
tests_agent_unit_rest_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_agent_unit_rest_CPPFLAGS = $(AGENT_TEST_CPPFLAGS)
tests_agent_unit_rest_LDADD = $(AGENT_UNIT_LDADD)

tests_agent_unit_event_classes_SOURCES = tests/agent/unit_event_classes.c
tests_agent_unit_event_classes_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_agent_unit_event_classes_CPPFLAGS = $(AGENT_TEST_CPPFLAGS)
tests_agent_unit_event_classes_LDADD = $(AGENT_UNIT_LDADD)

tests_agent_test_rest_api_SOURCES = tests/agent/test_rest_api.c $(AGENT_HARNESS)
tests_agent_test_rest_api_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_agent_test_rest_api_CPPFLAGS = $(AGENT_TEST_CPPFLAGS)
tests_agent_test_rest_api_LDADD = $(AGENT_REST_LDADD)

tests_agent_test_rest_client_path_SOURCES = \
	tests/agent/test_rest_client_path.c $(AGENT_HARNESS)
tests_agent_test_rest_client_path_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_agent_test_rest_client_path_CPPFLAGS = $(AGENT_TEST_CPPFLAGS)
tests_agent_test_rest_client_path_LDADD = $(AGENT_REST_LDADD)

tests_agent_test_rest_events_host_SOURCES = \
	tests/agent/test_rest_events_host.c $(AGENT_HARNESS)
tests_agent_test_rest_events_host_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_agent_test_rest_events_host_CPPFLAGS = $(AGENT_TEST_CPPFLAGS)
tests_agent_test_rest_events_host_LDADD = $(AGENT_REST_LDADD)

tests_agent_test_rest_malformed_SOURCES = tests/agent/test_rest_malformed.c \
	$(AGENT_HARNESS)
tests_agent_test_rest_malformed_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_agent_test_rest_malformed_CPPFLAGS = $(AGENT_TEST_CPPFLAGS)
tests_agent_test_rest_malformed_LDADD = $(AGENT_REST_LDADD)

# test_rest_devices: the device routes on definitions (config=true).
tests_agent_test_rest_devices_SOURCES = tests/agent/test_rest_devices.c \
	$(AGENT_HARNESS)
tests_agent_test_rest_devices_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_agent_test_rest_devices_CPPFLAGS = $(AGENT_TEST_CPPFLAGS)
tests_agent_test_rest_devices_LDADD = $(AGENT_REST_LDADD)

tests_agent_test_rest_auth_SOURCES = tests/agent/test_rest_auth.c \
	$(AGENT_HARNESS)
tests_agent_test_rest_auth_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_agent_test_rest_auth_CPPFLAGS = $(AGENT_TEST_CPPFLAGS)
tests_agent_test_rest_auth_LDADD = $(AGENT_REST_LDADD)

tests_agent_test_rest_limits_SOURCES = tests/agent/test_rest_limits.c \
	$(AGENT_HARNESS)
tests_agent_test_rest_limits_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_agent_test_rest_limits_CPPFLAGS = $(AGENT_TEST_CPPFLAGS)
tests_agent_test_rest_limits_LDADD = $(AGENT_REST_LDADD)

tests_agent_test_rest_restart_SOURCES = tests/agent/test_rest_restart.c \
	$(AGENT_HARNESS)
tests_agent_test_rest_restart_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_agent_test_rest_restart_CPPFLAGS = $(AGENT_TEST_CPPFLAGS)
tests_agent_test_rest_restart_LDADD = $(AGENT_REST_LDADD)

tests_agent_test_rest_kill9_SOURCES = tests/agent/test_rest_kill9.c \
	$(AGENT_HARNESS)
tests_agent_test_rest_kill9_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_agent_test_rest_kill9_CPPFLAGS = $(AGENT_TEST_CPPFLAGS)
tests_agent_test_rest_kill9_LDADD = $(AGENT_REST_LDADD)

tests_agent_test_openapi_SOURCES = tests/agent/test_openapi.c $(AGENT_HARNESS)
tests_agent_test_openapi_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_agent_test_openapi_CPPFLAGS = $(AGENT_TEST_CPPFLAGS)
tests_agent_test_openapi_LDADD = $(AGENT_REST_LDADD)

tests_agent_test_agent_db_SOURCES = tests/agent/test_agent_db.c $(AGENT_HARNESS)
tests_agent_test_agent_db_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_agent_test_agent_db_CPPFLAGS = $(AGENT_TEST_CPPFLAGS)
tests_agent_test_agent_db_LDADD = $(AGENT_REST_LDADD)

tests_agent_test_agent_events_SOURCES = tests/agent/test_agent_events.c \
	$(AGENT_HARNESS)
tests_agent_test_agent_events_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_agent_test_agent_events_CPPFLAGS = $(AGENT_TEST_CPPFLAGS)
tests_agent_test_agent_events_LDADD = $(AGENT_REST_LDADD)

tests_agent_test_agent_restart_SOURCES = tests/agent/test_agent_restart.c \
	$(AGENT_HARNESS)
tests_agent_test_agent_restart_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_agent_test_agent_restart_CPPFLAGS = $(AGENT_TEST_CPPFLAGS)
tests_agent_test_agent_restart_LDADD = $(AGENT_REST_LDADD)

# make bench: tests/bench/agent_bench (GET /v1/domains over loopback HTTP,
# TLS and the Unix socket; pause/resume throughput).  Built with the tests
# so that it cannot rot, run only by `make bench`.
check_PROGRAMS += tests/bench/agent_bench
bench_programs += tests/bench/agent_bench
tests_bench_agent_bench_SOURCES = tests/bench/agent_bench.c
tests_bench_agent_bench_LDADD = libctl/libhvctl.la
bench: bench-agent
bench-agent: all tests/bench/agent_bench
	@$(AM_TESTS_ENVIRONMENT) HVCTLD=$(abs_builddir)/agent/hvctld; \
	export HVCTLD; ./tests/bench/agent_bench
.PHONY: bench-agent

# test_rest_migrate: save, restore and migration between two hvctld in
# two network namespaces (it makes them, and a veth pair; skips without).
tests_agent_test_rest_migrate_SOURCES = tests/agent/test_rest_migrate.c \
	$(AGENT_HARNESS)
tests_agent_test_rest_migrate_CFLAGS = $(AGENT_TEST_CFLAGS)
tests_agent_test_rest_migrate_CPPFLAGS = $(AGENT_TEST_CPPFLAGS)
tests_agent_test_rest_migrate_LDADD = $(AGENT_REST_LDADD)

# make bench-relay: what hvmigrate-relay costs 1 GiB over loopback (no
# relay, relays in plain TCP, relays with TLS); docs/migration.md.
check_PROGRAMS += tests/bench/bench_relay
bench_programs += tests/bench/bench_relay
tests_bench_bench_relay_SOURCES = tests/bench/bench_relay.c
bench: bench-relay
bench-relay: all tests/bench/bench_relay
	@HVMIGRATE_RELAY=$(abs_builddir)/agent/hvmigrate-relay \
	./tests/bench/bench_relay
.PHONY: bench-relay
