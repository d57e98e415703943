#!/bin/sh
# l3nft benchmarks, in scratch network namespaces (never the machine's own).
#
#   sh bench/run.sh            full run (~10-15 minutes); writes docs/benchmarks.md
#   sh bench/run.sh --smoke    N=10 only, one short run of each; checks that
#                              every measurement works; writes nothing
#   sh bench/run.sh --out FILE write the markdown to FILE instead
#   sh bench/run.sh --ownership
#                              only the cost of the connection-ownership
#                              chains (section 2's request/reply rows: no
#                              table, N=1, N=10, full rounds); prints that
#                              section, writes nothing unless --out
#   sh bench/run.sh --headline the headline comparison only (bench/headline.sh):
#                              l3nft vs netns+veth (Docker's model) vs no
#                              isolation, traffic at N=100, create/teardown
#                              and kernel memory at N=100 and N=1,000
#                              (~10 minutes); prints its markdown (or --out)
#   sh bench/run.sh --fanout   section 3 only (fan-out through l3nftd, full
#                              ladder); prints its markdown (or --out)
#   sh bench/run.sh --scale    section 6 only, at N=65,535 (L3_SCALE_N):
#                              long (the kernel adds 131,070 addresses);
#                              prints its markdown (or to --out FILE)
#   sh bench/run.sh --apply    section 1 at N=10,000 (L3_APPLY_N) and
#                              l3nftd's start-up to ready there, RUNS
#                              (L3_APPLY_RUNS, 5) interleaved rounds, with
#                              each round's ratios; with L3NFT_BASE and
#                              L3NFTD_BASE (older binaries) timed in the
#                              same rounds as "before"; prints its markdown
#
# What is measured (see docs/benchmarks.md for the method and the results):
#   1. `l3nft apply` at N = 10, 1,000, 10,000 namespaces against `nft -f` of
#      `l3nft compile`'s text: first load, re-apply unchanged, re-apply with
#      one namespace changed; wall time and peak RSS
#   2. TCP connections/s and UDP datagrams/s from a peer netns to a
#      namespace alias over a veth: no table, N=1, N=10,000; and round
#      trips/s of TCP and UDP request/reply on one established flow, where
#      every packet passes the ownership chains (conn_in, conn_out)
#   3. fan-out through l3nftd to 1, 2 and 8 namespaces against the kernel
#      delivering the same multicast to one socket without a table:
#      latency p50/p99, delivered rate, the rate where loss starts
#   4. l3nftd reaction: cgroup made anew -> its id in the table; `listen`
#      -> first datagram delivered; `ip addr flush` -> every policy
#      address back on the interface
#   5. l3nftd RSS idle and with 10,000 registrations
#   6. scale (--scale; the smoke run at N=20): apply, per-packet flatness
#      against N=1, l3nftd start-up and RSS at the largest 16-bit policy
#
# Every number is the median of RUNS runs (min and max beside it) and is
# set against a baseline measured in the same run. Load generators are
# bench/*.c, built here with cc -O2 into a temporary directory. Needs root,
# ip, nft, nsenter, cc, libnftnl/libmnl headers, a cgroup2 mount.
#
# Testing rules kept: scratch namespaces entered with nsenter --net=,
# documentation addresses only (192.0.2.0/24, 2001:db8::/32), every
# traffic loop bounded in count and time, everything this script made is
# removed on every exit path (trap). The last line is "N passed, N failed";
# the exit status is non-zero when anything failed.
set -u
# apply attaches the socket layer and pins it in bpffs: the run gets a
# bpffs of its own in a private mount namespace (it goes with the run)
if [ "$(id -u)" = 0 ] && [ -z "${L3_BENCH_MNTNS:-}" ] && command -v unshare >/dev/null 2>&1; then
	export L3_BENCH_MNTNS=1
	exec unshare -m --propagation private /bin/sh "$0" "$@"
fi
[ -n "${L3_BENCH_MNTNS:-}" ] && mount -t bpf bpf /sys/fs/bpf
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
L3NFT=${L3NFT:-$top/l3nft}
L3NFTD=${L3NFTD:-$top/l3nftd}
smoke=0
own=0
scale=0
apply_only=0
headline=0
fanout=0
out=$top/docs/benchmarks.md
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) smoke=1 ;;
	--ownership) own=1 ;;
	--scale) scale=1 ;;
	--apply) apply_only=1 ;;
	--headline) headline=1 ;;
	--fanout) fanout=1 ;;
	--out) shift; out=${1:?--out needs a file} ;;
	-h | --help) sed -n '2,30p' "$0"; exit 0 ;;
	*) echo "usage: sh bench/run.sh [--smoke|--ownership|--scale|--apply|--headline|--fanout] [--out FILE]" >&2; exit 1 ;;
	esac
	shift
done
if [ $((smoke + own + scale + apply_only + headline + fanout)) -gt 0 ]; then
	[ "$out" = "$top/docs/benchmarks.md" ] && out=
fi
[ $((smoke + own + scale + apply_only + headline + fanout)) -gt 1 ] &&
	{ echo "--smoke, --ownership, --scale, --apply, --headline and --fanout go alone" >&2; exit 1; }
# the headline comparison (bench/headline.sh): traffic at HL_N tenants,
# create/teardown at HL_SIZES; none unless --headline or --smoke
HL_N= HL_SIZES= HL_RUNS=5 HL_LIFE_RUNS=3 HL_SETTLE=2

if [ $smoke = 1 ]; then
	RUNS=1 PP_RUNS=1 PP_SECS=0.1 SIZES=10 PP_BIG=10
	LAT_RATE=500 LAT_SECS=0.1 LADDER="" STEP_SECS=0.1 IDLE_MS=100 PAUSE=0.05 CG_PAUSE=0.05
	REG_SECS=5 REG_COUNT=20 FAN_KS="1" SINK_IDLE_MS=100 ADDR_RUNS=2 SCALE_N=20
	HL_N=4 HL_SIZES=4 HL_RUNS=1 HL_LIFE_RUNS=1 HL_SETTLE=0.1
elif [ $apply_only = 1 ]; then
	# section 1 at one N, and l3nftd's start-up there
	RUNS=${L3_APPLY_RUNS:-5} SIZES=${L3_APPLY_N:-10000} PP_BIG= SCALE_N= IDLE_MS=500 PAUSE=0.2
elif [ $headline = 1 ]; then
	# L3_HL_* and L3_PP_SECS shrink it for a quick try
	RUNS=1 PP_SECS=${L3_PP_SECS:-1} SIZES= PP_BIG=1 SINK_IDLE_MS=300 SCALE_N=
	HL_N=${L3_HL_N:-100} HL_SIZES=${L3_HL_SIZES:-100 1000} HL_RUNS=${L3_HL_RUNS:-5} HL_LIFE_RUNS=${L3_HL_LIFE_RUNS:-3}
elif [ $fanout = 1 ]; then
	# section 3 alone, the full ladder, 1 and 8 namespaces
	RUNS=5 PP_RUNS=1 PP_SECS=1 SIZES=10 PP_BIG=10 SCALE_N= SINK_IDLE_MS=300 IDLE_MS=500 PAUSE=0.2
	LAT_RATE=1000 LAT_SECS=1 LADDER="2000 5000 10000 20000 50000 100000" STEP_SECS=0.3 FAN_KS="1 8"
elif [ $scale = 1 ]; then
	# section 6 alone: only the policies it needs
	# L3_SCALE_RUNS, L3_SCALE_PP_RUNS: fewer rounds (each loads the whole
	# table again); L3_SCALE_ONEADDR=1: one address per namespace (the
	# IPv4 one while the documentation ranges last, else the first IPv6)
	RUNS=${L3_SCALE_RUNS:-3} PP_RUNS=${L3_SCALE_PP_RUNS:-5} PP_SECS=1 SIZES= PP_BIG=1 SINK_IDLE_MS=300 IDLE_MS=500 PAUSE=0.2
	SCALE_N=${L3_SCALE_N:-65535}
else
	RUNS=5 PP_RUNS=9 PP_SECS=1 SIZES="10 1000 10000" PP_BIG=10000
	LAT_RATE=1000 LAT_SECS=1 LADDER="2000 5000 10000 20000 50000 100000" STEP_SECS=0.3
	IDLE_MS=500 PAUSE=0.2 CG_PAUSE=1 REG_SECS=60 REG_COUNT=10000 FAN_KS="1 2 8" SINK_IDLE_MS=300
	ADDR_RUNS=9 SCALE_N=
fi
# --ownership: the small topology's per-packet section only
[ $own = 1 ] && SIZES=10 PP_BIG=10

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
t_start=$(date +%s)
note() { echo "# [$(($(date +%s) - t_start))s] $*"; }
summary() { echo "$pass passed, $fail failed"; }

[ "$(id -u)" = 0 ] || { echo "# needs root"; not_ok "root"; summary; exit 1; }
for t in ip nft nsenter cc awk sed xargs nice; do
	command -v $t >/dev/null 2>&1 || { not_ok "$t is installed"; summary; exit 1; }
done
for b in "$L3NFT" "$L3NFTD"; do
	[ -x "$b" ] || { not_ok "$b is built (make -j2)"; summary; exit 1; }
done
CGM=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
	/proc/self/mountinfo)
[ -n "$CGM" ] || { not_ok "a cgroup2 mount"; summary; exit 1; }

# ---- cleanup on every exit path ----------------------------------------
T=
PIDS=
NETNS=
CGP="l3bench-$$"
# scratch netns names: unique per run (other suites run at the same time)
SM=l3b$$sm FB=l3b$$fb MD=l3b$$md LG=l3b$$lg SC=l3b$$sc
# the headline's: no isolation, l3nft, netns+veth, create/teardown
HN=l3b$$hn HLT=l3b$$hl HD=l3b$$hd HC=l3b$$hc HCL=l3b$$hx
CG_MADE=0
cleanup() {
	rc=$?
	# a second signal (a second ^C, timeout's) must not cut this short
	trap - EXIT
	trap '' INT TERM HUP
	nspids=
	for ns in $NETNS; do nspids="$nspids $(ip netns pids "$ns" 2>/dev/null)"; done
	for p in $PIDS $nspids; do kill "$p" 2>/dev/null; done
	n=0
	while [ $n -lt 50 ]; do
		alive=
		for p in $PIDS $nspids; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ -z "$alive" ] && break
		sleep 0.1
		n=$((n + 1))
	done
	for p in $PIDS $nspids; do kill -9 "$p" 2>/dev/null; done
	for ns in $NETNS; do ip netns del "$ns" 2>/dev/null; done
	if [ $CG_MADE = 1 ] && [ -d "$CGM/$CGP" ]; then
		# in one go: a fork per cgroup takes minutes at N=65,535
		find "$CGM/$CGP" -mindepth 2 -maxdepth 2 -name cgroup.procs -exec cat {} + 2>/dev/null |
			xargs -r kill 2>/dev/null
		sleep 0.1
		find "$CGM/$CGP" -mindepth 1 -maxdepth 1 -type d -print0 | xargs -0 -r rmdir 2>/dev/null
		rmdir "$CGM/$CGP" 2>/dev/null || echo "# cleanup: cannot remove $CGM/$CGP"
	fi
	[ -n "$T" ] && rm -rf "$T"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

