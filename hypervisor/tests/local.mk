# hvcore tests.  unit_*: cmocka tests of single modules.  test_*: cmocka
# tests that boot real pvboot domains under the built hvcore (they skip,
# with a message, where /dev/kvm is absent).
if HAVE_CMOCKA
noinst_LIBRARIES += tests/libharness.a
tests_libharness_a_SOURCES = tests/harness.c tests/harness.h

UNIT_TESTS = tests/unit_elf tests/unit_pvclock tests/unit_domctl
INTEGRATION_TESTS = \
	tests/test_boot \
	tests/test_lifecycle \
	tests/test_smp \
	tests/test_balloon \
	tests/test_shell \
	tests/test_hostile \
	tests/test_domctl

check_PROGRAMS += $(UNIT_TESTS) $(INTEGRATION_TESTS)
TESTS += $(UNIT_TESTS) $(INTEGRATION_TESTS)

TEST_LDADD = src/libhvcore.a tests/libharness.a $(CMOCKA_LIBS)
TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -I$(srcdir)/tests

tests_unit_elf_SOURCES = tests/unit_elf.c
tests_unit_elf_CFLAGS = $(TEST_CFLAGS)
tests_unit_elf_LDADD = $(TEST_LDADD)
tests_unit_pvclock_SOURCES = tests/unit_pvclock.c
tests_unit_pvclock_CFLAGS = $(TEST_CFLAGS)
tests_unit_pvclock_LDADD = $(TEST_LDADD)
tests_unit_domctl_SOURCES = tests/unit_domctl.c
tests_unit_domctl_CFLAGS = $(TEST_CFLAGS)
tests_unit_domctl_LDADD = $(TEST_LDADD)

tests_test_boot_SOURCES = tests/test_boot.c
tests_test_boot_CFLAGS = $(TEST_CFLAGS)
tests_test_boot_LDADD = $(TEST_LDADD)
tests_test_lifecycle_SOURCES = tests/test_lifecycle.c
tests_test_lifecycle_CFLAGS = $(TEST_CFLAGS)
tests_test_lifecycle_LDADD = $(TEST_LDADD)
tests_test_smp_SOURCES = tests/test_smp.c
tests_test_smp_CFLAGS = $(TEST_CFLAGS)
tests_test_smp_LDADD = $(TEST_LDADD)
tests_test_balloon_SOURCES = tests/test_balloon.c
tests_test_balloon_CFLAGS = $(TEST_CFLAGS)
tests_test_balloon_LDADD = $(TEST_LDADD)
tests_test_shell_SOURCES = tests/test_shell.c
tests_test_shell_CFLAGS = $(TEST_CFLAGS)
tests_test_shell_LDADD = $(TEST_LDADD)
tests_test_hostile_SOURCES = tests/test_hostile.c
tests_test_hostile_CFLAGS = $(TEST_CFLAGS)
tests_test_hostile_LDADD = $(TEST_LDADD)
tests_test_domctl_SOURCES = tests/test_domctl.c
tests_test_domctl_CFLAGS = $(TEST_CFLAGS)
tests_test_domctl_LDADD = $(TEST_LDADD)
endif

EXTRA_DIST += tests/data

# make bench: hvcore's benchmarks (not part of make check).
if HAVE_CMOCKA
EXTRA_PROGRAMS = tests/bench/hvcore_bench
bench_programs += tests/bench/hvcore_bench
tests_bench_hvcore_bench_SOURCES = tests/bench/hvcore_bench.c
tests_bench_hvcore_bench_CFLAGS = $(AM_CFLAGS) -I$(srcdir)/tests
tests_bench_hvcore_bench_LDADD = tests/libharness.a
CLEANFILES += $(EXTRA_PROGRAMS)
endif
EXTRA_DIST += tests/bench/run-bench.sh
