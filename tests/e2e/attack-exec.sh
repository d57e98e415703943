#!/bin/sh
# Attacks from root under `l3nft exec` (the tenant is hostile): each must
# fail. Then --user, `capabilities:`, exit codes and signals. Real
# processes in scratch network namespaces (see lib.sh).
#
#   L3NFT=/path/to/l3nft srcdir=/path/to/src sh tests/e2e/attack-exec.sh

. "$(dirname "$0")/lib.sh"

l3_init
l3_topology || l3_skip_all "cannot build the test topology (veth, addresses)"
PARENT="l3t-$$"
for cg in "$PARENT/a" "$PARENT/b" "$PARENT/c" "$PARENT/d"; do
	l3_cg_add "$cg" || l3_skip_all "cannot create cgroup $cg"
done
L3NFT_RUNDIR="$L3_TMP/run"
export L3NFT_RUNDIR
mkdir -m 0755 "$L3NFT_RUNDIR"
echo "b 239.1.1.1:5000/udp dynamic" >"$L3NFT_RUNDIR/registrations"
NOBODY=$(id -u nobody 2>/dev/null) || l3_skip_all "no user nobody"
POLICY="$L3_TMP/p.yaml"
cat >"$POLICY" <<EOF
version: 1
namespaces:
  a:
    cgroup: $PARENT/a
    interface: eth0
    addresses: [192.0.2.10/24]
  b:
    cgroup: $PARENT/b
    interface: eth0
    addresses: [192.0.2.11/24]
  c:
    cgroup: $PARENT/c
    interface: eth0
    addresses: [192.0.2.12/24]
    user: nobody
    capabilities: [net_bind_service]
  d:
    cgroup: $PARENT/d
    interface: eth0
    addresses: [192.0.2.13/24]
    capabilities: [net_raw]
EOF
l3_h "$L3NFT" apply "$POLICY" >"$L3_TMP/apply.out" 2>&1 ||
	l3_fail "apply the policy" "$(cat "$L3_TMP/apply.out")"

# as NAME CMD...: CMD under `l3nft exec NAME` in H; its stderr (with
# l3nft's nsdelegate warning) goes to $L3_TMP/as.err
as() { _n=$1; shift; l3_h "$L3NFT" exec "$_n" -c "$POLICY" -- "$@" 2>"$L3_TMP/as.err"; }
# fails DESC NAME CMD...: passes when CMD under exec NAME fails
fails() { _d=$1; shift; if as "$@" >/dev/null; then l3_fail "$_d" "it succeeded: $*"; else l3_pass "$_d"; fi; }

# a host process to aim at: root, all capabilities, a socket open, in H
l3_bg host python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("192.0.2.1", 7777))
time.sleep(120)'
VICTIM=$L3_LAST_PID
sleep 0.3
kill -0 "$VICTIM" 2>/dev/null || l3_fail "the victim process runs"

cat >"$L3_TMP/attack.py" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
what, pid = sys.argv[1], int(sys.argv[2])
if what == "pidfd_getfd":
    fd = os.pidfd_open(pid)
    for target in range(0, 8):
        got = libc.syscall(438, fd, target, 0)      # SYS_pidfd_getfd
        if got >= 0:
            print("took fd", target); sys.exit(0)
    sys.exit("pidfd_getfd: " + os.strerror(ctypes.get_errno()))
if what == "ptrace":
    if libc.ptrace(16, pid, None, None) == 0:       # PTRACE_ATTACH
        print("attached"); sys.exit(0)
    sys.exit("ptrace: " + os.strerror(ctypes.get_errno()))
