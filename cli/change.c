/*
 * The change apply makes, said in the policy's words. Everything comes
 * from the delta of kernel/live.c (the live table against the table the
 * policy makes), read back into namespaces: a chain ns_NAME that comes or
 * goes is a namespace added or removed, a dst4/dst6 element an address
 * (it jumps to its namespace's chain), a listen element a listen entry, a
 * cgroup_lN element the cgroup id the table holds.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "l3nft/cli/change.h"
#include "l3nft/cli/status.h"
#include "l3nft/compiler/emit_text.h"
#include "l3nft/compiler/rule_parse.h"
#include <libnftnl/rule.h>

#define L3_CHG_STR 72

struct l3_strv {
	char (*v)[L3_CHG_STR];
	size_t n;
};

enum l3_chg_state { L3_CHG_SAME, L3_CHG_ADDED, L3_CHG_REMOVED };

struct l3_chg_ns {
	char name[40];			/* first: found by name */
	enum l3_chg_state state;
	struct l3_strv addr_add, addr_del, listen_add;
	struct l3_strv expose_add, expose_del;	/* "22/tcp from 198.51.100.0/24" */
	int limited;			/* expose_limited: +1 added, -1 removed */
	bool cg;			/* the table's cgroup id changes */
	uint64_t cg_old, cg_new;
	bool rules;			/* its chain's rules change (id, settings) */
};

struct l3_chg {
	struct l3_chg_ns *ns;		/* sorted by name */
	size_t nns;
	struct l3_strv listen_del;	/* run-time registrations that go */
};

static int l3_strv_add(struct l3_strv *s, const char *text)
{
	void *p = realloc(s->v, (s->n + 1) * sizeof(*s->v));

	if (!p)
		return -1;
	s->v = p;
	snprintf(s->v[s->n++], L3_CHG_STR, "%s", text);
	return 0;
}

static void l3_chg_free(struct l3_chg *c)
{
	size_t i;

	for (i = 0; i < c->nns; i++) {
		free(c->ns[i].addr_add.v);
		free(c->ns[i].addr_del.v);
		free(c->ns[i].listen_add.v);
		free(c->ns[i].expose_add.v);
		free(c->ns[i].expose_del.v);
	}
	free(c->ns);
	free(c->listen_del.v);
}

static int l3_chg_cmp(const void *a, const void *b)
{
	return strcmp(((const struct l3_chg_ns *)a)->name, ((const struct l3_chg_ns *)b)->name);
}

static struct l3_chg_ns *l3_chg_find(const struct l3_chg *c, const char *name)
{
	struct l3_chg_ns key;

	if (!c->nns || strlen(name) >= sizeof(key.name))
		return NULL;
	strcpy(key.name, name);
	return bsearch(&key, c->ns, c->nns, sizeof(*c->ns), l3_chg_cmp);
}

/* The namespace a chain name is of ("ns_web" → "web"), or NULL. */
static const char *l3_chg_ns_of(const char *chain)
{
	const size_t n = sizeof(L3_IR_CHAIN_NS_PREFIX) - 1;

	return strncmp(chain, L3_IR_CHAIN_NS_PREFIX, n) ? NULL : chain + n;
}

/* One entry per namespace of the policy or of the live table. */
static int l3_chg_names(struct l3_chg *c, const struct l3_change_in *in)
{
	const struct l3_live *h = in->have;
	size_t i, n = 0;

	c->ns = calloc(in->cfg->nns + h->nmarks + 1, sizeof(*c->ns));
	if (!c->ns)
		return -1;
	for (i = 0; i < in->cfg->nns; i++)
		snprintf(c->ns[n++].name, sizeof(c->ns->name), "%s", in->cfg->ns[i].name);
	for (i = 0; i < h->nmarks; i++)
		if (l3_chg_ns_of(h->marks[i].chain))
			snprintf(c->ns[n++].name, sizeof(c->ns->name), "%s",
				 l3_chg_ns_of(h->marks[i].chain));
	if (n)
		qsort(c->ns, n, sizeof(*c->ns), l3_chg_cmp);
	for (i = 0; i < n; i++)	/* unique */
		if (!c->nns || strcmp(c->ns[c->nns - 1].name, c->ns[i].name))
			c->ns[c->nns++] = c->ns[i];
	return 0;
}

