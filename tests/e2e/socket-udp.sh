#!/bin/sh
# End-to-end test of UDP steering (issue 11): with the socket layer
# attached and l3nftd running, a namespace's wildcard UDP socket (0.0.0.0:P,
# [::]:P, dual-stack [::]:P) gets the datagrams to EVERY address of its
# namespace and nothing of anyone else's; replies leave from the address
# the peer used. Hostile cases: another namespace bound first, SO_REUSEPORT,
# nested cgroups, a socket bound while l3nftd was down (fail closed until
# it is back), a closed socket, a connected socket, a tenant flooding binds.
#
#   a  l3t-PID/a       192.0.2.10 192.0.2.20 2001:db8::10
#   b  l3t-PID/b       192.0.2.11 2001:db8::11
#   c  l3t-PID/deep/c  192.0.2.12 2001:db8::12   (level 3)
#   l3t-PID/a/sub: nested in a
# Host H: 192.0.2.1 2001:db8::1; peer P: 192.0.2.100 2001:db8::100.
#
# Ports: 9000 every namespace's and the host's 0.0.0.0/[::] (v6only);
# 9001 a's dual-stack [::]; 9002 a's SO_REUSEPORT pair and the host's;
# 9003 a/sub only; 9004 a, bound while l3nftd is down; 9005 b only;
# 9006 a, after b's flood; 9007 a's connected socket.

. "$(dirname "$0")/lib.sh"

l3_init
L3NFTD=${L3NFTD:-$(dirname "$L3NFT")/l3nftd}
[ -x "$L3NFTD" ] || l3_skip_all "no l3nftd binary at $L3NFTD (set L3NFTD)"
command -v bpftool >/dev/null 2>&1 || l3_skip_all "bpftool is not installed"
l3_topology || l3_skip_all "cannot build the test topology (veth, addresses)"

PARENT="l3t-$$"
CG_a="$PARENT/a"
CG_b="$PARENT/b"
CG_c="$PARENT/deep/c"
CG_as="$PARENT/a/sub"
for cg in "$CG_a" "$CG_b" "$CG_c" "$CG_as"; do
	l3_cg_add "$cg" || l3_skip_all "cannot create cgroup $L3_CG_MOUNT/$cg"
done
L3NFT_RUNDIR="$L3_TMP/run"
export L3NFT_RUNDIR
mkdir -m 0755 "$L3NFT_RUNDIR"
chmod 0755 "$L3_TMP"

POLICY="$L3_TMP/udp.yaml"
cat >"$POLICY" <<EOF
version: 1
table: l3nft
queue: 19
fail_open: false
socket_layer: required
namespaces:
  a:
    id: 1
    cgroup: $CG_a
    interface: eth0
    addresses: [192.0.2.10/24, 192.0.2.20/24, 2001:db8::10/64]
  b:
    id: 2
    cgroup: $CG_b
    interface: eth0
    addresses: [192.0.2.11/24, 2001:db8::11/64]
  c:
    id: 3
    cgroup: $CG_c
    interface: eth0
    addresses: [192.0.2.12/24, 2001:db8::12/64]
EOF

out=$(l3_h timeout 120 "$L3NFT" apply "$POLICY" 2>&1)
case $out in
*"socket layer: attached"*) l3_pass "apply attaches the socket layer" ;;
*) l3_fail "apply attaches the socket layer" "$out"; l3_summary ;;
esac
PINS=/sys/fs/bpf/l3nft/$(l3_h stat -L -c %i /proc/self/ns/net)

