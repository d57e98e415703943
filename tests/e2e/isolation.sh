#!/bin/sh
# End-to-end isolation test: three L3 namespaces on one network stack (a
# scratch netns "H"), a peer host behind a veth (netns "P"), real TCP, UDP
# and ICMP sockets over IPv4 and IPv6. Each check says who received what,
# from which source address.
#
#   L3NFT=/path/to/l3nft srcdir=/path/to/src sh tests/e2e/isolation.sh
#
# Namespaces of the policy this script writes (cgroups below a per-run
# parent l3t-PID of the cgroup2 mount):
#   a  l3t-PID/a       (level 2) loopback isolated  192.0.2.10 2001:db8::10
#                                                   192.0.2.20 2001:db8::20
#   b  l3t-PID/b       (level 2) loopback shared    192.0.2.11 2001:db8::11
#   c  l3t-PID/deep/c  (level 3) ping: false        192.0.2.12 (no IPv6)
# Host H: 192.0.2.1 2001:db8::1; peer P: 192.0.2.100 2001:db8::100.

. "$(dirname "$0")/lib.sh"

l3_init
command -v ping >/dev/null 2>&1 || l3_skip_all "ping is not installed"
l3_topology || l3_skip_all "cannot build the test topology (veth, addresses)"

PARENT="l3t-$$"
CG_a="$PARENT/a"
CG_b="$PARENT/b"
CG_c="$PARENT/deep/c"
for cg in "$CG_a" "$CG_b" "$CG_c"; do
	l3_cg_add "$cg" || l3_skip_all "cannot create cgroup $L3_CG_MOUNT/$cg"
done

POLICY="$L3_TMP/isolation.yaml"
cat >"$POLICY" <<EOF
version: 1
table: l3nft
# the packet layer alone, as it holds when the kernel has no cgroup BPF
# (socket.sh tests the socket layer on top of it)
socket_layer: off
namespaces:
  a:
    id: 1
    cgroup: $CG_a
    interface: eth0
    addresses: [192.0.2.10/24, 2001:db8::10/64, 192.0.2.20/24, 2001:db8::20/64]
    loopback: isolated
  b:
    id: 2
    cgroup: $CG_b
    interface: eth0
    addresses: [192.0.2.11/24, 2001:db8::11/64]
    loopback: shared
  c:
    id: 3
    cgroup: $CG_c
    interface: eth0
    addresses: [192.0.2.12/24]
    ping: false
EOF

l3_aliases 192.0.2.10/24 2001:db8::10/64 192.0.2.20/24 2001:db8::20/64 \
	192.0.2.11/24 2001:db8::11/64 192.0.2.12/24 ||
	l3_skip_all "cannot add the aliases to eth0"
if l3_load "$POLICY"; then
	l3_pass "policy loaded into the host netns (${L3_E2E_LOADER:-compile + nft -f})"
else
	l3_fail "policy loaded into the host netns (${L3_E2E_LOADER:-compile + nft -f})"
	l3_summary
fi

# ---- servers ----
# port 7000: the peer; 7100: the host (INADDR_ANY/::); 71NN: namespace N's
# INADDR_ANY/:: listener; 72NN: loopback listeners; 7301: a socket of a
# bound to b's addresses; 7400: b's INADDR_ANY/:: listener and a's listener
# on its first alias share the port (SO_REUSEPORT).
srv_any() { echo "tcp:0.0.0.0:$1" "udp:0.0.0.0:$1" "tcp:[::]:$1" "udp:[::]:$1"; }
srv_lo() { echo "tcp:127.0.0.1:$1" "udp:127.0.0.1:$1" "tcp:[::1]:$1" "udp:[::1]:$1"; }
# shellcheck disable=SC2046
{
	l3_serve peer peer $(srv_any 7000) &&
	l3_serve host host $(srv_any 7100) $(srv_lo 7200) &&
	l3_serve "$CG_a" a $(srv_any 7101) $(srv_lo 7201) &&
	l3_serve "$CG_b" b $(srv_any 7102) $(srv_lo 7202) &&
	l3_serve "$CG_c" c $(srv_any 7103) $(srv_lo 7203) &&
	l3_serve "$CG_a" a_on_b tcp:192.0.2.11:7301 udp:192.0.2.11:7301 \
		"tcp:[2001:db8::11]:7301" "udp:[2001:db8::11]:7301" &&
	l3_serve "$CG_b" b_any_7400 tcp:0.0.0.0:7400:reuseport udp:0.0.0.0:7400:reuseport \
		"tcp:[::]:7400:reuseport" "udp:[::]:7400:reuseport" &&
	l3_serve "$CG_a" a_own_7400 tcp:192.0.2.10:7400:reuseport udp:192.0.2.10:7400:reuseport \
		"tcp:[2001:db8::10]:7400:reuseport" "udp:[2001:db8::10]:7400:reuseport"
} || { l3_fail "the test servers start"; l3_summary; }

