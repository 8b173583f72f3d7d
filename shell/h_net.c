/* SPDX-License-Identifier: Apache-2.0 */
/* Route and addon commands: thin over core/verbs/route.c and core/verbs/addon.c. */
#include "cmd.h"
#include "handlers.h"
#include "mech/addon.h"
#include "h_live.h"
#include "mech/error.h"
#include "mech/route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int done_write(sh_ctx *ctx, const sh_args *a, mech_repo *repo, int rc, mech_txn_result *res)
{
	mech_repo_free(repo);
	return sh_finish_write(ctx, a, rc, res);
}

int sh_route_create(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo;
	mech_write_opts w;
	mech_route_opts o;
	mech_txn_result res;
	int rc;
	memset(&res, 0, sizeof(res));
	sh_write_opts(ctx, a, &w);
	o.app = sh_arg(a, SH_OPT_APP);
	o.instance = sh_arg(a, SH_OPT_INSTANCE);
	o.host = sh_arg(a, SH_OPT_HOST);
	o.path = sh_arg(a, SH_OPT_PATH);
	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		return -1;
	rc = mech_route_create(repo, &w, &o, &res);
	if (rc == 0) { /* a route is served once its Gateway accepts it */
		char *t = sh_target(a);
		sh_next(ctx, "mech route %s wait", t);
		sh_next(ctx, "mech route list");
		free(t);
	}
	rc = done_write(ctx, a, repo, rc, &res);
	if (rc == 0 && sh_arg_bool(a, SH_OPT_WAIT) && !w.dry_run)
		rc = sh_route_wait(ctx, a);
	return rc;
}

int sh_route_delete(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo;
	mech_write_opts w;
	mech_txn_result res;
	int rc;
	memset(&res, 0, sizeof(res));
	sh_write_opts(ctx, a, &w);
	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		return -1;
	rc = mech_route_delete(repo, &w, sh_arg(a, SH_OPT_APP), sh_arg(a, SH_OPT_INSTANCE), &res);
	return done_write(ctx, a, repo, rc, &res);
}

int sh_route_list(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo;
	mech_route_state *r = NULL;
	size_t n = 0, i;
	cJSON *arr;
	sh_table t;
	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		return -1;
	if (mech_route_list(repo, sh_arg(a, SH_OPT_APP), &r, &n) < 0) {
		mech_repo_free(repo);
		return -1;
	}
	ctx->result = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(ctx->result, "routes");
	sh_table_init(&t, 6);
	sh_table_add(&t, "HOST", "PATH", "APP", "INSTANCE", "OWNER", "LAST WRITER");
	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		char sha[GIT_OID_HEXSZ + 1] = "-";
		if (!git_oid_is_zero(&r[i].writer.commit))
			git_oid_tostr(sha, 13, &r[i].writer.commit);
		cJSON_AddStringToObject(o, "host", r[i].host ? r[i].host : "");
		cJSON_AddStringToObject(o, "path", r[i].path ? r[i].path : "/");
		cJSON_AddStringToObject(o, "app", r[i].app);
		cJSON_AddStringToObject(o, "instance", r[i].instance);
		cJSON_AddStringToObject(o, "file", r[i].file);
		cJSON_AddStringToObject(o, "owner", r[i].owned ? "mech" : "user");
		cJSON_AddStringToObject(o, "last_writer_class", mech_class_name(r[i].writer.cls));
		cJSON_AddItemToArray(arr, o);
		{
			char *lw = mech_sprintf("%s %s", mech_class_name(r[i].writer.cls), sha);
			sh_table_add(&t, r[i].host ? r[i].host : "-", r[i].path ? r[i].path : "/",
				     r[i].app, r[i].instance, r[i].owned ? "mech" : "user", lw);
			free(lw);
		}
	}
	if (n)
		sh_table_print(ctx, &t);
	else
		sh_printf(ctx, "no routes yet\n");
	sh_table_dispose(&t);
	mech_route_state_free(r, n);
	mech_repo_free(repo);
	return 0;
}

