/*
 * The policy model: what the YAML file says, validated, with the position
 * every value came from. Built by l3_cfg_load(); read by the IR builder,
 * `l3nft exec` and the daemon.
 */
#ifndef L3NFT_COMPILER_CFG_H
#define L3NFT_COMPILER_CFG_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <net/if.h>
#include "l3nft/compiler/addr.h"
#include "l3nft/compiler/diag.h"
#include "l3nft/compiler/util.h"

#define L3_CFG_DEFAULT_FILE "/etc/l3nft/l3nft.yaml"
/* Drop-ins: <directory of the policy file>/l3nft.d/NAME.yaml, merged in name
 * order; each holds only `namespaces`. */
#define L3_CFG_DROPIN_DIR "l3nft.d"
#define L3_CFG_DEFAULT_TABLE "l3nft"
#define L3_CFG_DEFAULT_MARK_MASK 0x00ff0000u
#define L3_CFG_DEFAULT_QUEUE 100
#define L3_CGROUP_PATH_MAX 1024
#define L3_CFG_PROTOCOLS_MAX 3
#define L3_CFG_MAX_FILE_SIZE (32u << 20)
/* l3nftd's limits when the policy does not set them */
#define L3_CFG_DEFAULT_MAX_CLIENTS 64
#define L3_CFG_DEFAULT_MAX_CLIENTS_PER_UID 8
#define L3_CFG_DEFAULT_MAX_REGISTRATIONS 32
#define L3_CFG_DEFAULT_BROADCAST_MIN_PORT 1024

enum l3_loopback {
	L3_LOOPBACK_ISOLATED,
	L3_LOOPBACK_SHARED,
};

/* One `allow_listen` pattern: what a namespace may register at run time.
 * A group prefix (or broadcast) and a port range. */
struct l3_listen_allow {
	enum l3_listen_kind kind;
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} group;		/* masked to plen */
	int plen;
	uint16_t port_min, port_max;
	struct l3_pos pos;
};

/* socket_layer: whether apply attaches the cgroup BPF socket layer. */
enum l3_socket_layer {
	L3_SOCKET_LAYER_AUTO,		/* when the kernel allows; else one line */
	L3_SOCKET_LAYER_REQUIRED,	/* apply fails without it */
	L3_SOCKET_LAYER_OFF,		/* packet layer only; apply removes it */
};

/* One `expose` entry: new TCP/UDP flows from outside may reach this port
 * of the namespace's addresses; with `from`, only from those sources. */
struct l3_expose {
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port;			/* host byte order */
	struct l3_pos pos;
	/* `from`: source prefixes (host bits zero, none inside another);
	 * nfrom 0: every source */
	struct l3_addr *from;
	size_t nfrom;
};

struct l3_ns {
	const char *name;
	struct l3_pos pos;		/* of the name key */
	uint32_t id;			/* 1..max; the mark is id << shift(mark_mask) */
	bool id_explicit;
	struct l3_pos id_pos;
	const char *cgroup;		/* normalised: no leading, trailing or double '/' */
	int cgroup_depth;		/* path components */
	struct l3_pos cgroup_pos;
	const char *ifname;		/* NULL when not given */
	struct l3_pos ifname_pos;
	struct l3_addr *addrs;
	size_t naddrs;
	enum l3_loopback loopback;
	bool ping;
	struct l3_listen *listens;
	size_t nlistens;
	struct l3_listen_allow *allows;	/* `allow_listen`; see has_allows */
	size_t nallows;
	bool has_allows;		/* false: the default allow-list */
	struct l3_pos allows_pos;
	uint32_t max_registrations;	/* run-time registrations at once */
	/* `l3nft exec`: capabilities added to l3_caps_default() (bit CAP_*),
	 * and the user to run as ("USER[:GROUP]", resolved at exec time) */
	uint64_t caps;
	struct l3_pos caps_pos;
	/* Protocols the packet layer cannot attribute to a socket (UDP-Lite,
	 * SCTP, DCCP) that the namespace may use anyway: IP protocol numbers. */
	uint8_t protocols[L3_CFG_PROTOCOLS_MAX];
	struct l3_pos protocol_pos[L3_CFG_PROTOCOLS_MAX];
	size_t nprotocols;
	const char *user;		/* NULL: root */
	struct l3_pos user_pos;
	/* `expose`: without it (has_expose false) every port is reachable,
	 * with it only these (an empty list: none) */
	struct l3_expose *exposes;
	size_t nexposes;
	bool has_expose;
	struct l3_pos expose_pos;
};

