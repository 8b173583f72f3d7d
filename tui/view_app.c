/* SPDX-License-Identifier: Apache-2.0 */
/*
 * App detail: desired state from Git, the Argo CD Application (sync,
 * health, operation, conditions), its resource tree with per-node sync and
 * health, and the live-vs-desired diff of each managed resource.
 */
#include "tui.h"

#include "mech/error.h"
#include "mech/live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIFF_MAX_CELLS (1024 * 1024) /* lines(live) x lines(desired) */
#define TREE_MAX_DEPTH 12

typedef struct {
	tui_tenant *tenant; /* borrowed from the data */
	char *app, *instance;
	mech_argocd_tree *tree;
	mech_argocd_diffs *diffs;
	char *fetch_error;
} app_priv;

static void fetch(struct tui *t, app_priv *p)
{
	char *name;
	mech_argocd_tree_free(p->tree);
	mech_argocd_diffs_free(p->diffs);
	p->tree = NULL;
	p->diffs = NULL;
	free(p->fetch_error);
	p->fetch_error = NULL;
	if (!t->data.ui_client || !p->instance)
		return;
	name = mech_layout_instance_app(p->tenant->name, p->app, p->instance);
	if (mech_argocd_app_tree(t->data.ui_client, p->tenant->name, name, &p->tree) < 0 ||
	    mech_argocd_app_managed(t->data.ui_client, p->tenant->name, name, &p->diffs) < 0) {
		const mech_error *e = mech_error_last();
		p->fetch_error = mech_strdup(e && e->message ? e->message : "Argo CD unavailable");
	}
	mech_error_clear();
	free(name);
}

/* ---- a line diff of two JSON documents ---- */

static void split_lines(char *s, mech_strv *out)
{
	char *p = s;
	while (p && *p) {
		char *end = strchr(p, '\n');
		if (end)
			*end = '\0';
		mech_strv_push(out, p);
		if (!end)
			break;
		p = end + 1;
	}
}

static void json_diff(tui_view *v, const cJSON *from, const cJSON *to)
{
	char *sa = from ? cJSON_Print(from) : NULL, *sb = to ? cJSON_Print(to) : NULL;
	mech_strv a = MECH_STRV_INIT, b = MECH_STRV_INIT;
	size_t na, nb, i, j, nops = 0, k;
	int *lcs = NULL;
	char *ops = NULL;
	size_t *ai = NULL, *bi = NULL;

	split_lines(sa, &a);
	split_lines(sb, &b);
	na = a.len;
	nb = b.len;
	if ((na + 1) * (nb + 1) > DIFF_MAX_CELLS) {
		tui_view_text(v, TUI_AREA_DIM,
			      "    (too large to diff here: %zu vs %zu lines; use "
			      "`mech app -a APP diff`)",
			      na, nb);
		goto done;
	}
	lcs = mech_calloc((na + 1) * (nb + 1), sizeof(*lcs));
	for (i = na; i-- > 0;)
		for (j = nb; j-- > 0;)
			lcs[i * (nb + 1) + j] = !strcmp(a.items[i], b.items[j])
							? lcs[(i + 1) * (nb + 1) + j + 1] + 1
						: lcs[(i + 1) * (nb + 1) + j] >
								lcs[i * (nb + 1) + j + 1]
							? lcs[(i + 1) * (nb + 1) + j]
							: lcs[i * (nb + 1) + j + 1];
	ops = mech_calloc(na + nb + 1, 1);
	ai = mech_calloc(na + nb + 1, sizeof(*ai));
	bi = mech_calloc(na + nb + 1, sizeof(*bi));
	for (i = 0, j = 0; i < na || j < nb;) {
		ai[nops] = i;
		bi[nops] = j;
		if (i < na && j < nb && !strcmp(a.items[i], b.items[j]))
			ops[nops++] = ' ', i++, j++;
		else if (j < nb &&
			 (i == na || lcs[i * (nb + 1) + j + 1] >= lcs[(i + 1) * (nb + 1) + j]))
			ops[nops++] = '+', j++;
		else
			ops[nops++] = '-', i++;
	}
	for (k = 0; k < nops;) {
		size_t start, end, x, oa = 0, ob = 0;
		if (ops[k] == ' ') {
			k++;
			continue;
		}
		/* a hunk: this change with 3 lines of context, merged with changes nearby */
		start = k >= 3 ? k - 3 : 0;
		end = k;
		for (x = k; x < nops; x++) {
			if (ops[x] != ' ')
				end = x;
			else if (x - end > 6)
				break;
		}
		end = end + 3 < nops ? end + 3 : nops - 1;
		for (x = start; x <= end; x++) {
			oa += ops[x] != '+';
			ob += ops[x] != '-';
		}
		{
			tui_line *l = tui_view_add(v, TUI_LINE_HUNK, NULL);
			tui_line_cell(l, TUI_AREA_DIFF_HUNK, "    @@ -%zu,%zu +%zu,%zu @@",
				      ai[start] + 1, oa, bi[start] + 1, ob);
		}
		for (x = start; x <= end; x++) {
			const char *text = ops[x] == '+' ? b.items[bi[x]] : a.items[ai[x]];
			tui_view_text(v,
				      ops[x] == '+'   ? TUI_AREA_DIFF_ADD
				      : ops[x] == '-' ? TUI_AREA_DIFF_DEL
						      : TUI_AREA_DEFAULT,
				      "    %c%s", ops[x], text);
		}
		k = end + 1;
	}
done:
	free(lcs);
	free(ops);
	free(ai);
	free(bi);
	mech_strv_dispose(&a);
	mech_strv_dispose(&b);
	cJSON_free(sa);
	cJSON_free(sb);
}

