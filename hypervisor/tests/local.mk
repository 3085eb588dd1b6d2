# hvcore tests.  unit_*: cmocka tests of single modules.  test_*: cmocka
# tests that boot real pvboot domains under the built hvcore (they skip,
# with a message, where /dev/kvm is absent).
if HAVE_CMOCKA
noinst_LIBRARIES += tests/libharness.a
tests_libharness_a_SOURCES = tests/harness.c tests/harness.h \
	tests/xfer_util.c tests/xfer_util.h \
	tests/device_util.c tests/device_util.h \
	tests/sh_util.c tests/sh_util.h

UNIT_TESTS = tests/unit_elf tests/unit_pvclock tests/unit_domctl tests/unit_evtchn \
	tests/unit_shutdown_request tests/unit_stream_read tests/unit_device_spec \
	tests/unit_device_op
# Xen-PV memory management on a fake domain (xen_mm_fake.c gives the
# core's services): built from its own sources, not libhvcore.a.
UNIT_TESTS += tests/unit_xen_mm tests/unit_xen_mm_calls tests/unit_xen_memory
XEN_MM_SOURCES = tests/xen_mm_fake.c tests/xen_mm_fake.h tests/xen_mm_test.h \
	src/xen_memory.c src/xen_mm.c src/xen_mm_ext.c src/xen_mm_type.c
tests_unit_xen_mm_SOURCES = tests/unit_xen_mm.c $(XEN_MM_SOURCES)
tests_unit_xen_mm_LDADD = $(CMOCKA_LIBS)
tests_unit_xen_mm_calls_SOURCES = tests/unit_xen_mm_calls.c $(XEN_MM_SOURCES)
tests_unit_xen_mm_calls_LDADD = $(CMOCKA_LIBS)
tests_unit_xen_memory_SOURCES = tests/unit_xen_memory.c $(XEN_MM_SOURCES)
tests_unit_xen_memory_LDADD = $(CMOCKA_LIBS)
# The part of mmu_update the fast-call thread may serve (xen_mm_update_fast).
UNIT_TESTS += tests/unit_xen_mm_fast
tests_unit_xen_mm_fast_SOURCES = tests/unit_xen_mm_fast.c $(XEN_MM_SOURCES)
tests_unit_xen_mm_fast_LDADD = $(CMOCKA_LIBS)
INTEGRATION_TESTS = \
	tests/test_boot \
	tests/test_lifecycle \
	tests/test_smp \
	tests/test_balloon \
	tests/test_shell \
	tests/test_hostile \
	tests/test_domctl \
	tests/test_counters \
	tests/test_console_stall \
	tests/test_crash_steps \
	tests/test_shutdown_requests \
	tests/test_memcheck \
	tests/test_xfer \
	tests/test_devices \
	tests/test_disk \
	tests/test_net

check_PROGRAMS += $(UNIT_TESTS) $(INTEGRATION_TESTS)
TESTS += $(UNIT_TESTS) $(INTEGRATION_TESTS)

# test_disk's lying back end is built on the back ends' own library.
tests_test_disk_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/backends
tests_test_disk_LDADD = $(LDADD) backends/libbackend.a

# backends/ (hvblk, hvnet): the virtqueue parser alone; the shared
# library, hvblk and hvnet driven by a vhost-user front end in the test
# (vu_front.c, with the helpers of backend_test.c).
BACKEND_TESTS = tests/test_backends tests/test_hvblk tests/test_hvnet
check_PROGRAMS += tests/unit_virtq $(BACKEND_TESTS)
TESTS += tests/unit_virtq $(BACKEND_TESTS)
tests_unit_virtq_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/backends
tests_unit_virtq_LDADD = backends/libbackend.a $(CMOCKA_LIBS)
BACKEND_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(srcdir)/backends $(URING_CFLAGS) \
	-DHV_MAN_DIR='"$(abs_top_srcdir)/../man"'
