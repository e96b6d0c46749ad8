#!/usr/bin/env bash
# Distinct-address counts past their bound are estimates, and say so.
#   usage: stats_estimates.sh PORTNOTE SRCDIR
#
# A scan in a capture written here: one scanner sends a SYN to port 80 of
# each of 20,000 hosts of 172.16.0.0/12, and 3,000 hosts each send ten
# (one flow each) to port 443 of 192.0.2.1. stats then counts:
#   - http/tcp: 1 client exactly, 20,000 servers estimated (HyperLogLog,
#     past 4,096 exact) within 5 % (three standard errors), marked "~" in
#     text, servers_approximate in JSON and CSV, and said in a footnote;
#   - https/tcp: 3,000 clients and 1 server exactly, not marked;
#   - all flows: 3,001 clients exactly and 20,001 servers estimated;
#   - --top 1 --sort packets shows https and sums the rest, http: a row
#     summed from an estimate is one;
#   - demo.pcap: every count exact, nothing marked, no footnote.
# And the bound on services: a second scan sends one SYN to each of 3,000
# unregistered dynamic ports (one service each) and ten to port 80, so
# 2,048 services are kept and the flows of 953 more ports are summed into
# the other-services row, which the JSON and a text footnote say; every
# flow is still counted once.
# Prints "N passed, M failed".
set -uo pipefail
portnote=${1:?usage: stats_estimates.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: stats_estimates.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC PORTNOTE_REGISTRY_FILE=
. "$srcdir/tests/lib.sh"
need_tools python3 jq
tmp=$(mktemp -d "${TMPDIR:-/tmp}/stats_estimates.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

python3 - "$tmp/scan.pcap" "$tmp/ports.pcap" <<'PY'
import struct, sys

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def syn(src, dst, sport, dport):
    tcp = struct.pack('!HHIIBBHHH', sport, dport, 1, 0, 5 << 4, 2, 1024, 0, 0)
    pseudo = struct.pack('!4s4sBBH', src, dst, 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack('!H', csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return b'\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00' + ip + tcp

with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    t = 0
    def put(frame):
        global t
        f.write(struct.pack('<IIII', 1768467600 + t // 1000000, t % 1000000, len(frame), len(frame)))
        f.write(frame)
        t += 50
    for i in range(20000):
        host = 0xac100000 + 1 + i * 37 % 0xfffff
        put(syn(bytes([10, 0, 0, 1]), struct.pack('!I', host), 40000 + i % 20000, 80))
    for i in range(3000):
        for _ in range(10):
            put(syn(struct.pack('!I', 0x0b000000 + 1 + i), bytes([192, 0, 2, 1]), 50000, 443))

with open(sys.argv[2], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    t = 0
    for i in range(10):
        put(syn(bytes([10, 0, 0, 1]), bytes([192, 0, 2, 2]), 30000 + i, 80))
    for i in range(3000):
        put(syn(bytes([10, 0, 0, 1]), bytes([192, 0, 2, 3]), 40000, 50000 + i))
PY

"$portnote" stats -r "$tmp/scan.pcap" --quiet --format json >"$tmp/s.json" 2>/dev/null
head -1 "$tmp/s.json" >"$tmp/stats.json"
q() { jq -r "$1" "$tmp/stats.json"; }
http='.services[] | select(.service == "http, www, www-http")'
check "http: 1 client, exact" bash -c '[[ $(jq -r "$1 | \"\(.clients) \(.clients_approximate)\"" "$2") == "1 false" ]]' _ "$http" "$tmp/stats.json"
servers=$(q "$http | .servers")
check "http: 20000 servers estimated within 5 % (got $servers), said to be approximate" \
	bash -c '[[ $(jq -r "$1 | .servers_approximate" "$2") == true ]] && awk -v n="$3" "BEGIN { exit !(n > 19000 && n < 21000) }"' \
	_ "$http" "$tmp/stats.json" "$servers"
https='.services[] | select(.service == "https")'
check "https: 3000 clients and 1 server, exact" \
	bash -c '[[ $(jq -r "$1 | \"\(.clients) \(.servers) \(.clients_approximate) \(.servers_approximate)\"" "$2") == "3000 1 false false" ]]' _ "$https" "$tmp/stats.json"
all_s=$(q '.all.servers')
check "all flows: 3001 clients exactly, $all_s servers estimated within 5 %" \
	bash -c '[[ $(jq -r ".all | \"\(.clients) \(.clients_approximate) \(.servers_approximate)\"" "$1") == "3001 false true" ]] &&
		awk -v s="$2" "BEGIN { exit !(s > 19000 && s < 21000) }"' _ "$tmp/stats.json" "$all_s"
"$portnote" stats -r "$tmp/scan.pcap" --quiet --format json --top 1 --sort packets 2>/dev/null | head -1 >"$tmp/top1.json"
check "--top 1 by packets: https shown exactly, the rest (http) summed as an estimate" \
	jq -e '.services[0].service == "https" and .services[0].clients_approximate == false and
		.other_services.servers_approximate == true and .other_services.clients == 1' "$tmp/top1.json" >/dev/null

"$portnote" stats -r "$tmp/scan.pcap" --quiet >"$tmp/s.txt" 2>/dev/null
check "text: the estimate marked ~" grep -Eq '^http, www, www-http +tcp +80 +20000 .* 1 +~[0-9]+ ' "$tmp/s.txt"
check "text: a footnote says what ~ means" grep -q '^# ~: distinct addresses estimated past 4096 in a row (HyperLogLog' "$tmp/s.txt"
"$portnote" stats -r "$tmp/scan.pcap" --quiet --format csv >"$tmp/s.csv" 2>/dev/null
check "CSV: clients_approximate and servers_approximate columns" \
	python3 - "$tmp/s.csv" <<'PY'
import csv, sys
rows = {r['service']: r for r in csv.DictReader(open(sys.argv[1]))}
h = rows['http, www, www-http']
ok = (h['clients_approximate'], h['servers_approximate']) == ('false', 'true')
ok = ok and (rows['https']['clients_approximate'], rows['https']['servers_approximate']) == ('false', 'false')
sys.exit(0 if ok else 1)
PY

"$portnote" stats -r "$srcdir/captures/demo.pcap" --quiet --format json 2>/dev/null | head -1 >"$tmp/demo.json"
check "demo.pcap: no count is an estimate" \
	jq -e '[.services[], .all | .clients_approximate, .servers_approximate] | all(. == false)' "$tmp/demo.json" >/dev/null
"$portnote" stats -r "$tmp/ports.pcap" --quiet --format json --top 0 2>/dev/null | head -1 >"$tmp/ports.json"
check "3001 services: 2048 kept, 953 ports past the bound with their 953 flows" \
	jq -e '.services_total == 2048 and .services_bound == 2048 and
		.services_past_bound == {"keys": 953, "flows": 953} and (.services | length) == 2048' "$tmp/ports.json" >/dev/null
check "past the bound: summed into other_services, every flow counted once" \
	jq -e '.other_services.flows == 953 and
		([.services[].flows] | add) + .other_services.flows == .all.flows and .all.flows == 3010' "$tmp/ports.json" >/dev/null
"$portnote" stats -r "$tmp/ports.pcap" --quiet --top 5 >"$tmp/ports.txt" 2>/dev/null
check "text: the more-services row counts the ports past the bound, and a footnote says so" \
	bash -c 'grep -Eq "^\(2996 more services\) " "$1" &&
		grep -q "^# services: 2048 kept, the bound; 953 flows of 953 more registry slots or ports are summed into the more-services row" "$1"' _ "$tmp/ports.txt"
"$portnote" report -r "$tmp/ports.pcap" --quiet --top 5 -o "$tmp/ports.html" 2>/dev/null
check "HTML report: the same more-services row, and the bound said" \
	bash -c 'grep -q "(2996 more services)" "$1" &&
		grep -q "Only 2048 services are kept: the 953 flows of 953 more registry slots or ports" "$1"' _ "$tmp/ports.html"
check "demo.pcap: within the bound, services_past_bound null" jq -e '.services_past_bound == null' "$tmp/demo.json" >/dev/null
check "demo.pcap: no footnote" bash -c '! "$1" stats -r "$2" --quiet 2>/dev/null | grep -q "^# ~"' _ "$portnote" "$srcdir/captures/demo.pcap"
finish
