/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The `:` prompt: a mech command runs through sh_run — the same table,
 * policies (--readonly included) and core path as `mech <command>` — with
 * its output captured and shown, and its receipt one Enter away.
 * Commands that delete ask first; cancel is the default; a --dry-run,
 * which writes nothing, never asks. Over SSH a
 * command runs as the session does: the key's tenant and identity, no
 * --home or --tenant, no operator commands. In operator mode a command
 * runs as the tenant it names (--tenant T) or else as the selected row's,
 * and one that writes without naming its tenant asks first, naming it.
 */
#include "tui.h"

#include "cmd.h"
#include "mech/error.h"
#include "mech/sshcmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_OUTPUT (256 * 1024)

/* Commands that make no sense inside the console (terminal or server). */
static const char *refused(const char *noun)
{
	size_t i;
	for (i = 0; i < sh_ncommands; i++) {
		const sh_command *c = &sh_commands[i];
		if (strcmp(c->noun, noun))
			continue;
		if (c->flags & SH_TTY)
			return "needs its own terminal";
		if (c->flags & (SH_SERVER | SH_HIDDEN))
			return "does not run inside the console";
	}
	return NULL;
}

static int destructive(const mech_strv *w)
{
	size_t i;
	for (i = 1; i < w->len; i++)
		if (!strcmp(w->items[i], "delete") || !strcmp(w->items[i], "remove"))
			return 1;
	return 0;
}

/*
 * The command a line runs (NULL when it does not parse: sh_run says why),
 * the tenant it names with --tenant, before or after the noun (caller
 * frees), and whether it is a --dry-run (it writes nothing).
 */
static const sh_command *command_of(const mech_strv *w, char **named, int *dry_run)
{
	const sh_command *cmd = NULL;
	sh_args args;
	sh_ctx scratch;
	size_t at = 0;

	*named = NULL;
	*dry_run = 0;
	/* leading global flags, as sh_run takes them */
	while (at < w->len && w->items[at][0] == '-') {
		const char *f = w->items[at++];
		int takes = !strcmp(f, "--tenant") || !strcmp(f, "--home");
		if (!strncmp(f, "--tenant=", 9)) {
			free(*named);
			*named = mech_strdup(f + 9);
		} else if (!strcmp(f, "--tenant") && at < w->len) {
			free(*named);
			*named = mech_strdup(w->items[at]);
		}
		at += takes && at < w->len;
	}
	if (at >= w->len)
		return NULL;
	memset(&args, 0, sizeof(args));
	sh_ctx_init(&scratch);
	if (sh_parse((int)(w->len - at), w->items + at, &cmd, &args, &scratch) != 0) {
		cmd = NULL;
	} else {
		size_t i;
		for (i = 0; i < args.nflags; i++) /* only writes take --dry-run */
			if (args.flags[i]->opt == SH_OPT_DRY_RUN)
				*dry_run = sh_arg_bool(&args, SH_OPT_DRY_RUN);
		if (sh_arg(&args, SH_OPT_TENANT)) {
			free(*named);
			*named = mech_strdup(sh_arg(&args, SH_OPT_TENANT));
		}
	}
	sh_args_dispose(&args);
	mech_error_clear();
	return cmd;
}

/* Operator mode: the tenant of the selected row, or of the drill-down shown. */
static tui_tenant *row_tenant(struct tui *t)
{
	tui_view *v;
	for (v = t->view; v; v = v->prev) {
		const tui_line *l = tui_view_selected(v);
		if (l && l->tenant)
			return l->tenant;
		if (v->tenant)
			return v->tenant;
	}
	return NULL;
}

