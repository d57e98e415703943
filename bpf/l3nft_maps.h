/*
 * The socket layer's maps: declared once here, read by the BPF programs
 * (bpf/sock_*.bpf.c) and by the loader (kernel/sock_layer.c), which fills
 * them from the policy. Only uapi types: this header is compiled for the
 * BPF target and for the host.
 *
 * A namespace is known by its id (the same id as in the nft table; its
 * packet mark is id << shift(mark_mask)). Maps are pinned by name under
 * /sys/fs/bpf/l3nft/<netns inode>/ so they outlive `l3nft apply`.
 */
#ifndef L3NFT_BPF_MAPS_H
#define L3NFT_BPF_MAPS_H

#include <linux/types.h>

/* Room for policies as large as the table takes (bench: 10,000 namespaces
 * of two addresses); the hash maps are not preallocated, so only the
 * entries in use cost memory (the per-CPU counters above all). */
#define L3_BPF_MAX_CGROUPS 65536
#define L3_BPF_MAX_ADDRS 131072
#define L3_BPF_MAX_NS 65536
#define L3_BPF_MAX_LISTEN 65536	/* wildcard listeners of all namespaces */
#define L3_BPF_UDP_EV_BYTES (64 * 1024)	/* l3_udp_ev: 4,096 events of 16 bytes */
#define L3_BPF_LEVELS 16	/* as L3_IR_LEVELS_MAX: cgroup depths looked at */

/*
 * l3_cgroup: cgroup id (inode of the cgroup directory) -> namespace id
 * (__u32). A socket belongs to the namespace of its deepest ancestor
 * cgroup found here.
 */

/* l3_addr key: an address a namespace owns -> namespace id (__u32). */
struct l3_bpf_addr_key {
	__u32 family;		/* AF_INET or AF_INET6 */
	__u8 addr[16];		/* network order; IPv4 in the first 4 bytes, rest 0 */
};

/* l3_ns value: what a namespace's sockets get; key: namespace id. */
#define L3_BPF_NS_HAS4 0x1u		/* src4 is set */
#define L3_BPF_NS_HAS6 0x2u		/* src6 is set */
#define L3_BPF_NS_LO_SHARED 0x4u	/* loopback: shared (else isolated) */
struct l3_bpf_ns {
	__u32 src4;		/* network order: wildcard binds and sources, IPv4 */
	__u8 src6[16];		/* the same for IPv6 */
	__u32 flags;		/* L3_BPF_NS_* */
	__u32 mark;		/* the namespace's packet mark (isolated loopback) */
};

/* l3_conf (array, one entry): what every namespace shares. */
struct l3_bpf_conf {
	__u32 mark_mask;	/* the policy's mark_mask */
	__u32 levels;		/* bit L: a namespace's cgroup is at level L */
};

/*
 * l3_ctr (per-CPU hash, namespace id -> counters): what the programs did,
 * summed over the CPUs by `l3nft status`.
 */
struct l3_bpf_ctr {
	__u64 bind_rewritten;	/* wildcard bind turned into the namespace's address */
	__u64 bind_refused;	/* bind to an address it does not own (EPERM) */
	__u64 src_filled;	/* connect/sendmsg given the namespace's source */
	__u64 send_refused;	/* sendmsg with a foreign explicit source (EPERM) */
	__u64 ingress_dropped;	/* packet for another destination dropped at its socket */
	__u64 steered;		/* connection (TCP) or datagram (UDP) to one of its
				 * addresses handed to its wildcard-rewritten socket
				 * (sk_lookup) */
};

/*
 * l3_sk (socket storage): set by bind4/bind6 on a socket whose wildcard
 * bind they rewrote, read by sockops at listen(): the bound address alone
 * does not tell a rewritten wildcard from an explicit bind.
 */
#define L3_BPF_SK_WILD 0x1u
struct l3_bpf_sk {
	__u32 ns;		/* the namespace whose address it was given */
	__u32 flags;		/* L3_BPF_SK_* */
};

/*
 * l3_listen (sockhash, value: a socket): a namespace's wildcard-rewritten
 * TCP listeners, filled by sockops at listen(), and its wildcard-rewritten
 * UDP sockets, filled by the l3_udp_iter iterator (no program that runs at
 * a UDP bind may update a sockhash); the kernel drops an entry when its
 * socket closes. sk_lookup hands a new connection or a datagram to any of
 * the namespace's addresses to the socket found here.
 */
#define L3_BPF_KEY_DUAL 0	/* family of a UDP key: a dual-stack [::] socket
				 * (bound v4-mapped), as a stand-in for IPv4 */
struct l3_bpf_listen_key {
	__u32 ns;		/* namespace id */
	__u16 family;		/* the socket's: AF_INET, or AF_INET6 (maybe dual-stack);
				 * UDP also L3_BPF_KEY_DUAL */
	__u8 protocol;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
	__u32 port;		/* host order */
};

/*
 * l3_udp_ev (ring buffer): post_bind4/6 write one when a namespace's
 * wildcard-rewritten UDP socket is bound. A doorbell: l3nftd drains it,
 * then runs the l3_udp_iter iterator once, which walks every UDP socket
 * of the network namespace; the content is for its log only. When the
 * ring is full the event is lost, but the reader has unread events and
 * will walk after this bind anyway.
 */
struct l3_bpf_udp_ev {
	__u32 ns;		/* namespace id */
	__u16 family;		/* AF_INET or AF_INET6 */
	__u16 port;		/* host order */
};

/*
 * l3_gen (array, one entry, __u32): the maps' generation. Every writer of
 * l3_cgroup, l3_ns, l3_addr or l3_conf (the loader, l3nftd through
 * kernel/sock_maps.c) sets it after its writes to a fresh random value
 * (never 0, never the one before): not an increment, so that two writers
 * at once can never both write the same value and hide one's change
 * behind the other's. 0: no writer yet, nothing may be cached.
 */

/*
 * l3_skns (socket storage): what a socket's packets and datagrams keep
 * asking, cached under the generation it was worked out in. A word is
 * (generation << 32 | answer), written and read whole (one aligned 64-bit
 * access), so it is never half of two answers; it holds only while l3_gen
 * still has that generation.
 */
struct l3_bpf_skns {
	__u64 ns;		/* the namespace of the socket's own cgroup (0: none) */
	__u64 ok4;		/* an IPv4 destination ingress found to be the namespace's */
	__u64 tns;		/* the namespace of the sending task's cgroup tcg
				 * (tag: generation ^ low half of tcg) */
	__u64 tcg;		/* that cgroup's id (plain; tns is cleared while it changes) */
};

#ifdef __bpf__
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, L3_BPF_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} l3_cgroup SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, L3_BPF_MAX_ADDRS);
	__type(key, struct l3_bpf_addr_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} l3_addr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, L3_BPF_MAX_NS);
	__type(key, __u32);
	__type(value, struct l3_bpf_ns);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} l3_ns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct l3_bpf_conf);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} l3_conf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, L3_BPF_MAX_NS);
	__type(key, __u32);
	__type(value, struct l3_bpf_ctr);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} l3_ctr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__type(key, int);
	__type(value, struct l3_bpf_sk);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} l3_sk SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, L3_BPF_MAX_LISTEN);
	__type(key, struct l3_bpf_listen_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} l3_listen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, L3_BPF_UDP_EV_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} l3_udp_ev SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} l3_gen SEC(".maps");

/* BPF_F_CLONE: an accepted socket has its listener's cgroup, so its
 * listener's answers hold for it too */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__type(key, int);
	__type(value, struct l3_bpf_skns);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} l3_skns SEC(".maps");
#endif

#endif
