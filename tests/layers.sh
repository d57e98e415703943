#!/bin/sh
# The layering of the source tree, checked over the #include lines: a layer
# includes only its own headers and those of the layers below it.
#
#   compiler/  include/l3nft/compiler/            (nothing that touches the system)
#   kernel/    + include/l3nft/kernel/            (talks to the running system)
#   cli/       + include/l3nft/cli/               (the l3nft commands)
#   daemon/    compiler and kernel headers, and its own daemon/l3nftd.h; never cli/
#   bpf/       compiled for the BPF target: only its own headers (and <uapi>);
#              kernel/ may include bpf/'s map header and the generated skeleton
#
# A header under include/l3nft/LAYER/ obeys LAYER's rule too. Prints
# "ok"/"not ok" per file and "N passed, N failed"; exits 1 on a violation.
set -u
top=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top" || exit 2
P=0 F=0

# allowed LAYER: the l3nft/ header folders LAYER may include
allowed()
{
	case $1 in
	compiler) echo "compiler" ;;
	kernel) echo "compiler kernel" ;;
	cli) echo "compiler kernel cli" ;;
	daemon) echo "compiler kernel" ;;
	esac
}

# check FILE LAYER
check()
{
	bad=
	for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1"); do
		case $inc in
		config.h) continue ;;
		l3nft/*/*)
			dir=${inc#l3nft/}
			dir=${dir%%/*}
			ok=no
			for a in $(allowed "$2"); do
				[ "$a" = "$dir" ] && ok=yes
			done
			[ $ok = yes ] || bad="$bad $inc"
			;;
		*)
			# a private header: the daemon's own, next to its sources;
			# bpf/'s own; for kernel/, bpf/'s and its skeleton
			case $2:$inc in
			daemon:*) [ -f "daemon/$inc" ] || bad="$bad $inc" ;;
			bpf:*) [ -f "bpf/$inc" ] || bad="$bad $inc" ;;
			kernel:l3nft_sock.skel.h) ;;
			kernel:*) [ -f "bpf/$inc" ] || bad="$bad $inc" ;;
			*) bad="$bad $inc" ;;
			esac
			;;
		esac
	done
	if [ -n "$bad" ]; then
		F=$((F + 1))
		echo "not ok - $1 ($2) includes:$bad"
	else
		P=$((P + 1))
		echo "ok - $1"
	fi
}

for layer in compiler kernel cli daemon bpf; do
	for f in $layer/*.c $layer/*.h include/l3nft/$layer/*.h; do
		[ -f "$f" ] && check "$f" "$layer"
	done
done
# every header sits in a layer's folder
for h in include/l3nft/*.h; do
	[ -f "$h" ] || continue
	F=$((F + 1))
	echo "not ok - $h belongs to no layer (include/l3nft/LAYER/)"
done
echo "$P passed, $F failed"
[ "$F" -eq 0 ]
