/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Secrets a client writes through the sim's Kubernetes API (`mech secret`,
 * kubectl): POST creates (201, or 409 AlreadyExists), PATCH merges a
 * merge-patch or strategic-merge-patch into labels, annotations and data
 * (200; 415 for other patch types), DELETE removes (200 with a Success
 * Status). A POST into a namespace the sim does not serve (yet: Argo CD
 * creates x-<tenant> on its first sync) is 404, as the API server says. They are kept in the world beside CloudNativePG's generated
 * Secrets and served by sim_kube.c like every other object (GET, list,
 * selectors, watch), with the resourceVersion its rendering gives them.
 *
 * The values are base64 text in cJSON strings: every string of a request
 * body and of a stored Secret is wiped before it is freed.
 */
#include "sim_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mech/error.h"
#include "mech/http.h" /* mech_json_get */

#define SECRET_MAX (1u << 20) /* the API server's limit on a Secret's data */

struct sim_usecret {
	char *namespace;
	char *name;
	char *type;
	char uid[40];
	char *created_at;
	cJSON *labels;      /* object */
	cJSON *annotations; /* object or NULL */
	cJSON *data;        /* object of base64 strings */
};

static void wipe_strings(cJSON *o)
{
	cJSON *it;
	for (it = o ? o->child : NULL; it; it = it->next) {
		if (cJSON_IsString(it) && it->valuestring)
			explicit_bzero(it->valuestring, strlen(it->valuestring));
		wipe_strings(it);
	}
}

static void wipe_delete(cJSON *o)
{
	if (!o)
		return;
	if (cJSON_IsString(o) && o->valuestring)
		explicit_bzero(o->valuestring, strlen(o->valuestring));
	wipe_strings(o);
	cJSON_Delete(o);
}

static void usecret_dispose(sim_usecret *s)
{
	free(s->namespace);
	free(s->name);
	free(s->type);
	free(s->created_at);
	cJSON_Delete(s->labels);
	cJSON_Delete(s->annotations);
	wipe_delete(s->data);
}

void sim_secrets_dispose(sim_world *w)
{
	size_t i;
	for (i = 0; i < w->nusecrets; i++)
		usecret_dispose(&w->usecrets[i]);
	free(w->usecrets);
	w->usecrets = NULL;
	w->nusecrets = 0;
}

static sim_usecret *find(sim_world *w, const char *ns, const char *name)
{
	size_t i;
	for (i = 0; i < w->nusecrets; i++)
		if (!strcmp(w->usecrets[i].namespace, ns) && !strcmp(w->usecrets[i].name, name))
			return &w->usecrets[i];
	return NULL;
}

static cJSON *render(const sim_usecret *s)
{
	cJSON *o = cJSON_CreateObject(), *meta;
	cJSON_AddStringToObject(o, "kind", "Secret");
	cJSON_AddStringToObject(o, "apiVersion", "v1");
	meta = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(meta, "name", s->name);
	cJSON_AddStringToObject(meta, "namespace", s->namespace);
	cJSON_AddStringToObject(meta, "uid", s->uid);
	cJSON_AddStringToObject(meta, "creationTimestamp", s->created_at);
	if (s->labels && s->labels->child)
		cJSON_AddItemToObject(meta, "labels", cJSON_Duplicate(s->labels, 1));
	if (s->annotations && s->annotations->child)
		cJSON_AddItemToObject(meta, "annotations", cJSON_Duplicate(s->annotations, 1));
	cJSON_AddStringToObject(o, "type", s->type);
	if (s->data && s->data->child)
		cJSON_AddItemToObject(o, "data", cJSON_Duplicate(s->data, 1));
	return o;
}

void sim_secrets_each(const sim_world *w, sim_k8s_fn fn, void *arg)
{
	size_t i;
	for (i = 0; i < w->nusecrets; i++)
		fn(arg, "", "Secret", render(&w->usecrets[i]));
}

/* ---- validation, as the API server's ---- */

static int dns_subdomain(const char *s)
{
	size_t i, n = strlen(s);
	if (!n || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && c != '-' && c != '.')
			return 0;
		if ((i == 0 || i == n - 1) && !alnum)
			return 0;
	}
	return 1;
}

