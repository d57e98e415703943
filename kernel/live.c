/* Reading the live table, and reducing it and the table an IR would make to canonical lines. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include "l3nft/compiler/cfg_check.h"
#include "l3nft/compiler/emit_nl.h"
#include "l3nft/kernel/live.h"

/* @v when it has room for item @n; else @v grown (doubled), with *@cap
 * updated; NULL when memory ran out (@v is still valid then). */
static void *l3_live_room(void *v, size_t n, size_t *cap, size_t size)
{
	size_t c = *cap ? *cap * 2 : 64;

	if (n < *cap)
		return v;
	v = realloc(v, c * size);
	if (v)
		*cap = c;
	return v;
}

static int l3_live_add(struct l3_live *lv, const char *line)
{
	char *copy;
	void *p;

	if (!(p = l3_live_room(lv->lines, lv->nlines, &lv->cap, sizeof(*lv->lines))))
		return -1;
	lv->lines = p;
	copy = strdup(line);
	if (!copy)
		return -1;
	lv->lines[lv->nlines++] = copy;
	return 0;
}

static void l3_hex(char *out, size_t outlen, const void *data, uint32_t len)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *p = data;
	size_t o = 0;
	uint32_t i;

	/* by hand: snprintf per byte was half of apply's own CPU time */
	for (i = 0; i < len && o + 3 < outlen; i++) {
		out[o++] = digits[p[i] >> 4];
		out[o++] = digits[p[i] & 15];
	}
	out[o] = '\0';
}

/* Anonymous sets are named "__set%d" in a batch and "__setN" live. */
static void l3_live_unanon(char *s)
{
	char *p = s;

	while ((p = strstr(p, "__set"))) {
		char *q = p + 5;

		while (*q == '%' || *q == 'd' || (*q >= '0' && *q <= '9'))
			q++;
		memmove(p + 5, q, strlen(q) + 1);
		p += 5;
	}
}

/* ---- one object → lines ---- */

static int l3_live_chain(struct l3_live *lv, const struct nftnl_chain *c)
{
	char line[256];

	if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM))
		snprintf(line, sizeof(line), "chain %s hook %u prio %d type %s policy %u",
			 nftnl_chain_get_str(c, NFTNL_CHAIN_NAME),
			 nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM),
			 nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO),
			 nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE),
			 nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY));
	else
		snprintf(line, sizeof(line), "chain %s", nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	return l3_live_add(lv, line);
}

static int l3_live_set(struct l3_live *lv, const struct nftnl_set *s)
{
	char line[256];

	if (nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS)
		return 0;
	/* asked for every address apply and delete look at: known here once */
	if (!strcmp(nftnl_set_get_str(s, NFTNL_SET_NAME), L3_IR_SET_OWNED4))
		lv->owned_known = true;
	snprintf(line, sizeof(line), "set %s key %u/%u flags 0x%x data %u obj %u",
		 nftnl_set_get_str(s, NFTNL_SET_NAME), nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE),
		 nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN), nftnl_set_get_u32(s, NFTNL_SET_FLAGS),
		 nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE), nftnl_set_get_u32(s, NFTNL_SET_OBJ_TYPE));
	return l3_live_add(lv, line);
}

/* Elements whose keys are kept raw: the listener sets (apply keeps them),
 * member_lN (l3nftd and status learn the cgroup ids in the table from
 * them) and the owned address sets (apply and delete remove only those). */
static bool l3_live_dynamic(const char *set)
{
	return !strcmp(set, L3_IR_SET_LISTEN4) || !strcmp(set, L3_IR_SET_LISTEN6) ||
	       !strcmp(set, L3_IR_SET_OWNED4) || !strcmp(set, L3_IR_SET_OWNED6) ||
	       !strncmp(set, L3_IR_SET_MEMBER_PREFIX, sizeof(L3_IR_SET_MEMBER_PREFIX) - 1);
}

static int l3_live_keep_elem(struct l3_live *lv, const char *set, const void *key, uint32_t len)
{
	struct l3_live_elem *e;
	void *p;

	if (len > sizeof(e->key) || strlen(set) >= sizeof(e->set))
		return 0;
	if (!(p = l3_live_room(lv->elems, lv->nelems, &lv->elems_cap, sizeof(*lv->elems))))
		return -1;
	lv->elems = p;
	e = &lv->elems[lv->nelems++];
	strcpy(e->set, set);
	memcpy(e->key, key, len);
	e->len = len;
	return 0;
}

static int l3_live_elem(struct l3_live *lv, const char *set, struct nftnl_set_elem *e)
{
	char key[320], data[160] = "", line[560];
	const void *p;
	uint32_t len = 0;

	p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
	if (!p)
		return 0;
	l3_hex(key, sizeof(key), p, len);
	if (l3_live_dynamic(set) && l3_live_keep_elem(lv, set, p, len) < 0)
		return -1;
	/* a concatenated range (expose_from4/6) is its two ends: KEY-KEY_END */
	if ((p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &len))) {
		strcat(key, "-");
		l3_hex(key + strlen(key), sizeof(key) - strlen(key), p, len);
	}
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN))
		snprintf(data, sizeof(data), " : verdict %d %s",
			 (int)nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT),
			 nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN));
	else if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_OBJREF))
		snprintf(data, sizeof(data), " : obj %s",
			 nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_OBJREF));
	else if ((p = nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len))) {
		strcpy(data, " : ");
		l3_hex(data + 3, sizeof(data) - 3, p, len);
	}
	snprintf(line, sizeof(line), "elem %s %s%s", set, key, data);
	return l3_live_add(lv, line);
}

static bool l3_live_anon(const char *set)
{
	return set && !strncmp(set, "__set", 5);
}

struct l3_rule_text {
	char buf[4096];
	size_t len;
};

/* libnftnl prints an xt target (the NFQUEUE fallback) by name only: its
 * info, which holds the queue number and flags, is added in hex, or a
 * changed queue or fail_open would look unchanged. */
static void l3_live_target_info(struct l3_rule_text *t, struct nftnl_expr *e)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	uint32_t len = 0;
	const void *info;

	if (!name || strcmp(name, "target") ||
	    !(info = nftnl_expr_get(e, NFTNL_EXPR_TG_INFO, &len)) ||
	    t->len + 6 + 2 * (size_t)len + 2 >= sizeof(t->buf))
		return;
	/* the kernel pads it (XT_ALIGN); the emitter does not */
	while (len > 0 && ((const uint8_t *)info)[len - 1] == 0)
		len--;
	memcpy(t->buf + t->len, " info ", 6);
	t->len += 6;
	l3_hex(t->buf + t->len, sizeof(t->buf) - t->len, info, len);
	t->len += strlen(t->buf + t->len);
}

