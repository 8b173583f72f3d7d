/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Desired state from Git: apps, their instances and images, routes, and
 * the last writer of each file. Read-only; nothing here writes.
 */
#include "mech/app.h"
#include "mech/checksum.h"
#include "mech/error.h"
#include "mech/lastwriter.h"
#include "mech/manifest.h"
#include "mech/validate.h"
#include "mech/yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MANIFEST (1024 * 1024)

/* The last-writer index, moved to the branch head. */
static int open_index(mech_repo *repo, mech_lastwriter **lw)
{
	git_oid head;
	char *file;
	*lw = NULL;
	if (mech_repo_head(repo, &head) < 0)
		return -1;
	file = mech_repo_cache_file(repo, "lastwriter", "idx");
	mech_lastwriter_open(lw, mech_repo_git(repo), mech_repo_config(repo), file);
	free(file);
	if (mech_lastwriter_update(*lw, &head) < 0) {
		mech_lastwriter_free(*lw);
		*lw = NULL;
		return -1;
	}
	return 0;
}

int mech_repo_last_writer(mech_repo *repo, const char *path, mech_writer *out)
{
	mech_lastwriter *lw;
	int rc;
	memset(out, 0, sizeof(*out));
	if (open_index(repo, &lw) < 0)
		return -1;
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

/* Every file below `t` as prefix/…, names sorted at each level. */
static void list_files(git_repository *git, git_tree *t, const char *prefix, mech_strv *out)
{
	mech_strv names = MECH_STRV_INIT;
	size_t i;
	if (!mech_tree_list(git, t, "", &names))
		return;
	for (i = 0; i < names.len; i++) {
		const git_tree_entry *e = git_tree_entry_byname(t, names.items[i]);
		char *p = mech_sprintf("%s/%s", prefix, names.items[i]);
		git_tree *sub = NULL;
		if (e && git_tree_entry_type(e) == GIT_OBJECT_TREE &&
		    git_tree_lookup(&sub, git, git_tree_entry_id(e)) == 0)
			list_files(git, sub, p, out);
		else
			mech_strv_push(out, p);
		git_error_clear();
		git_tree_free(sub);
		free(p);
	}
	mech_strv_dispose(&names);
}

/* The tree an entry of `t` names, or NULL (absent, or not a tree). */
static git_tree *subtree_of(git_repository *git, git_tree *t, const char *name)
{
	const git_tree_entry *e = t ? git_tree_entry_byname(t, name) : NULL;
	git_tree *sub = NULL;
	if (e && git_tree_entry_type(e) == GIT_OBJECT_TREE &&
	    git_tree_lookup(&sub, git, git_tree_entry_id(e)) < 0)
		git_error_clear();
	return sub;
}

/* An instance's overlay and route paths (mech/app.h); the route's only when it has one. */
static void instance_paths(const char *app, mech_instance_state *in)
{
	in->overlay_path = mech_layout_overlay_path(app, in->name);
	if (in->route_host)
		in->route_path = mech_layout_route_path(app, in->name);
}

/*
 * An app's desired state: a function of its directory apps/<name>/ (`app`,
 * NULL when it is not a tree) and its routes directory network/routes/<name>/
 * (`routes`, NULL when absent)
 * only. Everything is read from those two trees, never through the root:
 * over 10,000 apps, each walk down from the root would pass the large apps/
 * tree again.
 */
static int load_app(mech_repo *repo, git_tree *app_tree, git_tree *routes, const char *name,
		    mech_app_state *app)
{
	git_repository *git = mech_repo_git(repo);
	mech_buf b = MECH_BUF_INIT;
	mech_strv inst = MECH_STRV_INIT;
	char *path, *dir;
	size_t i;

	memset(app, 0, sizeof(*app));
	app->name = mech_strdup(name);
	path = mech_layout_app_file(name, MECH_LAYOUT_BASE_DEPLOYMENT);
	if (mech_tree_read(git, app_tree, MECH_LAYOUT_BASE_DEPLOYMENT, MAX_MANIFEST, &b) > 0) {
		mech_yaml *doc = NULL;
		if (mech_yaml_parse(&doc, b.ptr, b.len, path, NULL) == 0) {
			const mech_yaml *cs = mech_yaml_path(doc, "spec.template.spec.containers");
			const char *r = mech_yaml_path_text(doc, "spec.replicas");
			app->replicas = r ? atoi(r) : 1;
			if (cs && cs->kind == MECH_YAML_SEQ && cs->len) {
				const mech_yaml *c = cs->items[0];
				const mech_yaml *ports = mech_yaml_get(c, "ports");
				if (mech_yaml_path_text(c, "image"))
					app->base_image = mech_strdup(
						mech_yaml_path_text(c, "image"));
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
	mech_tree_list(git, app_tree, MECH_LAYOUT_OVERLAYS, &inst);
	app->instances = mech_calloc(inst.len, sizeof(*app->instances));
	for (i = 0; i < inst.len; i++) {
		mech_instance_state *in = &app->instances[app->ninstances++];
		in->name = mech_strdup(inst.items[i]);
		/* read inside the app's own trees: the paths below are relative to them */
		path = mech_layout_overlay_in_app(inst.items[i]);
		if (mech_tree_read(git, app_tree, path, MAX_MANIFEST, &b) > 0 && app->base_image &&
		    mech_manifest_overlay_image(b.ptr, b.len, app->base_image, &in->image) < 0)
			mech_error_clear();
		free(path);
		path = mech_layout_route_file(inst.items[i]);
		in->route_host = yaml_text_at(git, routes, path, "spec.hostnames");
		free(path);
		instance_paths(name, in);
	}
	if (app_tree) {
		dir = mech_layout_app_dir(name);
		list_files(git, app_tree, dir, &app->files);
		free(dir);
	}
	mech_strv_dispose(&inst);
	mech_buf_dispose(&b);
	return 0;
}

/*
 * The last writers of an app's overlays and, with MECH_APP_FILE_WRITERS, of
 * all its files (from the index, not from Git objects). The files' are most
 * of the lookups (an app has several files per overlay) and only `app info`
 * and the console show them.
 */
static void load_writers(mech_lastwriter *lw, mech_app_state *app, unsigned fill)
{
	size_t i;
	for (i = 0; i < app->ninstances; i++)
		mech_lastwriter_get(lw, app->instances[i].overlay_path, &app->instances[i].writer);
	if (!(fill & MECH_APP_FILE_WRITERS))
		return;
	app->writers = mech_calloc(app->files.len, sizeof(*app->writers));
	for (i = 0; i < app->files.len; i++)
		mech_lastwriter_get(lw, app->files.items[i], &app->writers[i]);
}

static int open_head(mech_repo *repo, git_tree **tree, mech_lastwriter **lw)
{
	*lw = NULL;
	if (mech_repo_head_tree(repo, tree) < 0)
		return -1;
	if (open_index(repo, lw) < 0) {
		git_tree_free(*tree);
		*tree = NULL;
		return -1;
	}
	return 0;
}

/* ---- the app cache ----
 *
 * An app's desired state is a function of two tree ids: apps/<name> and
 * network/routes/<name>. Listing 10,000 apps from Git reads some 70,000
 * objects (and with them the whole pack index); the cache keeps each app's
 * state under those ids, so a listing reads the apps/ tree and only the
 * apps whose trees changed; when the apps/ and network/routes/ trees are the
 * ones the file was written from, not even those two trees are read (the
 * apps/ tree of a long history is often a deep delta chain, which libgit2
 * resolves through a cache of every step). It is a cache: a file whose
 * checksum (mech/checksum.h, over every line after the first) does not
 * match, or of another version, is not read at all, every app is read from
 * Git, and the file is rewritten whenever an app had to be read from Git.
 *
 *	mech-apps 3 <apps/ tree> <network/routes/ tree or zeros> <sum>
 *	A <app tree> <routes tree or zeros> <name> <base image> <port> <replicas>
 *	I <instance> <image> <route host>	one per instance, in order
 *	F <path>				one per file under apps/<name>/
 *
 * Fields are separated by one space and escaped as mech_buf_put_field()
 * writes them (mech/buf.h).
 */
#define APP_CACHE_MAGIC "mech-apps 3"

/*
 * What an app's listing is read from: the trees apps/<name> and
 * network/routes/<name>, zeros when absent. The same two ids are the same
 * files, so the same listing and the same last writers (a commit that
 * touched neither did not write them). The same rule covers all apps at
 * once with the apps/ and network/routes/ trees themselves. This is the one
 * place it is written; the app cache and the console's update both ask it.
 */
typedef struct {
	git_oid app, routes;
} app_source;

static int same_source(const app_source *a, const app_source *b)
{
	return git_oid_equal(&a->app, &b->app) && git_oid_equal(&a->routes, &b->routes);
}

typedef struct {
	app_source src;
	mech_app_state state;
	int used;
} cached_app;

static void app_state_dispose(mech_app_state *a);

static int by_name(const void *a, const void *b)
{
	return strcmp(((const cached_app *)a)->state.name, ((const cached_app *)b)->state.name);
}

static int by_cached_name(const void *key, const void *c)
{
	return strcmp(key, ((const cached_app *)c)->state.name);
}

static char *dup_or_null(const char *s)
{
	return s ? mech_strdup(s) : NULL;
}

/* The cached apps, sorted by name, and the two trees they were listed from. */
static size_t app_cache_load(mech_repo *repo, cached_app **out, app_source *from)
{
	mech_buf b = MECH_BUF_INIT;
	cached_app *v = NULL, *cur = NULL;
	size_t n = 0;
	char *file = mech_repo_cache_file(repo, "apps", "cache"), *p, *nl;
	size_t magic = strlen(APP_CACHE_MAGIC);

	*out = NULL;
	memset(from, 0, sizeof(*from));
	if (mech_buf_read_file(&b, file, 256u * 1024 * 1024) < 0) {
		mech_error_clear();
		goto done;
	}
	nl = strchr(b.ptr, '\n');
	if (!nl || (size_t)(nl - b.ptr) != magic + 3 + 2 * GIT_OID_HEXSZ + MECH_CHECKSUM_HEXSZ ||
	    strncmp(b.ptr, APP_CACHE_MAGIC " ", magic + 1) || !mech_checksum_sealed(b.ptr, b.len) ||
	    git_oid_fromstrn(&from->app, b.ptr + magic + 1, GIT_OID_HEXSZ) < 0 ||
	    git_oid_fromstrn(&from->routes, b.ptr + magic + 2 + GIT_OID_HEXSZ, GIT_OID_HEXSZ) < 0) {
		memset(from, 0, sizeof(*from));
		goto done;
	}
	for (p = nl + 1; (nl = strchr(p, '\n')); p = nl + 1) {
		char *f[8];
		size_t k;
		*nl = '\0';
		k = mech_fields_split(p, f, 8);
		if (k == 7 && f[0] && !strcmp(f[0], "A") && f[1] && f[2] && f[3] && f[5] && f[6]) {
			v = mech_reallocarray(v, n + 1, sizeof(*v));
			cur = &v[n++];
			memset(cur, 0, sizeof(*cur));
			if (git_oid_fromstr(&cur->src.app, f[1]) < 0 ||
			    git_oid_fromstr(&cur->src.routes, f[2]) < 0)
				break; /* damaged: the apps before it are still good */
			cur->state.name = mech_strdup(f[3]);
			cur->state.base_image = dup_or_null(f[4]);
			cur->state.port = atoi(f[5]);
			cur->state.replicas = atoi(f[6]);
		} else if (cur && k == 4 && f[0] && !strcmp(f[0], "I") && f[1]) {
			mech_app_state *a = &cur->state;
			mech_instance_state *in;
			a->instances = mech_reallocarray(a->instances, a->ninstances + 1,
							 sizeof(*in));
			in = &a->instances[a->ninstances++];
			memset(in, 0, sizeof(*in));
			in->name = mech_strdup(f[1]);
			in->image = dup_or_null(f[2]);
			in->route_host = dup_or_null(f[3]);
			instance_paths(a->name, in);
		} else if (cur && k == 2 && f[0] && !strcmp(f[0], "F") && f[1]) {
			mech_strv_push(&cur->state.files, f[1]);
		} else {
			break;
		}
	}
	/* stopped short (a torn or damaged line): the last app may be incomplete,
	 * and the file no longer stands for the whole apps/ tree */
	if (p != b.ptr + b.len) {
		memset(from, 0, sizeof(*from));
		if (n)
			app_state_dispose(&v[--n].state);
	}
	if (n)
		qsort(v, n, sizeof(*v), by_name);
done:
	if (n) {
		*out = v;
	} else {
		free(v);
	}
	mech_buf_dispose(&b);
	free(file);
	return n;
}

static void app_cache_save(mech_repo *repo, const cached_app *v, size_t n, const app_source *from)
{
	mech_buf b = MECH_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1], num[32], sum[MECH_CHECKSUM_HEXSZ + 1];
	size_t i, j;

	mech_buf_puts(&b, APP_CACHE_MAGIC);
	mech_buf_put_field(&b, git_oid_tostr(hex, sizeof(hex), &from->app));
	mech_buf_put_field(&b, git_oid_tostr(hex, sizeof(hex), &from->routes));
	mech_buf_put_field(&b, mech_checksum_hex(sum, 0)); /* sealed below */
	mech_buf_putc(&b, '\n');
	for (i = 0; i < n; i++) {
		const mech_app_state *a = &v[i].state;
		mech_buf_puts(&b, "A");
		mech_buf_put_field(&b, git_oid_tostr(hex, sizeof(hex), &v[i].src.app));
		mech_buf_put_field(&b, git_oid_tostr(hex, sizeof(hex), &v[i].src.routes));
		mech_buf_put_field(&b, a->name);
		mech_buf_put_field(&b, a->base_image);
		snprintf(num, sizeof(num), "%d", a->port);
		mech_buf_put_field(&b, num);
		snprintf(num, sizeof(num), "%d", a->replicas);
		mech_buf_put_field(&b, num);
		mech_buf_putc(&b, '\n');
		for (j = 0; j < a->ninstances; j++) {
			mech_buf_puts(&b, "I");
			mech_buf_put_field(&b, a->instances[j].name);
			mech_buf_put_field(&b, a->instances[j].image);
			mech_buf_put_field(&b, a->instances[j].route_host);
			mech_buf_putc(&b, '\n');
		}
		for (j = 0; j < a->files.len; j++) {
			mech_buf_puts(&b, "F");
			mech_buf_put_field(&b, a->files.items[j]);
			mech_buf_putc(&b, '\n');
		}
	}
	mech_checksum_seal(b.ptr, b.len);
	mech_repo_cache_write(repo, "apps", "cache", b.ptr, b.len);
	mech_buf_dispose(&b);
}

/* The id of the tree at `path`, or zeros when there is none. */
static void tree_id_at(git_tree *root, const char *path, git_oid *out)
{
	git_tree_entry *e = NULL;
	memset(out, 0, sizeof(*out));
	if (git_tree_entry_bypath(&e, root, path) == 0 && git_tree_entry_type(e) == GIT_OBJECT_TREE)
		*out = *git_tree_entry_id(e);
	git_error_clear();
	git_tree_entry_free(e);
}

static git_tree *tree_or_null(git_repository *git, const git_oid *id)
{
	git_tree *t = NULL;
	if (!git_oid_is_zero(id) && git_tree_lookup(&t, git, id) < 0)
		git_error_clear();
	return t;
}

/* what all apps are read from: the apps/ and network/routes/ trees of `root` */
static void all_source(git_tree *root, app_source *out)
{
	tree_id_at(root, MECH_LAYOUT_APPS, &out->app);
	tree_id_at(root, MECH_LAYOUT_ROUTES, &out->routes);
}

/* what app `name` is read from, in the apps/ and network/routes/ trees given */
static void app_source_of(git_tree *apps, git_tree *routes, const char *name, app_source *out)
{
	const git_tree_entry *a = apps ? git_tree_entry_byname(apps, name) : NULL;
	const git_tree_entry *r = routes ? git_tree_entry_byname(routes, name) : NULL;
	memset(out, 0, sizeof(*out));
	if (a)
		out->app = *git_tree_entry_id(a);
	if (r)
		out->routes = *git_tree_entry_id(r);
}

int mech_app_list_filled(mech_repo *repo, unsigned fill, mech_app_state **out, size_t *n)
{
	git_repository *git = mech_repo_git(repo);
	git_tree *tree, *apps = NULL, *routes = NULL;
	app_source all, cached;
	mech_lastwriter *lw;
	cached_app *cache = NULL, *now, *hit;
	size_t ncache, nnow = 0, i;
	int changed = 0;

	*out = NULL;
	*n = 0;
	if (open_head(repo, &tree, &lw) < 0)
		return -1;
	all_source(tree, &all);
	ncache = app_cache_load(repo, &cache, &cached);
	if (ncache && same_source(&all, &cached)) {
		/* the same two trees: the file is the listing */
		now = cache;
		nnow = ncache;
		cache = NULL;
		ncache = 0;
		goto listed;
	}
	apps = tree_or_null(git, &all.app);
	routes = tree_or_null(git, &all.routes);
	now = mech_calloc(apps ? git_tree_entrycount(apps) : 0, sizeof(*now));
	for (i = 0; apps && i < git_tree_entrycount(apps); i++) {
		const char *name = git_tree_entry_name(git_tree_entry_byindex(apps, i));
		cached_app *c = &now[nnow++];
		app_source_of(apps, routes, name, &c->src);
		hit = ncache ? bsearch(name, cache, ncache, sizeof(*cache), by_cached_name) : NULL;
		if (hit && !hit->used && same_source(&hit->src, &c->src)) {
			c->state = hit->state;
			hit->used = 1;
		} else {
			git_tree *at = subtree_of(git, apps, name),
				 *rt = subtree_of(git, routes, name);
			load_app(repo, at, rt, name, &c->state);
			git_tree_free(at);
			git_tree_free(rt);
			changed = 1;
		}
	}
	/* by name, as `app list` has always printed them (git's tree order differs) */
	if (nnow)
		qsort(now, nnow, sizeof(*now), by_name);
	if (changed || nnow != ncache || !same_source(&all, &cached))
		app_cache_save(repo, now, nnow, &all);
listed:
	*out = mech_calloc(nnow, sizeof(**out));
	for (i = 0; i < nnow; i++) {
		(*out)[i] = now[i].state;
		load_writers(lw, &(*out)[i], fill);
	}
	*n = nnow;
	for (i = 0; i < ncache; i++)
		if (!cache[i].used)
			app_state_dispose(&cache[i].state);
	free(cache);
	free(now);
	git_tree_free(apps);
	git_tree_free(routes);
	mech_lastwriter_free(lw);
	git_tree_free(tree);
	return 0;
}

int mech_app_list(mech_repo *repo, mech_app_state **out, size_t *n)
{
	return mech_app_list_filled(repo, MECH_APP_FILE_WRITERS, out, n);
}

/* what all apps are read from at `commit` */
static int commit_source(git_repository *git, const git_oid *commit, app_source *out)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	if (git_commit_lookup(&c, git, commit) < 0 || git_commit_tree(&t, c) < 0) {
		git_commit_free(c);
		return mech_error_git(MECH_EFAILED, "cannot read commit");
	}
	all_source(t, out);
	git_tree_free(t);
	git_commit_free(c);
	return 0;
}

static int by_state_name(const void *key, const void *s)
{
	return strcmp(key, ((const mech_app_state *)s)->name);
}

static int by_state(const void *a, const void *b)
{
	return strcmp(((const mech_app_state *)a)->name, ((const mech_app_state *)b)->name);
}

int mech_app_list_update(mech_repo *repo, const git_oid *from, mech_app_state **apps, size_t *n,
			 git_oid *at)
{
	git_repository *git = mech_repo_git(repo);
	git_oid head, was;
	app_source old_all, all, old_src, src;
	git_tree *old_apps = NULL, *old_routes = NULL, *new_apps = NULL, *new_routes = NULL;
	mech_app_state *now = NULL;
	mech_lastwriter *lw = NULL;
	unsigned char *moved;
	size_t nnow = 0, i, count;

	if (mech_repo_sync(repo) < 0 || mech_repo_head(repo, &head) < 0)
		return -1;
	if (from) /* `at` may be `from` itself */
		git_oid_cpy(&was, from);
	git_oid_cpy(at, &head);
	from = from ? &was : NULL;
	if (from && *apps && git_oid_equal(from, &head))
		return 0; /* listed at this very commit */
	if (!from || !*apps || git_graph_descendant_of(git, &head, from) != 1 ||
	    commit_source(git, from, &old_all) < 0 || commit_source(git, &head, &all) < 0) {
		/* nothing listed yet, or a history that is not a continuation:
		 * a whole listing (its own head, read again) */
		git_error_clear();
		mech_error_clear();
		mech_app_state_free(*apps, *n);
		*apps = NULL;
		*n = 0;
		return mech_app_list(repo, apps, n);
	}
	if (same_source(&all, &old_all))
		return 0; /* no app changed: their files, and so their last writers, are the same */
	if (open_index(repo, &lw) < 0)
		return -1;
	old_apps = tree_or_null(git, &old_all.app);
	old_routes = tree_or_null(git, &old_all.routes);
	new_apps = tree_or_null(git, &all.app);
	new_routes = tree_or_null(git, &all.routes);
	count = new_apps ? git_tree_entrycount(new_apps) : 0;
	now = mech_calloc(count ? count : 1, sizeof(*now));
	moved = mech_calloc(*n ? *n : 1, 1);
	for (i = 0; i < count; i++) {
		const char *name = git_tree_entry_name(git_tree_entry_byindex(new_apps, i));
		mech_app_state *old = bsearch(name, *apps, *n, sizeof(**apps), by_state_name);
		app_source_of(old_apps, old_routes, name, &old_src);
		app_source_of(new_apps, new_routes, name, &src);
		if (old && !moved[old - *apps] && same_source(&old_src, &src)) {
			/* unchanged since `from`, which `head` continues: same writers too */
			now[nnow++] = *old;
			moved[old - *apps] = 1;
		} else {
			git_tree *at_tree = subtree_of(git, new_apps, name),
				 *rt = subtree_of(git, new_routes, name);
			load_app(repo, at_tree, rt, name, &now[nnow]);
			load_writers(lw, &now[nnow], MECH_APP_FILE_WRITERS);
			nnow++;
			git_tree_free(at_tree);
			git_tree_free(rt);
		}
	}
	if (nnow)
		qsort(now, nnow, sizeof(*now), by_state);
	for (i = 0; i < *n; i++)
		if (!moved[i])
			app_state_dispose(&(*apps)[i]);
	free(moved);
	free(*apps);
	*apps = now;
	*n = nnow;
	git_tree_free(old_apps);
	git_tree_free(old_routes);
	git_tree_free(new_apps);
	git_tree_free(new_routes);
	mech_lastwriter_free(lw);
	return 0;
}

int mech_app_get(mech_repo *repo, const char *app, mech_app_state **out)
{
	git_repository *git = mech_repo_git(repo);
	git_tree *tree, *app_tree, *routes = NULL;
	git_oid id;
	mech_lastwriter *lw;
	char *dir;
	int rc = -1;
	*out = NULL;
	if (mech_validate_name("app name", app) < 0 || open_head(repo, &tree, &lw) < 0)
		return -1;
	dir = mech_layout_app_dir(app);
	tree_id_at(tree, dir, &id);
	app_tree = tree_or_null(git, &id);
	free(dir);
	if (!app_tree) {
		mech_strv apps = MECH_STRV_INIT;
		git_tree *all;
		size_t i;
		tree_id_at(tree, MECH_LAYOUT_APPS, &id);
		all = tree_or_null(git, &id);
		for (i = 0; all && i < git_tree_entrycount(all); i++)
			mech_strv_push(&apps, git_tree_entry_name(git_tree_entry_byindex(all, i)));
		git_tree_free(all);
		mech_app_not_found(repo, app, &apps);
		mech_strv_dispose(&apps);
	} else {
		dir = mech_layout_routes_dir(app);
		tree_id_at(tree, dir, &id);
		routes = tree_or_null(git, &id);
		free(dir);
		*out = mech_calloc(1, sizeof(**out));
		rc = load_app(repo, app_tree, routes, app, *out);
		load_writers(lw, *out, MECH_APP_FILE_WRITERS);
	}
	git_tree_free(app_tree);
	git_tree_free(routes);
	mech_lastwriter_free(lw);
	git_tree_free(tree);
	return rc;
}

static void app_state_dispose(mech_app_state *a)
{
	size_t j;
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

void mech_app_state_free(mech_app_state *apps, size_t n)
{
	size_t i;
	for (i = 0; apps && i < n; i++)
		app_state_dispose(&apps[i]);
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
		mech_error_set(MECH_ENOT_FOUND, "instance %s of app %s not found", instance,
			       app->name);
	else
		mech_error_set(MECH_EUSAGE,
			       "app %s has %zu instances (%s); name one with -i INSTANCE",
			       app->name, app->ninstances, mech_buf_cstr(&names));
	mech_error_hint("instances of %s: %s", app->name, names.len ? names.ptr : "none");
	mech_buf_dispose(&names);
	return -1;
}
