/* cgroup2 mount discovery: never assume /sys/fs/cgroup (this machine
 * mounts it at /sys/fs/cgroup/unified). */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
