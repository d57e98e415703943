#!/bin/sh
# Attacks on the packet layer by non-root tenants, each class tried
# several ways (IPv4 and IPv6, TCP and UDP where both apply). Every check
# looks at the receiving end: who got which payload, from which source.
#
#   L3NFT=/path/to/l3nft srcdir=/path/to/src sh tests/e2e/attack.sh
#   (L3_E2E_LOADER=apply: load the table with `l3nft apply`)
#
# Classes (docs/security.md names the checks below):
#   tuple   a namespace reuses a conntrack entry another namespace or the
#           host opened to a peer (same source port, same peer) and would
#           leave with the owner's address and get its replies
#   lo      a namespace reuses a loopback tuple of the host (or the host
#           one of a namespace) to reach a loopback-only service
#   martian a peer sends to 127.0.0.1 over eth0 (route_localnet set)
#   steal   a namespace (or the host) binds another namespace's address
#           and port after it exits, or beside it with SO_REUSEADDR, and
#           would take over its established flow
#
# Policy (cgroups below a per-run parent l3t-PID of the cgroup2 mount):
#   a  192.0.2.10 2001:db8::10   b  192.0.2.11 2001:db8::11
#   c  192.0.2.12 (no IPv6)      all loopback isolated
# Host H: 192.0.2.1 2001:db8::1; peer P: 192.0.2.100 2001:db8::100.
# Tenants run as nobody:nogroup without supplementary groups.

. "$(dirname "$0")/lib.sh"

l3_init
command -v setpriv >/dev/null 2>&1 || l3_skip_all "setpriv is not installed"
l3_topology || l3_skip_all "cannot build the test topology (veth, addresses)"

PARENT="l3t-$$"
CG_a="$PARENT/a"
CG_b="$PARENT/b"
CG_c="$PARENT/c"
for cg in "$CG_a" "$CG_b" "$CG_c"; do
	l3_cg_add "$cg" || l3_skip_all "cannot create cgroup $L3_CG_MOUNT/$cg"
done

POLICY="$L3_TMP/attack.yaml"
cat >"$POLICY" <<EOF
version: 1
table: l3nft
# the packet layer alone: the socket layer would refuse the foreign binds
# these attacks start with (tests/e2e/socket.sh proves that)
socket_layer: off
namespaces:
  a:
    id: 1
    cgroup: $CG_a
    interface: eth0
    addresses: [192.0.2.10/24, 2001:db8::10/64]
  b:
    id: 2
    cgroup: $CG_b
    interface: eth0
    addresses: [192.0.2.11/24, 2001:db8::11/64]
  c:
    id: 3
    cgroup: $CG_c
    interface: eth0
    addresses: [192.0.2.12/24]
EOF

l3_aliases 192.0.2.10/24 2001:db8::10/64 192.0.2.11/24 2001:db8::11/64 192.0.2.12/24 ||
	l3_skip_all "cannot add the aliases to eth0"
if l3_load "$POLICY"; then
	l3_pass "policy loaded into the host netns (${L3_E2E_LOADER:-compile + nft -f})"
else
	l3_fail "policy loaded into the host netns (${L3_E2E_LOADER:-compile + nft -f})"
	l3_summary
fi

# Tenant servers write their logs as nobody, in a directory of their own.
mkdir "$L3_TMP/t" && chmod 1777 "$L3_TMP/t" && chmod 755 "$L3_TMP" ||
	l3_skip_all "cannot make a log directory for tenants"
TENANT="setpriv --reuid=nobody --regid=nogroup --clear-groups"
# the python3 that nobody can run (root's PATH may lead to one it cannot)
# shellcheck disable=SC2086
TPY=$($TENANT sh -c 'command -v python3')
[ -n "$TPY" ] || l3_skip_all "nobody cannot run python3"

# tsend WHERE ARGS...: sock.py send, as nobody inside a namespace's cgroup
# (as root for "host" and "peer")
tsend()
{
	_w=$1
	shift
	case $_w in
	host | peer) l3_send "$_w" "$@" ;;
	*) # shellcheck disable=SC2086
	   l3_run "$_w" $TENANT timeout 15 "$TPY" "$L3_SOCK" send "$@" 2>&1 | head -n 1 ;;
	esac
}

# tserve host|peer NAME SPEC...: a root server logging to t/NAME.log;
# sets SRV_PID
tserve()
{
	_w=$1 _n=$2
	shift 2
	l3_serve "$_w" "t/$_n" "$@"
	_rc=$?
	SRV_PID=$L3_LAST_PID
	return $_rc
}

