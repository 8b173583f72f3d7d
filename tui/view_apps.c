/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The apps view: one row per app instance, desired state from Git beside
 * live sync and health from Argo CD.
 */
#include "tui.h"

#include "mech/buf.h"
#include "mech/layout.h"
#include "mech/live.h"

#include <stdint.h>
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

/* A row's cells, after TENANT in operator mode; SYNC to REVISION are Argo CD's. */
enum {
	C_APP,
	C_INSTANCE,
	C_IMAGE,
	C_SYNC,
	C_HEALTH,
	C_REVISION,
	C_ROUTE,
	C_WRITER,
	C_AGE,
	C_EMAIL,
	C_MESSAGE,
	C__COUNT
};

/*
 * The last writer's commit: "machine alice", and for wide screens its age,
 * email and subject (empty when the commit cannot be read). Returns until
 * when the age reads the same (0: no age).
 */
static long long writer_cells(tui_view *v, tui_tenant *tn, const mech_writer *w, tui_line *l,
			      size_t at, long long now)
{
	const mech_brief *b = git_oid_is_zero(&w->commit) ? NULL : tui_brief(tn, &w->commit);
	const char *subject;
	char age[16];
	if (!b || !b->author) {
		char sha[GIT_OID_HEXSZ + 1];
		git_oid_tostr(sha, sizeof(sha), &w->commit);
		if (git_oid_is_zero(&w->commit))
			tui_view_cell_set(v, l, at + C_WRITER, TUI_AREA_DEFAULT, "-");
		else
			tui_view_cell_set(v, l, at + C_WRITER, tui_class_area(w->cls), "%s %.8s",
					  mech_class_name(w->cls), sha);
		tui_view_cell_set(v, l, at + C_AGE, TUI_AREA_DIM, "%s", "");
		tui_view_cell_set(v, l, at + C_EMAIL, TUI_AREA_DEFAULT, "%s", "");
		tui_view_cell_set(v, l, at + C_MESSAGE, TUI_AREA_DEFAULT, "%s", "");
		return 0;
	}
	mech_age_text(now - b->time, age, sizeof(age));
	tui_view_cell_set(v, l, at + C_WRITER, tui_class_area(w->cls), "%s %s",
			  mech_class_name(w->cls), b->author);
	tui_view_cell_set(v, l, at + C_AGE, TUI_AREA_DIM, "%s", age);
	tui_view_cell_set(v, l, at + C_EMAIL, TUI_AREA_DEFAULT, "%s", b->email);
	subject = b->summary;
	/* a receipt's verb is in its LAST WRITER class already: "set image of web/main …" */
	if (!strncmp(subject, "mechanics(", 10) && strstr(subject, "): "))
		subject = strstr(subject, "): ") + 3;
	tui_view_cell_set(v, l, at + C_MESSAGE, TUI_AREA_DEFAULT, "%s", subject);
	return b->time + mech_age_next(now - b->time);
}

/*
 * The Application's own synced revision, marked "↓" when it is behind the
 * last commit mech wrote for the instance (its overlay's last writer): the
 * rule `mech app status` and --wait use (mech_live_revision_reached), asked
 * for every row at once: one walk of Argo CD's lag, not one per instance.
 */
static void revision_cell(tui_view *v, tui_tenant *tn, const mech_writer *w, const char *rev,
			  tui_line *l, size_t at)
{
	if (!rev || !*rev) {
		tui_view_cell_set(v, l, at + C_REVISION, TUI_AREA_DIM, "-");
		return;
	}
	if (!tn->reach)
		tn->reach = mech_live_reach_new();
	if (!git_oid_is_zero(&w->commit) && tn->repo && tn->apps_listed &&
	    !mech_live_reach_check(tn->reach, mech_repo_git(tn->repo), &tn->apps_at, rev,
				   &w->commit))
		tui_view_cell_set(v, l, at + C_REVISION, TUI_AREA_OUT_OF_SYNC, "%.7s↓", rev);
	else
		tui_view_cell_set(v, l, at + C_REVISION, TUI_AREA_DIM, "%.7s", rev);
}

/* What a row's Git cells are made from: image, route, last writer (the key is app/instance). */
static void git_made(const mech_instance_state *in, mech_buf *out)
{
	char sha[GIT_OID_HEXSZ + 1];
	git_oid_tostr(sha, sizeof(sha), &in->writer.commit);
	mech_buf_clear(out);
	mech_buf_puts(out, in->image ? in->image : "\x1e");
	mech_buf_putc(out, '\x1f');
	mech_buf_puts(out, in->route_host ? in->route_host : "\x1e");
	mech_buf_putc(out, '\x1f');
	mech_buf_puts(out, sha);
	mech_buf_putc(out, (char)('0' + (int)in->writer.cls));
}

