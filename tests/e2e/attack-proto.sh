#!/bin/sh
# Protocols nft's socket lookup cannot attribute (issue 12, §5 and §1):
# UDP-Lite, SCTP, DCCP. Real sockets, IPv4 and IPv6, as nobody and as
# root under `l3nft exec`:
#   - a namespace whose policy does not list the protocol can neither
#     send it nor receive it on its own address;
#   - one that lists it sends from its own address and receives on it,
#     but not on another namespace's address that does not list it;
#   - the packet layer alone lets the protocol, sent to the host's own
#     addresses (or to another listing namespace's), reach a namespace's
#     wildcard socket (docs/security.md says so); with the socket layer
#     (cgroup_skb ingress) such packets no longer reach it, also for a
#     wildcard socket bound before the layer was attached.
# A protocol the kernel cannot open (module missing) is skipped with the
# reason, never failed.
#
# Conntrack on this kernel marks every incoming UDP-Lite packet INVALID
# while net.netfilter.nf_conntrack_checksum is 1 (the default; checked by
# hand in scratch namespaces), so an answer to a translated (SNAT)
# datagram is never translated back: a namespace's UDP-Lite gets answers
# only on a socket bound to its own address. The checks below send both
# ways and expect the answer only for the bound one.
#
#   L3NFT=/path/to/l3nft srcdir=/path/to/src sh tests/e2e/attack-proto.sh
#
# Policy: a 192.0.2.10 2001:db8::10 (protocols: udplite, sctp, dccp)
#         b 192.0.2.11 2001:db8::11 (none)
#         c 192.0.2.12 2001:db8::12 (protocols: udplite, sctp, dccp)
# Host H: 192.0.2.1 2001:db8::1; peer P: 192.0.2.100 2001:db8::100.
# Ports: 7300 peer echo; 7301 servers on a's and b's own addresses;
# 7302 a's wildcard servers (bound before the socket layer); 7303 the
# same bound after it.

. "$(dirname "$0")/lib.sh"

l3_init
command -v setpriv >/dev/null 2>&1 || l3_skip_all "setpriv is not installed"
l3_topology || l3_skip_all "cannot build the test topology (veth, addresses)"

# which of the protocols this kernel opens (in H, as the tenants will)
PROTOS=
for p in udplite sctp dccp; do
	why=$(l3_h python3 -c '
import socket, sys
t, n = {"udplite": (socket.SOCK_DGRAM, 136), "sctp": (socket.SOCK_STREAM, 132),
        "dccp": (6, 33)}[sys.argv[1]]
for fam in (socket.AF_INET, socket.AF_INET6):
    try:
        socket.socket(fam, t, n).close()
    except OSError as exc:
        print(exc); sys.exit(1)' "$p" 2>&1)
	if [ $? -eq 0 ]; then
		PROTOS="$PROTOS $p"
	else
		l3_skip "$p" "the kernel cannot open a $p socket here ($why): module not built or not loadable"
	fi
done
[ -n "$PROTOS" ] || l3_skip_all "none of udplite, sctp, dccp can be opened here"

PARENT="l3t-$$"
for n in a b c; do
	l3_cg_add "$PARENT/$n" || l3_skip_all "cannot create cgroup $L3_CG_MOUNT/$PARENT/$n"
done
L3NFT_RUNDIR="$L3_TMP/run"
export L3NFT_RUNDIR

# policy LAYER: the policy with socket_layer LAYER
policy()
{
	cat <<EOF
version: 1
table: l3nft
socket_layer: $1
namespaces:
  a:
    id: 1
    cgroup: $PARENT/a
    interface: eth0
    addresses: [192.0.2.10/24, 2001:db8::10/64]
    protocols: [udplite, sctp, dccp]
  b:
    id: 2
    cgroup: $PARENT/b
    interface: eth0
    addresses: [192.0.2.11/24, 2001:db8::11/64]
  c:
    id: 3
    cgroup: $PARENT/c
    interface: eth0
    addresses: [192.0.2.12/24, 2001:db8::12/64]
    protocols: [udplite, sctp, dccp]
EOF
}
POLICY="$L3_TMP/proto.yaml"
policy off >"$POLICY"
ALIASES="192.0.2.10/24 2001:db8::10/64 192.0.2.11/24 2001:db8::11/64 192.0.2.12/24 2001:db8::12/64"
# shellcheck disable=SC2086
l3_aliases $ALIASES || l3_skip_all "cannot add the aliases to eth0"
if l3_load "$POLICY"; then
	l3_pass "policy loaded, packet layer alone (${L3_E2E_LOADER:-compile + nft -f})"
else
	l3_fail "policy loaded, packet layer alone (${L3_E2E_LOADER:-compile + nft -f})"
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

# tsend WHO NS ARGS...: sock.py send in namespace NS as nobody, or as
# root under `l3nft exec NS` (WHO exec); NS peer: in P as root
tsend()
{
	_who=$1 _n=$2
	shift 2
	case $_who:$_n in
	*:peer) l3_send peer "$@" ;;
	exec:*) l3_h timeout 20 "$L3NFT" exec "$_n" -c "$POLICY" -- \
			python3 "$L3_SOCK" send "$@" 2>/dev/null | head -n 1 ;;
	*) l3_run "$PARENT/$_n" "$WRAP" "$L3_SOCK" send "$@" 2>&1 | head -n 1 ;;
	esac
}

