/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Addon detail: the addon as Git has it and its last writer, its readiness
 * (the resource in the <tenant>--addons Application, and the CloudNativePG
 * Cluster's phase and conditions from that Application's live state), how
 * apps connect to it (never the password: mech_addon_connection reads only
 * the Secret's non-secret fields, as `addon info` does), the apps linked to
 * it and the Cluster's events. Enter opens what the selected line names.
 */
#include "tui.h"

#include "mech/error.h"
#include "mech/kube.h"
#include "mech/tenant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EVENTS_SHOWN 20

typedef struct {
	tui_tenant *tenant; /* borrowed from the data */
	char *name;
	char *ns;                      /* the tenant's namespace */
	mech_kube_pg_cluster *cluster; /* from Argo CD's live state of the Cluster */
	char *fetch_error;             /* Argo CD could not be asked */
	mech_addon_conn conn;
	int kube;             /* kubernetes.url is set: the Secret and the events were asked for */
	mech_kube_event *all; /* the namespace's events */
	size_t nall;
	mech_kube_event **events; /* the Cluster's, into all: Warnings first, then the newest */
	size_t nevents;
	char *kube_error;
	char writer[GIT_OID_HEXSZ + 1]; /* the last writer's commit ("" when none) */
	mech_addon_link_info *links;    /* the apps linked to it, as of links_at */
	size_t nlinks;
	char *links_error;
	git_oid links_at;
	int have_links;
} addon_priv;

/* The catalog's kind reads "group/version Kind"; Argo CD lists resources by Kind. */
static const char *kind_of(const char *type)
{
	const mech_addon_type *at = type ? mech_addon_type_find(type) : NULL;
	const char *sp = at ? strrchr(at->kind, ' ') : NULL;
	return sp ? sp + 1 : at ? at->kind : "Cluster";
}

static void drop_fetched(addon_priv *p)
{
	mech_kube_pg_cluster_free(p->cluster);
	p->cluster = NULL;
	free(p->fetch_error);
	p->fetch_error = NULL;
	mech_addon_conn_dispose(&p->conn);
	free(p->events);
	p->events = NULL;
	p->nevents = 0;
	mech_kube_events_free(p->all, p->nall);
	p->all = NULL;
	p->nall = 0;
	free(p->kube_error);
	p->kube_error = NULL;
}

/* Argo CD's live state of the Cluster; the Secret's non-secret fields and the events from
 * Kubernetes when it is configured. On open and on r. */
static void fetch(struct tui *t, addon_priv *p, const char *type)
{
	const mech_config *cfg = t->data.cfg;
	cJSON *live = NULL, *target = NULL;
	mech_kube *k = NULL;

	drop_fetched(p);
	tui_detail_live(t, p->tenant, MECH_LAYOUT_ADDONS, kind_of(type), p->name, &live, &target,
			&p->fetch_error);
	if (live && !strcmp(kind_of(type), "Cluster") &&
	    mech_kube_pg_cluster_parse(live, &p->cluster) < 0)
		p->cluster = NULL;
	mech_error_clear();
	cJSON_Delete(live);
	cJSON_Delete(target);

	p->kube = *cfg->kube_url != '\0';
	if (p->kube && mech_kube_new(&k, cfg) < 0)
		k = NULL;
	mech_error_clear();
	mech_addon_connection(k, p->ns, p->name, &p->conn);
	if (k && mech_kube_instance_events(k, p->ns, NULL, kind_of(type), p->name, &p->all,
					   &p->nall, &p->events, &p->nevents) < 0) {
		const mech_error *e = mech_error_last();
		p->kube_error = mech_strdup(e && e->message ? e->message : "unavailable");
	}
	mech_error_clear();
	mech_kube_free(k);
}

static const mech_addon_state *find_addon(tui_tenant *tn, const char *name)
{
	size_t i;
	tui_data_need(tn, TUI_HAVE_ADDONS);
	for (i = 0; i < tn->naddons; i++)
		if (!strcmp(tn->addons[i].name, name))
			return &tn->addons[i];
	return NULL;
}

static void readiness(struct tui *t, tui_view *v, addon_priv *p, const char *kind)
{
	const mech_kube_pg_cluster *c = p->cluster;
	tui_view_text(v, TUI_AREA_TITLE, "Readiness (Argo CD)");
	tui_detail_resource(t, v, p->tenant, MECH_LAYOUT_ADDONS, kind, p->name);
	if (!t->data.configured)
		return;
	if (p->fetch_error) {
		tui_view_text(v, TUI_AREA_ERROR, "  cannot ask Argo CD (r retries): %s",
			      p->fetch_error);
		return;
	}
	if (!c) {
		tui_view_text(v, TUI_AREA_DIM, "  no live state of the %s yet", kind);
		return;
	}
	{
		tui_line *l = tui_view_add(v, TUI_LINE_TEXT, NULL);
		tui_line_cell(l, c->ready ? TUI_AREA_HEALTHY : TUI_AREA_PROGRESSING, "  %s",
			      c->ready ? "ready" : "not ready");
		tui_line_cell(l, TUI_AREA_DEFAULT, "  %d/%d instances ready  phase \"%s\"",
			      c->ready_instances, c->spec_instances, c->phase);
		if (c->ready_generation && c->generation && c->ready_generation != c->generation)
			tui_view_text(v, TUI_AREA_PROGRESSING,
				      "  the operator has not seen the last change yet");
		if (*c->phase_reason)
			tui_view_text(v, TUI_AREA_DIM, "  %s", c->phase_reason);
	}
	if (!c->nconditions)
		tui_view_text(v, TUI_AREA_DIM, "  no conditions yet");
	tui_detail_conditions(v, c->conditions, c->nconditions, "  ");
}

static void connection(tui_view *v, addon_priv *p)
{
	const mech_addon_conn *cn = &p->conn;
	tui_line *l;
	tui_view_text(v, TUI_AREA_TITLE, "Connection");
	tui_view_text(v, TUI_AREA_DEFAULT, "  host %s  port %d  database %s  user %s", cn->host,
		      cn->port, cn->database, cn->user);
	l = tui_view_add(v, TUI_LINE_TEXT, NULL);
	tui_line_cell(l, TUI_AREA_LABEL, "  credentials  ");
	tui_line_cell(l, TUI_AREA_DEFAULT, "Secret %s, key %s (the password is never shown)",
		      cn->secret, cn->secret_key);
	if (!p->kube)
		tui_view_text(v, TUI_AREA_DIM,
			      "  kubernetes not configured: CloudNativePG's defaults, not read");
	else if (cn->secret_unread)
		tui_view_text(v, TUI_AREA_DIM,
			      "  the Secret could not be read (r retries): CloudNativePG's defaults");
	else if (!cn->secret_exists)
		tui_view_text(v, TUI_AREA_DIM, "  the Secret %s is not there yet (defaults shown)",
			      cn->secret);
}

static void links(struct tui *t, tui_view *v, addon_priv *p)
{
	tui_tenant *tn = p->tenant;
	size_t i;
	tui_view_text(v, TUI_AREA_TITLE, "Linked apps");
	/* read once per branch tip: the view reloads on every live event */
	if (!p->have_links || !tn->have_head || !git_oid_equal(&p->links_at, &tn->head)) {
		mech_addon_links_free(p->links, p->nlinks);
		p->links = NULL;
		p->nlinks = 0;
		free(p->links_error);
		p->links_error = NULL;
		if (!tn->repo ||
		    mech_addon_links(tn->repo, p->name, NULL, &p->links, &p->nlinks) < 0) {
			const mech_error *e = mech_error_last();
			p->links_error = mech_strdup(e && e->message ? e->message
								     : "cannot read the links");
			mech_error_clear();
		}
		p->have_links = 1;
		git_oid_cpy(&p->links_at, &tn->head);
	}
	if (p->links_error) {
		tui_view_text(v, TUI_AREA_ERROR, "  %s", p->links_error);
		return;
	}
	if (!p->nlinks)
		tui_view_text(v, TUI_AREA_DIM,
			      "  none: `mech addon -n %s link -a APP` wires %s into an app",
			      p->name, p->conn.env);
	for (i = 0; i < p->nlinks; i++) {
		char *what = mech_sprintf("env %s", p->links[i].env);
		tui_detail_instance(t, v, tn, p->links[i].app, p->links[i].instance, what);
		free(what);
	}
}

static void events(tui_view *v, addon_priv *p, const char *kind)
{
	size_t i;
	time_t now = time(NULL);
	tui_view_text(v, TUI_AREA_TITLE, "Events (%s/%s)", kind, p->name);
	if (!p->kube) {
		tui_view_text(v, TUI_AREA_DIM, "  kubernetes not configured");
		return;
	}
	if (p->kube_error) {
		tui_view_text(v, TUI_AREA_ERROR, "  cannot ask Kubernetes (r retries): %s",
			      p->kube_error);
		return;
	}
	if (!p->nevents)
		tui_view_text(v, TUI_AREA_DIM, "  none");
	for (i = 0; i < p->nevents && i < EVENTS_SHOWN; i++) {
		const mech_kube_event *e = p->events[i];
		struct tm tm;
		char age[16] = "?";
		tui_line *l = tui_view_add(v, TUI_LINE_TEXT, NULL);
		memset(&tm, 0, sizeof(tm));
		if (*e->last && strptime(e->last, "%Y-%m-%dT%H:%M:%S", &tm))
			mech_age_text((long long)(now - timegm(&tm)), age, sizeof(age));
		tui_line_cell(l, TUI_AREA_DIM, "  %-5s ", age);
		tui_line_cell(l, !strcmp(e->type, "Warning") ? TUI_AREA_ERROR : TUI_AREA_DEFAULT,
			      "%-8s %s", e->type, e->reason);
		if (e->count > 1)
			tui_line_cell(l, TUI_AREA_DIM, " (x%d)", e->count);
		tui_line_cell(l, TUI_AREA_DEFAULT, "  %s", e->message);
	}
	if (p->nevents > EVENTS_SHOWN)
		tui_view_text(v, TUI_AREA_DIM, "  %zu older not shown", p->nevents - EVENTS_SHOWN);
}

static int load(struct tui *t, tui_view *v)
{
	addon_priv *p = v->priv;
	const mech_addon_state *a = find_addon(p->tenant, p->name);
	const char *kind = kind_of(a ? a->type : NULL);

	tui_view_text(v, TUI_AREA_TITLE, "Addon (Git)");
	if (!a) {
		tui_view_text(v, TUI_AREA_ERROR, "  addon %s is not in the repository (deleted?)",
			      p->name);
		p->writer[0] = '\0';
	} else {
		tui_view_text(v, TUI_AREA_DEFAULT,
			      "  %s  type %s  version %s  storage %s  memory %s  instances %d",
			      a->name, a->type ? a->type : "-", a->version ? a->version : "-",
			      a->storage ? a->storage : "-", a->memory ? a->memory : "-",
			      a->instances);
		tui_view_text(v, TUI_AREA_DIM, "  %s", a->file ? a->file : "-");
		tui_detail_writer(v, p->tenant, &a->writer, p->writer, sizeof(p->writer));
	}
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	readiness(t, v, p, kind);
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	connection(v, p);
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	links(t, v, p);
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	events(v, p, kind);
	return 0;
}

static int enter(struct tui *t, tui_view *v, const tui_line *line, int diff)
{
	addon_priv *p = v->priv;
	return tui_detail_enter(t, v, line, p->writer, diff);
}

static tui_action request(struct tui *t, tui_view *v, tui_action a)
{
	addon_priv *p = v->priv;
	if (a == TUI_ACT_REFRESH) {
		const mech_addon_state *ad = find_addon(p->tenant, p->name);
		fetch(t, p, ad ? ad->type : NULL);
	}
	return a; /* the generic refresh reloads Git and the live list too */
}

static void summary(struct tui *t, tui_view *v, mech_buf *out)
{
	addon_priv *p = v->priv;
	(void)t;
	mech_buf_printf(out, "%s │ Enter: the app or receipt (else the last writer's) │ r refresh",
			p->cluster           ? (p->cluster->ready ? "ready" : "not ready")
			: t->data.configured ? "readiness unknown"
					     : "argocd not configured");
}

static void done(tui_view *v)
{
	addon_priv *p = v->priv;
	if (!p)
		return;
	drop_fetched(p);
	mech_addon_links_free(p->links, p->nlinks);
	free(p->links_error);
	free(p->name);
	free(p->ns);
	free(p);
}

const struct tui_view_ops tui_addon_ops = {
	"addon", "generic", load, enter, request, summary, done, 1,
};

tui_view *tui_addon_view(struct tui *t, tui_tenant *tn, const char *name)
{
	tui_view *v = tui_view_new(&tui_addon_ops, NULL, 0, 1);
	addon_priv *p = mech_calloc(1, sizeof(*p));
	const mech_addon_state *a = find_addon(tn, name);
	mech_tenant *rec = NULL;

	p->tenant = tn;
	p->name = mech_strdup(name);
	if (mech_tenant_load(t->data.cfg, tn->name, &rec) == 0)
		p->ns = mech_strdup(rec->ns);
	else
		p->ns = mech_strdup(tn->name);
	mech_error_clear();
	mech_tenant_free(rec);
	v->priv = p;
	v->tenant = tn;
	v->title = t->data.all_tenants ? mech_sprintf("addon %s/%s", tn->name, name)
				       : mech_sprintf("addon %s", name);
	fetch(t, p, a ? a->type : NULL);
	tui_view_reload(t, v);
	return v;
}
