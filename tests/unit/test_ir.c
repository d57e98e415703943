/*
 * The IR builder: the sets, maps and chains of the table, their elements
 * and the marks in them, for policies that exercise each rule of
 * ir_build.c's header comment.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include "tests.h"
#include "l3nft/compiler/cfg_check.h"
#include "l3nft/compiler/ir.h"

static const struct l3_ir_opts l3t_opts = {
	.cgroup_mount = "/sys/fs/cgroup",
	.cgroup_root_level = 0,
};

/* Three namespaces: two cgroup depths, both families, both loopback
 * modes, one without ping, listeners that overlap. */
static const char l3t_policy[] =
	"version: 1\n"
	"namespaces:\n"
	"  web:\n"
	"    id: 1\n"
	"    addresses: [192.0.2.10/24, \"2001:db8::10/64\", 192.0.2.20/24, "
	"198.51.100.1/31, \"2001:db8::20/64\"]\n"
	"    listen: [239.1.1.1:5000/udp, broadcast:137/udp, \"[ff02::fb]:5353/udp\"]\n"
	"  mail:\n"
	"    id: 2\n"
	"    addresses: [192.0.2.11/24]\n"
	"    loopback: shared\n"
	"    listen: [239.1.1.1:5000/udp, broadcast:137/udp]\n"
	"  db:\n"
	"    id: 3\n"
	"    cgroup: l3nft/backend/db\n"
	"    addresses: [\"2001:db8::12/64\"]\n"
	"    ping: false\n";

struct l3t_built {
	struct l3_cfg *cfg;
	struct l3_ir *ir;
};

static struct l3t_built l3t_build_opts(const char *yaml, const struct l3_ir_opts *opts)
{
	struct l3t_built b;

	b.cfg = l3t_ok(yaml);
	b.ir = l3_ir_build(b.cfg, opts);
	ck_assert_ptr_nonnull(b.ir);
	return b;
}

static struct l3t_built l3t_build(const char *yaml)
{
	return l3t_build_opts(yaml, &l3t_opts);
}

static void l3t_free(struct l3t_built *b)
{
	l3_ir_free(b->ir);
	l3_cfg_free(b->cfg);
}

static const struct l3_ir_set *l3t_set(const struct l3_ir *ir, const char *name)
{
	const struct l3_ir_set *s = l3_ir_find_set(ir, name);

	ck_assert_msg(s != NULL, "no set %s", name);
	return s;
}

static const struct l3_ir_elem *l3t_elem(const struct l3_ir_set *s, size_t i)
{
	ck_assert_msg(i < s->elems.len, "set %s has %zu elements, wanted #%zu", s->name,
		      s->elems.len, i);
	return (const struct l3_ir_elem *)s->elems.items + i;
}

static const struct l3_ir_rule *l3t_rule(const struct l3_ir_chain *c, size_t i)
{
	ck_assert_msg(i < c->rules.len, "chain %s has %zu rules", c->name, c->rules.len);
	return (const struct l3_ir_rule *)c->rules.items + i;
}

static uint32_t l3t_v4(const struct l3_ir_value *v)
{
	ck_assert_int_eq(v->type, L3_T_IPV4);
	return ntohl(v->u.v4.s_addr);
}

static void l3t_v6_eq(const struct l3_ir_value *v, const char *want)
{
	struct in6_addr a;

	ck_assert_int_eq(v->type, L3_T_IPV6);
	ck_assert_int_eq(inet_pton(AF_INET6, want, &a), 1);
	ck_assert_mem_eq(&v->u.v6, &a, sizeof(a));
}

/* ---- shape ---- */

START_TEST(test_sets_and_chains)
{
	static const char *const sets[] = {
		"cgroup_l2", "member_l2", "cgroup_l3", "member_l3", "listen4", "listen6",
		"dst4", "own4", "snat4", "no_ipv4", "addr4", "dst6", "own6", "snat6", "no_ipv6",
		"addr6", "shared", "ping", "same", "shared_pair", "protocols", "expose_limited", "exposed",
		"expose_from4", "expose_from6",
		"owned4", "owned6",
		"egress_ctr", "accepted_ctr", "refused_ctr",
	};
	static const char *const chains[] = {
		"ns_web", "ns_mail", "ns_db", "host_in", "lo_shared", "expose",
		"conn_in", "conn_lo", "conn_host", "conn_out", "conn_reply",
		"prerouting", "output", "input", "postrouting",
	};
	struct l3t_built b = l3t_build(l3t_policy);
	size_t i;

	ck_assert_str_eq(b.ir->table, "l3nft");
	ck_assert_ptr_eq(b.ir->cfg, b.cfg);
	ck_assert_uint_eq(b.ir->sets.len, L3_ARRAY_SIZE(sets));
	for (i = 0; i < L3_ARRAY_SIZE(sets); i++)
		ck_assert_str_eq(L3_IR_SET(b.ir, i)->name, sets[i]);
	ck_assert_uint_eq(b.ir->chains.len, L3_ARRAY_SIZE(chains));
	for (i = 0; i < L3_ARRAY_SIZE(chains); i++)
		ck_assert_str_eq(L3_IR_CHAIN(b.ir, i)->name, chains[i]);
	ck_assert_ptr_null(l3_ir_find_set(b.ir, "nosuch"));
	ck_assert_ptr_null(l3_ir_find_chain(b.ir, "nosuch"));
	ck_assert_ptr_eq(l3_ir_find_chain(b.ir, "ns_db")->ns, &b.cfg->ns[2]);
	l3t_free(&b);
}
END_TEST

START_TEST(test_base_chains)
{
	static const struct {
		const char *name;
		enum l3_ir_hook hook;
		enum l3_ir_chain_type type;
		int prio;
	} want[] = {
		{ "prerouting", L3_HOOK_PREROUTING, L3_CHAIN_FILTER, -150 },
		{ "output", L3_HOOK_OUTPUT, L3_CHAIN_ROUTE, -150 },
		{ "input", L3_HOOK_INPUT, L3_CHAIN_FILTER, 0 },
		{ "postrouting", L3_HOOK_POSTROUTING, L3_CHAIN_NAT, 100 },
		{ "ns_web", L3_HOOK_NONE, L3_CHAIN_FILTER, 0 },
		{ "host_in", L3_HOOK_NONE, L3_CHAIN_FILTER, 0 },
	};
	struct l3t_built b = l3t_build(l3t_policy);
	size_t i;

	for (i = 0; i < L3_ARRAY_SIZE(want); i++) {
		const struct l3_ir_chain *c = l3_ir_find_chain(b.ir, want[i].name);

		ck_assert_ptr_nonnull(c);
		ck_assert_int_eq(c->hook, want[i].hook);
		ck_assert_int_eq(c->type, want[i].type);
		ck_assert_int_eq(c->prio, want[i].prio);
	}
	l3t_free(&b);
}
END_TEST

