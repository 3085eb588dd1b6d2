# guest/local.mk - pvboot, the freestanding pv guest kernel.
#
# Built by an explicit rule with its own fixed flags, not as an automake
# program: configure-time CFLAGS (sanitizers, coverage, -fPIE defaults)
# belong to hvcore and would break a kernel that has no libc and runs at
# CPL 3 without FPU state.  All sources go through one compiler run; the
# kernel is small enough that rebuilding it whole costs nothing.

PVBOOT_SRCS = \
	guest/start.S \
	guest/main.c \
	guest/console.c \
	guest/printf.c \
	guest/lib.c \
	guest/evtchn.c \
	guest/time.c \
	guest/smp.c \
	guest/mm.c \
	guest/balloon.c \
	guest/shutdown.c \
	guest/workloads/hello.c \
	guest/workloads/counter.c \
	guest/workloads/smp_report.c \
	guest/workloads/balloon_fill.c \
	guest/workloads/memtouch.c \
	guest/workloads/memcheck.c \
	guest/workloads/shell.c \
	guest/workloads/crash.c \
	guest/workloads/hostile.c \
	guest/workloads/hostile_gen.c \
	guest/workloads/hostile_values.c \
	guest/workloads/bench.c \
	guest/workloads/abi_errors.c \
	guest/virtio.c \
	guest/blk.c \
	guest/net.c \
	guest/workloads/disk.c \
	guest/workloads/diskcheck.c \
	guest/workloads/diskio.c \
	guest/workloads/diskbench.c \
	guest/workloads/hostile_virtq.c \
	guest/workloads/net_echo.c \
	guest/workloads/netbench.c

PVBOOT_HDRS = \
	guest/kernel.h \
	guest/hypercall.h \
	guest/spinlock.h \
	guest/console.h \
	guest/printf.h \
	guest/lib.h \
	guest/evtchn.h \
	guest/time.h \
	guest/smp.h \
	guest/mm.h \
	guest/workloads/workloads.h \
	guest/workloads/hostile.h \
	guest/virtio.h \
	guest/blk.h \
	guest/net.h \
	guest/workloads/disk.h \
	guest/workloads/net_args.h

PVBOOT_PUBLIC_HDRS = \
	include/public/hvabi.h \
	include/public/errno.h \
	include/public/layout.h \
	include/public/hypercall.h \
	include/public/start_info.h \
	include/public/shared_info.h \
	include/public/console.h \
	include/public/device.h

# -mgeneral-regs-only: hvcore does not save FPU/SSE state across upcalls.
# No -mno-red-zone: upcalls are entered below the interrupted red zone.
# No -no-pie: -static with -fno-pie already links a fixed-address ET_EXEC,
# and clang rejects -no-pie next to -static under -Werror.
PVBOOT_COMPILE_FLAGS = -std=c11 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fcf-protection=none -fno-asynchronous-unwind-tables -mgeneral-regs-only \
	-O2 -Wall -Wextra -Werror \
	-I$(srcdir)/include -I$(srcdir)/guest
PVBOOT_LINK_FLAGS = -nostdlib -static -Wl,--build-id=none \
	-Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,-T,$(srcdir)/guest/pvboot.ld

guest/pvboot: $(PVBOOT_SRCS) $(PVBOOT_HDRS) $(PVBOOT_PUBLIC_HDRS) guest/pvboot.ld
	@$(MKDIR_P) guest
	$(AM_V_GEN)srcs=; for f in $(PVBOOT_SRCS); do srcs="$$srcs $(srcdir)/$$f"; done; \
	$(CC) $(PVBOOT_COMPILE_FLAGS) $(PVBOOT_LINK_FLAGS) -o $@ $$srcs

# Installed where hvcore looks up a kernel named without a path
# (src/guest_dir.h), so `<kernel>pvboot</kernel>` boots it after
# `make install`.
guestkerneldir = $(pkgdatadir)
guestkernel_DATA = guest/pvboot
CLEANFILES += guest/pvboot
EXTRA_DIST += $(PVBOOT_SRCS) $(PVBOOT_HDRS) guest/pvboot.ld guest/README.md
