/* `l3nft status`: what the running system has of the policy. */
#ifndef L3NFT_CLI_STATUS_H
#define L3NFT_CLI_STATUS_H

#include <stdbool.h>
#include <stdio.h>
#include "l3nft/compiler/result.h"
#include "l3nft/compiler/cfg.h"

/* Prints, per namespace, its cgroup, addresses, members and counters, as
 * text or as one JSON document. */
enum l3_status l3_status_print(const struct l3_cfg *cfg, bool json, FILE *out,
			       struct l3_diag *diag);

#endif
