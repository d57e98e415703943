/*
 * libFuzzer target: the policy file, end to end as `l3nft compile` runs it
 * (parse, diagnostics with their caret lines, IR, nft text), minus the
 * filesystem. The input is not NUL-terminated, as a file mapped by a
 * caller would not be. Both outputs go to memory rather than /dev/null so
 * that what reaches a terminal or nft is checked too.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "l3nft/compiler/cfg.h"
#include "l3nft/compiler/diag.h"
#include "l3nft/compiler/emit_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void l3_fuzz_check_terminal_safe(const char *s, size_t n)
{
	size_t i = 0, len;
	uint32_t c;

	while (i < n) {
		len = l3_utf8_char((const unsigned char *)s + i, n - i, &c);
		if (!len)
			__builtin_trap();
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f ||
		    (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029 ||
		    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
		    c == 0xfeff)
			__builtin_trap();
		i += len;
	}
}

/* The nft script is ASCII: every name in it was validated, so a byte
 * outside printable ASCII, tab and newline means policy text leaked into
 * the script unchecked. */
static void l3_fuzz_check_script(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 0x20 && s[i] < 0x7f) || s[i] == '\n' || s[i] == '\t'))
			__builtin_trap();
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

static void l3_fuzz_emit(const struct l3_ir *ir)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem)
		abort();
	if (l3_emit_text(ir, mem) < 0 || fclose(mem) != 0)
		__builtin_trap();
	l3_fuzz_check_script(text, len);
	free(text);
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
	l3_fuzz_emit(ir);
	l3_ir_free(ir);
}

static void l3_fuzz_diag(struct l3_diag *diag)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem)
		abort();
	l3_diag_print(diag, mem);
	if (fclose(mem) != 0)
		abort();
	l3_fuzz_check_terminal_safe(text, len);
	free(text);
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
	l3_fuzz_diag(&diag);
	if (cfg) {
		l3_fuzz_check_listens(cfg);
		l3_fuzz_compile(cfg);
	}
	l3_cfg_free(cfg);
	l3_diag_fini(&diag);
	return 0;
}
