#!/usr/bin/env bash
# Site declarations (--declare FILE) on the committed recordings of real
# servers (captures/evidence/): a declared port is judged against the
# declaration, in every output of flows, stats and audit, and only that
# port; the audit's comment-mismatch takes declarations into account; a
# bad declaration file exits 2 naming FILE:LINE.
#   usage: declarations.sh PORTNOTE SRCDIR
set -uo pipefail
portnote=${1:?usage: declarations.sh PORTNOTE SRCDIR}
srcdir=${2:?usage: declarations.sh PORTNOTE SRCDIR}
export LC_ALL=C

# shellcheck source=tests/lib.sh
. "$srcdir/tests/lib.sh"
for tool in jq python3; do
	command -v $tool >/dev/null 2>&1 || {
		echo "skip: $tool is not installed (apt-get install $tool)"
		exit 77
	}
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ev=$srcdir/captures/evidence
site=$srcdir/tests/fixtures/declare/site.declare
rules=$srcdir/tests/fixtures/declare/bastion.iptables
inputs=(-r "$ev/ssh-on-443-tcp4.pcap" -r "$ev/http-on-25-tcp4.pcap")

# 1. flows: without the declaration SSH on 443 differs; with it, it agrees
#    (declared), and HTTP on 25, not declared, still differs.
"$portnote" flows "${inputs[@]}" --format json >"$tmp/plain.json" 2>/dev/null
"$portnote" flows "${inputs[@]}" --format json --declare "$site" \
	>"$tmp/decl.json" 2>/dev/null
