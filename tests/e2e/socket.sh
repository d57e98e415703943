#!/bin/sh
# End-to-end test of the socket layer (cgroup BPF, socket_layer: auto):
# `l3nft apply` in a scratch netns H attaches it, and real sockets show
# each behaviour at the socket API. Runs in a private mount namespace with
# a bpffs of its own (see l3_init), so its pins never meet anyone else's.
#
#   a  l3t-PID/a       192.0.2.10 192.0.2.20 2001:db8::10   loopback isolated
#   b  l3t-PID/b       192.0.2.11 2001:db8::11              loopback shared
#   c  l3t-PID/deep/c  192.0.2.12 2001:db8::12              (level 3)
#   l3t-PID/other: a cgroup below the attach point that is no namespace
#   l3t-PID/a/sub: nested in a; l3t-PID/b/sub: nested in b
# Host H: 192.0.2.1 2001:db8::1; peer P: 192.0.2.100 2001:db8::100.
#
# Ports: 8000 every namespace's 0.0.0.0/:: TCP+UDP listeners and the
# host's UDP wildcard; 8001 host, a and b share a TCP port with
# SO_REUSEPORT; 8002 b's dual-stack [::] (TCP and UDP); 8003 b/sub only;
# 8004 a/sub only; 8005 b only (bound before anyone else); 8006 a's
# dual-stack [::]; 7000 the peer's echo server.

. "$(dirname "$0")/lib.sh"

l3_init
command -v ping >/dev/null 2>&1 || l3_skip_all "ping is not installed"
l3_topology || l3_skip_all "cannot build the test topology (veth, addresses)"

PARENT="l3t-$$"
CG_a="$PARENT/a"
CG_b="$PARENT/b"
CG_c="$PARENT/deep/c"
CG_o="$PARENT/other"
CG_as="$PARENT/a/sub"
CG_bs="$PARENT/b/sub"
for cg in "$CG_a" "$CG_b" "$CG_c" "$CG_o" "$CG_as" "$CG_bs"; do
	l3_cg_add "$cg" || l3_skip_all "cannot create cgroup $L3_CG_MOUNT/$cg"
done

POLICY="$L3_TMP/socket.yaml"
cat >"$POLICY" <<EOF
version: 1
table: l3nft
namespaces:
  a:
    id: 1
    cgroup: $CG_a
    interface: eth0
    addresses: [192.0.2.10/24, 192.0.2.20/24, 2001:db8::10/64]
    loopback: isolated
  b:
    id: 2
    cgroup: $CG_b
    interface: eth0
    addresses: [192.0.2.11/24, 2001:db8::11/64]
    loopback: shared
  c:
    id: 3
    cgroup: $CG_c
    interface: eth0
    addresses: [192.0.2.12/24, 2001:db8::12/64]
EOF

# ---- another cgroup program on the same cgroups (as systemd's
# SocketBindDeny=): refuses binds to port 9999 below $PARENT ----
OTHER=
CLANG=$(command -v clang-14 || command -v clang || true)
if [ -n "$CLANG" ] && command -v bpftool >/dev/null 2>&1; then
	cat >"$L3_TMP/other.bpf.c" <<'EOF'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("cgroup/bind4")
int deny9999(struct bpf_sock_addr *ctx)
{
	return ctx->user_port != __builtin_bswap16(9999);
}
char LICENSE[] SEC("license") = "GPL";
EOF
	ma=$(gcc -print-multiarch 2>/dev/null || true)
	if "$CLANG" -O2 -target bpf ${ma:+-idirafter /usr/include/$ma} -c "$L3_TMP/other.bpf.c" \
		-o "$L3_TMP/other.bpf.o" 2>"$L3_TMP/other.err" &&
	   bpftool prog load "$L3_TMP/other.bpf.o" /sys/fs/bpf/other-$$ type cgroup/bind4 2>>"$L3_TMP/other.err" &&
	   bpftool cgroup attach "$L3_CG_MOUNT/$PARENT" bind4 pinned /sys/fs/bpf/other-$$ multi 2>>"$L3_TMP/other.err"; then
		OTHER=yes
	else
		l3_note "other program not attached: $(tr '\n' '|' <"$L3_TMP/other.err")"
	fi
