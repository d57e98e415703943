/*
 * The netlink emitter: the IR as one nf_tables transaction (libnftnl
 * batch), plus the socket work to send it and read the kernel's answer.
 */
#ifndef L3NFT_NL_H
#define L3NFT_NL_H

#include <stdbool.h>
#include <stdint.h>
#include "l3nft/ir.h"

struct mnl_socket;
struct nftnl_batch;
struct nftnl_set_elem;
struct l3_live;

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
	struct l3_live *render;	/* when set, every object is also rendered here */
	int render_err;
};

enum l3_nl_mode {
	L3_NL_REPLACE,		/* create-if-missing, delete, then define the table */
	L3_NL_DELETE,		/* delete the table only */
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
/* One IR element as libnftnl builds it into a message (caller frees). */
struct nftnl_set_elem *l3_nl_elem(const struct l3_ir_set *is, const struct l3_ir_elem *e);
/* Adds (or, with @add false, deletes) @n elements of set @is of the live
 * table: what l3nftd changes at run time. */
int l3_nl_emit_elems(struct l3_nl_batch *nb, const struct l3_ir *ir, const struct l3_ir_set *is,
		     const struct l3_ir_elem *e, size_t n, bool add);
/* Adds the deletion of table @name (family inet). */
int l3_nl_emit_delete(struct l3_nl_batch *nb, const char *name);
/* Closes the batch; with @commit false the kernel checks every message and
 * then aborts the transaction (a dry run that changes nothing). */
int l3_nl_batch_end(struct l3_nl_batch *nb, bool commit);

/* One error the kernel answered with. */
struct l3_nl_error {
	int err;			/* positive errno */
	const struct l3_nl_origin *origin;	/* NULL when not ours */
};

/*
 * Sends the batch on @nl and reads every answer. Returns 0 when the kernel
 * took all of it; -1 otherwise, with up to @max errors in @errs (*@nerrs
 * says how many) and errno set to the first.
 */
int l3_nl_send(struct mnl_socket *nl, struct l3_nl_batch *nb, struct l3_nl_error *errs,
	       size_t max, size_t *nerrs);

/* Opens a netfilter netlink socket. */
struct mnl_socket *l3_nl_open(void);

/* Asks the kernel, with a transaction it then aborts, what it supports. */
int l3_nl_probe(struct mnl_socket *nl, struct l3_nl_features *f);

#endif
