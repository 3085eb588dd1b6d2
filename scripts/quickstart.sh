#!/bin/sh
# The main job, from a fresh Debian machine: install what is missing, build,
# start the agent (hvctld, with its embedded SQLite database), and drive a
# pvboot domain through it with the hvctl command: define, start, watch its
# console, pause, resume, shut down.
#
# Uses the standard locations (database /var/lib/hvctl/hvctl.db, runtime
# directory /run/hvctl) unless HVCTL_DB / HVCTL_RUNDIR say otherwise.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"

"$top/scripts/build.sh" "$build"
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "quickstart: /dev/kvm is not usable here: cannot boot domains" >&2
    exit 1
fi

# The built tree, not an installed one.
export HVCORE_PATH="$build/hypervisor/src/hvcore"
# hvcore runs the in-tree device back ends (hvblk, hvnet) from here.
export HVCORE_BACKEND_DIR="$build/hypervisor/backends"
export HVCTL_RUNDIR="${HVCTL_RUNDIR:-/run/hvctl}"
db="${HVCTL_DB:-/var/lib/hvctl/hvctl.db}"
pvboot="$build/hypervisor/guest/pvboot"
hvctl="$build/cli/hvctl"
work=$(mktemp -d /tmp/hvctl-quickstart.XXXXXX)
agent_pid=""
cleanup() {
    "$hvctl" destroy quickstart >/dev/null 2>&1 || true
    "$hvctl" destroy disk >/dev/null 2>&1 || true
    "$hvctl" undefine quickstart >/dev/null 2>&1 || true
    [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$(dirname "$db")"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

echo "== hvctld --db $db (SQLite), socket $HVCTL_RUNDIR/hvctld.sock"
"$build/agent/hvctld" --db "$db" --rundir "$HVCTL_RUNDIR" --quiet &
agent_pid=$!
for _ in $(seq 100); do [ -S "$HVCTL_RUNDIR/hvctld.sock" ] && break; sleep 0.05; done

cat > "$work/quickstart.xml" <<XML
<domain type="pv">
  <name>quickstart</name>
  <memory unit="MiB">64</memory>
  <vcpus>2</vcpus>
  <os>
    <kernel>$pvboot</kernel>
    <cmdline>counter</cmdline>
  </os>
  <devices>
    <console><log file="$work/console.log"/></console>
  </devices>
</domain>
XML

step "$hvctl" version
step "$hvctl" define "$work/quickstart.xml"
step "$hvctl" start quickstart
sleep 0.3
step "$hvctl" list --all
step "$hvctl" info quickstart
printf '\n-- its console (counter ticks every 10 ms):\n'
tail -n 3 "$work/console.log"
step "$hvctl" pause quickstart
sleep 0.3
a=$(tail -n 1 "$work/console.log")
sleep 0.3
b=$(tail -n 1 "$work/console.log")
echo "paused: the counter stays at '$a' -> '$b'"
step "$hvctl" unpause quickstart
sleep 0.2
tail -n 1 "$work/console.log"
step "$hvctl" shutdown --wait --timeout 10 quickstart
tail -n 2 "$work/console.log"
step "$hvctl" undefine quickstart

echo
echo "== a disk: a 16 MiB file served by hvblk, a back end in its own process;"
echo "   the guest (pvboot diskio) writes, flushes, reads back and verifies it"
truncate -s 16M "$work/disk.img"
sed -e 's/<name>quickstart</<name>disk</' -e 's/>counter</>diskio</' \
    -e "s|<devices>|<devices><disk type=\"file\" device=\"disk\"><source file=\"$work/disk.img\"/><target dev=\"vda\" bus=\"virtio\"/></disk>|" \
    -e "s|console.log|disk-console.log|" "$work/quickstart.xml" > "$work/disk.xml"
step "$hvctl" create "$work/disk.xml"
for _ in $(seq 100); do grep -q "pass 2 ok" "$work/disk-console.log" 2>/dev/null && break; sleep 0.05; done
step "$hvctl" devices disk
grep "diskio: vda" "$work/disk-console.log" | head -n 3
step "$hvctl" destroy disk

echo
echo "== a one-shot domain: hvctl create --console (pvboot hello)"
sed -e 's/<name>quickstart</<name>hello</' -e 's/>counter</>hello</' \
    -e '/<devices>/,/<\/devices>/d' "$work/quickstart.xml" > "$work/hello.xml"
"$hvctl" create --console "$work/hello.xml" </dev/null
echo
echo "quickstart: ok"
