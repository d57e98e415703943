/*
 * The IR: one nftables table as data. l3_ir_build() makes it from a policy;
 * the text emitter (emit_text.c) prints it as an nft script and the netlink
 * emitter turns the very same structures into a libnftnl batch, so what
 * `compile` shows is what `apply` loads.
 *
 * Rules are written in nftables' own vocabulary (selectors, relations,
 * statements) rather than as kernel registers: the text emitter prints each
 * item directly, and the netlink emitter expands each into the expressions
 * nft itself would generate.
 */
#ifndef L3NFT_COMPILER_IR_H
#define L3NFT_COMPILER_IR_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include "l3nft/compiler/cfg.h"

/* Data types of set keys, map values and rule operands. */
enum l3_ir_type {
	L3_T_NONE,
	L3_T_MARK,		/* 32-bit packet mark */
	L3_T_IPV4,
	L3_T_IPV6,
	L3_T_CGROUP,		/* cgroupsv2: 64-bit id, printed as a path */
	L3_T_PORT,		/* inet_service */
	L3_T_VERDICT,
	L3_T_COUNTER,		/* objref map value: a counter's name */
	L3_T_IFINDEX,		/* an interface index, in u.mark; 1 is lo */
	L3_T_PROTO,		/* inet_proto: an IP protocol number, in u.mark */
};

enum l3_ir_verdict {
	L3_V_ACCEPT,
	L3_V_DROP,
	L3_V_RETURN,
	L3_V_JUMP,
	L3_V_GOTO,		/* a return there returns from this chain too */
};

struct l3_ir_cgroup {
	const char *path;	/* below the cgroup2 mount, e.g. "l3nft/web" */
	int level;		/* depth below the cgroup2 root */
	uint64_t id;		/* inode of the directory; 0 = not resolved */
};

struct l3_ir_value {
	enum l3_ir_type type;
	union {
		uint32_t mark;
		struct in_addr v4;
		struct in6_addr v6;
		uint16_t port;			/* host byte order */
		struct l3_ir_cgroup cg;
		struct {
			enum l3_ir_verdict code;
			const char *chain;	/* JUMP */
		} verdict;
		const char *obj;		/* counter name */
	} u;
};

#define L3_IR_SET_KEYS_MAX 4
struct l3_ir_elem {
	/* concatenation of set->nkey values */
	struct l3_ir_value key[L3_IR_SET_KEYS_MAX];
	/* L3_SET_INTERVAL: the last key is an address prefix of this length
	 * (its host bits zero); the element covers the whole prefix */
	int plen;
	struct l3_ir_value data;	/* maps only */
	const char *comment;		/* printed after the element; may be NULL */
	const struct l3_ns *ns;		/* the namespace it belongs to, or NULL */
	struct l3_pos pos;
};

enum l3_ir_set_flags {
	L3_SET_MAP = 1 << 0,
	/* Elements change at run time (cgroup ids, listener registrations):
	 * l3nftd updates them, and `apply` keeps what is there. */
	L3_SET_DYNAMIC = 1 << 1,
	/* The last key field is an address prefix (l3_ir_elem.plen): an
	 * interval set, concatenated ("flags interval"). */
	L3_SET_INTERVAL = 1 << 2,
};

struct l3_ir_set {
	const char *name;
	enum l3_ir_type key[L3_IR_SET_KEYS_MAX];
	int nkey;
	enum l3_ir_type data;		/* maps only */
	unsigned flags;
	const char *comment;
	struct l3_vec elems;		/* of struct l3_ir_elem */
	struct l3_pos pos;
};

struct l3_ir_counter {
	const char *name;
	const char *comment;
	uint64_t packets, bytes;	/* start values (apply keeps the old ones) */
	const struct l3_ns *ns;
	struct l3_pos pos;
};

/* What a rule looks at. */
enum l3_ir_sel {
	L3_SEL_MARK,		/* meta mark (and mask, if the expr has one) */
	L3_SEL_SOCKET_CGROUP,	/* socket cgroupv2 level N */
	L3_SEL_IP_SADDR,
	L3_SEL_IP_DADDR,
	L3_SEL_IP6_SADDR,
	L3_SEL_IP6_DADDR,
	L3_SEL_UDP_DPORT,
	L3_SEL_OIF,		/* compared with an L3_T_IFINDEX */
	L3_SEL_CT_STATE,
	L3_SEL_L4PROTO,
	L3_SEL_NFPROTO,
	L3_SEL_ICMP_TYPE,
	L3_SEL_ICMPV6_TYPE,
	L3_SEL_CT_MARK,		/* ct mark (and mask, if the expr has one) */
	L3_SEL_CT_STATUS,	/* a bit set, like ct state */
	L3_SEL_CT_DIRECTION,	/* L3_CT_DIR_* */
	L3_SEL_IIF,		/* compared with an L3_T_IFINDEX */
	L3_SEL_SOCKET_WILDCARD,	/* full sockets only: bound to any address */
	L3_SEL_SOCKET_TRANSPARENT, /* any socket, request and TIME_WAIT ones too */
	L3_SEL_TH_DPORT,	/* the transport header's destination port (TCP, UDP) */
};