START_TEST(test_set_types)
{
	struct l3t_built b = l3t_build(l3t_policy);
	const struct l3_ir_set *s;

	s = l3t_set(b.ir, "cgroup_l2");
	ck_assert_int_eq(s->nkey, 1);
	ck_assert_int_eq(s->key[0], L3_T_CGROUP);
	ck_assert_int_eq(s->data, L3_T_VERDICT);
	ck_assert_uint_eq(s->flags, L3_SET_MAP | L3_SET_DYNAMIC);
	s = l3t_set(b.ir, "member_l3");
	ck_assert_int_eq(s->nkey, 2);
	ck_assert_int_eq(s->key[0], L3_T_MARK);
	ck_assert_int_eq(s->key[1], L3_T_CGROUP);
	ck_assert_uint_eq(s->flags, L3_SET_DYNAMIC);
	s = l3t_set(b.ir, "listen6");
	ck_assert_int_eq(s->key[0], L3_T_IPV6);
	ck_assert_int_eq(s->key[1], L3_T_PORT);
	ck_assert_uint_eq(s->flags, L3_SET_DYNAMIC);
	s = l3t_set(b.ir, "snat6");
	ck_assert_int_eq(s->key[0], L3_T_MARK);
	ck_assert_int_eq(s->data, L3_T_IPV6);
	ck_assert_uint_eq(s->flags, L3_SET_MAP);
	s = l3t_set(b.ir, "refused_ctr");
	ck_assert_int_eq(s->data, L3_T_COUNTER);
	s = l3t_set(b.ir, "own4");
	ck_assert_int_eq(s->key[1], L3_T_IPV4);
	ck_assert_uint_eq(s->flags, 0);
	l3t_free(&b);
}
END_TEST

/* ---- elements ---- */

START_TEST(test_element_counts)
{
	static const struct {
		const char *set;
		size_t n;
	} want[] = {
		{ "cgroup_l2", 2 }, { "member_l2", 2 }, { "cgroup_l3", 1 }, { "member_l3", 1 },
		{ "dst4", 4 }, { "own4", 4 }, { "snat4", 2 }, { "no_ipv4", 1 },
		{ "dst6", 3 }, { "own6", 3 }, { "snat6", 2 }, { "no_ipv6", 1 },
		{ "shared", 1 }, { "ping", 2 }, { "addr4", 4 }, { "addr6", 3 },
		/* one per namespace; a shared one both ways */
		{ "same", 3 }, { "shared_pair", 2 }, { "protocols", 0 },
		{ "owned4", 4 }, { "owned6", 3 },
		{ "egress_ctr", 3 }, { "accepted_ctr", 3 }, { "refused_ctr", 3 },
	};
	struct l3t_built b = l3t_build(l3t_policy);
	size_t i;

	for (i = 0; i < L3_ARRAY_SIZE(want); i++)
		ck_assert_msg(l3t_set(b.ir, want[i].set)->elems.len == want[i].n,
			      "%s: %zu elements, want %zu", want[i].set,
			      l3t_set(b.ir, want[i].set)->elems.len, want[i].n);
	/* 3 per namespace, then host_refused, loopback_refused, not_owner,
	 * loopback_martian and protocol_refused */
	ck_assert_uint_eq(b.ir->counters.len, 3 * 3 + 6);
	l3t_free(&b);
}
END_TEST

START_TEST(test_marks)
{
	struct l3t_built b = l3t_build(l3t_policy);
	const struct l3_ir_set *s = l3t_set(b.ir, "own4");
	const struct l3_ir_rule *r;
	size_t i;

	/* id << 16 under the default mask */
	ck_assert_uint_eq(l3t_elem(s, 0)->key[0].u.mark, 0x00010000u);
	ck_assert_uint_eq(l3t_elem(s, 3)->key[0].u.mark, 0x00020000u);
	ck_assert_str_eq(l3t_elem(s, 3)->comment, "mail");
	ck_assert_ptr_eq(l3t_elem(s, 3)->ns, &b.cfg->ns[1]);
	for (i = 0; i < 3; i++) {
		const struct l3_ir_chain *c = L3_IR_CHAIN(b.ir, i);

		ck_assert_uint_eq(c->rules.len, 2);
		r = l3t_rule(c, 0);
		ck_assert_int_eq(r->ns, 1);
		ck_assert_int_eq(r->s[0].kind, L3_STMT_MARK_SET);
		ck_assert_uint_eq(r->s[0].mark_mask, 0x00ff0000u);
		ck_assert_uint_eq(r->s[0].mark_value, (i + 1) << 16);
		ck_assert_int_eq(r->pos.line, b.cfg->ns[i].pos.line);
		/* the first packet of a connection: the namespace owns it */
		r = l3t_rule(c, 1);
		ck_assert_int_eq(r->m[0].key.e[0].sel, L3_SEL_CT_STATUS);
		ck_assert(r->m[0].inv);
		ck_assert_int_eq(r->s[0].kind, L3_STMT_CT_MARK_SET);
		ck_assert_uint_eq(r->s[0].mark_mask, 0x00ff0000u);
		ck_assert_uint_eq(r->s[0].mark_value, (i + 1) << 16);
	}
	l3t_free(&b);
}
END_TEST

START_TEST(test_marks_other_mask)
{
	struct l3t_built b = l3t_build("version: 1\nmark_mask: 0x00000ff0\nnamespaces:\n"
				       "  a: {id: 9, addresses: [192.0.2.1/24]}\n");
	const struct l3_ir_rule *r = l3t_rule(l3_ir_find_chain(b.ir, "ns_a"), 0);
	const struct l3_ir_elem *e = l3t_elem(l3t_set(b.ir, "snat4"), 0);

	ck_assert_uint_eq(r->s[0].mark_mask, 0x00000ff0u);
	ck_assert_uint_eq(r->s[0].mark_value, 0x00000090u);
	ck_assert_uint_eq(e->key[0].u.mark, 0x00000090u);
	/* rules that look at the mark look at the mask's bits only */
	r = l3t_rule(l3_ir_find_chain(b.ir, "postrouting"), 0);
	ck_assert_int_eq(r->m[0].key.e[0].sel, L3_SEL_MARK);
	ck_assert_uint_eq(r->m[0].key.e[0].mask, 0x00000ff0u);
	ck_assert_uint_eq(r->m[0].val.u.mark, 0);
	l3t_free(&b);
}
END_TEST

