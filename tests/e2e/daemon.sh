#!/bin/sh
# End-to-end tests of l3nftd: broadcast and multicast fan-out to the
# registered namespaces only, dynamic registrations, the control socket's
# authentication and robustness, a daemon killed mid-burst (fail closed and
# fail open), restarts, and cgroups created anew. Scratch namespaces only.
#
#   L3NFT=/path/to/l3nft srcdir=/path/to/src sh tests/e2e/daemon.sh
#
# Namespaces: a and b listen to 239.1.1.1:5000 (a also [ff05::1:3]:5002 and
# broadcast:6000, b broadcast:6000); c registers for nothing and keeps an
# INADDR_ANY socket on every port, to catch what must not reach it.

. "$(dirname "$0")/lib.sh"

l3_init
l3_topology || l3_skip_all "cannot build the test topology (veth, addresses)"
L3NFTD=${L3NFTD:-$(dirname "$L3NFT")/l3nftd}
[ -x "$L3NFTD" ] || l3_skip_all "no l3nftd binary at $L3NFTD (set L3NFTD)"
command -v setpriv >/dev/null 2>&1 || l3_skip_all "setpriv is not installed"

PARENT="l3t-$$"
for cg in "$PARENT/a" "$PARENT/b" "$PARENT/c"; do
	l3_cg_add "$cg" || l3_skip_all "cannot create cgroup $cg"
done
# a non-root client must reach the control socket: the directory is 0755
L3NFT_RUNDIR="$L3_TMP/run"
export L3NFT_RUNDIR
mkdir -m 0755 "$L3NFT_RUNDIR"
chmod 0755 "$L3_TMP"
l3_p ip route add 224.0.0.0/4 dev eth0
l3_p ip -6 route add ff05::/16 dev eth0

# policy FAIL_OPEN: writes $L3_TMP/daemon.yaml
policy()
{
	cat >"$L3_TMP/daemon.yaml" <<EOF
version: 1
queue: 17
fail_open: $1
# the daemon's fan-out as it is without the socket layer (its INADDR_ANY
# receivers): socket.sh tests the socket layer
socket_layer: off
namespaces:
  a:
    cgroup: $PARENT/a
    interface: eth0
    addresses: [192.0.2.10/24, 2001:db8::10/64]
    listen: [239.1.1.1:5000/udp, "[ff05::1:3]:5002/udp", broadcast:6000/udp]
  b:
    cgroup: $PARENT/b
    interface: eth0
    addresses: [192.0.2.11/24]
    listen: [239.1.1.1:5000/udp, broadcast:6000/udp]
  c:
    cgroup: $PARENT/c
    interface: eth0
    addresses: [192.0.2.12/24]
EOF
}
POLICY="$L3_TMP/daemon.yaml"

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

# burst FAMILY DST PORT TAG K [PAUSE]: the peer sends K datagrams "TAG-i",
# pausing PAUSE seconds (default 0.005) after every 50
burst()
{
	l3_p timeout 20 python3 - "$@" <<'PY'
import socket, struct, sys, time
fam, dst, port, tag, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
pause = float(sys.argv[6]) if len(sys.argv) > 6 else 0.005
if fam == "6":
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex("eth0"))
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("192.0.2.100"))
for i in range(k):
    s.sendto(("%s-%d" % (tag, i)).encode(), (dst, port))
    if i % 50 == 49:
        time.sleep(pause)   # stay under the queue's length
PY
}
# got NAME TAG: how many distinct "TAG-i" server NAME logged, and from where
got() { awk -v t="$2-" 'index($6, t) == 1 { n++ } END { print n + 0 }' "$L3_TMP/$1.log"; }
from() { awk -v t="$2-" 'index($6, t) == 1 { print $4 }' "$L3_TMP/$1.log" | sort -u | tr '\n' ' '; }
settle() { sleep 0.5; }

policy false
l3_ok "apply the policy" l3_h "$L3NFT" apply "$POLICY"
start_daemon || { l3_fail "l3nftd starts"; l3_summary; }
l3_pass "l3nftd starts and answers on its control socket"

l3_serve "$PARENT/a" a udp:192.0.2.10:5000:reuseport udp:[2001:db8::10]:5002:reuseport \
	udp:192.0.2.10:6000:reuseport udp:192.0.2.10:5003:reuseport
