/*
 * IR → nft script. Written for people first: one fact per line, a comment
 * naming the namespace beside each element, stable order (the policy
 * file's). `nft -f` loads it and lists back the same table as `apply`.
 */
#include "config.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "l3nft/compiler/emit_text.h"

static const char *l3_text_type(enum l3_ir_type t)
{
	switch (t) {
	case L3_T_MARK:
		return "mark";
	case L3_T_IPV4:
		return "ipv4_addr";
	case L3_T_IPV6:
		return "ipv6_addr";
	case L3_T_CGROUP:
		return "cgroupsv2";
	case L3_T_PORT:
		return "inet_service";
	case L3_T_VERDICT:
		return "verdict";
	case L3_T_COUNTER:
		return "counter";
	case L3_T_IFINDEX:
		return "iface_index";
	case L3_T_PROTO:
		return "inet_proto";
	case L3_T_NONE:
		break;
	}
	return "?";
}

static const char *l3_text_verdict(enum l3_ir_verdict v)
{
	static const char *const names[] = {
		[L3_V_ACCEPT] = "accept", [L3_V_DROP] = "drop", [L3_V_RETURN] = "return",
		[L3_V_JUMP] = "jump", [L3_V_GOTO] = "goto",
	};
	return names[v];
}

/* IP protocols by the names nft lists them with. */
static const char *l3_text_proto(uint32_t v)
{
	static char num[12];

	switch (v) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "ipv6-icmp";
	case IPPROTO_UDPLITE:
		return "udplite";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_DCCP:
		return "dccp";
	default:
		snprintf(num, sizeof(num), "%" PRIu32, v);
		return num;
	}
}

void l3_emit_value(const struct l3_ir *ir, const struct l3_ir_value *v, char *buf,
		   size_t len)
{
	switch (v->type) {
	case L3_T_MARK:
		snprintf(buf, len, "0x%08" PRIx32, v->u.mark);
		return;
	case L3_T_IPV4:
		inet_ntop(AF_INET, &v->u.v4, buf, (socklen_t)len);
		return;
	case L3_T_IPV6:
		inet_ntop(AF_INET6, &v->u.v6, buf, (socklen_t)len);
		return;
	case L3_T_CGROUP:
		snprintf(buf, len, "\"%s%s\"", ir->cgroup_prefix, v->u.cg.path);
		return;
	case L3_T_PORT:
		snprintf(buf, len, "%u", v->u.port);
		return;
	case L3_T_VERDICT:
		if (v->u.verdict.chain)
			snprintf(buf, len, "%s %s", l3_text_verdict(v->u.verdict.code),
				 v->u.verdict.chain);
		else
			snprintf(buf, len, "%s", l3_text_verdict(v->u.verdict.code));
		return;
	case L3_T_COUNTER:
		snprintf(buf, len, "\"%s\"", v->u.obj);
		return;
	case L3_T_IFINDEX:
		if (v->u.mark == 1)
			snprintf(buf, len, "\"lo\"");
		else
			snprintf(buf, len, "%" PRIu32, v->u.mark);
		return;
	case L3_T_PROTO:
		snprintf(buf, len, "%s", l3_text_proto(v->u.mark));
		return;
	case L3_T_NONE:
		break;
	}
	snprintf(buf, len, "?");
}

