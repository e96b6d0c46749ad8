#!/usr/bin/env bash
# The Prometheus endpoint of `portnote live`, scraped for real.
#   usage: metrics_scrape.sh PORTNOTE SRCDIR
#
# Needs root or capture permission on lo, socat and curl (otherwise exit
# 77). Sends traffic only to 127.0.0.1, on random ports below the ephemeral
# range that nothing is bound to; every wait is bounded (about 15 s in all).
#   1. portnote live -i lo -f 'port T or port U' --interval 1 --metrics
#      127.0.0.1:M serves /metrics (200, text format 0.0.4) before any
#      traffic, and 404/405 elsewhere.
#   2. Three TCP connections to a socat listener on T and five 100-byte
#      datagrams to a socat receiver on U: the service series count them
#      (3 flows on tcp/T with the payload bytes to the server, 5 datagrams
#      of 142 bytes on the wire to udp/U), the per-service packets and bytes
#      add up to the capture totals, and there is no decode anomaly.
#      A known mismatch: an SSH identification string sent to a listener on
#      M, a port registered for http-alt (8080, else 8008 or 591): one
#      flow counted as differing and looking like SSH, in
#      portnote_flows_by_verdict_total and portnote_differs_flows_total.
#   3. promtool check metrics (when installed) finds no problem in the page.
#   4. A real Prometheus server (when installed) scrapes portnote every
#      second: its HTTP API answers portnote_registry_info,
#      portnote_packets_total for tcp/T and portnote_differs_flows_total
#      for tcp/M looking like ssh, and the target is healthy.
#   5. SIGINT ends portnote with exit 0 and no sanitizer report.
# Prints "N passed, M failed".
set -uo pipefail
portnote=${1:?usage: metrics_scrape.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: metrics_scrape.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC

for tool in socat curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "skip: $tool is not installed (apt-get install $tool)"
		exit 77
	fi
done
if [[ ! -d /sys/class/net/lo ]]; then
	echo "skip: no loopback interface lo"
	exit 77
fi

tmp=$(mktemp -d)
pids=()
# shellcheck disable=SC2317  # run by the EXIT trap
any_alive() {
	local p
	for p in "${pids[@]}"; do
		kill -0 "$p" 2>/dev/null && return 0
	done
	return 1
}
# shellcheck disable=SC2317
cleanup() {
	local p i
	# TERM first: `timeout` passes it on, and Prometheus shuts down.
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for ((i = 0; i < 20; i++)); do
		any_alive || break
		sleep 0.1
	done
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"

# port_in_use PORT: bound to anything, tcp or udp, v4 or v6.
port_in_use() {
	local hex
	hex=$(printf ':%04X ' "$1")
	cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 \
		2>/dev/null | awk '{print $2 " " $3}' | grep -q -- "$hex"
}
# Random ports in 20000-32767: below Linux's ephemeral range, so no client
# socket of another program lands on them during the test.
taken=" "
pick_port() { # VAR: sets VAR to a free port not picked before
	local p i
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + RANDOM % 12768))
		if [[ "$taken" != *" $p "* ]] && ! port_in_use "$p"; then
			taken+="$p "
			printf -v "$1" '%s' "$p"
			return 0
		fi
	done
	echo "cannot find a free port"
	echo "0 passed, 1 failed"
	exit 1
}
p_metrics='' p_tcp='' p_udp='' p_prom=''
pick_port p_metrics
pick_port p_tcp
pick_port p_udp
pick_port p_prom
p_mis=''
for p in 8080 8008 591; do
	if ! port_in_use "$p"; then
		p_mis=$p
		break
	fi
done
if [[ -z $p_mis ]]; then
	echo "skip: 8080, 8008 and 591 (http-alt) are all in use"
	exit 77
fi
echo "ports: metrics $p_metrics, tcp $p_tcp, udp $p_udp, http-alt $p_mis, prometheus $p_prom"
url=http://127.0.0.1:$p_metrics/metrics

