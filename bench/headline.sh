# The headline comparison, sourced by bench/run.sh (--headline, and at tiny
# N by --smoke); it uses run.sh's helpers (inns, bg, stop, rec, stats, row,
# topo, wait_link, timed, $L, $T, $S, $CGM, $CGP, $NETNS).
#
# Three ways to give tenants their own addresses, each in its own pair of
# scratch netns ("host" and "peer", see topo in run.sh), measured in
# interleaved rounds so that every ratio is taken within one round:
#   none   no isolation: the tenants' addresses on the host's eth0, no table
#   l3nft  `l3nft apply` of an N-namespace policy (aliases on eth0, the
#          table, the socket layer), tenants are processes in its cgroups
#   netns  Docker's default model: one netns per tenant, a veth into a
#          bridge br0 in the host netns, DNAT port publishing and
#          masquerade per tenant in an nft table of the host netns (see
#          hl_dk_rules; the same chains as Docker's iptables rules)
# and, for tenant creation and teardown, the same two models at N=100 and
# N=1,000 (wall time, and the kernel's memory per tenant).

# hl_dk_addr4 I: tenant I's IPv4 address on the bridge, empty when the
# documentation ranges are used up (tenants past 506 have IPv6 only)
hl_dk_addr4() {
	if [ "$1" -le 253 ]; then echo "198.51.100.$1"
	elif [ "$1" -le 506 ]; then echo "203.0.113.$(($1 - 253))"; fi
}
hl_dk_gw4() { if [ "$1" -le 253 ]; then echo 198.51.100.254; else echo 203.0.113.254; fi; }

# hl_dk_host TOPO: the bridge in TOPO-h (once per topology: Docker's
# docker0 exists before any container), forwarding on; hl_dk_published:
# the published address 192.0.2.1 on eth0 (not in the create/teardown
# topology, where l3nft's alias 192.0.2.1 comes and goes)
hl_dk_published() {
	inns "$1-h" ip addr add 192.0.2.1/24 dev eth0 &&
	inns "$1-h" ip addr add 2001:db8::1/64 dev eth0 nodad
}
hl_dk_host() {
	inns "$1-h" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null &&
	inns "$1-h" ip link add br0 type bridge &&
	inns "$1-h" ip addr add 198.51.100.254/24 dev br0 &&
	inns "$1-h" ip addr add 203.0.113.254/24 dev br0 &&
	inns "$1-h" ip addr add 2001:db8:2::fffe/64 dev br0 nodad &&
	inns "$1-h" ip link set br0 up
}

# hl_dk_rules N: the nft script of Docker's rules for N tenants, the
# measured tenants (1 and 2) last, so that a new flow of theirs walks every
# other tenant's rules first, as a container started early does in
# iptables' DOCKER chain. Tenant 1 publishes ports 7000-9999 (tcp and udp,
# the ports the bench uses), every other tenant one port (20000+I -> 80).
hl_dk_rules() {
	echo "table inet l3bdk {"
	echo " chain dk_publish {"
	i=$1
	while [ "$i" -ge 1 ]; do
		a4=$(hl_dk_addr4 "$i")
		if [ "$i" = 1 ]; then
			echo "  ip daddr 192.0.2.1 meta l4proto { tcp, udp } th dport 7000-9999 dnat ip to $a4"
		elif [ -n "$a4" ]; then
			echo "  ip daddr 192.0.2.1 meta l4proto { tcp, udp } th dport $((20000 + i)) dnat ip to $a4:80"
		else
			printf '  ip6 daddr 2001:db8::1 meta l4proto { tcp, udp } th dport %d dnat ip6 to [2001:db8:2::%x]:80\n' $((20000 + i)) "$i"
		fi
		i=$((i - 1))
	done
	echo " }"
	echo " chain dk_pre { type nat hook prerouting priority dstnat; fib daddr type local jump dk_publish; }"
	echo " chain dk_out { type nat hook output priority -100; ip daddr != 127.0.0.0/8 fib daddr type local jump dk_publish; }"
	echo " chain dk_post { type nat hook postrouting priority srcnat;"
	i=$1
	while [ "$i" -ge 1 ]; do
		a4=$(hl_dk_addr4 "$i")
		[ -n "$a4" ] && echo "  ip saddr $a4 oifname != \"br0\" masquerade"
		printf '  ip6 saddr 2001:db8:2::%x oifname != "br0" masquerade\n' "$i"
		i=$((i - 1))
	done
	echo " }"
	echo " chain dk_docker {"
	i=$1
	while [ "$i" -ge 1 ]; do
		a4=$(hl_dk_addr4 "$i")
		if [ "$i" = 1 ]; then
			echo "  ip daddr $a4 meta l4proto { tcp, udp } th dport 7000-9999 accept"
		elif [ -n "$a4" ]; then
			echo "  ip daddr $a4 meta l4proto { tcp, udp } th dport 80 accept"
		else
			printf '  ip6 daddr 2001:db8:2::%x meta l4proto { tcp, udp } th dport 80 accept\n' "$i"
		fi
		i=$((i - 1))
	done
	echo " }"
	echo " chain dk_fwd { type filter hook forward priority filter; policy drop;"
	echo "  oifname \"br0\" ct state established,related accept"
	echo "  oifname \"br0\" jump dk_docker"
	echo "  iifname \"br0\" accept"
	echo " }"
	echo "}"
}

