#!/usr/bin/env bash
# portnote live on the loopback interface of a network namespace of its own,
# so the only traffic it sees is the test's.
#   usage: live_monitor.sh PORTNOTE SRCDIR
#
# Needs root, `ip` (iproute2) and socat; otherwise exit 77.
#   1. portnote live -i lo --format json --interval 1 --duration 8
#      --flows-out FILE runs inside the namespace while the test opens
#      N_TCP TCP connections to 127.0.0.1:8080 (registered for http-alt),
#      each sending a known payload, and sends N_UDP datagrams to
#      127.0.0.1:5353 (mdns). Checks: one JSON snapshot per second; the
#      last snapshot's 8080/tcp service counts the N_TCP flows and the
#      bytes sent; 5353/udp is there; the final stats report counts the
#      same flows; FILE holds one JSON line per ended flow; the summary
#      line counts every packet; the payload ("x" x 1000, no HTTP) makes
#      each 8080 flow differ, counted in the snapshot per service and in
#      all; exit 0.
#   2. Privileges: while it runs, /proc/PID/status shows uid and gid of
#      nobody (it was started as root) and no supplementary groups; -Z
#      with an unknown user exits 1 with a message.
#   3. SIGTERM ends a run early with the report and exit 0.
# Prints "N passed, M failed".
set -uo pipefail
portnote=${1:?usage: live_monitor.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: live_monitor.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC
# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"

need_root "network namespaces, capture"
need_tools ip socat python3

ns=pn-live-$$
tmp=$(mktemp -d)
chmod 1777 "$tmp" # outputs are written after the switch to nobody
pids=()
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
	netns_down "$ns"
	rm -rf "$tmp"
}
trap cleanup EXIT
netns_up "$ns"
in_ns() { ip netns exec "$ns" "$@"; }

N_TCP=5 N_UDP=7
payload=$(head -c 1000 /dev/zero | tr '\0' x)

# 1. a run with known traffic
ip netns exec "$ns" socat -u TCP-LISTEN:8080,bind=127.0.0.1,fork,reuseaddr OPEN:/dev/null &
pids+=($!)
ip netns exec "$ns" "$portnote" live -i lo --format json --interval 1 --duration 8 \
	--flows-out "$tmp/flows.jsonl" >"$tmp/out.jsonl" 2>"$tmp/err" &
live=$!
pids+=($live)
sleep 1.5
status=$(cat /proc/$live/status 2>/dev/null)
nobody_uid=$(id -u nobody)
if grep -Eq "^Uid:[[:space:]]+$nobody_uid[[:space:]]+$nobody_uid[[:space:]]+$nobody_uid[[:space:]]+$nobody_uid" <<<"$status"; then
	ok "runs as nobody (uid $nobody_uid, real, effective, saved, fs) after opening lo"
else
	bad "privileges not dropped: $(grep -E '^(Uid|Gid)' <<<"$status" | tr '\n' ' ')"
fi
if grep -Eq "^Groups:[[:space:]]*$" <<<"$status"; then
	ok "no supplementary groups"
else
	bad "supplementary groups kept: $(grep '^Groups' <<<"$status")"
fi
if grep -Eq "^CapEff:[[:space:]]+0+$" <<<"$status"; then
	ok "no effective capabilities"
else
	bad "capabilities kept: $(grep '^Cap' <<<"$status" | tr '\n' ' ')"
fi
for ((i = 0; i < N_TCP; i++)); do
	printf '%s' "$payload" | in_ns socat -u STDIN TCP:127.0.0.1:8080
done
for ((i = 0; i < N_UDP; i++)); do
	printf 'query %d' "$i" | in_ns socat -u STDIN UDP:127.0.0.1:5353
done
wait "$live"
rc=$?
if [[ $rc -eq 0 ]]; then ok "exit 0 after --duration"; else bad "exit $rc: $(cat "$tmp/err")"; fi

snapshots=$(grep -c '"type":"snapshot"' "$tmp/out.jsonl")
if ((snapshots >= 6 && snapshots <= 9)); then
	ok "$snapshots snapshots in 8 s at --interval 1"
else
	bad "$snapshots snapshots in 8 s at --interval 1"
fi
last=$(grep '"type":"snapshot"' "$tmp/out.jsonl" | tail -1)
svc=$(grep -o '{"service":"http-alt"[^}]*}' <<<"$last" | head -1)
flows=$(grep -o '"flows":[0-9]*' <<<"$svc" | cut -d: -f2)
c2s=$(grep -o '"bytes_c2s":[0-9]*' <<<"$svc" | cut -d: -f2)
if [[ "$flows" == "$N_TCP" ]]; then
	ok "last snapshot: 8080/tcp http-alt has $N_TCP flows"