T=$(mktemp -d "${TMPDIR:-/tmp}/l3bench.XXXXXX") || { not_ok "mktemp"; summary; exit 1; }
S=$T/samples
mkdir -p "$S" "$T/bin"

# ---- helpers -------------------------------------------------------------
inns() { _ns=$1; shift; nsenter --net="/run/netns/$_ns" "$@"; }
# bg VAR CMD...: start CMD in the background, remember its pid in VAR
# record KIND VALUE: what this run made, for tests/leftovers.sh (make
# check sets L3_SUITE_DIR; see tests/e2e/lib.sh)
record() { [ -n "${L3_SUITE_DIR:-}" ] && mkdir -p "$L3_SUITE_DIR" && printf '%s\n' "$2" >>"$L3_SUITE_DIR/$1"; return 0; }
record_pid() {
	_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $20 }')
	[ -n "$_st" ] && record pids "$1 $_st bench/run.sh"
	return 0
}
bg() { _v=$1; shift; "$@" & eval "$_v=\$!"; PIDS="$PIDS $!"; record_pid $!; }
stop() { [ -n "$1" ] && kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' '); }
# wait_file FILE PID: until FILE exists (bounded: 10 s), or PID is gone
wait_file() {
	_n=0
	while [ ! -e "$1" ]; do
		kill -0 "$2" 2>/dev/null || return 1
		[ $_n -ge 1000 ] && return 1
		sleep 0.01
		_n=$((_n + 1))
	done
}
rec() { echo "$2" >>"$S/$1"; }
# stats NAME -> "median min max count" ("- - - 0" when no sample)
stats() {
	if [ -s "$S/$1" ]; then
		sort -g "$S/$1" | awk '{ v[NR] = $1 } END {
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			print m, v[1], v[NR], NR }'
	else
		echo "- - - 0"
	fi
}
med() { stats "$1" | awk '{ print $1 }'; }
# num VALUE: true when VALUE is a number
num() { printf '%s' "$1" | grep -Eq '^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$'; }
# timed METRIC NETNS CMD...: runs CMD in scratch netns NETNS under
# `l3load time`; records wall ms, peak RSS in KB, user and system ms
# (METRIC.ms, .rss, .user, .sys); false when CMD failed
timed() {
	_m=$1 _tns=$2
	shift 2
	"$T/bin/l3load" time "$T/time.out" nsenter --net="/run/netns/$_tns" "$@" >"$T/cmd.out" 2>&1
	_rc=$?
	if [ $_rc != 0 ]; then
		not_ok "$_m: $*" "exit status $_rc" "$(tail -n 3 "$T/cmd.out" | tr '\n' '|')"
		return 1
	fi
	rec "$_m.ms" "$(awk '{ print $2 }' "$T/time.out")"
	rec "$_m.rss" "$(awk '{ print $4 }' "$T/time.out")"
	rec "$_m.user" "$(awk '{ print $6 }' "$T/time.out")"
	rec "$_m.sys" "$(awk '{ print $8 }' "$T/time.out")"
}

# the headline comparison's functions (bench_headline, report_headline)
. "$here/headline.sh"

# ---- build the load generators -----------------------------------------
if cc -O2 -Wall -o "$T/bin/l3load" "$here/l3load.c" 2>"$T/cc.err" &&
	cc -O2 -Wall -o "$T/bin/cgreact" "$here/cgreact.c" -lnftnl -lmnl 2>>"$T/cc.err"; then
	ok "load generators built (cc -O2)"
else
	not_ok "load generators built" "$(tr '\n' '|' <"$T/cc.err")"
	summary
	exit 1
fi
L=$T/bin/l3load
# the binaries under test are copied first: a rebuild of the tree while this
# runs must not change what is measured half-way
cp "$L3NFT" "$T/bin/l3nft" && cp "$L3NFTD" "$T/bin/l3nftd" || { not_ok "copying the binaries"; summary; exit 1; }
# --apply: older binaries timed in the same rounds ("before")
BASE_ID=
if [ $apply_only = 1 ] && [ -n "${L3NFT_BASE:-}" ] && [ -n "${L3NFTD_BASE:-}" ]; then
	cp "$L3NFT_BASE" "$T/bin/l3nft.base" && cp "$L3NFTD_BASE" "$T/bin/l3nftd.base" ||
		{ not_ok "copying the base binaries"; summary; exit 1; }
	BASE_ID="l3nft $(sha256sum "$L3NFT_BASE" | cut -c1-12), l3nftd $(sha256sum "$L3NFTD_BASE" | cut -c1-12)"
fi
GIT_AT_START="$(git -C "$top" rev-parse --short HEAD 2>/dev/null)$(git -C "$top" diff --quiet HEAD -- compiler kernel cli daemon include 2>/dev/null || echo " with uncommitted changes in compiler/, kernel/, cli/, daemon/ or include/")"
BIN_ID="l3nft $(sha256sum "$L3NFT" | cut -c1-12), l3nftd $(sha256sum "$L3NFTD" | cut -c1-12), built $(date -u -r "$L3NFT" '+%Y-%m-%d %H:%M UTC')"
L3NFT=$T/bin/l3nft
L3NFTD=$T/bin/l3nftd

# ---- policies and cgroups ----------------------------------------------
# gen_large N: rules/gen-large.sh's policy, the same text, in one awk (the
# script's shell loop forks per namespace: minutes at N=65,535 on a busy
# machine)
gen_large() {
	awk -v n="$1" 'BEGIN {
		printf "# %d namespaces, generated by rules/gen-large.sh %d\nversion: 1\nmark_mask: 0x00ffff00\nnamespaces:\n", n, n
		for (i = 1; i <= n; i++) {
			if (i <= 254) s = "192.0.2." i "/24"
			else if (i <= 508) s = "198.51.100." (i - 254) "/24"
			else if (i <= 762) s = "203.0.113." (i - 508) "/24"
			else s = sprintf("2001:db8:1::%x/64", i)
			printf "  ns%d:\n    interface: eth0\n    addresses: [%s, 2001:db8::%x/64]\n", i, s, i
		}
	}'
}
# gen_policy N FILE: rules/gen-large.sh N, each namespace's cgroup below our
# own parent $CGP, and ns254's IPv4 address swapped for an IPv6 one so that
# 192.0.2.254 is free for the peer.
gen_policy() {
	# ns1..ns10 take the bench's 10,000 run-time registrations (1,000
	# each): past the default quota of 32
	gen_large "$1" |
		awk -v p="$CGP" '{ print } /^  ns[0-9]+:$/ { n = $1; sub(":", "", n); print "    cgroup: " p "/" n
			if (n ~ /^ns([1-9]|10)$/) print "    max_registrations: 2000" }' |
		sed 's#addresses: \[192\.0\.2\.254/24, #addresses: [2001:db8:1::fe/64, #' |
		if [ "${L3_SCALE_ONEADDR:-0}" = 1 ] && [ "$1" = "$SCALE_N" ]; then
			sed 's#^\(    addresses: \[[^,]*\), .*\]$#\1]#'
		else
			cat
		fi >"$2"
}
# addresses per namespace in the scale policy
scale_addrs() { [ "${L3_SCALE_ONEADDR:-0}" = 1 ] && echo 1 || echo 2; }
# the same policy with one namespace changed (ping: false for nsK)
gen_changed() {
	awk -v k="  ns$2:" '{ print } $0 == k { print "    ping: false" }' "$1" >"$3"
}
# nft_text POLICY OUT: the compiled script, "queue num N" loaded as "counter"
# (this kernel has no native nft queue; see the doc)
nft_text() {
	"$L3NFT" compile --cgroup-mount "$CGM" "$1" | sed -E 's/queue num [0-9]+( bypass)?/counter/' >"$2"
}

maxn=0
for n in $SIZES $PP_BIG $SCALE_N $HL_N $HL_SIZES; do [ "$n" -gt $maxn ] && maxn=$n; done
mkdir "$CGM/$CGP" || { not_ok "cgroup parent $CGM/$CGP"; summary; exit 1; }
record cgroups "$CGP $(stat -c %i "$CGM/$CGP")"
CG_MADE=1
seq 1 $maxn | sed "s#^#$CGM/$CGP/ns#" | xargs mkdir || { not_ok "cgroups"; summary; exit 1; }
ok "$maxn cgroups made below $CGM/$CGP"
for n in 1 $SIZES $PP_BIG $SCALE_N $HL_N $HL_SIZES; do
	[ -f "$T/p$n.yaml" ] && continue
	gen_policy "$n" "$T/p$n.yaml"
	gen_changed "$T/p$n.yaml" $(( n > 1 ? n / 2 : 1 )) "$T/p$n-changed.yaml"
	nft_text "$T/p$n.yaml" "$T/p$n.nft"
done
# gen_large must stay rules/gen-large.sh's text (checked where it is cheap)
if [ $smoke = 1 ]; then
	gen_large 800 >"$T/gl.a" && sh "$top/rules/gen-large.sh" 800 >"$T/gl.b" && cmp -s "$T/gl.a" "$T/gl.b" &&
		ok "gen_large writes what rules/gen-large.sh writes" || not_ok "gen_large writes what rules/gen-large.sh writes"
fi
CGSET=$(awk '/^\tmap cgroup_l[0-9]+ \{/ { print $2; exit }' "$T/p1.nft")

# ---- topology --------------------------------------------------------------
# topo NAME: netns NAME-h (eth0 = a veth) and NAME-p (its peer end,
# 192.0.2.254/24, multicast routed out of it)
topo() {
	h=$1-h p=$1-p
	ip netns add "$h" && NETNS="$NETNS $h" && ip netns add "$p" && NETNS="$NETNS $p" || return 1
	record netns "$h $(stat -L -c %i "/run/netns/$h")"
	record netns "$p $(stat -L -c %i "/run/netns/$p")"
	inns "$h" ip link set lo up &&
	inns "$h" ip link add eth0 type veth peer name "veth$$" &&
	inns "$h" ip link set "veth$$" netns "$p" &&
	inns "$h" ip link set eth0 up &&
	inns "$p" ip link set lo up &&
	inns "$p" ip link set "veth$$" up &&
	inns "$p" ip addr add 192.0.2.254/24 dev "veth$$" &&
	inns "$p" ip route add 224.0.0.0/4 dev "veth$$"
}
# wait_link NAME ADDR: until the peer reaches ADDR (bounded)
wait_link() {
	_n=0
	until inns "$1-p" ping -c1 -W1 -q "$2" >/dev/null 2>&1; do
		_n=$((_n + 1))
		[ $_n -ge 10 ] && return 1
	done
}

