#!/bin/sh
# End-to-end tests of l3nft apply, diff, delete, status and exec against
# the real kernel, in scratch network namespaces (see lib.sh).
#
#   L3NFT=/path/to/l3nft srcdir=/path/to/src sh tests/e2e/apply.sh

. "$(dirname "$0")/lib.sh"

l3_init
l3_topology || l3_skip_all "cannot build the test topology (veth, addresses)"
PARENT="l3t-$$"
for cg in "$PARENT/a" "$PARENT/b"; do
	l3_cg_add "$cg" || l3_skip_all "cannot create cgroup $cg"
done

# policy NAME [EXTRA-ADDRESSES-OF-b]: writes $L3_TMP/NAME.yaml
policy()
{
	cat >"$L3_TMP/$1.yaml" <<EOF
version: 1
namespaces:
  a:
    id: 1
    cgroup: $PARENT/a
    interface: eth0
    addresses: [192.0.2.10/24, 2001:db8::10/64]
    listen: [239.1.1.1:5000/udp]
  b:
    id: 2
    cgroup: $PARENT/b
    interface: eth0
    addresses: [{address: 192.0.2.11/24, adopt: true}${2:-}]
EOF
}
listing() { l3_h nft -s list table inet l3nft 2>/dev/null; }
# nft lists a table's objects in the order they were made: an incremental
# apply makes a new namespace's chain and counters after the rest. Sort the
# top-level blocks (counter, set, map, chain) by their first line.
by_block()
{
	python3 -c '
import sys
head, blocks, cur, tail = [], [], None, []
for line in sys.stdin.read().split("\n"):
    if cur is not None:
        cur.append(line)
        if line == "\t}":
            blocks.append("\n".join(cur)); cur = None
    elif line.startswith("\t") and not line.startswith("\t\t") and line.endswith("{"):
        cur = [line]
    elif line == "" and blocks:
        continue
    elif blocks:
        tail.append(line)
    else:
        head.append(line)
print("\n".join(head + sorted(b for b in blocks) + tail))'
}
has_addr() { l3_h ip -o addr show dev eth0 | grep -q " $1/"; }
# contains TEXT PATTERN: grep -E on a string
contains() { printf '%s\n' "$1" | grep -Eq -- "$2"; }

policy base
policy more ", 192.0.2.21/24"

# ---- a sysadmin's own table and a hand-added alias ----
printf '%s\n' 'table inet admin {' \
	'chain input { type filter hook input priority 10; policy accept; tcp dport 9 counter; }' '}' |
	l3_h nft -f -
l3_h ip addr add 192.0.2.11/24 dev eth0

# ---- first apply ----
out=$(l3_h "$L3NFT" apply "$L3_TMP/base.yaml" 2>&1)
l3_is "apply exits 0" "$?" 0
l3_ok "apply says what it did" contains "$out" 'applied table inet l3nft'
l3_ok "the table is loaded" l3_h nft list table inet l3nft
l3_ok "missing alias 192.0.2.10 was added" has_addr 192.0.2.10
l3_ok "missing alias 2001:db8::10 was added" has_addr 2001:db8::10
l3_ok "the IPv6 alias is deprecated (never the host's source)" \
	contains "$(l3_h ip -o addr show dev eth0)" '2001:db8::10/64 .*deprecated'
json=$(l3_h "$L3NFT" status --json "$L3_TMP/base.yaml")
l3_is "status --json has the documented layout (schema 1)" \
	"$(printf '%s\n' "$json" | python3 "$srcdir/tests/json_check.py" status)" ok
jq_py() { printf '%s' "$json" | python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }
l3_is "status: 192.0.2.10 was added by l3nft" \
	"$(jq_py 'print([x["added_by_l3nft"] for n in d["namespaces"] for x in n["addresses"] if x["address"]=="192.0.2.10/24"][0])')" True
l3_is "status: the hand-added 192.0.2.11 is not l3nft's" \
	"$(jq_py 'print([x["added_by_l3nft"] for n in d["namespaces"] for x in n["addresses"] if x["address"]=="192.0.2.11/24"][0])')" False
l3_is "status: table loaded, two namespaces, cgroup of a exists" \
	"$(jq_py 'print(d["table_loaded"], len(d["namespaces"]), d["namespaces"][0]["cgroup"]["exists"])')" \
	"True 2 True"
text=$(l3_h "$L3NFT" status "$L3_TMP/base.yaml")
l3_ok "status text names the namespace" contains "$text" '^namespace a \(id 1'
l3_ok "status text shows the counters" contains "$text" 'counters +egress'
l3_is "status: no cgroup id is stale right after apply" \
	"$(jq_py 'print([n["cgroup"]["stale"] for n in d["namespaces"]])')" "[False, False]"