/* ---- the resource tree ---- */

static const mech_argocd_resource *managed(const mech_argocd_app *live, const mech_argocd_node *n)
{
	size_t i;
	for (i = 0; live && i < live->nresources; i++)
		if (!strcmp(live->resources[i].kind, n->kind) &&
		    !strcmp(live->resources[i].name, n->name))
			return &live->resources[i];
	return NULL;
}

static int has_parent_in_tree(const mech_argocd_tree *tr, const mech_argocd_node *n)
{
	size_t i, j;
	for (i = 0; i < n->nparents; i++)
		for (j = 0; j < tr->len; j++)
			if (*n->parents[i].uid && !strcmp(tr->nodes[j].uid, n->parents[i].uid))
				return 1;
	return 0;
}

static int child_of(const mech_argocd_node *n, const mech_argocd_node *parent)
{
	size_t i;
	if (!*parent->uid)
		return 0;
	for (i = 0; i < n->nparents; i++)
		if (!strcmp(n->parents[i].uid, parent->uid))
			return 1;
	return 0;
}

/* A row naming a resource: its key is kind/namespace/name, Enter opens it. */
static tui_line *resource_row(tui_view *v, const char *kind, const char *ns, const char *name)
{
	char *key = mech_sprintf("%s/%s/%s", kind, ns ? ns : "", name);
	tui_line *l = tui_view_add(v, TUI_LINE_TEXT, key);
	l->key2 = mech_strdup("resource");
	l->tenant = v->tenant;
	free(key);
	return l;
}

