/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tenant's AppProject, enforced as Argo CD does: sync windows decide
 * whether a sync may start (pkg/apis/application/v1alpha1 SyncWindows
 * Matches/CanSync), and each resource of a sync must be of a permitted
 * group/kind and go to a permitted destination (controller/sync.go
 * validateSyncPermissions), in Argo CD's words.
 */
#include "sim_int.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mech/cron.h"
#include "mech/error.h"
#include "mech/live.h"

#define IN_CLUSTER_SERVER "https://kubernetes.default.svc"
#define IN_CLUSTER_NAME "in-cluster"

static const cJSON *spec_item(const cJSON *project, const char *key)
{
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(project, "spec");
	return cJSON_IsObject(spec) ? cJSON_GetObjectItemCaseSensitive(spec, key) : NULL;
}

static const char *text(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_IsObject(o) ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
	return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

/* Argo CD's globMatch: a glob, negated by a leading '!' where allowed. */
static int glob(const char *pattern, const char *s, int negation)
{
	if (negation && *pattern == '!')
		return fnmatch(pattern + 1, s, 0) != 0;
	return fnmatch(pattern, s, 0) == 0;
}

static int any_glob(const cJSON *list, const char *s)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, list)
	{
		if (cJSON_IsString(it) && glob(it->valuestring, s, 0))
			return 1;
	}
	return 0;
}

const char *sim_project_name(const cJSON *project)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(project, "metadata");
	return text(meta, "name");
}

/* ---- sync windows ---- */

/* Does the window apply to the app (applications, clusters, namespaces; OR unless andOperator)? */
static int window_matches(const cJSON *win, const sim_app *a)
{
	const cJSON *apps = cJSON_GetObjectItemCaseSensitive(win, "applications");
	const cJSON *clusters = cJSON_GetObjectItemCaseSensitive(win, "clusters");
	const cJSON *nss = cJSON_GetObjectItemCaseSensitive(win, "namespaces");
	int and_op = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(win, "andOperator"));
	int set, matched;

	set = cJSON_GetArraySize(apps) > 0;
	matched = set && any_glob(apps, a->name);
	if (and_op && set && !matched)
		return 0;
	if (!and_op && matched)
		return 1;
	if (cJSON_GetArraySize(clusters) > 0) {
		set = 1;
		matched = any_glob(clusters, IN_CLUSTER_SERVER) ||
			  any_glob(clusters, IN_CLUSTER_NAME);
		if (and_op && !matched)
			return 0;
		if (!and_op && matched)
			return 1;
	}
	if (cJSON_GetArraySize(nss) > 0)
		matched = any_glob(nss, a->want.dest_ns ? a->want.dest_ns : "");
	return matched;
}

/* 1 active, 0 not, -1 the window cannot be read (Argo CD then blocks). */
static int window_active(const cJSON *win, time_t now)
{
	mech_cron c;
	long ms;
	if (mech_cron_parse(text(win, "schedule"), &c) < 0 ||
	    mech_parse_duration("duration", text(win, "duration"), &ms) < 0) {
		mech_error_clear();
		return -1;
	}
	return mech_cron_active(&c, ms / 1000, now);
}

int sim_project_can_sync(const cJSON *project, const sim_app *a, int manual, time_t now)
{
	const cJSON *wins = spec_item(project, "syncWindows"), *win;
	int deny = 0, deny_manual = 1, allow_active = 0, allows = 0, allow_manual = 1;

	cJSON_ArrayForEach(win, (cJSON_IsArray(wins) ? wins : NULL))
	{
		const char *kind = text(win, "kind");
		int manual_ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(win, "manualSync"));
		int active;
		if (!window_matches(win, a))
			continue;
		if ((active = window_active(win, now)) < 0)
			return 0; /* invalid sync windows: no sync */
		if (!strcmp(kind, "deny") && active) {
			deny = 1;
			deny_manual = deny_manual && manual_ok;
		} else if (!strcmp(kind, "allow")) {
			if (active)
				allow_active = 1;
			else {
				allows = 1;
				allow_manual = allow_manual && manual_ok;
			}
		}
	}
	if (deny)
		return manual && deny_manual;
	if (allow_active || !allows)
		return 1;
	return manual && allow_manual;
}

/* ---- resources ---- */

static int in_kind_list(const cJSON *list, const sim_obj *o, int named)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, list)
	{
		const char *name = text(it, "name");
		if (fnmatch(text(it, "kind"), o->kind, 0) || fnmatch(text(it, "group"), o->group, 0))
			continue;
		if (!named || !*name || !fnmatch(name, o->name, 0))
			return 1;
	}
	return 0;
}

/* isDestinationMatched for the in-cluster server and a namespace. */
static int destination_permitted(const cJSON *project, const char *ns)
{
	const cJSON *dests = spec_item(project, "destinations"), *d;
	int any = 0;
	cJSON_ArrayForEach(d, (cJSON_IsArray(dests) ? dests : NULL))
	{
		const char *name = text(d, "name"), *server = text(d, "server");
		const char *dns = text(d, "namespace");
		int name_ok = glob(name, IN_CLUSTER_NAME, 1);
		int server_ok = glob(server, IN_CLUSTER_SERVER, 1);
		int ns_ok = glob(dns, ns, 1);
		if ((server_ok || name_ok) && ns_ok)
			any = 1;
		else if ((!name_ok && *name == '!') || ((!server_ok && *server == '!') && ns_ok))
			return 0;
		else if (!ns_ok && *dns == '!' && server_ok)
			return 0;
	}
	return any;
}

char *sim_project_refusal(const cJSON *project, const sim_obj *o)
{
	const char *name = sim_project_name(project);
	int ok;
	if (*o->namespace) {
		const cJSON *white = spec_item(project, "namespaceResourceWhitelist");
		const cJSON *black = spec_item(project, "namespaceResourceBlacklist");
		ok = (!white || (cJSON_GetArraySize(white) > 0 && in_kind_list(white, o, 0))) &&
		     !(cJSON_GetArraySize(black) > 0 && in_kind_list(black, o, 0));
	} else {
		const cJSON *white = spec_item(project, "clusterResourceWhitelist");
		const cJSON *black = spec_item(project, "clusterResourceBlacklist");
		ok = cJSON_GetArraySize(white) > 0 && in_kind_list(white, o, 1) &&
		     !(cJSON_GetArraySize(black) > 0 && in_kind_list(black, o, 1));
	}
	if (!ok)
		return mech_sprintf("resource %s:%s is not permitted in project %s", o->group,
				    o->kind, name);
	if (*o->namespace && !destination_permitted(project, o->namespace))
		return mech_sprintf("namespace %s is not permitted in project '%s'", o->namespace,
				    name);
	return NULL;
}