else
	bad "last snapshot: http-alt flows '${flows:-none}', expected $N_TCP: $svc"
fi
# Each connection carries the payload plus IP/TCP headers on lo (no
# link header bytes beyond the 14 of DLT_EN10MB on lo).
if [[ -n "$c2s" ]] && ((c2s > N_TCP * 1000 && c2s < N_TCP * 2000)); then
	ok "client-to-server bytes $c2s cover $N_TCP x 1000 payload bytes"
else
	bad "client-to-server bytes '${c2s:-none}' for $N_TCP x 1000 payload bytes"
fi
# 1000 x "x" is no HTTP: every connection to http-alt differs, like
# nothing known; the snapshot counts them per service and in all.
verdicts=$(python3 -c '
import json, sys
s = json.loads(sys.stdin.read())
h = [v for v in s["services"] if v["service"] == "http-alt"][0]
print(h["verdicts"]["differs"], h["verdicts"]["agrees"],
      h["differs_looks_like"].get("none", 0), s["verdicts"]["differs"])' \
	<<<"$last" 2>&1)
if [[ $verdicts == "$N_TCP 0 $N_TCP $N_TCP" ]]; then
	ok "last snapshot: http-alt's $N_TCP flows differ (looking like nothing known), $N_TCP in all"
else
	bad "last snapshot verdicts (differs agrees none total): $verdicts"
fi
if grep -q '"service":"mdns","transport":"udp","port":5353' <<<"$last"; then
	ok "5353/udp listed as registered for mdns"
else
	bad "5353/udp missing from the last snapshot"
fi
report=$(grep '"type":"stats"' "$tmp/out.jsonl" |
	grep -o '"service":"http-alt"[^}]*' | head -1)
if grep -q "\"flows\":$N_TCP[,}]" <<<"$report"; then
	ok "final stats report: http-alt with $N_TCP flows"
else
	bad "final stats report lacks http-alt with $N_TCP flows: ${report:-none}"
fi
lines=$(grep -c '"type":"flow"' "$tmp/flows.jsonl" 2>/dev/null || echo 0)
if ((lines == N_TCP + N_UDP)); then
	ok "--flows-out: $lines ended flows, one JSON line each"
else
	bad "--flows-out: $lines lines, expected $((N_TCP + N_UDP))"
fi
owner=$(stat -c %U "$tmp/flows.jsonl" 2>/dev/null)
if [[ $owner == nobody ]]; then
	ok "--flows-out written as nobody"
else
	bad "--flows-out owned by '$owner'"
fi
# A TCP connection on lo: 3-way handshake, data, FIN/ACK both ways: every
# packet of it is counted in the capture summary.
summary=$(grep '"type":"summary"' "$tmp/out.jsonl" | tail -1)
packets=$(grep -o '"packets":[0-9]*' <<<"$summary" | head -1 | cut -d: -f2)
if [[ -n "$packets" ]] && ((packets >= N_TCP * 6 + N_UDP)); then
	ok "summary counts $packets packets (at least $((N_TCP * 6 + N_UDP)))"
else
	bad "summary packets '${packets:-none}': $summary"
fi

# 2. -Z with an unknown user
in_ns "$portnote" live -i lo --duration 1 -Z no-such-user-pn \
	>"$tmp/z.out" 2>"$tmp/z.err"
rc=$?
if [[ $rc -eq 1 ]] && grep -q "no-such-user-pn: no such user" "$tmp/z.err"; then
	ok "-Z no-such-user: exit 1 with a message"
else
	bad "-Z no-such-user: exit $rc, $(cat "$tmp/z.err")"
fi

# 3. SIGTERM
ip netns exec "$ns" "$portnote" live -i lo --format json --interval 1 \
	>"$tmp/t.out" 2>"$tmp/t.err" &
live=$!
pids+=($live)
sleep 1.5
kill -TERM "$live"
start=$SECONDS
wait "$live"
rc=$?
if [[ $rc -eq 0 ]] && ((SECONDS - start <= 3)) &&
	grep -q '"interrupted":true' "$tmp/t.out"; then
	ok "SIGTERM: exit 0 with the final report"
else
	bad "SIGTERM: exit $rc; $(tail -c 300 "$tmp/t.out")"
fi
finish
