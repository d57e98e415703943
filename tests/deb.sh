#!/bin/sh
# The Debian package: builds it with `dpkg-buildpackage -us -uc -b` from a
# clean copy of the tree (the files git has, plus new ones it does not
# ignore) in a temporary directory, runs lintian on it, installs it with
# apt-get, uses it, purges it and checks that it is gone. As root (it
# installs packages); refuses to run where l3nft is already installed.
# Whatever happens, the temporary directory is removed and a package it
# installed is purged. Not part of `make check`: run it by hand or in CI.
# Prints "N passed, N failed" last; exits non-zero on failure.
set -u

# The packages this script needs, installed only when missing.
DEB_TOOLS="dpkg-dev debhelper fakeroot lintian man-db"
BUILD_DEPS="autoconf automake libtool pkg-config libnftnl-dev libmnl-dev
	libnetfilter-queue-dev libyaml-dev check"
install_missing() {
	missing=""
	for p in $DEB_TOOLS $BUILD_DEPS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing="$missing $p"
	done
	[ -n "$missing" ] || return 0
	echo "# installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing
}

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }
summary() { echo "$pass passed, $fail failed${1:+, $1 skipped}"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "# deb.sh installs and removes a package: run it as root"
	summary 1
	exit 77
fi
if dpkg-query -W -f='${Status}' l3nft 2>/dev/null | grep -q 'installed'; then
	echo "# the package l3nft is installed here: not touching it (apt-get purge l3nft first)"
	not_ok "l3nft is not installed before the test"
	summary; exit 1
fi
for f in /usr/sbin/l3nft /usr/sbin/l3nftd /etc/l3nft/l3nft.yaml; do
	if [ -e "$f" ]; then
		echo "# $f exists (make install?): not overwriting it"
		not_ok "$f does not exist before the test"
		summary; exit 1
	fi
done

tmp=$(mktemp -d) || exit 2
installed=0
cleanup() {
	if [ "$installed" = 1 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq l3nft >/dev/null 2>&1 ||
			dpkg --purge l3nft >/dev/null 2>&1
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if install_missing >"$tmp/apt.log" 2>&1; then
	ok "build tools and build dependencies are installed"
else
	not_ok "installing the build tools failed:"; tail -20 "$tmp/apt.log"
	summary; exit 1
fi

# ---- a clean copy of the tree ----
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
src=$tmp/l3nft-${version%-*}
mkdir -p "$src"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z -co --exclude-standard) |
		(cd "$top" && xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\n" "$f"; done' sh) |
		(cd "$top" && tar -cf - -T -) | tar -C "$src" -xf -
else
	# a release tarball: all of it, less what a build left
	cp -a "$top/." "$src/"
	[ -f "$src/Makefile" ] && make -C "$src" -s distclean >/dev/null 2>&1
fi
if [ -f "$src/debian/rules" ] && [ -f "$src/configure.ac" ]; then
	ok "clean copy of the tree in $src"
else
	not_ok "copying the tree to $src"; summary; exit 1
fi

# ---- build ----
if (cd "$src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b"
else
	not_ok "dpkg-buildpackage -us -uc -b failed; the end of its log:"
	tail -40 "$tmp/build.log" | sed 's/^/# /'
	summary; exit 1
fi
deb=$(ls "$tmp"/l3nft_*.deb 2>/dev/null | head -n 1)
if [ -n "$deb" ]; then ok "built $(basename "$deb")"; else not_ok "no l3nft_*.deb"; summary; exit 1; fi
case " ${DEB_BUILD_OPTIONS:-} " in
*" nocheck "*) echo "# DEB_BUILD_OPTIONS has nocheck: the build ran no test" ;;
*)
if grep -q '^# TOTAL: *[1-9]' "$tmp/build.log" && grep -q '^# FAIL: *0' "$tmp/build.log"; then
	ok "the build ran the unit and golden tests: $(grep '^PASS:' "$tmp/build.log" | tr '\n' ' ')"
else
	not_ok "the build ran no test"
fi ;;
esac

# ---- lintian: no errors (warnings are printed) ----
lintian --fail-on error "$deb" >"$tmp/lintian.log" 2>&1
st=$?
sed 's/^/# lintian: /' "$tmp/lintian.log"
if [ "$st" -eq 0 ] && ! grep -q '^E:' "$tmp/lintian.log"; then
	ok "lintian reports no error"
else
	not_ok "lintian reports errors (exit $st)"
fi

# ---- contents ----
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$tmp/files"
for f in /usr/sbin/l3nft /usr/sbin/l3nftd /etc/l3nft/l3nft.yaml \
	 /usr/share/man/man8/l3nft.8.gz /usr/share/man/man8/l3nftd.8.gz \
	 /usr/share/man/man5/l3nft.yaml.5.gz \
	 /usr/share/bash-completion/completions/l3nft \
	 /usr/share/bash-completion/completions/l3nftd \
	 /usr/share/doc/l3nft/copyright \
	 /usr/share/doc/l3nft/examples/systemd/l3nft-web.slice \
	 /usr/share/doc/l3nft/examples/systemd/web.service.d/l3nft.conf; do
	if grep -qx "$f" "$tmp/files"; then ok "package has $f"; else not_ok "package lacks $f"; fi
done
for u in l3nft.service l3nftd.service; do
	if grep -Eqx "(/usr)?/lib/systemd/system/$u" "$tmp/files"; then
		ok "package has the unit $u"
	else
		not_ok "package lacks the unit $u"
	fi
done
mkdir -p "$tmp/control"
dpkg-deb -e "$deb" "$tmp/control"
if grep -qx /etc/l3nft/l3nft.yaml "$tmp/control/conffiles" 2>/dev/null; then
	ok "/etc/l3nft/l3nft.yaml is a conffile"
else
	not_ok "/etc/l3nft/l3nft.yaml is not a conffile"
fi
# neither unit is enabled or started at install: dh_installsystemd's
# --no-enable snippet only re-enables a unit the admin had enabled
# (inside "debian-installed"), and nothing starts one
pi=$tmp/control/postinst
for u in l3nft.service l3nftd.service; do
	if grep -q "deb-systemd-helper debian-installed '$u'" "$pi" 2>/dev/null &&
		! grep -q 'was-enabled defaults to true' "$pi"; then
		ok "postinst does not enable $u"
	else
		not_ok "postinst may enable $u:"; sed 's/^/# /' "$pi"
	fi
done
if grep -Eq 'deb-systemd-invoke (start|restart) |systemctl [^|]*[^-](start|restart) ' "$pi" 2>/dev/null; then
	not_ok "postinst starts a unit:"; grep -E 'deb-systemd-invoke|systemctl' "$pi" | sed 's/^/# /'
else
	ok "postinst starts no unit (only try-restart/try-reload of running ones)"
fi
if grep -q 'preinst-systemd-stop\|deb-systemd-invoke stop' "$tmp/control/preinst" 2>/dev/null; then
	not_ok "preinst stops a unit before an upgrade"
else
	ok "an upgrade does not stop l3nft.service"
fi

# ---- install, use, purge ----
if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$deb" \
	>"$tmp/install.log" 2>&1; then
	installed=1
	ok "apt-get install ./$(basename "$deb")"
else
	# half-installed counts as installed for the clean-up
	dpkg-query -W l3nft >/dev/null 2>&1 && installed=1
	not_ok "apt-get install failed:"; tail -20 "$tmp/install.log" | sed 's/^/# /'
	summary; exit 1
fi
want="l3nft ${version%-*}"
got=$(/usr/sbin/l3nft --version 2>&1)
if [ "$got" = "$want" ]; then ok "l3nft --version: $got"; else not_ok "l3nft --version: want '$want', got '$got'"; fi
if out=$(/usr/sbin/l3nft check /etc/l3nft/l3nft.yaml 2>&1) && [ -z "$out" ]; then
	ok "l3nft check /etc/l3nft/l3nft.yaml (silent, exit 0)"
else
	not_ok "l3nft check /etc/l3nft/l3nft.yaml: $out"
fi
if [ -x /usr/sbin/l3nftd ]; then
	ok "l3nftd is installed and executable"
else
	not_ok "l3nftd is not executable"
fi
if p=$(man -w l3nft 2>&1) && [ -n "$p" ]; then ok "man -w l3nft: $p"; else not_ok "man -w l3nft: $p"; fi
if p=$(man -w 5 l3nft.yaml 2>&1) && [ -n "$p" ]; then ok "man -w 5 l3nft.yaml: $p"; else not_ok "man -w 5 l3nft.yaml: $p"; fi
if p=$(man -w l3nftd 2>&1) && [ -n "$p" ]; then ok "man -w l3nftd: $p"; else not_ok "man -w l3nftd: $p"; fi
if ls /etc/systemd/system/*.wants/l3nft*.service >/dev/null 2>&1; then
	not_ok "a unit was enabled at install"
else
	ok "no unit enabled at install"
fi
if bash -c '. /usr/share/bash-completion/completions/l3nft && complete -p l3nft' >/dev/null 2>&1; then
	ok "the installed bash completion loads"
else
	not_ok "the installed bash completion does not load"
fi

if DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq l3nft >"$tmp/purge.log" 2>&1; then
	installed=0
	ok "apt-get purge l3nft"
else
	not_ok "apt-get purge l3nft failed:"; tail -20 "$tmp/purge.log" | sed 's/^/# /'
fi
for f in /usr/sbin/l3nft /usr/sbin/l3nftd /etc/l3nft/l3nft.yaml /etc/l3nft; do
	if [ -e "$f" ]; then not_ok "$f is left after purge"; else ok "$f is gone after purge"; fi
done
if dpkg-query -W -f='${Status}' l3nft 2>/dev/null | grep -q installed; then
	not_ok "dpkg still lists l3nft"
else
	ok "dpkg no longer lists l3nft"
fi

summary
[ "$fail" -eq 0 ]