l3_h "$L3NFT" status --check "$L3_TMP/base.yaml" >/dev/null 2>"$L3_TMP/check.err"
l3_is "status --check exits 3 without l3nftd" "$?" 3
l3_ok "  and says so" grep -q '^l3nft status: l3nftd is not running$' "$L3_TMP/check.err"
l3_ok "  and nothing else is wrong" test "$(wc -l <"$L3_TMP/check.err")" -eq 1
# systemd makes a service's cgroup anew on every restart: a new id
rmdir "$L3_CG_MOUNT/$PARENT/b" && mkdir "$L3_CG_MOUNT/$PARENT/b"
json=$(l3_h "$L3NFT" status --json "$L3_TMP/base.yaml")
l3_is "status: a cgroup made anew is stale in the table" \
	"$(jq_py 'n=d["namespaces"][1]["cgroup"]; print(n["stale"], n["table_id"] != n["id"])')" "True True"
l3_ok "status text says which and what puts it right" \
	contains "$(l3_h "$L3NFT" status "$L3_TMP/base.yaml")" '^  stale     the table holds cgroup id [0-9]+: .*l3nft sync b'
l3_h "$L3NFT" status --check "$L3_TMP/base.yaml" >/dev/null 2>"$L3_TMP/check.err"
l3_is "status --check exits 3 on a stale id" "$?" 3
l3_ok "  and names the namespace" grep -q "^l3nft status: namespace b: the table's cgroup id is stale$" "$L3_TMP/check.err"
l3_ok "apply takes the new id" l3_h "$L3NFT" apply "$L3_TMP/base.yaml"
json=$(l3_h "$L3NFT" status --json "$L3_TMP/base.yaml")
l3_is "  and it is stale no more" "$(jq_py 'print(d["namespaces"][1]["cgroup"]["stale"])')" False
l3_h ip addr del 2001:db8::10/64 dev eth0
l3_h "$L3NFT" status --check "$L3_TMP/base.yaml" >/dev/null 2>"$L3_TMP/check.err"
l3_ok "status --check names a missing address" grep -q '^l3nft status: namespace a: address 2001:db8::10/64 is missing$' "$L3_TMP/check.err"
l3_ok "apply puts it back" l3_h "$L3NFT" apply "$L3_TMP/base.yaml"

# ---- unchanged: nothing changes ----
before=$(listing)
out=$(l3_h "$L3NFT" apply "$L3_TMP/base.yaml" 2>&1)
l3_is "re-apply of an unchanged file says so" "$out" "table inet l3nft is up to date; nothing changed"
l3_is "re-apply of an unchanged file leaves the table as it was" "$(listing)" "$before"
l3_h "$L3NFT" diff "$L3_TMP/base.yaml" >/dev/null
l3_is "diff exits 0 when equal" "$?" 0

# ---- diff and dry run of a changed policy ----
out=$(l3_h "$L3NFT" diff "$L3_TMP/more.yaml")
l3_is "diff exits 1 when different" "$?" 1
l3_ok "diff names the missing alias" contains "$out" '^\+ address 192.0.2.21/24 dev eth0'
l3_ok "diff says it in policy terms" contains "$out" '^~ b address \+ 192.0.2.21/24$'
l3_ok "diff -v names the new element in nft syntax" \
	contains "$(l3_h "$L3NFT" diff -v "$L3_TMP/more.yaml")" '^\+ element dst4 \{ 192.0.2.21 : jump ns_b \}$'
out=$(l3_h "$L3NFT" apply --dry-run "$L3_TMP/more.yaml" 2>&1)
l3_is "apply --dry-run exits 0" "$?" 0
l3_ok "apply --dry-run says nothing changed" contains "$out" 'nothing changed'
l3_is "apply --dry-run leaves the table" "$(listing)" "$before"
l3_ok "apply --dry-run adds no alias" sh -c '! "$@"' x has_addr 192.0.2.21

sed 's/^namespaces:/queue: 101\nnamespaces:/' "$L3_TMP/base.yaml" >"$L3_TMP/queue.yaml"
l3_h "$L3NFT" diff "$L3_TMP/queue.yaml" >/dev/null 2>&1
l3_is "diff sees a changed queue number, also through the xt NFQUEUE fallback" "$?" 1

# ---- a failing apply changes nothing ----
deep=$(python3 -c 'print("/".join(["d"] * 256))')
cat >"$L3_TMP/bad.yaml" <<EOF
version: 1
namespaces:
  a:
    id: 1
    cgroup: $PARENT/a
    interface: eth0
    addresses: [192.0.2.10/24, 2001:db8::10/64, 192.0.2.30/24]
  deep:
    cgroup: $deep
    interface: eth0
    addresses: [192.0.2.31/24]
EOF
out=$(l3_h "$L3NFT" apply "$L3_TMP/bad.yaml" 2>&1)
l3_is "an apply the kernel refuses exits 2" "$?" 2
l3_ok "the error points at the policy line" contains "$out" 'bad.yaml:9:13: error: the kernel refused'
l3_is "a refused apply leaves the table byte-identical" "$(listing)" "$before"
l3_ok "a refused apply takes back the aliases it added" \
	sh -c '! nsenter --net="/run/netns/$1" ip -o addr show dev eth0 | grep -Eq " 192.0.2.3[01]/"' x "$L3_H"

cat >"$L3_TMP/noif.yaml" <<EOF
version: 1
namespaces:
  a:
    cgroup: $PARENT/a
    interface: nosuch0
    addresses: [192.0.2.40/24]
