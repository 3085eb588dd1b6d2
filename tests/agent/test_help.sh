#!/bin/sh
# Every long option `hvctld --help` lists is documented in man/hvctld.8,
# and every option the man page documents is in --help: the two cannot
# drift apart.  Also: --help and --version exit 0, a bad option exits 2.
set -u
hvctld=${HV_BUILDDIR:-.}/agent/hvctld
man=${HV_SRCDIR:-.}/man/hvctld.8
fail=0

"$hvctld" --help > help.out.$$ || { echo "--help exited $?"; fail=1; }
"$hvctld" --version | grep -q '^hvctld [0-9]' || { echo "--version"; fail=1; }
"$hvctld" --no-such-option 2>/dev/null; st=$?
[ "$st" -eq 2 ] || { echo "a bad option exits $st, not 2"; fail=1; }

help_opts=$(grep -o -- '--[a-z][a-z-]*' help.out.$$ | sort -u)
# In the man page, options are written \-\-name (roff escapes).
man_opts=$(sed -n 's/\\-/-/g; s/^\.BR* *//p' "$man" | grep -o -- '--[a-z][a-z-]*' | sort -u)
rm -f help.out.$$

for o in $help_opts; do
    echo "$man_opts" | grep -qx -- "$o" || { echo "$o: in --help, not in $man"; fail=1; }
done
for o in $man_opts; do
    echo "$help_opts" | grep -qx -- "$o" || { echo "$o: in $man, not in --help"; fail=1; }
done
[ "$fail" -eq 0 ] && echo "# $(echo "$help_opts" | wc -l) options, in --help and the man page"
exit $fail
