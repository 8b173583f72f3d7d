/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Drawing: header, tabs, the current view (a table or text), the summary
 * and message lines. Everything is drawn into curses' virtual screen;
 * curses sends only the cells that changed, and the loop draws only when
 * something did.
 */
#include "tui.h"

#include "mech/buf.h"
#include "mech/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#define MIN_COLS 80
#define MIN_ROWS 24

/*
 * Decode one UTF-8 character; invalid bytes, and characters a terminal
 * would act on rather than show (mech_char_is_control: ESC, C1, the
 * bidirectional overrides), read as '?' of width 1: text from Git and Argo
 * CD is drawn, never sent.
 */
static size_t next_char(const char *s, wchar_t *wc, int *w)
{
	mbstate_t st;
	size_t n;
	memset(&st, 0, sizeof(st));
	n = mbrtowc(wc, s, MB_CUR_MAX, &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*wc = L'?';
		*w = 1;
		return 1;
	}
	*w = wcwidth(*wc);
	if (*w < 0 || mech_char_is_control((uint32_t)*wc)) {
		*wc = L'?';
		*w = 1;
	}
	return n;
}

int tui_width(const char *s)
{
	int total = 0;
	while (s && *s) {
		wchar_t wc;
		int w;
		s += next_char(s, &wc, &w);
		total += w;
	}
	return total;
}

int tui_put(int y, int x, int cols, const char *s, attr_t attr)
{
	wchar_t buf[512];
	int used = 0, n = 0;
	while (s && *s && n < (int)(sizeof(buf) / sizeof(*buf)) - 1) {
		wchar_t wc;
		int w;
		size_t len = next_char(s, &wc, &w);
		if (used + w > cols)
			break;
		buf[n++] = wc;
		used += w;
		s += len;
	}
	buf[n] = L'\0';
	if (n) {
		attrset(attr);
		mvaddnwstr(y, x, buf, n);
	}
	return used;
}

/* Text cut to `cols` with an ellipsis showing where (at the end, or at the start). */
static void put_fit(int y, int x, int cols, const char *s, attr_t attr, int trim_left)
{
	int w = tui_width(s);
	if (w <= cols || cols < 2) {
		tui_put(y, x, cols, s, attr);
		return;
	}
	if (trim_left) {
		while (*s && w > cols - 1) {
			wchar_t wc;
			int cw;
			s += next_char(s, &wc, &cw);
			w -= cw;
		}
		x += tui_put(y, x, 1, "…", attr);
		tui_put(y, x, cols - 1, s, attr);
	} else {
		x += tui_put(y, x, cols - 1, s, attr);
		tui_put(y, x, 1, "…", attr);
	}
}

static void fill(int y, int x, int cols, attr_t attr)
{
	attrset(attr);
	if (cols > 0)
		mvhline(y, x, ' ', cols);
}

/* ---- header and tabs ---- */

static const char *conn_name(tui_conn c)
{
	switch (c) {
	case TUI_CONN_NOT_CONFIGURED:
		return "not configured";
	case TUI_CONN_CONNECTING:
		return "connecting";
	case TUI_CONN_LIVE:
		return "live";
	case TUI_CONN_RECONNECTING:
		return "reconnecting";
	case TUI_CONN_PAUSED:
		return "paused";
	}
	return "?";
}

