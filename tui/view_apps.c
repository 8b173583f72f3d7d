/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The apps view: one row per app instance, desired state from Git beside
 * live sync and health from Argo CD.
 */
#include "tui.h"

#include "mech/live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const tui_column cols[] = {
	{"TENANT", 6, 16, 0, 0},  {"APP", 8, 24, 0, 0},         {"INSTANCE", 8, 12, 0, 0},
	{"IMAGE", 12, 44, 3, 1},  {"SYNC", 9, 10, 0, 0},        {"HEALTH", 11, 11, 0, 0},
	{"REVISION", 8, 8, 2, 0}, {"ROUTE", 12, 40, 1, 0},      {"LAST WRITER", 14, 0, 4, 0},
	{"AGE", 3, 4, 1, 0, 200}, {"EMAIL", 12, 32, 1, 0, 200}, {"MESSAGE", 20, 0, 1, 0, 200},
};

/* The last writer's commit: "machine alice", and for wide screens its age, email and subject. */
static void writer_cells(tui_tenant *tn, const mech_writer *w, tui_line *l, long long now)
{
	git_commit *c = NULL;
	const char *subject;
	char age[16];
	if (git_oid_is_zero(&w->commit) || !tn->repo ||
	    git_commit_lookup(&c, mech_repo_git(tn->repo), &w->commit) < 0) {
		char sha[GIT_OID_HEXSZ + 1];
		git_error_clear();
		git_oid_tostr(sha, sizeof(sha), &w->commit);
		if (git_oid_is_zero(&w->commit))
			tui_line_cell(l, TUI_AREA_DEFAULT, "-");
		else
			tui_line_cell(l, tui_class_area(w->cls), "%s %.8s", mech_class_name(w->cls),
				      sha);
		return;
	}
	tui_age(now - (long long)git_commit_time(c), age, sizeof(age));
	tui_line_cell(l, tui_class_area(w->cls), "%s %s", mech_class_name(w->cls),
		      git_commit_author(c)->name);
	tui_line_cell(l, TUI_AREA_DIM, "%s", age);
	tui_line_cell(l, TUI_AREA_DEFAULT, "%s", git_commit_author(c)->email);
	subject = git_commit_summary(c) ? git_commit_summary(c) : "";
	/* a receipt's verb is in its LAST WRITER class already: "set image of web/main …" */
	if (!strncmp(subject, "mechanics(", 10) && strstr(subject, "): "))
		subject = strstr(subject, "): ") + 3;
	tui_line_cell(l, TUI_AREA_DEFAULT, "%s", subject);
	git_commit_free(c);
}

/*
 * The Application's own synced revision, marked "↓" when it is behind the
 * last commit mech wrote for the instance (its overlay's last writer): the
 * rule `mech app status` and --wait use (mech_live_revision_reached), asked
 * for every row at once: one walk of Argo CD's lag, not one per instance.
 */
static void revision_cell(tui_tenant *tn, const mech_writer *w, const char *rev, tui_line *l)
{
	if (!*rev) {
		tui_line_cell(l, TUI_AREA_DIM, "-");
		return;
	}
	if (!tn->reach)
		tn->reach = mech_live_reach_new();
	if (!git_oid_is_zero(&w->commit) && tn->repo && tn->apps_listed &&
	    !mech_live_reach_check(tn->reach, mech_repo_git(tn->repo), &tn->apps_at, rev,
				   &w->commit))
		tui_line_cell(l, TUI_AREA_OUT_OF_SYNC, "%.7s↓", rev);
	else
		tui_line_cell(l, TUI_AREA_DIM, "%.7s", rev);
}

static void load_tenant(struct tui *t, tui_view *v, tui_tenant *tn)
{
	tui_data *d = &t->data;
	long long now = (long long)time(NULL);
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
			char *rev = NULL;
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
				rev = mech_strdup(live->sync_revision ? live->sync_revision : "");
			} else {
				tui_line_cell(l, TUI_AREA_UNKNOWN, "%s", configured ? "-" : "n/a");
				tui_line_cell(l, TUI_AREA_UNKNOWN, "%s", configured ? "-" : "n/a");
			}
			/* Git is read without the lock: the watch thread waits for no commit walk */
			tui_data_unlock(d);
			if (rev)
				revision_cell(tn, &in->writer, rev, l);
			else
				tui_line_cell(l, TUI_AREA_DIM, "-");
			free(rev);
			tui_line_cell(l, TUI_AREA_DEFAULT, "%s",
				      in->route_host ? in->route_host : "-");
			writer_cells(tn, &in->writer, l, now);
			tui_data_lock(d);
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
	size_t i, napps = 0, behind = 0, at = t->data.all_tenants ? 1 : 0; /* after TENANT */
	for (i = 0; i < t->data.ntenants; i++)
		napps += t->data.tenants[i]->napps;
	mech_buf_printf(out, "%zu %s, %zu %s", napps, napps == 1 ? "app" : "apps", v->nlines,
			v->nlines == 1 ? "instance" : "instances");
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
	for (i = 0; i < v->nlines; i++)
		behind += v->lines[i].ncells > at + 5 &&
			  strstr(v->lines[i].cells[at + 5].text, "↓");
	if (behind)
		mech_buf_printf(out, " │ %zu behind Git (↓)", behind);
}

const struct tui_view_ops tui_apps_ops = {
	"apps", "generic", load, enter, request, summary, NULL, 1,
};

tui_view *tui_apps_view(struct tui *t)
{
	return tui_view_table(t, &tui_apps_ops, cols, sizeof(cols) / sizeof(*cols));
}
