#!/usr/bin/env bash
# Tests for scripts/update-registry.
#
# usage: tests/test_update_registry.sh PORTNOTE SOURCE_DIR
#
# Works in a temp dir on a COPY of data/service-names-port-numbers.csv (and
# of data/README.md); the real snapshot is never written, and checked to be
# unchanged at the end.
set -uo pipefail

if [[ $# -ne 2 ]]; then
	echo "usage: $0 PORTNOTE SOURCE_DIR" >&2
	exit 2
fi
portnote=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
srcdir=$(cd "$2" && pwd)
script=$srcdir/scripts/update-registry
real=$srcdir/data/service-names-port-numbers.csv
shared=$srcdir/../shared/registry/service-names-port-numbers-2026.csv
export PORTNOTE=$portnote

for f in "$portnote" "$script" "$real"; do
	[[ -e $f ]] || { echo "missing $f" >&2; exit 1; }
done
real_sha=$(sha256sum "$real" | cut -d' ' -f1)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test_update_registry.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
# expect NAME CONDITION...: run the condition (a command), pass or fail.
expect() {
	local name=$1; shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

snap=$tmp/data/service-names-port-numbers.csv
orig=$tmp/original.csv
mkdir -p "$tmp/data"
cp "$real" "$orig"
# reset: a fresh copy of the snapshot and README for each case.
reset() {
	cp "$orig" "$snap"
	cp "$srcdir/data/README.md" "$tmp/data/README.md"
}
# run ARGS...: the script on the copy; sets rc, out (stdout+stderr).
run() {
	out=$("$script" --snapshot "$snap" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/     | /'
}
rows() { "$portnote" registry check --format csv "$1" 2>/dev/null | awk -F, '$1 == "rows" { print $2 }'; }
contains() { [[ $out == *"$1"* ]]; }
matches() { [[ $out =~ $1 ]]; }
untouched() { cmp -s "$orig" "$snap"; }
old_rows=$(rows "$orig")

# ---- a newer file --------------------------------------------------------
# TEST_NO_SHARED=1 forces the fallback even when the 2026 file is there.
if [[ -f $shared && -z ${TEST_NO_SHARED:-} ]]; then
	newer=$shared
	echo "# newer file: $shared"
else
	newer=$tmp/newer.csv
	cp "$orig" "$newer"
	cat >>"$newer" <<'EOF'
testsvc-a,47001,tcp,portnote test service A,[Nobody],[Nobody],2026-01-02,,,,,
testsvc-a,47001,udp,portnote test service A,[Nobody],[Nobody],2026-01-02,,,,,
testsvc-b,47002,tcp,"portnote test service B, quoted",[Nobody],[Nobody],2026-01-03,,,,,
EOF
	echo "# newer file: the snapshot plus 3 rows (no $shared, or TEST_NO_SHARED set)"
fi
newer_date=$("$portnote" registry check --format csv "$newer" 2>/dev/null | awk -F, '$1 == "snapshot_date" { print $2 }')
expect "precondition: the newer file is valid" test -n "$(rows "$newer")"

echo "== (a) a valid newer file replaces the copy"
reset
run "$newer"
expect "(a) exit 0" test "$rc" -eq 0
expect "(a) the copy is now the newer file" cmp -s "$newer" "$snap"
expect "(a) reports the old rows" contains "$old_rows rows"
expect "(a) reports the new rows" contains "$(rows "$newer") rows"
expect "(a) reports a diff summary" matches '[0-9]+ added, [0-9]+ removed, [0-9]+ renamed'
expect "(a) README section rewritten with the new sha256" \
	grep -q "$(sha256sum "$newer" | cut -d' ' -f1)" "$tmp/data/README.md"
expect "(a) README section has the new date" grep -q "| Snapshot date | $newer_date " "$tmp/data/README.md"
expect "(a) README keeps the text outside the markers" grep -q "^## The 2014 snapshot and what it lacks" "$tmp/data/README.md"
expect "(a) no temp files left beside the snapshot" test -z "$(find "$tmp/data" -name '.*' -type f)"
expect "(a) snapshot mode kept" test "$(stat -c %a "$snap")" = "$(stat -c %a "$orig")"
run "$newer"
expect "(a) the same file again: exit 0" test "$rc" -eq 0
expect "(a) the same file again: already current" contains "already current"

echo "== (b) malformed files are refused"
line=$(($(wc -l <"$orig") + 1))
for kind in port quote; do
	reset
	bad=$tmp/bad-$kind.csv
	cp "$orig" "$bad"
	case $kind in
	port) echo 'badport,70000,tcp,Port out of range,[Nobody],[Nobody],,,,,,' >>"$bad" ;;
	quote) echo 'badquote,47003,tcp,"Unterminated quote,[Nobody],[Nobody],,,,,,' >>"$bad" ;;
	esac
	run "$bad"
	expect "(b/$kind) exit 1" test "$rc" -eq 1
	expect "(b/$kind) the copy is byte-identical" untouched
	expect "(b/$kind) the message has file:line" contains "$bad:$line:"
	expect "(b/$kind) says refused" contains "refused"
done
reset
echo '<html><body>Not Found</body></html>' >"$tmp/page.html"
run "$tmp/page.html"
expect "(b/html) an HTML page is refused, exit 1" test "$rc" -eq 1
expect "(b/html) the copy is byte-identical" untouched

echo "== (c) a file that lost 20 % of the rows is refused"
reset
lossy=$tmp/lossy.csv
# Drop plain one-line service rows (no quotes) until a fifth of the records
# is gone; the rest of the file stays valid CSV.
awk -v want=$((old_rows / 5 + 1)) '
	dropped < want && NR > 1 && !/"/ && /^[a-z0-9][a-z0-9-]*,[0-9]+,(tcp|udp),/ && NR % 2 == 0 { dropped++; next }
	{ print }' "$orig" >"$lossy"
lossy_rows=$(rows "$lossy")
expect "precondition: the lossy file is valid and 20 % smaller" \
	test -n "$lossy_rows" -a "$((lossy_rows * 100))" -le "$((old_rows * 80))"
run "$lossy"
expect "(c) exit 1" test "$rc" -eq 1
expect "(c) the copy is byte-identical" untouched
expect "(c) says how many rows and the limit" contains "$lossy_rows rows"
run --max-loss 25 --dry-run "$lossy"
expect "(c) accepted with --max-loss 25 (dry run)" test "$rc" -eq 0
expect "(c) the copy is still byte-identical" untouched

echo "== (d) --dry-run leaves the copy untouched"
reset
run --dry-run "$newer"
expect "(d) exit 0" test "$rc" -eq 0
expect "(d) the copy is byte-identical" untouched
expect "(d) says dry run" contains "dry run"
expect "(d) README untouched" cmp -s "$srcdir/data/README.md" "$tmp/data/README.md"

echo "== (e) a missing file gives a clear error"
reset
run "$tmp/does-not-exist.csv"
expect "(e) exit 1" test "$rc" -eq 1
expect "(e) names the file" contains "$tmp/does-not-exist.csv: no such file"
expect "(e) the copy is byte-identical" untouched
if command -v curl >/dev/null 2>&1; then
	run "file://$tmp/does-not-exist.csv"
	expect "(e) a failed fetch: exit 1" test "$rc" -eq 1
	expect "(e) a failed fetch names the URL" contains "cannot fetch file://$tmp/does-not-exist.csv"
	expect "(e) a failed fetch: the copy is byte-identical" untouched
fi

echo "== usage and environment"
run --max-loss abc "$newer"
expect "--max-loss abc: exit 2" test "$rc" -eq 2
run --bogus
expect "unknown option: exit 2" test "$rc" -eq 2
run a.csv b.csv
expect "two sources: exit 2" test "$rc" -eq 2
run --help
expect "--help: exit 0 and usage" test "$rc" -eq 0 -a -n "$(matches '^usage:' && echo y)"
out=$(PORTNOTE=$tmp/no-portnote "$script" --snapshot "$snap" "$newer" 2>&1); rc=$?
expect "a missing \$PORTNOTE: exit 1" test "$rc" -eq 1
expect "a missing \$PORTNOTE: the copy is byte-identical" untouched

expect "the real snapshot is unchanged" test "$(sha256sum "$real" | cut -d' ' -f1)" = "$real_sha"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
