#ifndef L3NFT_TESTS_H
#define L3NFT_TESTS_H
#include <check.h>
Suite *l3_suite_cfg(void);
Suite *l3_suite_ir(void);
Suite *l3_suite_text(void);
#endif
