#!/bin/sh
# Install what `make bench` needs beyond scripts/install-deps.sh, only
# where missing: QEMU, whose migration is the peer figure of
# bench-migrate (../shared/peers/qemu-migrate.sh also needs gcc and
# python3).  Kept apart so that machines that only build and run
# `make check` never install QEMU.
set -eu

PKGS="qemu-system-x86 python3 gcc"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "install-bench-deps: installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