/* Ids left out get the lowest free one, in file order. */
START_TEST(test_ids_auto)
{
	struct l3t_built b = l3t_build("version: 1\nnamespaces:\n"
				       "  a: {addresses: [192.0.2.1/24]}\n"
				       "  b: {id: 1, addresses: [192.0.2.2/24]}\n"
				       "  c: {addresses: [192.0.2.3/24]}\n"
				       "  d: {id: 3, addresses: [192.0.2.4/24]}\n"
				       "  e: {addresses: [192.0.2.5/24]}\n");
	static const uint32_t want[] = { 2, 1, 4, 3, 5 };
	const struct l3_ir_set *s = l3t_set(b.ir, "dst4");
	size_t i;

	for (i = 0; i < L3_ARRAY_SIZE(want); i++) {
		const struct l3_ir_rule *r = l3t_rule(L3_IR_CHAIN(b.ir, i), 0);

		ck_assert_uint_eq(b.cfg->ns[i].id, want[i]);
		ck_assert_uint_eq(r->s[0].mark_value, want[i] << 16);
		ck_assert_str_eq(l3t_elem(s, i)->data.u.verdict.chain, L3_IR_CHAIN(b.ir, i)->name);
	}
	l3t_free(&b);
}
END_TEST

START_TEST(test_levels)
{
	struct l3t_built b = l3t_build(l3t_policy);
	const struct l3_ir_set *s;
	const struct l3_ir_elem *e;
	const struct l3_ir_chain *out;

	ck_assert_int_eq(b.ir->nlevels, 2);
	ck_assert_int_eq(b.ir->levels[0], 2);
	ck_assert_int_eq(b.ir->levels[1], 3);
	s = l3t_set(b.ir, "cgroup_l3");
	e = l3t_elem(s, 0);
	ck_assert_str_eq(e->key[0].u.cg.path, "l3nft/backend/db");
	ck_assert_int_eq(e->key[0].u.cg.level, 3);
	ck_assert_int_eq(e->data.type, L3_T_VERDICT);
	ck_assert_int_eq(e->data.u.verdict.code, L3_V_JUMP);
	ck_assert_str_eq(e->data.u.verdict.chain, "ns_db");
	ck_assert_int_eq(e->pos.line, 14);
	e = l3t_elem(l3t_set(b.ir, "member_l2"), 1);
	ck_assert_uint_eq(e->key[0].u.mark, 0x00020000u);
	ck_assert_str_eq(e->key[1].u.cg.path, "l3nft/mail");
	ck_assert_int_eq(e->key[1].u.cg.level, 2);
	/* output looks the socket up at each level, shallowest first */
	out = l3_ir_find_chain(b.ir, "output");
	/* host mark, host owner, the levels, protocols, later packets */
	ck_assert_uint_eq(out->rules.len, 6);
	ck_assert_int_eq(l3t_rule(out, 2)->s[0].kind, L3_STMT_VMAP);
	ck_assert_int_eq(l3t_rule(out, 2)->s[0].key.e[0].sel, L3_SEL_SOCKET_CGROUP);
	ck_assert_int_eq(l3t_rule(out, 2)->s[0].key.e[0].level, 2);
	ck_assert_str_eq(l3t_rule(out, 2)->s[0].set, "cgroup_l2");
	ck_assert_int_eq(l3t_rule(out, 3)->s[0].key.e[0].level, 3);
	ck_assert_str_eq(l3t_rule(out, 3)->s[0].set, "cgroup_l3");
	ck_assert_str_eq(l3t_rule(out, 5)->s[0].verdict.u.verdict.chain, "conn_out");
	l3t_free(&b);
}
END_TEST

/* Inside a cgroup namespace the mount's root is itself some levels deep. */
START_TEST(test_levels_root_level)
{
	static const struct l3_ir_opts opts = {
		.cgroup_mount = "/sys/fs/cgroup",
		.cgroup_root_level = 2,
	};
	struct l3t_built b = l3t_build_opts(l3t_policy, &opts);

	ck_assert_int_eq(b.ir->nlevels, 2);
	ck_assert_int_eq(b.ir->levels[0], 4);
	ck_assert_int_eq(b.ir->levels[1], 5);
	ck_assert_ptr_nonnull(l3_ir_find_set(b.ir, "cgroup_l4"));
	ck_assert_ptr_nonnull(l3_ir_find_set(b.ir, "member_l5"));
	ck_assert_ptr_null(l3_ir_find_set(b.ir, "cgroup_l2"));
	ck_assert_int_eq(l3t_elem(l3t_set(b.ir, "cgroup_l5"), 0)->key[0].u.cg.level, 5);
	/* the path stays relative to the mount */
	ck_assert_str_eq(l3t_elem(l3t_set(b.ir, "cgroup_l5"), 0)->key[0].u.cg.path,
			 "l3nft/backend/db");
	l3t_free(&b);
}
END_TEST

