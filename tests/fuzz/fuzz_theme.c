/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for console theme files: tui_theme_parse (tui/theme.c,
 * built in with ncursesw; parsing itself needs no screen). The input is a
 * theme file's text. Besides "no crash, no leak":
 *   - it parses, or fails with MECH_ECONFIG, a hint and one printable line
 *     "fuzz.theme:N: ..." where N is a line of the input;
 *   - that line is the first bad one: the lines before it parse, and the
 *     text through it fails with the same message;
 *   - applied to a colour screen (xterm-256color, or 8-colour xterm for
 *     inputs of odd length; curses writes to /dev/null), every area gets
 *     its own colour pair in colours the terminal has, and only known
 *     attributes; after a failure no area has a colour.
 * tests/unit/test_theme.c replays the seed corpus through this function.
 */
#include "tui.h"

#include "mech/error.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FILE_NAME "fuzz.theme"
#define KNOWN_ATTRS (A_BOLD | A_DIM | A_REVERSE | A_UNDERLINE | A_STANDOUT | A_BLINK | A_ITALIC)

static SCREEN *screens[2]; /* 256 colours, 8 colours; NULL without terminfo */
static int screens_tried;

static void fail(const char *why, const char *detail)
{
	fprintf(stderr, "fuzz_theme: %s%s%s\n", why, detail ? ": " : "", detail ? detail : "");
	abort();
}

/* Once per process, outside any input (libFuzzer counts allocations per input). */
static void open_screens(void)
{
	static const char *const types[2] = {"xterm-256color", "xterm"};
	FILE *out, *in;
	size_t i;

	if (screens_tried++)
		return;
	out = fopen("/dev/null", "w");
	in = fopen("/dev/null", "r");
	if (!out || !in)
		return;
	for (i = 0; i < 2; i++) {
		screens[i] = newterm(types[i], out, in);
		if (screens[i] && has_colors()) {
			start_color();
			use_default_colors();
		}
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	open_screens();
	return 0;
}

static void check_error(const char *text, size_t len, int *bad_line)
{
	const mech_error *e = mech_error_last();
	const char *p;
	char *after;
	long n;
	size_t lines = 1, i;

	if (!e || e->code != MECH_ECONFIG || !e->hint)
		fail("a failure without a configuration error and hint", e ? e->message : NULL);
	if (strncmp(e->message, FILE_NAME ":", sizeof(FILE_NAME)))
		fail("the message does not start with FILE:", e->message);
	n = strtol(e->message + sizeof(FILE_NAME), &after, 10);
	for (i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (n < 1 || (size_t)n > lines || *after != ':')
		fail("the message does not name a line of the file", e->message);
	for (p = e->message; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fail("the message has a control byte", e->message);
	*bad_line = (int)n;
}

/* Offset where line `n` (1-based) starts. */
static size_t line_start(const char *text, size_t len, int n)
{
	size_t off = 0;
	while (--n > 0) {
		const char *nl = memchr(text + off, '\n', len - off);
		off = (size_t)(nl - text) + 1;
	}
	return off;
}

static void check_first_bad_line(const char *text, size_t len, int bad)
{
	char *msg = mech_strdup(mech_error_last()->message);
	size_t start = line_start(text, len, bad);
	const char *nl = memchr(text + start, '\n', len - start);
	size_t through = nl ? (size_t)(nl - text) : len;

	if (tui_theme_parse(FILE_NAME, text, start) != 0)
		fail("the lines before the one named do not parse", mech_error_last()->message);
	if (tui_theme_parse(FILE_NAME, text, through) == 0 ||
	    strcmp(mech_error_last()->message, msg))
		fail("the text through the line named does not fail the same way", msg);
	free(msg);
}

static void check_applied(SCREEN *scr, int ok)
{
	size_t i;

	set_term(scr);
	tui_theme_apply();
	for (i = 0; i < TUI_AREA__COUNT; i++) {
		attr_t a = tui_theme_attr((tui_area)i);
		short fg, bg;
		if (a & ~(A_COLOR | KNOWN_ATTRS))
			fail("an unknown attribute bit", tui_area_name((tui_area)i));
		if (!has_colors() || getenv("NO_COLOR"))
			continue;
		if (PAIR_NUMBER(a) != (int)i + 1)
			fail("an area without its colour pair", tui_area_name((tui_area)i));
		if (pair_content((short)(i + 1), &fg, &bg) == ERR || fg < -1 || fg >= COLORS ||
		    bg < -1 || bg >= COLORS)
			fail("a colour the terminal does not have", tui_area_name((tui_area)i));
		if (!ok && (fg != -1 || bg != -1))
			fail("a failed theme left a colour", tui_area_name((tui_area)i));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	int ok, bad = 0;
	SCREEN *scr;

	open_screens(); /* when replayed by a unit test, without LLVMFuzzerInitialize */
	ok = tui_theme_parse(FILE_NAME, text, size) == 0;
	if (!ok) {
		check_error(text, size, &bad);
		check_first_bad_line(text, size, bad);
	}
	scr = screens[size & 1] ? screens[size & 1] : screens[!(size & 1)];
	if (scr)
		check_applied(scr, ok);
	mech_error_clear();
	return 0;
}