DAEMON=
start_daemon()
{
	l3_bg host "$L3NFTD" -f -c "$POLICY" 2>>"$L3_TMP/l3nftd.log"
	DAEMON=$L3_LAST_PID
	_n=0
	until [ -S "$L3NFT_RUNDIR/l3nftd.sock" ] && l3_h "$L3NFT" listeners >/dev/null 2>&1; do
		_n=$((_n + 1))
		if [ $_n -ge 50 ] || ! kill -0 "$DAEMON" 2>/dev/null; then
			l3_note "l3nftd did not start:"
			sed 's/^/#   /' "$L3_TMP/l3nftd.log"
			return 1
		fi
		sleep 0.1
	done
}
stop_daemon()
{
	l3_kill_pids "$DAEMON"
	rm -f "$L3NFT_RUNDIR/l3nftd.sock"
	DAEMON=
}
start_daemon || { l3_fail "l3nftd starts"; l3_summary; }
l3_pass "l3nftd starts"

# ---- servers ----
any() { echo "udp:0.0.0.0:$1" "udp:[::]:$1"; }
# hostile, first: b takes 9005 before anyone else
l3_serve "$CG_b" b9005 $(any 9005) || l3_fail "b's server on 9005 starts"
l3_serve host host $(any 9000) udp:0.0.0.0:9002:reuseport || l3_fail "the host's server starts"
for n in a b c; do
	eval cg=\$CG_$n
	# shellcheck disable=SC2046
	if l3_serve "$cg" "$n" $(any 9000); then
		l3_pass "$n binds udp 0.0.0.0:9000 and [::]:9000"
	else
		l3_fail "$n binds udp 0.0.0.0:9000 and [::]:9000"
	fi
done
l3_serve "$CG_a" a9001 udp:[::]:9001:dual || l3_fail "a's dual-stack server starts"
l3_serve "$CG_a" a9002 udp:0.0.0.0:9002:reuseport udp:0.0.0.0:9002:reuseport ||
	l3_fail "a's SO_REUSEPORT pair starts"
l3_serve "$CG_as" as9003 $(any 9003) || l3_fail "a/sub's server starts"
SERVERS="a b c host a9001 a9002 as9003 b9005"

# steered ADDR PORT NAME: bounded poll (at most 40 datagrams, 0.25 s each)
# until server NAME answers a datagram to ADDR:PORT: l3nftd has walked
steered()
{
	_i=0
	while [ $_i -lt 40 ]; do
		_i=$((_i + 1))
		case $(l3_send peer udp "$1" "$2" "w$_i-$2-$1-$$" --timeout 0.25) in
		reply*) [ "$(l3_got "$3" "w$_i-$2-$1-$$")" -gt 0 ] && return 0 ;;
		esac
	done
	return 1
}
l3_ok "l3nftd steers a's 0.0.0.0:9000 for 192.0.2.20 (bounded poll)" steered 192.0.2.20 9000 a

# only ADDR PORT NAME LOCAL DESC: a datagram from the peer to ADDR:PORT
# reaches server NAME only (""), which saw it sent to LOCAL, and its reply
# comes back from ADDR (the peer's socket is connected to ADDR: a reply
# from any other source would never reach it)
ONLY_N=0
only()
{
	ONLY_N=$((ONLY_N + 1))
	tag="u$2-$1-$$-$ONLY_N"
	r=$(l3_send peer udp "$1" "$2" "$tag")
	got=
	for s in $SERVERS; do
		[ "$(l3_got "$s" "$tag")" -gt 0 ] && got="$got $s"
	done
	l3_is "$5: udp to $1:$2 reaches ${3:-nobody} ($r)" "$got" "${3:+ $3}"
	[ -n "$3" ] || return 0
	l3_is "$5: udp to $1:$2: $3 saw it sent to $4" \
		"$(awk -v t="$tag" '$6 == t { print $2; exit }' "$L3_TMP/$3.log")" "$4"
	l3_is "$5: udp to $1:$2: the reply comes from $1" "$r" "reply echo $tag"
}

