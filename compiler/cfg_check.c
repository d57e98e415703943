/*
 * Checks that look across namespaces: addresses owned twice, cgroups equal
 * or nested, ids repeated; then assigns the ids that were left out. Sorting
 * keeps each check O(n log n), so a policy of 10,000 namespaces validates
 * as fast as a small one.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "l3nft/compiler/cfg_check.h"

struct l3_addr_ref {
	const struct l3_addr *addr;
	const struct l3_ns *ns;
};

static int l3_addr_ref_cmp(const void *a, const void *b)
{
	const struct l3_addr_ref *x = a, *y = b;
	size_t n = x->addr->family == AF_INET ? 4 : 16;
	int r;

	if (x->addr->family != y->addr->family)
		return x->addr->family < y->addr->family ? -1 : 1;
	r = memcmp(&x->addr->a, &y->addr->a, n);
	if (r)
		return r;
	/* the earlier one in the file first, so the later one is reported */
	return l3_pos_cmp(x->addr->pos, y->addr->pos);
}

static void l3_check_addresses(struct l3_cfg *cfg, struct l3_diag *diag)
{
	struct l3_addr_ref *refs;
	size_t n = 0, i, j;
	char buf[INET6_ADDRSTRLEN], ref[300];

	for (i = 0; i < cfg->nns; i++)
		n += cfg->ns[i].naddrs;
	refs = calloc(n + 1, sizeof(*refs));
	if (!refs) {
		l3_error(diag, L3_NOPOS, "out of memory");
		return;
	}
	for (n = 0, i = 0; i < cfg->nns; i++)
		for (j = 0; j < cfg->ns[i].naddrs; j++) {
			refs[n].addr = &cfg->ns[i].addrs[j];
			refs[n++].ns = &cfg->ns[i];
		}
	qsort(refs, n, sizeof(*refs), l3_addr_ref_cmp);
	for (i = 1; i < n; i++) {
		const struct l3_addr_ref *p = &refs[i - 1], *q = &refs[i];

		if (p->addr->family != q->addr->family ||
		    memcmp(&p->addr->a, &q->addr->a, p->addr->family == AF_INET ? 4 : 16))
			continue;
		inet_ntop(q->addr->family, &q->addr->a, buf, sizeof(buf));
		if (p->ns == q->ns)
			l3_error(diag, q->addr->pos, "%s is listed twice in namespace '%s'",
				 buf, q->ns->name);
		else
			l3_error(diag, q->addr->pos,
				 "%s already belongs to namespace '%s' (%s)", buf, p->ns->name,
				 l3_diag_ref(diag, q->addr->pos, p->addr->pos, ref, sizeof(ref)));
	}
	free(refs);
}

static int l3_ns_cgroup_cmp(const void *a, const void *b)
{
	const struct l3_ns *const *x = a, *const *y = b;
	int r = strcmp((*x)->cgroup, (*y)->cgroup);

	if (r)
		return r;
	return l3_pos_cmp((*x)->pos, (*y)->pos);
}

/* The first namespace in the file whose cgroup is exactly @path[0..len),
 * or NULL. */