fi

out=$(l3_h timeout 120 "$L3NFT" apply "$POLICY" 2>&1)
case $out in
*"socket layer: attached"*) l3_pass "apply attaches the socket layer" ;;
*) l3_fail "apply attaches the socket layer" "$out"; l3_summary ;;
esac
NSINO=$(l3_h stat -L -c %i /proc/self/ns/net)
PINS=/sys/fs/bpf/l3nft/$NSINO
l3_is "links and maps pinned in this netns's directory" \
	"$(ls "$PINS" 2>/dev/null | tr '\n' ' ')" \
	"l3_addr l3_cgroup l3_conf l3_ctr l3_gen l3_listen l3_ns l3_sk l3_skns l3_udp_ev link_bind4 link_bind6 link_connect4 link_connect6 link_ingress link_lookup link_post_bind4 link_post_bind6 link_sendmsg4 link_sendmsg6 link_sockops link_udp_iter "
st=$(l3_h "$L3NFT" status "$POLICY" 2>&1)
case $st in
*"socket layer (auto): attached, 12 programs"*) l3_pass "status: attached" ;;
*) l3_fail "status: attached" "$st" ;;
esac
l3_h "$L3NFT" status --json "$POLICY" >"$L3_TMP/status.json" 2>&1
l3_ok "status --json: socket_layer attached" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["socket_layer"]["attached"] is True, d["socket_layer"]
assert d["socket_layer"]["mode"] == "auto"
' "$L3_TMP/status.json"

# ---- every namespace on 0.0.0.0:8000 and [::]:8000, TCP and UDP ----
any() { echo "tcp:0.0.0.0:$1" "udp:0.0.0.0:$1" "tcp:[::]:$1" "udp:[::]:$1"; }
# hostile, first: b takes port 8005 before anyone, on every family
if l3_serve "$CG_b" b8005 tcp:0.0.0.0:8005 tcp:[::]:8005; then
	l3_pass "b listens on 0.0.0.0:8005 and [::]:8005 first"
else
	l3_fail "b listens on 0.0.0.0:8005 and [::]:8005 first"
fi
# shellcheck disable=SC2046
{
	l3_serve peer peer $(any 7000) || l3_fail "peer server starts"
	l3_serve host host udp:0.0.0.0:8000 udp:[::]:8000 tcp:0.0.0.0:8001:reuseport ||
		l3_fail "host wildcard server starts"
}
for n in a b c; do
	eval cg=\$CG_$n
	# shellcheck disable=SC2046
	if l3_serve "$cg" "$n" $(any 8000); then
		l3_pass "$n binds 0.0.0.0:8000 and [::]:8000, TCP and UDP"
	else
		l3_fail "$n binds 0.0.0.0:8000 and [::]:8000, TCP and UDP"
	fi
done
# (l3_serve leaves a server behind: not inside l3_ok's $(...))
if l3_serve "$CG_a" a8001 tcp:0.0.0.0:8001:reuseport; then
	l3_pass "a shares TCP port 8001 with the host's wildcard socket (SO_REUSEPORT)"
else
	l3_fail "a shares TCP port 8001 with the host's wildcard socket (SO_REUSEPORT)"
fi
if l3_serve "$CG_b" b8001 tcp:0.0.0.0:8001:reuseport tcp:[::]:8001:reuseport; then
	l3_pass "b also listens on 0.0.0.0:8001 and [::]:8001 with SO_REUSEPORT"
else
	l3_fail "b also listens on 0.0.0.0:8001 and [::]:8001 with SO_REUSEPORT"