# ---- every address of every namespace, and the host's ----
only 192.0.2.10 9000 a 192.0.2.10 "a's first IPv4"
only 192.0.2.20 9000 a 192.0.2.20 "a's second IPv4"
only 2001:db8::10 9000 a 2001:db8::10 "a's IPv6"
only 192.0.2.11 9000 b 192.0.2.11 "b"
only 2001:db8::11 9000 b 2001:db8::11 "b"
only 192.0.2.12 9000 c 192.0.2.12 "c (level 3)"
only 2001:db8::12 9000 c 2001:db8::12 "c (level 3)"
only 192.0.2.1 9000 host 192.0.2.1 "the host's own"
only 2001:db8::1 9000 host 2001:db8::1 "the host's own"

# ---- dual-stack [::] (IPV6_V6ONLY=0): IPv4 and IPv6, all of a's ----
only 192.0.2.10 9001 a9001 ::ffff:192.0.2.10 "dual-stack"
only 192.0.2.20 9001 a9001 ::ffff:192.0.2.20 "dual-stack"
only 2001:db8::10 9001 a9001 2001:db8::10 "dual-stack"
only 192.0.2.11 9001 "" - "b's address, a's dual-stack port"
only 2001:db8::1 9001 "" - "the host's address, a's dual-stack port"

# ---- hostile ----
# b bound 9005 first: a's addresses are never b's
only 192.0.2.10 9005 "" - "b bound first"
only 192.0.2.20 9005 "" - "b bound first"
only 2001:db8::10 9005 "" - "b bound first"
only 192.0.2.11 9005 b9005 192.0.2.11 "b bound first, its own"
# SO_REUSEPORT: a's pair on 9002 and the host's 0.0.0.0:9002
only 192.0.2.20 9002 a9002 192.0.2.20 "SO_REUSEPORT"
only 192.0.2.1 9002 host 192.0.2.1 "SO_REUSEPORT, the host's address"
only 192.0.2.11 9002 "" - "SO_REUSEPORT, b has none"
# nested: a/sub's sockets are a's
only 192.0.2.20 9003 as9003 192.0.2.20 "nested a/sub"
only 2001:db8::10 9003 as9003 2001:db8::10 "nested a/sub"
only 192.0.2.11 9003 "" - "nested a/sub, b's address"

# a connected socket takes only its peer's datagrams, steered or not
l3_bg "$CG_a" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 9007))
s.connect(("192.0.2.100", 7999))
open(sys.argv[1] + ".tmp", "w").close()
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.settimeout(20)
with open(sys.argv[2], "a", buffering=1) as log:
    end = time.monotonic() + 60
    while time.monotonic() < end:
        try:
            log.write("udp - - - - %s\n" % s.recv(100).decode())
        except OSError:
            pass
' "$L3_TMP/a9007.ready" "$L3_TMP/a9007.log"
: >>"$L3_TMP/a9007.log"
_n=0
while [ ! -e "$L3_TMP/a9007.ready" ] && [ $_n -lt 100 ]; do sleep 0.05; _n=$((_n + 1)); done
r=$(l3_send peer udp 192.0.2.20 9007 "conn-$$" --timeout 0.5)
l3_is "a connected socket of a is not handed another source's datagrams ($r)" \
	"$(l3_got a9007 "conn-$$")" "0"

# a server that replies without IP_PKTINFO answers from the address its
# wildcard was rewritten to (192.0.2.10), whichever address the peer used:
# as on a multihomed host, a server must reply with IP_PKTINFO to answer
# from the destination (l3nft(8), SOCKET LAYER, steer)
l3_bg "$CG_a" python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 9008))
open(sys.argv[1] + ".tmp", "w").close()
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.settimeout(60)
for i in range(50):
    try:
        data, peer = s.recvfrom(100)
    except OSError:
        break
    s.sendto(data, peer)
