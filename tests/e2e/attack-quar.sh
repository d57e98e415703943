#!/bin/sh
# Fail closed (issue 12, §3): a namespace's cgroup made anew while l3nftd
# is down has an id the table does not know. Below a `quarantine` parent
# its sockets are refused, never taken for the host's: they cannot send
# as the host (IPv4/IPv6, TCP/UDP), reach the host's loopback, or get
# traffic for the host's addresses, as root or as nobody. After
# `l3nft sync NAME` the cgroup is the namespace's again. A host process in
# a cgroup outside the parent is untouched. Then the same with the table
# loaded by `l3nft apply` (netlink), and apply's refusals.
#
#   L3NFT=/path/to/l3nft srcdir=/path/to/src sh tests/e2e/attack-quar.sh
#
# Policy (quarantine: [l3t-PID]):
#   a  l3t-PID/a  192.0.2.10 2001:db8::10    b  l3t-PID/b  192.0.2.11 2001:db8::11
# Host process outside: l3t-PID-h/x. Host H: 192.0.2.1 2001:db8::1;
# peer P: 192.0.2.100 2001:db8::100.
# Ports: 7000 peer echo; 7100 host loopback echo; 7200 the re-made
# cgroup's wildcard servers.

. "$(dirname "$0")/lib.sh"

l3_init
command -v setpriv >/dev/null 2>&1 || l3_skip_all "setpriv is not installed"
l3_topology || l3_skip_all "cannot build the test topology (veth, addresses)"

PARENT="l3t-$$"
CG_a="$PARENT/a"
CG_b="$PARENT/b"
CG_h="l3t-$$-h/x"
for cg in "$CG_a" "$CG_b" "$CG_h"; do
	l3_cg_add "$cg" || l3_skip_all "cannot create cgroup $L3_CG_MOUNT/$cg"
done
L3NFT_RUNDIR="$L3_TMP/run"
export L3NFT_RUNDIR

POLICY="$L3_TMP/quar.yaml"
cat >"$POLICY" <<EOF
version: 1
table: l3nft
# the packet layer alone: what quarantine adds is in the table
socket_layer: off
quarantine: [$PARENT]
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
EOF

l3_aliases 192.0.2.10/24 2001:db8::10/64 192.0.2.11/24 2001:db8::11/64 ||
	l3_skip_all "cannot add the aliases to eth0"
if l3_load "$POLICY"; then
	l3_pass "policy with quarantine loaded (${L3_E2E_LOADER:-compile + nft -f})"
else
	l3_fail "policy with quarantine loaded (${L3_E2E_LOADER:-compile + nft -f})"
	l3_summary
fi

mkdir "$L3_TMP/t" && chmod 1777 "$L3_TMP/t" && chmod 755 "$L3_TMP" ||
	l3_skip_all "cannot make a log directory for tenants"
TENANT="setpriv --reuid=nobody --regid=nogroup --clear-groups"
# shellcheck disable=SC2086
TPY=$($TENANT sh -c 'command -v python3')
[ -n "$TPY" ] || l3_skip_all "nobody cannot run python3"
WRAP="$L3_TMP/tenant-python3"
printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$TENANT" "$TPY" >"$WRAP" && chmod 755 "$WRAP"

# tsend WHO WHERE ARGS...: sock.py send in cgroup WHERE as WHO (root|nobody)
tsend()
{
	_who=$1 _w=$2
	shift 2
	if [ "$_who" = root ]; then
		l3_send "$_w" "$@"
	else
		l3_run "$_w" "$WRAP" "$L3_SOCK" send "$@" 2>&1 | head -n 1
	fi
}

# serve WHO WHERE NAME SPEC...: a server logging to t/NAME.log
serve()
{
	_who=$1 _w=$2 _n=$3
	shift 3
	if [ "$_who" = root ]; then
		l3_serve "$_w" "t/$_n" "$@"
		return
	fi
	: >"$L3_TMP/t/$_n.log" && chmod 666 "$L3_TMP/t/$_n.log"
	rm -f "$L3_TMP/t/$_n.ready"
	l3_bg "$_w" "$WRAP" "$L3_SOCK" serve "$L3_TMP/t/$_n.log" "$L3_TMP/t/$_n.ready" \
		--max-time "${L3_E2E_SERVE_SECS:-600}" "$@"
	_i=0
	while [ ! -e "$L3_TMP/t/$_n.ready" ]; do
		if ! kill -0 "$L3_LAST_PID" 2>/dev/null || [ $_i -ge 100 ]; then
			l3_note "server $_n did not start: $*"
			return 1
		fi
		sleep 0.05
		_i=$((_i + 1))
	done
}