fi
if l3_serve "$CG_b" b8002 tcp:[::]:8002:dual udp:[::]:8002:dual; then
	l3_pass "b listens on a dual-stack [::]:8002, TCP and UDP"
else
	l3_fail "b listens on a dual-stack [::]:8002, TCP and UDP"
fi
if l3_serve "$CG_a" a8006 tcp:[::]:8006:dual; then
	l3_pass "a listens on a dual-stack [::]:8006"
else
	l3_fail "a listens on a dual-stack [::]:8006"
fi
if l3_serve "$CG_bs" bs8003 tcp:0.0.0.0:8003 tcp:[::]:8003; then
	l3_pass "b/sub (nested in b) listens on 0.0.0.0:8003 and [::]:8003"
else
	l3_fail "b/sub (nested in b) listens on 0.0.0.0:8003 and [::]:8003"
fi
if l3_serve "$CG_as" as8004 tcp:0.0.0.0:8004 tcp:[::]:8004; then
	l3_pass "a/sub (nested in a) listens on 0.0.0.0:8004 and [::]:8004"
else
	l3_fail "a/sub (nested in a) listens on 0.0.0.0:8004 and [::]:8004"
fi
SERVERS="a b c host a8001 b8001 b8002 a8006 bs8003 as8004 b8005"

# tcp_only ADDR PORT NAME LOCAL DESC: a TCP connection from the peer to
# ADDR:PORT reaches server NAME, whose accepted socket is LOCAL, and no
# other server ("" NAME: nobody)
tcp_only()
{
	tag="t$2-$1-$$"
	r=$(l3_send peer tcp "$1" "$2" "$tag")
	got=
	for s in $SERVERS; do
		[ "$(l3_got "$s" "$tag")" -gt 0 ] && got="$got $s"
	done
	l3_is "$5: tcp to $1:$2 reaches ${3:-nobody} ($r)" "$got" "${3:+ $3}"
	[ -n "$3" ] || return 0
	l3_is "$5: tcp to $1:$2: ${3}'s connection is to $4" \
		"$(awk -v t="$tag" '$6 == t { print $2; exit }' "$L3_TMP/$3.log")" "$4"
}

# reach ADDR NS [PROTOS]: TCP and UDP from the peer to ADDR:8000 land at
# NS's socket (logged with ADDR as its own address) and nowhere else
reach()
{
	protos=${3:-tcp udp}
	[ "$2" = host ] && protos=udp	# the host's TCP wildcard is on 8001
	for proto in $protos; do
		tag="$proto-$1-$$"
		r=$(l3_send peer "$proto" "$1" 8000 "$tag")
		got=
		for s in $SERVERS; do
			[ "$(l3_got "$s" "$tag")" -gt 0 ] && got="$got $s"
		done
		l3_is "$proto to $1:8000 reaches only $2 ($r)" "$got" " $2"
		l3_is "$proto to $1:8000: $2's socket is bound to $1" \
			"$(awk -v t="$tag" '$6 == t { print $2; exit }' "$L3_TMP/$2.log")" "$1"
	done
}
reach 192.0.2.10 a
reach 2001:db8::10 a
reach 192.0.2.11 b
reach 2001:db8::11 b
reach 192.0.2.12 c
reach 2001:db8::12 c
reach 192.0.2.1 host
reach 2001:db8::1 host
# a's second IPv4 address: its 0.0.0.0:8000 listener was given 192.0.2.10,
# sk_lookup hands it the connections to 192.0.2.20 too
reach 192.0.2.20 a tcp
# UDP to a's second address: its 0.0.0.0:8000 socket was bound after
# apply and no l3nftd runs here, so nobody has entered it into the
# sockhash yet: fail closed, the datagram reaches nobody (not a, not the
# host's wildcard on 8000: the packet layer refuses it there)
udp_second()
{
	r=$(l3_send peer udp 192.0.2.20 8000 "$1")
	got=
	for s in $SERVERS; do
		[ "$(l3_got "$s" "$1")" -gt 0 ] && got="$got $s"
	done
	l3_is "$2 ($r)" "$got" "$3"
}
udp_second "udp-second-$$" "without l3nftd or a new apply, udp to a's second address 192.0.2.20:8000 reaches nobody" ""
r=$(l3_send peer udp 2001:db8::11 8002 "udp-dual6-early-$$")
l3_is "without l3nftd or a new apply, b's dual-stack UDP [::]:8002 (bound v4-mapped) gets nothing of b's IPv6 ($r)" \
	"$(l3_got b8002 "udp-dual6-early-$$")" "0"
