#!/bin/sh
# linux_fetch.sh CACHE_DIR - put Debian's cloud kernel and busybox-static,
# unpacked (never installed), in CACHE_DIR for the Linux-guest tests.
#
# Once done, CACHE_DIR/ready holds one key=value a line:
#     release=6.1.0-NN-cloud-amd64      (what `uname -r` says in the guest)
#     vmlinuz=CACHE_DIR/tree/boot/vmlinuz-<release>
#     system_map=CACHE_DIR/tree/boot/System.map-<release>
#     busybox=CACHE_DIR/tree/bin/busybox
# and nothing is fetched again.  Two runs at once are serialised by a lock
# on CACHE_DIR/.lock; the packages are unpacked into a temporary directory
# renamed into place, and `ready` is written last (through a rename), so
# an interrupted run leaves no half tree that looks done.
#
# Exit status: 0 ready; 77 the packages cannot be fetched here (no apt, no
# network, unknown package): one line on stderr says why; 1 any other
# failure (one line on stderr).
set -u

KERNEL_META=linux-image-cloud-amd64
BUSYBOX=busybox-static

die() { echo "linux_fetch: $*" >&2; exit 1; }
skip() { echo "linux_fetch: $*" >&2; exit 77; }

if [ $# -ne 1 ] || [ -z "$1" ]; then
    die "usage: linux_fetch.sh CACHE_DIR"
fi
mkdir -p "$1" 2>/dev/null || die "cannot create cache directory $1"
cache=$(cd "$1" && pwd) || die "cannot enter cache directory $1"

command -v flock >/dev/null 2>&1 || die "flock(1) is missing (util-linux)"
exec 9>"$cache/.lock" || die "cannot open $cache/.lock"
flock 9 || die "cannot lock $cache/.lock"
[ -f "$cache/ready" ] && exit 0
# Work directories of runs killed before they could remove them (the lock
# is ours: no run is using them).
rm -rf "$cache"/.work.*

command -v apt-get >/dev/null 2>&1 || skip "apt-get is missing: cannot fetch $KERNEL_META"
command -v dpkg-deb >/dev/null 2>&1 || skip "dpkg-deb is missing: cannot unpack $KERNEL_META"

work=$(mktemp -d "$cache/.work.XXXXXX") || die "cannot make a directory in $cache"
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM

# As root apt-get drops to the _apt user to write the file: let it write as
# root instead (the work directory is root's 0700 one).
apt_opts=
[ "$(id -u)" -eq 0 ] && apt_opts="-o APT::Sandbox::User=root"

# download PACKAGE: the .deb's path on stdout, or exit 77 saying why.
download() {
    # shellcheck disable=SC2086  # apt_opts is empty or two words
    if ! (cd "$work" && apt-get download $apt_opts "$1") >"$work/apt.log" 2>&1; then
        why=$(grep -m 1 -E '^E:' "$work/apt.log" || grep -m 1 -E '^(W|Err):' "$work/apt.log")
        skip "apt-get download $1 failed: ${why:-see apt-get} (no network, or run apt-get update)"
    fi
    for deb in "$work/$1"_*.deb; do
        [ -f "$deb" ] && echo "$deb" && return 0
    done
    skip "apt-get download $1 left no .deb"
}

meta=$(download "$KERNEL_META") || exit $?
# Depends: "linux-image-6.1.0-NN-cloud-amd64 (= ...)": the real kernel.
kpkg=$(dpkg-deb -f "$meta" Depends | tr '|' ',' | tr ',' '\n' |
       sed 's/(.*//; s/[[:space:]]//g' | grep -E '^linux-image-[0-9]' | head -n 1)
[ -n "$kpkg" ] || die "$KERNEL_META depends on no linux-image-<version> package"
release=${kpkg#linux-image-}
kdeb=$(download "$kpkg") || exit $?
bdeb=$(download "$BUSYBOX") || exit $?

tree="$work/tree"
mkdir "$tree" || die "cannot make $tree"
for deb in "$kdeb" "$bdeb"; do
    dpkg-deb -x "$deb" "$tree" 2>"$work/dpkg.log" ||
        die "dpkg-deb -x $(basename "$deb") failed: $(head -n 1 "$work/dpkg.log")"
done
vmlinuz="boot/vmlinuz-$release"
sysmap="boot/System.map-$release"
for f in "$vmlinuz" "$sysmap" bin/busybox; do
    [ -f "$tree/$f" ] || die "$f is not in the unpacked packages"
done
# Only the kernel image, its map and busybox are used: the modules are
# most of the unpacked size.
rm -rf "${tree:?}/lib" "${tree:?}/usr/lib/modules"

# A tree left by an interrupted run (renamed but no ready) goes first.
rm -rf "$cache/tree"
mv "$tree" "$cache/tree" || die "cannot rename $tree to $cache/tree"
{
    echo "release=$release"
    echo "vmlinuz=$cache/tree/$vmlinuz"
    echo "system_map=$cache/tree/$sysmap"
    echo "busybox=$cache/tree/bin/busybox"
} >"$work/ready" || die "cannot write $work/ready"
mv "$work/ready" "$cache/ready" || die "cannot rename $work/ready to $cache/ready"
exit 0
