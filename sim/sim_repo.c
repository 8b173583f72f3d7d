/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What Git asks for, read the way the ApplicationSet controller and Argo
 * CD's repo server would: one Application per overlay directory (git
 * directories generator), the network and addons directory Applications
 * with recursion (names and paths as mech/layout.h has them), manifests
 * rendered by `kubectl kustomize` when the sim found kubectl
 * (sim_kustomize.c), else by a small kustomize of its own (resources,
 * namePrefix/nameSuffix, namespace, labels, images, replicas).
 * Everything read from the repo is bounded: file size (the YAML limits),
 * files per Application, kustomization nesting.
 */
#include "sim_int.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mech/error.h"
#include "mech/tree.h"
#include "mech/layout.h"
#include "mech/yaml.h"

#define FILE_MAX (1u << 20)
#define FILES_MAX 2000
#define KUSTOMIZE_DEPTH 8

typedef struct {
	git_repository *repo;
	git_tree *root;
	const char *dest_ns; /* of the Application being rendered */
	size_t files;        /* read so far for the current Application */
	sim_obj *objs;
	size_t nobjs;
} reader;

/* ---- small helpers ---- */

void sim_obj_dispose(sim_obj *o)
{
	free(o->api_version);
	free(o->group);
	free(o->version);
	free(o->kind);
	free(o->namespace);
	free(o->name);
	cJSON_Delete(o->manifest);
	free(o->text);
	memset(o, 0, sizeof(*o));
}

void sim_obj_copy(sim_obj *dst, const sim_obj *src)
{
	dst->api_version = mech_strdup(src->api_version);
	dst->group = mech_strdup(src->group);
	dst->version = mech_strdup(src->version);
	dst->kind = mech_strdup(src->kind);
	dst->namespace = mech_strdup(src->namespace);
	dst->name = mech_strdup(src->name);
	dst->manifest = cJSON_Duplicate(src->manifest, 1);
	dst->text = mech_strdup(src->text);
}

void sim_target_dispose(sim_target *t)
{
	size_t i;
	free(t->name);
	free(t->path);
	free(t->project);
	free(t->dest_ns);
	cJSON_Delete(t->labels);
	for (i = 0; i < t->nobjs; i++)
		sim_obj_dispose(&t->objs[i]);
	free(t->objs);
	free(t->error);
	cJSON_Delete(t->retry);
	memset(t, 0, sizeof(*t));
}

void sim_target_copy(sim_target *dst, const sim_target *src)
{
	size_t i;
	memset(dst, 0, sizeof(*dst));
	dst->name = mech_strdup(src->name);
	dst->path = mech_strdup(src->path);
	dst->project = mech_strdup(src->project);
	dst->dest_ns = mech_strdup(src->dest_ns);
	dst->labels = src->labels ? cJSON_Duplicate(src->labels, 1) : NULL;
	dst->kind = src->kind;
	dst->error = src->error ? mech_strdup(src->error) : NULL;
	dst->retry = src->retry ? cJSON_Duplicate(src->retry, 1) : NULL;
	dst->sig = src->sig;
	if (src->nobjs)
		dst->objs = mech_calloc(src->nobjs, sizeof(*dst->objs));
	for (i = 0; i < src->nobjs; i++)
		sim_obj_copy(&dst->objs[i], &src->objs[i]);
	dst->nobjs = src->nobjs;
}

void sim_repo_state_dispose(sim_repo_state *s)
{
	size_t i;
	free(s->repo_url);
	free(s->target_revision);
	free(s->appset);
	for (i = 0; i < s->ntargets; i++)
		sim_target_dispose(&s->targets[i]);
	free(s->targets);
	cJSON_Delete(s->project);
	memset(s, 0, sizeof(*s));
}

