/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Help, generated from the command table: the workflow map, per-command
 * pages with seven sections, and the exit-code table.
 */
#include "cmd.h"
#include "mech/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage_line(sh_ctx *ctx, const sh_command *c)
{
	size_t i;
	int targets = 0;
	sh_printf(ctx, "mech %s", c->noun);
	for (i = 0; c->opts[i].opt; i++) {
		const sh_flag *f = &c->opts[i];
		if (f->short_name && f->type == SH_STR &&
		    (f->short_name == 'a' || f->short_name == 'n' || f->short_name == 'i')) {
			sh_printf(ctx, f->required ? " -%c %s" : " [-%c %s]", f->short_name,
				  f->metavar);
			targets = 1;
		}
	}
	(void)targets;
	if (c->verb)
		sh_printf(ctx, " %s", c->verb);
	if (c->args && *c->args)
		sh_printf(ctx, " %s", c->args);
	for (i = 0; c->opts[i].opt; i++) {
		const sh_flag *f = &c->opts[i];
		if (f->short_name == 'a' || f->short_name == 'n' || f->short_name == 'i')
			continue;
		if (f->type == SH_BOOL)
			sh_printf(ctx, " [--%s]", sh_opt_name(f->opt));
		else
			sh_printf(ctx, f->required ? " --%s %s" : " [--%s %s]%s",
				  sh_opt_name(f->opt), f->metavar, f->type == SH_LIST ? "…" : "");
	}
	if (c->flags & SH_MUTATES)
		sh_printf(ctx, " [--dry-run] [--force]");
	sh_printf(ctx, "\n");
}

static void flag_line(sh_ctx *ctx, const sh_flag *f)
{
	char left[64];
	if (f->short_name)
		snprintf(left, sizeof(left), "-%c, --%s%s%s", f->short_name, sh_opt_name(f->opt),
			 f->metavar ? " " : "", f->metavar ? f->metavar : "");
	else
		snprintf(left, sizeof(left), "    --%s%s%s", sh_opt_name(f->opt),
			 f->metavar ? " " : "", f->metavar ? f->metavar : "");
	sh_printf(ctx, "  %-28s %s%s\n", left, f->help, f->required ? " (required)" : "");
}

static void indent_block(sh_ctx *ctx, const char *text)
{
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, "\n");
		sh_printf(ctx, "  %.*s\n", (int)n, p);
		p += n;
		if (*p)
			p++;
	}
}

/* "D" of a help text's "(default D)" or "(default D; …)", the one place defaults are stated. */
static cJSON *flag_default(const char *help)
{
	const char *p = strstr(help, "(default ");
	size_t n;
	if (!p)
		return cJSON_CreateNull();
	p += strlen("(default ");
	n = strcspn(p, ";)");
	while (n && p[n - 1] == ' ')
		n--;
	{
		char *v = mech_strndup(p, n);
		cJSON *j = cJSON_CreateString(v);
		free(v);
		return j;
	}
}

/* One flag as the machine-readable catalogue describes it. */
static cJSON *flag_json(const sh_flag *f)
{
	static const char *const types[] = {"bool", "string", "int", "list", "duration"};
	cJSON *o = cJSON_CreateObject();
	char short_name[2] = {f->short_name, '\0'};
	cJSON_AddStringToObject(o, "name", sh_opt_name(f->opt));
	cJSON_AddItemToObject(o, "short",
			      f->short_name ? cJSON_CreateString(short_name) : cJSON_CreateNull());
	cJSON_AddStringToObject(o, "type", types[f->type]);
	cJSON_AddItemToObject(o, "metavar",
			      f->metavar ? cJSON_CreateString(f->metavar) : cJSON_CreateNull());
	cJSON_AddStringToObject(o, "help", f->help);
	cJSON_AddBoolToObject(o, "required", f->required);
	cJSON_AddBoolToObject(o, "repeats", f->type == SH_LIST);
	cJSON_AddItemToObject(o, "default", flag_default(f->help));
	if (f->type == SH_INT) {
		cJSON_AddNumberToObject(o, "min", (double)f->min);
		cJSON_AddNumberToObject(o, "max", (double)f->max);
	}
	return o;
}