static void tree_node(tui_view *v, const mech_argocd_tree *tr, const mech_argocd_app *live,
		      size_t idx, const char *prefix, int last, int depth)
{
	const mech_argocd_node *n = &tr->nodes[idx];
	const mech_argocd_resource *r = managed(live, n);
	tui_line *l = resource_row(v, n->kind, n->namespace, n->name);
	char *label = mech_sprintf("%s/%s", n->kind, n->name);
	char *sub;
	size_t i, nchildren = 0, seen = 0;
	int pad = 44 - (int)strlen(prefix) - 3 - tui_width(label);

	tui_line_cell(l, TUI_AREA_TREE, "  %s%s", prefix, depth ? (last ? "└─ " : "├─ ") : "");
	tui_line_cell(l, TUI_AREA_DEFAULT, "%s%*s", label, pad > 1 ? pad : 1, "");
	tui_line_cell(l, r ? tui_status_area(r->status) : TUI_AREA_DIM, "%-10s",
		      r ? (*r->status ? r->status : "Unknown") : "");
	tui_line_cell(l, tui_status_area(n->health), " %s", *n->health ? n->health : "-");
	if (*n->health_message)
		tui_line_cell(l, TUI_AREA_DIM, "  %s", n->health_message);
	free(label);
	if (depth >= TREE_MAX_DEPTH)
		return;
	for (i = 0; i < tr->len; i++)
		nchildren += child_of(&tr->nodes[i], n);
	sub = mech_sprintf("%s%s", prefix, depth ? (last ? "   " : "│  ") : "");
	for (i = 0; i < tr->len; i++) {
		if (!child_of(&tr->nodes[i], n))
			continue;
		seen++;
		tree_node(v, tr, live, i, sub, seen == nchildren, depth + 1);
	}
	free(sub);
}

static void live_section(struct tui *t, tui_view *v, app_priv *p)
{
	tui_data *d = &t->data;
	const mech_argocd_app *live;
	size_t i;
	tui_line *l;

	tui_view_text(v, TUI_AREA_TITLE, "Live (Argo CD)");
	if (!d->configured) {
		tui_view_text(v, TUI_AREA_DIM,
			      "  argocd not configured: set argocd.url in "
			      "MECH_HOME/mech.yaml (or run `mech sim`)");
		return;
	}
	tui_data_lock(d);
	live = p->instance ? tui_data_instance(d, p->tenant, p->app, p->instance) : NULL;
	if (!live) {
		tui_view_text(v, TUI_AREA_DIM,
			      "  no Application yet (Argo CD has not generated it, "
			      "or the data is stale)");
	} else {
		l = tui_view_add(v, TUI_LINE_TEXT, NULL);
		tui_line_cell(l, TUI_AREA_LABEL, "  %s  ", live->name);
		tui_line_cell(l, tui_status_area(live->sync_status), "%s",
			      *live->sync_status ? live->sync_status : "Unknown");
		tui_line_cell(l, TUI_AREA_DEFAULT, "  ");
		tui_line_cell(l, tui_status_area(live->health_status), "%s",
			      *live->health_status ? live->health_status : "Unknown");
		tui_line_cell(l, TUI_AREA_DIM, "  revision %.12s", live->sync_revision);
		if (*live->health_message)
			tui_view_text(v, TUI_AREA_DIM, "  health: %s", live->health_message);
		if (*live->operation_phase)
			tui_view_text(v,
				      !strcmp(live->operation_phase, "Failed") ||
						      !strcmp(live->operation_phase, "Error")
					      ? TUI_AREA_ERROR
					      : TUI_AREA_DEFAULT,
				      "  operation %s%s%s", live->operation_phase,
				      *live->operation_message ? ": " : "",
				      live->operation_message);
	}
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	tui_view_text(v, TUI_AREA_TITLE, "Conditions");
	if (!live || !live->nconditions)
		tui_view_text(v, TUI_AREA_DIM, "  none");
	for (i = 0; live && i < live->nconditions; i++)
		tui_view_text(v,
			      strstr(live->conditions[i].type, "Error") ? TUI_AREA_ERROR
									: TUI_AREA_DEFAULT,
			      "  %s: %s", live->conditions[i].type, live->conditions[i].message);
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	tui_view_text(v, TUI_AREA_TITLE, "Resources");
	if (p->fetch_error)
		tui_view_text(v, TUI_AREA_ERROR, "  %s (r retries)", p->fetch_error);
	else if (!p->tree || !p->tree->len)
		tui_view_text(v, TUI_AREA_DIM, "  none yet");
	for (i = 0; p->tree && i < p->tree->len; i++)
		if (!has_parent_in_tree(p->tree, &p->tree->nodes[i]))
			tree_node(v, p->tree, live, i, "", 1, 0);
	tui_data_unlock(d);

	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	l = tui_view_add(v, TUI_LINE_TITLE, "diff");
	tui_line_cell(l, TUI_AREA_TITLE, "Live vs desired");
	if (!p->diffs || !p->diffs->len)
		tui_view_text(v, TUI_AREA_DIM, "  %s",
			      p->fetch_error ? "unavailable" : "no managed resources");
	for (i = 0; p->diffs && i < p->diffs->len; i++) {
		const mech_argocd_diff *df = &p->diffs->items[i];
		const cJSON *from = df->normalized_live ? df->normalized_live : df->live;
		const cJSON *to = df->predicted_live ? df->predicted_live : df->target;
		l = resource_row(v, df->kind, df->namespace, df->name);
		tui_line_cell(l, TUI_AREA_DIFF_HEADER, "  %s/%s  ", df->kind, df->name);
		tui_line_cell(l, df->modified ? TUI_AREA_OUT_OF_SYNC : TUI_AREA_SYNCED, "%s",
			      !from          ? "not in the cluster yet"
			      : !to          ? "no longer in Git"
			      : df->modified ? "differs"
					     : "matches Git");
		if (df->modified || !from || !to)
			json_diff(v, from, to);
	}
}

