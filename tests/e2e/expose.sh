#!/bin/sh
# End-to-end test of `expose`: a namespace that lists its exposed ports
# takes new TCP and UDP flows from outside only on those, over IPv4 and
# IPv6; its own outgoing connections, its own loopback and a namespace
# without `expose` are not affected; the host and other namespaces count
# as outside. A port exposed with `from` takes them only from those
# source ranges: a peer inside reaches it, one outside is refused and
# counted; another namespace's `from` opens nothing here; a tenant cannot
# widen it (binding an address in range, sending from 127.0.0.1 or ::1);
# a namespace's own connections to itself are not limited. The table is loaded by `l3nft apply`, and compile's text of
# the same policy lists the same table (netlink == text); an expose change
# applies as element changes only and equals a fresh load.
#
#   L3NFT=/path/to/l3nft srcdir=/path/to/src sh tests/e2e/expose.sh
#
#   a  l3t-PID/a  expose [7501/tcp, 7502/udp,   192.0.2.10 2001:db8::10
#                 7511/tcp from .100/31 ::100/127,
#                 7512/udp from .100/31 ::100/127 and b's .11 ::11]
#   b  l3t-PID/b  (no expose: every port)      192.0.2.11 2001:db8::11
#   c  l3t-PID/c  expose [7511/tcp, 7512/udp   192.0.2.12 2001:db8::12
#                 from .104 ::104 only]
# Host H: 192.0.2.1 2001:db8::1; peer P: 192.0.2.100 2001:db8::100 (in
# a's ranges) and 192.0.2.104 2001:db8::104 (outside them, in c's).

. "$(dirname "$0")/lib.sh"

l3_init
l3_topology || l3_skip_all "cannot build the test topology (veth, addresses)"
PARENT="l3t-$$"
# deprecated: the peer's own traffic keeps leaving from ::100
l3_p ip addr add 192.0.2.104/24 dev eth0 &&
	l3_p ip addr add 2001:db8::104/64 dev eth0 nodad preferred_lft 0 ||
	l3_skip_all "cannot add the peer's second addresses"
for cg in "$PARENT/a" "$PARENT/b" "$PARENT/c"; do
	l3_cg_add "$cg" || l3_skip_all "cannot create cgroup $cg"
done

POLICY="$L3_TMP/expose.yaml"
# policy EXTRA: the policy, with EXTRA after the sources of a's 7511/tcp
policy()
{
	cat <<EOF
version: 1
socket_layer: off
log_refused: true
namespaces:
  a:
    cgroup: $PARENT/a
    interface: eth0
    addresses: [192.0.2.10/24, 2001:db8::10/64]
    expose:
      - 7501/tcp
      - 7502/udp
      - {port: 7511/tcp, from: [192.0.2.100/31, 2001:db8::100/127$1]}
      - port: 7512/udp
        from: [192.0.2.100/31, 2001:db8::100/127, 192.0.2.11/32, 2001:db8::11/128]
  b:
    cgroup: $PARENT/b
    interface: eth0
    addresses: [192.0.2.11/24, 2001:db8::11/64]
  c:
    cgroup: $PARENT/c
    interface: eth0
    addresses: [192.0.2.12/24, 2001:db8::12/64]
    expose:
      - {port: 7511/tcp, from: [192.0.2.104/32, 2001:db8::104/128]}
      - {port: 7512/udp, from: [192.0.2.104/32, 2001:db8::104/128]}
EOF
}
policy "" >"$POLICY"

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
		l3_is "compile text and apply list the same table (expose sets with from, and chain)" \
			"$(l3_in "$X" nft -s list table inet l3nft 2>/dev/null | norm)" \
			"$(l3_h nft -s list table inet l3nft 2>/dev/null | norm)"
	else
		l3_fail "compile text of the expose policy loads with nft -f"
	fi
	l3_netns_del "$X"
fi