EOF
out=$(l3_h "$L3NFT" apply "$L3_TMP/noif.yaml" 2>&1)
l3_is "a missing interface is a warning: apply exits 0" "$?" 0
l3_ok "the warning names the interface line" contains "$out" "noif.yaml:5:16: warning: interface 'nosuch0' does not exist yet"
l3_ok "the table is loaded all the same" contains "$(listing)" '192.0.2.40'
l3_ok "and the address is not added" sh -c '! nsenter --net="/run/netns/$1" ip -o addr | grep -q " 192.0.2.40/"' x "$L3_H"
sed 's/nosuch0/eht0/' "$L3_TMP/noif.yaml" >"$L3_TMP/typo.yaml"
l3_ok "a mistyped interface gets a suggestion" \
	contains "$(l3_h "$L3NFT" diff "$L3_TMP/typo.yaml" 2>&1)" "interface 'eht0' does not exist yet \\(did you mean 'eth0'\\?\\)"
l3_ok "back to the base policy" l3_h "$L3NFT" apply "$L3_TMP/base.yaml"

# ---- ownership: never the host's address, a sysadmin's table or another table's addresses ----
before=$(listing)
cat >"$L3_TMP/hostaddr.yaml" <<EOF
version: 1
namespaces:
  a:
    cgroup: $PARENT/a
    interface: eth0
    addresses: [192.0.2.10/24, 192.0.2.1/24]
EOF
out=$(l3_h "$L3NFT" apply "$L3_TMP/hostaddr.yaml" 2>&1)
l3_is "the host's own address in a policy is refused (exit 1)" "$?" 1
l3_ok "the error says whose it is and how to adopt it" contains "$out" \
	"hostaddr.yaml:6:32: error: address 192.0.2.1 is the host's \\(dev eth0, not added by l3nft\\).*adopt: true"
l3_is "a refused host address changes nothing" "$(listing)" "$before"
l3_ok "and the host keeps its address" has_addr 192.0.2.1
sed 's/^namespaces:/table: admin\nnamespaces:/' "$L3_TMP/base.yaml" >"$L3_TMP/admin.yaml"
for verb in apply delete diff; do
	out=$(l3_h "$L3NFT" "$verb" "$L3_TMP/admin.yaml" 2>&1)
	l3_is "$verb of a sysadmin's same-named table is refused (exit 2)" "$?" 2
	l3_ok "$verb says the table is not l3nft's and what it holds" contains "$out" \
		"table inet admin exists and was not made by l3nft \\(chains 1, sets 0, rules 1"
done
l3_ok "the sysadmin's table is untouched" contains "$(l3_h nft list table inet admin)" 'tcp dport 9 counter'
printf '%s\n' 'table inet admin2 {' 'chain c {' '}' '}' | l3_h nft -f -
cat >"$L3_TMP/admin2.yaml" <<EOF
version: 1
table: admin2
namespaces:
  o:
    cgroup: $PARENT/b
    interface: eth0
    addresses: [192.0.2.90/24]
EOF
out=$(l3_h "$L3NFT" apply --force "$L3_TMP/admin2.yaml" 2>&1)
l3_is "--force replaces a table l3nft did not make" "$?" 0
l3_ok "--force says what is lost" contains "$out" '^--force: table inet admin2 was not made by l3nft; all it holds is lost \(chains 1,'
l3_ok "the replaced table is l3nft's now" contains "$(l3_h nft list table inet admin2)" 'comment "managed by l3nft'
l3_ok "and delete removes it without --force" l3_h "$L3NFT" delete "$L3_TMP/admin2.yaml"
cat >"$L3_TMP/other.yaml" <<EOF
version: 1
table: other
namespaces:
  o:
    cgroup: $PARENT/b
    interface: eth0
    addresses: [192.0.2.80/24, 2001:db8::80/64]
EOF
l3_ok "a second policy with its own table applies next to the first" l3_h "$L3NFT" apply "$L3_TMP/other.yaml"
l3_ok "the second table's addresses are added" has_addr 192.0.2.80
l3_ok "the first table's addresses are still there" has_addr 192.0.2.10
l3_ok "re-applying the first keeps the second's addresses" l3_h "$L3NFT" apply "$L3_TMP/more.yaml"
l3_ok "  192.0.2.80 stays" has_addr 192.0.2.80
l3_ok "  2001:db8::80 stays" has_addr 2001:db8::80
sed 's/192.0.2.80/192.0.2.10/' "$L3_TMP/other.yaml" >"$L3_TMP/other2.yaml"
out=$(l3_h "$L3NFT" apply "$L3_TMP/other2.yaml" 2>&1)
l3_is "a table cannot take another table's address (exit 1)" "$?" 1
l3_ok "the error says which" contains "$out" 'address 192.0.2.10 \(dev eth0\) belongs to another l3nft table of this host'
l3_ok "deleting the second table removes only its own addresses" l3_h "$L3NFT" delete "$L3_TMP/other.yaml"
l3_ok "  192.0.2.80 is gone" sh -c '! nsenter --net="/run/netns/$1" ip -o addr | grep -q " 192.0.2.80/"' x "$L3_H"
l3_ok "  the first table's 192.0.2.21 stays" has_addr 192.0.2.21
l3_ok "back to the base policy" l3_h "$L3NFT" apply "$L3_TMP/base.yaml"
before=$(listing)

