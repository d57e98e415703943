/*
 * The listener registry: static registrations from the policy, dynamic
 * ones from `l3nft listen`. Kept in step with three things outside: the
 * kernel's listen4/listen6 sets (so unregistered traffic never reaches
 * the daemon), the host's multicast memberships (a group reaches input
 * only once a socket joined it on that interface), and a file in the
 * runtime directory (dynamic registrations survive a restart).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>
#include "l3nft/kernel/rundir.h"
#include "l3nftd.h"

#define L3D_REG_NAME "registrations"

struct l3d_group {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} a;
	unsigned ifindex;
	int fd;			/* the socket holding the membership */
};

/* ---- destinations of a registration ---- */

int l3d_dest_cmp(const void *a, const void *b)
{
	const struct l3d_dest *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	return memcmp(&x->a, &y->a, x->family == AF_INET ? 4 : 16);
}

/* The datagram destinations @r covers: the group, or for broadcast
 * 255.255.255.255 and the subnet broadcast of each IPv4 address. @out
 * holds l3d_reg_ndests(ns) entries. */
static size_t l3d_reg_dests(const struct l3_ns *ns, const struct l3d_reg *r,
			    struct l3d_dest *out)
{
	size_t n = 0, i;

	memset(out, 0, sizeof(*out));
	if (r->spec.kind == L3_LISTEN_GROUP) {
		out[0].family = r->spec.family;
		memcpy(&out[0].a, &r->spec.group, sizeof(out[0].a));
		out[0].port = r->spec.port;
		return 1;
	}
	out[n].family = AF_INET;
	out[n].a.v4.s_addr = htonl(INADDR_BROADCAST);
	out[n++].port = r->spec.port;
	for (i = 0; i < ns->naddrs; i++) {
		memset(&out[n], 0, sizeof(out[n]));
		if (!l3_addr_broadcast(&ns->addrs[i], &out[n].a.v4))
			continue;
		out[n].family = AF_INET;
		out[n++].port = r->spec.port;
	}
	return n;
}

/* The most destinations a registration of @ns can have. */
static size_t l3d_reg_ndests(const struct l3_ns *ns)
{
	return ns->naddrs + 1;
}

/* ---- the index: destination -> namespaces ---- */

static int l3d_route_cmp(const void *a, const void *b)
{
	const struct l3d_route *x = a, *y = b;
	int r = l3d_dest_cmp(&x->dst, &y->dst);

	if (r)
		return r;
	return x->ns < y->ns ? -1 : x->ns > y->ns;
}

static int l3d_route_push(struct l3d_registry *g, const struct l3d_dest *x,
			  const struct l3_ns *ns, size_t *cap)
{
	if (g->nroutes == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		void *p = realloc(g->routes, c * sizeof(*g->routes));

		if (!p)
			return -1;
		g->routes = p;
		*cap = c;
	}
	g->routes[g->nroutes].dst = *x;
	g->routes[g->nroutes++].ns = ns;
	return 0;
}

/* Every (destination, namespace) pair once, sorted: a datagram's
 * namespaces are then one binary search away, however many there are. */
static int l3d_index_build(struct l3d *d)
{
	struct l3d_registry *g = &d->reg;
	size_t cap = 0, i, j, nd, u;
	struct l3d_dest *ds;

	free(g->routes);
	g->routes = NULL;
	g->nroutes = 0;
	for (i = 0; i < g->n; i++) {
		const struct l3_ns *ns = g->v[i].ns;

		if (!ns || !(ds = calloc(l3d_reg_ndests(ns), sizeof(*ds))))
			continue;
		nd = l3d_reg_dests(ns, &g->v[i], ds);
		for (j = 0; j < nd; j++)
			if (l3d_route_push(g, &ds[j], ns, &cap) < 0)
				break;
		free(ds);
	}
	if (g->nroutes > 1)
		qsort(g->routes, g->nroutes, sizeof(*g->routes), l3d_route_cmp);
	for (i = u = 0; i < g->nroutes; i++)
		if (u == 0 || l3d_route_cmp(&g->routes[u - 1], &g->routes[i]))
			g->routes[u++] = g->routes[i];
	g->nroutes = u;
	g->index_ok = true;
	return 0;
}

