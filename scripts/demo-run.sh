#!/bin/sh
# Live demo of rules/example.yaml in two scratch network namespaces: a
# "host" (where l3nft applies the policy) and a "peer" across a veth.
# Shows egress translation, a foreign INADDR_ANY listener refused and one
# multicast datagram fanned out by l3nftd, then removes everything it
# made, on every exit path.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
L3NFT=${L3NFT:-$top/l3nft}
H=l3demo-host-$$ P=l3demo-peer-$$
cgmount=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
	/proc/self/mountinfo)
[ -n "$cgmount" ] || { echo "demo: no cgroup2 mount" >&2; exit 2; }
made_cgroups=""	# deepest first
pids=""		# every background process, by its own pid
tmp=$(mktemp -d /tmp/l3demo.XXXXXX)
L3NFT_RUNDIR=$tmp/run
export L3NFT_RUNDIR

# kill_wait PID...: TERM, then KILL what is still there after 5 s
kill_wait() {
	[ -n "$*" ] || return 0
	kill "$@" 2>/dev/null || true
	n=0
	while [ $n -lt 50 ]; do
		alive=
		for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ -z "$alive" ] && return 0
		sleep 0.1
		n=$((n + 1))
	done
	kill -9 "$@" 2>/dev/null || true
}

# Our processes first (l3nftd among them), then whatever is left in the
# scratch namespaces and in the cgroups made here (l3nft exec's reapers and
# commands), then the namespaces and the cgroups themselves.
cleanup() {
	set +e
	# shellcheck disable=SC2086
	kill_wait $pids
	wait 2>/dev/null
	for ns in "$H" "$P"; do
		# shellcheck disable=SC2046
		kill_wait $(ip netns pids "$ns" 2>/dev/null)
		ip netns del "$ns" 2>/dev/null
	done
	for d in $made_cgroups; do
		# shellcheck disable=SC2046
		kill_wait $(cat "$d/cgroup.procs" 2>/dev/null)
		rmdir "$d" 2>/dev/null || echo "demo: cannot remove cgroup $d" >&2
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

inh() { nsenter --net="/run/netns/$H" "$@"; }
inp() { nsenter --net="/run/netns/$P" "$@"; }
# Runs a command as a member of namespace NAME of the policy (l3nft exec's
# line about nsdelegate goes to a file: shown once below).
inns() { name=$1; shift; inh "$L3NFT" exec "$name" -c "$top/rules/example.yaml" -- "$@" 2>>"$tmp/exec.err"; }
# bg_h/bg_p/bg_ns ...: as inh/inp/inns in the background, not through a
# function (whose $! would be a subshell's), the pid kept for cleanup
bg_h() { nsenter --net="/run/netns/$H" "$@" & pids="$pids $!"; }
bg_p() { nsenter --net="/run/netns/$P" "$@" & pids="$pids $!"; }
bg_ns() {
	name=$1; shift
	nsenter --net="/run/netns/$H" "$L3NFT" exec "$name" -c "$top/rules/example.yaml" -- "$@" \
		2>>"$tmp/exec.err" &
	pids="$pids $!"
}
say() { printf '\n== %s\n' "$*"; }

ip netns add "$H"
ip netns add "$P"
# the veth is made inside H: the machine's own namespace is never touched
inh ip link add eth0 type veth peer name "l3d$$b" netns "$P"
inh ip link set lo up
inh ip link set eth0 up
inh ip addr add 192.0.2.1/24 dev eth0
inh ip addr add 2001:db8::1/64 dev eth0 nodad
inp ip link set lo up
inp ip link set "l3d$$b" up
inp ip addr add 192.0.2.100/24 dev "l3d$$b"
# the cgroups of the example policy (removed afterwards only if made here);
# tests/nft_load.sh uses the same names: one of the two at a time
exec 9>>/run/lock/l3nft-shipped-cgroups.lock
flock -w 600 9 || { echo "demo: another run holds /run/lock/l3nft-shipped-cgroups.lock" >&2; exit 2; }
for cg in l3nft l3nft/web l3nft/mail l3nft/backend l3nft/backend/db; do
	[ -d "$cgmount/$cg" ] && continue
	mkdir "$cgmount/$cg"
	made_cgroups="$cgmount/$cg $made_cgroups"
done
mkdir -m 0700 "$tmp/got"

say "l3nft apply rules/example.yaml (in the scratch host namespace)"
inh "$L3NFT" apply -v "$top/rules/example.yaml"

say "egress: who does the peer (192.0.2.100) see?"
for who in host web mail; do
	bg_p timeout 5 socat -u TCP-LISTEN:7000,reuseaddr SYSTEM:'echo "$SOCAT_PEERADDR"' >"$tmp/peer"
	srv=$!
	sleep 0.3
	if [ "$who" = host ]; then
		inh socat -u - TCP:192.0.2.100:7000 </dev/null
	else
		inns "$who" socat -u - TCP:192.0.2.100:7000 </dev/null
	fi
	wait "$srv" || true
	printf '  a connection from %-4s arrives from %s\n' "$who" "$(cat "$tmp/peer")"
done
sed -n 1p "$tmp/exec.err"

say "ingress: mail listens on 0.0.0.0:8080; the peer connects to each alias"
bg_ns mail timeout 6 socat -u TCP-LISTEN:8080,reuseaddr,fork SYSTEM:'cat >/dev/null'
sleep 0.3
for alias in 192.0.2.11 192.0.2.10; do
	if echo hello | inp timeout 2 socat -u - "TCP:$alias:8080" 2>/dev/null; then
		printf '  %s:8080 (%s) -> accepted by mail\n' "$alias" \
			"$( [ $alias = 192.0.2.11 ] && echo "mail's alias" || echo "web's alias")"
	else
		printf '  %s:8080 (%s) -> refused: mail may not answer for web\n' "$alias" \
			"$( [ $alias = 192.0.2.11 ] && echo "mail's alias" || echo "web's alias")"
	fi
done

say "multicast: web and mail registered for 239.1.1.1:5000, db did not"
mkdir -p "$L3NFT_RUNDIR"
bg_h "${L3NFTD:-$top/l3nftd}" -f -c "$top/rules/example.yaml" 2>"$tmp/l3nftd.log"
n=0
until inh "$L3NFT" listeners >/dev/null 2>&1 || [ $n -ge 50 ]; do sleep 0.1; n=$((n + 1)); done
inp ip route add 224.0.0.0/4 dev "l3d$$b"
for who in web:192.0.2.10 mail:192.0.2.11 db:192.0.2.12; do
	# (l3nftd's runtime directory is read-only under exec: write elsewhere)
	bg_ns "${who%%:*}" timeout 3 socat -u "UDP4-RECV:5000,bind=${who#*:},reuseaddr" \
		"CREATE:$tmp/got/${who%%:*}"
done
sleep 0.5
echo "one datagram" | inp socat -u - UDP4-DATAGRAM:239.1.1.1:5000,ip-multicast-if=192.0.2.100
sleep 0.5
for who in web mail db; do
	if [ -s "$tmp/got/$who" ]; then
		printf '  %-4s received: %s\n' "$who" "$(cat "$tmp/got/$who")"
	else
		printf '  %-4s received nothing\n' "$who"
	fi
done

say "l3nft status"
inh "$L3NFT" status "$top/rules/example.yaml"

say "l3nft delete"
inh "$L3NFT" delete "$top/rules/example.yaml"
echo
echo "demo done; l3nftd, the scratch namespaces and cgroups are removed on exit"
