/*
 * The delta of two tables (kernel/live.c): both sides rendered from IRs
 * through the same reader apply uses on the kernel's dump; what an
 * incremental transaction would send, and when the table must be replaced
 * whole. Element lines read back into raw elements and nft syntax.
 */
#include "config.h"

#include "tests.h"
#include "l3nft/compiler/emit_nl.h"
#include "l3nft/compiler/ir.h"
#include "l3nft/kernel/live.h"

static const struct l3_ir_opts l3t_live_opts = {
	.cgroup_mount = "/sys/fs/cgroup",
};

#define L3T_NS_A "  a:\n    id: 1\n    addresses: [192.0.2.10/24]\n"
#define L3T_NS_B "  b:\n    id: 2\n    addresses: [192.0.2.11/24]\n"

/* @yaml's table, as canonical lines. */
static void l3t_render(const char *yaml, struct l3_live *lv)
{
	static const struct l3_nl_features f = { .native_queue = true };
	struct l3_cfg *cfg = l3t_ok(yaml);
	struct l3_ir *ir = l3_ir_build(cfg, &l3t_live_opts);

	ck_assert_ptr_nonnull(ir);
	ck_assert_int_eq(l3_live_render(lv, ir, &f), 0);
	l3_ir_free(ir);
	l3_cfg_free(cfg);
}

static bool l3t_list_has(const struct l3_live_list *l, const char *line)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], line))
			return true;
	return false;
}

START_TEST(delta_same_is_empty)
{
	struct l3_live have, want;
	struct l3_live_delta d;

	l3t_render("version: 1\nnamespaces:\n" L3T_NS_A L3T_NS_B, &have);
	l3t_render("version: 1\nnamespaces:\n" L3T_NS_A L3T_NS_B, &want);
	ck_assert_int_eq(l3_live_delta(&have, &want, &d), 0);
	ck_assert(!d.replace);
	ck_assert_uint_eq(l3_live_delta_size(&d), 0);
	l3_live_delta_free(&d);
	l3_live_free(&have);
	l3_live_free(&want);
}
END_TEST

START_TEST(delta_namespace_added_and_removed)
{
	struct l3_live have, want;
	struct l3_live_delta d;

	l3t_render("version: 1\nnamespaces:\n" L3T_NS_A, &have);
	l3t_render("version: 1\nnamespaces:\n" L3T_NS_B, &want);
	ck_assert_int_eq(l3_live_delta(&have, &want, &d), 0);
	ck_assert_msg(!d.replace, "replaced: %s", d.why);
	ck_assert(l3t_list_has(&d.chains_add, "chain ns_b"));
	ck_assert(l3t_list_has(&d.chains_del, "chain ns_a"));
	ck_assert(l3t_list_has(&d.ctrs_add, "counter b_egress"));
	ck_assert(l3t_list_has(&d.ctrs_del, "counter a_refused"));
	ck_assert(l3t_list_has(&d.elems_add, "elem dst4 c000020b : verdict -3 ns_b"));
	ck_assert(l3t_list_has(&d.elems_del, "elem dst4 c000020a : verdict -3 ns_a"));
	ck_assert_uint_eq(d.flush.n, 0);	/* rules of chains that come or go */
	l3_live_delta_free(&d);
	l3_live_free(&have);
	l3_live_free(&want);
}
END_TEST

START_TEST(delta_id_change_refills_the_chain)
{
	struct l3_live have, want;
	struct l3_live_delta d;
	char name[64];

	l3t_render("version: 1\nnamespaces:\n" L3T_NS_A, &have);
	l3t_render("version: 1\nnamespaces:\n  a:\n    id: 5\n    addresses: [192.0.2.10/24]\n",
		   &want);
	ck_assert_int_eq(l3_live_delta(&have, &want, &d), 0);
	ck_assert_msg(!d.replace, "replaced: %s", d.why);
	ck_assert_uint_eq(d.flush.n, 1);
	ck_assert_str_eq(l3_live_line_name(d.flush.v[0], name, sizeof(name)), "ns_a");
	ck_assert_uint_eq(d.chains_add.n + d.chains_del.n + d.ctrs_add.n + d.ctrs_del.n, 0);
	l3_live_delta_free(&d);
	l3_live_free(&have);
	l3_live_free(&want);
}
END_TEST

