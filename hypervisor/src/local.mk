# hvcore, the per-domain hypervisor process.
bin_PROGRAMS += src/hvcore

# Everything but main() is a convenience library, so that unit tests link
# the real code.
noinst_LIBRARIES += src/libhvcore.a
src_libhvcore_a_SOURCES = \
	src/hvcore.h \
	src/boot_layout.c src/boot_layout.h \
	src/console.c src/console.h \
	src/device.c src/device.h \
	src/device_backend.c \
	src/device_ctl.c \
	src/device_spec.c src/device_spec.h \
	src/domain.c src/domain.h \
	src/kvm_stats.c src/kvm_stats.h \
	src/domctl.c src/domctl.h \
	src/dirty_ring.c src/dirty_ring.h \
	src/domain_stream.c src/domain_stream.h \
	src/elf_load.c src/elf_load.h \
	src/errline.c src/errline.h \
	src/event_loop.c src/event_loop.h \
	src/evtchn.c src/evtchn.h \
	src/guest_dir.c src/guest_dir.h \
	src/guest_time.c src/guest_time.h \
	src/hypercall.c src/hypercall.h \
	src/incoming.c src/incoming.h \
	src/memory.c src/memory.h \
	src/options.c src/options.h \
	src/pvclock.c src/pvclock.h \
	src/runtime.c src/runtime.h \
	src/shutdown_request.c src/shutdown_request.h \
	src/startup_step.c src/startup_step.h \
	src/stream_format.c src/stream_format.h \
	src/stream_read.c src/stream_read.h \
	src/stream_reply.c src/stream_reply.h \
	src/stream_write.c src/stream_write.h \
	src/vcpu.c src/vcpu.h \
	src/vhost_user.c src/vhost_user.h \
	src/xfer.c src/xfer.h

# Xen-PV kernels and initrds (xen_image.h, xen_initrd.h): unpacked and
# checked with the compression libraries, which only hvcore links.
src_libhvcore_a_SOURCES += \
	src/xen_bzimage.c src/xen_bzimage.h \
	src/xen_image.c src/xen_image.h \
	src/xen_initrd.c src/xen_initrd.h \
	src/xen_initrd_cpio.c src/xen_initrd_cpio.h \
	src/xen_notes.c src/xen_notes.h \
	src/xen_patch.c src/xen_patch.h \
	src/xen_unpack.c src/xen_unpack.h
AM_CPPFLAGS += $(UNPACK_CFLAGS)

# Xen-PV memory management (xen_mm.h): page types, mmu_update, mmuext_op,
# update_va_mapping, memory_op.
src_libhvcore_a_SOURCES += \
	src/xen_memory.c \
	src/xen_mm.c src/xen_mm.h \
	src/xen_mm_ext.c \
	src/xen_mm_type.c src/xen_mm_type.h

src_hvcore_SOURCES = src/main.c
src_hvcore_LDADD = src/libhvcore.a $(XXHASH_LIBS)
src_hvcore_LDADD += $(UNPACK_LIBS)

# The Xen PV personality's core (xen.h, docs/xen-pv.md): the domain
# builder, the vCPU's stubs and traps, hypercall dispatch.
src_libhvcore_a_SOURCES += \
	src/xen.h \
	src/xen_cpuid.c \
	src/xen_domain.c src/xen_domain.h \
	src/xen_fastcall.c src/xen_fastcall.h src/xen_fastcall_abi.h \
	src/xen_guest_mem.c \
	src/xen_hypercall.c src/xen_hypercall.h \
	src/xen_layout.c src/xen_layout.h \
	src/xen_ptwr.c src/xen_ptwr.h \
	src/xen_regs.c \
	src/xen_syscall_stub.S \
	src/xen_cli_stub.S \
	src/xen_trap.c src/xen_trap.h \
	src/xen_vcpu.c src/xen_vcpu.h

# Xen PV events, time, scheduling ops, console ring and the small
# hypercalls (X3).
src_libhvcore_a_SOURCES += \
	src/xen_console.c src/xen_console.h \
	src/xen_evtchn.c src/xen_evtchn.h \
	src/xen_misc.c \
	src/xen_sched.c src/xen_sched.h \
	src/xen_time.c src/xen_time.h

# hvcore's own xenstore for Xen-PV guests (xen_store.h, X4): the ring and
# the entry points, the requests, the tree.
src_libhvcore_a_SOURCES += \
	src/xen_store.c src/xen_store.h src/xen_store_conn.h \
	src/xen_store_req.c \
	src/xen_store_tree.c src/xen_store_tree.h