const struct l3d_route *l3d_reg_match(struct l3d *d, const struct l3d_dest *dst, size_t *n)
{
	const struct l3d_registry *g = &d->reg;
	size_t lo = 0, hi, end;

	if (!g->index_ok)
		l3d_index_build(d);
	hi = g->nroutes;
	while (lo < hi) {	/* the first route for @dst */
		size_t mid = lo + (hi - lo) / 2;

		if (l3d_dest_cmp(&g->routes[mid].dst, dst) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < g->nroutes && !l3d_dest_cmp(&g->routes[end].dst, dst); end++)
		;
	*n = end - lo;
	return g->routes ? &g->routes[lo] : NULL;
}

/* ---- add, remove ---- */

static ssize_t l3d_reg_find(const struct l3d *d, const char *name, const struct l3_listen *s)
{
	size_t i;

	for (i = 0; i < d->reg.n; i++) {
		const struct l3d_reg *r = &d->reg.v[i];

		if (!strcmp(r->name, name) && r->spec.kind == s->kind && r->spec.port == s->port &&
		    r->spec.family == s->family && !memcmp(&r->spec.group, &s->group, sizeof(s->group)))
			return (ssize_t)i;
	}
	return -1;
}

/* How many run-time registrations namespace @ns has. */
static size_t l3d_reg_count(const struct l3d *d, const struct l3_ns *ns)
{
	size_t i, n = 0;

	for (i = 0; i < d->reg.n; i++)
		n += d->reg.v[i].dynamic && d->reg.v[i].ns == ns;
	return n;
}

/* Run-time registrations answer to the administrator's allow-list and
 * quota, whoever asks and also when read back from the saved file. */
static const char *l3d_reg_admit(const struct l3d *d, const struct l3_ns *ns,
				 const struct l3_listen *spec)
{
	if (!l3_cfg_ns_allows(ns, spec))
		return spec->kind == L3_LISTEN_BROADCAST && !ns->has_allows
			       ? "not allowed: broadcast ports below 1024 are the host's "
				 "(the policy's allow_listen may grant them)"
			       : "not allowed by the namespace's allow_listen in the policy";
	if (l3d_reg_count(d, ns) >= ns->max_registrations)
		return "quota reached: the namespace has max_registrations run-time "
		       "registrations already";
	return NULL;
}

int l3d_reg_add(struct l3d *d, const char *name, const struct l3_listen *spec, bool dynamic,
		const char **why)
{
	const struct l3_ns *ns = l3_cfg_find_ns(d->cfg, name);
	struct l3d_reg *r;

	if (!ns) {
		*why = "no such namespace in the policy";
		return -1;
	}
	if (!l3_cfg_ns_source(ns, spec->family)) {
		*why = spec->family == AF_INET ? "the namespace has no IPv4 address"
					       : "the namespace has no IPv6 address";
		return -1;
	}
	if (l3d_reg_find(d, name, spec) >= 0) {
		*why = "already registered";
		return -1;
	}
	if (dynamic && (*why = l3d_reg_admit(d, ns, spec)))
		return -1;
	if (d->reg.n == d->reg.cap) {
		size_t cap = d->reg.cap ? d->reg.cap * 2 : 64;
		void *p = realloc(d->reg.v, cap * sizeof(*d->reg.v));

		if (!p) {
			*why = "out of memory";
			return -1;
		}
		d->reg.v = p;
		d->reg.cap = cap;
	}
	r = &d->reg.v[d->reg.n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->spec = *spec;
	r->dynamic = dynamic;
	r->ns = ns;
	d->reg.index_ok = false;
	return 0;
}

int l3d_reg_del(struct l3d *d, const char *name, const struct l3_listen *spec,
		const char **why)
{
	ssize_t i = l3d_reg_find(d, name, spec);

	if (i < 0) {
		*why = "not registered";
		return -1;
	}
	if (!d->reg.v[i].dynamic) {
		*why = "registered by the policy file; edit the policy to remove it";
		return -1;
	}
	d->reg.v[i] = d->reg.v[--d->reg.n];
	d->reg.index_ok = false;
	return 0;
}

void l3d_reg_free(struct l3d_registry *r)
{
	free(r->v);
	free(r->routes);
	memset(r, 0, sizeof(*r));
}

int l3d_reg_load_static(struct l3d *d)
{
	size_t i, j;
	const char *why;

	for (i = 0; i < d->cfg->nns; i++)
		for (j = 0; j < d->cfg->ns[i].nlistens; j++)
			if (l3d_reg_add(d, d->cfg->ns[i].name, &d->cfg->ns[i].listens[j], false,
					&why) < 0 && strcmp(why, "already registered"))
				return -1;
	return 0;
}

/* ---- persistence ---- */

int l3d_reg_save(const struct l3d *d)
{
	char file[4096], tmp[4096 + 8], spec[64];
	FILE *f;
	size_t i;
	int fd;

	if (!l3_runpath(file, sizeof(file), L3D_REG_NAME))
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", file);
	fd = mkostemp(tmp, O_CLOEXEC);

	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fputs("# l3nftd dynamic registrations: NAME SPEC\n", f);
	for (i = 0; i < d->reg.n; i++) {
		if (!d->reg.v[i].dynamic)
			continue;
		l3_listen_format(&d->reg.v[i].spec, spec, sizeof(spec));
		fprintf(f, "%s %s\n", d->reg.v[i].name, spec);
	}
	/* written whole and synced before it replaces the old file */
	if (fflush(f) != 0 || fsync(fileno(f)) < 0 || fclose(f) != 0) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, file) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int l3d_reg_save_one(const struct l3d *d, const struct l3d_reg *r)
{
	char file[4096], spec[64];
	FILE *f;
	int rc = 0;

	if (!l3_runpath(file, sizeof(file), L3D_REG_NAME) || access(file, F_OK) < 0)
		return l3d_reg_save(d);		/* no file yet: write it whole */
	f = fopen(file, "ae");
	if (!f)
		return -1;
	l3_listen_format(&r->spec, spec, sizeof(spec));
	fprintf(f, "%s %s\n", r->name, spec);
	if (fflush(f) != 0 || fdatasync(fileno(f)) < 0)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

/* The saved file, if root wrote it: anyone else could have planted
 * registrations (the runtime directory may be writable by a tenant on a
 * misconfigured host, or /run/l3nft replaced). */
static FILE *l3d_reg_open_saved(const char *file)
{
	struct stat st;
	FILE *f;
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		l3d_logp(LOG_ERR, "reload", "ignoring %s: not a regular file owned by root and "
			 "writable only by it", file);
		close(fd);
		errno = EPERM;
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

/* Reloads the file, keeping what is still valid under the current policy
 * (allow-lists and quotas included). */
int l3d_reg_load_dynamic(struct l3d *d)
{
	char file[4096], line[256], name[64], specs[128];
	FILE *f = l3_runpath(file, sizeof(file), L3D_REG_NAME) ? l3d_reg_open_saved(file) : NULL;
	struct l3_listen spec;
	const char *why;

	if (!f)
		return errno == ENOENT ? 0 : -1;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || sscanf(line, "%63s %127s", name, specs) != 2)
			continue;
		if (l3_listen_parse(specs, &spec, &why) < 0 ||
		    (l3d_reg_add(d, name, &spec, true, &why) < 0 &&
		     strcmp(why, "already registered")))
			l3d_logp(LOG_WARNING, "reload", "dropping saved registration %s %s: %s", name,
				 specs, why);
	}
	fclose(f);
	return 0;
}

/* ---- the kernel's listen sets ---- */

static struct l3_ir_elem l3d_dest_elem(const struct l3d_dest *x)
{
	struct l3_ir_elem e = { 0 };

	e.key[0].type = x->family == AF_INET ? L3_T_IPV4 : L3_T_IPV6;
	memcpy(&e.key[0].u, &x->a, x->family == AF_INET ? 4 : 16);
	e.key[1].type = L3_T_PORT;
	e.key[1].u.port = x->port;
	return e;
}

/* @v is sorted by l3d_dest_cmp */
static bool l3d_dest_in(const struct l3d_dest *v, size_t n, const struct l3d_dest *x)
{
	return n && bsearch(x, v, n, sizeof(*v), l3d_dest_cmp);
}

/* Every destination of every registration, without repeats, sorted: all
 * of them, then sort and unique (a scan of the list so far for each one
 * made every registration cost O(registrations x destinations)). */
static struct l3d_dest *l3d_reg_all_dests(const struct l3d *d, size_t *count)
{
	struct l3d_dest *all = NULL, *ds;
	size_t n = 0, cap = 0, i, j, nd, u;

	for (i = 0; i < d->reg.n; i++) {
		const struct l3_ns *ns = d->reg.v[i].ns;

		if (!ns || !(ds = calloc(l3d_reg_ndests(ns), sizeof(*ds))))
			continue;
		nd = l3d_reg_dests(ns, &d->reg.v[i], ds);
		for (j = 0; j < nd; j++) {
			if (n == cap) {
				void *p = realloc(all, (cap = cap ? cap * 2 : 32) * sizeof(*all));

				if (!p) {
					free(all);
					free(ds);
					return NULL;
				}
				all = p;
			}
			memset(&all[n], 0, sizeof(all[n]));
			all[n].family = ds[j].family;
			memcpy(&all[n].a, &ds[j].a, ds[j].family == AF_INET ? 4 : 16);
			all[n++].port = ds[j].port;
		}
		free(ds);
	}
	if (n > 1)
		qsort(all, n, sizeof(*all), l3d_dest_cmp);
	for (i = u = 0; i < n; i++)
		if (u == 0 || l3d_dest_cmp(&all[u - 1], &all[i]))
			all[u++] = all[i];
	*count = u;
	return all ? all : calloc(1, sizeof(*all));
}

static int l3d_sync_set(struct l3d *d, int family, const struct l3d_dest *want, size_t nwant)
{
	struct l3_ir_elem *add = calloc(nwant + 1, sizeof(*add));
	struct l3_ir_elem *del = calloc(d->nkset + 1, sizeof(*del));
	size_t nadd = 0, ndel = 0, i;
	int rc = -1;

	if (!add || !del)
		goto out;
	for (i = 0; i < nwant; i++)
		if (want[i].family == family && !l3d_dest_in(d->kset, d->nkset, &want[i]))
			add[nadd++] = l3d_dest_elem(&want[i]);
	for (i = 0; i < d->nkset; i++)
		if (d->kset[i].family == family && !l3d_dest_in(want, nwant, &d->kset[i]))
			del[ndel++] = l3d_dest_elem(&d->kset[i]);
	rc = l3d_table_elems(d, family == AF_INET ? L3_IR_SET_LISTEN4 : L3_IR_SET_LISTEN6, add,
			     nadd, del, ndel);
out:
	free(add);
	free(del);
	return rc;
}

/* ---- multicast memberships ---- */

static int l3d_join(struct l3d_group *g)
{
	g->fd = socket(g->family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (g->fd < 0)
		return -1;
	if (g->family == AF_INET) {
		struct ip_mreqn mr = { .imr_multiaddr = g->a.v4, .imr_ifindex = (int)g->ifindex };

		return setsockopt(g->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr));
	} else {
		struct ipv6_mreq mr = { .ipv6mr_multiaddr = g->a.v6, .ipv6mr_interface = g->ifindex };

		return setsockopt(g->fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr));
	}
}

/* if_nametoindex() is a socket, an ioctl and a close: ask once per
 * interface name, not once per registration */
static unsigned l3d_ifindex(const char *ifname, const char **names, unsigned *idx, size_t *n,
			    size_t max)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp(names[i], ifname))
			return idx[i];
	if (*n == max)
		return if_nametoindex(ifname);
	names[*n] = ifname;
	idx[*n] = if_nametoindex(ifname);
	return idx[(*n)++];
}

