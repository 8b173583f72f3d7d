/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API's JSON, shaped as the swagger (v1alpha1Application,
 * v1alpha1ApplicationTree, applicationManagedResourcesResponse) and the
 * Kubernetes objects (Deployment, CloudNativePG Cluster, HTTPRoute,
 * Secret, Service) describe them. Go's encoding/json drops zero values;
 * so do we, so clients meet the same absences they will meet for real.
 */
#include "sim_int.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mech/layout.h"

static void add_str(cJSON *o, const char *key, const char *v)
{
	if (v && *v)
		cJSON_AddStringToObject(o, key, v);
}

static char *print(cJSON *doc)
{
	char *s = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (!s)
		mech_fatal("out of memory (printing JSON)");
	return s;
}

/* A stable uid-shaped string for objects the sim does not store (children). */
static void fake_uid(char out[40], const char *a, const char *b)
{
	unsigned long long h1 = sim_hash(sim_hash(0, a), b), h2 = sim_hash(h1, "uid");
	snprintf(out, 40, "%08llx-%04llx-4%03llx-a%03llx-%012llx", h1 >> 32, (h1 >> 16) & 0xffff,
		 h1 & 0xfff, (h2 >> 52) & 0xfff, h2 & 0xffffffffffffULL);
}

static void short_hash(char *out, size_t n, const char *a, const char *b)
{
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	unsigned long long h = sim_hash(sim_hash(0, a), b);
	size_t i;
	for (i = 0; i + 1 < n; i++) {
		out[i] = alphabet[h % (sizeof(alphabet) - 1)];
		h /= sizeof(alphabet) - 1;
		if (!h)
			h = sim_hash(h + i + 1, a);
	}
	out[n - 1] = '\0';
}

static int replicas_of(const sim_obj *o)
{
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(o->manifest, "spec");
	const cJSON *r = cJSON_IsObject(spec) ? cJSON_GetObjectItemCaseSensitive(spec, "replicas")
					      : NULL;
	return cJSON_IsNumber(r) && r->valuedouble >= 0 ? (int)r->valuedouble : 1;
}

static int instances_of(const sim_obj *o)
{
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(o->manifest, "spec");
	const cJSON *r = cJSON_IsObject(spec) ? cJSON_GetObjectItemCaseSensitive(spec, "instances")
					      : NULL;
	return cJSON_IsNumber(r) && r->valuedouble >= 1 ? (int)r->valuedouble : 1;
}

/* ---- the Application ---- */

static cJSON *source_json(const sim_app *a)
{
	cJSON *s = cJSON_CreateObject();
	add_str(s, "repoURL", a->repo_url);
	add_str(s, "path", a->want.path);
	add_str(s, "targetRevision", a->target_revision);
	if (a->kind != SIM_INSTANCE)
		cJSON_AddTrueToObject(cJSON_AddObjectToObject(s, "directory"), "recurse");
	return s;
}

static cJSON *destination_json(const sim_app *a)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "server", "https://kubernetes.default.svc");
	add_str(d, "namespace", a->want.dest_ns);
	return d;
}

static cJSON *operation_json(const sim_app *a)
{
	cJSON *op = cJSON_CreateObject(), *sync = cJSON_AddObjectToObject(op, "sync");
	add_str(sync, "revision", a->op_revision);
	cJSON_AddTrueToObject(sync, "prune");
	cJSON_AddObjectToObject(cJSON_AddObjectToObject(sync, "syncStrategy"), "hook");
	if (a->op_manual)
		cJSON_AddStringToObject(cJSON_AddObjectToObject(op, "initiatedBy"), "username",
					"admin");
	else
		cJSON_AddTrueToObject(cJSON_AddObjectToObject(op, "initiatedBy"), "automated");
	cJSON_AddItemToObject(op, "retry",
			      a->op_retry ? cJSON_Duplicate(a->op_retry, 1) : cJSON_CreateObject());
	return op;
}

static const sim_live *live_of(const sim_app *a, const sim_obj *o)
{
	size_t i;
	for (i = 0; i < a->nlive; i++) {
		const sim_obj *l = &a->live[i].obj;
		if (!strcmp(l->kind, o->kind) && !strcmp(l->group, o->group) &&
		    !strcmp(l->namespace, o->namespace) && !strcmp(l->name, o->name))
			return &a->live[i];
	}
	return NULL;
}

static const sim_obj *want_of(const sim_app *a, const sim_obj *o)
{
	size_t i;
	for (i = 0; i < a->want.nobjs; i++) {
		const sim_obj *t = &a->want.objs[i];
		if (!strcmp(t->kind, o->kind) && !strcmp(t->group, o->group) &&
		    !strcmp(t->namespace, o->namespace) && !strcmp(t->name, o->name))
			return t;
	}
	return NULL;
}

static void add_identity(cJSON *r, const sim_obj *o)
{
	add_str(r, "group", o->group);
	cJSON_AddStringToObject(r, "version", o->version);
	cJSON_AddStringToObject(r, "kind", o->kind);
	add_str(r, "namespace", o->namespace);
	cJSON_AddStringToObject(r, "name", o->name);
}

static cJSON *health_json(const char *status, const char *message)
{
	cJSON *h = cJSON_CreateObject();
	cJSON_AddStringToObject(h, "status", status);
	add_str(h, "message", message);
	return h;
}

static cJSON *resources_json(const sim_app *a)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;
	if (a->want.error) {
		/* nothing generated: the last known live objects are all Argo CD knows */
		for (i = 0; i < a->nlive; i++) {
			cJSON *r = cJSON_CreateObject();
			add_identity(r, &a->live[i].obj);
			cJSON_AddStringToObject(r, "status", "Unknown");
			cJSON_AddItemToArray(arr, r);
		}
		return arr;
	}
	for (i = 0; i < a->want.nobjs; i++) {
		const sim_obj *o = &a->want.objs[i];
		const sim_live *l = live_of(a, o);
		cJSON *r = cJSON_CreateObject();
		add_identity(r, o);
		cJSON_AddStringToObject(r, "status",
					l && !strcmp(l->obj.text, o->text) ? "Synced" : "OutOfSync");
		if (!l)
			cJSON_AddItemToObject(r, "health", health_json("Missing", ""));
		else if (*l->health)
			cJSON_AddItemToObject(r, "health",
					      health_json(l->health, l->health_message));
		cJSON_AddItemToArray(arr, r);
	}
	for (i = 0; i < a->nlive; i++) {
		const sim_live *l = &a->live[i];
		cJSON *r;
		if (want_of(a, &l->obj))
			continue;
		r = cJSON_CreateObject();
		add_identity(r, &l->obj);
		cJSON_AddStringToObject(r, "status", "OutOfSync");
		if (*l->health)
			cJSON_AddItemToObject(r, "health",
					      health_json(l->health, l->health_message));
		cJSON_AddTrueToObject(r, "requiresPruning");
		cJSON_AddItemToArray(arr, r);
	}
	return arr;
}

static cJSON *operation_state_json(const sim_app *a)
{
	cJSON *st = cJSON_CreateObject();
	size_t i;
	cJSON_AddItemToObject(st, "operation", operation_json(a));
	cJSON_AddStringToObject(st, "phase", a->op_phase);
	add_str(st, "message", a->op_message);
	cJSON_AddStringToObject(st, "startedAt", a->op_started_at);
	add_str(st, "finishedAt", a->op_finished_at);
	if (a->op_retry_count)
		cJSON_AddNumberToObject(st, "retryCount", (double)a->op_retry_count);
	if (!strcmp(a->op_phase, "Succeeded")) {
		cJSON *res = cJSON_AddObjectToObject(st, "syncResult"), *arr;
		add_str(res, "revision", a->op_revision);
		cJSON_AddItemToObject(res, "source", source_json(a));
		arr = cJSON_AddArrayToObject(res, "resources");
		for (i = 0; i < a->nlive; i++) {
			const sim_live *l = &a->live[i];
			cJSON *r = cJSON_CreateObject();
			add_identity(r, &l->obj);
			cJSON_AddStringToObject(r, "status", "Synced");
			cJSON_AddStringToObject(r, "message",
						l->generation == 1 ? "created" : "configured");
			cJSON_AddStringToObject(r, "hookPhase", "Running");
			cJSON_AddStringToObject(r, "syncPhase", "Sync");
			cJSON_AddItemToArray(arr, r);
		}
	}
	return st;
}

