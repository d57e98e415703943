#!/bin/sh
# Installs every Debian package that building l3nft, its test suite and
# its demo need. Used by both README commands and by .ci/run, so that a
# fresh Debian 12 machine (as root) needs nothing else.
set -eu
PKGS="build-essential autoconf automake libtool pkg-config
      libnftnl-dev libmnl-dev libnetfilter-queue-dev libyaml-dev libjansson-dev check
      nftables iproute2 socat procps util-linux python3 iputils-ping
      groff-base mandoc systemd valgrind clang-14 libclang-rt-14-dev
      libbpf-dev bpftool linux-libc-dev"
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: must run as root (apt-get)" >&2
	exit 2
fi
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi
