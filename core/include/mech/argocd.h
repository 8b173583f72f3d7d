/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_ARGOCD_H
#define MECH_ARGOCD_H

#include <stdatomic.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "mech/config.h"
#include "mech/http.h"

/*
 * Argo CD reads (DESIGN §8): the tenant's Applications (project = tenant),
 * one Application, its resource tree, its managed resources (live vs
 * desired), sync, and the watch stream. Answers come back as plain C
 * structs; strings are never NULL ("" when Argo CD left a field out, which
 * encoding/json does for every zero value). Failures follow mech_http:
 * 77 forbidden, 4 not found, 69 unavailable, each naming the endpoint.
 */

typedef struct mech_argocd mech_argocd;

/** A status condition of an Application (ComparisonError, SyncError, …). */
typedef struct {
	char *type;
	char *message;
	char *last_transition; /* RFC 3339 or "" */
} mech_argocd_condition;

/** One managed resource as listed in status.resources[]. */
typedef struct {
	char *group; /* "" for the core group */
	char *version;
	char *kind;
	char *namespace;
	char *name;
	char *status; /* Synced, OutOfSync, Unknown */
	char *health; /* Healthy, Progressing, Degraded, …; "" = no health check */
	char *health_message;
	int requires_pruning; /* in the cluster, no longer in Git */
} mech_argocd_resource;

typedef struct {
	char *name;
	char *namespace; /* the Application's own namespace (argocd) */
	char *project;
	char *resource_version;
	char *created_at;

	char *repo_url; /* spec.source */
	char *path;
	char *target_revision;
	char *dest_server; /* spec.destination */
	char *dest_namespace;

	char *sync_status;   /* Synced, OutOfSync, Unknown ("" from the server reads Unknown) */
	char *sync_revision; /* the commit compared against */
	char *health_status; /* Healthy, Progressing, Degraded, Suspended, Missing, Unknown */
	char *health_message;
	char *reconciled_at;

	int operation_requested; /* top-level `operation` present: a sync is asked for or running */
	char *operation_phase; /* status.operationState: Running, Succeeded, Failed, Error, Terminating; "" */
	char *operation_message;
	char *operation_started_at;
	char *operation_finished_at;
	char *operation_revision; /* syncResult.revision or operation.sync.revision */
	long long retry_count;    /* operationState.retryCount: failed attempts retried */

	mech_argocd_condition *conditions;
	size_t nconditions;
	mech_argocd_resource *resources;
	size_t nresources;
	char **images; /* status.summary.images */
	size_t nimages;
	char **external_urls; /* status.summary.externalURLs */
	size_t nexternal_urls;
	char *text; /* owns every string above, those of conditions and resources too */
} mech_argocd_app;

/** An ApplicationList: items sorted by name (mech sorts them; keep them so when editing). */
typedef struct {
	mech_argocd_app *items;
	size_t len;
	char *resource_version; /* metadata.resourceVersion of the list */
} mech_argocd_apps;

/** A reference to a parent in the resource tree. */
typedef struct {
	char *group;
	char *kind;
	char *namespace;
	char *name;
	char *uid;
} mech_argocd_ref;

typedef struct {
	char *name;
	char *value;
} mech_argocd_info;

/** One node of the resource tree (a managed resource or a child of one). */
typedef struct {
	char *group;
	char *version;
	char *kind;
	char *namespace;
	char *name;
	char *uid; /* "" while the resource does not exist yet */
	char *health;
	char *health_message;
	char *created_at;
	mech_argocd_ref *parents;
	size_t nparents;
	mech_argocd_info *info; /* e.g. Pod "Status Reason", "Containers" */
	size_t ninfo;
	char **images;
	size_t nimages;
} mech_argocd_node;

typedef struct {
	mech_argocd_node *nodes;
	size_t len;
} mech_argocd_tree;

/**
 * Live vs desired for one managed resource. Argo CD sends the states as
 * JSON strings; they are parsed here. NULL means the object does not exist
 * on that side ("null": not yet created / no longer in Git).
 */