# a new apply walks the UDP sockets bound since (l3_udp_iter) and enters
# the namespaces' wildcard-rewritten ones: now they are steered
out=$(l3_h timeout 120 "$L3NFT" apply "$POLICY" 2>&1)
l3_is "re-apply succeeds" "$?" "0"
udp_second "udp-second2-$$" "after apply: udp to a's second address 192.0.2.20:8000 reaches only a" " a"
l3_is "after apply: a's socket logs 192.0.2.20 as the datagram's destination" \
	"$(awk -v t="udp-second2-$$" '$6 == t { print $2; exit }' "$L3_TMP/a.log")" "192.0.2.20"
case $(l3_send peer udp 192.0.2.20 8000 "udp-second3-$$") in
"reply echo udp-second3-$$") l3_pass "after apply: the reply comes from 192.0.2.20 (the peer's connected socket takes it)" ;;
*) l3_fail "after apply: the reply comes from 192.0.2.20 (the peer's connected socket takes it)" ;;
esac
# tcp on 8001: the alias to a, the host's address to the host
r=$(l3_send peer tcp 192.0.2.10 8001 t8001a-$$)
l3_is "tcp to 192.0.2.10:8001 reaches a, not the host's wildcard ($r)" \
	"$(l3_got a8001 t8001a-$$)$(l3_got host t8001a-$$)" "10"
r=$(l3_send peer tcp 192.0.2.1 8001 t8001h-$$)
l3_is "tcp to 192.0.2.1:8001 reaches the host, not a ($r)" \
	"$(l3_got a8001 t8001h-$$)$(l3_got host t8001h-$$)" "01"
# dual-stack [::] listeners (IPV6_V6ONLY=0) get their namespace's IPv4
# and IPv6, every address, and nothing of the others'
tcp_only 2001:db8::11 8002 b8002 2001:db8::11 "b's dual-stack"
tcp_only 192.0.2.11 8002 b8002 ::ffff:192.0.2.11 "b's dual-stack"
tcp_only 192.0.2.10 8002 "" - "a's address, b's dual-stack port"
tcp_only 192.0.2.10 8006 a8006 ::ffff:192.0.2.10 "a's dual-stack"
tcp_only 192.0.2.20 8006 a8006 ::ffff:192.0.2.20 "a's dual-stack"
tcp_only 2001:db8::10 8006 a8006 2001:db8::10 "a's dual-stack"
tcp_only 192.0.2.11 8006 "" - "b's address, a's dual-stack port"
tcp_only 2001:db8::1 8006 "" - "the host's address, a's dual-stack port"
# UDP: a dual-stack [::] is bound to the IPv4 address, mapped, and gets
# the namespace's IPv6 (and other IPv4) by steering, since the apply above
r=$(l3_send peer udp 2001:db8::11 8002 "udp-dual6-$$")
l3_is "b's dual-stack UDP [::]:8002 gets b's IPv6 ($r)" "$(l3_got b8002 "udp-dual6-$$")" "1"
case $r in
"reply echo udp-dual6-$$") l3_pass "b's dual-stack UDP [::]:8002 answers from 2001:db8::11" ;;
*) l3_fail "b's dual-stack UDP [::]:8002 answers from 2001:db8::11" "$r" ;;
esac
r=$(l3_send peer udp 192.0.2.11 8002 "udp-dual4-$$")
l3_is "b's dual-stack UDP [::]:8002 gets b's IPv4 ($r)" "$(l3_got b8002 "udp-dual4-$$")" "1"
r=$(l3_send peer udp 192.0.2.10 8002 "udp-dual4a-$$")
l3_is "a's address on b's dual-stack UDP port reaches nobody ($r)" "$(l3_got b8002 "udp-dual4a-$$")" "0"

