#!/usr/bin/env bash
# Soak test of portnote live: loopback of a network namespace of its own
# under as much mixed UDP/TCP load as the machine allows, for SECONDS.
#   usage: soak.sh PORTNOTE SRCDIR SOAK_LOAD [SECONDS]   (default 600)
#
# Needs root, `ip` (iproute2) and jq; otherwise exit 77.
# portnote live -i lo --format json --interval 2 --top 0
# --idle-timeout tcp=5,udp=5 -B 65536 runs in the namespace while SOAK_LOAD
# (tests/soak_load.c) sends for SECONDS; once the load has ended, portnote
# has read everything (two snapshots with the same packet count) and idle
# flows have timed out, SIGTERM ends it. Checks:
#   1. RSS (VmRSS, sampled every second) after the first 25 % of the run
#      never exceeds its value at that point by more than 10 % or 8 MiB,
#      whichever is larger.
#   2. UDP datagrams sent == UDP packets of the final stats report (all
#      client to server: the receivers never answer) when nothing was
#      dropped; with drops, counted <= sent <= counted + drops.
#   3. TCP flows of the report == connections completed, UDP flows == the
#      generator's source/destination port pairs; with drops, within the
#      number of drops.
#   4. Snapshots kept coming every interval; rates and drops are printed
#      (the "soak:" line) for the README.
# Prints "N passed, M failed". KEEP=1 keeps the outputs (portnote's JSON
# lines, the generator's account, the RSS samples) in the temporary
# directory it names.
set -uo pipefail
usage="usage: soak.sh PORTNOTE SRCDIR SOAK_LOAD [SECONDS]"
portnote=${1:?$usage}
srcdir=${2:?$usage}
load=${3:?$usage}
seconds=${4:-600}
export LC_ALL=C TZ=UTC
# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"

if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 8)); then
	echo "$usage (SECONDS: a whole number, at least 8)" >&2
	exit 2
fi
need_root "network namespaces, capture"
need_tools ip jq

ns=pn-soak-$$
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
# Client ports of TCP connections from the Dynamic range (unregistered:
# the server side is the listener even without the handshake), and below
# the generator's UDP source ports (61000 and up).
in_ns sysctl -qw net.ipv4.ip_local_port_range="49152 60999"

# Packets lo dropped before any tap saw them (the per-CPU backlog of
# netif_rx is full): neither sent nor dropped as libpcap counts them.
lo_rx_dropped() { in_ns cat /sys/class/net/lo/statistics/rx_dropped; }
kernel_drops_before=$(lo_rx_dropped)

interval=2
ip netns exec "$ns" "$portnote" live -i lo --format json --interval $interval --top 0 \
	--idle-timeout tcp=5,udp=5 -B 65536 >"$tmp/out.jsonl" 2>"$tmp/err" &
live=$!
pids+=("$live")
# It has opened lo once it runs as nobody.
if ! wait_nobody $live; then
	bad "portnote live did not start: $(cat "$tmp/err")"
	finish
fi

# VmRSS every second, with the time, until killed.
(
	while rss=$(awk '/^VmRSS:/ { print $2 }' /proc/$live/status 2>/dev/null) &&
		[[ -n $rss ]]; do
		echo "$EPOCHREALTIME $rss"
		sleep 1
	done
) >"$tmp/rss" &
sampler=$!
pids+=("$sampler")

load_start=$EPOCHREALTIME
ip netns exec "$ns" "$load" -d "$seconds" >"$tmp/load.json" 2>"$tmp/load.err" &
loader=$!
pids+=("$loader")
if ! wait_bounded $loader $((seconds + 60)); then
	bad "load generator still running $((seconds + 60)) s after its start"
	finish
fi
if [[ $waited -eq 0 ]] && jq -e '.type == "soak_load"' "$tmp/load.json" >/dev/null 2>&1; then
	ok "load generator ran $seconds s: $(jq -r '"\(.udp_datagrams) UDP datagrams on \(.udp_flows) port pairs, \(.tcp_connections) TCP connections"' "$tmp/load.json")"
else
	bad "load generator: exit $waited, $(head -c 300 "$tmp/load.err")"
	finish
fi
L() { jq -r "$1" "$tmp/load.json"; }

# Caught up: two snapshots in a row with the same packet count, and at
# least 7 s after the load (UDP idle timeout 5 s, swept every second).
last_count() {
	grep '"type":"snapshot"' "$tmp/out.jsonl" | tail -2 | jq -rs \
		'if length == 2 and .[0].packets == .[1].packets then "same" else "moving" end' 2>/dev/null
}
caught_up=false
catch_limit=$((seconds / 2 > 60 ? seconds / 2 : 60))
start=$SECONDS
while ((SECONDS - start < catch_limit)); do
	sleep 1
	kill -0 $live 2>/dev/null || break
	((SECONDS - start >= 7)) || continue
	if [[ $(last_count) == same ]]; then
		caught_up=true
		break
	fi
done
after_load=$((SECONDS - start))
if $caught_up; then
	ok "portnote had read all packets ${after_load} s after the load ended"
