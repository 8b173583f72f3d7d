/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The history view: receipts, newest first, each with its class badge
 * (machine, human, forced), verb, target, author, age and subject. It
 * reads a page of receipts at a time: moving near the last one loaded
 * reads the next. In operator mode the tenants' receipts are merged by
 * date. The history of one instance (h on an app) lists the commits that
 * changed what it runs; R there rolls back to the selected state.
 */
#include "tui.h"

#include "mech/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const tui_column cols[] = {
	{"TENANT", 6, 16, 0, 0},      {"CLASS", 7, 7, 0, 0},    {"COMMIT", 7, 7, 0, 0},
	{"VERB", 13, 14, 3, 0},       {"TARGET", 10, 24, 2, 0}, {"AUTHOR", 8, 12, 1, 0},
	{"EMAIL", 12, 32, 1, 0, 200}, {"AGE", 3, 4, 0, 0},      {"SUBJECT", 24, 0, 0, 0},
};

/* The verb has its own column: show a receipt's summary without the "mechanics(…): " prefix. */
static const char *summary_of(const mech_log_entry *e)
{
	const char *colon = e->verb ? strstr(e->subject, "): ") : NULL;
	return colon && e->cls != MECH_CLASS_HUMAN ? colon + 3 : e->subject;
}

/*
 * A human commit a later forced receipt overrode: "overridden by 5930790"
 * (", restored" once the human's version is back at the head). The receipts
 * after a commit are read before it (newest first), so the page has them.
 */
static int overridden_mark(const tui_tenant *tn, const mech_log_entry *e, char *buf, size_t len)
{
	size_t i, j;
	for (i = 0; i < tn->nlog && &tn->log[i] != e; i++)
		for (j = 0; j < tn->log[i].nforced; j++)
			if (!strcmp(tn->log[i].forced[j].commit, e->commit)) {
				const int *still = tn->log[i].still_overridden;
				snprintf(buf, len, "overridden by %.7s%s · ", tn->log[i].commit,
					 still && still[j] == 0 ? ", restored" : "");
				return 1;
			}
	return 0;
}

static void add(struct tui *t, tui_view *v, tui_tenant *tn, const mech_log_entry *e, long long now)
{
	char mark[64];
	const char *email = e->author && strchr(e->author, '<') ? strchr(e->author, '<') + 1 : "";
	tui_line *l = tui_view_row(t, v, tn, e->commit);
	char who[64], age[16];
	tui_author_name(e->author, who, sizeof(who));
	mech_age_text(now - e->time, age, sizeof(age));
	tui_line_cell(l, tui_class_area(e->cls), "%s", mech_class_name(e->cls));
	tui_line_cell(l, TUI_AREA_DIM, "%.7s", e->commit);
	tui_line_cell(l, TUI_AREA_DEFAULT, "%s", e->verb ? e->verb : "-");
	tui_line_cell(l, TUI_AREA_DEFAULT, "%s", e->target ? e->target : "-");
	tui_line_cell(l, TUI_AREA_DEFAULT, "%s", who);
	tui_line_cell(l, TUI_AREA_DIM, "%.*s", (int)strcspn(email, ">"), email);
	tui_line_cell(l, TUI_AREA_DIM, "%s", age);
	if (e->cls == MECH_CLASS_HUMAN && overridden_mark(tn, e, mark, sizeof(mark)))
		tui_line_cell(l, TUI_AREA_FORCED, "%s%s", mark, summary_of(e));
	else
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", summary_of(e));
}

/*
 * Merge the tenants' pages by date, newest first. A tenant with older
 * receipts not read yet bounds the merge: below its last one loaded,
 * another tenant's older receipt could come before ones not read yet.
 */
