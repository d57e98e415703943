/*
 * Loads, attaches, updates and removes the socket layer (see
 * sock_layer.h and bpf/l3nft_sock.bpf.c) with libbpf's skeleton idiom:
 * open -> set (the netns cookie, before anything can run) -> load (maps
 * pinned by name, so a reload reuses them) -> fill the maps -> attach
 * (BPF links: multi-attach, never replacing other programs on the cgroup,
 * such as systemd's IPAddressAllow=) -> pin the links.
 *
 * sk_lookup is attached to the network namespace apply runs in (its link
 * pinned with the others); the other programs at a cgroup.
 *
 * Attached once at the namespaces' common parent cgroup, with maps keyed
 * by cgroup id: a namespace's cgroup that is removed and made again is
 * below the attach point at once; only its id in l3_cgroup changes.
 * Everything of one network namespace lives in one pin directory, so
 * `delete` removes it all, and two network namespaces never share pins.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "l3nft/kernel/cgroup.h"
#include "l3nft/kernel/sock_layer.h"
#include "l3nft/kernel/sock_maps.h"
#include "l3nft_maps.h"
#include "l3nft_sock.skel.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
#define L3_SL_LINK "link_"	/* pinned link: link_<program without l3_> */
#define L3_SL_NEW "new_"	/* a link being replaced by a re-attach */

/* One map's entries as the kernel holds them, read in one pass (a few
 * batched lookups) when an update starts, under the apply lock, so an
 * unchanged entry costs no system call: records of key then value, sorted
 * by key. */
struct l3_sl_snap {
	uint8_t *rec;
	size_t n, klen, vlen;
};

/* The maps, by the names they are pinned under, what they held when the
 * update began, and how many entries it changed. */
struct l3_sl_maps {
	int cgroup, addr, ns, conf, ctr, gen;
	size_t changes;
	struct l3_sl_snap s_cgroup, s_addr, s_ns, s_ctr;
};

/* no map open, nothing read back */
#define L3_SL_MAPS_INIT { .cgroup = -1, .addr = -1, .ns = -1, .conf = -1, .ctr = -1, .gen = -1 }

static const uint8_t *l3_sl_snap_find(const struct l3_sl_snap *sn, const void *key);

/* Before the update's first write: generation 0, under which no socket
 * caches and no cached answer holds. A failure or a kill half-way then
 * leaves no answer of the old maps in force; l3_sl_gen_after (this run's,
 * or the next writer's, which finds 0) sets a fresh one. */
static int l3_sl_change(struct l3_sl_maps *m)
{
	uint32_t k = 0, zero = 0;

	if (!m->changes++ && m->gen >= 0 && bpf_map_update_elem(m->gen, &k, &zero, BPF_ANY) < 0)
		return -1;
	return 0;
}

/* Writes @key -> @val unless the map had exactly that when the update
 * began (@sn; NULL: asks the kernel). */
static int l3_sl_put(struct l3_sl_maps *m, int fd, const struct l3_sl_snap *sn,
		     const void *key, const void *val, size_t vlen)
{
	unsigned char old[sizeof(struct l3_bpf_ns)];
	const uint8_t *have;

	if (sn && (have = l3_sl_snap_find(sn, key)) && sn->vlen == vlen &&
	    !memcmp(have + sn->klen, val, vlen))
		return 0;
	if (!sn && vlen <= sizeof(old) && bpf_map_lookup_elem(fd, key, old) == 0 &&
	    !memcmp(old, val, vlen))
		return 0;
	if (l3_sl_change(m) < 0)
		return -1;
	return bpf_map_update_elem(fd, key, val, BPF_ANY);
}

/* libbpf's messages only with L3NFT_BPF_DEBUG set: the verifier's log is
 * for developers; users get one line with the reason. */
