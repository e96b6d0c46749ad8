#!/usr/bin/env bash
# Capture times at the edges of the range (tests/gen_times.py: ts_sec 0,
# 0x7fffffff, 0x80000000 and 0xffffffff, pcapng at the end of 9999, in the
# year 20000 and in nanoseconds): packets, flows and stats, in text, JSON
# and CSV,
#   - never print a broken ISO 8601 time: every one has a year 1970-9999;
#   - agree on each file's first time;
#   - print times outside 1970-9999 as @SECONDS, with one note on stderr;
#   - keep a flow whole at 1969-12-31T23:59:59 (ts_sec 0xffffffff) and
#     both sides of one that starts at 1970-01-01T00:00:00.
# JSON stays valid throughout. Exits 77 without python3.
#   usage: cli_times.sh PORTNOTE SRCDIR
set -uo pipefail
portnote=${1:?usage: cli_times.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: cli_times.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC

# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"
if ! command -v python3 >/dev/null 2>&1; then
	echo "skip: python3 is not installed"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$srcdir/tests/gen_times.py" "$tmp" || exit 1

declare -A expect=(
	[t0.pcap]=1970-01-01T00:00:00.000000Z
	[t7fff.pcap]=2038-01-19T03:14:07.000000Z
	[t8000.pcap]=@-2147483648.000000
	[tffff.pcap]=@-1.000000
	[y9999.pcapng]=9999-12-31T23:59:59.999000Z
	[y20000.pcapng]=@568971820800.123456
	[ns.pcapng]=2554-07-21T23:34:33.709051Z
)

for f in t0.pcap t7fff.pcap t8000.pcap tffff.pcap y9999.pcapng \
	y20000.pcapng ns.pcapng; do
	for cmd in packets flows stats; do
		for fmt in text json csv; do
			out=$tmp/$f.$cmd.$fmt
			"$portnote" "$cmd" --format "$fmt" -r "$tmp/$f" \
				>"$out" 2>"$out.err"
			# Every ISO-looking time: a 4-digit year, 1970-9999.
			broken=$(grep -oE '[0-9-]*[0-9]+-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}' \
				"$out" | grep -vE '^(19[7-9][0-9]|[2-9][0-9]{3})-' | head -3)
			if [[ -n $broken ]]; then
				bad "$f $cmd $fmt: broken ISO 8601: $broken"
			else
				ok "$f $cmd $fmt: every ISO 8601 year is 1970-9999"
			fi
			if [[ $fmt == json ]]; then
				if python3 -c 'import json,sys
for l in open(sys.argv[1]): json.loads(l)' "$out"; then
					ok "$f $cmd json: valid"
				else
					bad "$f $cmd json: not valid JSON"
				fi
			fi
			notes=$(grep -c 'note: .* outside 1970-9999 .* printed as seconds since 1970' "$out.err")
			# y9999's answer is at 10000-01-01T00:00:00.001.
			if [[ ${expect[$f]} == @* || $f == y9999.pcapng ]]; then
				[[ $notes == 1 ]] && ok "$f $cmd $fmt: one note" ||
					bad "$f $cmd $fmt: $notes notes on stderr"
			else
				[[ $notes == 0 ]] && ok "$f $cmd $fmt: no note" ||
					bad "$f $cmd $fmt: a note without cause"
			fi
		done
	done
	# The first time, as each command gives it in JSON.
	firsts=$(python3 - "$tmp/$f" <<'PY'
import json, sys
base = sys.argv[1]
out = []
for l in open(base + ".packets.json"):
    o = json.loads(l)
    if o.get("type") == "packet":
        out.append(o["time"]); break
for l in open(base + ".flows.json"):
    o = json.loads(l)
    if o.get("type") == "flow":
        out.append(o["first"]); break
for l in open(base + ".stats.json"):
    o = json.loads(l)
    if o.get("type") == "stats":
        out.append(o["all"]["first"]); break
print(" ".join(out))
PY
)
	want="${expect[$f]} ${expect[$f]} ${expect[$f]}"
	if [[ $firsts == "$want" ]]; then
		ok "$f: packets, flows and stats agree on ${expect[$f]}"
	else
		bad "$f: first times '$firsts', expected '$want'"
	fi
	if grep -qF "${expect[$f]}" "$tmp/$f.packets.text" &&
		grep -qF "${expect[$f]}" "$tmp/$f.flows.csv"; then
		ok "$f: text and CSV say ${expect[$f]}"
	else
		bad "$f: text or CSV without ${expect[$f]}"
	fi
	# One exchange: one flow with a packet each way, 500 us (2 ms at 9999).
	flow=$(grep -E '^[^#]' "$tmp/$f.flows.text")
	if [[ $(wc -l <<<"$flow") == 1 && $flow == *"c>s 1 pkts 54 bytes, s>c 1 pkts 54 bytes; ended end-of-input"* &&
		$flow =~ \ 0\.00(05|20)00s\  ]]; then
		ok "$f: one whole flow"
	else
		bad "$f: flows: $flow"
	fi
done

finish
