#!/bin/sh
# Every option hvcore --help lists is documented in man/hvcore.8, and
# every option the man page documents is one hvcore accepts; the exit
# statuses of public/exit_status.h are those both document.
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

# Every exit status public/exit_status.h names is in the man page's EXIT
# STATUS section, as ".TP <number> <NAME>: ...", and in --help; and the
# section lists no other.
hdr="$HV_SRCDIR/hypervisor/include/public/exit_status.h"
section=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH SEE/p' "$man" | tr '\n' ' ')
help_line=$(printf '%s\n' "$help" | sed -n '/^Exit status:/,$p' | tr '\n' ' ')
codes=$(sed -n 's/^#define \(HVCORE_EXIT_[A-Z_]*\) *\([0-9][0-9]*\)$/\1=\2/p' "$hdr")
[ -n "$codes" ] || { echo "no HVCORE_EXIT_* in $hdr"; status=1; }
for c in $codes; do
    name=${c%=*} num=${c#*=}
    case "$section" in
    *".TP $num $name: "*) ;;
    *) echo "not in hvcore.8 EXIT STATUS: $num $name"; status=1 ;;
    esac
    case "$help_line" in
    *" $num "*) ;;
    *) echo "not in hvcore --help: exit status $num"; status=1 ;;
    esac
done
documented=$(printf '%s\n' "$section" | grep -o '\.TP [0-9]* HVCORE_EXIT_' | wc -l)
[ "$documented" -eq "$(printf '%s\n' "$codes" | wc -l)" ] ||
    { echo "hvcore.8 EXIT STATUS lists $documented statuses, exit_status.h $(printf '%s\n' "$codes" | wc -l)"; status=1; }

n=$(printf '%s\n' "$from_help" | wc -l)
[ "$status" -eq 0 ] && echo "hvcore: $n options, all documented; exit statuses: $(echo $codes)"
exit "$status"
