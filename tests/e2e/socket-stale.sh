#!/bin/sh
# The socket layer's per-socket cache (issue 11): cgroup_skb/ingress and
# sendmsg4/6 keep a socket's namespace in its storage (l3_skns) under the
# maps' generation (l3_gen), which every writer of the maps changes. A
# socket made before an apply that changes what its cgroup is must be
# judged by the NEW mapping from the very next packet:
#
#   policy 1  a (id 1): cgroup A, 192.0.2.10   b (id 2): cgroup B, 192.0.2.11
#   policy 2  the two swap cgroups: cgroup A is now b's
#   policy 3  cgroup A is no namespace; id 2 is z (cgroup Z, 192.0.2.12)
#
# Two sockets are made in cgroup A under policy 1 and kept throughout: a
# raw ICMP socket (it would get every echo request of the stack; ingress
# passes only those for its namespace's addresses) and an unconnected UDP
# socket (sendmsg4 gives it its namespace's source). A stale cache shows
# as a's answers after policy 2 (echo requests for 192.0.2.10, source
# 192.0.2.10) or as id 2's after policy 3 (z's 192.0.2.12).

. "$(dirname "$0")/lib.sh"

l3_init
command -v ping >/dev/null 2>&1 || l3_skip_all "ping is not installed"
l3_topology || l3_skip_all "cannot build the test topology (veth, addresses)"

PARENT="l3t-$$"
for cg in A B Z; do
	l3_cg_add "$PARENT/$cg" || l3_skip_all "cannot create cgroup $PARENT/$cg"
done

# policy FILE NAME1 ID1 CGROUP1 ADDR1 NAME2 ID2 CGROUP2 ADDR2
policy()
{
	cat >"$1" <<EOF
version: 1
table: l3nft
socket_layer: required
namespaces:
  $2:
    id: $3
    cgroup: $PARENT/$4
    interface: eth0
    addresses: [$5/24]
  $6:
    id: $7
    cgroup: $PARENT/$8
    interface: eth0
    addresses: [$9/24]
EOF
}
policy "$L3_TMP/p1.yaml" a 1 A 192.0.2.10 b 2 B 192.0.2.11
policy "$L3_TMP/p2.yaml" a 1 B 192.0.2.10 b 2 A 192.0.2.11
policy "$L3_TMP/p3.yaml" a 1 B 192.0.2.10 z 2 Z 192.0.2.12

apply() # FILE
{
	if ! out=$(l3_h "$L3NFT" apply "$1" 2>&1); then
		l3_fail "apply $(basename "$1")" "$out"
		l3_summary
	fi
}
apply "$L3_TMP/p1.yaml"
l3_serve peer peer udp:0.0.0.0:7000 || l3_skip_all "cannot start the peer's echo server"

# a's sockets, made under policy 1 and kept to the end
l3_bg "$PARENT/A" sh -c "exec python3 '$L3_SOCK' icmp 120 >'$L3_TMP/icmp.out'"
cat >"$L3_TMP/send.py" <<'EOF'
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for step in sys.argv[2:]:
    end = time.monotonic() + 100
    while not os.path.exists(step + ".go"):
        if time.monotonic() > end:
            sys.exit(1)
        time.sleep(0.02)
    s.sendto(("%s-%s" % (sys.argv[1], os.path.basename(step))).encode(), ("192.0.2.100", 7000))
    open(step + ".sent", "w").close()
EOF
TAG="stale-$$"
l3_bg "$PARENT/A" python3 "$L3_TMP/send.py" "$TAG" "$L3_TMP/s1" "$L3_TMP/s2" "$L3_TMP/s3" "$L3_TMP/s4"
n=0
until grep -q ready "$L3_TMP/icmp.out" 2>/dev/null || [ $n -ge 100 ]; do
	sleep 0.05
	n=$((n + 1))
done

# phase N PING...: pings each address from the peer and sends one datagram
# from the kept UDP socket; what the raw socket got in between into $got
seen=1
phase()
{
	_ph=$1
	shift
	for _a in "$@"; do
		l3_p ping -c1 -W1 -q "$_a" >/dev/null 2>&1
	done
	: >"$L3_TMP/s$_ph.go"
	_n=0
	until [ -e "$L3_TMP/s$_ph.sent" ] || [ $_n -ge 100 ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
	sleep 0.3
	got=$(sed -n "$((seen + 1)),\$p" "$L3_TMP/icmp.out" | tr '\n' ' ')
	seen=$(wc -l <"$L3_TMP/icmp.out")
}
# the source the peer saw for phase N's datagram
src_of() { l3_from peer udp "$TAG-s$1"; }

phase 1 192.0.2.10 192.0.2.11 192.0.2.1
l3_is "policy 1: cgroup A's raw socket gets echo requests for a's address only" "$got" "192.0.2.10 "
l3_is "policy 1: cgroup A's datagram leaves with a's address" "$(src_of 1)" "192.0.2.10"

apply "$L3_TMP/p2.yaml"
phase 2 192.0.2.10 192.0.2.11 192.0.2.1
l3_is "policy 2 (cgroups swapped): the same raw socket now gets b's echo requests only" \
	"$got" "192.0.2.11 "
l3_is "policy 2: the same UDP socket now sends with b's address" "$(src_of 2)" "192.0.2.11"

apply "$L3_TMP/p3.yaml"
phase 3 192.0.2.10 192.0.2.12 192.0.2.1
l3_is "policy 3 (cgroup A is no namespace, id 2 is z): the raw socket gets every echo request" \
	"$got" "192.0.2.10 192.0.2.12 192.0.2.1 "
l3_is "policy 3: the UDP socket's source is the host's again, not z's" "$(src_of 3)" "192.0.2.1"

# A writer that failed or was killed half-way leaves generation 0 (it sets
# 0 before its first write): nothing is cached under 0, and the next
# writer, even with nothing to change, sets a fresh one.
GEN=/sys/fs/bpf/l3nft/$(l3_h stat -L -c %i /proc/self/ns/net)/l3_gen
gen() # the generation, in decimal ("" when it cannot be read)
{
	bpftool -j map lookup pinned "$GEN" key 0 0 0 0 2>/dev/null | python3 -c '
import json, sys
print(int.from_bytes(bytes(int(x, 16) for x in json.load(sys.stdin)["value"]), "little"))' 2>/dev/null
}
g=$(gen)
l3_ok "the generation is not 0 after the applies" test -n "$g" -a "$g" != 0
bpftool map update pinned "$GEN" key 0 0 0 0 value 0 0 0 0
l3_is "  set to 0 by hand (a writer killed half-way)" "$(gen)" 0
phase 4 192.0.2.10 192.0.2.12 192.0.2.1
l3_is "  under 0 the raw socket is judged by the maps, uncached" \
	"$got" "192.0.2.10 192.0.2.12 192.0.2.1 "
l3_is "  and the UDP socket's source is still the host's" "$(src_of 4)" "192.0.2.1"
apply "$L3_TMP/p3.yaml"
g=$(gen)
l3_ok "  an unchanged apply sets a fresh one" test -n "$g" -a "$g" != 0

l3_h "$L3NFT" delete "$L3_TMP/p3.yaml" >/dev/null 2>&1
l3_summary
