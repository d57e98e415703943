/*
 * l3nftd: fans broadcast and multicast out to the namespaces that
 * registered for it, and keeps the host as the policy says (cgroup ids,
 * addresses). One epoll loop over the queue socket, the control socket
 * and its clients, a signalfd, the cgroup watcher and the rtnetlink
 * watch; signals only become events in that loop.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <syslog.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include "l3nft/kernel/ctl.h"
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include "l3nft/kernel/live.h"
#include "l3nft/kernel/nl_sock.h"
#include "l3nft/kernel/rundir.h"
#include "l3nftd.h"

#define L3D_RETRY_MS 20		/* a cgroup fix put off by an apply holding the lock */

/* systemd's notify protocol, without libsystemd: one datagram. */
static void l3d_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sun.sun_path))
		return;
	strcpy(sun.sun_path, path);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, state, strlen(state), 0, (struct sockaddr *)&sun, len);
	close(fd);
}

/* The policy's errors, one log line each (stderr may be /dev/null). */
static void l3d_diag_log(struct l3_diag *diag)
{
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return;
	l3_diag_print(diag, f);
	fclose(f);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		l3d_say(LOG_ERR, "%s", line);
	free(text);
}

/* Loads the policy and its table layout; NULL-safe replacement of d->cfg.
 * The layout is the dynamic sets' declarations only: the daemon changes
 * elements, never rules, and the whole IR of 10,000 namespaces was most
 * of its memory. */
static int l3d_load(struct l3d *d)
{
	struct l3_ir_opts iro = { .dynamic_sets_only = true };
	struct l3_diag diag;
	struct l3_cfg *cfg;
	struct l3_ir *ir;

	l3_diag_init(&diag, d->cfg_file);
	cfg = l3_cfg_load(d->cfg_file, &diag);
	l3d_diag_log(&diag);
	l3_diag_fini(&diag);
	if (!cfg)
		return -1;
	iro.cgroup_mount = d->mnt.path;
	iro.cgroup_root_level = d->mnt.root_level;
	ir = l3_ir_build(cfg, &iro);
	if (!ir) {
		l3_cfg_free(cfg);
		return -1;
	}
	l3_ir_free(d->ir);
	l3_cfg_free(d->cfg);
	d->cfg = cfg;
	d->ir = ir;
	return 0;
}

/* The listen set elements of @lv as destinations, sorted into d->kset. */
static int l3d_read_kset(struct l3d *d, const struct l3_live *lv)
{
	size_t i;

	free(d->kset);
	d->kset = calloc(lv->nelems + 1, sizeof(*d->kset));
	d->nkset = 0;
	if (!d->kset)
		return -1;
	for (i = 0; i < lv->nelems; i++) {
		const struct l3_live_elem *e = &lv->elems[i];
		struct l3d_dest *x = &d->kset[d->nkset];
		bool v4 = !strcmp(e->set, L3_IR_SET_LISTEN4);

		if ((!v4 && strcmp(e->set, L3_IR_SET_LISTEN6)) || e->len != (v4 ? 8u : 20u))
			continue;
		x->family = v4 ? AF_INET : AF_INET6;
		memcpy(&x->a, e->key, v4 ? 4 : 16);
		x->port = (uint16_t)(e->key[v4 ? 4 : 16] << 8 | e->key[v4 ? 5 : 17]);
		d->nkset++;
	}
	qsort(d->kset, d->nkset, sizeof(*d->kset), l3d_dest_cmp);
	return 0;
}

/* What the table holds now: the namespaces' ids and listen elements (its
 * cgroup ids are read where they are fixed, cgroups.c). Only that part of
 * the table is read (no rule text). */
int l3d_table_read(struct l3d *d)
{
	struct l3_live lv;
	int rc = -1;

	if (l3_live_read_state(d->nft, d->cfg->table, &lv) < 0)
		return -1;
	if (!lv.exists) {
		l3_live_free(&lv);
		errno = ENOENT;
		return -1;
	}
	free(d->ids);
	d->ids = calloc(d->cfg->nns + 1, sizeof(*d->ids));
	if (d->ids && l3_live_ids(&lv, d->cfg, d->ids) == 0 && l3d_read_kset(d, &lv) == 0)
		rc = 0;
	l3_live_free(&lv);
	return rc;
}

