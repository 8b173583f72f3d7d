/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Console input beyond keys: the `:` prompt's history and Tab completion,
 * the mouse, and `y` (copy).
 *
 * The prompt keeps readline's history (the same library, file rules and
 * 1000-line limit as `mech shell`: MECH_HOME/cache/TENANT/console_history,
 * 0600 in a 0700 directory; kept in memory only over SSH, where the
 * console writes no files) and completes with the shell's own generator
 * (sh_complete_words). readline's line editor itself is not used: curses
 * owns the terminal, so the prompt edits its line here.
 *
 * Copy writes OSC 52 (ESC ] 52 ; c ; BASE64 BEL) to the terminal, which
 * puts the text on the clipboard of terminals that allow it. Inside tmux
 * the sequence is sent as is (no passthrough wrapping): tmux takes it into
 * its paste buffer, and on to the outer terminal, with `set -g
 * set-clipboard on`. The text is always shown on the message line too.
 */
#include "tui.h"

#include "cmd.h"
#include "handlers.h"
#include "mech/buf.h"

#include <readline/history.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HISTORY_MAX 1000
#define WHEEL_ROWS 3

/* the console's own `:` commands, completed as the first word with the shell's nouns */
static const char *const internal[] = {"addons",  "apps", "forced", "history",
				       "keys",    "quit", "refresh", "routes",
				       "theme",   NULL};

void tui_input_open(struct tui *t)
{
	t->mouse = t->ctx->cfg->console_mouse;
	if (t->mouse && !t->script) {
		mouseinterval(0); /* presses come at once, not after a click delay */
		mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	}
	using_history();
	stifle_history(HISTORY_MAX);
	if (!t->via_ssh)
		t->hist_file = sh_history_file(t->ctx, "console_history");
	if (t->hist_file)
		read_history(t->hist_file);
}

void tui_input_close(struct tui *t)
{
	if (t->hist_file)
		history_truncate_file(t->hist_file, HISTORY_MAX);
	clear_history();
	free(t->hist_file);
	free(t->hist_draft);
	free(t->completions);
	t->hist_file = t->hist_draft = t->completions = NULL;
}

void tui_history_add(struct tui *t, const char *line)
{
	HIST_ENTRY *last;
	t->hist_at = 0;
	if (!*line || strspn(line, " \t") == strlen(line))
		return;
	last = history_length ? history_get(history_base + history_length - 1) : NULL;
	if (last && !strcmp(last->line, line))
		return; /* the same line again: once is enough */
	add_history(line);
	if (t->hist_file)
		append_history(1, t->hist_file);
}

static void set_input(struct tui *t, const char *s)
{
	mech_buf_clear(&t->input);
	mech_buf_puts(&t->input, s ? s : "");
}

static void history_move(struct tui *t, int older)
{
	HIST_ENTRY *e;
	int at = t->hist_at + (older ? 1 : -1);
	if (at < 0 || at > history_length)
		return;
	if (t->hist_at == 0) {
		free(t->hist_draft);
		t->hist_draft = mech_strdup(mech_buf_cstr(&t->input));
	}
	t->hist_at = at;
	if (at == 0) {
		set_input(t, t->hist_draft);
		return;
	}
	e = history_get(history_base + history_length - at);
	set_input(t, e ? e->line : "");
}

static void complete(struct tui *t)
{
	const char *line = mech_buf_cstr(&t->input), *word = strrchr(line, ' ');
	mech_strv out = MECH_STRV_INIT;
	mech_buf shown = MECH_BUF_INIT;
	char *before, *partial;
	size_t i, common;

	word = word ? word + 1 : line;
	before = mech_strndup(line, (size_t)(word - line));
	partial = mech_strdup(word);
	/* `:mech app …` runs as `:app …` */
	sh_complete_words(t->ctx, !strncmp(before, "mech ", 5) ? before + 5 : before, partial,
			  &out);
	if (strspn(before, " ") == strlen(before))
		for (i = 0; internal[i]; i++)
			if (!strncmp(internal[i], partial, strlen(partial)) &&
			    !mech_strv_contains(&out, internal[i]))
				mech_strv_push(&out, internal[i]);
	mech_strv_sort(&out);
	free(t->completions);
	t->completions = NULL;
	if (out.len == 0) {
		t->completions = mech_sprintf("no completion for \"%s\"", partial);
	} else if (out.len == 1) {
		mech_buf_clear(&t->input);
		mech_buf_printf(&t->input, "%s%s ", before, out.items[0]);
	} else {
		common = strlen(out.items[0]);
		for (i = 1; i < out.len; i++) {
			size_t k = 0;
			while (k < common && out.items[i][k] == out.items[0][k])
				k++;
			common = k;
		}
		mech_buf_clear(&t->input);
		mech_buf_printf(&t->input, "%s%.*s", before, (int)common, out.items[0]);
		mech_buf_puts(&shown, "Tab:");
		for (i = 0; i < out.len; i++)
			mech_buf_printf(&shown, " %s", out.items[i]);
		t->completions = mech_buf_detach(&shown);
	}
	mech_buf_dispose(&shown);
	mech_strv_dispose(&out);
	free(before);
	free(partial);
}

