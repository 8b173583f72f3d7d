/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ages as `mech log` and the console print them (mech_age_text,
 * core/git/history.c). A console row's AGE cell is rebuilt only at
 * mech_age_next, so that must be exactly the first second whose text
 * differs: later, and the screen shows a stale age; earlier, and the row
 * is rebuilt for nothing. Checked second by second against mech_age_text.
 */
#include "mech/history.h"

#include <criterion/criterion.h>
#include <string.h>

static void text(long long s, char *buf)
{
	mech_age_text(s, buf, 32);
}

Test(age, spelled_in_the_largest_whole_unit)
{
	char b[32];
	static const struct {
		long long s;
		const char *want;
	} cases[] = {{-5, "0s"},      {0, "0s"},      {59, "59s"},    {60, "1m"},
		     {3599, "59m"},   {3600, "1h"},   {86399, "23h"}, {86400, "1d"},
		     {864000, "10d"}, {172799, "1d"}, {172800, "2d"}};
	size_t i;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		text(cases[i].s, b);
		cr_expect_str_eq(b, cases[i].want, "age %lld", cases[i].s);
	}
}

/* every second of a span: next(s) is the first t > s whose text differs */
static void check_span(long long from, long long to)
{
	long long s, next = 0;
	char cur[32], later[32];
	for (s = to; s >= from; s--) {
		text(s, cur);
		text(s + 1, later);
		/* walking down: the first change after s is s+1 or the one after s+1 */
		if (s == to || strcmp(cur, later))
			next = s + 1;
		if (s == to) {
			/* the top of the span: find it by walking up */
			while (text(next, later), !strcmp(cur, later))
				next++;
		}
		cr_assert_eq(mech_age_next(s), next, "age %lld (\"%s\"): next %lld, want %lld", s,
			     cur, mech_age_next(s), next);
	}
}

Test(age, next_is_the_first_second_that_reads_differently)
{
	check_span(-120, 4 * 86400);
	check_span(400LL * 86400 - 100000, 400LL * 86400 + 100000);
}
