#!/bin/sh
# l3nftd and PID reuse, for real: a non-root tenant of namespace b opens a
# control connection from a child process that then exits, keeps the
# socket, and waits until a process of namespace a holds the child's PID;
# then it asks to register for a. SO_PEERCRED still names that PID, and
# /proc/PID/cgroup now says a: only the pidfd taken at accept time tells
# the two processes apart. To make the PID come back on demand, l3nftd,
# the tenant and the victim run in a new PID namespace whose ns_last_pid
# the test sets. Scratch namespaces only.
#
#   L3NFT=/path/to/l3nft srcdir=/path/to/src sh tests/e2e/daemon-pidreuse.sh

. "$(dirname "$0")/lib.sh"

l3_init
l3_topology || l3_skip_all "cannot build the test topology (veth, addresses)"
L3NFTD=${L3NFTD:-$(dirname "$L3NFT")/l3nftd}
[ -x "$L3NFTD" ] || l3_skip_all "no l3nftd binary at $L3NFTD (set L3NFTD)"
for t in setpriv unshare; do
	command -v $t >/dev/null 2>&1 || l3_skip_all "$t is not installed"
done

PARENT="l3t-$$"
for cg in "$PARENT/a" "$PARENT/b"; do
	l3_cg_add "$cg" || l3_skip_all "cannot create cgroup $cg"
done
L3NFT_RUNDIR="$L3_TMP/run"
export L3NFT_RUNDIR
mkdir -m 0755 "$L3NFT_RUNDIR"
chmod 0755 "$L3_TMP"
SOCK="$L3NFT_RUNDIR/l3nftd.sock"
POLICY="$L3_TMP/reuse.yaml"
cat >"$POLICY" <<EOF2
version: 1
queue: 22
namespaces:
  a:
    cgroup: $PARENT/a
    interface: eth0
    addresses: [192.0.2.10/24]
  b:
    cgroup: $PARENT/b
    interface: eth0
    addresses: [192.0.2.11/24]
EOF2
l3_ok "apply the policy" l3_h "$L3NFT" apply "$POLICY"

# a PID namespace (with its own /proc) to run everything in
l3_bg host unshare --pid --fork --mount-proc --kill-child sleep 300
sleep 0.3
# (nsenter --net execs unshare; unshare's child is the namespace's init)
INIT=$(pgrep -P "$L3_LAST_PID" -x sleep)
[ -n "$INIT" ] || l3_skip_all "cannot find the PID namespace's init"
# inpid CMD...: run CMD in that PID namespace (and its /proc), in H
inpid() { nsenter -t "$INIT" -p -m --net="/run/netns/$L3_H" "$@"; }

inpid "$L3NFTD" -f -c "$POLICY" 2>>"$L3_TMP/l3nftd.log" &
L3_PIDS="$L3_PIDS $!"
_n=0
until [ -S "$SOCK" ] && l3_h "$L3NFT" listeners >/dev/null 2>&1; do
	_n=$((_n + 1))
	[ $_n -ge 50 ] && { l3_fail "l3nftd starts" "$(tr '\n' '|' <"$L3_TMP/l3nftd.log")"; l3_summary; }
	sleep 0.1
done
l3_pass "l3nftd starts in a PID namespace"

# the tenant: child connects and exits; parent prints the child's pid,
# waits for GO, sends REQUEST on the kept socket, prints the reply
cat >"$L3_TMP/tenant.py" <<'PY'
import os, socket, sys, time
path, req, go = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
pid = os.fork()
if pid == 0:
    s.connect(path)
    os._exit(0)
os.waitpid(pid, 0)
print(pid, flush=True)
end = time.time() + 20
while not os.path.exists(go) and time.time() < end:
    time.sleep(0.02)
s.send(req.encode())
s.settimeout(5)
print(s.recv(512).decode().strip(), flush=True)
PY
GO="$L3_TMP/go"
# the interpreter itself: a wrapper on PATH (pyenv's shims under /root)
# may not be reachable by the tenant's uid
PY=$(python3 -c 'import sys; print(sys.executable)')
inpid sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"' \
	x "$L3_CG_MOUNT/$PARENT/b" "$PY" "$L3_TMP/tenant.py" "$SOCK" "listen a 239.6.6.6:5000/udp" "$GO" \
	>"$L3_TMP/tenant.out" 2>&1 &
TENANT=$!
L3_PIDS="$L3_PIDS $TENANT"
_n=0
until [ -s "$L3_TMP/tenant.out" ] || [ $_n -ge 100 ]; do sleep 0.05; _n=$((_n + 1)); done
CPID=$(head -n 1 "$L3_TMP/tenant.out")
# the victim: the next process of the PID namespace, in a's cgroup, gets CPID
inpid sh -c 'echo $(($1 - 1)) >/proc/sys/kernel/ns_last_pid
	sh -c "echo \$\$ >\"$2/cgroup.procs\"; exec sleep 30" &
	echo $!' x "$CPID" "$L3_CG_MOUNT/$PARENT/a" >"$L3_TMP/victim.out"
VPID=$(cat "$L3_TMP/victim.out")
l3_is "the connecting child's PID now belongs to a process of namespace a" "$VPID" "$CPID"
touch "$GO"
wait $TENANT
REPLY=$(sed -n 2p "$L3_TMP/tenant.out")
l3_ok "the request on the old connection is refused" \
	sh -c 'case "$1" in "error: the process that opened this connection has exited"*) ;; *) exit 1 ;; esac' x "$REPLY"
l3_ok "and b's tenant registered nothing for a" \
	sh -c '! nsenter --net="/run/netns/$1" "$2" listeners | grep -q 239.6.6.6' x "$L3_H" "$L3NFT"
l3_ok "the refusal is logged" grep -q 'refused listen a 239.6.6.6:5000/udp .*has exited' "$L3_TMP/l3nftd.log"
l3_note "reply: $REPLY"
l3_summary