/* The kernel's socket cgroupv2 match is per level: 16 levels at most. */
START_TEST(test_levels_too_many)
{
	char yaml[4096], path[64], text[160];
	size_t len = 0, plen = 0;
	struct l3_cfg *cfg;
	struct l3_ir *ir;
	int i, j;

	/* 16 distinct cgroup depths fit; the loader refuses a 17th, so the
	 * IR's limit (E2BIG) is never reached from a valid policy */
	len += (size_t)snprintf(yaml + len, sizeof(yaml) - len, "version: 1\nnamespaces:\n");
	for (i = 0; i < L3_IR_LEVELS_MAX; i++) {
		/* t<i>/b/b...: depth i + 1, in a tree of its own */
		len += (size_t)snprintf(yaml + len, sizeof(yaml) - len, "  n%d: {cgroup: t%d", i, i);
		for (j = 0; j < i; j++)
			len += (size_t)snprintf(yaml + len, sizeof(yaml) - len, "/b");
		len += (size_t)snprintf(yaml + len, sizeof(yaml) - len,
					", addresses: [192.0.2.%d/24]}\n", i + 1);
	}
	ck_assert_uint_lt(len, sizeof(yaml));
	cfg = l3t_ok(yaml);
	ir = l3_ir_build(cfg, &l3t_opts);
	ck_assert_ptr_nonnull(ir);
	ck_assert_int_eq(ir->nlevels, L3_IR_LEVELS_MAX);
	ck_assert_int_eq(ir->levels[L3_IR_LEVELS_MAX - 1], L3_IR_LEVELS_MAX);
	l3_ir_free(ir);
	l3_cfg_free(cfg);

	plen += (size_t)snprintf(path + plen, sizeof(path) - plen, "t16");
	for (j = 0; j < L3_IR_LEVELS_MAX; j++)
		plen += (size_t)snprintf(path + plen, sizeof(path) - plen, "/b");
	len += (size_t)snprintf(yaml + len, sizeof(yaml) - len,
				"  n16: {cgroup: %s, addresses: [192.0.2.17/24]}\n", path);
	snprintf(text, sizeof(text),
		 "cgroup '%s' is at a 17th distinct depth; at most 16 depths are supported", path);
	l3t_error(yaml, 19, 17, text);
}
END_TEST

START_TEST(test_snat_first_of_family)
{
	struct l3t_built b = l3t_build(l3t_policy);
	const struct l3_ir_set *s4 = l3t_set(b.ir, "snat4"), *s6 = l3t_set(b.ir, "snat6");
	const struct l3_ir_set *no4 = l3t_set(b.ir, "no_ipv4"), *no6 = l3t_set(b.ir, "no_ipv6");

	/* web: 192.0.2.10 and 2001:db8::10, listed before later ones */
	ck_assert_uint_eq(l3t_elem(s4, 0)->key[0].u.mark, 0x00010000u);
	ck_assert_uint_eq(l3t_v4(&l3t_elem(s4, 0)->data), 0xc000020au);
	ck_assert_int_eq(l3t_elem(s4, 0)->pos.col, 17);
	ck_assert_uint_eq(l3t_elem(s4, 1)->key[0].u.mark, 0x00020000u);
	ck_assert_uint_eq(l3t_v4(&l3t_elem(s4, 1)->data), 0xc000020bu);
	l3t_v6_eq(&l3t_elem(s6, 0)->data, "2001:db8::10");
	ck_assert_uint_eq(l3t_elem(s6, 1)->key[0].u.mark, 0x00030000u);
	l3t_v6_eq(&l3t_elem(s6, 1)->data, "2001:db8::12");
	/* db has no IPv4, mail no IPv6 */
	ck_assert_uint_eq(l3t_elem(no4, 0)->key[0].u.mark, 0x00030000u);
	ck_assert_str_eq(l3t_elem(no4, 0)->comment, "db");
	ck_assert_uint_eq(l3t_elem(no6, 0)->key[0].u.mark, 0x00020000u);
	ck_assert_str_eq(l3t_elem(no6, 0)->comment, "mail");
	l3t_free(&b);
}
END_TEST

START_TEST(test_addresses)
{
	struct l3t_built b = l3t_build(l3t_policy);
	const struct l3_ir_set *dst4 = l3t_set(b.ir, "dst4"), *own6 = l3t_set(b.ir, "own6");

	ck_assert_uint_eq(l3t_v4(&l3t_elem(dst4, 0)->key[0]), 0xc000020au);
	ck_assert_uint_eq(l3t_v4(&l3t_elem(dst4, 1)->key[0]), 0xc0000214u);
	ck_assert_uint_eq(l3t_v4(&l3t_elem(dst4, 2)->key[0]), 0xc6336401u);
	ck_assert_str_eq(l3t_elem(dst4, 2)->data.u.verdict.chain, "ns_web");
	ck_assert_str_eq(l3t_elem(dst4, 3)->data.u.verdict.chain, "ns_mail");
	ck_assert_uint_eq(l3t_elem(own6, 2)->key[0].u.mark, 0x00030000u);
	l3t_v6_eq(&l3t_elem(own6, 1)->key[1], "2001:db8::20");
	l3t_free(&b);
}
END_TEST

START_TEST(test_listen_elements)
{
	struct l3t_built b = l3t_build(l3t_policy);
	const struct l3_ir_set *s4 = l3t_set(b.ir, "listen4"), *s6 = l3t_set(b.ir, "listen6");

	/*
	 * web: 239.1.1.1:5000, then broadcast:137 as 255.255.255.255 and the
	 * subnet broadcast of 192.0.2.0/24 once (two addresses share it; the
	 * /31 has none); mail adds nothing new.
	 */
	ck_assert_uint_eq(s4->elems.len, 3);
	ck_assert_uint_eq(l3t_v4(&l3t_elem(s4, 0)->key[0]), 0xef010101u);
	ck_assert_uint_eq(l3t_elem(s4, 0)->key[1].u.port, 5000);
	ck_assert_int_eq(l3t_elem(s4, 0)->key[1].type, L3_T_PORT);
	ck_assert_uint_eq(l3t_v4(&l3t_elem(s4, 1)->key[0]), 0xffffffffu);
	ck_assert_uint_eq(l3t_elem(s4, 1)->key[1].u.port, 137);
	ck_assert_uint_eq(l3t_v4(&l3t_elem(s4, 2)->key[0]), 0xc00002ffu);
	ck_assert_uint_eq(l3t_elem(s4, 2)->key[1].u.port, 137);
	ck_assert_str_eq(l3t_elem(s4, 2)->comment, "web");
	ck_assert_uint_eq(s6->elems.len, 1);
	l3t_v6_eq(&l3t_elem(s6, 0)->key[0], "ff02::fb");
	ck_assert_uint_eq(l3t_elem(s6, 0)->key[1].u.port, 5353);
	l3t_free(&b);
}
END_TEST

