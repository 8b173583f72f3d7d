/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dispatch: global flags, the command table, tenant and identity, and the
 * policies that hold for every command (--readonly, operator-only, help).
 */
#include "cmd.h"
#include "handlers.h"
#include "mech/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sh_ctx_init(sh_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
}

void sh_ctx_reset(sh_ctx *ctx)
{
	cJSON_Delete(ctx->result);
	cJSON_Delete(ctx->files);
	ctx->result = NULL;
	ctx->files = NULL;
	ctx->has_commit = 0;
	ctx->commit[0] = '\0';
	ctx->exit_override = 0;
	ctx->failed_result = 0;
	mech_strv_dispose(&ctx->next);
	mech_strv_dispose(&ctx->warnings);
	mech_buf_dispose(&ctx->out);
	if (!ctx->via_ssh) {
		free(ctx->key_fingerprint);
		ctx->key_fingerprint = NULL;
		mech_tenant_free(ctx->tenant);
		ctx->tenant = NULL;
		free(ctx->tenant_name);
		ctx->tenant_name = NULL;
		free(ctx->identity.name);
		free(ctx->identity.email);
		ctx->identity.name = ctx->identity.email = NULL;
	}
	mech_config_free(ctx->cfg);
	ctx->cfg = NULL;
	free(ctx->home);
	ctx->home = NULL;
}

static int load_config(sh_ctx *ctx)
{
	if (ctx->cfg)
		return 0;
	if (!ctx->home)
		ctx->home = mech_home_resolve(NULL);
	return mech_config_load(&ctx->cfg, ctx->home);
}

int sh_need_tenant(sh_ctx *ctx)
{
	const char *name = ctx->tenant_flag;
	mech_strv all = MECH_STRV_INIT;

	if (ctx->tenant)
		return 0;
	if (load_config(ctx) < 0)
		return -1;
	if (!name || !*name)
		name = getenv("MECH_TENANT");
	if (!name || !*name) {
		mech_tenant_list(ctx->cfg, &all);
		if (all.len == 1) {
			name = all.items[0];
		} else {
			mech_buf b = MECH_BUF_INIT;
			size_t i;
			for (i = 0; i < all.len && i < 10; i++)
				mech_buf_printf(&b, "%s%s", i ? ", " : "", all.items[i]);
			mech_error_set(MECH_EUSAGE, "missing --tenant: %s",
				       all.len ? "this home has several tenants"
					       : "this home has no tenants");
			if (all.len)
				mech_error_hint("name one with --tenant T (or MECH_TENANT); tenants: %s",
						b.ptr);
			else
				mech_error_hint("create one with `mech admin tenant add T`");
			mech_buf_dispose(&b);
			mech_strv_dispose(&all);
			return -1;
		}
	}
	if (mech_tenant_load(ctx->cfg, name, &ctx->tenant) < 0) {
		mech_strv_dispose(&all);
		return -1;
	}
	mech_strv_dispose(&all);
	free(ctx->tenant_name);
	ctx->tenant_name = mech_strdup(ctx->tenant->name);
	if (!ctx->identity.name) {
		ctx->identity.name = mech_strdup(ctx->tenant->identity.name);
		ctx->identity.email = mech_strdup(ctx->tenant->identity.email);
	}
	return 0;
}

/* The row of sh_global_flags that ARG names (--name, --name=V or -c); NULL if none. */
static const sh_flag *global_flag(const char *arg, const char **value)
{
	size_t i;
	*value = NULL;
	for (i = 0; sh_global_flags[i].opt; i++) {
		const sh_flag *f = &sh_global_flags[i];
		const char *name = sh_opt_name(f->opt);
		size_t n = strlen(name);
		if (f->short_name && arg[0] == '-' && arg[1] == f->short_name && !arg[2])
			return f;
		if (strncmp(arg, "--", 2) || strncmp(arg + 2, name, n))
			continue;
		if (!arg[2 + n])
			return f;
		if (arg[2 + n] == '=' && f->type != SH_BOOL) {
			*value = arg + 3 + n;
			return f;
		}
	}
	return NULL;
}

/* "--home DIR, --tenant T, --json, …, -h, --version", from the table */
static char *global_flags_list(void)
{
	mech_buf b = MECH_BUF_INIT;
	size_t i;
	for (i = 0; sh_global_flags[i].opt; i++) {
		const sh_flag *f = &sh_global_flags[i];
		if (i)
			mech_buf_puts(&b, ", ");
		if (f->short_name)
			mech_buf_printf(&b, "-%c", f->short_name);
		else
			mech_buf_printf(&b, "--%s", sh_opt_name(f->opt));
		if (f->metavar)
			mech_buf_printf(&b, " %s", f->metavar);
	}
	return mech_buf_detach(&b);
}