static int l3_live_expr(struct nftnl_expr *e, void *data)
{
	struct l3_rule_text *t = data;
	int n;

	if (t->len + 2 >= sizeof(t->buf))
		return 0;
	t->buf[t->len++] = '[';
	n = nftnl_expr_snprintf(t->buf + t->len, sizeof(t->buf) - t->len - 1, e,
				NFTNL_OUTPUT_DEFAULT, 0);
	if (n > 0)
		t->len += (size_t)n < sizeof(t->buf) - t->len - 1 ? (size_t)n
								    : sizeof(t->buf) - t->len - 2;
	l3_live_target_info(t, e);
	t->buf[t->len++] = ']';
	t->buf[t->len] = '\0';
	return 0;
}

/* The value a namespace chain's bitwise expression sets the mark to. */
static int l3_live_xor(struct nftnl_expr *e, void *data)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	uint32_t len = 0;
	const void *x;

	if (name && !strcmp(name, "bitwise") &&
	    (x = nftnl_expr_get(e, NFTNL_EXPR_BITWISE_XOR, &len)) && len == sizeof(uint32_t))
		memcpy(data, x, sizeof(uint32_t));
	return 0;
}

static int l3_live_note_mark(struct l3_live *lv, struct nftnl_rule *r, const char *chain)
{
	struct l3_live_mark *m;
	uint32_t mark = 0;
	void *p;

	if (strncmp(chain, L3_IR_CHAIN_NS_PREFIX, sizeof(L3_IR_CHAIN_NS_PREFIX) - 1) ||
	    strlen(chain) >= sizeof(m->chain))
		return 0;
	nftnl_expr_foreach(r, l3_live_xor, &mark);
	if (!mark)
		return 0;
	if (!(p = l3_live_room(lv->marks, lv->nmarks, &lv->marks_cap, sizeof(*lv->marks))))
		return -1;
	lv->marks = p;
	m = &lv->marks[lv->nmarks++];
	strcpy(m->chain, chain);
	m->mark = mark;
	return 0;
}

char *l3_live_rule_exprs(struct nftnl_rule *r)
{
	/* on the heap, not cleared: the text ends where len says, and clearing
	 * 4 KB for each of 40,000 rules (both sides of a re-apply) showed */
	struct l3_rule_text *t = malloc(sizeof(*t));
	char *text;

	if (!t)
		return NULL;
	t->len = 0;
	t->buf[0] = '\0';
	nftnl_expr_foreach(r, l3_live_expr, t);
	l3_live_unanon(t->buf);
	text = strdup(t->buf);
	free(t);
	return text;
}

static int l3_live_rule(struct l3_live *lv, struct nftnl_rule *r)
{
	struct l3_live_rule_index *idx = &lv->idx;
	const char *chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
	char *exprs, *line;
	int rc;

	if (strcmp(idx->chain, chain)) {
		snprintf(idx->chain, sizeof(idx->chain), "%s", chain);
		idx->n = 0;
	}
	/* the chain's first rule sets the packet mark (later ones, the ct
	 * mark of a new connection) */
	if (idx->n == 0 && l3_live_note_mark(lv, r, chain) < 0)
		return -1;
	exprs = l3_live_rule_exprs(r);
	line = exprs ? malloc(strlen(exprs) + 128) : NULL;
	if (!line) {
		free(exprs);
		return -1;
	}
	sprintf(line, "rule %s %04u %s", chain, ++idx->n, exprs);
	rc = l3_live_add(lv, line);
	free(line);
	free(exprs);
	return rc;
}

/* Keeps @r with the line just added for it (diff -v reads it again). */
static int l3_live_keep_rule(struct l3_live *lv, struct nftnl_rule *r)
{
	void *p = l3_live_room(lv->robjs, lv->nrobjs, &lv->robjs_cap, sizeof(*lv->robjs));

	if (!p)
		return -1;
	lv->robjs = p;
	lv->robjs[lv->nrobjs].line = lv->lines[lv->nlines - 1];
	lv->robjs[lv->nrobjs++].r = r;
	return 0;
}

static int l3_live_robj_cmp(const void *a, const void *b)
{
	const char *x = ((const struct l3_live_robj *)a)->line;
	const char *y = ((const struct l3_live_robj *)b)->line;

	return x < y ? -1 : x > y;
}

struct nftnl_rule *l3_live_rule_obj(const struct l3_live *lv, const char *line)
{
	const struct l3_live_robj key = { .line = line }, *hit;

	if (!lv->nrobjs)
		return NULL;
	hit = bsearch(&key, lv->robjs, lv->nrobjs, sizeof(*lv->robjs), l3_live_robj_cmp);
	return hit ? hit->r : NULL;
}

static int l3_live_obj(struct l3_live *lv, struct nftnl_obj *o)
{
	struct l3_ir_counter_value *c;
	char line[128];
	void *p;

	snprintf(line, sizeof(line), "counter %s", nftnl_obj_get_str(o, NFTNL_OBJ_NAME));
	if (l3_live_add(lv, line) < 0)
		return -1;
	if (!(p = l3_live_room(lv->ctrs, lv->nctrs, &lv->ctrs_cap, sizeof(*lv->ctrs))))
		return -1;
	lv->ctrs = p;
	c = &lv->ctrs[lv->nctrs++];
	snprintf(c->name, sizeof(c->name), "%s", nftnl_obj_get_str(o, NFTNL_OBJ_NAME));
	c->packets = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS);
	c->bytes = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_BYTES);
	return 0;
}

/* One nf_tables message of a dump → lines. */
struct l3_live_ctx {
	struct l3_live *lv;
	struct mnl_socket *nl;
	const char *table;		/* NULL: every table's (a table dump) */
	char **sets;		/* set (or, in a table dump, table) names seen */
	size_t nsets, sets_cap;
	int err;
	bool state;		/* l3_live_read_state(): marks and elements, no lines */
	bool keep_rules;	/* l3_live_read_rules(): the rule objects too */
};

/* The sets whose elements l3_live_read_state() keeps: what l3nftd must
 * know of the table (the listen destinations, the cgroup ids). */
static bool l3_live_state_set(const char *set)
{
	return !strcmp(set, L3_IR_SET_LISTEN4) || !strcmp(set, L3_IR_SET_LISTEN6) ||
	       !strncmp(set, L3_IR_SET_MEMBER_PREFIX, sizeof(L3_IR_SET_MEMBER_PREFIX) - 1);
}

/* A rule seen in a state read: only the namespace chains' marks. */
static int l3_live_rule_state(struct l3_live *lv, struct nftnl_rule *r)
{
	struct l3_live_rule_index *idx = &lv->idx;
	const char *chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);

	if (strcmp(idx->chain, chain)) {
		snprintf(idx->chain, sizeof(idx->chain), "%s", chain);
		idx->n = 0;
	}
	return idx->n++ == 0 ? l3_live_note_mark(lv, r, chain) : 0;
}

/* A set's element in a state read: its raw key, no line. */
static int l3_live_elem_key(struct l3_live *lv, const char *set, struct nftnl_set_elem *e)
{
	uint32_t len = 0;
	const void *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);

	return key ? l3_live_keep_elem(lv, set, key, len) : 0;
}

/* A set's elements: lines (and the dynamic sets' raw keys), or in a state
 * read (@state) only the raw keys of the sets l3nftd keeps to. */
