#!/usr/bin/env bash
# Flood soak of portnote live: a SYN flood to 127.0.0.1 in a network
# namespace of its own, every packet a new flow, for SECONDS.
#   usage: soak_flood.sh PORTNOTE SRCDIR FLOOD_LOAD [SECONDS [RATE]]
#          (default 20 s, as fast as the machine sends)
#
# Needs root, `ip` (iproute2), curl and jq; otherwise exit 77.
# portnote live -i lo --format json --interval 1 --metrics 127.0.0.1:P
# --idle-timeout tcp=3 -B 32768 runs in the namespace while FLOOD_LOAD
# (tests/flood_load.c) sends SYNs to every port of 127.0.0.1 in turn,
# each from a port pair of its own; the kernel answers each with a RST, so
# each SYN is one flow ended by RST. /metrics is scraped every second meanwhile. Once portnote
# has read everything, SIGTERM ends it. Checks:
#   1. Flows: the final report's flows ended by RST == SYNs sent when
#      nothing was dropped; with drops, those ended by RST or idle (a RST
#      lost) are at most the SYNs and within the drops; no flow evicted.
#   2. Every captured packet was read (lo shows each twice).
#   3. The live view kept refreshing: a snapshot every interval, none more
#      than 3 intervals apart, while every snapshot lists at most --top
#      services.
#   4. /metrics answered every scrape during the flood, each within 2 s,
#      with at most --metrics-services + 1 service label values.
#   5. Services are bounded: the final report keeps 2048 and sums the
#      flows of the rest (services_past_bound), every flow counted once.
#   6. Peak RSS (VmHWM) under 256 MiB (not judged under sanitizers).
# Then the "flood:" line (new flows/s, drops, RSS) for the README.
# Prints "N passed, M failed". KEEP=1 keeps the outputs.
set -uo pipefail
usage="usage: soak_flood.sh PORTNOTE SRCDIR FLOOD_LOAD [SECONDS [RATE]]"
portnote=${1:?$usage}
srcdir=${2:?$usage}
load=${3:?$usage}
seconds=${4:-20}
rate=${5:-0}
export LC_ALL=C TZ=UTC
# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"

if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 4)); then
	echo "$usage (SECONDS: a whole number, at least 4)" >&2
	exit 2
fi
need_root "network namespaces, raw sockets, capture"
need_tools ip jq curl

ns=pn-flood-$$
tmp=$(mktemp -d)
pids=()
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
	netns_down "$ns"
	if [[ -n ${KEEP:-} ]]; then echo "kept: $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
netns_up "$ns"
in_ns() { ip netns exec "$ns" "$@"; }

lo_rx_dropped() { in_ns cat /sys/class/net/lo/statistics/rx_dropped; }
kernel_drops_before=$(lo_rx_dropped)
interval=1
top=20
metrics_services=20
mport=9464
# ip netns exec execs portnote: $! is portnote itself.
ip netns exec "$ns" "$portnote" live -i lo --format json --interval $interval --top $top \
	--metrics 127.0.0.1:$mport --metrics-services $metrics_services \
	--idle-timeout tcp=3 -B 32768 >"$tmp/out.jsonl" 2>"$tmp/err" &
live=$!
pids+=("$live")
# It has opened lo once it runs as nobody.
if ! wait_nobody $live; then
	bad "portnote live did not start: $(cat "$tmp/err")"
	finish
fi
for ((i = 0; i < 50; i++)); do
	in_ns curl -s -o /dev/null http://127.0.0.1:$mport/metrics && break
	sleep 0.1
done
ip netns exec "$ns" "$load" -d "$seconds" -r "$rate" >"$tmp/load.json" 2>"$tmp/load.err" &
loader=$!
pids+=("$loader")
# Scrape every second while the flood runs: status, time, service labels.
scrapes=0
while kill -0 $loader 2>/dev/null; do
	in_ns curl -s -m 5 -o "$tmp/metrics" -w '%{http_code} %{time_total}\n' \
		http://127.0.0.1:$mport/metrics >>"$tmp/scrapes" 2>/dev/null ||
		echo "fail 5" >>"$tmp/scrapes"
	labels=$(grep -o 'service="[^"]*"' "$tmp/metrics" 2>/dev/null | sort -u | wc -l)
	echo "$labels" >>"$tmp/labels"
	scrapes=$((scrapes + 1))
	sleep 1
