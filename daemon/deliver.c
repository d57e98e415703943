/*
 * Fan-out: each copy goes to one namespace's own address as a unicast
 * datagram with the original source address, source port and payload,
 * through a raw socket that writes the whole IP header; the copies of a
 * datagram leave in one sendmmsg() (l3d_deliver_flush). The copy comes
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
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include "l3nftd.h"

#define L3D_MAX_PKT 65535
#define L3D_BATCH 64		/* copies per sendmmsg() */

static int l3d_batch_alloc(struct l3d *d);

int l3d_deliver_open(struct l3d *d)
{
	int on = 1;

	if (l3d_batch_alloc(d) < 0)
		return -1;
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

/*
 * The copies of one datagram go out together in one sendmmsg(): each
 * copy is its own IP and UDP header (the destination differs, and with
 * it the checksum) followed by the original's payload, shared by every
 * copy through the iovec. The payload is summed once per datagram; each
 * copy adds only its destination to that sum.
 */
struct l3d_copy {
	union {
		struct {
			struct iphdr ip;
			struct udphdr udp;
		} v4;
		struct {
			struct ip6_hdr ip6;
			struct udphdr udp;
		} v6;
	} h;
	union {
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} to;
	struct iovec iov[2];
	const struct l3_ns *ns;
};

/* The copies being gathered: the daemon's (d->batch), not the file's, so
 * that nothing of one daemon's state outlives it or is shared. */
struct l3d_batch {
	struct l3d_copy c[L3D_BATCH];
	struct mmsghdr m[L3D_BATCH];
	size_t n;
	int fd;			/* the raw socket the batch goes to */
	const uint8_t *pkt;	/* the datagram the batch copies */
	uint32_t sum;		/* its UDP header and payload, unfolded */
};

static int l3d_batch_alloc(struct l3d *d)
{
	d->batch = calloc(1, sizeof(*d->batch));
	return d->batch ? 0 : -1;
}

/* The datagram's part of the UDP checksum: source, length, protocol and
 * the UDP header (checksum zeroed) with the payload. */
static uint32_t l3d_copy_sum(const void *src, size_t alen, const uint8_t *udp, size_t ulen)
{
	uint8_t ph[4] = { 0, IPPROTO_UDP, (uint8_t)(ulen >> 8), (uint8_t)ulen };
	uint32_t sum = l3d_sum(src, alen, 0);

	sum = l3d_sum(ph, 4, sum);
	sum = l3d_sum(udp, 6, sum);	/* ports and length; the checksum is 0 */
	return l3d_sum(udp + sizeof(struct udphdr), ulen - sizeof(struct udphdr), sum);
}

static uint16_t l3d_copy_csum(uint32_t sum, const void *dst, size_t alen)
{
	uint16_t c = l3d_fold(l3d_sum(dst, alen, sum));

	return c ? c : 0xffff;
}

/* Starts the batch of datagram @pkt (a new datagram flushes the old). */
static void l3d_batch_begin(struct l3d *d, int fd, const uint8_t *pkt, const void *src,
			    size_t alen, const uint8_t *udp, size_t ulen)
{
	struct l3d_batch *b = d->batch;

	if (b->n && b->pkt != pkt)
		l3d_deliver_flush(d);
	if (b->n == L3D_BATCH)
		l3d_deliver_flush(d);
	if (b->n == 0) {
		b->fd = fd;
		b->pkt = pkt;
		b->sum = l3d_copy_sum(src, alen, udp, ulen);
	}
}

/* The next copy's slot, its message pointing at its header, @to and the
 * payload. */
static struct l3d_copy *l3d_batch_slot(struct l3d_batch *b, const struct l3_ns *ns, size_t hlen,
				       socklen_t tolen, const uint8_t *payload, size_t plen)
{
	struct l3d_copy *c = &b->c[b->n];
	struct mmsghdr *m = &b->m[b->n++];

	memset(&c->h, 0, sizeof(c->h));
	c->ns = ns;
	c->iov[0].iov_base = &c->h;
	c->iov[0].iov_len = hlen;
	c->iov[1].iov_base = (void *)payload;
	c->iov[1].iov_len = plen;
	memset(m, 0, sizeof(*m));
	m->msg_hdr.msg_name = &c->to;
	m->msg_hdr.msg_namelen = tolen;
	m->msg_hdr.msg_iov = c->iov;
	m->msg_hdr.msg_iovlen = plen ? 2 : 1;
	return c;
}

static int l3d_send4(struct l3d *d, const struct l3_ns *ns, const struct in_addr *to,
		     const uint8_t *pkt, size_t len)
{
	const struct iphdr *in = (const void *)pkt;
	size_t ihl = (size_t)in->ihl * 4, ulen = len - ihl;
	const struct udphdr *uin = (const void *)(pkt + ihl);
	struct l3d_copy *c;

	if (sizeof(struct iphdr) + ulen > L3D_MAX_PKT) {
		errno = EMSGSIZE;
		return -1;
	}
	l3d_batch_begin(d, d->raw4, pkt, &in->saddr, 4, pkt + ihl, ulen);
	c = l3d_batch_slot(d->batch, ns, sizeof(c->h.v4), sizeof(c->to.sin), pkt + ihl + sizeof(*uin),
			   ulen - sizeof(*uin));
	c->to.sin = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr = *to };
	c->h.v4.ip.version = 4;
	c->h.v4.ip.ihl = 5;
	c->h.v4.ip.ttl = in->ttl;	/* mDNS checks for 255 (RFC 6762 s.11) */
	c->h.v4.ip.protocol = IPPROTO_UDP;
	c->h.v4.ip.tot_len = htons((uint16_t)(sizeof(struct iphdr) + ulen));
	c->h.v4.ip.saddr = in->saddr;	/* the original sender, unchanged */
	c->h.v4.ip.daddr = to->s_addr;
	c->h.v4.ip.check = htons(l3d_fold(l3d_sum(&c->h.v4.ip, sizeof(c->h.v4.ip), 0)));
	c->h.v4.udp = *uin;
	c->h.v4.udp.uh_sum = htons(l3d_copy_csum(d->batch->sum, &to->s_addr, 4));
	return 0;
}

