#!/bin/sh
# bench/run.sh killed by a signal leaves nothing behind: a smoke run is
# started, killed once with SIGTERM while l3nftd runs and the socket layer
# is pinned (fan-out), once with SIGINT while the headline's tenant netns
# exist; then every netns, cgroup and process it recorded must be gone, and
# no process may be left in its private mount namespace (so its bpffs, with
# the pins, went with it).
#
#   L3NFT=... L3NFTD=... sh tests/bench-kill.sh
set -u
top=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
[ "$(id -u)" = 0 ] || { echo "# needs root: skipped"; exit 77; }
cgmount=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
	/proc/self/mountinfo)
W=$(mktemp -d "${TMPDIR:-/tmp}/l3bkill.XXXXXX") || exit 1
RUN=
cleanup() {
	# the run under test, should the test itself be stopped half-way
	[ -n "$RUN" ] && kill -9 "$RUN" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_for PID LOG TEXT SECONDS: until TEXT is in LOG (false when PID ends
# first or time is up)
wait_for() {
	n=0
	until grep -q "$3" "$2" 2>/dev/null; do
		kill -0 "$1" 2>/dev/null || return 1
		[ $n -ge $(($4 * 10)) ] && return 1
		sleep 0.1
		n=$((n + 1))
	done
}
# wait_child PID SECONDS: waits for child PID (a zombie still answers
# kill -0, so `wait`, with a watchdog that kills it after SECONDS); its
# exit status, 137 when the watchdog had to kill it
wait_child() {
	( sleep "$2"; kill -9 "$1" 2>/dev/null ) &
	_wd=$!
	wait "$1"
	_rc=$?
	kill "$_wd" 2>/dev/null
	wait "$_wd" 2>/dev/null
	return $_rc
}
# left REC: what the run recorded in REC that is still there
left() {
	while read -r name ino; do
		[ -e "/run/netns/$name" ] && echo "netns $name"
	done <"$1/netns" 2>/dev/null
	while read -r name ino; do
		[ -n "$cgmount" ] && [ -e "$cgmount/$name" ] && echo "cgroup $name"
	done <"$1/cgroups" 2>/dev/null
	while read -r pid start who; do
		now=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $20 }')
		[ "$now" = "$start" ] && echo "process $pid"
	done <"$1/pids" 2>/dev/null
	return 0
}
# in_mntns NS: pids of processes in mount namespace NS
in_mntns() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$1" ] && echo "${p#/proc/}"
	done
}

# kill_at SIG TEXT: a smoke run, killed with SIG once TEXT is in its log
kill_at() {
	sig=$1 at=$2
	rec=$W/rec-$sig log=$W/log-$sig
	# a background job of a non-interactive shell ignores SIGINT, and a
	# shell cannot trap a signal ignored at its start: restore the default
	L3_SUITE_DIR=$rec env --default-signal=INT sh "$top/bench/run.sh" --smoke >"$log" 2>&1 &
	RUN=$!
	if ! wait_for "$RUN" "$log" "$at" 300; then
		not_ok "smoke run reaches '$at' (for SIG$sig)" "$(tail -n 5 "$log" | tr '\n' '|')"
		kill "$RUN" 2>/dev/null
		wait_child "$RUN" 60
		RUN=
		return
	fi
	sleep 1
	mntns=$(readlink "/proc/$RUN/ns/mnt")
	[ "$mntns" != "$(readlink /proc/self/ns/mnt)" ] ||
		not_ok "the run has a mount namespace of its own"
	before=$(left "$rec" | wc -l)
	kill -"$sig" "$RUN"
	# (a foreground command of the run finishes first: bounded, seconds)
	wait_child "$RUN" 60
	rc=$?
	want=$([ "$sig" = TERM ] && echo 143 || echo 130)
	[ "$rc" = "$want" ] && ok "SIG$sig at '$at': run.sh exits with $rc" ||
		not_ok "SIG$sig at '$at': run.sh exits with $want within 60 s" "it exited with $rc"
	RUN=
	# what was there when the signal came (the test saw it) is gone
	[ "$before" -gt 0 ] && ok "SIG$sig: the run had made $before netns, cgroups and processes" ||
		not_ok "SIG$sig: the run had made netns, cgroups and processes"
	l=$(left "$rec" | tr '\n' ' ')
	[ -z "$l" ] && ok "SIG$sig: no netns, cgroup or process of the run is left" ||
		not_ok "SIG$sig: the run left" "$l"
	n=0
	# (killed processes may take a while to go on a loaded machine)
	while [ -n "$(in_mntns "$mntns")" ] && [ $n -lt 30 ]; do sleep 1; n=$((n + 1)); done
	l=$(in_mntns "$mntns" | tr '\n' ' ')
	[ -z "$l" ] && ok "SIG$sig: no process is left in the run's mount namespace (its bpffs and pins are gone)" ||
		not_ok "SIG$sig: processes left in the run's mount namespace" "$l"
	# and tests/leftovers.sh checks them again at the end of the suite
	if [ -n "${L3_SUITE_DIR:-}" ]; then
		mkdir -p "$L3_SUITE_DIR"
		for f in netns cgroups pids; do
			[ -f "$rec/$f" ] && cat "$rec/$f" >>"$L3_SUITE_DIR/$f"
		done
	fi
}

kill_at TERM "3. fan-out"
kill_at INT "headline: traffic"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