# ---- servers ----
srv_any() { echo "tcp:0.0.0.0:$1" "udp:0.0.0.0:$1" "tcp:[::]:$1" "udp:[::]:$1"; }
# srv_at V4 V6 PORT: on one namespace's own addresses (a and c share ports)
srv_at() { echo "tcp:$1:$3" "udp:$1:$3" "tcp:[$2]:$3" "udp:[$2]:$3"; }
srv_lo() { echo "tcp:127.0.0.1:$1" "udp:127.0.0.1:$1" "tcp:[::1]:$1" "udp:[::1]:$1"; }
# shellcheck disable=SC2046
{
	l3_serve peer peer $(srv_any 7000) &&
	l3_serve "$PARENT/a" a $(srv_any 7501) $(srv_any 7502) $(srv_any 7503) $(srv_lo 7504) \
		$(srv_at 192.0.2.10 2001:db8::10 7511) $(srv_at 192.0.2.10 2001:db8::10 7512) &&
	l3_serve "$PARENT/b" b $(srv_any 7505) &&
	l3_serve "$PARENT/c" c $(srv_at 192.0.2.12 2001:db8::12 7511) \
		$(srv_at 192.0.2.12 2001:db8::12 7512)
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

# ---- from: source ranges ----
# refused_from DESC WHERE PROTO DST PORT SERVER BIND: as refused, sent
# from address BIND
refused_from()
{
	rf_desc=$1 rf_where=$2 rf_proto=$3 rf_dst=$4 rf_port=$5 rf_srv=$6 rf_bind=$7
	next_tag
	rf_res=$(l3_send "$rf_where" "$rf_proto" "$rf_dst" "$rf_port" "$TAG" --bind "$rf_bind" --timeout 1)
	rf_got=$(l3_got "$rf_srv" "$TAG")
	case $rf_res in
	refused* | timeout* | error*) rf_ok=1 ;;	# error: not even sent
	*) rf_ok= ;;
	esac
	if [ -n "$rf_ok" ] && [ "$rf_got" = 0 ]; then
		l3_pass "$rf_desc"
	else
		l3_fail "$rf_desc" "client ($rf_where $rf_bind -> $rf_dst $rf_proto/$rf_port): $rf_res" \
			"server $rf_srv got it $rf_got time(s)"
	fi
}
# delivered_from DESC WHERE PROTO DST PORT SERVER BIND: as delivered, from BIND
delivered_from()
{
	df_desc=$1 df_where=$2 df_proto=$3 df_dst=$4 df_port=$5 df_srv=$6 df_bind=$7
	next_tag
	df_res=$(l3_send "$df_where" "$df_proto" "$df_dst" "$df_port" "$TAG" --bind "$df_bind")
	df_got=$(l3_from "$df_srv" "$df_proto" "$TAG")
	if [ "$df_res" = "reply echo $TAG" ] && [ "$df_got" = "$df_bind" ]; then
		l3_pass "$df_desc"
	else
		l3_fail "$df_desc" "client ($df_where $df_bind -> $df_dst $df_proto/$df_port): $df_res" \
			"server $df_srv saw source '$df_got'"
	fi
}
# has TEXT LINE: TEXT has the line LINE; has_re TEXT RE: a line matches RE
has() { printf '%s\n' "$1" | grep -qxF -- "$2"; }
has_re() { printf '%s\n' "$1" | grep -q -- "$2"; }

l3_note "from: a peer inside the range reaches the port, one outside does not"
before=$(l3_counter "$L3_H" l3nft a_refused)
for v in 4 6; do
	if [ $v = 4 ]; then
		a=192.0.2.10 b=192.0.2.11 c=192.0.2.12 in=192.0.2.100 out=192.0.2.104 me=192.0.2.1 lo=127.0.0.1
	else
		a=2001:db8::10 b=2001:db8::11 c=2001:db8::12 in=2001:db8::100 out=2001:db8::104 me=2001:db8::1 lo=::1
	fi
	delivered_from "IPv$v peer $in (in range) -> a:7511/tcp is accepted" peer tcp "$a" 7511 a "$in"
	delivered_from "IPv$v peer $in (in range) -> a:7512/udp is accepted" peer udp "$a" 7512 a "$in"
	refused_from "IPv$v peer $out (outside) -> a:7511/tcp is refused" peer tcp "$a" 7511 a "$out"
	refused_from "IPv$v peer $out (outside) -> a:7512/udp is refused" peer udp "$a" 7512 a "$out"
	refused_from "IPv$v host $me (outside) -> a:7511/tcp is refused" host tcp "$a" 7511 a "$me"
	l3_note "IPv$v: c's from (peer $out) opens c's ports, not a's"
	delivered_from "IPv$v peer $out -> c:7511/tcp (c's range) is accepted" peer tcp "$c" 7511 c "$out"
	delivered_from "IPv$v peer $out -> c:7512/udp (c's range) is accepted" peer udp "$c" 7512 c "$out"
	refused_from "IPv$v peer $in (a's range, not c's) -> c:7511/tcp is refused" peer tcp "$c" 7511 c "$in"
	l3_note "IPv$v: a local namespace is matched by its own address (after SNAT)"
	delivered_from "IPv$v b ($b, listed) -> a:7512/udp is accepted" "$PARENT/b" udp "$a" 7512 a "$b"
	refused_from "IPv$v b ($b, not listed for 7511) -> a:7511/tcp is refused" "$PARENT/b" tcp "$a" 7511 a "$b"
	refused_from "IPv$v c binding b's address $b (listed) -> a:7512/udp is refused (it leaves as c's)" \
		"$PARENT/c" udp "$a" 7512 a "$b"
	l3_note "IPv$v: loopback is not a way in"
	refused_from "IPv$v c -> a $a:7511/tcp from $lo does not pass as loopback" \
		"$PARENT/c" tcp "$a" 7511 a "$lo"
	refused_from "IPv$v c -> a $a:7512/udp from $lo does not pass as loopback" \
		"$PARENT/c" udp "$a" 7512 a "$lo"
	delivered_from "IPv$v a -> its own alias $a:7511/tcp: its own connection, not limited" \
		"$PARENT/a" tcp "$a" 7511 a "$a"