static int l3_live_elems(struct l3_live *lv, struct nftnl_set *s, bool state)
{
	const char *name = nftnl_set_get_str(s, NFTNL_SET_NAME);
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;
	int rc = 0;

	if (!name || (state ? !l3_live_state_set(name) : l3_live_anon(name)))
		return 0;
	it = nftnl_set_elems_iter_create(s);
	if (!it)
		return -1;
	/* _next() hands out the current element, then moves on */
	for (e = nftnl_set_elems_iter_next(it); e && rc == 0; e = nftnl_set_elems_iter_next(it))
		rc = state ? l3_live_elem_key(lv, name, e) : l3_live_elem(lv, name, e);
	nftnl_set_elems_iter_destroy(it);
	return rc;
}

static int l3_live_note_set(struct l3_live_ctx *c, const char *name)
{
	char *copy;
	void *p;

	if (!(p = l3_live_room(c->sets, c->nsets, &c->sets_cap, sizeof(*c->sets))))
		return -1;
	c->sets = p;
	copy = strdup(name);
	if (!copy)
		return -1;
	c->sets[c->nsets++] = copy;
	return 0;
}

/* Not every dump filters by table (chains do not): skip other tables. */
static bool l3_live_ours(const struct l3_live_ctx *c, const char *table)
{
	return !c->table || (table && !strcmp(table, c->table));
}

/* The comment in a table's userdata (nft's TLV), "" when it has none. */
static int l3_live_udata_comment(const struct nftnl_udata *attr, void *data)
{
	char *out = data;
	uint8_t len = nftnl_udata_len(attr);
	const char *v = nftnl_udata_get(attr);

	if (nftnl_udata_type(attr) == L3_NL_UDATA_TABLE_COMMENT && len > 0 &&
	    v[len - 1] == '\0')
		memcpy(out, v, len);
	return 0;
}

static int l3_live_table(struct l3_live *lv, const struct nftnl_table *t)
{
	char line[L3_LIVE_COMMENT_MAX + 32];
	uint32_t len = 0;
	const void *ud = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);

	lv->comment[0] = '\0';
	if (ud && len)
		nftnl_udata_parse(ud, len, l3_live_udata_comment, lv->comment);
	if (!lv->comment[0])
		return 0;
	snprintf(line, sizeof(line), "table comment \"%s\"", lv->comment);
	return l3_live_add(lv, line);
}

