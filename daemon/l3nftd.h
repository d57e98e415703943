/* l3nftd internals: the modules of the daemon and the state they share. */
#ifndef L3NFTD_H
#define L3NFTD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include "l3nft/compiler/cfg.h"
#include "l3nft/compiler/ir.h"
#include "l3nft/kernel/alias.h"
#include "l3nft/kernel/cgroup.h"

struct mnl_socket;
struct l3_ctl_stats;
struct l3_sock_udp_ev;

/* One registration: namespace NAME listens to SPEC. */
struct l3d_reg {
	char name[L3_NAME_MAX + 1];
	struct l3_listen spec;
	bool dynamic;		/* from `l3nft listen`, persisted */
	const struct l3_ns *ns;	/* in d->cfg: the registry is rebuilt on reload */
};

/* A destination key of the kernel's listen4/listen6 sets. */
struct l3d_dest {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} a;
	uint16_t port;
};

/* One namespace that receives datagrams to one destination. */
struct l3d_route {
	struct l3d_dest dst;
	const struct l3_ns *ns;
};

#define L3D_RESYNC_MS 5000	/* cgroups and addresses re-checked even without events */

struct l3d_registry {
	struct l3d_reg *v;
	size_t n, cap;
	struct l3d_route *routes;	/* the index, sorted by destination */
	size_t nroutes;
	bool index_ok;			/* false: rebuilt at the next lookup */
};

struct l3d_stats {
	uint64_t queued, delivered, dropped_nobody, send_errors, enobufs, bad_packets;
	uint64_t other_link;	/* copies not made: the namespace is on another link */
	uint64_t refused_requests, refused_connections;	/* control.c */
	uint64_t cgroup_updates;	/* cgroup ids moved in the table (cgroups.c) */
	uint64_t addrs_restored;	/* policy addresses put back (addrs.c) */
	uint64_t udp_binds, udp_walks;	/* steer.c: doorbell events, iterator walks */
};

struct l3d {
	const char *cfg_file;
	struct l3_cfg *cfg;
	struct l3_ir *ir;		/* the table's layout (set types), ids resolved */
	struct l3_cgroup_mount mnt;
	struct l3d_registry reg;
	struct l3d_dest *kset;		/* listen set elements as the kernel has them */
	size_t nkset;
	bool *cg_dirty;			/* per namespace: its cgroup changed, not yet fixed */
	bool *cg_stale;			/* per namespace: its last fix failed (stats) */
	bool cg_pending;		/* some namespace is dirty */
	bool table_stale;		/* apply replaced the table: read ids and sets again */
	char sl_dir[128];		/* the socket layer's pin directory (kernel/sock_maps.h) */
	struct l3_sock_udp_ev *steer;	/* its UDP doorbell (steer.c), NULL: not attached */
	bool steer_due;			/* a walk is owed */
	int64_t steer_last_ms;		/* when the last walk ended (CLOCK_MONOTONIC) */
	int64_t steer_gap_ms;		/* least time from it to the next walk */
	uint32_t *ids;			/* per namespace: its id in the table */
	unsigned *ns_ifindex;		/* per namespace: its interface now (0: none) */
	struct mnl_socket *nfq;
	struct mnl_socket *nft;
	int raw4, raw6;
	int ctl_fd;
	int sig_fd;
	int ino_fd;
	struct l3d_watch *watches;	/* inotify watch descriptor -> directory */
	size_t nwatches, cap_watches;	/* sorted by wd */
	bool ino_full;			/* a watch was refused at the limit (said once) */
	int epfd;
	struct l3_rt rt;		/* rtnetlink requests (address dump, add) */
	struct mnl_socket *rt_ev;	/* rtnetlink events: addresses, links */
	int rt_fd;
	int reserve_fd;			/* /dev/null, given up to refuse a client at EMFILE */
	struct l3d_client *clients;	/* control connections */
	size_t nclients, cap_clients;
	struct l3d_stats st;
	time_t started;			/* CLOCK_MONOTONIC seconds, for the uptime */
	bool stop;
	struct l3d_group *groups;	/* multicast memberships */
	size_t ngroups;
	struct l3d_batch *batch;	/* fan-out copies not sent yet (deliver.c) */
};

/* log.c: stderr, the journal (with <N> prefixes) or syslog; the keyed
 * calls are rate-limited per key. l3d_log() logs at LOG_WARNING. */