# hl_dk_create TOPO N: N tenants in TOPO-h, the way a container runtime
# makes them: netns, veth into br0, addresses and default routes inside,
# then the table. Files first, so that only the kernel work is timed.
hl_dk_files() {
	n=$2
	: >"$T/dk-host.b"
	: >"$T/dk-del.b"
	i=1
	while [ "$i" -le "$n" ]; do
		t=$1-t$i
		{
			echo "netns add $t"
			echo "link add dk$i type veth peer name eth0 netns $t"
			echo "link set dk$i master br0 up"
		} >>"$T/dk-host.b"
		echo "netns del $t" >>"$T/dk-del.b"
		a4=$(hl_dk_addr4 "$i")
		{
			echo "link set lo up"
			echo "link set eth0 up"
			printf 'addr add 2001:db8:2::%x/64 dev eth0 nodad\n' "$i"
			echo "route add default via 2001:db8:2::fffe"
			[ -n "$a4" ] && echo "addr add $a4/24 dev eth0" && echo "route add default via $(hl_dk_gw4 "$i")"
		} >"$T/dk-t$i.b"
		i=$((i + 1))
	done
	hl_dk_rules "$n" >"$T/dk-rules.nft"
	# the script that makes them, run as one timed command
	{
		echo "set -e"
		echo "ip -b $T/dk-host.b"
		i=1
		while [ "$i" -le "$n" ]; do echo "ip -n $1-t$i -b $T/dk-t$i.b"; i=$((i + 1)); done
		echo "nft -f $T/dk-rules.nft"
	} >"$T/dk-create.sh"
	{
		echo "ip -b $T/dk-del.b"
		echo "nft delete table inet l3bdk"
	} >"$T/dk-delete.sh"
}
# the tenants' netns names, for cleanup on every exit path
hl_dk_track() {
	i=1
	while [ "$i" -le "$2" ]; do NETNS="$NETNS $1-t$i"; record netns "$1-t$i"; i=$((i + 1)); done
}
hl_dk_untrack() {
	NETNS=$(echo "$NETNS" | tr ' ' '\n' | grep -v "^$1-t[0-9]*\$" | tr '\n' ' ')
}

# kernel memory now, KB: slab, per-CPU, kernel stacks and page tables
# (machine-wide, so other work on the machine is in it too)
hl_kmem() { awk '/^(Slab|Percpu|KernelStack|PageTables):/ { s += $2 } END { print s }' /proc/meminfo; }

# ---- create and teardown ---------------------------------------------
# hl_life TOPO_NETNS TOPO_L3NFT N: one round of create/teardown of N
# tenants, both models (each in a host netns of its own: l3nft's aliases
# of a large policy take the whole documentation ranges, br0's included)
hl_life() {
	tp=$1 tl=$2 n=$3
	hl_dk_files "$tp" "$n"
	sleep "$HL_SETTLE"
	k0=$(hl_kmem)
	hl_dk_track "$tp" "$n"
	timed "hl_create_netns_$n" "$tp-h" sh "$T/dk-create.sh" || return 1
	sleep "$HL_SETTLE"
	rec "hl_kmem_netns_$n" "$(( ($(hl_kmem) - k0) ))"
	timed "hl_delete_netns_$n" "$tp-h" sh "$T/dk-delete.sh" || return 1
	hl_dk_untrack "$tp"
	# netns teardown goes on in the kernel's cleanup_net worker after
	# `ip netns del` returned: let it finish before the next measurement
	sleep "$HL_SETTLE"
	k0=$(hl_kmem)
	timed "hl_create_l3nft_$n" "$tl-h" "$L3NFT" apply "$T/p$n.yaml" || return 1
	sleep "$HL_SETTLE"
	rec "hl_kmem_l3nft_$n" "$(( ($(hl_kmem) - k0) ))"
	timed "hl_delete_l3nft_$n" "$tl-h" "$L3NFT" delete "$T/p$n.yaml" || return 1
	for m in create delete; do
		rec "hl_r${m}_$n" "$(hl_ratio "$(tail -n 1 "$S/hl_${m}_l3nft_$n.ms")" "$(tail -n 1 "$S/hl_${m}_netns_$n.ms")")"
	done
}