unsigned long long sim_hash(unsigned long long h, const char *s)
{
	/* FNV-1a: identity of rendered manifests, not security */
	if (!h)
		h = 1469598103934665603ULL;
	for (; s && *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	h ^= 0xff;
	h *= 1099511628211ULL;
	return h;
}

const char *sim_image_tag(const char *ref)
{
	const char *slash = strrchr(ref, '/');
	const char *colon = strrchr(slash ? slash : ref, ':');
	const char *at = strchr(ref, '@');
	static const char empty[] = "";
	if (!colon || (at && colon > at))
		return empty;
	return colon + 1;
}

/* "apps/web/overlays/main" + "../../base" → "apps/web/base"; NULL if it leaves the repo. */
static char *path_join(const char *dir, const char *rel)
{
	mech_strv parts = MECH_STRV_INIT;
	mech_buf out = MECH_BUF_INIT;
	char *all = mech_sprintf("%s/%s", dir, rel), *save = NULL, *tok;
	size_t i;
	int bad = 0;

	for (tok = strtok_r(all, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			if (!parts.len) {
				bad = 1;
				break;
			}
			free(parts.items[--parts.len]);
			continue;
		}
		mech_strv_push(&parts, tok);
	}
	for (i = 0; !bad && i < parts.len; i++)
		mech_buf_printf(&out, "%s%s", i ? "/" : "", parts.items[i]);
	free(all);
	mech_strv_dispose(&parts);
	if (bad) {
		mech_buf_dispose(&out);
		return NULL;
	}
	return mech_buf_detach(&out);
}

/* 1 blob read, 0 absent (or not a file), -1 error (too large, too many files) */
static int read_file(reader *r, const char *path, mech_buf *out)
{
	int rc = mech_tree_read(r->repo, r->root, path, FILE_MAX, out);
	if (rc > 0 && ++r->files > FILES_MAX)
		return mech_error_set(MECH_EINVALID, "more than %d files", FILES_MAX);
	return rc;
}

/* Entries of a directory: subdirectories and files, sorted. 0 if absent. */
static int list_dir(reader *r, const char *path, mech_strv *dirs, mech_strv *files)
{
	git_tree_entry *e = NULL;
	git_tree *t = NULL;
	size_t i, n;

	if (!*path) {
		t = r->root;
	} else {
		if (git_tree_entry_bypath(&e, r->root, path) < 0)
			return 0;
		if (git_tree_entry_type(e) != GIT_OBJECT_TREE ||
		    git_tree_lookup(&t, r->repo, git_tree_entry_id(e)) < 0) {
			git_tree_entry_free(e);
			return 0;
		}
	}
	n = git_tree_entrycount(t);
	for (i = 0; i < n; i++) {
		const git_tree_entry *c = git_tree_entry_byindex(t, i);
		const char *name = git_tree_entry_name(c);
		if (name[0] == '.')
			continue; /* the generator skips hidden directories */
		if (git_tree_entry_type(c) == GIT_OBJECT_TREE && dirs)
			mech_strv_push(dirs, name);
		else if (git_tree_entry_type(c) == GIT_OBJECT_BLOB && files)
			mech_strv_push(files, name);
	}
	if (e) {
		git_tree_free(t);
		git_tree_entry_free(e);
	}
	return 1;
}

static int is_dir(reader *r, const char *path)
{
	git_tree_entry *e = NULL;
	int dir;
	if (git_tree_entry_bypath(&e, r->root, path) < 0)
		return 0;
	dir = git_tree_entry_type(e) == GIT_OBJECT_TREE;
	git_tree_entry_free(e);
	return dir;
}

/* ---- YAML → JSON ---- */

static cJSON *yaml_to_json(const mech_yaml *n)
{
	cJSON *j;
	size_t i;

	switch (n->kind) {
	case MECH_YAML_MAP:
		j = cJSON_CreateObject();
		for (i = 0; i < n->len; i++)
			cJSON_AddItemToObject(j, n->keys[i], yaml_to_json(n->items[i]));
		return j;
	case MECH_YAML_SEQ:
		j = cJSON_CreateArray();
		for (i = 0; i < n->len; i++)
			cJSON_AddItemToArray(j, yaml_to_json(n->items[i]));
		return j;
	case MECH_YAML_SCALAR:
		break;
	}
	switch (n->type) {
	case MECH_YAML_INT: {
		char *end = NULL;
		double v = strtod(n->value, &end);
		if (end && !*end)
			return cJSON_CreateNumber(v);
		return cJSON_CreateString(n->value);
	}
	case MECH_YAML_BOOL:
		return cJSON_CreateBool(!strcmp(n->value, "true") || !strcmp(n->value, "True") ||
					!strcmp(n->value, "TRUE") || !strcmp(n->value, "yes") ||
					!strcmp(n->value, "Yes") || !strcmp(n->value, "on"));
	case MECH_YAML_NULL:
		return cJSON_CreateNull();
	case MECH_YAML_STR:
		break;
	}
	return cJSON_CreateString(n->value ? n->value : "");
}

static const char *jtext(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

static cJSON *jobj(cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsObject(v)) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, key);
		v = cJSON_AddObjectToObject(o, key);
	}
	return v;
}

/* Set a string, keeping the key where it was (manifests keep their order). */
static void jset_str(cJSON *o, const char *key, const char *value)
{
	if (cJSON_GetObjectItemCaseSensitive(o, key))
		cJSON_ReplaceItemInObjectCaseSensitive(o, key, cJSON_CreateString(value));
	else
		cJSON_AddStringToObject(o, key, value);
}

static int cluster_scoped(const char *kind)
{
	static const char *const kinds[] = {"Namespace",
					    "ClusterRole",
					    "ClusterRoleBinding",
					    "CustomResourceDefinition",
					    "StorageClass",
					    "PersistentVolume",
					    "GatewayClass",
					    "PriorityClass",
					    NULL};
	size_t i;
	for (i = 0; kinds[i]; i++)
		if (!strcmp(kind, kinds[i]))
			return 1;
	return 0;
}

/* Parse a YAML file into objects; documents without apiVersion/kind are skipped. */
static int parse_manifests(reader *r, const char *path, const mech_buf *data, int in_kustomize)
{
	mech_yaml **docs = NULL;
	size_t n = 0, i;

	if (mech_yaml_parse_all(&docs, &n, mech_buf_cstr(data), data->len, path, NULL) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		cJSON *m;
		const char *kind, *api;
		if (docs[i]->kind != MECH_YAML_MAP || !docs[i]->len)
			continue;
		m = yaml_to_json(docs[i]);
		kind = jtext(m, "kind");
		api = jtext(m, "apiVersion");
		if (!kind || !api || !jtext(jobj(m, "metadata"), "name") ||
		    (!in_kustomize && !strncmp(api, "kustomize.config.k8s.io/", 24))) {
			cJSON_Delete(m);
			continue;
		}
		r->objs = mech_reallocarray(r->objs, r->nobjs + 1, sizeof(*r->objs));
		memset(&r->objs[r->nobjs], 0, sizeof(sim_obj));
		r->objs[r->nobjs++].manifest = m;
	}
	for (i = 0; i < n; i++)
		mech_yaml_free(docs[i]);
	free(docs);
	return 0;
}

