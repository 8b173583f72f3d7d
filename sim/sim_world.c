/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cluster side of the sim: Argo CD's controller loop over the tenant
 * repos. A new branch tip is read once (cheap check: compare the ref); an
 * Application whose rendered manifests changed goes OutOfSync, an
 * automated sync runs for --sync-delay, then its workloads roll out for
 * --health-delay and end Healthy, or Degraded when an image carries
 * --degrade-tag. CloudNativePG Clusters get their `<name>-app` Secret,
 * HTTPRoutes resolve their backends against the live Services.
 */
#include "sim_int.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "mech/error.h"
#include "mech/layout.h"
#include "mech/objstore.h"
#include "mech/live.h"
#include "mech/random.h"

#define HISTORY_LIMIT 10

/* ---- time and ids ---- */

double sim_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

char *sim_wall(void)
{
	char buf[32];
	struct tm tm;
	time_t t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return mech_strdup(buf);
}

/*
 * Uids, passwords and injected faults need random bytes; a sim that cannot
 * have them stops, saying why, rather than make predictable ones.
 */
void sim_random(void *buf, size_t n)
{
	if (mech_random_bytes(buf, n) < 0)
		mech_fatal("mech sim: %s", mech_error_last()->message);
}

void sim_uid(char out[40])
{
	if (mech_random_uuid(out) < 0)
		mech_fatal("mech sim: %s", mech_error_last()->message);
}

/* 64 alphanumerics, as CloudNativePG generates application passwords. */
static char *random_password(void)
{
	static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	char *p = mech_calloc(65, 1);
	size_t i = 0;
	while (i < 64) {
		unsigned char b[32];
		size_t j;
		sim_random(b, sizeof(b));
		for (j = 0; j < sizeof(b) && i < 64; j++)
			if (b[j] < 248) /* 248 = 4 × 62: no modulo bias */
				p[i++] = alnum[b[j] % 62];
		explicit_bzero(b, sizeof(b)); /* the password's source */
	}
	return p;
}

/* 1 when the field's value changed (an Application's: it is stale). */
static int set_str(char **field, const char *value)
{
	if ((*field && value) ? !strcmp(*field, value) : *field == value)
		return 0;
	free(*field);
	*field = value ? mech_strdup(value) : NULL;
	return 1;
}

/* ---- world ---- */

int sim_world_init(sim_world *w, const sim_opts *opts, const char *home, const char *branch,
		   const char *argocd_ns)
{
	pthread_condattr_t ca;
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->changed, &ca);
	pthread_condattr_destroy(&ca);
	w->opts = opts;
	w->home = mech_strdup(home);
	w->branch = mech_strdup(branch);
	w->argocd_ns = mech_strdup(argocd_ns);
	w->live_gen = 1; /* apps start unsettled (health_gen 0) */
	w->check_render = getenv("MECH_SIM_CHECK_RENDER") &&
			  !strcmp(getenv("MECH_SIM_CHECK_RENDER"), "1");
	return 0;
}

static void live_dispose(sim_live *l)
{
	sim_obj_dispose(&l->obj);
	free(l->created_at);
	free(l->applied_at);
	free(l->health);
	free(l->health_message);
	free(l->missing_backend);
}

static void app_free(sim_app *a)
{
	size_t i;
	if (!a)
		return;
	free(a->name);
	free(a->tenant);
	free(a->created_at);
	free(a->repo_url);
	free(a->target_revision);
	free(a->appset);
	sim_target_dispose(&a->want);
	free(a->revision);
	free(a->reconciled_at);
	for (i = 0; i < a->nlive; i++)
		live_dispose(&a->live[i]);
	free(a->live);
	free(a->op_started_at);
	free(a->op_finished_at);
	free(a->op_phase);
	free(a->op_message);
	free(a->op_revision);
	cJSON_Delete(a->op_retry);
	free(a->sync_status);
	free(a->health);
	free(a->health_message);
	free(a->health_since);
	for (i = 0; i < a->nhistory; i++) {
		free(a->history[i].revision);
		free(a->history[i].deployed_at);
		free(a->history[i].started_at);
	}
	free(a->history);
	free(a->json);
	free(a->fingerprint);
	free(a);
}

static void secret_dispose(sim_secret *s)
{
	free(s->tenant);
	free(s->namespace);
	free(s->cluster);
	free(s->db);
	free(s->owner);
	if (s->password)
		explicit_bzero(s->password, strlen(s->password));
	free(s->password);
	free(s->created_at);
}

void sim_world_dispose(sim_world *w)
{
	size_t i;
	for (i = 0; i < w->napps; i++)
		app_free(w->apps[i]);
	free(w->apps);
	for (i = 0; i < w->ntenants; i++) {
		free(w->tenants[i].name);
		free(w->tenants[i].repo_path);
		git_repository_free(w->tenants[i].repo);
		mech_strv_dispose(&w->tenants[i].packs_seen);
		sim_repo_state_dispose(&w->tenants[i].state);
		cJSON_Delete(w->tenants[i].project);
	}
	free(w->tenants);
	for (i = 0; i < w->nsecrets; i++)
		secret_dispose(&w->secrets[i]);
	free(w->secrets);
	sim_secrets_dispose(w);
	sim_kube_dispose(w->kube);
	free(w->home);
	free(w->branch);
	free(w->argocd_ns);
	pthread_cond_destroy(&w->changed);
	pthread_mutex_destroy(&w->lock);
}

void sim_world_stop(sim_world *w)
{
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_broadcast(&w->changed);
	pthread_mutex_unlock(&w->lock);
}

