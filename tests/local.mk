# tests: see the top-level Makefile.am

# ---- libctl (issue 3): libhvctl tests, examples/embed, benchmarks ----------
# test_config: cmocka, the config fixtures under tests/data/config/.
# test_api:    cmocka, every API call against real hvcore + pvboot domains
#              (skips without /dev/kvm or a built hvcore/pvboot).
# test_abi.sh: exported symbols (nm -D), SONAME, header, hvctl.pc.
# run-embed.sh: builds nothing, runs examples/embed on a pvboot domain.
LIBCTL_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
LIBCTL_TEST_LDADD = libctl/libhvctl.la $(CMOCKA_LIBS)

check_PROGRAMS += tests/libctl/test_config tests/libctl/test_api examples/embed
TESTS += tests/libctl/test_config tests/libctl/test_abi.sh \
	tests/libctl/test_api tests/libctl/run-embed.sh
EXTRA_DIST += tests/libctl/test_abi.sh tests/libctl/run-embed.sh \
	tests/data/config tests/data/abi

tests_libctl_test_config_SOURCES = tests/libctl/test_config.c
tests_libctl_test_config_CFLAGS = $(LIBCTL_TEST_CFLAGS)
tests_libctl_test_config_LDADD = $(LIBCTL_TEST_LDADD)
tests_libctl_test_api_SOURCES = tests/libctl/test_api.c \
	tests/libctl/api_harness.c tests/libctl/api_harness.h \
	tests/libctl/api_assert.h
tests_libctl_test_api_CFLAGS = $(LIBCTL_TEST_CFLAGS)
tests_libctl_test_api_LDADD = $(LIBCTL_TEST_LDADD)
# test_crash: hvcore killed at every step of start-up (HVCORE_TEST_STOP_AT),
# hung in it, or not runnable; a runtime directory that does not exist.
# test_device: hv_device and a config's devices without hvcore (the
# spec hvcore gets is internal: linked against the core library).
check_PROGRAMS += tests/libctl/test_device
TESTS += tests/libctl/test_device
tests_libctl_test_device_SOURCES = tests/libctl/test_device.c
tests_libctl_test_device_CFLAGS = $(LIBCTL_TEST_CFLAGS) $(LIBXML2_CFLAGS) \
	$(JSONC_CFLAGS)
tests_libctl_test_device_LDADD = libctl/libhvctl_core.la $(CMOCKA_LIBS)
# test_spawn_argv: what the direct driver gives hvcore for a config's os
# type and initrd (--abi, --initrd), recorded by a stand-in hvcore.
check_PROGRAMS += tests/libctl/test_spawn_argv
TESTS += tests/libctl/test_spawn_argv
tests_libctl_test_spawn_argv_SOURCES = tests/libctl/test_spawn_argv.c
tests_libctl_test_spawn_argv_CFLAGS = $(LIBCTL_TEST_CFLAGS)
tests_libctl_test_spawn_argv_LDADD = $(LIBCTL_TEST_LDADD)

check_PROGRAMS += tests/libctl/test_uri
TESTS += tests/libctl/test_uri
tests_libctl_test_uri_SOURCES = tests/libctl/test_uri.c \
	tests/libctl/api_assert.h
tests_libctl_test_uri_CFLAGS = $(LIBCTL_TEST_CFLAGS)
tests_libctl_test_uri_LDADD = $(LIBCTL_TEST_LDADD)

check_PROGRAMS += tests/libctl/test_list_hung
TESTS += tests/libctl/test_list_hung
tests_libctl_test_list_hung_SOURCES = tests/libctl/test_list_hung.c \
	tests/libctl/api_harness.c tests/libctl/api_harness.h \
	tests/libctl/api_assert.h
tests_libctl_test_list_hung_CFLAGS = $(LIBCTL_TEST_CFLAGS)
tests_libctl_test_list_hung_LDADD = $(LIBCTL_TEST_LDADD)

check_PROGRAMS += tests/libctl/test_crash
TESTS += tests/libctl/test_crash
tests_libctl_test_crash_SOURCES = tests/libctl/test_crash.c \
	tests/libctl/api_harness.c tests/libctl/api_harness.h \
	tests/libctl/api_assert.h
tests_libctl_test_crash_CFLAGS = $(LIBCTL_TEST_CFLAGS)
tests_libctl_test_crash_LDADD = $(LIBCTL_TEST_LDADD)
examples_embed_SOURCES = examples/embed.c
examples_embed_LDADD = libctl/libhvctl.la
# run-remote.sh: examples/remote against a second hvctld over TLS.
check_PROGRAMS += examples/remote
TESTS += tests/libctl/run-remote.sh
EXTRA_DIST += tests/libctl/run-remote.sh
examples_remote_SOURCES = examples/remote.c
examples_remote_LDADD = libctl/libhvctl.la

# make bench: libhvctl's benchmarks (tests/bench/bench_libctl.c).  Built
# with the tests (so it cannot rot) but run only by `make bench`.
check_PROGRAMS += tests/bench/bench_libctl
bench_programs += tests/bench/bench_libctl
tests_bench_bench_libctl_SOURCES = tests/bench/bench_libctl.c \
	tests/bench/bench_dir.h tests/libctl/api_harness.c \
	tests/libctl/api_harness.h
tests_bench_bench_libctl_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/tests/libctl
tests_bench_bench_libctl_LDADD = libctl/libhvctl.la
bench: bench-libctl
bench-libctl: tests/bench/bench_libctl
	@$(AM_TESTS_ENVIRONMENT) ./tests/bench/bench_libctl
.PHONY: bench-libctl
# ---- end libctl -------------------------------------------------------------

# ---- hvcore's man page ----------------------------------------------------
# test_hvcore_man.sh: hvcore --help and man/hvcore.8 list the same options.
# test_guest_install.sh: `make install` puts pvboot where hvcore finds a
# kernel named without a path; hvctl boots <kernel>pvboot</kernel>.
TESTS += tests/hvcore/test_hvcore_man.sh tests/hvcore/test_guest_install.sh
EXTRA_DIST += tests/hvcore/test_hvcore_man.sh tests/hvcore/test_guest_install.sh
dist_man_MANS += man/hvcore.8
# The in-tree back ends (hypervisor/backends/).
dist_man_MANS += man/hvblk.8 man/hvnet.8
