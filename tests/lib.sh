# tests/lib.sh — sourced by the shell integration tests: counting checks,
# the closing "N passed, M failed" line, and skipping (exit 77, which CTest
# reports as skipped) when a tool the test compares against is missing.
# shellcheck shell=bash

pass=0 fail=0

ok() {
	echo "ok: $1"
	pass=$((pass + 1))
}

bad() {
	echo "FAIL: $1"
	fail=$((fail + 1))
}

# check NAME COMMAND...: ok when the command succeeds, bad otherwise.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

# Prints the closing line and exits 0 only when nothing failed.
finish() {
	echo "$pass passed, $fail failed"
	[[ $fail -eq 0 ]]
	exit
}

# Skips the test unless tshark is installed; a user's Wireshark
# preferences could change dissection, so tshark gets a private HOME
# (under the given directory).
need_tshark() {
	if ! command -v tshark >/dev/null 2>&1; then
		echo "skip: tshark is not installed (apt-get install tshark)"
		exit 77
	fi
	export HOME="$1" XDG_CONFIG_HOME="$1"
}

# Skips the test unless it runs as root; the argument says what for.
need_root() {
	if [[ $(id -u) -ne 0 ]]; then
		echo "skip: needs root ($1)"
		exit 77
	fi
}

# Skips the test unless every named tool is installed.
need_tools() {
	local tool
	for tool in "$@"; do
		if ! command -v "$tool" >/dev/null 2>&1; then
			echo "skip: $tool is not installed"
			exit 77
		fi
	done
}

# Creates network namespace $1 with its loopback up, or skips the test
# (77) when namespaces cannot be made here. The caller's EXIT trap deletes
# it.
netns_up() {
	if ! ip netns add "$1" 2>/dev/null; then
		echo "skip: cannot create a network namespace"
		exit 77
	fi
	ip netns exec "$1" ip link set lo up
}
