#!/bin/sh
# End-to-end tests of `l3nft sync NAME`: the cgroup is created when
# missing, its id goes into the table (without l3nftd), a cgroup made anew
# (as systemd does on every start of a unit) replaces the old id, and the
# new cgroup's first connection already leaves from the namespace's alias;
# with the socket layer attached, its map gets the new id too.
#
#   L3NFT=/path/to/l3nft srcdir=/path/to/src sh tests/e2e/sync.sh

. "$(dirname "$0")/lib.sh"

l3_init
l3_topology || l3_skip_all "cannot build the test topology (veth, addresses)"
PARENT="l3t-$$"
l3_cg_add "$PARENT" || l3_skip_all "cannot create cgroup $PARENT"
L3NFT_RUNDIR="$L3_TMP/run"
export L3NFT_RUNDIR
POLICY="$L3_TMP/p.yaml"
printf '%s\n' 'version: 1' 'namespaces:' '  web:' '    id: 1' "    cgroup: $PARENT/web" \
	'    interface: eth0' '    addresses: [192.0.2.10/24]' >"$POLICY"

# the elements of member_l2, as "mark path" lines
members() {
	l3_h nft -j list set inet l3nft member_l2 | python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    for e in o.get("set", {}).get("elem", []):
        c = e["concat"]; print(c[0], c[1])'
}
ino() { stat -c %i "$L3_CG_MOUNT/$PARENT/web"; }

l3_h "$L3NFT" sync web "$POLICY" 2>"$L3_TMP/err"
l3_is "sync without a table exits 2" "$?" 2
l3_ok "and says to apply first" grep -q 'run l3nft apply first' "$L3_TMP/err"
rmdir "$L3_CG_MOUNT/$PARENT/web" 2>/dev/null
l3_h "$L3NFT" apply "$POLICY" >/dev/null 2>&1 || l3_fail "apply"
l3_is "the cgroup is missing: no member yet" "$(members)" ""

out=$(l3_h "$L3NFT" sync web "$POLICY")
l3_is "sync exits 0" "$?" 0
# made by sync: removed on exit like the cgroups lib.sh made
printf '%s\n' "$PARENT/web" >>"$L3_TMP/cgroups"
l3_record cgroups "$PARENT/web $(ino)"
l3_ok "sync creates the cgroup" test -d "$L3_CG_MOUNT/$PARENT/web"
cgpath=${L3_CG_MOUNT#/sys/fs/cgroup}
cgpath=${cgpath#/}${cgpath:+/}$PARENT/web
l3_is "and puts it into member_l2 with web's mark" "$(members)" "65536 $cgpath"
l3_ok "and says so" sh -c 'printf "%s\n" "$1" | grep -q "namespace web: cgroup .* (id $2) is in table inet l3nft"' \
	x "$out" "$(ino)"

old=$(ino)
rmdir "$L3_CG_MOUNT/$PARENT/web" && mkdir "$L3_CG_MOUNT/$PARENT/web"
l3_record cgroups "$PARENT/web $(ino)"
l3_isnt "the cgroup made anew has a new id" "$(ino)" "$old"
l3_ok "sync again" l3_h "$L3NFT" sync web "$POLICY"
l3_is "the table holds one member, the new cgroup" "$(members)" "65536 $cgpath"
l3_ok "cgroup_l2 maps it to the namespace's chain" \
	sh -c 'nsenter --net="/run/netns/$1" nft list map inet l3nft cgroup_l2 | grep -q "jump ns_web"' x "$L3_H"
l3_ok "sync twice changes nothing and succeeds" l3_h "$L3NFT" sync web "$POLICY"
l3_is "still one member" "$(members | wc -l)" 1

# the socket layer (attached by apply: socket_layer auto) got the new id
# from sync too, without l3nftd: the first bind() is already rewritten
if l3_h "$L3NFT" status "$POLICY" 2>/dev/null | grep -q '^socket layer ([a-z]*): attached'; then
	l3_ok "sync says the socket layer's map has the id" \
		sh -c 'printf "%s\n" "$1" | grep -q "namespace web: cgroup .* is in the socket layer.s map"' \
		x "$(l3_h "$L3NFT" sync web "$POLICY")"
	l3_is "a wildcard bind in the new cgroup gets web's alias (socket layer)" \
		"$(l3_run "$PARENT/web" python3 "$L3_SOCK" bind udp 0.0.0.0 7005)" "ok 192.0.2.10"
	l3_is "a bind to another address from the new cgroup is refused" \
		"$(l3_run "$PARENT/web" python3 "$L3_SOCK" bind udp 192.0.2.1 7006)" "error EPERM"
else
	l3_skip "sync and the socket layer" "the socket layer is not attached here"
fi

l3_serve peer peer tcp:0.0.0.0:7000 || l3_fail "peer server"
res=$(l3_send "$PARENT/web" tcp 192.0.2.100 7000 synced)
l3_is "a process of the new cgroup reaches the peer" "$res" "reply echo synced"
l3_is "from web's alias" "$(l3_from peer tcp synced)" 192.0.2.10

l3_h "$L3NFT" sync nosuch "$POLICY" 2>/dev/null
l3_is "an unknown namespace exits 1" "$?" 1
l3_h "$L3NFT" sync 2>/dev/null
l3_is "no name: usage, exit 1" "$?" 1

l3_summary