/* ---- kustomize (the subset mech writes and humans commonly use) ---- */

static void split_image(const char *ref, char **repo, char **tag, char **digest)
{
	const char *at = strchr(ref, '@');
	const char *end = at ? at : ref + strlen(ref);
	const char *slash = NULL, *colon = NULL, *p;
	for (p = ref; p < end; p++) {
		if (*p == '/')
			slash = p;
		else if (*p == ':')
			colon = p;
	}
	if (colon && slash && colon < slash)
		colon = NULL;
	*repo = mech_strndup(ref, (size_t)((colon ? colon : end) - ref));
	*tag = colon ? mech_strndup(colon + 1, (size_t)(end - colon - 1)) : NULL;
	*digest = at ? mech_strdup(at + 1) : NULL;
}

static void apply_image(cJSON *container, const cJSON *rule)
{
	const char *image = jtext(container, "image");
	const char *name = jtext(rule, "name"), *new_name = jtext(rule, "newName");
	const char *new_tag = jtext(rule, "newTag"), *digest = jtext(rule, "digest");
	char *repo, *tag, *dig, *out;
	mech_buf b = MECH_BUF_INIT;

	if (!image || !name)
		return;
	split_image(image, &repo, &tag, &dig);
	if (!strcmp(repo, name)) {
		mech_buf_puts(&b, new_name ? new_name : repo);
		if (digest)
			mech_buf_printf(&b, "@%s", digest);
		else if (new_tag)
			mech_buf_printf(&b, ":%s", new_tag);
		else if (tag)
			mech_buf_printf(&b, ":%s", tag);
		if (!digest && dig)
			mech_buf_printf(&b, "@%s", dig);
		out = mech_buf_detach(&b);
		jset_str(container, "image", out);
		free(out);
	}
	free(repo);
	free(tag);
	free(dig);
}

static cJSON *pod_spec(cJSON *m)
{
	const char *kind = jtext(m, "kind");
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(m, "spec");
	if (!kind || !cJSON_IsObject(spec))
		return NULL;
	if (!strcmp(kind, "Pod"))
		return spec;
	if (!strcmp(kind, "CronJob")) {
		spec = cJSON_GetObjectItemCaseSensitive(spec, "jobTemplate");
		spec = cJSON_IsObject(spec) ? cJSON_GetObjectItemCaseSensitive(spec, "spec") : NULL;
	}
	spec = cJSON_IsObject(spec) ? cJSON_GetObjectItemCaseSensitive(spec, "template") : NULL;
	spec = cJSON_IsObject(spec) ? cJSON_GetObjectItemCaseSensitive(spec, "spec") : NULL;
	return cJSON_IsObject(spec) ? spec : NULL;
}

void sim_obj_images(const sim_obj *o, mech_strv *v)
{
	static const char *const lists[] = {"initContainers", "containers"};
	cJSON *spec = pod_spec(o->manifest);
	size_t i;
	for (i = 0; spec && i < 2; i++) {
		cJSON *arr = cJSON_GetObjectItemCaseSensitive(spec, lists[i]), *c;
		cJSON_ArrayForEach(c, (cJSON_IsArray(arr) ? arr : NULL))
		{
			const char *img = jtext(c, "image");
			if (img && !mech_strv_contains(v, img))
				mech_strv_push(v, img);
		}
	}
}

static void apply_labels(cJSON *m, const cJSON *labels, int selectors)
{
	const cJSON *l;
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(m, "spec"), *pod;
	cJSON_ArrayForEach(l, (cJSON_IsObject(labels) ? labels : NULL))
	{
		if (!cJSON_IsString(l))
			continue;
		jset_str(jobj(jobj(m, "metadata"), "labels"), l->string, l->valuestring);
		if (!selectors || !cJSON_IsObject(spec))
			continue;
		if (!strcmp(jtext(m, "kind"), "Service")) {
			jset_str(jobj(spec, "selector"), l->string, l->valuestring);
			continue;
		}
		if (!pod_spec(m))
			continue;
		if (strcmp(jtext(m, "kind"), "Pod"))
			jset_str(jobj(jobj(spec, "selector"), "matchLabels"), l->string,
				 l->valuestring);
		pod = cJSON_GetObjectItemCaseSensitive(spec, "template");
		if (cJSON_IsObject(pod))
			jset_str(jobj(jobj(pod, "metadata"), "labels"), l->string, l->valuestring);
	}
}

