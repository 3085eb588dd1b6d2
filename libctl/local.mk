# libctl: libhvctl, the stable C API (hvctl.h).  Included by Makefile.am.
#
# The library is built from a convenience library so that the unit tests
# can link its internals; only libhvctl.la is installed, with the version
# script exporting hv_* alone.

include_HEADERS += libctl/hvctl.h
noinst_LTLIBRARIES += libctl/libhvctl_core.la
lib_LTLIBRARIES += libctl/libhvctl.la
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = libctl/hvctl.pc

# Where hv_domain_create finds hvcore when $HVCORE_PATH is unset.
HVCORE_INSTALL_PATH = $(bindir)/hvcore

libctl_libhvctl_core_la_SOURCES = \
	libctl/hvctl.h \
	libctl/internal.h \
	libctl/error.c \
	libctl/util.c \
	libctl/config.h \
	libctl/config_model.c \
	libctl/config_validate.c \
	libctl/config_file.c \
	libctl/xml_util.h \
	libctl/xml_util.c \
	libctl/config_xml.c \
	libctl/json_scan.h \
	libctl/json_scan.c \
	libctl/json_util.h \
	libctl/json_util.c \
	libctl/config_json.c \
	libctl/config_devices.c \
	libctl/device.h \
	libctl/device_model.c \
	libctl/device_spec.c \
	libctl/device_xml.c \
	libctl/device_json.c \
	libctl/device_list.c \
	libctl/api_devices.c \
	libctl/direct_devices.c \
	libctl/domain_int.h \
	libctl/domain_fields.h \
	libctl/domain_fields.c \
	libctl/domain_info.c \
	libctl/driver.h \
	libctl/conn_uri.h \
	libctl/conn_uri.c \
	libctl/conn.c \
	libctl/api_domain.c \
	libctl/api_list.c \
	libctl/api_event.c \
	libctl/api_host.c \
	libctl/direct_host.c \
	libctl/compat.c \
	libctl/drv_direct.h \
	libctl/drv_direct.c \
	libctl/drv_agent.c \
	libctl/agent_int.h \
	libctl/http_transport.h \
	libctl/agent_unix.c \
	libctl/agent_module.c \
	libctl/agent_domain.c \
	libctl/agent_events.c \
	libctl/agent_xfer.c \
	libctl/agent_devices.c \
	libctl/runtime.c \
	libctl/domctl_client.c \
	libctl/spawn.c \
	libctl/domain.c \
	libctl/domain_ops.c \
	libctl/domain_list.c \
	libctl/op.h \
	libctl/op.c \
	libctl/api_xfer.c \
	libctl/migrate_params.c \
	libctl/direct_xfer.h \
	libctl/direct_xfer.c \
	libctl/direct_save.c \
	libctl/direct_migrate.c \
	libctl/priv_hvctld.h \
	libctl/priv_hvctld.c \
	libctl/event.h \
	libctl/event.c \
	libctl/event_int.h \
	libctl/event_subscribe.c \
	libctl/event_created.c \
	libctl/event_object.c
nodist_libctl_libhvctl_core_la_SOURCES = libctl/domain_rng.c
libctl_libhvctl_core_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DHVCORE_INSTALL_PATH='"$(HVCORE_INSTALL_PATH)"' \
	-DHV_DRIVER_DIR='"$(hvdriverdir)"'
libctl_libhvctl_core_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden \
	$(LIBXML2_CFLAGS) $(JSONC_CFLAGS)
libctl_libhvctl_core_la_LIBADD = $(LIBXML2_LIBS) $(JSONC_LIBS) -ldl

# The HTTP driver module (docs/client-path.md): libhvctl dlopen()s it on
# the first https:// or http:// connection, so that only remote users map
# libcurl.  Linked against libcurl the ordinary way; exports one table.
hvdriverdir = $(pkglibdir)/drivers
hvdriver_LTLIBRARIES = libctl/http_module/libhvctl-http.la
libctl_http_module_libhvctl_http_la_SOURCES = \
	libctl/http_module/http_curl.c \
	libctl/http_module/http_scheme.c \
	libctl/http_module/http_scheme.h \
	libctl/http_transport.h
libctl_http_module_libhvctl_http_la_CFLAGS = $(AM_CFLAGS) \
	-fvisibility=hidden $(LIBCURL_CFLAGS)
libctl_http_module_libhvctl_http_la_LIBADD = $(LIBCURL_LIBS)
libctl_http_module_libhvctl_http_la_LDFLAGS = -module -avoid-version \
	-shared -no-undefined -export-symbols-regex '^hv_http_transport_v1$$'

libctl_libhvctl_la_SOURCES =
libctl_libhvctl_la_LIBADD = libctl/libhvctl_core.la
# -version-info current:revision:age -> libhvctl.so.0 (SONAME): current and
# age go up by one with each release that adds calls (1: HVCTL_0.4,
# 2: HVCTL_0.5, 3: HVCTL_0.6, 4: HVCTL_0.7).
libctl_libhvctl_la_LDFLAGS = -version-info 4:0:4 -no-undefined \
	-Wl,--version-script=$(srcdir)/libctl/libhvctl.sym
EXTRA_libctl_libhvctl_la_DEPENDENCIES = $(srcdir)/libctl/libhvctl.sym
EXTRA_DIST += libctl/libhvctl.sym

# schema/domain.rng compiled into the library as a C string, so that
# validation needs no installed file and cannot drift from the schema.
libctl/domain_rng.c: $(srcdir)/schema/domain.rng
	$(AM_V_GEN)$(MKDIR_P) libctl && { \
	  echo '/* Generated from schema/domain.rng: do not edit. */'; \
	  echo 'extern const char cfg_domain_rng[];'; \
	  echo 'const char cfg_domain_rng[] ='; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; \
	  echo ';'; } > $@-t && mv $@-t $@
CLEANFILES += libctl/domain_rng.c

dist_man_MANS += man/libhvctl.3 man/hvctl.xml.5
