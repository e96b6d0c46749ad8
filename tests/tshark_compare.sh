#!/usr/bin/env bash
# Compares portnote's decoding of every committed capture with tshark's own
# dissection, packet by packet.
#   usage: tshark_compare.sh PORTNOTE SRCDIR
#
# For each captures/*.pcap and captures/*.pcapng, runs
#   portnote packets --format csv -r FILE
#   tshark -n -r FILE (IP reassembly off) -T fields: frame.protocols, the
#     tcp/udp/sctp/dccp port fields (UDP-Lite uses udp.srcport/udp.dstport
#     in tshark 4.0), expert severities, sctp.chunk_length
# and classifies every frame:
#
#   agree      portnote says ok with a transport, and tshark's first
#              transport layer (the one right after the innermost IP header
#              of an IP-in-IP/GRE tunnel, outside any ICMP payload) is the
#              same transport with the same two ports; or neither shows any
#              transport ports.
#   explained  portnote shows no ports but tshark does, for one of the
#              narrow reasons below (decided by portnote's status/reason and
#              tshark's own view of the packet, never by file name).
#   DISAGREE   anything else. Any DISAGREE fails the capture.
#
# Explained categories:
#   icmp-error-payload   portnote: ok, ICMP/ICMPv6, no ports. tshark's only
#                        transport header is inside the ICMP error's quoted
#                        datagram (protocols ...:icmp:ip:udp...).
#   truncated-transport  portnote: truncated, reason truncated-<T>; tshark's
#                        transport is <T>: the snaplen cut the ports
#                        themselves, and tshark shows the one captured.
#   malformed-transport  portnote: malformed, reason short-<T>/bad-<T>-*;
#                        tshark's transport is <T> and tshark itself flags the
#                        packet (_ws.malformed or an error expert item).
#   sctp-bogus-chunk     portnote: malformed bad-sctp-chunk; tshark shows an
#                        sctp.chunk_length below 4 (its tree says "bogus chunk
#                        length") without raising an expert item.
#   tiny-fragment        portnote: malformed tiny-fragment (RFC 1858: a first
#                        fragment too short for the transport header); tshark
#                        reads the ports from the protocol portnote names.
#   depth-limit          portnote: unsupported vlan-depth / mpls-depth /
#                        ipv6-ext-limit / tunnel-depth (its bounded loops);
#                        tshark goes deeper.
#   mpls-pseudowire      portnote: unsupported unsupported-mpls (what follows
#                        the label stack is not IP); tshark dissects it as a
#                        pseudowire (protocols ...:mpls:pw...) and finds
#                        ports in the Ethernet frame it carries.
#   ip-version-mismatch  portnote: malformed bad-ip-version (the version
#                        nibble contradicts the ethertype/link type/tunnel
#                        protocol); tshark dissects by the version nibble.
#   malformed-ip         portnote: malformed, an IPv4/IPv6 header reason;
#                        tshark flags the packet too but dissects on.
#   ports-beyond-tshark  portnote: ok with transport <T>, its ports and a
#                        <T>-header-cut warning (the snaplen or the frame
#                        cut the header after the ports); tshark names <T>
#                        but shows no ports, as it dissects no header it
#                        cannot complete.
# File-level outcomes (portnote exits 1 with a message, checked exactly):
#   after-read-error     "FILE: packet K: MSG; K-1 packets before it were
#                        read": libpcap stops there (confirmed with tcpdump
#                        when installed); frames 1..K-1 are compared, frames
#                        tshark reads after that are counted here.
#   unsupported-link     "FILE: link type N (...) is not supported; skipped"
#                        for a link type portnote does not decode: no output,
#                        every tshark frame is counted here.
#
# A two-frame capture written by this script (ICMP and ICMPv6 errors
# quoting UDP and TCP headers) exercises icmp-error-payload, which no
# committed capture needs.
# Also checks portnote's side alone: every frame has a status, ok frames have
# no reason, every other status has one (no unexplained packets).
# Prints per capture: agree / explained (by category) / DISAGREE, then
# "N passed, M failed" (one test per capture). Exit 77 without tshark.
set -uo pipefail
portnote=${1:?usage: tshark_compare.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: tshark_compare.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC

# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
need_tshark "$tmp"

tshark_fields() {
	tshark -n -r "$1" -o ip.defragment:FALSE -o ipv6.defragment:FALSE \
		-T fields -E separator=/t -E occurrence=a -E aggregator=';' \
		-e frame.number -e frame.protocols \
		-e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport \
		-e sctp.srcport -e sctp.dstport -e dccp.srcport -e dccp.dstport \
		-e _ws.expert.severity -e sctp.chunk_length
}

# compare.awk PN_CSV TS_TSV: per-frame classification. Variables: name,
# limit (frames portnote was expected to give, -1 = all), extra_cat (the
# category for tshark frames past portnote's last one, "" = mismatch).
cat >"$tmp/compare.awk" <<'EOF'
BEGIN {
	split("frame status reason warnings transport sport dport ip_proto", nk, " ")
	for (i in nk) need[nk[i]] = 1
}
function protonum(t) {
	return t == "tcp" ? 6 : t == "udp" ? 17 : t == "udplite" ? 136 : \
	       t == "sctp" ? 132 : t == "dccp" ? 33 : -1
}
function bump(cat) { ecount[cat]++; explained++ }
function disagree(msg) {
	disagreed++
	if (shown++ < 20) printf "  DISAGREE %s frame %s: %s\n", name, cur, msg
	else if (shown == 21) printf "  (further DISAGREE lines not shown)\n"
}
FNR == 1 && FILENAME == ARGV[1] {
	n = csvsplit($0, h)
	for (i = 1; i <= n; i++) col[h[i]] = i
	for (k in need) if (!(k in col)) { printf "  %s: portnote CSV lacks column %s\n", name, k; bad = 1 }
	next
}
FILENAME == ARGV[1] {
	csvsplit($0, r)
	f = r[col["frame"]] + 0
	pn_n++
	if (f != pn_n) { printf "  %s: portnote row %d has frame %s\n", name, pn_n, f; bad = 1 }
	st[f] = r[col["status"]]; rs[f] = r[col["reason"]]
	tr[f] = r[col["transport"]]; sp[f] = r[col["sport"]]; dp[f] = r[col["dport"]]
	ipp[f] = r[col["ip_proto"]]; wn[f] = r[col["warnings"]]
	next
}
{
	# tshark: $1 frame, $2 protocols, $3..$10 ports, $11 expert, $12 chunk len
	ts_n++
	cur = $1 + 0
	if (cur != ts_n) { printf "  %s: tshark line %d has frame %s\n", name, ts_n, $1; bad = 1 }
	if (cur > pn_n) {
		if (extra_cat != "") bump(extra_cat)
		next
	}
	ns = split($2, chain, ":")
	outer = ""; inner = ""; in_icmp = 0; malformed = 0
	for (i = 1; i <= ns; i++) {
		p = chain[i]
		if (p == "icmp" || p == "icmpv6") in_icmp = 1
		else if (p == "_ws.malformed") malformed = 1
		else if (p == "tcp" || p == "udp" || p == "udplite" || p == "sctp" || p == "dccp") {
			if (in_icmp) { if (inner == "") inner = p }
			else if (outer == "") outer = p
		}
	}
	if ($11 ~ /(^|;)8388608(;|$)/) malformed = 1	# PI_ERROR
	if (outer == "tcp") { tsp = nth($3, 1); tdp = nth($4, 1) }
	else if (outer == "udp" || outer == "udplite") { tsp = nth($5, 1); tdp = nth($6, 1) }
	else if (outer == "sctp") { tsp = nth($7, 1); tdp = nth($8, 1) }
	else if (outer == "dccp") { tsp = nth($9, 1); tdp = nth($10, 1) }
	else { tsp = ""; tdp = "" }
	# A protocol layer whose ports were not captured shows no ports.
	tshows = (tsp != "" || tdp != "" || inner != "")
	tsdesc = "tshark " $2 " " (outer != "" ? outer " " tsp ">" tdp : "no outer ports") \
		(inner != "" ? ", " inner " inside ICMP" : "") (malformed ? ", flagged malformed" : "")

	s = st[cur]; why = rs[cur]; t = tr[cur]
	pndesc = "portnote " s (why != "" ? " " why : "") (t != "" ? " " t " " sp[cur] ">" dp[cur] : "")
	if (s == "") { disagree("portnote gave no status; " tsdesc); next }
	if ((s == "ok") != (why == "")) { disagree("portnote status/reason inconsistent: " pndesc); next }

	if (s == "ok" && t != "") {
		if (outer == t && tsp == sp[cur] && tdp == dp[cur]) agree_ports++
		else if (outer == t && tsp == "" && tdp == "" && \
			 wn[cur] ~ ("(^|;)" fam(t) "-header-cut(;|$)")) bump("ports-beyond-tshark")
		else disagree(pndesc " vs " tsdesc)
		next
	}
	if (!tshows) { agree_none++; next }

	# portnote shows no ports, tshark does: explained only by these rules.
	if (s == "ok") {
		if ((ipp[cur] == 1 || ipp[cur] == 58) && outer == "" && inner != "") bump("icmp-error-payload")
		else disagree(pndesc " (ip_proto " ipp[cur] ") vs " tsdesc)
		next
	}
	if (tsp == "" && tdp == "") { disagree(pndesc " vs " tsdesc); next }
	F = fam(outer)
	if (s == "truncated" && why == "truncated-" F) { bump("truncated-transport"); next }
	if (s == "malformed" && malformed && \
	    (why == "short-" F || why ~ ("^bad-" F "-") || (outer == "udplite" && why == "bad-udplite-coverage"))) {
		bump("malformed-transport"); next
	}
	if (s == "malformed" && why == "bad-sctp-chunk" && outer == "sctp") {
		nc = split($12, cl, ";"); low = 0
		for (i = 1; i <= nc; i++) if (cl[i] != "" && cl[i] + 0 < 4) low = 1
		if (low) { bump("sctp-bogus-chunk"); next }
	}
	if (s == "malformed" && why == "tiny-fragment" && protonum(outer) == ipp[cur] + 0) { bump("tiny-fragment"); next }
	if (s == "unsupported" && (why == "vlan-depth" || why == "mpls-depth" || why == "ipv6-ext-limit" || why == "tunnel-depth")) { bump("depth-limit"); next }
	if (s == "unsupported" && why == "unsupported-mpls" && $2 ~ /:mpls:pw/) { bump("mpls-pseudowire"); next }
	if (s == "malformed" && why == "bad-ip-version") { bump("ip-version-mismatch"); next }
	if (s == "malformed" && malformed && why ~ /^(short-ipv[46]|bad-ihl|bad-ipv4-length|bad-ipv6-length|bad-ipv6-ext)$/) { bump("malformed-ip"); next }
	disagree(pndesc " vs " tsdesc)
}
END {
	if (limit >= 0 && pn_n != limit) { printf "  %s: portnote printed %d rows, expected %d\n", name, pn_n, limit; bad = 1 }
	if (ts_n < pn_n || (extra_cat == "" && ts_n != pn_n)) {
		printf "  %s: frame count mismatch: portnote %d, tshark %d\n", name, pn_n, ts_n; bad = 1
	}
	line = sprintf("%s: %d frames (portnote %d, tshark %d): agree %d (ports %d, none %d) / explained %d",
		name, (ts_n > pn_n ? ts_n : pn_n), pn_n, ts_n, agree_ports + agree_none, agree_ports, agree_none, explained)
	ncat = 0
	for (c in ecount) cats[++ncat] = c
	# insertion sort, for stable output
	for (i = 2; i <= ncat; i++) { v = cats[i]; for (j = i - 1; j >= 1 && cats[j] > v; j--) cats[j + 1] = cats[j]; cats[j + 1] = v }
	if (ncat) {
		line = line " ("
		for (i = 1; i <= ncat; i++) line = line (i > 1 ? ", " : "") cats[i] " " ecount[cats[i]]
		line = line ")"
	}
	printf "%s / DISAGREE %d\n", line, disagreed
	exit (bad || disagreed) ? 1 : 0
}
EOF

supported_linktypes=" 0 1 12 14 101 108 113 228 229 276 "

# compare_file FILE NAME: runs both tools and the awk comparison.
compare_file() {
	local file=$1 name=$2 rc limit=-1 extra="" msg k j lt rx
	"$portnote" packets --format csv -r "$file" >"$tmp/pn.csv" 2>"$tmp/pn.err"
	rc=$?
	tshark_fields "$file" >"$tmp/ts.tsv" 2>"$tmp/ts.err"
	if grep -Eq 'Sanitizer|runtime error:' "$tmp/pn.err"; then
		echo "  $name: sanitizer report (exit $rc):"
		sed 's/^/    stderr: /' "$tmp/pn.err" | head -30
		return 1
	fi
	msg=$(grep -v 'note: the registry snapshot is dated' "$tmp/pn.err" |
		grep -F "portnote packets: $file: " | head -1)
	msg=${msg#"portnote packets: $file: "}
	# A file that cannot be read at all (an unsupported link type) gets
	# no output, not even the CSV header; every other one has a header.
	if [[ ! -s "$tmp/pn.csv" && ! ($rc -eq 1 && "$msg" == *" is not supported; skipped") ]]; then
		echo "  $name: portnote printed no CSV header (exit $rc)"
		sed 's/^/    stderr: /' "$tmp/pn.err"
		return 1
	fi
	if [[ $rc -eq 1 ]]; then
		rx='^packet ([0-9]+): .+; ([0-9]+) packets? before it (was|were) read$'
		if [[ "$msg" =~ $rx ]]; then
			k=${BASH_REMATCH[1]} j=${BASH_REMATCH[2]}
			if ((k != j + 1)); then
				echo "  $name: portnote: '$msg': packet $k but $j read before it"
				return 1
			fi
			limit=$j extra=after-read-error
			echo "  $name: portnote exit 1: $msg"
			if command -v tcpdump >/dev/null 2>&1; then
				local n
				n=$(tcpdump -n -r "$file" 2>/dev/null | wc -l)
				if ((n != j)) || tcpdump -n -r "$file" >/dev/null 2>&1; then
					echo "  $name: tcpdump (libpcap) read $n packets; expected $j and an error"
					return 1
				fi
			fi
		elif [[ "$msg" =~ ^link\ type\ ([0-9]+)\ \(.*\)\ is\ not\ supported\;\ skipped$ ]]; then
			lt=${BASH_REMATCH[1]}
			if [[ "$supported_linktypes" == *" $lt "* ]]; then
				echo "  $name: portnote skipped link type $lt, which it supports"
				return 1
			fi
			if [[ -s "$tmp/pn.csv" ]]; then
				echo "  $name: portnote printed output for a file it could not read"
				return 1
			fi
			limit=0 extra=unsupported-link
			echo "  $name: portnote exit 1: $msg"
		else
			echo "  $name: portnote exit 1 without a read error or link-type message:"
			sed 's/^/    stderr: /' "$tmp/pn.err"
			return 1
		fi
	elif [[ $rc -ne 0 ]]; then
		echo "  $name: portnote exit $rc"
		sed 's/^/    stderr: /' "$tmp/pn.err"
		return 1
	elif [[ -n "$msg" ]]; then
		echo "  $name: portnote exit 0 but reported: $msg"
		return 1
	fi
	awk -F'\t' -v name="$name" -v limit="$limit" -v extra_cat="$extra" -f "$srcdir/tests/lib.awk" -f "$tmp/compare.awk" "$tmp/pn.csv" "$tmp/ts.tsv"
}

shopt -s nullglob
files=("$srcdir"/captures/*.pcap "$srcdir"/captures/*.pcapng)
if [[ ${#files[@]} -eq 0 ]]; then
	echo "no captures in $srcdir/captures"
	echo "0 passed, 1 failed"
	exit 1
fi
for f in "${files[@]}"; do
	name=captures/${f##*/}
	if compare_file "$f" "$name"; then
		pass=$((pass + 1))
	else
		echo "FAIL $name"
		fail=$((fail + 1))
	fi
done

# No committed capture holds an ICMP error, so the icmp-error-payload rule
# is exercised on a two-frame capture written here: an ICMP port unreachable
# quoting IPv4/UDP and an ICMPv6 one quoting IPv6/TCP. tshark dissects the
# quoted headers' ports; portnote reports icmp/icmp6 without ports.
hex2bin() {
	printf '%b' "$(printf '%s' "$1" | tr -cd '0-9a-f' | sed 's/../\\x&/g')"
}
pcap_record() { # HEX: one record at 2026-01-15 09:00:00 UTC
	local h n le
	h=$(printf '%s' "$1" | tr -cd '0-9a-f')
	n=$((${#h} / 2))
	le=$(printf '%08x' "$n" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/')
	hex2bin "90ac6869 00000000 $le $le $h"
}
{
	hex2bin "d4c3b2a1 02000400 00000000 00000000 ffff0000 01000000"
	pcap_record "020000000002 020000000001 0800
		4500 0038 0001 0000 4001 0000 c0000235 0a00000a
		0303 0000 00000000
		4500 0021 1234 0000 4011 0000 0a00000a c0000235
		cf08 0035 000d 0000"
	pcap_record "020000000002 020000000001 86dd
		6000 0000 0038 3a40
		20010db8000000000000000000000053 20010db8000000000000000000000010
		0104 0000 00000000
		6000 0000 0014 0640
		20010db8000000000000000000000010 20010db8000000000000000000000053
		9c40 01bb 00000001 00000000 5002 ffff 0000 0000"
} >"$tmp/icmp-errors.pcap"
name="(generated) icmp-errors.pcap"
if out=$(compare_file "$tmp/icmp-errors.pcap" "$name") &&
	[[ "$out" == *"explained 2 (icmp-error-payload 2) / DISAGREE 0"* ]]; then
	echo "$out"
	pass=$((pass + 1))
else
	echo "$out"
	echo "FAIL $name: expected both frames explained as icmp-error-payload"
	fail=$((fail + 1))
fi

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
