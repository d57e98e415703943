/*
 * IR → one nf_tables transaction. Each rule item expands into the
 * expressions nft itself generates for the same text (checked with
 * `nft --debug=netlink`), so `nft list` shows the same table whichever
 * way it was loaded.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_NFQUEUE.h>
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
#include "l3nft/compiler/emit_nl.h"

/* nft's datatype numbers (what `nft list` reads back from set keys). */
enum {
	L3_DT_VERDICT = 1,
	L3_DT_IPADDR = 7,
	L3_DT_IP6ADDR = 8,
	L3_DT_INET_SERVICE = 13,
	L3_DT_INET_PROTO = 12,
	L3_DT_MARK = 19,
	L3_DT_CGROUPV2 = 46,
	L3_DT_BITS = 6,		/* a concatenation packs ids 6 bits apart */
};
/* nft's set userdata: the byte order of key and data. */
enum { L3_UDATA_KEYBYTEORDER = 0, L3_UDATA_DATABYTEORDER = 1 };

enum { L3_BO_INVALID = 0, L3_BO_HOST = 1, L3_BO_BIG = 2 };

#define L3_NL_PAGE (256u * 1024u)
#define L3_NL_OVERRUN (64u * 1024u)
#define L3_NL_ELEMS_PER_MSG 128

int l3_nl_batch_init(struct l3_nl_batch *nb, uint32_t seq)
{
	memset(nb, 0, sizeof(*nb));
	nb->b = nftnl_batch_alloc(L3_NL_PAGE, L3_NL_OVERRUN);
	if (!nb->b)
		return -1;
	nb->seq_first = seq;
	nb->seq_next = seq;
	nftnl_batch_begin(nftnl_batch_buffer(nb->b), nb->seq_next++);
	return nftnl_batch_update(nb->b);
}

void l3_nl_batch_fini(struct l3_nl_batch *nb)
{
	if (nb->b)
		nftnl_batch_free(nb->b);
	free(nb->origins);
	memset(nb, 0, sizeof(*nb));
}

int l3_nl_batch_end(struct l3_nl_batch *nb, bool commit)
{
	/* a batch that never ends is checked by the kernel, then aborted */
	if (!commit)
		return 0;
	nftnl_batch_end(nftnl_batch_buffer(nb->b), nb->seq_next++);
	return nftnl_batch_update(nb->b);
}

/* Starts a message, remembering what it is for error messages. */
static struct nlmsghdr *l3_nl_msg(struct l3_nl_batch *nb, uint16_t type, uint16_t flags,
				  const char *what, struct l3_pos pos)
{
	struct l3_nl_origin *o;

	if (nb->norigins == nb->cap) {
		size_t cap = nb->cap ? nb->cap * 2 : 256;
		void *p = realloc(nb->origins, cap * sizeof(*nb->origins));

		if (!p)
			return NULL;
		nb->origins = p;
		nb->cap = cap;
	}
	o = &nb->origins[nb->norigins++];
	o->seq = nb->seq_next;
	o->what = what;
	o->pos = pos;
	return nftnl_nlmsg_build_hdr(nftnl_batch_buffer(nb->b), type, NFPROTO_INET, flags,
				     nb->seq_next++);
}

/* ---- table, counters ---- */

/* The table's comment as nft stores it: a userdata TLV. */
static int l3_nl_table_comment(struct nftnl_table *t, const char *comment)
{
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);

	if (!ud)
		return -1;
	if (!nftnl_udata_put_strz(ud, L3_NL_UDATA_TABLE_COMMENT, comment)) {
		nftnl_udata_buf_free(ud);
		errno = E2BIG;
		return -1;
	}
	nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(ud),
			     nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
	return 0;
}

static int l3_nl_table_msg(struct l3_nl_batch *nb, const char *name, uint16_t type,
			   uint16_t flags, const char *comment)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (!t)
		return -1;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	if (comment && l3_nl_table_comment(t, comment) < 0) {
		nftnl_table_free(t);
		return -1;
	}
	nlh = l3_nl_msg(nb, type, flags, "table", L3_NOPOS);
	if (nlh)
		nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	return nlh ? nftnl_batch_update(nb->b) : -1;
}

int l3_nl_emit_delete(struct l3_nl_batch *nb, const char *name)
{
	return l3_nl_table_msg(nb, name, NFT_MSG_DELTABLE, 0, NULL);
}

struct nftnl_obj *l3_nl_counter_obj(const struct l3_ir *ir, const struct l3_ir_counter *c)
{
	struct nftnl_obj *o = nftnl_obj_alloc();

	if (!o)
		return NULL;
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, ir->table);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, c->name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, NFPROTO_INET);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	if (c->packets || c->bytes) {
		nftnl_obj_set_u64(o, NFTNL_OBJ_CTR_PKTS, c->packets);
		nftnl_obj_set_u64(o, NFTNL_OBJ_CTR_BYTES, c->bytes);
	}
	return o;
}

static int l3_nl_counter(struct l3_nl_batch *nb, const struct l3_ir *ir,
			 const struct l3_ir_counter *c)
{
	struct nftnl_obj *o = l3_nl_counter_obj(ir, c);
	struct nlmsghdr *nlh;

	if (!o)
		return -1;
	nlh = l3_nl_msg(nb, NFT_MSG_NEWOBJ, NLM_F_CREATE, c->name, c->pos);
	if (nlh)
		nftnl_obj_nlmsg_build_payload(nlh, o);
	nftnl_obj_free(o);
	return nlh ? nftnl_batch_update(nb->b) : -1;
}

int l3_nl_emit_counter(struct l3_nl_batch *nb, const struct l3_ir *ir,
		       const struct l3_ir_counter *c)
{
	return l3_nl_counter(nb, ir, c);
}