static void kustomize_transform(reader *r, size_t from, const cJSON *k)
{
	const char *prefix = jtext(k, "namePrefix"), *suffix = jtext(k, "nameSuffix");
	const char *ns = jtext(k, "namespace");
	const cJSON *images = cJSON_GetObjectItemCaseSensitive(k, "images");
	const cJSON *replicas = cJSON_GetObjectItemCaseSensitive(k, "replicas");
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(k, "labels");
	const cJSON *it;
	size_t i;

	for (i = from; i < r->nobjs; i++) {
		cJSON *m = r->objs[i].manifest, *meta = jobj(m, "metadata"), *spec;
		const char *kind = jtext(m, "kind");
		char *orig = mech_strdup(jtext(meta, "name"));
		if ((prefix || suffix) && strcmp(kind, "Namespace")) {
			char *nn = mech_sprintf("%s%s%s", prefix ? prefix : "", orig,
						suffix ? suffix : "");
			jset_str(meta, "name", nn);
			free(nn);
		}
		if (ns && !cluster_scoped(kind))
			jset_str(meta, "namespace", ns);
		apply_labels(m, cJSON_GetObjectItemCaseSensitive(k, "commonLabels"), 1);
		cJSON_ArrayForEach(it, (cJSON_IsArray(labels) ? labels : NULL))
		{
			apply_labels(m, cJSON_GetObjectItemCaseSensitive(it, "pairs"),
				     cJSON_IsTrue(
					     cJSON_GetObjectItemCaseSensitive(it,
									      "includeSelectors")));
		}
		spec = pod_spec(m);
		cJSON_ArrayForEach(it, (cJSON_IsArray(images) && spec ? images : NULL))
		{
			static const char *const lists[] = {"initContainers", "containers"};
			size_t l;
			for (l = 0; l < 2; l++) {
				cJSON *arr = cJSON_GetObjectItemCaseSensitive(spec, lists[l]), *c;
				cJSON_ArrayForEach(c, (cJSON_IsArray(arr) ? arr : NULL))
				{
					apply_image(c, it);
				}
			}
		}
		cJSON_ArrayForEach(it, (cJSON_IsArray(replicas) ? replicas : NULL))
		{
			const char *rn = jtext(it, "name");
			const cJSON *count = cJSON_GetObjectItemCaseSensitive(it, "count");
			cJSON *s = cJSON_GetObjectItemCaseSensitive(m, "spec");
			if (!rn || !cJSON_IsNumber(count) || !cJSON_IsObject(s) ||
			    (strcmp(rn, orig) && strcmp(rn, jtext(meta, "name"))))
				continue;
			if (cJSON_GetObjectItemCaseSensitive(s, "replicas"))
				cJSON_ReplaceItemInObjectCaseSensitive(s, "replicas",
								       cJSON_CreateNumber(
									       count->valuedouble));
			else
				cJSON_AddNumberToObject(s, "replicas", count->valuedouble);
		}
		free(orig);
	}
}

static int kustomize(reader *r, const char *dir, int depth);

static int kustomize_resource(reader *r, const char *dir, const char *entry, int depth)
{
	mech_buf data = MECH_BUF_INIT;
	char *path;
	int rc;

	if (strstr(entry, "://") || !strncmp(entry, "github.com/", 11))
		return mech_error_set(MECH_EINVALID, "%s: remote resource %s is not supported", dir,
				      entry);
	path = path_join(dir, entry);
	if (!path)
		return mech_error_set(MECH_EINVALID, "%s: resource %s is outside the repository",
				      dir, entry);
	if (is_dir(r, path)) {
		rc = kustomize(r, path, depth + 1);
	} else {
		rc = read_file(r, path, &data);
		if (rc == 0)
			rc = mech_error_set(MECH_EINVALID,
					    "%s: accumulating resources: %s: no such file", dir,
					    entry);
		else if (rc > 0)
			rc = parse_manifests(r, path, &data, 1);
	}
	mech_buf_dispose(&data);
	free(path);
	return rc < 0 ? -1 : 0;
}

static int kustomize(reader *r, const char *dir, int depth)
{
	static const char *const names[] = {"kustomization.yaml", "kustomization.yml",
					    "Kustomization"};
	mech_buf data = MECH_BUF_INIT;
	mech_yaml *doc = NULL;
	cJSON *k = NULL, *res, *it;
	size_t i, from = r->nobjs;
	char *file = NULL;
	int rc = -1, found = 0;

	if (depth > KUSTOMIZE_DEPTH)
		return mech_error_set(MECH_EINVALID, "%s: kustomizations nested too deeply", dir);
	for (i = 0; i < 3 && !found; i++) {
		free(file);
		file = mech_sprintf("%s/%s", dir, names[i]);
		found = read_file(r, file, &data);
		if (found < 0)
			goto done;
	}
	if (!found) {
		mech_error_set(MECH_EINVALID,
			       "%s: unable to find one of 'kustomization.yaml', "
			       "'kustomization.yml' or 'Kustomization'",
			       dir);
		goto done;
	}
	if (mech_yaml_parse(&doc, mech_buf_cstr(&data), data.len, file, NULL) < 0)
		goto done;
	k = yaml_to_json(doc);
	res = cJSON_GetObjectItemCaseSensitive(k, "resources");
	cJSON_ArrayForEach(it, (cJSON_IsArray(res) ? res : NULL))
	{
		if (cJSON_IsString(it) && kustomize_resource(r, dir, it->valuestring, depth) < 0)
			goto done;
	}
	res = cJSON_GetObjectItemCaseSensitive(k, "bases");
	cJSON_ArrayForEach(it, (cJSON_IsArray(res) ? res : NULL))
	{
		if (cJSON_IsString(it) && kustomize_resource(r, dir, it->valuestring, depth) < 0)
			goto done;
	}
	kustomize_transform(r, from, k);
	rc = 0;
done:
	cJSON_Delete(k);
	mech_yaml_free(doc);
	mech_buf_dispose(&data);
	free(file);
	return rc;
}

