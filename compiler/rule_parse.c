/*
 * libnftnl rule → IR rule, the netlink emitter read backwards (see
 * rule_parse.h). Each reader below mirrors one writer of emit_nl.c and
 * accepts only what that writer produces; the first expression none of
 * them knows ends the reading with "not ours".
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include "l3nft/compiler/rule_parse.h"

#define L3_RP_MAX 64	/* more expressions than any rule the emitter writes */

struct l3_rp {
	struct nftnl_expr *e[L3_RP_MAX];
	int n, i;		/* expressions, the next one to read */
	int nfproto;		/* the family already matched, as the emitter tracks it */
	uint32_t l4proto;	/* the protocol matched last, 0 if none */
	struct l3_ir_rule *r;
	struct l3_nl_features *f;
};

static int l3_rp_collect(struct nftnl_expr *e, void *data)
{
	struct l3_rp *p = data;

	if (p->n == L3_RP_MAX)
		return -1;
	p->e[p->n++] = e;
	return 0;
}

static bool l3_rp_is(const struct l3_rp *p, int k, const char *name)
{
	const char *s = k < p->n ? nftnl_expr_get_str(p->e[k], NFTNL_EXPR_NAME) : NULL;

	return s && !strcmp(s, name);
}

static uint32_t l3_rp_u32(const struct l3_rp *p, int k, uint16_t attr)
{
	return nftnl_expr_is_set(p->e[k], attr) ? nftnl_expr_get_u32(p->e[k], attr) : UINT32_MAX;
}

/* The 4-byte mask of a bitwise expression on @reg with a zero xor
 * (@xor NULL) or any xor (stored in *@xor); false if it is not one. */
static bool l3_rp_bitwise(const struct l3_rp *p, int k, uint32_t reg, uint32_t *mask,
			  uint32_t *xor)
{
	const void *m, *x;
	uint32_t mlen = 0, xlen = 0, xv;

	if (!l3_rp_is(p, k, "bitwise") || l3_rp_u32(p, k, NFTNL_EXPR_BITWISE_SREG) != reg ||
	    l3_rp_u32(p, k, NFTNL_EXPR_BITWISE_DREG) != reg ||
	    l3_rp_u32(p, k, NFTNL_EXPR_BITWISE_LEN) != 4 ||
	    !(m = nftnl_expr_get(p->e[k], NFTNL_EXPR_BITWISE_MASK, &mlen)) || mlen != 4 ||
	    !(x = nftnl_expr_get(p->e[k], NFTNL_EXPR_BITWISE_XOR, &xlen)) || xlen != 4)
		return false;
	memcpy(mask, m, 4);
	memcpy(&xv, x, 4);
	if (xor)
		*xor = xv;
	return xor || xv == 0;
}

/* The byteorder expression the emitter puts after a key field of an
 * interval set's lookup (emit_nl.c l3_nl_key_range): nft compares range
 * keys as big-endian numbers. Only that exact form is taken as such. */
static bool l3_rp_range_hton(const struct l3_rp *p, int k, uint32_t reg, enum l3_ir_sel sel)
{
	const uint32_t size = sel == L3_SEL_MARK ? 4 : sel == L3_SEL_L4PROTO ? 2 : 0;

	return size && l3_rp_is(p, k, "byteorder") &&
	       l3_rp_u32(p, k, NFTNL_EXPR_BYTEORDER_SREG) == reg &&
	       l3_rp_u32(p, k, NFTNL_EXPR_BYTEORDER_DREG) == reg &&
	       l3_rp_u32(p, k, NFTNL_EXPR_BYTEORDER_OP) == NFT_BYTEORDER_HTON &&
	       l3_rp_u32(p, k, NFTNL_EXPR_BYTEORDER_SIZE) == size &&
	       l3_rp_u32(p, k, NFTNL_EXPR_BYTEORDER_LEN) == (sel == L3_SEL_MARK ? 4u : 1u);
}

/* ---- selectors (l3_nl_load) ---- */