/* "192.0.2.10/24": the prefix length from the policy (added) or from the
 * host's address (removed), when known. */
static void l3_chg_addr(const struct l3_change_in *in, const char *ns, int family,
			const void *a, bool add, char *buf, size_t len)
{
	const struct l3_alias *al = in->now ? l3_alias_find(in->now, family, a) : NULL;
	size_t i, j, alen = family == AF_INET ? 4 : 16;
	int plen = al ? al->plen : -1;

	for (i = 0; add && i < in->cfg->nns; i++) {
		if (strcmp(in->cfg->ns[i].name, ns))
			continue;
		for (j = 0; j < in->cfg->ns[i].naddrs; j++)
			if (in->cfg->ns[i].addrs[j].family == family &&
			    !memcmp(&in->cfg->ns[i].addrs[j].a, a, alen))
				plen = in->cfg->ns[i].addrs[j].plen;
	}
	inet_ntop(family, a, buf, (socklen_t)len);
	if (plen >= 0)
		snprintf(buf + strlen(buf), len - strlen(buf), "/%d", plen);
}

/* "239.1.1.1:5000/udp" from a listen element's key (address, port). */
static void l3_chg_listen_text(int family, const uint8_t *key, char *buf, size_t len)
{
	const size_t alen = family == AF_INET ? 4 : 16;
	char a[INET6_ADDRSTRLEN];

	inet_ntop(family, key, a, sizeof(a));
	snprintf(buf, len, family == AF_INET ? "%s:%u/udp" : "[%s]:%u/udp", a,
		 (unsigned)(key[alen] << 8 | key[alen + 1]));
}

/* The namespace whose listen entry put this element in the new table. */
static const char *l3_chg_listen_ns(const struct l3_ir *ir, const char *set, int family,
				    const uint8_t *key)
{
	const struct l3_ir_set *is = l3_ir_find_set(ir, set);
	const size_t alen = family == AF_INET ? 4 : 16;
	const uint16_t port = (uint16_t)(key[alen] << 8 | key[alen + 1]);
	const struct l3_ir_elem *e;
	size_t i;

	for (i = 0; is && i < is->elems.len; i++) {
		e = (const struct l3_ir_elem *)is->elems.items + i;
		if (e->ns && e->key[1].u.port == port && !memcmp(&e->key[0].u.v4, key, alen))
			return e->ns->name;
	}
	return NULL;
}

static int l3_chg_listen(struct l3_chg *c, const struct l3_change_in *in, const char *set,
			 const struct l3_nl_raw_elem *e, bool add)
{
	const int family = !strcmp(set, L3_IR_SET_LISTEN4) ? AF_INET : AF_INET6;
	char text[L3_CHG_STR];
	struct l3_chg_ns *ns;
	const char *name;

	if (e->klen < (family == AF_INET ? 6u : 18u))
		return 0;
	l3_chg_listen_text(family, e->key, text, sizeof(text));
	name = add ? l3_chg_listen_ns(in->ir, set, family, e->key) : NULL;
	ns = name ? l3_chg_find(c, name) : NULL;
	if (ns)
		return l3_strv_add(&ns->listen_add, text);
	return add ? 0 : l3_strv_add(&c->listen_del, text);
}

/* The namespace whose mark is @mark: in the policy (@add) or in the live
 * table. */
static struct l3_chg_ns *l3_chg_by_mark(struct l3_chg *c, const struct l3_change_in *in,
					uint32_t mark, bool add)
{
	size_t i;

	for (i = 0; add && i < in->cfg->nns; i++)
		if (l3_ir_ns_mark(in->ir, &in->cfg->ns[i]) == mark)
			return l3_chg_find(c, in->cfg->ns[i].name);
	for (i = 0; !add && i < in->have->nmarks; i++)
		if (in->have->marks[i].mark == mark && l3_chg_ns_of(in->have->marks[i].chain))
			return l3_chg_find(c, l3_chg_ns_of(in->have->marks[i].chain));
	return NULL;
}