void tui_draw_header(struct tui *t)
{
	mech_buf b = MECH_BUF_INIT;
	tui_data *d = &t->data;
	const tui_tenant *failed = NULL;
	char age[32] = "", sha[8] = "";
	size_t i;
	int error;
	attr_t attr;

	if (COLS < MIN_COLS || LINES < MIN_ROWS)
		return;
	/* Git state is the loop's own (this thread); the live state is shared */
	for (i = 0; i < d->ntenants && !failed; i++)
		if (d->tenants[i]->git_error)
			failed = d->tenants[i];
	if (!d->all_tenants && d->ntenants && d->tenants[0]->have_head)
		git_oid_tostr(sha, sizeof(sha), &d->tenants[0]->head);
	pthread_mutex_lock(&d->mu);
	error = d->conn == TUI_CONN_RECONNECTING || (d->live_error && d->conn != TUI_CONN_LIVE);
	if (d->live_fresh_ms)
		mech_age_text((tui_now_ms() - d->live_fresh_ms) / 1000, age, sizeof(age));
	/* most important first: a narrow terminal cuts the end */
	if (d->all_tenants)
		mech_buf_printf(&b, " mech · all tenants (%zu)", d->ntenants);
	else
		mech_buf_printf(&b, " mech · %s", d->ntenants ? d->tenants[0]->name : "?");
	mech_buf_printf(&b, " │ argocd: %s", t->paused ? "paused" : conn_name(d->conn));
	if (d->conn == TUI_CONN_RECONNECTING && d->retry_at_ms > tui_now_ms())
		mech_buf_printf(&b, " in %llds", (d->retry_at_ms - tui_now_ms() + 999) / 1000);
	if (d->conn != TUI_CONN_NOT_CONFIGURED)
		mech_buf_printf(&b, " │ data %s", *age ? age : "never loaded");
	if (*age && d->conn != TUI_CONN_NOT_CONFIGURED)
		mech_buf_puts(&b, " old");
	if (t->readonly)
		mech_buf_puts(&b, " │ read-only");
	if (error && d->live_error) {
		/* the reason, not the endpoint: "argocd: GET http://…/applications: HTTP 403 …" */
		const char *reason = d->live_error, *url = strstr(reason, "://"), *p;
		if (url && (p = strstr(url, ": ")))
			reason = p + 2;
		mech_buf_printf(&b, " │ %s", reason);
	}
	pthread_mutex_unlock(&d->mu);
	if (failed)
		mech_buf_printf(&b, " │ git: %s%s%s", d->all_tenants ? failed->name : "",
				d->all_tenants ? ": " : "", failed->git_error);
	if (!d->all_tenants)
		mech_buf_printf(&b, " │ git %s", *sha ? sha : "(empty)");
	attr = tui_theme_attr(error || failed ? TUI_AREA_HEADER_ERROR : TUI_AREA_HEADER);
	fill(0, 0, COLS, attr);
	/* too long (an error's reason): cut at the end, where "…" says so */
	put_fit(0, 0, COLS, mech_buf_cstr(&b), attr, 0);
	mech_buf_dispose(&b);
}

static const char *const tab_names[] = {"apps", "routes", "addons", "history", "forced"};

/* where tab i starts on the tabs line, and its label (forced: the unreviewed count) */
static int tab_label(struct tui *t, int i, char *label, size_t len)
{
	int x = 1, k;
	for (k = 0; k <= i; k++) {
		size_t unreviewed = k == 4 ? tui_forced_unreviewed(t->top[4]) : (size_t)-1;
		if (unreviewed != (size_t)-1 && unreviewed > 0)
			snprintf(label, len, " %d %s (%zu) ", k + 1, tab_names[k], unreviewed);
		else
			snprintf(label, len, " %d %s ", k + 1, tab_names[k]);
		if (k < i)
			x += tui_width(label) + 1;
	}
	return x;
}

int tui_tab_at(struct tui *t, int x)
{
	int i;
	for (i = 0; i < 5; i++) {
		char label[64];
		int at = tab_label(t, i, label, sizeof(label));
		if (x >= at && x < at + tui_width(label) && at + tui_width(label) <= COLS)
			return i;
	}
	return -1;
}

static void draw_tabs(struct tui *t)
{
	int x = 1, i;
	tui_view *top = t->view;
	while (top->prev)
		top = top->prev;
	fill(1, 0, COLS, tui_theme_attr(TUI_AREA_TABS));
	for (i = 0; i < 5; i++) {
		char label[64];
		attr_t attr = tui_theme_attr(t->top[i] == top ? TUI_AREA_TAB_ACTIVE : TUI_AREA_TABS);
		x = tab_label(t, i, label, sizeof(label));
		x += tui_put(1, x, COLS - x, label, attr) + 1;
	}
	if (t->view->title) {
		int w = tui_width(t->view->title);
		int at = COLS - w - 1 > x + 1 ? COLS - w - 1 : x + 1;
		tui_put(1, at, COLS - at, t->view->title, tui_theme_attr(TUI_AREA_TABS) | A_BOLD);
	}
}

/* ---- table layout ---- */

