#!/bin/sh
# make check: examples/remote reaches a second hvctld over TLS (a test CA,
# a server certificate for 127.0.0.1 and a client certificate, all made
# here with openssl(1)), lists its domains, and defines, starts, destroys
# and undefines a pvboot domain there.  A client that trusts another CA
# gets a one-line error.  SKIP (77) where domains cannot run or openssl is
# missing.
set -u
if [ ! -x "${HVCORE:-}" ] || [ ! -r "${PVBOOT:-}" ]; then
    echo "SKIP: no built hvcore/pvboot"; exit 77
fi
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
    echo "SKIP: /dev/kvm is not usable"; exit 77
fi
command -v openssl >/dev/null || { echo "SKIP: no openssl(1)"; exit 77; }
b=${HV_BUILDDIR:-.}
d=$(mktemp -d /tmp/hvctl-remote-XXXXXX)
agent=
cleanup() {
    [ -n "$agent" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
    rm -rf "$d"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# The agent's host is a runtime directory of its own: "another host".
export HVCTL_RUNDIR=$d/other-host HVCORE_PATH=$HVCORE
mkdir -p "$HVCTL_RUNDIR"
(
    cd "$d" || exit 1
    ca() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
             -nodes -keyout "$1.key" -out "$1.pem" -days 2 -subj "/CN=$1"; }
    cert() {    # cert CA NAME EXT
        printf '%s\n' "$3" >"$2.ext" &&
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
            -nodes -keyout "$2.key" -out "$2.csr" -subj "/CN=$2" &&
        openssl x509 -req -in "$2.csr" -CA "$1.pem" -CAkey "$1.key" \
            -CAcreateserial -days 2 -out "$2.pem" -extfile "$2.ext"
    }
    ca ca && ca other-ca &&
    cert ca srv "subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth" &&
    cert ca client "extendedKeyUsage=clientAuth"
) >"$d/openssl.log" 2>&1 || { cat "$d/openssl.log"; fail "openssl"; }

# A free port is only free until someone takes it: retry on another.
for attempt in 1 2 3 4 5 6 7 8 9 10; do
    port=$(( 20000 + ($$ * 7 + attempt * 7919) % 40000 ))
    "$b/agent/hvctld" --db "$d/hvctl.db" --rundir "$HVCTL_RUNDIR" \
        --no-autostart --listen "127.0.0.1:$port" --tls-cert "$d/srv.pem" \
        --tls-key "$d/srv.key" --tls-ca "$d/ca.pem" >"$d/hvctld.log" 2>&1 &
    agent=$!
    tries=0
    while kill -0 "$agent" 2>/dev/null; do
        # Listening once a TCP connect succeeds (bash-free: ask openssl).
        if [ -S "$HVCTL_RUNDIR/hvctld.sock" ] &&
           openssl s_client -connect "127.0.0.1:$port" </dev/null \
               >/dev/null 2>&1; then
            break 2
        fi
        tries=$((tries + 1))
        [ $tries -lt 3000 ] || fail "hvctld did not listen in 30 s"
        sleep 0.01
    done
    wait "$agent" 2>/dev/null
    agent=
done
[ -n "$agent" ] || { cat "$d/hvctld.log"; fail "hvctld never listened"; }

# Elsewhere: the client's own runtime directory has nothing to do with it.
export HVCTL_RUNDIR=$d/this-host
uri="https://127.0.0.1:$port?cacert=$d/ca.pem&cert=$d/client.pem&key=$d/client.key"
"$b/examples/remote" "$uri" "$PVBOOT" >"$d/out" 2>&1
rc=$?
[ $rc -eq 0 ] || { cat "$d/out"; fail "examples/remote exited $rc"; }
cat "$d/out"
for line in "connected to https://127.0.0.1:$port (agent driver)" \
            "0 domain(s)" "defined remote-example" \
            "started remote-example: running" "destroyed remote-example" \
            "undefined remote-example"; do
    grep -qxF "$line" "$d/out" || fail "no line '$line'"
done

# Trusting another CA: refused, in one line that names the connection.
"$b/examples/remote" "https://127.0.0.1:$port?cacert=$d/other-ca.pem&cert=$d/client.pem&key=$d/client.key" \
    >"$d/bad" 2>&1 && fail "a client trusting another CA got through"
cat "$d/bad"
[ "$(wc -l <"$d/bad")" -eq 1 ] || fail "the error is not one line"
grep -q "^remote: connection 'https://127.0.0.1:$port': " "$d/bad" ||
    fail "the error does not name the connection"
echo "PASS: examples/remote over TLS"
