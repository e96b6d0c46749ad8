# tests/lib.awk — awk functions shared by the comparisons with tshark
# (tshark_compare.sh, snaplen_recut.sh), loaded with `awk -f lib.awk -f …`.

# RFC 4180 split of one CSV record without embedded newlines.
function csvsplit(line, out,    n, i, c, f, q, L) {
	n = 0; f = ""; q = 0; L = length(line)
	for (i = 1; i <= L; i++) {
		c = substr(line, i, 1)
		if (q) {
			if (c == "\"") {
				if (substr(line, i + 1, 1) == "\"") { f = f "\""; i++ }
				else q = 0
			} else f = f c
		} else if (c == "\"") q = 1
		else if (c == ",") { out[++n] = f; f = "" }
		else f = f c
	}
	out[++n] = f
	return n
}
# UDP-Lite is in tshark's udp fields and in portnote's udp reasons.
function fam(t) { return t == "udplite" ? "udp" : t }
# nth value of a ';'-aggregated tshark field
function nth(s, k,    a, n) { n = split(s, a, ";"); return k <= n ? a[k] : "" }