/* ---- sets ---- */

static uint32_t l3_nl_type_len(enum l3_ir_type t)
{
	switch (t) {
	case L3_T_IPV6:
		return 16;
	case L3_T_CGROUP:
		return 8;
	case L3_T_PORT:
		return 2;
	case L3_T_PROTO:
		return 1;
	default:
		return 4;
	}
}

static uint32_t l3_nl_type_id(enum l3_ir_type t)
{
	switch (t) {
	case L3_T_MARK:
		return L3_DT_MARK;
	case L3_T_IPV4:
		return L3_DT_IPADDR;
	case L3_T_IPV6:
		return L3_DT_IP6ADDR;
	case L3_T_CGROUP:
		return L3_DT_CGROUPV2;
	case L3_T_PORT:
		return L3_DT_INET_SERVICE;
	case L3_T_VERDICT:
		return L3_DT_VERDICT;
	case L3_T_PROTO:
		return L3_DT_INET_PROTO;
	default:
		return 0;
	}
}

static uint32_t l3_nl_byteorder(enum l3_ir_type t)
{
	switch (t) {
	case L3_T_MARK:
	case L3_T_CGROUP:
		return L3_BO_HOST;
	case L3_T_IPV4:
	case L3_T_IPV6:
	case L3_T_PORT:
		return L3_BO_BIG;
	case L3_T_PROTO:
		return L3_BO_INVALID;
	default:
		return L3_BO_INVALID;
	}
}

/* Writes @v as the kernel stores it; concatenation fields are padded to
 * 32 bits. Returns the bytes written. */
static uint32_t l3_nl_value_bytes(const struct l3_ir_value *v, uint8_t *buf, bool pad)
{
	uint32_t n = l3_nl_type_len(v->type);
	uint16_t port;

	memset(buf, 0, 16);
	switch (v->type) {
	case L3_T_MARK:
	case L3_T_IFINDEX:
		memcpy(buf, &v->u.mark, 4);
		break;
	case L3_T_IPV4:
		memcpy(buf, &v->u.v4, 4);
		break;
	case L3_T_IPV6:
		memcpy(buf, &v->u.v6, 16);
		break;
	case L3_T_CGROUP:
		memcpy(buf, &v->u.cg.id, 8);
		break;
	case L3_T_PORT:
		port = htons(v->u.port);
		memcpy(buf, &port, 2);
		break;
	case L3_T_PROTO:
		buf[0] = (uint8_t)v->u.mark;
		break;
	default:
		break;
	}
	return pad ? (n + 3) / 4 * 4 : n;
}

static void l3_nl_set_udata(struct nftnl_set *s, const struct l3_ir_set *is)
{
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(64);

	if (!ud)
		return;
	nftnl_udata_put_u32(ud, L3_UDATA_KEYBYTEORDER,
			    is->nkey > 1 ? L3_BO_INVALID : l3_nl_byteorder(is->key[0]));
	if (is->flags & L3_SET_MAP && is->data != L3_T_COUNTER)
		nftnl_udata_put_u32(ud, L3_UDATA_DATABYTEORDER, l3_nl_byteorder(is->data));
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
			   nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
}

static struct nftnl_set *l3_nl_set_alloc_in(const char *table, const char *name, uint32_t id)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return NULL;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	return s;
}

static struct nftnl_set *l3_nl_set_alloc(const struct l3_ir *ir, const char *name, uint32_t id)
{
	return l3_nl_set_alloc_in(ir->table, name, id);
}

static void l3_nl_set_type(struct nftnl_set *s, const struct l3_ir_set *is)
{
	uint32_t type = 0, len = 0, flags = 0;
	int i;

	for (i = 0; i < is->nkey; i++) {
		type = type << L3_DT_BITS | l3_nl_type_id(is->key[i]);
		len += is->nkey > 1 ? (l3_nl_type_len(is->key[i]) + 3) / 4 * 4
				    : l3_nl_type_len(is->key[i]);
	}
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, len);
	if (is->data == L3_T_COUNTER) {
		flags |= NFT_SET_OBJECT;
		nftnl_set_set_u32(s, NFTNL_SET_OBJ_TYPE, NFT_OBJECT_COUNTER);
	} else if (is->flags & L3_SET_MAP) {
		flags |= NFT_SET_MAP;
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, is->data == L3_T_VERDICT
				  ? NFT_DATA_VERDICT : l3_nl_type_id(is->data));
		if (is->data != L3_T_VERDICT)
			nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, l3_nl_type_len(is->data));
	}
	if (is->flags & L3_SET_INTERVAL) {
		/* the kernel picks its concatenated-range backend (pipapo)
		 * from these flags and the fields' unpadded lengths */
		uint8_t field_len[NFT_REG32_COUNT] = { 0 };

		flags |= NFT_SET_INTERVAL | NFT_SET_CONCAT;
		for (i = 0; i < is->nkey; i++)
			field_len[i] = (uint8_t)l3_nl_type_len(is->key[i]);
		nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, field_len, (uint32_t)is->nkey);
	}
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	l3_nl_set_udata(s, is);
}

/* The last address of prefix @v/@plen: its host bits set. */
static struct l3_ir_value l3_nl_prefix_end(struct l3_ir_value v, int plen)
{
	uint8_t *p = v.type == L3_T_IPV4 ? (uint8_t *)&v.u.v4 : (uint8_t *)&v.u.v6;
	int i, bits = v.type == L3_T_IPV4 ? 32 : 128;

