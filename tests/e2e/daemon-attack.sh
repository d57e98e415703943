#!/bin/sh
# l3nftd against hostile tenants (issue 12 s.4, 13 "the daemon"): each
# class of attack run as a NON-ROOT process inside a namespace's cgroup
# (setpriv --reuid=65534), against a real daemon in scratch namespaces.
#
#   allow-list   a tenant registers the host's broadcast ports (DHCP 68,
#                RIP 520) or groups outside its allow_listen
#   quota        a tenant registers without end (each may cost a socket)
#   connections  a tenant opens connections without end, or idles on them
#   EMFILE       the daemon runs out of descriptors: no spin, clear errors
#   PID reuse    a connection handed on by a process that has exited
#   saved file   registrations planted in a file root did not write
#   descriptors  /proc/PID/fd of the daemon closed to tenants, all CLOEXEC
# and the daemon's life: background mode stops on SIGTERM and reloads on
# SIGHUP (also a new queue number), journal priority prefixes.
#
#   L3NFT=/path/to/l3nft srcdir=/path/to/src sh tests/e2e/daemon-attack.sh

. "$(dirname "$0")/lib.sh"

l3_init
l3_topology || l3_skip_all "cannot build the test topology (veth, addresses)"
L3NFTD=${L3NFTD:-$(dirname "$L3NFT")/l3nftd}
[ -x "$L3NFTD" ] || l3_skip_all "no l3nftd binary at $L3NFTD (set L3NFTD)"
command -v setpriv >/dev/null 2>&1 || l3_skip_all "setpriv is not installed"
command -v prlimit >/dev/null 2>&1 || l3_skip_all "prlimit is not installed"

PARENT="l3t-$$"
for cg in "$PARENT/a" "$PARENT/b" "$PARENT/c"; do
	l3_cg_add "$cg" || l3_skip_all "cannot create cgroup $cg"
done
L3NFT_RUNDIR="$L3_TMP/run"
export L3NFT_RUNDIR
mkdir -m 0755 "$L3NFT_RUNDIR"
chmod 0755 "$L3_TMP"
SOCK="$L3NFT_RUNDIR/l3nftd.sock"
l3_p ip route add 224.0.0.0/4 dev eth0

# policy QUEUE [MAX_CLIENTS PER_UID]
POLICY="$L3_TMP/attack.yaml"
policy()
{
	cat >"$POLICY" <<EOF2
version: 1
queue: $1
max_clients: ${2:-6}
max_clients_per_uid: ${3:-3}
namespaces:
  a:
    cgroup: $PARENT/a
    interface: eth0
    addresses: [192.0.2.10/24]
    listen: [239.1.1.1:5000/udp]
  b:
    cgroup: $PARENT/b
    interface: eth0
    addresses: [192.0.2.11/24]
    max_registrations: 5
  c:
    cgroup: $PARENT/c
    interface: eth0
    addresses: [192.0.2.12/24]
    allow_listen: [239.2.0.0/16:5000-5010/udp]
EOF2
}

DAEMON=
# start_daemon [WRAPPER...]: l3nftd -f in H, its stderr in l3nftd.log
start_daemon()
{
	l3_bg host "$@" "$L3NFTD" -f -c "$POLICY" 2>>"$L3_TMP/l3nftd.log"
	DAEMON=$L3_LAST_PID
	ready
}
ready()
{
	_n=0
	until [ -S "$SOCK" ] && l3_h "$L3NFT" listeners >/dev/null 2>&1; do
		_n=$((_n + 1))
		if [ $_n -ge 50 ]; then
			l3_note "l3nftd did not start:"
			sed 's/^/#   /' "$L3_TMP/l3nftd.log"
			return 1
		fi
		sleep 0.1
	done
}
stop_daemon() { kill "$DAEMON" 2>/dev/null; wait "$DAEMON" 2>/dev/null; }

