#!/bin/sh
# Shipping: the systemd units and the example drop-in pass
# `systemd-analyze verify` (in a scratch root with stand-in binaries, so
# nothing is ever put into /usr/sbin), the default policy
# etc/l3nft.yaml is valid and defines no namespace, the examples in its
# comments and in the drop-in are valid policies, and the bash completion
# completes what it should. Needs no root and changes nothing on the
# machine. Prints "N passed, N failed" last; exits non-zero on failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${srcdir:=$(cd "$here/.." && pwd)}"
: "${L3NFT:=$srcdir/l3nft}"
pass=0 fail=0
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds
check() {
	d=$1; shift
	if "$@" >"$tmp/out" 2>&1; then ok "$d"; else not_ok "$d"; sed 's/^/# /' "$tmp/out"; fi
}

units="l3nft.service l3nftd.service"

# The units as `make` renders them from systemd/*.service.in for the
# usual paths (configure --prefix=/usr --sysconfdir=/etc).
mkdir -p "$tmp/units"
for u in $units; do
	sed -e 's|@sbindir[@]|/usr/sbin|g' -e 's|@sysconfdir[@]|/etc|g' \
		"$srcdir/systemd/$u.in" >"$tmp/units/$u"
	if grep -n '@[a-z_]*@' "$tmp/units/$u" >"$tmp/out"; then
		not_ok "systemd/$u.in: unsubstituted variables:"; sed 's/^/# /' "$tmp/out"
	else
		ok "systemd/$u.in renders with no @variable@ left"
	fi
done

# ---- systemd units -------------------------------------------------------
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "# systemd-analyze not found (install systemd): unit verification skipped"
else
	# A scratch root: the units in etc/systemd/system, the drop-in for a
	# stand-in web.service, the distribution's units (targets etc.), and
	# stand-ins for the programs that ExecStart= and friends name.
	root=$tmp/root
	mkdir -p "$root/usr/sbin" "$root/bin" "$root/usr/lib/systemd/system" \
		"$root/etc/systemd/system/web.service.d"
	for d in /usr/lib/systemd/system /lib/systemd/system; do
		[ -d "$d" ] && cp -a "$d/." "$root/usr/lib/systemd/system/"
	done
	for p in usr/sbin/l3nft usr/sbin/l3nftd bin/kill; do
		printf '#!/bin/sh\nexit 0\n' >"$root/$p"
		chmod 755 "$root/$p"
	done
	for u in $units; do
		cp "$tmp/units/$u" "$root/etc/systemd/system/"
	done
	cp "$srcdir/systemd/examples/l3nft-web.slice" "$root/etc/systemd/system/"
	cp "$srcdir/systemd/examples/web.service.d/l3nft.conf" \
		"$root/etc/systemd/system/web.service.d/"
	printf '[Unit]\nDescription=stand-in\n[Service]\nExecStart=/usr/sbin/l3nft status\n' \
		>"$root/etc/systemd/system/web.service"

	# verify exits 0 even on unknown keys: any output is a failure.
	verify() { # unit
		(cd "$root" && systemd-analyze verify --man=no --root="$root" "$1") >"$tmp/out" 2>&1
		st=$?
		if [ "$st" -eq 0 ] && [ ! -s "$tmp/out" ]; then
			ok "systemd-analyze verify $2"
		else
			not_ok "systemd-analyze verify $2 (exit $st):"; sed 's/^/# /' "$tmp/out"
		fi
	}
	# the setup must catch mistakes: a unit with one bad key fails
	cp "$root/etc/systemd/system/l3nftd.service" "$root/etc/systemd/system/bad.service"
	echo 'ProtectSytem=strict' >>"$root/etc/systemd/system/bad.service"
	if (cd "$root" && systemd-analyze verify --man=no --root="$root" bad.service) 2>&1 |
		grep -q ProtectSytem; then
		ok "systemd-analyze verify reports a bad key (the check is real)"
	else
		not_ok "systemd-analyze verify does not report a bad key in this setup"
	fi
	rm -f "$root/etc/systemd/system/bad.service"

	verify l3nft.service systemd/l3nft.service
	verify l3nftd.service systemd/l3nftd.service
	verify l3nft-web.slice systemd/examples/l3nft-web.slice
	verify web.service "systemd/examples/web.service.d/l3nft.conf (drop-in on a web.service)"

	# the drop-in really takes effect: the stand-in runs in the slice
	if (cd "$root" && systemd-analyze cat-config --root="$root" systemd/system/web.service) \
		2>/dev/null | grep -q '^Slice=l3nft-web.slice'; then
		ok "the drop-in is read for web.service"
	else
		not_ok "systemd does not read the drop-in for web.service"
	fi

	if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
		for u in $units; do
			if (cd "$root" && systemd-analyze security --offline=yes --threshold=30 \
				--root="$root" "$u") >"$tmp/out" 2>&1; then
				ok "systemd-analyze security: $u $(grep -o 'exposure level.*' "$tmp/out")"
			else
				not_ok "systemd-analyze security: $u exposure above 3.0:"
				tail -n 3 "$tmp/out" | sed 's/^/# /'
			fi
		done
	else
		echo "# systemd-analyze security --offline not supported here: exposure not checked"
	fi
