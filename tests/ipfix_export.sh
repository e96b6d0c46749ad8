#!/usr/bin/env bash
# IPFIX export against real collectors and decoders.
#   usage: ipfix_export.sh PORTNOTE SRCDIR
#
#   1. ipfixDump (libfixbuf-tools) reads what --ipfix-file wrote from
#      captures/demo.pcap: one data record per flow, the registered names
#      as applicationName, and, with --rfc5610, portnote's own elements
#      under their names (from the RFC 5610 type records in the stream).
#   2. nfcapd (nfdump) on 127.0.0.1 receives --ipfix over UDP; nfdump of
#      what it stored holds exactly portnote's flows: per flow the same
#      protocol, client and server address and port, packets and bytes
#      each way as `portnote flows --format json` (a multiset compared
#      whole).
#   3. tshark decodes the exported datagrams, captured on lo, as IPFIX
#      (cflow) without malformed packets (root only).
#   4. Over TCP to a port nobody listens on, over UDP to one, and over TCP
#      to a collector that stops reading: portnote reads its input to the
#      end without waiting on the collector, exits 0, and says how many
#      records were not sent, in one message of its own (no raw library
#      warning).
#   5. A bad --ipfix value exits 2 with a one-line message.
#   6. live --active-timeout 1 on lo (root): a 5-second TCP transfer gives
#      several records (active timeout, then end of flow) whose deltas add
#      up to the flow's totals.
#   7. live exporting to nfcapd, which is stopped mid-run (root): every
#      flow is still captured, those after are counted as not sent; and an
#      IPv6 collector ([::1]:PORT) receives the export.
# Tools that are missing skip their part; with none of ipfixDump and
# nfcapd the test is skipped (exit 77). Prints "N passed, M failed".
set -uo pipefail
portnote=${1:?usage: ipfix_export.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: ipfix_export.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC

# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"
if ! command -v ipfixDump >/dev/null && ! command -v nfcapd >/dev/null; then
	echo "skip: neither ipfixDump (libfixbuf-tools) nor nfcapd (nfdump) is installed"
	exit 77
fi
command -v python3 >/dev/null || { echo "skip: python3 is not installed"; exit 77; }
tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
demo=$srcdir/captures/demo.pcap

free_port() { # a UDP and TCP port nothing is bound to, in 20000-32767
	local p i hex
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + RANDOM % 12768))
		hex=$(printf ':%04X ' "$p")
		if ! cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 |
			awk '{print $2}' | grep -q -- "${hex% }\$"; then
			echo "$p"
			return
		fi
	done
	echo 0
}

"$portnote" flows -r "$demo" --format json 2>/dev/null >"$tmp/flows.json"
n_flows=$(grep -c '"type":"flow"' "$tmp/flows.json")

# 1. ipfixDump
if command -v ipfixDump >/dev/null; then
	"$portnote" flows -r "$demo" --ipfix-file "$tmp/demo.ipfix" \
		>/dev/null 2>"$tmp/file.err"
	rc=$?
	ipfixDump --in "$tmp/demo.ipfix" --rfc5610 >"$tmp/dump.txt" 2>&1
	records=$(grep -cE '^\s+count: +[0-9]+ +tid: +327(69|70) ' "$tmp/dump.txt")
	if [[ $rc -eq 0 && $records -eq $n_flows ]] &&
		grep -q "IPFIX: $n_flows records to file .*, 0 not sent" "$tmp/file.err"; then
		ok "ipfixDump: $records data records in the file, one per flow ($n_flows)"
	else
		bad "ipfixDump: $records data records for $n_flows flows (exit $rc): $(tail -1 "$tmp/file.err")"
	fi
	if grep -qE '\(96\) +applicationName : \(len: 5\) https$' "$tmp/dump.txt" &&
		grep -qE 'applicationName : \(len: 17\) http www www-http$' "$tmp/dump.txt"; then
		ok "ipfixDump: applicationName holds the registered names (https; http www www-http)"
	else
		bad "ipfixDump: no applicationName with the registered names"
	fi
	missing=''
	for e in portnoteServerBasis portnoteRegistryFlags portnotePayloadVerdict portnoteLooksLike; do
		grep -qE "\(32473/[0-9]+\) +$e : " "$tmp/dump.txt" || missing+=" $e"
	done
	if [[ -z $missing ]] && grep -qE 'portnoteServerBasis : \(len: 9\) handshake$' "$tmp/dump.txt" &&
		grep -qE 'portnoteRegistryFlags : \(len: [0-9]+\) .*unauthorized-use-reported' "$tmp/dump.txt"; then
		ok "ipfixDump --rfc5610: portnote's elements by name under PEN 32473, with their values"
	else
		bad "ipfixDump --rfc5610: elements not named:$missing"
	fi
	if grep -q '_alienInformationElement' "$tmp/dump.txt"; then
		bad "ipfixDump --rfc5610 still shows unnamed (alien) elements"
	else
		ok "ipfixDump --rfc5610: no unnamed element"
	fi