static cJSON *status_json(const sim_world *w, const sim_app *a, int with_op_state)
{
	cJSON *st = cJSON_CreateObject(), *sync, *cmp, *arr, *sum;
	mech_strv images = MECH_STRV_INIT;
	char *sync_error;
	size_t i;

	sync = cJSON_AddObjectToObject(st, "sync");
	cJSON_AddStringToObject(sync, "status", a->sync_status);
	/* Argo CD compared nothing when generation failed: no revision */
	add_str(sync, "revision", a->want.error ? NULL : a->revision);
	cmp = cJSON_AddObjectToObject(sync, "comparedTo");
	cJSON_AddItemToObject(cmp, "source", source_json(a));
	cJSON_AddItemToObject(cmp, "destination", destination_json(a));

	cJSON *h = health_json(a->health, a->health_message);
	cJSON_AddStringToObject(h, "lastTransitionTime", a->health_since);
	cJSON_AddItemToObject(st, "health", h);
	/* Argo CD 3.x's default: per-resource health lives in its tree cache (List omits it) */
	cJSON_AddStringToObject(st, "resourceHealthSource", "appTree");
	if (a->want.nobjs || a->nlive)
		cJSON_AddItemToObject(st, "resources", resources_json(a));
	sync_error = sim_world_sync_error(a);
	if (a->want.error || sync_error) {
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "type", a->want.error ? "ComparisonError" : "SyncError");
		cJSON_AddStringToObject(c, "message", a->want.error ? a->want.error : sync_error);
		add_str(c, "lastTransitionTime",
			a->want.error ? a->reconciled_at : a->op_finished_at);
		cJSON_AddItemToArray(cJSON_AddArrayToObject(st, "conditions"), c);
	}
	free(sync_error);
	add_str(st, "reconciledAt", a->reconciled_at);
	add_str(st, "observedAt", a->reconciled_at);
	if (with_op_state && a->op_phase)
		cJSON_AddItemToObject(st, "operationState", operation_state_json(a));
	if (a->nhistory) {
		arr = cJSON_AddArrayToObject(st, "history");
		for (i = 0; i < a->nhistory; i++) {
			cJSON *hi = cJSON_CreateObject();
			cJSON_AddNumberToObject(hi, "id", (double)a->history[i].id);
			cJSON_AddStringToObject(hi, "revision", a->history[i].revision);
			cJSON_AddStringToObject(hi, "deployedAt", a->history[i].deployed_at);
			cJSON_AddStringToObject(hi, "deployStartedAt", a->history[i].started_at);
			cJSON_AddItemToObject(hi, "source", source_json(a));
			cJSON_AddItemToArray(arr, hi);
		}
	}
	cJSON_AddStringToObject(st, "sourceType",
				a->kind == SIM_INSTANCE && a->want.nobjs ? "Kustomize"
									 : "Directory");
	sum = cJSON_AddObjectToObject(st, "summary");
	for (i = 0; i < a->nlive; i++)
		sim_obj_images(&a->live[i].obj, &images);
	if (images.len) {
		arr = cJSON_AddArrayToObject(sum, "images");
		for (i = 0; i < images.len; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateString(images.items[i]));
	}
	mech_strv_dispose(&images);
	cJSON_AddStringToObject(st, "controllerNamespace", w->argocd_ns);
	return st;
}

static cJSON *app_json(const sim_world *w, const sim_app *a, int with_rv, int with_op_state)
{
	cJSON *app = cJSON_CreateObject(), *meta, *spec, *pol;
	char rv[32];

	meta = cJSON_AddObjectToObject(app, "metadata");
	cJSON_AddStringToObject(meta, "name", a->name);
	cJSON_AddStringToObject(meta, "namespace", w->argocd_ns);
	cJSON_AddStringToObject(meta, "uid", a->uid);
	if (with_rv) {
		snprintf(rv, sizeof(rv), "%llu", a->rv);
		cJSON_AddStringToObject(meta, "resourceVersion", rv);
	}
	cJSON_AddStringToObject(meta, "creationTimestamp", a->created_at);
	if (a->want.labels && cJSON_GetArraySize(a->want.labels))
		cJSON_AddItemToObject(meta, "labels", cJSON_Duplicate(a->want.labels, 1));
	cJSON_AddItemToArray(cJSON_AddArrayToObject(meta, "finalizers"),
			     cJSON_CreateString("resources-finalizer.argocd.argoproj.io"));
	if (a->appset) {
		cJSON *ref = cJSON_CreateObject();
		char uid[40];
		fake_uid(uid, a->tenant, a->appset);
		cJSON_AddStringToObject(ref, "apiVersion", "argoproj.io/v1alpha1");
		cJSON_AddStringToObject(ref, "kind", "ApplicationSet");
		cJSON_AddStringToObject(ref, "name", a->appset);
		cJSON_AddStringToObject(ref, "uid", uid);
		cJSON_AddTrueToObject(ref, "controller");
		cJSON_AddTrueToObject(ref, "blockOwnerDeletion");
		cJSON_AddItemToArray(cJSON_AddArrayToObject(meta, "ownerReferences"), ref);
	}
	spec = cJSON_AddObjectToObject(app, "spec");
	cJSON_AddStringToObject(spec, "project", a->want.project);
	cJSON_AddItemToObject(spec, "source", source_json(a));
	cJSON_AddItemToObject(spec, "destination", destination_json(a));
	pol = cJSON_AddObjectToObject(spec, "syncPolicy");
	cJSON *aut = cJSON_AddObjectToObject(pol, "automated");
	cJSON_AddTrueToObject(aut, "prune");
	cJSON_AddTrueToObject(aut, "selfHeal");
	cJSON_AddItemToArray(cJSON_AddArrayToObject(pol, "syncOptions"),
			     cJSON_CreateString("CreateNamespace=true"));
	cJSON_AddItemToObject(app, "status", status_json(w, a, with_op_state));
	if (a->op_running)
		cJSON_AddItemToObject(app, "operation", operation_json(a));
	return app;
}

char *sim_render_app(const sim_world *w, const sim_app *a, int with_rv, int with_op_state)
{
	return print(app_json(w, a, with_rv, with_op_state));
}

/*
 * An Application as Argo CD 3.x's List gives it: status.resources[] without
 * health (resourceHealthSource "appTree"; only Get, Watch and Sync infer it).
 */
char *sim_render_app_listed(const char *app_json)
{
	cJSON *app = cJSON_Parse(app_json), *r;
	cJSON *st = app ? cJSON_GetObjectItemCaseSensitive(app, "status") : NULL;
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(st, "resources"))
		cJSON_DeleteItemFromObjectCaseSensitive(r, "health");
	return app ? print(app) : mech_strdup(app_json);
}

/* ---- Kubernetes objects ---- */

static cJSON *condition(const char *type, const char *status, const char *reason,
			const char *message, const char *at, long long generation)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "type", type);
	cJSON_AddStringToObject(c, "status", status);
	if (generation)
		cJSON_AddNumberToObject(c, "observedGeneration", (double)generation);
	cJSON_AddStringToObject(c, "lastTransitionTime", at);
	cJSON_AddStringToObject(c, "reason", reason);
	cJSON_AddStringToObject(c, "message", message);
	return c;
}

static double progress(const sim_world *w, const sim_live *l, double now)
{
	double f;
	if (!l->rollout || w->opts->health_delay_ms <= 0)
		return 1.0;
	f = (now - l->applied_ms) / (double)w->opts->health_delay_ms;
	return f < 0 ? 0 : f > 1 ? 1 : f;
}

static int degraded(const sim_live *l)
{
	return !strcmp(l->health, "Degraded");
}

static void replicaset_name(char *out, size_t n, const sim_live *l)
{
	char h[11];
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(l->obj.manifest, "spec");
	const cJSON *tpl = cJSON_IsObject(spec) ? cJSON_GetObjectItemCaseSensitive(spec, "template")
						: NULL;
	char *t = tpl ? cJSON_PrintUnformatted(tpl) : mech_strdup("");
	short_hash(h, sizeof(h), l->obj.name, t);
	snprintf(out, n, "%s-%s", l->obj.name, h);
	free(t);
}

