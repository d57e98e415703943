/*
 * Fan-out: each copy goes to one namespace's own address as a unicast
 * datagram with the original source address, source port and payload,
 * through a raw socket that writes the whole IP header. The copy comes
 * back in through lo, where the table marks it by destination and lets it
 * reach only that namespace's sockets; being unicast, it is not queued
 * again.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "l3nftd.h"

#define L3D_MAX_PKT 65535

int l3d_deliver_open(struct l3d *d)
{
	int on = 1;

	d->raw4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (d->raw4 < 0)
		return -1;
	/* IPPROTO_RAW implies IP_HDRINCL; said anyway for clarity */
	setsockopt(d->raw4, IPPROTO_IP, IP_HDRINCL, &on, sizeof(on));
	d->raw6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	return d->raw6 < 0 ? -1 : 0;
}

static uint32_t l3d_sum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static uint16_t l3d_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* UDP checksum over the pseudo header of @src/@dst (4 or 16 bytes). */
static uint16_t l3d_udp_csum(const void *src, const void *dst, size_t alen,
			     const uint8_t *udp, size_t ulen)
{
	uint8_t ph[4] = { 0, IPPROTO_UDP, (uint8_t)(ulen >> 8), (uint8_t)ulen };
	uint32_t sum = l3d_sum(src, alen, 0);
	uint16_t c;

	sum = l3d_sum(dst, alen, sum);
	sum = l3d_sum(ph, 4, sum);
	sum = l3d_sum(udp, ulen, sum);
	c = l3d_fold(sum);
	return c ? c : 0xffff;
}

/* For IPv6, an address of @ns as wide as the original's source: a
 * link-local sender (mDNS, DHCPv6) is answered from a link-local address,
 * a global one from a global one; else the first IPv6 address. */
static const struct l3_addr *l3d_target6(const struct l3_ns *ns, const struct in6_addr *src)
{
	bool ll = IN6_IS_ADDR_LINKLOCAL(src);
	size_t i;

	for (i = 0; i < ns->naddrs; i++)
		if (ns->addrs[i].family == AF_INET6 &&
		    IN6_IS_ADDR_LINKLOCAL(&ns->addrs[i].a.v6) == ll)
			return &ns->addrs[i];
	return l3_cfg_ns_source(ns, AF_INET6);
}

/* The alias a copy for @ns goes to: for a subnet broadcast, the address in
 * that subnet; else the namespace's first address of the family. */
static const struct l3_addr *l3d_target(const struct l3_ns *ns, const struct l3d_dest *dst,
					const uint8_t *pkt)
{
	uint32_t d = ntohl(dst->a.v4.s_addr);
	struct in_addr bc;
	size_t i;

	if (dst->family == AF_INET6)
		return l3d_target6(ns, &((const struct ip6_hdr *)pkt)->ip6_src);
	if (dst->family == AF_INET && d != INADDR_BROADCAST && !IN_MULTICAST(d)) {
		for (i = 0; i < ns->naddrs; i++)
			if (l3_addr_broadcast(&ns->addrs[i], &bc) && bc.s_addr == dst->a.v4.s_addr)
				return &ns->addrs[i];
		return NULL;
	}
	return l3_cfg_ns_source(ns, dst->family);
}

static int l3d_send4(struct l3d *d, const struct in_addr *to, const uint8_t *pkt, size_t len)
{
	uint8_t buf[L3D_MAX_PKT];
	const struct iphdr *in = (const void *)pkt;
	size_t ihl = (size_t)in->ihl * 4, ulen = len - ihl;
	struct iphdr *ip = (void *)buf;
	struct udphdr *udp = (void *)(buf + sizeof(*ip));
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = *to };

	if (sizeof(*ip) + ulen > sizeof(buf))
		return -1;
	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = in->ttl;	/* mDNS checks for 255 (RFC 6762 s.11) */
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons((uint16_t)(sizeof(*ip) + ulen));
	ip->saddr = in->saddr;		/* the original sender, unchanged */
	ip->daddr = to->s_addr;
	memcpy(udp, pkt + ihl, ulen);
	udp->uh_sum = 0;
	udp->uh_sum = htons(l3d_udp_csum(&ip->saddr, &ip->daddr, 4, (uint8_t *)udp, ulen));
	ip->check = htons(l3d_fold(l3d_sum(ip, sizeof(*ip), 0)));
	return sendto(d->raw4, buf, sizeof(*ip) + ulen, 0, (struct sockaddr *)&sin,
		      sizeof(sin)) < 0 ? -1 : 0;
}

static int l3d_send6(struct l3d *d, const struct in6_addr *to, uint32_t scope,
		     const uint8_t *pkt, size_t len, size_t l4off)
{
	uint8_t buf[L3D_MAX_PKT];
	const struct ip6_hdr *in = (const void *)pkt;
	size_t ulen = len - l4off;
	struct ip6_hdr *ip6 = (void *)buf;
	struct udphdr *udp = (void *)(buf + sizeof(*ip6));
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = *to,
				     .sin6_scope_id = scope };

	if (sizeof(*ip6) + ulen > sizeof(buf))
		return -1;
	memset(ip6, 0, sizeof(*ip6));
	ip6->ip6_flow = htonl(6u << 28);
	ip6->ip6_plen = htons((uint16_t)ulen);
	ip6->ip6_nxt = IPPROTO_UDP;
	ip6->ip6_hlim = in->ip6_hlim;	/* as the original: 255 marks on-link */
	ip6->ip6_src = in->ip6_src;
	ip6->ip6_dst = *to;
	memcpy(udp, pkt + l4off, ulen);
	udp->uh_sum = 0;
	udp->uh_sum = htons(l3d_udp_csum(&ip6->ip6_src, &ip6->ip6_dst, 16, (uint8_t *)udp, ulen));
	return sendto(d->raw6, buf, sizeof(*ip6) + ulen, 0, (struct sockaddr *)&sin6,
		      sizeof(sin6)) < 0 ? -1 : 0;
}

int l3d_deliver(struct l3d *d, const struct l3_ns *ns, const uint8_t *pkt, size_t len,
		size_t l4off, const struct l3d_dest *dst)
{
	const struct l3_addr *to = l3d_target(ns, dst, pkt);
	uint32_t scope = 0;

	if (!to) {
		errno = EADDRNOTAVAIL;
		return -1;
	}
	if (dst->family == AF_INET)
		return l3d_send4(d, &to->a.v4, pkt, len);
	/* the copy carries no extension headers of the original */
	/* a link-local alias is named with its interface */
	if (IN6_IS_ADDR_LINKLOCAL(&to->a.v6)) {
		size_t i = (size_t)(ns - d->cfg->ns);

		scope = d->ns_ifindex && i < d->cfg->nns ? d->ns_ifindex[i] : 0;
	}
	return l3d_send6(d, &to->a.v6, scope, pkt, len, l4off);
}