# ---- counters survive a changed apply ----
l3_serve "$PARENT/a" a tcp:0.0.0.0:7500 udp:0.0.0.0:7500
l3_send peer udp 192.0.2.10 7500 c1 >/dev/null
acc=$(l3_counter "$L3_H" l3nft a_accepted)
l3_gt "traffic was counted for a" "$acc" 0
l3_ok "apply of a changed policy succeeds" l3_h "$L3NFT" apply "$L3_TMP/more.yaml"
l3_ok "the new alias was added" has_addr 192.0.2.21
after=$(l3_counter "$L3_H" l3nft a_accepted)
l3_ok "counters keep their values across apply ($acc -> $after)" test "${after:-0}" -ge "$acc"

# ---- missing cgroup: a warning, not an error ----
cat >"$L3_TMP/nocg.yaml" <<EOF
version: 1
namespaces:
  z:
    cgroup: $PARENT/not-there
    interface: eth0
    addresses: [192.0.2.50/24]
EOF
out=$(l3_h "$L3NFT" apply "$L3_TMP/nocg.yaml" 2>&1)
l3_is "apply with a missing cgroup exits 0" "$?" 0
l3_ok "and warns about the cgroup" contains "$out" 'warning: cgroup .* does not exist yet'
l3_ok "apply removed l3nft's aliases no longer in the policy" \
	sh -c '! nsenter --net="/run/netns/$1" ip -o addr show dev eth0 | grep -Eq " (192.0.2.10|192.0.2.21)/"' x "$L3_H"
l3_ok "but not the hand-added one" has_addr 192.0.2.11
l3_ok "apply back to the base policy" l3_h "$L3NFT" apply "$L3_TMP/base.yaml"

# ---- the namespace marks for rules of the sysadmin's own ----
l3_h "$L3NFT" compile --defines "$L3_TMP/base.yaml" >"$L3_TMP/marks.nft"
printf '%s\n' "include \"$L3_TMP/marks.nft\"" 'table inet mine {' 'chain out {' \
	'type filter hook postrouting priority 10; policy accept;' \
	'meta mark and $l3_mask == $l3_b limit rate over 10 mbytes/second drop' '}' '}' >"$L3_TMP/mine.nft"
l3_ok "compile --defines gives marks a sysadmin's table can include" l3_nft_file "$L3_H" "$L3_TMP/mine.nft"
l3_ok "  and the rule matches namespace b's mark" \
	contains "$(l3_h nft list chain inet mine out)" 'meta mark & 0x00ff0000 == 0x00020000 limit rate over'
l3_h nft delete table inet mine

# ---- compile and apply give the same table ----
X="l3x-$$"
l3_netns_add "$X"
l3_compile "$L3_TMP/base.yaml" "$L3_TMP/base.nft"
if l3_nft_file "$X" "$L3_TMP/base.nft" >/dev/null; then
	# without native queue the text's two queue rules were loaded with
	# counters instead, and nft cannot list the applied table's xt target:
	# compare the rest
	norm() { sed -E 's/ (counter( packets [0-9]+ bytes [0-9]+)?|queue num [0-9]+( bypass)?)$//; /Warning: table/d; s/ +$//'; }
	l3_is "compile text and apply list the same table" \
		"$(l3_in "$X" nft -s list table inet l3nft 2>/dev/null | norm | by_block)" \
		"$(listing | norm | by_block)"
else
	l3_fail "compile text loads with nft -f"
fi
l3_netns_del "$X"

# ---- exec ----
# the command has its own PID namespace: find it from the host by its cgroup
l3_h "$L3NFT" exec a -c "$L3_TMP/base.yaml" -- sh -c 'echo $$ >"$1.tmp"; mv "$1.tmp" "$1"; exec sleep 2' \
	x "$L3_TMP/exec.pid" 2>/dev/null &
n=0
while [ ! -s "$L3_TMP/exec.pid" ] && [ $n -lt 50 ]; do sleep 0.05; n=$((n + 1)); done
l3_is "exec runs the command in a's cgroup (seen from the host)" \
	"$(for p in $(cat "$L3_CG_MOUNT/$PARENT/a/cgroup.procs"); do
		tr '\0' ' ' <"/proc/$p/cmdline"; echo; done | grep -c '^sleep 2')" 1
wait $!
out=$(l3_h "$L3NFT" exec a -c "$L3_TMP/base.yaml" -- sh -c \
	'grep CapEff /proc/self/status; grep NoNewPrivs /proc/self/status')
eff=$(printf '%s\n' "$out" | awk '/CapEff/ { print $2 }')
l3_is "exec drops CAP_NET_ADMIN and CAP_NET_RAW" "$(python3 -c "print((int('$eff', 16) >> 12) & 3)")" 0
l3_ok "exec sets no_new_privs" contains "$out" 'NoNewPrivs:.1'
l3_ok "a process under exec cannot move itself to the host's cgroup" \
	sh -c '! nsenter --net="/run/netns/$1" "$2" exec a -c "$3" -- sh -c "echo \$\$ >$4/cgroup.procs" 2>/dev/null' \
	x "$L3_H" "$L3NFT" "$L3_TMP/base.yaml" "$L3_CG_MOUNT"
