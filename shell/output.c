/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Output: text for people (aligned tables, colour only on a terminal
 * without NO_COLOR) and exactly one JSON object for programs.
 *
 * Everything printed passes here last, and here text from outside (Git,
 * Argo CD, Kubernetes, directory names) is made harmless, whichever
 * handler put it in: control characters and escape sequences in text are
 * shown as \xNN (mech_escape), and JSON is valid UTF-8 (mech_json_clean).
 * The only escape sequences let through are the colours of the table
 * below, and only while colour is on.
 */
#include "cmd.h"
#include "mech/error.h"
#include "mech/gitops.h"
#include "mech/maint.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sh_printf(sh_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mech_buf_vprintf(&ctx->out, fmt, ap);
	va_end(ap);
}

char *sh_target(const sh_args *a)
{
	const char *in = sh_arg(a, SH_OPT_INSTANCE);
	/* without -i the command acted on the app's only instance: the hint needs none */
	return in ? mech_sprintf("-a %s -i %s", sh_arg(a, SH_OPT_APP), in)
		  : mech_sprintf("-a %s", sh_arg(a, SH_OPT_APP));
}

void sh_next(sh_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	s = mech_vsprintf(fmt, ap);
	va_end(ap);
	mech_strv_push(&ctx->next, s);
	free(s);
}

void sh_warn(sh_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	s = mech_vsprintf(fmt, ap);
	va_end(ap);
	if (!mech_strv_contains(&ctx->warnings, s)) /* once, however often a verb says it */
		mech_strv_push(&ctx->warnings, s);
	free(s);
}

static const struct {
	const char *role, *code;
} colors[] = {
	{"ok", "\033[32m"},    {"warn", "\033[33m"},    {"error", "\033[31m"},
	{"human", "\033[35m"}, {"machine", "\033[36m"}, {"forced", "\033[1;31m"},
	{"dim", "\033[2m"},    {"bold", "\033[1m"},     {"reset", "\033[0m"},
	{"add", "\033[32m"},   {"del", "\033[31m"},     {"hunk", "\033[36m"},
};

/* The length of one of our colours at `s`, or 0. */
static size_t colour_at(const char *s, size_t len)
{
	size_t i, n;
	for (i = 0; i < sizeof(colors) / sizeof(*colors); i++) {
		n = strlen(colors[i].code);
		if (n <= len && !memcmp(s, colors[i].code, n))
			return n;
	}
	return 0;
}

/* Write text to `f` with every control character shown, our colours aside. */
static void write_clean(const sh_ctx *ctx, FILE *f, const char *s, size_t len)
{
	mech_buf b = MECH_BUF_INIT;
	size_t i = 0, from = 0, n;
	int colour = ctx && ctx->color;
	while (i < len) {
		n = colour && s[i] == '\033' ? colour_at(s + i, len - i) : 0;
		if (!n) {
			i++;
			continue;
		}
		mech_escape(&b, s + from, i - from, MECH_ESCAPE_LINES);
		mech_buf_put(&b, s + i, n);
		from = i += n;
	}
	mech_escape(&b, s + from, len - from, MECH_ESCAPE_LINES);
	fwrite(b.ptr ? b.ptr : "", 1, b.len, f);
	mech_buf_dispose(&b);
}

void sh_eprintf(const sh_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	s = mech_vsprintf(fmt, ap);
	va_end(ap);
	write_clean(ctx, stderr, s, strlen(s));
	free(s);
}

/* The one form of a warning on stderr. */
static void print_warning(const sh_ctx *ctx, const char *w)
{
	sh_eprintf(ctx, "mech: warning: %s\n", w);
}

const char *sh_color(const sh_ctx *ctx, const char *role)
{
	size_t i;
	if (!ctx->color)
		return "";
	for (i = 0; i < sizeof(colors) / sizeof(*colors); i++)
		if (!strcmp(colors[i].role, role))
			return colors[i].code;
	return "";
}

static const char *action_name(mech_change_action a)
{
	return a == MECH_CHANGE_CREATE ? "create" : a == MECH_CHANGE_UPDATE ? "update" : "delete";
}

static const char *action_past(mech_change_action a)
{
	return a == MECH_CHANGE_CREATE   ? "created"
	       : a == MECH_CHANGE_UPDATE ? "updated"
					 : "deleted";
}

void sh_write_opts(sh_ctx *ctx, const sh_args *a, mech_write_opts *w)
{
	w->author = &ctx->identity;
	w->force = sh_arg_bool(a, SH_OPT_FORCE);
	w->dry_run = sh_arg_bool(a, SH_OPT_DRY_RUN);
}