static void deployment_status(const sim_world *w, cJSON *o, const sim_live *l, double now)
{
	cJSON *st = cJSON_AddObjectToObject(o, "status"), *conds;
	int want = replicas_of(&l->obj), avail, total, updated;
	double f = progress(w, l, now);
	char rs[128], *msg;

	replicaset_name(rs, sizeof(rs), l);
	cJSON_AddNumberToObject(st, "observedGeneration", (double)l->generation);
	if (degraded(l) && l->generation > 1) {
		/* an update stuck: the old pods serve, one new pod never gets ready */
		total = want + 1;
		updated = 1;
		avail = want;
	} else if (degraded(l)) {
		total = updated = want;
		avail = 0;
	} else {
		total = updated = want;
		avail = f >= 1.0 ? want : (int)(f * want);
		if (avail >= want && f < 1.0)
			avail = want - 1;
	}
	if (total)
		cJSON_AddNumberToObject(st, "replicas", total);
	if (updated)
		cJSON_AddNumberToObject(st, "updatedReplicas", updated);
	if (avail > 0) {
		cJSON_AddNumberToObject(st, "readyReplicas", avail);
		cJSON_AddNumberToObject(st, "availableReplicas", avail);
	}
	if (total - avail > 0)
		cJSON_AddNumberToObject(st, "unavailableReplicas", total - avail);
	conds = cJSON_AddArrayToObject(st, "conditions");
	cJSON_AddItemToArray(conds,
			     avail >= want || avail >= want - (want + 3) / 4
				     ? condition("Available", "True", "MinimumReplicasAvailable",
						 "Deployment has minimum availability.",
						 l->applied_at, 0)
				     : condition("Available", "False", "MinimumReplicasUnavailable",
						 "Deployment does not have minimum availability.",
						 l->applied_at, 0));
	if (degraded(l)) {
		msg = mech_sprintf("ReplicaSet \"%s\" has timed out progressing.", rs);
		cJSON_AddItemToArray(conds,
				     condition("Progressing", "False", "ProgressDeadlineExceeded",
					       msg, l->applied_at, 0));
	} else if (f < 1.0) {
		msg = mech_sprintf("ReplicaSet \"%s\" is progressing.", rs);
		cJSON_AddItemToArray(conds, condition("Progressing", "True", "ReplicaSetUpdated",
						      msg, l->applied_at, 0));
	} else {
		msg = mech_sprintf("ReplicaSet \"%s\" has successfully progressed.", rs);
		cJSON_AddItemToArray(conds,
				     condition("Progressing", "True", "NewReplicaSetAvailable", msg,
					       l->applied_at, 0));
	}
	free(msg);
}

const char *sim_cnpg_change(const sim_obj *old, const sim_obj *now)
{
	static const char *const keys[] = {"instances", "resources", "postgresql"};
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(old->manifest, "spec");
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(now->manifest, "spec");
	cJSON *ra = cJSON_IsObject(a) ? cJSON_Duplicate(a, 1) : cJSON_CreateObject();
	cJSON *rb = cJSON_IsObject(b) ? cJSON_Duplicate(b, 1) : cJSON_CreateObject();
	const char *change = NULL;
	size_t i;

	for (i = 0; i < 3; i++) {
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(ra, keys[i]);
		const cJSON *y = cJSON_GetObjectItemCaseSensitive(rb, keys[i]);
		if (!change && !((!x && !y) || (x && y && cJSON_Compare(x, y, 1))))
			change = keys[i];
		cJSON_DeleteItemFromObjectCaseSensitive(ra, keys[i]);
		cJSON_DeleteItemFromObjectCaseSensitive(rb, keys[i]);
	}
	/* anything else too (storage, image, …): a rolling update */
	if (!cJSON_Compare(ra, rb, 1) ||
	    (change && !strcmp(change, "instances") && instances_of(now) < instances_of(old)))
		change = "spec";
	cJSON_Delete(ra);
	cJSON_Delete(rb);
	return change ? change : "spec";
}

/*
 * The phase CloudNativePG registers while an apply rolls out (cnpg.md §2,
 * its cluster_types.go phases): a new Cluster sets up its primary; a
 * PostgreSQL parameter change is applied by the instance manager ("Applying
 * configuration", "PostgreSQL configuration changed"); more instances
 * create a replica; any other change (resources, storage, image) restarts
 * the instances one by one ("Upgrading cluster", "Restarting instance …,
 * because: …"; CNPG adds the old and new values to a resources reason).
 */
static char *cnpg_phase(const sim_live *l, const char **phase)
{
	const char *c = l->change;
	int n = instances_of(&l->obj);
	if (!c) {
		*phase = "Setting up primary";
		return mech_strdup("Creating primary instance");
	}
	if (!strcmp(c, "postgresql")) {
		*phase = "Applying configuration";
		return mech_strdup("PostgreSQL configuration changed");
	}
	if (!strcmp(c, "instances")) {
		*phase = "Creating a new replica";
		return mech_sprintf("Creating instance %s-%d", l->obj.name, n);
	}
	*phase = "Upgrading cluster";
	return mech_sprintf("Restarting instance %s-1, because: %s", l->obj.name,
			    !strcmp(c, "resources") ? "resources changed"
						    : "the cluster spec changed");
}

/* The part of a Cluster's rollout before the operator reports the new generation. */
#define SIM_OPERATOR_LAG 0.3

cJSON *sim_cnpg_status(const sim_world *w, const sim_live *l, double now)
{
	cJSON *st = cJSON_CreateObject(), *conds, *healthy;
	double f = progress(w, l, now);
	/*
	 * After a change of the spec the operator takes a moment to notice: until
	 * then the status is the previous generation's, Ready included, with
	 * that generation as its observedGeneration (a client must compare)
	 */
	int stale = l->generation > 1 && f < SIM_OPERATOR_LAG;
	int n = instances_of(&l->obj), ready = stale || f >= 1.0, i;
	long long seen = stale ? l->generation - 1 : l->generation;
	char *primary = mech_sprintf("%s-1", l->obj.name);
	char *rw = mech_layout_addon_service(l->obj.name), *r = mech_sprintf("%s-r", l->obj.name);
	const char *phase = "Cluster in healthy state";
	char *reason = ready ? NULL : cnpg_phase(l, &phase);

	cJSON_AddNumberToObject(st, "instances", ready ? n : 1);
	if (ready)
		cJSON_AddNumberToObject(st, "readyInstances", n);
	cJSON_AddStringToObject(st, "phase", phase);
	if (reason)
		cJSON_AddStringToObject(st, "phaseReason", reason);
	if (ready) {
		healthy = cJSON_AddArrayToObject(cJSON_AddObjectToObject(st, "instancesStatus"),
						 "healthy");
		for (i = 1; i <= n; i++) {
			char *pod = mech_sprintf("%s-%d", l->obj.name, i);
			cJSON_AddItemToArray(healthy, cJSON_CreateString(pod));
			free(pod);
		}
	}
	cJSON_AddStringToObject(st, "currentPrimary", primary);
	cJSON_AddStringToObject(st, "targetPrimary", primary);
	cJSON_AddStringToObject(st, "writeService", rw);
	cJSON_AddStringToObject(st, "readService", r);
	cJSON_AddNumberToObject(st, "latestGeneratedNode", n);
	{
		/* the image running: spec.imageName, else the operator's default */
		const cJSON *spec = cJSON_GetObjectItemCaseSensitive(l->obj.manifest, "spec");
		const cJSON *img = cJSON_IsObject(spec)
					   ? cJSON_GetObjectItemCaseSensitive(spec, "imageName")
					   : NULL;
		cJSON_AddStringToObject(st, "image",
					cJSON_IsString(img) && *img->valuestring
						? img->valuestring
						: "ghcr.io/cloudnative-pg/postgresql:18.6-system-trixie");
	}
	conds = cJSON_AddArrayToObject(st, "conditions");
	/* Ready speaks for the live generation only once its rollout is done */
	cJSON_AddItemToArray(conds, ready ? condition("Ready", "True", "ClusterIsReady",
						      "Cluster is Ready", l->applied_at, seen)
					  : condition("Ready", "False", "ClusterIsNotReady",
						      "Cluster Is Not Ready", l->applied_at,
						      l->generation - 1));
	if (ready || l->change)
		cJSON_AddItemToArray(conds, condition("Initialized", "True", "BootstrapCompleted",
						      "Cluster has been initialized", l->applied_at,
						      ready ? seen : l->generation));
	free(reason);
	free(primary);
	free(rw);
	free(r);
	return st;
}

static void cluster_status(const sim_world *w, cJSON *o, const sim_live *l, double now)
{
	cJSON_AddItemToObject(o, "status", sim_cnpg_status(w, l, now));
}

static void route_status(cJSON *o, const sim_live *l)
{
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(o, "spec");
	cJSON *refs = cJSON_IsObject(spec) ? cJSON_GetObjectItemCaseSensitive(spec, "parentRefs")
					   : NULL;
	cJSON *parents = cJSON_AddArrayToObject(cJSON_AddObjectToObject(o, "status"), "parents");
	cJSON *ref;
	cJSON_ArrayForEach(ref, (cJSON_IsArray(refs) ? refs : NULL))
	{
		cJSON *p = cJSON_CreateObject(), *pr = cJSON_Duplicate(ref, 1), *conds;
		char *msg;
		if (!cJSON_GetObjectItemCaseSensitive(pr, "group"))
			cJSON_AddStringToObject(pr, "group", "gateway.networking.k8s.io");
		if (!cJSON_GetObjectItemCaseSensitive(pr, "kind"))
			cJSON_AddStringToObject(pr, "kind", "Gateway");
		cJSON_AddItemToObject(p, "parentRef", pr);
		cJSON_AddStringToObject(p, "controllerName", "mech.dev/sim-gateway-controller");
		conds = cJSON_AddArrayToObject(p, "conditions");
		cJSON_AddItemToArray(conds,
				     condition("Accepted", "True", "Accepted", "Route is accepted",
					       l->applied_at, l->generation));
		if (l->missing_backend) {
			msg = mech_sprintf("Service \"%s\" not found", l->missing_backend);
			cJSON_AddItemToArray(conds,
					     condition("ResolvedRefs", "False", "BackendNotFound",
						       msg, l->applied_at, l->generation));
			free(msg);
		} else {
			cJSON_AddItemToArray(conds,
					     condition("ResolvedRefs", "True", "ResolvedRefs",
						       "Resolved all the Object references for the Route",
						       l->applied_at, l->generation));
		}
		cJSON_AddItemToArray(parents, p);
	}
}