struct l3_ir_expr {
	enum l3_ir_sel sel;
	uint32_t mask;		/* MARK, CT_MARK: "and mask"; 0 = the whole mark */
	int level;		/* SOCKET_CGROUP */
};

#define L3_IR_KEY_MAX 4
struct l3_ir_key {
	struct l3_ir_expr e[L3_IR_KEY_MAX];	/* concatenated in order */
	int n;
};

enum l3_ir_op {
	L3_OP_EQ,		/* key == value */
	L3_OP_PREFIX,		/* address key in value/plen */
	L3_OP_IN_LIST,		/* key in { list } (small anonymous set) */
	L3_OP_IN_SET,		/* key in @set */
};

#define L3_IR_LIST_MAX 8
/* ct state bits, as the kernel numbers them */
#define L3_CT_ESTABLISHED 0x02u
#define L3_CT_RELATED 0x04u
/* ct status bits */
#define L3_CT_STATUS_CONFIRMED 0x08u
/* ct direction */
#define L3_CT_DIR_ORIGINAL 0u
#define L3_CT_DIR_REPLY 1u

struct l3_ir_match {
	struct l3_ir_key key;
	enum l3_ir_op op;
	struct l3_ir_value val;		/* EQ, NE, PREFIX; CT_STATE: a bit mask */
	int plen;			/* PREFIX */
	uint32_t list[L3_IR_LIST_MAX];	/* IN_LIST: small integer values */
	int nlist;
	const char *set;		/* IN_SET */
	/* EQ: "!="; IN_SET: "!= @set"; IN_LIST: "!= { list }", of a bit
	 * set (ct status): none of the bits */
	bool inv;
};

enum l3_ir_stmt_kind {
	L3_STMT_MARK_SET,	/* meta mark set meta mark and ~mask or value */
	L3_STMT_CT_MARK_SET,	/* ct mark set ct mark and ~mask or value */
	L3_STMT_VMAP,		/* key vmap @set */
	L3_STMT_COUNTER_NAMED,	/* counter name "x" */
	L3_STMT_COUNTER_MAP,	/* counter name key map @set */
	L3_STMT_SNAT_MAP,	/* snat ip|ip6 to key map @set */
	L3_STMT_QUEUE,		/* queue num N [bypass] */
	L3_STMT_REJECT_TCP_RESET,
	L3_STMT_REJECT_PORT,	/* reject with icmpx port-unreachable */
	L3_STMT_REJECT_ADMIN,	/* reject with icmpx admin-prohibited */
	L3_STMT_VERDICT,
	L3_STMT_LIMIT,		/* limit rate N/minute burst B packets */
	L3_STMT_LOG,		/* log prefix "x" level info */
};

struct l3_ir_stmt {
	enum l3_ir_stmt_kind kind;
	struct l3_ir_key key;		/* VMAP, COUNTER_MAP, SNAT_MAP */
	const char *set;		/* VMAP, COUNTER_MAP, SNAT_MAP */
	const char *name;		/* COUNTER_NAMED */
	uint32_t mark_mask;		/* (CT_)MARK_SET: the bits that are replaced */
	uint32_t mark_value;		/* (CT_)MARK_SET: their new value */
	int family;			/* SNAT_MAP: AF_INET or AF_INET6 */
	uint16_t queue_num;		/* QUEUE */
	bool queue_bypass;		/* QUEUE */
	struct l3_ir_value verdict;	/* VERDICT */
	uint32_t limit_per_minute;	/* LIMIT */
	uint32_t limit_burst;		/* LIMIT: packets */
	const char *log_prefix;		/* LOG */
};

#define L3_IR_MATCH_MAX 4
#define L3_IR_STMT_MAX 3
struct l3_ir_rule {
	struct l3_ir_match m[L3_IR_MATCH_MAX];
	int nm;
	struct l3_ir_stmt s[L3_IR_STMT_MAX];
	int ns;
	const char *comment;		/* a line printed above the rule */
	struct l3_pos pos;		/* the policy line that asked for it */
};