BACKEND_TEST_LDADD = tests/libbackendtest.a backends/libbackend.a $(CMOCKA_LIBS)
noinst_LIBRARIES += tests/libbackendtest.a
tests_libbackendtest_a_SOURCES = tests/backend_test.c tests/backend_test.h \
	tests/vu_front.c tests/vu_front.h tests/sh_util.c tests/sh_util.h
tests_libbackendtest_a_CPPFLAGS = $(BACKEND_TEST_CPPFLAGS)
tests_test_backends_CPPFLAGS = $(BACKEND_TEST_CPPFLAGS)
tests_test_backends_LDADD = $(BACKEND_TEST_LDADD)
tests_test_hvblk_CPPFLAGS = $(BACKEND_TEST_CPPFLAGS)
tests_test_hvblk_LDADD = $(BACKEND_TEST_LDADD)
tests_test_hvnet_CPPFLAGS = $(BACKEND_TEST_CPPFLAGS)
tests_test_hvnet_LDADD = $(BACKEND_TEST_LDADD)

# The stream reader's tests build their streams with their own builder.
tests_unit_stream_read_SOURCES = tests/unit_stream_read.c \
	tests/stream_builder.c tests/stream_builder.h

# Issue 12, Debian's kernel as a Xen PV guest: the kit (linux_*.c) fetches
# the kernel and busybox-static (linux_fetch.sh, into $HVCTL_KERNEL_CACHE),
# builds the initramfs and drives the guest's console; test_linux boots it
# under hvcore (`make check-linux` alone; HVTEST_LINUX_HYPERVISOR=qemu: the
# same cases under QEMU TCG).
noinst_LIBRARIES += tests/liblinuxkit.a
tests_liblinuxkit_a_SOURCES = tests/linux_console.c tests/linux_console.h \
	tests/linux_fetch.c tests/linux_fetch.h \
	tests/linux_initramfs.c tests/linux_initramfs.h \
	tests/linux_guest.c tests/linux_guest.h
tests_liblinuxkit_a_CPPFLAGS = $(AM_CPPFLAGS) \
	-DLINUX_FETCH_SCRIPT='"$(abs_srcdir)/tests/linux_fetch.sh"'
check_PROGRAMS += tests/test_linux
TESTS += tests/test_linux
tests_test_linux_LDADD = tests/liblinuxkit.a $(LDADD)

# Every test program is one .c file named like it, linked against the real
# hvcore code and the harness: automake's defaults do the rest.
LDADD = src/libhvcore.a tests/libharness.a $(CMOCKA_LIBS) $(XXHASH_LIBS)
AM_CPPFLAGS += $(CMOCKA_CFLAGS) -I$(srcdir)/tests
endif

EXTRA_DIST += tests/test_util.h tests/linux_fetch.sh
# test_linux alone (the comment above test_linux).
check-linux: tests/test_linux src/hvcore
	@$(AM_TESTS_ENVIRONMENT) ./tests/test_linux
.PHONY: check-linux

# make bench: hvcore's benchmarks (not part of make check).
if HAVE_CMOCKA
EXTRA_PROGRAMS = tests/bench/hvcore_bench tests/bench/bench_migrate tests/bench/bench_io
bench_programs += tests/bench/hvcore_bench tests/bench/bench_migrate tests/bench/bench_io
CLEANFILES += $(EXTRA_PROGRAMS)
# Issue 10: migration, save and restore of a 1 GiB guest, with QEMU's
# migration (the peer script in ../shared/peers) measured in the same run.
tests_bench_bench_migrate_SOURCES = tests/bench/bench_migrate.c \
	tests/bench/bench_table.c tests/bench/bench_table.h
tests_bench_bench_migrate_CPPFLAGS = $(AM_CPPFLAGS) \
	-DBENCH_PEERS_DIR='"$(abs_top_srcdir)/../../shared/peers"'
