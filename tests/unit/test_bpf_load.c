/*
 * The socket layer's programs go through this kernel's verifier: the
 * embedded skeleton is opened and loaded (nothing attached, nothing
 * pinned). Needs root (CAP_BPF): skipped (77) otherwise, so the suite
 * still runs as a user; CI runs it as root.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <check.h>
#include "l3nft/kernel/sock_layer.h"

START_TEST(test_verifier_loads_every_program)
{
	int r = l3_sock_layer_probe();

	ck_assert_msg(r >= 0, "loading the socket layer: %s (L3NFT_BPF_DEBUG=1 shows the verifier's log)",
		      strerror(errno));
	/* every program, sockops and sk_lookup included, got a descriptor */
	ck_assert_int_eq(r, L3_SOCK_LAYER_NPROGS);
}
END_TEST

START_TEST(test_nothing_left_behind)
{
	struct l3_sock_layer_state st;

	/* a probe pins nothing and attaches nothing */
	ck_assert_int_eq(l3_sock_layer_probe(), L3_SOCK_LAYER_NPROGS);
	ck_assert_int_eq(l3_sock_layer_read(&st), 0);
	ck_assert_int_eq((int)st.nlinks, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bpf_load");
	TCase *tc = tcase_create("verifier");
	SRunner *sr;
	int failed;

	if (geteuid() != 0) {
		printf("skip - loading BPF programs needs root\n");
		return 77;
	}
	tcase_add_test(tc, test_verifier_loads_every_program);
	tcase_add_test(tc, test_nothing_left_behind);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
