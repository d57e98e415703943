/*
 * The control socket: SOCK_SEQPACKET in the runtime directory, one request
 * per message (include/l3nft/ctl.h). Peers are told apart by SO_PEERCRED:
 * an administrator (root with CAP_NET_ADMIN) may register for any
 * namespace, anyone else only for the namespace whose cgroup holds it. Replies are sent without blocking;
 * a client that does not read its replies is dropped, so it cannot stall
 * the daemon.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "l3nft/kernel/ctl.h"
#include "l3nft/kernel/rundir.h"
#include "l3nftd.h"

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
	if (listen(d->ctl_fd, 64) < 0)
		return -1;
	ev.data.fd = d->ctl_fd;
	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->ctl_fd, &ev);
}

void l3d_control_accept(struct l3d *d)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd;

	/* room for a whole `list` reply, so a client that reads only after
	 * its request is answered is not mistaken for a stalled one */
	int sz = 8 << 20;

	while ((fd = accept4(d->ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		ev.data.fd = fd;
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			close(fd);
	}
}

/* Is process @pid in the cgroup of @ns (or below it)? */
static bool l3d_peer_in(const struct l3d *d, pid_t pid, const struct l3_ns *ns)
{
	char path[64], line[4096];
	bool in = false;
	FILE *f;
	size_t n = strlen(ns->cgroup);

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (!(f = fopen(path, "re")))
		return false;
	while (fgets(line, sizeof(line), f)) {
		const char *p;

		if (strncmp(line, "0::/", 4))
			continue;
		p = line + 4;
		line[strcspn(line, "\n")] = '\0';
		in = !strncmp(p, ns->cgroup, n) && (p[n] == '\0' || p[n] == '/');
	}
	fclose(f);
	(void)d;
	return in;
}

/* Root with CAP_NET_ADMIN administers the host and may register for any
 * namespace; root inside a namespace (`l3nft exec` drops that capability)
 * is a tenant like any other user. */
static bool l3d_peer_admin(pid_t pid, uid_t uid)
{
	char path[64], line[256];
	unsigned long long eff = 0;
	FILE *f;

	if (uid != 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff >> 12) & 1;		/* CAP_NET_ADMIN */
}

static void l3d_close_client(struct l3d *d, int fd)
{
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
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

static const char *l3d_handle(struct l3d *d, int fd, const struct l3_ctl_req *req)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	const struct l3_ns *ns;
	const char *why = NULL;
	int rc;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0)
		return "cannot tell who you are";
	ns = l3_cfg_find_ns(d->cfg, req->name);
	if (!ns)
		return "no such namespace in the policy";
	if (!l3d_peer_admin(cred.pid, cred.uid) && !l3d_peer_in(d, cred.pid, ns))
		return "permission denied: only an administrator (root with CAP_NET_ADMIN) "
		       "may register for another namespace";
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

void l3d_control_client(struct l3d *d, int fd)
{
	char buf[L3_CTL_MAX + 1], reply[L3_CTL_MAX + 16];
	struct l3_ctl_req req;
	const char *why;
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	bool ok;

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			l3d_close_client(d, fd);
		return;
	}
	if ((size_t)n > L3_CTL_MAX) {
		why = "request too long";
	} else if (l3_ctl_parse(buf, (size_t)n, &req, &why) == 0) {
		if (req.verb == L3_CTL_LIST) {
			if (!l3d_reply_list(d, fd))
				l3d_close_client(d, fd);
			return;
		}
		why = l3d_handle(d, fd, &req);
	}
	if (why)
		n = snprintf(reply, sizeof(reply), "error: %s\n", why);
	else
		n = snprintf(reply, sizeof(reply), "end 0\n");
	ok = l3d_reply(fd, reply, (size_t)n);
	if (!ok)
		l3d_close_client(d, fd);
}
