/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_KUBE_H
#define MECH_KUBE_H

#include <stddef.h>

#include "mech/buf.h"
#include "mech/config.h"
#include "mech/http.h"

/*
 * Kubernetes reads (DESIGN §8): Deployment rollout state, CloudNativePG
 * Cluster status and the non-secret part of its `<name>-app` Secret, and
 * HTTPRoute parent conditions. Strings are never NULL ("" when absent);
 * counters absent from a status read 0, as the API's omitempty means.
 * Failures follow mech_http (77, 4, 69), naming the endpoint; a 404 whose
 * body is not a Status (the API path itself is unknown, e.g. the CRD is
 * not installed) says so.
 */

typedef struct mech_kube mech_kube;

/** A metav1.Condition or a Deployment condition. */
typedef struct {
	char *type;
	char *status; /* "True", "False", "Unknown" */
	char *reason;
	char *message;
	char *last_transition;
	long long observed_generation; /* 0 when absent */
} mech_kube_condition;

typedef enum {
	MECH_ROLLOUT_PROGRESSING, /* still rolling out (message says how far) */
	MECH_ROLLOUT_COMPLETE,    /* every replica updated and available */
	MECH_ROLLOUT_FAILED,      /* Progressing=False, ProgressDeadlineExceeded */
	MECH_ROLLOUT_PAUSED,      /* spec.paused */
} mech_rollout_state;

typedef struct {
	char *namespace;
	char *name;
	long long generation;
	long long observed_generation;
	int spec_replicas; /* spec.replicas (default 1) */
	int replicas;      /* status.replicas: pods of old and new ReplicaSets */
	int updated;       /* status.updatedReplicas */
	int ready;         /* status.readyReplicas */
	int available;     /* status.availableReplicas */
	int unavailable;   /* status.unavailableReplicas */
	int paused;
	char **images; /* spec.template.spec.containers[].image */
	size_t nimages;
	mech_kube_condition *conditions;
	size_t nconditions;
	/* derived with Argo CD's rollout rule (kubectl rollout status) */
	mech_rollout_state state;
	char *state_message;
} mech_kube_deployment;

typedef struct {
	char *namespace;
	char *name;
	int spec_instances;
	char *phase; /* "Cluster in healthy state" when ready */
	char *phase_reason;
	int instances;
	int ready_instances;
	char *current_primary;
	char *write_service; /* <name>-rw */
	char *read_service;
	char *image;
	char *memory;               /* spec.resources.requests.memory, "" when unset */
	long long generation;       /* metadata.generation (0 when absent) */
	long long ready_generation; /* the Ready condition's observedGeneration (0: absent) */
	mech_kube_condition *conditions;
	size_t nconditions;
	/* phase healthy, Ready=True for this generation (when the condition says
	 * which) and readyInstances == spec.instances */
	int ready;
} mech_kube_pg_cluster;

/**
 * The connection facts of a CloudNativePG `<cluster>-app` Secret. Only
 * non-secret values are ever decoded and kept (username, host, port,
 * dbname); `keys` lists every key name so a user can wire e.g. `uri` as
 * DATABASE_URL. Passwords and URIs never enter this struct.
 */
typedef struct {
	char *namespace;
	char *name; /* the Secret's name */
	char *type; /* kubernetes.io/basic-auth */
	char *username;
	char *host;
	char *port;
	char *dbname;
	char **keys; /* sorted key names */
	size_t nkeys;
} mech_kube_pg_secret;

typedef struct {
	char *parent_group;
	char *parent_kind;
	char *parent_namespace;
	char *parent_name;
	char *section_name;
	char *controller;
	mech_kube_condition *conditions;
	size_t nconditions;
} mech_kube_route_parent;

typedef struct {
	char *namespace;
	char *name;
	long long generation;
	char **hostnames;
	size_t nhostnames;
	mech_kube_route_parent *parents;
	size_t nparents;
	/* derived over the parents whose conditions describe this generation:
	 * 1 True everywhere, 0 False somewhere, -1 unknown (no status yet) */
	int accepted;
	int resolved_refs;
} mech_kube_route;

/** Open a client for cfg->kube_* (timeout: argocd.timeout_ms). MECH_ECONFIG when no URL. */
int mech_kube_new(mech_kube **out, const mech_config *cfg);
int mech_kube_open(mech_kube **out, const char *url, const char *token_file, const char *ca_file,
		   long timeout_ms);
void mech_kube_free(mech_kube *k);
mech_http *mech_kube_http(mech_kube *k);

/** GET /version → gitVersion, a reachability probe. Caller frees. */
int mech_kube_version(mech_kube *k, char **out);

int mech_kube_deployment_get(mech_kube *k, const char *ns, const char *name,
			     mech_kube_deployment **out);
void mech_kube_deployment_free(mech_kube_deployment *d);

int mech_kube_pg_cluster_get(mech_kube *k, const char *ns, const char *name,
			     mech_kube_pg_cluster **out);
void mech_kube_pg_cluster_free(mech_kube_pg_cluster *c);

/** Read `<cluster>-app` in `ns`, keeping only its non-secret fields. */
int mech_kube_pg_secret_get(mech_kube *k, const char *ns, const char *cluster,
			    mech_kube_pg_secret **out);
void mech_kube_pg_secret_free(mech_kube_pg_secret *s);

int mech_kube_route_get(mech_kube *k, const char *ns, const char *name, mech_kube_route **out);
void mech_kube_route_free(mech_kube_route *r);

