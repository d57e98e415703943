#!/bin/sh
# The whole test suite on a fresh Debian 12 machine, as root: installs
# what is needed, builds with -Werror, runs `make check` (unit tests,
# golden files, bad inputs, end-to-end tests in scratch network
# namespaces). Prints "N passed, N failed" last; exits non-zero on failure.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/scripts/install-deps.sh"
sh "$top/scripts/build.sh" "$@"
cd "$top"
status=0
make check || status=$?
# every test program's own summary, then the sum of them all
P=0 F=0 S=0
for log in $(find tests -name '*.log' ! -name test-suite.log | sort); do
	line=$(grep -E '^([0-9]+%: Checks|[0-9]+ passed, [0-9]+ failed)' "$log" | tail -n 1)
	[ -n "$line" ] || continue
	printf '%s: %s\n' "${log%.log}" "$line"
	set -- $(echo "$line" | sed -E 's/^[0-9]+%: Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).*/C \1 \2 \3/; s/^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/T \1 \2 \4/')
	if [ "$1" = C ]; then
		P=$((P + $2 - $3 - $4)); F=$((F + $3 + $4))
	else
		P=$((P + $2)); F=$((F + $3)); S=$((S + ${4:-0}))
	fi
done
if [ "$status" -ne 0 ]; then
	for trs in $(grep -l -E '^:test-result: (FAIL|ERROR)' $(find tests -name '*.trs')); do
		echo "==== ${trs%.trs}.log"; cat "${trs%.trs}.log"
	done
	# a program that crashed before its summary still counts as a failure
	[ "$F" -gt 0 ] || F=1
fi
echo "total: $P passed, $F failed, $S skipped"
exit "$status"
