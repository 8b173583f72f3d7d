/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_LAYOUT_H
#define MECH_LAYOUT_H

#include <stddef.h>

/*
 * Where things live in a tenant's GitOps repository (DESIGN §4) and every
 * name derived from a tenant, app, instance or addon name: namespaces, Argo
 * CD Applications, Kubernetes objects, route hosts, labels. The verbs, the
 * manifests, the live readers, the console and `mech sim` all ask here, so a
 * change of a naming rule is a change of core/verbs/layout.c alone.
 *
 * Functions returning `char *` allocate (caller frees). Arguments are names
 * already checked by mech_validate_name; only mech_layout_check_* validate,
 * and only what no single name shows: the length of derived names. The
 * README and the ApplicationSet template describe the rules by calling the
 * same functions with placeholders ("<app>", "{{.path.basename}}").
 */

/* ---- the repository ---- */

#define MECH_LAYOUT_README "README.md"
#define MECH_LAYOUT_APPS "apps"
#define MECH_LAYOUT_NETWORK "network"
#define MECH_LAYOUT_ROUTES "network/routes"
#define MECH_LAYOUT_ADDONS "addons"
#define MECH_LAYOUT_NETWORK_README "network/README.md"
#define MECH_LAYOUT_ADDONS_README "addons/README.md"
/*
 * The ledger of the tenant's secrets (`mech secret`): names, keys, versions
 * and who set them, never a value. At the top of the repository, outside
 * every path an Argo CD Application reads (MECH_LAYOUT_OVERLAY_GLOB,
 * network/, addons/), so nothing in it is ever applied to the cluster.
 */
#define MECH_LAYOUT_SECRETS "secrets"
#define MECH_LAYOUT_ARGOCD "argocd"
#define MECH_LAYOUT_ARGOCD_PROJECT "argocd/project.yaml"
#define MECH_LAYOUT_ARGOCD_APPSET "argocd/apps.applicationset.yaml"
#define MECH_LAYOUT_ARGOCD_NETWORK "argocd/network.application.yaml"
#define MECH_LAYOUT_ARGOCD_ADDONS "argocd/addons.application.yaml"

/* Inside an app's directory apps/<app>/. */
#define MECH_LAYOUT_BASE "base"
#define MECH_LAYOUT_BASE_DEPLOYMENT "base/deployment.yaml"
#define MECH_LAYOUT_BASE_SERVICE "base/service.yaml"
#define MECH_LAYOUT_BASE_KUSTOMIZATION "base/kustomization.yaml"
#define MECH_LAYOUT_OVERLAYS "overlays"
/* The base's files as its kustomization lists them, and the base as an overlay names it. */
#define MECH_LAYOUT_DEPLOYMENT_FILE "deployment.yaml"
#define MECH_LAYOUT_SERVICE_FILE "service.yaml"
#define MECH_LAYOUT_OVERLAY_BASE_REF "../../base"

/* Inside an addon's directory addons/<name>/. */
#define MECH_LAYOUT_ADDON_CLUSTER "cluster.yaml"

/** The instance an app gets when none is named. */
#define MECH_DEFAULT_INSTANCE "main"

/** apps/<app> */
char *mech_layout_app_dir(const char *app);
/** apps/<app>/<rel>, `rel` one of the MECH_LAYOUT_BASE_* paths above. */
char *mech_layout_app_file(const char *app, const char *rel);
/** apps/<app>/overlays */
char *mech_layout_overlays_dir(const char *app);
/** apps/<app>/overlays/<instance> */
char *mech_layout_overlay_dir(const char *app, const char *instance);
/** apps/<app>/overlays/<instance>/kustomization.yaml */
char *mech_layout_overlay_path(const char *app, const char *instance);
/*
 * The patches mech writes next to an overlay's kustomization.yaml, one per
 * concern (docs/formats.md): the image stays in the kustomization, the
 * replicas and the env go to strategic-merge patches of the base Deployment
 * listed in its `patches:`, so a person's edit of one file does not put the
 * others behind --force.
 */
#define MECH_LAYOUT_OVERLAY_REPLICAS "replicas.yaml"
#define MECH_LAYOUT_OVERLAY_ENV "env.yaml"
/** apps/<app>/overlays/<instance>/<file>, `file` one of MECH_LAYOUT_OVERLAY_REPLICAS/ENV. */
char *mech_layout_overlay_file(const char *app, const char *instance, const char *file);
/** overlays/<instance>/kustomization.yaml: the overlay inside the app's own tree. */
char *mech_layout_overlay_in_app(const char *instance);
/** The Git directories the ApplicationSet turns into Applications (a glob). */
#define MECH_LAYOUT_OVERLAY_GLOB "apps/*/overlays/*"

/** network/routes/<app> */
char *mech_layout_routes_dir(const char *app);
/** network/routes/<app>/<instance>.yaml */
char *mech_layout_route_path(const char *app, const char *instance);
/** <instance>.yaml: the route inside network/routes/<app>/. */
char *mech_layout_route_file(const char *instance);
/**
 * The instance a route file name stands for ("main.yaml" → "main"), or
 * NULL when `file` (a name inside network/routes/<app>/) is no route file.
 * The instance is not validated.
 */
char *mech_layout_route_instance(const char *file);

/** addons/<name> */
char *mech_layout_addon_dir(const char *name);
/** addons/<name>/cluster.yaml */
char *mech_layout_addon_cluster_path(const char *name);

/** secrets/<name>.yaml: the ledger of the Kubernetes Secret <name> in the tenant's namespace. */
char *mech_layout_secret_ledger(const char *name);
/** The secret a ledger file name stands for ("db.yaml" → "db"), or NULL. Not validated. */
char *mech_layout_secret_of_file(const char *file);

/* ---- derived names ---- */