from() { awk -v pr="$2" -v pl="$3" '$1 == pr && $6 == pl { print $4; exit }' "$L3_TMP/t/$1.log"; }
got() { awk -v pl="$2" '$6 == pl { n++ } END { print n + 0 }' "$L3_TMP/t/$1.log"; }

# remake CGROUP: rmdir and mkdir, as systemd does with an emptied unit's
# cgroup; no l3nftd runs here, so the table keeps the old id
remake()
{
	_old=$(stat -c %i "$L3_CG_MOUNT/$1")
	rmdir "$L3_CG_MOUNT/$1" && mkdir "$L3_CG_MOUNT/$1" || return 1
	l3_record cgroups "$1 $(stat -c %i "$L3_CG_MOUNT/$1")"
	[ "$(stat -c %i "$L3_CG_MOUNT/$1")" != "$_old" ]
}

serve root peer peer tcp:0.0.0.0:7000 udp:0.0.0.0:7000 tcp:[::]:7000 udp:[::]:7000 ||
	l3_fail "peer servers"
serve root host lo tcp:127.0.0.1:7100 udp:127.0.0.1:7100 tcp:[::1]:7100 udp:[::1]:7100 ||
	l3_fail "host loopback servers"

res=$(tsend nobody "$CG_a" udp 192.0.2.100 7000 known-a)
l3_is "before: a reaches the peer" "$res" "reply echo known-a"
l3_is "before: from a's alias" "$(from peer udp known-a)" 192.0.2.10

if remake "$CG_a"; then
	l3_pass "a's cgroup made anew (new id, not in the table)"
else
	l3_fail "a's cgroup made anew (new id, not in the table)"
fi
q0=$(l3_counter "$L3_H" l3nft quarantined)

# --- sending as the host ---
for who in nobody root; do
	for dst in 192.0.2.100 2001:db8::100; do
		for proto in tcp udp; do
			p="out-$who-$proto-$dst"
			res=$(tsend "$who" "$CG_a" "$proto" "$dst" 7000 "$p" --timeout 1)
			l3_isnt "re-made a ($who) cannot send $proto to $dst" "$res" "reply echo $p"
			l3_is "  the peer got nothing of it (not as the host $(from peer "$proto" "$p"))" \
				"$(got peer "$p")" 0
		done
	done
done

# --- the host's loopback ---
for who in nobody root; do
	for dst in 127.0.0.1 ::1; do
		for proto in tcp udp; do
			p="lo-$who-$proto-$dst"
			res=$(tsend "$who" "$CG_a" "$proto" "$dst" 7100 "$p" --timeout 1)
			l3_isnt "re-made a ($who) cannot reach the host's $proto loopback $dst" \
				"$res" "reply echo $p"
			l3_is "  the loopback server got nothing" "$(got lo "$p")" 0
		done
	done
done

# --- traffic for the host's addresses ---
serve nobody "$CG_a" wild tcp:0.0.0.0:7200 udp:0.0.0.0:7200 tcp:[::]:7200 udp:[::]:7200 ||
	l3_fail "wildcard servers in the re-made cgroup"
for dst in 192.0.2.1 2001:db8::1; do
	for proto in tcp udp; do
		p="in-$proto-$dst"
		res=$(tsend root peer "$proto" "$dst" 7200 "$p" --timeout 1)
		l3_isnt "the peer's $proto to the host's $dst does not reach re-made a" \
			"$res" "reply echo $p"
		l3_is "  the wildcard server got nothing" "$(got wild "$p")" 0
	done
done
q1=$(l3_counter "$L3_H" l3nft quarantined)
l3_gt "the quarantined counter counts them" "$((${q1:-0} - ${q0:-0}))" 15

# --- outside the quarantine parent: the host, untouched ---
for dst in 192.0.2.100 2001:db8::100; do
	for proto in tcp udp; do
		p="host-$proto-$dst"
		res=$(tsend nobody "$CG_h" "$proto" "$dst" 7000 "$p")
		l3_is "a host process outside the parent sends $proto to $dst" "$res" "reply echo $p"
		case $dst in *:*) want=2001:db8::1 ;; *) want=192.0.2.1 ;; esac
		l3_is "  as the host" "$(from peer "$proto" "$p")" "$want"
	done
