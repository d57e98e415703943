/*
 * Policy file → struct l3_cfg. Reading goes on after an error so that one
 * run reports every problem; the model is handed out only when there were
 * none.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "l3nft/compiler/caps.h"
#include "l3nft/compiler/cfg.h"
#include "l3nft/compiler/cfg_check.h"
#include "l3nft/compiler/ytree.h"

struct l3_cfg_ctx {
	struct l3_cfg *cfg;
	struct l3_diag *diag;
	struct l3_arena *a;	/* the model's: every string it keeps is copied here */
	struct l3_arena *ya;	/* the YAML trees', freed once the model is built */
	bool oom;
};

/* A string of the YAML tree the model keeps: the tree is freed once the
 * model is built (at 10,000 namespaces it is twice the model's size, and
 * l3nftd holds the model for as long as it runs). */
static const char *l3_cfg_keep(struct l3_cfg_ctx *c, const char *s)
{
	const char *k = l3_arena_strdup(c->a, s);

	if (!k)
		c->oom = true;
	return k;
}

static const char *const l3_top_keys[] = {
	"version", "table", "mark_mask", "queue", "fail_open", "socket_layer", "max_clients",
	"max_clients_per_uid", "quarantine", "log_refused", "namespaces",
};
static const char *const l3_ns_keys[] = {
	"id", "cgroup", "interface", "addresses", "loopback", "ping", "listen",
	"protocols", "allow_listen", "max_registrations", "capabilities", "user", "expose",
};
static const char *const l3_addr_keys[] = {
	"address", "adopt",
};
static const char *const l3_expose_keys[] = {
	"port", "from",
};

/* What `protocols` may name: everything the packet layer cannot attribute
 * to a socket and still carries (TCP, UDP and ICMP are always allowed). */
static const struct {
	const char *name;
	uint8_t proto;
} l3_protocols[L3_CFG_PROTOCOLS_MAX] = {
	{ "udplite", 136 }, { "sctp", 132 }, { "dccp", 33 },
};

const char *l3_cfg_protocol_name(uint8_t proto)
{
	size_t i;

	for (i = 0; i < L3_ARRAY_SIZE(l3_protocols); i++)
		if (l3_protocols[i].proto == proto)
			return l3_protocols[i].name;
	return NULL;
}

/* ---- did-you-mean ---- */

static void l3_unknown_key(struct l3_cfg_ctx *c, const struct l3_ynode *key,
			   const char *where, const char *const *keys, size_t n)
{
	const char *s = l3_diag_suggest(key->str, keys, n);

	if (s)
		l3_error(c->diag, key->pos, "unknown key '%.64s' in %s; did you mean '%s'?",
			 key->str, where, s);
	else
		l3_error(c->diag, key->pos, "unknown key '%.64s' in %s", key->str, where);
}

/* ---- typed scalars ---- */

/* "X expects Y, got 'value'" or, for a null, list or mapping, "got a list". */
static void l3_cfg_type_error(struct l3_cfg_ctx *c, const struct l3_ynode *n,
			      const char *what, const char *expected)
{
	if (n->kind == L3_Y_SCALAR && !l3_yaml_is_null(n))
		l3_error(c->diag, n->pos, "%s expects %s, got '%.64s'", what, expected,
			 n->str);
	else
		l3_error(c->diag, n->pos, "%s expects %s, got %s", what, expected,
			 l3_yaml_kind_name(n));
}

/* Numbers: plain decimal, or 0x hex; no sign, no leading zeros. */
static int l3_cfg_uint(struct l3_cfg_ctx *c, const struct l3_ynode *n, const char *what,
		       unsigned long long min, unsigned long long max,
		       unsigned long long *out)
{
	const char *s = n->str;
	unsigned long long v;
	char *end;

	if (n->kind != L3_Y_SCALAR || !n->plain || l3_yaml_is_null(n))
		goto bad;
	if (n->len > 18 || strlen(s) != n->len)
		goto bad;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (!s[2] || strspn(s + 2, "0123456789abcdefABCDEF") != n->len - 2)
			goto bad;
		v = strtoull(s + 2, &end, 16);
	} else {
		if (strspn(s, "0123456789") != n->len || (s[0] == '0' && n->len > 1))
			goto bad;
		v = strtoull(s, &end, 10);
	}
	if (v < min || v > max) {
		l3_error(c->diag, n->pos, "%s must be %llu..%llu, got %s", what, min, max, s);
		return -1;
	}
	*out = v;
	return 0;
bad:
	l3_cfg_type_error(c, n, what, "a number");
	return -1;
}

static int l3_cfg_bool(struct l3_cfg_ctx *c, const struct l3_ynode *n, const char *what,
		       bool *out)
{
	if (n->kind == L3_Y_SCALAR && n->plain) {
		if (!strcmp(n->str, "true")) {
			*out = true;
			return 0;
		}
		if (!strcmp(n->str, "false")) {
			*out = false;
			return 0;
		}
	}
	l3_cfg_type_error(c, n, what, "true or false");
	return -1;
}

/* A string value: any non-null scalar without NUL bytes. */
static const char *l3_cfg_str(struct l3_cfg_ctx *c, const struct l3_ynode *n,
			      const char *what)
{
	if (n->kind != L3_Y_SCALAR || l3_yaml_is_null(n)) {
		l3_error(c->diag, n->pos, "%s expects a string, got %s", what,
			 l3_yaml_kind_name(n));
		return NULL;
	}
	if (strlen(n->str) != n->len) {
		l3_error(c->diag, n->pos, "%s contains a NUL byte", what);
		return NULL;
	}
	return n->str;
}

/* A key and its place in the mapping, for finding repeated keys by sorting
 * (a mapping may have hundreds of thousands of keys). */
struct l3_key_ref {
	const struct l3_ynode *key;
	size_t i;
};

