#!/bin/sh
# Install what `make bench` needs beyond scripts/install-deps.sh, only
# where missing: QEMU, whose migration is the peer figure of
# bench-migrate (../shared/peers/qemu-migrate.sh also needs gcc and
# python3), and fio, the host's own I/O figure bench-io compares the
# guest's disk against.  Kept apart so that machines that only build and run
# `make check` never install QEMU.
set -eu
exec "$(dirname "$0")/install-deps.sh" qemu-system-x86 python3 gcc fio
