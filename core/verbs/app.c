/* SPDX-License-Identifier: Apache-2.0 */
/*
 * App verbs. Each states its intent as a plan over the tenant repo; the
 * transaction (gitops.c) applies the write policy and makes the receipt.
 */
#include "mech/app.h"
#include "mech/error.h"
#include "mech/image.h"
#include "mech/lastwriter.h"
#include "mech/manifest.h"
#include "mech/validate.h"
#include "mech/yaml.h"

#include <stdlib.h>
#include <string.h>

#define MAX_MANIFEST (1024 * 1024)

/* The image of the app's container in a Deployment manifest. */
static char *deployment_image(const char *yaml, size_t len, const char *app, int *port,
			      int *replicas)
{
	mech_yaml *doc = NULL, *containers;
	char *image = NULL;
	size_t i;
	if (mech_yaml_parse(&doc, yaml, len, "deployment.yaml", NULL) < 0) {
		mech_error_clear();
		return NULL;
	}
	containers = mech_yaml_path(doc, "spec.template.spec.containers");
	for (i = 0; containers && containers->kind == MECH_YAML_SEQ && i < containers->len; i++) {
		const mech_yaml *c = containers->items[i];
		const char *name = mech_yaml_path_text(c, "name");
		const char *img = mech_yaml_path_text(c, "image");
		if (img && (!image || (name && !strcmp(name, app)))) {
			mech_yaml *ports = mech_yaml_get(c, "ports");
			free(image);
			image = mech_strdup(img);
			if (port && ports && ports->kind == MECH_YAML_SEQ && ports->len) {
				const char *p = mech_yaml_path_text(ports->items[0],
								    "containerPort");
				*port = p ? atoi(p) : 0;
			}
		}
	}
	if (replicas) {
		const char *r = mech_yaml_path_text(doc, "spec.replicas");
		*replicas = r ? atoi(r) : 1;
	}
	mech_yaml_free(doc);
	return image;
}

static int not_found_app(mech_repo *repo, const char *app)
{
	mech_error_set(MECH_ENOT_FOUND, "app %s not found in %s/gitops", app,
		       mech_repo_tenant(repo));
	return mech_error_hint("list apps with `mech app list`, or create it with "
			       "`mech app create %s --image REF`",
			       app);
}

static void join(mech_buf *b, const mech_strv *v)
{
	size_t i;
	for (i = 0; i < v->len; i++)
		mech_buf_printf(b, "%s%s", i ? ", " : "", v->items[i]);
}

/* Pick the instance a verb acts on (inside a plan). Caller frees *out. */
int mech_app_plan_instance(mech_txn *txn, mech_repo *repo, const char *app, const char *instance,
			   char **out)
{
	char *dir = mech_layout_overlays_dir(app);
	mech_strv names = MECH_STRV_INIT;
	mech_buf list = MECH_BUF_INIT;
	int rc = -1;

	mech_txn_list(txn, dir, &names);
	if (!names.len) {
		char *appdir = mech_layout_app_dir(app);
		int exists = mech_txn_exists(txn, appdir);
		free(appdir);
		if (!exists) {
			not_found_app(repo, app);
			goto done;
		}
	}
	join(&list, &names);
	if (instance) {
		if (!mech_strv_contains(&names, instance)) {
			mech_error_set(MECH_ENOT_FOUND, "instance %s of app %s not found", instance,
				       app);
			mech_error_hint("instances of %s: %s", app, names.len ? list.ptr : "none");
			goto done;
		}
		*out = mech_strdup(instance);
	} else if (names.len == 1) {
		*out = mech_strdup(names.items[0]);
	} else if (!names.len) {
		mech_error_set(MECH_ENOT_FOUND, "app %s has no instances", app);
		mech_error_hint("add one with `mech app -a %s instance add main`", app);
		goto done;
	} else {
		mech_error_set(MECH_EUSAGE,
			       "app %s has %zu instances (%s); name one with -i INSTANCE", app,
			       names.len, list.ptr);
		mech_error_hint("e.g. `mech app -a %s -i %s ...`", app, names.items[0]);
		goto done;
	}
	rc = 0;
done:
	mech_strv_dispose(&names);
	mech_buf_dispose(&list);
	free(dir);
	return rc;
}