START_TEST(test_listen_subnets)
{
	struct l3t_built b = l3t_build("version: 1\nnamespaces:\n"
				       "  a:\n    addresses: [10.1.2.3/8, 192.0.2.9/30, 198.51.100.7/32]\n"
				       "    listen: [broadcast:9/udp, broadcast:10/udp]\n"
				       "  b:\n    addresses: [10.9.9.9/16]\n"
				       "    listen: [broadcast:9/udp]\n");
	const struct l3_ir_set *s4 = l3t_set(b.ir, "listen4");
	static const uint32_t want[][2] = {
		{ 0xffffffffu, 9 }, { 0x0affffffu, 9 }, { 0xc000020bu, 9 },
		{ 0xffffffffu, 10 }, { 0x0affffffu, 10 }, { 0xc000020bu, 10 },
		{ 0x0a09ffffu, 9 },
	};
	size_t i;

	ck_assert_uint_eq(s4->elems.len, L3_ARRAY_SIZE(want));
	for (i = 0; i < L3_ARRAY_SIZE(want); i++) {
		ck_assert_uint_eq(l3t_v4(&l3t_elem(s4, i)->key[0]), want[i][0]);
		ck_assert_uint_eq(l3t_elem(s4, i)->key[1].u.port, want[i][1]);
	}
	ck_assert_str_eq(l3t_elem(s4, 6)->comment, "b");
	ck_assert_uint_eq(l3t_set(b.ir, "listen6")->elems.len, 0);
	l3t_free(&b);
}
END_TEST

START_TEST(test_shared_and_ping)
{
	struct l3t_built b = l3t_build(l3t_policy);
	const struct l3_ir_set *shared = l3t_set(b.ir, "shared"), *ping = l3t_set(b.ir, "ping");

	ck_assert_uint_eq(l3t_elem(shared, 0)->key[0].u.mark, 0x00020000u);
	ck_assert_str_eq(l3t_elem(ping, 0)->comment, "web");
	ck_assert_str_eq(l3t_elem(ping, 1)->comment, "mail");
	l3t_free(&b);
}
END_TEST

START_TEST(test_counters)
{
	struct l3t_built b = l3t_build(l3t_policy);
	const struct l3_ir_counter *c = b.ir->counters.items;
	const struct l3_ir_set *m = l3t_set(b.ir, "accepted_ctr");

	ck_assert_str_eq(c[0].name, "web_egress");
	ck_assert_str_eq(c[1].name, "web_accepted");
	ck_assert_str_eq(c[2].name, "web_refused");
	ck_assert_str_eq(c[8].name, "db_refused");
	ck_assert_ptr_eq(c[8].ns, &b.cfg->ns[2]);
	ck_assert_str_eq(c[9].name, "host_refused");
	ck_assert_str_eq(c[10].name, "loopback_refused");
	ck_assert_ptr_null(c[10].ns);
	ck_assert_str_eq(l3t_elem(m, 1)->data.u.obj, "mail_accepted");
	ck_assert_int_eq(l3t_elem(m, 1)->data.type, L3_T_COUNTER);
	ck_assert_uint_eq(l3t_elem(m, 1)->key[0].u.mark, 0x00020000u);
	l3t_free(&b);
}
END_TEST

static const struct l3_ir_rule *l3t_queue_rule(const struct l3_ir *ir, size_t i)
{
	const struct l3_ir_rule *r = l3t_rule(l3_ir_find_chain(ir, "input"), i);

	ck_assert_int_eq(r->s[0].kind, L3_STMT_QUEUE);
	return r;
}

START_TEST(test_queue)
{
	struct l3t_built b = l3t_build("version: 1\nqueue: 42\nnamespaces:\n"
				       "  a: {addresses: [192.0.2.1/24]}\n");
	const struct l3_ir_rule *r = l3t_queue_rule(b.ir, 0);

	ck_assert_uint_eq(r->s[0].queue_num, 42);
	ck_assert(!r->s[0].queue_bypass);
	ck_assert_str_eq(r->m[1].set, "listen4");
	ck_assert_int_eq(r->pos.line, 2);
	ck_assert_str_eq(l3t_queue_rule(b.ir, 1)->m[1].set, "listen6");
	/* fail closed: nothing accepts what the daemon did not take; the
	 * next rule is the one for later packets of a connection */
	ck_assert_int_eq(l3t_rule(l3_ir_find_chain(b.ir, "input"), 2)->m[0].key.e[0].sel,
			 L3_SEL_CT_STATUS);
	l3t_free(&b);

	b = l3t_build("version: 1\nfail_open: true\nnamespaces:\n"
		      "  a: {addresses: [192.0.2.1/24]}\n");
	r = l3t_queue_rule(b.ir, 1);
	ck_assert_uint_eq(r->s[0].queue_num, 100);
	ck_assert(r->s[0].queue_bypass);
	r = l3t_rule(l3_ir_find_chain(b.ir, "input"), 2);
	ck_assert_int_eq(r->s[0].kind, L3_STMT_VERDICT);
	ck_assert_int_eq(r->s[0].verdict.u.verdict.code, L3_V_ACCEPT);
	ck_assert_str_eq(r->m[1].set, "listen4");
	l3t_free(&b);
}
END_TEST

/* protocols: one element per namespace and protocol, at its position */
START_TEST(test_protocols)
{
	struct l3t_built b = l3t_build("version: 1\nnamespaces:\n"
				       "  a: {addresses: [192.0.2.1/24], protocols: [sctp, udplite]}\n"
				       "  b: {addresses: [192.0.2.2/24]}\n");
	const struct l3_ir_set *s = l3t_set(b.ir, "protocols");

	ck_assert_uint_eq(s->elems.len, 2);
	ck_assert_uint_eq(l3t_elem(s, 0)->key[0].u.mark, 0x00010000u);
	ck_assert_int_eq(l3t_elem(s, 0)->key[1].type, L3_T_PROTO);
	ck_assert_uint_eq(l3t_elem(s, 0)->key[1].u.mark, 132);
	ck_assert_uint_eq(l3t_elem(s, 1)->key[1].u.mark, 136);
	ck_assert_int_eq(l3t_elem(s, 1)->pos.line, 3);
	ck_assert_str_eq(l3_cfg_protocol_name(33), "dccp");
	ck_assert_ptr_null(l3_cfg_protocol_name(6));
	l3t_free(&b);
}
END_TEST

/* The rules that follow a chain's socket lookups: mark 0 and the
 * socket's ancestor at the parent's level in @quarantine, then drop. */
