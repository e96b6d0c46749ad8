#!/usr/bin/env bash
# The bash completion in data/bash-completion/portnote against the binary
# and against portnote-update-registry.
#   usage: bash_completion.sh PORTNOTE SRCDIR
#
# The update script is the installed variant CMake writes beside the
# binary (BUILDDIR/portnote-update-registry), or $PORTNOTE_UPDATE_REGISTRY.
# Needs bash-completion (/usr/share/bash-completion/bash_completion);
# otherwise exit 77. Each case runs `bash --norc --noprofile -i` that
# sources bash_completion and the completion file, sets COMP_WORDS,
# COMP_CWORD, COMP_LINE and COMP_POINT for a command line, calls the
# function `complete -p COMMAND` names (COMMAND the line's first word), and
# prints COMPREPLY. Checks:
#   1. `portnote ` offers exactly the commands of `portnote --help` and
#      help; `portnote help ` the commands; `portnote registry ` info,
#      check and diff;
#   2. for every command, `portnote COMMAND -` offers exactly the options
#      of the option lines of `portnote COMMAND --help` (read now, so an
#      option added later without completion fails here), plus those of
#      the list `unlisted` below, options the binary accepts (checked
#      here) though that --help does not list them;
#   3. values: --format (text json csv; live: text json), --sort,
#      --fail-on, --rules-format, --chain, and --sort=VALUE;
#   4. a file of a temporary directory after -r, -o (report), -w and
#      after registry diff, lo (and any) after -i;
#   5. `portnote-update-registry -` offers exactly the options of its
#      --help; a file after --snapshot and as its operand, nothing after
#      --max-loss;
#   6. bash-completion's own loader finds the file in a completions/
#      directory and binds it, for portnote and, installed under that name
#      too, for portnote-update-registry;
#   7. nothing is printed on stderr but bash's job-control notice.
# Prints "N passed, M failed".
set -uo pipefail
portnote=${1:?usage: bash_completion.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: bash_completion.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC

bc=/usr/share/bash-completion/bash_completion
if [[ ! -r $bc ]]; then
	echo "skip: bash-completion is not installed (scripts/deps --test)"
	exit 77
fi
compfile=$(realpath -m "$srcdir/data/bash-completion/portnote")
update=${PORTNOTE_UPDATE_REGISTRY:-$(dirname "$portnote")/portnote-update-registry}
# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"
if [[ ! -f $compfile ]]; then
	bad "data/bash-completion/portnote is missing"
	finish
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The driver: DRIVER COMPFILE LINE, COMPFILE '-' leaving the loading to
# bash-completion's default completion (complete -D).
cat >"$tmp/driver.sh" <<'EOF'
. /usr/share/bash-completion/bash_completion
line=$2
read -ra COMP_WORDS <<<"$line"
[[ $line == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE=$line
COMP_POINT=${#line}
cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
cmd=${COMP_WORDS[0]}
if [[ $1 == - ]]; then
	complete -p "$cmd" >/dev/null 2>&1 && { echo "bound before loading"; exit 3; }
	dspec=$(complete -p -D) || exit 3
	dfn=${dspec#*-F }
	"${dfn%% *}" "$cmd" "$cur" "$prev"
else
	. "$1"
fi
spec=$(complete -p "$cmd") || exit 4
fn=${spec#*-F }
COMPREPLY=()
"${fn%% *}" "$cmd" "$cur" "$prev"
printf '%s\n' "${COMPREPLY[@]}"
EOF

# offered LINE [COMPFILE]: the sorted words offered for LINE (at its end).
offered() {
	(cd "$tmp" && bash --norc --noprofile -i "$tmp/driver.sh" "${2:-$compfile}" "$1") \
		2>"$tmp/err" | sed '/^$/d' | sort -u
	# Job control is unavailable without a terminal; bash says so.
	grep -v -e 'cannot set terminal process group' -e 'no job control in this shell' \
		"$tmp/err" >>"$tmp/stderr"
}
words() { tr ' ' '\n' | sed '/^$/d' | sort -u; }
# same LABEL EXPECTED OFFERED: one check of two word lists.
same() {
	if [[ $2 == "$3" && -n $2 ]]; then
		ok "$1: $(paste -sd' ' <<<"$3")"
	else
		bad "$1"
		diff <(echo "$2") <(echo "$3") | sed -n 's/^</  expected, not offered:/p; s/^>/  offered, not expected:/p'
	fi
}

# The options a help text defines: its option lines, before the
# description (which follows two or more spaces).
help_options() {
	awk '/^[ \t]+-/ { s = $0; sub(/^[ \t]+/, "", s); sub(/  .*/, "", s); print s }' |
		grep -oP '(?<![A-Za-z0-9_-])(--[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]|-[A-Za-z](?![A-Za-z0-9_-]))' |
		sort -u
}

# 1. Commands.
"$portnote" --help >"$tmp/help" 2>&1
awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }' \
	"$tmp/help" | sort -u >"$tmp/commands"
if [[ $(wc -l <"$tmp/commands") -lt 8 ]]; then
	bad "portnote --help: command list not found"
fi
same "portnote <TAB>: the commands of portnote --help, and help" \
	"$( (cat "$tmp/commands"; echo help) | sort -u)" "$(offered "portnote ")"
same "portnote help <TAB>: the commands" "$(cat "$tmp/commands")" "$(offered "portnote help ")"
same "portnote registry <TAB>" "$(words <<<"info check diff")" \
	"$(offered "portnote registry ")"

# 2. Each command's options, as its --help lists them, and those it
# accepts without listing them: "COMMAND OPTION" (report takes --quiet,
# as every command does, though its --help leaves it out).
unlisted=("report --quiet")
while read -r cmd; do
	"$portnote" "$cmd" --help 2>&1 | help_options >"$tmp/opts.$cmd"
	for u in "${unlisted[@]}"; do
		[[ ${u%% *} == "$cmd" ]] || continue
		# Options are checked before --help is honoured: 0 means accepted.
		if "$portnote" "$cmd" "${u#* }" --help >/dev/null 2>&1; then
			echo "${u#* }" >>"$tmp/opts.$cmd"
		else
			bad "portnote $cmd refuses ${u#* }, listed as accepted in this test"
		fi
	done
	sort -u -o "$tmp/opts.$cmd" "$tmp/opts.$cmd"
	line="portnote $cmd -"
	[[ $cmd == registry ]] && line="portnote registry info -"
	same "$line<TAB>: the options of portnote $cmd --help" \
		"$(cat "$tmp/opts.$cmd")" "$(offered "$line")"
done <"$tmp/commands"
same "portnote registry diff -<TAB>" "$(cat "$tmp/opts.registry")" \
	"$(offered "portnote registry diff -")"

# 3. Option values.
same "flows --format <TAB>" "$(words <<<"text json csv")" "$(offered "portnote flows --format ")"
same "live --format <TAB> (live refuses csv)" "$(words <<<"text json")" \
	"$(offered "portnote live --format ")"
same "stats --sort <TAB>" "$(words <<<"bytes packets flows")" "$(offered "portnote stats --sort ")"
same "live --sort=<TAB>" "$(words <<<"bytes packets flows")" "$(offered "portnote live --sort=")"
same "audit --fail-on <TAB>" "$(words <<<"info low medium high never")" \
	"$(offered "portnote audit --rules r --fail-on ")"
same "audit --fail-on m<TAB>" "medium" "$(offered "portnote audit --fail-on m")"
same "audit --rules-format <TAB>" "$(words <<<"auto iptables nft plain")" \
	"$(offered "portnote audit --rules-format ")"
same "audit --chain <TAB>" "$(words <<<"input forward output")" \
	"$(offered "portnote audit --chain ")"

# 4. Files and interfaces.
mkdir "$tmp/caps"
: >"$tmp/caps/one.pcap"
same "packets -r <dir>/<TAB>: the file in it" "$tmp/caps/one.pcap" \
	"$(offered "portnote packets -r $tmp/caps/")"
same "packets -w <dir>/<TAB>" "$tmp/caps/one.pcap" \
	"$(offered "portnote packets -r x.pcap -w $tmp/caps/")"
same "report -r f -o <dir>/<TAB>" "$tmp/caps/one.pcap" \
	"$(offered "portnote report -r $tmp/caps/one.pcap -o $tmp/caps/")"
same "report --output <dir>/<TAB>" "$tmp/caps/one.pcap" \
	"$(offered "portnote report --output $tmp/caps/")"
same "registry diff <file> <dir>/o<TAB>" "$tmp/caps/one.pcap" \
	"$(offered "portnote registry diff $tmp/caps/one.pcap $tmp/caps/o")"
if [[ -d /sys/class/net/lo ]]; then
	same "stats -i l<TAB>" "lo" "$(offered "portnote stats -i l")"
	got=$(offered "portnote live --interface ")
	if grep -qx lo <<<"$got" && grep -qx any <<<"$got"; then
		ok "live --interface <TAB> offers lo and any"
	else
		bad "live --interface <TAB> offers: $(paste -sd' ' <<<"$got")"
	fi
else
	echo "skip: no /sys/class/net/lo, no interface check"
fi
same "lookup --registry <dir>/<TAB>" "$tmp/caps/one.pcap" \
	"$(offered "portnote lookup --registry $tmp/caps/")"

# 5. portnote-update-registry, as its --help lists its options.
if [[ -x $update ]] && "$update" --help >"$tmp/help.update" 2>&1 &&
	grep -q '^usage: portnote-update-registry ' "$tmp/help.update"; then
	help_options <"$tmp/help.update" >"$tmp/opts.update"
	if [[ $(wc -l <"$tmp/opts.update") -ge 4 ]]; then
		same "portnote-update-registry -<TAB>: the options of its --help" \
			"$(cat "$tmp/opts.update")" "$(offered "portnote-update-registry -")"
	else
		bad "portnote-update-registry --help: no option lines found"
	fi
else
	bad "$update: not the installed portnote-update-registry, or its --help fails"
fi
same "portnote-update-registry --snapshot <dir>/<TAB>" "$tmp/caps/one.pcap" \
	"$(offered "portnote-update-registry --snapshot $tmp/caps/")"
same "portnote-update-registry --snapshot=<dir>/<TAB>" "$tmp/caps/one.pcap" \
	"$(offered "portnote-update-registry --snapshot=$tmp/caps/")"
same "portnote-update-registry <dir>/<TAB>: the CSV to install" "$tmp/caps/one.pcap" \
	"$(offered "portnote-update-registry --dry-run $tmp/caps/")"
got=$(offered "portnote-update-registry --max-loss ")
if [[ -z $got ]]; then
	ok "portnote-update-registry --max-loss <TAB>: nothing (a percentage)"
else
	bad "portnote-update-registry --max-loss <TAB> offers: $(paste -sd' ' <<<"$got")"
fi

# 6. Loaded on demand, as from /usr/share/bash-completion/completions.
mkdir -p "$tmp/user/completions"
cp "$compfile" "$tmp/user/completions/portnote"
same "bash-completion's loader binds it from completions/: portnote registry <TAB>" \
	"$(words <<<"info check diff")" \
	"$(BASH_COMPLETION_USER_DIR=$tmp/user offered "portnote registry " -)"
# The loader looks for a file named as the command: the same file under
# the update script's name (a link to it, as a package would install).
ln -s portnote "$tmp/user/completions/portnote-update-registry"
same "and, linked as completions/portnote-update-registry: portnote-update-registry --d<TAB>" \
	"--dry-run" \
	"$(BASH_COMPLETION_USER_DIR=$tmp/user offered "portnote-update-registry --d" -)"

# 7. No error from the completion itself.
if [[ -s $tmp/stderr ]]; then
	bad "stderr of the completion:"
	head -20 "$tmp/stderr"
else
	ok "nothing on stderr"
fi
finish
