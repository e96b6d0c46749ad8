#!/usr/bin/env bash
# The manual pages in data/man/ against the binary and the installed
# update script.
#   usage: man_pages.sh PORTNOTE SRCDIR
#
# The script is the installed variant CMake writes beside the binary
# (BUILDDIR/portnote-update-registry), or $PORTNOTE_UPDATE_REGISTRY.
# Needs man (man-db) and groff, and jq for the JSON keys; otherwise exit
# 77. mandoc is optional: its lint check is skipped without it. Checks, for
# portnote.1, portnote-audit.1, portnote-live.1 and
# portnote-update-registry.1:
#   1. each renders with `man -l` (LC_ALL=C.UTF-8, MANWIDTH=80) and with
#      `groff -ww -mandoc -Tutf8 -z` with nothing on stderr, and its .Dt
#      is its file name;
#   2. `mandoc -Tlint -W warning` reports nothing;
#   3. every command in the command list of `portnote --help` has a
#      `.Ss COMMAND` section in portnote.1;
#   4. every option token (--long, -x) in `portnote --help` and in
#      `portnote COMMAND --help` of every command appears in the rendered
#      pages: portnote.1, and for audit and live also their own page; and
#      every option of an option line of a command's help (one starting
#      with '-') has an `.It Fl ...` entry there. The tokens are read from
#      the help text now, so an option added without documentation fails
#      here;
#   5. portnote.1's DESCRIPTION carries the registry's warning and refers
#      to the three other pages;
#   6. every option token of `portnote-update-registry --help` is in
#      portnote-update-registry.1, each option of its option lines with an
#      .It entry;
#   7. the SYNOPSIS of each command whose usage line ends in [EXPR] shows
#      [expression], and `help command` is in portnote.1's;
#   8. every CSV column and JSON key the commands write now, run on
#      captures/demo.pcap, tests/rules/host.rules and the registry
#      fixtures, is named in the pages: packets, flows, stats (its rows,
#      registry and payload_differs), lookup (a port, an unknown name and
#      its did_you_mean), registry info (and its installed object),
#      registry check (valid and not), registry diff, interfaces, and
#      audit (its ruleset, registry, evaluation, summary, findings, rules,
#      opens, policy and traffic) in portnote-audit.1;
#   9. where the binary looks for the installed snapshot (registry info
#      without PORTNOTE_REGISTRY_FILE) is in the FILES of portnote.1 and
#      of portnote-update-registry.1, PORTNOTE_REGISTRY_FILE in both their
#      ENVIRONMENT; portnote-live.1 names the unit, `systemctl enable --now
#      portnote-live@`, /etc/default/portnote in FILES and every setting
#      of data/default/portnote.
# Prints "N passed, M failed".
set -uo pipefail
# `... | documented` counts in this shell, not in a subshell.
shopt -s lastpipe
portnote=${1:?usage: man_pages.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: man_pages.sh PORTNOTE SRCDIR}
export LC_ALL=C.UTF-8 TZ=UTC

for tool in man groff jq; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "skip: $tool is not installed (scripts/deps --test)"
		exit 77
	fi
done

# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"