static int load(struct tui *t, tui_view *v)
{
	tui_data *d = &t->data;
	long long now = (long long)time(NULL), floor = 0;
	size_t i, *at = mech_calloc(d->ntenants + 1, sizeof(*at));
	int have_floor = 0;

	for (i = 0; i < d->ntenants; i++) {
		tui_tenant *tn = d->tenants[i];
		tui_data_need(tn, TUI_HAVE_LOG);
		if (tn->log_more && tn->nlog &&
		    (!have_floor || tn->log[tn->nlog - 1].time > floor)) {
			floor = tn->log[tn->nlog - 1].time;
			have_floor = 1;
		}
	}
	for (;;) {
		size_t bi = 0;
		tui_tenant *best = tui_data_newest(d, at, 0, &bi);
		if (!best || (have_floor && d->ntenants > 1 && best->log[at[bi]].time < floor))
			break;
		add(t, v, best, &best->log[at[bi]++], now);
	}
	free(at);
	return 0;
}

static int enter(struct tui *t, tui_view *v, const tui_line *line, int diff)
{
	const char *shas[1];
	(void)v;
	if (!line || !line->key || !line->tenant)
		return 0;
	shas[0] = line->key;
	tui_push(t, tui_commit_view(t, line->tenant, shas, 1, diff));
	return 0;
}

/* Moving within a page of the last receipt loaded reads the next page. */
static tui_action request(struct tui *t, tui_view *v, tui_action a)
{
	size_t page = t->body_rows > 0 ? (size_t)t->body_rows : 20;
	if (a != TUI_ACT_MOVE_DOWN && a != TUI_ACT_PAGE_DOWN && a != TUI_ACT_MOVE_LAST)
		return a;
	if (a != TUI_ACT_MOVE_LAST && v->cursor + 2 * page < v->nvis)
		return a;
	if (tui_data_more_log(&t->data))
		tui_view_reload(t, v);
	return a;
}

static void summary(struct tui *t, tui_view *v, mech_buf *out)
{
	size_t i, machine = 0, human = 0, forced = 0, at = t->data.all_tenants ? 1 : 0;
	int more = 0;
	for (i = 0; i < t->data.ntenants; i++)
		more |= t->data.tenants[i]->log_more;
	/* the class cell's colour area is the class */
	for (i = 0; i < v->nlines; i++) {
		tui_area cls = v->lines[i].cells[at].area;
		machine += cls == TUI_AREA_MACHINE;
		human += cls == TUI_AREA_HUMAN;
		forced += cls == TUI_AREA_FORCED;
	}
	mech_buf_printf(out, "%zu %s%s%s │ machine %zu, human %zu, forced %zu", v->nlines,
			more ? "newest " : "", v->nlines == 1 ? "commit" : "commits",
			more ? " (more as you scroll)" : "", machine, human, forced);
}

const struct tui_view_ops tui_history_ops = {
	"history", "generic", load, enter, request, summary, NULL, 1,
};

tui_view *tui_history_view(struct tui *t)
{
	return tui_view_table(t, &tui_history_ops, cols, sizeof(cols) / sizeof(*cols));
}

/* ---- one instance's history (`mech app history`); R rolls back to a state ---- */

#define APP_HISTORY_MAX 200

static const tui_column app_cols[] = {
	{"CLASS", 7, 7, 0, 0},   {"COMMIT", 7, 7, 0, 0},   {"AGE", 3, 4, 0, 0},
	{"AUTHOR", 6, 12, 1, 0}, {"CHANGES", 20, 0, 0, 0},
};

typedef struct {
	tui_tenant *tenant; /* borrowed from the data */
	char *app, *instance;
	size_t n;
	char *error;
} app_history_priv;

static void change_text(mech_buf *b, const mech_app_change *c)
{
	if (b->len)
		mech_buf_puts(b, ", ");
	if (!c->from && c->to)
		mech_buf_printf(b, "%s %s", c->field,
				!strcmp(c->field, "instance") ? "added" : c->to);
	else if (c->from && !c->to)
		mech_buf_printf(b, "%s removed", c->field);
	else
		mech_buf_printf(b, "%s %s → %s", c->field, c->from ? c->from : "-",
				c->to ? c->to : "-");
}

