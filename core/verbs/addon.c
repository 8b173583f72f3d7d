/* SPDX-License-Identifier: Apache-2.0 */
/* Addon verbs and the catalog. */
#include "mech/addon.h"
#include "mech/error.h"
#include "mech/kube.h"
#include "mech/layout.h"
#include "mech/manifest.h"
#include "mech/quantity.h"
#include "mech/tree.h"
#include "mech/validate.h"
#include "mech/yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const mech_addon_param postgres_params[] = {
	{"version", "PostgreSQL major version", "17", NULL, NULL, "17|18", 1},
	{"storage", "volume size per instance", "1Gi", "1Gi", "10Gi", NULL, 1},
	{"memory", "memory request and limit", "512Mi", "256Mi", "1Gi", NULL, 0},
};

static const mech_addon_type catalog[] = {
	{"postgres", "PostgreSQL, run by CloudNativePG (one instance; database app, owner app)",
	 "postgresql.cnpg.io/v1 Cluster", postgres_params,
	 sizeof(postgres_params) / sizeof(*postgres_params)},
};

const mech_addon_type *mech_addon_types(size_t *n)
{
	*n = sizeof(catalog) / sizeof(*catalog);
	return catalog;
}

const mech_addon_type *mech_addon_type_find(const char *type)
{
	char q[MECH_ESCAPE_SIZE];
	size_t i;
	for (i = 0; i < sizeof(catalog) / sizeof(*catalog); i++)
		if (!strcmp(catalog[i].type, type))
			return &catalog[i];
	mech_error_set(MECH_EINVALID, "unknown addon type \"%s\": available: postgres",
		       mech_error_escape(q, type));
	mech_error_hint("see `mech addon type list`");
	return NULL;
}

static const mech_addon_param *param(const mech_addon_type *t, const char *name)
{
	size_t i;
	for (i = 0; i < t->nparams; i++)
		if (!strcmp(t->params[i].name, name))
			return &t->params[i];
	return NULL;
}

/* A value within the catalog's bounds for a parameter. */
static int check_param(const mech_addon_type *t, const char *name, const char *v)
{
	const mech_addon_param *p = param(t, name);
	unsigned long long q, lo, hi;
	char shown[MECH_ESCAPE_SIZE];
	if (p->choices) {
		const char *c = p->choices;
		while (*c) {
			size_t n = strcspn(c, "|");
			if (strlen(v) == n && !strncmp(c, v, n))
				return 0;
			c += n + (c[n] == '|');
		}
		return mech_error_set(MECH_EINVALID, "invalid --%s \"%s\" for %s: one of %s", name,
				      mech_error_escape(shown, v), t->type, p->choices);
	}
	if (mech_quantity_parse(v, &q) < 0 || mech_quantity_parse(p->min, &lo) < 0 ||
	    mech_quantity_parse(p->max, &hi) < 0 || q < lo || q > hi) {
		mech_error_set(MECH_EINVALID, "invalid --%s \"%s\" for %s: a size from %s to %s",
			       name, mech_error_escape(shown, v), t->type, p->min, p->max);
		return mech_error_hint("Kubernetes quantities, e.g. %s", p->def);
	}
	return 0;
}

typedef struct {
	mech_repo *repo;
	const mech_addon_opts *o;
} addon_ctx;

/* Version (major), storage, memory and instances of a Cluster file; fields stay as they are when absent. */
static void cluster_fields(const mech_buf *b, const char *file, mech_addon_state *a)
{
	mech_yaml *doc = NULL;
	if (mech_yaml_parse(&doc, b->ptr, b->len, file, NULL) == 0) {
		const char *img = mech_yaml_path_text(doc, "spec.imageName");
		const char *st = mech_yaml_path_text(doc, "spec.storage.size");
		const char *mem = mech_yaml_path_text(doc, "spec.resources.requests.memory");
		const char *inst = mech_yaml_path_text(doc, "spec.instances");
		if (img && strrchr(img, ':'))
			a->version = mech_strndup(strrchr(img, ':') + 1,
						  strcspn(strrchr(img, ':') + 1, "-."));
		a->storage = st ? mech_strdup(st) : NULL;
		a->memory = mem ? mech_strdup(mem) : NULL;
		a->instances = inst ? atoi(inst) : 1;
	}
	mech_error_clear();
	mech_yaml_free(doc);
}