static int read_base_image(mech_txn *txn, mech_repo *repo, const char *app, char **out)
{
	mech_buf b = MECH_BUF_INIT;
	char *path = mech_layout_app_file(app, MECH_LAYOUT_BASE_DEPLOYMENT);
	int found = mech_txn_read(txn, path, &b);
	if (found <= 0) {
		mech_buf_dispose(&b);
		free(path);
		if (found == 0)
			not_found_app(repo, app);
		return -1;
	}
	*out = deployment_image(b.ptr, b.len, app, NULL, NULL);
	mech_buf_dispose(&b);
	if (!*out)
		mech_error_set(MECH_EFAILED, "%s has no container image", path);
	free(path);
	return *out ? 0 : -1;
}

/* ---- every write verb goes through here ---- */

int mech_write_apply(mech_repo *repo, const mech_write_opts *w, const char *verb,
		     const char *target, int destructive, mech_plan_fn plan, void *payload,
		     mech_txn_result *res)
{
	mech_txn_opts t;
	memset(&t, 0, sizeof(t));
	t.verb = verb;
	t.target = target;
	t.author = w->author;
	t.force = w->force;
	t.dry_run = w->dry_run;
	t.destructive = destructive;
	t.plan = plan;
	t.payload = payload;
	return mech_gitops_apply(repo, &t, res);
}

/* ---- app create ---- */

typedef struct {
	mech_repo *repo;
	const mech_app_create_opts *o;
} create_ctx;

static int plan_create(mech_txn *txn, void *payload)
{
	create_ctx *c = payload;
	const mech_app_create_opts *o = c->o;
	const char *instance = o->instance ? o->instance : MECH_DEFAULT_INSTANCE;
	mech_buf dep = MECH_BUF_INIT, svc = MECH_BUF_INIT, kus = MECH_BUF_INIT, ov = MECH_BUF_INIT;
	mech_app_spec spec =
		{mech_repo_tenant(c->repo), o->name, o->image, o->port, o->replicas, o->env};
	mech_overlay_spec os = {mech_repo_tenant(c->repo), o->name, instance, o->image, o->image};
	char *p;
	int rc = -1;

	if (mech_manifest_app_base(&spec, &dep, &svc, &kus) < 0 ||
	    mech_manifest_overlay(&os, &ov) < 0)
		goto done;
	p = mech_layout_app_file(o->name, MECH_LAYOUT_BASE_DEPLOYMENT);
	mech_txn_write_buf(txn, p, &dep);
	free(p);
	p = mech_layout_app_file(o->name, MECH_LAYOUT_BASE_SERVICE);
	mech_txn_write_buf(txn, p, &svc);
	free(p);
	p = mech_layout_app_file(o->name, MECH_LAYOUT_BASE_KUSTOMIZATION);
	mech_txn_write_buf(txn, p, &kus);
	free(p);
	p = mech_layout_overlay_path(o->name, instance);
	mech_txn_write_buf(txn, p, &ov);
	free(p);
	mech_txn_summary(txn, "add app %s", o->name);
	mech_txn_body(txn, "image: %s", o->image);
	rc = 0;
done:
	mech_buf_dispose(&dep);
	mech_buf_dispose(&svc);
	mech_buf_dispose(&kus);
	mech_buf_dispose(&ov);
	return rc;
}

int mech_app_create(mech_repo *repo, const mech_write_opts *w, const mech_app_create_opts *o,
		    mech_txn_result *res)
{
	create_ctx c = {repo, o};
	mech_image img;
	char *target;
	size_t i;
	int rc;

	if (mech_validate_name("app name", o->name) < 0 ||
	    (o->instance && mech_validate_name("instance name", o->instance) < 0) ||
	    mech_layout_check_instance(mech_repo_tenant(repo), o->name,
				       o->instance ? o->instance : MECH_DEFAULT_INSTANCE) < 0)
		return -1;
	if (mech_image_parse(o->image, &img) < 0)
		return -1;
	mech_image_dispose(&img);
	for (i = 0; o->env && i < o->env->len; i++)
		if (mech_validate_env(o->env->items[i]) < 0)
			return -1;
	target = mech_sprintf("app/%s", o->name);
	rc = mech_write_apply(repo, w, "app.create", target, 0, plan_create, &c, res);
	free(target);
	return rc;
}

