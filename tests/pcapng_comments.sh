#!/usr/bin/env bash
# Checks the pcapng that `portnote packets -w` writes, with tshark:
#   - every packet carries exactly one comment;
#   - each comment is the text line portnote printed for that packet, less
#     its "TIME #N " prefix;
#   - the packets are the originals: tshark converts the pcapng back to pcap
#     and the records (timestamp, caplen, len, bytes) are byte-identical to
#     the input files' records; frame.len/cap_len/time agree too;
#   - the packet that decided a flow's verdict says so in its comment: on the
#     recording of SSH on 443, exactly one, the first whose payload tshark
#     sees start with "SSH-";
#   - capinfos (wireshark-common), when installed, reads it as pcapng with
#     the right packet count.
#   usage: pcapng_comments.sh PORTNOTE SRCDIR
# Prints "N passed, M failed"; exit 77 without tshark.
set -uo pipefail
portnote=${1:?usage: pcapng_comments.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: pcapng_comments.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC

# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
need_tshark "$tmp"

inputs=("$srcdir/captures/demo.pcap" "$srcdir/captures/udp.pcap")
out=$tmp/out.pcapng
"$portnote" packets -r "${inputs[0]}" -r "${inputs[1]}" -w "$out" \
	>"$tmp/text" 2>"$tmp/stderr"
status=$?
if [[ $status -eq 0 && -s "$out" ]] &&
	! grep -Eq 'Sanitizer|runtime error:' "$tmp/stderr"; then
	ok "portnote packets -r demo.pcap -r udp.pcap -w out.pcapng exits 0"
else
	bad "portnote exit $status, output $(wc -c <"$out" 2>/dev/null || echo missing) bytes"
	sed 's/^/  stderr: /' "$tmp/stderr"
	echo "$pass passed, $fail failed"
	exit 1
fi

# Packets expected: what tshark counts in the inputs.
expected=0
for f in "${inputs[@]}"; do
	n=$(tshark -n -r "$f" -T fields -e frame.number 2>/dev/null | wc -l)
	expected=$((expected + n))
done

# Text lines for packets: "TIME #N rest"; the comment should be "rest".
# N restarts at 1 for each input file.
if awk -v comments="$tmp/text.comments" -v numbers="$tmp/text.numbers" '
	/^#/ { next }
	!match($0, /^[^ ]+ #[0-9]+ /) {
		print "unexpected text line: " $0 >"/dev/stderr"
		bad = 1
		next
	}
	{
		print substr($0, RLENGTH + 1) >comments
		split(substr($0, 1, RLENGTH - 1), w, " #")
		print w[2] >numbers
	}
	END { exit bad }' "$tmp/text" 2>"$tmp/awk.err"; then
	ok "every text output line is a header or a packet line"
else
	bad "portnote text output has lines that are not packet lines:"
	head -5 "$tmp/awk.err"
fi
for f in "${inputs[@]}"; do
	tshark -n -r "$f" -T fields -e frame.number 2>/dev/null
done >"$tmp/want.numbers"
if [[ $(wc -l <"$tmp/text.comments") -eq $expected ]] &&
	cmp -s "$tmp/want.numbers" "$tmp/text.numbers"; then
	ok "portnote printed one line per packet ($expected, numbered per file)"
else
	bad "portnote printed $(wc -l <"$tmp/text.comments") packet lines for $expected packets"
fi

# The pcapng, as tshark reads it.
npk=$(tshark -n -r "$out" -T fields -e frame.number 2>"$tmp/tshark.err" | wc -l)
if [[ $npk -eq $expected ]] && ! grep -qiv 'running as user' "$tmp/tshark.err"; then
	ok "tshark reads $npk packets from the pcapng without complaint"
else
	bad "tshark reads $npk packets (expected $expected) from the pcapng"
	sed 's/^/  tshark: /' "$tmp/tshark.err"
fi

# Exactly one comment per packet. tshark 4.0 names the comment field
# frame.comment (pkt_comment is the protocol item that holds it).
nocomment=$(tshark -n -r "$out" -Y 'count(frame.comment) != 1' \
	-T fields -e frame.number 2>/dev/null | wc -l)
if [[ $nocomment -eq 0 ]]; then
	ok "every packet has exactly one comment"
else
	bad "$nocomment packets without exactly one comment"
fi

tshark -n -r "$out" -T fields -E occurrence=f -e frame.comment \
	2>/dev/null >"$tmp/pcapng.comments"
if diff "$tmp/text.comments" "$tmp/pcapng.comments" >"$tmp/diff"; then
	ok "every comment equals the packet's text line (less its TIME #N prefix)"
else
	bad "comments differ from the text lines (< text, > pcapng comment):"
	head -20 "$tmp/diff"
fi

# Packet bytes unchanged: back to pcap with tshark, then the records after
# the 24-byte file header must be the inputs' records, byte for byte.
fields=(-T fields -e frame.len -e frame.cap_len -e frame.time_epoch)
for f in "${inputs[@]}"; do
	tshark -n -r "$f" "${fields[@]}" 2>/dev/null
done >"$tmp/orig.fields"
tshark -n -r "$out" "${fields[@]}" 2>/dev/null >"$tmp/out.fields"
if cmp -s "$tmp/orig.fields" "$tmp/out.fields"; then
	ok "frame.len, frame.cap_len and frame.time_epoch equal the inputs'"
else
	bad "frame lengths or times differ (< inputs, > pcapng):"
	diff "$tmp/orig.fields" "$tmp/out.fields" | head -10
fi
if tshark -n -r "$out" -F pcap -w "$tmp/back.pcap" 2>"$tmp/conv.err"; then
	for f in "${inputs[@]}"; do tail -c +25 "$f"; done >"$tmp/orig.records"
	tail -c +25 "$tmp/back.pcap" >"$tmp/back.records"
	if cmp "$tmp/orig.records" "$tmp/back.records" >"$tmp/cmp" 2>&1; then
		ok "packet records (time, caplen, len, bytes) are byte-identical to the inputs'"
	else
		bad "packet records differ: $(cat "$tmp/cmp")"
	fi
else
	bad "tshark cannot convert the pcapng to pcap: $(cat "$tmp/conv.err")"
fi

# The verdict comment: SSH on 443/tcp (a recording of sshd, see
# captures/evidence/). Exactly one packet carries the flow's verdict, and
# it is the first whose TCP payload tshark sees start with "SSH-".
ssh_in=$srcdir/captures/evidence/ssh-on-443-tcp4.pcap
ssh_out=$tmp/ssh.pcapng
"$portnote" packets -r "$ssh_in" -w "$ssh_out" >/dev/null 2>&1
marked=$(tshark -n -r "$ssh_out" -Y 'frame.comment contains "flow verdict:"' \
	-T fields -e frame.number -e frame.comment 2>/dev/null)
first_ssh=$(tshark -n -r "$ssh_in" -Y 'tcp.payload[0:4] == 53:53:48:2d' \
	-T fields -e frame.number 2>/dev/null | head -1)
if [[ $(wc -l <<<"$marked") -eq 1 && ${marked%%$'\t'*} == "$first_ssh" &&
	$marked == *"flow verdict: payload looks like SSH (SSH-2.0-"*"): differs" ]]; then
	ok "ssh-on-443: frame $first_ssh, the first SSH- payload, carries the verdict comment (differs)"
else
	bad "ssh-on-443: verdict comments '$marked', first SSH- payload in frame '$first_ssh'"
fi

if command -v capinfos >/dev/null 2>&1; then
	if capinfos -t -c -M "$out" >"$tmp/capinfos" 2>&1 &&
		grep -Eq '^File type: *(Wireshark/\.\.\. - )?pcapng$' "$tmp/capinfos" &&
		grep -q "^Number of packets: *$expected\$" "$tmp/capinfos"; then
		ok "capinfos: a valid pcapng with $expected packets"
	else
		bad "capinfos does not accept the pcapng:"
		sed 's/^/  /' "$tmp/capinfos"
	fi
else
	echo "note: capinfos not installed (wireshark-common); its check is skipped"
fi

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