static int l3_key_ref_cmp(const void *a, const void *b)
{
	const struct l3_key_ref *x = a, *y = b;
	size_t n = x->key->len < y->key->len ? x->key->len : y->key->len;
	int r = memcmp(x->key->str, y->key->str, n);

	if (r)
		return r;
	if (x->key->len != y->key->len)
		return x->key->len < y->key->len ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* For each pair of @map, the index of the first pair with the same key, or
 * its own index. NULL when memory ran out. */
static size_t *l3_cfg_first_keys(const struct l3_ynode *map)
{
	const struct l3_ypair *pairs = map->items.items;
	size_t n = map->items.len, i, *first;
	struct l3_key_ref *refs;

	first = calloc(n + 1, sizeof(*first));
	refs = calloc(n + 1, sizeof(*refs));
	if (!first || !refs) {
		free(first);
		free(refs);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		refs[i].key = pairs[i].key;
		refs[i].i = i;
	}
	qsort(refs, n, sizeof(*refs), l3_key_ref_cmp);
	for (i = 0; i < n; i++) {
		const struct l3_key_ref *prev = i ? &refs[i - 1] : NULL;

		if (prev && prev->key->len == refs[i].key->len &&
		    !memcmp(prev->key->str, refs[i].key->str, refs[i].key->len))
			first[refs[i].i] = first[prev->i];
		else
			first[refs[i].i] = refs[i].i;
	}
	free(refs);
	return first;
}

/* Walks a mapping, refusing duplicate keys; calls @fn for each new key. */
static void l3_cfg_each_pair(struct l3_cfg_ctx *c, const struct l3_ynode *map,
			     void (*fn)(struct l3_cfg_ctx *, const struct l3_ypair *, void *),
			     void *arg)
{
	const struct l3_ypair *pairs = map->items.items;
	size_t *first = l3_cfg_first_keys(map), i;

	if (!first) {
		c->oom = true;
		return;
	}
	for (i = 0; i < map->items.len; i++) {
		const struct l3_ynode *k = pairs[i].key;

		if (first[i] != i) {
			l3_error(c->diag, k->pos, "duplicate key '%.64s' (first at line %d)",
				 k->str, pairs[first[i]].key->pos.line);
			continue;
		}
		/* "version\0x" must not pass for "version" */
		if (strlen(k->str) != k->len) {
			l3_error(c->diag, k->pos, "key contains a NUL byte after '%.64s'", k->str);
			continue;
		}
		fn(c, &pairs[i], arg);
	}
	free(first);
}

/* ---- namespaces ---- */

/* "l3nft//web/" → "l3nft/web"; NULL with @why for unsafe paths. */
static char *l3_cgroup_normalise(struct l3_arena *a, const char *in, int *depth,
				 const char **why)
{
	size_t n = strlen(in), i, o = 0;
	char *out;
	const char *comp;

	if (n == 0 || n > L3_CGROUP_PATH_MAX) {
		*why = "cgroup path must be 1..1024 characters";
		return NULL;
	}
	out = l3_arena_alloc(a, n + 1);
	if (!out) {
		*why = NULL;
		return NULL;
	}
	*depth = 0;
	for (i = 0; i < n; i++) {
		char ch = in[i];

		if (ch == '/') {
			if (o > 0 && out[o - 1] != '/')
				out[o++] = '/';
			continue;
		}
		/* systemd unit and slice names fit in this set; quotes,
		 * backslashes and spaces would need escaping in nft text */
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr("_.-@:+", ch))) {
			*why = "cgroup path may hold only letters, digits, '/' and _.-@:+";
			return NULL;
		}
		out[o++] = ch;
	}
	while (o > 0 && out[o - 1] == '/')
		o--;
	out[o] = '\0';
	if (o == 0) {
		*why = "cgroup path must name a cgroup below the cgroup2 root";
		return NULL;
	}
	for (comp = out; comp; comp = strchr(comp, '/')) {
		if (*comp == '/')
			comp++;
		if (!strncmp(comp, "..", 2) && (comp[2] == '/' || !comp[2]))
			goto dots;
		if (comp[0] == '.' && (comp[1] == '/' || !comp[1]))
			goto dots;
		(*depth)++;
	}
	return out;
dots:
	*why = "cgroup path may not contain '.' or '..' components";
	return NULL;
}

static bool l3_ifname_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= 0x20 || ch >= 0x7f || ch == '/' || ch == ':' || ch == '"' ||
		    ch == '\\')
			return false;
	}
	return true;
}

/* The unit types whose cgroups systemd makes, always below a slice. */
static bool l3_unit_name(const char *s)
{
	static const char *const types[] = { ".service", ".scope", ".socket", ".mount", ".swap" };
	size_t n = strlen(s), i;

	for (i = 0; i < L3_ARRAY_SIZE(types); i++)
		if (n > strlen(types[i]) && !strcmp(s + n - strlen(types[i]), types[i]))
			return true;
	return false;
}

/* The usual mistakes with a cgroup: a path that starts at the mount point,
 * or a bare unit name (systemd puts a unit's cgroup below its slice). True
 * when reported. */
static bool l3_cgroup_mistake(struct l3_cfg_ctx *c, const struct l3_ynode *v, const char *s)
{
	static const char *const mounts[] = { "/sys/fs/cgroup/unified/", "/sys/fs/cgroup/" };
	size_t i;

	/* a leading '/' is fine ("/l3nft/web" is l3nft/web); a mount point is not */
	for (i = 0; i < L3_ARRAY_SIZE(mounts); i++)
		if (!strncmp(s, mounts[i], strlen(mounts[i])) && s[strlen(mounts[i])]) {
			l3_error(c->diag, v->pos, "cgroup is a path below the cgroup2 mount, not "
				 "an absolute path: write '%.200s'", s + strlen(mounts[i]));
			return true;
		}
	if (!strchr(s, '/') && l3_unit_name(s)) {
		l3_error(c->diag, v->pos, "'%.64s' is a unit: its cgroup is below its slice, e.g. "
			 "system.slice/%.64s (systemctl show -p ControlGroup %.64s prints it)",
			 s, s, s);
		return true;
	}
	return false;
}

/* One namespace while it is read. */
struct l3_ns_parse {
	struct l3_ns *ns;
	bool addrs_bad;		/* `addresses` had errors: saying "no addresses" would repeat them */
};

/* One address entry while it is read: "192.0.2.1/24", or the mapping
 * {address: 192.0.2.1/24, adopt: true}. */
struct l3_addr_parse {
	struct l3_addr *ad;
	bool have, bad;
};

static void l3_addr_pair(struct l3_cfg_ctx *c, const struct l3_ypair *p, void *arg)
{
	struct l3_addr_parse *ap = arg;
	const char *k = p->key->str, *s, *why;
	bool adopt = ap->ad->adopt;

	if (!strcmp(k, "address")) {
		s = l3_cfg_str(c, p->value, "an address");
		if (s && l3_addr_parse(s, ap->ad, &why) < 0)
			l3_error(c->diag, p->value->pos, "%s: '%.64s'", why, s);
		else if (s)
			ap->have = true;
		ap->bad |= !ap->have;
		ap->ad->adopt = adopt;	/* l3_addr_parse() cleared it */
	} else if (!strcmp(k, "adopt")) {
		ap->bad |= l3_cfg_bool(c, p->value, "adopt", &ap->ad->adopt) < 0;
	} else {
		l3_unknown_key(c, p->key, "an address", l3_addr_keys, L3_ARRAY_SIZE(l3_addr_keys));
		ap->bad = true;
	}
}

/* 0 when @n is a valid address entry, now in *@ad. */
static int l3_ns_address(struct l3_cfg_ctx *c, const struct l3_ynode *n, struct l3_addr *ad)
{
	struct l3_addr_parse ap = { .ad = ad };
	const char *s, *why;

	if (n->kind == L3_Y_MAP) {
		l3_cfg_each_pair(c, n, l3_addr_pair, &ap);
		if (!ap.have && !ap.bad)
			l3_error(c->diag, n->pos, "an address entry needs 'address'");
		return ap.have && !ap.bad ? 0 : -1;
	}
	s = l3_cfg_str(c, n, "an address");
	if (s && l3_addr_parse(s, ad, &why) < 0)
		l3_error(c->diag, n->pos, "%s: '%.64s'", why, s);
	else if (s)
		return 0;
	return -1;
}

static void l3_ns_addresses(struct l3_cfg_ctx *c, struct l3_ns_parse *np,
			    const struct l3_ynode *v)
{
	struct l3_ns *ns = np->ns;
	struct l3_ynode *const *items;
	size_t i;

	if (v->kind != L3_Y_SEQ) {
		l3_error(c->diag, v->pos, "addresses expects a list, got %s",
			 l3_yaml_kind_name(v));
		np->addrs_bad = true;
		return;
	}
	items = v->items.items;
	ns->addrs = l3_arena_alloc(c->a, (v->items.len + 1) * sizeof(*ns->addrs));
	if (!ns->addrs) {
		c->oom = true;
		return;
	}
	for (i = 0; i < v->items.len; i++) {
		struct l3_addr *ad = &ns->addrs[ns->naddrs];

		if (l3_ns_address(c, items[i], ad) < 0) {
			np->addrs_bad = true;
			continue;
		}
		ad->pos = items[i]->pos;
		ns->naddrs++;
	}
}

