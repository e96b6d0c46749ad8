#!/usr/bin/env bash
# data/service-protocols.csv, the table "agrees" is judged against:
#   - scripts/check-service-protocols accepts it against the built-in
#     snapshot (header, protocol tokens, no duplicate service/transport,
#     every service registered on its transport); names the newer registry
#     ../shared/registry/service-names-port-numbers-2026.csv (if present)
#     lacks are printed as notes, not failures;
#   - portnote itself finds every row's service with a port on its
#     transport (`portnote lookup --format json NAME`, exact spelling);
#   - copies of the table with one broken row each are refused with the
#     expected message, so the check provably fails.
#   usage: service_protocols.sh PORTNOTE SRCDIR
# Prints "N passed, M failed"; exits 77 (skipped) without python3.
set -uo pipefail
portnote=${1:?usage: service_protocols.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: service_protocols.sh PORTNOTE SRCDIR}
export LC_ALL=C

# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"
if ! command -v python3 >/dev/null 2>&1; then
	echo "skip: python3 is not installed (apt-get install python3)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check=$srcdir/scripts/check-service-protocols
table=$srcdir/data/service-protocols.csv
snapshot=$srcdir/data/service-names-port-numbers.csv
newer=$srcdir/../shared/registry/service-names-port-numbers-2026.csv

# The committed table passes; notes about the newer registry are shown.
if out=$(python3 "$check" "$table" "$snapshot" "$newer" 2>&1); then
	ok "the table passes the check"
else
	bad "the table fails the check"
fi
printf '%s\n' "$out" | sed 's/^/     | /'

# portnote's own parser agrees: each service has a port on its transport.
while IFS=, read -r service transport _; do
	json=$("$portnote" lookup --format json "$service" 2>/dev/null)
	if [[ -z $transport ]]; then
		want='"row_transport":"[a-z]+"'
	else
		want="\"row_transport\":\"$transport\""
	fi
	# Not grep -q: under pipefail, an early exit would fail the pipe.
	if grep -E "\"name\":\"$service\"" <<<"$json" | grep -E "$want" >/dev/null; then
		ok "portnote lookup $service has ${transport:-a} port"
	else
		bad "portnote lookup $service has no ${transport:-} port"
	fi
done < <(python3 -c 'import csv,sys
r = csv.reader(open(sys.argv[1], newline="")); next(r)
for row in r: print(row[0] + "," + row[1])' "$table")

# broken NAME MESSAGE ROW: the table with ROW appended (or, for a header
# case, with ROW as its first line) must be refused with MESSAGE.
broken() {
	local name=$1 msg=$2 row=$3 copy=$tmp/broken.csv
	if [[ $name == header* ]]; then
		{ printf '%s\n' "$row"; tail -n +2 "$table"; } >"$copy"
	else
		{ cat "$table"; printf '%s\n' "$row"; } >"$copy"
	fi
	if out=$(python3 "$check" "$copy" "$snapshot" 2>&1); then
		bad "$name: accepted"
	elif [[ $out == *"$msg"* ]]; then
		ok "$name: refused ($msg)"
	else
		bad "$name: refused without \"$msg\""
	fi
	printf '%s\n' "$out" | grep -v ' rows, ' | sed 's/^/     | /'
}
broken "header" "header is" "service,transport,protocol,note"
broken "unknown token" "protocol 'https'" "imaps,udp,https,wrong token"
broken "upper-case token" "protocol 'TLS'" "imaps,udp,TLS,wrong case"
broken "duplicate row" "ssh,tcp again" "ssh,tcp,ssh,twice"
broken "one and then any transport" "but also for one" \
	"pop3,,pop3,overlaps the pop3 tcp row"
broken "any and then one transport" "already given for any transport" \
	$'kerberos,,dns,any transport\nkerberos,tcp,dns,and tcp'
broken "unregistered name" "domain-s is not a service name" \
	"domain-s,tcp,tls,not in the 2014 snapshot"
broken "name spelt otherwise" "HTTPS is not a service name" \
	"HTTPS,sctp,tls,registry spells it https"
broken "wrong transport" "ircs-u has no udp port" \
	"ircs-u,udp,dtls,registered on tcp only"
broken "name without a port" "mqtt is not a service name with a port" \
	"mqtt,,mqtt,DNS-SD name only in 2014"
broken "bad transport" "transport 'tls'" "https,tls,tls,not a transport"
broken "empty note" "must not be empty" "ssh,sctp,ssh,"
broken "token twice" "listed twice" "ssh,udp,ssh;ssh,twice"
broken "three fields" "3 fields" "ssh,sctp,ssh"
finish
