# tests/fuzz: hvcore's libFuzzer harness (the toolstack's docs/fuzzing.md).
#
# fuzz_domctl   src/domctl.c: datagrams from a control client, through
#               domctl_serve() on a socketpair, to every handler
# fuzz_stream   src/stream_read.c: a domain stream, from a file and from a
#               pipe (seeds: stream_seeds.c)
# fuzz_virtq    backends/virtq.c: a guest's split virtqueue, as hvblk and
#               hvnet parse it
# fuzz_vu       backends/vu_dev.c: vhost-user messages with their fds, as
#               hvblk and hvnet serve them
# fuzz_devfront src/device_spec.c, src/vhost_user.c: device specs from a
#               domctl client, and whatever a vhost-user back end answers
# fuzz_xen_image src/xen_image.c and the files it uses, src/xen_initrd.c:
#               any file as a Xen-PV kernel and as an initrd (seeds:
#               xen_image_seeds.c)
# fuzz_xen_mm   src/xen_mm*.c, src/xen_memory.c: sequences of mmu_update,
#               mmuext_op, update_va_mapping and memory_op on the fake
#               domain of tests/xen_mm_fake.c
# fuzz_xen_store src/xen_store*.c: a hostile guest's xenstore page
#               (requests, raw bytes, indexes, scribbles, reconnects)
#               with hvcore's own writes in between
# fuzz_xen_ptwr src/xen_ptwr.c: one faulting write of the guest kernel into
#               an L1 table (instruction, registers, entry, cr2, error
#               code, mode) on the fake vCPU of tests/xen_core_fake.c
#
# `make check` runs it on a fixed number of inputs from seed 1 (a few
# seconds; the same run on every machine) from its seed corpus (tests/fuzz/corpus/),
# `make fuzz` for FUZZ_TIME (60) s.  run-fuzzer.sh takes the harness
# configure --enable-fuzzing built, or else builds it with clang from the
# sources of libhvcore.a (SKIP without clang and libFuzzer).

FUZZ_TIME = 60

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_domctl
tests_fuzz_fuzz_domctl_LDADD = src/libhvcore.a $(XXHASH_LIBS)
tests_fuzz_fuzz_domctl_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
noinst_PROGRAMS += tests/fuzz/fuzz_stream
tests_fuzz_fuzz_stream_LDADD = src/libhvcore.a $(XXHASH_LIBS)
tests_fuzz_fuzz_stream_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
noinst_PROGRAMS += tests/fuzz/fuzz_virtq
tests_fuzz_fuzz_virtq_LDADD = backends/libbackend.a
tests_fuzz_fuzz_virtq_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
noinst_PROGRAMS += tests/fuzz/fuzz_vu
tests_fuzz_fuzz_vu_LDADD = backends/libbackend.a
tests_fuzz_fuzz_vu_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
noinst_PROGRAMS += tests/fuzz/fuzz_devfront
tests_fuzz_fuzz_devfront_LDADD = src/libhvcore.a $(XXHASH_LIBS)
tests_fuzz_fuzz_devfront_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
noinst_PROGRAMS += tests/fuzz/fuzz_xen_image
tests_fuzz_fuzz_xen_image_LDADD = src/libhvcore.a $(UNPACK_LIBS)
tests_fuzz_fuzz_xen_image_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
# libhvcore.a's kernel loader needs the compression libraries.
tests_fuzz_fuzz_domctl_LDADD += $(UNPACK_LIBS)
tests_fuzz_fuzz_stream_LDADD += $(UNPACK_LIBS)
tests_fuzz_fuzz_devfront_LDADD += $(UNPACK_LIBS)
noinst_PROGRAMS += tests/fuzz/fuzz_xen_mm
tests_fuzz_fuzz_xen_mm_LDADD =
tests_fuzz_fuzz_xen_mm_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
noinst_PROGRAMS += tests/fuzz/fuzz_xen_store
tests_fuzz_fuzz_xen_store_LDADD =
tests_fuzz_fuzz_xen_store_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
noinst_PROGRAMS += tests/fuzz/fuzz_xen_ptwr
tests_fuzz_fuzz_xen_ptwr_LDADD =
tests_fuzz_fuzz_xen_ptwr_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
FUZZ_BIN = $(abs_builddir)/tests/fuzz
else
FUZZ_BIN =
endif
tests_fuzz_fuzz_domctl_SOURCES = tests/fuzz/fuzz_domctl.c
tests_fuzz_fuzz_stream_SOURCES = tests/fuzz/fuzz_stream.c
tests_fuzz_fuzz_virtq_SOURCES = tests/fuzz/fuzz_virtq.c
tests_fuzz_fuzz_vu_SOURCES = tests/fuzz/fuzz_vu.c
tests_fuzz_fuzz_devfront_SOURCES = tests/fuzz/fuzz_devfront.c
tests_fuzz_fuzz_xen_image_SOURCES = tests/fuzz/fuzz_xen_image.c
tests_fuzz_fuzz_xen_mm_SOURCES = tests/fuzz/fuzz_xen_mm.c tests/xen_mm_fake.c \
	src/xen_memory.c src/xen_mm.c src/xen_mm_ext.c src/xen_mm_type.c
