/*
 * l3nft exec: enter a namespace. Order matters:
 *  1. join the cgroup (needs the privileges about to be dropped);
 *  2. a mount namespace in which the cgroup2 file system is read-only,
 *     and a cgroup namespace rooted at the new cgroup: cgroup.procs
 *     belongs to root, so without this a root process could write itself
 *     back into the host's cgroup (cgroup namespaces alone stop that only
 *     on mounts with nsdelegate);
 *  3. drop CAP_NET_ADMIN, CAP_NET_RAW and CAP_SYS_ADMIN (which could
 *     remount the file system writable) from the bounding, ambient,
 *     inheritable, permitted and effective sets;
 *  4. no_new_privs, so no setuid program gets them back.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>
#include "l3nft/cli/exec.h"
#include "l3nft/kernel/cgroup.h"

/* mkdir -p below the cgroup2 mount. */
static int l3_exec_mkdirs(const char *mount, const char *path)
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

static int l3_exec_join(const char *mount, const char *path)
{
	char buf[4096 + L3_CGROUP_PATH_MAX + 16], pid[32];
	int fd, n, rc;

	snprintf(buf, sizeof(buf), "%s/%s/cgroup.procs", mount, path);
	fd = open(buf, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	rc = write(fd, pid, (size_t)n) == n ? 0 : -1;
	close(fd);
	return rc;
}

static int l3_exec_drop(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	unsigned word = (unsigned)cap / 32, bit = 1u << ((unsigned)cap % 32);

	if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
		return -1;
	/* ambient may be unsupported on old kernels: nothing to lower then */
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, cap, 0, 0);
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -1;
	data[word].effective &= ~bit;
	data[word].permitted &= ~bit;
	data[word].inheritable &= ~bit;
	return (int)syscall(SYS_capset, &hdr, data);
}

/* Step 2 above. Mounts the host makes later still propagate in (slave). */
static int l3_exec_seal(const char *cgmount)
{
	if (unshare(CLONE_NEWNS | CLONE_NEWCGROUP) < 0)
		return -1;
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return -1;
	return mount(NULL, cgmount, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
		     MS_NODEV | MS_NOEXEC, NULL);
}

enum l3_status l3_exec(const struct l3_cfg *cfg, const struct l3_ns *ns,
		       const struct l3_exec_opts *o, char **argv, struct l3_diag *diag)
{
	struct l3_cgroup_mount mnt;

	(void)cfg;
	if (l3_cgroup_find_mount(NULL, &mnt) < 0) {
		l3_error(diag, L3_NOPOS, "no cgroup2 file system is mounted");
		return L3_REFUSED;
	}
	if (l3_exec_mkdirs(mnt.path, ns->cgroup) < 0 || l3_exec_join(mnt.path, ns->cgroup) < 0) {
		l3_error(diag, ns->cgroup_pos, "joining cgroup %s/%s: %s", mnt.path, ns->cgroup,
			 strerror(errno));
		return L3_REFUSED;
	}
	if (l3_exec_seal(mnt.path) < 0) {
		l3_error(diag, L3_NOPOS, "making %s read-only for the command: %s", mnt.path,
			 strerror(errno));
		return L3_REFUSED;
	}
	if (l3_exec_drop(CAP_NET_ADMIN) < 0 || l3_exec_drop(CAP_SYS_ADMIN) < 0 ||
	    (!o->keep_net_raw && l3_exec_drop(CAP_NET_RAW) < 0)) {
		l3_error(diag, L3_NOPOS, "dropping capabilities: %s", strerror(errno));
		return L3_REFUSED;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		l3_error(diag, L3_NOPOS, "no_new_privs: %s", strerror(errno));
		return L3_REFUSED;
	}
	execvp(argv[0], argv);
	l3_error(diag, L3_NOPOS, "%s: %s", argv[0], strerror(errno));
	return errno == ENOENT ? L3_INVALID : L3_REFUSED;
}