static void service_status(cJSON *o, const sim_live *l)
{
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(o, "spec");
	unsigned long long h = sim_hash(0, l->uid);
	char ip[32];
	if (cJSON_IsObject(spec) && !cJSON_GetObjectItemCaseSensitive(spec, "clusterIP")) {
		snprintf(ip, sizeof(ip), "10.96.%llu.%llu", (h >> 8) % 256, h % 254 + 1);
		cJSON_AddStringToObject(spec, "clusterIP", ip);
	}
	cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "status"), "loadBalancer");
}

/* The object's resourceVersion as the Kubernetes API serves it (one place: sim_kube.c). */
static void live_rv(char *out, size_t n, const sim_world *w, const sim_live *l)
{
	unsigned long long rv = sim_kube_rv(w, l->obj.group, l->obj.kind, l->obj.namespace,
					    l->obj.name);
	if (!rv) /* not rendered yet: a stand-in that changes with the generation */
		rv = 100000 + (sim_hash(0, l->uid) % 100000) * 10 +
		     (unsigned long long)l->generation;
	snprintf(out, n, "%llu", rv);
}

/* with_rv 0: without resourceVersion (the Kubernetes store gives it) */
static cJSON *live_object(const sim_world *w, const sim_app *a, const sim_live *l, double now,
			  int with_rv)
{
	cJSON *o = cJSON_Duplicate(l->obj.manifest, 1);
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(o, "metadata"), *ann;
	char rv[32], *tracking;
	const sim_obj *ob = &l->obj;

	cJSON_AddStringToObject(meta, "uid", l->uid);
	if (with_rv) {
		live_rv(rv, sizeof(rv), w, l);
		cJSON_AddStringToObject(meta, "resourceVersion", rv);
	}
	cJSON_AddNumberToObject(meta, "generation", (double)l->generation);
	cJSON_AddStringToObject(meta, "creationTimestamp", l->created_at);
	ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
	if (!cJSON_IsObject(ann))
		ann = cJSON_AddObjectToObject(meta, "annotations");
	tracking = mech_sprintf("%s:%s/%s:%s/%s", a->name, ob->group, ob->kind, ob->namespace,
				ob->name);
	cJSON_AddStringToObject(ann, "argocd.argoproj.io/tracking-id", tracking);
	free(tracking);
	if (!strcmp(ob->kind, "Deployment") && !strcmp(ob->group, "apps"))
		deployment_status(w, o, l, now);
	else if (!strcmp(ob->kind, "Cluster") && !strcmp(ob->group, "postgresql.cnpg.io"))
		cluster_status(w, o, l, now);
	else if (!strcmp(ob->kind, "HTTPRoute") && !strcmp(ob->group, "gateway.networking.k8s.io"))
		route_status(o, l);
	else if (!strcmp(ob->kind, "Service") && !*ob->group)
		service_status(o, l);
	return o;
}

/* A string that holds a password, in one allocation of its size (no copies left). */
static char *secret_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *secret_sprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		mech_fatal("mech sim: cannot format a Secret value");
	s = mech_calloc((size_t)n + 1, 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* A Secret's data value: base64 as the API server sends it; the copy in the tree is wiped later. */
static void add_b64(cJSON *data, const char *key, const char *value)
{
	char *v = mech_base64(value, strlen(value));
	cJSON_AddStringToObject(data, key, v);
	mech_secret_free(v);
}

/*
 * A Secret's JSON: cJSON's printer grows its buffer with realloc and would
 * leave copies of the passwords behind, so it prints into one buffer of
 * ours, a larger one each time it does not fit, each wiped when dropped.
 */
static char *print_secret(cJSON *doc)
{
	size_t size = 4096;
	for (;;) {
		char *out = mech_calloc(size, 1);
		if (cJSON_PrintPreallocated(doc, out, (int)size, 0))
			return out;
		explicit_bzero(out, size);
		free(out);
		if (size > (size_t)INT_MAX / 2)
			mech_fatal("mech sim: a Secret too large to print");
		size *= 2;
	}
}

/* The Secret CloudNativePG writes for a Cluster's application user (cnpg.md §3). */
static cJSON *pg_secret(const sim_secret *s)
{
	cJSON *o = cJSON_CreateObject(), *meta, *labels, *ref, *data;
	char *name = mech_layout_addon_secret(s->cluster);
	char *host = mech_layout_addon_service(s->cluster);
	char *fq = mech_sprintf("%s.%s", host, s->namespace);
	char *v;
	char uid[40];

	cJSON_AddStringToObject(o, "kind", "Secret");
	cJSON_AddStringToObject(o, "apiVersion", "v1");
	meta = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(meta, "name", name);
	cJSON_AddStringToObject(meta, "namespace", s->namespace);
	cJSON_AddStringToObject(meta, "uid", s->uid);
	cJSON_AddStringToObject(meta, "resourceVersion", "1");
	cJSON_AddStringToObject(meta, "creationTimestamp", s->created_at);
	labels = cJSON_AddObjectToObject(meta, "labels");
	cJSON_AddStringToObject(labels, "cnpg.io/cluster", s->cluster);
	cJSON_AddStringToObject(labels, "cnpg.io/reload", "true");
	cJSON_AddStringToObject(labels, "cnpg.io/userType", "app");
	cJSON_AddStringToObject(labels, MECH_LAYOUT_LABEL_MANAGED_BY, "cloudnative-pg");
	ref = cJSON_CreateObject();
	fake_uid(uid, s->namespace, s->cluster);
	cJSON_AddStringToObject(ref, "apiVersion", "postgresql.cnpg.io/v1");
	cJSON_AddStringToObject(ref, "kind", "Cluster");
	cJSON_AddStringToObject(ref, "name", s->cluster);
	cJSON_AddStringToObject(ref, "uid", uid);
	cJSON_AddTrueToObject(ref, "controller");
	cJSON_AddItemToArray(cJSON_AddArrayToObject(meta, "ownerReferences"), ref);
	cJSON_AddStringToObject(o, "type", "kubernetes.io/basic-auth");
	data = cJSON_AddObjectToObject(o, "data");
	add_b64(data, "username", s->owner);
	add_b64(data, "user", s->owner);
	add_b64(data, "password", s->password);
	add_b64(data, "dbname", s->db);
	add_b64(data, "host", host);
	add_b64(data, "port", "5432");
	v = secret_sprintf("%s:5432:%s:%s:%s\n", host, s->db, s->owner, s->password);
	add_b64(data, "pgpass", v);
	mech_secret_free(v);
	v = secret_sprintf("postgresql://%s:%s@%s:5432/%s", s->owner, s->password, fq, s->db);
	add_b64(data, "uri", v);
	mech_secret_free(v);
	v = secret_sprintf("jdbc:postgresql://%s:5432/%s?password=%s&user=%s", fq, s->db,
			   s->password, s->owner);
	add_b64(data, "jdbc-uri", v);
	mech_secret_free(v);
	v = secret_sprintf("postgresql://%s:%s@%s.svc.cluster.local:5432/%s", s->owner, s->password,
			   fq, s->db);
	add_b64(data, "fqdn-uri", v);
	mech_secret_free(v);
	v = secret_sprintf("jdbc:postgresql://%s.svc.cluster.local:5432/%s?password=%s&user=%s", fq,
			   s->db, s->password, s->owner);
	add_b64(data, "fqdn-jdbc-uri", v);
	mech_secret_free(v);
	free(name);
	free(host);
	free(fq);
	return o;
}

char *sim_print_secret(const cJSON *doc)
{
	return print_secret((cJSON *)doc);
}

void sim_wipe_secret(cJSON *doc)
{
	cJSON *data = cJSON_GetObjectItemCaseSensitive(doc, "data"), *it;
	cJSON_ArrayForEach(it, (cJSON_IsObject(data) ? data : NULL)) if (cJSON_IsString(it))
		explicit_bzero(it->valuestring, strlen(it->valuestring));
	cJSON_Delete(doc);
}

/* ---- what the Kubernetes API lists: the live objects and what controllers make of them ---- */

static cJSON *meta_of(cJSON *o, const char *kind, const char *api_version, const char *ns,
		      const char *name, const char *uid, const char *created)
{
	cJSON *meta;
	cJSON_AddStringToObject(o, "kind", kind);
	cJSON_AddStringToObject(o, "apiVersion", api_version);
	meta = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(meta, "name", name);
	cJSON_AddStringToObject(meta, "namespace", ns);
	cJSON_AddStringToObject(meta, "uid", uid);
	add_str(meta, "creationTimestamp", created);
	return meta;
}

static void owner_ref(cJSON *meta, const char *api_version, const char *kind, const char *name,
		      const char *uid)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "apiVersion", api_version);
	cJSON_AddStringToObject(r, "kind", kind);
	cJSON_AddStringToObject(r, "name", name);
	cJSON_AddStringToObject(r, "uid", uid);
	cJSON_AddTrueToObject(r, "controller");
	cJSON_AddTrueToObject(r, "blockOwnerDeletion");
	cJSON_AddItemToArray(cJSON_AddArrayToObject(meta, "ownerReferences"), r);
}