static uint32_t l3_rp_meta(struct l3_rp *p, struct l3_ir_expr *x)
{
	switch (l3_rp_u32(p, p->i, NFTNL_EXPR_META_KEY)) {
	case NFT_META_MARK:
		x->sel = L3_SEL_MARK;
		return 4;
	case NFT_META_OIF:
		x->sel = L3_SEL_OIF;
		return 4;
	case NFT_META_IIF:
		x->sel = L3_SEL_IIF;
		return 4;
	case NFT_META_L4PROTO:
		x->sel = L3_SEL_L4PROTO;
		return 1;
	case NFT_META_NFPROTO:
		x->sel = L3_SEL_NFPROTO;
		return 1;
	default:
		return 0;
	}
}

static uint32_t l3_rp_ct(struct l3_rp *p, struct l3_ir_expr *x)
{
	switch (l3_rp_u32(p, p->i, NFTNL_EXPR_CT_KEY)) {
	case NFT_CT_STATE:
		x->sel = L3_SEL_CT_STATE;
		return 4;
	case NFT_CT_STATUS:
		x->sel = L3_SEL_CT_STATUS;
		return 4;
	case NFT_CT_DIRECTION:
		x->sel = L3_SEL_CT_DIRECTION;
		return 1;
	case NFT_CT_MARK:
		x->sel = L3_SEL_CT_MARK;
		return 4;
	default:
		return 0;
	}
}

static uint32_t l3_rp_socket(struct l3_rp *p, struct l3_ir_expr *x)
{
	switch (l3_rp_u32(p, p->i, NFTNL_EXPR_SOCKET_KEY)) {
	case NFT_SOCKET_CGROUPV2:
		x->sel = L3_SEL_SOCKET_CGROUP;
		x->level = (int)l3_rp_u32(p, p->i, NFTNL_EXPR_SOCKET_LEVEL);
		return 8;
	case NFT_SOCKET_WILDCARD:
		x->sel = L3_SEL_SOCKET_WILDCARD;
		return 1;
	case NFT_SOCKET_TRANSPARENT:
		x->sel = L3_SEL_SOCKET_TRANSPARENT;
		return 1;
	default:
		return 0;
	}
}

/* A header field; *@plen (when not NULL) gets a prefix length for a load
 * of an address's leading bytes. */
static uint32_t l3_rp_payload(struct l3_rp *p, struct l3_ir_expr *x, int *plen)
{
	const uint32_t base = l3_rp_u32(p, p->i, NFTNL_EXPR_PAYLOAD_BASE);
	const uint32_t off = l3_rp_u32(p, p->i, NFTNL_EXPR_PAYLOAD_OFFSET);
	const uint32_t len = l3_rp_u32(p, p->i, NFTNL_EXPR_PAYLOAD_LEN);
	const bool v6 = p->nfproto == NFPROTO_IPV6;
	uint32_t full;

	if (base == NFT_PAYLOAD_TRANSPORT_HEADER && off == 2 && len == 2) {
		x->sel = p->l4proto == IPPROTO_UDP ? L3_SEL_UDP_DPORT : L3_SEL_TH_DPORT;
		return 2;
	}
	if (base == NFT_PAYLOAD_TRANSPORT_HEADER && off == 0 && len == 1) {
		x->sel = v6 || p->l4proto == IPPROTO_ICMPV6 ? L3_SEL_ICMPV6_TYPE : L3_SEL_ICMP_TYPE;
		return 1;
	}
	if (base != NFT_PAYLOAD_NETWORK_HEADER || !p->nfproto)
		return 0;
	if (!v6 && (off == 12 || off == 16))
		x->sel = off == 12 ? L3_SEL_IP_SADDR : L3_SEL_IP_DADDR;
	else if (v6 && (off == 8 || off == 24))
		x->sel = off == 8 ? L3_SEL_IP6_SADDR : L3_SEL_IP6_DADDR;
	else
		return 0;
	full = v6 ? 16 : 4;
	if (len == full)
		return len;
	if (!plen || len == 0 || len > full)
		return 0;
	*plen = (int)len * 8;
	return len;
}

/* One selector loaded into @reg at the cursor (with its mask); its
 * length in bytes, 0 when the cursor is at none. */
