/*
 * The socket layer's pinned maps as l3nftd keeps them between applies:
 * which cgroup id belongs to which namespace (l3_cgroup), and whether the
 * layer is attached at all. The loader (sock_layer.c) fills every map at
 * apply; this is the small part that changes when a namespace's cgroup is
 * removed and made again.
 */
#ifndef L3NFT_KERNEL_SOCK_MAPS_H
#define L3NFT_KERNEL_SOCK_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One namespace's cgroup as the socket layer should know it. */
struct l3_sock_cgroup {
	uint32_t ns;		/* the namespace's id (as in the table) */
	uint64_t cgroup;	/* its cgroup's id now; 0: the cgroup is gone */
};

/* This network namespace's pin directory (/sys/fs/bpf/l3nft/<netns inode>)
 * into @buf. 0, or -1 with errno. */
int l3_sock_maps_dir(char *buf, size_t len);

/* Is the socket layer attached in pin directory @dir (its ingress link is
 * pinned)? One stat(): cheap enough to ask per burst of packets. */
bool l3_sock_maps_attached(const char *dir);

/*
 * Makes the pinned l3_cgroup map of @dir say what @v says (@n entries):
 * each namespace's cgroup id now maps to it (added first, so it is never
 * uncovered), then every other key that maps to one of these namespaces
 * is deleted (an old cgroup's id, or one an apply raced in). Keys of
 * namespaces not in @v are left alone. Sets *@changes (when not NULL) to
 * how many entries were written or deleted; when any was, the maps'
 * generation (l3_gen) moves on. 0; -1 with errno (ENOENT: the socket
 * layer is not attached).
 */
int l3_sock_maps_set_cgroups(const char *dir, const struct l3_sock_cgroup *v, size_t n,
			     size_t *changes);

/*
 * UDP steering (bpf/l3nft_sock.bpf.c, l3_udp_iter): no program that runs
 * at a UDP bind may put the socket into the sockhash, so post_bind4/6
 * ring the l3_udp_ev doorbell and the reader walks the UDP sockets.
 */

/* Runs the UDP iterator pinned in @dir once, in the calling thread's
 * network namespace: every wildcard-rewritten UDP socket bound by now is
 * in l3_listen when it returns. 0; -1 with errno (ENOENT: not attached). */
int l3_sock_maps_udp_walk(const char *dir);

/* The reader of @dir's l3_udp_ev ring buffer. */
struct l3_sock_udp_ev;

/* Opens it; NULL with errno (ENOENT: not attached). */
struct l3_sock_udp_ev *l3_sock_maps_udp_open(const char *dir);
/* A descriptor that polls readable when events wait. */
int l3_sock_maps_udp_fd(const struct l3_sock_udp_ev *ev);
/* Reads every waiting event (a ring of fixed size: bounded work); how
 * many, or -1 with errno. */
int l3_sock_maps_udp_drain(struct l3_sock_udp_ev *ev);
/* Is @ev still the ring pinned in @dir (not replaced by a delete and a
 * new attach)? */
bool l3_sock_maps_udp_current(const struct l3_sock_udp_ev *ev, const char *dir);
void l3_sock_maps_udp_close(struct l3_sock_udp_ev *ev);
/* Moves the generation in l3_gen map @fd on (after writing the maps it
 * covers: sockets' cached answers of the old one no longer hold). 0, or
 * -1 with errno. */
int l3_sock_maps_new_gen(int fd);

#endif