mandir=$srcdir/data/man
pages=(portnote.1 portnote-audit.1 portnote-live.1 portnote-update-registry.1)
update=${PORTNOTE_UPDATE_REGISTRY:-$(dirname "$portnote")/portnote-update-registry}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1, 2: every page renders without a complaint.
for page in "${pages[@]}"; do
	f=$mandir/$page
	if [[ ! -f $f ]]; then
		bad "$page: missing in data/man/"
		continue
	fi
	want=$(tr '[:lower:]' '[:upper:]' <<<"${page%.1}")
	if grep -qx "\.Dt $want 1" "$f"; then
		ok "$page: .Dt $want 1"
	else
		bad "$page: no '.Dt $want 1' line"
	fi
	if MANWIDTH=80 man -l "$f" >"$tmp/$page.txt" 2>"$tmp/$page.err" &&
		[[ ! -s $tmp/$page.err ]] && grep -q '^NAME' "$tmp/$page.txt"; then
		ok "$page: man -l renders it, nothing on stderr"
	else
		bad "$page: man -l:"
		head -20 "$tmp/$page.err"
	fi
	if groff -ww -mandoc -Tutf8 -z "$f" 2>"$tmp/$page.groff" &&
		[[ ! -s $tmp/$page.groff ]]; then
		ok "$page: groff -ww -mandoc: no warning"
	else
		bad "$page: groff -ww -mandoc warns:"
		head -20 "$tmp/$page.groff"
	fi
	if command -v mandoc >/dev/null 2>&1; then
		if mandoc -Tlint -W warning "$f" >"$tmp/$page.lint" 2>&1 &&
			[[ ! -s $tmp/$page.lint ]]; then
			ok "$page: mandoc -Tlint: nothing at WARNING or above"
		else
			bad "$page: mandoc -Tlint -W warning:"
			head -20 "$tmp/$page.lint"
		fi
	else
		echo "skip: $page: mandoc is not installed, no lint check"
	fi
	# One line per paragraph, so an option is never split at a line end;
	# groff's hyphen and minus read as '-'.
	MANWIDTH=4000 man -l "$f" 2>/dev/null |
		sed 's/\xe2\x80\x90/-/g; s/\xe2\x88\x92/-/g' >"$tmp/$page.wide"
done

# Option tokens as the help text writes them: --long-name or -x, not
# inside a word (ip6tables-save) or a range (9000-9010).
tokens() {
	grep -oP '(?<![A-Za-z0-9_-])(--[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]|-[A-Za-z](?![A-Za-z0-9_-]))' |
		sort -u
}
# The options a help text defines: those of its option lines, in the part
# before the description (which follows two or more spaces).
option_lines() {
	awk '/^[ \t]+-/ { s = $0; sub(/^[ \t]+/, "", s); sub(/  .*/, "", s); print s }'
}
# The options a page gives an entry of an option list: `.It Fl r , Fl
# -read Ar file` is -r and --read.
page_entries() {
	grep -h '^\.It' "$@" | grep -oP '(?<=\bFl )-?[A-Za-z][A-Za-z0-9-]*' |
		sed 's/^/-/' | sort -u
}
# in_text TOKEN FILE...: TOKEN appears, as a whole token, in one of them.
in_text() {
	local tok=$1
	shift
	grep -qP -- "(?<![A-Za-z0-9_-])\\Q$tok\\E(?![A-Za-z0-9_-])" "$@"
}

if ! "$portnote" --help >"$tmp/help" 2>&1; then
	bad "portnote --help exits $?"
fi
# The command list: "  NAME [word...]  description", a subcommand word
# being lower case and one space after the command.
awk '/^commands:/ { on = 1; next }
	on && /^$/ { exit }
	on && /^  [a-z]/ {
		s = substr($0, 3); cmd = ""
		while (match(s, /^[a-z]+/)) {
			cmd = cmd (cmd == "" ? "" : " ") substr(s, 1, RLENGTH)
			s = substr(s, RLENGTH + 1)
			if (s ~ /^ [a-z]+( |$)/) s = substr(s, 2); else break
		}
		print cmd
	}' "$tmp/help" >"$tmp/commands"
# A parse that finds nothing must not pass for "all documented".
if grep -qx 'lookup' "$tmp/commands" && grep -qx 'registry info' "$tmp/commands" &&
	[[ $(wc -l <"$tmp/commands") -ge 8 ]]; then
	ok "portnote --help lists $(wc -l <"$tmp/commands") commands: $(paste -sd, "$tmp/commands")"
else
	bad "portnote --help: command list not found ($(paste -sd, "$tmp/commands"))"
fi

# 3: a section per command.
while read -r cmd; do
	if grep -qxF ".Ss $cmd" "$mandir/portnote.1"; then
		ok "portnote.1 has a section '$cmd'"
	else
		bad "portnote.1 has no '.Ss $cmd' section for a command of portnote --help"
	fi
