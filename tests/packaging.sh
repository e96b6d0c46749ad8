#!/usr/bin/env bash
# portnote installed the ways people install it.
#   usage: packaging.sh PORTNOTE SRCDIR BUILDDIR
#
#   1. `cmake --install BUILDDIR --prefix P` into a temporary prefix: the
#      binary, portnote-update-registry, the three man pages (man -w finds
#      them, man -l renders them), the bash completion, the unit and its
#      settings; the installed portnote runs; systemd-analyze verify passes
#      on the installed unit (it checks ExecStart= and Documentation=).
#   2. DESTDIR staging with --prefix /usr: every file under the staging
#      folder, settings in etc/default, the unit naming /usr/bin/portnote.
#   3. The installed registry: portnote-update-registry installs a newer
#      snapshot (PORTNOTE_REGISTRY_FILE points it and portnote at a
#      temporary path), and portnote uses it (registry info, report
#      headers, a port only that snapshot registers); an older one and a
#      broken one are not used, said so; --registry overrides it; --quiet
#      silences the stale-snapshot note.
#   4. The unit's privileges are enough: as nobody, with CAP_NET_RAW as its
#      only (ambient) capability and no_new_privs, as the unit starts it,
#      `portnote live -i lo` captures and serves /metrics; without the
#      capability it fails (root only; skipped otherwise).
#   5. The .deb: cpack -G DEB, lintian without errors, dpkg -i, the installed
#      portnote --version, man -w portnote, stats on demo.pcap, the unit
#      verified in place, completion installed, portnote-update-registry
#      into /var/lib/portnote, then dpkg --purge leaves none of its files
#      behind (root, dpkg-deb and lintian; not in a sanitizer build, and
#      not where a portnote package is already installed).
# Prints "N passed, M failed".
set -uo pipefail
portnote=${1:?usage: packaging.sh PORTNOTE SRCDIR BUILDDIR}
srcdir=${2:?usage: packaging.sh PORTNOTE SRCDIR BUILDDIR}
builddir=${3:?usage: packaging.sh PORTNOTE SRCDIR BUILDDIR}
export LC_ALL=C.UTF-8 TZ=UTC
demo=$srcdir/captures/demo.pcap

tmp=$(mktemp -d "${TMPDIR:-/tmp}/packaging.XXXXXX")
live_pid=
cleanup() {
	[[ -n $live_pid ]] && kill "$live_pid" 2>/dev/null
	rm -rf -- "$tmp"
}
trap cleanup EXIT

. "$srcdir/tests/lib.sh"
skip() { echo "skip: $*"; }
has() { command -v "$1" >/dev/null 2>&1; }

# --- 1. cmake --install into a prefix --------------------------------------
p=$tmp/prefix
if cmake --install "$builddir" --prefix "$p" >"$tmp/install.log" 2>&1; then
	ok "cmake --install --prefix $p"
else
	bad "cmake --install: $(tail -3 "$tmp/install.log")"
fi
for f in bin/portnote bin/portnote-update-registry share/man/man1/portnote.1.gz \
	share/man/man1/portnote-audit.1.gz share/man/man1/portnote-live.1.gz \
	share/man/man1/portnote-update-registry.1.gz \
	share/bash-completion/completions/portnote share/bash-completion/completions/portnote-update-registry lib/systemd/system/portnote-live@.service \
	etc/default/portnote share/doc/portnote/README.md share/doc/portnote/copyright \
	share/doc/portnote/changelog.gz; do
	check "installed $f" test -s "$p/$f"
done
check "the installed portnote runs" \
	bash -c '"$1" --version | grep -q "^portnote [0-9]"' _ "$p/bin/portnote"
check "the installed update script is not the source tree's" \
	bash -c '! grep -q "@PORTNOTE_INSTALLED_REGISTRY@" "$1"' _ "$p/bin/portnote-update-registry"
for page in portnote portnote-audit portnote-live portnote-update-registry; do
	check "man -w $page finds the installed page" \
		bash -c '[[ $(MANPATH="$1/share/man" man -w "$2") == "$1/share/man/man1/$2.1.gz" ]]' \
		_ "$p" "$page"
