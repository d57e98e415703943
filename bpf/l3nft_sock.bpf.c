/*
 * The socket layer: cgroup BPF programs that make a namespace's sockets
 * use the namespace's addresses at the socket API, before any packet.
 *
 *   bind4/6     a wildcard bind becomes a bind to the namespace's address
 *               of that family, so every namespace may listen on
 *               0.0.0.0:P and [::]:P; a bind to an address it does not own
 *               is refused (return 0: bind() fails with EPERM)
 *   connect4/6  an unbound socket is bound to the namespace's address
 *               (bpf_bind) before the first packet: getsockname() and the
 *               peer see it; an explicit bind is kept
 *   sendmsg4/6  an unconnected datagram without a source gets the
 *               namespace's; an explicit foreign source is refused (EPERM)
 *   ingress     a packet handed to a namespace's socket is dropped unless
 *               it is for one of the namespace's addresses or its loopback
 *   sockops     at listen(), a TCP socket whose wildcard bind was rewritten
 *               (marked in l3_sk by bind4/6) goes into the l3_listen sockhash
 *   lookup      (sk_lookup, attached to the network namespace, not a
 *               cgroup) a new connection to any address of a namespace is
 *               handed to that namespace's wildcard listener on the port,
 *               so the wildcard covers every address, not only the one it
 *               was rewritten to, and IPv4 reaches a dual-stack [::];
 *               a datagram likewise to its wildcard-rewritten UDP socket
 *   post_bind4/6  a namespace's wildcard-rewritten UDP socket is bound:
 *               an event into the l3_udp_ev ring buffer for l3nftd
 *   udp_iter    (iter/udp, run by l3nftd on those events and by apply)
 *               enters this network namespace's wildcard-rewritten UDP
 *               sockets into l3_listen: no program that runs at a UDP
 *               bind may update a sockhash, an iterator may
 *
 * ingress and sendmsg4/6 run per packet or datagram: a socket's namespace
 * (and the last destination found to be its own) is cached in the
 * socket's storage (l3_skns) under the maps' generation (l3_gen), which
 * every writer of the maps changes, so an answer never outlives the
 * mapping it came from; bind and connect run once per socket and walk.
 *
 * Scope: only sockets of the network namespace the loader ran in (its
 * cookie is fixed in .rodata before load, so the scope holds before
 * anything is attached), and only sockets whose cgroup is a namespace's
 * cgroup or below it. Everything else returns 1 untouched: these programs
 * are attached high in the cgroup tree and run in every network namespace.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include "l3nft_maps.h"

#define AF_INET 2
#define AF_INET6 10

/* set by the loader between open and load: the scope never depends on a
 * map being filled */
const volatile __u64 l3_netns_cookie = 0;

enum l3_ctr_kind { L3_C_REWRITE, L3_C_REFUSE, L3_C_SRC, L3_C_SEND_REFUSE, L3_C_DROP, L3_C_STEER };

static __always_inline void l3_count(__u32 ns, enum l3_ctr_kind k)
{
	struct l3_bpf_ctr *c = bpf_map_lookup_elem(&l3_ctr, &ns);

	if (!c)
		return;
	/* per-CPU value: no atomics needed */
	switch (k) {
	case L3_C_REWRITE: c->bind_rewritten++; break;
	case L3_C_REFUSE: c->bind_refused++; break;
	case L3_C_SRC: c->src_filled++; break;
	case L3_C_SEND_REFUSE: c->send_refused++; break;
	case L3_C_DROP: c->ingress_dropped++; break;
	case L3_C_STEER: c->steered++; break;
	}
}

/* The namespace of the calling task's cgroup (deepest match), 0 if none. */
static __always_inline __u32 l3_task_ns(void)
{
	struct l3_bpf_conf *c;
	__u32 *ns, k = 0;
	__u64 id;
	int l;

	c = bpf_map_lookup_elem(&l3_conf, &k);
	if (!c)
		return 0;

#pragma unroll
	for (l = L3_BPF_LEVELS; l >= 1; l--) {
		if (!(c->levels & (1u << l)))
			continue;
		id = bpf_get_current_ancestor_cgroup_id(l);
		if (!id)
			continue;
		ns = bpf_map_lookup_elem(&l3_cgroup, &id);
		if (ns)
			return *ns;
	}
	return 0;
}

