#include "tests.h"
Suite *l3_suite_text(void) { Suite *s = suite_create("text"); return s; }