static uint32_t l3_rp_load(struct l3_rp *p, uint32_t reg, struct l3_ir_expr *x, int *plen)
{
	uint32_t len = 0, dreg = UINT32_MAX, mask;

	memset(x, 0, sizeof(*x));
	if (p->i >= p->n)
		return 0;
	if (l3_rp_is(p, p->i, "meta") && (dreg = l3_rp_u32(p, p->i, NFTNL_EXPR_META_DREG)) == reg)
		len = l3_rp_meta(p, x);
	else if (l3_rp_is(p, p->i, "ct") && (dreg = l3_rp_u32(p, p->i, NFTNL_EXPR_CT_DREG)) == reg)
		len = l3_rp_ct(p, x);
	else if (l3_rp_is(p, p->i, "socket") &&
		 (dreg = l3_rp_u32(p, p->i, NFTNL_EXPR_SOCKET_DREG)) == reg)
		len = l3_rp_socket(p, x);
	else if (l3_rp_is(p, p->i, "payload") &&
		 (dreg = l3_rp_u32(p, p->i, NFTNL_EXPR_PAYLOAD_DREG)) == reg)
		len = l3_rp_payload(p, x, plen);
	if (!len)
		return 0;
	p->i++;
	if ((x->sel == L3_SEL_MARK || x->sel == L3_SEL_CT_MARK) &&
	    l3_rp_bitwise(p, p->i, reg, &mask, NULL) && mask) {
		x->mask = mask;
		p->i++;
	}
	/* re-emitted for the same set, the rule gets it back: the lookup's
	 * set decides, so a byteorder before another set's lookup differs */
	if (l3_rp_range_hton(p, p->i, reg, x->sel))
		p->i++;
	return len;
}

/* The register of a concatenation field @words 32-bit words in (as
 * emit_nl.c's l3_nl_reg). */
static uint32_t l3_rp_reg(uint32_t words)
{
	return words % 4 == 0 ? NFT_REG_1 + words / 4 : NFT_REG32_00 + words;
}

static int l3_rp_key(struct l3_rp *p, struct l3_ir_key *k, int *plen)
{
	uint32_t words = 0, len;

	k->n = 0;
	while (k->n < L3_IR_KEY_MAX &&
	       (len = l3_rp_load(p, l3_rp_reg(words), &k->e[k->n], k->n ? NULL : plen))) {
		words += (len + 3) / 4;
		k->n++;
		if (plen && *plen)
			break;
	}
	return k->n ? 0 : -1;
}

/* ---- matches (l3_nl_match) ---- */

static bool l3_rp_small(enum l3_ir_sel sel)
{
	return sel == L3_SEL_L4PROTO || sel == L3_SEL_NFPROTO || sel == L3_SEL_ICMP_TYPE ||
	       sel == L3_SEL_ICMPV6_TYPE || sel == L3_SEL_CT_DIRECTION ||
	       sel == L3_SEL_SOCKET_WILDCARD || sel == L3_SEL_SOCKET_TRANSPARENT;
}

/* The operand of "key == value" as the emitter writes it. */
static int l3_rp_value(enum l3_ir_sel sel, const uint8_t *d, uint32_t len,
		       struct l3_ir_value *v)
{
	uint16_t port;

	memset(v, 0, sizeof(*v));
	if ((sel == L3_SEL_MARK || sel == L3_SEL_CT_MARK || sel == L3_SEL_OIF ||
	     sel == L3_SEL_IIF) && len == 4) {
		v->type = sel == L3_SEL_OIF || sel == L3_SEL_IIF ? L3_T_IFINDEX : L3_T_MARK;
		memcpy(&v->u.mark, d, 4);
	} else if ((sel == L3_SEL_IP_SADDR || sel == L3_SEL_IP_DADDR) && len == 4) {
		v->type = L3_T_IPV4;
		memcpy(&v->u.v4, d, 4);
	} else if ((sel == L3_SEL_IP6_SADDR || sel == L3_SEL_IP6_DADDR) && len == 16) {
		v->type = L3_T_IPV6;
		memcpy(&v->u.v6, d, 16);
	} else if ((sel == L3_SEL_UDP_DPORT || sel == L3_SEL_TH_DPORT) && len == 2) {
		v->type = L3_T_PORT;
		memcpy(&port, d, 2);
		v->u.port = ntohs(port);
	} else {
		return -1;	/* a cgroup's id: its path is not in the rule */
	}
	return 0;
}

