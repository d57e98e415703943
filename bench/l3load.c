/*
 * Small, bounded load generators for bench/run.sh. Every mode stops on its
 * own after at most the seconds it is given; nothing loops unbounded.
 *
 *   tcp-server ADDR PORT MAXSEC READY [CGDIR]
 *       accept and close at once, until MAXSEC; prints "accepted N"
 *   tcp-client ADDR PORT SECONDS [CGDIR]
 *       connect, wait for the server's close, reset; prints
 *       "conns N fails F secs T rate R"
 *   udp-sink ADDR PORT MAXSEC IDLEMS READY [CGDIR]
 *       counts datagrams from the first until IDLEMS of silence; prints
 *       "recv N secs T rate R"
 *   udp-send ADDR PORT SECONDS [CGDIR]
 *       sends 64-byte datagrams as fast as it can; prints "sent N"
 *   rr-server tcp|udp ADDR PORT MAXSEC READY [CGDIR]
 *       echoes 64-byte requests (TCP: on the connections it accepts),
 *       until MAXSEC; prints "echoed N"
 *   rr-client tcp|udp ADDR PORT SECONDS [CGDIR]
 *       one connection (TCP) or one connected socket (UDP): a 64-byte
 *       request, wait for its echo, again, for SECONDS: every packet after
 *       the first belongs to an established flow; prints
 *       "trans N secs T rate R us U p50us P p99us Q" (U: mean
 *       microseconds per round trip; P, Q: its percentiles)
 *   bulk-server ADDR PORT MAXSEC READY [CGDIR]
 *       accepts one connection, reads until EOF, closes; prints "bytes N"
 *   bulk-client ADDR PORT SECONDS [CGDIR]
 *       one TCP connection, writes 64 KiB blocks for SECONDS, shuts down
 *       its side and waits for the server's close (so every byte was
 *       read); prints "bytes N secs T gbps G"
 *   mc-send GROUP PORT SRCADDR SECONDS RATE...
 *       a paced multicast sender, one step per RATE (each SECONDS long,
 *       0.2 s apart, so a backlog can drain); payload step, seq, send time; prints per step
 *       "step S rate R sent N"
 *   fan-recv PORT MAXSEC IDLEMS READY [--join GROUP IFADDR] ADDR[@CGDIR]...
 *       one socket per ADDR, each created inside cgroup CGDIR (the
 *       process moves itself there first), bound to ADDR:PORT with
 *       SO_REUSEADDR; counts per step and socket, and latency; prints per
 *       step and socket "step S sock I recv N p50us X p99us Y"
 *   time OUT CMD [ARG...]
 *       runs CMD (its output passes through) and writes to OUT
 *       "wall_ms W maxrss_kb M user_ms U sys_ms S status X" (wait4's
 *       rusage of CMD, so ru_maxrss is its peak RSS); exits as CMD did
 *   ctl-bulk SOCKPATH MAXSEC FILE
 *       sends each line of FILE ("listen NAME SPEC") as one request on one
 *       connection; prints "at N secs T" every 500 and "done N errors E secs T"
 *   listen-lat SOCKPATH CGDIR ADDR PORT NAME SPEC TIMEOUTMS
 *       binds ADDR:PORT in CGDIR, registers NAME SPEC, and prints the time
 *       the reply took, and when the first datagram arrived (the kernel's
 *       receive timestamp) after the reply and after the request:
 *       "reply_ms R first_after_reply_ms A first_after_request_ms Q";
 *       then unregisters
 *
 * Build: cc -O2 -o l3load l3load.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXSOCK 16
#define MAXSTEP 16
#define MAXLAT (1 << 20)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "l3load: %s: %s\n", what, strerror(errno));
	exit(2);
}

static struct sockaddr_in sin_of(const char *addr, int port)
{
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	if (inet_pton(AF_INET, addr, &s.sin_addr) != 1) {
		fprintf(stderr, "l3load: bad address %s\n", addr);
		exit(2);
	}
	return s;
}

/* Moves this process into cgroup directory @dir (sockets made afterwards
 * belong to it). */
static void join_cgroup(const char *dir)
{
	char path[4200], pid[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (write(fd, pid, (size_t)n) != n)
		die(path);
	close(fd);
}

static void ready(const char *file)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		die(file);
	close(fd);
}

