#!/bin/sh
# make check: run examples/embed on a real pvboot domain in a private
# runtime directory.  SKIP (77) where domains cannot run.
set -u
if [ ! -x "${HVCORE:-}" ] || [ ! -r "${PVBOOT:-}" ]; then
    echo "SKIP: no built hvcore/pvboot"; exit 77
fi
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
    echo "SKIP: /dev/kvm is not usable"; exit 77
fi
rundir=$(mktemp -d /tmp/hvctl-embed-XXXXXX)
trap 'rm -rf "$rundir"' EXIT
HVCTL_RUNDIR=$rundir HVCORE_PATH=$HVCORE "${HV_BUILDDIR:-.}/examples/embed" "$PVBOOT" >"$rundir/out" 2>&1
rc=$?
cat "$rundir/out"
[ $rc -eq 0 ] || exit 1
grep -q '^paused$' "$rundir/out" && grep -q '^destroyed$' "$rundir/out" &&
    grep -q 'counter ' "$rundir/out"