/* A line naming its last writer: Enter opens that receipt (key2 "commit:" and what it is for). */
static tui_line *writer_row(tui_view *v, tui_tenant *tn, const mech_writer *w, const char *what)
{
	char sha[GIT_OID_HEXSZ + 1];
	tui_line *l;
	if (git_oid_is_zero(&w->commit))
		return tui_view_add(v, TUI_LINE_TEXT, NULL);
	git_oid_tostr(sha, sizeof(sha), &w->commit);
	l = tui_view_add(v, TUI_LINE_TEXT, sha);
	l->key2 = mech_sprintf("commit:%s", what);
	l->tenant = tn;
	return l;
}

static int load(struct tui *t, tui_view *v)
{
	app_priv *p = v->priv;
	tui_tenant *tn = p->tenant;
	const mech_app_state *a = NULL;
	size_t i;
	char wt[128];

	tui_data_need(tn, TUI_HAVE_APPS);
	for (i = 0; i < tn->napps; i++)
		if (!strcmp(tn->apps[i].name, p->app))
			a = &tn->apps[i];
	tui_view_text(v, TUI_AREA_TITLE, "Desired (Git)");
	if (!a) {
		tui_view_text(v, TUI_AREA_ERROR, "  app %s is not in the repository (deleted?)",
			      p->app);
	} else {
		tui_view_text(v, TUI_AREA_DEFAULT, "  app %s  image %s  port %d  replicas %d",
			      a->name, a->base_image ? a->base_image : "-", a->port, a->replicas);
		git_tree *tree = NULL;
		if (mech_repo_head_tree(tn->repo, &tree) < 0)
			mech_error_clear();
		for (i = 0; i < a->ninstances; i++) {
			const mech_instance_state *in = &a->instances[i];
			mech_app_desired d;
			char reps[32] = "-";
			tui_line *l;
			if (p->instance && strcmp(in->name, p->instance))
				continue;
			/* what runs: the overlay's replicas entry, replicas.yaml or the base's */
			if (tree && mech_app_desired_at(mech_repo_git(tn->repo), tree, a->name,
							in->name, &d) == 0) {
				snprintf(reps, sizeof(reps), "%d", d.replicas);
				mech_app_desired_dispose(&d);
			}
			mech_error_clear();
			tui_writer_text(tn, &in->writer, wt, sizeof(wt));
			l = writer_row(v, tn, &in->writer, in->name);
			tui_line_cell(l, TUI_AREA_DEFAULT,
				      "  instance %s  image %s  replicas %s  route %s  ", in->name,
				      in->image ? in->image : "-", reps,
				      in->route_host ? in->route_host : "-");
			tui_line_cell(l, tui_class_area(in->writer.cls), "%s", wt);
		}
		git_tree_free(tree);
		for (i = 0; i < a->files.len; i++) {
			tui_line *l = writer_row(v, tn, &a->writers[i], a->files.items[i]);
			tui_writer_text(tn, &a->writers[i], wt, sizeof(wt));
			tui_line_cell(l, TUI_AREA_DIM, "  %-52s ", a->files.items[i]);
			tui_line_cell(l, tui_class_area(a->writers[i].cls), "%s", wt);
		}
	}
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	live_section(t, v, p);
	return 0;
}

