/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the addon and route detail views share (tui.h): a resource's live
 * and desired state from Argo CD's managed resources, the last-writer line,
 * an app instance's line with its sync and health, a resource's sync and
 * health in a directory's Application, conditions, and Enter on a line.
 */
#include "tui.h"

#include "mech/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tui_detail_live(struct tui *t, tui_tenant *tn, const char *dir, const char *kind,
		    const char *name, cJSON **live, cJSON **target, char **error)
{
	mech_argocd_diffs *diffs = NULL;
	char *app = mech_layout_dir_app(tn->name, dir);
	size_t i;
	int rc = 0;

	*live = *target = NULL;
	*error = NULL;
	if (!t->data.ui_client) {
		free(app);
		return 0;
	}
	if (mech_argocd_app_managed(t->data.ui_client, tn->name, app, &diffs) < 0) {
		const mech_error *e = mech_error_last();
		*error = mech_strdup(e && e->message ? e->message : "Argo CD unavailable");
		mech_error_clear();
		rc = -1;
	}
	for (i = 0; diffs && i < diffs->len; i++) {
		mech_argocd_diff *df = &diffs->items[i];
		if (strcmp(df->kind, kind) || strcmp(df->name, name))
			continue;
		*live = df->live ? cJSON_Duplicate(df->live, 1) : NULL;
		*target = df->target ? cJSON_Duplicate(df->target, 1) : NULL;
		break;
	}
	mech_argocd_diffs_free(diffs);
	free(app);
	return rc;
}

void tui_detail_writer(tui_view *v, tui_tenant *tn, const mech_writer *w, char *sha, size_t len)
{
	char *author = NULL, *subject = NULL, wt[128];
	long long when;
	tui_line *l;

	*sha = '\0';
	if (git_oid_is_zero(&w->commit)) {
		tui_view_text(v, TUI_AREA_DIM, "  last writer  unknown");
		return;
	}
	git_oid_tostr(sha, len, &w->commit);
	tui_writer_text(tn, w, wt, sizeof(wt));
	l = tui_view_add(v, TUI_LINE_TEXT, sha);
	l->tenant = tn;
	tui_line_cell(l, TUI_AREA_LABEL, "  last writer  ");
	tui_line_cell(l, tui_class_area(w->cls), "%s", wt);
	tui_line_cell(l, TUI_AREA_DIM, "  %.8s", sha);
	if (tui_commit_brief(tn, sha, &author, &when, &subject) == 0)
		tui_line_cell(l, TUI_AREA_DEFAULT, "  %s", subject);
	free(author);
	free(subject);
}

int tui_detail_enter(struct tui *t, tui_view *v, const tui_line *line, const char *writer, int diff)
{
	const char *shas[1];
	if (line && line->key && line->key2 && line->tenant) {
		/* an app instance's line: its detail */
		tui_push(t, tui_app_view(t, line->tenant, line->key, line->key2, diff));
		return 0;
	}
	shas[0] = line && line->key && line->tenant ? line->key : writer;
	if (!shas[0] || !*shas[0] || !v->tenant)
		return 0;
	tui_push(t, tui_commit_view(t, v->tenant, shas, 1, diff));
	return 0;
}

void tui_detail_instance(struct tui *t, tui_view *v, tui_tenant *tn, const char *app,
			 const char *instance, const char *what)
{
	tui_data *d = &t->data;
	const mech_argocd_app *live;
	tui_line *l = tui_view_add(v, TUI_LINE_TEXT, app);
	char *label;
	l->key2 = mech_strdup(instance);
	l->tenant = tn;
	label = mech_sprintf("%s/%s", app, instance);
	tui_line_cell(l, TUI_AREA_DEFAULT, "  %-24s ", label);
	tui_line_cell(l, TUI_AREA_DIM, "%-22s ", what);
	free(label);
	if (!d->configured) {
		tui_line_cell(l, TUI_AREA_UNKNOWN, "n/a");
		return;
	}
	tui_data_lock(d);
	live = tui_data_instance(d, tn, app, instance);
	if (!d->live_loaded) {
		tui_line_cell(l, TUI_AREA_UNKNOWN, "unknown");
	} else if (!live) {
		tui_line_cell(l, TUI_AREA_UNKNOWN, "no Application yet");
	} else {
		tui_line_cell(l, tui_status_area(live->sync_status), "%s",
			      *live->sync_status ? live->sync_status : "Unknown");
		tui_line_cell(l, TUI_AREA_DEFAULT, "  ");
		tui_line_cell(l, tui_status_area(live->health_status), "%s",
			      *live->health_status ? live->health_status : "Unknown");
	}
	tui_data_unlock(d);
}

void tui_detail_resource(struct tui *t, tui_view *v, tui_tenant *tn, const char *dir,
			 const char *kind, const char *name)
{
	tui_data *d = &t->data;
	const mech_argocd_resource *res;
	char *app = mech_layout_dir_app(tn->name, dir);
	tui_line *l;

	if (!d->configured) {
		tui_view_text(v, TUI_AREA_DIM,
			      "  argocd not configured (argocd.url in MECH_HOME/mech.yaml)");
		free(app);
		return;
	}
	tui_data_lock(d);
	res = tui_data_resource(d, tn, dir, kind, name);
	if (!d->live_loaded) {
		tui_view_text(v, TUI_AREA_UNKNOWN, "  %s/%s: unknown (Argo CD has not answered)",
			      kind, name);
	} else if (!res) {
		tui_view_text(v, TUI_AREA_DIM, "  %s/%s is not in the %s Application yet", kind,
			      name, app);
	} else {
		l = tui_view_add(v, TUI_LINE_TEXT, NULL);
		tui_line_cell(l, TUI_AREA_LABEL, "  %s/%s in %s  ", kind, name, app);
		tui_line_cell(l, tui_status_area(res->status), "%s",
			      *res->status ? res->status : "Unknown");
		tui_line_cell(l, TUI_AREA_DEFAULT, "  ");
		tui_line_cell(l, tui_status_area(res->health), "%s",
			      *res->health ? res->health : "-");
		if (*res->health_message)
			tui_view_text(v, TUI_AREA_DIM, "  health: %s", res->health_message);
	}
	tui_data_unlock(d);
	free(app);
}

void tui_detail_conditions(tui_view *v, const mech_kube_condition *c, size_t n, const char *indent)
{
	size_t i;
	for (i = 0; i < n; i++) {
		tui_line *l = tui_view_add(v, TUI_LINE_TEXT, NULL);
		tui_area a = !strcmp(c[i].status, "True")    ? TUI_AREA_HEALTHY
			     : !strcmp(c[i].status, "False") ? TUI_AREA_DEGRADED
							     : TUI_AREA_UNKNOWN;
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", indent);
		tui_line_cell(l, a, "%s=%s", c[i].type, *c[i].status ? c[i].status : "Unknown");
		if (*c[i].reason)
			tui_line_cell(l, TUI_AREA_DEFAULT, "  %s", c[i].reason);
		if (*c[i].message)
			tui_line_cell(l, TUI_AREA_DIM, ": %s", c[i].message);
	}
}