sim_app *sim_world_app(sim_world *w, const char *name)
{
	size_t lo = 0, hi = w->napps;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(w->apps[mid]->name, name);
		if (!c)
			return w->apps[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int cmp_app(const void *x, const void *y)
{
	return strcmp((*(sim_app *const *)x)->name, (*(sim_app *const *)y)->name);
}

const sim_live *sim_world_live(const sim_world *w, const char *group, const char *kind,
			       const char *ns, const char *name, const sim_app **owner)
{
	size_t i, j;
	for (i = 0; i < w->napps; i++) {
		const sim_app *a = w->apps[i];
		for (j = 0; j < a->nlive; j++) {
			const sim_obj *o = &a->live[j].obj;
			if (!strcmp(o->kind, kind) && !strcmp(o->group, group) &&
			    !strcmp(o->namespace, ns) && !strcmp(o->name, name)) {
				if (owner)
					*owner = a;
				return &a->live[j];
			}
		}
	}
	return NULL;
}

const sim_secret *sim_world_secret(const sim_world *w, const char *ns, const char *name)
{
	size_t i;
	for (i = 0; i < w->nsecrets; i++) {
		const sim_secret *s = &w->secrets[i];
		char *secret;
		int hit;
		if (strcmp(s->namespace, ns))
			continue;
		secret = mech_layout_addon_secret(s->cluster);
		hit = !strcmp(secret, name);
		free(secret);
		if (hit)
			return s;
	}
	return NULL;
}

/* ---- reading the repos ---- */

static sim_tenant *tenant_find(sim_world *w, const char *name)
{
	size_t i;
	for (i = 0; i < w->ntenants; i++)
		if (!strcmp(w->tenants[i].name, name))
			return &w->tenants[i];
	return NULL;
}

const cJSON *sim_world_project(const sim_world *w, const sim_app *a)
{
	size_t i;
	for (i = 0; i < w->ntenants; i++)
		if (!strcmp(w->tenants[i].name, a->tenant))
			return w->tenants[i].project;
	return NULL;
}

/* Tenants are the directories <home>/tenants/<t>/ holding gitops.git. */
static void scan_tenants(sim_world *w)
{
	char *dir = mech_sprintf("%s/tenants", w->home);
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		struct stat st;
		char *repo;
		sim_tenant *t;
		if (de->d_name[0] == '.')
			continue;
		repo = mech_sprintf("%s/%s/gitops.git", dir, de->d_name);
		if (stat(repo, &st) < 0 || !S_ISDIR(st.st_mode) || tenant_find(w, de->d_name)) {
			free(repo);
			continue;
		}
		/* request threads read the list (sim_world_project): grow it under the lock */
		pthread_mutex_lock(&w->lock);
		w->tenants = mech_reallocarray(w->tenants, w->ntenants + 1, sizeof(*w->tenants));
		t = &w->tenants[w->ntenants++];
		memset(t, 0, sizeof(*t));
		t->name = mech_strdup(de->d_name);
		t->repo_path = repo;
		pthread_mutex_unlock(&w->lock);
	}
	if (d)
		closedir(d);
	free(dir);
}

/* The branch tip as hex, "" for an unborn branch or an unreadable repo. */
static void read_tip(sim_world *w, sim_tenant *t, char out[GIT_OID_HEXSZ + 1], git_oid *oid)
{
	char *ref = mech_sprintf("refs/heads/%s", w->branch);
	out[0] = '\0';
	if (!t->repo && git_repository_open_bare(&t->repo, t->repo_path) < 0)
		t->repo = NULL;
	if (t->repo && git_reference_name_to_id(oid, t->repo, ref) == 0)
		git_oid_tostr(out, GIT_OID_HEXSZ + 1, oid);
	else if (t->repo) {
		/* a repo replaced on disk: reopen next time */
		git_repository_free(t->repo);
		t->repo = NULL;
	}
	free(ref);
}

static sim_app *app_new(sim_world *w, const sim_target *tg, const char *tenant)
{
	sim_app *a = mech_calloc(1, sizeof(*a));
	a->name = mech_strdup(tg->name);
	a->tenant = mech_strdup(tenant);
	a->kind = tg->kind;
	sim_uid(a->uid);
	a->created_at = sim_wall();
	a->sync_status = mech_strdup("OutOfSync");
	a->health = mech_strdup("Missing");
	a->health_message = mech_strdup("");
	a->health_since = sim_wall();
	w->apps = mech_reallocarray(w->apps, w->napps + 1, sizeof(*w->apps));
	w->apps[w->napps++] = a;
	if (w->opts->verbose)
		fprintf(stderr, "mech sim: %s: created\n", a->name);
	return a;
}

static const sim_target *target_find(const sim_repo_state *s, const char *name)
{
	size_t i;
	for (i = 0; i < s->ntargets; i++)
		if (!strcmp(s->targets[i].name, name))
			return &s->targets[i];
	return NULL;
}

/* What the app controller does when it compares an Application with Git at the tip. */
static void compare(sim_world *w, sim_app *a, const sim_tenant *t, double now)
{
	const sim_target *tg = target_find(&t->state, a->name);
	char *wall;
	a->compared_ms = now;
	if (!tg)
		return; /* its directory left Git: the generator deletes it on its next run */
	wall = sim_wall();
	a->stale = 1;
	w->live_gen++; /* its desired objects: what its health reads when nothing is live */
	sim_target_dispose(&a->want);
	sim_target_copy(&a->want, tg);
	set_str(&a->revision, t->tip);
	set_str(&a->reconciled_at, wall);
	set_str(&a->repo_url, t->state.repo_url);
	set_str(&a->target_revision, t->state.target_revision);
	set_str(&a->appset, tg->kind == SIM_INSTANCE ? t->state.appset : NULL);
	free(wall);
}

/*
 * Which Applications exist: the ApplicationSet generator's (instances) when
 * `instances`, else the directory Applications of argocd/. A new one is
 * compared at once, as the controller picks up a new Application.
 */
static void generate(sim_world *w, sim_tenant *t, int instances, double now)
{
	const sim_repo_state *s = &t->state;
	size_t i, j;

	for (i = 0; i < s->ntargets; i++) {
		const sim_target *tg = &s->targets[i];
		sim_app *a;
		if ((tg->kind == SIM_INSTANCE) != instances || sim_world_app(w, tg->name))
			continue;
		a = app_new(w, tg, t->name);
		qsort(w->apps, w->napps, sizeof(*w->apps), cmp_app);
		compare(w, a, t, now);
	}
	/* Applications whose directory left Git are deleted, their resources with them. */
	for (i = 0, j = 0; i < w->napps; i++) {
		sim_app *a = w->apps[i];
		int keep = strcmp(a->tenant, t->name) != 0 ||
			   (a->kind == SIM_INSTANCE) != instances ||
			   target_find(s, a->name) != NULL;
		if (keep) {
			w->apps[j++] = a;
			continue;
		}
		if (w->opts->verbose)
			fprintf(stderr, "mech sim: %s: deleted\n", a->name);
		app_free(a);
		w->rv++;
		w->live_gen++; /* its live objects went with it */
	}
	w->napps = j;
}

/*
 * The ApplicationSet controller re-reads Git every --appset-requeue (and at
 * once when its refresh annotation is set); the directory Applications
 * follow the tip (the files under argocd/, as applied).
 */
static void generators(sim_world *w, sim_tenant *t, double now)
{
	long requeue = w->opts->appset_requeue_ms;
	int asked = t->appset_taken > t->appset_done || t->recompare;
	int due = !t->generated || asked || requeue <= 0 || now >= t->gen_ms + (double)requeue;

	if (strcmp(t->gen_tip, t->tip) || t->recompare)
		generate(w, t, 0, now);
	if (!due)
		return;
	if (requeue > 0 || !t->generated)
		t->gen_ms = now;
	t->generated = 1;
	if (t->appset_taken > t->appset_done) {
		t->appset_done = t->appset_taken; /* the controller removes the annotation */
		w->rv++;
	}
	if (strcmp(t->gen_tip, t->tip) || asked) {
		generate(w, t, 1, now);
		memcpy(t->gen_tip, t->tip, sizeof(t->gen_tip));
	}
}

/*
 * The app controller notices a new commit only every --poll-interval
 * (Argo CD's timeout.reconciliation), unless a client asks for a refresh.
 */
static void comparisons(sim_world *w, double now)
{
	long poll = w->opts->poll_interval_ms;
	size_t i;
	for (i = 0; i < w->napps; i++) {
		sim_app *a = w->apps[i];
		const sim_tenant *t = tenant_find(w, a->tenant);
		int asked = a->refresh_taken > a->refresh_done;
		if (t && t->has_state &&
		    (asked || t->recompare ||
		     (strcmp(a->revision ? a->revision : "", t->tip) &&
		      (poll <= 0 || now >= a->compared_ms + (double)poll))))
			compare(w, a, t, now);
		if (asked) {
			a->refresh_done = a->refresh_taken;
			w->rv++;
		}
	}
	for (i = 0; i < w->ntenants; i++)
		w->tenants[i].recompare = 0;
}

void sim_world_refresh(sim_world *w, const char *name)
{
	sim_app *a = sim_world_app(w, name);
	unsigned long long mine;
	if (!a)
		return;
	mine = ++a->refresh_want;
	while (!w->stopping && (a = sim_world_app(w, name)) && a->refresh_done < mine) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 1; /* wake to look again: the Application may have been deleted */
		pthread_cond_timedwait(&w->changed, &w->lock, &ts);
	}
}

