#!/bin/sh
# The main job, from a fresh Debian machine: install what is missing, build,
# and boot pvboot domains under hvcore, showing their consoles.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"

"$top/scripts/build.sh" "$build"
hvcore="$build/hypervisor/src/hvcore"
pvboot="$build/hypervisor/guest/pvboot"
rundir=$(mktemp -d /tmp/hvctl-quickstart.XXXXXX)
trap 'rm -rf "$rundir"' EXIT

if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "quickstart: /dev/kvm is not usable here: cannot boot domains" >&2
    exit 1
fi

echo "== hvcore --kernel pvboot --memory 64 --cmdline hello"
"$hvcore" --kernel "$pvboot" --memory 64 --cmdline hello --rundir "$rundir" --name hello
echo "   (exit status $?: the guest powered off)"

echo "== a 2-vCPU domain running 'counter' for half a second, then a shutdown request"
"$hvcore" --kernel "$pvboot" --memory 64 --vcpus 2 --cmdline counter --rundir "$rundir" \
    --name demo --console-log "$rundir/demo.log" --console none &
pid=$!
sleep 0.5
kill -TERM "$pid"
wait "$pid" || true
head -n 3 "$rundir/demo.log"; echo "   ..."; tail -n 2 "$rundir/demo.log"
echo "quickstart: ok"
