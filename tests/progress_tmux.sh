#!/usr/bin/env bash
# The status line of long file reads, seen on a terminal (tmux) and not
# seen where it must not be.
#   usage: progress_tmux.sh PORTNOTE SRCDIR
#
# Writes a capture of 2,500,000 small UDP packets (about 200 MB), read
# three times over (several seconds), and checks:
#   1. in a tmux pane, `packets -r big --format json > /dev/null` shows one
#      line "portnote packets: X of Y (P%), N packets, R packets/s, T
#      elapsed[, T left]" whose bytes and packets advance, at most four
#      times a second; at the end it is erased: the pane has no trace of
#      it, and the run's summary starts at the left edge;
#   2. `stats` (the file eight times: stats is faster) with its report on
#      the same terminal shows the line while reading and erases it before
#      the report;
#   3. never on a pipe: with stderr to a file, no \r, no ESC, no "elapsed";
#      never on stdout; not when stdout is the terminal and the output
#      goes there as it is made (packets); not with --quiet.
# Needs tmux and python3; otherwise exit 77. KEEP=1 keeps the temporary
# folder (screens sampled). Prints "N passed, M failed".
set -uo pipefail
portnote=${1:?usage: progress_tmux.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: progress_tmux.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC
for tool in tmux python3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "skip: $tool is not installed"
		exit 77
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/progress.XXXXXX")
sock=pn-progress-$$
cleanup() {
	tmux -L "$sock" kill-server 2>/dev/null
	[[ -n ${KEEP:-} ]] || rm -rf -- "$tmp"
}
trap cleanup EXIT

. "$srcdir/tests/lib.sh"

big=$tmp/big.pcap
python3 - "$big" <<'PY'
import struct, sys
# 2,500,000 Ethernet/IPv4/UDP frames of 64 bytes, 50,000 flows.
n, flows = 2_500_000, 50_000
hdr = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
frame = bytearray(
    b'\x02\x00\x00\x00\x00\x01' b'\x02\x00\x00\x00\x00\x02' b'\x08\x00'
    b'\x45\x00\x00\x32\x00\x00\x40\x00\x40\x11\x00\x00'
    b'\x0a\x00\x00\x01' b'\x0a\x01\x00\x01'
    b'\x00\x00\x00\x35\x00\x1e\x00\x00' + bytes(22))
rec = bytearray(16 + len(frame))
struct.pack_into('<II', rec, 8, len(frame), len(frame))
rec[16:] = frame
out = bytearray()
with open(sys.argv[1], 'wb') as f:
    f.write(hdr)
    for i in range(n):
        k = i % flows
        struct.pack_into('<II', rec, 0, 1700000000 + i // 100000, (i % 100000) * 10)
        struct.pack_into('>HH', rec, 16 + 28, k & 0xffff, k >> 16)
        struct.pack_into('>H', rec, 16 + 34, 1024 + (k % 60000))
        out += rec
        if len(out) > 1 << 22:
            f.write(out)
            out.clear()
    f.write(out)
PY
size=$(stat -c %s "$big")
check "the capture is written ($size bytes)" test "$size" -gt 150000000

# pane_run NAME CMD: runs CMD in a fresh 160x12 pane, sampling the screen
# every 0.2 s to $tmp/NAME.samples (separated by "--") until it prints
# its exit status, then keeps the final screen in $tmp/NAME.final.
pane_run() {
	local name=$1 cmd=$2
	tmux -L "$sock" new-session -d -s "$name" -x 160 -y 40 \
		"cd '$tmp' && $cmd; echo EXIT=\$?; sleep 60"
	: >"$tmp/$name.samples"
	for _ in $(seq 600); do
		sleep 0.2
		tmux -L "$sock" capture-pane -p -t "$name" >"$tmp/screen" 2>/dev/null || break
		{ cat "$tmp/screen"; echo --; } >>"$tmp/$name.samples"
		grep -q '^EXIT=' "$tmp/screen" && break
	done
	cp "$tmp/screen" "$tmp/$name.final"
	tmux -L "$sock" kill-session -t "$name" 2>/dev/null
}
# The same file three times: several seconds, and a total across files.
three="-r '$big' -r '$big' -r '$big'"
eight="$three $three -r '$big' -r '$big'"

# 1. packets to /dev/null: the line advances, then is erased.
pane_run packets "'$portnote' packets $three --format json > /dev/null"
grep -oE '^portnote packets: [0-9.]+ [KMG]?i?B of [0-9.]+ [KMG]iB \([0-9]+%\), [0-9.]+[kMG]? packets, [0-9.]+[kMG]? packets/s, [0-9:]+ elapsed(, [0-9:]+ left)?$' \
	"$tmp/packets.samples" >"$tmp/lines"
check "the status line has bytes of total, packets, packets/s, elapsed ($(wc -l <"$tmp/lines") samples)" \
	test "$(wc -l <"$tmp/lines")" -ge 5
pcts=$(sed -E 's/.*\(([0-9]+)%\).*/\1/' "$tmp/lines" | uniq)
check "it advances: percentages $(echo $pcts)" \
	bash -c '[[ $(wc -w <<<"$1") -ge 4 ]] && sort -n -c <<<"$(tr " " "\n" <<<"$1")"' _ "$pcts"
check "it estimates the time left" grep -q ', [0-9:]* left$' "$tmp/lines"
check "it is erased at the end: no trace on the final screen" \
	bash -c '! grep -q "elapsed" "$1" && grep -q "^EXIT=0" "$1"' _ "$tmp/packets.final"
check "the run's summary starts at the left edge" grep -q '^portnote packets: 7500000 packets' "$tmp/packets.final"

# 2. stats with its report on the terminal.
pane_run stats "'$portnote' stats $eight --top 3"
check "stats shows the line while reading" grep -q '^portnote stats: .* elapsed' "$tmp/stats.samples"
check "and erases it before the report" \
	bash -c '! grep -q "elapsed" "$1" && grep -q "^# portnote stats: " "$1" && grep -q "^EXIT=0" "$1"' _ "$tmp/stats.final"

# 3. where it must never be.
"$portnote" packets -r "$big" --format json >"$tmp/out.json" 2>"$tmp/err.txt"
check "never on a pipe or a file: stderr has no CR, no ESC, no status" \
	bash -c '! grep -q $'"'"'\r'"'"' "$1" && ! grep -q $'"'"'\e'"'"' "$1" && ! grep -q elapsed "$1"' _ "$tmp/err.txt"
check "never on stdout" bash -c '! grep -q -e elapsed -e $'"'"'\r'"'"' "$1"' _ "$tmp/out.json"
pane_run quiet "'$portnote' packets $three --format json --quiet > /dev/null"
check "not with --quiet" bash -c '! grep -q elapsed "$1" && grep -q "^EXIT=0" "$2"' _ "$tmp/quiet.samples" "$tmp/quiet.final"
pane_run shared "'$portnote' packets -r '$big' -c 300000"
check "not when the packets go to the same terminal" \
	bash -c '! grep -q "elapsed" "$1" && grep -q "^EXIT=0" "$2"' _ "$tmp/shared.samples" "$tmp/shared.final"

finish
