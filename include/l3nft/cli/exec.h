/* `l3nft exec`: run a program inside a namespace. */
#ifndef L3NFT_CLI_EXEC_H
#define L3NFT_CLI_EXEC_H

#include <stdbool.h>
#include "l3nft/compiler/cfg.h"
#include "l3nft/compiler/result.h"

struct l3_exec_opts {
	bool keep_net_raw;
	const char *user;	/* USER[:GROUP]; NULL: the namespace's user: */
};

/*
 * Moves the calling process into the namespace's cgroup (creating it),
 * then runs @argv in new mount, cgroup and PID namespaces with only the
 * allowed capabilities, as the namespace's user, under no_new_privs (see
 * exec.c). Returns the exit code for l3nft: the command's (128+N when
 * signal N killed it; 126 cannot run, 127 not found), or an l3_status
 * with the reason in @diag when nothing was started.
 */
int l3_exec(const struct l3_cfg *cfg, const struct l3_ns *ns, const struct l3_exec_opts *o,
	    char **argv, struct l3_diag *diag);

#endif