static int l3d_send6(struct l3d *d, const struct l3_ns *ns, const struct in6_addr *to,
		     uint32_t scope, const uint8_t *pkt, size_t len, size_t l4off)
{
	const struct ip6_hdr *in = (const void *)pkt;
	size_t ulen = len - l4off;
	const struct udphdr *uin = (const void *)(pkt + l4off);
	struct l3d_copy *c;

	if (sizeof(struct ip6_hdr) + ulen > L3D_MAX_PKT) {
		errno = EMSGSIZE;
		return -1;
	}
	l3d_batch_begin(d, d->raw6, pkt, &in->ip6_src, 16, pkt + l4off, ulen);
	c = l3d_batch_slot(d->batch, ns, sizeof(c->h.v6), sizeof(c->to.sin6), pkt + l4off + sizeof(*uin),
			   ulen - sizeof(*uin));
	c->to.sin6 = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_addr = *to,
					    .sin6_scope_id = scope };
	c->h.v6.ip6.ip6_flow = htonl(6u << 28);
	c->h.v6.ip6.ip6_plen = htons((uint16_t)ulen);
	c->h.v6.ip6.ip6_nxt = IPPROTO_UDP;
	c->h.v6.ip6.ip6_hlim = in->ip6_hlim;	/* as the original: 255 marks on-link */
	c->h.v6.ip6.ip6_src = in->ip6_src;
	c->h.v6.ip6.ip6_dst = *to;
	c->h.v6.udp = *uin;
	c->h.v6.udp.uh_sum = htons(l3d_copy_csum(d->batch->sum, to, 16));
	return 0;
}

void l3d_deliver_flush(struct l3d *d)
{
	struct l3d_batch *b = d->batch;
	size_t i = 0;

	while (b && i < b->n) {
		int n = sendmmsg(b->fd, &b->m[i], (unsigned)(b->n - i), 0);

		if (n > 0) {
			d->st.delivered += (uint64_t)n;
			i += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* the copy at @i failed: count it, go on with the next */
		d->st.send_errors++;
		l3d_log("send", "delivering to namespace %s: %s", b->c[i].ns->name,
			strerror(n < 0 ? errno : EIO));
		i++;
	}
	if (b) {
		b->n = 0;
		b->pkt = NULL;
	}
}

void l3d_deliver_close(struct l3d *d)
{
	free(d->batch);
	d->batch = NULL;
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
		return l3d_send4(d, ns, &to->a.v4, pkt, len);
	/* the copy carries no extension headers of the original */
	/* a link-local alias is named with its interface */
	if (IN6_IS_ADDR_LINKLOCAL(&to->a.v6)) {
		size_t i = (size_t)(ns - d->cfg->ns);

		scope = d->ns_ifindex && i < d->cfg->nns ? d->ns_ifindex[i] : 0;
	}
	return l3d_send6(d, ns, &to->a.v6, scope, pkt, len, l4off);
}
