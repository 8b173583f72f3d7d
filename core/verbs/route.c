/* SPDX-License-Identifier: Apache-2.0 */
/* Route verbs: one HTTPRoute per app instance, owned by mech. */
#include "mech/route.h"
#include "mech/error.h"
#include "mech/lastwriter.h"
#include "mech/manifest.h"
#include "mech/tenant.h"
#include "mech/tree.h"
#include "mech/validate.h"
#include "mech/yaml.h"

#include <stdlib.h>
#include <string.h>

/* Hosts must sit under the tenant's domain unless the operator allows any. */
static int check_host(mech_repo *repo, const char *host)
{
	const mech_config *cfg = mech_repo_config(repo);
	char *domain = mech_layout_tenant_domain(mech_repo_tenant(repo), cfg->routes_base_domain);
	char *suffix = mech_sprintf(".%s", domain);
	size_t hl = strlen(host), sl = strlen(suffix);
	int ok = cfg->routes_allow_any_host || (hl > sl && !strcmp(host + hl - sl, suffix));
	if (!ok) {
		mech_error_set(MECH_EINVALID,
			       "invalid --host \"%s\": routes of tenant %s must be under *%s", host,
			       mech_repo_tenant(repo), suffix);
		mech_error_hint("use e.g. www%s, or ask the operator to set routes.allow_any_host",
				suffix);
	}
	free(suffix);
	free(domain);
	return ok ? 0 : -1;
}

/*
 * One host, one route. Hosts keep DESIGN §4's single '-' (<app>-<instance>),
 * so web-a/main and web/a derive the same host; and an operator who allows
 * any host lets two tenants name the same one. The gateway would merge such
 * routes, so a route create refuses a host another route already serves.
 */
#define ROUTE_MAX (1024 * 1024)

/* Does the HTTPRoute in `b` (a file of network/) list `host`? */
static int serves_host(const mech_buf *b, const char *file, const char *host)
{
	mech_yaml *doc = NULL;
	const mech_yaml *h;
	size_t i;
	int hit = 0;
	if (mech_yaml_parse(&doc, b->ptr, b->len, file, NULL) < 0) {
		mech_error_clear(); /* not ours to judge: a human's file */
		return 0;
	}
	h = mech_yaml_path(doc, "spec.hostnames");
	for (i = 0; h && h->kind == MECH_YAML_SEQ && i < h->len && !hit; i++) {
		const char *v = mech_yaml_text(h->items[i]);
		hit = v && !strcmp(v, host);
	}
	mech_yaml_free(doc);
	return hit;
}

/* An HTTPRoute's first host and first rule's path (NULL where it has none). */
static void route_fields(const mech_yaml *doc, char **host, char **path)
{
	const mech_yaml *h = mech_yaml_path(doc, "spec.hostnames");
	const mech_yaml *rules = mech_yaml_path(doc, "spec.rules");
	if (h && h->kind == MECH_YAML_SEQ && h->len && mech_yaml_text(h->items[0]))
		*host = mech_strdup(mech_yaml_text(h->items[0]));
	if (rules && rules->kind == MECH_YAML_SEQ && rules->len) {
		const mech_yaml *m = mech_yaml_get(rules->items[0], "matches");
		if (m && m->kind == MECH_YAML_SEQ && m->len &&
		    mech_yaml_path_text(m->items[0], "path.value"))
			*path = mech_strdup(mech_yaml_path_text(m->items[0], "path.value"));
	}
}

/*
 * `route create` of a route Git already has (a retried command): 1 when it
 * has the asked host and path (nothing to write), -1 (MECH_EEXISTS, naming
 * what differs) otherwise, 0 when there is none or it cannot be read (then
 * create writes it, under the write policy).
 */