# serve NS NAME SPEC...: a server as nobody in namespace NS (peer: in P
# as root) logging to t/NAME.log
serve()
{
	_n=$1 _s=$2
	shift 2
	: >"$L3_TMP/t/$_s.log" && chmod 666 "$L3_TMP/t/$_s.log"
	rm -f "$L3_TMP/t/$_s.ready"
	if [ "$_n" = peer ]; then
		l3_bg peer python3 "$L3_SOCK" serve "$L3_TMP/t/$_s.log" "$L3_TMP/t/$_s.ready" \
			--max-time "${L3_E2E_SERVE_SECS:-600}" "$@"
	else
		l3_bg "$PARENT/$_n" "$WRAP" "$L3_SOCK" serve "$L3_TMP/t/$_s.log" "$L3_TMP/t/$_s.ready" \
			--max-time "${L3_E2E_SERVE_SECS:-600}" "$@"
	fi
	_i=0
	while [ ! -e "$L3_TMP/t/$_s.ready" ]; do
		if ! kill -0 "$L3_LAST_PID" 2>/dev/null || [ $_i -ge 100 ]; then
			l3_note "server $_s did not start: $*"
			return 1
		fi
		sleep 0.05
		_i=$((_i + 1))
	done
}

from() { awk -v pr="$2" -v pl="$3" '$1 == pr && $6 == pl { print $4; exit }' "$L3_TMP/t/$1.log"; }
got() { awk -v pl="$2" '$6 == pl { n++ } END { print n + 0 }' "$L3_TMP/t/$1.log"; }
v6() { case $1 in *:*) return 0 ;; esac; return 1; }
br() { if v6 "$1"; then echo "[$1]"; else echo "$1"; fi; }

# ---- the packet layer alone ----
for p in $PROTOS; do
	serve peer "peer-$p" "$p:0.0.0.0:7300" "$p:[::]:7300" || l3_fail "$p: peer servers"
	serve a "a-$p" "$p:192.0.2.10:7301" "$p:[2001:db8::10]:7301" || l3_fail "$p: a's servers"
	serve b "b-$p" "$p:192.0.2.11:7301" "$p:[2001:db8::11]:7301" || l3_fail "$p: b's servers"
	serve a "wild-$p" "$p:0.0.0.0:7302" "$p:[::]:7302" || l3_fail "$p: a's wildcard servers"
	r0=$(l3_counter "$L3_H" l3nft protocol_refused)
	for who in nobody exec; do
		for dst in 192.0.2.100 2001:db8::100; do
			m="$p-b-$who-$dst"
			res=$(tsend "$who" b "$p" "$dst" 7300 "$m" --timeout 1)
			l3_isnt "$p: b ($who), not listing it, cannot send it to $dst" "$res" "reply echo $m"
			l3_is "  the peer got nothing" "$(got "peer-$p" "$m")" 0
			if v6 "$dst"; then own=2001:db8::10; else own=192.0.2.10; fi
			m="$p-a-$who-$dst"
			tsend "$who" a "$p" "$dst" 7300 "$m" --timeout 1 >/dev/null
			l3_is "$p: a ($who), listing it, sends it to $dst from its own address" \
				"$(from "peer-$p" "$p" "$m")" "$own"
			m="$p-a-bound-$who-$dst"
			res=$(tsend "$who" a "$p" "$dst" 7300 "$m" --bind "$own")
			l3_is "  and, bound to it, gets the answer" "$res" "reply echo $m"
		done
	done
	r1=$(l3_counter "$L3_H" l3nft protocol_refused)
	l3_gt "$p: protocol_refused counts b's attempts" "$((${r1:-0} - ${r0:-0}))" 3
	for dst in 192.0.2.10 2001:db8::10; do
		m="$p-to-a-$dst"
		res=$(tsend peer peer "$p" "$dst" 7301 "$m")
		l3_is "$p: a receives it on its own $dst" "$res" "reply echo $m"
	done
	for dst in 192.0.2.11 2001:db8::11; do
		m="$p-to-b-$dst"
		res=$(tsend peer peer "$p" "$dst" 7301 "$m" --timeout 1)
		l3_isnt "$p: b, not listing it, does not receive it on its own $dst" "$res" "reply echo $m"
		l3_is "  b's server got nothing" "$(got "b-$p" "$m")" 0
		m="$p-to-b-wild-$dst"
		res=$(tsend peer peer "$p" "$dst" 7302 "$m" --timeout 1)
		l3_is "$p: a's wildcard socket gets nothing for b's $dst" "$(got "wild-$p" "$m")" 0
	done
	# the documented limit of the packet layer: a listed protocol to the
	# host's (or another listing namespace's) address reaches a wildcard
	# socket; noted here, closed by the socket layer below
	for dst in 192.0.2.1 2001:db8::1 192.0.2.12; do
		m="$p-pl-$dst"
		tsend peer peer "$p" "$dst" 7302 "$m" --timeout 1 >/dev/null
		l3_note "$p: packet layer alone, to $dst: a's wildcard socket got it $(got "wild-$p" "$m") time(s)"
	done