/* "22/tcp", and " from 198.51.100.0/24" for a source range: an element
 * of exposed (mark . proto . port) or expose_from4/6 (. address range),
 * each field padded to 32 bits. */
static void l3_chg_expose_text(const struct l3_nl_raw_elem *e, int family, char *buf,
			       size_t len)
{
	const size_t alen = family == AF_INET ? 4 : 16;
	char a[INET6_ADDRSTRLEN];
	int plen = 0;
	size_t i;

	snprintf(buf, len, "%u/%s", (unsigned)(e->key[8] << 8 | e->key[9]),
		 e->key[4] == IPPROTO_TCP ? "tcp" : e->key[4] == IPPROTO_UDP ? "udp" : "?");
	if (!family)
		return;
	/* the range is a prefix: count the leading bits both ends share */
	for (i = 0; i < alen * 8 && !((e->key[12 + i / 8] ^ e->key_end[12 + i / 8]) &
				     (0x80u >> (i % 8))); i++)
		plen++;
	inet_ntop(family, e->key + 12, a, sizeof(a));
	snprintf(buf + strlen(buf), len - strlen(buf), " from %s/%d", a, plen);
}

static int l3_chg_expose(struct l3_chg *c, const struct l3_change_in *in, const char *set,
			 const struct l3_nl_raw_elem *e, bool add)
{
	const int family = !strcmp(set, L3_IR_SET_EXPOSE_FROM4) ? AF_INET
			   : !strcmp(set, L3_IR_SET_EXPOSE_FROM6) ? AF_INET6 : 0;
	const uint32_t want = family == AF_INET ? 16 : family == AF_INET6 ? 28 : 12;
	char text[L3_CHG_STR];
	struct l3_chg_ns *ns;
	uint32_t mark;

	if (e->klen < 4)
		return 0;
	memcpy(&mark, e->key, 4);
	if (family)	/* the range sets hold it big-endian (emit_nl.c) */
		mark = ntohl(mark);
	if (!(ns = l3_chg_by_mark(c, in, mark, add)))
		return 0;
	if (!strcmp(set, L3_IR_SET_EXPOSE_LIMITED)) {
		ns->limited = add ? 1 : -1;
		return 0;
	}
	if (e->klen != want || (family && e->klen_end != want))
		return 0;
	l3_chg_expose_text(e, family, text, sizeof(text));
	return l3_strv_add(add ? &ns->expose_add : &ns->expose_del, text);
}

static bool l3_chg_expose_set(const char *set)
{
	return !strcmp(set, L3_IR_SET_EXPOSED) || !strcmp(set, L3_IR_SET_EXPOSE_FROM4) ||
	       !strcmp(set, L3_IR_SET_EXPOSE_FROM6) || !strcmp(set, L3_IR_SET_EXPOSE_LIMITED);
}

/* One element of the delta, read as what it says about a namespace. */
static int l3_chg_elem(struct l3_chg *c, const struct l3_change_in *in, const char *line,
		       bool add)
{
	struct l3_nl_raw_elem e;
	struct l3_chg_ns *ns;
	char set[32], text[L3_CHG_STR];
	const char *name;
	int level;

	if (l3_live_elem_parse(line, set, sizeof(set), &e) < 0)
		return 0;
	if (!strcmp(set, L3_IR_SET_LISTEN4) || !strcmp(set, L3_IR_SET_LISTEN6))
		return l3_chg_listen(c, in, set, &e, add);
	if (l3_chg_expose_set(set))
		return l3_chg_expose(c, in, set, &e, add);
	if (e.kind != L3_NL_DATA_VERDICT || !(name = l3_chg_ns_of(e.ref)) ||
	    !(ns = l3_chg_find(c, name)))
		return 0;
	if ((!strcmp(set, L3_IR_SET_DST4) && e.klen == 4) ||
	    (!strcmp(set, L3_IR_SET_DST6) && e.klen == 16)) {
		l3_chg_addr(in, name, e.klen == 4 ? AF_INET : AF_INET6, e.key, add, text,
			    sizeof(text));
		return l3_strv_add(add ? &ns->addr_add : &ns->addr_del, text);
	}
	if (sscanf(set, L3_IR_SET_CGROUP_FMT, &level) == 1 && e.klen == 8) {
		ns->cg = true;
		memcpy(add ? &ns->cg_new : &ns->cg_old, e.key, 8);
	}
	return 0;
}