int tui_prompt_key(struct tui *t, int key)
{
	int handled = 1;
	free(t->completions);
	t->completions = NULL;
	if (key == (TUI_KEY_FN | KEY_UP) || key == 16) /* C-p */
		history_move(t, 1);
	else if (key == (TUI_KEY_FN | KEY_DOWN) || key == 14) /* C-n */
		history_move(t, 0);
	else if (key == '\t')
		complete(t);
	else
		handled = 0;
	if (handled)
		t->dirty = 1;
	return handled;
}

/* ---- copy ---- */

static int is_sha(const char *s)
{
	return s && strlen(s) == 40 && strspn(s, "0123456789abcdef") == 40;
}

/* A list's selected row; in a text view (commit detail, command output) the commit it shows. */
static const char *copy_text(const tui_view *v)
{
	const tui_line *l;
	size_t i;
	if (v->selectable) {
		l = tui_view_selected(v);
		return l && l->key && *l->key ? l->key : NULL;
	}
	for (i = 0; i < v->nlines; i++)
		if (is_sha(v->lines[i].key))
			return v->lines[i].key;
	return NULL;
}

void tui_copy(struct tui *t)
{
	const char *text = copy_text(t->view), *term = getenv("TERM");
	const char *clip = t->ctx->cfg->console_clipboard;
	char shown[16];
	int osc52 = !t->script && clip && !strcmp(clip, "osc52") && term && *term &&
		    strcmp(term, "dumb") != 0;

	if (!text) {
		tui_message(t, 0, "nothing to copy here");
		return;
	}
	/* a sha is shown short, as git does; the clipboard gets all of it */
	snprintf(shown, sizeof(shown), "%.7s", text);
	if (osc52) {
		char *b64 = mech_base64(text, strlen(text));
		char *seq = mech_sprintf("\033]52;c;%s\007", b64);
		fflush(stdout);
		osc52 = mech_write_all(1, seq, strlen(seq)) == 0;
		free(seq);
		free(b64);
	}
	if (osc52)
		tui_message(t, 0, "copied %s", is_sha(text) ? shown : text);
	else
		tui_message(t, 0, "copy: %s", text);
}

/* ---- mouse ---- */

void tui_mouse(struct tui *t, tui_mouse_kind kind, int x, int y)
{
	tui_view *v = t->view;
	int tab;
	if (!t->mouse || t->mode != TUI_MODE_NORMAL)
		return;
	free(t->message); /* as a key does */
	t->message = NULL;
	t->message_error = 0;
	t->dirty = 1;
	if (kind != TUI_MOUSE_CLICK) {
		long d = kind == TUI_MOUSE_WHEEL_DOWN ? WHEEL_ROWS : -WHEEL_ROWS;
		tui_view_move(v, d, t->body_rows);
		return;
	}
	if (y == 1 && (tab = tui_tab_at(t, x)) >= 0) {
		char cmd[16];
		static const char *const views[] = {"apps", "routes", "addons", "history",
						    "forced"};
		snprintf(cmd, sizeof(cmd), "%s", views[tab]);
		tui_prompt_submit(t, cmd); /* as `:apps`, `:routes`, … */
		return;
	}
	if (v->selectable && y >= 3 && y < 3 + t->body_rows && v->top + (size_t)(y - 3) < v->nvis)
		v->cursor = v->top + (size_t)(y - 3);
}

void tui_mouse_key(struct tui *t)
{
	MEVENT ev;
	if (getmouse(&ev) != OK)
		return;
	if (ev.bstate & BUTTON4_PRESSED)
		tui_mouse(t, TUI_MOUSE_WHEEL_UP, ev.x, ev.y);
	else if (ev.bstate & BUTTON5_PRESSED)
		tui_mouse(t, TUI_MOUSE_WHEEL_DOWN, ev.x, ev.y);
	else if (ev.bstate & BUTTON1_PRESSED)
		tui_mouse(t, TUI_MOUSE_CLICK, ev.x, ev.y);
}

int tui_mouse_parse(const char *s, size_t len, tui_mouse_kind *kind, int *x, int *y)
{
	static const struct {
		const char *name;
		tui_mouse_kind kind;
	} kinds[] = {{"click", TUI_MOUSE_CLICK},
		     {"wheel-up", TUI_MOUSE_WHEEL_UP},
		     {"wheel-down", TUI_MOUSE_WHEEL_DOWN}};
	char buf[64], name[16], end;
	size_t i;
	if (len < 3 || len >= sizeof(buf) || s[0] != '<' || s[len - 1] != '>')
		return -1;
	memcpy(buf, s + 1, len - 2);
	buf[len - 2] = '\0';
	if (sscanf(buf, "%15s %d %d%c", name, x, y, &end) != 3 || *x < 0 || *y < 0 || *x > 999 ||
	    *y > 999)
		return -1;
	for (i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		if (!strcmp(name, kinds[i].name)) {
			*kind = kinds[i].kind;
			return 0;
		}
	}
	return -1;
}