/* One membership per (group, interface of a registered namespace); a
 * socket each, as a socket holds at most igmp_max_memberships groups. */
static int l3d_sync_groups(struct l3d *d)
{
	struct l3d_group *want = NULL;
	size_t n = 0, i, j, nif = 0;
	const char *ifn[16];
	unsigned ifi[16];

	for (i = 0; i < d->reg.n; i++) {
		const struct l3d_reg *r = &d->reg.v[i];
		const struct l3_ns *ns = r->ns;
		struct l3d_group g = { .family = r->spec.family, .fd = -1 };

		if (!ns || r->spec.kind != L3_LISTEN_GROUP || !ns->ifname ||
		    !(g.ifindex = l3d_ifindex(ns->ifname, ifn, ifi, &nif, 16)))
			continue;
		memcpy(&g.a, &r->spec.group, sizeof(g.a));
		for (j = 0; j < n; j++)
			if (want[j].family == g.family && want[j].ifindex == g.ifindex &&
			    !memcmp(&want[j].a, &g.a, sizeof(g.a)))
				break;
		if (j < n)
			continue;
		/* keep a membership that already exists */
		for (j = 0; j < d->ngroups; j++)
			if (d->groups[j].fd >= 0 && d->groups[j].family == g.family &&
			    d->groups[j].ifindex == g.ifindex &&
			    !memcmp(&d->groups[j].a, &g.a, sizeof(g.a))) {
				g.fd = d->groups[j].fd;
				d->groups[j].fd = -1;
				break;
			}
		if (g.fd < 0 && l3d_join(&g) < 0)
			l3d_log("join", "joining a multicast group for %s: %s", ns->name,
				strerror(errno));
		{
			void *p = realloc(want, (n + 1) * sizeof(*want));

			if (!p)
				break;
			want = p;
			want[n++] = g;
		}
	}
	/* leave the groups nobody registers for any more */
	for (j = 0; j < d->ngroups; j++)
		if (d->groups[j].fd >= 0)
			close(d->groups[j].fd);
	free(d->groups);
	d->groups = want;
	d->ngroups = n;
	return 0;
}