else
	echo "note: ipfixDump (libfixbuf-tools) is not installed; part 1 skipped"
fi

# 2. nfcapd over UDP, compared with flows --format json
if command -v nfcapd >/dev/null && command -v nfdump >/dev/null; then
	port=$(free_port)
	mkdir "$tmp/nfcapd"
	nfcapd -w "$tmp/nfcapd" -b 127.0.0.1 -p "$port" -t 3600 \
		>"$tmp/nfcapd.log" 2>&1 &
	nfc=$!
	pids+=("$nfc")
	for ((i = 0; i < 50; i++)); do
		grep -q 'Startup' "$tmp/nfcapd.log" && break
		sleep 0.1
	done
	"$portnote" flows -r "$demo" --ipfix "127.0.0.1:$port" >/dev/null \
		2>"$tmp/udp.err"
	rc=$?
	sleep 0.5
	kill -TERM "$nfc"
	wait "$nfc" 2>/dev/null
	nfdump -R "$tmp/nfcapd" -q -6 \
		-o 'fmt:%pr,%sa,%sp,%da,%dp,%ipkt,%opkt,%ibyt,%obyt' \
		>"$tmp/nfdump.txt" 2>"$tmp/nfdump.err"
	if python3 - "$tmp/flows.json" "$tmp/nfdump.txt" >"$tmp/cmp.txt" 2>&1 <<'PY'; then
import collections, json, sys
want = collections.Counter()
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get("type") != "flow":
        continue
    want[(o["transport"], o["client"], o["client_port"], o["server"],
          o["server_port"], o["packets_c2s"], o["packets_s2c"],
          o["bytes_c2s"], o["bytes_s2c"])] += 1
names = {"TCP": "tcp", "UDP": "udp", "SCTP": "sctp", "DCCP": "dccp",
         "132": "sctp", "33": "dccp"}
got = collections.Counter()
for line in open(sys.argv[2]):
    f = [x.strip() for x in line.split(",")]
    if len(f) != 9:
        continue
    got[(names.get(f[0], f[0]), f[1], int(f[2]), f[3], int(f[4]),
         int(f[5]), int(f[6]), int(f[7]), int(f[8]))] += 1
print("portnote", sum(want.values()), "nfdump", sum(got.values()))
if want != got:
    for k in (want - got):
        print("only portnote:", k)
    for k in (got - want):
        print("only nfdump:", k)
    sys.exit(1)
PY
		ok "nfcapd over UDP: nfdump holds exactly portnote's $n_flows flows (protocol, addresses, ports, packets and bytes each way)"
	else
		bad "nfcapd over UDP: flows differ (portnote exit $rc): $(head -12 "$tmp/cmp.txt")"
		tail -3 "$tmp/nfcapd.log"
	fi
	if grep -q 'Sequence Errors: 0, Bad Packets: 0' "$tmp/nfcapd.log"; then
		ok "nfcapd: no sequence errors, no bad packets"
	else
		bad "nfcapd: $(grep 'Sequence Errors' "$tmp/nfcapd.log")"
	fi
else
	echo "note: nfcapd/nfdump are not installed; part 2 skipped"
fi

# 3. tshark's IPFIX dissector on the datagrams as sent
if command -v tshark >/dev/null && command -v tcpdump >/dev/null && [[ $EUID -eq 0 ]]; then
	need_tshark "$tmp"
	port=$(free_port)
	tcpdump -Z root -i lo -U --immediate-mode -n -w "$tmp/export.pcap" \
		"udp port $port" \
		2>"$tmp/tcpdump.err" &
	td=$!
	pids+=("$td")
	for ((i = 0; i < 100; i++)); do
		grep -q 'listening on' "$tmp/tcpdump.err" && break
		sleep 0.1
	done
	# Something must listen, or the kernel answers port unreachable.
	python3 -c 'import socket,sys,time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
