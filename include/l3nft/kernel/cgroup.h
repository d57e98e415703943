/* Finding the cgroup2 hierarchy and the cgroups in it. */
#ifndef L3NFT_KERNEL_CGROUP_H
#define L3NFT_KERNEL_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "l3nft/compiler/cfg.h"
#include "l3nft/compiler/diag.h"

struct l3_cgroup_mount {
	char path[4096];	/* where cgroup2 is mounted */
	int root_level;		/* depth of the mount's root (cgroup namespaces) */
	bool nsdelegate;	/* mounted with nsdelegate: a cgroup namespace
				 * is a delegation boundary even for root */
};

/*
 * Reads mountinfo (from @f, or /proc/self/mountinfo when NULL) and fills
 * @m with the first cgroup2 mount. 0, or -1 with errno ENOENT when there
 * is none.
 */
int l3_cgroup_find_mount(FILE *f, struct l3_cgroup_mount *m);

/* The id of cgroup @path below mount @mount (the inode of its directory,
 * what the kernel's socket cgroup lookups compare); 0 when it does not
 * exist. */
uint64_t l3_cgroup_id(const char *mount, const char *path);

/* mkdir -p of cgroup @path below mount @mount. 0, or -1 with errno. */
int l3_cgroup_make(const char *mount, const char *path);

/* The cgroup id of each namespace of @cfg into @ids (policy order). */
void l3_cgroup_ids(const char *mount, const struct l3_cfg *cfg, uint64_t *ids);

/* The cgroup id of each `quarantine` parent of @cfg into @ids (policy
 * order; 0 when it does not exist). */
void l3_cgroup_quarantine_ids(const char *mount, const struct l3_cfg *cfg, uint64_t *ids);

/*
 * Whether each existing `quarantine` parent holds only namespaces: every
 * cgroup below it is a namespace's cgroup, inside one, or on the way to
 * one, and none of the cgroups on the way holds processes itself. Each
 * offender is an error in @diag, named. 0 when all are fine, -1 otherwise
 * (errno set when the directory could not be read).
 */
int l3_cgroup_quarantine_check(const char *mount, const struct l3_cfg *cfg,
			       struct l3_diag *diag);

#endif
