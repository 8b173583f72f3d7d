/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mech console: the event loop. One poll() on the terminal and the watch
 * thread's self-pipe, with two timers (the branch tip every 500 ms, the
 * header's data age every second); nothing is drawn unless something
 * changed. MECH_CONSOLE_SCRIPT=FILE runs headless from a key script with
 * a fixed screen size (MECH_CONSOLE_SIZE=COLSxROWS, default 80x24), as
 * tig's test mode does; `:screen-save FILE` writes the screen text.
 */
#include "tui.h"

#include "cmd.h"
#include "handlers.h"
#include "mech/error.h"
#include "mech/sshcmd.h"

#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#define GIT_POLL_MS 500
/* a write moves 10,000 Applications at 10,000 apps, and their events come in
 * batches as fast as they are read: the screen follows them ten times a second */
#define LIVE_DRAW_MS 100
#define TICK_MS 1000
#define MAX_SCRIPT (1024 * 1024)
#define CACHE_MAX (512 * 1024) /* libgit2 object cache while the console runs (raw bytes) */

typedef struct {
	int key;    /* a key, or 0 for a `:` command or a mouse event */
	char *text; /* the command */
	int mouse;  /* 1 + tui_mouse_kind for "<click X Y>", "<wheel-down X Y>", … */
	int mx, my;
} script_item;

typedef struct {
	script_item *items;
	size_t n, at;
} script;

void tui_message(struct tui *t, int error, const char *fmt, ...)
{
	va_list ap;
	mech_buf b = MECH_BUF_INIT;
	va_start(ap, fmt);
	mech_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	free(t->message);
	t->message = mech_buf_detach(&b);
	t->message_error = error;
	t->dirty = 1;
}

void tui_push(struct tui *t, tui_view *v)
{
	v->prev = t->view;
	t->view = v;
	if (v->nlines && !v->nvis && (!v->filter || !*v->filter))
		tui_view_refilter(v);
	t->dirty = 1;
}

static void pop(struct tui *t)
{
	tui_view *old = t->view;
	if (!old->prev)
		return;
	t->view = old->prev;
	tui_view_free(old);
	if (t->view->ops->live)
		tui_view_reload(t, t->view);
	t->dirty = 1;
}

static void switch_top(struct tui *t, int i)
{
	while (t->view->prev)
		pop(t);
	t->view = t->top[i];
	tui_view_reload(t, t->view);
	t->dirty = 1;
}

/* Git or Argo CD changed: rebuild the view on screen, keeping its selection. The
 * others are rebuilt when shown again (switch_top, pop), so a change costs one view. */
static void reload_views(struct tui *t)
{
	if (t->view->ops->live)
		tui_view_reload(t, t->view);
	t->dirty = 1;
}

/* The watch changed Applications: a view that can updates only their rows, else reloads. */
static void live_changed(struct tui *t)
{
	mech_strv names = MECH_STRV_INIT;
	tui_view *v = t->view;
	int all = tui_data_live_take(&t->data, &names);
	if (v->ops->live && (all || !v->ops->live_update || v->ops->live_update(t, v, &names) < 0))
		tui_view_reload(t, v);
	t->live_dirty = 1;
	mech_strv_dispose(&names);
}

/* What a view asked for and takes long (the forced list): read it now that the
 * screen says "loading…", then show it. */
static void load_slow(struct tui *t)
{
	size_t i;
	unsigned what = t->slow;
	t->slow = 0;
	for (i = 0; i < t->data.ntenants; i++)
		tui_data_need(t->data.tenants[i], what);
	reload_views(t);
}