static void l3_chg_chains(struct l3_chg *c, const struct l3_live_list *l,
			  enum l3_chg_state state)
{
	struct l3_chg_ns *ns;
	const char *name;
	size_t i;

	for (i = 0; i < l->n; i++)
		if ((name = l3_chg_ns_of(l->v[i] + 6)) && (ns = l3_chg_find(c, name)))
			ns->state = state;
}

static int l3_chg_build(struct l3_chg *c, const struct l3_change_in *in)
{
	const struct l3_live_delta *d = in->delta;
	struct l3_chg_ns *ns;
	char chain[64];
	const char *name;
	size_t i;

	memset(c, 0, sizeof(*c));
	if (l3_chg_names(c, in) < 0)
		return -1;
	if (!in->have->exists) {
		for (i = 0; i < c->nns; i++)
			c->ns[i].state = L3_CHG_ADDED;
		return 0;
	}
	l3_chg_chains(c, &d->chains_add, L3_CHG_ADDED);
	l3_chg_chains(c, &d->chains_del, L3_CHG_REMOVED);
	for (i = 0; i < d->flush.n; i++)
		if ((name = l3_chg_ns_of(l3_live_line_name(d->flush.v[i], chain, sizeof(chain)))) &&
		    (ns = l3_chg_find(c, name)))
			ns->rules = true;
	for (i = 0; i < d->elems_del.n; i++)
		if (l3_chg_elem(c, in, d->elems_del.v[i], false) < 0)
			return -1;
	for (i = 0; i < d->elems_add.n; i++)
		if (l3_chg_elem(c, in, d->elems_add.v[i], true) < 0)
			return -1;
	return 0;
}

/* ---- text ---- */

static size_t l3_chg_print_ns(const struct l3_chg_ns *ns, FILE *out)
{
	size_t i, n = 0;

	if (ns->state != L3_CHG_SAME) {
		fprintf(out, "%c namespace %s\n", ns->state == L3_CHG_ADDED ? '+' : '-', ns->name);
		return 1;
	}
	if (ns->addr_add.n == 1 && ns->addr_del.n == 1) {
		fprintf(out, "~ %s address %s -> %s\n", ns->name, ns->addr_del.v[0],
			ns->addr_add.v[0]);
		n++;
	} else {
		for (i = 0; i < ns->addr_del.n; i++, n++)
			fprintf(out, "~ %s address - %s\n", ns->name, ns->addr_del.v[i]);
		for (i = 0; i < ns->addr_add.n; i++, n++)
			fprintf(out, "~ %s address + %s\n", ns->name, ns->addr_add.v[i]);
	}
	for (i = 0; i < ns->listen_add.n; i++, n++)
		fprintf(out, "~ %s listen + %s\n", ns->name, ns->listen_add.v[i]);
	if (ns->cg && ++n) {
		if (ns->cg_old && ns->cg_new)
			fprintf(out, "~ %s cgroup id %llu -> %llu\n", ns->name,
				(unsigned long long)ns->cg_old, (unsigned long long)ns->cg_new);
		else if (ns->cg_new)
			fprintf(out, "~ %s cgroup id + %llu (the cgroup exists now)\n", ns->name,
				(unsigned long long)ns->cg_new);
		else
			fprintf(out, "~ %s cgroup id - %llu (the cgroup is gone)\n", ns->name,
				(unsigned long long)ns->cg_old);
	}
	if (ns->limited && ++n)
		fprintf(out, "~ %s expose: %s\n", ns->name, ns->limited > 0
			? "only the ports listed take new flows from outside" : "every port again");
	for (i = 0; i < ns->expose_del.n; i++, n++)
		fprintf(out, "~ %s expose -%s\n", ns->name, ns->expose_del.v[i]);
	for (i = 0; i < ns->expose_add.n; i++, n++)
		fprintf(out, "~ %s expose +%s\n", ns->name, ns->expose_add.v[i]);
	if (ns->rules && ++n)
		fprintf(out, "~ %s mark chain rules (its id or settings)\n", ns->name);
	return n;
}