static void l3_text_expr(const struct l3_ir_expr *e, FILE *out)
{
	static const char *const names[] = {
		[L3_SEL_MARK] = "meta mark",
		[L3_SEL_SOCKET_CGROUP] = "socket cgroupv2",
		[L3_SEL_IP_SADDR] = "ip saddr",
		[L3_SEL_IP_DADDR] = "ip daddr",
		[L3_SEL_IP6_SADDR] = "ip6 saddr",
		[L3_SEL_IP6_DADDR] = "ip6 daddr",
		[L3_SEL_UDP_DPORT] = "udp dport",
		[L3_SEL_OIF] = "oif",
		[L3_SEL_CT_STATE] = "ct state",
		[L3_SEL_L4PROTO] = "meta l4proto",
		[L3_SEL_NFPROTO] = "meta nfproto",
		[L3_SEL_ICMP_TYPE] = "icmp type",
		[L3_SEL_ICMPV6_TYPE] = "icmpv6 type",
		[L3_SEL_CT_MARK] = "ct mark",
		[L3_SEL_CT_STATUS] = "ct status",
		[L3_SEL_CT_DIRECTION] = "ct direction",
		[L3_SEL_IIF] = "iif",
		[L3_SEL_SOCKET_WILDCARD] = "socket wildcard",
		[L3_SEL_SOCKET_TRANSPARENT] = "socket transparent",
		[L3_SEL_TH_DPORT] = "th dport",
	};

	fputs(names[e->sel], out);
	if ((e->sel == L3_SEL_MARK || e->sel == L3_SEL_CT_MARK) && e->mask)
		fprintf(out, " and 0x%08" PRIx32, e->mask);
	if (e->sel == L3_SEL_SOCKET_CGROUP)
		fprintf(out, " level %d", e->level);
}

static void l3_text_key(const struct l3_ir_key *k, FILE *out)
{
	int i;

	for (i = 0; i < k->n; i++) {
		if (i)
			fputs(" . ", out);
		l3_text_expr(&k->e[i], out);
	}
}

/* Small integers by the names nft lists them with. */
static void l3_text_small(enum l3_ir_sel sel, uint32_t v, FILE *out)
{
	const char *s = NULL;

	switch (sel) {
	case L3_SEL_L4PROTO:
		s = l3_text_proto(v);
		break;
	case L3_SEL_NFPROTO:
		s = v == 2 ? "ipv4" : v == 10 ? "ipv6" : NULL;
		break;
	case L3_SEL_ICMP_TYPE:
		s = v == 8 ? "echo-request" : v == 0 ? "echo-reply" : NULL;
		break;
	case L3_SEL_ICMPV6_TYPE:
		s = v == 128 ? "echo-request" : v == 129 ? "echo-reply" : v == 135 ? "nd-neighbor-solicit"
		    : v == 136 ? "nd-neighbor-advert" : NULL;
		break;
	case L3_SEL_CT_STATE:
		s = v == L3_CT_ESTABLISHED ? "established" : v == L3_CT_RELATED ? "related" : NULL;
		break;
	case L3_SEL_CT_STATUS:
		s = v == L3_CT_STATUS_CONFIRMED ? "confirmed" : NULL;
		break;
	case L3_SEL_CT_DIRECTION:
		s = v == L3_CT_DIR_ORIGINAL ? "original" : v == L3_CT_DIR_REPLY ? "reply" : NULL;
		break;
	default:
		break;
	}
	if (s)
		fputs(s, out);
	else
		fprintf(out, "%" PRIu32, v);
}

static bool l3_text_bitset(enum l3_ir_sel sel)
{
	return sel == L3_SEL_CT_STATE || sel == L3_SEL_CT_STATUS;
}

static void l3_text_list(const struct l3_ir_match *m, FILE *out)
{
	const bool bits = l3_text_bitset(m->key.e[0].sel);
	int i;

	/* a bit set is "established,related"; none of its bits: "& x == 0" */
	if (m->inv && !bits)
		fputs(" !=", out);
	fputs(bits && m->inv ? " & " : m->nlist > 1 && !bits ? " { " : " ", out);
	for (i = 0; i < m->nlist; i++) {
		if (i)
			fputs(bits ? "," : ", ", out);
		l3_text_small(m->key.e[0].sel, m->list[i], out);
	}
	if (m->nlist > 1 && !bits)
		fputs(" }", out);
	if (bits && m->inv)
		fputs(" == 0", out);
}

