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
#include "mech/tree.h"
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

/* The app container's env in a Deployment as NAME=VALUE lines (valueFrom as NAME=<from …>). */
static void deployment_env(const char *yaml, size_t len, const char *app, mech_strv *out)
{
	mech_yaml *doc = NULL, *containers;
	size_t i, j;
	if (mech_yaml_parse(&doc, yaml, len, "deployment.yaml", NULL) < 0) {
		mech_error_clear();
		return;
	}
	containers = mech_yaml_path(doc, "spec.template.spec.containers");
	for (i = 0; containers && containers->kind == MECH_YAML_SEQ && i < containers->len; i++) {
		const mech_yaml *c = containers->items[i];
		const char *name = mech_yaml_path_text(c, "name");
		const mech_yaml *env = mech_yaml_get(c, "env");
		if (containers->len > 1 && (!name || strcmp(name, app)))
			continue;
		for (j = 0; env && env->kind == MECH_YAML_SEQ && j < env->len; j++) {
			const char *k = mech_yaml_path_text(env->items[j], "name");
			const char *v = mech_yaml_path_text(env->items[j], "value");
			mech_strv_pushf(out, "%s=%s", k ? k : "", v ? v : "<from elsewhere>");
		}
		break;
	}
	mech_yaml_free(doc);
}

int mech_app_not_found(mech_repo *repo, const char *app, const mech_strv *apps)
{
	const char *near = apps ? mech_suggest(app, (const char *const *)apps->items, apps->len)
				: NULL;
	mech_error_set(MECH_ENOT_FOUND, "app %s not found in %s/gitops", app,
		       mech_repo_tenant(repo));
	if (near)
		return mech_error_hint("did you mean %s? (`mech app -a %s info`)", near, near);
	return mech_error_hint("list apps with `mech app list`, or create it with "
			       "`mech app create %s --image REF`",
			       app);
}

/* Inside a plan: "app X not found", with the nearest app name of the tree. */
static int not_found_app(mech_txn *txn, mech_repo *repo, const char *app)
{
	mech_strv apps = MECH_STRV_INIT;
	mech_txn_list(txn, MECH_LAYOUT_APPS, &apps);
	mech_app_not_found(repo, app, &apps);
	mech_strv_dispose(&apps);
	return -1;
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
			not_found_app(txn, repo, app);
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
			not_found_app(txn, repo, app);
		return -1;
	}
	*out = deployment_image(b.ptr, b.len, app, NULL, NULL);
	mech_buf_dispose(&b);
	if (!*out)
		mech_error_set(MECH_EFAILED, "%s has no container image", path);
	free(path);
	return *out ? 0 : -1;
}

/* ---- desired state at a commit ---- */

/*
 * Lay the instance's env.yaml over the base's env by name, as kubectl
 * kustomize (v5) renders the strategic merge: the patch's entries first, in
 * its order, then the base's entries it does not name; a `$patch: delete`
 * entry drops the base's. Consumes inst.
 */
static void merge_env(mech_app_desired *d, mech_env_var *inst, size_t n)
{
	mech_env_var *all = mech_calloc(n + d->nvars + 1, sizeof(*all));
	size_t i, j, k = 0;
	for (j = 0; j < d->nvars; j++) {
		for (i = 0; i < n && strcmp(inst[i].name, d->vars[j].name); i++)
			;
		if (i < n) { /* the instance names it: its entry (or its delete) wins */
			free(d->vars[j].name);
			free(d->vars[j].value);
			free(d->vars[j].secret);
			free(d->vars[j].key);
			memset(&d->vars[j], 0, sizeof(d->vars[j]));
		}
	}
	for (i = 0; i < n; i++)
		if (!inst[i].deleted) {
			all[k] = inst[i];
			all[k++].instance = 1;
			memset(&inst[i], 0, sizeof(inst[i]));
		}
	for (j = 0; j < d->nvars; j++)
		if (d->vars[j].name)
			all[k++] = d->vars[j];
	free(d->vars);
	d->vars = all;
	d->nvars = k;
	mech_env_vars_free(inst, n);
}