v() { jq -r --argjson p "$2" 'select(.type == "flow" and .server_port == $p)
	| "\(.verdict) \(.expected_from) \(.expected | join(","))"' "$1"; }
[[ $(v "$tmp/plain.json" 443) == "differs registry tls" ]] &&
	ok "443/tcp carrying SSH differs without a declaration" ||
	bad "443/tcp without a declaration: $(v "$tmp/plain.json" 443)"
[[ $(v "$tmp/decl.json" 443) == "agrees declaration ssh" ]] &&
	ok "declared 443/tcp ssh: the SSH flow agrees, expected from the declaration" ||
	bad "declared 443/tcp: $(v "$tmp/decl.json" 443)"
[[ $(v "$tmp/decl.json" 25) == "differs registry smtp" ]] &&
	ok "undeclared 25/tcp still differs against the registry" ||
	bad "25/tcp with the declaration: $(v "$tmp/decl.json" 25)"

text=$("$portnote" flows "${inputs[@]}" --declare "$site" 2>/dev/null)
line=$(grep '\.443: ' <<<"$text")
if [[ $line == *"443 declared here for ssh (registered for https)"* &&
	$line == *"payload looks like SSH ("*"): agrees (declared)"* ]]; then
	ok "text: 443 declared here for ssh (registered for https) ... agrees (declared)"
else
	bad "text line: $line"
fi
if grep '\.25: ' <<<"$text" | grep -q 'declared'; then
	bad "text: the undeclared port 25 mentions a declaration"
else
	ok "text: the undeclared port 25 says nothing of declarations"
fi

csv=$("$portnote" flows "${inputs[@]}" --format csv --declare "$site" 2>/dev/null)
got=$(python3 -c '
import csv, sys
for r in sorted(csv.DictReader(sys.stdin), key=lambda r: int(r["server_port"])):
    print(r["server_port"], r["verdict"], r["expected_from"])' <<<"$csv")
want=$'25 differs registry\n443 agrees declaration'
[[ $got == "$want" ]] && ok "CSV: verdict and expected_from per port" ||
	bad "CSV columns: $got"

# 2. stats: the header names the declarations; a TLS flow on the port
#    declared for ssh differs from the declaration.
st=$("$portnote" stats -r "$ev/tls-on-443-tcp4.pcap" --declare "$site" 2>/dev/null)
grep -q '^# site declarations: 13 ports declared in .*site.declare' <<<"$st" &&
	ok "stats header: 13 ports declared (443, 2222 and 9000-9010/udp)" ||
	bad "stats header: $(grep '^# site' <<<"$st")"
grep -Eq '^443/tcp +declared: ssh +TLS +1 ' <<<"$st" &&
	ok "stats: TLS on 443 differs from the declaration (declared: ssh)" ||
	bad "stats differs section: $(grep '^443/tcp' <<<"$st")"
js=$("$portnote" stats -r "$ev/tls-on-443-tcp4.pcap" --declare "$site" --format json 2>/dev/null)
[[ $(jq -r 'select(.type == "stats") | .payload_differs[0] | "\(.port) \(.looks_like) \(.expected_from)"' <<<"$js") == "443 tls declaration" ]] &&
	ok "stats JSON: payload_differs names expected_from declaration" ||
	bad "stats JSON payload_differs: $(jq -c .payload_differs <<<"$js")"

# 3. audit: the rule that let SSH in on 443 raises payload-differs, unless
#    443 is declared for ssh; the comment "ssh" on 2222 is a mismatch
#    against the registry (2222 is EtherNet-IP-1) but not once 2222/tcp is
#    declared ssh.
aud() { "$portnote" audit --rules "$rules" "${inputs[@]}" --format json "$@" 2>/dev/null; }
a0=$(aud)
a1=$(aud --declare "$site")
f() { jq -r --arg k "$2" '[.findings[] | select(.kind == $k) | "\(.rule.number) \(.ports)"] | join(";")' <<<"$1"; }
[[ $(f "$a0" payload-differs) == "1 443/tcp;2 25/tcp" ]] &&
	ok "audit: payload-differs on rule 1 (443, SSH) and rule 2 (25, HTTP)" ||
	bad "audit payload-differs without declarations: $(f "$a0" payload-differs)"
[[ $(f "$a1" payload-differs) == "2 25/tcp" ]] &&
	ok "audit --declare: only the undeclared port 25 keeps payload-differs" ||
	bad "audit payload-differs with declarations: $(f "$a1" payload-differs)"
[[ $(f "$a0" comment-mismatch) == 3* ]] &&
	ok "audit: comment 'ssh' on 2222 is a comment-mismatch against the registry" ||
	bad "audit comment-mismatch without declarations: $(f "$a0" comment-mismatch)"
[[ -z $(f "$a1" comment-mismatch) ]] &&
	ok "audit --declare 2222/tcp ssh: the comment agrees, no comment-mismatch" ||
	bad "audit comment-mismatch with declarations: $(f "$a1" comment-mismatch)"
r1=$(jq -c '.rules[0].traffic.verdicts' <<<"$a1")
[[ $r1 == '{"no-payload":0,"unverified":0,"agrees":1,"differs":0}' ]] &&
	ok "audit JSON: rule 1's flows by verdict with the declaration" ||
	bad "audit JSON rule 1 verdicts: $r1"
"$portnote" audit --rules "$rules" --declare "$site" 2>/dev/null |
	grep -q 'opens 2222/tcp: declared here for ssh; registered for EtherNet-IP-1' &&
	ok "audit text: opens 2222/tcp: declared here for ssh; registered for ..." ||
	bad "audit text does not show the declaration on 2222"

# 4. bad declarations: exit 2 with FILE:LINE and what was wrong.
check_bad() {
	local want=$1 line=$2
	shift 2
	printf '# comment\n\n%s\n' "$line" >"$tmp/bad.declare"
	local err rc
	err=$("$portnote" "$@" --declare "$tmp/bad.declare" 2>&1 >/dev/null)
	rc=$?
	if [[ $rc -eq 2 && $err == *"$tmp/bad.declare:3: $want"* ]]; then
		ok "'$line' ($1): exit 2, bad.declare:3: $want"
	else
		bad "'$line' ($1): exit $rc, $err"
	fi
}
check_bad "unknown protocol 'sshh'" "2222/tcp sshh" flows -r "$ev/ssh-on-22-tcp4.pcap"
check_bad "bad port '65536'" "65536/tcp ssh" stats -r "$ev/ssh-on-22-tcp4.pcap"
check_bad "port range 10-5 runs backwards" "10-5/udp dns" packets -r "$ev/ssh-on-22-tcp4.pcap"
check_bad "unknown transport 'icmp'" "7/icmp ssh" audit --rules "$rules"
check_bad "ssh is not recognized over udp" "22/udp ssh" flows -r "$ev/ssh-on-22-tcp4.pcap"
check_bad "'2222/tcp' names no protocol" "2222/tcp" flows -r "$ev/ssh-on-22-tcp4.pcap"
check_bad "unexpected 'http'" "8080/tcp tls http" flows -r "$ev/ssh-on-22-tcp4.pcap"
err=$("$portnote" flows -r "$ev/ssh-on-22-tcp4.pcap" --declare "$tmp/none" 2>&1 >/dev/null)
rc=$?
[[ $rc -eq 2 && $err == *"$tmp/none: No such file"* ]] &&
	ok "a missing declaration file: exit 2, named" ||
	bad "missing declaration file: exit $rc, $err"

finish