l3_ok "nor to another namespace's cgroup" \
	sh -c '! nsenter --net="/run/netns/$1" "$2" exec a -c "$3" -- sh -c "echo \$\$ >$4/cgroup.procs" 2>/dev/null' \
	x "$L3_H" "$L3NFT" "$L3_TMP/base.yaml" "$L3_CG_MOUNT/$PARENT/b"
l3_ok "a process under exec cannot open a packet socket" \
	sh -c '! nsenter --net="/run/netns/$1" "$2" exec a -c "$3" -- python3 -c "import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW)" 2>/dev/null' \
	x "$L3_H" "$L3NFT" "$L3_TMP/base.yaml"
l3_ok "a process under exec cannot change the table" \
	sh -c '! nsenter --net="/run/netns/$1" "$2" exec a -c "$3" -- nft delete table inet l3nft 2>/dev/null' \
	x "$L3_H" "$L3NFT" "$L3_TMP/base.yaml"
l3_ok "a process under exec cannot open a raw socket" \
	sh -c '! nsenter --net="/run/netns/$1" "$2" exec a -c "$3" -- python3 -c "import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, 1)" 2>/dev/null' \
	x "$L3_H" "$L3NFT" "$L3_TMP/base.yaml"
l3_ok "with --keep-net-raw it can" \
	l3_h "$L3NFT" exec a -c "$L3_TMP/base.yaml" --keep-net-raw -- python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, 1)'
l3_ok "a process under exec cannot add an address" \
	sh -c '! nsenter --net="/run/netns/$1" "$2" exec b -c "$3" -- ip addr add 192.0.2.60/24 dev eth0 2>/dev/null' \
	x "$L3_H" "$L3NFT" "$L3_TMP/base.yaml"
l3_h "$L3NFT" exec nosuch -c "$L3_TMP/base.yaml" -- true 2>"$L3_TMP/exec.err"
l3_is "exec of an unknown namespace exits 1" "$?" 1
l3_ok "and lists the names" grep -q 'namespaces in the policy: a b' "$L3_TMP/exec.err"

# ---- two applies at the same time: they take turns, never mix ----
l3_h "$L3NFT" apply "$L3_TMP/more.yaml" >"$L3_TMP/c1.out" 2>&1 &
c1=$!
l3_h "$L3NFT" apply "$L3_TMP/base.yaml" >"$L3_TMP/c2.out" 2>&1 &
c2=$!
wait $c1; r1=$?
wait $c2; r2=$?
l3_is "two concurrent applies both succeed" "$r1$r2" 00
d1=0; l3_h "$L3NFT" diff "$L3_TMP/base.yaml" >/dev/null 2>&1 || d1=$?
d2=0; l3_h "$L3NFT" diff "$L3_TMP/more.yaml" >/dev/null 2>&1 || d2=$?
l3_ok "the table is exactly one of the two policies ($d1$d2)" sh -c '[ "$1" = 01 ] || [ "$1" = 10 ]' x "$d1$d2"
l3_ok "back to the base policy" l3_h "$L3NFT" apply "$L3_TMP/base.yaml"

# ---- the interface of an alias is down ----
l3_h ip link set eth0 down
l3_ok "apply works while the interface is down" l3_h "$L3NFT" apply "$L3_TMP/more.yaml"
l3_ok "and the alias is there" has_addr 192.0.2.21
l3_h ip link set eth0 up
l3_ok "back to the base policy" l3_h "$L3NFT" apply "$L3_TMP/base.yaml"

# ---- ids without an explicit id stay with their namespace ----
ids_policy()
{
	{
		echo "version: 1"
		echo "namespaces:"
		[ "$2" = first ] && printf '  z:\n    cgroup: %s/z\n    interface: eth0\n    addresses: [192.0.2.70/24]\n' "$PARENT"
		printf '  a:\n    cgroup: %s/a\n    interface: eth0\n    addresses: [192.0.2.10/24]\n' "$PARENT"
		printf '  b:\n    cgroup: %s/b\n    interface: eth0\n    addresses: [{address: 192.0.2.11/24, adopt: true}]\n' "$PARENT"
	} >"$L3_TMP/$1.yaml"
}
ids_of() { l3_h "$L3NFT" status --json "$1" | python3 -c 'import json,sys; print(" ".join("%s=%d" % (n["namespace"], n["id"]) for n in json.load(sys.stdin)["namespaces"]))'; }
ids_policy ids1 no
ids_policy ids2 first
l3_ok "apply a policy without ids" l3_h "$L3NFT" apply "$L3_TMP/ids1.yaml"
l3_ok "apply it with a new namespace first in the file" l3_h "$L3NFT" apply "$L3_TMP/ids2.yaml"
l3_is "the existing namespaces keep their ids (and marks)" \
	"$(l3_h nft list chain inet l3nft ns_a | grep "meta mark set" | grep -o '0x000[0-9a-f]0000$')" "0x00010000"
l3_is "the new namespace gets the lowest free id" \
	"$(l3_h nft list chain inet l3nft ns_z | grep "meta mark set" | grep -o '0x000[0-9a-f]0000$')" "0x00030000"