done
res=$(tsend nobody "$CG_h" tcp 127.0.0.1 7100 host-lo)
l3_is "and reaches the host's loopback" "$res" "reply echo host-lo"
res=$(tsend nobody "$CG_b" udp 192.0.2.100 7000 sibling-b)
l3_is "the sibling namespace b is untouched" "$res" "reply echo sibling-b"
l3_is "  from b's alias" "$(from peer udp sibling-b)" 192.0.2.11

# --- l3nft sync: the new cgroup is a's ---
l3_ok "l3nft sync a" l3_h "$L3NFT" sync a "$POLICY"
for dst in 192.0.2.100 2001:db8::100; do
	for proto in tcp udp; do
		p="synced-$proto-$dst"
		res=$(tsend nobody "$CG_a" "$proto" "$dst" 7000 "$p")
		l3_is "after sync, a sends $proto to $dst" "$res" "reply echo $p"
		case $dst in *:*) want=2001:db8::10 ;; *) want=192.0.2.10 ;; esac
		l3_is "  from a's alias" "$(from peer "$proto" "$p")" "$want"
	done
done
res=$(tsend root peer tcp 192.0.2.10 7200 synced-in)
l3_is "after sync, a's wildcard server gets a's traffic" "$res" "reply echo synced-in"
res=$(tsend root peer udp 192.0.2.1 7200 synced-host --timeout 1)
l3_isnt "  and still not the host's" "$res" "reply echo synced-host"

# --- the netlink emitter (l3nft apply) and apply's checks ---
# apply adds the aliases itself and refuses ones it did not add
if [ "${L3_E2E_LOADER:-}" != apply ]; then
	for a in 192.0.2.10/24 2001:db8::10/64 192.0.2.11/24 2001:db8::11/64; do
		l3_h ip addr del "$a" dev eth0
	done
fi
mkdir "$L3_CG_MOUNT/$PARENT/stray" &&
	l3_record cgroups "$PARENT/stray $(stat -c %i "$L3_CG_MOUNT/$PARENT/stray")"
out=$(l3_h timeout 120 "$L3NFT" apply "$POLICY" 2>&1)
rc=$?
l3_isnt "apply refuses a quarantine parent with a child of no namespace" "$rc" 0
l3_ok "  and names it" sh -c 'printf "%s\n" "$1" | grep -q "has cgroup .$2/stray., which is no namespace'"'"'s"' \
	x "$out" "$PARENT"
rmdir "$L3_CG_MOUNT/$PARENT/stray"
l3_is "  and leaves the loaded table as it was (synced a still sends)" \
	"$(tsend nobody "$CG_a" udp 192.0.2.100 7000 refused-apply --timeout 1 >/dev/null; got peer refused-apply)" 1
l3_ok "apply loads it when every child is a namespace" l3_h timeout 120 "$L3NFT" apply "$POLICY"
out=$(l3_h timeout 120 "$L3NFT" apply "$POLICY" 2>&1)
case $out in
*"nothing changed"*) l3_pass "apply again: nothing changed (the quarantine set reads back the same)" ;;
*) l3_fail "apply again: nothing changed (the quarantine set reads back the same)" "$out" ;;
esac
# nft lists a cgroup by its path relative to /sys/fs/cgroup
cgpath=${L3_CG_MOUNT#/sys/fs/cgroup}
cgpath=${cgpath#/}${cgpath:+/}$PARENT
l3_ok "the table's quarantine set holds the parent's id" sh -c \
	'nsenter --net="/run/netns/$1" nft -j list set inet l3nft quarantine | grep -q "\"$2\""' \
	x "$L3_H" "$cgpath"
if remake "$CG_b"; then
	for dst in 192.0.2.100 2001:db8::100; do
		p="apply-$dst"
		res=$(tsend nobody "$CG_b" udp "$dst" 7000 "$p" --timeout 1)
		l3_isnt "(apply) re-made b cannot send to $dst" "$res" "reply echo $p"
		l3_is "  the peer got nothing" "$(got peer "$p")" 0
	done
	res=$(tsend nobody "$CG_b" tcp 127.0.0.1 7100 apply-lo --timeout 1)
	l3_isnt "(apply) re-made b cannot reach the host's loopback" "$res" "reply echo apply-lo"
	l3_ok "(apply) l3nft sync b" l3_h "$L3NFT" sync b "$POLICY"
	res=$(tsend nobody "$CG_b" udp 192.0.2.100 7000 apply-synced)
	l3_is "(apply) after sync, b sends" "$res" "reply echo apply-synced"
	l3_is "  from b's alias" "$(from peer udp apply-synced)" 192.0.2.11
else
	l3_fail "b's cgroup made anew"
fi

l3_summary
