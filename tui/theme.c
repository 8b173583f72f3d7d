/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Console themes: files of `color AREA FG [BG] [ATTR…]` lines over the
 * table of colour areas in tui.h (TUI_AREA_INFO). Found in
 * MECH_HOME/themes, then the source tree's themes/, then MECH_THEMES_DIR.
 * NO_COLOR (or a terminal without colours) keeps only the attributes;
 * colours a terminal lacks degrade to the nearest of its 8.
 */
#include "tui.h"

#include "mech/buf.h"
#include "mech/error.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifndef MECH_SOURCE_THEMES
#define MECH_SOURCE_THEMES ""
#endif
#ifndef MECH_THEMES_DIR
#define MECH_THEMES_DIR ""
#endif

#define MAX_THEME_FILE (64 * 1024)
#define NO_COLOR_SET (-2)

static const char *const area_names[] = {
#define TUI__AREA_NAME(id, name, help) name,
	TUI_AREA_INFO(TUI__AREA_NAME)
#undef TUI__AREA_NAME
};

static const char *const cycle[] = {"default", "light", "high-contrast", "mono"};

typedef struct {
	short fg, bg; /* -1 = terminal default, NO_COLOR_SET = inherit "default" */
	attr_t attr;
	int set;
} area_style;

static struct {
	char *name;
	area_style area[TUI_AREA__COUNT];
	int colors_ok; /* the terminal has colours and NO_COLOR is unset */
} theme;

const char *tui_area_name(tui_area a)
{
	return (size_t)a < TUI_AREA__COUNT ? area_names[a] : "?";
}

const char *tui_theme_name(void)
{
	return theme.name ? theme.name : "default";
}

void tui_theme_free(void)
{
	free(theme.name);
	theme.name = NULL;
}

/* Attributes alone: the built-in fallback and what NO_COLOR keeps. */
static void builtin_mono(void)
{
	size_t i;
	for (i = 0; i < TUI_AREA__COUNT; i++) {
		theme.area[i].fg = theme.area[i].bg = NO_COLOR_SET;
		theme.area[i].attr = A_NORMAL;
		theme.area[i].set = 0;
	}
	theme.area[TUI_AREA_HEADER].attr = A_REVERSE;
	theme.area[TUI_AREA_HEADER_ERROR].attr = A_REVERSE | A_BOLD;
	theme.area[TUI_AREA_TAB_ACTIVE].attr = A_REVERSE | A_BOLD;
	theme.area[TUI_AREA_SELECTION].attr = A_REVERSE;
	theme.area[TUI_AREA_COLUMN].attr = A_BOLD;
	theme.area[TUI_AREA_TITLE].attr = A_BOLD;
	theme.area[TUI_AREA_ERROR].attr = A_BOLD;
	theme.area[TUI_AREA_FORCED].attr = A_BOLD;
	theme.area[TUI_AREA_DEGRADED].attr = A_BOLD;
	theme.area[TUI_AREA_OUT_OF_SYNC].attr = A_BOLD;
	theme.area[TUI_AREA_DIFF_HUNK].attr = A_BOLD;
	theme.area[TUI_AREA_DIFF_HEADER].attr = A_BOLD;
	theme.area[TUI_AREA_DIM].attr = A_DIM;
	theme.area[TUI_AREA_SEARCH].attr = A_REVERSE | A_BOLD;
}

static const char *const color_names[] = {"black", "red",     "green", "yellow",
					  "blue",  "magenta", "cyan",  "white"};

static int parse_color(const char *s, size_t n, short *out)
{
	size_t i;
	if (n == 7 && !strncmp(s, "default", 7))
		return *out = -1, 0;
	for (i = 0; i < 8; i++) {
		size_t l = strlen(color_names[i]);
		if (n == l && !strncmp(s, color_names[i], l))
			return *out = (short)i, 0;
		if (n == l + 7 && !strncmp(s, "bright-", 7) && !strncmp(s + 7, color_names[i], l))
			return *out = (short)(i + 8), 0;
	}
	if (n > 5 && n <= 8 && !strncmp(s, "color", 5)) {
		int v = 0;
		for (i = 5; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			v = v * 10 + (s[i] - '0');
		}
		if (v > 255)
			return -1;
		return *out = (short)v, 0;
	}
	return -1;
}

static int parse_attr(const char *s, size_t n, attr_t *out)
{
	static const struct {
		const char *name;
		attr_t attr;
	} attrs[] = {
		{"normal", A_NORMAL},   {"bold", A_BOLD},           {"dim", A_DIM},
		{"reverse", A_REVERSE}, {"underline", A_UNDERLINE}, {"standout", A_STANDOUT},
		{"blink", A_BLINK},     {"italic", A_ITALIC},
	};
	size_t i;
	for (i = 0; i < sizeof(attrs) / sizeof(*attrs); i++) {
		if (n == strlen(attrs[i].name) && !strncmp(s, attrs[i].name, n)) {
			*out |= attrs[i].attr;
			return 0;
		}
	}
	return -1;
}

