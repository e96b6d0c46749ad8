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

# For the EXIT trap of a test with a namespace of its own: kills every
# process in the array pids, then whatever still runs in namespace $1 (the
# test's own), and deletes it.
netns_down() {
	local p
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for p in $(ip netns pids "$1" 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null
	done
	ip netns del "$1" 2>/dev/null
}

# Waits up to 10 s for process $1 to run as nobody (a capture command has
# opened its interface once it has dropped to nobody); 1 if it did not.
wait_nobody() {
	local uid i
	uid=$(id -u nobody)
	for ((i = 0; i < 100; i++)); do
		grep -Eq "^Uid:[[:space:]]+${uid}[[:space:]]" "/proc/$1/status" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# Waits for child process $1 at most $2 seconds; 0 if it ended (its exit
# status in $waited), 1 on timeout.
waited=
wait_bounded() {
	local pid=$1 limit=$2 start=$SECONDS
	while kill -0 "$pid" 2>/dev/null; do
		((SECONDS - start >= limit)) && return 1
		sleep 0.2
	done
	wait "$pid"
	waited=$?
	return 0
}
