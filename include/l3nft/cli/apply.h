/* `l3nft apply`, `diff` and `delete`: the policy onto the running kernel. */
#ifndef L3NFT_CLI_APPLY_H
#define L3NFT_CLI_APPLY_H

#include <stdbool.h>
#include <stdio.h>
#include "l3nft/compiler/cfg.h"
#include "l3nft/compiler/result.h"

struct l3_apply_opts {
	bool dry_run;		/* check everything with the kernel, change nothing */
	bool verbose;		/* say what was probed and done */
	bool force;		/* replace or delete a same-named table l3nft did not make */
	bool json;		/* the change as one JSON object on stdout (see change.h) */
	bool progress;		/* long steps show progress on stderr (a terminal) */
	FILE *log;		/* what was done and diffs, for people (stdout) */
};

/*
 * Makes the table the policy's in one transaction: against the live table
 * read now, only the elements, namespace chains and counters that differ
 * (the table is replaced whole when it is new or its shape changed),
 * keeping the listener registrations l3nftd added and the counters'
 * values; adds the aliases that are missing. Namespaces without an explicit id keep the id
 * they have in the live table. An unchanged policy changes nothing. Kernel
 * errors are reported in @diag at the YAML position they came from.
 */
enum l3_status l3_apply(const struct l3_cfg *cfg, const struct l3_apply_opts *o,
			struct l3_diag *diag);
/* Prints what apply would change; L3_OK when nothing, L3_INVALID when
 * something differs. */
enum l3_status l3_diff(const struct l3_cfg *cfg, const struct l3_apply_opts *o,
		       struct l3_diag *diag);
/* Removes the table and the aliases l3nft added. */
enum l3_status l3_delete(const struct l3_cfg *cfg, const struct l3_apply_opts *o,
			 struct l3_diag *diag);

#endif