/* The offending text goes into the message escaped: a message is one printable line. */
static int theme_error(const char *file, int line, const char *what, const char *w, size_t n)
{
	char shown[MECH_ESCAPE_SIZE];
	mech_error_set(MECH_ECONFIG, "%s:%d: %s \"%s\"", file, line, what,
		       mech_error_escape_n(shown, w, n));
	return mech_error_hint("lines read `color AREA FG [BG] [ATTR...]`; colours: default, black, "
			       "red, green, yellow, blue, magenta, cyan, white, bright-NAME, "
			       "color0..color255; see docs/console.md");
}

#define WORDS_MAX 12 /* `color AREA FG BG` and every attribute, with room to spare */

static int parse_line(const char *file, int line, const char *p, const char *end)
{
	const char *w[WORDS_MAX];
	size_t wl[WORDS_MAX], nw = 0, i;
	const char *q = p;
	int a = -1;
	area_style st = {NO_COLOR_SET, NO_COLOR_SET, A_NORMAL, 1};

	for (;;) {
		while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q == end || *q == '#')
			break;
		w[nw < WORDS_MAX ? nw : 0] = q;
		while (q < end && *q != ' ' && *q != '\t' && *q != '\r')
			q++;
		if (nw == WORDS_MAX)
			return theme_error(file, line, "more than 12 words, from", w[0],
					   (size_t)(q - w[0]));
		wl[nw] = (size_t)(q - w[nw]);
		nw++;
	}
	if (nw == 0)
		return 0;
	if (wl[0] != 5 || strncmp(w[0], "color", 5) || nw < 3) {
		while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			end--;
		return theme_error(file, line, "expected `color AREA FG [BG] [ATTR...]`, got", p,
				   (size_t)(end - p));
	}
	for (i = 0; i < TUI_AREA__COUNT; i++)
		if (wl[1] == strlen(area_names[i]) && !strncmp(w[1], area_names[i], wl[1]))
			a = (int)i;
	if (a < 0)
		return theme_error(file, line, "unknown colour area", w[1], wl[1]);
	for (i = 2; i < nw; i++) {
		short c;
		if (i <= 3 && parse_color(w[i], wl[i], &c) == 0) {
			if (i == 2)
				st.fg = c;
			else
				st.bg = c;
		} else if (parse_attr(w[i], wl[i], &st.attr) < 0) {
			return theme_error(file, line,
					   i <= 3 ? "unknown colour or attribute"
						  : "unknown attribute",
					   w[i], wl[i]);
		}
	}
	theme.area[a] = st;
	return 0;
}

static char *theme_file(const char *home, const char *name)
{
	const char *dirs[3];
	char *home_dir = mech_sprintf("%s/themes", home);
	size_t i;
	dirs[0] = home_dir;
	dirs[1] = MECH_SOURCE_THEMES;
	dirs[2] = MECH_THEMES_DIR;
	for (i = 0; i < 3; i++) {
		char *f;
		if (!*dirs[i])
			continue;
		f = mech_sprintf("%s/%s.theme", dirs[i], name);
		if (access(f, R_OK) == 0) {
			free(home_dir);
			return f;
		}
		free(f);
	}
	free(home_dir);
	return NULL;
}

/* Theme text into the current theme, replacing all of it: 0, or -1 with
 * the error naming FILE:LINE and the theme left attributes only. Text in,
 * table out: no curses screen needed (tests and tests/fuzz call it). */
int tui_theme_parse(const char *file, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	int line = 0;
	size_t i;

	builtin_mono();
	for (i = 0; i < TUI_AREA__COUNT; i++)
		theme.area[i].attr = A_NORMAL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		line++;
		if (memchr(p, '\0', (size_t)(eol - p))) {
			mech_error_set(MECH_ECONFIG, "%s:%d: a NUL byte; a theme is a text file",
				       file, line);
			mech_error_hint(
				"lines read `color AREA FG [BG] [ATTR...]`; see docs/console.md");
			goto fail;
		}
		if (parse_line(file, line, p, eol) < 0)
			goto fail;
		p = nl ? nl + 1 : end;
	}
	return 0;
fail:
	builtin_mono(); /* never half a theme */
	return -1;
}

