#!/usr/bin/env bash
# `portnote audit`'s traffic audit against the kernel's own firewall.
#   usage: audit_netns.sh PORTNOTE SRCDIR
#
# For tests/rules/host.iptables and tests/rules/host.nft.json (the same
# file feeds the kernel and portnote): two network namespaces joined by a
# veth pair (client 192.0.2.1 plus 198.51.100.7 and 203.0.113.5 on pnveth0;
# server 192.0.2.2 on pnveth1), the ruleset loaded in the server's
# namespace, tcpdump capturing what comes in on pnveth1, and one
# single-packet probe per flow from the client: UDP datagrams (one of them
# fragmented, which the kernel reassembles before INPUT) and TCP SYNs
# (connect attempts cut off after 0.3 s, before a SYN retransmission) to
# ports that are accepted, rejected, dropped by a rule, shadowed, or fall
# to the policy, and one datagram from port 53 to a dynamic port (the
# kernel judges it by its destination, whatever the ports suggest).
# An accepted SYN meets no listener; the server's RST goes out, not
# through INPUT, so every probe is exactly one packet in INPUT.
#
# The kernel is the reference. After each probe the per-rule packet
# counters (iptables-save -c; nft's counter statements) tell which rule
# decided it, or none (the policy); a counter of everything that comes in
# on pnveth1 (a table of the test's own at priority raw) waits for the
# probe to arrive and proves there was nothing else. Then portnote audit
# -r CAPTURE --in-interface pnveth1 must give:
#   - each probe alone (cut from the capture by its source port): the same
#     deciding rule, or the policy;
#   - the whole capture: per rule traffic.flows and .packets equal to the
#     kernel's counter, the policy's flows equal to the probes no rule
#     counted, no undetermined flow, as many flows as probes.
# tests/rules/host.rules, the plain form of the same ruleset, must give the
# same on the capture of the iptables run.
# Then tests/rules/ordinary-host.iptables with ordinary-host.ipset loaded
# by `ipset restore`: probes from the admin and blocklist sets, ICMP echo
# requests (ping), the same comparisons.
# Needs root, ip (netns), nft, iptables-restore/-save, ipset, ping,
# tcpdump, socat and jq; exits 77 without them. Takes about 13 s (20 s under ASan).
# KEEP=1 keeps the captures and reports in the temporary directory.
# Prints "N passed, M failed".
set -uo pipefail
portnote=${1:?usage: audit_netns.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: audit_netns.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC
rules=$srcdir/tests/rules

skip() {
	echo "skip: $*"
	exit 77
}
[[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces and firewall rules)"
for t in ip nft iptables-restore iptables-save ipset ping tcpdump socat jq timeout; do
	command -v "$t" >/dev/null 2>&1 ||
		skip "$t is not installed (scripts/deps --test)"
done

# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"

tmp=$(mktemp -d)
cli=pn-cli-$$
srv=pn-srv-$$
td_pid=''
kernel_of=()    # per probe: the rule number that decided it, or "policy"
kcounts=''      # file: "NUMBER PACKETS" per rule, at the end of the probes
# shellcheck disable=SC2317  # run by the EXIT trap and between forms
teardown() {
	if [[ -n $td_pid ]]; then
		kill -TERM "$td_pid" 2>/dev/null
		wait "$td_pid" 2>/dev/null
		td_pid=''
	fi
	ip netns del "$cli" 2>/dev/null
	ip netns del "$srv" 2>/dev/null
}
# shellcheck disable=SC2317
cleanup() {
	teardown
	[[ -n ${KEEP:-} ]] || rm -rf "$tmp"
}
trap cleanup EXIT

in_srv() { ip netns exec "$srv" "$@"; }
in_cli() { ip netns exec "$cli" "$@"; }

# Two namespaces and the veth between them; IPv6 off so that no router
# solicitation or MLD report comes in beside the probes.
setup() {
	local ns
	ip netns add "$cli" && ip netns add "$srv" || return 1
	for ns in "$cli" "$srv"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 || return 1
		ip -n "$ns" link set lo up || return 1
	done
	ip link add pnveth0 netns "$cli" type veth peer name pnveth1 \
		netns "$srv" || return 1
	ip -n "$cli" addr add 192.0.2.1/24 dev pnveth0 &&
		ip -n "$cli" addr add 198.51.100.7/32 dev pnveth0 &&
		ip -n "$cli" addr add 203.0.113.5/32 dev pnveth0 &&
		ip -n "$srv" addr add 192.0.2.2/24 dev pnveth1 &&
		ip -n "$cli" link set pnveth0 up &&
		ip -n "$srv" link set pnveth1 up || return 1
	# Routes back to the client's other addresses, and no reverse-path
	# filter, so that no probe is dropped before INPUT.
	ip -n "$srv" route add 198.51.100.0/24 dev pnveth1 &&
		ip -n "$srv" route add 203.0.113.0/24 dev pnveth1 &&
		in_srv sysctl -qw net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.pnveth1.rp_filter=0
}

# The probes: PROTO SOURCE[:SPORT] DPORT RULE, RULE being the rule of
# tests/rules/host.* meant to decide (a check on the test itself; the
# kernel's counters are what portnote is compared with). Without SPORT,
# probe i is sent from port 40001 + i; every probe has its own source port.
probes_host=(
	"tcp 198.51.100.7 22 3"    # ssh from the admin network
	"tcp 192.0.2.1 22 policy"  # ssh from elsewhere
	"tcp 192.0.2.1 80 4"       # web server
	"tcp 203.0.113.5 443 4"    # the crawler: rule 11 is shadowed by 4
	"udp 192.0.2.1 53 5"       # dns
	"udp 198.51.100.7 123 5"   # ntp
	"udpfrag 192.0.2.1 123 5"  # ntp, 3000 bytes in 3 fragments
	"tcp 192.0.2.1 113 6"      # ident: rejected
	"tcp 192.0.2.1 2222 7"     # "ssh" on 2222
	"tcp 192.0.2.1 6003 8"     # x11 range
	"tcp 203.0.113.5 994 9"    # reserved port
	"tcp 192.0.2.1 25565 10"   # unassigned port
	"tcp 192.0.2.1 8080 policy"
	"tcp 192.0.2.1 53 policy"  # dns over tcp is not open
	"tcp 203.0.113.5 3306 policy"
	"udp 192.0.2.1 5353 14"    # all udp
	"udp 203.0.113.5 60000 14" # all udp, a dynamic port
	"udp 198.51.100.7 161 14"  # all udp
	# From port 53 to a dynamic port, as a late DNS answer looks: the
	# server is the destination, whatever the ports suggest.
	"udp 192.0.2.1:53 50000 14"
)
# tests/rules/ordinary-host.iptables with its ipsets: ICMP types, an
# admin allow-list and a blocklist (hash:net), as an ordinary host has.
probes_ordinary=(
	"tcp 198.51.100.7 22 8"   # ssh from the admin set
	"tcp 192.0.2.1 22 8"      # 192.0.2.0/24 is in the admin set too
	"tcp 203.0.113.5 22 4"    # the blocklist set
	"tcp 203.0.113.5 80 4"    # the blocklist comes before the web server
	"tcp 192.0.2.1 80 9"      # web server
	"udp 192.0.2.1 53 10"     # dns
	"tcp 192.0.2.1 53 11"     # dns over tcp
	"udp 198.51.100.7 123 12" # ntp
	"tcp 192.0.2.1 8080 policy"
	"icmp 192.0.2.1 - 5"      # echo request
	"icmp 203.0.113.5 - 4"    # echo request from the blocklist
)

# Everything that came in on pnveth1, counted before the filter table.
add_probe_counter() {
	in_srv nft -f - <<'EOF'
table ip pn_probe {
	chain count {
		type filter hook input priority raw; policy accept;
		iifname "pnveth1" counter
	}
}
EOF
}
arrived() {
	in_srv nft -j list table ip pn_probe |
		jq '[.nftables[].rule? // empty | .expr[] | .counter? // empty | .packets] | add // 0'
}

# kernel_counters FORM: "NUMBER PACKETS" per rule of the input chain, in
# order; "missing" for a rule without a counter.
kernel_counters() {
	if [[ $1 == iptables* ]]; then
		in_srv iptables-save -c -t filter |
			awk '$2 == "-A" && $3 == "INPUT" {
				n++; split(substr($1, 2), c, ":"); print n, c[1] }'
	else
		in_srv nft -j list table ip filter | jq -r '
			[.nftables[].rule? // empty | select(.chain == "input")]
			| to_entries[] | "\(.key + 1) \([.value.expr[]
			  | .counter? // empty | .packets] | first // "missing")"'
	fi
}

# send PROTO SOURCE SPORT DPORT: one packet into the server's INPUT.
# udpfrag: a datagram larger than the MTU, sent in fragments; the kernel
# reassembles it before INPUT, portnote sees its ports in the first one.
send() {
	if [[ $1 == udp ]]; then
		printf 'portnote probe' | in_cli timeout 2 socat -t 0.05 -u - \
			"UDP-SENDTO:192.0.2.2:$4,bind=$2:$3" 2>/dev/null
	elif [[ $1 == udpfrag ]]; then
		head -c 3000 /dev/zero | in_cli timeout 2 socat -t 0.05 -u - \
			"UDP-SENDTO:192.0.2.2:$4,bind=$2:$3" 2>/dev/null
	elif [[ $1 == icmp ]]; then
		# the echo reply leaves through OUTPUT: one packet in INPUT
		in_cli timeout 2 ping -n -q -c 1 -W 1 -I "$2" 192.0.2.2 \
			>/dev/null 2>&1
	else
		in_cli timeout 2 socat -u /dev/null \
			"TCP:192.0.2.2:$4,bind=$2:$3,connect-timeout=0.3" 2>/dev/null
	fi
	return 0
}

# The packets of probe i in a capture: by its source port, or for ICMP by
# its source address (one ICMP probe per source).
probe_filter() {
	if [[ $1 == icmp ]]; then
		echo "icmp and src host $2"
	else
		echo "ip and src port $3"
	fi
}

# run_form FORM FILE [IPSETS]: with the probes of $probes
run_form() {
	local form=$1 file=$2 i n=${#probes[@]} before now k
	ipsets=${3:-}
	local proto src dport want sport got
	echo "== $form: $file"
	teardown
	if ! setup 2>"$tmp/setup.err"; then
		if [[ $form == iptables ]]; then
			skip "cannot set up network namespaces: $(head -1 "$tmp/setup.err")"
		fi
		bad "$form: network namespaces: $(head -1 "$tmp/setup.err")"
		return
	fi
	if ! add_probe_counter 2>"$tmp/load.err"; then
		skip "no nftables in this kernel: $(head -1 "$tmp/load.err")"
	fi
	if [[ -n $ipsets ]] && ! in_srv ipset restore <"$ipsets" 2>"$tmp/load.err"; then
		bad "$form: the kernel refused $ipsets: $(head -3 "$tmp/load.err")"
		return
	fi
	if [[ $form == iptables* ]]; then
		in_srv iptables-restore <"$file" 2>"$tmp/load.err"
	else
		in_srv nft -j -f "$file" 2>"$tmp/load.err"
	fi
	# shellcheck disable=SC2181
	if [[ $? -ne 0 ]]; then
		bad "$form: the kernel refused $file: $(head -3 "$tmp/load.err")"
		return
	fi
	kernel_counters "$form" >"$tmp/prev"
	if grep -q missing "$tmp/prev"; then
		bad "$form: a rule of $file has no counter; every rule needs one"
		return
	fi

	local cap=$tmp/$form.pcap
	in_srv tcpdump -Z root -i pnveth1 -Q in -U --immediate-mode -n \
		-w "$cap" 2>"$tmp/tcpdump.err" &
	td_pid=$!
	# Up to 30 s: CTest may run the soak test's load on both cores at the
	# same time, and tcpdump then took over 5 s to start (CI, 2026-12-07).
	for ((i = 0; i < 600; i++)); do
		grep -qs 'listening on' "$tmp/tcpdump.err" && break
		kill -0 "$td_pid" 2>/dev/null || break
		sleep 0.05
	done
	if ! grep -qs 'listening on' "$tmp/tcpdump.err"; then
		bad "$form: tcpdump did not start: $(head -2 "$tmp/tcpdump.err")"
		return
	fi

	# Each probe: send, wait for it in the raw-priority counter, and see
	# which rule counter moved.
	kernel_of=()
	for ((i = 0; i < n; i++)); do
		read -r proto src dport want <<<"${probes[i]}"
		sport=$((40001 + i))
		if [[ $src == *:* ]]; then
			sport=${src#*:} src=${src%:*}
		fi
		before=$(arrived)
		send "$proto" "$src" "$sport" "$dport"
		for ((k = 0; k < 200; k++)); do
			now=$(arrived)
			((now > before)) && break
			sleep 0.01
		done
		kernel_counters "$form" >"$tmp/now"
		got=$(awk 'NR == FNR { p[$1] = $2; next }
			$2 != p[$1] { printf "%s%s", sep, $1; sep = "," }' \
			"$tmp/prev" "$tmp/now")
		mv "$tmp/now" "$tmp/prev"
		if ((now != before + 1)); then
			bad "$form: probe $proto $src:$sport -> :$dport: $((now - before)) packets came in, not 1"
			got="?"
		fi
		[[ -z $got ]] && got=policy
		kernel_of[i]=$got
		if [[ $got != "$want" ]]; then
			bad "$form: (test setup) probe $proto $src -> :$dport was decided by the kernel's rule $got, the test expects $want"
		fi
	done
	sleep 0.2
	now=$(arrived)
	if ((now == n)); then
		ok "$form: $n probes, $n packets came in"
	else
		bad "$form: $n probes, but $now packets came in"
	fi
	kill -TERM "$td_pid" 2>/dev/null
	wait "$td_pid" 2>/dev/null
	td_pid=''
	local captured
	# Later fragments left out: the kernel sees a datagram once.
	captured=$(tcpdump -r "$cap" -n 'ip and ip[6:2] & 0x1fff == 0' \
		2>/dev/null | wc -l)
	if ((captured != n)); then
		bad "$form: the capture holds $captured IPv4 packets (first fragments), not $n"
	fi

	# The kernel's totals: per rule, and the policy (probes no rule took).
	kcounts=$tmp/kernel.$form
	kernel_counters "$form" >"$kcounts"
	local kpolicy
	kpolicy=$(awk -v n="$n" '{ s += $2 } END { print n - s }' "$kcounts")
	if [[ $form == iptables* ]]; then
		local cpolicy
		cpolicy=$(in_srv iptables-save -c -t filter |
			sed -n 's/^:INPUT DROP \[\([0-9]*\):.*/\1/p')
		[[ $cpolicy == "$kpolicy" ]] ||
			bad "$form: INPUT's policy counter says $cpolicy, the rule counters leave $kpolicy"
	fi

	compare_totals "$form" "$file" "$cap" "$kpolicy"
	compare_probes "$form" "$file" "$cap"
	# The plain form says what host.iptables says: portnote must read the
	# kernel's decisions from it as well.
	if [[ $form == iptables && $file == "$rules/host.iptables" ]]; then
		compare_totals "plain" "$rules/host.rules" "$cap" "$kpolicy"
		compare_probes "plain" "$rules/host.rules" "$cap"
	fi
}

# compare_totals LABEL FILE CAPTURE KPOLICY: portnote on the whole capture
# against the kernel's counters ($kcounts) and policy count.
compare_totals() {
	local form=$1 file=$2 cap=$3 kpolicy=$4 n=${#probes[@]}
	local out=$tmp/$form.json status
	"$portnote" audit --rules "$file" ${ipsets:+--ipsets "$ipsets"} \
		-r "$cap" --in-interface pnveth1 \
		--format json >"$out" 2>"$tmp/$form.err"
	status=$?
	if [[ $status -gt 1 ]] || ! jq -e .summary "$out" >/dev/null 2>&1; then
		bad "$form: portnote audit exits $status: $(grep -v 'registry snapshot' "$tmp/$form.err" | head -3)"
		return
	fi
	jq -r '.rules[] | select(.chain | ascii_downcase == "input")
		| "\(.number) \(.traffic.flows) \(.traffic.packets)"' "$out" \
		>"$tmp/pn.$form"
	local num kp pf pp
	while read -r num kp; do
		read -r pf pp < <(awk -v n="$num" '$1 == n { print $2, $3 }' "$tmp/pn.$form")
		if [[ "$pf $pp" == "$kp $kp" ]]; then
			ok "$form: rule $num: kernel $kp packets, portnote $pf flows"
		else
			bad "$form: rule $num: kernel counted $kp packets, portnote ${pf:-no rule} flows / ${pp:-?} packets"
		fi
	done <"$kcounts"
	local ppolicy
	ppolicy=$(jq -r '[.policy[] | select(.chain | ascii_downcase == "input")
		| .traffic.flows] | first' "$out")
	if [[ $ppolicy == "$kpolicy" ]]; then
		ok "$form: policy: kernel $kpolicy probes, portnote $ppolicy flows"
	else
		bad "$form: policy: kernel $kpolicy probes, portnote $ppolicy flows"
	fi
	local sum
	sum=$(jq -r '"\(.summary.flows) \(.summary.undetermined_flows) \(.evaluation.traffic) \(.evaluation.in_interface)"' "$out")
	if [[ $sum == "$n 0 true pnveth1" ]]; then
		ok "$form: summary: $n flows, none undetermined, in_interface pnveth1"
	else
		bad "$form: summary: flows, undetermined, traffic, in_interface = $sum; expected $n 0 true pnveth1"
	fi
}

# compare_probes LABEL FILE CAPTURE: each probe alone (cut from the
# capture by its source port): the rule portnote says decided it against
# the kernel's ($kernel_of).
compare_probes() {
	local form=$1 file=$2 cap=$3 n=${#probes[@]} i proto src dport want
	local sport got
	for ((i = 0; i < n; i++)); do
		read -r proto src dport want <<<"${probes[i]}"
		sport=$((40001 + i))
		if [[ $src == *:* ]]; then
			sport=${src#*:} src=${src%:*}
		fi
		tcpdump -r "$cap" -w "$tmp/one.pcap" \
			"$(probe_filter "$proto" "$src" "$sport")" 2>/dev/null
		"$portnote" audit --rules "$file" ${ipsets:+--ipsets "$ipsets"} \
			-r "$tmp/one.pcap" \
			--in-interface pnveth1 --format json >"$tmp/one.json" \
			2>>"$tmp/probes.err"
		got=$(jq -r '[(.rules[] | select(.chain | ascii_downcase == "input")
			| select(.traffic.flows > 0) | .number),
			(.policy[] | select(.chain | ascii_downcase == "input")
			| select(.traffic.flows > 0) | "policy"),
			(select(.summary.undetermined_flows > 0) | "undetermined")]
			| map(tostring) | join(",")' "$tmp/one.json" 2>/dev/null)
		if [[ $got == "${kernel_of[i]}" ]]; then
			ok "$form: $proto $src:$sport -> :$dport: kernel and portnote: $got"
		else
			bad "$form: $proto $src:$sport -> :$dport: kernel ${kernel_of[i]}, portnote ${got:-nothing}"
		fi
	done
}

probes=("${probes_host[@]}")
run_form iptables "$rules/host.iptables"
run_form nft "$rules/host.nft.json"
probes=("${probes_ordinary[@]}")
# Its IPv4 half: iptables-restore takes no ip6tables section.
sed '/^# Generated by ip6tables-save/,$d' "$rules/ordinary-host.iptables" \
	>"$tmp/ordinary-host4.iptables"
run_form iptables-ordinary "$tmp/ordinary-host4.iptables" \
	"$rules/ordinary-host.ipset"
teardown

if grep -Eqs 'Sanitizer|runtime error:' "$tmp"/*.err; then
	bad "sanitizer report from portnote:"
	cat "$tmp"/*.err | grep -E -A20 'Sanitizer|runtime error:' | head -40
fi
finish