# Issue 11: disk and network I/O of a guest against the host's own (fio,
# a veth pair) measured in the same run.
tests_bench_bench_io_SOURCES = tests/bench/bench_io.c \
	tests/bench/bench_table.c tests/bench/bench_table.h
# Issue 12: Debian's kernel booted under QEMU TCG and under hvcore in the
# same run (make bench-linux alone).
EXTRA_PROGRAMS += tests/bench/bench_linux
bench_programs += tests/bench/bench_linux
tests_bench_bench_linux_SOURCES = tests/bench/bench_linux.c tests/bench/bench_linux_run.c \
	tests/bench/bench_linux.h tests/bench/bench_table.c tests/bench/bench_table.h
tests_bench_bench_linux_LDADD = tests/liblinuxkit.a $(LDADD)
endif
EXTRA_DIST += tests/bench/run-bench.sh

# QEMU for the peer figure: not needed by make check, so installed (where
# missing) only for the benchmarks, by the top-level script when present.
bench-deps:
	@if test -x $(top_srcdir)/../scripts/install-bench-deps.sh; then \
	  $(top_srcdir)/../scripts/install-bench-deps.sh; fi
bench: bench-deps
bench-migrate: bench-deps tests/bench/bench_migrate src/hvcore guest/pvboot
	@$(AM_TESTS_ENVIRONMENT) ./tests/bench/bench_migrate
bench-io: bench-deps tests/bench/bench_io src/hvcore guest/pvboot $(pkglibexec_PROGRAMS)
	@$(AM_TESTS_ENVIRONMENT) ./tests/bench/bench_io
bench-linux: bench-deps tests/bench/bench_linux src/hvcore
	@$(AM_TESTS_ENVIRONMENT) ./tests/bench/bench_linux
.PHONY: bench-deps bench-migrate bench-io bench-linux

# Xen-PV kernel images and initrds (src/xen_image.h, src/xen_initrd.h):
# the images and archives are built in the tests, compressed with the same
# libraries (compress_util.c), which every test linking libhvcore.a may need.
if HAVE_CMOCKA
LDADD += $(UNPACK_LIBS)
XEN_IMAGE_TESTS = tests/unit_xen_image tests/unit_xen_bzimage tests/unit_xen_initrd
check_PROGRAMS += $(XEN_IMAGE_TESTS)
TESTS += $(XEN_IMAGE_TESTS)
XEN_BUILDER = tests/xen_builder.c tests/xen_builder.h \
	tests/compress_util.c tests/compress_util.h
tests_unit_xen_image_SOURCES = tests/unit_xen_image.c $(XEN_BUILDER)
tests_unit_xen_bzimage_SOURCES = tests/unit_xen_bzimage.c $(XEN_BUILDER)
tests_unit_xen_initrd_SOURCES = tests/unit_xen_initrd.c $(XEN_BUILDER)
endif

# The one change hvcore makes to a Linux kernel's code (xen_patch.h): found
# only where it is, and run for real once made.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit_xen_patch
TESTS += tests/unit_xen_patch
tests_unit_xen_patch_SOURCES = tests/unit_xen_patch.c src/xen_patch.c
tests_unit_xen_patch_LDADD = $(CMOCKA_LIBS)
endif

# Xen-PV events, time, scheduling, console and the small hypercalls (X3):
# the modules alone, on a fake domain whose core services are test doubles
# (xen_fake.c), so they build and run without the rest of hvcore.
if HAVE_CMOCKA
XEN_X3_TESTS = tests/unit_xen_events tests/unit_xen_sched tests/unit_xen_console \
	tests/unit_xen_misc tests/unit_xen_time
check_PROGRAMS += $(XEN_X3_TESTS)
TESTS += $(XEN_X3_TESTS)
XEN_X3_UNDER_TEST = tests/xen_fake.c tests/xen_fake.h \
	src/xen_console.c src/xen_evtchn.c src/xen_misc.c src/xen_sched.c \
	src/xen_time.c src/pvclock.c