static int route_existing(mech_txn *txn, const char *file, const char *app, const char *instance,
			  const char *host, const char *path)
{
	mech_buf b = MECH_BUF_INIT, why = MECH_BUF_INIT;
	mech_yaml *doc = NULL;
	char *have_host = NULL, *have_path = NULL;
	int rc = 0;
	if (mech_txn_read(txn, file, &b) <= 0 ||
	    mech_yaml_parse(&doc, b.ptr, b.len, file, NULL) < 0) {
		mech_error_clear();
		goto done;
	}
	route_fields(doc, &have_host, &have_path);
	if (!have_host || strcmp(have_host, host))
		mech_buf_printf(&why, "; host: Git has %s, asked %s",
				have_host ? have_host : "none", host);
	if (strcmp(have_path ? have_path : "/", path))
		mech_buf_printf(&why, "; path: Git has %s, asked %s", have_path ? have_path : "/",
				path);
	if (!why.len) {
		rc = 1;
		goto done;
	}
	mech_error_set(MECH_EEXISTS, "route %s/%s already exists with other settings%s", app,
		       instance, why.ptr);
	mech_error_hint("a create never changes an existing route: delete it first with "
			"`mech route -a %s -i %s delete --force`, then create it again",
			app, instance);
	rc = -1;
done:
	mech_yaml_free(doc);
	mech_buf_dispose(&b);
	mech_buf_dispose(&why);
	free(have_host);
	free(have_path);
	return rc;
}

/* "route web/main" for a route file, else the file itself. */
static char *describe_route(const char *file)
{
	size_t n = strlen(MECH_LAYOUT_ROUTES "/");
	const char *rel = file + n, *slash;
	char *inst, *app, *what;
	if (strncmp(file, MECH_LAYOUT_ROUTES "/", n) || !(slash = strchr(rel, '/')) ||
	    !(inst = mech_layout_route_instance(slash + 1)))
		return mech_strdup(file);
	app = mech_strndup(rel, (size_t)(slash - rel));
	what = mech_sprintf("route %s/%s (%s)", app, inst, file);
	free(app);
	free(inst);
	return what;
}

static int host_taken(mech_repo *repo, const char *host, const char *tenant, const char *file)
{
	char *what = describe_route(file);
	mech_error_set(MECH_EINVALID, "host %s is already routed by %s of tenant %s", host, what,
		       tenant);
	free(what);
	return mech_error_hint("give this route another host with --host H under *.%s.%s",
			       mech_repo_tenant(repo), mech_repo_config(repo)->routes_base_domain);
}

/* Inside the plan, under the tenant lock: any route of this tenant but `own`. */
static int check_host_in_tenant(mech_txn *txn, mech_repo *repo, const char *host, const char *own)
{
	mech_strv files = MECH_STRV_INIT;
	size_t i;
	int rc = 0;
	mech_txn_list_files(txn, MECH_LAYOUT_NETWORK, &files);
	for (i = 0; i < files.len && !rc; i++) {
		mech_buf b = MECH_BUF_INIT;
		if (strcmp(files.items[i], own) && mech_txn_read(txn, files.items[i], &b) > 0 &&
		    b.len <= ROUTE_MAX && serves_host(&b, files.items[i], host))
			rc = host_taken(repo, host, mech_repo_tenant(repo), files.items[i]);
		mech_buf_dispose(&b);
	}
	if (!rc)
		mech_error_clear();
	mech_strv_dispose(&files);
	return rc;
}

/* The committed head of another tenant's repo, read-only and without a fetch. */
static int check_host_in(mech_repo *repo, const char *tenant, const char *host)
{
	mech_repo *other = NULL;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	mech_strv files = MECH_STRV_INIT;
	git_oid head;
	size_t i;
	int rc = 0;
	if (mech_repo_open(&other, mech_repo_config(repo), tenant) < 0 ||
	    mech_repo_head(other, &head) < 0 ||
	    git_commit_lookup(&c, mech_repo_git(other), &head) < 0 || git_commit_tree(&tree, c) < 0)
		goto done; /* an unseeded or damaged tenant routes nothing */
	mech_tree_list_files(mech_repo_git(other), tree, MECH_LAYOUT_NETWORK, &files);
	for (i = 0; i < files.len && !rc; i++) {
		mech_buf b = MECH_BUF_INIT;
		if (mech_tree_read(mech_repo_git(other), tree, files.items[i], ROUTE_MAX, &b) > 0 &&
		    serves_host(&b, files.items[i], host))
			rc = host_taken(repo, host, tenant, files.items[i]);
		mech_buf_dispose(&b);
	}
done:
	if (!rc)
		mech_error_clear();
	mech_strv_dispose(&files);
	git_tree_free(tree);
	git_commit_free(c);
	mech_repo_free(other);
	return rc;
}