static void refresh_all(struct tui *t)
{
	tui_data *d = &t->data;
	size_t i;
	int lasting;
	for (i = 0; i < d->ntenants; i++) {
		tui_tenant *tn = d->tenants[i];
		if (tn->repo && mech_repo_sync(tn->repo) < 0) {
			tui_message(t, 1, "git: %s%s%s", d->all_tenants ? tn->name : "",
				    d->all_tenants ? ": " : "",
				    mech_error_last() ? mech_error_last()->message : "sync failed");
			mech_error_clear();
		}
	}
	tui_data_rescan(d);
	tui_data_git_poll(d, 1);
	tui_data_lock(d);
	lasting = d->conn == TUI_CONN_RECONNECTING && d->retry_at_ms == 0;
	tui_data_unlock(d);
	if (lasting && !t->paused) {
		/* the watch gave up (forbidden, not found): try again */
		tui_data_live_stop(d);
		tui_data_live_start(d);
	}
	/* paused too: r is how a paused console refreshes, once */
	if (tui_data_live_list(d) < 0)
		mech_error_clear();
	reload_views(t);
}

static void set_theme(struct tui *t, const char *name)
{
	if (getenv("NO_COLOR")) {
		/* no-color.org: the user asked for no colour, by T or by :theme NAME */
		tui_message(t, 0, "NO_COLOR is set: the theme stays mono (unset it for colour)");
		return;
	}
	if (tui_theme_load(t->home, name) < 0) {
		const mech_error *e = mech_error_last();
		tui_message(t, 1, "%s", e && e->message ? e->message : "bad theme");
		mech_error_clear();
		tui_theme_load(t->home, "default");
	} else {
		tui_message(t, 0, "theme %s", name);
	}
	tui_theme_apply();
	clearok(curscr, TRUE);
	t->dirty = 1;
}

static void toggle_pause(struct tui *t)
{
	t->paused = !t->paused;
	if (t->paused) {
		tui_data_live_stop(&t->data);
		tui_message(t, 0, "paused: no live updates until p (r refreshes once)");
	} else {
		tui_data_live_start(&t->data);
		tui_data_git_poll(&t->data, 0);
		reload_views(t);
		tui_message(t, 0, "live updates resumed");
	}
}

/* `/` in a text view, then n/N: scroll to the match and say when it wrapped */
static void search(struct tui *t, int dir, int again)
{
	tui_view *v = t->view;
	int wrapped;
	if (v->selectable) {
		tui_message(t, 0, "/ filters this list; n and N search text views");
		return;
	}
	if (!v->search || !*v->search) {
		tui_message(t, 0, "no search: / searches this view");
		return;
	}
	if (!tui_view_search(v, dir, again, t->body_rows, &wrapped))
		tui_message(t, 1, "no match for %s", v->search);
	else if (wrapped)
		tui_message(t, 0, "search wrapped");
}

