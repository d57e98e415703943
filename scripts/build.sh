#!/bin/sh
# Configures and builds l3nft in the source tree with warnings as errors.
# Extra arguments go to configure (e.g. --enable-sanitizers).
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] || autoreconf -fi
if [ ! -f Makefile ] || [ "$*" != "$(cat .configure-args 2>/dev/null)" ]; then
	./configure --enable-werror "$@"
	printf '%s' "$*" > .configure-args
fi
make -j"$(nproc)"