static int key_ok(const char *k)
{
	size_t i, n = strlen(k);
	if (!n || n > 253 || !strcmp(k, ".") || !strcmp(k, ".."))
		return 0;
	for (i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
		      (k[i] >= '0' && k[i] <= '9') || k[i] == '-' || k[i] == '_' || k[i] == '.'))
			return 0;
	return 1;
}

static void answer(sim_kube_answer *ans, unsigned int code, const char *reason, const char *msg,
		   const char *name)
{
	ans->status = code;
	ans->body = sim_kube_status(code, reason, msg, "", "secrets", name);
}

static void invalid(sim_kube_answer *ans, const char *name, const char *detail)
{
	char *msg = mech_sprintf("Secret \"%s\" is invalid: %s", name ? name : "", detail);
	answer(ans, 422, "Invalid", msg, name);
	free(msg);
}

/*
 * Merge `src` (data or stringData of a request) into `dst` (base64 values),
 * null removing a key. 0, or -1 with the answer set.
 */
static int merge_data(cJSON *dst, const cJSON *src, int string_data, const char *name,
		      sim_kube_answer *ans)
{
	const cJSON *it;
	if (!src || cJSON_IsNull(src))
		return 0;
	if (!cJSON_IsObject(src)) {
		answer(ans, 400, "BadRequest", "data: expected an object of strings", name);
		return -1;
	}
	for (it = src->child; it; it = it->next) {
		char *v;
		if (!it->string || !key_ok(it->string)) {
			invalid(ans, name,
				"data[...]: Invalid value: a valid config key must consist of "
				"alphanumeric characters, '-', '_' or '.'");
			return -1;
		}
		if (cJSON_IsNull(it)) {
			cJSON *gone = cJSON_DetachItemFromObjectCaseSensitive(dst, it->string);
			wipe_delete(gone);
			continue;
		}
		if (!cJSON_IsString(it) || !it->valuestring) {
			answer(ans, 400, "BadRequest", "data: expected string values", name);
			return -1;
		}
		if (string_data) {
			v = mech_base64(it->valuestring, strlen(it->valuestring));
		} else {
			mech_buf b = MECH_BUF_INIT;
			b.secret = 1;
			b.max = SECRET_MAX + 1;
			if (mech_unbase64(it->valuestring, strlen(it->valuestring), &b) !=
			    MECH_BASE64_OK) {
				mech_buf_dispose(&b);
				answer(ans, 400, "BadRequest", "illegal base64 data in Secret data",
				       name);
				return -1;
			}
			mech_buf_dispose(&b);
			v = mech_strdup(it->valuestring);
		}
		{
			cJSON *old = cJSON_DetachItemFromObjectCaseSensitive(dst, it->string);
			wipe_delete(old);
		}
		cJSON_AddStringToObject(dst, it->string, v);
		explicit_bzero(v, strlen(v));
		free(v);
	}
	return 0;
}

static size_t data_size(const cJSON *data)
{
	const cJSON *it;
	size_t n = 0;
	for (it = data ? data->child : NULL; it; it = it->next)
		if (cJSON_IsString(it))
			n += strlen(it->string) + strlen(it->valuestring) / 4 * 3;
	return n;
}

static void merge_map(cJSON **dst, const cJSON *src)
{
	const cJSON *it;
	if (!cJSON_IsObject(src))
		return;
	if (!*dst)
		*dst = cJSON_CreateObject();
	for (it = src->child; it; it = it->next) {
		cJSON_DeleteItemFromObjectCaseSensitive(*dst, it->string);
		if (cJSON_IsString(it))
			cJSON_AddStringToObject(*dst, it->string, it->valuestring);
	}
}

/* The stored Secret as the answer of a write, with its resourceVersion now. */
static void answer_object(sim_world *w, const sim_usecret *s, unsigned int code,
			  sim_kube_answer *ans)
{
	cJSON *doc, *meta;
	char rv[32];
	w->rv++; /* a visible change: the next rendering picks it up */
	sim_kube_refresh(w);
	pthread_cond_broadcast(&w->changed);
	doc = render(s);
	meta = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
	snprintf(rv, sizeof(rv), "%llu", sim_kube_rv(w, "", "Secret", s->namespace, s->name));
	cJSON_AddStringToObject(meta, "resourceVersion", rv);
	ans->status = code;
	ans->secret = 1;
	ans->body = sim_print_secret(doc);
	sim_wipe_secret(doc);
}

