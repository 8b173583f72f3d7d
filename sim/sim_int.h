/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_SIM_INT_H
#define MECH_SIM_INT_H

/*
 * Inside `mech sim`. Three parts, one file each:
 *   sim_repo.c    what Git asks for: Applications and their rendered
 *                 manifests at a commit (ApplicationSet generator + a small
 *                 kustomize + directory recursion)
 *   sim_world.c   what the cluster has: the Argo CD controller loop
 *                 (OutOfSync → sync → Progressing → Healthy/Degraded),
 *                 live objects, generated Secrets
 *   sim_render.c  the API's JSON for both
 *   sim_kube.c    the Kubernetes API over that JSON: discovery, lists,
 *                 selectors, a journal for watches, Status errors
 *   sim_http.c    serves it all (sim_tls.c: the CA for --tls).
 * One mutex guards the world; the main thread ticks it, request threads
 * read it.
 */

#include <git2.h>
#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "mech/buf.h"
#include "sim.h" /* sim_opts */

/* One Kubernetes object rendered from Git. */
typedef struct {
	char *api_version;
	char *group;
	char *version;
	char *kind;
	char *namespace; /* "" for cluster-scoped */
	char *name;
	cJSON *manifest;
	char *text; /* manifest printed: the identity for comparisons */
} sim_obj;

typedef enum { SIM_INSTANCE, SIM_NETWORK, SIM_ADDONS } sim_app_kind;

/* What Git asks of one Application at a commit. */
typedef struct {
	char *name;
	char *path;
	char *project;
	char *dest_ns;
	cJSON *labels; /* the Application's metadata.labels, or NULL */
	sim_app_kind kind;
	sim_obj *objs;
	size_t nobjs;
	char *error;  /* manifest generation failed: ComparisonError */
	cJSON *retry; /* spec.syncPolicy.retry, or NULL */
	unsigned long long sig;
} sim_target;

typedef struct {
	char *repo_url;
	char *target_revision;
	char *appset; /* ApplicationSet name (owner of instance Applications) */
	sim_target *targets;
	size_t ntargets;
	cJSON *project; /* argocd/project.yaml: the tenant's AppProject, or NULL */
} sim_repo_state;

/*
 * What Argo CD holds for a tenant at `tip`: the Argo CD objects (the
 * ApplicationSet, the two Applications, the AppProject) as argocd/ was at
 * `applied`, the commit an operator applied it from (`kubectl apply -n
 * argocd -f argocd/`), and the manifests of every app as Git has them at
 * `tip`.
 */
int sim_repo_read(git_repository *repo, const git_oid *tip, const git_oid *applied,
		  const char *tenant, const char *branch, const char *repo_path,
		  sim_repo_state *out);
void sim_repo_state_dispose(sim_repo_state *s);
void sim_target_dispose(sim_target *t);
void sim_target_copy(sim_target *dst, const sim_target *src);
void sim_obj_dispose(sim_obj *o);
void sim_obj_copy(sim_obj *dst, const sim_obj *src);
/* Container images of a workload manifest (Deployment …), appended to v. */
void sim_obj_images(const sim_obj *o, mech_strv *v);
/* The tag of an image reference ("" when none). Borrowed into `ref`. */
const char *sim_image_tag(const char *ref);

/*
 * sim_kustomize.c: kustomize directories rendered by `kubectl kustomize`.
 * Init once at start (says on stderr which kustomize renders); -1 when
 * kubectl was asked for and is not there.
 */
int sim_kustomize_init(sim_kustomize_mode mode);
void sim_kustomize_dispose(void);
/* 1 when kubectl kustomize renders, 0 when the builtin subset does. */
int sim_kustomize_external(void);
/*
 * The YAML `kubectl kustomize` prints for directory `dir` of the tree, into
 * out; -1 with the message Argo CD's repo server gives when the build fails.
 */
int sim_kustomize_build(git_repository *repo, git_tree *root, const char *dir, mech_buf *out);