/* The same for the socket an skb is handed to. */
static __always_inline __u32 l3_skb_ns(struct __sk_buff *skb)
{
	struct l3_bpf_conf *c;
	__u32 *ns, k = 0;
	__u64 id;
	int l;

	c = bpf_map_lookup_elem(&l3_conf, &k);
	if (!c)
		return 0;

#pragma unroll
	for (l = L3_BPF_LEVELS; l >= 1; l--) {
		if (!(c->levels & (1u << l)))
			continue;
		id = bpf_skb_ancestor_cgroup_id(skb, l);
		if (!id)
			continue;
		ns = bpf_map_lookup_elem(&l3_cgroup, &id);
		if (ns)
			return *ns;
	}
	return 0;
}

/* The socket's namespace and its data, or NULL when out of scope. */
static __always_inline struct l3_bpf_ns *l3_addr_ctx_ns(struct bpf_sock_addr *ctx, __u32 *id)
{
	if (bpf_get_netns_cookie(ctx) != l3_netns_cookie)
		return 0;
	*id = l3_task_ns();
	if (!*id)
		return 0;
	return bpf_map_lookup_elem(&l3_ns, id);
}

static __always_inline __u32 l3_owner4(__u32 a)
{
	struct l3_bpf_addr_key k = { .family = AF_INET };
	__u32 *ns;

	__builtin_memcpy(k.addr, &a, 4);
	ns = bpf_map_lookup_elem(&l3_addr, &k);
	return ns ? *ns : 0;
}

static __always_inline __u32 l3_owner6(const __u32 a[4])
{
	struct l3_bpf_addr_key k = { .family = AF_INET6 };
	__u32 *ns;

	__builtin_memcpy(k.addr, a, 16);
	ns = bpf_map_lookup_elem(&l3_addr, &k);
	return ns ? *ns : 0;
}

/* ---- a socket's cached answers (l3_skns, valid in one l3_gen) ---- */

#define L3_READ_ONCE(x) (*(volatile __u64 *)&(x))

/* The maps' generation now; read before any walk whose answer is cached
 * under it, so a writer that changes a map afterwards also changes it. */
static __always_inline __u32 l3_gen_now(void)
{
	__u32 k = 0, *g = bpf_map_lookup_elem(&l3_gen, &k);

	return g ? *g : 0;
}

/* Does cache word @w hold an answer of generation @g? Into *@v if so. */
static __always_inline int l3_word_hit(__u64 w, __u32 g, __u32 *v)
{
	if (!g || (__u32)(w >> 32) != g)
		return 0;
	*v = (__u32)w;
	return 1;
}

static __always_inline void l3_word_put(__u64 *w, __u32 g, __u32 v)
{
	if (g)
		L3_READ_ONCE(*w) = (__u64)g << 32 | v;
}

/* The namespace of the socket an skb is handed to. A socket's cgroup is
 * fixed at its creation, so the answer holds for the socket until a map
 * changes (the generation with it); without storage, the walk. */
static __always_inline __u32 l3_skb_ns_cached(struct __sk_buff *skb, struct l3_bpf_skns *c,
					      __u32 g)
{
	__u32 id;

	if (c && l3_word_hit(L3_READ_ONCE(c->ns), g, &id))
		return id;
	id = l3_skb_ns(skb);
	if (c)
		l3_word_put(&c->ns, g, id);
	return id;
}

/* Is IPv4 destination @a namespace @id's own? The socket's last such
 * destination is cached (one socket, one address, as a rule). */
