/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Route detail: the HTTPRoute as Git has it and its last writer, its
 * hostnames and paths, each parent Gateway (spec.parentRefs) with the
 * Accepted and ResolvedRefs conditions the gateway controller reported for
 * it (the HTTPRoute's live state in the <tenant>--network Application), and
 * the backend app's sync and health. Enter opens what the selected line
 * names: the backend app, or the receipt.
 */
#include "tui.h"

#include "mech/error.h"
#include "mech/kube.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	tui_tenant *tenant; /* borrowed from the data */
	char *app, *instance;
	char *name;             /* the HTTPRoute's: <app>--<instance> */
	cJSON *live, *target;   /* Argo CD's live and desired states of the HTTPRoute */
	mech_kube_route *route; /* status.parents, read from `live` */
	char *fetch_error;
	char writer[GIT_OID_HEXSZ + 1];
} route_priv;

static void fetch(struct tui *t, route_priv *p)
{
	cJSON_Delete(p->live);
	cJSON_Delete(p->target);
	mech_kube_route_free(p->route);
	p->route = NULL;
	free(p->fetch_error);
	tui_detail_live(t, p->tenant, MECH_LAYOUT_NETWORK, "HTTPRoute", p->name, &p->live,
			&p->target, &p->fetch_error);
	if (p->live && mech_kube_route_parse(p->live, &p->route) < 0)
		p->route = NULL;
	mech_error_clear();
}

static const mech_route_state *find_route(route_priv *p)
{
	tui_tenant *tn = p->tenant;
	size_t i;
	tui_data_need(tn, TUI_HAVE_ROUTES);
	for (i = 0; i < tn->nroutes; i++)
		if (!strcmp(tn->routes[i].app, p->app) &&
		    !strcmp(tn->routes[i].instance, p->instance))
			return &tn->routes[i];
	return NULL;
}

static const char *str(const cJSON *o, const char *path, const char *def)
{
	const cJSON *j = mech_json_path(o, path);
	return cJSON_IsString(j) && *j->valuestring ? j->valuestring : def;
}

/* The controller's answer for a parentRef: the status entry naming the same Gateway. */
static const mech_kube_route_parent *parent_status(const mech_kube_route *r, const cJSON *ref,
						   const char *route_ns)
{
	size_t i;
	for (i = 0; r && i < r->nparents; i++) {
		const mech_kube_route_parent *pa = &r->parents[i];
		const char *ns = *pa->parent_namespace ? pa->parent_namespace : route_ns;
		if (!strcmp(pa->parent_name, str(ref, "name", "")) &&
		    !strcmp(ns, str(ref, "namespace", route_ns)) &&
		    !strcmp(pa->section_name, str(ref, "sectionName", "")))
			return pa;
	}
	return NULL;
}

static void parents(struct tui *t, tui_view *v, route_priv *p)
{
	const cJSON *spec = p->live ? p->live : p->target;
	const cJSON *refs = mech_json_path(spec, "spec.parentRefs"), *ref;
	const char *route_ns = str(spec, "metadata.namespace", "");
	size_t n = 0;

	tui_view_text(v, TUI_AREA_TITLE, "Parents (Gateway parentRefs)");
	if (!t->data.configured) {
		tui_view_text(v, TUI_AREA_DIM, "  unknown: the gateway's answer comes from Argo CD");
		return;
	}
	if (p->fetch_error) {
		tui_view_text(v, TUI_AREA_ERROR, "  cannot ask Argo CD (r retries): %s",
			      p->fetch_error);
		return;
	}
	if (!spec) {
		tui_view_text(v, TUI_AREA_DIM, "  the HTTPRoute is not in Argo CD yet");
		return;
	}
	cJSON_ArrayForEach(ref, refs)
	{
		const mech_kube_route_parent *pa = p->live ? parent_status(p->route, ref, route_ns)
							   : NULL;
		const char *section = str(ref, "sectionName", NULL);
		tui_line *l = tui_view_add(v, TUI_LINE_TEXT, NULL);
		n++;
		tui_line_cell(l, TUI_AREA_DEFAULT, "  %s %s/%s", str(ref, "kind", "Gateway"),
			      str(ref, "namespace", route_ns), str(ref, "name", "?"));
		if (section)
			tui_line_cell(l, TUI_AREA_DEFAULT, " (section %s)", section);
		if (pa && *pa->controller)
			tui_line_cell(l, TUI_AREA_DIM, "  %s", pa->controller);
		if (!pa) {
			tui_view_text(v, TUI_AREA_UNKNOWN,
				      p->live ? "    no status yet (the gateway controller has "
						"not answered)"
					      : "    not in the cluster yet");
			continue;
		}
		if (!pa->nconditions)
			tui_view_text(v, TUI_AREA_UNKNOWN, "    no conditions yet");
		tui_detail_conditions(v, pa->conditions, pa->nconditions, "    ");
	}
	if (!n)
		tui_view_text(v, TUI_AREA_DIM, "  none");
}