try:
    while True:
        s.recv(65535)
except OSError:
    pass' "$port" &
	sink=$!
	pids+=("$sink")
	sleep 0.3
	"$portnote" flows -r "$demo" --ipfix "127.0.0.1:$port" >/dev/null 2>&1
	# tcpdump takes what is in its buffer before it goes.
	sleep 1
	kill "$td" 2>/dev/null
	wait "$td" 2>/dev/null
	tshark -n -r "$tmp/export.pcap" -d "udp.port==$port,cflow" \
		-T fields -e frame.number -e cflow.version -e _ws.malformed \
		>"$tmp/tshark.txt" 2>"$tmp/tshark.err"
	total=$(wc -l <"$tmp/tshark.txt")
	ipfix=$(awk -F'\t' '$2 == 10' "$tmp/tshark.txt" | wc -l)
	malformed=$(awk -F'\t' '$3 != ""' "$tmp/tshark.txt" | wc -l)
	flowsets=$(tshark -n -r "$tmp/export.pcap" -d "udp.port==$port,cflow" \
		-Y 'cflow.template_id == 32769 || cflow.template_id == 32770' \
		-T fields -e frame.number 2>/dev/null | wc -l)
	if ((total > 0 && ipfix == total && malformed == 0 && flowsets > 0)); then
		ok "tshark: $total datagrams decode as IPFIX (version 10), none malformed, templates 32769/32770 present"
	else
		bad "tshark: $total datagrams, $ipfix IPFIX, $malformed malformed, $flowsets with the flow templates: $(head -3 "$tmp/tcpdump.err")"
	fi
	kill "$sink" 2>/dev/null
else
	echo "note: part 3 needs root, tcpdump and tshark; skipped"
fi

# 4. Collectors that are not there, or go away
port=$(free_port)
"$portnote" flows -r "$demo" --ipfix "tcp:127.0.0.1:$port" >/dev/null \
	2>"$tmp/refused.err"
rc=$?
if [[ $rc -eq 0 ]] && grep -q "IPFIX: $n_flows records to collector tcp:127.0.0.1:$port, $n_flows not sent" "$tmp/refused.err" &&
	grep -q '^portnote: IPFIX collector tcp:127.0.0.1:.*capture goes on' "$tmp/refused.err"; then
	ok "a refused TCP connection: exit 0, all $n_flows records counted as not sent, said once"
else
	bad "refused TCP: exit $rc: $(cat "$tmp/refused.err")"
fi
port=$(free_port)
"$portnote" flows -r "$demo" --ipfix "127.0.0.1:$port" >/dev/null \
	2>"$tmp/udp-gone.err"
rc=$?
not_sent=$(sed -n 's/.*IPFIX: [0-9]* records to .*, \([0-9]*\) not sent$/\1/p' "$tmp/udp-gone.err")
if [[ $rc -eq 0 && -n $not_sent ]] && ((not_sent > 0)) &&
	grep -q '^portnote: IPFIX collector 127.0.0.1:.*Connection refused.*capture goes on' "$tmp/udp-gone.err" &&
	! grep -q 'WARNING' "$tmp/udp-gone.err"; then
	ok "UDP to a collector that is not there: exit 0, $not_sent of $n_flows records counted as not sent, one message of ours"
else
	bad "UDP, no collector: exit $rc, not sent '${not_sent:-?}': $(cat "$tmp/udp-gone.err")"
fi

# A TCP collector that accepts and then never reads, with a small receive
# buffer: capture is not held up (the run ends within the few seconds
# given at the end to drain), and what it would not take is counted: 6 MB
# of records, more than the kernel's socket buffers absorb (about 3 MB
# here).
# 60000 one-datagram UDP flows: more records than the socket buffers hold.
python3 - "$tmp/many.pcap" <<'PY'
import struct, sys
out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
for i in range(60000):
    payload = b"x" * 16
    udp = struct.pack("!HHHH", 20000 + i % 40000, 9999, 8 + len(payload), 0) + payload
    src = bytes([10, 1, (i >> 8) & 255, i & 255])
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     src, bytes([192, 0, 2, 1])) + udp
    frame = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip
    out.write(struct.pack("<IIII", 1767225600 + i // 1000, (i % 1000) * 1000,
                          len(frame), len(frame)) + frame)