# wait_exit PID SECONDS: 0 and sets $wait_status if PID exits in time.
wait_exit() {
	local i n=$(($2 * 10))
	for ((i = 0; i < n; i++)); do
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1"
			wait_status=$?
			return 0
		fi
		sleep 0.1
	done
	return 1
}
# wait_listen PORT: 0 once a TCP socket listens on 127.0.0.1:PORT (5 s).
wait_listen() {
	local hex i
	hex=$(printf '0100007F:%04X' "$1")
	for ((i = 0; i < 50; i++)); do
		awk '$4 == "0A" {print $2}' /proc/net/tcp | grep -qx "$hex" &&
			return 0
		sleep 0.1
	done
	return 1
}
# value PAGE SERIES: the value of one series, spelled exactly; empty if
# absent.
value() {
	awk -v s="$2" 'substr($0, 1, length(s) + 1) == s " " { print $NF }' "$1"
}
# sum PAGE PREFIX [TEXT [TEXT]]: the sum of the values of the samples that
# start with PREFIX and contain each TEXT (plain strings, no patterns).
sum() {
	awk -v pre="$2" -v a="${3:-}" -v b="${4:-}" '
		substr($0, 1, length(pre)) == pre && index($0, a) && index($0, b) {
			n += $NF
		}
		END { print n + 0 }' "$1"
}
scrape() { # FILE: the page, or false
	curl -s -f --max-time 5 -o "$1" "$url"
}

# 1. Start portnote and wait for its endpoint.
"$portnote" live -i lo -f "port $p_tcp or port $p_udp or port $p_mis" \
	--duration 40 \
	--interval 1 --metrics "127.0.0.1:$p_metrics" --format json \
	>"$tmp/live.json" 2>"$tmp/live.err" &
pid=$!
pids+=("$pid")
up=0
for ((i = 0; i < 100; i++)); do
	kill -0 "$pid" 2>/dev/null || break
	if scrape "$tmp/page0"; then
		up=1
		break
	fi
	sleep 0.1
done
if [[ $up -ne 1 ]]; then
	wait_exit "$pid" 1
	if grep -q 'cannot capture' "$tmp/live.err"; then
		echo "skip: cannot capture on lo (need root or CAP_NET_RAW):"
		grep 'cannot capture' "$tmp/live.err"
		exit 77
	fi
	bad "portnote live --metrics 127.0.0.1:$p_metrics never answered on $url"
	sed 's/^/  stderr: /' "$tmp/live.err"
	finish
fi
ok "portnote live serves $url"

headers=$(curl -s -o /dev/null -D - --max-time 5 "$url" | tr -d '\r')
if grep -qx 'Content-Type: text/plain; version=0.0.4; charset=utf-8' \
	<<<"$headers" && grep -q '^HTTP/1.1 200' <<<"$headers"; then
	ok "200 with Content-Type text/plain; version=0.0.4; charset=utf-8"
else
	bad "unexpected response headers:"
	printf '  %s\n' "$headers"
fi
if grep -qx 'portnote_up 1' "$tmp/page0" &&
	grep -qx '# TYPE portnote_packets_total counter' "$tmp/page0"; then
	ok "the first page has portnote_up 1 and the per-service families"
else
	bad "portnote_up or portnote_packets_total missing from the first page:"
	cat "$tmp/page0"
fi
code_nope=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	"http://127.0.0.1:$p_metrics/nope")
code_post=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
	-X POST --data x "$url")
if [[ $code_nope == 404 && $code_post == 405 ]]; then
	ok "404 for /nope, 405 for POST /metrics"
else
	bad "/nope answered $code_nope (want 404), POST $code_post (want 405)"
fi

# 2. Traffic: three TCP connections with a payload, five datagrams.
payload="portnote metrics scrape test payload"
# Servers without `timeout`: the EXIT trap must reach socat itself.
socat -u "TCP-LISTEN:$p_tcp,bind=127.0.0.1,reuseaddr,fork" \
	"OPEN:$tmp/tcp.recv,creat,append" 2>"$tmp/tcp_server.err" &
pids+=($!)
socat -u "UDP-RECV:$p_udp,bind=127.0.0.1" \
	"OPEN:$tmp/udp.recv,creat,append" 2>"$tmp/udp_server.err" &
pids+=($!)
socat -u "TCP-LISTEN:$p_mis,bind=127.0.0.1,reuseaddr,fork" OPEN:/dev/null \
	2>"$tmp/mis_server.err" &
pids+=($!)
if ! wait_listen "$p_tcp" || ! wait_listen "$p_mis"; then
	bad "the socat listeners on 127.0.0.1:$p_tcp and :$p_mis did not start"
	finish
fi
sleep 0.2 # the UDP receiver has no listen state to wait for
tcp_ok=0
for ((i = 0; i < 3; i++)); do
	printf '%s' "$payload" | timeout 5 socat -u - "TCP:127.0.0.1:$p_tcp" \
		2>>"$tmp/client.err" && tcp_ok=$((tcp_ok + 1))
done
for ((i = 0; i < 5; i++)); do
	head -c 100 /dev/zero | tr '\0' m |
		timeout 5 socat -u - "UDP-SENDTO:127.0.0.1:$p_udp"
done
printf 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n' |
	timeout 5 socat -u - "TCP:127.0.0.1:$p_mis" 2>>"$tmp/client.err"