/*
 * What its Argo CD cells are made from: sync, health, revision, and whether
 * REVISION's "↓" can be judged (the apps listed). Not the commit they were
 * listed at: whether a revision contains the writer is the history's, and
 * a moved branch with the same writer answers the same. Under the lock.
 */
static void live_made(const tui_tenant *tn, const mech_argocd_app *live, int configured,
		      mech_buf *out)
{
	mech_buf_clear(out);
	if (!live) {
		mech_buf_puts(out, configured ? "-" : "n/a");
		return;
	}
	mech_buf_putc(out, tn->apps_listed ? '+' : '?');
	mech_buf_puts(out, live->sync_status);
	mech_buf_putc(out, '\x1f');
	mech_buf_puts(out, live->health_status);
	mech_buf_putc(out, '\x1f');
	mech_buf_puts(out, live->sync_revision ? live->sync_revision : "");
}

static void set_made(tui_line *l, int part, const mech_buf *b)
{
	if (l->made[part] && !strcmp(l->made[part], mech_buf_cstr(b)))
		return;
	free(l->made[part]);
	l->made[part] = mech_strdup(mech_buf_cstr(b));
}

/* The apps view's rows by their Application's name: the watch says which changed. */
typedef struct {
	char *name;       /* NULL: an empty slot */
	size_t line;      /* (size_t)-1: more than one row has that name (operator mode) */
	size_t app, inst; /* where the instance was in its tenant's apps at the load */
} by_name;

typedef struct {
	by_name *slots;
	size_t cap, n;
	mech_buf gm, lm; /* what a row is made of, built for each row looked at */
} apps_priv;

static size_t name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3u;
	return (size_t)h;
}

static by_name *slot_of(apps_priv *p, const char *name)
{
	size_t h;
	for (h = name_hash(name) & (p->cap - 1); p->slots[h].name; h = (h + 1) & (p->cap - 1))
		if (!strcmp(p->slots[h].name, name))
			break;
	return &p->slots[h];
}

static void index_clear(apps_priv *p)
{
	size_t i;
	for (i = 0; i < p->cap; i++)
		free(p->slots[i].name);
	free(p->slots);
	p->slots = NULL;
	p->cap = p->n = 0;
}

/* Index a row by its Application's name (taken). */
static void index_put(apps_priv *p, char *name, size_t line, size_t app, size_t inst)
{
	by_name *s;
	if ((p->n + 1) * 2 > p->cap) {
		by_name *old = p->slots;
		size_t i, oldcap = p->cap;
		p->cap = oldcap ? oldcap * 2 : 1024;
		p->slots = mech_calloc(p->cap, sizeof(*p->slots));
		for (i = 0; i < oldcap; i++)
			if (old[i].name)
				*slot_of(p, old[i].name) = old[i];
		free(old);
	}
	s = slot_of(p, name);
	if (s->name) {
		free(name);
		s->line = (size_t)-1;
		return;
	}
	s->name = name;
	s->line = line;
	s->app = app;
	s->inst = inst;
	p->n++;
}

/*
 * One row, keeping its cells while what they are made of holds: its Git
 * cells are rebuilt when the image, route or writer changed or the age
 * would read differently (the writer's commit is read only then), its Argo
 * CD cells when sync, health or revision did. Called and returns with the
 * lock held; Git is read without it.
 */
static void row_update(struct tui *t, tui_view *v, tui_tenant *tn, const mech_app_state *a,
		       const mech_instance_state *in, const mech_argocd_app *live, tui_line *l,
		       int kept, long long now)
{
	tui_data *d = &t->data;
	apps_priv *p = v->priv;
	size_t k, at = d->all_tenants ? 1 : 0;
	int configured = d->configured, git_changed, live_changed;
	char *rev = NULL;

	git_made(in, &p->gm);
	live_made(tn, live, configured, &p->lm);
	git_changed = !kept || !l->made[0] || strcmp(l->made[0], p->gm.ptr) ||
		      (l->until && now >= l->until);
	/* REVISION's "↓" is judged against the writer: a new one judges again */
	live_changed = git_changed || !l->made[1] || strcmp(l->made[1], p->lm.ptr);
	if (!git_changed && !live_changed)
		return;
	for (k = l->ncells; k < at + C__COUNT; k++)
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", "");
	if (live_changed && live) {
		const char *sync = *live->sync_status ? live->sync_status : "Unknown";
		const char *health = *live->health_status ? live->health_status : "Unknown";
		tui_view_cell_set(v, l, at + C_SYNC, tui_status_area(sync), "%s", sync);
		tui_view_cell_set(v, l, at + C_HEALTH, tui_status_area(health), "%s", health);
		rev = mech_strdup(live->sync_revision ? live->sync_revision : "");
	} else if (live_changed) {
		tui_view_cell_set(v, l, at + C_SYNC, TUI_AREA_UNKNOWN, "%s",
				  configured ? "-" : "n/a");
		tui_view_cell_set(v, l, at + C_HEALTH, TUI_AREA_UNKNOWN, "%s",
				  configured ? "-" : "n/a");
	}
	/* Git is read without the lock: the watch thread waits for no commit walk */
	tui_data_unlock(d);
	if (git_changed) {
		tui_view_cell_set(v, l, at + C_APP, TUI_AREA_DEFAULT, "%s", a->name);
		tui_view_cell_set(v, l, at + C_INSTANCE, TUI_AREA_DEFAULT, "%s", in->name);
		tui_view_cell_set(v, l, at + C_IMAGE, TUI_AREA_DEFAULT, "%s",
				  in->image ? in->image : "-");
		tui_view_cell_set(v, l, at + C_ROUTE, TUI_AREA_DEFAULT, "%s",
				  in->route_host ? in->route_host : "-");
		l->until = writer_cells(v, tn, &in->writer, l, at, now);
		set_made(l, 0, &p->gm);
	}
	if (live_changed) {
		revision_cell(v, tn, &in->writer, rev, l, at);
		set_made(l, 1, &p->lm);
	}
	free(rev);
	tui_data_lock(d);
}