int sh_finish_write(sh_ctx *ctx, const sh_args *a, int rc, mech_txn_result *res)
{
	if (rc == 0)
		sh_report_txn(ctx, res, sh_arg_bool(a, SH_OPT_DRY_RUN));
	mech_txn_result_dispose(res);
	return rc;
}

void sh_report_txn(sh_ctx *ctx, const mech_txn_result *res, int dry_run)
{
	size_t i;
	cJSON *plan = NULL;
	sh_table t;

	if (!ctx->files)
		ctx->files = cJSON_CreateArray();
	if (dry_run) {
		plan = cJSON_CreateArray();
		sh_table_init(&t, 5);
		sh_table_add(&t, "PATH", "ACTION", "LAST WRITER", "CLASS", "NEEDS --force");
	}
	for (i = 0; i < res->nchanges; i++) {
		const mech_change *c = &res->changes[i];
		cJSON *f = cJSON_CreateObject();
		char sha[GIT_OID_HEXSZ + 1] = "";
		int has_writer = !git_oid_is_zero(&c->writer.commit);
		if (has_writer)
			git_oid_tostr(sha, sizeof(sha), &c->writer.commit);
		cJSON_AddStringToObject(f, "path", c->path);
		cJSON_AddStringToObject(f, "action", action_name(c->action));
		cJSON_AddItemToArray(ctx->files, f);
		if (dry_run) {
			cJSON *p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "path", c->path);
			cJSON_AddStringToObject(p, "action", action_name(c->action));
			if (has_writer) {
				cJSON_AddStringToObject(p, "last_writer", sha);
				cJSON_AddStringToObject(p, "class", mech_class_name(c->writer.cls));
			} else {
				cJSON_AddNullToObject(p, "last_writer");
				cJSON_AddNullToObject(p, "class");
			}
			cJSON_AddBoolToObject(p, "needs_force", c->needs_force || res->destructive);
			cJSON_AddItemToArray(plan, p);
			sha[has_writer ? 12 : 0] = '\0';
			sh_table_add(&t, c->path, action_name(c->action), has_writer ? sha : "-",
				     has_writer ? mech_class_name(c->writer.cls) : "-",
				     c->needs_force || res->destructive ? "yes" : "no");
		} else if (res->commit[0]) {
			sh_eprintf(ctx, "%s/gitops:%s  %s\n",
				   ctx->tenant_name ? ctx->tenant_name : "", c->path,
				   action_past(c->action));
		}
	}
	for (i = 0; i < res->warnings.len; i++)
		sh_warn(ctx, "%s", res->warnings.items[i]);
	if (!ctx->result)
		ctx->result = cJSON_CreateObject();
	/* did the repository change (with --dry-run: would it)? a retried create says no */
	cJSON_DeleteItemFromObject(ctx->result, "changed");
	cJSON_AddBoolToObject(ctx->result, "changed",
			      dry_run ? res->nchanges > 0 : res->commit[0] != '\0');
	if (dry_run) {
		cJSON_AddBoolToObject(ctx->result, "dry_run", 1);
		cJSON_AddItemToObject(ctx->result, "plan", plan);
		if (res->nchanges)
			sh_table_print(ctx, &t);
		else
			sh_printf(ctx, "nothing to change\n");
		sh_printf(ctx, "dry run: nothing was written\n");
		sh_table_dispose(&t);
		/* the follow-ups a verb suggests are for what it wrote */
		mech_strv_dispose(&ctx->next);
		return;
	}
	if (res->commit[0]) {
		snprintf(ctx->commit, sizeof(ctx->commit), "%s", res->commit);
		ctx->has_commit = 1;
		cJSON_AddStringToObject(ctx->result, "subject", res->subject);
		if (res->nforced) {
			cJSON *fo = cJSON_AddArrayToObject(ctx->result, "forced_over");
			for (i = 0; i < res->nforced; i++) {
				cJSON *o = cJSON_CreateObject();
				cJSON_AddStringToObject(o, "commit", res->forced[i].commit);
				cJSON_AddStringToObject(o, "path", res->forced[i].path);
				cJSON_AddItemToArray(fo, o);
			}
		}
		sh_printf(ctx, "%scommit %.12s%s  %s\n", sh_color(ctx, "bold"), res->commit,
			  sh_color(ctx, "reset"), res->subject);
		for (i = 0; i < res->nforced; i++)
			sh_printf(ctx, "%sforced over%s %.12s  %s\n", sh_color(ctx, "forced"),
				  sh_color(ctx, "reset"), res->forced[i].commit,
				  res->forced[i].path);
	} else {
		sh_printf(ctx, "nothing changed: the repository already has this state\n");
	}
}

