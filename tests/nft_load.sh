#!/bin/sh
# The compiled nft script of each shipped policy (and of a generated
# 1,000-namespace one) loads with `nft -f` into a fresh scratch network
# namespace, and `nft list` gives back every set, map, chain and counter of
# the script, with the same number of elements in each set and map and the
# same number of rules in each chain.
#
#   L3NFT=/path/to/l3nft srcdir=/path/to/src sh tests/nft_load.sh
#
# nft -f needs every cgroup that the script names: the ones that do not
# exist yet are created below the real cgroup2 mount, and only those are
# removed again. On a kernel without nft's native queue expression,
# "queue num N" is loaded as "counter" (a notice says so).
#
# nft prints a cgroupv2 element by walking all of /sys/fs/cgroup to find
# the directory with that inode, once per element: listing the 1,000-
# namespace table takes over a minute that way. So the listing that is
# compared runs in a private mount namespace with an empty /sys/fs/cgroup,
# where nft prints the cgroup ids as numbers, and the ids are checked
# against the inodes of the cgroups the script names. The small policies
# are also listed the ordinary way, which must print the same cgroup
# paths as the script (L3_NFT_LOAD_FULL_LIST=1 does that for all).
#
# The example policy (it has expose with from: concatenated range sets)
# is also loaded by `l3nft apply` (netlink) into a second scratch
# namespace with an eth0 of its own (a veth), and both listings must be the same
# table: text == netlink.

. "$(dirname "$0")/e2e/lib.sh"

l3_init
command -v unshare >/dev/null 2>&1 || l3_skip_all "unshare is not installed"
command -v flock >/dev/null 2>&1 || l3_skip_all "flock is not installed"

# The shipped policies name their cgroups (l3nft/web, ...): two runs at
# once (or the demo) would share them, and the first to finish would
# remove them under the other. One run at a time, on a lock file that
# names what it guards; the cgroups made here are removed before it is
# released (the fd closes at exit, after l3_cleanup).
exec 9>>/run/lock/l3nft-shipped-cgroups.lock
flock -w 600 9 || l3_skip_all "another run holds /run/lock/l3nft-shipped-cgroups.lock for 600 s"