l3_serve "$PARENT/b" b udp:192.0.2.11:5000:reuseport udp:192.0.2.11:6000:reuseport \
	udp:192.0.2.11:5003:reuseport
l3_serve "$PARENT/c" c udp:0.0.0.0:5000:reuseport udp:0.0.0.0:6000:reuseport \
	udp:0.0.0.0:5003:reuseport udp:[::]:5002:reuseport

K=200
# ---- multicast ----
burst 4 239.1.1.1 5000 m4 $K
settle
l3_is "IPv4 multicast: a got every datagram exactly once" "$(got a m4)" $K
l3_is "IPv4 multicast: b got every datagram exactly once" "$(got b m4)" $K
l3_is "IPv4 multicast: c (not registered) got none" "$(got c m4)" 0
l3_is "IPv4 multicast: the copies keep the peer's source address" "$(from a m4)$(from b m4)" \
	"192.0.2.100 192.0.2.100 "
burst 6 ff05::1:3 5002 m6 50
settle
l3_is "IPv6 multicast: a got every datagram" "$(got a m6)" 50
l3_is "IPv6 multicast: c got none" "$(got c m6)" 0
l3_is "IPv6 multicast: the copies keep the peer's source address" "$(from a m6)" "2001:db8::100 "

# ---- subnet broadcast ----
burst 4 192.0.2.255 6000 bc 50
settle
l3_is "broadcast: a (bound to its alias) got every datagram" "$(got a bc)" 50
l3_is "broadcast: b (bound to its alias) got every datagram" "$(got b bc)" 50
l3_is "broadcast: c got none" "$(got c bc)" 0

# ---- unregistered traffic never reaches the daemon ----
l3_ok "the kernel's listen4 set holds only registered destinations" \
	sh -c '! nsenter --net="/run/netns/$1" nft list set inet l3nft listen4 | grep -q "5003"' x "$L3_H"

# ---- dynamic registration ----
l3_ok "listen c 239.1.1.1:5003/udp (root)" l3_h "$L3NFT" listen c 239.1.1.1:5003/udp
l3_ok "the registration is in the kernel's set" \
	sh -c 'nsenter --net="/run/netns/$1" nft list set inet l3nft listen4 | grep -q "239.1.1.1 . 5003"' x "$L3_H"
burst 4 239.1.1.1 5003 d1 50
settle
l3_is "dynamic: c now gets 239.1.1.1:5003" "$(got c d1)" 50
l3_is "dynamic: a, not registered for 5003, gets none" "$(got a d1)" 0
l3_ok "listeners lists the dynamic registration" \
	sh -c 'nsenter --net="/run/netns/$1" "$2" listeners | grep -q "^c 239.1.1.1:5003/udp dynamic"' x "$L3_H" "$L3NFT"
l3_is "listeners --json is one JSON document" \
	"$(l3_h "$L3NFT" listeners --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["listeners"]))')" 6
l3_is "listeners --json has the documented layout (schema 1)" \
	"$(l3_h "$L3NFT" listeners --json | python3 "$srcdir/tests/json_check.py" listeners)" ok
l3_h "$L3NFT" unlisten a 239.1.1.1:5000/udp 2>"$L3_TMP/un.err"
l3_is "unlisten of a policy registration is refused (exit 1)" "$?" 1
l3_ok "and says why" grep -q 'edit the policy' "$L3_TMP/un.err"