PY
port=$(free_port)
python3 -c 'import socket,sys,time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
c, _ = s.accept(); time.sleep(15)' "$port" &
stall=$!
pids+=("$stall")
sleep 0.3
start=$SECONDS
"$portnote" flows -r "$tmp/many.pcap" --ipfix "tcp:127.0.0.1:$port" \
	>/dev/null 2>"$tmp/stall.err"
rc=$?
took=$((SECONDS - start))
not_sent=$(sed -n 's/.*IPFIX: [0-9]* records to .*, \([0-9]*\) not sent$/\1/p' "$tmp/stall.err")
if [[ $rc -eq 0 && -n $not_sent ]] && ((not_sent > 0 && took <= 8)); then
	ok "a TCP collector that stops reading: 60000 flows done in ${took} s, exit 0, $not_sent records not sent (the rest in the kernel's buffers)"
else
	bad "a stalled TCP collector: exit $rc after ${took} s, not sent '${not_sent:-?}': $(cat "$tmp/stall.err")"
fi
kill "$stall" 2>/dev/null

# 6. live with --active-timeout 1: a TCP transfer of about 5 seconds on lo
#    gives several records, active-timeout ones then an end-of-flow one,
#    whose deltas add up to the flow's totals (from --flows-out).
if [[ $EUID -eq 0 ]] && command -v ipfixDump >/dev/null; then
	port=$(free_port)
	python3 -c 'import socket,sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
c, _ = s.accept()
while c.recv(65536): pass' "$port" &
	srv=$!
	pids+=("$srv")
	"$portnote" live -i lo -f "tcp port $port" --interval 1 --duration 9 \
		--active-timeout 1 --ipfix-file "$tmp/live.ipfix" \
		--flows-out "$tmp/live-flows.json" --format json -Z root \
		>/dev/null 2>"$tmp/live.err" &
	lv=$!
	pids+=("$lv")
	sleep 1.5
	python3 -c 'import socket,sys,time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for i in range(25):
    c.sendall(b"x" * 1000); time.sleep(0.2)
c.close()' "$port"
	wait "$lv"
	rc=$?
	ipfixDump --in "$tmp/live.ipfix" --rfc5610 >"$tmp/live.txt" 2>&1
	if python3 - "$tmp/live.txt" "$tmp/live-flows.json" "$port" >"$tmp/live.cmp" 2>&1 <<'PY'; then
import json, re, sys
port = sys.argv[3]
records, cur = [], None
for line in open(sys.argv[1]):
    m = re.match(r"\s+\(\S+\)\s+(\w+) : (.*)$", line)
    if line.startswith("--- data record"):
        cur = {}
        records.append(cur)
    elif m and cur is not None:
        cur[m.group(1)] = m.group(2).strip()
mine = [r for r in records if r.get("destinationTransportPort") == port]
flow = [o for o in map(json.loads, open(sys.argv[2]))
        if o.get("type") == "flow" and str(o["server_port"]) == port][0]
reasons = [int(r["flowEndReason"]) for r in mine]
pk = sum(int(r["packetDeltaCount"]) for r in mine)
rpk = sum(int(r["reversePacketDeltaCount"]) for r in mine)
by = sum(int(r["octetDeltaCount"]) for r in mine)
rby = sum(int(r["reverseOctetDeltaCount"]) for r in mine)
print(len(mine), "records, reasons", reasons, "sums", pk, rpk, by, rby,
      "flow", flow["packets_c2s"], flow["packets_s2c"], flow["bytes_c2s"],
      flow["bytes_s2c"])
ok = (len(mine) >= 3 and all(x == 2 for x in reasons[:-1]) and reasons[-1] == 3
      and (pk, rpk, by, rby) == (flow["packets_c2s"], flow["packets_s2c"],
                                 flow["bytes_c2s"], flow["bytes_s2c"]))
sys.exit(0 if ok else 1)
PY
		ok "live --active-timeout 1: $(cat "$tmp/live.cmp") (exit $rc)"
	else
		bad "live --active-timeout 1: $(cat "$tmp/live.cmp"); exit $rc; $(tail -3 "$tmp/live.err")"
	fi
	kill "$srv" 2>/dev/null
else
	echo "note: part 6 (live export) needs root and ipfixDump; skipped"
fi