if what == "bpf":
    # BPF_PROG_LOAD of "r0 = 1; exit" as a cgroup skb program
    insns = (ctypes.c_uint64 * 2)(0x00000001000000b7, 0x0000000000000095)
    lic = ctypes.c_char_p(b"GPL")
    attr = (ctypes.c_uint8 * 128)()
    ctypes.memmove(attr, ctypes.byref(ctypes.c_uint32(8)), 4)          # prog_type
    ctypes.memmove(ctypes.addressof(attr) + 4, ctypes.byref(ctypes.c_uint32(2)), 4)
    ctypes.memmove(ctypes.addressof(attr) + 8, ctypes.byref(ctypes.c_uint64(ctypes.addressof(insns))), 8)
    ctypes.memmove(ctypes.addressof(attr) + 16, ctypes.byref(ctypes.c_uint64(ctypes.cast(lic, ctypes.c_void_p).value)), 8)
    fd = libc.syscall(321, 5, attr, 128)            # SYS_bpf, BPF_PROG_LOAD
    if fd >= 0:
        print("loaded"); sys.exit(0)
    sys.exit("bpf: " + os.strerror(ctypes.get_errno()))
PY

# ---- cgroups: another namespace's, and the host's ----
fails "root under exec cannot write another namespace's cgroup.procs" \
	a sh -c "echo \$\$ >'$L3_CG_MOUNT/$PARENT/b/cgroup.procs'"
fails "nor the host's root cgroup.procs" a sh -c "echo \$\$ >'$L3_CG_MOUNT/cgroup.procs'"
fails "nor through /proc/PID/root of a host process" \
	a sh -c "echo \$\$ >'/proc/$VICTIM/root$L3_CG_MOUNT/$PARENT/b/cgroup.procs'"
fails "nor through /proc/1/root (its own PID 1)" \
	a sh -c "echo \$\$ >'/proc/1/root$L3_CG_MOUNT/$PARENT/b/cgroup.procs'"
fails "nor by making a new cgroup and moving there" a mkdir "$L3_CG_MOUNT/$PARENT/a/x"
fails "cannot remount cgroup2 read-write" a mount -o remount,rw "$L3_CG_MOUNT"
fails "cannot mount a fresh cgroup2" a mount -t cgroup2 none /mnt
fails "cannot umount /proc to see the host's" a umount -l /proc
l3_is "b's cgroup holds no process of a" "$(cat "$L3_CG_MOUNT/$PARENT/b/cgroup.procs")" ""
if grep -q ' - cgroup2 [^ ]* .*nsdelegate' /proc/self/mountinfo; then
	l3_pass "cgroup2 has nsdelegate here (no warning expected)"
else
	as a true
	l3_is "without nsdelegate, exec says so in one line on stderr" \
		"$(grep -c 'warning: cgroup2 at .* without nsdelegate' "$L3_TMP/as.err")" 1
fi

# ---- host processes ----
l3_is "no host process is visible in /proc: only PID 1 and the command" \
	"$(as a python3 -c 'import os; print(sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))')" "[1, 2]"
fails "not the victim's /proc entry either" a test -e "/proc/$VICTIM/root"
l3_is "the command sees itself as PID 2 (PID 1 is the reaper)" "$(as a sh -c 'echo $$')" 2
fails "pidfd_getfd on a host process's socket fails" a python3 "$L3_TMP/attack.py" pidfd_getfd "$VICTIM"
fails "pidfd_getfd on its own PID 1 fails" a python3 "$L3_TMP/attack.py" pidfd_getfd 1
fails "ptrace attach to a host process fails" a python3 "$L3_TMP/attack.py" ptrace "$VICTIM"
fails "ptrace attach to its own PID 1 fails" a python3 "$L3_TMP/attack.py" ptrace 1
fails "loading a BPF program fails" a python3 "$L3_TMP/attack.py" bpf 0

# ---- kernel settings, l3nftd's files ----
before=$(l3_h cat /proc/sys/net/ipv4/conf/all/route_localnet)
fails "writing route_localnet fails" a sh -c 'echo 1 >/proc/sys/net/ipv4/conf/all/route_localnet'
l3_is "route_localnet is unchanged" "$(l3_h cat /proc/sys/net/ipv4/conf/all/route_localnet)" "$before"
fails "writing /proc/sysrq-trigger fails" a sh -c 'echo h >/proc/sysrq-trigger'
fails "writing under /sys fails" a sh -c 'echo 1 >/sys/kernel/mm/ksm/run'
fails "rewriting l3nftd's registrations fails" \
	a sh -c "echo 'a 239.1.1.1:5000/udp dynamic' >'$L3NFT_RUNDIR/registrations'"
