#!/bin/sh
# End-to-end tests of l3nft's logs and metrics: `l3nft status
# --format=openmetrics` (valid OpenMetrics, figures equal to the live
# table's counters, the socket layer's and l3nftd's), l3nftd's `stats`
# request, systemd STATUS= on a fake NOTIFY_SOCKET (on change, at most
# once a second) and the journal priorities of its log lines. Scratch
# namespaces only.
#
#   L3NFT=/path/to/l3nft srcdir=/path/to/src sh tests/e2e/metrics.sh
#
# Namespaces: a and b listen to 239.1.1.1:5000; c listens to nothing and
# has no processes (its cgroup is made anew to test the id updates).

. "$(dirname "$0")/lib.sh"

l3_init
l3_topology || l3_skip_all "cannot build the test topology (veth, addresses)"
L3NFTD=${L3NFTD:-$(dirname "$L3NFT")/l3nftd}
[ -x "$L3NFTD" ] || l3_skip_all "no l3nftd binary at $L3NFTD (set L3NFTD)"
command -v setpriv >/dev/null 2>&1 || l3_skip_all "setpriv is not installed"
# python3 as a user who cannot read root's (e.g. pyenv's) shims
[ -x /usr/bin/python3 ] || l3_skip_all "no /usr/bin/python3"

PARENT="l3t-$$"
for cg in "$PARENT/a" "$PARENT/b" "$PARENT/c"; do
	l3_cg_add "$cg" || l3_skip_all "cannot create cgroup $cg"
done
L3NFT_RUNDIR="$L3_TMP/run"
export L3NFT_RUNDIR
mkdir -m 0755 "$L3NFT_RUNDIR"
chmod 0755 "$L3_TMP"
l3_p ip route add 224.0.0.0/4 dev eth0
CHECK="$srcdir/tests/openmetrics_check.py"

POLICY="$L3_TMP/metrics.yaml"
cat >"$POLICY" <<EOF
version: 1
queue: 19
# the log rules sit in the refusal path: refusals must stay refusals
log_refused: true
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
    listen: [239.1.1.1:5000/udp]
  c:
    cgroup: $PARENT/c
    interface: eth0
    addresses: [192.0.2.12/24]
EOF

# om: the metrics now, in $L3_TMP/om.txt (exit status of status)
om() { l3_h "$L3NFT" status --format=openmetrics "$POLICY" >"$L3_TMP/om.txt" 2>"$L3_TMP/om.err"; }
# metric SAMPLE: the value of the sample line that starts with SAMPLE and a space
metric() { awk -v s="$1" 'index($0, s " ") == 1 { print substr($0, length(s) + 2); f = 1 } END { if (!f) print "none" }' "$L3_TMP/om.txt"; }
valid() { python3 "$CHECK" "$L3_TMP/om.txt"; }
# nft_ctr NAME FIELD: packets or bytes of a named counter of the live table
nft_ctr()
{
	l3_h nft list counter inet l3nft "$1" 2>/dev/null |
		awk -v f="$2" '{ for (i = 1; i < NF; i++) if ($i == f) { print $(i + 1); exit } }'
}
has() { grep -q -- "$2" "$1"; }

l3_ok "apply the policy" l3_h "$L3NFT" apply "$POLICY"

# ---- the validator rejects what is not OpenMetrics ----
printf '# TYPE x counter\n# HELP x h\nx_total{n="a"} 1\n# EOF\n' >"$L3_TMP/good.txt"
l3_ok "validator: accepts a well-formed exposition" python3 "$CHECK" "$L3_TMP/good.txt"
for bad in 'x_total{n="a"} 1\n' \
	'# TYPE x counter\nx{n="a"} 1\n# EOF\n' \
	'# TYPE x counter\nx_total{n="a"b"} 1\n# EOF\n' \
	'# TYPE x counter\nx_total{n="a\\qb"} 1\n# EOF\n' \
	'# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\nx 2\n# EOF\n' \
	'# TYPE x_total counter\nx_total_total 1\n# EOF\n' \
	'# TYPE x counter\nx_total -1\n# EOF\n' \
	'# TYPE x gauge\nx{n="a",n="b"} 1\n# EOF\n'; do
	printf "$bad" >"$L3_TMP/bad.txt"
	if python3 "$CHECK" "$L3_TMP/bad.txt" 2>/dev/null; then
		l3_fail "validator: rejects $(printf "$bad" | tr '\n' '|')"
	else
		l3_pass "validator: rejects $(printf "$bad" | head -c 40 | tr '\n' '|')"
	fi
done