# 7. A collector that stops mid-run: live exports to nfcapd over UDP, nfcapd
#    is stopped, traffic goes on; portnote keeps capturing to the end,
#    exits 0, and counts the records that found no collector.
if [[ $EUID -eq 0 ]] && command -v nfcapd >/dev/null; then
	cport=$(free_port)
	tport=$(free_port)
	mkdir -p "$tmp/nfcapd-stop"
	nfcapd -w "$tmp/nfcapd-stop" -b 127.0.0.1 -p "$cport" -t 3600 \
		>"$tmp/nfcapd-stop.log" 2>&1 &
	nfs=$!
	pids+=("$nfs")
	"$portnote" live -i lo -f "udp port $tport" --interval 1 --duration 8 \
		--idle-timeout udp=1 --ipfix "127.0.0.1:$cport" --format json \
		-Z root >"$tmp/stop.json" 2>"$tmp/stop.err" &
	lv=$!
	pids+=("$lv")
	sleep 1.5
	send() { # COUNT: datagrams from as many source ports
		python3 -c 'import socket,sys
for i in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"ping", ("127.0.0.1", int(sys.argv[1]))); s.close()' "$tport" "$1"
	}
	send 20
	sleep 3 # the flows end (idle 1 s) and are exported
	kill -TERM "$nfs"
	wait "$nfs" 2>/dev/null
	send 20
	wait "$lv"
	rc=$?
	stored=$(nfdump -R "$tmp/nfcapd-stop" -q -o 'fmt:%dp' 2>/dev/null | grep -c "$tport")
	not_sent=$(sed -n 's/.*IPFIX: [0-9]* records to .*, \([0-9]*\) not sent$/\1/p' "$tmp/stop.err")
	captured=$(grep '"type":"stats"' "$tmp/stop.json" | python3 -c 'import json,sys
print(json.loads(sys.stdin.read())["all"]["flows"])' 2>/dev/null)
	if [[ $rc -eq 0 && $stored -ge 1 && ${not_sent:-0} -ge 1 && ${captured:-0} -eq 40 ]]; then
		ok "collector stopped mid-run: all 40 flows captured, $stored stored before, $not_sent not sent after, exit 0"
	else
		bad "collector stopped mid-run: exit $rc, stored $stored, not sent '${not_sent:-?}', captured '${captured:-?}': $(tail -3 "$tmp/stop.err")"
	fi
fi

# An IPv6 collector: [::1]:PORT
port=$(free_port)
python3 -c 'import socket,sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::1", int(sys.argv[1]))); s.settimeout(5); n = 0
try:
    while True:
        d = s.recv(65535)
        n += d[:2] == b"\x00\x0a"
except OSError:
    pass
open(sys.argv[2], "w").write(str(n))' "$port" "$tmp/v6.count" &
v6=$!
pids+=("$v6")
# Python may take a while to start: wait for the socket, not a guess.
for _ in $(seq 50); do
	ss -Hlun "sport = :$port" 2>/dev/null | grep -q . && break
	sleep 0.1
done
"$portnote" flows -r "$demo" --ipfix "[::1]:$port" >/dev/null 2>"$tmp/v6.err"
rc=$?
wait "$v6" 2>/dev/null
if [[ $rc -eq 0 && $(cat "$tmp/v6.count" 2>/dev/null || echo 0) -gt 10 ]] &&
	grep -q "IPFIX: $n_flows records to collector \[::1\]:$port, 0 not sent" "$tmp/v6.err"; then
	ok "an IPv6 collector [::1]:$port gets $(cat "$tmp/v6.count") IPFIX messages (version 10)"
else
	bad "IPv6 collector: exit $rc, $(cat "$tmp/v6.count" 2>/dev/null) messages: $(tail -1 "$tmp/v6.err")"
fi

# 5. Bad values
for v in "127.0.0.1" "127.0.0.1:0" "127.0.0.1:70000" "sctp:h:1" "::1:4739" "[::1]4739" ":4739"; do
	err=$("$portnote" flows -r "$demo" --ipfix "$v" 2>&1 >/dev/null)
	rc=$?
	if [[ $rc -eq 2 && $(wc -l <<<"$err") -eq 1 && $err == *"bad --ipfix"* ]]; then
		ok "--ipfix '$v': exit 2, one line"
	else
		bad "--ipfix '$v': exit $rc: $err"
	fi
done
err=$("$portnote" stats -r "$demo" --ipfix-pen 0 2>&1 >/dev/null)
[[ $? -eq 2 && $err == *"bad --ipfix-pen"* ]] && ok "--ipfix-pen 0: exit 2" ||
	bad "--ipfix-pen 0: $err"

finish