sim_tenant *sim_world_appset(sim_world *w, const char *name)
{
	size_t i;
	for (i = 0; i < w->ntenants; i++)
		if (w->tenants[i].has_state && w->tenants[i].state.appset &&
		    !strcmp(w->tenants[i].state.appset, name))
			return &w->tenants[i];
	return NULL;
}

/* ---- the controller ---- */

static sim_live *live_find(sim_live *live, size_t n, const sim_obj *o)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!strcmp(live[i].obj.kind, o->kind) && !strcmp(live[i].obj.group, o->group) &&
		    !strcmp(live[i].obj.namespace, o->namespace) &&
		    !strcmp(live[i].obj.name, o->name))
			return &live[i];
	return NULL;
}

/* Apply the target: keep unchanged objects, bump changed ones, prune the rest. */
static void sync_apply(sim_world *w, sim_app *a, double now)
{
	sim_live *next = a->want.nobjs ? mech_calloc(a->want.nobjs, sizeof(*next)) : NULL;
	char *wall = sim_wall();
	size_t i;

	for (i = 0; i < a->want.nobjs; i++) {
		const sim_obj *o = &a->want.objs[i];
		sim_live *old = live_find(a->live, a->nlive, o), *l = &next[i];
		sim_obj_copy(&l->obj, o);
		l->health = mech_strdup("");
		l->health_message = mech_strdup("");
		if (old) {
			memcpy(l->uid, old->uid, sizeof(l->uid));
			l->created_at = mech_strdup(old->created_at);
			if (!strcmp(old->obj.text, o->text)) {
				l->generation = old->generation;
				l->applied_ms = old->applied_ms;
				l->applied_at = mech_strdup(old->applied_at);
				l->rollout = old->rollout;
				l->change = old->change;
				continue;
			}
			l->generation = old->generation + 1;
			l->change = sim_cnpg_change(&old->obj, o);
		} else {
			sim_uid(l->uid);
			l->created_at = mech_strdup(wall);
			l->generation = 1;
		}
		l->applied_ms = now;
		l->applied_at = mech_strdup(wall);
		l->rollout = 1;
	}
	for (i = 0; i < a->nlive; i++)
		live_dispose(&a->live[i]);
	free(a->live);
	a->live = next;
	a->nlive = a->want.nobjs;
	a->live_sig = a->want.sig;
	a->synced_once = 1;
	w->live_gen++;
	free(wall);
}

