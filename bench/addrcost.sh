#!/bin/sh
# What adding many addresses to one interface costs, and where (issue 15,
# scale): K IPv6 addresses (2001:db8::/32; the three IPv4 documentation
# /24s hold only 762) added to one veth in a scratch netns, three ways:
#   ip        `ip -b` of `addr add A/64 dev eth0 nodad` (permanent)
#   ip-depr   the same with `preferred_lft 0` (what l3nft's aliases are:
#             deprecated, so the host never picks them as a source)
#   l3nft     `l3nft apply` of a policy of K namespaces with ONE address
#             each, minus an `nft -f` of its table (the alias work alone is
#             apply's time less the table's)
# Prints "K way wall_ms sys_ms kworker_ms" per run (sys_ms: the command's
# own system time; kworker_ms: CPU time that all kworker threads of the
# machine spent meanwhile, i.e. the kernel's deferred work such as IPv6
# addrconf's per-address work items, plus whatever other work on the
# machine queued there); every netns and cgroup it makes is removed on
# every exit path.
#
#   sh bench/addrcost.sh [K...]          (default: 5000 10000 20000)
set -u
if [ "$(id -u)" = 0 ] && [ -z "${L3_BENCH_MNTNS:-}" ]; then
	export L3_BENCH_MNTNS=1
	exec unshare -m --propagation private /bin/sh "$0" "$@"
fi
mount -t bpf bpf /sys/fs/bpf
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
L3NFT=${L3NFT:-$top/l3nft}
KS=${*:-5000 10000 20000}
CGM=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
	/proc/self/mountinfo)
NS=l3ac$$ CGP=l3addrcost-$$
T=$(mktemp -d "${TMPDIR:-/tmp}/l3ac.XXXXXX") || exit 1
cleanup() {
	rc=$?
	trap - EXIT INT TERM HUP
	ip netns del "$NS" 2>/dev/null
	[ -d "$CGM/$CGP" ] && find "$CGM/$CGP" -mindepth 1 -maxdepth 1 -type d -print0 | xargs -0 -r rmdir
	[ -d "$CGM/$CGP" ] && rmdir "$CGM/$CGP"
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
cc -O2 -o "$T/l3load" "$here/l3load.c" || exit 1
# fresh NS with eth0 (a veth whose peer stays in NS: only eth0 matters)
fresh() {
	ip netns del "$NS" 2>/dev/null
	ip netns add "$NS" &&
	ip -n "$NS" link add eth0 type veth peer name eth1 &&
	ip -n "$NS" link set eth0 up && ip -n "$NS" link set eth1 up
}
# kworker CPU time so far, ms (utime + stime of every kworker thread)
kworker_ms() {
	tck=$(getconf CLK_TCK)
	for p in /proc/[0-9]*; do
		s=$(cat "$p/stat" 2>/dev/null) || continue
		case $s in *"(kworker"*) echo "${s##*) }" ;; esac
	done | awk -v t="$tck" '{ s += $12 + $13 } END { printf "%.0f\n", s * 1000 / t }'
}
# timed WAY K CMD...: one line of output
timed() {
	_w=$1 _k=$2
	shift 2
	_k0=$(kworker_ms)
	"$T/l3load" time "$T/t.out" nsenter --net="/run/netns/$NS" "$@" >"$T/cmd.out" 2>&1 ||
		{ echo "# $_w $_k failed: $(tail -n 2 "$T/cmd.out" | tr '\n' '|')"; return 1; }
	_kw=$(( $(kworker_ms) - _k0 ))
	awk -v k="$_k" -v w="$_w" -v kw="$_kw" '{ printf "%s %s %.0f %.0f %s\n", k, w, $2, $8, kw }' "$T/t.out"
}
mkdir "$CGM/$CGP"
max=0
for k in $KS; do [ "$k" -gt $max ] && max=$k; done
seq 1 "$max" | sed "s#^#$CGM/$CGP/ns#" | xargs mkdir
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg); $(uname -r)"
echo "# K way wall_ms sys_ms kworker_ms"
for k in $KS; do
	seq 1 "$k" | awk '{ printf "addr add 2001:db8:%x:%x::1/64 dev eth0 nodad\n", int($1 / 65536) + 1, $1 % 65536 }' >"$T/a.b"
	sed 's/nodad$/nodad preferred_lft 0/' "$T/a.b" >"$T/d.b"
	# one address per namespace, all IPv6 (the same addresses as above)
	{
		echo "version: 1"
		echo "mark_mask: 0x00ffff00"
		echo "namespaces:"
		seq 1 "$k" | awk -v p="$CGP" '{ printf "  ns%d:\n    interface: eth0\n    cgroup: %s/ns%d\n    addresses: [2001:db8:%x:%x::1/64]\n", $1, p, $1, int($1 / 65536) + 1, $1 % 65536 }'
	} >"$T/p.yaml"
	"$L3NFT" compile --cgroup-mount "$CGM" "$T/p.yaml" | sed -E 's/queue num [0-9]+( bypass)?/counter/' >"$T/p.nft"
	fresh && timed ip "$k" ip -b "$T/a.b"
	fresh && timed ip-depr "$k" ip -b "$T/d.b"
	fresh && timed nft-f "$k" nft -f "$T/p.nft"
	fresh && timed l3nft-apply "$k" "$L3NFT" apply "$T/p.yaml"
	nsenter --net="/run/netns/$NS" "$L3NFT" delete "$T/p.yaml" >/dev/null 2>&1
	echo "# load average $(cut -d' ' -f1-3 /proc/loadavg)"
done
