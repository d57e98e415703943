/* A namespace's cgroup in the live table: the cgroup_lN and member_lN
 * elements that l3nftd keeps current and `l3nft sync` sets once. */
#ifndef L3NFT_KERNEL_CGMEMBER_H
#define L3NFT_KERNEL_CGMEMBER_H

#include <stdbool.h>
#include <stdint.h>
#include "l3nft/compiler/cfg.h"
#include "l3nft/compiler/ir.h"

struct mnl_socket;

/* Where namespace @ns's elements go: its mark as the table has it, and
 * its cgroup's level below the cgroup2 root. */
struct l3_cgmember {
	const struct l3_ns *ns;
	uint32_t mark;
	int level;
};

/* The element of cgroup_lN (id → jump ns_NAME) or, with @member, of
 * member_lN (mark . id) for cgroup id @id; the chain name comes from
 * @ir's arena (NULL chain when it ran out). */
struct l3_ir_elem l3_cgmember_elem(struct l3_ir *ir, const struct l3_cgmember *m, uint64_t id,
				   bool member);

/*
 * Moves the namespace from cgroup id @old (0: none) to @now (0: none) in
 * both sets of the live table, one transaction per change, so that an old
 * element already gone (ENOENT) does not stop the new one. 0, or -1 with
 * errno.
 */
int l3_cgmember_move(struct mnl_socket *nl, struct l3_ir *ir, const struct l3_cgmember *m,
		     uint64_t old, uint64_t now);

#endif
