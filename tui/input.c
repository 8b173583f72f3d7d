/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Console input beyond keys: the `:` prompt's history and Tab completion,
 * the mouse, and `y` (copy).
 *
 * The prompt is readline, set up as `mech shell` sets it up (its Tab
 * completion, its history: the same file rules and 1000-line limit, in
 * MECH_HOME/cache/TENANT/console_history, 0600 in a 0700 directory; kept
 * in memory only over SSH, where the console writes no files), driven
 * through its callback interface so that curses keeps the terminal.
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
#include <readline/readline.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <unistd.h>
#include <wchar.h>

/* term.h's capability names that are words here */
#undef lines
#undef tab

#define HISTORY_MAX 1000
#define WHEEL_ROWS 3

/*
 * readline in callback mode, driven by the console's key loop: it never
 * touches the terminal (its streams are /dev/null, its terminal
 * preparation a no-op, its redisplay copies the line to the prompt that
 * draw.c shows), each key from curses is fed to it as the bytes a
 * terminal would send, and a finished line comes back through on_line.
 */
static struct tui *rl_tui;
static unsigned char rl_bytes[16];
static size_t rl_nbytes, rl_at;
static FILE *rl_null;
static int rl_ready, rl_installed, rl_got;
static char *rl_line;

static int rl_getc_hook(FILE *f)
{
	(void)f;
	return rl_at < rl_nbytes ? rl_bytes[rl_at++] : EOF;
}

/* readline reads ahead while input is queued: only the bytes of this key are */
static int rl_available_hook(void)
{
	return rl_at < rl_nbytes;
}

static void rl_redisplay_hook(void)
{
	struct tui *t = rl_tui;
	mech_buf_clear(&t->input);
	mech_buf_puts(&t->input, rl_line_buffer ? rl_line_buffer : "");
	t->input_point = rl_point > 0 ? (size_t)rl_point : 0;
	t->dirty = 1;
}

static void rl_term_noop(int meta)
{
	(void)meta;
}

static void rl_deprep_noop(void)
{
}

/* Tab with several candidates: they show on the status line */
static void rl_matches_hook(char **matches, int num, int max)
{
	mech_buf b = MECH_BUF_INIT;
	int i;
	(void)max;
	mech_buf_puts(&b, "Tab:");
	for (i = 1; i <= num; i++)
		mech_buf_printf(&b, " %s", matches[i]);
	free(rl_tui->completions);
	rl_tui->completions = mech_buf_detach(&b);
	rl_tui->dirty = 1;
}

static void on_line(char *line)
{
	rl_line = line; /* NULL: C-d on an empty line */
	rl_got = 1;
	rl_callback_handler_remove();
	rl_installed = 0;
}

/* the console's own `:` commands, offered with the shell's nouns as the first word */
static const char *const internal[] = {"addons",  "apps",        "exit",  "forced",
				       "history", "keys",        "quit",  "refresh",
				       "routes",  "screen-save", "theme", NULL};
static rl_completion_func_t *shell_complete;
static mech_strv merged;
static size_t merged_at;

static char *merged_next(const char *text, int state)
{
	(void)text;
	if (!state)
		merged_at = 0;
	return merged_at < merged.len ? strdup(merged.items[merged_at++]) : NULL;
}

/* The shell's completion; for the first word, the console's commands too. */
static char **complete(const char *text, int start, int end)
{
	char **m = shell_complete(text, start, end), **out;
	size_t i, n = strlen(text);
	if (strspn(rl_line_buffer, " ") < (size_t)start)
		return m; /* not the first word */
	mech_strv_dispose(&merged);
	for (i = 1; m && m[i]; i++)
		mech_strv_push(&merged, m[i]);
	if (m && !m[1])
		mech_strv_push(&merged, m[0]); /* one match: it is m[0] alone */
	for (i = 0; internal[i]; i++)
		if (!strncmp(internal[i], text, n) && !mech_strv_contains(&merged, internal[i]))
			mech_strv_push(&merged, internal[i]);
	for (i = 0; m && m[i]; i++)
		free(m[i]);
	free(m);
	mech_strv_sort(&merged);
	out = rl_completion_matches(text, merged_next);
	mech_strv_dispose(&merged);
	return out;
}

