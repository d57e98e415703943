/*
 * apply, diff and delete. apply: policy → IR (with cgroup ids) → one
 * netlink transaction; the kernel takes all of it or none of it, and on
 * refusal the old table stays as it was and each error is reported at the
 * policy line it came from. Aliases are added first and taken back if the
 * transaction fails, so a failed apply leaves the host as it found it.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include "l3nft/alias.h"
#include "l3nft/apply.h"
#include "l3nft/cgroup.h"
#include "l3nft/ir.h"
#include "l3nft/live.h"
#include "l3nft/nl.h"
#include "l3nft/status.h"

#define L3_APPLY_MAX_ERRORS 32

/* Everything apply, diff and dry runs compute before changing anything. */
struct l3_plan {
	struct mnl_socket *nl;
	struct l3_nl_features f;
	struct l3_ir *ir;
	struct l3_live have;		/* the table now */
	struct l3_live want;		/* the table the batch makes */
	struct l3_nl_batch nb;
	bool batch_ok;
	struct l3_aliases now;		/* addresses on the host now */
	struct l3_alias *add;		/* aliases to add */
	size_t nadd;
	struct l3_alias *stale;		/* ours, no longer in the policy */
	size_t nstale;
	size_t table_changes;
};

static void l3_plan_free(struct l3_plan *p)
{
	if (p->nl)
		mnl_socket_close(p->nl);
	l3_ir_free(p->ir);
	l3_live_free(&p->have);
	l3_live_free(&p->want);
	if (p->batch_ok)
		l3_nl_batch_fini(&p->nb);
	l3_aliases_free(&p->now);
	free(p->add);
	free(p->stale);
}

static void l3_apply_warn_missing(const struct l3_ir *ir, struct l3_diag *diag)
{
	const struct l3_ns *const *ns = ir->missing.items;
	size_t i;

	/* a few by name; thousands of lines would bury everything else */
	for (i = 0; i < ir->missing.len && i < 5; i++)
		l3_warn(diag, ns[i]->cgroup_pos,
			"cgroup '%s' of namespace '%s' does not exist yet: it has no members "
			"until it does (l3nftd adds it when it appears)", ns[i]->cgroup,
			ns[i]->name);
	if (ir->missing.len > 5)
		l3_warn(diag, L3_NOPOS, "%zu more namespaces have no cgroup yet",
			ir->missing.len - 5);
}

/* Listener registrations l3nftd made at run time survive the apply. */
static int l3_plan_keep_listeners(struct l3_plan *p)
{
	size_t i;

	for (i = 0; i < p->have.nelems; i++) {
		const struct l3_live_elem *le = &p->have.elems[i];
		struct l3_ir_set *s = l3_ir_find_set(p->ir, le->set);
		const bool v4 = !strcmp(le->set, L3_IR_SET_LISTEN4);
		struct l3_ir_elem *e, *old = s ? s->elems.items : NULL;
		uint16_t port;
		size_t j;

		if (!s || le->len != (v4 ? 8u : 20u))
			continue;
		memcpy(&port, le->key + (v4 ? 4 : 16), 2);
		for (j = 0; j < s->elems.len; j++)
			if (old[j].key[1].u.port == ntohs(port) &&
			    !memcmp(&old[j].key[0].u, le->key, v4 ? 4 : 16))
				break;
		if (j < s->elems.len)
			continue;
		e = l3_vec_push(p->ir->arena, &s->elems, sizeof(*e));
		if (!e)
			return -1;
		e->key[0].type = v4 ? L3_T_IPV4 : L3_T_IPV6;
		memcpy(&e->key[0].u, le->key, v4 ? 4 : 16);
		e->key[1].type = L3_T_PORT;
		e->key[1].u.port = ntohs(port);
		e->comment = "registered at run time";
	}
	return 0;
}

/* Counters go on counting across an apply. */
static void l3_plan_keep_counters(struct l3_plan *p)
{
	struct l3_ir_counter *c = p->ir->counters.items;
	size_t i;

	for (i = 0; i < p->ir->counters.len; i++) {
		const struct l3_live_counter *lc = l3_live_counter(&p->have, c[i].name);

		if (lc) {
			c[i].packets = lc->packets;
			c[i].bytes = lc->bytes;
		}
	}
}

static int l3_plan_push(struct l3_alias **v, size_t *n, const struct l3_alias *al)
{
	struct l3_alias *p = realloc(*v, (*n + 1) * sizeof(**v));

	if (!p)
		return -1;
	*v = p;
	p[(*n)++] = *al;
	return 0;
}