# ---- hostile: nobody gets another namespace's connections steered ----
# b bound 8005 first, on 0.0.0.0 and [::]: a's addresses are not b's
tcp_only 192.0.2.10 8005 "" - "b bound first"
tcp_only 192.0.2.20 8005 "" - "b bound first"
tcp_only 2001:db8::10 8005 "" - "b bound first"
tcp_only 192.0.2.11 8005 b8005 192.0.2.11 "b bound first, its own"
tcp_only 2001:db8::11 8005 b8005 2001:db8::11 "b bound first, its own"
# SO_REUSEPORT on 8001: host, a and b on the same port, each its own
tcp_only 192.0.2.20 8001 a8001 192.0.2.20 "SO_REUSEPORT"
tcp_only 192.0.2.11 8001 b8001 192.0.2.11 "SO_REUSEPORT"
tcp_only 2001:db8::10 8001 "" - "SO_REUSEPORT, a has no [::]:8001"
tcp_only 2001:db8::11 8001 b8001 2001:db8::11 "SO_REUSEPORT"
tcp_only 192.0.2.1 8001 host 192.0.2.1 "SO_REUSEPORT, the host's address"
# nested cgroups: b/sub's listener is b's, a/sub's is a's
tcp_only 192.0.2.10 8003 "" - "b/sub listens"
tcp_only 192.0.2.20 8003 "" - "b/sub listens"
tcp_only 2001:db8::10 8003 "" - "b/sub listens"
tcp_only 192.0.2.11 8003 bs8003 192.0.2.11 "b/sub listens, b's"
tcp_only 2001:db8::11 8003 bs8003 2001:db8::11 "b/sub listens, b's"
tcp_only 192.0.2.20 8004 as8004 192.0.2.20 "a/sub (nested) gets a's second address"
tcp_only 2001:db8::10 8004 as8004 2001:db8::10 "a/sub (nested) gets a's IPv6"
tcp_only 192.0.2.12 8004 "" - "c's address, a/sub's port"
# the host's addresses are never steered: nothing listens there on 8004
tcp_only 192.0.2.1 8004 "" - "the host's address, a/sub's port"