/* Two quantities (or strings that are not) the same? */
static int same_quantity(const char *a, const char *b)
{
	unsigned long long x, y;
	if (!a || !b)
		return a == b;
	if (mech_quantity_parse(a, &x) == 0 && mech_quantity_parse(b, &y) == 0)
		return x == y;
	mech_error_clear();
	return !strcmp(a, b);
}

/*
 * `addon create` of an addon Git already has (a retried command): 1 when it
 * has the asked version, storage and memory, else -1 (MECH_EEXISTS naming
 * each difference and the verb that changes it).
 */
static int addon_existing(const mech_buf *cur, const char *file, const mech_addon_opts *o,
			  const mech_postgres_spec *spec)
{
	mech_addon_state have;
	mech_buf why = MECH_BUF_INIT;
	char version[16];
	int rc = 1;
	memset(&have, 0, sizeof(have));
	cluster_fields(cur, file, &have);
	snprintf(version, sizeof(version), "%d", spec->version);
	if (!have.version || strcmp(have.version, version))
		mech_buf_printf(&why, "; version: Git has %s, asked %s",
				have.version ? have.version : "unknown", version);
	if (!same_quantity(have.storage, spec->storage))
		mech_buf_printf(&why, "; storage: Git has %s, asked %s",
				have.storage ? have.storage : "none", spec->storage);
	if (!same_quantity(have.memory, spec->memory))
		mech_buf_printf(&why,
				"; memory: Git has %s, asked %s (change it with `mech addon "
				"-n %s set --memory %s`)",
				have.memory ? have.memory : "none", spec->memory, o->name,
				spec->memory);
	if (why.len) {
		mech_error_set(MECH_EEXISTS, "addon %s already exists with other settings%s",
			       o->name, why.ptr);
		mech_error_hint("a create never changes an existing addon; only memory changes "
				"after create (`mech addon -n %s set`)",
				o->name);
		rc = -1;
	}
	free(have.version);
	free(have.storage);
	free(have.memory);
	mech_buf_dispose(&why);
	return rc;
}

static int plan_create(mech_txn *txn, void *payload)
{
	addon_ctx *c = payload;
	const mech_addon_opts *o = c->o;
	mech_postgres_spec spec;
	mech_buf out = MECH_BUF_INIT;
	char *file = mech_layout_addon_cluster_path(o->name), *secret, *image;
	int rc = -1;

	spec.tenant = mech_repo_tenant(c->repo);
	spec.name = o->name;
	spec.version = atoi(o->version ? o->version : "17");
	spec.storage = o->storage ? o->storage : "1Gi";
	spec.memory = o->memory ? o->memory : "512Mi";
	if (mech_txn_read(txn, file, &out) > 0) {
		/* a retried create: the same settings write nothing, others are refused */
		rc = addon_existing(&out, file, o, &spec) > 0 ? 0 : -1;
		goto done;
	}
	if (mech_manifest_postgres(&spec, &out) < 0)
		goto done;
	mech_txn_write_buf(txn, file, &out);
	mech_txn_summary(txn, "add postgres %s", o->name);
	mech_txn_body(txn, "type: postgres %d", spec.version);
	/* the pinned image, so the receipt says exactly what runs */
	image = mech_manifest_postgres_image(spec.version);
	mech_txn_body(txn, "image: %s", image);
	free(image);
	mech_txn_body(txn, "storage: %s", spec.storage);
	mech_txn_body(txn, "memory: %s", spec.memory);
	secret = mech_layout_addon_secret(o->name);
	mech_txn_body(txn, "credentials: Kubernetes secret %s (never in Git)", secret);
	free(secret);
	rc = 0;
done:
	mech_buf_dispose(&out);
	free(file);
	return rc;
}

int mech_addon_create(mech_repo *repo, const mech_write_opts *w, const mech_addon_opts *o,
		      mech_txn_result *res)
{
	const mech_addon_type *t;
	addon_ctx c = {repo, o};
	char *target;
	int rc;
	if (mech_validate_name("addon name", o->name) < 0 || !(t = mech_addon_type_find(o->type)) ||
	    (o->version && check_param(t, "version", o->version) < 0) ||
	    (o->storage && check_param(t, "storage", o->storage) < 0) ||
	    (o->memory && check_param(t, "memory", o->memory) < 0))
		return -1;
	target = mech_sprintf("addon/%s", o->name);
	rc = mech_write_apply(repo, w, "addon.create", target, 0, plan_create, &c, res);
	free(target);
	return rc;
}

