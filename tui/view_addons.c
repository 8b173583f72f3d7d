/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The addons view: one row per addons/<name>/, with the resource's sync
 * and health in the <tenant>-addons Application.
 */
#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const tui_column cols[] = {
	{"TENANT", 6, 16, 0}, {"NAME", 6, 24, 0},    {"TYPE", 8, 10, 0},
	{"VERSION", 7, 7, 2}, {"STORAGE", 7, 8, 3},  {"MEMORY", 6, 8, 3},
	{"SYNC", 9, 12, 0},   {"HEALTH", 11, 12, 0}, {"LAST WRITER", 12, 30, 1},
};

/* The catalog's kind reads "group/version Kind"; Argo CD lists resources by Kind. */
static const char *kind_of(const char *type)
{
	const mech_addon_type *at = type ? mech_addon_type_find(type) : NULL;
	const char *sp = at ? strrchr(at->kind, ' ') : NULL;
	return sp ? sp + 1 : at ? at->kind : "Cluster";
}

static void load_tenant(struct tui *t, tui_view *v, tui_tenant *tn)
{
	tui_data *d = &t->data;
	size_t i;
	int configured = d->configured;

	tui_data_need(tn, TUI_HAVE_ADDONS);
	for (i = 0; i < tn->naddons; i++) {
		const mech_addon_state *a = &tn->addons[i];
		tui_line *l = tui_view_row(t, v, tn, a->name);
		const mech_argocd_resource *res;
		char wt[128];
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", a->name);
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", a->type ? a->type : "-");
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", a->version ? a->version : "-");
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", a->storage ? a->storage : "-");
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", a->memory ? a->memory : "-");
		tui_data_lock(d);
		res = tui_data_resource(d, tn, MECH_LAYOUT_ADDONS, kind_of(a->type), a->name);
		if (res) {
			tui_line_cell(l, tui_status_area(res->status), "%s",
				      *res->status ? res->status : "Unknown");
			tui_line_cell(l, tui_status_area(res->health), "%s",
				      *res->health ? res->health : "-");
		} else {
			tui_line_cell(l, TUI_AREA_UNKNOWN, "%s", configured ? "-" : "n/a");
			tui_line_cell(l, TUI_AREA_UNKNOWN, "%s", configured ? "-" : "n/a");
		}
		tui_data_unlock(d);
		tui_writer_text(tn, &a->writer, wt, sizeof(wt));
		tui_line_cell(l, tui_class_area(a->writer.cls), "%s", wt);
	}
}

static int load(struct tui *t, tui_view *v)
{
	size_t i;
	for (i = 0; i < t->data.ntenants; i++)
		load_tenant(t, v, t->data.tenants[i]);
	return 0;
}

static int enter(struct tui *t, tui_view *v, const tui_line *line, int diff)
{
	(void)v;
	(void)diff;
	if (!line || !line->key || !line->tenant)
		return 0;
	tui_push(t, tui_addon_view(t, line->tenant, line->key));
	return 0;
}

static void summary(struct tui *t, tui_view *v, mech_buf *out)
{
	mech_buf_printf(out, "%zu %s", v->nlines, v->nlines == 1 ? "addon" : "addons");
	if (!t->data.configured)
		mech_buf_puts(out, " │ argocd not configured");
	mech_buf_puts(out, " │ deleting an app keeps its addons");
}

const struct tui_view_ops tui_addons_ops = {
	"addons", "generic", load, enter, NULL, summary, NULL, 1,
};

tui_view *tui_addons_view(struct tui *t)
{
	return tui_view_table(t, &tui_addons_ops, cols, sizeof(cols) / sizeof(*cols));
}