static int l3_live_msg(const struct nlmsghdr *nlh, void *data)
{
	struct l3_live_ctx *c = data;
	int type = NFNL_MSG_TYPE(nlh->nlmsg_type), rc = 0;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		return MNL_CB_OK;
	switch (type) {
	case NFT_MSG_NEWTABLE: {
		struct nftnl_table *t = nftnl_table_alloc();

		rc = !t || nftnl_table_nlmsg_parse(nlh, t) < 0 ? -1
		     : !c->table ? l3_live_note_set(c, nftnl_table_get_str(t, NFTNL_TABLE_NAME))
		     : l3_live_ours(c, nftnl_table_get_str(t, NFTNL_TABLE_NAME))
			     ? l3_live_table(c->lv, t) : 0;
		if (t)
			nftnl_table_free(t);
		break;
	}
	case NFT_MSG_NEWCHAIN: {
		struct nftnl_chain *ch = nftnl_chain_alloc();

		rc = !ch || nftnl_chain_nlmsg_parse(nlh, ch) < 0 ? -1
		     : l3_live_ours(c, nftnl_chain_get_str(ch, NFTNL_CHAIN_TABLE))
			     ? l3_live_chain(c->lv, ch) : 0;
		if (ch)
			nftnl_chain_free(ch);
		break;
	}
	case NFT_MSG_NEWSET:
	case NFT_MSG_NEWSETELEM: {
		struct nftnl_set *s = nftnl_set_alloc();

		if (!s)
			return MNL_CB_ERROR;
		rc = type == NFT_MSG_NEWSET ? nftnl_set_nlmsg_parse(nlh, s)
					    : nftnl_set_elems_nlmsg_parse(nlh, s);
		if (rc < 0 || !l3_live_ours(c, nftnl_set_get_str(s, NFTNL_SET_TABLE)))
			;
		else if (type == NFT_MSG_NEWSET && c->state) {
			if (l3_live_state_set(nftnl_set_get_str(s, NFTNL_SET_NAME)))
				rc = l3_live_note_set(c, nftnl_set_get_str(s, NFTNL_SET_NAME));
		} else if (type == NFT_MSG_NEWSET) {
			rc = l3_live_set(c->lv, s);
			if (rc == 0 && c->nl && !(nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS))
				rc = l3_live_note_set(c, nftnl_set_get_str(s, NFTNL_SET_NAME));
		} else {
			rc = l3_live_elems(c->lv, s, c->state);
		}
		nftnl_set_free(s);
		break;
	}
	case NFT_MSG_NEWRULE: {
		struct nftnl_rule *r = nftnl_rule_alloc();

		rc = !r || nftnl_rule_nlmsg_parse(nlh, r) < 0 ? -1
		     : !l3_live_ours(c, nftnl_rule_get_str(r, NFTNL_RULE_TABLE)) ? 0
		     : c->state ? l3_live_rule_state(c->lv, r) : l3_live_rule(c->lv, r);
		if (rc == 0 && c->keep_rules && l3_live_ours(c, nftnl_rule_get_str(r, NFTNL_RULE_TABLE))) {
			rc = l3_live_keep_rule(c->lv, r);
			r = rc == 0 ? NULL : r;
		}
		if (r)
			nftnl_rule_free(r);
		break;
	}
	case NFT_MSG_NEWOBJ: {
		struct nftnl_obj *o = nftnl_obj_alloc();

		rc = !o || nftnl_obj_nlmsg_parse(nlh, o) < 0 ? -1
		     : l3_live_ours(c, nftnl_obj_get_str(o, NFTNL_OBJ_TABLE))
			     ? l3_live_obj(c->lv, o) : 0;
		if (o)
			nftnl_obj_free(o);
		break;
	}
	default:
		break;
	}
	if (rc < 0) {
		c->err = errno ? errno : ENOMEM;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* Dumps one kind of object of the table; ENOENT means no such table. */
static int l3_live_dump(struct l3_live_ctx *c, uint16_t type, const char *set)
{
	char *buf = malloc(MNL_SOCKET_BUFFER_SIZE * 8);
	uint32_t seq = (uint32_t)time(NULL) ^ type, portid = mnl_socket_get_portid(c->nl);
	struct nlmsghdr *nlh;
	int rc = -1;
	ssize_t n;

	if (!buf)
		return -1;
	/* the table itself is asked for by name: ENOENT when it is missing;
	 * without a name, every table is dumped */
	nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET,
				    type == NFT_MSG_GETTABLE && c->table ? NLM_F_ACK : NLM_F_DUMP,
				    seq);
	if (type == NFT_MSG_GETSETELEM || type == NFT_MSG_GETSET) {
		struct nftnl_set *s = nftnl_set_alloc();

		if (!s)
			goto out;
		nftnl_set_set_str(s, NFTNL_SET_TABLE, c->table);
		if (set)
			nftnl_set_set_str(s, NFTNL_SET_NAME, set);
		if (type == NFT_MSG_GETSETELEM)
			nftnl_set_elems_nlmsg_build_payload(nlh, s);
		else
			nftnl_set_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
	} else if (c->table) {
		mnl_attr_put_strz(nlh, type == NFT_MSG_GETOBJ ? NFTA_OBJ_TABLE
				  : type == NFT_MSG_GETRULE ? NFTA_RULE_TABLE
				  : type == NFT_MSG_GETTABLE ? NFTA_TABLE_NAME : NFTA_CHAIN_TABLE,
				  c->table);
		if (type == NFT_MSG_GETOBJ)
			mnl_attr_put_u32(nlh, NFTA_OBJ_TYPE, htonl(NFT_OBJECT_COUNTER));
	}
	if (mnl_socket_sendto(c->nl, nlh, nlh->nlmsg_len) < 0)
		goto out;
	while ((n = mnl_socket_recvfrom(c->nl, buf, MNL_SOCKET_BUFFER_SIZE * 8)) > 0) {
		rc = mnl_cb_run(buf, (size_t)n, seq, portid, l3_live_msg, c);
		if (rc <= 0)
			break;
	}
	if (rc < 0 && c->err)
		errno = c->err;
out:
	free(buf);
	return rc < 0 ? -1 : 0;
}

static void l3_live_sort(struct l3_live *lv);
static int l3_live_read_any(struct mnl_socket *nl, const char *table, struct l3_live *lv,
			    bool keep_rules);

/* Sets, then rules chain by chain in order (they are numbered per chain). */
static int l3_live_render_ir(struct l3_live *lv, const struct l3_ir *ir,
			     const struct l3_nl_features *f)
{
	size_t i, j;
	int rc = 0;

	for (i = 0; rc == 0 && i < ir->sets.len; i++) {
		struct nftnl_set *s = l3_nl_set_obj(ir, L3_IR_SET(ir, i), 0, true);

		rc = !s ? -1 : l3_live_set(lv, s) < 0 ? -1 : l3_live_elems(lv, s, false);
		if (s)
			nftnl_set_free(s);
	}
	for (i = 0; rc == 0 && i < ir->chains.len; i++) {
		const struct l3_ir_chain *c = L3_IR_CHAIN(ir, i);

		for (j = 0; rc == 0 && j < c->rules.len; j++) {
			struct nftnl_rule *r = l3_nl_rule_obj(NULL, ir, c,
							      (const struct l3_ir_rule *)c->rules.items + j, f);

			rc = r ? l3_live_rule(lv, r) : -1;
			if (r)
				nftnl_rule_free(r);
		}
	}
	return rc;
}

int l3_live_render(struct l3_live *lv, const struct l3_ir *ir, const struct l3_nl_features *f)
{
	const struct l3_ir_counter *ctr = ir->counters.items;
	size_t i;
	int rc = 0;

	memset(lv, 0, sizeof(*lv));
	lv->exists = true;
	snprintf(lv->comment, sizeof(lv->comment), "%s", L3_IR_TABLE_COMMENT);
	rc = l3_live_add(lv, "table comment \"" L3_IR_TABLE_COMMENT "\"");
	for (i = 0; rc == 0 && i < ir->counters.len; i++) {
		struct nftnl_obj *o = l3_nl_counter_obj(ir, &ctr[i]);

		rc = o ? l3_live_obj(lv, o) : -1;
		if (o)
			nftnl_obj_free(o);
	}
	for (i = 0; rc == 0 && i < ir->chains.len; i++) {
		struct nftnl_chain *c = l3_nl_chain_obj(ir, L3_IR_CHAIN(ir, i));

		rc = c ? l3_live_chain(lv, c) : -1;
		if (c)
			nftnl_chain_free(c);
	}
	if (rc == 0)
		rc = l3_live_render_ir(lv, ir, f);
	if (rc < 0) {
		if (!errno)
			errno = ENOMEM;
		return -1;
	}
	l3_live_sort(lv);
	return 0;
}

int l3_live_read(struct mnl_socket *nl, const char *table, struct l3_live *lv)
{
	return l3_live_read_any(nl, table, lv, false);
}

int l3_live_read_rules(struct mnl_socket *nl, const char *table, struct l3_live *lv)
{
	if (l3_live_read_any(nl, table, lv, true) < 0)
		return -1;
	if (lv->nrobjs)
		qsort(lv->robjs, lv->nrobjs, sizeof(*lv->robjs), l3_live_robj_cmp);
	return 0;
}

static int l3_live_read_any(struct mnl_socket *nl, const char *table, struct l3_live *lv,
			    bool keep_rules)
{
	struct l3_live_ctx c = { .lv = lv, .nl = nl, .table = table, .keep_rules = keep_rules };
	size_t i;
	int rc = -1;

	memset(lv, 0, sizeof(*lv));
	if (l3_live_dump(&c, NFT_MSG_GETTABLE, NULL) < 0) {
		if (errno == ENOENT)
			rc = 0;		/* no table */
		goto out;
	}
	lv->exists = true;
	if (l3_live_dump(&c, NFT_MSG_GETCHAIN, NULL) < 0 ||
	    l3_live_dump(&c, NFT_MSG_GETSET, NULL) < 0 ||
	    l3_live_dump(&c, NFT_MSG_GETRULE, NULL) < 0 ||
	    l3_live_dump(&c, NFT_MSG_GETOBJ, NULL) < 0)
		goto out;
	for (i = 0; i < c.nsets; i++)
		if (l3_live_dump(&c, NFT_MSG_GETSETELEM, c.sets[i]) < 0)
			goto out;
	rc = 0;
out:
	for (i = 0; i < c.nsets; i++)
		free(c.sets[i]);
	free(c.sets);
	if (rc == 0)
		l3_live_sort(lv);
	return rc;
}

int l3_live_read_state(struct mnl_socket *nl, const char *table, struct l3_live *lv)
{
	struct l3_live_ctx c = { .lv = lv, .nl = nl, .table = table, .state = true };
	size_t i;
	int rc = -1;

	memset(lv, 0, sizeof(*lv));
	if (l3_live_dump(&c, NFT_MSG_GETTABLE, NULL) < 0) {
		if (errno == ENOENT)
			rc = 0;		/* no table */
		goto out;
	}
	lv->exists = true;
	if (l3_live_dump(&c, NFT_MSG_GETSET, NULL) < 0 ||
	    l3_live_dump(&c, NFT_MSG_GETRULE, NULL) < 0)
		goto out;
	for (i = 0; i < c.nsets; i++)
		if (l3_live_dump(&c, NFT_MSG_GETSETELEM, c.sets[i]) < 0)
			goto out;
	rc = 0;
out:
	for (i = 0; i < c.nsets; i++)
		free(c.sets[i]);
	free(c.sets);
	if (rc == 0)
		l3_live_sort(lv);
	return rc;
}

static int l3_line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int l3_ctr_cmp(const void *a, const void *b);

/* Dynamic set elements by set, length, key. */
static int l3_elem_cmp(const void *a, const void *b)
{
	const struct l3_live_elem *x = a, *y = b;
	int r = strcmp(x->set, y->set);

	if (r || x->len != y->len)
		return r ? r : x->len < y->len ? -1 : 1;
	return memcmp(x->key, y->key, x->len);
}

static int l3_mark_cmp(const void *a, const void *b)
{
	return strcmp(((const struct l3_live_mark *)a)->chain,
		      ((const struct l3_live_mark *)b)->chain);
}

/* Lines for diffing, counters and marks for binary searches. */
static void l3_live_sort(struct l3_live *lv)
{
	/* qsort(NULL, 0) is undefined */
	if (lv->nlines)
		qsort(lv->lines, lv->nlines, sizeof(*lv->lines), l3_line_cmp);
	if (lv->nctrs)
		qsort(lv->ctrs, lv->nctrs, sizeof(*lv->ctrs), l3_ctr_cmp);
	if (lv->nmarks)
		qsort(lv->marks, lv->nmarks, sizeof(*lv->marks), l3_mark_cmp);
	if (lv->nelems)
		qsort(lv->elems, lv->nelems, sizeof(*lv->elems), l3_elem_cmp);
}

void l3_live_free(struct l3_live *lv)
{
	size_t i;

	for (i = 0; i < lv->nlines; i++)
		free(lv->lines[i]);
	free(lv->lines);
	for (i = 0; i < lv->nrobjs; i++)
		nftnl_rule_free(lv->robjs[i].r);
	free(lv->robjs);
	free(lv->ctrs);
	free(lv->marks);
	free(lv->elems);
	memset(lv, 0, sizeof(*lv));
}

size_t l3_live_diff(const struct l3_live *have, const struct l3_live *want, FILE *out)
{
	size_t i = 0, j = 0, n = 0;

	while (i < have->nlines || j < want->nlines) {
		int r = i == have->nlines ? 1 : j == want->nlines ? -1
			: strcmp(have->lines[i], want->lines[j]);

		if (r == 0) {
			i++;
			j++;
			continue;
		}
		n++;
		if (out)
			fprintf(out, "%c %s\n", r < 0 ? '-' : '+', r < 0 ? have->lines[i] : want->lines[j]);
		if (r < 0)
			i++;
		else
			j++;
	}
	return n;
}

static int l3_ctr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct l3_ir_counter_value *)a)->name,
		      ((const struct l3_ir_counter_value *)b)->name);
}

