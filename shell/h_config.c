/* SPDX-License-Identifier: Apache-2.0 */
/* scale, env set|unset|list, addon link|unlink: thin over core/verbs/app_config.c. */
#include "cmd.h"
#include "h_live.h"
#include "handlers.h"
#include "mech/addon.h"
#include "mech/app.h"
#include "mech/error.h"

#include <stdlib.h>
#include <string.h>

int sh_app_scale(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo = NULL;
	mech_write_opts w;
	mech_txn_result res;
	const char *app = sh_arg(a, SH_OPT_APP), *inst = sh_arg(a, SH_OPT_INSTANCE);
	int rc;
	memset(&res, 0, sizeof(res));
	sh_write_opts(ctx, a, &w);
	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		return -1;
	rc = mech_app_scale(repo, &w, app, inst, (int)sh_arg_int(a, SH_OPT_REPLICAS, 1), &res);
	mech_repo_free(repo);
	if (rc == 0)
		sh_next(ctx, "mech app -a %s%s%s wait", app, inst ? " -i " : "", inst ? inst : "");
	return sh_live_finish_write(ctx, a, &w, rc, &res, app, inst);
}

static int env_write(sh_ctx *ctx, const sh_args *a, int unset)
{
	mech_repo *repo = NULL;
	mech_write_opts w;
	mech_txn_result res;
	mech_app_env_opts o;
	int rc;
	memset(&res, 0, sizeof(res));
	memset(&o, 0, sizeof(o));
	sh_write_opts(ctx, a, &w);
	o.app = sh_arg(a, SH_OPT_APP);
	o.instance = sh_arg(a, SH_OPT_INSTANCE);
	o.all_instances = sh_arg_bool(a, SH_OPT_ALL_INSTANCES);
	o.vars = &a->pos;
	if (!unset)
		o.from_secret = sh_arg(a, SH_OPT_FROM_SECRET);
	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		return -1;
	rc = unset ? mech_app_env_unset(repo, &w, &o, &res) : mech_app_env_set(repo, &w, &o, &res);
	mech_repo_free(repo);
	if (rc == 0)
		sh_next(ctx, "mech app -a %s%s%s env list", o.app, o.instance ? " -i " : "",
			o.instance ? o.instance : "");
	return sh_live_finish_write(ctx, a, &w, rc, &res, o.app, o.instance);
}

int sh_app_env_set(sh_ctx *ctx, const sh_args *a)
{
	return env_write(ctx, a, 0);
}

int sh_app_env_unset(sh_ctx *ctx, const sh_args *a)
{
	return env_write(ctx, a, 1);
}

int sh_app_env_list(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo = NULL;
	mech_app_desired d;
	const char *app = sh_arg(a, SH_OPT_APP);
	char *picked = NULL;
	cJSON *arr;
	sh_table t;
	size_t i;

	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		return -1;
	if (mech_app_env_list(repo, app, sh_arg(a, SH_OPT_INSTANCE), &d, &picked) < 0) {
		mech_repo_free(repo);
		return -1;
	}
	ctx->result = cJSON_CreateObject();
	cJSON_AddStringToObject(ctx->result, "app", app);
	cJSON_AddStringToObject(ctx->result, "instance", picked);
	arr = cJSON_AddArrayToObject(ctx->result, "env");
	sh_table_init(&t, 3);
	sh_table_add(&t, "NAME", "VALUE", "FROM");
	for (i = 0; i < d.nvars; i++) {
		const mech_env_var *v = &d.vars[i];
		cJSON *o = cJSON_CreateObject();
		char *shown = v->secret ? mech_sprintf("from secret %s:%s", v->secret, v->key)
					: mech_strdup(v->value ? v->value : "");
		cJSON_AddStringToObject(o, "name", v->name);
		if (v->secret) {
			cJSON_AddNullToObject(o, "value");
			cJSON_AddStringToObject(o, "secret", v->secret);
			cJSON_AddStringToObject(o, "key", v->key);
		} else {
			cJSON_AddStringToObject(o, "value", v->value ? v->value : "");
			cJSON_AddNullToObject(o, "secret");
			cJSON_AddNullToObject(o, "key");
		}
		cJSON_AddStringToObject(o, "source", v->instance ? "instance" : "base");
		cJSON_AddItemToArray(arr, o);
		sh_table_add(&t, v->name, shown,
			     v->instance ? "instance (env.yaml)" : "base (deployment.yaml)");
		free(shown);
	}
	if (d.nvars)
		sh_table_print(ctx, &t);
	else
		sh_printf(ctx, "%s/%s has no env\n", app, picked);
	sh_table_dispose(&t);
	sh_next(ctx, "mech app -a %s -i %s env set KEY=VALUE", app, picked);
	free(picked);
	mech_app_desired_dispose(&d);
	mech_repo_free(repo);
	return 0;
}