/*
 * A `quarantine` entry: a parent cgroup that holds only namespaces. A
 * socket below it whose cgroup is no namespace the table knows (e.g. a
 * namespace's cgroup made anew while l3nftd was down) is refused instead
 * of counting as the host's.
 */
struct l3_quarantine {
	const char *cgroup;		/* normalised, as a namespace's */
	int cgroup_depth;		/* path components */
	struct l3_pos pos;
};

struct l3_cfg {
	struct l3_arena *arena;
	const char *file;
	int version;
	const char *table;
	struct l3_pos table_pos;
	uint32_t mark_mask;
	struct l3_pos mark_mask_pos;
	uint16_t queue;
	struct l3_pos queue_pos;
	bool fail_open;
	bool log_refused;		/* log what a namespace is refused, rate-limited */
	struct l3_pos log_refused_pos;
	uint32_t max_clients;		/* l3nftd control connections, all non-root peers */
	uint32_t max_clients_per_uid;	/* ... of one non-root uid */
	enum l3_socket_layer socket_layer;
	struct l3_pos socket_layer_pos;
	struct l3_ns *ns;		/* in file order */
	size_t nns;
	struct l3_quarantine *quarantine;	/* in file order */
	size_t nquarantine;
};

/*
 * Reads and validates @path and its drop-ins (L3_CFG_DROPIN_DIR next to
 * it), each into its own file of @diag. Returns the model, or NULL when the file has
 * errors (all of them are in @diag) or memory ran out (errno ENOMEM).
 * Warnings may be left in @diag either way.
 */
struct l3_cfg *l3_cfg_load(const char *path, struct l3_diag *diag);
/* Same, from a buffer (tests, fuzzing), without drop-ins; @name is used
 * in messages. */
struct l3_cfg *l3_cfg_parse(const char *name, const char *buf, size_t len,
			    struct l3_diag *diag);
void l3_cfg_free(struct l3_cfg *cfg);
/* The drop-in directory of policy file @path (malloc'd), or NULL. */
char *l3_cfg_dropin_dir(const char *path);

/* The namespace called @name, or NULL. */
const struct l3_ns *l3_cfg_find_ns(const struct l3_cfg *cfg, const char *name);
/* Lowest set bit of the mask: the id is shifted by this much. */
unsigned l3_cfg_mark_shift(uint32_t mask);
/* The largest id the mask allows. */
uint32_t l3_cfg_max_id(uint32_t mask);
/* The packet mark bits of namespace id @id (shifted into the mask). */
uint32_t l3_cfg_mark(const struct l3_cfg *cfg, uint32_t id);
/* The id whose mark is @mark; 0 when @mark is no namespace's. */
uint32_t l3_cfg_mark_id(const struct l3_cfg *cfg, uint32_t mark);
/* May @spec be registered for @ns at run time? Its own static `listen`
 * entries always; else what `allow_listen` says, by default every
 * multicast group and broadcast ports from 1024 up. */
bool l3_cfg_ns_allows(const struct l3_ns *ns, const struct l3_listen *spec);
/* Parses one `allow_listen` pattern (239.0.0.0/8:*\/udp, [ff05::/16]:5000-5010/udp,
 * broadcast:1024-65535/udp); 0, or -1 with a reason in @why. */
int l3_listen_allow_parse(const char *s, struct l3_listen_allow *out, const char **why);
/* The name of a protocol a `protocols` list may hold, or NULL. */
const char *l3_cfg_protocol_name(uint8_t proto);
/* "auto", "required" or "off". */
const char *l3_cfg_socket_layer_name(enum l3_socket_layer m);
/* Does @ns take new flows of @proto to @port from outside? */
bool l3_cfg_ns_exposes(const struct l3_ns *ns, uint8_t proto, uint16_t port);
/* The first address of @family in @ns (the egress source), or NULL. */
const struct l3_addr *l3_cfg_ns_source(const struct l3_ns *ns, int family);

#endif