HOSTINFO="$(uname -sr), $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo)"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
note "host: $HOSTINFO; load average $LOAD_START"

# =========================================================================
# 1. apply at scale
# =========================================================================
# bench_apply N TOPO
bench_apply() {
	n=$1 h=$2-h
	pol=$T/p$n.yaml chg=$T/p$n-changed.yaml txt=$T/p$n.nft
	note "1. apply at N=$n"
	# first apply, aliases included: at N=10,000 the kernel takes a minute
	# or more to add 20,000 addresses, so that is measured once
	r=1
	runs_alias=$RUNS
	[ "$n" -ge 10000 ] && runs_alias=1
	while [ $r -le $runs_alias ]; do
		[ $r -gt 1 ] && inns "$h" "$L3NFT" delete "$pol" >/dev/null 2>&1
		timed "apply_alias_$n" "$h" "$L3NFT" apply "$pol" || return 1
		r=$((r + 1))
	done
	r=1
	while [ $r -le $RUNS ]; do
		inns "$h" nft delete table inet l3nft 2>/dev/null
		timed "nft_$n" "$h" nft -f "$txt" || return 1
		# with a base binary (--apply): it and this one take turns first
		if [ -n "$BASE_ID" ] && [ $((r % 2)) = 1 ]; then
			apply_round "$n" "$h" "$T/bin/l3nft.base" _base || return 1
		fi
		apply_round "$n" "$h" "$L3NFT" "" || return 1
		if [ -n "$BASE_ID" ] && [ $((r % 2)) = 0 ]; then
			apply_round "$n" "$h" "$T/bin/l3nft.base" _base || return 1
		fi
		r=$((r + 1))
	done
	ok "apply at N=$n: $(med "apply_first_$n.ms") ms first load, nft -f $(med "nft_$n.ms") ms"
}

# last METRIC: the sample recorded last
last() { tail -n 1 "$S/$1"; }
# rec_ratio METRIC A B: records A / B (3 decimals) when both are numbers
rec_ratio() {
	num "$2" && num "$3" && awk -v a="$2" -v b="$3" 'BEGIN { exit !(b != 0) }' &&
		rec "$1" "$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.3f", a / b }')"
	return 0
}
# apply_round N NETNS BINARY TAG: a first load into an empty table, an
# unchanged re-apply, one namespace changed and back; TAG "" for the
# binary under test, "_base" for the older one. Each round's ratios (to
# this round's nft -f and first load) are kept too: on a shared machine
# they move less than the times do.
apply_round() {
	_an=$1 _h=$2 _b=$3 _t=$4
	inns "$_h" nft delete table inet l3nft 2>/dev/null
	timed "apply${_t}_first_$_an" "$_h" "$_b" apply "$T/p$_an.yaml" || return 1
	timed "apply${_t}_same_$_an" "$_h" "$_b" apply "$T/p$_an.yaml" || return 1
	grep -q "nothing changed" "$T/cmd.out" || not_ok "re-apply unchanged at N=$_an changes nothing ($_b)" "$(cat "$T/cmd.out")"
	timed "apply${_t}_one_$_an" "$_h" "$_b" apply "$T/p$_an-changed.yaml" || return 1
	grep -q "(changes only;" "$T/cmd.out" || not_ok "one namespace changed at N=$_an is sent as changes only ($_b)" "$(cat "$T/cmd.out")"
	rec_ratio "rr${_t}_one_$_an" "$(last "apply${_t}_one_$_an.ms")" "$(last "apply${_t}_first_$_an.ms")"
	timed "apply${_t}_one_$_an" "$_h" "$_b" apply "$T/p$_an.yaml" || return 1
	rec_ratio "rr${_t}_one_$_an" "$(last "apply${_t}_one_$_an.ms")" "$(last "apply${_t}_first_$_an.ms")"
	rec_ratio "rr${_t}_first_$_an" "$(last "apply${_t}_first_$_an.ms")" "$(last "nft_$_an.ms")"
	rec_ratio "rr${_t}_same_$_an" "$(last "apply${_t}_same_$_an.ms")" "$(last "apply${_t}_first_$_an.ms")"
}

# bench_dstart N TOPO: l3nftd's start-up to ready on the applied policy of
# N namespaces (no registrations), RUNS times: wall ms until its "ready"
# line, and its CPU (user + system) when that line is seen; with a base
# binary (--apply), it and this one take turns
bench_dstart() {
	_dn=$1
	inns "$2-h" "$L3NFT" apply "$T/p$_dn.yaml" >/dev/null 2>&1
	_rd=$T/run-dstart
	mkdir -p "$_rd"
	_keep=$L3NFTD
	r=1
	while [ $r -le $RUNS ]; do
		for _t in "" _base; do
			[ "$_t" = _base ] && [ -z "$BASE_ID" ] && continue
			L3NFTD=$_keep
			[ "$_t" = _base ] && L3NFTD=$T/bin/l3nftd.base
			_t0=$(date +%s%N)
			start_daemon "$2" "$T/p$_dn.yaml" "$_rd" DX || { L3NFTD=$_keep; return 1; }
			rec "dstart${_t}_$_dn" "$(( ($(date +%s%N) - _t0) / 1000000 ))"
			rec "dstart${_t}_cpu_$_dn" "$(awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) * 1000 / hz }' "/proc/$DX/stat")"
			stop "$DX"
		done
		r=$((r + 1))
	done
	L3NFTD=$_keep
	ok "l3nftd at N=$_dn ready in $(med "dstart_$_dn") ms ($(med "dstart_cpu_$_dn") ms CPU)"
}

# =========================================================================
# 2. per-packet cost
# =========================================================================
# load_cfg TOPO none|N: the table for the per-packet runs
load_cfg() {
	inns "$1-h" nft delete table inet l3nft 2>/dev/null
	[ "$2" = none ] && return 0
	inns "$1-h" nft -f "$T/p$2.nft"
}
port=7000
# pp_once TOPO CFG: one TCP and one UDP measurement into pp_tcp_CFG, pp_udp_CFG
pp_once() {
	h=$1-h p=$1-p cfg=$2
	port=$((port + 1))
	rm -f "$T/srv.ready"
	bg sp nice -n -20 nsenter --net="/run/netns/$h" "$L" tcp-server 192.0.2.1 $port 30 "$T/srv.ready" "$CGM/$CGP/ns1"
	if wait_file "$T/srv.ready" "$sp" &&
		nice -n -20 nsenter --net="/run/netns/$p" "$L" tcp-client 192.0.2.1 $port "$PP_SECS" >"$T/tcp.out"; then
		rec "pp_tcp_$cfg" "$(awk '{ print $8 }' "$T/tcp.out")"
	else
		not_ok "TCP connections ($cfg)" "$(cat "$T/tcp.out" 2>/dev/null)"
	fi
	stop "$sp"
	rm -f "$T/sink.ready"
	bg sp nice -n -20 nsenter --net="/run/netns/$h" "$L" udp-sink 192.0.2.1 $port 30 $SINK_IDLE_MS "$T/sink.ready" "$CGM/$CGP/ns1" >"$T/udp.out"
	if wait_file "$T/sink.ready" "$sp" &&
		nice -n -20 nsenter --net="/run/netns/$p" "$L" udp-send 192.0.2.1 $port "$PP_SECS" >"$T/send.out"; then
		wait "$sp"
		PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$sp" | tr '\n' ' ')
		v=$(awk '{ print $6 }' "$T/udp.out")
		if num "$v" && [ "${v%.*}" -gt 0 ]; then
			rec "pp_udp_$cfg" "$v"
			rec "pp_udpsent_$cfg" "$(awk '{ print $2 }' "$T/send.out")"
			rec "pp_udprecv_$cfg" "$(awk '{ print $2 }' "$T/udp.out")"
		else
			not_ok "UDP datagrams ($cfg)" "$(cat "$T/udp.out")"
		fi
	else
		not_ok "UDP datagrams ($cfg)"
		stop "$sp"
	fi
}
# pp_rr TOPO CFG tcp|udp: round trips/s of request/reply on one flow into
# pp_rrPROTO_CFG (and microseconds per round trip into pp_rrusPROTO_CFG)
pp_rr() {
	h=$1-h p=$1-p cfg=$2 pr=$3
	port=$((port + 1))
	rm -f "$T/rr.ready"
	bg sp nice -n -20 nsenter --net="/run/netns/$h" "$L" rr-server "$pr" 192.0.2.1 $port 30 "$T/rr.ready" "$CGM/$CGP/ns1"
	if wait_file "$T/rr.ready" "$sp" &&
		nice -n -20 nsenter --net="/run/netns/$p" "$L" rr-client "$pr" 192.0.2.1 $port "$PP_SECS" >"$T/rr.out"; then
		rec "pp_rr${pr}_$cfg" "$(awk '{ print $6 }' "$T/rr.out")"
		rec "pp_rrus${pr}_$cfg" "$(awk '{ print $8 }' "$T/rr.out")"
	else
		not_ok "$pr request/reply ($cfg)" "$(cat "$T/rr.out" 2>/dev/null)"
	fi
	stop "$sp"
}
bench_pp() {
	topo_=$1 big=$2
	note "2. per-packet cost (no table, N=1, N=$big), $PP_RUNS rounds"
	r=1
	while [ $r -le $PP_RUNS ]; do
		# the order rotates from round to round against drift
		case $((r % 3)) in
		0) order="none 1 $big" ;;
		1) order="1 $big none" ;;
		2) order="$big none 1" ;;
		esac
		for cfg in $order; do
			load_cfg "$topo_" "$cfg" || { not_ok "loading the table for $cfg"; return 1; }
			[ $own = 1 ] || pp_once "$topo_" "$cfg"
			pp_rr "$topo_" "$cfg" tcp
			pp_rr "$topo_" "$cfg" udp
		done
		r=$((r + 1))
	done
	[ $own = 1 ] ||
		ok "per-packet: TCP $(med pp_tcp_none)/$(med pp_tcp_1)/$(med "pp_tcp_$big") conn/s, UDP $(med pp_udp_none)/$(med pp_udp_1)/$(med "pp_udp_$big") dgram/s (none/N=1/N=$big)"
	ok "request/reply: TCP $(med pp_rrtcp_none)/$(med pp_rrtcp_1)/$(med "pp_rrtcp_$big"), UDP $(med pp_rrudp_none)/$(med pp_rrudp_1)/$(med "pp_rrudp_$big") round trips/s (none/N=1/N=$big)"
}

