#!/usr/bin/env bash
# The static audit of a large ruleset: N host rules of the kind routers
# and Kubernetes nodes carry ("-s 10.x.y.z/32 -p tcp --dport N -j ACCEPT",
# ports pseudo-random, a few repeated so that shadowing is found), timed
# as the median of three runs. Target: 100,000 rules in under 10 s.
#   usage: tests/bench/audit_rules.sh PORTNOTE [N]
set -euo pipefail
portnote=${1:?usage: audit_rules.sh PORTNOTE [N]}
n=${2:-100000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk -v n="$n" 'BEGIN {
	print "*filter"; print ":INPUT DROP [0:0]"
	srand(1)
	for (i = 0; i < n; i++) {
		port = 1 + int(rand() * 65535)
		if (i == 0)
			first = port
		printf "-A INPUT -s 10.%d.%d.%d/32 -p tcp -m tcp --dport %d -j ACCEPT\n",
			int(i / 65536) % 256, int(i / 256) % 256, i % 256, port
	}
	# shadowed by the first rule: the audit must still find it
	printf "-A INPUT -s 10.0.0.0/32 -p tcp -m tcp --dport %d -j DROP\n", first
	print "COMMIT"
}' >"$tmp/rules"
times=()
for _ in 1 2 3; do
	start=$(date +%s.%N)
	"$portnote" audit --rules "$tmp/rules" --fail-on never --format json \
		>"$tmp/out" 2>/dev/null
	end=$(date +%s.%N)
	times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
shadowed=$(grep -o '"kind": *"\(shadowed\|duplicate\)"' "$tmp/out" | wc -l || true)
echo "- portnote audit of $n rules: $median s (median of 3; target < 10 s);" \
	"$shadowed shadowed or duplicate found"
