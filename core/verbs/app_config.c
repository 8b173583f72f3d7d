/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What mech changes in an app after create, each concern in its own file
 * next to the instance's overlay (docs/formats.md): `scale` writes
 * replicas.yaml, `env set|unset` and `addon link|unlink` write env.yaml
 * (or, for every instance, the base Deployment's env), and the overlay's
 * kustomization.yaml only gains the `patches:` entry that lists the file.
 * A person's edit of one file leaves the others writable without --force.
 */
#include "mech/addon.h"
#include "mech/app.h"
#include "mech/error.h"
#include "mech/manifest.h"
#include "mech/tree.h"
#include "mech/validate.h"

#include <stdlib.h>
#include <string.h>

#define MAX_REPLICAS 100

/* Make the overlay list `file` in its patches (written only when it did not). */
static int plan_list_patch(mech_txn *txn, const char *app, const char *instance, const char *file)
{
	mech_buf ov = MECH_BUF_INIT, out = MECH_BUF_INIT;
	char *path = mech_layout_overlay_path(app, instance);
	int rc = -1, r;
	if (mech_txn_read(txn, path, &ov) <= 0) {
		mech_error_set(MECH_ENOT_FOUND, "%s not found", path);
		mech_error_hint("add the instance again with `mech app -a %s instance add %s`", app,
				instance);
		goto done;
	}
	if ((r = mech_manifest_overlay_add_patch(ov.ptr, ov.len, file, &out)) < 0)
		goto done;
	if (r > 0)
		mech_txn_write_buf(txn, path, &out);
	rc = 0;
done:
	mech_buf_dispose(&ov);
	mech_buf_dispose(&out);
	free(path);
	return rc;
}

/* ---- scale ---- */

typedef struct {
	mech_repo *repo;
	const char *app, *instance;
	int replicas;
	int in_overlay; /* the overlay's own replicas entry was rewritten */
	char *picked;
} scale_ctx;

static int plan_scale(mech_txn *txn, void *payload)
{
	scale_ctx *c = payload;
	mech_buf ov = MECH_BUF_INIT, cur = MECH_BUF_INIT, out = MECH_BUF_INIT;
	char *path = NULL, *file = NULL;
	int rc = -1, now = -1, have;

	free(c->picked);
	c->picked = NULL;
	c->in_overlay = 0;
	if (mech_app_plan_instance(txn, c->repo, c->app, c->instance, &c->picked) < 0)
		goto done;
	path = mech_layout_overlay_path(c->app, c->picked);
	if (mech_txn_read(txn, path, &ov) <= 0) {
		mech_error_set(MECH_ENOT_FOUND, "%s not found", path);
		goto done;
	}
	mech_txn_summary(txn, "scale %s/%s to %d", c->app, c->picked, c->replicas);
	mech_txn_body(txn, "replicas: %d", c->replicas);
	mech_txn_body(txn, "instance: %s", c->picked);
	if ((now = mech_manifest_overlay_replicas(ov.ptr, ov.len, c->app)) >= 0) {
		/* kustomize applies the overlay's replicas entry after patches: it wins */
		if (now == c->replicas) { /* already so: not even a re-render of a person's file */
			rc = 0;
			goto done;
		}
		if (mech_manifest_overlay_set_replicas(ov.ptr, ov.len, c->app, c->replicas, &out) <
		    0)
			goto done;
		mech_txn_write_buf(txn, path, &out);
		c->in_overlay = 1;
		rc = 0;
		goto done;
	}
	file = mech_layout_overlay_file(c->app, c->picked, MECH_LAYOUT_OVERLAY_REPLICAS);
	have = mech_txn_read(txn, file, &cur) > 0;
	if (have && mech_manifest_overlay_has_patch(ov.ptr, ov.len, MECH_LAYOUT_OVERLAY_REPLICAS) &&
	    mech_manifest_replicas_read(cur.ptr, cur.len) == c->replicas) {
		rc = 0; /* already so */
		goto done;
	}
	if (!have) {
		/* no file yet: the base's number runs; the same number needs no file */
		mech_buf dep = MECH_BUF_INIT;
		char *dpath = mech_layout_app_file(c->app, MECH_LAYOUT_BASE_DEPLOYMENT);
		if (mech_txn_read(txn, dpath, &dep) > 0)
			now = mech_manifest_replicas_read(dep.ptr, dep.len);
		free(dpath);
		mech_buf_dispose(&dep);
		if (now == c->replicas) {
			rc = 0;
			goto done;
		}
	}
	if (mech_manifest_replicas_edit(have ? cur.ptr : NULL, cur.len, c->app, c->replicas, &out) <
		    0 ||
	    plan_list_patch(txn, c->app, c->picked, MECH_LAYOUT_OVERLAY_REPLICAS) < 0)
		goto done;
	mech_txn_write_buf(txn, file, &out);
	rc = 0;
done:
	mech_buf_dispose(&ov);
	mech_buf_dispose(&cur);
	mech_buf_dispose(&out);
	free(path);
	free(file);
	return rc;
}

int mech_app_scale(mech_repo *repo, const mech_write_opts *w, const char *app, const char *instance,
		   int replicas, mech_txn_result *res)
{
	scale_ctx c = {repo, app, instance, replicas, 0, NULL};
	char *target;
	int rc;
	if (mech_validate_name("app name", app) < 0 ||
	    (instance && mech_validate_name("instance name", instance) < 0))
		return -1;
	if (replicas < 0 || replicas > MAX_REPLICAS)
		return mech_error_set(MECH_EINVALID, "invalid --replicas %d: use 0-%d", replicas,
				      MAX_REPLICAS);
	target = mech_sprintf("app/%s", app);
	rc = mech_write_apply(repo, w, "app.scale", target, 0, plan_scale, &c, res);
	if (rc == 0 && c.in_overlay) {
		char *ov = mech_layout_overlay_path(app, c.picked);
		mech_strv_pushf(&res->warnings,
				"the replicas entry of %s decides the number (it wins over "
				"replicas.yaml): scale rewrote it",
				ov);
		free(ov);
	}
	free(target);
	free(c.picked);
	return rc;
}

/* ---- env set / unset, addon link / unlink ---- */

typedef struct {
	mech_repo *repo;
	const char *verb; /* "set", "unset", "link", "unlink" */
	const char *app, *instance;
	int all;           /* the base Deployment: every instance */
	mech_env_var *set; /* set, link */
	size_t nset;
	const mech_strv *unset;   /* unset */
	const char *addon;        /* link, unlink */
	const char *addon_secret; /* unlink: entries naming it */
	const char *addon_env;    /* unlink: only this name (NULL: every link) */
	char *picked;
	mech_strv notes; /* for the result's warnings */
} env_ctx;

static int has_var(const mech_env_var *v, size_t n, const char *name)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return 1;
	return 0;
}