int sh_addon_type_list(sh_ctx *ctx, const sh_args *a)
{
	size_t n, i;
	const mech_addon_type *t = mech_addon_types(&n);
	cJSON *arr;
	sh_table tb;
	(void)a;
	ctx->result = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(ctx->result, "types");
	sh_table_init(&tb, 3);
	sh_table_add(&tb, "TYPE", "WRITES", "SUMMARY");
	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", t[i].type);
		cJSON_AddStringToObject(o, "kind", t[i].kind);
		cJSON_AddStringToObject(o, "summary", t[i].summary);
		cJSON_AddItemToArray(arr, o);
		sh_table_add(&tb, t[i].type, t[i].kind, t[i].summary);
	}
	sh_table_print(ctx, &tb);
	sh_table_dispose(&tb);
	sh_next(ctx, "mech addon type info postgres");
	return 0;
}

int sh_addon_type_info(sh_ctx *ctx, const sh_args *a)
{
	const mech_addon_type *t = mech_addon_type_find(a->pos.items[0]);
	cJSON *params;
	sh_table tb;
	size_t i;
	if (!t)
		return -1;
	ctx->result = cJSON_CreateObject();
	cJSON_AddStringToObject(ctx->result, "type", t->type);
	cJSON_AddStringToObject(ctx->result, "kind", t->kind);
	cJSON_AddStringToObject(ctx->result, "summary", t->summary);
	params = cJSON_AddArrayToObject(ctx->result, "parameters");
	sh_printf(ctx, "%s: %s\nwrites: %s in addons/NAME/cluster.yaml\n\n", t->type, t->summary,
		  t->kind);
	sh_table_init(&tb, 5);
	sh_table_add(&tb, "FLAG", "DEFAULT", "ALLOWED", "CHANGE", "MEANING");
	for (i = 0; i < t->nparams; i++) {
		const mech_addon_param *p = &t->params[i];
		cJSON *o = cJSON_CreateObject();
		char *flag = mech_sprintf("--%s", p->name);
		char *allowed = p->choices ? mech_strdup(p->choices)
					   : mech_sprintf("%s..%s", p->min, p->max);
		cJSON_AddStringToObject(o, "name", p->name);
		cJSON_AddStringToObject(o, "default", p->def);
		if (p->choices)
			cJSON_AddStringToObject(o, "choices", p->choices);
		else {
			cJSON_AddStringToObject(o, "min", p->min);
			cJSON_AddStringToObject(o, "max", p->max);
		}
		cJSON_AddBoolToObject(o, "create_only", p->create_only);
		cJSON_AddItemToArray(params, o);
		sh_table_add(&tb, flag, p->def, allowed, p->create_only ? "create only" : "set",
			     p->help);
		free(flag);
		free(allowed);
	}
	sh_table_print(ctx, &tb);
	sh_table_dispose(&tb);
	sh_printf(ctx, "\nCredentials stay in the Kubernetes secret NAME-app; none is written to "
		       "Git.\n");
	sh_next(ctx, "mech addon create db --type %s", t->type);
	return 0;
}

/* What create and set both take; --type is create's alone. */
static void addon_opts(const sh_args *a, mech_addon_opts *o, const char *name)
{
	memset(o, 0, sizeof(*o));
	o->name = name;
	o->version = sh_arg(a, SH_OPT_VERSION);
	o->storage = sh_arg(a, SH_OPT_STORAGE);
	o->memory = sh_arg(a, SH_OPT_MEMORY);
}

int sh_addon_create(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo;
	mech_write_opts w;
	mech_addon_opts o;
	mech_txn_result res;
	int rc;
	memset(&res, 0, sizeof(res));
	sh_write_opts(ctx, a, &w);
	addon_opts(a, &o, a->pos.items[0]);
	o.type = sh_arg(a, SH_OPT_TYPE);
	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		return -1;
	rc = mech_addon_create(repo, &w, &o, &res);
	if (rc == 0)
		sh_next(ctx, "mech addon -n %s info", o.name);
	rc = done_write(ctx, a, repo, rc, &res);
	if (rc == 0 && sh_arg_bool(a, SH_OPT_WAIT) && !w.dry_run)
		rc = sh_live_wait_addon(ctx, o.name, sh_arg(a, SH_OPT_TIMEOUT));
	return rc;
}