/*
 * The separator of names derived from two or more names. mech_validate_name
 * refuses it inside a name, so no two distinct (tenant, app, instance) derive
 * the same name (docs/formats.md, "Names").
 */
#define MECH_LAYOUT_SEP "--"

/** The tenant's namespace: x-<tenant>. */
char *mech_layout_namespace(const char *tenant);
/** The tenant's Argo CD AppProject: <tenant>. */
char *mech_layout_project(const char *tenant);
/** The tenant's ApplicationSet: <tenant>--apps. */
char *mech_layout_appset(const char *tenant);
/** The Argo CD Application of an app instance: <tenant>--<app>--<instance>. */
char *mech_layout_instance_app(const char *tenant, const char *app, const char *instance);
/**
 * mech_layout_instance_app into buf (n bytes) when it fits: its length, or
 * the size it needs, >= n, when it does not (buf then holds nothing usable).
 * For a lookup per instance, without an allocation (app list at 10,000 apps).
 */
size_t mech_layout_instance_app_in(char *buf, size_t n, const char *tenant, const char *app,
				   const char *instance);
/**
 * The Application over a directory of the repository (MECH_LAYOUT_NETWORK
 * or MECH_LAYOUT_ADDONS): <tenant>--network, <tenant>--addons.
 */
char *mech_layout_dir_app(const char *tenant, const char *dir);

/*
 * The ApplicationSet's Go template (goTemplate: true) over one directory
 * matched by MECH_LAYOUT_OVERLAY_GLOB: the app and instance it stands for,
 * and its path.
 */
#define MECH_LAYOUT_TPL_APP "{{index .path.segments 1}}"
#define MECH_LAYOUT_TPL_INSTANCE "{{.path.basename}}"
#define MECH_LAYOUT_TPL_PATH "{{.path.path}}"
/** The template of the instance Applications' names: mech_layout_instance_app in Go. */
char *mech_layout_instance_app_template(const char *tenant);

/**
 * The objects an instance runs as (Deployment, Service, HTTPRoute): the
 * base objects are named <app> and the overlay adds mech_layout_name_suffix,
 * so <app>--<instance>.
 */
char *mech_layout_workload(const char *app, const char *instance);
/** The overlay's kustomize nameSuffix: --<instance>. */
char *mech_layout_name_suffix(const char *instance);
/*
 * The same two names as repositories written before MECH_LAYOUT_SEP spell
 * them (-<instance>, <app>-<instance>): mech recognises them to rename an
 * overlay and its route on its next write of them (docs/formats.md, "Names").
 */
char *mech_layout_legacy_name_suffix(const char *instance);
char *mech_layout_legacy_workload(const char *app, const char *instance);

/**
 * The default host of an instance's route: <app>.<tenant>.<base> for the
 * default instance, <app>-<instance>.<tenant>.<base> for others. NULL when
 * an argument is NULL. Hosts keep the single '-' users know from DESIGN §4,
 * so two instances of one tenant can derive the same host (web-a/main and
 * web/a-main): route create refuses the second (mech_route_create).
 */
char *mech_layout_route_host(const char *tenant, const char *app, const char *instance,
			     const char *base_domain);
/** The domain a tenant's route hosts sit under: <tenant>.<base>. */
char *mech_layout_tenant_domain(const char *tenant, const char *base_domain);

/*
 * What CloudNativePG names after a Cluster <name>: the Secret with the
 * application user's credentials and the read-write Service.
 */
char *mech_layout_addon_secret(const char *name);
/** The key of that Secret holding the connection URI, and the env name `addon link` gives it. */
#define MECH_LAYOUT_ADDON_SECRET_KEY "uri"
#define MECH_LAYOUT_ADDON_LINK_ENV "DATABASE_URL"
char *mech_layout_addon_service(const char *name);

/* ---- the 63-character limit ---- */

/**
 * Refuse (MECH_EINVALID, naming the derived name and its length) a tenant
 * whose namespace, project, ApplicationSet, directory Applications or tenant
 * label value would exceed Kubernetes' 63 characters.
 */
int mech_layout_check_tenant(const char *tenant);
/**
 * The same for an app instance: its Application, workload, label values and
 * route host label, and the tenant's own names. Checked wherever a verb is
 * given a new instance name, before anything is written.
 */
int mech_layout_check_instance(const char *tenant, const char *app, const char *instance);

/* ---- labels ---- */

#define MECH_LAYOUT_LABEL_NAME "app.kubernetes.io/name"
/*
 * Argo CD's label-tracking key: under label tracking Argo CD overwrites it
 * with the Application's name, so mech neither selects on it nor writes it.
 * Overlays written before mech.dev/instance carry it (with the value
 * <app>--<instance>) in their selectors; mech keeps it there while their
 * Deployment exists (docs/formats.md, "Names").
 */
#define MECH_LAYOUT_LABEL_ARGOCD_INSTANCE "app.kubernetes.io/instance"
#define MECH_LAYOUT_LABEL_PART_OF "app.kubernetes.io/part-of"
/** The label every mech-generated object carries, and its value. */
#define MECH_LAYOUT_LABEL_MANAGED_BY "app.kubernetes.io/managed-by"
#define MECH_LAYOUT_MANAGED_BY "mech"
/** Labels on the Argo CD objects of a tenant and on its instance Applications. */
#define MECH_LAYOUT_LABEL_TENANT "mech.dev/tenant"
#define MECH_LAYOUT_LABEL_APP "mech.dev/app"
/*
 * The instance (its name, e.g. main): on the instance Applications, and on
 * the workloads and routes, where the overlay adds it to the selectors
 * (with app.kubernetes.io/name=<app> from the base).
 */
#define MECH_LAYOUT_LABEL_APP_INSTANCE "mech.dev/instance"

#endif
