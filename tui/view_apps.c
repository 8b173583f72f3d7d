/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The apps view: one row per app instance, desired state from Git beside
 * live sync and health from Argo CD.
 */
#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const tui_column cols[] = {
	{"TENANT", 6, 16, 0, 0},  {"APP", 8, 24, 0, 0},    {"INSTANCE", 8, 12, 0, 0},
	{"IMAGE", 12, 44, 3, 1},  {"SYNC", 9, 10, 0, 0},   {"HEALTH", 11, 11, 0, 0},
	{"REVISION", 8, 8, 2, 0}, {"ROUTE", 12, 40, 1, 0}, {"LAST WRITER", 14, 0, 4, 0},
};

static void load_tenant(struct tui *t, tui_view *v, tui_tenant *tn)
{
	tui_data *d = &t->data;
	size_t i, j;
	int configured = d->configured;

	tui_data_need(tn, TUI_HAVE_APPS);
	tui_data_lock(d);
	for (i = 0; i < tn->napps; i++) {
		const mech_app_state *a = &tn->apps[i];
		for (j = 0; j < a->ninstances; j++) {
			const mech_instance_state *in = &a->instances[j];
			const mech_argocd_app *live = tui_data_instance(d, tn, a->name, in->name);
			tui_line *l = tui_view_row(t, v, tn, a->name);
			char wt[128];
			l->key2 = mech_strdup(in->name);
			tui_line_cell(l, TUI_AREA_DEFAULT, "%s", a->name);
			tui_line_cell(l, TUI_AREA_DEFAULT, "%s", in->name);
			tui_line_cell(l, TUI_AREA_DEFAULT, "%s", in->image ? in->image : "-");
			if (live) {
				const char *sync = *live->sync_status ? live->sync_status
								      : "Unknown";
				const char *health = *live->health_status ? live->health_status
									  : "Unknown";
				tui_line_cell(l, tui_status_area(sync), "%s", sync);
				tui_line_cell(l, tui_status_area(health), "%s", health);
				tui_line_cell(l, TUI_AREA_DIM, "%.7s", live->sync_revision);
			} else {
				tui_line_cell(l, TUI_AREA_UNKNOWN, "%s", configured ? "-" : "n/a");
				tui_line_cell(l, TUI_AREA_UNKNOWN, "%s", configured ? "-" : "n/a");
				tui_line_cell(l, TUI_AREA_DIM, "-");
			}
			tui_line_cell(l, TUI_AREA_DEFAULT, "%s",
				      in->route_host ? in->route_host : "-");
			tui_data_unlock(d);
			tui_writer_text(tn, &in->writer, wt, sizeof(wt));
			tui_data_lock(d);
			tui_line_cell(l, tui_class_area(in->writer.cls), "%s", wt);
		}
	}
	tui_data_unlock(d);
}

static int load(struct tui *t, tui_view *v)
{
	size_t i;
	for (i = 0; i < t->data.ntenants; i++)
		load_tenant(t, v, t->data.tenants[i]);
	return 0;
}

/* l, e, h on a row: that instance's logs, events, history */
static tui_action request(struct tui *t, tui_view *v, tui_action a)
{
	const tui_line *l = tui_view_selected(v);
	if (a != TUI_ACT_LOGS && a != TUI_ACT_EVENTS && a != TUI_ACT_APP_HISTORY)
		return a;
	return tui_instance_action(t, l ? l->tenant : NULL, l ? l->key : NULL, l ? l->key2 : NULL,
				   NULL, a);
}

static int enter(struct tui *t, tui_view *v, const tui_line *line, int diff)
{
	(void)v;
	if (!line || !line->key || !line->tenant)
		return 0;
	tui_push(t, tui_app_view(t, line->tenant, line->key, line->key2, diff));
	return 0;
}

/* "Synced 2, OutOfSync 1" for one column of the rows */
static void count(const tui_view *v, size_t col, mech_buf *out)
{
	mech_strv seen = MECH_STRV_INIT;
	size_t i, j;
	for (i = 0; i < v->nlines; i++)
		if (v->lines[i].ncells > col &&
		    !mech_strv_contains(&seen, v->lines[i].cells[col].text))
			mech_strv_push(&seen, v->lines[i].cells[col].text);
	mech_strv_sort(&seen);
	for (j = 0; j < seen.len; j++) {
		size_t n = 0;
		for (i = 0; i < v->nlines; i++)
			if (v->lines[i].ncells > col &&
			    !strcmp(v->lines[i].cells[col].text, seen.items[j]))
				n++;
		mech_buf_printf(out, "%s%s %zu", j ? ", " : "", seen.items[j], n);
	}
	mech_strv_dispose(&seen);
}

static void summary(struct tui *t, tui_view *v, mech_buf *out)
{
	size_t i, napps = 0, at = t->data.all_tenants ? 1 : 0; /* cells after TENANT */
	for (i = 0; i < t->data.ntenants; i++)
		napps += t->data.tenants[i]->napps;
	mech_buf_printf(out, "%zu apps, %zu instances", napps, v->nlines);
	if (!t->data.configured) {
		mech_buf_puts(out, " │ argocd not configured: desired state only");
		return;
	}
	if (!v->nlines)
		return;
	mech_buf_puts(out, " │ sync: ");
	count(v, at + 3, out);
	mech_buf_puts(out, " │ health: ");
	count(v, at + 4, out);
}

const struct tui_view_ops tui_apps_ops = {
	"apps", "generic", load, enter, request, summary, NULL, 1,
};

tui_view *tui_apps_view(struct tui *t)
{
	return tui_view_table(t, &tui_apps_ops, cols, sizeof(cols) / sizeof(*cols));
}
