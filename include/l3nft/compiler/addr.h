/*
 * Addresses and listen entries as the policy writes them, and the names
 * the policy may use. The parsers are shared by the policy loader, the
 * control protocol and the daemon.
 */
#ifndef L3NFT_COMPILER_ADDR_H
#define L3NFT_COMPILER_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include "l3nft/compiler/diag.h"

#define L3_NAME_MAX 31		/* [a-z][a-z0-9_-]{0,30} */

/* An address with its prefix length, as written in `addresses:`. */
struct l3_addr {
	int family;		/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} a;
	int plen;
	bool adopt;		/* present on the host already: the namespace's, never removed */
	struct l3_pos pos;
};

enum l3_listen_kind {
	L3_LISTEN_GROUP,	/* a multicast group */
	L3_LISTEN_BROADCAST,	/* subnet broadcasts of the namespace, and 255.255.255.255 */
};

/* One `listen:` entry, e.g. 239.1.1.1:5000/udp or broadcast:137/udp. */
struct l3_listen {
	enum l3_listen_kind kind;
	int family;		/* AF_INET or AF_INET6 (GROUP); AF_INET (BROADCAST) */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} group;
	uint16_t port;		/* host byte order */
	struct l3_pos pos;
};

/*
 * Each parser returns 0,
 * or -1 with a human-readable reason in @why (a static string).
 */
int l3_addr_parse(const char *s, struct l3_addr *out, const char **why);
int l3_listen_parse(const char *s, struct l3_listen *out, const char **why);
/* Formats @l as the policy file writes it. */
void l3_listen_format(const struct l3_listen *l, char *buf, size_t len);
/* The directed broadcast address of IPv4 prefix @a in @out; false for
 * IPv6 and for /31 and /32, which have none. */
bool l3_addr_broadcast(const struct l3_addr *a, struct in_addr *out);

bool l3_name_valid(const char *s);
/* A word nft reads as a keyword, which cannot name a table in nft text. */
bool l3_nft_keyword(const char *s);

#endif
