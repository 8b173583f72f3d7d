/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The repository layout and the names derived from tenant, app, instance
 * and addon names (mech/layout.h). Each rule is spelled once, in the static
 * function or format below; the public functions only apply it.
 */
#include "mech/layout.h"
#include "mech/buf.h"
#include "mech/error.h"

#include <stdlib.h>
#include <string.h>

#define ROUTE_EXT ".yaml"
/*
 * The separator of every name derived from two or more names. Names may
 * not contain it (mech_validate_name), so a derived name splits back into
 * its parts one way only: tenant a-b app web and tenant a app b-web are
 * a-b--web--main and a--b-web--main.
 */
#define SEP MECH_LAYOUT_SEP
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

char *mech_layout_overlay_file(const char *app, const char *instance, const char *file)
{
	return mech_sprintf(MECH_LAYOUT_APPS "/%s/" MECH_LAYOUT_OVERLAYS "/%s/%s", app, instance,
			    file);
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

char *mech_layout_secret_ledger(const char *name)
{
	return mech_sprintf(MECH_LAYOUT_SECRETS "/%s.yaml", name);
}

char *mech_layout_secret_of_file(const char *file)
{
	size_t n = strlen(file);
	if (n <= 5 || strcmp(file + n - 5, ".yaml") || strchr(file, '/'))
		return NULL;
	return mech_strndup(file, n - 5);
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
	return mech_sprintf("%s" SEP "apps", tenant);
}

/*
 * The one spelling of an instance Application's name, used with real names
 * and with the ApplicationSet's template expressions alike.
 */
char *mech_layout_instance_app(const char *tenant, const char *app, const char *instance)
{
	return mech_sprintf("%s" SEP "%s" SEP "%s", tenant, app, instance);
}

size_t mech_layout_instance_app_in(char *buf, size_t n, const char *tenant, const char *app,
				   const char *instance)
{
	const char *part[5] = {tenant, SEP, app, SEP, instance};
	size_t len[5], total = 0, i;
	for (i = 0; i < 5; i++)
		total += len[i] = strlen(part[i]);
	if (total >= n)
		return total + 1;
	for (i = 0; i < 5; buf += len[i++])
		memcpy(buf, part[i], len[i]);
	*buf = '\0';
	return total;
}

char *mech_layout_instance_app_template(const char *tenant)
{
	return mech_layout_instance_app(tenant, MECH_LAYOUT_TPL_APP, MECH_LAYOUT_TPL_INSTANCE);
}

char *mech_layout_dir_app(const char *tenant, const char *dir)
{
	return mech_sprintf("%s" SEP "%s", tenant, dir);
}

char *mech_layout_name_suffix(const char *instance)
{
	return mech_sprintf(SEP "%s", instance);
}

char *mech_layout_workload(const char *app, const char *instance)
{
	/* what kustomize makes of the base name <app> and the overlay's suffix */
	char *suffix = mech_layout_name_suffix(instance);
	char *name = mech_sprintf("%s%s", app, suffix);
	free(suffix);
	return name;
}

/* Before MECH_LAYOUT_SEP, a single '-' joined the names (DESIGN §4's first form). */
#define LEGACY_SEP "-"

char *mech_layout_legacy_name_suffix(const char *instance)
{
	return mech_sprintf(LEGACY_SEP "%s", instance);
}

char *mech_layout_legacy_workload(const char *app, const char *instance)
{
	return mech_sprintf("%s" LEGACY_SEP "%s", app, instance);
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

/* ---- the 63-character limit ---- */

/*
 * Kubernetes caps object names of DNS-1123 labels (Service, HTTPRoute via
 * its backend, Namespace), every label value and each DNS label of a host at
 * 63 characters. Each name is ≤ MECH_NAME_MAX on its own, but the names
 * derived from two or three of them are not, so every derived name and label
 * value is computed here and measured.
 */
#define K8S_NAME_MAX 63

typedef struct {
	const char *what; /* what the derived name is, for the message */
	char *value;
} derived;

static int measure(const derived *d, size_t n)
{
	size_t i;
	int rc = 0;
	for (i = 0; i < n && !rc; i++) {
		size_t len = strlen(d[i].value);
		if (len <= K8S_NAME_MAX)
			continue;
		mech_error_set(MECH_EINVALID,
			       "names too long: the %s \"%s\" would be %zu characters; Kubernetes "
			       "allows %d",
			       d[i].what, d[i].value, len, K8S_NAME_MAX);
		rc = mech_error_hint("shorten the tenant, app or instance name");
	}
	for (i = 0; i < n; i++)
		free(d[i].value);
	return rc;
}

int mech_layout_check_tenant(const char *tenant)
{
	derived d[] = {
		{"namespace", mech_layout_namespace(tenant)},
		{"Argo CD project", mech_layout_project(tenant)},
		{"ApplicationSet", mech_layout_appset(tenant)},
		{"Application", mech_layout_dir_app(tenant, MECH_LAYOUT_NETWORK)},
		{"Application", mech_layout_dir_app(tenant, MECH_LAYOUT_ADDONS)},
		{"label value " MECH_LAYOUT_LABEL_TENANT, mech_strdup(tenant)},
	};
	return measure(d, sizeof(d) / sizeof(*d));
}

int mech_layout_check_instance(const char *tenant, const char *app, const char *instance)
{
	char *host = mech_layout_route_host(tenant, app, instance, "");
	derived d[] = {
		{"Application", mech_layout_instance_app(tenant, app, instance)},
		{"Deployment/Service/HTTPRoute name", mech_layout_workload(app, instance)},
		{"label value " MECH_LAYOUT_LABEL_APP, mech_strdup(app)},
		{"label value " MECH_LAYOUT_LABEL_APP_INSTANCE, mech_strdup(instance)},
		/* the route host's first DNS label: <app> or <app>-<instance> */
		{"route host label", mech_strndup(host, strcspn(host, "."))},
	};
	free(host);
	if (mech_layout_check_tenant(tenant) < 0) {
		size_t i;
		for (i = 0; i < sizeof(d) / sizeof(*d); i++)
			free(d[i].value);
		return -1;
	}
	return measure(d, sizeof(d) / sizeof(*d));
}
