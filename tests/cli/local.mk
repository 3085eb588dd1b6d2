# cli (hvctl) tests and benchmarks: owned by the CLI work (issue 5).
#
# test_cli_usage:   help, versions, every usage error (no domain needed)
# test_cli_local:   every command on this host, real hvcore + pvboot
# test_cli_features: units, aliases, list filters, domstats, top, crash
#                   reason, shutdown --all, relative kernels (direct)
# test_cli_persist: define replaces, dumpxml --inactive, edit, persistence
#                   filters, shutdown --all and events across an agent
#                   restart, through a real hvctld
# test_cli_same:    the same commands through every connection give the
#                   same bytes (agent three ways; direct against agent)
# test_cli_console: `hvctl console` driven through a pseudo-terminal
# test_cli_remote:  every command through a real hvctld, over its Unix
#                   socket and over TLS TCP with a CA the test makes
# test_cli_remote_fail: bad files, credentials, schemes, no agent
# test_cli_docs.sh: man page and bash completion cover every command
CLI_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JSONC_CFLAGS)
CLI_TEST_LDADD = libctl/libhvctl.la $(CMOCKA_LIBS) $(JSONC_LIBS) -lutil
CLI_HARNESS = tests/cli/cli_harness.c tests/cli/cli_harness.h

check_PROGRAMS += tests/cli/test_cli_usage tests/cli/test_cli_local \
	tests/cli/test_cli_features tests/cli/test_cli_console \
	tests/cli/test_cli_remote tests/cli/test_cli_persist \
	tests/cli/test_cli_same tests/cli/test_cli_remote_fail
TESTS += tests/cli/test_cli_usage tests/cli/test_cli_local \
	tests/cli/test_cli_features tests/cli/test_cli_console \
	tests/cli/test_cli_remote tests/cli/test_cli_persist \
	tests/cli/test_cli_same tests/cli/test_cli_remote_fail \
	tests/cli/test_cli_docs.sh
EXTRA_DIST += tests/cli/test_cli_docs.sh

tests_cli_test_cli_usage_SOURCES = tests/cli/test_cli_usage.c $(CLI_HARNESS)
tests_cli_test_cli_usage_CFLAGS = $(CLI_TEST_CFLAGS)
tests_cli_test_cli_usage_LDADD = $(CLI_TEST_LDADD)
tests_cli_test_cli_local_SOURCES = tests/cli/test_cli_local.c $(CLI_HARNESS)
tests_cli_test_cli_local_CFLAGS = $(CLI_TEST_CFLAGS)
tests_cli_test_cli_local_LDADD = $(CLI_TEST_LDADD)
tests_cli_test_cli_features_SOURCES = tests/cli/test_cli_features.c \
	$(CLI_HARNESS)
tests_cli_test_cli_features_CFLAGS = $(CLI_TEST_CFLAGS)
tests_cli_test_cli_features_LDADD = $(CLI_TEST_LDADD)
tests_cli_test_cli_console_SOURCES = tests/cli/test_cli_console.c \
	$(CLI_HARNESS)
tests_cli_test_cli_console_CFLAGS = $(CLI_TEST_CFLAGS)
tests_cli_test_cli_console_LDADD = $(CLI_TEST_LDADD)
tests_cli_test_cli_remote_SOURCES = tests/cli/test_cli_remote.c \
	tests/cli/agent_harness.c tests/cli/agent_harness.h $(CLI_HARNESS)
tests_cli_test_cli_remote_CFLAGS = $(CLI_TEST_CFLAGS)
tests_cli_test_cli_remote_LDADD = $(CLI_TEST_LDADD)
tests_cli_test_cli_remote_fail_SOURCES = tests/cli/test_cli_remote_fail.c \
	tests/cli/agent_harness.c tests/cli/agent_harness.h $(CLI_HARNESS)
tests_cli_test_cli_remote_fail_CFLAGS = $(CLI_TEST_CFLAGS)
tests_cli_test_cli_remote_fail_LDADD = $(CLI_TEST_LDADD)
tests_cli_test_cli_persist_SOURCES = tests/cli/test_cli_persist.c \
	tests/cli/agent_harness.c tests/cli/agent_harness.h $(CLI_HARNESS)
tests_cli_test_cli_persist_CFLAGS = $(CLI_TEST_CFLAGS)
tests_cli_test_cli_persist_LDADD = $(CLI_TEST_LDADD)
tests_cli_test_cli_same_SOURCES = tests/cli/test_cli_same.c \
	tests/cli/agent_harness.c tests/cli/agent_harness.h $(CLI_HARNESS)
tests_cli_test_cli_same_CFLAGS = $(CLI_TEST_CFLAGS)
tests_cli_test_cli_same_LDADD = $(CLI_TEST_LDADD)

# make bench: `hvctl create` until the domain runs, `hvctl pause`, and
# `hvctl list` of 0 and 100 domains, each without an agent and through a
# real hvctld (tests/bench/cli_bench.c).  Built with the tests (so it
# cannot rot), run only by `make bench`.
check_PROGRAMS += tests/bench/cli_bench
bench_programs += tests/bench/cli_bench
tests_bench_cli_bench_SOURCES = tests/bench/cli_bench.c tests/bench/bench_dir.h
tests_bench_cli_bench_LDADD = libctl/libhvctl.la
bench: bench-cli
bench-cli: tests/bench/cli_bench cli/hvctl$(EXEEXT) agent/hvctld$(EXEEXT)
	@$(AM_TESTS_ENVIRONMENT) ./tests/bench/cli_bench
.PHONY: bench-cli

# test_cli_migrate: save, restore and migrate (issue 10) between two runtime
# directories of this host, memcheck guests checked through libhvctl.
check_PROGRAMS += tests/cli/test_cli_migrate
TESTS += tests/cli/test_cli_migrate
tests_cli_test_cli_migrate_SOURCES = tests/cli/test_cli_migrate.c \
	$(CLI_HARNESS) tests/libctl/xfer_harness.c tests/libctl/xfer_harness.h \
	tests/libctl/api_harness.c tests/libctl/api_harness.h \
	tests/libctl/api_assert.h
tests_cli_test_cli_migrate_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/tests/libctl
tests_cli_test_cli_migrate_CFLAGS = $(CLI_TEST_CFLAGS)
tests_cli_test_cli_migrate_LDADD = $(CLI_TEST_LDADD)

# test_cli_linux: issue 12 end to end - Debian's kernel and the busybox
# initramfs of hvcore's Linux-guest kit (hypervisor/tests/liblinuxkit.a:
# linux_fetch.sh into $HVCTL_KERNEL_CACHE, skip where it cannot fetch) in
# an <os><type>linux</type> domain through hvctl, directly and via hvctld.
check_PROGRAMS += tests/cli/test_cli_linux
TESTS += tests/cli/test_cli_linux
LINUX_KIT = hypervisor/tests/liblinuxkit.a
tests_cli_test_cli_linux_SOURCES = tests/cli/test_cli_linux.c \
	tests/cli/agent_harness.c tests/cli/agent_harness.h $(CLI_HARNESS)
tests_cli_test_cli_linux_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(srcdir)/hypervisor/tests
tests_cli_test_cli_linux_CFLAGS = $(CLI_TEST_CFLAGS)
tests_cli_test_cli_linux_LDADD = $(LINUX_KIT) $(CLI_TEST_LDADD)
# The kit is built with hvcore (SUBDIRS = hypervisor .); this rule only
# builds it when a check of this directory alone comes first.
$(LINUX_KIT):
	$(MAKE) $(AM_MAKEFLAGS) -C hypervisor tests/liblinuxkit.a
