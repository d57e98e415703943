/*
 * Rules read back (compiler/rule_parse.c): every rule the compiler makes
 * for the shipped example and the drop-in set, built as libnftnl objects
 * for both queue forms, reads back into a rule that emits the very same
 * expressions and prints as `l3nft compile` prints the original, except
 * those whose operands the expressions do not carry (anonymous sets'
 * elements, cgroup paths). This is what lets `diff -v` show a rule of the
 * live table in compile's words.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include "tests.h"
#include "l3nft/compiler/emit_nl.h"
#include "l3nft/compiler/emit_text.h"
#include "l3nft/compiler/ir.h"
#include "l3nft/compiler/rule_parse.h"
#include "l3nft/kernel/live.h"

static const struct l3_ir_opts l3t_rp_opts = {
	.cgroup_mount = "/sys/fs/cgroup",
};

static char *l3t_rule_text(const struct l3_ir *ir, const struct l3_ir_rule *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	l3_emit_rule(ir, r, f);
	fclose(f);
	return text;
}

/* Whether the rule's operands are all in its expressions. */
static bool l3t_readable(const struct l3_ir_rule *r)
{
	int i;

	for (i = 0; i < r->nm; i++)
		if ((r->m[i].op == L3_OP_IN_LIST && r->m[i].nlist > 1 &&
		     r->m[i].key.e[0].sel != L3_SEL_CT_STATE &&
		     r->m[i].key.e[0].sel != L3_SEL_CT_STATUS) ||
		    (r->m[i].op == L3_OP_EQ && r->m[i].val.type == L3_T_CGROUP))
			return false;
	return true;
}

/* Every rule of @ir; returns how many were read back. */
static size_t l3t_round_trip(const struct l3_ir *ir, const struct l3_nl_features *f)
{
	size_t i, j, n = 0;

	for (i = 0; i < ir->chains.len; i++) {
		const struct l3_ir_chain *c = L3_IR_CHAIN(ir, i);

		for (j = 0; j < c->rules.len; j++) {
			const struct l3_ir_rule *r = (const struct l3_ir_rule *)c->rules.items + j;
			struct nftnl_rule *o = l3_nl_rule_obj(NULL, ir, c, r, f), *again;
			struct l3_nl_features f2;
			struct l3_ir_rule back;
			char *want, *got, *e1, *e2;

			ck_assert_ptr_nonnull(o);
			want = l3t_rule_text(ir, r);
			if (l3_rule_parse(o, &back, &f2) < 0) {
				ck_assert_msg(!l3t_readable(r), "not read back: chain %s: %s",
					      c->name, want);
				free(want);
				nftnl_rule_free(o);
				continue;
			}
			again = l3_nl_rule_obj(NULL, ir, c, &back, &f2);
			ck_assert_ptr_nonnull(again);
			e1 = l3_live_rule_exprs(o);
			e2 = l3_live_rule_exprs(again);
			ck_assert_str_eq(e2, e1);
			got = l3t_rule_text(ir, &back);
			ck_assert_msg(!strcmp(got, want), "chain %s:\n  compile: %s\n  read:    %s",
				      c->name, want, got);
			n++;
			free(want);
			free(got);
			free(e1);
			free(e2);
			nftnl_rule_free(again);
			nftnl_rule_free(o);
		}
	}
	return n;
}

static void l3t_round_trip_file(const char *rel)
{
	static const struct l3_nl_features native = { .native_queue = true }, xt = { 0 };
	char path[4096];
	struct l3_diag d;
	struct l3_cfg *cfg;
	struct l3_ir *ir;

	snprintf(path, sizeof(path), "%s/%s", L3_TEST_SRCDIR, rel);
	l3_diag_init(&d, path);
	cfg = l3_cfg_load(path, &d);
	ck_assert_msg(cfg != NULL, "%s does not load", path);
	ir = l3_ir_build(cfg, &l3t_rp_opts);
	ck_assert_ptr_nonnull(ir);
	ck_assert_uint_gt(l3t_round_trip(ir, &native), 20);
	ck_assert_uint_gt(l3t_round_trip(ir, &xt), 20);
	l3_ir_free(ir);
	l3_cfg_free(cfg);
	l3_diag_fini(&d);
}

START_TEST(example_rules_read_back)
{
	l3t_round_trip_file("rules/example.yaml");
}
END_TEST

START_TEST(dropin_rules_read_back)
{
	l3t_round_trip_file("tests/dropin/ok/l3nft.yaml");
}
END_TEST

/* A rule of the sysadmin's: no reading, so diff -v shows it raw. */
START_TEST(foreign_rule_is_no_reading)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nftnl_expr *e = nftnl_expr_alloc("counter");
	struct l3_nl_features f;
	struct l3_ir_rule out;

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(e);
	nftnl_rule_add_expr(r, e);
	ck_assert_int_eq(l3_rule_parse(r, &out, &f), -1);
	nftnl_rule_free(r);
}
END_TEST

Suite *l3_suite_rule_parse(void)
{
	Suite *s = suite_create("rule_parse");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, example_rules_read_back);
	tcase_add_test(tc, dropin_rules_read_back);
	tcase_add_test(tc, foreign_rule_is_no_reading);
	suite_add_tcase(s, tc);
	return s;
}
