/*
 * The `:` prompt: a mech command runs through sh_run — the same table,
 * policies (--readonly included) and core path as `mech <command>` — with
 * its output captured and shown, and its receipt one Enter away.
 * Commands that delete ask first; cancel is the default.
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
		if (c->flags & (SH_RAW | SH_HIDDEN))
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

/* Run argv with stdout and stderr going to a temp file; returns the exit code. */
static int capture(struct tui *t, mech_strv *w, mech_buf *out, char *commit, size_t commit_len)
{
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
	sub.tenant_flag = t->data.tenant;
	sub.readonly = t->readonly;
	sub.color = 0;
	sub.tty = 0;
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

static void receipt_lines(struct tui *t, tui_view *v, const char *commit)
{
	mech_log_opts o = {NULL, MECH_CLASS_NONE, 1, commit};
	mech_log_entry *e = NULL;
	size_t n = 0, i;
	tui_line *l;
	if (mech_history_log(t->data.repo, &o, &e, &n) < 0 || n == 0) {
		mech_error_clear();
		tui_view_text(v, TUI_AREA_LABEL, "receipt %s", commit);
		return;
	}
	l = tui_view_add(v, TUI_LINE_TEXT, e[0].commit);
	tui_line_cell(l, TUI_AREA_LABEL, "receipt %.12s ", e[0].commit);
	tui_line_cell(l, tui_class_area(e[0].cls), "[%s]", mech_class_name(e[0].cls));
	tui_line_cell(l, TUI_AREA_DEFAULT, " %s", e[0].subject);
	for (i = 0; i < e[0].nforced; i++)
		tui_view_text(v, TUI_AREA_FORCED, "  forced over %.12s %s", e[0].forced[i].commit,
		              e[0].forced[i].path);
	tui_view_text(v, TUI_AREA_DIM, "Enter opens the receipt; Esc goes back");
	mech_log_entries_free(e, n);
}

void tui_run_command(struct tui *t, const char *line)
{
	mech_strv w = MECH_STRV_INIT;
	mech_buf out = MECH_BUF_INIT;
	char commit[64], *title;
	const char *why, *p;
	tui_view *v;
	int code;

	if (mech_sshcmd_split(line, &w) < 0 || !w.len) {
		tui_message(t, 1, "%s",
		            mech_error_last() ? mech_error_last()->message : "empty command");
		mech_error_clear();
		mech_strv_dispose(&w);
		return;
	}
	if (!strcmp(w.items[0], "mech")) {
		free(w.items[0]);
		memmove(w.items, w.items + 1, (w.len - 1) * sizeof(*w.items));
		w.len--;
	}
	if (!w.len) {
		mech_strv_dispose(&w);
		return;
	}
	if ((why = refused(w.items[0]))) {
		tui_message(t, 1, "`%s` %s", w.items[0], why);
		mech_strv_dispose(&w);
		return;
	}
	if (destructive(&w) && !t->readonly && (!t->pending || strcmp(t->pending, line))) {
		free(t->pending);
		t->pending = mech_strdup(line);
		t->mode = TUI_MODE_CONFIRM;
		t->dirty = 1;
		mech_strv_dispose(&w);
		return;
	}
	free(t->pending);
	t->pending = NULL;
	code = capture(t, &w, &out, commit, sizeof(commit));
	title = mech_sprintf("$ mech %s", line);
	v = tui_text_view(title);
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
	if (*commit) {
		tui_data_git_poll(&t->data, 0);
		receipt_lines(t, v, commit);
	}
	tui_push(t, v);
	tui_message(t, code != 0, "`%s` exited %d%s", line, code,
	            *commit ? ", receipt written" : "");
	mech_strv_dispose(&w);
	mech_buf_dispose(&out);
	/* whatever it wrote shows in every view now */
	if (tui_data_git_poll(&t->data, 0)) {
		int i;
		for (i = 0; i < 5; i++)
			tui_view_reload(t, t->top[i]);
	}
}

void tui_confirm_key(struct tui *t, int key)
{
	char *line = t->pending;
	t->mode = TUI_MODE_NORMAL;
	t->dirty = 1;
	if (key != 'y' && key != 'Y') {
		free(t->pending);
		t->pending = NULL;
		tui_message(t, 0, "cancelled: nothing was run");
		return;
	}
	/* pending equal to the line marks it confirmed */
	line = mech_strdup(t->pending);
	tui_run_command(t, line);
	free(line);
}
