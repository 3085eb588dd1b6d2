#!/bin/sh
# Install the Debian packages hvctl needs to build, test and benchmark,
# but only those that are missing (so a prepared machine pays nothing).
#   scripts/install-deps.sh [PACKAGE...]
set -eu

# libclang-rt-14-dev: clang's sanitizer and libFuzzer runtimes (make fuzz),
# only "recommended" by clang, so --no-install-recommends leaves it out.
# liburing-dev: hvblk's io_uring.  qemu-system-common: qemu-storage-daemon,
# a vhost-user-blk back end nobody here wrote, which the device tests use;
# qemu-utils: qemu-img makes the qcow2 image it serves.
# iproute2: the network tests make namespaces, veth pairs and bridges;
# iputils-ping: they ping a guest from its namespace.
# liblzma, liblz4, libzstd, zlib: hvcore unpacks bzImage kernels (xz, lz4,
# zstd, gzip payloads) and checks initrds; cpio: the Linux-guest tests
# pack a busybox initramfs.
PKGS="build-essential autoconf automake libtool pkg-config clang
libclang-rt-14-dev
linux-libc-dev libcmocka-dev libxml2-dev libxml2-utils libjson-c-dev
libsqlite3-dev sqlite3 libevent-dev libssl-dev openssl libcurl4-openssl-dev
curl wrk procps libyaml-dev groff-base libxxhash-dev
liburing-dev iproute2 iputils-ping qemu-system-common qemu-utils
liblzma-dev liblz4-dev libzstd-dev zlib1g-dev cpio"

# Arguments name other packages instead (install-bench-deps.sh).
[ $# -gt 0 ] && PKGS="$*"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "$(basename "$0"): installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