static int l3_addr_ref_cmp(const void *a, const void *b)
{
	const struct l3_addr *x = *(const struct l3_addr *const *)a;
	const struct l3_addr *y = *(const struct l3_addr *const *)b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(&x->a, &y->a, x->family == AF_INET ? 4 : 16);
}

/* The policy's addresses, sorted, so that each of the host's addresses is
 * looked up in log time (20,000 aliases are a normal case). */
static const struct l3_addr **l3_cfg_addr_index(const struct l3_cfg *cfg, size_t *n)
{
	const struct l3_addr **v;
	size_t i, j, k = 0;

	for (i = 0, *n = 0; i < cfg->nns; i++)
		*n += cfg->ns[i].naddrs;
	v = calloc(*n + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; i < cfg->nns; i++)
		for (j = 0; j < cfg->ns[i].naddrs; j++)
			v[k++] = &cfg->ns[i].addrs[j];
	if (*n)
		qsort(v, *n, sizeof(*v), l3_addr_ref_cmp);
	return v;
}

static bool l3_index_has(const struct l3_addr **v, size_t n, const struct l3_alias *al)
{
	struct l3_addr key = { .family = al->family };
	const struct l3_addr *kp = &key;

	memcpy(&key.a, &al->a, sizeof(key.a));
	return n && bsearch(&kp, v, n, sizeof(*v), l3_addr_ref_cmp);
}