/* "key OP value", "key addr/plen" or "key small": a cmp after the key. */
static int l3_rp_cmp(struct l3_rp *p, struct l3_ir_match *m, int plen)
{
	const uint32_t op = l3_rp_u32(p, p->i, NFTNL_EXPR_CMP_OP);
	const uint8_t *d;
	uint32_t len = 0;

	if (l3_rp_u32(p, p->i, NFTNL_EXPR_CMP_SREG) != NFT_REG_1 ||
	    (op != NFT_CMP_EQ && op != NFT_CMP_NEQ) || m->key.n != 1 ||
	    !(d = nftnl_expr_get(p->e[p->i], NFTNL_EXPR_CMP_DATA, &len)))
		return -1;
	p->i++;
	m->inv = op == NFT_CMP_NEQ;
	if (plen) {
		m->op = L3_OP_PREFIX;
		m->plen = plen;
		m->val.type = m->key.e[0].sel == L3_SEL_IP_SADDR ||
			      m->key.e[0].sel == L3_SEL_IP_DADDR ? L3_T_IPV4 : L3_T_IPV6;
		memcpy(&m->val.u, d, len * 8 == (uint32_t)plen ? len : 0);
		return !m->inv && len * 8 == (uint32_t)plen ? 0 : -1;
	}
	if (l3_rp_small(m->key.e[0].sel) && len == 1) {
		m->op = L3_OP_IN_LIST;
		m->list[0] = d[0];
		m->nlist = 1;
		if (m->key.e[0].sel == L3_SEL_NFPROTO)
			p->nfproto = d[0];
		if (m->key.e[0].sel == L3_SEL_L4PROTO && !m->inv)
			p->l4proto = d[0];
		return 0;
	}
	m->op = L3_OP_EQ;
	return l3_rp_value(m->key.e[0].sel, d, len, &m->val);
}

/* "ct state established,related": a bit mask and a compare with zero. */
static int l3_rp_bits(struct l3_rp *p, struct l3_ir_match *m)
{
	const enum l3_ir_sel sel = m->key.e[0].sel;
	uint32_t bits, bit, zero = 0, len = 0, op;
	const void *d;

	if (m->key.n != 1 || (sel != L3_SEL_CT_STATE && sel != L3_SEL_CT_STATUS) ||
	    !l3_rp_bitwise(p, p->i, NFT_REG_1, &bits, NULL) || !bits ||
	    !l3_rp_is(p, p->i + 1, "cmp") ||
	    l3_rp_u32(p, p->i + 1, NFTNL_EXPR_CMP_SREG) != NFT_REG_1 ||
	    !(d = nftnl_expr_get(p->e[p->i + 1], NFTNL_EXPR_CMP_DATA, &len)) || len != 4 ||
	    memcmp(d, &zero, 4))
		return -1;
	op = l3_rp_u32(p, p->i + 1, NFTNL_EXPR_CMP_OP);
	if (op != NFT_CMP_EQ && op != NFT_CMP_NEQ)
		return -1;
	m->op = L3_OP_IN_LIST;
	m->inv = op == NFT_CMP_EQ;
	for (bit = 1; bit && m->nlist < L3_IR_LIST_MAX; bit <<= 1)
		if (bits & bit)
			m->list[m->nlist++] = bit;
	p->i += 2;
	return 0;
}

/* ---- statements (l3_nl_stmt) ---- */

static struct l3_ir_stmt *l3_rp_stmt(struct l3_rp *p, enum l3_ir_stmt_kind kind)
{
	struct l3_ir_stmt *s;