const struct l3_ir_counter_value *l3_live_counter(const struct l3_live *lv, const char *name)
{
	struct l3_ir_counter_value key;

	if (!lv->nctrs || strlen(name) >= sizeof(key.name))
		return NULL;
	strcpy(key.name, name);
	return bsearch(&key, lv->ctrs, lv->nctrs, sizeof(*lv->ctrs), l3_ctr_cmp);
}

/* The mark that the chain of namespace @name sets in the live table (read
 * from its bitwise expression); 0 when there is no such chain. */
static uint32_t l3_live_ns_mark(const struct l3_live *lv, const char *name)
{
	struct l3_live_mark key;
	const struct l3_live_mark *m;

	if (!lv->nmarks ||
	    (size_t)snprintf(key.chain, sizeof(key.chain), L3_IR_CHAIN_NS_FMT, name) >=
		    sizeof(key.chain))
		return 0;
	m = bsearch(&key, lv->marks, lv->nmarks, sizeof(*lv->marks), l3_mark_cmp);
	return m ? m->mark : 0;
}

int l3_live_listeners(const struct l3_live *lv, struct l3_ir_listener **out, size_t *n)
{
	size_t i;

	*n = 0;
	*out = calloc(lv->nelems + 1, sizeof(**out));
	if (!*out)
		return -1;
	for (i = 0; i < lv->nelems; i++) {
		const struct l3_live_elem *e = &lv->elems[i];
		const int family = !strcmp(e->set, L3_IR_SET_LISTEN4) ? AF_INET
				   : !strcmp(e->set, L3_IR_SET_LISTEN6) ? AF_INET6 : 0;
		const uint32_t alen = family == AF_INET ? 4 : 16;
		struct l3_ir_listener *l = &(*out)[*n];

		/* address, then the port in network order, padded to 4 bytes */
		if (!family || e->len != alen + 4)
			continue;
		l->family = family;
		memcpy(&l->a, e->key, alen);
		l->port = (uint16_t)(e->key[alen] << 8 | e->key[alen + 1]);
		(*n)++;
	}
	return 0;
}

int l3_live_ids(const struct l3_live *lv, const struct l3_cfg *cfg, uint32_t *ids)
{
	uint32_t *keep = calloc(cfg->nns + 1, sizeof(*keep));
	size_t i, full;
	int rc;

	if (!keep)
		return -1;
	for (i = 0; lv->exists && i < cfg->nns; i++)
		keep[i] = l3_cfg_mark_id(cfg, l3_live_ns_mark(lv, cfg->ns[i].name));
	rc = l3_cfg_ids(cfg, keep, ids, &full);
	free(keep);
	return rc;
}

/* l3nft 0.1 made its tables without the comment: they are recognised by
 * what every l3nft table has (so an upgrade re-applies without --force). */
static bool l3_live_legacy(const struct l3_live *lv)
{
	static const char *const need[] = {
		"set " L3_IR_SET_LISTEN4 " ", "set " L3_IR_SET_DST4 " ",
		"counter " L3_IR_COUNTER_HOST_REFUSED,
	};
	size_t i, j;

	for (i = 0; i < L3_ARRAY_SIZE(need); i++) {
		for (j = 0; j < lv->nlines; j++)
			if (!strncmp(lv->lines[j], need[i], strlen(need[i])))
				break;
		if (j == lv->nlines)
			return false;
	}
	return true;
}

bool l3_live_is_ours(const struct l3_live *lv)
{
	if (!lv->exists || !strcmp(lv->comment, L3_IR_TABLE_COMMENT))
		return true;
	return !lv->comment[0] && l3_live_legacy(lv);
}

bool l3_live_owned_known(const struct l3_live *lv)
{
	return lv->owned_known;
}

bool l3_live_owns(const struct l3_live *lv, int family, const void *addr)
{
	struct l3_live_elem key = { .len = family == AF_INET ? 4 : 16 };

	/* asked for each of 20,000 addresses: a binary search */
	strcpy(key.set, family == AF_INET ? L3_IR_SET_OWNED4 : L3_IR_SET_OWNED6);
	memcpy(key.key, addr, key.len);
	return lv->nelems &&
	       bsearch(&key, lv->elems, lv->nelems, sizeof(*lv->elems), l3_elem_cmp);
}