typedef struct {
	char *group;
	char *kind;
	char *namespace;
	char *name;
	int modified;
	cJSON *target;          /* targetState: the manifest from Git */
	cJSON *live;            /* liveState: the object in the cluster */
	cJSON *normalized_live; /* normalizedLiveState: diff this … */
	cJSON *predicted_live;  /* predictedLiveState: … against this */
} mech_argocd_diff;

typedef struct {
	mech_argocd_diff *items;
	size_t len;
} mech_argocd_diffs;

typedef struct {
	const char *revision; /* NULL = the Application's target revision */
	int prune;
	int dry_run;
} mech_argocd_sync_opts;

typedef enum {
	MECH_ARGOCD_ADDED,
	MECH_ARGOCD_MODIFIED,
	MECH_ARGOCD_DELETED,
} mech_argocd_event_type;

/**
 * One watch event. `app` is owned by the stream and freed after the
 * callback returns; a callback that wants to keep it takes it by setting
 * `ev->app = NULL` (and frees it later with mech_argocd_app_free).
 */
typedef struct {
	mech_argocd_event_type type;
	mech_argocd_app *app;
} mech_argocd_event;

/** Return 0 to keep watching, 1 to stop (watch returns 0), -1 with an error set to fail. */
typedef int (*mech_argocd_event_fn)(mech_argocd_event *ev, void *ctx);

typedef struct {
	mech_argocd_event_fn on_event;
	void *ctx;
	atomic_int *cancel; /* optional, any thread */
	int reconnect;      /* reconnect with backoff while Argo CD is unavailable */
	/* with reconnect: told about each failure and the wait before the next try;
	 * return non-zero to give up */
	int (*on_error)(const mech_error *err, long retry_in_ms, void *ctx);
	/* optional: each (re)connect; the server then replays every Application as ADDED */
	void (*on_connect)(void *ctx);
	void (*on_keepalive)(void *ctx); /* optional: the server's keepalive arrived */
	long idle_timeout_ms;            /* 0 = 45 s (Argo CD sends a keepalive every 15 s) */
} mech_argocd_watch_opts;

/** Open a client for cfg->argocd_*. MECH_ECONFIG when argocd.url is empty. */
int mech_argocd_new(mech_argocd **out, const mech_config *cfg);
/** Open a client with explicit settings (token_file/ca_file may be NULL). */
int mech_argocd_open(mech_argocd **out, const char *url, const char *token_file,
		     const char *ca_file, long timeout_ms);
void mech_argocd_free(mech_argocd *c);
/** The underlying HTTP client (borrowed). */
mech_http *mech_argocd_http(mech_argocd *c);

/** The server version (GET /api/version), a cheap reachability probe. Caller frees. */
int mech_argocd_version(mech_argocd *c, char **out);

/*
 * The oldest Argo CD mech supports (docs/compatibility.md): the tenant's
 * AppProject limits its cluster-scoped whitelist to the tenant's own
 * Namespace with clusterResourceWhitelist[].name, which Argo CD reads from
 * 3.3 on (an older CRD drops the field, allowing every Namespace).
 */
#define MECH_ARGOCD_MIN_VERSION "v3.3.0"
#define MECH_ARGOCD_MIN_WHY "the AppProject's clusterResourceWhitelist[].name needs it"

/**
 * Is `version` (Argo CD's "v3.5.1+abc", "3.2.0-rc1", …) older than `min`
 * ("v3.3.0")? Compares major, minor and patch: 1 older, 0 not older, -1
 * when either does not start with [v]MAJOR.MINOR.
 */
int mech_argocd_version_older(const char *version, const char *min);

/**
 * GET /api/v1/applications?projects=<project>. `project` NULL = all visible.
 * Without per-resource health (Argo CD 3.x): see mech_argocd_apps_get_item.
 */
int mech_argocd_app_list(mech_argocd *c, const char *project, mech_argocd_apps **out);
/**
 * The list's answer (`len` bytes, data[len] a NUL) read as
 * mech_argocd_app_list reads it: whole, or (piece > 0) as it would arrive,
 * in pieces of that many bytes.
 */