static cJSON *help_json(const sh_command *c)
{
	cJSON *o = cJSON_CreateObject(), *flags = cJSON_CreateArray();
	size_t i;
	cJSON_AddStringToObject(o, "command", c->id);
	cJSON_AddStringToObject(o, "purpose", c->purpose);
	cJSON_AddStringToObject(o, "arguments", c->arguments);
	cJSON_AddStringToObject(o, "side_effects", c->side_effects);
	cJSON_AddStringToObject(o, "examples", c->examples);
	cJSON_AddStringToObject(o, "next", c->next);
	cJSON_AddBoolToObject(o, "mutates", (c->flags & SH_MUTATES) != 0);
	cJSON_AddStringToObject(o, "noun", c->noun);
	cJSON_AddItemToObject(o, "verb", c->verb ? cJSON_CreateString(c->verb) : cJSON_CreateNull());
	cJSON_AddStringToObject(o, "args", c->args);
	cJSON_AddBoolToObject(o, "needs_tenant", (c->flags & SH_TENANT) != 0);
	cJSON_AddBoolToObject(o, "operator", (c->flags & SH_OPERATOR) != 0);
	for (i = 0; c->opts[i].opt; i++)
		cJSON_AddItemToArray(flags, flag_json(&c->opts[i]));
	if (c->flags & SH_MUTATES) /* every write takes --dry-run and --force */
		for (i = 0; sh_write_flags[i].opt; i++)
			cJSON_AddItemToArray(flags, flag_json(&sh_write_flags[i]));
	cJSON_AddItemToObject(o, "flags", flags);
	return o;
}

void sh_help_command(sh_ctx *ctx, const sh_command *c)
{
	size_t i;
	const char *b = sh_color(ctx, "bold"), *r = sh_color(ctx, "reset");
	if (ctx->json) {
		cJSON_Delete(ctx->result);
		ctx->result = help_json(c);
		return;
	}
	sh_printf(ctx, "%sPURPOSE%s\n  %s\n\n", b, r, c->purpose);
	sh_printf(ctx, "%sUSAGE%s\n  ", b, r);
	usage_line(ctx, c);
	sh_printf(ctx, "\n%sARGUMENTS%s\n", b, r);
	indent_block(ctx, c->arguments);
	sh_printf(ctx, "\n%sFLAGS%s\n", b, r);
	for (i = 0; c->opts[i].opt; i++)
		flag_line(ctx, &c->opts[i]);
	if (c->flags & SH_MUTATES)
		for (i = 0; sh_write_flags[i].opt; i++)
			flag_line(ctx, &sh_write_flags[i]);
	sh_printf(ctx, "  (global: --json, --tenant T, --home DIR, --no-color, --readonly, -h)\n");
	sh_printf(ctx, "\n%sSIDE EFFECTS%s\n", b, r);
	indent_block(ctx, c->side_effects);
	sh_printf(ctx, "\n%sEXAMPLES%s\n", b, r);
	indent_block(ctx, c->examples);
	sh_printf(ctx, "\n%sNEXT STEPS%s\n", b, r);
	indent_block(ctx, c->next);
}

void sh_help_noun(sh_ctx *ctx, const char *noun)
{
	size_t i;
	cJSON *arr = NULL;
	if (ctx->json) {
		cJSON_Delete(ctx->result);
		ctx->result = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(ctx->result, "commands");
	} else {
		sh_printf(ctx, "%s%s commands%s\n", sh_color(ctx, "bold"), noun,
			  sh_color(ctx, "reset"));
	}
	for (i = 0; i < sh_ncommands; i++) {
		const sh_command *c = &sh_commands[i];
		if (strcmp(c->noun, noun))
			continue;
		if (arr) {
			cJSON_AddItemToArray(arr, help_json(c));
			continue;
		}
		sh_printf(ctx, "  ");
		usage_line(ctx, c);
		sh_printf(ctx, "      %s\n", c->purpose);
	}
	if (!arr)
		sh_printf(ctx, "\nRun `mech %s <verb> -h` for a command's full help.\n", noun);
}

