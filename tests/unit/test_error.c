/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The error table and the one escaping of outside values in messages
 * (mech_error_escape): what a hostile name, path or server answer can do
 * to a line of output.
 */
#include <criterion/criterion.h>

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "mech/buf.h"
#include "mech/error.h"
#include "mech/image.h"
#include "mech/validate.h"

static void expect_escaped(const char *in, size_t len, const char *want)
{
	char out[MECH_ESCAPE_SIZE];
	cr_expect_str_eq(mech_error_escape_n(out, in, len), want);
}

Test(escape, printable_ascii_is_kept)
{
	char out[MECH_ESCAPE_SIZE];
	cr_expect_str_eq(mech_error_escape(out, "web-1.example/x:y@z ~!"), "web-1.example/x:y@z ~!");
	cr_expect_str_eq(mech_error_escape(out, ""), "");
	cr_expect_str_eq(mech_error_escape(out, NULL), "");
}

Test(escape, quotes_and_backslashes)
{
	char out[MECH_ESCAPE_SIZE];
	cr_expect_str_eq(mech_error_escape(out, "a\"b\\c'd`e"), "a\\\"b\\\\c'd`e");
}

Test(escape, control_characters_cannot_forge_lines)
{
	char out[MECH_ESCAPE_SIZE];
	cr_expect_str_eq(mech_error_escape(out, "x\ny\rz\t\x1b[31m\x7f"),
			 "x\\x0ay\\x0dz\\x09\\x1b[31m\\x7f");
	/* an embedded NUL counts as a byte of the value */
	expect_escaped("a\0b", 3, "a\\x00b");
}

Test(escape, everything_beyond_ascii_is_shown_as_bytes)
{
	/* invalid UTF-8: a lone continuation byte, a truncated sequence, an overlong '/' */
	expect_escaped("\x80", 1, "\\x80");
	expect_escaped("a\xc3", 2, "a\\xc3");
	expect_escaped("\xc0\xaf", 2, "\\xc0\\xaf");
	/* valid UTF-8 that poses as something else: a fullwidth 'n', a right-to-left override */
	expect_escaped("\xef\xbd\x8eginx", 7, "\\xef\\xbd\\x8eginx");
	expect_escaped("a\xe2\x80\256b", 5, "a\\xe2\\x80\\xaeb"); /* \256 is 0xae */
	expect_escaped("\xff", 1, "\\xff");
}

/* ---- text for a terminal (mech_escape without MECH_ESCAPE_ASCII) ---- */

static void expect_text(const char *in, unsigned flags, const char *want)
{
	mech_buf b = MECH_BUF_INIT;
	mech_escape(&b, in, strlen(in), flags);
	cr_expect_str_eq(mech_buf_cstr(&b), want, "escaping %s", in);
	mech_buf_dispose(&b);
}

Test(escape, terminal_text_keeps_printable_utf8)
{
	expect_text("José Müller — 日本", 0, "José Müller — 日本");
	expect_text("a\\b \"c\"", 0, "a\\b \"c\"");
}

Test(escape, terminal_text_shows_what_a_terminal_would_act_on)
{
	expect_text("x\x1b[2Jy", 0, "x\\x1b[2Jy");
	expect_text("\x1b]52;c;aGk=\a", 0, "\\x1b]52;c;aGk=\\x07");
	expect_text("a\rb\x7f", 0, "a\\x0db\\x7f");
	expect_text("\xc2\x9b"
		    "31m",
		    0, "\\xc2\\x9b31m"); /* C1 CSI */
	expect_text("\xe2\x80\xae"
		    "exe",
		    0, "\\xe2\\x80\\xaeexe");                    /* RLO */
	expect_text("bad\xff\xfe\xc3", 0, "bad\\xff\\xfe\\xc3"); /* not UTF-8 */
	expect_text("\xed\xa0\x80", 0, "\\xed\\xa0\\x80");       /* a surrogate */
	expect_text("a\nb\tc", 0, "a\\x0ab\\x09c");
	expect_text("a\nb\tc\x1b", MECH_ESCAPE_LINES, "a\nb\tc\\x1b");
}

static void expect_json(const char *in, const char *want)
{
	mech_buf b = MECH_BUF_INIT;
	mech_json_clean(&b, in, strlen(in));
	cr_expect_str_eq(mech_buf_cstr(&b), want, "cleaning %s", in);
	mech_buf_dispose(&b);
}

Test(escape, json_is_valid_utf8)
{
	expect_json("{\"n\":\"José\"}", "{\"n\":\"José\"}");
	expect_json("{\"n\":\"bad\xff\xfe\"}", "{\"n\":\"bad\\ufffd\\ufffd\"}");
	expect_json("{\"n\":\"\xc2\x9b\x7f\xe2\x80\xae\"}", "{\"n\":\"\\u009b\\u007f\\u202e\"}");
}

