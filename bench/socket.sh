#!/bin/sh
# Socket layer benchmark (issue 11): with the cgroup BPF programs attached
# ("on", socket_layer: auto) and without them ("off", socket_layer: off,
# the nft table alone), interleaved, in scratch namespaces (tests/e2e/lib.sh):
#   tcp_connect  TCP connect/s from namespace a to a closed port of the
#                peer (SYN, RST: the connect path without a server's cost)
#   udp_sendto   unconnected UDP sendto/s from namespace a to the peer
#   host_bind    bind(0.0.0.0:0)+listen+close/s of a process below the
#                attach point that is in no namespace
# and "per-packet ingress unchanged", to a server of namespace a started
# after each apply (so "on" rewrites and steers its wildcard sockets):
#   in_tcp_conn  TCP connect+close/s from the peer to a's SECOND address
#                (on: through sk_lookup to the 0.0.0.0 listener rewritten
#                to the first; off: the kernel's wildcard lookup)
#   in_udp_recv  UDP datagrams/s received by a's 0.0.0.0 socket from the
#                peer (on: sk_lookup's miss, cgroup_skb/ingress per packet)
# Each figure is the median of ROUNDS one-second runs of a Python loop
# (its own cost dominates: compare ratios, not absolute numbers). Prints
# markdown rows.
#   L3NFT=./l3nft srcdir=. sh bench/socket.sh [--smoke]
# (--smoke: 1 round of 0.3 s, to check the script; L3_BENCH_ROUNDS)
# l3_init re-executes the script without its arguments: --smoke goes on
# in the environment
[ "${1:-}" = --smoke ] && export L3_BENCH_SMOKE=1
. "$(dirname "$0")/../tests/e2e/lib.sh"
ROUNDS=${L3_BENCH_ROUNDS:-5}
SECS=1.0
[ -n "${L3_BENCH_SMOKE:-}" ] && ROUNDS=1 SECS=0.3

l3_init
l3_topology || l3_skip_all "cannot build the topology"
PARENT="l3t-$$"
l3_cg_add "$PARENT/a" && l3_cg_add "$PARENT/other" || l3_skip_all "cannot create cgroups"
for mode in auto off; do
	cat >"$L3_TMP/$mode.yaml" <<EOF
version: 1
socket_layer: $mode
namespaces:
  a:
    id: 1
    cgroup: $PARENT/a
    interface: eth0
    addresses: [192.0.2.10/24, 192.0.2.20/24, 2001:db8::10/64]
EOF
done

cat >"$L3_TMP/load.py" <<'EOF'
import socket, sys, time
kind, end = sys.argv[1], time.monotonic() + float(sys.argv[2])
n = 0
# connections to a's server are slow (~1,000/s here): small batches
batch = 5 if kind == "in_tcp_conn" else 50
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while time.monotonic() < end:
    for _ in range(batch):
        if kind == "tcp_connect":
            s = socket.socket()
            try:
                s.connect(("192.0.2.100", 9))
            except ConnectionRefusedError:
                pass
            s.close()
        elif kind == "udp_sendto":
            u.sendto(b"x", ("192.0.2.100", 9))
        elif kind == "in_tcp_conn":
            s = socket.create_connection(("192.0.2.20", 8100), timeout=2)
            s.close()
        elif kind == "in_udp_recv":
            u.sendto(b"x" * 64, ("192.0.2.10", 8101))
        else:
            s = socket.socket(); s.bind(("0.0.0.0", 0)); s.listen(1); s.close()
    n += batch
print(n)
EOF
# a's server: accepts and closes on 0.0.0.0:8100, counts datagrams on
# 0.0.0.0:8101 until the peer's end marker; prints the count
cat >"$L3_TMP/server.py" <<'EOF'
import selectors, socket, sys, time
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("0.0.0.0", 8100)); t.listen(1024)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
u.bind(("0.0.0.0", 8101))
sel = selectors.DefaultSelector()
sel.register(t, selectors.EVENT_READ); sel.register(u, selectors.EVENT_READ)
open(sys.argv[1], "w").close()
n, end = 0, time.monotonic() + 30
while time.monotonic() < end:
    for key, _ in sel.select(1):
        if key.fileobj is t:
            t.accept()[0].close()
            continue
        d = u.recv(2048)
        if d == b"end":
            print(n); sys.exit(0)
        n += 1
print(n)
EOF

# ingress MODE: one round of in_tcp_conn and in_udp_recv against a's server
ingress()
{
	rm -f "$L3_TMP/ready"
	l3_bg "$PARENT/a" sh -c "exec python3 '$L3_TMP/server.py' '$L3_TMP/ready' >'$L3_TMP/srv.out'"
	n=0
	until [ -e "$L3_TMP/ready" ] || [ $n -ge 100 ]; do sleep 0.05; n=$((n + 1)); done
	l3_p nice -n -20 python3 "$L3_TMP/load.py" in_tcp_conn "$SECS" |
		awk -v s="$SECS" '{ printf "%d\n", $1 / s }' >>"$L3_TMP/in_tcp_conn.$1"
	l3_p nice -n -20 python3 "$L3_TMP/load.py" in_udp_recv "$SECS" >/dev/null
	l3_p python3 -c 'import socket; socket.socket(2, 2).sendto(b"end", ("192.0.2.10", 8101))'
	wait "$L3_LAST_PID"
	awk -v s="$SECS" '{ printf "%d\n", $1 / s }' "$L3_TMP/srv.out" >>"$L3_TMP/in_udp_recv.$1"
}

for i in $(seq "$ROUNDS"); do
	for mode in auto off; do
		l3_h "$L3NFT" apply "$L3_TMP/$mode.yaml" >/dev/null 2>&1 || l3_fail "apply $mode"
		for k in tcp_connect udp_sendto; do
			l3_run "$PARENT/a" nice -n -20 python3 "$L3_TMP/load.py" $k "$SECS" |
				awk -v s="$SECS" '{ printf "%d\n", $1 / s }' >>"$L3_TMP/$k.$mode"
		done
		l3_run "$PARENT/other" nice -n -20 python3 "$L3_TMP/load.py" host_bind "$SECS" |
			awk -v s="$SECS" '{ printf "%d\n", $1 / s }' >>"$L3_TMP/host_bind.$mode"
		ingress "$mode"
	done
done
l3_h "$L3NFT" delete "$L3_TMP/off.yaml" >/dev/null 2>&1

med() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "| measure | on (ops/s) | off (ops/s) | on/off |"
echo "| --- | --- | --- | --- |"
for k in tcp_connect udp_sendto host_bind in_tcp_conn in_udp_recv; do
	on=$(med "$L3_TMP/$k.auto") off=$(med "$L3_TMP/$k.off")
	echo "| $k | $on | $off | $(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.2f", a / b }') |"
done
for k in in_tcp_conn in_udp_recv; do
	echo "# $k on: $(tr '\n' ' ' <"$L3_TMP/$k.auto")off: $(tr '\n' ' ' <"$L3_TMP/$k.off")"
done
l3_pass "socket layer benchmark ($ROUNDS rounds)"
l3_summary