# ---- bind ----
bind_is() # WHERE PROTO ADDR EXPECTED DESC
{
	r=$(l3_run "$1" python3 "$L3_SOCK" bind "$2" "$3" 0 2>&1)
	l3_is "$5: bind $2 $3 -> $4" "$r" "$4"
}
bind_is "$CG_a" udp 192.0.2.11 "error EPERM" "a: another namespace's IPv4"
bind_is "$CG_a" udp 192.0.2.1 "error EPERM" "a: the host's IPv4"
bind_is "$CG_a" tcp 192.0.2.99 "error EPERM" "a: an unassigned IPv4"
bind_is "$CG_a" udp 2001:db8::11 "error EPERM" "a: another namespace's IPv6"
bind_is "$CG_a" tcp 2001:db8::1 "error EPERM" "a: the host's IPv6"
bind_is "$CG_a" udp 2001:db8::99 "error EPERM" "a: an unassigned IPv6"
bind_is "$CG_a" udp ::ffff:192.0.2.11 "error EPERM" "a: v4-mapped of b's address"
bind_is "$CG_a" udp ::ffff:192.0.2.1 "error EPERM" "a: v4-mapped of the host's address"
bind_is "$CG_c" tcp 192.0.2.10 "error EPERM" "c (nested, level 3): a's address"
bind_is "$CG_a" tcp 192.0.2.20 "ok 192.0.2.20" "a: its second address"
bind_is "$CG_a" tcp 2001:db8::10 "ok 2001:db8::10" "a: its IPv6 address"
bind_is "$CG_a" tcp 0.0.0.0 "ok 192.0.2.10" "a: the wildcard becomes its address"
bind_is "$CG_a" udp :: "ok 2001:db8::10" "a: the IPv6 wildcard becomes its address"
bind_is "$CG_a" tcp 127.0.0.1 "ok 127.0.0.1" "a: loopback"
bind_is "$CG_a" udp ::1 "ok ::1" "a: IPv6 loopback"
bind_is "$CG_a" udp 224.0.0.251 "ok 224.0.0.251" "a: a multicast group"
bind_is "$CG_a" udp ff0e::fb "ok ff0e::fb" "a: an IPv6 multicast group"
bind_is "$CG_o" udp 192.0.2.11 "ok 192.0.2.11" "a process outside every namespace is untouched"
bind_is "$CG_o" tcp 0.0.0.0 "ok 0.0.0.0" "outside every namespace, the wildcard stays"
bind_is host tcp 0.0.0.0 "ok 0.0.0.0" "the host's own process"
# another network namespace, same cgroup: out of scope
r=$(sh -c 'echo $$ >"$1/cgroup.procs" && exec nsenter --net="$2" python3 "$3" bind tcp 0.0.0.0 0' \
	x "$L3_CG_MOUNT/$CG_a" "/run/netns/$L3_P" "$L3_SOCK" 2>&1)
l3_is "a's cgroup in another network namespace: the wildcard stays" "$r" "ok 0.0.0.0"
r=$(sh -c 'echo $$ >"$1/cgroup.procs" && exec nsenter --net="$2" python3 "$3" bind tcp 192.0.2.100 0' \
	x "$L3_CG_MOUNT/$CG_a" "/run/netns/$L3_P" "$L3_SOCK" 2>&1)
l3_is "a's cgroup in another network namespace: binds there are not refused" "$r" "ok 192.0.2.100"

# ---- the source before the first packet ----
src_is() # WHERE PROTO DST MODE EXPECTED DESC [--bind ADDR]
{
	_w=$1 _p=$2 _d=$3 _m=$4 _e=$5 _desc=$6
	shift 6
	tag="src-$_p-$_m-$_d-$$-$L3_PASS$L3_FAIL"
	r=$(l3_run "$_w" timeout 15 python3 "$L3_SOCK" local "$_p" "$_d" 7000 "$tag" "$_m" "$@" 2>&1)
	l3_is "$_desc: the peer sees $_e" "$(l3_from peer "$_p" "$tag")" "$_e"
	[ "$_m" = sendto ] && return 0
	l3_is "$_desc: getsockname shows $_e" "${r##* local }" "$_e"
}
src_is "$CG_a" tcp 192.0.2.100 connect 192.0.2.10 "a, TCP connect"
src_is "$CG_a" udp 192.0.2.100 connect 192.0.2.10 "a, connected UDP"
src_is "$CG_a" udp 192.0.2.100 sendto 192.0.2.10 "a, UDP sendto"
src_is "$CG_a" tcp 2001:db8::100 connect 2001:db8::10 "a, TCP connect over IPv6"
src_is "$CG_a" udp 2001:db8::100 connect 2001:db8::10 "a, connected UDP over IPv6"
src_is "$CG_a" udp 2001:db8::100 sendto 2001:db8::10 "a, UDP sendto over IPv6"
src_is "$CG_c" tcp 192.0.2.100 connect 192.0.2.12 "c (nested), TCP connect"
src_is "$CG_a" tcp 192.0.2.100 connect 192.0.2.20 "a, explicit bind to its second address is kept" --bind 192.0.2.20
src_is host tcp 192.0.2.100 connect 192.0.2.1 "the host's own process"
# an explicit source in IP_PKTINFO: only the namespace's own
pktinfo() # SRC
{
	l3_run "$CG_a" python3 -c '
import errno, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
info = struct.pack("=i4s4s", 0, socket.inet_aton(sys.argv[1]), b"\0" * 4)
try:
    s.sendmsg([b"pktinfo"], [(socket.IPPROTO_IP, 8, info)], 0, ("192.0.2.100", 7000))
    print("sent")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))' "$1" 2>&1
}
l3_is "a: sendmsg with b's address in IP_PKTINFO is refused" "$(pktinfo 192.0.2.11)" "EPERM"
l3_is "a: sendmsg with the host's address in IP_PKTINFO is refused" "$(pktinfo 192.0.2.1)" "EPERM"
l3_is "a: sendmsg with its second address in IP_PKTINFO is sent" "$(pktinfo 192.0.2.20)" "sent"
egress=$(l3_counter "$L3_H" l3nft a_egress)
l3_is "nft's SNAT safety net saw no flow of a (counter a_egress)" "$egress" "0"