/* What @r adds to the kernel's listen sets; d->kset follows. */
static int l3d_reg_sync_one_sets(struct l3d *d, const struct l3d_reg *r)
{
	size_t max = l3d_reg_ndests(r->ns), nd, i, n4 = 0, n6 = 0;
	struct l3d_dest *ds = calloc(max, sizeof(*ds));
	struct l3_ir_elem *add4 = calloc(max, sizeof(*add4)), *add6 = calloc(max, sizeof(*add6));
	int rc = -1;

	if (!ds || !add4 || !add6)
		goto out;
	nd = l3d_reg_dests(r->ns, r, ds);
	for (i = 0; i < nd; i++) {
		struct l3d_dest x;
		void *p;
		size_t at;

		memset(&x, 0, sizeof(x));
		x.family = ds[i].family;
		memcpy(&x.a, &ds[i].a, x.family == AF_INET ? 4 : 16);
		x.port = ds[i].port;
		if (l3d_dest_in(d->kset, d->nkset, &x))
			continue;
		if (x.family == AF_INET)
			add4[n4++] = l3d_dest_elem(&x);
		else
			add6[n6++] = l3d_dest_elem(&x);
		/* sorted insert into kset */
		p = realloc(d->kset, (d->nkset + 1) * sizeof(*d->kset));
		if (!p)
			goto out;
		d->kset = p;
		for (at = d->nkset; at > 0 && l3d_dest_cmp(&d->kset[at - 1], &x) > 0; at--)
			d->kset[at] = d->kset[at - 1];
		d->kset[at] = x;
		d->nkset++;
	}
	rc = 0;
	if ((n4 && l3d_table_elems(d, L3_IR_SET_LISTEN4, add4, n4, NULL, 0) < 0) ||
	    (n6 && l3d_table_elems(d, L3_IR_SET_LISTEN6, add6, n6, NULL, 0) < 0))
		rc = -1;
out:
	free(ds);
	free(add4);
	free(add6);
	return rc;
}

