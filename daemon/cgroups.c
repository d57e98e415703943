/*
 * cgroup tracking: a namespace's cgroup may appear after apply, vanish,
 * or be created anew with a new id (systemd does this on every restart of
 * a unit). inotify on the cgroup2 tree tells us when; each change marks
 * that namespace dirty, and the dirty ones are brought in line -- their
 * elements of cgroup_lN and member_lN, and the socket layer's l3_cgroup
 * map -- against what the kernel holds, read under the apply lock, never
 * against a cache: an apply that read a cgroup's id just before the
 * cgroup was made anew cannot leave the old id behind.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include "l3nft/kernel/cgmember.h"
#include "l3nft/kernel/rundir.h"
#include "l3nft/kernel/sock_maps.h"
#include "l3nftd.h"

#define L3D_INO_MASK (IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVED_FROM | \
		      IN_MOVED_TO | IN_ONLYDIR)

struct l3d_watch {
	int wd;
	char *path;
};

/* The first watch whose wd is not below @wd: d->watches is sorted by wd
 * (the kernel hands them out in rising order), so a lookup among the
 * 10,000 watches of a large policy is a binary search, not a scan. */
static size_t l3d_watch_at(const struct l3d *d, int wd)
{
	size_t lo = 0, hi = d->nwatches;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->watches[mid].wd < wd)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const char *l3d_watch_path(const struct l3d *d, int wd)
{
	size_t i = l3d_watch_at(d, wd);

	return i < d->nwatches && d->watches[i].wd == wd ? d->watches[i].path : NULL;
}

static void l3d_watch_forget(struct l3d *d, int wd)
{
	size_t i = l3d_watch_at(d, wd);

	if (i == d->nwatches || d->watches[i].wd != wd)
		return;
	free(d->watches[i].path);
	memmove(&d->watches[i], &d->watches[i + 1], (d->nwatches - i - 1) * sizeof(*d->watches));
	d->nwatches--;
}

/* The inotify watch limit of this user (fs.inotify.max_user_watches), 0
 * when it cannot be read. */
static unsigned long l3d_watch_limit(void)
{
	FILE *f = fopen("/proc/sys/fs/inotify/max_user_watches", "re");
	unsigned long n = 0;

	if (f) {
		if (fscanf(f, "%lu", &n) != 1)
			n = 0;
		fclose(f);
	}
	return n;
}

/* A watch refused at the limit is said once per rearm: what goes unwatched
 * is still looked at by the periodic re-check, only later. */
static void l3d_watch_full(struct l3d *d, const char *path)
{
	if (d->ino_full)
		return;
	d->ino_full = true;
	l3d_logp(LOG_WARNING, "inotify",
		 "cgroup watches: the inotify limit is reached at %zu watches "
		 "(fs.inotify.max_user_watches = %lu, shared by every process of this "
		 "user) at %s: cgroups made or removed there are noticed by the "
		 "re-check every %d s instead of at once; raise the limit to watch them all",
		 d->nwatches, l3d_watch_limit(), path, L3D_RESYNC_MS / 1000);
}

/* Watches @path: 1 when newly, 0 when it was watched already, -1 with
 * errno (ENOENT: it is not there). */
static int l3d_watch_add(struct l3d *d, const char *path)
{
	int wd = inotify_add_watch(d->ino_fd, path, L3D_INO_MASK);
	size_t at;
	char *copy;

	if (wd < 0 && errno == ENOSPC)
		l3d_watch_full(d, path);
	if (wd < 0)
		return -1;
	at = l3d_watch_at(d, wd);
	if (at < d->nwatches && d->watches[at].wd == wd)
		return 0;
	if (d->nwatches == d->cap_watches) {
		size_t cap = d->cap_watches ? d->cap_watches * 2 : 64;
		void *p = realloc(d->watches, cap * sizeof(*d->watches));

		if (!p)
			return 1;
		d->watches = p;
		d->cap_watches = cap;
	}
	if (!(copy = strdup(path)))
		return 1;
	memmove(&d->watches[at + 1], &d->watches[at], (d->nwatches - at) * sizeof(*d->watches));
	d->watches[at].wd = wd;
	d->watches[at].path = copy;
	d->nwatches++;
	return 1;
}

