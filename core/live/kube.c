/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kubernetes reads over mech_http. Status counters are omitempty in the
 * API, so an absent field is 0. The CNPG app Secret is read with an
 * allow-list: only username, host, port and dbname are decoded; every other
 * value (password, uri, jdbc-uri, pgpass, fqdn-*) is wiped from the
 * response buffers before they are freed and never copied.
 */
#include "mech/kube.h"

#include <stdlib.h>
#include <string.h>

#include "mech/buf.h"
#include "mech/error.h"
#include "mech/layout.h"

struct mech_kube {
	mech_http *http;
	long timeout_ms; /* a unary call's; a pod log's read too */
};

#define SECRET_VALUE_MAX 4096

static char *jstr(const cJSON *o, const char *dotted)
{
	const cJSON *v = mech_json_path(o, dotted);
	if (cJSON_IsString(v) && v->valuestring)
		return mech_strdup(v->valuestring);
	return mech_strdup("");
}

static long long jint(const cJSON *o, const char *dotted, long long def)
{
	const cJSON *v = mech_json_path(o, dotted);
	if (!cJSON_IsNumber(v))
		return def;
	if (v->valuedouble > 9e15 || v->valuedouble < -9e15)
		return def;
	return (long long)v->valuedouble;
}

static int jcount(const cJSON *o, const char *dotted)
{
	long long v = jint(o, dotted, 0);
	return v < 0 ? 0 : v > 1000000 ? 1000000 : (int)v;
}

/* ---- client ---- */

int mech_kube_open(mech_kube **out, const char *url, const char *token_file, const char *ca_file,
		   long timeout_ms)
{
	mech_http_opts o = {0};
	mech_kube *k;

	*out = NULL;
	o.name = "Kubernetes";
	o.url = url;
	o.token_file = token_file;
	o.ca_file = ca_file;
	o.timeout_ms = timeout_ms;
	k = mech_calloc(1, sizeof(*k));
	k->timeout_ms = timeout_ms > 0 ? timeout_ms : MECH_HTTP_TIMEOUT_DEFAULT;
	if (mech_http_new(&k->http, &o) < 0) {
		free(k);
		return -1;
	}
	*out = k;
	return 0;
}

int mech_kube_new(mech_kube **out, const mech_config *cfg)
{
	*out = NULL;
	if (!cfg->kube_url || !*cfg->kube_url) {
		mech_error_set(MECH_ECONFIG, "Kubernetes is not configured");
		return mech_error_hint("set kubernetes.url in %s/mech.yaml (or run `mech sim`)",
				       cfg->home ? cfg->home : "MECH_HOME");
	}
	return mech_kube_open(out, cfg->kube_url, cfg->kube_token_file, cfg->kube_ca_file,
			      cfg->argocd_timeout_ms);
}

void mech_kube_free(mech_kube *k)
{
	if (!k)
		return;
	mech_http_free(k->http);
	free(k);
}

mech_http *mech_kube_http(mech_kube *k)
{
	return k->http;
}

/*
 * GET a JSON object. A 404 without a Status body means the API path is
 * unknown to the server (CRD missing), not that the object is absent.
 * With `resp_keep`, the raw response is handed back (the secret reader
 * wipes it); otherwise it is disposed here.
 */
static int kube_get(mech_kube *k, const char *path, cJSON **out, mech_http_response *resp_keep)
{
	mech_http_response resp;
	char *what;
	int rc = -1;

	*out = NULL;
	/* the only answer kept is a Secret's: its body is wiped wherever it moves */
	if ((resp_keep ? mech_http_request_secret : mech_http_request)(k->http, "GET", path, NULL,
								       &resp) < 0)
		goto done; /* resp is empty */
	if (resp.status == 404 && !(resp.content_type && strstr(resp.content_type, "json"))) {
		mech_error_set(MECH_ENOT_FOUND,
			       "Kubernetes: GET %s%s: HTTP 404: the server does not know this API path",
			       mech_http_url(k->http), path);
		mech_error_hint("is the CRD installed (CloudNativePG, Gateway API)?");
		goto done;
	}
	if (mech_http_check(k->http, "GET", path, &resp) < 0)
		goto done;
	what = mech_sprintf("Kubernetes: GET %s%s", mech_http_url(k->http), path);
	rc = mech_json_parse(out, resp.body.ptr ? resp.body.ptr : "", resp.body.len, what);
	free(what);
	if (rc == 0 && !cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		rc = mech_error_set(MECH_EUNAVAILABLE, "Kubernetes: GET %s%s: not a JSON object",
				    mech_http_url(k->http), path);
	}
done:
	if (resp_keep)
		*resp_keep = resp;
	else
		mech_http_response_dispose(&resp);
	return rc;
}

static char *object_path(const char *prefix, const char *ns, const char *plural, const char *name,
			 const char *suffix)
{
	char *n = mech_http_escape(ns), *m = mech_http_escape(name);
	char *path = mech_sprintf("%s/namespaces/%s/%s/%s%s", prefix, n, plural, m, suffix);
	free(n);
	free(m);
	return path;
}

/* GET one namespaced object of `plural` in API group path `api`. */
static int get_object(mech_kube *k, const char *api, const char *ns, const char *plural,
		      const char *name, cJSON **doc)
{
	char *path = object_path(api, ns, plural, name, "");
	int rc = kube_get(k, path, doc, NULL);
	free(path);
	return rc;
}