static int eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Does `have` already hold every entry of `set`, exactly? */
static int same_vars(const mech_env_var *set, size_t nset, const mech_env_var *have, size_t nhave)
{
	size_t i, j;
	for (i = 0; i < nset; i++) {
		for (j = 0; j < nhave && strcmp(have[j].name, set[i].name); j++)
			;
		if (j == nhave || have[j].deleted != set[i].deleted ||
		    !eq(have[j].value, set[i].value) || !eq(have[j].secret, set[i].secret) ||
		    !eq(have[j].key, set[i].key))
			return 0;
	}
	return 1;
}

/* ", "-joined names of `v` */
static char *names_of(const mech_env_var *v, size_t n)
{
	mech_buf b = MECH_BUF_INIT;
	size_t i;
	for (i = 0; i < n; i++)
		mech_buf_printf(&b, "%s%s", i ? ", " : "", v[i].name);
	return mech_buf_detach(&b);
}

static char *strv_names(const mech_strv *v)
{
	mech_buf b = MECH_BUF_INIT;
	size_t i;
	for (i = 0; i < v->len; i++)
		mech_buf_printf(&b, "%s%s", i ? ", " : "", v->items[i]);
	return mech_buf_detach(&b);
}

/* The base's env (names), to tell what an instance unset must hide with $patch: delete. */
static void base_env(mech_txn *txn, const char *app, mech_env_var **v, size_t *n)
{
	mech_buf dep = MECH_BUF_INIT;
	char *path = mech_layout_app_file(app, MECH_LAYOUT_BASE_DEPLOYMENT);
	*v = NULL;
	*n = 0;
	if (mech_txn_read(txn, path, &dep) > 0 &&
	    mech_manifest_env_read(dep.ptr, dep.len, app, v, n) < 0)
		mech_error_clear();
	mech_buf_dispose(&dep);
	free(path);
}