static void rl_setup(struct tui *t)
{
	TERMINAL *screen_term = cur_term;
	rl_null = fopen("/dev/null", "r+");
	rl_instream = rl_null;
	rl_outstream = rl_null;
	rl_getc_function = rl_getc_hook;
	rl_input_available_hook = rl_available_hook;
	rl_redisplay_function = rl_redisplay_hook;
	rl_prep_term_function = rl_term_noop;
	rl_deprep_term_function = rl_deprep_noop;
	rl_completion_display_matches_hook = rl_matches_hook;
	rl_catch_sigwinch = 0;
	rl_change_environment = 0;
	rl_terminal_name = "dumb"; /* it draws nothing: no terminal capabilities needed */
	sh_readline_setup(t->ctx);
	shell_complete = rl_attempted_completion_function;
	rl_attempted_completion_function = complete;
	rl_initialize();
	/* readline's tgetent made its terminal the current one: curses' is put back */
	set_curterm(screen_term);
	rl_variable_bind("bell-style", "none");
	rl_variable_bind("show-all-if-ambiguous", "on");
	rl_bind_keyseq("\\e[3~", rl_delete);
	rl_ready = 1;
}

void tui_input_open(struct tui *t)
{
	rl_tui = t;
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
	if (rl_installed)
		rl_callback_handler_remove();
	rl_installed = 0;
	if (t->hist_file)
		history_truncate_file(t->hist_file, HISTORY_MAX);
	clear_history();
	if (rl_ready)
		sh_readline_done();
	if (rl_null)
		fclose(rl_null);
	rl_null = NULL;
	rl_instream = rl_outstream = NULL;
	rl_ready = 0;
	free(t->hist_file);
	free(t->completions);
	t->hist_file = t->completions = NULL;
	rl_tui = NULL;
}

void tui_history_add(struct tui *t, const char *line)
{
	HIST_ENTRY *last;
	if (!*line || strspn(line, " \t") == strlen(line))
		return;
	last = history_length ? history_get(history_base + history_length - 1) : NULL;
	if (last && !strcmp(last->line, line))
		return; /* the same line again: once is enough */
	add_history(line);
	if (t->hist_file)
		append_history(1, t->hist_file);
}

void tui_prompt_start(struct tui *t)
{
	if (!rl_ready)
		rl_setup(t);
	t->mode = TUI_MODE_PROMPT;
	mech_buf_clear(&t->input);
	t->input_point = 0;
	rl_got = 0;
	rl_callback_handler_install("", on_line);
	rl_installed = 1;
	t->dirty = 1;
}

static void prompt_end(struct tui *t)
{
	if (rl_installed) {
		rl_callback_sigcleanup();
		rl_callback_handler_remove();
		rl_installed = 0;
	}
	t->mode = TUI_MODE_NORMAL;
	mech_buf_clear(&t->input);
	t->dirty = 1;
}

/* What a terminal sends for a key (readline binds these sequences by default). */
static size_t key_bytes(int key, unsigned char *out)
{
	static const struct {
		int key;
		const char *seq;
	} fn[] = {{KEY_UP, "\033[A"},   {KEY_DOWN, "\033[B"},   {KEY_RIGHT, "\033[C"},
		  {KEY_LEFT, "\033[D"}, {KEY_HOME, "\033[H"},   {KEY_END, "\033[F"},
		  {KEY_DC, "\033[3~"},  {KEY_BACKSPACE, "\177"}};
	size_t i;
	if (key & TUI_KEY_FN) {
		for (i = 0; i < sizeof(fn) / sizeof(*fn); i++)
			if ((key & ~TUI_KEY_FN) == fn[i].key)
				return memcpy(out, fn[i].seq, strlen(fn[i].seq)), strlen(fn[i].seq);
		return 0;
	}
	{
		mbstate_t st;
		char mb[8];
		size_t n;
		memset(&st, 0, sizeof(st));
		n = wcrtomb(mb, (wchar_t)key, &st);
		if (n == (size_t)-1 || n > 8)
			return 0;
		memcpy(out, mb, n);
		return n;
	}
}

void tui_prompt_key(struct tui *t, int key)
{
	int bs = key == (TUI_KEY_FN | KEY_BACKSPACE) || key == 127 || key == 8;
	free(t->completions);
	t->completions = NULL;
	t->dirty = 1;
	if (key == 27 || (bs && rl_end == 0)) {
		prompt_end(t); /* Esc, or Backspace on an empty line: no command */
		return;
	}
	rl_nbytes = key_bytes(key, rl_bytes);
	for (rl_at = 0; rl_at < rl_nbytes && !rl_got;)
		rl_callback_read_char();
	rl_nbytes = rl_at = 0;
	if (rl_got) {
		char *line = rl_line;
		rl_got = 0;
		rl_line = NULL;
		prompt_end(t);
		if (line) {
			tui_history_add(t, line);
			tui_prompt_submit(t, line);
		}
		free(line);
	}
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
		static const char *const views[] = {"apps", "routes", "addons", "history", "forced"};
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
