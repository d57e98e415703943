/*
 * l3nft exec: enter a namespace with least privilege. A tenant's root is
 * treated as hostile, so the order matters:
 *  1. join the cgroup (needs the privileges about to be dropped);
 *  2. new mount, cgroup and PID namespaces; the cgroup2 file system is
 *     read-only in the mount namespace (cgroup.procs belongs to root, and
 *     without nsdelegate a cgroup namespace alone does not stop root from
 *     writing another cgroup's);
 *  3. fork: the child is PID 1 of the new PID namespace. It mounts a fresh
 *     /proc (host processes, their /proc/PID/root and their descriptors are
 *     out of reach), makes /sys, /proc/sys and the runtime directory of
 *     l3nftd read-only, keeps only the allowed capabilities in all five
 *     sets, switches user, sets no_new_privs, and forks the command;
 *  4. PID 1 stays as a reaper that passes signals on and exits with the
 *     command's status; so does the first process, outside.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include "l3nft/cli/exec.h"
#include "l3nft/compiler/caps.h"
#include "l3nft/kernel/cgroup.h"
#include "l3nft/kernel/rundir.h"

#define L3_EXEC_GROUPS_MAX 256

/* Who the command runs as, and with what. */
struct l3_exec_cred {
	bool switch_user;
	uid_t uid;
	gid_t gid;
	gid_t groups[L3_EXEC_GROUPS_MAX];
	int ngroups;
	uint64_t keep;		/* capabilities left (bit CAP_*) */
};

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

/* A decimal id, or -1. */
static long l3_exec_number(const char *s)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	return *end || errno || v < 0 || v > 0x7fffffffL ? -1 : v;
}

static int l3_exec_group(const char *name, gid_t *gid)
{
	struct group *gr = getgrnam(name);
	long n = l3_exec_number(name);

	if (gr)
		*gid = gr->gr_gid;
	else if (n >= 0)
		*gid = (gid_t)n;
	else
		return -1;
	return 0;
}

/* USER[:GROUP] into @c: the user's primary group unless GROUP is given,
 * and the user's supplementary groups. */
static int l3_exec_user(const char *spec, struct l3_exec_cred *c, const char **why)
{
	char user[72], *colon;
	struct passwd *pw;
	long n;

	if (snprintf(user, sizeof(user), "%s", spec) >= (int)sizeof(user)) {
		*why = "name too long";
		return -1;
	}
	colon = strchr(user, ':');
	if (colon)
		*colon++ = '\0';
	pw = getpwnam(user);
	n = l3_exec_number(user);
	if (!pw && n < 0) {
		*why = "no such user";
		return -1;
	}
	c->uid = pw ? pw->pw_uid : (uid_t)n;
	c->gid = pw ? pw->pw_gid : (gid_t)n;
	if (colon && l3_exec_group(colon, &c->gid) < 0) {
		*why = "no such group";
		return -1;
	}
	c->groups[0] = c->gid;
	c->ngroups = 1;
	if (pw) {
		c->ngroups = L3_EXEC_GROUPS_MAX;
		if (getgrouplist(pw->pw_name, c->gid, c->groups, &c->ngroups) < 0) {
			*why = "too many supplementary groups";
			return -1;
		}
	}
	c->switch_user = true;
	return 0;
}

/*
 * Root keeps the default set plus the policy's; another user only what
 * the policy (or --keep-net-raw) lists, raised as ambient capabilities.
 */
static enum l3_status l3_exec_cred_make(const struct l3_ns *ns, const struct l3_exec_opts *o,
					struct l3_exec_cred *c, struct l3_diag *diag)
{
	const char *spec = o->user ? o->user : ns->user, *why = NULL;
	uint64_t extra = ns->caps | (o->keep_net_raw ? 1ull << CAP_NET_RAW : 0);

	memset(c, 0, sizeof(*c));
	if (spec && l3_exec_user(spec, c, &why) < 0) {
		l3_error(diag, o->user ? L3_NOPOS : ns->user_pos, "user '%s': %s", spec, why);
		return L3_INVALID;
	}
	c->keep = c->switch_user && c->uid != 0 ? extra : l3_caps_default() | extra;
	return L3_OK;
}