static void summary(mech_txn *txn, env_ctx *c, const char *where, const mech_strv *removed)
{
	char *names = c->set         ? names_of(c->set, c->nset)
		      : removed->len ? strv_names(removed)
				     : strv_names(c->unset);
	if (!strcmp(c->verb, "link"))
		mech_txn_summary(txn, "link %s to %s as %s", c->addon, where, names);
	else if (!strcmp(c->verb, "unlink"))
		mech_txn_summary(txn, "unlink %s from %s", c->addon, where);
	else
		mech_txn_summary(txn, "%s env %s of %s", c->verb, names, where);
	mech_txn_body(txn, "env: %s", names);
	if (!c->all)
		mech_txn_body(txn, "instance: %s", c->picked);
	free(names);
}

/* --all-instances: name the instances whose env.yaml overrides what the base now says. */
static void note_overrides(mech_txn *txn, env_ctx *c)
{
	mech_strv insts = MECH_STRV_INIT;
	char *dir = mech_layout_overlays_dir(c->app);
	size_t i, j;
	mech_txn_list(txn, dir, &insts);
	for (i = 0; i < insts.len; i++) {
		mech_buf b = MECH_BUF_INIT;
		mech_env_var *v = NULL;
		size_t n = 0;
		char *p = mech_layout_overlay_file(c->app, insts.items[i], MECH_LAYOUT_OVERLAY_ENV);
		if (mech_txn_read(txn, p, &b) > 0 &&
		    mech_manifest_env_read(b.ptr, b.len, c->app, &v, &n) == 0) {
			for (j = 0; j < c->nset; j++)
				if (has_var(v, n, c->set[j].name))
					mech_strv_pushf(&c->notes,
							"instance %s sets %s in its %s, which wins over "
							"the base's (`mech app -a %s -i %s env unset %s` to "
							"use the base's)",
							insts.items[i], c->set[j].name,
							MECH_LAYOUT_OVERLAY_ENV, c->app,
							insts.items[i], c->set[j].name);
		}
		mech_error_clear();
		mech_env_vars_free(v, n);
		mech_buf_dispose(&b);
		free(p);
	}
	mech_strv_dispose(&insts);
	free(dir);
}

