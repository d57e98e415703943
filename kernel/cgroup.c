/* cgroup2 mount discovery: never assume /sys/fs/cgroup (this machine
 * mounts it at /sys/fs/cgroup/unified). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "l3nft/kernel/cgroup.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void l3_mountinfo_unescape(char *s)
{
	char *o = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
}

/* Whether comma-separated @opts holds @opt. */
static bool l3_opt_has(const char *opts, const char *opt)
{
	size_t n = strlen(opt);
	const char *p;

	for (p = opts; (p = strstr(p, opt)); p += n)
		if ((p == opts || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static int l3_path_depth(const char *p)
{
	int depth = 0;
	char prev = '/';

	for (; *p; prev = *p++)
		if (*p != '/' && prev == '/')
			depth++;
	return depth;
}

/* Fields: id parent maj:min root mountpoint opts [optional...] - fstype ... */
static int l3_mountinfo_line(char *line, struct l3_cgroup_mount *m)
{
	char *field[6], *save = NULL, *tok, *fstype = NULL, *opts = NULL;
	int n = 0;

	for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		if (n < 6) {
			field[n++] = tok;
		} else if (!strcmp(tok, "-")) {
			fstype = strtok_r(NULL, " \n", &save);
			if (strtok_r(NULL, " \n", &save))	/* the source */
				opts = strtok_r(NULL, " \n", &save);
			break;
		}
	}
	if (n < 6 || !fstype || strcmp(fstype, "cgroup2"))
		return -1;
	m->nsdelegate = opts && l3_opt_has(opts, "nsdelegate");
	l3_mountinfo_unescape(field[3]);
	l3_mountinfo_unescape(field[4]);
	if (strlen(field[4]) >= sizeof(m->path))
		return -1;
	strcpy(m->path, field[4]);
	m->root_level = l3_path_depth(field[3]);
	return 0;
}

int l3_cgroup_find_mount(FILE *f, struct l3_cgroup_mount *m)
{
	FILE *own = NULL;
	char *line = NULL;
	size_t cap = 0;
	int rc = -1;

	if (!f) {
		own = f = fopen("/proc/self/mountinfo", "re");
		if (!f)
			return -1;
	}
	while (getline(&line, &cap, f) > 0) {
		if (l3_mountinfo_line(line, m) == 0) {
			rc = 0;
			break;
		}
	}
	free(line);
	if (own)
		fclose(own);
	if (rc < 0)
		errno = ENOENT;
	return rc;
}

uint64_t l3_cgroup_id(const char *mount, const char *path)
{
	char buf[4096 + L3_CGROUP_PATH_MAX + 2];
	struct stat st;

	if (!mount[0] || (size_t)snprintf(buf, sizeof(buf), "%s/%s", mount, path) >= sizeof(buf))
		return 0;
	return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? (uint64_t)st.st_ino : 0;
}

int l3_cgroup_make(const char *mount, const char *path)
{
	char buf[4096 + L3_CGROUP_PATH_MAX + 2];
	size_t n;
	char *p;

	n = (size_t)snprintf(buf, sizeof(buf), "%s/%s", mount, path);
	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = buf + strlen(mount) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

void l3_cgroup_ids(const char *mount, const struct l3_cfg *cfg, uint64_t *ids)
{
	size_t i;

	for (i = 0; i < cfg->nns; i++)
		ids[i] = l3_cgroup_id(mount, cfg->ns[i].cgroup);
}

void l3_cgroup_quarantine_ids(const char *mount, const struct l3_cfg *cfg, uint64_t *ids)
{
	size_t i;

	for (i = 0; i < cfg->nquarantine; i++)
		ids[i] = l3_cgroup_id(mount, cfg->quarantine[i].cgroup);
}

/* ---- quarantine check ---- */

struct l3_qwalk {
	const char *mount;
	const struct l3_quarantine *q;
	const char **paths;	/* the namespaces' cgroups, sorted */
	size_t n;
	struct l3_diag *diag;
	size_t errors;
};

static int l3_qwalk_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* 0: @path is no namespace's; 1: it is one, or inside one; 2: a
 * namespace lies below it. */
static int l3_qwalk_kind(const struct l3_qwalk *w, const char *path)
{
	size_t lo = 0, hi = w->n, len = strlen(path);

	while (lo < hi) {	/* the first cgroup >= path */
		size_t mid = (lo + hi) / 2;

		if (strcmp(w->paths[mid], path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < w->n && !strcmp(w->paths[lo], path))
		return 1;
	if (lo < w->n && !strncmp(w->paths[lo], path, len) && w->paths[lo][len] == '/')
		return 2;
	/* inside one: an ancestor sorts before path; check each ancestor */
	for (; len > 0; len--) {
		char up[L3_CGROUP_PATH_MAX + 1];
		const char *key = up;

		if (path[len] != '/' || len > L3_CGROUP_PATH_MAX)
			continue;
		memcpy(up, path, len);
		up[len] = '\0';
		if (bsearch(&key, w->paths, w->n, sizeof(*w->paths), l3_qwalk_strcmp))
			return 1;
	}
	return 0;
}

/* Whether cgroup @path holds processes itself. */
static bool l3_qwalk_procs(const struct l3_qwalk *w, const char *path)
{
	char buf[4096 + L3_CGROUP_PATH_MAX + 32], c;
	bool any;
	int fd;

	snprintf(buf, sizeof(buf), "%s/%s/cgroup.procs", w->mount, path);
	fd = open(buf, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	any = read(fd, &c, 1) == 1;
	close(fd);
	return any;
}

static int l3_qwalk_dir(struct l3_qwalk *w, const char *path, int depth);

static int l3_qwalk_child(struct l3_qwalk *w, const char *path, int depth)
{
	switch (l3_qwalk_kind(w, path)) {
	case 1:
		return 0;
	case 2:
		return l3_qwalk_dir(w, path, depth + 1);
	default:
		w->errors++;
		l3_error(w->diag, w->q->pos, "quarantine parent '%s' has cgroup '%s', which is "
			 "no namespace's: its sockets would be refused; move it elsewhere, add "
			 "it as a namespace, or drop the parent from 'quarantine'", w->q->cgroup,
			 path);
		return 0;
	}
}

/* Every subdirectory of @path (a cgroup on the way to namespaces). */
static int l3_qwalk_dir(struct l3_qwalk *w, const char *path, int depth)
{
	char buf[4096 + L3_CGROUP_PATH_MAX + 2], sub[L3_CGROUP_PATH_MAX + 2];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (depth > L3_CGROUP_PATH_MAX / 2)	/* no path is deeper than that */
		return 0;
	if (l3_qwalk_procs(w, path)) {
		w->errors++;
		l3_error(w->diag, w->q->pos, "quarantine parent '%s': cgroup '%s' holds processes "
			 "of no namespace, whose sockets would be refused", w->q->cgroup, path);
	}
	snprintf(buf, sizeof(buf), "%s/%s", w->mount, path);
	d = opendir(buf);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) > L3_CGROUP_PATH_MAX) {
			w->errors++;
			l3_error(w->diag, w->q->pos, "quarantine parent '%s' has a cgroup whose path "
				 "is too long for a namespace: %.64s...", w->q->cgroup, sub);
			continue;
		}
		rc = l3_qwalk_child(w, sub, depth);
	}
	closedir(d);
	return rc;
}

int l3_cgroup_quarantine_check(const char *mount, const struct l3_cfg *cfg,
			       struct l3_diag *diag)
{
	struct l3_qwalk w = { .mount = mount, .diag = diag, .n = cfg->nns };
	size_t i;
	int rc = 0;

	if (!cfg->nquarantine)
		return 0;
	w.paths = calloc(cfg->nns + 1, sizeof(*w.paths));
	if (!w.paths)
		return -1;
	for (i = 0; i < cfg->nns; i++)
		w.paths[i] = cfg->ns[i].cgroup;
	qsort(w.paths, w.n, sizeof(*w.paths), l3_qwalk_strcmp);
	for (i = 0; i < cfg->nquarantine && rc == 0; i++) {
		w.q = &cfg->quarantine[i];
		rc = l3_qwalk_dir(&w, w.q->cgroup, 0);
	}
	free(w.paths);
	return rc < 0 ? -1 : w.errors ? -1 : 0;
}
