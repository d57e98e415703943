/*
 * apply: policy → IR (with cgroup ids) → one netlink transaction. The
 * kernel takes all of it or none of it; on refusal the old table stays as
 * it was and each error is reported at the policy line it came from.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include "l3nft/apply.h"
#include "l3nft/cgroup.h"
#include "l3nft/ir.h"
#include "l3nft/nl.h"

#define L3_APPLY_MAX_ERRORS 32

static void l3_apply_warn_missing(const struct l3_ir *ir, struct l3_diag *diag)
{
	const struct l3_ns *const *ns = ir->missing.items;
	size_t i;

	for (i = 0; i < ir->missing.len; i++)
		l3_warn(diag, ns[i]->cgroup_pos,
			"cgroup '%s' of namespace '%s' does not exist yet: it has no members "
			"until it does (l3nftd adds it when it appears)", ns[i]->cgroup,
			ns[i]->name);
}

static void l3_apply_report(const struct l3_nl_error *errs, size_t n, struct l3_diag *diag)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct l3_nl_origin *o = errs[i].origin;

		if (o)
			l3_error(diag, o->pos, "the kernel refused %s: %s", o->what,
				 strerror(errs[i].err));
		else
			l3_error(diag, L3_NOPOS, "the kernel refused the transaction: %s",
				 strerror(errs[i].err));
	}
}

/* Sends @ir as one transaction; 0, or an l3_status. */
static enum l3_status l3_apply_send(struct mnl_socket *nl, const struct l3_ir *ir,
				    const struct l3_nl_features *f, bool commit,
				    struct l3_diag *diag)
{
	struct l3_nl_error errs[L3_APPLY_MAX_ERRORS];
	struct l3_nl_batch nb;
	size_t nerrs = 0;
	enum l3_status st = L3_OK;

	if (l3_nl_batch_init(&nb, (uint32_t)time(NULL)) < 0 ||
	    l3_nl_emit_table(&nb, ir, f) < 0 || l3_nl_batch_end(&nb, commit) < 0) {
		l3_error(diag, L3_NOPOS, "building the transaction: %s", strerror(errno));
		st = L3_REFUSED;
	} else if (l3_nl_send(nl, &nb, errs, L3_APPLY_MAX_ERRORS, &nerrs) < 0) {
		if (nerrs)
			l3_apply_report(errs, nerrs, diag);
		else
			l3_error(diag, L3_NOPOS, "sending the transaction: %s", strerror(errno));
		st = L3_REFUSED;
	}
	l3_nl_batch_fini(&nb);
	return st;
}

enum l3_status l3_apply(const struct l3_cfg *cfg, const struct l3_apply_opts *o,
			struct l3_diag *diag)
{
	struct l3_cgroup_mount mnt;
	struct l3_ir_opts iro = { .resolve_cgroups = true };
	struct l3_nl_features f;
	struct mnl_socket *nl = NULL;
	struct l3_ir *ir = NULL;
	enum l3_status st = L3_REFUSED;

	if (l3_cgroup_find_mount(NULL, &mnt) < 0) {
		l3_error(diag, L3_NOPOS, "no cgroup2 file system is mounted (see /proc/self/mountinfo)");
		return L3_REFUSED;
	}
	iro.cgroup_mount = mnt.path;
	iro.cgroup_root_level = mnt.root_level;
	ir = l3_ir_build(cfg, &iro);
	if (!ir) {
		l3_error(diag, L3_NOPOS, "building the table: %s", strerror(errno));
		return errno == E2BIG ? L3_INVALID : L3_REFUSED;
	}
	l3_apply_warn_missing(ir, diag);
	nl = l3_nl_open();
	if (!nl || l3_nl_probe(nl, &f) < 0) {
		l3_error(diag, L3_NOPOS, "nf_tables netlink: %s", strerror(errno));
		goto out;
	}
	if (o->verbose)
		fprintf(o->log, "kernel: %s\n", f.native_queue
			? "native nft queue"
			: "no native nft queue; using the xt NFQUEUE target (nft_compat)");
	st = l3_apply_send(nl, ir, &f, !o->dry_run, diag);
	if (st == L3_OK && o->log)
		fprintf(o->log, o->dry_run ? "dry run: the kernel accepts table inet %s; nothing changed\n"
					   : "applied table inet %s\n", ir->table);
out:
	if (nl)
		mnl_socket_close(nl);
	l3_ir_free(ir);
	return st;
}