/* A listen entry that would be right with "/udp" says so. */
static void l3_listen_error(struct l3_cfg_ctx *c, const struct l3_ynode *n, const char *s,
			    const char *why)
{
	struct l3_listen l;
	char buf[128];
	const char *why2;

	if (!strchr(s, '/') && strlen(s) < sizeof(buf) - 4) {
		snprintf(buf, sizeof(buf), "%s/udp", s);
		if (l3_listen_parse(buf, &l, &why2) == 0) {
			l3_error(c->diag, n->pos, "a listen entry names its protocol: write '%s'", buf);
			return;
		}
	}
	l3_error(c->diag, n->pos, "%s: '%.64s'", why, s);
}

/* A listen entry and the node it came from, sorted to find repeats. */
struct l3_listen_ref {
	const struct l3_listen *l;
	const struct l3_ynode *node;
	size_t i;
};

static int l3_listen_ref_cmp(const void *a, const void *b)
{
	const struct l3_listen_ref *x = a, *y = b;
	int r;

	if (x->l->kind != y->l->kind)
		return x->l->kind < y->l->kind ? -1 : 1;
	if (x->l->family != y->l->family)
		return x->l->family < y->l->family ? -1 : 1;
	if (x->l->port != y->l->port)
		return x->l->port < y->l->port ? -1 : 1;
	r = memcmp(&x->l->group, &y->l->group, sizeof(x->l->group));
	if (r)
		return r;
	return x->i < y->i ? -1 : x->i > y->i;
}

static bool l3_listen_same(const struct l3_listen *a, const struct l3_listen *b)
{
	return a->kind == b->kind && a->family == b->family && a->port == b->port &&
	       !memcmp(&a->group, &b->group, sizeof(a->group));
}

/* Reports every entry that repeats an earlier one of the same namespace. */
static void l3_ns_listen_dups(struct l3_cfg_ctx *c, const struct l3_ns *ns,
			      struct l3_listen_ref *refs)
{
	size_t i;

	for (i = 0; i < ns->nlistens; i++) {
		refs[i].l = &ns->listens[i];
		refs[i].i = i;
	}
	qsort(refs, ns->nlistens, sizeof(*refs), l3_listen_ref_cmp);
	for (i = 1; i < ns->nlistens; i++)
		if (l3_listen_same(refs[i - 1].l, refs[i].l))
			l3_error(c->diag, refs[i].node->pos, "'%.64s' is listed twice",
				 refs[i].node->str);
}

static void l3_ns_listens(struct l3_cfg_ctx *c, struct l3_ns *ns,
			  const struct l3_ynode *v)
{
	struct l3_ynode *const *items;
	struct l3_listen_ref *refs;
	size_t i;

	if (v->kind != L3_Y_SEQ) {
		l3_error(c->diag, v->pos, "listen expects a list, got %s",
			 l3_yaml_kind_name(v));
		return;
	}
	items = v->items.items;
	ns->listens = l3_arena_alloc(c->a, (v->items.len + 1) * sizeof(*ns->listens));
	refs = l3_arena_alloc(c->a, (v->items.len + 1) * sizeof(*refs));
	if (!ns->listens || !refs) {
		c->oom = true;
		return;
	}
	for (i = 0; i < v->items.len; i++) {
		const char *s = l3_cfg_str(c, items[i], "a listen entry");
		struct l3_listen *l = &ns->listens[ns->nlistens];
		const char *why;

		if (!s)
			continue;
		if (l3_listen_parse(s, l, &why) < 0) {
			l3_listen_error(c, items[i], s, why);
			continue;
		}
		l->pos = items[i]->pos;
		refs[ns->nlistens++].node = items[i];
	}
	l3_ns_listen_dups(c, ns, refs);
}

/* ---- allow_listen patterns ---- */

/* PORTS of a pattern: '*', N or N-M. */
static int l3_allow_ports(const char *s, size_t n, struct l3_listen_allow *out)
{
	const char *dash = memchr(s, '-', n);
	char buf[16];
	unsigned long lo, hi;
	char *end;

	if (n == 1 && s[0] == '*') {
		out->port_min = 1;
		out->port_max = 65535;
		return 0;
	}
	if (n == 0 || n >= sizeof(buf) || strspn(s, "0123456789-") < n)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	lo = strtoul(buf, &end, 10);
	hi = lo;
	if (dash)
		hi = strtoul(end + 1, &end, 10);
	if (*end || (dash && end == buf + (dash - s) + 1) || lo == 0 || hi > 65535 || lo > hi)
		return -1;
	out->port_min = (uint16_t)lo;
	out->port_max = (uint16_t)hi;
	return 0;
}