static int link_write(sh_ctx *ctx, const sh_args *a, int unlink)
{
	mech_repo *repo = NULL;
	mech_write_opts w;
	mech_txn_result res;
	const char *addon = sh_arg(a, SH_OPT_NAME), *app = sh_arg(a, SH_OPT_APP);
	const char *inst = sh_arg(a, SH_OPT_INSTANCE), *env = sh_arg(a, SH_OPT_ENV);
	int rc;
	memset(&res, 0, sizeof(res));
	sh_write_opts(ctx, a, &w);
	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		return -1;
	rc = unlink ? mech_addon_unlink(repo, &w, addon, app, inst, env, &res)
		    : mech_addon_link(repo, &w, addon, app, inst, env, &res);
	mech_repo_free(repo);
	if (rc == 0) {
		sh_next(ctx, "mech app -a %s%s%s env list", app, inst ? " -i " : "",
			inst ? inst : "");
		if (!unlink)
			sh_next(ctx, "mech addon -n %s wait", addon);
	}
	return sh_live_finish_write(ctx, a, &w, rc, &res, app, inst);
}

int sh_addon_link(sh_ctx *ctx, const sh_args *a)
{
	return link_write(ctx, a, 0);
}

int sh_addon_unlink(sh_ctx *ctx, const sh_args *a)
{
	return link_write(ctx, a, 1);
}

void sh_addon_links(sh_ctx *ctx, mech_repo *repo, cJSON *res, const char *addon)
{
	mech_addon_link_info *l = NULL;
	size_t n = 0, i;
	cJSON *arr;
	if (mech_addon_links(repo, addon, NULL, &l, &n) < 0) {
		mech_error_clear();
		return;
	}
	arr = cJSON_AddArrayToObject(res, "links");
	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "app", l[i].app);
		cJSON_AddStringToObject(o, "instance", l[i].instance);
		cJSON_AddStringToObject(o, "env", l[i].env);
		cJSON_AddItemToArray(arr, o);
		sh_printf(ctx, "linked: %s/%s as %s\n", l[i].app, l[i].instance, l[i].env);
	}
	if (!n) {
		sh_printf(ctx, "linked: nothing yet\n");
		sh_next(ctx, "mech addon -n %s link -a APP", addon);
	}
	mech_addon_links_free(l, n);
}

void sh_app_config_info(sh_ctx *ctx, mech_repo *repo, const mech_app_state *app,
			const mech_instance_state *only)
{
	mech_addon_link_info *l = NULL;
	size_t n = 0, i, j;
	git_tree *tree = NULL;
	cJSON *it, *insts = cJSON_GetObjectItemCaseSensitive(ctx->result, "instances");

	if (mech_repo_head_tree(repo, &tree) < 0 ||
	    mech_addon_links(repo, NULL, app->name, &l, &n) < 0) {
		mech_error_clear();
		git_tree_free(tree);
		return;
	}
	cJSON_ArrayForEach(it, insts)
	{
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name");
		mech_app_desired d;
		cJSON *desired, *env, *links;
		mech_buf line = MECH_BUF_INIT;
		if (!cJSON_IsString(nm) || mech_app_desired_at(mech_repo_git(repo), tree, app->name,
							       nm->valuestring, &d) < 0) {
			mech_error_clear();
			continue;
		}
		desired = cJSON_AddObjectToObject(it, "desired");
		cJSON_AddNumberToObject(desired, "replicas", d.replicas);
		env = cJSON_AddArrayToObject(desired, "env");
		links = cJSON_AddArrayToObject(desired, "links");
		mech_buf_printf(&line, "%s: replicas %d, env ", nm->valuestring, d.replicas);
		for (i = 0; i < d.nvars; i++) {
			cJSON_AddItemToArray(env, cJSON_CreateString(d.vars[i].name));
			mech_buf_printf(&line, "%s%s", i ? ", " : "", d.vars[i].name);
		}
		if (!d.nvars)
			mech_buf_puts(&line, "-");
		for (j = 0; j < n; j++) {
			cJSON *o;
			if (strcmp(l[j].instance, nm->valuestring))
				continue;
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "addon", l[j].addon);
			cJSON_AddStringToObject(o, "env", l[j].env);
			cJSON_AddItemToArray(links, o);
			mech_buf_printf(&line, "; linked: %s as %s", l[j].addon, l[j].env);
		}
		sh_printf(ctx, "%s\n", line.ptr);
		mech_buf_dispose(&line);
		mech_app_desired_dispose(&d);
	}
	(void)only; /* ctx->result already holds only the picked instance */
	mech_addon_links_free(l, n);
	git_tree_free(tree);
}