/*
 * Watches every existing ancestor of the namespace's cgroup up to the
 * mount: its parent's IN_CREATE/IN_DELETE/IN_MOVED_* say when the cgroup
 * is made, made anew or removed, and a higher one's when a whole subtree
 * comes or goes. The cgroup itself is not watched (nothing in it tells
 * more), so 10,000 cgroups below one parent take one watch, not 10,001,
 * and a start-up one system call per parent. An ancestor watched already
 * had its own ancestors watched then: the walk stops. @last (NULL: none)
 * is the parent the previous walk began at: the same parent, nothing to do.
 */
static void l3d_watch_ns(struct l3d *d, const struct l3_ns *ns, char *last, size_t lastlen)
{
	char path[4096 + L3_CGROUP_PATH_MAX + 2];
	size_t mlen = strlen(d->mnt.path);
	char *slash;

	snprintf(path, sizeof(path), "%s/%s", d->mnt.path, ns->cgroup);
	slash = strrchr(path, '/');
	if (!slash || (size_t)(slash - path) < mlen)
		return;
	*slash = '\0';		/* from the parent up */
	if (last && !strcmp(path, last))
		return;
	if (last && strlen(path) < lastlen)
		strcpy(last, path);
	for (;;) {
		if (l3d_watch_add(d, path) == 0 || strlen(path) <= mlen)
			break;
		slash = strrchr(path, '/');
		if (!slash || (size_t)(slash - path) < mlen)
			break;
		*slash = '\0';
	}
}

/* inotify watches are per inode: re-arm them all after any event, so a
 * cgroup made anew is watched too. */
static void l3d_rearm(struct l3d *d)
{
	struct epoll_event ev = { .events = EPOLLIN };
	char last[4096 + L3_CGROUP_PATH_MAX + 2] = "";
	size_t i;

	if (d->ino_fd >= 0) {
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->ino_fd, NULL);
		close(d->ino_fd);
	}
	while (d->nwatches)
		free(d->watches[--d->nwatches].path);
	d->ino_full = false;
	d->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->ino_fd < 0)
		return;
	for (i = 0; i < d->cfg->nns; i++)
		l3d_watch_ns(d, &d->cfg->ns[i], last, sizeof(last));
	ev.data.fd = d->ino_fd;
	epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->ino_fd, &ev);
}

int l3d_cgroups_open(struct l3d *d)
{
	size_t i;

	/* a new policy: its ids come with the next read of the table */
	free(d->ids);
	d->ids = NULL;
	free(d->cg_dirty);
	free(d->cg_stale);
	d->cg_dirty = calloc(d->cfg->nns + 1, sizeof(*d->cg_dirty));
	d->cg_stale = calloc(d->cfg->nns + 1, sizeof(*d->cg_stale));
	if (!d->cg_dirty || !d->cg_stale)
		return -1;
	for (i = 0; i < d->cfg->nns; i++)
		d->cg_dirty[i] = true;
	d->cg_pending = true;
	if (l3_sock_maps_dir(d->sl_dir, sizeof(d->sl_dir)) < 0)
		d->sl_dir[0] = '\0';
	d->ino_fd = -1;
	l3d_rearm(d);
	return d->ino_fd < 0 ? -1 : 0;
}

/* The namespace's mark as the table has it (ids are read with the table;
 * until then, the policy's). */
static uint32_t l3d_ns_mark(const struct l3d *d, const struct l3_ns *ns)
{
	return l3_cfg_mark(d->cfg, d->ids ? d->ids[ns - d->cfg->ns] : ns->id);
}

/* The first of the table's members (sorted by mark) with mark @mark. */
static size_t l3d_members_from(const struct l3d_member *mv, size_t mn, uint32_t mark)
{
	size_t lo = 0, hi = mn;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mv[mid].mark < mark)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Brings namespace @i's elements of cgroup_lN and member_lN in line with
 * its cgroup's id @now, starting from what the table holds (@mv, @mn):
 * every other id of the namespace goes (an old cgroup's, or one an apply
 * read just before the cgroup was made anew), @now is added if missing.
 */