static int bound_socket(int type, const char *addr, int port)
{
	struct sockaddr_in s = sin_of(addr, port);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), on = 1;

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&s, sizeof(s)) < 0)
		die("bind");
	return fd;
}

/* ---- TCP connections per second ---- */

static int tcp_server(int argc, char **argv)
{
	double end;
	unsigned long n = 0;
	int fd;

	if (argc < 4)
		return 1;
	end = now_s() + atof(argv[2]);
	if (argc > 4)
		join_cgroup(argv[4]);
	fd = bound_socket(SOCK_STREAM, argv[0], atoi(argv[1]));
	if (listen(fd, 1024) < 0)
		die("listen");
	ready(argv[3]);
	while (now_s() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int c;

		if (poll(&p, 1, 100) <= 0)
			continue;
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c >= 0) {
			close(c);
			n++;
		}
	}
	printf("accepted %lu\n", n);
	return 0;
}

static int tcp_client(int argc, char **argv)
{
	struct sockaddr_in s;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	unsigned long n = 0, fails = 0;
	double t0, t, secs;
	char b[16];

	if (argc < 3)
		return 1;
	s = sin_of(argv[0], atoi(argv[1]));
	secs = atof(argv[2]);
	if (argc > 3)
		join_cgroup(argv[3]);
	t0 = now_s();
	do {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct timeval tv = { .tv_sec = 1 };

		if (fd < 0)
			die("socket");
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, (struct sockaddr *)&s, sizeof(s)) == 0 && read(fd, b, sizeof(b)) == 0)
			n++;
		else
			fails++;
		/* a reset, so no TIME_WAIT piles up in the client */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
		t = now_s() - t0;
	} while (t < secs && fails < 1000);
	printf("conns %lu fails %lu secs %.3f rate %.0f\n", n, fails, t, (double)n / t);
	return fails > n / 100 ? 3 : 0;
}

/* ---- request/reply on one established flow ---- */

#define RR_SIZE 64

static int rr_type(const char *proto)
{
	if (!strcmp(proto, "tcp"))
		return SOCK_STREAM;
	if (!strcmp(proto, "udp"))
		return SOCK_DGRAM;
	fprintf(stderr, "l3load: protocol %s: tcp or udp\n", proto);
	exit(2);
}

/* Reads exactly @n bytes of a stream; false on EOF, error or timeout. */
static int read_full(int fd, char *b, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, b + got, n - got);

		if (r <= 0)
			return 0;
		got += (size_t)r;
	}
	return 1;
}

/* Echoes what arrives on @fd (a connection, or the UDP socket); false
 * when a TCP connection ended. */
static int rr_echo(int fd, int type, unsigned long *n)
{
	char b[RR_SIZE];
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	ssize_t r;

	if (type == SOCK_STREAM) {
		if (!read_full(fd, b, sizeof(b)) || write(fd, b, sizeof(b)) != (ssize_t)sizeof(b))
			return 0;
	} else {
		r = recvfrom(fd, b, sizeof(b), 0, (struct sockaddr *)&peer, &plen);
		if (r <= 0 || sendto(fd, b, (size_t)r, 0, (struct sockaddr *)&peer, plen) != r)
			return 1;
	}
	(*n)++;
	return 1;
}