/* Loading a policy parses its YAML tree (twice the model's size at 10,000
 * namespaces) and reads the table: give the freed pages back, or they stay
 * in the daemon's RSS for as long as it runs. */
static void l3d_trim(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/* Registry from the policy plus what was saved; then the table. */
static int l3d_registry_init(struct l3d *d)
{
	struct l3d_reg *old = d->reg.v;
	size_t nold = d->reg.n, i;
	const char *why;

	free(d->reg.routes);	/* it points into the old policy */
	memset(&d->reg, 0, sizeof(d->reg));
	if (l3d_reg_load_static(d) < 0)
		return -1;
	/* on reload: keep the dynamic registrations still valid */
	for (i = 0; i < nold; i++)
		if (old[i].dynamic && l3d_reg_add(d, old[i].name, &old[i].spec, true, &why) < 0 &&
		    strcmp(why, "already registered"))
			l3d_log("reload", "dropping registration of %s: %s", old[i].name, why);
	free(old);
	if (nold == 0)
		l3d_reg_load_dynamic(d);
	return 0;
}

/* A changed `queue` or `fail_open` takes a new queue binding: closing
 * the socket unbinds the old queue, a new one binds with the new flags. */
static void l3d_requeue(struct l3d *d, uint16_t old_queue, bool old_fail_open)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (d->cfg->queue == old_queue && d->cfg->fail_open == old_fail_open)
		return;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, mnl_socket_get_fd(d->nfq), NULL);
	mnl_socket_close(d->nfq);
	d->nfq = NULL;
	if (l3d_queue_open(d) < 0) {
		l3d_say(LOG_ERR, "reload: binding queue %u: %s; restart l3nftd", d->cfg->queue,
			strerror(errno));
		if (d->nfq)
			mnl_socket_close(d->nfq);
		d->nfq = NULL;
		return;
	}
	ev.data.fd = mnl_socket_get_fd(d->nfq);
	epoll_ctl(d->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev);
	l3d_say(LOG_NOTICE, "reload: queue %u -> %u, fail_open %s -> %s: re-bound", old_queue,
		d->cfg->queue, old_fail_open ? "true" : "false",
		d->cfg->fail_open ? "true" : "false");
}

static int l3d_reload(struct l3d *d)
{
	uint16_t old_queue = d->cfg->queue;
	bool old_fail_open = d->cfg->fail_open;

	l3d_notify("RELOADING=1");
	l3d_say(LOG_NOTICE, "reload: reading %s", d->cfg_file);
	if (l3d_load(d) < 0) {
		l3d_say(LOG_ERR, "reload: the policy did not load; keeping the old one");
		l3d_notify("READY=1");
		return -1;
	}
	l3d_requeue(d, old_queue, old_fail_open);
	if (l3d_cgroups_open(d) < 0 || l3d_table_read(d) < 0)
		l3d_log("reload", "reading table inet %s: %s", d->cfg->table, strerror(errno));
	l3d_registry_init(d);
	l3d_reg_sync(d);
	l3d_reg_save(d);
	/* read again under the apply lock: an apply may have run meanwhile */
	l3d_cgroups_mark_all(d, true);
	l3d_cgroups_reconcile(d);
	l3d_addrs_sync(d);
	l3d_trim();
	l3d_notify("READY=1");
	l3d_say(LOG_NOTICE, "reload: done, %zu namespaces, %zu registrations", d->cfg->nns,
		d->reg.n);
	return 0;
}

static int l3d_signals(struct l3d *d)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	d->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sig_fd < 0)
		return -1;
	ev.data.fd = d->sig_fd;
	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->sig_fd, &ev);
}