static void l3_change_print_alias(FILE *out, char sign, const struct l3_alias *al,
				  const char *why)
{
	char a[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE] = "?";

	inet_ntop(al->family, &al->a, a, sizeof(a));
	if_indextoname((unsigned)al->ifindex, ifname);
	fprintf(out, "%c address %s/%d dev %s%s\n", sign, a, al->plen, ifname, why);
}

/* ---- diff -v: the table's lines that differ, in nft syntax ---- */

/* What rendering needs besides the input: the policy's rules found by
 * their expressions, and its chains by name. */
struct l3_vt {
	const struct l3_change_in *in;
	const char **want;		/* the policy table's rule lines, by expressions */
	size_t nwant;
	const struct l3_ir_chain **chains;	/* by name */
};

/* A rule line's expressions: after "rule CHAIN NNNN ". */
static const char *l3_vt_exprs(const char *line)
{
	const char *p = strchr(line + 5, ' ');

	p = p ? strchr(p + 1, ' ') : NULL;
	return p ? p + 1 : "";
}

static int l3_vt_want_cmp(const void *a, const void *b)
{
	return strcmp(l3_vt_exprs(*(const char *const *)a), l3_vt_exprs(*(const char *const *)b));
}

static int l3_vt_chain_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct l3_ir_chain *const *)a)->name,
		      (*(const struct l3_ir_chain *const *)b)->name);
}

static int l3_vt_init(struct l3_vt *vt, const struct l3_change_in *in)
{
	const struct l3_live *w = in->want;
	const struct l3_ir *ir = in->ir;
	size_t i;

	memset(vt, 0, sizeof(*vt));
	vt->in = in;
	vt->want = calloc(w->nlines + 1, sizeof(*vt->want));
	vt->chains = calloc(ir->chains.len + 1, sizeof(*vt->chains));
	if (!vt->want || !vt->chains)
		return -1;
	for (i = 0; i < w->nlines; i++)
		if (!strncmp(w->lines[i], "rule ", 5))
			vt->want[vt->nwant++] = w->lines[i];
	for (i = 0; i < ir->chains.len; i++)
		vt->chains[i] = L3_IR_CHAIN(ir, i);
	qsort(vt->want, vt->nwant, sizeof(*vt->want), l3_vt_want_cmp);
	qsort(vt->chains, ir->chains.len, sizeof(*vt->chains), l3_vt_chain_cmp);
	return 0;
}

static void l3_vt_fini(struct l3_vt *vt)
{
	free(vt->want);
	free(vt->chains);
}

/* The policy's rule a line of the table it makes was rendered from. */
static const struct l3_ir_rule *l3_vt_want_rule(const struct l3_vt *vt, const char *line)
{
	struct l3_ir_chain key_chain = { .name = NULL };
	const struct l3_ir_chain *kc = &key_chain, *const *c;
	char name[64];
	unsigned idx;

	if (sscanf(line, "rule %63s %u", name, &idx) != 2 || idx == 0)
		return NULL;
	key_chain.name = name;
	c = vt->in->ir->chains.len ? bsearch(&kc, vt->chains, vt->in->ir->chains.len,
					     sizeof(*vt->chains), l3_vt_chain_cmp) : NULL;
	if (!c || idx > (*c)->rules.len)
		return NULL;
	return (const struct l3_ir_rule *)(*c)->rules.items + idx - 1;
}

static void l3_vt_print_rule(const struct l3_vt *vt, const struct l3_ir_rule *r,
			     const char *chain, char sign, FILE *out)
{
	fprintf(out, "%c rule %s ", sign, chain);
	l3_emit_rule(vt->in->ir, r, out);
	fputc('\n', out);
}

