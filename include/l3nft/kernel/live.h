/*
 * The table as the kernel has it, and the table a batch would make, both
 * reduced to canonical lines by the same code (libnftnl's parsers), so
 * `apply` can tell "unchanged" and `diff` can say what differs.
 */
#ifndef L3NFT_LIVE_H
#define L3NFT_LIVE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "l3nft/nl.h"

struct l3_live_counter {
	char name[64];
	uint64_t packets;
	uint64_t bytes;
};

/* A set element read back: its set and raw key. */
struct l3_live_elem {
	char set[32];
	uint8_t key[64];
	uint32_t len;
};

struct l3_live_rule_index {
	char chain[64];
	unsigned n;
};

struct l3_live {
	bool exists;
	struct l3_live_rule_index idx;	/* numbering rules while rendering */
	char **lines;			/* sorted by l3_live_sort() */
	size_t nlines, cap;
	struct l3_live_counter *ctrs;
	size_t nctrs, ctrs_cap;
	struct l3_live_elem *elems;	/* elements of the dynamic sets */
	size_t nelems, elems_cap;
};

/* Reads table @table (family inet). A missing table is not an error:
 * lv->exists is false. 0, or -1 with errno. */
int l3_live_read(struct mnl_socket *nl, const char *table, struct l3_live *lv);
/*
 * Renderers, one per kind of object, used on what the kernel dumps and on
 * what the emitter builds (l3_nl_batch.render): one code path for both.
 * Rules must come chain by chain, in order.
 */
struct nftnl_chain;
struct nftnl_set;
struct nftnl_rule;
struct nftnl_obj;
int l3_live_chain(struct l3_live *lv, const struct nftnl_chain *c);
int l3_live_set(struct l3_live *lv, const struct nftnl_set *s);
int l3_live_elem(struct l3_live *lv, const char *set, struct nftnl_set_elem *e);
int l3_live_rule(struct l3_live *lv, struct nftnl_rule *r);
int l3_live_obj(struct l3_live *lv, struct nftnl_obj *o);
void l3_live_sort(struct l3_live *lv);
void l3_live_free(struct l3_live *lv);
/* Lines only in @have ("-") and only in @want ("+") go to @out when not
 * NULL; returns how many lines differ. Both must be sorted. */
size_t l3_live_diff(const struct l3_live *have, const struct l3_live *want, FILE *out);
const struct l3_live_counter *l3_live_counter(const struct l3_live *lv, const char *name);

#endif