static int l3_sl_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	if (!getenv("L3NFT_BPF_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void l3_sl_quiet(void)
{
	libbpf_set_print(l3_sl_print);
}

/* This network namespace's pin directory name into @st->dir. */
static int l3_sl_dir(struct l3_sock_layer_state *st)
{
	struct stat sb;

	if (stat("/proc/self/ns/net", &sb) < 0)
		return -1;
	snprintf(st->dir, sizeof(st->dir), "%s/l3nft/%lu", L3_SOCK_LAYER_BPFFS,
		 (unsigned long)sb.st_ino);
	return 0;
}

static bool l3_sl_is_bpffs(const char *path)
{
	struct statfs fs;

	return statfs(path, &fs) == 0 && fs.f_type == BPF_FS_MAGIC;
}

/* bpffs at /sys/fs/bpf (mounted when it is not) and our directory in it. */
static int l3_sl_mkdirs(const char *dir)
{
	char parent[sizeof(((struct l3_sock_layer_state *)0)->dir)];

	if (!l3_sl_is_bpffs(L3_SOCK_LAYER_BPFFS) &&
	    mount("bpf", L3_SOCK_LAYER_BPFFS, "bpf", 0, "mode=0700") < 0)
		return -1;
	snprintf(parent, sizeof(parent), "%s/l3nft", L3_SOCK_LAYER_BPFFS);
	if (mkdir(parent, 0700) < 0 && errno != EEXIST)
		return -1;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static uint64_t l3_sl_netns_cookie(void)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0)
		cookie = 0;
	close(fd);
	return cookie;
}

/* ---- the maps' contents ---- */

static void l3_sl_addr_key(struct l3_bpf_addr_key *k, const struct l3_addr *a)
{
	memset(k, 0, sizeof(*k));
	k->family = (uint32_t)a->family;
	if (a->family == AF_INET)
		memcpy(k->addr, &a->a.v4, 4);
	else
		memcpy(k->addr, &a->a.v6, 16);
}

static void l3_sl_ns_value(struct l3_bpf_ns *v, const struct l3_ir *ir, const struct l3_ns *ns)
{
	const struct l3_addr *s4 = l3_cfg_ns_source(ns, AF_INET);
	const struct l3_addr *s6 = l3_cfg_ns_source(ns, AF_INET6);

	memset(v, 0, sizeof(*v));
	if (s4) {
		memcpy(&v->src4, &s4->a.v4, 4);
		v->flags |= L3_BPF_NS_HAS4;
	}
	if (s6) {
		memcpy(v->src6, &s6->a.v6, 16);
		v->flags |= L3_BPF_NS_HAS6;
	}
	if (ns->loopback == L3_LOOPBACK_SHARED)
		v->flags |= L3_BPF_NS_LO_SHARED;
	v->mark = l3_ir_ns_mark(ir, ns);
}

static uint32_t l3_sl_levels(const struct l3_ir *ir)
{
	uint32_t bits = 0;
	int i;

	for (i = 0; i < ir->nlevels; i++)
		if (ir->levels[i] > 0 && ir->levels[i] <= L3_BPF_LEVELS)
			bits |= 1u << ir->levels[i];
	return bits;
}

/* The maps whose keys come from the policy (l3_sl_wanted). */
enum l3_sl_keys { L3_SL_KEY_CGROUP, L3_SL_KEY_NS, L3_SL_KEY_ADDR };

/* Does @ns own the address of @key? */
static bool l3_sl_ns_has_addr(const struct l3_ns *ns, const void *key)
{
	struct l3_bpf_addr_key k;
	size_t j;

	for (j = 0; j < ns->naddrs; j++) {
		l3_sl_addr_key(&k, &ns->addrs[j]);
		if (!memcmp(&k, key, sizeof(k)))
			return true;
	}
	return false;
}

/* ---- the maps as the kernel holds them ---- */

static int l3_sl_rec_cmp(const void *a, const void *b, void *klen)
{
	return memcmp(a, b, *(const size_t *)klen);
}

static const uint8_t *l3_sl_snap_find(const struct l3_sl_snap *sn, const void *key)
{
	size_t lo = 0, hi = sn->n, rl = sn->klen + sn->vlen;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = memcmp(sn->rec + mid * rl, key, sn->klen);

		if (r == 0)
			return sn->rec + mid * rl;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void l3_sl_snap_free(struct l3_sl_snap *sn)
{
	free(sn->rec);
	memset(sn, 0, sizeof(*sn));
}

#define L3_SL_BATCH 4096	/* entries per batched lookup */

/* Appends up to L3_SL_BATCH entries from @keys/@vals (as the kernel packs
 * them) to @sn's records. */
static void l3_sl_snap_add(struct l3_sl_snap *sn, const uint8_t *keys, const uint8_t *vals,
			   size_t count)
{
	size_t i, rl = sn->klen + sn->vlen;

	for (i = 0; i < count; i++) {
		memcpy(sn->rec + (sn->n + i) * rl, keys + i * sn->klen, sn->klen);
		memcpy(sn->rec + (sn->n + i) * rl + sn->klen, vals + i * sn->vlen, sn->vlen);
	}
	sn->n += count;
}

/* Reads every entry of hash map @fd into @sn: a batched lookup of up to
 * L3_SL_BATCH entries per system call (one per entry before; 40,000 of
 * them at 10,000 namespaces). 0, or -1 with errno. */
static int l3_sl_snap_read(int fd, size_t klen, size_t vlen, struct l3_sl_snap *sn)
{
	struct bpf_map_info info = { 0 };
	uint32_t ilen = sizeof(info), batch = 0;
	uint8_t *keys = NULL, *vals = NULL;
	bool first = true;
	int r = -1;

	memset(sn, 0, sizeof(*sn));
	sn->klen = klen;
	sn->vlen = vlen;
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen) < 0)
		return -1;
	sn->rec = malloc(((size_t)info.max_entries + L3_SL_BATCH) * (klen + vlen));
	keys = malloc(L3_SL_BATCH * klen);
	vals = malloc(L3_SL_BATCH * vlen);
	while (sn->rec && keys && vals) {
		uint32_t count = L3_SL_BATCH;
		int rc = bpf_map_lookup_batch(fd, first ? NULL : &batch, &batch, keys, vals, &count,
					      NULL);

		if (rc < 0 && errno != ENOENT)
			break;
		if (sn->n + count > info.max_entries + L3_SL_BATCH) {
			errno = EOVERFLOW;
			break;
		}
		l3_sl_snap_add(sn, keys, vals, count);
		first = false;
		if (rc < 0) {	/* ENOENT: that was the last of them */
			r = 0;
			break;
		}
	}
	free(keys);
	free(vals);
	if (r < 0) {
		int e = errno ? errno : ENOMEM;

		l3_sl_snap_free(sn);
		errno = e;
		return -1;
	}
	if (sn->n)
		qsort_r(sn->rec, sn->n, klen + vlen, l3_sl_rec_cmp, &sn->klen);
	return 0;
}

/* The per-CPU counters' value size as the kernel hands them out. */
static size_t l3_sl_ctr_vlen(void)
{
	int ncpu = libbpf_num_possible_cpus();

	return ncpu > 0 ? (size_t)ncpu * ((sizeof(struct l3_bpf_ctr) + 7) / 8 * 8) : 0;
}

