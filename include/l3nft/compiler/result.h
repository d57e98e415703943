/* The result of every command, as its exit status (see l3nft(8)). */
#ifndef L3NFT_COMPILER_RESULT_H
#define L3NFT_COMPILER_RESULT_H

enum l3_status {
	L3_OK = 0,
	L3_INVALID = 1,		/* the policy or the usage; for diff: they differ */
	L3_REFUSED = 2,		/* the kernel or the system said no */
	L3_DEGRADED = 3,	/* status --check: the system is not what the policy says */
};

#endif
