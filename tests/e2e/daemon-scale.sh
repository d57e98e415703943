#!/bin/sh
# l3nftd without silent caps, and copies that look like the original:
#   - 200 namespaces registered for one group each get every datagram
#     (the fan-out once stopped at 64 namespaces per datagram)
#   - a namespace with 40 IPv4 subnets gets the broadcasts of the 1st and
#     the 40th (it once matched only 15 directed broadcasts)
#   - copies keep the TTL / hop limit (mDNS sends 255 and checks it,
#     RFC 6762 s.11); an IPv6 copy from a link-local sender goes to the
#     namespace's link-local address
#   - a namespace on another interface gets no copy of what arrived on eth0
# One receiver process holds every namespace's socket: it moves itself
# into each namespace's cgroup before creating that socket (a socket
# belongs to the cgroup it was created in). Scratch namespaces only.
#
#   L3NFT=/path/to/l3nft srcdir=/path/to/src sh tests/e2e/daemon-scale.sh

. "$(dirname "$0")/lib.sh"

N=${L3_SCALE_N:-200}
l3_init
l3_topology || l3_skip_all "cannot build the test topology (veth, addresses)"
L3NFTD=${L3NFTD:-$(dirname "$L3NFT")/l3nftd}
[ -x "$L3NFTD" ] || l3_skip_all "no l3nftd binary at $L3NFTD (set L3NFTD)"
L3NFT_RUNDIR="$L3_TMP/run"
export L3NFT_RUNDIR
mkdir -m 0755 "$L3NFT_RUNDIR"
PARENT="l3t-$$"
l3_h ip link add dum0 type veth peer name dum0p && l3_h ip link set dum0p up &&
	l3_h ip link set dum0 up || l3_skip_all "cannot create a veth pair"

POLICY="$L3_TMP/scale.yaml"
SPECS=
{
	# the packet layer's fan-out; the socket layer binds a wildcard to the first
	# address only (see docs/security.md), which the 40-subnet case would miss
	printf 'version: 1\nqueue: 21\nsocket_layer: off\nnamespaces:\n'
	i=1
	while [ $i -le "$N" ]; do
		printf '  n%d:\n    cgroup: %s/n%d\n    interface: eth0\n' $i "$PARENT" $i
		printf '    addresses: [203.0.113.%d/24]\n    listen: [239.1.2.3:5100/udp]\n' $i
		i=$((i + 1))
	done
	printf '  wide:\n    cgroup: %s/wide\n    interface: eth0\n    addresses:\n' "$PARENT"
	k=0
	while [ $k -lt 40 ]; do
		printf '      - 198.51.100.%d/30\n' $((k * 4 + 1))
		k=$((k + 1))
	done
	printf '    listen: [broadcast:6100/udp]\n'
	printf '  far:\n    cgroup: %s/far\n    interface: dum0\n' "$PARENT"
	printf '    addresses: [192.0.2.250/32]\n    listen: [239.1.2.3:5100/udp]\n'
	printf '  six:\n    cgroup: %s/six\n    interface: eth0\n' "$PARENT"
	printf '    addresses: [2001:db8::60/64]\n    listen: ["[ff02::fb]:5353/udp"]\n'
} >"$POLICY"
i=1
while [ $i -le "$N" ]; do
	l3_cg_add "$PARENT/n$i" || l3_skip_all "cannot create cgroup $PARENT/n$i"
	SPECS="$SPECS n$i:$PARENT/n$i:203.0.113.$i:5100"
	i=$((i + 1))
done
for cg in wide far six; do
	l3_cg_add "$PARENT/$cg" || l3_skip_all "cannot create cgroup $PARENT/$cg"
done
SPECS="$SPECS wide:$PARENT/wide:0.0.0.0:6100 far:$PARENT/far:0.0.0.0:5100 six:$PARENT/six:[::]:5353"

l3_ok "apply a policy of $N namespaces on one group" l3_h timeout 120 "$L3NFT" apply "$POLICY"
l3_bg host "$L3NFTD" -f -c "$POLICY" 2>>"$L3_TMP/l3nftd.log"
DAEMON=$L3_LAST_PID
_n=0
until [ -S "$L3NFT_RUNDIR/l3nftd.sock" ] && l3_h "$L3NFT" listeners >/dev/null 2>&1; do
	_n=$((_n + 1))
	if [ $_n -ge 100 ] || ! kill -0 "$DAEMON" 2>/dev/null; then
		l3_fail "l3nftd starts" "$(tr '\n' '|' <"$L3_TMP/l3nftd.log")"
		l3_summary
	fi
	sleep 0.1
done
l3_pass "l3nftd starts"

