#!/bin/sh
# make check: run examples/embed on a real pvboot domain in a private
# runtime directory, twice: with no agent (hvctl:///system is then the
# direct driver: transient domains only), and with a real hvctld in that
# runtime directory (hvctl:///system is then the agent: the example also
# defines, starts and undefines a persistent domain).  SKIP (77) where
# domains cannot run.
set -u
if [ ! -x "${HVCORE:-}" ] || [ ! -r "${PVBOOT:-}" ]; then
    echo "SKIP: no built hvcore/pvboot"; exit 77
fi
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
    echo "SKIP: /dev/kvm is not usable"; exit 77
fi
b=${HV_BUILDDIR:-.}
rundir=$(mktemp -d /tmp/hvctl-embed-XXXXXX)
agent=
cleanup() {
    [ -n "$agent" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
    rm -rf "$rundir"
}
trap cleanup EXIT
export HVCTL_RUNDIR=$rundir/run HVCORE_PATH=$HVCORE

run() {     # run <label>: the example, its output kept and shown
    "$b/examples/embed" "$PVBOOT" >"$rundir/$1.out" 2>&1
    rc=$?
    sed "s/^/$1: /" "$rundir/$1.out"
    [ $rc -eq 0 ] || { echo "FAIL: embed ($1) exited $rc"; exit 1; }
}
has() {     # has <label> <line pattern>
    grep -q "$2" "$rundir/$1.out" || { echo "FAIL: $1: no line '$2'"; exit 1; }
}

run direct
has direct '(direct driver)$'
has direct '^paused$'
has direct '^destroyed$'
has direct 'counter '
grep -q '^defined' "$rundir/direct.out" &&
    { echo "FAIL: the direct driver defined a domain"; exit 1; }

mkdir -p "$HVCTL_RUNDIR"
"$b/agent/hvctld" --db "$rundir/hvctl.db" --rundir "$HVCTL_RUNDIR" \
    --no-autostart >"$rundir/hvctld.log" 2>&1 &
agent=$!
tries=0
until [ -S "$HVCTL_RUNDIR/hvctld.sock" ]; do
    kill -0 "$agent" 2>/dev/null ||
        { cat "$rundir/hvctld.log"; echo "FAIL: hvctld exited"; exit 1; }
    tries=$((tries + 1))
    [ $tries -lt 3000 ] || { echo "FAIL: no hvctld socket in 30 s"; exit 1; }
    sleep 0.01
done

run agent
has agent '(agent driver)$'
has agent '^destroyed$'
has agent '^defined embed-persistent$'
has agent '^started embed-persistent: id [0-9]*, running, persistent 1, autostart 1$'
has agent '^stored definition: embed-persistent, counter$'
has agent '^destroyed: shutoff$'
has agent '^undefined$'
echo "PASS: embed, direct and through hvctld"