/* Directory source with recurse: every *.yaml, *.yml, *.json below `dir`. */
static int directory(reader *r, const char *dir, int depth)
{
	mech_strv dirs = MECH_STRV_INIT, files = MECH_STRV_INIT;
	mech_buf data = MECH_BUF_INIT;
	size_t i;
	int rc = 0;

	if (depth > 16)
		return mech_error_set(MECH_EINVALID, "%s: directories nested too deeply", dir);
	list_dir(r, dir, &dirs, &files);
	for (i = 0; rc == 0 && i < files.len; i++) {
		const char *f = files.items[i];
		size_t n = strlen(f);
		char *path;
		if (!(n > 5 && !strcmp(f + n - 5, ".yaml")) &&
		    !(n > 4 && !strcmp(f + n - 4, ".yml")) &&
		    !(n > 5 && !strcmp(f + n - 5, ".json")))
			continue;
		path = mech_sprintf("%s/%s", dir, f);
		if (read_file(r, path, &data) < 0 || parse_manifests(r, path, &data, 0) < 0)
			rc = -1;
		free(path);
	}
	for (i = 0; rc == 0 && i < dirs.len; i++) {
		char *sub = mech_sprintf("%s/%s", dir, dirs.items[i]);
		rc = directory(r, sub, depth + 1);
		free(sub);
	}
	mech_buf_dispose(&data);
	mech_strv_dispose(&dirs);
	mech_strv_dispose(&files);
	return rc;
}

/* Fill identity fields, the destination namespace, and the comparison text. */
static void finish_objects(reader *r, sim_target *t)
{
	size_t i;
	for (i = 0; i < r->nobjs; i++) {
		sim_obj *o = &r->objs[i];
		cJSON *meta = jobj(o->manifest, "metadata");
		const char *api = jtext(o->manifest, "apiVersion");
		const char *slash = strchr(api, '/');
		o->api_version = mech_strdup(api);
		o->group = slash ? mech_strndup(api, (size_t)(slash - api)) : mech_strdup("");
		o->version = mech_strdup(slash ? slash + 1 : api);
		o->kind = mech_strdup(jtext(o->manifest, "kind"));
		o->name = mech_strdup(jtext(meta, "name"));
		if (cluster_scoped(o->kind)) {
			o->namespace = mech_strdup("");
		} else {
			if (!jtext(meta, "namespace"))
				jset_str(meta, "namespace", r->dest_ns);
			o->namespace = mech_strdup(jtext(meta, "namespace"));
		}
		o->text = cJSON_PrintUnformatted(o->manifest);
		t->sig = sim_hash(t->sig, o->text);
	}
	t->objs = r->objs;
	t->nobjs = r->nobjs;
	r->objs = NULL;
	r->nobjs = 0;
}

/* As the repo server detects a Kustomize source: one of the three file names in the app path. */
static int has_kustomization(reader *r, const char *dir)
{
	static const char *const names[] = {"kustomization.yaml", "kustomization.yml",
					    "Kustomization"};
	mech_buf probe = MECH_BUF_INIT;
	size_t i;
	int found = 0;
	for (i = 0; i < 3 && found <= 0; i++) {
		char *f = mech_sprintf("%s/%s", dir, names[i]);
		found = mech_tree_read(r->repo, r->root, f, FILE_MAX, &probe);
		free(f);
	}
	mech_buf_dispose(&probe);
	mech_error_clear();
	return found > 0;
}

/* Real kustomize (sim_kustomize.c): its output is the Application's manifests. */
static int kustomize_external(reader *r, const char *dir)
{
	mech_buf out = MECH_BUF_INIT;
	int rc = sim_kustomize_build(r->repo, r->root, dir, &out);
	if (rc == 0)
		rc = parse_manifests(r, dir, &out, 1);
	mech_buf_dispose(&out);
	return rc;
}

static void render_target(reader *r, sim_target *t)
{
	int rc;
	r->files = 0;
	r->dest_ns = t->dest_ns;
	if (!is_dir(r, t->path)) {
		rc = mech_error_set(MECH_EINVALID, "%s: app path does not exist", t->path);
	} else if (t->kind == SIM_INSTANCE) {
		/* a directory without a kustomization is a plain directory source */
		if (has_kustomization(r, t->path)) {
			r->files = 0;
			rc = sim_kustomize_external() ? kustomize_external(r, t->path)
						      : kustomize(r, t->path, 0);
		} else {
			rc = directory(r, t->path, 0);
		}
	} else {
		rc = directory(r, t->path, 0);
	}
	if (rc < 0) {
		const mech_error *e = mech_error_last();
		size_t i;
		t->error = mech_sprintf("Failed to load target state: failed to generate manifest "
					"for source 1 of 1: rpc error: code = Unknown desc = %s",
					e && e->message ? e->message : "unknown error");
		t->sig = sim_hash(0, t->error);
		for (i = 0; i < r->nobjs; i++)
			sim_obj_dispose(&r->objs[i]);
		free(r->objs);
		r->objs = NULL;
		r->nobjs = 0;
		return;
	}
	finish_objects(r, t);
}

