#!/bin/sh
# The whole test suite from a fresh Debian machine: install what is missing,
# build with -Werror, run `make check` (unit, integration against real
# hvcore + pvboot domains, REST, CLI), then the same suite under ASan+UBSan.
#   scripts/test.sh            full run (CI runs exactly this)
#   scripts/test.sh --quick    skip the sanitizer pass
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
quick=no
[ "${1:-}" = "--quick" ] && quick=yes

run_suite() {
    dir=$1; shift
    "$top/scripts/build.sh" "$dir" "$@"
    if ! make -C "$dir" check -j"$(nproc)" >"$dir/check.out" 2>&1; then
        cat "$dir/check.out"
        find "$dir" -name '*.log' -newer "$dir/config.status" \
            ! -name config.log ! -name test-suite.log |
        while read -r f; do
            if grep -q '^FAIL\|^ERROR' "${f%.log}.trs" 2>/dev/null; then
                echo "==== $f"; tail -n 60 "$f"
            fi
        done
        echo "test: FAILED in $dir"
        exit 1
    fi
    # what did not simply pass, then each test suite's summary
    grep -E '^(SKIP|XFAIL|XPASS):' "$dir/check.out" || true
    grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' "$dir/check.out"
}

[ -e /dev/kvm ] || echo "test: note: /dev/kvm is absent: tests that boot domains will SKIP"

echo "== gcc, -Werror"
run_suite "$top/build"
if [ "$quick" = no ]; then
    echo "== ASan + UBSan"
    run_suite "$top/build-san" --enable-sanitizers
fi
echo "test: all suites passed"