# =========================================================================
# 3. fan-out
# =========================================================================
RD_S=$T/run-small
mkdir -p "$RD_S"
nlisten=0
# set_listeners K: exactly ns1..nsK registered for 239.1.1.1:5000/udp
set_listeners() {
	while [ $nlisten -lt "$1" ]; do
		nlisten=$((nlisten + 1))
		L3NFT_RUNDIR=$RD_S "$L3NFT" listen "ns$nlisten" 239.1.1.1:5000/udp || return 1
	done
	while [ $nlisten -gt "$1" ]; do
		L3NFT_RUNDIR=$RD_S "$L3NFT" unlisten "ns$nlisten" 239.1.1.1:5000/udp || return 1
		nlisten=$((nlisten - 1))
	done
}
# fan_once TOPO CFG K: one sweep; CFG "base" = no table, one socket joined
fan_once() {
	h=$1-h p=$1-p cfg=$2 k=$3
	specs=
	if [ "$cfg" = base ]; then
		specs="--join 239.1.1.1 192.0.2.1 0.0.0.0"
	else
		i=1
		while [ $i -le "$k" ]; do specs="$specs 192.0.2.$i@$CGM/$CGP/ns$i"; i=$((i + 1)); done
	fi
	rm -f "$T/fan.ready"
	# shellcheck disable=SC2086
	bg rp nice -n -20 nsenter --net="/run/netns/$h" "$L" fan-recv 5000 40 $IDLE_MS "$T/fan.ready" $specs >"$T/fan.out"
	wait_file "$T/fan.ready" "$rp" || { not_ok "fan-out receiver ($cfg)"; stop "$rp"; return 1; }
	# shellcheck disable=SC2086
	if ! nice -n -20 nsenter --net="/run/netns/$p" "$L" mc-send 239.1.1.1 5000 192.0.2.254 "$STEP_SECS" \
		$LAT_RATE $LADDER >"$T/mc.out" 2>&1; then
		not_ok "multicast sender" "$(cat "$T/mc.out")"
		stop "$rp"
		return 1
	fi
	wait "$rp"
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$rp" | tr '\n' ' ')
	# step 0 runs LAT_SECS at LAT_RATE: latency; all steps: loss and rate
	awk -v cfg="$cfg" -v S="$S" -v steps="$STEP_SECS" -v k="$k" '
		FNR == NR { sent[$2] = $6; rate[$2] = $4; next }
		$1 == "step" { s = $2; r = $6; if (!(s in mn) || r < mn[s]) mn[s] = r; p50[s] = $8; p99[s] = $10 }
		END {
			printf "%s\n", p50[0] > (S "/fan_p50_" cfg)
			printf "%s\n", p99[0] > (S "/fan_p99_" cfg)
			start = 0; peak = 0
			for (s = 0; s in sent; s++) {
				loss = sent[s] > 0 ? (sent[s] - mn[s]) / sent[s] : 0
				if (loss < 0) loss = 0
				d = mn[s] / (s == 0 ? lsecs : steps)
				if (s > 0 && d > peak) peak = d
				if (!start && loss > 0.001) start = rate[s]
				printf "%s %s %.5f\n", cfg, rate[s], loss > (S "/fan_sweep")
			}
			if (!start) start = "none"
			printf "%s\n", start > (S "/fan_lossstart_" cfg)
			printf "%.0f\n", peak > (S "/fan_peak_" cfg)
			printf "%.5f\n", (sent[0] - mn[0]) / (sent[0] ? sent[0] : 1) > (S "/fan_latloss_" cfg)
		}' lsecs="$LAT_SECS" "$T/mc.out" "$T/fan.out"
	# close the files awk appended to, in order (awk's > truncates per run:
	# keep every run by moving the single values into the sample files)
	for f in p50 p99 lossstart peak latloss; do
		cat "$S/fan_${f}_$cfg" >>"$S/fan_${f}_$cfg.all"
	done
	cat "$S/fan_sweep" >>"$S/fan_sweep.all"
}

# fan_round_ratios: this round's peak per receiver against the kernel's,
# and the p50 it adds, into fan_rpeak_kK and fan_add50_kK (the verdicts
# use these per-round figures, so a drift between rounds cannot make one)
fan_round_ratios() {
	_bp=$(tail -n 1 "$S/fan_peak_base.all" 2>/dev/null)
	_b50=$(tail -n 1 "$S/fan_p50_base.all" 2>/dev/null)
	for _k in $FAN_KS; do
		_p=$(tail -n 1 "$S/fan_peak_k$_k.all" 2>/dev/null)
		_l=$(tail -n 1 "$S/fan_p50_k$_k.all" 2>/dev/null)
		num "$_p" && num "$_bp" && [ "$_bp" != 0 ] &&
			awk -v a="$_p" -v b="$_bp" 'BEGIN { printf "%.3f\n", a / b }' >>"$S/fan_rpeak_k$_k"
		num "$_l" && num "$_b50" &&
			awk -v a="$_l" -v b="$_b50" 'BEGIN { print a - b }' >>"$S/fan_add50_k$_k"
	done
	return 0
}