# ---- ingress at the receiving socket ----
# a raw ICMP socket of a would get every echo request of the stack; the
# socket layer drops those for other addresses at that socket
l3_bg "$CG_a" sh -c "exec python3 '$L3_SOCK' icmp 4 >'$L3_TMP/icmp.out'"
icmp_pid=$L3_LAST_PID
n=0
until grep -q ready "$L3_TMP/icmp.out" 2>/dev/null || [ $n -ge 40 ]; do
	sleep 0.05
	n=$((n + 1))
done
l3_p ping -c1 -W1 -q 192.0.2.1 >/dev/null 2>&1
l3_p ping -c1 -W1 -q 192.0.2.11 >/dev/null 2>&1
l3_p ping -c1 -W1 -q 192.0.2.10 >/dev/null 2>&1
wait "$icmp_pid" 2>/dev/null
l3_is "a's raw ICMP socket gets only echo requests for a's address" \
	"$(grep -v ready "$L3_TMP/icmp.out" | sort -u | tr '\n' ' ')" "192.0.2.10 "

# ---- counters ----
l3_h "$L3NFT" status --json "$POLICY" >"$L3_TMP/status.json" 2>&1
l3_ok "status --json: a's socket counters (per-CPU, summed)" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
a = [n for n in d["namespaces"] if n["namespace"] == "a"][0]["socket_layer"]
assert a["binds_rewritten"] >= 3, a
assert a["binds_refused"] >= 8, a
assert a["sources_filled"] >= 5, a
assert a["ingress_dropped"] >= 2, a
assert a["sends_refused"] >= 2, a
assert a["steered"] >= 6, a
' "$L3_TMP/status.json"
st=$(l3_h "$L3NFT" status "$POLICY" 2>&1)
case $st in
*"  sockets   binds rewritten"*) l3_pass "status: per-namespace socket counters" ;;
*) l3_fail "status: per-namespace socket counters" "$st" ;;
esac