int mech_kube_version(mech_kube *k, char **out)
{
	cJSON *doc;
	*out = NULL;
	if (kube_get(k, "/version", &doc, NULL) < 0)
		return -1;
	*out = jstr(doc, "gitVersion");
	cJSON_Delete(doc);
	return 0;
}

const mech_kube_condition *mech_kube_condition_find(const mech_kube_condition *conds, size_t n,
						    const char *type)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!strcmp(conds[i].type, type))
			return &conds[i];
	return NULL;
}

static mech_kube_condition *parse_conditions(const cJSON *arr, size_t *n)
{
	mech_kube_condition *out;
	const cJSON *it;
	int len = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;

	*n = 0;
	if (len <= 0)
		return NULL;
	out = mech_calloc((size_t)len, sizeof(*out));
	for (it = arr->child; it; it = it->next) {
		mech_kube_condition *c;
		if (!cJSON_IsObject(it))
			continue;
		c = &out[(*n)++];
		c->type = jstr(it, "type");
		c->status = jstr(it, "status");
		c->reason = jstr(it, "reason");
		c->message = jstr(it, "message");
		c->last_transition = jstr(it, "lastTransitionTime");
		c->observed_generation = jint(it, "observedGeneration", 0);
	}
	return out;
}

static void free_conditions(mech_kube_condition *c, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(c[i].type);
		free(c[i].status);
		free(c[i].reason);
		free(c[i].message);
		free(c[i].last_transition);
	}
	free(c);
}