/* A live rule the policy does not make, read back into an IR rule; true
 * only when emitting that reading again gives the very same expressions
 * (a rule edited by hand is never shown as something it is not). */
static bool l3_vt_print_parsed(const struct l3_vt *vt, const char *line, const char *chain,
			       FILE *out)
{
	struct nftnl_rule *live = l3_live_rule_obj(vt->in->have, line), *again;
	struct l3_ir_chain c = { .name = chain };
	struct l3_nl_features f;
	struct l3_ir_rule r;
	char *exprs;
	bool same;

	if (!live || l3_rule_parse(live, &r, &f) < 0 ||
	    !(again = l3_nl_rule_obj(NULL, vt->in->ir, &c, &r, &f)))
		return false;
	exprs = l3_live_rule_exprs(again);
	same = exprs && !strcmp(exprs, l3_vt_exprs(line));
	if (same)
		l3_vt_print_rule(vt, &r, chain, '-', out);
	free(exprs);
	nftnl_rule_free(again);
	return same;
}

/* One rule line: as `l3nft compile` prints the rule when the policy makes
 * it (here or elsewhere in the table), else read back, else (a rule l3nft
 * does not write) libnftnl's expression list. */
static void l3_vt_rule(const struct l3_vt *vt, const char *line, bool add, FILE *out)
{
	const char *key = line, *const *hit;
	const struct l3_ir_rule *r;
	char chain[64];

	if (sscanf(line, "rule %63s", chain) != 1)
		return;
	hit = add ? &key : vt->nwant ? bsearch(&key, vt->want, vt->nwant, sizeof(*vt->want),
					       l3_vt_want_cmp) : NULL;
	if (hit && (r = l3_vt_want_rule(vt, *hit))) {
		l3_vt_print_rule(vt, r, chain, add ? '+' : '-', out);
		return;
	}
	if (!add && l3_vt_print_parsed(vt, line, chain, out))
		return;
	fprintf(out, "%c %s\n", add ? '+' : '-', line);
}

/* Lines [@i, end) of @lv that are rules of the chain of @lines[@i]. */
static size_t l3_vt_chain_end(const struct l3_live *lv, size_t i, const char *chain)
{
	const size_t n = strlen(chain);

	while (i < lv->nlines && !strncmp(lv->lines[i], "rule ", 5) &&
	       !strncmp(lv->lines[i] + 5, chain, n) && lv->lines[i][5 + n] == ' ')
		i++;
	return i;
}

#define L3_VT_LCS_MAX 1000000u	/* cells; a bigger chain is shown whole */

/*
 * One chain's rules, old and new: a longest common subsequence of their
 * expressions keeps the rules that stay out of the diff, so inserting one
 * rule shows one "+" line, not every later rule moved.
 */
static void l3_vt_chain(const struct l3_vt *vt, const char *const *h, size_t nh,
			const char *const *w, size_t nw, FILE *out)
{
	uint32_t *t = nh * nw <= L3_VT_LCS_MAX ? calloc((nh + 1) * (nw + 1), sizeof(*t)) : NULL;
	size_t i, j;

#define L3_T(a, b) t[(a) * (nw + 1) + (b)]
	for (i = nh; t && i-- > 0;)
		for (j = nw; j-- > 0;)
			L3_T(i, j) = !strcmp(l3_vt_exprs(h[i]), l3_vt_exprs(w[j]))
				     ? L3_T(i + 1, j + 1) + 1
				     : L3_T(i + 1, j) > L3_T(i, j + 1) ? L3_T(i + 1, j) : L3_T(i, j + 1);
	for (i = 0, j = 0; i < nh || j < nw;) {
		if (t && i < nh && j < nw && !strcmp(l3_vt_exprs(h[i]), l3_vt_exprs(w[j]))) {
			i++, j++;
		} else if (i < nh && (j == nw || !t || L3_T(i + 1, j) >= L3_T(i, j + 1))) {
			l3_vt_rule(vt, h[i++], false, out);
		} else {
			l3_vt_rule(vt, w[j++], true, out);
		}
	}
#undef L3_T
	free(t);
}