/* Every other tenant on this host (their locks are not taken: a read of their heads). */
static int check_host_elsewhere(mech_repo *repo, const char *host)
{
	mech_strv tenants = MECH_STRV_INIT;
	size_t i;
	int rc = 0;
	mech_tenant_list(mech_repo_config(repo), &tenants);
	for (i = 0; i < tenants.len && !rc; i++)
		if (strcmp(tenants.items[i], mech_repo_tenant(repo)))
			rc = check_host_in(repo, tenants.items[i], host);
	mech_strv_dispose(&tenants);
	return rc;
}

typedef struct {
	mech_repo *repo;
	const mech_route_opts *o;
	char *host;
} create_ctx;

static int plan_create(mech_txn *txn, void *payload)
{
	create_ctx *c = payload;
	const mech_config *cfg = mech_repo_config(c->repo);
	char *instance = NULL, *file = NULL;
	mech_buf out = MECH_BUF_INIT;
	mech_route_spec spec;
	int rc = -1, same = 0;

	if (mech_app_plan_instance(txn, c->repo, c->o->app, c->o->instance, &instance) < 0 ||
	    /* an instance made before the limit was checked names its route too */
	    mech_layout_check_instance(mech_repo_tenant(c->repo), c->o->app, instance) < 0)
		goto done;
	free(c->host);
	c->host = c->o->host ? mech_strdup(c->o->host)
			     : mech_layout_route_host(mech_repo_tenant(c->repo), c->o->app,
						      instance, cfg->routes_base_domain);
	file = mech_layout_route_path(c->o->app, instance);
	if (check_host(c->repo, c->host) < 0 ||
	    (same = route_existing(txn, file, c->o->app, instance, c->host,
				   c->o->path ? c->o->path : "/")) < 0 ||
	    check_host_in_tenant(txn, c->repo, c->host, file) < 0 ||
	    check_host_elsewhere(c->repo, c->host) < 0 ||
	    /* the route names today's Service: the overlay must make it */
	    mech_app_plan_rename_legacy(txn, c->o->app, instance) < 0)
		goto done;
	spec.tenant = mech_repo_tenant(c->repo);
	spec.app = c->o->app;
	spec.instance = instance;
	spec.host = c->host;
	spec.path = c->o->path ? c->o->path : "/";
	spec.gateway_name = cfg->routes_gateway_name;
	spec.gateway_namespace = cfg->routes_gateway_namespace;
	/* the same route again: nothing to write (but the legacy rename above) */
	if (!same && mech_manifest_route(&spec, &out) < 0)
		goto done;
	if (!same)
		mech_txn_write_buf(txn, file, &out);
	mech_txn_summary(txn, "route %s to %s/%s", c->host, c->o->app, instance);
	mech_txn_body(txn, "host: %s", c->host);
	mech_txn_body(txn, "path: %s", spec.path);
	rc = 0;
done:
	mech_buf_dispose(&out);
	free(instance);
	free(file);
	return rc;
}

int mech_route_create(mech_repo *repo, const mech_write_opts *w, const mech_route_opts *o,
		      mech_txn_result *res)
{
	create_ctx c = {repo, o, NULL};
	char *target;
	int rc;
	if (mech_validate_name("app name", o->app) < 0 ||
	    (o->instance && mech_validate_name("instance name", o->instance) < 0) ||
	    (o->host && mech_validate_host(o->host) < 0) ||
	    (o->path && mech_validate_http_path(o->path) < 0))
		return -1;
	target = mech_sprintf("route/%s", o->app);
	rc = mech_write_apply(repo, w, "route.create", target, 0, plan_create, &c, res);
	free(target);
	free(c.host);
	return rc;
}

typedef struct {
	mech_repo *repo;
	const char *app, *instance;
} delete_ctx;

