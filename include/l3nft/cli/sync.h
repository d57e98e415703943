/* `l3nft sync`: put a namespace's cgroup into the live table now. */
#ifndef L3NFT_CLI_SYNC_H
#define L3NFT_CLI_SYNC_H

#include <stdio.h>
#include "l3nft/compiler/cfg.h"
#include "l3nft/compiler/result.h"

/*
 * Creates namespace @ns's cgroup when missing and, under the apply lock,
 * replaces the namespace's cgroup_lN and member_lN elements in the live
 * table with its cgroup's current id; says what it did on @log.
 */
enum l3_status l3_sync(const struct l3_cfg *cfg, const struct l3_ns *ns, FILE *log,
		       struct l3_diag *diag);

#endif