static void l3_text_match(const struct l3_ir *ir, const struct l3_ir_match *m, FILE *out)
{
	char buf[INET6_ADDRSTRLEN + 64];

	l3_text_key(&m->key, out);
	switch (m->op) {
	case L3_OP_EQ:
		l3_emit_value(ir, &m->val, buf, sizeof(buf));
		fprintf(out, " %s %s", m->inv ? "!=" : "==", buf);
		break;
	case L3_OP_PREFIX:
		l3_emit_value(ir, &m->val, buf, sizeof(buf));
		fprintf(out, " %s/%d", buf, m->plen);
		break;
	case L3_OP_IN_LIST:
		l3_text_list(m, out);
		break;
	case L3_OP_IN_SET:
		fprintf(out, "%s @%s", m->inv ? " !=" : "", m->set);
		break;
	}
}

static void l3_text_stmt(const struct l3_ir *ir, const struct l3_ir_stmt *s, FILE *out)
{
	char buf[128];

	switch (s->kind) {
	case L3_STMT_MARK_SET:
		if (s->mark_value)
			fprintf(out, "meta mark set meta mark and 0x%08" PRIx32 " or 0x%08" PRIx32,
				~s->mark_mask, s->mark_value);
		else
			fprintf(out, "meta mark set meta mark and 0x%08" PRIx32, ~s->mark_mask);
		break;
	case L3_STMT_CT_MARK_SET:
		if (s->mark_value)
			fprintf(out, "ct mark set ct mark and 0x%08" PRIx32 " or 0x%08" PRIx32,
				~s->mark_mask, s->mark_value);
		else
			fprintf(out, "ct mark set ct mark and 0x%08" PRIx32, ~s->mark_mask);
		break;
	case L3_STMT_VMAP:
		l3_text_key(&s->key, out);
		fprintf(out, " vmap @%s", s->set);
		break;
	case L3_STMT_COUNTER_NAMED:
		fprintf(out, "counter name \"%s\"", s->name);
		break;
	case L3_STMT_COUNTER_MAP:
		fputs("counter name ", out);
		l3_text_key(&s->key, out);
		fprintf(out, " map @%s", s->set);
		break;
	case L3_STMT_SNAT_MAP:
		fprintf(out, "snat %s to ", s->family == AF_INET ? "ip" : "ip6");
		l3_text_key(&s->key, out);
		fprintf(out, " map @%s", s->set);
		break;
	case L3_STMT_QUEUE:
		fprintf(out, "queue num %u%s", s->queue_num, s->queue_bypass ? " bypass" : "");
		break;
	case L3_STMT_REJECT_TCP_RESET:
		fputs("reject with tcp reset", out);
		break;
	case L3_STMT_REJECT_PORT:
		fputs("reject with icmpx port-unreachable", out);
		break;
	case L3_STMT_REJECT_ADMIN:
		fputs("reject with icmpx admin-prohibited", out);
		break;
	case L3_STMT_VERDICT:
		l3_emit_value(ir, &s->verdict, buf, sizeof(buf));
		fputs(buf, out);
		break;
	case L3_STMT_LIMIT:
		fprintf(out, "limit rate %" PRIu32 "/minute burst %" PRIu32 " packets",
			s->limit_per_minute, s->limit_burst);
		break;
	case L3_STMT_LOG:
		/* the prefix is "l3nft refused NAME: ", NAME from [a-z0-9_-] */
		fprintf(out, "log prefix \"%s\" level info", s->log_prefix);
		break;
	}
}

static bool l3_rule_queues(const struct l3_ir_rule *r)
{
	int i;

	for (i = 0; i < r->ns; i++)
		if (r->s[i].kind == L3_STMT_QUEUE)
			return true;
	return false;
}

void l3_emit_rule(const struct l3_ir *ir, const struct l3_ir_rule *r, FILE *out)
{
	int i;

	for (i = 0; i < r->nm; i++) {
		l3_text_match(ir, &r->m[i], out);
		fputc(' ', out);
	}
	for (i = 0; i < r->ns; i++) {
		if (i)
			fputc(' ', out);
		l3_text_stmt(ir, &r->s[i], out);
	}
}