START_TEST(delta_mark_mask_replaces)
{
	struct l3_live have, want;
	struct l3_live_delta d;

	l3t_render("version: 1\nnamespaces:\n" L3T_NS_A, &have);
	l3t_render("version: 1\nmark_mask: 0x0000ff00\nnamespaces:\n" L3T_NS_A, &want);
	ck_assert_int_eq(l3_live_delta(&have, &want, &d), 0);
	ck_assert(d.replace);
	ck_assert_msg(strstr(d.why, "base chain") != NULL, "why: %s", d.why);
	l3_live_delta_free(&d);
	l3_live_free(&have);
	l3_live_free(&want);
}
END_TEST

#define L3T_NS_X(from) "  a:\n    id: 1\n    addresses: [192.0.2.10/24]\n" \
	"    expose: [{port: 22/tcp, from: [" from "]}]\n"
#define L3T_FROM4_LINE "elem expose_from4 000100000600000000160000c6336400-" \
	"000100000600000000160000c63364ff"

/* expose from: range elements carry both ends on one line, with the mark
 * big-endian as nft keeps it in a range set; a change is element deltas,
 * not a new table; the rule converts the mark (byteorder) as nft does. */
START_TEST(delta_expose_from_elements)
{
	struct l3_live have, want;
	struct l3_live_delta d;
	struct l3_nl_raw_elem e;
	char set[32], nft[256];
	size_t i;

	l3t_render("version: 1\nnamespaces:\n" L3T_NS_X("203.0.113.0/24"), &have);
	l3t_render("version: 1\nnamespaces:\n" L3T_NS_X("198.51.100.0/24"), &want);
	ck_assert_int_eq(l3_live_delta(&have, &want, &d), 0);
	ck_assert_msg(!d.replace, "replaced: %s", d.why);
	ck_assert_uint_eq(d.elems_add.n, 1);
	ck_assert_uint_eq(d.elems_del.n, 1);
	ck_assert_str_eq(d.elems_add.v[0], L3T_FROM4_LINE);
	ck_assert_uint_eq(l3_live_delta_size(&d), 2);
	ck_assert_int_eq(l3_live_elem_parse(d.elems_add.v[0], set, sizeof(set), &e), 0);
	ck_assert_uint_eq(e.klen, 16);
	ck_assert_uint_eq(e.klen_end, 16);
	ck_assert_uint_eq(e.key_end[15], 0xff);
	l3_live_elem_nft(&want, d.elems_add.v[0], nft, sizeof(nft));
	ck_assert_str_eq(nft, "element expose_from4 { 0x00010000 . 6 . 22 . 198.51.100.0/24 }");
	for (i = 0; i < want.nlines; i++)
		if (!strncmp(want.lines[i], "rule expose ", 12) && strstr(want.lines[i], "expose_from4"))
			break;
	ck_assert_uint_lt(i, want.nlines);
	ck_assert_msg(strstr(want.lines[i], "hton(reg 1, 4, 4)") != NULL, "%s", want.lines[i]);
	ck_assert_int_eq(l3_live_elem_parse("elem expose_from4 0001-", set, sizeof(set), &e), -1);
	l3_live_delta_free(&d);
	l3_live_free(&have);
	l3_live_free(&want);
}
END_TEST

/* diff -v declares a set as compile does: every set of the example's
 * table, rendered from its "set" line, has the golden file's type line. */