enum l3d_log_to { L3D_LOG_STDERR, L3D_LOG_JOURNAL, L3D_LOG_SYSLOG };
enum l3d_log_to l3d_log_init(bool background);
void l3d_log(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void l3d_logp(int prio, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Not rate-limited: for the daemon's own, bounded messages (start, stop). */
void l3d_say(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* steer.c: UDP steering's doorbell and walks */
void l3d_steer_check(struct l3d *d);
bool l3d_steer_owns(const struct l3d *d, int fd);
void l3d_steer_event(struct l3d *d);
/* Runs an owed walk when its time has come: -1 when none is owed any
 * more, else how many ms epoll may sleep before asking again. */
int l3d_steer_run(struct l3d *d);
void l3d_steer_free(struct l3d *d);

/* registry.c */
int l3d_reg_add(struct l3d *d, const char *name, const struct l3_listen *spec, bool dynamic,
		const char **why);
int l3d_reg_del(struct l3d *d, const char *name, const struct l3_listen *spec,
		const char **why);
/* The namespaces registered for a datagram to @dst, each once: @n routes
 * from the returned one. One binary search; valid until the registry
 * changes. */
const struct l3d_route *l3d_reg_match(struct l3d *d, const struct l3d_dest *dst, size_t *n);
int l3d_reg_load_static(struct l3d *d);
int l3d_reg_save(const struct l3d *d);
/* Appends one dynamic registration to the saved file (see l3d_reg_save). */
int l3d_reg_save_one(const struct l3d *d, const struct l3d_reg *r);
int l3d_reg_load_dynamic(struct l3d *d);
void l3d_reg_free(struct l3d_registry *r);
/* Leaves every multicast group. */
void l3d_groups_free(struct l3d *d);
/* Brings the kernel's listen sets and the multicast memberships in line
 * with the registry. */
int l3d_reg_sync(struct l3d *d);
/* The same after adding registration @r only: what @r needs that is not
 * there yet (set elements, a membership). O(log n) lookups, no rescan. */
int l3d_reg_sync_one(struct l3d *d, const struct l3d_reg *r);
/* Orders listen set destinations; d->kset is kept sorted by it. */
int l3d_dest_cmp(const void *a, const void *b);

/* deliver.c */
int l3d_deliver_open(struct l3d *d);
/* Queues a copy of the UDP datagram @pkt (IP header first, UDP header at
 * @l4off) for @ns; -1 when @ns has no address to take it. @pkt must stay
 * as it is until l3d_deliver_flush(). */
int l3d_deliver(struct l3d *d, const struct l3_ns *ns, const uint8_t *pkt, size_t len,
		size_t l4off, const struct l3d_dest *dst);
/* Sends the queued copies (one sendmmsg() per datagram); counts them
 * delivered or failed in d->st. */
void l3d_deliver_flush(struct l3d *d);
void l3d_deliver_close(struct l3d *d);

/* queue.c */
int l3d_queue_open(struct l3d *d);
int l3d_queue_run(struct l3d *d);	/* drains the socket; verdicts sent */

/* control.c */
int l3d_control_open(struct l3d *d);
void l3d_control_accept(struct l3d *d);
void l3d_control_client(struct l3d *d, int fd);
/* Closes the connections idle for too long. */
void l3d_control_sweep(struct l3d *d);
void l3d_control_free(struct l3d *d);
/* The figures of the `stats` request into @st (free with
 * l3_ctl_stats_free). @full adds what costs a look per namespace (its
 * registrations, stale ids); without it those stay 0 and nothing is
 * allocated. 0, or -1 (ENOMEM). */
int l3d_control_stats(const struct l3d *d, struct l3_ctl_stats *st, bool full);

/* addrs.c: puts back the policy's addresses the host took away */
int l3d_addrs_open(struct l3d *d);
void l3d_addrs_close(struct l3d *d);
/* Adds every missing policy address; how many were added. */
size_t l3d_addrs_sync(struct l3d *d);
void l3d_addrs_event(struct l3d *d);

/* cgroups.c */
int l3d_cgroups_open(struct l3d *d);
/* Every namespace re-checked now, against the live table and the socket
 * layer's map (see l3d_cgroups_reconcile). */
int l3d_cgroups_sync(struct l3d *d);
/* Marks every namespace to be re-checked; @table: the table was replaced,
 * read its ids and listen elements again first. */
void l3d_cgroups_mark_all(struct l3d *d, bool table);
/* Fixes what is marked, under the apply lock: 0 done, 1 the lock is busy
 * (try again soon), -1 failed (tried again at the next resync). */
int l3d_cgroups_reconcile(struct l3d *d);
bool l3d_cgroups_pending(const struct l3d *d);
void l3d_cgroups_event(struct l3d *d);
void l3d_cgroups_free(struct l3d *d);	/* the watch table */

/* table.c: element updates of the live table */
int l3d_table_elems(struct l3d *d, const char *set, const struct l3_ir_elem *add,
		    size_t nadd, const struct l3_ir_elem *del, size_t ndel);
/* Is the policy's table loaded? (false only when the kernel says ENOENT) */
bool l3d_table_exists(struct l3d *d);
/* One element of a member_lN set: a namespace's mark and a cgroup id. */
struct l3d_member {
	uint32_t mark;
	uint64_t id;
};
/* Every member_lN element the kernel holds now, sorted by mark (malloc'd
 * into *@out). 0, or -1 with errno. */
int l3d_table_members(struct l3d *d, struct l3d_member **out, size_t *n);

/* l3nftd.c: the table's namespace ids and listen elements, read again. */
int l3d_table_read(struct l3d *d);

#endif