void l3_live_summary(const struct l3_live *lv, char *buf, size_t len)
{
	static const char *const kinds[] = { "chain ", "set ", "rule ", "counter ", "elem " };
	static const char *const names[] = { "chains", "sets", "rules", "counters", "elements" };
	size_t n[L3_ARRAY_SIZE(kinds)] = { 0 }, i, k;

	for (i = 0; i < lv->nlines; i++)
		for (k = 0; k < L3_ARRAY_SIZE(kinds); k++)
			if (!strncmp(lv->lines[i], kinds[k], strlen(kinds[k])))
				n[k]++;
	snprintf(buf, len, "%s %zu, %s %zu, %s %zu, %s %zu, %s %zu", names[0], n[0], names[1],
		 n[1], names[2], n[2], names[3], n[3], names[4], n[4]);
}

struct l3_live_member {
	uint32_t mark;
	uint64_t id;
};

static int l3_live_member_cmp(const void *a, const void *b)
{
	const struct l3_live_member *x = a, *y = b;

	return x->mark < y->mark ? -1 : x->mark > y->mark;
}

int l3_live_cgroup_ids(const struct l3_live *lv, const struct l3_cfg *cfg, const uint32_t *ids,
		       uint64_t *out)
{
	struct l3_live_member *m = calloc(lv->nelems + 1, sizeof(*m)), key, *hit;
	size_t i, n = 0;

	if (!m)
		return -1;
	for (i = 0; i < lv->nelems; i++) {
		const struct l3_live_elem *e = &lv->elems[i];

		/* key: the mark (4 bytes), then the cgroup id (8) */
		if (e->len != 12 || strncmp(e->set, L3_IR_SET_MEMBER_PREFIX,
					    sizeof(L3_IR_SET_MEMBER_PREFIX) - 1))
			continue;
		memcpy(&m[n].mark, e->key, 4);
		memcpy(&m[n].id, e->key + 4, 8);
		n++;
	}
	if (n)
		qsort(m, n, sizeof(*m), l3_live_member_cmp);
	for (i = 0; i < cfg->nns; i++) {
		key.mark = l3_cfg_mark(cfg, ids[i]);
		hit = n ? bsearch(&key, m, n, sizeof(*m), l3_live_member_cmp) : NULL;
		out[i] = hit ? hit->id : 0;
	}
	free(m);
	return 0;
}

int l3_live_read_owned(struct mnl_socket *nl, const char *skip, struct l3_live *lv)
{
	static const char *const sets[] = { L3_IR_SET_OWNED4, L3_IR_SET_OWNED6 };
	struct l3_live_ctx all = { .lv = lv, .nl = nl };
	size_t i, k;
	int rc = -1;

	memset(lv, 0, sizeof(*lv));
	if (l3_live_dump(&all, NFT_MSG_GETTABLE, NULL) < 0)
		goto out;
	for (i = 0; i < all.nsets; i++) {
		struct l3_live_ctx one = { .lv = lv, .nl = nl, .table = all.sets[i] };

		if (!strcmp(all.sets[i], skip))
			continue;
		for (k = 0; k < L3_ARRAY_SIZE(sets); k++)
			if (l3_live_dump(&one, NFT_MSG_GETSETELEM, sets[k]) < 0 && errno != ENOENT)
				goto out;
	}
	rc = 0;
	l3_live_sort(lv);
out:
	for (i = 0; i < all.nsets; i++)
		free(all.sets[i]);
	free(all.sets);
	return rc;
}

/* ---- deltas: what an incremental transaction sends ---- */

static int l3_list_push(struct l3_live_list *l, const char *line)
{
	void *p = l3_live_room(l->v, l->n, &l->cap, sizeof(*l->v));

	if (!p)
		return -1;
	l->v = p;
	l->v[l->n++] = line;
	return 0;
}

static bool l3_has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