static cJSON *pod_condition(const char *type, const char *status, const char *reason, const char *at)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "type", type);
	cJSON_AddStringToObject(c, "status", status);
	cJSON_AddStringToObject(c, "lastTransitionTime", at);
	add_str(c, "reason", reason);
	return c;
}

/* The pod template's labels plus the ReplicaSet's pod-template-hash. */
static cJSON *pod_labels(const cJSON *tpl, const char *hash)
{
	const cJSON *meta = cJSON_IsObject(tpl) ? cJSON_GetObjectItemCaseSensitive(tpl, "metadata")
						: NULL;
	const cJSON *labels = cJSON_IsObject(meta)
				      ? cJSON_GetObjectItemCaseSensitive(meta, "labels")
				      : NULL;
	cJSON *l = cJSON_IsObject(labels) ? cJSON_Duplicate(labels, 1) : cJSON_CreateObject();
	cJSON_AddStringToObject(l, "pod-template-hash", hash);
	return l;
}

/* How often a degraded image's container has crashed: its BackOff event's count too. */
#define CRASH_RESTARTS 5

/* An Event about one object, seen `count` times, named as the kubelet and controllers do. */
static void event_seen(const char *ns, const char *kind, const char *api_version, const char *name,
		       const char *uid, const char *type, const char *reason, const char *message,
		       const char *component, const char *at, int count, sim_k8s_fn fn, void *arg)
{
	cJSON *o = cJSON_CreateObject(), *meta, *inv, *src;
	char ename[200], h[17], euid[40];
	unsigned long long x = sim_hash(sim_hash(sim_hash(0, uid), reason), message);
	snprintf(h, sizeof(h), "%016llx", x);
	snprintf(ename, sizeof(ename), "%s.%s", name, h);
	fake_uid(euid, ename, reason);
	meta = meta_of(o, "Event", "v1", ns, ename, euid, at);
	(void)meta;
	inv = cJSON_AddObjectToObject(o, "involvedObject");
	cJSON_AddStringToObject(inv, "kind", kind);
	cJSON_AddStringToObject(inv, "namespace", ns);
	cJSON_AddStringToObject(inv, "name", name);
	cJSON_AddStringToObject(inv, "uid", uid);
	cJSON_AddStringToObject(inv, "apiVersion", api_version);
	cJSON_AddStringToObject(o, "reason", reason);
	cJSON_AddStringToObject(o, "message", message);
	src = cJSON_AddObjectToObject(o, "source");
	cJSON_AddStringToObject(src, "component", component);
	cJSON_AddStringToObject(o, "firstTimestamp", at);
	cJSON_AddStringToObject(o, "lastTimestamp", at);
	cJSON_AddNumberToObject(o, "count", count);
	cJSON_AddStringToObject(o, "type", type);
	cJSON_AddStringToObject(o, "reportingComponent", component);
	fn(arg, "", "Event", o);
}

static void event(const char *ns, const char *kind, const char *api_version, const char *name,
		  const char *uid, const char *type, const char *reason, const char *message,
		  const char *component, const char *at, sim_k8s_fn fn, void *arg)
{
	event_seen(ns, kind, api_version, name, uid, type, reason, message, component, at, 1, fn,
		   arg);
}

/*
 * A Deployment's ReplicaSet and Pods, with the same names and uids as the
 * resource tree, and the Events the controllers and the kubelet record.
 */