static size_t l3t_quarantine_rules(const struct l3_ir_chain *c, int level)
{
	const struct l3_ir_rule *r = c->rules.items;
	size_t i, n = 0;

	for (i = 0; i < c->rules.len; i++) {
		if (r[i].nm != 2 || r[i].m[1].op != L3_OP_IN_SET ||
		    strcmp(r[i].m[1].set, L3_IR_SET_QUARANTINE))
			continue;
		ck_assert_int_eq(r[i].m[0].key.e[0].sel, L3_SEL_MARK);
		ck_assert_uint_eq(r[i].m[0].val.u.mark, 0);
		ck_assert_int_eq(r[i].m[1].key.e[0].sel, L3_SEL_SOCKET_CGROUP);
		ck_assert_int_eq(r[i].m[1].key.e[0].level, level);
		ck_assert_int_eq(r[i].s[r[i].ns - 1].verdict.u.verdict.code, L3_V_DROP);
		n++;
	}
	return n;
}

START_TEST(test_quarantine)
{
	static const char yaml[] = "version: 1\nquarantine: [tenants.slice]\nnamespaces:\n"
		"  a: {cgroup: tenants.slice/a.service, addresses: [192.0.2.1/24]}\n"
		"  b: {cgroup: tenants.slice/b.service, addresses: [192.0.2.2/24]}\n";
	static const char *const chains[] = { "output", "host_in", "lo_shared", "conn_host" };
	const uint64_t qids[] = { 4242 }, cg[] = { 7, 8 };
	struct l3_ir_live live = { .cgroup_ids = cg, .quarantine_ids = qids };
	struct l3_ir_opts opts = { .cgroup_mount = "/sys/fs/cgroup", .cgroup_root_level = 1,
				   .live = &live };
	struct l3t_built b = l3t_build_opts(yaml, &opts);
	const struct l3_ir_set *s = l3t_set(b.ir, L3_IR_SET_QUARANTINE);
	size_t i;

	ck_assert_uint_eq(s->elems.len, 1);
	ck_assert_uint_eq(l3t_elem(s, 0)->key[0].u.cg.id, 4242);
	ck_assert_int_eq(l3t_elem(s, 0)->pos.line, 2);
	/* one level below the namespaces, plus the mount's own depth */
	ck_assert_int_eq(b.ir->nqlevels, 1);
	ck_assert_int_eq(b.ir->qlevels[0], 2);
	for (i = 0; i < L3_ARRAY_SIZE(chains); i++)
		ck_assert_msg(l3t_quarantine_rules(l3_ir_find_chain(b.ir, chains[i]), 2) == 1,
			      "%s has no quarantine rule", chains[i]);
	/* the input chain proper sees only namespace-marked packets there */
	ck_assert_uint_eq(l3t_quarantine_rules(l3_ir_find_chain(b.ir, "input"), 2), 0);
	ck_assert_uint_eq(b.ir->quarantine_missing.len, 0);
	l3t_free(&b);

	/* a parent that does not exist: no element, noted for a warning */
	live.quarantine_ids = (const uint64_t[]){ 0 };
	b = l3t_build_opts(yaml, &opts);
	ck_assert_uint_eq(l3t_set(b.ir, L3_IR_SET_QUARANTINE)->elems.len, 0);
	ck_assert_uint_eq(b.ir->quarantine_missing.len, 1);
	l3t_free(&b);

	/* without quarantine: no set, no rules */
	b = l3t_build(l3t_policy);
	ck_assert_ptr_null(l3_ir_find_set(b.ir, L3_IR_SET_QUARANTINE));
	ck_assert_uint_eq(l3t_quarantine_rules(l3_ir_find_chain(b.ir, "output"), 1), 0);
	l3t_free(&b);
}
END_TEST

/* A file without namespaces gives a table that changes nothing. */
START_TEST(test_empty_policy)
{
	struct l3t_built b = l3t_build("version: 1\n");
	size_t i;

	ck_assert_int_eq(b.ir->nlevels, 0);
	ck_assert_uint_eq(b.ir->counters.len, 6);
	for (i = 0; i < b.ir->sets.len; i++)
		ck_assert_uint_eq(L3_IR_SET(b.ir, i)->elems.len, 0);
	ck_assert_ptr_nonnull(l3_ir_find_chain(b.ir, "input"));
	ck_assert_ptr_null(l3_ir_find_set(b.ir, "cgroup_l2"));
	l3t_free(&b);
}
END_TEST

START_TEST(test_no_opts)
{
	struct l3_cfg *cfg = l3t_ok(l3t_policy);
	struct l3_ir *ir = l3_ir_build(cfg, NULL);

	ck_assert_ptr_nonnull(ir);
	ck_assert_str_eq(ir->cgroup_prefix, "");
	ck_assert_int_eq(ir->levels[0], 2);
	l3_ir_free(ir);
	l3_cfg_free(cfg);
	l3_ir_free(NULL);
}
END_TEST

/* l3nftd's layout: the dynamic sets declared as in the whole table, with
 * no elements, chains or counters; the ids still resolved. */
START_TEST(test_dynamic_sets_only)
{
	static const char *const sets[] = {
		"cgroup_l2", "member_l2", "cgroup_l3", "member_l3", "listen4", "listen6",
	};
	struct l3_ir_opts o = l3t_opts;
	struct l3t_built whole = l3t_build(l3t_policy), b;
	size_t i;

	o.dynamic_sets_only = true;
	b = l3t_build_opts(l3t_policy, &o);
	ck_assert_uint_eq(b.ir->sets.len, L3_ARRAY_SIZE(sets));
	for (i = 0; i < L3_ARRAY_SIZE(sets); i++) {
		const struct l3_ir_set *s = L3_IR_SET(b.ir, i), *w = l3t_set(whole.ir, sets[i]);

		ck_assert_str_eq(s->name, sets[i]);
		ck_assert(s->flags & L3_SET_DYNAMIC);
		ck_assert_uint_eq(s->elems.len, 0);
		ck_assert_int_eq(s->flags, w->flags);
		ck_assert_int_eq(s->key[0], w->key[0]);
		ck_assert_int_eq(s->key[1], w->key[1]);
		ck_assert_int_eq(s->data, w->data);
	}
	ck_assert_uint_eq(b.ir->chains.len, 0);
	ck_assert_uint_eq(b.ir->counters.len, 0);
	ck_assert_uint_eq(l3_ir_ns_mark(b.ir, &b.cfg->ns[2]), l3_ir_ns_mark(whole.ir, &whole.cfg->ns[2]));
	l3t_free(&b);
	l3t_free(&whole);
}
END_TEST

