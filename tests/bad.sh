#!/bin/sh
# Bad-input corpus: `l3nft check NAME.yaml`, run inside tests/bad so that
# messages name the file bare, must print exactly NAME.expect on stderr,
# nothing on stdout, and exit with the status in NAME.status, within one
# second. Inputs too large to check in are written by NAME.gen (sh
# NAME.gen OUTPUT) into a scratch directory and checked from there.
#
#   L3NFT=/path/to/l3nft srcdir=/path/to/src sh tests/bad.sh
#
# To write the .expect of a new case, check its output by hand first:
#   cd tests/bad && l3nft check NAME.yaml 2>NAME.expect; echo $? >NAME.status
set -u
: "${L3NFT:?set L3NFT to the l3nft binary}" "${srcdir:?set srcdir}"
case $L3NFT in /*) ;; *) L3NFT=$(pwd)/$L3NFT ;; esac
case $srcdir in /*) ;; *) srcdir=$(pwd)/$srcdir ;; esac
dir=$srcdir/tests/bad
pass=0 fail=0
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 2' INT TERM

not_ok() { # name reason
	echo "not ok - $1: $2"
	fail=$((fail + 1))
}

# run NAME: checks one case
run() {
	name=$1
	if [ -f "$dir/$name.yaml" ]; then
		where=$dir
	elif [ -f "$dir/$name.gen" ]; then
		where=$tmp
		if ! sh "$dir/$name.gen" "$tmp/$name.yaml"; then
			not_ok "$name" "$name.gen failed"
			return
		fi
	else
		not_ok "$name" "neither $name.yaml nor $name.gen"
		return
	fi
	if [ ! -f "$dir/$name.status" ]; then
		not_ok "$name" "no $name.status"
		return
	fi
	want=$(cat "$dir/$name.status")
	# a bound for blow-ups (quadratic work on 50,000 keys takes minutes),
	# not a measurement: speed is measured by bench/, and a loaded
	# machine makes 0.5 s of CPU take seconds
	(cd "$where" && exec timeout 20 "$L3NFT" check "$name.yaml") \
		>"$tmp/out" 2>"$tmp/err"
	got=$?
	rm -f "$tmp/$name.yaml"
	if [ "$got" = 124 ]; then
		not_ok "$name" "took more than 20 s"
	elif [ "$got" != "$want" ]; then
		not_ok "$name" "exit status $got, expected $want"
		head -n 20 "$tmp/err" | sed 's/^/  /'
	elif [ -s "$tmp/out" ]; then
		not_ok "$name" "wrote to stdout"
	elif ! cmp -s "$tmp/err" "$dir/$name.expect"; then
		not_ok "$name" "stderr differs from $name.expect"
		diff -u "$dir/$name.expect" "$tmp/err" | head -n 40 | sed 's/^/  /'
	else
		echo "ok - $name"
		pass=$((pass + 1))
	fi
}

found=0
for expect in "$dir"/*.expect; do
	[ -f "$expect" ] || continue
	found=1
	name=$(basename "$expect" .expect)
	run "$name"
done
[ "$found" = 1 ] || not_ok "tests/bad" "no cases in $dir"
# an input without its expected output would never be checked
for input in "$dir"/*.yaml "$dir"/*.gen; do
	[ -f "$input" ] || continue
	name=$(basename "$input")
	name=${name%.*}
	[ -f "$dir/$name.expect" ] || not_ok "$name" "no $name.expect"
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