/* An object as the cluster holds it. */
typedef struct {
	sim_obj obj;
	long long generation;
	char uid[40];
	char *created_at;
	double applied_ms; /* monotonic: the last change of its spec */
	char *applied_at;
	char *health; /* "" = no health check for the kind */
	char *health_message;
	char *missing_backend; /* HTTPRoute: a backend Service that does not exist */
	int rollout;           /* Deployment: the last apply changed it (a rollout ran) */
	const char *change;    /* Cluster: what the last apply changed (sim_cnpg_change) */
} sim_live;

typedef struct {
	long long id;
	char *revision;
	char *deployed_at;
	char *started_at;
} sim_history;

typedef struct {
	char *name;
	char *tenant;
	sim_app_kind kind;
	char uid[40];
	char *created_at;
	unsigned long long rv;
	char *repo_url;
	char *target_revision;
	char *appset;
	sim_target want;
	char *revision; /* the commit the target was read at */
	char *reconciled_at;
	double compared_ms; /* when the controller last compared it with Git */
	/* ?refresh=: asked by a client (want), taken by a tick, done */
	unsigned long long refresh_want, refresh_taken, refresh_done;
	sim_live *live;
	size_t nlive;
	int synced_once;
	unsigned long long live_sig;
	int op_running;
	int op_manual;
	double op_start_ms;
	char *op_started_at;
	char *op_finished_at;
	char *op_phase;
	char *op_message;
	char *op_revision;
	cJSON *op_retry;               /* the operation's retry strategy, or NULL (none) */
	long long op_retry_count;      /* attempts retried so far */
	double op_retry_at_ms;         /* the next attempt, while retrying */
	int op_failed;                 /* the last operation failed … */
	unsigned long long failed_sig; /* … for these manifests: auto-sync skips them */
	char *sync_status;
	char *health;
	char *health_message;
	char *health_since;
	sim_history *history;
	size_t nhistory;
	long long next_history_id;
	char *json;        /* the Application as the API shows it */
	char *fingerprint; /* json without resourceVersion: what a change is */
	/*
	 * A field sim_render_app reads may have changed since `fingerprint`
	 * was rendered: whatever changes one sets it, and the tick renders
	 * only these (MECH_SIM_CHECK_RENDER=1 renders all and checks).
	 */
	int stale;
	/* live_gen when its health was last computed with no rollout running, else 0 */
	unsigned long long health_gen;
} sim_app;

typedef struct {
	char *tenant;
	char *namespace;
	char *cluster;
	char *db;
	char *owner;
	char *password;
	char uid[40];
	char *created_at;
} sim_secret;

/* A Secret a client created through the API (sim_secrets.c). */
typedef struct sim_usecret sim_usecret;

typedef struct {
	char *name;
	char *repo_path;
	git_repository *repo;
	mech_strv packs_seen;        /* mech_objstore_forget_gone */
	char tip[GIT_OID_HEXSZ + 1]; /* the commit `state` was read at */
	sim_repo_state state;        /* what Git asks for at tip */
	int has_state;
	/* the ApplicationSet generator: when it last ran and at which tip */
	char gen_tip[GIT_OID_HEXSZ + 1];
	double gen_ms;
	int generated;
	/* its refresh annotation: set by a client (want), taken by a tick, done */
	unsigned long long appset_want, appset_taken, appset_done;
	int recompare;  /* argocd/ was applied: generate and compare at once */
	cJSON *project; /* the AppProject Argo CD holds for it, or NULL */
	/* the commit whose argocd/ was applied: at first sight, again on SIGHUP */
	char applied[GIT_OID_HEXSZ + 1];
} sim_tenant;