/* Run argv with stdout and stderr going to a temp file; returns the exit code. */
static int capture(struct tui *t, const char *tenant, mech_strv *w, mech_buf *out, char *commit,
		   size_t commit_len)
{
	const sh_ctx *ctx = t->ctx;
	sh_ctx sub;
	FILE *cap = tmpfile();
	int saved_out, saved_err, code;

	commit[0] = '\0';
	if (!cap) {
		mech_buf_puts(out, "mech console: cannot create a temporary file for the output\n");
		return 1;
	}
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(1);
	saved_err = dup(2);
	dup2(fileno(cap), 1);
	dup2(fileno(cap), 2);
	sh_ctx_init(&sub);
	sub.home = mech_strdup(t->home);
	sub.tenant_flag = tenant;
	sub.readonly = t->readonly;
	sub.color = 0;
	sub.tty = 0;
	if (ctx->via_ssh) {
		/* the session's tenant and identity, borrowed: a reset keeps them */
		sub.via_ssh = 1;
		sub.tenant = ctx->tenant;
		sub.tenant_name = ctx->tenant_name;
		sub.identity = ctx->identity;
		sub.key_fingerprint = ctx->key_fingerprint;
	}
	code = sh_run((int)w->len, w->items, &sub);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	if (sub.has_commit)
		snprintf(commit, commit_len, "%s", sub.commit);
	sh_ctx_reset(&sub);
	mech_error_clear();
	rewind(cap);
	{
		char buf[4096];
		size_t n;
		while ((n = fread(buf, 1, sizeof(buf), cap)) > 0 && out->len < MAX_OUTPUT)
			mech_buf_put(out, buf, n);
	}
	fclose(cap);
	return code;
}

static const char *exit_meaning(int code)
{
	int c;
	for (c = 0; c < MECH_E__COUNT; c++)
		if (mech_error_exit((mech_error_code)c) == code)
			return mech_error_describe((mech_error_code)c);
	return "exit";
}

static void receipt_lines(tui_tenant *tn, tui_view *v, const char *commit)
{
	mech_log_opts o = {NULL, MECH_CLASS_NONE, 1, commit};
	mech_log_entry *e = NULL;
	size_t n = 0, i;
	tui_line *l;
	if (!tn || !tn->repo || mech_history_walk(tn->repo, &o, &e, &n) < 0 || n == 0) {
		mech_error_clear();
		tui_view_text(v, TUI_AREA_LABEL, "receipt %s", commit);
		return;
	}
	l = tui_view_add(v, TUI_LINE_TEXT, e[0].commit);
	l->tenant = tn;
	tui_line_cell(l, TUI_AREA_LABEL, "receipt %.12s ", e[0].commit);
	tui_line_cell(l, tui_class_area(e[0].cls), "[%s]", mech_class_name(e[0].cls));
	tui_line_cell(l, TUI_AREA_DEFAULT, " %s", e[0].subject);
	for (i = 0; i < e[0].nforced; i++)
		tui_view_text(v, TUI_AREA_FORCED, "  forced over %.12s %s", e[0].forced[i].commit,
			      e[0].forced[i].path);
	tui_view_text(v, TUI_AREA_DIM, "Enter opens the receipt; Esc goes back");
	mech_log_entries_free(e, n);
}

/* A command line, as the tenant `as` when given (a key's write: asked already). The exit code, -1 if
 * nothing ran. */