/* "addon X not found", with the nearest of `names` (the tenant's addons) as a hint. */
int mech_addon_not_found(mech_repo *repo, const char *name, const mech_strv *names)
{
	const char *near = names ? mech_suggest(name, (const char *const *)names->items, names->len)
				 : NULL;
	mech_error_set(MECH_ENOT_FOUND, "addon %s not found in %s/gitops", name,
		       mech_repo_tenant(repo));
	if (near)
		return mech_error_hint("did you mean %s? (`mech addon -n %s info`)", near, near);
	return mech_error_hint("list addons with `mech addon list`");
}

/* Inside a plan. */
static int not_found_txn(mech_txn *txn, mech_repo *repo, const char *name)
{
	mech_strv names = MECH_STRV_INIT;
	mech_txn_list(txn, MECH_LAYOUT_ADDONS, &names);
	mech_addon_not_found(repo, name, &names);
	mech_strv_dispose(&names);
	return -1;
}

static int plan_set(mech_txn *txn, void *payload)
{
	addon_ctx *c = payload;
	mech_buf cur = MECH_BUF_INIT, out = MECH_BUF_INIT;
	char *file = mech_layout_addon_cluster_path(c->o->name);
	int rc = -1;
	if (mech_txn_read(txn, file, &cur) <= 0) {
		not_found_txn(txn, c->repo, c->o->name);
		goto done;
	}
	if (mech_manifest_postgres_set_memory(cur.ptr, cur.len, c->o->memory, &out) < 0)
		goto done;
	mech_txn_write_buf(txn, file, &out);
	mech_txn_summary(txn, "set memory of %s to %s", c->o->name, c->o->memory);
	rc = 0;
done:
	mech_buf_dispose(&cur);
	mech_buf_dispose(&out);
	free(file);
	return rc;
}

int mech_addon_set(mech_repo *repo, const mech_write_opts *w, const mech_addon_opts *o,
		   mech_txn_result *res)
{
	const mech_addon_type *t = mech_addon_type_find("postgres");
	addon_ctx c = {repo, o};
	char *target;
	int rc;
	if (mech_validate_name("addon name", o->name) < 0)
		return -1;
	if (o->version || o->storage) {
		mech_error_set(MECH_EINVALID,
			       "--%s cannot be changed after create: it is create-only",
			       o->version ? "version" : "storage");
		return mech_error_hint("create a new addon and migrate the data; only --memory can "
				       "be set");
	}
	if (!o->memory)
		return mech_error_set(MECH_EUSAGE, "nothing to set: give --memory M");
	if (check_param(t, "memory", o->memory) < 0)
		return -1;
	target = mech_sprintf("addon/%s", o->name);
	rc = mech_write_apply(repo, w, "addon.set", target, 0, plan_set, &c, res);
	free(target);
	return rc;
}

typedef struct {
	mech_repo *repo;
	const char *name;
} delete_ctx;

static int plan_delete(mech_txn *txn, void *payload)
{
	delete_ctx *c = payload;
	mech_strv files = MECH_STRV_INIT;
	char *dir = mech_layout_addon_dir(c->name);
	size_t i;
	int rc = -1;
	if (!mech_txn_list_files(txn, dir, &files)) {
		not_found_txn(txn, c->repo, c->name);
		goto done;
	}
	for (i = 0; i < files.len; i++)
		mech_txn_delete(txn, files.items[i]);
	mech_txn_summary(txn, "remove addon %s and its data", c->name);
	rc = 0;
done:
	mech_strv_dispose(&files);
	free(dir);
	return rc;
}

int mech_addon_delete(mech_repo *repo, const mech_write_opts *w, const char *name,
		      mech_txn_result *res)
{
	delete_ctx c = {repo, name};
	char *target;
	int rc;
	if (mech_validate_name("addon name", name) < 0)
		return -1;
	target = mech_sprintf("addon/%s", name);
	rc = mech_write_apply(repo, w, "addon.delete", target, 1, plan_delete, &c, res);
	free(target);
	return rc;
}