fails "replacing l3nftd's control socket fails" a sh -c "touch '$L3NFT_RUNDIR/l3nftd.sock'"
l3_is "the registrations are unchanged" "$(cat "$L3NFT_RUNDIR/registrations")" "b 239.1.1.1:5000/udp dynamic"
fails "changing the table fails" a nft flush ruleset
fails "a raw socket fails" a python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, 17)'

# ---- capabilities ----
eff=$(as a awk '/^CapEff/ { print $2 }' /proc/self/status)
l3_is "root keeps net_bind_service, setuid, setgid, chown, fowner, kill only" "$eff" 00000000000004e9
l3_is "the bounding set is the same" "$(as a awk '/^CapBnd/ { print $2 }' /proc/self/status)" 00000000000004e9
l3_is "no_new_privs is set" "$(as a awk '/^NoNewPrivs/ { print $2 }' /proc/self/status)" 1
l3_ok "capabilities: [net_raw] widens it: d opens a raw socket" \
	as d python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, 17)'
fails "and d still cannot change the table" d nft flush ruleset

# ---- users ----
l3_is "user: nobody runs c as nobody" "$(as c id -u)" "$NOBODY"
l3_is "with only the policy's capabilities, ambient" \
	"$(as c awk '/^Cap(Eff|Amb)/ { printf "%s ", $2 }' /proc/self/status)" \
	"0000000000000400 0000000000000400 "
l3_ok "so nobody binds port 80 on c's address" \
	as c python3 -c 'import socket; socket.socket().bind(("192.0.2.12", 80))'
l3_is "--user overrides: a as nobody" "$(l3_h "$L3NFT" exec a -c "$POLICY" --user nobody -- id -u 2>/dev/null)" "$NOBODY"
l3_is "--user USER:GROUP sets the group" \
	"$(l3_h "$L3NFT" exec a -c "$POLICY" -u nobody:0 -- id -g 2>/dev/null)" 0
l3_is "a non-root user gets no default capability" \
	"$(l3_h "$L3NFT" exec a -c "$POLICY" -u nobody -- awk '/^CapEff/ { print $2 }' /proc/self/status 2>/dev/null)" \
	0000000000000000
fails "nobody cannot get root back with setuid(0)" c python3 -c 'import os; os.setuid(0)'
fails "root under exec that became nobody cannot either" \
	a python3 -c 'import os; os.setuid(65534); os.setuid(0)'

l3_h "$L3NFT" exec a -c "$POLICY" -u nosuchuser -- true 2>/dev/null
l3_is "an unknown user exits 1 before running anything" "$?" 1

# ---- exit codes and signals ----
as a sh -c 'exit 7'
l3_is "the command's exit status is passed on" "$?" 7
as a /nonexistent/cmd
l3_is "a command that is not found exits 127" "$?" 127
as a "$L3_TMP/p.yaml"
l3_is "a command that cannot be run exits 126" "$?" 126
# not through a shell function: $! must be l3nft's own PID
nsenter --net="/run/netns/$L3_H" "$L3NFT" exec a -c "$POLICY" -- sleep 30 2>/dev/null &
pid=$!
sleep 0.5
kill -TERM "$pid"
wait "$pid"
l3_is "SIGTERM reaches the command (exit 128+15)" "$?" 143
l3_is "and nothing is left in a's cgroup" "$(cat "$L3_CG_MOUNT/$PARENT/a/cgroup.procs")" ""
as a sh -c 'sleep 60 & exit 3'
l3_is "an orphan does not keep exec waiting" "$?" 3
l3_is "and is gone with the PID namespace" "$(cat "$L3_CG_MOUNT/$PARENT/a/cgroup.procs")" ""

l3_summary
