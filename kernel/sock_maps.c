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
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "l3nft/kernel/sock_layer.h"
#include "l3nft/kernel/sock_maps.h"

#define L3_SM_CGROUP_MAP "l3_cgroup"	/* as declared in bpf/l3nft_maps.h */
#define L3_SM_GEN_MAP "l3_gen"		/* the same */
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

/* A generation that is neither 0 nor @old: random, so that two writers
 * at once (apply, l3nftd) practically never pick the same one. */
static uint32_t l3_sm_fresh_gen(uint32_t old)
{
	uint32_t g = 0;

	while (!g || g == old) {
		if (getrandom(&g, sizeof(g), GRND_NONBLOCK) != (ssize_t)sizeof(g))
			g = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16) ^ (old * 2654435761u);
	}
	return g;
}

int l3_sock_maps_new_gen(int fd)
{
	uint32_t k = 0, old = 0, g;

	if (bpf_map_lookup_elem(fd, &k, &old) < 0)
		return -1;
	g = l3_sm_fresh_gen(old);
	return bpf_map_update_elem(fd, &k, &g, BPF_ANY);
}

/* The generation of the maps in @dir moves on (after l3_cgroup changed). */
static int l3_sm_gen_bump(const char *dir)
{
	char path[PATH_MAX];
	int fd, r, e;

	snprintf(path, sizeof(path), "%s/%s", dir, L3_SM_GEN_MAP);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	r = l3_sock_maps_new_gen(fd);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

static int l3_sm_cmp(const void *a, const void *b)
{
	const struct l3_sock_cgroup *x = a, *y = b;

	return x->ns < y->ns ? -1 : x->ns > y->ns;
}

/* Writes @v's entries that the map does not hold yet. */
static int l3_sm_put(int fd, const struct l3_sock_cgroup *v, size_t n, size_t *changes)
{
	uint32_t have;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!v[i].cgroup)
			continue;
		if (bpf_map_lookup_elem(fd, &v[i].cgroup, &have) == 0 && have == v[i].ns)
			continue;
		if (bpf_map_update_elem(fd, &v[i].cgroup, &v[i].ns, BPF_ANY) < 0)
			return -1;
		(*changes)++;
	}
	return 0;
}

/* Deletes the keys that map to a namespace of @sorted under another id. */
static int l3_sm_prune(int fd, const struct l3_sock_cgroup *sorted, size_t n, size_t *changes)
{
	uint64_t key, next;
	void *prev = NULL;
	uint32_t ns;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		struct l3_sock_cgroup probe = { 0 };
		const struct l3_sock_cgroup *hit;

		key = next;
		if (bpf_map_lookup_elem(fd, &key, &ns) < 0) {
			prev = &key;
			continue;
		}
		probe.ns = ns;
		hit = bsearch(&probe, sorted, n, sizeof(*sorted), l3_sm_cmp);
		if (hit && hit->cgroup != key) {
			if (bpf_map_delete_elem(fd, &key) < 0 && errno != ENOENT)
				return -1;
			(*changes)++;
			prev = NULL;	/* the walk starts again: deletion reorders */
			continue;
		}
		prev = &key;
	}
	return errno == ENOENT ? 0 : -1;
}

int l3_sock_maps_set_cgroups(const char *dir, const struct l3_sock_cgroup *v, size_t n,
			     size_t *changes)
{
	struct l3_sock_cgroup *sorted = NULL;
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
	if (sorted) {
		memcpy(sorted, v, n * sizeof(*v));
		qsort(sorted, n, sizeof(*sorted), l3_sm_cmp);
		if (l3_sm_put(fd, v, n, changes) == 0 && l3_sm_prune(fd, sorted, n, changes) == 0)
			r = 0;
		/* even after a partial failure: what was written must not be
		 * hidden by a socket's cached answer (an older build's
		 * layer has no l3_gen, and caches nothing) */
		if (*changes && l3_sm_gen_bump(dir) < 0 && errno != ENOENT)
			r = -1;
	}
	e = errno;
	free(sorted);
	close(fd);
	errno = e;
	return r;
}