static int rr_server(int argc, char **argv)
{
	struct pollfd p[2];
	unsigned long n = 0;
	double end;
	int type, np;

	if (argc < 5)
		return 1;
	type = rr_type(argv[0]);
	end = now_s() + atof(argv[3]);
	if (argc > 5)
		join_cgroup(argv[5]);
	p[0].fd = bound_socket(type, argv[1], atoi(argv[2]));
	p[0].events = POLLIN;
	if (type == SOCK_STREAM && listen(p[0].fd, 16) < 0)
		die("listen");
	ready(argv[4]);
	np = 1;
	while (now_s() < end) {
		if (poll(p, (nfds_t)np, 100) <= 0)
			continue;
		if (np == 2 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !rr_echo(p[1].fd, type, &n)) {
			close(p[1].fd);
			np = 1;
		}
		if (!(p[0].revents & POLLIN))
			continue;
		if (type == SOCK_DGRAM) {
			rr_echo(p[0].fd, type, &n);
		} else if (np == 1) {	/* one client at a time */
			p[1].fd = accept4(p[0].fd, NULL, NULL, SOCK_CLOEXEC);
			p[1].events = POLLIN;
			np = p[1].fd >= 0 ? 2 : 1;
		}
	}
	printf("echoed %lu\n", n);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The @q quantile of @n samples (sorts them). */
static double quantile_us(uint32_t *v, unsigned long n, double q)
{
	if (!n)
		return 0.0;
	qsort(v, n, sizeof(*v), cmp_u32);
	return v[(unsigned long)(q * (double)(n - 1))] / 1e3;
}

static int rr_client(int argc, char **argv)
{
	static uint32_t lat[MAXLAT];	/* ns per round trip, the first MAXLAT */
	struct sockaddr_in s;
	struct timeval tv = { .tv_sec = 1 };
	char b[RR_SIZE], r[RR_SIZE];
	unsigned long n = 0;
	double t0, t = 0, secs;
	uint64_t t1;
	int type, fd, one = 1;

	if (argc < 4)
		return 1;
	type = rr_type(argv[0]);
	s = sin_of(argv[1], atoi(argv[2]));
	secs = atof(argv[3]);
	if (argc > 4)
		join_cgroup(argv[4]);
	fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (type == SOCK_STREAM)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&s, sizeof(s)) < 0)
		die("connect");
	memset(b, 'r', sizeof(b));
	t0 = now_s();
	while (t < secs) {
		t1 = now_ns();
		if (write(fd, b, sizeof(b)) != (ssize_t)sizeof(b))
			break;
		if (type == SOCK_STREAM ? !read_full(fd, r, sizeof(r))
					: read(fd, r, sizeof(r)) != (ssize_t)sizeof(r))
			break;
		if (n < MAXLAT)
			lat[n] = (uint32_t)(now_ns() - t1);
		n++;
		t = now_s() - t0;
	}
	close(fd);
	if (t <= 0)
		t = now_s() - t0;
	printf("trans %lu secs %.3f rate %.0f us %.2f", n, t, (double)n / t,
	       n ? t * 1e6 / (double)n : 0.0);
	n = n < MAXLAT ? n : MAXLAT;
	printf(" p50us %.2f p99us %.2f\n", quantile_us(lat, n, 0.5), quantile_us(lat, n, 0.99));
	return t < secs ? 3 : 0;
}

/* ---- UDP datagrams per second ---- */

static int udp_sink(int argc, char **argv)
{
	struct mmsghdr m[64];
	struct iovec iov[64];
	static char bufs[64][2048];
	double end, first = 0, last = 0;
	unsigned long n = 0;
	int fd, idle, i;

	if (argc < 5)
		return 1;
	end = now_s() + atof(argv[2]);
	idle = atoi(argv[3]);
	if (argc > 5)
		join_cgroup(argv[5]);
	fd = bound_socket(SOCK_DGRAM, argv[0], atoi(argv[1]));
	i = 8 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &i, sizeof(i));
	for (i = 0; i < 64; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		memset(&m[i], 0, sizeof(m[i]));
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	ready(argv[4]);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double t = now_s();
		int r;

		if (t >= end || (n && t - last > idle / 1e3))
			break;
		if (poll(&p, 1, 20) <= 0)
			continue;
		r = recvmmsg(fd, m, 64, MSG_DONTWAIT, NULL);
		if (r <= 0)
			continue;
		last = now_s();
		if (!n)
			first = last;
		n += (unsigned long)r;
	}
	printf("recv %lu secs %.3f rate %.0f\n", n, last - first,
	       last > first ? (double)n / (last - first) : 0.0);
	return 0;
}

static int udp_send(int argc, char **argv)
{
	struct sockaddr_in s;
	char payload[64] = "l3nft bench";
	unsigned long n = 0;
	double end;
	int fd, i;

	if (argc < 3)
		return 1;
	s = sin_of(argv[0], atoi(argv[1]));
	if (argc > 3)
		join_cgroup(argv[3]);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&s, sizeof(s)) < 0)
		die("udp socket");
	end = now_s() + atof(argv[2]);
	while (now_s() < end)
		for (i = 0; i < 32; i++)
			if (send(fd, payload, sizeof(payload), 0) == (ssize_t)sizeof(payload))
				n++;
	printf("sent %lu\n", n);
	return 0;
}