static void deployment_objects(const sim_world *w, const sim_live *l, double now, sim_k8s_fn fn,
			       void *arg)
{
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(l->obj.manifest, "spec");
	const cJSON *tpl = cJSON_IsObject(spec) ? cJSON_GetObjectItemCaseSensitive(spec, "template")
						: NULL;
	const cJSON *pspec = cJSON_IsObject(tpl) ? cJSON_GetObjectItemCaseSensitive(tpl, "spec")
						 : NULL;
	const cJSON *ctrs = cJSON_IsObject(pspec)
				    ? cJSON_GetObjectItemCaseSensitive(pspec, "containers")
				    : NULL,
		    *ct;
	const char *ns = l->obj.namespace, *hash;
	int want = replicas_of(&l->obj), ready, i, bad = degraded(l);
	char rs[128], rsuid[40], rev[32], *msg;
	double f = progress(w, l, now);
	cJSON *o, *meta, *s, *sel;

	ready = bad ? 0 : f >= 1.0 ? want : (int)(f * want);
	replicaset_name(rs, sizeof(rs), l);
	hash = strrchr(rs, '-') + 1;
	fake_uid(rsuid, l->uid, rs);
	snprintf(rev, sizeof(rev), "%lld", l->generation);

	o = cJSON_CreateObject();
	meta = meta_of(o, "ReplicaSet", "apps/v1", ns, rs, rsuid, l->applied_at);
	cJSON_AddItemToObject(meta, "labels", pod_labels(tpl, hash));
	cJSON_AddStringToObject(cJSON_AddObjectToObject(meta, "annotations"),
				"deployment.kubernetes.io/revision", rev);
	cJSON_AddNumberToObject(meta, "generation", 1);
	owner_ref(meta, "apps/v1", "Deployment", l->obj.name, l->uid);
	s = cJSON_AddObjectToObject(o, "spec");
	cJSON_AddNumberToObject(s, "replicas", want);
	sel = cJSON_AddObjectToObject(s, "selector");
	cJSON_AddItemToObject(sel, "matchLabels", pod_labels(tpl, hash));
	if (tpl) {
		cJSON *t = cJSON_Duplicate(tpl, 1), *tm;
		tm = cJSON_GetObjectItemCaseSensitive(t, "metadata");
		if (!cJSON_IsObject(tm))
			tm = cJSON_AddObjectToObject(t, "metadata");
		cJSON_DeleteItemFromObjectCaseSensitive(tm, "labels");
		cJSON_AddItemToObject(tm, "labels", pod_labels(tpl, hash));
		cJSON_AddItemToObject(s, "template", t);
	}
	s = cJSON_AddObjectToObject(o, "status");
	cJSON_AddNumberToObject(s, "replicas", want);
	cJSON_AddNumberToObject(s, "fullyLabeledReplicas", want);
	if (ready) {
		cJSON_AddNumberToObject(s, "readyReplicas", ready);
		cJSON_AddNumberToObject(s, "availableReplicas", ready);
	}
	cJSON_AddNumberToObject(s, "observedGeneration", 1);
	fn(arg, "apps", "ReplicaSet", o);

	msg = mech_sprintf("Scaled up replica set %s from 0 to %d", rs, want);
	event(ns, "Deployment", "apps/v1", l->obj.name, l->uid, "Normal", "ScalingReplicaSet", msg,
	      "deployment-controller", l->applied_at, fn, arg);
	free(msg);

	for (i = 0; i < want; i++) {
		char pod[160], suffix[6], puid[40], idx[16], ip[32];
		int ok = i < ready;
		cJSON *cs, *conds;
		snprintf(idx, sizeof(idx), "%d", i);
		short_hash(suffix, sizeof(suffix), rs, idx);
		snprintf(pod, sizeof(pod), "%s-%s", rs, suffix);
		fake_uid(puid, rsuid, pod);
		o = cJSON_CreateObject();
		meta = meta_of(o, "Pod", "v1", ns, pod, puid, l->applied_at);
		cJSON_AddItemToObject(meta, "labels", pod_labels(tpl, hash));
		owner_ref(meta, "apps/v1", "ReplicaSet", rs, rsuid);
		s = cJSON_IsObject(pspec) ? cJSON_Duplicate(pspec, 1) : cJSON_CreateObject();
		cJSON_AddStringToObject(s, "nodeName", "sim-node-1");
		cJSON_AddItemToObject(o, "spec", s);
		s = cJSON_AddObjectToObject(o, "status");
		cJSON_AddStringToObject(s, "phase", ok ? "Running" : "Pending");
		conds = cJSON_AddArrayToObject(s, "conditions");
		cJSON_AddItemToArray(conds,
				     pod_condition("PodScheduled", "True", NULL, l->applied_at));
		cJSON_AddItemToArray(conds, pod_condition("Ready", ok ? "True" : "False",
							  ok ? NULL : "ContainersNotReady",
							  l->applied_at));
		cJSON_AddStringToObject(s, "hostIP", "10.0.0.10");
		snprintf(ip, sizeof(ip), "10.244.%llu.%llu", sim_hash(0, puid) % 256,
			 sim_hash(1, puid) % 254 + 1);
		if (ok)
			cJSON_AddStringToObject(s, "podIP", ip);
		cJSON_AddStringToObject(s, "startTime", l->applied_at);
		cs = cJSON_AddArrayToObject(s, "containerStatuses");
		cJSON_ArrayForEach(ct, (cJSON_IsArray(ctrs) ? ctrs : NULL))
		{
			const cJSON *nm = cJSON_GetObjectItemCaseSensitive(ct, "name");
			const cJSON *im = cJSON_GetObjectItemCaseSensitive(ct, "image");
			cJSON *c = cJSON_CreateObject(), *state = cJSON_CreateObject(), *st;
			cJSON_AddStringToObject(c, "name",
						cJSON_IsString(nm) ? nm->valuestring : "");
			cJSON_AddStringToObject(c, "image",
						cJSON_IsString(im) ? im->valuestring : "");
			cJSON_AddBoolToObject(c, "ready", ok);
			/* a degraded image crash-loops: its last run exited 1 (logs --previous) */
			cJSON_AddNumberToObject(c, "restartCount", bad ? CRASH_RESTARTS : 0);
			cJSON_AddBoolToObject(c, "started", ok);
			if (ok) {
				st = cJSON_AddObjectToObject(state, "running");
				cJSON_AddStringToObject(st, "startedAt", l->applied_at);
			} else {
				st = cJSON_AddObjectToObject(state, "waiting");
				cJSON_AddStringToObject(st, "reason",
							bad ? "CrashLoopBackOff"
							    : "ContainerCreating");
				if (bad) {
					char *m = mech_sprintf("back-off 5m0s restarting failed container=%s "
							       "pod=%s_%s(%s)",
							       cJSON_IsString(nm) ? nm->valuestring
										  : "",
							       pod, ns, puid);
					cJSON *last = cJSON_CreateObject(), *t;
					cJSON_AddStringToObject(st, "message", m);
					free(m);
					t = cJSON_AddObjectToObject(last, "terminated");
					cJSON_AddNumberToObject(t, "exitCode", 1);
					cJSON_AddStringToObject(t, "reason", "Error");
					cJSON_AddStringToObject(t, "startedAt", l->applied_at);
					cJSON_AddStringToObject(t, "finishedAt", l->applied_at);
					cJSON_AddItemToObject(c, "lastState", last);
				}
			}
			cJSON_AddItemToObject(c, "state", state);
			cJSON_AddItemToArray(cs, c);
		}
		fn(arg, "", "Pod", o);

		msg = mech_sprintf("Created pod: %s", pod);
		event(ns, "ReplicaSet", "apps/v1", rs, rsuid, "Normal", "SuccessfulCreate", msg,
		      "replicaset-controller", l->applied_at, fn, arg);
		free(msg);
		msg = mech_sprintf("Successfully assigned %s/%s to sim-node-1", ns, pod);
		event(ns, "Pod", "v1", pod, puid, "Normal", "Scheduled", msg, "default-scheduler",
		      l->applied_at, fn, arg);
		free(msg);
		if (ok || bad) {
			const cJSON *c0 = cJSON_IsArray(ctrs) ? cJSON_GetArrayItem(ctrs, 0) : NULL;
			const cJSON *nm = c0 ? cJSON_GetObjectItemCaseSensitive(c0, "name") : NULL;
			const cJSON *im = c0 ? cJSON_GetObjectItemCaseSensitive(c0, "image") : NULL;
			const char *cname = cJSON_IsString(nm) ? nm->valuestring : "";
			const char *image = cJSON_IsString(im) ? im->valuestring : "";
			if (ok) {
				msg = mech_sprintf("Started container %s", cname);
			} else {
				msg = mech_sprintf("Container image \"%s\" already present on "
						   "machine",
						   image);
				event(ns, "Pod", "v1", pod, puid, "Normal", "Pulled", msg,
				      "kubelet", l->applied_at, fn, arg);
				free(msg);
				/* kubelet's message: the pod as name_namespace(uid) */
				msg = mech_sprintf("Back-off restarting failed container %s in "
						   "pod %s_%s(%s)",
						   cname, pod, ns, puid);
			}
			event_seen(ns, "Pod", "v1", pod, puid, ok ? "Normal" : "Warning",
				   ok ? "Started" : "BackOff", msg, "kubelet", l->applied_at,
				   ok ? 1 : CRASH_RESTARTS, fn, arg);
			free(msg);
		}
	}
}

/*
 * What CloudNativePG makes for a Cluster, as the resource tree shows it:
 * its instance Pods (<cluster>-1 …, one until the cluster is ready) and
 * the -rw, -r and -ro Services.
 */
static void cluster_objects(const sim_world *w, const sim_live *l, double now, sim_k8s_fn fn,
			    void *arg)
{
	static const char *const svcs[] = {"rw", "r", "ro"};
	static const char *const roles[] = {"primary", "", "replica"};
	int n = instances_of(&l->obj), ready = progress(w, l, now) >= 1.0, i;
	const char *ns = l->obj.namespace;
	char name[160], uid[40], ip[32];
	cJSON *o, *meta, *labels, *s, *port, *sel;

	for (i = 1; i <= (ready ? n : 1); i++) {
		cJSON *conds, *cs, *c;
		snprintf(name, sizeof(name), "%s-%d", l->obj.name, i);
		fake_uid(uid, l->uid, name);
		o = cJSON_CreateObject();
		meta = meta_of(o, "Pod", "v1", ns, name, uid, l->applied_at);
		labels = cJSON_AddObjectToObject(meta, "labels");
		cJSON_AddStringToObject(labels, "cnpg.io/cluster", l->obj.name);
		cJSON_AddStringToObject(labels, "cnpg.io/instanceName", name);
		cJSON_AddStringToObject(labels, "cnpg.io/instanceRole",
					i == 1 ? "primary" : "replica");
		cJSON_AddStringToObject(labels, "cnpg.io/podRole", "instance");
		owner_ref(meta, "postgresql.cnpg.io/v1", "Cluster", l->obj.name, l->uid);
		s = cJSON_AddObjectToObject(o, "spec");
		c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "name", "postgres");
		cJSON_AddItemToArray(cJSON_AddArrayToObject(s, "containers"), c);
		cJSON_AddStringToObject(s, "nodeName", "sim-node-1");
		s = cJSON_AddObjectToObject(o, "status");
		cJSON_AddStringToObject(s, "phase", ready ? "Running" : "Pending");
		conds = cJSON_AddArrayToObject(s, "conditions");
		cJSON_AddItemToArray(conds, pod_condition("Ready", ready ? "True" : "False",
							  ready ? NULL : "ContainersNotReady",
							  l->applied_at));
		snprintf(ip, sizeof(ip), "10.244.%llu.%llu", sim_hash(0, uid) % 256,
			 sim_hash(1, uid) % 254 + 1);
		if (ready)
			cJSON_AddStringToObject(s, "podIP", ip);
		cs = cJSON_CreateObject();
		cJSON_AddStringToObject(cs, "name", "postgres");
		cJSON_AddBoolToObject(cs, "ready", ready);
		cJSON_AddNumberToObject(cs, "restartCount", 0);
		if (ready)
			cJSON_AddStringToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(cs,
												"state"),
									"running"),
						"startedAt", l->applied_at);
		else
			cJSON_AddStringToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(cs,
												"state"),
									"waiting"),
						"reason", "PodInitializing");
		cJSON_AddItemToArray(cJSON_AddArrayToObject(s, "containerStatuses"), cs);
		fn(arg, "", "Pod", o);
	}
	for (i = 0; i < 3; i++) {
		unsigned long long h;
		snprintf(name, sizeof(name), "%s-%s", l->obj.name, svcs[i]);
		fake_uid(uid, l->uid, name);
		h = sim_hash(0, uid);
		o = cJSON_CreateObject();
		meta = meta_of(o, "Service", "v1", ns, name, uid, l->applied_at);
		cJSON_AddStringToObject(cJSON_AddObjectToObject(meta, "labels"), "cnpg.io/cluster",
					l->obj.name);
		owner_ref(meta, "postgresql.cnpg.io/v1", "Cluster", l->obj.name, l->uid);
		s = cJSON_AddObjectToObject(o, "spec");
		cJSON_AddStringToObject(s, "type", "ClusterIP");
		snprintf(ip, sizeof(ip), "10.96.%llu.%llu", (h >> 8) % 256, h % 254 + 1);
		cJSON_AddStringToObject(s, "clusterIP", ip);
		port = cJSON_CreateObject();
		cJSON_AddStringToObject(port, "name", "postgres");
		cJSON_AddNumberToObject(port, "port", 5432);
		cJSON_AddStringToObject(port, "protocol", "TCP");
		cJSON_AddNumberToObject(port, "targetPort", 5432);
		cJSON_AddItemToArray(cJSON_AddArrayToObject(s, "ports"), port);
		sel = cJSON_AddObjectToObject(s, "selector");
		cJSON_AddStringToObject(sel, "cnpg.io/cluster", l->obj.name);
		if (*roles[i])
			cJSON_AddStringToObject(sel, "cnpg.io/instanceRole", roles[i]);
		cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "status"), "loadBalancer");
		fn(arg, "", "Service", o);
	}
}