static void do_action(struct tui *t, tui_action a)
{
	tui_view *v = t->view;
	int page = t->body_rows > 1 ? t->body_rows - 1 : 1;

	switch (a) {
	case TUI_ACT_NONE:
		break;
	case TUI_ACT_VIEW_APPS:
	case TUI_ACT_VIEW_ROUTES:
	case TUI_ACT_VIEW_ADDONS:
	case TUI_ACT_VIEW_HISTORY:
	case TUI_ACT_VIEW_FORCED:
		switch_top(t, (int)(a - TUI_ACT_VIEW_APPS));
		break;
	case TUI_ACT_MOVE_DOWN:
		tui_view_move(v, 1, t->body_rows);
		break;
	case TUI_ACT_MOVE_UP:
		tui_view_move(v, -1, t->body_rows);
		break;
	case TUI_ACT_MOVE_FIRST:
		tui_view_move(v, -(long)v->nlines - 1, t->body_rows);
		break;
	case TUI_ACT_MOVE_LAST:
		tui_view_move(v, (long)v->nlines + 1, t->body_rows);
		break;
	case TUI_ACT_PAGE_DOWN:
		tui_view_move(v, page, t->body_rows);
		if (v->selectable)
			v->top = v->cursor;
		break;
	case TUI_ACT_PAGE_UP:
		tui_view_move(v, -page, t->body_rows);
		break;
	case TUI_ACT_ENTER:
	case TUI_ACT_DIFF:
		if (v->ops->enter)
			v->ops->enter(t, v, tui_view_selected(v), a == TUI_ACT_DIFF);
		break;
	case TUI_ACT_BACK:
		if (v->search) {
			free(v->search); /* first Esc: the search's highlight */
			v->search = NULL;
		} else if (v->prev)
			pop(t);
		else if (v->filter && *v->filter) {
			free(v->filter);
			v->filter = NULL;
			tui_view_refilter(v);
		}
		break;
	case TUI_ACT_QUIT:
		if (v->prev)
			pop(t);
		else
			t->running = 0;
		break;
	case TUI_ACT_FILTER:
		/* lists filter their rows; text (diffs, details, help) is searched */
		t->mode = v->selectable ? TUI_MODE_FILTER : TUI_MODE_SEARCH;
		mech_buf_clear(&t->input);
		if (v->selectable)
			mech_buf_puts(&t->input, v->filter ? v->filter : "");
		break;
	case TUI_ACT_SEARCH_NEXT:
	case TUI_ACT_SEARCH_PREV:
		search(t, a == TUI_ACT_SEARCH_NEXT ? 1 : -1, 1);
		break;
	case TUI_ACT_COPY:
		tui_copy(t);
		break;
	case TUI_ACT_REFRESH:
		refresh_all(t);
		if (!t->message_error)
			tui_message(t, 0, "refreshed");
		break;
	case TUI_ACT_PROMPT:
		tui_prompt_start(t);
		break;
	case TUI_ACT_HELP:
		tui_push(t, tui_help_view());
		break;
	case TUI_ACT_THEME: {
		char *next = tui_theme_next(t->home);
		set_theme(t, next);
		free(next);
		break;
	}
	case TUI_ACT_PAUSE:
		toggle_pause(t);
		break;
	case TUI_ACT_NEXT_HUNK:
	case TUI_ACT_PREV_HUNK:
		break; /* only diff views handle these */
	case TUI_ACT_LOGS:
	case TUI_ACT_EVENTS:
	case TUI_ACT_APP_HISTORY:
	case TUI_ACT_REVERT:
	case TUI_ACT_PREV_CONTAINER:
	case TUI_ACT_FOLLOW:
	case TUI_ACT_REVIEW:
		/* the views that have an instance or a state to act on handle these */
		tui_message(t, 0, "%s: nothing here to act on", tui_action_name(a));
		break;
	case TUI_ACT__COUNT:
		break;
	}
	clrtobot();
	t->dirty = 1;
}

static void input_key(struct tui *t, int key)
{
	int bs = key == (TUI_KEY_FN | KEY_BACKSPACE) || key == 127 || key == 8;
	if (key == 27) {
		if (t->mode == TUI_MODE_FILTER) {
			free(t->view->filter);
			t->view->filter = NULL;
			tui_view_refilter(t->view);
		} else if (t->mode == TUI_MODE_SEARCH) {
			free(t->view->search);
			t->view->search = NULL;
		}
		t->mode = TUI_MODE_NORMAL;
	} else if (key == '\n') {
		char *line = mech_strdup(mech_buf_cstr(&t->input));
		tui_mode mode = t->mode;
		t->mode = TUI_MODE_NORMAL;
		if (mode == TUI_MODE_SEARCH) {
			free(t->view->search);
			t->view->search = *line ? mech_strdup(line) : NULL;
			if (*line)
				search(t, 1, 0);
		}
		free(line);
	} else if (bs) {
		/* drop one UTF-8 character */
		while (t->input.len > 0 &&
		       ((unsigned char)t->input.ptr[t->input.len - 1] & 0xc0) == 0x80)
			t->input.len--;
		if (t->input.len > 0)
			t->input.len--;
		if (t->input.ptr)
			t->input.ptr[t->input.len] = '\0';
		if (!t->input.len && t->mode == TUI_MODE_SEARCH)
			t->mode = TUI_MODE_NORMAL;
	} else if (key == 21) { /* C-u */
		mech_buf_clear(&t->input);
	} else if (!(key & TUI_KEY_FN) && key >= 32 && t->input.len < 1024) {
		char mb[8];
		mbstate_t st;
		size_t n;
		memset(&st, 0, sizeof(st));
		n = wcrtomb(mb, (wchar_t)key, &st);
		if (n != (size_t)-1)
			mech_buf_put(&t->input, mb, n);
	}
	if (t->mode == TUI_MODE_FILTER) {
		free(t->view->filter);
		t->view->filter = t->input.len ? mech_strdup(mech_buf_cstr(&t->input)) : NULL;
		t->view->cursor = 0;
		t->view->top = 0;
		tui_view_refilter(t->view);
	}
	t->dirty = 1;
}