static int run_line(struct tui *t, const char *line, tui_tenant *as)
{
	mech_strv w = MECH_STRV_INIT;
	mech_buf out = MECH_BUF_INIT;
	char commit[64], *title, *named = NULL;
	const char *why, *p, *ask = NULL;
	const sh_command *cmd;
	tui_tenant *tn;
	tui_view *v;
	int code = -1, confirmed, dry_run;

	if (mech_sshcmd_split(line, &w) < 0 || !w.len) {
		tui_message(t, 1, "%s",
			    mech_error_last() ? mech_error_last()->message : "empty command");
		mech_error_clear();
		mech_strv_dispose(&w);
		return -1;
	}
	if (!strcmp(w.items[0], "mech")) {
		free(w.items[0]);
		memmove(w.items, w.items + 1, (w.len - 1) * sizeof(*w.items));
		w.len--;
	}
	if (!w.len) {
		mech_strv_dispose(&w);
		return -1;
	}
	if ((why = refused(w.items[0]))) {
		tui_message(t, 1, "`%s` %s", w.items[0], why);
		mech_strv_dispose(&w);
		return -1;
	}
	/* whose: the session's tenant; in operator mode the named one, else the row's */
	confirmed = as || (t->pending && !strcmp(t->pending, line));
	cmd = command_of(&w, &named, &dry_run);
	if (as)
		tn = as;
	else if (!t->data.all_tenants)
		tn = named ? tui_data_tenant(&t->data, named) : t->data.tenants[0];
	else if (confirmed)
		tn = t->pending_tenant;
	else
		tn = named ? tui_data_tenant(&t->data, named) : row_tenant(t);
	if (t->data.all_tenants && !named && !tn && cmd && (cmd->flags & SH_TENANT)) {
		tui_message(t, 1, "which tenant? select one of its rows, or add --tenant T");
		goto done;
	}
	if (dry_run)
		ask = NULL; /* it only shows what it would do */
	else if (destructive(&w))
		ask = "It deletes.";
	else if (t->data.all_tenants && !named && cmd && (cmd->flags & SH_MUTATES))
		ask = "It writes.";
	if (ask && !t->readonly && !confirmed) {
		free(t->pending);
		t->pending = mech_strdup(line);
		t->pending_tenant = t->data.all_tenants ? tn : NULL;
		t->pending_why = ask;
		t->mode = TUI_MODE_CONFIRM;
		t->dirty = 1;
		goto done;
	}
	free(t->pending);
	t->pending = NULL;
	t->pending_tenant = NULL;
	code = capture(t, named ? NULL : tn ? tn->name : NULL, &w, &out, commit, sizeof(commit));
	title = t->data.all_tenants && tn && !named
			? mech_sprintf("$ mech --tenant %s %s", tn->name, line)
			: mech_sprintf("$ mech %s", line);
	v = tui_text_view(title);
	v->tenant = tn;
	free(title);
	for (p = mech_buf_cstr(&out); *p;) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		tui_view_text(v, !strncmp(p, "mech: ", 6) ? TUI_AREA_ERROR : TUI_AREA_DEFAULT,
			      "%.*s", (int)n, p);
		p = end ? end + 1 : p + n;
	}
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	tui_view_text(v, code ? TUI_AREA_ERROR : TUI_AREA_SYNCED, "exit %d (%s)", code,
		      exit_meaning(code));
	/* whatever it wrote shows in every view as it is shown again */
	tui_data_git_poll(&t->data, 0);
	if (*commit)
		receipt_lines(tn, v, commit);
	tui_push(t, v);
	if (*commit)
		tui_message(t, code != 0, "receipt %.12s written; `%s` exited %d", commit, line,
			    code);
	else
		tui_message(t, code != 0, "`%s` exited %d", line, code);
	mech_buf_dispose(&out);
done:
	free(named);
	mech_strv_dispose(&w);
	return code;
}

void tui_run_command(struct tui *t, const char *line)
{
	run_line(t, line, NULL);
}

void tui_plan_and_ask(struct tui *t, tui_tenant *tn, const char *line, const char *why)
{
	char *dry = mech_sprintf("%s --dry-run", line);
	int code = run_line(t, dry, tn);
	free(dry);
	if (code != 0)
		return; /* the plan's output says why; nothing to ask */
	free(t->pending);
	t->pending = mech_strdup(line);
	t->pending_tenant = t->data.all_tenants ? tn : NULL;
	t->pending_why = why;
	t->mode = TUI_MODE_CONFIRM;
	t->dirty = 1;
}

/* The plan of `line` (its --dry-run output, shown while asking) has served once it runs. */
static void drop_plan(struct tui *t, const char *line)
{
	tui_view *v = t->view;
	const char *p = v->title ? strstr(v->title, line) : NULL;
	if (!v->prev || v->ops != &tui_text_ops || !p || strcmp(p + strlen(line), " --dry-run"))
		return;
	t->view = v->prev;
	tui_view_free(v);
}

void tui_confirm_key(struct tui *t, int key)
{
	char *line = t->pending;
	t->mode = TUI_MODE_NORMAL;
	t->dirty = 1;
	if (key != 'y' && key != 'Y') {
		free(t->pending);
		t->pending = NULL;
		t->pending_tenant = NULL;
		tui_message(t, 0, "cancelled: nothing was run");
		return;
	}
	/* pending equal to the line marks it confirmed */
	line = mech_strdup(t->pending);
	drop_plan(t, line);
	tui_run_command(t, line);
	free(line);
}
