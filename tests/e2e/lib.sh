# Helpers for the l3nft end-to-end tests; sourced by tests/e2e/*.sh and
# tests/nft_load.sh (POSIX sh).
#
# Nothing here touches the machine's own network namespace: every ip/nft
# command runs in scratch namespaces entered with `nsenter --net=` (not
# `ip netns exec`, which remounts /sys and hides the cgroup2 mount).
#
# Topology (l3_topology):
#   H  "host" netns: lo, eth0 192.0.2.1/24 2001:db8::1/64 (+ aliases)
#   P  "peer" netns: lo, eth0 192.0.2.100/24 2001:db8::100/64
#   eth0 (H) <-veth-> eth0 (P)
#
# Where a command runs (WHERE): "host" = in H, in the caller's cgroup;
# "peer" = in P; anything else is a cgroup path below the cgroup2 mount
# (the process joins that cgroup, then enters H).
#
# Environment: L3NFT (built l3nft), srcdir (absolute source dir),
# L3_E2E_LOADER=apply (load with `l3nft apply` instead of compile + nft -f),
# L3_SUITE_DIR (set by make check: every netns, cgroup and background
# process made is recorded there, for tests/leftovers.sh),
# L3_E2E_V6_ALIAS_OPTS (options for `ip addr add` of IPv6 aliases; default
# "nodad preferred_lft 0", see l3_alias), L3_E2E_SERVE_SECS (how long a
# sock.py server lives, default 600: slow machines), L3_E2E_KEEP=1 (keep the temp dir; =fail: only when the script fails).

L3_PASS=0
L3_FAIL=0
L3_SKIP=0
L3_PIDS=
L3_NETNS=
L3_TMP=
L3_QUEUE_NATIVE=
L3_H=
L3_P=

# ---- reporting ----

l3_note() { printf '# %s\n' "$*"; }

l3_pass() { L3_PASS=$((L3_PASS + 1)); printf 'ok - %s\n' "$1"; }

# l3_fail DESC [DETAIL...]: each DETAIL is printed as a comment line
l3_fail()
{
	L3_FAIL=$((L3_FAIL + 1))
	printf 'not ok - %s\n' "$1"
	shift
	for _l3_d in "$@"; do
		printf '#   %s\n' "$_l3_d"
	done
}

l3_skip() { L3_SKIP=$((L3_SKIP + 1)); printf 'skip - %s: %s\n' "$1" "$2"; }

# l3_ok DESC CMD...: passes when CMD exits 0; its output is shown on failure
l3_ok()
{
	_l3_desc=$1
	shift
	if _l3_out=$("$@" 2>&1); then
		l3_pass "$_l3_desc"
	else
		l3_fail "$_l3_desc" "command: $*" "output: $(printf '%s' "$_l3_out" | tr '\n' '|')"
	fi
}

# l3_is DESC GOT EXPECTED
l3_is()
{
	if [ "$2" = "$3" ]; then
		l3_pass "$1"
	else
		l3_fail "$1" "got:      '$2'" "expected: '$3'"
	fi
}

# l3_isnt DESC GOT UNEXPECTED
l3_isnt()
{
	if [ "$2" != "$3" ]; then
		l3_pass "$1"
	else
		l3_fail "$1" "got '$2', which it must not be"
	fi
}

# l3_gt DESC NUMBER MIN: passes when NUMBER > MIN
l3_gt()
{
	if [ -n "$2" ] && [ "$2" -gt "$3" ] 2>/dev/null; then
		l3_pass "$1"
	else
		l3_fail "$1" "got '$2', expected more than $3"
	fi
}

# Prints the summary line and exits: 1 if anything failed, 77 (automake's
# SKIP) if everything was skipped, else 0.
l3_summary()
{
	if [ "$L3_SKIP" -gt 0 ]; then
		printf '%d passed, %d failed, %d skipped\n' "$L3_PASS" "$L3_FAIL" "$L3_SKIP"
	else
		printf '%d passed, %d failed\n' "$L3_PASS" "$L3_FAIL"
	fi
	[ "$L3_FAIL" -gt 0 ] && exit 1
	[ "$L3_PASS" -eq 0 ] && [ "$L3_SKIP" -gt 0 ] && exit 77
	exit 0
}

