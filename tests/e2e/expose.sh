#!/bin/sh
# End-to-end test of `expose`: a namespace that lists its exposed ports
# takes new TCP and UDP flows from outside only on those, over IPv4 and
# IPv6; its own outgoing connections, its own loopback and a namespace
# without `expose` are not affected; the host and other namespaces count
# as outside. The table is loaded by `l3nft apply`, and compile's text of
# the same policy lists the same table (netlink == text).
#
#   L3NFT=/path/to/l3nft srcdir=/path/to/src sh tests/e2e/expose.sh
#
#   a  l3t-PID/a  expose [7501/tcp, 7502/udp]  192.0.2.10 2001:db8::10
#   b  l3t-PID/b  (no expose: every port)      192.0.2.11 2001:db8::11
# Host H: 192.0.2.1 2001:db8::1; peer P: 192.0.2.100 2001:db8::100.

. "$(dirname "$0")/lib.sh"

l3_init
l3_topology || l3_skip_all "cannot build the test topology (veth, addresses)"
PARENT="l3t-$$"
for cg in "$PARENT/a" "$PARENT/b"; do
	l3_cg_add "$cg" || l3_skip_all "cannot create cgroup $cg"
done

POLICY="$L3_TMP/expose.yaml"
cat >"$POLICY" <<EOF
version: 1
socket_layer: off
namespaces:
  a:
    cgroup: $PARENT/a
    interface: eth0
    addresses: [192.0.2.10/24, 2001:db8::10/64]
    expose: [7501/tcp, 7502/udp]
  b:
    cgroup: $PARENT/b
    interface: eth0
    addresses: [192.0.2.11/24, 2001:db8::11/64]
EOF

if l3_h timeout 120 "$L3NFT" apply "$POLICY" >/dev/null; then
	l3_pass "apply loads a policy with expose"
else
	l3_fail "apply loads a policy with expose"
	l3_summary
fi

# ---- the same table from both emitters ----
X="l3x-$$"
if l3_netns_add "$X"; then
	"$L3NFT" compile --cgroup-mount "$L3_CG_MOUNT" "$POLICY" >"$L3_TMP/expose.nft"
	if l3_nft_file "$X" "$L3_TMP/expose.nft" >/dev/null; then
		norm() { sed -E 's/ (counter( packets [0-9]+ bytes [0-9]+)?|queue num [0-9]+( bypass)?)$//; /Warning: table/d; s/ +$//'; }
		l3_is "compile text and apply list the same table (expose sets and chain)" \
			"$(l3_in "$X" nft -s list table inet l3nft 2>/dev/null | norm)" \
			"$(l3_h nft -s list table inet l3nft 2>/dev/null | norm)"
	else
		l3_fail "compile text of the expose policy loads with nft -f"
	fi
	l3_netns_del "$X"
fi

# ---- servers ----
srv_any() { echo "tcp:0.0.0.0:$1" "udp:0.0.0.0:$1" "tcp:[::]:$1" "udp:[::]:$1"; }
srv_lo() { echo "tcp:127.0.0.1:$1" "udp:127.0.0.1:$1" "tcp:[::1]:$1" "udp:[::1]:$1"; }
# shellcheck disable=SC2046
{
	l3_serve peer peer $(srv_any 7000) &&
	l3_serve "$PARENT/a" a $(srv_any 7501) $(srv_any 7502) $(srv_any 7503) $(srv_lo 7504) &&
	l3_serve "$PARENT/b" b $(srv_any 7505)
} || { l3_fail "the test servers start"; l3_summary; }

TAGN=0
next_tag() { TAGN=$((TAGN + 1)); TAG="x$TAGN"; }