static void free_strings(char **v, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- Deployment ---- */

void mech_kube_deployment_free(mech_kube_deployment *d)
{
	if (!d)
		return;
	free(d->namespace);
	free(d->name);
	free_strings(d->images, d->nimages);
	free_conditions(d->conditions, d->nconditions);
	free(d->state_message);
	free(d);
}

/* Argo CD's Deployment health rule (gitops-engine, after kubectl rollout status). */
static void rollout_state(mech_kube_deployment *d)
{
	const mech_kube_condition *p = mech_kube_condition_find(d->conditions, d->nconditions,
								"Progressing");
	if (d->paused) {
		d->state = MECH_ROLLOUT_PAUSED;
		d->state_message = mech_strdup("Deployment is paused");
	} else if (d->generation > d->observed_generation) {
		d->state = MECH_ROLLOUT_PROGRESSING;
		d->state_message = mech_strdup("Waiting for rollout to finish: observed deployment "
					       "generation less than desired generation");
	} else if (p && !strcmp(p->reason, "ProgressDeadlineExceeded")) {
		d->state = MECH_ROLLOUT_FAILED;
		d->state_message = mech_sprintf("Deployment \"%s\" exceeded its progress deadline",
						d->name);
	} else if (d->updated < d->spec_replicas) {
		d->state = MECH_ROLLOUT_PROGRESSING;
		d->state_message = mech_sprintf("Waiting for rollout to finish: %d out of %d new "
						"replicas have been updated...",
						d->updated, d->spec_replicas);
	} else if (d->replicas > d->updated) {
		d->state = MECH_ROLLOUT_PROGRESSING;
		d->state_message = mech_sprintf("Waiting for rollout to finish: %d old replicas are "
						"pending termination...",
						d->replicas - d->updated);
	} else if (d->available < d->updated) {
		d->state = MECH_ROLLOUT_PROGRESSING;
		d->state_message = mech_sprintf("Waiting for rollout to finish: %d of %d updated "
						"replicas are available...",
						d->available, d->updated);
	} else {
		d->state = MECH_ROLLOUT_COMPLETE;
		d->state_message = mech_strdup("");
	}
}

int mech_kube_deployment_parse(const cJSON *j, mech_kube_deployment **out)
{
	const cJSON *containers, *it;
	mech_kube_deployment *d;
	int n;

	*out = NULL;
	if (!cJSON_IsObject(j))
		return mech_error_set(MECH_EUNAVAILABLE,
				      "Kubernetes: a Deployment that is not an object");
	d = mech_calloc(1, sizeof(*d));
	d->namespace = jstr(j, "metadata.namespace");
	d->name = jstr(j, "metadata.name");
	d->generation = jint(j, "metadata.generation", 0);
	d->observed_generation = jint(j, "status.observedGeneration", 0);
	d->spec_replicas = (int)jint(j, "spec.replicas", 1);
	if (d->spec_replicas < 0)
		d->spec_replicas = 0;
	d->replicas = jcount(j, "status.replicas");
	d->updated = jcount(j, "status.updatedReplicas");
	d->ready = jcount(j, "status.readyReplicas");
	d->available = jcount(j, "status.availableReplicas");
	d->unavailable = jcount(j, "status.unavailableReplicas");
	d->paused = cJSON_IsTrue(mech_json_path(j, "spec.paused"));
	containers = mech_json_path(j, "spec.template.spec.containers");
	n = cJSON_IsArray(containers) ? cJSON_GetArraySize(containers) : 0;
	if (n > 0) {
		d->images = mech_calloc((size_t)n, sizeof(*d->images));
		for (it = containers->child; it; it = it->next) {
			const cJSON *img = mech_json_get(it, "image");
			if (cJSON_IsString(img) && img->valuestring)
				d->images[d->nimages++] = mech_strdup(img->valuestring);
		}
	}
	d->conditions = parse_conditions(mech_json_path(j, "status.conditions"), &d->nconditions);
	rollout_state(d);
	*out = d;
	return 0;
}

int mech_kube_deployment_get(mech_kube *k, const char *ns, const char *name,
			     mech_kube_deployment **out)
{
	cJSON *doc;
	int rc;
	*out = NULL;
	if (get_object(k, "/apis/apps/v1", ns, "deployments", name, &doc) < 0)
		return -1;
	rc = mech_kube_deployment_parse(doc, out);
	cJSON_Delete(doc);
	return rc;
}

/* ---- CloudNativePG Cluster ---- */

void mech_kube_pg_cluster_free(mech_kube_pg_cluster *c)
{
	if (!c)
		return;
	free(c->namespace);
	free(c->name);
	free(c->phase);
	free(c->phase_reason);
	free(c->current_primary);
	free(c->write_service);
	free(c->read_service);
	free(c->image);
	free(c->memory);
	free_conditions(c->conditions, c->nconditions);
	free(c);
}

int mech_kube_pg_cluster_parse(const cJSON *j, mech_kube_pg_cluster **out)
{
	mech_kube_pg_cluster *c;
	const mech_kube_condition *ready;

	*out = NULL;
	if (!cJSON_IsObject(j))
		return mech_error_set(MECH_EUNAVAILABLE,
				      "Kubernetes: a Cluster that is not an object");
	c = mech_calloc(1, sizeof(*c));
	c->namespace = jstr(j, "metadata.namespace");
	c->name = jstr(j, "metadata.name");
	c->spec_instances = (int)jint(j, "spec.instances", 1);
	c->phase = jstr(j, "status.phase");
	c->phase_reason = jstr(j, "status.phaseReason");
	c->instances = jcount(j, "status.instances");
	c->ready_instances = jcount(j, "status.readyInstances");
	c->current_primary = jstr(j, "status.currentPrimary");
	c->write_service = jstr(j, "status.writeService");
	c->read_service = jstr(j, "status.readService");
	c->image = jstr(j, "status.image");
	c->memory = jstr(j, "spec.resources.requests.memory");
	c->generation = jint(j, "metadata.generation", 0);
	c->conditions = parse_conditions(mech_json_path(j, "status.conditions"), &c->nconditions);
	ready = mech_kube_condition_find(c->conditions, c->nconditions, "Ready");
	c->ready_generation = ready ? ready->observed_generation : 0;
	/*
	 * cnpg.md: the phase string, the Ready condition and the count together;
	 * a Ready of an older generation describes the spec before the last
	 * change (the operator has not seen it yet), so it is not ready
	 */
	c->ready = !strcmp(c->phase, "Cluster in healthy state") && ready &&
		   !strcmp(ready->status, "True") && c->ready_instances == c->spec_instances &&
		   (!c->ready_generation || !c->generation || c->ready_generation == c->generation);
	*out = c;
	return 0;
}

int mech_kube_pg_cluster_get(mech_kube *k, const char *ns, const char *name,
			     mech_kube_pg_cluster **out)
{
	cJSON *doc;
	int rc;
	*out = NULL;
	if (get_object(k, "/apis/postgresql.cnpg.io/v1", ns, "clusters", name, &doc) < 0)
		return -1;
	rc = mech_kube_pg_cluster_parse(doc, out);
	cJSON_Delete(doc);
	return rc;
}

/* ---- the CNPG app Secret, non-secret part only ---- */

/*
 * Decode a Secret's base64 value into printable text; NULL on bad input or
 * control bytes. Kubernetes and Go clients may write the URL alphabet or
 * leave the padding out: the lenient mode takes both.
 */
static char *b64_text(const char *s)
{
	mech_buf b = MECH_BUF_INIT;
	size_t i;

	b.max = SECRET_VALUE_MAX;
	if (mech_base64_decode(s, strlen(s), MECH_BASE64_LENIENT, &b) != MECH_BASE64_OK)
		goto bad;
	for (i = 0; i < b.len; i++)
		if ((unsigned char)b.ptr[i] < 0x20 || b.ptr[i] == 0x7f)
			goto bad;
	return b.len ? mech_buf_detach(&b) : (mech_buf_dispose(&b), mech_strdup(""));
bad:
	mech_buf_dispose(&b);
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void mech_kube_pg_secret_free(mech_kube_pg_secret *s)
{
	if (!s)
		return;
	free(s->namespace);
	free(s->name);
	free(s->type);
	free(s->username);
	free(s->host);
	free(s->port);
	free(s->dbname);
	free_strings(s->keys, s->nkeys);
	free(s);
}

/* The keys whose values may be shown; everything else stays in the cluster. */
static char **public_field(mech_kube_pg_secret *s, const char *key)
{
	if (!strcmp(key, "username") || (!strcmp(key, "user") && !*s->username))
		return &s->username;
	if (!strcmp(key, "host"))
		return &s->host;
	if (!strcmp(key, "port"))
		return &s->port;
	if (!strcmp(key, "dbname"))
		return &s->dbname;
	return NULL;
}

static void wipe_json_strings(cJSON *o)
{
	cJSON *it;
	for (it = o ? o->child : NULL; it; it = it->next) {
		if (cJSON_IsString(it) && it->valuestring)
			explicit_bzero(it->valuestring, strlen(it->valuestring));
		wipe_json_strings(it);
	}
}

int mech_kube_pg_secret_get(mech_kube *k, const char *ns, const char *cluster,
			    mech_kube_pg_secret **out)
{
	char *name = mech_layout_addon_secret(cluster);
	char *path = object_path("/api/v1", ns, "secrets", name, "");
	mech_kube_pg_secret *s = NULL;
	mech_http_response resp;
	const cJSON *data, *it;
	cJSON *doc = NULL;
	int n, rc = -1;

	*out = NULL;
	if (kube_get(k, path, &doc, &resp) < 0)
		goto done;
	s = mech_calloc(1, sizeof(*s));
	s->namespace = jstr(doc, "metadata.namespace");
	s->name = jstr(doc, "metadata.name");
	s->type = jstr(doc, "type");
	s->username = mech_strdup("");
	s->host = mech_strdup("");
	s->port = mech_strdup("");
	s->dbname = mech_strdup("");
	data = mech_json_get(doc, "data");
	n = cJSON_IsObject(data) ? cJSON_GetArraySize(data) : 0;
	if (n > 0)
		s->keys = mech_calloc((size_t)n, sizeof(*s->keys));
	for (it = n > 0 ? data->child : NULL; it; it = it->next) {
		char **field;
		if (!it->string)
			continue;
		s->keys[s->nkeys++] = mech_strdup(it->string);
		field = public_field(s, it->string);
		if (field && cJSON_IsString(it) && it->valuestring) {
			char *v = b64_text(it->valuestring);
			if (v) {
				free(*field);
				*field = v;
			}
		}
	}
	if (s->nkeys)
		qsort(s->keys, s->nkeys, sizeof(*s->keys), cmp_str);
	*out = s;
	s = NULL;
	rc = 0;
done:
	/* The body held the password: wipe both copies before freeing. */
	if (doc)
		wipe_json_strings(doc);
	cJSON_Delete(doc);
	mech_http_response_dispose(&resp); /* a secret buffer: wiped */
	mech_kube_pg_secret_free(s);
	free(path);
	free(name);
	return rc;
}

/* ---- HTTPRoute ---- */

void mech_kube_route_free(mech_kube_route *r)
{
	size_t i;
	if (!r)
		return;
	free(r->namespace);
	free(r->name);
	free_strings(r->hostnames, r->nhostnames);
	for (i = 0; i < r->nparents; i++) {
		mech_kube_route_parent *p = &r->parents[i];
		free(p->parent_group);
		free(p->parent_kind);
		free(p->parent_namespace);
		free(p->parent_name);
		free(p->section_name);
		free(p->controller);
		free_conditions(p->conditions, p->nconditions);
	}
	free(r->parents);
	free(r);
}

/* 1 all current parents say True, 0 one says otherwise, -1 none reports it. */
/*
 * 1 when every parent that reports `type` says True, 0 when one says False,
 * -1 (no verdict yet) when none reports it or one says Unknown: Gateway API
 * controllers set Accepted=Unknown (reason Pending) before they decide.
 */
static int route_verdict(const mech_kube_route *r, const char *type)
{
	int seen = 0, unknown = 0;
	size_t i;
	for (i = 0; i < r->nparents; i++) {
		const mech_kube_condition *c = mech_kube_condition_find(r->parents[i].conditions,
									r->parents[i].nconditions,
									type);
		if (!c)
			continue;
		/* a condition for an older spec says nothing about this one */
		if (c->observed_generation && r->generation &&
		    c->observed_generation != r->generation)
			continue;
		if (!strcmp(c->status, "False"))
			return 0;
		if (strcmp(c->status, "True"))
			unknown = 1;
		else
			seen = 1;
	}
	return seen && !unknown ? 1 : -1;
}

int mech_kube_route_parse(const cJSON *j, mech_kube_route **out)
{
	const cJSON *parents, *it, *hosts;
	mech_kube_route *r;
	int n;

	*out = NULL;
	if (!cJSON_IsObject(j))
		return mech_error_set(MECH_EUNAVAILABLE,
				      "Kubernetes: an HTTPRoute that is not an object");
	r = mech_calloc(1, sizeof(*r));
	r->namespace = jstr(j, "metadata.namespace");
	r->name = jstr(j, "metadata.name");
	r->generation = jint(j, "metadata.generation", 0);
	hosts = mech_json_path(j, "spec.hostnames");
	n = cJSON_IsArray(hosts) ? cJSON_GetArraySize(hosts) : 0;
	if (n > 0) {
		r->hostnames = mech_calloc((size_t)n, sizeof(*r->hostnames));
		for (it = hosts->child; it; it = it->next)
			if (cJSON_IsString(it) && it->valuestring)
				r->hostnames[r->nhostnames++] = mech_strdup(it->valuestring);
	}
	parents = mech_json_path(j, "status.parents");
	n = cJSON_IsArray(parents) ? cJSON_GetArraySize(parents) : 0;
	if (n > 0) {
		r->parents = mech_calloc((size_t)n, sizeof(*r->parents));
		for (it = parents->child; it; it = it->next) {
			mech_kube_route_parent *p;
			if (!cJSON_IsObject(it))
				continue;
			p = &r->parents[r->nparents++];
			p->parent_group = jstr(it, "parentRef.group");
			p->parent_kind = jstr(it, "parentRef.kind");
			p->parent_namespace = jstr(it, "parentRef.namespace");
			p->parent_name = jstr(it, "parentRef.name");
			p->section_name = jstr(it, "parentRef.sectionName");
			p->controller = jstr(it, "controllerName");
			p->conditions = parse_conditions(mech_json_get(it, "conditions"),
							 &p->nconditions);
		}
	}
	r->accepted = route_verdict(r, "Accepted");
	r->resolved_refs = route_verdict(r, "ResolvedRefs");
	*out = r;
	return 0;
}

int mech_kube_route_get(mech_kube *k, const char *ns, const char *name, mech_kube_route **out)
{
	cJSON *doc;
	int rc;
	*out = NULL;
	if (get_object(k, "/apis/gateway.networking.k8s.io/v1", ns, "httproutes", name, &doc) < 0)
		return -1;
	rc = mech_kube_route_parse(doc, out);
	cJSON_Delete(doc);
	return rc;
}

/* ---- Pods, their logs, Events ---- */

void mech_kube_pods_free(mech_kube_pod *p, size_t n)
{
	size_t i;
	for (i = 0; p && i < n; i++) {
		free(p[i].name);
		free(p[i].phase);
		free(p[i].reason);
		free(p[i].message);
		free(p[i].created);
		free_strings(p[i].containers, p[i].ncontainers);
	}
	free(p);
}

static void pod_parse(const cJSON *j, mech_kube_pod *p)
{
	const cJSON *it, *ctrs = mech_json_path(j, "spec.containers");
	const cJSON *st = mech_json_path(j, "status.containerStatuses");
	int n = cJSON_IsArray(ctrs) ? cJSON_GetArraySize(ctrs) : 0, all_ready = 1, seen = 0;

	p->name = jstr(j, "metadata.name");
	p->phase = jstr(j, "status.phase");
	p->created = jstr(j, "metadata.creationTimestamp");
	p->reason = mech_strdup("");
	p->message = mech_strdup("");
	if (n > 0) {
		p->containers = mech_calloc((size_t)n, sizeof(*p->containers));
		cJSON_ArrayForEach(it, ctrs) if (cJSON_IsObject(it))
			p->containers[p->ncontainers++] = jstr(it, "name");
	}
	cJSON_ArrayForEach(it, (cJSON_IsArray(st) ? st : NULL))
	{
		const cJSON *w = mech_json_path(it, "state.waiting");
		const cJSON *t = mech_json_path(it, "state.terminated");
		seen = 1;
		p->restarts += (int)jcount(it, "restartCount");
		if (!cJSON_IsTrue(mech_json_get(it, "ready")))
			all_ready = 0;
		if (!*p->reason && (w || t)) {
			free(p->reason);
			free(p->message);
			p->reason = jstr(w ? w : t, "reason");
			p->message = jstr(w ? w : t, "message");
		}
	}
	p->ready = seen && all_ready && !strcmp(p->phase, "Running");
}

int mech_kube_pods_list(mech_kube *k, const char *ns, const char *selector, mech_kube_pod **out,
			size_t *n)
{
	char *e_ns = mech_http_escape(ns), *e_sel = mech_http_escape(selector), *path;
	const cJSON *items, *it;
	cJSON *doc = NULL;
	int len;

	*out = NULL;
	*n = 0;
	path = mech_sprintf("/api/v1/namespaces/%s/pods?labelSelector=%s", e_ns, e_sel);
	free(e_ns);
	free(e_sel);
	if (kube_get(k, path, &doc, NULL) < 0) {
		free(path);
		return -1;
	}
	free(path);
	items = mech_json_get(doc, "items");
	len = cJSON_IsArray(items) ? cJSON_GetArraySize(items) : 0;
	if (len > 0)
		*out = mech_calloc((size_t)len, sizeof(**out));
	cJSON_ArrayForEach(it, (len > 0 ? items : NULL)) if (cJSON_IsObject(it))
		pod_parse(it, &(*out)[(*n)++]);
	cJSON_Delete(doc);
	return 0;
}

void mech_kube_events_free(mech_kube_event *e, size_t n)
{
	size_t i;
	for (i = 0; e && i < n; i++) {
		free(e[i].type);
		free(e[i].reason);
		free(e[i].message);
		free(e[i].kind);
		free(e[i].name);
		free(e[i].first);
		free(e[i].last);
	}
	free(e);
}

int mech_kube_events_list(mech_kube *k, const char *ns, mech_kube_event **out, size_t *n)
{
	char *e_ns = mech_http_escape(ns), *path;
	const cJSON *items, *it;
	cJSON *doc = NULL;
	int len;

	*out = NULL;
	*n = 0;
	path = mech_sprintf("/api/v1/namespaces/%s/events", e_ns);
	free(e_ns);
	if (kube_get(k, path, &doc, NULL) < 0) {
		free(path);
		return -1;
	}
	free(path);
	items = mech_json_get(doc, "items");
	len = cJSON_IsArray(items) ? cJSON_GetArraySize(items) : 0;
	if (len > 0)
		*out = mech_calloc((size_t)len, sizeof(**out));
	cJSON_ArrayForEach(it, (len > 0 ? items : NULL))
	{
		mech_kube_event *e;
		if (!cJSON_IsObject(it))
			continue;
		e = &(*out)[(*n)++];
		e->type = jstr(it, "type");
		e->reason = jstr(it, "reason");
		e->message = jstr(it, "message");
		e->kind = jstr(it, "involvedObject.kind");
		e->name = jstr(it, "involvedObject.name");
		e->count = (int)jcount(it, "count");
		if (e->count < 1)
			e->count = 1;
		/* events.k8s.io writers leave the core fields empty: eventTime then */
		e->first = jstr(it, "firstTimestamp");
		e->last = jstr(it, "lastTimestamp");
		if (!*e->last) {
			free(e->last);
			e->last = jstr(it, "eventTime");
		}
		if (!*e->last) {
			free(e->last);
			e->last = jstr(it, "metadata.creationTimestamp");
		}
	}
	cJSON_Delete(doc);
	return 0;
}

/* ---- one app instance's Pods and Events (app logs, app events, the console) ---- */

int mech_kube_instance_pods(mech_kube *k, const char *ns, const char *app, const char *instance,
			    mech_kube_pod **pods, size_t *n)
{
	char *sel = mech_sprintf("%s=%s,%s=%s", MECH_LAYOUT_LABEL_NAME, app,
				 MECH_LAYOUT_LABEL_APP_INSTANCE, instance);
	char *workload, *legacy;
	int rc = mech_kube_pods_list(k, ns, sel, pods, n);
	free(sel);
	if (rc < 0 || *n)
		return rc;
	/* an overlay written before mech.dev/instance keeps the old selector until next written */
	mech_kube_pods_free(*pods, *n);
	workload = mech_layout_workload(app, instance);
	legacy = mech_sprintf("%s=%s,%s=%s", MECH_LAYOUT_LABEL_NAME, app,
			      MECH_LAYOUT_LABEL_ARGOCD_INSTANCE, workload);
	rc = mech_kube_pods_list(k, ns, legacy, pods, n);
	free(legacy);
	free(workload);
	return rc;
}

/* "web--main-7d9c-x2" is a ReplicaSet (1 segment after the workload) or a Pod (2). */
static int owned_name(const char *workload, const char *name, int segments)
{
	size_t n = strlen(workload);
	const char *p;
	int dashes = 0;
	if (strncmp(name, workload, n) || name[n] != '-' || !name[n + 1])
		return 0;
	for (p = name + n + 1; *p; p++) {
		if (*p == '-') {
			if (p[-1] == '-' || !p[1])
				return 0;
			dashes++;
		}
	}
	return dashes + 1 == segments;
}

int mech_kube_event_of_instance(const char *workload, const mech_kube_event *e)
{
	if (!strcmp(e->kind, "Deployment") || !strcmp(e->kind, "Service") ||
	    !strcmp(e->kind, "HTTPRoute"))
		return !strcmp(e->name, workload);
	if (!strcmp(e->kind, "ReplicaSet"))
		return owned_name(workload, e->name, 1);
	if (!strcmp(e->kind, "Pod"))
		return owned_name(workload, e->name, 2);
	return 0;
}

/* Warnings first, then the most recent first. */
static int cmp_event(const void *x, const void *y)
{
	const mech_kube_event *a = *(mech_kube_event *const *)x, *b = *(mech_kube_event *const *)y;
	int wa = !strcmp(a->type, "Warning"), wb = !strcmp(b->type, "Warning"), c;
	if (wa != wb)
		return wb - wa;
	if ((c = strcmp(b->last, a->last)))
		return c;
	return strcmp(a->name, b->name);
}

int mech_kube_instance_events(mech_kube *k, const char *ns, const char *workload, const char *kind,
			      const char *name, mech_kube_event **all, size_t *nall,
			      mech_kube_event ***sorted, size_t *n)
{
	size_t i;
	*sorted = NULL;
	*n = 0;
	if (mech_kube_events_list(k, ns, all, nall) < 0)
		return -1;
	*sorted = mech_calloc(*nall ? *nall : 1, sizeof(**sorted));
	for (i = 0; i < *nall; i++) {
		const mech_kube_event *e = &(*all)[i];
		if (kind ? !strcmp(e->kind, kind) && !strcmp(e->name, name)
			 : mech_kube_event_of_instance(workload, e))
			(*sorted)[(*n)++] = &(*all)[i];
	}
	if (*n)
		qsort(*sorted, *n, sizeof(**sorted), cmp_event);
	return 0;
}

static char *log_path(const char *ns, const char *pod, const mech_kube_log_opts *o, int follow)
{
	char *path = object_path("/api/v1", ns, "pods", pod, "/log");
	mech_buf b = MECH_BUF_INIT;
	mech_buf_puts(&b, path);
	free(path);
	mech_buf_putc(&b, '?');
	if (o->container && *o->container) {
		char *c = mech_http_escape(o->container);
		mech_buf_printf(&b, "container=%s&", c);
		free(c);
	}
	if (o->tail_lines >= 0)
		mech_buf_printf(&b, "tailLines=%ld&", o->tail_lines);
	if (o->since_s > 0)
		mech_buf_printf(&b, "sinceSeconds=%ld&", o->since_s);
	if (o->limit_bytes > 0)
		mech_buf_printf(&b, "limitBytes=%ld&", o->limit_bytes);
	if (o->previous)
		mech_buf_puts(&b, "previous=true&");
	if (follow)
		mech_buf_puts(&b, "follow=true&");
	b.ptr[--b.len] = '\0'; /* the last '&' or the '?' */
	return mech_buf_detach(&b);
}

typedef struct {
	mech_buf *out;
	size_t max;
} log_sink;

static int log_append(const char *bytes, size_t len, void *arg)
{
	log_sink *s = arg;
	if (s->out->len + len > s->max) /* limitBytes holds it; a server that ignores it does not */
		len = s->max - s->out->len;
	mech_buf_put(s->out, bytes, len);
	return s->out->len >= s->max;
}

/*
 * The log is text/plain, not JSON: read as a stream (accepting any type, as kubectl
 * asks) that the server ends, within the client's timeout.
 */
int mech_kube_pod_log(mech_kube *k, const char *ns, const char *pod, const mech_kube_log_opts *o,
		      mech_buf *out)
{
	char *path = log_path(ns, pod, o, 0);
	log_sink s = {out, o->limit_bytes > 0 ? (size_t)o->limit_bytes : MECH_HTTP_MAX_BODY_DEFAULT};
	int timed_out = 0, rc;

	rc = mech_http_follow(k->http, path, k->timeout_ms, log_append, &s, &timed_out);
	if (rc == 0 && timed_out)
		rc = mech_error_set(MECH_EUNAVAILABLE,
				    "Kubernetes: GET %s%s: timed out after %ld ms",
				    mech_http_url(k->http), path, k->timeout_ms);
	free(path);
	return rc;
}

int mech_kube_pod_log_follow(mech_kube *k, const char *ns, const char *pod,
			     const mech_kube_log_opts *o, long duration_ms, mech_text_fn fn,
			     void *ctx, int *timed_out)
{
	char *path = log_path(ns, pod, o, 1);
	int rc = mech_http_follow(k->http, path, duration_ms, fn, ctx, timed_out);
	free(path);
	return rc;
}

/* ---- Secrets mech writes (`mech secret`) ---- */

/*
 * The request bodies and answers hold the value: bodies are secret
 * buffers (wiped when they grow and when disposed), answers are read with
 * mech_http_send_secret and wiped; nothing of a value is copied into an
 * error message (the API server's Status never quotes data).
 */
static int secret_call(mech_kube *k, const char *method, const char *path, const char *ctype,
		       const mech_buf *body, long *status, cJSON **doc)
{
	mech_http_response resp;
	int rc = -1;

	if (doc)
		*doc = NULL;
	if (mech_http_send_secret(k->http, method, path, ctype, body ? body->ptr : NULL, &resp) < 0)
		return -1;
	*status = resp.status;
	if (resp.status == 404 && !(resp.content_type && strstr(resp.content_type, "json"))) {
		mech_error_set(MECH_ENOT_FOUND,
			       "Kubernetes: %s %s%s: HTTP 404: the server does not know this API "
			       "path",
			       method, mech_http_url(k->http), path);
		goto done;
	}
	/* 404 and 409 are answers the callers judge; everything else maps as usual */
	if (resp.status != 404 && resp.status != 409 &&
	    mech_http_check(k->http, method, path, &resp) < 0)
		goto done;
	if (doc && resp.status / 100 == 2) {
		char *what = mech_sprintf("Kubernetes: %s %s%s", method, mech_http_url(k->http),
					  path);
		rc = mech_json_parse(doc, resp.body.ptr ? resp.body.ptr : "", resp.body.len, what);
		free(what);
		if (rc < 0)
			goto done;
	}
	rc = 0;
done:
	mech_http_response_dispose(&resp);
	return rc;
}

static void secret_doc_free(cJSON *doc)
{
	if (doc)
		wipe_json_strings(doc);
	cJSON_Delete(doc);
}

void mech_kube_secret_info_dispose(mech_kube_secret_info *s)
{
	free(s->managed_by);
	free(s->tenant);
	free(s->resource_version);
	mech_strv_dispose(&s->keys);
	memset(s, 0, sizeof(*s));
}

int mech_kube_secret_info_get(mech_kube *k, const char *ns, const char *name,
			      mech_kube_secret_info *out)
{
	char *path = object_path("/api/v1", ns, "secrets", name, "");
	const cJSON *data, *it;
	cJSON *doc = NULL;
	long status = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->keys = (mech_strv)MECH_STRV_INIT;
	if (secret_call(k, "GET", path, NULL, NULL, &status, &doc) < 0)
		goto done;
	rc = 0;
	if (status == 404)
		goto done;
	if (status != 200) {
		rc = mech_error_set(MECH_EUNAVAILABLE, "Kubernetes: GET %s%s: HTTP %ld",
				    mech_http_url(k->http), path, status);
		goto done;
	}
	out->exists = 1;
	{
		const cJSON *labels = mech_json_path(doc, "metadata.labels");
		const cJSON *m = mech_json_get(labels, MECH_LAYOUT_LABEL_MANAGED_BY);
		const cJSON *t = mech_json_get(labels, MECH_LAYOUT_LABEL_TENANT);
		out->managed_by = mech_strdup(cJSON_IsString(m) ? m->valuestring : "");
		out->tenant = mech_strdup(cJSON_IsString(t) ? t->valuestring : "");
	}
	out->resource_version = jstr(doc, "metadata.resourceVersion");
	data = mech_json_get(doc, "data");
	for (it = cJSON_IsObject(data) ? data->child : NULL; it; it = it->next)
		if (it->string)
			mech_strv_push(&out->keys, it->string);
done:
	secret_doc_free(doc);
	free(path);
	return rc;
}

/* Refuse to write into a Secret that exists and is not this tenant's mech Secret. */
static int check_ours(mech_kube *k, const char *ns, const char *name, const char *tenant)
{
	mech_kube_secret_info si;
	int rc = mech_kube_secret_info_get(k, ns, name, &si);
	if (rc == 0 && si.exists &&
	    (strcmp(si.managed_by, MECH_LAYOUT_MANAGED_BY) || strcmp(si.tenant, tenant))) {
		mech_error_set(MECH_EEXISTS,
			       "the Secret %s in %s exists and is not mech's (label %s is \"%s\")",
			       name, ns, MECH_LAYOUT_LABEL_MANAGED_BY, si.managed_by);
		rc = mech_error_hint("choose another name; mech writes only Secrets it created");
	}
	mech_kube_secret_info_dispose(&si);
	return rc;
}

int mech_kube_secret_set(mech_kube *k, const char *ns, const char *name, const char *tenant,
			 const char *key, const char *value, size_t len, int *created)
{
	char *coll = object_path("/api/v1", ns, "secrets", "", ""), *path;
	mech_buf body = MECH_BUF_INIT;
	char *b64 = mech_base64(value, len);
	long status = 0;
	int rc = -1;

	*created = 0;
	coll[strlen(coll) - 1] = '\0'; /* .../secrets/ → .../secrets */
	path = object_path("/api/v1", ns, "secrets", name, "");
	body.secret = 1;
	mech_buf_printf(&body,
			"{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"%s\","
			"\"namespace\":\"%s\",\"labels\":{\"%s\":\"%s\",\"%s\":\"%s\"}},"
			"\"type\":\"Opaque\",\"data\":{\"%s\":\"%s\"}}",
			name, ns, MECH_LAYOUT_LABEL_MANAGED_BY, MECH_LAYOUT_MANAGED_BY,
			MECH_LAYOUT_LABEL_TENANT, tenant, key, b64);
	if (secret_call(k, "POST", coll, NULL, &body, &status, NULL) < 0)
		goto done;
	if (status / 100 == 2) {
		*created = 1;
		rc = 0;
		goto done;
	}
	if (status == 404) {
		rc = mech_error_set(MECH_ENOT_FOUND,
				    "Kubernetes: the namespace %s does not exist; nothing was written",
				    ns);
		mech_error_hint("Argo CD creates it when it first syncs the tenant's Applications: "
				"check them with `mech app list`, then try again");
		goto done;
	}
	/* 409 AlreadyExists: patch the one key into it, if it is ours */
	if (check_ours(k, ns, name, tenant) < 0)
		goto done;
	mech_buf_dispose(&body);
	body.secret = 1;
	mech_buf_printf(&body, "{\"data\":{\"%s\":\"%s\"}}", key, b64);
	if (secret_call(k, "PATCH", path, "application/merge-patch+json", &body, &status, NULL) < 0)
		goto done;
	if (status == 404) { /* deleted between the two calls */
		rc = mech_error_set(MECH_EUNAVAILABLE,
				    "Kubernetes: the Secret %s in %s went away while it was written",
				    name, ns);
		mech_error_hint("try again");
		goto done;
	}
	if (status == 409) {
		rc = mech_error_set(MECH_ECONTENTION,
				    "Kubernetes: the Secret %s in %s changed while it "
				    "was written",
				    name, ns);
		goto done;
	}
	rc = 0;
done:
	mech_buf_dispose(&body);
	mech_secret_free(b64);
	free(coll);
	free(path);
	return rc;
}

int mech_kube_secret_unset(mech_kube *k, const char *ns, const char *name, const char *tenant,
			   const char *key, int *existed)
{
	char *path = object_path("/api/v1", ns, "secrets", name, "");
	mech_buf body = MECH_BUF_INIT;
	long status = 0;
	int rc = -1;

	*existed = 0;
	if (check_ours(k, ns, name, tenant) < 0)
		goto done;
	mech_buf_printf(&body, "{\"data\":{\"%s\":null}}", key);
	if (secret_call(k, "PATCH", path, "application/merge-patch+json", &body, &status, NULL) < 0)
		goto done;
	*existed = status != 404;
	rc = 0;
done:
	mech_buf_dispose(&body);
	free(path);
	return rc;
}

int mech_kube_secret_delete(mech_kube *k, const char *ns, const char *name, const char *tenant,
			    int *existed)
{
	char *path = object_path("/api/v1", ns, "secrets", name, "");
	long status = 0;
	int rc = -1;

	*existed = 0;
	if (check_ours(k, ns, name, tenant) < 0)
		goto done;
	if (secret_call(k, "DELETE", path, NULL, NULL, &status, NULL) < 0)
		goto done;
	*existed = status != 404;
	rc = 0;
done:
	free(path);
	return rc;
}