static __always_inline int l3_own4_cached(struct l3_bpf_skns *c, __u32 g, __u32 id, __u32 a)
{
	__u32 v;

	if (c && a && l3_word_hit(L3_READ_ONCE(c->ok4), g, &v) && v == a)
		return 1;
	if (l3_owner4(a) != id)
		return 0;
	if (c)
		l3_word_put(&c->ok4, g, a);
	return 1;
}

/* The namespace of the task sending on the socket (its cgroup, as bind
 * and connect judge), cached with that cgroup's id: a hit needs the same
 * cgroup and generation. The word's tag is the generation xor the
 * cgroup id's low half (the kernfs inode number, unique among live
 * cgroups), so a word made for another cgroup never matches; besides, a
 * writer clears tns, sets tcg, then sets tns, and a reader reads tns on
 * both sides of tcg. */
static __always_inline __u32 l3_send_ns(struct l3_bpf_skns *c, __u32 g)
{
	__u64 cg = bpf_get_current_cgroup_id(), w;
	__u32 id, tag = g ^ (__u32)cg;

	if (c && g) {
		w = L3_READ_ONCE(c->tns);
		if (w && L3_READ_ONCE(c->tcg) == cg && L3_READ_ONCE(c->tns) == w &&
		    (__u32)(w >> 32) == tag)
			return (__u32)w;
	}
	id = l3_task_ns();
	if (c && g) {
		L3_READ_ONCE(c->tns) = 0;
		L3_READ_ONCE(c->tcg) = cg;
		L3_READ_ONCE(c->tns) = (__u64)tag << 32 | id;
	}
	return id;
}