static void handle_key(struct tui *t, int key)
{
	tui_action a;
	if (t->mode == TUI_MODE_PROMPT) {
		tui_prompt_key(t, key);
		return;
	}
	if (t->mode == TUI_MODE_FILTER || t->mode == TUI_MODE_SEARCH) {
		input_key(t, key);
		return;
	}
	if (t->mode == TUI_MODE_CONFIRM) {
		tui_confirm_key(t, key);
		return;
	}
	free(t->message);
	t->message = NULL;
	t->message_error = 0;
	a = tui_keys_lookup(t->view->ops->keymap, key);
	if (a == TUI_ACT_NONE) {
		tui_message(t, 0, "%s: not bound (? lists keys)", tui_key_name(key));
		return;
	}
	if (t->view->ops->request)
		a = t->view->ops->request(t, t->view, a);
	do_action(t, a);
}

/* ---- headless script ---- */

static void script_free(script *s)
{
	size_t i;
	for (i = 0; i < s->n; i++)
		free(s->items[i].text);
	free(s->items);
	memset(s, 0, sizeof(*s));
}

static void script_add(script *s, int key, const char *text, size_t len)
{
	s->items = mech_reallocarray(s->items, s->n + 1, sizeof(*s->items));
	memset(&s->items[s->n], 0, sizeof(s->items[s->n]));
	s->items[s->n].key = key;
	s->items[s->n].text = text ? mech_strndup(text, len) : NULL;
	s->n++;
}

static int script_load(script *s, const char *file)
{
	mech_buf b = MECH_BUF_INIT;
	const char *p;
	int line = 0;
	if (mech_buf_read_file(&b, file, MAX_SCRIPT) < 0) {
		mech_buf_dispose(&b);
		return -1;
	}
	for (p = mech_buf_cstr(&b); *p;) {
		const char *end = strchr(p, '\n'), *q;
		if (!end)
			end = p + strlen(p);
		line++;
		if (*p == ':') {
			script_add(s, 0, p + 1, (size_t)(end - p - 1));
		} else if (*p != '#') {
			for (q = p; q < end;) {
				const char *close = *q == '<' ? memchr(q, '>', (size_t)(end - q))
							      : NULL;
				size_t n = close ? (size_t)(close - q + 1) : 0;
				int key = n > 2 ? tui_key_parse(q, n) : -1;
				tui_mouse_kind mk;
				int mx, my;
				if (key < 0 && n > 2 && tui_mouse_parse(q, n, &mk, &mx, &my) == 0) {
					script_add(s, 0, NULL, 0);
					s->items[s->n - 1].mouse = 1 + (int)mk;
					s->items[s->n - 1].mx = mx;
					s->items[s->n - 1].my = my;
					q += n;
					continue;
				}
				if (key < 0) {
					wchar_t wc;
					mbstate_t st;
					memset(&st, 0, sizeof(st));
					n = mbrtowc(&wc, q, (size_t)(end - q), &st);
					if (n == 0 || n > (size_t)(end - q)) {
						mech_buf_dispose(&b);
						return mech_error_set(MECH_EUSAGE,
								      "%s:%d: not UTF-8", file,
								      line);
					}
					key = (int)wc;
				}
				script_add(s, key, NULL, 0);
				q += n;
			}
		}
		p = *end ? end + 1 : end;
	}
	mech_buf_dispose(&b);
	return 0;
}