# ---- checks ----
TAGN=0
next_tag() { TAGN=$((TAGN + 1)); TAG="m$TAGN"; }

# delivered DESC WHERE PROTO DST PORT SERVER SRC [sock.py options]:
# WHERE's message reaches SERVER, which sees source address SRC, and the
# echo comes back
delivered()
{
	d_desc=$1 d_where=$2 d_proto=$3 d_dst=$4 d_port=$5 d_srv=$6 d_src=$7
	shift 7
	next_tag
	d_res=$(l3_send "$d_where" "$d_proto" "$d_dst" "$d_port" "$TAG" "$@")
	d_got=$(l3_from "$d_srv" "$d_proto" "$TAG")
	if [ "$d_res" = "reply echo $TAG" ] && [ "$d_got" = "$d_src" ]; then
		l3_pass "$d_desc"
	else
		l3_fail "$d_desc" "client ($d_where -> $d_dst $d_proto/$d_port): $d_res" \
			"server $d_srv saw source '$d_got', expected '$d_src'"
	fi
}

# refused DESC WHERE PROTO DST PORT SERVER [sock.py options]: SERVER
# never gets WHERE's message and no echo comes back
refused()
{
	r_desc=$1 r_where=$2 r_proto=$3 r_dst=$4 r_port=$5 r_srv=$6
	shift 6
	next_tag
	r_res=$(l3_send "$r_where" "$r_proto" "$r_dst" "$r_port" "$TAG" --timeout 1 "$@")
	r_got=$(l3_got "$r_srv" "$TAG")
	case $r_res in
	refused* | timeout*) r_ok=1 ;;
	*) r_ok= ;;
	esac
	if [ -n "$r_ok" ] && [ "$r_got" = 0 ]; then
		l3_pass "$r_desc"
	else
		l3_fail "$r_desc" "client ($r_where -> $r_dst $r_proto/$r_port): $r_res" \
			"server $r_srv got it $r_got time(s)"
	fi
}

# per namespace: cgroup, first IPv4 and IPv6 alias, all aliases, the port
# of its INADDR_ANY/:: listener
where_of() { case $1 in a) echo "$CG_a" ;; b) echo "$CG_b" ;; c) echo "$CG_c" ;; esac; }
first4() { case $1 in a) echo 192.0.2.10 ;; b) echo 192.0.2.11 ;; c) echo 192.0.2.12 ;; esac; }
first6() { case $1 in a) echo 2001:db8::10 ;; b) echo 2001:db8::11 ;; c) ;; esac; }
aliases_of()
{
	case $1 in
	a) echo 192.0.2.10 2001:db8::10 192.0.2.20 2001:db8::20 ;;
	b) echo 192.0.2.11 2001:db8::11 ;;
	c) echo 192.0.2.12 ;;
	esac
}
port_of() { case $1 in a) echo 7101 ;; b) echo 7102 ;; c) echo 7103 ;; esac; }

l3_note "egress: a namespace's traffic leaves with its first alias"
for ns in a b c; do
	w=$(where_of "$ns")
	v4=$(first4 "$ns")
	v6=$(first6 "$ns")
	for proto in tcp udp; do
		delivered "egress $proto $ns -> peer 192.0.2.100: peer sees $v4" \
			"$w" "$proto" 192.0.2.100 7000 peer "$v4"
		if [ -n "$v6" ]; then
			delivered "egress $proto $ns -> peer 2001:db8::100: peer sees $v6" \
				"$w" "$proto" 2001:db8::100 7000 peer "$v6"
		else
			refused "egress $proto $ns (no IPv6 address) -> peer 2001:db8::100: dropped" \
				"$w" "$proto" 2001:db8::100 7000 peer
		fi
	done
done
for proto in tcp udp; do
	delivered "egress $proto host -> peer: not translated, peer sees 192.0.2.1" \
		host "$proto" 192.0.2.100 7000 peer 192.0.2.1
	delivered "egress $proto host -> peer over IPv6: not translated, peer sees 2001:db8::1" \
		host "$proto" 2001:db8::100 7000 peer 2001:db8::1
done

