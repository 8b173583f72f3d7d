/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_CRON_H
#define MECH_CRON_H

#include <stdint.h>
#include <time.h>

/*
 * Five-field cron schedules (minute hour day-of-month month day-of-week),
 * as Argo CD's sync windows read them (robfig/cron's standard parser
 * without descriptors): each field is `*` or `?`, a number, a range a-b,
 * a step (`*` or a range or a start, then /n), or a comma list of those.
 * Day-of-month and day-of-week: when either is `*`, both must match; when
 * both are restricted, either may. Times are UTC.
 */

typedef struct {
	uint64_t minute; /* bit n: minute n may fire */
	uint32_t hour;
	uint32_t dom;   /* bits 1..31 */
	uint32_t month; /* bits 1..12 */
	uint32_t dow;   /* bits 0..6, Sunday = 0 */
	int dom_star;   /* the field was `*` or `?` */
	int dow_star;
} mech_cron;

/** Parse a schedule; MECH_EINVALID naming the field when it is not one. */
int mech_cron_parse(const char *spec, mech_cron *out);
/** 1 when the schedule fires in the minute of `t` (UTC). */
int mech_cron_fires(const mech_cron *c, time_t t);
/**
 * 1 when a window opened by this schedule and lasting `duration_s` seconds
 * covers `now`: it fired at a whole minute after now - duration and before
 * now (Argo CD's SyncWindow.Active). Durations above a day are cut to one.
 */
int mech_cron_active(const mech_cron *c, long long duration_s, time_t now);

#endif