START_TEST(set_line_in_nft_syntax)
{
	static const struct l3_nl_features f = { .native_queue = true };
	char path[4096], buf[512], want[600], *golden;
	struct l3_live lv;
	struct l3_diag d;
	struct l3_cfg *cfg;
	struct l3_ir *ir;
	size_t i, n = 0, len;
	FILE *g;

	snprintf(path, sizeof(path), "%s/tests/golden/example.nft", L3_TEST_SRCDIR);
	g = fopen(path, "r");
	ck_assert_ptr_nonnull(g);
	golden = calloc(1, 1 << 20);
	ck_assert_ptr_nonnull(golden);
	len = fread(golden, 1, (1 << 20) - 1, g);
	fclose(g);
	ck_assert_uint_gt(len, 0);
	snprintf(path, sizeof(path), "%s/rules/example.yaml", L3_TEST_SRCDIR);
	l3_diag_init(&d, path);
	cfg = l3_cfg_load(path, &d);
	ck_assert_ptr_nonnull(cfg);
	ir = l3_ir_build(cfg, &l3t_live_opts);
	ck_assert_ptr_nonnull(ir);
	ck_assert_int_eq(l3_live_render(&lv, ir, &f), 0);
	for (i = 0; i < lv.nlines; i++) {
		char kind[8], name[64], type[256];

		if (strncmp(lv.lines[i], "set ", 4))
			continue;
		l3_live_set_nft(lv.lines[i], buf, sizeof(buf));
		ck_assert_msg(sscanf(buf, "%7s %63s { type %255[^;]; }", kind, name, type) == 3,
			      "not in nft syntax: %s -> %s", lv.lines[i], buf);
		snprintf(want, sizeof(want), "\t%s %s {\n\t\ttype %s\n", kind, name, type);
		ck_assert_msg(strstr(golden, want), "not in example.nft: %s", buf);
		n++;
	}
	ck_assert_uint_gt(n, 10);
	ck_assert_str_eq((l3_live_set_nft("set x key 99/4 flags 0x0 data 0 obj 0", buf, sizeof(buf)),
			  buf), "set x key 99/4 flags 0x0 data 0 obj 0");
	l3_live_free(&lv);
	l3_ir_free(ir);
	l3_cfg_free(cfg);
	l3_diag_fini(&d);
	free(golden);
}
END_TEST

START_TEST(elem_line_parses_back)
{
	struct l3_nl_raw_elem e;
	char set[32], nft[256];
	struct l3_live lv;
	size_t i;

	ck_assert_int_eq(l3_live_elem_parse("elem dst4 c000020a : verdict -3 ns_a", set,
					    sizeof(set), &e), 0);
	ck_assert_str_eq(set, "dst4");
	ck_assert_uint_eq(e.klen, 4);
	ck_assert_int_eq(e.kind, L3_NL_DATA_VERDICT);
	ck_assert_str_eq(e.ref, "ns_a");
	ck_assert_int_eq(l3_live_elem_parse("elem snat4 00000100 : c000020a", set, sizeof(set),
					    &e), 0);
	ck_assert_int_eq(e.kind, L3_NL_DATA_BYTES);
	ck_assert_uint_eq(e.dlen, 4);
	ck_assert_int_eq(l3_live_elem_parse("elem x zz", set, sizeof(set), &e), -1);
	l3t_render("version: 1\nnamespaces:\n" L3T_NS_A, &lv);
	for (i = 0; i < lv.nlines; i++)
		if (!strcmp(lv.lines[i], "elem dst4 c000020a : verdict -3 ns_a"))
			break;
	ck_assert_uint_lt(i, lv.nlines);
	l3_live_elem_nft(&lv, lv.lines[i], nft, sizeof(nft));
	ck_assert_str_eq(nft, "element dst4 { 192.0.2.10 : jump ns_a }");
	l3_live_free(&lv);
}
END_TEST

Suite *l3_suite_live(void)
{
	Suite *s = suite_create("live");
	TCase *tc = tcase_create("delta");

	tcase_add_test(tc, delta_same_is_empty);
	tcase_add_test(tc, delta_namespace_added_and_removed);
	tcase_add_test(tc, delta_id_change_refills_the_chain);
	tcase_add_test(tc, delta_mark_mask_replaces);
	tcase_add_test(tc, elem_line_parses_back);
	tcase_add_test(tc, delta_expose_from_elements);
	tcase_add_test(tc, set_line_in_nft_syntax);
	suite_add_tcase(s, tc);
	return s;
}