typedef struct {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	const sim_opts *opts;
	char *home;
	char *branch;
	char *argocd_ns;
	unsigned long long rv; /* bumps with every visible change */
	sim_tenant *tenants;
	size_t ntenants;
	sim_app **apps; /* sorted by name */
	size_t napps;
	sim_secret *secrets;
	size_t nsecrets;
	sim_usecret *usecrets; /* written by clients: sim_secrets.c */
	size_t nusecrets;
	struct sim_kube *kube; /* what the Kubernetes API serves (sim_kube.c) */
	int reapply;           /* an operator re-applies every tenant's argocd/ (SIGHUP) */
	int stopping;
	/*
	 * Bumps when any Application's live or desired objects change: past
	 * their rollouts, the apps' health and the CNPG Secrets are functions
	 * of these, computed again only when it moves.
	 */
	unsigned long long live_gen;
	unsigned long long secrets_gen; /* live_gen when the Secrets were last reconciled */
	/* MECH_SIM_CHECK_RENDER=1 (the tests): compute all, abort when a skipped one changed */
	int check_render;
} sim_world;

/* sim_world.c */
int sim_world_init(sim_world *w, const sim_opts *opts, const char *home, const char *branch,
		   const char *argocd_ns);
void sim_world_dispose(sim_world *w);
/* Poll the repos and advance every Application; takes the lock. */
void sim_world_tick(sim_world *w);
/* What an operator's `kubectl apply -n argocd -f argocd/` does, for every tenant, at the next tick. */
void sim_world_reapply(sim_world *w);
/* Under the lock: */
sim_app *sim_world_app(sim_world *w, const char *name);
/*
 * ?refresh=: compare `name` with the branch tip at the next tick and wait
 * (the lock held, as on entry) until it is done or the sim stops. The
 * Application may be gone after: look it up again.
 */
void sim_world_refresh(sim_world *w, const char *name);
/* The tenant whose ApplicationSet is `name`, or NULL. */
sim_tenant *sim_world_appset(sim_world *w, const char *name);
/* Start a manual sync (retry: the request's retryStrategy or NULL): 0, or -1 when an operation already runs. */
int sim_world_sync(sim_world *w, sim_app *a, const char *revision, int prune, const cJSON *retry);
/* The SyncError Argo CD shows for the app (caller frees), or NULL. */
char *sim_world_sync_error(const sim_app *a);
const sim_live *sim_world_live(const sim_world *w, const char *group, const char *kind,
			       const char *ns, const char *name, const sim_app **owner);
const sim_secret *sim_world_secret(const sim_world *w, const char *ns, const char *name);
void sim_world_stop(sim_world *w);

/* The AppProject of an Application's tenant, or NULL (borrowed; under the lock). */
const cJSON *sim_world_project(const sim_world *w, const sim_app *a);

/* sim_project.c: the AppProject enforced (pure functions of the project) */
const char *sim_project_name(const cJSON *project);
/* 1 when the sync windows let a (manual) sync of the app start at `now`. */
int sim_project_can_sync(const cJSON *project, const sim_app *a, int manual, time_t now);
/* Why the project refuses an object (Argo CD's words, caller frees), or NULL. */
char *sim_project_refusal(const cJSON *project, const sim_obj *o);

/*
 * CloudNativePG (sim_render.c): what an apply changed in a Cluster's spec,
 * a static string ("postgresql", "resources", "instances", "spec"; NULL
 * for a new Cluster), and the Cluster's status as CNPG reports it now
 * (phase, phaseReason, instances, conditions; caller frees).
 */
const char *sim_cnpg_change(const sim_obj *old, const sim_obj *now);
cJSON *sim_cnpg_status(const sim_world *w, const sim_live *l, double now);

/* sim_render.c (all under the lock; results are owned by the caller) */
char *sim_render_app(const sim_world *w, const sim_app *a, int with_rv, int with_op_state);
/** A rendered Application as List returns it: no status.resources[].health. */
char *sim_render_app_listed(const char *app_json);
char *sim_render_tree(const sim_world *w, const sim_app *a);
char *sim_render_managed(const sim_world *w, const sim_app *a);
/* The tenant's ApplicationSet, as GET /api/v1/applicationsets/{name} shows it. */
char *sim_render_appset(const sim_world *w, const sim_tenant *t);