	for (i = plen; i < bits; i++)
		p[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	return v;
}

/* The element's key, concatenated and padded, into @key; with @end, the
 * range end of an interval set's element (its last field's last address).
 * Returns the length. */
static uint32_t l3_nl_elem_key(const struct l3_ir_set *is, const struct l3_ir_elem *e, bool end,
			       uint8_t *key)
{
	uint8_t buf[16];
	uint32_t n = 0;
	int i;

	for (i = 0; i < is->nkey; i++) {
		struct l3_ir_value v = e->key[i];
		uint32_t k;

		if (end && i == is->nkey - 1)
			v = l3_nl_prefix_end(v, e->plen);
		if (is->flags & L3_SET_INTERVAL && v.type == L3_T_MARK)
			v.u.mark = htonl(v.u.mark);	/* see l3_nl_key_range() */
		k = l3_nl_value_bytes(&v, buf, is->nkey > 1);
		memcpy(key + n, buf, k);
		n += k;
	}
	return n;
}

static struct nftnl_set_elem *l3_nl_elem(const struct l3_ir_set *is,
					  const struct l3_ir_elem *e)
{
	struct nftnl_set_elem *se = nftnl_set_elem_alloc();
	uint8_t key[L3_IR_SET_KEYS_MAX * 16], buf[16];
	uint32_t n;

	if (!se)
		return NULL;
	n = l3_nl_elem_key(is, e, false, key);
	nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, key, n);
	if (is->flags & L3_SET_INTERVAL) {
		n = l3_nl_elem_key(is, e, true, key);
		nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY_END, key, n);
	}
	if (is->data == L3_T_VERDICT) {
		/* verdict map elements always jump to a namespace's chain */
		nftnl_set_elem_set_u32(se, NFTNL_SET_ELEM_VERDICT, (uint32_t)NFT_JUMP);
		nftnl_set_elem_set_str(se, NFTNL_SET_ELEM_CHAIN, e->data.u.verdict.chain);
	} else if (is->data == L3_T_COUNTER) {
		nftnl_set_elem_set_str(se, NFTNL_SET_ELEM_OBJREF, e->data.u.obj);
	} else if (is->flags & L3_SET_MAP) {
		n = l3_nl_value_bytes(&e->data, buf, false);
		nftnl_set_elem_set(se, NFTNL_SET_ELEM_DATA, buf, n);
	}
	return se;
}

/* Elements go in messages of bounded size so no message outgrows a page.
 * Deletions carry only the key. */
static int l3_nl_elem_msgs(struct l3_nl_batch *nb, const struct l3_ir *ir,
			   const struct l3_ir_set *is, uint32_t id, const struct l3_ir_elem *e,
			   size_t n, uint16_t type)
{
	size_t i = 0, j;

	while (i < n) {
		struct nftnl_set *s = l3_nl_set_alloc(ir, is->name, id);
		struct nlmsghdr *nlh;

		if (!s)
			return -1;
		for (j = 0; i < n && j < L3_NL_ELEMS_PER_MSG; i++, j++) {
			struct nftnl_set_elem *se = l3_nl_elem(is, &e[i]);

			if (!se) {
				nftnl_set_free(s);
				return -1;
			}
			if (type == NFT_MSG_DELSETELEM) {
				nftnl_set_elem_unset(se, NFTNL_SET_ELEM_VERDICT);
				nftnl_set_elem_unset(se, NFTNL_SET_ELEM_CHAIN);
				nftnl_set_elem_unset(se, NFTNL_SET_ELEM_DATA);
				nftnl_set_elem_unset(se, NFTNL_SET_ELEM_OBJREF);
			}
			nftnl_set_elem_add(s, se);
		}
		nlh = l3_nl_msg(nb, type, type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0,
				is->name, e[i - 1].pos);
		if (nlh)
			nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		if (!nlh || nftnl_batch_update(nb->b) < 0)
			return -1;
	}
	return 0;
}

static int l3_nl_elems(struct l3_nl_batch *nb, const struct l3_ir *ir,
		       const struct l3_ir_set *is, uint32_t id)
{
	return l3_nl_elem_msgs(nb, ir, is, id, is->elems.items, is->elems.len,
			       NFT_MSG_NEWSETELEM);
}

int l3_nl_emit_elems(struct l3_nl_batch *nb, const struct l3_ir *ir, const struct l3_ir_set *is,
		     const struct l3_ir_elem *e, size_t n, bool add)
{
	return l3_nl_elem_msgs(nb, ir, is, 0, e, n,
			       add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM);
}

static struct nftnl_set_elem *l3_nl_raw_elem(const struct l3_nl_raw_elem *r, bool add)
{
	struct nftnl_set_elem *se = nftnl_set_elem_alloc();

	if (!se)
		return NULL;
	nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, r->key, r->klen);
	if (r->klen_end)	/* a range is deleted by both ends */
		nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY_END, r->key_end, r->klen_end);
	if (!add)
		return se;	/* deletions carry only the key */
	if (r->kind == L3_NL_DATA_VERDICT) {
		nftnl_set_elem_set_u32(se, NFTNL_SET_ELEM_VERDICT, (uint32_t)r->verdict);
		nftnl_set_elem_set_str(se, NFTNL_SET_ELEM_CHAIN, r->ref);
	} else if (r->kind == L3_NL_DATA_OBJ) {
		nftnl_set_elem_set_str(se, NFTNL_SET_ELEM_OBJREF, r->ref);
	} else if (r->kind == L3_NL_DATA_BYTES) {
		nftnl_set_elem_set(se, NFTNL_SET_ELEM_DATA, r->data, r->dlen);
	}
	return se;
}

