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

#include "l3nft/compiler/emit_nl.h"

struct mnl_socket;
struct nftnl_rule;

/* A rule read back, kept for diff -v with its line. */
struct l3_live_robj {
	const char *line;		/* one of lines */
	struct nftnl_rule *r;
};

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
	struct l3_live_elem *elems;	/* elements of the dynamic sets, sorted */
	size_t nelems, elems_cap;
	bool owned_known;		/* it has the set of the addresses it owns */
	struct l3_live_robj *robjs;	/* l3_live_read_rules(): by line address */
	size_t nrobjs, robjs_cap;
};

/* Reads table @table (family inet). A missing table is not an error:
 * lv->exists is false. 0, or -1 with errno. */
int l3_live_read(struct mnl_socket *nl, const char *table, struct l3_live *lv);
/* The same, keeping each rule's libnftnl object for l3_live_rule_obj()
 * (diff -v renders the live rules from them). */
int l3_live_read_rules(struct mnl_socket *nl, const char *table, struct l3_live *lv);
/* The rule a line of a table read by l3_live_read_rules() is of, or NULL
 * (another reading, or not a rule line). */
struct nftnl_rule *l3_live_rule_obj(const struct l3_live *lv, const char *line);
/* A rule's expressions as its line holds them (after "rule CHAIN NNNN "):
 * malloc'd, NULL when memory runs out. */
char *l3_live_rule_exprs(struct nftnl_rule *r);
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

/* Lines of a table (pointers into a struct l3_live's lines). */
struct l3_live_list {
	const char **v;
	size_t n, cap;
};

/*
 * How a live table differs from the table a policy makes, object by
 * object: what an incremental transaction sends. Lines point into @have
 * (deleted) and @want (added), which must outlive the delta.
 */
struct l3_live_delta {
	/* the table must be replaced wholesale: its comment, a set, a base
	 * chain or a base chain's rules differ (mark_mask, a new l3nft), or
	 * most of it changes anyway */
	bool replace;
	char why[160];
	struct l3_live_list elems_del, elems_add;	/* "elem ..." lines */
	struct l3_live_list chains_del, chains_add;	/* "chain NAME" lines */
	struct l3_live_list ctrs_del, ctrs_add;		/* "counter NAME" lines */
	struct l3_live_list flush;	/* a rule line of each chain kept whose rules differ */
	char **names;			/* strings the batch refers to */
	size_t nnames, names_cap;
};

/* Classifies the differences of two sorted tables. 0, or -1 with errno. */
int l3_live_delta(const struct l3_live *have, const struct l3_live *want, struct l3_live_delta *d);
void l3_live_delta_free(struct l3_live_delta *d);
/* How many objects the delta changes. */
size_t l3_live_delta_size(const struct l3_live_delta *d);
/* The name a "chain NAME", "counter NAME" or "rule NAME ..." line is of,
 * into @buf. */
const char *l3_live_line_name(const char *line, char *buf, size_t len);

/* Adds the element lines @lines (all of one table, sorted) to the batch:
 * added (@add) or deleted. 0, or -1 with errno. */
int l3_live_emit_elems(struct l3_live_delta *d, struct l3_nl_batch *nb, const char *table,
		       const struct l3_live_list *lines, bool add);

/* An "elem" line read back into its set name and raw element. 0, or -1
 * (EINVAL) when @line is not one. */
int l3_live_elem_parse(const char *line, char *set, size_t setlen, struct l3_nl_raw_elem *e);
/* An "elem" line of table @lv in nft syntax ("element dst4 { 192.0.2.1 :
 * jump ns_a }"), its key and data formatted by the set's types, into
 * @buf. */
void l3_live_elem_nft(const struct l3_live *lv, const char *line, char *buf, size_t len);

/* A "set" line in nft syntax ("map dst4 { type ipv4_addr : verdict; }", as
 * `l3nft compile` declares it, flags left out), into @buf; the line itself
 * for a type l3nft does not use. */
void l3_live_set_nft(const char *line, char *buf, size_t len);

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