static int app_history_load(struct tui *t, tui_view *v)
{
	app_history_priv *p = v->priv;
	mech_app_history_entry *h = NULL;
	long long now = (long long)time(NULL);
	size_t n = 0, i, j;

	(void)t;
	free(p->error);
	p->error = NULL;
	p->n = 0;
	if (!p->tenant->repo ||
	    mech_app_history(p->tenant->repo, p->app, p->instance, APP_HISTORY_MAX, &h, &n) < 0) {
		const mech_error *e = mech_error_last();
		p->error = mech_strdup(e && e->message ? e->message : "cannot read the history");
		mech_error_clear();
		tui_view_text(v, TUI_AREA_ERROR, "%s", p->error);
		return 0;
	}
	for (i = 0; i < n; i++) {
		const mech_log_entry *e = &h[i].log;
		tui_line *l = tui_view_add(v, TUI_LINE_ROW, e->commit);
		mech_buf ch = MECH_BUF_INIT;
		char who[64], age[16];
		l->tenant = p->tenant;
		tui_author_name(e->author, who, sizeof(who));
		mech_age_text(now - e->time, age, sizeof(age));
		for (j = 0; j < h[i].nchanges; j++)
			change_text(&ch, &h[i].changes[j]);
		tui_line_cell(l, tui_class_area(e->cls), "%s", mech_class_name(e->cls));
		tui_line_cell(l, TUI_AREA_DIM, "%.7s", e->commit);
		tui_line_cell(l, TUI_AREA_DIM, "%s", age);
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", who);
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", ch.len ? mech_buf_cstr(&ch) : e->subject);
		mech_buf_dispose(&ch);
	}
	p->n = n;
	mech_app_history_free(h, n);
	mech_error_clear();
	return 0;
}

/*
 * R: the plan first (the rollback with --dry-run, its output shown), then
 * the same command waits for y in the prompt's confirmation, as any write
 * from the console does; nothing else writes.
 */
static void rollback(struct tui *t, tui_view *v)
{
	app_history_priv *p = v->priv;
	const tui_line *l = tui_view_selected(v);
	char *line;

	if (!l || !l->key) {
		tui_message(t, 1, "select the state to roll back to");
		return;
	}
	if (t->readonly) {
		tui_message(t, 1, "this session is read-only: nothing is rolled back");
		return;
	}
	/* as the instance's tenant (operator mode: the question names it) */
	line = mech_sprintf("app -a %s -i %s rollback --to %.12s", p->app, p->instance, l->key);
	tui_plan_and_ask(t, p->tenant, line, "It writes.");
	free(line);
}

static tui_action app_history_request(struct tui *t, tui_view *v, tui_action a)
{
	app_history_priv *p = v->priv;
	switch (a) {
	case TUI_ACT_REVERT:
		rollback(t, v);
		return TUI_ACT_NONE;
	case TUI_ACT_APP_HISTORY:
		return TUI_ACT_NONE; /* already here */
	case TUI_ACT_LOGS:
	case TUI_ACT_EVENTS:
		return tui_instance_action(t, p->tenant, p->app, p->instance, NULL, a);
	default:
		return a;
	}
}

static void app_history_summary(struct tui *t, tui_view *v, mech_buf *out)
{
	app_history_priv *p = v->priv;
	(void)t;
	(void)v;
	mech_buf_printf(out, "%zu changes of %s/%s │ Enter receipt, R roll back to it (asks)", p->n,
			p->app, p->instance);
}

static void app_history_done(tui_view *v)
{
	app_history_priv *p = v->priv;
	if (!p)
		return;
	free(p->app);
	free(p->instance);
	free(p->error);
	free(p);
}

const struct tui_view_ops tui_app_history_ops = {
	"app-history",       "generic",           app_history_load, enter,
	app_history_request, app_history_summary, app_history_done, 1,
};

tui_view *tui_app_history_view(struct tui *t, tui_tenant *tn, const char *app, const char *instance)
{
	tui_view *v = tui_view_new(&tui_app_history_ops, app_cols,
				   sizeof(app_cols) / sizeof(*app_cols), 1);
	app_history_priv *p = mech_calloc(1, sizeof(*p));
	p->tenant = tn;
	p->app = mech_strdup(app);
	p->instance = mech_strdup(instance);
	v->priv = p;
	v->tenant = tn;
	v->title = tui_instance_title(t, tn, "history", app, instance);
	tui_view_reload(t, v);
	return v;
}