# delivered DESC WHERE PROTO DST PORT SERVER SRC
delivered()
{
	d_desc=$1 d_where=$2 d_proto=$3 d_dst=$4 d_port=$5 d_srv=$6 d_src=$7
	next_tag
	d_res=$(l3_send "$d_where" "$d_proto" "$d_dst" "$d_port" "$TAG")
	d_got=$(l3_from "$d_srv" "$d_proto" "$TAG")
	if [ "$d_res" = "reply echo $TAG" ] && [ "$d_got" = "$d_src" ]; then
		l3_pass "$d_desc"
	else
		l3_fail "$d_desc" "client ($d_where -> $d_dst $d_proto/$d_port): $d_res" \
			"server $d_srv saw source '$d_got', expected '$d_src'"
	fi
}

# refused DESC WHERE PROTO DST PORT SERVER: the server never gets it, and
# the client is told (TCP reset, ICMP port unreachable) or times out
refused()
{
	r_desc=$1 r_where=$2 r_proto=$3 r_dst=$4 r_port=$5 r_srv=$6
	next_tag
	r_res=$(l3_send "$r_where" "$r_proto" "$r_dst" "$r_port" "$TAG" --timeout 1)
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

before=$(l3_counter "$L3_H" l3nft a_refused)

l3_note "from the peer: exposed ports only, and only with their protocol"
for dst in 192.0.2.10 2001:db8::10; do
	case $dst in *:*) peer=2001:db8::100 ;; *) peer=192.0.2.100 ;; esac
	delivered "peer -> a $dst:7501/tcp (exposed) is accepted" peer tcp "$dst" 7501 a "$peer"
	delivered "peer -> a $dst:7502/udp (exposed) is accepted" peer udp "$dst" 7502 a "$peer"
	refused "peer -> a $dst:7501/udp (only tcp exposed) is refused" peer udp "$dst" 7501 a
	refused "peer -> a $dst:7502/tcp (only udp exposed) is refused" peer tcp "$dst" 7502 a
	for proto in tcp udp; do
		refused "peer -> a $dst:7503/$proto (not exposed) is refused" peer "$proto" "$dst" 7503 a
	done
done
result=$(l3_send peer tcp 192.0.2.10 7503 probe --timeout 2)
l3_is "an unexposed TCP port answers with a reset, as if nobody listened" "${result%% *}" refused

l3_note "the host and other namespaces are outside too"
for dst in 192.0.2.10 2001:db8::10; do
	refused "host -> a $dst:7503/tcp (not exposed) is refused" host tcp "$dst" 7503 a
	refused "b -> a $dst:7503/udp (not exposed) is refused" "$PARENT/b" udp "$dst" 7503 a
done
case "$(l3_send host tcp 192.0.2.10 7501 hostprobe)" in
"reply echo hostprobe") l3_pass "host -> a 192.0.2.10:7501/tcp (exposed) is accepted" ;;
*) l3_fail "host -> a 192.0.2.10:7501/tcp (exposed) is accepted" ;;
esac

l3_note "what expose does not touch"
for proto in tcp udp; do
	delivered "a's own connection out ($proto): the reply comes back (conntrack, not expose)" \
		"$PARENT/a" "$proto" 192.0.2.100 7000 peer 192.0.2.10
	delivered "a's own connection out over IPv6 ($proto): the reply comes back" \
		"$PARENT/a" "$proto" 2001:db8::100 7000 peer 2001:db8::10
	delivered "a's own loopback 127.0.0.1:7504/$proto is not limited" \
		"$PARENT/a" "$proto" 127.0.0.1 7504 a 127.0.0.1
	delivered "a's own loopback [::1]:7504/$proto is not limited" \
		"$PARENT/a" "$proto" ::1 7504 a ::1
	delivered "b (no expose) takes $proto on any port from the peer" \
		peer "$proto" 192.0.2.11 7505 b 192.0.2.100
	delivered "b (no expose) takes $proto on any port over IPv6" \
		peer "$proto" 2001:db8::11 7505 b 2001:db8::100
done

after=$(l3_counter "$L3_H" l3nft a_refused)
l3_ok "refusals are counted in a_refused (${before:-?} -> ${after:-?})" \
	test "${after:-0}" -gt "${before:-0}"

l3_h "$L3NFT" delete "$POLICY" >/dev/null 2>&1
l3_summary
