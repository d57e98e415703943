#include "tests.h"
Suite *l3_suite_cfg(void) { Suite *s = suite_create("cfg"); return s; }