/* ---- the ApplicationSet and the two directory Applications ---- */

#define DIRS_MAX 100000 /* 10,000 apps have 40,000 (bench/bench_reads.sh) */

/* What the tenant repo declares under argocd/; defaults match the seed. */
typedef struct {
	mech_strv include; /* git directories generator paths */
	mech_strv exclude;
	cJSON *tpl_meta; /* template.metadata */
	cJSON *tpl_spec; /* template.spec */
} appset;

static cJSON *read_json_yaml(reader *r, const char *path)
{
	mech_buf data = MECH_BUF_INIT;
	mech_yaml *doc = NULL;
	cJSON *j = NULL;
	if (read_file(r, path, &data) > 0 &&
	    mech_yaml_parse(&doc, mech_buf_cstr(&data), data.len, path, NULL) == 0)
		j = yaml_to_json(doc);
	mech_yaml_free(doc);
	mech_buf_dispose(&data);
	mech_error_clear();
	return j;
}

static const cJSON *jpath(const cJSON *o, const char *a, const char *b, const char *c)
{
	const char *keys[] = {a, b, c};
	size_t i;
	for (i = 0; i < 3 && keys[i] && o; i++)
		o = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, keys[i]) : NULL;
	return o;
}

/* The value of one template expression for a matched directory, or NULL. */
static char *template_value(const char *expr, const char *path)
{
	mech_strv seg = MECH_STRV_INIT;
	char *copy = mech_strdup(path), *save = NULL, *tok, *out = NULL;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	long idx = -1;

	for (tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save))
		mech_strv_push(&seg, tok);
	if (!strcmp(expr, ".path.path") || !strcmp(expr, "path"))
		out = mech_strdup(path);
	else if (!strcmp(expr, ".path.basename") || !strcmp(expr, "path.basename"))
		out = mech_strdup(base);
	else if (!strcmp(expr, ".path.basenameNormalized") ||
		 !strcmp(expr, "path.basenameNormalized")) {
		size_t i;
		out = mech_strdup(base);
		for (i = 0; out[i]; i++)
			if (!((out[i] >= 'a' && out[i] <= 'z') ||
			      (out[i] >= '0' && out[i] <= '9') || out[i] == '-' || out[i] == '.'))
				out[i] = '-';
	} else if (!strncmp(expr, "index .path.segments ", 21))
		idx = strtol(expr + 21, NULL, 10);
	else if (!strncmp(expr, "path[", 5))
		idx = strtol(expr + 5, NULL, 10);
	if (!out && idx >= 0 && (size_t)idx < seg.len)
		out = mech_strdup(seg.items[idx]);
	mech_strv_dispose(&seg);
	free(copy);
	return out;
}

/* Expand {{…}} in `tpl` for `path`; NULL when an expression is unknown (missingkey=error). */
static char *expand(const char *tpl, const char *path)
{
	mech_buf b = MECH_BUF_INIT;
	const char *p = tpl;
	while (*p) {
		const char *open = strstr(p, "{{"), *close;
		char *expr, *v;
		size_t n;
		if (!open) {
			mech_buf_puts(&b, p);
			break;
		}
		close = strstr(open + 2, "}}");
		if (!close) {
			mech_buf_dispose(&b);
			return NULL;
		}
		mech_buf_put(&b, p, (size_t)(open - p));
		open += 2;
		while (*open == ' ')
			open++;
		n = (size_t)(close - open);
		while (n && open[n - 1] == ' ')
			n--;
		expr = mech_strndup(open, n);
		v = template_value(expr, path);
		free(expr);
		if (!v) {
			mech_buf_dispose(&b);
			return NULL;
		}
		mech_buf_puts(&b, v);
		free(v);
		p = close + 2;
	}
	return mech_buf_detach(&b);
}

static char *expand_field(const cJSON *o, const char *a, const char *b, const char *c,
			  const char *path, const char *def)
{
	const cJSON *v = jpath(o, a, b, c);
	char *out = cJSON_IsString(v) && v->valuestring ? expand(v->valuestring, path) : NULL;
	return out ? out : mech_strdup(def);
}

static cJSON *expand_labels(const cJSON *labels, const char *path)
{
	const cJSON *l;
	cJSON *out;
	if (!cJSON_IsObject(labels))
		return NULL;
	out = cJSON_CreateObject();
	cJSON_ArrayForEach(l, labels)
	{
		char *v = cJSON_IsString(l) ? expand(l->valuestring, path) : NULL;
		if (v)
			cJSON_AddStringToObject(out, l->string, v);
		free(v);
	}
	return out;
}

