/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Views: lines of cells, the filter, the cursor. What a view shows comes
 * from its ops->load; moving, filtering and keeping the selection across
 * reloads is the same for every view and lives here.
 */
#include "tui.h"

#include "mech/buf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

tui_view *tui_view_new(const struct tui_view_ops *ops, const tui_column *cols, size_t ncols,
		       int selectable)
{
	tui_view *v = mech_calloc(1, sizeof(*v));
	v->ops = ops;
	v->cols = cols;
	v->ncols = ncols;
	v->selectable = selectable;
	return v;
}

tui_view *tui_view_table(struct tui *t, const struct tui_view_ops *ops, const tui_column *cols,
			 size_t ncols)
{
	int all = t->data.all_tenants;
	return tui_view_new(ops, all ? cols : cols + 1, all ? ncols : ncols - 1, 1);
}

tui_line *tui_view_row(struct tui *t, tui_view *v, struct tui_tenant *tn, const char *key)
{
	tui_line *l = tui_view_add(v, TUI_LINE_ROW, key);
	l->tenant = tn;
	if (t->data.all_tenants)
		tui_line_cell(l, TUI_AREA_LABEL, "%s", tn->name);
	return l;
}

tui_line *tui_view_add(tui_view *v, tui_line_kind kind, const char *key)
{
	tui_line *l;
	if (v->nlines == v->cap) {
		v->cap = mech_grow_cap(v->cap, v->nlines + 1, 64, sizeof(*v->lines));
		v->lines = mech_reallocarray(v->lines, v->cap, sizeof(*v->lines));
	}
	l = &v->lines[v->nlines++];
	v->gen++;
	memset(l, 0, sizeof(*l));
	l->kind = kind;
	l->key = key ? mech_strdup(key) : NULL;
	return l;
}

void tui_line_cell(tui_line *l, tui_area area, const char *fmt, ...)
{
	va_list ap;
	mech_buf b = MECH_BUF_INIT;
	char *p;
	va_start(ap, fmt);
	mech_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	l->cells = mech_reallocarray(l->cells, l->ncells + 1, sizeof(*l->cells));
	/* control characters from outside (commit messages, YAML) never reach the terminal */
	for (p = b.ptr; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = *p == '\t' ? ' ' : '?';
	l->cells[l->ncells].text = b.ptr ? mech_buf_detach(&b) : mech_strdup("");
	l->cells[l->ncells].area = area;
	l->ncells++;
}

tui_line *tui_view_text(tui_view *v, tui_area area, const char *fmt, ...)
{
	va_list ap;
	mech_buf b = MECH_BUF_INIT;
	tui_line *l = tui_view_add(v, TUI_LINE_TEXT, NULL);
	va_start(ap, fmt);
	mech_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	tui_line_cell(l, area, "%s", mech_buf_cstr(&b));
	mech_buf_dispose(&b);
	return l;
}

void tui_view_diff(tui_view *v, const char *diff)
{
	const char *p = diff;
	while (p && *p) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		tui_area area = TUI_AREA_DEFAULT;
		tui_line *l;
		if (!strncmp(p, "@@", 2))
			area = TUI_AREA_DIFF_HUNK;
		else if (!strncmp(p, "diff ", 5) || !strncmp(p, "+++", 3) ||
			 !strncmp(p, "---", 3) || !strncmp(p, "index ", 6) ||
			 !strncmp(p, "new file", 8) || !strncmp(p, "deleted file", 12))
			area = TUI_AREA_DIFF_HEADER;
		else if (*p == '+')
			area = TUI_AREA_DIFF_ADD;
		else if (*p == '-')
			area = TUI_AREA_DIFF_DEL;
		l = tui_view_add(v, area == TUI_AREA_DIFF_HUNK ? TUI_LINE_HUNK : TUI_LINE_TEXT,
				 NULL);
		tui_line_cell(l, area, "%.*s", (int)n, p);
		p = end ? end + 1 : p + n;
	}
}

static void line_dispose(tui_line *l)
{
	size_t i;
	for (i = 0; i < l->ncells; i++)
		free(l->cells[i].text);
	free(l->cells);
	free(l->key);
	free(l->key2);
}

void tui_view_clear(tui_view *v)
{
	size_t i;
	for (i = 0; i < v->nlines; i++)
		line_dispose(&v->lines[i]);
	v->nlines = 0;
	v->nvis = 0;
	v->gen++;
}

void tui_view_free(tui_view *v)
{
	if (!v)
		return;
	if (v->ops->done)
		v->ops->done(v);
	tui_view_clear(v);
	free(v->lines);
	free(v->vis);
	free(v->natw);
	free(v->filter);
	free(v->title);
	free(v);
}

static int line_matches(const tui_line *l, const char *filter)
{
	size_t i, fl = strlen(filter);
	if (l->kind != TUI_LINE_ROW && l->kind != TUI_LINE_TEXT && l->kind != TUI_LINE_HUNK)
		return 0;
	for (i = 0; i < l->ncells; i++) {
		const char *s = l->cells[i].text;
		for (; *s; s++)
			if (!strncasecmp(s, filter, fl))
				return 1;
	}
	return 0;
}

void tui_view_refilter(tui_view *v)
{
	size_t i;
	v->vis = mech_reallocarray(v->vis, v->nlines + 1, sizeof(*v->vis));
	v->nvis = 0;
	for (i = 0; i < v->nlines; i++)
		if (!v->filter || !*v->filter || line_matches(&v->lines[i], v->filter))
			v->vis[v->nvis++] = i;
	if (v->cursor >= v->nvis)
		v->cursor = v->nvis ? v->nvis - 1 : 0;
	if (v->top > v->cursor)
		v->top = v->cursor;
}

const tui_line *tui_view_selected(const tui_view *v)
{
	if (!v->nvis || v->cursor >= v->nvis)
		return NULL;
	return &v->lines[v->vis[v->cursor]];
}

void tui_view_reload(struct tui *t, tui_view *v)
{
	const tui_line *sel = tui_view_selected(v);
	char *key = sel && sel->key ? mech_strdup(sel->key) : NULL;
	char *key2 = sel && sel->key2 ? mech_strdup(sel->key2) : NULL;
	struct tui_tenant *tn = sel ? sel->tenant : NULL;
	size_t old_cursor = v->cursor, i;

	tui_view_clear(v);
	v->ops->load(t, v);
	tui_view_refilter(v);
	if (key && v->selectable) {
		for (i = 0; i < v->nvis; i++) {
			const tui_line *l = &v->lines[v->vis[i]];
			if (l->key && !strcmp(l->key, key) && l->tenant == tn &&
			    (!key2 || (l->key2 && !strcmp(l->key2, key2)))) {
				v->cursor = i;
				break;
			}
		}
		if (i == v->nvis)
			v->cursor = old_cursor < v->nvis ? old_cursor : (v->nvis ? v->nvis - 1 : 0);
	}
	free(key);
	free(key2);
}

void tui_view_move(tui_view *v, long delta, int body_rows)
{
	long c = (long)v->cursor + delta;
	long last = v->nvis ? (long)v->nvis - 1 : 0;
	if (!v->selectable) {
		/* text views scroll: the cursor is the top line */
		last = (long)v->nvis - body_rows;
		if (last < 0)
			last = 0;
	}
	if (c < 0)
		c = 0;
	if (c > last)
		c = last;
	v->cursor = (size_t)c;
}

void tui_view_goto_line(tui_view *v, size_t line_index)
{
	size_t i;
	for (i = 0; i < v->nvis; i++) {
		if (v->vis[i] >= line_index) {
			v->cursor = i;
			return;
		}
	}
}