/* The sending task's namespace and its data, or NULL when out of scope. */
static __always_inline struct l3_bpf_ns *l3_send_ctx_ns(struct bpf_sock_addr *ctx, __u32 *id)
{
	struct l3_bpf_skns *c = 0;
	__u32 g;

	if (bpf_get_netns_cookie(ctx) != l3_netns_cookie)
		return 0;
	g = l3_gen_now();
	if (ctx->sk)
		c = bpf_sk_storage_get(&l3_skns, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	*id = l3_send_ns(c, g);
	if (!*id)
		return 0;
	return bpf_map_lookup_elem(&l3_ns, id);
}

static __always_inline int l3_loopback4(__u32 a)
{
	return (bpf_ntohl(a) >> 24) == 127;
}

/* multicast or the limited broadcast */
static __always_inline int l3_group4(__u32 a)
{
	return (bpf_ntohl(a) >> 28) == 0xe || a == 0xffffffffu;
}

static __always_inline int l3_any6(const __u32 a[4])
{
	return !(a[0] | a[1] | a[2] | a[3]);
}

static __always_inline int l3_loopback6(const __u32 a[4])
{
	return !(a[0] | a[1] | a[2]) && a[3] == bpf_htonl(1);
}

static __always_inline int l3_group6(const __u32 a[4])
{
	return (bpf_ntohl(a[0]) >> 24) == 0xff;
}

static __always_inline int l3_mapped6(const __u32 a[4])
{
	return !(a[0] | a[1]) && a[2] == bpf_htonl(0xffff);
}

/* May namespace @ns use IPv4 address @a as its own? */
static __always_inline int l3_may_use4(__u32 ns, __u32 a)
{
	return l3_loopback4(a) || l3_group4(a) || l3_owner4(a) == ns;
}

static __always_inline int l3_may_use6(__u32 ns, const __u32 a[4])
{
	if (l3_mapped6(a))
		return a[3] && l3_may_use4(ns, a[3]);
	return l3_loopback6(a) || l3_group6(a) || l3_owner6(a) == ns;
}

/* Marks the socket being bound as a rewritten wildcard of namespace @id,
 * for sockops at listen(). Without storage (ENOMEM) the bind still works,
 * on the one address it was given. */
static __always_inline void l3_mark_wild(struct bpf_sock_addr *ctx, __u32 id)
{
	struct l3_bpf_sk *s;

	s = bpf_sk_storage_get(&l3_sk, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (s) {
		s->ns = id;
		s->flags |= L3_BPF_SK_WILD;
	}
}

/* A bind that is retried after failing (EADDRINUSE) must not keep the
 * mark of an earlier rewritten attempt. */
static __always_inline void l3_unmark(struct bpf_sock_addr *ctx)
{
	struct l3_bpf_sk *s = bpf_sk_storage_get(&l3_sk, ctx->sk, 0, 0);

	if (s)
		s->flags = 0;
}

/* The kernel's struct sock, only the field read below (CO-RE: the offset
 * comes from this kernel's BTF at load). No sockopt helper reads it. */
struct sock_common___l3 {
	unsigned char skc_ipv6only : 1;
} __attribute__((preserve_access_index));
struct sock___l3 {
	struct sock_common___l3 __sk_common;
} __attribute__((preserve_access_index));

/* Is the IPv6 socket being bound a TCP or UDP socket without IPV6_V6ONLY? */
static __always_inline int l3_dual_stack(struct bpf_sock_addr *ctx)
{
	struct sock___l3 *sk;

	if (ctx->protocol == IPPROTO_TCP)
		sk = (struct sock___l3 *)bpf_skc_to_tcp6_sock(ctx->sk);
	else if (ctx->protocol == IPPROTO_UDP)
		sk = (struct sock___l3 *)bpf_skc_to_udp6_sock(ctx->sk);
	else
		return 0;
	if (!sk)
		return 0;
	return !BPF_CORE_READ_BITFIELD(&sk->__sk_common, skc_ipv6only);
}

SEC("cgroup/bind4")
int l3_bind4(struct bpf_sock_addr *ctx)
{
	struct l3_bpf_ns *n;
	__u32 id, a;

	n = l3_addr_ctx_ns(ctx, &id);
	if (!n)
		return 1;
	l3_unmark(ctx);
	a = ctx->user_ip4;
	if (!a && (n->flags & L3_BPF_NS_HAS4)) {
		ctx->user_ip4 = n->src4;
		l3_mark_wild(ctx, id);
		l3_count(id, L3_C_REWRITE);
		return 1;
	}
	if (a && l3_may_use4(id, a))
		return 1;
	l3_count(id, L3_C_REFUSE);
	return 0;
}

SEC("cgroup/bind6")
int l3_bind6(struct bpf_sock_addr *ctx)
{
	struct l3_bpf_ns *n;
	__u32 id, a[4];

	n = l3_addr_ctx_ns(ctx, &id);
	if (!n)
		return 1;
	l3_unmark(ctx);
	a[0] = ctx->user_ip6[0];
	a[1] = ctx->user_ip6[1];
	a[2] = ctx->user_ip6[2];
	a[3] = ctx->user_ip6[3];
	if (l3_any6(a) && (n->flags & L3_BPF_NS_HAS4) && l3_dual_stack(ctx)) {
		/* a dual-stack TCP or UDP [::]: bound to the IPv4 source,
		 * mapped, it stays dual-stack (a plain IPv6 address would
		 * make it v6only) and sk_lookup brings it the namespace's
		 * IPv6 */
		ctx->user_ip6[0] = 0;
		ctx->user_ip6[1] = 0;
		ctx->user_ip6[2] = bpf_htonl(0xffff);
		ctx->user_ip6[3] = n->src4;
		l3_mark_wild(ctx, id);
		l3_count(id, L3_C_REWRITE);
		return 1;
	}
	if (l3_any6(a) && (n->flags & L3_BPF_NS_HAS6)) {
		__u32 s[4];

		__builtin_memcpy(s, n->src6, 16);
		ctx->user_ip6[0] = s[0];
		ctx->user_ip6[1] = s[1];
		ctx->user_ip6[2] = s[2];
		ctx->user_ip6[3] = s[3];
		l3_mark_wild(ctx, id);
		l3_count(id, L3_C_REWRITE);
		return 1;
	}
	if (!l3_any6(a) && l3_may_use6(id, a))
		return 1;
	l3_count(id, L3_C_REFUSE);
	return 0;
}

SEC("cgroup/connect4")
int l3_connect4(struct bpf_sock_addr *ctx)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct bpf_sock *sk = ctx->sk;
	struct l3_bpf_ns *n;
	__u32 id;

	n = l3_addr_ctx_ns(ctx, &id);
	if (!n || !sk || !(n->flags & L3_BPF_NS_HAS4))
		return 1;
	/* an explicit bind is kept; loopback peers see loopback */
	if (sk->src_ip4 || l3_loopback4(ctx->user_ip4))
		return 1;
	sa.sin_addr.s_addr = n->src4;
	if (bpf_bind(ctx, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		l3_count(id, L3_C_SRC);
	return 1;
}

SEC("cgroup/connect6")
int l3_connect6(struct bpf_sock_addr *ctx)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	struct bpf_sock *sk = ctx->sk;
	struct l3_bpf_ns *n;
	__u32 id, d[4];

	n = l3_addr_ctx_ns(ctx, &id);
	if (!n || !sk)
		return 1;
	if (sk->src_ip6[0] | sk->src_ip6[1] | sk->src_ip6[2] | sk->src_ip6[3])
		return 1;
	d[0] = ctx->user_ip6[0];
	d[1] = ctx->user_ip6[1];
	d[2] = ctx->user_ip6[2];
	d[3] = ctx->user_ip6[3];
	if (l3_loopback6(d))
		return 1;
	if (l3_mapped6(d)) {
		/* IPv4 peer on a dual-stack socket: its IPv4 source, mapped */
		if (!(n->flags & L3_BPF_NS_HAS4) || l3_loopback4(d[3]))
			return 1;
		sa.sin6_addr.in6_u.u6_addr32[2] = bpf_htonl(0xffff);
		sa.sin6_addr.in6_u.u6_addr32[3] = n->src4;
	} else {
		if (!(n->flags & L3_BPF_NS_HAS6))
			return 1;
		__builtin_memcpy(&sa.sin6_addr, n->src6, 16);
	}
	if (bpf_bind(ctx, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		l3_count(id, L3_C_SRC);
	return 1;
}

SEC("cgroup/sendmsg4")
int l3_sendmsg4(struct bpf_sock_addr *ctx)
{
	struct l3_bpf_ns *n;
	__u32 id, s;

	n = l3_send_ctx_ns(ctx, &id);
	if (!n)
		return 1;
	/* the source the kernel would use: IP_PKTINFO's, else the bound one */
	s = ctx->msg_src_ip4;
	if (s) {
		if (l3_may_use4(id, s))
			return 1;
		l3_count(id, L3_C_SEND_REFUSE);
		return 0;
	}
	if ((n->flags & L3_BPF_NS_HAS4) && !l3_loopback4(ctx->user_ip4)) {
		ctx->msg_src_ip4 = n->src4;
		l3_count(id, L3_C_SRC);
	}
	return 1;
}

SEC("cgroup/sendmsg6")
int l3_sendmsg6(struct bpf_sock_addr *ctx)
{
	struct l3_bpf_ns *n;
	__u32 id, s[4], d[4];

	n = l3_send_ctx_ns(ctx, &id);
	if (!n)
		return 1;
	s[0] = ctx->msg_src_ip6[0];
	s[1] = ctx->msg_src_ip6[1];
	s[2] = ctx->msg_src_ip6[2];
	s[3] = ctx->msg_src_ip6[3];
	if (!l3_any6(s)) {
		if (l3_may_use6(id, s))
			return 1;
		l3_count(id, L3_C_SEND_REFUSE);
		return 0;
	}
	d[0] = ctx->user_ip6[0];
	d[1] = ctx->user_ip6[1];
	d[2] = ctx->user_ip6[2];
	d[3] = ctx->user_ip6[3];
	if ((n->flags & L3_BPF_NS_HAS6) && !l3_loopback6(d) && !l3_mapped6(d)) {
		__u32 a[4];

		__builtin_memcpy(a, n->src6, 16);
		ctx->msg_src_ip6[0] = a[0];
		ctx->msg_src_ip6[1] = a[1];
		ctx->msg_src_ip6[2] = a[2];
		ctx->msg_src_ip6[3] = a[3];
		l3_count(id, L3_C_SRC);
	}
	return 1;
}

/* Loopback traffic for a namespace: shared, or from itself (nft's output
 * chain marked it with the sender's mark, which survives lo). */
static __always_inline int l3_lo_ok(struct __sk_buff *skb, const struct l3_bpf_ns *n)
{
	__u32 k = 0;
	struct l3_bpf_conf *c;

	if (n->flags & L3_BPF_NS_LO_SHARED)
		return 1;
	c = bpf_map_lookup_elem(&l3_conf, &k);
	return c && (skb->mark & c->mark_mask) == n->mark;
}

SEC("cgroup_skb/ingress")
int l3_ingress(struct __sk_buff *skb)
{
	struct l3_bpf_skns *c = 0;
	struct bpf_sock *sk;
	struct l3_bpf_ns *n;
	__u32 id, g, d[4];
	int lo;

	if (bpf_get_netns_cookie(skb) != l3_netns_cookie)
		return 1;
	g = l3_gen_now();
	sk = skb->sk;
	if (sk)
		c = bpf_sk_storage_get(&l3_skns, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	id = l3_skb_ns_cached(skb, c, g);
	if (!id)
		return 1;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, 16, &d[0], 4) < 0)
			goto drop;
		if (l3_own4_cached(c, g, id, d[0]))
			return 1;
		lo = l3_loopback4(d[0]);
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, 24, d, 16) < 0)
			goto drop;
		if (l3_owner6(d) == id)
			return 1;
		lo = l3_loopback6(d);
	} else {
		return 1;
	}
	/* the namespace's data only off the common path */
	n = bpf_map_lookup_elem(&l3_ns, &id);
	if (!n || (lo && l3_lo_ok(skb, n)))
		return 1;
drop:
	l3_count(id, L3_C_DROP);
	return 0;
}

