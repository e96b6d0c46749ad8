#!/usr/bin/env bash
# Golden-output tests of the portnote CLI. Each line of tests/golden/cases
# is "NAME ARGS..."; the test runs "portnote ARGS" in tests/ and compares
# stdout, stderr and the exit status with tests/golden/NAME.out.
#   usage: cli_golden.sh PORTNOTE SRCDIR        (UPDATE_GOLDEN=1 rewrites)
set -uo pipefail
portnote=$1
tests=$2/tests
cd "$tests" || exit 1
export TZ=UTC LC_ALL=C
# The built-in table, whatever snapshot this machine has installed.
export PORTNOTE_REGISTRY_FILE=
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

while read -r name args; do
	[[ -z "$name" || "$name" == \#* ]] && continue
	# shellcheck disable=SC2086  # ARGS split as a shell would
	eval "set -- $args"
	"$portnote" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
	status=$?
	{
		cat "$tmp/stdout"
		# The age notice depends on today's date; it is checked below.
		grep -v 'note: the registry snapshot is dated' "$tmp/stderr" |
			sed 's/^/stderr: /'
		echo "exit: $status"
	} >"$tmp/actual"
	golden=golden/$name.out
	if [[ "${UPDATE_GOLDEN:-}" == 1 ]]; then
		cp "$tmp/actual" "$golden"
	fi
	if diff -u "$golden" "$tmp/actual" >"$tmp/diff" 2>&1; then
		pass=$((pass + 1))
	else
		echo "FAIL $name: portnote $args"
		head -40 "$tmp/diff"
		fail=$((fail + 1))
	fi
done <golden/cases

# Every malformed CSV is refused with FILE:LINE and a non-zero status, by
# every command that reads a registry.
for f in fixtures/malformed/*.csv; do
	for cmd in "registry check $f" "lookup --registry $f 80" \
		"registry info --registry $f"; do
		# shellcheck disable=SC2086
		"$portnote" $cmd >/dev/null 2>"$tmp/stderr"
		status=$?
		if [[ $status -eq 1 ]] && grep -q "$f:[0-9][0-9]*: " "$tmp/stderr"; then
			pass=$((pass + 1))
		else
			echo "FAIL portnote $cmd: exit $status, stderr:"
			cat "$tmp/stderr"
			fail=$((fail + 1))
		fi
	done
done

# The built-in 2014 snapshot is over two years old: one notice line.
"$portnote" lookup 80/tcp >/dev/null 2>"$tmp/stderr"
if [[ $(grep -c 'note: the registry snapshot is dated 2014-07-09.*scripts/update-registry' "$tmp/stderr") == 1 ]]; then
	pass=$((pass + 1))
else
	echo "FAIL: no age notice for the 2014 snapshot"
	fail=$((fail + 1))
fi

echo "cli_golden: $pass passed, $fail failed"
[[ $fail -eq 0 ]]