/* -o/--output FORMAT: json (as --json) or text. */
static int output_format(sh_ctx *ctx, const char *v)
{
	char q[MECH_ESCAPE_SIZE];
	if (!strcmp(v, "json")) {
		ctx->json = 1;
		return 0;
	}
	if (!strcmp(v, "text"))
		return 0;
	mech_error_set(MECH_EUSAGE, "unknown output format \"%s\"", mech_error_escape(q, v));
	return mech_error_hint("-o json (the same as --json) or -o text (the default)");
}

/* Does argv ask for JSON (--json, -o json, -ojson, --output json, --output=json)? */
static int wants_json(int argc, char **argv)
{
	int i;
	for (i = 0; i < argc && strcmp(argv[i], "--"); i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--json") || !strcmp(a, "-ojson") || !strcmp(a, "--output=json"))
			return 1;
		if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc &&
		    !strcmp(argv[i + 1], "json"))
			return 1;
	}
	return 0;
}

/* Global flags before the noun (the rows of sh_global_flags). Returns the index of the noun. */
static int global_flags(int argc, char **argv, sh_ctx *ctx, int *help, int *version)
{
	char q[MECH_ESCAPE_SIZE];
	int i;
	for (i = 0; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *v;
		const sh_flag *f = global_flag(a, &v);
		if (!f) {
			char *list = global_flags_list();
			mech_error_set(MECH_EUSAGE, "unknown global flag %s",
				       mech_error_escape(q, a));
			mech_error_hint("global flags: %s", list);
			free(list);
			return -1;
		}
		if (f->type != SH_BOOL && !v) {
			if (i + 1 >= argc)
				return mech_error_set(MECH_EUSAGE, "flag %s needs a value", a);
			v = argv[++i];
		}
		switch (f->opt) {
		case SH_OPT_JSON:
			ctx->json = 1;
			break;
		case SH_OPT_OUTPUT:
			if (output_format(ctx, v) < 0)
				return -1;
			break;
		case SH_OPT_NO_COLOR:
			ctx->color = 0;
			break;
		case SH_OPT_READONLY:
			ctx->readonly = 1;
			break;
		case SH_OPT_HELP:
			*help = 1;
			break;
		case SH_OPT_VERSION:
			*version = 1;
			break;
		case SH_OPT_HOME:
		case SH_OPT_TENANT:
			if (ctx->via_ssh)
				return mech_error_set(MECH_EFORBIDDEN,
						      "--%s cannot be given over SSH: your key decides "
						      "the tenant",
						      sh_opt_name(f->opt));
			if (f->opt == SH_OPT_HOME) {
				free(ctx->home);
				ctx->home = mech_home_resolve(v);
			} else {
				ctx->tenant_flag = v;
			}
			break;
		default:
			/* a row was added to sh_global_flags without saying what it does */
			mech_fatal("global flag --%s has no meaning in shell/run.c",
				   sh_opt_name(f->opt));
		}
	}
	return i;
}

/* `log --all-tenants`: no one tenant; the handler checks operator mode */
static int all_tenants(const sh_args *a)
{
	size_t i;
	for (i = 0; i < a->nflags; i++)
		if (a->flags[i]->opt == SH_OPT_ALL_TENANTS)
			return sh_arg_bool(a, SH_OPT_ALL_TENANTS);
	return 0;
}

static int refuse_for_context(sh_ctx *ctx, const sh_command *cmd)
{
	if (ctx->via_ssh && (cmd->flags & SH_OPERATOR)) {
		mech_error_set(MECH_EFORBIDDEN,
			       "`%s` is an operator command and cannot run over SSH", cmd->id);
		return mech_error_hint("operators run it on the mech host itself");
	}
	if (ctx->guest && !(cmd->flags & SH_GUEST)) {
		mech_error_set(MECH_EFORBIDDEN,
			       "this SSH key (%s) is not registered with any tenant",
			       ctx->key_fingerprint ? ctx->key_fingerprint : "unknown");
		return mech_error_hint("run `whoami` to see your key's fingerprint and how to get "
				       "registered");
	}
	if (ctx->readonly && (cmd->flags & SH_MUTATES)) {
		mech_error_set(MECH_EFORBIDDEN, "`%s` writes, and this session is read-only",
			       cmd->id);
		return mech_error_hint("drop --readonly, or use --dry-run to see the plan");
	}
	if ((cmd->flags & SH_TTY) && !ctx->tty) {
		mech_error_set(MECH_EUSAGE, "`%s` needs a terminal", cmd->id);
		return mech_error_hint(ctx->via_ssh ? "connect with `ssh -t`"
						    : "run it from an interactive terminal");
	}
	return 0;
}

