#!/usr/bin/env bash
# Payload verdicts on real traffic: captures/evidence/ holds recordings of
# Debian's own servers and clients (scripts/record-evidence) speaking on
# matching and mismatched ports, and truth.csv says what each spoke. For
# every recording, `portnote flows --format csv` must give one flow on the
# recorded server port whose verdict is the expected one and whose
# looks_like names the protocol spoken (empty for plain text); JSON and
# text must say the same. Every control (expected agrees) must agree and
# none may differ. `packets` marks the packet that decided the verdict
# with the same verdict. With --no-evidence the verdict columns stay
# empty.
#   usage: evidence_accuracy.sh PORTNOTE SRCDIR
set -uo pipefail
portnote=${1:?usage: evidence_accuracy.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: evidence_accuracy.sh PORTNOTE SRCDIR}
export LC_ALL=C
dir=$srcdir/captures/evidence
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}

# Column values of the flow on server port $2 from the CSV in $1, by
# header name: prints "verdict looks_like".
csv_pick() {
	cat >"$tmp/pick.awk" <<'AWK'
NR == 1 { csvsplit($0, h); for (i in h) col[h[i]] = i; next }
{
	csvsplit($0, f)
	if (f[col["server_port"]] != port) next
	v = f[col["verdict"]]; l = f[col["looks_like"]]
	print (v == "" ? "-" : v) " " (l == "" ? "-" : l)
}
AWK
	awk -v port="$2" -f "$srcdir/tests/lib.awk" -f "$tmp/pick.awk" "$1"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[[ -r $dir/truth.csv ]] || { echo "FAIL: $dir/truth.csv missing"; exit 1; }
rows=0 controls=0 mismatches=0
while IFS=, read -r file transport port spoken registered expected; do
	[[ $file == file ]] && continue
	rows=$((rows + 1))
	f=$dir/$file
	want_looks=$spoken
	[[ $spoken == none ]] && want_looks=-
	if ! "$portnote" flows --format csv -r "$f" >"$tmp/out.csv" 2>"$tmp/err"; then
		bad "$file: portnote flows exited non-zero: $(cat "$tmp/err")"
		continue
	fi
	got=$(csv_pick "$tmp/out.csv" "$port")
	if [[ $(wc -l <<<"$got") -ne 1 || -z $got ]]; then
		bad "$file: expected one flow on port $port, got: ${got:-none}"
		continue
	fi
	if [[ $got == "$expected $want_looks" ]]; then ok; else
		bad "$file ($spoken on $port/$transport, registered for $registered): want '$expected $want_looks', got '$got'"
	fi
	[[ $expected == agrees ]] && controls=$((controls + 1))
	[[ $expected == differs ]] && mismatches=$((mismatches + 1))
	# No control may differ (the worst error: a false alarm).
	if [[ $expected == agrees && $got == differs* ]]; then
		bad "$file: a control differs"
	fi
	# JSON says the same.
	json=$("$portnote" flows --format json -r "$f" 2>/dev/null |
		python3 -c 'import json,sys
for line in sys.stdin:
    o = json.loads(line)
    if o.get("type") == "flow" and o["server_port"] == int(sys.argv[1]):
        print(o["verdict"], o["looks_like"] or "-")' "$port")
	if [[ $json == "$expected $want_looks" ]]; then ok; else
		bad "$file: JSON says '$json'"
	fi
	# Text says what it looked like, never what it "is".
	text=$("$portnote" flows -r "$f" 2>/dev/null | grep -v '^#')
	if [[ $spoken == none ]]; then
		phrase="payload does not look like"
	else
		phrase="payload looks like"
	fi
	if grep -q "$phrase .*: $expected" <<<"$text"; then ok; else
		bad "$file: text lacks '$phrase ...: $expected': $text"
	fi
	# packets marks the packet that decided it: the last mark of the
	# flow on that port is the flow's verdict.
	pk=$("$portnote" packets --format json -r "$f" 2>/dev/null |
		python3 -c 'import json,sys
marks = []
for line in sys.stdin:
    o = json.loads(line)
    if o.get("type") == "packet" and "flow_verdict" in o and \
            int(sys.argv[1]) in (o["sport"], o["dport"]):
        marks.append("%s %s" % (o["flow_verdict"], o["flow_looks_like"] or "-"))
print(marks[-1] if marks else "none")' "$port")
	if [[ $pk == "$expected $want_looks" ]]; then ok; else
		bad "$file: packets marks '$pk'"
	fi
	# Off means off.
	off=$("$portnote" flows --no-evidence --format csv -r "$f" 2>/dev/null)
	got_off=$(csv_pick <(printf '%s\n' "$off") "$port")
	if [[ $got_off == "- -" ]]; then ok; else
		bad "$file: --no-evidence still judged: '$got_off'"
	fi
done <"$dir/truth.csv"

# The set must hold both kinds, in both address families.
if [[ $rows -ge 20 && $controls -ge 6 && $mismatches -ge 10 ]] &&
	grep -q 'tcp6' "$dir/truth.csv" && grep -q 'udp6' "$dir/truth.csv"; then
	ok
else
	bad "truth.csv holds $rows rows ($controls controls, $mismatches mismatches)"
fi

# stats over all of them: the differs section lists each mismatched port.
args=()
for f in "$dir"/*.pcap; do args+=(-r "$f"); done
"$portnote" stats --format json "${args[@]}" 2>/dev/null >"$tmp/stats.json"
if python3 - "$tmp/stats.json" "$dir/truth.csv" <<'PY'; then ok; else bad "stats JSON payload_differs does not match truth.csv"; fi
import csv, json, sys
stats = [json.loads(l) for l in open(sys.argv[1])]
report = next(o for o in stats if o.get("type") == "stats")
got = {(d["transport"], d["port"], d["looks_like"] or "none"): d["flows"]
       for d in report["payload_differs"]}
want = {}
for r in csv.DictReader(open(sys.argv[2])):
    if r["expected"] == "differs":
        k = (r["transport"], int(r["server_port"]), r["spoken"])
        want[k] = want.get(k, 0) + 1
agrees = sum(1 for r in csv.DictReader(open(sys.argv[2])) if r["expected"] == "agrees")
v = report["all"]["verdicts"]
if got != want or v["agrees"] != agrees or v["differs"] != sum(want.values()):
    print("got", got, v, "want", want, agrees)
    sys.exit(1)
PY

# Tokens are hostile bytes: a ClientHello whose SNI holds ESC sequences,
# a C1 control, bytes that are not UTF-8, quotes and commas. Text carries
# no control bytes, JSON parses, CSV keeps its columns.
python3 "$srcdir/tests/hostile_tokens.py" "$tmp/hostile.pcap"
"$portnote" flows -r "$tmp/hostile.pcap" >"$tmp/h.txt" 2>/dev/null
if grep -q 'sni=' "$tmp/h.txt" && ! LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$tmp/h.txt" &&
	! grep -q $'\xc2[\x80-\x9f]' "$tmp/h.txt"; then ok; else
	bad "hostile token: control bytes in text: $(cat -v "$tmp/h.txt")"
fi
"$portnote" flows --format json -r "$tmp/hostile.pcap" 2>/dev/null >"$tmp/h.json"
"$portnote" flows --format csv -r "$tmp/hostile.pcap" 2>/dev/null >"$tmp/h.csv"
if python3 - "$tmp/h.json" "$tmp/h.csv" <<'PY'; then ok; else bad "hostile token: JSON or CSV broken"; fi
import csv, json, sys
flows = [o for o in map(json.loads, open(sys.argv[1], encoding="utf-8"))
         if o.get("type") == "flow"]
assert any(e.startswith("sni=") for o in flows for e in o["evidence"]), flows
rows = list(csv.reader(open(sys.argv[2], newline="", encoding="utf-8")))
assert len(rows) == 3 and all(len(r) == len(rows[0]) for r in rows), rows
assert any(v.startswith("sni=") for v in rows[2] + rows[1]), rows
PY

echo "$pass passed, $fail failed ($rows recordings: $mismatches mismatches, $controls controls)"
[[ $fail -eq 0 ]]
