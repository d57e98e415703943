#!/bin/sh
# Man pages: every command that `l3nft --help` lists is documented in
# l3nft(8), every policy key in l3nft.yaml(5), and every page formats
# without a single groff warning (and mandoc lint, where installed).
# A command or key counts as documented when the page sets it in bold:
# `.B word ...`, `.BR word ...`, `.BI word ...` or \fBword\fR.
set -u
: "${L3NFT:?set L3NFT to the l3nft binary}" "${srcdir:?set srcdir}"
pass=0 fail=0
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }

# Is $2 set in bold somewhere in page $1?
in_bold() {
	grep -Eq "^\.B[IR]?[[:space:]]+\"?$2([[:space:]\"]|\$)|\\\\fB$2\\\\f[RP]" "$1"
}

pages="l3nft.8 l3nft.yaml.5 l3nftd.8"
for p in $pages; do
	if [ -f "$srcdir/man/$p" ]; then ok "man/$p exists"; else not_ok "man/$p is missing"; fi
done

# Commands: the indented lines under "commands:" in the usage, first word.
if "$L3NFT" --help >"$tmp/help" 2>&1; then
	ok "l3nft --help exits 0"
else
	not_ok "l3nft --help exits non-zero"
fi
sed -n '/^commands:/,/^$/p' "$tmp/help" | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p' \
	>"$tmp/commands"
if [ -s "$tmp/commands" ]; then
	ok "l3nft --help lists $(wc -l <"$tmp/commands" | tr -d ' ') commands"
else
	not_ok "no commands found in l3nft --help output:"; cat "$tmp/help"
fi
while read -r cmd; do
	if in_bold "$srcdir/man/l3nft.8" "$cmd"; then
		ok "l3nft.8 documents command $cmd"
	else
		not_ok "l3nft.8 does not document command '$cmd' (listed by --help)"
	fi
done <"$tmp/commands"

# Policy keys, as SPEC.md lists them.
for key in version table mark_mask queue fail_open max_clients max_clients_per_uid namespaces \
	   id cgroup interface addresses address adopt loopback ping listen allow_listen max_registrations \
	   user capabilities expose quarantine; do
	if in_bold "$srcdir/man/l3nft.yaml.5" "$key"; then
		ok "l3nft.yaml.5 documents key $key"
	else
		not_ok "l3nft.yaml.5 does not document policy key '$key'"
	fi
done

# Formatting: any output of groff -ww is a warning.
if command -v groff >/dev/null 2>&1; then
	for p in $pages; do
		[ -f "$srcdir/man/$p" ] || continue
		if groff -ww -z -man "$srcdir/man/$p" >"$tmp/out" 2>&1 && [ ! -s "$tmp/out" ]; then
			ok "groff -ww: man/$p"
		else
			not_ok "groff -ww: man/$p:"; cat "$tmp/out"
		fi
	done
else
	not_ok "groff not found (install groff-base: scripts/install-deps.sh)"
fi
if command -v mandoc >/dev/null 2>&1; then
	for p in $pages; do
		[ -f "$srcdir/man/$p" ] || continue
		if mandoc -Tlint "$srcdir/man/$p" >"$tmp/out" 2>&1 && [ ! -s "$tmp/out" ]; then
			ok "mandoc -Tlint: man/$p"
		else
			not_ok "mandoc -Tlint: man/$p:"; cat "$tmp/out"
		fi
	done
else
	echo "# mandoc not installed: lint skipped"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