/* At listen(): a namespace's wildcard-rewritten TCP socket into l3_listen.
 * The mark says "was wildcard" and which namespace (set at bind, in this
 * network namespace: bind4/6 checked the cookie). BPF_ANY: of several
 * listeners of one namespace on a port (SO_REUSEPORT) the newest is
 * entered; the kernel then picks within its reuseport group. */
SEC("sockops")
int l3_sockops(struct bpf_sock_ops *skops)
{
	struct l3_bpf_listen_key k = { .protocol = IPPROTO_TCP };
	struct bpf_sock *sk;
	struct l3_bpf_sk *s;

	if (skops->op != BPF_SOCK_OPS_TCP_LISTEN_CB)
		return 1;
	sk = skops->sk;
	if (!sk)
		return 1;
	s = bpf_sk_storage_get(&l3_sk, sk, 0, 0);
	if (!s || !(s->flags & L3_BPF_SK_WILD))
		return 1;
	k.ns = s->ns;
	k.family = (__u16)skops->family;
	k.port = skops->local_port;
	bpf_sock_hash_update(skops, &l3_listen, &k, BPF_ANY);
	return 1;
}

/* The namespace that owns the address socket @sk is bound to (IPv4, IPv6,
 * or IPv4 mapped on a dual-stack socket); 0 if none. */
