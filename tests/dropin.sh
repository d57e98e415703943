#!/bin/sh
# Drop-in files: each case is a directory tests/dropin/NAME holding a
# main policy l3nft.yaml and its l3nft.d/; `l3nft check l3nft.yaml`, run
# inside it so that messages name the files as the user would see them,
# must print exactly NAME/expect on stderr and exit with NAME/status.
# Every command reads the same set: compile, names and exec's lookup are
# checked on the valid case "ok" (its table is also a golden file, see
# tests/golden.sh).
#
#   L3NFT=/path/to/l3nft srcdir=/path/to/src sh tests/dropin.sh
#
# To write a new case's expect, check its output by hand first:
#   cd tests/dropin/NAME && l3nft check l3nft.yaml 2>expect; echo $? >status
set -u
: "${L3NFT:?set L3NFT to the l3nft binary}" "${srcdir:?set srcdir}"
case $L3NFT in /*) ;; *) L3NFT=$(pwd)/$L3NFT ;; esac
case $srcdir in /*) ;; *) srcdir=$(pwd)/$srcdir ;; esac
dir=$srcdir/tests/dropin
pass=0 fail=0
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 2' INT TERM
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }
is() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (got '$2', expected '$3')"; fi; }

for case_dir in "$dir"/*/; do
	name=$(basename "$case_dir")
	(cd "$case_dir" && exec timeout 5 "$L3NFT" check l3nft.yaml) >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" != "$(cat "$case_dir/status")" ]; then
		not_ok "$name: exit status $got, expected $(cat "$case_dir/status")"
		sed 's/^/  /' "$tmp/err"
	elif [ -s "$tmp/out" ] || ! cmp -s "$tmp/err" "$case_dir/expect"; then
		not_ok "$name: output differs from $name/expect"
		diff -u "$case_dir/expect" "$tmp/err" | sed 's/^/  /'
	else
		ok "$name"
	fi
done

# the valid set, from elsewhere: the drop-in directory is found next to
# the main file, not in the working directory
main=$dir/ok/l3nft.yaml
is "check with an absolute path reads the drop-ins next to it" \
	"$(cd / && "$L3NFT" check "$main" 2>&1; echo $?)" 0
is "names lists the main file's namespaces, then the drop-ins' in name order" \
	"$("$L3NFT" names "$main" | tr '\n' ' ')" "web mail db "
is "names -c FILE is the same" "$("$L3NFT" names -c "$main" | tr '\n' ' ')" "web mail db "
"$L3NFT" compile "$main" >"$tmp/ok.nft"
grep -q 'chain ns_db ' "$tmp/ok.nft" && ok "compile includes a drop-in's namespace" ||
	not_ok "compile includes a drop-in's namespace"
grep -q '0x00030000 . tcp . 5432' "$tmp/ok.nft" && ok "a drop-in's expose reaches the table" ||
	not_ok "a drop-in's expose reaches the table"
if grep -q '192.0.2.99' "$tmp/ok.nft"; then
	not_ok "hidden files and *.yaml.dpkg-old are not drop-ins"
else
	ok "hidden files and *.yaml.dpkg-old are not drop-ins"
fi
# exec looks NAME up in the same set (a name it does not find creates
# no cgroup: nothing of the machine's is touched)
"$L3NFT" exec nosuch -c "$main" -- true >/dev/null 2>"$tmp/exec.err"
grep -q "namespaces in the policy: web mail db" "$tmp/exec.err" &&
	ok "exec lists the drop-ins' namespaces among the known ones" ||
	not_ok "exec lists the drop-ins' namespaces among the known ones"
# messages after loading name the drop-in too: diff's interface
# did-you-mean (in a network namespace of its own, which has only lo:
# diff reads an empty table and changes nothing), and l3nftd's log of a
# policy that does not load (it exits before touching anything; still in
# namespaces of its own, as the e2e harness runs it)
if [ "$(id -u)" = 0 ] && unshare -n -m true 2>/dev/null; then
	mkdir -p "$tmp/run"
	(cd "$dir/iface-typo" && L3NFT_RUNDIR="$tmp/run" exec timeout 10 unshare -n \
		"$L3NFT" diff l3nft.yaml) >/dev/null 2>"$tmp/diff.err"
	is "diff: a drop-in's interface typo is named at the drop-in's line" \
		"$(grep "did you mean" "$tmp/diff.err")" \
		"l3nft.d/10-db.yaml:4:16: warning: interface 'lo0' does not exist yet (did you mean 'lo'?): namespace 'db' has no addresses until it does (l3nftd adds them when it appears)"
	l3nftd=$(dirname "$L3NFT")/l3nftd
	(cd "$dir/address-twice" && L3NFT_RUNDIR="$tmp/run" exec timeout 10 unshare -n -m \
		"$l3nftd" -f -c l3nft.yaml) >/dev/null 2>"$tmp/d.err"
	is "l3nftd refuses a drop-in set with errors (exit 2)" "$?" 2
	is "l3nftd's log names each drop-in, and the files the messages refer to" \
		"$(grep -o 'l3nft\.d/[^ ]*: error: .*' "$tmp/d.err" | sed 's|/[^ ]*/tests/dropin/address-twice/||g')" \
		"$(grep ': error: ' "$dir/address-twice/expect")"
else
	echo "# skip: diff and l3nftd with drop-ins need root and unshare"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
