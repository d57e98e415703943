#!/bin/sh
# Builds the libFuzzer targets of tests/fuzz with ASan and UBSan into
# BINDIR (default: tests/fuzz/bin of the build tree). Run it after
# ./configure: the sources include config.h.
#
#   sh tests/fuzz/build.sh [BINDIR]
#
# CC (default clang-14) must understand -fsanitize=fuzzer. The build tree
# is the current directory when it holds config.h (VPATH builds), else the
# source tree.
set -eu

fuzzdir=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$fuzzdir/../.." && pwd)
if [ -f ./config.h ]; then
	builddir=$(pwd)
elif [ -f "$srcdir/config.h" ]; then
	builddir=$srcdir
else
	echo "build.sh: no config.h here or in $srcdir; run ./configure first" >&2
	exit 2
fi
bindir=${1:-$builddir/tests/fuzz/bin}
CC=${CC:-clang-14}
TARGETS="fuzz_policy fuzz_listen fuzz_ctl fuzz_stats"

# UBSan must abort, not print and go on, or libFuzzer never sees the bug.
san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
cflags="-g -O1 -std=gnu11 $san -I $builddir -I $srcdir/include"
libs="-lyaml -lnftnl -lmnl"

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "build.sh: $CC not found (Debian: apt-get install clang-14 libclang-rt-14-dev)" >&2
	exit 2
fi
mkdir -p "$bindir/obj"

# The parsers once, instrumented for coverage but without libFuzzer's
# main: the compiler layer and the control-protocol codec, nothing that
# talks to the system. Each target then links them with -fsanitize=fuzzer.
objs=
for src in "$srcdir"/compiler/*.c "$srcdir"/kernel/ctl.c "$srcdir"/kernel/rundir.c; do
	name=$(basename "$src" .c)
	obj=$bindir/obj/$name.o
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$builddir/config.h" -nt "$obj" ] ||
	   [ -n "$(find "$srcdir/include" -name '*.h' -newer "$obj")" ]; then
		$CC $cflags -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
	fi
	objs="$objs $obj"
done

for t in $TARGETS; do
	$CC $cflags -fsanitize=fuzzer "$fuzzdir/$t.c" $objs $libs -o "$bindir/$t"
done
echo "build.sh: $TARGETS in $bindir"