/* ---- set-image / deploy ---- */

typedef struct {
	mech_repo *repo;
	const char *app, *instance;
	const char *image; /* set-image */
	const char *tag;   /* deploy */
	char *picked;
	char *new_image;
} image_ctx;

static int plan_image(mech_txn *txn, void *payload)
{
	image_ctx *c = payload;
	mech_buf cur = MECH_BUF_INIT, out = MECH_BUF_INIT;
	char *base = NULL, *path = NULL, *current = NULL;
	int rc = -1;

	free(c->picked);
	c->picked = NULL;
	free(c->new_image);
	c->new_image = NULL;
	if (mech_app_plan_instance(txn, c->repo, c->app, c->instance, &c->picked) < 0 ||
	    read_base_image(txn, c->repo, c->app, &base) < 0)
		goto done;
	path = mech_layout_overlay_path(c->app, c->picked);
	if (mech_txn_read(txn, path, &cur) <= 0) {
		/* the overlay dir exists but its kustomization is gone (a human deleted it):
		 * re-create it, which the policy check will see as overriding that delete */
		mech_overlay_spec os = {mech_repo_tenant(c->repo), c->app, c->picked, base, base};
		if (mech_manifest_overlay(&os, &cur) < 0)
			goto done;
	}
	if (c->tag) {
		mech_image img;
		if (mech_manifest_overlay_image(cur.ptr, cur.len, base, &current) < 0 ||
		    mech_image_parse(current, &img) < 0)
			goto done;
		c->new_image = mech_image_format(img.repository, c->tag, NULL);
		mech_image_dispose(&img);
	} else {
		c->new_image = mech_strdup(c->image);
	}
	if (mech_manifest_overlay_set_image(cur.ptr, cur.len, base, c->new_image, &out) < 0)
		goto done;
	mech_txn_write_buf(txn, path, &out);
	mech_txn_summary(txn, "%s %s/%s to %s", c->tag ? "deploy" : "set image of", c->app,
			 c->picked, c->tag ? c->tag : c->new_image);
	mech_txn_body(txn, "image: %s", c->new_image);
	mech_txn_body(txn, "instance: %s", c->picked);
	if (mech_app_plan_rename_legacy(txn, c->app, c->picked) < 0)
		goto done;
	rc = 0;
done:
	mech_buf_dispose(&cur);
	mech_buf_dispose(&out);
	free(base);
	free(path);
	free(current);
	return rc;
}

static int run_image(mech_repo *repo, const mech_write_opts *w, image_ctx *c, const char *verb,
		     mech_txn_result *res)
{
	char *target;
	int rc;
	if (mech_validate_name("app name", c->app) < 0 ||
	    (c->instance && mech_validate_name("instance name", c->instance) < 0))
		return -1;
	target = mech_sprintf("app/%s", c->app);
	rc = mech_write_apply(repo, w, verb, target, 0, plan_image, c, res);
	free(target);
	free(c->picked);
	free(c->new_image);
	return rc;
}

int mech_app_set_image(mech_repo *repo, const mech_write_opts *w, const char *app,
		       const char *instance, const char *image, mech_txn_result *res)
{
	image_ctx c = {repo, app, instance, image, NULL, NULL, NULL};
	mech_image img;
	if (mech_image_parse(image, &img) < 0)
		return -1;
	mech_image_dispose(&img);
	return run_image(repo, w, &c, "app.set-image", res);
}

int mech_app_deploy(mech_repo *repo, const mech_write_opts *w, const char *app,
		    const char *instance, const char *tag, mech_txn_result *res)
{
	image_ctx c = {repo, app, instance, NULL, tag, NULL, NULL};
	if (mech_validate_tag(tag) < 0)
		return -1;
	return run_image(repo, w, &c, "app.deploy", res);
}

/* ---- delete ---- */

