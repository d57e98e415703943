#include "tests.h"
Suite *l3_suite_ir(void) { Suite *s = suite_create("ir"); return s; }
