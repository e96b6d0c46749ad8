#!/usr/bin/env bash
# Live capture on the loopback interface with real traffic.
#   usage: live_loopback.sh PORTNOTE SRCDIR
#
# Needs root or capture permission on lo (otherwise exit 77) and socat.
# Sends traffic only to 127.0.0.1 and ::1, on random ports below the
# ephemeral range that nothing is bound to. Every wait is bounded; the whole
# test takes about 15 s.
#   1. SIGINT: portnote without -c, two datagrams, SIGINT: exits 0 within
#      3 s, prints both packets and a summary with "interrupted":true.
#   2. -c N: portnote -i lo --immediate -f 'port P1 or port P2' --format json
#      --duration 20 -c N sees a TCP connection to a socat listener on
#      127.0.0.1:P1 (SYN, SYN/ACK, the data, FIN both ways, right ports) and
#      UDP datagrams to 127.0.0.1:P2 and [::1]:P2 (right ports, lengths,
#      transport), then stops by itself after N packets (filler datagrams
#      are sent until it does) with a summary line.
#   3. --duration: with a filter nothing matches, --duration 2 ends the
#      capture within 4 s (exit 0, summary "interrupted":false).
# Prints "N passed, M failed".
set -uo pipefail
portnote=${1:?usage: live_loopback.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: live_loopback.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC

if ! command -v socat >/dev/null 2>&1; then
	echo "skip: socat is not installed (apt-get install socat)"
	exit 77
fi
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
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
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
p_tcp='' p_udp='' p_src='' p_quiet=''
pick_port p_tcp
pick_port p_udp
pick_port p_src
pick_port p_quiet
filter="port $p_tcp or port $p_udp"
echo "ports: tcp $p_tcp, udp $p_udp (from $p_src), quiet $p_quiet"

# has_packet_socket PID: PID holds an AF_PACKET socket (libpcap is live).
has_packet_socket() {
	local fd links=" "
	for fd in /proc/"$1"/fd/*; do
		links+="$(readlink "$fd" 2>/dev/null) "
	done
	awk -v links="$links" 'NR > 1 && index(links, " socket:[" $NF "] ") { found = 1 }
		END { exit !found }' /proc/net/packet 2>/dev/null
}
# wait_capturing PID ERRFILE: 0 once PID captures (plus 1 s for libpcap to
# install the filter and drain the ring); 1 if it exits or 10 s pass.
wait_capturing() {
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$1" 2>/dev/null || return 1
		if [[ -r /proc/net/packet ]]; then
			has_packet_socket "$1" && break
		elif [[ -s "$2" ]]; then
			break # no /proc/net/packet: its startup notice
		fi
		sleep 0.1
	done
	((i < 100)) || return 1
	sleep 1
	kill -0 "$1" 2>/dev/null
}
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
# stop PID: SIGINT, then SIGKILL if it lingers.
stop() {
	kill -INT "$1" 2>/dev/null
	wait_exit "$1" 3 || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
# skip_if_cannot_capture ERRFILE: exit 77 if portnote could not open lo.
skip_if_cannot_capture() {
	if grep -q 'cannot capture' "$1"; then
		echo "skip: cannot capture on lo (need root or CAP_NET_RAW):"
		grep 'cannot capture' "$1"
		exit 77
	fi
}
udp_send() { # DEST PORT BYTES: from a random port
	head -c "$3" /dev/zero | tr '\0' u >"/dev/udp/$1/$2"
}

# JSON lines: fields of one record, by name, without jq.
cat >"$tmp/json.awk" <<'EOF'
function jget(key,    m) {
	if (match($0, "\"" key "\":(\"[^\"]*\"|[^,}]*)")) {
		m = substr($0, RSTART + length(key) + 3, RLENGTH - length(key) - 3)
		gsub(/^"|"$/, "", m)
		return m
	}
	return ""
}
EOF

# 1. SIGINT ends a capture cleanly, with the summary.
"$portnote" packets -i lo --immediate -f "$filter" --format json \
	--duration 20 >"$tmp/int.json" 2>"$tmp/int.err" &
pid=$!
pids+=("$pid")
if ! wait_capturing "$pid" "$tmp/int.err"; then
	wait_exit "$pid" 1
	skip_if_cannot_capture "$tmp/int.err"
	bad "portnote -i lo did not start capturing:"
	sed 's/^/  stderr: /' "$tmp/int.err"
	stop "$pid"
	finish
fi
udp_send 127.0.0.1 "$p_udp" 11
udp_send 127.0.0.1 "$p_udp" 12
sleep 0.5
kill -INT "$pid"
if wait_exit "$pid" 3; then
	if [[ $wait_status -eq 0 ]]; then
		ok "SIGINT: portnote exits 0 within 3 s"
	else
		bad "SIGINT: portnote exits $wait_status"
	fi
	last=$(tail -n 1 "$tmp/int.json")
	if [[ "$last" == '{"type":"summary",'* && "$last" == *'"interrupted":true'* &&
		"$last" == *'"packets":2,'* ]]; then
		ok "SIGINT: summary line with \"interrupted\":true and 2 packets"
	else
		bad "SIGINT: last line is not a summary of 2 packets, interrupted: $last"
	fi
	n=$(awk -v P="$p_udp" -f "$tmp/json.awk" -f /dev/stdin "$tmp/int.json" <<'EOF'
jget("type") == "packet" && jget("transport") == "udp" && jget("dport") == P &&
	(jget("len") == 42 + 11 || jget("len") == 42 + 12) { n++ }
END { print n + 0 }
EOF
	)
	if [[ $n -eq 2 ]]; then
		ok "SIGINT: both datagrams were printed before the summary"
	else
		bad "SIGINT: $n of the 2 datagrams printed"
		cat "$tmp/int.json"
	fi
else
	bad "SIGINT: portnote still running 3 s after SIGINT"
	kill -KILL "$pid"
fi

# 2. A counted capture of a TCP connection and UDP datagrams.
count=30
payload="portnote live loopback test"
"$portnote" packets -i lo --immediate -f "$filter" --format json \
	--duration 20 -c "$count" >"$tmp/live.json" 2>"$tmp/live.err" &
pid=$!
pids+=("$pid")
if ! wait_capturing "$pid" "$tmp/live.err"; then
	bad "portnote -c $count did not start capturing:"
	sed 's/^/  stderr: /' "$tmp/live.err"
	stop "$pid"
	finish
fi

# TCP: a socat listener writes what it receives to a file; the client sends
# the payload and closes (FIN), the listener then closes too.
timeout 15 socat -u "TCP-LISTEN:$p_tcp,bind=127.0.0.1,reuseaddr" \
	"OPEN:$tmp/tcp.recv,creat,trunc" 2>"$tmp/server.err" &
server=$!
pids+=("$server")
listen_hex=$(printf '0100007F:%04X' "$p_tcp")
for ((i = 0; i < 50; i++)); do
	awk '$4 == "0A" {print $2}' /proc/net/tcp | grep -qx "$listen_hex" && break
	sleep 0.1
done
printf '%s' "$payload" | timeout 10 socat -u - "TCP:127.0.0.1:$p_tcp" \
	2>"$tmp/client.err"
client_status=$?
if wait_exit "$server" 5 && [[ $client_status -eq 0 &&
	"$(cat "$tmp/tcp.recv" 2>/dev/null)" == "$payload" ]]; then
	ok "TCP: socat client sent the payload to the listener on 127.0.0.1:$p_tcp"
else
	bad "TCP: socat exchange failed (client exit $client_status):"
	cat "$tmp/client.err" "$tmp/server.err"
fi

# UDP from a fixed source port, to 127.0.0.1 and (if lo has it) ::1.
udp_lens=(10 200 1000)
for n in "${udp_lens[@]}"; do
	head -c "$n" /dev/zero | tr '\0' d |
		timeout 5 socat -u - "UDP-SENDTO:127.0.0.1:$p_udp,sourceport=$p_src"
done
have_v6=0
if grep -q '^0\{31\}1 .* lo$' /proc/net/if_inet6 2>/dev/null; then
	have_v6=1
	head -c 100 /dev/zero | tr '\0' 6 |
		timeout 5 socat -u - "UDP6-SENDTO:[::1]:$p_udp,sourceport=$p_src"
fi

# Filler datagrams (one byte) until portnote has its $count packets.
for ((i = 0; i < 100; i++)); do
	kill -0 "$pid" 2>/dev/null || break
	udp_send 127.0.0.1 "$p_udp" 1 2>/dev/null
	sleep 0.1
done
if wait_exit "$pid" 3; then
	if [[ $wait_status -eq 0 ]]; then
		ok "-c $count: portnote stopped by itself, exit 0"
	else
		bad "-c $count: portnote exits $wait_status"
		sed 's/^/  stderr: /' "$tmp/live.err"
	fi
else
	bad "-c $count: portnote still running after $count packets were sent"
	stop "$pid"
fi

# Checks on the JSON. Client port C comes from the SYN.
awk -v P1="$p_tcp" -v P2="$p_udp" -v P3="$p_src" -v N="$count" \
	-v PAYLOAD="${#payload}" -v V6="$have_v6" -v LENS="${udp_lens[*]}" \
	-f "$tmp/json.awk" -f /dev/stdin "$tmp/live.json" >"$tmp/checks" <<'EOF'
function check(ok, what) { printf "%s %s\n", ok ? "ok" : "FAIL", what }
{ lines++; last = $0 }
jget("type") != "packet" { next }
{
	pk++
	t = jget("transport"); sp = jget("sport"); dp = jget("dport")
	st = jget("status"); fl = jget("tcp_flags"); len = jget("len") + 0
	if (st != "ok" || (t != "tcp" && t != "udp") ||
	    (sp != P1 && dp != P1 && sp != P2 && dp != P2)) {
		stray++
		if (stray <= 3) print "unexpected packet: " $0 > "/dev/stderr"
	}
}
t == "tcp" {
	ntcp++
	if (ntcp == 1) {
		syn = (fl == "S" && dp == P1 && jget("src") == "127.0.0.1" && jget("dst") == "127.0.0.1")
		C = sp
	} else if (ntcp == 2) {
		synack = (fl == "S." && sp == P1 && dp == C)
	} else if (ntcp == 3) {
		ack = (fl == "." && sp == C && dp == P1); acklen = len
	} else {
		if (sp == C && dp == P1 && len == acklen + PAYLOAD && index(fl, "S") == 0) data = 1
		if (sp == C && dp == P1 && index(fl, "F")) cfin = 1
		if (sp == P1 && dp == C && index(fl, "F")) sfin = 1
		if (!((sp == C && dp == P1) || (sp == P1 && dp == C))) tcpother++
	}
}
t == "udp" && sp == P3 && dp == P2 {
	if (jget("ip") == "4") { u4 = u4 (u4 == "" ? "" : " ") (len - 42) }
	if (jget("ip") == "6") { u6 = u6 (u6 == "" ? "" : " ") (len - 62) }
}
END {
	check(syn, "TCP: the first TCP packet is the SYN from 127.0.0.1:" C " to 127.0.0.1:" P1)
	check(synack, "TCP: the second is the SYN/ACK from :" P1 " back to :" C)
	check(ack, "TCP: the third is the client's ACK")
	check(data, "TCP: the " PAYLOAD "-byte data segment, client to server")
	check(cfin, "TCP: the client's FIN")
	check(sfin, "TCP: the server's FIN")
	check(tcpother == 0, "TCP: every segment is between :" C " and :" P1)
	check(u4 == LENS, "UDP: datagrams of " LENS " bytes from 127.0.0.1:" P3 " to :" P2 " (saw: " u4 ")")
	if (V6) check(u6 == "100", "UDP: a 100-byte datagram over ::1 (saw: " u6 ")")
	check(stray == 0, "every packet is ok, tcp or udp, on port " P1 " or " P2)
	check(pk == N, "exactly " N " packets (-c " N "), saw " pk + 0)
	check(last ~ /^\{"type":"summary",/ && index(last, "\"packets\":" N ",") && \
	      index(last, "\"interrupted\":false"), "the JSON ends with the summary (" N " packets, not interrupted)")
	check(lines == pk + 1, "nothing but packets and one summary line")
}
EOF
while read -r verdict what; do
	if [[ $verdict == ok ]]; then ok "$what"; else bad "$what"; fi
done <"$tmp/checks"
if grep -q FAIL "$tmp/checks"; then
	echo "portnote's JSON:"
	cut -c1-220 "$tmp/live.json"
fi

# 3. --duration ends a capture that sees no packet at all.
"$portnote" packets -i lo --immediate -f "port $p_quiet" --format json \
	--duration 2 >"$tmp/quiet.json" 2>"$tmp/quiet.err" &
pid=$!
pids+=("$pid")
if wait_exit "$pid" 4; then
	last=$(tail -n 1 "$tmp/quiet.json")
	if [[ $wait_status -eq 0 && "$last" == '{"type":"summary",'* &&
		"$last" == *'"interrupted":false'* ]]; then
		ok "--duration 2 with no matching traffic: exit 0 within 4 s, summary not interrupted"
	else
		bad "--duration 2: exit $wait_status, last line: $last"
	fi
else
	bad "--duration 2 with no matching traffic: still capturing after 4 s"
	stop "$pid"
fi

# Under ASan/UBSan: no sanitizer report from any of the runs.
if cat "$tmp"/*.err | grep -Eq 'Sanitizer|runtime error:'; then
	bad "sanitizer report from portnote:"
	cat "$tmp"/*.err | grep -E -A20 'Sanitizer|runtime error:' | head -40
else
	ok "no sanitizer report on stderr"
fi

finish
