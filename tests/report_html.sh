#!/usr/bin/env bash
# The HTML page of `portnote report`, read back by chromium and tidy.
#   usage: report_html.sh PORTNOTE SRCDIR   (UPDATE_GOLDEN=1 rewrites
#                                            tests/golden/report_demo.html)
#
# Needs chromium, tidy and jq; otherwise exit 77. On captures/demo.pcap:
#   1. `report -r captures/demo.pcap -o r.html` exits 0 and leaves one
#      file: no <script, no src= at all, every href= a #fragment, no
#      @import, no url(...), so nothing is loaded from elsewhere; the
#      registry's warning comes first;
#   2. chromium --dump-dom: every chart (svg ids chart-bytes, chart-flows,
#      chart-timeline, chart-basis, chart-flags, chart-verdicts) and table
#      is there, with the figures `stats --format json` gives at test time:
#      the totals, each top service's row (flows, packets and bytes each
#      way, clients, servers), the other services' row, per-service
#      verdicts, the basis and flag counts, the differing ports; every bar
#      carries its number in an SVG <title> (bytes each way, flows,
#      verdicts, basis, flags); the timeline has a <title> per bin, and
#      its table's bins add up to the bytes of all flows;
#   3. a 1200x2400 screenshot is a PNG of that size, over 40 KB;
#   4. tidy -e -q reports no error and no warning;
#   5. a capture named 'a<script>&b.pcap' appears escaped;
#   6. -o - writes the same bytes to standard output; two runs give the
#      same bytes, and the page matches tests/golden/report_demo.html (run
#      with --registry data/service-names-port-numbers.csv, so that no
#      installed snapshot changes it);
#   7. bad usage (no -o, no -r, an unknown option, an unexpected argument,
#      --format json, -o onto its input) exits 2 with one line on stderr
#      and writes nothing; no readable input (a missing file, a file that
#      is no capture) exits 1 and leaves no page, a previous one untouched,
#      and no temporary file; one missing input of two exits 1 with a
#      page that says so.
# Prints "N passed, M failed".
set -uo pipefail
portnote=${1:?usage: report_html.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: report_html.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC

# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"
need_tools chromium tidy jq
portnote=$(realpath "$portnote")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$srcdir" || exit 1
demo=captures/demo.pcap

# chromium ARGS... FILE: headless, with a profile of its own in $tmp.
chrome() {
	local file=${!#}
	timeout 90 chromium --headless --no-sandbox --disable-gpu \
		--hide-scrollbars --user-data-dir="$tmp/chromium" \
		"${@:1:$#-1}" "file://$file" 2>>"$tmp/chromium.log"
}

# The element whose start tag carries id="$1", up to its end tag $2, from
# file $3: the page keeps each on a line of its own.
element() {
	awk -v id="id=\"$1\"" -v end="$2" \
		'index($0, id) { on = 1 } on { print } on && index($0, end) { exit }' "$3"
}

# Text content with "|" between elements, entities decoded: a table row
# reads "|https|tcp|443|77|...|".
flat() {
	tr -d '\n' | sed -e 's/<[^>]*>/|/g' | tr -s '|' |
		sed -e 's/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g' \
			-e "s/&#39;/'/g; s/&amp;/\\&/g"
}

# The chart label of a service: "https (tcp 443)"; the names of
# unregistered ports carry their port already.
label() {
	case $1 in
	"unregistered "* | "unnamed "*) printf '%s' "$1" ;;
	*) printf '%s (%s %s)' "$1" "$2" "$3" ;;
	esac
}

# --- 1. the page and what it refers to ---------------------------------
page=$tmp/r.html
"$portnote" report -r "$demo" -o "$page" 2>"$tmp/report.err"
status=$?
if [[ $status -eq 0 && -s $page ]]; then
	ok "report -r $demo -o r.html exits 0 ($(wc -c <"$page") bytes)"
else
	bad "report exited $status: $(cat "$tmp/report.err")"
	finish
fi
leftover=$(find "$tmp" -maxdepth 1 -name 'r.html.*' | wc -l)
[[ $leftover -eq 0 ]] && ok "no temporary file is left" ||
	bad "$leftover temporary files left beside the page"