/* Every object the Kubernetes API serves, without resourceVersion: fn owns obj. */
typedef void (*sim_k8s_fn)(void *arg, const char *group, const char *kind, cJSON *obj);
void sim_render_k8s_each(const sim_world *w, sim_k8s_fn fn, void *arg);
/* 1 while a rollout runs: the objects change with time alone. */
int sim_render_k8s_moving(const sim_world *w, double now);
/* A Secret printed without copies left behind (free with mech_secret_free). */
char *sim_print_secret(const cJSON *doc);
/* Wipe a Secret's data values, then cJSON_Delete it. */
void sim_wipe_secret(cJSON *doc);

/* sim_kube.c: the Kubernetes API (all but sim_kube_serve under the lock) */
typedef struct sim_kube sim_kube;
typedef struct sim_kube_watch sim_kube_watch;
/* A query argument of the request, or NULL. */
typedef const char *(*sim_kube_arg_fn)(void *ctx, const char *key);
typedef struct {
	unsigned int status;
	char *body;            /* JSON; NULL for a watch */
	int secret;            /* body holds Secret values: mech_secret_free it */
	sim_kube_watch *watch; /* a watch to stream (status 200) */
	int text;              /* body (or the stream) is text/plain: a pod's log */
} sim_kube_answer;
/* Render the world's objects and journal what changed (each tick). */
void sim_kube_refresh(sim_world *w);
void sim_kube_dispose(sim_kube *k);
/* An object's resourceVersion in the API, 0 when it is not served (yet). */
unsigned long long sim_kube_rv(const sim_world *w, const char *group, const char *kind,
			       const char *ns, const char *name);
/* Answer a request under /api or /apis (a Table when Accept asks); takes the lock. */
void sim_kube_serve(sim_world *w, const char *method, const char *url, const char *accept,
		    sim_kube_arg_fn arg, void *ctx, sim_kube_answer *ans);
/* A Status object. */
char *sim_kube_status(unsigned int code, const char *reason, const char *message, const char *group,
		      const char *plural, const char *name);
/*
 * Append the watch's next event lines to out. 1 when the watch has ended;
 * *wait_ms is how long it may still wait for a change.
 */
int sim_kube_watch_next(sim_world *w, sim_kube_watch *kw, mech_buf *out, double now_ms,
			double *wait_ms);
void sim_kube_watch_free(sim_kube_watch *kw);

/*
 * sim_secrets.c: Secrets clients write. sim_secrets_write answers a POST,
 * PATCH or DELETE under /api/v1/namespaces/NS/secrets (takes the lock;
 * other writes get 405); sim_secrets_each renders them for sim_kube.c.
 */
void sim_secrets_write(sim_world *w, const char *method, const char *url, const char *ctype,
		       const char *body, size_t len, int too_large, sim_kube_answer *ans);
void sim_secrets_each(const sim_world *w, sim_k8s_fn fn, void *arg);
void sim_secrets_dispose(sim_world *w);

/*
 * sim_tls.c: the PEM certificate and key for --tls, made with a CA of the
 * sim's own in <home>/sim/ on first use; *ca_path is that CA's file.
 */
int sim_tls_load(const char *home, char **cert, char **key, char **ca_path);

/* sim_http.c: the HTTP front (libmicrohttpd, a thread per connection) */
typedef struct sim_server sim_server;
/*
 * Listen on opts->host:port, over TLS when cert and key (PEM) are given;
 * *url receives the base URL (caller frees).
 */
int sim_server_start(sim_server **out, sim_world *w, const sim_opts *opts, const char *cert,
		     const char *key, char **url);
void sim_server_stop(sim_server *s);

/* time and ids */
double sim_now_ms(void);
char *sim_wall(void); /* RFC 3339 UTC, now */
void sim_uid(char out[40]);
/** `n` random bytes (mech_random_bytes); the sim stops when there are none. */
void sim_random(void *buf, size_t n);
unsigned long long sim_hash(unsigned long long h, const char *s);

#endif
