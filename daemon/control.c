/*
 * The control socket: SOCK_SEQPACKET in the runtime directory, one request
 * per message (include/l3nft/kernel/ctl.h). Every tenant is assumed hostile:
 *
 *  - Who: SO_PEERCRED gives the uid and the pid at connect time; the
 *    cgroup is read later from /proc/PID. A pidfd taken at accept time
 *    (SO_PEERPIDFD, Linux 6.5; else pidfd_open) pins that process: after
 *    reading /proc we check the pidfd's process is still alive, so a
 *    recycled PID (the connecting process gone, another one in another
 *    cgroup now under its number) is refused, never believed.
 *  - An administrator (root with CAP_NET_ADMIN) may register for any
 *    namespace, anyone else only for the namespace whose cgroup holds it;
 *    both only what the namespace's allow-list and quota admit (registry.c).
 *  - Descriptors: non-administrator connections are capped per uid and in
 *    all (max_clients_per_uid, max_clients); idle ones are closed after
 *    L3D_CLIENT_IDLE seconds; at EMFILE a reserve descriptor is given up to
 *    accept the connection and close it, so the listening socket does not
 *    stay readable and spin the loop.
 *  - Replies are sent without blocking; a client that does not read its
 *    replies is dropped, so it cannot stall the daemon.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "l3nft/kernel/ctl.h"
#include "l3nft/kernel/rundir.h"
#include "l3nftd.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77		/* Linux 6.5; not in glibc 2.36's headers */
#endif

#define L3D_CLIENT_IDLE 10	/* seconds a connection may sit without a request */
#define L3D_ADMIN_CLIENTS 256	/* administrators' connections, counted apart */

struct l3d_client {
	int fd;
	int pidfd;		/* the connecting process; -1 when none could be had */
	pid_t pid;
	uid_t uid;
	bool admin;		/* at accept time; checked again per request */
	time_t last;		/* of the last request, for the idle limit */
};

static int l3d_reserve(struct l3d *d)
{
	if (d->reserve_fd < 0)
		d->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return d->reserve_fd;
}

int l3d_control_open(struct l3d *d)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	mode_t old;

	/* the directory stays traversable: non-root clients register too */
	if (mkdir(l3_rundir(), 0755) < 0 && errno != EEXIST)
		return -1;
	if (!l3_runpath(sun.sun_path, sizeof(sun.sun_path), L3_CONTROL_NAME)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	unlink(sun.sun_path);
	d->ctl_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->ctl_fd < 0)
		return -1;
	old = umask(0111);
	if (bind(d->ctl_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		umask(old);
		return -1;
	}
	umask(old);
	if (listen(d->ctl_fd, 64) < 0 || l3d_reserve(d) < 0)
		return -1;
	ev.data.fd = d->ctl_fd;
	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->ctl_fd, &ev);
}

static struct l3d_client *l3d_client_find(struct l3d *d, int fd)
{
	size_t i;

	for (i = 0; i < d->nclients; i++)
		if (d->clients[i].fd == fd)
			return &d->clients[i];
	return NULL;
}

static void l3d_close_client(struct l3d *d, int fd)
{
	struct l3d_client *c = l3d_client_find(d, fd);

	epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	if (!c)
		return;
	if (c->pidfd >= 0)
		close(c->pidfd);
	*c = d->clients[--d->nclients];
}

void l3d_control_free(struct l3d *d)
{
	while (d->nclients)
		l3d_close_client(d, d->clients[0].fd);
	free(d->clients);
	d->clients = NULL;
	d->cap_clients = 0;
}

/* Root with CAP_NET_ADMIN administers the host and may register for any
 * namespace; root inside a namespace (`l3nft exec` drops that capability)
 * is a tenant like any other user. -1 when /proc could not be read. */
static int l3d_peer_admin(pid_t pid, uid_t uid)
{
	char path[64], line[256];
	unsigned long long eff = 0;
	FILE *f;

	if (uid != 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff >> 12) & 1;		/* CAP_NET_ADMIN */
}

/* The connecting process, pinned: SO_PEERPIDFD, else a pidfd opened now
 * (which a PID reuse before this point would fool; the kernel's is exact). */