fi

# What the units must say, whatever systemd-analyze thinks of them.
# systemd/X.service means the rendered unit
path_of() { case $1 in systemd/*.service) echo "$tmp/units/${1#systemd/}" ;; *) echo "$srcdir/$1" ;; esac; }
has() { # file regex description
	if grep -Eq "$2" "$(path_of "$1")"; then ok "$1: $3"; else not_ok "$1: $3 (no line matching '$2')"; fi
}
hasnt() {
	if grep -Eq "$2" "$(path_of "$1")"; then not_ok "$1: $3"; else ok "$1: $3"; fi
}
has systemd/l3nft.service '^Type=oneshot$' "oneshot"
has systemd/l3nft.service '^RemainAfterExit=yes$' "stays active"
has systemd/l3nft.service '^DefaultDependencies=no$' "early boot"
has systemd/l3nft.service '^Before=.*network-pre\.target' "before network-pre.target"
has systemd/l3nft.service '^Wants=network-pre\.target$' "pulls network-pre.target in"
has systemd/l3nft.service '^Wants=l3nftd\.service$' "pulls l3nftd.service in"
has systemd/l3nft.service '^After=nftables\.service$' "after nftables.service (its flush ruleset)"
has systemd/l3nft.service '^ExecStart=/usr/sbin/l3nft apply /etc/l3nft/l3nft\.yaml$' "apply at start"
has systemd/l3nft.service '^ExecReload=/usr/sbin/l3nft apply /etc/l3nft/l3nft\.yaml$' "apply at reload"
has systemd/l3nft.service '^ExecStop=/usr/sbin/l3nft delete /etc/l3nft/l3nft\.yaml$' "delete at stop"
has systemd/l3nftd.service '^Type=notify$' "Type=notify"
has systemd/l3nftd.service '^ExecStart=/usr/sbin/l3nftd -f -c /etc/l3nft/l3nft\.yaml$' "runs l3nftd -f -c"
has systemd/l3nftd.service '^ExecReload=/bin/kill -HUP \$MAINPID$' "SIGHUP at reload"
has systemd/l3nftd.service '^Requires=l3nft\.service$' "requires l3nft.service"
has systemd/l3nftd.service '^After=l3nft\.service$' "after l3nft.service"
has systemd/l3nftd.service '^RuntimeDirectory=l3nft$' "/run/l3nft"
has systemd/l3nftd.service '^CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW$' "only CAP_NET_ADMIN and CAP_NET_RAW"
has systemd/l3nftd.service '^ProtectSystem=strict$' "read-only system"
has systemd/l3nftd.service '^RestrictAddressFamilies=.*AF_NETLINK' "may use netlink"
hasnt systemd/l3nftd.service '^PrivateNetwork=' "shares the host's network (no PrivateNetwork=)"
hasnt systemd/l3nftd.service '^ProtectProc=invisible' "sees its peers' /proc/PID/cgroup"
for f in systemd/l3nft.service systemd/l3nftd.service systemd/examples/l3nft-web.slice; do
	for ref in $(sed -n 's/^Documentation=//p' "$(path_of "$f")"); do
		case $ref in
		man:l3nft*)
			page=${ref#man:} name=${page%(*} sect=${page#*(} sect=${sect%)}
			if [ -f "$srcdir/man/$name.$sect" ]; then
				ok "$f: Documentation=$ref exists"
			else
				not_ok "$f: Documentation=$ref: no man/$name.$sect"
			fi ;;
		esac
	done
done

# ---- policies --------------------------------------------------------------
if [ -x "$L3NFT" ]; then
	check "etc/l3nft.yaml is a valid policy" "$L3NFT" check "$srcdir/etc/l3nft.yaml"
	if "$L3NFT" compile --cgroup-mount /sys/fs/cgroup "$srcdir/etc/l3nft.yaml" >"$tmp/default.nft" 2>&1 &&
		grep -q '^table inet l3nft {' "$tmp/default.nft" && ! grep -q 'elements' "$tmp/default.nft"; then
		ok "etc/l3nft.yaml compiles to a table without namespaces"
	else
		not_ok "etc/l3nft.yaml: compile failed or names a namespace:"; head -20 "$tmp/default.nft"
	fi
	# the example in its comments, uncommented, is valid
	sed -n '/^# namespaces:/,/^namespaces:/p' "$srcdir/etc/l3nft.yaml" | sed '$d' |
		sed 's/^# \{0,1\}//' >"$tmp/ex-body.yaml"
	{ echo 'version: 1'; cat "$tmp/ex-body.yaml"; } >"$tmp/ex.yaml"
	if [ "$(grep -c '^  [a-z]' "$tmp/ex.yaml")" -ge 1 ]; then
		check "the example in etc/l3nft.yaml's comments is a valid policy" "$L3NFT" check "$tmp/ex.yaml"
	else
		not_ok "no example namespace found in etc/l3nft.yaml's comments"
	fi
	# the policy in the drop-in's comment, too
	sed -n '/^#   namespaces:/,/^#$/p' "$srcdir/systemd/examples/web.service.d/l3nft.conf" |
		sed -e '/^#$/d' -e 's/^#   //' >"$tmp/dropin-body.yaml"
	{ echo 'version: 1'; cat "$tmp/dropin-body.yaml"; } >"$tmp/dropin.yaml"
	if grep -q 'cgroup: l3nft.slice/l3nft-web.slice' "$tmp/dropin.yaml"; then
		check "the policy in web.service.d/l3nft.conf's comment is valid" "$L3NFT" check "$tmp/dropin.yaml"
	else
		not_ok "no policy with cgroup l3nft.slice/l3nft-web.slice in the drop-in's comment"
	fi
else
	not_ok "no l3nft binary at $L3NFT (build first, or set L3NFT): policies not checked"
fi

# ---- bash completion -------------------------------------------------------
comp=$srcdir/completion/l3nft.bash
if ! command -v bash >/dev/null 2>&1; then
	not_ok "bash not found: completion not tested"
else
	mkdir -p "$tmp/cwd/sub"
	: >"$tmp/cwd/a.yaml"; : >"$tmp/cwd/b.yml"; : >"$tmp/cwd/notes.txt"
	# a policy with 4-space indentation, names with digits, - and _
	printf 'version: 1\nnamespaces:\n    w3b-1:\n        addresses: [192.0.2.1/24]\n        interface: eth0\n    db_2:\n        addresses: [192.0.2.2/24]\n        interface: eth0\ntable: t\n' \
		>"$tmp/cwd/four.yaml"
	cp "$srcdir/rules/example.yaml" "$tmp/cwd/example.yaml"
	# flow mappings, and a drop-in next to the policy (l3nft names reads both)
	mkdir -p "$tmp/cwd/sub/l3nft.d"
	printf 'version: 1\nnamespaces: {alpha: {addresses: [192.0.2.1/24]}, "beta": {addresses: [192.0.2.2/24]}}\n' \
		>"$tmp/cwd/sub/p.yaml"
	printf 'namespaces:\n  gamma: {addresses: [192.0.2.3/24]}\n' >"$tmp/cwd/sub/l3nft.d/10-g.yaml"

	# complete EXPECTED WORDS...: the last word is the one being completed
	# (may be ""); EXPECTED is the sorted replies joined by spaces. With
	# BASH_COMPLETION set, the bash-completion library is loaded first.
	complete_is() {
		want=$1; shift
		got=$(cd "$tmp/cwd" && L3NFT_COMPLETION_POLICY=$tmp/cwd/example.yaml \
			L3NFT_COMPLETION_BIN=$L3NFT \
			bash --norc --noprofile -c '
			[ -n "${BASH_COMPLETION_LIB:-}" ] && . "$BASH_COMPLETION_LIB"
			. "$0"
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
			COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
			f=_l3nft; [ "$1" = l3nftd ] && f=_l3nftd
			$f "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
			printf "%s\n" "${COMPREPLY[@]}"' "$comp" "$@" 2>"$tmp/err" |
			LC_ALL=C sort -u | tr '\n' ' ' | sed 's/ $//')
		# compopt outside a real completion complains; nothing else may
		if grep -v 'compopt: not currently executing completion function' "$tmp/err" >"$tmp/err2"; then
			not_ok "complete ${lib:+($lib) }'$*|' writes to stderr:"; sed 's/^/# /' "$tmp/err2"
		elif [ "$got" = "$want" ]; then
			ok "complete ${lib:+($lib) }'$*|' -> $want"
		else
			not_ok "complete ${lib:+($lib) }'$*|': want '$want', got '$got'"
		fi
	}
	run_completion_tests() {
		complete_is "apply check compile delete diff exec listen listeners status sync unlisten" l3nft ""
		complete_is "delete diff" l3nft d
		complete_is "listen listeners" l3nft lis
		complete_is "--help --version -V -h" l3nft -
		complete_is "--dry-run --force -c -v" l3nft apply -
		complete_is "--dry-run --force -c -v" l3nft delete -
		complete_is "-c -v" l3nft diff -
		complete_is "--check --format --json -c" l3nft status -
		complete_is "--json" l3nft listeners -
		complete_is "--cgroup-mount --defines" l3nft compile --
		complete_is "-- --keep-net-raw --user -c -u" l3nft exec web -
		complete_is "db mail web" l3nft sync ""
		complete_is "four.yaml" l3nft sync web f
		complete_is "four.yaml" l3nft status -c f
		complete_is "a.yaml b.yml example.yaml four.yaml sub" l3nft check ""
		complete_is "a.yaml" l3nft apply --dry-run a
		complete_is "" l3nft check a.yaml ""
		complete_is "sub" l3nft compile --cgroup-mount s
		complete_is "db mail web" l3nft exec ""
		complete_is "mail" l3nft listen m
		complete_is "db mail web" l3nft unlisten ""
		complete_is "db_2 w3b-1" l3nft exec -c four.yaml ""
		complete_is "w3b-1" l3nft listen -c four.yaml w
		complete_is "alpha beta gamma" l3nft exec -c sub/p.yaml ""
		complete_is "gamma" l3nft sync --config sub/p.yaml g
		complete_is "" l3nft exec -c "$srcdir/etc/l3nft.yaml" ""
		complete_is "" l3nft exec -c no-such-file.yaml ""
		complete_is "a.yaml b.yml example.yaml four.yaml sub" l3nft exec web -c ""
		complete_is "broadcast:" l3nft listen web b
		complete_is "sha256sum" l3nft exec web -- sha256su
		complete_is "-c -f" l3nftd -
		complete_is "four.yaml" l3nftd -c f
	}
	lib=
	run_completion_tests
	# with the bash-completion package's library too, where installed
	for BASH_COMPLETION_LIB in /usr/share/bash-completion/bash_completion; do
		[ -r "$BASH_COMPLETION_LIB" ] || { echo "# bash-completion not installed: tested without it only"; break; }
		export BASH_COMPLETION_LIB
		lib=bash-completion
		run_completion_tests
	done
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
