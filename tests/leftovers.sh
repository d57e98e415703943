#!/bin/sh
# Runs last in `make check`: nothing the suite made may be left behind.
# Every test records what it makes in $L3_SUITE_DIR (tests/e2e/lib.sh's
# l3_record, bench/run.sh's record): network namespaces, cgroups and
# background processes (pid and start time). Only those are checked, and
# the l3nftd and l3nft processes of this build: other engineers' suites
# run on the same machine at the same time, with the same name patterns.
# The records are removed afterwards, so the next run starts empty.
#
#   L3_SUITE_DIR=DIR L3NFT=... L3NFTD=... sh tests/leftovers.sh
set -u
dir=${L3_SUITE_DIR:?set L3_SUITE_DIR}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
cgmount=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
	/proc/self/mountinfo)

# the suite's processes: recorded pids still alive with the same start time
left=
if [ -s "$dir/pids" ]; then
	while read -r pid start who; do
		now=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $20 }')
		[ "$now" = "$start" ] &&
			left="$left $pid($who: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-80))"
	done <"$dir/pids"
fi
if [ -z "$left" ]; then
	ok "no background process of the suite is left ($(wc -l <"$dir/pids" 2>/dev/null || echo 0) recorded)"
else
	not_ok "background processes of the suite are left" "$left"
fi

# this build's daemons and exec waiters, recorded or not
for bin in "${L3NFTD:-}" "${L3NFT:-}"; do
	[ -n "$bin" ] && [ -x "$bin" ] || continue
	real=$(readlink -f "$bin")
	left=
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$real" ] && left="$left ${p#/proc/}"
	done
	if [ -z "$left" ]; then
		ok "no $(basename "$bin") of this build is running"
	else
		not_ok "$(basename "$bin") of this build still runs:$left"
	fi
done

# network namespaces and cgroups: "NAME INODE" lines; one is left when
# NAME is there with the same inode (a namesake made since by another
# suite on this machine is not ours)
for kind in netns cgroups; do
	left=
	if [ -s "$dir/$kind" ]; then
		while read -r name ino; do
			if [ "$kind" = netns ]; then
				path=/run/netns/$name
			else
				[ -n "$cgmount" ] || continue
				path=$cgmount/$name
			fi
			[ -e "$path" ] || continue
			[ -z "$ino" ] || [ "$(stat -L -c %i "$path" 2>/dev/null)" = "$ino" ] &&
				left="$left $name"
		done <"$dir/$kind"
	fi
	if [ -z "$left" ]; then
		ok "no $kind of the suite is left ($(wc -l <"$dir/$kind" 2>/dev/null || echo 0) recorded)"
	else
		not_ok "$kind of the suite are left:$left"
	fi
done

rm -rf "$dir"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