static void op_start(sim_app *a, double now, int manual, const cJSON *retry)
{
	char *wall = sim_wall();
	a->stale = 1;
	a->op_running = 1;
	a->op_manual = manual;
	a->op_start_ms = now;
	a->op_retry_count = 0;
	a->op_retry_at_ms = 0;
	cJSON_Delete(a->op_retry);
	a->op_retry = retry ? cJSON_Duplicate(retry, 1) : NULL;
	set_str(&a->op_started_at, wall);
	set_str(&a->op_finished_at, NULL);
	set_str(&a->op_phase, "Running");
	set_str(&a->op_message, "one or more tasks are running");
	set_str(&a->op_revision, a->revision);
	free(wall);
}

/* autoSync: the Application's syncPolicy.retry, else Argo CD's {limit: 5} */
static void op_start_automated(sim_app *a, double now)
{
	cJSON *def = NULL;
	if (!a->want.retry) {
		def = cJSON_CreateObject();
		cJSON_AddNumberToObject(def, "limit", 5);
	}
	op_start(a, now, 0, a->want.retry ? a->want.retry : def);
	cJSON_Delete(def);
}

int sim_world_sync(sim_world *w, sim_app *a, const char *revision, int prune, const cJSON *retry)
{
	if (a->op_running)
		return -1;
	op_start(a, sim_now_ms(), 1, retry);
	if (revision && *revision)
		set_str(&a->op_revision, revision);
	(void)prune; /* automated prune is on: pruning happens either way */
	pthread_cond_broadcast(&w->changed);
	return 0;
}

static void op_finish(sim_world *w, sim_app *a, double now)
{
	char *wall = sim_wall();
	sim_history *h;

	a->stale = 1;
	sync_apply(w, a, now);
	a->op_running = 0;
	set_str(&a->op_phase, "Succeeded");
	set_str(&a->op_message, "successfully synced (all tasks run)");
	set_str(&a->op_finished_at, wall);
	if (a->nhistory == HISTORY_LIMIT) {
		free(a->history[0].revision);
		free(a->history[0].deployed_at);
		free(a->history[0].started_at);
		memmove(a->history, a->history + 1, (HISTORY_LIMIT - 1) * sizeof(*a->history));
		a->nhistory--;
	}
	a->history = mech_reallocarray(a->history, a->nhistory + 1, sizeof(*a->history));
	h = &a->history[a->nhistory++];
	h->id = a->next_history_id++;
	h->revision = mech_strdup(a->op_revision ? a->op_revision : "");
	h->deployed_at = wall;
	h->started_at = mech_strdup(a->op_started_at);
}

static int degraded_image(const sim_world *w, const sim_obj *o)
{
	mech_strv imgs = MECH_STRV_INIT;
	size_t i;
	int bad = 0;
	if (!w->opts->degrade_tag || !*w->opts->degrade_tag)
		return 0;
	sim_obj_images(o, &imgs);
	for (i = 0; i < imgs.len && !bad; i++)
		bad = !strcmp(sim_image_tag(imgs.items[i]), w->opts->degrade_tag);
	mech_strv_dispose(&imgs);
	return bad;
}

static int obj_replicas(const sim_obj *o)
{
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(o->manifest, "spec");
	const cJSON *r = cJSON_IsObject(spec) ? cJSON_GetObjectItemCaseSensitive(spec, "replicas")
					      : NULL;
	return cJSON_IsNumber(r) && r->valuedouble >= 0 ? (int)r->valuedouble : 1;
}

static int live_service(const sim_world *w, const char *ns, const char *name)
{
	return sim_world_live(w, "", "Service", ns, name, NULL) != NULL;
}

/* The first Service an HTTPRoute points at that does not exist, or NULL. */
static char *route_missing_backend(const sim_world *w, const sim_obj *o)
{
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(o->manifest, "spec");
	const cJSON *rules = cJSON_IsObject(spec) ? cJSON_GetObjectItemCaseSensitive(spec, "rules")
						  : NULL;
	const cJSON *rule, *ref;
	cJSON_ArrayForEach(rule, (cJSON_IsArray(rules) ? rules : NULL))
	{
		const cJSON *refs = cJSON_GetObjectItemCaseSensitive(rule, "backendRefs");
		cJSON_ArrayForEach(ref, (cJSON_IsArray(refs) ? refs : NULL))
		{
			const cJSON *name = cJSON_GetObjectItemCaseSensitive(ref, "name");
			const cJSON *kind = cJSON_GetObjectItemCaseSensitive(ref, "kind");
			const cJSON *ns = cJSON_GetObjectItemCaseSensitive(ref, "namespace");
			if (!cJSON_IsString(name))
				continue;
			if (cJSON_IsString(kind) && strcmp(kind->valuestring, "Service"))
				continue;
			if (!live_service(w, cJSON_IsString(ns) ? ns->valuestring : o->namespace,
					  name->valuestring))
				return mech_strdup(name->valuestring);
		}
	}
	return NULL;
}

/* The first parentRef's name, for messages. */
static const char *route_parent(const sim_obj *o)
{
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(o->manifest, "spec");
	const cJSON *refs = cJSON_IsObject(spec)
				    ? cJSON_GetObjectItemCaseSensitive(spec, "parentRefs")
				    : NULL;
	const cJSON *first = cJSON_IsArray(refs) ? refs->child : NULL;
	const cJSON *name = cJSON_IsObject(first) ? cJSON_GetObjectItemCaseSensitive(first, "name")
						  : NULL;
	return cJSON_IsString(name) ? name->valuestring : "gateway";
}