int l3_nl_emit_raw_elems(struct l3_nl_batch *nb, const char *table, const char *set,
			 const struct l3_nl_raw_elem *e, size_t n, bool add)
{
	const uint16_t type = add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM;
	size_t i = 0, j;

	while (i < n) {
		struct nftnl_set *s = l3_nl_set_alloc_in(table, set, 0);
		struct nlmsghdr *nlh;

		if (!s)
			return -1;
		for (j = 0; i < n && j < L3_NL_ELEMS_PER_MSG; i++, j++) {
			struct nftnl_set_elem *se = l3_nl_raw_elem(&e[i], add);

			if (!se) {
				nftnl_set_free(s);
				return -1;
			}
			nftnl_set_elem_add(s, se);
		}
		nlh = l3_nl_msg(nb, type, add ? NLM_F_CREATE | NLM_F_EXCL : 0, set, L3_NOPOS);
		if (nlh)
			nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		if (!nlh || nftnl_batch_update(nb->b) < 0)
			return -1;
	}
	return 0;
}

struct nftnl_set *l3_nl_set_obj(const struct l3_ir *ir, const struct l3_ir_set *is, uint32_t id,
			       bool elems)
{
	struct nftnl_set *s = l3_nl_set_alloc(ir, is->name, id);
	const struct l3_ir_elem *e = is->elems.items;
	size_t i;

	if (!s)
		return NULL;
	l3_nl_set_type(s, is);
	for (i = 0; elems && i < is->elems.len; i++) {
		struct nftnl_set_elem *se = l3_nl_elem(is, &e[i]);

		if (!se) {
			nftnl_set_free(s);
			return NULL;
		}
		nftnl_set_elem_add(s, se);
	}
	return s;
}

static int l3_nl_set(struct l3_nl_batch *nb, const struct l3_ir *ir, const struct l3_ir_set *is,
		     uint32_t id)
{
	struct nftnl_set *s = l3_nl_set_obj(ir, is, id, false);
	struct nlmsghdr *nlh;

	if (!s)
		return -1;
	nlh = l3_nl_msg(nb, NFT_MSG_NEWSET, NLM_F_CREATE, is->name, is->pos);
	if (nlh)
		nftnl_set_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	if (!nlh || nftnl_batch_update(nb->b) < 0)
		return -1;
	return l3_nl_elems(nb, ir, is, id);
}

/* ---- chains ---- */

struct nftnl_chain *l3_nl_chain_obj(const struct l3_ir *ir, const struct l3_ir_chain *c)
{
	static const uint32_t hooks[] = {
		[L3_HOOK_PREROUTING] = NF_INET_PRE_ROUTING, [L3_HOOK_INPUT] = NF_INET_LOCAL_IN,
		[L3_HOOK_OUTPUT] = NF_INET_LOCAL_OUT, [L3_HOOK_POSTROUTING] = NF_INET_POST_ROUTING,
	};
	static const char *const types[] = { "filter", "route", "nat" };
	struct nftnl_chain *ch = nftnl_chain_alloc();

	if (!ch)
		return NULL;
	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, ir->table);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, c->name);
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	if (c->hook != L3_HOOK_NONE) {
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, hooks[c->hook]);
		nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, c->prio);
		nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, types[c->type]);
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	return ch;
}

static int l3_nl_chain(struct l3_nl_batch *nb, const struct l3_ir *ir,
		       const struct l3_ir_chain *c)
{
	struct nftnl_chain *ch = l3_nl_chain_obj(ir, c);
	struct nlmsghdr *nlh;

	if (!ch)
		return -1;
	nlh = l3_nl_msg(nb, NFT_MSG_NEWCHAIN, NLM_F_CREATE, c->name, c->pos);
	if (nlh)
		nftnl_chain_nlmsg_build_payload(nlh, ch);
	nftnl_chain_free(ch);
	return nlh ? nftnl_batch_update(nb->b) : -1;
}

/* ---- rules: one IR item at a time ---- */

struct l3_nl_rule {
	struct nftnl_rule *r;
	struct l3_nl_batch *nb;		/* NULL: anonymous sets are not sent */
	uint32_t anon_sets;		/* without a batch: ids of anonymous sets */
	const struct l3_ir *ir;
	int nfproto;		/* the family already matched, 0 if none */
	bool oom;
};

static struct nftnl_expr *l3_nl_expr(struct l3_nl_rule *x, const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (!e)
		x->oom = true;
	else
		nftnl_rule_add_expr(x->r, e);
	return e;
}