static void create(sim_world *w, const char *ns, cJSON *doc, sim_kube_answer *ans)
{
	const cJSON *meta = mech_json_get(doc, "metadata");
	const cJSON *name = mech_json_get(meta, "name"), *dns = mech_json_get(meta, "namespace");
	const cJSON *type = mech_json_get(doc, "type"), *kind = mech_json_get(doc, "kind");
	sim_usecret s;
	char *msg;

	if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "Secret")) {
		answer(ans, 400, "BadRequest", "the body is not a v1 Secret", NULL);
		return;
	}
	if (!cJSON_IsString(name) || !dns_subdomain(name->valuestring)) {
		invalid(ans, cJSON_IsString(name) ? name->valuestring : "",
			"metadata.name: Invalid value: a lowercase RFC 1123 subdomain must "
			"consist of lower case alphanumeric characters, '-' or '.'");
		return;
	}
	if (cJSON_IsString(dns) && strcmp(dns->valuestring, ns)) {
		answer(ans, 400, "BadRequest",
		       "the namespace of the provided object does not match the namespace sent "
		       "on the request",
		       name->valuestring);
		return;
	}
	/* Argo CD creates x-<tenant> on the first sync (CreateNamespace=true): before, none */
	if (!sim_kube_rv(w, "", "Namespace", "", ns)) {
		msg = mech_sprintf("namespaces \"%s\" not found", ns);
		ans->status = 404;
		ans->body = sim_kube_status(404, "NotFound", msg, "", "namespaces", ns);
		free(msg);
		return;
	}
	if (find(w, ns, name->valuestring) || sim_world_secret(w, ns, name->valuestring)) {
		msg = mech_sprintf("secrets \"%s\" already exists", name->valuestring);
		answer(ans, 409, "AlreadyExists", msg, name->valuestring);
		free(msg);
		return;
	}
	memset(&s, 0, sizeof(s));
	s.data = cJSON_CreateObject();
	if (merge_data(s.data, mech_json_get(doc, "data"), 0, name->valuestring, ans) < 0 ||
	    merge_data(s.data, mech_json_get(doc, "stringData"), 1, name->valuestring, ans) < 0) {
		wipe_delete(s.data);
		return;
	}
	if (data_size(s.data) > SECRET_MAX) {
		wipe_delete(s.data);
		invalid(ans, name->valuestring, "data: Too long: must have at most 1048576 bytes");
		return;
	}
	s.namespace = mech_strdup(ns);
	s.name = mech_strdup(name->valuestring);
	s.type = mech_strdup(cJSON_IsString(type) && *type->valuestring ? type->valuestring
									: "Opaque");
	sim_uid(s.uid);
	s.created_at = sim_wall();
	merge_map(&s.labels, mech_json_get(meta, "labels"));
	merge_map(&s.annotations, mech_json_get(meta, "annotations"));
	w->usecrets = mech_reallocarray(w->usecrets, w->nusecrets + 1, sizeof(*w->usecrets));
	w->usecrets[w->nusecrets++] = s;
	answer_object(w, &w->usecrets[w->nusecrets - 1], 201, ans);
}

static void not_found(sim_kube_answer *ans, const char *name)
{
	char *msg = mech_sprintf("secrets \"%s\" not found", name);
	answer(ans, 404, "NotFound", msg, name);
	free(msg);
}

/* A patch type the sim applies: 1, else 0 with the 415 answered (before the body is read). */
static int patch_type_ok(const char *ctype, const char *name, sim_kube_answer *ans)
{
	char *msg;
	if (!ctype || (strncmp(ctype, "application/merge-patch+json", 28) &&
		       strncmp(ctype, "application/strategic-merge-patch+json", 38))) {
		msg = mech_sprintf("the body of the request was in an unknown format - accepted "
				   "media types include: application/merge-patch+json, "
				   "application/strategic-merge-patch+json (mech sim)");
		answer(ans, 415, "UnsupportedMediaType", msg, name);
		free(msg);
		return 0;
	}
	return 1;
}