void sh_help_map(sh_ctx *ctx)
{
	static const struct {
		const char *stage, *cmds;
	} map[] = {
		{"identity", "mech whoami                           who you are, which tenant"},
		{"deploy", "mech app create NAME --image REF      base + overlay, one receipt\n"
			   "    mech app -a NAME deploy --tag TAG     new tag, same repository\n"
			   "    mech app -a NAME set-image REF        any image"},
		{"expose", "mech route -a NAME create             HTTPRoute for an instance"},
		{"data", "mech addon create DB --type postgres  CloudNativePG cluster"},
		{"inspect", "mech app list | mech app -a NAME info\n"
			    "    mech log [--class human|forced]       receipts\n"
			    "    mech show REV                         one receipt with its diff"},
	};
	size_t i;
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "commands");
		cJSON *ent = cJSON_AddArrayToObject(o, "entries");
		cJSON *cat = cJSON_AddArrayToObject(o, "catalogue");
		cJSON *glob = cJSON_AddArrayToObject(o, "global_flags");
		for (i = 0; sh_global_flags[i].opt; i++)
			cJSON_AddItemToArray(glob, flag_json(&sh_global_flags[i]));
		for (i = 0; i < sh_ncommands; i++) {
			cJSON *e;
			if (sh_commands[i].flags & SH_HIDDEN)
				continue;
			cJSON_AddItemToArray(cat, help_json(&sh_commands[i]));
			cJSON_AddItemToArray(arr, cJSON_CreateString(sh_commands[i].id));
			e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "id", sh_commands[i].id);
			cJSON_AddStringToObject(e, "noun", sh_commands[i].noun);
			cJSON_AddStringToObject(e, "verb",
						sh_commands[i].verb ? sh_commands[i].verb : "");
			cJSON_AddItemToArray(ent, e);
		}
		cJSON_Delete(ctx->result);
		ctx->result = o;
		return;
	}
	sh_printf(ctx,
		  "mech — an agent control plane: every write is a receipt in your GitOps repo.\n\n");
	for (i = 0; i < sizeof(map) / sizeof(*map); i++)
		sh_printf(ctx, "%s%d. %s%s\n    %s\n", sh_color(ctx, "bold"), (int)i + 1,
			  map[i].stage, sh_color(ctx, "reset"), map[i].cmds);
	sh_printf(ctx, "\n%sall commands%s\n", sh_color(ctx, "bold"), sh_color(ctx, "reset"));
	for (i = 0; i < sh_ncommands; i++) {
		const sh_command *c = &sh_commands[i];
		size_t j;
		int seen = 0;
		if (c->flags & SH_HIDDEN)
			continue;
		for (j = 0; j < i && !seen; j++)
			seen = !(sh_commands[j].flags & SH_HIDDEN) &&
			       !strcmp(sh_commands[j].noun, c->noun);
		if (seen)
			continue;
		sh_printf(ctx, "    %-8s", c->noun);
		for (j = i, seen = 0; j < sh_ncommands; j++)
			if (!(sh_commands[j].flags & SH_HIDDEN) &&
			    !strcmp(sh_commands[j].noun, c->noun) && sh_commands[j].verb)
				sh_printf(ctx, "%s%s", seen++ ? ", " : " ", sh_commands[j].verb);
		sh_printf(ctx, "%s%s\n", seen ? "" : " ", seen ? "" : c->purpose);
	}
	sh_printf(ctx,
		  "\nEvery write takes --dry-run (show the plan) and --force (override a human "
		  "edit).\nAdd --json for one JSON object on stdout. Exit codes: `mech help "
		  "exit-codes`.\nHelp for a command: `mech help app create` or `mech app create "
		  "-h`.\n");
}

void sh_help_exit_codes(sh_ctx *ctx)
{
	int i;
	cJSON *arr = NULL;
	if (ctx->json) {
		cJSON_Delete(ctx->result);
		ctx->result = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(ctx->result, "exit_codes");
	} else {
		sh_printf(ctx, "CODE  NAME           MEANING\n");
	}
	for (i = 0; i < MECH_E__COUNT; i++) {
		if (arr) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "exit", mech_error_exit((mech_error_code)i));
			cJSON_AddStringToObject(o, "code", mech_error_name((mech_error_code)i));
			cJSON_AddStringToObject(o, "meaning",
						mech_error_describe((mech_error_code)i));
			cJSON_AddItemToArray(arr, o);
			continue;
		}
		sh_printf(ctx, "%4d  %-13s  %s\n", mech_error_exit((mech_error_code)i),
			  mech_error_name((mech_error_code)i),
			  mech_error_describe((mech_error_code)i));
	}
}

int sh_cmd_help(sh_ctx *ctx, const sh_args *a)
{
	const mech_strv *p = &a->pos;
	size_t i;
	if (!p->len) {
		sh_help_map(ctx);
		return 0;
	}
	if (!strcmp(p->items[0], "exit-codes")) {
		sh_help_exit_codes(ctx);
		return 0;
	}
	{
		const sh_command *best = NULL;
		size_t most = 0;
		for (i = 0; i < sh_ncommands; i++) {
			const sh_command *c = &sh_commands[i];
			size_t nw = sh_verb_words(c->verb);
			if (strcmp(c->noun, p->items[0]))
				continue;
			if (!c->verb && p->len == 1)
				best = c;
			/* the longest verb whose words follow the noun */
			if (c->verb && nw > most &&
			    sh_verb_prefix(c->verb, (int)p->len - 1, p->items + 1) == nw)
				best = c, most = nw;
		}
		if (best) {
			sh_help_command(ctx, best);
			return 0;
		}
	}
	for (i = 0; i < sh_ncommands; i++) {
		if (!strcmp(sh_commands[i].noun, p->items[0])) {
			if (p->len == 1) {
				sh_help_noun(ctx, p->items[0]);
				return 0;
			}
			char q[MECH_ESCAPE_SIZE];
			mech_error_set(MECH_EUSAGE, "no help for `%s %s`", p->items[0],
				       mech_error_escape(q, p->items[1]));
			return mech_error_hint("see `mech help %s`", p->items[0]);
		}
	}
	{
		char q[MECH_ESCAPE_SIZE];
		mech_error_set(MECH_EUSAGE, "no help for \"%s\"", mech_error_escape(q, p->items[0]));
	}
	return mech_error_hint("run `mech help` for the map");
}