int tui_theme_load(const char *home, const char *name)
{
	mech_buf b = MECH_BUF_INIT;
	char q[MECH_ESCAPE_SIZE], *file;
	int rc;

	if (!*name || strchr(name, '/') || strlen(name) > 64)
		return mech_error_set(MECH_ECONFIG, "console theme \"%s\" is not a theme name",
				      mech_error_escape(q, name));
	file = theme_file(home, name);
	builtin_mono();
	if (!file) {
		if (!strcmp(name, "default") || !strcmp(name, "mono")) {
			/* no theme files installed: attributes only still read well */
			free(theme.name);
			theme.name = mech_strdup(name);
			return 0;
		}
		mech_error_set(MECH_ECONFIG, "console theme \"%s\" not found",
			       mech_error_escape(q, name));
		return mech_error_hint("themes are NAME.theme files in %s/themes, %s or %s", home,
				       MECH_SOURCE_THEMES, MECH_THEMES_DIR);
	}
	rc = mech_buf_read_file(&b, file, MAX_THEME_FILE);
	if (rc == 0)
		rc = tui_theme_parse(file, mech_buf_cstr(&b), b.len);
	free(file);
	mech_buf_dispose(&b);
	if (rc < 0)
		return -1;
	free(theme.name);
	theme.name = mech_strdup(name);
	return 0;
}

/* The nearest of 8 colours for a colour the terminal lacks. */
static short degrade(short c, attr_t *attr, int is_fg)
{
	if (c < 0 || c < COLORS)
		return c;
	if (c < 16) {
		if (is_fg)
			*attr |= A_BOLD;
		return (short)(c - 8);
	}
	if (c < 232) {
		int r = (c - 16) / 36, g = ((c - 16) / 6) % 6, bl = (c - 16) % 6;
		return (short)((r >= 3 ? 1 : 0) | (g >= 3 ? 2 : 0) | (bl >= 3 ? 4 : 0));
	}
	return c < 244 ? COLOR_BLACK : COLOR_WHITE;
}

static attr_t area_attrs[TUI_AREA__COUNT];

void tui_theme_apply(void)
{
	size_t i;
	const area_style *def = &theme.area[TUI_AREA_DEFAULT];
	theme.colors_ok = has_colors() && !getenv("NO_COLOR");
	for (i = 0; i < TUI_AREA__COUNT; i++) {
		const area_style *s = &theme.area[i];
		attr_t attr = s->attr;
		if (theme.colors_ok) {
			short fg = s->fg != NO_COLOR_SET ? s->fg : def->fg;
			short bg = s->bg != NO_COLOR_SET ? s->bg : def->bg;
			if (fg == NO_COLOR_SET)
				fg = -1;
			if (bg == NO_COLOR_SET)
				bg = -1;
			fg = degrade(fg, &attr, 1);
			bg = degrade(bg, &attr, 0);
			if ((int)i + 1 < COLOR_PAIRS && init_pair((short)(i + 1), fg, bg) != ERR)
				attr |= COLOR_PAIR((int)i + 1);
		}
		area_attrs[i] = attr;
	}
	bkgdset(' ' | area_attrs[TUI_AREA_DEFAULT]);
}

attr_t tui_theme_attr(tui_area area)
{
	return (size_t)area < TUI_AREA__COUNT ? area_attrs[area] : A_NORMAL;
}

static void add_names(mech_strv *v, const char *dir)
{
	DIR *d;
	struct dirent *e;
	if (!*dir || !(d = opendir(dir)))
		return;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		char *name;
		if (n <= 6 || strcmp(e->d_name + n - 6, ".theme"))
			continue;
		name = mech_strndup(e->d_name, n - 6);
		if (!mech_strv_contains(v, name))
			mech_strv_push(v, name);
		free(name);
	}
	closedir(d);
}

char *tui_theme_next(const char *home)
{
	mech_strv names = MECH_STRV_INIT, extra = MECH_STRV_INIT;
	char *home_dir = mech_sprintf("%s/themes", home);
	char *next;
	size_t i;

	for (i = 0; i < sizeof(cycle) / sizeof(*cycle); i++)
		mech_strv_push(&names, cycle[i]);
	add_names(&extra, home_dir);
	add_names(&extra, MECH_SOURCE_THEMES);
	add_names(&extra, MECH_THEMES_DIR);
	mech_strv_sort(&extra);
	for (i = 0; i < extra.len; i++)
		if (!mech_strv_contains(&names, extra.items[i]))
			mech_strv_push(&names, extra.items[i]);
	next = mech_strdup(names.items[0]);
	for (i = 0; i < names.len; i++) {
		if (!strcmp(names.items[i], tui_theme_name())) {
			free(next);
			next = mech_strdup(names.items[(i + 1) % names.len]);
			break;
		}
	}
	mech_strv_dispose(&names);
	mech_strv_dispose(&extra);
	free(home_dir);
	return next;
}
