/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ages as the console prints them ("5s", "3m", "2h", "4d"), and when the
 * text next changes, so a kept row's AGE cell is rebuilt only then.
 */
#include "tui.h"

#include <stdio.h>

void tui_age(long long s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm", s / 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh", s / 3600);
	else
		snprintf(buf, len, "%lldd", s / 86400);
}

long long tui_age_next(long long s)
{
	static const long long unit[] = {1, 60, 3600, 86400};
	size_t u = s < 60 ? 0 : s < 3600 ? 1 : s < 86400 ? 2 : 3;
	if (s < 0)
		s = 0;
	/* the next whole unit: "59s" → 60 ("1m"), "1m" at 61 → 120 ("2m") */
	return (s / unit[u] + 1) * unit[u];
}
