#!/usr/bin/env bash
# live_signals.sh PORTNOTE SRCDIR — no signal loses what `live` had taken.
#
# In a network namespace of its own, `portnote live -i lo --flows-out F`
# sees 20 UDP flows (20 source ports to 5353), then gets a signal:
#   SIGINT, SIGTERM, SIGHUP  the run ends as asked: exit 0, the final stats
#                            report on standard output, 20 lines in F;
#   SIGUSR1, SIGALRM         the run ends with its outputs whole, then
#                            portnote dies of the signal as its default
#                            would (status 128+N): 20 lines in F, and the
#                            report;
#   SIGPIPE                  `live --format json | head -1`: the reader goes
#                            away; portnote ends by itself (no kill needed)
#                            with 20 lines in F and no message, then dies of
#                            SIGPIPE as its default would (status 141).
# Exit 77 when not root or without ip/socat.
set -uo pipefail
portnote=${1:?usage: live_signals.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: live_signals.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC
# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"

need_root "network namespaces, capture"
need_tools ip socat

ns=pn-sig-$$
tmp=$(mktemp -d)
chmod 1777 "$tmp"
pids=()
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
	local p
	# Whatever still runs in the namespace (a live run whose reader hung)
	# goes first, so nothing outlives the test.
	ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
netns_up "$ns"
N=20

traffic() {
	local i
	for ((i = 0; i < N; i++)); do
		printf 'q%d' "$i" |
			ip netns exec "$ns" socat -u STDIN UDP:127.0.0.1:5353,sourceport=$((41000 + i))
	done
}

# Waits until the live run has seen the traffic (a JSON snapshot gives
# mdns all N flows), at most 10 s.
wait_seen() {
	local out=$1 i
	for ((i = 0; i < 100; i++)); do
		grep -o '{"service":"mdns"[^}]*}' "$out" 2>/dev/null |
			grep -E "\"flows\":$N[,}]" >/dev/null && return 0
		sleep 0.1
	done
	return 1
}

lines() { grep -c '"type":"flow"' "$1" 2>/dev/null || echo 0; }

for sig in ${SIGNALS:-INT TERM HUP USR1 ALRM}; do
	out=$tmp/$sig.out flows=$tmp/$sig.flows
	ip netns exec "$ns" "$portnote" live -i lo --interval 0.5 --format json \
		--flows-out "$flows" >"$out" 2>"$tmp/$sig.err" &
	pid=$!
	pids+=("$pid")
	sleep 1
	traffic
	if ! wait_seen "$out"; then
		bad "SIG$sig: live did not show the $N flows: $(tail -c 300 "$out")"
		kill -KILL "$pid"
		continue
	fi
	kill -s "$sig" "$pid"
	wait "$pid"
	rc=$?
	n=$(lines "$flows")
	case $sig in
	INT | TERM | HUP) want=0 ;;
	*) want=$((128 + $(kill -l "$sig"))) ;;
	esac
	if [[ $rc -eq $want ]]; then
		ok "SIG$sig: exit $rc"
	else
		bad "SIG$sig: exit $rc, expected $want: $(tail -2 "$tmp/$sig.err")"
	fi
	if [[ $n -eq $N ]]; then
		ok "SIG$sig: --flows-out holds all $N flows"
	else
		bad "SIG$sig: --flows-out holds $n lines, expected $N"
	fi
	if grep -q '"type":"stats"' "$out"; then
		ok "SIG$sig: the final report was written"
	else
		bad "SIG$sig: no final report"
	fi
done

# SIGPIPE: the reader of standard output goes away after one line.
flows=$tmp/pipe.flows
(
	ip netns exec "$ns" "$portnote" live -i lo --interval 0.5 --format json \
		--flows-out "$flows" 2>"$tmp/pipe.err" | {
		# Once the traffic has been seen, read one line and go away.
		until [[ -e $tmp/go ]]; do sleep 0.1; done
		head -n 1 >/dev/null
	}
	echo "${PIPESTATUS[0]}" >"$tmp/pipe.rc"
) &
sub=$!
pids+=("$sub")
sleep 1
traffic
sleep 1.5
touch "$tmp/go"
for ((i = 0; i < 100; i++)); do
	[[ -s $tmp/pipe.rc ]] && break
	sleep 0.1
done
if [[ -s $tmp/pipe.rc ]]; then
	rc=$(cat "$tmp/pipe.rc")
	if [[ $rc -eq 141 ]]; then
		ok "SIGPIPE: live ended by itself, its outputs whole, then died of SIGPIPE (141) as by default"
	else
		bad "SIGPIPE: exit $rc: $(cat "$tmp/pipe.err")"
	fi
	n=$(lines "$flows")
	if [[ $n -eq $N ]]; then
		ok "SIGPIPE: --flows-out holds all $N flows"
	else
		bad "SIGPIPE: --flows-out holds $n lines, expected $N"
	fi
	if grep -q "Broken pipe\|write error" "$tmp/pipe.err"; then
		bad "SIGPIPE: a message about the closed pipe: $(cat "$tmp/pipe.err")"
	else
		ok "SIGPIPE: no message about the reader going away"
	fi
else
	bad "SIGPIPE: live still running 10 s after its reader went away"
fi

finish