int sh_addon_set(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo;
	mech_write_opts w;
	mech_addon_opts o;
	mech_txn_result res;
	int rc;
	memset(&res, 0, sizeof(res));
	sh_write_opts(ctx, a, &w);
	addon_opts(a, &o, sh_arg(a, SH_OPT_NAME));
	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		return -1;
	rc = mech_addon_set(repo, &w, &o, &res);
	if (rc == 0) /* the operator restarts the instances with the new memory */
		sh_next(ctx, "mech addon -n %s wait", o.name);
	rc = done_write(ctx, a, repo, rc, &res);
	if (rc == 0 && sh_arg_bool(a, SH_OPT_WAIT) && !w.dry_run)
		rc = sh_live_wait_addon(ctx, o.name, sh_arg(a, SH_OPT_TIMEOUT));
	return rc;
}

int sh_addon_delete(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo;
	mech_write_opts w;
	mech_txn_result res;
	int rc;
	memset(&res, 0, sizeof(res));
	sh_write_opts(ctx, a, &w);
	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		return -1;
	rc = mech_addon_delete(repo, &w, sh_arg(a, SH_OPT_NAME), &res);
	if (rc < 0 && mech_error_last() && mech_error_last()->code == MECH_EREFUSED && !w.force) {
		/* show the plan with the refusal: what --force would delete */
		mech_txn_result plan;
		mech_write_opts dry = w;
		char *msg = mech_strdup(mech_error_last()->message);
		char *hint = mech_error_last()->hint ? mech_strdup(mech_error_last()->hint) : NULL;
		memset(&plan, 0, sizeof(plan));
		dry.dry_run = 1;
		if (mech_addon_delete(repo, &dry, sh_arg(a, SH_OPT_NAME), &plan) == 0) {
			size_t i;
			for (i = 0; i < plan.nchanges; i++)
				sh_eprintf(ctx, "  would delete: %s\n", plan.changes[i].path);
		}
		mech_txn_result_dispose(&plan);
		mech_error_set(MECH_EREFUSED, "%s", msg);
		if (hint)
			mech_error_hint("%s", hint);
		free(msg);
		free(hint);
	}
	return done_write(ctx, a, repo, rc, &res);
}

int sh_addon_list(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo;
	mech_addon_state *s = NULL;
	size_t n = 0, i;
	cJSON *arr;
	sh_table t;
	(void)a;
	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		return -1;
	if (mech_addon_list(repo, &s, &n) < 0) {
		mech_repo_free(repo);
		return -1;
	}
	ctx->result = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(ctx->result, "addons");
	sh_table_init(&t, 6);
	sh_table_add(&t, "NAME", "TYPE", "VERSION", "STORAGE", "MEMORY", "LAST WRITER");
	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", s[i].name);
		cJSON_AddStringToObject(o, "type", s[i].type);
		cJSON_AddStringToObject(o, "version", s[i].version ? s[i].version : "");
		cJSON_AddStringToObject(o, "storage", s[i].storage ? s[i].storage : "");
		cJSON_AddStringToObject(o, "memory", s[i].memory ? s[i].memory : "");
		cJSON_AddNumberToObject(o, "instances", s[i].instances);
		cJSON_AddStringToObject(o, "last_writer_class", mech_class_name(s[i].writer.cls));
		cJSON_AddItemToArray(arr, o);
		sh_table_add(&t, s[i].name, s[i].type, s[i].version ? s[i].version : "-",
			     s[i].storage ? s[i].storage : "-", s[i].memory ? s[i].memory : "-",
			     mech_class_name(s[i].writer.cls));
	}
	if (n)
		sh_table_print(ctx, &t);
	else
		sh_printf(ctx, "no addons yet\n");
	sh_table_dispose(&t);
	mech_addon_state_free(s, n);
	mech_repo_free(repo);
	return 0;
}