/* Clears the bits of @a past @plen. */
static void l3_allow_mask(struct l3_listen_allow *al)
{
	uint8_t *b = (uint8_t *)&al->group;
	int bits = al->family == AF_INET ? 32 : 128, i;

	for (i = al->plen; i < bits; i++)
		b[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
}

/* The group part: "broadcast", "239.0.0.0/8" or "[ff05::/16]"; the
 * address itself is read by l3_listen_parse (multicast, brackets). */
static int l3_allow_host(const char *h, size_t hn, struct l3_listen_allow *out,
			 const char **why)
{
	char spec[INET6_ADDRSTRLEN + 16];
	const char *slash = memchr(h, '/', hn);
	bool br = hn >= 2 && h[0] == '[' && h[hn - 1] == ']';
	size_t an = slash ? (size_t)(slash - h) : hn;
	struct l3_listen l;
	unsigned long plen = 0;
	char *end;

	if (an + 8 >= sizeof(spec) || hn >= sizeof(spec)) {
		*why = "malformed address";
		return -1;
	}
	snprintf(spec, sizeof(spec), "%.*s%s:1/udp", (int)an, h, br && slash ? "]" : "");
	if (l3_listen_parse(spec, &l, why) < 0)
		return -1;
	out->kind = l.kind;
	out->family = l.family;
	memcpy(&out->group, &l.group, sizeof(out->group));
	out->plen = l.family == AF_INET ? 32 : 128;
	if (slash) {
		size_t pn = hn - an - 1 - (br ? 1 : 0);

		plen = strtoul(slash + 1, &end, 10);
		if (l.kind != L3_LISTEN_GROUP || pn == 0 || end != slash + 1 + pn ||
		    plen < (l.family == AF_INET ? 4u : 8u) || plen > (unsigned long)out->plen) {
			*why = "a group prefix is /4../32 (IPv4) or /8../128 (IPv6), inside the "
			       "multicast range";
			return -1;
		}
		out->plen = (int)plen;
	}
	l3_allow_mask(out);
	return 0;
}

int l3_listen_allow_parse(const char *s, struct l3_listen_allow *out, const char **why)
{
	const char *slash = strrchr(s, '/'), *colon;

	memset(out, 0, sizeof(*out));
	*why = "expected GROUP[/PLEN]:PORTS/udp, [V6GROUP[/PLEN]]:PORTS/udp or "
	       "broadcast:PORTS/udp (PORTS: *, N or N-M)";
	if (!slash || strcmp(slash + 1, "udp"))
		return -1;
	for (colon = slash; colon > s && colon[-1] != ':'; colon--)
		;
	if (colon <= s + 1)
		return -1;
	if (l3_allow_ports(colon, (size_t)(slash - colon), out) < 0) {
		*why = "ports must be *, N or N-M within 1..65535";
		return -1;
	}
	return l3_allow_host(s, (size_t)(colon - 1 - s), out, why);
}

static bool l3_allow_match(const struct l3_listen_allow *al, const struct l3_listen *l)
{
	struct l3_listen_allow x = { .family = l->family, .plen = al->plen };

	if (al->kind != l->kind || l->port < al->port_min || l->port > al->port_max)
		return false;
	if (l->kind == L3_LISTEN_BROADCAST)
		return true;
	if (al->family != l->family)
		return false;
	memcpy(&x.group, &l->group, sizeof(x.group));
	l3_allow_mask(&x);
	return !memcmp(&x.group, &al->group, l->family == AF_INET ? 4 : 16);
}

bool l3_cfg_ns_allows(const struct l3_ns *ns, const struct l3_listen *spec)
{
	size_t i;

	for (i = 0; i < ns->nlistens; i++)
		if (l3_listen_same(&ns->listens[i], spec))
			return true;
	if (!ns->has_allows)
		return spec->kind == L3_LISTEN_GROUP ||
		       spec->port >= L3_CFG_DEFAULT_BROADCAST_MIN_PORT;
	for (i = 0; i < ns->nallows; i++)
		if (l3_allow_match(&ns->allows[i], spec))
			return true;
	return false;
}

static void l3_ns_allows(struct l3_cfg_ctx *c, struct l3_ns *ns, const struct l3_ynode *v)
{
	struct l3_ynode *const *items;
	size_t i;

	ns->has_allows = true;
	ns->allows_pos = v->pos;
	if (v->kind != L3_Y_SEQ) {
		l3_error(c->diag, v->pos, "allow_listen expects a list, got %s",
			 l3_yaml_kind_name(v));
		return;
	}
	items = v->items.items;
	ns->allows = l3_arena_alloc(c->a, (v->items.len + 1) * sizeof(*ns->allows));
	if (!ns->allows) {
		c->oom = true;
		return;
	}
	for (i = 0; i < v->items.len; i++) {
		const char *s = l3_cfg_str(c, items[i], "an allow_listen pattern");
		struct l3_listen_allow *al = &ns->allows[ns->nallows];
		const char *why;

		if (!s)
			continue;
		if (l3_listen_allow_parse(s, al, &why) < 0) {
			l3_error(c->diag, items[i]->pos, "%s: '%.64s'", why, s);
			continue;
		}
		al->pos = items[i]->pos;
		ns->nallows++;
	}
}

static void l3_ns_protocol(struct l3_cfg_ctx *c, struct l3_ns *ns, const struct l3_ynode *v)
{
	const char *s = l3_cfg_str(c, v, "a protocols entry");
	size_t i, j;

	if (!s)
		return;
	for (i = 0; i < L3_ARRAY_SIZE(l3_protocols) && strcmp(s, l3_protocols[i].name); i++)
		;
	if (i == L3_ARRAY_SIZE(l3_protocols)) {
		l3_error(c->diag, v->pos, "protocols expects udplite, sctp or dccp "
			 "(tcp, udp and icmp are always allowed), got '%.64s'", s);
		return;
	}
	for (j = 0; j < ns->nprotocols; j++)
		if (ns->protocols[j] == l3_protocols[i].proto) {
			l3_error(c->diag, v->pos, "protocol '%s' is listed twice (first at %d:%d)",
				 s, ns->protocol_pos[j].line, ns->protocol_pos[j].col);
			return;
		}
	ns->protocol_pos[ns->nprotocols] = v->pos;
	ns->protocols[ns->nprotocols++] = l3_protocols[i].proto;
}

static void l3_ns_protocols(struct l3_cfg_ctx *c, struct l3_ns *ns, const struct l3_ynode *v)
{
	struct l3_ynode *const *items;
	size_t i;

	if (v->kind != L3_Y_SEQ) {
		l3_error(c->diag, v->pos, "protocols expects a list, got %s", l3_yaml_kind_name(v));
		return;
	}
	items = v->items.items;
	for (i = 0; i < v->items.len; i++)
		l3_ns_protocol(c, ns, items[i]);
}

/* capabilities: [name, ...], each known and none that undoes the
 * isolation (compiler/caps.c says why each refused one is). */
static void l3_ns_caps(struct l3_cfg_ctx *c, struct l3_ns *ns, const struct l3_ynode *v)
{
	struct l3_ynode *const *items;
	size_t i;

	ns->caps_pos = v->pos;
	if (v->kind != L3_Y_SEQ) {
		l3_error(c->diag, v->pos, "capabilities expects a list, got %s",
			 l3_yaml_kind_name(v));
		return;
	}
	items = v->items.items;
	for (i = 0; i < v->items.len; i++) {
		const char *s = l3_cfg_str(c, items[i], "a capability");
		const struct l3_cap *cap = s ? l3_cap_find(s) : NULL;

		if (s && !cap)
			l3_error(c->diag, items[i]->pos, "'%.64s' is not a capability", s);
		else if (cap && cap->refused)
			l3_error(c->diag, items[i]->pos, "capability %s is refused: %s",
				 cap->name, cap->refused);
		else if (cap)
			ns->caps |= 1ull << cap->num;
	}
}

/* PORT/tcp or PORT/udp; 0, or -1 with a reason in @why. */
static int l3_expose_parse(const char *s, struct l3_expose *out, const char **why)
{
	const char *slash = strchr(s, '/');
	unsigned long port;
	char *end;

	*why = "an expose entry is PORT/tcp or PORT/udp";
	if (!slash && s[0] && strspn(s, "0123456789") == strlen(s)) {
		*why = "an expose entry names its protocol: write PORT/tcp or PORT/udp";
		return -1;
	}
	if (!slash || slash == s || strspn(s, "0123456789") != (size_t)(slash - s) ||
	    (s[0] == '0' && slash - s > 1))
		return -1;
	port = strtoul(s, &end, 10);
	if (port < 1 || port > 65535) {
		*why = "an exposed port must be 1..65535";
		return -1;
	}
	if (!strcmp(slash + 1, "tcp"))
		out->proto = IPPROTO_TCP;
	else if (!strcmp(slash + 1, "udp"))
		out->proto = IPPROTO_UDP;
	else
		return -1;
	out->port = (uint16_t)port;
	return 0;
}

/* A prefix length: decimal without leading zeros, at most *@plen. */
static bool l3_prefix_len(const char *s, unsigned long *plen)
{
	size_t n = strlen(s);
	unsigned long v;

	if (n == 0 || n > 3 || strspn(s, "0123456789") != n || (n > 1 && s[0] == '0'))
		return false;
	v = strtoul(s, NULL, 10);
	if (v > *plen)
		return false;
	*plen = v;
	return true;
}

/* Zeroes the host bits of @a beyond @plen; true when some were set. */
static bool l3_prefix_clear_host(struct l3_addr *a)
{
	uint8_t *p = (uint8_t *)&a->a;
	const int bits = a->family == AF_INET ? 32 : 128;
	bool set = false;
	int i;

	for (i = a->plen; i < bits; i++)
		if (p[i / 8] & (0x80u >> (i % 8))) {
			set = true;
			p[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
		}
	return set;
}

/* A `from` source: ADDR/PLEN (a prefix, host bits zero) or ADDR (one
 * host). Any unicast or not, /0 included: it says who may send. */
static void l3_expose_from_one(struct l3_cfg_ctx *c, struct l3_expose *x, const struct l3_ynode *n)
{
	struct l3_addr *a = &x->from[x->nfrom];
	const char *s = l3_cfg_str(c, n, "a source range"), *slash;
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned long plen;
	size_t len;

	if (!s)
		return;
	slash = strchr(s, '/');
	len = slash ? (size_t)(slash - s) : strlen(s);
	if (len == 0 || len >= INET6_ADDRSTRLEN) {
		l3_error(c->diag, n->pos, "a source range is ADDR/PLEN or ADDR, got '%.64s'", s);
		return;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	a->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(a->family, buf, &a->a) != 1) {
		l3_error(c->diag, n->pos, "a source range is ADDR/PLEN or ADDR, got '%.64s'", s);
		return;
	}
	plen = a->family == AF_INET ? 32 : 128;
	if (slash && !l3_prefix_len(slash + 1, &plen)) {
		l3_error(c->diag, n->pos, "a source range's prefix length must be 0..%d, got '%.64s'",
			 a->family == AF_INET ? 32 : 128, s);
		return;
	}
	a->plen = (int)plen;
	a->pos = n->pos;
	if (l3_prefix_clear_host(a)) {
		inet_ntop(a->family, &a->a, buf, sizeof(buf));
		l3_error(c->diag, n->pos, "source range '%.64s' has host bits set: write %s/%d",
			 s, buf, a->plen);
		return;
	}
	x->nfrom++;
}

/* from: [198.51.100.0/24, 2001:db8:1::/48], never empty. */
static void l3_expose_from(struct l3_cfg_ctx *c, struct l3_expose *x, const struct l3_ynode *v)
{
	struct l3_ynode *const *items = v->items.items;
	size_t i;

	if (v->kind != L3_Y_SEQ) {
		l3_error(c->diag, v->pos, "from expects a list of source ranges "
			 "(e.g. [198.51.100.0/24]), got %s", l3_yaml_kind_name(v));
		return;
	}
	if (!v->items.len) {
		l3_error(c->diag, v->pos, "an empty from would expose the port to nobody: "
			 "list the sources, or leave the entry out");
		return;
	}
	x->from = l3_arena_alloc(c->a, v->items.len * sizeof(*x->from));
	if (!x->from) {
		c->oom = true;
		return;
	}
	for (i = 0; i < v->items.len; i++)
		l3_expose_from_one(c, x, items[i]);
}

/* One expose entry while it is read: the mapping {port: 22/tcp, from: [...]}. */
struct l3_expose_parse {
	struct l3_expose *x;
	bool have_port, bad;
};

static void l3_expose_pair(struct l3_cfg_ctx *c, const struct l3_ypair *p, void *arg)
{
	struct l3_expose_parse *ep = arg;
	const char *k = p->key->str, *s, *why;
	size_t nfrom;

	if (!strcmp(k, "port")) {
		s = l3_cfg_str(c, p->value, "an exposed port");
		if (s && l3_expose_parse(s, ep->x, &why) < 0)
			l3_error(c->diag, p->value->pos, "%s, got '%.64s'", why, s);
		else if (s)
			ep->have_port = true;
		ep->bad |= !ep->have_port;
	} else if (!strcmp(k, "from")) {
		nfrom = p->value->kind == L3_Y_SEQ ? p->value->items.len : 0;
		l3_expose_from(c, ep->x, p->value);
		ep->bad |= !nfrom || ep->x->nfrom != nfrom;
	} else {
		l3_unknown_key(c, p->key, "an expose entry", l3_expose_keys,
			       L3_ARRAY_SIZE(l3_expose_keys));
		ep->bad = true;
	}
}

/* 0 when @n is a valid expose entry (PORT/PROTO or the mapping), in *@x. */
static int l3_expose_entry(struct l3_cfg_ctx *c, const struct l3_ynode *n, struct l3_expose *x)
{
	struct l3_expose_parse ep = { .x = x };
	const char *s, *why;

	memset(x, 0, sizeof(*x));
	if (n->kind == L3_Y_MAP) {
		l3_cfg_each_pair(c, n, l3_expose_pair, &ep);
		if (!ep.have_port && !ep.bad)
			l3_error(c->diag, n->pos, "an expose entry needs 'port' (e.g. "
				 "{port: 22/tcp, from: [198.51.100.0/24]})");
		return ep.have_port && !ep.bad ? 0 : -1;
	}
	s = l3_cfg_str(c, n, "an expose entry");
	if (!s)
		return -1;
	if (l3_expose_parse(s, x, &why) < 0) {
		l3_error(c->diag, n->pos, "%s, got '%.64s'", why, s);
		return -1;
	}
	return 0;
}

/* A port is in one entry only: everyone, or the sources of its `from`
 * (two entries would leave open which one wins). */
static void l3_ns_expose_one(struct l3_cfg_ctx *c, struct l3_ns *ns, const struct l3_ynode *n)
{
	struct l3_expose *x = &ns->exposes[ns->nexposes];
	size_t j;

	if (l3_expose_entry(c, n, x) < 0)
		return;
	x->pos = n->pos;
	for (j = 0; j < ns->nexposes; j++)
		if (ns->exposes[j].proto == x->proto && ns->exposes[j].port == x->port) {
			l3_error(c->diag, n->pos, "%u/%s is exposed twice (first at %d:%d): list "
				 "all of a port's sources in one entry's from", x->port,
				 x->proto == IPPROTO_TCP ? "tcp" : "udp",
				 ns->exposes[j].pos.line, ns->exposes[j].pos.col);
			return;
		}
	ns->nexposes++;
}

/* expose: [80/tcp, 5353/udp]; a list, maybe empty (nothing exposed). */
static void l3_ns_expose(struct l3_cfg_ctx *c, struct l3_ns *ns, const struct l3_ynode *v)
{
	struct l3_ynode *const *items;
	size_t i;

	ns->has_expose = true;
	ns->expose_pos = v->pos;
	if (v->kind != L3_Y_SEQ) {
		l3_error(c->diag, v->pos, "expose expects a list (e.g. [80/tcp, 5353/udp]), got %s",
			 l3_yaml_kind_name(v));
		return;
	}
	items = v->items.items;
	ns->exposes = l3_arena_alloc(c->a, (v->items.len + 1) * sizeof(*ns->exposes));
	if (!ns->exposes) {
		c->oom = true;
		return;
	}
	for (i = 0; i < v->items.len; i++)
		l3_ns_expose_one(c, ns, items[i]);
}

bool l3_cfg_ns_exposes(const struct l3_ns *ns, uint8_t proto, uint16_t port)
{
	size_t i;

	if (!ns->has_expose)
		return true;
	for (i = 0; i < ns->nexposes; i++)
		if (ns->exposes[i].proto == proto && ns->exposes[i].port == port)
			return true;
	return false;
}

/* USER or USER:GROUP, names or numbers as getpwnam(3)/useradd(8) take
 * them; whether they exist is asked when `l3nft exec` runs. */
static bool l3_user_valid(const char *s)
{
	const char *colon = strchr(s, ':');
	size_t i, n = strlen(s);

	if (n == 0 || n > 65 || s[0] == ':' || s[n - 1] == ':' ||
	    (colon && strchr(colon + 1, ':')))
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-:", s[i]))
			return false;
	return s[0] != '-' && (!colon || colon[1] != '-');
}

static void l3_ns_key(struct l3_cfg_ctx *c, const struct l3_ypair *p, void *arg)
{
	struct l3_ns_parse *np = arg;
	struct l3_ns *ns = np->ns;
	const char *k = p->key->str, *s, *why = NULL;
	const struct l3_ynode *v = p->value;
	unsigned long long u;

	if (!strcmp(k, "id")) {
		if (l3_cfg_uint(c, v, "id", 1, l3_cfg_max_id(c->cfg->mark_mask), &u) == 0) {
			ns->id = (uint32_t)u;
			ns->id_explicit = true;
			ns->id_pos = v->pos;
		}
	} else if (!strcmp(k, "cgroup")) {
		s = l3_cfg_str(c, v, "cgroup");
		if (!s || l3_cgroup_mistake(c, v, s))
			return;
		ns->cgroup = l3_cgroup_normalise(c->a, s, &ns->cgroup_depth, &why);
		ns->cgroup_pos = v->pos;
		if (!ns->cgroup && why)
			l3_error(c->diag, v->pos, "%s", why);
		else if (!ns->cgroup)
			c->oom = true;
	} else if (!strcmp(k, "interface")) {
		s = l3_cfg_str(c, v, "interface");
		if (s && !l3_ifname_valid(s))
			l3_error(c->diag, v->pos, "'%.64s' is not a valid interface name", s);
		else if (s)
			ns->ifname = l3_cfg_keep(c, s);
		ns->ifname_pos = v->pos;
	} else if (!strcmp(k, "addresses")) {
		l3_ns_addresses(c, np, v);
	} else if (!strcmp(k, "loopback")) {
		s = l3_cfg_str(c, v, "loopback");
		if (s && !strcmp(s, "isolated"))
			ns->loopback = L3_LOOPBACK_ISOLATED;
		else if (s && !strcmp(s, "shared"))
			ns->loopback = L3_LOOPBACK_SHARED;
		else if (s)
			l3_error(c->diag, v->pos,
				 "loopback expects 'isolated' or 'shared', got '%.64s'", s);
	} else if (!strcmp(k, "ping")) {
		l3_cfg_bool(c, v, "ping", &ns->ping);
	} else if (!strcmp(k, "listen")) {
		l3_ns_listens(c, ns, v);
	} else if (!strcmp(k, "protocols")) {
		l3_ns_protocols(c, ns, v);
	} else if (!strcmp(k, "capabilities")) {
		l3_ns_caps(c, ns, v);
	} else if (!strcmp(k, "user")) {
		s = l3_cfg_str(c, v, "user");
		if (s && !l3_user_valid(s))
			l3_error(c->diag, v->pos, "user expects USER or USER:GROUP, got '%.64s'", s);
		else if (s)
			ns->user = l3_cfg_keep(c, s);
		ns->user_pos = v->pos;
	} else if (!strcmp(k, "allow_listen")) {
		l3_ns_allows(c, ns, v);
	} else if (!strcmp(k, "expose")) {
		l3_ns_expose(c, ns, v);
	} else if (!strcmp(k, "max_registrations")) {
		if (l3_cfg_uint(c, v, "max_registrations", 0, 65535, &u) == 0)
			ns->max_registrations = (uint32_t)u;
	} else {
		l3_unknown_key(c, p->key, "a namespace", l3_ns_keys,
			       L3_ARRAY_SIZE(l3_ns_keys));
	}
}

/* The cgroup a namespace gets when the file names none: l3nft/<name>. */
static void l3_ns_default_cgroup(struct l3_cfg_ctx *c, struct l3_ns *ns)
{
	const char *path = l3_arena_printf(c->a, "l3nft/%s", ns->name), *why;

	ns->cgroup = path ? l3_cgroup_normalise(c->a, path, &ns->cgroup_depth, &why) : NULL;
	ns->cgroup_pos = ns->pos;
	if (!ns->cgroup)
		c->oom = true;
}

/* A namespace with a bad name is still read, so that the errors in its
 * settings show up in the same run; it is left out of the model. */
static void l3_ns_one(struct l3_cfg_ctx *c, const struct l3_ypair *p, void *arg)
{
	struct l3_ns_parse np = { .ns = &c->cfg->ns[c->cfg->nns] };
	struct l3_ns *ns = np.ns;
	const char *name = p->key->str;
	bool named = l3_name_valid(name);
	(void)arg;

	if (!named)
		l3_error(c->diag, p->key->pos,
			 "namespace name '%.64s' must match [a-z][a-z0-9_-]{0,30}", name);
	memset(ns, 0, sizeof(*ns));
	ns->name = l3_cfg_keep(c, name);
	ns->pos = p->key->pos;
	ns->ping = true;
	ns->loopback = L3_LOOPBACK_ISOLATED;
	ns->max_registrations = L3_CFG_DEFAULT_MAX_REGISTRATIONS;
	if (p->value->kind != L3_Y_MAP) {
		l3_error(c->diag, p->value->pos, "namespace '%.64s' expects a mapping, got %s",
			 name, l3_yaml_kind_name(p->value));
		return;
	}
	l3_cfg_each_pair(c, p->value, l3_ns_key, &np);
	if (ns->naddrs == 0 && !np.addrs_bad)
		l3_error(c->diag, ns->pos, "namespace '%.64s' has no addresses", name);
	if (!named)
		return;
	if (!ns->cgroup)
		l3_ns_default_cgroup(c, ns);
	c->cfg->nns++;
}

/* The `namespaces` mappings of the main file and of each drop-in, in
 * that order, read into one list. */
static void l3_cfg_namespaces(struct l3_cfg_ctx *c, const struct l3_ynode *const *maps,
			      size_t nmaps)
{
	size_t i, total = 0;

	for (i = 0; i < nmaps; i++) {
		if (maps[i]->kind != L3_Y_MAP)
			l3_error(c->diag, maps[i]->pos,
				 "namespaces expects a mapping of names, got %s",
				 l3_yaml_kind_name(maps[i]));
		else
			total += maps[i]->items.len;
	}
	c->cfg->ns = l3_arena_alloc(c->a, (total + 1) * sizeof(*c->cfg->ns));
	if (!c->cfg->ns) {
		c->oom = true;
		return;
	}
	for (i = 0; i < nmaps; i++)
		if (maps[i]->kind == L3_Y_MAP)
			l3_cfg_each_pair(c, maps[i], l3_ns_one, NULL);
}

/* ---- quarantine ---- */

static void l3_cfg_quarantine_one(struct l3_cfg_ctx *c, const struct l3_ynode *n)
{
	struct l3_quarantine *q = &c->cfg->quarantine[c->cfg->nquarantine];
	const char *s = l3_cfg_str(c, n, "a quarantine entry"), *why = NULL;

	if (!s || l3_cgroup_mistake(c, n, s))
		return;
	q->cgroup = l3_cgroup_normalise(c->a, s, &q->cgroup_depth, &why);
	if (!q->cgroup) {
		if (why)
			l3_error(c->diag, n->pos, "quarantine: %s", why);
		else
			c->oom = true;
		return;
	}
	q->pos = n->pos;
	c->cfg->nquarantine++;
}

/* quarantine: [parent cgroup, ...]; checked against the namespaces in
 * cfg_check.c, and against the running system by apply. */
static void l3_cfg_quarantine(struct l3_cfg_ctx *c, const struct l3_ynode *v)
{
	struct l3_ynode *const *items = v->items.items;
	size_t i;

	if (v->kind != L3_Y_SEQ) {
		l3_error(c->diag, v->pos, "quarantine expects a list of parent cgroups, got %s",
			 l3_yaml_kind_name(v));
		return;
	}
	c->cfg->quarantine = l3_arena_alloc(c->a, (v->items.len + 1) *
					    sizeof(*c->cfg->quarantine));
	if (!c->cfg->quarantine) {
		c->oom = true;
		return;
	}
	for (i = 0; i < v->items.len; i++)
		l3_cfg_quarantine_one(c, items[i]);
}

/* ---- top level ---- */

struct l3_top_seen {
	const struct l3_ynode *namespaces;
	bool version;
};

static bool l3_table_name_valid(const char *s)
{
	size_t i;

	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (i = 1; s[i]; i++)
		if (i >= 64 || !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
				 (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

static const char *const l3_socket_layer_names[] = { "auto", "required", "off" };

const char *l3_cfg_socket_layer_name(enum l3_socket_layer m)
{
	return l3_socket_layer_names[m];
}

/* socket_layer: auto | required | off */
static void l3_cfg_socket_layer(struct l3_cfg_ctx *c, const struct l3_ynode *v)
{
	const char *s = l3_cfg_str(c, v, "socket_layer");
	size_t i;

	c->cfg->socket_layer_pos = v->pos;
	if (!s)
		return;
	for (i = 0; i < L3_ARRAY_SIZE(l3_socket_layer_names); i++) {
		if (!strcmp(s, l3_socket_layer_names[i])) {
			c->cfg->socket_layer = (enum l3_socket_layer)i;
			return;
		}
	}
	l3_error(c->diag, v->pos,
		 "socket_layer expects 'auto', 'required' or 'off', got '%.64s'", s);
}

static void l3_top_key(struct l3_cfg_ctx *c, const struct l3_ypair *p, void *arg)
{
	struct l3_top_seen *seen = arg;
	const struct l3_ynode *v = p->value;
	const char *k = p->key->str, *s;
	unsigned long long u;

	if (!strcmp(k, "version")) {
		seen->version = true;
		if (l3_cfg_uint(c, v, "version", 0, 0xffff, &u) == 0 && u != 1)
			l3_error(c->diag, v->pos, "unsupported version %llu; only 1 exists", u);
		c->cfg->version = 1;
	} else if (!strcmp(k, "table")) {
		s = l3_cfg_str(c, v, "table");
		c->cfg->table_pos = v->pos;
		if (s && !l3_table_name_valid(s))
			l3_error(c->diag, v->pos,
				 "table name '%.64s' must match [A-Za-z][A-Za-z0-9_]{0,63}", s);
		else if (s && l3_nft_keyword(s))
			l3_error(c->diag, v->pos,
				 "table name '%s' is an nft keyword, which nft -f refuses as a name",
				 s);
		else if (s)
			c->cfg->table = l3_cfg_keep(c, s);
	} else if (!strcmp(k, "mark_mask")) {
		c->cfg->mark_mask_pos = v->pos;
		if (l3_cfg_uint(c, v, "mark_mask", 0, 0xffffffffu, &u) < 0)
			return;
		if (u == 0)
			l3_error(c->diag, v->pos, "mark_mask must not be 0");
		/* contiguous: adding the lowest set bit clears the whole run */
		else if (((u + (u & -u)) & u) != 0)
			l3_error(c->diag, v->pos,
				 "mark_mask 0x%08llx is not one contiguous run of bits", u);
		else
			c->cfg->mark_mask = (uint32_t)u;
	} else if (!strcmp(k, "queue")) {
		c->cfg->queue_pos = v->pos;
		if (l3_cfg_uint(c, v, "queue", 0, 65535, &u) == 0)
			c->cfg->queue = (uint16_t)u;
	} else if (!strcmp(k, "fail_open")) {
		l3_cfg_bool(c, v, "fail_open", &c->cfg->fail_open);
	} else if (!strcmp(k, "log_refused")) {
		c->cfg->log_refused_pos = v->pos;
		l3_cfg_bool(c, v, "log_refused", &c->cfg->log_refused);
	} else if (!strcmp(k, "max_clients")) {
		if (l3_cfg_uint(c, v, "max_clients", 1, 4096, &u) == 0)
			c->cfg->max_clients = (uint32_t)u;
	} else if (!strcmp(k, "max_clients_per_uid")) {
		if (l3_cfg_uint(c, v, "max_clients_per_uid", 1, 4096, &u) == 0)
			c->cfg->max_clients_per_uid = (uint32_t)u;
	} else if (!strcmp(k, "socket_layer")) {
		l3_cfg_socket_layer(c, v);
	} else if (!strcmp(k, "quarantine")) {
		l3_cfg_quarantine(c, v);
	} else if (!strcmp(k, "namespaces")) {
		seen->namespaces = v;
	} else {
		l3_unknown_key(c, p->key, "the policy", l3_top_keys,
			       L3_ARRAY_SIZE(l3_top_keys));
	}
}

/* The main file's settings; its `namespaces` mapping in *@ns (NULL if none). */
static void l3_cfg_top(struct l3_cfg_ctx *c, const struct l3_ynode *root,
		       const struct l3_ynode **ns)
{
	struct l3_top_seen seen = { 0 };

	*ns = NULL;
	if (root->kind != L3_Y_MAP) {
		l3_error(c->diag, root->pos, "the policy must be a mapping (version:, namespaces:), got %s",
			 l3_yaml_kind_name(root));
		return;
	}
	l3_cfg_each_pair(c, root, l3_top_key, &seen);
	if (!seen.version)
		l3_error(c->diag, root->pos, "missing required key 'version' (use version: 1)");
	*ns = seen.namespaces;
}

/* A drop-in's keys: only `namespaces`; the rest belongs to the main file. */
static void l3_dropin_key(struct l3_cfg_ctx *c, const struct l3_ypair *p, void *arg)
{
	static const char *const keys[] = { "namespaces" };
	const struct l3_ynode **ns = arg;
	const char *k = p->key->str;
	size_t i;

	if (!strcmp(k, "namespaces")) {
		*ns = p->value;
		return;
	}
	for (i = 0; i < L3_ARRAY_SIZE(l3_top_keys); i++)
		if (!strcmp(k, l3_top_keys[i])) {
			l3_error(c->diag, p->key->pos, "'%s' may be set only in the main policy "
				 "file (%s); a drop-in holds only 'namespaces'", k,
				 l3_diag_file_name(c->diag, 0));
			return;
		}
	l3_unknown_key(c, p->key, "a drop-in (it holds only 'namespaces')", keys,
		       L3_ARRAY_SIZE(keys));
}

/* One file's text, as l3_cfg_load() or a test hands it over. */
struct l3_cfg_src {
	const char *buf;
	size_t len;
	int file;		/* its diagnostics file index */
};

/* Parses one file of the policy into a tree; NULL with *@failed for an
 * error, NULL alone for an empty document. */
static struct l3_ynode *l3_cfg_yaml(struct l3_cfg_ctx *c, const struct l3_cfg_src *src,
				    bool *failed)
{
	const char *buf = src->buf, *nul;
	size_t len = src->len;
	struct l3_ynode *root;
	struct l3_pos pos;

	c->diag->cur = src->file;
	/* libyaml, told the encoding, would count a byte order mark as a
	 * column and then reject the indentation of line 2 */
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) {
		buf += 3;
		len -= 3;
	}
	nul = len ? memchr(buf, '\0', len) : NULL;
	if (nul) {
		pos = l3_diag_pos_at(buf, len, (size_t)(nul - buf));
		pos.file = src->file;
		l3_error(c->diag, pos, "not a YAML file (contains NUL bytes)");
		*failed = true;
		return NULL;
	}
	root = l3_yaml_parse(c->ya, buf, len, c->diag, failed);
	/* "---" alone is a document whose root is null: as empty as "" */
	return root && l3_yaml_is_null(root) ? NULL : root;
}

/* Reads drop-in @src: its namespaces mapping into *@ns. */
static void l3_cfg_dropin(struct l3_cfg_ctx *c, const struct l3_cfg_src *src,
			  const struct l3_ynode **ns, bool *failed)
{
	struct l3_ynode *root = l3_cfg_yaml(c, src, failed);

	*ns = NULL;
	if (!root)
		return;		/* empty: a drop-in may hold nothing */
	if (root->kind != L3_Y_MAP) {
		l3_error(c->diag, root->pos, "a drop-in must be a mapping (namespaces:), got %s",
			 l3_yaml_kind_name(root));
		return;
	}
	l3_cfg_each_pair(c, root, l3_dropin_key, ns);
}

static struct l3_cfg *l3_cfg_new(struct l3_cfg_ctx *c, const char *name)
{
	c->a = l3_arena_new();
	if (!c->a)
		return NULL;
	c->cfg = l3_arena_alloc(c->a, sizeof(*c->cfg));
	if (!c->cfg)
		return NULL;
	c->cfg->arena = c->a;
	c->cfg->file = l3_arena_strdup(c->a, name);
	if (!c->cfg->file)
		return NULL;
	c->cfg->table = L3_CFG_DEFAULT_TABLE;
	c->cfg->mark_mask = L3_CFG_DEFAULT_MARK_MASK;
	c->cfg->queue = L3_CFG_DEFAULT_QUEUE;
	c->cfg->max_clients = L3_CFG_DEFAULT_MAX_CLIENTS;
	c->cfg->max_clients_per_uid = L3_CFG_DEFAULT_MAX_CLIENTS_PER_UID;
	return c->cfg;
}

/* The policy from @srcs: [0] the main file, then the drop-ins in the
 * order they are merged. Every file is read even after errors. */
static struct l3_cfg *l3_cfg_build(const char *name, const struct l3_cfg_src *srcs,
				   size_t n, struct l3_diag *diag)
{
	struct l3_cfg_ctx c = { .diag = diag };
	const struct l3_ynode **maps;
	struct l3_ynode *root;
	size_t errors = diag->nerrors, i, nmaps = 0;
	bool failed = false, any_failed = false;

	c.ya = l3_arena_new();
	if (!c.ya || !l3_cfg_new(&c, name))
		goto oom;
	maps = l3_arena_alloc(c.ya, (n + 1) * sizeof(*maps));
	if (!maps)
		goto oom;
	root = l3_cfg_yaml(&c, &srcs[0], &failed);
	if (!root && !failed)
		l3_error(diag, l3_pos_make(1, 1),
			 "the policy is empty (it needs at least 'version: 1')");
	if (root)
		l3_cfg_top(&c, root, &maps[0]);
	nmaps = root && maps[0] ? 1 : 0;
	any_failed = failed || !root;
	for (i = 1; i < n; i++) {
		failed = false;
		l3_cfg_dropin(&c, &srcs[i], &maps[nmaps], &failed);
		nmaps += maps[nmaps] != NULL;
		any_failed |= failed;
	}
	diag->cur = 0;
	if (c.oom)
		goto oom;
	if (any_failed)
		goto fail;
	l3_cfg_namespaces(&c, maps, nmaps);
	if (c.oom)
		goto oom;
	if (diag->nerrors == errors)
		l3_cfg_check(c.cfg, diag);
	if (diag->nerrors != errors)
		goto fail;
	l3_arena_free(c.ya);
	return c.cfg;
oom:
	errno = ENOMEM;
fail:
	diag->cur = 0;
	l3_arena_free(c.a);
	l3_arena_free(c.ya);
	return NULL;
}

struct l3_cfg *l3_cfg_parse(const char *name, const char *buf, size_t len,
			    struct l3_diag *diag)
{
	struct l3_cfg_src src = { buf, len, 0 };

	return l3_cfg_build(name, &src, 1, diag);
}

/* Reads @path (at most L3_CFG_MAX_FILE_SIZE) into the current file of
 * @diag, which owns it from then on; NULL after reporting why not. */
static const char *l3_cfg_read(const char *path, struct l3_diag *diag, size_t *lenp)
{
	struct l3_pos none = l3_pos_file(diag->cur);
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	size_t len = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		l3_error(diag, none, "cannot read: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)L3_CFG_MAX_FILE_SIZE) {
		l3_error(diag, none, "%s",
			 S_ISREG(st.st_mode) ? "file larger than 32 MiB" : "not a regular file");
		goto fail;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto fail;
	while (len < (size_t)st.st_size &&
	       (n = read(fd, buf + len, (size_t)st.st_size - len)) != 0) {
		if (n < 0) {
			l3_error(diag, none, "cannot read: %s", strerror(errno));
			goto fail;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd);
	/* messages print their source line after the load returns */
	l3_diag_take_source(diag, buf, len);
	*lenp = len;
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* A drop-in's file name: *.yaml, not hidden (editors' and packages'
 * leftovers start with '.' or end otherwise: .web.yaml.swp, x.yaml.dpkg-old). */
static int l3_dropin_filter(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return e->d_name[0] != '.' && n > 5 && !strcmp(e->d_name + n - 5, ".yaml");
}

/* Byte order, whatever the locale: the merge order must not depend on it. */
static int l3_dropin_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

char *l3_cfg_dropin_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;

	if (!slash)
		return strdup(L3_CFG_DROPIN_DIR);
	if (asprintf(&dir, "%.*s/" L3_CFG_DROPIN_DIR, (int)(slash - path), path) < 0)
		return NULL;
	return dir;
}

/* Reads every drop-in of @path's directory into @srcs[1..]; the count,
 * or -1 (reported) when the directory exists but cannot be read. */
static ssize_t l3_cfg_read_dropins(const char *path, struct l3_diag *diag,
				   struct l3_cfg_src **srcs)
{
	struct dirent **names = NULL;
	char *dir = l3_cfg_dropin_dir(path), *file;
	int n, i;
	size_t k = 1;

	if (!dir)
		return -1;
	n = scandir(dir, &names, l3_dropin_filter, l3_dropin_cmp);
	if (n < 0 && errno != ENOENT && errno != ENOTDIR) {
		l3_error(diag, L3_NOPOS, "cannot read the drop-in directory %s: %s", dir,
			 strerror(errno));
		free(dir);
		return -1;
	}
	if (n > 0) {
		struct l3_cfg_src *more = realloc(*srcs, ((size_t)n + 1) * sizeof(**srcs));

		if (more)
			*srcs = more;
		for (i = 0; i < n; i++) {
			if (more && asprintf(&file, "%s/%s", dir, names[i]->d_name) >= 0) {
				int idx = l3_diag_add_file(diag, file, NULL, 0);

				(*srcs)[k].file = idx;
				(*srcs)[k].buf = idx < 0 ? NULL
						 : l3_cfg_read(file, diag, &(*srcs)[k].len);
				k += idx >= 0;
				free(file);
			}
			free(names[i]);
		}
		free(names);
		diag->cur = 0;
		if (!more || k != (size_t)n + 1) {
			free(dir);
			errno = ENOMEM;
			return -1;
		}
	}
	free(dir);
	return (ssize_t)k - 1;
}

struct l3_cfg *l3_cfg_load(const char *path, struct l3_diag *diag)
{
	struct l3_cfg_src *srcs = calloc(1, sizeof(*srcs));
	struct l3_cfg *cfg = NULL;
	ssize_t more;
	size_t i;

	if (!srcs)
		return NULL;
	diag->cur = 0;
	srcs[0].buf = l3_cfg_read(path, diag, &srcs[0].len);
	more = l3_cfg_read_dropins(path, diag, &srcs);
	if (!srcs[0].buf || more < 0)
		goto out;
	for (i = 1; i <= (size_t)more; i++)
		if (!srcs[i].buf)
			goto out;
	cfg = l3_cfg_build(path, srcs, (size_t)more + 1, diag);
out:
	free(srcs);
	return cfg;
}

void l3_cfg_free(struct l3_cfg *cfg)
{
	if (cfg)
		l3_arena_free(cfg->arena);
}

const struct l3_ns *l3_cfg_find_ns(const struct l3_cfg *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nns; i++)
		if (!strcmp(cfg->ns[i].name, name))
			return &cfg->ns[i];
	return NULL;
}

unsigned l3_cfg_mark_shift(uint32_t mask)
{
	return mask ? (unsigned)__builtin_ctz(mask) : 0;
}

uint32_t l3_cfg_max_id(uint32_t mask)
{
	return mask >> l3_cfg_mark_shift(mask);
}

uint32_t l3_cfg_mark(const struct l3_cfg *cfg, uint32_t id)
{
	return id << l3_cfg_mark_shift(cfg->mark_mask);
}

uint32_t l3_cfg_mark_id(const struct l3_cfg *cfg, uint32_t mark)
{
	if ((mark & ~cfg->mark_mask) || !(mark & cfg->mark_mask))
		return 0;
	return mark >> l3_cfg_mark_shift(cfg->mark_mask);
}

const struct l3_addr *l3_cfg_ns_source(const struct l3_ns *ns, int family)
{
	size_t i;

	for (i = 0; i < ns->naddrs; i++)
		if (ns->addrs[i].family == family)
			return &ns->addrs[i];
	return NULL;
}