static int l3d_peer_pidfd(int fd, pid_t pid)
{
	int pidfd = -1;
	socklen_t len = sizeof(pidfd);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 && pidfd >= 0) {
		fcntl(pidfd, F_SETFD, FD_CLOEXEC);
		return pidfd;
	}
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Still the process that connected? (A live pidfd means its PID was not
 * reused, so what /proc/PID said before this call was about it.) */
static bool l3d_peer_alive(const struct l3d_client *c)
{
	return c->pidfd >= 0 &&
	       syscall(SYS_pidfd_send_signal, c->pidfd, 0, NULL, 0) == 0;
}

/* Counts the non-administrator connections, all and of @uid. */
static void l3d_client_count(const struct l3d *d, uid_t uid, size_t *all, size_t *mine,
			     size_t *admins)
{
	size_t i;

	*all = *mine = *admins = 0;
	for (i = 0; i < d->nclients; i++) {
		if (d->clients[i].admin) {
			(*admins)++;
			continue;
		}
		(*all)++;
		if (d->clients[i].uid == uid)
			(*mine)++;
	}
}

/* Closes the connections that sent nothing for L3D_CLIENT_IDLE seconds. */
void l3d_control_sweep(struct l3d *d)
{
	time_t now = time(NULL);
	size_t i = 0;

	while (i < d->nclients) {
		if (now - d->clients[i].last >= L3D_CLIENT_IDLE)
			l3d_close_client(d, d->clients[i].fd);	/* moves the last one to i */
		else
			i++;
	}
}

/* Refuses a connection with a reason the client can read. */
static void l3d_refuse(struct l3d *d, int fd, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void l3d_refuse(struct l3d *d, int fd, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	int n;

	d->st.refused_connections++;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n > 0)
		send(fd, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1,
		     MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

/* Out of descriptors: take the connection with the reserve one and close
 * it, so the client hears "no" and the listening socket is drained. */
static void l3d_accept_emfile(struct l3d *d)
{
	int fd;

	if (d->reserve_fd >= 0) {
		close(d->reserve_fd);
		d->reserve_fd = -1;
	}
	fd = accept4(d->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		l3d_refuse(d, fd, "error: l3nftd is out of file descriptors (%zu connections); "
			       "try again later\n", d->nclients);
	l3d_reserve(d);
	l3d_logp(LOG_ERR, "emfile", "refused a control connection: out of file descriptors "
		 "(%zu connections open)", d->nclients);
}

/* The limits of @c's uid; false (and @c's socket closed) when over. */
static bool l3d_client_admit(struct l3d *d, struct l3d_client *c)
{
	size_t all, mine, admins;

	l3d_client_count(d, c->uid, &all, &mine, &admins);
	if (c->admin && admins < L3D_ADMIN_CLIENTS)
		return true;
	if (!c->admin && mine >= d->cfg->max_clients_per_uid) {
		l3d_logp(LOG_WARNING, "refused", "refused a control connection of uid %u pid %d: "
			 "%zu open (max_clients_per_uid)", (unsigned)c->uid, (int)c->pid, mine);
		l3d_refuse(d, c->fd, "error: too many control connections for uid %u "
				  "(max_clients_per_uid %u)\n", (unsigned)c->uid,
			   (unsigned)d->cfg->max_clients_per_uid);
		return false;
	}
	if (c->admin || all >= d->cfg->max_clients) {
		l3d_logp(LOG_WARNING, "refused", "refused a control connection of uid %u pid %d: "
			 "%zu open (max_clients)", (unsigned)c->uid, (int)c->pid, all);
		l3d_refuse(d, c->fd, "error: too many control connections (%zu; max_clients %u)\n",
			   c->admin ? admins : all,
			   c->admin ? (unsigned)L3D_ADMIN_CLIENTS : (unsigned)d->cfg->max_clients);
		return false;
	}
	return true;
}

static int l3d_client_push(struct l3d *d, const struct l3d_client *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = c->fd };

	if (d->nclients == d->cap_clients) {
		size_t cap = d->cap_clients ? d->cap_clients * 2 : 16;
		void *p = realloc(d->clients, cap * sizeof(*d->clients));

		if (!p)
			return -1;
		d->clients = p;
		d->cap_clients = cap;
	}
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		return -1;
	d->clients[d->nclients++] = *c;
	return 0;
}

static void l3d_accept_one(struct l3d *d, int fd)
{
	struct l3d_client c = { .fd = fd, .pidfd = -1, .last = time(NULL) };
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	/* room for a whole `list` reply, so a client that reads only after
	 * its request is answered is not mistaken for a stalled one */
	int sz = 8 << 20;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
		l3d_refuse(d, fd, "error: cannot tell who you are\n");
		return;
	}
	c.pid = cred.pid;
	c.uid = cred.uid;
	c.admin = l3d_peer_admin(cred.pid, cred.uid) == 1;
	if (!l3d_client_admit(d, &c))
		return;
	c.pidfd = l3d_peer_pidfd(fd, cred.pid);
	/* ESRCH: the process is gone already; its requests will be refused
	 * as such. Otherwise no request could be told from a PID reuse. */
	if (c.pidfd < 0 && errno != ESRCH) {
		l3d_logp(LOG_ERR, "refused", "refused a control connection of uid %u pid %d: "
			 "no pidfd: %s", (unsigned)c.uid, (int)c.pid, strerror(errno));
		l3d_refuse(d, fd, "error: cannot pin the connecting process: %s\n", strerror(errno));
		return;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (l3d_client_push(d, &c) < 0) {
		if (c.pidfd >= 0)
			close(c.pidfd);
		close(fd);
	}
}

void l3d_control_accept(struct l3d *d)
{
	int fd;

	l3d_control_sweep(d);
	for (;;) {
		fd = accept4(d->ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			l3d_accept_one(d, fd);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE)
			l3d_accept_emfile(d);
		else if (errno == EINTR || errno == ECONNABORTED)
			continue;
		break;
	}
}

/* Is process @pid in the cgroup of @ns (or below it)? 1 yes, 0 no, -1
 * with errno when /proc could not be read. */
static int l3d_peer_in(pid_t pid, const struct l3_ns *ns)
{
	char path[64], line[4096];
	int in = 0;
	FILE *f;
	size_t n = strlen(ns->cgroup);

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *p;

		if (strncmp(line, "0::/", 4))
			continue;
		p = line + 4;
		line[strcspn(line, "\n")] = '\0';
		in = !strncmp(p, ns->cgroup, n) && (p[n] == '\0' || p[n] == '/');
	}
	fclose(f);
	return in;
}

/* Sends one reply message; false when the client cannot take it. */
static bool l3d_reply(int fd, const char *buf, size_t len)
{
	return send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)len;
}