done
check "man -l renders portnote.1.gz" \
	bash -c 'MANWIDTH=80 man -l "$1" 2>/dev/null | grep -q "registered"' _ "$p/share/man/man1/portnote.1.gz"
unit=$p/lib/systemd/system/portnote-live@.service
check "the unit runs the installed binary" \
	grep -qx "ExecStart=$p/bin/portnote live -i %i --metrics \${PORTNOTE_METRICS} \$PORTNOTE_OPTIONS" "$unit"
check "the unit reads the installed settings" grep -qx "EnvironmentFile=-$p/etc/default/portnote" "$unit"
for key in AmbientCapabilities=CAP_NET_RAW CapabilityBoundingSet=CAP_NET_RAW NoNewPrivileges=yes \
	ProtectSystem=strict PrivateTmp=yes DynamicUser=yes Restart=on-failure; do
	check "the unit has $key" grep -qx "$key" "$unit"
done
if has systemd-analyze; then
	# verify checks the ExecStart binary and the man pages of Documentation=.
	if MANPATH=$p/share/man systemd-analyze verify "$unit" >"$tmp/verify.log" 2>&1; then
		ok "systemd-analyze verify $unit"
	else
		bad "systemd-analyze verify: $(cat "$tmp/verify.log")"
	fi
	sed 's|^ExecStart=[^ ]*|ExecStart=/nonexistent/portnote|' "$unit" >"$tmp/portnote-live@.service"
	check "systemd-analyze verify fails on a copy naming a missing binary (the check can fail)" \
		bash -c '! MANPATH="$1/share/man" systemd-analyze verify "$2" >/dev/null 2>&1' \
		_ "$p" "$tmp/portnote-live@.service"
else
	skip "systemd-analyze is not installed"
fi

# --- 2. DESTDIR staging ----------------------------------------------------
stage=$tmp/stage
if DESTDIR=$stage cmake --install "$builddir" --prefix /usr >"$tmp/stage.log" 2>&1; then
	ok "DESTDIR=$stage cmake --install --prefix /usr"
else
	bad "DESTDIR staging: $(tail -3 "$tmp/stage.log")"
fi
check "staged: binary, unit, settings in etc/default" test -x "$stage/usr/bin/portnote" -a \
	-s "$stage/usr/lib/systemd/system/portnote-live@.service" -a -s "$stage/etc/default/portnote"
check "staged unit names /usr/bin/portnote and /etc/default/portnote" \
	bash -c 'grep -q "^ExecStart=/usr/bin/portnote live" "$1" && grep -qx "EnvironmentFile=-/etc/default/portnote" "$1"' \
	_ "$stage/usr/lib/systemd/system/portnote-live@.service"
check "every installed file is under DESTDIR" \
	bash -c '! grep "^-- Installing: " "$1" | grep -v "^-- Installing: $2/"' _ "$tmp/stage.log" "$stage"

# --- 3. the installed registry snapshot ------------------------------------
ipn=$p/bin/portnote
state=$tmp/state/service-names-port-numbers.csv
export PORTNOTE_REGISTRY_FILE=$state
# A newer snapshot: the built-in one with a row of 2026 for a port it leaves
# unassigned, so that only this snapshot can name it.
newer=$tmp/newer.csv
{ cat "$srcdir/data/service-names-port-numbers.csv"
  printf 'pn-installed-test,48999,tcp,portnote packaging test,,,2026-11-01,,,,,\r\n'; } >"$newer"
check "registry info: no installed snapshot yet" \
	bash -c '"$1" registry info --quiet | grep -qx "installed         none at $2"' _ "$ipn" "$state"
if "$p/bin/portnote-update-registry" "$newer" >"$tmp/update.out" 2>&1; then
	ok "portnote-update-registry installs a newer snapshot"
else
	bad "portnote-update-registry: $(cat "$tmp/update.out")"
fi
check "it says portnote uses it" grep -q "portnote uses it from now on" "$tmp/update.out"
check "it compared with the built-in table" grep -q "current: the built-in table: 13521 rows" "$tmp/update.out"
check "the snapshot is where portnote looks, readable by all" \
	bash -c 'cmp -s "$1" "$2" && [[ $(stat -c %a "$2") == 644 ]]' _ "$newer" "$state"
