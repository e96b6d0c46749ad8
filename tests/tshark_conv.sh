#!/usr/bin/env bash
# tshark_conv.sh PORTNOTE SRCDIR — per-flow packet and byte counts of
# `portnote flows` against tshark's conversation statistics, on every
# committed capture portnote reads.
#
# For each capture:
#   portnote flows --format csv -r FILE --idle-timeout 100000
#   tshark -n -q -r FILE -o ip.defragment:FALSE -o ipv6.defragment:FALSE \
#          -z conv,tcp -z conv,udp -z conv,sctp
# Flows and conversations are grouped by transport and unordered endpoint
# pair. Within a group, portnote's flows and tshark's rows must be equal one
# to one (total frames and bytes, and each direction); both tools start a
# new conversation when a SYN reuses the ports of a closed TCP connection.
# Bytes are wire lengths on both sides.
#
# Differences that are known and narrow are put in a named category, and
# each category is checked, not assumed:
#   dccp-via-ip-conv  tshark has no DCCP conversation table; the flow is
#                     compared with `-z conv,ip,dccp` / `conv,ipv6,dccp` (the
#                     IP pair restricted to DCCP), which must be equal and
#                     hold only that one flow.
#   vlan-split        portnote keys flows on the outer VLAN id, tshark does
#                     not: portnote's flows (all on distinct VLANs) must sum
#                     to tshark's single conversation.
#   not-decoded       tshark counts frames portnote rejects (truncated,
#                     malformed): every such frame is named with portnote's
#                     reason, tshark's conversation restricted to exactly
#                     those frames (-z conv,T,frame.number==N) must hold
#                     them, and portnote's flow plus them must equal tshark.
#   beyond-tshark     portnote counts frames whose transport header was cut
#                     after the ports (warning <T>-header-cut) that tshark's
#                     table leaves out: each is named, confirmed absent from
#                     -z conv,T,frame.number==N, and portnote's flow less
#                     them must equal tshark (with not-decoded frames added
#                     where both apply). For DCCP, frames of the IP pair that
#                     portnote rejects count in tshark's IP table too.
# Everything else is a difference and fails the capture.
#
# Later IP fragments carry no ports: portnote does not count them
# (status fragment) and tshark, with defragmentation off, does not put them
# in a TCP/UDP conversation either, so the first fragment alone is counted
# on both sides. UDP-Lite is in tshark's UDP table and in portnote's udp
# flows. Tunnelled packets are counted on the innermost IP header by both.
# No committed capture holds an ICMP error quoting a transport header; if one
# is added and tshark puts it in a conversation, it shows up as unexplained
# (portnote decodes it without ports) and fails.
#
# Skipped, with the reason printed: damaged-* (the file itself ends in a
# broken record; both tools stop there), link-unsupported-80211.pcap (link
# type 105, which portnote does not decode), pcapng-multilink.pcapng
# (libpcap refuses its second interface's link type, so portnote reads none
# of it). Any other capture portnote cannot read in full fails.
#
# Exit 77 when tshark is missing. Last line: "N passed, M failed" (captures).
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 PORTNOTE SRCDIR" >&2
	exit 2
fi
PORTNOTE=$1
SRCDIR=$2

# shellcheck source=tests/lib.sh
. "$SRCDIR/tests/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
need_tshark "$tmp"

ts() {
	tshark -n -o ip.defragment:FALSE -o ipv6.defragment:FALSE "$@" \
		2>/dev/null
}

