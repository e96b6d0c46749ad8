#!/usr/bin/env bash
# `portnote audit` on the example rulesets of tests/rules/ in their three
# forms (iptables-save, nft -j list ruleset, plain list).
#   usage: audit_forms.sh PORTNOTE SRCDIR
#
#   1. host (input) and router (--chain forward): the three forms give the
#      same findings. A finding is compared as (severity, kind, position,
#      ports, service); table names, lines, handles and texts differ by
#      form and are left out. Its position is the rule's place in the
#      audited base chain with user chains inlined where they are jumped
#      to (a jump rule itself and a RETURN ending a user chain take no
#      place), which is how the plain list, having no user chains, writes
#      the same rules. A rule with a match portnote does not evaluate (the
#      plain list cannot write one) takes a place of its own, "ne1", ...;
#      its findings are left out of the comparison with the plain form.
#   2. The findings of the iptables form, as (severity, kind, position),
#      are exactly tests/rules/NAME.expected: each deliberate mistake
#      triggers what README.md says, and the sound rules trigger nothing.
#   3. Every static finding kind appears in host or router, in each form
#      (the plain form: all but not-evaluated).
#   4. Every file of tests/rules/broken/ is refused: exit 2, nothing on
#      stdout, "FILE:LINE:" on stderr at the line of the mistake.
# Needs jq (exit 77 without it). KEEP=1 keeps the reports in the temporary
# directory. Prints "N passed, M failed".
set -uo pipefail
portnote=${1:?usage: audit_forms.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: audit_forms.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC
rules=$srcdir/tests/rules

if ! command -v jq >/dev/null 2>&1; then
	echo "skip: jq is not installed (apt-get install jq)"
	exit 77
fi
# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"

tmp=$(mktemp -d)
trap '[[ -n ${KEEP:-} ]] || rm -rf "$tmp"' EXIT

# The comparable findings of one audit (JSON on stdin), one a line,
# sorted: "SEVERITY KIND POSITION PORTS SERVICE" with tabs, plus "#rules N"
# (places in the inlined base chain) and "#ne N" (unevaluated rules).
cat >"$tmp/canon.jq" <<'EOF'
. as $d
| def rules_of($t; $c):
    [$d.rules[] | select(.table == $t and .chain == $c)] | sort_by(.number);
  # The base chain's rules with user chains inlined, each as
  # {key, ne}; jump rules and RETURNs are not rules of the plain list.
  def flat($t; $c; $depth):
    if $depth > 16 then [] else
    [rules_of($t; $c)[]
     | if .verdict == "jump" or .verdict == "goto" then
         flat($t; .target; $depth + 1)[]
       elif .verdict == "return" then empty
       else {key: "\(.table)/\(.chain)/\(.number)",
             ne: ((.not_evaluated // []) | length > 0)} end]
    end;
  ([$d.policy[] | select(.hook == $base)
    | flat(.table; .chain; 0)[]]) as $flat
  | ([$flat[] | select(.ne | not)] | to_entries
     | map({key: .value.key, value: "\($base)#\(.key + 1)"}) | from_entries)
    as $pos
  | ([$flat[] | select(.ne)] | to_entries
     | map({key: .value.key, value: "\($base)#ne\(.key + 1)"}) | from_entries)
    as $nepos
  | def place:
      if . == null then "-"
      else "\(.table)/\(.chain)/\(.number)" as $k
      | $pos[$k] // $nepos[$k] // "\(.chain | ascii_downcase)#\(.number)"
      end;
  ([$d.findings[]
    | [.severity, .kind, (.rule | place), (.ports // "-"),
       (.service // "-" | tostring)] | join("\t")]
   + ["#rules\t\($pos | length)", "#ne\t\($nepos | length)"])
  | sort[]
EOF

kinds_static="unauthorized-use dynamic-range all-ports reserved-port
wide-range comment-mismatch shadowed duplicate unassigned-port
portless-protocol not-evaluated"

# audit NAME FORM FILE HOOK: runs the audit, checks exit status and
# format, writes $tmp/NAME.FORM.canon and $tmp/NAME.FORM.kinds.
audit() {
	local name=$1 form=$2 file=$3 hook=$4 out=$tmp/$1.$2.json status
	local -a chain=()
	[[ $hook == input ]] || chain=(--chain "$hook")
	"$portnote" audit --rules "$file" "${chain[@]}" --format json \
		>"$out" 2>"$tmp/$name.$form.err"
	status=$?
	if ! jq -e .findings "$out" >/dev/null 2>&1; then
		bad "$name ($form): no JSON report; exit $status: $(grep -v 'registry snapshot' "$tmp/$name.$form.err" | head -3)"
		: >"$tmp/$name.$form.canon"
		: >"$tmp/$name.$form.kinds"
		return
	fi
	# Every example has high findings: above the default --fail-on medium.
	if [[ $status -eq 1 ]]; then
		ok "$name ($form): exit 1 (findings at or above medium)"
	else
		bad "$name ($form): exit $status, expected 1"
	fi
	local got
	got=$(jq -r .ruleset.format "$out")
	if [[ $got == "$form" ]]; then
		ok "$name ($form): detected as $form"
	else
		bad "$name ($form): detected as $got"
	fi
	jq -r --arg base "$hook" -f "$tmp/canon.jq" "$out" \
		>"$tmp/$name.$form.canon" 2>"$tmp/jq.err" ||
		bad "$name ($form): jq: $(head -2 "$tmp/jq.err")"
	jq -r '.findings[].kind' "$out" | sort -u >"$tmp/$name.$form.kinds"
}

# same NAME A B [FILTER]: the canonical findings of forms A and B agree
# (lines matching the grep pattern FILTER left out of both).
same() {
	local name=$1 a=$2 b=$3 filter=${4:-}
	local fa=$tmp/$name.$a.canon fb=$tmp/$name.$b.canon
	if [[ -n $filter ]]; then
		grep -v -- "$filter" "$fa" >"$tmp/filtered.a"
		grep -v -- "$filter" "$fb" >"$tmp/filtered.b"
		fa=$tmp/filtered.a fb=$tmp/filtered.b
	fi
	if diff "$fb" "$fa" >"$tmp/diff"; then
		ok "$name: $a and $b give the same $(grep -vc '^#' "$fa") findings"
	else
		bad "$name: $a and $b differ (< $b, > $a):"
		sed 's/^/    /' "$tmp/diff"
	fi
}

for name in host router; do
	hook=input
	[[ $name == router ]] && hook=forward
	audit "$name" iptables "$rules/$name.iptables" "$hook"
	audit "$name" nft "$rules/$name.nft.json" "$hook"
	audit "$name" plain "$rules/$name.rules" "$hook"
	same "$name" nft iptables
	# The plain list cannot write an unevaluated match: such rules and
	# their findings are not in it.
	same "$name" plain iptables $'\t'"$hook#ne[0-9]*"$'\t\\|^#ne\t'
	grep -q $'^#ne\t0$' "$tmp/$name.plain.canon" ||
		bad "$name (plain): a rule with an unevaluated match"

	# The iptables form against what README.md promises.
	grep -v '^#' "$tmp/$name.iptables.canon" | cut -f1-3 | tr '\t' ' ' |
		sort >"$tmp/$name.got"
	grep -v '^#' "$rules/$name.expected" | grep . | sort >"$tmp/$name.want"
	if diff "$tmp/$name.want" "$tmp/$name.got" >"$tmp/diff"; then
		ok "$name: the findings are those of $name.expected ($(wc -l <"$tmp/$name.want"))"
	else
		bad "$name: findings differ from $name.expected (< expected, > got):"
		sed 's/^/    /' "$tmp/diff"
	fi
done

# Every static kind in at least one of the two examples, in every form.
for form in iptables nft plain; do
	for kind in $kinds_static; do
		[[ $form == plain && $kind == not-evaluated ]] && continue
		if ! grep -qx -- "$kind" "$tmp/host.$form.kinds" \
			"$tmp/router.$form.kinds"; then
			bad "$form: no example has a finding of kind $kind"
			continue
		fi
		ok "$form: an example has a finding of kind $kind"
	done
done

# Broken rulesets: FILE LINE of the mistake.
while read -r file line; do
	f=$rules/broken/$file
	"$portnote" audit --rules "$f" --format json >"$tmp/out" 2>"$tmp/err"
	status=$?
	cat "$tmp/err" >>"$tmp/broken.err"
	if [[ $status -eq 2 && ! -s $tmp/out ]] && grep -qF -- "$f:$line: " "$tmp/err"; then
		ok "broken/$file: exit 2, \"$(grep -F -- "$f:" "$tmp/err" | head -1 | sed "s|$rules/||")\""
	else
		bad "broken/$file: exit $status, stdout $(wc -c <"$tmp/out") bytes, expected exit 2 and \"$f:$line: \" on stderr:"
		grep -v 'registry snapshot' "$tmp/err" | head -3 | sed 's/^/    /'
	fi
done <<'EOF'
bad-port.iptables 7
unknown-jump.iptables 6
syntax.nft.json 5
unknown-verdict.rules 4
bad-range.rules 4
EOF
n_broken=$(find "$rules/broken" -type f | wc -l)
[[ $n_broken -eq 5 ]] || bad "tests/rules/broken/ holds $n_broken files; this test knows 5"

if grep -Eq 'Sanitizer|runtime error:' "$tmp"/*.err; then
	bad "sanitizer report from portnote:"
	cat "$tmp"/*.err | grep -E -A20 'Sanitizer|runtime error:' | head -40
fi
finish