static int l3d_cg_fix(struct l3d *d, size_t i, uint64_t now, const struct l3d_member *mv,
		      size_t mn)
{
	const struct l3_ns *ns = &d->cfg->ns[i];
	struct l3_cgmember m = {
		.ns = ns,
		.mark = l3d_ns_mark(d, ns),
		.level = ns->cgroup_depth + d->mnt.root_level,
	};
	size_t j = l3d_members_from(mv, mn, m.mark), stale = 0;
	bool have = false;
	int rc = 0;

	for (; j < mn && mv[j].mark == m.mark; j++) {
		if (mv[j].id == now) {
			have = true;
			continue;
		}
		if (l3_cgmember_move(d->nft, d->ir, &m, mv[j].id, 0) < 0 && errno != ENOENT)
			rc = -1;
		stale++;
	}
	if (now && !have && l3_cgmember_move(d->nft, d->ir, &m, 0, now) < 0)
		rc = -1;
	if (rc < 0)
		l3d_log("table", "namespace %s: cgroup elements: %s", ns->name, strerror(errno));
	else if (stale || (now && !have)) {
		l3d_logp(LOG_NOTICE, "cgroup", "namespace %s: cgroup %s %s%s", ns->name,
			 ns->cgroup, now ? "is there (again)" : "is gone",
			 stale ? "; the table's old id removed" : "");
		d->st.cgroup_updates++;
	}
	return rc;
}

/* The same for the socket layer's l3_cgroup map (when it is attached):
 * the dirty namespaces' ids now, in @now (policy order). */
static void l3d_cg_bpf(struct l3d *d, const uint64_t *now)
{
	struct l3_sock_cgroup *v;
	size_t i, n = 0, changes = 0;

	if (!d->ids || !d->sl_dir[0] || !l3_sock_maps_attached(d->sl_dir))
		return;
	v = calloc(d->cfg->nns + 1, sizeof(*v));
	if (!v)
		return;
	for (i = 0; i < d->cfg->nns; i++)
		if (d->cg_dirty[i]) {
			v[n].ns = d->ids[i];
			v[n++].cgroup = now[i];
		}
	if (l3_sock_maps_set_cgroups(d->sl_dir, v, n, &changes) < 0 && errno != ENOENT)
		l3d_log("bpf", "socket layer: updating l3_cgroup in %s: %s", d->sl_dir,
			strerror(errno));
	else if (changes)
		l3d_log("bpf", "socket layer: %zu cgroup id(s) updated", changes);
	free(v);
}

/* Reads the table's member elements and fixes every dirty namespace. */
static int l3d_cg_apply_dirty(struct l3d *d)
{
	struct l3d_member *mv = NULL;
	uint64_t *now;
	size_t mn = 0, i;
	int rc = 0;

	if (l3d_table_members(d, &mv, &mn) < 0) {
		l3d_log("table", "reading the member sets of inet %s: %s", d->cfg->table,
			strerror(errno));
		return -1;
	}
	now = calloc(d->cfg->nns + 1, sizeof(*now));
	if (!now) {
		free(mv);
		return -1;
	}
	for (i = 0; i < d->cfg->nns; i++) {
		if (!d->cg_dirty[i])
			continue;
		now[i] = l3_cgroup_id(d->mnt.path, d->cfg->ns[i].cgroup);
		d->cg_stale[i] = l3d_cg_fix(d, i, now[i], mv, mn) < 0;
		if (d->cg_stale[i])
			rc = -1;
	}
	l3d_cg_bpf(d, now);
	free(now);
	free(mv);
	return rc;
}

bool l3d_cgroups_pending(const struct l3d *d)
{
	return d->cg_pending;
}

void l3d_cgroups_mark_all(struct l3d *d, bool table)
{
	size_t i;

	for (i = 0; d->cg_dirty && i < d->cfg->nns; i++)
		d->cg_dirty[i] = true;
	d->cg_pending = true;
	if (table)
		d->table_stale = true;
}

