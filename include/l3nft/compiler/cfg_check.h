/* Checks across namespaces, and the ids they get (cfg_check.c). */
#ifndef L3NFT_COMPILER_CFG_CHECK_H
#define L3NFT_COMPILER_CFG_CHECK_H

#include <stdint.h>
#include "l3nft/compiler/cfg.h"

/* Addresses owned twice, cgroups equal or nested, ids repeated, listen
 * entries without an address; then the ids left out are assigned. Called
 * by the loader before it hands the policy out. */
void l3_cfg_check(struct l3_cfg *cfg, struct l3_diag *diag);

/*
 * The one id allocator. Fills @ids (one per namespace, policy order):
 * explicit ids first; then @keep[i] when non-zero, allowed by the mask and
 * not taken (a live table's ids, so marks do not move under established
 * connections); the rest the lowest free ids in policy order. @keep may be
 * NULL. 0, or -1 with errno ENOSPC (no id left; *@full names the first
 * namespace left without one) or ENOMEM.
 */
int l3_cfg_ids(const struct l3_cfg *cfg, const uint32_t *keep, uint32_t *ids, size_t *full);

#endif