static void patch(sim_world *w, const char *ns, const char *name, cJSON *doc, sim_kube_answer *ans)
{
	sim_usecret *s = find(w, ns, name);
	const cJSON *meta = mech_json_get(doc, "metadata"), *type = mech_json_get(doc, "type");
	cJSON *data;

	if (!s) {
		if (sim_world_secret(w, ns, name))
			answer(ans, 405, "MethodNotAllowed",
			       "mech sim: CloudNativePG's Secrets are read-only here", name);
		else
			not_found(ans, name);
		return;
	}
	if (cJSON_IsString(type) && strcmp(type->valuestring, s->type)) {
		invalid(ans, name, "type: Invalid value: field is immutable");
		return;
	}
	data = cJSON_Duplicate(s->data, 1);
	if (merge_data(data, mech_json_get(doc, "data"), 0, name, ans) < 0 ||
	    merge_data(data, mech_json_get(doc, "stringData"), 1, name, ans) < 0) {
		wipe_delete(data);
		return;
	}
	if (data_size(data) > SECRET_MAX) {
		wipe_delete(data);
		invalid(ans, name, "data: Too long: must have at most 1048576 bytes");
		return;
	}
	wipe_delete(s->data);
	s->data = data;
	merge_map(&s->labels, mech_json_get(meta, "labels"));
	merge_map(&s->annotations, mech_json_get(meta, "annotations"));
	answer_object(w, s, 200, ans);
}

static void delete (sim_world *w, const char *ns, const char *name, sim_kube_answer *ans)
{
	sim_usecret *s = find(w, ns, name);
	cJSON *st, *d;
	size_t i;

	if (!s) {
		if (sim_world_secret(w, ns, name))
			answer(ans, 405, "MethodNotAllowed",
			       "mech sim: CloudNativePG's Secrets are read-only here", name);
		else
			not_found(ans, name);
		return;
	}
	st = cJSON_CreateObject();
	cJSON_AddStringToObject(st, "kind", "Status");
	cJSON_AddStringToObject(st, "apiVersion", "v1");
	cJSON_AddObjectToObject(st, "metadata");
	cJSON_AddStringToObject(st, "status", "Success");
	d = cJSON_AddObjectToObject(st, "details");
	cJSON_AddStringToObject(d, "name", name);
	cJSON_AddStringToObject(d, "kind", "secrets");
	cJSON_AddStringToObject(d, "uid", s->uid);
	i = (size_t)(s - w->usecrets);
	usecret_dispose(s);
	memmove(&w->usecrets[i], &w->usecrets[i + 1], (w->nusecrets - i - 1) * sizeof(*w->usecrets));
	w->nusecrets--;
	w->rv++;
	sim_kube_refresh(w);
	pthread_cond_broadcast(&w->changed);
	ans->status = 200;
	ans->body = cJSON_PrintUnformatted(st);
	cJSON_Delete(st);
}

void sim_secrets_write(sim_world *w, const char *method, const char *url, const char *ctype,
		       const char *body, size_t len, int too_large, sim_kube_answer *ans)
{
	char *copy = mech_strdup(url), *seg[8], *save = NULL, *tok;
	size_t n = 0;
	cJSON *doc = NULL;
	int post = !strcmp(method, "POST"), patch_m = !strcmp(method, "PATCH"),
	    del = !strcmp(method, "DELETE");

	memset(ans, 0, sizeof(*ans));
	for (tok = strtok_r(copy, "/", &save); tok && n < 8; tok = strtok_r(NULL, "/", &save))
		seg[n++] = tok;
	/* api v1 namespaces NS secrets [NAME] */
	if (tok || n < 5 || n > 6 || strcmp(seg[0], "api") || strcmp(seg[1], "v1") ||
	    strcmp(seg[2], "namespaces") || strcmp(seg[4], "secrets") ||
	    !((post && n == 5) || ((patch_m || del) && n == 6))) {
		answer(ans, 405, "MethodNotAllowed",
		       "the server does not allow this method on the requested resource", NULL);
		goto done;
	}
	if (too_large) {
		answer(ans, 413, "RequestEntityTooLarge", "the request is too large", NULL);
		goto done;
	}
	if (patch_m && !patch_type_ok(ctype, seg[5], ans))
		goto done;
	if (!del) {
		doc = cJSON_ParseWithLength(body ? body : "", len);
		if (!cJSON_IsObject(doc)) {
			answer(ans, 400, "BadRequest",
			       "the body of the request is not a JSON object", NULL);
			goto done;
		}
	}
	pthread_mutex_lock(&w->lock);
	if (post)
		create(w, seg[3], doc, ans);
	else if (patch_m)
		patch(w, seg[3], seg[5], doc, ans);
	else
		delete (w, seg[3], seg[5], ans);
	pthread_mutex_unlock(&w->lock);
done:
	wipe_delete(doc);
	free(copy);
}