/* env as NAME=VALUE lines for history (a secret as NAME=<from secret S:KEY>). */
static void env_lines(mech_app_desired *d)
{
	size_t i;
	for (i = 0; i < d->nvars; i++) {
		if (d->vars[i].secret)
			mech_strv_pushf(&d->env, "%s=<from secret %s:%s>", d->vars[i].name,
					d->vars[i].secret, d->vars[i].key);
		else
			mech_strv_pushf(&d->env, "%s=%s", d->vars[i].name,
					d->vars[i].value ? d->vars[i].value : "");
	}
}

/* Read the instance's patch `file` into `b` when the overlay lists it: 1, 0 when not, -1. */
static int read_patch(git_repository *git, git_tree *tree, const char *app, const char *instance,
		      const mech_buf *ov, const char *file, mech_buf *b)
{
	char *path;
	int r;
	if (!mech_manifest_overlay_has_patch(ov->ptr, ov->len, file))
		return 0;
	path = mech_layout_overlay_file(app, instance, file);
	r = mech_tree_read(git, tree, path, MAX_MANIFEST, b);
	free(path);
	return r;
}

int mech_app_desired_at(git_repository *git, git_tree *tree, const char *app, const char *instance,
			mech_app_desired *out)
{
	mech_buf dep = MECH_BUF_INIT, ov = MECH_BUF_INIT, pat = MECH_BUF_INIT;
	char *path = mech_layout_app_file(app, MECH_LAYOUT_BASE_DEPLOYMENT);
	char *base = NULL;
	int rc = -1, r;

	memset(out, 0, sizeof(*out));
	if ((r = mech_tree_read(git, tree, path, MAX_MANIFEST, &dep)) < 0)
		goto done;
	if (r > 0) {
		base = deployment_image(dep.ptr, dep.len, app, NULL, &out->replicas);
		if (mech_manifest_env_read(dep.ptr, dep.len, app, &out->vars, &out->nvars) < 0)
			mech_error_clear();
	}
	free(path);
	path = mech_layout_overlay_path(app, instance);
	if ((r = mech_tree_read(git, tree, path, MAX_MANIFEST, &ov)) < 0)
		goto done;
	out->exists = r > 0;
	if (out->exists) {
		/* kustomize: the overlay's replicas entry > replicas.yaml > the base */
		int n = mech_manifest_overlay_replicas(ov.ptr, ov.len, app);
		if (n < 0 && (r = read_patch(git, tree, app, instance, &ov,
					     MECH_LAYOUT_OVERLAY_REPLICAS, &pat)) > 0)
			n = mech_manifest_replicas_read(pat.ptr, pat.len);
		if (n >= 0)
			out->replicas = n;
		mech_buf_clear(&pat);
		if ((r = read_patch(git, tree, app, instance, &ov, MECH_LAYOUT_OVERLAY_ENV, &pat)) >
		    0) {
			mech_env_var *iv = NULL;
			size_t niv = 0;
			if (mech_manifest_env_read(pat.ptr, pat.len, app, &iv, &niv) < 0)
				mech_error_clear();
			merge_env(out, iv, niv);
		}
		if (r < 0)
			goto done;
		if (base && mech_manifest_overlay_image(ov.ptr, ov.len, base, &out->image) < 0) {
			mech_error_clear();
			out->image = NULL;
		}
	}
	env_lines(out);
	rc = 0;
done:
	mech_buf_dispose(&dep);
	mech_buf_dispose(&ov);
	mech_buf_dispose(&pat);
	free(path);
	free(base);
	return rc;
}