static void l3_text_rule(const struct l3_ir *ir, const struct l3_ir_rule *r, FILE *out)
{

	if (r->comment)
		fprintf(out, "\t\t# %s\n", r->comment);
	/* say once what apply does differently on kernels without nft_queue */
	if (l3_rule_queues(r) && r->comment)
		fputs("\t\t# On a kernel without nft's queue expression (CONFIG_NFT_QUEUE off),\n"
		      "\t\t# `l3nft apply` loads the xt NFQUEUE target in its place, with the\n"
		      "\t\t# same number and bypass flag; nft 1.0 then lists these two rules\n"
		      "\t\t# without their queue statement, and `nft -f` of this text fails.\n",
		      out);
	fputs("\t\t", out);
	l3_emit_rule(ir, r, out);
	fputc('\n', out);
}

static const char *l3_text_hook(enum l3_ir_hook h)
{
	static const char *const names[] = {
		[L3_HOOK_NONE] = "", [L3_HOOK_PREROUTING] = "prerouting",
		[L3_HOOK_INPUT] = "input", [L3_HOOK_OUTPUT] = "output",
		[L3_HOOK_POSTROUTING] = "postrouting",
	};
	return names[h];
}

static void l3_text_chain(const struct l3_ir *ir, const struct l3_ir_chain *c, FILE *out)
{
	static const char *const types[] = { "filter", "route", "nat" };
	size_t i;

	if (c->comment)
		fprintf(out, "\t# %s\n", c->comment);
	fprintf(out, "\tchain %s {\n", c->name);
	if (c->hook != L3_HOOK_NONE)
		fprintf(out, "\t\ttype %s hook %s priority %d; policy accept;\n", types[c->type],
			l3_text_hook(c->hook), c->prio);
	for (i = 0; i < c->rules.len; i++)
		l3_text_rule(ir, (const struct l3_ir_rule *)c->rules.items + i, out);
	fputs("\t}\n\n", out);
}

static void l3_text_elem(const struct l3_ir *ir, const struct l3_ir_set *s,
			 const struct l3_ir_elem *e, bool last, FILE *out)
{
	/* a cgroup value is the mount prefix (up to a path) plus the path */
	char buf[4096 + L3_CGROUP_PATH_MAX + 64];
	int i;

	fputs("\t\t\t", out);
	for (i = 0; i < s->nkey; i++) {
		l3_emit_value(ir, &e->key[i], buf, sizeof(buf));
		fprintf(out, "%s%s", i ? " . " : "", buf);
	}
	if (s->flags & L3_SET_INTERVAL)
		fprintf(out, "/%d", e->plen);
	if (s->flags & L3_SET_MAP) {
		l3_emit_value(ir, &e->data, buf, sizeof(buf));
		fprintf(out, " : %s", buf);
	}
	if (!last)
		fputc(',', out);
	if (e->comment)
		fprintf(out, "\t# %s", e->comment);
	fputc('\n', out);
}

static void l3_text_set(const struct l3_ir *ir, const struct l3_ir_set *s, FILE *out)
{
	const struct l3_ir_elem *e = s->elems.items;
	size_t i;
	int k;

	if (s->comment)
		fprintf(out, "\t# %s\n", s->comment);
	fprintf(out, "\t%s %s {\n\t\ttype %s", s->flags & L3_SET_MAP ? "map" : "set", s->name,
		l3_text_type(s->key[0]));
	for (k = 1; k < s->nkey; k++)
		fprintf(out, " . %s", l3_text_type(s->key[k]));
	if (s->flags & L3_SET_MAP)
		fprintf(out, " : %s", l3_text_type(s->data));
	fputs("\n", out);
	if (s->flags & L3_SET_INTERVAL)
		fputs("\t\tflags interval\n", out);
	if (s->elems.len) {
		fputs("\t\telements = {\n", out);
		for (i = 0; i < s->elems.len; i++)
			l3_text_elem(ir, s, &e[i], i + 1 == s->elems.len, out);
		fputs("\t\t}\n", out);
	}
	fputs("\t}\n\n", out);
}

