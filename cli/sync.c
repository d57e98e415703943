/*
 * l3nft sync NAME: the one-namespace version of what l3nftd does when a
 * cgroup appears. systemd makes a unit's cgroup anew (new id) on every
 * start; `ExecStartPre=+l3nft sync NAME` puts the new id into the table
 * before the main process runs, so its first packet is already the
 * namespace's, with or without l3nftd running. The socket layer's
 * l3_cgroup map gets the same id (when the layer is attached), so the
 * first bind() is already rewritten too.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include "l3nft/cli/sync.h"
#include "l3nft/compiler/ir.h"
#include "l3nft/kernel/cgmember.h"
#include "l3nft/kernel/cgroup.h"
#include "l3nft/kernel/live.h"
#include "l3nft/kernel/nl_sock.h"
#include "l3nft/kernel/rundir.h"
#include "l3nft/kernel/sock_maps.h"

struct l3_sync {
	struct mnl_socket *nl;
	struct l3_live lv;
	uint32_t *ids;
	struct l3_ir *ir;
	struct l3_cgroup_mount mnt;
};

static void l3_sync_fini(struct l3_sync *s)
{
	l3_ir_free(s->ir);
	free(s->ids);
	l3_live_free(&s->lv);
	if (s->nl)
		mnl_socket_close(s->nl);
}

/* Reads the table and builds the IR with its ids (the sets' names and
 * types come from there). */
static enum l3_status l3_sync_read(struct l3_sync *s, const struct l3_cfg *cfg,
				   struct l3_diag *diag)
{
	struct l3_ir_opts iro = { 0 };
	struct l3_ir_live live = { 0 };

	s->nl = l3_nl_open();
	if (!s->nl || l3_live_read(s->nl, cfg->table, &s->lv) < 0) {
		l3_error(diag, L3_NOPOS, "nf_tables netlink: %s", l3_nl_strerror(errno));
		return L3_REFUSED;
	}
	if (!s->lv.exists) {
		l3_error(diag, cfg->table_pos, "table inet %s does not exist (run l3nft apply first)",
			 cfg->table);
		return L3_REFUSED;
	}
	s->ids = calloc(cfg->nns + 1, sizeof(*s->ids));
	if (!s->ids || l3_live_ids(&s->lv, cfg, s->ids) < 0)
		goto oom;
	live.ids = s->ids;
	iro.cgroup_mount = s->mnt.path;
	iro.cgroup_root_level = s->mnt.root_level;
	iro.live = &live;
	s->ir = l3_ir_build(cfg, &iro);
	if (!s->ir)
		goto oom;
	return L3_OK;
oom:
	l3_error(diag, L3_NOPOS, "reading table inet %s: %s", cfg->table, l3_nl_strerror(errno));
	return L3_REFUSED;
}

/* Every id the table holds for the namespace other than @now goes; @now
 * is added (again: adding an element that is there changes nothing). */
static int l3_sync_elems(struct l3_sync *s, const struct l3_cgmember *m, uint64_t now)
{
	char set[32];
	uint64_t id;
	uint32_t mark;
	size_t i;

	snprintf(set, sizeof(set), L3_IR_SET_MEMBER_FMT, m->level);
	for (i = 0; i < s->lv.nelems; i++) {
		const struct l3_live_elem *e = &s->lv.elems[i];

		if (strcmp(e->set, set) || e->len != 12)
			continue;
		memcpy(&mark, e->key, 4);
		memcpy(&id, e->key + 4, 8);
		if (mark == m->mark && id != now && l3_cgmember_move(s->nl, s->ir, m, id, 0) < 0 &&
		    errno != ENOENT)
			return -1;
	}
	return l3_cgmember_move(s->nl, s->ir, m, 0, now);
}

/* The socket layer's map, when the layer is attached in this network
 * namespace: the same id, the namespace's old ones out. */
static enum l3_status l3_sync_bpf(uint32_t id, uint64_t now, const struct l3_ns *ns,
				  FILE *log, struct l3_diag *diag)
{
	struct l3_sock_cgroup v = { .ns = id, .cgroup = now };
	char dir[128];

	if (l3_sock_maps_dir(dir, sizeof(dir)) < 0 || !l3_sock_maps_attached(dir))
		return L3_OK;
	if (l3_sock_maps_set_cgroups(dir, &v, 1, NULL) < 0) {
		l3_error(diag, ns->cgroup_pos, "namespace %s: cgroup %s into the socket layer's "
			 "map in %s: %s", ns->name, ns->cgroup, dir, strerror(errno));
		return L3_REFUSED;
	}
	fprintf(log, "namespace %s: cgroup %s is in the socket layer's map\n", ns->name,
		ns->cgroup);
	return L3_OK;
}

static enum l3_status l3_sync_locked(struct l3_sync *s, const struct l3_cfg *cfg,
				     const struct l3_ns *ns, FILE *log, struct l3_diag *diag)
{
	struct l3_cgmember m = { .ns = ns };
	enum l3_status st = l3_sync_read(s, cfg, diag);
	uint64_t now;

	if (st != L3_OK)
		return st;
	m.mark = l3_cfg_mark(cfg, s->ids[ns - cfg->ns]);
	m.level = ns->cgroup_depth + s->mnt.root_level;
	now = l3_cgroup_id(s->mnt.path, ns->cgroup);
	if (!now || l3_sync_elems(s, &m, now) < 0) {
		l3_error(diag, ns->cgroup_pos, "namespace %s: cgroup %s into table inet %s: %s",
			 ns->name, ns->cgroup, cfg->table, l3_nl_strerror(errno));
		return L3_REFUSED;
	}
	fprintf(log, "namespace %s: cgroup %s (id %llu) is in table inet %s\n", ns->name,
		ns->cgroup, (unsigned long long)now, cfg->table);
	return l3_sync_bpf(s->ids[ns - cfg->ns], now, ns, log, diag);
}

enum l3_status l3_sync(const struct l3_cfg *cfg, const struct l3_ns *ns, FILE *log,
		       struct l3_diag *diag)
{
	struct l3_sync s = { 0 };
	enum l3_status st;
	int lock;

	if (l3_cgroup_find_mount(NULL, &s.mnt) < 0) {
		l3_error(diag, L3_NOPOS, "no cgroup2 file system is mounted");
		return L3_REFUSED;
	}
	if (l3_cgroup_make(s.mnt.path, ns->cgroup) < 0) {
		l3_error(diag, ns->cgroup_pos, "creating cgroup %s/%s: %s", s.mnt.path, ns->cgroup,
			 strerror(errno));
		return L3_REFUSED;
	}
	lock = l3_rundir_lock();
	if (lock < 0) {
		l3_error(diag, L3_NOPOS, "locking in %s: %s", l3_rundir(), l3_nl_strerror(errno));
		return L3_REFUSED;
	}
	st = l3_sync_locked(&s, cfg, ns, log, diag);
	close(lock);
	l3_sync_fini(&s);
	return st;
}
