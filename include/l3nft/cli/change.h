/*
 * What apply changes, in policy terms: namespaces added and removed,
 * addresses, listen entries, cgroup ids, for people (`diff`) and as JSON
 * (`diff --json`, `apply --json`). Derived from the very delta that apply
 * sends (kernel/live.h), so the summary cannot say other than the kernel
 * is told.
 */
#ifndef L3NFT_CLI_CHANGE_H
#define L3NFT_CLI_CHANGE_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>
#include "l3nft/compiler/cfg.h"
#include "l3nft/compiler/ir.h"
#include "l3nft/kernel/alias.h"
#include "l3nft/kernel/live.h"

/* Everything a plan knows; every pointer is the caller's. */
struct l3_change_in {
	const struct l3_cfg *cfg;
	const struct l3_ir *ir;
	const struct l3_live *have;		/* the table now */
	const struct l3_live *want;		/* the table the policy makes */
	const struct l3_live_delta *delta;	/* their difference */
	const struct l3_aliases *now;		/* the host's addresses now */
	const struct l3_alias *add, *stale;	/* aliases added and removed */
	size_t nadd, nstale;
	size_t table_changes;			/* lines of the table that differ */
};

/* The summary, then with @verbose the table change in nft syntax;
 * returns the number of changes (0: nothing to do). -1 (SIZE_MAX) with
 * errno when memory runs out. */
size_t l3_change_print(const struct l3_change_in *in, bool verbose, FILE *out);
/* The same as a JSON object (schema 1); @applied: apply made it so. NULL
 * when memory runs out. */
json_t *l3_change_json(const struct l3_change_in *in, bool applied);

#endif