# ---- traffic ------------------------------------------------------------
# hl_ends CFG DIR: sets the server's netns, address and cgroup (SN SA SC)
# and the client's netns, target and cgroup (CN TA CC)
hl_ends() {
	SC= CC=
	case $1 in none) tp=$HN ;; l3nft) tp=$HLT ;; netns) tp=$HD ;; esac
	case $1.$2 in
	none.in | l3nft.in) SN=$tp-h SA=192.0.2.1 CN=$tp-p TA=192.0.2.1 ;;
	netns.in) SN=$tp-t1 SA=198.51.100.1 CN=$tp-p TA=192.0.2.1 ;;
	none.out | l3nft.out) SN=$tp-p SA=192.0.2.254 CN=$tp-h TA=192.0.2.254 ;;
	netns.out) SN=$tp-p SA=192.0.2.254 CN=$tp-t1 TA=192.0.2.254 ;;
	none.tt | l3nft.tt) SN=$tp-h SA=192.0.2.2 CN=$tp-h TA=192.0.2.2 ;;
	netns.tt) SN=$tp-t2 SA=198.51.100.2 CN=$tp-t1 TA=198.51.100.2 ;;
	esac
	if [ "$1" = l3nft ]; then
		case $2 in in) SC=$CGM/$CGP/ns1 ;; out) CC=$CGM/$CGP/ns1 ;; tt) SC=$CGM/$CGP/ns2 CC=$CGM/$CGP/ns1 ;; esac
	fi
}
# hl_one CFG DIR KIND: one measurement (KIND tcp, udp, rr or bulk)
hl_one() {
	hl_ends "$1" "$2"
	port=$((port + 1))
	k=$3
	rm -f "$T/hl.ready"
	case $k in
	tcp) bg sp nice -n -20 nsenter --net="/run/netns/$SN" "$L" tcp-server "$SA" $port 30 "$T/hl.ready" ${SC:+"$SC"} ;;
	udp) bg sp nice -n -20 nsenter --net="/run/netns/$SN" "$L" udp-sink "$SA" $port 30 "$SINK_IDLE_MS" "$T/hl.ready" ${SC:+"$SC"} >"$T/hl-sink.out" ;;
	rr) bg sp nice -n -20 nsenter --net="/run/netns/$SN" "$L" rr-server tcp "$SA" $port 30 "$T/hl.ready" ${SC:+"$SC"} ;;
	bulk) bg sp nice -n -20 nsenter --net="/run/netns/$SN" "$L" bulk-server "$SA" $port 30 "$T/hl.ready" ${SC:+"$SC"} >/dev/null ;;
	esac
	wait_file "$T/hl.ready" "$sp" || { not_ok "headline $k server ($1, $2)"; stop "$sp"; return 1; }
	case $k in
	tcp) set -- "$@" tcp-client "$TA" $port ;;
	udp) set -- "$@" udp-send "$TA" $port ;;
	rr) set -- "$@" rr-client tcp "$TA" $port ;;
	bulk) set -- "$@" bulk-client "$TA" $port ;;
	esac
	c=$1 d=$2
	shift 3
	if ! nice -n -20 nsenter --net="/run/netns/$CN" "$L" "$@" "$PP_SECS" ${CC:+"$CC"} >"$T/hl.out" 2>&1; then
		not_ok "headline $k ($c, $d)" "$(tr '\n' '|' <"$T/hl.out")"
		stop "$sp"
		return 1
	fi
	case $k in
	tcp) rec "hl_tcp_${d}_$c" "$(awk '{ print $8 }' "$T/hl.out")" ;;
	rr) rec "hl_p50_${d}_$c" "$(awk '{ print $10 }' "$T/hl.out")"
		rec "hl_p99_${d}_$c" "$(awk '{ print $12 }' "$T/hl.out")" ;;
	bulk) rec "hl_bulk_${d}_$c" "$(awk '{ print $6 }' "$T/hl.out")" ;;
	udp) wait "$sp"
		v=$(awk '{ print $6 }' "$T/hl-sink.out")
		if num "$v" && [ "${v%.*}" -gt 0 ]; then rec "hl_udp_${d}_$c" "$v"; else not_ok "headline udp ($c, $d)" "$(cat "$T/hl-sink.out")"; fi ;;
	esac
	stop "$sp"
}
HL_KINDS="tcp udp rr bulk"
HL_DIRS="in out tt"
HL_METRICS="tcp udp p50 p99 bulk"
hl_ratio() { num "$1" && num "$2" && awk -v a="$1" -v b="$2" 'BEGIN { if (b != 0) printf "%.3f", a / b; else printf "-" }' || printf -- '-'; }
# the ratio of this round's last samples, per metric and direction
hl_round_ratios() {
	for m in $HL_METRICS; do
		for d in $HL_DIRS; do
			b=$(tail -n 1 "$S/hl_${m}_${d}_none" 2>/dev/null)
			for c in l3nft netns; do
				v=$(tail -n 1 "$S/hl_${m}_${d}_$c" 2>/dev/null)
				hr=$(hl_ratio "$v" "$b")
				num "$hr" && rec "hl_r${m}_${d}_$c" "$hr"
			done
			v=$(tail -n 1 "$S/hl_${m}_${d}_l3nft" 2>/dev/null)
			b=$(tail -n 1 "$S/hl_${m}_${d}_netns" 2>/dev/null)
			hr=$(hl_ratio "$v" "$b")
			num "$hr" && rec "hl_r${m}_${d}_ln" "$hr"
		done
	done
}