void mech_app_desired_dispose(mech_app_desired *d)
{
	free(d->image);
	mech_strv_dispose(&d->env);
	mech_env_vars_free(d->vars, d->nvars);
	memset(d, 0, sizeof(*d));
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

/* The line of `v` for variable `name` (NAME=…), or NULL. */
static const char *env_find(const mech_strv *v, const char *line)
{
	size_t i, n = strcspn(line, "=");
	for (i = 0; i < v->len; i++)
		if (!strncmp(v->items[i], line, n) && v->items[i][n] == '=')
			return v->items[i];
	return NULL;
}

/* "; env: A differs, B only in Git, C only asked" (names only: values may be private). */
static void env_diff(mech_buf *why, const mech_strv *have, const mech_strv *want)
{
	const char *sep = "; env: ";
	size_t i;
	for (i = 0; i < want->len; i++) {
		const char *h = env_find(have, want->items[i]);
		int n = (int)strcspn(want->items[i], "=");
		if (!h || strcmp(h, want->items[i])) {
			mech_buf_printf(why, "%s%.*s %s", sep, n, want->items[i],
					h ? "differs" : "only asked");
			sep = ", ";
		}
	}
	for (i = 0; i < have->len; i++)
		if (!env_find(want, have->items[i])) {
			mech_buf_printf(why, "%s%.*s only in Git", sep,
					(int)strcspn(have->items[i], "="), have->items[i]);
			sep = ", ";
		}
}

/*
 * `app create` of an app that Git already has (a retried command): the same
 * inputs change nothing but the files that are gone; anything else is
 * refused with MECH_EEXISTS naming each field that differs and the verb that
 * changes it, never rolled back. 1: the same app; -1: refused; 0: too
 * damaged to compare (no base Deployment), so create writes it again, under
 * the write policy as always.
 */
static int create_existing(mech_txn *txn, const mech_app_create_opts *o, const char *instance,
			   const mech_buf *want_dep)
{
	mech_buf dep = MECH_BUF_INIT, ov = MECH_BUF_INIT, why = MECH_BUF_INIT;
	mech_strv have_env = MECH_STRV_INIT, want_env = MECH_STRV_INIT;
	char *path = mech_layout_app_file(o->name, MECH_LAYOUT_BASE_DEPLOYMENT);
	char *base = NULL, *image = NULL;
	int port = 0, replicas = 0, rc = 0;
	const char *verb = NULL;

	if (mech_txn_read(txn, path, &dep) <= 0 ||
	    !(base = deployment_image(dep.ptr, dep.len, o->name, &port, &replicas)))
		goto done;
	free(path);
	path = mech_layout_overlay_path(o->name, instance);
	if (mech_txn_read(txn, path, &ov) <= 0) {
		mech_buf_printf(&why,
				"; it has no instance %s (add it with `mech app -a %s "
				"instance add %s`)",
				instance, o->name, instance);
	} else if (mech_manifest_overlay_image(ov.ptr, ov.len, base, &image) < 0) {
		mech_error_clear();
	} else if (strcmp(image, o->image)) {
		mech_buf_printf(&why,
				"; image: Git has %s, asked %s (change it with `mech app "
				"-a %s -i %s deploy TAG` or `set-image REF`)",
				image, o->image, o->name, instance);
		verb = "deploy";
	}
	if (port != o->port)
		mech_buf_printf(&why, "; port: Git has %d, asked %d", port, o->port);
	if (replicas != o->replicas)
		mech_buf_printf(&why, "; replicas: Git has %d, asked %d", replicas, o->replicas);
	deployment_env(dep.ptr, dep.len, o->name, &have_env);
	deployment_env(want_dep->ptr, want_dep->len, o->name, &want_env);
	env_diff(&why, &have_env, &want_env);
	if (!why.len) {
		rc = 1;
		goto done;
	}
	mech_error_set(MECH_EEXISTS, "app %s already exists with other settings%s", o->name,
		       why.ptr);
	if (verb)
		mech_error_hint("a create never changes an existing app; to run the asked "
				"image: `mech app -a %s -i %s set-image %s`",
				o->name, instance, o->image);
	else
		mech_error_hint("a create never changes an existing app; see it with "
				"`mech app -a %s info`",
				o->name);
	rc = -1;
done:
	mech_buf_dispose(&dep);
	mech_buf_dispose(&ov);
	mech_buf_dispose(&why);
	mech_strv_dispose(&have_env);
	mech_strv_dispose(&want_env);
	free(path);
	free(base);
	free(image);
	return rc;
}

typedef struct {
	mech_repo *repo;
	const mech_app_create_opts *o;
} create_ctx;

/* Write `path` (consumed), or with `only_if_gone` only when it does not exist. */
static void create_file(mech_txn *txn, char *path, mech_buf *b, int only_if_gone)
{
	if (!only_if_gone || mech_txn_exists(txn, path) <= 0)
		mech_txn_write_buf(txn, path, b);
	free(path);
}

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
	int rc = -1, same;

	if (mech_manifest_app_base(&spec, &dep, &svc, &kus) < 0 ||
	    mech_manifest_overlay(&os, &ov) < 0)
		goto done;
	p = mech_layout_app_dir(o->name);
	same = mech_txn_exists(txn, p) > 0 ? create_existing(txn, o, instance, &dep) : 0;
	free(p);
	if (same < 0)
		goto done;
	/* the same app again: only a file that is gone is written back (under the policy) */
	p = mech_layout_app_file(o->name, MECH_LAYOUT_BASE_DEPLOYMENT);
	create_file(txn, p, &dep, same);
	p = mech_layout_app_file(o->name, MECH_LAYOUT_BASE_SERVICE);
	create_file(txn, p, &svc, same);
	p = mech_layout_app_file(o->name, MECH_LAYOUT_BASE_KUSTOMIZATION);
	create_file(txn, p, &kus, same);
	p = mech_layout_overlay_path(o->name, instance);
	create_file(txn, p, &ov, same);
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
		not_found_app(txn, c->repo, c->app);
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
	rc = mech_write_apply(repo, w, "app.delete", target, 1, plan_delete, &c, res);
	free(target);
	return rc;
}

