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

static void tree_node(tui_view *v, const mech_argocd_tree *tr, const mech_argocd_app *live,
		      size_t idx, const char *prefix, int last, int depth)
{
	const mech_argocd_node *n = &tr->nodes[idx];
	const mech_argocd_resource *r = managed(live, n);
	tui_line *l = tui_view_add(v, TUI_LINE_TEXT, NULL);
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
		l = tui_view_add(v, TUI_LINE_TEXT, NULL);
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
			l = tui_view_add(v, TUI_LINE_TEXT, NULL);
			tui_line_cell(l, TUI_AREA_DEFAULT,
				      "  instance %s  image %s  replicas %s  route %s  ", in->name,
				      in->image ? in->image : "-", reps,
				      in->route_host ? in->route_host : "-");
			tui_line_cell(l, tui_class_area(in->writer.cls), "%s", wt);
		}
		git_tree_free(tree);
		for (i = 0; i < a->files.len; i++) {
			tui_line *l = tui_view_add(v, TUI_LINE_TEXT, NULL);
			tui_writer_text(tn, &a->writers[i], wt, sizeof(wt));
			tui_line_cell(l, TUI_AREA_DIM, "  %-52s ", a->files.items[i]);
			tui_line_cell(l, tui_class_area(a->writers[i].cls), "%s", wt);
		}
	}
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	live_section(t, v, p);
	return 0;
}

static void jump_diff(tui_view *v)
{
	size_t i;
	for (i = 0; i < v->nlines; i++)
		if (v->lines[i].key && !strcmp(v->lines[i].key, "diff"))
			tui_view_goto_line(v, i);
}

static tui_action request(struct tui *t, tui_view *v, tui_action a)
{
	if (a == TUI_ACT_REFRESH) {
		fetch(t, v->priv);
		return a; /* the generic refresh reloads Git and the live list too */
	}
	if (a == TUI_ACT_DIFF) {
		jump_diff(v);
		return TUI_ACT_NONE;
	}
	if (a == TUI_ACT_NEXT_HUNK || a == TUI_ACT_PREV_HUNK) {
		size_t cur = v->nvis ? v->vis[v->cursor] : 0, i;
		if (a == TUI_ACT_NEXT_HUNK) {
			for (i = cur + 1; i < v->nlines; i++)
				if (v->lines[i].kind == TUI_LINE_HUNK)
					return tui_view_goto_line(v, i), TUI_ACT_NONE;
		} else {
			for (i = cur; i-- > 0;)
				if (v->lines[i].kind == TUI_LINE_HUNK)
					return tui_view_goto_line(v, i), TUI_ACT_NONE;
		}
		return TUI_ACT_NONE;
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
	"app", "diff", load, NULL, request, summary, done, 1,
};

tui_view *tui_app_view(struct tui *t, tui_tenant *tn, const char *app, const char *instance,
		       int at_diff)
{
	tui_view *v = tui_view_new(&tui_app_ops, NULL, 0, 0);
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
	if (at_diff)
		jump_diff(v);
	return v;
}