static void l3_nl_meta(struct l3_nl_rule *x, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = l3_nl_expr(x, "meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

static void l3_nl_payload(struct l3_nl_rule *x, uint32_t base, uint32_t off, uint32_t len,
			  uint32_t dreg)
{
	struct nftnl_expr *e = l3_nl_expr(x, "payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
}

static void l3_nl_bitwise(struct l3_nl_rule *x, uint32_t reg, uint32_t mask, uint32_t xor)
{
	struct nftnl_expr *e = l3_nl_expr(x, "bitwise");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &xor, 4);
}

static void l3_nl_cmp(struct l3_nl_rule *x, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = l3_nl_expr(x, "cmp");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

/* "meta nfproto ipv4" before an IPv4 header field, unless already known. */
static void l3_nl_need_family(struct l3_nl_rule *x, int nfproto)
{
	uint8_t v = (uint8_t)nfproto;

	if (x->nfproto == nfproto)
		return;
	l3_nl_meta(x, NFT_META_NFPROTO, NFT_REG_1);
	l3_nl_cmp(x, NFT_CMP_EQ, &v, 1);
	x->nfproto = nfproto;
}

/* Register for a concatenation field @words 32-bit words in, as nft
 * numbers it: whole 128-bit registers where the field starts on one. */
static uint32_t l3_nl_reg(uint32_t words)
{
	return words % 4 == 0 ? NFT_REG_1 + words / 4 : NFT_REG32_00 + words;
}

static void l3_nl_key_deps(struct l3_nl_rule *x, const struct l3_ir_key *k)
{
	int i;

	for (i = 0; i < k->n; i++) {
		switch (k->e[i].sel) {
		case L3_SEL_IP_SADDR:
		case L3_SEL_IP_DADDR:
			l3_nl_need_family(x, NFPROTO_IPV4);
			break;
		case L3_SEL_IP6_SADDR:
		case L3_SEL_IP6_DADDR:
			l3_nl_need_family(x, NFPROTO_IPV6);
			break;
		default:
			break;
		}
	}
}

static void l3_nl_ct(struct l3_nl_rule *x, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = l3_nl_expr(x, "ct");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
}

/* Loads one selector into @reg; returns its length in bytes. @plen > 0
 * loads only the leading bytes of an address (prefix match). */
static uint32_t l3_nl_load(struct l3_nl_rule *x, const struct l3_ir_expr *e, uint32_t reg,
			   int plen)
{
	static const struct {
		uint32_t base, off, len;
	} hdr[] = {
		[L3_SEL_IP_SADDR] = { NFT_PAYLOAD_NETWORK_HEADER, 12, 4 },
		[L3_SEL_IP_DADDR] = { NFT_PAYLOAD_NETWORK_HEADER, 16, 4 },
		[L3_SEL_IP6_SADDR] = { NFT_PAYLOAD_NETWORK_HEADER, 8, 16 },
		[L3_SEL_IP6_DADDR] = { NFT_PAYLOAD_NETWORK_HEADER, 24, 16 },
		[L3_SEL_UDP_DPORT] = { NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2 },
		[L3_SEL_TH_DPORT] = { NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2 },
		[L3_SEL_ICMP_TYPE] = { NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1 },
		[L3_SEL_ICMPV6_TYPE] = { NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1 },
	};
	struct nftnl_expr *ne;
	uint32_t len;

	switch (e->sel) {
	case L3_SEL_MARK:
		l3_nl_meta(x, NFT_META_MARK, reg);
		if (e->mask)
			l3_nl_bitwise(x, reg, e->mask, 0);
		return 4;
	case L3_SEL_SOCKET_CGROUP:
		ne = l3_nl_expr(x, "socket");
		if (ne) {
			nftnl_expr_set_u32(ne, NFTNL_EXPR_SOCKET_KEY, NFT_SOCKET_CGROUPV2);
			nftnl_expr_set_u32(ne, NFTNL_EXPR_SOCKET_LEVEL, (uint32_t)e->level);
			nftnl_expr_set_u32(ne, NFTNL_EXPR_SOCKET_DREG, reg);
		}
		return 8;
	case L3_SEL_OIF:
		l3_nl_meta(x, NFT_META_OIF, reg);
		return 4;
	case L3_SEL_L4PROTO:
		l3_nl_meta(x, NFT_META_L4PROTO, reg);
		return 1;
	case L3_SEL_NFPROTO:
		l3_nl_meta(x, NFT_META_NFPROTO, reg);
		return 1;
	case L3_SEL_CT_STATE:
		l3_nl_ct(x, NFT_CT_STATE, reg);
		return 4;
	case L3_SEL_CT_STATUS:
		l3_nl_ct(x, NFT_CT_STATUS, reg);
		return 4;
	case L3_SEL_CT_DIRECTION:
		l3_nl_ct(x, NFT_CT_DIRECTION, reg);
		return 1;
	case L3_SEL_CT_MARK:
		l3_nl_ct(x, NFT_CT_MARK, reg);
		if (e->mask)
			l3_nl_bitwise(x, reg, e->mask, 0);
		return 4;
	case L3_SEL_IIF:
		l3_nl_meta(x, NFT_META_IIF, reg);
		return 4;
	case L3_SEL_SOCKET_WILDCARD:
	case L3_SEL_SOCKET_TRANSPARENT:
		ne = l3_nl_expr(x, "socket");
		if (ne) {
			nftnl_expr_set_u32(ne, NFTNL_EXPR_SOCKET_KEY,
					   e->sel == L3_SEL_SOCKET_WILDCARD ? NFT_SOCKET_WILDCARD
									  : NFT_SOCKET_TRANSPARENT);
			nftnl_expr_set_u32(ne, NFTNL_EXPR_SOCKET_DREG, reg);
		}
		return 1;
	default:
		len = plen > 0 ? (uint32_t)plen / 8 : hdr[e->sel].len;
		l3_nl_payload(x, hdr[e->sel].base, hdr[e->sel].off, len, reg);
		return len;
	}
}

/* "byteorder reg = hton(reg, size, len)" */
static void l3_nl_hton(struct l3_nl_rule *x, uint32_t reg, uint32_t size, uint32_t len)
{
	struct nftnl_expr *e = l3_nl_expr(x, "byteorder");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, reg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, size);
}

/* A range set compares keys as big-endian numbers: as nft does, the
 * host-endian fields (the mark; meta l4proto, where nft's conversion of
 * one byte changes nothing) are converted after loading, and stored so
 * (l3_nl_elem_key). */
static void l3_nl_key_range(struct l3_nl_rule *x, const struct l3_ir_expr *e, uint32_t reg)
{
	if (e->sel == L3_SEL_MARK)
		l3_nl_hton(x, reg, 4, 4);
	else if (e->sel == L3_SEL_L4PROTO)
		l3_nl_hton(x, reg, 2, 1);
}

/* Loads a (possibly concatenated) key starting at register 1; @range: for
 * a lookup in an interval set. */
static void l3_nl_key_for(struct l3_nl_rule *x, const struct l3_ir_key *k, bool range)
{
	uint32_t words = 0, reg;
	int i;

	l3_nl_key_deps(x, k);
	for (i = 0; i < k->n; i++) {
		reg = l3_nl_reg(words);
		words += (l3_nl_load(x, &k->e[i], reg, 0) + 3) / 4;
		if (range)
			l3_nl_key_range(x, &k->e[i], reg);
	}
}

static void l3_nl_key(struct l3_nl_rule *x, const struct l3_ir_key *k)
{
	l3_nl_key_for(x, k, false);
}

static void l3_nl_lookup(struct l3_nl_rule *x, const char *set, uint32_t set_id, int dreg,
			 bool inv)
{
	struct nftnl_expr *e = l3_nl_expr(x, "lookup");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	if (set_id)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
	if (dreg >= 0)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, (uint32_t)dreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, inv ? NFT_LOOKUP_F_INV : 0);
}

/* An anonymous constant set for "key { a, b }" of one-byte values. */
static int l3_nl_anon_set(struct l3_nl_rule *x, const struct l3_ir_match *m, uint32_t *id)
{
	struct l3_nl_batch *nb = x->nb;
	struct nftnl_set *s;
	struct nlmsghdr *nlh;
	int i;

	*id = 0x40000000u + (nb ? ++nb->anon_sets : ++x->anon_sets);
	if (!nb)
		return 0;	/* the rule refers to it; nothing to send */
	s = l3_nl_set_alloc(x->ir, "__set%d", *id);
	if (!s)
		return -1;
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, m->key.e[0].sel == L3_SEL_ICMPV6_TYPE ? 29 : 12);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, 1);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_ANONYMOUS | NFT_SET_CONSTANT);
	nlh = l3_nl_msg(nb, NFT_MSG_NEWSET, NLM_F_CREATE, "anonymous set", L3_NOPOS);
	if (nlh)
		nftnl_set_nlmsg_build_payload(nlh, s);
	if (!nlh || nftnl_batch_update(nb->b) < 0)
		goto fail;
	for (i = 0; i < m->nlist; i++) {
		struct nftnl_set_elem *se = nftnl_set_elem_alloc();
		uint8_t v = (uint8_t)m->list[i];

		if (!se)
			goto fail;
		nftnl_set_elem_set(se, NFTNL_SET_ELEM_KEY, &v, 1);
		nftnl_set_elem_add(s, se);
	}
	nlh = l3_nl_msg(nb, NFT_MSG_NEWSETELEM, NLM_F_CREATE, "anonymous set", L3_NOPOS);
	if (nlh)
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
	if (!nlh || nftnl_batch_update(nb->b) < 0)
		goto fail;
	nftnl_set_free(s);
	return 0;