# ---- without l3nftd ----
l3_ok "status --format=openmetrics without l3nftd exits 0" om
l3_ok "without l3nftd: valid OpenMetrics" valid
l3_is "without l3nftd: l3nftd_up 0" "$(metric l3nftd_up)" 0
l3_is "without l3nftd: no other l3nftd_ figure" "$(grep -c '^l3nftd_' "$L3_TMP/om.txt")" 1
l3_is "the table is loaded" "$(metric 'l3nft_table_loaded{table="l3nft"}')" 1
l3_is "the last line is # EOF" "$(tail -n 1 "$L3_TMP/om.txt")" "# EOF"
l3_is "an address present is 1" "$(metric 'l3nft_address_present{namespace="a",address="192.0.2.10/24"}')" 1
l3_ok "status --format=bogus is refused" sh -c '! "$1" status --format=bogus "$2" 2>/dev/null' \
	sh "$L3NFT" "$POLICY"

# ---- the table's counters: equal to what nft lists ----
l3_serve "$PARENT/a" srv tcp:192.0.2.10:7000
l3_is "peer -> a: served" "$(l3_send peer tcp 192.0.2.10 7000 m1)" "reply echo m1"
# nothing of b listens: refused (and, with log_refused, logged by the rule
# before the refusal, which must not change the verdict)
l3_is "peer -> b's address, no socket: refused" "$(l3_send peer tcp 192.0.2.11 7000 m2 --timeout 2)" refused
l3_ok "log_refused: b's log rule is in the live table" sh -c \
	"nsenter --net=/run/netns/$L3_H nft list chain inet l3nft input | grep -q 'log prefix \"l3nft refused b: \" level info'"
om
l3_gt "a's accepted packets > 0" "$(metric 'l3nft_accepted_packets_total{namespace="a"}')" 0
l3_is "a's accepted packets = the table's counter a_accepted" \
	"$(metric 'l3nft_accepted_packets_total{namespace="a"}')" "$(nft_ctr a_accepted packets)"
l3_is "a's accepted bytes = the table's counter" \
	"$(metric 'l3nft_accepted_bytes_total{namespace="a"}')" "$(nft_ctr a_accepted bytes)"
l3_is "b's refused packets = the table's counter b_refused" \
	"$(metric 'l3nft_refused_packets_total{namespace="b"}')" "$(nft_ctr b_refused packets)"
l3_is "a's egress flows = the table's counter a_egress" \
	"$(metric 'l3nft_egress_flows_total{namespace="a"}')" "$(nft_ctr a_egress packets)"
l3_is "table-wide not_owner = the table's counter" \
	"$(metric 'l3nft_table_refused_packets_total{reason="not_owner"}')" "$(nft_ctr not_owner packets)"

# ---- the socket layer's counters ----
l3_run "$PARENT/a" python3 "$L3_SOCK" bind tcp 0.0.0.0 7100 >/dev/null
l3_run "$PARENT/a" python3 "$L3_SOCK" bind tcp 192.0.2.11 7101 >/dev/null
om
if [ "$(metric l3nft_socket_layer_attached)" = 1 ]; then
	l3_gt "socket layer: a's wildcard bind was rewritten" \
		"$(metric 'l3nft_socket_binds_rewritten_total{namespace="a"}')" 0
	l3_gt "socket layer: a's bind to b's address was refused" \
		"$(metric 'l3nft_socket_binds_refused_total{namespace="a"}')" 0
	l3_is "socket layer: c refused nothing" \
		"$(metric 'l3nft_socket_binds_refused_total{namespace="c"}')" 0
else
	l3_skip "socket layer counters" "the socket layer is not attached"
fi
l3_ok "with traffic: valid OpenMetrics" valid

# ---- l3nftd with a fake NOTIFY_SOCKET and the journal's stream ----
NOTIFY="$L3_TMP/notify.sock"
l3_bg host python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(1)
end = time.monotonic() + 300
with open(sys.argv[2], "a") as log:
    while time.monotonic() < end:
        try:
            d = s.recv(4096).decode()
        except socket.timeout:
            continue
        for line in d.split("\n"):
            log.write("%.3f %s\n" % (time.monotonic(), line))
        log.flush()