static int plan_env(mech_txn *txn, void *payload)
{
	env_ctx *c = payload;
	mech_buf cur = MECH_BUF_INIT, out = MECH_BUF_INIT;
	mech_strv remove = MECH_STRV_INIT;
	mech_env_var *set = NULL, *have = NULL, *base = NULL;
	size_t nset = 0, nhave = 0, nbase = 0, i;
	char *path = NULL, *where = NULL;
	int rc = -1, exists;

	free(c->picked);
	c->picked = NULL;
	mech_strv_dispose(&c->notes);
	if (!c->all && mech_app_plan_instance(txn, c->repo, c->app, c->instance, &c->picked) < 0)
		goto done;
	if (c->all) {
		path = mech_layout_app_file(c->app, MECH_LAYOUT_BASE_DEPLOYMENT);
		where = mech_sprintf("%s (all instances)", c->app);
	} else {
		path = mech_layout_overlay_file(c->app, c->picked, MECH_LAYOUT_OVERLAY_ENV);
		where = mech_sprintf("%s/%s", c->app, c->picked);
	}
	exists = mech_txn_read(txn, path, &cur) > 0;
	if (c->all && !exists) {
		mech_strv apps = MECH_STRV_INIT;
		mech_txn_list(txn, MECH_LAYOUT_APPS, &apps);
		mech_app_not_found(c->repo, c->app, &apps);
		mech_strv_dispose(&apps);
		goto done;
	}
	if (exists && mech_manifest_env_read(cur.ptr, cur.len, c->app, &have, &nhave) < 0)
		goto done;
	if (c->addon) {
		char *p = mech_layout_addon_cluster_path(c->addon);
		int found = mech_txn_exists(txn, p) > 0;
		free(p);
		if (!found) {
			mech_strv names = MECH_STRV_INIT;
			mech_txn_list(txn, MECH_LAYOUT_ADDONS, &names);
			mech_addon_not_found(c->repo, c->addon, &names);
			mech_strv_dispose(&names);
			goto done;
		}
	}
	if (!strcmp(c->verb, "unlink")) {
		/* every entry of the instance's env.yaml that names the addon's secret */
		for (i = 0; i < nhave; i++)
			if (have[i].secret && !strcmp(have[i].secret, c->addon_secret) &&
			    (!c->addon_env || !strcmp(have[i].name, c->addon_env)))
				mech_strv_push(&remove, have[i].name);
	} else if (c->unset) {
		if (!c->all)
			base_env(txn, c->app, &base, &nbase);
		for (i = 0; i < c->unset->len; i++) {
			const char *k = c->unset->items[i];
			mech_strv_push(&remove, k);
			/* a base entry is hidden from this instance only by a delete directive */
			if (!c->all && has_var(base, nbase, k)) {
				set = mech_reallocarray(set, nset + 1, sizeof(*set));
				memset(&set[nset], 0, sizeof(*set));
				set[nset].name = (char *)k;
				set[nset++].deleted = 1;
			}
		}
	}
	if (c->set && same_vars(c->set, c->nset, have, nhave)) {
		/* already so: not even a re-render of a file a person may have written */
		summary(txn, c, where, &remove);
		rc = c->all ? 0 : plan_list_patch(txn, c->app, c->picked, MECH_LAYOUT_OVERLAY_ENV);
		goto done;
	} else if (c->set) {
		if (mech_manifest_env_edit(exists ? cur.ptr : NULL, cur.len, c->app, c->set,
					   c->nset, NULL, &out) < 0)
			goto done;
	} else {
		int touches = 0;
		for (i = 0; i < remove.len; i++)
			touches |= has_var(have, nhave, remove.items[i]);
		if (!touches && !nset) {
			/* nothing to remove: a retried unset changes nothing */
			summary(txn, c, where, &remove);
			rc = 0;
			goto done;
		}
		if (mech_manifest_env_edit(exists ? cur.ptr : NULL, cur.len, c->app, set, nset,
					   &remove, &out) < 0)
			goto done;
	}
	summary(txn, c, where, &remove);
	if (c->all && c->set)
		note_overrides(txn, c);
	if (!c->all && plan_list_patch(txn, c->app, c->picked, MECH_LAYOUT_OVERLAY_ENV) < 0)
		goto done;
	mech_txn_write_buf(txn, path, &out);
	rc = 0;
done:
	mech_buf_dispose(&cur);
	mech_buf_dispose(&out);
	mech_strv_dispose(&remove);
	free(set); /* names borrowed from c->unset */
	mech_env_vars_free(have, nhave);
	mech_env_vars_free(base, nbase);
	free(path);
	free(where);
	return rc;
}

static int run_env(mech_repo *repo, const mech_write_opts *w, env_ctx *c, const char *verb_id,
		   mech_txn_result *res)
{
	char *target;
	size_t i;
	int rc;
	if (mech_validate_name("app name", c->app) < 0 ||
	    (c->instance && mech_validate_name("instance name", c->instance) < 0))
		return -1;
	if (c->all && c->instance)
		return mech_error_set(MECH_EUSAGE, "--all-instances and -i exclude each other");
	target = mech_sprintf("app/%s", c->app);
	rc = mech_write_apply(repo, w, verb_id, target, 0, plan_env, c, res);
	for (i = 0; rc == 0 && i < c->notes.len; i++)
		mech_strv_push(&res->warnings, c->notes.items[i]);
	mech_strv_dispose(&c->notes);
	free(target);
	free(c->picked);
	return rc;
}