done
wait $loader
rc=$?
if [[ $rc -eq 0 ]] && jq -e '.type == "flood_load"' "$tmp/load.json" >/dev/null 2>&1; then
	ok "flood ran $seconds s: $(jq -r '"\(.syns) SYNs, \(.rate) per second"' "$tmp/load.json")"
else
	bad "flood generator: exit $rc, $(head -c 300 "$tmp/load.err")"
	finish
fi
syns=$(jq -r .syns "$tmp/load.json")
elapsed=$(jq -r .elapsed "$tmp/load.json")

# Caught up: two snapshots with the same packet count and no flow active:
# the RSTs' linger (2 s) has ended every flow, and the idle timeout (3 s)
# those whose RST was dropped.
last_count() {
	grep '"type":"snapshot"' "$tmp/out.jsonl" | tail -2 | jq -rs \
		'if length == 2 and .[0].packets == .[1].packets and .[1].active_flows == 0 then "same" else "moving" end' 2>/dev/null
}
caught_up=false
start=$SECONDS
while ((SECONDS - start < 60)); do
	sleep 1
	kill -0 $live 2>/dev/null || break
	((SECONDS - start >= 3)) || continue
	if [[ $(last_count) == same ]]; then
		caught_up=true
		break
	fi
done
if $caught_up; then
	ok "portnote had read all packets $((SECONDS - start)) s after the flood ended"
else
	bad "portnote still counting 60 s after the flood ended"
fi
hwm=$(awk '/^VmHWM:/ { print $2 }' /proc/$live/status 2>/dev/null)
# CPU time portnote used (user + system, all threads), in seconds.
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' /proc/$live/stat 2>/dev/null)
kill -TERM $live 2>/dev/null
if wait_bounded $live 30; then
	rc=$waited
	if [[ $rc -eq 0 ]]; then ok "exit 0 after SIGTERM"; else bad "exit $rc after SIGTERM: $(tail -3 "$tmp/err")"; fi
else
	bad "portnote live still running 30 s after SIGTERM"
	finish
fi
kernel_drops=$(($(lo_rx_dropped) - kernel_drops_before))

stats=$(grep '"type":"stats"' "$tmp/out.jsonl" | tail -1)
summary=$(grep '"type":"summary"' "$tmp/out.jsonl" | tail -1)
if [[ -z $stats || -z $summary ]]; then
	bad "no final stats report or summary: $(tail -c 300 "$tmp/out.jsonl")"
	finish
fi
S() { jq -r "$1" <<<"$stats"; }
M() { jq -r "$1" <<<"$summary"; }

# 1. flows
pcap_dropped=$(M '(.pcap.dropped // 0) + (.pcap.ifdropped // 0)')
received=$(M '.pcap.received // 0')
processed=$(M .packets)
drops=$((pcap_dropped + kernel_drops))
rst=$(S '.flow_ends.rst')
echo "drops: libpcap $pcap_dropped (of $received received), before capture (lo rx_dropped) $kernel_drops"
if ((drops == 0)); then
	if ((rst == syns)); then
		ok "flows ended by RST $rst == SYNs sent $syns, no drops"
	else
		bad "flows ended by RST $rst != SYNs sent $syns, no drops"
	fi