/* A route file mech owns: a route path (mech/layout.h) carrying mech's label. */
int mech_app_owned_route(mech_txn *txn, const char *path)
{
	mech_buf b = MECH_BUF_INIT;
	mech_yaml *doc = NULL;
	const char *v;
	int owned = 0;
	if (mech_txn_read(txn, path, &b) > 0 &&
	    mech_yaml_parse(&doc, b.ptr, b.len, path, NULL) == 0) {
		v = mech_yaml_text(mech_yaml_get(mech_yaml_path(doc, "metadata.labels"),
						 MECH_LAYOUT_LABEL_MANAGED_BY));
		owned = v && !strcmp(v, MECH_LAYOUT_MANAGED_BY);
	}
	mech_error_clear();
	mech_yaml_free(doc);
	mech_buf_dispose(&b);
	return owned;
}

/* Rename one file of the instance in the plan; 1 if it was renamed. */
static int rename_file(mech_txn *txn, const char *path, const char *app, const char *instance)
{
	mech_buf cur = MECH_BUF_INIT, out = MECH_BUF_INIT;
	int rc = 0;
	if (mech_txn_read(txn, path, &cur) > 0) {
		rc = mech_manifest_rename_legacy(cur.ptr, cur.len, path, app, instance, &out);
		if (rc > 0)
			mech_txn_write_buf(txn, path, &out);
	}
	mech_buf_dispose(&cur);
	mech_buf_dispose(&out);
	return rc;
}

int mech_app_plan_rename_legacy(mech_txn *txn, const char *app, const char *instance)
{
	char *overlay = mech_layout_overlay_path(app, instance);
	char *route = mech_layout_route_path(app, instance);
	int rc = rename_file(txn, overlay, app, instance);
	/* the route follows the Service it points at, when mech owns it */
	if (rc > 0 && mech_app_owned_route(txn, route) && rename_file(txn, route, app, instance) < 0)
		rc = -1;
	if (rc > 0) {
		char *old = mech_layout_legacy_workload(app, instance);
		char *name = mech_layout_workload(app, instance);
		mech_txn_body(txn, "renamed: %s to %s (docs/formats.md, Names)", old, name);
		free(old);
		free(name);
	}
	free(overlay);
	free(route);
	return rc < 0 ? -1 : 0;
}

/* Is `path` the route file of an instance of `app` (whoever wrote it)? */
static int is_route_file(const char *path, const char *app)
{
	char *dir = mech_layout_routes_dir(app), *inst = NULL;
	size_t n = strlen(dir);
	int ok = !strncmp(path, dir, n) && path[n] == '/' &&
		 (inst = mech_layout_route_instance(path + n + 1)) &&
		 mech_validate_name("instance", inst) == 0;
	mech_error_clear();
	free(inst);
	free(dir);
	return ok;
}

typedef struct {
	mech_repo *repo;
	const char *app;
} delete_ctx;

static int plan_delete(mech_txn *txn, void *payload)
{
	delete_ctx *c = payload;
	mech_strv files = MECH_STRV_INIT, routes = MECH_STRV_INIT;
	char *dir = mech_layout_app_dir(c->app), *rdir = mech_layout_routes_dir(c->app);
	size_t i, n = 0;
	int rc = -1;

	if (!mech_txn_list_files(txn, dir, &files)) {
		not_found_app(c->repo, c->app);
		goto done;
	}
	for (i = 0; i < files.len; i++)
		mech_txn_delete(txn, files.items[i]);
	mech_txn_list_files(txn, rdir, &routes);
	for (i = 0; i < routes.len; i++) {
		if (is_route_file(routes.items[i], c->app) &&
		    mech_app_owned_route(txn, routes.items[i])) {
			mech_txn_delete(txn, routes.items[i]);
			n++;
		}
	}
	mech_txn_summary(txn, "remove app %s", c->app);
	mech_txn_body(txn, "removed: %s/%s", dir, n ? " and its routes" : "");
	rc = 0;
done:
	mech_strv_dispose(&files);
	mech_strv_dispose(&routes);
	free(dir);
	free(rdir);
	return rc;
}