/*
 * Argo CD's resource_customizations/postgresql.cnpg.io/Cluster/health.lua
 * (cnpg.md §2 has the table): the health of a Cluster from its status, the
 * message its phaseReason.
 */
static const struct {
	const char *phase, *health;
} cnpg_phases[] = {
	{"Cluster in healthy state", "Healthy"},
	{"Setting up primary", "Progressing"},
	{"Creating a new replica", "Progressing"},
	{"Upgrading cluster", "Progressing"},
	{"Waiting for the instances to become active", "Progressing"},
	{"Promoting to primary cluster", "Progressing"},
	{"Switchover in progress", "Degraded"},
	{"Failing over", "Degraded"},
	{"Upgrading Postgres major version", "Degraded"},
	{"Cluster upgrade delayed", "Degraded"},
	{"Waiting for user action", "Degraded"},
	{"Primary instance is being restarted in-place", "Degraded"},
	{"Primary instance is being restarted without a switchover", "Degraded"},
	{"Cluster cannot execute instance online upgrade due to missing architecture binary",
	 "Degraded"},
	{"Online upgrade in progress", "Degraded"},
	{"Applying configuration", "Degraded"},
	{"Unable to create required cluster objects", "Suspended"},
	{"Cluster cannot proceed to reconciliation due to an unknown plugin being required",
	 "Suspended"},
	{"Cluster has incomplete or invalid image catalog", "Suspended"},
	{"Cluster is unrecoverable and needs manual intervention", "Suspended"},
};

static const char *jstring(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *cnpg_health(const cJSON *manifest, const cJSON *status, char **msg)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(manifest, "metadata");
	const cJSON *conds = cJSON_IsObject(status)
				     ? cJSON_GetObjectItemCaseSensitive(status, "conditions")
				     : NULL;
	const char *phase = jstring(status, "phase"), *reason = jstring(status, "phaseReason");
	const cJSON *c;
	size_t i;

	*msg = NULL;
	if (cJSON_IsObject(meta) && (c = cJSON_GetObjectItemCaseSensitive(meta, "annotations")) &&
	    jstring(c, "cnpg.io/reconciliation") &&
	    !strcmp(jstring(c, "cnpg.io/reconciliation"), "disabled")) {
		*msg = mech_strdup("Cluster reconciliation is suspended");
		return "Suspended";
	}
	*msg = mech_strdup(reason ? reason : "");
	if (!cJSON_IsArray(conds))
		return "Progressing"; /* no conditions yet */
	cJSON_ArrayForEach(c, conds)
	{
		const char *type = jstring(c, "type"), *st = jstring(c, "status");
		if (!type || strcmp(type, "cnpg.io/hibernation"))
			continue;
		free(*msg);
		*msg = mech_strdup(jstring(c, "message") ? jstring(c, "message") : "");
		return st && !strcmp(st, "True") ? "Suspended" : "Degraded";
	}
	for (i = 0; phase && i < sizeof(cnpg_phases) / sizeof(cnpg_phases[0]); i++)
		if (!strcmp(phase, cnpg_phases[i].phase))
			return cnpg_phases[i].health;
	return "Unknown";
}

/*
 * A rollout runs (--health-delay after a change): the object's health
 * moves with time alone. Past it, its health is a function of the object,
 * and for an HTTPRoute of the live Services.
 */
static int live_rolling(const sim_world *w, const sim_live *l, double now)
{
	return l->rollout && now < l->applied_ms + (double)w->opts->health_delay_ms;
}

/*
 * Health of one live object now (Argo CD's built-in checks for these
 * kinds): 1 when its health or message changed.
 */
static int live_health(const sim_world *w, sim_live *l, double now)
{
	const sim_obj *o = &l->obj;
	int rolling = live_rolling(w, l, now);
	char *msg = NULL;
	const char *h = "";
	int changed;

	if (!strcmp(o->kind, "Deployment") && !strcmp(o->group, "apps")) {
		if (rolling) {
			/* only a rollout reads the manifest: a settled Deployment costs no lookup */
			int want = obj_replicas(o);
			double f = (now - l->applied_ms) / (double)(w->opts->health_delay_ms + 1);
			int avail = (int)(f * want);
			h = "Progressing";
			msg = mech_sprintf("Waiting for rollout to finish: %d of %d updated replicas "
					   "are available...",
					   avail < want ? avail : want - 1, want);
		} else if (degraded_image(w, o)) {
			h = "Degraded";
			msg = mech_sprintf("Deployment \"%s\" exceeded its progress deadline",
					   o->name);
		} else {
			h = "Healthy";
		}
	} else if (!strcmp(o->kind, "Cluster") && !strcmp(o->group, "postgresql.cnpg.io")) {
		cJSON *st = sim_cnpg_status(w, l, now);
		h = cnpg_health(o->manifest, st, &msg);
		cJSON_Delete(st);
	} else if (!strcmp(o->kind, "HTTPRoute") && !strcmp(o->group, "gateway.networking.k8s.io")) {
		free(l->missing_backend);
		l->missing_backend = route_missing_backend(w, o);
		if (l->missing_backend) {
			h = "Degraded";
			msg = mech_sprintf("Parent %s: Service \"%s\" not found", route_parent(o),
					   l->missing_backend);
		} else {
			h = "Healthy";
			msg = mech_strdup("HTTPRoute is healthy");
		}
	} else if (!strcmp(o->kind, "Service") || !strcmp(o->kind, "PersistentVolumeClaim") ||
		   !strcmp(o->kind, "Pod") || !strcmp(o->kind, "StatefulSet") ||
		   !strcmp(o->kind, "Ingress")) {
		h = "Healthy";
	}
	changed = set_str(&l->health, h);
	changed |= set_str(&l->health_message, msg ? msg : "");
	free(msg);
	return changed;
}