tests_fuzz_fuzz_xen_store_SOURCES = tests/fuzz/fuzz_xen_store.c \
	src/xen_store.c src/xen_store_req.c src/xen_store_tree.c
tests_fuzz_fuzz_xen_ptwr_SOURCES = tests/fuzz/fuzz_xen_ptwr.c tests/xen_core_fake.c \
	src/xen_ptwr.c src/xen_regs.c

FUZZ_ENV = \
	FUZZ_SRCDIR='$(abs_srcdir)' FUZZ_BUILDDIR='$(abs_builddir)' \
	FUZZ_SCRATCH='$(abs_builddir)/tests/fuzz/scratch' \
	FUZZ_CORPUS='$(abs_srcdir)/tests/fuzz/corpus' FUZZ_BIN='$(FUZZ_BIN)' \
	FUZZ_LIBS='$(XXHASH_LIBS) $(UNPACK_LIBS)' \
	FUZZ_CPPFLAGS='-D_GNU_SOURCE -DPACKAGE_VERSION="$(PACKAGE_VERSION)" \
	  -I$(abs_srcdir)/include -I$(abs_srcdir)/src $(UNPACK_CFLAGS)' \
	FUZZ_SOURCES_domctl='$(tests_fuzz_fuzz_domctl_SOURCES) \
	  $(src_libhvcore_a_SOURCES)' \
	FUZZ_SOURCES_stream='$(tests_fuzz_fuzz_stream_SOURCES) \
	  $(src_libhvcore_a_SOURCES)' \
	FUZZ_SOURCES_virtq='$(tests_fuzz_fuzz_virtq_SOURCES) \
	  backends/virtq.c backends/vu_mem.c' \
	FUZZ_SOURCES_vu='$(tests_fuzz_fuzz_vu_SOURCES) \
	  $(backends_libbackend_a_SOURCES)' \
	FUZZ_SOURCES_devfront='$(tests_fuzz_fuzz_devfront_SOURCES) \
	  src/device_spec.c src/vhost_user.c src/pvclock.c' \
	FUZZ_SOURCES_xen_image='$(tests_fuzz_fuzz_xen_image_SOURCES) \
	  src/xen_image.c src/xen_bzimage.c src/xen_notes.c src/xen_unpack.c \
	  src/xen_initrd.c src/xen_initrd_cpio.c src/errline.c'
FUZZ_ENV += FUZZ_SOURCES_xen_mm='$(tests_fuzz_fuzz_xen_mm_SOURCES)'
FUZZ_ENV += FUZZ_SOURCES_xen_store='$(tests_fuzz_fuzz_xen_store_SOURCES)'
FUZZ_ENV += FUZZ_SOURCES_xen_ptwr='$(tests_fuzz_fuzz_xen_ptwr_SOURCES)'
FUZZ_RUN = env $(FUZZ_ENV) $(SHELL) $(srcdir)/tests/fuzz/run-fuzzer.sh

TEST_EXTENSIONS = .test .fuzz
FUZZ_LOG_COMPILER = $(FUZZ_RUN)
TESTS += tests/fuzz/domctl.fuzz tests/fuzz/stream.fuzz tests/fuzz/virtq.fuzz \
	tests/fuzz/vu.fuzz tests/fuzz/devfront.fuzz
TESTS += tests/fuzz/xen_image.fuzz
TESTS += tests/fuzz/xen_mm.fuzz
TESTS += tests/fuzz/xen_store.fuzz
TESTS += tests/fuzz/xen_ptwr.fuzz
EXTRA_DIST += tests/fuzz

clean-local:
	rm -rf tests/fuzz/scratch

# make fuzz: the harness for FUZZ_TIME seconds.
fuzz: all
	FUZZ_TIME=$(FUZZ_TIME) $(FUZZ_RUN) $(srcdir)/tests/fuzz/domctl.fuzz
	FUZZ_TIME=$(FUZZ_TIME) $(FUZZ_RUN) $(srcdir)/tests/fuzz/stream.fuzz
	FUZZ_TIME=$(FUZZ_TIME) $(FUZZ_RUN) $(srcdir)/tests/fuzz/virtq.fuzz
	FUZZ_TIME=$(FUZZ_TIME) $(FUZZ_RUN) $(srcdir)/tests/fuzz/vu.fuzz
	FUZZ_TIME=$(FUZZ_TIME) $(FUZZ_RUN) $(srcdir)/tests/fuzz/devfront.fuzz
	FUZZ_TIME=$(FUZZ_TIME) $(FUZZ_RUN) $(srcdir)/tests/fuzz/xen_image.fuzz
	FUZZ_TIME=$(FUZZ_TIME) $(FUZZ_RUN) $(srcdir)/tests/fuzz/xen_mm.fuzz
	FUZZ_TIME=$(FUZZ_TIME) $(FUZZ_RUN) $(srcdir)/tests/fuzz/xen_store.fuzz
	FUZZ_TIME=$(FUZZ_TIME) $(FUZZ_RUN) $(srcdir)/tests/fuzz/xen_ptwr.fuzz
.PHONY: fuzz
