#!/bin/sh
# End-to-end tests of `l3nft diff -v`: the table change in nft syntax, as
# `l3nft compile` prints it, read from the live table (never a copy).
# A changed namespace shows its old rule ("-", read back from the kernel)
# and its new one ("+"), both byte-identical to compile's lines; a rule
# edited by hand with nft shows up as a difference (in nft syntax when it
# reads back as a rule l3nft could write, else as libnftnl's expression
# list); an unchanged table prints nothing.
#
#   L3NFT=/path/to/l3nft srcdir=/path/to/src sh tests/e2e/diff.sh

. "$(dirname "$0")/lib.sh"

l3_init
l3_topology || l3_skip_all "cannot build the test topology (veth, addresses)"
PARENT="l3t-$$"
l3_cg_add "$PARENT" && l3_cg_add "$PARENT/a" && l3_cg_add "$PARENT/b" ||
	l3_skip_all "cannot create cgroups under $PARENT"
L3NFT_RUNDIR="$L3_TMP/run"
export L3NFT_RUNDIR

# policy NAME B-ID
policy()
{
	printf 'version: 1\nnamespaces:\n  a:\n    id: 1\n    cgroup: %s/a\n    interface: eth0\n    addresses: [192.0.2.10/24]\n  b:\n    id: %s\n    cgroup: %s/b\n    interface: eth0\n    addresses: [192.0.2.12/24]\n' \
		"$PARENT" "$2" "$PARENT" >"$L3_TMP/$1.yaml"
}
policy p1 2
policy p2 3

# every "S rule CHAIN TEXT" line of diff -v output $1 (S is $2) has TEXT
# as a line of `l3nft compile $3`
rules_compiled()
{
	"$L3NFT" compile "$3" | sed -n 's/^\t\t//p' >"$L3_TMP/compiled"
	grep "^$2 rule " "$1" | cut -d' ' -f4- >"$L3_TMP/rules"
	[ -s "$L3_TMP/rules" ] || return 1
	while IFS= read -r r; do
		grep -qxF -- "$r" "$L3_TMP/compiled" || { echo "not compiled: $r"; return 1; }
	done <"$L3_TMP/rules"
}

l3_ok "apply p1" l3_h "$L3NFT" apply "$L3_TMP/p1.yaml"
l3_h "$L3NFT" diff -v "$L3_TMP/p1.yaml" >"$L3_TMP/same.out" 2>&1
l3_is "diff -v of an unchanged table exits 0" "$?" 0
l3_is "  and prints nothing" "$(cat "$L3_TMP/same.out")" ""

# ---- one namespace changes: b's id 2 -> 3 ----
l3_h "$L3NFT" diff -v "$L3_TMP/p2.yaml" >"$L3_TMP/p2.out"
l3_is "diff -v of a changed id exits 1" "$?" 1
l3_is "the mark rule of ns_b: the live one removed, the policy's added" \
	"$(grep '^[-+] rule ns_b meta mark set' "$L3_TMP/p2.out")" \
	"- rule ns_b meta mark set meta mark and 0xff00ffff or 0x00020000
+ rule ns_b meta mark set meta mark and 0xff00ffff or 0x00030000"
l3_ok "  and the ct mark rule, read back from the kernel" grep -qxF -- \
	'- rule ns_b ct status & confirmed == 0 ct mark set ct mark and 0xff00ffff or 0x00020000' \
	"$L3_TMP/p2.out"
l3_ok "every removed rule is a line of compile's output for the live policy" \
	rules_compiled "$L3_TMP/p2.out" - "$L3_TMP/p1.yaml"
l3_ok "every added rule is a line of compile's output for the new policy" \
	rules_compiled "$L3_TMP/p2.out" + "$L3_TMP/p2.yaml"
l3_ok "no line is libnftnl's expression list" sh -c '! grep -q "\[ " "$1"' x "$L3_TMP/p2.out"
l3_ok "the changed elements in nft syntax" \
	grep -qxF -- '+ element snat4 { 0x00030000 : 192.0.2.12 }' "$L3_TMP/p2.out"
l3_ok "a chain only in the table it makes is none (the same chains)" \
	sh -c '! grep -q "^[-+] chain" "$1"' x "$L3_TMP/p2.out"

# ---- a rule edited by hand ----
handle=$(l3_h nft -a list chain inet l3nft ns_a | sed -n 's/.*meta mark set .* # handle \([0-9]*\)$/\1/p')
l3_ok "edit ns_a's mark rule by hand" l3_h nft replace rule inet l3nft ns_a handle "$handle" \
	meta mark set meta mark and 0xff00ffff or 0x00050000
l3_h "$L3NFT" diff -v "$L3_TMP/p1.yaml" >"$L3_TMP/hand.out"
l3_is "diff -v after a hand edit exits 1" "$?" 1
l3_is "the edited rule and the policy's, in nft syntax" \
	"$(grep '^[-+] rule' "$L3_TMP/hand.out")" \
	"- rule ns_a meta mark set meta mark and 0xff00ffff or 0x00050000
+ rule ns_a meta mark set meta mark and 0xff00ffff or 0x00010000"
l3_ok "apply puts it back" l3_h "$L3NFT" apply "$L3_TMP/p1.yaml"
l3_ok "a rule added by hand that l3nft could write" \
	l3_h nft add rule inet l3nft ns_a tcp dport 22 drop
l3_ok "a rule added by hand that l3nft never writes (an anonymous counter)" \
	l3_h nft add rule inet l3nft ns_a udp dport 53 counter drop
l3_h "$L3NFT" diff -v "$L3_TMP/p1.yaml" >"$L3_TMP/add.out"
l3_is "diff -v exits 1" "$?" 1
l3_is "the first in nft syntax, the second as libnftnl's expression list (nothing else)" \
	"$(grep '^[-+] rule' "$L3_TMP/add.out" | sed 's/\[pkts .*/.../')" \
	"- rule ns_a meta l4proto tcp th dport == 22 drop
- rule ns_a 0004 [load l4proto => reg 1 ][eq reg 1 0x00000011 ][load 2b @ transport header + 2 => reg 1 ][eq reg 1 0x00003500 ]..."
l3_ok "apply removes them" l3_h "$L3NFT" apply "$L3_TMP/p1.yaml"
l3_h "$L3NFT" diff -v "$L3_TMP/p1.yaml" >"$L3_TMP/same2.out" 2>&1
l3_is "and diff -v is empty again" "$?:$(cat "$L3_TMP/same2.out")" "0:"

l3_summary