if [[ $tcp_ok -eq 3 ]]; then
	ok "sent 3 TCP connections to :$p_tcp and 5 datagrams to :$p_udp"
else
	bad "only $tcp_ok of 3 TCP connections succeeded:"
	cat "$tmp/client.err"
fi

# Snapshots come every second: wait until one has seen all the traffic.
tcp_label="transport=\"tcp\",port=\"$p_tcp\""
udp_label='transport="udp"'
mis_series="portnote_differs_flows_total{transport=\"tcp\",port=\"$p_mis\",looks_like=\"ssh\"}"
for ((i = 0; i < 100; i++)); do
	if scrape "$tmp/page1" &&
		[[ $(sum "$tmp/page1" "portnote_flows_total{" "$tcp_label") -ge 3 &&
		$(sum "$tmp/page1" "portnote_packets_total{" "$udp_label") -ge 5 &&
		$(value "$tmp/page1" "$mis_series") -ge 1 ]]; then
		# Both sides' last TCP packets may land one snapshot later.
		sleep 1.5
		scrape "$tmp/page1"
		break
	fi
	sleep 0.1
done
page=$tmp/page1
[[ -s $page ]] || page=$tmp/page0

flows=$(sum "$page" "portnote_flows_total{" "$tcp_label")
tcp_to_server=$(sum "$page" "portnote_bytes_total{" "$tcp_label" \
	'direction="to_server"')