static void l3d_signal(struct l3d *d)
{
	struct signalfd_siginfo si;

	while (read(d->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			l3d_reload(d);
		else
			d->stop = true;
	}
}

static int l3d_setup_locked(struct l3d *d);
static int l3d_setup_table(struct l3d *d);

static int l3d_setup(struct l3d *d)
{
	if (l3_cgroup_find_mount(NULL, &d->mnt) < 0) {
		l3d_say(LOG_ERR, "no cgroup2 mount");
		return -1;
	}
	if (l3d_load(d) < 0)
		return -1;
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->nft = l3_nl_open();
	if (d->epfd < 0 || !d->nft || l3d_signals(d) < 0 || l3d_cgroups_open(d) < 0) {
		l3d_say(LOG_ERR, "setup: %s", strerror(errno));
		return -1;
	}
	return l3d_setup_locked(d);
}

/*
 * The part of the setup that reads the table and writes its listen sets,
 * under the apply lock until the control socket is open: an apply that
 * ran before it cannot change the table between this read and the
 * reconcile, and one that runs after finds the socket and tells us
 * (resync). So the table is read once at start-up, not twice.
 */
static int l3d_setup_locked(struct l3d *d)
{
	int lock = l3_rundir_lock(), rc;

	if (lock < 0)
		l3d_log("lock", "the apply lock in %s: %s; starting without it", l3_rundir(),
			strerror(errno));
	rc = l3d_setup_table(d);
	if (lock >= 0)
		close(lock);
	if (rc < 0)
		return -1;
	/* the cgroup ids against the member elements, under the lock again */
	l3d_cgroups_mark_all(d, lock < 0);
	l3d_cgroups_reconcile(d);
	l3d_steer_check(d);
	l3d_trim();
	return 0;
}

static int l3d_setup_table(struct l3d *d)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (l3d_table_read(d) < 0) {
		l3d_say(LOG_ERR, "table inet %s: %s (run `l3nft apply` first)", d->cfg->table,
			strerror(errno));
		return -1;
	}
	if (l3d_deliver_open(d) < 0 || l3d_queue_open(d) < 0) {
		l3d_say(LOG_ERR, "queue %u: %s", d->cfg->queue, strerror(errno));
		return -1;
	}
	ev.data.fd = mnl_socket_get_fd(d->nfq);
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0 || l3d_control_open(d) < 0) {
		l3d_say(LOG_ERR, "control socket in %s: %s", l3_rundir(), strerror(errno));
		return -1;
	}
	if (l3d_addrs_open(d) < 0) {
		l3d_say(LOG_ERR, "rtnetlink: %s", strerror(errno));
		return -1;
	}
	l3d_registry_init(d);
	if (l3d_reg_sync(d) < 0)
		l3d_log("sync", "updating the listener sets failed");
	l3d_reg_save(d);
	return 0;
}

/* How long epoll may wait: a fix the apply lock put off is tried again
 * soon; otherwise until the next periodic re-check. */
static int l3d_timeout(const struct l3d *d, time_t last)
{
	time_t left = last + L3D_RESYNC_MS / 1000 - time(NULL);

	if (l3d_cgroups_pending(d))
		return L3D_RETRY_MS;
	return left <= 0 ? 0 : (int)left * 1000;
}

/* ---- systemd STATUS=: the live figures, sent when they change, at most
 * once per L3D_STATUS_MS (a fan-out burst changes them per packet) ---- */

#define L3D_STATUS_MS 1000

struct l3d_status {
	char last[512];		/* what systemd was told last */
	int64_t checked;	/* when the figures were last looked at (ms) */
	bool dirty;		/* something happened since */
};

static int64_t l3d_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void l3d_status_text(const struct l3d *d, char *buf, size_t len)
{
	struct l3_ctl_stats st;

	l3d_control_stats(d, &st, false);
	snprintf(buf, len, "STATUS=%zu namespaces, %llu registrations; fan-out: %llu queued, "
		 "%llu copies, %llu send errors, %llu queue overflows; %llu refused requests, "
		 "%llu cgroup id updates, %llu addresses restored", d->cfg->nns,
		 (unsigned long long)st.registrations, (unsigned long long)st.queued,
		 (unsigned long long)st.copies, (unsigned long long)st.send_errors,
		 (unsigned long long)st.overflows, (unsigned long long)st.refused_requests,
		 (unsigned long long)st.cgroup_updates, (unsigned long long)st.addresses_restored);
}

/* Tells systemd the figures if they changed and the last look is
 * L3D_STATUS_MS old; returns how long epoll may sleep before the next
 * look is due (-1: nothing pending). */
