/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The repository layout and the names derived from tenant, app, instance
 * and addon names (mech/layout.h). Each rule is spelled once, in the static
 * function or format below; the public functions only apply it.
 */
#include "mech/layout.h"
#include "mech/buf.h"

#include <stdlib.h>
#include <string.h>

#define ROUTE_EXT ".yaml"
#define KUSTOMIZATION "kustomization.yaml"

/* ---- the repository ---- */

char *mech_layout_app_dir(const char *app)
{
	return mech_sprintf(MECH_LAYOUT_APPS "/%s", app);
}

char *mech_layout_app_file(const char *app, const char *rel)
{
	return mech_sprintf(MECH_LAYOUT_APPS "/%s/%s", app, rel);
}

char *mech_layout_overlays_dir(const char *app)
{
	return mech_layout_app_file(app, MECH_LAYOUT_OVERLAYS);
}

char *mech_layout_overlay_dir(const char *app, const char *instance)
{
	return mech_sprintf(MECH_LAYOUT_APPS "/%s/" MECH_LAYOUT_OVERLAYS "/%s", app, instance);
}

char *mech_layout_overlay_path(const char *app, const char *instance)
{
	return mech_sprintf(MECH_LAYOUT_APPS "/%s/" MECH_LAYOUT_OVERLAYS "/%s/" KUSTOMIZATION, app,
			    instance);
}

char *mech_layout_overlay_in_app(const char *instance)
{
	return mech_sprintf(MECH_LAYOUT_OVERLAYS "/%s/" KUSTOMIZATION, instance);
}

char *mech_layout_routes_dir(const char *app)
{
	return mech_sprintf(MECH_LAYOUT_ROUTES "/%s", app);
}

char *mech_layout_route_file(const char *instance)
{
	return mech_sprintf("%s" ROUTE_EXT, instance);
}

char *mech_layout_route_path(const char *app, const char *instance)
{
	return mech_sprintf(MECH_LAYOUT_ROUTES "/%s/%s" ROUTE_EXT, app, instance);
}

char *mech_layout_route_instance(const char *file)
{
	size_t n = strlen(file), ext = strlen(ROUTE_EXT);
	if (n <= ext || strcmp(file + n - ext, ROUTE_EXT) || strchr(file, '/'))
		return NULL;
	return mech_strndup(file, n - ext);
}

char *mech_layout_addon_dir(const char *name)
{
	return mech_sprintf(MECH_LAYOUT_ADDONS "/%s", name);
}

char *mech_layout_addon_cluster_path(const char *name)
{
	return mech_sprintf(MECH_LAYOUT_ADDONS "/%s/" MECH_LAYOUT_ADDON_CLUSTER, name);
}

/* ---- derived names ---- */

char *mech_layout_namespace(const char *tenant)
{
	return mech_sprintf("x-%s", tenant);
}

char *mech_layout_project(const char *tenant)
{
	return mech_strdup(tenant);
}

char *mech_layout_appset(const char *tenant)
{
	return mech_sprintf("%s-apps", tenant);
}

/*
 * The one spelling of an instance Application's name, used with real names
 * and with the ApplicationSet's template expressions alike.
 */
char *mech_layout_instance_app(const char *tenant, const char *app, const char *instance)
{
	return mech_sprintf("%s-%s-%s", tenant, app, instance);
}

char *mech_layout_instance_app_template(const char *tenant)
{
	return mech_layout_instance_app(tenant, MECH_LAYOUT_TPL_APP, MECH_LAYOUT_TPL_INSTANCE);
}

char *mech_layout_dir_app(const char *tenant, const char *dir)
{
	return mech_sprintf("%s-%s", tenant, dir);
}

char *mech_layout_name_suffix(const char *instance)
{
	return mech_sprintf("-%s", instance);
}

char *mech_layout_workload(const char *app, const char *instance)
{
	/* what kustomize makes of the base name <app> and the overlay's suffix */
	char *suffix = mech_layout_name_suffix(instance);
	char *name = mech_sprintf("%s%s", app, suffix);
	free(suffix);
	return name;
}

char *mech_layout_tenant_domain(const char *tenant, const char *base_domain)
{
	return mech_sprintf("%s.%s", tenant, base_domain);
}

char *mech_layout_route_host(const char *tenant, const char *app, const char *instance,
			     const char *base_domain)
{
	char *domain, *host;
	if (!tenant || !app || !instance || !base_domain)
		return NULL;
	domain = mech_layout_tenant_domain(tenant, base_domain);
	if (!strcmp(instance, MECH_DEFAULT_INSTANCE))
		host = mech_sprintf("%s.%s", app, domain);
	else
		host = mech_sprintf("%s-%s.%s", app, instance, domain);
	free(domain);
	return host;
}

char *mech_layout_addon_secret(const char *name)
{
	return mech_sprintf("%s-app", name);
}

char *mech_layout_addon_service(const char *name)
{
	return mech_sprintf("%s-rw", name);
}