done

# ---- with the socket layer (l3nft apply, socket_layer: required) ----
if [ "${L3_E2E_LOADER:-}" != apply ]; then
	for a in $ALIASES; do
		l3_h ip addr del "$a" dev eth0
	done
fi
policy required >"$POLICY"
out=$(l3_h timeout 120 "$L3NFT" apply "$POLICY" 2>&1)
case $out in
*"socket layer: attached"*) l3_pass "apply attaches the socket layer" ;;
*) l3_fail "apply attaches the socket layer" "$out"; l3_summary ;;
esac
for p in $PROTOS; do
	serve a "late-$p" "$p:0.0.0.0:7303" "$p:[::]:7303" || l3_fail "$p: a's late wildcard servers"
	for dst in 192.0.2.1 2001:db8::1 192.0.2.12 2001:db8::12; do
		case $dst in 192.0.2.1 | 2001:db8::1) whose="the host's" ;; *) whose="c's" ;; esac
		for port in 7302 7303; do
			case $port in 7302) srv=wild when="bound before" ;; *) srv=late when="bound after" ;; esac
			m="$p-sl-$port-$dst"
			res=$(tsend peer peer "$p" "$dst" "$port" "$m" --timeout 1)
			l3_isnt "$p: socket layer: $whose $dst does not reach a's wildcard socket ($when)" \
				"$res" "reply echo $m"
			l3_is "  a's server got nothing" "$(got "$srv-$p" "$m")" 0
		done
	done
	for dst in 192.0.2.10 2001:db8::10; do
		for port in 7301 7302 7303; do
			m="$p-sl-own-$port-$dst"
			res=$(tsend peer peer "$p" "$dst" "$port" "$m")
			l3_is "$p: socket layer: a still receives on its own $dst (port $port)" \
				"$res" "reply echo $m"
		done
	done
	for who in nobody exec; do
		for dst in 192.0.2.100 2001:db8::100; do
			m="$p-sl-b-$who-$dst"
			res=$(tsend "$who" b "$p" "$dst" 7300 "$m" --timeout 1)
			l3_isnt "$p: socket layer: b ($who) still cannot send it to $dst" "$res" "reply echo $m"
			if v6 "$dst"; then own=2001:db8::10; else own=192.0.2.10; fi
			m="$p-sl-a-$who-$dst"
			tsend "$who" a "$p" "$dst" 7300 "$m" --timeout 1 >/dev/null
			l3_is "$p: socket layer: a ($who) sends it to $dst from its own address" \
				"$(from "peer-$p" "$p" "$m")" "$own"
			m="$p-sl-a-bound-$who-$dst"
			res=$(tsend "$who" a "$p" "$dst" 7300 "$m" --bind "$own")
			l3_is "  and, bound to it, gets the answer" "$res" "reply echo $m"
		done
	done
done

l3_summary
