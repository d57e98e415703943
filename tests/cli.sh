#!/bin/sh
# The command line's conventions, without root: every command answers
# --help with exit 0; -c/--config FILE is accepted wherever FILE is, and
# refused next to a FILE operand; diff never exits 1 for a usage error (1
# means "differs"). Prints "N passed, N failed".
set -u
: "${L3NFT:?set L3NFT to the l3nft binary}" "${srcdir:?set srcdir}"
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }
# is DESC GOT WANT
is() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', expected '$3')"; fi; }
rc() { "$@" >/dev/null 2>&1; echo $?; }
pol=$srcdir/rules/minimal.yaml

for cmd in $("$L3NFT" --help | sed -n '/^commands:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p'); do
	is "l3nft $cmd --help exits 0" "$(rc "$L3NFT" "$cmd" --help)" 0
	"$L3NFT" "$cmd" --help | grep -q "^usage: l3nft $cmd " && ok "l3nft $cmd --help shows its usage" ||
		not_ok "l3nft $cmd --help shows its usage"
done
is "check -c FILE" "$(rc "$L3NFT" check -c "$pol")" 0
is "check --config FILE" "$(rc "$L3NFT" check --config "$pol")" 0
is "check FILE" "$(rc "$L3NFT" check "$pol")" 0
is "check -c FILE FILE is a usage error (1)" "$(rc "$L3NFT" check -c "$pol" "$pol")" 1
is "compile -c FILE prints the same as compile FILE" \
	"$("$L3NFT" compile -c "$pol" | cksum)" "$("$L3NFT" compile "$pol" | cksum)"
is "diff with an unknown option exits 2, not 1 (differs)" "$(rc "$L3NFT" diff --nosuch "$pol")" 2
is "diff -c FILE FILE exits 2" "$(rc "$L3NFT" diff -c "$pol" "$pol")" 2
is "apply with an unknown option exits 1" "$(rc "$L3NFT" apply --nosuch "$pol")" 1
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
