#!/usr/bin/env bash
# `portnote audit` on rulesets as people actually run them: no false alarm
# on what a rule does not say, no blind spot on what it does.
#   usage: audit_real.sh PORTNOTE SRCDIR
#
#   1. issue-classes (ICMP, ICMPv6, GRE, ESP, a set allow-list, multiport
#      --ports, ! --syn; in all three forms): no high or medium finding,
#      nothing at all on the portless protocols, nothing worded as tcp.
#   2. ordinary-host in all three forms (with and without its ipsets), and
#      ufw.iptables, written by ufw itself: nothing above low.
#      ICMP packets of captures/icmp.pcap meet the ICMP type rules.
#   3. docker.iptables: the accepting INPUT policy is all-ports (high); the
#      DNAT rule publishes 8080/tcp to 172.17.0.2:80; flows of
#      captures/demo.pcap to 8080 go through the forward hook and are
#      accepted by Docker's own rule.
#   4. blocklist.iptables with captures/demo.pcap: without --ipsets every
#      flow is still audited (none undetermined) and said to assume "not in
#      set"; with blocklist.ipset the set rule drops exactly the flows from
#      its members (less the nomatch exception).
#   5. Refusals, exit 2: an empty file, comments only, a save without a
#      filter table, empty nft JSON, nft's text syntax, a bad ipset file.
#   6. The plain list names ports by service.
# Needs jq (exit 77 without it). Prints "N passed, M failed".
set -uo pipefail
portnote=${1:?usage: audit_real.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: audit_real.sh PORTNOTE SRCDIR}
export LC_ALL=C TZ=UTC
rules=$srcdir/tests/rules
demo=$srcdir/captures/demo.pcap

if ! command -v jq >/dev/null 2>&1; then
	echo "skip: jq is not installed (apt-get install jq)"
	exit 77
fi
# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# audit NAME ARGS...: JSON report in $tmp/NAME.json, exit status in $rc.
audit() {
	local name=$1
	shift
	"$portnote" audit --format json --fail-on never "$@" \
		>"$tmp/$name.json" 2>"$tmp/$name.err"
	rc=$?
}

# count NAME FILTER: jq -r FILTER of report NAME
q() {
	jq -r "$2" "$tmp/$1.json"
}

# 1. classes of rules that once raised false alarms
for form in iptables nft.json rules; do
	audit "ic-$form" --rules "$rules/issue-classes.$form"
	n=$(q "ic-$form" '[.findings[] | select(.severity == "high" or .severity == "medium")] | length')
	[[ $rc == 0 && $n == 0 ]] && ok "issue-classes.$form: no high or medium finding" ||
		bad "issue-classes.$form: rc $rc, $n high or medium findings: $(q "ic-$form" '[.findings[] | .message] | join("; ")')"
	n=$(q "ic-$form" '[.findings[] | select(.rule.number <= 4)] | length')
	[[ $n == 0 ]] && ok "issue-classes.$form: nothing on ICMP, ICMPv6, GRE, ESP" ||
		bad "issue-classes.$form: $n findings on the portless protocols"
	n=$(q "ic-$form" '[.rules[] | select(.number <= 4) | .opens[]] | length')
	[[ $n == 0 ]] && ok "issue-classes.$form: the portless protocols open no ports" ||
		bad "issue-classes.$form: the portless protocols open $n transports"
done
n=$(q ic-iptables '[.rules[] | select(.number == 6) | .opens[] | .ports] | join(" ")')
[[ $n == "80,443" ]] && ok "multiport --ports 80,443 opens 80,443/tcp" ||
	bad "multiport --ports 80,443 opens '$n'"
n=$(q ic-iptables '[.rules[] | select(.number == 7) | .opens[]] | length')
[[ $n == 0 ]] && ok "! --syn opens no port for new connections" ||
	bad "! --syn opens $n transports"

# 2. ordinary firewalls audit clean
for args in "ordinary-host.iptables" "ordinary-host.iptables --ipsets $rules/ordinary-host.ipset" \
	"ordinary-host.nft.json" "ordinary-host.rules" "ufw.iptables"; do
	set -- $args
	file=$1
	shift
	audit oh --rules "$rules/$file" "$@"
	n=$(q oh '[.findings[] | select(.severity != "info" and .severity != "low")] | length')
	[[ $rc == 0 && $n == 0 ]] && ok "$args: nothing above low" ||
		bad "$args: rc $rc: $(q oh '[.findings[] | select(.severity != "info") | .message] | join("; ")')"
done
audit oh --rules "$rules/ordinary-host.iptables" -r "$demo" --ipsets "$rules/ordinary-host.ipset"
n=$(q oh '.summary.undetermined_flows')
[[ $rc == 0 && $n == 0 ]] && ok "ordinary-host with traffic: no undetermined flow" ||
	bad "ordinary-host with traffic: rc $rc, $n undetermined flows"

# ICMP is evaluated packet by packet: echo requests by the rules that name
# their type, replies as part of an established exchange.
audit icmp --rules "$rules/ordinary-host.iptables" --ipsets "$rules/ordinary-host.ipset" \
	-r "$srcdir/captures/icmp.pcap"
n=$(q icmp '[.rules[] | select(.traffic.flows > 0) | "\(.number):\(.traffic.flows)"] | join(" ")')
[[ $n == "1:2 5:2 1:2 8:2" && $(q icmp '.summary.flows') == 8 ]] &&
	ok "ICMP: requests accepted by the echo-request rules, replies as established" ||
	bad "ICMP: rules and flows '$n'"

