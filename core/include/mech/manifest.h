/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_MANIFEST_H
#define MECH_MANIFEST_H

#include <stddef.h>

#include "mech/buf.h"

/*
 * The files mech writes into a tenant's GitOps repository (DESIGN §4),
 * rendered through the YAML tree so equal inputs give equal bytes: fixed
 * key order, no timestamps, no secrets. Every Kubernetes object carries
 * the label app.kubernetes.io/managed-by: mech.
 *
 * Output buffers: on success each `out` buffer holds exactly the rendered
 * file (previous contents replaced); on failure it is left unchanged and
 * the last error is set (MECH_EINVALID for bad input, names the field).
 *
 * Names (tenant, app, instance, addon) follow mech_validate_name (DNS-1123
 * labels, at most 40 characters, so derived names stay within 63); where
 * files go and what objects are called is mech/layout.h's.
 */

typedef struct {
	const char *tenant, *app, *image;
	int port;     /* 1-65535, the container port */
	int replicas; /* >= 0 */
	/* "KEY=VALUE" items (may be NULL), in order; a later key replaces an earlier one's value */
	const mech_strv *env;
} mech_app_spec;

/**
 * apps/<app>/base/{deployment,service,kustomization}.yaml: Deployment and
 * Service named <app> (selector app.kubernetes.io/name=<app>), Service port
 * 80 → targetPort <port>, and the base Kustomization listing both.
 */
int mech_manifest_app_base(const mech_app_spec *spec, mech_buf *deployment, mech_buf *service,
			   mech_buf *kustomization);

typedef struct {
	const char *tenant, *app, *instance;
	const char *base_image; /* the image written in the base Deployment */
	const char *image;      /* this instance's image */
} mech_overlay_spec;

/**
 * apps/<app>/overlays/<instance>/kustomization.yaml: resources ../../base,
 * nameSuffix --<instance>, label mech.dev/instance=<instance> (selectors
 * included) and one images entry for the base repository.
 */
int mech_manifest_overlay(const mech_overlay_spec *spec, mech_buf *out);

/**
 * The image an overlay (possibly hand-edited) deploys: the images entry
 * whose name is the base image's repository applied to `base_image` the way
 * kustomize does, or `base_image` itself when there is none. `*image_out`
 * is a new string (caller frees).
 */
int mech_manifest_overlay_image(const char *yaml, size_t len, const char *base_image,
				char **image_out);

/**
 * Rewrite an overlay so it deploys `new_image`, changing only the images
 * entry for the base repository (added when missing); every other key a
 * human wrote (patches, extra resources, labels) is kept. YAML comments
 * are not kept.
 */
int mech_manifest_overlay_set_image(const char *yaml, size_t len, const char *base_image,
				    const char *new_image, mech_buf *out);

/**
 * The overlay for a new instance copied from another one (`instance add I
 * --from F`): same content, nameSuffix --<to> and instance label
 * mech.dev/instance=<to> (in place of an app.kubernetes.io/instance label
 * the source still has); hand-made patches are kept.
 */
int mech_manifest_overlay_copy(const char *yaml, size_t len, const char *app,
			       const char *from_instance, const char *to_instance, mech_buf *out);

/* ---- the overlay's patches: replicas.yaml and env.yaml (mech/layout.h) ---- */

/** One env entry of the app's container. */
typedef struct {
	char *name;
	char *value;        /* a plain value, or NULL */
	char *secret, *key; /* valueFrom.secretKeyRef, or NULL */
	int deleted;        /* an instance's `$patch: delete` of a base entry */
	int instance;       /* read from the instance's env.yaml (else the base Deployment) */
} mech_env_var;

void mech_env_vars_free(mech_env_var *v, size_t n);

/**
 * The env entries of the app's container (named `app`, or the only one) in a
 * Deployment or a Deployment patch, in order. *out NULL and *n 0 when none.
 */
int mech_manifest_env_read(const char *yaml, size_t len, const char *app, mech_env_var **out,
			   size_t *n);

/**
 * Edit the env of the app's container in a Deployment or in an instance's
 * env.yaml: each of `set` replaces the entry of its name or is appended
 * (a value, a secretKeyRef, or with `deleted` a `$patch: delete`), each
 * name of `remove` is dropped. `yaml` NULL: a new env.yaml, a strategic-
 * merge patch of Deployment <app> (the base name). Everything else is kept.
 */
int mech_manifest_env_edit(const char *yaml, size_t len, const char *app, const mech_env_var *set,
			   size_t nset, const mech_strv *remove, mech_buf *out);

/**
 * replicas.yaml: set spec.replicas of the patch (`yaml` NULL: a new patch of
 * Deployment <app>), keeping anything else a person wrote in it.
 */
int mech_manifest_replicas_edit(const char *yaml, size_t len, const char *app, int replicas,
				mech_buf *out);
