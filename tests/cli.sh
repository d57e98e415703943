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
# l3nftd: the same long names
L3NFTD=${L3NFTD:-$(dirname "$L3NFT")/l3nftd}
is "l3nftd --version exits 0" "$(rc "$L3NFTD" --version)" 0
is "l3nftd --version says its version" "$("$L3NFTD" --version)" "$("$L3NFTD" -V)"
is "l3nftd --help exits 0" "$(rc "$L3NFTD" --help)" 0
"$L3NFTD" --help | grep -q -- "--config FILE" && ok "l3nftd --help names --config" ||
	not_ok "l3nftd --help names --config"
is "l3nftd with an unknown option exits 1" "$(rc "$L3NFTD" --nosuch)" 1
is "l3nftd with an operand exits 1" "$(rc "$L3NFTD" --config "$pol" "$pol")" 1
is "check --config FILE" "$(rc "$L3NFT" check --config "$pol")" 0
is "check FILE" "$(rc "$L3NFT" check "$pol")" 0
is "check -c FILE FILE is a usage error (1)" "$(rc "$L3NFT" check -c "$pol" "$pol")" 1
is "compile -c FILE prints the same as compile FILE" \
	"$("$L3NFT" compile -c "$pol" | cksum)" "$("$L3NFT" compile "$pol" | cksum)"
is "diff with an unknown option exits 2, not 1 (differs)" "$(rc "$L3NFT" diff --nosuch "$pol")" 2
is "diff -c FILE FILE exits 2" "$(rc "$L3NFT" diff -c "$pol" "$pol")" 2
is "apply with an unknown option exits 1" "$(rc "$L3NFT" apply --nosuch "$pol")" 1
# one parser of -c for every command: the same answers everywhere
is "compile --defines -c FILE prints the same as with FILE" \
	"$("$L3NFT" compile --defines -c "$pol" | cksum)" "$("$L3NFT" compile "$pol" --defines | cksum)"
is "names -c FILE prints the same as names FILE" \
	"$("$L3NFT" names -c "$pol")" "$("$L3NFT" names "$pol")"
is "names --config=FILE too" "$("$L3NFT" names --config="$pol")" "$("$L3NFT" names "$pol")"
is "names -c FILE FILE is a usage error (1)" "$(rc "$L3NFT" names -c "$pol" "$pol")" 1
is "status -c FILE FILE is a usage error (1)" "$(rc "$L3NFT" status -c "$pol" "$pol")" 1
is "sync NAME -c FILE FILE is a usage error (1)" "$(rc "$L3NFT" sync web -c "$pol" "$pol")" 1
is "sync -c FILE without NAME is a usage error (1)" "$(rc "$L3NFT" sync -c "$pol")" 1
is "exec NAME --config FILE looks NAME up in FILE" \
	"$("$L3NFT" exec nosuch --config "$pol" -- true 2>&1 | head -n 1)" \
	"l3nft exec: no namespace 'nosuch' in $pol"
is "exec -c FILE NAME (options first) the same" \
	"$("$L3NFT" exec -c "$pol" nosuch -- true 2>&1 | head -n 1)" \
	"l3nft exec: no namespace 'nosuch' in $pol"
is "an unknown option is refused by every command (compile)" "$(rc "$L3NFT" compile --nosuch "$pol")" 1

