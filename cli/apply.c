/*
 * apply, diff and delete. apply: policy → IR (with cgroup ids) → one
 * netlink transaction; the kernel takes all of it or none of it, and on
 * refusal the old table stays as it was and each error is reported at the
 * policy line it came from. The transaction holds only the delta between
 * the live table, read back as apply runs, and the policy's (kernel/live.c),
 * unless the table is new or its shape changed: then the whole table.
 * Aliases are added first and taken back if the transaction fails, so a
 * failed apply leaves the host as it found it.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include "l3nft/cli/apply.h"
#include "l3nft/cli/change.h"
#include "l3nft/compiler/emit_nl.h"
#include "l3nft/compiler/ir.h"
#include "l3nft/kernel/alias.h"
#include "l3nft/kernel/cgroup.h"
#include "l3nft/kernel/ctl.h"
#include "l3nft/kernel/live.h"
#include "l3nft/kernel/nl_sock.h"
#include "l3nft/kernel/rundir.h"
#include "l3nft/kernel/sock_layer.h"

#define L3_APPLY_MAX_ERRORS 32

/* Everything apply, diff and dry runs compute before changing anything. */
struct l3_plan {
	struct mnl_socket *nl;
	struct l3_rt rt;		/* one rtnetlink socket for every address */
	struct l3_nl_features f;
	/* the facts the IR is built from (l3_ir_live) */
	uint32_t *ids;
	uint64_t *cgroup_ids;
	uint64_t *quarantine_ids;
	struct l3_ir_listener *listeners;
	size_t nlisteners;
	struct l3_ir *ir;
	struct l3_live have;		/* the table now */
	struct l3_live others;		/* the addresses other l3nft tables own */
	struct l3_live want;		/* the table the batch makes */
	struct l3_live_delta delta;	/* how they differ, object by object */
	bool replace;			/* the batch replaces the table wholesale */
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
	l3_rt_close(&p->rt);
	free(p->ids);
	free(p->cgroup_ids);
	free(p->quarantine_ids);
	free(p->listeners);
	l3_ir_free(p->ir);
	l3_live_free(&p->have);
	l3_live_free(&p->others);
	l3_live_free(&p->want);
	l3_live_delta_free(&p->delta);
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

/* A quarantine parent that does not exist has no id to put in the table:
 * cgroups made below it later are not quarantined until the next apply. */
static void l3_apply_warn_quarantine(const struct l3_ir *ir, struct l3_diag *diag)
{
	const struct l3_quarantine *const *q = ir->quarantine_missing.items;
	size_t i;

	for (i = 0; i < ir->quarantine_missing.len; i++)
		l3_warn(diag, q[i]->pos,
			"quarantine parent '%s' does not exist yet: what is made below it "
			"is not quarantined until the next apply (create it first)", q[i]->cgroup);
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

/* A table of l3nft 0.1, which did not record the addresses it added: its
 * owner is taken to own every address l3nft added (a sysadmin's table
 * replaced with --force owns none). */
static bool l3_table_legacy(const struct l3_live *lv)
{
	return lv->exists && l3_live_is_ours(lv) && !l3_live_owned_known(lv);
}

/* Whether the live table owns @al (added by l3nft for it). */
static bool l3_table_owns(const struct l3_live *lv, const struct l3_alias *al)
{
	return al->proto == L3_IFA_PROTO &&
	       (l3_table_legacy(lv) || l3_live_owns(lv, al->family, &al->a));
}

/* An address the host has already: the namespace's only when this table
 * added it, when l3nft added it for a table that is gone (no other l3nft
 * table owns it), or when the policy adopts it; never the host's own or
 * another table's (taking it would move the host's traffic on it, e.g. its
 * SSH, into the namespace). 0, or -1 with the reason in @diag. */
static int l3_plan_present(const struct l3_plan *p, const struct l3_ns *ns,
			   const struct l3_addr *a, const struct l3_alias *al, struct l3_diag *diag)
{
	char txt[INET6_ADDRSTRLEN], ifname[IF_NAMESIZE] = "?";

	if (a->adopt || l3_table_owns(&p->have, al))
		return 0;
	if (al->proto == L3_IFA_PROTO && !l3_live_owns(&p->others, a->family, &a->a))
		return 0;	/* left by a table that is gone: this one owns it now */
	inet_ntop(a->family, &a->a, txt, sizeof(txt));
	if_indextoname((unsigned)al->ifindex, ifname);
	if (al->proto == L3_IFA_PROTO)
		l3_error(diag, a->pos,
			 "address %s (dev %s) belongs to another l3nft table of this host: "
			 "namespace '%s' cannot take it", txt, ifname, ns->name);
	else
		l3_error(diag, a->pos,
			 "address %s is the host's (dev %s, not added by l3nft): giving it to "
			 "namespace '%s' would take the host's traffic on it; if that is meant, "
			 "write {address: %s/%d, adopt: true} (delete then leaves it)", txt,
			 ifname, ns->name, txt, a->plen);
	return -1;
}

/* A namespace's interface that does not exist: most often a typo ("eht0"),
 * sometimes an interface that comes later (a VPN, a VLAN made by networkd). */
static void l3_warn_no_interface(const struct l3_ns *ns, struct l3_diag *diag)
{
	struct if_nameindex *ifs = if_nameindex();
	const char *names[256], *s = NULL;
	size_t n = 0;

	while (ifs && ifs[n].if_name && n < L3_ARRAY_SIZE(names)) {
		names[n] = ifs[n].if_name;
		n++;
	}
	s = l3_diag_suggest(ns->ifname, names, n);
	l3_warn(diag, ns->ifname_pos, "interface '%s' does not exist yet%s%s%s: namespace '%s' "
		"has no addresses until it does (l3nftd adds them when it appears)", ns->ifname,
		s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "", ns->name);
	if (ifs)
		if_freenameindex(ifs);
}

/* The aliases of @ns to add. A missing interface is a warning: the table
 * is loaded, and l3nftd adds the addresses when the interface appears. */
static int l3_plan_ns_aliases(struct l3_plan *p, const struct l3_ns *ns, struct l3_diag *diag)
{
	unsigned ifindex = 0;
	bool warned = false;
	size_t j;

	for (j = 0; j < ns->naddrs; j++) {
		const struct l3_addr *a = &ns->addrs[j];
		const struct l3_alias *now = l3_alias_find(&p->now, a->family, &a->a);
		struct l3_alias al = { .family = a->family, .plen = a->plen,
				       .proto = L3_IFA_PROTO };

		if (now) {
			l3_plan_present(p, ns, a, now, diag);
			continue;
		}
		if (a->adopt) {
			l3_warn(diag, a->pos, "adopted address is not on the host: l3nft does not "
				"add adopted addresses; namespace '%s' has it once the host does",
				ns->name);
			continue;
		}
		if (!ns->ifname) {
			l3_error(diag, a->pos,
				 "address is on no interface and namespace '%s' names no "
				 "'interface' to add it to", ns->name);
			continue;
		}
		if (!ifindex && !(ifindex = if_nametoindex(ns->ifname))) {
			if (!warned)
				l3_warn_no_interface(ns, diag);
			warned = true;
			continue;
		}
		al.ifindex = (int)ifindex;
		memcpy(&al.a, &a->a, sizeof(al.a));
		if (l3_plan_push(&p->add, &p->nadd, &al) < 0)
			return -1;
	}
	return 0;
}

/* Whether @al is an address this table added and the policy no longer
 * has: only those are removed (l3nft 0.1's tables did not record theirs:
 * then every address l3nft added and the policy lacks). */
static bool l3_plan_is_stale(const struct l3_plan *p, const struct l3_alias *al,
			     const struct l3_addr **index, size_t nindex)
{
	return l3_table_owns(&p->have, al) && !l3_index_has(index, nindex, al);
}

/* Which aliases to add (missing), and which of ours to remove (stale). */
static int l3_plan_aliases(struct l3_plan *p, const struct l3_cfg *cfg, struct l3_diag *diag)
{
	const struct l3_addr **index;
	size_t i, nindex, errors = diag->nerrors;

	if (l3_alias_dump(&p->rt, &p->now) < 0) {
		l3_error(diag, L3_NOPOS, "reading addresses: %s", l3_nl_strerror(errno));
		return -1;
	}
	for (i = 0; i < cfg->nns; i++)
		if (l3_plan_ns_aliases(p, &cfg->ns[i], diag) < 0)
			return -1;
	index = l3_cfg_addr_index(cfg, &nindex);
	if (!index)
		return -1;
	for (i = 0; i < p->now.n; i++)
		if (l3_plan_is_stale(p, &p->now.v[i], index, nindex) &&
		    l3_plan_push(&p->stale, &p->nstale, &p->now.v[i]) < 0) {
			free(index);
			return -1;
		}
	free(index);
	return diag->nerrors == errors ? 0 : -1;
}

/* What the running system adds to the policy: the ids the live table
 * gives namespaces without an explicit one, the cgroups' ids, and the
 * listeners l3nftd registered; counters are read from p->have. */
static int l3_plan_facts(struct l3_plan *p, const struct l3_cfg *cfg, const char *mount)
{
	p->ids = calloc(cfg->nns + 1, sizeof(*p->ids));
	p->cgroup_ids = calloc(cfg->nns + 1, sizeof(*p->cgroup_ids));
	p->quarantine_ids = calloc(cfg->nquarantine + 1, sizeof(*p->quarantine_ids));
	if (!p->ids || !p->cgroup_ids || !p->quarantine_ids || l3_live_ids(&p->have, cfg, p->ids) < 0 ||
	    l3_live_listeners(&p->have, &p->listeners, &p->nlisteners) < 0)
		return -1;
	l3_cgroup_ids(mount, cfg, p->cgroup_ids);
	l3_cgroup_quarantine_ids(mount, cfg, p->quarantine_ids);
	return 0;
}

/*
 * A table of the policy's name that l3nft did not make (a sysadmin's
 * `inet filter`) is neither replaced nor deleted unless forced; forced,
 * what is lost is said. 0, or -1 with the reason in @diag.
 */
static int l3_table_claim(const struct l3_live *have, const char *table, bool force,
			  FILE *log, struct l3_diag *diag)
{
	char what[160];

	if (l3_live_is_ours(have))
		return 0;
	l3_live_summary(have, what, sizeof(what));
	if (!force) {
		l3_error(diag, L3_NOPOS,
			 "table inet %s exists and was not made by l3nft (%s%s%s): l3nft "
			 "leaves it alone; name another table with 'table:', or use --force "
			 "to replace it, losing all of it", table, what,
			 have->comment[0] ? "; comment: " : "", have->comment);
		return -1;
	}
	fprintf(log, "--force: table inet %s was not made by l3nft; all it holds is lost (%s)\n",
		table, what);
	return 0;
}

/* Named objects of the IR sorted by name, to find thousands in log time. */
struct l3_names {
	const void **v;
	size_t n;
};

static int l3_names_cmp(const void *a, const void *b)
{
	/* chains and counters both start with their name */
	return strcmp(**(const char *const *const *)a, **(const char *const *const *)b);
}

static const void *l3_names_find(const struct l3_names *ix, const char *name)
{
	const char *const key = name, *const *kp = &key;
	const void *const *hit;

	hit = ix->n ? bsearch(&kp, ix->v, ix->n, sizeof(*ix->v), l3_names_cmp) : NULL;
	return hit ? *hit : NULL;
}

static int l3_names_chains(struct l3_names *ix, const struct l3_ir *ir)
{
	size_t i;

	ix->n = ir->chains.len;
	ix->v = calloc(ix->n + 1, sizeof(*ix->v));
	if (!ix->v)
		return -1;
	for (i = 0; i < ix->n; i++)
		ix->v[i] = L3_IR_CHAIN(ir, i);
	if (ix->n)
		qsort(ix->v, ix->n, sizeof(*ix->v), l3_names_cmp);
	return 0;
}

static int l3_names_counters(struct l3_names *ix, const struct l3_ir *ir)
{
	const struct l3_ir_counter *c = ir->counters.items;
	size_t i;

	ix->n = ir->counters.len;
	ix->v = calloc(ix->n + 1, sizeof(*ix->v));
	if (!ix->v)
		return -1;
	for (i = 0; i < ix->n; i++)
		ix->v[i] = &c[i];
	if (ix->n)
		qsort(ix->v, ix->n, sizeof(*ix->v), l3_names_cmp);
	return 0;
}

/* Deletions of the delta: elements first (they hold references to the
 * chains and counters that go), then rules of chains refilled, chains,
 * counters. */
static int l3_plan_emit_dels(struct l3_plan *p, const struct l3_names *chains)
{
	struct l3_live_delta *d = &p->delta;
	const char *table = p->ir->table;
	char name[64];
	size_t i;

	if (l3_live_emit_elems(d, &p->nb, table, &d->elems_del, false) < 0)
		return -1;
	for (i = 0; i < d->flush.n; i++) {
		const struct l3_ir_chain *c = l3_names_find(chains, l3_live_line_name(d->flush.v[i],
									       name, sizeof(name)));

		if (!c || l3_nl_emit_del(&p->nb, table, L3_NL_FLUSH_CHAIN, c->name, c->pos) < 0)
			return -1;
	}
	for (i = 0; i < d->chains_del.n; i++)
		if (l3_nl_emit_del(&p->nb, table, L3_NL_DEL_CHAIN, d->chains_del.v[i] + 6,
				   L3_NOPOS) < 0)
			return -1;
	for (i = 0; i < d->ctrs_del.n; i++)
		if (l3_nl_emit_del(&p->nb, table, L3_NL_DEL_COUNTER, d->ctrs_del.v[i] + 8,
				   L3_NOPOS) < 0)
			return -1;
	return 0;
}

/* Additions: counters, chains (all before any rule: rules may jump to
 * them), the rules of new and refilled chains, then elements (verdict
 * maps jump to chains, counter maps name counters). */
static int l3_plan_emit_adds(struct l3_plan *p, const struct l3_names *chains,
			     const struct l3_names *ctrs)
{
	struct l3_live_delta *d = &p->delta;
	const struct l3_ir_chain *c;
	const struct l3_ir_counter *k;
	char name[64];
	size_t i;

	for (i = 0; i < d->ctrs_add.n; i++)
		if (!(k = l3_names_find(ctrs, d->ctrs_add.v[i] + 8)) ||
		    l3_nl_emit_counter(&p->nb, p->ir, k) < 0)
			return -1;
	for (i = 0; i < d->chains_add.n; i++)
		if (!(c = l3_names_find(chains, d->chains_add.v[i] + 6)) ||
		    l3_nl_emit_chain(&p->nb, p->ir, c, true, false, &p->f) < 0)
			return -1;
	for (i = 0; i < d->chains_add.n; i++)
		if (!(c = l3_names_find(chains, d->chains_add.v[i] + 6)) ||
		    l3_nl_emit_chain(&p->nb, p->ir, c, false, true, &p->f) < 0)
			return -1;
	for (i = 0; i < d->flush.n; i++)
		if (!(c = l3_names_find(chains, l3_live_line_name(d->flush.v[i], name,
								   sizeof(name)))) ||
		    l3_nl_emit_chain(&p->nb, p->ir, c, false, true, &p->f) < 0)
			return -1;
	return l3_live_emit_elems(d, &p->nb, p->ir->table, &d->elems_add, true);
}

/* The incremental transaction: only what the delta names. A name the IR
 * lacks is a bug; EINVAL then, never a partial batch. */
static int l3_plan_emit_delta(struct l3_plan *p)
{
	struct l3_names chains = { 0 }, ctrs = { 0 };
	int rc = -1;

	if (l3_names_chains(&chains, p->ir) == 0 && l3_names_counters(&ctrs, p->ir) == 0) {
		errno = EINVAL;
		rc = l3_plan_emit_dels(p, &chains) < 0 || l3_plan_emit_adds(p, &chains, &ctrs) < 0
		     ? -1 : 0;
	}
	free(chains.v);
	free(ctrs.v);
	return rc;
}

/*
 * The transaction: against the live table read just now (never a cache),
 * only the delta when the table is l3nft's and keeps its shape; the whole
 * table when it is new, not l3nft's (forced) or its shape changed.
 */
static int l3_plan_batch(struct l3_plan *p, bool commit)
{
	bool ours = p->have.exists && !strcmp(p->have.comment, L3_IR_TABLE_COMMENT);

	/* the canonical lines are only compared with a live table: without
	 * one, reading back and sorting every element is wasted */
	if (p->have.exists && (l3_live_render(&p->want, p->ir, &p->f) < 0 ||
			       l3_live_delta(&p->have, &p->want, &p->delta) < 0))
		return -1;
	if (!p->have.exists) {
		p->delta.replace = true;
		snprintf(p->delta.why, sizeof(p->delta.why), "there is no table yet");
	} else if (!ours && !p->delta.replace) {
		p->delta.replace = true;
		snprintf(p->delta.why, sizeof(p->delta.why), "the table was not made by this l3nft");
	}
	p->replace = p->delta.replace;
	p->table_changes = p->have.exists ? l3_live_diff(&p->have, &p->want, NULL)
					  : p->want.nlines + 1;
	if (l3_nl_batch_init(&p->nb, (uint32_t)time(NULL)) < 0)
		return -1;
	p->batch_ok = true;
	if (p->table_changes == 0)
		return l3_nl_batch_end(&p->nb, commit);
	if ((p->replace ? l3_nl_emit_table(&p->nb, p->ir, &p->f) : l3_plan_emit_delta(p)) < 0)
		return -1;
	return l3_nl_batch_end(&p->nb, commit);
}

/* Builds the plan; 0, or an l3_status with the reason in @diag. */
static enum l3_status l3_plan_make(struct l3_plan *p, const struct l3_cfg *cfg,
				   const struct l3_apply_opts *o, bool commit,
				   struct l3_diag *diag)
{
	struct l3_cgroup_mount mnt;
	struct l3_ir_opts iro = { 0 };
	struct l3_ir_live live = { 0 };

	if (l3_cgroup_find_mount(NULL, &mnt) < 0) {
		l3_error(diag, L3_NOPOS, "no cgroup2 file system is mounted (see /proc/self/mountinfo)");
		return L3_REFUSED;
	}
	p->nl = l3_nl_open();
	if (!p->nl || l3_nl_probe(p->nl, &p->f) < 0 ||
	    (o->verbose ? l3_live_read_rules : l3_live_read)(p->nl, cfg->table, &p->have) < 0 ||
	    l3_live_read_owned(p->nl, cfg->table, &p->others) < 0) {
		l3_error(diag, L3_NOPOS, "nf_tables netlink: %s", l3_nl_strerror(errno));
		return L3_REFUSED;
	}
	if (l3_table_claim(&p->have, cfg->table, o->force, o->log, diag) < 0)
		return L3_REFUSED;
	if (l3_cgroup_quarantine_check(mnt.path, cfg, diag) < 0) {
		if (!diag->nerrors)
			l3_error(diag, L3_NOPOS, "reading the quarantine parents: %s",
				 strerror(errno));
		return L3_REFUSED;
	}
	if (l3_plan_facts(p, cfg, mnt.path) < 0)
		goto oom;
	live.ids = p->ids;
	live.cgroup_ids = p->cgroup_ids;
	live.quarantine_ids = p->quarantine_ids;
	live.counters = p->have.ctrs;
	live.ncounters = p->have.nctrs;
	live.listeners = p->listeners;
	live.nlisteners = p->nlisteners;
	iro.cgroup_mount = mnt.path;
	iro.cgroup_root_level = mnt.root_level;
	iro.live = &live;
	p->ir = l3_ir_build(cfg, &iro);
	if (!p->ir) {
		l3_error(diag, L3_NOPOS, "building the table: %s", strerror(errno));
		return errno == E2BIG ? L3_INVALID : L3_REFUSED;
	}
	l3_apply_warn_missing(p->ir, diag);
	l3_apply_warn_quarantine(p->ir, diag);
	if (l3_plan_batch(p, commit) < 0)
		goto oom;
	if (l3_rt_open(&p->rt) < 0) {
		l3_error(diag, L3_NOPOS, "rtnetlink: %s", l3_nl_strerror(errno));
		return L3_REFUSED;
	}
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

static void l3_plan_change(const struct l3_plan *p, const struct l3_cfg *cfg,
			   struct l3_change_in *in)
{
	memset(in, 0, sizeof(*in));
	in->cfg = cfg;
	in->ir = p->ir;
	in->have = &p->have;
	in->want = &p->want;
	in->delta = &p->delta;
	in->now = &p->now;
	in->add = p->add;
	in->nadd = p->nadd;
	in->stale = p->stale;
	in->nstale = p->nstale;
	in->table_changes = p->table_changes;
}

/* What would change, in policy terms (see change.h); returns the number
 * of changes. */
static size_t l3_plan_print(const struct l3_plan *p, const struct l3_cfg *cfg, bool verbose,
			    FILE *out)
{
	struct l3_change_in in;

	l3_plan_change(p, cfg, &in);
	return l3_change_print(&in, verbose, out);
}

/* The change as one JSON line on stdout. 0, or -1 when it could not be
 * written. */
static int l3_plan_json(const struct l3_plan *p, const struct l3_cfg *cfg, bool applied)
{
	struct l3_change_in in;
	json_t *doc;
	int rc;

	l3_plan_change(p, cfg, &in);
	doc = l3_change_json(&in, applied);
	rc = doc && json_dumpf(doc, stdout, JSON_COMPACT) == 0 && fputc('\n', stdout) != EOF
	     ? 0 : -1;
	json_decref(doc);
	return rc;
}

static void l3_report_kernel(const struct l3_nl_error *errs, size_t n, struct l3_diag *diag)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct l3_nl_origin *o = errs[i].origin;

		if (o)
			l3_error(diag, o->pos, "the kernel refused %s: %s", o->what,
				 l3_nl_strerror(errs[i].err));
		else
			l3_error(diag, L3_NOPOS, "the kernel refused the transaction: %s",
				 l3_nl_strerror(errs[i].err));
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
		l3_error(diag, L3_NOPOS, "sending the transaction: %s", l3_nl_strerror(errno));
	return L3_REFUSED;
}

static void l3_alias_error(struct l3_diag *diag, const char *verb, const struct l3_alias *al)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(al->family, &al->a, a, sizeof(a));
	l3_error(diag, L3_NOPOS, "%s address %s/%d: %s", verb, a, al->plen, l3_nl_strerror(errno));
}

/* Adds the missing aliases; on failure takes back those it added. */
/* Progress of a long step on a terminal: a line rewritten in place, at
 * most every 100 ms (20,000 addresses take the kernel over a minute). */
struct l3_progress {
	bool on;
	const char *what;
	size_t total;
	struct timespec start, last;
};

static double l3_secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void l3_progress_start(struct l3_progress *pg, bool on, const char *what, size_t total)
{
	pg->on = on && total > 0;
	pg->what = what;
	pg->total = total;
	clock_gettime(CLOCK_MONOTONIC, &pg->start);
	pg->last = pg->start;
}

static void l3_progress_step(struct l3_progress *pg, size_t done)
{
	struct timespec now;

	if (!pg->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (done < pg->total && l3_secs(&pg->last, &now) < 0.1)
		return;
	pg->last = now;
	fprintf(stderr, "\r%s %zu/%zu (%.1fs)%s", pg->what, done, pg->total,
		l3_secs(&pg->start, &now), done == pg->total ? "\n" : "");
}

/* Adds the missing aliases; on failure takes back those it added. */
static enum l3_status l3_plan_add_aliases(struct l3_plan *p, bool progress, size_t *added,
					  struct l3_diag *diag)
{
	struct l3_progress pg;

	l3_progress_start(&pg, progress, "adding addresses", p->nadd);
	for (*added = 0; *added < p->nadd; (*added)++) {
		if (l3_alias_add(&p->rt, &p->add[*added]) < 0) {
			if (pg.on)
				fputc('\n', stderr);
			l3_alias_error(diag, "adding", &p->add[*added]);
			return L3_REFUSED;
		}
		l3_progress_step(&pg, *added + 1);
	}
	return L3_OK;
}

static void l3_plan_undo_aliases(struct l3_plan *p, size_t added)
{
	while (added > 0)
		l3_alias_del(&p->rt, &p->add[--added]);
}

/* apply and delete in one network namespace take turns (see rundir.h). */
static int l3_apply_lock(struct l3_diag *diag)
{
	int fd = l3_rundir_lock();

	if (fd < 0)
		l3_error(diag, L3_NOPOS, "locking in %s: %s", l3_rundir(), l3_nl_strerror(errno));
	return fd;
}

/* The table transaction, timed on a terminal when it is big. */
static enum l3_status l3_plan_load(struct l3_plan *p, bool progress, struct l3_diag *diag)
{
	struct timespec t0, t1;
	enum l3_status st;

	progress = progress && p->table_changes > 10000;
	if (progress)
		fprintf(stderr, "loading table inet %s (%s)...", p->ir->table,
			p->replace ? "whole" : "changes only");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	st = l3_plan_send(p, diag);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (progress)
		fprintf(stderr, " %s (%.1fs)\n", st == L3_OK ? "done" : "refused", l3_secs(&t0, &t1));
	return st;
}

/* Aliases, then the table; the aliases go back if the table is refused. */
static enum l3_status l3_plan_commit(struct l3_plan *p, const struct l3_apply_opts *o,
				     struct l3_diag *diag)
{
	enum l3_status st;
	size_t added = 0, i;

	st = l3_plan_add_aliases(p, o->progress, &added, diag);
	if (st == L3_OK && p->table_changes)
		st = l3_plan_load(p, o->progress, diag);
	if (st != L3_OK) {
		l3_plan_undo_aliases(p, added);
		return st;
	}
	for (i = 0; i < p->nstale; i++)
		if (l3_alias_del(&p->rt, &p->stale[i]) < 0)
			l3_alias_error(diag, "removing", &p->stale[i]);
	fprintf(o->log, "applied table inet %s (%s; %zu addresses added, %zu removed)\n",
		p->ir->table, !p->table_changes ? "table unchanged"
			      : p->replace ? "table replaced whole" : "changes only",
		p->nadd, p->nstale);
	return L3_OK;
}

/* A running l3nftd re-reads the table just replaced and fixes its cgroup
 * ids (ctl.h "resync"); asked after the lock is released, as l3nftd takes
 * it. No daemon (no socket, or nobody behind it) is not worth a word. */
static void l3_apply_tell_daemon(FILE *log)
{
	struct l3_ctl_req req = { .verb = L3_CTL_RESYNC };
	char path[108], err[256] = "";
	struct stat sb;
	int rc;

	if (!l3_runpath(path, sizeof(path), L3_CONTROL_NAME) || stat(path, &sb) < 0 ||
	    !S_ISSOCK(sb.st_mode))
		return;
	rc = l3_ctl_request(&req, log, err, sizeof(err));
	if (rc == 0 || (rc < 0 && (errno == ECONNREFUSED || errno == ENOENT)))
		return;
	fprintf(log, "note: l3nftd was not told of the new table (%s); it re-checks the "
		     "cgroup ids within 5 s\n", err);
}

enum l3_status l3_apply(const struct l3_cfg *cfg, const struct l3_apply_opts *o,
			struct l3_diag *diag)
{
	struct l3_plan p = { 0 };
	enum l3_status st;
	bool changed;
	int lock = l3_apply_lock(diag);
	bool planned;

	if (lock < 0)
		return L3_REFUSED;
	st = l3_plan_make(&p, cfg, o, !o->dry_run, diag);
	planned = st == L3_OK;
	if (st != L3_OK)
		goto out;
	if (o->verbose)
		fprintf(o->log, "kernel: %s\n", p.f.native_queue
			? "native nft queue"
			: "no native nft queue; queue rules use the xt NFQUEUE target (nft_compat)");
	changed = p.table_changes || p.nadd || p.nstale;
	if (!changed)
		fprintf(o->log, "table inet %s is up to date; nothing changed\n", p.ir->table);
	else if ((o->dry_run || o->verbose) && l3_plan_print(&p, cfg, o->verbose, o->log) == SIZE_MAX)
		st = L3_REFUSED;
	if (changed && o->dry_run && st == L3_OK) {
		/* the kernel checks the whole transaction, then drops it */
		st = l3_plan_send(&p, diag);
		if (st == L3_OK)
			fprintf(o->log, "dry run: the kernel accepts it; nothing changed\n");
	} else if (changed && st == L3_OK) {
		st = l3_plan_commit(&p, o, diag);
	}
	/* the socket layer (kernel/sock_layer.c), once the table holds */
	if (st == L3_OK && !o->dry_run &&
	    l3_sock_layer_apply(p.ir, p.cgroup_ids, o->log, diag) < 0)
		st = L3_REFUSED;
	/* refused too: "applied": false says the table is as it was */
	if (o->json && planned && l3_plan_json(&p, cfg, st == L3_OK && !o->dry_run) < 0)
		st = L3_REFUSED;
out:
	l3_plan_free(&p);
	close(lock);
	if (st == L3_OK && !o->dry_run)
		l3_apply_tell_daemon(o->log);
	return st;
}

enum l3_status l3_diff(const struct l3_cfg *cfg, const struct l3_apply_opts *o,
		       struct l3_diag *diag)
{
	struct l3_plan p = { 0 };
	enum l3_status st;
	size_t n = 0;

	st = l3_plan_make(&p, cfg, o, false, diag);
	if (st == L3_OK && o->json)
		n = l3_plan_json(&p, cfg, false) < 0 ? SIZE_MAX
		    : p.table_changes + p.nadd + p.nstale;
	else if (st == L3_OK)
		n = l3_plan_print(&p, cfg, o->verbose, o->log);
	if (st != L3_OK || n == SIZE_MAX)
		st = L3_REFUSED;	/* diff's errors are all 2 */
	else if (n > 0)
		st = L3_INVALID;	/* "they differ" */
	l3_plan_free(&p);
	return st;
}

/* Whether delete removes @al: an address l3nft added that this table owns.
 * l3nft 0.1's tables did not record theirs: then the policy's own (never
 * an adopted one). Without the table, none is known to be its own. */
static bool l3_delete_owns(const struct l3_live *have, const struct l3_alias *al,
			   const struct l3_addr **index, size_t nindex)
{
	const struct l3_addr *a;
	struct l3_addr key = { .family = al->family };
	const struct l3_addr *kp = &key, *const *hit;

	if (!l3_table_owns(have, al))
		return false;
	if (!l3_table_legacy(have))
		return true;
	memcpy(&key.a, &al->a, sizeof(key.a));
	hit = nindex ? bsearch(&kp, index, nindex, sizeof(*index), l3_addr_ref_cmp) : NULL;
	a = hit ? *hit : NULL;
	return a && !a->adopt;
}

/* The table goes in one transaction; ENOENT (no table) is not an error. */
static enum l3_status l3_delete_table(struct mnl_socket *nl, const char *table, bool commit,
				      struct l3_diag *diag)
{
	struct l3_nl_error err;
	struct l3_nl_batch nb;
	enum l3_status st = L3_OK;
	size_t nerr = 0;

	if (l3_nl_batch_init(&nb, (uint32_t)time(NULL)) < 0 ||
	    l3_nl_emit_delete(&nb, table) < 0 || l3_nl_batch_end(&nb, commit) < 0) {
		l3_error(diag, L3_NOPOS, "building the transaction: %s", strerror(errno));
		st = L3_REFUSED;
	} else if (l3_nl_send(nl, &nb, &err, 1, &nerr) < 0 && !(nerr && err.err == ENOENT)) {
		l3_error(diag, L3_NOPOS, "deleting table inet %s: %s", table, l3_nl_strerror(errno));
		st = L3_REFUSED;
	}
	l3_nl_batch_fini(&nb);
	return st;
}

/* Removes the addresses the table owns; a hand-added or adopted one stays. */
static enum l3_status l3_delete_aliases(const struct l3_cfg *cfg, const struct l3_live *have,
					const struct l3_apply_opts *o, size_t *removed,
					struct l3_diag *diag)
{
	struct l3_aliases now = { 0 };
	struct l3_rt rt = { 0 };
	const struct l3_addr **index = NULL;
	enum l3_status st = L3_OK;
	size_t i, nindex = 0;

	if (l3_rt_open(&rt) < 0 || l3_alias_dump(&rt, &now) < 0 ||
	    !(index = l3_cfg_addr_index(cfg, &nindex))) {
		l3_error(diag, L3_NOPOS, "reading addresses: %s", l3_nl_strerror(errno));
		st = L3_REFUSED;
	}
	for (i = 0; st == L3_OK && i < now.n; i++) {
		if (!l3_delete_owns(have, &now.v[i], index, nindex))
			continue;
		if (o->dry_run || o->verbose)
			l3_print_alias(o->log, '-', &now.v[i], "");
		if (!o->dry_run && l3_alias_del(&rt, &now.v[i]) < 0) {
			l3_alias_error(diag, "removing", &now.v[i]);
			st = L3_REFUSED;
		} else {
			(*removed)++;
		}
	}
	free(index);
	l3_aliases_free(&now);
	l3_rt_close(&rt);
	return st;
}

enum l3_status l3_delete(const struct l3_cfg *cfg, const struct l3_apply_opts *o,
			 struct l3_diag *diag)
{
	struct l3_live have = { 0 };
	struct mnl_socket *nl;
	enum l3_status st;
	size_t removed = 0;
	bool sock_layer = false;
	int lock = l3_apply_lock(diag);

	if (lock < 0)
		return L3_REFUSED;
	nl = l3_nl_open();
	if (!nl || l3_live_read(nl, cfg->table, &have) < 0) {
		l3_error(diag, L3_NOPOS, "nf_tables netlink: %s", l3_nl_strerror(errno));
		st = L3_REFUSED;
	} else if (l3_table_claim(&have, cfg->table, o->force, o->log, diag) < 0) {
		st = L3_REFUSED;
	} else {
		st = l3_delete_table(nl, cfg->table, !o->dry_run, diag);
	}
	if (st == L3_OK)
		st = l3_delete_aliases(cfg, &have, o, &removed, diag);
	/* the socket layer (kernel/sock_layer.c): programs, links, maps, pins */
	if (st == L3_OK && l3_sock_layer_delete(o->dry_run, &sock_layer, diag) < 0)
		st = L3_REFUSED;
	else if (st == L3_OK && sock_layer)
		fprintf(o->log, "%s the socket layer\n", o->dry_run ? "would remove" : "removed");
	if (nl)
		mnl_socket_close(nl);
	l3_live_free(&have);
	close(lock);
	if (st == L3_OK)
		fprintf(o->log, "%s table inet %s and %zu addresses\n",
			o->dry_run ? "would delete" : "deleted", cfg->table, removed);
	return st;
}
