/*
 * The socket layer: cgroup BPF programs (bpf/l3nft_sock.bpf.c) that give a
 * namespace's sockets its addresses at the socket API (wildcard binds
 * rewritten, foreign binds refused, sources filled, ingress checked at the
 * receiving socket, a wildcard TCP listener reached at every address of
 * its namespace through sk_lookup). Loaded from the skeleton embedded in l3nft, attached
 * once at the namespaces' common parent cgroup, pinned per network
 * namespace under /sys/fs/bpf/l3nft/<netns inode>/ so they outlive apply.
 */
#ifndef L3NFT_KERNEL_SOCK_LAYER_H
#define L3NFT_KERNEL_SOCK_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "l3nft/compiler/diag.h"
#include "l3nft/compiler/ir.h"

#define L3_SOCK_LAYER_BPFFS "/sys/fs/bpf"
/* bind4/6, connect4/6, sendmsg4/6, ingress, sockops, post_bind4/6 on the
 * cgroup; sk_lookup on the network namespace; the UDP iterator */
#define L3_SOCK_LAYER_NPROGS 12

/* One namespace's counters, summed over the CPUs. */
struct l3_sock_layer_ctr {
	uint64_t bind_rewritten;	/* wildcard binds given the namespace's address */
	uint64_t bind_refused;		/* binds to addresses it does not own (EPERM) */
	uint64_t src_filled;		/* connects/datagrams given its source */
	uint64_t send_refused;		/* datagrams with a foreign source (EPERM) */
	uint64_t ingress_dropped;	/* packets for other addresses dropped at its sockets */
	uint64_t steered;		/* connections and datagrams handed to its wildcard socket */
};

/* What is attached in this network namespace. */
struct l3_sock_layer_state {
	bool attached;		/* every program's link is pinned */
	size_t nlinks;
	uint64_t cgroup_id;	/* where the links are attached */
	char dir[128];		/* the pin directory */
};

/*
 * After the table is applied: per cfg->socket_layer, loads and attaches
 * the programs (or, when they are attached at the right cgroup, only
 * updates their maps) for @ir, whose namespaces' cgroups have the ids
 * @cgroup_ids (policy order, 0 = missing); with `off`, removes them.
 * Reports to @log. 0; -1 when `required` and it failed (error in @diag).
 */
int l3_sock_layer_apply(const struct l3_ir *ir, const uint64_t *cgroup_ids, FILE *log,
			struct l3_diag *diag);

/* Removes every program, link, map and pin of this network namespace
 * (@dry_run: only says what). Sets *@removed when something was there.
 * 0, or -1 with the reason in @diag. */
int l3_sock_layer_delete(bool dry_run, bool *removed, struct l3_diag *diag);

/* Opens and loads every program through the verifier, attaches nothing.
 * The number of programs loaded, or -1 with errno. */
int l3_sock_layer_probe(void);

/* Reads the state of this network namespace into @st. 0, or -1 with errno. */
int l3_sock_layer_read(struct l3_sock_layer_state *st);

/* Namespace @id's counters. 0; -1 with errno (ENOENT: none). */
int l3_sock_layer_counters(const struct l3_sock_layer_state *st, uint32_t id,
			   struct l3_sock_layer_ctr *out);

/* Prints the maps apply would fill for @ir as an nft comment block. */
int l3_sock_layer_print(const struct l3_ir *ir, FILE *out);

#endif