static void layout(tui_view *v, int avail, int *width)
{
	const int *natw = tui_view_widths(v);
	size_t i;
	int total, shown;
	for (i = 0; i < v->ncols; i++) {
		int w = natw[i];
		if (w < v->cols[i].min)
			w = v->cols[i].min;
		if (v->cols[i].max && w > v->cols[i].max)
			w = v->cols[i].max;
		width[i] = v->cols[i].wide && COLS < v->cols[i].wide ? 0 : w;
	}
	/* drop the least important columns until the minimum widths fit */
	for (;;) {
		int best = -1;
		total = 0;
		shown = 0;
		for (i = 0; i < v->ncols; i++)
			if (width[i] > 0)
				total += v->cols[i].min, shown++;
		total += shown > 0 ? (shown - 1) * 2 : 0;
		if (total <= avail)
			break;
		for (i = 0; i < v->ncols; i++)
			if (width[i] > 0 && v->cols[i].priority > 0 &&
			    (best < 0 || v->cols[i].priority < v->cols[best].priority))
				best = (int)i;
		if (best < 0)
			break;
		width[best] = 0;
	}
	/* then shrink: the open-ended column first, then the one furthest above its minimum */
	for (;;) {
		int best = -1;
		total = 0;
		shown = 0;
		for (i = 0; i < v->ncols; i++)
			if (width[i] > 0)
				total += width[i], shown++;
		total += shown > 0 ? (shown - 1) * 2 : 0;
		if (total <= avail)
			break;
		for (i = 0; i < v->ncols; i++)
			if (width[i] > 0 && !v->cols[i].max && width[i] > v->cols[i].min)
				best = (int)i;
		if (best < 0) {
			for (i = 0; i < v->ncols; i++)
				if (width[i] > v->cols[i].min &&
				    (best < 0 ||
				     width[i] - v->cols[i].min > width[best] - v->cols[best].min))
					best = (int)i;
		}
		if (best < 0)
			break;
		width[best]--;
	}
	/* the last shown column takes what is left */
	for (i = v->ncols; i-- > 0;) {
		if (width[i] > 0) {
			if (total < avail)
				width[i] += avail - total;
			break;
		}
	}
}

static void draw_row(const tui_view *v, const tui_line *l, int y, const int *width, int selected)
{
	size_t i;
	int x = 1;
	attr_t sel = tui_theme_attr(TUI_AREA_SELECTION);
	fill(y, 0, COLS, selected ? sel : tui_theme_attr(TUI_AREA_DEFAULT));
	for (i = 0; i < v->ncols; i++) {
		if (width[i] <= 0)
			continue;
		if (i < l->ncells) {
			attr_t a = selected ? sel : tui_theme_attr(l->cells[i].area);
			put_fit(y, x, width[i], l->cells[i].text, a, v->cols[i].trim_left);
		}
		x += width[i] + 2;
		if (x >= COLS)
			break;
	}
}

/* Text with a search's matches (case-insensitive, as the filter) in the search area. */
static int put_search(int y, int x, int cols, const char *s, attr_t attr, const char *search)
{
	size_t sl = search ? strlen(search) : 0;
	int used = 0;
	while (sl && *s && used < cols) {
		const char *m = s;
		while (*m && strncasecmp(m, search, sl))
			m++;
		if (!*m)
			break;
		if (m > s) {
			char *before = mech_strndup(s, (size_t)(m - s));
			used += tui_put(y, x + used, cols - used, before, attr);
			free(before);
		}
		{
			char *match = mech_strndup(m, sl);
			used += tui_put(y, x + used, cols - used, match,
					tui_theme_attr(TUI_AREA_SEARCH));
			free(match);
		}
		s = m + sl;
	}
	if (*s && used < cols)
		used += tui_put(y, x + used, cols - used, s, attr);
	return used;
}

static void draw_text(const tui_line *l, int y, int selected, const char *search)
{
	size_t i;
	int x = 1;
	attr_t sel = tui_theme_attr(TUI_AREA_SELECTION);
	fill(y, 0, COLS, selected ? sel : tui_theme_attr(TUI_AREA_DEFAULT));
	for (i = 0; i < l->ncells && x < COLS; i++)
		x += put_search(y, x, COLS - 1 - x, l->cells[i].text,
				selected ? sel : tui_theme_attr(l->cells[i].area), search);
}