static void l3_text_header(const struct l3_ir *ir, FILE *out)
{
	const char *base = strrchr(ir->cfg->file, '/');
	char name[256];
	size_t i;

	/* the file name is the one thing here not validated by the loader: a
	 * newline in it must not start a line of nft script */
	base = base ? base + 1 : ir->cfg->file;
	for (i = 0; base[i] && i + 1 < sizeof(name); i++)
		name[i] = base[i] >= 0x20 && base[i] < 0x7f ? base[i] : '?';
	name[i] = '\0';

	fprintf(out,
		"#!/usr/sbin/nft -f\n"
		"# Generated by l3nft from %s. Edit the policy and run `l3nft apply`;\n"
		"# hand edits to this table are replaced by the next apply.\n"
		"#\n"
		"# Marks: mark_mask 0x%08" PRIx32 "; a namespace's mark is its id shifted into\n"
		"# the mask. Bits outside the mask are never changed.\n"
		"# Loading this with `nft -f` needs every cgroup named below to exist;\n"
		"# `l3nft apply` leaves missing ones out and l3nftd adds them later.\n"
		"\n"
		"# Replace the table atomically: create it if missing, then delete and\n"
		"# redefine it, all in the one transaction that `nft -f` sends.\n"
		"table inet %s\n"
		"delete table inet %s\n"
		"\n"
		"table inet %s {\n",
		name, ir->cfg->mark_mask, ir->table, ir->table,
		ir->table);
}

int l3_emit_text(const struct l3_ir *ir, FILE *out)
{
	const struct l3_ir_counter *c = ir->counters.items;
	size_t i;

	l3_text_header(ir, out);
	fprintf(out, "\tcomment \"%s\"\n\n", L3_IR_TABLE_COMMENT);
	fputs("\t# Counters: NAME_egress counts the connections and flows translated to\n"
	      "\t# namespace NAME's address, NAME_accepted the packets accepted for its\n"
	      "\t# sockets, NAME_refused the packets refused to it (foreign socket, no\n"
	      "\t# socket, no ping); host_refused and loopback_refused count the host's\n"
	      "\t# and shared loopback traffic refused to namespace sockets, not_owner\n"
	      "\t# the packets of a connection sent or received by another than its\n"
	      "\t# owner, loopback_martian loopback addresses from outside lo, and\n"
	      "\t# protocol_refused protocols a namespace's policy does not list.\n", out);
	for (i = 0; i < ir->counters.len; i++)
		fprintf(out, "\tcounter %s { }\n", c[i].name);
	fputc('\n', out);
	for (i = 0; i < ir->sets.len; i++)
		l3_text_set(ir, L3_IR_SET(ir, i), out);
	for (i = 0; i < ir->chains.len; i++)
		l3_text_chain(ir, L3_IR_CHAIN(ir, i), out);
	fputs("}\n", out);
	fflush(out);
	return ferror(out) ? -1 : 0;
}

int l3_emit_defines(const struct l3_ir *ir, FILE *out)
{
	size_t i;

	fprintf(out, "# The namespace marks of table inet %s, for rules of your own in a\n"
		     "# table of your own: include this file, then match a namespace with\n"
		     "#   meta mark and $l3_mask == $l3_NAME\n", ir->table);
	fprintf(out, "define l3_mask = 0x%08x\n", ir->cfg->mark_mask);
	for (i = 0; i < ir->cfg->nns; i++)
		fprintf(out, "define l3_%s = 0x%08x\n", ir->cfg->ns[i].name,
			l3_ir_ns_mark(ir, &ir->cfg->ns[i]));
	fflush(out);
	return ferror(out) ? -1 : 0;
}