done <"$tmp/commands"

# 4: every option token of every help text is documented.
check_tokens() { # LABEL HELPFILE RENDERED...
	local label=$1 help=$2 tok n=0 missing=()
	shift 2
	while read -r tok; do
		n=$((n + 1))
		in_text "$tok" "$@" || missing+=("$tok")
	done < <(tokens <"$help")
	if [[ $n -eq 0 ]]; then
		bad "$label: no option found in its help text"
	elif [[ ${#missing[@]} -eq 0 ]]; then
		ok "$label: all $n option tokens of its help are in the man pages"
	else
		bad "$label: not in the man pages: ${missing[*]}"
	fi
}
check_entries() { # LABEL HELPFILE SOURCE...
	local label=$1 help=$2 tok n=0 missing=()
	shift 2
	page_entries "$@" >"$tmp/entries"
	while read -r tok; do
		n=$((n + 1))
		grep -qxF -- "$tok" "$tmp/entries" || missing+=("$tok")
	done < <(option_lines <"$help" | tokens)
	if [[ $n -eq 0 ]]; then
		bad "$label: no option line found in its help text"
	elif [[ ${#missing[@]} -eq 0 ]]; then
		ok "$label: all $n options of its option lines have an .It entry"
	else
		bad "$label: no .It entry in the man pages for: ${missing[*]}"
	fi
}
check_tokens "portnote --help" "$tmp/help" "$tmp/portnote.1.wide"
mapfile -t firsts < <(cut -d' ' -f1 "$tmp/commands" | sort -u)
for cmd in "${firsts[@]}"; do
	if ! "$portnote" "$cmd" --help >"$tmp/help.$cmd" 2>&1; then
		bad "portnote $cmd --help exits $?"
		continue
	fi
	texts=("$tmp/portnote.1.wide") sources=("$mandir/portnote.1")
	if [[ -f $mandir/portnote-$cmd.1 ]]; then
		texts+=("$tmp/portnote-$cmd.1.wide")
		sources+=("$mandir/portnote-$cmd.1")
	fi
	check_tokens "portnote $cmd --help" "$tmp/help.$cmd" "${texts[@]}"
	check_entries "portnote $cmd --help" "$tmp/help.$cmd" "${sources[@]}"
done

# 5: the warning the registry carries, where a reader starts.
desc=$(sed -n '/^DESCRIPTION/,/^[A-Z]/p' "$tmp/portnote.1.wide")
if grep -q 'A registered port does not prove what traffic is, nor that it is good' <<<"$desc"; then
	ok "portnote.1: DESCRIPTION carries the registry's warning"
else
	bad "portnote.1: the registry's warning is not in DESCRIPTION"
fi
for ref in 'portnote-audit(1)' 'portnote-live(1)' 'portnote-update-registry(1)'; do
	if grep -qF "$ref" "$tmp/portnote.1.wide"; then
		ok "portnote.1 refers to $ref"
	else
		bad "portnote.1 does not refer to $ref"
	fi
done
if grep -qF 'portnote(1)' "$tmp/portnote-update-registry.1.wide"; then
	ok "portnote-update-registry.1 refers to portnote(1)"
else
	bad "portnote-update-registry.1 does not refer to portnote(1)"
fi

# 6: the update script's options.
if [[ -x $update ]] && "$update" --help >"$tmp/help.update" 2>&1 &&
	grep -q '^usage: portnote-update-registry ' "$tmp/help.update" &&
	! grep -q '@PORTNOTE' "$update"; then
	check_tokens "portnote-update-registry --help" "$tmp/help.update" \
		"$tmp/portnote-update-registry.1.wide"
	check_entries "portnote-update-registry --help" "$tmp/help.update" \
		"$mandir/portnote-update-registry.1"
else
	bad "$update: not the installed portnote-update-registry, or its --help fails"
fi

# 7: the filter after the options, and help COMMAND, in the SYNOPSIS.
section() { # TITLE RENDERED: the lines of one section
	awk -v t="$1" '$0 == t { on = 1; next } on && /^[A-Z]/ { exit } on' "$2"
}
section SYNOPSIS "$tmp/portnote.1.wide" >"$tmp/synopsis"
n=0
for cmd in "${firsts[@]}"; do
	grep -q '^usage: .*\[EXPR\]\]*$' "$tmp/help.$cmd" || continue
	n=$((n + 1))
	if grep -qE "^ *portnote $cmd .*\[expression\]" "$tmp/synopsis"; then
		ok "SYNOPSIS: portnote $cmd ... [expression], as its usage line has [EXPR]"
	else
		bad "SYNOPSIS of portnote.1: no [expression] for $cmd, whose usage line has [EXPR]"
	fi
done
[[ $n -ge 5 ]] || bad "only $n usage lines with [EXPR] found (packets, flows, stats, audit, live had it)"
for cmd in audit live; do
	if section SYNOPSIS "$tmp/portnote-$cmd.1.wide" | grep -qF '[expression]'; then
		ok "portnote-$cmd.1 SYNOPSIS has [expression]"
	else
		bad "portnote-$cmd.1 SYNOPSIS has no [expression]"
	fi
done
if grep -qE '^ *portnote help \[command\]' "$tmp/synopsis" && "$portnote" help stats >/dev/null 2>&1; then
	ok "SYNOPSIS: portnote help [command] (and portnote help stats works)"
else
	bad "SYNOPSIS of portnote.1: no 'portnote help [command]', or portnote help stats fails"
fi

# 8: every column and key of the outputs is named in the pages.
export PORTNOTE_REGISTRY_FILE=
demo=$srcdir/captures/demo.pcap
fix=$srcdir/tests/fixtures
csvhead() { head -1 | tr -d '\r' | tr ',' '\n'; }
# The keys of every object of a JSON stream, or of those a jq path gives.
keys() { jq -r "${1:-.} | objects | keys_unsorted[]" 2>/dev/null; }
documented() { # LABEL RENDERED... < names
	local label=$1 name n=0 missing=()
	shift
	while read -r name; do
		[[ -n $name ]] || continue
		n=$((n + 1))
		in_text "$name" "$@" || missing+=("$name")
	done < <(sort -u)
	if [[ $n -eq 0 ]]; then
		bad "$label: no field found in the output (did the command fail?)"
	elif [[ ${#missing[@]} -eq 0 ]]; then
		ok "$label: all $n fields are named in the page"
	else
		bad "$label: not named in the page: ${missing[*]}"
	fi
}
main=$tmp/portnote.1.wide
run() { "$portnote" "$@" --quiet 2>/dev/null; }
run packets -r "$demo" --format csv | csvhead | documented "packets CSV columns" "$main"
run packets -r "$demo" --format json | keys 'select(.type == "packet")' |
	documented "packets JSON keys" "$main"
run packets -r "$demo" --format json | keys 'select(.type == "summary")' |
	documented "the summary line's JSON keys" "$main"
run flows -r "$demo" --format csv | csvhead | documented "flows CSV columns" "$main"
run flows -r "$demo" --format json | keys 'select(.type == "flow")' |
	documented "flows JSON keys" "$main"
run stats -r "$demo" --format csv --top 2 | csvhead | documented "stats CSV columns" "$main"
run stats -r "$demo" --format csv --top 2 | cut -d, -f1 | tail -n +2 |
	documented "stats CSV record values" "$main"
run stats -r "$demo" --format json --top 2 | head -1 >"$tmp/stats.json"
keys <"$tmp/stats.json" | documented "stats JSON keys" "$main"
for part in .registry '.services[]' .other_services .all '.payload_differs[]' .flow_ends; do
	keys "$part" <"$tmp/stats.json" | documented "stats JSON $part keys" "$main"
done
jq -r '.services[0].record, .other_services.record, .all.record' "$tmp/stats.json" |
	documented "stats JSON record values" "$main"
run lookup 443/tcp --format csv | csvhead | documented "lookup CSV columns" "$main"
run lookup 443/tcp --format json | keys | documented "lookup JSON keys" "$main"
run lookup 443/tcp --format json | keys '.entries[]' | documented "lookup JSON entry keys" "$main"
run lookup dns --format json | keys | documented "lookup JSON keys of an unknown name" "$main"
run lookup dns --format json | keys '.did_you_mean[]' |
	documented "lookup JSON did_you_mean keys" "$main"
run registry info --format csv | cut -d, -f1 | tail -n +2 |
	documented "registry info CSV keys" "$main"
run registry info --format json | keys | documented "registry info JSON keys" "$main"
run registry info --format json | keys .installed |
	documented "registry info JSON installed keys" "$main"
run registry check --format csv "$srcdir/data/service-names-port-numbers.csv" | cut -d, -f1 |
	tail -n +2 | documented "registry check CSV keys" "$main"
{ run registry check --format json "$fix/malformed/bad-port.csv" | keys
  run registry check --format csv "$fix/malformed/bad-port.csv" | cut -d, -f1 | tail -n +2; } |
	documented "registry check keys of an invalid file (JSON and CSV)" "$main"
run registry diff --format csv "$fix/diff-2014.csv" "$fix/diff-2026.csv" | csvhead |
	documented "registry diff CSV columns" "$main"
run registry diff --format json "$fix/diff-2014.csv" "$fix/diff-2026.csv" | keys |
	documented "registry diff JSON keys" "$main"
run interfaces --format csv | csvhead | documented "interfaces CSV columns" "$main"
run interfaces --format json | keys | documented "interfaces JSON keys" "$main"
audit=("$tmp/portnote-audit.1.wide" "$main")
rules=$srcdir/tests/rules/host.rules
run audit --rules "$rules" -r "$demo" --format csv --fail-on never | csvhead |
	documented "audit CSV columns" "${audit[@]}"
run audit --rules "$rules" -r "$demo" --format json --fail-on never >"$tmp/audit.json"
for part in . .ruleset .registry .evaluation .summary '.findings[]' '.findings[].rule' \
	'.rules[]' '.rules[].opens[]?' '.policy[]' '.rules[].traffic' '.policy[].traffic'; do
	keys "$part" <"$tmp/audit.json" | documented "audit JSON $part keys" "${audit[@]}"
done

# 9: where the installed snapshot and the unit's settings are.
installed=$(env -u PORTNOTE_REGISTRY_FILE "$portnote" registry info --format csv --quiet 2>/dev/null |
	awk -F, '$1 == "installed_path" { print $2 }')
if [[ $installed == /* ]]; then
	for page in portnote.1 portnote-update-registry.1 portnote-live.1; do
		if section FILES "$tmp/$page.wide" | grep -qF "$installed"; then
			ok "$page: FILES names $installed, where the binary looks"
		else
			bad "$page: FILES does not name $installed, where the binary looks"
		fi
	done
else
	bad "registry info --format csv names no installed_path ('$installed')"
fi
for page in portnote.1 portnote-update-registry.1; do
	if section ENVIRONMENT "$tmp/$page.wide" | grep -q '^ *PORTNOTE_REGISTRY_FILE'; then
		ok "$page: ENVIRONMENT has PORTNOTE_REGISTRY_FILE"
	else
		bad "$page: ENVIRONMENT has no PORTNOTE_REGISTRY_FILE entry"
	fi
done
live=$tmp/portnote-live.1.wide
for text in 'portnote-live@.service' 'systemctl enable --now portnote-live@'; do
	if grep -qF -- "$text" "$live"; then
		ok "portnote-live.1 has '$text'"
	else
		bad "portnote-live.1 lacks '$text'"
	fi
done
if section FILES "$live" | grep -qF '/etc/default/portnote'; then
	ok "portnote-live.1: FILES names /etc/default/portnote"
else
	bad "portnote-live.1: FILES does not name /etc/default/portnote"
fi
grep -oE '^[A-Z_]+=' "$srcdir/data/default/portnote" | tr -d = |
	documented "portnote-live.1: the settings of data/default/portnote" "$live"
finish