int mech_app_delete(mech_repo *repo, const mech_write_opts *w, const char *app, mech_txn_result *res)
{
	delete_ctx c = {repo, app};
	char *target;
	int rc;
	if (mech_validate_name("app name", app) < 0)
		return -1;
	target = mech_sprintf("app/%s", app);
	rc = mech_write_apply(repo, w, "app.delete", target, 0, plan_delete, &c, res);
	free(target);
	return rc;
}

/* ---- instances ---- */

typedef struct {
	mech_repo *repo;
	const char *app, *instance, *from;
} instance_ctx;

static int plan_instance_add(mech_txn *txn, void *payload)
{
	instance_ctx *c = payload;
	mech_buf src = MECH_BUF_INIT, out = MECH_BUF_INIT;
	char *from = NULL, *src_path = NULL;
	char *dst_path = mech_layout_overlay_path(c->app, c->instance);
	int rc = -1;

	if (mech_app_plan_instance(txn, c->repo, c->app, c->from ? c->from : MECH_DEFAULT_INSTANCE,
				   &from) < 0)
		goto done;
	src_path = mech_layout_overlay_path(c->app, from);
	if (mech_txn_read(txn, src_path, &src) <= 0) {
		mech_error_set(MECH_ENOT_FOUND, "%s not found", src_path);
		goto done;
	}
	if (mech_txn_read(txn, dst_path, &out) > 0) {
		mech_error_set(MECH_EINVALID, "instance %s of app %s already exists", c->instance,
			       c->app);
		mech_error_hint("change its image with `mech app -a %s -i %s set-image REF`",
				c->app, c->instance);
		goto done;
	}
	if (mech_manifest_overlay_copy(src.ptr, src.len, c->app, from, c->instance, &out) < 0)
		goto done;
	mech_txn_write_buf(txn, dst_path, &out);
	mech_txn_summary(txn, "add instance %s/%s from %s", c->app, c->instance, from);
	rc = 0;
done:
	mech_buf_dispose(&src);
	mech_buf_dispose(&out);
	free(from);
	free(src_path);
	free(dst_path);
	return rc;
}

static int plan_instance_remove(mech_txn *txn, void *payload)
{
	instance_ctx *c = payload;
	mech_strv files = MECH_STRV_INIT;
	char *picked = NULL, *dir = NULL, *route = NULL;
	size_t i;
	int rc = -1;

	if (mech_app_plan_instance(txn, c->repo, c->app, c->instance, &picked) < 0)
		goto done;
	dir = mech_layout_overlay_dir(c->app, picked);
	mech_txn_list_files(txn, dir, &files);
	for (i = 0; i < files.len; i++)
		mech_txn_delete(txn, files.items[i]);
	route = mech_layout_route_path(c->app, picked);
	if (mech_app_owned_route(txn, route))
		mech_txn_delete(txn, route);
	mech_txn_summary(txn, "remove instance %s/%s", c->app, picked);
	rc = 0;
done:
	mech_strv_dispose(&files);
	free(picked);
	free(dir);
	free(route);
	return rc;
}

int mech_app_instance_add(mech_repo *repo, const mech_write_opts *w, const char *app,
			  const char *instance, const char *from, mech_txn_result *res)
{
	instance_ctx c = {repo, app, instance, from};
	char *target;
	int rc;
	if (mech_validate_name("app name", app) < 0 ||
	    mech_validate_name("instance name", instance) < 0 ||
	    (from && mech_validate_name("--from instance", from) < 0) ||
	    mech_layout_check_instance(mech_repo_tenant(repo), app, instance) < 0)
		return -1;
	target = mech_sprintf("app/%s/%s", app, instance);
	rc = mech_write_apply(repo, w, "app.instance-add", target, 0, plan_instance_add, &c, res);
	free(target);
	return rc;
}

int mech_app_instance_remove(mech_repo *repo, const mech_write_opts *w, const char *app,
			     const char *instance, mech_txn_result *res)
{
	instance_ctx c = {repo, app, instance, NULL};
	char *target;
	int rc;
	if (mech_validate_name("app name", app) < 0 ||
	    mech_validate_name("instance name", instance) < 0)
		return -1;
	target = mech_sprintf("app/%s/%s", app, instance);
	rc = mech_write_apply(repo, w, "app.instance-remove", target, 0, plan_instance_remove, &c,
			      res);
	free(target);
	return rc;
}