static void read_appset(reader *r, appset *as, sim_repo_state *s, const char *tenant,
			const char *branch, const char *repo_path)
{
	cJSON *doc = read_json_yaml(r, MECH_LAYOUT_ARGOCD_APPSET);
	const cJSON *gens = jpath(doc, "spec", "generators", NULL), *git = NULL, *d;
	const char *url = NULL, *rev = NULL, *name;

	memset(as, 0, sizeof(*as));
	if (cJSON_IsArray(gens) && gens->child)
		git = jpath(gens->child, "git", NULL, NULL);
	cJSON_ArrayForEach(d, (cJSON_IsArray(jpath(git, "directories", NULL, NULL))
				       ? jpath(git, "directories", NULL, NULL)
				       : NULL))
	{
		const cJSON *p = jpath(d, "path", NULL, NULL);
		if (!cJSON_IsString(p))
			continue;
		if (cJSON_IsTrue(jpath(d, "exclude", NULL, NULL)))
			mech_strv_push(&as->exclude, p->valuestring);
		else
			mech_strv_push(&as->include, p->valuestring);
	}
	if (!as->include.len)
		mech_strv_push(&as->include, MECH_LAYOUT_OVERLAY_GLOB);
	if (cJSON_IsString(jpath(git, "repoURL", NULL, NULL)))
		url = jpath(git, "repoURL", NULL, NULL)->valuestring;
	if (cJSON_IsString(jpath(git, "revision", NULL, NULL)))
		rev = jpath(git, "revision", NULL, NULL)->valuestring;
	name = cJSON_IsString(jpath(doc, "metadata", "name", NULL))
		       ? jpath(doc, "metadata", "name", NULL)->valuestring
		       : NULL;
	as->tpl_meta = cJSON_Duplicate(jpath(doc, "spec", "template", "metadata"), 1);
	as->tpl_spec = cJSON_Duplicate(jpath(doc, "spec", "template", "spec"), 1);
	s->repo_url = url && *url ? mech_strdup(url) : mech_sprintf("file://%s", repo_path);
	s->target_revision = mech_strdup(rev && *rev ? rev : branch);
	s->appset = name && *name ? mech_strdup(name) : mech_layout_appset(tenant);
	cJSON_Delete(doc);
}

static void appset_dispose(appset *as)
{
	mech_strv_dispose(&as->include);
	mech_strv_dispose(&as->exclude);
	cJSON_Delete(as->tpl_meta);
	cJSON_Delete(as->tpl_spec);
}

static int path_depth(const char *p)
{
	int n = 1;
	for (; *p; p++)
		n += *p == '/';
	return n;
}

/* Every directory down to `depth` levels (hidden ones skipped, as the generator does). */
static void walk_dirs(reader *r, const char *dir, int depth, mech_strv *out)
{
	mech_strv dirs = MECH_STRV_INIT;
	size_t i;
	if (depth <= 0 || out->len > DIRS_MAX)
		return;
	list_dir(r, dir, &dirs, NULL);
	for (i = 0; i < dirs.len && out->len <= DIRS_MAX; i++) {
		char *p = *dir ? mech_sprintf("%s/%s", dir, dirs.items[i])
			       : mech_strdup(dirs.items[i]);
		mech_strv_push(out, p);
		walk_dirs(r, p, depth - 1, out);
		free(p);
	}
	mech_strv_dispose(&dirs);
}

static int matches_any(const mech_strv *patterns, const char *dir)
{
	size_t i;
	for (i = 0; i < patterns->len; i++)
		if (fnmatch(patterns->items[i], dir, FNM_PATHNAME) == 0)
			return 1;
	return 0;
}

static sim_target *add_target(sim_repo_state *s)
{
	sim_target *t;
	s->targets = mech_reallocarray(s->targets, s->ntargets + 1, sizeof(*s->targets));
	t = &s->targets[s->ntargets++];
	memset(t, 0, sizeof(*t));
	return t;
}

/* Application names are DNS subdomains; the controller fails others. */
static int valid_name(const char *s)
{
	size_t n = strlen(s), i;
	if (!n || n > 253)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '.'))
			return 0;
	return s[0] != '-' && s[0] != '.' && s[n - 1] != '-' && s[n - 1] != '.';
}

static int target_exists(const sim_repo_state *s, const char *name)
{
	size_t i;
	for (i = 0; i < s->ntargets; i++)
		if (!strcmp(s->targets[i].name, name))
			return 1;
	return 0;
}

/* spec.syncPolicy.retry as the Application holds it (numbers read from YAML as text). */
static cJSON *retry_of(const cJSON *v)
{
	cJSON *r;
	const cJSON *limit, *factor;
	if (!cJSON_IsObject(v))
		return NULL;
	r = cJSON_Duplicate(v, 1);
	limit = cJSON_GetObjectItemCaseSensitive(r, "limit");
	if (cJSON_IsString(limit))
		cJSON_ReplaceItemInObjectCaseSensitive(r, "limit",
						       cJSON_CreateNumber(atof(limit->valuestring)));
	factor = jpath(r, "backoff", "factor", NULL);
	if (cJSON_IsString(factor))
		cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(r,
											"backoff"),
						       "factor",
						       cJSON_CreateNumber(
							       atof(factor->valuestring)));
	return r;
}

