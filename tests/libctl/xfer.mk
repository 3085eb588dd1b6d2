# Save, restore and migration through libhvctl (issue 10), real hvcore and
# pvboot domains running memcheck.  Included by the top-level Makefile.am.
# test_save_restore: save, restore, checkpoints, failed saves that keep the
#                    old file, refused files, progress.
# test_migrate:      two runtime directories as two hosts: non-live, live,
#                    there and back, cancel, the destination killed, the
#                    source killed, progress, refusals.
XFER_TEST_SOURCES = tests/libctl/xfer_harness.c tests/libctl/xfer_harness.h \
	tests/libctl/api_harness.c tests/libctl/api_harness.h \
	tests/libctl/api_assert.h

check_PROGRAMS += tests/libctl/test_save_restore tests/libctl/test_migrate
TESTS += tests/libctl/test_save_restore tests/libctl/test_migrate
tests_libctl_test_save_restore_SOURCES = tests/libctl/test_save_restore.c \
	$(XFER_TEST_SOURCES)
tests_libctl_test_save_restore_CFLAGS = $(LIBCTL_TEST_CFLAGS)
tests_libctl_test_save_restore_LDADD = $(LIBCTL_TEST_LDADD)
tests_libctl_test_migrate_SOURCES = tests/libctl/test_migrate.c \
	$(XFER_TEST_SOURCES)
tests_libctl_test_migrate_CFLAGS = $(LIBCTL_TEST_CFLAGS)
tests_libctl_test_migrate_LDADD = $(LIBCTL_TEST_LDADD)