static __always_inline __u32 l3_sk_owner(const struct bpf_sock *sk)
{
	__u32 a[4];

	if (sk->family == AF_INET)
		return l3_owner4(sk->src_ip4);
	a[0] = sk->src_ip6[0];
	a[1] = sk->src_ip6[1];
	a[2] = sk->src_ip6[2];
	a[3] = sk->src_ip6[3];
	return l3_mapped6(a) ? l3_owner4(a[3]) : l3_owner6(a);
}

/* The namespace that owns destination address of @ctx; 0 if none. */
static __always_inline __u32 l3_lookup_owner(const struct bpf_sk_lookup *ctx)
{
	__u32 d[4];

	if (ctx->family == AF_INET)
		return l3_owner4(ctx->local_ip4);
	d[0] = ctx->local_ip6[0];
	d[1] = ctx->local_ip6[1];
	d[2] = ctx->local_ip6[2];
	d[3] = ctx->local_ip6[3];
	return l3_owner6(d);
}

/* Hands the lookup to @sk if it is bound to one of namespace @ns's
 * addresses (an entry can never carry traffic across namespaces) and,
 * for UDP, not connected (a connected socket takes only its peer's). */
static __always_inline void l3_lookup_assign(struct bpf_sk_lookup *ctx, struct bpf_sock *sk,
					     __u32 ns)
{
	if (ctx->protocol == IPPROTO_UDP && sk->dst_port)
		return;
	/* a v6only socket refuses IPv4 (ESOCKTNOSUPPORT): normal lookup then */
	if (l3_sk_owner(sk) == ns && bpf_sk_assign(ctx, sk, 0) == 0)
		l3_count(ns, L3_C_STEER);
}

