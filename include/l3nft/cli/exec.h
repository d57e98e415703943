/* `l3nft exec`: run a program inside a namespace. */
#ifndef L3NFT_CLI_EXEC_H
#define L3NFT_CLI_EXEC_H

#include <stdbool.h>
#include "l3nft/compiler/cfg.h"
#include "l3nft/compiler/result.h"

struct l3_exec_opts {
	bool keep_net_raw;
};

/*
 * Moves the calling process into the namespace's cgroup (creating it),
 * drops CAP_NET_ADMIN (and CAP_NET_RAW) from every capability set, sets
 * no_new_privs and execs @argv. Returns only on failure, with the reason
 * in @diag.
 */
enum l3_status l3_exec(const struct l3_cfg *cfg, const struct l3_ns *ns,
		       const struct l3_exec_opts *o, char **argv, struct l3_diag *diag);

#endif