	if (p->r->ns == L3_IR_STMT_MAX)
		return NULL;
	s = &p->r->s[p->r->ns++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	return s;
}

/* "meta mark set meta mark and M or V" (or ct mark): load, bitwise, store. */
static int l3_rp_mark_set(struct l3_rp *p)
{
	const bool ct = l3_rp_is(p, p->i, "ct");
	const uint16_t key = ct ? NFTNL_EXPR_CT_KEY : NFTNL_EXPR_META_KEY;
	const uint32_t mark = ct ? NFT_CT_MARK : NFT_META_MARK;
	const char *name = ct ? "ct" : "meta";
	struct l3_ir_stmt *s;
	uint32_t mask, xor;

	if ((!ct && !l3_rp_is(p, p->i, "meta")) || l3_rp_u32(p, p->i, key) != mark ||
	    l3_rp_u32(p, p->i, ct ? NFTNL_EXPR_CT_DREG : NFTNL_EXPR_META_DREG) != NFT_REG_1 ||
	    !l3_rp_bitwise(p, p->i + 1, NFT_REG_1, &mask, &xor) ||
	    !l3_rp_is(p, p->i + 2, name) || l3_rp_u32(p, p->i + 2, key) != mark ||
	    l3_rp_u32(p, p->i + 2, ct ? NFTNL_EXPR_CT_SREG : NFTNL_EXPR_META_SREG) != NFT_REG_1)
		return 1;
	if (!(s = l3_rp_stmt(p, ct ? L3_STMT_CT_MARK_SET : L3_STMT_MARK_SET)))
		return -1;
	s->mark_mask = ~mask;
	s->mark_value = xor;
	p->i += 3;
	return 0;
}

static int l3_rp_verdict(struct l3_rp *p, struct l3_ir_stmt *s)
{
	const struct nftnl_expr *e = p->e[p->i];
	const int code = (int)l3_rp_u32(p, p->i, NFTNL_EXPR_IMM_VERDICT);

	if (l3_rp_u32(p, p->i, NFTNL_EXPR_IMM_DREG) != NFT_REG_VERDICT)
		return -1;
	s->verdict.type = L3_T_VERDICT;
	switch (code) {
	case NF_ACCEPT:
		s->verdict.u.verdict.code = L3_V_ACCEPT;
		break;
	case NF_DROP:
		s->verdict.u.verdict.code = L3_V_DROP;
		break;
	case NFT_RETURN:
		s->verdict.u.verdict.code = L3_V_RETURN;
		break;
	case NFT_JUMP:
	case NFT_GOTO:
		s->verdict.u.verdict.code = code == NFT_JUMP ? L3_V_JUMP : L3_V_GOTO;
		s->verdict.u.verdict.chain = nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN);
		return s->verdict.u.verdict.chain ? 0 : -1;
	default:
		return -1;
	}
	return 0;
}

static int l3_rp_reject(struct l3_rp *p, struct l3_ir_stmt *s)
{
	const uint32_t type = l3_rp_u32(p, p->i, NFTNL_EXPR_REJECT_TYPE);
	const uint8_t code = nftnl_expr_get_u8(p->e[p->i], NFTNL_EXPR_REJECT_CODE);

	if (type == NFT_REJECT_TCP_RST && code == 0)
		s->kind = L3_STMT_REJECT_TCP_RESET;
	else if (type == NFT_REJECT_ICMPX_UNREACH && code == NFT_REJECT_ICMPX_PORT_UNREACH)
		s->kind = L3_STMT_REJECT_PORT;
	else if (type == NFT_REJECT_ICMPX_UNREACH && code == NFT_REJECT_ICMPX_ADMIN_PROHIBITED)
		s->kind = L3_STMT_REJECT_ADMIN;
	else
		return -1;
	return 0;
}

/* nft's queue, or the xt NFQUEUE target apply loads in its place. */
static int l3_rp_queue(struct l3_rp *p, struct l3_ir_stmt *s)
{
	const struct nftnl_expr *e = p->e[p->i];
	const struct xt_NFQ_info_v3 *info;
	struct xt_NFQ_info_v3 q = { 0 };
	const char *tg;
	uint32_t len = 0;

	s->kind = L3_STMT_QUEUE;
	p->f->native_queue = l3_rp_is(p, p->i, "queue");
	if (p->f->native_queue) {
		s->queue_num = nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_NUM);
		s->queue_bypass = nftnl_expr_get_u16(e, NFTNL_EXPR_QUEUE_FLAGS) &
				  NFT_QUEUE_FLAG_BYPASS;
		return 0;
	}
	tg = nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME);
	info = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &len);
	if (!tg || strcmp(tg, "NFQUEUE") || !info)
		return -1;
	memcpy(&q, info, len < sizeof(q) ? len : sizeof(q));
	s->queue_num = q.queuenum;
	s->queue_bypass = q.flags & NFQ_FLAG_BYPASS;
	return 0;
}