static void load_state(mech_repo *repo, git_tree *tree, const char *name, mech_addon_state *a)
{
	mech_buf b = MECH_BUF_INIT;
	memset(a, 0, sizeof(*a));
	a->name = mech_strdup(name);
	a->file = mech_layout_addon_cluster_path(name);
	a->type = mech_strdup("postgres");
	if (mech_tree_read(mech_repo_git(repo), tree, a->file, 1024 * 1024, &b) > 0)
		cluster_fields(&b, a->file, a);
	mech_error_clear();
	mech_buf_dispose(&b);
	if (mech_repo_last_writer(repo, a->file, &a->writer) < 0)
		mech_error_clear();
}


int mech_addon_list(mech_repo *repo, mech_addon_state **out, size_t *n)
{
	git_tree *tree;
	mech_strv names = MECH_STRV_INIT;
	size_t i;
	*out = NULL;
	*n = 0;
	if (mech_repo_head_tree(repo, &tree) < 0)
		return -1;
	mech_tree_list(mech_repo_git(repo), tree, "addons", &names);
	*out = mech_calloc(names.len, sizeof(**out));
	for (i = 0; i < names.len; i++) {
		mech_buf b = MECH_BUF_INIT;
		char *file = mech_layout_addon_cluster_path(names.items[i]);
		if (mech_tree_read(mech_repo_git(repo), tree, file, 1024 * 1024, &b) > 0)
			load_state(repo, tree, names.items[i], &(*out)[(*n)++]);
		free(file);
		mech_buf_dispose(&b);
	}
	mech_strv_dispose(&names);
	git_tree_free(tree);
	return 0;
}

int mech_addon_get(mech_repo *repo, const char *name, mech_addon_state **out)
{
	git_tree *tree;
	mech_buf b = MECH_BUF_INIT;
	char *file;
	int rc = -1;
	*out = NULL;
	if (mech_validate_name("addon name", name) < 0 || mech_repo_head_tree(repo, &tree) < 0)
		return -1;
	file = mech_layout_addon_cluster_path(name);
	if (mech_tree_read(mech_repo_git(repo), tree, file, 1024 * 1024, &b) > 0) {
		*out = mech_calloc(1, sizeof(**out));
		load_state(repo, tree, name, *out);
		rc = 0;
	} else {
		mech_strv names = MECH_STRV_INIT;
		mech_tree_list(mech_repo_git(repo), tree, MECH_LAYOUT_ADDONS, &names);
		mech_addon_not_found(repo, name, &names);
		mech_strv_dispose(&names);
	}
	free(file);
	mech_buf_dispose(&b);
	git_tree_free(tree);
	return rc;
}

void mech_addon_state_free(mech_addon_state *a, size_t n)
{
	size_t i;
	for (i = 0; a && i < n; i++) {
		free(a[i].name);
		free(a[i].type);
		free(a[i].version);
		free(a[i].storage);
		free(a[i].memory);
		free(a[i].file);
	}
	free(a);
}

void mech_addon_connection(mech_kube *k, const char *ns, const char *name, mech_addon_conn *out)
{
	mech_kube_pg_secret *s = NULL;
	char *svc = mech_layout_addon_service(name);

	memset(out, 0, sizeof(*out));
	if (k && mech_kube_pg_secret_get(k, ns, name, &s) < 0) {
		const mech_error *e = mech_error_last();
		out->secret_unread = !e || e->code != MECH_ENOT_FOUND;
		s = NULL;
	}
	mech_error_clear();
	/* the Secret's host is the Service's short name: qualified with the namespace */
	out->host = mech_sprintf("%s.%s.svc", s && *s->host ? s->host : svc, ns);
	out->port = s && *s->port ? atoi(s->port) : 5432;
	out->database = mech_strdup(s && *s->dbname ? s->dbname : "app");
	out->user = mech_strdup(s && *s->username ? s->username : "app");
	out->secret = mech_layout_addon_secret(name);
	out->secret_key = MECH_LAYOUT_ADDON_SECRET_KEY;
	out->env = MECH_LAYOUT_ADDON_LINK_ENV;
	out->secret_exists = s != NULL;
	mech_kube_pg_secret_free(s);
	free(svc);
}

void mech_addon_conn_dispose(mech_addon_conn *c)
{
	free(c->host);
	free(c->database);
	free(c->user);
	free(c->secret);
	memset(c, 0, sizeof(*c));
}