static void load_tenant(struct tui *t, tui_view *v, tui_tenant *tn, long long now)
{
	tui_data *d = &t->data;
	apps_priv *p = v->priv;
	size_t i, j;

	tui_data_need(tn, TUI_HAVE_APPS);
	tui_data_lock(d);
	for (i = 0; i < tn->napps; i++) {
		const mech_app_state *a = &tn->apps[i];
		for (j = 0; j < a->ninstances; j++) {
			const mech_instance_state *in = &a->instances[j];
			char *name = mech_layout_instance_app(tn->name, a->name, in->name);
			int kept;
			tui_line *l = tui_view_row_kept(t, v, tn, a->name, in->name, &kept);
			row_update(t, v, tn, a, in, tui_data_app(d, tn, name), l, kept, now);
			index_put(p, name, (size_t)(l - v->lines), i, j);
		}
	}
	tui_data_unlock(d);
	/* the first listing's briefs, for the next console; one write's wait for the exit */
	tui_briefs_save(tn, 64);
}

static int load(struct tui *t, tui_view *v)
{
	long long now = (long long)time(NULL);
	size_t i;
	if (!v->priv)
		v->priv = mech_calloc(1, sizeof(apps_priv));
	index_clear(v->priv);
	for (i = 0; i < t->data.ntenants; i++)
		load_tenant(t, v, t->data.tenants[i], now);
	return 0;
}

/*
 * The Applications the watch changed: only their rows, looked up by name.
 * -1 (load it all) when a row is not where the last load left it, a name is
 * two rows', or a filter may now match differently.
 */
static int live_update(struct tui *t, tui_view *v, const mech_strv *names)
{
	tui_data *d = &t->data;
	apps_priv *p = v->priv;
	long long now = (long long)time(NULL);
	size_t i;
	int rc = 0;

	if (!p || !p->cap || (v->filter && *v->filter))
		return -1;
	tui_data_lock(d);
	for (i = 0; i < names->len && !rc; i++) {
		const by_name *s = slot_of(p, names->items[i]);
		const mech_app_state *a;
		tui_line *l;
		tui_tenant *tn;
		if (!s->name)
			continue; /* not an instance's (network, addons), or not in Git yet */
		if (s->line >= v->nlines) {
			rc = -1;
			break;
		}
		l = &v->lines[s->line];
		tn = l->tenant;
		a = s->app < tn->napps ? &tn->apps[s->app] : NULL;
		if (!a || strcmp(a->name, l->key) || s->inst >= a->ninstances ||
		    strcmp(a->instances[s->inst].name, l->key2)) {
			rc = -1; /* the apps were read again since (a drill-down) */
			break;
		}
		row_update(t, v, tn, a, &a->instances[s->inst], tui_data_app(d, tn, s->name), l, 1,
			   now);
	}
	tui_data_unlock(d);
	return rc;
}

static void done(tui_view *v)
{
	apps_priv *p = v->priv;
	if (!p)
		return;
	index_clear(p);
	mech_buf_dispose(&p->gm);
	mech_buf_dispose(&p->lm);
	free(p);
	v->priv = NULL;
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
	"apps", "generic", load, enter, request, summary, done, 1, NULL, live_update,
};

tui_view *tui_apps_view(struct tui *t)
{
	return tui_view_table(t, &tui_apps_ops, cols, sizeof(cols) / sizeof(*cols));
}