static cJSON *error_json(const mech_error *e)
{
	cJSON *err = cJSON_CreateObject();
	size_t i;
	mech_error_code code = e ? e->code : MECH_EFAILED;
	cJSON_AddStringToObject(err, "code", mech_error_name(code));
	cJSON_AddNumberToObject(err, "exit", mech_error_exit(code));
	cJSON_AddStringToObject(err, "message", e && e->message ? e->message : "failed");
	if (e && e->hint)
		cJSON_AddStringToObject(err, "hint", e->hint);
	else
		cJSON_AddNullToObject(err, "hint");
	if (e && e->nconflicts) {
		cJSON *arr = cJSON_AddArrayToObject(err, "conflicts");
		for (i = 0; i < e->nconflicts; i++) {
			cJSON *c = cJSON_CreateObject();
			cJSON_AddStringToObject(c, "path", e->conflicts[i].path);
			cJSON_AddStringToObject(c, "commit", e->conflicts[i].commit);
			cJSON_AddStringToObject(c, "author", e->conflicts[i].author);
			cJSON_AddStringToObject(c, "date", e->conflicts[i].date);
			cJSON_AddStringToObject(c, "subject", e->conflicts[i].subject);
			cJSON_AddItemToArray(arr, c);
		}
	}
	return err;
}

static void print_error_text(sh_ctx *ctx, const mech_error *e)
{
	size_t i;
	const char *red = isatty(2) && ctx->color ? "\033[31m" : "";
	const char *reset = *red ? "\033[0m" : "";
	sh_eprintf(ctx, "%smech: %s%s\n", red, e && e->message ? e->message : "failed", reset);
	for (i = 0; e && i < e->nconflicts; i++)
		sh_eprintf(ctx, "  conflict: %s  last changed by %s  %s  %s  \"%s\"\n",
			   e->conflicts[i].path, e->conflicts[i].commit, e->conflicts[i].author,
			   e->conflicts[i].date, e->conflicts[i].subject);
	if (e && e->hint)
		sh_eprintf(ctx, "  hint: %s\n", e->hint);
}

/*
 * Where a raw result goes in the envelope cJSON prints: a control byte,
 * which cJSON escapes in every string, so it is met nowhere else.
 */
#define RAW_MARK '\001'
#define RAW_MARK_TEXT "\001"

static int print_outcome(sh_ctx *ctx, int rc)
{
	const mech_error *e = mech_error_last();
	int code = 0;
	size_t i;

	if (rc < 0)
		code = mech_error_exit(e ? e->code : MECH_EFAILED);
	else if (ctx->exit_override)
		code = ctx->exit_override;
	if (ctx->quiet && rc >= 0)
		return code;
	for (i = 0; i < ctx->warnings.len; i++)
		print_warning(ctx, ctx->warnings.items[i]);
	if (ctx->json) {
		cJSON *o = cJSON_CreateObject(), *raw = NULL;
		char *s;
		if (cJSON_IsRaw(ctx->result)) {
			raw = ctx->result;
			ctx->result = cJSON_CreateRaw(RAW_MARK_TEXT);
			if (!ctx->result)
				mech_fatal("out of memory (printing JSON)");
		}
		cJSON_AddBoolToObject(o, "ok", rc >= 0 && !ctx->exit_override);
		cJSON_AddStringToObject(o, "command", ctx->cmd ? ctx->cmd->id : "mech");
		if (ctx->tenant_name)
			cJSON_AddStringToObject(o, "tenant", ctx->tenant_name);
		else
			cJSON_AddNullToObject(o, "tenant");
		if (rc < 0)
			cJSON_AddItemToObject(o, "error", error_json(e));
		if (rc < 0 && ctx->failed_result) {
			/* a failed wait: what it saw, and what to run next */
			cJSON *next = cJSON_AddArrayToObject(o, "next");
			cJSON_AddItemToObject(o, "result",
					      ctx->result ? ctx->result : cJSON_CreateObject());
			ctx->result = NULL;
			for (i = 0; i < ctx->next.len; i++)
				cJSON_AddItemToArray(next, cJSON_CreateString(ctx->next.items[i]));
			cJSON_DetachItemFromObject(o, "next");
			cJSON_AddItemToObject(o, "next", next);
		} else if (rc >= 0) {
			cJSON *next = cJSON_AddArrayToObject(o, "next");
			cJSON_AddItemToObject(o, "result",
					      ctx->result ? ctx->result : cJSON_CreateObject());
			ctx->result = NULL;
			if (ctx->has_commit)
				cJSON_AddStringToObject(o, "commit", ctx->commit);
			else
				cJSON_AddNullToObject(o, "commit");
			cJSON_AddItemToObject(o, "files",
					      ctx->files ? ctx->files : cJSON_CreateArray());
			ctx->files = NULL;
			for (i = 0; i < ctx->next.len; i++)
				cJSON_AddItemToArray(next, cJSON_CreateString(ctx->next.items[i]));
			cJSON_DetachItemFromObject(o, "next");
			cJSON_AddItemToObject(o, "next", next);
		}
		/* only when there are any: a program tests for the key */
		if (ctx->warnings.len) {
			cJSON *w = cJSON_AddArrayToObject(o, "warnings");
			for (i = 0; i < ctx->warnings.len; i++)
				cJSON_AddItemToArray(w, cJSON_CreateString(ctx->warnings.items[i]));
		}
		s = cJSON_PrintUnformatted(o);
		if (!s)
			mech_fatal("out of memory (printing JSON)");
		/* a raw result (app list's 8 MB) is written in its place, not printed into s */
		if (raw && strchr(s, RAW_MARK)) {
			const char *at = strchr(s, RAW_MARK);
			mech_json_clean_write(stdout, s, (size_t)(at - s));
			mech_json_clean_write(stdout, raw->valuestring, strlen(raw->valuestring));
			mech_json_clean_write(stdout, at + 1, strlen(at + 1));
		} else {
			mech_json_clean_write(stdout, s, strlen(s));
		}
		fputc('\n', stdout);
		free(s);
		cJSON_Delete(raw);
		cJSON_Delete(o);
	} else {
		if ((rc >= 0 || ctx->failed_result) && ctx->next.len) {
			sh_printf(ctx, "%snext:%s", sh_color(ctx, "dim"), sh_color(ctx, "reset"));
			for (i = 0; i < ctx->next.len; i++)
				sh_printf(ctx, "%s%s", i ? "\n      " : " ", ctx->next.items[i]);
			sh_printf(ctx, "\n");
		}
		write_clean(ctx, stdout, mech_buf_cstr(&ctx->out), ctx->out.len);
		if (rc < 0)
			print_error_text(ctx, e);
	}
	fflush(stdout);
	return code;
}