/* The selection moved to a line: show it at the top, as a text view would. */
static void goto_top(tui_view *v, size_t i)
{
	tui_view_goto_line(v, i);
	v->top = v->cursor;
}

static void jump_diff(tui_view *v)
{
	size_t i;
	for (i = 0; i < v->nlines; i++)
		if (v->lines[i].key && !strcmp(v->lines[i].key, "diff"))
			goto_top(v, i);
}

/* The pod a resource row names ("Pod/ns/name"), or NULL. */
static char *row_pod(const tui_line *l)
{
	const char *name;
	if (!l || !l->key || !l->key2 || strcmp(l->key2, "resource") || strncmp(l->key, "Pod/", 4))
		return NULL;
	name = strrchr(l->key, '/');
	return name && name[1] ? mech_strdup(name + 1) : NULL;
}

static int enter(struct tui *t, tui_view *v, const tui_line *line, int diff)
{
	app_priv *p = v->priv;
	if (!line || !line->key || !line->key2) {
		if (!diff)
			tui_message(t, 0, "Enter opens a resource or a last writer's receipt");
		else
			jump_diff(v);
		return 0;
	}
	if (!strncmp(line->key2, "commit:", 7)) {
		const char *shas[1];
		shas[0] = line->key;
		tui_push(t, tui_commit_view(t, p->tenant, shas, 1, diff));
	} else if (!strcmp(line->key2, "resource")) {
		if (!p->instance) {
			tui_message(t, 1, "no instance: nothing live to open");
			return 0;
		}
		tui_push(t, tui_resource_view(t, p->tenant, p->app, p->instance, line->key));
	}
	return 0;
}

static tui_action request(struct tui *t, tui_view *v, tui_action a)
{
	if (a == TUI_ACT_REFRESH) {
		fetch(t, v->priv);
		return a; /* the generic refresh reloads Git and the live list too */
	}
	if (a == TUI_ACT_NEXT_HUNK || a == TUI_ACT_PREV_HUNK) {
		size_t cur = v->nvis ? v->vis[v->cursor] : 0, i;
		if (a == TUI_ACT_NEXT_HUNK) {
			for (i = cur + 1; i < v->nlines; i++)
				if (v->lines[i].kind == TUI_LINE_HUNK)
					return goto_top(v, i), TUI_ACT_NONE;
		} else {
			for (i = cur; i-- > 0;)
				if (v->lines[i].kind == TUI_LINE_HUNK)
					return goto_top(v, i), TUI_ACT_NONE;
		}
		return TUI_ACT_NONE;
	}
	if (a == TUI_ACT_LOGS || a == TUI_ACT_EVENTS || a == TUI_ACT_APP_HISTORY) {
		app_priv *p = v->priv;
		char *pod = row_pod(tui_view_selected(v));
		a = tui_instance_action(t, p->tenant, p->app, p->instance, pod, a);
		free(pod);
	}
	return a;
}