/* The git directories generator over the template. */
static void generate(reader *r, const appset *as, sim_repo_state *s, const char *tenant)
{
	mech_strv dirs = MECH_STRV_INIT;
	char *def_name_tpl = mech_layout_instance_app_template(tenant);
	char *def_ns = mech_layout_namespace(tenant), *def_project = mech_layout_project(tenant);
	int depth = 0;
	size_t i;

	for (i = 0; i < as->include.len; i++)
		if (path_depth(as->include.items[i]) > depth)
			depth = path_depth(as->include.items[i]);
	walk_dirs(r, "", depth > 8 ? 8 : depth, &dirs);
	for (i = 0; i < dirs.len; i++) {
		const char *dir = dirs.items[i];
		const cJSON *n = jpath(as->tpl_meta, "name", NULL, NULL);
		char *name;
		sim_target *t;
		if (!matches_any(&as->include, dir) || matches_any(&as->exclude, dir))
			continue;
		name = expand(cJSON_IsString(n) ? n->valuestring : def_name_tpl, dir);
		if (!name || !valid_name(name) || target_exists(s, name)) {
			fprintf(stderr,
				"mech sim: %s: no Application for %s (bad or duplicate name)\n",
				tenant, dir);
			free(name);
			continue;
		}
		t = add_target(s);
		t->name = name;
		t->kind = SIM_INSTANCE;
		t->path = expand_field(as->tpl_spec, "source", "path", NULL, dir, dir);
		t->project = expand_field(as->tpl_spec, "project", NULL, NULL, dir, def_project);
		t->dest_ns = expand_field(as->tpl_spec, "destination", "namespace", NULL, dir,
					  def_ns);
		t->labels = expand_labels(jpath(as->tpl_meta, "labels", NULL, NULL), dir);
		t->retry = retry_of(jpath(as->tpl_spec, "syncPolicy", "retry", NULL));
	}
	mech_strv_dispose(&dirs);
	free(def_name_tpl);
	free(def_ns);
	free(def_project);
}

/* The Application over directory `what` as its file under argocd/ declares it. */
static void directory_app(reader *r, sim_repo_state *s, const char *tenant, const char *what,
			  const char *file, sim_app_kind kind)
{
	cJSON *doc = read_json_yaml(r, file);
	const cJSON *v;
	sim_target *t;
	char *def;

	def = mech_layout_dir_app(tenant, what);
	v = jpath(doc, "metadata", "name", NULL);
	if (cJSON_IsString(v) && valid_name(v->valuestring) && !target_exists(s, v->valuestring)) {
		free(def);
		def = mech_strdup(v->valuestring);
	}
	t = add_target(s);
	t->name = def;
	t->kind = kind;
	v = jpath(doc, "spec", "source", "path");
	t->path = mech_strdup(cJSON_IsString(v) && *v->valuestring ? v->valuestring : what);
	v = jpath(doc, "spec", "project", NULL);
	t->project = cJSON_IsString(v) && *v->valuestring ? mech_strdup(v->valuestring)
							  : mech_layout_project(tenant);
	v = jpath(doc, "spec", "destination", "namespace");
	t->dest_ns = cJSON_IsString(v) && *v->valuestring ? mech_strdup(v->valuestring)
							  : mech_layout_namespace(tenant);
	v = jpath(doc, "metadata", "labels", NULL);
	t->labels = cJSON_IsObject(v) ? cJSON_Duplicate(v, 1) : NULL;
	t->retry = retry_of(jpath(doc, "spec", "syncPolicy", "retry"));
	cJSON_Delete(doc);
}

static int commit_tree(git_repository *repo, const git_oid *id, git_tree **out, const char *what)
{
	git_commit *commit = NULL;
	int rc = git_commit_lookup(&commit, repo, id) < 0 || git_commit_tree(out, commit) < 0
			 ? mech_error_git(MECH_EFAILED, what)
			 : 0;
	git_commit_free(commit);
	return rc;
}

int sim_repo_read(git_repository *repo, const git_oid *tip, const git_oid *applied,
		  const char *tenant, const char *branch, const char *repo_path,
		  sim_repo_state *out)
{
	git_tree *tip_root = NULL, *applied_root = NULL;
	reader r;
	appset as;
	size_t i;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	if (commit_tree(repo, tip, &tip_root, "read the branch tip") < 0)
		return -1;
	if (commit_tree(repo, applied, &applied_root, "read the applied argocd/") < 0) {
		git_tree_free(tip_root);
		return -1;
	}
	r.repo = repo;
	/* the Argo CD objects as applied; the generator walks the tip */
	r.root = applied_root;
	read_appset(&r, &as, out, tenant, branch, repo_path);
	r.root = tip_root;
	generate(&r, &as, out, tenant);
	r.root = applied_root;
	directory_app(&r, out, tenant, MECH_LAYOUT_NETWORK, MECH_LAYOUT_ARGOCD_NETWORK, SIM_NETWORK);
	directory_app(&r, out, tenant, MECH_LAYOUT_ADDONS, MECH_LAYOUT_ARGOCD_ADDONS, SIM_ADDONS);
	out->project = read_json_yaml(&r, MECH_LAYOUT_ARGOCD_PROJECT);
	r.root = tip_root;
	for (i = 0; i < out->ntargets; i++)
		render_target(&r, &out->targets[i]);
	mech_error_clear();
	appset_dispose(&as);
	git_tree_free(tip_root);
	git_tree_free(applied_root);
	return 0;
}
