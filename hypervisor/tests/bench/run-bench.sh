#!/bin/sh
# Run each benchmark program given on the command line (make bench).
set -e
for b in "$@"; do
    echo "== $b"
    # 77: the benchmark cannot run here (bench_linux without the Debian
    # package) and said why; the others still run.
    "./$b" || { rc=$?; [ "$rc" -eq 77 ] || exit "$rc"; }
done