# =========================================================================
# 4 and 5. the daemon
# =========================================================================
# start_daemon TOPO POLICY RUNDIR VAR: l3nftd in the foreground, pid in VAR;
# waits (bounded) until its control socket answers
start_daemon() {
	: >"$3/l3nftd.log"
	bg "$4" env L3NFT_RUNDIR="$3" nice -n -20 nsenter --net="/run/netns/$1-h" "$L3NFTD" -f -c "$2" 2>>"$3/l3nftd.log"
	_n=0
	until grep -q "ready on queue" "$3/l3nftd.log"; do
		eval "kill -0 \$$4" 2>/dev/null || { not_ok "l3nftd starts" "$(tail -n 3 "$3/l3nftd.log")"; return 1; }
		[ $_n -ge 3000 ] && { not_ok "l3nftd ready within 30 s"; return 1; }
		sleep 0.01
		_n=$((_n + 1))
	done
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

bench_cgreact() {
	h=$1-h n=$2
	r=1
	while [ $r -le $RUNS ]; do
		v=$(inns "$h" "$T/bin/cgreact" "$CGM/$CGP/ns$n" l3nft "$CGSET" 10000 | awk '{ print $2 }')
		if num "$v"; then rec "cgreact_$n" "$v"; else not_ok "cgroup reaction at N=$n" "$v"; fi
		# let the daemon finish with this change (a rescan at N=10,000
		# takes a good part of a second), or the next run times its tail
		sleep $CG_PAUSE
		r=$((r + 1))
	done
}

bench_listen_lat() {
	tp=$1 rd=$2
	# bounded, and stopped once the rounds are done: the margin covers a
	# busy machine, where starting each listen-lat (nsenter, exec) takes
	# a good part of a second and the poll waits up to 2 s
	total=$(awk -v r="$RUNS" -v p="$PAUSE" 'BEGIN { print r * (2 * p + 2.5) + 1 }')
	bg sp nice -n -20 nsenter --net="/run/netns/$tp-p" "$L" mc-send 239.1.1.2 5100 192.0.2.254 "$total" 5000
	sleep $PAUSE
	r=1
	while [ $r -le $RUNS ]; do
		inns "$tp-h" "$L" listen-lat "$rd/l3nftd.sock" "$CGM/$CGP/ns9" 192.0.2.9 5100 ns9 239.1.1.2:5100/udp 2000 >"$T/ll.out"
		if grep -q first_after_reply "$T/ll.out"; then
			rec listen_reply "$(awk '{ print $2 }' "$T/ll.out")"
			rec listen_first "$(awk '{ print $4 }' "$T/ll.out")"
			rec listen_first_req "$(awk '{ print $6 }' "$T/ll.out")"
		else
			not_ok "listen -> first datagram" "$(cat "$T/ll.out")"
		fi
		sleep $PAUSE
		r=$((r + 1))
	done
	stop "$sp"
}

# bench_addr_back TOPO POLICY: ADDR_RUNS times, `ip addr flush dev eth0` in
# TOPO-h, then the time until every address of POLICY can be bound again
# (l3nftd puts them back); a bind is microseconds, so the poll does not
# blur the measurement
bench_addr_back() {
	grep -Eo '[0-9a-f.:]+/[0-9]+' "$2" | grep -v '^0x' | sed 's#/.*##' >"$T/addrs.txt"
	cat >"$T/addrback.py" <<'PY'
import socket, subprocess, sys, time
addrs = open(sys.argv[1]).read().split()
def bindable(a):
    s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((a, 0))
        return True
    except OSError:
        return False
    finally:
        s.close()
t0 = time.monotonic()
subprocess.run(["ip", "addr", "flush", "dev", "eth0"], check=True)
while time.monotonic() - t0 < 5:
    if all(bindable(a) for a in addrs):
        print("%.2f" % ((time.monotonic() - t0) * 1000))
        sys.exit(0)
    time.sleep(0.0005)
print("never")
PY
	r=1
	while [ $r -le "$ADDR_RUNS" ]; do
		v=$(inns "$1-h" nice -n -20 python3 "$T/addrback.py" "$T/addrs.txt")
		if num "$v"; then rec addr_back "$v"; else not_ok "addresses back after a flush" "$v"; fi
		sleep $PAUSE
		r=$((r + 1))
	done
}

# =========================================================================
# 6. scale
# =========================================================================
# scale_note METRIC: its last sample in the log (a run stopped by its
# time bound still leaves what it measured)
scale_note() { note "$1: $(tail -n 1 "$S/$1.ms") ms wall, $(tail -n 1 "$S/$1.sys") ms sys, $(tail -n 1 "$S/$1.rss") KB peak RSS"; }
# bench_scale N TOPO: the largest policy a 16-bit mark_mask allows (or N):
# compile, the first apply with its aliases (once), then RUNS rounds of
# `nft -f` / first load / unchanged re-apply, per-packet against N=1, and
# l3nftd's start-up and RSS
bench_scale() {
	n=$1 h=$2-h
	pol=$T/p$n.yaml txt=$T/p$n.nft
	note "6. scale at N=$n ($(scale_addrs) address(es) per namespace); load average $(cut -d' ' -f1-3 /proc/loadavg)"
	timed "scale_compile_$n" "$h" "$L3NFT" compile --cgroup-mount "$CGM" "$pol" || return 1
	scale_note "scale_compile_$n"
	timed "scale_alias_$n" "$h" "$L3NFT" apply "$pol" || return 1
	scale_note "scale_alias_$n"
	# the daemon first: a long run stopped by its time bound keeps these
	rd=$T/run-scale
	mkdir -p "$rd"
	r=1
	while [ $r -le $RUNS ]; do
		t0=$(date +%s%N)
		start_daemon "$2" "$pol" "$rd" DX || return 1
		rec "scale_start_$n" "$(( ($(date +%s%N) - t0) / 1000000 ))"
		sleep 0.5
		rec "scale_rss_$n" "$(rss_kb "$DX")"
		stop "$DX"
		note "l3nftd ready in $(tail -n 1 "$S/scale_start_$n") ms, RSS $(tail -n 1 "$S/scale_rss_$n") KB"
		r=$((r + 1))
	done
	r=1
	while [ $r -le $RUNS ]; do
		inns "$h" nft delete table inet l3nft 2>/dev/null
		timed "scale_nft_$n" "$h" nft -f "$txt" || return 1
		scale_note "scale_nft_$n"
		inns "$h" nft delete table inet l3nft 2>/dev/null
		timed "scale_first_$n" "$h" "$L3NFT" apply "$pol" || return 1
		scale_note "scale_first_$n"
		timed "scale_same_$n" "$h" "$L3NFT" apply "$pol" || return 1
		scale_note "scale_same_$n"
		r=$((r + 1))
	done
	wait_link "$2" 192.0.2.1 || not_ok "peer reaches 192.0.2.1 (N=$n)"
	bench_pp "$2" "$n"
	ok "scale N=$n: apply $(med "scale_first_$n.ms") ms (nft -f $(med "scale_nft_$n.ms") ms), l3nftd ready in $(med "scale_start_$n") ms, RSS $(med "scale_rss_$n") KB"
}

# =========================================================================
# the runs
# =========================================================================
if [ $scale = 1 ]; then
	topo "$SC" || { not_ok "scratch topology"; summary; exit 1; }
	bench_scale "$SCALE_N" "$SC"
fi
if [ $apply_only = 1 ]; then
	topo "$LG" || { not_ok "scratch topology"; summary; exit 1; }
	bench_apply "$SIZES" "$LG" || { summary; exit 1; }
	bench_dstart "$SIZES" "$LG"
fi
if [ $headline = 1 ]; then
	bench_headline
fi
if [ $scale = 0 ] && [ $apply_only = 0 ] && [ $headline = 0 ]; then
# ---- small topology: N=10; fan-out; daemon at N=10 ----
topo "$SM" || { not_ok "scratch topology"; summary; exit 1; }
bench_apply 10 "$SM" || { summary; exit 1; }
inns "$SM"-h "$L3NFT" apply "$T/p10.yaml" >/dev/null 2>&1
wait_link "$SM" 192.0.2.1 || not_ok "peer reaches 192.0.2.1 over the veth"
if [ $own = 1 ]; then
	bench_pp "$SM" 10
else
# the fan-out baseline: a second topology without any l3nft table
topo "$FB" || { not_ok "scratch topology (baseline)"; summary; exit 1; }
inns "$FB"-h ip addr add 192.0.2.1/24 dev eth0
wait_link "$FB" 192.0.2.1 || not_ok "peer reaches the baseline host"

start_daemon "$SM" "$T/p10.yaml" "$RD_S" DS || { summary; exit 1; }
rec rss_idle_10 "$(rss_kb "$DS")"
note "3. fan-out: kernel baseline and l3nftd to $FAN_KS namespaces, $RUNS rounds"
r=1
while [ $r -le $RUNS ]; do
	fan_once "$FB" base 1
	for k in $FAN_KS; do
		set_listeners "$k" || { not_ok "l3nft listen"; break; }
		fan_once "$SM" "k$k" "$k"
	done
	fan_round_ratios
	r=$((r + 1))
done
set_listeners 0
for f in "$S"/fan_*.all; do mv "$f" "${f%.all}"; done
if [ "$(stats fan_p50_k1 | awk '{ print $4 }')" -ge "$RUNS" ] && [ "$(stats fan_p50_base | awk '{ print $4 }')" -ge "$RUNS" ]; then
	ok "fan-out: p50 $(med fan_p50_base) us kernel, $(med fan_p50_k1) us through l3nftd to 1"
else
	not_ok "fan-out measured in every round"
fi

if [ $fanout = 1 ]; then
	stop "$DS"
else
note "4. daemon reaction at N=10"
bench_cgreact "$SM" 10
bench_listen_lat "$SM" "$RD_S"
num "$(med cgreact_10)" && ok "cgroup made anew is in the table after $(med cgreact_10) ms (N=10)" ||
	not_ok "cgroup reaction measured"
num "$(med listen_first)" && ok "listen -> first datagram $(med listen_first) ms after the reply" ||
	not_ok "listen latency measured"
bench_addr_back "$SM" "$T/p10.yaml"
num "$(med addr_back)" && ok "addresses back $(med addr_back) ms after a flush (N=10)" ||
	not_ok "address reaction measured"
stop "$DS"

if [ $smoke = 1 ]; then
	# per-packet on the small topology (no table, N=1, N=10)
	bench_pp "$SM" 10
	# a few registrations through the control socket
	inns "$SM"-h "$L3NFT" apply "$T/p10.yaml" >/dev/null 2>&1
	start_daemon "$SM" "$T/p10.yaml" "$RD_S" DS || { summary; exit 1; }
	i=0
	while [ $i -lt $REG_COUNT ]; do echo "listen ns$((i % 10 + 1)) 239.1.1.1:$((6000 + i / 10))/udp"; i=$((i + 1)); done >"$T/reg.txt"
	if nice -n -20 "$L" ctl-bulk "$RD_S/l3nftd.sock" "$REG_SECS" "$T/reg.txt" >"$T/reg.out"; then
		ok "$REG_COUNT registrations through the control socket"
	else
		not_ok "registrations" "$(tail -n 2 "$T/reg.out")"
	fi
	rec rss_reg_small "$(rss_kb "$DS")"
	stop "$DS"
else
	# ---- N=1,000: apply only ----
	topo "$MD" || { not_ok "scratch topology"; summary; exit 1; }
	bench_apply 1000 "$MD" || { summary; exit 1; }
	for ns in "$MD"-h "$MD"-p; do ip netns del $ns; done
	NETNS=$(echo "$NETNS" | tr ' ' '\n' | grep -vx "$MD-[hp]" | tr '\n' ' ')

	# ---- N=10,000: apply, per-packet, daemon ----
	topo "$LG" || { not_ok "scratch topology"; summary; exit 1; }
	bench_apply 10000 "$LG" || { summary; exit 1; }
	wait_link "$LG" 192.0.2.1 || not_ok "peer reaches 192.0.2.1 (N=10,000)"
	bench_pp "$LG" 10000
	bench_dstart 10000 "$LG"
	note "4/5. l3nftd at N=10,000"
	inns "$LG"-h "$L3NFT" apply "$T/p10000.yaml" >/dev/null 2>&1
	RD_B=$T/run-big
	mkdir -p "$RD_B"
	t0=$(date +%s%N)
	start_daemon "$LG" "$T/p10000.yaml" "$RD_B" DB || { summary; exit 1; }
	rec start_10000_ms "$(( ($(date +%s%N) - t0) / 1000000 ))"
	sleep 0.5
	rec rss_idle_10000 "$(rss_kb "$DB")"
	bench_cgreact "$LG" 10000
	num "$(med cgreact_10000)" && ok "cgroup made anew is in the table after $(med cgreact_10000) ms (N=10,000)" ||
		not_ok "cgroup reaction measured at N=10,000"
	# registrations through the control socket: ns1..ns10 x 1,000 ports,
	# bounded in time
	i=0
	while [ $i -lt $REG_COUNT ]; do echo "listen ns$((i % 10 + 1)) 239.1.1.1:$((6000 + i / 10))/udp"; i=$((i + 1)); done >"$T/reg.txt"
	note "5. up to $REG_COUNT registrations through the control socket (at most $REG_SECS s)"
	nice -n -20 "$L" ctl-bulk "$RD_B/l3nftd.sock" "$REG_SECS" "$T/reg.txt" >"$T/reg.out"
	REG_DONE=$(awk '/^done/ { print $2 }' "$T/reg.out")
	REG_TIME=$(awk '/^done/ { print $6 }' "$T/reg.out")
	cp "$T/reg.out" "$T/reg.progress"
	rec rss_reg_ctl "$(rss_kb "$DB")"
	num "$REG_DONE" && [ "$REG_DONE" -gt 0 ] && ok "$REG_DONE registrations in $REG_TIME s" || not_ok "registrations"
	stop "$DB"
	# the same daemon started with all 10,000 registrations saved
	{ echo "# l3nftd dynamic registrations: NAME SPEC"; sed 's/^listen //' "$T/reg.txt"; } >"$RD_B/registrations"
	t0=$(date +%s%N)
	start_daemon "$LG" "$T/p10000.yaml" "$RD_B" DB || { summary; exit 1; }
	rec start_reg_ms "$(( ($(date +%s%N) - t0) / 1000000 ))"
	sleep 0.5
	rec rss_reg_10000 "$(rss_kb "$DB")"
	# (its start-up line, not `l3nft listeners`: on a busy machine the
	# daemon drops a listing client whose socket buffer fills up)
	nreg=$(sed -n 's/.*ready on queue [0-9]*, \([0-9]*\) registrations.*/\1/p' "$RD_B/l3nftd.log" | tail -n 1)
	[ "$nreg" = "$REG_COUNT" ] && ok "l3nftd restored $nreg registrations" || not_ok "l3nftd restored $REG_COUNT registrations" "it says $nreg"
	# one more registration on top of 10,000: what a `listen` costs then
	r=1
	while [ $r -le $RUNS ]; do
		echo "listen ns1 239.1.1.1:$((7000 + r))/udp" >"$T/one.txt"
		nice -n -20 "$L" ctl-bulk "$RD_B/l3nftd.sock" 30 "$T/one.txt" >"$T/one.out" &&
			rec reg_one_at_10000 "$(awk '/^done/ { print $6 * 1000 }' "$T/one.out")"
		r=$((r + 1))
	done
	stop "$DB"
fi
if [ $smoke = 1 ]; then
	bench_dstart 10 "$SM"
	topo "$SC" || { not_ok "scratch topology"; summary; exit 1; }
	bench_scale "$SCALE_N" "$SC"
	bench_headline
fi
fi	# fanout = 0
fi	# own = 0
fi	# scale = 0, headline = 0
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
note "load average at the end: $LOAD_END"

# =========================================================================
# the report
# =========================================================================
# fmt VALUE: rounds for the table
fmt() {
	num "$1" || { printf '%s' "$1"; return; }
	awk -v v="$1" 'BEGIN {
		a = v < 0 ? -v : v
		if (a >= 100) printf "%.0f", v; else if (a >= 10) printf "%.1f", v; else printf "%.2f", v }'
}
ratio() { num "$1" && num "$2" && awk -v a="$1" -v b="$2" 'BEGIN { if (b != 0) printf "%.2f", a / b; else printf "-" }' || printf -- '-'; }
# row LABEL METRIC BASELINE_METRIC BASELINE_LABEL [SCALE] [TARGET VERDICT]
row() {
	set -- "$1" "$2" "$3" "$4" "${5:-1}" "${6:-}" "${7:-}"
	read -r m lo hi cnt <<EOF
$(stats "$2")
EOF
	if [ "$cnt" = 0 ]; then
		echo "| $1 | - | - | - | - | $4 | $6 | $7 |"
		return
	fi
	bm=$(med "$3")
	sc=$5
	echo "| $1 | $(fmt "$(awk -v v="$m" -v s="$sc" 'BEGIN { print v / s }')") | $(fmt "$(awk -v v="$lo" -v s="$sc" 'BEGIN { print v / s }')") | $(fmt "$(awk -v v="$hi" -v s="$sc" 'BEGIN { print v / s }')") | $cnt | $(ratio "$m" "$bm") x $4 | $6 | $7 |"
}
# verdict COND: "met" / "**missed**"
verdict() { if awk "BEGIN { exit !($1) }"; then echo met; else echo "**missed**"; fi; }