static int l3_rp_log(struct l3_rp *p, struct l3_ir_stmt *s)
{
	const struct nftnl_expr *e = p->e[p->i];

	if (l3_rp_is(p, p->i, "log")) {
		s->kind = L3_STMT_LOG;
		s->log_prefix = nftnl_expr_get_str(e, NFTNL_EXPR_LOG_PREFIX);
		return s->log_prefix ? 0 : -1;
	}
	s->kind = L3_STMT_LIMIT;
	s->limit_per_minute = (uint32_t)nftnl_expr_get_u64(e, NFTNL_EXPR_LIMIT_RATE);
	s->limit_burst = nftnl_expr_get_u32(e, NFTNL_EXPR_LIMIT_BURST);
	return nftnl_expr_get_u64(e, NFTNL_EXPR_LIMIT_UNIT) == 60 ? 0 : -1;
}

/* A statement that loads no key; 1 when the cursor is at none. */
static int l3_rp_plain_stmt(struct l3_rp *p)
{
	static const char *const names[] = { "immediate", "reject", "queue", "target", "log",
					     "limit" };
	struct l3_ir_stmt *s;
	size_t k;
	int rc;

	if ((rc = l3_rp_mark_set(p)) <= 0)
		return rc;
	if (l3_rp_is(p, p->i, "objref") &&
	    l3_rp_u32(p, p->i, NFTNL_EXPR_OBJREF_IMM_TYPE) == NFT_OBJECT_COUNTER) {
		if (!(s = l3_rp_stmt(p, L3_STMT_COUNTER_NAMED)))
			return -1;
		s->name = nftnl_expr_get_str(p->e[p->i++], NFTNL_EXPR_OBJREF_IMM_NAME);
		return s->name ? 0 : -1;
	}
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (l3_rp_is(p, p->i, names[k]))
			break;
	if (k == sizeof(names) / sizeof(names[0]))
		return 1;
	if (!(s = l3_rp_stmt(p, L3_STMT_VERDICT)))
		return -1;
	rc = k == 0 ? l3_rp_verdict(p, s) : k == 1 ? l3_rp_reject(p, s)
	     : k <= 3 ? l3_rp_queue(p, s) : l3_rp_log(p, s);
	p->i++;
	return rc;
}

/* A statement that loads a key first: vmap, counter map, snat map. */
static int l3_rp_key_stmt(struct l3_rp *p, const struct l3_ir_key *k)
{
	const bool lookup = l3_rp_is(p, p->i, "lookup");
	const uint32_t dreg = lookup ? l3_rp_u32(p, p->i, NFTNL_EXPR_LOOKUP_DREG) : 0;
	struct l3_ir_stmt *s;

	if (lookup && dreg == NFT_REG_VERDICT) {
		s = l3_rp_stmt(p, L3_STMT_VMAP);
	} else if (lookup && dreg == NFT_REG_1 && l3_rp_is(p, p->i + 1, "nat") &&
		   l3_rp_u32(p, p->i + 1, NFTNL_EXPR_NAT_TYPE) == NFT_NAT_SNAT) {
		s = l3_rp_stmt(p, L3_STMT_SNAT_MAP);
		if (s)
			s->family = l3_rp_u32(p, p->i + 1, NFTNL_EXPR_NAT_FAMILY) == NFPROTO_IPV4
				    ? AF_INET : AF_INET6;
	} else if (l3_rp_is(p, p->i, "objref") &&
		   l3_rp_u32(p, p->i, NFTNL_EXPR_OBJREF_SET_SREG) == NFT_REG_1) {
		s = l3_rp_stmt(p, L3_STMT_COUNTER_MAP);
	} else {
		return -1;
	}
	if (!s)
		return -1;
	s->key = *k;
	s->set = nftnl_expr_get_str(p->e[p->i],
				    lookup ? NFTNL_EXPR_LOOKUP_SET : NFTNL_EXPR_OBJREF_SET_NAME);
	p->i += s->kind == L3_STMT_SNAT_MAP ? 2 : 1;
	return s->set ? 0 : -1;
}

/* ---- rules ---- */