static int l3_sl_snap_all(struct l3_sl_maps *m)
{
	size_t cl = l3_sl_ctr_vlen();

	if (!cl) {
		errno = EINVAL;
		return -1;
	}
	if (l3_sl_snap_read(m->cgroup, sizeof(uint64_t), sizeof(uint32_t), &m->s_cgroup) < 0 ||
	    l3_sl_snap_read(m->addr, sizeof(struct l3_bpf_addr_key), sizeof(uint32_t),
			    &m->s_addr) < 0 ||
	    l3_sl_snap_read(m->ns, sizeof(uint32_t), sizeof(struct l3_bpf_ns), &m->s_ns) < 0 ||
	    l3_sl_snap_read(m->ctr, sizeof(uint32_t), cl, &m->s_ctr) < 0)
		return -1;
	return 0;
}

static void l3_sl_snap_free_all(struct l3_sl_maps *m)
{
	l3_sl_snap_free(&m->s_cgroup);
	l3_sl_snap_free(&m->s_addr);
	l3_sl_snap_free(&m->s_ns);
	l3_sl_snap_free(&m->s_ctr);
}

/* ---- what the policy wants there ---- */

/* The policy's keys, sorted: a stale entry is found in log time (a scan
 * of the namespaces per entry made pruning quadratic: 10^8 steps at
 * 10,000 namespaces). */
struct l3_sl_want {
	uint64_t *cgroups;	/* the namespaces' cgroup ids (0s left out) */
	size_t ncgroups;
	struct l3_sl_owner { uint32_t id; size_t ns; } *ids;	/* namespace id -> index */
	size_t nids;
};

/* @a may be a key inside a read-back record (12 bytes a record for
 * l3_cgroup): copied, not loaded, as it need not be 8-byte aligned. */
static int l3_sl_u64_cmp(const void *a, const void *b)
{
	uint64_t x, y;

	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));

	return x < y ? -1 : x > y;
}

static int l3_sl_owner_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct l3_sl_owner *)a)->id, y = ((const struct l3_sl_owner *)b)->id;

	return x < y ? -1 : x > y;
}

static int l3_sl_want_build(struct l3_sl_want *w, const struct l3_ir *ir, const uint64_t *cgids)
{
	size_t i, n = ir->cfg->nns;

	memset(w, 0, sizeof(*w));
	w->cgroups = calloc(n + 1, sizeof(*w->cgroups));
	w->ids = calloc(n + 1, sizeof(*w->ids));
	if (!w->cgroups || !w->ids)
		return -1;
	for (i = 0; i < n; i++) {
		if (cgids[i])
			w->cgroups[w->ncgroups++] = cgids[i];
		w->ids[w->nids].id = ir->ids[i];
		w->ids[w->nids++].ns = i;
	}
	qsort(w->cgroups, w->ncgroups, sizeof(*w->cgroups), l3_sl_u64_cmp);
	qsort(w->ids, w->nids, sizeof(*w->ids), l3_sl_owner_cmp);
	return 0;
}

static void l3_sl_want_free(struct l3_sl_want *w)
{
	free(w->cgroups);
	free(w->ids);
}

/* Is @key one of the keys the policy wants in a map keyed by @which? An
 * address is looked for only in the namespace the map gives it (@owner). */
static bool l3_sl_wanted(const struct l3_ir *ir, const struct l3_sl_want *w,
			 enum l3_sl_keys which, const void *key, uint32_t owner)
{
	struct l3_sl_owner probe = { 0 };
	const struct l3_sl_owner *hit;

	if (which == L3_SL_KEY_CGROUP)
		return bsearch(key, w->cgroups, w->ncgroups, sizeof(*w->cgroups), l3_sl_u64_cmp);
	memcpy(&probe.id, which == L3_SL_KEY_NS ? key : &owner, sizeof(probe.id));
	hit = bsearch(&probe, w->ids, w->nids, sizeof(*w->ids), l3_sl_owner_cmp);
	if (!hit || which == L3_SL_KEY_NS)
		return hit != NULL;
	return l3_sl_ns_has_addr(&ir->cfg->ns[hit->ns], key);
}

/* Deletes the entries of @fd (as @sn read them) the policy no longer has
 * (after the new ones are in, so no namespace that stays ever misses an
 * entry). */
static int l3_sl_prune(struct l3_sl_maps *m, int fd, const struct l3_sl_snap *sn,
		       const struct l3_ir *ir, const struct l3_sl_want *w, enum l3_sl_keys which)
{
	size_t i, rl = sn->klen + sn->vlen;

	for (i = 0; i < sn->n; i++) {
		const uint8_t *key = sn->rec + i * rl;
		uint32_t owner = 0;

		if (which == L3_SL_KEY_ADDR)
			memcpy(&owner, key + sn->klen, sizeof(owner));
		if (l3_sl_wanted(ir, w, which, key, owner))
			continue;
		if (l3_sl_change(m) < 0 || (bpf_map_delete_elem(fd, key) < 0 && errno != ENOENT))
			return -1;
	}
	return 0;
}

/* A zeroed counter for namespace @id unless it has one (kept across applies). */
static int l3_sl_ctr_init(struct l3_sl_maps *m, uint32_t id)
{
	struct l3_bpf_ctr *zero;
	size_t vlen = l3_sl_ctr_vlen();
	int r;

	if (l3_sl_snap_find(&m->s_ctr, &id))
		return 0;
	zero = vlen ? calloc(1, vlen) : NULL;
	if (!zero)
		return -1;
	r = bpf_map_update_elem(m->ctr, &id, zero, BPF_NOEXIST);
	free(zero);
	return r < 0 && errno != EEXIST ? -1 : 0;
}