done
after=$(l3_counter "$L3_H" l3nft a_refused)
l3_ok "sources outside the range are counted in a_refused (${before:-?} -> ${after:-?})" \
	test "${after:-0}" -gt "${before:-0}"
l3_ok "and logged per log_refused (the expose chain logs them with a's prefix)" \
	has_re "$(l3_h nft list chain inet l3nft expose 2>&1)" 'log prefix "l3nft refused a: "'

# ---- an expose change: elements only, the same table as a fresh load ----
policy ", 192.0.2.104/32" >"$L3_TMP/wider.yaml"
out=$(l3_h "$L3NFT" diff "$L3_TMP/wider.yaml" 2>&1)
l3_ok "diff says it in policy terms: '~ a expose +7511/tcp from 192.0.2.104/32'" \
	has "$out" "~ a expose +7511/tcp from 192.0.2.104/32"
out=$(l3_h "$L3NFT" diff -v "$L3_TMP/wider.yaml" 2>&1)
l3_ok "diff -v shows the element in nft syntax" \
	has_re "$out" '^+ element expose_from4 { 0x00010000 \. 6 \. 7511 \. 192\.0\.2\.104/32 }'
out=$(l3_h "$L3NFT" diff --json "$L3_TMP/wider.yaml" 2>&1)
l3_is "diff --json has the layout l3nft(8) documents" \
	"$(printf '%s\n' "$out" | python3 "$srcdir/tests/json_check.py" diff 2>&1)" ok
l3_is "  and says it as data (expose_added of a)" \
	"$(printf '%s\n' "$out" | python3 -c 'import json, sys
d = json.load(sys.stdin)
print([n["expose_added"] for n in d["namespaces"] if n["namespace"] == "a"])')" \
	"[['7511/tcp from 192.0.2.104/32']]"
acc=$(l3_counter "$L3_H" l3nft a_accepted)
out=$(l3_h "$L3NFT" apply "$L3_TMP/wider.yaml" 2>&1)
l3_ok "apply of the wider range: changes only, not the whole table" has_re "$out" '(changes only;'
l3_is "  a's counter keeps its value" "$(l3_counter "$L3_H" l3nft a_accepted)" "$acc"
delivered_from "  the new source 192.0.2.104 now reaches a:7511/tcp" peer tcp 192.0.2.10 7511 a 192.0.2.104
out=$(l3_h "$L3NFT" diff "$POLICY" 2>&1)
l3_ok "diff back says '~ a expose -7511/tcp from 192.0.2.104/32'" \
	has "$out" "~ a expose -7511/tcp from 192.0.2.104/32"
out=$(l3_h "$L3NFT" apply "$POLICY" 2>&1)
l3_ok "apply back: changes only" has_re "$out" '(changes only;'
refused_from "  192.0.2.104 is refused again" peer tcp 192.0.2.10 7511 a 192.0.2.104
l3_is "diff after it exits 0" "$(l3_h "$L3NFT" diff "$POLICY" >/dev/null 2>&1; echo $?)" 0
norm_listing() { l3_h nft -s list table inet l3nft 2>/dev/null | sort; }
inc_table=$(norm_listing)
l3_h nft delete table inet l3nft
l3_h "$L3NFT" apply "$POLICY" >/dev/null 2>&1
l3_is "the incrementally changed table equals a fresh load" "$inc_table" "$(norm_listing)"

l3_h "$L3NFT" delete "$POLICY" >/dev/null 2>&1
l3_summary