else
	bad "portnote still counting packets $catch_limit s after the load ended"
fi
kill -TERM $live 2>/dev/null
term_at=$EPOCHREALTIME
if wait_bounded $live 30; then
	rc=$waited
	if [[ $rc -eq 0 ]]; then ok "exit 0 after SIGTERM"; else bad "exit $rc after SIGTERM: $(tail -3 "$tmp/err")"; fi
else
	bad "portnote live still running 30 s after SIGTERM"
	finish
fi
kill $sampler 2>/dev/null
wait $sampler 2>/dev/null
kernel_drops=$(($(lo_rx_dropped) - kernel_drops_before))

stats=$(grep '"type":"stats"' "$tmp/out.jsonl" | tail -1)
summary=$(grep '"type":"summary"' "$tmp/out.jsonl" | tail -1)
if [[ -z $stats || -z $summary ]]; then
	bad "no final stats report or summary: $(tail -c 300 "$tmp/out.jsonl")"
	finish
fi
S() { jq -r "$1" <<<"$stats"; }
M() { jq -r "$1" <<<"$summary"; }

# 1. RSS
awk -v t0="$load_start" -v warm=$((seconds / 4)) -v end="$term_at" '
	$1 >= t0 && $1 <= end { t = $1 - t0
		n++; if (n == 1 || $2 < min) min = $2; if ($2 > max) max = $2
		if (t >= warm && w == "") w = $2
		if (w != "" && $2 > wmax) wmax = $2
		last = $2 }
	END { printf "%d %d %d %s %d %d\n", n, min, max, w == "" ? "-" : w, wmax, last }
' "$tmp/rss" >"$tmp/rss.sum"
read -r n_rss rss_min rss_max rss_warm rss_after rss_end <"$tmp/rss.sum"
echo "RSS (KiB): $n_rss samples; min $rss_min, max $rss_max; at warm-up end ($((seconds / 4)) s) ${rss_warm}; max after it $rss_after; at the end $rss_end"
if [[ $rss_warm == - ]] || ((n_rss < seconds / 2)); then
	bad "too few RSS samples ($n_rss in $seconds s)"
else
	margin=$((rss_warm / 10 > 8192 ? rss_warm / 10 : 8192))
	if ((rss_after <= rss_warm + margin)); then
		ok "RSS flat after warm-up: max $rss_after KiB <= $rss_warm + $margin KiB"
	else
		bad "RSS grew after warm-up: max $rss_after KiB > $rss_warm + $margin KiB"
	fi
fi

# Every service must be listed: the report's top 20 covers them all.
if [[ $(S .other_services) == null ]]; then
	ok "final report lists every service ($(S .services_total))"
else
	bad "final report summed services into other_services: $(S -c .other_services)"
fi

# 2. packets. libpcap counts drops on both copies lo shows a capture (the
# outgoing one is skipped when read), so its drops are an upper bound.
pcap_dropped=$(M '(.pcap.dropped // 0) + (.pcap.ifdropped // 0)')
received=$(M '.pcap.received // 0')
processed=$(M .packets)
drops=$((pcap_dropped + kernel_drops))
sent=$(L .udp_datagrams)
udp_counted=$(S '[.services[] | select(.transport == "udp") | .packets_c2s + .packets_s2c] | add // 0')
udp_s2c=$(S '[.services[] | select(.transport == "udp" and .service != "unknown") | .packets_s2c] | add // 0')
udp_decoded=$(M .transports.udp)
echo "drops: libpcap $pcap_dropped (of $received received), before capture (lo rx_dropped) $kernel_drops"
if ((drops == 0)); then
	if ((udp_counted == sent)); then
		ok "UDP packets counted $udp_counted == datagrams sent $sent, no drops"
	else
		bad "UDP packets counted $udp_counted != datagrams sent $sent, no drops"
	fi
	if ((processed * 2 == received)); then
		ok "every captured packet was read ($processed, each seen twice on lo)"
	else
		bad "read $processed packets of $received/2 captured: some left unread"
	fi
elif ((udp_counted <= sent && sent <= udp_counted + drops)); then
	ok "UDP packets counted $udp_counted <= sent $sent <= counted + $drops drops"
else
	bad "UDP packets counted $udp_counted, sent $sent, $drops drops: not counted <= sent <= counted + drops"
fi
if ((udp_counted == udp_decoded)); then
	ok "every decoded UDP packet ($udp_decoded) is in a flow of the report"
else
	bad "decoded $udp_decoded UDP packets, the report's flows hold $udp_counted"
fi
if ((udp_s2c == 0)); then
	ok "UDP: the receivers' ports are the server side (no server-to-client packets)"
else
	bad "UDP: $udp_s2c packets server to client, the receivers never send"
