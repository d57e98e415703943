#!/bin/sh
# Golden files: `l3nft compile` of each example policy must equal the
# checked-in listing byte for byte. Regenerate after an intended change
# with: L3NFT=./l3nft srcdir=. UPDATE=1 sh tests/golden.sh
set -u
: "${L3NFT:?set L3NFT to the l3nft binary}" "${srcdir:?set srcdir}"
pass=0 fail=0
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

# Each golden is compiled with a fixed cgroup mount so it does not depend
# on this machine's layout.
check() { # name policy-path
	name=$1 policy=$2
	if ! (cd "$(dirname "$policy")" &&
	      "$L3NFT" compile --cgroup-mount /sys/fs/cgroup "$(basename "$policy")") \
	      >"$tmp/$name.nft" 2>"$tmp/$name.err"; then
		echo "not ok - $name: compile failed:"; cat "$tmp/$name.err"
		fail=$((fail + 1)); return
	fi
	if [ "${UPDATE:-0}" = 1 ]; then
		cp "$tmp/$name.nft" "$srcdir/tests/golden/$name.nft"
	fi
	if cmp -s "$tmp/$name.nft" "$srcdir/tests/golden/$name.nft"; then
		echo "ok - $name"; pass=$((pass + 1))
	else
		echo "not ok - $name differs from tests/golden/$name.nft:"
		diff -u "$srcdir/tests/golden/$name.nft" "$tmp/$name.nft" | head -40
		fail=$((fail + 1))
	fi
	# stable from run to run
	(cd "$(dirname "$policy")" &&
	 "$L3NFT" compile --cgroup-mount /sys/fs/cgroup "$(basename "$policy")") \
		>"$tmp/$name.again" 2>/dev/null
	if cmp -s "$tmp/$name.nft" "$tmp/$name.again"; then
		echo "ok - $name: two runs print the same"; pass=$((pass + 1))
	else
		echo "not ok - $name: output changes between runs"; fail=$((fail + 1))
	fi
}

check minimal "$srcdir/rules/minimal.yaml"
check example "$srcdir/rules/example.yaml"
# a main file and its drop-ins (l3nft.d/ next to it), merged in name order
check dropin "$srcdir/tests/dropin/ok/l3nft.yaml"
sh "$srcdir/rules/gen-large.sh" 1000 >"$tmp/large.yaml"
check large "$tmp/large.yaml"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
