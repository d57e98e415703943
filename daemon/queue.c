/*
 * The NFQUEUE consumer (libnetfilter_queue's libmnl API). Every datagram
 * the table queues is fanned out; then the original goes on to the host's
 * own sockets when the socket layer is attached, else it is dropped (see
 * l3d_verdict). Verdicts are batched into one per burst, sent when the
 * socket runs dry.
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
#include <time.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include "l3nft/kernel/sock_maps.h"
#include "l3nftd.h"

#define L3D_QUEUE_MAXLEN 4096
#define L3D_RCVBUF (16 << 20)
#define L3D_BURST 256

static int l3d_queue_cfg(struct l3d *d, void (*put)(struct nlmsghdr *, struct l3d *))
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, d->cfg->queue);

	nlh->nlmsg_flags |= NLM_F_ACK;
	put(nlh, d);
	ssize_t n;

	if (mnl_socket_sendto(d->nfq, nlh, nlh->nlmsg_len) < 0)
		return -1;
	n = mnl_socket_recvfrom(d->nfq, buf, sizeof(buf));
	if (n < 0)
		return -1;
	return mnl_cb_run(buf, (size_t)n, 0, 0, NULL, NULL) < 0 ? -1 : 0;
}

static void l3d_put_bind(struct nlmsghdr *nlh, struct l3d *d)
{
	(void)d;
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
}

static void l3d_put_params(struct nlmsghdr *nlh, struct l3d *d)
{
	uint32_t flags = NFQA_CFG_F_GSO | (d->cfg->fail_open ? NFQA_CFG_F_FAIL_OPEN : 0);

	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, L3D_QUEUE_MAXLEN);
	/* GSO: take large packets whole; FAIL_OPEN: a full queue lets
	 * packets through instead of dropping them, as fail_open asks */
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN));
}

int l3d_queue_open(struct l3d *d)
{
	int sz = L3D_RCVBUF;

	d->nfq = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!d->nfq || mnl_socket_bind(d->nfq, 0, MNL_SOCKET_AUTOPID) < 0)
		return -1;
	/* room for a burst of the queue's whole length */
	if (setsockopt(mnl_socket_get_fd(d->nfq), SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(mnl_socket_get_fd(d->nfq), SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (l3d_queue_cfg(d, l3d_put_bind) < 0 || l3d_queue_cfg(d, l3d_put_params) < 0)
		return -1;
	return 0;
}

/* Finds the UDP header of an IPv6 packet past its extension headers. */
static size_t l3d_udp6_offset(const uint8_t *p, size_t len)
{
	size_t off = sizeof(struct ip6_hdr);
	uint8_t nxt = ((const struct ip6_hdr *)p)->ip6_nxt;
	int hops;

	for (hops = 0; hops < 8 && nxt != IPPROTO_UDP; hops++) {
		if (nxt != IPPROTO_HOPOPTS && nxt != IPPROTO_ROUTING && nxt != IPPROTO_DSTOPTS)
			return 0;
		if (off + 8 > len)
			return 0;
		nxt = p[off];
		off += ((size_t)p[off + 1] + 1) * 8;
	}
	return nxt == IPPROTO_UDP && off + sizeof(struct udphdr) <= len ? off : 0;
}

/* Reads destination and UDP offset; 0 when the packet is not one we handle. */
static size_t l3d_parse(const uint8_t *p, size_t len, struct l3d_dest *dst)
{
	const struct udphdr *udp;
	size_t off;

	memset(dst, 0, sizeof(*dst));
	if (len >= sizeof(struct iphdr) && (p[0] >> 4) == 4) {
		const struct iphdr *ip = (const void *)p;

		off = (size_t)ip->ihl * 4;
		if (ip->protocol != IPPROTO_UDP || off < sizeof(*ip) ||
		    off + sizeof(*udp) > len)
			return 0;
		dst->family = AF_INET;
		dst->a.v4.s_addr = ip->daddr;
	} else if (len >= sizeof(struct ip6_hdr) && (p[0] >> 4) == 6) {
		off = l3d_udp6_offset(p, len);
		if (!off)
			return 0;
		dst->family = AF_INET6;
		dst->a.v6 = ((const struct ip6_hdr *)p)->ip6_dst;
	} else {
		return 0;
	}
	udp = (const void *)(p + off);
	if (ntohs(udp->uh_ulen) != len - off)
		return 0;
	dst->port = ntohs(udp->uh_dport);
	return off;
}

/* Did the datagram arrive where @ns lives? A namespace with an interface
 * gets only what came in on it (0: the kernel did not say). */
static bool l3d_same_link(const struct l3d *d, const struct l3_ns *ns, uint32_t indev)
{
	size_t i = (size_t)(ns - d->cfg->ns);

	if (!ns->ifname || !indev || !d->ns_ifindex || i >= d->cfg->nns)
		return true;
	return d->ns_ifindex[i] == indev;
}

static void l3d_fanout(struct l3d *d, const uint8_t *p, size_t len, uint32_t indev)
{
	const struct l3d_route *rt;
	struct l3d_dest dst;
	size_t off = l3d_parse(p, len, &dst), n, i;

	if (!off) {
		d->st.bad_packets++;
		l3d_log("bad packet", "dropped a queued packet that is not a whole UDP datagram");
		return;
	}
	rt = l3d_reg_match(d, &dst, &n);
	if (n == 0)
		d->st.dropped_nobody++;
	for (i = 0; i < n; i++) {
		if (!l3d_same_link(d, rt[i].ns, indev)) {
			d->st.other_link++;
			continue;
		}
		if (l3d_deliver(d, rt[i].ns, p, len, off, &dst) < 0) {
			d->st.send_errors++;
			l3d_log("send", "delivering to namespace %s: %s", rt[i].ns->name,
				strerror(errno));
		}
	}
	l3d_deliver_flush(d);	/* counts the copies delivered */
}

struct l3d_burst {
	struct l3d *d;
	uint32_t last_id;
	bool any;
};

static int l3d_queue_msg(const struct nlmsghdr *nlh, void *data)
{
	struct l3d_burst *b = data;
	struct nlattr *attr[NFQA_MAX + 1] = { 0 };
	const struct nfqnl_msg_packet_hdr *ph;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_OK;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	b->last_id = ntohl(ph->packet_id);
	b->any = true;
	b->d->st.queued++;
	if (attr[NFQA_PAYLOAD])
		l3d_fanout(b->d, mnl_attr_get_payload(attr[NFQA_PAYLOAD]),
			   mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]),
			   attr[NFQA_IFINDEX_INDEV] ? ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_INDEV]))
						    : 0);
	return MNL_CB_OK;
}