static int l3_sl_fill_ns(struct l3_sl_maps *m, const struct l3_ir *ir,
			 const uint64_t *cgids, size_t i)
{
	const struct l3_ns *ns = &ir->cfg->ns[i];
	uint32_t id = ir->ids[i];
	struct l3_bpf_addr_key k;
	struct l3_bpf_ns v;
	size_t j;

	l3_sl_ns_value(&v, ir, ns);
	if (l3_sl_put(m, m->ns, &m->s_ns, &id, &v, sizeof(v)) < 0 || l3_sl_ctr_init(m, id) < 0)
		return -1;
	for (j = 0; j < ns->naddrs; j++) {
		l3_sl_addr_key(&k, &ns->addrs[j]);
		if (l3_sl_put(m, m->addr, &m->s_addr, &k, &id, sizeof(id)) < 0)
			return -1;
	}
	if (cgids[i] && l3_sl_put(m, m->cgroup, &m->s_cgroup, &cgids[i], &id, sizeof(id)) < 0)
		return -1;
	return 0;
}

/* After the maps changed (or before any generation was set): sockets'
 * cached answers of the generation before no longer hold. */
static int l3_sl_gen_after(const struct l3_sl_maps *m)
{
	uint32_t k = 0, g = 0;

	if (bpf_map_lookup_elem(m->gen, &k, &g) < 0)
		return -1;
	if (!m->changes && g)
		return 0;
	return l3_sock_maps_new_gen(m->gen);
}

static int l3_sl_fill_all(struct l3_sl_maps *m, const struct l3_ir *ir, const uint64_t *cgids,
			  const struct l3_sl_want *w)
{
	struct l3_bpf_conf conf = { .mark_mask = ir->cfg->mark_mask, .levels = l3_sl_levels(ir) };
	uint32_t zero = 0;
	size_t i;

	for (i = 0; i < ir->cfg->nns; i++)
		if (l3_sl_fill_ns(m, ir, cgids, i) < 0)
			return -1;
	if (l3_sl_put(m, m->conf, NULL, &zero, &conf, sizeof(conf)) < 0)
		return -1;
	if (l3_sl_prune(m, m->cgroup, &m->s_cgroup, ir, w, L3_SL_KEY_CGROUP) < 0 ||
	    l3_sl_prune(m, m->addr, &m->s_addr, ir, w, L3_SL_KEY_ADDR) < 0 ||
	    l3_sl_prune(m, m->ns, &m->s_ns, ir, w, L3_SL_KEY_NS) < 0 ||
	    l3_sl_prune(m, m->ctr, &m->s_ctr, ir, w, L3_SL_KEY_NS) < 0)
		return -1;
	return l3_sl_gen_after(m);
}

/* The maps say what @ir says: new entries first, then the stale ones go;
 * both against the maps read back as the update begins. */
static int l3_sl_fill(struct l3_sl_maps *m, const struct l3_ir *ir, const uint64_t *cgids)
{
	struct l3_sl_want w;
	int r = -1, e;

	if (l3_sl_want_build(&w, ir, cgids) == 0 && l3_sl_snap_all(m) == 0)
		r = l3_sl_fill_all(m, ir, cgids, &w);
	e = errno;
	l3_sl_want_free(&w);
	l3_sl_snap_free_all(m);
	errno = e;
	return r;
}

static int l3_sl_pinned(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return bpf_obj_get(path);
}

static void l3_sl_maps_close(struct l3_sl_maps *m)
{
	int *fds[] = { &m->cgroup, &m->addr, &m->ns, &m->conf, &m->ctr, &m->gen };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static int l3_sl_maps_open(struct l3_sl_maps *m, const char *dir)
{
	m->cgroup = l3_sl_pinned(dir, "l3_cgroup");
	m->addr = l3_sl_pinned(dir, "l3_addr");
	m->ns = l3_sl_pinned(dir, "l3_ns");
	m->conf = l3_sl_pinned(dir, "l3_conf");
	m->ctr = l3_sl_pinned(dir, "l3_ctr");
	m->gen = l3_sl_pinned(dir, "l3_gen");
	if (m->cgroup < 0 || m->addr < 0 || m->ns < 0 || m->conf < 0 || m->ctr < 0 ||
	    m->gen < 0) {
		int e = errno;

		l3_sl_maps_close(m);
		errno = e;
		return -1;
	}
	return 0;
}

/* ---- where to attach ---- */

/* Cuts the last component of cgroup path @p ("" when there is one). */
static void l3_sl_path_up(char *p)
{
	char *slash = strrchr(p, '/');

	if (slash)
		*slash = '\0';
	else
		p[0] = '\0';
}

/*
 * The namespaces' deepest common parent cgroup that exists (the cgroup2
 * root at worst), opened. Attaching there rather than at the root keeps
 * every other process's socket calls free of the programs; the netns
 * cookie and the cgroup map do the rest of the scoping.
 */
static int l3_sl_attach_dir(const struct l3_cfg *cfg, uint64_t *cgid)
{
	struct l3_cgroup_mount mnt;
	char common[L3_CGROUP_PATH_MAX] = "", path[sizeof(mnt.path) + L3_CGROUP_PATH_MAX + 2];
	size_t i, n;
	struct stat sb;
	int fd;

	if (l3_cgroup_find_mount(NULL, &mnt) < 0)
		return -1;
	for (i = 0; i < cfg->nns; i++) {
		const char *p = cfg->ns[i].cgroup;

		if (i == 0) {
			snprintf(common, sizeof(common), "%s", p);
			continue;
		}
		for (n = 0; common[n] && common[n] == p[n]; n++)
			;
		/* back to a whole component */
		if (!(common[n] == '\0' && (p[n] == '/' || p[n] == '\0')))
			while (n > 0 && common[n] != '/')
				n--;
		common[n] = '\0';
	}
	/* the namespace's own cgroup is not a parent: one namespace attaches
	 * at its cgroup's parent so a re-made cgroup stays covered */
	if (cfg->nns == 1)
		l3_sl_path_up(common);
	for (;;) {
		snprintf(path, sizeof(path), "%s%s%s", mnt.path, common[0] ? "/" : "", common);
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0 || !common[0])
			break;
		l3_sl_path_up(common);
	}
	if (fd >= 0 && fstat(fd, &sb) == 0)
		*cgid = sb.st_ino;
	return fd;
}

