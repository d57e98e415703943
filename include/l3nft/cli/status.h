/* `l3nft status`: what the running system has of the policy. */
#ifndef L3NFT_CLI_STATUS_H
#define L3NFT_CLI_STATUS_H

#include <stdbool.h>
#include <stdio.h>
#include "l3nft/compiler/result.h"
#include "l3nft/compiler/cfg.h"

/* The version of every --json document's layout ("schema"), raised when
 * a key changes meaning or goes away (adding keys does not). */
#define L3_JSON_SCHEMA 1

struct l3_status_opts {
	bool json;		/* one JSON document instead of text */
	bool openmetrics;	/* OpenMetrics text (node_exporter, Prometheus) instead */
	bool check;		/* L3_DEGRADED when the system is not what the policy says */
};

/* Prints, per namespace, its cgroup (and whether the table's id for it is
 * stale), addresses, members and counters. With check, each problem (no
 * table, no l3nftd, a stale id, a missing address) is also said on stderr,
 * and the result is L3_DEGRADED. */
enum l3_status l3_status_print(const struct l3_cfg *cfg, const struct l3_status_opts *o,
			       FILE *out, struct l3_diag *diag);

#endif