l3_note "ingress: an alias reaches only its namespace's sockets"
for ns in a b c; do
	for addr in $(aliases_of "$ns"); do
		case $addr in *:*) peer=2001:db8::100 ;; *) peer=192.0.2.100 ;; esac
		for proto in tcp udp; do
			port=$(port_of "$ns")
			delivered "ingress $proto peer -> $addr: $ns's INADDR_ANY listener gets it from $peer" \
				peer "$proto" "$addr" "$port" "$ns" "$peer"
			for other in a b c; do
				[ "$other" = "$ns" ] && continue
				oport=$(port_of "$other")
				refused "ingress $proto peer -> $addr: $other's INADDR_ANY listener does not get it" \
					peer "$proto" "$addr" "$oport" "$other"
			done
			refused "ingress $proto peer -> $addr: the host's INADDR_ANY listener does not get it" \
				peer "$proto" "$addr" 7100 host
		done
	done
done
for dst in 192.0.2.1 2001:db8::1; do
	for proto in tcp udp; do
		case $dst in *:*) peer=2001:db8::100 ;; *) peer=192.0.2.100 ;; esac
		delivered "ingress $proto peer -> host $dst: the host's listener gets it" \
			peer "$proto" "$dst" 7100 host "$peer"
		for ns in a b c; do
			port=$(port_of "$ns")
			refused "ingress $proto peer -> host $dst: $ns's INADDR_ANY listener does not get it" \
				peer "$proto" "$dst" "$port" "$ns"
		done
	done
done

l3_note "ingress: b listens on INADDR_ANY/:: and a on its alias, same port"
for proto in tcp udp; do
	delivered "ingress $proto peer -> a's 192.0.2.10/7400: a's listener gets it" \
		peer "$proto" 192.0.2.10 7400 a_own_7400 192.0.2.100
	delivered "ingress $proto peer -> a's 2001:db8::10/7400: a's listener gets it" \
		peer "$proto" 2001:db8::10 7400 a_own_7400 2001:db8::100
	delivered "ingress $proto peer -> b's 192.0.2.11/7400: b's INADDR_ANY listener gets it" \
		peer "$proto" 192.0.2.11 7400 b_any_7400 192.0.2.100
	refused "ingress $proto peer -> a's 192.0.2.20/7400 (no socket of a there): b does not get it" \
		peer "$proto" 192.0.2.20 7400 b_any_7400
	refused "ingress $proto peer -> a's 2001:db8::20/7400 (no socket of a there): b does not get it" \
		peer "$proto" 2001:db8::20 7400 b_any_7400
	refused "ingress $proto peer -> host 192.0.2.1/7400: b does not get it" \
		peer "$proto" 192.0.2.1 7400 b_any_7400
done

l3_note "namespace to namespace, through the aliases"
for proto in tcp udp; do
	delivered "$proto a -> b's alias 192.0.2.11: b gets it from a's alias" \
		"$CG_a" "$proto" 192.0.2.11 7102 b 192.0.2.10
	delivered "$proto a -> b's alias 2001:db8::11: b gets it from a's alias" \
		"$CG_a" "$proto" 2001:db8::11 7102 b 2001:db8::10
	delivered "$proto b -> c's alias 192.0.2.12 (c one cgroup level deeper): from b's alias" \
		"$CG_b" "$proto" 192.0.2.12 7103 c 192.0.2.11
	delivered "$proto c -> a's second alias 192.0.2.20: a gets it from c's alias" \
		"$CG_c" "$proto" 192.0.2.20 7101 a 192.0.2.12
	refused "$proto b -> a's alias 192.0.2.10 on c's listener port: c does not get it" \
		"$CG_b" "$proto" 192.0.2.10 7103 c
	delivered "$proto a, socket bound to b's 192.0.2.11 -> peer: leaves as a's 192.0.2.10" \
		"$CG_a" "$proto" 192.0.2.100 7000 peer 192.0.2.10 --bind 192.0.2.11
	delivered "$proto a, socket bound to b's 2001:db8::11 -> peer: leaves as a's 2001:db8::10" \
		"$CG_a" "$proto" 2001:db8::100 7000 peer 2001:db8::10 --bind 2001:db8::11
	refused "$proto peer -> b's 192.0.2.11: a's socket bound to it does not get it" \
		peer "$proto" 192.0.2.11 7301 a_on_b
	refused "$proto peer -> b's 2001:db8::11: a's socket bound to it does not get it" \
		peer "$proto" 2001:db8::11 7301 a_on_b
	refused "$proto b -> its own 192.0.2.11: a's socket bound to it does not get it" \
		"$CG_b" "$proto" 192.0.2.11 7301 a_on_b
done