/* ---- links ---- */

static const char *l3_sl_prog_short(const struct bpf_program *p)
{
	const char *name = bpf_program__name(p);

	return strncmp(name, "l3_", 3) ? name : name + 3;
}

/* Reads the links pinned in st->dir: how many, and their cgroup. */
int l3_sock_layer_read(struct l3_sock_layer_state *st)
{
	struct dirent *de;
	DIR *d;

	memset(st, 0, sizeof(*st));
	if (l3_sl_dir(st) < 0)
		return -1;
	if (!l3_sl_is_bpffs(L3_SOCK_LAYER_BPFFS))
		return 0;
	d = opendir(st->dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d))) {
		struct bpf_link_info info;
		__u32 len = sizeof(info);
		int fd;

		if (strncmp(de->d_name, L3_SL_LINK, strlen(L3_SL_LINK)))
			continue;
		fd = l3_sl_pinned(st->dir, de->d_name);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    info.type == BPF_LINK_TYPE_CGROUP) {
			st->nlinks++;
			st->cgroup_id = info.cgroup.cgroup_id;
		} else if (info.type == BPF_LINK_TYPE_NETNS || info.type == BPF_LINK_TYPE_ITER) {
			st->nlinks++;
		}
		close(fd);
	}
	closedir(d);
	st->attached = st->nlinks == L3_SOCK_LAYER_NPROGS;
	return 0;
}

/* The UDP iterator's link: nothing runs until someone reads it (its pin,
 * opened in this network namespace, walks this namespace's sockets). */
static struct bpf_link *l3_sl_attach_iter(struct bpf_program *p)
{
	return bpf_program__attach_iter(p, NULL);
}

static int l3_sl_link_path(char *buf, size_t len, const char *dir, const char *prefix,
			   const struct bpf_program *p)
{
	int n = snprintf(buf, len, "%s/%s%s", dir, prefix, l3_sl_prog_short(p));

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Programs that fill or read l3_listen: attached before bind4/6 start
 * marking sockets, so no listener is ever marked and missed. */
static bool l3_sl_prog_early(const struct bpf_program *p)
{
	enum bpf_prog_type t = bpf_program__type(p);

	return t == BPF_PROG_TYPE_SOCK_OPS || t == BPF_PROG_TYPE_SK_LOOKUP;
}

/* The link of @p: sk_lookup at network namespace @nsfd, the UDP iterator
 * (l3_sl_attach_iter), the rest at cgroup @cgfd. */
static struct bpf_link *l3_sl_link(struct bpf_program *p, int cgfd, int nsfd)
{
	if (bpf_program__type(p) == BPF_PROG_TYPE_SK_LOOKUP)
		return bpf_program__attach_netns(p, nsfd);
	if (bpf_program__type(p) == BPF_PROG_TYPE_TRACING)
		return l3_sl_attach_iter(p);
	return bpf_program__attach_cgroup(p, cgfd);
}

/* Attaches @p (l3_sl_link) and pins its link as new_<prog>. */
static int l3_sl_attach_one(struct bpf_program *p, const char *dir, int cgfd, int nsfd)
{
	struct bpf_link *l;
	char path[PATH_MAX];
	int r;

	l = l3_sl_link(p, cgfd, nsfd);
	if (!l)
		return -1;
	if (l3_sl_link_path(path, sizeof(path), dir, L3_SL_NEW, p) < 0) {
		bpf_link__destroy(l);
		errno = ENAMETOOLONG;
		return -1;
	}
	unlink(path);
	r = bpf_link__pin(l, path);
	/* the pin holds the link now; closing our descriptor keeps it */
	bpf_link__disconnect(l);
	bpf_link__destroy(l);
	return r < 0 ? -1 : 0;
}

/* Attaches every program (early ones first) and pins their links. */
static int l3_sl_attach(struct l3nft_sock *skel, const char *dir, int cgfd)
{
	struct bpf_program *p;
	int nsfd, pass, r = 0;

	nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return -1;
	for (pass = 0; pass < 2 && r == 0; pass++)
		bpf_object__for_each_program(p, skel->obj) {
			if (l3_sl_prog_early(p) != (pass == 0))
				continue;
			r = l3_sl_attach_one(p, dir, cgfd, nsfd);
			if (r < 0)
				break;
		}
	close(nsfd);
	return r;
}

/* The new links replace the old: old link_* unpinned (detached), then
 * new_* renamed. Between the two, both sets run: never neither. */
static int l3_sl_swap_links(struct l3nft_sock *skel, const char *dir)
{
	char from[PATH_MAX], to[PATH_MAX];
	struct bpf_program *p;

	bpf_object__for_each_program(p, skel->obj) {
		if (l3_sl_link_path(to, sizeof(to), dir, L3_SL_LINK, p) < 0 ||
		    l3_sl_link_path(from, sizeof(from), dir, L3_SL_NEW, p) < 0)
			return -1;
		if (unlink(to) < 0 && errno != ENOENT)
			return -1;
		if (rename(from, to) < 0)
			return -1;
	}
	return 0;
}

/* Unpins the new_* links of a failed attach. */
static void l3_sl_unpin_new(struct l3nft_sock *skel, const char *dir)
{
	char path[PATH_MAX];
	struct bpf_program *p;

	bpf_object__for_each_program(p, skel->obj)
		if (l3_sl_link_path(path, sizeof(path), dir, L3_SL_NEW, p) == 0)
			unlink(path);
}

/* ---- pins of another build ----
 *
 * libbpf reuses a pinned map only when it fits the object's definition
 * (type, key and value size, entries, flags); a build whose map changed
 * (l3_ctr grew a counter) would fail to load on the old pins. Such pins
 * are replaced, but only ours: a BPF map, pinned in our directory under
 * the name of one of our maps. The new maps are loaded unpinned, pinned
 * under a temporary name and renamed over the old pins (bpffs renames
 * atomically: the name never points at nothing), before any program is
 * attached; the old links keep the old maps until the swap. */

#define L3_SL_MAX_MAPS 16	/* the object's maps, with room to grow */
#define L3_SL_TMP "tmp_"	/* a map pin about to replace an old one */

/* The pins of @dir that do not fit the skeleton's maps. */
struct l3_sl_stale {
	struct bpf_map *map[L3_SL_MAX_MAPS];	/* the skeleton's map */
	int old[L3_SL_MAX_MAPS];		/* the pinned one it replaces */
	size_t n;
};

/* Is @fd a BPF map (not a program or a link pinned under a map's name)? */
static bool l3_sl_fd_is_map(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strcmp(target, "anon_inode:bpf-map");
}

/* Does pinned map @info fit @m as libbpf's reuse checks it? */
static bool l3_sl_pin_fits(const struct bpf_map *m, const struct bpf_map_info *info)
{
	return info->type == (__u32)bpf_map__type(m) &&
	       info->key_size == bpf_map__key_size(m) &&
	       info->value_size == bpf_map__value_size(m) &&
	       info->max_entries == bpf_map__max_entries(m) &&
	       info->map_flags == bpf_map__map_flags(m);
}

/* Opens @m's pin in @dir: its fd, with *@fits set; -1 with errno ENOENT
 * when there is none, EEXIST when the pin is not our map. */
static int l3_sl_pin_check(const struct bpf_map *m, const char *dir, bool *fits)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	const char *name = bpf_map__name(m);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	memset(&info, 0, sizeof(info));
	if (!l3_sl_fd_is_map(fd) || bpf_obj_get_info_by_fd(fd, &info, &len) < 0 ||
	    strncmp(info.name, name, sizeof(info.name) - 1)) {
		close(fd);
		errno = EEXIST;
		return -1;
	}
	*fits = l3_sl_pin_fits(m, &info);
	return fd;
}