/*
 * Long ASCII runs are passed eight bytes at a time: one DEL, bidi control,
 * bad byte or accented letter at every position of runs of every length
 * up to 40 must come out as it does alone.
 */
Test(escape, json_runs_keep_every_odd_byte)
{
	static const struct {
		const char *in, *out;
	} odd[] = {{"\x7f", "\\u007f"},
		   {"\xff", "\\ufffd"},
		   {"\xe2\x80\xae", "\\u202e"},
		   {"\xc3\xa9", "\xc3\xa9"},
		   {"~", "~"}};
	size_t len, at, k;
	for (k = 0; k < sizeof(odd) / sizeof(*odd); k++)
		for (len = 1; len <= 40; len++)
			for (at = 0; at < len; at++) {
				mech_buf in = MECH_BUF_INIT, want = MECH_BUF_INIT,
					 got = MECH_BUF_INIT;
				size_t i;
				for (i = 0; i < len; i++) {
					const char *c = i == at ? odd[k].in : "a";
					mech_buf_puts(&in, c);
					mech_buf_puts(&want, i == at ? odd[k].out : c);
				}
				mech_json_clean(&got, in.ptr, in.len);
				cr_assert_str_eq(mech_buf_cstr(&got), mech_buf_cstr(&want),
						 "odd byte %zu at %zu of %zu", k, at, len);
				mech_buf_dispose(&in);
				mech_buf_dispose(&want);
				mech_buf_dispose(&got);
			}
}

/*
 * Written a piece at a time, the text is what cleaning it whole gives:
 * characters, bad bytes and cut sequences on either side of every piece's
 * end, and a run of accented letters longer than a piece.
 */
Test(escape, json_written_in_pieces_reads_as_whole)
{
	static const char *const bits[] =
		{"a",        "\"k\":", "\xc3\xa9", "\xf0\x9f\x98\x80", "\xe2\x80\xae", "\xff",
		 "\xe2\x80", "\x80",   "\x7f"};
	mech_buf in = MECH_BUF_INIT, want = MECH_BUF_INIT;
	unsigned long long r = 88172645463325252ULL;
	char *got = NULL;
	size_t got_len = 0, i;
	FILE *f;
	while (in.len < 400000) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		mech_buf_puts(&in, bits[r % (sizeof(bits) / sizeof(*bits))]);
		if (in.len > 200000 && in.len < 200010) /* one run of 70,000 bytes, no ASCII */
			for (i = 0; i < 35000; i++)
				mech_buf_puts(&in, "\xc3\xa9");
	}
	mech_json_clean(&want, in.ptr, in.len);
	f = open_memstream(&got, &got_len);
	cr_assert(f);
	mech_json_clean_write(f, in.ptr, in.len);
	fclose(f);
	cr_assert_eq(got_len, want.len);
	cr_assert(memcmp(got, want.ptr, want.len) == 0);
	free(got);
	mech_buf_dispose(&in);
	mech_buf_dispose(&want);
}

/* Valid UTF-8 with no character a terminal would act on (newline and tab aside when `lines`). */
static int shows_only(const mech_buf *b, int lines)
{
	size_t i = 0, n;
	uint32_t cp;
	while (i < b->len) {
		if (!(n = mech_utf8_char(b->ptr + i, b->len - i, &cp)))
			return 0;
		if (mech_char_is_control(cp) && !(lines && (cp == '\n' || cp == '\t')))
			return 0;
		i += n;
	}
	return 1;
}

Test(escape, random_bytes_always_come_out_safe)
{
	/* bytes drawn from a small alphabet of troublemakers, seeded: replayable */
	static const unsigned char pick[] = {0x1b, '[',  ']',  '\n', '\t', '\r', 0x07, 0x7f,
					     0x80, 0x9b, 0xc2, 0xe2, 0x80, 0xae, 0xed, 0xa0,
					     0xf4, 0x90, 0xff, 'a',  '"',  '\\', 0xc3, 0xa9};
	uint32_t seed = 1414;
	int round;
	for (round = 0; round < 20000; round++) {
		unsigned char in[24];
		mech_buf text = MECH_BUF_INIT, lines = MECH_BUF_INIT, json = MECH_BUF_INIT;
		size_t i, len = (size_t)(round % (int)sizeof(in));
		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = pick[(seed >> 16) % sizeof(pick)];
		}
		mech_escape(&text, (const char *)in, len, 0);
		mech_escape(&lines, (const char *)in, len, MECH_ESCAPE_LINES);
		mech_json_clean(&json, (const char *)in, len);
		cr_assert(shows_only(&text, 0), "round %d: text output not safe", round);
		cr_assert(shows_only(&lines, 1), "round %d: multi-line output not safe", round);
		/* JSON: C0 is cJSON's to escape (it does); everything else must be safe here */
		for (i = 0; i < json.len; i++)
			if ((unsigned char)json.ptr[i] < 0x20)
				json.ptr[i] = ' ';
		cr_assert(shows_only(&json, 0), "round %d: JSON output not safe", round);
		mech_buf_dispose(&text);
		mech_buf_dispose(&lines);
		mech_buf_dispose(&json);
	}
}