void sh_table_init(sh_table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

void sh_table_add(sh_table *t, ...)
{
	va_list ap;
	size_t i;
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++) {
		const char *s = va_arg(ap, const char *);
		/* escaped before the columns are measured, so they stay aligned */
		mech_buf cell = MECH_BUF_INIT;
		mech_escape(&cell, s, s ? strlen(s) : 0, 0);
		mech_strv_push(&t->cells, mech_buf_cstr(&cell));
		mech_buf_dispose(&cell);
	}
	va_end(ap);
}

static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80; /* count UTF-8 code points */
	return w;
}

void sh_table_print(sh_ctx *ctx, sh_table *t)
{
	size_t *w = mech_calloc(t->ncols, sizeof(*w));
	size_t rows = t->ncols ? t->cells.len / t->ncols : 0, r, c;
	for (r = 0; r < rows; r++)
		for (c = 0; c < t->ncols; c++)
			if (width(t->cells.items[r * t->ncols + c]) > w[c])
				w[c] = width(t->cells.items[r * t->ncols + c]);
	for (r = 0; r < rows; r++) {
		for (c = 0; c < t->ncols; c++) {
			const char *cell = t->cells.items[r * t->ncols + c];
			if (r == 0)
				sh_printf(ctx, "%s", sh_color(ctx, "bold"));
			if (c + 1 == t->ncols)
				sh_printf(ctx, "%s", cell);
			else
				sh_printf(ctx, "%s%*s  ", cell, (int)(w[c] - width(cell)), "");
			if (r == 0)
				sh_printf(ctx, "%s", sh_color(ctx, "reset"));
		}
		/* no trailing spaces */
		while (ctx->out.len && ctx->out.ptr[ctx->out.len - 1] == ' ')
			ctx->out.ptr[--ctx->out.len] = '\0';
		sh_printf(ctx, "\n");
	}
	free(w);
}

void sh_table_dispose(sh_table *t)
{
	mech_strv_dispose(&t->cells);
}

int sh_finish(sh_ctx *ctx, int rc)
{
	int code = print_outcome(ctx, rc);
	mech_strv warnings = MECH_STRV_INIT;
	size_t i;
	/* the answer is out: packs this command's writes left are merged now */
	mech_maint_run(&warnings);
	for (i = 0; i < warnings.len; i++)
		print_warning(ctx, warnings.items[i]);
	mech_strv_dispose(&warnings);
	return code;
}
