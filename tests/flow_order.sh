#!/usr/bin/env bash
# flow_order.sh PORTNOTE SRCDIR — flows stay whole whatever order the
# capture time comes in.
#
# captures/demo.pcap (two minutes, 673 flows) is cut in two at packet 1500
# with editcap, so flows span the cut. Then:
#   1. `flows -r A -r B` and `flows -r B -r A` give the same flows as the
#      whole file (sorted records compared; files are read in the time order
#      of their first packets, and a note says so when that differs);
#   2. one file holding B's packets before A's (a clock step back of two
#      minutes, mergecap -a) keeps every packet in a flow, gives no more
#      flows than the whole file plus those the step cuts (one per flow that
#      spans it), never one flow per packet, and the summary counts the step
#      with its size;
#   3. equal-port UDP (captures/udp.pcap, NTP 123<->123) names the first
#      sender as the client, basis first-packet.
# Exit 77 without editcap/mergecap (package wireshark-common, with tshark).
set -uo pipefail
portnote=${1:?usage: flow_order.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: flow_order.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC

# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"
for tool in editcap mergecap; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "skip: $tool is not installed (apt-get install tshark)"
		exit 77
	fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
demo=$srcdir/captures/demo.pcap

editcap -r "$demo" "$tmp/a.pcap" 1-1500 >/dev/null
editcap -r "$demo" "$tmp/b.pcap" 1501-100000 >/dev/null

flows() { # output file, then portnote arguments
	local out=$1
	shift
	"$portnote" flows "$@" 2>"$out.err" | grep -v '^#' | sort >"$out"
}

flows "$tmp/whole" -r "$demo"
flows "$tmp/ab" -r "$tmp/a.pcap" -r "$tmp/b.pcap"
flows "$tmp/ba" -r "$tmp/b.pcap" -r "$tmp/a.pcap"
n=$(wc -l <"$tmp/whole")
if cmp -s "$tmp/whole" "$tmp/ab"; then
	ok "A then B: the same $n flows as the whole file"
else
	bad "A then B differs from the whole file: $(diff "$tmp/whole" "$tmp/ab" | head -4)"
fi
if cmp -s "$tmp/whole" "$tmp/ba"; then
	ok "B then A: the same $n flows as the whole file"
else
	bad "B then A differs from the whole file: $(diff "$tmp/whole" "$tmp/ba" | head -4)"
fi
if grep -q "note: reading the inputs in the time order of their first packets: $tmp/a.pcap $tmp/b.pcap" "$tmp/ba.err"; then
	ok "B then A: a note names the order read"
else
	bad "B then A: no note on the order: $(cat "$tmp/ba.err")"
fi
if grep -q "time order" "$tmp/ab.err"; then
	bad "A then B: a note although the order was kept"
else
	ok "A then B: no note"
fi

# 2. A clock step back inside one file.
mergecap -a -w "$tmp/stepped.pcap" "$tmp/b.pcap" "$tmp/a.pcap"
"$portnote" flows --format json -r "$tmp/stepped.pcap" >"$tmp/stepped.json" 2>"$tmp/stepped.err"
"$portnote" flows --format json -r "$demo" >"$tmp/whole.json" 2>/dev/null
packets() {
	jq -s '[.[] | select(.type == "flow") | .packets_c2s + .packets_s2c] | add' "$1"
}
count() {
	jq -s '[.[] | select(.type == "flow")] | length' "$1"
}
pw=$(packets "$tmp/whole.json") ps=$(packets "$tmp/stepped.json")
fw=$(count "$tmp/whole.json") fs=$(count "$tmp/stepped.json")
if [[ $pw == "$ps" ]]; then
	ok "clock step: every packet in a flow ($ps)"
else
	bad "clock step: $ps packets in flows, whole file $pw"
fi
# Flows live across the cut: each can be split once by the step.
spanning=$(comm -12 \
	<("$portnote" flows --format csv -r "$tmp/a.pcap" 2>/dev/null | cut -d, -f1-6 | sort -u) \
	<("$portnote" flows --format csv -r "$tmp/b.pcap" 2>/dev/null | cut -d, -f1-6 | sort -u) | wc -l)
if ((fs >= fw && fs <= fw + spanning)); then
	ok "clock step: $fs flows, whole file $fw, at most $spanning flows span the step"
else
	bad "clock step: $fs flows, whole file $fw, $spanning flows span the step"
fi
if grep -Eq 'capture time stepped back 1 time \(by up to 1[0-9]{2}\.[0-9]{6} s\)' "$tmp/stepped.err"; then
	ok "clock step: counted with its size"
else
	bad "clock step: not counted: $(tail -2 "$tmp/stepped.err")"
fi

# 3. Equal ports: the first sender is the client.
first=$("$portnote" packets --format json -r "$srcdir/captures/udp.pcap" 2>/dev/null |
	jq -r 'select(.type == "packet" and .sport == 123 and .dport == 123) | .src' | head -1)
client=$("$portnote" flows --format json -r "$srcdir/captures/udp.pcap" 2>/dev/null |
	jq -r 'select(.type == "flow" and .server_port == 123 and .client_port == 123) | .client + " " + .basis' | head -1)
if [[ -n $first && $client == "$first first-packet" ]]; then
	ok "NTP 123<->123: the first sender $first is the client (first-packet)"
else
	bad "NTP 123<->123: first sender '$first', flow client '$client'"
fi

finish