' "$NOTIFY" "$L3_TMP/notify.log"
_n=0
until [ -S "$NOTIFY" ] || [ $_n -ge 50 ]; do sleep 0.1; _n=$((_n + 1)); done
DLOG="$L3_TMP/l3nftd.log"
: >"$DLOG"
# stderr is "the journal's stream" when JOURNAL_STREAM names it
JSTREAM=$(stat -c '%d:%i' "$DLOG")
l3_bg host env NOTIFY_SOCKET="$NOTIFY" JOURNAL_STREAM="$JSTREAM" "$L3NFTD" -f -c "$POLICY" 2>>"$DLOG"
DAEMON=$L3_LAST_PID
_n=0
until l3_h "$L3NFT" listeners >/dev/null 2>&1 || [ $_n -ge 50 ]; do sleep 0.1; _n=$((_n + 1)); done
l3_ok "l3nftd starts" l3_h "$L3NFT" listeners

statuses() { grep ' STATUS=' "$L3_TMP/notify.log"; }
last_status() { statuses | tail -n 1 | cut -d' ' -f2-; }
sleep 1.5
l3_ok "NOTIFY_SOCKET: READY=1" has "$L3_TMP/notify.log" ' READY=1$'
l3_ok "NOTIFY_SOCKET: a first STATUS= with the figures" \
	has "$L3_TMP/notify.log" 'STATUS=3 namespaces, 2 registrations; fan-out: 0 queued, 0 copies'

# ---- stats and openmetrics with l3nftd ----
l3_serve "$PARENT/a" ma udp:192.0.2.10:5000:reuseport
l3_serve "$PARENT/b" mb udp:192.0.2.11:5000:reuseport
l3_p timeout 20 python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("192.0.2.100"))
for i in range(100):
    s.sendto(b"mc-%d" % i, ("239.1.1.1", 5000))
    if i % 25 == 24:
        time.sleep(0.01)
'
sleep 0.5
om
l3_ok "with l3nftd: valid OpenMetrics" valid
l3_is "l3nftd_up 1" "$(metric l3nftd_up)" 1
undocumented=$(awk '$1 == "#" && $2 == "TYPE" { print $3 }' "$L3_TMP/om.txt" | while read -r fam; do
	grep -E '^\.BR? ' "$srcdir/man/l3nft.8" | grep -qw -- "$fam" || printf '%s ' "$fam"
done)
l3_is "every metric family printed is documented in l3nft(8) METRICS" "$undocumented" ""
l3_is "every metric family printed is announced once" \
	"$(awk '$2 == "TYPE" { print $3 }' "$L3_TMP/om.txt" | sort | uniq -d)" ""
l3_is "l3nftd_queued_packets_total counts the 100 datagrams" "$(metric l3nftd_queued_packets_total)" 100
l3_is "l3nftd_fanout_copies_total: one copy each to a and b" "$(metric l3nftd_fanout_copies_total)" 200
l3_is "the servers got them" "$(l3_got ma mc-7)$(l3_got mb mc-7)" 11
l3_is "l3nftd_registrations of a" "$(metric 'l3nftd_registrations{namespace="a"}')" 1
l3_is "l3nftd_registrations of c" "$(metric 'l3nftd_registrations{namespace="c"}')" 0
l3_is "l3nftd_stale_ids 0" "$(metric l3nftd_stale_ids)" 0
l3_is "l3nftd_queue_overflows_total 0" "$(metric l3nftd_queue_overflows_total)" 0
l3_ok "l3nftd_uptime_seconds is there" sh -c "grep -q '^l3nftd_uptime_seconds [0-9]' '$L3_TMP/om.txt'"

# a tenant (nobody in c) is refused a registration for a; counted, logged
l3_run "$PARENT/c" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$L3NFT" listen a 239.1.1.1:5000/udp >/dev/null 2>&1
l3_run "$PARENT/c" setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(b"stats now")
print(s.recv(4096).decode().strip())
' "$L3NFT_RUNDIR/l3nftd.sock" >"$L3_TMP/stats-bad.txt" 2>&1
l3_is "stats with an argument is refused" "$(cat "$L3_TMP/stats-bad.txt")" \
	"error: stats takes no arguments"
l3_ok "the administrator registers c" l3_h "$L3NFT" listen c 239.1.1.1:5000/udp

# the raw reply: KEY VALUE lines, one registrations line per namespace, end N
l3_run "$PARENT/c" setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
s.send(b"stats")
out = ""
while not out.splitlines() or not out.splitlines()[-1].startswith(("end ", "error")):
    m = s.recv(8192).decode()
    if not m:
        break
    out += m
sys.stdout.write(out)
' "$L3NFT_RUNDIR/l3nftd.sock" >"$L3_TMP/stats.txt" 2>&1
l3_is "stats (any user may ask): end N counts the data lines" \
	"$(tail -n 1 "$L3_TMP/stats.txt")" "end $(($(wc -l <"$L3_TMP/stats.txt") - 1))"