/*
 * UDP only for an address the kernel's own lookup would not take to the
 * namespace's wildcard socket: IPv4 other than the one the wildcard was
 * rewritten to (a socket bound there, or a dual-stack one bound to it
 * mapped, is found without us). IPv6 always: a dual-stack [::] is bound to
 * the IPv4 source, so even its primary IPv6 address needs the hand-over.
 * The host's addresses cost one hash lookup, as for TCP.
 */
static __always_inline int l3_lookup_udp_wanted(const struct bpf_sk_lookup *ctx, __u32 ns)
{
	struct l3_bpf_ns *n;

	if (!ns)
		return 0;
	if (ctx->family != AF_INET)
		return 1;
	n = bpf_map_lookup_elem(&l3_ns, &ns);
	return n && !((n->flags & L3_BPF_NS_HAS4) && n->src4 == ctx->local_ip4);
}

/*
 * A new connection or a datagram to address D, port P: if D is namespace
 * N's, hand it to N's wildcard socket on P (same family, else a
 * dual-stack one for IPv4). Everything else (the host's addresses, other
 * ports and protocols, a miss) is left to the kernel's own lookup.
 */
SEC("sk_lookup")
int l3_lookup(struct bpf_sk_lookup *ctx)
{
	struct l3_bpf_listen_key k = { .protocol = (__u8)ctx->protocol, .port = ctx->local_port };
	struct bpf_sock *sk;
	__u32 ns;

	/* anything but TCP and UDP is never in l3_listen */
	if (ctx->protocol != IPPROTO_TCP && ctx->protocol != IPPROTO_UDP)
		return SK_PASS;
	ns = l3_lookup_owner(ctx);
	if (ctx->protocol == IPPROTO_UDP ? !l3_lookup_udp_wanted(ctx, ns) : !ns)
		return SK_PASS;
	k.ns = ns;
	k.family = (__u16)ctx->family;
	sk = bpf_map_lookup_elem(&l3_listen, &k);
	if (!sk && ctx->family == AF_INET) {
		/* UDP keeps its dual-stack sockets apart: an IPv6 key may
		 * be a v6only socket there (TCP has one listener a port) */
		k.family = ctx->protocol == IPPROTO_UDP ? L3_BPF_KEY_DUAL : AF_INET6;
		sk = bpf_map_lookup_elem(&l3_listen, &k);
	}
	if (!sk)
		return SK_PASS;
	l3_lookup_assign(ctx, sk, ns);
	bpf_sk_release(sk);
	return SK_PASS;
}

/* ---- UDP: post_bind events and the iterator that fills l3_listen ---- */

/* A namespace's wildcard-rewritten UDP socket was bound (post_bind runs
 * after the port is taken: the socket is in the UDP table, where the
 * iterator will find it). Rings l3nftd's doorbell. */
