/* Parsers for the small textual forms of the policy: addresses with a
 * prefix length, listen specs and names. Strict: one spelling per value. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "l3nft/compiler/addr.h"
#include "l3nft/compiler/util.h"

bool l3_name_valid(const char *s)
{
	size_t i;

	if (!(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (i = 1; s[i]; i++) {
		char c = s[i];

		if (i >= L3_NAME_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

/*
 * Words that nft's scanner reads as keywords, which `nft -f` then refuses
 * where a table name belongs ("table inet counter" is a syntax error, and
 * nft has no quoting for table names): those that nftables' scanner (git,
 * after 1.1.6) knows outside any start condition, and those that nft 1.0.6
 * refuses as a table name. Sorted for bsearch (LC_ALL=C).
 */
static const char *const l3_nft_keywords[] = {
	"accept", "add", "ah", "all", "and", "arp", "bridge", "cgroup", "chain",
	"comment", "comp", "constant", "continue", "counter", "cpu", "create", "ct",
	"day", "dccp", "define", "delete", "describe", "destroy", "device", "devices",
	"dnat", "drop", "dst", "dup", "dynamic", "ecn", "element", "elements", "eq",
	"esp", "ether", "exists", "expires", "export", "exthdr", "fib", "flags",
	"flow", "flowtable", "flush", "frag", "fwd", "ge", "geneve", "get", "goto",
	"gre", "gretap", "gt", "handle", "hbh", "hook", "hour", "ibriport", "ibrname",
	"icmp", "icmpv6", "igmp", "iif", "iifgroup", "iifname", "iiftype", "import",
	"include", "index", "inet", "insert", "interval", "ip", "ip6", "ipsec",
	"jhash", "jump", "last", "le", "limit", "list", "log", "lshift", "lt", "map",
	"mark", "masquerade", "meta", "meter", "mh", "missing", "monitor", "ne",
	"netdev", "nftrace", "not", "notrack", "numgen", "obriport", "obrname",
	"offload", "oif", "oifgroup", "oifname", "oiftype", "or", "osf", "pkttype",
	"policy", "position", "priority", "queue", "quota", "random", "redefine",
	"redirect", "reject", "rename", "replace", "reset", "return", "rshift", "rt",
	"rt0", "rt2", "rtclassid", "rule", "ruleset", "sctp", "secmark", "set",
	"size", "skgid", "skuid", "snat", "socket", "srh", "symhash", "synproxy",
	"table", "tcp", "th", "time", "timeout", "tproxy", "tunnel", "type", "typeof",
	"udp", "udplite", "undefine", "update", "vlan", "vmap", "vni", "vxlan", "xor",
	"xt",
};

static int l3_strcmp_p(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool l3_nft_keyword(const char *s)
{
	return bsearch(&s, l3_nft_keywords, L3_ARRAY_SIZE(l3_nft_keywords),
		       sizeof(l3_nft_keywords[0]), l3_strcmp_p) != NULL;
}

/* A decimal number without sign or leading zeros, at most @max. */
static int l3_parse_dec(const char *s, size_t n, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static bool l3_v4_special(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	return (h >> 24) == 0 || (h >> 24) == 127 || (h >> 28) == 0xe ||
	       (h >> 28) == 0xf;
}

static bool l3_v6_special(const struct in6_addr *a)
{
	return IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a) ||
	       IN6_IS_ADDR_MULTICAST(a) || IN6_IS_ADDR_LINKLOCAL(a) ||
	       IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a);
}

/* Address literal of either family, no prefix; 0 or -1. */
static int l3_ip_parse(const char *s, int *family, void *out)
{
	if (strchr(s, ':')) {
		*family = AF_INET6;
		return inet_pton(AF_INET6, s, out) == 1 ? 0 : -1;
	}
	*family = AF_INET;
	/* inet_pton (unlike inet_aton) takes only dotted quads without
	 * leading zeros, so 10.1 or 010.0.0.1 are refused, not guessed at */
	return inet_pton(AF_INET, s, out) == 1 ? 0 : -1;
}

