#!/bin/sh
# Builds the fuzz targets, fuzzes each for SECONDS seconds (default 60) on
# a scratch copy of its seed corpus, and replays every saved reproducer in
# tests/fuzz/regress/<target>/. Run from the build tree after ./configure.
#
#   sh tests/fuzz/run.sh [SECONDS]
#
# Environment: L3_FUZZ_BINDIR (where build.sh puts the targets),
# L3_FUZZ_TARGETS (a subset, e.g. "fuzz_ctl"), L3_FUZZ_FLAGS (more
# libFuzzer options). Crash inputs are kept in BINDIR/artifacts/<target>/.
# Exit status: 0 when every run and replay passed.
set -u

fuzzdir=$(cd "$(dirname "$0")" && pwd)
secs=${1:-60}
case $secs in
''|*[!0-9]*|0) echo "run.sh: SECONDS must be a positive number, got '$secs'" >&2; exit 2 ;;
esac
if [ -f ./config.h ]; then builddir=$(pwd); else builddir=$(cd "$fuzzdir/../.." && pwd); fi
bindir=${L3_FUZZ_BINDIR:-$builddir/tests/fuzz/bin}
targets=${L3_FUZZ_TARGETS:-fuzz_policy fuzz_listen fuzz_ctl fuzz_stats}
flags="-timeout=1 -rss_limit_mb=2048 -print_final_stats=1 ${L3_FUZZ_FLAGS:-}"

sh "$fuzzdir/build.sh" "$bindir" || { echo "run.sh: build failed" >&2; exit 2; }

# Stack traces for UBSan reports; leaks are on by default with ASan.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export UBSAN_OPTIONS

tmp=$(mktemp -d "${TMPDIR:-/tmp}/l3nft-fuzz.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
passed=0
failed=0

# The last value of "stat::NAME: V" or of "NAME: V" on the final status line.
final_stat() {
	sed -n "s/^stat::$2: *\([0-9]*\).*/\1/p" "$1" | tail -n 1
}
status_field() {
	grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE|INITED)' "$1" | tail -n 1 |
		sed -n "s/.* $2: \([^ ]*\).*/\1/p"
}

# Prints the sanitizer's summary of a failed run and where the input is.
report() {
	grep -E '^(SUMMARY|==[0-9]+== ?ERROR)|deadly signal' "$1" |
		head -n 3 | sed 's/^/    /'
	grep -E 'Test unit written to' "$1" | sed 's/^/    /'
}

# corpus/<short>/ and dictionary <short>.dict for target fuzz_<short>
for t in $targets; do
	short=${t#fuzz_}
	mkdir -p "$tmp/$t" "$bindir/artifacts/$t"
	cp -R "$fuzzdir/corpus/$short/." "$tmp/$t/"
	extra=
	[ -f "$fuzzdir/$short.dict" ] && extra="-dict=$fuzzdir/$short.dict"
	# libFuzzer would stop at 4 KiB (its default for small seeds): too small
	# for a policy whose cost grows faster than its length
	[ "$t" = fuzz_policy ] && extra="$extra -max_len=16384"
	log=$tmp/$t.log
	# shellcheck disable=SC2086
	"$bindir/$t" $flags $extra -max_total_time="$secs" \
		-artifact_prefix="$bindir/artifacts/$t/" "$tmp/$t" >"$log" 2>&1
	rc=$?
	line="$(final_stat "$log" number_of_executed_units) execs, $(final_stat "$log" average_exec_per_sec) exec/s, cov $(status_field "$log" cov), ft $(status_field "$log" ft), corpus $(status_field "$log" corp), new $(final_stat "$log" new_units_added), rss $(final_stat "$log" peak_rss_mb) MB"
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		echo "PASS $t (${secs}s): $line"
	else
		failed=$((failed + 1))
		echo "FAIL $t (${secs}s, exit $rc): $line"
		report "$log"
	fi
done

for t in $targets; do
	[ -d "$fuzzdir/regress/$t" ] || continue
	for f in "$fuzzdir/regress/$t"/*; do
		[ -f "$f" ] || continue
		log=$tmp/replay.log
		# shellcheck disable=SC2086
		if "$bindir/$t" $flags "$f" >"$log" 2>&1; then
			passed=$((passed + 1))
			echo "PASS $t regress/$t/$(basename "$f")"
		else
			failed=$((failed + 1))
			echo "FAIL $t regress/$t/$(basename "$f")"
			report "$log"
		fi
	done
done

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