static int plan_delete(mech_txn *txn, void *payload)
{
	delete_ctx *c = payload;
	mech_strv files = MECH_STRV_INIT;
	char *dir = mech_layout_routes_dir(c->app), *file = NULL, *inst = NULL;
	int rc = -1;

	mech_txn_list_files(txn, dir, &files);
	if (c->instance) {
		inst = mech_strdup(c->instance);
	} else if (files.len == 1) {
		/* the one file, when it is an instance's route file */
		inst = mech_layout_route_instance(files.items[0] + strlen(dir) + 1);
		if (inst && mech_validate_name("instance", inst) < 0) {
			mech_error_clear();
			free(inst);
			inst = NULL;
		}
	} else if (files.len > 1) {
		mech_error_set(MECH_EUSAGE, "app %s has %zu route files; name the instance with -i",
			       c->app, files.len);
		goto done;
	}
	file = inst ? mech_layout_route_path(c->app, inst) : NULL;
	if (!file || !mech_strv_contains(&files, file)) {
		mech_error_set(MECH_ENOT_FOUND, "no route for %s%s%s", c->app, inst ? "/" : "",
			       inst ? inst : "");
		mech_error_hint("list routes with `mech route list`");
		goto done;
	}
	if (!mech_app_owned_route(txn, file)) {
		mech_error_set(MECH_EREFUSED, "%s is not a mech route (no managed-by: mech label)",
			       file);
		mech_error_hint("it is user-authored; remove it with git");
		goto done;
	}
	mech_txn_delete(txn, file);
	mech_txn_summary(txn, "remove route of %s/%s", c->app, inst);
	rc = 0;
done:
	mech_strv_dispose(&files);
	free(dir);
	free(file);
	free(inst);
	return rc;
}

int mech_route_delete(mech_repo *repo, const mech_write_opts *w, const char *app,
		      const char *instance, mech_txn_result *res)
{
	delete_ctx c = {repo, app, instance};
	char *target;
	int rc;
	if (mech_validate_name("app name", app) < 0 ||
	    (instance && mech_validate_name("instance name", instance) < 0))
		return -1;
	target = mech_sprintf("route/%s", app);
	rc = mech_write_apply(repo, w, "route.delete", target, 1, plan_delete, &c, res);
	free(target);
	return rc;
}

int mech_route_list(mech_repo *repo, const char *app, mech_route_state **out, size_t *n)
{
	git_repository *git = mech_repo_git(repo);
	git_tree *tree = NULL;
	mech_strv apps = MECH_STRV_INIT;
	size_t i, j, cap = 0;

	*out = NULL;
	*n = 0;
	if (mech_repo_head_tree(repo, &tree) < 0)
		return -1;
	mech_tree_list(git, tree, MECH_LAYOUT_ROUTES, &apps);
	for (i = 0; i < apps.len; i++) {
		mech_strv files = MECH_STRV_INIT;
		char *dir;
		if (app && strcmp(app, apps.items[i]))
			continue;
		dir = mech_layout_routes_dir(apps.items[i]);
		mech_tree_list(git, tree, dir, &files);
		for (j = 0; j < files.len; j++) {
			mech_buf b = MECH_BUF_INIT;
			mech_yaml *doc = NULL;
			mech_route_state *r;
			char *inst = mech_layout_route_instance(files.items[j]);
			if (!inst)
				continue;
			if (*n == cap) {
				cap = mech_grow_cap(cap, *n + 1, 8, sizeof(**out));
				*out = mech_reallocarray(*out, cap, sizeof(**out));
			}
			r = &(*out)[(*n)++];
			memset(r, 0, sizeof(*r));
			r->app = mech_strdup(apps.items[i]);
			r->instance = inst;
			r->file = mech_layout_route_path(r->app, inst);
			if (mech_tree_read(git, tree, r->file, ROUTE_MAX, &b) > 0 &&
			    mech_yaml_parse(&doc, b.ptr, b.len, r->file, NULL) == 0) {
				const char *mb = mech_yaml_text(
					mech_yaml_get(mech_yaml_path(doc, "metadata.labels"),
						      MECH_LAYOUT_LABEL_MANAGED_BY));
				route_fields(doc, &r->host, &r->path);
				r->owned = mb && !strcmp(mb, MECH_LAYOUT_MANAGED_BY);
			}
			mech_error_clear();
			mech_yaml_free(doc);
			mech_buf_dispose(&b);
			if (mech_repo_last_writer(repo, r->file, &r->writer) < 0)
				mech_error_clear();
		}
		mech_strv_dispose(&files);
		free(dir);
	}
	mech_strv_dispose(&apps);
	git_tree_free(tree);
	return 0;
}

void mech_route_state_free(mech_route_state *r, size_t n)
{
	size_t i;
	for (i = 0; r && i < n; i++) {
		free(r[i].app);
		free(r[i].instance);
		free(r[i].host);
		free(r[i].path);
		free(r[i].file);
	}
	free(r);
}
