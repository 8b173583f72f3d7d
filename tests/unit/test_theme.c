/* SPDX-License-Identifier: Apache-2.0 */
#include "tui.h"

#include "mech/buf.h"
#include "mech/error.h"

#include <criterion/criterion.h>

#include "corpus.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Console theme files (tui/theme.c): what an operator sees for a bad line
 * (exit 78, FILE:LINE and the word at fault), and that the shipped themes
 * and the fuzz seed corpus load. Parsing needs no curses screen; without
 * one, tui_theme_apply keeps the attributes only.
 */

/* tests/fuzz/fuzz_theme.c, built into this test to replay its corpus */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void bad(const char *text, const char *want)
{
	const mech_error *e;
	cr_assert_eq(tui_theme_parse("t.theme", text, strlen(text)), -1, "accepted: %s", text);
	e = mech_error_last();
	cr_assert_not_null(e);
	cr_expect_eq(mech_error_exit(e->code), 78, "%s", e->message);
	cr_expect_str_eq(e->message, want);
	cr_expect_not_null(e->hint);
	mech_error_clear();
}

static void good(const char *text)
{
	cr_assert_eq(tui_theme_parse("t.theme", text, strlen(text)), 0, "%s: %s", text,
		     mech_error_last() ? mech_error_last()->message : "?");
}

Test(theme, bad_lines_name_file_and_line)
{
	bad("color header white blue\n# fine\n\ncolor no-such-area red\n",
	    "t.theme:4: unknown colour area \"no-such-area\"");
	bad("color header purple", "t.theme:1: unknown colour or attribute \"purple\"");
	bad("color header white blue bold blinking\n", "t.theme:1: unknown attribute \"blinking\"");
	bad("color selection black color256\n",
	    "t.theme:1: unknown colour or attribute \"color256\"");
	bad("color dim color1000\n", "t.theme:1: unknown colour or attribute \"color1000\"");
	bad("colour header white\n",
	    "t.theme:1: expected `color AREA FG [BG] [ATTR...]`, got \"colour header white\"");
	bad("color header white blue bold bold bold bold bold bold bold bold bogus # c\n",
	    "t.theme:1: more than 12 words, from \"bogus\"");
	bad("\n\n  \ncolor header\n",
	    "t.theme:4: expected `color AREA FG [BG] [ATTR...]`, got \"color header\"");
}

Test(theme, crlf_and_comments)
{
	good("# crlf\r\ncolor default default default\r\n\r\ncolor header white blue bold\r\n");
	good("\tcolor\theader\twhite\tblue\tbold # comment\n  # indented\ncolor error red");
	good("");
	/* the line echoed in a message ends before its "\r" */
	bad("color header white\r\ncolr header white\r\n",
	    "t.theme:2: expected `color AREA FG [BG] [ATTR...]`, got \"colr header white\"");
}

Test(theme, message_is_one_printable_line)
{
	char *long_word = mech_sprintf("color header %0200d\n", 0);
	char *want = mech_sprintf("t.theme:1: unknown colour or attribute \"%080d...\"", 0);

	bad("color header \x1b[31mred\n", "t.theme:1: unknown colour or attribute \"\\x1b[31mred\"");
	bad(long_word, want);
	free(long_word);
	free(want);
}

Test(theme, nul_byte_is_an_error)
{
	static const char text[] = "color header red\ncolor error red\0 blue\n";
	const mech_error *e;
	cr_assert_eq(tui_theme_parse("t.theme", text, sizeof(text) - 1), -1);
	e = mech_error_last();
	cr_expect_str_eq(e->message, "t.theme:2: a NUL byte; a theme is a text file");
	cr_expect_eq(mech_error_exit(e->code), 78);
}

/* A file that fails leaves the built-in attributes, not half a theme. */
Test(theme, failure_leaves_no_half_theme)
{
	good("color header white blue underline\n");
	tui_theme_apply();
	cr_expect_eq(tui_theme_attr(TUI_AREA_HEADER), A_UNDERLINE);
	bad("color header white blue underline\nbogus\n",
	    "t.theme:2: expected `color AREA FG [BG] [ATTR...]`, got \"bogus\"");
	tui_theme_apply();
	cr_expect_eq(tui_theme_attr(TUI_AREA_HEADER), A_REVERSE);
}

Test(theme, load_names_the_file)
{
	char home[] = "/tmp/mech-test-theme-XXXXXX";
	char *dir, *file, *want;
	FILE *f;

	cr_assert_not_null(mkdtemp(home));
	dir = mech_sprintf("%s/themes", home);
	file = mech_sprintf("%s/broken.theme", dir);
	cr_assert_eq(mkdir(dir, 0755), 0);
	f = fopen(file, "w");
	cr_assert_not_null(f);
	fputs("color header white blue\n# fine\ncolor no-such-area red\n", f);
	fclose(f);
	cr_assert_eq(tui_theme_load(home, "broken"), -1);
	want = mech_sprintf("%s:3: unknown colour area \"no-such-area\"", file);
	cr_expect_str_eq(mech_error_last()->message, want);
	cr_expect_str_eq(tui_theme_name(), "default");
	unlink(file);
	rmdir(dir);
	rmdir(home);
	free(want);
	free(file);
	free(dir);
	tui_theme_free();
}

/* Every theme shipped in themes/ parses. */
static void parse_theme(const char *path, const char *data, size_t len, void *ctx)
{
	(void)ctx;
	cr_expect_eq(tui_theme_parse(path, data, len), 0, "%s",
		     mech_error_last() ? mech_error_last()->message : "");
}

Test(theme, shipped_themes_parse)
{
	cr_assert_geq(test_each_file("themes", ".theme", parse_theme, NULL), 4);
}

/* The fuzz seed corpus, replayed through the harness itself
 * (tests/fuzz/fuzz_theme.c): a crash input added there fails here. */
Test(theme, fuzz_corpus_replays)
{
	int files = test_replay_corpus("theme", LLVMFuzzerTestOneInput);
	cr_assert_geq(files, 15, "the corpus has only %d files", files);
}
