/*
 * libFuzzer target: the policy file, end to end as `l3nft compile` runs it
 * (parse, diagnostics with their caret lines, IR, nft text), minus the
 * filesystem. The input is not NUL-terminated, as a file mapped by a
 * caller would not be.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "l3nft/cfg.h"
#include "l3nft/diag.h"
#include "l3nft/ir.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *l3_fuzz_null;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	l3_fuzz_null = fopen("/dev/null", "w");
	if (!l3_fuzz_null)
		abort();
	return 0;
}

/* Every listen entry of a valid model prints back to itself: the daemon
 * and `l3nft listeners` show entries through l3_listen_format. */
static void l3_fuzz_check_listens(const struct l3_cfg *cfg)
{
	size_t i, j;

	for (i = 0; i < cfg->nns; i++)
		for (j = 0; j < cfg->ns[i].nlistens; j++) {
			const struct l3_listen *l = &cfg->ns[i].listens[j];
			struct l3_listen again;
			const char *why = NULL;
			char buf[64];

			l3_listen_format(l, buf, sizeof(buf));
			if (l3_listen_parse(buf, &again, &why) < 0 || again.kind != l->kind ||
			    again.family != l->family || again.port != l->port ||
			    memcmp(&again.group, &l->group, sizeof(again.group)))
				__builtin_trap();
		}
}

static void l3_fuzz_compile(const struct l3_cfg *cfg)
{
	struct l3_ir_opts opts = { .cgroup_mount = "/sys/fs/cgroup" };
	struct l3_ir *ir;

	ir = l3_ir_build(cfg, &opts);
	/* E2BIG: more cgroup levels than the table supports, a user error */
	if (!ir && errno != E2BIG && errno != ENOMEM)
		__builtin_trap();
	if (!ir)
		return;
	if (l3_emit_text(ir, l3_fuzz_null) < 0)
		__builtin_trap();
	l3_ir_free(ir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct l3_diag diag;
	struct l3_cfg *cfg;

	/* l3_cfg_load refuses larger files before parsing */
	if (size > L3_CFG_MAX_FILE_SIZE)
		return -1;
	l3_diag_init(&diag, "fuzz.yaml");
	l3_diag_set_source(&diag, (const char *)data, size);
	errno = 0;
	cfg = l3_cfg_parse("fuzz.yaml", (const char *)data, size, &diag);
	/* the contract: a model with no errors, or NULL with at least one
	 * error reported (or ENOMEM); never a silent refusal */
	if (cfg && diag.nerrors)
		__builtin_trap();
	if (!cfg && !diag.nerrors && errno != ENOMEM)
		__builtin_trap();
	l3_diag_print(&diag, l3_fuzz_null);
	if (cfg) {
		l3_fuzz_check_listens(cfg);
		l3_fuzz_compile(cfg);
	}
	l3_cfg_free(cfg);
	l3_diag_fini(&diag);
	return 0;
}