# ---- messages: the policy file is named only when it is the cause ----
# contains DESC TEXT PATTERN: grep -E on a string
contains() { if printf '%s\n' "$2" | grep -Eq -- "$3"; then ok "$1"; else not_ok "$1 (got '$2')"; fi; }
tmp=$(mktemp -d) || exit 2
netns=
cleanup() { [ -n "$netns" ] && ip netns del "$netns" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 2' INT TERM
contains "a policy that cannot be read is named, without a line" \
	"$("$L3NFT" check "$tmp/none.yaml" 2>&1)" "^$tmp/none.yaml: error: cannot read: No such file"
contains "names without a namespace name is a usage error naming the command" \
	"$("$L3NFT" names "$pol" "$pol" 2>&1)" "^l3nft names: too many arguments"
is "names prints the namespaces of the policy" "$("$L3NFT" names "$pol")" web
is "names of an invalid policy prints nothing and exits 1" \
	"$("$L3NFT" names "$srcdir/tests/bad/empty.yaml" 2>/dev/null; echo $?)" 1
# As an unprivileged user, in a scratch network namespace (the machine's
# own is never touched): the kernel's refusal is the cause, not the file.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 && command -v ip >/dev/null 2>&1 &&
	ip netns add "l3cli-$$" 2>/dev/null; then
	netns=l3cli-$$
	nobody() { nsenter --net="/run/netns/$netns" setpriv --reuid=65534 --regid=65534 \
		--clear-groups env L3NFT_RUNDIR="$tmp/run" "$L3NFT" "$@" 2>&1; }
	mkdir "$tmp/run" && chmod 755 "$tmp/run"
	out=$(nobody diff "$pol")
	contains "diff without CAP_NET_ADMIN: 'l3nft diff:', not the file, and the hint" \
		"$out" "^l3nft diff: error: nf_tables netlink: Operation not permitted; needs root \\(CAP_NET_ADMIN\\)$"
	is "  and exits 2" "$(nobody diff "$pol" >/dev/null; echo $?)" 2
	contains "status without CAP_NET_ADMIN: 'l3nft status:' and the hint" \
		"$(nobody status "$pol")" "^l3nft status: error: .*needs root \\(CAP_NET_ADMIN\\)$"
	contains "apply that cannot take the lock names the lock, not the file" \
		"$(nobody apply "$pol")" "^l3nft apply: error: locking in $tmp/run: Permission denied; needs root$"
	# an interface name that is close to one that exists (the scratch
	# netns has only lo): diff, as root, reads and changes nothing
	printf 'version: 1\nsocket_layer: off\nnamespaces:\n  web:\n    cgroup: l3cli-%s/web\n    interface: lo0\n    addresses: [192.0.2.10/24]\n' $$ \
		>"$tmp/typo.yaml"
	out=$(cd "$tmp" && nsenter --net="/run/netns/$netns" env L3NFT_RUNDIR="$tmp/run" \
		"$L3NFT" diff typo.yaml 2>&1 >/dev/null)
	contains "diff suggests an interface that exists, at the interface's line" "$out" \
		"^typo.yaml:6:16: warning: interface 'lo0' does not exist yet \\(did you mean 'lo'\\?\\): namespace 'web' has no addresses until it does"
	# the man page's example of a table of one's own, with the marks of
	# the example policy (it has a namespace web): nft -c checks it
	"$L3NFT" compile --defines "$srcdir/rules/example.yaml" >"$tmp/marks.nft"
	sed -n '/tests\/cli.sh loads this example/,/^\.EE/p' "$srcdir/man/l3nft.8" |
		sed '1,2d;$d' | sed 's/\\-/-/g' |
		sed "s|\"/etc/nftables.d/l3nft-marks.nft\"|\"$tmp/marks.nft\"|" >"$tmp/mine.nft"
	contains "l3nft.8's example includes the defines and rate-limits web" \
		"$(cat "$tmp/mine.nft")" 'include ".*marks.nft"(.|\n)*'
	grep -q '\$l3_web limit rate over' "$tmp/mine.nft" && ok "  (its rule uses \$l3_web)" ||
		not_ok "  (its rule uses \$l3_web): example not found in man/l3nft.8"
	if out=$(nsenter --net="/run/netns/$netns" nft -c -f "$tmp/mine.nft" 2>&1); then
		ok "l3nft.8's --defines example loads (nft -c, scratch netns)"
	else
		not_ok "l3nft.8's --defines example loads (nft -c, scratch netns): $out"
	fi
else
	echo "# not root, or no setpriv/ip: the privilege messages and the man example are not checked"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