l3_ok "back to the base policy" l3_h "$L3NFT" apply "$L3_TMP/base.yaml"

# ---- incremental apply: only the delta, the same table as a fresh load ----
# inc NAME [c] [A-ADDRS] [B-ADDR] [A-LISTEN]: a policy with namespaces a, b
# (and c)
inc()
{
	{
		printf 'version: 1\nnamespaces:\n'
		printf '  a:\n    id: 1\n    cgroup: %s/a\n    interface: eth0\n' "$PARENT"
		printf '    addresses: [%s]\n    listen: [%s]\n' "${3:-192.0.2.10/24}" "${5:-239.1.1.1:5000/udp}"
		printf '  b:\n    id: 2\n    cgroup: %s/b\n    interface: eth0\n    addresses: [%s]\n' \
			"$PARENT" "${4:-192.0.2.12/24}"
		[ "$2" = c ] && printf '  c:\n    cgroup: %s/c\n    interface: eth0\n    addresses: [192.0.2.13/24, 2001:db8::13/64]\n' "$PARENT"
	} >"$L3_TMP/$1.yaml"
}
# nft's listing without counter values (a fresh table's start at 0)
norm_listing() { listing | sed -E 's/packets [0-9]+ bytes [0-9]+/packets - bytes -/' | by_block; }
l3_cg_add "$PARENT/c" || l3_fail "cannot create cgroup $PARENT/c"
inc i0 - ; inc i1 c ; inc i2 c "" 192.0.2.22/24
inc i3 c "" 192.0.2.22/24 "239.1.1.1:5000/udp, 239.1.1.2:5001/udp"
inc i4 - "192.0.2.10/24, 192.0.2.14/24" 192.0.2.22/24 "239.1.1.1:5000/udp, 239.1.1.2:5001/udp"
out=$(l3_h "$L3NFT" apply "$L3_TMP/i0.yaml" 2>&1)
l3_is "apply of a changed policy exits 0" "$?" 0
l3_h "$L3NFT" diff "$L3_TMP/i1.yaml" >"$L3_TMP/d1.out"
l3_is "diff exits 1 when a namespace is added" "$?" 1
l3_ok "diff says '+ namespace c'" grep -qx '+ namespace c' "$L3_TMP/d1.out"
l3_ok "diff names c's new address on the host" grep -qx '+ address 192.0.2.13/24 dev eth0' "$L3_TMP/d1.out"
l3_ok "diff without -v shows no table lines" sh -c '! grep -q "^[-+] \(elem\|element\|rule\|chain\)" "$1"' x "$L3_TMP/d1.out"
l3_h "$L3NFT" diff -v "$L3_TMP/i1.yaml" >"$L3_TMP/d1v.out"
l3_ok "diff -v adds the table change in nft syntax" \
	grep -qx '+ element dst4 { 192.0.2.13 : jump ns_c }' "$L3_TMP/d1v.out"
l3_ok "  with the new chain" grep -qx '+ chain ns_c' "$L3_TMP/d1v.out"
l3_ok "  under a unified diff's header" grep -qx -- '--- table inet l3nft (live)' "$L3_TMP/d1v.out"
l3_serve "$PARENT/a" a udp:0.0.0.0:7501
l3_send peer udp 192.0.2.10 7501 c2 >/dev/null
acc=$(l3_counter "$L3_H" l3nft a_accepted)
l3_gt "traffic was counted for a" "$acc" 0
out=$(l3_h "$L3NFT" apply "$L3_TMP/i1.yaml" 2>&1)
l3_is "adding a namespace applies (exit 0)" "$?" 0
l3_ok "  as changes only, not the whole table" contains "$out" '\(changes only;'
l3_is "  a's counter keeps its value" "$(l3_counter "$L3_H" l3nft a_accepted)" "$acc"
l3_ok "  c's chain is there" l3_h nft list chain inet l3nft ns_c
l3_is "diff after it exits 0" "$(l3_h "$L3NFT" diff "$L3_TMP/i1.yaml" >/dev/null 2>&1; echo $?)" 0
out=$(l3_h "$L3NFT" diff "$L3_TMP/i2.yaml")
l3_ok "diff says what an address change is" contains "$out" '^~ b address 192.0.2.12/24 -> 192.0.2.22/24$'
l3_ok "changing b's address applies as changes only" \
	contains "$(l3_h "$L3NFT" apply "$L3_TMP/i2.yaml" 2>&1)" '\(changes only;'
out=$(l3_h "$L3NFT" diff "$L3_TMP/i3.yaml")
l3_ok "diff says what a new listen entry is" contains "$out" '^~ a listen \+ 239.1.1.2:5001/udp$'
l3_ok "a new listen entry applies as changes only" \
	contains "$(l3_h "$L3NFT" apply "$L3_TMP/i3.yaml" 2>&1)" '\(changes only;'
out=$(l3_h "$L3NFT" diff "$L3_TMP/i4.yaml")
l3_ok "diff says '- namespace c'" contains "$out" '^- namespace c$'
l3_ok "  and a's new address" contains "$out" '^~ a address \+ 192.0.2.14/24$'
l3_ok "  and the host addresses that go" contains "$out" '^- address 2001:db8::13/64 dev eth0 \(added by l3nft'