' "$L3_TMP/a9008.ready"
_n=0
while [ ! -e "$L3_TMP/a9008.ready" ] && [ $_n -lt 100 ]; do sleep 0.05; _n=$((_n + 1)); done
# peer: unconnected, so a reply from any source is read; bounded retries
# (the first datagrams may come before l3nftd's walk)
src=$(l3_p python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.25)
for i in range(40):
    s.sendto(b"nopktinfo", ("192.0.2.20", 9008))
    try:
        print(s.recvfrom(100)[1][0])
        break
    except OSError:
        pass
')
l3_is "without IP_PKTINFO, a's reply to a datagram for 192.0.2.20 leaves from 192.0.2.10" \
	"$src" "192.0.2.10"

# a tenant flooding binds (b: 2,000 wildcard binds and closes) neither
# makes l3nftd steer a's addresses to b nor stops it
l3_run "$CG_b" python3 -c '
import socket
for i in range(2000):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 9006 if i % 2 else 0))
    s.close()
'
l3_ok "l3nftd is alive after b's flood of binds" kill -0 "$DAEMON"
# bounded work: one walk per 20 ms at most, however many binds
om=$(l3_h "$L3NFT" status --format=openmetrics "$POLICY" 2>/dev/null)
ev=$(echo "$om" | awk '$1 == "l3nftd_udp_bind_events_total" { print $2 }')
walks=$(echo "$om" | awk '$1 == "l3nftd_udp_walks_total" { print $2 }')
l3_gt "l3nftd read the flood's events (l3nftd_udp_bind_events_total)" "${ev:-0}" 1000
l3_gt "l3nftd walked at most a quarter as often as it read events ($walks walks)" \
	"$((${ev:-0} - 4 * ${walks:-999999}))" 0
l3_serve "$CG_a" a9006 udp:0.0.0.0:9006 || l3_fail "a's server on 9006 starts"
SERVERS="$SERVERS a9006"
l3_ok "after b's flood, a's new 0.0.0.0:9006 is steered for 192.0.2.20 (bounded poll)" \
	steered 192.0.2.20 9006 a9006
only 2001:db8::11 9006 "" - "after the flood, b has no socket left"

# ---- l3nftd down: fail closed until it is back ----
stop_daemon
l3_serve "$CG_a" a9004 udp:0.0.0.0:9004 || l3_fail "a's server on 9004 starts"
SERVERS="$SERVERS a9004"
only 192.0.2.10 9004 a9004 192.0.2.10 "l3nftd down, a's first address (no steering needed)"
only 192.0.2.20 9004 "" - "l3nftd down: fail closed, a's second address"
start_daemon || l3_fail "l3nftd starts again"
l3_ok "l3nftd, back, walks and steers a socket bound while it was down (bounded poll)" \
	steered 192.0.2.20 9004 a9004
only 192.0.2.20 9004 a9004 192.0.2.20 "l3nftd back"

# a closed socket leaves the sockhash: nobody gets its datagrams
l3_kill_pids "$(cat "$L3_TMP/a9004.ready")"
only 192.0.2.20 9004 "" - "a's socket closed"

st=$(l3_h "$L3NFT" status --json "$POLICY" 2>&1)
l3_ok "status --json: a's steered counter counts the datagrams" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
a = [n for n in d["namespaces"] if n["namespace"] == "a"][0]["socket_layer"]
assert a["steered"] >= 10, a
' "$st"

# ---- delete: nothing left ----
stop_daemon
iter_id=$(bpftool -j link show pinned "$PINS/link_udp_iter" 2>/dev/null |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])' 2>/dev/null)
out=$(l3_h timeout 120 "$L3NFT" delete "$POLICY" 2>&1)
l3_is "delete leaves no pin (ring buffer, iterator link included)" \
	"$(ls -A "$PINS" 2>&1 | head -1)" "ls: cannot access '$PINS': No such file or directory"
l3_ok "after delete, the iterator link (id ${iter_id:-none}) is gone" \
	sh -c "test '${iter_id:-0}' -gt 0 && ! bpftool link show id '$iter_id' >/dev/null 2>&1"
l3_summary
