/* The runtime directory shared by l3nft and l3nftd (see rundir.c). */
#ifndef L3NFT_KERNEL_RUNDIR_H
#define L3NFT_KERNEL_RUNDIR_H

#include <stddef.h>

#define L3_RUNDIR "/run/l3nft"
#define L3_CONTROL_NAME "l3nftd.sock"

/* /run/l3nft, or $L3NFT_RUNDIR when it is an absolute path. */
const char *l3_rundir(void);

/* @name inside the runtime directory, in @buf (at least 108 bytes, the
 * size of a Unix socket path); NULL when it does not fit. */
const char *l3_runpath(char *buf, size_t len, const char *name);

/*
 * Takes the apply lock of the calling process's network namespace,
 * waiting for whoever holds it: apply, delete and l3nftd's reconciling
 * take turns, so none reads a table another is about to replace. Returns
 * the descriptor to close(), or -1 with errno.
 */
int l3_rundir_lock(void);

/* The same without waiting: -1 with errno EWOULDBLOCK while someone else
 * holds it. l3nftd uses it so that an apply in progress (seconds, for a
 * large table) never stalls its fan-out; it tries again shortly. */
int l3_rundir_lock_try(void);

#endif