# a failing incremental batch: a chain of the sysadmin's jumps to ns_c, so
# the kernel refuses to delete ns_c and with it the whole transaction
l3_h nft add chain inet l3nft zz && l3_h nft add rule inet l3nft zz jump ns_c
before=$(listing)
out=$(l3_h "$L3NFT" apply "$L3_TMP/i4.yaml" 2>&1)
l3_is "an incremental batch the kernel refuses exits 2" "$?" 2
l3_ok "  and says which object" contains "$out" 'the kernel refused ns_c: Device or resource busy'
l3_is "  and leaves the old table byte-identical" "$(listing)" "$before"
l3_ok "  and takes back the alias it added" sh -c '! nsenter --net="/run/netns/$1" ip -o addr | grep -q " 192.0.2.14/"' x "$L3_H"
l3_h nft delete chain inet l3nft zz 2>/dev/null ||
	{ l3_h nft flush chain inet l3nft zz; l3_h nft delete chain inet l3nft zz; }
out=$(l3_h "$L3NFT" apply "$L3_TMP/i4.yaml" 2>&1)
l3_ok "removing a namespace applies as changes only" contains "$out" '\(changes only;'
l3_ok "  ns_c is gone" sh -c '! nsenter --net="/run/netns/$1" nft list chain inet l3nft ns_c >/dev/null 2>&1' x "$L3_H"
l3_ok "  c_egress is gone" sh -c '! nsenter --net="/run/netns/$1" nft list counter inet l3nft c_egress >/dev/null 2>&1' x "$L3_H"
inc_table=$(norm_listing)
l3_h nft delete table inet l3nft
out=$(l3_h "$L3NFT" apply "$L3_TMP/i4.yaml" 2>&1)
l3_ok "a fresh load of the same policy replaces the table whole" contains "$out" '\(table replaced whole;'
l3_is "after add/remove/change of namespaces, addresses and listen entries the incremental table equals a fresh load" \
	"$inc_table" "$(norm_listing)"

# mark_mask is the table's shape: the whole table is replaced
sed 's/^namespaces:/mark_mask: 0x0000ff00\nnamespaces:/' "$L3_TMP/i4.yaml" >"$L3_TMP/mask.yaml"
out=$(l3_h "$L3NFT" diff "$L3_TMP/mask.yaml")
l3_ok "diff says a new mark_mask replaces the table whole" contains "$out" '^~ table inet l3nft is replaced whole: '
out=$(l3_h "$L3NFT" apply "$L3_TMP/mask.yaml" 2>&1)
l3_ok "  and apply does so" contains "$out" '\(table replaced whole;'

# ---- progress only on a terminal; --json and exit codes ----
out=$(l3_h script -qec "$L3NFT apply $L3_TMP/i3.yaml" /dev/null 2>&1)
l3_ok "apply on a terminal shows progress (addresses added out of total, elapsed)" \
	contains "$out" 'adding addresses 2/2 \([0-9.]+s\)'
l3_h "$L3NFT" apply "$L3_TMP/i4.yaml" >/dev/null 2>&1
l3_h "$L3NFT" apply "$L3_TMP/i3.yaml" >"$L3_TMP/pipe.out" 2>"$L3_TMP/pipe.err"
l3_ok "apply into a pipe shows none" sh -c '! grep -q "adding addresses" "$1" "$2"' x "$L3_TMP/pipe.out" "$L3_TMP/pipe.err"
json=$(l3_h script -qec "$L3NFT apply --json $L3_TMP/i4.yaml" /dev/null 2>&1)
l3_ok "apply --json on a terminal shows none" sh -c '! printf "%s" "$1" | grep -q "adding addresses"' x "$json"
json=$(l3_h "$L3NFT" apply --json "$L3_TMP/i3.yaml" 2>/dev/null)
l3_is "apply --json has the documented layout (schema 1)" \
	"$(printf '%s\n' "$json" | python3 "$srcdir/tests/json_check.py" apply)" ok
l3_is "  changed and applied, as changes only, c added" \
	"$(jq_py 'print(d["changed"], d["applied"], d["replace"], [(n["namespace"], n["change"]) for n in d["namespaces"]])')" \
	"True True False [('a', 'changed'), ('c', 'added')]"
json=$(l3_h "$L3NFT" diff --json "$L3_TMP/i3.yaml")
l3_is "diff --json exits 0 when the same" "$?" 0
l3_is "  with changed false" "$(jq_py 'print(d["changed"], d["namespaces"])')" "False []"
json=$(l3_h "$L3NFT" diff --json "$L3_TMP/i1.yaml")
l3_is "diff --json exits 1 when different" "$?" 1
l3_is "diff --json has the documented layout (schema 1)" \
	"$(printf '%s\n' "$json" | python3 "$srcdir/tests/json_check.py" diff)" ok
l3_is "  says b's address changes" \
	"$(jq_py 'print(d["changed"], [(n["namespace"], n["change"], n["addresses_removed"], n["addresses_added"]) for n in d["namespaces"]])')" \
	"True [('b', 'changed', ['192.0.2.22/24'], ['192.0.2.12/24'])]"