else
	# A SYN whose RST was dropped is a flow that ends idle; a flow whose
	# packets were both dropped is not seen.
	flows=$((rst + $(S '.flow_ends.idle')))
	d=$((flows - syns))
	if ((flows <= syns && ${d#-} <= drops)); then
		ok "flows ended by RST or idle $flows vs SYNs $syns: difference $d within $drops drops"
	else
		bad "flows ended by RST or idle $flows vs SYNs $syns: difference $d beyond $drops drops"
	fi
fi
if [[ $(S .flow_ends.evicted) == 0 ]]; then
	ok "no flow evicted (peak $(S .peak_flows) active)"
else
	bad "$(S .flow_ends.evicted) flows evicted at peak $(S .peak_flows)"
fi

# 2. packets
if ((drops > 0 || processed * 2 == received)); then
	ok "every captured packet was read ($processed, each seen twice on lo)"
else
	bad "read $processed packets of $received/2 captured: some left unread"
fi

# 3. the live view
read -r n_snap max_gap_ms max_services <<<"$(grep '"type":"snapshot"' "$tmp/out.jsonl" | jq -rs '
	[.[].elapsed] as $e
	| "\(length) \([range(1; $e | length) | $e[.] - $e[. - 1]] | max // 0 | . * 1000 | floor) \([.[].services | length] | max // 0)"')"
slack=1
if ldd "$portnote" 2>/dev/null | grep -q 'libasan'; then
	slack=2
	echo "note: sanitizer build: snapshots judged with twice the slack"
fi
if ((n_snap * slack >= seconds / interval && max_gap_ms <= 3 * slack * interval * 1000)); then
	ok "$n_snap snapshots, at most $max_gap_ms ms apart (interval $interval s)"
else
	bad "$n_snap snapshots, up to $max_gap_ms ms apart (interval $interval s): the view stalled"
fi
if ((max_services <= top)); then
	ok "every snapshot lists at most $top services (at most $max_services)"
else
	bad "a snapshot listed $max_services services (--top $top)"
fi

# 4. /metrics
slowest=$(awk '{ if ($1 != 200) bad++; if ($2 > m) m = $2 } END { printf "%d %.3f", bad, m }' "$tmp/scrapes")
read -r failed_scrapes slowest_s <<<"$slowest"
if ((scrapes >= seconds / 2 && failed_scrapes == 0)) && awk -v s="$slowest_s" -v l=$((2 * slack)) 'BEGIN { exit !(s <= l) }'; then
	ok "/metrics answered $scrapes scrapes during the flood, the slowest in $slowest_s s"
else
	bad "/metrics: $failed_scrapes of $scrapes scrapes failed, the slowest took $slowest_s s"
fi
max_labels=$(sort -n "$tmp/labels" | tail -1)
if ((max_labels <= metrics_services + 1)); then
	ok "/metrics: at most $max_labels service label values (--metrics-services $metrics_services, plus other)"
else
	bad "/metrics: $max_labels service label values (--metrics-services $metrics_services)"
fi

# 5. services
if [[ $(S '.services_total') -le 2048 && $(S '.services_past_bound.flows // 0') -gt 0 ]] &&
	jq -e '([.services[].flows] | add) + (.other_services.flows // 0) == .all.flows' <<<"$stats" >/dev/null; then
	ok "services bounded: $(S .services_total) kept, $(S .services_past_bound.flows) flows of $(S .services_past_bound.keys) more summed; every flow counted once"
else
	bad "services: $(S .services_total) kept, past the bound $(S -c .services_past_bound); rows do not add up to $(S .all.flows) flows"
fi

# 6. memory
if ((slack > 1)); then
	echo "note: sanitizer build: peak RSS ${hwm:-unknown} KiB not judged (shadow memory and quarantine)"
elif [[ -n $hwm ]] && ((hwm < 256 * 1024)); then
	ok "peak RSS $((hwm / 1024)) MiB < 256 MiB"
else
	bad "peak RSS ${hwm:-unknown} KiB, not under 256 MiB"
fi

how="as fast as the machine sends"
((rate > 0)) && how="at $rate SYNs/s"
awk -v s="$syns" -v e="$elapsed" -v r="$received" -v d="$pcap_dropped" -v k="$kernel_drops" \
	-v p="$(S .peak_flows)" -v h="$hwm" -v secs="$seconds" -v how="$how" -v cpu="${cpu:-0}" 'BEGIN {
	printf "flood: %d s %s; %.0f new flows/s (%.0f packets/s, SYN and RST); libpcap dropped %d of %d (%.4f %%), lo dropped %d; peak %d flows at once; peak RSS %d MiB; portnote used %.1f s of CPU\n",
		secs, how, s / e, 2 * s / e, d, r, r ? 100 * d / r : 0, k, p, h / 1024, cpu
}'
finish
