/* `l3nft status` and `l3nft exec`. */
#ifndef L3NFT_STATUS_H
#define L3NFT_STATUS_H

#include <stdbool.h>
#include <stdio.h>
#include "l3nft/apply.h"
#include "l3nft/cfg.h"

/* l3nftd's runtime directory: /run/l3nft, or $L3NFT_RUNDIR (tests run a
 * daemon per scratch network namespace). */
#define L3_RUNDIR "/run/l3nft"
const char *l3_rundir(void);
/* @name inside the runtime directory, in @buf (at least 108 bytes, the
 * size of a Unix socket path); NULL when it does not fit. */
const char *l3_runpath(char *buf, size_t len, const char *name);
#define L3_CONTROL_NAME "l3nftd.sock"

/* Prints, per namespace, its cgroup, addresses, members and counters, as
 * text or as one JSON document. */
enum l3_status l3_status_print(const struct l3_cfg *cfg, bool json, FILE *out,
			       struct l3_diag *diag);

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