static bool l3d_reply_list(struct l3d *d, int fd)
{
	char buf[L3_CTL_REPLY_MAX], spec[64];
	size_t len = 0, i, lines = 0;

	for (i = 0; i < d->reg.n; i++) {
		char line[128];
		int n;

		l3_listen_format(&d->reg.v[i].spec, spec, sizeof(spec));
		n = snprintf(line, sizeof(line), "%s %s %s\n", d->reg.v[i].name, spec,
			     d->reg.v[i].dynamic ? "dynamic" : "static");
		if (len + (size_t)n > sizeof(buf)) {
			if (!l3d_reply(fd, buf, len))
				return false;
			len = 0;
		}
		memcpy(buf + len, line, (size_t)n);
		len += (size_t)n;
		lines++;
	}
	if (len && !l3d_reply(fd, buf, len))
		return false;
	len = (size_t)snprintf(buf, sizeof(buf), "end %zu\n", lines);
	return l3d_reply(fd, buf, len);
}

/* ---- stats ---- */

/* Namespaces whose cgroup id in the table (as l3nftd put it there) is
 * not the cgroup's id now. A look per namespace: done at most once a
 * second, so a tenant asking for stats in a loop cannot make the daemon
 * stat() every cgroup per request. */
/* Namespaces whose ids in the table l3nftd could not fix at its last
 * check (against the table itself, see cgroups.c): a pending fix is not
 * counted, as it is made within milliseconds. */
static uint64_t l3d_stale_ids(const struct l3d *d)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; d->cg_stale && i < d->cfg->nns; i++)
		n += d->cg_stale[i];
	return n;
}

