/*
 * Desired state from Git: apps, their instances and images, routes, and
 * the last writer of each file. Read-only; nothing here writes.
 */
#include "mech/app.h"
#include "mech/error.h"
#include "mech/lastwriter.h"
#include "mech/manifest.h"
#include "mech/validate.h"
#include "mech/yaml.h"

#include <stdlib.h>
#include <string.h>

#define MAX_MANIFEST (1024 * 1024)

int mech_repo_last_writer(mech_repo *repo, const char *path, mech_writer *out)
{
	const mech_config *cfg = mech_repo_config(repo);
	mech_lastwriter *lw = NULL;
	git_oid head;
	char *file;
	int rc;
	memset(out, 0, sizeof(*out));
	if (mech_repo_head(repo, &head) < 0)
		return -1;
	file = mech_sprintf("%s/cache/%s/lastwriter-%s.idx", cfg->home, mech_repo_tenant(repo),
			    cfg->gitops_branch);
	mech_lastwriter_open(&lw, mech_repo_git(repo), cfg, file);
	free(file);
	rc = mech_lastwriter_update(lw, &head);
	if (rc == 0)
		rc = mech_lastwriter_get(lw, path, out);
	mech_lastwriter_free(lw);
	return rc;
}

static char *yaml_text_at(git_repository *git, git_tree *tree, const char *path, const char *key)
{
	mech_buf b = MECH_BUF_INIT;
	mech_yaml *doc = NULL;
	char *v = NULL;
	if (mech_tree_read(git, tree, path, MAX_MANIFEST, &b) > 0 &&
	    mech_yaml_parse(&doc, b.ptr, b.len, path, NULL) == 0) {
		const mech_yaml *n = mech_yaml_path(doc, key);
		if (n && n->kind == MECH_YAML_SEQ && n->len)
			n = n->items[0];
		if (mech_yaml_text(n))
			v = mech_strdup(mech_yaml_text(n));
	}
	mech_error_clear();
	mech_yaml_free(doc);
	mech_buf_dispose(&b);
	return v;
}

static void list_files(git_repository *git, git_tree *tree, const char *dir, mech_strv *out)
{
	mech_strv names = MECH_STRV_INIT;
	size_t i;
	git_tree_entry *e = NULL;
	if (!mech_tree_list(git, tree, dir, &names))
		return;
	for (i = 0; i < names.len; i++) {
		char *p = mech_sprintf("%s/%s", dir, names.items[i]);
		if (git_tree_entry_bypath(&e, tree, p) == 0 &&
		    git_tree_entry_type(e) == GIT_OBJECT_TREE)
			list_files(git, tree, p, out);
		else
			mech_strv_push(out, p);
		git_tree_entry_free(e);
		e = NULL;
		free(p);
	}
	mech_strv_dispose(&names);
}

static int load_app(mech_repo *repo, mech_lastwriter *lw, git_tree *tree, const char *name,
		    mech_app_state *app)
{
	git_repository *git = mech_repo_git(repo);
	mech_buf b = MECH_BUF_INIT;
	mech_strv inst = MECH_STRV_INIT;
	char *path, *dir;
	size_t i;

	memset(app, 0, sizeof(*app));
	app->name = mech_strdup(name);
	path = mech_sprintf("apps/%s/base/deployment.yaml", name);
	if (mech_tree_read(git, tree, path, MAX_MANIFEST, &b) > 0) {
		mech_yaml *doc = NULL;
		if (mech_yaml_parse(&doc, b.ptr, b.len, path, NULL) == 0) {
			const mech_yaml *cs = mech_yaml_path(doc, "spec.template.spec.containers");
			const char *r = mech_yaml_path_text(doc, "spec.replicas");
			app->replicas = r ? atoi(r) : 1;
			if (cs && cs->kind == MECH_YAML_SEQ && cs->len) {
				const mech_yaml *c = cs->items[0];
				const mech_yaml *ports = mech_yaml_get(c, "ports");
				if (mech_yaml_path_text(c, "image"))
					app->base_image = mech_strdup(mech_yaml_path_text(c, "image"));
				if (ports && ports->kind == MECH_YAML_SEQ && ports->len &&
				    mech_yaml_path_text(ports->items[0], "containerPort"))
					app->port = atoi(mech_yaml_path_text(ports->items[0],
									     "containerPort"));
			}
		}
		mech_yaml_free(doc);
		mech_error_clear();
	}
	free(path);
	dir = mech_sprintf("apps/%s/overlays", name);
	mech_tree_list(git, tree, dir, &inst);
	free(dir);
	app->instances = mech_calloc(inst.len, sizeof(*app->instances));
	for (i = 0; i < inst.len; i++) {
		mech_instance_state *in = &app->instances[app->ninstances++];
		in->name = mech_strdup(inst.items[i]);
		in->overlay_path = mech_sprintf("apps/%s/overlays/%s/kustomization.yaml", name,
						inst.items[i]);
		if (mech_tree_read(git, tree, in->overlay_path, MAX_MANIFEST, &b) > 0 &&
		    app->base_image &&
		    mech_manifest_overlay_image(b.ptr, b.len, app->base_image, &in->image) < 0)
			mech_error_clear();
		mech_lastwriter_get(lw, in->overlay_path, &in->writer);
		path = mech_sprintf("network/routes/%s/%s.yaml", name, inst.items[i]);
		in->route_host = yaml_text_at(git, tree, path, "spec.hostnames");
		if (in->route_host)
			in->route_path = path;
		else
			free(path);
	}
	dir = mech_sprintf("apps/%s", name);
	list_files(git, tree, dir, &app->files);
	free(dir);
	app->writers = mech_calloc(app->files.len, sizeof(*app->writers));
	for (i = 0; i < app->files.len; i++)
		mech_lastwriter_get(lw, app->files.items[i], &app->writers[i]);
	mech_strv_dispose(&inst);
	mech_buf_dispose(&b);
	return 0;
}

