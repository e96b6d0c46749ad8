#!/usr/bin/env bash
# The metrics endpoint of `portnote live` against slow clients (issue 14).
#   usage: metrics_slow.sh PORTNOTE SRCDIR
#
# Needs root or capture permission on lo, curl and python3 (otherwise exit
# 77). Connects only to 127.0.0.1; about 22 s in all, every wait bounded.
#   1. portnote live -i lo --metrics 127.0.0.1:M serves /metrics.
#   2. tests/slow_clients.py keeps 70 connections open to it for 14 s, each
#      sending a request line and then one header every 2 to 4 s (a
#      connection the server drops is opened again).
#   3. Meanwhile curl scrapes once a second for 10 s: every scrape after
#      the first second must answer 200 within 2 s.
#   4. No slow connection lives much past the request deadline (3 s): the
#      longest one the server closed, and the longest still open at the
#      end, are under 5 s.
#   5. 20 slow clients, fewer than the 64 connections kept: the request
#      deadline alone drops each of them after about 3 s (2.5 to 4.5 s).
#   6. SIGINT ends portnote with exit 0.
# Prints "N passed, M failed".
set -uo pipefail
portnote=${1:?usage: metrics_slow.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: metrics_slow.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC

# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"
need_tools curl python3
if [[ ! -d /sys/class/net/lo ]]; then
	echo "skip: no loopback interface lo"
	exit 77
fi

tmp=$(mktemp -d)
pids=()
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.2
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

port_in_use() {
	local hex
	hex=$(printf ':%04X ' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		awk '{print $2 " " $3}' | grep -q -- "$hex"
}
# Below Linux's ephemeral range, so no client socket lands on it.
p_metrics='' p_filter=''
for ((i = 0; i < 200; i++)); do
	p=$((20000 + RANDOM % 12768))
	port_in_use "$p" && continue
	if [[ -z $p_metrics ]]; then
		p_metrics=$p
	elif [[ $p != "$p_metrics" ]]; then
		p_filter=$p
		break
	fi
done
if [[ -z $p_filter ]]; then
	echo "cannot find free ports"
	echo "0 passed, 1 failed"
	exit 1
fi
url=http://127.0.0.1:$p_metrics/metrics

# 1. portnote, capturing next to nothing (a port nobody uses).
"$portnote" live -i lo -f "tcp port $p_filter" --duration 40 --interval 1 \
	--metrics "127.0.0.1:$p_metrics" --format json \
	>"$tmp/live.json" 2>"$tmp/live.err" &
pid=$!
pids+=("$pid")
up=0
for ((i = 0; i < 100; i++)); do
	kill -0 "$pid" 2>/dev/null || break
	if curl -s -f --max-time 2 -o /dev/null "$url"; then
		up=1
		break
	fi
	sleep 0.1
done
if [[ $up -ne 1 ]]; then
	sleep 0.5
	if grep -q 'cannot capture' "$tmp/live.err"; then
		echo "skip: cannot capture on lo (need root or CAP_NET_RAW):"
		grep 'cannot capture' "$tmp/live.err"
		exit 77
	fi
	bad "portnote live --metrics 127.0.0.1:$p_metrics never answered"
	sed 's/^/  stderr: /' "$tmp/live.err"
	finish
fi
ok "portnote live serves $url"

# 2. The slow clients.
python3 "$srcdir/tests/slow_clients.py" "$p_metrics" 70 14 \
	>"$tmp/slow.out" 2>"$tmp/slow.err" &
slow=$!
pids+=("$slow")
sleep 1 # let them connect

# 3. Scrapes, one a second for 10 s, each in the background so that a
# slow answer does not push the later ones past the slow clients' run.
scrape() { # N
	local out rc
	out=$(curl -s -o "$tmp/page.$1" -w '%{http_code} %{time_total}' \
		--max-time 2 "$url")
	rc=$?
	echo "$rc $out" >"$tmp/scrape.$1"
}
scrapers=()
for ((i = 0; i < 10; i++)); do
	scrape "$i" &
	scrapers+=($!)
	sleep 1
done
wait "${scrapers[@]}"
good=0 late=0 codes=''
for ((i = 0; i < 10; i++)); do
	read -r rc code _ <"$tmp/scrape.$i"
	codes+=" $code"
	if [[ $rc -eq 0 && $code == 200 ]] &&
		grep -qx 'portnote_up 1' "$tmp/page.$i"; then
		good=$((good + 1))
	elif [[ $i -gt 0 ]]; then
		late=$((late + 1))
	fi
done
if [[ $late -eq 0 ]]; then
	ok "$good of 10 scrapes answered within 2 s under 70 slow clients (HTTP codes:$codes)"
else
	bad "$good of 10 scrapes answered within 2 s under 70 slow clients (HTTP codes:$codes)"
fi

# 4. The slow clients' view.
if ! wait "$slow"; then
	bad "slow_clients.py failed:"
	sed 's/^/  /' "$tmp/slow.err"
	finish
fi
read -r _ opened _ closed _ longest_closed _ longest_open <"$tmp/slow.out"
echo "slow clients: $(cat "$tmp/slow.out")"
if [[ $closed -gt 0 ]] &&
	awk -v a="$longest_closed" -v b="$longest_open" \
		'BEGIN { exit !(a < 5 && b < 5) }'; then
	ok "slow connections are dropped within 5 s ($opened opened, $closed dropped, longest $longest_closed s)"
else
	bad "slow connections live too long: longest dropped $longest_closed s, longest open $longest_open s ($opened opened, $closed dropped)"
fi

# 5. Fewer slow clients than the connections kept (64): none is closed to
# make room, so the deadline alone must drop each after 3 s.
python3 "$srcdir/tests/slow_clients.py" "$p_metrics" 20 5.5 \
	>"$tmp/slow20.out" 2>"$tmp/slow20.err"
read -r _ opened _ closed _ longest_closed _ longest_open <"$tmp/slow20.out"
echo "20 slow clients: $(cat "$tmp/slow20.out")"
if [[ $closed -ge 20 ]] &&
	awk -v a="$longest_closed" -v b="$longest_open" \
		'BEGIN { exit !(a >= 2.5 && a < 4.5 && b < 4.5) }'; then
	ok "the request deadline drops slow connections after about 3 s (longest $longest_closed s)"
else
	bad "20 slow clients: $opened opened, $closed dropped, longest dropped $longest_closed s (want 2.5 to 4.5), longest open $longest_open s"
	sed 's/^/  /' "$tmp/slow20.err"
fi

# 6. SIGINT ends portnote cleanly.
kill -INT "$pid" 2>/dev/null
status=''
for ((i = 0; i < 50; i++)); do
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid"
		status=$?
		break
	fi
	sleep 0.1
done
if [[ $status == 0 ]]; then
	ok "SIGINT: portnote live exits 0"
else
	bad "SIGINT: portnote live exit status '${status:-still running}'"
	sed 's/^/  stderr: /' "$tmp/live.err"
fi
if grep -Eq 'Sanitizer|runtime error:' "$tmp/live.err"; then
	bad "sanitizer report from portnote:"
	grep -E -A20 'Sanitizer|runtime error:' "$tmp/live.err" | head -40
fi

finish