fail:
	nftnl_set_free(s);
	return -1;
}

static void l3_nl_match_list(struct l3_nl_rule *x, const struct l3_ir_match *m)
{
	uint32_t bits = 0, id;
	uint8_t v;
	int i;

	if (m->key.e[0].sel == L3_SEL_CT_STATE || m->key.e[0].sel == L3_SEL_CT_STATUS) {
		/* a bit set: any of the bits (inverted: none of them) */
		for (i = 0; i < m->nlist; i++)
			bits |= m->list[i];
		l3_nl_load(x, &m->key.e[0], NFT_REG_1, 0);
		l3_nl_bitwise(x, NFT_REG_1, bits, 0);
		bits = 0;
		l3_nl_cmp(x, m->inv ? NFT_CMP_EQ : NFT_CMP_NEQ, &bits, 4);
		return;
	}
	l3_nl_key(x, &m->key);
	if (m->nlist == 1) {
		v = (uint8_t)m->list[0];
		l3_nl_cmp(x, m->inv ? NFT_CMP_NEQ : NFT_CMP_EQ, &v, 1);
		if (m->key.e[0].sel == L3_SEL_NFPROTO)
			x->nfproto = v;
		return;
	}
	if (l3_nl_anon_set(x, m, &id) < 0) {
		x->oom = true;
		return;
	}
	l3_nl_lookup(x, "__set%d", id, -1, m->inv);
}

static void l3_nl_match(struct l3_nl_rule *x, const struct l3_ir_match *m)
{
	const struct l3_ir_set *is;
	uint8_t buf[16];
	uint32_t n;

	switch (m->op) {
	case L3_OP_EQ:
		l3_nl_key(x, &m->key);
		n = l3_nl_value_bytes(&m->val, buf, false);
		l3_nl_cmp(x, m->inv ? NFT_CMP_NEQ : NFT_CMP_EQ, buf, n);
		break;
	case L3_OP_PREFIX:
		/* byte-aligned prefixes compare the leading bytes only, as nft does */
		l3_nl_key_deps(x, &m->key);
		l3_nl_value_bytes(&m->val, buf, false);
		l3_nl_load(x, &m->key.e[0], NFT_REG_1, m->plen);
		l3_nl_cmp(x, NFT_CMP_EQ, buf, (uint32_t)m->plen / 8);
		break;
	case L3_OP_IN_LIST:
		l3_nl_match_list(x, m);
		break;
	case L3_OP_IN_SET:
		is = l3_ir_find_set(x->ir, m->set);
		l3_nl_key_for(x, &m->key, is && (is->flags & L3_SET_INTERVAL));
		l3_nl_lookup(x, m->set, 0, -1, m->inv);
		break;
	}
}

static void l3_nl_verdict(struct l3_nl_rule *x, const struct l3_ir_value *v)
{
	static const int codes[] = {
		[L3_V_ACCEPT] = NF_ACCEPT, [L3_V_DROP] = NF_DROP, [L3_V_RETURN] = NFT_RETURN,
		[L3_V_JUMP] = NFT_JUMP, [L3_V_GOTO] = NFT_GOTO,
	};
	struct nftnl_expr *e = l3_nl_expr(x, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)codes[v->u.verdict.code]);
	if (v->u.verdict.chain)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, v->u.verdict.chain);
}

