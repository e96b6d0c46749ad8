#!/usr/bin/env bash
# The full-screen view of `portnote live`, driven through tmux.
#   usage: live_view_tmux.sh PORTNOTE SRCDIR
#
# Needs root (capture on lo), tmux and socat; otherwise exit 77. Runs
# `portnote live -i lo --interval 1` in a detached 120x40 tmux session on a
# private tmux server, sends TCP traffic only to 127.0.0.1: to a socat
# listener on a port registered for http-alt (8080, or 8008 or 591 if that
# one is taken) and to one on a random unregistered port in 20000-32767,
# and reads the screen with capture-pane:
#   1. the header names interface lo; the key help line is shown;
#   2. a row "8080/tcp  registered for http-alt" appears, while the
#      unregistered port is hidden and counted as hidden;
#   3. the header says payload differs in some flows since start (the
#      clients send zeros, which differ from http-alt's HTTP) and the row's
#      dif% column has a share;
#   4. key p: the sort label says packets/s; key u: the unregistered port
#      gets its row; key d: only the differing service is listed, d again
#      lists all; space: the view says PAUSED and the elapsed time
#      stands still; space again resumes;
#   5. key q: portnote exits 0 within 5 s, the terminal is back in the
#      mode it was in (stty), out of the alternate screen, cursor visible;
#   6. a second run (--interval 3): key p before the first snapshot is
#      kept for it; Ctrl-C (SIGINT) then leaves the terminal sane too.
# Every wait is bounded; the whole test takes about 30 s. Prints
# "N passed, M failed".
set -uo pipefail
portnote=${1:?usage: live_view_tmux.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: live_view_tmux.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC

if [[ $EUID -ne 0 ]]; then
	echo "skip: capturing on lo needs root"
	exit 77
fi
for tool in tmux socat; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "skip: $tool is not installed (apt-get install $tool)"
		exit 77
	fi
done
if [[ ! -d /sys/class/net/lo ]]; then
	echo "skip: no loopback interface lo"
	exit 77
fi
if ! infocmp screen >/dev/null 2>&1; then
	echo "skip: no terminfo entry for 'screen' (ncurses-base)"
	exit 77
fi
portnote=$(realpath "$portnote")

tmp=$(mktemp -d)
# The private server's socket lives in $tmp and goes with it.
export TMUX_TMPDIR=$tmp
unset TMUX
sock="portnote-live-view"
tm() { tmux -L "$sock" "$@"; }
pids=()
gen=''
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
	local p
	if [[ -n $gen ]]; then
		# The loop first, so it does not report its killed children.
		local kids
		kids=$(pgrep -P "$gen")
		kill -KILL "$gen" 2>/dev/null
		for p in $kids; do
			kill -KILL "$p" 2>/dev/null
		done
	fi
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	tm kill-server 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"

# port_in_use PORT: bound to anything, tcp or udp, v4 or v6; TIME_WAIT
# (state 06) left by an earlier run does not count: the listeners use
# reuseaddr.
port_in_use() {
	local hex
	hex=$(printf ':%04X ' "$1")
	cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 \
		2>/dev/null | awk '$4 != "06" {print $2 " " $3}' |
		grep -q -- "$hex"
}
# registered PORT NAME: the built-in registry has PORT/tcp as NAME.
registered() {
	"$portnote" lookup "$1/tcp" 2>/dev/null | grep -q "^  registered for $2:"
}
# unregistered PORT: no service name for PORT/tcp in the built-in registry.
unregistered() {
	local out
	out=$("$portnote" lookup --format json "$1/tcp" 2>/dev/null) || return 1
	[[ -n $out && $out != *'"kind":"service"'* ]]
}

p_reg=''
for p in 8080 8008 591; do
	if ! port_in_use "$p" && registered "$p" http-alt; then
		p_reg=$p
		break
	fi
done
if [[ -z $p_reg ]]; then
	echo "skip: 8080, 8008 and 591 are all in use (or not http-alt)"
	exit 77
fi
p_unreg=''
for ((i = 0; i < 200; i++)); do
	p=$((20000 + RANDOM % 12768))
	if ! port_in_use "$p" && unregistered "$p"; then
		p_unreg=$p
		break
	fi
done
if [[ -z $p_unreg ]]; then
	bad "no free unregistered tcp port found in 20000-32767"
	finish
fi
echo "ports: $p_reg/tcp (http-alt), $p_unreg/tcp (unregistered)"

# A private server, a fixed size and a terminal type every ncurses knows.
cat >"$tmp/tmux.conf" <<'EOF'
set -g default-terminal screen
set -g default-size 120x40
set -g history-limit 100
EOF

# run NAME INTERVAL: starts portnote live in session NAME; its exit status
# goes to $tmp/NAME.exit, the terminal modes before and after to
# NAME.stty-*.
run() {
	cat >"$tmp/$1.sh" <<EOF
stty -a >"$tmp/$1.stty-before"
"$portnote" live -i lo --interval $2 -f "tcp port $p_reg or tcp port $p_unreg" 2>"$tmp/$1.err"
echo "EXIT=\$?" >"$tmp/$1.exit"
stty -a >"$tmp/$1.stty-after"
exec sleep 120
EOF
	tm -f "$tmp/tmux.conf" new-session -d -s "$1" -x 120 -y 40 \
		"bash $tmp/$1.sh"
}
screen() { tm capture-pane -p -t "$1"; }
# wait_screen SESSION SECONDS ERE: 0 once the screen matches ERE.
wait_screen() {
	local i n=$(($2 * 10))
	for ((i = 0; i < n; i++)); do
		screen "$1" >"$tmp/screen" 2>/dev/null
		grep -Eq -- "$3" "$tmp/screen" && return 0
		[[ -e "$tmp/$1.exit" ]] && return 1
		sleep 0.1
	done
	return 1
}
# wait_screen_without SESSION SECONDS ERE: 0 once the screen has a header
# and does not match ERE.
wait_screen_without() {
	local i n=$(($2 * 10))
	for ((i = 0; i < n; i++)); do
		screen "$1" >"$tmp/screen" 2>/dev/null
		grep -q '^portnote live ' "$tmp/screen" &&
			! grep -Eq -- "$3" "$tmp/screen" && return 0
		[[ -e "$tmp/$1.exit" ]] && return 1
		sleep 0.1
	done
	return 1
}
# wait_file FILE SECONDS
wait_file() {
	local i n=$(($2 * 10))
	for ((i = 0; i < n; i++)); do
		[[ -s $1 ]] && return 0
		sleep 0.1
	done
	return 1
}
show_failure() { # SESSION: the screen and portnote's stderr
	echo "  screen:"
	screen "$1" 2>/dev/null | sed 's/^/  | /'
	sed 's/^/  stderr: /' "$tmp/$1.err" 2>/dev/null
}
# terminal_sane NAME WHAT: stty modes as before, normal screen, cursor on.
terminal_sane() {
	if wait_file "$tmp/$1.stty-after" 3 &&
		cmp -s "$tmp/$1.stty-before" "$tmp/$1.stty-after"; then
		ok "$2: the terminal modes are restored (stty -a as before)"
	else
		bad "$2: the terminal modes differ after portnote:"
		diff "$tmp/$1.stty-before" "$tmp/$1.stty-after" 2>&1 | head -10
	fi
	local f
	f=$(tm display-message -p -t "$1" '#{alternate_on} #{cursor_flag}')
	if [[ $f == "0 1" ]]; then
		ok "$2: out of the alternate screen, cursor visible"
	else
		bad "$2: alternate_on and cursor_flag are '$f', not '0 1'"
	fi
}

# Listeners that swallow what they get; clients pushing a little data,
# over and over, so both services stay busy while the view is read.
for p in "$p_reg" "$p_unreg"; do
	socat -u "TCP-LISTEN:$p,bind=127.0.0.1,reuseaddr,fork" \
		GOPEN:/dev/null 2>/dev/null &
	pids+=($!)
done
for p in "$p_reg" "$p_unreg"; do
	hex=$(printf '0100007F:%04X' "$p")
	for ((i = 0; i < 50; i++)); do
		awk '$4 == "0A" {print $2}' /proc/net/tcp | grep -qx "$hex" && break
		sleep 0.1
	done
done
traffic() {
	local end=$((SECONDS + 90))
	while ((SECONDS < end)); do
		head -c 40000 /dev/zero |
			timeout 3 socat -u - "TCP:127.0.0.1:$p_reg" 2>/dev/null
		head -c 2000 /dev/zero |
			timeout 3 socat -u - "TCP:127.0.0.1:$p_unreg" 2>/dev/null
		sleep 0.2
	done
}

# 1-4: one run, keys, q.
run view 1
if ! wait_screen view 10 '^portnote live'; then
	if grep -q 'cannot capture' "$tmp/view.err" 2>/dev/null; then
		echo "skip: cannot capture on lo:"
		cat "$tmp/view.err"
		exit 77
	fi
	bad "portnote live did not draw its view within 10 s"
	show_failure view
	finish
fi
traffic &
gen=$!
disown "$gen"

if wait_screen view 10 '^portnote live +interface lo '; then
	ok "header: interface lo"
else
	bad "header does not show 'interface lo'"
	show_failure view
fi
if grep -q 'b bytes  p packets  f flows  space pause  u unregistered  d differs only  q quit' "$tmp/screen"; then
	ok "header: the key help line"
else
	bad "no key help line"
fi
if wait_screen view 15 "^ *$p_reg/tcp +registered for http-alt "; then
	ok "row: $p_reg/tcp registered for http-alt"
	row=$(grep -E "^ *$p_reg/tcp +registered for http-alt " "$tmp/screen")
	if [[ $row =~ [0-9.]+\ [kMG]?b/s ]]; then
		ok "row: its bits/s column ($row)"
	else
		bad "row without a bits/s figure: $row"
	fi
else
	bad "no row '$p_reg/tcp  registered for http-alt' within 15 s"
	show_failure view
fi
# The clients send zero bytes: on http-alt, whose services speak HTTP,
# that payload differs from the registration (it looks like nothing known).
if wait_screen view 15 '^payload +differs in [1-9][0-9]* flows since start'; then
	ok "header: payload differs in $(sed -n 's/^payload *differs in \([0-9]*\).*/\1/p' "$tmp/screen") flows since start"
	row=$(grep -E "^ *$p_reg/tcp +registered for http-alt " "$tmp/screen")
	# The last two figures before the flags: agr% and dif%.
	if [[ $row =~ \ -\ +(100|[1-9][0-9]?)%\ *$ ]]; then
		ok "row: dif% ${BASH_REMATCH[1]}% for $p_reg/tcp, agr% -"
	else
		bad "row without agr% - and a dif% share: $row"
	fi
else
	bad "the header never says payload differs in some flows"
	show_failure view
fi
if wait_screen view 10 '^services .*[1-9][0-9]* unregistered/unknown hidden'; then
	ok "the unregistered port is counted as hidden"
	if grep -Eq "^ *$p_unreg/tcp " "$tmp/screen"; then
		bad "the unregistered port $p_unreg has a row before u"
	else
		ok "the unregistered port $p_unreg has no row before u"
	fi
else
	bad "the header never counts a hidden unregistered service"
	show_failure view
fi
if ! grep -q '^portnote live .*sort: bytes/s' "$tmp/screen"; then
	bad "the default sort label is not bytes/s"
fi

tm send-keys -t view p
if wait_screen view 3 '^portnote live .*sort: packets/s'; then
	ok "key p: sorted by packets/s"
else
	bad "key p: the sort label does not say packets/s"
	show_failure view
fi
if tm send-keys -t view u && wait_screen view 3 "^ *$p_unreg/tcp +(unregistered|unnamed) "; then
	ok "key u: $p_unreg/tcp unregistered gets a row"
else
	bad "key u: no row for $p_unreg/tcp"
	show_failure view
fi
# Zeros to an unregistered port are unverified, not differing: key d
# keeps only the http-alt row, and d again brings the other back.
if tm send-keys -t view d &&
	wait_screen view 3 '^services .*only those with differing flows' &&
	grep -Eq "^ *$p_reg/tcp +registered for http-alt " "$tmp/screen" &&
	! grep -Eq "^ *$p_unreg/tcp " "$tmp/screen"; then
	ok "key d: only $p_reg/tcp, the service with differing flows"
else
	bad "key d: not only the differing service listed"
	show_failure view
fi
if tm send-keys -t view d && wait_screen view 3 "^ *$p_unreg/tcp +(unregistered|unnamed) "; then
	ok "key d again: $p_unreg/tcp is listed again"
else
	bad "key d again: no row for $p_unreg/tcp"
	show_failure view
fi
if tm send-keys -t view f && wait_screen view 3 '^portnote live .*sort: active flows'; then
	ok "key f: sorted by active flows"
else
	bad "key f: the sort label does not say active flows"
fi
tm send-keys -t view b
wait_screen view 3 '^portnote live .*sort: bytes/s' ||
	bad "key b: the sort label does not say bytes/s"

tm send-keys -t view ' '
if wait_screen view 3 '^portnote live .*PAUSED'; then
	up1=$(sed -n 's/^portnote live .* up \([0-9:]*\) .*/\1/p' "$tmp/screen")
	sleep 2.5
	screen view >"$tmp/screen"
	up2=$(sed -n 's/^portnote live .* up \([0-9:]*\) .*/\1/p' "$tmp/screen")
	if [[ -n $up1 && $up1 == "$up2" ]]; then
		ok "space: PAUSED, the view stands still (up $up1)"
	else
		bad "space: paused, but the elapsed time moved from '$up1' to '$up2'"
	fi
	tm send-keys -t view ' '
	if wait_screen_without view 3 PAUSED && sleep 1.5 &&
		screen view >"$tmp/screen" &&
		up3=$(sed -n 's/^portnote live .* up \([0-9:]*\) .*/\1/p' "$tmp/screen") &&
		[[ $up3 != "$up1" ]]; then
		ok "space again: running (up $up3)"
		cp "$tmp/screen" "$tmp/capture.txt"
	else
		bad "space again: still paused or frozen"
		show_failure view
	fi
else
	bad "space: the view does not say PAUSED"
	show_failure view
fi

tm send-keys -t view q
if wait_file "$tmp/view.exit" 5; then
	if [[ $(cat "$tmp/view.exit") == EXIT=0 ]]; then
		ok "key q: portnote exits 0"
	else
		bad "key q: portnote exits with $(cat "$tmp/view.exit")"
		show_failure view
	fi
	terminal_sane view "q"
else
	bad "key q: portnote still running 5 s later"
	show_failure view
fi

# 5. A key before the first snapshot, then Ctrl-C, which ends the view as
# cleanly as q.
run intr 3
if wait_screen intr 10 '^portnote live +waiting'; then
	tm send-keys -t intr p
	if wait_screen intr 8 '^portnote live +interface lo .*sort: packets/s'; then
		ok "key p before the first snapshot: the first one is sorted by packets/s"
	else
		bad "key p before the first snapshot: no view sorted by packets/s"
		show_failure intr
	fi
else
	bad "second run: no waiting screen within 10 s"
	show_failure intr
fi
if wait_screen intr 2 '^portnote live +interface lo '; then
	tm send-keys -t intr C-c
	if wait_file "$tmp/intr.exit" 5; then
		ok "Ctrl-C: portnote exits ($(cat "$tmp/intr.exit")) within 5 s"
		terminal_sane intr "Ctrl-C"
	else
		bad "Ctrl-C: portnote still running 5 s later"
		show_failure intr
	fi
elif [[ -e "$tmp/intr.exit" ]]; then
	bad "second run: portnote ended before Ctrl-C ($(cat "$tmp/intr.exit"))"
else
	bad "second run: no view to send Ctrl-C to"
	show_failure intr
fi

if cat "$tmp"/*.err 2>/dev/null | grep -Eq 'Sanitizer|runtime error:'; then
	bad "sanitizer report from portnote:"
	cat "$tmp"/*.err | grep -E -A20 'Sanitizer|runtime error:' | head -40
else
	ok "no sanitizer report on stderr"
fi

echo "the view, as captured (120x40):"
sed 's/^/  | /' "$tmp/capture.txt" 2>/dev/null
finish