# bench_headline: the whole comparison (topologies made here, removed by
# run.sh's cleanup on every exit path)
bench_headline() {
	note "headline: topologies (none, l3nft and netns+veth at N=$HL_N)"
	topo "$HN" && topo "$HLT" && topo "$HD" && topo "$HC" && topo "$HCL" || { not_ok "headline topologies"; return 1; }
	# as systemd sets it on most distributions: without it, removing the
	# primary IPv4 address of a subnet removes its secondaries too, and
	# `l3nft delete` then fails on the first alias already gone
	inns "$HCL-h" sysctl -qw net.ipv4.conf.all.promote_secondaries=1 net.ipv4.conf.eth0.promote_secondaries=1 >/dev/null
	inns "$HN-h" ip addr add 192.0.2.1/24 dev eth0 && inns "$HN-h" ip addr add 192.0.2.2/24 dev eth0 ||
		{ not_ok "no-isolation addresses"; return 1; }
	inns "$HLT-h" "$L3NFT" apply "$T/p$HL_N.yaml" >"$T/hl-apply.out" 2>&1 ||
		{ not_ok "l3nft apply (N=$HL_N)" "$(tail -n 3 "$T/hl-apply.out")"; return 1; }
	hl_dk_host "$HD" && hl_dk_published "$HD" && hl_dk_files "$HD" "$HL_N" && hl_dk_track "$HD" "$HL_N" &&
		inns "$HD-h" sh "$T/dk-create.sh" >"$T/dk.out" 2>&1 ||
		{ not_ok "netns+veth tenants (N=$HL_N)" "$(tail -n 3 "$T/dk.out")"; return 1; }
	hl_dk_host "$HC" || { not_ok "bridge for create/teardown"; return 1; }
	for tp in "$HN" "$HLT" "$HD"; do wait_link "$tp" 192.0.2.1 || not_ok "peer reaches 192.0.2.1 ($tp)"; done
	inns "$HD-t1" ping -c1 -W2 -q 192.0.2.254 >/dev/null 2>&1 || not_ok "a netns tenant reaches the peer"
	ok "headline topologies: none, l3nft and netns+veth, N=$HL_N tenants"
	note "headline: traffic, $HL_RUNS rounds; load average $(cut -d' ' -f1-3 /proc/loadavg)"
	hl_r=1
	while [ "$hl_r" -le "$HL_RUNS" ]; do
		case $((hl_r % 3)) in
		0) hl_order="none l3nft netns" ;;
		1) hl_order="l3nft netns none" ;;
		2) hl_order="netns none l3nft" ;;
		esac
		for hl_k in $HL_KINDS; do
			for hl_d in $HL_DIRS; do
				for hl_c in $hl_order; do hl_one "$hl_c" "$hl_d" "$hl_k"; done
			done
		done
		hl_round_ratios
		hl_r=$((hl_r + 1))
	done
	ok "headline traffic: peer->tenant TCP $(med hl_tcp_in_none)/$(med hl_tcp_in_l3nft)/$(med hl_tcp_in_netns) conn/s (none/l3nft/netns)"
	inns "$HD-h" sh "$T/dk-delete.sh" >/dev/null 2>&1
	hl_dk_untrack "$HD"
	for hl_n in $HL_SIZES; do
		note "headline: create/teardown at N=$hl_n, $HL_LIFE_RUNS rounds; load average $(cut -d' ' -f1-3 /proc/loadavg)"
		hl_r=1
		while [ "$hl_r" -le "$HL_LIFE_RUNS" ]; do
			hl_life "$HC" "$HCL" "$hl_n" || { not_ok "create/teardown at N=$hl_n"; break; }
			hl_r=$((hl_r + 1))
		done
		ok "create N=$hl_n: l3nft $(med "hl_create_l3nft_$hl_n.ms") ms, netns+veth $(med "hl_create_netns_$hl_n.ms") ms"
	done
	HL_LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
}