/* Positions reach the IR, for mapping kernel errors back to the file. */
START_TEST(test_positions)
{
	struct l3t_built b = l3t_build(l3t_policy);
	const struct l3_ir_elem *e = l3t_elem(l3t_set(b.ir, "dst6"), 1);

	/* web's second IPv6 address */
	ck_assert_int_eq(e->pos.line, 5);
	ck_assert_int_eq(e->pos.col, 83);
	ck_assert_int_eq(l3_ir_find_chain(b.ir, "ns_mail")->pos.line, 7);
	ck_assert_int_eq(l3t_elem(l3t_set(b.ir, "listen6"), 0)->pos.line, 6);
	l3t_free(&b);
}
END_TEST

/* Facts of the running system are inputs: kept ids, cgroup ids (a missing
 * cgroup gets no elements), counter start values, run-time listeners. */
START_TEST(test_live_inputs)
{
	static const uint32_t ids[] = { 7, 2, 9 };
	static const uint64_t cg[] = { 1001, 0, 1003 };
	static const struct l3_ir_counter_value ctrs[] = {
		{ "mail_refused", 5, 500 }, { "web_egress", 3, 300 },
	};
	struct l3_ir_listener lis[2] = { { .family = AF_INET, .port = 6000 },
					 { .family = AF_INET, .port = 5000 } };
	struct l3_ir_live live = { .ids = ids, .cgroup_ids = cg, .counters = ctrs,
				   .ncounters = 2, .listeners = lis, .nlisteners = 2 };
	struct l3_ir_opts o = l3t_opts;
	const struct l3_ir_counter *c;
	const struct l3_ir_set *s;
	struct l3t_built b;
	size_t i;

	inet_pton(AF_INET, "239.9.9.9", &lis[0].a.v4);
	inet_pton(AF_INET, "239.1.1.1", &lis[1].a.v4);	/* the policy has it already */
	o.live = &live;
	b = l3t_build_opts(l3t_policy, &o);
	for (i = 0; i < 3; i++) {
		ck_assert_uint_eq(l3_ir_ns_id(b.ir, &b.cfg->ns[i]), ids[i]);
		ck_assert_uint_eq(l3t_rule(l3_ir_find_chain(b.ir, L3_IR_CHAIN(b.ir, i)->name), 0)
					  ->s[0].mark_value, ids[i] << 16);
	}
	/* the policy is not written */
	ck_assert_uint_eq(b.cfg->ns[0].id, 1);
	s = l3t_set(b.ir, "cgroup_l2");
	ck_assert_uint_eq(s->elems.len, 1);
	ck_assert_uint_eq(l3t_elem(s, 0)->key[0].u.cg.id, 1001);
	ck_assert_uint_eq(b.ir->missing.len, 1);
	ck_assert_ptr_eq(((const struct l3_ns **)b.ir->missing.items)[0], &b.cfg->ns[1]);
	ck_assert_uint_eq(l3t_elem(l3t_set(b.ir, "member_l2"), 0)->key[0].u.mark, 7u << 16);
	c = b.ir->counters.items;
	for (i = 0; i < b.ir->counters.len; i++) {
		uint64_t want = !strcmp(c[i].name, "web_egress") ? 3
				: !strcmp(c[i].name, "mail_refused") ? 5 : 0;

		ck_assert_uint_eq(c[i].packets, want);
	}
	s = l3t_set(b.ir, L3_IR_SET_LISTEN4);
	ck_assert_str_eq(l3t_elem(s, s->elems.len - 1)->comment, "registered at run time");
	ck_assert_uint_eq(l3t_elem(s, s->elems.len - 1)->key[1].u.port, 6000);
	for (i = 0; i + 1 < s->elems.len; i++)
		ck_assert_ptr_nonnull(l3t_elem(s, i)->ns);
	l3t_free(&b);
}
END_TEST

/* The owned sets hold the policy's addresses, less the adopted ones; the
 * adopt flag comes from the mapping form of an address entry. */
START_TEST(test_owned_sets)
{
	struct l3t_built b = l3t_build("version: 1\nnamespaces:\n"
				       "  a:\n    addresses: [192.0.2.1/24, "
				       "{address: 192.0.2.2/24, adopt: true}, \"2001:db8::1/64\"]\n"
				       "  b:\n    addresses:\n      - {address: 2001:db8::2/64, adopt: false}\n");
	const struct l3_ir_set *s4 = l3t_set(b.ir, L3_IR_SET_OWNED4);
	const struct l3_ir_set *s6 = l3t_set(b.ir, L3_IR_SET_OWNED6);

	ck_assert(!b.cfg->ns[0].addrs[0].adopt);
	ck_assert(b.cfg->ns[0].addrs[1].adopt);
	ck_assert(!b.cfg->ns[1].addrs[0].adopt);
	ck_assert_uint_eq(s4->elems.len, 1);
	ck_assert_uint_eq(ntohl(l3t_elem(s4, 0)->key[0].u.v4.s_addr), 0xc0000201u);
	ck_assert_uint_eq(s6->elems.len, 2);
	/* the adopted address is still the namespace's for the table */
	ck_assert_uint_eq(l3t_set(b.ir, L3_IR_SET_DST4)->elems.len, 2);
	l3t_free(&b);
}
END_TEST

/* The one id allocator: explicit ids, then kept ones, then lowest free. */
START_TEST(test_cfg_ids_keep)
{
	struct l3_cfg *cfg = l3t_ok("version: 1\nmark_mask: 0x7\nnamespaces:\n"
				    "  a: {addresses: [192.0.2.1/24]}\n"
				    "  b: {id: 2, addresses: [192.0.2.2/24]}\n"
				    "  c: {addresses: [192.0.2.3/24]}\n"
				    "  d: {addresses: [192.0.2.4/24]}\n");
	static const uint32_t keep[] = { 5, 0, 2, 99 };
	uint32_t ids[4];
	size_t full = 0;

	ck_assert_int_eq(l3_cfg_ids(cfg, keep, ids, &full), 0);
	/* a keeps 5; b is explicit; c's 2 is taken, 99 is past the mask */
	ck_assert_uint_eq(ids[0], 5);
	ck_assert_uint_eq(ids[1], 2);
	ck_assert_uint_eq(ids[2], 1);
	ck_assert_uint_eq(ids[3], 3);
	ck_assert_int_eq(l3_cfg_ids(cfg, NULL, ids, &full), 0);
	ck_assert_uint_eq(ids[0], 1);
	ck_assert_uint_eq(ids[2], 3);
	ck_assert_uint_eq(ids[3], 4);
	l3_cfg_free(cfg);
}
END_TEST