int sim_render_k8s_moving(const sim_world *w, double now)
{
	size_t i, j;
	for (i = 0; i < w->napps; i++)
		for (j = 0; j < w->apps[i]->nlive; j++)
			if (progress(w, &w->apps[i]->live[j], now) < 1.0)
				return 1;
	return 0;
}

void sim_render_k8s_each(const sim_world *w, sim_k8s_fn fn, void *arg)
{
	double now = sim_now_ms();
	size_t i, j;

	for (i = 0; i < w->napps; i++) {
		const sim_app *a = w->apps[i];
		for (j = 0; j < a->nlive; j++) {
			const sim_live *l = &a->live[j];
			/* the caller gives resourceVersions: a change is a new one */
			cJSON *o = live_object(w, a, l, now, 0);
			if (!cJSON_GetObjectItemCaseSensitive(o, "apiVersion"))
				cJSON_AddStringToObject(o, "apiVersion", l->obj.api_version);
			fn(arg, l->obj.group, l->obj.kind, o);
			if (!strcmp(l->obj.kind, "Deployment") && !strcmp(l->obj.group, "apps"))
				deployment_objects(w, l, now, fn, arg);
			else if (!strcmp(l->obj.kind, "Cluster") &&
				 !strcmp(l->obj.group, "postgresql.cnpg.io"))
				cluster_objects(w, l, now, fn, arg);
		}
	}
	for (i = 0; i < w->napps; i++) {
		/* the namespaces Argo CD creates (CreateNamespace=true) */
		const sim_app *a = w->apps[i];
		cJSON *o, *meta;
		char uid[40];
		/* several Applications share one: the store keeps the first */
		if (!a->want.dest_ns || !*a->want.dest_ns || !a->synced_once)
			continue;
		fake_uid(uid, "namespace", a->want.dest_ns);
		o = cJSON_CreateObject();
		meta = meta_of(o, "Namespace", "v1", "", a->want.dest_ns, uid, a->created_at);
		cJSON_DeleteItemFromObjectCaseSensitive(meta, "namespace");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(meta, "labels"),
					"kubernetes.io/metadata.name", a->want.dest_ns);
		cJSON_AddItemToArray(cJSON_AddArrayToObject(cJSON_AddObjectToObject(o, "spec"),
							    "finalizers"),
				     cJSON_CreateString("kubernetes"));
		cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "status"), "phase", "Active");
		fn(arg, "", "Namespace", o);
	}
	for (i = 0; i < w->nsecrets; i++) {
		cJSON *o = pg_secret(&w->secrets[i]);
		cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(o,
											 "metadata"),
							"resourceVersion");
		fn(arg, "", "Secret", o);
	}
	sim_secrets_each(w, fn, arg);
}

/* ---- resource tree ---- */

static cJSON *node(const char *group, const char *version, const char *kind, const char *ns,
		   const char *name, const char *uid, const char *created)
{
	cJSON *n = cJSON_CreateObject();
	add_str(n, "group", group);
	cJSON_AddStringToObject(n, "version", version);
	cJSON_AddStringToObject(n, "kind", kind);
	add_str(n, "namespace", ns);
	cJSON_AddStringToObject(n, "name", name);
	add_str(n, "uid", uid);
	add_str(n, "createdAt", created);
	return n;
}

static void parent_ref(cJSON *n, const char *group, const char *kind, const char *ns,
		       const char *name, const char *uid)
{
	cJSON *r = cJSON_CreateObject();
	add_str(r, "group", group);
	cJSON_AddStringToObject(r, "kind", kind);
	add_str(r, "namespace", ns);
	cJSON_AddStringToObject(r, "name", name);
	cJSON_AddStringToObject(r, "uid", uid);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(n, "parentRefs"), r);
}

static void info(cJSON *n, const char *name, const char *value)
{
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(n, "info"), *i = cJSON_CreateObject();
	if (!arr)
		arr = cJSON_AddArrayToObject(n, "info");
	cJSON_AddStringToObject(i, "name", name);
	cJSON_AddStringToObject(i, "value", value);
	cJSON_AddItemToArray(arr, i);
}

static void add_images(cJSON *n, const mech_strv *imgs)
{
	size_t i;
	cJSON *arr;
	if (!imgs->len)
		return;
	arr = cJSON_AddArrayToObject(n, "images");
	for (i = 0; i < imgs->len; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(imgs->items[i]));
}

static void deployment_children(const sim_world *w, cJSON *nodes, const sim_live *l, double now)
{
	mech_strv imgs = MECH_STRV_INIT;
	int want = replicas_of(&l->obj), ready, i;
	char rs[128], rsuid[40], rev[32];
	double f = progress(w, l, now);
	cJSON *n;

	ready = degraded(l) ? 0 : f >= 1.0 ? want : (int)(f * want);
	sim_obj_images(&l->obj, &imgs);
	replicaset_name(rs, sizeof(rs), l);
	fake_uid(rsuid, l->uid, rs);
	snprintf(rev, sizeof(rev), "Rev:%lld", l->generation);
	n = node("apps", "v1", "ReplicaSet", l->obj.namespace, rs, rsuid, l->applied_at);
	parent_ref(n, "apps", "Deployment", l->obj.namespace, l->obj.name, l->uid);
	info(n, "Revision", rev);
	cJSON_AddItemToObject(n, "health",
			      health_json(ready >= want ? "Healthy" : "Progressing", ""));
	cJSON_AddItemToArray(nodes, n);
	for (i = 0; i < want; i++) {
		char pod[160], suffix[6], puid[40], idx[16];
		int ok = i < ready;
		snprintf(idx, sizeof(idx), "%d", i);
		short_hash(suffix, sizeof(suffix), rs, idx);
		snprintf(pod, sizeof(pod), "%s-%s", rs, suffix);
		fake_uid(puid, rsuid, pod);
		n = node("", "v1", "Pod", l->obj.namespace, pod, puid, l->applied_at);
		parent_ref(n, "apps", "ReplicaSet", l->obj.namespace, rs, rsuid);
		info(n, "Status Reason",
		     ok            ? "Running"
		     : degraded(l) ? "CrashLoopBackOff"
				   : "ContainerCreating");
		info(n, "Node", "sim-node-1");
		info(n, "Containers", ok ? "1/1" : "0/1");
		add_images(n, &imgs);
		cJSON_AddItemToObject(n, "health",
				      health_json(ok            ? "Healthy"
						  : degraded(l) ? "Degraded"
								: "Progressing",
						  ok ? ""
						  : degraded(l)
							  ? "back-off 5m0s restarting failed container"
							  : ""));
		cJSON_AddItemToArray(nodes, n);
	}
	mech_strv_dispose(&imgs);
}

static void cluster_children(const sim_world *w, cJSON *nodes, const sim_live *l, double now)
{
	static const char *const svcs[] = {"rw", "r", "ro"};
	int n = instances_of(&l->obj), ready = progress(w, l, now) >= 1.0, i;
	char name[160], uid[40], *secret;
	cJSON *c;

	for (i = 1; i <= (ready ? n : 1); i++) {
		snprintf(name, sizeof(name), "%s-%d", l->obj.name, i);
		fake_uid(uid, l->uid, name);
		c = node("", "v1", "Pod", l->obj.namespace, name, uid, l->applied_at);
		parent_ref(c, "postgresql.cnpg.io", "Cluster", l->obj.namespace, l->obj.name,
			   l->uid);
		info(c, "Status Reason", ready ? "Running" : "PodInitializing");
		info(c, "Containers", ready ? "1/1" : "0/1");
		cJSON_AddItemToObject(c, "health",
				      health_json(ready ? "Healthy" : "Progressing", ""));
		cJSON_AddItemToArray(nodes, c);
	}
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%s-%s", l->obj.name, svcs[i]);
		fake_uid(uid, l->uid, name);
		c = node("", "v1", "Service", l->obj.namespace, name, uid, l->applied_at);
		parent_ref(c, "postgresql.cnpg.io", "Cluster", l->obj.namespace, l->obj.name,
			   l->uid);
		cJSON_AddItemToObject(c, "health", health_json("Healthy", ""));
		cJSON_AddItemToArray(nodes, c);
	}
	secret = mech_layout_addon_secret(l->obj.name);
	if (sim_world_secret(w, l->obj.namespace, secret)) {
		fake_uid(uid, l->uid, secret);
		c = node("", "v1", "Secret", l->obj.namespace, secret, uid, l->applied_at);
		parent_ref(c, "postgresql.cnpg.io", "Cluster", l->obj.namespace, l->obj.name,
			   l->uid);
		cJSON_AddItemToArray(nodes, c);
	}
	free(secret);
}