/* "meta nfproto X" that the emitter put before an address of family X
 * (l3_nl_need_family), not a match of the policy's. */
static bool l3_rp_family_dep(struct l3_rp *p)
{
	const uint8_t *d;
	uint32_t len = 0;
	int k;

	if (!l3_rp_is(p, p->i, "meta") ||
	    l3_rp_u32(p, p->i, NFTNL_EXPR_META_KEY) != NFT_META_NFPROTO ||
	    l3_rp_u32(p, p->i, NFTNL_EXPR_META_DREG) != NFT_REG_1 ||
	    !l3_rp_is(p, p->i + 1, "cmp") ||
	    l3_rp_u32(p, p->i + 1, NFTNL_EXPR_CMP_OP) != NFT_CMP_EQ ||
	    !(d = nftnl_expr_get(p->e[p->i + 1], NFTNL_EXPR_CMP_DATA, &len)) || len != 1 ||
	    d[0] == p->nfproto)
		return false;
	for (k = p->i + 2; k < p->n; k++) {
		if (l3_rp_is(p, k, "payload") &&
		    l3_rp_u32(p, k, NFTNL_EXPR_PAYLOAD_BASE) == NFT_PAYLOAD_TRANSPORT_HEADER)
			continue;	/* a port before the address (expose_from) */
		if (l3_rp_is(p, k, "payload"))
			return l3_rp_u32(p, k, NFTNL_EXPR_PAYLOAD_BASE) == NFT_PAYLOAD_NETWORK_HEADER
			       ? (p->nfproto = d[0], p->i += 2, true) : false;
		if (!l3_rp_is(p, k, "meta") && !l3_rp_is(p, k, "ct") && !l3_rp_is(p, k, "socket") &&
		    !l3_rp_is(p, k, "bitwise") && !l3_rp_is(p, k, "byteorder"))
			return false;
	}
	return false;
}

/* "key @set", "key != @set". */
static int l3_rp_in_set(struct l3_rp *p, struct l3_ir_match *m)
{
	const char *set = nftnl_expr_get_str(p->e[p->i], NFTNL_EXPR_LOOKUP_SET);

	if (!set || !strncmp(set, "__set", 5))
		return -1;	/* an anonymous set's elements are not in the rule */
	m->op = L3_OP_IN_SET;
	m->set = set;
	m->inv = l3_rp_u32(p, p->i, NFTNL_EXPR_LOOKUP_FLAGS) & NFT_LOOKUP_F_INV;
	p->i++;
	return 0;
}

/* One match, or a statement that loads a key. */
static int l3_rp_item(struct l3_rp *p)
{
	struct l3_ir_match m = { 0 };
	int plen = 0, rc;

	l3_rp_family_dep(p);
	if (l3_rp_key(p, &m.key, &plen) < 0 || p->i >= p->n)
		return -1;
	if (l3_rp_is(p, p->i, "cmp"))
		rc = l3_rp_cmp(p, &m, plen);
	else if (plen)
		return -1;
	else if (l3_rp_is(p, p->i, "bitwise"))
		rc = l3_rp_bits(p, &m);
	else if (l3_rp_is(p, p->i, "lookup") &&
		 !nftnl_expr_is_set(p->e[p->i], NFTNL_EXPR_LOOKUP_DREG))
		rc = l3_rp_in_set(p, &m);
	else
		return l3_rp_key_stmt(p, &m.key);
	/* the emitter writes every match before the statements */
	if (rc < 0 || p->r->ns || p->r->nm == L3_IR_MATCH_MAX)
		return -1;
	p->r->m[p->r->nm++] = m;
	return 0;
}

int l3_rule_parse(struct nftnl_rule *r, struct l3_ir_rule *out, struct l3_nl_features *f)
{
	struct l3_rp p = { .r = out, .f = f };
	int rc;

	memset(out, 0, sizeof(*out));
	memset(f, 0, sizeof(*f));
	if (nftnl_expr_foreach(r, l3_rp_collect, &p) < 0)
		return -1;
	while (p.i < p.n) {
		rc = l3_rp_plain_stmt(&p);
		if (rc == 1)
			rc = l3_rp_item(&p);
		if (rc < 0)
			return -1;
	}
	return out->nm + out->ns ? 0 : -1;
}
