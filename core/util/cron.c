/* SPDX-License-Identifier: Apache-2.0 */
/* Five-field cron schedules: parse, match a minute, and sync-window activity. */
#include "mech/cron.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mech/buf.h"
#include "mech/error.h"

#define DAY_S (24LL * 3600)

static const struct {
	const char *name;
	int lo, hi;
} fields[] = {
	{"minute", 0, 59}, {"hour", 0, 23},       {"day of month", 1, 31},
	{"month", 1, 12},  {"day of week", 0, 6},
};

static int bad(const char *spec, const char *field, const char *why)
{
	char q[MECH_ESCAPE_SIZE];
	return mech_error_set(MECH_EINVALID, "invalid schedule \"%s\": %s: %s",
			      mech_error_escape(q, spec), field, why);
}

/* A number in [lo, hi] at *p; advances *p. -1 when there is none or out of range. */
static int number(const char **p, int lo, int hi)
{
	long v = 0;
	if (!isdigit((unsigned char)**p))
		return -1;
	for (; isdigit((unsigned char)**p); (*p)++) {
		v = v * 10 + (**p - '0');
		if (v > hi)
			return -1;
	}
	return v < lo ? -1 : (int)v;
}

/* One field (a comma list) into bits; *star when it is `*` or `?` alone. */
static int field(const char *spec, const char *text, size_t len, int f, uint64_t *bits, int *star)
{
	int lo = fields[f].lo, hi = fields[f].hi;
	char *s = mech_strndup(text, len), *part, *save = NULL;
	int rc = 0;

	*bits = 0;
	*star = !strcmp(s, "*") || !strcmp(s, "?");
	for (part = strtok_r(s, ",", &save); part && !rc; part = strtok_r(NULL, ",", &save)) {
		const char *p = part;
		int a, b, step = 1, v, range = 1;
		if (*p == '*' || *p == '?') {
			a = lo;
			b = hi;
			p++;
		} else {
			if ((a = number(&p, lo, hi)) < 0) {
				rc = bad(spec, fields[f].name, "a number out of range or missing");
				break;
			}
			b = a;
			range = *p == '-';
			if (*p == '-') {
				p++;
				if ((b = number(&p, lo, hi)) < 0 || b < a) {
					rc = bad(spec, fields[f].name, "a bad range");
					break;
				}
			}
		}
		if (*p == '/') {
			p++;
			if ((step = number(&p, 1, hi - lo + 1 > 1 ? hi - lo + 1 : 1)) < 0) {
				rc = bad(spec, fields[f].name, "a bad step");
				break;
			}
			if (!range)
				b = hi; /* "a/n": from a to the end */
		}
		if (*p) {
			rc = bad(spec, fields[f].name, "unexpected characters");
			break;
		}
		for (v = a; v <= b; v += step)
			*bits |= (uint64_t)1 << v;
	}
	if (!rc && !*bits)
		rc = bad(spec, fields[f].name, "empty");
	free(s);
	return rc;
}

int mech_cron_parse(const char *spec, mech_cron *out)
{
	const char *p = spec;
	uint64_t bits[5];
	int star[5], f;

	memset(out, 0, sizeof(*out));
	for (f = 0; f < 5; f++) {
		size_t n;
		while (*p == ' ' || *p == '\t')
			p++;
		n = strcspn(p, " \t");
		if (!n)
			return bad(spec, fields[f].name, "missing (five fields are needed)");
		if (field(spec, p, n, f, &bits[f], &star[f]) < 0)
			return -1;
		p += n;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p)
		return bad(spec, "after day of week", "more than five fields");
	out->minute = bits[0];
	out->hour = (uint32_t)bits[1];
	out->dom = (uint32_t)bits[2];
	out->month = (uint32_t)bits[3];
	out->dow = (uint32_t)bits[4];
	out->dom_star = star[2];
	out->dow_star = star[4];
	return 0;
}

int mech_cron_fires(const mech_cron *c, time_t t)
{
	struct tm tm;
	int dom, dow;
	if (!gmtime_r(&t, &tm))
		return 0;
	if (!(c->minute >> tm.tm_min & 1) || !(c->hour >> tm.tm_hour & 1) ||
	    !(c->month >> (tm.tm_mon + 1) & 1))
		return 0;
	dom = (int)(c->dom >> tm.tm_mday & 1);
	dow = (int)(c->dow >> tm.tm_wday & 1);
	return c->dom_star || c->dow_star ? dom && dow : dom || dow;
}

int mech_cron_active(const mech_cron *c, long long duration_s, time_t now)
{
	long long from, m;
	if (duration_s <= 0)
		return 0;
	if (duration_s > DAY_S)
		duration_s = DAY_S;
	/* the first whole minute strictly after now - duration, up to now */
	from = ((long long)now - duration_s) / 60 * 60 + 60;
	for (m = from; m < (long long)now; m += 60)
		if (mech_cron_fires(c, (time_t)m))
			return 1;
	return 0;
}