static void summary(struct tui *t, tui_view *v, mech_buf *out)
{
	app_priv *p = v->priv;
	size_t i, n, differ = 0;
	(void)t;
	for (i = 0; p->diffs && i < p->diffs->len; i++)
		differ += p->diffs->items[i].modified != 0;
	n = p->tree ? p->tree->len : 0;
	mech_buf_printf(out, "%zu %s │ %zu %s from Git │ d diff, ] [ hunks, r refresh", n,
			n == 1 ? "resource" : "resources", differ,
			differ == 1 ? "differs" : "differ");
}

static void done(tui_view *v)
{
	app_priv *p = v->priv;
	if (!p)
		return;
	free(p->app);
	free(p->instance);
	mech_argocd_tree_free(p->tree);
	mech_argocd_diffs_free(p->diffs);
	free(p->fetch_error);
	free(p);
}

const struct tui_view_ops tui_app_ops = {
	"app", "diff", load, enter, request, summary, done, 1,
};

tui_view *tui_app_view(struct tui *t, tui_tenant *tn, const char *app, const char *instance,
		       int at_diff)
{
	tui_view *v = tui_view_new(&tui_app_ops, NULL, 0, 1);
	app_priv *p = mech_calloc(1, sizeof(*p));
	p->tenant = tn;
	p->app = mech_strdup(app);
	p->instance = instance ? mech_strdup(instance) : NULL;
	v->priv = p;
	v->tenant = tn;
	v->title = t->data.all_tenants
			   ? mech_sprintf("app %s/%s/%s", tn->name, app, instance ? instance : "-")
			   : mech_sprintf("app %s/%s", app, instance ? instance : "-");
	if (!t->script || t->data.ui_client)
		fetch(t, p);
	tui_view_reload(t, v);
	if (at_diff) {
		jump_diff(v);
	} else {
		size_t i; /* the list starts on the first resource */
		for (i = 0; i < v->nlines; i++)
			if (v->lines[i].key2 && !strcmp(v->lines[i].key2, "resource"))
				break;
		if (i < v->nlines)
			tui_view_goto_line(v, i);
	}
	return v;
}

/* ---- one resource: live vs desired, and its events ---- */

typedef struct {
	tui_tenant *tenant; /* borrowed from the data */
	char *app, *instance, *kind, *ns, *name;
} resource_priv;

static int resource_load(struct tui *t, tui_view *v)
{
	resource_priv *p = v->priv;
	mech_argocd_diffs *diffs = NULL;
	const mech_argocd_diff *df = NULL;
	char *name;
	size_t i;
	tui_line *l;

	l = tui_view_add(v, TUI_LINE_TITLE, NULL);
	tui_line_cell(l, TUI_AREA_LABEL, "namespace %s  app %s  instance %s", *p->ns ? p->ns : "-",
		      p->app, p->instance);
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	tui_view_text(v, TUI_AREA_TITLE, "Live vs desired");
	name = mech_layout_instance_app(p->tenant->name, p->app, p->instance);
	if (!t->data.ui_client) {
		tui_view_text(v, TUI_AREA_DIM, "  argocd not configured");
	} else if (mech_argocd_app_managed(t->data.ui_client, p->tenant->name, name, &diffs) < 0) {
		const mech_error *e = mech_error_last();
		tui_view_text(v, TUI_AREA_ERROR, "  %s (r retries)",
			      e && e->message ? e->message : "Argo CD unavailable");
	} else {
		for (i = 0; i < diffs->len && !df; i++)
			if (!strcmp(diffs->items[i].kind, p->kind) &&
			    !strcmp(diffs->items[i].name, p->name))
				df = &diffs->items[i];
		if (!df) {
			tui_view_text(v, TUI_AREA_DIM,
				      "  not declared in Git (Argo CD made it from one that is): "
				      "no diff");
		} else {
			const cJSON *from = df->normalized_live ? df->normalized_live : df->live;
			const cJSON *to = df->predicted_live ? df->predicted_live : df->target;
			tui_view_text(v, df->modified ? TUI_AREA_OUT_OF_SYNC : TUI_AREA_SYNCED,
				      "  %s",
				      !from          ? "not in the cluster yet"
				      : !to          ? "no longer in Git"
				      : df->modified ? "differs from Git"
						     : "matches Git");
			if (df->modified || !from || !to)
				json_diff(v, from, to);
		}
	}
	mech_error_clear();
	mech_argocd_diffs_free(diffs);
	free(name);
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	tui_view_text(v, TUI_AREA_TITLE, "Events");
	tui_events_lines(t, v, p->tenant, p->app, p->instance, p->kind, p->name);
	return 0;
}