l3_note "loopback: a isolated, b shared, c isolated"
for lo in 127.0.0.1 ::1; do
	for proto in tcp udp; do
		delivered "loopback $proto a -> a's $lo listener: delivered" \
			"$CG_a" "$proto" "$lo" 7201 a "$lo"
		refused "loopback $proto b (shared) -> a's $lo listener: refused" \
			"$CG_b" "$proto" "$lo" 7201 a
		refused "loopback $proto host -> a's (isolated) $lo listener: refused" \
			host "$proto" "$lo" 7201 a
		refused "loopback $proto a (isolated) -> the host's $lo listener: refused" \
			"$CG_a" "$proto" "$lo" 7200 host
		delivered "loopback $proto host -> b's (shared) $lo listener: delivered" \
			host "$proto" "$lo" 7202 b "$lo"
		delivered "loopback $proto b (shared) -> the host's $lo listener: delivered" \
			"$CG_b" "$proto" "$lo" 7200 host "$lo"
		refused "loopback $proto a -> b's (shared) $lo listener: refused" \
			"$CG_a" "$proto" "$lo" 7202 b
		refused "loopback $proto c -> b's (shared) $lo listener: refused" \
			"$CG_c" "$proto" "$lo" 7202 b
		delivered "loopback $proto host -> the host's $lo listener: delivered" \
			host "$proto" "$lo" 7200 host "$lo"
	done
done

l3_note "ICMP echo"
ping_check()
{
	if l3_p timeout 5 ping -c1 -W1 -q "$2" >/dev/null 2>&1; then p_res=answered; else p_res=unanswered; fi
	l3_is "ping peer -> $2: $3" "$p_res" "$3"
}
ping_check a 192.0.2.10 answered
ping_check a 2001:db8::10 answered
ping_check b 192.0.2.11 answered
ping_check b 2001:db8::11 answered
ping_check c 192.0.2.12 unanswered
ping_check host 192.0.2.1 answered

l3_note "counters (checked before the re-load: nft -f replaces the table, which starts them afresh)"
l3_gt "counter a_accepted counted packets" "$(l3_counter "$L3_H" l3nft a_accepted)" 0
l3_gt "counter a_refused counted packets" "$(l3_counter "$L3_H" l3nft a_refused)" 0
l3_gt "counter a_egress counted packets" "$(l3_counter "$L3_H" l3nft a_egress)" 0
l3_gt "counter c_accepted counted packets (deeper cgroup)" "$(l3_counter "$L3_H" l3nft c_accepted)" 0

l3_note "connections survive a re-load of the policy"
GO="$L3_TMP/go"
l3_bg "$CG_a" timeout 30 python3 "$L3_SOCK" hold 192.0.2.100 7000 hold-out "$GO" >"$L3_TMP/hold-out"
pid_out=$L3_LAST_PID
l3_bg peer timeout 30 python3 "$L3_SOCK" hold 192.0.2.10 7101 hold-in "$GO" >"$L3_TMP/hold-in"
pid_in=$L3_LAST_PID
n=0
while [ $n -lt 100 ]; do
	[ -s "$L3_TMP/hold-out" ] && [ -s "$L3_TMP/hold-in" ] && break
	sleep 0.05
	n=$((n + 1))
done
if l3_load "$POLICY"; then
	l3_pass "policy re-loaded with both connections open"
else
	l3_fail "policy re-loaded with both connections open"
fi
touch "$GO"
wait "$pid_out" "$pid_in" 2>/dev/null
l3_is "connection a -> peer: data before and after the re-load" \
	"$(tr '\n' '|' <"$L3_TMP/hold-out")" "reply echo hold-out-1|reply echo hold-out-2|"
l3_is "connection a -> peer: still from a's 192.0.2.10 after the re-load" \
	"$(l3_from peer tcp hold-out-2)" 192.0.2.10
l3_is "connection peer -> a's 192.0.2.10: data before and after the re-load" \
	"$(tr '\n' '|' <"$L3_TMP/hold-in")" "reply echo hold-in-1|reply echo hold-in-2|"
l3_is "connection peer -> a's 192.0.2.10: a got both messages" \
	"$(l3_got a hold-in-1)$(l3_got a hold-in-2)" 11

l3_note "counters after the re-load"
delivered "after the re-load: tcp peer -> a's 192.0.2.10 reaches a" \
	peer tcp 192.0.2.10 7101 a 192.0.2.100
refused "after the re-load: tcp peer -> a's 192.0.2.10 on b's port is refused" \
	peer tcp 192.0.2.10 7102 b
l3_gt "nft list counter inet l3nft a_accepted: packets > 0" "$(l3_counter "$L3_H" l3nft a_accepted)" 0
l3_gt "nft list counter inet l3nft a_refused: packets > 0" "$(l3_counter "$L3_H" l3nft a_refused)" 0

l3_summary
