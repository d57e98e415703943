#!/bin/sh
# l3nftd at the inotify watch limit: every inotify_add_watch() is refused
# with ENOSPC (an LD_PRELOAD shim built here stands for a host whose
# fs.inotify.max_user_watches is used up; the real limit is the machine's,
# not a test's to change). l3nftd must say so once, at warning, with the
# limit and what it means, and keep working: a cgroup made anew is still
# found by the clock-based re-check (every 5 s), so its processes reach the
# namespace's alias again. Scratch namespaces only.
#
#   L3NFT=/path/to/l3nft srcdir=/path/to/src sh tests/e2e/daemon-inotify.sh

. "$(dirname "$0")/lib.sh"

l3_init
l3_topology || l3_skip_all "cannot build the test topology (veth, addresses)"
L3NFTD=${L3NFTD:-$(dirname "$L3NFT")/l3nftd}
[ -x "$L3NFTD" ] || l3_skip_all "no l3nftd binary at $L3NFTD (set L3NFTD)"
command -v cc >/dev/null 2>&1 || l3_skip_all "no C compiler for the LD_PRELOAD shim"

cat >"$L3_TMP/nowatch.c" <<'EOF'
#include <errno.h>
#include <stdint.h>
/* the limit is reached: no watch for anyone */
int inotify_add_watch(int fd, const char *path, uint32_t mask)
{
	(void)fd; (void)path; (void)mask;
	errno = ENOSPC;
	return -1;
}
EOF
cc -shared -fPIC -o "$L3_TMP/nowatch.so" "$L3_TMP/nowatch.c" 2>"$L3_TMP/cc.err" ||
	l3_skip_all "cannot build the shim: $(head -n 1 "$L3_TMP/cc.err")"

PARENT="l3t-$$"
l3_cg_add "$PARENT/a" || l3_skip_all "cannot create cgroup $PARENT/a"
L3NFT_RUNDIR="$L3_TMP/run"
export L3NFT_RUNDIR
mkdir -m 0755 "$L3NFT_RUNDIR"
POLICY="$L3_TMP/inotify.yaml"
cat >"$POLICY" <<EOF
version: 1
queue: 19
socket_layer: off
namespaces:
  a:
    cgroup: $PARENT/a
    interface: eth0
    addresses: [192.0.2.10/24]
EOF
l3_ok "apply the policy" l3_h "$L3NFT" apply "$POLICY"

# the log file stands for the journal (JOURNAL_STREAM names it), so each
# line carries its priority (<4> is warning); the sanitizers' runtime must
# otherwise come first in the preload list
: >"$L3_TMP/l3nftd.log"
l3_bg host env LD_PRELOAD="$L3_TMP/nowatch.so" \
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	JOURNAL_STREAM="$(stat -c '%d:%i' "$L3_TMP/l3nftd.log")" \
	"$L3NFTD" -f -c "$POLICY" 2>>"$L3_TMP/l3nftd.log"
DAEMON=$L3_LAST_PID
n=0
until grep -q "ready on queue" "$L3_TMP/l3nftd.log"; do
	n=$((n + 1))
	if [ $n -ge 100 ] || ! kill -0 "$DAEMON" 2>/dev/null; then
		sed 's/^/#   /' "$L3_TMP/l3nftd.log"
		l3_fail "l3nftd starts without any inotify watch"
		l3_summary
	fi
	sleep 0.1
done
l3_pass "l3nftd starts without any inotify watch"
l3_ok "it says the limit is reached, with the limit and what it means" \
	grep -q "^<4>.*inotify limit is reached.*fs.inotify.max_user_watches = [0-9]*.*re-check every 5 s" \
	"$L3_TMP/l3nftd.log"
l3_is "it says so once, not once per cgroup" \
	"$(grep -c "inotify limit is reached" "$L3_TMP/l3nftd.log")" 1

# a cgroup made anew gets a new id: only the periodic re-check can see it
rmdir "$L3_CG_MOUNT/$PARENT/a"
mkdir "$L3_CG_MOUNT/$PARENT/a"
l3_serve "$PARENT/a" a2 tcp:192.0.2.10:7600 || l3_fail "a server in the new cgroup starts"
got=
n=0
while [ $n -lt 30 ]; do
	got=$(l3_send peer tcp 192.0.2.10 7600 "again$n" --timeout 1)
	case $got in "reply echo again$n") break ;; esac
	sleep 0.5
	n=$((n + 1))
done
l3_is "without watches, the cgroup made anew is found by the re-check (within 15 s)" \
	"$got" "reply echo again$n"
l3_ok "l3nftd logs that it fixed the id" grep -q "namespace a: cgroup .* is there (again)" \
	"$L3_TMP/l3nftd.log"

kill "$DAEMON" 2>/dev/null
wait "$DAEMON"
l3_is "l3nftd exits 0 on SIGTERM" "$?" 0
l3_summary
