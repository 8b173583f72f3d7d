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
#include <stdint.h>
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

/* A cell's text from a format: control characters from outside (commit messages,
 * YAML) never reach the terminal. */
static char *cell_text(const char *fmt, va_list ap)
{
	mech_buf b = MECH_BUF_INIT;
	char *p;
	mech_buf_vprintf(&b, fmt, ap);
	for (p = b.ptr; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = *p == '\t' ? ' ' : '?';
	return b.ptr ? mech_buf_detach(&b) : mech_strdup("");
}

static void cell_append(tui_line *l, tui_area area, char *text)
{
	l->cells = mech_reallocarray(l->cells, l->ncells + 1, sizeof(*l->cells));
	l->cells[l->ncells].text = text;
	l->cells[l->ncells].area = area;
	l->cells[l->ncells].width = -1;
	l->ncells++;
}

void tui_line_cell(tui_line *l, tui_area area, const char *fmt, ...)
{
	va_list ap;
	char *text;
	va_start(ap, fmt);
	text = cell_text(fmt, ap);
	va_end(ap);
	cell_append(l, area, text);
}

/* A counted cell leaves its column's widths. */
static void cell_uncount(tui_view *v, tui_cell *c, size_t i)
{
	if (c->width >= 0 && i < v->ncolw)
		tui_widths_remove(&v->colw[i], c->width);
	c->width = -1;
}

/* A column's natural width: its widest counted cell, or its title. */
static int column_width(const tui_view *v, size_t i)
{
	int title = tui_width(v->cols[i].title);
	int widest = i < v->ncolw ? tui_widths_max(&v->colw[i]) : 0;
	return widest > title ? widest : title;
}

void tui_view_cell_set(tui_view *v, tui_line *l, size_t i, tui_area area, const char *fmt, ...)
{
	va_list ap;
	char *text;
	int counted;
	va_start(ap, fmt);
	text = cell_text(fmt, ap);
	va_end(ap);
	if (i >= l->ncells) {
		if (i > l->ncells)
			mech_fatal("tui_view_cell_set: cell %zu of a line of %zu", i, l->ncells);
		cell_append(l, area, text);
		v->gen++; /* measured with the new rows */
		return;
	}
	counted = l->cells[i].width >= 0;
	cell_uncount(v, &l->cells[i], i);
	free(l->cells[i].text);
	l->cells[i].text = text;
	l->cells[i].area = area;
	if (!counted) {
		v->gen++;
		return;
	}
	/* a counted row's cell is counted at once: a draw then measures nothing */
	l->cells[i].width = tui_width(text);
	tui_widths_add(&v->colw[i], l->cells[i].width);
	if (v->natw && v->natw_gen == v->gen && i < v->ncols)
		v->natw[i] = column_width(v, i);
}

/*
 * Each column's widest cell, counted as rows come and go rather than
 * measured on every draw: every key that moves the cursor redraws, and a
 * view of 10,000 rows whose revision moved changes 10,000 cells of 90,000.
 */
const int *tui_view_widths(tui_view *v)
{
	size_t i, j;
	if (v->natw && v->natw_gen == v->gen)
		return v->natw;
	if (!v->colw) {
		v->ncolw = v->ncols;
		v->colw = mech_calloc(v->ncolw ? v->ncolw : 1, sizeof(*v->colw));
	}
	v->natw = mech_reallocarray(v->natw, v->ncols ? v->ncols : 1, sizeof(*v->natw));
	for (j = 0; j < v->nlines; j++) {
		tui_line *l = &v->lines[j];
		if (l->kind != TUI_LINE_ROW)
			continue;
		for (i = 0; i < v->ncolw && i < l->ncells; i++) {
			tui_cell *c = &l->cells[i];
			if (c->width >= 0)
				continue;
			c->width = tui_width(c->text);
			tui_widths_add(&v->colw[i], c->width);
		}
	}
	for (i = 0; i < v->ncols; i++)
		v->natw[i] = column_width(v, i);
	v->natw_gen = v->gen ? v->gen : 1;
	return v->natw;
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

static void line_dispose(tui_view *v, tui_line *l)
{
	size_t i;
	for (i = 0; i < l->ncells; i++) {
		cell_uncount(v, &l->cells[i], i);
		free(l->cells[i].text);
	}
	free(l->cells);
	free(l->key);
	free(l->key2);
	free(l->made[0]);
	free(l->made[1]);
	memset(l, 0, sizeof(*l));
}

void tui_view_clear(tui_view *v)
{
	size_t i;
	for (i = 0; i < v->nlines; i++)
		line_dispose(v, &v->lines[i]);
	v->nlines = 0;
	v->nvis = 0;
	v->gen++;
}

void tui_view_free(tui_view *v)
{
	size_t i;
	if (!v)
		return;
	if (v->ops->done)
		v->ops->done(v);
	tui_view_clear(v);
	for (i = 0; i < v->ncolw; i++)
		tui_widths_dispose(&v->colw[i]);
	free(v->colw);
	free(v->lines);
	free(v->old);
	free(v->old_index);
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

/* ---- keeping rows across loads ---- */

static size_t old_hash(const struct tui_tenant *tn, const char *key, const char *key2)
{
	uint64_t h = (uint64_t)(uintptr_t)tn * 0x9e3779b97f4a7c15u;
	const char *s;
	for (s = key ? key : ""; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3u;
	h = (h ^ 0xff) * 0x100000001b3u;
	for (s = key2 ? key2 : ""; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3u;
	return (size_t)(h ^ h >> 29);
}

static int old_matches(const tui_line *l, const struct tui_tenant *tn, const char *key,
		       const char *key2)
{
	return l->key && l->tenant == tn && !strcmp(l->key, key) &&
	       !strcmp(l->key2 ? l->key2 : "", key2 ? key2 : "");
}

/* The old lines by key: built when a row is not where the last load had it. */
static void old_index_build(tui_view *v)
{
	size_t i, cap = 16;
	while (cap < v->nold * 2)
		cap *= 2;
	v->old_index = mech_reallocarray(v->old_index, cap, sizeof(*v->old_index));
	memset(v->old_index, 0, cap * sizeof(*v->old_index));
	v->old_cap = cap;
	for (i = 0; i < v->nold; i++) {
		const tui_line *l = &v->old[i];
		size_t h;
		if (!l->key)
			continue;
		for (h = old_hash(l->tenant, l->key, l->key2) & (cap - 1); v->old_index[h];
		     h = (h + 1) & (cap - 1))
			;
		v->old_index[h] = i + 1;
	}
}

static size_t old_find(tui_view *v, const struct tui_tenant *tn, const char *key, const char *key2)
{
	size_t h;
	if (v->old_next < v->nold && old_matches(&v->old[v->old_next], tn, key, key2))
		return v->old_next;
	if (!v->nold)
		return (size_t)-1;
	if (!v->old_cap)
		old_index_build(v);
	for (h = old_hash(tn, key, key2) & (v->old_cap - 1); v->old_index[h];
	     h = (h + 1) & (v->old_cap - 1))
		if (old_matches(&v->old[v->old_index[h] - 1], tn, key, key2))
			return v->old_index[h] - 1;
	return (size_t)-1;
}

tui_line *tui_view_row_kept(struct tui *t, tui_view *v, struct tui_tenant *tn, const char *key,
			    const char *key2, int *kept)
{
	size_t at = key ? old_find(v, tn, key, key2) : (size_t)-1;
	tui_line *l;
	*kept = at != (size_t)-1;
	if (!*kept) {
		l = tui_view_row(t, v, tn, key);
		l->key2 = key2 ? mech_strdup(key2) : NULL;
		return l;
	}
	l = tui_view_add(v, TUI_LINE_ROW, NULL);
	*l = v->old[at];
	memset(&v->old[at], 0, sizeof(v->old[at])); /* taken: no key, nothing to free */
	v->old_next = at + 1;
	return l;
}

/*
 * ops->load with the last load's lines set aside: a view that asks for its
 * rows with tui_view_row_kept takes back those whose data did not change,
 * cells, widths and all; the rest are dropped after it.
 */
static void load_keeping(struct tui *t, tui_view *v)
{
	tui_line *swap = v->old;
	size_t cap = v->old_cap_lines, i;

	v->old = v->lines;
	v->nold = v->nlines;
	v->old_cap_lines = v->cap;
	v->old_next = 0;
	v->old_cap = 0;
	v->lines = swap;
	v->cap = cap;
	v->nlines = 0;
	v->nvis = 0;
	v->ops->load(t, v);
	for (i = 0; i < v->nold; i++)
		line_dispose(v, &v->old[i]);
	v->nold = 0;
	v->old_cap = 0;
	v->gen++;
}

void tui_view_reload(struct tui *t, tui_view *v)
{
	const tui_line *sel = tui_view_selected(v);
	char *key = sel && sel->key ? mech_strdup(sel->key) : NULL;
	char *key2 = sel && sel->key2 ? mech_strdup(sel->key2) : NULL;
	struct tui_tenant *tn = sel ? sel->tenant : NULL;
	size_t old_cursor = v->cursor, i;

	load_keeping(t, v);
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
