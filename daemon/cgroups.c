/*
 * cgroup tracking: a namespace's cgroup may appear after apply, vanish,
 * or be created anew with a new id (systemd does this on every restart of
 * a unit). inotify on the cgroup2 tree tells us when; each change updates
 * only that namespace's elements of cgroup_lN and member_lN.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include "l3nft/kernel/cgmember.h"
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

/* Watches @path; false when it was watched already. */
static bool l3d_watch_add(struct l3d *d, const char *path)
{
	int wd = inotify_add_watch(d->ino_fd, path, L3D_INO_MASK);
	size_t at;
	char *copy;

	if (wd < 0)
		return true;
	at = l3d_watch_at(d, wd);
	if (at < d->nwatches && d->watches[at].wd == wd)
		return false;
	if (d->nwatches == d->cap_watches) {
		size_t cap = d->cap_watches ? d->cap_watches * 2 : 64;
		void *p = realloc(d->watches, cap * sizeof(*d->watches));

		if (!p)
			return true;
		d->watches = p;
		d->cap_watches = cap;
	}
	if (!(copy = strdup(path)))
		return true;
	memmove(&d->watches[at + 1], &d->watches[at], (d->nwatches - at) * sizeof(*d->watches));
	d->watches[at].wd = wd;
	d->watches[at].path = copy;
	d->nwatches++;
	return true;
}

/* Watches the cgroup and every existing ancestor up to the mount: a
 * change at any of them can make the cgroup appear or go. An ancestor
 * watched already had its own ancestors watched then: the walk stops. */
static void l3d_watch_ns(struct l3d *d, const struct l3_ns *ns)
{
	char path[4096 + L3_CGROUP_PATH_MAX + 2];
	char *slash;

	snprintf(path, sizeof(path), "%s/%s", d->mnt.path, ns->cgroup);
	for (;;) {
		if (access(path, F_OK) == 0 && !l3d_watch_add(d, path))
			break;
		if (access(path, F_OK) == 0 || errno != ENOENT) {
			if (strlen(path) <= strlen(d->mnt.path))
				break;
		}
		slash = strrchr(path, '/');
		if (!slash || (size_t)(slash - path) < strlen(d->mnt.path))
			break;
		*slash = '\0';
	}
}

/* inotify watches are per inode: re-arm them all after any event, so a
 * cgroup made anew is watched too. */
static void l3d_rearm(struct l3d *d)
{
	struct epoll_event ev = { .events = EPOLLIN };
	size_t i;

	if (d->ino_fd >= 0) {
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, d->ino_fd, NULL);
		close(d->ino_fd);
	}
	while (d->nwatches)
		free(d->watches[--d->nwatches].path);
	d->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (d->ino_fd < 0)
		return;
	for (i = 0; i < d->cfg->nns; i++)
		l3d_watch_ns(d, &d->cfg->ns[i]);
	ev.data.fd = d->ino_fd;
	epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->ino_fd, &ev);
}

int l3d_cgroups_open(struct l3d *d)
{
	/* a new policy: its ids come with the next read of the table */
	free(d->ids);
	d->ids = NULL;
	free(d->cg_ids);
	d->cg_ids = calloc(d->cfg->nns + 1, sizeof(*d->cg_ids));
	if (!d->cg_ids)
		return -1;
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

/* Moves one namespace from cgroup id @old to @now in both sets. */
static int l3d_cg_update(struct l3d *d, const struct l3_ns *ns, uint64_t old, uint64_t now)
{
	struct l3_cgmember m = {
		.ns = ns,
		.mark = l3d_ns_mark(d, ns),
		.level = ns->cgroup_depth + d->mnt.root_level,
	};

	if (l3_cgmember_move(d->nft, d->ir, &m, old, now) < 0) {
		l3d_log("table", "namespace %s: cgroup elements: %s", ns->name, strerror(errno));
		return -1;
	}
	return 0;
}

/* Brings namespace @i's elements in line with its cgroup's id now. */
static int l3d_cg_check(struct l3d *d, size_t i)
{
	const struct l3_ns *ns = &d->cfg->ns[i];
	uint64_t now = l3_cgroup_id(d->mnt.path, ns->cgroup);

	if (now == d->cg_ids[i])
		return 0;
	if (l3d_cg_update(d, ns, d->cg_ids[i], now) < 0)
		return -1;
	l3d_log("cgroup", "namespace %s: cgroup %s %s", ns->name, ns->cgroup,
		now ? "is there (again)" : "is gone");
	d->cg_ids[i] = now;
	return 0;
}

int l3d_cgroups_sync(struct l3d *d)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < d->cfg->nns; i++)
		if (l3d_cg_check(d, i) < 0)
			rc = -1;
	return rc;
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
		l3d_watch_ns(d, &d->cfg->ns[i]);
		l3d_cg_check(d, i);
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
		l3d_cgroups_sync(d);
	}
}

void l3d_cgroups_free(struct l3d *d)
{
	while (d->nwatches)
		free(d->watches[--d->nwatches].path);
	free(d->watches);
	d->watches = NULL;
	d->cap_watches = 0;
}