# ---- the other program keeps working ----
if [ -n "$OTHER" ]; then
	r=$(l3_run "$CG_o" python3 -c '
import socket, sys
s = socket.socket()
try:
    s.bind(("0.0.0.0", 9999)); print("bound")
except OSError as e:
    print(e.errno)' 2>&1)
	l3_is "the other cgroup program still refuses port 9999" "$r" "1"
else
	l3_skip "other cgroup programs keep working" "no clang/bpftool to build one"
fi

# ---- re-apply, delete ----
links=$(ls -i "$PINS" | grep link_ | tr '\n' ' ')
lookup_id=$(bpftool -j link show pinned "$PINS/link_lookup" 2>/dev/null | python3 -c '
import json, sys
l = json.load(sys.stdin)
if l.get("type") == "netns" and l.get("attach_type") == "sk_lookup" and l.get("netns_ino") == int(sys.argv[1]):
    print(l["id"])' "$NSINO" 2>&1)
l3_ok "the sk_lookup link is pinned, on this netns (link id ${lookup_id:-none})" \
	sh -c "test '$lookup_id' -gt 0"
out=$(l3_h timeout 120 "$L3NFT" apply "$POLICY" 2>&1)
l3_is "re-apply of the same policy changes nothing" "$out" \
	"table inet l3nft is up to date; nothing changed"
sed 's|\[192.0.2.11/24, 2001:db8::11/64\]|[192.0.2.11/24, 2001:db8::11/64, 192.0.2.13/24]|' \
	"$POLICY" >"$L3_TMP/socket2.yaml"
out=$(l3_h timeout 120 "$L3NFT" apply "$L3_TMP/socket2.yaml" 2>&1)
case $out in
*"socket layer: maps updated"*) l3_pass "re-apply with a new address only updates the maps" ;;
*) l3_fail "re-apply with a new address only updates the maps" "$out" ;;
esac
l3_is "re-apply keeps the very same links" "$(ls -i "$PINS" | grep link_ | tr '\n' ' ')" "$links"
bind_is "$CG_b" tcp 192.0.2.13 "ok 192.0.2.13" "b: its new address, at once"
bind_is "$CG_a" tcp 192.0.2.13 "error EPERM" "a: b's new address"
# socket_layer: off removes it; auto again attaches it anew
sed 's|^table: l3nft$|table: l3nft\nsocket_layer: off|' "$POLICY" >"$L3_TMP/off.yaml"
out=$(l3_h timeout 120 "$L3NFT" apply "$L3_TMP/off.yaml" 2>&1)
case $out in
*"socket layer: removed (socket_layer: off)"*) l3_pass "socket_layer: off removes it" ;;
*) l3_fail "socket_layer: off removes it" "$out" ;;
esac
l3_is "socket_layer: off leaves no pin" "$(ls -A "$PINS" 2>&1 | head -1)" \
	"ls: cannot access '$PINS': No such file or directory"
bind_is "$CG_a" tcp 192.0.2.11 "ok 192.0.2.11" "socket_layer: off, a"
out=$(l3_h timeout 120 "$L3NFT" apply "$POLICY" 2>&1)
case $out in
*"socket layer: attached"*) l3_pass "socket_layer: auto attaches it again" ;;
*) l3_fail "socket_layer: auto attaches it again" "$out" ;;
esac
bind_is "$CG_a" tcp 192.0.2.11 "error EPERM" "attached again, a"
out=$(l3_h timeout 120 "$L3NFT" delete "$POLICY" 2>&1)
case $out in
*"removed the socket layer"*) l3_pass "delete removes the socket layer" ;;
*) l3_fail "delete removes the socket layer" "$out" ;;
esac
l3_is "delete leaves no pin" "$(ls -A "$PINS" 2>&1 | head -1)" \
	"ls: cannot access '$PINS': No such file or directory"
bind_is "$CG_a" tcp 0.0.0.0 "ok 0.0.0.0" "after delete, a's wildcard is not rewritten"
left=$(bpftool cgroup show "$L3_CG_MOUNT/$PARENT" 2>/dev/null | grep -c 'l3_' )
l3_is "after delete, no l3nft program is attached" "$left" "0"
l3_ok "after delete, the sk_lookup link (id $lookup_id) is gone" \
	sh -c "test '$lookup_id' -gt 0 && ! bpftool link show id '$lookup_id' >/dev/null 2>&1"
if [ -n "$OTHER" ]; then
	l3_ok "after delete, the other program is still attached" \
		sh -c "bpftool cgroup show '$L3_CG_MOUNT/$PARENT' | grep -q deny9999"
	bpftool cgroup detach "$L3_CG_MOUNT/$PARENT" bind4 pinned "/sys/fs/bpf/other-$$" 2>/dev/null
fi

l3_summary