/* Per namespace: its registrations; and the stale ids. */
static int l3d_stats_ns(const struct l3d *d, struct l3_ctl_stats *st)
{
	size_t i;

	st->ns = calloc(d->cfg->nns + 1, sizeof(*st->ns));
	if (!st->ns)
		return -1;
	st->nns = d->cfg->nns;
	for (i = 0; i < d->cfg->nns; i++)
		snprintf(st->ns[i].name, sizeof(st->ns[i].name), "%s", d->cfg->ns[i].name);
	st->stale_ids = l3d_stale_ids(d);
	for (i = 0; i < d->reg.n; i++)
		if (d->reg.v[i].ns)
			st->ns[d->reg.v[i].ns - d->cfg->ns].registrations++;
	return 0;
}

int l3d_control_stats(const struct l3d *d, struct l3_ctl_stats *st, bool full)
{
	struct timespec now;

	memset(st, 0, sizeof(*st));
	clock_gettime(CLOCK_MONOTONIC, &now);
	st->uptime_seconds = (uint64_t)(now.tv_sec - d->started);
	st->queued = d->st.queued;
	st->copies = d->st.delivered;
	st->no_listener = d->st.dropped_nobody;
	st->send_errors = d->st.send_errors;
	st->other_link = d->st.other_link;
	st->overflows = d->st.enobufs;
	st->bad_packets = d->st.bad_packets;
	st->refused_requests = d->st.refused_requests;
	st->refused_connections = d->st.refused_connections;
	st->cgroup_updates = d->st.cgroup_updates;
	st->addresses_restored = d->st.addrs_restored;
	st->udp_bind_events = d->st.udp_binds;
	st->udp_walks = d->st.udp_walks;
	st->registrations = d->reg.n;
	return full ? l3d_stats_ns(d, st) : 0;
}

/* The stats reply: its lines in messages of at most L3_CTL_REPLY_MAX,
 * cut at line ends, then "end N". */
static bool l3d_reply_stats(struct l3d *d, int fd)
{
	struct l3_ctl_stats st;
	char *text = NULL, *p, end[32];
	size_t len = 0, lines = 0, n;
	FILE *mem = open_memstream(&text, &len);
	bool ok = mem && l3d_control_stats(d, &st, true) == 0;

	if (ok) {
		ok = l3_ctl_stats_format(&st, mem) == 0;
		l3_ctl_stats_free(&st);
	}
	if (mem)
		fclose(mem);
	for (p = text; ok && p < text + len; p += n) {
		const char *q = p, *nl;

		/* as many whole lines as fit one message */
		while ((nl = memchr(q, '\n', (size_t)(text + len - q))) &&
		       (size_t)(nl + 1 - p) <= L3_CTL_REPLY_MAX) {
			q = nl + 1;
			lines++;
		}
		n = (size_t)(q - p);
		ok = n > 0 && l3d_reply(fd, p, n);
	}
	free(text);
	if (!ok)
		return false;
	n = (size_t)snprintf(end, sizeof(end), "end %zu\n", lines);
	return l3d_reply(fd, end, n);
}

/* May client @c act for @ns? NULL, or the reason it may not (in @buf). */
static const char *l3d_authorize(const struct l3d_client *c, const struct l3_ns *ns,
				 char *buf, size_t len)
{
	int admin = l3d_peer_admin(c->pid, c->uid);
	int in = admin == 1 ? 1 : l3d_peer_in(c->pid, ns);

	int e = errno;

	/* after /proc was read: was it still the process that connected? */
	if (!l3d_peer_alive(c))
		return "the process that opened this connection has exited; "
		       "a connection cannot be handed on";
	if (admin < 0 || in < 0) {
		snprintf(buf, len, "cannot read /proc/%d of the connecting process: %s",
			 (int)c->pid, strerror(e));
		return buf;
	}
	if (!in)
		return "permission denied: only an administrator (root with CAP_NET_ADMIN) "
		       "may register for another namespace";
	return NULL;
}

static void l3d_note_reg(const struct l3d_client *c, const struct l3_ctl_req *req,
			 const char *why)
{
	char spec[64];
	const char *verb = req->verb == L3_CTL_LISTEN ? "listen" : "unlisten";

	l3_listen_format(&req->spec, spec, sizeof(spec));
	if (why)
		l3d_logp(LOG_WARNING, "refused", "refused %s %s %s from uid %u pid %d: %s", verb,
			 req->name, spec, (unsigned)c->uid, (int)c->pid, why);
	else
		l3d_logp(LOG_NOTICE, verb, "%s %s %s by uid %u pid %d", verb, req->name, spec,
			 (unsigned)c->uid, (int)c->pid);
}