tests_unit_xen_events_SOURCES = tests/unit_xen_events.c $(XEN_X3_UNDER_TEST)
tests_unit_xen_events_LDADD = $(CMOCKA_LIBS)
tests_unit_xen_sched_SOURCES = tests/unit_xen_sched.c $(XEN_X3_UNDER_TEST)
tests_unit_xen_sched_LDADD = $(CMOCKA_LIBS)
tests_unit_xen_console_SOURCES = tests/unit_xen_console.c $(XEN_X3_UNDER_TEST)
tests_unit_xen_console_LDADD = $(CMOCKA_LIBS)
tests_unit_xen_misc_SOURCES = tests/unit_xen_misc.c $(XEN_X3_UNDER_TEST)
tests_unit_xen_misc_LDADD = $(CMOCKA_LIBS)
tests_unit_xen_time_SOURCES = tests/unit_xen_time.c $(XEN_X3_UNDER_TEST)
tests_unit_xen_time_LDADD = $(CMOCKA_LIBS)
endif

# hvcore's xenstore (src/xen_store.h, X4), driven through its ring by a
# stand-in xenbus client (xen_store_client.c, which also has the doubles of
# the event-channel and frame-type calls it makes): built from its own
# sources, not libhvcore.a.
if HAVE_CMOCKA
XEN_STORE_TESTS = tests/unit_xen_store tests/unit_xen_store_hostile
check_PROGRAMS += $(XEN_STORE_TESTS)
TESTS += $(XEN_STORE_TESTS)
XEN_STORE_UNDER_TEST = tests/xen_store_client.c tests/xen_store_client.h \
	src/xen_store.c src/xen_store_req.c src/xen_store_tree.c
tests_unit_xen_store_SOURCES = tests/unit_xen_store.c $(XEN_STORE_UNDER_TEST)
tests_unit_xen_store_LDADD = $(CMOCKA_LIBS)
tests_unit_xen_store_hostile_SOURCES = tests/unit_xen_store_hostile.c $(XEN_STORE_UNDER_TEST)
tests_unit_xen_store_hostile_LDADD = $(CMOCKA_LIBS)
endif

# hvcore's Xen-PV core against a hostile guest kernel (H6): hypercall
# dispatch and the vCPU's own hypercalls, the writable page-table decoder,
# on a fake vCPU whose services are test doubles (xen_core_fake.c).
if HAVE_CMOCKA
XEN_CORE_TESTS = tests/unit_xen_hypercall tests/unit_xen_ptwr
check_PROGRAMS += $(XEN_CORE_TESTS)
TESTS += $(XEN_CORE_TESTS)
XEN_CORE_FAKE = tests/xen_core_fake.c tests/xen_core_fake.h
tests_unit_xen_hypercall_SOURCES = tests/unit_xen_hypercall.c src/xen_hypercall.c \
	$(XEN_CORE_FAKE)
tests_unit_xen_hypercall_LDADD = $(CMOCKA_LIBS)
tests_unit_xen_ptwr_SOURCES = tests/unit_xen_ptwr.c src/xen_ptwr.c src/xen_regs.c \
	$(XEN_CORE_FAKE)
tests_unit_xen_ptwr_LDADD = $(CMOCKA_LIBS)
# The fast-call channel and its thread (xen_fastcall.c), with the calls it
# serves as doubles in the test.
XEN_FASTCALL_TESTS = tests/unit_xen_fastcall
check_PROGRAMS += $(XEN_FASTCALL_TESTS)
TESTS += $(XEN_FASTCALL_TESTS)
tests_unit_xen_fastcall_SOURCES = tests/unit_xen_fastcall.c src/xen_fastcall.c \
	src/xen_syscall_stub.S
tests_unit_xen_fastcall_LDADD = $(CMOCKA_LIBS)
endif
