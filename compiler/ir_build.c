/*
 * Policy model → IR. The table's shape, and why:
 *
 *  - A namespace is a mark value inside mark_mask. Chain ns_<name> sets it
 *    (bits outside the mask are kept), and is reached through verdict maps
 *    keyed by the socket's cgroup (output) or by the destination address
 *    (prerouting). Every per-packet step is one set or map lookup, so the
 *    cost does not grow with the number of namespaces.
 *  - Egress: output marks the packet with its socket's namespace;
 *    postrouting SNATs it to the namespace's first address of its family
 *    unless it already carries one of the namespace's own addresses.
 *  - Ingress: prerouting marks by destination address; loopback (127/8,
 *    ::1) keeps the sender's mark from output instead. Input accepts a
 *    marked packet only for a socket of the same namespace
 *    (mark . cgroup lookup); unmarked traffic (the host's own addresses)
 *    is refused to every namespace's socket.
 *  - Connection ownership: conntrack keys entries by tuple only, so
 *    without more a namespace could send or receive on an entry another
 *    namespace (or the host) opened. The first packet of every entry
 *    (unconfirmed) writes its owner into the ct mark, inside mark_mask:
 *    the sender's namespace in output, the destination's in prerouting,
 *    the host being 0. Every later packet (confirmed, whatever its ct
 *    state) is checked against it in output (conn_out) and input
 *    (conn_in); only the responder of a connection between two local
 *    sockets, which went through lo, is checked by address instead, as
 *    a new connection is.
 *  - The socket expression does not see request sockets, so the
 *    handshake's last ACK is accepted when it meets one: the SYN that
 *    made it was checked.
 *  - 127.0.0.0/8 and ::1 are trusted only when they arrive on lo.
 *  - Quarantine (fail closed): nft sees cgroup ids, never names, so a
 *    cgroup made anew (a new id) is nobody's and would count as the
 *    host's. Below a parent the policy says holds only namespaces, a
 *    socket that no namespace's lookup marked is refused in output and
 *    in the input chains that would take it for a host socket.
 *  - Broadcast and multicast UDP that someone registered for is queued to
 *    l3nftd, which fans it out.
 *  - expose: a namespace that lists its exposed ports gets new TCP and UDP
 *    flows from outside (anyone but itself over loopback) only on those:
 *    one lookup of mark . l4proto . port. A port exposed to some sources
 *    only (`from`) is one lookup of mark . l4proto . port . saddr in an
 *    interval set per family instead. Later packets of its own
 *    connections never get there (conn_in decides them first).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "l3nft/compiler/ir.h"

#define L3_PRIO_MANGLE (-150)
#define L3_PRIO_FILTER 0
#define L3_PRIO_SRCNAT 100
#define L3_NFPROTO_IPV4 2
#define L3_NFPROTO_IPV6 10

struct l3_irb {
	struct l3_ir *ir;
	const struct l3_cfg *cfg;
	const struct l3_ir_opts *opts;
	int root_level;
	uint32_t mask;
	bool oom;
};

uint32_t l3_ir_ns_id(const struct l3_ir *ir, const struct l3_ns *ns)
{
	return ir->ids[ns - ir->cfg->ns];
}

uint32_t l3_ir_ns_mark(const struct l3_ir *ir, const struct l3_ns *ns)
{
	return l3_cfg_mark(ir->cfg, l3_ir_ns_id(ir, ns));
}

/* Declarations of the dynamic sets only (l3_ir_opts.dynamic_sets_only). */
static bool l3_irb_decl_only(const struct l3_irb *b)
{
	return b->opts && b->opts->dynamic_sets_only;
}

static uint32_t l3_irb_mark(const struct l3_irb *b, const struct l3_ns *ns)
{
	return l3_ir_ns_mark(b->ir, ns);
}

/* The ids: the caller's (kept from the live table), or the policy's. */
static int l3_irb_ids(struct l3_irb *b)
{
	const struct l3_ir_live *lv = b->opts ? b->opts->live : NULL;
	size_t i;

	b->ir->ids = l3_arena_alloc(b->ir->arena, (b->cfg->nns + 1) * sizeof(*b->ir->ids));
	if (!b->ir->ids)
		return -1;
	for (i = 0; i < b->cfg->nns; i++)
		b->ir->ids[i] = lv && lv->ids ? lv->ids[i] : b->cfg->ns[i].id;
	return 0;
}

/* ---- small constructors ---- */

