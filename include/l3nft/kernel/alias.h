/*
 * The namespaces' addresses on their interfaces, over rtnetlink. Addresses
 * l3nft adds carry IFA_PROTO = L3_IFA_PROTO, so l3nft can tell them from
 * the ones a sysadmin added and never touches the latter.
 */
#ifndef L3NFT_KERNEL_ALIAS_H
#define L3NFT_KERNEL_ALIAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define L3_IFA_PROTO 0x6c	/* 'l': "added by l3nft" */

struct l3_alias {
	int ifindex;
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} a;
	int plen;
	uint8_t proto;		/* IFA_PROTO; 0 when the kernel did not say */
};

struct l3_aliases {
	struct l3_alias *v;
	size_t n, cap;
};

/* One rtnetlink socket (close-on-exec) for a whole plan of requests. */
struct mnl_socket;
struct l3_rt {
	struct mnl_socket *nl;
	uint32_t seq;
};

/* 0, or -1 with errno. */
int l3_rt_open(struct l3_rt *rt);
void l3_rt_close(struct l3_rt *rt);

/* Every address of the network namespace, sorted for l3_alias_find().
 * 0, or -1 with errno. */
int l3_alias_dump(struct l3_rt *rt, struct l3_aliases *out);
void l3_aliases_free(struct l3_aliases *a);
/* The entry for @family/@addr (any interface), or NULL. */
const struct l3_alias *l3_alias_find(const struct l3_aliases *a, int family, const void *addr);
/* Adds @al (IPv6 without duplicate address detection), tagged as ours. */
int l3_alias_add(struct l3_rt *rt, const struct l3_alias *al);
/* Removes @al and nothing else: an IPv4 primary's secondaries are
 * promoted, not removed with it (see alias.c). Already gone is success. */
int l3_alias_del(struct l3_rt *rt, const struct l3_alias *al);

#endif