# tserve_tenant CGROUP NAME SPEC...: the same as nobody in a namespace's
# cgroup, through a wrapper that drops privileges before python3 starts
WRAP="$L3_TMP/tenant-python3"
cat >"$WRAP" <<EOF
#!/bin/sh
exec $TENANT "$TPY" "\$@"
EOF
chmod 755 "$WRAP"

tserve_tenant()
{
	_w=$1 _n=$2
	shift 2
	: >"$L3_TMP/t/$_n.log" && chmod 666 "$L3_TMP/t/$_n.log"
	rm -f "$L3_TMP/t/$_n.ready"
	l3_bg "$_w" "$WRAP" "$L3_SOCK" serve "$L3_TMP/t/$_n.log" "$L3_TMP/t/$_n.ready" \
		--max-time "${L3_E2E_SERVE_SECS:-600}" "$@"
	SRV_PID=$L3_LAST_PID
	_i=0
	while [ ! -e "$L3_TMP/t/$_n.ready" ]; do
		if ! kill -0 "$SRV_PID" 2>/dev/null || [ $_i -ge 100 ]; then
			l3_note "tenant server $_n did not start: $*"
			return 1
		fi
		sleep 0.05
		_i=$((_i + 1))
	done
}

stop() { l3_kill_pids "$1"; }

# from LOG PROTO PAYLOAD: the source a server logged PAYLOAD from ("" if never)
from() { awk -v pr="$2" -v pl="$3" '$1 == pr && $6 == pl { print $4; exit }' "$L3_TMP/t/$1.log"; }
got() { awk -v pl="$2" '$6 == pl { n++ } END { print n + 0 }' "$L3_TMP/t/$1.log"; }

# not_as DESC LOG PROTO PAYLOAD FORBIDDEN RESULT: the peer never saw
# PAYLOAD from FORBIDDEN (someone else's address), and the sender got no
# answer unless the peer saw it from another address
not_as()
{
	_f=$(from "$2" "$3" "$4")
	if [ "$_f" = "$5" ]; then
		l3_fail "$1" "the peer got '$4' from $5: the sender acted as its owner"
	elif [ -z "$_f" ] && [ "${6%% *}" = reply ]; then
		l3_fail "$1" "the sender got a reply ('$6') the peer never sent it"
	else
		l3_pass "$1"
	fi
}

tserve peer peer udp:0.0.0.0:7000 tcp:0.0.0.0:7000 "udp:[::]:7000" "tcp:[::]:7000" ||
	l3_skip_all "cannot start the peer's server"

# ---- tuple: reusing another's conntrack entry to a peer ----

r=$(tsend "$CG_a" udp 192.0.2.100 7000 t1a --sport 40001)
l3_is "tuple: a's UDP reaches the peer from a's address (control)" \
	"$(from peer udp t1a)" 192.0.2.10
r=$(tsend "$CG_b" udp 192.0.2.100 7000 t1b --sport 40001)
not_as "tuple: b reusing a's UDP tuple (IPv4) does not leave as a" peer udp t1b 192.0.2.10 "$r"

tsend host udp 192.0.2.100 7000 t2h --sport 40002 >/dev/null
l3_is "tuple: the host's UDP leaves from the host's address (control)" \
	"$(from peer udp t2h)" 192.0.2.1
r=$(tsend "$CG_a" udp 192.0.2.100 7000 t2a --sport 40002)
not_as "tuple: a reusing the host's UDP tuple (IPv4) does not leave as the host" \
	peer udp t2a 192.0.2.1 "$r"

tsend host udp 2001:db8::100 7000 t3h --sport 40003 >/dev/null
l3_is "tuple: the host's UDP over IPv6 leaves from the host's address (control)" \
	"$(from peer udp t3h)" 2001:db8::1
r=$(tsend "$CG_c" udp 2001:db8::100 7000 t3c --sport 40003)
l3_is "tuple: c (no IPv6) reusing the host's IPv6 UDP tuple sends nothing" \
	"$(from peer udp t3c)" ""
l3_isnt "tuple: c gets no reply on the host's IPv6 tuple" "${r%% *}" reply

tsend "$CG_a" udp 2001:db8::100 7000 t4a --sport 40004 >/dev/null
l3_is "tuple: a's UDP over IPv6 leaves from a's address (control)" \
	"$(from peer udp t4a)" 2001:db8::10
r=$(tsend "$CG_b" udp 2001:db8::100 7000 t4b --sport 40004)
not_as "tuple: b reusing a's UDP tuple (IPv6) does not leave as a" peer udp t4b 2001:db8::10 "$r"

tsend "$CG_a" udp 192.0.2.100 7000 t5a --sport 40005 >/dev/null
r=$(tsend host udp 192.0.2.100 7000 t5h --sport 40005)
not_as "tuple: the host reusing a's UDP tuple does not leave as a" peer udp t5h 192.0.2.10 "$r"