static const char *l3d_handle(struct l3d *d, const struct l3d_client *c,
			      const struct l3_ctl_req *req, char *buf, size_t len)
{
	const struct l3_ns *ns = l3_cfg_find_ns(d->cfg, req->name);
	const char *why = NULL;
	int rc;

	if (!ns)
		return "no such namespace in the policy";
	why = l3d_authorize(c, ns, buf, len);
	if (why)
		return why;
	rc = req->verb == L3_CTL_LISTEN ? l3d_reg_add(d, req->name, &req->spec, true, &why)
					: l3d_reg_del(d, req->name, &req->spec, &why);
	if (rc < 0)
		return why;
	/* a new registration only adds: sync and save just that one, instead
	 * of rebuilding every set element, membership and the whole file */
	if (req->verb == L3_CTL_LISTEN) {
		const struct l3d_reg *r = &d->reg.v[d->reg.n - 1];

		if (l3d_reg_sync_one(d, r) < 0)
			l3d_log("sync", "updating the table after a registration failed");
		if (l3d_reg_save_one(d, r) < 0)
			l3d_log("save", "saving registrations: %s", strerror(errno));
		return NULL;
	}
	if (l3d_reg_sync(d) < 0)
		l3d_log("sync", "updating the table after a registration failed");
	if (l3d_reg_save(d) < 0)
		l3d_log("save", "saving registrations: %s", strerror(errno));
	return NULL;
}

/*
 * "resync": an apply replaced the table. Only an administrator may ask
 * (each costs a read of the whole table); the work is done before the
 * answer when the apply lock is free (apply asks after releasing it), so
 * `l3nft apply` returns with the ids already fixed.
 */
static const char *l3d_resync(struct l3d *d, const struct l3d_client *c)
{
	if (l3d_peer_admin(c->pid, c->uid) != 1 || !l3d_peer_alive(c))
		return "permission denied: only an administrator (root with CAP_NET_ADMIN) "
		       "may ask for a resync";
	l3d_cgroups_mark_all(d, true);
	if (l3d_cgroups_reconcile(d) < 0)
		return "resync failed (see l3nftd's log); it is tried again within 5 s";
	l3d_steer_check(d);	/* the socket layer may be attached anew */
	l3d_logp(LOG_INFO, "resync", "resync asked by uid %u pid %d", (unsigned)c->uid,
		 (int)c->pid);
	return NULL;
}

void l3d_control_client(struct l3d *d, int fd)
{
	char buf[L3_CTL_MAX + 1], reply[L3_CTL_MAX + 300], why_buf[256];
	struct l3d_client *c = l3d_client_find(d, fd);
	struct l3_ctl_req req;
	const char *why;
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n <= 0 || !c) {
		if (!c || n == 0 || (errno != EAGAIN && errno != EINTR))
			l3d_close_client(d, fd);
		return;
	}
	c->last = time(NULL);
	if ((size_t)n > L3_CTL_MAX || l3_ctl_parse(buf, (size_t)n, &req, &why) < 0) {
		if ((size_t)n > L3_CTL_MAX)
			why = "request too long";
		l3d_logp(LOG_WARNING, "refused", "refused a request from uid %u pid %d: %s",
			 (unsigned)c->uid, (int)c->pid, why);
	} else {
		if (req.verb == L3_CTL_LIST || req.verb == L3_CTL_STATS) {
			if (!(req.verb == L3_CTL_LIST ? l3d_reply_list(d, fd) : l3d_reply_stats(d, fd)))
				l3d_close_client(d, fd);
			return;
		}
		if (req.verb == L3_CTL_RESYNC) {
			why = l3d_resync(d, c);
		} else {
			why = l3d_handle(d, c, &req, why_buf, sizeof(why_buf));
			l3d_note_reg(c, &req, why);
		}
	}
	if (why) {
		d->st.refused_requests++;
		n = snprintf(reply, sizeof(reply), "error: %s\n", why);
	} else {
		n = snprintf(reply, sizeof(reply), "end 0\n");
	}
	if (!l3d_reply(fd, reply, (size_t)n))
		l3d_close_client(d, fd);
}