# 3. a Docker host
audit docker --rules "$rules/docker.iptables"
n=$(q docker '[.findings[] | select(.kind == "all-ports" and .severity == "high" and .rule == null and .chain.chain == "INPUT")] | length')
[[ $n == 1 ]] && ok "docker: the accepting INPUT policy is all-ports (high)" ||
	bad "docker: $n all-ports findings on the INPUT policy"
n=$(q docker '[.rules[] | select(.verdict == "dnat") | .opens[] | "\(.ports)/\(.transport) \(.forwarded_to)"] | join(",")')
[[ $n == "8080/tcp 172.17.0.2:80" ]] && ok "docker: publishes 8080/tcp to 172.17.0.2:80" ||
	bad "docker: published '$n'"
audit docker-t --rules "$rules/docker.iptables" -r "$demo"
n=$(q docker-t '[.rules[] | select(.chain == "DOCKER" and .table == "filter" and .number == 1) | .traffic.flows] | add')
m=$("$portnote" flows -r "$demo" --format json 2>/dev/null |
	jq -s '[.[] | select(.type == "flow" and .transport == "tcp" and .server_port == 8080)] | length')
[[ $n == "$m" && $m -gt 0 ]] && ok "docker: the $m flows to 8080 are accepted by DOCKER rule 1 (forward hook)" ||
	bad "docker: DOCKER rule 1 decided $n flows, the capture has $m to 8080"

# 4. sets decide traffic
audit bl --rules "$rules/blocklist.iptables" -r "$demo"
flows=$(q bl '.summary.flows')
n=$(q bl '.summary.undetermined_flows')
a=$(q bl '.summary.assumed_not_in_set_flows')
[[ $n == 0 && $a == "$flows" && $flows -gt 0 ]] && ok "blocklist without --ipsets: $flows flows audited, all assuming not in the set" ||
	bad "blocklist without --ipsets: $n undetermined, $a assumed of $flows"
n=$(q bl '[.findings[] | select(.kind == "assumed-not-in-set")] | length')
[[ $n -gt 0 ]] && ok "blocklist without --ipsets: the assumption is a finding" ||
	bad "blocklist without --ipsets: no assumed-not-in-set finding"
audit bl2 --rules "$rules/blocklist.iptables" -r "$demo" --ipsets "$rules/blocklist.ipset"
n=$(q bl2 '[.rules[] | select(.number == 2 and .chain == "INPUT") | .traffic.flows] | add')
m=$("$portnote" flows -r "$demo" --format json 2>/dev/null |
	jq -s '[.[] | select(.type == "flow") | select((.client | startswith("10.0.100.")) and .client != "10.0.100.25")] | length')
[[ $n == "$m" && $m -gt 0 ]] && ok "blocklist with --ipsets: the set rule drops the $m flows of its members" ||
	bad "blocklist with --ipsets: the set rule decided $n flows, the members sent $m"
a=$(q bl2 '.summary.assumed_not_in_set_flows')
[[ $a == 0 ]] && ok "blocklist with --ipsets: nothing assumed" || bad "blocklist with --ipsets: $a assumed"

# 5. refused
printf '' >"$tmp/empty"
printf '# iptables-save failed\n\n' >"$tmp/comments"
printf '*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n' >"$tmp/natonly"
printf '{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}]}\n' >"$tmp/empty.json"
for f in empty comments natonly empty.json; do
	"$portnote" audit --rules "$tmp/$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[[ $rc == 2 && ! -s $tmp/out ]] && grep -q "no base chain" "$tmp/err" &&
		ok "$f ruleset refused (exit 2)" || bad "$f ruleset: exit $rc, $(cat "$tmp/err")"
done
printf '#!/usr/sbin/nft -f\nflush ruleset\ntable inet filter {\n}\n' >"$tmp/text.nft"
"$portnote" audit --rules "$tmp/text.nft" >"$tmp/out" 2>"$tmp/err"
rc=$?
[[ $rc == 2 ]] && grep -q "text.nft:2: 'flush'.*nft -j list ruleset" "$tmp/err" &&
	ok "nft text syntax: answered with 'nft -j list ruleset'" || bad "nft text: exit $rc, $(cat "$tmp/err")"
printf 'create a hash:net family inet\nadd a 10.0.0.0/33\n' >"$tmp/bad.ipset"
"$portnote" audit --rules "$rules/blocklist.iptables" --ipsets "$tmp/bad.ipset" >"$tmp/out" 2>"$tmp/err"
rc=$?
[[ $rc == 2 ]] && grep -q "bad.ipset:2: bad IPv4 address" "$tmp/err" &&
	ok "bad ipset file: FILE:LINE, exit 2" || bad "bad ipset: exit $rc, $(cat "$tmp/err")"

# 6. service names in the plain list
printf 'allow tcp ssh,https\nallow udp domain\n' >"$tmp/names.rules"
audit names --rules "$tmp/names.rules"
n=$(q names '[.rules[] | .opens[] | "\(.ports)/\(.transport)"] | join(" ")')
[[ $n == "22,443/tcp 53/udp" ]] && ok "plain: 'allow tcp ssh,https' opens 22,443/tcp" ||
	bad "plain service names open '$n'"
printf 'allow tcp ssh\nallow tcp no-such-service\n' >"$tmp/bad.rules"
"$portnote" audit --rules "$tmp/bad.rules" >"$tmp/out" 2>"$tmp/err"
rc=$?
[[ $rc == 2 ]] && grep -q "bad.rules:2: 'no-such-service'" "$tmp/err" &&
	ok "plain: an unknown service name is FILE:LINE, exit 2" || bad "unknown name: exit $rc, $(cat "$tmp/err")"

finish
