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
#include <fcntl.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "l3nft/kernel/sock_layer.h"
#include "l3nft/kernel/sock_maps.h"

#define L3_SM_CGROUP_MAP "l3_cgroup"	/* as declared in bpf/l3nft_maps.h */
#define L3_SM_GEN_MAP "l3_gen"		/* the same */
#define L3_SM_INGRESS_LINK "link_ingress"	/* sock_layer.c: link_<program> */
#define L3_SM_UDP_ITER "link_udp_iter"	/* the same for l3_udp_iter */
#define L3_SM_UDP_EV "l3_udp_ev"	/* as declared in bpf/l3nft_maps.h */

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

/* The l3_gen map of @dir; -1 with errno ENOENT for an older build's
 * layer, which has none and caches nothing. */
static int l3_sm_gen_open(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, L3_SM_GEN_MAP);
	return bpf_obj_get(path);
}

/* Generation 0: no socket caches under it, and no cached answer holds. */
static int l3_sm_gen_off(int gfd)
{
	uint32_t k = 0, zero = 0;

	return gfd < 0 ? 0 : bpf_map_update_elem(gfd, &k, &zero, BPF_ANY);
}

/* After the writes: a fresh generation when something changed or the
 * generation is 0 (a writer before failed or was killed half-way). */
static int l3_sm_gen_on(int gfd, size_t changes)
{
	uint32_t k = 0, g = 0;

	if (gfd < 0 || (!changes && bpf_map_lookup_elem(gfd, &k, &g) == 0 && g))
		return 0;
	return l3_sock_maps_new_gen(gfd);
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
/* With @fd -1, only counts the changes. */
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
		if (fd >= 0 && bpf_map_update_elem(fd, &v[i].cgroup, &v[i].ns, BPF_ANY) < 0)
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
		if (fd >= 0 && bpf_map_delete_elem(fd, &have[i].cgroup) < 0 && errno != ENOENT)
			return -1;
		(*changes)++;
	}
	return 0;
}

/*
 * Writes the differences with generation 0 in force (counted first, so an
 * unchanged map keeps its generation): a failure or a kill half-way leaves
 * no socket's cached answer of the old mapping in force, and the next
 * writer, finding 0, sets a fresh one. Even after a partial failure the
 * generation stays 0, never the old one.
 */
static int l3_sm_write(int gfd, int fd, const struct l3_sm_entry *have, size_t nhave,
		       const struct l3_sock_cgroup *v, const struct l3_sock_cgroup *sorted,
		       size_t n, size_t *changes)
{
	size_t want = 0;

	l3_sm_put(-1, have, nhave, v, n, &want);
	l3_sm_prune(-1, have, nhave, sorted, n, &want);
	if (want && l3_sm_gen_off(gfd) < 0)
		return -1;
	if (l3_sm_put(fd, have, nhave, v, n, changes) < 0 ||
	    l3_sm_prune(fd, have, nhave, sorted, n, changes) < 0)
		return -1;
	return l3_sm_gen_on(gfd, *changes);
}

int l3_sock_maps_set_cgroups(const char *dir, const struct l3_sock_cgroup *v, size_t n,
			     size_t *changes)
{
	struct l3_sock_cgroup *sorted = NULL;
	struct l3_sm_entry *have = NULL;
	size_t nhave = 0;
	char path[PATH_MAX];
	size_t dummy = 0;
	int fd, gfd, r = -1, e;

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
	gfd = l3_sm_gen_open(dir);
	sorted = malloc((n ? n : 1) * sizeof(*sorted));
	if ((gfd >= 0 || errno == ENOENT) && sorted && l3_sm_read(fd, &have, &nhave) == 0) {
		memcpy(sorted, v, n * sizeof(*v));
		if (n)
			qsort(sorted, n, sizeof(*sorted), l3_sm_cmp);
		r = l3_sm_write(gfd, fd, have, nhave, v, sorted, n, changes);
	}
	e = errno;
	free(have);
	free(sorted);
	if (gfd >= 0)
		close(gfd);
	close(fd);
	errno = e;
	return r;
}

/* ---- UDP steering ---- */

int l3_sock_maps_udp_walk(const char *dir)
{
	char path[PATH_MAX], buf[256];
	ssize_t n;
	int fd, e;

	snprintf(path, sizeof(path), "%s/%s", dir, L3_SM_UDP_ITER);
	/* opening a pinned iterator link starts a walk; it writes nothing,
	 * so a read returns 0 at its end, or EAGAIN after a million sockets
	 * without output (the kernel's bound per read), and goes on */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	do
		n = read(fd, buf, sizeof(buf));
	while (n > 0 || (n < 0 && (errno == EINTR || errno == EAGAIN)));
	e = errno;
	close(fd);
	errno = e;
	return n < 0 ? -1 : 0;
}

struct l3_sock_udp_ev {
	struct ring_buffer *rb;
	int map_fd;
	uint32_t map_id;	/* to notice a ring pinned anew */
	int count;		/* events of the running drain */
};

static int l3_sm_udp_one(void *ctx, void *data, size_t len)
{
	struct l3_sock_udp_ev *ev = ctx;

	(void)data;
	(void)len;
	ev->count++;
	return 0;
}

static uint32_t l3_sm_map_id(int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? info.id : 0;
}

struct l3_sock_udp_ev *l3_sock_maps_udp_open(const char *dir)
{
	struct l3_sock_udp_ev *ev;
	char path[PATH_MAX];
	int e;

	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return NULL;
	ev->map_fd = -1;
	snprintf(path, sizeof(path), "%s/%s", dir, L3_SM_UDP_EV);
	ev->map_fd = bpf_obj_get(path);
	if (ev->map_fd >= 0) {
		ev->map_id = l3_sm_map_id(ev->map_fd);
		ev->rb = ring_buffer__new(ev->map_fd, l3_sm_udp_one, ev, NULL);
	}
	if (!ev->rb) {
		e = errno;
		l3_sock_maps_udp_close(ev);
		errno = e;
		return NULL;
	}
	return ev;
}

int l3_sock_maps_udp_fd(const struct l3_sock_udp_ev *ev)
{
	return ring_buffer__epoll_fd(ev->rb);
}

int l3_sock_maps_udp_drain(struct l3_sock_udp_ev *ev)
{
	ev->count = 0;
	if (ring_buffer__consume(ev->rb) < 0)
		return -1;
	return ev->count;
}

bool l3_sock_maps_udp_current(const struct l3_sock_udp_ev *ev, const char *dir)
{
	char path[PATH_MAX];
	uint32_t id;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, L3_SM_UDP_EV);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	id = l3_sm_map_id(fd);
	close(fd);
	return id && id == ev->map_id;
}

void l3_sock_maps_udp_close(struct l3_sock_udp_ev *ev)
{
	if (!ev)
		return;
	ring_buffer__free(ev->rb);
	if (ev->map_fd >= 0)
		close(ev->map_fd);
	free(ev);
}
