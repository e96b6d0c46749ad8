#!/usr/bin/env bash
# capture_privileges.sh PORTNOTE SRCDIR — every command that captures gives
# up root once the interface is open, before it decodes a packet or creates
# an output.
#
# As root, in a network namespace of its own, each of packets, flows,
# stats, audit and live captures on lo for a few seconds while the test
# reads /proc/PID/status: uid and gid nobody (real, effective, saved, fs),
# no supplementary groups, no effective, permitted or bounding-irrelevant
# capabilities (CapEff and CapPrm 0), NoNewPrivs 1. Then:
#   - `packets -i lo -w FILE` creates FILE as nobody (owner nobody), and a
#     -w into a directory only root may write fails with exit 1 and leaves
#     nothing there, where root could have written it;
#   - -Z with an unknown user stops every command with exit 1 and a message;
#   - -Z root keeps root (the documented way out).
# Exit 77 when not root or without ip(8).
set -uo pipefail
portnote=${1:?usage: capture_privileges.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: capture_privileges.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC
# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"

need_root "network namespaces, capture"
need_tools ip

ns=pn-priv-$$
tmp=$(mktemp -d)
chmod 1777 "$tmp"
rootonly=$(mktemp -d)
chmod 700 "$rootonly"
pids=()
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
	netns_down "$ns"
	rm -rf "$tmp" "$rootonly"
}
trap cleanup EXIT
netns_up "$ns"
in_ns() { ip netns exec "$ns" "$@"; }
nobody_uid=$(id -u nobody)
nobody_gid=$(id -g nobody)

# check NAME PID: the process's credentials while it captures.
check() {
	local name=$1 pid=$2 status
	status=$(cat "/proc/$pid/status" 2>/dev/null)
	if [[ -z $status ]]; then
		bad "$name: not running after 1.5 s ($(cat "$tmp/$name.err"))"
		return
	fi
	local u g
	u=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' <<<"$status")
	g=$(awk '/^Gid:/ { print $2, $3, $4, $5 }' <<<"$status")
	if [[ $u == "$nobody_uid $nobody_uid $nobody_uid $nobody_uid" &&
		$g == "$nobody_gid $nobody_gid $nobody_gid $nobody_gid" ]]; then
		ok "$name: runs as nobody (uid and gid, real, effective, saved, fs)"
	else
		bad "$name: Uid $u, Gid $g"
	fi
	if grep -Eq '^Groups:[[:space:]]*$' <<<"$status"; then
		ok "$name: no supplementary groups"
	else
		bad "$name: $(grep '^Groups:' <<<"$status")"
	fi
	if grep -Eq '^CapEff:[[:space:]]+0+$' <<<"$status" &&
		grep -Eq '^CapPrm:[[:space:]]+0+$' <<<"$status"; then
		ok "$name: no capabilities"
	else
		bad "$name: $(grep -E '^Cap(Eff|Prm):' <<<"$status" | tr '\n' ' ')"
	fi
	if grep -Eq '^NoNewPrivs:[[:space:]]+1$' <<<"$status"; then
		ok "$name: no_new_privs set"
	else
		bad "$name: $(grep '^NoNewPrivs:' <<<"$status")"
	fi
}

# run NAME ARGS...: starts portnote ARGS in the namespace, checks it.
run() {
	local name=$1
	shift
	# ip netns exec execs portnote, so $! is portnote itself.
	ip netns exec "$ns" "$portnote" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	local pid=$!
	pids+=("$pid")
	sleep 1.5
	check "$name" "$pid"
	wait "$pid"
	local rc=$?
	if [[ $rc -eq 0 ]]; then
		ok "$name: exit 0 at the end of --duration"
	else
		bad "$name: exit $rc: $(tail -3 "$tmp/$name.err")"
	fi
}

run packets packets -i lo --duration 3
run packets-w packets -i lo --duration 3 -w "$tmp/out.pcapng"
run flows flows -i lo --duration 3
run stats stats -i lo --duration 3
run audit audit --rules "$srcdir/tests/rules/host.iptables" -i lo --duration 3 --fail-on never
run live live -i lo --duration 3 --format json --interval 1

owner=$(stat -c %u "$tmp/out.pcapng" 2>/dev/null)
if [[ $owner == "$nobody_uid" ]]; then
	ok "packets -i -w: the file was created by nobody"
else
	bad "packets -i -w: owner '${owner:-no file}'"
fi

in_ns "$portnote" packets -i lo --duration 1 -w "$rootonly/out.pcapng" >/dev/null 2>"$tmp/ro.err"
rc=$?
if [[ $rc -eq 1 ]] && grep -q "Permission denied" "$tmp/ro.err" &&
	[[ -z $(ls -A "$rootonly") ]]; then
	ok "packets -i -w into a root-only directory: exit 1, nothing written"
else
	bad "packets -i -w into a root-only directory: exit $rc, $(ls -A "$rootonly"), $(cat "$tmp/ro.err")"
fi

for cmd in packets flows stats live; do
	in_ns "$portnote" $cmd -i lo --duration 1 -Z no-such-user-pn >/dev/null 2>"$tmp/z.err"
	rc=$?
	if [[ $rc -eq 1 ]] && grep -q "no-such-user-pn: no such user" "$tmp/z.err"; then
		ok "$cmd -Z no-such-user: exit 1 with a message"
	else
		bad "$cmd -Z no-such-user: exit $rc, $(cat "$tmp/z.err")"
	fi
done

ip netns exec "$ns" "$portnote" flows -i lo --duration 3 -Z root >/dev/null 2>"$tmp/root.err" &
pid=$!
pids+=("$pid")
sleep 1.5
if awk '/^Uid:/ { exit !($3 == 0) }' "/proc/$pid/status" 2>/dev/null; then
	ok "-Z root keeps root"
else
	bad "-Z root: $(grep '^Uid:' "/proc/$pid/status" 2>/dev/null)"
fi
wait "$pid"

finish
