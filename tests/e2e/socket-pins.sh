#!/bin/sh
# Pins of another build (issue 11): libbpf reuses a pinned map only when
# it fits the object's definition, so a build whose map changed (l3_ctr
# grew `steered`) used to fail on an older build's pins, and `auto` then
# reported the socket layer unavailable until `l3nft delete`. apply now
# replaces such pins -- only its own: BPF maps with its maps' names in its
# pin directory -- without a moment in which a namespace's wildcard bind
# is not rewritten. Incompatible pins are made by hand in the test's own
# bpffs (l3_init: a private mount namespace):
#
#   1. no links, an l3_ctr of the old size pinned: apply attaches,
#      replacing it
#   2. attached, l3_ctr's pin swapped for one of the old size: apply
#      re-attaches, replacing it, while a process of a binds 0.0.0.0 in a
#      loop: every bind is rewritten to a's address
#   3. a pin under one of our names that is not our map: left alone,
#      apply says the layer is not available (auto) or fails (required)

. "$(dirname "$0")/lib.sh"

l3_init
command -v bpftool >/dev/null 2>&1 || l3_skip_all "bpftool is not installed"
l3_topology || l3_skip_all "cannot build the test topology (veth, addresses)"

PARENT="l3t-$$"
l3_cg_add "$PARENT/a" || l3_skip_all "cannot create cgroup $PARENT/a"
PIN="/sys/fs/bpf/l3nft/$(stat -L -c %i "/run/netns/$L3_H")"

# policy MODE FILE
policy()
{
	cat >"$2" <<EOF
version: 1
table: l3nft
socket_layer: $1
namespaces:
  a:
    id: 1
    cgroup: $PARENT/a
    interface: eth0
    addresses: [192.0.2.10/24]
EOF
}
policy auto "$L3_TMP/auto.yaml"
policy required "$L3_TMP/required.yaml"

# old_ctr: pins an l3_ctr of the size before `steered` (5 counters)
old_ctr()
{
	rm -f "$PIN/l3_ctr"
	bpftool map create "$PIN/l3_ctr" type percpu_hash key 4 value 40 entries 65536 \
		name l3_ctr flags 1
}
value_size() { bpftool map show pinned "$PIN/$1" | sed -n 's/.* value \([0-9]*\)B.*/\1/p'; }
wild() { l3_run "$PARENT/a" python3 "$L3_SOCK" bind tcp 0.0.0.0 0 2>&1; }

# ---- 1. no links, an old l3_ctr ----
mkdir -p "$PIN"
old_ctr || l3_skip_all "cannot pin a map by hand"
l3_is "the hand-made l3_ctr has the old size" "$(value_size l3_ctr)" "40"
out=$(l3_h "$L3NFT" apply "$L3_TMP/auto.yaml" 2>&1)
l3_ok "apply replaces the old l3_ctr and attaches" \
	grep -qx 'socket layer: attached (maps of another build replaced)' <<EOF
$out
EOF
l3_is "l3_ctr is this build's now (6 counters)" "$(value_size l3_ctr)" "48"
l3_is "a's wildcard bind is rewritten" "$(wild)" "ok 192.0.2.10"
l3_ok "status: attached" sh -c "nsenter --net=/run/netns/$L3_H '$L3NFT' status '$L3_TMP/auto.yaml' |
	grep -q 'socket layer (auto): attached'"
l3_is "no temporary pin is left" "$(ls "$PIN" | grep -c '^tmp_')" "0"

# ---- 2. attached, l3_ctr's pin swapped for an old one ----
old_ctr
cat >"$L3_TMP/binds.py" <<'EOF'
import os, socket, sys, time
stop, end = sys.argv[1], time.monotonic() + 60
n = bad = 0
open(sys.argv[2], "w").close()
while not os.path.exists(stop) and time.monotonic() < end:
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", 0))
        if s.getsockname()[0] != "192.0.2.10":
            bad += 1
    except OSError:
        bad += 1
    s.close()
    n += 1
print(n, bad)
EOF
l3_bg "$PARENT/a" sh -c "exec python3 '$L3_TMP/binds.py' '$L3_TMP/stop' '$L3_TMP/started' >'$L3_TMP/binds.out'"
binds=$L3_LAST_PID
n=0
until [ -e "$L3_TMP/started" ] || [ $n -ge 100 ]; do sleep 0.05; n=$((n + 1)); done
out=$(l3_h "$L3NFT" apply "$L3_TMP/auto.yaml" 2>&1)
: >"$L3_TMP/stop"
wait "$binds"
l3_ok "re-apply replaces the old l3_ctr and re-attaches" \
	grep -qx 'socket layer: re-attached (maps of another build replaced)' <<EOF
$out
EOF
l3_is "l3_ctr is this build's again" "$(value_size l3_ctr)" "48"
read -r total bad <"$L3_TMP/binds.out"
l3_gt "binds ran during the re-attach" "$total" 0
l3_is "every one of them was rewritten to a's address" "$bad" "0"
l3_is "every link is this build's (one per program, no new_ left)" \
	"$(ls "$PIN" | grep -c '^new_')" "0"
out=$(l3_h "$L3NFT" apply "$L3_TMP/auto.yaml" 2>&1)
l3_is "the apply after that only updates maps (nothing to do)" \
	"$(printf '%s\n' "$out" | grep -c '^socket layer')" "0"

# ---- 3. a pin under our name that is not our map ----
rm -f "$PIN/l3_addr"
bpftool map create "$PIN/l3_addr" type hash key 4 value 4 entries 8 name foreign
id=$(bpftool map show pinned "$PIN/l3_addr" | sed -n 's/^\([0-9]*\):.*/\1/p')
out=$(l3_h "$L3NFT" apply "$L3_TMP/auto.yaml" 2>&1)
l3_ok "auto: a foreign pin makes the layer unavailable, said in one line" \
	grep -q '^socket layer: not available here' <<EOF
$out
EOF
l3_is "the foreign pin is left alone" \
	"$(bpftool map show pinned "$PIN/l3_addr" | sed -n 's/^\([0-9]*\):.*/\1/p')" "$id"
l3_isnt "required: apply fails" "$(l3_h "$L3NFT" apply "$L3_TMP/required.yaml" >/dev/null 2>&1; echo $?)" "0"

l3_h "$L3NFT" delete "$L3_TMP/auto.yaml" >/dev/null 2>&1
l3_is "delete removes the pin directory" "$(ls -d "$PIN" 2>/dev/null)" ""
l3_summary