/*
 * Under the apply lock, so no apply replaces the table between our read
 * and our update: re-reads the table when it was replaced (ids, listen
 * elements), then fixes the dirty namespaces against the member elements
 * the kernel holds now. When apply holds the lock, nothing is done and 1
 * is returned: the loop tries again shortly, so the fan-out never waits
 * for an apply.
 */
int l3d_cgroups_reconcile(struct l3d *d)
{
	int lock, rc = 0;
	size_t i;

	if (!d->cg_pending)
		return 0;
	lock = l3_rundir_lock_try();
	if (lock < 0 && errno == EWOULDBLOCK)
		return 1;
	if (lock < 0)
		l3d_log("lock", "the apply lock in %s: %s; updating without it", l3_rundir(),
			strerror(errno));
	if (d->table_stale) {
		if (l3d_table_read(d) < 0) {
			l3d_log("table", "reading table inet %s: %s", d->cfg->table, strerror(errno));
			rc = -1;
		} else {
			d->table_stale = false;
			if (l3d_reg_sync(d) < 0)
				l3d_log("sync", "updating the listener sets failed");
		}
	}
	if (rc == 0 && l3d_cg_apply_dirty(d) < 0)
		rc = -1;
	/* done, or failed (no table, say): the periodic pass tries again;
	 * only a busy lock is worth the quick retry */
	for (i = 0; i < d->cfg->nns; i++)
		d->cg_dirty[i] = false;
	d->cg_pending = false;
	if (lock >= 0)
		close(lock);
	return rc;
}

int l3d_cgroups_sync(struct l3d *d)
{
	l3d_cgroups_mark_all(d, false);
	return l3d_cgroups_reconcile(d) < 0 ? -1 : 0;
}

/* Directory @path (below the mount) appeared or went: only the namespaces
 * whose cgroup is @path or below it are looked at and watched again. */
static void l3d_cg_changed(struct l3d *d, const char *path)
{
	size_t mlen = strlen(d->mnt.path), rlen, i;
	const char *rel;

	if (strncmp(path, d->mnt.path, mlen) || (path[mlen] != '/' && path[mlen] != '\0'))
		return;
	rel = path[mlen] ? path + mlen + 1 : "";
	rlen = strlen(rel);
	for (i = 0; i < d->cfg->nns; i++) {
		const char *cg = d->cfg->ns[i].cgroup;

		if (rlen && (strncmp(cg, rel, rlen) || (cg[rlen] != '\0' && cg[rlen] != '/')))
			continue;
		l3d_watch_ns(d, &d->cfg->ns[i], NULL, 0);
		d->cg_dirty[i] = true;
		d->cg_pending = true;
	}
}

/* Each event names the watched directory and the entry that changed in it;
 * a full re-arm and rescan (O(namespaces) system calls) is left for a lost
 * event (queue overflow). */
void l3d_cgroups_event(struct l3d *d)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	char path[4096 + NAME_MAX + 2];
	bool full = false;
	ssize_t n;

	while ((n = read(d->ino_fd, buf, sizeof(buf))) > 0) {
		const char *p = buf;

		while (p < buf + n) {
			const struct inotify_event *ev = (const void *)p;
			const char *dir = l3d_watch_path(d, ev->wd);

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				full = true;
			} else if (ev->mask & IN_IGNORED) {
				l3d_watch_forget(d, ev->wd);
			} else if (!dir) {
				continue;
			} else if (ev->len) {
				snprintf(path, sizeof(path), "%s/%s", dir, ev->name);
				l3d_cg_changed(d, path);
			} else if (ev->mask & IN_DELETE_SELF) {
				l3d_cg_changed(d, dir);
			}
		}
	}
	if (full) {
		l3d_rearm(d);
		l3d_cgroups_mark_all(d, false);
	}
	/* one read of the table for the whole batch of events */
	l3d_cgroups_reconcile(d);
}

void l3d_cgroups_free(struct l3d *d)
{
	free(d->cg_dirty);
	free(d->cg_stale);
	d->cg_dirty = NULL;
	d->cg_stale = NULL;
	while (d->nwatches)
		free(d->watches[--d->nwatches].path);
	free(d->watches);
	d->watches = NULL;
	d->cap_watches = 0;
}