static int l3d_status_tick(const struct l3d *d, struct l3d_status *s)
{
	char now_text[sizeof(s->last)];
	int64_t now = l3d_now_ms();

	if (!s->dirty)
		return -1;
	if (now - s->checked < L3D_STATUS_MS)
		return (int)(L3D_STATUS_MS - (now - s->checked));
	s->checked = now;
	s->dirty = false;
	l3d_status_text(d, now_text, sizeof(now_text));
	if (strcmp(now_text, s->last)) {
		memcpy(s->last, now_text, sizeof(s->last));
		if (getenv("NOTIFY_SOCKET"))
			l3d_notify(s->last);
	}
	return -1;
}

static void l3d_loop(struct l3d *d)
{
	struct l3d_status status = { .dirty = true, .checked = -L3D_STATUS_MS };
	struct epoll_event evs[32];
	time_t last = time(NULL);
	int n, i, wait, tick;

	while (!d->stop) {
		/* the earliest of: STATUS= due, a fix the lock put off, the
		 * periodic re-check */
		tick = l3d_status_tick(d, &status);
		wait = l3d_timeout(d, last);
		if (tick >= 0 && tick < wait)
			wait = tick;
		tick = l3d_steer_run(d);
		if (tick >= 0 && tick < wait)
			wait = tick;
		n = epoll_wait(d->epfd, evs, 32, wait);
		if (n < 0 && errno != EINTR)
			break;
		/* by the clock, not by an idle loop: a busy queue must not
		 * keep the re-check from running */
		if (time(NULL) - last >= L3D_RESYNC_MS / 1000) {
			last = time(NULL);
			l3d_cgroups_mark_all(d, false);
			l3d_control_sweep(d);
			l3d_addrs_sync(d);	/* events can be lost (ENOBUFS) */
			l3d_steer_check(d);
			status.dirty = true;
		}
		if (n > 0)
			status.dirty = true;
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (d->nfq && fd == mnl_socket_get_fd(d->nfq))
				l3d_queue_run(d);
			else if (fd == d->rt_fd)
				l3d_addrs_event(d);
			else if (fd == d->sig_fd)
				l3d_signal(d);
			else if (fd == d->ctl_fd)
				l3d_control_accept(d);
			else if (fd == d->ino_fd)
				l3d_cgroups_event(d);
			else if (l3d_steer_owns(d, fd))
				l3d_steer_event(d);
			else
				l3d_control_client(d, fd);
		}
		l3d_cgroups_reconcile(d);
	}
}

/* Everything l3nftd holds, so a stop under LeakSanitizer is clean. */
static void l3d_free(struct l3d *d)
{
	size_t i;

	l3d_groups_free(d);
	l3d_steer_free(d);
	l3d_reg_free(&d->reg);
	free(d->kset);
	free(d->ids);
	l3d_cgroups_free(d);
	l3d_addrs_close(d);
	l3d_control_free(d);
	l3d_deliver_close(d);
	l3_ir_free(d->ir);
	l3_cfg_free(d->cfg);
	if (d->nfq)
		mnl_socket_close(d->nfq);
	if (d->nft)
		mnl_socket_close(d->nft);
	for (i = 0; i < 6; i++) {
		int fd = i == 0 ? d->raw4 : i == 1 ? d->raw6 : i == 2 ? d->ctl_fd
			 : i == 3 ? d->sig_fd : i == 4 ? d->ino_fd : d->reserve_fd;

		if (fd >= 0)
			close(fd);
	}
	if (d->epfd >= 0)
		close(d->epfd);
	free((char *)d->cfg_file);
}

static void l3d_usage(FILE *out)
{
	fprintf(out, "usage: l3nftd [-c FILE] [-f] [-h] [-V]\n"
		     "  -c, --config FILE  the policy (default %s)\n"
		     "  -f, --foreground   stay in the foreground (systemd runs it so);\n"
		     "                     without it l3nftd forks once set up and logs\n"
		     "                     to syslog\n"
		     "  -h, --help         this text\n"
		     "  -V, --version      the version\n",
		L3_CFG_DEFAULT_FILE);
}

/*
 * Background mode forks BEFORE setup: the signalfd, the sockets and the
 * blocked signal mask then belong to the process that runs the loop (made
 * before a fork, SIGTERM and SIGHUP would stay pending in a child that never
 * reads them). The parent waits on a pipe for the child's verdict on setup
 * and exits with it, so `l3nftd` still fails visibly when the policy is bad.
 * Returns the pipe's write end in the child (-1 in the foreground).
 */
