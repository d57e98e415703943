/* Address dump, add and delete over rtnetlink (libmnl). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include "l3nft/kernel/alias.h"

int l3_rt_open(struct l3_rt *rt)
{
	rt->seq = (uint32_t)time(NULL);
	rt->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (rt->nl && mnl_socket_bind(rt->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;

		mnl_socket_close(rt->nl);
		rt->nl = NULL;
		errno = e;
	}
	return rt->nl ? 0 : -1;
}

void l3_rt_close(struct l3_rt *rt)
{
	if (rt->nl)
		mnl_socket_close(rt->nl);
	rt->nl = NULL;
}

static int l3_alias_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFA_MAX) > 0)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int l3_alias_cmp(const void *a, const void *b);

static int l3_alias_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct l3_aliases *out = data;
	const struct nlattr *addr;
	struct l3_alias *al;

	mnl_attr_parse(nlh, sizeof(*ifa), l3_alias_attr, tb);
	/* IFA_LOCAL is the address itself on point-to-point links */
	addr = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!addr || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return MNL_CB_OK;
	if (mnl_attr_get_payload_len(addr) != (ifa->ifa_family == AF_INET ? 4u : 16u))
		return MNL_CB_OK;
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 32;
		void *p = realloc(out->v, cap * sizeof(*out->v));

		if (!p)
			return MNL_CB_ERROR;
		out->v = p;
		out->cap = cap;
	}
	al = &out->v[out->n++];
	memset(al, 0, sizeof(*al));
	al->ifindex = (int)ifa->ifa_index;
	al->family = ifa->ifa_family;
	al->plen = ifa->ifa_prefixlen;
	memcpy(&al->a, mnl_attr_get_payload(addr), mnl_attr_get_payload_len(addr));
	if (tb[IFA_PROTO])
		al->proto = mnl_attr_get_u8(tb[IFA_PROTO]);
	return MNL_CB_OK;
}

/* An RTM_*ADDR request header in @buf; the caller fills in *@ifa. */
static struct nlmsghdr *l3_rt_addr_msg(char *buf, uint16_t type, uint16_t flags, uint32_t seq,
				       struct ifaddrmsg **ifa)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	*ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(**ifa));
	return nlh;
}

int l3_alias_dump(struct l3_rt *rt, struct l3_aliases *out)
{
	char *buf = malloc(MNL_SOCKET_BUFFER_SIZE * 4);
	struct mnl_socket *nl = rt->nl;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	uint32_t seq = ++rt->seq;
	int rc = -1;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	if (!buf)
		goto out;
	nlh = l3_rt_addr_msg(buf, RTM_GETADDR, NLM_F_DUMP, seq, &ifa);
	ifa->ifa_family = AF_UNSPEC;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto out;
	while ((n = mnl_socket_recvfrom(nl, buf, MNL_SOCKET_BUFFER_SIZE * 4)) > 0) {
		rc = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), l3_alias_msg, out);
		if (rc <= 0)
			break;
	}
out:
	free(buf);
	if (rc < 0)
		l3_aliases_free(out);
	else if (out->n)	/* for l3_alias_find()'s binary search */
		qsort(out->v, out->n, sizeof(*out->v), l3_alias_cmp);
	return rc < 0 ? -1 : 0;
}

void l3_aliases_free(struct l3_aliases *a)
{
	free(a->v);
	memset(a, 0, sizeof(*a));
}

static int l3_alias_cmp(const void *a, const void *b)
{
	const struct l3_alias *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(&x->a, &y->a, x->family == AF_INET ? 4 : 16);
}

const struct l3_alias *l3_alias_find(const struct l3_aliases *a, int family, const void *addr)
{
	struct l3_alias key = { .family = family };

	if (!a->n)
		return NULL;
	memcpy(&key.a, addr, family == AF_INET ? 4 : 16);
	return bsearch(&key, a->v, a->n, sizeof(*a->v), l3_alias_cmp);
}

static int l3_alias_request(struct l3_rt *rt, const struct l3_alias *al, uint16_t type,
			    uint16_t flags)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = rt->nl;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	uint32_t seq = ++rt->seq;
	int rc = -1;
	ssize_t n;

	nlh = l3_rt_addr_msg(buf, type, NLM_F_ACK | flags, seq, &ifa);
	ifa->ifa_family = (uint8_t)al->family;
	ifa->ifa_prefixlen = (uint8_t)al->plen;
	ifa->ifa_index = (uint32_t)al->ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put(nlh, IFA_LOCAL, al->family == AF_INET ? 4 : 16, &al->a);
	mnl_attr_put(nlh, IFA_ADDRESS, al->family == AF_INET ? 4 : 16, &al->a);
	if (type == RTM_NEWADDR) {
		/* IPv6: no DAD, so the address works as soon as apply returns;
		 * and deprecated (preferred lifetime 0), so source address
		 * selection never picks it for the host's own traffic, as it
		 * would the newest of equal candidates. It still receives, can
		 * be bound, and is what SNAT writes. */
		if (al->family == AF_INET6) {
			struct ifa_cacheinfo ci = { .ifa_prefered = 0, .ifa_valid = 0xffffffffu };

			mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
			mnl_attr_put(nlh, IFA_CACHEINFO, sizeof(ci), &ci);
		}
		mnl_attr_put_u8(nlh, IFA_PROTO, L3_IFA_PROTO);
	}
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) >= 0) {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n >= 0)
			rc = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), NULL, NULL);
	}
	return rc < 0 ? -1 : 0;
}

int l3_alias_add(struct l3_rt *rt, const struct l3_alias *al)
{
	return l3_alias_request(rt, al, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
}

/* /proc/sys/net/ipv4/conf/@dev/promote_secondaries: 0 or 1, -1 when it
 * cannot be read; written when @set is 0 or 1. */
static int l3_promote(const char *dev, int set)
{
	char path[64 + IF_NAMESIZE], c = 0;
	int fd, v = -1;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/promote_secondaries", dev);
	fd = open(path, set < 0 ? O_RDONLY | O_CLOEXEC : O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (set < 0)
		v = read(fd, &c, 1) == 1 ? c == '1' : -1;
	else
		v = write(fd, set ? "1" : "0", 1) == 1 ? set : -1;
	close(fd);
	return v;
}

/*
 * Removing a device's primary IPv4 address also removes every secondary of
 * its subnet unless promote_secondaries is on (the kernel's default is off;
 * systemd turns it on): other namespaces' aliases and the sysadmin's own
 * addresses would go with one of ours. So while ours goes, the device
 * promotes them instead; the setting is put back after. The name of the
 * device whose setting was changed is left in @dev ("" when none was).
 */
static void l3_promote_on(const struct l3_alias *al, char dev[IF_NAMESIZE])
{
	dev[0] = '\0';
	if (al->family != AF_INET || l3_promote("all", -1) != 0 ||
	    !if_indextoname((unsigned int)al->ifindex, dev) || l3_promote(dev, -1) != 0 ||
	    l3_promote(dev, 1) != 1)
		dev[0] = '\0';
}

int l3_alias_del(struct l3_rt *rt, const struct l3_alias *al)
{
	char dev[IF_NAMESIZE];
	int rc, e;

	l3_promote_on(al, dev);
	rc = l3_alias_request(rt, al, RTM_DELADDR, 0);
	e = errno;
	if (dev[0])
		l3_promote(dev, 0);
	/* gone already (removed by hand, or with its primary by someone
	 * else): what was asked for holds */
	if (rc < 0 && e == EADDRNOTAVAIL)
		rc = 0;
	errno = e;
	return rc;
}