nobody() { cg=$1; shift; l3_run "$cg" setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
other() { cg=$1; shift; l3_run "$cg" setpriv --reuid=65533 --regid=65533 --clear-groups "$@"; }
# refused DESC REASON CMD...: CMD exits 1 and says REASON on stderr
refused()
{
	_d=$1 _r=$2
	shift 2
	"$@" >/dev/null 2>"$L3_TMP/refused.err"
	_rc=$?
	if [ "$_rc" = 1 ] && grep -q "$_r" "$L3_TMP/refused.err"; then
		l3_pass "$_d"
	else
		l3_fail "$_d" "exit $_rc, stderr: $(tr '\n' '|' <"$L3_TMP/refused.err")" "expected: $_r"
	fi
}
inset() { l3_h nft list set inet l3nft listen4 | grep -q "$1"; }
# cpu_ticks PID: user + system clock ticks so far
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

policy 19
l3_ok "apply the policy" l3_h "$L3NFT" apply "$POLICY"
start_daemon || { l3_fail "l3nftd starts"; l3_summary; }
l3_pass "l3nftd starts"

# ---- allow-list: the host's broadcast ports are not the tenants' ----
refused "a tenant cannot register DHCP's broadcast port 68" "not allowed" \
	nobody "$PARENT/b" "$L3NFT" listen b broadcast:68/udp
refused "a tenant cannot register RIP's broadcast port 520" "not allowed" \
	nobody "$PARENT/b" "$L3NFT" listen b broadcast:520/udp
l3_ok "so port 68 never reaches the kernel's listen set" sh -c '! nsenter --net="/run/netns/$1" nft list set inet l3nft listen4 | grep -q "\. 68 "' x "$L3_H"
refused "nor may the administrator, for a namespace (the allow-list is the policy's)" "not allowed" \
	l3_h "$L3NFT" listen b broadcast:68/udp
l3_ok "a tenant may register a broadcast port from 1024 up (the default)" \
	nobody "$PARENT/b" "$L3NFT" listen b broadcast:6000/udp
l3_ok "and any multicast group (the default)" nobody "$PARENT/b" "$L3NFT" listen b 239.9.9.9:5000/udp
refused "allow_listen: c cannot register a group outside 239.2.0.0/16" "not allowed" \
	nobody "$PARENT/c" "$L3NFT" listen c 239.3.0.1:5000/udp
refused "allow_listen: c cannot register a port outside 5000-5010" "not allowed" \
	nobody "$PARENT/c" "$L3NFT" listen c 239.2.0.1:5011/udp
l3_ok "allow_listen: c may register 239.2.1.1:5005" nobody "$PARENT/c" "$L3NFT" listen c 239.2.1.1:5005/udp
l3_ok "each refusal is logged with uid and pid" \
	grep -q 'refused listen b broadcast:68/udp from uid 65534 pid [0-9]*: not allowed' "$L3_TMP/l3nftd.log"
l3_ok "each registration is logged with uid and pid" \
	grep -q 'listen c 239.2.1.1:5005/udp by uid 65534 pid [0-9]*' "$L3_TMP/l3nftd.log"

# ---- quota: max_registrations 5 for b (2 taken above) ----
for i in 1 2 3; do
	nobody "$PARENT/b" "$L3NFT" listen b "239.5.0.$i:5000/udp" || l3_fail "quota: registration $i of 5"
done
refused "quota: b's 6th run-time registration is refused" "quota reached" \
	nobody "$PARENT/b" "$L3NFT" listen b 239.5.0.4:5000/udp
l3_ok "quota: not even an administrator passes it" sh -c '! nsenter --net="/run/netns/$1" "$2" listen b 239.5.0.5:5000/udp' x "$L3_H" "$L3NFT"
l3_ok "quota: the administrator's other requests still work" l3_h "$L3NFT" listen a 239.5.0.9:5000/udp
l3_ok "quota: taking one back makes room" nobody "$PARENT/b" "$L3NFT" unlisten b 239.5.0.3:5000/udp
l3_ok "quota: ... for one more" nobody "$PARENT/b" "$L3NFT" listen b 239.5.0.4:5000/udp

# ---- connections: max_clients_per_uid 3, max_clients 6 ----
# hold N: opens N connections as the caller and keeps them (never sends),
# prints how many were refused with a reason, then sleeps HOLD seconds
cat >"$L3_TMP/hold.py" <<'PY'
import socket, sys, time
path, n, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
socks, refused, reasons = [], 0, set()
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(0.3)
    try:
        s.connect(path)
        r = s.recv(512)          # an open slot says nothing
        refused += 1
        reasons.add(r.decode(errors="replace").strip())
    except socket.timeout:
        socks.append(s)
    except OSError as e:
        refused += 1
        reasons.add(str(e))
print(refused, "|".join(sorted(reasons)), flush=True)
time.sleep(hold)
PY
out=$(nobody "$PARENT/b" timeout 30 python3 "$L3_TMP/hold.py" "$SOCK" 10 0)
l3_is "connections: a tenant gets 3 of 10 (max_clients_per_uid); 7 are refused" "${out%% *}" 7
l3_ok "connections: and is told why" sh -c 'case "$1" in *"too many control connections for uid 65534"*) ;; *) exit 1 ;; esac' x "$out"
nobody "$PARENT/b" timeout 30 python3 "$L3_TMP/hold.py" "$SOCK" 3 6 >"$L3_TMP/hold1.out" &
H1=$!
other "$PARENT/c" timeout 30 python3 "$L3_TMP/hold.py" "$SOCK" 3 6 >"$L3_TMP/hold2.out" &
H2=$!
sleep 2.5
t0=$(cpu_ticks "$DAEMON")
refused "connections: a third uid finds max_clients (6) taken" "too many control connections" \
	l3_run "$PARENT/a" setpriv --reuid=65532 --regid=65532 --clear-groups "$L3NFT" listen a 239.5.1.1:5000/udp
l3_ok "connections: the administrator is still served (counted apart)" l3_h timeout 5 "$L3NFT" listeners
sleep 1
l3_gt "connections: l3nftd does not spin meanwhile (under 0.3 s of CPU in ~1 s)" \
	$((30 - ($(cpu_ticks "$DAEMON") - t0))) 0
wait $H1 $H2
# idle connections are closed after 10 s, freeing the slots
nobody "$PARENT/b" timeout 30 python3 "$L3_TMP/hold.py" "$SOCK" 3 15 >/dev/null &
H3=$!
sleep 11.5
l3_ok "connections: idle ones are closed after 10 s, the tenant may connect again" \
	nobody "$PARENT/b" "$L3NFT" listeners
wait $H3

# ---- PID reuse: a connection handed on by a process that has exited ----
cat >"$L3_TMP/handoff.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
pid = os.fork()
if pid == 0:
    s.connect(sys.argv[1])    # SO_PEERCRED: the child's pid
    os._exit(0)
os.waitpid(pid, 0)            # the child is gone; its pid is free for reuse
s.send(sys.argv[2].encode())
print(s.recv(512).decode().strip())
PY
out=$(nobody "$PARENT/b" timeout 10 python3 "$L3_TMP/handoff.py" "$SOCK" "listen b 239.6.0.1:5000/udp")
l3_ok "PID reuse: a request on a connection whose opener exited is refused" \
	sh -c 'case "$1" in "error: the process that opened this connection has exited"*) ;; *) exit 1 ;; esac' x "$out"
l3_ok "PID reuse: and nothing was registered" sh -c '! nsenter --net="/run/netns/$1" "$2" listeners | grep -q 239.6.0.1' x "$L3_H" "$L3NFT"

# ---- the daemon's descriptors ----
l3_ok "descriptors: a tenant cannot list /proc/PID/fd of l3nftd (not dumpable)" \
	sh -c '! setpriv --reuid=65534 --regid=65534 --clear-groups ls "/proc/$1/fd" >/dev/null 2>&1' x "$DAEMON"
l3_ok "descriptors: every descriptor of l3nftd is close-on-exec" sh -c '
	for f in /proc/$1/fdinfo/*; do
		case ${f##*/} in 0|1|2) continue ;; esac
		fl=$(awk "/^flags:/ { print \$2 }" "$f")
		[ $(( 0$fl & 02000000 )) -ne 0 ] || { echo "fd ${f##*/} flags $fl"; exit 1; }
	done' x "$DAEMON"