/* ---- bulk TCP throughput ---- */

#define BULK_BLOCK (64 * 1024)

static int bulk_server(int argc, char **argv)
{
	static char b[BULK_BLOCK];
	unsigned long long n = 0;
	struct pollfd p;
	double end;
	ssize_t r;
	int fd, c;

	if (argc < 4)
		return 1;
	end = now_s() + atof(argv[2]);
	if (argc > 4)
		join_cgroup(argv[4]);
	fd = bound_socket(SOCK_STREAM, argv[0], atoi(argv[1]));
	if (listen(fd, 4) < 0)
		die("listen");
	ready(argv[3]);
	p.fd = fd;
	p.events = POLLIN;
	while (now_s() < end && poll(&p, 1, 100) <= 0)
		;
	c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		die("accept");
	p.fd = c;
	/* bounded by MAXSEC: a client that never closes cannot hold it */
	while (now_s() < end) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		r = read(c, b, sizeof(b));
		if (r <= 0)
			break;
		n += (unsigned long long)r;
	}
	close(c);
	printf("bytes %llu\n", n);
	return 0;
}

static int bulk_client(int argc, char **argv)
{
	static char b[BULK_BLOCK];
	struct timeval tv = { .tv_sec = 2 };
	unsigned long long n = 0;
	struct sockaddr_in s;
	double t0, t, secs;
	int fd;

	if (argc < 3)
		return 1;
	s = sin_of(argv[0], atoi(argv[1]));
	secs = atof(argv[2]);
	if (argc > 3)
		join_cgroup(argv[3]);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&s, sizeof(s)) < 0)
		die("connect");
	memset(b, 'b', sizeof(b));
	t0 = now_s();
	do {
		ssize_t w = write(fd, b, sizeof(b));

		if (w <= 0)
			die("write");
		n += (unsigned long long)w;
	} while (now_s() - t0 < secs);
	/* the server closes after EOF: then every byte has been read */
	shutdown(fd, SHUT_WR);
	if (read(fd, b, sizeof(b)) != 0)
		die("waiting for the server's close");
	t = now_s() - t0;
	close(fd);
	printf("bytes %llu secs %.3f gbps %.3f\n", n, t, (double)n * 8 / t / 1e9);
	return 0;
}

/* ---- multicast fan-out ---- */

struct msg {
	uint32_t step, seq;
	uint64_t ns;
	char pad[48];
};

static int mc_send(int argc, char **argv)
{
	struct sockaddr_in dst, src;
	unsigned char ttl = 1, loop = 0;
	double secs;
	int fd, s;

	if (argc < 5)
		return 1;
	dst = sin_of(argv[0], atoi(argv[1]));
	src = sin_of(argv[2], 0);
	secs = atof(argv[3]);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)
		die("mc socket");
	setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &src.sin_addr, sizeof(src.sin_addr));
	setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
	setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop));
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		die("mc connect");
	for (s = 4; s < argc && s - 4 < MAXSTEP; s++) {
		double rate = atof(argv[s]);
		uint64_t t0 = now_ns(), dur = (uint64_t)(secs * 1e9), now;
		uint32_t seq = 0;
		struct msg m = { .step = (uint32_t)(s - 4) };

		while ((now = now_ns()) - t0 < dur) {
			/* due: every datagram whose time has come, at most a burst */
			uint64_t due = (uint64_t)((double)(now - t0) * rate / 1e9) + 1;
			int burst = 0;

			while (seq < due && burst++ < 64) {
				m.seq = seq;
				m.ns = now_ns();
				if (send(fd, &m, sizeof(m), 0) == (ssize_t)sizeof(m))
					seq++;
				else if (errno != ENOBUFS && errno != EAGAIN)
					die("mc send");
			}
			if (seq >= due) {
				uint64_t next = t0 + (uint64_t)((double)seq * 1e9 / rate);
				int64_t ahead = (int64_t)(next - now_ns());

				if (ahead > 60000) {
					struct timespec ts = { 0, ahead - 50000 };

					nanosleep(&ts, NULL);
				}
			}
		}
		printf("step %d rate %.0f sent %u\n", s - 4, rate, seq);
		fflush(stdout);
		if (s + 1 < argc) {
			struct timespec gap = { 0, 200000000 };

			nanosleep(&gap, NULL);
		}
	}
	return 0;
}