if grep -qi '<script' "$page"; then bad "the page has a <script"; else ok "no <script"; fi
if grep -Eqi '[[:space:]]src[[:space:]]*=' "$page"; then
	bad "the page has a src= attribute: $(grep -Eoi 'src[[:space:]]*=[^ >]*' "$page" | head -3)"
else
	ok "no src= attribute"
fi
external=$(grep -Eoi 'href[[:space:]]*=[[:space:]]*"[^"]*"' "$page" | grep -v '"#' || true)
if [[ -z $external ]]; then
	ok "every href is a #fragment of the page"
else
	bad "hrefs out of the page: $(echo "$external" | head -3)"
fi
if grep -Eqi '@import|url[[:space:]]*\(' "$page"; then
	bad "the page has @import or url(...)"
else
	ok "no @import, no url(...)"
fi
if grep -Eqi '(src|href)[[:space:]]*=[[:space:]]*["'"'"']?[[:space:]]*(https?:)?//' "$page"; then
	bad "the page refers to http(s):// or //"
else
	ok "no http(s):// resource reference"
fi
first_section=$(grep -n -m1 '<section' "$page" | cut -d: -f1)
warning_line=$(grep -n -m1 'A registered port does not prove what traffic is' "$page" | cut -d: -f1)
if [[ -n $warning_line && -n $first_section && $warning_line -lt $first_section ]]; then
	ok "the registry's warning comes before the figures"
else
	bad "the warning is missing or not at the top"
fi

# --- 2. the DOM against `stats --format json` ------------------------
"$portnote" stats -r "$demo" --format json >"$tmp/stats.json" 2>/dev/null
head -1 "$tmp/stats.json" >"$tmp/s.json"
tail -1 "$tmp/stats.json" >"$tmp/summary.json"
if ! chrome --dump-dom "$page" >"$tmp/dom.html" || [[ ! -s $tmp/dom.html ]]; then
	bad "chromium --dump-dom failed: $(tail -3 "$tmp/chromium.log")"
	finish
fi
ok "chromium --dump-dom read the page ($(wc -c <"$tmp/dom.html") bytes)"
for id in chart-bytes chart-flows chart-timeline chart-basis chart-flags chart-verdicts; do
	if grep -q "<svg id=\"$id\"" "$tmp/dom.html"; then ok "chart $id"; else bad "no chart $id"; fi
done
for id in totals services-table timeline-table basis-table flags-table verdicts-table differs-table decode-table; do
	if grep -q "<table id=\"$id\"" "$tmp/dom.html"; then ok "table $id"; else bad "no table $id"; fi
done

j() { jq -r "$1" "$tmp/s.json"; }
totals=$(element totals '</table>' "$tmp/dom.html" | flat)
expect_total() {
	if [[ $totals == *"|$1|$2|"* ]]; then ok "totals: $1 $2"; else bad "totals: no '$1 $2' in $totals"; fi
}
expect_total "packets read" "$(jq -r .packets "$tmp/summary.json")"
expect_total "bytes read (on the wire)" "$(jq -r .bytes "$tmp/summary.json")"
expect_total "packets in flows" "$(j '.all.packets_c2s + .all.packets_s2c')"
expect_total "bytes in flows" "$(j '.all.bytes_c2s + .all.bytes_s2c')"
expect_total "bytes in flows, client to server" "$(j .all.bytes_c2s)"
expect_total "bytes in flows, server to client" "$(j .all.bytes_s2c)"
expect_total "flows" "$(j .all.flows)"
expect_total "services" "$(j .services_total)"
span=$(element span '</p>' "$tmp/dom.html" | flat)
if [[ $span == *"$(j .all.first)"*"$(j .all.last)"* ]]; then
	ok "time span $(j .all.first) to $(j .all.last)"
else
	bad "time span: $span"
fi