json=$(l3_h "$L3NFT" diff --json "$L3_TMP/i4.yaml")
l3_is "  and what removing c and adding an address to a are" \
	"$(jq_py 'print(d["changed"], [(n["namespace"], n["change"], n["addresses_added"]) for n in d["namespaces"]], d["host_addresses"]["removed"])')" \
	"True [('a', 'changed', ['192.0.2.14/24']), ('c', 'removed', [])] ['192.0.2.13/24', '2001:db8::13/64']"
printf 'version: 1\nnamespaces: [\n' >"$L3_TMP/broken.yaml"
l3_h "$L3NFT" diff "$L3_TMP/broken.yaml" >/dev/null 2>&1
l3_is "diff of an invalid policy exits 2" "$?" 2
l3_h "$L3NFT" diff --nosuch "$L3_TMP/i4.yaml" >/dev/null 2>&1
l3_is "diff with an unknown option exits 2" "$?" 2
l3_ok "back to the base policy" l3_h "$L3NFT" apply "$L3_TMP/base.yaml"

# ---- delete ----
out=$(l3_h "$L3NFT" delete "$L3_TMP/base.yaml" 2>&1)
l3_is "delete exits 0" "$?" 0
l3_ok "delete removed the table" sh -c '! nsenter --net="/run/netns/$1" nft list table inet l3nft >/dev/null 2>&1' x "$L3_H"
l3_ok "delete removed the aliases l3nft added" \
	sh -c '! nsenter --net="/run/netns/$1" ip -o addr show dev eth0 | grep -Eq " (192.0.2.10|2001:db8::10)/"' x "$L3_H"
l3_ok "delete kept the hand-added alias" has_addr 192.0.2.11
l3_ok "delete kept the host's own address" has_addr 192.0.2.1
l3_ok "delete kept the sysadmin's table" l3_h nft list table inet admin
l3_ok "delete of an absent table is fine" l3_h "$L3NFT" delete "$L3_TMP/base.yaml"
l3_ok "apply again" l3_h "$L3NFT" apply "$L3_TMP/base.yaml"
l3_h nft delete table inet l3nft
l3_ok "delete when the table was removed by hand" l3_h "$L3NFT" delete "$L3_TMP/base.yaml"
l3_ok "  touches no address: without the table none is known to be its own" has_addr 192.0.2.10
l3_ok "apply takes back what a table that is gone left (no other table owns it)" \
	l3_h "$L3NFT" apply "$L3_TMP/base.yaml"
l3_ok "  and a delete then removes it" l3_h "$L3NFT" delete "$L3_TMP/base.yaml"
l3_ok "  192.0.2.10 is gone" sh -c '! nsenter --net="/run/netns/$1" ip -o addr | grep -q " 192.0.2.10/"' x "$L3_H"

# ---- removing one of our IPv4 addresses removes nothing else ----
# 198.51.100.0/24 has no host address, so a's alias (added first) is the
# subnet's primary; with promote_secondaries off (the kernel's default)
# the kernel would remove b's alias and the sysadmin's address with it.
prim_ns() # NAME ID ADDRESS
{
	printf '  %s:\n    id: %s\n    cgroup: %s\n    interface: eth0\n    addresses: [%s/24]\n' \
		"$1" "$2" "$PARENT/$1" "$3"
}
{ printf 'version: 1\nnamespaces:\n'; prim_ns a 1 198.51.100.10; prim_ns b 2 198.51.100.11; } \
	>"$L3_TMP/prim2.yaml"
{ printf 'version: 1\nnamespaces:\n'; prim_ns b 2 198.51.100.11; } >"$L3_TMP/prim1.yaml"
l3_h sysctl -qw net.ipv4.conf.all.promote_secondaries=0 net.ipv4.conf.eth0.promote_secondaries=0
l3_ok "apply: a and b in a subnet of no host address" l3_h "$L3NFT" apply "$L3_TMP/prim2.yaml"
l3_ok "  the sysadmin adds an address of the subnet by hand" \
	l3_h ip addr add 198.51.100.99/24 dev eth0
l3_ok "apply without a (its alias is the subnet's primary)" l3_h "$L3NFT" apply "$L3_TMP/prim1.yaml"
l3_ok "  a's alias is gone" sh -c '! nsenter --net="/run/netns/$1" ip -o addr | grep -q " 198.51.100.10/"' x "$L3_H"
l3_ok "  b's alias stayed" has_addr 198.51.100.11
l3_ok "  the sysadmin's address stayed" has_addr 198.51.100.99
l3_is "  promote_secondaries is off again" "$(l3_h cat /proc/sys/net/ipv4/conf/eth0/promote_secondaries)" 0
out=$(l3_h "$L3NFT" delete "$L3_TMP/prim1.yaml" 2>&1)
l3_is "delete exits 0" "$?" 0
l3_ok "  the sysadmin's address stayed" has_addr 198.51.100.99
l3_ok "  b's alias is gone" sh -c '! nsenter --net="/run/netns/$1" ip -o addr | grep -q " 198.51.100.11/"' x "$L3_H"
l3_h ip addr del 198.51.100.99/24 dev eth0

l3_summary
