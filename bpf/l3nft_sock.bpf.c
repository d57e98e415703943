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
#include "l3nft_maps.h"

#define AF_INET 2
#define AF_INET6 10

/* set by the loader between open and load: the scope never depends on a
 * map being filled */
const volatile __u64 l3_netns_cookie = 0;

enum l3_ctr_kind { L3_C_REWRITE, L3_C_REFUSE, L3_C_SRC, L3_C_SEND_REFUSE, L3_C_DROP };

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

SEC("cgroup/bind4")
int l3_bind4(struct bpf_sock_addr *ctx)
{
	struct l3_bpf_ns *n;
	__u32 id, a;

	n = l3_addr_ctx_ns(ctx, &id);
	if (!n)
		return 1;
	a = ctx->user_ip4;
	if (!a && (n->flags & L3_BPF_NS_HAS4)) {
		ctx->user_ip4 = n->src4;
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
	a[0] = ctx->user_ip6[0];
	a[1] = ctx->user_ip6[1];
	a[2] = ctx->user_ip6[2];
	a[3] = ctx->user_ip6[3];
	if (l3_any6(a) && (n->flags & L3_BPF_NS_HAS6)) {
		__u32 s[4];

		__builtin_memcpy(s, n->src6, 16);
		ctx->user_ip6[0] = s[0];
		ctx->user_ip6[1] = s[1];
		ctx->user_ip6[2] = s[2];
		ctx->user_ip6[3] = s[3];
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

	n = l3_addr_ctx_ns(ctx, &id);
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

	n = l3_addr_ctx_ns(ctx, &id);
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
	struct l3_bpf_ns *n;
	__u32 id, d[4];

	if (bpf_get_netns_cookie(skb) != l3_netns_cookie)
		return 1;
	id = l3_skb_ns(skb);
	if (!id)
		return 1;
	n = bpf_map_lookup_elem(&l3_ns, &id);
	if (!n)
		return 1;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, 16, &d[0], 4) < 0)
			goto drop;
		if (l3_owner4(d[0]) == id || (l3_loopback4(d[0]) && l3_lo_ok(skb, n)))
			return 1;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, 24, d, 16) < 0)
			goto drop;
		if (l3_owner6(d) == id || (l3_loopback6(d) && l3_lo_ok(skb, n)))
			return 1;
	} else {
		return 1;
	}
drop:
	l3_count(id, L3_C_DROP);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
