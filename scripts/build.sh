#!/bin/sh
# Configure and build hvctl in a build directory (default: build/).
#   scripts/build.sh [BUILDDIR] [configure options...]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${1:-"$top/build"}
[ $# -gt 0 ] && shift

"$top/scripts/install-deps.sh"
if [ ! -x "$top/configure" ] || [ ! -x "$top/hypervisor/configure" ] ||
   [ "$top/configure.ac" -nt "$top/configure" ] ||
   [ "$top/hypervisor/configure.ac" -nt "$top/hypervisor/configure" ]; then
    (cd "$top" && autoreconf -fi >/dev/null 2>&1 || autoreconf -fi)
fi
mkdir -p "$builddir"
cd "$builddir"
if [ ! -f Makefile ] || [ "$top/configure" -nt config.status ]; then
    "$top/configure" --enable-werror "$@" >/dev/null
fi
make -j"$(nproc)" >/dev/null
echo "build: ok ($builddir)"