static void hosts_paths(tui_view *v, route_priv *p, const mech_route_state *r)
{
	const cJSON *spec = p->live ? p->live : p->target, *it, *rule, *m;
	size_t n = 0;
	tui_view_text(v, TUI_AREA_TITLE, "Hostnames and paths");
	if (!spec) { /* Git's, as the routes view shows them */
		tui_view_text(v, TUI_AREA_DEFAULT, "  %s", r && r->host ? r->host : "-");
		tui_view_text(v, TUI_AREA_DEFAULT, "  path %s", r && r->path ? r->path : "/");
		return;
	}
	cJSON_ArrayForEach(it, mech_json_path(spec, "spec.hostnames")) if (cJSON_IsString(it))
		tui_view_text(v, TUI_AREA_DEFAULT, "  %s", it->valuestring);
	cJSON_ArrayForEach(rule, mech_json_path(spec, "spec.rules"))
	{
		const cJSON *backends = mech_json_path(rule, "backendRefs"), *b;
		mech_buf to = MECH_BUF_INIT;
		cJSON_ArrayForEach(b, backends)
		{
			const cJSON *port = mech_json_path(b, "port");
			mech_buf_printf(&to, "%s%s", to.len ? ", " : "", str(b, "name", "?"));
			if (cJSON_IsNumber(port))
				mech_buf_printf(&to, ":%d", port->valueint);
		}
		m = mech_json_path(rule, "matches");
		if (!cJSON_GetArraySize(m)) {
			tui_view_text(v, TUI_AREA_DEFAULT, "  PathPrefix /  → %s",
				      mech_buf_cstr(&to));
			n++;
		}
		cJSON_ArrayForEach(it, m)
		{
			tui_view_text(v, TUI_AREA_DEFAULT, "  %s %s  → %s",
				      str(it, "path.type", "PathPrefix"),
				      str(it, "path.value", "/"), mech_buf_cstr(&to));
			n++;
		}
		mech_buf_dispose(&to);
	}
	if (!n)
		tui_view_text(v, TUI_AREA_DIM, "  no rules");
}

static int load(struct tui *t, tui_view *v)
{
	route_priv *p = v->priv;
	const mech_route_state *r = find_route(p);

	tui_view_text(v, TUI_AREA_TITLE, "Route (Git)");
	if (!r) {
		tui_view_text(v, TUI_AREA_ERROR, "  route %s is not in the repository (deleted?)",
			      p->name);
		p->writer[0] = '\0';
	} else {
		tui_line *l = tui_view_add(v, TUI_LINE_TEXT, NULL);
		tui_line_cell(l, TUI_AREA_DEFAULT, "  HTTPRoute %s  host %s  path %s  ", p->name,
			      r->host ? r->host : "-", r->path ? r->path : "/");
		tui_line_cell(l, r->owned ? TUI_AREA_MACHINE : TUI_AREA_HUMAN, "%s",
			      r->owned ? "owned by mech" : "written by a user");
		tui_view_text(v, TUI_AREA_DIM, "  %s", r->file ? r->file : "-");
		tui_detail_writer(v, p->tenant, &r->writer, p->writer, sizeof(p->writer));
	}
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	tui_view_text(v, TUI_AREA_TITLE, "Live (Argo CD)");
	tui_detail_resource(t, v, p->tenant, MECH_LAYOUT_NETWORK, "HTTPRoute", p->name);
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	parents(t, v, p);
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	hosts_paths(v, p, r);
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	tui_view_text(v, TUI_AREA_TITLE, "Backend");
	tui_detail_instance(t, v, p->tenant, p->app, p->instance, "app instance");
	return 0;
}

static int enter(struct tui *t, tui_view *v, const tui_line *line, int diff)
{
	route_priv *p = v->priv;
	return tui_detail_enter(t, v, line, p->writer, diff);
}

static tui_action request(struct tui *t, tui_view *v, tui_action a)
{
	if (a == TUI_ACT_REFRESH)
		fetch(t, v->priv);
	return a; /* the generic refresh reloads Git and the live list too */
}

static void summary(struct tui *t, tui_view *v, mech_buf *out)
{
	route_priv *p = v->priv;
	const mech_kube_route *r = p->route;
	mech_buf_printf(out,
			"Accepted %s, ResolvedRefs %s │ Enter: the backend or receipt │ r refresh",
			!r                 ? (t->data.configured ? "?" : "n/a")
			: r->accepted == 1 ? "True"
			: r->accepted == 0 ? "False"
					   : "Unknown",
			!r                      ? (t->data.configured ? "?" : "n/a")
			: r->resolved_refs == 1 ? "True"
			: r->resolved_refs == 0 ? "False"
						: "Unknown");
}

static void done(tui_view *v)
{
	route_priv *p = v->priv;
	if (!p)
		return;
	cJSON_Delete(p->live);
	cJSON_Delete(p->target);
	mech_kube_route_free(p->route);
	free(p->fetch_error);
	free(p->app);
	free(p->instance);
	free(p->name);
	free(p);
}

const struct tui_view_ops tui_route_ops = {
	"route", "generic", load, enter, request, summary, done, 1,
};

tui_view *tui_route_view(struct tui *t, tui_tenant *tn, const char *app, const char *instance)
{
	tui_view *v = tui_view_new(&tui_route_ops, NULL, 0, 1);
	route_priv *p = mech_calloc(1, sizeof(*p));
	p->tenant = tn;
	p->app = mech_strdup(app);
	p->instance = mech_strdup(instance);
	p->name = mech_layout_workload(app, instance);
	v->priv = p;
	v->tenant = tn;
	v->title = t->data.all_tenants ? mech_sprintf("route %s/%s", tn->name, p->name)
				       : mech_sprintf("route %s", p->name);
	fetch(t, p);
	tui_view_reload(t, v);
	return v;
}
