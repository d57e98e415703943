/*
 * The socket layer's l3_cgroup map, kept current by l3nftd: systemd makes
 * a unit's cgroup anew (with a new id) on every restart, and the programs
 * attached above it only know a socket's namespace through this map. The
 * update adds before it deletes, and one pass over the map removes every
 * stale id of the namespaces given, whoever wrote it.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "l3nft/kernel/sock_layer.h"
#include "l3nft/kernel/sock_maps.h"

#define L3_SM_CGROUP_MAP "l3_cgroup"	/* as declared in bpf/l3nft_maps.h */
#define L3_SM_INGRESS_LINK "link_ingress"	/* sock_layer.c: link_<program> */

int l3_sock_maps_dir(char *buf, size_t len)
{
	struct stat sb;
	int n;

	if (stat("/proc/self/ns/net", &sb) < 0)
		return -1;
	n = snprintf(buf, len, "%s/l3nft/%lu", L3_SOCK_LAYER_BPFFS, (unsigned long)sb.st_ino);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

bool l3_sock_maps_attached(const char *dir)
{
	char path[PATH_MAX];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dir, L3_SM_INGRESS_LINK);
	return stat(path, &sb) == 0;
}

static int l3_sm_cmp(const void *a, const void *b)
{
	const struct l3_sock_cgroup *x = a, *y = b;

	return x->ns < y->ns ? -1 : x->ns > y->ns;
}

/* The map's entries (cgroup id -> namespace id) as the kernel holds
 * them, read with batched lookups and sorted by cgroup id: one system
 * call per few thousand entries instead of two per entry. */
struct l3_sm_entry {
	uint64_t cgroup;
	uint32_t ns;
};

static int l3_sm_entry_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct l3_sm_entry *)a)->cgroup;
	uint64_t y = ((const struct l3_sm_entry *)b)->cgroup;

	return x < y ? -1 : x > y;
}

#define L3_SM_BATCH 4096

static int l3_sm_read(int fd, struct l3_sm_entry **out, size_t *n)
{
	uint64_t *keys = malloc(L3_SM_BATCH * sizeof(*keys));
	uint32_t *vals = malloc(L3_SM_BATCH * sizeof(*vals)), batch = 0, count, i;
	struct l3_sm_entry *v = NULL;
	size_t cap = 0;
	bool first = true;
	int rc = 0;

	*n = 0;
	while (keys && vals && rc == 0) {
		void *p;

		count = L3_SM_BATCH;
		rc = bpf_map_lookup_batch(fd, first ? NULL : &batch, &batch, keys, vals, &count, NULL);
		if (rc < 0 && errno != ENOENT)
			break;
		first = false;
		if (*n + count > cap) {
			cap = (*n + count) * 2;
			if (!(p = realloc(v, cap * sizeof(*v))))
				break;
			v = p;
		}
		for (i = 0; i < count; i++)
			v[(*n)++] = (struct l3_sm_entry){ .cgroup = keys[i], .ns = vals[i] };
		if (rc < 0) {	/* ENOENT: the last of them */
			free(keys);
			free(vals);
			if (*n)
				qsort(v, *n, sizeof(*v), l3_sm_entry_cmp);
			*out = v;
			return 0;
		}
	}
	rc = errno ? errno : ENOMEM;
	free(keys);
	free(vals);
	free(v);
	errno = rc;
	return -1;
}

/* Writes @v's entries that the map (@have, as read) does not hold yet. */
static int l3_sm_put(int fd, const struct l3_sm_entry *have, size_t nhave,
		     const struct l3_sock_cgroup *v, size_t n, size_t *changes)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct l3_sm_entry key = { .cgroup = v[i].cgroup };
		const struct l3_sm_entry *hit;

		if (!v[i].cgroup)
			continue;
		hit = nhave ? bsearch(&key, have, nhave, sizeof(*have), l3_sm_entry_cmp) : NULL;
		if (hit && hit->ns == v[i].ns)
			continue;
		if (bpf_map_update_elem(fd, &v[i].cgroup, &v[i].ns, BPF_ANY) < 0)
			return -1;
		(*changes)++;
	}
	return 0;
}

/* Deletes the keys that map to a namespace of @sorted under another id. */
static int l3_sm_prune(int fd, const struct l3_sm_entry *have, size_t nhave,
		       const struct l3_sock_cgroup *sorted, size_t n, size_t *changes)
{
	size_t i;

	for (i = 0; i < nhave; i++) {
		struct l3_sock_cgroup probe = { .ns = have[i].ns };
		const struct l3_sock_cgroup *hit;

		hit = n ? bsearch(&probe, sorted, n, sizeof(*sorted), l3_sm_cmp) : NULL;
		if (!hit || hit->cgroup == have[i].cgroup)
			continue;
		if (bpf_map_delete_elem(fd, &have[i].cgroup) < 0 && errno != ENOENT)
			return -1;
		(*changes)++;
	}
	return 0;
}

int l3_sock_maps_set_cgroups(const char *dir, const struct l3_sock_cgroup *v, size_t n,
			     size_t *changes)
{
	struct l3_sock_cgroup *sorted = NULL;
	struct l3_sm_entry *have = NULL;
	size_t nhave = 0;
	char path[PATH_MAX];
	size_t dummy = 0;
	int fd, r = -1, e;

	if (!changes)
		changes = &dummy;
	*changes = 0;
	if (!l3_sock_maps_attached(dir)) {
		errno = ENOENT;
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, L3_SM_CGROUP_MAP);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	sorted = malloc((n ? n : 1) * sizeof(*sorted));
	if (sorted && l3_sm_read(fd, &have, &nhave) == 0) {
		memcpy(sorted, v, n * sizeof(*v));
		if (n)
			qsort(sorted, n, sizeof(*sorted), l3_sm_cmp);
		if (l3_sm_put(fd, have, nhave, v, n, changes) == 0 &&
		    l3_sm_prune(fd, have, nhave, sorted, n, changes) == 0)
			r = 0;
	}
	e = errno;
	free(have);
	free(sorted);
	close(fd);
	errno = e;
	return r;
}