static const char *l3_irb_printf(struct l3_irb *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Sized to fit: a cgroup path (1024) or mount (4095) must not be cut,
 * or the text form would name another cgroup. */
static const char *l3_irb_printf(struct l3_irb *b, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n >= 0)
		s = l3_arena_alloc(b->ir->arena, (size_t)n + 1);
	if (!s) {
		b->oom = true;
		return "";
	}
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static struct l3_ir_key l3_key(enum l3_ir_sel sel)
{
	struct l3_ir_key k = { .n = 1 };

	k.e[0].sel = sel;
	return k;
}

static struct l3_ir_key l3_key_mark(uint32_t mask)
{
	struct l3_ir_key k = l3_key(L3_SEL_MARK);

	k.e[0].mask = mask;
	return k;
}

static struct l3_ir_key l3_key_ctmark(uint32_t mask)
{
	struct l3_ir_key k = l3_key(L3_SEL_CT_MARK);

	k.e[0].mask = mask;
	return k;
}

static struct l3_ir_key l3_key_sock(int level)
{
	struct l3_ir_key k = l3_key(L3_SEL_SOCKET_CGROUP);

	k.e[0].level = level;
	return k;
}

static struct l3_ir_key l3_key_cat(struct l3_ir_key a, struct l3_ir_key b)
{
	a.e[a.n++] = b.e[0];
	return a;
}

static struct l3_ir_value l3_val_mark(uint32_t m)
{
	struct l3_ir_value v = { .type = L3_T_MARK, .u.mark = m };

	return v;
}

static struct l3_ir_value l3_val_verdict(enum l3_ir_verdict code, const char *chain)
{
	struct l3_ir_value v = { .type = L3_T_VERDICT };

	v.u.verdict.code = code;
	v.u.verdict.chain = chain;
	return v;
}

static struct l3_ir_set *l3_irb_set(struct l3_irb *b, const char *name, enum l3_ir_type k0,
				    enum l3_ir_type k1, enum l3_ir_type data, unsigned flags,
				    const char *comment)
{
	struct l3_ir_set **slot = l3_vec_push(b->ir->arena, &b->ir->sets, sizeof(*slot));
	struct l3_ir_set *s = l3_arena_alloc(b->ir->arena, sizeof(*s));

	if (!slot || !s) {
		b->oom = true;
		return NULL;
	}
	*slot = s;
	s->name = name;
	s->key[0] = k0;
	s->key[1] = k1;
	s->nkey = k1 == L3_T_NONE ? 1 : 2;
	s->data = data;
	s->flags = flags | (data != L3_T_NONE ? L3_SET_MAP : 0);
	s->comment = comment;
	return s;
}

static struct l3_ir_elem *l3_irb_elem(struct l3_irb *b, struct l3_ir_set *s,
				      const struct l3_ns *ns, struct l3_pos pos)
{
	struct l3_ir_elem *e;

	if (!s)
		return NULL;
	e = l3_vec_push(b->ir->arena, &s->elems, sizeof(*e));
	if (!e) {
		b->oom = true;
		return NULL;
	}
	e->ns = ns;
	e->pos = pos;
	e->comment = ns ? ns->name : NULL;
	return e;
}

static struct l3_ir_chain *l3_irb_chain(struct l3_irb *b, const char *name,
					enum l3_ir_hook hook, enum l3_ir_chain_type type,
					int prio, const char *comment)
{
	struct l3_ir_chain **slot = l3_vec_push(b->ir->arena, &b->ir->chains, sizeof(*slot));
	struct l3_ir_chain *c = l3_arena_alloc(b->ir->arena, sizeof(*c));

	if (!slot || !c) {
		b->oom = true;
		return NULL;
	}
	*slot = c;
	c->name = name;
	c->hook = hook;
	c->type = type;
	c->prio = prio;
	c->comment = comment;
	return c;
}

/* Rules are filled in place; a chain that failed to allocate gets a
 * scratch rule so that callers need not check every step. */
static struct l3_ir_rule *l3_irb_rule(struct l3_irb *b, struct l3_ir_chain *c,
				      const char *comment)
{
	static struct l3_ir_rule scratch;
	struct l3_ir_rule *r = c ? l3_vec_push(b->ir->arena, &c->rules, sizeof(*r)) : NULL;

	if (!r) {
		b->oom = true;
		memset(&scratch, 0, sizeof(scratch));
		return &scratch;
	}
	r->comment = comment;
	return r;
}

static struct l3_ir_match *l3_m(struct l3_ir_rule *r, struct l3_ir_key key, enum l3_ir_op op)
{
	struct l3_ir_match *m = &r->m[r->nm++];

	/* a rule never holds more than the builder below puts in it */
	if (r->nm > L3_IR_MATCH_MAX)
		abort();
	m->key = key;
	m->op = op;
	return m;
}

static void l3_m_eq(struct l3_ir_rule *r, struct l3_ir_key key, struct l3_ir_value v)
{
	l3_m(r, key, L3_OP_EQ)->val = v;
}

static void l3_m_small(struct l3_ir_rule *r, enum l3_ir_sel sel, uint32_t value)
{
	struct l3_ir_match *m = l3_m(r, l3_key(sel), L3_OP_IN_LIST);

	m->list[0] = value;
	m->nlist = 1;
}

static void l3_m_set(struct l3_ir_rule *r, struct l3_ir_key key, const char *set)
{
	l3_m(r, key, L3_OP_IN_SET)->set = set;
}

/* "ct status confirmed": not the first packet of its connection; with
 * @first, the first one ("ct status & confirmed == 0"). */
static void l3_m_confirmed(struct l3_ir_rule *r, bool first)
{
	struct l3_ir_match *m = l3_m(r, l3_key(L3_SEL_CT_STATUS), L3_OP_IN_LIST);

	m->list[0] = L3_CT_STATUS_CONFIRMED;
	m->nlist = 1;
	m->inv = first;
}

static void l3_m_lo(struct l3_ir_rule *r, enum l3_ir_sel sel, bool inv)
{
	struct l3_ir_match *m = l3_m(r, l3_key(sel), L3_OP_EQ);

	m->val.type = L3_T_IFINDEX;
	m->val.u.mark = 1;
	m->inv = inv;
}

static void l3_m_loopback_sel(struct l3_ir_rule *r, int family, bool src)
{
	struct l3_ir_match *m;

	if (family == AF_INET) {
		m = l3_m(r, l3_key(src ? L3_SEL_IP_SADDR : L3_SEL_IP_DADDR), L3_OP_PREFIX);
		m->val.type = L3_T_IPV4;
		m->val.u.v4.s_addr = htonl(INADDR_LOOPBACK & 0xff000000u);
		m->plen = 8;
	} else {
		m = l3_m(r, l3_key(src ? L3_SEL_IP6_SADDR : L3_SEL_IP6_DADDR), L3_OP_EQ);
		m->val.type = L3_T_IPV6;
		m->val.u.v6 = in6addr_loopback;
	}
}

static void l3_m_loopback(struct l3_ir_rule *r, int family)
{
	l3_m_loopback_sel(r, family, false);
}

static struct l3_ir_stmt *l3_s(struct l3_ir_rule *r, enum l3_ir_stmt_kind kind)
{
	struct l3_ir_stmt *s = &r->s[r->ns++];

	if (r->ns > L3_IR_STMT_MAX)
		abort();
	s->kind = kind;
	return s;
}

static void l3_s_verdict(struct l3_ir_rule *r, enum l3_ir_verdict code, const char *chain)
{
	l3_s(r, L3_STMT_VERDICT)->verdict = l3_val_verdict(code, chain);
}

static void l3_s_keyed(struct l3_ir_rule *r, enum l3_ir_stmt_kind kind,
		       struct l3_ir_key key, const char *set)
{
	struct l3_ir_stmt *s = l3_s(r, kind);

	s->key = key;
	s->set = set;
}

static void l3_s_mark(struct l3_ir_rule *r, uint32_t mask, uint32_t value)
{
	struct l3_ir_stmt *s = l3_s(r, L3_STMT_MARK_SET);

	s->mark_mask = mask;
	s->mark_value = value;
}

/* The first packet of a connection names its owner in the ct mark. */
static struct l3_ir_rule *l3_irb_owner_rule(struct l3_irb *b, struct l3_ir_chain *c,
					    uint32_t mark, const char *comment)
{
	struct l3_ir_rule *r = l3_irb_rule(b, c, comment);
	struct l3_ir_stmt *st;

	l3_m_confirmed(r, true);
	st = l3_s(r, L3_STMT_CT_MARK_SET);
	st->mark_mask = b->mask;
	st->mark_value = mark;
	return r;
}

/* counter name "x" drop */
static void l3_s_count_drop(struct l3_ir_rule *r, const char *counter)
{
	l3_s(r, L3_STMT_COUNTER_NAMED)->name = counter;
	l3_s_verdict(r, L3_V_DROP, NULL);
}

/* ---- the table ---- */

static const char *l3_cgroup_set(struct l3_irb *b, int level)
{
	return l3_irb_printf(b, L3_IR_SET_CGROUP_FMT, level);
}

static const char *l3_member_set(struct l3_irb *b, int level)
{
	return l3_irb_printf(b, L3_IR_SET_MEMBER_FMT, level);
}

/* Where a cgroup level came from: the first namespace at that level. */
static struct l3_pos l3_level_pos(const struct l3_irb *b, int level, int root_level)
{
	size_t i;

	for (i = 0; i < b->cfg->nns; i++)
		if (b->cfg->ns[i].cgroup_depth + root_level == level)
			return b->cfg->ns[i].cgroup_pos;
	return L3_NOPOS;
}

static int l3_irb_levels(struct l3_irb *b, int root_level)
{
	struct l3_ir *ir = b->ir;
	size_t i;

	for (i = 0; i < b->cfg->nns; i++) {
		int lvl = b->cfg->ns[i].cgroup_depth + root_level, j, k;

		for (j = 0; j < ir->nlevels && ir->levels[j] < lvl; j++)
			;
		if (j < ir->nlevels && ir->levels[j] == lvl)
			continue;
		if (ir->nlevels == L3_IR_LEVELS_MAX) {
			errno = E2BIG;
			return -1;
		}
		for (k = ir->nlevels++; k > j; k--)
			ir->levels[k] = ir->levels[k - 1];
		ir->levels[j] = lvl;
	}
	return 0;
}

const char *const l3_ir_counter_kinds[L3_CTR_KINDS] = {
	[L3_CTR_EGRESS] = "egress",
	[L3_CTR_ACCEPTED] = "accepted",
	[L3_CTR_REFUSED] = "refused",
};

/* The value a counter starts from: what the live table counted so far. */
static void l3_irb_counter_start(const struct l3_irb *b, struct l3_ir_counter *c)
{
	const struct l3_ir_live *lv = b->opts ? b->opts->live : NULL;
	size_t lo = 0, hi = lv ? lv->ncounters : 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(lv->counters[mid].name, c->name);

		if (r == 0) {
			c->packets = lv->counters[mid].packets;
			c->bytes = lv->counters[mid].bytes;
			return;
		}
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
}

/* The table-wide counters: name, what they count. */
static const char *const l3_irb_named[][2] = {
	{ L3_IR_COUNTER_HOST_REFUSED, "the host's traffic refused to namespace sockets" },
	{ L3_IR_COUNTER_LOOPBACK_REFUSED,
	  "loopback from shared namespaces refused to other namespaces" },
	{ L3_IR_COUNTER_NOT_OWNER,
	  "packets of a connection sent or received by a socket of another namespace "
	  "than the one that opened it" },
	{ L3_IR_COUNTER_LOOPBACK_MARTIAN, "127.0.0.0/8 or ::1 arriving on another interface than lo" },
	{ L3_IR_COUNTER_PROTOCOL_REFUSED,
	  "a namespace's packets of a protocol its policy does not allow" },
	{ L3_IR_COUNTER_QUARANTINED,
	  "packets of sockets below a quarantine parent in no namespace the table knows" },
};

static void l3_irb_counters(struct l3_irb *b)
{
	static const char *const what[L3_CTR_KINDS] = {
		"connections and flows translated to the namespace's address",
		"packets accepted for the namespace's sockets",
		"packets refused to the namespace (foreign socket, no socket, or no ping)",
	};
	size_t i, k;

	for (i = 0; i < b->cfg->nns; i++)
		for (k = 0; k < L3_CTR_KINDS; k++) {
			struct l3_ir_counter *c = l3_vec_push(b->ir->arena, &b->ir->counters,
							      sizeof(*c));
			if (!c) {
				b->oom = true;
				return;
			}
			c->ns = &b->cfg->ns[i];
			c->pos = c->ns->pos;
			c->name = l3_irb_printf(b, L3_IR_COUNTER_FMT, c->ns->name,
						l3_ir_counter_kinds[k]);
			c->comment = i == 0 ? what[k] : NULL;
			l3_irb_counter_start(b, c);
		}
	for (k = 0; k < sizeof(l3_irb_named) / sizeof(l3_irb_named[0]); k++) {
		struct l3_ir_counter *c = l3_vec_push(b->ir->arena, &b->ir->counters, sizeof(*c));

		if (!c) {
			b->oom = true;
			return;
		}
		c->name = l3_irb_named[k][0];
		c->comment = l3_irb_named[k][1];
		l3_irb_counter_start(b, c);
	}
}

static void l3_irb_cgroup_value(struct l3_ir_value *v, const struct l3_ns *ns, int root_level)
{
	v->type = L3_T_CGROUP;
	v->u.cg.path = ns->cgroup;
	v->u.cg.level = ns->cgroup_depth + root_level;
}

static void l3_irb_addr_value(struct l3_ir_value *v, const struct l3_addr *a)
{
	v->type = a->family == AF_INET ? L3_T_IPV4 : L3_T_IPV6;
	memcpy(&v->u, &a->a, a->family == AF_INET ? 4 : 16);
}

/* The cgroup's id as the caller read it, 0 when the cgroup does not exist
 * (noted in ir->missing); without live facts, 1 for all (the text form
 * prints paths). */
static uint64_t l3_irb_cgroup_id(struct l3_irb *b, const struct l3_ns *ns)
{
	const struct l3_ir_live *lv = b->opts ? b->opts->live : NULL;
	const struct l3_ns **slot;
	uint64_t id;

	if (!lv || !lv->cgroup_ids)
		return 1;
	id = lv->cgroup_ids[ns - b->cfg->ns];
	if (id)
		return id;
	slot = l3_vec_push(b->ir->arena, &b->ir->missing, sizeof(*slot));
	if (!slot)
		b->oom = true;
	else
		*slot = ns;
	return 0;
}

static void l3_irb_cgroup_elems(struct l3_irb *b, struct l3_ir_set *vm, struct l3_ir_set *mem,
				int lvl, int root_level)
{
	size_t i;

	for (i = 0; i < b->cfg->nns; i++) {
		const struct l3_ns *ns = &b->cfg->ns[i];
		struct l3_ir_elem *e;
		uint64_t id;

		if (ns->cgroup_depth + root_level != lvl)
			continue;
		id = l3_irb_cgroup_id(b, ns);
		if (!id)
			continue;
		if ((e = l3_irb_elem(b, vm, ns, ns->cgroup_pos))) {
			l3_irb_cgroup_value(&e->key[0], ns, root_level);
			e->key[0].u.cg.id = id;
			e->data = l3_val_verdict(L3_V_JUMP, l3_irb_printf(b, L3_IR_CHAIN_NS_FMT, ns->name));
		}
		if ((e = l3_irb_elem(b, mem, ns, ns->cgroup_pos))) {
			e->key[0] = l3_val_mark(l3_irb_mark(b, ns));
			l3_irb_cgroup_value(&e->key[1], ns, root_level);
			e->key[1].u.cg.id = id;
		}
	}
}

/* Sets whose elements change at run time: one pair per cgroup level. */
static void l3_irb_dynamic_sets(struct l3_irb *b, int root_level)
{
	int l;

	for (l = 0; l < b->ir->nlevels; l++) {
		int lvl = b->ir->levels[l];
		struct l3_ir_set *vm, *mem;

		vm = l3_irb_set(b, l3_cgroup_set(b, lvl), L3_T_CGROUP, L3_T_NONE, L3_T_VERDICT,
				L3_SET_DYNAMIC,
				l3_irb_printf(b, "cgroup (level %d) -> its namespace's mark chain; "
					      "kept up to date by l3nftd", lvl));
		mem = l3_irb_set(b, l3_member_set(b, lvl), L3_T_MARK, L3_T_CGROUP, L3_T_NONE,
				 L3_SET_DYNAMIC,
				 l3_irb_printf(b, "namespace mark . cgroup (level %d) of its sockets",
					       lvl));
		if (!l3_irb_decl_only(b))
			l3_irb_cgroup_elems(b, vm, mem, lvl, root_level);
	}
}

/* Address-keyed sets and maps, one of each per family. */
static void l3_irb_addr_sets(struct l3_irb *b, int family)
{
	const bool v4 = family == AF_INET;
	enum l3_ir_type t = v4 ? L3_T_IPV4 : L3_T_IPV6;
	struct l3_ir_set *dst, *own, *snat, *none, *all;
	size_t i, j;

	dst = l3_irb_set(b, v4 ? L3_IR_SET_DST4 : L3_IR_SET_DST6, t, L3_T_NONE, L3_T_VERDICT, 0,
			 "namespace address -> its mark chain (ingress)");
	own = l3_irb_set(b, v4 ? "own4" : "own6", L3_T_MARK, t, L3_T_NONE, 0,
			 "addresses a namespace may already send from");
	snat = l3_irb_set(b, v4 ? "snat4" : "snat6", L3_T_MARK, L3_T_NONE, t, 0,
			  "egress source of each namespace (its first address)");
	none = l3_irb_set(b, v4 ? "no_ipv4" : "no_ipv6", L3_T_MARK, L3_T_NONE, L3_T_NONE, 0,
			  v4 ? "namespaces without an IPv4 address: no IPv4 egress"
			     : "namespaces without an IPv6 address: no IPv6 egress");
	all = l3_irb_set(b, v4 ? "addr4" : "addr6", t, L3_T_NONE, L3_T_NONE, 0,
			 "every namespace address: the host answers from none of them");
	for (i = 0; i < b->cfg->nns; i++) {
		const struct l3_ns *ns = &b->cfg->ns[i];
		const struct l3_addr *src = l3_cfg_ns_source(ns, family);
		uint32_t mark = l3_irb_mark(b, ns);
		struct l3_ir_elem *e;

		for (j = 0; j < ns->naddrs; j++) {
			const struct l3_addr *a = &ns->addrs[j];

			if (a->family != family)
				continue;
			if ((e = l3_irb_elem(b, dst, ns, a->pos))) {
				l3_irb_addr_value(&e->key[0], a);
				e->data = l3_val_verdict(L3_V_JUMP,
							 l3_irb_printf(b, L3_IR_CHAIN_NS_FMT, ns->name));
			}
			if ((e = l3_irb_elem(b, own, ns, a->pos))) {
				e->key[0] = l3_val_mark(mark);
				l3_irb_addr_value(&e->key[1], a);
			}
			if ((e = l3_irb_elem(b, all, ns, a->pos)))
				l3_irb_addr_value(&e->key[0], a);
		}
		if (src && (e = l3_irb_elem(b, snat, ns, src->pos))) {
			e->key[0] = l3_val_mark(mark);
			l3_irb_addr_value(&e->data, src);
		}
		if (!src && (e = l3_irb_elem(b, none, ns, ns->pos)))
			e->key[0] = l3_val_mark(mark);
	}
}

/*
 * The addresses this table owns: the policy's, less the adopted ones (the
 * host manages those). No rule reads these sets: apply and delete do, so
 * that they remove only addresses their own table added, never another
 * table's or the host's.
 */
static void l3_irb_owned_sets(struct l3_irb *b)
{
	struct l3_ir_set *s4, *s6;
	size_t i, j;

	s4 = l3_irb_set(b, L3_IR_SET_OWNED4, L3_T_IPV4, L3_T_NONE, L3_T_NONE, 0,
			"addresses this table added to the host: apply and delete remove only these");
	s6 = l3_irb_set(b, L3_IR_SET_OWNED6, L3_T_IPV6, L3_T_NONE, L3_T_NONE, 0,
			"the same for IPv6");
	for (i = 0; i < b->cfg->nns; i++) {
		const struct l3_ns *ns = &b->cfg->ns[i];

		for (j = 0; j < ns->naddrs; j++) {
			const struct l3_addr *a = &ns->addrs[j];
			struct l3_ir_elem *e;

			if (a->adopt)
				continue;
			e = l3_irb_elem(b, a->family == AF_INET ? s4 : s6, ns, a->pos);
			if (e)
				l3_irb_addr_value(&e->key[0], a);
		}
	}
}

static void l3_irb_pair(struct l3_irb *b, struct l3_ir_set *s, const struct l3_ns *ns,
			uint32_t a, uint32_t c)
{
	struct l3_ir_elem *e = l3_irb_elem(b, s, ns, ns ? ns->pos : L3_NOPOS);

	if (!e)
		return;
	e->key[0] = l3_val_mark(a);
	e->key[1] = l3_val_mark(c);
	if (!ns)
		e->comment = "the host";
}

/* Owner . sender pairs, looked up with "ct mark . meta mark" (nft cannot
 * compare two registers): the same namespace on both sides; and a shared
 * namespace with the host, on loopback. */
static void l3_irb_pair_sets(struct l3_irb *b)
{
	struct l3_ir_set *same, *pair;
	size_t i;

	same = l3_irb_set(b, "same", L3_T_MARK, L3_T_MARK, L3_T_NONE, 0,
			  "connection owner . socket's namespace: the same");
	pair = l3_irb_set(b, "shared_pair", L3_T_MARK, L3_T_MARK, L3_T_NONE, 0,
			  "connection owner . socket's namespace on shared loopback: "
			  "a shared namespace and the host");
	for (i = 0; i < b->cfg->nns; i++) {
		const struct l3_ns *ns = &b->cfg->ns[i];
		uint32_t m = l3_irb_mark(b, ns);

		l3_irb_pair(b, same, ns, m, m);
		if (ns->loopback != L3_LOOPBACK_SHARED)
			continue;
		l3_irb_pair(b, pair, ns, m, 0);
		l3_irb_pair(b, pair, ns, 0, m);
	}
}

/* The protocols beyond TCP, UDP and ICMP each namespace may use. */
static void l3_irb_protocol_set(struct l3_irb *b)
{
	struct l3_ir_set *s;
	size_t i, j;

	s = l3_irb_set(b, "protocols", L3_T_MARK, L3_T_PROTO, L3_T_NONE, 0,
		       "namespace mark . a protocol no socket lookup attributes that it may use");
	for (i = 0; i < b->cfg->nns; i++) {
		const struct l3_ns *ns = &b->cfg->ns[i];

		for (j = 0; j < ns->nprotocols; j++) {
			struct l3_ir_elem *e = l3_irb_elem(b, s, ns, ns->protocol_pos[j]);

			if (!e)
				continue;
			e->key[0] = l3_val_mark(l3_irb_mark(b, ns));
			e->key[1].type = L3_T_PROTO;
			e->key[1].u.mark = ns->protocols[j];
		}
	}
}

/* mark . inet_proto . inet_service (. source prefix) of one exposed port. */
static void l3_irb_expose_key(struct l3_irb *b, struct l3_ir_elem *e, const struct l3_ns *ns,
			      const struct l3_expose *x)
{
	e->key[0] = l3_val_mark(l3_irb_mark(b, ns));
	e->key[1].type = L3_T_PROTO;
	e->key[1].u.mark = x->proto;
	e->key[2].type = L3_T_PORT;
	e->key[2].u.port = x->port;
}

/* One element per source prefix of an entry with `from`, in the set of
 * its family. */
static void l3_irb_expose_from(struct l3_irb *b, struct l3_ir_set *from4, struct l3_ir_set *from6,
			       const struct l3_ns *ns, const struct l3_expose *x)
{
	size_t k;

	for (k = 0; k < x->nfrom; k++) {
		const struct l3_addr *a = &x->from[k];
		struct l3_ir_elem *e = l3_irb_elem(b, a->family == AF_INET ? from4 : from6, ns,
						   a->pos);

		if (!e)
			continue;
		l3_irb_expose_key(b, e, ns, x);
		e->key[3].type = a->family == AF_INET ? L3_T_IPV4 : L3_T_IPV6;
		if (a->family == AF_INET)
			e->key[3].u.v4 = a->a.v4;
		else
			e->key[3].u.v6 = a->a.v6;
		e->plen = a->plen;
	}
}

/* A set keyed mark . inet_proto . inet_service (. address prefix). */
static struct l3_ir_set *l3_irb_expose_set(struct l3_irb *b, const char *name,
					   enum l3_ir_type addr, const char *comment)
{
	struct l3_ir_set *s = l3_irb_set(b, name, L3_T_MARK, L3_T_PROTO, L3_T_NONE,
					 addr != L3_T_NONE ? L3_SET_INTERVAL : 0, comment);

	if (!s)
		return NULL;
	s->key[2] = L3_T_PORT;
	s->key[3] = addr;
	s->nkey = addr != L3_T_NONE ? 4 : 3;
	return s;
}

/* expose: which namespaces limit their ports, the ports open to everyone,
 * and those open to some sources only. */
static void l3_irb_expose_sets(struct l3_irb *b)
{
	struct l3_ir_set *lim, *ports, *from4, *from6;
	size_t i, j;

	lim = l3_irb_set(b, L3_IR_SET_EXPOSE_LIMITED, L3_T_MARK, L3_T_NONE, L3_T_NONE, 0,
			 "namespaces that list their exposed ports (expose)");
	ports = l3_irb_expose_set(b, L3_IR_SET_EXPOSED, L3_T_NONE,
				  "namespace mark . protocol . port: what new flows from outside may reach");
	from4 = l3_irb_expose_set(b, L3_IR_SET_EXPOSE_FROM4, L3_T_IPV4,
				  "namespace mark . protocol . port . source prefix: ports exposed "
				  "to some IPv4 sources only (expose from)");
	from6 = l3_irb_expose_set(b, L3_IR_SET_EXPOSE_FROM6, L3_T_IPV6,
				  "... and to some IPv6 sources only");
	for (i = 0; i < b->cfg->nns; i++) {
		const struct l3_ns *ns = &b->cfg->ns[i];
		struct l3_ir_elem *e;

		if (!ns->has_expose)
			continue;
		if ((e = l3_irb_elem(b, lim, ns, ns->expose_pos)))
			e->key[0] = l3_val_mark(l3_irb_mark(b, ns));
		for (j = 0; j < ns->nexposes; j++) {
			const struct l3_expose *x = &ns->exposes[j];

			if (x->nfrom)
				l3_irb_expose_from(b, from4, from6, ns, x);
			else if ((e = l3_irb_elem(b, ports, ns, x->pos)))
				l3_irb_expose_key(b, e, ns, x);
		}
	}
}

/* "meta l4proto != { tcp, udp, icmp, ipv6-icmp }": what the socket
 * expression cannot attribute (ICMP errors it reads inside). */
static void l3_m_unattributed(struct l3_ir_rule *r)
{
	struct l3_ir_match *m = l3_m(r, l3_key(L3_SEL_L4PROTO), L3_OP_IN_LIST);

	m->list[0] = IPPROTO_TCP;
	m->list[1] = IPPROTO_UDP;
	m->list[2] = IPPROTO_ICMP;
	m->list[3] = IPPROTO_ICMPV6;
	m->nlist = 4;
	m->inv = true;
}

/* Marks of the namespaces with a property: loopback shared, ping. */
static void l3_irb_mark_sets(struct l3_irb *b)
{
	struct l3_ir_set *shared, *ping;
	size_t i;

	shared = l3_irb_set(b, "shared", L3_T_MARK, L3_T_NONE, L3_T_NONE, 0,
			    "namespaces whose loopback is shared with the host");
	ping = l3_irb_set(b, "ping", L3_T_MARK, L3_T_NONE, L3_T_NONE, 0,
			  "namespaces that answer ICMP echo on their addresses");
	for (i = 0; i < b->cfg->nns; i++) {
		const struct l3_ns *ns = &b->cfg->ns[i];
		struct l3_ir_elem *e;

		if (ns->loopback == L3_LOOPBACK_SHARED && (e = l3_irb_elem(b, shared, ns, ns->pos)))
			e->key[0] = l3_val_mark(l3_irb_mark(b, ns));
		if (ns->ping && (e = l3_irb_elem(b, ping, ns, ns->pos)))
			e->key[0] = l3_val_mark(l3_irb_mark(b, ns));
	}
	l3_irb_pair_sets(b);
	l3_irb_protocol_set(b);
	l3_irb_expose_sets(b);
}

/* Objref maps: namespace mark -> its named counter. */
static void l3_irb_counter_maps(struct l3_irb *b)
{
	size_t i, k;

	for (k = 0; k < L3_CTR_KINDS; k++) {
		const char *kind = l3_ir_counter_kinds[k];
		struct l3_ir_set *m = l3_irb_set(b, l3_irb_printf(b, L3_IR_COUNTER_MAP_FMT, kind),
						 L3_T_MARK, L3_T_NONE, L3_T_COUNTER, 0,
						 l3_irb_printf(b, "namespace mark -> its %s counter",
							       kind));

		for (i = 0; i < b->cfg->nns; i++) {
			const struct l3_ns *ns = &b->cfg->ns[i];
			struct l3_ir_elem *e = l3_irb_elem(b, m, ns, ns->pos);

			if (!e)
				continue;
			e->key[0] = l3_val_mark(l3_irb_mark(b, ns));
			e->data.type = L3_T_COUNTER;
			e->data.u.obj = l3_irb_printf(b, L3_IR_COUNTER_FMT, ns->name, kind);
		}
	}
}

/* One element a listen set gets: a group, or one broadcast address. */
struct l3_listen_cand {
	struct l3_listen l;
	const struct l3_ns *ns;
	size_t i;		/* policy order */
	bool dup;		/* an earlier candidate has the same group and port */
};

static int l3_listen_cand_key(const struct l3_listen_cand *x, const struct l3_listen_cand *y)
{
	if (x->l.family != y->l.family)
		return x->l.family < y->l.family ? -1 : 1;
	if (x->l.port != y->l.port)
		return x->l.port < y->l.port ? -1 : 1;
	return memcmp(&x->l.group, &y->l.group, x->l.family == AF_INET ? 4 : 16);
}

static int l3_listen_cand_cmp(const void *a, const void *b)
{
	const struct l3_listen_cand *x = *(const struct l3_listen_cand *const *)a;
	const struct l3_listen_cand *y = *(const struct l3_listen_cand *const *)b;
	int r = l3_listen_cand_key(x, y);

	if (r)
		return r;
	return x->i < y->i ? -1 : x->i > y->i;
}

static size_t l3_listen_cand_add(struct l3_listen_cand *out, size_t n,
				 const struct l3_ns *ns, const struct l3_listen *l)
{
	if (out) {
		out[n].l = *l;
		out[n].ns = ns;
		out[n].i = n;
	}
	return n + 1;
}

/* Listeners l3nftd registered at run time, after the policy's: they stay
 * in the table across an apply (ns NULL). */
static size_t l3_listen_cands_live(const struct l3_ir_live *lv, struct l3_listen_cand *out,
				   size_t n)
{
	size_t i;

	for (i = 0; lv && i < lv->nlisteners; i++) {
		struct l3_listen l = { .kind = L3_LISTEN_GROUP, .family = lv->listeners[i].family,
				       .port = lv->listeners[i].port };

		memcpy(&l.group, &lv->listeners[i].a, sizeof(l.group));
		n = l3_listen_cand_add(out, n, NULL, &l);
	}
	return n;
}

/* The elements every listen entry asks for, in policy order, repeats
 * included: a group, or for broadcast 255.255.255.255 and the directed
 * broadcast of each IPv4 prefix; then the run-time ones. With @out NULL,
 * only counts them. */
static size_t l3_listen_cands(const struct l3_irb *b, struct l3_listen_cand *out)
{
	const struct l3_cfg *cfg = b->cfg;
	size_t n = 0, i, j, k;

	for (i = 0; i < cfg->nns; i++) {
		const struct l3_ns *ns = &cfg->ns[i];

		for (j = 0; j < ns->nlistens; j++) {
			struct l3_listen l = ns->listens[j];

			if (l.kind == L3_LISTEN_GROUP) {
				n = l3_listen_cand_add(out, n, ns, &l);
				continue;
			}
			l.group.v4.s_addr = INADDR_BROADCAST;
			n = l3_listen_cand_add(out, n, ns, &l);
			for (k = 0; k < ns->naddrs; k++)
				if (l3_addr_broadcast(&ns->addrs[k], &l.group.v4))
					n = l3_listen_cand_add(out, n, ns, &l);
		}
	}
	return l3_listen_cands_live(b->opts ? b->opts->live : NULL, out, n);
}

static void l3_irb_listen_elem(struct l3_irb *b, struct l3_ir_set *s,
			       const struct l3_listen_cand *c)
{
	const struct l3_listen *l = &c->l;
	struct l3_ir_elem *e = l3_irb_elem(b, s, c->ns, l->pos);

	if (!e)
		return;
	e->key[0].type = l->family == AF_INET ? L3_T_IPV4 : L3_T_IPV6;
	memcpy(&e->key[0].u, &l->group, l->family == AF_INET ? 4 : 16);
	e->key[1].type = L3_T_PORT;
	e->key[1].u.port = l->port;
	if (!c->ns)
		e->comment = "registered at run time";
}

/* Two namespaces may listen to the same group: one element, the first.
 * Repeats are found by sorting, so that 10,000 namespaces listening to
 * broadcast do not take a quadratic scan of the set. */
static void l3_irb_listen_sets(struct l3_irb *b)
{
	struct l3_listen_cand *cands, **sorted;
	struct l3_ir_set *s4, *s6;
	size_t n = l3_listen_cands(b, NULL), i;

	s4 = l3_irb_set(b, L3_IR_SET_LISTEN4, L3_T_IPV4, L3_T_PORT, L3_T_NONE, L3_SET_DYNAMIC,
			"broadcast/multicast destinations someone listens to; l3nftd keeps it "
			"in step with its registry");
	s6 = l3_irb_set(b, L3_IR_SET_LISTEN6, L3_T_IPV6, L3_T_PORT, L3_T_NONE, L3_SET_DYNAMIC,
			"the same for IPv6 multicast");
	if (l3_irb_decl_only(b))
		return;
	cands = calloc(n + 1, sizeof(*cands));
	sorted = calloc(n + 1, sizeof(*sorted));
	if (!cands || !sorted) {
		b->oom = true;
		goto out;
	}
	l3_listen_cands(b, cands);
	for (i = 0; i < n; i++)
		sorted[i] = &cands[i];
	qsort(sorted, n, sizeof(*sorted), l3_listen_cand_cmp);
	for (i = 1; i < n; i++)
		if (!l3_listen_cand_key(sorted[i - 1], sorted[i]))
			sorted[i]->dup = true;
	for (i = 0; i < n; i++)
		if (!cands[i].dup)
			l3_irb_listen_elem(b, cands[i].l.family == AF_INET ? s4 : s6, &cands[i]);
out:
	free(cands);
	free(sorted);
}

/* ---- quarantine ---- */

/* The distinct levels of the quarantine parents, ascending. */
static int l3_irb_qlevels(struct l3_irb *b)
{
	struct l3_ir *ir = b->ir;
	size_t i;

	for (i = 0; i < b->cfg->nquarantine; i++) {
		int lvl = b->cfg->quarantine[i].cgroup_depth + b->root_level, j, k;

		for (j = 0; j < ir->nqlevels && ir->qlevels[j] < lvl; j++)
			;
		if (j < ir->nqlevels && ir->qlevels[j] == lvl)
			continue;
		if (ir->nqlevels == L3_IR_LEVELS_MAX) {
			errno = E2BIG;
			return -1;
		}
		for (k = ir->nqlevels++; k > j; k--)
			ir->qlevels[k] = ir->qlevels[k - 1];
		ir->qlevels[j] = lvl;
	}
	return 0;
}

/* The parent's id as the caller read it; 0 (noted) when it does not
 * exist; 1 without live facts (the text form prints paths). */
static uint64_t l3_irb_quarantine_id(struct l3_irb *b, size_t i)
{
	const struct l3_ir_live *lv = b->opts ? b->opts->live : NULL;
	const struct l3_quarantine **slot;

	if (!lv || !lv->quarantine_ids)
		return 1;
	if (lv->quarantine_ids[i])
		return lv->quarantine_ids[i];
	slot = l3_vec_push(b->ir->arena, &b->ir->quarantine_missing, sizeof(*slot));
	if (!slot)
		b->oom = true;
	else
		*slot = &b->cfg->quarantine[i];
	return 0;
}

/* One set for every level: a cgroup id is unique whatever its depth. */
static void l3_irb_quarantine_set(struct l3_irb *b)
{
	struct l3_ir_set *s;
	size_t i;

	if (!b->cfg->nquarantine)
		return;
	s = l3_irb_set(b, L3_IR_SET_QUARANTINE, L3_T_CGROUP, L3_T_NONE, L3_T_NONE, 0,
		       "parent cgroups that hold only namespaces: a socket below one in no "
		       "known namespace is refused");
	for (i = 0; i < b->cfg->nquarantine; i++) {
		const struct l3_quarantine *q = &b->cfg->quarantine[i];
		uint64_t id = l3_irb_quarantine_id(b, i);
		struct l3_ir_elem *e;

		if (!id || !(e = l3_irb_elem(b, s, NULL, q->pos)))
			continue;
		e->key[0].type = L3_T_CGROUP;
		e->key[0].u.cg.path = q->cgroup;
		e->key[0].u.cg.level = q->cgroup_depth + b->root_level;
		e->key[0].u.cg.id = id;
	}
}

/* After the socket lookups of @c: a socket they left unmarked (mark 0)
 * whose ancestor is a quarantine parent is no host socket, but a cgroup
 * of no namespace the table knows yet. */
static void l3_irb_quarantine(struct l3_irb *b, struct l3_ir_chain *c)
{
	struct l3_ir_rule *r;
	int l;

	for (l = 0; l < b->ir->nqlevels; l++) {
		r = l3_irb_rule(b, c, l == 0 ? "a socket below a quarantine parent in no known "
				"namespace: refused, never the host's" : NULL);
		l3_m_eq(r, l3_key_mark(b->mask), l3_val_mark(0));
		l3_m_set(r, l3_key_sock(b->ir->qlevels[l]), L3_IR_SET_QUARANTINE);
		l3_s_count_drop(r, L3_IR_COUNTER_QUARANTINED);
	}
}

/* One namespace's mark chain: the only per-namespace code in the table. */
static void l3_irb_ns_chains(struct l3_irb *b)
{
	size_t i;

	for (i = 0; i < b->cfg->nns; i++) {
		const struct l3_ns *ns = &b->cfg->ns[i];
		struct l3_ir_chain *c;
		struct l3_ir_rule *r;

		c = l3_irb_chain(b, l3_irb_printf(b, L3_IR_CHAIN_NS_FMT, ns->name), L3_HOOK_NONE,
				 L3_CHAIN_FILTER, 0,
				 l3_irb_printf(b, "namespace %s: id %u, cgroup %s", ns->name,
					       l3_ir_ns_id(b->ir, ns), ns->cgroup));
		if (!c)
			return;
		c->ns = ns;
		c->pos = ns->pos;
		r = l3_irb_rule(b, c, NULL);
		r->pos = ns->pos;
		l3_s_mark(r, b->mask, l3_irb_mark(b, ns));
		r = l3_irb_owner_rule(b, c, l3_irb_mark(b, ns),
				      i == 0 ? "a connection's first packet: the namespace owns it"
					     : NULL);
		r->pos = ns->pos;
	}
}

static void l3_irb_prerouting(struct l3_irb *b)
{
	struct l3_ir_chain *c = l3_irb_chain(b, "prerouting", L3_HOOK_PREROUTING,
					     L3_CHAIN_FILTER, L3_PRIO_MANGLE,
					     "ingress: mark each packet with the namespace that owns its destination");
	struct l3_ir_rule *r;
	int f;

	for (f = 0; f < 2; f++) {
		r = l3_irb_rule(b, c, f == 0 ? "loopback keeps the sender's mark, set in output" : NULL);
		l3_m_lo(r, L3_SEL_IIF, false);
		l3_m_loopback(r, f == 0 ? AF_INET : AF_INET6);
		l3_s_verdict(r, L3_V_RETURN, NULL);
	}
	for (f = 0; f < 2; f++) {
		r = l3_irb_rule(b, c, f == 0 ? "loopback addresses from anywhere else (route_localnet): "
					       "never the host's loopback services" : NULL);
		l3_m_loopback(r, f == 0 ? AF_INET : AF_INET6);
		l3_s_count_drop(r, L3_IR_COUNTER_LOOPBACK_MARTIAN);
	}
	r = l3_irb_rule(b, c, "anything else starts as the host's (mark 0 in mark_mask)");
	l3_s_mark(r, b->mask, 0);
	l3_irb_owner_rule(b, c, 0, "a connection from outside: the host's, unless its "
			  "destination is a namespace's");
	r = l3_irb_rule(b, c, NULL);
	l3_s_keyed(r, L3_STMT_VMAP, l3_key(L3_SEL_IP_DADDR), L3_IR_SET_DST4);
	r = l3_irb_rule(b, c, NULL);
	l3_s_keyed(r, L3_STMT_VMAP, l3_key(L3_SEL_IP6_DADDR), L3_IR_SET_DST6);
}

static void l3_irb_output(struct l3_irb *b)
{
	struct l3_ir_chain *c = l3_irb_chain(b, "output", L3_HOOK_OUTPUT, L3_CHAIN_ROUTE,
					     L3_PRIO_MANGLE,
					     "egress: mark each packet with its socket's namespace");
	struct l3_ir_rule *r;
	int l;

	r = l3_irb_rule(b, c, "a packet of no namespace is the host's");
	l3_s_mark(r, b->mask, 0);
	l3_irb_owner_rule(b, c, 0, "a connection's first packet: its sender's namespace "
			  "owns it (the host: 0)");
	for (l = 0; l < b->ir->nlevels; l++) {
		r = l3_irb_rule(b, c, NULL);
		r->pos = l3_level_pos(b, b->ir->levels[l], b->root_level);
		l3_s_keyed(r, L3_STMT_VMAP, l3_key_sock(b->ir->levels[l]),
			   l3_cgroup_set(b, b->ir->levels[l]));
	}
	l3_irb_quarantine(b, c);
	r = l3_irb_rule(b, c, "a namespace's protocols beyond TCP, UDP and ICMP: "
			"only those its policy lists");
	l3_m_unattributed(r);
	l3_m(r, l3_key_mark(b->mask), L3_OP_EQ)->inv = true;
	r->m[1].val = l3_val_mark(0);
	l3_m(r, l3_key_cat(l3_key_mark(b->mask), l3_key(L3_SEL_L4PROTO)), L3_OP_IN_SET)->inv = true;
	r->m[2].set = "protocols";
	l3_s_count_drop(r, L3_IR_COUNTER_PROTOCOL_REFUSED);
	r = l3_irb_rule(b, c, "every later packet: only its owner sends it");
	l3_m_confirmed(r, false);
	l3_s_verdict(r, L3_V_JUMP, "conn_out");
}

/* Later packets of a connection in output; the mark is the sender's
 * namespace. Passing ends the output chain (accept), as nothing follows
 * the jump there. */
static void l3_irb_conn_out(struct l3_irb *b)
{
	struct l3_ir_chain *c = l3_irb_chain(b, "conn_out", L3_HOOK_NONE, L3_CHAIN_FILTER, 0,
					     "a connection's later packets, sent: by its owner only");
	struct l3_ir_key mk = l3_key_mark(b->mask);
	struct l3_ir_rule *r;
	struct l3_ir_match *m;
	int f;

	r = l3_irb_rule(b, c, "the namespace that opened it (or, from outside, that it is for)");
	l3_m_set(r, l3_key_cat(l3_key_ctmark(b->mask), mk), "same");
	l3_s_verdict(r, L3_V_ACCEPT, NULL);
	r = l3_irb_rule(b, c, "the host's, by the host");
	l3_m_eq(r, l3_key_ctmark(b->mask), l3_val_mark(0));
	l3_m_eq(r, mk, l3_val_mark(0));
	l3_s_verdict(r, L3_V_ACCEPT, NULL);
	r = l3_irb_rule(b, c, "the kernel's own errors and resets about it, and its echo replies "
			"(tenants cannot send either)");
	l3_m_eq(r, mk, l3_val_mark(0));
	m = l3_m(r, l3_key(L3_SEL_CT_STATE), L3_OP_IN_LIST);
	m->list[0] = L3_CT_RELATED;
	m->nlist = 1;
	l3_s_verdict(r, L3_V_ACCEPT, NULL);
	for (f = 0; f < 2; f++) {
		r = l3_irb_rule(b, c, NULL);
		l3_m_eq(r, mk, l3_val_mark(0));
		l3_m_small(r, L3_SEL_L4PROTO, f == 0 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
		l3_m_small(r, f == 0 ? L3_SEL_ICMP_TYPE : L3_SEL_ICMPV6_TYPE, f == 0 ? 0 : 129);
		l3_s_verdict(r, L3_V_ACCEPT, NULL);
	}
	r = l3_irb_rule(b, c, "TCP the kernel sends for a socket of no cgroup: SYN-ACKs of request "
			"sockets, TIME_WAIT and reset answers (a host TCP socket cannot share a live tuple)");
	l3_m_eq(r, mk, l3_val_mark(0));
	l3_m_small(r, L3_SEL_L4PROTO, IPPROTO_TCP);
	l3_m_small(r, L3_SEL_SOCKET_TRANSPARENT, 0);
	l3_s_verdict(r, L3_V_ACCEPT, NULL);
	r = l3_irb_rule(b, c, "the answering side of a connection the owner opened to it (two "
			"local sockets, or l3nftd's copies): by source address");
	l3_m_small(r, L3_SEL_CT_DIRECTION, L3_CT_DIR_REPLY);
	l3_s_verdict(r, L3_V_JUMP, "conn_reply");
	r = l3_irb_rule(b, c, NULL);
	l3_s_count_drop(r, L3_IR_COUNTER_NOT_OWNER);
}

/* The answering side of a connection its owner opened to a local address
 * (another local socket; or l3nftd's copy of a datagram, sent by the host
 * with the original source): the source address says who may send it, as
 * the destination said who may receive the request. For a connection from
 * elsewhere the owner is the answering side and this adds nothing: only
 * the owner owns the address. */
static void l3_irb_conn_reply(struct l3_irb *b)
{
	struct l3_ir_chain *c = l3_irb_chain(b, "conn_reply", L3_HOOK_NONE, L3_CHAIN_FILTER, 0,
					     "answers to a connection the owner opened to a local address: by the owner of the source address");
	struct l3_ir_key mk = l3_key_mark(b->mask);
	struct l3_ir_rule *r;
	int f;

	for (f = 0; f < 2; f++) {
		r = l3_irb_rule(b, c, f == 0 ? "from the namespace's own address" : NULL);
		l3_m_set(r, l3_key_cat(mk, l3_key(f == 0 ? L3_SEL_IP_SADDR : L3_SEL_IP6_SADDR)),
			 f == 0 ? "own4" : "own6");
		l3_s_verdict(r, L3_V_ACCEPT, NULL);
	}
	for (f = 0; f < 2; f++) {
		r = l3_irb_rule(b, c, f == 0 ? "shared loopback: a shared namespace and the host" : NULL);
		l3_m_loopback_sel(r, f == 0 ? AF_INET : AF_INET6, true);
		l3_m_set(r, l3_key_cat(l3_key_ctmark(b->mask), mk), "shared_pair");
		l3_s_verdict(r, L3_V_ACCEPT, NULL);
	}
	for (f = 0; f < 2; f++) {
		r = l3_irb_rule(b, c, f == 0 ? "any other loopback answer is not the owner's" : NULL);
		l3_m_loopback_sel(r, f == 0 ? AF_INET : AF_INET6, true);
		l3_s_count_drop(r, L3_IR_COUNTER_NOT_OWNER);
	}
	for (f = 0; f < 2; f++) {
		struct l3_ir_match *m;

		r = l3_irb_rule(b, c, f == 0 ? "the host, from an address of no namespace" : NULL);
		l3_m_eq(r, mk, l3_val_mark(0));
		m = l3_m(r, l3_key(f == 0 ? L3_SEL_IP_SADDR : L3_SEL_IP6_SADDR), L3_OP_IN_SET);
		m->set = f == 0 ? "addr4" : "addr6";
		m->inv = true;
		l3_s_verdict(r, L3_V_ACCEPT, NULL);
	}
	r = l3_irb_rule(b, c, NULL);
	l3_s_count_drop(r, L3_IR_COUNTER_NOT_OWNER);
}

static void l3_irb_postrouting(struct l3_irb *b)
{
	struct l3_ir_chain *c = l3_irb_chain(b, "postrouting", L3_HOOK_POSTROUTING,
					     L3_CHAIN_NAT, L3_PRIO_SRCNAT,
					     "egress: a namespace's new connections leave from its own address");
	struct l3_ir_rule *r;
	int f;

	r = l3_irb_rule(b, c, "the host's own traffic is not translated");
	l3_m_eq(r, l3_key_mark(b->mask), l3_val_mark(0));
	l3_s_verdict(r, L3_V_RETURN, NULL);
	for (f = 0; f < 2; f++) {
		r = l3_irb_rule(b, c, f == 0 ? "loopback peers see the loopback address" : NULL);
		l3_m_eq(r, l3_key(L3_SEL_OIF), (struct l3_ir_value){ .type = L3_T_IFINDEX, .u.mark = 1 });
		l3_m_loopback(r, f == 0 ? AF_INET : AF_INET6);
		l3_s_verdict(r, L3_V_RETURN, NULL);
	}
	r = l3_irb_rule(b, c, "already from one of its own addresses");
	l3_m_set(r, l3_key_cat(l3_key_mark(b->mask), l3_key(L3_SEL_IP_SADDR)), "own4");
	l3_s_verdict(r, L3_V_RETURN, NULL);
	r = l3_irb_rule(b, c, NULL);
	l3_m_set(r, l3_key_cat(l3_key_mark(b->mask), l3_key(L3_SEL_IP6_SADDR)), "own6");
	l3_s_verdict(r, L3_V_RETURN, NULL);
	r = l3_irb_rule(b, c, "a namespace without an address of the family cannot send in it");
	l3_m_small(r, L3_SEL_NFPROTO, L3_NFPROTO_IPV4);
	l3_m_set(r, l3_key_mark(b->mask), "no_ipv4");
	l3_s_verdict(r, L3_V_DROP, NULL);
	r = l3_irb_rule(b, c, NULL);
	l3_m_small(r, L3_SEL_NFPROTO, L3_NFPROTO_IPV6);
	l3_m_set(r, l3_key_mark(b->mask), "no_ipv6");
	l3_s_verdict(r, L3_V_DROP, NULL);
	r = l3_irb_rule(b, c, NULL);
	l3_s_keyed(r, L3_STMT_COUNTER_MAP, l3_key_mark(b->mask), "egress_ctr");
	r = l3_irb_rule(b, c, NULL);
	l3_s_keyed(r, L3_STMT_SNAT_MAP, l3_key_mark(b->mask), "snat4");
	r->s[0].family = AF_INET;
	r = l3_irb_rule(b, c, NULL);
	l3_s_keyed(r, L3_STMT_SNAT_MAP, l3_key_mark(b->mask), "snat6");
	r->s[0].family = AF_INET6;
}

/* The refusal that ends input, host_in and lo_shared: TCP gets a reset,
 * UDP a port-unreachable (as if nobody listened), ICMP nothing. */
static void l3_irb_refuse(struct l3_irb *b, struct l3_ir_chain *c)
{
	struct l3_ir_rule *r;

	r = l3_irb_rule(b, c, NULL);
	l3_m_small(r, L3_SEL_L4PROTO, IPPROTO_TCP);
	l3_s(r, L3_STMT_REJECT_TCP_RESET);
	r = l3_irb_rule(b, c, NULL);
	l3_m_small(r, L3_SEL_L4PROTO, IPPROTO_UDP);
	l3_s(r, L3_STMT_REJECT_PORT);
	r = l3_irb_rule(b, c, NULL);
	l3_m(r, l3_key(L3_SEL_L4PROTO), L3_OP_IN_LIST)->nlist = 2;
	r->m[0].list[0] = IPPROTO_ICMP;
	r->m[0].list[1] = IPPROTO_ICMPV6;
	l3_s_verdict(r, L3_V_DROP, NULL);
	r = l3_irb_rule(b, c, NULL);
	l3_s(r, L3_STMT_REJECT_ADMIN);
}

static void l3_irb_queue(struct l3_irb *b, struct l3_ir_chain *c)
{
	struct l3_ir_rule *r;
	int f;

	for (f = 0; f < 2; f++) {
		r = l3_irb_rule(b, c, f == 0 ? (b->cfg->fail_open
			? "registered broadcast/multicast goes to l3nftd; without it, to everyone (fail_open: true)"
			: "registered broadcast/multicast goes to l3nftd; without it, nowhere (fail_open: false)")
					     : NULL);
		l3_m_small(r, L3_SEL_L4PROTO, IPPROTO_UDP);
		l3_m_set(r, l3_key_cat(l3_key(f == 0 ? L3_SEL_IP_DADDR : L3_SEL_IP6_DADDR),
				       l3_key(L3_SEL_UDP_DPORT)),
			 f == 0 ? L3_IR_SET_LISTEN4 : L3_IR_SET_LISTEN6);
		r->s[0].kind = L3_STMT_QUEUE;
		r->s[0].queue_num = b->cfg->queue;
		r->s[0].queue_bypass = b->cfg->fail_open;
		r->ns = 1;
		r->pos = b->cfg->queue_pos;
	}
	if (!b->cfg->fail_open)
		return;
	/* with bypass, a datagram nobody consumed comes back here */
	for (f = 0; f < 2; f++) {
		r = l3_irb_rule(b, c, f == 0 ? "fail open: no daemon, deliver as the kernel would" : NULL);
		l3_m_small(r, L3_SEL_L4PROTO, IPPROTO_UDP);
		l3_m_set(r, l3_key_cat(l3_key(f == 0 ? L3_SEL_IP_DADDR : L3_SEL_IP6_DADDR),
				       l3_key(L3_SEL_UDP_DPORT)),
			 f == 0 ? L3_IR_SET_LISTEN4 : L3_IR_SET_LISTEN6);
		l3_s_verdict(r, L3_V_ACCEPT, NULL);
	}
}

/* log_refused: one rule per namespace, each with its own limit (a
 * tenant refused in a loop uses up its own budget, not another's) and a
 * prefix that names it. Only refused packets reach these rules. */
static void l3_irb_log_refused(struct l3_irb *b, struct l3_ir_chain *c)
{
	struct l3_ir_key mk = l3_key_mark(b->mask);
	struct l3_ir_rule *r;
	struct l3_ir_stmt *s;
	size_t i;

	if (!b->cfg->log_refused)
		return;
	for (i = 0; i < b->cfg->nns; i++) {
		const struct l3_ns *ns = &b->cfg->ns[i];

		r = l3_irb_rule(b, c, i == 0 ? "log_refused: what a namespace is refused, "
					       "at most 10 a minute each" : NULL);
		r->pos = b->cfg->log_refused_pos;
		l3_m_eq(r, mk, l3_val_mark(l3_irb_mark(b, ns)));
		s = l3_s(r, L3_STMT_LIMIT);
		s->limit_per_minute = L3_IR_LOG_REFUSED_RATE;
		s->limit_burst = L3_IR_LOG_REFUSED_BURST;
		l3_s(r, L3_STMT_LOG)->log_prefix = l3_irb_printf(b, L3_IR_LOG_REFUSED_FMT, ns->name);
	}
}

/* New TCP and UDP flows for a namespace that lists its exposed ports. */
static void l3_irb_expose_jump(struct l3_irb *b, struct l3_ir_chain *c)
{
	struct l3_ir_rule *r = l3_irb_rule(b, c, "new TCP and UDP flows for a namespace that "
					   "lists its exposed ports");
	struct l3_ir_match *m;

	l3_m_set(r, l3_key_mark(b->mask), L3_IR_SET_EXPOSE_LIMITED);
	m = l3_m(r, l3_key(L3_SEL_L4PROTO), L3_OP_IN_LIST);
	m->list[0] = IPPROTO_TCP;
	m->list[1] = IPPROTO_UDP;
	m->nlist = 2;
	l3_s_verdict(r, L3_V_JUMP, "expose");
}

/* Reached for new TCP/UDP flows of expose_limited namespaces: their own
 * loopback goes on; from anyone else only an exposed port does. */
static void l3_irb_expose(struct l3_irb *b)
{
	struct l3_ir_chain *c = l3_irb_chain(b, "expose", L3_HOOK_NONE, L3_CHAIN_FILTER, 0,
					     "expose: new flows from outside only to exposed ports");
	struct l3_ir_key mk = l3_key_mark(b->mask);
	struct l3_ir_key port = l3_key_cat(l3_key_cat(mk, l3_key(L3_SEL_L4PROTO)),
					   l3_key(L3_SEL_TH_DPORT));
	struct l3_ir_rule *r;
	int f;

	for (f = 0; f < 2; f++) {
		r = l3_irb_rule(b, c, f == 0 ? "the namespace's own loopback (it keeps the "
					       "sender's mark)" : NULL);
		l3_m_lo(r, L3_SEL_IIF, false);
		l3_m_loopback(r, f == 0 ? AF_INET : AF_INET6);
		l3_s_verdict(r, L3_V_RETURN, NULL);
	}
	r = l3_irb_rule(b, c, "an exposed port");
	l3_m_set(r, port, L3_IR_SET_EXPOSED);
	l3_s_verdict(r, L3_V_RETURN, NULL);
	r = l3_irb_rule(b, c, "a port exposed to some sources, from one of them (after SNAT: a "
			"local namespace by its own address)");
	l3_m_set(r, l3_key_cat(port, l3_key(L3_SEL_IP_SADDR)), L3_IR_SET_EXPOSE_FROM4);
	l3_s_verdict(r, L3_V_RETURN, NULL);
	r = l3_irb_rule(b, c, NULL);
	l3_m_set(r, l3_key_cat(port, l3_key(L3_SEL_IP6_SADDR)), L3_IR_SET_EXPOSE_FROM6);
	l3_s_verdict(r, L3_V_RETURN, NULL);
	l3_irb_log_refused(b, c);
	r = l3_irb_rule(b, c, "any other port is refused as if nobody listened");
	l3_s_keyed(r, L3_STMT_COUNTER_MAP, mk, "refused_ctr");
	r = l3_irb_rule(b, c, NULL);
	l3_m_small(r, L3_SEL_L4PROTO, IPPROTO_TCP);
	l3_s(r, L3_STMT_REJECT_TCP_RESET);
	r = l3_irb_rule(b, c, NULL);
	l3_s(r, L3_STMT_REJECT_PORT);	/* UDP: only TCP and UDP come here */
}

static void l3_irb_input(struct l3_irb *b)
{
	struct l3_ir_chain *c = l3_irb_chain(b, "input", L3_HOOK_INPUT, L3_CHAIN_FILTER,
					     L3_PRIO_FILTER,
					     "ingress: a namespace's packets reach only its own sockets");
	struct l3_ir_key mk = l3_key_mark(b->mask);
	struct l3_ir_rule *r;
	struct l3_ir_match *m;
	int l, f;

	l3_irb_queue(b, c);
	r = l3_irb_rule(b, c, "later packets of a connection: for its owner's sockets");
	l3_m_confirmed(r, false);
	l3_s_verdict(r, L3_V_JUMP, "conn_in");
	r = l3_irb_rule(b, c, "for the host's own addresses");
	l3_m_eq(r, mk, l3_val_mark(0));
	l3_s_verdict(r, L3_V_JUMP, "host_in");
	l3_irb_expose_jump(b, c);
	for (l = 0; l < b->ir->nlevels; l++) {
		r = l3_irb_rule(b, c, l == 0 ? "a socket of the namespace the packet is for" : NULL);
		r->pos = l3_level_pos(b, b->ir->levels[l], b->root_level);
		l3_m_set(r, l3_key_cat(mk, l3_key_sock(b->ir->levels[l])),
			 l3_member_set(b, b->ir->levels[l]));
		l3_s_keyed(r, L3_STMT_COUNTER_MAP, mk, "accepted_ctr");
		l3_s_verdict(r, L3_V_ACCEPT, NULL);
	}
	r = l3_irb_rule(b, c, "a protocol no socket lookup attributes, where the policy lists it "
			"for the namespace the packet is for");
	l3_m_unattributed(r);
	l3_m_set(r, l3_key_cat(mk, l3_key(L3_SEL_L4PROTO)), "protocols");
	l3_s_keyed(r, L3_STMT_COUNTER_MAP, mk, "accepted_ctr");
	l3_s_verdict(r, L3_V_ACCEPT, NULL);
	for (f = 0; f < 2; f++) {
		r = l3_irb_rule(b, c, f == 0 ? "ICMP echo, where the namespace allows ping" : NULL);
		l3_m_set(r, mk, "ping");
		l3_m_small(r, L3_SEL_L4PROTO, f == 0 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
		l3_m_small(r, f == 0 ? L3_SEL_ICMP_TYPE : L3_SEL_ICMPV6_TYPE, f == 0 ? 8 : 128);
		l3_s_keyed(r, L3_STMT_COUNTER_MAP, mk, "accepted_ctr");
		l3_s_verdict(r, L3_V_ACCEPT, NULL);
	}
	r = l3_irb_rule(b, c, "IPv6 neighbour discovery for the namespace's addresses");
	l3_m_small(r, L3_SEL_L4PROTO, IPPROTO_ICMPV6);
	m = l3_m(r, l3_key(L3_SEL_ICMPV6_TYPE), L3_OP_IN_LIST);
	m->list[0] = 135;
	m->list[1] = 136;
	m->nlist = 2;
	l3_s_verdict(r, L3_V_ACCEPT, NULL);
	for (f = 0; f < 2; f++) {
		r = l3_irb_rule(b, c, f == 0 ? "loopback of a shared namespace may reach the host" : NULL);
		l3_m_loopback(r, f == 0 ? AF_INET : AF_INET6);
		l3_m_set(r, mk, "shared");
		l3_s_verdict(r, L3_V_JUMP, "lo_shared");
	}
	l3_irb_log_refused(b, c);
	r = l3_irb_rule(b, c, "everything else for a namespace is refused");
	l3_s_keyed(r, L3_STMT_COUNTER_MAP, mk, "refused_ctr");
	l3_irb_refuse(b, c);
}

static void l3_irb_socket_mark(struct l3_irb *b, struct l3_ir_chain *c);
static void l3_irb_host_socket(struct l3_irb *b, struct l3_ir_chain *c);
static void l3_irb_reqsk(struct l3_irb *b, struct l3_ir_chain *c);

/* Later packets of a connection in input. Accept: the owner's socket;
 * drop: another namespace's; return: decide as for a new connection
 * (the responder of a local connection, or no socket at all). */
static void l3_irb_conn_in(struct l3_irb *b)
{
	struct l3_ir_chain *c = l3_irb_chain(b, "conn_in", L3_HOOK_NONE, L3_CHAIN_FILTER, 0,
					     "a connection's later packets, received: by its owner only");
	struct l3_ir_key ck = l3_key_ctmark(b->mask);
	struct l3_ir_rule *r;
	int l, f;

	for (l = 0; l < b->ir->nlevels; l++) {
		r = l3_irb_rule(b, c, l == 0 ? "a socket of the namespace that owns it" : NULL);
		r->pos = l3_level_pos(b, b->ir->levels[l], b->root_level);
		l3_m_set(r, l3_key_cat(ck, l3_key_sock(b->ir->levels[l])),
			 l3_member_set(b, b->ir->levels[l]));
		l3_s_verdict(r, L3_V_ACCEPT, NULL);
	}
	r = l3_irb_rule(b, c, "the answering side of a local connection");
	l3_m_small(r, L3_SEL_CT_DIRECTION, L3_CT_DIR_ORIGINAL);
	l3_m_lo(r, L3_SEL_IIF, false);
	l3_s_verdict(r, L3_V_GOTO, "conn_lo");
	r = l3_irb_rule(b, c, "the host's connections: for the host's sockets");
	l3_m_eq(r, ck, l3_val_mark(0));
	l3_s_verdict(r, L3_V_JUMP, "conn_host");
	for (f = 0; f < 2; f++) {
		r = l3_irb_rule(b, c, f == 0 ? "echo replies: to a request of the same namespace, "
					       "or from this machine" : NULL);
		l3_m_small(r, L3_SEL_L4PROTO, f == 0 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
		l3_m_small(r, f == 0 ? L3_SEL_ICMP_TYPE : L3_SEL_ICMPV6_TYPE, f == 0 ? 0 : 129);
		l3_m_set(r, l3_key_cat(ck, l3_key_mark(b->mask)), "same");
		l3_s_verdict(r, L3_V_ACCEPT, NULL);
		r = l3_irb_rule(b, c, NULL);
		l3_m_lo(r, L3_SEL_IIF, false);
		l3_m_small(r, L3_SEL_L4PROTO, f == 0 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
		l3_m_small(r, f == 0 ? L3_SEL_ICMP_TYPE : L3_SEL_ICMPV6_TYPE, f == 0 ? 0 : 129);
		l3_s_verdict(r, L3_V_ACCEPT, NULL);
		r = l3_irb_rule(b, c, NULL);
		l3_m_small(r, L3_SEL_L4PROTO, f == 0 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
		l3_m_small(r, f == 0 ? L3_SEL_ICMP_TYPE : L3_SEL_ICMPV6_TYPE, f == 0 ? 0 : 129);
		l3_s_count_drop(r, L3_IR_COUNTER_NOT_OWNER);
	}
	for (f = 0; f < 2; f++) {
		r = l3_irb_rule(b, c, f == 0 ? "any other full socket is another namespace's" : NULL);
		l3_m_small(r, L3_SEL_SOCKET_WILDCARD, (uint32_t)f);
		l3_s_count_drop(r, L3_IR_COUNTER_NOT_OWNER);
	}
	l3_irb_reqsk(b, c);
}

/* Request and TIME_WAIT sockets are the only ones left once the full
 * ones (socket wildcard) are dealt with: the handshake's last ACK meets
 * one, and the SYN that made it was checked. */
static void l3_irb_reqsk(struct l3_irb *b, struct l3_ir_chain *c)
{
	struct l3_ir_rule *r;

	r = l3_irb_rule(b, c, "a request or TIME_WAIT socket: the handshake's last ACK "
			"(its SYN was checked)");
	l3_m_small(r, L3_SEL_CT_DIRECTION, L3_CT_DIR_ORIGINAL);
	l3_m_small(r, L3_SEL_L4PROTO, IPPROTO_TCP);
	l3_m_small(r, L3_SEL_SOCKET_TRANSPARENT, 0);
	l3_s_verdict(r, L3_V_ACCEPT, NULL);
}

/* The request side of a connection between two local sockets, reached
 * by goto from conn_in: a full socket, or none, is decided by address in
 * input, as a new connection is (return). */
static void l3_irb_conn_lo(struct l3_irb *b)
{
	struct l3_ir_chain *c = l3_irb_chain(b, "conn_lo", L3_HOOK_NONE, L3_CHAIN_FILTER, 0,
					     "requests between local sockets: by destination address, as when new");
	struct l3_ir_rule *r;
	int f;

	for (f = 0; f < 2; f++) {
		r = l3_irb_rule(b, c, f == 0 ? "a full socket" : NULL);
		l3_m_small(r, L3_SEL_SOCKET_WILDCARD, (uint32_t)f);
		l3_s_verdict(r, L3_V_RETURN, NULL);
	}
	l3_irb_reqsk(b, c);
}

/* Later packets of the host's connections: a host socket, or none. */
static void l3_irb_conn_host(struct l3_irb *b)
{
	struct l3_ir_chain *c = l3_irb_chain(b, "conn_host", L3_HOOK_NONE, L3_CHAIN_FILTER, 0,
					     "the host's connections: not for namespace sockets");
	struct l3_ir_rule *r;

	r = l3_irb_rule(b, c, NULL);
	l3_s_mark(r, b->mask, 0);
	l3_irb_host_socket(b, c);
	r = l3_irb_rule(b, c, NULL);
	l3_s_count_drop(r, L3_IR_COUNTER_NOT_OWNER);
}

/* Looks up the socket's namespace by writing its mark onto the packet:
 * a hit jumps to ns_<name>; a miss leaves the mark as it was. */
static void l3_irb_socket_mark(struct l3_irb *b, struct l3_ir_chain *c)
{
	struct l3_ir_rule *r;
	int l;

	for (l = 0; l < b->ir->nlevels; l++) {
		r = l3_irb_rule(b, c, l == 0 ? "which namespace, if any, owns the socket" : NULL);
		r->pos = l3_level_pos(b, b->ir->levels[l], b->root_level);
		l3_s_keyed(r, L3_STMT_VMAP, l3_key_sock(b->ir->levels[l]),
			   l3_cgroup_set(b, b->ir->levels[l]));
	}
}

/* The packet goes on only for a host socket (or none): the socket's
 * namespace mark, if any, is written onto it, a socket below a quarantine
 * parent is dropped, and a mark still 0 is accepted. Shared by the chains
 * that keep namespace sockets from the host's traffic. */
static void l3_irb_host_socket(struct l3_irb *b, struct l3_ir_chain *c)
{
	struct l3_ir_rule *r;

	l3_irb_socket_mark(b, c);
	l3_irb_quarantine(b, c);
	r = l3_irb_rule(b, c, "a host socket, or none");
	l3_m_eq(r, l3_key_mark(b->mask), l3_val_mark(0));
	l3_s_verdict(r, L3_V_ACCEPT, NULL);
}

static void l3_irb_host_in(struct l3_irb *b)
{
	struct l3_ir_chain *c = l3_irb_chain(b, "host_in", L3_HOOK_NONE, L3_CHAIN_FILTER, 0,
					     "traffic for the host's addresses: not for namespace sockets");
	struct l3_ir_key mk = l3_key_mark(b->mask);
	struct l3_ir_rule *r;
	int f;

	l3_irb_host_socket(b, c);
	for (f = 0; f < 2; f++) {
		r = l3_irb_rule(b, c, f == 0 ? "the host's loopback may reach a shared namespace" : NULL);
		l3_m_loopback(r, f == 0 ? AF_INET : AF_INET6);
		l3_m_set(r, mk, "shared");
		l3_s_verdict(r, L3_V_ACCEPT, NULL);
	}
	r = l3_irb_rule(b, c, NULL);
	l3_s(r, L3_STMT_COUNTER_NAMED)->name = L3_IR_COUNTER_HOST_REFUSED;
	l3_irb_refuse(b, c);
}

static void l3_irb_lo_shared(struct l3_irb *b)
{
	struct l3_ir_chain *c = l3_irb_chain(b, "lo_shared", L3_HOOK_NONE, L3_CHAIN_FILTER, 0,
					     "loopback from a shared namespace: the host's sockets, not another namespace's");
	struct l3_ir_rule *r;

	r = l3_irb_rule(b, c, NULL);
	l3_s_mark(r, b->mask, 0);
	l3_irb_host_socket(b, c);
	r = l3_irb_rule(b, c, NULL);
	l3_s(r, L3_STMT_COUNTER_NAMED)->name = L3_IR_COUNTER_LOOPBACK_REFUSED;
	l3_irb_refuse(b, c);
}

/* nft resolves a cgroupv2 path relative to /sys/fs/cgroup. */
static const char *l3_irb_cgroup_prefix(struct l3_irb *b, const char *mount)
{
	static const char base[] = "/sys/fs/cgroup";
	size_t n = sizeof(base) - 1;

	if (!mount || !strcmp(mount, base) || !strcmp(mount, "/sys/fs/cgroup/"))
		return "";
	if (!strncmp(mount, base, n) && mount[n] == '/')
		return l3_irb_printf(b, "%s/", mount + n + 1);
	return l3_irb_printf(b, "../../..%s/", mount);
}

/* The IR built, or NULL (errno ENOMEM) when memory ran out on the way. */
static struct l3_ir *l3_irb_done(struct l3_irb *b)
{
	if (b->oom) {
		l3_ir_free(b->ir);
		errno = ENOMEM;
		return NULL;
	}
	return b->ir;
}

struct l3_ir *l3_ir_build(const struct l3_cfg *cfg, const struct l3_ir_opts *opts)
{
	struct l3_irb b = { .cfg = cfg, .opts = opts, .mask = cfg->mark_mask };
	int root = opts ? opts->cgroup_root_level : 0;

	b.root_level = root;
	b.ir = calloc(1, sizeof(*b.ir));
	if (!b.ir)
		return NULL;
	b.ir->arena = l3_arena_new();
	if (!b.ir->arena) {
		free(b.ir);
		return NULL;
	}
	b.ir->cfg = cfg;
	b.ir->table = cfg->table;
	b.ir->cgroup_prefix = l3_irb_cgroup_prefix(&b, opts ? opts->cgroup_mount : NULL);
	if (l3_irb_ids(&b) < 0 || l3_irb_levels(&b, root) < 0 || l3_irb_qlevels(&b) < 0) {
		l3_ir_free(b.ir);
		return NULL;
	}
	if (l3_irb_decl_only(&b)) {
		l3_irb_dynamic_sets(&b, root);
		l3_irb_listen_sets(&b);
		return l3_irb_done(&b);
	}
	l3_irb_counters(&b);
	l3_irb_dynamic_sets(&b, root);
	l3_irb_listen_sets(&b);
	l3_irb_addr_sets(&b, AF_INET);
	l3_irb_addr_sets(&b, AF_INET6);
	l3_irb_mark_sets(&b);
	l3_irb_owned_sets(&b);
	l3_irb_quarantine_set(&b);
	l3_irb_counter_maps(&b);
	l3_irb_ns_chains(&b);
	l3_irb_host_in(&b);
	l3_irb_lo_shared(&b);
	l3_irb_expose(&b);
	l3_irb_conn_in(&b);
	l3_irb_conn_lo(&b);
	l3_irb_conn_host(&b);
	l3_irb_conn_out(&b);
	l3_irb_conn_reply(&b);
	l3_irb_prerouting(&b);
	l3_irb_output(&b);
	l3_irb_input(&b);
	l3_irb_postrouting(&b);
	return l3_irb_done(&b);
}

void l3_ir_free(struct l3_ir *ir)
{
	if (!ir)
		return;
	l3_arena_free(ir->arena);
	free(ir);
}

struct l3_ir_set *l3_ir_find_set(const struct l3_ir *ir, const char *name)
{
	size_t i;

	for (i = 0; i < ir->sets.len; i++)
		if (!strcmp(L3_IR_SET(ir, i)->name, name))
			return L3_IR_SET(ir, i);
	return NULL;
}

struct l3_ir_chain *l3_ir_find_chain(const struct l3_ir *ir, const char *name)
{
	size_t i;

	for (i = 0; i < ir->chains.len; i++)
		if (!strcmp(L3_IR_CHAIN(ir, i)->name, name))
			return L3_IR_CHAIN(ir, i);
	return NULL;
}