static void l3_nl_queue(struct l3_nl_rule *x, const struct l3_ir_stmt *s,
			const struct l3_nl_features *f)
{
	struct nftnl_expr *e;

	if (f->native_queue) {
		e = l3_nl_expr(x, "queue");
		if (!e)
			return;
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_NUM, s->queue_num);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_TOTAL, 1);
		nftnl_expr_set_u16(e, NFTNL_EXPR_QUEUE_FLAGS,
				   s->queue_bypass ? NFT_QUEUE_FLAG_BYPASS : 0);
		return;
	}
	/* CONFIG_NFT_QUEUE off: the xt NFQUEUE target through nft_compat */
	e = l3_nl_expr(x, "target");
	if (e) {
		struct xt_NFQ_info_v3 *info = calloc(1, sizeof(*info));

		if (!info) {
			x->oom = true;
			return;
		}
		info->queuenum = s->queue_num;
		info->queues_total = 1;
		info->flags = s->queue_bypass ? NFQ_FLAG_BYPASS : 0;
		nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
		nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
		/* libnftnl keeps the pointer and frees it with the expression */
		nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, sizeof(*info));
		nftnl_rule_set_u32(x->r, NFTNL_RULE_COMPAT_PROTO, 0);
		nftnl_rule_set_u32(x->r, NFTNL_RULE_COMPAT_FLAGS, 0);
	}
}

/* log_refused's statements: as nft writes `limit rate N/minute burst B
 * packets` and `log prefix "x" level info`. */
static void l3_nl_log_refused(struct l3_nl_rule *x, const struct l3_ir_stmt *s)
{
	struct nftnl_expr *e = l3_nl_expr(x, s->kind == L3_STMT_LIMIT ? "limit" : "log");

	if (!e)
		return;
	if (s->kind == L3_STMT_LOG) {
		nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, s->log_prefix);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOG_LEVEL, 6);	/* LOG_INFO */
		return;
	}
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, s->limit_per_minute);
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 60);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, s->limit_burst);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, 0);
}

static void l3_nl_stmt(struct l3_nl_rule *x, const struct l3_ir_stmt *s,
		       const struct l3_nl_features *f)
{
	struct nftnl_expr *e;

	switch (s->kind) {
	case L3_STMT_MARK_SET:
		l3_nl_meta(x, NFT_META_MARK, NFT_REG_1);
		l3_nl_bitwise(x, NFT_REG_1, ~s->mark_mask, s->mark_value);
		e = l3_nl_expr(x, "meta");
		if (e) {
			nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_MARK);
			nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, NFT_REG_1);
		}
		break;
	case L3_STMT_CT_MARK_SET:
		l3_nl_ct(x, NFT_CT_MARK, NFT_REG_1);
		l3_nl_bitwise(x, NFT_REG_1, ~s->mark_mask, s->mark_value);
		e = l3_nl_expr(x, "ct");
		if (e) {
			nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
			nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
		}
		break;
	case L3_STMT_VMAP:
		l3_nl_key(x, &s->key);
		l3_nl_lookup(x, s->set, 0, NFT_REG_VERDICT, false);
		break;
	case L3_STMT_COUNTER_NAMED:
		e = l3_nl_expr(x, "objref");
		if (e) {
			nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
			nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, s->name);
		}
		break;
	case L3_STMT_COUNTER_MAP:
		l3_nl_key(x, &s->key);
		e = l3_nl_expr(x, "objref");
		if (e) {
			nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_SET_SREG, NFT_REG_1);
			nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_SET_NAME, s->set);
		}
		break;
	case L3_STMT_SNAT_MAP:
		l3_nl_key(x, &s->key);
		l3_nl_lookup(x, s->set, 0, NFT_REG_1, false);
		e = l3_nl_expr(x, "nat");
		if (e) {
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_SNAT);
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY,
					   s->family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6);
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
			/* what the kernel fills in itself; set here so a dump of
			 * the live table reads back equal */
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, NFT_REG_1);
			nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_MAP_IPS);
		}
		break;
	case L3_STMT_QUEUE:
		l3_nl_queue(x, s, f);
		break;
	case L3_STMT_REJECT_TCP_RESET:
	case L3_STMT_REJECT_PORT:
	case L3_STMT_REJECT_ADMIN:
		e = l3_nl_expr(x, "reject");
		if (!e)
			break;
		nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE,
				   s->kind == L3_STMT_REJECT_TCP_RESET ? NFT_REJECT_TCP_RST
								      : NFT_REJECT_ICMPX_UNREACH);
		nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE,
				  s->kind == L3_STMT_REJECT_TCP_RESET ? 0
				  : s->kind == L3_STMT_REJECT_PORT ? NFT_REJECT_ICMPX_PORT_UNREACH
								    : NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
		break;
	case L3_STMT_VERDICT:
		l3_nl_verdict(x, &s->verdict);
		break;
	case L3_STMT_LIMIT:
	case L3_STMT_LOG:
		l3_nl_log_refused(x, s);
		break;
	}
}