/* Internal `:` commands of the console itself; 1 when handled. */
static int internal_command(struct tui *t, char **w, size_t n)
{
	static const char *const views[] = {"apps", "routes", "addons", "history", "forced"};
	size_t i;
	for (i = 0; i < 5; i++) {
		if (n == 1 && !strcmp(w[0], views[i])) {
			switch_top(t, (int)i);
			return 1;
		}
	}
	/* exit: as in `mech shell`, whose completion offers it */
	if (n == 1 && (!strcmp(w[0], "quit") || !strcmp(w[0], "q") || !strcmp(w[0], "exit"))) {
		t->running = 0;
		return 1;
	}
	if (n == 1 && !strcmp(w[0], "refresh")) {
		do_action(t, TUI_ACT_REFRESH);
		return 1;
	}
	if (n == 1 && !strcmp(w[0], "keys")) {
		do_action(t, TUI_ACT_HELP);
		return 1;
	}
	if (!strcmp(w[0], "theme") && n <= 2) {
		char *next = n == 2 ? mech_strdup(w[1]) : tui_theme_next(t->home);
		set_theme(t, next);
		free(next);
		return 1;
	}
	if ((!strcmp(w[0], "screen-save") || !strcmp(w[0], "screen-save-attrs")) && n == 2) {
		if (t->via_ssh) {
			/* a file on the mech host, written as mech: not for a tenant's key */
			tui_message(t, 1, "screen-save writes files on the mech host: not over SSH");
			return 1;
		}
		tui_draw(t);
		if (tui_screen_save(w[1], !strcmp(w[0], "screen-save-attrs")) < 0) {
			tui_message(t, 1, "%s", mech_error_last()->message);
			mech_error_clear();
		}
		return 1;
	}
	if (!strcmp(w[0], "resize") && n == 2) {
		int cols = 0, rows = 0;
		if (sscanf(w[1], "%dx%d", &cols, &rows) == 2 && cols > 0 && rows > 0 &&
		    cols < 1000 && rows < 1000)
			resizeterm(rows, cols);
		else
			tui_message(t, 1, "resize COLSxROWS, e.g. resize 100x30");
		t->dirty = 1;
		return 1;
	}
	return 0;
}

void tui_prompt_submit(struct tui *t, const char *line)
{
	mech_strv w = MECH_STRV_INIT;
	if (mech_sshcmd_split(line, &w) < 0) {
		const mech_error *e = mech_error_last();
		tui_message(t, 1, "%s", e && e->message ? e->message : "cannot parse the command");
		mech_error_clear();
		return;
	}
	if (w.len && !internal_command(t, w.items, w.len))
		tui_run_command(t, line);
	mech_strv_dispose(&w);
}

/* ---- the loop ---- */

static int read_key(int *key)
{
	wint_t wc;
	int r = get_wch(&wc);
	if (r == ERR)
		return 0;
	if (r == KEY_CODE_YES) {
		if (wc == KEY_ENTER)
			*key = '\n';
		else
			*key = TUI_KEY_FN | (int)wc;
	} else {
		*key = wc == '\r' ? '\n' : (int)wc;
	}
	return 1;
}