static int l3d_background(void)
{
	int p[2];
	char st = 2;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -2;
	pid = fork();
	if (pid < 0)
		return -2;
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &st, 1) != 1)
			st = 2;
		_exit(st);
	}
	close(p[0]);
	if (setsid() < 0 || chdir("/") < 0)
		return -2;
	return p[1];
}

/* Setup is over: tell the waiting parent, let go of the terminal. */
static void l3d_detach(int ready_fd, char status)
{
	int null;

	if (ready_fd < 0)
		return;
	if (write(ready_fd, &status, 1) != 1)
		status = 2;
	close(ready_fd);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
}

/* Every registration's membership and every client costs a descriptor:
 * take all the hard limit allows (the quotas bound what tenants use). */
static void l3d_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int l3d_args(int argc, char **argv, struct l3d *d, bool *foreground)
{
	/* the long names l3nft's commands use (l3nft(8)) */
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:fhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d->cfg_file = optarg;
			break;
		case 'f':
			*foreground = true;
			break;
		case 'h':
			l3d_usage(stdout);
			return 0;
		case 'V':
			printf("l3nftd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			l3d_usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		l3d_usage(stderr);
		return 1;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct l3d d = { .cfg_file = L3_CFG_DEFAULT_FILE, .raw4 = -1, .raw6 = -1,
			 .ctl_fd = -1, .sig_fd = -1, .ino_fd = -1, .epfd = -1, .rt_fd = -1,
			 .reserve_fd = -1 };
	bool foreground = false;
	const char *given;
	int rc, ready_fd = -1;

	/* no core dumps, no ptrace or /proc/PID/fd by the daemon's uid peers:
	 * its raw sockets and netlink sockets stay its own */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* whatever the starter left open (a shell's saved descriptors) is not
	 * ours to keep, nor to hand on */
	close_range(3, ~0u, 0);
	l3d_raise_nofile();
	d.started = (time_t)(l3d_now_ms() / 1000);
	rc = l3d_args(argc, argv, &d, &foreground);
	if (rc >= 0)
		return rc;
	/* the loop runs in / (background): keep the policy reachable for SIGHUP */
	given = d.cfg_file;
	d.cfg_file = realpath(given, NULL);
	if (!d.cfg_file) {
		fprintf(stderr, "l3nftd: %s: %s\n", given, strerror(errno));
		return 2;
	}
	if (!foreground) {
		ready_fd = l3d_background();
		if (ready_fd == -2) {
			perror("l3nftd: going to the background");
			return 2;
		}
	}
	/* setup errors still reach the terminal; syslog once detached */
	l3d_log_init(false);
	if (l3d_setup(&d) < 0) {
		l3d_detach(ready_fd, 2);
		l3d_free(&d);
		return 2;
	}
	if (!foreground) {
		l3d_detach(ready_fd, 0);
		l3d_log_init(true);
	}
	l3d_notify("READY=1");
	l3d_say(LOG_NOTICE, "ready on queue %u, %zu registrations, pid %d", d.cfg->queue, d.reg.n,
		(int)getpid());
	/* the policy's addresses are apply's to add: l3nftd puts back what
	 * went missing, which need not hold up READY (a dump of 20,000
	 * addresses was a quarter of the start-up) */
	l3d_addrs_sync(&d);
	l3d_trim();
	l3d_loop(&d);
	l3d_notify("STOPPING=1");
	{
		char path[108];

		if (l3_runpath(path, sizeof(path), L3_CONTROL_NAME))
			unlink(path);
	}
	l3d_say(LOG_NOTICE, "stopping: %llu queued, %llu copies delivered, %llu with no listener, "
			    "%llu send errors, %llu overflows, %llu for another link",
		(unsigned long long)d.st.queued, (unsigned long long)d.st.delivered,
		(unsigned long long)d.st.dropped_nobody, (unsigned long long)d.st.send_errors,
		(unsigned long long)d.st.enobufs, (unsigned long long)d.st.other_link);
	l3d_free(&d);
	return 0;
}
