/*
 * Addresses that come back. `l3nft apply` puts each namespace's addresses
 * on its interface, but the host takes them away again: a link going down
 * drops every IPv6 address, dhclient and networkd flush IPv4 ones, and an
 * interface created after apply (a VLAN, a bridge) has none. l3nftd
 * listens to rtnetlink (address and link groups) and, on every event,
 * puts back whatever policy address is missing (but an adopted one, which
 * the host manages), tagged IFA_PROTO L3_IFA_PROTO like apply's. An
 * address present anywhere on the host
 * (also one a sysadmin added by hand) is left alone, as apply does; and
 * nothing is added while the table is gone (after `l3nft delete`).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include "l3nft/kernel/alias.h"
#include "l3nftd.h"

int l3d_addrs_open(struct l3d *d)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int rcv = 1 << 20;

	if (l3_rt_open(&d->rt) < 0)
		return -1;
	d->rt_ev = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!d->rt_ev ||
	    mnl_socket_bind(d->rt_ev, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
			    MNL_SOCKET_AUTOPID) < 0)
		return -1;
	d->rt_fd = mnl_socket_get_fd(d->rt_ev);
	/* a flush of thousands of aliases is one event each: room for them;
	 * an overflow (ENOBUFS) only means "look again", which we do anyway */
	setsockopt(d->rt_fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	ev.data.fd = d->rt_fd;
	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->rt_fd, &ev);
}

void l3d_addrs_close(struct l3d *d)
{
	free(d->ns_ifindex);
	d->ns_ifindex = NULL;
	l3_rt_close(&d->rt);
	if (d->rt_ev)
		mnl_socket_close(d->rt_ev);
	d->rt_ev = NULL;
	d->rt_fd = -1;
}

static void l3d_addr_note(int prio, const char *verb, const struct l3_ns *ns,
			  const struct l3_addr *a, const char *why)
{
	char s[INET6_ADDRSTRLEN] = "?";

	inet_ntop(a->family, &a->a, s, sizeof(s));
	l3d_logp(prio, verb, "%s %s/%d on %s for namespace %s%s%s", verb, s, a->plen, ns->ifname,
		 ns->name, why ? ": " : "", why ? why : "");
}

/* Adds the addresses of @ns missing from @now; how many were added. */
static size_t l3d_addrs_ns(struct l3d *d, const struct l3_ns *ns, const struct l3_aliases *now)
{
	unsigned ifindex = 0;
	size_t i, n = 0;

	for (i = 0; i < ns->naddrs; i++) {
		const struct l3_addr *a = &ns->addrs[i];
		struct l3_alias al = { .family = a->family, .plen = a->plen, .a = { .v6 = a->a.v6 } };

		/* an adopted address is the host's to manage, never ours to add */
		if (a->adopt || l3_alias_find(now, a->family, &a->a))
			continue;
		if (!ifindex && !(ifindex = if_nametoindex(ns->ifname)))
			return n;	/* not there (yet): its RTM_NEWLINK brings us back */
		al.ifindex = (int)ifindex;
		if (a->family == AF_INET)
			al.a.v4 = a->a.v4;
		if (l3_alias_add(&d->rt, &al) < 0 && errno != EEXIST) {
			l3d_addr_note(LOG_ERR, "cannot restore", ns, a, strerror(errno));
			continue;
		}
		l3d_addr_note(LOG_NOTICE, "restored", ns, a, NULL);
		d->st.addrs_restored++;
		n++;
	}
	return n;
}

/* Where each namespace's interface is now: for the fan-out's same-link
 * check, kept current by link events. */
static void l3d_addrs_ifindex(struct l3d *d)
{
	unsigned *v = realloc(d->ns_ifindex, (d->cfg->nns + 1) * sizeof(*v));
	size_t i;

	if (!v)
		return;
	d->ns_ifindex = v;
	/* if_nametoindex() is a socket and an ioctl: asked once per run of
	 * namespaces on the same interface (10,000 on eth0 is the usual) */
	for (i = 0; i < d->cfg->nns; i++) {
		const char *ifn = d->cfg->ns[i].ifname;

		if (i && ifn && d->cfg->ns[i - 1].ifname && !strcmp(ifn, d->cfg->ns[i - 1].ifname))
			v[i] = v[i - 1];
		else
			v[i] = ifn ? if_nametoindex(ifn) : 0;
	}
}

size_t l3d_addrs_sync(struct l3d *d)
{
	struct l3_aliases now;
	size_t i, n = 0;

	l3d_addrs_ifindex(d);
	/* `l3nft delete` removes the table, then the addresses: those stay
	 * removed, l3nftd does not undo a delete */
	if (!d->rt.nl || !l3d_table_exists(d))
		return 0;
	if (l3_alias_dump(&d->rt, &now) < 0) {
		l3d_log("addresses", "reading the host's addresses: %s", strerror(errno));
		return 0;
	}
	for (i = 0; i < d->cfg->nns; i++)
		if (d->cfg->ns[i].ifname)
			n += l3d_addrs_ns(d, &d->cfg->ns[i], &now);
	l3_aliases_free(&now);
	return n;
}

/* Is @nlh worth a look: an address gone, or a link that appeared or
 * changed state? Our own RTM_NEWADDRs are not. */
static int l3d_addrs_msg(const struct nlmsghdr *nlh, void *data)
{
	int *what = data;

	if (nlh->nlmsg_type == RTM_DELADDR)
		*what |= 1;
	else if (nlh->nlmsg_type == RTM_NEWLINK)
		*what |= 2;
	return MNL_CB_OK;
}

void l3d_addrs_event(struct l3d *d)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int what = 0;
	ssize_t n;

	/* drain first: a flush is many messages, one look at the end serves all */
	while ((n = recv(d->rt_fd, buf, sizeof(buf), MSG_DONTWAIT)) != 0) {
		if (n < 0) {
			if (errno == ENOBUFS) {
				what |= 3;	/* events were lost: look at everything */
				continue;
			}
			break;
		}
		mnl_cb_run(buf, (size_t)n, 0, 0, l3d_addrs_msg, &what);
	}
	if (what)
		l3d_addrs_sync(d);
	/* a new or re-created interface has no multicast memberships */
	if (what & 2)
		l3d_reg_sync(d);
}