static void loop(struct tui *t)
{
	long long now = tui_now_ms(), next_git = now + GIT_POLL_MS, next_tick = now + TICK_MS;
	struct pollfd fds[2];

	fds[0].fd = 0;
	fds[0].events = POLLIN;
	fds[1].fd = t->data.wake[0];
	fds[1].events = POLLIN;
	while (t->running) {
		unsigned gen;
		long long wait;
		int key;
		now = tui_now_ms();
		if (t->live_dirty && now - t->live_drawn_ms >= LIVE_DRAW_MS)
			t->dirty = 1;
		if (t->dirty) {
			tui_draw(t);
			t->dirty = t->live_dirty = 0;
			t->live_drawn_ms = now;
			refresh();
		}
		if (t->slow) {
			load_slow(t);
			continue;
		}
		wait = (next_git < next_tick ? next_git : next_tick) - now;
		if (t->live_dirty && t->live_drawn_ms + LIVE_DRAW_MS - now < wait)
			wait = t->live_drawn_ms + LIVE_DRAW_MS - now;
		if (poll(fds, 2, wait < 0 ? 0 : (int)wait) < 0 && errno != EINTR)
			break;
		if (fds[1].revents & POLLIN) {
			char buf[256];
			while (read(t->data.wake[0], buf, sizeof(buf)) > 0)
				;
		}
		tui_data_lock(&t->data);
		gen = t->data.live_gen;
		tui_data_unlock(&t->data);
		if (gen != t->seen_live_gen) {
			t->seen_live_gen = gen;
			live_changed(t);
		}
		now = tui_now_ms();
		if (now >= next_git) {
			if (!t->paused && tui_data_git_poll(&t->data, 0))
				reload_views(t);
			next_git = now + GIT_POLL_MS;
		}
		if (now >= next_tick) {
			if (!t->paused && t->view->ops->tick && t->view->ops->tick(t, t->view))
				t->dirty = 1;
			if (!t->dirty) {
				tui_draw_header(t);
				if (t->mode != TUI_MODE_NORMAL && t->mode != TUI_MODE_CONFIRM)
					t->dirty = 1; /* put the cursor back on the prompt */
				refresh();
			}
			next_tick = now + TICK_MS;
		}
		while (t->running && read_key(&key)) {
			if (key == (TUI_KEY_FN | KEY_RESIZE))
				t->dirty = 1;
			else if (key == (TUI_KEY_FN | KEY_MOUSE))
				tui_mouse_key(t);
			else
				handle_key(t, key);
		}
	}
}

static void run_script(struct tui *t, script *s)
{
	for (s->at = 0; s->at < s->n && t->running; s->at++) {
		script_item *it = &s->items[s->at];
		if (t->dirty) {
			tui_draw(t);
			t->dirty = 0;
		}
		if (it->key)
			handle_key(t, it->key);
		else if (it->mouse)
			tui_mouse(t, (tui_mouse_kind)(it->mouse - 1), it->mx, it->my);
		else
			tui_prompt_submit(t, it->text);
		if (t->slow) {
			/* the loading state is drawn once, then read: screens are reproducible */
			tui_draw(t);
			load_slow(t);
		}
	}
}

/* A fatal error (out of memory) while the screen is ours: give the terminal back first. */
static void restore_terminal(void)
{
	endwin();
}

static int start_screen(struct tui *t, SCREEN **scr, FILE **out, FILE **in)
{
	const char *term = getenv("TERM");
	if (t->script) {
		const char *size = getenv("MECH_CONSOLE_SIZE");
		int cols = 80, rows = 24;
		if (size && (sscanf(size, "%dx%d", &cols, &rows) != 2 || cols <= 0 || rows <= 0 ||
			     cols > 1000 || rows > 1000))
			return mech_error_set(MECH_EUSAGE, "MECH_CONSOLE_SIZE=%s: want COLSxROWS",
					      size);
		*out = fopen("/dev/null", "w");
		*in = fopen("/dev/null", "r");
		if (!*out || !*in)
			return mech_error_set(MECH_EFAILED, "console: cannot open /dev/null");
		*scr = newterm(term && *term ? term : "xterm", *out, *in);
		if (*scr)
			resizeterm(rows, cols);
	} else {
		*scr = newterm(NULL, stdout, stdin);
	}
	if (!*scr)
		return mech_error_set(MECH_EUSAGE, "console: cannot use terminal type \"%s\"",
				      term ? term : "");
	set_term(*scr);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
	}
	tui_theme_apply();
	return 0;
}

