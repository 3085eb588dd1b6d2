#!/bin/sh
# Run each benchmark program given on the command line (make bench).
set -e
for b in "$@"; do
    echo "== $b"
    "./$b"
done