static void l3_sl_stale_close(struct l3_sl_stale *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		close(st->old[i]);
	st->n = 0;
}

/* Finds the pins of @dir that do not fit @obj's maps and has those maps
 * created unpinned at load. 0, or -1 with errno (EEXIST: a pin under one
 * of our names is not our map: left alone, nothing loaded). */
static int l3_sl_stale_find(struct bpf_object *obj, const char *dir, struct l3_sl_stale *st)
{
	struct bpf_map *m;
	bool fits;
	int fd;

	st->n = 0;
	bpf_object__for_each_map(m, obj) {
		if (!bpf_map__pin_path(m))
			continue;	/* .rodata and the like */
		fd = l3_sl_pin_check(m, dir, &fits);
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0 || (!fits && st->n == L3_SL_MAX_MAPS)) {
			int e = fd < 0 ? errno : E2BIG;

			if (fd >= 0)
				close(fd);
			l3_sl_stale_close(st);
			errno = e;
			return -1;
		}
		if (fits) {
			close(fd);
			continue;
		}
		st->map[st->n] = m;
		st->old[st->n++] = fd;
		if (bpf_map__set_pin_path(m, NULL) < 0) {
			l3_sl_stale_close(st);
			return -1;
		}
	}
	return 0;
}

/* Pins @fd as @dir/@name through a temporary name (atomic replacement). */
static int l3_sl_pin_over(int fd, const char *dir, const char *name)
{
	char tmp[PATH_MAX], path[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s/%s%s", dir, L3_SL_TMP, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp) < 0)
		return -1;
	if (rename(tmp, path) < 0) {
		int e = errno;

		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

/* The loaded maps of @st take their old pins' names; @undo: the old maps
 * take them back (after a failed attach). */
static int l3_sl_stale_swap(struct l3_sl_stale *st, const char *dir, bool undo)
{
	size_t i;
	int r = 0;

	for (i = 0; i < st->n; i++) {
		int fd = undo ? st->old[i] : bpf_map__fd(st->map[i]);

		if (l3_sl_pin_over(fd, dir, bpf_map__name(st->map[i])) < 0)
			r = -1;
	}
	return r;
}

/* Do the pins of @dir fit this build's maps, every one there? (Else
 * apply loads and re-attaches, replacing them, instead of updating.) */
static bool l3_sl_pins_fit(const char *dir)
{
	struct l3nft_sock *skel;
	struct bpf_map *m;
	bool ok = true, fits;
	int fd;

	l3_sl_quiet();
	skel = l3nft_sock__open();
	if (!skel)
		return false;
	bpf_object__for_each_map(m, skel->obj) {
		if (!bpf_map__is_internal(m)) {
			fd = l3_sl_pin_check(m, dir, &fits);
			if (fd >= 0)
				close(fd);
			ok = ok && fd >= 0 && fits;
		}
	}
	l3nft_sock__destroy(skel);
	return ok;
}

/* Opens the skeleton with the scope set and loads it, its maps pinned in
 * @dir (reused when they fit; those that do not are loaded unpinned and
 * listed in @stale); @dir NULL: nothing pinned (the probe). */
static struct l3nft_sock *l3_sl_open_load(const char *dir, struct l3_sl_stale *stale)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = dir);
	struct l3nft_sock *skel;
	uint64_t cookie = l3_sl_netns_cookie();
	int e;

	if (!cookie) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	l3_sl_quiet();
	skel = l3nft_sock__open_opts(&oo);
	if (!skel)
		return NULL;
	skel->rodata->l3_netns_cookie = cookie;
	if (!dir) {
		/* probe: nothing may be pinned */
		struct bpf_map *m;

		bpf_object__for_each_map(m, skel->obj)
			bpf_map__set_pin_path(m, NULL);
	} else if (l3_sl_stale_find(skel->obj, dir, stale) < 0) {
		e = errno;
		l3nft_sock__destroy(skel);
		errno = e;
		return NULL;
	}
	if (l3nft_sock__load(skel) < 0) {
		e = errno;
		if (dir)
			l3_sl_stale_close(stale);
		l3nft_sock__destroy(skel);
		errno = e ? e : EINVAL;
		return NULL;
	}
	return skel;
}

int l3_sock_layer_probe(void)
{
	struct l3nft_sock *skel = l3_sl_open_load(NULL, NULL);
	struct bpf_program *p;
	int n = 0;

	if (!skel)
		return -1;
	bpf_object__for_each_program(p, skel->obj)
		if (bpf_program__fd(p) >= 0)
			n++;
	l3nft_sock__destroy(skel);
	return n;
}

/* Loads, fills and attaches at @cgfd; the old links (if any) go after.
 * Pins of another build that do not fit are replaced first (*@replaced:
 * how many); after a failure they are put back. */
static int l3_sl_load_attach(const struct l3_sock_layer_state *st, const struct l3_ir *ir,
			     const uint64_t *cgids, int cgfd, size_t *replaced)
{
	struct l3_sl_maps m = L3_SL_MAPS_INIT;
	struct l3_sl_stale stale = { .n = 0 };
	struct l3nft_sock *skel = l3_sl_open_load(st->dir, &stale);
	int r = -1, e;

	if (!skel)
		return -1;
	*replaced = stale.n;
	/* filled before attaching: no moment with programs and empty maps */
	if (l3_sl_stale_swap(&stale, st->dir, false) == 0 && l3_sl_maps_open(&m, st->dir) == 0 &&
	    l3_sl_fill(&m, ir, cgids) == 0 && l3_sl_attach(skel, st->dir, cgfd) == 0 &&
	    l3_sl_swap_links(skel, st->dir) == 0)
		r = 0;
	/* after the swap, nothing to roll back: a walk that failed leaves
	 * UDP to other addresses refused until l3nftd's next walk */
	if (r == 0)
		l3_sock_maps_udp_walk(st->dir);
	e = errno;
	if (r < 0) {
		l3_sl_unpin_new(skel, st->dir);
		l3_sl_stale_swap(&stale, st->dir, true);
	}
	l3_sl_stale_close(&stale);
	l3_sl_maps_close(&m);
	l3nft_sock__destroy(skel);
	errno = e;
	return r;
}

/* Only the maps change (re-apply with the programs attached where wanted):
 * 1 when some entry changed, 0 when none did, -1 with errno. */
static int l3_sl_update(const struct l3_sock_layer_state *st, const struct l3_ir *ir,
			const uint64_t *cgids)
{
	struct l3_sl_maps m = L3_SL_MAPS_INIT;
	int r, e;

	if (l3_sl_maps_open(&m, st->dir) < 0)
		return -1;
	r = l3_sl_fill(&m, ir, cgids);
	/* sockets bound while l3nftd was not there to walk; a walk that
	 * fails leaves them to l3nftd's next one, not the apply undone */
	if (r == 0)
		l3_sock_maps_udp_walk(st->dir);
	e = errno;
	l3_sl_maps_close(&m);
	errno = e;
	return r < 0 ? -1 : (int)(m.changes > 0);
}

/* Loads or updates; what it did into @what (NULL: nothing to do). 0, or -1
 * with errno. */
static int l3_sl_apply(const struct l3_ir *ir, const uint64_t *cgids, const char **what)
{
	struct l3_sock_layer_state st;
	uint64_t cgid = 0;
	int cgfd, r;

	if (l3_sock_layer_read(&st) < 0)
		return -1;
	cgfd = l3_sl_attach_dir(ir->cfg, &cgid);
	if (cgfd < 0)
		return -1;
	if (st.attached && st.cgroup_id == cgid && l3_sl_pins_fit(st.dir)) {
		r = l3_sl_update(&st, ir, cgids);
		*what = r > 0 ? "maps updated" : NULL;
		r = r < 0 ? -1 : 0;
	} else {
		size_t replaced = 0;

		/* same cgroup but not every link or map: an older l3nft's set */
		*what = !st.nlinks ? "attached" :
			st.cgroup_id == cgid ? "re-attached (its programs changed)" :
			"moved to the namespaces' common cgroup";
		r = l3_sl_mkdirs(st.dir);
		if (r == 0)
			r = l3_sl_load_attach(&st, ir, cgids, cgfd, &replaced);
		if (r == 0 && replaced)
			*what = st.nlinks ? "re-attached (maps of another build replaced)" :
				"attached (maps of another build replaced)";
	}
	close(cgfd);
	return r;
}

int l3_sock_layer_apply(const struct l3_ir *ir, const uint64_t *cgroup_ids, FILE *log,
			struct l3_diag *diag)
{
	const struct l3_cfg *cfg = ir->cfg;
	const char *what = "";
	bool removed = false;

	if (cfg->socket_layer == L3_SOCKET_LAYER_OFF) {
		if (l3_sock_layer_delete(false, &removed, diag) < 0)
			return -1;
		if (removed)
			fprintf(log, "socket layer: removed (socket_layer: off)\n");
		return 0;
	}
	if (l3_sl_apply(ir, cgroup_ids, &what) == 0) {
		if (what)
			fprintf(log, "socket layer: %s\n", what);
		return 0;
	}
	if (cfg->socket_layer == L3_SOCKET_LAYER_REQUIRED) {
		l3_error(diag, cfg->socket_layer_pos,
			 "socket layer (socket_layer: required): %s", errno == EPERM
			 ? "Operation not permitted; needs root (CAP_BPF, CAP_NET_ADMIN)"
			 : strerror(errno));
		return -1;
	}
	fprintf(log, "socket layer: not available here (%s); the packet layer alone holds\n",
		strerror(errno));
	return 0;
}

int l3_sock_layer_delete(bool dry_run, bool *removed, struct l3_diag *diag)
{
	struct l3_sock_layer_state st;
	struct dirent *de;
	char path[PATH_MAX];
	DIR *d;
	int r = 0;

	*removed = false;
	if (l3_sock_layer_read(&st) < 0 || !l3_sl_is_bpffs(L3_SOCK_LAYER_BPFFS))
		return 0;
	d = opendir(st.dir);
	if (!d)
		return 0;
	/* links first: the programs stop before their maps go */
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		*removed = true;
		snprintf(path, sizeof(path), "%s/%s", st.dir, de->d_name);
		if (!dry_run && strncmp(de->d_name, "l3_", 3) && unlink(path) < 0)
			r = -1;
	}
	rewinddir(d);
	while (!dry_run && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", st.dir, de->d_name);
		if (unlink(path) < 0)
			r = -1;
	}
	closedir(d);
	if (!dry_run && rmdir(st.dir) < 0)
		r = -1;
	if (r < 0)
		l3_error(diag, L3_NOPOS, "removing the socket layer in %s: %s", st.dir,
			 strerror(errno));
	/* the parent is shared with other network namespaces: only if empty */
	snprintf(path, sizeof(path), "%s/l3nft", L3_SOCK_LAYER_BPFFS);
	if (!dry_run)
		rmdir(path);
	return r;
}