r=$(tsend "$CG_a" tcp 192.0.2.100 7000 t6a --sport 40006)
l3_is "tuple: a's TCP reaches the peer from a's address (control)" \
	"$(from peer tcp t6a)" 192.0.2.10
r=$(tsend "$CG_b" tcp 192.0.2.100 7000 t6b --sport 40006)
not_as "tuple: b reusing a's TCP tuple (IPv4) does not connect as a" peer tcp t6b 192.0.2.10 "$r"

tsend "$CG_a" tcp 2001:db8::100 7000 t7a --sport 40007 >/dev/null
r=$(tsend "$CG_b" tcp 2001:db8::100 7000 t7b --sport 40007)
not_as "tuple: b reusing a's TCP tuple (IPv6) does not connect as a" peer tcp t7b 2001:db8::10 "$r"

# ---- lo: loopback tuples ----

tserve host hostlo udp:127.0.0.1:7200 "udp:[::1]:7200" tcp:127.0.0.1:7200 "tcp:[::1]:7200" ||
	l3_fail "lo: the host's loopback server starts"
r=$(tsend host udp 127.0.0.1 7200 l1h --bind 127.0.0.1 --sport 40010)
l3_is "lo: the host reaches its loopback-only service (control)" "$r" "reply echo l1h"
r=$(tsend "$CG_a" udp 127.0.0.1 7200 l1a --bind 127.0.0.1 --sport 40010)
l3_is "lo: a reusing the host's loopback UDP tuple (IPv4) does not reach the host's service" \
	"$(got hostlo l1a)" 0
l3_isnt "lo: ... and gets no answer" "${r%% *}" reply

tsend host udp ::1 7200 l2h --bind ::1 --sport 40011 >/dev/null
r=$(tsend "$CG_a" udp ::1 7200 l2a --bind ::1 --sport 40011)
l3_is "lo: a reusing the host's loopback UDP tuple (IPv6) does not reach the host's service" \
	"$(got hostlo l2a)" 0

tsend host tcp 127.0.0.1 7200 l3h --bind 127.0.0.1 --sport 40012 >/dev/null
r=$(tsend "$CG_a" tcp 127.0.0.1 7200 l3a --bind 127.0.0.1 --sport 40012)
l3_is "lo: a reusing the host's loopback TCP tuple does not reach the host's service" \
	"$(got hostlo l3a)" 0

tserve_tenant "$CG_a" alo udp:127.0.0.1:7201 "udp:[::1]:7201" ||
	l3_fail "lo: a's loopback server starts"
r=$(tsend "$CG_a" udp 127.0.0.1 7201 l4a --bind 127.0.0.1 --sport 40013)
l3_is "lo: a reaches its own loopback service (control)" "$r" "reply echo l4a"
r=$(tsend "$CG_b" udp 127.0.0.1 7201 l4b --bind 127.0.0.1 --sport 40013)
l3_is "lo: b reusing a's loopback tuple does not reach a's loopback service" "$(got alo l4b)" 0
tsend "$CG_a" udp ::1 7201 l5a --bind ::1 --sport 40014 >/dev/null
r=$(tsend host udp ::1 7201 l5h --bind ::1 --sport 40014)
l3_is "lo: the host reusing a's IPv6 loopback tuple does not reach a's loopback service" \
	"$(got alo l5h)" 0

# ---- martian: loopback destinations from the wire ----

# P routes 127.0.0.1 to H (its own loopback routes removed); H accepts
# such packets (route_localnet). Without the table, the host's
# 127.0.0.1-only service gets them (tried by hand). loopback_martian
# counting them shows they reached H.
if l3_p ip route del local 127.0.0.0/8 dev lo table local 2>/dev/null &&
   l3_p ip route del local 127.0.0.1 dev lo table local 2>/dev/null &&
   l3_p ip route add 127.0.0.1/32 via 192.0.2.1 dev eth0 src 192.0.2.100 &&
   l3_p sysctl -qw net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.eth0.route_localnet=1 &&
   l3_h sysctl -qw net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.eth0.route_localnet=1; then
	before=$(l3_counter "$L3_H" l3nft loopback_martian)
	r=$(tsend peer udp 127.0.0.1 7200 m1p --timeout 1)
	l3_is "martian: the peer does not reach the host's loopback service over eth0 (UDP)" \
		"$(got hostlo m1p)" 0
	r=$(tsend peer tcp 127.0.0.1 7200 m2p --timeout 1)
	l3_is "martian: the peer does not reach the host's loopback service over eth0 (TCP)" \
		"$(got hostlo m2p)" 0
	l3_gt "martian: loopback_martian counted them" "$(l3_counter "$L3_H" l3nft loopback_martian)" \
		"${before:-0}"
