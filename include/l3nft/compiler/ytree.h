/*
 * A YAML document as a small tree that remembers where each node was.
 * Built from libyaml's event stream rather than its document API so that
 * aliases can be refused (an alias bomb would otherwise expand into an
 * exponential walk) and nesting and size can be bounded.
 */
#ifndef L3NFT_YTREE_H
#define L3NFT_YTREE_H

#include <stdbool.h>
#include <stddef.h>
#include "l3nft/compiler/diag.h"
#include "l3nft/compiler/util.h"

#define L3_YAML_MAX_DEPTH 32
#define L3_YAML_MAX_NODES (4u << 20)

enum l3_ynode_kind {
	L3_Y_SCALAR,
	L3_Y_SEQ,
	L3_Y_MAP,
};

struct l3_ynode;

struct l3_ypair {
	struct l3_ynode *key;	/* always a scalar */
	struct l3_ynode *value;
};

struct l3_ynode {
	enum l3_ynode_kind kind;
	struct l3_pos pos;
	/* scalar */
	const char *str;
	size_t len;
	bool plain;		/* unquoted: may be a number, bool or null */
	/* sequence: struct l3_ynode *; mapping: struct l3_ypair */
	struct l3_vec items;
};

/*
 * Parses @buf. Returns the root node, NULL for an empty document (nothing
 * reported) or on error (reported in @diag; *@failed set).
 */
struct l3_ynode *l3_yaml_parse(struct l3_arena *a, const char *buf, size_t len,
			       struct l3_diag *diag, bool *failed);

/* A plain empty, ~ or null scalar: YAML's null, i.e. no value. */
bool l3_yaml_is_null(const struct l3_ynode *n);

/* Short name of a node's kind for "expected X, got Y" messages. */
const char *l3_yaml_kind_name(const struct l3_ynode *n);

#endif
