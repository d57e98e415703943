/* Sending nf_tables batches and asking the kernel what it supports. */
#ifndef L3NFT_KERNEL_NL_SOCK_H
#define L3NFT_KERNEL_NL_SOCK_H

#include <stddef.h>
#include "l3nft/compiler/emit_nl.h"

struct mnl_socket;

/* One error the kernel answered with. */
struct l3_nl_error {
	int err;			/* positive errno */
	const struct l3_nl_origin *origin;	/* NULL when not ours */
};

/*
 * Sends the batch on @nl and reads every answer. Returns 0 when the kernel
 * took all of it; -1 otherwise, with up to @max errors in @errs (*@nerrs
 * says how many) and errno set to the first.
 */
int l3_nl_send(struct mnl_socket *nl, struct l3_nl_batch *nb, struct l3_nl_error *errs,
	       size_t max, size_t *nerrs);

/* strerror(@err) with what to do about it where that is plain: EPERM
 * from netlink means "needs root (CAP_NET_ADMIN)", EACCES on l3nft's own
 * runtime directory "needs root". */
const char *l3_nl_strerror(int err);

/* Opens a netfilter netlink socket. */
struct mnl_socket *l3_nl_open(void);

/* Asks the kernel, with a transaction it then aborts, what it supports. */
int l3_nl_probe(struct mnl_socket *nl, struct l3_nl_features *f);

#endif