Test(escape, long_values_are_cut_and_marked)
{
	char in[MECH_ESCAPE_MAX + 1], want[MECH_ESCAPE_MAX + 4], out[MECH_ESCAPE_SIZE];
	memset(in, 'a', sizeof(in) - 1);
	in[MECH_ESCAPE_MAX] = '\0';
	cr_expect_str_eq(mech_error_escape(out, in), in, "exactly the limit is not cut");
	memset(in, 'a', sizeof(in));
	memcpy(want, in, MECH_ESCAPE_MAX);
	strcpy(want + MECH_ESCAPE_MAX, "...");
	cr_expect_str_eq(mech_error_escape_n(out, in, sizeof(in)), want);
}

Test(escape, the_worst_value_fits_the_buffer)
{
	char in[4 * MECH_ESCAPE_MAX], out[MECH_ESCAPE_SIZE + 16];
	size_t n;
	memset(in, 0xff, sizeof(in));
	memset(out, 'Z', sizeof(out));
	mech_error_escape_n(out, in, sizeof(in));
	n = strlen(out);
	cr_expect_eq(n, 4 * MECH_ESCAPE_MAX + 3);
	cr_expect_lt(n, (size_t)MECH_ESCAPE_SIZE);
	cr_expect_eq(out[MECH_ESCAPE_SIZE], 'Z', "wrote past MECH_ESCAPE_SIZE");
	cr_expect_str_eq(out + n - 7, "\\xff...");
}

/* The validators and parsers use it: a hostile name reaches the message escaped. */
Test(escape, used_by_the_validators)
{
	const mech_error *e;
	cr_assert_eq(mech_validate_name("app name", "we\nb\x1b[2J"), -1);
	e = mech_error_last();
	cr_expect(strstr(e->message, "\"we\\x0ab\\x1b[2J\""), "%s", e->message);
	cr_assert_eq(mech_validate_tag("1.0\"; rm"), -1);
	cr_expect(strstr(mech_error_last()->message, "\"1.0\\\"; rm\""), "%s",
		  mech_error_last()->message);
	cr_assert_eq(mech_image_parse("nginx:\xe2\x80\2561", NULL), -1);
	cr_expect(strstr(mech_error_last()->message, "nginx:\\xe2\\x80\\xae1"), "%s",
		  mech_error_last()->message);
}

Test(error, table_rows)
{
	cr_expect_eq(mech_error_exit(MECH_EFORBIDDEN), 77);
	cr_expect_str_eq(mech_error_name(MECH_EREFUSED), "write_refused");
	cr_expect_eq(mech_error_exit(MECH_E__COUNT), 1);
}

/* An error met on a worker thread is carried to the caller's, whole. */
static void *fail_on_a_thread(void *arg)
{
	mech_error **out = arg;
	mech_error_set(MECH_EUNAVAILABLE, "Argo CD: GET /x: HTTP 503");
	mech_error_hint("try again");
	*out = mech_error_take();
	/* taken: the thread has none left */
	return (void *)(uintptr_t)(mech_error_last() == NULL);
}

Test(error, taken_on_a_thread_restored_on_another)
{
	mech_error *e = NULL;
	pthread_t th;
	void *cleared = NULL;
	mech_error_clear();
	cr_assert_eq(pthread_create(&th, NULL, fail_on_a_thread, &e), 0);
	pthread_join(th, &cleared);
	cr_expect(cleared, "the thread's error was moved out");
	cr_assert_not_null(e);
	cr_expect_null(mech_error_last(), "nothing here yet");
	cr_expect_eq(mech_error_restore(e), -1);
	cr_assert_not_null(mech_error_last());
	cr_expect_eq(mech_error_last()->code, MECH_EUNAVAILABLE);
	cr_expect_str_eq(mech_error_last()->message, "Argo CD: GET /x: HTTP 503");
	cr_expect_str_eq(mech_error_last()->hint, "try again");
	mech_error_clear();
	cr_expect_null(mech_error_take(), "none to take");
	mech_error_set(MECH_ECONFIG, "bad");
	mech_error_free(mech_error_take());
	cr_expect_null(mech_error_last());
	mech_error_free(NULL);
}
