# test_agent_driver: libhvctl's agent driver (issue 9) against a real
# hvctld over unix://, hvctl:///system, https:// (test CA, token, client
# certificate) and http:// on loopback, with real hvcore + pvboot
# domains.  It reuses the CLI tests' agent harness (tests/cli), which
# needs no libcurl: the test checks that local connections never map it.
check_PROGRAMS += tests/libctl/test_agent_driver
TESTS += tests/libctl/test_agent_driver
tests_libctl_test_agent_driver_SOURCES = tests/libctl/test_agent_driver.c \
	tests/libctl/api_assert.h \
	tests/cli/agent_harness.c tests/cli/agent_harness.h \
	tests/cli/cli_harness.c tests/cli/cli_harness.h
tests_libctl_test_agent_driver_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(srcdir)/tests/cli -I$(srcdir)/tests/libctl
tests_libctl_test_agent_driver_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JSONC_CFLAGS)
tests_libctl_test_agent_driver_LDADD = libctl/libhvctl.la $(CMOCKA_LIBS) $(JSONC_LIBS) \
	-lutil
# A module of another version, for the stale-module refusal.
check_LTLIBRARIES = tests/libctl/stale/libhvctl-http.la
tests_libctl_stale_libhvctl_http_la_SOURCES = \
	tests/libctl/stale/stale_module.c
tests_libctl_stale_libhvctl_http_la_LDFLAGS = -module -avoid-version \
	-shared -rpath $(abs_builddir)/tests/libctl/stale

# unit_agent_unix: the HTTP/1.1 client over a Unix socket inside libhvctl
# (libctl/agent_unix.c) against a scripted server: split answers, chunked
# and Content-Length bodies, keep-alive and reconnection, streams.
check_PROGRAMS += tests/libctl/unit_agent_unix
TESTS += tests/libctl/unit_agent_unix
tests_libctl_unit_agent_unix_SOURCES = tests/libctl/unit_agent_unix.c
tests_libctl_unit_agent_unix_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_libctl_unit_agent_unix_LDADD = libctl/libhvctl_core.la $(CMOCKA_LIBS)

# test_host_shutdown: hv_conn_shutdown_all and hv_conn_get_agent_version
# through the direct driver and through a real hvctld, same words.
check_PROGRAMS += tests/libctl/test_host_shutdown
TESTS += tests/libctl/test_host_shutdown
tests_libctl_test_host_shutdown_SOURCES = tests/libctl/test_host_shutdown.c \
	tests/libctl/api_assert.h \
	tests/cli/agent_harness.c tests/cli/agent_harness.h \
	tests/cli/cli_harness.c tests/cli/cli_harness.h
tests_libctl_test_host_shutdown_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(srcdir)/tests/cli -I$(srcdir)/tests/libctl
tests_libctl_test_host_shutdown_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JSONC_CFLAGS)
tests_libctl_test_host_shutdown_LDADD = libctl/libhvctl.la $(CMOCKA_LIBS) $(JSONC_LIBS) \
	-lutil

# unit_fields: the domain field table's JSON both ways, and what an
# older, newer or hostile agent may send.
check_PROGRAMS += tests/libctl/unit_fields
TESTS += tests/libctl/unit_fields
tests_libctl_unit_fields_SOURCES = tests/libctl/unit_fields.c
tests_libctl_unit_fields_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(JSONC_CFLAGS)
tests_libctl_unit_fields_LDADD = libctl/libhvctl_core.la $(CMOCKA_LIBS) \
	$(JSONC_LIBS)

# test_create_paused: HV_CREATE_PAUSED through both drivers; a console
# attached before unpause sees a one-shot guest's whole output.
check_PROGRAMS += tests/libctl/test_create_paused
TESTS += tests/libctl/test_create_paused
tests_libctl_test_create_paused_SOURCES = tests/libctl/test_create_paused.c \
	tests/libctl/api_assert.h \
	tests/cli/agent_harness.c tests/cli/agent_harness.h \
	tests/cli/cli_harness.c tests/cli/cli_harness.h
tests_libctl_test_create_paused_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(srcdir)/tests/cli -I$(srcdir)/tests/libctl
tests_libctl_test_create_paused_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(JSONC_CFLAGS)
tests_libctl_test_create_paused_LDADD = libctl/libhvctl.la $(CMOCKA_LIBS) \
	$(JSONC_LIBS) -lutil

# test_device_attach: devices through both drivers, hvctld (--config
# across a restart) and hvctl, on disks qemu-storage-daemon serves.
check_PROGRAMS += tests/libctl/test_device_attach
TESTS += tests/libctl/test_device_attach
tests_libctl_test_device_attach_SOURCES = tests/libctl/test_device_attach.c \
	tests/libctl/device_harness.c tests/libctl/device_harness.h \
	tests/libctl/api_assert.h \
	tests/cli/agent_harness.c tests/cli/agent_harness.h \
	tests/cli/cli_harness.c tests/cli/cli_harness.h
tests_libctl_test_device_attach_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(srcdir)/tests/cli -I$(srcdir)/tests/libctl
tests_libctl_test_device_attach_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(JSONC_CFLAGS)
tests_libctl_test_device_attach_LDADD = libctl/libhvctl.la $(CMOCKA_LIBS) \
	$(JSONC_LIBS) -lutil

# test_device_net: interfaces served by hvnet, in a network namespace of
# the test's own: the MAC libhvctl gives is hvnet's, taps come and go.
check_PROGRAMS += tests/libctl/test_device_net
TESTS += tests/libctl/test_device_net
tests_libctl_test_device_net_SOURCES = tests/libctl/test_device_net.c \
	tests/libctl/api_assert.h \
	tests/cli/cli_harness.c tests/cli/cli_harness.h
tests_libctl_test_device_net_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(srcdir)/tests/cli -I$(srcdir)/tests/libctl
tests_libctl_test_device_net_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(JSONC_CFLAGS)
tests_libctl_test_device_net_LDADD = libctl/libhvctl.la $(CMOCKA_LIBS) \
	$(JSONC_LIBS) -lutil