tcp_packets=$(sum "$page" "portnote_packets_total{" "$tcp_label")
# At least SYN, ACK and the data segment to the server, each 66 bytes of
# headers or more, and 6 packets per connection however they coalesce.
if [[ $flows -eq 3 && $tcp_packets -ge 18 &&
	$tcp_to_server -ge $((3 * (${#payload} + 3 * 66))) ]]; then
	ok "tcp/$p_tcp: 3 flows, $tcp_packets packets, $tcp_to_server bytes to the server"
else
	bad "tcp/$p_tcp: $flows flows (want 3), $tcp_packets packets (want >= 18), $tcp_to_server bytes to the server"
	grep "port=\"$p_tcp\"" "$page"
fi
udp_packets=$(sum "$page" "portnote_packets_total{" "$udp_label")
udp_bytes=$(sum "$page" "portnote_bytes_total{" "$udp_label")
if [[ $udp_packets -eq 5 && $udp_bytes -eq $((5 * (100 + 42))) ]]; then
	ok "udp/$p_udp: 5 datagrams, $udp_bytes bytes on the wire"
else
	bad "udp: $udp_packets packets (want 5), $udp_bytes bytes (want $((5 * 142)))"
	grep 'transport="udp"' "$page"
fi
mis_differs=$(value "$page" "$mis_series")
mis_verdict=$(sum "$page" "portnote_flows_by_verdict_total{" \
	"transport=\"tcp\",port=\"$p_mis\"" 'verdict="differs"')
mis_agrees=$(sum "$page" "portnote_flows_by_verdict_total{" \
	"transport=\"tcp\",port=\"$p_mis\"" 'verdict="agrees"')
if [[ $mis_differs == 1 && $mis_verdict == 1 && $mis_agrees == 0 ]] &&
	grep -q "^portnote_flows_by_verdict_total{service=\"http-alt\",transport=\"tcp\",port=\"$p_mis\",verdict=\"differs\"} 1$" "$page"; then
	ok "SSH bytes to $p_mis/tcp (http-alt): 1 flow differs, looks like ssh"
else
	bad "tcp/$p_mis: differs_flows $mis_differs, by_verdict differs $mis_verdict agrees $mis_agrees (want 1, 1, 0)"
	grep -E "verdict|differs" "$page"
fi
cap_packets=$(value "$page" portnote_capture_packets_total)
cap_bytes=$(value "$page" portnote_capture_bytes_total)
svc_packets=$(sum "$page" "portnote_packets_total{")
svc_bytes=$(sum "$page" "portnote_bytes_total{")
if [[ -n $cap_packets && $cap_packets -eq $svc_packets &&
	$cap_bytes -eq $svc_bytes && $cap_packets -gt 0 ]]; then
	ok "services add up to the capture: $cap_packets packets, $cap_bytes bytes"
else
	bad "capture $cap_packets packets/$cap_bytes bytes, services $svc_packets/$svc_bytes"
fi
if grep -Eq '^portnote_registry_info\{snapshot_date="[0-9]{4}-[0-9]{2}-[0-9]{2}"\} 1$' "$page"; then
	ok "portnote_registry_info{snapshot_date=\"YYYY-MM-DD\"} 1"
else
	bad "no portnote_registry_info sample with a date"
fi
if grep -q '^portnote_decode_anomalies_total{' "$page"; then
	bad "decode anomalies on clean traffic:"
	grep '^portnote_decode_anomalies_total{' "$page"
else
	ok "no decode anomaly"
fi
if [[ $(value "$page" portnote_capture_received_packets_total) -ge $cap_packets ]] &&
	awk '$1 == "portnote_uptime_seconds" { exit !($2 > 1) }' "$page"; then
	ok "libpcap received >= captured; uptime above 1 s"
else
	bad "libpcap counters or uptime wrong:"
	grep -E '^portnote_(capture|uptime)' "$page"
fi

# 3. promtool's linter.
if command -v promtool >/dev/null 2>&1; then
	if promtool check metrics <"$page" >"$tmp/promtool.out" 2>&1 &&
		[[ ! -s $tmp/promtool.out ]]; then
		ok "promtool check metrics: no problem"
	else
		bad "promtool check metrics:"
		sed 's/^/  /' "$tmp/promtool.out"
	fi
else
	echo "note: promtool is not installed; the page was not linted"
fi

# 4. A Prometheus server scraping portnote.
query() { # EXPR: the JSON answer of an instant query
	curl -s -G --max-time 5 "http://127.0.0.1:$p_prom/api/v1/query" \
		--data-urlencode "query=$1"
}
if command -v prometheus >/dev/null 2>&1; then
	cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: portnote
    static_configs:
      - targets: ['127.0.0.1:$p_metrics']
EOF
	prometheus --config.file="$tmp/prometheus.yml" \
		--storage.tsdb.path="$tmp/tsdb" \
		--web.listen-address="127.0.0.1:$p_prom" \
		>"$tmp/prometheus.log" 2>&1 &
	prom=$!
	pids+=("$prom")
	answer=''
	for ((i = 0; i < 100; i++)); do
		kill -0 "$prom" 2>/dev/null || break
		answer=$(query portnote_registry_info)
		[[ $answer == *'"result":[{'* ]] && break
		sleep 0.3
	done
	if [[ $answer == *'"result":[{'* &&
		$answer == *'"snapshot_date":"'* ]]; then
		ok "Prometheus scraped portnote_registry_info from portnote"
	else
		bad "Prometheus has no portnote_registry_info after 30 s: $answer"
		tail -n 20 "$tmp/prometheus.log" | sed 's/^/  prometheus: /'
	fi
	answer=$(query "portnote_packets_total{transport=\"tcp\",port=\"$p_tcp\",direction=\"to_server\"}")
	if [[ $answer == *'"result":[{'* ]]; then
		ok "Prometheus has portnote_packets_total for tcp/$p_tcp"
	else
		bad "Prometheus has no portnote_packets_total for tcp/$p_tcp: $answer"
	fi
	answer=$(query "portnote_differs_flows_total{transport=\"tcp\",port=\"$p_mis\",looks_like=\"ssh\"}")
	if [[ $answer == *'"result":[{'*'"value":['*',"1"]'* ]]; then
		ok "Prometheus has portnote_differs_flows_total 1 for tcp/$p_mis looking like ssh"
	else
		bad "Prometheus portnote_differs_flows_total for tcp/$p_mis: $answer"
	fi
	targets=$(curl -s --max-time 5 "http://127.0.0.1:$p_prom/api/v1/targets")
	if [[ $targets == *'"health":"up"'* && $targets == *'"lastError":""'* ]]; then
		ok "the Prometheus target is up, without scrape error"
	else
		bad "Prometheus target: $targets"
	fi
	kill -TERM "$prom" 2>/dev/null
	wait_exit "$prom" 5 || kill -KILL "$prom" 2>/dev/null
else
	echo "note: prometheus is not installed; no real scrape"
fi

# 5. SIGINT ends portnote cleanly.
kill -INT "$pid" 2>/dev/null
if wait_exit "$pid" 5; then
	if [[ $wait_status -eq 0 ]]; then
		ok "SIGINT: portnote live exits 0"
	else
		bad "SIGINT: portnote live exits $wait_status"
		sed 's/^/  stderr: /' "$tmp/live.err"
	fi
else
	bad "portnote live still running 5 s after SIGINT"
	kill -KILL "$pid" 2>/dev/null
fi
if grep -Eq 'Sanitizer|runtime error:' "$tmp/live.err"; then
	bad "sanitizer report from portnote:"
	grep -E -A20 'Sanitizer|runtime error:' "$tmp/live.err" | head -40
else
	ok "no sanitizer report on stderr"
fi

finish