/*
 * What becomes of the originals once the copies are out. With the socket
 * layer attached, no namespace socket is wildcard-bound (bind4/6 rewrite
 * or refuse it) and its cgroup_skb ingress program drops, at every
 * namespace socket, whatever is not for the namespace's own addresses --
 * a group or broadcast address never is -- whichever way the kernel picked
 * the socket (bound to the group itself, or wildcard-bound before the
 * programs were attached). So the original may go on, to the host's own
 * sockets (avahi, DHCP). Without the layer, a namespace's INADDR_ANY
 * socket would get it: it is dropped, as before. Asked per burst (one
 * stat()), so a layer removed by `apply` with `socket_layer: off` is
 * noticed at the next burst, not at the next resync.
 */
static int l3d_verdict(const struct l3d *d)
{
	return d->sl_dir[0] && l3_sock_maps_attached(d->sl_dir) ? NF_ACCEPT : NF_DROP;
}

/* One verdict for every packet up to @id, in order (see l3d_verdict). */
static void l3d_verdict_batch(struct l3d *d, uint32_t id)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT_BATCH, d->cfg->queue);

	nfq_nlmsg_verdict_put(nlh, (int)id, l3d_verdict(d));
	if (mnl_socket_sendto(d->nfq, nlh, nlh->nlmsg_len) < 0)
		l3d_log("verdict", "sending verdicts: %s", strerror(errno));
}

int l3d_queue_run(struct l3d *d)
{
	static char buf[0xffff + 8192];
	struct l3d_burst b = { .d = d };
	int i;

	for (i = 0; i < L3D_BURST; i++) {
		ssize_t n = recv(mnl_socket_get_fd(d->nfq), buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == ENOBUFS) {
				/* the queue outran us: the kernel dropped packets */
				d->st.enobufs++;
				l3d_log("enobufs", "queue overflow: packets were lost (%llu times so far)",
					(unsigned long long)d->st.enobufs);
				continue;
			}
			if (errno != EAGAIN && errno != EINTR)
				l3d_log("recv", "reading the queue: %s", strerror(errno));
			break;
		}
		mnl_cb_run(buf, (size_t)n, 0, 0, l3d_queue_msg, &b);
	}
	if (b.any)
		l3d_verdict_batch(d, b.last_id);
	return 0;
}