/* Operator mode is local: over SSH the key decides the tenant. */
static int check_mode(sh_ctx *ctx, int all)
{
	if (all && ctx->via_ssh) {
		mech_error_set(MECH_EFORBIDDEN,
			       "`console --all-tenants` is an operator command and cannot run over SSH");
		return mech_error_hint("your key decides the tenant: run `console`");
	}
	if (all && ctx->tenant_flag) {
		char q[MECH_ESCAPE_SIZE];
		mech_error_set(MECH_EUSAGE,
			       "console: --all-tenants and --tenant %s exclude each other",
			       mech_error_escape(q, ctx->tenant_flag));
		return mech_error_hint("--all-tenants shows every tenant, --tenant T one of them");
	}
	return all ? 0 : sh_need_tenant(ctx);
}

int sh_console(sh_ctx *ctx, const sh_args *a)
{
	struct tui t;
	script s;
	const char *script_file = getenv("MECH_CONSOLE_SCRIPT");
	int all = sh_arg_bool(a, SH_OPT_ALL_TENANTS);
	SCREEN *scr = NULL;
	FILE *out = NULL, *in = NULL;
	ssize_t cache_was = 0, cache_now = 0;
	int rc = -1, i;

	setlocale(LC_CTYPE, ""); /* keys and text are UTF-8 (shell/main.c leaves it to us) */
	memset(&t, 0, sizeof(t));
	memset(&s, 0, sizeof(s));
	if (check_mode(ctx, all) < 0)
		return -1;
	t.ctx = ctx;
	t.home = ctx->home;
	t.readonly = ctx->readonly;
	t.via_ssh = ctx->via_ssh;
	t.script = script_file && *script_file;
	t.running = 1;
	/* libgit2 counts a cached object by its raw size, and a parsed tree or commit
	 * weighs several times that: the app list and the history walks pass each
	 * object once or twice, so a small cache saves memory and costs no time */
	git_libgit2_opts(GIT_OPT_GET_CACHED_MEMORY, &cache_now, &cache_was);
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)CACHE_MAX);
	if (tui_keys_init(ctx->home) < 0 ||
	    tui_theme_load(ctx->home, getenv("NO_COLOR") ? "mono" : ctx->cfg->console_theme) < 0 ||
	    (t.script && script_load(&s, script_file) < 0) ||
	    tui_data_open(&t.data, ctx->cfg, all ? NULL : ctx->tenant_name) < 0)
		goto done;
	tui_data_git_poll(&t.data, 1);
	mech_error_clear();
	t.paused = ctx->cfg->console_refresh && !strcmp(ctx->cfg->console_refresh, "paused");
	if (t.script || t.paused) {
		if (tui_data_live_list(&t.data) < 0)
			mech_error_clear();
	} else {
		tui_data_live_start(&t.data);
	}
	t.top[0] = tui_apps_view(&t);
	t.top[1] = tui_routes_view(&t);
	t.top[2] = tui_addons_view(&t);
	t.top[3] = tui_history_view(&t);
	t.top[4] = tui_forced_view(&t);
	/* the first screen reads only what it shows; each view reads its own when shown */
	t.view = t.top[0];
	tui_view_reload(&t, t.view);
	if (start_screen(&t, &scr, &out, &in) < 0)
		goto done;
	mech_fatal_set_hook(restore_terminal);
	tui_input_open(&t);
	t.dirty = 1;
	if (t.script)
		run_script(&t, &s);
	else
		loop(&t);
	rc = 0;
done:
	if (scr) {
		mech_fatal_set_hook(NULL);
		endwin();
		delscreen(scr);
	}
	if (out)
		fclose(out);
	if (in)
		fclose(in);
	tui_data_live_stop(&t.data);
	if (t.view) {
		while (t.view->prev)
			pop(&t);
	}
	for (i = 0; i < 5; i++)
		tui_view_free(t.top[i]);
	if (t.data.cfg)
		tui_data_close(&t.data);
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, cache_was);
	script_free(&s);
	tui_input_close(&t);
	mech_buf_dispose(&t.input);
	free(t.message);
	free(t.pending);
	tui_keys_free();
	tui_theme_free();
	return rc;
}