# ---- the report -----------------------------------------------------------
# hl_cell METRIC [SCALE]: "median (min-max)"
hl_cell() {
	read -r m lo hi cnt <<EOF
$(stats "$1")
EOF
	[ "$cnt" = 0 ] && { printf -- '-'; return; }
	sc=${2:-1}
	printf '%s (%s-%s)' "$(fmt "$(awk -v v="$m" -v s="$sc" 'BEGIN { print v / s }')")" \
		"$(fmt "$(awk -v v="$lo" -v s="$sc" 'BEGIN { print v / s }')")" \
		"$(fmt "$(awk -v v="$hi" -v s="$sc" 'BEGIN { print v / s }')")"
}
hl_n() { stats "$1" | awk '{ print $4 }'; }
report_headline() {
	cat <<EOF
## Headline: l3nft against netns+veth (Docker's model) and no isolation

Written by \`sh bench/run.sh $( [ $smoke = 1 ] && echo "--smoke" || echo "--headline")\` on $(date -u '+%Y-%m-%d %H:%M UTC'), binaries $BIN_ID;
load average $LOAD_START at the start, ${HL_LOAD_END:-?} at the end (2 CPUs
shared with other work: read the per-round ratios, not the absolute
figures).

Three models in three identical pairs of scratch netns ("host" and "peer",
one veth between them, the peer at 192.0.2.254), $HL_N tenants each:
**no isolation** (the tenants' addresses 192.0.2.1 and .2 on the host's
eth0, no table); **l3nft** (\`l3nft apply\` of a $HL_N-namespace policy:
aliases, the table, the socket layer; tenant processes in ns1's and ns2's
cgroups); **netns+veth**, Docker's default model: one netns per tenant, a
veth from it into bridge br0 of the host netns (198.51.100.254/24,
203.0.113.254/24, 2001:db8:2::fffe/64), the tenant's address and default
route inside, and one nft table in the host netns with Docker's chains:
prerouting/output DNAT of published ports (\`fib daddr type local\` ->
publish: one rule per tenant, tenant 1 publishes 192.0.2.1:7000-9999),
postrouting masquerade per tenant (\`ip saddr T oifname != br0\`), and
forward with policy drop (\`oifname br0 ct state established,related
accept\`, per-tenant published-port accept rules, \`iifname br0 accept\`).
The measured tenants' rules come last, so a new flow walks the other
tenants' rules first, as for a container started late.

Directions: **peer->tenant** (the peer connects to 192.0.2.1: tenant 1's
alias, or the published port), **tenant->peer** (tenant 1 connects to
192.0.2.254: l3nft's source is its alias, Docker's is masqueraded to the
host), **tenant<->tenant** (tenant 1 to tenant 2: l3nft through the host
netns' lo; Docker over the bridge, container to container). TCP conn/s:
connect, the server closes, the client resets; UDP: 64-byte datagrams/s
received; RR: one TCP connection, 64-byte request and its echo, the
round trip's p50/p99; bulk: one TCP connection writing 64 KiB blocks.
${PP_SECS} s per measurement; $HL_RUNS rounds, each measuring every cell of the
three models in a rotating order; each ratio is taken **within a round**
and the table gives the median (min-max) of those per-round ratios.
Load generators at \`nice -n -20\`.

| measurement | no isolation | l3nft | netns+veth | l3nft / none | netns / none | l3nft / netns | rounds |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
EOF
	for m in tcp udp p50 p99 bulk; do
		for d in $HL_DIRS; do
			case $m in
			tcp) u="TCP connections/s" ;; udp) u="UDP datagrams/s" ;;
			p50) u="TCP RR p50, us" ;; p99) u="TCP RR p99, us" ;; bulk) u="bulk TCP, Gbit/s" ;;
			esac
			case $d in in) w="peer->tenant" ;; out) w="tenant->peer" ;; tt) w="tenant<->tenant" ;; esac
			echo "| $u, $w | $(hl_cell "hl_${m}_${d}_none") | $(hl_cell "hl_${m}_${d}_l3nft") | $(hl_cell "hl_${m}_${d}_netns") | $(hl_cell "hl_r${m}_${d}_l3nft") | $(hl_cell "hl_r${m}_${d}_netns") | $(hl_cell "hl_r${m}_${d}_ln") | $(hl_n "hl_r${m}_${d}_ln") |"
		done
	done
	cat <<EOF

Creating and removing tenants, $HL_LIFE_RUNS rounds, both models in each round,
each in a pair of scratch netns of its own. **netns+veth**: one \`ip -b\` in the host
netns (\`netns add\`, \`link add dkI type veth peer name eth0 netns T\`,
\`link set dkI master br0 up\` per tenant), one \`ip -n T -b\` per tenant
(lo and eth0 up, an IPv6 address, an IPv4 one while the documentation
ranges last, i.e. tenants 1-506, default routes), then \`nft -f\` of the
table above; teardown: one \`ip -b\` of \`netns del\` and \`nft delete
table\` (the bridge stays, like docker0). **l3nft**: \`l3nft apply\` of the
N-namespace policy into an empty host netns (two addresses per namespace
added to eth0, the table, the socket layer attached), teardown \`l3nft
delete\` (\`promote_secondaries\` on in that netns, as systemd sets it:
without it \`l3nft delete\` fails once removing the first IPv4 alias of
the subnet took the others with it). The cgroups exist before and after
(a container runtime makes one per container in both models). Times are wall clock of those commands;
netns teardown continues in the kernel after \`ip netns del\` returns (the
run waits ${HL_SETTLE} s before the next step). Kernel memory: growth of Slab +
Percpu + KernelStack + PageTables in /proc/meminfo from before the create
to ${HL_SETTLE} s after it, divided by N: machine-wide, so other work on the
machine adds noise (min and max show how much).

| measurement | l3nft | netns+veth | l3nft / netns | rounds |
| --- | ---: | ---: | ---: | ---: |
EOF
	for n in $HL_SIZES; do
		nn=$(printf '%s' "$n" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')
		echo "| create $nn tenants, ms | $(hl_cell "hl_create_l3nft_$n.ms") | $(hl_cell "hl_create_netns_$n.ms") | $(hl_cell "hl_rcreate_$n") | $(hl_n "hl_rcreate_$n") |"
		echo "| tear down $nn tenants, ms | $(hl_cell "hl_delete_l3nft_$n.ms") | $(hl_cell "hl_delete_netns_$n.ms") | $(hl_cell "hl_rdelete_$n") | $(hl_n "hl_rdelete_$n") |"
		for c in l3nft netns; do
			awk -v n="$n" '{ print $1 / n }' "$S/hl_kmem_${c}_$n" 2>/dev/null >"$S/hl_kmemper_${c}_$n"
		done
		echo "| kernel memory per tenant at N=$nn, KB | $(hl_cell "hl_kmemper_l3nft_$n") | $(hl_cell "hl_kmemper_netns_$n") | $(ratio "$(med "hl_kmemper_l3nft_$n")" "$(med "hl_kmemper_netns_$n")") | $(hl_n "hl_kmemper_netns_$n") |"
	done
}