static tui_action resource_request(struct tui *t, tui_view *v, tui_action a)
{
	resource_priv *p = v->priv;
	size_t cur = v->nvis ? v->vis[v->cursor] : 0, i;
	switch (a) {
	case TUI_ACT_REFRESH:
		tui_view_reload(t, v);
		tui_message(t, 0, "read again");
		return TUI_ACT_NONE;
	case TUI_ACT_NEXT_HUNK:
		for (i = cur + 1; i < v->nlines; i++)
			if (v->lines[i].kind == TUI_LINE_HUNK)
				return tui_view_goto_line(v, i), TUI_ACT_NONE;
		tui_message(t, 0, "no next hunk");
		return TUI_ACT_NONE;
	case TUI_ACT_PREV_HUNK:
		for (i = cur; i-- > 0;)
			if (v->lines[i].kind == TUI_LINE_HUNK)
				return tui_view_goto_line(v, i), TUI_ACT_NONE;
		tui_message(t, 0, "no previous hunk");
		return TUI_ACT_NONE;
	case TUI_ACT_LOGS:
	case TUI_ACT_EVENTS:
	case TUI_ACT_APP_HISTORY:
		return tui_instance_action(t, p->tenant, p->app, p->instance,
					   !strcmp(p->kind, "Pod") ? p->name : NULL, a);
	default:
		return a;
	}
}

static void resource_summary(struct tui *t, tui_view *v, mech_buf *out)
{
	resource_priv *p = v->priv;
	(void)t;
	(void)v;
	mech_buf_printf(out, "] [ hunks │ l logs%s │ e instance events │ r read again │ Esc back",
			!strcmp(p->kind, "Pod") ? " of this pod" : "");
}

static void resource_done(tui_view *v)
{
	resource_priv *p = v->priv;
	if (!p)
		return;
	free(p->app);
	free(p->instance);
	free(p->kind);
	free(p->ns);
	free(p->name);
	free(p);
}

const struct tui_view_ops tui_resource_ops = {
	"resource",       "diff",           resource_load, NULL,
	resource_request, resource_summary, resource_done, 0,
};

tui_view *tui_resource_view(struct tui *t, tui_tenant *tn, const char *app, const char *instance,
			    const char *resource)
{
	tui_view *v = tui_view_new(&tui_resource_ops, NULL, 0, 0);
	resource_priv *p = mech_calloc(1, sizeof(*p));
	const char *a = strchr(resource, '/'), *b = a ? strchr(a + 1, '/') : NULL;
	p->tenant = tn;
	p->app = mech_strdup(app);
	p->instance = mech_strdup(instance);
	p->kind = mech_strndup(resource, a ? (size_t)(a - resource) : strlen(resource));
	p->ns = a && b ? mech_strndup(a + 1, (size_t)(b - a - 1)) : mech_strdup("");
	p->name = mech_strdup(b ? b + 1 : "");
	v->priv = p;
	v->tenant = tn;
	v->title = mech_sprintf("%s/%s", p->kind, p->name);
	tui_view_reload(t, v);
	return v;
}
