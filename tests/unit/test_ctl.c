/*
 * The control protocol's codec (kernel/ctl.c) and the OpenMetrics writer
 * (cli/openmetrics.c): requests decoded strictly, a stats reply that
 * round-trips, and what a hostile or broken peer may send refused.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "l3nft/cli/openmetrics.h"
#include "l3nft/kernel/ctl.h"

static int l3t_parse(const char *s, struct l3_ctl_req *req, const char **why)
{
	return l3_ctl_parse(s, strlen(s), req, why);
}

START_TEST(stats_request)
{
	struct l3_ctl_req req;
	const char *why = NULL;
	char buf[L3_CTL_MAX];

	ck_assert_int_eq(l3t_parse("stats", &req, &why), 0);
	ck_assert_int_eq(req.verb, L3_CTL_STATS);
	ck_assert_int_eq(l3t_parse("stats\n", &req, &why), 0);
	ck_assert_int_eq(l3t_parse("stats a", &req, &why), -1);
	ck_assert_str_eq(why, "stats takes no arguments");
	ck_assert_int_eq(l3t_parse("statsx", &req, &why), -1);
	req.verb = L3_CTL_STATS;
	ck_assert_uint_eq(l3_ctl_format(&req, buf), 5);
	ck_assert_str_eq(buf, "stats");
}
END_TEST

START_TEST(stats_round_trip)
{
	struct l3_ctl_stats_ns ns[2] = { { "web", 3 }, { "db-1", 0 } };
	struct l3_ctl_stats st = { .uptime_seconds = 7, .copies = UINT64_MAX, .stale_ids = 1,
				   .refused_requests = 2, .registrations = 3, .nns = 2, .ns = ns };
	struct l3_ctl_stats back;
	const char *why = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_int_eq(l3_ctl_stats_format(&st, f), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "copies 18446744073709551615\n"));
	ck_assert_ptr_nonnull(strstr(text, "registrations db-1 0\n"));
	ck_assert_int_eq(l3_ctl_stats_parse(text, &back, &why), 0);
	ck_assert_uint_eq(back.uptime_seconds, 7);
	ck_assert_uint_eq(back.copies, UINT64_MAX);
	ck_assert_uint_eq(back.stale_ids, 1);
	ck_assert_uint_eq(back.refused_requests, 2);
	ck_assert_uint_eq(back.registrations, 3);
	ck_assert_uint_eq(back.nns, 2);
	ck_assert_str_eq(back.ns[0].name, "web");
	ck_assert_uint_eq(back.ns[0].registrations, 3);
	ck_assert_str_eq(back.ns[1].name, "db-1");
	l3_ctl_stats_free(&back);
	free(text);
}
END_TEST

/* A newer daemon's keys are skipped; a malformed line fails the whole reply. */
START_TEST(stats_strict)
{
	static const char *const bad[] = {
		"copies 18446744073709551616\n",	/* overflows uint64 */
		"copies -1\n", "copies 1x\n", "copies\n", "copies 1 2 3\n", "\n",
		"registrations Web 1\n",		/* not a namespace name */
		"registrations a\"b 1\n", "registrations ../x 1\n",
		"registrations aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1\n",
		"copies 1\x1b[2J\n",
	};
	struct l3_ctl_stats st;
	const char *why = NULL;
	size_t i;

	ck_assert_int_eq(l3_ctl_stats_parse("copies 4\nfuture_key 9\nfuture a 1\n", &st, &why), 0);
	ck_assert_uint_eq(st.copies, 4);
	ck_assert_uint_eq(st.nns, 0);
	l3_ctl_stats_free(&st);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		ck_assert_msg(l3_ctl_stats_parse(bad[i], &st, &why) == -1, "accepted: %s", bad[i]);
		ck_assert_str_eq(why, "malformed stats reply");
		ck_assert_ptr_null(st.ns);
	}
}
END_TEST

START_TEST(om_escape)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct l3_om om = { .out = f };

	l3_om_family(&om, "x", L3_OM_COUNTER, "a \"help\" \\ text\nnext");
	l3_om_sample(&om, 5, "namespace", "we\"b\\\n", "k", "v", NULL);
	l3_om_family(&om, "y", L3_OM_GAUGE, "h");
	l3_om_sample(&om, 0, NULL);
	ck_assert_int_eq(l3_om_end(&om), 0);
	fclose(f);
	ck_assert_str_eq(text, "# TYPE x counter\n"
			       "# HELP x a \\\"help\\\" \\\\ text\\nnext\n"
			       "x_total{namespace=\"we\\\"b\\\\\\n\",k=\"v\"} 5\n"
			       "# TYPE y gauge\n# HELP y h\ny 0\n# EOF\n");
	free(text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("stats");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, stats_request);
	tcase_add_test(tc, stats_round_trip);
	tcase_add_test(tc, stats_strict);
	tcase_add_test(tc, om_escape);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
