/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Argo CD REST reads over mech_http. The JSON comes from Go's
 * encoding/json, which drops every zero value, so each field is optional
 * here and reads as "" (or 0) when absent.
 */
#include "mech/argocd.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mech/buf.h"
#include "mech/error.h"

struct mech_argocd {
	mech_http *http;
};

/* ---- JSON helpers ---- */

/*
 * A string field's text, "" when absent; a number is spelled out
 * (resourceVersion) into *spelled, which the caller frees. Else borrowed.
 */
static const char *jtext(const cJSON *o, const char *dotted, char **spelled)
{
	const cJSON *v = mech_json_path(o, dotted);
	*spelled = NULL;
	if (cJSON_IsString(v) && v->valuestring)
		return v->valuestring;
	if (cJSON_IsNumber(v))
		return *spelled = mech_sprintf("%.0f", v->valuedouble);
	return "";
}

/* A string field (jtext), copied. */
static char *jstr(const cJSON *o, const char *dotted)
{
	char *spelled;
	const char *t = jtext(o, dotted, &spelled);
	return spelled ? spelled : mech_strdup(t);
}

static int jbool(const cJSON *o, const char *dotted)
{
	return cJSON_IsTrue(mech_json_path(o, dotted));
}

static char **jstrings(const cJSON *arr, size_t *n)
{
	char **out;
	const cJSON *it;
	size_t i = 0;
	int len = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;

	*n = 0;
	if (len <= 0)
		return NULL;
	out = mech_calloc((size_t)len, sizeof(*out));
	cJSON_ArrayForEach(it, arr)
	{
		if (cJSON_IsString(it) && it->valuestring)
			out[i++] = mech_strdup(it->valuestring);
	}
	*n = i;
	return out;
}

