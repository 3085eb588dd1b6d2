#!/bin/sh
# run-fuzzer.sh DIR/TARGET.fuzz - run the libFuzzer harness fuzz_TARGET on
# its seed corpus (the test driver of `make check` and `make fuzz`, here
# and in the toolstack above; docs/fuzzing.md).
#
# Two modes.  `make fuzz` sets FUZZ_TIME: a search of that many seconds
# from a random seed, growing a corpus kept in FUZZ_SCRATCH between runs.
# `make check` does not: then the run is the same on every machine, so
# that its verdict cannot depend on speed, load or luck: seed 1, a fixed
# number of inputs (the spec's "# check-runs: N" line, a few seconds
# here), from the seeds in the tree alone.
#
# TARGET.fuzz holds the target's own libFuzzer flags, one per line, and
# TARGET.dict next to it (if any) is its dictionary.  The
# harness is FUZZ_BIN/fuzz_TARGET when configure had --enable-fuzzing;
# otherwise it is built here with clang from FUZZ_SOURCES_TARGET into
# FUZZ_SCRATCH (again only when a source changed), and the test SKIPs when
# clang or its libFuzzer runtime is missing.
#
# The verdict never depends on speed: the run passes unless libFuzzer
# reports a crash, a leak, a sanitizer error or one input running longer
# than -timeout (seconds, far above what any input needs).  Whatever it
# found is kept as FUZZ_SCRATCH/TARGET-crash-*, to replay with
#   FUZZ_SCRATCH/fuzz_TARGET FILE
#
# Environment (set by the Makefiles): FUZZ_SRCDIR FUZZ_BUILDDIR FUZZ_SCRATCH
# FUZZ_CORPUS FUZZ_BIN FUZZ_CPPFLAGS FUZZ_LIBS FUZZ_SOURCES_<target>,
# FUZZ_LDADD_<target> (what to link besides, e.g. a built library), and
# FUZZ_TIME (default 3), FUZZ_CC (default clang).
set -u
spec=$1
target=$(basename "$spec" .fuzz)
time=${FUZZ_TIME:-}
cc=${FUZZ_CC:-clang}
scratch=${FUZZ_SCRATCH:?}
seeds=${FUZZ_CORPUS:?}/$target

skip() { echo "SKIP: fuzz_$target: $*"; exit 77; }
fail() { echo "FAIL: fuzz_$target: $*"; exit 1; }

mkdir -p "$scratch" || fail "cannot create $scratch"
bin=
if [ -n "${FUZZ_BIN:-}" ] && [ -x "$FUZZ_BIN/fuzz_$target" ]; then
    bin=$FUZZ_BIN/fuzz_$target
else
    command -v "$cc" >/dev/null 2>&1 ||
        skip "$cc not found (Debian: clang libclang-rt-14-dev)"
    probe=$scratch/probe-$target
    printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
        '{ (void)d; (void)n; return 0; }' >"$probe.c"
    "$cc" -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" \
        >/dev/null 2>&1 ||
        skip "$cc cannot link -fsanitize=fuzzer (Debian: libclang-rt-14-dev)"
    rm -f "$probe" "$probe.c"

    eval "sources=\${FUZZ_SOURCES_$target:?} ldadd=\${FUZZ_LDADD_$target:-}"
    # A built library the harness links (FUZZ_LINKED_target) that carries
    # gcc's ASan runtime (an --enable-sanitizers build) cannot share a
    # process with clang's: libFuzzer would refuse to start.
    eval "linked=\${FUZZ_LINKED_$target:-}"
    if [ -n "$linked" ] && ldd "$linked" 2>/dev/null | grep -q 'libasan\.so'; then
        skip "$(basename "$linked") is built with gcc's ASan (--enable-sanitizers), which clang's libFuzzer runtime cannot share; the plain build's make check runs this harness"
    fi
    bin=$scratch/fuzz_$target
    files=
    stale=no
    [ -x "$bin" ] || stale=yes
    for s in $sources; do
        case $s in *.c|*.S) ;; *) continue ;; esac
        if [ -f "$FUZZ_SRCDIR/$s" ]; then f=$FUZZ_SRCDIR/$s
        elif [ -f "$FUZZ_BUILDDIR/$s" ]; then f=$FUZZ_BUILDDIR/$s
        else fail "source $s not found (run make first)"
        fi
        files="$files $f"
        # A header next to a source counts as a source.
        if [ $stale = no ] &&
           [ -n "$(find "$f" "$(dirname "$f")" -maxdepth 1 -name '*.[chS]' \
                    -newer "$bin" 2>/dev/null | head -n 1)" ]; then
            stale=yes
        fi
    done
    if [ $stale = yes ]; then
        echo "fuzz_$target: building with $cc -fsanitize=fuzzer,address,undefined"
        # shellcheck disable=SC2086
        "$cc" -std=c11 -g -O1 -w -pthread \
            -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer ${FUZZ_CPPFLAGS:-} $files $ldadd \
            ${FUZZ_LIBS:-} -o "$bin.tmp" || fail "build failed"
        mv "$bin.tmp" "$bin"
    fi
fi

# New inputs go to a scratch corpus (listed first): the seeds in the tree
# stay as they are.
out=$scratch/corpus-$target
flags=$(grep -v '^[[:space:]]*\(#\|$\)' "$spec")
dict=$(dirname "$spec")/$target.dict
[ -f "$dict" ] && flags="$flags -dict=$dict"
if [ -n "$time" ]; then
    mkdir -p "$out"
    flags="$flags -max_total_time=$time"
    echo "fuzz_$target: $time s on $seeds"
else
    runs=$(sed -n 's/^# check-runs: *\([0-9][0-9]*\).*/\1/p' "$spec")
    [ -n "$runs" ] || fail "$spec has no '# check-runs: N' line"
    rm -rf "$out" && mkdir -p "$out"
    flags="$flags -seed=1 -runs=$runs"
    echo "fuzz_$target: $runs inputs from seed 1 on $seeds"
fi
# -error_exitcode: libFuzzer's default (77) would read as SKIP.
# shellcheck disable=SC2086
"$bin" -timeout=60 -rss_limit_mb=2048 \
    -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
    -artifact_prefix="$scratch/$target-" $flags "$out" "$seeds"
rc=$?
[ $rc -eq 0 ] ||
    fail "libFuzzer found a problem (status $rc); the input is in $scratch/$target-*"
echo "PASS: fuzz_$target"