else
	l3_skip "martian" "cannot route 127.0.0.1 from the peer to the host here"
fi

# ---- steal: another's address and port, its flow ----

tserve_tenant "$CG_a" s1a udp:192.0.2.10:7501 || l3_fail "steal: a's server starts"
r=$(tsend peer udp 192.0.2.10 7501 s1p --bind 192.0.2.100 --sport 41001)
l3_is "steal: the peer reaches a's UDP server (control)" "$r" "reply echo s1p"
stop "$SRV_PID"
tserve_tenant "$CG_b" s1b udp:192.0.2.10:7501 || l3_fail "steal: b binds a's address and port"
r=$(tsend peer udp 192.0.2.10 7501 s1q --bind 192.0.2.100 --sport 41001)
l3_is "steal: b does not take over a's UDP flow after a exits (IPv4)" "$(got s1b s1q)" 0
l3_isnt "steal: ... and does not answer as a" "${r%% *}" reply
stop "$SRV_PID"

tserve_tenant "$CG_a" s2a "udp:[2001:db8::10]:7502" || l3_fail "steal: a's IPv6 server starts"
r=$(tsend peer udp 2001:db8::10 7502 s2p --bind 2001:db8::100 --sport 41002)
l3_is "steal: the peer reaches a's IPv6 UDP server (control)" "$r" "reply echo s2p"
stop "$SRV_PID"
tserve_tenant "$CG_b" s2b "udp:[2001:db8::10]:7502" || l3_fail "steal: b binds a's IPv6 address"
r=$(tsend peer udp 2001:db8::10 7502 s2q --bind 2001:db8::100 --sport 41002)
l3_is "steal: b does not take over a's UDP flow after a exits (IPv6)" "$(got s2b s2q)" 0
l3_isnt "steal: ... and does not answer as a (IPv6)" "${r%% *}" reply
stop "$SRV_PID"

tserve_tenant "$CG_a" s3a udp:192.0.2.10:7503 || l3_fail "steal: a's server starts (SO_REUSEADDR)"
apid=$SRV_PID
tsend peer udp 192.0.2.10 7503 s3p --bind 192.0.2.100 --sport 41003 >/dev/null
tserve_tenant "$CG_b" s3b udp:192.0.2.10:7503 || l3_fail "steal: b binds beside a (SO_REUSEADDR)"
bpid=$SRV_PID
n=0
while [ $n -lt 5 ]; do
	tsend peer udp 192.0.2.10 7503 "s3q$n" --bind 192.0.2.100 --sport 41003 --timeout 1 >/dev/null
	n=$((n + 1))
done
l3_is "steal: b beside a (SO_REUSEADDR) gets none of a's flow" \
	"$(awk '$6 ~ /^s3q/ { n++ } END { print n + 0 }' "$L3_TMP/t/s3b.log")" 0
stop "$apid"
stop "$bpid"

tserve_tenant "$CG_a" s4a udp:192.0.2.10:7504 || l3_fail "steal: a's server starts (host)"
tsend peer udp 192.0.2.10 7504 s4p --bind 192.0.2.100 --sport 41004 >/dev/null
stop "$SRV_PID"
tserve host s4h udp:192.0.2.10:7504 || l3_fail "steal: the host binds a's address and port"
r=$(tsend peer udp 192.0.2.10 7504 s4q --bind 192.0.2.100 --sport 41004)
l3_is "steal: the host does not take over a's UDP flow after a exits" "$(got s4h s4q)" 0
stop "$SRV_PID"

tserve_tenant "$CG_a" s5a tcp:192.0.2.10:7505:reuseport || l3_fail "steal: a's TCP server starts"
apid=$SRV_PID
tserve_tenant "$CG_b" s5b tcp:192.0.2.10:7505:reuseport ||
	l3_fail "steal: b joins a's SO_REUSEPORT group (same uid)"
bpid=$SRV_PID
n=0 ok=0
while [ $n -lt 8 ]; do
	r=$(tsend peer tcp 192.0.2.10 7505 "s5q$n" --timeout 2)
	[ "$r" = "reply echo s5q$n" ] && ok=$((ok + 1))
	n=$((n + 1))
done
l3_is "steal: b in a's SO_REUSEPORT group gets none of a's TCP connections" \
	"$(awk '$6 ~ /^s5q/ { n++ } END { print n + 0 }' "$L3_TMP/t/s5b.log")" 0
l3_gt "steal: a still gets some of them (control)" "$ok" 0
stop "$apid"
stop "$bpid"

l3_gt "not_owner counted the refused packets" "$(l3_counter "$L3_H" l3nft not_owner)" 0

l3_summary