static void draw_body(struct tui *t)
{
	tui_view *v = t->view;
	int rows = t->body_rows, y, i;
	int width[16] = {0};
	size_t first;

	if (v->ncols > 16)
		v->ncols = 16;
	fill(2, 0, COLS, tui_theme_attr(TUI_AREA_COLUMN));
	if (v->ncols) {
		int x = 1;
		layout(v, COLS - 2, width);
		for (i = 0; i < (int)v->ncols; i++) {
			if (width[i] <= 0)
				continue;
			tui_put(2, x, width[i], v->cols[i].title, tui_theme_attr(TUI_AREA_COLUMN));
			x += width[i] + 2;
		}
	} else if (v->title) {
		tui_put(2, 1, COLS - 2, v->title, tui_theme_attr(TUI_AREA_COLUMN));
	}
	/* keep the cursor on screen */
	if (v->selectable) {
		if (v->cursor < v->top)
			v->top = v->cursor;
		if (v->cursor >= v->top + (size_t)rows)
			v->top = v->cursor - (size_t)rows + 1;
		first = v->top;
	} else {
		first = v->cursor;
	}
	for (y = 0; y < rows; y++) {
		size_t idx = first + (size_t)y;
		int sy = 3 + y;
		if (idx >= v->nvis) {
			fill(sy, 0, COLS, tui_theme_attr(TUI_AREA_DEFAULT));
			if (idx == 0)
				tui_put(sy, 1, COLS - 2,
					v->filter && *v->filter ? "(nothing matches the filter)"
								: "(nothing here yet)",
					tui_theme_attr(TUI_AREA_DIM));
			continue;
		}
		{
			const tui_line *l = &v->lines[v->vis[idx]];
			int selected = v->selectable && idx == v->cursor;
			if (l->kind == TUI_LINE_ROW && v->ncols)
				draw_row(v, l, sy, width, selected);
			else
				draw_text(l, sy, selected, v->search);
		}
	}
}

static void draw_bottom(struct tui *t)
{
	mech_buf b = MECH_BUF_INIT;
	tui_view *v = t->view;
	int y = LINES - 2;

	if (v->filter && *v->filter)
		mech_buf_printf(&b, "filter \"%s\": %zu of %zu │ ", v->filter, v->nvis, v->nlines);
	if (v->search && *v->search) {
		size_t cur, n = tui_view_search_count(v, &cur);
		mech_buf_printf(&b, "search \"%s\": %zu of %zu lines │ ", v->search, cur, n);
	}
	if (t->mode == TUI_MODE_PROMPT && t->completions) {
		mech_buf_clear(&b); /* Tab's candidates, until the next key */
		mech_buf_puts(&b, t->completions);
	} else if (v->ops->summary) {
		v->ops->summary(t, v, &b);
	}
	if (b.len >= 5 && !strcmp(b.ptr + b.len - 5, " │ ")) /* nothing after the filter */
		b.ptr[b.len -= 5] = '\0';
	fill(y, 0, COLS, tui_theme_attr(TUI_AREA_STATUS));
	tui_put(y, 1, COLS - 2, mech_buf_cstr(&b), tui_theme_attr(TUI_AREA_STATUS));
	mech_buf_clear(&b);

	y = LINES - 1;
	fill(y, 0, COLS, tui_theme_attr(TUI_AREA_MESSAGE));
	switch (t->mode) {
	case TUI_MODE_PROMPT:
		mech_buf_printf(&b, ":%s", mech_buf_cstr(&t->input));
		break;
	case TUI_MODE_FILTER:
	case TUI_MODE_SEARCH:
		mech_buf_printf(&b, "/%s", mech_buf_cstr(&t->input));
		break;
	case TUI_MODE_CONFIRM:
		mech_buf_printf(&b, "Run `%s`", t->pending);
		if (t->pending_tenant)
			mech_buf_printf(&b, " as tenant %s", t->pending_tenant->name);
		mech_buf_printf(&b, "? %s y = run, any other key cancels [y/N]", t->pending_why);
		break;
	default:
		if (t->message)
			mech_buf_puts(&b, t->message);
		else
			mech_buf_puts(&b, "? keys  : command  / filter  Enter open  q back/quit");
	}
	{
		attr_t a = tui_theme_attr(
			t->mode == TUI_MODE_CONFIRM ||
					(t->mode == TUI_MODE_NORMAL && t->message_error)
				? TUI_AREA_ERROR
				: TUI_AREA_MESSAGE);
		int w = tui_put(y, 0, COLS - 1, mech_buf_cstr(&b), a);
		if (t->mode == TUI_MODE_PROMPT && t->input_point < t->input.len) {
			/* readline's cursor, inside the line */
			char *upto = mech_strndup(mech_buf_cstr(&t->input), t->input_point);
			w = 1 + tui_width(upto);
			free(upto);
		}
		if (t->mode == TUI_MODE_PROMPT || t->mode == TUI_MODE_FILTER ||
		    t->mode == TUI_MODE_SEARCH) {
			move(y, w < COLS - 1 ? w : COLS - 1);
			curs_set(1);
		} else {
			curs_set(0);
		}
	}
	mech_buf_dispose(&b);
}