/* "chain input hook 1 prio 0 type filter policy 1" as nft writes it. */
static void l3_vt_chain_line(const char *line, char sign, FILE *out)
{
	static const char *const hooks[] = { "prerouting", "input", "forward", "output",
					     "postrouting" };
	char name[64], type[16];
	unsigned hook, policy;
	int prio;

	if (sscanf(line, "chain %63s hook %u prio %d type %15s policy %u", name, &hook, &prio,
		   type, &policy) == 5 && hook < 5)
		fprintf(out, "%c chain %s { type %s hook %s priority %d; policy %s; }\n", sign,
			name, type, hooks[hook], prio, policy == 1 ? "accept" : "drop");
	else
		fprintf(out, "%c %s\n", sign, line);
}

static void l3_vt_line(const struct l3_live *side, const char *line, char sign, FILE *out)
{
	char buf[512];

	if (!strncmp(line, "elem ", 5)) {
		l3_live_elem_nft(side, line, buf, sizeof(buf));
		fprintf(out, "%c %s\n", sign, buf);
	} else if (!strncmp(line, "chain ", 6)) {
		l3_vt_chain_line(line, sign, out);
	} else if (!strncmp(line, "set ", 4)) {
		l3_live_set_nft(line, buf, sizeof(buf));
		fprintf(out, "%c %s\n", sign, buf);
	} else {
		fprintf(out, "%c %s\n", sign, line);
	}
}

/* The table's lines that differ, in nft syntax, a chain's rules as a
 * diff of the chain. */
static int l3_change_print_table(const struct l3_change_in *in, FILE *out)
{
	const struct l3_live *h = in->have, *w = in->want;
	size_t i = 0, j = 0, i2, j2;
	char chain[64];
	struct l3_vt vt;

	fprintf(out, "--- table inet %s (live)\n+++ table inet %s (policy)\n", in->ir->table,
		in->ir->table);
	if (!h->exists)
		return l3_emit_text(in->ir, out);
	if (l3_vt_init(&vt, in) < 0) {
		l3_vt_fini(&vt);
		return -1;
	}
	while (i < h->nlines || j < w->nlines) {
		int r = i == h->nlines ? 1 : j == w->nlines ? -1 : strcmp(h->lines[i], w->lines[j]);
		const char *line = r < 0 ? h->lines[i] : w->lines[j];

		if (r == 0) {
			i++, j++;
		} else if (sscanf(line, "rule %63s", chain) == 1) {
			i2 = l3_vt_chain_end(h, i, chain);
			j2 = l3_vt_chain_end(w, j, chain);
			l3_vt_chain(&vt, (const char *const *)h->lines + i, i2 - i,
				    (const char *const *)w->lines + j, j2 - j, out);
			i = i2, j = j2;
		} else {
			l3_vt_line(r < 0 ? h : w, line, r < 0 ? '-' : '+', out);
			r < 0 ? i++ : j++;
		}
	}
	l3_vt_fini(&vt);
	return 0;
}

size_t l3_change_print(const struct l3_change_in *in, bool verbose, FILE *out)
{
	const char *t = in->ir->table;
	struct l3_chg c;
	size_t i, n = 0;

	if (l3_chg_build(&c, in) < 0) {
		l3_chg_free(&c);
		return SIZE_MAX;
	}
	if (!in->have->exists)
		fprintf(out, "+ table inet %s\n", t);
	else if (in->table_changes && in->delta->replace)
		fprintf(out, "~ table inet %s is replaced whole: %s\n", t, in->delta->why);
	for (i = 0; i < c.nns; i++)
		n += l3_chg_print_ns(&c.ns[i], out);
	for (i = 0; i < c.listen_del.n; i++, n++)
		fprintf(out, "~ listen - %s (registered at run time)\n", c.listen_del.v[i]);
	if (in->have->exists && in->table_changes && !n)
		fprintf(out, "~ table inet %s: %zu lines differ (diff -v shows them)\n", t,
			in->table_changes);
	for (i = 0; i < in->nadd; i++)
		l3_change_print_alias(out, '+', &in->add[i], "");
	for (i = 0; i < in->nstale; i++)
		l3_change_print_alias(out, '-', &in->stale[i],
				      " (added by l3nft, no longer in the policy)");
	if (verbose && in->table_changes && l3_change_print_table(in, out) < 0) {
		l3_chg_free(&c);
		return SIZE_MAX;
	}
	l3_chg_free(&c);
	return in->table_changes + in->nadd + in->nstale;
}