/* expose: one element per exposed port, keyed mark . proto . port; a
 * namespace without expose is in neither set (everything exposed). */
START_TEST(test_expose)
{
	struct l3t_built b = l3t_build("version: 1\nnamespaces:\n"
				       "  a: {addresses: [192.0.2.1/24], expose: [80/tcp, 53/udp]}\n"
				       "  b: {addresses: [192.0.2.2/24], expose: []}\n"
				       "  c: {addresses: [192.0.2.3/24]}\n");
	const struct l3_ir_set *lim = l3t_set(b.ir, L3_IR_SET_EXPOSE_LIMITED);
	const struct l3_ir_set *ports = l3t_set(b.ir, L3_IR_SET_EXPOSED);
	const struct l3_ir_elem *e;

	ck_assert_int_eq(ports->nkey, 3);
	ck_assert_int_eq(ports->key[1], L3_T_PROTO);
	ck_assert_int_eq(ports->key[2], L3_T_PORT);
	ck_assert_uint_eq(lim->elems.len, 2);
	ck_assert_uint_eq(l3t_elem(lim, 1)->key[0].u.mark, l3_ir_ns_mark(b.ir, &b.cfg->ns[1]));
	ck_assert_uint_eq(ports->elems.len, 2);
	e = l3t_elem(ports, 1);
	ck_assert_uint_eq(e->key[0].u.mark, l3_ir_ns_mark(b.ir, &b.cfg->ns[0]));
	ck_assert_uint_eq(e->key[1].u.mark, IPPROTO_UDP);
	ck_assert_uint_eq(e->key[2].u.port, 53);
	ck_assert_int_eq(e->pos.line, 3);
	ck_assert(l3_cfg_ns_exposes(&b.cfg->ns[0], IPPROTO_TCP, 80));
	ck_assert(!l3_cfg_ns_exposes(&b.cfg->ns[0], IPPROTO_UDP, 80));
	ck_assert(!l3_cfg_ns_exposes(&b.cfg->ns[1], IPPROTO_TCP, 80));
	ck_assert(l3_cfg_ns_exposes(&b.cfg->ns[2], IPPROTO_TCP, 80));
	ck_assert_ptr_nonnull(l3_ir_find_chain(b.ir, "expose"));
	l3t_free(&b);
}
END_TEST

/* expose with from: one element per source prefix in the interval set of
 * its family, keyed mark . proto . port . prefix; the port is not in
 * `exposed` (open to everyone). */
START_TEST(test_expose_from)
{
	struct l3t_built b = l3t_build("version: 1\nnamespaces:\n"
				       "  a:\n    addresses: [192.0.2.1/24, 2001:db8::1/64]\n"
				       "    expose: [80/tcp, {port: 22/tcp, from: [198.51.100.0/24, "
				       "2001:db8:1::/48, 203.0.113.7]}]\n");
	const struct l3_ir_set *ports = l3t_set(b.ir, L3_IR_SET_EXPOSED);
	const struct l3_ir_set *f4 = l3t_set(b.ir, L3_IR_SET_EXPOSE_FROM4);
	const struct l3_ir_set *f6 = l3t_set(b.ir, L3_IR_SET_EXPOSE_FROM6);
	const struct l3_ir_elem *e;

	ck_assert_int_eq(f4->nkey, 4);
	ck_assert_int_eq(f4->key[3], L3_T_IPV4);
	ck_assert_int_eq(f6->key[3], L3_T_IPV6);
	ck_assert(f4->flags & L3_SET_INTERVAL);
	ck_assert(!(ports->flags & L3_SET_INTERVAL));
	ck_assert_uint_eq(ports->elems.len, 1);		/* 80/tcp only */
	ck_assert_uint_eq(f4->elems.len, 2);
	ck_assert_uint_eq(f6->elems.len, 1);
	e = l3t_elem(f4, 0);
	ck_assert_uint_eq(e->key[0].u.mark, l3_ir_ns_mark(b.ir, &b.cfg->ns[0]));
	ck_assert_uint_eq(e->key[1].u.mark, IPPROTO_TCP);
	ck_assert_uint_eq(e->key[2].u.port, 22);
	ck_assert_uint_eq(l3t_v4(&e->key[3]), 0xc6336400u);
	ck_assert_int_eq(e->plen, 24);
	ck_assert_int_eq(l3t_elem(f4, 1)->plen, 32);	/* a bare address: one host */
	e = l3t_elem(f6, 0);
	l3t_v6_eq(&e->key[3], "2001:db8:1::");
	ck_assert_int_eq(e->plen, 48);
	ck_assert(l3_cfg_ns_exposes(&b.cfg->ns[0], IPPROTO_TCP, 22));
	l3t_free(&b);
}
END_TEST

Suite *l3_suite_ir(void)
{
	Suite *s = suite_create("ir");
	TCase *tc = tcase_create("build");

	tcase_add_test(tc, test_sets_and_chains);
	tcase_add_test(tc, test_expose);
	tcase_add_test(tc, test_expose_from);
	tcase_add_test(tc, test_base_chains);
	tcase_add_test(tc, test_set_types);
	tcase_add_test(tc, test_element_counts);
	tcase_add_test(tc, test_marks);
	tcase_add_test(tc, test_marks_other_mask);
	tcase_add_test(tc, test_ids_auto);
	tcase_add_test(tc, test_live_inputs);
	tcase_add_test(tc, test_cfg_ids_keep);
	tcase_add_test(tc, test_owned_sets);
	tcase_add_test(tc, test_levels);
	tcase_add_test(tc, test_levels_root_level);
	tcase_add_test(tc, test_levels_too_many);
	tcase_add_test(tc, test_snat_first_of_family);
	tcase_add_test(tc, test_addresses);
	tcase_add_test(tc, test_listen_elements);
	tcase_add_test(tc, test_listen_subnets);
	tcase_add_test(tc, test_shared_and_ping);
	tcase_add_test(tc, test_counters);
	tcase_add_test(tc, test_queue);
	tcase_add_test(tc, test_empty_policy);
	tcase_add_test(tc, test_protocols);
	tcase_add_test(tc, test_quarantine);
	tcase_add_test(tc, test_no_opts);
	tcase_add_test(tc, test_dynamic_sets_only);
	tcase_add_test(tc, test_positions);
	suite_add_tcase(s, tc);
	return s;
}