static void free_strings(char **v, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- client ---- */

#define ARGOCD_MAX_BODY (256u << 20)

int mech_argocd_open(mech_argocd **out, const char *url, const char *token_file,
		     const char *ca_file, long timeout_ms)
{
	mech_http_opts o = {0};
	mech_argocd *c;

	*out = NULL;
	o.name = "Argo CD";
	o.url = url;
	o.token_file = token_file;
	o.ca_file = ca_file;
	o.timeout_ms = timeout_ms;
	/* the list of a tenant's Applications is one body: 10,000 of them are
	 * 29 MB from mech sim (bench/bench_reads.sh), more from Argo CD */
	o.max_body = ARGOCD_MAX_BODY;
	c = mech_calloc(1, sizeof(*c));
	if (mech_http_new(&c->http, &o) < 0) {
		free(c);
		return -1;
	}
	*out = c;
	return 0;
}

int mech_argocd_new(mech_argocd **out, const mech_config *cfg)
{
	*out = NULL;
	if (!cfg->argocd_url || !*cfg->argocd_url) {
		mech_error_set(MECH_ECONFIG, "Argo CD is not configured");
		return mech_error_hint("set argocd.url in %s/mech.yaml (or run `mech sim`)",
				       cfg->home ? cfg->home : "MECH_HOME");
	}
	return mech_argocd_open(out, cfg->argocd_url, cfg->argocd_token_file, cfg->argocd_ca_file,
				cfg->argocd_timeout_ms);
}

void mech_argocd_free(mech_argocd *c)
{
	if (!c)
		return;
	mech_http_free(c->http);
	free(c);
}

mech_http *mech_argocd_http(mech_argocd *c)
{
	return c->http;
}

/* "/api/v1/applications/<name><suffix>?project=<p>&<query>" with name and project escaped. */
static char *app_path_query(const char *name, const char *suffix, const char *project,
			    const char *query)
{
	char *n = mech_http_escape(name);
	char *p = project && *project ? mech_http_escape(project) : NULL;
	char *path = mech_sprintf("/api/v1/applications/%s%s%s%s%s%s", n, suffix,
				  p ? "?project=" : "", p ? p : "", query ? (p ? "&" : "?") : "",
				  query ? query : "");
	free(n);
	free(p);
	return path;
}

static char *app_path(const char *name, const char *suffix, const char *project)
{
	return app_path_query(name, suffix, project, NULL);
}

static char *projects_query(const char *base, const char *project)
{
	char *p, *path;
	if (!project || !*project)
		return mech_strdup(base);
	p = mech_http_escape(project);
	path = mech_sprintf("%s?projects=%s", base, p);
	free(p);
	return path;
}

int mech_argocd_version(mech_argocd *c, char **out)
{
	cJSON *doc;
	*out = NULL;
	if (mech_http_get_json(c->http, "/api/version", &doc) < 0)
		return -1;
	*out = jstr(doc, "Version");
	cJSON_Delete(doc);
	return 0;
}

/* [v]MAJOR.MINOR[.PATCH]…: 0 and the three numbers (patch 0 when absent), else -1. */
static int parse_version(const char *v, long n[3])
{
	int i;
	if (!v)
		return -1;
	if (*v == 'v' || *v == 'V')
		v++;
	n[0] = n[1] = n[2] = 0;
	for (i = 0; i < 3; i++) {
		char *end;
		if (*v < '0' || *v > '9')
			return i < 2 ? -1 : 0;
		n[i] = strtol(v, &end, 10);
		v = end;
		if (i < 2) {
			if (*v != '.')
				return i == 0 ? -1 : 0;
			v++;
		}
	}
	return 0;
}

int mech_argocd_version_older(const char *version, const char *min)
{
	long a[3], b[3];
	int i;
	if (parse_version(version, a) < 0 || parse_version(min, b) < 0)
		return -1;
	for (i = 0; i < 3; i++)
		if (a[i] != b[i])
			return a[i] < b[i];
	return 0;
}

/* ---- Application ---- */

static void app_dispose(mech_argocd_app *a)
{
	free(a->text);
	free(a->conditions);
	free(a->resources);
	free(a->images);
	free(a->external_urls);
	memset(a, 0, sizeof(*a));
}

void mech_argocd_app_free(mech_argocd_app *app)
{
	if (!app)
		return;
	app_dispose(app);
	free(app);
}

void mech_argocd_apps_free(mech_argocd_apps *apps)
{
	size_t i;
	if (!apps)
		return;
	for (i = 0; i < apps->len; i++)
		app_dispose(&apps->items[i]);
	free(apps->items);
	free(apps->resource_version);
	free(apps);
}

static int cmp_app_name(const void *a, const void *b)
{
	return strcmp(((const mech_argocd_app *)a)->name, ((const mech_argocd_app *)b)->name);
}

/*
 * The names a list's reader gives the members it keeps (mech_json_keep.id),
 * each telling where its value goes: containers first, with the type each
 * must be, then the Application's text fields in app_text order, then a
 * condition's and a resource's.
 */
enum {
	K_PASS, /* not told, or passed through */
	K_METADATA,
	K_SPEC,
	K_SOURCE,
	K_DEST,
	K_STATUS,
	K_SYNC,
	K_HEALTH,
	K_OP_STATE,
	K_SYNC_RESULT,
	K_OP_OPERATION,
	K_OP_SYNC,
	K_SUMMARY,
	K_RES_HEALTH, /* the last that must be an object */
	K_CONDITIONS,
	K_RESOURCES,
	K_IMAGES,
	K_URLS, /* the last that must be an array */
	K_OPERATION,
	K_RETRY,
	K_PRUNE,
	K_APP, /* the Application's text fields from here, app_text's order */
	K_COND = K_APP + 21,
	K_RES = K_COND + 3,
	K_END = K_RES + 8
};

/* Where app_text's fields go; the last two make operation_revision. */
#define APP_TEXTS 21
static const size_t app_text[APP_TEXTS - 2] = {
	offsetof(mech_argocd_app, name),
	offsetof(mech_argocd_app, namespace),
	offsetof(mech_argocd_app, resource_version),
	offsetof(mech_argocd_app, created_at),
	offsetof(mech_argocd_app, project),
	offsetof(mech_argocd_app, repo_url),
	offsetof(mech_argocd_app, path),
	offsetof(mech_argocd_app, target_revision),
	offsetof(mech_argocd_app, dest_server),
	offsetof(mech_argocd_app, dest_namespace),
	offsetof(mech_argocd_app, sync_status),
	offsetof(mech_argocd_app, sync_revision),
	offsetof(mech_argocd_app, health_status),
	offsetof(mech_argocd_app, health_message),
	offsetof(mech_argocd_app, reconciled_at),
	offsetof(mech_argocd_app, operation_phase),
	offsetof(mech_argocd_app, operation_message),
	offsetof(mech_argocd_app, operation_started_at),
	offsetof(mech_argocd_app, operation_finished_at),
};
enum { T_NAME = 0, T_SYNC_STATUS = 10, T_HEALTH_STATUS = 12, T_RESULT_REV = 19, T_OP_SYNC_REV };
static const size_t cond_text[3] = {offsetof(mech_argocd_condition, type),
				    offsetof(mech_argocd_condition, message),
				    offsetof(mech_argocd_condition, last_transition)};
static const size_t res_text[8] = {
	offsetof(mech_argocd_resource, group),  offsetof(mech_argocd_resource, version),
	offsetof(mech_argocd_resource, kind),   offsetof(mech_argocd_resource, namespace),
	offsetof(mech_argocd_resource, name),   offsetof(mech_argocd_resource, status),
	offsetof(mech_argocd_resource, health), offsetof(mech_argocd_resource, health_message),
};

/*
 * What app_told reads of an Application, and all a list or a watch keeps: Argo CD's
 * `fields` cannot select conditions or operationState.message
 * (shared/reference/argocd-api.md §3.1), so the list comes whole (29 MB at
 * 10,000 apps) and its history, sync results, labels and the like are
 * dropped while it is parsed. A field app_told reads must be named here,
 * with the id that says where app_told puts it.
 */
static const mech_json_keep keep_none[] = {{NULL, NULL}};
static const mech_json_keep keep_list_meta[] = {{"resourceVersion", NULL}, {NULL, NULL}};
static const mech_json_keep keep_app_meta[] = {{"name", NULL, K_APP + 0},
					       {"namespace", NULL, K_APP + 1},
					       {"resourceVersion", NULL, K_APP + 2},
					       {"creationTimestamp", NULL, K_APP + 3},
					       {NULL, NULL}};
static const mech_json_keep keep_source[] = {{"repoURL", NULL, K_APP + 5},
					     {"path", NULL, K_APP + 6},
					     {"targetRevision", NULL, K_APP + 7},
					     {NULL, NULL}};
static const mech_json_keep keep_dest[] = {{"server", NULL, K_APP + 8},
					   {"namespace", NULL, K_APP + 9},
					   {NULL, NULL}};
static const mech_json_keep keep_spec[] = {{"project", NULL, K_APP + 4},
					   {"source", keep_source, K_SOURCE},
					   {"destination", keep_dest, K_DEST},
					   {NULL, NULL}};
static const mech_json_keep keep_sync[] = {{"status", NULL, K_APP + T_SYNC_STATUS},
					   {"revision", NULL, K_APP + 11},
					   {NULL, NULL}};
static const mech_json_keep keep_health[] = {{"status", NULL, K_APP + T_HEALTH_STATUS},
					     {"message", NULL, K_APP + 13},
					     {NULL, NULL}};
static const mech_json_keep keep_sync_result[] = {{"revision", NULL, K_APP + T_RESULT_REV},
						  {NULL, NULL}};
static const mech_json_keep keep_op_sync[] = {{"revision", NULL, K_APP + T_OP_SYNC_REV},
					      {NULL, NULL}};
static const mech_json_keep keep_operation[] = {{"sync", keep_op_sync, K_OP_SYNC}, {NULL, NULL}};
static const mech_json_keep keep_op_state[] = {{"phase", NULL, K_APP + 15},
					       {"message", NULL, K_APP + 16},
					       {"startedAt", NULL, K_APP + 17},
					       {"finishedAt", NULL, K_APP + 18},
					       {"retryCount", NULL, K_RETRY},
					       {"syncResult", keep_sync_result, K_SYNC_RESULT},
					       {"operation", keep_operation, K_OP_OPERATION},
					       {NULL, NULL}};
static const mech_json_keep keep_condition[] = {{"type", NULL, K_COND + 0},
						{"message", NULL, K_COND + 1},
						{"lastTransitionTime", NULL, K_COND + 2},
						{NULL, NULL}};
static const mech_json_keep keep_res_health[] = {{"status", NULL, K_RES + 6},
						 {"message", NULL, K_RES + 7},
						 {NULL, NULL}};
static const mech_json_keep keep_resource[] = {{"group", NULL, K_RES + 0},
					       {"version", NULL, K_RES + 1},
					       {"kind", NULL, K_RES + 2},
					       {"namespace", NULL, K_RES + 3},
					       {"name", NULL, K_RES + 4},
					       {"status", NULL, K_RES + 5},
					       {"health", keep_res_health, K_RES_HEALTH},
					       {"requiresPruning", NULL, K_PRUNE},
					       {NULL, NULL}};
static const mech_json_keep keep_summary[] = {{"images", NULL, K_IMAGES},
					      {"externalURLs", NULL, K_URLS},
					      {NULL, NULL}};
static const mech_json_keep keep_status[] = {{"sync", keep_sync, K_SYNC},
					     {"health", keep_health, K_HEALTH},
					     {"reconciledAt", NULL, K_APP + 14},
					     {"operationState", keep_op_state, K_OP_STATE},
					     {"conditions", keep_condition, K_CONDITIONS},
					     {"resources", keep_resource, K_RESOURCES},
					     {"summary", keep_summary, K_SUMMARY},
					     {NULL, NULL}};
static const mech_json_keep keep_app[] = {{"metadata", keep_app_meta, K_METADATA},
					  {"spec", keep_spec, K_SPEC},
					  {"status", keep_status, K_STATUS},
					  {"operation", keep_none,
					   K_OPERATION}, /* only whether there is one */
					  {NULL, NULL}};
static const mech_json_keep keep_list[] = {{"metadata", keep_list_meta},
					   {"items", keep_app},
					   {NULL, NULL}};

/*
 * An Application filled as it is told (mech_json_events): a list's item
 * straight from the parse, without building it; one already built
 * (mech_argocd_app_parse) through app_walk. Argo CD's encoding/json drops
 * zero values, so every field is optional: a text field reads "" when
 * absent or not a string (a number is spelled), as mech_json_path and
 * jtext would find it (test_argocd checks the parse's against the built
 * one's on random lists). Each text is noted by its offset in one block
 * the Application owns (a list of 10,000 has 400,000 strings), 0 being "".
 */
#define TOLD_DEPTH 8 /* the kept members nest no deeper */

typedef struct {
	int id;
	int ok; /* where mech_json_path would look, and of the type wanted */
} told_frame;

typedef struct {
	size_t at[8];
	int prune;
} told_res;

typedef struct {
	mech_buf text;
	size_t at[APP_TEXTS]; /* offsets in text; 0: "" */
	long long retry;
	int operation, name_is_string;
	size_t (*cond)[3];
	told_res *res;
	size_t *img, *url;
	size_t ncond, nres, nimg, nurl, ccond, cres, cimg, curl;
	told_frame frames[TOLD_DEPTH];
	size_t depth; /* past TOLD_DEPTH: nothing there is read */
	/* the list being filled */
	mech_argocd_apps *apps;
	size_t cap;
} app_told;

static size_t told_text(app_told *t, int type, const char *s, double n)
{
	char spelled[400];
	size_t at = t->text.len;
	if (type == cJSON_Number) { /* jtext spells a number */
		snprintf(spelled, sizeof(spelled), "%.0f", n);
		s = spelled;
	} else if (type != cJSON_String || !*s) {
		return 0;
	}
	if (mech_buf_put(&t->text, s, strlen(s) + 1) < 0)
		mech_fatal("out of memory (an Application's strings)");
	return at;
}

/* Room in the array v (cap long) for its n+1-th */
#define TOLD_GROW(v, n, cap)                                                                       \
	do {                                                                                       \
		if ((n) == (cap)) {                                                                \
			(cap) = (cap) ? 2 * (cap) : 8;                                             \
			(v) = mech_reallocarray((v), (cap), sizeof(*(v)));                         \
		}                                                                                  \
	} while (0)

static void app_told_open(void *ctx, const mech_json_keep *m, int object)
{
	app_told *t = ctx;
	told_frame f = {m ? m->id : K_PASS, 0};
	const told_frame *up = t->depth && t->depth <= TOLD_DEPTH ? &t->frames[t->depth - 1] : NULL;
	if (!t->depth) {
		f.ok = object; /* the item */
	} else if (up && up->ok && m) {
		f.ok = object ? f.id >= K_METADATA && f.id <= K_RES_HEALTH
			      : f.id >= K_CONDITIONS && f.id <= K_URLS;
		if (f.id == K_OPERATION && t->depth == 1)
			t->operation = object;
	} else if (up && up->ok && object && up->id == K_CONDITIONS) { /* an element */
		TOLD_GROW(t->cond, t->ncond, t->ccond);
		memset(t->cond[t->ncond++], 0, sizeof(*t->cond));
		f.ok = 1;
	} else if (up && up->ok && object && up->id == K_RESOURCES) {
		TOLD_GROW(t->res, t->nres, t->cres);
		memset(&t->res[t->nres++], 0, sizeof(*t->res));
		f.ok = 1;
	}
	if (t->depth < TOLD_DEPTH)
		t->frames[t->depth] = f;
	t->depth++;
}

static void app_told_close(void *ctx)
{
	((app_told *)ctx)->depth--;
}

static void app_told_leaf(void *ctx, const mech_json_keep *m, int type, const char *s, double n)
{
	app_told *t = ctx;
	const told_frame *up = t->depth && t->depth <= TOLD_DEPTH ? &t->frames[t->depth - 1] : NULL;
	int id;
	if (!up || !up->ok)
		return;
	if (!m) { /* an array's element: a summary's strings, others skipped */
		if (type == cJSON_String && up->id == K_IMAGES) {
			TOLD_GROW(t->img, t->nimg, t->cimg);
			t->img[t->nimg++] = told_text(t, type, s, 0);
		} else if (type == cJSON_String && up->id == K_URLS) {
			TOLD_GROW(t->url, t->nurl, t->curl);
			t->url[t->nurl++] = told_text(t, type, s, 0);
		}
		return;
	}
	id = m->id;
	if (id >= K_APP && id < K_COND) {
		t->at[id - K_APP] = told_text(t, type, s, n);
		if (id == K_APP + T_NAME)
			t->name_is_string = type == cJSON_String;
	} else if (id >= K_COND && id < K_RES) {
		t->cond[t->ncond - 1][id - K_COND] = told_text(t, type, s, n);
	} else if (id >= K_RES && id < K_END) {
		t->res[t->nres - 1].at[id - K_RES] = told_text(t, type, s, n);
	} else if (id == K_PRUNE) {
		t->res[t->nres - 1].prune = type == cJSON_True;
	} else if (id == K_RETRY) {
		t->retry = type == cJSON_Number && n > 0 ? (long long)n : 0;
	}
}

/* The texts noted at offsets, pointed into the block now it is final. */
static void told_point(char *text, void *to, const size_t *field, const size_t *at, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		*(char **)((char *)to + field[i]) = text + at[i];
}

static char **told_strings(char *text, const size_t *at, size_t n)
{
	char **v = n ? mech_calloc(n, sizeof(*v)) : NULL;
	size_t i;
	for (i = 0; i < n; i++)
		v[i] = text + at[i];
	return v;
}

static void app_told_reset(app_told *t)
{
	mech_buf_clear(&t->text);
	if (mech_buf_grow(&t->text, 1024) < 0 || mech_buf_put(&t->text, "", 1) < 0)
		mech_fatal("out of memory (an Application's strings)"); /* offset 0 is "" */
	memset(t->at, 0, sizeof(t->at));
	t->retry = 0;
	t->operation = t->name_is_string = 0;
	t->ncond = t->nres = t->nimg = t->nurl = 0;
	t->depth = 0;
}

/* The item told: its Application, at the list's end. */
static int app_told_end(void *ctx)
{
	app_told *t = ctx;
	mech_argocd_apps *apps = t->apps;
	mech_argocd_app *a;
	char *text;
	size_t i;
	if (!t->name_is_string || !t->at[T_NAME]) {
		app_told_reset(t);
		return mech_error_set(MECH_EUNAVAILABLE,
				      "Argo CD: an Application without metadata.name");
	}
	/* encoding/json leaves "" before the first comparison */
	if (!t->at[T_SYNC_STATUS])
		t->at[T_SYNC_STATUS] = told_text(t, cJSON_String, "Unknown", 0);
	if (!t->at[T_HEALTH_STATUS])
		t->at[T_HEALTH_STATUS] = told_text(t, cJSON_String, "Unknown", 0);
	TOLD_GROW(apps->items, apps->len, t->cap);
	a = &apps->items[apps->len++];
	memset(a, 0, sizeof(*a));
	/* the block is the item's own, at its final size; the next starts anew */
	text = a->text = mech_realloc(t->text.ptr, t->text.len);
	t->text = (mech_buf)MECH_BUF_INIT;
	told_point(text, a, app_text, t->at, APP_TEXTS - 2);
	a->operation_revision = text +
				(t->at[T_RESULT_REV] ? t->at[T_RESULT_REV] : t->at[T_OP_SYNC_REV]);
	a->operation_requested = t->operation;
	a->retry_count = t->retry;
	if (t->ncond)
		a->conditions = mech_calloc(t->ncond, sizeof(*a->conditions));
	for (i = 0; i < t->ncond; i++)
		told_point(text, &a->conditions[i], cond_text, t->cond[i], 3);
	a->nconditions = t->ncond;
	if (t->nres)
		a->resources = mech_calloc(t->nres, sizeof(*a->resources));
	for (i = 0; i < t->nres; i++) {
		told_point(text, &a->resources[i], res_text, t->res[i].at, 8);
		a->resources[i].requires_pruning = t->res[i].prune;
	}
	a->nresources = t->nres;
	a->images = told_strings(text, t->img, t->nimg);
	a->nimages = t->nimg;
	a->external_urls = told_strings(text, t->url, t->nurl);
	a->nexternal_urls = t->nurl;
	app_told_reset(t);
	return 0;
}

static const mech_json_events app_events = {app_told_open, app_told_leaf, app_told_close,
					    app_told_end};

static void app_told_dispose(app_told *t)
{
	mech_buf_dispose(&t->text);
	free(t->cond);
	free(t->res);
	free(t->img);
	free(t->url);
}

/*
 * A built Application (a Get's answer, a watch event's) told to app_told
 * as the parse tells a list's item: in each object the first member of
 * each name its keep list gives, an array's elements each as its keep
 * says. So one reader, app_told, makes every Application.
 */
static void app_walk(app_told *t, const cJSON *v, const mech_json_keep *member,
		     const mech_json_keep *keep)
{
	const cJSON *it;
	unsigned long long told = 0; /* the keep list's entries met, by index (< 64) */
	if (!v)                      /* none at all: nameless */
		return;
	if (!cJSON_IsObject(v) && !cJSON_IsArray(v)) {
		app_told_leaf(t, member, v->type & 0xff, v->valuestring, v->valuedouble);
		return;
	}
	app_told_open(t, member, cJSON_IsObject(v));
	cJSON_ArrayForEach(it, v)
	{
		const mech_json_keep *m = NULL, *k;
		if (cJSON_IsArray(v)) {
			app_walk(t, it, NULL, keep);
			continue;
		}
		for (k = keep; k && k->key && !m; k++)
			if (!strcmp(k->key, it->string))
				m = k;
		if (!m || told >> (m - keep) & 1)
			continue; /* not read, or not the first of its name */
		told |= 1ULL << (m - keep);
		app_walk(t, it, m, m->keep);
	}
	app_told_close(t);
}

int mech_argocd_app_parse(const cJSON *json, mech_argocd_app **out)
{
	mech_argocd_apps one = {0};
	app_told t = {MECH_BUF_INIT};
	int rc;
	*out = NULL;
	t.apps = &one;
	app_told_reset(&t);
	app_walk(&t, json, NULL, keep_app);
	rc = app_told_end(&t);
	app_told_dispose(&t);
	if (rc == 0) {
		*out = mech_calloc(1, sizeof(**out));
		**out = one.items[0];
	}
	free(one.items);
	return rc;
}

/* The list parsed (doc) and filled (apps): its resourceVersion, sorted by name. */
static int list_done(cJSON *doc, mech_argocd_apps *apps, const char *what)
{
	const cJSON *items = mech_json_get(doc, "items");
	size_t i;
	if (items && !cJSON_IsArray(items) && !cJSON_IsNull(items))
		return mech_error_set(MECH_EUNAVAILABLE, "%s: items is not a list", what);
	apps->resource_version = jstr(doc, "metadata.resourceVersion");
	/* sorted by name, whatever order the server chose: found by binary
	 * search. Argo CD sends them sorted already, and then nothing moves
	 * (glibc's qsort would first allocate a copy of the whole list). */
	for (i = 1; i < apps->len; i++)
		if (cmp_app_name(&apps->items[i - 1], &apps->items[i]) > 0)
			break;
	if (i < apps->len)
		qsort(apps->items, apps->len, sizeof(*apps->items), cmp_app_name);
	return 0;
}

/* Fetched from c at path; without c, read from (data, len), fed in pieces that long (0: whole) */
static int list_read(mech_argocd *c, const char *path, const char *data, size_t len, size_t piece,
		     mech_argocd_apps **out)
{
	mech_argocd_apps *apps = mech_calloc(1, sizeof(*apps));
	app_told told = {MECH_BUF_INIT};
	/* the items are never held together, nor built: 29 MB at 10,000 apps */
	mech_json_each each = {"items", NULL, &told, &app_events};
	cJSON *doc = NULL;
	char *what = c ? mech_sprintf("Argo CD: GET %s%s", mech_http_url(c->http), path)
		       : mech_strdup("Argo CD: the list of Applications");
	int rc;

	*out = NULL;
	told.apps = apps;
	app_told_reset(&told);
	if (c) {
		rc = mech_http_get_json_each(c->http, path, keep_list, &each, &doc);
	} else if (!piece) {
		rc = mech_json_parse_each(&doc, data, len, what, keep_list, &each);
	} else {
		mech_json_feed *f;
		size_t at;
		mech_json_feed_start(&f, what, keep_list, &each, 0);
		for (at = 0; at < len; at += piece)
			mech_json_feed_put(f, data + at, len - at < piece ? len - at : piece);
		rc = mech_json_feed_finish(f, &doc);
	}
	app_told_dispose(&told);
	if (rc == 0)
		rc = list_done(doc, apps, what);
	if (rc == 0) {
		*out = apps;
		apps = NULL;
	}
	mech_argocd_apps_free(apps);
	cJSON_Delete(doc);
	free(what);
	return rc;
}

int mech_argocd_app_list(mech_argocd *c, const char *project, mech_argocd_apps **out)
{
	char *path = projects_query("/api/v1/applications", project);
	int rc = list_read(c, path, NULL, 0, 0, out);
	free(path);
	return rc;
}

int mech_argocd_app_list_parse(const char *data, size_t len, size_t piece, mech_argocd_apps **out)
{
	return list_read(NULL, NULL, data, len, piece, out);
}

static int app_get_path(mech_argocd *c, char *path, mech_argocd_app **out)
{
	cJSON *doc;
	int rc;

	*out = NULL;
	rc = mech_http_get_json(c->http, path, &doc);
	free(path);
	if (rc < 0)
		return -1;
	rc = mech_argocd_app_parse(doc, out);
	cJSON_Delete(doc);
	return rc;
}

int mech_argocd_app_get(mech_argocd *c, const char *project, const char *name, mech_argocd_app **out)
{
	return app_get_path(c, app_path(name, "", project), out);
}

int mech_argocd_app_refresh(mech_argocd *c, const char *project, const char *name, int hard,
			    mech_argocd_app **out)
{
	return app_get_path(c,
			    app_path_query(name, "", project,
					   hard ? "refresh=hard" : "refresh=normal"),
			    out);
}

int mech_argocd_appset_refresh(mech_argocd *c, const char *name)
{
	char *n = mech_http_escape(name);
	char *path = mech_sprintf("/api/v1/applicationsets/%s", n);
	cJSON *doc = NULL, *ans = NULL, *meta, *ann;
	char *body = NULL;
	int rc = -1;

	if (mech_http_get_json(c->http, path, &doc) < 0)
		goto done;
	meta = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
	if (!cJSON_IsObject(meta)) {
		mech_error_set(MECH_EUNAVAILABLE,
			       "Argo CD: GET %s%s: an ApplicationSet without "
			       "metadata",
			       mech_http_url(c->http), path);
		goto done;
	}
	ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
	if (!cJSON_IsObject(ann)) {
		cJSON_DeleteItemFromObjectCaseSensitive(meta, "annotations");
		ann = cJSON_AddObjectToObject(meta, "annotations");
	}
	cJSON_DeleteItemFromObjectCaseSensitive(ann, MECH_ARGOCD_APPSET_REFRESH);
	cJSON_AddStringToObject(ann, MECH_ARGOCD_APPSET_REFRESH, "true");
	body = cJSON_PrintUnformatted(doc);
	if (!body)
		mech_fatal("out of memory (printing JSON)");
	rc = mech_http_post_json(c->http, "/api/v1/applicationsets?upsert=true", body, &ans);
done:
	cJSON_Delete(doc);
	cJSON_Delete(ans);
	free(body);
	free(path);
	free(n);
	return rc;
}

const mech_argocd_app *mech_argocd_apps_find(const mech_argocd_apps *apps, const char *name)
{
	size_t lo = 0, hi = apps ? apps->len : 0;
	while (lo < hi) { /* items are sorted by name (mech_argocd_app_list) */
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(apps->items[mid].name, name);
		if (!c)
			return &apps->items[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int mech_argocd_apps_get_item(mech_argocd *c, const char *project, mech_argocd_apps *apps,
			      const char *name)
{
	mech_argocd_app *got = NULL, tmp;
	size_t i;
	for (i = 0; apps && i < apps->len; i++)
		if (!strcmp(apps->items[i].name, name))
			break;
	if (!apps || i == apps->len)
		return 0;
	if (mech_argocd_app_get(c, project, name, &got) < 0)
		return -1;
	/* swap: the list keeps Get's fields, `got` takes the listed ones away */
	tmp = apps->items[i];
	apps->items[i] = *got;
	*got = tmp;
	mech_argocd_app_free(got);
	return 1;
}

const mech_argocd_condition *mech_argocd_app_condition(const mech_argocd_app *app, const char *type)
{
	size_t i;
	for (i = 0; i < app->nconditions; i++)
		if (!strcmp(app->conditions[i].type, type))
			return &app->conditions[i];
	return NULL;
}

int mech_argocd_app_settled(const mech_argocd_app *app)
{
	return !strcmp(app->sync_status, "Synced") && !strcmp(app->health_status, "Healthy") &&
	       !app->operation_requested && strcmp(app->operation_phase, "Running") != 0 &&
	       strcmp(app->operation_phase, "Terminating") != 0;
}

/* ---- resource tree ---- */

void mech_argocd_tree_free(mech_argocd_tree *tree)
{
	size_t i, j;
	if (!tree)
		return;
	for (i = 0; i < tree->len; i++) {
		mech_argocd_node *n = &tree->nodes[i];
		free(n->group);
		free(n->version);
		free(n->kind);
		free(n->namespace);
		free(n->name);
		free(n->uid);
		free(n->health);
		free(n->health_message);
		free(n->created_at);
		for (j = 0; j < n->nparents; j++) {
			free(n->parents[j].group);
			free(n->parents[j].kind);
			free(n->parents[j].namespace);
			free(n->parents[j].name);
			free(n->parents[j].uid);
		}
		free(n->parents);
		for (j = 0; j < n->ninfo; j++) {
			free(n->info[j].name);
			free(n->info[j].value);
		}
		free(n->info);
		free_strings(n->images, n->nimages);
	}
	free(tree->nodes);
	free(tree);
}

static void node_fill(const cJSON *j, mech_argocd_node *n)
{
	const cJSON *arr, *it;
	int len;

	n->group = jstr(j, "group");
	n->version = jstr(j, "version");
	n->kind = jstr(j, "kind");
	n->namespace = jstr(j, "namespace");
	n->name = jstr(j, "name");
	n->uid = jstr(j, "uid");
	n->health = jstr(j, "health.status");
	n->health_message = jstr(j, "health.message");
	n->created_at = jstr(j, "createdAt");
	n->images = jstrings(mech_json_get(j, "images"), &n->nimages);
	arr = mech_json_get(j, "parentRefs");
	len = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
	if (len > 0)
		n->parents = mech_calloc((size_t)len, sizeof(*n->parents));
	cJSON_ArrayForEach(it, (len > 0 ? arr : NULL))
	{
		mech_argocd_ref *r = &n->parents[n->nparents++];
		r->group = jstr(it, "group");
		r->kind = jstr(it, "kind");
		r->namespace = jstr(it, "namespace");
		r->name = jstr(it, "name");
		r->uid = jstr(it, "uid");
	}
	arr = mech_json_get(j, "info");
	len = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
	if (len > 0)
		n->info = mech_calloc((size_t)len, sizeof(*n->info));
	cJSON_ArrayForEach(it, (len > 0 ? arr : NULL))
	{
		mech_argocd_info *f = &n->info[n->ninfo++];
		f->name = jstr(it, "name");
		f->value = jstr(it, "value");
	}
}

int mech_argocd_app_tree(mech_argocd *c, const char *project, const char *name,
			 mech_argocd_tree **out)
{
	char *path = app_path(name, "/resource-tree", project);
	mech_argocd_tree *tree;
	const cJSON *nodes, *it;
	cJSON *doc;
	int n, rc;

	*out = NULL;
	rc = mech_http_get_json(c->http, path, &doc);
	free(path);
	if (rc < 0)
		return -1;
	tree = mech_calloc(1, sizeof(*tree));
	nodes = mech_json_get(doc, "nodes");
	n = cJSON_IsArray(nodes) ? cJSON_GetArraySize(nodes) : 0;
	if (n > 0)
		tree->nodes = mech_calloc((size_t)n, sizeof(*tree->nodes));
	cJSON_ArrayForEach(it, (n > 0 ? nodes : NULL))
	{
		if (cJSON_IsObject(it))
			node_fill(it, &tree->nodes[tree->len++]);
	}
	cJSON_Delete(doc);
	*out = tree;
	return 0;
}

/* ---- managed resources ---- */

void mech_argocd_diffs_free(mech_argocd_diffs *diffs)
{
	size_t i;
	if (!diffs)
		return;
	for (i = 0; i < diffs->len; i++) {
		mech_argocd_diff *d = &diffs->items[i];
		free(d->group);
		free(d->kind);
		free(d->namespace);
		free(d->name);
		cJSON_Delete(d->target);
		cJSON_Delete(d->live);
		cJSON_Delete(d->normalized_live);
		cJSON_Delete(d->predicted_live);
	}
	free(diffs->items);
	free(diffs);
}

/* The states are JSON inside JSON strings: parse them a second time. */
static int parse_state(const cJSON *item, const char *key, const char *what, cJSON **out)
{
	const cJSON *v = mech_json_get(item, key);
	cJSON *doc;
	*out = NULL;
	if (!cJSON_IsString(v) || !v->valuestring || !*v->valuestring)
		return 0;
	if (mech_json_parse(&doc, v->valuestring, strlen(v->valuestring), what) < 0)
		return -1;
	if (cJSON_IsNull(doc)) {
		cJSON_Delete(doc);
		return 0;
	}
	*out = doc;
	return 0;
}

int mech_argocd_app_managed(mech_argocd *c, const char *project, const char *name,
			    mech_argocd_diffs **out)
{
	char *path = app_path(name, "/managed-resources", project);
	mech_argocd_diffs *diffs = NULL;
	const cJSON *items, *it;
	cJSON *doc = NULL;
	char *what = NULL;
	int n, rc = -1;

	*out = NULL;
	if (mech_http_get_json(c->http, path, &doc) < 0)
		goto done;
	what = mech_sprintf("Argo CD: GET %s%s", mech_http_url(c->http), path);
	diffs = mech_calloc(1, sizeof(*diffs));
	items = mech_json_get(doc, "items");
	n = cJSON_IsArray(items) ? cJSON_GetArraySize(items) : 0;
	if (n > 0)
		diffs->items = mech_calloc((size_t)n, sizeof(*diffs->items));
	cJSON_ArrayForEach(it, (n > 0 ? items : NULL))
	{
		mech_argocd_diff *d;
		if (!cJSON_IsObject(it))
			continue;
		d = &diffs->items[diffs->len++];
		d->group = jstr(it, "group");
		d->kind = jstr(it, "kind");
		d->namespace = jstr(it, "namespace");
		d->name = jstr(it, "name");
		d->modified = jbool(it, "modified");
		if (parse_state(it, "targetState", what, &d->target) < 0 ||
		    parse_state(it, "liveState", what, &d->live) < 0 ||
		    parse_state(it, "normalizedLiveState", what, &d->normalized_live) < 0 ||
		    parse_state(it, "predictedLiveState", what, &d->predicted_live) < 0)
			goto done;
	}
	*out = diffs;
	diffs = NULL;
	rc = 0;
done:
	mech_argocd_diffs_free(diffs);
	cJSON_Delete(doc);
	free(what);
	free(path);
	return rc;
}

/* ---- sync ---- */

int mech_argocd_app_sync(mech_argocd *c, const char *project, const char *name,
			 const mech_argocd_sync_opts *opts, mech_argocd_app **out)
{
	char *n = mech_http_escape(name);
	char *path = mech_sprintf("/api/v1/applications/%s/sync", n);
	cJSON *req = cJSON_CreateObject(), *doc = NULL;
	char *body;
	int rc;

	if (out)
		*out = NULL;
	cJSON_AddStringToObject(req, "name", name);
	if (project && *project)
		cJSON_AddStringToObject(req, "project", project);
	if (opts && opts->revision && *opts->revision)
		cJSON_AddStringToObject(req, "revision", opts->revision);
	if (opts && opts->prune)
		cJSON_AddTrueToObject(req, "prune");
	if (opts && opts->dry_run)
		cJSON_AddTrueToObject(req, "dryRun");
	body = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	if (!body)
		mech_fatal("out of memory (printing JSON)");
	rc = mech_http_post_json(c->http, path, body, &doc);
	free(body);
	free(path);
	free(n);
	if (rc < 0)
		return -1;
	if (out)
		rc = mech_argocd_app_parse(doc, out);
	cJSON_Delete(doc);
	return rc;
}

/* ---- watch ---- */

const char *mech_argocd_event_name(mech_argocd_event_type type)
{
	switch (type) {
	case MECH_ARGOCD_ADDED:
		return "ADDED";
	case MECH_ARGOCD_MODIFIED:
		return "MODIFIED";
	case MECH_ARGOCD_DELETED:
		return "DELETED";
	}
	return "?";
}

/*
 * What an event keeps: its type and the Application as the list keeps it
 * (keep_app), and a stream error whole. A write moves every Application's
 * revision, so 10,000 apps bring 10,000 events, each checked in full and
 * built only as far as app_told reads.
 */
static const mech_json_keep keep_result[] = {{"type", NULL},
					     {"application", keep_app},
					     {NULL, NULL}};
static const mech_json_keep keep_event[] = {{"result", keep_result}, {"error", NULL}, {NULL, NULL}};

int mech_argocd_event_parse(const char *data, size_t len, mech_argocd_event *out)
{
	const cJSON *result, *err, *type;
	cJSON *doc;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (mech_json_parse_kept(&doc, data, len, "Argo CD watch event", keep_event) < 0)
		return -1;
	result = mech_json_get(doc, "result");
	err = mech_json_get(doc, "error");
	if (!result && cJSON_IsObject(err)) {
		/* runtimeStreamError: the stream's way to report a failed call */
		const cJSON *code = mech_json_get(err, "http_code");
		long status = cJSON_IsNumber(code) ? (long)code->valuedouble : 500;
		char *raw = jstr(err, "message"), *msg = mech_http_clean_message(raw, strlen(raw));
		mech_error_code ec = mech_http_status_code(status);
		mech_error_set(ec == MECH_EOK ? MECH_EUNAVAILABLE : ec,
			       "stream error: HTTP %ld %s%s%s", status,
			       mech_http_status_text(status), *msg ? ": " : "", msg);
		free(raw);
		free(msg);
		goto done;
	}
	type = mech_json_get(result, "type");
	if (!cJSON_IsString(type) || !type->valuestring) {
		mech_error_set(MECH_EUNAVAILABLE, "Argo CD watch event without result.type");
		goto done;
	}
	if (!strcmp(type->valuestring, "ADDED"))
		out->type = MECH_ARGOCD_ADDED;
	else if (!strcmp(type->valuestring, "MODIFIED"))
		out->type = MECH_ARGOCD_MODIFIED;
	else if (!strcmp(type->valuestring, "DELETED"))
		out->type = MECH_ARGOCD_DELETED;
	else {
		char q[MECH_ESCAPE_SIZE];
		mech_error_set(MECH_EUNAVAILABLE, "Argo CD watch event of unknown type \"%s\"",
			       mech_error_escape(q, type->valuestring));
		goto done;
	}
	rc = mech_argocd_app_parse(mech_json_get(result, "application"), &out->app);
done:
	cJSON_Delete(doc);
	return rc;
}

typedef struct {
	mech_argocd *c;
	const char *path;
	const mech_argocd_watch_opts *o;
} watch_state;

static int on_sse_event(const char *data, size_t len, void *ctx)
{
	watch_state *w = ctx;
	mech_argocd_event ev;
	int rc;

	if (mech_argocd_event_parse(data, len, &ev) < 0) {
		const mech_error *e = mech_error_last();
		char *msg = mech_strdup(e && e->message ? e->message : "bad event");
		mech_error_set(e ? e->code : MECH_EUNAVAILABLE, "Argo CD: GET %s%s: %s",
			       mech_http_url(w->c->http), w->path, msg);
		free(msg);
		return -1;
	}
	rc = w->o->on_event(&ev, w->o->ctx);
	mech_argocd_app_free(ev.app);
	return rc;
}

static void on_sse_keepalive(void *ctx)
{
	watch_state *w = ctx;
	if (w->o->on_keepalive)
		w->o->on_keepalive(w->o->ctx);
}

static void on_sse_connect(void *ctx)
{
	watch_state *w = ctx;
	if (w->o->on_connect)
		w->o->on_connect(w->o->ctx);
}

static int on_sse_error(const mech_error *err, long retry_in_ms, void *ctx)
{
	watch_state *w = ctx;
	return w->o->on_error ? w->o->on_error(err, retry_in_ms, w->o->ctx) : 0;
}

int mech_argocd_app_watch(mech_argocd *c, const char *project, const mech_argocd_watch_opts *opts)
{
	char *path = projects_query("/api/v1/stream/applications", project);
	watch_state w = {c, path, opts};
	mech_http_watch_opts wo;
	int rc;

	if (!opts || !opts->on_event) {
		free(path);
		return mech_error_set(MECH_EFAILED, "mech_argocd_app_watch: no event callback");
	}
	memset(&wo, 0, sizeof(wo));
	wo.sse.on_event = on_sse_event;
	wo.sse.on_keepalive = on_sse_keepalive;
	wo.sse.on_open = on_sse_connect;
	wo.sse.ctx = &w;
	wo.sse.cancel = opts->cancel;
	wo.sse.idle_timeout_ms = opts->idle_timeout_ms;
	wo.on_error = on_sse_error;
	if (opts->reconnect)
		rc = mech_http_watch(c->http, path, &wo);
	else
		rc = mech_http_stream(c->http, path, &wo.sse);
	free(path);
	return rc;
}
