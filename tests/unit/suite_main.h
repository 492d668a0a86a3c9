/* The main of a libcheck test program with one suite: runs it, exit
 * status 0 when every test passed (run_suite, SUITE_MAIN). Header-only (tests/tests.mk builds each
 * test as its own program). */
#ifndef TRAPSIM_TEST_SUITE_MAIN_H
#define TRAPSIM_TEST_SUITE_MAIN_H
#include <check.h>
#include <stdlib.h>

static inline int run_suite(Suite *s)
{
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
/* main(): the tests given, in one suite and case called `name`. */
#define SUITE_MAIN(name, ...)                                                 \
    int main(void)                                                            \
    {                                                                         \
        Suite *s_ = suite_create(name);                                       \
        TCase *tc_ = tcase_create(name);                                      \
        const TTest *tests_[] = { __VA_ARGS__ };                              \
        for (size_t k_ = 0; k_ < sizeof tests_ / sizeof tests_[0]; k_++)      \
            tcase_add_test(tc_, tests_[k_]);                                  \
        suite_add_tcase(s_, tc_);                                             \
        return run_suite(s_);                                                 \
    }
#endif