enum l3_ir_hook {
	L3_HOOK_NONE,			/* a regular chain */
	L3_HOOK_PREROUTING,
	L3_HOOK_INPUT,
	L3_HOOK_OUTPUT,
	L3_HOOK_POSTROUTING,
};

enum l3_ir_chain_type {
	L3_CHAIN_FILTER,
	L3_CHAIN_ROUTE,
	L3_CHAIN_NAT,
};

struct l3_ir_chain {
	const char *name;
	enum l3_ir_hook hook;
	enum l3_ir_chain_type type;
	int prio;
	const char *comment;
	const struct l3_ns *ns;		/* per-namespace chain, or NULL */
	struct l3_vec rules;		/* of struct l3_ir_rule */
	struct l3_pos pos;
};

/* A counter's value, to carry it over into a new table. */
struct l3_ir_counter_value {
	char name[64];
	uint64_t packets, bytes;
};

/* A listen set element that l3nftd added at run time. */
struct l3_ir_listener {
	int family;			/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} a;
	uint16_t port;			/* host byte order */
};

/*
 * Facts about the running system that the table carries, read by the
 * caller (apply, the daemon) before building: the IR is complete when
 * l3_ir_build() returns, and the policy is never written.
 */
struct l3_ir_live {
	/* Per namespace (policy order): the id to use, e.g. the one the live
	 * table already has. NULL: the ids of the policy. */
	const uint32_t *ids;
	/* Per namespace: its cgroup's id, 0 when the cgroup does not exist
	 * yet (it then gets no elements and is listed in ir->missing). NULL:
	 * not resolved, as in the text form, which prints paths. */
	const uint64_t *cgroup_ids;
	/* Values the named counters start from, sorted by name (strcmp). */
	const struct l3_ir_counter_value *counters;
	size_t ncounters;
	/* Listen set elements registered at run time, kept in the table. */
	const struct l3_ir_listener *listeners;
	size_t nlisteners;
	/* Per `quarantine` entry (policy order): its cgroup's id, 0 when it
	 * does not exist (no element; listed in ir->quarantine_missing).
	 * NULL: not resolved, as in the text form. */
	const uint64_t *quarantine_ids;
};

/* Build options that are facts about the machine, not the policy. */
struct l3_ir_opts {
	/* The cgroup2 mount point, e.g. /sys/fs/cgroup/unified; the text form
	 * writes cgroup paths relative to /sys/fs/cgroup, as nft expects. */
	const char *cgroup_mount;
	/* Depth of the mount's root within the cgroup hierarchy (non-zero
	 * inside a cgroup namespace); added to each path's depth. */
	int cgroup_root_level;
	/* What the running system has; NULL for none (compile). */
	const struct l3_ir_live *live;
	/* l3nftd: only the declarations of the sets whose elements change
	 * at run time (L3_SET_DYNAMIC), without elements, chains or
	 * counters: all its element updates need, at a small part of the
	 * whole table's memory. */
	bool dynamic_sets_only;
};

#define L3_IR_LEVELS_MAX 16

struct l3_ir {
	struct l3_arena *arena;
	const struct l3_cfg *cfg;
	const char *table;
	const char *cgroup_prefix;	/* prefix for cgroup paths in nft text */
	struct l3_vec counters;		/* of struct l3_ir_counter */
	struct l3_vec sets;		/* of struct l3_ir_set *, declaration order */
	struct l3_vec chains;		/* of struct l3_ir_chain *, declaration order */
	int levels[L3_IR_LEVELS_MAX];	/* distinct cgroup levels in use, ascending */
	int nlevels;
	struct l3_vec missing;		/* const struct l3_ns *: cgroup not found */
	/* distinct levels of the quarantine parents, ascending */
	int qlevels[L3_IR_LEVELS_MAX];
	int nqlevels;
	/* const struct l3_quarantine *: parent cgroup not found */
	struct l3_vec quarantine_missing;
	uint32_t *ids;			/* per namespace (policy order): its id */
};

/* Iterating the pointer vectors above. */
#define L3_IR_SET(ir, i) (((struct l3_ir_set **)(ir)->sets.items)[i])
#define L3_IR_CHAIN(ir, i) (((struct l3_ir_chain **)(ir)->chains.items)[i])