int mech_argocd_app_list_parse(const char *data, size_t len, size_t piece, mech_argocd_apps **out);
/** GET /api/v1/applications/<name>?project=<project>: 404 when absent from that project. */
int mech_argocd_app_get(mech_argocd *c, const char *project, const char *name,
			mech_argocd_app **out);
/**
 * GET /api/v1/applications/<name>?project=<project>&refresh=normal (`hard`:
 * refresh=hard): Argo CD compares the Application with Git now and answers
 * once it has, instead of at its next poll (120-180 s).
 */
int mech_argocd_app_refresh(mech_argocd *c, const char *project, const char *name, int hard,
			    mech_argocd_app **out);

/** The annotation that makes the ApplicationSet controller run its generators now. */
#define MECH_ARGOCD_APPSET_REFRESH "argocd.argoproj.io/application-set-refresh"

/**
 * Ask the ApplicationSet `name` to re-read Git now (it polls every 3 min):
 * GET /api/v1/applicationsets/<name>, set MECH_ARGOCD_APPSET_REFRESH to
 * "true", POST /api/v1/applicationsets?upsert=true with nothing else
 * changed. The controller removes the annotation once its generators ran.
 */
int mech_argocd_appset_refresh(mech_argocd *c, const char *name);

/** GET …/<name>/resource-tree. */
int mech_argocd_app_tree(mech_argocd *c, const char *project, const char *name,
			 mech_argocd_tree **out);
/** GET …/<name>/managed-resources. */
int mech_argocd_app_managed(mech_argocd *c, const char *project, const char *name,
			    mech_argocd_diffs **out);
/** POST …/<name>/sync. `opts` may be NULL; `out` may be NULL (the answer is dropped). */
int mech_argocd_app_sync(mech_argocd *c, const char *project, const char *name,
			 const mech_argocd_sync_opts *opts, mech_argocd_app **out);
/**
 * GET /api/v1/stream/applications?projects=<project> as Server-Sent Events.
 * Blocks until cancelled, stopped by the callback, or a failure (with
 * `reconnect`, only a lasting one: forbidden, not found, …). An error the
 * server reports inside the stream ({"error":{…}}) is mapped like an HTTP
 * status.
 */
int mech_argocd_app_watch(mech_argocd *c, const char *project, const mech_argocd_watch_opts *opts);

/** Parse one v1alpha1Application. Fails (MECH_EUNAVAILABLE) if it has no metadata.name. */
int mech_argocd_app_parse(const cJSON *json, mech_argocd_app **out);
/** Parse one stream `data:` payload ({"result":{…}} or {"error":{…}}). */
int mech_argocd_event_parse(const char *data, size_t len, mech_argocd_event *out);

void mech_argocd_app_free(mech_argocd_app *app);
void mech_argocd_apps_free(mech_argocd_apps *apps);
void mech_argocd_tree_free(mech_argocd_tree *tree);
void mech_argocd_diffs_free(mech_argocd_diffs *diffs);

/** The Application in a list by name (binary search: the list is sorted), or NULL. Borrowed. */
const mech_argocd_app *mech_argocd_apps_find(const mech_argocd_apps *apps, const char *name);
/**
 * Replace the list's Application `name` with a GET of it (mech_argocd_app_get).
 * Argo CD 3.x's List carries no status.resources[].health (only Get, Watch
 * and Sync fill it in): whoever shows per-resource health reads it this way.
 * 1 when replaced, 0 when `name` is not in the list, -1 (error set, the
 * listed item kept) when the GET fails.
 */
int mech_argocd_apps_get_item(mech_argocd *c, const char *project, mech_argocd_apps *apps,
			      const char *name);
/** The condition of `type` on an Application, or NULL. Borrowed. */
const mech_argocd_condition *mech_argocd_app_condition(const mech_argocd_app *app, const char *type);
/** 1 when Synced and Healthy with no operation running. */
int mech_argocd_app_settled(const mech_argocd_app *app);

/** Name of an event type ("ADDED", …). */
const char *mech_argocd_event_name(mech_argocd_event_type type);

#endif
