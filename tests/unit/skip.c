/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The unit tests' one way to skip, strict mode included (skip.h), and the
 * main() of every unit test binary: Criterion's own exits 0 when tests were
 * skipped, so ctest would count a binary with skipped tests as passed. This
 * one exits with the suite's skip code instead (ctest: "Skipped"), unless a
 * test failed. A skip that nobody sees is how a regression hides.
 */
#include "skip.h"

#include <criterion/abort.h>
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int test_skip_allowed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *line = list;

	while (line && *line) {
		const char *end = strchr(line, '\n'), *p;
		if (!end)
			end = line + strlen(line);
		while (line < end && isspace((unsigned char)*line))
			line++;
		if ((size_t)(end - line) > n && !strncmp(line, name, n) && line[n] == ':') {
			/* "name:" alone gives no reason, and a skip needs one */
			for (p = line + n + 1; p < end; p++)
				if (!isspace((unsigned char)*p))
					return 1;
			return 0;
		}
		line = *end ? end + 1 : end;
	}
	return 0;
}

void test_skip(const char *fmt, ...)
{
	const char *name = getenv("MECH_TEST_NAME"), *strict = getenv("MECH_TEST_STRICT");
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (!name || !*name)
		name = "(MECH_TEST_NAME unset)";
	if (strict && !strcmp(strict, "1") &&
	    !test_skip_allowed(getenv("MECH_TEST_ALLOW_SKIP"), name))
		cr_assert_fail("strict mode: %s would have skipped: %s", name, why);
	/* Criterion does not print a skip's reason; the reader needs it */
	fprintf(stderr, "SKIP: %s: %s::%s: %s\n", name, criterion_current_test->category,
		criterion_current_test->name, why);
	criterion_skip_test("%s", why);
}

/* tests/lib/common.sh holds the code; tests/CMakeLists.txt passes it in. */
#ifndef MECH_TEST_SKIP_CODE
#error "MECH_TEST_SKIP_CODE: build the unit tests through tests/CMakeLists.txt"
#endif

static size_t skipped;

/* Tests that skipped themselves: a filtered-out or .disabled test is
 * "skipped" too in Criterion's counts, but has no message. */
ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	const struct criterion_suite_stats *s;
	const struct criterion_test_stats *t;
	for (s = stats->suites; s; s = s->next)
		for (t = s->tests; t; t = t->next)
			if (t->test_status == CR_STATUS_SKIPPED && t->message)
				skipped++;
}

int main(int argc, char *argv[])
{
	struct criterion_test_set *tests = criterion_initialize();
	int rc = 0;

	if (criterion_handle_args(argc, argv, true))
		rc = criterion_run_all_tests(tests) ? 0 : 1;
	criterion_finalize(tests);
	if (rc == 0 && skipped) {
		fprintf(stderr, "SKIP: %s: %zu test(s) skipped, each named above with its reason\n",
			getenv("MECH_TEST_NAME") ? getenv("MECH_TEST_NAME") : argv[0], skipped);
		return MECH_TEST_SKIP_CODE;
	}
	return rc;
}