int l3_sock_layer_counters(const struct l3_sock_layer_state *st, uint32_t id,
			   struct l3_sock_layer_ctr *out)
{
	int ncpu = libbpf_num_possible_cpus(), fd, i, r;
	struct l3_bpf_ctr *v;

	memset(out, 0, sizeof(*out));
	if (ncpu <= 0)
		return -1;
	fd = l3_sl_pinned(st->dir, "l3_ctr");
	if (fd < 0)
		return -1;
	v = calloc((size_t)ncpu, sizeof(*v));
	r = v ? bpf_map_lookup_elem(fd, &id, v) : -1;
	for (i = 0; r == 0 && i < ncpu; i++) {
		out->bind_rewritten += v[i].bind_rewritten;
		out->bind_refused += v[i].bind_refused;
		out->src_filled += v[i].src_filled;
		out->send_refused += v[i].send_refused;
		out->ingress_dropped += v[i].ingress_dropped;
		out->steered += v[i].steered;
	}
	free(v);
	close(fd);
	return r < 0 ? -1 : 0;
}

/* ---- compile's view ---- */

static void l3_sl_print_ns(const struct l3_ir *ir, size_t i, FILE *out)
{
	const struct l3_ns *ns = &ir->cfg->ns[i];
	const struct l3_addr *s4 = l3_cfg_ns_source(ns, AF_INET);
	const struct l3_addr *s6 = l3_cfg_ns_source(ns, AF_INET6);
	char a4[INET_ADDRSTRLEN] = "-", a6[INET6_ADDRSTRLEN] = "-", buf[INET6_ADDRSTRLEN];
	size_t j;

	if (s4)
		inet_ntop(AF_INET, &s4->a.v4, a4, sizeof(a4));
	if (s6)
		inet_ntop(AF_INET6, &s6->a.v6, a6, sizeof(a6));
	fprintf(out, "#   l3_ns     %u -> %s: wildcard/source %s %s, loopback %s, mark 0x%08x\n",
		ir->ids[i], ns->name, a4, a6,
		ns->loopback == L3_LOOPBACK_SHARED ? "shared" : "isolated", l3_ir_ns_mark(ir, ns));
	fprintf(out, "#   l3_cgroup %s -> %u\n", ns->cgroup, ir->ids[i]);
	for (j = 0; j < ns->naddrs; j++) {
		inet_ntop(ns->addrs[j].family, &ns->addrs[j].a, buf, sizeof(buf));
		fprintf(out, "#   l3_addr   %s -> %u\n", buf, ir->ids[i]);
	}
}

int l3_sock_layer_print(const struct l3_ir *ir, FILE *out)
{
	size_t i;

	fprintf(out, "\n# socket layer (cgroup BPF, socket_layer: %s)%s\n",
		l3_cfg_socket_layer_name(ir->cfg->socket_layer),
		ir->cfg->socket_layer == L3_SOCKET_LAYER_OFF ? ": not attached" : ": maps");
	if (ir->cfg->socket_layer == L3_SOCKET_LAYER_OFF)
		return ferror(out) ? -1 : 0;
	fprintf(out, "#   l3_conf   mark_mask 0x%08x\n", ir->cfg->mark_mask);
	for (i = 0; i < ir->cfg->nns; i++)
		l3_sl_print_ns(ir, i, out);
	return ferror(out) ? -1 : 0;
}