# The prefix `l3nft compile --cgroup-mount` puts before cgroup paths: nft
# resolves them relative to /sys/fs/cgroup.
case $L3_CG_MOUNT in
/sys/fs/cgroup | /sys/fs/cgroup/) CG_PREFIX= ;;
/sys/fs/cgroup/*) CG_PREFIX="${L3_CG_MOUNT#/sys/fs/cgroup/}/" ;;
*) CG_PREFIX="../../..$L3_CG_MOUNT/" ;;
esac

# compare COMPILED LISTING.json: prints "PASS desc" / "FAIL desc" lines,
# each followed by "  detail" lines
compare()
{
	python3 - "$1" "$2" "$CG_PREFIX" "$L3_CG_MOUNT" <<'EOF'
import json
import os
import re
import sys

compiled, listing, prefix, mount = sys.argv[1:5]
cg_map_re = re.compile(r'^"([^"]*)" : jump (\w+)')
cg_set_re = re.compile(r'^(0x[0-9a-fA-F]+) \. "([^"]*)"')
cg_want = {}       # (set, chain target or mark) -> cgroup path

# --- the compiled text: objects at table level, one fact per line ---
want = {}          # (kind, name) -> elements (sets, maps) or rules (chains)
kind = name = None
in_elems = False
obj_re = re.compile(r"^\t(counter|set|map|chain) (\S+) \{")
for line in open(compiled):
    m = obj_re.match(line)
    if m:
        kind, name = m.group(1), m.group(2)
        want[(kind, name)] = 0
        in_elems = False
        continue
    if kind is None:
        continue
    s = line.strip()
    if line.startswith("\t}"):
        kind = name = None
        continue
    if kind in ("set", "map"):
        if s.startswith("elements = {"):
            in_elems = True
            rest = s[len("elements = {"):].strip()
            if rest and rest != "}":
                sys.exit("unexpected element on the 'elements' line: " + s)
            continue
        if in_elems:
            if s == "}":
                in_elems = False
            elif s and not s.startswith("#"):
                want[(kind, name)] += 1
                m = cg_map_re.match(s) or cg_set_re.match(s)
                if m and m.re is cg_map_re:
                    cg_want[(name, m.group(2))] = m.group(1)
                elif m:
                    cg_want[(name, int(m.group(1), 16))] = m.group(2)
    elif kind == "chain":
        if s and not s.startswith("#") and not s.startswith("type "):
            want[(kind, name)] += 1

# --- the listing, as nft's JSON ---
got = {}
cg_got = {}
for obj in json.load(open(listing))["nftables"]:
    for k in ("counter", "set", "map", "chain"):
        if k in obj:
            got[(k, obj[k]["name"])] = len(obj[k].get("elem", []))
    for k in ("set", "map"):
        for e in obj.get(k, {}).get("elem", []) if k in obj else []:
            if isinstance(e, list) and len(e) == 2 and isinstance(e[1], dict) and "jump" in e[1]:
                cg_got[(obj[k]["name"], e[1]["jump"]["target"])] = e[0]
            elif isinstance(e, dict) and "concat" in e and len(e["concat"]) == 2:
                cg_got[(obj[k]["name"], e["concat"][0])] = e["concat"][1]
    if "rule" in obj:
        key = ("chain", obj["rule"]["chain"])
        got[key] = got.get(key, 0) + 1

def report(ok, desc, details=()):
    print(("PASS " if ok else "FAIL ") + desc)
    for d in list(details)[:10]:
        print("  " + d)
    if len(details) > 10:
        print("  ... and %d more" % (len(details) - 10))

def unit(kind, n):
    return {"chain": "rule"}.get(kind, "element") + ("" if n == 1 else "s")

for kind in ("set", "map"):
    for (k, name), n in sorted(want.items()):
        if k != kind:
            continue
        if (k, name) not in got:
            report(False, "%s %s is listed" % (k, name))
        else:
            report(got[(k, name)] == n, "%s %s is listed with %d %s" % (k, name, n, unit(k, n)),
                   ["listed with %d" % got[(k, name)]] if got[(k, name)] != n else ())
for kind in ("chain", "counter"):
    names = sorted(nm for k, nm in want if k == kind)
    missing = [nm for nm in names if (kind, nm) not in got]
    report(not missing and names != [],
           "all %d %ss are listed" % (len(names), kind), ["missing: " + nm for nm in missing])
    if kind == "chain":
        wrong = ["%s: %d rules compiled, %d listed" % (nm, want[(kind, nm)], got[(kind, nm)])
                 for nm in names if (kind, nm) in got and got[(kind, nm)] != want[(kind, nm)]]
        report(not wrong, "every chain is listed with as many rules as compiled", wrong)
extra = sorted("%s %s" % key for key in got if key not in want)
report(not extra, "nothing is listed that the compiled text lacks", extra)

# cgroup elements: the kernel holds the cgroup's id, its directory's inode
bad = []
for key, path in sorted(cg_want.items(), key=str):
    if not path.startswith(prefix):
        bad.append("%s %s: %s is not below the prefix '%s'" % (key + (path, prefix)))
        continue
    try:
        ino = os.stat(os.path.join(mount, path[len(prefix):])).st_ino
    except OSError as exc:
        bad.append("%s %s: %s" % (key + (exc,)))
        continue
    val = cg_got.get(key)
    if val is None:
        bad.append("%s %s: not listed" % key)
    elif str(val) != str(ino) and str(val) != path:
        bad.append("%s %s: listed as %s, the inode of %s is %d" % (key + (val, path, ino)))
report(not bad and bool(cg_want),
       "the %d cgroup elements hold the ids (inodes) of the cgroups named" % len(cg_want), bad)
EOF
}

# list_fast NETNS: nft -j list table inet l3nft, in a private mount
# namespace whose /sys/fs/cgroup is an empty tmpfs (see above)
list_fast()
{
	# shellcheck disable=SC2016
	unshare --mount --propagation private sh -c \
		'mount -t tmpfs l3nft-empty /sys/fs/cgroup && exec nsenter --net="$1" timeout 120 nft -j list table inet l3nft' \
		l3list "/run/netns/$1"
}

# cgroups POLICY.nft: the cgroup paths (below the cgroup2 mount) it names
cgroups()
{
	grep -o '"[^"]*" : jump ns_' "$1" | sed 's/^"//; s/" : jump ns_$//' | sort -u
}

# check_policy LABEL POLICY.yaml
check_policy()
{
	label=$1 policy=$2 out="$L3_TMP/$1.nft"
	l3_note "$label: $policy"
	if ! l3_compile "$policy" "$out" 2>"$L3_TMP/$label.err"; then
		l3_fail "$label: compiles" "$(tr '\n' '|' <"$L3_TMP/$label.err")"
		return
	fi
	l3_pass "$label: compiles with --cgroup-mount $L3_CG_MOUNT"
	bad=
	for cg in $(cgroups "$out"); do
		case $cg in
		"$CG_PREFIX"*) l3_cg_add "${cg#"$CG_PREFIX"}" || bad="$bad $cg" ;;
		*) bad="$bad $cg" ;;
		esac
	done
	if [ -n "$bad" ]; then
		l3_fail "$label: cgroup paths are below the mount (prefix '$CG_PREFIX') and exist" \
			"bad:$bad"
		return
	fi
	l3_pass "$label: the cgroups it names exist ($(cgroups "$out" | wc -l))"
	ns="l3n-$$"
	if ! l3_netns_add "$ns"; then
		l3_fail "$label: scratch network namespace"
		return
	fi
	if l3_nft_file "$ns" "$out" >"$L3_TMP/$label.load" 2>&1; then
		l3_pass "$label: loads with nft -f"
		cat "$L3_TMP/$label.load"
	else
		l3_fail "$label: loads with nft -f" "$(head -c 2000 "$L3_TMP/$label.load" | tr '\n' '|')"
		l3_netns_del "$ns"
		return
	fi
	if list_fast "$ns" >"$L3_TMP/$label.json" 2>"$L3_TMP/$label.err"; then
		l3_pass "$label: nft -j list table inet l3nft (cgroup ids as numbers)"
	else
		l3_fail "$label: nft -j list table inet l3nft (cgroup ids as numbers)" \
			"$(tr '\n' '|' <"$L3_TMP/$label.err")"
		l3_netns_del "$ns"
		return
	fi
	if [ "$(cgroups "$out" | wc -l)" -le 20 ] || [ "${L3_NFT_LOAD_FULL_LIST:-0}" = 1 ]; then
		if l3_in "$ns" timeout 600 nft list table inet l3nft >"$L3_TMP/$label.list" 2>"$L3_TMP/$label.err"; then
			missing=
			for cg in $(cgroups "$out"); do
				grep -qF "\"$cg\"" "$L3_TMP/$label.list" || missing="$missing $cg"
			done
			l3_is "$label: nft list table inet l3nft shows the cgroup paths as compiled" \
				"${missing:+missing:}$missing" ""
		else
			l3_fail "$label: nft list table inet l3nft" "$(tr '\n' '|' <"$L3_TMP/$label.err")"
		fi
	fi
	l3_netns_del "$ns"
	compare "$out" "$L3_TMP/$label.json" >"$L3_TMP/$label.cmp" 2>&1 ||
		echo "FAIL the comparison itself failed" >>"$L3_TMP/$label.cmp"
	desc='' details=''
	while IFS= read -r line; do
		case $line in
		"PASS "* | "FAIL "*)
			flush_result
			desc=$line details='' ;;
		"  "*) details="$details
${line#  }" ;;
		*) flush_result; desc="FAIL comparison output: $line" details='' ;;
		esac
	done <"$L3_TMP/$label.cmp"
	flush_result
}

flush_result()
{
	case $desc in
	"PASS "*) l3_pass "$label: ${desc#PASS }" ;;
	"FAIL "*)
		old_ifs=$IFS
		IFS='
'
		# shellcheck disable=SC2086
		l3_fail "$label: ${desc#FAIL }" $details
		IFS=$old_ifs ;;
	esac
	desc=
}

# same_as_netlink LABEL POLICY.yaml: the table nft -f loaded from the
# compiled text and the one `l3nft apply` sends are listed the same
same_as_netlink()
{
	label=$1 policy=$2 tx="l3t-$$" nl="l3a-$$"
	# counter values, and the queue statement that needs nft's native
	# queue in text (the xt target in apply's table) are left out
	norm() { sed -E 's/ (counter( packets [0-9]+ bytes [0-9]+)?|queue num [0-9]+( bypass)?)$//; /Warning: table/d; s/ +$//'; }
	if ! l3_netns_add "$tx" || ! l3_netns_add "$nl" ||
	   ! l3_in "$nl" ip link add eth0 type veth peer name eth1 ||
	   ! l3_in "$nl" ip link set eth0 up; then
		l3_fail "$label: scratch network namespaces for text and netlink"
		return
	fi
	if l3_nft_file "$tx" "$L3_TMP/$label.nft" >/dev/null 2>&1 &&
	   l3_in "$nl" timeout 120 "$L3NFT" apply "$policy" >"$L3_TMP/$label.apply" 2>&1; then
		l3_is "$label: nft -f of compile's text and l3nft apply (netlink) list the same table" \
			"$(l3_in "$tx" nft -s list table inet l3nft 2>/dev/null | norm)" \
			"$(l3_in "$nl" nft -s list table inet l3nft 2>/dev/null | norm)"
	else
		l3_fail "$label: loads both by nft -f and by l3nft apply" \
			"$(tr '\n' '|' <"$L3_TMP/$label.apply")"
	fi
	l3_in "$nl" "$L3NFT" delete "$policy" >/dev/null 2>&1
	l3_netns_del "$tx"
	l3_netns_del "$nl"
}

check_policy minimal "$srcdir/rules/minimal.yaml"
check_policy example "$srcdir/rules/example.yaml"
grep -q 'from:' "$srcdir/rules/example.yaml" ||
	l3_fail "the example policy has an expose entry with from (what the next test is for)"
same_as_netlink example "$srcdir/rules/example.yaml"
if sh "$srcdir/rules/gen-large.sh" 1000 >"$L3_TMP/large-1000.yaml"; then
	check_policy large-1000 "$L3_TMP/large-1000.yaml"
else
	l3_fail "large-1000: rules/gen-large.sh 1000 writes a policy"
fi

l3_summary
