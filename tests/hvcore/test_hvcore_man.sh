#!/bin/sh
# Every option hvcore --help lists is documented in man/hvcore.8, and
# every option the man page documents is one hvcore accepts.
set -eu
man="$HV_SRCDIR/man/hvcore.8"
help=$("$HVCORE" --help)

from_help=$(printf '%s\n' "$help" | grep -oE -- '--[a-z][a-z-]*' | sort -u)
# man(7) escapes hyphens: \-\-kernel
from_man=$(sed 's/\\-/-/g' "$man" | grep -oE -- '--[a-z][a-z-]*' | sort -u)

status=0
for o in $from_help; do
    printf '%s\n' "$from_man" | grep -qx -- "$o" || { echo "not in hvcore.8: $o"; status=1; }
done
for o in $from_man; do
    printf '%s\n' "$from_help" | grep -qx -- "$o" || { echo "in hvcore.8 but not in --help: $o"; status=1; }
done
n=$(printf '%s\n' "$from_help" | wc -l)
[ "$status" -eq 0 ] && echo "hvcore: $n options, all documented"
exit "$status"