int mech_app_env_set(mech_repo *repo, const mech_write_opts *w, const mech_app_env_opts *o,
		     mech_txn_result *res)
{
	env_ctx c;
	mech_env_var *set;
	size_t i, j, n = 0;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	if (!o->vars || !o->vars->len)
		return mech_error_set(MECH_EUSAGE, "env set needs KEY=VALUE (or KEY --from-secret "
						   "SECRET:KEY)");
	set = mech_calloc(o->vars->len, sizeof(*set));
	if (o->from_secret) {
		if (o->vars->len != 1) {
			mech_error_set(MECH_EUSAGE, "--from-secret sets one variable: name one KEY");
			goto done;
		}
		if (mech_validate_env_name("env name", o->vars->items[0]) < 0 ||
		    mech_validate_secret_ref(o->from_secret, &set[0].secret, &set[0].key) < 0)
			goto done;
		set[0].name = mech_strdup(o->vars->items[0]);
		n = 1;
	} else {
		for (i = 0; i < o->vars->len; i++) {
			const char *kv = o->vars->items[i];
			size_t klen = strcspn(kv, "=");
			if (mech_validate_env(kv) < 0)
				goto done;
			/* a repeated key takes the later value, as create's --env */
			for (j = 0; j < n &&
				    (strlen(set[j].name) != klen || strncmp(set[j].name, kv, klen));
			     j++)
				;
			if (j == n)
				set[n++].name = mech_strndup(kv, klen);
			free(set[j].value);
			set[j].value = mech_strdup(kv + klen + 1);
		}
	}
	c.repo = repo;
	c.verb = "set";
	c.app = o->app;
	c.instance = o->instance;
	c.all = o->all_instances;
	c.set = set;
	c.nset = n;
	rc = run_env(repo, w, &c, "app.env-set", res);
done:
	mech_env_vars_free(set, o->vars->len);
	return rc;
}

int mech_app_env_unset(mech_repo *repo, const mech_write_opts *w, const mech_app_env_opts *o,
		       mech_txn_result *res)
{
	env_ctx c;
	size_t i;
	memset(&c, 0, sizeof(c));
	if (!o->vars || !o->vars->len)
		return mech_error_set(MECH_EUSAGE, "env unset needs at least one KEY");
	if (o->from_secret)
		return mech_error_set(MECH_EUSAGE, "--from-secret is for env set");
	for (i = 0; i < o->vars->len; i++)
		if (mech_validate_env_name("env name", o->vars->items[i]) < 0)
			return -1;
	c.repo = repo;
	c.verb = "unset";
	c.app = o->app;
	c.instance = o->instance;
	c.all = o->all_instances;
	c.unset = o->vars;
	return run_env(repo, w, &c, "app.env-unset", res);
}

int mech_addon_link(mech_repo *repo, const mech_write_opts *w, const char *addon, const char *app,
		    const char *instance, const char *env, mech_txn_result *res)
{
	env_ctx c;
	mech_env_var v;
	int rc;
	memset(&c, 0, sizeof(c));
	memset(&v, 0, sizeof(v));
	if (!env)
		env = MECH_LAYOUT_ADDON_LINK_ENV;
	if (mech_validate_name("addon name", addon) < 0 || mech_validate_env_name("--env", env) < 0)
		return -1;
	v.name = (char *)env;
	v.secret = mech_layout_addon_secret(addon);
	v.key = (char *)MECH_LAYOUT_ADDON_SECRET_KEY;
	c.repo = repo;
	c.verb = "link";
	c.app = app;
	c.instance = instance;
	c.set = &v;
	c.nset = 1;
	c.addon = addon;
	rc = run_env(repo, w, &c, "addon.link", res);
	free(v.secret);
	return rc;
}

int mech_addon_unlink(mech_repo *repo, const mech_write_opts *w, const char *addon, const char *app,
		      const char *instance, const char *env, mech_txn_result *res)
{
	env_ctx c;
	mech_strv names = MECH_STRV_INIT;
	char *secret;
	int rc;
	memset(&c, 0, sizeof(c));
	if (mech_validate_name("addon name", addon) < 0 ||
	    (env && mech_validate_env_name("--env", env) < 0))
		return -1;
	secret = mech_layout_addon_secret(addon);
	/* the summary names what it unlinks: --env, or every link */
	mech_strv_push(&names, env ? env : secret);
	c.repo = repo;
	c.verb = "unlink";
	c.app = app;
	c.instance = instance;
	c.unset = &names;
	c.addon = addon;
	c.addon_secret = secret;
	c.addon_env = env;
	rc = run_env(repo, w, &c, "addon.unlink", res);
	mech_strv_dispose(&names);
	free(secret);
	return rc;
}

