/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Commit detail: message, trailers, files and the coloured diff, with hunk
 * navigation. For a forced overwrite it shows the forced receipt and then
 * each human commit it overrode, both with their diffs.
 */
#include "tui.h"

#include "mech/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	char **shas;
	size_t n;
	int at_diff;
} commit_priv;

static void message_lines(tui_view *v, const char *msg)
{
	const char *p = msg;
	while (p && *p) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		tui_area area = TUI_AREA_DEFAULT;
		if (!strncmp(p, "Mechanics-Forced-Over:", 22))
			area = TUI_AREA_FORCED;
		else if (!strncmp(p, "Mechanics-", 10))
			area = TUI_AREA_LABEL;
		tui_view_text(v, area, "    %.*s", (int)n, p);
		p = end ? end + 1 : p + n;
	}
}

static void one_commit(tui_tenant *tn, tui_view *v, const char *sha, const char *heading)
{
	mech_log_entry e;
	mech_file_change *files = NULL;
	size_t nfiles = 0, i;
	mech_buf diff = MECH_BUF_INIT;
	tui_line *l;

	memset(&e, 0, sizeof(e));
	if (heading) {
		l = tui_view_add(v, TUI_LINE_TITLE, NULL);
		tui_line_cell(l, TUI_AREA_TITLE, "%s", heading);
	}
	if (!tn->repo || mech_history_show(tn->repo, sha, &e, &files, &nfiles, &diff) < 0) {
		const mech_error *err = mech_error_last();
		tui_view_text(v, TUI_AREA_ERROR, "%s: %s", sha,
			      err && err->message ? err->message : "cannot read the commit");
		mech_error_clear();
		mech_buf_dispose(&diff);
		return;
	}
	l = tui_view_add(v, TUI_LINE_TEXT, e.commit);
	tui_line_cell(l, TUI_AREA_TITLE, "commit %s  ", e.commit);
	tui_line_cell(l, tui_class_area(e.cls), "[%s]", mech_class_name(e.cls));
	if (e.verb)
		tui_line_cell(l, TUI_AREA_DEFAULT, "  %s %s", e.verb, e.target ? e.target : "");
	l = tui_view_add(v, TUI_LINE_TEXT, NULL);
	tui_line_cell(l, TUI_AREA_LABEL, "Author:    ");
	tui_line_cell(l, TUI_AREA_DEFAULT, "%s", e.author);
	l = tui_view_add(v, TUI_LINE_TEXT, NULL);
	tui_line_cell(l, TUI_AREA_LABEL, "Committer: ");
	tui_line_cell(l, TUI_AREA_DEFAULT, "%s", e.committer);
	l = tui_view_add(v, TUI_LINE_TEXT, NULL);
	tui_line_cell(l, TUI_AREA_LABEL, "Date:      ");
	tui_line_cell(l, TUI_AREA_DEFAULT, "%s", e.date);
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	message_lines(v, e.message);
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	tui_view_text(v, TUI_AREA_TITLE, "Files (%zu)", nfiles);
	for (i = 0; i < nfiles; i++)
		tui_view_text(v,
			      files[i].status == 'A'   ? TUI_AREA_DIFF_ADD
			      : files[i].status == 'D' ? TUI_AREA_DIFF_DEL
						       : TUI_AREA_DEFAULT,
			      "  %c %s", files[i].status, files[i].path);
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	tui_view_diff(v, mech_buf_cstr(&diff));
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	mech_log_entry_dispose(&e);
	mech_file_changes_free(files, nfiles);
	mech_buf_dispose(&diff);
}

static int load(struct tui *t, tui_view *v)
{
	commit_priv *p = v->priv;
	size_t i;
	(void)t;
	for (i = 0; i < p->n; i++) {
		char heading[160];
		if (p->n == 1) {
			one_commit(v->tenant, v, p->shas[i], NULL);
			continue;
		}
		if (i == 0)
			snprintf(heading, sizeof(heading),
				 "━━ FORCED WRITE %.12s ━━ overrode %zu human commit%s, shown below",
				 p->shas[0], p->n - 1, p->n == 2 ? "" : "s");
		else
			snprintf(heading, sizeof(heading),
				 "━━ HUMAN COMMIT %.12s ━━ overridden by %.12s", p->shas[i],
				 p->shas[0]);
		one_commit(v->tenant, v, p->shas[i], heading);
	}
	return 0;
}

static size_t top_line(const tui_view *v)
{
	return v->nvis && v->cursor < v->nvis ? v->vis[v->cursor] : 0;
}

static void jump_diff(tui_view *v)
{
	size_t i;
	for (i = top_line(v) + 1; i < v->nlines; i++) {
		if (v->lines[i].ncells && !strncmp(v->lines[i].cells[0].text, "diff --git", 10)) {
			tui_view_goto_line(v, i);
			return;
		}
	}
}

static tui_action request(struct tui *t, tui_view *v, tui_action a)
{
	size_t cur = top_line(v), i;
	(void)t;
	switch (a) {
	case TUI_ACT_NEXT_HUNK:
		for (i = cur + 1; i < v->nlines; i++)
			if (v->lines[i].kind == TUI_LINE_HUNK) {
				tui_view_goto_line(v, i);
				return TUI_ACT_NONE;
			}
		tui_message(t, 0, "no next hunk");
		return TUI_ACT_NONE;
	case TUI_ACT_PREV_HUNK:
		for (i = cur; i-- > 0;)
			if (v->lines[i].kind == TUI_LINE_HUNK) {
				tui_view_goto_line(v, i);
				return TUI_ACT_NONE;
			}
		tui_message(t, 0, "no previous hunk");
		return TUI_ACT_NONE;
	case TUI_ACT_DIFF:
		jump_diff(v);
		return TUI_ACT_NONE;
	default:
		return a;
	}
}

static void summary(struct tui *t, tui_view *v, mech_buf *out)
{
	size_t i, hunks = 0, at = 0, cur = top_line(v);
	(void)t;
	for (i = 0; i < v->nlines; i++) {
		if (v->lines[i].kind == TUI_LINE_HUNK) {
			hunks++;
			if (i <= cur)
				at = hunks;
		}
	}
	mech_buf_printf(out, "hunk %zu of %zu │ ] next, [ previous, / search, d diff, Esc back", at,
			hunks);
}

static void done(tui_view *v)
{
	commit_priv *p = v->priv;
	size_t i;
	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		free(p->shas[i]);
	free(p->shas);
	free(p);
}

const struct tui_view_ops tui_commit_ops = {
	"commit", "diff", load, NULL, request, summary, done, 0,
};

tui_view *tui_commit_view(struct tui *t, tui_tenant *tn, const char *const *shas, size_t n,
			  int at_diff)
{
	tui_view *v = tui_view_new(&tui_commit_ops, NULL, 0, 0);
	commit_priv *p = mech_calloc(1, sizeof(*p));
	const char *who = t->data.all_tenants ? tn->name : "";
	const char *sep = t->data.all_tenants ? " " : "";
	size_t i;
	p->shas = mech_calloc(n, sizeof(*p->shas));
	for (i = 0; i < n; i++)
		p->shas[i] = mech_strdup(shas[i]);
	p->n = n;
	v->priv = p;
	v->tenant = tn;
	v->title = n > 1 ? mech_sprintf("%s%sforced %.8s + %zu human", who, sep, shas[0], n - 1)
			 : mech_sprintf("%s%scommit %.8s", who, sep, shas[0]);
	tui_view_reload(t, v);
	if (at_diff)
		jump_diff(v);
	return v;
}