# Phase 1: group and compare. Input files: flows CSV, conversation tables.
# Output lines:
#   EQUAL key
#   CAT category key detail
#   DIFF key detail
#   DCCP addrA addrB packets bytes        (to check against conv,ip,dccp)
#   CHECK t addrA portA addrB portB pn_packets pn_bytes ts_frames ts_bytes
read -r -d '' COMPARE <<'AWK'
function csv(line, a,    n, i, c, q, fld) {
	n = 0; fld = ""; q = 0
	for (i = 1; i <= length(line); i++) {
		c = substr(line, i, 1)
		if (q) {
			if (c == "\"") {
				if (substr(line, i + 1, 1) == "\"") { fld = fld c; i++ }
				else q = 0
			} else fld = fld c
		} else if (c == "\"") q = 1
		else if (c == ",") { a[++n] = fld; fld = "" }
		else fld = fld c
	}
	a[++n] = fld
	return n
}
# "addr:port" -> addr SUBSEP port; IPv6 addresses hold ':' too.
function split_ep(s, r,    i) {
	i = match(s, /:[0-9]+$/)
	r["a"] = substr(s, 1, i - 1)
	r["p"] = substr(s, i + 1)
}
function tuple(p, b, lo_p, lo_b, hi_p, hi_b) {
	return p " " b " " lo_p " " lo_b " " hi_p " " hi_b
}
# Sorted, space-joined list of the group's tuples (insertion sort).
function sorted(arr, n,    i, j, v, out) {
	for (i = 2; i <= n; i++) {
		v = arr[i]
		for (j = i - 1; j >= 1 && arr[j] > v; j--) arr[j + 1] = arr[j]
		arr[j + 1] = v
	}
	out = ""
	for (i = 1; i <= n; i++) out = out "(" arr[i] ")"
	return out
}
FNR == 1 { file++ }
file == 1 && FNR == 1 { next }
file == 1 {
	csv($0, a)
	t = a[1]; vlan = a[2]
	c = a[3] " " a[4]; s = a[5] " " a[6]
	if (c < s) { lo = c; hi = s; lop = a[15]; lob = a[16]; hip = a[17]; hib = a[18] }
	else { lo = s; hi = c; lop = a[17]; lob = a[18]; hip = a[15]; hib = a[16] }
	k = t "|" lo "|" hi
	if (!(k in pn)) { keys[++nkeys] = k }
	n = ++pn[k]
	pt[k, n] = tuple(a[15] + a[17], a[16] + a[18], lop, lob, hip, hib)
	pp[k] += a[15] + a[17]; pb[k] += a[16] + a[18]
	pvl[k, n] = vlan
	next
}
file == 2 && /Conversations/ { t = tolower($1); next }
file == 2 && $2 == "<->" {
	split_ep($1, A); split_ep($3, B)
	ea = A["a"] " " A["p"]; eb = B["a"] " " B["p"]
	# "<-" columns: B to A; "->" columns: A to B.
	if ($6 != "bytes" || $9 != "bytes" || $12 != "bytes")
		rounded[t "|" ea "|" eb] = 1
	if (ea < eb) { lo = ea; hi = eb; lop = $7; lob = $8; hip = $4; hib = $5 }
	else { lo = eb; hi = ea; lop = $4; lob = $5; hip = $7; hib = $8 }
	k = t "|" lo "|" hi
	if (!(k in pn) && !(k in tc)) { keys[++nkeys] = k }
	n = ++tc[k]
	tt[k, n] = tuple($10, $11, lop, lob, hip, hib)
	tp[k] += $10; tb[k] += $11
	next
}
END {
	for (i = 1; i <= nkeys; i++) {
		k = keys[i]
		np = (k in pn) ? pn[k] : 0
		nt = (k in tc) ? tc[k] : 0
		split(k, kk, "|"); split(kk[2], L, " "); split(kk[3], H, " ")
		if (k in rounded) {
			print "DIFF", k, "tshark printed rounded byte counts"
			continue
		}
		for (j = 1; j <= np; j++) x[j] = pt[k, j]
		for (j = 1; j <= nt; j++) y[j] = tt[k, j]
		sp = sorted(x, np); st = sorted(y, nt)
		if (np == nt && sp == st) {
			for (j = 1; j <= np; j++) print "EQUAL", k, "(" x[j] ")"
			continue
		}
		if (kk[1] == "dccp" && nt == 0) {
			print "DCCP", L[1], H[1], pp[k], pb[k], np, k
			continue
		}
		if (np > 1 && nt == 1 && pp[k] == tp[k] && pb[k] == tb[k]) {
			distinct = 1
			for (j = 1; j <= np; j++) for (m = j + 1; m <= np; m++)
				if (pvl[k, j] == pvl[k, m]) distinct = 0
			if (distinct) {
				vl = ""
				for (j = 1; j <= np; j++)
					vl = vl (j > 1 ? "," : "") (pvl[k, j] == "" ? "none" : pvl[k, j])
				print "CAT", "vlan-split", k, np " flows on VLANs " vl " = one tshark conversation " tp[k] " frames " tb[k] " bytes"
				continue
			}
		}
		print "CHECK", kk[1], L[1], L[2], H[1], H[2], pp[k] + 0, pb[k] + 0, tp[k] + 0, tb[k] + 0, np, nt, "portnote " sp " tshark " st
	}
}
AWK

# Frame-level data of one capture: portnote's status per frame.
# Columns of `portnote packets --format csv`: 2 frame, 5 len, 9 src,
# 10 dst, 12 status, 13 reason, 14 transport, 15 sport, 16 dport.
frames_of_pair() { # t addrA portA addrB portB -> tshark frame numbers
	local t=$1 a=$2 pa=$3 b=$4 pb=$5 ipf=ip
	case $a in *:*) ipf=ipv6 ;; esac
	ts -r "$file" -Y "$ipf.addr==$a && $ipf.addr==$b && $t.port==$pa && $t.port==$pb" \
		-T fields -e frame.number
}