# recv.py LOG READY NAME:CGROUP:ADDR:PORT...: logs "NAME SRC TTL PAYLOAD SCOPE"
cat >"$L3_TMP/recv.py" <<'PY'
import os, selectors, socket, sys, time
log, ready = open(sys.argv[1], "w", buffering=1), sys.argv[2]
mount = os.environ["CG"]
IP_RECVTTL, IP_TTL, IPV6_RECVHOPLIMIT, IPV6_HOPLIMIT = 12, 2, 51, 52   # <linux/in.h>, <linux/in6.h>
sel = selectors.DefaultSelector()
for spec in sys.argv[3:]:
    name, cg, rest = spec.split(":", 2)
    addr, port = rest.rsplit(":", 1)
    with open(os.path.join(mount, cg, "cgroup.procs"), "w") as f:
        f.write(str(os.getpid()))
    if addr.startswith("["):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)
        s.bind((addr[1:-1], int(port)))
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # far: 0.0.0.0 next to the n*
        s.bind((addr, int(port)))
    sel.register(s, selectors.EVENT_READ, name)
open(ready, "w").close()
end = time.time() + 120
while time.time() < end:
    for key, _ in sel.select(1):
        data, anc, _, src = key.fileobj.recvmsg(2048, 64)
        ttl = "?"
        for lvl, typ, val in anc:
            if (lvl, typ) in ((socket.IPPROTO_IP, IP_TTL), (socket.IPPROTO_IPV6, IPV6_HOPLIMIT)):
                ttl = str(int.from_bytes(val[:4], sys.byteorder))
        log.write("%s %s %s %s %s\n" % (key.data, src[0], ttl, data.decode(errors="replace"),
                                         src[3] if len(src) > 3 else 0))
PY
rm -f "$L3_TMP/recv.ready"
# shellcheck disable=SC2086
CG="$L3_CG_MOUNT" l3_bg host python3 "$L3_TMP/recv.py" "$L3_TMP/recv.log" "$L3_TMP/recv.ready" $SPECS
_n=0
while [ ! -e "$L3_TMP/recv.ready" ] && [ $_n -lt 200 ]; do sleep 0.05; _n=$((_n + 1)); done
[ -e "$L3_TMP/recv.ready" ] || l3_fail "the receiver binds every namespace's socket"

l3_p ip route add 224.0.0.0/4 dev eth0
l3_p ip route add 198.51.100.0/24 dev eth0
# the subnet broadcasts are link-layer broadcasts (H answers no ARP for them)
l3_p ip neigh add 198.51.100.3 lladdr ff:ff:ff:ff:ff:ff dev eth0 nud permanent
l3_p ip neigh add 198.51.100.159 lladdr ff:ff:ff:ff:ff:ff dev eth0 nud permanent
l3_p timeout 20 python3 - <<'PY'
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("192.0.2.100"))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
for i in range(5):
    s.sendto(b"g-%d" % i, ("239.1.2.3", 5100))
    time.sleep(0.05)
b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
b.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
b.sendto(b"first", ("198.51.100.3", 6100))
b.sendto(b"fortieth", ("198.51.100.159", 6100))
m = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
m.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex("eth0"))
m.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
m.sendto(b"mdns", ("ff02::fb", 5353, 0, socket.if_nametoindex("eth0")))
PY
sleep 1.5
LOG="$L3_TMP/recv.log"
l3_is "$N namespaces on one group: every one got all 5 datagrams" \
	"$(awk '$1 ~ /^n[0-9]+$/ && $4 ~ /^g-/ { n[$1]++ } END { for (k in n) if (n[k] == 5) c++; print c + 0 }' "$LOG")" "$N"
l3_is "$N namespaces: no copy twice" \
	"$(awk '$1 ~ /^n[0-9]+$/ { print $1, $4 }' "$LOG" | sort | uniq -d | wc -l)" 0
l3_is "IPv4 copies keep the TTL (255)" \
	"$(awk '$1 ~ /^n[0-9]+$/ && $3 != 255' "$LOG" | wc -l)" 0
l3_is "40 subnets: the broadcast of the 1st reaches wide" "$(awk '$1 == "wide" && $4 == "first"' "$LOG" | wc -l)" 1
l3_is "40 subnets: the broadcast of the 40th reaches wide" "$(awk '$1 == "wide" && $4 == "fortieth"' "$LOG" | wc -l)" 1
l3_is "a namespace on another interface (dum0) gets no copy of eth0's datagrams" \
	"$(grep -c '^far ' "$LOG")" 0
l3_ok "mDNS from a link-local sender reaches six" grep -q '^six fe80:' "$LOG"
l3_isnt "and its link-local source carries the interface it came from, not lo" \
	"$(awk '$1 == "six" { print $5 }' "$LOG")" "$(l3_h cat /sys/class/net/lo/ifindex)"
l3_is "IPv6 copies keep the hop limit (255)" "$(awk '$1 == "six" { print $3 }' "$LOG")" 255
l3_ok "l3nftd is still running" kill -0 "$DAEMON"
kill "$DAEMON"
wait "$DAEMON"
l3_is "l3nftd exits 0" "$?" 0
l3_ok "and counted the copies it did not make for dum0" grep -q 'stopping: .* 5 for another link' "$L3_TMP/l3nftd.log"
l3_summary
