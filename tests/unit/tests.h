/*
 * Unit tests: one Check suite per module, run by main.c. The helpers
 * below parse in-memory policies and compare diagnostics; a helper that
 * fails names the test line that called it.
 */
#ifndef L3NFT_TESTS_H
#define L3NFT_TESTS_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "l3nft/compiler/cfg.h"
#include "l3nft/compiler/diag.h"

Suite *l3_suite_cfg(void);
Suite *l3_suite_ir(void);
Suite *l3_suite_text(void);
Suite *l3_suite_live(void);
Suite *l3_suite_rule_parse(void);

#define L3T_FILE "t.yaml"

/* Parses @len bytes of @yaml as file "t.yaml"; @d keeps pointing into
 * @yaml for its source lines, so @yaml must outlive it. */
static inline struct l3_cfg *l3t_parse_n(struct l3_diag *d, const char *yaml, size_t len)
{
	l3_diag_init(d, L3T_FILE);
	l3_diag_set_source(d, yaml, len);
	return l3_cfg_parse(L3T_FILE, yaml, len, d);
}

static inline struct l3_cfg *l3t_parse(struct l3_diag *d, const char *yaml)
{
	return l3t_parse_n(d, yaml, strlen(yaml));
}

/* What l3_diag_print writes, as one malloc'd string. */
static inline char *l3t_print(struct l3_diag *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	l3_diag_print(d, f);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

/* Asserts that @yaml is valid and gave no message; the caller frees. */
#define l3t_ok(yaml) l3t_ok_at(__FILE__, __LINE__, (yaml))
static inline struct l3_cfg *l3t_ok_at(const char *file, int line, const char *yaml)
{
	struct l3_diag d;
	struct l3_cfg *cfg = l3t_parse(&d, yaml);
	char *out = l3t_print(&d);

	ck_assert_msg(cfg != NULL && d.len == 0, "%s:%d: policy refused:\n%s", file, line, out);
	free(out);
	l3_diag_fini(&d);
	return cfg;
}

/*
 * Asserts that @yaml is refused with exactly one message, an error at
 * @eline:@ecol saying @etext.
 */
#define l3t_error(yaml, eline, ecol, etext) \
	l3t_error_n_at(__FILE__, __LINE__, (yaml), strlen(yaml), (eline), (ecol), (etext))
#define l3t_error_n(yaml, len, eline, ecol, etext) \
	l3t_error_n_at(__FILE__, __LINE__, (yaml), (len), (eline), (ecol), (etext))
static inline void l3t_error_n_at(const char *file, int line, const char *yaml, size_t len,
				  int eline, int ecol, const char *etext)
{
	struct l3_diag d;
	struct l3_cfg *cfg = l3t_parse_n(&d, yaml, len);
	char *out = l3t_print(&d);

	ck_assert_msg(cfg == NULL, "%s:%d: policy accepted", file, line);
	ck_assert_msg(d.len == 1 && d.nerrors == 1 && d.msgs[0].sev == L3_ERROR,
		      "%s:%d: expected one error, got %zu messages:\n%s", file, line, d.len, out);
	ck_assert_msg(d.msgs[0].pos.line == eline && d.msgs[0].pos.col == ecol &&
		      !strcmp(d.msgs[0].text, etext),
		      "%s:%d: expected %d:%d: %s\ngot:\n%s", file, line, eline, ecol, etext, out);
	free(out);
	l3_diag_fini(&d);
}

#endif
