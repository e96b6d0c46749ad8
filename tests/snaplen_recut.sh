#!/usr/bin/env bash
# Cuts every committed capture to small snaplens and checks that portnote
# keeps every port that was captured, against tshark and against portnote's
# own decoding of the full capture.
#   usage: snaplen_recut.sh PORTNOTE SRCDIR
#
# For each captures/*.pcap and captures/*.pcapng that portnote reads in full
# and each snaplen N in 54 64 68 96: `editcap -s N` (same file format) gives
# CUT; then
#   portnote packets --format csv / flows --format csv   on CUT and on the
#     original (the original's output is made once, for all snaplens)
#   tshark -n -r CUT (IP reassembly off) -T fields: frame.protocols and the
#     tcp/udp/sctp/dccp port fields, as tests/tshark_compare.sh; the outer
#     transport is the first one outside an ICMP payload. tshark runs once
#     per capture, on the four cut files concatenated (mergecap -a); its
#     frames are split back per cut file (capinfos counts them). What is
#     read here (the protocols up to the first transport, its ports) is per
#     frame and the same as from four tshark runs; only the application
#     layer above can differ (a later copy's segments look retransmitted).
#     tshark reads pcapng copies cut the same way (editcap -F pcapng -s N):
#     wiretap's pcap heuristic takes a pcap whose header says snaplen 68 and
#     whose record has caplen > len (malformed-bad-caplen.pcap) for the
#     Nokia tcpdump variant and misreads every record; libpcap does not.
#
# Per frame (CUT row, ORIGINAL row, tshark's line):
#   uncut          caplen unchanged by editcap: the CUT row equals the
#                  ORIGINAL row in every column but file.
#   ports          portnote shows ports on CUT: status ok, the transport and
#                  ports of the ORIGINAL, and either tshark's outer transport
#                  and ports ("tshark") or, where tshark names the transport
#                  but shows no ports, a <T>-header-cut warning
#                  ("beyond-tshark"; T is udp for UDP-Lite).
#   tshark ports   tshark shows both ports: portnote must show them (above).
#   ports-cut      portnote shows no ports on CUT but the ORIGINAL does:
#                  status truncated; if tshark reached the ORIGINAL's
#                  transport (names it, with at most the source port), the
#                  reason is truncated-<T>, else a truncated-* reason of a
#                  layer before it (IP, extension header, tunnel, link).
#   no-ports-orig  portnote shows no ports on CUT nor on the ORIGINAL while
#                  tshark shows some: the ORIGINAL's status is not ok and
#                  its reason explains it (malformed-* and other deliberately
#                  broken packets), or it is ICMP quoting a header;
#                  tests/tshark_compare.sh checks those.
# Anything else fails, and so do a different frame count, caplen above N, a
# changed len, an ok status with a reason or another status without one.
#
# Conversations: frames with ports grouped by transport (UDP-Lite as udp,
# as portnote's flows do), outer VLAN id (portnote keys flows on it; see
# vlan-split in tests/tshark_conv.sh) and unordered (address, port) pair.
# Per pair, the count of CUT frames with ports must equal the packets of
# `portnote flows` on CUT (both directions, all flows of the pair), and
# equal the packets of `portnote flows` on the ORIGINAL less the pair's
# ports-cut frames (each explained above). "kept" counts the pairs that are
# whole; "cut short" those that lost ports-cut frames only.
#
# Skipped, as in tests/tshark_conv.sh: damaged-*, link-unsupported-80211.pcap,
# pcapng-multilink.pcapng (portnote cannot read them in full).
# Prints one line per capture and snaplen ("ok   ..." or "FAIL ..." with the
# first mismatches), then "N passed, M failed" (one test per capture and
# snaplen). Exit 77 without tshark, editcap, mergecap or capinfos.
# SNAPLEN_RECUT_VERBOSE=1 also lists every ports-cut, beyond-tshark and
# no-ports-orig frame (before its capture's line).
set -uo pipefail
portnote=${1:?usage: snaplen_recut.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: snaplen_recut.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC

# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
need_tshark "$tmp"
for tool in editcap mergecap capinfos; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "skip: $tool is not installed (apt-get install tshark)"
		exit 77
	fi
done

snaplens=(54 64 68 96)

# check.awk ORIG_CSV CUT_CSV TS_TSV ORIG_FLOWS CUT_FLOWS; variables: name,
# snap. Prints the result line (and mismatches); exit 1 on any mismatch.
cat >"$tmp/check.awk" <<'EOF'
function miss(msg) {
	nbad++
	if (nbad <= 5) msgs = msgs sprintf("\n  frame %s: %s", cur, msg)
}
function fileerr(msg) { nbad++; if (nbad <= 5) msgs = msgs "\n  " msg }
# unordered pair key: transport|outer vlan|lo|hi, endpoints "addr port"
function pairkey(t, vlan, a, pa, b, pb,    x, y, v) {
	split(vlan, v, ";"); x = a " " pa; y = b " " pb
	return fam(t) "|" v[1] "|" (x < y ? x "|" y : y "|" x)
}
function desc(st, rs, t, sp, dp, w) {
	return st (rs != "" ? " " rs : "") (t != "" ? " " t " " sp ">" dp : " no ports") (w != "" ? " [" w "]" : "")
}
FNR == 1 { fi++ }
# packets CSVs (1 original, 2 cut) and flows CSVs (4 original, 5 cut):
# columns by header name.
FNR == 1 && fi != 3 {
	n = csvsplit($0, h)
	for (i = 1; i <= n; i++) col[fi, h[i]] = i
	ncol[fi] = n
	next
}
fi == 1 || fi == 2 {
	csvsplit($0, r)
	f = r[col[fi, "frame"]] + 0
	rows[fi]++
	if (f != rows[fi]) fileerr(sprintf("%s packets row %d has frame %d", fi == 1 ? "original" : "cut", rows[fi], f))
	row = ""
	for (i = 2; i <= ncol[fi]; i++) row = row "," r[i]
	R[fi, f] = row
	split("caplen len vlan src dst ip_proto status reason warnings transport sport dport", nk, " ")
	for (i in nk) V[fi, f, nk[i]] = r[col[fi, nk[i]]]
	next
}
fi == 4 || fi == 5 {
	csvsplit($0, r)
	k = pairkey(r[col[fi, "transport"]], r[col[fi, "vlan"]], r[col[fi, "client"]], r[col[fi, "client_port"]],
		    r[col[fi, "server"]], r[col[fi, "server_port"]])
	if (!(k in seen)) { seen[k] = 1; keys[++nkeys] = k }
	fl[fi, k] += r[col[fi, "packets_c2s"]] + r[col[fi, "packets_s2c"]]
	next
}
# tshark: $1 frame, $2 protocols, $3..$10 ports
{
	ts_n++
	cur = $1 + 0
	if (cur != ts_n) fileerr(sprintf("tshark line %d has frame %s", ts_n, $1))
	ns = split($2, chain, ":")
	outer = ""; in_icmp = 0
	for (i = 1; i <= ns; i++) {
		p = chain[i]
		if (p == "icmp" || p == "icmpv6") in_icmp = 1
		else if (!in_icmp && outer == "" && (p == "tcp" || p == "udp" || p == "udplite" || p == "sctp" || p == "dccp")) outer = p
	}
	if (outer == "tcp") { tsp = nth($3, 1); tdp = nth($4, 1) }
	else if (outer == "udp" || outer == "udplite") { tsp = nth($5, 1); tdp = nth($6, 1) }
	else if (outer == "sctp") { tsp = nth($7, 1); tdp = nth($8, 1) }
	else if (outer == "dccp") { tsp = nth($9, 1); tdp = nth($10, 1) }
	else { tsp = ""; tdp = "" }
	TO[cur] = outer; TS[cur] = tsp; TD[cur] = tdp; TP[cur] = $2
}
END {
	if (rows[2] != rows[1]) fileerr(sprintf("cut file has %d frames, original %d", rows[2], rows[1]))
	if (ts_n != rows[2]) fileerr(sprintf("tshark read %d frames, portnote %d", ts_n, rows[2]))
	for (cur = 1; cur <= rows[2]; cur++) {
		cst = V[2, cur, "status"]; crs = V[2, cur, "reason"]; ct = V[2, cur, "transport"]
		csp = V[2, cur, "sport"]; cdp = V[2, cur, "dport"]; cw = V[2, cur, "warnings"]
		ost = V[1, cur, "status"]; ors = V[1, cur, "reason"]; ot = V[1, cur, "transport"]
		osp = V[1, cur, "sport"]; odp = V[1, cur, "dport"]
		outer = TO[cur]; tsp = TS[cur]; tdp = TD[cur]
		cdesc = "cut: portnote " desc(cst, crs, ct, csp, cdp, cw)
		odesc = "original: portnote " desc(ost, ors, ot, osp, odp, V[1, cur, "warnings"])
		tdesc = "tshark " TP[cur] (outer != "" ? " " outer " " tsp ">" tdp : "")
		all = cdesc "; " odesc "; " tdesc
		if (V[2, cur, "caplen"] + 0 > snap) miss("caplen " V[2, cur, "caplen"] " above the snaplen")
		if (V[2, cur, "len"] != V[1, cur, "len"]) miss("len " V[2, cur, "len"] ", original " V[1, cur, "len"])
		if ((cst == "ok") != (crs == "")) { miss("status/reason inconsistent: " all); continue }
		if (V[2, cur, "caplen"] == V[1, cur, "caplen"] && R[2, cur] != R[1, cur]) {
			miss("not cut, yet decoded differently: " all); continue
		}
		cshows = (ct != "" || csp != "" || cdp != "")
		oshows = (ot != "" || osp != "" || odp != "")
		tboth = (tsp != "" && tdp != ""); tany = (tsp != "" || tdp != "")
		if (cshows) {
			nports++
			if (cst != "ok" || ct != ot || csp != osp || cdp != odp) { miss("ports differ from the original: " all); continue }
			if (tany) {
				if (outer == ct && tsp == csp && tdp == cdp) nts++
				else miss("ports differ from tshark: " all)
			} else if (outer == ct && cw ~ ("(^|;)" fam(ct) "-header-cut(;|$)")) {
				nbeyond++
				if (verbose) printf "  beyond-tshark frame %d: %s\n", cur, all
			}
			else miss("tshark shows no ports and portnote no " fam(ct) "-header-cut warning: " all)
			cp[pairkey(ct, V[2, cur, "vlan"], V[2, cur, "src"], csp, V[2, cur, "dst"], cdp)]++
			continue
		}
		if (tboth && oshows) { miss("tshark shows the ports, portnote none: " all); continue }
		if (!oshows) {
			if (!tany) continue
			# tshark shows ports the original gives none of: the
			# original's reason (or an ICMP error's quoted header).
			if (ost != "ok" || V[1, cur, "ip_proto"] == 1 || V[1, cur, "ip_proto"] == 58) {
				nnoorig++
				if (verbose) printf "  no-ports-orig frame %d: %s\n", cur, all
			}
			else miss("tshark shows ports, the original ok without any: " all)
			continue
		}
		# The original has ports, the cut file none: the ports were cut.
		if (cst != "truncated") { miss("ports lost, not as truncated: " all); continue }
		if (outer == fam(ot) || outer == ot) {
			if (crs != "truncated-" fam(ot)) { miss("tshark reaches " outer ", yet reason " crs ": " all); continue }
		} else if (crs !~ /^truncated-/) { miss("ports lost: " all); continue }
		nportscut++
		if (verbose) printf "  ports-cut frame %d: %s\n", cur, all
		lost[pairkey(ot, V[1, cur, "vlan"], V[1, cur, "src"], osp, V[1, cur, "dst"], odp)]++
	}
	for (k in cp) if (!(k in seen)) { seen[k] = 1; keys[++nkeys] = k }
	for (i = 1; i <= nkeys; i++) {
		k = keys[i]
		a = cp[k] + 0; b = fl[5, k] + 0; o = fl[4, k] + 0; l = lost[k] + 0
		cur = "-"
		if (a != b) { fileerr(sprintf("conversation %s: %d cut frames with ports, cut flows %d packets", k, a, b)); continue }
		if (b != o - l) { fileerr(sprintf("conversation %s: cut flows %d packets, original flows %d, %d ports-cut frames", k, b, o, l)); continue }
		if (o == 0) continue
		if (l) nshort++
		else nkept++
	}
	line = sprintf("captures/%s -s %d: %d frames, %d with ports (tshark %d, beyond-tshark %d), %d conversations kept",
		name, snap, rows[2], nports, nts, nbeyond, nkept)
	extra = ""
	if (nshort) extra = extra sprintf(", %d cut short", nshort)
	if (nportscut) extra = extra sprintf(", %d frames with ports cut", nportscut)
	if (nnoorig) extra = extra sprintf(", %d without ports in the original either", nnoorig)
	if (extra != "") line = line " (" substr(extra, 3) ")"
	if (nbad) {
		printf "FAIL %s: %d mismatches%s\n", line, nbad, msgs
		if (nbad > 5) printf "  (%d more not shown)\n", nbad - 5
		exit 1
	}
	printf "ok   %s\n", line
}
EOF

# pn_run OUT ERR packets|flows FILE: portnote, exit 0, no sanitizer or read
# error; a message on failure.
pn_run() {
	local out=$1 err=$2 cmd=$3 file=$4 rc
	"$portnote" "$cmd" --format csv -r "$file" >"$out" 2>"$err"
	rc=$?
	if ((rc != 0)) || grep -Eq 'Sanitizer|runtime error:' "$err" ||
		grep -v 'note: the registry snapshot is dated' "$err" | grep -qF ": $file: "; then
		echo "portnote $cmd exit $rc: $(grep -v 'note: the registry' "$err" | head -3 | tr '\n' ' ')"
		return 1
	fi
}

shopt -s nullglob
files=("$srcdir"/captures/*.pcap "$srcdir"/captures/*.pcapng)
if [[ ${#files[@]} -eq 0 ]]; then
	echo "no captures in $srcdir/captures"
	echo "0 passed, 1 failed"
	exit 1
fi
for f in "${files[@]}"; do
	name=${f##*/}
	case $name in
	damaged-*)
		echo "skip captures/$name: damaged file (ends in a broken record)"
		continue
		;;
	link-unsupported-80211.pcap)
		echo "skip captures/$name: link type 105 (802.11) is not decoded by portnote"
		continue
		;;
	pcapng-multilink.pcapng)
		echo "skip captures/$name: libpcap refuses the second interface's link type"
		continue
		;;
	esac
	# editcap writes pcapng unless told; keep the input's format.
	case $(head -c 4 "$f" | od -An -tx1 | tr -d ' \n') in
	d4c3b2a1 | a1b2c3d4) fmt=pcap ;;
	4d3cb2a1 | a1b23c4d) fmt=nsecpcap ;;
	*) fmt=pcapng ;;
	esac
	ext=${name##*.}
	if ! msg=$(pn_run "$tmp/o.csv" "$tmp/o.err" packets "$f") ||
		! msg=$(pn_run "$tmp/of.csv" "$tmp/o.err" flows "$f"); then
		for n in "${snaplens[@]}"; do
			echo "FAIL captures/$name -s $n: original: $msg"
			fail=$((fail + 1))
		done
		continue
	fi
	cuts=()
	tscuts=()
	for n in "${snaplens[@]}"; do
		cut=$tmp/cut-$n.$ext
		tscut=$tmp/ts-$n.pcapng
		[[ $fmt == pcapng ]] && tscut=$cut
		if ! editcap -F "$fmt" -s "$n" "$f" "$cut" 2>"$tmp/e.err" ||
			{ [[ $fmt != pcapng ]] &&
				! editcap -F pcapng -s "$n" "$f" "$tscut" 2>"$tmp/e.err"; }; then
			cuts+=("")
			tscuts+=("")
			continue
		fi
		cuts+=("$cut")
		tscuts+=("$tscut")
	done
	rm -f "$tmp/all.pcapng" "$tmp/all.tsv"
	merge=()
	for c in "${tscuts[@]}"; do [[ -n $c ]] && merge+=("$c"); done
	((${#merge[@]})) && mergecap -a -F pcapng -w "$tmp/all.pcapng" "${merge[@]}" 2>/dev/null
	tshark -n -r "$tmp/all.pcapng" -o ip.defragment:FALSE -o ipv6.defragment:FALSE \
		-T fields -E separator=/t -E occurrence=a -E aggregator=';' \
		-e frame.number -e frame.protocols \
		-e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport \
		-e sctp.srcport -e sctp.dstport -e dccp.srcport -e dccp.dstport \
		>"$tmp/all.tsv" 2>/dev/null
	base=0
	i=0
	for n in "${snaplens[@]}"; do
		cut=${cuts[$i]}
		i=$((i + 1))
		if [[ -z "$cut" ]]; then
			echo "FAIL captures/$name -s $n: editcap failed: $(head -2 "$tmp/e.err")"
			fail=$((fail + 1))
			continue
		fi
		count=$(capinfos -T -r -c -M "${tscuts[$((i - 1))]}" | cut -f2)
		awk -F'\t' -v b="$base" -v c="$count" 'BEGIN { OFS = "\t" }
			$1 > b && $1 <= b + c { $1 -= b; print }' "$tmp/all.tsv" >"$tmp/ts.tsv"
		base=$((base + count))
		if ! msg=$(pn_run "$tmp/c.csv" "$tmp/c.err" packets "$cut") ||
			! msg=$(pn_run "$tmp/cf.csv" "$tmp/c.err" flows "$cut"); then
			echo "FAIL captures/$name -s $n: cut file: $msg"
			fail=$((fail + 1))
			continue
		fi
		if awk -F'\t' -v name="$name" -v snap="$n" -v verbose="${SNAPLEN_RECUT_VERBOSE:-}" -f "$srcdir/tests/lib.awk" -f "$tmp/check.awk" \
			"$tmp/o.csv" "$tmp/c.csv" "$tmp/ts.tsv" "$tmp/of.csv" "$tmp/cf.csv"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
		fi
	done
done

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
