#!/bin/sh
# make check: the ABI promises of libhvctl (issue 3).
#  - the SONAME is libhvctl.so.0;
#  - nm -D exports nothing but hv_* symbols, every one versioned;
#  - hvctl.h stands alone (C99 and C++), defines HV_API_VERSION and the
#    HV_HAVE_* macros, and declares no struct layout a caller could use;
#  - hvctl.pc gives the right flags.
set -eu
b=${HV_BUILDDIR:-.}
s=${HV_SRCDIR:-.}
lib=$b/libctl/.libs/libhvctl.so.0
fail=0
bad() { echo "FAIL: $*"; fail=1; }

[ -e "$lib" ] || { echo "FAIL: $lib not built"; exit 1; }

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libhvctl.so.0 ] || bad "SONAME is '$soname'"

syms=$(nm -D --defined-only "$lib" | awk '{print $3}')
n=0
for sym in $syms; do
    case $sym in
        HVCTL_0.[0-9]*) ;;                      # the version nodes themselves
        hv_*@@HVCTL_*) n=$((n + 1)) ;;
        hv_*@HVCTL_*)                           # an older form (compat.c)
            echo "$syms" | grep -q "^${sym%%@*}@@" ||
                bad "older form without a current one: $sym" ;;
        *) bad "exported symbol without hv_ prefix or version: $sym" ;;
    esac
done
[ "$n" -ge 60 ] || bad "only $n hv_* symbols exported"
echo "exported: $n hv_* symbols, all versioned"

# The exports, with their version nodes, are exactly the committed list:
# a symbol that appears, disappears or moves to another node is an ABI
# change, made on purpose together with tests/data/abi/libhvctl.exports.
want=$s/tests/data/abi/libhvctl.exports
got=$(printf '%s\n' $syms | grep -v '^HVCTL_' | sort)
if [ "$got" != "$(sort "$want")" ]; then
    bad "exports differ from $want:"
    printf '%s\n' "$got" | diff "$want" - | sed -n 's/^[<>]/    &/p'
fi
# And the version script names every symbol: no glob exports by accident.
grep -q '^[[:space:]]*hv_[a-z_0-9]*\*' "$s/libctl/libhvctl.sym" &&
    bad "libhvctl.sym exports by pattern; list each symbol by name"

# Every function the header declares is exported, and nothing else is.
decl=$(grep -o '\bhv_[a-z_0-9]*(' "$s/libctl/hvctl.h" | tr -d '(' | sort -u)
# hvctld's private entries (HVCTL_0.5_PRIVATE) are declared in their own,
# uninstalled header, and checked the same way.
priv=$(grep -o '\bhv_priv_[a-z_0-9]*(' "$s/libctl/priv_hvctld.h" | tr -d '(' |
       sort -u)
decl=$(printf '%s\n%s\n' "$decl" "$priv" | sort -u)
for f in $decl; do
    echo "$syms" | grep -q "^$f@@" || bad "declared but not exported: $f"
done
for sym in $syms; do
    f=${sym%%@*}
    case $f in HVCTL_*) continue ;; esac
    echo "$decl" | grep -qx "$f" || bad "exported but not declared: $f"
done

tmp=$(mktemp -d /tmp/hvctl-abi-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/t.c" <<'C'
#include <hvctl.h>
#if !defined(HV_API_VERSION) || !defined(HV_HAVE_EVENTS) || \
    !defined(HV_HAVE_CONFIG_XML) || !defined(HV_HAVE_CONFIG_JSON)
#error feature macros missing
#endif
int main(void) { return hv_version() == HV_API_VERSION ? 0 : 1; }
C
cc -std=c99 -pedantic -Wall -Wextra -Werror -I"$s/libctl" -c "$tmp/t.c" \
    -o "$tmp/t.o" || bad "hvctl.h does not compile alone as C99"
if command -v c++ >/dev/null 2>&1; then
    cp "$tmp/t.c" "$tmp/t.cc"
    c++ -Wall -Wextra -Werror -I"$s/libctl" -c "$tmp/t.cc" -o "$tmp/t2.o" ||
        bad "hvctl.h does not compile as C++"
fi
# Opaque types only: no struct body in the public header.
if grep -n '^\s*struct hv_[a-z_]* {' "$s/libctl/hvctl.h"; then
    bad "hvctl.h defines a struct layout"
fi

# A binary linked against 0.1 still finds the flag-less forms, and they
# still work: bind to hv_domain_pause@HVCTL_0.1 as such a binary does.
cat >"$tmp/old.c" <<'C'
#include <stdio.h>
#include <string.h>
typedef struct hv_domain hv_domain;
int hv_domain_pause_01(hv_domain *dom);
const char *hv_last_error(void);
__asm__(".symver hv_domain_pause_01, hv_domain_pause@HVCTL_0.1");
int main(void)
{
    int rc = hv_domain_pause_01(NULL);
    printf("%d %s\n", rc, hv_last_error());
    return rc == -1 && !strcmp(hv_last_error(), "domain: NULL handle") ? 0 : 1;
}
C
if cc -o "$tmp/old" "$tmp/old.c" -L"$b/libctl/.libs" -lhvctl 2>"$tmp/old.err"; then
    # In a sanitizer build the library needs its runtime loaded first.
    pre=
    readelf -d "$lib" | grep -q 'libasan' && pre=$(cc -print-file-name=libasan.so)
    LD_PRELOAD=$pre LD_LIBRARY_PATH=$b/libctl/.libs "$tmp/old" >"$tmp/old.out" ||
        bad "hv_domain_pause@HVCTL_0.1 answered: $(cat "$tmp/old.out")"
else
    bad "cannot link against hv_domain_pause@HVCTL_0.1: $(cat "$tmp/old.err")"
fi

pc=$b/libctl/hvctl.pc
[ -f "$pc" ] || bad "hvctl.pc not generated"
if [ -f "$pc" ]; then
    libs=$(PKG_CONFIG_PATH=$b/libctl pkg-config --libs hvctl)
    case $libs in *-lhvctl*) ;; *) bad "pkg-config --libs hvctl: $libs" ;; esac
fi

[ $fail -eq 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit $fail
