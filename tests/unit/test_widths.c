/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The console's column widths, kept as cells come and go (tui/widths.c):
 * after any mix of adds and removes the widest is the widest of what is
 * left, as measuring every cell again would say; an app whose image becomes
 * the widest widens its column, and the column shrinks back when it changes
 * again.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "tui.h"

Test(widths, empty_is_zero)
{
	tui_widths w = {0};
	cr_expect_eq(tui_widths_max(&w), 0);
	tui_widths_add(&w, 0);
	cr_expect_eq(tui_widths_max(&w), 0);
	tui_widths_remove(&w, 0);
	cr_expect_eq(tui_widths_max(&w), 0);
	tui_widths_dispose(&w);
}

Test(widths, widest_grows_then_shrinks_back)
{
	tui_widths w = {0};
	int i;
	for (i = 0; i < 10000; i++)
		tui_widths_add(&w, 10); /* nginx:1.27 */
	cr_expect_eq(tui_widths_max(&w), 10);
	/* one row's image becomes the widest … */
	tui_widths_remove(&w, 10);
	tui_widths_add(&w, 44);
	cr_expect_eq(tui_widths_max(&w), 44);
	/* … a second one as wide: the column stays while either is */
	tui_widths_remove(&w, 10);
	tui_widths_add(&w, 44);
	tui_widths_remove(&w, 44);
	tui_widths_add(&w, 12);
	cr_expect_eq(tui_widths_max(&w), 44);
	/* … and the last of that width goes: back to the widest left */
	tui_widths_remove(&w, 44);
	tui_widths_add(&w, 9);
	cr_expect_eq(tui_widths_max(&w), 12);
	tui_widths_remove(&w, 12);
	cr_expect_eq(tui_widths_max(&w), 10);
	tui_widths_dispose(&w);
}

/* a random mix against a recount of what is left */
Test(widths, matches_a_recount)
{
	tui_widths w = {0};
	int cells[512], n = 0, step;
	srand(19);
	for (step = 0; step < 20000; step++) {
		int i, widest = 0;
		if (n < 512 && (n == 0 || rand() % 3)) {
			cells[n] = rand() % 300;
			tui_widths_add(&w, cells[n++]);
		} else {
			int at = rand() % n;
			tui_widths_remove(&w, cells[at]);
			cells[at] = cells[--n];
		}
		for (i = 0; i < n; i++)
			if (cells[i] > widest)
				widest = cells[i];
		cr_assert_eq(tui_widths_max(&w), widest, "step %d", step);
	}
	tui_widths_dispose(&w);
}
