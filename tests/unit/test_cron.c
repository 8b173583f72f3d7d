/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Five-field cron schedules as Argo CD's sync windows read them: each
 * field form, the day-of-month/day-of-week rule, refusals, and when a
 * window is active.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "mech/cron.h"
#include "mech/error.h"

/* 2026-08-22 (a Saturday) 11:02:05 UTC */
#define SAT_1102 1787396525LL
#define AT(h, m) ((time_t)(SAT_1102 - 11 * 3600 - 2 * 60 - 5 + (h)*3600 + (m)*60))

static mech_cron parse(const char *spec)
{
	mech_cron c;
	int rc = mech_cron_parse(spec, &c);
	cr_assert_eq(rc, 0, "\"%s\" refused: %s", spec, rc ? mech_error_last()->message : "");
	return c;
}

static int fires(const char *spec, time_t t)
{
	mech_cron c = parse(spec);
	return mech_cron_fires(&c, t);
}

Test(cron, each_field_form)
{
	cr_expect(fires("* * * * *", AT(11, 2)));
	cr_expect(fires("2 11 * * *", AT(11, 2)));
	cr_expect_not(fires("3 11 * * *", AT(11, 2)));
	cr_expect(fires("0-5 * * * *", AT(11, 2)));
	cr_expect_not(fires("3-5 * * * *", AT(11, 2)));
	cr_expect(fires("1,2,3 * * * *", AT(11, 2)));
	cr_expect(fires("*/2 * * * *", AT(11, 2)));
	cr_expect_not(fires("*/2 * * * *", AT(11, 3)));
	cr_expect(fires("1/2 * * * *", AT(11, 3))); /* from 1 to the end, every 2 */
	cr_expect_not(fires("1/2 * * * *", AT(11, 2)));
	cr_expect(fires("0-10/5 * * * *", AT(11, 5)));
	cr_expect_not(fires("0-10/5 * * * *", AT(11, 15)));
	cr_expect(fires("? 11 22 8 6", AT(11, 2)));
	cr_expect(fires("*  9-17 * 1-12 1-6", AT(11, 2))); /* spaces between fields */
}

Test(cron, day_of_month_and_week)
{
	/* both restricted: either day matches (22nd is a Saturday) */
	cr_expect(fires("* * 1 * 6", AT(11, 2)));
	cr_expect(fires("* * 22 * 1", AT(11, 2)));
	cr_expect_not(fires("* * 1 * 1", AT(11, 2)));
	/* one is `*`: the other decides */
	cr_expect_not(fires("* * * * 1-5", AT(11, 2)));
	cr_expect(fires("* * * * 0,6", AT(11, 2)));
	cr_expect_not(fires("* * 21 * *", AT(11, 2)));
}

Test(cron, refusals_name_the_field)
{
	static const struct {
		const char *spec, *why;
	} cases[] = {
		{"", "minute"},
		{"* * * *", "day of week"},
		{"60 * * * *", "minute"},
		{"* 24 * * *", "hour"},
		{"* * 0 * *", "day of month"},
		{"* * * 13 *", "month"},
		{"* * * * 7", "day of week"},
		{"5-1 * * * *", "minute"},
		{"*/0 * * * *", "minute"},
		{"a * * * *", "minute"},
		{"* * * * * *", "more than five"},
		{"@hourly", "minute"},
	};
	size_t i;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		mech_cron c;
		const mech_error *e;
		cr_expect_eq(mech_cron_parse(cases[i].spec, &c), -1, "\"%s\" accepted",
			     cases[i].spec);
		e = mech_error_last();
		cr_assert_not_null(e);
		cr_expect_eq(e->code, MECH_EINVALID);
		cr_expect(strstr(e->message, cases[i].why), "\"%s\": %s", cases[i].spec, e->message);
	}
}

Test(cron, a_window_is_active_for_its_duration)
{
	mech_cron every = parse("* * * * *"), at11 = parse("0 11 * * *");
	cr_expect(mech_cron_active(&every, 3600, (time_t)SAT_1102));
	/* opened at 11:00 for an hour: active from just after 11:00 to just before 12:00 */
	cr_expect(mech_cron_active(&at11, 3600, AT(11, 2)));
	cr_expect(mech_cron_active(&at11, 3600, AT(11, 59)));
	cr_expect_not(mech_cron_active(&at11, 3600, AT(12, 1)));
	cr_expect_not(mech_cron_active(&at11, 3600, AT(10, 59)));
	cr_expect_not(mech_cron_active(&at11, 60, AT(11, 2)));
	cr_expect_not(mech_cron_active(&at11, 0, AT(11, 2)));
}