/** spec.replicas of a Deployment or replicas.yaml, or -1 when it sets none. */
int mech_manifest_replicas_read(const char *yaml, size_t len);

/** The overlay's `replicas: [{name: <app>, count: N}]` entry, or -1 when it has none. */
int mech_manifest_overlay_replicas(const char *yaml, size_t len, const char *app);
/** Rewrite that entry's count (it must exist), keeping the rest of the overlay. */
int mech_manifest_overlay_set_replicas(const char *yaml, size_t len, const char *app, int replicas,
				       mech_buf *out);
/** 1 when the overlay's `patches:` lists `- path: <file>`, else 0. */
int mech_manifest_overlay_has_patch(const char *yaml, size_t len, const char *file);
/** Add `- path: <file>` to the overlay's `patches:` (1, `out` filled), or 0 when listed. */
int mech_manifest_overlay_add_patch(const char *yaml, size_t len, const char *file, mech_buf *out);

/**
 * An overlay or HTTPRoute written before MECH_LAYOUT_SEP (nameSuffix
 * -<instance>, objects <app>-<instance>) brought to today's names: every
 * value <app>-<instance> becomes <app>--<instance>, an overlay's legacy
 * nameSuffix becomes --<instance>, and the instance label (new objects, new
 * selectors) moves from app.kubernetes.io/instance to mech.dev/instance=
 * <instance>. 1 and `out` filled when something was
 * renamed; 0 when the file already has today's names (or names of its own).
 */
int mech_manifest_rename_legacy(const char *yaml, size_t len, const char *what, const char *app,
				const char *instance, mech_buf *out);

typedef struct {
	const char *tenant, *app, *instance;
	const char *host; /* lower-case DNS name */
	const char *path; /* "/" or a path prefix */
	const char *gateway_name, *gateway_namespace;
} mech_route_spec;

/**
 * network/routes/<app>/<instance>.yaml: HTTPRoute <app>--<instance>
 * (label mech.dev/instance=<instance>) attached to the gateway, for `host`,
 * PathPrefix `path` → Service <app>--<instance> port 80.
 */
int mech_manifest_route(const mech_route_spec *spec, mech_buf *out);

typedef struct {
	const char *tenant, *name;
	int version;         /* PostgreSQL major version, 14-18 */
	const char *storage; /* Kubernetes quantity, e.g. "1Gi" */
	const char *memory;  /* Kubernetes quantity, e.g. "512Mi" */
} mech_postgres_spec;

/**
 * addons/<name>/cluster.yaml: a CloudNativePG Cluster with one instance,
 * image mech_manifest_postgres_image(version), the storage size, memory as
 * request and limit, and database "app" owned by "app". The operator
 * generates the credentials (Secret <name>-app).
 */
int mech_manifest_postgres(const mech_postgres_spec *spec, mech_buf *out);

/**
 * The image mech pins for a PostgreSQL major version (14-18): CloudNativePG's
 * `standard` flavour at a fixed minor, e.g.
 * ghcr.io/cloudnative-pg/postgresql:17.8-standard-trixie. Caller frees;
 * NULL (MECH_EINVALID) for another version.
 */
char *mech_manifest_postgres_image(int version);

/** Set the memory request and limit of an existing cluster.yaml, keeping everything else. */
int mech_manifest_postgres_set_memory(const char *yaml, size_t len, const char *memory,
				      mech_buf *out);

typedef struct {
	const char *tenant;
	const char *repo_url;         /* what Argo CD clones */
	const char *branch;           /* e.g. "main" */
	const char *argocd_namespace; /* e.g. "argocd" */
} mech_seed_spec;

/** README.md: what lives where in the repository, and the write policy. */
int mech_manifest_seed_readme(const mech_seed_spec *spec, mech_buf *out);
/** argocd/project.yaml: AppProject <t> limited to this repo and namespace x-<t>. */
int mech_manifest_seed_project(const mech_seed_spec *spec, mech_buf *out);
/** argocd/apps.applicationset.yaml: one Application per apps/<app>/overlays/<instance>. */
int mech_manifest_seed_appset(const mech_seed_spec *spec, mech_buf *out);
/** argocd/network.application.yaml: Application <t>-network over network/. */
int mech_manifest_seed_network_app(const mech_seed_spec *spec, mech_buf *out);
/** argocd/addons.application.yaml: Application <t>-addons over addons/. */
int mech_manifest_seed_addons_app(const mech_seed_spec *spec, mech_buf *out);
/**
 * network/README.md and addons/README.md. Git keeps no empty directories,
 * and Argo CD fails an Application whose path is missing ("app path does
 * not exist") instead of pruning: these files keep network/ and addons/
 * present before the first and after the last route or addon, so deleting
 * the last one is pruned like any other. Argo CD ignores .md files.
 */
int mech_manifest_seed_network_readme(const mech_seed_spec *spec, mech_buf *out);
int mech_manifest_seed_addons_readme(const mech_seed_spec *spec, mech_buf *out);

#endif