l3_ok "stats: refused_requests counts the refused registration and request" \
	has "$L3_TMP/stats.txt" '^refused_requests 2$'
l3_ok "stats: registrations per namespace" has "$L3_TMP/stats.txt" '^registrations c 1$'
l3_ok "stats: all registrations" has "$L3_TMP/stats.txt" '^registrations 3$'

# a cgroup made anew (systemd restarting a unit) and an address taken away
rmdir "$L3_CG_MOUNT/$PARENT/c" && mkdir "$L3_CG_MOUNT/$PARENT/c"
l3_h ip addr del 192.0.2.12/24 dev eth0
sleep 1
om
l3_gt "l3nftd_cgroup_id_updates_total counts c's new id" "$(metric l3nftd_cgroup_id_updates_total)" 0
l3_is "l3nftd_stale_ids 0 once l3nftd moved it" "$(metric l3nftd_stale_ids)" 0
l3_gt "l3nftd_addresses_restored_total counts c's address" \
	"$(metric l3nftd_addresses_restored_total)" 0
l3_is "l3nft_namespace_stale of c 0" "$(metric 'l3nft_namespace_stale{namespace="c"}')" 0

# ---- STATUS=: the live figures, on change, at most once a second ----
sleep 1.5
last=$(last_status)
case $last in
*"3 registrations; fan-out: 100 queued, 200 copies, 0 send errors, 0 queue overflows; 2 refused requests"*)
	l3_pass "STATUS= follows: 3 registrations, 200 copies, 2 refused requests" ;;
*) l3_fail "STATUS= follows: 3 registrations, 200 copies, 2 refused requests" "last: $last" ;;
esac
before=$(statuses | wc -l)
# 4 s of changes: a datagram every 20 ms (each changes the figures)
l3_p timeout 20 python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("192.0.2.100"))
end = time.monotonic() + 4
while time.monotonic() < end:
    s.sendto(b"tick", ("239.1.1.1", 5000))
    time.sleep(0.02)
'
sleep 1.5
after=$(statuses | wc -l)
l3_gt "STATUS= was updated during 4 s of changes" $((after - before)) 1
l3_ok "STATUS= at most 6 times in those 5.5 s" test $((after - before)) -le 6
l3_is "STATUS= never twice within 0.95 s" \
	"$(statuses | awk 'NR > 1 && $1 - t < 0.95 { n++ } { t = $1 } END { print n + 0 }')" 0
l3_is "STATUS= never repeats unchanged figures" \
	"$(statuses | cut -d' ' -f2- | uniq -d | wc -l)" 0

# ---- reload; then the journal priorities of the log lines ----
kill -HUP "$DAEMON"
sleep 1
l3_ok "NOTIFY_SOCKET: RELOADING=1 on SIGHUP" has "$L3_TMP/notify.log" ' RELOADING=1$'
l3_ok "log <5>: the reload" has "$DLOG" '^<5>reload: done, 3 namespaces, 3 registrations'
l3_ok "log <5>: a registration with uid and pid" has "$DLOG" \
	'^<5>listen c 239.1.1.1:5000/udp by uid 0 pid [0-9]'
l3_ok "log <4>: a refused registration with uid and pid" has "$DLOG" \
	'^<4>refused listen a 239.1.1.1:5000/udp from uid 65534 pid [0-9]*: permission denied'
l3_ok "log <5>: the address put back" has "$DLOG" '^<5>restored 192.0.2.12/24 on eth0 for namespace c'
l3_ok "log <5>: the cgroup made anew" has "$DLOG" "^<5>namespace c: cgroup $PARENT/c"
l3_ok "log <4>: a malformed request with uid and pid" has "$DLOG" \
	'^<4>refused a request from uid 65534 pid [0-9]*: stats takes no arguments'
l3_ok "log: every line has a priority" sh -c "! grep -v '^<[0-7]>' '$DLOG'"
l3_ok "unlisten" l3_h "$L3NFT" unlisten c 239.1.1.1:5000/udp
sleep 0.2
l3_ok "log <5>: an unregistration with uid and pid" has "$DLOG" \
	'^<5>unlisten c 239.1.1.1:5000/udp by uid 0 pid [0-9]'

# ---- l3nftd gone: l3nftd_up 0 ----
l3_kill_pids "$DAEMON"
l3_ok "NOTIFY_SOCKET: STOPPING=1" has "$L3_TMP/notify.log" ' STOPPING=1$'
om
l3_is "l3nftd stopped: l3nftd_up 0" "$(metric l3nftd_up)" 0
l3_ok "l3nftd stopped: valid OpenMetrics" valid

l3_summary