int l3_addr_parse(const char *s, struct l3_addr *out, const char **why)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	unsigned long plen;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!slash) {
		*why = "an address needs a prefix length, e.g. 192.0.2.10/24";
		return -1;
	}
	n = (size_t)(slash - s);
	if (n == 0 || n >= sizeof(buf)) {
		*why = "malformed address";
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (l3_ip_parse(buf, &out->family, &out->a) < 0) {
		*why = "malformed address";
		return -1;
	}
	if (l3_parse_dec(slash + 1, strlen(slash + 1),
			 out->family == AF_INET ? 32 : 128, &plen) < 0 || plen == 0) {
		*why = out->family == AF_INET ? "prefix length must be 1..32"
					      : "prefix length must be 1..128";
		return -1;
	}
	out->plen = (int)plen;
	if (out->family == AF_INET ? l3_v4_special(out->a.v4) : l3_v6_special(&out->a.v6)) {
		*why = "not a unicast address a namespace can own "
		       "(loopback, multicast, link-local, unspecified or reserved)";
		return -1;
	}
	return 0;
}

/* "ADDR:PORT/udp", "[V6]:PORT/udp" or "broadcast:PORT/udp". */
int l3_listen_parse(const char *s, struct l3_listen *out, const char **why)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *slash, *h = s;
	unsigned long port;
	size_t hn;

	memset(out, 0, sizeof(*out));
	slash = strrchr(s, '/');
	if (!slash) {
		*why = "expected ADDR:PORT/udp, broadcast:PORT/udp or [V6ADDR]:PORT/udp";
		return -1;
	}
	if (strcmp(slash + 1, "udp") != 0) {
		*why = "only udp can be broadcast or multicast";
		return -1;
	}
	colon = slash;
	while (colon > s && colon[-1] != ':')
		colon--;
	if (colon == s) {
		*why = "expected ADDR:PORT/udp, broadcast:PORT/udp or [V6ADDR]:PORT/udp";
		return -1;
	}
	if (l3_parse_dec(colon, (size_t)(slash - colon), 65535, &port) < 0 || port == 0) {
		*why = "port must be 1..65535";
		return -1;
	}
	out->port = (uint16_t)port;
	hn = (size_t)(colon - 1 - s);
	if (hn >= 2 && h[0] == '[' && h[hn - 1] == ']') {
		h++;
		hn -= 2;
		if (!memchr(h, ':', hn)) {
			*why = "only IPv6 addresses go in brackets";
			return -1;
		}
	} else if (memchr(h, ':', hn)) {
		*why = "write an IPv6 group in brackets: [ff02::fb]:5353/udp";
		return -1;
	}
	if (hn == 0 || hn >= sizeof(host)) {
		*why = "malformed address";
		return -1;
	}
	memcpy(host, h, hn);
	host[hn] = '\0';
	if (strcmp(host, "broadcast") == 0) {
		out->kind = L3_LISTEN_BROADCAST;
		out->family = AF_INET;
		return 0;
	}
	out->kind = L3_LISTEN_GROUP;
	if (l3_ip_parse(host, &out->family, &out->group) < 0) {
		*why = "malformed address";
		return -1;
	}
	if (out->family == AF_INET ? !IN_MULTICAST(ntohl(out->group.v4.s_addr))
				   : !IN6_IS_ADDR_MULTICAST(&out->group.v6)) {
		*why = "not a multicast group; use broadcast:PORT/udp for broadcast";
		return -1;
	}
	return 0;
}

void l3_listen_format(const struct l3_listen *l, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (l->kind == L3_LISTEN_BROADCAST) {
		snprintf(buf, len, "broadcast:%u/udp", l->port);
		return;
	}
	inet_ntop(l->family, &l->group, a, sizeof(a));
	if (l->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u/udp", a, l->port);
	else
		snprintf(buf, len, "%s:%u/udp", a, l->port);
}

bool l3_addr_broadcast(const struct l3_addr *a, struct in_addr *out)
{
	if (a->family != AF_INET || a->plen >= 31)
		return false;
	out->s_addr = htonl(ntohl(a->a.v4.s_addr) | (0xffffffffu >> a->plen));
	return true;
}
