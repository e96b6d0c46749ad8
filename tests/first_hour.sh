#!/usr/bin/env bash
# What a new user runs into in the first hour, one check per finding of
# issue 18 item 8.
#   usage: first_hour.sh PORTNOTE SRCDIR
#
#   - stats CSV and JSON tell their rows apart (record: service, other,
#     total; summing the service and other rows gives the total), and the
#     server-port span of the summed rows is called lowest-highest;
#   - tcpdump habits: a trailing filter expression, -n, -w - (pcapng on
#     standard output, read back by tshark when installed);
#   - lookup of a name the registry lacks suggests what it may have meant;
#   - help and behaviour agree: live --help and csv, live --metrics with a
#     bad port refused before any capture opens, interfaces refuses
#     --registry, `portnote help stats`, registry check --format json on an
#     invalid file, ';' joining CSV lists in registry diff and interfaces;
#   - consistency: vlan in flows CSV and JSON, stats JSON inputs an array,
#     text packets over several files naming each file where the frame
#     numbers restart, stats' seen column with dates when a capture spans
#     days, the stale-snapshot note silenced by --quiet.
# Prints "N passed, M failed".
set -uo pipefail
portnote=${1:?usage: first_hour.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: first_hour.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC
pn() { "$portnote" "$@"; }
demo=$srcdir/captures/demo.pcap
cap=$srcdir/captures
tmp=$(mktemp -d "${TMPDIR:-/tmp}/first_hour.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

. "$srcdir/tests/lib.sh"
has() { command -v "$1" >/dev/null 2>&1; }

# --- stats rows told apart -------------------------------------------------
pn stats -r "$demo" --quiet --format csv --top 3 >"$tmp/stats.csv" 2>/dev/null
check "stats CSV: a record column first" bash -c 'head -1 "$1" | grep -q "^record,service,"' _ "$tmp/stats.csv"
check "stats CSV: 3 service rows, then other, then total" \
	bash -c '[[ $(tail -n +2 "$1" | cut -d, -f1 | tr "\n" " ") == "service service service other total " ]]' _ "$tmp/stats.csv"
check "stats CSV: service + other flows sum to the total" \
	python3 - "$tmp/stats.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
parts = sum(int(r['flows']) for r in rows if r['record'] in ('service', 'other'))
total = [int(r['flows']) for r in rows if r['record'] == 'total']
sys.exit(0 if total and parts == total[0] else 1)
PY
check "stats CSV: the summed rows give a lowest and highest port, no ports list" \
	python3 - "$tmp/stats.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
t = [r for r in rows if r['record'] == 'total'][0]
s = [r for r in rows if r['record'] == 'service'][0]
ok = t['ports'] == '' and int(t['port_lowest']) <= int(t['port_highest'])
ok = ok and s['ports'] == '443' and s['port_lowest'] == s['port_highest'] == '443'
sys.exit(0 if ok else 1)
PY
pn stats -r "$demo" --quiet --format json --top 3 2>/dev/null | head -1 >"$tmp/stats.json"
check "stats JSON: record on every row, other and total apart from the services" \
	jq -e -c '(.services | map(.record) | unique) == ["service"] and .other_services.record == "other"
		and .all.record == "total" and (.services | map(.flows) | add) + .other_services.flows == .all.flows
		and .all.port_lowest <= .all.port_highest and .all.ports == null' "$tmp/stats.json"
check "stats JSON: inputs is an array" \
	bash -c 'pn() { "$1" "${@:2}"; }; pn "$1" stats -r "$2" -r "$2" --quiet --format json 2>/dev/null | head -1 |
		jq -e ".inputs == [\$f, \$f]" --arg f "$2" >/dev/null' _ "$portnote" "$demo"
check "stats text: the summed rows say lowest-highest" \
	bash -c '"$1" stats -r "$2" --quiet --top 3 2>/dev/null | grep -q "lowest-highest"' _ "$portnote" "$demo"

# --- tcpdump habits --------------------------------------------------------
n_udp53=$(pn packets -r "$demo" --quiet -f 'udp port 53' 2>/dev/null | grep -c '^[0-9]')
check "a trailing filter expression: udp port 53 ($n_udp53 packets)" \
	bash -c '[[ $1 -gt 0 && $("$2" packets -r "$3" --quiet udp port 53 2>/dev/null | grep -c "^[0-9]") == "$1" ]]' \
	_ "$n_udp53" "$portnote" "$demo"
check "a trailing filter on stats and flows too" \
	bash -c '"$1" stats -r "$2" --quiet --format json udp port 53 2>/dev/null | head -1 | jq -e ".all.flows == 450" >/dev/null &&
		[[ $("$1" flows -r "$2" --quiet --format csv udp port 53 2>/dev/null | tail -n +2 | wc -l) == 450 ]]' \
	_ "$portnote" "$demo"
pn packets -r "$demo" -f tcp udp >/dev/null 2>"$tmp/both.err"
check "a filter both ways is refused, exit 2" \
	bash -c '[[ $1 == 2 ]] && grep -q "both with -f and after the options" "$2"' _ "$?" "$tmp/both.err"
pn packets -r "$demo" udp port >/dev/null 2>"$tmp/badf.err"
check "a bad trailing filter: exit 2 with libpcap's complaint" bash -c '[[ $1 == 2 ]] && grep -q "syntax error\|filter" "$2"' _ "$?" "$tmp/badf.err"
check "-n is accepted (names are never resolved)" \
	bash -c 'cmp -s <("$1" packets -r "$2" --quiet -n -c 20 2>/dev/null) <("$1" packets -r "$2" --quiet -c 20 2>/dev/null)' _ "$portnote" "$demo"
pn packets -r "$demo" --quiet -w - -c 50 >"$tmp/out.pcapng" 2>/dev/null
check "-w - writes pcapng on standard output, nothing else" \
	bash -c '[[ $(head -c 4 "$1" | od -An -tx1 | tr -d " ") == 0a0d0d0a ]]' _ "$tmp/out.pcapng"
if has tshark; then
	check "tshark reads it: 50 frames, the annotation as each comment" \
		bash -c '[[ $(tshark -n -r "$1" 2>/dev/null | wc -l) == 50 ]] &&
			tshark -n -r "$1" -T fields -e frame.comment 2>/dev/null | head -1 | grep -q "registered for domain"' _ "$tmp/out.pcapng"
fi
pn packets -r "$demo" -w - --format json >/dev/null 2>"$tmp/wj.err"
check "-w - with --format json is refused, exit 2" bash -c '[[ $1 == 2 ]] && grep -q "does not apply" "$2"' _ "$?" "$tmp/wj.err"

# --- lookup suggests -------------------------------------------------------
pn lookup dns --quiet >"$tmp/dns.out" 2>"$tmp/dns.err"
rc=$?
check "lookup dns: not in the registry, exit 1 (got $rc)" bash -c '[[ $1 == 1 ]] && grep -q "not in the registry" "$2"' _ "$rc" "$tmp/dns.out"
check "lookup dns suggests domain (53): Domain Name Server" \
	bash -c 'grep -q "domain (53): Domain Name Server" "$1" && grep -q "did you mean domain (53): Domain Name Server?" "$2"' _ "$tmp/dns.out" "$tmp/dns.err"
check "lookup htps suggests https (a typo)" bash -c '"$1" lookup htps --quiet 2>&1 | grep -q "https (443)"' _ "$portnote"
check "lookup dns --format json: found false, did_you_mean starts with domain" \
	bash -c '"$1" lookup dns --quiet --format json 2>/dev/null | jq -s -e "map(select(.found == false))[0] | .did_you_mean[0].name == \"domain\" and .did_you_mean[0].port == 53" >/dev/null' _ "$portnote"
check "lookup of a name with no likeness: no suggestion" \
	bash -c '"$1" lookup zzqqxxyy --quiet 2>&1 | grep -q "not in the registry" && ! "$1" lookup zzqqxxyy --quiet 2>&1 | grep -q "did you mean"' _ "$portnote"

# --- help and behaviour agree ---------------------------------------------
check "live --help offers text and json only" \
	bash -c '"$1" live --help | grep -- "--format" | grep -q "text (default) or json" && ! "$1" live --help | grep -- "--format" | grep -q csv' _ "$portnote"
timeout 10 "$portnote" live -i lo --metrics 80000 --duration 1 >/dev/null 2>"$tmp/metrics.err"
rc=$?
check "live --metrics 80000: exit 2 before any capture (got $rc)" \
	bash -c '[[ $1 == 2 ]] && grep -q -- "--metrics: bad address" "$2" && ! grep -q "packets" "$2"' _ "$rc" "$tmp/metrics.err"
pn interfaces --registry x >/dev/null 2>"$tmp/if.err"
check "interfaces --registry: exit 2, said why" bash -c '[[ $1 == 2 ]] && grep -q "does not read the registry" "$2"' _ "$?" "$tmp/if.err"
check "portnote help stats is stats --help" \
	bash -c 'cmp -s <("$1" help stats) <("$1" stats --help)' _ "$portnote"
check "portnote help registry is registry --help" \
	bash -c 'cmp -s <("$1" help registry) <("$1" registry --help)' _ "$portnote"
check "portnote help nosuch: exit 2" bash -c '"$1" help nosuch 2>/dev/null; [[ $? == 2 ]]' _ "$portnote"
printf 'no,registry\n' >"$tmp/bad.csv"
pn registry check --format json "$tmp/bad.csv" >"$tmp/check.json" 2>/dev/null
rc=$?
check "registry check --format json on an invalid file: a JSON answer, exit 1 (got $rc)" \
	bash -c '[[ $1 == 1 ]] && jq -e ".valid == false and (.error | test(\"bad.csv:1: \"))" "$2" >/dev/null' _ "$rc" "$tmp/check.json"
check "registry check --format csv on an invalid file: valid,false" \
	bash -c '"$1" registry check --format csv "$2" 2>/dev/null | grep -qx "valid,false"' _ "$portnote" "$tmp/bad.csv"
check "registry check --format json on a valid file: valid true" \
	bash -c '"$1" registry check --format json "$2" | jq -e ".valid == true" >/dev/null' _ "$portnote" "$srcdir/data/service-names-port-numbers.csv"
check "registry diff CSV joins names with ';'" \
	bash -c '"$1" registry diff --format csv "$2" "$3" | grep -q "^renamed,tcp,2640,2640,sai-sentlm;sai_sentlm,ami-control,"' \
	_ "$portnote" "$srcdir/tests/fixtures/diff-2014.csv" "$srcdir/tests/fixtures/diff-2026.csv"
check "interfaces CSV joins flags and addresses with ';', JSON has arrays" \
	bash -c '"$1" interfaces --format csv | grep -q "^lo,up;running;loopback,127.0.0.1" &&
		"$1" interfaces --format json | jq -s -e "map(select(.name == \"lo\"))[0] | .flags == [\"up\",\"running\",\"loopback\"] and (.addresses | index(\"127.0.0.1\") != null)" >/dev/null' _ "$portnote"

# --- consistency -----------------------------------------------------------
check "flows: an untagged flow has vlan empty in CSV and null in JSON" \
	bash -c '"$1" flows -r "$2" --quiet --format csv 2>/dev/null | sed -n 2p | grep -q "^dccp,," &&
		"$1" flows -r "$2" --quiet --format json 2>/dev/null | head -1 | jq -e ".vlan == null" >/dev/null' _ "$portnote" "$cap/dccp.pcap"
check "flows: a tagged flow has its VLAN ID in both" \
	bash -c '"$1" flows -r "$2" --quiet --format csv 2>/dev/null | sed -n 2p | grep -q "^udp,100," &&
		"$1" flows -r "$2" --quiet --format json 2>/dev/null | head -1 | jq -e ".vlan == 100" >/dev/null' _ "$portnote" "$cap/link-vlan.pcap"
pn packets -r "$cap/dccp.pcap" -r "$cap/link-vlan.pcap" --quiet >"$tmp/two.txt" 2>/dev/null
check "packets over two files: each file named before its frame #1" \
	python3 - "$tmp/two.txt" "$cap/dccp.pcap" "$cap/link-vlan.pcap" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
ok, seen = True, []
for i, l in enumerate(lines):
    if ' #1 ' in l:
        seen.append(lines[i - 1])
sys.exit(0 if len(seen) == 2 and seen[0].startswith('# ' + sys.argv[2]) and seen[1].startswith('# ' + sys.argv[3]) else 1)
PY
if has editcap; then
	editcap -t 90000 "$demo" "$tmp/next-day.pcap" 2>/dev/null
	pn stats -r "$demo" -r "$tmp/next-day.pcap" --quiet --top 2 >"$tmp/days.txt" 2>/dev/null
	check "stats over two days: the seen column has dates" \
		grep -q '2026-01-15T09:00:01-2026-01-16T10:02:00' "$tmp/days.txt"
	check "stats over one day: times only" \
		bash -c '"$1" stats -r "$2" --quiet --top 2 2>/dev/null | grep -q " 09:00:01-09:02:00"' _ "$portnote" "$demo"
fi
check "--quiet silences the stale-snapshot note" \
	bash -c '"$1" lookup 443 2>&1 >/dev/null | grep -q "note: the registry snapshot" && ! "$1" lookup 443 --quiet 2>&1 >/dev/null | grep -q note' _ "$portnote"

finish
