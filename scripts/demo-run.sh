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
cgmount=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$cgmount" ] || { echo "demo: no cgroup2 mount" >&2; exit 2; }
made_cgroups=""
pids=""

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "${L3NFT_RUNDIR:-}" ] && rm -rf "$L3NFT_RUNDIR"
	ip netns del "$H" 2>/dev/null || true
	ip netns del "$P" 2>/dev/null || true
	for d in $made_cgroups; do rmdir "$d" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

inh() { nsenter --net="/run/netns/$H" "$@"; }
inp() { nsenter --net="/run/netns/$P" "$@"; }
# Runs a command as a member of namespace NAME of the policy.
inns() { name=$1; shift; inh "$L3NFT" exec "$name" -c "$top/rules/example.yaml" -- "$@"; }
say() { printf '\n== %s\n' "$*"; }

ip netns add "$H"
ip netns add "$P"
ip link add "l3d$$a" type veth peer name "l3d$$b"
ip link set "l3d$$a" netns "$H"
ip link set "l3d$$b" netns "$P"
inh ip link set "l3d$$a" name eth0
inh ip link set lo up
inh ip link set eth0 up
inh ip addr add 192.0.2.1/24 dev eth0
inh ip addr add 2001:db8::1/64 dev eth0 nodad
inp ip link set lo up
inp ip link set "l3d$$b" up
inp ip addr add 192.0.2.100/24 dev "l3d$$b"
# the cgroups of the example policy (removed afterwards only if made here)
for cg in l3nft l3nft/web l3nft/mail l3nft/backend l3nft/backend/db; do
	[ -d "$cgmount/$cg" ] && continue
	mkdir "$cgmount/$cg"
	made_cgroups="$cgmount/$cg $made_cgroups"
done

say "l3nft apply rules/example.yaml (in the scratch host namespace)"
inh "$L3NFT" apply -v "$top/rules/example.yaml"

say "egress: who does the peer (192.0.2.100) see?"
for who in host web mail; do
	inp timeout 5 socat -u TCP-LISTEN:7000,reuseaddr SYSTEM:'echo "$SOCAT_PEERADDR"' > /tmp/l3demo.$$ &
	pids="$!"
	sleep 0.3
	if [ "$who" = host ]; then
		inh socat -u - TCP:192.0.2.100:7000 </dev/null
	else
		inns "$who" socat -u - TCP:192.0.2.100:7000 </dev/null
	fi
	wait $pids || true
	printf '  a connection from %-4s arrives from %s\n' "$who" "$(cat /tmp/l3demo.$$)"
done
rm -f /tmp/l3demo.$$

say "ingress: mail listens on 0.0.0.0:8080; the peer connects to each alias"
inns mail timeout 6 socat -u TCP-LISTEN:8080,reuseaddr,fork SYSTEM:'cat >/dev/null' &
pids="$!"
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
L3NFT_RUNDIR=$(mktemp -d /tmp/l3demo-run.XXXXXX)
export L3NFT_RUNDIR
made_cgroups="$made_cgroups"
inh "${L3NFTD:-$top/l3nftd}" -f -c "$top/rules/example.yaml" 2>"$L3NFT_RUNDIR/log" &
pids="$pids $!"
n=0
until inh "$L3NFT" listeners >/dev/null 2>&1 || [ $n -ge 50 ]; do sleep 0.1; n=$((n + 1)); done
inp ip route add 224.0.0.0/4 dev "l3d$$b"
for who in web:192.0.2.10 mail:192.0.2.11 db:192.0.2.12; do
	inns "${who%%:*}" timeout 3 socat -u "UDP4-RECV:5000,bind=${who#*:},reuseaddr" \
		"CREATE:$L3NFT_RUNDIR/${who%%:*}.got" &
	pids="$pids $!"
done
sleep 0.5
echo "one datagram" | inp socat -u - UDP4-DATAGRAM:239.1.1.1:5000,ip-multicast-if=192.0.2.100
sleep 0.5
for who in web mail db; do
	if [ -s "$L3NFT_RUNDIR/$who.got" ]; then
		printf '  %-4s received: %s\n' "$who" "$(cat "$L3NFT_RUNDIR/$who.got")"
	else
		printf '  %-4s received nothing\n' "$who"
	fi
done

say "l3nft status"
inh "$L3NFT" status "$top/rules/example.yaml"

say "l3nft delete"
inh "$L3NFT" delete "$top/rules/example.yaml"
echo
echo "demo done; scratch namespaces and cgroups are removed on exit"
