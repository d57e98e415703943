#!/bin/sh
# The whole test suite on a fresh Debian 12 machine, as root. This is
# what CI runs (.ci/run). Steps:
#   1. install what is needed, build with -Werror
#   2. make check: unit tests (Check), golden files, 72 broken policies,
#      man pages, shipping files, and the end-to-end suites in scratch
#      network namespaces (isolation, apply, daemon)
#   3. the unit tests under valgrind (no leaks, no invalid accesses)
#   4. make distcheck with ASan and UBSan: the tarball is complete and the
#      whole suite passes under the sanitizers
#   5. each libFuzzer target for 60 s, and its regression inputs
#   6. the Debian package: build, lintian, install, use, purge
# Prints every step's summary, then "total: N passed, N failed"; exits
# non-zero when any step failed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
log=$(mktemp -d /tmp/l3nft-test.XXXXXX)
trap 'rm -rf "$log"' EXIT
P=0 F=0 S=0 status=0

# count FILE: adds the "N passed, N failed[, N skipped]" and Check summary
# lines found in FILE to the totals
count()
{
	eval "$(sed -n -E \
		-e 's/^.*[0-9]+%: Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).*/P=$((P + \1 - \2 - \3)); F=$((F + \2 + \3));/p' \
		-e 's/^([A-Za-z0-9_-]+: )?([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/P=$((P + \2)); F=$((F + \3)); S=$((S + \4));/p' \
		-e 's/^([A-Za-z0-9_-]+: )?([0-9]+) passed, ([0-9]+) failed$/P=$((P + \2)); F=$((F + \3));/p' \
		"$1")"
}

# step NAME CMD...: runs CMD, shows its summary lines, counts them
step()
{
	name=$1
	shift
	echo "==== $name"
	if "$@" >"$log/step.out" 2>&1; then
		rc=0
	else
		rc=$?
		status=1
		tail -n 60 "$log/step.out"
	fi
	grep -E '^(# (TOTAL|PASS|FAIL|SKIP|ERROR):|PASS:|FAIL:|ERROR:|SKIP:|.*[0-9]+ passed, [0-9]+ failed)' \
		"$log/step.out" | tail -n 40
	before=$F
	count "$log/step.out"
	# a step that failed without saying so still counts as one failure
	if [ "$rc" -ne 0 ] && [ "$F" -eq "$before" ]; then
		F=$((F + 1))
	fi
	echo "==== $name: exit $rc"
}

check_logs()
{
	rc=0
	make check || rc=$?
	# each test program's own summary (automake keeps them in the logs)
	for l in $(find tests -name '*.log' ! -name test-suite.log | sort); do
		grep -E '^([0-9]+%: Checks|[0-9]+ passed, [0-9]+ failed)' "$l" | tail -n 1 |
			sed "s|^|$(basename "${l%.log}"): |"
	done
	if [ "$rc" -ne 0 ]; then
		for t in $(grep -l -E '^:test-result: (FAIL|ERROR)' $(find tests -name '*.trs')); do
			echo "---- ${t%.trs}.log"; tail -n 80 "${t%.trs}.log"
		done
	fi
	return "$rc"
}

valgrind_units()
{
	CK_FORK=no valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=1 \
		./tests/unit/test_l3nft
}

distcheck_sanitizers()
{
	make distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-sanitizers
}

echo "==== setup: packages and build"
sh "$top/scripts/install-deps.sh" || exit 2
sh "$top/scripts/build.sh" "$@" || exit 2

step "make check" check_logs
step "valgrind: unit tests" valgrind_units
step "make distcheck (ASan + UBSan)" distcheck_sanitizers
if [ -f tests/fuzz/run.sh ]; then
	step "fuzz: 60 s per target" sh tests/fuzz/run.sh 60
fi
if [ -f tests/deb.sh ]; then
	step "debian package" sh tests/deb.sh
fi
echo "total: $P passed, $F failed, $S skipped"
exit "$status"