services=$(element services-table '</table>' "$tmp/dom.html" | flat)
verdicts=$(element verdicts-table '</table>' "$tmp/dom.html" | flat)
titles() { element "$1" '</svg>' "$tmp/dom.html" | grep -o '<title>[^<]*</title>' | flat; }
bytes_titles=$(titles chart-bytes)
flows_titles=$(titles chart-flows)
verdict_titles=$(titles chart-verdicts)
n=$(j '.services | length')
row_fail=0 bar_fail=0
for ((i = 0; i < n; i++)); do
	IFS=$'\t' read -r name tr ports flows pc ps bc bs cl sv ag di un np < <(
		jq -r ".services[$i] | [.service, .transport, .ports, .flows,
			.packets_c2s, .packets_s2c, .bytes_c2s, .bytes_s2c,
			.clients, .servers, .verdicts.agrees, .verdicts.differs,
			.verdicts.unverified, .verdicts[\"no-payload\"]] | @tsv" "$tmp/s.json")
	l=$(label "$name" "$tr" "$ports")
	if [[ $services != *"|$name|$tr|$ports|$flows|$pc|$ps|$bc|$bs|$cl|$sv|"* ]]; then
		bad "services table: no row $name $tr $ports $flows $pc $ps $bc $bs $cl $sv"
		row_fail=1
	fi
	if [[ $verdicts != *"|$l|$flows|$ag|$di|$un|$np|"* ]]; then
		bad "verdicts table: no row $l $flows $ag $di $un $np"
		row_fail=1
	fi
	for want in "$l: client→server $bc bytes" "$l: server→client $bs bytes"; do
		[[ $bytes_titles == *"|$want|"* ]] || { bad "chart-bytes: no title '$want'"; bar_fail=1; }
	done
	[[ $flows_titles == *"|$l: $flows flows|"* ]] || { bad "chart-flows: no title '$l: $flows flows'"; bar_fail=1; }
	for want in "agrees $ag" "differs $di" "unverified $un" "no payload $np"; do
		[[ $verdict_titles == *"|$l: $want flows|"* ]] || { bad "chart-verdicts: no title '$l: $want flows'"; bar_fail=1; }
	done
done
[[ $row_fail -eq 0 ]] && ok "services and verdicts tables: the $n top services as stats gives them"
[[ $bar_fail -eq 0 ]] && ok "every bar of the $n top services carries its number in a <title>"
if [[ $(j .other_services) != null ]]; then
	IFS=$'\t' read -r flows pc ps bc bs cl sv < <(jq -r '.other_services | [.flows,
		.packets_c2s, .packets_s2c, .bytes_c2s, .bytes_s2c, .clients,
		.servers] | @tsv' "$tmp/s.json")
	more=$(($(j .services_total) - n))
	if [[ $services == *"|($more more services)|-|"*"|$flows|$pc|$ps|$bc|$bs|$cl|$sv|"* ]]; then
		ok "the other $more services summed as in stats"
	else
		bad "services table: no row for the other $more services ($flows $pc $ps $bc $bs $cl $sv)"
	fi
fi
IFS=$'\t' read -r flows pc ps bc bs cl sv < <(jq -r '.all | [.flows, .packets_c2s,
	.packets_s2c, .bytes_c2s, .bytes_s2c, .clients, .servers] | @tsv' "$tmp/s.json")
if [[ $services == *"|(all flows)|-|"*"|$flows|$pc|$ps|$bc|$bs|$cl|$sv|"* ]]; then
	ok "all flows: $flows flows, $bc + $bs bytes, $cl clients, $sv servers"
else
	bad "services table: no row for all flows"
fi

basis=$(element basis-table '</table>' "$tmp/dom.html" | flat)
basis_titles=$(titles chart-basis)
for b in handshake registry first-packet port-class none; do
	c=$(j ".all.basis[\"$b\"]")
	if [[ $basis == *"|$b|"*"|$c|"* && $basis_titles == *"|$b: $c flows|"* ]]; then
		ok "basis $b: $c flows (table and chart)"
	else
		bad "basis $b: $c flows not in the table or the chart"
	fi
done
flags=$(element flags-table '</table>' "$tmp/dom.html" | flat)
flag_titles=$(titles chart-flags)
for f in reserved unassigned dynamic unauthorized-use-reported ambiguous; do
	c=$(j ".all.flags[\"$f\"]")
	if [[ $flags == *"|$f|"*"|$c|"* && $flag_titles == *"|$f: $c flows|"* ]]; then
		ok "flag $f: $c flows (table and chart)"
	else
		bad "flag $f: $c flows not in the table or the chart"
	fi
done
differs=$(element differs-table '</table>' "$tmp/dom.html" | flat)
nd=$(j '.payload_differs | length')
diff_fail=0
for ((i = 0; i < nd; i++)); do
	IFS=$'\t' read -r port tr reg flows cl sv by < <(jq -r ".payload_differs[$i] |
		[.port, .transport, .registered_for, .flows, .clients, .servers,
		.bytes] | @tsv" "$tmp/s.json")
	if ! grep -qF -- "|$port/$tr|$reg|" <<<"$differs" ||
		! grep -qE -- "\|$port/$tr\|[^|]*\|[^|]*\|$flows\|$cl\|$sv\|$by\|" <<<"$differs"; then
		bad "differs table: no row $port/$tr $reg $flows $cl $sv $by"
		diff_fail=1
	fi
done
[[ $diff_fail -eq 0 ]] && ok "differs table: the $nd ports stats lists"

timeline=$(element timeline-table '</table>' "$tmp/dom.html")
bins=$(grep -c '^<tr><th scope="row">' <<<"$timeline")
sum=$(grep '^<tr><th scope="row">' <<<"$timeline" | sed 's/.*<td class="n">\([0-9]*\)<\/td><\/tr>$/\1/' |
	awk '{ s += $1 } END { printf "%d", s }')
total=$(j '.all.bytes_c2s + .all.bytes_s2c')
if [[ $bins -gt 0 && $sum == "$total" ]]; then
	ok "timeline table: $bins bins adding up to $total bytes"
else
	bad "timeline table: $bins bins adding up to $sum bytes, not $total"
fi
hits=$(element chart-timeline '</svg>' "$tmp/dom.html" | grep -c '<rect class="hit"[^>]*><title>')
[[ $hits -eq $bins ]] && ok "chart-timeline: a <title> for each of the $bins bins" ||
	bad "chart-timeline: $hits bins with a <title>, the table has $bins"
if grep -q 'in [0-9]* bins of [0-9]' "$tmp/dom.html"; then
	ok "the timeline says its bin width ($(grep -o 'bins of [^.]*' "$tmp/dom.html" | head -1))"
else
	bad "the timeline does not say its bin width"
fi

# --- 3. a screenshot ---------------------------------------------------
chrome --screenshot="$tmp/r.png" --window-size=1200,2400 "$page" >/dev/null
size=$(wc -c <"$tmp/r.png" 2>/dev/null || echo 0)
dims=$(od -An -tx1 -j16 -N8 "$tmp/r.png" 2>/dev/null | tr -d ' \n')
if [[ $(head -c 8 "$tmp/r.png" 2>/dev/null | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a &&
	$dims == 000004b000000960 && $size -gt 40000 ]]; then
	ok "screenshot: a 1200x2400 PNG of $size bytes"
else
	bad "screenshot: not a 1200x2400 PNG over 40 KB ($size bytes, IHDR $dims)"
fi

# --- 4. tidy -----------------------------------------------------------
tidy -e -q "$page" >"$tmp/tidy.out" 2>&1
status=$?
if [[ $status -eq 0 && ! -s $tmp/tidy.out ]]; then
	ok "tidy: no errors, no warnings"
else
	bad "tidy exited $status: $(head -5 "$tmp/tidy.out")"
fi

# --- 5. names from outside are escaped -------------------------------
hostile="$tmp/a<script>&b.pcap"
cp "$demo" "$hostile"
"$portnote" report -r "$hostile" -o "$tmp/h.html" 2>/dev/null
if grep -qF 'a&lt;script&gt;&amp;b.pcap' "$tmp/h.html" && ! grep -qi '<script' "$tmp/h.html"; then
	ok "a capture named 'a<script>&b.pcap' is escaped"
else
	bad "the name 'a<script>&b.pcap' is not escaped: $(grep -o 'a[^ ]*b\.pcap' "$tmp/h.html" | head -2)"
fi
tidy -e -q "$tmp/h.html" >/dev/null 2>&1 && ok "tidy: that page is clean too" ||
	bad "tidy complains about the page of 'a<script>&b.pcap'"

# --- 6. standard output, determinism, the golden ---------------------
"$portnote" report -r "$demo" -o - >"$tmp/stdout.html" 2>/dev/null
cmp -s "$page" "$tmp/stdout.html" && ok "-o - writes the same page to standard output" ||
	bad "-o - differs from -o FILE"
"$portnote" report -r "$demo" -o "$tmp/again.html" 2>/dev/null
cmp -s "$page" "$tmp/again.html" && ok "two runs give the same bytes" || bad "two runs differ"
golden=$srcdir/tests/golden/report_demo.html
"$portnote" report --registry data/service-names-port-numbers.csv -r "$demo" \
	-o "$tmp/golden.html" 2>/dev/null
if [[ ${UPDATE_GOLDEN:-} == 1 ]]; then
	cp "$tmp/golden.html" "$golden"
fi
if diff -u "$golden" "$tmp/golden.html" >"$tmp/golden.diff"; then
	ok "the page matches tests/golden/report_demo.html"
else
	bad "the page differs from tests/golden/report_demo.html: $(head -20 "$tmp/golden.diff")"
fi

# --- 7. bad usage and unreadable inputs ------------------------------
# usage NAME ARGS...: exit 2, one line on stderr, no page in $tmp/u.
mkdir -p "$tmp/u"
usage() {
	local what=$1
	shift
	"$portnote" report "$@" >"$tmp/u.out" 2>"$tmp/u.err"
	local st=$?
	if [[ $st -eq 2 && $(wc -l <"$tmp/u.err") -eq 1 && ! -s $tmp/u.out &&
		-z $(ls -A "$tmp/u") ]]; then
		ok "$what: exit 2, $(cat "$tmp/u.err")"
	else
		bad "$what: exit $st, stderr: $(cat "$tmp/u.err"), files: $(ls -A "$tmp/u")"
	fi
}
usage "no -o" -r "$demo"
usage "no -r" -o "$tmp/u/x.html"
usage "an unknown option" -r "$demo" -o "$tmp/u/x.html" --bogus
usage "an unknown short option" -r "$demo" -o "$tmp/u/x.html" -i lo
usage "an unexpected argument" -r "$demo" -o "$tmp/u/x.html" extra
usage "--format json" -r "$demo" -o "$tmp/u/x.html" --format json
usage "a bad --top" -r "$demo" -o "$tmp/u/x.html" --top many
cp "$demo" "$tmp/u/in.pcap"
before=$(sha256sum <"$tmp/u/in.pcap")
"$portnote" report -r "$tmp/u/in.pcap" -o "$tmp/u/in.pcap" >/dev/null 2>"$tmp/u.err"
st=$?
if [[ $st -eq 2 && $(sha256sum <"$tmp/u/in.pcap") == "$before" && $(ls -A "$tmp/u") == in.pcap ]]; then
	ok "-o onto its input: exit 2, input kept: $(cat "$tmp/u.err")"
else
	bad "-o onto its input: exit $st, files $(ls -A "$tmp/u")"
fi
rm -f "$tmp/u/in.pcap"

echo "previous page" >"$tmp/u/old.html"
printf 'not a capture\n' >"$tmp/garbage.pcap"
for input in "$tmp/missing.pcap" "$tmp/garbage.pcap"; do
	"$portnote" report -r "$input" -o "$tmp/u/old.html" >"$tmp/u.out" 2>"$tmp/u.err"
	st=$?
	if [[ $st -eq 1 && ! -s $tmp/u.out && $(cat "$tmp/u/old.html") == "previous page" &&
		$(ls -A "$tmp/u") == old.html && -s $tmp/u.err ]]; then
		ok "unreadable ${input##*/}: exit 1, no page, the previous one kept"
	else
		bad "unreadable ${input##*/}: exit $st, files $(ls -A "$tmp/u"), stderr $(head -2 "$tmp/u.err")"
	fi
done
"$portnote" report -r "$demo" -r "$tmp/missing.pcap" -o "$tmp/u/part.html" >/dev/null 2>&1
st=$?
if [[ $st -eq 1 ]] && grep -q '1 of 2 inputs could not be read' "$tmp/u/part.html" 2>/dev/null; then
	ok "one missing input of two: exit 1, a page that says so"
else
	bad "one missing input of two: exit $st"
fi

finish