static const struct l3_ns *l3_find_cgroup(const struct l3_ns **sorted, size_t n,
					  const char *path, size_t len)
{
	const struct l3_ns *found = NULL;
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strncmp(sorted[mid]->cgroup, path, len);

		if (r == 0 && sorted[mid]->cgroup[len] != '\0')
			r = 1;
		if (r == 0)
			found = sorted[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return found;
}

static void l3_check_cgroups(struct l3_cfg *cfg, struct l3_diag *diag)
{
	const struct l3_ns **sorted = calloc(cfg->nns + 1, sizeof(*sorted));
	char ref[300];
	size_t i;

	if (!sorted) {
		l3_error(diag, L3_NOPOS, "out of memory");
		return;
	}
	for (i = 0; i < cfg->nns; i++)
		sorted[i] = &cfg->ns[i];
	qsort(sorted, cfg->nns, sizeof(*sorted), l3_ns_cgroup_cmp);
	for (i = 0; i < cfg->nns; i++) {
		const struct l3_ns *ns = sorted[i], *up;
		const char *slash;

		if (i > 0 && !strcmp(sorted[i - 1]->cgroup, ns->cgroup)) {
			l3_error(diag, ns->cgroup_pos,
				 "namespace '%s' has the same cgroup '%s' as '%s' (%s)",
				 ns->name, ns->cgroup, sorted[i - 1]->name,
				 l3_diag_ref(diag, ns->cgroup_pos, sorted[i - 1]->pos, ref,
					     sizeof(ref)));
			continue;
		}
		/* every ancestor of the path, shortest first */
		for (slash = strchr(ns->cgroup, '/'); slash; slash = strchr(slash + 1, '/')) {
			up = l3_find_cgroup(sorted, cfg->nns, ns->cgroup,
					    (size_t)(slash - ns->cgroup));
			if (up) {
				l3_error(diag, ns->cgroup_pos,
					 "cgroup '%s' of namespace '%s' is inside cgroup '%s' of namespace '%s' (%s)",
					 ns->cgroup, ns->name, up->cgroup, up->name,
					 l3_diag_ref(diag, ns->cgroup_pos, up->pos, ref, sizeof(ref)));
				break;
			}
		}
	}
	free(sorted);
}

static int l3_ns_name_cmp(const void *a, const void *b)
{
	const struct l3_ns *const *x = a, *const *y = b;
	int r = strcmp((*x)->name, (*y)->name);

	return r ? r : l3_pos_cmp((*x)->pos, (*y)->pos);
}

/* A name defined in two files (one file's mapping refuses its own
 * repeats). False when there is one: the other checks would only repeat
 * it, as two namespaces of one name share a default cgroup. */
static bool l3_check_names(struct l3_cfg *cfg, struct l3_diag *diag)
{
	const struct l3_ns **sorted = calloc(cfg->nns + 1, sizeof(*sorted));
	size_t i, errors = diag->nerrors;
	char ref[300];

	if (!sorted) {
		l3_error(diag, L3_NOPOS, "out of memory");
		return false;
	}
	for (i = 0; i < cfg->nns; i++)
		sorted[i] = &cfg->ns[i];
	qsort(sorted, cfg->nns, sizeof(*sorted), l3_ns_name_cmp);
	for (i = 1; i < cfg->nns; i++)
		if (!strcmp(sorted[i - 1]->name, sorted[i]->name))
			l3_error(diag, sorted[i]->pos, "namespace '%s' is defined twice, first at %s",
				 sorted[i]->name,
				 l3_diag_ref(diag, sorted[i]->pos, sorted[i - 1]->pos, ref,
					     sizeof(ref)));
	free(sorted);
	return diag->nerrors == errors;
}

static int l3_ns_id_cmp(const void *a, const void *b)
{
	const struct l3_ns *const *x = a, *const *y = b;

	if ((*x)->id != (*y)->id)
		return (*x)->id < (*y)->id ? -1 : 1;
	return *x < *y ? -1 : *x > *y;	/* file order */
}

/* A set of ids (open addressing; 0 is never an id): ids may be anything
 * up to the mask's 2^32 - 1, so no bitmap. */
struct l3_idset {
	uint32_t *v;
	size_t cap;		/* a power of two, more than twice the ids */
};

/* The slot of @id, or the empty one where it would go. */
static size_t l3_idset_slot(const struct l3_idset *s, uint32_t id)
{
	size_t i;

	for (i = (id * 2654435761u) & (s->cap - 1); s->v[i]; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == id)
			break;
	return i;
}

/* Adds @id; false when it was there already. */
static bool l3_idset_add(struct l3_idset *s, uint32_t id)
{
	size_t i = l3_idset_slot(s, id);

	if (s->v[i])
		return false;
	s->v[i] = id;
	return true;
}

int l3_cfg_ids(const struct l3_cfg *cfg, const uint32_t *keep, uint32_t *ids, size_t *full)
{
	struct l3_idset used = { .cap = 16 };
	uint32_t next = 1, max = l3_cfg_max_id(cfg->mark_mask);
	size_t i;

	while (used.cap <= 2 * cfg->nns)
		used.cap *= 2;
	used.v = calloc(used.cap, sizeof(*used.v));
	if (!used.v)
		return -1;
	for (i = 0; i < cfg->nns; i++) {
		ids[i] = cfg->ns[i].id_explicit ? cfg->ns[i].id : 0;
		if (ids[i])
			l3_idset_add(&used, ids[i]);
	}
	for (i = 0; keep && i < cfg->nns; i++)
		if (!ids[i] && keep[i] && keep[i] <= max && l3_idset_add(&used, keep[i]))
			ids[i] = keep[i];
	for (i = 0; i < cfg->nns; i++) {
		if (ids[i])
			continue;
		while (next && next <= max && used.v[l3_idset_slot(&used, next)])
			next++;
		if (!next || next > max) {
			*full = i;
			free(used.v);
			errno = ENOSPC;
			return -1;
		}
		l3_idset_add(&used, ids[i] = next++);
	}
	free(used.v);
	return 0;
}

/* Repeated explicit ids are errors; the others get the lowest free ids in
 * file order. */
static void l3_check_ids(struct l3_cfg *cfg, struct l3_diag *diag)
{
	const struct l3_ns **used = calloc(cfg->nns + 1, sizeof(*used));
	uint32_t *ids = calloc(cfg->nns + 1, sizeof(*ids));
	size_t n = 0, i, full = 0;
	char ref[300];

	if (!used || !ids) {
		l3_error(diag, L3_NOPOS, "out of memory");
		goto out;
	}
	for (i = 0; i < cfg->nns; i++)
		if (cfg->ns[i].id_explicit)
			used[n++] = &cfg->ns[i];
	qsort(used, n, sizeof(*used), l3_ns_id_cmp);
	for (i = 1; i < n; i++)
		if (used[i]->id == used[i - 1]->id)
			l3_error(diag, used[i]->id_pos,
				 "id %u is already used by namespace '%s' (%s)",
				 used[i]->id, used[i - 1]->name,
				 l3_diag_ref(diag, used[i]->id_pos, used[i - 1]->id_pos, ref,
					     sizeof(ref)));
	if (l3_cfg_ids(cfg, NULL, ids, &full) < 0) {
		if (errno == ENOSPC)
			l3_error(diag, cfg->ns[full].pos,
				 "no id left for namespace '%s': mark_mask 0x%08x allows ids 1..%u only",
				 cfg->ns[full].name, cfg->mark_mask, l3_cfg_max_id(cfg->mark_mask));
		else
			l3_error(diag, L3_NOPOS, "out of memory");
		goto out;
	}
	for (i = 0; i < cfg->nns; i++)
		cfg->ns[i].id = ids[i];
out:
	free(used);
	free(ids);
}

static void l3_check_listens(struct l3_cfg *cfg, struct l3_diag *diag)
{
	size_t i, j;

	for (i = 0; i < cfg->nns; i++) {
		const struct l3_ns *ns = &cfg->ns[i];

		for (j = 0; j < ns->nlistens; j++) {
			const struct l3_listen *l = &ns->listens[j];

			if (!l3_cfg_ns_source(ns, l->family))
				l3_error(diag, l->pos,
					 "namespace '%s' has no %s address to receive this on",
					 ns->name, l->family == AF_INET ? "IPv4" : "IPv6");
			/* l3nftd's copies come in from outside like any datagram */
			else if (!l3_cfg_ns_exposes(ns, IPPROTO_UDP, l->port))
				l3_error(diag, l->pos, "namespace '%s' does not expose %u/udp: "
					 "l3nftd's copies to it would be refused (add %u/udp to "
					 "expose)", ns->name, l->port, l->port);
		}
	}
}

/* The table has a lookup per distinct cgroup depth; sixteen is plenty and
 * keeps per-packet work bounded (see L3_IR_LEVELS_MAX). */
#define L3_CFG_LEVELS_MAX 16

static void l3_check_levels(struct l3_cfg *cfg, struct l3_diag *diag)
{
	int seen[L3_CFG_LEVELS_MAX], n = 0, j;
	size_t i;

	for (i = 0; i < cfg->nns; i++) {
		for (j = 0; j < n && seen[j] != cfg->ns[i].cgroup_depth; j++)
			;
		if (j < n)
			continue;
		if (n == L3_CFG_LEVELS_MAX) {
			l3_error(diag, cfg->ns[i].cgroup_pos,
				 "cgroup '%s' is at a %dth distinct depth; at most %d depths are supported",
				 cfg->ns[i].cgroup, n + 1, L3_CFG_LEVELS_MAX);
			return;
		}
		seen[n++] = cfg->ns[i].cgroup_depth;
	}
}

/* Is @path an ancestor of (or equal to, with @self) @cgroup? */
static bool l3_cgroup_below(const char *path, const char *cgroup, bool self)
{
	size_t n = strlen(path);

	return !strncmp(path, cgroup, n) && (cgroup[n] == '/' || (self && !cgroup[n]));
}

/*
 * A quarantine parent holds only namespaces: it must be an ancestor of at
 * least one, and neither be one nor lie inside one (its "unknown" children
 * would be the namespace's own sub-cgroups). Whether the running system
 * has other children there is apply's check (l3_cgroup_quarantine_check).
 */
static void l3_check_quarantine_one(struct l3_cfg *cfg, size_t qi, struct l3_diag *diag)
{
	const struct l3_quarantine *q = &cfg->quarantine[qi];
	bool parent = false;
	char ref[300];
	size_t i;

	for (i = 0; i < qi; i++)
		if (!strcmp(cfg->quarantine[i].cgroup, q->cgroup)) {
			l3_error(diag, q->pos, "quarantine lists '%s' twice (%s)", q->cgroup,
				 l3_diag_ref(diag, q->pos, cfg->quarantine[i].pos, ref, sizeof(ref)));
			return;
		}
	for (i = 0; i < cfg->nns; i++) {
		const struct l3_ns *ns = &cfg->ns[i];

		if (l3_cgroup_below(ns->cgroup, q->cgroup, true)) {
			l3_error(diag, q->pos, "quarantine parent '%s' is %s cgroup '%s' of "
				 "namespace '%s' (%s): a parent must hold namespaces, not be one",
				 q->cgroup, strcmp(ns->cgroup, q->cgroup) ? "inside" : "the",
				 ns->cgroup, ns->name,
				 l3_diag_ref(diag, q->pos, ns->pos, ref, sizeof(ref)));
			return;
		}
		if (l3_cgroup_below(q->cgroup, ns->cgroup, false))
			parent = true;
	}
	if (!parent)
		l3_error(diag, q->pos, "quarantine parent '%s' holds no namespace's cgroup: "
			 "list the parent of the namespaces' cgroups (e.g. tenants.slice for "
			 "tenants.slice/web.service)", q->cgroup);
}

static void l3_check_quarantine(struct l3_cfg *cfg, struct l3_diag *diag)
{
	int seen[L3_CFG_LEVELS_MAX], n = 0, j;
	size_t i;

	for (i = 0; i < cfg->nquarantine; i++) {
		l3_check_quarantine_one(cfg, i, diag);
		for (j = 0; j < n && seen[j] != cfg->quarantine[i].cgroup_depth; j++)
			;
		if (j < n)
			continue;
		if (n == L3_CFG_LEVELS_MAX) {
			l3_error(diag, cfg->quarantine[i].pos, "quarantine parent '%s' is at a "
				 "%dth distinct depth; at most %d depths are supported",
				 cfg->quarantine[i].cgroup, n + 1, L3_CFG_LEVELS_MAX);
			return;
		}
		seen[n++] = cfg->quarantine[i].cgroup_depth;
	}
}

/* Sources of one expose entry by family, address, then prefix length
 * (widest first), then file order. */
static int l3_from_cmp(const void *a, const void *b)
{
	const struct l3_addr *x = *(const struct l3_addr *const *)a;
	const struct l3_addr *y = *(const struct l3_addr *const *)b;
	int r;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	r = memcmp(&x->a, &y->a, x->family == AF_INET ? 4 : 16);
	if (r)
		return r;
	if (x->plen != y->plen)
		return x->plen < y->plen ? -1 : 1;
	return l3_pos_cmp(x->pos, y->pos);
}

/* Whether prefix @in lies inside prefix @out (same family). */
static bool l3_prefix_within(const struct l3_addr *in, const struct l3_addr *out)
{
	const uint8_t *p = (const uint8_t *)&in->a, *q = (const uint8_t *)&out->a;
	int i;

	if (in->family != out->family || in->plen < out->plen)
		return false;
	for (i = 0; i < out->plen; i++)
		if ((p[i / 8] ^ q[i / 8]) & (0x80u >> (i % 8)))
			return false;
	return true;
}

static void l3_from_overlap(const struct l3_addr *a, const struct l3_addr *b,
			    struct l3_diag *diag)
{
	const struct l3_addr *later = l3_pos_cmp(a->pos, b->pos) < 0 ? b : a;
	const struct l3_addr *first = later == a ? b : a;
	char x[INET6_ADDRSTRLEN], y[INET6_ADDRSTRLEN];

	inet_ntop(later->family, &later->a, x, sizeof(x));
	inet_ntop(first->family, &first->a, y, sizeof(y));
	if (a->plen == b->plen)
		l3_error(diag, later->pos, "source range %s/%d is listed twice (first at %d:%d)",
			 x, later->plen, first->pos.line, first->pos.col);
	else
		l3_error(diag, later->pos, "source range %s/%d overlaps %s/%d (at %d:%d): "
			 "nft refuses overlapping ranges in one set, keep the wider one",
			 x, later->plen, y, first->plen, first->pos.line, first->pos.col);
}

/*
 * One entry's sources: none inside another (an interval set refuses
 * overlapping elements; the user gets this message, not the kernel's
 * EEXIST) and each of a family the namespace has an address of. Sorted,
 * a prefix that overlaps an earlier one lies inside the last one that
 * did not: prefixes nest or are disjoint.
 */
static int l3_check_expose_from(const struct l3_ns *ns, const struct l3_expose *x,
				struct l3_diag *diag)
{
	const struct l3_addr **v = calloc(x->nfrom + 1, sizeof(*v)), *cur = NULL;
	size_t i;

	if (!v)
		return -1;
	for (i = 0; i < x->nfrom; i++) {
		v[i] = &x->from[i];
		if (!l3_cfg_ns_source(ns, x->from[i].family))
			l3_error(diag, x->from[i].pos, "namespace '%s' has no %s address: "
				 "this source could never reach it", ns->name,
				 x->from[i].family == AF_INET ? "IPv4" : "IPv6");
	}
	qsort(v, x->nfrom, sizeof(*v), l3_from_cmp);
	for (i = 0; i < x->nfrom; i++) {
		if (cur && l3_prefix_within(v[i], cur))
			l3_from_overlap(cur, v[i], diag);
		else
			cur = v[i];
	}
	free(v);
	return 0;
}

static int l3_check_exposes(struct l3_cfg *cfg, struct l3_diag *diag)
{
	size_t i, j;

	for (i = 0; i < cfg->nns; i++)
		for (j = 0; j < cfg->ns[i].nexposes; j++)
			if (l3_check_expose_from(&cfg->ns[i], &cfg->ns[i].exposes[j], diag) < 0)
				return -1;
	return 0;
}

void l3_cfg_check(struct l3_cfg *cfg, struct l3_diag *diag)
{
	if (!l3_check_names(cfg, diag))
		return;
	l3_check_quarantine(cfg, diag);
	l3_check_levels(cfg, diag);
	l3_check_addresses(cfg, diag);
	l3_check_cgroups(cfg, diag);
	l3_check_ids(cfg, diag);
	l3_check_listens(cfg, diag);
	if (l3_check_exposes(cfg, diag) < 0)
		l3_error(diag, L3_NOPOS, "out of memory");
}