static int open_head(mech_repo *repo, git_tree **tree, mech_lastwriter **lw)
{
	const mech_config *cfg = mech_repo_config(repo);
	git_oid head;
	char *file;
	*tree = NULL;
	*lw = NULL;
	if (mech_repo_head_tree(repo, tree) < 0 || mech_repo_head(repo, &head) < 0)
		return -1;
	file = mech_sprintf("%s/cache/%s/lastwriter-%s.idx", cfg->home, mech_repo_tenant(repo),
			    cfg->gitops_branch);
	mech_lastwriter_open(lw, mech_repo_git(repo), cfg, file);
	free(file);
	if (mech_lastwriter_update(*lw, &head) < 0) {
		git_tree_free(*tree);
		mech_lastwriter_free(*lw);
		return -1;
	}
	return 0;
}

int mech_app_list(mech_repo *repo, mech_app_state **out, size_t *n)
{
	git_tree *tree;
	mech_lastwriter *lw;
	mech_strv names = MECH_STRV_INIT;
	size_t i;
	*out = NULL;
	*n = 0;
	if (open_head(repo, &tree, &lw) < 0)
		return -1;
	mech_tree_list(mech_repo_git(repo), tree, "apps", &names);
	*out = mech_calloc(names.len, sizeof(**out));
	for (i = 0; i < names.len; i++)
		load_app(repo, lw, tree, names.items[i], &(*out)[(*n)++]);
	mech_strv_dispose(&names);
	mech_lastwriter_free(lw);
	git_tree_free(tree);
	return 0;
}

int mech_app_get(mech_repo *repo, const char *app, mech_app_state **out)
{
	git_tree *tree;
	mech_lastwriter *lw;
	mech_strv names = MECH_STRV_INIT;
	int rc = -1;
	char *dir;
	*out = NULL;
	if (mech_validate_name("app name", app) < 0 || open_head(repo, &tree, &lw) < 0)
		return -1;
	dir = mech_sprintf("apps/%s", app);
	if (!mech_tree_list(mech_repo_git(repo), tree, dir, &names)) {
		mech_error_set(MECH_ENOT_FOUND, "app %s not found in %s/gitops", app,
			       mech_repo_tenant(repo));
		mech_error_hint("list apps with `mech app list`");
	} else {
		*out = mech_calloc(1, sizeof(**out));
		rc = load_app(repo, lw, tree, app, *out);
	}
	free(dir);
	mech_strv_dispose(&names);
	mech_lastwriter_free(lw);
	git_tree_free(tree);
	return rc;
}

void mech_app_state_free(mech_app_state *apps, size_t n)
{
	size_t i, j;
	for (i = 0; apps && i < n; i++) {
		mech_app_state *a = &apps[i];
		for (j = 0; j < a->ninstances; j++) {
			free(a->instances[j].name);
			free(a->instances[j].image);
			free(a->instances[j].overlay_path);
			free(a->instances[j].route_path);
			free(a->instances[j].route_host);
		}
		free(a->instances);
		free(a->name);
		free(a->base_image);
		mech_strv_dispose(&a->files);
		free(a->writers);
	}
	free(apps);
}

int mech_app_pick_instance(const mech_app_state *app, const char *instance,
			   const mech_instance_state **out)
{
	size_t i;
	mech_buf names = MECH_BUF_INIT;
	for (i = 0; i < app->ninstances; i++) {
		if (instance ? !strcmp(app->instances[i].name, instance) : app->ninstances == 1) {
			*out = &app->instances[i];
			mech_buf_dispose(&names);
			return 0;
		}
		mech_buf_printf(&names, "%s%s", i ? ", " : "", app->instances[i].name);
	}
	if (instance)
		mech_error_set(MECH_ENOT_FOUND, "instance %s of app %s not found", instance, app->name);
	else
		mech_error_set(MECH_EUSAGE, "app %s has %zu instances (%s); name one with -i INSTANCE",
			       app->name, app->ninstances, mech_buf_cstr(&names));
	mech_error_hint("instances of %s: %s", app->name,
			names.len ? names.ptr : "none");
	mech_buf_dispose(&names);
	return -1;
}