# l3_skip_all REASON: nothing can run here
l3_skip_all()
{
	l3_skip "$(basename "$0")" "$1"
	l3_summary
}

# ---- setup and cleanup ----

# l3_record KIND VALUE: notes what this run made in $L3_SUITE_DIR/KIND
# (netns and cgroups: "NAME INODE"; pids: "PID START WHO"), so that
# tests/leftovers.sh can check that cleanup removed it; the inode tells
# ours from a namesake another suite made later. Nothing without
# L3_SUITE_DIR.
l3_record()
{
	[ -n "${L3_SUITE_DIR:-}" ] || return 0
	mkdir -p "$L3_SUITE_DIR" && printf '%s\n' "$2" >>"$L3_SUITE_DIR/$1"
}

# l3_record_pid PID: a pid with its start time (field 22 of
# /proc/PID/stat), so that a reused pid is not taken for ours.
l3_record_pid()
{
	[ -n "${L3_SUITE_DIR:-}" ] || return 0
	_l3_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $20 }')
	[ -n "$_l3_st" ] && l3_record pids "$1 $_l3_st $(basename "$0")"
}

# Finds the cgroup2 mount point in /proc/self/mountinfo.
l3_cgroup_mount()
{
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
		/proc/self/mountinfo
}

# l3_init: checks the environment (skipping the whole script when it cannot
# run), creates the temp dir and installs the cleanup trap.
l3_init()
{
	: "${srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
	case $srcdir in /*) ;; *) srcdir=$(cd "$srcdir" && pwd) ;; esac
	[ -f "$srcdir/rules/gen-large.sh" ] || srcdir=$(cd "$srcdir/.." && pwd)
	: "${L3NFT:=$srcdir/l3nft}"
	L3_SOCK="$srcdir/tests/e2e/sock.py"
	export srcdir L3NFT
	[ "$(id -u)" = 0 ] || l3_skip_all "needs root (network namespaces, nftables, cgroups)"
	for _l3_t in ip nft nsenter python3 timeout awk unshare; do
		command -v "$_l3_t" >/dev/null 2>&1 || l3_skip_all "$_l3_t is not installed"
	done
	# apply attaches the socket layer and pins it in bpffs: the run gets
	# a bpffs of its own in a private mount namespace, so it never touches
	# the machine's /sys/fs/bpf and whatever it leaves goes with the run
	if [ -z "${L3_E2E_MNTNS:-}" ]; then
		export L3_E2E_MNTNS=1
		exec unshare -m --propagation private /bin/sh "$0"
	fi
	mount -t bpf bpf /sys/fs/bpf || l3_skip_all "cannot mount a private bpffs"
	[ -x "$L3NFT" ] || l3_skip_all "no l3nft binary at $L3NFT (set L3NFT)"
	L3_CG_MOUNT=$(l3_cgroup_mount)
	[ -n "$L3_CG_MOUNT" ] || l3_skip_all "no cgroup2 mount in /proc/self/mountinfo"
	case $L3_CG_MOUNT in *\\*) l3_skip_all "cgroup2 mount path needs unescaping: $L3_CG_MOUNT" ;; esac
	L3_TMP=$(mktemp -d "${TMPDIR:-/tmp}/l3e2e.XXXXXX") || l3_skip_all "mktemp failed"
	: >"$L3_TMP/cgroups"
	trap l3_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	ip netns add "l3chk-$$" 2>/dev/null || l3_skip_all "cannot create network namespaces"
	l3_record netns "l3chk-$$ $(stat -L -c %i "/run/netns/l3chk-$$")"
	ip netns del "l3chk-$$"
}

l3_kill_pids()
{
	[ -n "$*" ] || return 0
	kill "$@" 2>/dev/null
	_l3_n=0
	while [ $_l3_n -lt 50 ]; do
		_l3_alive=
		for _l3_p in "$@"; do
			kill -0 "$_l3_p" 2>/dev/null && _l3_alive=1
		done
		[ -z "$_l3_alive" ] && break
		sleep 0.1
		_l3_n=$((_l3_n + 1))
	done
	[ -n "$_l3_alive" ] && kill -9 "$@" 2>/dev/null
	return 0
}

l3_cleanup()
{
	_l3_rc=$?
	trap - EXIT INT TERM
	# processes we started, then anything left in our namespaces and cgroups
	# (they are all ours: the namespaces and cgroups were created for this run)
	# shellcheck disable=SC2086
	l3_kill_pids $L3_PIDS
	for _l3_ns in $L3_NETNS; do
		# shellcheck disable=SC2046
		l3_kill_pids $(ip netns pids "$_l3_ns" 2>/dev/null)
	done
	if [ -n "$L3_TMP" ] && [ -s "$L3_TMP/cgroups" ]; then
		# shellcheck disable=SC2046
		l3_kill_pids $(while read -r _l3_cg; do
			cat "$L3_CG_MOUNT/$_l3_cg/cgroup.procs" 2>/dev/null
		done <"$L3_TMP/cgroups")
		# deepest first: the list is in creation order
		sed -n '1!G;h;$p' "$L3_TMP/cgroups" | while read -r _l3_cg; do
			rmdir "$L3_CG_MOUNT/$_l3_cg" 2>/dev/null ||
				printf '# cleanup: cannot remove cgroup %s\n' "$L3_CG_MOUNT/$_l3_cg"
		done
	fi
	for _l3_ns in $L3_NETNS; do
		ip netns del "$_l3_ns" 2>/dev/null
	done
	if [ -n "$L3_TMP" ]; then
		if [ "${L3_E2E_KEEP:-0}" = 1 ] || { [ "$_l3_rc" != 0 ] && [ "${L3_E2E_KEEP:-0}" = fail ]; }; then
			printf '# kept %s\n' "$L3_TMP"
		else
			rm -rf "$L3_TMP"
		fi
	fi
	exit "$_l3_rc"
}

# l3_netns_add NAME: a scratch netns with lo up, removed on exit
l3_netns_add()
{
	ip netns add "$1" || return 1
	L3_NETNS="$L3_NETNS $1"
	l3_record netns "$1 $(stat -L -c %i "/run/netns/$1")"
	nsenter --net="/run/netns/$1" ip link set lo up
}

l3_netns_del()
{
	# shellcheck disable=SC2046
	l3_kill_pids $(ip netns pids "$1" 2>/dev/null)
	ip netns del "$1"
	# shellcheck disable=SC2086
	L3_NETNS=$(printf '%s\n' $L3_NETNS | grep -vx "$1" | tr '\n' ' ')
}

# l3_in NETNS CMD...: run CMD in scratch netns NETNS
l3_in() { _l3_ns=$1; shift; nsenter --net="/run/netns/$_l3_ns" "$@"; }

# l3_h CMD... / l3_p CMD...: run in the host / peer netns
l3_h() { nsenter --net="/run/netns/$L3_H" "$@"; }
l3_p() { nsenter --net="/run/netns/$L3_P" "$@"; }

# l3_cg_add PATH: creates PATH (relative to the cgroup2 mount) and any
# missing parent; only what this call created is removed on exit.
l3_cg_add()
{
	_l3_path=
	for _l3_c in $(printf '%s' "$1" | tr '/' ' '); do
		_l3_path=${_l3_path:+$_l3_path/}$_l3_c
		[ -d "$L3_CG_MOUNT/$_l3_path" ] && continue
		mkdir "$L3_CG_MOUNT/$_l3_path" || return 1
		printf '%s\n' "$_l3_path" >>"$L3_TMP/cgroups"
		l3_record cgroups "$_l3_path $(stat -c %i "$L3_CG_MOUNT/$_l3_path")"
	done
}

# l3_topology: the H and P namespaces joined by a veth pair
l3_topology()
{
	L3_H="l3h-$$"
	L3_P="l3p-$$"
	l3_netns_add "$L3_H" && l3_netns_add "$L3_P" || return 1
	l3_h ip link add eth0 type veth peer name eth0 netns "$L3_P" || return 1
	l3_h ip addr add 192.0.2.1/24 dev eth0 &&
	l3_h ip addr add 2001:db8::1/64 dev eth0 nodad &&
	l3_h ip link set eth0 up &&
	l3_p ip addr add 192.0.2.100/24 dev eth0 &&
	l3_p ip addr add 2001:db8::100/64 dev eth0 nodad &&
	l3_p ip link set eth0 up || return 1
	# wait (bounded) until the link carries traffic
	_l3_n=0
	until l3_h ping -c1 -W1 -q 192.0.2.100 >/dev/null 2>&1; do
		_l3_n=$((_l3_n + 1))
		[ $_l3_n -ge 10 ] && return 1
	done
	return 0
}

# l3_alias ADDR/PLEN: adds an alias to eth0 in H. IPv6 aliases are added
# deprecated (preferred_lft 0) by default: otherwise the kernel's source
# address selection prefers the newest address, and the host's own IPv6
# traffic would leave with a namespace's alias.
l3_alias()
{
	case $1 in
	*:*) # shellcheck disable=SC2086
	     l3_h ip addr add "$1" dev eth0 ${L3_E2E_V6_ALIAS_OPTS:-nodad preferred_lft 0} ;;
	*) l3_h ip addr add "$1" dev eth0 ;;
	esac
}

# ---- running things ----

# l3_run WHERE CMD...: run CMD in the foreground (see WHERE above)
l3_run()
{
	_l3_w=$1
	shift
	case $_l3_w in
	host) nsenter --net="/run/netns/$L3_H" "$@" ;;
	peer) nsenter --net="/run/netns/$L3_P" "$@" ;;
	*) sh -c 'cg=$1 ns=$2; shift 2; echo $$ >"$cg/cgroup.procs" || exit 126; exec nsenter --net="$ns" "$@"' \
		l3run "$L3_CG_MOUNT/$_l3_w" "/run/netns/$L3_H" "$@" ;;
	esac
}

# l3_bg WHERE CMD...: as l3_run, in the background; killed on exit.
# Sets L3_LAST_PID.
l3_bg()
{
	_l3_w=$1
	shift
	case $_l3_w in
	host) nsenter --net="/run/netns/$L3_H" "$@" & ;;
	peer) nsenter --net="/run/netns/$L3_P" "$@" & ;;
	*) sh -c 'cg=$1 ns=$2; shift 2; echo $$ >"$cg/cgroup.procs" || exit 126; exec nsenter --net="$ns" "$@"' \
		l3run "$L3_CG_MOUNT/$_l3_w" "/run/netns/$L3_H" "$@" & ;;
	esac
	L3_LAST_PID=$!
	L3_PIDS="$L3_PIDS $L3_LAST_PID"
	l3_record_pid "$L3_LAST_PID"
}

# l3_serve WHERE NAME SPEC...: starts a sock.py server logging to
# $L3_TMP/NAME.log and waits (bounded) until it has bound every SPEC.
l3_serve()
{
	_l3_w=$1 _l3_name=$2
	shift 2
	rm -f "$L3_TMP/$_l3_name.ready"
	: >"$L3_TMP/$_l3_name.log"
	l3_bg "$_l3_w" python3 "$L3_SOCK" serve "$L3_TMP/$_l3_name.log" "$L3_TMP/$_l3_name.ready" \
		--max-time "${L3_E2E_SERVE_SECS:-600}" "$@"
	_l3_n=0
	while [ ! -e "$L3_TMP/$_l3_name.ready" ]; do
		if ! kill -0 "$L3_LAST_PID" 2>/dev/null || [ $_l3_n -ge 100 ]; then
			printf '# server %s (%s) did not start: %s\n' "$_l3_name" "$_l3_w" "$*"
			return 1
		fi
		sleep 0.05
		_l3_n=$((_l3_n + 1))
	done
}

# l3_send WHERE PROTO DST PORT PAYLOAD [--bind ADDR] [--timeout S]: prints
# "reply ...", "refused", "timeout" or "error ..." (never fails itself)
l3_send()
{
	_l3_w=$1
	shift
	l3_run "$_l3_w" timeout 15 python3 "$L3_SOCK" send "$@" 2>&1 | head -n 1
}

# l3_from NAME PROTO PAYLOAD: the peer address that server NAME logged for
# PAYLOAD ("" when it never got it)
l3_from()
{
	awk -v pr="$2" -v pl="$3" '$1 == pr && $6 == pl { print $4; exit }' "$L3_TMP/$1.log"
}

# l3_got NAME PAYLOAD: how many times server NAME logged PAYLOAD (any proto)
l3_got()
{
	awk -v pl="$2" '$6 == pl { n++ } END { print n + 0 }' "$L3_TMP/$1.log"
}

# ---- nftables ----

# l3_queue_native: whether nft's native queue expression loads here
# (probed once, in a scratch netns)
l3_queue_native()
{
	if [ -z "$L3_QUEUE_NATIVE" ]; then
		L3_QUEUE_NATIVE=no
		if l3_netns_add "l3q-$$"; then
			if printf '%s\n' 'table inet l3probe {' \
				'chain c { type filter hook input priority 0; udp dport 9 queue num 1 bypass; }' '}' |
				l3_in "l3q-$$" timeout 30 nft -f - 2>/dev/null; then
				L3_QUEUE_NATIVE=yes
			fi
			l3_netns_del "l3q-$$"
		fi
	fi
	[ "$L3_QUEUE_NATIVE" = yes ]
}

# l3_nft_file NETNS FILE: nft -f FILE inside NETNS. Without native queue
# support, "queue num N [bypass]" is loaded as "counter" (and we say so).
l3_nft_file()
{
	if grep -q 'queue num' "$2" && ! l3_queue_native; then
		sed -E 's/queue num [0-9]+( bypass)?/counter/' "$2" >"$2.noqueue"
		l3_note "notice: this kernel has no native nft queue expression;" \
			"loading $(basename "$2") with 'queue num N' replaced by 'counter'"
		l3_in "$1" timeout 120 nft -f "$2.noqueue"
	else
		l3_in "$1" timeout 120 nft -f "$2"
	fi
}

# l3_compile POLICY OUT: l3nft compile with the real cgroup2 mount
l3_compile()
{
	"$L3NFT" compile --cgroup-mount "$L3_CG_MOUNT" "$1" >"$2"
}

# l3_load POLICY: loads POLICY into H (l3nft apply when L3_E2E_LOADER=apply)
l3_load()
{
	if [ "${L3_E2E_LOADER:-}" = apply ]; then
		l3_h timeout 120 "$L3NFT" apply "$1"
		return
	fi
	l3_compile "$1" "$L3_TMP/loaded.nft" && l3_nft_file "$L3_H" "$L3_TMP/loaded.nft"
}

# l3_counter NETNS TABLE NAME: packets of a named counter ("" if missing)
l3_counter()
{
	l3_in "$1" nft list counter inet "$2" "$3" 2>/dev/null |
		awk '/packets/ { for (i = 1; i < NF; i++) if ($i == "packets") { print $(i + 1); exit } }'
}

# l3_aliases ADDR/PLEN...: adds the policy's aliases to eth0 in H, unless
# `l3nft apply` is the loader (adding missing aliases is its job).
l3_aliases()
{
	if [ "${L3_E2E_LOADER:-}" = apply ]; then
		l3_note "aliases left to l3nft apply: $*"
		return 0
	fi
	for _l3_a in "$@"; do
		l3_alias "$_l3_a" || return 1
	done
}