static int health_rank(const char *h)
{
	static const char *const order[] = {"Healthy", "Suspended", "Progressing",
					    "Missing", "Degraded",  "Unknown"};
	size_t i;
	for (i = 0; i < 6; i++)
		if (!strcmp(h, order[i]))
			return (int)i;
	return -1;
}

/*
 * The app's health from its live objects'. An app whose rollouts are over
 * is settled: its health cannot change until some Application's live or
 * desired objects do (live_gen), so the tick skips it. With
 * MECH_SIM_CHECK_RENDER=1 it is computed anyway, and a change stops the sim.
 */
static void app_health(const sim_world *w, sim_app *a, double now)
{
	const char *worst = NULL, *msg = "";
	size_t i;
	char *since;
	int settled = a->health_gen == w->live_gen, changed = 0, rolling = 0;

	if (settled && !w->check_render)
		return;
	for (i = 0; i < a->nlive; i++) {
		sim_live *l = &a->live[i];
		changed |= live_health(w, l, now);
		rolling |= live_rolling(w, l, now);
		if (*l->health && (!worst || health_rank(l->health) > health_rank(worst))) {
			worst = l->health;
			msg = l->health_message;
		}
	}
	if (!worst)
		worst = a->nlive == 0 && a->want.nobjs > 0 && !a->synced_once ? "Missing"
									      : "Healthy";
	if (strcmp(worst, a->health)) {
		if (w->opts->verbose)
			fprintf(stderr, "mech sim: %s: health %s -> %s\n", a->name, a->health,
				worst);
		set_str(&a->health, worst);
		since = sim_wall();
		set_str(&a->health_since, since);
		free(since);
		changed = 1;
	}
	changed |= set_str(&a->health_message, !strcmp(worst, "Healthy") ? "" : msg);
	if (settled && changed)
		mech_fatal("mech sim: MECH_SIM_CHECK_RENDER: the health of Application %s changed "
			   "while it was settled (sim/sim_world.c)",
			   a->name);
	a->stale |= changed;
	a->health_gen = rolling ? 0 : w->live_gen;
}

/* ---- failed attempts and retries ---- */

/* A backoff duration as Argo CD reads it: a bare integer is seconds, else a Go duration. */
static double retry_duration_ms(const cJSON *backoff, const char *key, double def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(backoff, key);
	const char *p;
	long ms;
	if (cJSON_IsNumber(v))
		return v->valuedouble * 1000.0;
	if (!cJSON_IsString(v) || !*v->valuestring)
		return def;
	for (p = v->valuestring; *p >= '0' && *p <= '9'; p++)
		;
	if (!*p)
		return atof(v->valuestring) * 1000.0;
	if (mech_parse_duration("backoff", v->valuestring, &ms) < 0) {
		mech_error_clear();
		return def;
	}
	return (double)ms;
}

/* RetryStrategy.NextRetryAt: duration × factor^count, at most maxDuration. */
static double retry_wait_ms(const cJSON *retry, long long count)
{
	const cJSON *backoff = cJSON_GetObjectItemCaseSensitive(retry, "backoff");
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(backoff, "factor");
	double d = retry_duration_ms(backoff, "duration", 5000.0);
	double max = retry_duration_ms(backoff, "maxDuration", 180000.0);
	double factor = cJSON_IsNumber(f) ? f->valuedouble : 2.0;
	long long i;
	for (i = 0; i < count && d < max; i++)
		d *= factor;
	return max > 0 && d > max ? max : d;
}

static long long retry_limit(const cJSON *retry)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(retry, "limit");
	return cJSON_IsNumber(l) ? (long long)l->valuedouble : 0;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/*
 * Why this attempt fails, or NULL: the manifests cannot be generated
 * (SyncAppState's condition check, phase Error), or the project refuses a
 * resource (the sync's permission validator, phase Failed, the distinct
 * messages sorted).
 */
static char *attempt_failure(const sim_app *a, const cJSON *project, const char **phase)
{
	mech_strv why = MECH_STRV_INIT;
	mech_buf b = MECH_BUF_INIT;
	size_t i;
	if (a->want.error) {
		*phase = "Error";
		return mech_sprintf("ComparisonError: %s", a->want.error);
	}
	for (i = 0; project && i < a->want.nobjs; i++) {
		char *r = sim_project_refusal(project, &a->want.objs[i]);
		if (r && !mech_strv_contains(&why, r))
			mech_strv_push(&why, r);
		free(r);
	}
	if (!why.len)
		return NULL;
	qsort(why.items, why.len, sizeof(*why.items), cmp_str);
	mech_buf_puts(&b, "one or more synchronization tasks are not valid: ");
	for (i = 0; i < why.len; i++)
		mech_buf_printf(&b, "%s%s", i ? "; " : "", why.items[i]);
	*phase = "Failed";
	mech_strv_dispose(&why);
	return mech_buf_detach(&b);
}

