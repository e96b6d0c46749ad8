#!/usr/bin/env bash
# Untrusted text never reaches a terminal raw:
#   - audit of an iptables ruleset whose comments hold ESC[8A ESC[J (which
#     would move the cursor up and erase the HIGH findings), a C1 CSI and
#     DEL: the text and CSV reports hold no ESC, CSI or DEL byte, show
#     "\x1b[8A\x1b[J", and the findings are there; JSON has no raw ESC
#     and keeps the comment exactly (escaped as JSON does);
#   - a capture copied to a file name with a newline and an ESC: stats and
#     flows headers, packets' "# FILE (linktype)" lines, the CSV, and the
#     stderr messages of a damaged and a missing file hold no ESC and no
#     line that the name broke;
#   - a command-line word in a usage error and a lookup name are escaped.
#   usage: cli_escape.sh PORTNOTE SRCDIR
# Prints "N passed, M failed".
set -uo pipefail
portnote=${1:?usage: cli_escape.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: cli_escape.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC

# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
captures=$srcdir/captures
esc=$'\x1b'

# no_raw NAME FILE: FILE holds no ESC, no C1 CSI (UTF-8 or a lone byte) and
# no DEL.
no_raw() {
	if LC_ALL=C grep -q $'[\x1b\x7f\x9b]' "$2"; then
		bad "$1: raw control bytes"
		LC_ALL=C grep -n $'[\x1b\x7f\x9b]' "$2" | cat -v | head -3 | sed 's/^/  /'
	else
		ok "$1: no raw ESC, CSI or DEL"
	fi
}

# has NAME FILE FIXED-STRING
has() {
	if grep -qF -- "$3" "$2"; then
		ok "$1: has '$3'"
	else
		bad "$1: no '$3'"
		head -5 "$2" | cat -v | sed 's/^/  /'
	fi
}

# --- audit: a comment that would erase the findings ------------------------
printf '%s\n' '*filter' ':INPUT DROP [0:0]' ':FORWARD DROP [0:0]' ':OUTPUT ACCEPT [0:0]' \
	"-A INPUT -p tcp -m tcp --dport 6003 -m comment --comment \"x11 ${esc}[8A${esc}[J\" -j ACCEPT" \
	$'-A INPUT -p tcp -m tcp --dport 22 -m comment --comment "ssh \xc2\x9b2J \x7f" -j ACCEPT' \
	'COMMIT' >"$tmp/esc.iptables"
"$portnote" audit --rules "$tmp/esc.iptables" >"$tmp/audit.txt" 2>"$tmp/audit.err"
no_raw "audit text" "$tmp/audit.txt"
has "audit text" "$tmp/audit.txt" 'x11 \x1b[8A\x1b[J'
has "audit text" "$tmp/audit.txt" 'ssh \u009b2J \x7f'
has "audit text" "$tmp/audit.txt" 'unauthorized-use'
"$portnote" audit --format csv --rules "$tmp/esc.iptables" >"$tmp/audit.csv" 2>/dev/null
no_raw "audit csv" "$tmp/audit.csv"
has "audit csv" "$tmp/audit.csv" 'x11 \x1b[8A\x1b[J'
"$portnote" audit --format json --rules "$tmp/esc.iptables" >"$tmp/audit.json" 2>/dev/null
# JSON escapes C0 controls as JSON must (\u001b) and carries DEL and C1
# as they are: it is for programs, and keeps the text exact.
if grep -q "$esc" "$tmp/audit.json"; then
	bad "audit json: raw ESC"
else
	ok "audit json: no raw ESC"
fi
if command -v jq >/dev/null 2>&1; then
	if jq -r '.rules[].comment' "$tmp/audit.json" 2>/dev/null |
		grep -qF "x11 ${esc}[8A${esc}[J"; then
		ok "audit json: the comment is kept exactly"
	else
		bad "audit json: the comment is not kept"
	fi
fi

# --- a file name with a newline and an ESC ---------------------------------
name="$tmp/a"$'\n'"b${esc}[2J.pcap"
cp "$captures/udp.pcap" "$name"
"$portnote" stats -r "$name" >"$tmp/stats.txt" 2>"$tmp/stats.err"
no_raw "stats text" "$tmp/stats.txt"
no_raw "stats stderr" "$tmp/stats.err"
if [[ $(grep -c '^# portnote stats: ' "$tmp/stats.txt") -eq 1 ]] &&
	grep -qF 'a\nb\x1b[2J.pcap; IANA registry' "$tmp/stats.txt" &&
	! grep -q '^b' "$tmp/stats.txt"; then
	ok "stats: the header is one line with the name escaped"
else
	bad "stats: header broken by the name"
	head -3 "$tmp/stats.txt" | cat -v | sed 's/^/  /'
fi
"$portnote" packets -r "$name" -r "$captures/tcp-ipv4.pcap" >"$tmp/packets.txt" 2>/dev/null
no_raw "packets text" "$tmp/packets.txt"
has "packets text" "$tmp/packets.txt" '# '"$tmp"'/a\nb\x1b[2J.pcap (EN10MB)'
if grep -q '^b' "$tmp/packets.txt"; then
	bad "packets: a line starts inside the file name"
else
	ok "packets: no line starts inside the file name"
fi
"$portnote" packets --format csv -r "$name" >"$tmp/packets.csv" 2>/dev/null
no_raw "packets csv" "$tmp/packets.csv"
"$portnote" flows -r "$name" >"$tmp/flows.txt" 2>"$tmp/flows.err"
no_raw "flows text" "$tmp/flows.txt"
no_raw "flows stderr" "$tmp/flows.err"

# A damaged file and a missing one: the messages name them escaped.
dname="$tmp/d"$'\n'"e${esc}[2J.pcap"
cp "$captures/damaged-truncated-record.pcap" "$dname"
"$portnote" stats -r "$dname" -r "$tmp/missing${esc}[2J"$'\n'"x.pcap" \
	>/dev/null 2>"$tmp/damaged.err"
no_raw "damaged and missing: stderr" "$tmp/damaged.err"
has "damaged: stderr" "$tmp/damaged.err" 'd\ne\x1b[2J.pcap: packet'
has "missing: stderr" "$tmp/damaged.err" 'missing\x1b[2J\nx.pcap: cannot read'
if grep -q '^e\|^x\.pcap' "$tmp/damaged.err"; then
	bad "damaged and missing: a message line starts inside a file name"
else
	ok "damaged and missing: every message on one line"
fi

# --- command-line words -----------------------------------------------------
# A word after the options is a filter expression, as to tcpdump.
"$portnote" stats -r "$captures/udp.pcap" "extra${esc}[2J" >/dev/null 2>"$tmp/usage.err"
no_raw "usage error" "$tmp/usage.err"
has "usage error" "$tmp/usage.err" "bad filter expression 'extra\x1b[2J'"
"$portnote" lookup --registry "reg${esc}[2J" 443 >/dev/null 2>"$tmp/usage2.err"
no_raw "usage error (--registry)" "$tmp/usage2.err"
has "usage error (--registry)" "$tmp/usage2.err" "reg\x1b[2J"
"$portnote" lookup "nosuch${esc}[2J" >"$tmp/lookup.txt" 2>"$tmp/lookup.err"
no_raw "lookup name: stdout" "$tmp/lookup.txt"
no_raw "lookup name: stderr" "$tmp/lookup.err"
finish
