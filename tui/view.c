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
	free(v->search);
	free(v->title);
	free(v);
}

/* Where a filter or a search matches a line: case-insensitive, in any cell. */
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

/* how many lines above a match stay on screen */
#define SEARCH_CONTEXT 3

int tui_view_search(tui_view *v, int dir, int again, int body_rows, int *wrapped)
{
	size_t n = v->nvis, from, start, i;
	int on_screen = v->search_at >= v->cursor && v->search_at < v->cursor + (size_t)body_rows;

	*wrapped = 0;
	if (!v->search || !*v->search || !n)
		return 0;
	/* n/N go on from the match on screen; else from the top line */
	from = again && on_screen && v->search_at < n ? v->search_at + (dir > 0) : v->cursor;
	if (dir > 0 && from >= n)
		from = 0, *wrapped = 1;
	else if (dir < 0 && from == 0)
		from = n, *wrapped = 1;
	start = dir > 0 ? from : from - 1;
	for (i = 0; i < n; i++) {
		size_t at = dir > 0 ? (start + i) % n : (start + n - i) % n;
		if (line_matches(&v->lines[v->vis[at]], v->search)) {
			if (dir > 0 ? at < start : at > start)
				*wrapped = 1;
			v->search_at = at;
			v->cursor = at > SEARCH_CONTEXT ? at - SEARCH_CONTEXT : 0;
			tui_view_move(v, 0, body_rows); /* not past the last page */
			return 1;
		}
	}
	*wrapped = 0;
	return 0;
}

size_t tui_view_search_count(const tui_view *v, size_t *current)
{
	size_t i, count = 0;
	*current = 0;
	if (!v->search || !*v->search)
		return 0;
	for (i = 0; i < v->nvis; i++) {
		if (line_matches(&v->lines[v->vis[i]], v->search)) {
			count++;
			if (i == v->search_at)
				*current = count;
		}
	}
	return count;
}

char *tui_instance_title(struct tui *t, struct tui_tenant *tn, const char *what, const char *app,
			 const char *instance)
{
	if (t->data.all_tenants)
		return mech_sprintf("%s %s/%s/%s", what, tn->name, app, instance);
	return mech_sprintf("%s %s/%s", what, app, instance);
}
