#!/bin/sh
# The README's first command: on a fresh Debian 12 machine, as root,
# installs what is needed, builds l3nft and runs the live demo in scratch
# network namespaces (the machine's own network is not touched).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/scripts/install-deps.sh"
sh "$top/scripts/build.sh"
exec sh "$top/scripts/demo-run.sh"
