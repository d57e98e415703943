/*
 * A namespace's cgroup id in the table's cgroup_lN and member_lN sets.
 * systemd makes a unit's cgroup anew on every start, with a new id; l3nftd
 * follows with inotify, and `l3nft sync` (ExecStartPre=) does it before the
 * unit's main process runs. Both write the elements through here.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include "l3nft/compiler/emit_nl.h"
#include "l3nft/kernel/cgmember.h"
#include "l3nft/kernel/nl_sock.h"

struct l3_ir_elem l3_cgmember_elem(struct l3_ir *ir, const struct l3_cgmember *m, uint64_t id,
				   bool member)
{
	struct l3_ir_elem e = { 0 };
	struct l3_ir_value cg = { .type = L3_T_CGROUP };

	cg.u.cg.path = m->ns->cgroup;
	cg.u.cg.id = id;
	cg.u.cg.level = m->level;
	if (member) {
		e.key[0].type = L3_T_MARK;
		e.key[0].u.mark = m->mark;
		e.key[1] = cg;
	} else {
		e.key[0] = cg;
		e.data.type = L3_T_VERDICT;
		e.data.u.verdict.code = L3_V_JUMP;
		e.data.u.verdict.chain = l3_arena_printf(ir->arena, L3_IR_CHAIN_NS_FMT, m->ns->name);
	}
	return e;
}

/* One element added to or deleted from set @name, as one transaction. */
static int l3_cgmember_send(struct mnl_socket *nl, const struct l3_ir *ir, const char *name,
			    const struct l3_ir_elem *e, bool add)
{
	const struct l3_ir_set *is = l3_ir_find_set(ir, name);
	struct l3_nl_error err;
	struct l3_nl_batch nb;
	size_t nerr = 0;
	int rc = -1;

	if (!is) {
		errno = ENOENT;
		return -1;
	}
	if (l3_nl_batch_init(&nb, (uint32_t)time(NULL)) < 0)
		return -1;
	if (l3_nl_emit_elems(&nb, ir, is, e, 1, add) == 0 && l3_nl_batch_end(&nb, true) == 0)
		rc = l3_nl_send(nl, &nb, &err, 1, &nerr);
	if (rc < 0 && nerr)
		errno = err.err;
	l3_nl_batch_fini(&nb);
	return rc;
}

int l3_cgmember_move(struct mnl_socket *nl, struct l3_ir *ir, const struct l3_cgmember *m,
		     uint64_t old, uint64_t now)
{
	char set[32];
	int k;

	for (k = 0; k < 2; k++) {
		struct l3_ir_elem del = l3_cgmember_elem(ir, m, old, k == 1);
		struct l3_ir_elem add = l3_cgmember_elem(ir, m, now, k == 1);

		if (k == 0 && !add.data.u.verdict.chain) {
			errno = ENOMEM;
			return -1;
		}
		snprintf(set, sizeof(set), k ? L3_IR_SET_MEMBER_FMT : L3_IR_SET_CGROUP_FMT, m->level);
		if (old && old != now)
			l3_cgmember_send(nl, ir, set, &del, false);
		if (now && l3_cgmember_send(nl, ir, set, &add, true) < 0)
			return -1;
	}
	return 0;
}