check "registry info names the installed snapshot in use" \
	bash -c '"$1" registry info | grep -qx "registry          $2 (installed, newer than the built-in table)"' _ "$ipn" "$state"
check "registry info --format json: built_in false, installed in use" \
	bash -c '"$1" registry info --format json | jq -e --arg p "$2" ".built_in == false and .source == \$p and .installed.state == \"in use\" and .snapshot_date == \"2026-11-01\"" >/dev/null' \
	_ "$ipn" "$state"
check "lookup answers from it" \
	bash -c '"$1" lookup 48999/tcp | grep -q "registered for pn-installed-test"' _ "$ipn"
check "the stats header says which snapshot" \
	bash -c '"$1" stats -r "$2" | head -1 | grep -qF "IANA registry snapshot 2026-11-01 ($3)"' _ "$ipn" "$demo" "$state"
check "no stale-snapshot note with a current snapshot" \
	bash -c '! "$1" lookup 443/tcp 2>&1 >/dev/null | grep -q "note:"' _ "$ipn"
check "--registry overrides the installed snapshot" \
	bash -c '"$1" stats -r "$2" --registry "$3" 2>/dev/null | head -1 | grep -qF "2014-07-09 ($3)"' \
	_ "$ipn" "$demo" "$srcdir/data/service-names-port-numbers.csv"
cp "$srcdir/data/service-names-port-numbers.csv" "$state"
check "an installed snapshot no newer than the built-in is not used, said so" \
	bash -c '"$1" registry info --quiet | grep -qx "installed         $2 dated 2014-07-09: not used: not newer than the built-in table" &&
		"$1" stats -r "$3" --quiet | head -1 | grep -qF "2014-07-09 (built in)"' _ "$ipn" "$state" "$demo"
printf 'no,registry\n' >"$state"
"$ipn" lookup 443/tcp >"$tmp/broken.out" 2>"$tmp/broken.err"
check "a broken installed snapshot: a warning naming it and the line, the built-in table used" \
	bash -c 'grep -q "warning: the installed registry snapshot is not used: $1:1: " "$2" && grep -q "(built in)" "$3"' \
	_ "$state" "$tmp/broken.err" "$tmp/broken.out"
check "--quiet silences the stale note but not the warning" \
	bash -c '"$1" lookup 443/tcp --quiet 2>&1 >/dev/null | grep -v "note:" | grep -q warning' _ "$ipn"
rm -f "$state"
unset PORTNOTE_REGISTRY_FILE

# --- 4. the unit's privileges ----------------------------------------------
if [[ $EUID -eq 0 ]] && has setpriv && has curl; then
	port=$((20000 + RANDOM % 10000))
	setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs \
		--inh-caps=-all,+net_raw --ambient-caps=-all,+net_raw --bounding-set=-all,+net_raw \
		"$ipn" live -i lo --interval 1 --duration 6 --metrics "127.0.0.1:$port" --quiet \
		>"$tmp/live.out" 2>"$tmp/live.err" &
	live_pid=$!
	got=
	for _ in $(seq 50); do
		sleep 0.1
		if curl -fsS "http://127.0.0.1:$port/metrics" >"$tmp/metrics" 2>/dev/null; then got=1; break; fi
	done
	check "as nobody with only CAP_NET_RAW ambient, live -i lo serves /metrics" \
		bash -c '[[ -n $1 ]] && grep -q "^portnote_build_info" "$2"' _ "$got" "$tmp/metrics"
	wait "$live_pid"
	rc=$?
	live_pid=
	check "and ends with its report, exit 0 (got $rc: $(head -c 300 "$tmp/live.err"))" \
		bash -c '[[ $1 == 0 ]] && grep -q "^# portnote stats" "$2"' _ "$rc" "$tmp/live.out"
	setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs --inh-caps=-all \
		"$ipn" live -i lo --duration 1 --quiet >/dev/null 2>"$tmp/nocap.err"
	rc=$?
	check "without CAP_NET_RAW live fails, exit 1 (got $rc)" \
		bash -c '[[ $1 == 1 ]] && grep -q "lo: cannot capture" "$2"' _ "$rc" "$tmp/nocap.err"
else
	skip "the unit's privileges (needs root, setpriv and curl)"
fi

