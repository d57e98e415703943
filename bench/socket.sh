#!/bin/sh
# Socket layer benchmark (issue 11): with the cgroup BPF programs attached
# ("on", socket_layer: auto) and without them ("off", socket_layer: off,
# the nft table alone), interleaved, in scratch namespaces (tests/e2e/lib.sh):
#   tcp_connect  TCP connect/s from namespace a to a closed port of the
#                peer (SYN, RST: the connect path without a server's cost)
#   udp_sendto   unconnected UDP sendto/s from namespace a to the peer
#   host_bind    bind(0.0.0.0:0)+listen+close/s of a process below the
#                attach point that is in no namespace
# Each figure is the median of ROUNDS one-second runs of a Python loop
# (its own cost dominates: compare ratios, not absolute numbers). Prints
# markdown rows.
#   L3NFT=./l3nft srcdir=. sh bench/socket.sh [ROUNDS]
. "$(dirname "$0")/../tests/e2e/lib.sh"
ROUNDS=${L3_BENCH_ROUNDS:-5}

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
    addresses: [192.0.2.10/24, 2001:db8::10/64]
EOF
done

cat >"$L3_TMP/load.py" <<'EOF'
import socket, sys, time
kind, end = sys.argv[1], time.monotonic() + 1.0
n = 0
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while time.monotonic() < end:
    for _ in range(50):
        if kind == "tcp_connect":
            s = socket.socket()
            try:
                s.connect(("192.0.2.100", 9))
            except ConnectionRefusedError:
                pass
            s.close()
        elif kind == "udp_sendto":
            u.sendto(b"x", ("192.0.2.100", 9))
        else:
            s = socket.socket(); s.bind(("0.0.0.0", 0)); s.listen(1); s.close()
    n += 50
print(n)
EOF

for i in $(seq "$ROUNDS"); do
	for mode in auto off; do
		l3_h "$L3NFT" apply "$L3_TMP/$mode.yaml" >/dev/null 2>&1 || l3_fail "apply $mode"
		for k in tcp_connect udp_sendto; do
			l3_run "$PARENT/a" nice -n -20 python3 "$L3_TMP/load.py" $k >>"$L3_TMP/$k.$mode"
		done
		l3_run "$PARENT/other" nice -n -20 python3 "$L3_TMP/load.py" host_bind >>"$L3_TMP/host_bind.$mode"
	done
done
l3_h "$L3NFT" delete "$L3_TMP/off.yaml" >/dev/null 2>&1

med() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "| measure | on (ops/s) | off (ops/s) | on/off |"
echo "| --- | --- | --- | --- |"
for k in tcp_connect udp_sendto host_bind; do
	on=$(med "$L3_TMP/$k.auto") off=$(med "$L3_TMP/$k.off")
	echo "| $k | $on | $off | $(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.2f", a / b }') |"
done
l3_pass "socket layer benchmark ($ROUNDS rounds)"
l3_summary
