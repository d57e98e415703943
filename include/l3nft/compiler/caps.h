/*
 * Capability names the policy's `capabilities:` key may use, and which of
 * them would undo the isolation (those are refused). Only names and
 * numbers: `l3nft exec` (cli/) applies them.
 */
#ifndef L3NFT_COMPILER_CAPS_H
#define L3NFT_COMPILER_CAPS_H

#include <stdbool.h>
#include <stdint.h>

struct l3_cap {
	const char *name;	/* lower case, without "cap_" */
	int num;		/* CAP_* */
	const char *refused;	/* why a namespace may not have it; NULL: allowed */
};

/* What every namespace gets under `l3nft exec` (see man/l3nft.yaml.5). */
uint64_t l3_caps_default(void);

/* The capability called @name ("net_raw", "CAP_NET_RAW", any case), or
 * NULL when there is none. */
const struct l3_cap *l3_cap_find(const char *name);

/* The capability numbered @num, or NULL. */
const struct l3_cap *l3_cap_by_num(int num);

#endif