int sh_run(int argc, char **argv, sh_ctx *ctx)
{
	const sh_command *cmd = NULL;
	sh_args args;
	int help = 0, version = 0, at, rc;

	memset(&args, 0, sizeof(args));
	mech_error_clear();
	/* --json anywhere asks for JSON, even when the rest does not parse */
	if (wants_json(argc, argv))
		ctx->json = 1;
	at = global_flags(argc, argv, ctx, &help, &version);
	if (at < 0)
		return sh_finish(ctx, -1);
	if (version && at == argc)
		return sh_finish(ctx, sh_version(ctx, NULL));
	if (at == argc) {
		sh_help_map(ctx);
		return sh_finish(ctx, 0);
	}
	rc = sh_parse(argc - at, argv + at, &cmd, &args, ctx);
	if (rc == 1 || (rc == 0 && (help || sh_arg_bool(&args, SH_OPT_HELP)))) {
		/* help never needs a tenant and never writes */
		if (cmd)
			sh_help_command(ctx, cmd);
		else
			sh_help_noun(ctx, argv[at]);
		sh_args_dispose(&args);
		return sh_finish(ctx, 0);
	}
	if (rc < 0) {
		/* `mech app bogus -h`: help for what is known still beats an error */
		sh_args_dispose(&args);
		return sh_finish(ctx, -1);
	}
	ctx->cmd = cmd;
	if (sh_arg_bool(&args, SH_OPT_JSON))
		ctx->json = 1;
	if (sh_arg(&args, SH_OPT_OUTPUT) && output_format(ctx, sh_arg(&args, SH_OPT_OUTPUT)) < 0) {
		sh_args_dispose(&args);
		return sh_finish(ctx, -1);
	}
	if (sh_arg_bool(&args, SH_OPT_NO_COLOR))
		ctx->color = 0;
	if (sh_arg_bool(&args, SH_OPT_READONLY))
		ctx->readonly = 1;
	if (sh_arg(&args, SH_OPT_HOME) || sh_arg(&args, SH_OPT_TENANT)) {
		if (ctx->via_ssh) {
			rc = mech_error_set(MECH_EFORBIDDEN,
					    "--home and --tenant cannot be given over SSH: your key "
					    "decides the tenant");
			goto done;
		}
		if (sh_arg(&args, SH_OPT_HOME)) {
			free(ctx->home);
			ctx->home = mech_home_resolve(sh_arg(&args, SH_OPT_HOME));
		}
		if (sh_arg(&args, SH_OPT_TENANT))
			ctx->tenant_flag = sh_arg(&args, SH_OPT_TENANT);
	}
	if ((rc = refuse_for_context(ctx, cmd)) < 0)
		goto done;
	if ((int)args.pos.len < cmd->min_args) {
		rc = mech_error_set(MECH_EUSAGE, "`%s %s` needs %s", cmd->noun,
				    cmd->verb ? cmd->verb : "", cmd->args);
		mech_error_hint("e.g. %.*s", (int)strcspn(cmd->examples, "\n"), cmd->examples);
		goto done;
	}
	if ((int)args.pos.len > cmd->max_args) {
		char q[MECH_ESCAPE_SIZE];
		rc = mech_error_set(MECH_EUSAGE, "unexpected argument \"%s\" for `%s%s%s`",
				    mech_error_escape(q, args.pos.items[cmd->max_args]), cmd->noun,
				    cmd->verb ? " " : "", cmd->verb ? cmd->verb : "");
		mech_error_hint("see `mech %s%s%s -h`", cmd->noun, cmd->verb ? " " : "",
				cmd->verb ? cmd->verb : "");
		goto done;
	}
	{
		size_t i;
		for (i = 0; i < args.nflags; i++) {
			if (args.flags[i]->required && !args.seen[i]) {
				rc = mech_error_set(MECH_EUSAGE, "`%s %s` needs --%s %s", cmd->noun,
						    cmd->verb ? cmd->verb : "",
						    sh_opt_name(args.flags[i]->opt),
						    args.flags[i]->metavar);
				mech_error_hint("e.g. %.*s", (int)strcspn(cmd->examples, "\n"),
						cmd->examples);
				goto done;
			}
		}
	}
	if (cmd->handler != sh_cmd_help && load_config(ctx) < 0) {
		rc = -1;
		goto done;
	}
	if ((cmd->flags & SH_TENANT) && !all_tenants(&args) && (rc = sh_need_tenant(ctx)) < 0)
		goto done;
	rc = cmd->handler(ctx, &args);
done:
	sh_args_dispose(&args);
	return sh_finish(ctx, rc);
}