/* The one-line warning of item 4 of the brief: say it loudly, once. */
static void l3_exec_warn_nsdelegate(const struct l3_cgroup_mount *mnt)
{
	if (!mnt->nsdelegate)
		fprintf(stderr, "l3nft exec: warning: cgroup2 at %s is mounted without nsdelegate; "
			"only the read-only mount and the dropped capabilities keep the command "
			"in its cgroup\n", mnt->path);
}

static int l3_exec_setattr_ro(const char *path, unsigned flags)
{
	struct {
		uint64_t attr_set, attr_clr, propagation, userns_fd;
	} attr = { .attr_set = 0x1 /* MOUNT_ATTR_RDONLY */ };

	return (int)syscall(SYS_mount_setattr, AT_FDCWD, path, flags, &attr, sizeof(attr));
}

/* @path and every mount below it read-only; a bind of itself first when
 * @bind, for a path that is not a mount point of its own. A path that does
 * not exist has nothing to protect. */
static int l3_exec_ro(const char *path, bool bind)
{
	if (access(path, F_OK) < 0)
		return errno == ENOENT ? 0 : -1;
	if (bind && mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -1;
	return l3_exec_setattr_ro(path, 0x8000 /* AT_RECURSIVE */);
}

/* Step 2: the namespaces, and cgroup2 read-only. Mounts the host makes
 * later still propagate in (slave). */
static int l3_exec_seal(const char *cgmount)
{
	if (unshare(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWPID) < 0)
		return -1;
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return -1;
	return mount(NULL, cgmount, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
		     MS_NODEV | MS_NOEXEC, NULL);
}

/* Step 3, in PID 1: what the command may see. The kernel's writable
 * switches under /proc follow the list container runtimes use. */
static int l3_exec_mounts(const char **what)
{
	static const char *const proc_ro[] = {
		"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs",
	};
	size_t i;

	*what = "/proc";
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -1;
	for (i = 0; i < L3_ARRAY_SIZE(proc_ro); i++) {
		*what = proc_ro[i];
		if (l3_exec_ro(proc_ro[i], true) < 0)
			return -1;
	}
	*what = "/sys";
	if (l3_exec_ro("/sys", false) < 0)
		return -1;
	/* l3nftd's control socket stays usable: connect() needs no write
	 * access to the mount, replacing or rewriting the files does. Made
	 * now if missing: one l3nftd makes later would be writable here. */
	*what = l3_rundir();
	if (mkdir(l3_rundir(), 0755) < 0 && errno != EEXIST)
		return -1;
	return l3_exec_ro(l3_rundir(), true);
}

static int l3_exec_capset(uint64_t keep)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	int i;

	for (i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(keep >> (32 * i));
		data[i].permitted = data[i].effective;
		data[i].inheritable = data[i].effective;
	}
	return (int)syscall(SYS_capset, &hdr, data);
}

/*
 * Bounding first (dropping needs CAP_SETPCAP, which goes with the rest),
 * then the user switch with PR_SET_KEEPCAPS so that the permitted set
 * survives setuid(2) long enough to set the kept ones; ambient last (it
 * needs them permitted and inheritable), only for a user other than root,
 * whose permitted set execve(2) would otherwise empty.
 */