/* Which aliases to add (missing), and which of ours to remove (stale). */
static int l3_plan_aliases(struct l3_plan *p, const struct l3_cfg *cfg, struct l3_diag *diag)
{
	const struct l3_addr **index;
	size_t i, j, nindex, errors = diag->nerrors;

	if (l3_alias_dump(&p->now) < 0) {
		l3_error(diag, L3_NOPOS, "reading addresses: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < cfg->nns; i++) {
		const struct l3_ns *ns = &cfg->ns[i];
		unsigned ifindex = 0;

		for (j = 0; j < ns->naddrs; j++) {
			const struct l3_addr *a = &ns->addrs[j];
			struct l3_alias al = { .family = a->family, .plen = a->plen,
					       .proto = L3_IFA_PROTO };

			if (l3_alias_find(&p->now, a->family, &a->a))
				continue;	/* present, maybe by hand: used and left alone */
			if (!ns->ifname) {
				l3_error(diag, a->pos,
					 "address is on no interface and namespace '%s' names no "
					 "'interface' to add it to", ns->name);
				continue;
			}
			if (!ifindex && !(ifindex = if_nametoindex(ns->ifname))) {
				l3_error(diag, ns->ifname_pos, "interface '%s' does not exist",
					 ns->ifname);
				break;
			}
			al.ifindex = (int)ifindex;
			memcpy(&al.a, &a->a, sizeof(al.a));
			if (l3_plan_push(&p->add, &p->nadd, &al) < 0)
				return -1;
		}
	}
	index = l3_cfg_addr_index(cfg, &nindex);
	if (!index)
		return -1;
	for (i = 0; i < p->now.n; i++)
		if (p->now.v[i].proto == L3_IFA_PROTO && !l3_index_has(index, nindex, &p->now.v[i]) &&
		    l3_plan_push(&p->stale, &p->nstale, &p->now.v[i]) < 0) {
			free(index);
			return -1;
		}
	free(index);
	return diag->nerrors == errors ? 0 : -1;
}

/* The id a namespace has in the live table, read from its mark chain
 * ("rule ns_NAME 0001 [...( reg 1 & ~mask ) ^ MARK ]"); 0 when none. The
 * lines are sorted: a binary search finds the first one with the prefix. */
static uint32_t l3_live_id(const struct l3_live *lv, const struct l3_cfg *cfg, const char *name)
{
	char prefix[64];
	const char *x;
	unsigned long mark;
	size_t lo = 0, hi = lv->nlines, n;

	n = (size_t)snprintf(prefix, sizeof(prefix), "rule ns_%s 0001 ", name);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(lv->lines[mid], prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == lv->nlines || strncmp(lv->lines[lo], prefix, n) ||
	    !(x = strstr(lv->lines[lo], ") ^ 0x")))
		return 0;
	mark = strtoul(x + 4, NULL, 16);
	if ((mark & ~(unsigned long)cfg->mark_mask) || !(mark & cfg->mark_mask))
		return 0;
	return (uint32_t)(mark >> l3_cfg_mark_shift(cfg->mark_mask));
}

/* A set of ids (open addressing; 0 is never an id). */
struct l3_idset {
	uint32_t *v;
	size_t cap;		/* a power of two, more than twice the ids */
};

static bool l3_idset_has(const struct l3_idset *s, uint32_t id)
{
	size_t i;

	for (i = (id * 2654435761u) & (s->cap - 1); s->v[i]; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == id)
			return true;
	return false;
}

static void l3_idset_add(struct l3_idset *s, uint32_t id)
{
	size_t i;

	for (i = (id * 2654435761u) & (s->cap - 1); s->v[i]; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == id)
			return;
	s->v[i] = id;
}

/*
 * A namespace without an explicit id keeps the id (and so the mark) it
 * has in the live table, so that adding a namespace earlier in the file
 * does not renumber the others under their established connections. The
 * rest get the lowest free ids, as check assigns them.
 */
static void l3_plan_keep_ids(struct l3_cfg *cfg, const struct l3_live *lv)
{
	struct l3_idset used = { .cap = 16 };
	uint32_t *ids, next = 1, max = l3_cfg_max_id(cfg->mark_mask);
	size_t i;

	if (!lv->exists)
		return;
	while (used.cap <= 2 * cfg->nns)
		used.cap *= 2;
	used.v = calloc(used.cap, sizeof(*used.v));
	ids = calloc(cfg->nns + 1, sizeof(*ids));
	if (!used.v || !ids)
		goto out;
	for (i = 0; i < cfg->nns; i++)
		if (cfg->ns[i].id_explicit)
			l3_idset_add(&used, ids[i] = cfg->ns[i].id);
	for (i = 0; i < cfg->nns; i++) {
		uint32_t id = cfg->ns[i].id_explicit ? 0 : l3_live_id(lv, cfg, cfg->ns[i].name);

		if (id && id <= max && !l3_idset_has(&used, id))
			l3_idset_add(&used, ids[i] = id);
	}
	for (i = 0; i < cfg->nns; i++) {
		if (ids[i])
			continue;
		while (next <= max && l3_idset_has(&used, next))
			next++;
		if (next > max)
			goto out;	/* cannot happen: check found room for all */
		l3_idset_add(&used, ids[i] = next++);
	}
	for (i = 0; i < cfg->nns; i++)
		cfg->ns[i].id = ids[i];
out:
	free(used.v);
	free(ids);
}

/* Builds the plan; 0, or an l3_status with the reason in @diag. */
static enum l3_status l3_plan_make(struct l3_plan *p, struct l3_cfg *cfg, bool commit,
				   struct l3_diag *diag)
{
	struct l3_cgroup_mount mnt;
	struct l3_ir_opts iro = { .resolve_cgroups = true };

	if (l3_cgroup_find_mount(NULL, &mnt) < 0) {
		l3_error(diag, L3_NOPOS, "no cgroup2 file system is mounted (see /proc/self/mountinfo)");
		return L3_REFUSED;
	}
	iro.cgroup_mount = mnt.path;
	iro.cgroup_root_level = mnt.root_level;
	p->nl = l3_nl_open();
	if (!p->nl || l3_nl_probe(p->nl, &p->f) < 0 ||
	    l3_live_read(p->nl, cfg->table, &p->have) < 0) {
		l3_error(diag, L3_NOPOS, "nf_tables netlink: %s", strerror(errno));
		return L3_REFUSED;
	}
	l3_plan_keep_ids(cfg, &p->have);
	p->ir = l3_ir_build(cfg, &iro);
	if (!p->ir) {
		l3_error(diag, L3_NOPOS, "building the table: %s", strerror(errno));
		return errno == E2BIG ? L3_INVALID : L3_REFUSED;
	}
	l3_apply_warn_missing(p->ir, diag);
	if (l3_plan_keep_listeners(p) < 0)
		goto oom;
	l3_plan_keep_counters(p);
	if (l3_nl_batch_init(&p->nb, (uint32_t)time(NULL)) < 0)
		goto oom;
	p->batch_ok = true;
	p->want.exists = true;
	/* the canonical lines are only compared with a live table: without
	 * one, rendering and sorting every element is wasted */
	p->nb.render = p->have.exists ? &p->want : NULL;
	if (l3_nl_emit_table(&p->nb, p->ir, &p->f) < 0 || l3_nl_batch_end(&p->nb, commit) < 0)
		goto oom;
	if (p->nb.render_err) {
		errno = p->nb.render_err;
		goto oom;
	}
	l3_live_sort(&p->want);
	p->table_changes = p->have.exists ? l3_live_diff(&p->have, &p->want, NULL)
					  : p->want.nlines + 1;
	if (l3_plan_aliases(p, cfg, diag) < 0)
		return diag->nerrors ? L3_INVALID : L3_REFUSED;
	return L3_OK;
oom:
	l3_error(diag, L3_NOPOS, "building the transaction: %s", strerror(errno));
	return L3_REFUSED;
}

static void l3_print_alias(FILE *out, char sign, const struct l3_alias *al, const char *why)
{
	char a[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE] = "?";

	inet_ntop(al->family, &al->a, a, sizeof(a));
	if_indextoname((unsigned)al->ifindex, ifname);
	fprintf(out, "%c address %s/%d dev %s%s\n", sign, a, al->plen, ifname, why);
}

/* What would change, in the diff format; returns the number of changes. */
static size_t l3_plan_print(const struct l3_plan *p, FILE *out)
{
	size_t i;

	if (!p->have.exists)
		fprintf(out, "+ table inet %s\n", p->ir->table);
	else
		l3_live_diff(&p->have, &p->want, out);
	for (i = 0; i < p->nadd; i++)
		l3_print_alias(out, '+', &p->add[i], "");
	for (i = 0; i < p->nstale; i++)
		l3_print_alias(out, '-', &p->stale[i], " (added by l3nft, no longer in the policy)");
	return p->table_changes + p->nadd + p->nstale;
}

static void l3_report_kernel(const struct l3_nl_error *errs, size_t n, struct l3_diag *diag)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct l3_nl_origin *o = errs[i].origin;

		if (o)
			l3_error(diag, o->pos, "the kernel refused %s: %s", o->what,
				 strerror(errs[i].err));
		else
			l3_error(diag, L3_NOPOS, "the kernel refused the transaction: %s",
				 strerror(errs[i].err));
	}
}