/* ---- JSON ---- */

static json_t *l3_json_strv(const struct l3_strv *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < s->n; i++)
		json_array_append_new(a, json_string(s->v[i]));
	return a;
}

static json_t *l3_json_id(uint64_t id)
{
	return id ? json_integer((json_int_t)id) : json_null();
}

static json_t *l3_json_ns(const struct l3_chg_ns *ns)
{
	static const char *const states[] = { "changed", "added", "removed" };

	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:b}", "namespace", ns->name,
			 "change", states[ns->state], "addresses_added",
			 l3_json_strv(&ns->addr_add), "addresses_removed",
			 l3_json_strv(&ns->addr_del), "listen_added", l3_json_strv(&ns->listen_add),
			 "expose_added", l3_json_strv(&ns->expose_add),
			 "expose_removed", l3_json_strv(&ns->expose_del),
			 "cgroup_id", ns->cg ? json_pack("{s:o, s:o}", "old", l3_json_id(ns->cg_old),
							 "new", l3_json_id(ns->cg_new))
					     : json_null(),
			 "rules_changed", ns->rules);
}

static bool l3_chg_ns_changed(const struct l3_chg_ns *ns)
{
	return ns->state != L3_CHG_SAME || ns->addr_add.n || ns->addr_del.n ||
	       ns->listen_add.n || ns->expose_add.n || ns->expose_del.n || ns->limited ||
	       ns->cg || ns->rules;
}

static json_t *l3_json_aliases(const struct l3_alias *v, size_t n)
{
	json_t *a = json_array();
	char text[INET6_ADDRSTRLEN + 8];
	size_t i;

	for (i = 0; a && i < n; i++) {
		inet_ntop(v[i].family, &v[i].a, text, sizeof(text));
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "/%d", v[i].plen);
		json_array_append_new(a, json_string(text));
	}
	return a;
}

static json_t *l3_json_table_changes(const struct l3_live_delta *d)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			 "elements_added", (json_int_t)d->elems_add.n,
			 "elements_removed", (json_int_t)d->elems_del.n,
			 "chains_added", (json_int_t)d->chains_add.n,
			 "chains_removed", (json_int_t)d->chains_del.n,
			 "chains_refilled", (json_int_t)d->flush.n,
			 "counters_added", (json_int_t)d->ctrs_add.n,
			 "counters_removed", (json_int_t)d->ctrs_del.n);
}

json_t *l3_change_json(const struct l3_change_in *in, bool applied)
{
	const bool changed = in->table_changes + in->nadd + in->nstale > 0;
	const bool replace = in->table_changes && in->delta->replace;
	json_t *list = json_array(), *doc = NULL;
	struct l3_chg c = { 0 };
	size_t i;

	if (list && l3_chg_build(&c, in) == 0) {
		for (i = 0; i < c.nns; i++)
			if (l3_chg_ns_changed(&c.ns[i]))
				json_array_append_new(list, l3_json_ns(&c.ns[i]));
		doc = json_pack("{s:i, s:s, s:b, s:b, s:b, s:b, s:o, s:o, s:o, s:o, s:{s:o, s:o}}",
				"schema", L3_JSON_SCHEMA, "table", in->ir->table,
				"changed", changed, "applied", applied && changed,
				"table_exists", in->have->exists, "replace", replace,
				"reason", replace ? json_string(in->delta->why) : json_null(),
				"namespaces", json_incref(list),
				"listen_removed", l3_json_strv(&c.listen_del),
				"table_changes", l3_json_table_changes(in->delta),
				"host_addresses", "added", l3_json_aliases(in->add, in->nadd),
				"removed", l3_json_aliases(in->stale, in->nstale));
	}
	l3_chg_free(&c);
	json_decref(list);
	return doc;
}