/* ---- env list ---- */

int mech_app_env_list(mech_repo *repo, const char *app, const char *instance, mech_app_desired *out,
		      char **picked)
{
	mech_app_state *st = NULL;
	const mech_instance_state *in = NULL;
	git_tree *tree = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	*picked = NULL;
	if (mech_validate_name("app name", app) < 0 ||
	    (instance && mech_validate_name("instance name", instance) < 0) ||
	    mech_app_get(repo, app, &st) < 0 || mech_app_pick_instance(st, instance, &in) < 0)
		goto done;
	if (mech_repo_head_tree(repo, &tree) < 0 ||
	    mech_app_desired_at(mech_repo_git(repo), tree, app, in->name, out) < 0)
		goto done;
	*picked = mech_strdup(in->name);
	rc = 0;
done:
	git_tree_free(tree);
	mech_app_state_free(st, st ? 1 : 0);
	return rc;
}

/* ---- what is linked to what ---- */

void mech_addon_links_free(mech_addon_link_info *l, size_t n)
{
	size_t i;
	for (i = 0; l && i < n; i++) {
		free(l[i].addon);
		free(l[i].app);
		free(l[i].instance);
		free(l[i].env);
	}
	free(l);
}

/* The links of one instance's desired state to the addons `addons`. */
static void links_of(const mech_app_desired *d, const char *app, const char *instance,
		     const mech_addon_state *addons, size_t naddons, const char *only,
		     mech_addon_link_info **out, size_t *n)
{
	size_t i, j;
	for (j = 0; j < naddons; j++) {
		char *secret;
		if (only && strcmp(addons[j].name, only))
			continue;
		secret = mech_layout_addon_secret(addons[j].name);
		for (i = 0; i < d->nvars; i++) {
			mech_addon_link_info *l;
			if (!d->vars[i].secret || strcmp(d->vars[i].secret, secret))
				continue;
			*out = mech_reallocarray(*out, *n + 1, sizeof(**out));
			l = &(*out)[(*n)++];
			l->addon = mech_strdup(addons[j].name);
			l->app = mech_strdup(app);
			l->instance = mech_strdup(instance);
			l->env = mech_strdup(d->vars[i].name);
		}
		free(secret);
	}
}

int mech_addon_links(mech_repo *repo, const char *addon, const char *app,
		     mech_addon_link_info **out, size_t *n)
{
	mech_app_state *apps = NULL;
	mech_addon_state *addons = NULL;
	size_t napps = 0, naddons = 0, i, j;
	git_tree *tree = NULL;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (mech_addon_list(repo, &addons, &naddons) < 0)
		goto done;
	/* one app's links read that app only (`app info` at 10,000 apps) */
	if (app) {
		int r = mech_app_get(repo, app, &apps);
		napps = apps ? 1 : 0;
		if (r < 0)
			goto done;
	} else if (mech_app_list_filled(repo, 0, &apps, &napps) < 0) { /* no writers shown */
		goto done;
	}
	if (mech_repo_head_tree(repo, &tree) < 0)
		goto done;
	for (i = 0; i < napps; i++) {
		if (app && strcmp(apps[i].name, app))
			continue;
		for (j = 0; j < apps[i].ninstances; j++) {
			mech_app_desired d;
			if (mech_app_desired_at(mech_repo_git(repo), tree, apps[i].name,
						apps[i].instances[j].name, &d) < 0)
				goto done;
			links_of(&d, apps[i].name, apps[i].instances[j].name, addons, naddons,
				 addon, out, n);
			mech_app_desired_dispose(&d);
		}
	}
	rc = 0;
done:
	git_tree_free(tree);
	mech_app_state_free(apps, napps);
	mech_addon_state_free(addons, naddons);
	if (rc < 0) {
		mech_addon_links_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}