static enum l3_status l3_plan_send(struct l3_plan *p, struct l3_diag *diag)
{
	struct l3_nl_error errs[L3_APPLY_MAX_ERRORS];
	size_t nerrs = 0;

	if (l3_nl_send(p->nl, &p->nb, errs, L3_APPLY_MAX_ERRORS, &nerrs) == 0)
		return L3_OK;
	if (nerrs)
		l3_report_kernel(errs, nerrs, diag);
	else
		l3_error(diag, L3_NOPOS, "sending the transaction: %s", strerror(errno));
	return L3_REFUSED;
}

static void l3_alias_error(struct l3_diag *diag, const char *verb, const struct l3_alias *al)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(al->family, &al->a, a, sizeof(a));
	l3_error(diag, L3_NOPOS, "%s address %s/%d: %s", verb, a, al->plen, strerror(errno));
}

/* Adds the missing aliases; on failure takes back those it added. */
static enum l3_status l3_plan_add_aliases(struct l3_plan *p, size_t *added,
					  struct l3_diag *diag)
{
	for (*added = 0; *added < p->nadd; (*added)++) {
		if (l3_alias_add(&p->add[*added]) < 0) {
			l3_alias_error(diag, "adding", &p->add[*added]);
			return L3_REFUSED;
		}
	}
	return L3_OK;
}

static void l3_plan_undo_aliases(struct l3_plan *p, size_t added)
{
	while (added > 0)
		l3_alias_del(&p->add[--added]);
}

/* apply and delete in one network namespace take turns: the second waits
 * for the first, so neither reads a table the other is about to replace.
 * (Tables are per network namespace; so is the lock.) */
static int l3_apply_lock(struct l3_diag *diag)
{
	char path[4096], name[64];
	struct stat st;
	int fd;

	if (stat("/proc/self/ns/net", &st) < 0)
		st.st_ino = 0;
	snprintf(name, sizeof(name), "apply-%llu.lock", (unsigned long long)st.st_ino);
	if (mkdir(l3_rundir(), 0755) < 0 && errno != EEXIST)
		goto fail;
	if (!l3_runpath(path, sizeof(path), name)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			close(fd);
			goto fail;
		}
	}
	return fd;
fail:
	l3_error(diag, L3_NOPOS, "locking in %s: %s", l3_rundir(), strerror(errno));
	return -1;
}

enum l3_status l3_apply(struct l3_cfg *cfg, const struct l3_apply_opts *o,
			struct l3_diag *diag)
{
	struct l3_plan p = { 0 };
	enum l3_status st;
	size_t added = 0, i;
	int lock = l3_apply_lock(diag);

