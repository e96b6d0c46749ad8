#!/usr/bin/env bash
# A write that fails is data loss: every command reports it and exits 1.
#   - lookup, registry info/check/diff, packets (text, JSON, CSV), flows,
#     stats and audit (a committed ruleset with a capture), stdout onto
#     /dev/full: exit 1 and "portnote CMD: standard output: No space left
#     on device" on stderr;
#   - with SIGPIPE ignored, stdout into a pipe closed early: exit 1 and
#     "standard output: Broken pipe";
#   - as root: packets --format json onto a 64 KiB tmpfs exits 1 with the
#     message naming standard output, and live --flows-out /dev/full in a
#     network namespace of its own (flows ended by idle time and written
#     between snapshots) exits 1 naming the file (skipped otherwise).
#   usage: cli_write_errors.sh PORTNOTE SRCDIR
# Needs /dev/full; otherwise exit 77. Prints "N passed, M failed".
set -uo pipefail
portnote=${1:?usage: cli_write_errors.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: cli_write_errors.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC

# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"
if [[ ! -c /dev/full ]]; then
	echo "skip: no /dev/full"
	exit 77
fi
tmp=$(mktemp -d)
mnt=
ns=
cleanup() {
	[[ -n "$mnt" ]] && umount "$mnt" 2>/dev/null
	[[ -n "$ns" ]] && ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$srcdir" || exit 1
demo=captures/demo.pcap

# expect_error NAME WHO OUTPUT REASON STATUS STDERR-FILE
expect_error() {
	local name=$1 who=$2 output=$3 reason=$4 status=$5 err=$6
	local want="portnote $who: $output: $reason"
	if [[ $status -eq 1 ]] && grep -qxF "$want" "$err"; then
		ok "$name: exit 1, '$want'"
	else
		bad "$name: exit $status, wanted 1 and '$want'"
		sed 's/^/  stderr: /' "$err" | tail -5
	fi
}

# --- stdout onto /dev/full ---------------------------------------------
while IFS='|' read -r who args; do
	# shellcheck disable=SC2086
	"$portnote" $args >/dev/full 2>"$tmp/err"
	expect_error "$args >/dev/full" "$who" "standard output" \
		"No space left on device" $? "$tmp/err"
done <<EOF
lookup|lookup 443/tcp
lookup|lookup --format json https
lookup|lookup --format csv 6000-6010/tcp
registry info|registry info
registry check|registry check data/service-names-port-numbers.csv
registry diff|registry diff tests/fixtures/diff-2014.csv tests/fixtures/diff-2026.csv
packets|packets -r $demo
packets|packets --format json -r $demo
packets|packets --format csv -r $demo
packets|packets -r captures/udp.pcap
flows|flows -r $demo
flows|flows --format json -r captures/udp.pcap
stats|stats -r $demo
stats|stats --format csv -r $demo
audit|audit --rules tests/rules/host.iptables
audit|audit --rules tests/rules/host.iptables -r $demo
audit|audit --format json --rules tests/rules/host.nft.json -r $demo
EOF

# --- EPIPE with SIGPIPE ignored ------------------------------------------
# The reader closes its end before portnote starts (it says so through a
# FIFO): every write fails with EPIPE.
mkfifo "$tmp/go"
for args in "packets -r $demo" "lookup 443/tcp" "stats -r $demo"; do
	(
		trap '' PIPE
		read -r _ <"$tmp/go"
		# shellcheck disable=SC2086
		exec "$portnote" $args 2>"$tmp/err"
	) | {
		exec 0<&-
		echo go >"$tmp/go"
	}
	status=${PIPESTATUS[0]}
	who=${args%% *}
	expect_error "$args, SIGPIPE ignored, reader gone" "$who" \
		"standard output" "Broken pipe" "$status" "$tmp/err"
done

# --- EPIPE with SIGPIPE's default ------------------------------------------
# The reader goes away after it started (its end closed before portnote
# writes): no message, the run stops early, -w is put in place whole, and
# portnote then dies of SIGPIPE as its default would (status 141).
for args in "packets -r $demo -w $tmp/epipe.pcapng" "lookup 443/tcp"; do
	rm -f "$tmp/epipe.pcapng"
	(
		trap - PIPE
		read -r _ <"$tmp/go"
		# shellcheck disable=SC2086
		exec "$portnote" $args 2>"$tmp/err"
	) | {
		exec 0<&-
		echo go >"$tmp/go"
	}
	status=${PIPESTATUS[0]}
	if [[ $status -eq 141 ]] && ! grep -q "Broken pipe\|write error" "$tmp/err"; then
		ok "$args, reader gone: killed by SIGPIPE at the end (141), no message"
	else
		bad "$args, reader gone: exit $status, $(tail -2 "$tmp/err")"
	fi
	if [[ $args == packets* ]]; then
		n=$(grep -o '^portnote packets: [0-9]* packet' "$tmp/err" | grep -o '[0-9]*' | head -1)
		if [[ -s $tmp/epipe.pcapng ]] && ! ls "$tmp"/epipe.pcapng.* >/dev/null 2>&1 &&
			{ ! command -v capinfos >/dev/null ||
				[[ $(capinfos -M -c "$tmp/epipe.pcapng" 2>/dev/null | awk '/Number of packets/ { print $NF }') == "$n" ]]; }; then
			ok "$args, reader gone: -w holds every packet read ($n), in place"
		else
			bad "$args, reader gone: -w $(ls -la "$tmp"/epipe.pcapng* 2>&1 | head -2), read $n"
		fi
	fi
done

# --- root: a small tmpfs, live --flows-out ---------------------------------
if [[ $(id -u) -ne 0 ]]; then
	echo "skip: tmpfs and live checks need root"
	finish
fi
mkdir "$tmp/small"
if mount -t tmpfs -o size=64k tmpfs "$tmp/small" 2>/dev/null; then
	mnt=$tmp/small
	"$portnote" packets --format json -r "$demo" >"$mnt/out.json" 2>"$tmp/err"
	expect_error "packets --format json > 64k tmpfs" packets \
		"standard output" "No space left on device" $? "$tmp/err"
	"$portnote" flows -r "$demo" >"$mnt/flows.txt" 2>"$tmp/err"
	expect_error "flows > 64k tmpfs" flows \
		"standard output" "No space left on device" $? "$tmp/err"
else
	echo "skip: cannot mount a tmpfs"
fi

if command -v ip >/dev/null 2>&1 && ip netns add "pn-wr-$$" 2>/dev/null; then
	ns=pn-wr-$$
	ip netns exec "$ns" ip link set lo up
	# UDP flows end after 0.2 s idle and are written at once; the
	# snapshot every second flushes them.
	ip netns exec "$ns" "$portnote" live -i lo --format json --interval 1 \
		--duration 4 --idle-timeout udp=0.2 --flows-out /dev/full \
		>"$tmp/live.out" 2>"$tmp/err" &
	pid=$!
	sleep 1
	for port in 5353 53 123 161; do
		ip netns exec "$ns" bash -c "echo hello >/dev/udp/127.0.0.1/$port" 2>/dev/null
	done
	wait $pid
	expect_error "live --flows-out /dev/full" live /dev/full \
		"No space left on device" $? "$tmp/err"
else
	echo "skip: no network namespace for live"
fi
finish