static int l3_exec_creds(const struct l3_exec_cred *c, const char **what)
{
	int cap;

	*what = "dropping capabilities";
	for (cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (!(c->keep >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -1;
	*what = "switching user";
	if (c->switch_user) {
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
		    setgroups((size_t)c->ngroups, c->groups) < 0 ||
		    setresgid(c->gid, c->gid, c->gid) < 0 || setresuid(c->uid, c->uid, c->uid) < 0 ||
		    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
			return -1;
	}
	*what = "setting capabilities";
	if (l3_exec_capset(c->keep) < 0)
		return -1;
	for (cap = 0; c->switch_user && c->uid != 0 && cap < 64; cap++)
		if ((c->keep >> cap & 1) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return -1;
	*what = "no_new_privs";
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* The signals passed on to the command; the rest keep their defaults. */
static void l3_exec_sigset(sigset_t *set)
{
	static const int sigs[] = {
		SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGALRM, SIGCHLD,
	};
	size_t i;

	sigemptyset(set);
	for (i = 0; i < L3_ARRAY_SIZE(sigs); i++)
		sigaddset(set, sigs[i]);
}

/* The shell's convention: a command killed by signal N ends with 128+N. */
static int l3_exec_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * Waits for @child with the signals of l3_exec_sigset() blocked (blocked,
 * not handled: a PID 1 receives signals with no handler only so), passing
 * each on; reaps any other child too (PID 1 inherits orphans). Returns the
 * exit code for @child's end.
 */
static int l3_exec_relay(pid_t child, const sigset_t *set)
{
	siginfo_t si;
	pid_t pid;
	int status;

	for (;;) {
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			if (pid == child)
				return l3_exec_code(status);
		if (pid < 0 && errno == ECHILD)
			return 2;
		if (sigwaitinfo(set, &si) < 0)
			continue;
		if (si.si_signo != SIGCHLD)
			kill(child, si.si_signo);
	}
}

/* The command, with the signal mask it came with: 126 when it cannot be
 * run, 127 when it is not found, as env(1) says. */
static void l3_exec_command(char **argv, const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
	execvp(argv[0], argv);
	fprintf(stderr, "l3nft exec: %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT || errno == ENOTDIR ? 127 : 126);
}

/* The first process outside is killed: so is everything here. @outside
 * (a pidfd of it) closes the race of its dying before the prctl(). */
static void l3_exec_tie(int outside)
{
	struct pollfd p = { .fd = outside, .events = POLLIN };

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (outside >= 0 && poll(&p, 1, 0) > 0)
		_exit(2);
	if (outside >= 0)
		close(outside);
}

/* PID 1 of the new PID namespace: never returns. */
static void l3_exec_init(const struct l3_exec_cred *c, char **argv, const sigset_t *set,
			 const sigset_t *old, int outside)
{
	const char *what = NULL;
	pid_t pid;

	l3_exec_tie(outside);
	if (l3_exec_mounts(&what) < 0) {
		fprintf(stderr, "l3nft exec: making %s read-only: %s\n", what, strerror(errno));
		_exit(2);
	}
	if (l3_exec_creds(c, &what) < 0) {
		fprintf(stderr, "l3nft exec: %s: %s\n", what, strerror(errno));
		_exit(2);
	}
	/* the command may ptrace what it owns; this reaper is not for it */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "l3nft exec: fork: %s\n", strerror(errno));
		_exit(2);
	}
	if (pid == 0)
		l3_exec_command(argv, old);
	_exit(l3_exec_relay(pid, set));
}

/*
 * LeakSanitizer (the --enable-sanitizers build) stops the world with ptrace
 * when a process exits, which exec's PID namespace and PR_SET_DUMPABLE 0
 * forbid: it then dies with a fatal error and the wrong exit status. The
 * processes of exec skip the leak check; every other command keeps it.
 */
static int l3_exec_lsan_off;
int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return l3_exec_lsan_off;
}

int l3_exec(const struct l3_cfg *cfg, const struct l3_ns *ns, const struct l3_exec_opts *o,
	    char **argv, struct l3_diag *diag)
{
	struct l3_cgroup_mount mnt;
	struct l3_exec_cred cred;
	enum l3_status st;
	sigset_t set, old;
	int outside;
	pid_t pid;

	l3_exec_lsan_off = 1;

	(void)cfg;
	st = l3_exec_cred_make(ns, o, &cred, diag);
	if (st != L3_OK)
		return (int)st;
	if (l3_cgroup_find_mount(NULL, &mnt) < 0) {
		l3_error(diag, L3_NOPOS, "no cgroup2 file system is mounted");
		return L3_REFUSED;
	}
	l3_exec_warn_nsdelegate(&mnt);
	if (l3_cgroup_make(mnt.path, ns->cgroup) < 0 || l3_exec_join(mnt.path, ns->cgroup) < 0) {
		l3_error(diag, ns->cgroup_pos, "joining cgroup %s/%s: %s", mnt.path, ns->cgroup,
			 strerror(errno));
		return L3_REFUSED;
	}
	if (l3_exec_seal(mnt.path) < 0) {
		l3_error(diag, L3_NOPOS, "new namespaces, %s read-only: %s", mnt.path,
			 strerror(errno));
		return L3_REFUSED;
	}
	l3_exec_sigset(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	fflush(NULL);
	outside = (int)syscall(SYS_pidfd_open, getpid(), 0);	/* close-on-exec */
	pid = fork();
	if (pid < 0) {
		l3_error(diag, L3_NOPOS, "fork: %s", strerror(errno));
		return L3_REFUSED;
	}
	if (pid == 0)
		l3_exec_init(&cred, argv, &set, &old, outside);
	if (outside >= 0)
		close(outside);
	return l3_exec_relay(pid, &set);
}