/* One attempt of the running operation: it succeeds, is retried, or fails for good. */
static void op_attempt(sim_world *w, sim_app *a, const cJSON *project, double now)
{
	const char *phase = NULL;
	char *msg = attempt_failure(a, project, &phase), *wall;
	long long limit = retry_limit(a->op_retry);

	a->stale = 1;
	if (!msg) {
		a->op_failed = 0;
		op_finish(w, a, now);
		return;
	}
	wall = sim_wall();
	set_str(&a->op_finished_at, wall);
	if (a->op_retry_count < limit || limit < 0) {
		/* appcontroller processRequestedAppOperation: Running again, later */
		double wait = retry_wait_ms(a->op_retry, a->op_retry_count);
		time_t at = time(NULL) + (time_t)(wait / 1000.0);
		struct tm tm;
		char *m;
		gmtime_r(&at, &tm);
		a->op_retry_count++;
		a->op_retry_at_ms = now + wait;
		/* time.Kitchen: 3:04PM */
		m = mech_sprintf("%s. Retrying attempt #%lld at %d:%02d%s.", msg, a->op_retry_count,
				 tm.tm_hour % 12 ? tm.tm_hour % 12 : 12, tm.tm_min,
				 tm.tm_hour < 12 ? "AM" : "PM");
		set_str(&a->op_phase, "Running");
		set_str(&a->op_message, m);
		free(m);
	} else {
		char *m = a->op_retry_count
				  ? mech_sprintf("%s (retried %lld times).", msg, a->op_retry_count)
				  : mech_strdup(msg);
		a->op_running = 0;
		a->op_failed = 1;
		a->failed_sig = a->want.sig;
		set_str(&a->op_phase, phase);
		set_str(&a->op_message, m);
		free(m);
		if (w->opts->verbose)
			fprintf(stderr, "mech sim: %s: sync %s: %s\n", a->name, phase,
				a->op_message);
	}
	free(msg);
	free(wall);
}

/* autoSync's alreadyAttemptedSync: a failed operation for these manifests is not repeated. */
static int attempted_and_failed(const sim_app *a)
{
	return a->op_failed && a->failed_sig == a->want.sig;
}

char *sim_world_sync_error(const sim_app *a)
{
	if (a->want.error || a->op_running || !attempted_and_failed(a) ||
	    strcmp(a->sync_status, "OutOfSync"))
		return NULL;
	return mech_sprintf("Failed last sync attempt to [%s]: %s",
			    a->op_revision ? a->op_revision : "",
			    a->op_message ? a->op_message : "");
}

static void advance(sim_world *w, sim_app *a, double now)
{
	const cJSON *project = sim_world_project(w, a);
	time_t wall_now = time(NULL);
	const char *sync;
	double due;
	/* automated sync (prune, self-heal), unless a sync window holds it: no error shown */
	if (!a->want.error && !a->op_running && (!a->synced_once || a->want.sig != a->live_sig) &&
	    !attempted_and_failed(a) && sim_project_can_sync(project, a, 0, wall_now))
		op_start_automated(a, now);
	due = a->op_retry_count ? a->op_retry_at_ms
				: a->op_start_ms + (double)w->opts->sync_delay_ms;
	if (a->op_running && now >= due) {
		if (!sim_project_can_sync(project, a, a->op_manual, wall_now))
			/* a window closed on a running operation: it waits (SyncAppState) */
			a->stale |= set_str(&a->op_message, "Sync operation blocked by sync window");
		else
			op_attempt(w, a, project, now);
	}
	if (a->want.error)
		sync = "Unknown";
	else
		sync = a->synced_once && a->want.sig == a->live_sig ? "Synced" : "OutOfSync";
	if (w->opts->verbose && strcmp(sync, a->sync_status))
		fprintf(stderr, "mech sim: %s: sync %s -> %s\n", a->name, a->sync_status, sync);
	a->stale |= set_str(&a->sync_status, sync);
}

/*
 * CloudNativePG creates <cluster>-app for every Cluster and deletes it with
 * it: a function of the live objects, done again only when they changed
 * (live_gen). With MECH_SIM_CHECK_RENDER=1 it runs every tick, and a change
 * when nothing live changed stops the sim.
 */
static void reconcile_secrets(sim_world *w)
{
	size_t i, j, k, n0 = w->nsecrets, added = 0;
	int settled = w->secrets_gen == w->live_gen;

	if (settled && !w->check_render)
		return;
	for (i = 0; i < w->napps; i++) {
		const sim_app *a = w->apps[i];
		for (j = 0; j < a->nlive; j++) {
			const sim_obj *o = &a->live[j].obj;
			const cJSON *initdb;
			const char *db = "app", *owner = NULL;
			sim_secret *s;
			if (strcmp(o->kind, "Cluster") || strcmp(o->group, "postgresql.cnpg.io"))
				continue;
			for (k = 0; k < w->nsecrets; k++)
				if (!strcmp(w->secrets[k].namespace, o->namespace) &&
				    !strcmp(w->secrets[k].cluster, o->name))
					break;
			if (k < w->nsecrets)
				continue;
			initdb = cJSON_GetObjectItemCaseSensitive(o->manifest, "spec");
			initdb = cJSON_IsObject(initdb)
					 ? cJSON_GetObjectItemCaseSensitive(initdb, "bootstrap")
					 : NULL;
			initdb = cJSON_IsObject(initdb)
					 ? cJSON_GetObjectItemCaseSensitive(initdb, "initdb")
					 : NULL;
			if (cJSON_IsObject(initdb)) {
				const cJSON *d = cJSON_GetObjectItemCaseSensitive(initdb,
										  "database");
				const cJSON *ow = cJSON_GetObjectItemCaseSensitive(initdb, "owner");
				if (cJSON_IsString(d) && *d->valuestring)
					db = d->valuestring;
				if (cJSON_IsString(ow) && *ow->valuestring)
					owner = ow->valuestring;
			}
			w->secrets = mech_reallocarray(w->secrets, w->nsecrets + 1,
						       sizeof(*w->secrets));
			s = &w->secrets[w->nsecrets++];
			memset(s, 0, sizeof(*s));
			s->tenant = mech_strdup(a->tenant);
			s->namespace = mech_strdup(o->namespace);
			s->cluster = mech_strdup(o->name);
			s->db = mech_strdup(db);
			s->owner = mech_strdup(owner ? owner : db);
			s->password = random_password();
			sim_uid(s->uid);
			s->created_at = sim_wall();
			added++;
		}
	}
	for (i = 0, j = 0; i < w->nsecrets; i++) {
		if (sim_world_live(w, "postgresql.cnpg.io", "Cluster", w->secrets[i].namespace,
				   w->secrets[i].cluster, NULL))
			w->secrets[j++] = w->secrets[i];
		else
			secret_dispose(&w->secrets[i]);
	}
	w->nsecrets = j;
	if (settled && (added || j != n0))
		mech_fatal("mech sim: MECH_SIM_CHECK_RENDER: CloudNativePG Secrets changed while "
			   "nothing live did (sim/sim_world.c)");
	w->secrets_gen = w->live_gen;
}