# tshark's conversation row for the pair, restricted to one frame:
# "frames bytes", or nothing if tshark does not count that frame there.
conv_of_frame() { # t frame addrA portA addrB portB
	ts -q -r "$file" -z "conv,$1,frame.number==$2" |
		awk -v a="$3:$4" -v b="$5:$6" '$2 == "<->" && (($1 == a && $3 == b) || ($1 == b && $3 == a)) { print $10, $11 }'
}

passed=0
failed=0
total_equal=0
total_diff=0
declare -A total_cat=()

for file in "$SRCDIR"/captures/*.pcap "$SRCDIR"/captures/*.pcapng; do
	[ -e "$file" ] || continue
	name=${file##*/}
	case $name in
	damaged-*)
		echo "skip $name: damaged file (ends in a broken record)"
		continue
		;;
	link-unsupported-80211.pcap)
		echo "skip $name: link type 105 (802.11) is not decoded by portnote"
		continue
		;;
	pcapng-multilink.pcapng)
		echo "skip $name: libpcap refuses the second interface's link type; portnote reads none of it"
		continue
		;;
	esac

	if ! "$PORTNOTE" flows --format csv -r "$file" --idle-timeout 100000 \
		>"$tmp/flows.csv" 2>"$tmp/flows.err"; then
		echo "FAIL $name: portnote flows failed:"
		sed 's/^/    /' "$tmp/flows.err"
		failed=$((failed + 1))
		continue
	fi
	if ! ts -q -r "$file" -z conv,tcp -z conv,udp -z conv,sctp >"$tmp/conv.txt"; then
		echo "FAIL $name: tshark could not read it"
		failed=$((failed + 1))
		continue
	fi
	awk "$COMPARE" "$tmp/flows.csv" "$tmp/conv.txt" >"$tmp/result.txt"

	equal=0
	diff=0
	declare -A cats=()
	: >"$tmp/report.txt"
	have_packets=0
	have_ipconv=0

	while read -r kind rest; do
		case $kind in
		EQUAL)
			equal=$((equal + 1))
			;;
		CAT)
			read -r c detail <<<"$rest"
			cats[$c]=$((${cats[$c]:-0} + 1))
			echo "    $c: $detail" >>"$tmp/report.txt"
			;;
		DIFF)
			diff=$((diff + 1))
			echo "    DIFFERENT: $rest" >>"$tmp/report.txt"
			;;
		DCCP)
			read -r a b p by n k <<<"$rest"
			if [ $have_ipconv = 0 ]; then
				ts -q -r "$file" -z conv,ip,dccp -z conv,ipv6,dccp >"$tmp/ipconv.txt"
				have_ipconv=1
			fi
			got=$(awk -v a="$a" -v b="$b" '$2 == "<->" && (($1 == a && $3 == b) || ($1 == b && $3 == a)) { print $10, $11 }' "$tmp/ipconv.txt")
			# IP frames of this pair carrying DCCP that portnote
			# rejects are in tshark's IP table too.
			if [ $have_packets = 0 ]; then
				"$PORTNOTE" packets --format csv -r "$file" >"$tmp/packets.csv" 2>/dev/null
				have_packets=1
			fi
			read -r xd xdb <<<"$(awk -F, -v a="$a" -v b="$b" 'NR > 1 && $11 == 33 && $12 != "ok" && (($9 == a && $10 == b) || ($9 == b && $10 == a)) { n++; s += $5 } END { print n + 0, s + 0 }' "$tmp/packets.csv")"
			if [ "$n" = 1 ] && { [ "$got" = "$p $by" ] || [ "$got" = "$((p + xd)) $((by + xdb))" ]; }; then
				cats[dccp-via-ip-conv]=$((${cats[dccp-via-ip-conv]:-0} + 1))
				echo "    dccp-via-ip-conv: $k: $p frames $by bytes = tshark conv,ip,dccp $a <-> $b" >>"$tmp/report.txt"
			else
				diff=$((diff + 1))
				echo "    DIFFERENT: $k: portnote $n dccp flow(s), $p frames $by bytes; tshark conv,ip,dccp: ${got:-none}" >>"$tmp/report.txt"
			fi
			;;
		CHECK)
			read -r t a pa b pb pnp pnb tsp tsb _ _ detail <<<"$rest"
			if [ $have_packets = 0 ]; then
				"$PORTNOTE" packets --format csv -r "$file" >"$tmp/packets.csv" 2>/dev/null
				have_packets=1
			fi
			key="$t|$a $pa|$b $pb"
			# Frames tshark puts on this pair that portnote did not
			# decode, each confirmed one by one against tshark's table.
			xp=0
			xb=0
			reasons=""
			unexplained=""
			for fr in $(frames_of_pair "$t" "$a" "$pa" "$b" "$pb"); do
				st=$(awk -F, -v f="$fr" 'NR > 1 && $2 == f { print $12 "|" $13 "|" $15 "|" $9 "|" $16 "|" $10 "|" $17; exit }' "$tmp/packets.csv")
				IFS="|" read -r status reason ptrans psrc psport pdst pdport <<<"$st"
				if [ "$status" = ok ]; then
					# Decoded: must be in this very flow.
					if [ "$ptrans" = "$t" ] &&
						{ [ "$psrc $psport|$pdst $pdport" = "$a $pa|$b $pb" ] ||
							[ "$psrc $psport|$pdst $pdport" = "$b $pb|$a $pa" ]; }; then
						continue
					fi
					counted=$(conv_of_frame "$t" "$fr" "$a" "$pa" "$b" "$pb")
					[ -n "$counted" ] && unexplained="$unexplained #$fr(decoded as ${ptrans:-no transport})"
					continue
				fi
				counted=$(conv_of_frame "$t" "$fr" "$a" "$pa" "$b" "$pb")
				[ -n "$counted" ] || continue
				read -r cf cb <<<"$counted"
				xp=$((xp + cf))
				xb=$((xb + cb))
				reasons="$reasons #$fr $status/$reason ($cb bytes)"
			done
			# Frames portnote counts from a header cut after its
			# ports, which tshark's table leaves out: each confirmed
			# absent from tshark's table one by one.
			bp=0
			bb=0
			beyond=""
			for fb in $(awk -F, -v t="$t" -v a="$a" -v pa="$pa" -v b="$b" -v pb="$pb" 'NR > 1 && $12 == "ok" && $15 == t && $14 ~ /header-cut/ && (($9 == a && $16 == pa && $10 == b && $17 == pb) || ($9 == b && $16 == pb && $10 == a && $17 == pa)) { print $2 ":" $5 }' "$tmp/packets.csv"); do
				fr=${fb%%:*}
				[ -z "$(conv_of_frame "$t" "$fr" "$a" "$pa" "$b" "$pb")" ] || continue
				bp=$((bp + 1))
				bb=$((bb + ${fb#*:}))
				beyond="$beyond #$fr"
			done
			if [ -z "$unexplained" ] && [ $((pnp - bp + xp)) = "$tsp" ] &&
				[ $((pnb - bb + xb)) = "$tsb" ] && [ $((xp + bp)) -gt 0 ]; then
				if [ "$xp" -gt 0 ]; then
					cats[not-decoded]=$((${cats[not-decoded]:-0} + 1))
					echo "    not-decoded: $key: portnote $pnp frames $pnb bytes + frames portnote rejects:$reasons${beyond:+ - frames with a header cut after the ports tshark leaves out:$beyond} = tshark $tsp frames $tsb bytes" >>"$tmp/report.txt"
				else
					cats[beyond-tshark]=$((${cats[beyond-tshark]:-0} + 1))
					echo "    beyond-tshark: $key: portnote $pnp frames $pnb bytes - frames with a header cut after the ports tshark leaves out:$beyond = tshark $tsp frames $tsb bytes" >>"$tmp/report.txt"
				fi
			else
				diff=$((diff + 1))
				echo "    DIFFERENT: $key: $detail; frames tshark counts that portnote rejects:${reasons:- none}${unexplained:+; unexplained:$unexplained}" >>"$tmp/report.txt"
			fi
			;;
		esac
	done <"$tmp/result.txt"

	summary="$equal equal"
	ncat=0
	for c in "${!cats[@]}"; do
		summary="$summary, $c ${cats[$c]}"
		ncat=$((ncat + ${cats[$c]}))
		total_cat[$c]=$((${total_cat[$c]:-0} + ${cats[$c]}))
	done
	summary="$summary, $diff different"
	total_equal=$((total_equal + equal))
	total_diff=$((total_diff + diff))
	if [ "$diff" = 0 ]; then
		echo "ok   $name: $summary"
		passed=$((passed + 1))
	else
		echo "FAIL $name: $summary"
		failed=$((failed + 1))
	fi
	cat "$tmp/report.txt"
	unset cats
done

line="flows: $total_equal equal"
for c in "${!total_cat[@]}"; do
	line="$line, $c ${total_cat[$c]}"
done
echo "$line, $total_diff different"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