const char *l3_live_line_name(const char *line, char *buf, size_t len)
{
	const char *p = strchr(line, ' ');
	size_t n;

	p = p ? p + 1 : line;
	n = strcspn(p, " ");
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

static bool l3_lines_have(const char *const *v, size_t n, const char *line)
{
	return n && bsearch(&line, v, n, sizeof(*v), l3_line_cmp);
}

static void l3_delta_replace(struct l3_live_delta *d, const char *what, const char *line)
{
	char name[64];

	if (d->replace)
		return;		/* the first reason is the one said */
	d->replace = true;
	snprintf(d->why, sizeof(d->why), "%s %s differs", what, l3_live_line_name(line, name,
										 sizeof(name)));
}

static bool l3_live_set_flags(const struct l3_live *lv, const char *set, unsigned *flags);

/* A plain interval set's elements come in pairs (start, end flag) that
 * the lines do not carry: a change to one replaces the table. A
 * concatenated one's (expose_from4/6) carry both ends on one line: they
 * are added and deleted one by one. */
static bool l3_delta_interval(const struct l3_live *lv, const char *line)
{
	char set[64];
	unsigned flags = 0;
	size_t n = strcspn(line + 5, " ");

	if (n >= sizeof(set))
		return true;
	memcpy(set, line + 5, n);
	set[n] = '\0';
	return !l3_live_set_flags(lv, set, &flags) ||
	       ((flags & NFT_SET_INTERVAL) && !(flags & NFT_SET_CONCAT));
}

/* One line only in @have (@add false) or only in @want. */
static int l3_delta_line(struct l3_live_delta *d, const struct l3_live *side,
			 struct l3_live_list *rules, const char *line, bool add)
{
	if (l3_has_prefix(line, "elem ") && l3_delta_interval(side, line))
		l3_delta_replace(d, "an element of interval set", line);
	else if (l3_has_prefix(line, "elem "))
		return l3_list_push(add ? &d->elems_add : &d->elems_del, line);
	if (l3_has_prefix(line, "counter "))
		return l3_list_push(add ? &d->ctrs_add : &d->ctrs_del, line);
	if (l3_has_prefix(line, "rule "))
		return l3_list_push(rules, line);
	if (l3_has_prefix(line, "chain ") && !strstr(line, " hook "))
		return l3_list_push(add ? &d->chains_add : &d->chains_del, line);
	l3_delta_replace(d, l3_has_prefix(line, "chain ") ? "base chain"
			    : l3_has_prefix(line, "set ") ? "set" : "table", line);
	return 0;
}

/* A differing rule: nothing to do when its chain comes or goes whole; a
 * regular chain kept is flushed and refilled; a base chain's rules are the
 * table's shape (mark_mask, l3nft's version): the table is replaced. */
static int l3_delta_rule(struct l3_live_delta *d, const struct l3_live *want, const char *line)
{
	char name[64], chain[80], last[64];

	l3_live_line_name(line, name, sizeof(name));
	snprintf(chain, sizeof(chain), "chain %s", name);
	if (l3_lines_have(d->chains_add.v, d->chains_add.n, chain) ||
	    l3_lines_have(d->chains_del.v, d->chains_del.n, chain))
		return 0;
	if (!l3_lines_have((const char *const *)want->lines, want->nlines, chain)) {
		l3_delta_replace(d, "rules of base chain", line);
		return 0;
	}
	if (d->flush.n &&
	    !strcmp(l3_live_line_name(d->flush.v[d->flush.n - 1], last, sizeof(last)), name))
		return 0;
	return l3_list_push(&d->flush, line);
}

int l3_live_delta(const struct l3_live *have, const struct l3_live *want, struct l3_live_delta *d)
{
	struct l3_live_list rules = { 0 };
	size_t i = 0, j = 0;
	int rc = 0;

	memset(d, 0, sizeof(*d));
	if (!have->exists) {
		d->replace = true;
		snprintf(d->why, sizeof(d->why), "the table is new");
	}
	while (rc == 0 && (i < have->nlines || j < want->nlines)) {
		int r = i == have->nlines ? 1 : j == want->nlines ? -1
			: strcmp(have->lines[i], want->lines[j]);

		if (r == 0)
			i++, j++;
		else if (r < 0)
			rc = l3_delta_line(d, have, &rules, have->lines[i++], false);
		else
			rc = l3_delta_line(d, want, &rules, want->lines[j++], true);
	}
	for (i = 0; rc == 0 && i < rules.n; i++)
		rc = l3_delta_rule(d, want, rules.v[i]);
	free(rules.v);
	return rc;
}

size_t l3_live_delta_size(const struct l3_live_delta *d)
{
	return d->elems_del.n + d->elems_add.n + d->chains_del.n + d->chains_add.n +
	       d->ctrs_del.n + d->ctrs_add.n + d->flush.n;
}

void l3_live_delta_free(struct l3_live_delta *d)
{
	size_t i;

	free(d->elems_del.v);
	free(d->elems_add.v);
	free(d->chains_del.v);
	free(d->chains_add.v);
	free(d->ctrs_del.v);
	free(d->ctrs_add.v);
	free(d->flush.v);
	for (i = 0; i < d->nnames; i++)
		free(d->names[i]);
	free(d->names);
	memset(d, 0, sizeof(*d));
}

static int l3_unhex(const char *s, size_t n, uint8_t *out, size_t max, uint32_t *len)
{
	size_t i;

	if (n % 2 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*len = (uint32_t)(n / 2);
	return 0;
}

/* The data after " : " of an elem line (see l3_live_elem()). */
static int l3_live_elem_data(const char *p, struct l3_nl_raw_elem *e)
{
	int n = 0;

	if (sscanf(p, "verdict %d %63s%n", &e->verdict, e->ref, &n) == 2 && !p[n]) {
		e->kind = L3_NL_DATA_VERDICT;
		return 0;
	}
	if (sscanf(p, "obj %63s%n", e->ref, &n) == 1 && !p[n]) {
		e->kind = L3_NL_DATA_OBJ;
		return 0;
	}
	e->kind = L3_NL_DATA_BYTES;
	return l3_unhex(p, strlen(p), e->data, sizeof(e->data), &e->dlen);
}

int l3_live_elem_parse(const char *line, char *set, size_t setlen, struct l3_nl_raw_elem *e)
{
	const char *p = line + 5, *key;
	size_t n;

	memset(e, 0, sizeof(*e));
	if (!l3_has_prefix(line, "elem ") || (n = strcspn(p, " ")) >= setlen || !p[n])
		goto bad;
	memcpy(set, p, n);
	set[n] = '\0';
	key = p + n + 1;
	n = strcspn(key, " ");
	if (memchr(key, '-', n)) {	/* KEY-KEY_END */
		size_t k = (size_t)((const char *)memchr(key, '-', n) - key);

		if (l3_unhex(key, k, e->key, sizeof(e->key), &e->klen) < 0 ||
		    l3_unhex(key + k + 1, n - k - 1, e->key_end, sizeof(e->key_end),
			     &e->klen_end) < 0 || !e->klen_end)
			goto bad;
	} else if (l3_unhex(key, n, e->key, sizeof(e->key), &e->klen) < 0) {
		goto bad;
	}
	if (!key[n])
		return 0;
	if (strncmp(key + n, " : ", 3) || l3_live_elem_data(key + n + 3, e) < 0)
		goto bad;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/* A copy of @s that lives as long as the delta (batch origins point to it). */
static const char *l3_delta_keep(struct l3_live_delta *d, const char *s)
{
	void *p = l3_live_room(d->names, d->nnames, &d->names_cap, sizeof(*d->names));
	char *copy;

	if (!p)
		return NULL;
	d->names = p;
	copy = strdup(s);
	if (copy)
		d->names[d->nnames++] = copy;
	return copy;
}

#define L3_LIVE_ELEM_CHUNK 512

int l3_live_emit_elems(struct l3_live_delta *d, struct l3_nl_batch *nb, const char *table,
		       const struct l3_live_list *lines, bool add)
{
	struct l3_nl_raw_elem *e = calloc(L3_LIVE_ELEM_CHUNK + 1, sizeof(*e));
	char set[32] = "", next[32];
	const char *kept = NULL;
	size_t i, n = 0;
	int rc = e ? 0 : -1;

	/* the lines are sorted, so each set's elements come together */
	for (i = 0; rc == 0 && i <= lines->n; i++) {
		if (i < lines->n &&
		    (rc = l3_live_elem_parse(lines->v[i], next, sizeof(next), &e[n])) < 0)
			break;
		if (n && (i == lines->n || strcmp(next, set) || n == L3_LIVE_ELEM_CHUNK)) {
			rc = l3_nl_emit_raw_elems(nb, table, kept, e, n, add);
			if (i < lines->n)
				e[0] = e[n];
			n = 0;
		}
		if (i < lines->n && (strcmp(next, set) || !kept)) {
			snprintf(set, sizeof(set), "%s", next);
			if (!(kept = l3_delta_keep(d, set)))
				rc = -1;
		}
		n++;
	}
	free(e);
	return rc;
}

/* nft's datatype numbers, as the set lines carry them. */
enum { L3_LDT_IPADDR = 7, L3_LDT_IP6ADDR = 8, L3_LDT_PROTO = 12, L3_LDT_SERVICE = 13,
       L3_LDT_MARK = 19, L3_LDT_CGROUPV2 = 46 };

static uint32_t l3_ldt_len(unsigned t)
{
	return t == L3_LDT_IP6ADDR ? 16 : t == L3_LDT_CGROUPV2 ? 8 : t == L3_LDT_SERVICE ? 2
	       : t == L3_LDT_PROTO ? 1 : 4;
}

/* One value of type @t at @p, as nft writes it (a cgroup by its id). */
static size_t l3_ldt_print(unsigned t, const uint8_t *p, char *buf, size_t len)
{
	uint32_t u32;
	uint64_t u64;

	switch (t) {
	case L3_LDT_IPADDR:
	case L3_LDT_IP6ADDR:
		inet_ntop(t == L3_LDT_IPADDR ? AF_INET : AF_INET6, p, buf, (socklen_t)len);
		break;
	case L3_LDT_SERVICE:
		snprintf(buf, len, "%u", (unsigned)(p[0] << 8 | p[1]));
		break;
	case L3_LDT_PROTO:
		snprintf(buf, len, "%u", p[0]);
		break;
	case L3_LDT_CGROUPV2:
		memcpy(&u64, p, 8);
		snprintf(buf, len, "cgroup id %llu", (unsigned long long)u64);
		break;
	default:
		memcpy(&u32, p, 4);
		snprintf(buf, len, "0x%08x", u32);
		break;
	}
	return strlen(buf);
}

/* The prefix length of the range @a..@b (@n bytes), or -1 when it is no
 * prefix. */
static int l3_range_plen(const uint8_t *a, const uint8_t *b, uint32_t n)
{
	uint32_t i;
	int plen = -1;

	for (i = 0; i < n * 8; i++) {
		const unsigned bit = 0x80u >> (i % 8);
		const bool x = a[i / 8] & bit, y = b[i / 8] & bit;

		if (plen < 0 && x != y)
			plen = (int)i;
		if (plen >= 0 && (x || !y))
			return -1;
	}
	return plen < 0 ? (int)(n * 8) : plen;
}

/* The end of a range's last field, after its start: "/24" for a prefix,
 * else "-END". */
static size_t l3_ldt_range_end(unsigned t, const uint8_t *a, const uint8_t *b, char *buf,
			       size_t len)
{
	int plen = l3_range_plen(a, b, l3_ldt_len(t));

	if (plen >= 0 && (t == L3_LDT_IPADDR || t == L3_LDT_IP6ADDR)) {
		snprintf(buf, len, "/%d", plen);
		return strlen(buf);
	}
	if (len < 2)
		return 0;
	buf[0] = '-';
	return 1 + l3_ldt_print(t, b, buf + 1, len - 1);
}

/* The key type, flags and data type of set @set from its "set" line. */
static bool l3_live_set_line(const struct l3_live *lv, const char *set, unsigned *key,
			     unsigned *flags, unsigned *data)
{
	char prefix[64];
	size_t lo = 0, hi = lv->nlines, n;

	n = (size_t)snprintf(prefix, sizeof(prefix), "set %s key ", set);
	while (lo < hi) {	/* the first line not below the prefix */
		size_t mid = (lo + hi) / 2;

		if (strcmp(lv->lines[mid], prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < lv->nlines && !strncmp(lv->lines[lo], prefix, n) &&
	       sscanf(lv->lines[lo] + n, "%u/%*u flags %x data %u", key, flags, data) == 3;
}

static bool l3_live_set_flags(const struct l3_live *lv, const char *set, unsigned *flags)
{
	unsigned key, data;

	return l3_live_set_line(lv, set, &key, flags, &data);
}

static const char *l3_ldt_name(unsigned t)
{
	switch (t) {
	case L3_LDT_IPADDR:
		return "ipv4_addr";
	case L3_LDT_IP6ADDR:
		return "ipv6_addr";
	case L3_LDT_PROTO:
		return "inet_proto";
	case L3_LDT_SERVICE:
		return "inet_service";
	case L3_LDT_MARK:
		return "mark";
	case L3_LDT_CGROUPV2:
		return "cgroupsv2";
	default:
		return NULL;
	}
}

/* A "set" line's map value: verdict, counter or a data type. */
static const char *l3_live_set_value(unsigned flags, unsigned data, unsigned obj)
{
	if (flags & NFT_SET_OBJECT)
		return obj == NFT_OBJECT_COUNTER ? "counter" : NULL;
	return data == (unsigned)NFT_DATA_VERDICT ? "verdict" : l3_ldt_name(data);
}

void l3_live_set_nft(const char *line, char *buf, size_t len)
{
	unsigned key, klen, flags, data, obj, t[8];
	const char *name;
	size_t nt = 0, o, i;
	char set[64];

	if (sscanf(line, "set %63s key %u/%u flags %x data %u obj %u", set, &key, &klen, &flags,
		   &data, &obj) != 6)
		goto raw;
	for (; key && nt < L3_ARRAY_SIZE(t); key >>= 6)
		t[nt++] = key & 63;
	o = (size_t)snprintf(buf, len, "%s %s { type ",
			     flags & (NFT_SET_MAP | NFT_SET_OBJECT) ? "map" : "set", set);
	for (i = nt; i-- > 0;) {	/* the first field is in the high bits */
		if (!(name = l3_ldt_name(t[i])) || o >= len)
			goto raw;
		o += (size_t)snprintf(buf + o, len - o, "%s%s", name, i ? " . " : "");
	}
	if (flags & (NFT_SET_MAP | NFT_SET_OBJECT)) {
		if (!(name = l3_live_set_value(flags, data, obj)) || o >= len)
			goto raw;
		o += (size_t)snprintf(buf + o, len - o, " : %s", name);
	}
	if (nt && o < len) {
		snprintf(buf + o, len - o, "; }");
		return;
	}
raw:
	snprintf(buf, len, "%s", line);
}

void l3_live_elem_nft(const struct l3_live *lv, const char *line, char *buf, size_t len)
{
	unsigned key = 0, flags = 0, data = 0, t[8];
	struct l3_nl_raw_elem e;
	char set[32];
	size_t o, nt = 0, off = 0, i;
	uint32_t be;

	if (l3_live_elem_parse(line, set, sizeof(set), &e) < 0 ||
	    !l3_live_set_line(lv, set, &key, &flags, &data)) {
		snprintf(buf, len, "%s", line);
		return;
	}
	for (; key && nt < L3_ARRAY_SIZE(t); key >>= 6)
		t[nt++] = key & 63;
	o = (size_t)snprintf(buf, len, "element %s { ", set);
	for (i = nt; i-- > 0 && o + 48 < len;) {	/* the first field is in the high bits */
		if (off + l3_ldt_len(t[i]) > e.klen)
			break;
		if ((flags & NFT_SET_INTERVAL) && t[i] == L3_LDT_MARK) {
			/* a range set holds the mark big-endian (emit_nl.c) */
			memcpy(&be, e.key + off, 4);
			o += (size_t)snprintf(buf + o, len - o, "0x%08x", ntohl(be));
		} else {
			o += l3_ldt_print(t[i], e.key + off, buf + o, len - o);
		}
		if (e.klen_end && i == 0 && off + l3_ldt_len(t[i]) <= e.klen_end)
			o += l3_ldt_range_end(t[i], e.key + off, e.key_end + off, buf + o, len - o);
		off += nt > 1 ? (l3_ldt_len(t[i]) + 3) / 4 * 4 : l3_ldt_len(t[i]);
		if (i && o + 3 < len)
			o += (size_t)snprintf(buf + o, len - o, " . ");
	}
	if (e.kind == L3_NL_DATA_VERDICT && o + 8 < len)
		o += (size_t)snprintf(buf + o, len - o, " : %s %s",
				      e.verdict == NFT_JUMP ? "jump" : "goto", e.ref);
	else if (e.kind == L3_NL_DATA_OBJ && o + 8 < len)
		o += (size_t)snprintf(buf + o, len - o, " : \"%s\"", e.ref);
	else if (e.kind == L3_NL_DATA_BYTES && o + 48 < len && e.dlen >= l3_ldt_len(data)) {
		o += (size_t)snprintf(buf + o, len - o, " : ");
		o += l3_ldt_print(data, e.data, buf + o, len - o);
	}
	if (o + 3 < len)
		snprintf(buf + o, len - o, " }");
}