# --- 5. the Debian package -------------------------------------------------
deb_skip= deb=
if [[ $EUID -ne 0 ]]; then
	deb_skip="needs root"
elif ! has dpkg-deb || ! has cpack; then
	deb_skip="needs dpkg-deb and cpack"
elif ldd "$portnote" | grep -q 'libasan'; then
	deb_skip="a sanitizer build is not packaged"
elif dpkg-query -W -f='${Status}' portnote 2>/dev/null | grep -q 'ok installed'; then
	deb_skip="a portnote package is already installed here; not replacing it"
fi
if [[ -n $deb_skip ]]; then
	skip "the .deb ($deb_skip)"
else
	if (cd "$builddir" && cpack -G DEB -B "$tmp/pkg") >"$tmp/cpack.log" 2>&1; then
		ok "cpack -G DEB"
	else
		bad "cpack: $(tail -5 "$tmp/cpack.log")"
	fi
	deb=$(ls "$tmp"/pkg/portnote_*.deb 2>/dev/null | head -1)
	check "the .deb is built (${deb:-none})" test -s "$deb"
fi
if [[ -z $deb_skip && -s $deb ]]; then
	check "Depends computed from the shared libraries (libpcap, libjansson)" \
		bash -c 'dpkg-deb -f "$1" Depends | grep -q libpcap0.8 && dpkg-deb -f "$1" Depends | grep -q libjansson4' _ "$deb"
	check "a description" bash -c 'dpkg-deb -f "$1" Description | grep -q "IANA"' _ "$deb"
	check "/etc/default/portnote is a conffile" \
		bash -c 'dpkg-deb -I "$1" conffiles | grep -qx /etc/default/portnote' _ "$deb"
	if has lintian; then
		lintian --no-tag-display-limit "$deb" >"$tmp/lintian.out" 2>&1
		check "lintian reports no errors ($(grep -c '^E:' "$tmp/lintian.out") errors, $(grep -c '^W:' "$tmp/lintian.out") warnings)" \
			bash -c '! grep "^E:" "$1"' _ "$tmp/lintian.out"
		grep -E '^[EW]:' "$tmp/lintian.out" | sed 's/^/     /'
	else
		skip "lintian is not installed"
	fi
	if dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1; then
		ok "dpkg -i"
	else
		bad "dpkg -i: $(tail -5 "$tmp/dpkg.log")"
	fi
	dpkg -L portnote >"$tmp/files" 2>/dev/null
	check "installed portnote --version" bash -c '/usr/bin/portnote --version | grep -q "^portnote "'
	check "man -w portnote" bash -c '[[ $(man -w portnote) == /usr/share/man/man1/portnote.1.gz ]]'
	check "installed portnote stats -r demo.pcap" \
		bash -c '/usr/bin/portnote stats -r "$1" --quiet | grep -q "^https  *tcp  *443 "' _ "$demo"
	check "bash completion installed" test -s /usr/share/bash-completion/completions/portnote
	if has systemd-analyze; then
		check "systemd-analyze verify on the installed unit" \
			systemd-analyze verify /usr/lib/systemd/system/portnote-live@.service
	fi
	if portnote-update-registry --max-loss 100 "$newer" >"$tmp/deb-update.out" 2>&1; then
		ok "portnote-update-registry into /var/lib/portnote"
	else
		bad "portnote-update-registry: $(cat "$tmp/deb-update.out")"
	fi
	check "the installed portnote uses /var/lib/portnote's snapshot" \
		bash -c 'portnote registry info | grep -q "^registry          /var/lib/portnote/service-names-port-numbers.csv (installed"'
	if dpkg --purge portnote >"$tmp/purge.log" 2>&1; then
		ok "dpkg --purge portnote"
	else
		bad "dpkg --purge: $(tail -5 "$tmp/purge.log")"
	fi
	left=$(while read -r f; do [[ -f $f ]] && echo "$f"; done <"$tmp/files")
	check "no file of the package is left (${left:-none})" test -z "$left"
	check "no /etc/default/portnote, no /var/lib/portnote" test ! -e /etc/default/portnote -a ! -e /var/lib/portnote
	check "dpkg knows no portnote" bash -c '! dpkg-query -W portnote >/dev/null 2>&1'
fi

finish
