/* Runs every Check suite; Check prints the summary CI reads. */
#include <stdlib.h>
#include "tests.h"

int main(void)
{
	SRunner *sr = srunner_create(l3_suite_cfg());
	int failed;

	srunner_add_suite(sr, l3_suite_ir());
	srunner_add_suite(sr, l3_suite_text());
	srunner_add_suite(sr, l3_suite_live());
	srunner_add_suite(sr, l3_suite_rule_parse());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