struct nftnl_rule *l3_nl_rule_obj(struct l3_nl_batch *nb, const struct l3_ir *ir,
				  const struct l3_ir_chain *c, const struct l3_ir_rule *ir_rule,
				  const struct l3_nl_features *f)
{
	struct l3_nl_rule x = { .nb = nb, .ir = ir };
	int i;

	x.r = nftnl_rule_alloc();
	if (!x.r)
		return NULL;
	nftnl_rule_set_str(x.r, NFTNL_RULE_TABLE, ir->table);
	nftnl_rule_set_str(x.r, NFTNL_RULE_CHAIN, c->name);
	nftnl_rule_set_u32(x.r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	for (i = 0; i < ir_rule->nm; i++)
		l3_nl_match(&x, &ir_rule->m[i]);
	for (i = 0; i < ir_rule->ns; i++)
		l3_nl_stmt(&x, &ir_rule->s[i], f);
	if (x.oom) {
		nftnl_rule_free(x.r);
		return NULL;
	}
	return x.r;
}

static int l3_nl_rule(struct l3_nl_batch *nb, const struct l3_ir *ir,
		      const struct l3_ir_chain *c, const struct l3_ir_rule *ir_rule,
		      size_t index, const struct l3_nl_features *f)
{
	struct nftnl_rule *r = l3_nl_rule_obj(nb, ir, c, ir_rule, f);
	struct nlmsghdr *nlh;
	const char *what;

	if (!r)
		return -1;
	what = l3_arena_printf(ir->arena, "chain %s, rule %zu", c->name, index + 1);
	nlh = !what ? NULL
		    : l3_nl_msg(nb, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, what,
				ir_rule->pos.line ? ir_rule->pos : c->pos);
	if (nlh)
		nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	return nlh ? nftnl_batch_update(nb->b) : -1;
}

int l3_nl_emit_table(struct l3_nl_batch *nb, const struct l3_ir *ir,
		     const struct l3_nl_features *f)
{
	const struct l3_ir_counter *ctr = ir->counters.items;
	size_t i, j;

	/* create-if-missing, delete, define: one transaction replaces it */
	if (l3_nl_table_msg(nb, ir->table, NFT_MSG_NEWTABLE, NLM_F_CREATE, NULL) < 0 ||
	    l3_nl_table_msg(nb, ir->table, NFT_MSG_DELTABLE, 0, NULL) < 0 ||
	    l3_nl_table_msg(nb, ir->table, NFT_MSG_NEWTABLE, NLM_F_CREATE, L3_IR_TABLE_COMMENT) < 0)
		return -1;
	for (i = 0; i < ir->counters.len; i++)
		if (l3_nl_counter(nb, ir, &ctr[i]) < 0)
			return -1;
	/* chains before sets: verdict map elements jump to them */
	for (i = 0; i < ir->chains.len; i++)
		if (l3_nl_chain(nb, ir, L3_IR_CHAIN(ir, i)) < 0)
			return -1;
	for (i = 0; i < ir->sets.len; i++)
		if (l3_nl_set(nb, ir, L3_IR_SET(ir, i), (uint32_t)i + 1) < 0)
			return -1;
	for (i = 0; i < ir->chains.len; i++) {
		const struct l3_ir_chain *c = L3_IR_CHAIN(ir, i);

		for (j = 0; j < c->rules.len; j++)
			if (l3_nl_rule(nb, ir, c, (const struct l3_ir_rule *)c->rules.items + j, j,
				       f) < 0)
				return -1;
	}
	return 0;
}

int l3_nl_emit_chain(struct l3_nl_batch *nb, const struct l3_ir *ir, const struct l3_ir_chain *c,
		     bool create, bool rules, const struct l3_nl_features *f)
{
	size_t j;

	if (create && l3_nl_chain(nb, ir, c) < 0)
		return -1;
	for (j = 0; rules && j < c->rules.len; j++)
		if (l3_nl_rule(nb, ir, c, (const struct l3_ir_rule *)c->rules.items + j, j, f) < 0)
			return -1;
	return 0;
}

static struct nlmsghdr *l3_nl_del_chain(struct l3_nl_batch *nb, const char *table,
					const char *name, struct l3_pos pos)
{
	struct nftnl_chain *ch = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (!ch)
		return NULL;
	nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	/* without NLM_F_NONREC the kernel deletes the chain's rules with it */
	nlh = l3_nl_msg(nb, NFT_MSG_DELCHAIN, 0, name, pos);
	if (nlh)
		nftnl_chain_nlmsg_build_payload(nlh, ch);
	nftnl_chain_free(ch);
	return nlh;
}

/* A DELRULE naming only the chain removes every rule of it (nft flush). */
static struct nlmsghdr *l3_nl_flush_chain(struct l3_nl_batch *nb, const char *table,
					  const char *name, struct l3_pos pos)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;

	if (!r)
		return NULL;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, name);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nlh = l3_nl_msg(nb, NFT_MSG_DELRULE, 0, name, pos);
	if (nlh)
		nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	return nlh;
}

static struct nlmsghdr *l3_nl_del_counter(struct l3_nl_batch *nb, const char *table,
					  const char *name, struct l3_pos pos)
{
	struct nftnl_obj *o = nftnl_obj_alloc();
	struct nlmsghdr *nlh;

	if (!o)
		return NULL;
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, table);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, NFPROTO_INET);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	nlh = l3_nl_msg(nb, NFT_MSG_DELOBJ, 0, name, pos);
	if (nlh)
		nftnl_obj_nlmsg_build_payload(nlh, o);
	nftnl_obj_free(o);
	return nlh;
}

int l3_nl_emit_del(struct l3_nl_batch *nb, const char *table, enum l3_nl_del what,
		   const char *name, struct l3_pos pos)
{
	struct nlmsghdr *nlh;

	switch (what) {
	case L3_NL_DEL_CHAIN:
		nlh = l3_nl_del_chain(nb, table, name, pos);
		break;
	case L3_NL_FLUSH_CHAIN:
		nlh = l3_nl_flush_chain(nb, table, name, pos);
		break;
	case L3_NL_DEL_COUNTER:
		nlh = l3_nl_del_counter(nb, table, name, pos);
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	return nlh ? nftnl_batch_update(nb->b) : -1;
}