	if (lock < 0)
		return L3_REFUSED;
	st = l3_plan_make(&p, cfg, !o->dry_run, diag);
	if (st != L3_OK)
		goto out;
	if (o->verbose)
		fprintf(o->log, "kernel: %s\n", p.f.native_queue
			? "native nft queue"
			: "no native nft queue; queue rules use the xt NFQUEUE target (nft_compat)");
	if (p.table_changes == 0 && p.nadd == 0 && p.nstale == 0) {
		fprintf(o->log, "table inet %s is up to date; nothing changed\n", p.ir->table);
		goto out;
	}
	if (o->dry_run || o->verbose)
		l3_plan_print(&p, o->log);
	if (o->dry_run) {
		/* the kernel checks the whole transaction, then drops it */
		st = l3_plan_send(&p, diag);
		if (st == L3_OK)
			fprintf(o->log, "dry run: the kernel accepts it; nothing changed\n");
		goto out;
	}
	st = l3_plan_add_aliases(&p, &added, diag);
	if (st == L3_OK && p.table_changes)
		st = l3_plan_send(&p, diag);
	if (st != L3_OK) {
		l3_plan_undo_aliases(&p, added);
		goto out;
	}
	for (i = 0; i < p.nstale; i++)
		if (l3_alias_del(&p.stale[i]) < 0)
			l3_alias_error(diag, "removing", &p.stale[i]);
	fprintf(o->log, "applied table inet %s (%zu addresses added, %zu removed)\n",
		p.ir->table, p.nadd, p.nstale);
out:
	l3_plan_free(&p);
	close(lock);
	return st;
}

enum l3_status l3_diff(struct l3_cfg *cfg, const struct l3_apply_opts *o,
		       struct l3_diag *diag)
{
	struct l3_plan p = { 0 };
	enum l3_status st;

	st = l3_plan_make(&p, cfg, false, diag);
	if (st == L3_OK && l3_plan_print(&p, o->log) > 0)
		st = L3_INVALID;	/* "they differ" */
	else if (st != L3_OK)
		st = L3_REFUSED;	/* diff's errors are all 2 */
	l3_plan_free(&p);
	return st;
}

enum l3_status l3_delete(struct l3_cfg *cfg, const struct l3_apply_opts *o,
			 struct l3_diag *diag)
{
	struct l3_nl_error err;
	struct l3_aliases now = { 0 };
	struct l3_nl_batch nb;
	struct mnl_socket *nl;
	enum l3_status st = L3_OK;
	size_t nerr = 0, i, removed = 0;
	int lock = l3_apply_lock(diag);

	if (lock < 0)
		return L3_REFUSED;
	nl = l3_nl_open();
	if (!nl || l3_nl_batch_init(&nb, (uint32_t)time(NULL)) < 0) {
		l3_error(diag, L3_NOPOS, "nf_tables netlink: %s", strerror(errno));
		if (nl)
			mnl_socket_close(nl);
		close(lock);
		return L3_REFUSED;
	}
	if (l3_nl_emit_delete(&nb, cfg->table) < 0 || l3_nl_batch_end(&nb, !o->dry_run) < 0) {
		st = L3_REFUSED;
	} else if (l3_nl_send(nl, &nb, &err, 1, &nerr) < 0 && !(nerr && err.err == ENOENT)) {
		l3_error(diag, L3_NOPOS, "deleting table inet %s: %s", cfg->table, strerror(errno));
		st = L3_REFUSED;
	}
	l3_nl_batch_fini(&nb);
	mnl_socket_close(nl);
	if (st == L3_OK && l3_alias_dump(&now) < 0) {
		l3_error(diag, L3_NOPOS, "reading addresses: %s", strerror(errno));
		st = L3_REFUSED;
	}
	if (st != L3_OK) {
		close(lock);
		return st;
	}
	/* only the addresses l3nft added: a hand-added alias stays */
	for (i = 0; i < now.n; i++) {
		if (now.v[i].proto != L3_IFA_PROTO)
			continue;
		if (o->dry_run || o->verbose)
			l3_print_alias(o->log, '-', &now.v[i], "");
		if (!o->dry_run && l3_alias_del(&now.v[i]) < 0) {
			l3_alias_error(diag, "removing", &now.v[i]);
			st = L3_REFUSED;
		} else {
			removed++;
		}
	}
	l3_aliases_free(&now);
	close(lock);
	fprintf(o->log, "%s table inet %s and %zu addresses\n",
		o->dry_run ? "would delete" : "deleted", cfg->table, removed);
	return st;
}