void tui_draw(struct tui *t)
{
	attrset(A_NORMAL);
	if (COLS < MIN_COLS || LINES < MIN_ROWS) {
		char msg[128];
		erase();
		snprintf(msg, sizeof(msg), "mech console needs at least %dx%d (now %dx%d)",
			 MIN_COLS, MIN_ROWS, COLS, LINES);
		tui_put(LINES / 2, 0, COLS, msg, A_BOLD);
		if (LINES / 2 + 1 < LINES)
			tui_put(LINES / 2 + 1, 0, COLS, "enlarge the window, or q to quit",
				A_NORMAL);
		curs_set(0);
		return;
	}
	t->body_rows = LINES - 5;
	tui_draw_header(t);
	draw_tabs(t);
	draw_body(t);
	draw_bottom(t);
}

/*
 * A colour screen names each cell's colour area by a letter, given in the
 * order areas first appear on that screen and listed in a legend: a new
 * colour area elsewhere changes no screen that does not show it.
 */
static const char area_codes[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

static void screen_text(int y, char *out, size_t size)
{
	wchar_t wbuf[1024];
	int n = mvinnwstr(y, 0, wbuf, COLS < 1023 ? COLS : 1023);
	size_t len;
	if (n < 0)
		n = 0;
	wbuf[n] = L'\0';
	len = wcstombs(out, wbuf, size - 1);
	if (len == (size_t)-1)
		len = 0;
	out[len] = '\0';
	while (len > 0 && out[len - 1] == ' ')
		out[--len] = '\0';
}

/* The colour area of the cell at (y, x), or -1: its colour pair is the area's (theme.c). */
static int cell_area(int y, int x)
{
	cchar_t cc;
	wchar_t wc[CCHARW_MAX + 1];
	attr_t attr;
	short pair = 0;
	if (mvin_wch(y, x, &cc) == ERR || getcchar(&cc, wc, &attr, &pair, NULL) == ERR ||
	    pair <= 0 || pair - 1 >= TUI_AREA__COUNT)
		return -1;
	return pair - 1;
}

int tui_screen_save(const char *path, int attrs)
{
	mech_buf body = MECH_BUF_INIT;
	char letter[TUI_AREA__COUNT]; /* each area's letter on this screen, 0 while unseen */
	size_t used = 0;
	int y, x, i, rc = 0;
	FILE *f;

	memset(letter, 0, sizeof(letter));
	for (y = 0; y < LINES; y++) {
		char out[4096];
		screen_text(y, out, sizeof(out));
		mech_buf_printf(&body, "%s\n", out);
		if (!attrs)
			continue;
		for (x = 0; x < COLS && x < 1024; x++) {
			int a = cell_area(y, x);
			if (a >= 0 && !letter[a] && used < sizeof(area_codes) - 1)
				letter[a] = area_codes[used++];
			mech_buf_putc(&body, a >= 0 && letter[a] ? letter[a] : '.');
		}
		mech_buf_putc(&body, '\n');
	}
	f = fopen(path, "w");
	if (!f) {
		mech_buf_dispose(&body);
		return mech_error_set(MECH_EFAILED, "screen-save %s: cannot write it", path);
	}
	if (attrs) {
		fprintf(f, "# colour areas:");
		for (used = 0; used < sizeof(area_codes) - 1; used++)
			for (i = 0; i < TUI_AREA__COUNT; i++)
				if (letter[i] == area_codes[used])
					fprintf(f, " %c=%s", letter[i], tui_area_name((tui_area)i));
		fprintf(f, " .=none\n");
	}
	fwrite(body.ptr ? body.ptr : "", 1, body.len, f);
	mech_buf_dispose(&body);
	if (fclose(f) != 0)
		rc = mech_error_set(MECH_EFAILED, "screen-save %s: write failed", path);
	return rc;
}