static int fan_recv(int argc, char **argv)
{
	static uint32_t *lat[MAXSTEP];
	static size_t nlat[MAXSTEP];
	unsigned long cnt[MAXSTEP][MAXSOCK] = { { 0 } };
	int fds[MAXSOCK], nfd = 0, port, idle, ep, i, j, s, maxstep = -1;
	double end, last = 0;
	const char *group = NULL, *ifaddr = NULL;

	if (argc < 5)
		return 1;
	port = atoi(argv[0]);
	end = now_s() + atof(argv[1]);
	idle = atoi(argv[2]);
	i = 4;
	if (!strcmp(argv[i], "--join") && argc > i + 2) {
		group = argv[i + 1];
		ifaddr = argv[i + 2];
		i += 3;
	}
	for (; i < argc && nfd < MAXSOCK; i++) {
		char addr[64], *at;
		int sz = 8 << 20;

		snprintf(addr, sizeof(addr), "%s", argv[i]);
		at = strchr(addr, '@');
		if (at) {
			*at = '\0';
			join_cgroup(argv[i] + (at - addr) + 1);
		}
		fds[nfd] = bound_socket(SOCK_DGRAM | SOCK_NONBLOCK, addr, port);
		setsockopt(fds[nfd], SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
		if (group) {
			struct ip_mreq mr;

			inet_pton(AF_INET, group, &mr.imr_multiaddr);
			inet_pton(AF_INET, ifaddr, &mr.imr_interface);
			if (setsockopt(fds[nfd], IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
				die("IP_ADD_MEMBERSHIP");
		}
		nfd++;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	for (i = 0; i < nfd; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };

		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	for (s = 0; s < MAXSTEP; s++)
		lat[s] = NULL;
	ready(argv[3]);
	for (;;) {
		struct epoll_event evs[MAXSOCK];
		double t = now_s();
		int n;

		if (t >= end || (last && t - last > idle / 1e3))
			break;
		n = epoll_wait(ep, evs, MAXSOCK, 20);
		for (i = 0; i < n; i++) {
			int k = (int)evs[i].data.u32;
			struct msg m;

			for (j = 0; j < 256; j++) {
				uint64_t at;

				if (recv(fds[k], &m, sizeof(m), 0) != (ssize_t)sizeof(m))
					break;
				at = now_ns();
				if (m.step >= MAXSTEP)
					continue;
				cnt[m.step][k]++;
				if ((int)m.step > maxstep)
					maxstep = (int)m.step;
				if (!lat[m.step])
					lat[m.step] = malloc(MAXLAT * sizeof(uint32_t));
				if (lat[m.step] && nlat[m.step] < MAXLAT)
					lat[m.step][nlat[m.step]++] =
						(uint32_t)((at - m.ns) / 1000 > 0xffffffffu
							   ? 0xffffffffu : (at - m.ns) / 1000);
			}
			last = now_s();
		}
	}
	for (s = 0; s <= maxstep; s++) {
		uint32_t p50 = 0, p99 = 0;

		if (nlat[s]) {
			qsort(lat[s], nlat[s], sizeof(uint32_t), cmp_u32);
			p50 = lat[s][nlat[s] / 2];
			p99 = lat[s][(size_t)((double)nlat[s] * 0.99)];
		}
		for (i = 0; i < nfd; i++)
			printf("step %d sock %d recv %lu p50us %u p99us %u\n", s, i, cnt[s][i], p50,
			       p99);
	}
	return 0;
}

/* ---- the control socket of l3nftd ---- */

static int ctl_open(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct timeval tv = { .tv_sec = 30 };

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		die(path);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* One request, one reply; 0 on "end 0". */
static int ctl_req(int fd, const char *req)
{
	char buf[4200];
	ssize_t n;

	if (send(fd, req, strlen(req), 0) < 0)
		die("ctl send");
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		die("ctl recv");
	buf[n] = '\0';
	if (strncmp(buf, "end 0", 5)) {
		fprintf(stderr, "l3load: %s -> %s", req, buf);
		return -1;
	}
	return 0;
}

static int ctl_bulk(int argc, char **argv)
{
	char line[512];
	unsigned long n = 0, errs = 0;
	double t0 = now_s(), maxsec;
	FILE *f;
	int fd;

	if (argc < 3)
		return 1;
	maxsec = atof(argv[1]);
	f = fopen(argv[2], "re");
	if (!f)
		die(argv[2]);
	fd = ctl_open(argv[0]);
	while (fgets(line, sizeof(line), f) && now_s() - t0 < maxsec) {
		line[strcspn(line, "\n")] = '\0';
		if (ctl_req(fd, line) < 0)
			errs++;
		else
			n++;
		if (n && n % 500 == 0) {
			printf("at %lu secs %.3f\n", n, now_s() - t0);
			fflush(stdout);
		}
	}
	printf("done %lu errors %lu secs %.3f\n", n, errs, now_s() - t0);
	fclose(f);
	return errs ? 3 : 0;
}

static double ts_s(const struct timespec *ts)
{
	return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

static double real_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts_s(&ts);
}

static int listen_lat(int argc, char **argv)
{
	char req[256], b[256], cbuf[256];
	struct iovec iov = { .iov_base = b, .iov_len = sizeof(b) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	struct pollfd p;
	double t_req, t_reply, t_first = 0;
	int ctl, fd, r, on = 1;

	if (argc < 7)
		return 1;
	join_cgroup(argv[1]);
	fd = bound_socket(SOCK_DGRAM, argv[2], atoi(argv[3]));
	/* the kernel's arrival time of the datagram, not when we look */
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	ctl = ctl_open(argv[0]);
	snprintf(req, sizeof(req), "listen %s %s", argv[4], argv[5]);
	t_req = real_s();
	if (ctl_req(ctl, req) < 0)
		return 3;
	t_reply = real_s();
	p.fd = fd;
	p.events = POLLIN;
	r = poll(&p, 1, atoi(argv[6]));
	if (r == 1 && recvmsg(fd, &mh, 0) > 0) {
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				t_first = ts_s(&ts);
			}
	}
	if (t_first > 0)
		printf("reply_ms %.3f first_after_reply_ms %.3f first_after_request_ms %.3f\n",
		       (t_reply - t_req) * 1e3, (t_first - t_reply) * 1e3, (t_first - t_req) * 1e3);
	else
		printf("reply_ms %.3f timeout\n", (t_reply - t_req) * 1e3);
	snprintf(req, sizeof(req), "unlisten %s %s", argv[4], argv[5]);
	ctl_req(ctl, req);
	return t_first > 0 ? 0 : 3;
}

/* ---- timing a command ---- */

static int time_cmd(int argc, char **argv)
{
	struct rusage ru;
	double t0, t1;
	pid_t pid;
	int st = 0;
	FILE *f;

	if (argc < 2)
		return 1;
	t0 = now_s();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) < 0)
		die("wait4");
	t1 = now_s();
	f = fopen(argv[0], "we");
	if (!f)
		die(argv[0]);
	fprintf(f, "wall_ms %.3f maxrss_kb %ld user_ms %.1f sys_ms %.1f status %d\n",
		(t1 - t0) * 1e3, ru.ru_maxrss,
		(double)ru.ru_utime.tv_sec * 1e3 + (double)ru.ru_utime.tv_usec / 1e3,
		(double)ru.ru_stime.tv_sec * 1e3 + (double)ru.ru_stime.tv_usec / 1e3,
		WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	fclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} modes[] = {
		{ "tcp-server", tcp_server }, { "tcp-client", tcp_client },
		{ "udp-sink", udp_sink },     { "udp-send", udp_send },
		{ "rr-server", rr_server },   { "rr-client", rr_client },
		{ "bulk-server", bulk_server }, { "bulk-client", bulk_client },
		{ "mc-send", mc_send },       { "fan-recv", fan_recv },
		{ "ctl-bulk", ctl_bulk },     { "listen-lat", listen_lat },
		{ "time", time_cmd },
	};
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; argc > 1 && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[1], modes[i].name)) {
			int rc = modes[i].fn(argc - 2, argv + 2);

			/* (time passes its command's status on) */
			if (rc == 1 && modes[i].fn != time_cmd)
				fprintf(stderr, "l3load %s: missing arguments\n", argv[1]);
			return rc;
		}
	fprintf(stderr, "usage: l3load MODE ARGS (see the comment at the top of l3load.c)\n");
	return 1;
}