# rr_extra PROTO CFG: the extra microseconds per round trip against no table
rr_extra() {
	_a=$(med "pp_rrus$1_$2") _b=$(med "pp_rrus$1_none")
	if num "$_a" && num "$_b"; then
		awk -v a="$_a" -v b="$_b" 'BEGIN { printf "%.2f", a - b }'
	else
		printf -- '-'
	fi
}

# The cost of the connection-ownership chains: every packet of an
# established flow (ct status confirmed) goes through conn_in on the way
# in and conn_out on the way out.
report_ownership() {
	echo "### Connection ownership: established flows"
	echo
	cat <<EOF
Request/reply on one established flow from the peer to namespace ns1's
alias 192.0.2.1 (server in ns1's cgroup): the client sends 64 bytes and
waits for their echo, for ${PP_SECS} s per measurement (TCP: one connection,
TCP_NODELAY; UDP: one connected socket). After the first packet every
packet is of a confirmed conntrack entry, so each round trip takes the
ownership checks twice in the host netns: the request through \`conn_in\`
(the owner's \`ct mark . socket cgroupv2\` in \`member_lN\`), the echo
through \`conn_out\` (\`ct mark . meta mark\` in \`same\`), besides the
marking lookups every packet pays. Same netns, same addresses on eth0,
tables loaded with \`nft -f\` (none, N=1, N=$PP_BIG), $PP_RUNS rounds in a
rotating order.

| measurement | median | min | max | n | ratio to baseline | target | verdict |
| --- | ---: | ---: | ---: | ---: | --- | --- | --- |
EOF
	for proto in tcp udp; do
		u=$( [ $proto = tcp ] && echo "TCP request/reply" || echo "UDP request/reply" )
		r1=$(ratio "$(med "pp_rr${proto}_1")" "$(med "pp_rr${proto}_none")")
		rn=$(ratio "$(med "pp_rr${proto}_$PP_BIG")" "$(med "pp_rr${proto}_none")")
		row "$u, round trips/s, no table (baseline)" "pp_rr${proto}_none" "pp_rr${proto}_none" "no table"
		row "$u, round trips/s, N=1" "pp_rr${proto}_1" "pp_rr${proto}_none" "no table" 1 ">= 0.85 x no table" "$(num "$r1" && verdict "$r1 >= 0.85" || echo -)"
		row "$u, round trips/s, N=$PP_BIG" "pp_rr${proto}_$PP_BIG" "pp_rr${proto}_none" "no table" 1 ">= 0.85 x no table" "$(num "$rn" && verdict "$rn >= 0.85" || echo -)"
		row "$u, us per round trip, no table (baseline)" "pp_rrus${proto}_none" "pp_rrus${proto}_none" "no table"
		row "$u, us per round trip, N=$PP_BIG" "pp_rrus${proto}_$PP_BIG" "pp_rrus${proto}_none" "no table"
	done
	echo
	echo "Extra time per round trip against no table (difference of the medians;"
	echo "two packets through the host's chains per round trip, plus TCP's ACKs"
	echo "where they are not piggybacked): TCP $(rr_extra tcp 1) us at N=1 and"
	echo "$(rr_extra tcp "$PP_BIG") us at N=$PP_BIG; UDP $(rr_extra udp 1) us at N=1 and $(rr_extra udp "$PP_BIG") us at N=$PP_BIG."
}

# rratio_row LABEL METRIC TARGET COND: a row of per-round ratios (median,
# min, max of the rounds' own ratios), with the verdict on the median
rratio_row() {
	read -r m lo hi cnt <<EOF
$(stats "$2")
EOF
	if [ "$cnt" = 0 ]; then
		echo "| $1 | - | - | - | - | per round | $3 | - |"
		return
	fi
	v=-
	[ -n "$4" ] && v=$(verdict "$m $4")
	echo "| $1 | $m | $lo | $hi | $cnt | per round | $3 | $v |"
}

# The apply rows of section 1 for every N of SIZES: times against the same
# run's baselines, then each round's own ratios (the targets' verdicts at
# N=10,000 are on those), and the base binary's ("before") when timed
report_apply_rows() {
	for n in $SIZES; do
		nn=$(printf '%s' "$n" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')
		tf=$(ratio "$(med "apply_first_$n.ms")" "$(med "nft_$n.ms")")
		to=$(ratio "$(med "apply_one_$n.ms")" "$(med "apply_first_$n.ms")")
		ts=$(ratio "$(med "apply_same_$n.ms")" "$(med "apply_first_$n.ms")")
		# the targets are judged on the rounds' own ratios when there are any
		[ -s "$S/rr_first_$n" ] && tf=$(med "rr_first_$n")
		[ -s "$S/rr_one_$n" ] && to=$(med "rr_one_$n")
		[ -s "$S/rr_same_$n" ] && ts=$(med "rr_same_$n")
		if [ "$n" = 10000 ]; then
			row "N=$nn: \`nft -f\` (baseline), ms" "nft_$n.ms" "nft_$n.ms" "nft -f"
			row "N=$nn: \`l3nft apply\` first load, ms" "apply_first_$n.ms" "nft_$n.ms" "nft -f" 1 "<= 0.5 x nft -f" "$(num "$tf" && verdict "$tf <= 0.5" || echo -)"
			row "N=$nn: re-apply unchanged, ms" "apply_same_$n.ms" "apply_first_$n.ms" "first load" 1 "<= 0.25 x first load" "$(num "$ts" && verdict "$ts <= 0.25" || echo -)"
			row "N=$nn: re-apply, one namespace changed (changes only), ms" "apply_one_$n.ms" "apply_first_$n.ms" "first load" 1 "<= 0.05 x first load" "$(num "$to" && verdict "$to <= 0.05" || echo -)"
		else
			row "N=$nn: \`nft -f\` (baseline), ms" "nft_$n.ms" "nft_$n.ms" "nft -f"
			row "N=$nn: \`l3nft apply\` first load, ms" "apply_first_$n.ms" "nft_$n.ms" "nft -f"
			row "N=$nn: re-apply unchanged, ms" "apply_same_$n.ms" "apply_first_$n.ms" "first load"
			row "N=$nn: re-apply, one namespace changed (changes only), ms" "apply_one_$n.ms" "apply_first_$n.ms" "first load"
		fi
		row "N=$nn: first apply with the aliases (adds $((2 * n)) addresses), ms" "apply_alias_$n.ms" "nft_$n.ms" "nft -f"
		row "N=$nn: \`nft -f\` peak RSS, MB" "nft_$n.rss" "nft_$n.rss" "nft -f" 1024
		row "N=$nn: \`l3nft apply\` first load peak RSS, MB" "apply_first_$n.rss" "nft_$n.rss" "nft -f" 1024
		row "N=$nn: re-apply unchanged peak RSS, MB" "apply_same_$n.rss" "nft_$n.rss" "nft -f" 1024
		row "N=$nn: re-apply one changed peak RSS, MB" "apply_one_$n.rss" "nft_$n.rss" "nft -f" 1024
		rratio_row "N=$nn: first load / nft -f, each round" "rr_first_$n" "<= 0.5" "$( [ "$n" = 10000 ] && echo "<= 0.5")"
		rratio_row "N=$nn: re-apply unchanged / first load, each round" "rr_same_$n" "<= 0.25" "$( [ "$n" = 10000 ] && echo "<= 0.25")"
		rratio_row "N=$nn: one namespace changed / first load, each round (both directions)" "rr_one_$n" "<= 0.05" "$( [ "$n" = 10000 ] && echo "<= 0.05")"
		[ -s "$S/apply_base_first_$n.ms" ] || continue
		row "N=$nn: before: \`l3nft apply\` first load, ms" "apply_base_first_$n.ms" "apply_first_$n.ms" "after"
		row "N=$nn: before: re-apply unchanged, ms" "apply_base_same_$n.ms" "apply_same_$n.ms" "after"
		row "N=$nn: before: one namespace changed, ms" "apply_base_one_$n.ms" "apply_one_$n.ms" "after"
		rratio_row "N=$nn: before: first load / nft -f, each round" "rr_base_first_$n" "" ""
		rratio_row "N=$nn: before: re-apply unchanged / first load, each round" "rr_base_same_$n" "" ""
		rratio_row "N=$nn: before: one namespace changed / first load, each round" "rr_base_one_$n" "" ""
	done
}

# l3nftd's start-up rows (bench_dstart), for every N it ran at
report_dstart_rows() {
	for f in "$S"/dstart_cpu_*; do
		[ -s "$f" ] || continue
		n=${f##*_}
		nn=$(printf '%s' "$n" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')
		w=$(med "dstart_$n")
		row "N=$nn: l3nftd start-up to ready (wall), ms" "dstart_$n" "dstart_$n" "itself" 1 "<= 200 ms" "$(num "$w" && [ "$n" = 10000 ] && verdict "$w <= 200" || echo -)"
		row "N=$nn: l3nftd CPU (user + system) at ready, ms" "dstart_cpu_$n" "dstart_$n" "wall" 1 "" ""
		[ -s "$S/dstart_base_$n" ] || continue
		row "N=$nn: before: l3nftd start-up to ready (wall), ms" "dstart_base_$n" "dstart_$n" "after"
		row "N=$nn: before: l3nftd CPU at ready, ms" "dstart_base_cpu_$n" "dstart_cpu_$n" "after"
	done
}

# the start-up subsection of section 1
report_dstart() {
	echo
	echo "### l3nftd start-up"
	echo
	cat <<EOF
\`l3nftd -f\` started $RUNS times on the applied policy (no registrations,
the socket layer attached): wall time from the start until its "ready"
line (polled every 10 ms), and its CPU time (user + system, /proc/PID/stat)
when that line is seen.

| measurement | median | min | max | n | ratio to baseline | target | verdict |
| --- | ---: | ---: | ---: | ---: | --- | --- | --- |
EOF
	report_dstart_rows
}

# report_fanout: section 3
report_fanout() {
	echo "## 3. fan-out through l3nftd"
	echo
	cat <<EOF
The peer sends multicast to 239.1.1.1:5000 (64-byte payload with a sequence
number and the send time); l3nftd (policy of N=10, namespaces ns1..nsK
registered with \`l3nft listen\`) hands one copy to each registered
namespace: one socket per namespace, each created in that namespace's
cgroup and bound to its alias, all in one receiver process. Baseline: a
second pair of scratch netns without any l3nft table, where the kernel
delivers the same multicast to one socket that joined the group. Loss is
counted at every receiver (sent minus received, per socket; the worst
socket counts). Latency: send to receive, both CLOCK_MONOTONIC, at
${LAT_RATE} datagrams/s for ${LAT_SECS} s. Then a ladder of offered rates
(${LADDER:-none}) datagrams/s, ${STEP_SECS} s each: "loss starts at" is the
lowest offered rate at which some receiver missed more than 0.1%, and
"peak delivered" is the highest rate of datagrams per second that every
receiver got, over the ladder. Rounds interleave the baseline and the
three fan-outs.

| measurement | median | min | max | n | ratio to baseline | target | verdict |
| --- | ---: | ---: | ---: | ---: | --- | --- | --- |
EOF
	row "latency p50, kernel to one socket (baseline), us" fan_p50_base fan_p50_base "kernel"
	for k in $FAN_KS; do row "latency p50, l3nftd to $k, us" "fan_p50_k$k" fan_p50_base "kernel"; done
	row "latency p99, kernel to one socket (baseline), us" fan_p99_base fan_p99_base "kernel"
	for k in $FAN_KS; do row "latency p99, l3nftd to $k, us" "fan_p99_k$k" fan_p99_base "kernel"; done
	for k in $FAN_KS; do
		a50=$(awk -v a="$(med "fan_p50_k$k")" -v b="$(med fan_p50_base)" 'BEGIN { print a - b }')
		a99=$(awk -v a="$(med "fan_p99_k$k")" -v b="$(med fan_p99_base)" 'BEGIN { print a - b }')
		echo "| latency added by l3nftd to $k (median against median), us | p50 +$(fmt "$a50"), p99 +$(fmt "$a99") | | | | | | |"
		ra=$(med "fan_add50_k$k")
		row "p50 added by l3nftd to $k, per round (its p50 less the kernel's in the same round), us" "fan_add50_k$k" "fan_add50_k$k" "itself" 1 \
			"p50 <= 25" "$(num "$ra" && verdict "$ra <= 25" || echo -)"
	done
	if [ -n "$LADDER" ]; then
		row "peak delivered, kernel to one socket (baseline), datagrams/s" fan_peak_base fan_peak_base "kernel"
		for k in $FAN_KS; do
			row "peak delivered per receiver, l3nftd to $k, datagrams/s" "fan_peak_k$k" fan_peak_base "kernel" 1
			rr=$(med "fan_rpeak_k$k")
			row "peak per receiver to $k / kernel's, per round (ratio)" "fan_rpeak_k$k" "fan_rpeak_k$k" "itself" 1 \
				">= 0.6 x kernel" "$(num "$rr" && verdict "$rr >= 0.6" || echo -)"
		done
		for c in base $(for k in $FAN_KS; do printf 'k%s ' "$k"; done); do
			lbl=$( [ "$c" = base ] && echo "kernel to one socket (baseline)" || echo "l3nftd to ${c#k}" )
			# "none" (no loss on the whole ladder) sorts above every rate
			v=$(sed 's/^none$/1e99/' "$S/fan_lossstart_$c" 2>/dev/null | sort -g | sed 's/^1e99$/none/' | tr '\n' ' ')
			m=$(printf '%s\n' $v | awk '{ x[NR] = $1 } END { print x[int((NR + 1) / 2)] }')
			echo "| loss starts at (offered datagrams/s), $lbl | $m | | | $(printf '%s\n' $v | grep -c .) | runs: $v | | |"
		done
		echo
		echo "Worst receiver's loss at each offered rate (median over the rounds):"
		echo
		printf '| offered datagrams/s |'
		for c in base $(for k in $FAN_KS; do printf 'k%s ' "$k"; done); do printf ' %s |' "$( [ "$c" = base ] && echo kernel || echo "l3nftd to ${c#k}")"; done
		echo
		printf '| ---: |'
		for c in base $FAN_KS; do printf ' ---: |'; done
		echo
		for rate in $LAT_RATE $LADDER; do
			printf '| %s |' "$rate"
			for c in base $(for k in $FAN_KS; do printf 'k%s ' "$k"; done); do
				awk -v c="$c" -v r="$rate" '$1 == c && $2 == r { print $3 }' "$S/fan_sweep" 2>/dev/null | sort -g |
					awk '{ v[NR] = $1 } END { if (NR) printf " %.1f%% |", 100 * v[int((NR + 1) / 2)]; else printf " - |" }'
			done
			echo
		done
	fi
	echo
}

report() {
	if [ $own = 1 ]; then
		echo "Written by \`sh bench/run.sh --ownership\` on $(date -u '+%Y-%m-%d %H:%M UTC') at git \`$GIT_AT_START\` ($BIN_ID); machine: $HOSTINFO; load average $LOAD_START at the start and $LOAD_END at the end."
		echo
		report_ownership
		return
	fi
	cat <<EOF
# l3nft benchmarks

Written by \`sh bench/run.sh\` ($( [ $smoke = 1 ] && echo "smoke mode: one short run each, N=10 only" || echo "full run" )) on
$(date -u '+%Y-%m-%d %H:%M UTC'), l3nft $("$L3NFT" --version 2>/dev/null | awk '{ print $2 }') at git
\`$GIT_AT_START\` (at the start; the binaries need not be built from it:
they are what \`l3nft\`/\`l3nftd\` were then, copied and used throughout:
$BIN_ID).
Machine: $HOSTINFO. Load average $LOAD_START at the start and $LOAD_END at the
end: **the machine was shared with other work while this ran** (other
processes kept both CPUs busy), so absolute numbers are noisy; every
figure is therefore set against a baseline measured in the same run,
interleaved with it where that is possible.

Each row: median, min and max over the runs (n), and the median as a ratio
to the named baseline's median from the same run. Everything ran in scratch
network namespaces (a "host" netns whose \`eth0\` is a veth, a "peer" netns
on its other end with 192.0.2.254/24) and in cgroups below a per-run
parent \`$CGP\` of the cgroup2 mount ($CGM). Load generators (bench/*.c)
and the daemon ran at \`nice -n -20\`, to keep other work on the machine
from dominating the traffic measurements.

Policies: \`sh rules/gen-large.sh N\` (two addresses per namespace), with a
\`cgroup: $CGP/nsK\` line added to each namespace, and namespace ns254's
IPv4 address 192.0.2.254 replaced by 2001:db8:1::fe, so that the peer can
have 192.0.2.254. "One namespace changed" adds \`ping: false\` to namespace
ns(N/2), or takes it away again (both directions are timed).

EOF
	echo "## 1. apply at scale"
	echo
	cat <<EOF
\`nft -f\` loads \`l3nft compile --cgroup-mount $CGM\`'s text of the same
policy. **This kernel has no native nft \`queue\` (CONFIG_NFT_QUEUE off), so
\`nft -f\` refuses the two \`queue num 100\` rules: they are replaced by
\`counter\` in the text before it is timed** (\`l3nft apply\` loads the xt
NFQUEUE target there instead). The table is deleted (untimed) before each
first load. The namespaces' addresses are **already on eth0** for every
row except "first apply with the aliases", where \`l3nft apply\` adds them
itself (at N=10,000 that is 20,000 addresses and was timed once, since it
takes the kernel minutes; between the runs at smaller N, \`l3nft delete\`
took them away). Time is wall-clock; memory is the command's peak RSS
(\`wait4\` rusage, \`ru_maxrss\`), so the kernel's memory is not in it.
A re-apply reads the live table back, builds the policy's table and
compares them object by object; "one namespace changed" then sends only
that change (here one element of the \`ping\` set), which the run checks
(\`applied ... (changes only; ...)\`). What both re-apply rows cost is
therefore the read-back and the comparison, not the transaction.

| measurement | median | min | max | n | ratio to baseline | target | verdict |
| --- | ---: | ---: | ---: | ---: | --- | --- | --- |
EOF
	report_apply_rows
	echo
	echo "CPU time of the same runs (user / system, median, ms):"
	echo
	echo "| N | nft -f | apply first load | re-apply unchanged | re-apply one changed | first apply with aliases |"
	echo "| ---: | --- | --- | --- | --- | --- |"
	for n in $SIZES; do
		line="| $n |"
		for m in nft apply_first apply_same apply_one apply_alias; do
			line="$line $(fmt "$(med "${m}_$n.user")") / $(fmt "$(med "${m}_$n.sys")") |"
		done
		echo "$line"
	done
	report_dstart
	echo
	echo "## 2. per-packet cost"
	echo
	cat <<EOF
From the peer netns to namespace ns1's alias 192.0.2.1 over the veth; the
server is in ns1's cgroup. TCP: connections per second from one client
(connect, the server accepts and closes, the client resets), ${PP_SECS} s per
measurement. UDP: 64-byte datagrams per second received, one sender
flooding for ${PP_SECS} s. Tables: none; N=1 and N=$PP_BIG loaded with
\`nft -f\` of the compiled text (queue -> counter as above; the rules
involved in unicast are the same as \`l3nft apply\`'s), in the same netns
with the same $((2 * PP_BIG)) addresses on eth0, so that only the table
differs. $PP_RUNS rounds, each measuring all three in a rotating order.
Targets: N=$PP_BIG within 5% of N=1; the table's overhead against no table
within 15%.

| measurement | median | min | max | n | ratio to baseline | target | verdict |
| --- | ---: | ---: | ---: | ---: | --- | --- | --- |
EOF
	for proto in tcp udp; do
		u=$( [ $proto = tcp ] && echo "TCP connections/s" || echo "UDP datagrams/s" )
		rb=$(ratio "$(med "pp_${proto}_$PP_BIG")" "$(med "pp_${proto}_1")")
		r1=$(ratio "$(med "pp_${proto}_1")" "$(med "pp_${proto}_none")")
		rn=$(ratio "$(med "pp_${proto}_$PP_BIG")" "$(med "pp_${proto}_none")")
		row "$u, no table (baseline)" "pp_${proto}_none" "pp_${proto}_none" "no table"
		row "$u, N=1" "pp_${proto}_1" "pp_${proto}_none" "no table" 1 ">= 0.85 x no table" "$(num "$r1" && verdict "$r1 >= 0.85" || echo -)"
		row "$u, N=$PP_BIG" "pp_${proto}_$PP_BIG" "pp_${proto}_none" "no table" 1 ">= 0.85 x no table" "$(num "$rn" && verdict "$rn >= 0.85" || echo -)"
		row "$u, N=$PP_BIG against N=1" "pp_${proto}_$PP_BIG" "pp_${proto}_1" "N=1" 1 "within 5% of N=1 (>= 0.95)" "$(num "$rb" && verdict "$rb >= 0.95" || echo -)"
	done
	echo
	report_ownership
	echo
	report_fanout
	echo "## 4. daemon reaction"
	echo
	cat <<EOF
cgroup: \`bench/cgreact\` removes an empty namespace cgroup and creates it
again (a new cgroup id), then asks the kernel for that id in map
\`$CGSET\` (one NFT_MSG_GETSETELEM for the key, every 50 us) until it is
there; the time runs from mkdir returning. The baseline is N=10.
listen: a receiver bound to ns9's alias in ns9's cgroup sends
"listen ns9 239.1.1.2:5100/udp" on the control socket (what \`l3nft listen\`
sends) while the peer sends to that group 5,000 times a second; times are
taken around the request, and the first datagram's arrival is the
kernel's receive timestamp (SO_TIMESTAMPNS). A negative "after the reply"
means the first datagram was delivered before the reply came back.
addresses: in the N=10 host namespace, \`ip addr flush dev eth0\` removes
the policy's 10 IPv4 and 10 IPv6 addresses; l3nftd sees the RTM_DELADDR
events and adds them back. The time runs from the start of the flush
until every one of the 20 can be bound again (polled every 0.5 ms with
bind()); $ADDR_RUNS rounds.

| measurement | median | min | max | n | ratio to baseline | target | verdict |
| --- | ---: | ---: | ---: | ---: | --- | --- | --- |
EOF
	row "cgroup made anew -> id in the table, N=10 (baseline), ms" cgreact_10 cgreact_10 "N=10"
	[ $smoke = 0 ] && row "cgroup made anew -> id in the table, N=10,000, ms" cgreact_10000 cgreact_10 "N=10"
	row "\`listen\` request -> reply, ms" listen_reply listen_reply "request -> reply"
	row "\`listen\` reply -> first datagram delivered, ms" listen_first listen_reply "request -> reply"
	row "\`listen\` request -> first datagram delivered, ms" listen_first_req listen_reply "request -> reply"
	am=$(med addr_back)
	row "\`ip addr flush dev eth0\` -> all 20 addresses back (N=10), ms" addr_back addr_back "itself" 1 \
		"< 100 ms" "$(num "$am" && verdict "$am < 100" || echo -)"
	echo
	echo "## 5. memory of l3nftd"
	echo
	if [ $smoke = 1 ]; then
		echo "| measurement | median | min | max | n | ratio to baseline | target | verdict |"
		echo "| --- | ---: | ---: | ---: | ---: | --- | --- | --- |"
		row "RSS idle, N=10 policy (baseline), MB" rss_idle_10 rss_idle_10 "idle N=10" 1024
		row "RSS with $REG_COUNT registrations, N=10 policy, MB" rss_reg_small rss_idle_10 "idle N=10" 1024
	else
		cat <<EOF
VmRSS of l3nftd. 10,000 distinct registrations: namespaces ns1..ns10 x ports
6000..6999 of 239.1.1.1 (udp), with the N=10,000 policy. They were first
sent one by one through the control socket (a small C client speaking
include/l3nft/kernel/ctl.h, one connection, one request per message, waiting for
each reply), for at most $REG_SECS s. Since that does not reach 10,000 in
that time, the same 10,000 lines were then written to the daemon's
registrations file and the daemon was started on it (it restores
registrations at start-up), which gives the RSS with 10,000.

| measurement | median | min | max | n | ratio to baseline | target | verdict |
| --- | ---: | ---: | ---: | ---: | --- | --- | --- |
EOF
		row "RSS idle, N=10 policy (baseline), MB" rss_idle_10 rss_idle_10 "idle N=10" 1024
		rm=$(awk -v v="$(med rss_idle_10000)" 'BEGIN { print v / 1024 }')
		row "RSS idle, N=10,000 policy, MB" rss_idle_10000 rss_idle_10 "idle N=10" 1024 \
			"<= 16 MB" "$(num "$(med rss_idle_10000)" && verdict "$rm <= 16" || echo -)"
		row "RSS after $REG_DONE registrations through the control socket, MB" rss_reg_ctl rss_idle_10000 "idle N=10,000" 1024
		row "RSS with 10,000 registrations (restored at start), MB" rss_reg_10000 rss_idle_10000 "idle N=10,000" 1024
		sm=$(med start_10000_ms)
		row "start-up to ready, N=10,000 policy, no registrations, ms" start_10000_ms start_10000_ms "no registrations" 1 \
			"<= 200 ms" "$(num "$sm" && verdict "$sm <= 200" || echo -)"
		row "start-up to ready with 10,000 registrations, ms" start_reg_ms start_10000_ms "no registrations"
		row "one more \`listen\` on top of 10,000 registrations, ms" reg_one_at_10000 listen_reply "listen at N=10"
		echo
		echo "Registrations through the control socket, cumulative (count, seconds):"
		echo
		echo '```'
		awk '/^at/ && ($2 % 1000 == 0) { printf "%6d  %7.1f s\n", $2, $4 } /^done/ { printf "%6d  %7.1f s  (stopped: %s)\n", $2, $6, ($2 < 10000 ? "time bound" : "all done") }' "$T/reg.progress"
		echo '```'
	fi
}

# report_scale: section 6
report_scale() {
	n=$SCALE_N
	echo
	echo "## 6. scale: N=$n"
	echo
	cat <<EOF
The policy of \`rules/gen-large.sh $n\` (mark_mask 0x00ffff00: ids up to
65,535), cgroups made for every namespace. The first apply adds the
aliases ($(scale_addrs) per namespace, $(($(scale_addrs) * n)) addresses, run once); then $RUNS rounds of \`nft -f\` of the
compiled text, \`l3nft apply\` into an empty table (aliases there) and an
unchanged re-apply. Per packet: as in section 2, N=$n against N=1 in the
same topology, $PP_RUNS rounds (\`nft -f\` of each table). l3nftd: started
$RUNS times on the applied policy, no registrations.

| measurement | median | min | max | n | ratio to baseline | target | verdict |
| --- | ---: | ---: | ---: | ---: | --- | --- | --- |
EOF
	row "\`l3nft compile\`, ms" "scale_compile_$n.ms" "scale_nft_$n.ms" "nft -f"
	row "first apply with the aliases, ms" "scale_alias_$n.ms" "scale_nft_$n.ms" "nft -f"
	row "\`nft -f\` of the compiled text (baseline), ms" "scale_nft_$n.ms" "scale_nft_$n.ms" "nft -f"
	row "\`l3nft apply\` first load, ms" "scale_first_$n.ms" "scale_nft_$n.ms" "nft -f"
	row "re-apply unchanged, ms" "scale_same_$n.ms" "scale_first_$n.ms" "first load"
	row "\`l3nft apply\` first load peak RSS, MB" "scale_first_$n.rss" "scale_nft_$n.rss" "nft -f" 1024
	for p in tcp udp; do
		lbl=$( [ $p = tcp ] && echo "TCP connections/s peer -> namespace" || echo "UDP datagrams/s peer -> namespace")
		fr=$(ratio "$(med "pp_${p}_$n")" "$(med "pp_${p}_1")")
		row "$lbl, N=1 (baseline)" "pp_${p}_1" "pp_${p}_1" "N=1"
		row "$lbl, N=$n" "pp_${p}_$n" "pp_${p}_1" "N=1" 1 ">= 0.95 x N=1" \
			"$(num "$fr" && verdict "$fr >= 0.95" || echo -)"
	done
	row "l3nftd start-up to ready, ms" "scale_start_$n" "scale_start_$n" "itself"
	row "l3nftd RSS idle, MB" "scale_rss_$n" "scale_rss_$n" "itself" 1024
}
if [ $apply_only = 1 ]; then
	report() {
		echo "Written by \`sh bench/run.sh --apply\` on $(date -u '+%Y-%m-%d %H:%M UTC') at git \`$GIT_AT_START\` ($BIN_ID${BASE_ID:+; before: $BASE_ID}); machine: $HOSTINFO; load average $LOAD_START at the start and $LOAD_END at the end. $RUNS rounds; in each, \`nft -f\`, then the binaries under test and (when given) the older ones in turn, each: a first load into an empty table, an unchanged re-apply, one namespace changed and back."
		echo
		echo "| measurement | median | min | max | n | ratio to baseline | target | verdict |"
		echo "| --- | ---: | ---: | ---: | ---: | --- | --- | --- |"
		report_apply_rows
		report_dstart
	}
	report_all() { report; }
elif [ $scale = 1 ]; then
	report() {
		echo "# l3nft scale benchmark"
		echo
		echo "Written by \`sh bench/run.sh --scale\` on $(date -u '+%Y-%m-%d %H:%M UTC'), $HOSTINFO;"
		echo "load average $LOAD_START at the start, $LOAD_END at the end; binaries $BIN_ID."
		report_scale
	}
	report_all() { report; }
elif [ $headline = 1 ]; then
	report_all() { report_headline; }
elif [ $fanout = 1 ]; then
	report_all() {
		echo "# l3nft fan-out benchmark"
		echo
		echo "Written by \`sh bench/run.sh --fanout\` on $(date -u '+%Y-%m-%d %H:%M UTC'), $HOSTINFO;"
		echo "load average $LOAD_START at the start, $LOAD_END at the end; binaries $BIN_ID."
		echo
		report_fanout
	}
else
	report_all() { report; [ $smoke = 1 ] && { report_scale; echo; report_headline; }; return 0; }
fi
if report_all >"$T/report.md" 2>"$T/report.err"; then
	ok "report written"
else
	not_ok "report" "$(tr '\n' '|' <"$T/report.err")"
fi
if [ -n "$out" ]; then
	mkdir -p "$(dirname "$out")"
	cp "$T/report.md" "$out" && note "wrote $out"
else
	sed 's/^/# /' "$T/report.md"
fi
summary
[ $fail = 0 ]
