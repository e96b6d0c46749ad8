#!/usr/bin/env bash
# What `portnote packets -w` does to files, and what the commands print when
# no input can be read:
#   - -w onto one of its inputs (same name, a hard link, or standard input)
#     is refused with exit 2, and the input keeps its bytes;
#   - -w writes a temporary file and renames it at the end: a write that
#     fails (a file-size limit) or a file that cannot be made (no such
#     directory) leaves no partial file, and a previous file of that name
#     keeps its bytes; a new file gets 0666 less the umask;
#   - packets, flows, stats and audit -r that can open none of their inputs
#     print the errors and nothing on stdout (no header, no empty report,
#     no JSON summary), in every format, and exit 1; -w then makes no file;
#   - a --registry with 900 services on port 80/tcp makes JSON records of
#     flows and packets larger than their usual buffers: each is written
#     whole (valid JSON, all 900 names).
#   usage: cli_io.sh PORTNOTE SRCDIR
# Prints "N passed, M failed".
set -uo pipefail
portnote=${1:?usage: cli_io.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: cli_io.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC

# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
captures=$srcdir/captures

sum() { sha256sum "$1" | cut -d' ' -f1; }

# Files in $tmp/w other than the ones named: temporary files left behind.
leftovers() {
	local f name extra=
	for f in "$tmp"/w/*; do
		[[ -e "$f" ]] || continue
		name=${f##*/}
		[[ " $* " == *" $name "* ]] || extra+=" $name"
	done
	echo "$extra"
}

