#!/bin/sh
# After `make install` there is something to boot: pvboot is installed in
# hvcore's guest directory, and a kernel named without a path is found
# there, by hvcore directly and through hvctl with <kernel>pvboot</kernel>.
# (Installs hypervisor/ into a scratch DESTDIR; the build tree is left as
# it was.)
set -eu
[ -w /dev/kvm ] || { echo "SKIP: /dev/kvm is not usable"; exit 77; }
tmp=$(mktemp -d /tmp/hvctl-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

make -s -C "$HV_BUILDDIR/hypervisor" install DESTDIR="$tmp/root" \
    >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "make install"; }
pvboot=$(find "$tmp/root" -path '*/share/hvcore/pvboot' -type f)
hvcore=$(find "$tmp/root" -path '*/bin/hvcore' -type f)
[ -n "$pvboot" ] || fail "pvboot is not installed under share/hvcore"
[ -n "$hvcore" ] || fail "hvcore is not installed under bin"
guestdir=$(dirname "$pvboot")

# The installed hvcore looks in its own guest directory, which a DESTDIR
# install moved: point it there, as a packager's test would.
out=$(HVCORE_GUEST_DIR=$guestdir "$hvcore" --kernel pvboot --memory 16 \
      --cmdline hello --rundir "$tmp/run" 2>&1) || fail "hvcore --kernel pvboot: $out"
case $out in
*"pvboot: hello from domain"*) ;;
*) fail "no hello from the installed pvboot: $out" ;;
esac

# A bare name that is not installed: the message names where it looked.
if out=$(HVCORE_GUEST_DIR=$guestdir "$hvcore" --kernel no-such-guest \
         --memory 16 --rundir "$tmp/run" 2>&1); then
    fail "a missing guest booted"
fi
[ "$out" = "hvcore: cannot open $guestdir/no-such-guest: No such file or directory" ] ||
    fail "unexpected message: $out"

# An empty name, and a guest directory too long to make a path with.
out=$("$hvcore" --kernel "" --memory 16 2>&1) && fail "an empty --kernel ran"
[ "$out" = "hvcore: --kernel is empty
Try 'hvcore --help'." ] || fail "unexpected message: $out"
long=$(printf '%05000d' 0)
out=$(HVCORE_GUEST_DIR=/$long "$hvcore" --kernel pvboot --memory 16 2>&1) &&
    fail "a path over PATH_MAX ran"
[ "$out" = "hvcore: --kernel pvboot: the guest directory (\$HVCORE_GUEST_DIR) makes a path over 4095 bytes" ] ||
    fail "unexpected message: $out"

# Through hvctl: the configuration names the guest, not a build tree.
cat >"$tmp/named.xml" <<XML
<domain type="pv">
  <name>named</name>
  <memory unit="MiB">16</memory>
  <os><kernel>pvboot</kernel><cmdline>counter</cmdline></os>
</domain>
XML
export HVCTL_RUNDIR="$tmp/run" HVCORE_PATH="$hvcore" HVCORE_GUEST_DIR="$guestdir"
hvctl="$HV_BUILDDIR/cli/hvctl"
out=$("$hvctl" create "$tmp/named.xml" 2>&1) || fail "hvctl create: $out"
state=$("$hvctl" info --json named | grep -o '"state": *"[a-z]*"') ||
    fail "hvctl info named"
"$hvctl" destroy named >/dev/null
[ "$state" = '"state": "running"' ] || fail "named is $state"
echo "pvboot installed as $guestdir/pvboot; booted by name directly and through hvctl"