/* Builds the table for @cfg. NULL with errno set on failure. */
struct l3_ir *l3_ir_build(const struct l3_cfg *cfg, const struct l3_ir_opts *opts);
void l3_ir_free(struct l3_ir *ir);
struct l3_ir_set *l3_ir_find_set(const struct l3_ir *ir, const char *name);
struct l3_ir_chain *l3_ir_find_chain(const struct l3_ir *ir, const char *name);

/* l3_ir_build()'s result for namespace @ns: its id and its packet mark. */
uint32_t l3_ir_ns_id(const struct l3_ir *ir, const struct l3_ns *ns);
uint32_t l3_ir_ns_mark(const struct l3_ir *ir, const struct l3_ns *ns);

/*
 * The table's vocabulary: every name the compiler gives a table object
 * that someone else (the daemon, status, the live-table reader) looks up
 * again. Defined here once.
 */
#define L3_IR_CHAIN_NS_PREFIX "ns_"		/* a namespace's mark chain */
#define L3_IR_CHAIN_NS_FMT L3_IR_CHAIN_NS_PREFIX "%s"
#define L3_IR_SET_CGROUP_FMT "cgroup_l%d"	/* cgroupsv2 : verdict */
#define L3_IR_SET_MEMBER_PREFIX "member_l"	/* mark . cgroupsv2 */
#define L3_IR_SET_MEMBER_FMT L3_IR_SET_MEMBER_PREFIX "%d"
#define L3_IR_SET_LISTEN4 "listen4"		/* ipv4_addr . inet_service */
#define L3_IR_SET_LISTEN6 "listen6"		/* ipv6_addr . inet_service */
#define L3_IR_SET_DST4 "dst4"			/* ipv4_addr : verdict */
#define L3_IR_SET_DST6 "dst6"			/* ipv6_addr : verdict */
#define L3_IR_SET_OWNED4 "owned4"		/* ipv4_addr: addresses the table owns */
#define L3_IR_SET_OWNED6 "owned6"		/* ipv6_addr */
/* expose: the marks of namespaces that list their exposed ports, and
 * mark . inet_proto . inet_service of each exposed port */
#define L3_IR_SET_EXPOSE_LIMITED "expose_limited"
#define L3_IR_SET_EXPOSED "exposed"
/* expose entries with `from`: mark . inet_proto . inet_service .
 * ipv4_addr (ipv6_addr) source prefix, an interval set */
#define L3_IR_SET_EXPOSE_FROM4 "expose_from4"
#define L3_IR_SET_EXPOSE_FROM6 "expose_from6"
#define L3_IR_COUNTER_HOST_REFUSED "host_refused"
#define L3_IR_COUNTER_LOOPBACK_REFUSED "loopback_refused"
/* a packet of a connection sent or received by a socket of another
 * namespace than the one that opened it */
#define L3_IR_COUNTER_NOT_OWNER "not_owner"
/* a namespace's packets of a protocol the policy does not allow it */
#define L3_IR_COUNTER_PROTOCOL_REFUSED "protocol_refused"
/* parent cgroups that hold only namespaces (`quarantine`): cgroupsv2 */
#define L3_IR_SET_QUARANTINE "quarantine"
/* packets of sockets below a quarantine parent in no known namespace */
#define L3_IR_COUNTER_QUARANTINED "quarantined"
/* 127.0.0.0/8 or ::1 arriving on another interface than lo */
#define L3_IR_COUNTER_LOOPBACK_MARTIAN "loopback_martian"

/* The table's comment: what tells l3nft's table from a sysadmin's of the
 * same name (apply and delete refuse a table without it, unless forced). */
#define L3_IR_TABLE_COMMENT "managed by l3nft: l3nft apply replaces it"

/* The named counters of each namespace, "NAME_KIND", and the objref maps
 * "KIND_ctr" from a namespace's mark to them. */
enum l3_ir_counter_kind {
	L3_CTR_EGRESS,		/* connections and flows translated */
	L3_CTR_ACCEPTED,	/* packets accepted for its sockets */
	L3_CTR_REFUSED,		/* packets refused to it */
	L3_CTR_KINDS,
};
#define L3_IR_COUNTER_FMT "%s_%s"		/* namespace, kind */
/* log_refused: the kernel log's prefix of a namespace's refused packets,
 * and how many it logs per minute (and in a burst) */
#define L3_IR_LOG_REFUSED_FMT "l3nft refused %s: "
#define L3_IR_LOG_REFUSED_RATE 10
#define L3_IR_LOG_REFUSED_BURST 5
#define L3_IR_COUNTER_MAP_FMT "%s_ctr"		/* kind */
extern const char *const l3_ir_counter_kinds[L3_CTR_KINDS];

#endif