/*
 * Secrets mech writes (`mech secret`): the value goes only to the cluster.
 * Each is labelled app.kubernetes.io/managed-by=mech and
 * mech.dev/tenant=<tenant>; mech writes into no Secret without both.
 */
typedef struct {
	int exists;
	char *managed_by; /* the managed-by label ("" when absent) */
	char *tenant;     /* the mech.dev/tenant label */
	char *resource_version;
	mech_strv keys; /* key names in the API's order; values are never kept */
} mech_kube_secret_info;

/** GET the Secret, keeping its labels and key names only; exists 0 on 404. */
int mech_kube_secret_info_get(mech_kube *k, const char *ns, const char *name,
			      mech_kube_secret_info *out);
void mech_kube_secret_info_dispose(mech_kube_secret_info *s);
/**
 * Set key=value (`len` bytes) in Secret `name`: POST a new Opaque Secret,
 * or on 409 merge-patch the key into the existing one when it is this
 * tenant's mech Secret (else MECH_EEXISTS). *created tells which.
 */
int mech_kube_secret_set(mech_kube *k, const char *ns, const char *name, const char *tenant,
			 const char *key, const char *value, size_t len, int *created);
/** Remove one key (a merge patch with null); *existed 0 when the Secret is absent. */
int mech_kube_secret_unset(mech_kube *k, const char *ns, const char *name, const char *tenant,
			   const char *key, int *existed);
/** DELETE the Secret; *existed 0 when it was absent already. */
int mech_kube_secret_delete(mech_kube *k, const char *ns, const char *name, const char *tenant,
			    int *existed);

/** The condition of `type` in a list, or NULL. Borrowed. */
const mech_kube_condition *mech_kube_condition_find(const mech_kube_condition *conds, size_t n,
						    const char *type);

/** A Pod as `app logs` and a failed wait need it. */
typedef struct {
	char *name;
	char *phase;   /* Pending, Running, … */
	char *created; /* metadata.creationTimestamp */
	int ready;     /* Running and every container ready */
	int restarts;  /* restartCount summed over its containers */
	/* the first container not running: its waiting or terminated reason and message */
	char *reason;
	char *message;
	char **containers; /* spec.containers[].name */
	size_t ncontainers;
} mech_kube_pod;

/** The Pods of `ns` matching a label selector ("k=v,k2=v2"). */
int mech_kube_pods_list(mech_kube *k, const char *ns, const char *selector, mech_kube_pod **out,
			size_t *n);
void mech_kube_pods_free(mech_kube_pod *p, size_t n);

/** A core/v1 Event, as `kubectl get events` shows it. */
typedef struct {
	char *type; /* Normal, Warning */
	char *reason;
	char *message;
	char *kind; /* involvedObject */
	char *name;
	int count;   /* at least 1 */
	char *first; /* firstTimestamp, RFC 3339 ("" when absent) */
	char *last;  /* lastTimestamp, else eventTime, else creationTimestamp */
} mech_kube_event;

/** Every Event of `ns` (callers filter by involvedObject). */
int mech_kube_events_list(mech_kube *k, const char *ns, mech_kube_event **out, size_t *n);
void mech_kube_events_free(mech_kube_event *e, size_t n);

/**
 * The Pods of one app instance: labels app.kubernetes.io/name=<app>,
 * mech.dev/instance=<instance>; else (an overlay written before that label)
 * app.kubernetes.io/instance=<app>--<instance>.
 */
int mech_kube_instance_pods(mech_kube *k, const char *ns, const char *app, const char *instance,
			    mech_kube_pod **pods, size_t *n);
/**
 * Is an Event about one of the instance's objects: the Deployment, Service
 * and HTTPRoute named `workload` (<app>--<instance>), its ReplicaSets and Pods?
 */
int mech_kube_event_of_instance(const char *workload, const mech_kube_event *e);
/**
 * The Events of the instance's objects (or, with `kind`, of that one object
 * kind/name), warnings first, then the newest first. `*sorted` points into
 * `*all`: free it with free(), `*all` with mech_kube_events_free().
 */
int mech_kube_instance_events(mech_kube *k, const char *ns, const char *workload, const char *kind,
			      const char *name, mech_kube_event **all, size_t *nall,
			      mech_kube_event ***sorted, size_t *n);

/** pods/log query parameters; tail_lines < 0, since_s and limit_bytes 0: not sent. */
typedef struct {
	const char *container; /* NULL: the pod's only container */
	long tail_lines;
	long since_s;
	long limit_bytes;
	int previous;
} mech_kube_log_opts;

/** GET a pod's log (text) into `out`. A 400 (no such container, none previous) is MECH_EFAILED. */
int mech_kube_pod_log(mech_kube *k, const char *ns, const char *pod, const mech_kube_log_opts *o,
		      mech_buf *out);
/** Follow a pod's log (follow=true) for at most `duration_ms`, each piece to `fn`. */
int mech_kube_pod_log_follow(mech_kube *k, const char *ns, const char *pod,
			     const mech_kube_log_opts *o, long duration_ms, mech_text_fn fn,
			     void *ctx, int *timed_out);

/** Parsers for objects already fetched (tests, watch consumers). */
int mech_kube_deployment_parse(const cJSON *json, mech_kube_deployment **out);
int mech_kube_pg_cluster_parse(const cJSON *json, mech_kube_pg_cluster **out);
int mech_kube_route_parse(const cJSON *json, mech_kube_route **out);

#endif
