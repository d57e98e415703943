/*
 * The table as the kernel has it, and the table a batch would make, both
 * reduced to canonical lines by the same reader (libnftnl's parsers run
 * over netlink messages), so `apply` can tell "unchanged" and `diff` can
 * say what differs.
 */
#ifndef L3NFT_KERNEL_LIVE_H
#define L3NFT_KERNEL_LIVE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "l3nft/compiler/cfg.h"
#include "l3nft/compiler/ir.h"

struct mnl_socket;
struct l3_nl_features;

/* A namespace chain's mark, read with libnftnl's getters. */
struct l3_live_mark {
	char chain[64];
	uint32_t mark;
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

#define L3_LIVE_COMMENT_MAX 256	/* NFT_USERDATA_MAXLEN */

struct l3_live {
	bool exists;
	char comment[L3_LIVE_COMMENT_MAX];	/* the table's, "" when none */
	struct l3_live_rule_index idx;	/* numbering rules while rendering */
	char **lines;			/* sorted by l3_live_sort() */
	size_t nlines, cap;
	struct l3_ir_counter_value *ctrs;	/* sorted by name */
	size_t nctrs, ctrs_cap;
	struct l3_live_mark *marks;	/* of the namespace chains, sorted */
	size_t nmarks, marks_cap;
	struct l3_live_elem *elems;	/* elements of the dynamic sets */
	size_t nelems, elems_cap;
};

/* Reads table @table (family inet). A missing table is not an error:
 * lv->exists is false. 0, or -1 with errno. */
int l3_live_read(struct mnl_socket *nl, const char *table, struct l3_live *lv);
/* The part of the table l3nftd keeps to: the namespace chains' marks
 * (for l3_live_ids()) and the elements of the listen and member sets,
 * without the canonical lines (no diff with it). 0, or -1 with errno. */
int l3_live_read_state(struct mnl_socket *nl, const char *table, struct l3_live *lv);
/* Renders the table @ir would make into @lv: the emitter's libnftnl
 * objects go through the same renderers as the kernel's dump in
 * l3_live_read(), so both sides of a diff come from one code path. 0, or
 * -1 with errno. */
int l3_live_render(struct l3_live *lv, const struct l3_ir *ir, const struct l3_nl_features *f);

void l3_live_free(struct l3_live *lv);
/* Lines only in @have ("-") and only in @want ("+") go to @out when not
 * NULL; returns how many lines differ. Both must be sorted. */
size_t l3_live_diff(const struct l3_live *have, const struct l3_live *want, FILE *out);
const struct l3_ir_counter_value *l3_live_counter(const struct l3_live *lv, const char *name);

/* The listener elements of the listen sets, for l3_ir_live (malloc'd;
 * the caller frees *@out). 0, or -1 with errno. */
int l3_live_listeners(const struct l3_live *lv, struct l3_ir_listener **out, size_t *n);

/*
 * The ids the namespaces of @cfg get in a table that replaces @lv: each
 * keeps the id its chain has in @lv unless the policy sets one (see
 * l3_cfg_ids()). Fills @ids (policy order). 0, or -1 with errno.
 */
int l3_live_ids(const struct l3_live *lv, const struct l3_cfg *cfg, uint32_t *ids);

/* The cgroup id the table holds for each namespace of @cfg (@ids: their
 * ids in the table, see l3_live_ids()), 0 for none, into @out (policy
 * order). 0, or -1 with errno. */
int l3_live_cgroup_ids(const struct l3_live *lv, const struct l3_cfg *cfg, const uint32_t *ids,
		       uint64_t *out);

/* Whether the table is l3nft's: absent, or carrying l3nft's comment (or
 * made by l3nft 0.1, which wrote none). A sysadmin's table of the same
 * name is not replaced or deleted without --force. */
bool l3_live_is_ours(const struct l3_live *lv);

/* Whether the table records the addresses it owns (l3nft 0.1's did not),
 * and whether @addr is one of them. */
bool l3_live_owned_known(const struct l3_live *lv);
bool l3_live_owns(const struct l3_live *lv, int family, const void *addr);

/* The addresses that the l3nft tables (family inet) other than @skip own,
 * into @lv (l3_live_owns() answers for them): an address l3nft added that
 * none of them owns was left by a table that is gone. 0, or -1 with errno. */
int l3_live_read_owned(struct mnl_socket *nl, const char *skip, struct l3_live *lv);

/* "chains N, sets N, rules N, counters N, elements N": what replacing or
 * deleting the table loses. */
void l3_live_summary(const struct l3_live *lv, char *buf, size_t len);

#endif