int l3d_reg_sync_one(struct l3d *d, const struct l3d_reg *r)
{
	size_t i;
	int rc;

	if (!r->ns)
		return 0;
	rc = l3d_reg_sync_one_sets(d, r);
	/* a membership for the group on the namespace's interface, unless held */
	if (r->spec.kind == L3_LISTEN_GROUP && r->ns->ifname) {
		struct l3d_group g = { .family = r->spec.family, .fd = -1 };

		g.ifindex = if_nametoindex(r->ns->ifname);
		memcpy(&g.a, &r->spec.group, sizeof(g.a));
		for (i = 0; g.ifindex && i < d->ngroups; i++)
			if (d->groups[i].family == g.family && d->groups[i].ifindex == g.ifindex &&
			    !memcmp(&d->groups[i].a, &g.a, sizeof(g.a)))
				break;
		if (g.ifindex && i == d->ngroups) {
			void *p = realloc(d->groups, (d->ngroups + 1) * sizeof(*d->groups));

			if (!p)
				return -1;
			d->groups = p;
			if (l3d_join(&g) < 0)
				l3d_log("join", "joining a multicast group for %s: %s", r->ns->name,
					strerror(errno));
			d->groups[d->ngroups++] = g;
		}
	}
	return rc;
}

int l3d_reg_sync(struct l3d *d)
{
	size_t n = 0;
	struct l3d_dest *want = l3d_reg_all_dests(d, &n);
	int rc = 0;

	if (!want)
		return -1;
	if (l3d_sync_set(d, AF_INET, want, n) < 0 || l3d_sync_set(d, AF_INET6, want, n) < 0)
		rc = -1;
	if (rc == 0) {
		free(d->kset);
		d->kset = want;
		d->nkset = n;
	} else {
		free(want);
	}
	l3d_sync_groups(d);
	return rc;
}

void l3d_groups_free(struct l3d *d)
{
	size_t i;

	for (i = 0; i < d->ngroups; i++)
		if (d->groups[i].fd >= 0)
			close(d->groups[i].fd);
	free(d->groups);
	d->groups = NULL;
	d->ngroups = 0;
}