# ---- the saved file: loaded only when root wrote it, and checked ----
stop_daemon
REG="$L3NFT_RUNDIR/registrations"
printf 'a 239.7.0.1:5000/udp\n' >"$REG"
chmod 0666 "$REG"
start_daemon || l3_fail "l3nftd restarts"
l3_ok "saved file writable by others: not loaded" sh -c '! nsenter --net="/run/netns/$1" "$2" listeners | grep -q 239.7.0.1' x "$L3_H" "$L3NFT"
l3_ok "saved file writable by others: and said so" grep -q "ignoring $REG" "$L3_TMP/l3nftd.log"
stop_daemon
printf 'a 239.7.0.2:5000/udp\nb broadcast:68/udp\n' >"$REG"
chmod 0644 "$REG"
chown 65534 "$REG"
start_daemon || l3_fail "l3nftd restarts"
l3_ok "saved file owned by a tenant: not loaded" sh -c '! nsenter --net="/run/netns/$1" "$2" listeners | grep -q 239.7.0.2' x "$L3_H" "$L3NFT"
stop_daemon
printf 'a 239.7.0.2:5000/udp\nb broadcast:68/udp\n' >"$REG"
chown 0 "$REG"
start_daemon || l3_fail "l3nftd restarts"
l3_ok "root's saved file: its valid entries are loaded" sh -c 'nsenter --net="/run/netns/$1" "$2" listeners | grep -q "^a 239.7.0.2:5000/udp dynamic"' x "$L3_H" "$L3NFT"
l3_ok "root's saved file: an entry the allow-list refuses is dropped" sh -c '! nsenter --net="/run/netns/$1" "$2" listeners | grep -q "broadcast:68"' x "$L3_H" "$L3NFT"
l3_ok "root's saved file: and the drop is logged" grep -q 'dropping saved registration b broadcast:68/udp: not allowed' "$L3_TMP/l3nftd.log"

