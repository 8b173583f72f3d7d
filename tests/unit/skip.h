/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_TEST_SKIP_H
#define MECH_TEST_SKIP_H

/*
 * For the unit tests: skip the running test because the machine cannot run
 * it (not because of anything mech did), saying why. Under
 * MECH_TEST_STRICT=1 the skip is a failure ("strict mode: <test> would have
 * skipped: <reason>"), unless MECH_TEST_ALLOW_SKIP has a line
 * "<test>: <reason>" for this test binary (MECH_TEST_NAME, e.g.
 * unit/test_manifest) — the rule tests/lib/common.sh's skip() follows for
 * the scripts. The one way a unit test skips: never call cr_skip_test.
 */
void test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Whether MECH_TEST_ALLOW_SKIP lets the test named `name` skip (1) or not (0). */
int test_skip_allowed(const char *list, const char *name);

#endif