char *sim_render_tree(const sim_world *w, const sim_app *a)
{
	cJSON *doc = cJSON_CreateObject(), *nodes = cJSON_CreateArray();
	double now = sim_now_ms();
	size_t i;

	for (i = 0; i < a->nlive; i++) {
		const sim_live *l = &a->live[i];
		mech_strv imgs = MECH_STRV_INIT;
		cJSON *n = node(l->obj.group, l->obj.version, l->obj.kind, l->obj.namespace,
				l->obj.name, l->uid, l->created_at);
		char rv[32];
		live_rv(rv, sizeof(rv), w, l);
		cJSON_AddStringToObject(n, "resourceVersion", rv);
		if (*l->health)
			cJSON_AddItemToObject(n, "health",
					      health_json(l->health, l->health_message));
		sim_obj_images(&l->obj, &imgs);
		add_images(n, &imgs);
		mech_strv_dispose(&imgs);
		if (!strcmp(l->obj.kind, "Deployment")) {
			snprintf(rv, sizeof(rv), "Rev:%lld", l->generation);
			info(n, "Revision", rv);
		}
		cJSON_AddItemToArray(nodes, n);
		if (!strcmp(l->obj.kind, "Deployment") && !strcmp(l->obj.group, "apps"))
			deployment_children(w, nodes, l, now);
		else if (!strcmp(l->obj.kind, "Cluster") &&
			 !strcmp(l->obj.group, "postgresql.cnpg.io"))
			cluster_children(w, nodes, l, now);
	}
	/* desired objects not created yet: nodes without uid */
	for (i = 0; !a->want.error && i < a->want.nobjs; i++) {
		const sim_obj *o = &a->want.objs[i];
		cJSON *n;
		if (live_of(a, o))
			continue;
		n = node(o->group, o->version, o->kind, o->namespace, o->name, NULL, NULL);
		cJSON_AddItemToObject(n, "health", health_json("Missing", ""));
		cJSON_AddItemToArray(nodes, n);
	}
	if (cJSON_GetArraySize(nodes))
		cJSON_AddItemToObject(doc, "nodes", nodes);
	else
		cJSON_Delete(nodes);
	return print(doc);
}

/* ---- managed resources ---- */

static void diff_item(const sim_world *w, const sim_app *a, cJSON *items, const sim_obj *want,
		      const sim_live *l, double now)
{
	cJSON *d = cJSON_CreateObject();
	const sim_obj *id = want ? want : &l->obj;
	char *live = NULL;

	add_str(d, "group", id->group);
	cJSON_AddStringToObject(d, "kind", id->kind);
	add_str(d, "namespace", id->namespace);
	cJSON_AddStringToObject(d, "name", id->name);
	cJSON_AddStringToObject(d, "targetState", want ? want->text : "null");
	if (l)
		live = print(live_object(w, a, l, now, 1));
	cJSON_AddStringToObject(d, "liveState", live ? live : "null");
	cJSON_AddStringToObject(d, "normalizedLiveState", l ? l->obj.text : "null");
	cJSON_AddStringToObject(d, "predictedLiveState", want ? want->text : "null");
	if (!want || !l || strcmp(want->text, l->obj.text))
		cJSON_AddTrueToObject(d, "modified");
	free(live);
	cJSON_AddItemToArray(items, d);
}

char *sim_render_managed(const sim_world *w, const sim_app *a)
{
	cJSON *doc = cJSON_CreateObject(), *items = cJSON_CreateArray();
	double now = sim_now_ms();
	size_t i;

	for (i = 0; !a->want.error && i < a->want.nobjs; i++)
		diff_item(w, a, items, &a->want.objs[i], live_of(a, &a->want.objs[i]), now);
	for (i = 0; i < a->nlive; i++)
		if (a->want.error || !want_of(a, &a->live[i].obj))
			diff_item(w, a, items, NULL, &a->live[i], now);
	if (cJSON_GetArraySize(items))
		cJSON_AddItemToObject(doc, "items", items);
	else
		cJSON_Delete(items);
	return print(doc);
}

/* ---- the ApplicationSet ---- */

static cJSON *appset_resource(const sim_world *w, const sim_app *a)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "group", "argoproj.io");
	cJSON_AddStringToObject(r, "version", "v1alpha1");
	cJSON_AddStringToObject(r, "kind", "Application");
	cJSON_AddStringToObject(r, "namespace", w->argocd_ns);
	cJSON_AddStringToObject(r, "name", a->name);
	cJSON_AddStringToObject(r, "status", a->sync_status);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(r, "health"), "status", a->health);
	return r;
}

char *sim_render_appset(const sim_world *w, const sim_tenant *t)
{
	const sim_repo_state *s = &t->state;
	cJSON *doc = cJSON_CreateObject(), *meta, *spec, *gen, *git, *dir, *tpl, *tspec, *src, *dst,
	      *res;
	char uid[40], rv[32], *ns = mech_layout_namespace(t->name), *name;
	size_t i, n = 0;

	cJSON_AddStringToObject(doc, "apiVersion", "argoproj.io/v1alpha1");
	cJSON_AddStringToObject(doc, "kind", "ApplicationSet");
	meta = cJSON_AddObjectToObject(doc, "metadata");
	cJSON_AddStringToObject(meta, "name", s->appset);
	cJSON_AddStringToObject(meta, "namespace", w->argocd_ns);
	fake_uid(uid, t->name, s->appset); /* as in its Applications' ownerReferences */
	cJSON_AddStringToObject(meta, "uid", uid);
	snprintf(rv, sizeof(rv), "%llu", w->rv);
	cJSON_AddStringToObject(meta, "resourceVersion", rv);
	/* set by a client, removed by the controller once the generator has run */
	if (t->appset_want > t->appset_done)
		cJSON_AddStringToObject(cJSON_AddObjectToObject(meta, "annotations"),
					"argocd.argoproj.io/application-set-refresh", "true");
	spec = cJSON_AddObjectToObject(doc, "spec");
	cJSON_AddTrueToObject(spec, "goTemplate");
	git = cJSON_CreateObject();
	cJSON_AddStringToObject(git, "repoURL", s->repo_url);
	cJSON_AddStringToObject(git, "revision", s->target_revision);
	dir = cJSON_CreateObject();
	cJSON_AddStringToObject(dir, "path", MECH_LAYOUT_OVERLAY_GLOB);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(git, "directories"), dir);
	gen = cJSON_CreateObject();
	cJSON_AddItemToObject(gen, "git", git);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(spec, "generators"), gen);
	tpl = cJSON_AddObjectToObject(spec, "template");
	name = mech_layout_instance_app_template(t->name);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(tpl, "metadata"), "name", name);
	free(name);
	tspec = cJSON_AddObjectToObject(tpl, "spec");
	cJSON_AddStringToObject(tspec, "project", t->name);
	src = cJSON_AddObjectToObject(tspec, "source");
	cJSON_AddStringToObject(src, "repoURL", s->repo_url);
	cJSON_AddStringToObject(src, "targetRevision", s->target_revision);
	cJSON_AddStringToObject(src, "path", MECH_LAYOUT_TPL_PATH);
	dst = cJSON_AddObjectToObject(tspec, "destination");
	cJSON_AddStringToObject(dst, "server", "https://kubernetes.default.svc");
	cJSON_AddStringToObject(dst, "namespace", ns);
	res = cJSON_CreateArray();
	for (i = 0; i < w->napps; i++) {
		const sim_app *a = w->apps[i];
		if (a->appset && !strcmp(a->appset, s->appset) && !strcmp(a->tenant, t->name)) {
			cJSON_AddItemToArray(res, appset_resource(w, a));
			n++;
		}
	}
	cJSON_AddItemToObject(cJSON_AddObjectToObject(doc, "status"), "resources", res);
	cJSON_AddNumberToObject(cJSON_GetObjectItem(doc, "status"), "resourcesCount", (double)n);
	free(ns);
	return print(doc);
}