# ---- SIGHUP: a new queue number is bound again ----
l3_serve "$PARENT/a" a udp:192.0.2.10:5000:reuseport
policy 20
# (delete first: apply does not see a changed queue number as a change)
l3_ok "apply the policy with queue 20" sh -c 'nsenter --net="/run/netns/$1" "$2" delete "$3" >/dev/null && nsenter --net="/run/netns/$1" "$2" apply "$3"' x "$L3_H" "$L3NFT" "$POLICY"
kill -HUP "$DAEMON"
sleep 0.5
l3_ok "SIGHUP: the queue change is logged" grep -q 'reload: queue 19 -> 20' "$L3_TMP/l3nftd.log"
l3_p timeout 10 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("192.0.2.100"))
for i in range(20): s.sendto(b"hq-%d" % i, ("239.1.1.1", 5000))'
sleep 0.5
l3_is "SIGHUP: datagrams on the new queue reach a" \
	"$(awk 'index($6, "hq-") == 1 { n++ } END { print n + 0 }' "$L3_TMP/a.log")" 20

# ---- EMFILE: out of descriptors, the daemon refuses and does not spin ----
stop_daemon
policy 20 1000 1000
start_daemon prlimit --nofile=40:40 || l3_fail "l3nftd starts with 40 descriptors"
nobody "$PARENT/b" timeout 30 python3 "$L3_TMP/hold.py" "$SOCK" 60 4 >"$L3_TMP/emfile.out" &
HE=$!
until grep -q . "$L3_TMP/emfile.out" || ! kill -0 $HE 2>/dev/null; do sleep 0.1; done
t0=$(cpu_ticks "$DAEMON")
l3_h timeout 5 "$L3NFT" listeners >/dev/null 2>"$L3_TMP/emfile-admin.err"
l3_is "EMFILE: the administrator gets an answer at once, not a hang (exit 1)" "$?" 1
l3_ok "EMFILE: saying what happened" grep -q 'out of file descriptors' "$L3_TMP/emfile-admin.err"
sleep 1
l3_gt "EMFILE: l3nftd does not spin (under 0.3 s of CPU in ~1 s)" \
	$((30 - ($(cpu_ticks "$DAEMON") - t0))) 0
l3_ok "EMFILE: the refused clients are told" grep -q 'out of file descriptors' "$L3_TMP/emfile.out"
l3_ok "EMFILE: and it is logged" grep -q 'refused a control connection: out of file descriptors' "$L3_TMP/l3nftd.log"
wait $HE
l3_ok "EMFILE: served again once the tenant lets go" l3_h timeout 5 "$L3NFT" listeners
stop_daemon

# ---- background mode: forks after setup, stops on SIGTERM ----
l3_ok "background: l3nftd without -f returns 0 once set up" l3_h "$L3NFTD" -c "$POLICY"
BG=
for p in $(ip netns pids "$L3_H"); do
	[ "$(readlink "/proc/$p/exe")" = "$(readlink -f "$L3NFTD")" ] && BG=$p
done
L3_PIDS="$L3_PIDS $BG"
l3_ok "background: it serves" l3_h timeout 5 "$L3NFT" listeners
policy 20 64 8
printf '    listen: [239.4.4.4:5000/udp]\n' >>"$POLICY"
kill -HUP "$BG"
sleep 0.5
l3_ok "background: SIGHUP reloads the policy" sh -c 'nsenter --net="/run/netns/$1" "$2" listeners | grep -q "^c 239.4.4.4:5000/udp static"' x "$L3_H" "$L3NFT"
kill -TERM "$BG"
_n=0
while kill -0 "$BG" 2>/dev/null && [ $_n -lt 30 ]; do sleep 0.1; _n=$((_n + 1)); done
l3_ok "background: SIGTERM stops it" sh -c '! kill -0 "$1" 2>/dev/null' x "$BG"
printf 'version: 1\nnamespaces: {x: {addresses: [bad]}}\n' >"$L3_TMP/bad.yaml"
l3_h "$L3NFTD" -c "$L3_TMP/bad.yaml" 2>"$L3_TMP/bad.err"
l3_is "background: a bad policy still fails visibly (exit 2)" "$?" 2
l3_ok "background: with the policy's error on stderr" grep -q 'bad.yaml:2:' "$L3_TMP/bad.err"

# ---- under systemd: priorities as <N> prefixes on the journal stream ----
JLOG="$L3_TMP/journal.log"
: >"$JLOG"
JOURNAL_STREAM=$(stat -c '%d:%i' "$JLOG")
export JOURNAL_STREAM
l3_bg host "$L3NFTD" -f -c "$POLICY" 2>>"$JLOG"
DAEMON=$L3_LAST_PID
ready
unset JOURNAL_STREAM
stop_daemon
l3_ok "journal: messages carry <N> priority prefixes" grep -q '^<5>ready on queue' "$JLOG"
l3_summary