/* ---- instances ---- */

typedef struct {
	mech_repo *repo;
	const char *app, *instance, *from;
} instance_ctx;

/* 0 when instance c->instance already runs what `from` runs; else MECH_EEXISTS. */
static int instance_existing(mech_txn *txn, const instance_ctx *c, const char *from,
			     const mech_buf *src, const mech_buf *dst)
{
	char *base = NULL, *want = NULL, *have = NULL;
	int rc = -1;
	if (read_base_image(txn, c->repo, c->app, &base) < 0 ||
	    mech_manifest_overlay_image(src->ptr, src->len, base, &want) < 0 ||
	    mech_manifest_overlay_image(dst->ptr, dst->len, base, &have) < 0)
		goto done;
	if (!strcmp(want, have)) {
		rc = 0;
		goto done;
	}
	mech_error_set(MECH_EEXISTS,
		       "instance %s of app %s already exists with other settings; image: Git "
		       "has %s, %s runs %s",
		       c->instance, c->app, have, from, want);
	mech_error_hint("change its image with `mech app -a %s -i %s set-image %s`", c->app,
			c->instance, want);
done:
	free(base);
	free(want);
	free(have);
	return rc;
}

static int plan_instance_add(mech_txn *txn, void *payload)
{
	static const char *const patch_files[] = {MECH_LAYOUT_OVERLAY_REPLICAS,
						  MECH_LAYOUT_OVERLAY_ENV};
	instance_ctx *c = payload;
	size_t i;
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
		/* a retried add: the same image as --from is a no-op, another is refused */
		rc = instance_existing(txn, c, from, &src, &out);
		goto done;
	}
	if (mech_manifest_overlay_copy(src.ptr, src.len, c->app, from, c->instance, &out) < 0)
		goto done;
	mech_txn_write_buf(txn, dst_path, &out);
	/* the patches it lists come along: the new instance runs what `from` runs */
	for (i = 0; i < sizeof(patch_files) / sizeof(*patch_files); i++) {
		char *sp = mech_layout_overlay_file(c->app, from, patch_files[i]);
		char *dp = mech_layout_overlay_file(c->app, c->instance, patch_files[i]);
		mech_buf_clear(&src);
		if (mech_txn_read(txn, sp, &src) > 0)
			mech_txn_write_buf(txn, dp, &src);
		free(sp);
		free(dp);
	}
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
	rc = mech_write_apply(repo, w, "app.instance-remove", target, 1, plan_instance_remove, &c,
			      res);
	free(target);
	return rc;
}
