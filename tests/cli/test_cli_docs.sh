#!/bin/sh
# test_cli_docs.sh - the man page and the bash completion cover exactly
# the commands and options hvctl has (`hvctl help` is the reference), the
# man page renders cleanly, and the completion completes commands,
# options, files and domain names (from a stand-in hvctl whose `list`
# output is known, so no domain has to run).
set -u
src=${HV_SRCDIR:-.}
build=${HV_BUILDDIR:-.}
hvctl=$build/cli/hvctl
man=$src/man/hvctl.1
comp=$src/cli/bash-completion/hvctl
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hvctl-docs-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# The page as text to search: troff's "\-" is a plain "-" here.
sed 's/\\-/-/g' "$src/man/hvctl.1" >"$tmp/hvctl.1.txt"
page=$tmp/hvctl.1.txt

bad() { echo "FAIL: $*"; fail=1; }

commands=$("$hvctl" help | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 { print $1 }')
[ -n "$commands" ] || bad "hvctl help lists no commands"

# Every command has a section in the man page and is completed.
for c in $commands; do
    grep -q "^\.SS \"$c[ \"]" "$page" || bad "man/hvctl.1 has no section for '$c'"
    grep -q "\(^\|[ \"]\)$c\( \|$\|\"\)" "$comp" ||
        bad "the bash completion does not know '$c'"
    # Each command's own options are in the man page.
    for o in $("$hvctl" help "$c" | grep -o '^ *\(-[a-z], \)\?--[a-z-]*' |
               sed 's/.*--/--/'); do
        grep -q -- "$o" "$page" ||
            bad "man/hvctl.1 does not document '$c $o'"
    done
done
# And no section for a command that does not exist.
for s in $(sed -n 's/^\.SS "\([a-z-]*\).*/\1/p' "$page"); do
    case $s in domain|event|version) continue ;; esac
    echo "$commands" | grep -qx "$s" || bad "man/hvctl.1 documents '$s', which hvctl lacks"
done
# Global options.
for o in $("$hvctl" help | sed -n '/^Global options:/,/^$/p' |
           grep -o -- '--[a-z]*'); do
    grep -q -- "$o" "$page" || bad "man/hvctl.1 does not document '$o'"
    grep -q -- "$o" "$comp" || bad "the bash completion does not offer '$o'"
done
# Exit statuses and the error format.
grep -q '^\.SH EXIT STATUS' "$man" || bad "man/hvctl.1 has no EXIT STATUS"
grep -q '^\.SH JSON OUTPUT' "$man" || bad "man/hvctl.1 has no JSON OUTPUT"

# The page renders without a warning (when groff is installed).
if command -v groff >/dev/null 2>&1; then
    out=$(groff -t -man -Tutf8 -ww -z "$man" 2>&1)
    [ -z "$out" ] || bad "groff warns about man/hvctl.1: $out"
fi

# ---- the completion, in bash ----
if ! command -v bash >/dev/null 2>&1; then
    echo "SKIP: no bash for the completion tests"
    exit $fail
fi
# A stand-in hvctl: records its arguments, lists two running domains and,
# with --all, a third that is only defined.
cat >"$tmp/hvctl" <<'EOF'
#!/bin/sh
echo "$*" >>"$(dirname "$0")/calls"
case "$*" in
*"list --all"*) printf '   ID  NAME  STATE\n    1  web   running\n    2  db    paused\n    -  old   shutoff\n' ;;
*list*)         printf '   ID  NAME  STATE\n    1  web   running\n    2  db    paused\n' ;;
esac
EOF
chmod +x "$tmp/hvctl"
touch "$tmp/a.xml" "$tmp/b.json" "$tmp/c.txt"

# complete WORDS... : the sorted completions of the last word.
cat >"$tmp/complete.sh" <<'EOF'
. "$1"; shift
cd "$1"; shift
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
_hvctl
[ ${#COMPREPLY[@]} -gt 0 ] && printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
EOF
complete() {
    bash "$tmp/complete.sh" "$comp" "$tmp" "$tmp/hvctl" "$@"
}
check() {
    want=$1; shift
    got=$(complete "$@")
    [ "$got" = "$want" ] || bad "completing 'hvctl $*': got '$got', want '$want'"
}

check "pause " pa
check "define destroy detach-device devices " de
check "dumpjson dumpxml " dump
check "--cacert --cert --connect " --c
check "--all --help --json --name --persistent --state --transient " list --
check "--all --help --json --timeout --wait " shutdown --
check "--help --inactive --json " dumpxml --
check "--delay --help --iterations --json " top --
check "shutdown shutoff " list --state sh
check "edit " edi
check "dominfo domstats " dom
check "db web " dominfo ""
check "db old web " edit ""
check "hvctl:///system " -c hv
check "db web " pause ""
check "web " -c unix:///x.sock console w
check "db old web " start ""
check "off on " autostart web o
check "" mem-set web ""
check "a.xml b.json " create ""
check "a.xml " define a
check "mem-set " help mem
check "--bandwidth --help --json --live --max-downtime --max-iterations --paused --persistent --undefine-source " migrate --
check "--help --json --keep " save --
check "--help --json --paused --verify " restore --
check "db web " migrate ""
check "hvctl:///system " migrate web hv
check "db web " migrate --bandwidth 10 ""
check "b.json " restore b
check "a.xml " save web a
check "reboot restore resume " re
# The host options of the command line reach the hvctl that lists.
: >"$tmp/calls"
complete -c https://h:1 --token T info "" >/dev/null
grep -qx -- "-c https://h:1 --token T list" "$tmp/calls" ||
    bad "completion ran '$(cat "$tmp/calls")', not with the host options"

exit $fail