fi
# Per port: the report's udp services against the generator's counts.
# Dynamic destination ports pair with Dynamic source ports: "unknown".
per_port=$(jq -rn --argjson s "$stats" --argjson l "$(cat "$tmp/load.json")" '
	def name(p): if p >= 49152 then "unknown" else p | tostring end;
	[$l.udp_ports[] | {k: name(.port), d: .datagrams, f: .flows}]
	  | group_by(.k) | map({k: .[0].k, d: (map(.d) | add), f: (map(.f) | add)})
	  | map(. as $g | ([$s.services[] | select(.transport == "udp" and
	      (if $g.k == "unknown" then .service == "unknown" else .ports == $g.k end))]
	      | first) as $r
	      | if $r == null then "\($g.k): not in the report"
	        elif $r.packets_c2s + $r.packets_s2c != $g.d or $r.flows != $g.f then
	          "\($g.k): \($r.packets_c2s + $r.packets_s2c) packets, \($r.flows) flows; sent \($g.d) on \($g.f) pairs"
	        else empty end)
	  | join("; ")')
if ((drops == 0)); then
	if [[ -z $per_port ]]; then
		ok "UDP per destination port: packets and flows as sent"
	else
		bad "UDP per destination port: $per_port"
	fi
elif [[ -n $per_port ]]; then
	echo "note: with $drops drops, UDP per port differs: $per_port"
fi

# 3. flows
tcp_flows=$(S '[.services[] | select(.transport == "tcp") | .flows] | add // 0')
udp_flows=$(S '[.services[] | select(.transport == "udp") | .flows] | add // 0')
conns=$(L .tcp_connections)
failed=$(L .tcp_failed)
pairs=$(L .udp_flows)
gap_ms=$(L '.udp_max_round_ms * 2 | floor')
if ((gap_ms < 5000)); then
	ok "every UDP pair sent at least every $gap_ms ms (idle timeout 5 s: one flow per pair)"
else
	bad "a UDP pair paused up to $gap_ms ms: its flow may have timed out"
fi
if ((failed > 0)); then
	echo "note: $failed TCP connections failed after connect(): each may be a flow"
fi
if ((drops == 0)); then
	if ((tcp_flows >= conns && tcp_flows <= conns + failed)); then
		ok "TCP flows $tcp_flows == connections completed $conns"
	else
		bad "TCP flows $tcp_flows, connections completed $conns (+$failed failed)"
	fi
	if ((udp_flows == pairs)); then
		ok "UDP flows $udp_flows == port pairs $pairs"
	else
		bad "UDP flows $udp_flows != port pairs $pairs"
	fi
else
	# A lost FIN merges a reused port pair into the old flow; a lost
	# stretch longer than the idle timeout splits one: each takes drops.
	echo "note: with $drops drops, flows may differ from the generator's by at most that many"
	d=$((tcp_flows - conns))
	if ((${d#-} <= drops + failed)); then
		ok "TCP flows $tcp_flows vs connections $conns: difference $d within $drops drops"
	else
		bad "TCP flows $tcp_flows vs connections $conns: difference $d beyond $drops drops"
	fi
	d=$((udp_flows - pairs))
	if ((${d#-} <= drops)); then
		ok "UDP flows $udp_flows vs port pairs $pairs: difference $d within $drops drops"
	else
		bad "UDP flows $udp_flows vs port pairs $pairs: difference $d beyond $drops drops"
	fi
fi
if [[ $(S '.flow_ends.evicted') == 0 ]]; then
	ok "no flow evicted (peak $(S .peak_flows) active)"
else
	bad "$(S .flow_ends.evicted) flows evicted at peak $(S .peak_flows)"
fi

# 4. snapshots and rates
gaps=$(grep '"type":"snapshot"' "$tmp/out.jsonl" | jq -rs '
	[.[].elapsed] as $e | {n: length, max: ([range(1; $e | length) | $e[.] - $e[. - 1]] | max // 0)}
	| "\(.n) \(.max * 1000 | floor)"')
read -r n_snap max_gap_ms <<<"$gaps"
# Under AddressSanitizer the packet path runs several times slower while the
# load generator does not: the view is judged on the normal build, and here
# only required not to stop.
slack=1
if ldd "$portnote" 2>/dev/null | grep -q 'libasan'; then
	slack=2
	echo "note: sanitizer build: snapshots judged with twice the slack"
fi
if ((n_snap * slack >= seconds / interval &&
	max_gap_ms <= 3 * slack * interval * 1000)); then
	ok "$n_snap snapshots, at most $max_gap_ms ms apart (interval $interval s)"
else
	bad "$n_snap snapshots, up to $max_gap_ms ms apart (interval $interval s): the view stalled"
fi
elapsed=$(L .elapsed)
awk -v s="$sent" -v c="$conns" -v e="$elapsed" -v p="$processed" -v r="$received" \
	-v d="$pcap_dropped" -v k="$kernel_drops" -v secs="$seconds" \
	-v w="$rss_warm" -v m="$rss_after" -v z="$rss_end" '
	BEGIN {
		printf "soak: %d s; %.0f UDP datagrams/s, %.0f TCP connections/s; portnote read %.0f packets/s; libpcap dropped %d of %d (%.4f %%), lo dropped %d; RSS KiB warm %s max %s end %s\n",
			secs, s / e, c / e, p / e, d, r, r ? 100 * d / r : 0, k, w, m, z
	}'
finish
