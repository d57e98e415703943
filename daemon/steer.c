/*
 * UDP steering's reader (see kernel/sock_maps.h): the socket layer's
 * post_bind4/6 ring a doorbell (the l3_udp_ev ring buffer) when a
 * namespace's wildcard-rewritten UDP socket is bound, and l3nftd answers
 * by walking the network namespace's UDP sockets with the l3_udp_iter
 * iterator, which enters them into the sockhash sk_lookup reads. Until
 * the walk, datagrams to the namespace's other addresses are refused
 * (fail closed), never sent elsewhere.
 *
 * Bounded work against a tenant that floods binds: the ring has a fixed
 * size, a drain reads it once, and from the end of one walk to the start
 * of the next at least L3D_STEER_GAP_MS pass, or four times the last
 * walk's length when that is more (a tenant that holds many UDP sockets
 * and binds in a loop gets walks a fifth of l3nftd's time at most)
 * however many events came, so the queue and the control socket always
 * get their turn. What the events say is not trusted: a walk
 * decides from the kernel's marks alone.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include "l3nft/kernel/sock_maps.h"
#include "l3nftd.h"

#define L3D_STEER_GAP_MS 20	/* least time between two walks */

static int64_t l3d_steer_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void l3d_steer_walk(struct l3d *d)
{
	int64_t start = l3d_steer_now_ms();
	int r, e;

	d->steer_due = false;
	r = l3_sock_maps_udp_walk(d->sl_dir);
	e = errno;
	d->steer_last_ms = l3d_steer_now_ms();
	d->steer_gap_ms = 4 * (d->steer_last_ms - start);
	if (d->steer_gap_ms < L3D_STEER_GAP_MS)
		d->steer_gap_ms = L3D_STEER_GAP_MS;
	if (r < 0) {
		l3d_log("steer", "socket layer: walking the UDP sockets: %s", strerror(e));
		return;
	}
	d->st.udp_walks++;
}

static void l3d_steer_close(struct l3d *d)
{
	if (!d->steer)
		return;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, l3_sock_maps_udp_fd(d->steer), NULL);
	l3_sock_maps_udp_close(d->steer);
	d->steer = NULL;
}

/* Opens the ring when the socket layer is attached (again: a delete and a
 * new attach pin a new one) and walks once for the sockets bound while
 * nobody read it. At start, at every resync and at the periodic check,
 * which also walks: a socket closed out of the sockhash may leave a
 * sibling (SO_REUSEPORT, the same port bound twice) that no event names. */
void l3d_steer_check(struct l3d *d)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (d->steer && d->sl_dir[0] && l3_sock_maps_udp_current(d->steer, d->sl_dir)) {
		d->steer_due = true;
		l3d_steer_run(d);
		return;
	}
	l3d_steer_close(d);
	if (!d->sl_dir[0] || !l3_sock_maps_attached(d->sl_dir))
		return;
	d->steer = l3_sock_maps_udp_open(d->sl_dir);
	if (!d->steer) {
		l3d_log("steer", "socket layer: opening its UDP ring in %s: %s", d->sl_dir,
			strerror(errno));
		return;
	}
	ev.data.fd = l3_sock_maps_udp_fd(d->steer);
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0) {
		l3d_log("steer", "socket layer: epoll: %s", strerror(errno));
		l3_sock_maps_udp_close(d->steer);
		d->steer = NULL;
		return;
	}
	l3d_steer_walk(d);
}

bool l3d_steer_owns(const struct l3d *d, int fd)
{
	return d->steer && fd == l3_sock_maps_udp_fd(d->steer);
}

/* The ring is readable: drain it (the doorbell stops ringing) and walk
 * now, or when the gap since the last walk is over. */
void l3d_steer_event(struct l3d *d)
{
	int n = l3_sock_maps_udp_drain(d->steer);

	if (n < 0) {
		l3d_log("steer", "socket layer: reading its UDP ring: %s", strerror(errno));
		return;
	}
	d->st.udp_binds += (uint64_t)n;
	d->steer_due = true;
	l3d_steer_run(d);
}

int l3d_steer_run(struct l3d *d)
{
	int64_t left;

	if (!d->steer_due)
		return -1;
	left = d->steer_last_ms + d->steer_gap_ms - l3d_steer_now_ms();
	if (left > 0)
		return (int)left;
	l3d_steer_walk(d);
	return -1;
}

void l3d_steer_free(struct l3d *d)
{
	l3d_steer_close(d);
}