/*
 * What the API shows of each Application, rendered again only where a
 * field it reads may have changed (stale): an idle tick costs nothing per
 * app. A new fingerprint is a new resourceVersion; 1 when there was one.
 * With MECH_SIM_CHECK_RENDER=1 every app is rendered, and one that changed
 * without being marked stale stops the sim: that change would never have
 * reached a client.
 */
static int render_changed(sim_world *w)
{
	size_t i;
	int changed = 0;
	for (i = 0; i < w->napps; i++) {
		sim_app *a = w->apps[i];
		char *fp;
		if (a->fingerprint && !a->stale && !w->check_render)
			continue;
		fp = sim_render_app(w, a, 0, 1);
		if (a->fingerprint && !strcmp(fp, a->fingerprint)) {
			free(fp);
			a->stale = 0;
			continue;
		}
		if (a->fingerprint && !a->stale)
			mech_fatal("mech sim: MECH_SIM_CHECK_RENDER: Application %s changed without "
				   "being marked stale (sim/sim_world.c)",
				   a->name);
		free(a->fingerprint);
		a->fingerprint = fp;
		a->rv = ++w->rv;
		free(a->json);
		a->json = sim_render_app(w, a, 1, 1);
		a->stale = 0;
		changed = 1;
	}
	return changed;
}

void sim_world_reapply(sim_world *w)
{
	pthread_mutex_lock(&w->lock);
	w->reapply = 1;
	pthread_mutex_unlock(&w->lock);
}

void sim_world_tick(sim_world *w)
{
	double now;
	size_t i;
	int changed, reapply;
	unsigned long long rv0;

	scan_tenants(w); /* takes the lock to grow the list */
	pthread_mutex_lock(&w->lock);
	reapply = w->reapply;
	w->reapply = 0;
	/* refreshes asked before the tips are read are the ones this tick answers */
	for (i = 0; i < w->napps; i++)
		w->apps[i]->refresh_taken = w->apps[i]->refresh_want;
	for (i = 0; i < w->ntenants; i++)
		w->tenants[i].appset_taken = w->tenants[i].appset_want;
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < w->ntenants; i++) {
		sim_tenant *t = &w->tenants[i];
		char tip[GIT_OID_HEXSZ + 1];
		git_oid oid, applied;
		sim_repo_state s;
		int applying;
		read_tip(w, t, tip, &oid);
		/* an unreadable branch is a generator error: keep what exists */
		if (!*tip)
			continue;
		applying = !*t->applied || reapply;
		if (applying) {
			/* an operator applies argocd/ as the branch has it now */
			memcpy(t->applied, tip, sizeof(t->applied));
			t->tip[0] = '\0';
		}
		if (!strcmp(tip, t->tip))
			continue;
		/* a moved branch: let go of the packs the merge of its writes removed */
		if (mech_objstore_forget_gone(t->repo, &t->packs_seen) < 0)
			mech_error_clear();
		memset(&s, 0, sizeof(s));
		if (git_oid_fromstr(&applied, t->applied) < 0 ||
		    sim_repo_read(t->repo, &oid, &applied, t->name, w->branch, t->repo_path, &s) <
			    0) {
			const mech_error *e = mech_error_last();
			fprintf(stderr, "mech sim: %s: %s\n", t->name,
				e && e->message ? e->message : "cannot read the repository");
			/* a repository replaced on disk lost the applied commit: apply anew */
			if (strcmp(t->applied, tip))
				t->applied[0] = '\0';
			continue; /* like the controller: keep the last state, retry */
		}
		pthread_mutex_lock(&w->lock);
		cJSON_Delete(t->project);
		t->project = s.project;
		s.project = NULL;
		sim_repo_state_dispose(&t->state);
		t->state = s;
		t->has_state = 1;
		/* what an operator applies is reconciled at once, whatever the intervals */
		t->recompare |= applying;
		memcpy(t->tip, tip, sizeof(t->tip));
		pthread_mutex_unlock(&w->lock);
		if (applying) /* tests wait for this line after a SIGHUP */
			fprintf(stderr, "mech sim: %s: argocd/ applied at %.12s\n", t->name, tip);
	}

	pthread_mutex_lock(&w->lock);
	rv0 = w->rv;
	now = sim_now_ms();
	for (i = 0; i < w->ntenants; i++)
		if (w->tenants[i].has_state)
			generators(w, &w->tenants[i], now);
	comparisons(w, now);
	for (i = 0; i < w->napps; i++)
		advance(w, w->apps[i], now);
	reconcile_secrets(w);
	for (i = 0; i < w->napps; i++)
		app_health(w, w->apps[i], now);
	changed = render_changed(w);
	sim_kube_refresh(w);
	if (changed || w->rv != rv0)
		pthread_cond_broadcast(&w->changed);
	pthread_mutex_unlock(&w->lock);
}