# --- -w onto an input --------------------------------------------------
mkdir -p "$tmp/w"
cp "$captures/udp.pcap" "$tmp/w/in.pcap"
ln "$tmp/w/in.pcap" "$tmp/w/link.pcap"
before=$(sum "$tmp/w/in.pcap")
for form in "-r @IN -w @IN" "-r @OTHER -r @LINK -w @IN" "-r - -w @IN"; do
	args=${form//@IN/$tmp/w/in.pcap}
	args=${args//@LINK/$tmp/w/link.pcap}
	args=${args//@OTHER/$captures/tcp-ipv4.pcap}
	# shellcheck disable=SC2086
	"$portnote" packets $args <"$tmp/w/in.pcap" >"$tmp/stdout" 2>"$tmp/stderr"
	status=$?
	input=$(sed -n 's/.*-r \([^ ]*\) -w .*/\1/p' <<<"$args")
	want="portnote packets: -w $tmp/w/in.pcap: is also an input (-r $input); refusing to overwrite it"
	if [[ $status -eq 2 && $(sum "$tmp/w/in.pcap") == "$before" ]] &&
		grep -qxF "$want" "$tmp/stderr" && [[ ! -s "$tmp/stdout" ]]; then
		ok "packets $form: refused, exit 2, input unchanged, nothing on stdout"
	else
		bad "packets $form: exit $status, stdout $(wc -c <"$tmp/stdout") bytes, input $(sum "$tmp/w/in.pcap")"
		sed 's/^/  stderr: /' "$tmp/stderr"
	fi
done
if [[ -z "$(leftovers in.pcap link.pcap)" ]]; then
	ok "refused -w: no file made"
else
	bad "refused -w left$(leftovers in.pcap link.pcap)"
fi
rm -f "$tmp"/w/*

# --- -w that succeeds: the file is there, with the umask's mode ------------
(
	umask 027
	"$portnote" packets -r "$captures/udp.pcap" -w "$tmp/w/out.pcapng" \
		>/dev/null 2>"$tmp/stderr"
)
status=$?
mode=$(stat -c %a "$tmp/w/out.pcapng" 2>/dev/null)
if [[ $status -eq 0 && -s "$tmp/w/out.pcapng" && $mode == 640 &&
	-z "$(leftovers out.pcapng)" ]]; then
	ok "packets -w new file: exit 0, mode 640 under umask 027, no temporary file left"
else
	bad "packets -w new file: exit $status, mode $mode, left$(leftovers out.pcapng)"
	sed 's/^/  stderr: /' "$tmp/stderr"
fi

# --- -w whose writes fail: a previous file stays as it was -----------------
printf 'previous contents\n' >"$tmp/w/out.pcapng"
before=$(sum "$tmp/w/out.pcapng")
# A file-size limit of 1 KiB makes a write fail with EFBIG part way
# through demo.pcap's copy (SIGXFSZ ignored, as the shell passes it on).
(
	trap '' XFSZ
	ulimit -f 1
	exec "$portnote" packets -r "$captures/demo.pcap" -w "$tmp/w/out.pcapng" \
		>/dev/null 2>"$tmp/stderr"
)
status=$?
if [[ $status -eq 1 && $(sum "$tmp/w/out.pcapng") == "$before" &&
	-z "$(leftovers out.pcapng)" ]] &&
	grep -q -- "-w $tmp/w/out.pcapng: write error" "$tmp/stderr"; then
	ok "packets -w with a failing write: exit 1, previous file unchanged, no partial file"
else
	bad "packets -w with a failing write: exit $status, out.pcapng $(wc -c <"$tmp/w/out.pcapng") bytes, left$(leftovers out.pcapng)"
	sed 's/^/  stderr: /' "$tmp/stderr"
fi
rm -f "$tmp"/w/*

# --- -w into a directory that does not exist -----------------------------
"$portnote" packets -r "$captures/udp.pcap" -w "$tmp/w/nodir/out.pcapng" \
	>"$tmp/stdout" 2>"$tmp/stderr"
status=$?
if [[ $status -eq 1 && ! -e "$tmp/w/nodir" && -z "$(leftovers)" ]] &&
	grep -q "cannot create" "$tmp/stderr"; then
	ok "packets -w into a missing directory: exit 1, nothing made"
else
	bad "packets -w into a missing directory: exit $status, left$(leftovers)"
	sed 's/^/  stderr: /' "$tmp/stderr"
fi

# --- no input can be read: no report ------------------------------------
missing=$tmp/no-such.pcap
for cmd in packets flows stats "audit --rules $srcdir/tests/rules/host.iptables"; do
	for format in text json csv; do
		# shellcheck disable=SC2086
		"$portnote" $cmd --format $format -r "$missing" \
			>"$tmp/stdout" 2>"$tmp/stderr"
		status=$?
		if [[ $status -eq 1 && ! -s "$tmp/stdout" ]] &&
			grep -qF "$missing: cannot read" "$tmp/stderr"; then
			ok "${cmd%% *} --format $format -r missing: exit 1, error, nothing on stdout"
		else
			bad "${cmd%% *} --format $format -r missing: exit $status, stdout:"
			sed 's/^/  stdout: /' "$tmp/stdout"
			sed 's/^/  stderr: /' "$tmp/stderr"
		fi
	done
done
"$portnote" packets -r "$missing" -r "$srcdir/captures/link-unsupported-80211.pcap" \
	-w "$tmp/w/out.pcapng" >"$tmp/stdout" 2>"$tmp/stderr"
status=$?
if [[ $status -eq 1 && ! -s "$tmp/stdout" && -z "$(leftovers)" ]]; then
	ok "packets -w with no readable input: exit 1, nothing on stdout, no file"
else
	bad "packets -w with no readable input: exit $status, stdout $(wc -c <"$tmp/stdout") bytes, left$(leftovers)"
	sed 's/^/  stderr: /' "$tmp/stderr"
fi

# Records past their buffers: 900 services on 80/tcp (names and JSON
# arrays of about 10 KB each).
{
	head -1 "$srcdir/data/service-names-port-numbers.csv"
	for ((i = 0; i < 900; i++)); do printf 'svc-%04d,80,tcp,test service,,,,,,,,\n' $i; done
} >"$tmp/many.csv"
"$portnote" flows -r "$captures/demo.pcap" --registry "$tmp/many.csv" --quiet \
	--format json -f 'tcp port 80' >"$tmp/many.jsonl" 2>"$tmp/many.err"
status=$?
if [[ $status -eq 0 ]] &&
	jq -e -s 'map(select(.type == "flow")) | length > 0 and
		all(.services | length == 900) and all(.service | split(", ") | length == 900)' \
		"$tmp/many.jsonl" >/dev/null 2>&1; then
	ok "flows JSON with 900 services on a port: every record whole ($(wc -c <"$tmp/many.jsonl") bytes)"
else
	bad "flows JSON with 900 services on a port: exit $status, $(head -c 300 "$tmp/many.err")"
fi
"$portnote" packets -r "$captures/demo.pcap" --registry "$tmp/many.csv" --quiet \
	--format json -f 'tcp port 80' -c 5 >"$tmp/manyp.jsonl" 2>"$tmp/many.err"
status=$?
if [[ $status -eq 0 ]] &&
	jq -e -s 'map(select(.type == "packet")) | length == 5 and
		all((.sport_services + .dport_services) | length == 900)' "$tmp/manyp.jsonl" >/dev/null 2>&1; then
	ok "packets JSON with 900 services on a port: every line whole"
else
	bad "packets JSON with 900 services on a port: exit $status, $(head -c 300 "$tmp/many.err")"
fi

finish
