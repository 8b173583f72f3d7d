/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The routes view: one row per HTTPRoute under network/routes/, with the
 * resource's sync and health in the <tenant>--network Application.
 */
#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const tui_column cols[] = {
	{"TENANT", 6, 16, 0},  {"APP", 6, 24, 0},  {"INSTANCE", 4, 12, 0},
	{"HOST", 24, 50, 0},   {"PATH", 4, 20, 2}, {"SYNC", 9, 12, 0},
	{"HEALTH", 11, 12, 0}, {"OWNER", 5, 5, 1}, {"LAST WRITER", 12, 30, 3},
};

static void load_tenant(struct tui *t, tui_view *v, tui_tenant *tn)
{
	tui_data *d = &t->data;
	size_t i;
	int configured = d->configured;

	tui_data_need(tn, TUI_HAVE_ROUTES);
	for (i = 0; i < tn->nroutes; i++) {
		const mech_route_state *r = &tn->routes[i];
		tui_line *l = tui_view_row(t, v, tn, r->app);
		char *name = mech_layout_workload(r->app, r->instance);
		const mech_argocd_resource *res;
		char wt[128];
		l->key2 = mech_strdup(r->instance);
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", r->app);
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", r->instance);
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", r->host ? r->host : "-");
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", r->path ? r->path : "/");
		tui_data_lock(d);
		res = tui_data_resource(d, tn, MECH_LAYOUT_NETWORK, "HTTPRoute", name);
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
		tui_line_cell(l, r->owned ? TUI_AREA_MACHINE : TUI_AREA_HUMAN, "%s",
			      r->owned ? "mech" : "user");
		tui_writer_text(tn, &r->writer, wt, sizeof(wt));
		tui_line_cell(l, tui_class_area(r->writer.cls), "%s", wt);
		free(name);
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
	if (!line || !line->key || !line->tenant)
		return 0;
	/* Enter: the route's detail; d: the backend app's live-vs-desired diff */
	if (diff)
		tui_push(t, tui_app_view(t, line->tenant, line->key, line->key2, 1));
	else
		tui_push(t, tui_route_view(t, line->tenant, line->key, line->key2));
	return 0;
}

static void summary(struct tui *t, tui_view *v, mech_buf *out)
{
	size_t i, j, owned = 0, all = 0;
	for (i = 0; i < t->data.ntenants; i++) {
		const tui_tenant *tn = t->data.tenants[i];
		for (j = 0; j < tn->nroutes; j++)
			owned += tn->routes[j].owned != 0;
		all += tn->nroutes;
	}
	mech_buf_printf(out, "%zu %s (%zu owned by mech, %zu by %s)", v->nlines,
			v->nlines == 1 ? "route" : "routes", owned, all - owned,
			all - owned == 1 ? "a user" : "users");
	if (!t->data.configured)
		mech_buf_puts(out, " │ argocd not configured");
}

const struct tui_view_ops tui_routes_ops = {
	"routes", "generic", load, enter, NULL, summary, NULL, 1,
};

tui_view *tui_routes_view(struct tui *t)
{
	return tui_view_table(t, &tui_routes_ops, cols, sizeof(cols) / sizeof(*cols));
}