static __always_inline int l3_post_bind(struct bpf_sock *sk)
{
	struct l3_bpf_udp_ev *ev;
	struct l3_bpf_sk *s;

	if (sk->protocol != IPPROTO_UDP || bpf_get_netns_cookie(sk) != l3_netns_cookie)
		return 1;
	s = bpf_sk_storage_get(&l3_sk, sk, 0, 0);
	if (!s || !(s->flags & L3_BPF_SK_WILD))
		return 1;
	ev = bpf_ringbuf_reserve(&l3_udp_ev, sizeof(*ev), 0);
	if (!ev)
		return 1;	/* full: unread events, a walk is coming anyway */
	ev->ns = s->ns;
	ev->family = (__u16)sk->family;
	ev->port = (__u16)sk->src_port;
	bpf_ringbuf_submit(ev, 0);
	return 1;
}

SEC("cgroup/post_bind4")
int l3_post_bind4(struct bpf_sock *sk)
{
	return l3_post_bind(sk);
}

SEC("cgroup/post_bind6")
int l3_post_bind6(struct bpf_sock *sk)
{
	return l3_post_bind(sk);
}

/* The kernel's types as the iterator reads them (CO-RE: offsets from this
 * kernel's BTF at load). */
struct bpf_iter_meta;
struct udp_sock;
struct bpf_iter__udp {
	struct bpf_iter_meta *meta;
	struct udp_sock *udp_sk;
} __attribute__((preserve_access_index));
struct sock_common___it {
	unsigned short skc_family;
	__u32 skc_rcv_saddr;
	__u16 skc_num;
	__u16 skc_dport;
	struct in6_addr skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));
struct sock___it {
	struct sock_common___it __sk_common;
	__u16 sk_protocol;
} __attribute__((preserve_access_index));

/* The namespace owning the address @sk is bound to (IPv4, IPv6, IPv4
 * mapped on a dual-stack socket); *@dual set for the last. 0 if none. */
static __always_inline __u32 l3_it_owner(struct sock___it *sk, __u16 family, int *dual)
{
	__u32 a[4];

	*dual = 0;
	if (family == AF_INET)
		return l3_owner4(BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
	BPF_CORE_READ_INTO(&a, sk, __sk_common.skc_v6_rcv_saddr);
	if (!l3_mapped6(a))
		return l3_owner6(a);
	*dual = 1;
	return l3_owner4(a[3]);
}

/*
 * Every UDP socket of the network namespace the iterator was opened in
 * (the kernel scopes it so; l3nftd and apply run there): one that bind4/6
 * marked as a namespace's rewritten wildcard and that is still bound to
 * an address of that same namespace goes into l3_listen under (namespace,
 * family, UDP, port); a dual-stack one also as L3_BPF_KEY_DUAL. The
 * namespace is the mark's (the binding task's cgroup, never anything the
 * tenant chooses) and must own the bound address: a host socket is never
 * marked, and a namespace can bind only its own addresses. BPF_ANY: of
 * several sockets of one namespace on a port (SO_REUSEPORT) any one is
 * entered; the kernel then picks within its reuseport group.
 */
SEC("iter/udp")
int l3_udp_iter(struct bpf_iter__udp *ctx)
{
	struct l3_bpf_listen_key k = { .protocol = IPPROTO_UDP };
	struct sock___it *sk = (struct sock___it *)ctx->udp_sk;
	struct l3_bpf_sk *s;
	__u16 family;
	int dual;

	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_UDP)
		return 0;
	s = bpf_sk_storage_get(&l3_sk, sk, 0, 0);
	if (!s || !(s->flags & L3_BPF_SK_WILD) || BPF_CORE_READ(sk, __sk_common.skc_dport))
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	if (l3_it_owner(sk, family, &dual) != s->ns)
		return 0;
	k.ns = s->ns;
	k.family = family;
	k.port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (!k.port)
		return 0;
	bpf_map_update_elem(&l3_listen, &k, sk, BPF_ANY);
	if (dual) {
		k.family = L3_BPF_KEY_DUAL;
		bpf_map_update_elem(&l3_listen, &k, sk, BPF_ANY);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
