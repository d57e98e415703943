/*
 * The netlink emitter: the IR as one nf_tables transaction (libnftnl
 * batch). Nothing here opens a socket: kernel/nl_sock.c sends the batch.
 */
#ifndef L3NFT_COMPILER_EMIT_NL_H
#define L3NFT_COMPILER_EMIT_NL_H

#include <stdbool.h>
#include <stdint.h>
#include "l3nft/compiler/ir.h"

struct mnl_socket;
struct nftnl_batch;
struct nftnl_set_elem;
struct nftnl_obj;
struct nftnl_chain;
struct nftnl_set;
struct nftnl_rule;

/* nft's table userdata TLV type for the comment (libnftnl's
 * NFTNL_UDATA_TABLE_COMMENT; its 1.2.4 headers do not export it). */
#define L3_NL_UDATA_TABLE_COMMENT 0

/* What the running kernel can do; see l3_nl_probe(). */
struct l3_nl_features {
	bool native_queue;	/* nft_queue; else the xt NFQUEUE target */
};

/* Which IR node a batch message came from, to map kernel errors back. */
struct l3_nl_origin {
	uint32_t seq;
	const char *what;	/* e.g. "set dst4", "chain input rule 3" */
	struct l3_pos pos;
};

struct l3_nl_batch {
	struct nftnl_batch *b;
	uint32_t seq_first;
	uint32_t seq_next;
	struct l3_nl_origin *origins;
	size_t norigins;
	size_t cap;
	uint32_t anon_sets;	/* ids for anonymous sets of this batch */
};

/*
 * Opens a batch. Messages added are not sent until l3_nl_send(). Returns
 * 0, or -1 with errno.
 */
int l3_nl_batch_init(struct l3_nl_batch *nb, uint32_t seq);
void l3_nl_batch_fini(struct l3_nl_batch *nb);

/* Adds the whole table in @ir to the batch. */
int l3_nl_emit_table(struct l3_nl_batch *nb, const struct l3_ir *ir,
		     const struct l3_nl_features *f);
/*
 * The objects of the table as libnftnl builds them, one at a time: what
 * l3_nl_emit_table() serialises into the batch, and what kernel/live.c
 * renders with the reader it runs over the kernel's dump, so `diff`
 * compares both through one code path. Each is the caller's to free; NULL
 * on ENOMEM. A set carries its elements when @elems; a rule built without
 * a batch (@nb NULL) refers to anonymous sets it does not send.
 */
struct nftnl_obj *l3_nl_counter_obj(const struct l3_ir *ir, const struct l3_ir_counter *c);
struct nftnl_chain *l3_nl_chain_obj(const struct l3_ir *ir, const struct l3_ir_chain *c);
struct nftnl_set *l3_nl_set_obj(const struct l3_ir *ir, const struct l3_ir_set *is, uint32_t id,
			       bool elems);
struct nftnl_rule *l3_nl_rule_obj(struct l3_nl_batch *nb, const struct l3_ir *ir,
				  const struct l3_ir_chain *c, const struct l3_ir_rule *r,
				  const struct l3_nl_features *f);

/* Adds (or, with @add false, deletes) @n elements of set @is of the live
 * table: what l3nftd changes at run time. */
int l3_nl_emit_elems(struct l3_nl_batch *nb, const struct l3_ir *ir, const struct l3_ir_set *is,
		     const struct l3_ir_elem *e, size_t n, bool add);
/*
 * Incremental changes to a live table, for apply's deltas: the objects of
 * one namespace (its chain with its rules, its counters) and raw elements.
 * Each adds messages to @nb and returns 0, or -1 with errno.
 */
int l3_nl_emit_counter(struct l3_nl_batch *nb, const struct l3_ir *ir,
		       const struct l3_ir_counter *c);
/* NEWCHAIN of @c (when @create), then (when @rules) every rule of @c
 * appended. */
int l3_nl_emit_chain(struct l3_nl_batch *nb, const struct l3_ir *ir, const struct l3_ir_chain *c,
		     bool create, bool rules, const struct l3_nl_features *f);

enum l3_nl_del {
	L3_NL_DEL_CHAIN,	/* the chain and its rules */
	L3_NL_FLUSH_CHAIN,	/* its rules only */
	L3_NL_DEL_COUNTER,	/* a named counter */
};
/* Deletes (or flushes) object @name of table @table; @pos for errors. */
int l3_nl_emit_del(struct l3_nl_batch *nb, const char *table, enum l3_nl_del what,
		   const char *name, struct l3_pos pos);

/* A set element as bytes, as the kernel holds it: what a table read back
 * has, with no IR behind it. */
enum l3_nl_elem_data { L3_NL_DATA_NONE, L3_NL_DATA_VERDICT, L3_NL_DATA_OBJ, L3_NL_DATA_BYTES };
struct l3_nl_raw_elem {
	uint8_t key[64];
	uint32_t klen;
	uint8_t key_end[64];		/* a concatenated range's end; klen_end 0: none */
	uint32_t klen_end;
	enum l3_nl_elem_data kind;
	int32_t verdict;		/* VERDICT */
	char ref[64];			/* VERDICT: the chain; OBJ: the object */
	uint8_t data[16];		/* BYTES */
	uint32_t dlen;
};
/* Adds (@add) or deletes @n raw elements of set @set of table @table. */
int l3_nl_emit_raw_elems(struct l3_nl_batch *nb, const char *table, const char *set,
			 const struct l3_nl_raw_elem *e, size_t n, bool add);

/* Adds the deletion of table @name (family inet). */
int l3_nl_emit_delete(struct l3_nl_batch *nb, const char *name);
/* Closes the batch; with @commit false the kernel checks every message and
 * then aborts the transaction (a dry run that changes nothing). */
int l3_nl_batch_end(struct l3_nl_batch *nb, bool commit);

#endif