# ---- authentication: SO_PEERCRED ----
nobody() { cg=$1; shift; l3_run "$cg" setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
nobody "$PARENT/b" "$L3NFT" listen a 239.9.9.9:5000/udp 2>"$L3_TMP/auth.err"
l3_is "a non-root process of b cannot register for a (exit 1)" "$?" 1
l3_ok "and is told so" grep -q 'permission denied' "$L3_TMP/auth.err"
l3_ok "a non-root process of b may register for b" nobody "$PARENT/b" "$L3NFT" listen b 239.9.9.9:5000/udp
l3_ok "and take it back" nobody "$PARENT/b" "$L3NFT" unlisten b 239.9.9.9:5000/udp
l3_h "$L3NFT" exec b -c "$POLICY" -- "$L3NFT" listen a 239.9.9.8:5000/udp 2>"$L3_TMP/exec.err"
l3_is "root under l3nft exec (no CAP_NET_ADMIN) cannot register for another namespace" "$?" 1
l3_ok "root under l3nft exec may register for its own" \
	l3_h "$L3NFT" exec b -c "$POLICY" -- "$L3NFT" listen b 239.9.9.8:5000/udp
l3_ok "and take it back" l3_h "$L3NFT" exec b -c "$POLICY" -- "$L3NFT" unlisten b 239.9.9.8:5000/udp

# ---- garbage on the control socket ----
l3_h timeout 10 python3 - "$L3NFT_RUNDIR/l3nftd.sock" <<'PY' >"$L3_TMP/garbage.out" 2>&1
import os, socket, sys
replies = []
for msg in [b"", b"\x00\xff" * 300, b"listen", b"listen a", b"listen a 1.2.3.4:5/udp",
            b"listen A 239.1.1.1:1/udp", b"unlisten a 239.1.1.1:99999/udp", b"list extra",
            b"listen a 239.1.1.1:1/udp junk", os.urandom(4000), b"x" * 600]:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(3)
    s.connect(sys.argv[1])
    try:
        s.send(msg)
        r = s.recv(4096) if msg else b"(empty)"
    except OSError as e:
        r = b"(closed: %s)" % str(e).encode()
    replies.append(r)
    s.close()
# a client that sends and never reads, then vanishes
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(b"list")
print("\n".join(r.decode(errors="replace").strip() for r in replies))
PY
l3_ok "malformed requests get error replies" grep -c '^error: ' "$L3_TMP/garbage.out"
l3_is "every non-empty malformed request was answered with an error" \
	"$(grep -c '^error: ' "$L3_TMP/garbage.out")" 10
l3_ok "l3nftd still serves after garbage" l3_h "$L3NFT" listeners
l3_ok "l3nftd is still running" kill -0 "$DAEMON"

# ---- a local client floods the control socket ----
l3_bg host timeout 20 python3 - "$L3NFT_RUNDIR/l3nftd.sock" <<'PY'
import socket, sys, time
socks = []
for i in range(200):        # many connections that send and never read
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.setblocking(False)
    try:
        s.connect(sys.argv[1])
        for j in range(50):
            s.send(b"list")
    except OSError:
        pass
    socks.append(s)
time.sleep(15)
PY
FLOOD=$L3_LAST_PID
sleep 1
l3_ok "l3nftd serves another client during a flood" l3_h timeout 5 "$L3NFT" listeners
burst 4 239.1.1.1 5000 fl 50
settle
l3_is "and keeps delivering during the flood" "$(got a fl)" 50
l3_kill_pids "$FLOOD"
l3_ok "l3nftd survived the flood" kill -0 "$DAEMON"

# ---- the queue overflows while the daemon is stopped ----
kill -STOP "$DAEMON"
burst 4 239.1.1.1 5000 of 6000 0
kill -CONT "$DAEMON"
sleep 1
l3_ok "l3nftd survives a queue overflow" kill -0 "$DAEMON"
burst 4 239.1.1.1 5000 af 50
settle
l3_is "and delivers again after it" "$(got a af)" 50
l3_gt "the overflow was counted by the kernel" \
	"$(l3_h awk '$1 == 17 { print $6 }' /proc/net/netfilter/nfnetlink_queue)" 0

# ---- killed mid-burst: fail closed; restart keeps the registrations ----
burst 4 239.1.1.1 5000 k1 10000 0.01 &
BURST=$!
# kill once delivery is under way (a loaded machine can take over a
# second to start the sender), bounded
_n=0
while [ "$(got a k1)" -lt 100 ] && [ $_n -lt 100 ]; do sleep 0.05; _n=$((_n + 1)); done
kill -9 "$DAEMON"
wait "$BURST" 2>/dev/null
settle
before_a=$(got a k1)
burst 4 239.1.1.1 5000 k2 50
settle
burst 4 192.0.2.255 6000 k2b 50
settle
l3_is "no daemon, fail_open false: nothing is delivered" "$(got a k2)$(got c k2)$(got c k2b)" 000
start_daemon || l3_fail "l3nftd restarts"
l3_ok "the dynamic registration survived the restart" \
	sh -c 'nsenter --net="/run/netns/$1" "$2" listeners | grep -q "^c 239.1.1.1:5003/udp dynamic"' x "$L3_H" "$L3NFT"
burst 4 239.1.1.1 5000 k3 100
settle
l3_is "after the restart: a gets every datagram exactly once" "$(got a k3)" 100
l3_is "after the restart: b gets every datagram exactly once" "$(got b k3)" 100
l3_is "the burst before the kill was never delivered twice" \
	"$(awk 'index($6, "k1-") == 1 { print $6 }' "$L3_TMP/a.log" | sort | uniq -d | wc -l)" 0
l3_note "a got $before_a of the 10000 datagrams sent while l3nftd was killed"
l3_gt "some of the burst was delivered before the kill" "$before_a" 0

# ---- fail open ----
policy true
l3_ok "apply with fail_open: true" l3_h "$L3NFT" apply "$POLICY"
kill -HUP "$DAEMON"
sleep 0.3
kill -9 "$DAEMON"
sleep 0.2
# (broadcast: without the daemon nobody holds a multicast membership)
burst 4 192.0.2.255 6000 fo 20
settle
l3_is "no daemon, fail_open true: the kernel delivers to INADDR_ANY sockets (c)" "$(got c fo)" 20
start_daemon || l3_fail "l3nftd restarts"
policy false
l3_ok "apply with fail_open: false again" l3_h "$L3NFT" apply "$POLICY"

# ---- a cgroup removed while its process has an open connection ----
l3_kill_pids $(cat "$L3_CG_MOUNT/$PARENT/a/cgroup.procs")
l3_serve "$PARENT/a" held tcp:192.0.2.10:7700
GO="$L3_TMP/go"
l3_p timeout 20 python3 "$L3_SOCK" hold 192.0.2.10 7700 held "$GO" >"$L3_TMP/hold.out" 2>&1 &
HOLD=$!
# the connection must be open before the cgroup goes (a loaded machine
# can take over a second to start the client), bounded
_n=0
until grep -q 'held-1' "$L3_TMP/held.log" || [ $_n -ge 200 ]; do sleep 0.05; _n=$((_n + 1)); done
# the member must leave before the cgroup can go: move it to the parent
for pid in $(cat "$L3_CG_MOUNT/$PARENT/a/cgroup.procs"); do
	echo "$pid" >"$L3_CG_MOUNT/$PARENT/cgroup.procs"
done
rmdir "$L3_CG_MOUNT/$PARENT/a"
sleep 0.3
touch "$GO"
wait $HOLD
# the connection is a's (ct mark); its socket, in a removed cgroup, is no
# namespace's any more: the packet layer fails closed and cuts it
l3_isnt "an open connection is cut when its cgroup is removed (fail closed)" \
	"$(sed -n 2p "$L3_TMP/hold.out")" "reply echo held-2"
l3_is "but nothing new reaches the moved process through a's alias" \
	"$(l3_send peer tcp 192.0.2.10 7700 late)" "refused"
mkdir "$L3_CG_MOUNT/$PARENT/a"

# ---- a cgroup removed and created anew ----
l3_kill_pids $(cat "$L3_CG_MOUNT/$PARENT/a/cgroup.procs" "$L3_CG_MOUNT/$PARENT/cgroup.procs")
rmdir "$L3_CG_MOUNT/$PARENT/a"
mkdir "$L3_CG_MOUNT/$PARENT/a"
sleep 0.3
l3_serve "$PARENT/a" a2 udp:192.0.2.10:5000:reuseport tcp:192.0.2.10:7600
l3_serve "$PARENT/b" b2 tcp:0.0.0.0:7601
burst 4 239.1.1.1 5000 cg 50
settle
l3_is "after the cgroup was created anew, a's listener receives again" "$(got a2 cg)" 50
l3_is "a TCP connection to a's alias reaches a's new listener" \
	"$(l3_send peer tcp 192.0.2.10 7600 iso1)" "reply echo iso1"
l3_is "b's INADDR_ANY listener still gets nothing for a's alias" \
	"$(l3_send peer tcp 192.0.2.10 7601 iso2)" "refused"

kill "$DAEMON" 2>/dev/null
wait "$DAEMON"
l3_is "l3nftd exits 0 on SIGTERM (and, under the sanitizers, without leaks)" "$?" 0
l3_ok "l3nftd logs a summary when stopped" grep -q 'stopping: ' "$L3_TMP/l3nftd.log"
l3_summary
