/* SPDX-License-Identifier: Apache-2.0 */
#include "mech/buf.h"
#include "mech/error.h"
#include "mech/sshcmd.h"

#include <criterion/criterion.h>

#include "corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * What an agent sees when it sends a command over SSH: the words mech
 * runs, or exit 64 with a message naming what was wrong and where.
 */

static mech_strv split_ok(const char *cmd)
{
	mech_strv v = MECH_STRV_INIT;
	int rc = mech_sshcmd_split(cmd, &v);
	cr_assert_eq(rc, 0, "split(%s) failed: %s", cmd ? cmd : "(null)",
		     mech_error_last() ? mech_error_last()->message : "?");
	return v;
}

static void assert_words(const char *cmd, const char *const *want, size_t n)
{
	mech_strv v = split_ok(cmd);
	size_t i;
	cr_assert_eq(v.len, n, "split(%s): %zu words, want %zu", cmd, v.len, n);
	for (i = 0; i < n; i++)
		cr_assert_str_eq(v.items[i], want[i], "split(%s) word %zu", cmd, i);
	mech_strv_dispose(&v);
}

#define WORDS(cmd, ...)                                                                            \
	do {                                                                                       \
		const char *const want_[] = {__VA_ARGS__};                                         \
		assert_words(cmd, want_, sizeof(want_) / sizeof(want_[0]));                        \
	} while (0)

/* Assert a refusal: exit 64, message mentions `needle`, and is safe to print. */
static void refused(const char *cmd, const char *needle)
{
	mech_strv v = MECH_STRV_INIT;
	const mech_error *e;
	const char *p;

	mech_strv_push(&v, "sentinel");
	cr_assert_eq(mech_sshcmd_split(cmd, &v), -1, "accepted: %s", cmd);
	e = mech_error_last();
	cr_assert_not_null(e);
	cr_assert_eq(mech_error_exit(e->code), 64, "exit code for %s", cmd);
	cr_assert_not_null(strstr(e->message, needle), "message for [%s] lacks [%s]: %s", cmd,
			   needle, e->message);
	for (p = e->message; *p; p++)
		cr_assert((unsigned char)*p >= 0x20 && *p != 0x7f,
			  "message echoes a control byte: %s", e->message);
	cr_assert_not_null(e->hint, "no hint for %s", cmd);
	/* Nothing is appended on failure. */
	cr_assert_eq(v.len, 1);
	cr_assert_str_eq(v.items[0], "sentinel");
	mech_strv_dispose(&v);
}

Test(sshcmd, plain_command)
{
	WORDS("app create web --image nginx:1.27", "app", "create", "web", "--image", "nginx:1.27");
	WORDS("  app \t list   --json\t", "app", "list", "--json");
	WORDS("whoami", "whoami");
}

Test(sshcmd, blank_is_no_words)
{
	const char *blank[] = {NULL, "", " ", " \t  \t"};
	size_t i;
	for (i = 0; i < sizeof(blank) / sizeof(blank[0]); i++) {
		mech_strv v = split_ok(blank[i]);
		cr_assert_eq(v.len, 0);
		mech_strv_dispose(&v);
	}
}

Test(sshcmd, words_are_appended)
{
	mech_strv v = MECH_STRV_INIT;
	mech_strv_push(&v, "mech");
	cr_assert_eq(mech_sshcmd_split("app list", &v), 0);
	cr_assert_eq(v.len, 3);
	cr_assert_str_eq(v.items[0], "mech");
	cr_assert_str_eq(v.items[2], "list");
	mech_strv_dispose(&v);
}

Test(sshcmd, quotes_group_words)
{
	WORDS("app create web --env 'MSG=hello world'", "app", "create", "web", "--env",
	      "MSG=hello world");
	WORDS("app create web --env \"MSG=hello  world\"", "app", "create", "web", "--env",
	      "MSG=hello  world");
	WORDS("a'b c'd", "ab cd");
	WORDS("'' x \"\"", "", "x", "");
	WORDS("\"it's\" 'say \"hi\"'", "it's", "say \"hi\"");
	WORDS("'a'\"b\"c", "abc");
}

Test(sshcmd, quoted_shell_characters_are_data)
{
	WORDS("'a;b' \"c|d\" '$(id)' \"`id`\" '>' \"<\" '(' ')' '&&' \"||\" '$HOME' \"${x}\"",
	      "a;b", "c|d", "$(id)", "`id`", ">", "<", "(", ")", "&&", "||", "$HOME", "${x}");
	WORDS("'back\\slash' '\\\"'", "back\\slash", "\\\"");
	/* Globs, tildes, comments: no expansion of any kind, plain data. */
	WORDS("app list * ~ #x {a,b} !", "app", "list", "*", "~", "#x", "{a,b}", "!");
}

Test(sshcmd, utf8_is_data)
{
	WORDS("app create wéb --env 'A=€ 😀'", "app", "create", "wéb", "--env", "A=€ 😀");
}

Test(sshcmd, shell_syntax_is_refused)
{
	refused("app list; id", "`;` at byte 9");
	refused("app list;id", "`;`");
	refused("app create web && id", "`&&` at byte 16");
	refused("app create web&&id", "`&&`");
	refused("app create web || id", "`||`");
	refused("app create web & id", "`&`");
	refused("app create web|id", "`|`");
	refused("app create $(id)", "`$(`");
	refused("app create $HOME", "`$`");
	refused("app create `id`", "backtick at byte 12");
	refused("app create web > /tmp/x", "`>`");
	refused("app create web </etc/passwd", "`<`");
	refused("app create (web)", "`(`");
	refused("app create web)", "`)`");
	refused("app create 'ok'; id", "`;`");
	/* Every refusal explains that mech is not a shell. */
	refused("app list | cat", "no shell is involved");
}

Test(sshcmd, shell_syntax_hint_says_one_command_per_ssh)
{
	mech_strv v = MECH_STRV_INIT;
	cr_assert_eq(mech_sshcmd_split("app list && app create web", &v), -1);
	cr_assert_not_null(strstr(mech_error_last()->hint, "one command per `ssh` invocation"));
	cr_assert_eq(mech_error_last()->code, MECH_EUSAGE);
}

Test(sshcmd, backslash_is_refused_outside_single_quotes)
{
	refused("app create we\\;b", "backslash at byte 14");
	refused("app create \"a\\\"b\"", "inside double quotes");
	refused("app create \"a\\b\"", "backslash");
}

Test(sshcmd, control_characters_are_refused_everywhere)
{
	refused("app list\nid", "newline at byte 9");
	refused("app create 'web\nid'", "newline");
	refused("app create \"web\nid\"", "newline");
	refused("app list\r", "carriage return");
	refused("app create 'a\tb'", "tab inside quotes");
	refused("app create \"a\tb\"", "tab inside quotes");
	refused("app create \x01web", "U+0001");
	refused("app create web\x7f", "U+007F");
	refused("app create '\x1b[31mred'", "U+001B at byte 13 of the SSH command (inside quotes)");
	refused("app create web\xc2\x85", "U+0085"); /* C1 NEL */
	refused("app create \xc2\x9b"
		"31m",
		"U+009B"); /* C1 CSI */
}

Test(sshcmd, invalid_utf8_is_refused)
{
	refused("app create \xff", "invalid UTF-8 at byte 12");
	refused("app create \xc0\xaf", "invalid UTF-8");         /* overlong '/' */
	refused("app create \xe0\x80\xaf", "invalid UTF-8");     /* overlong '/' */
	refused("app create \xed\xa0\x80", "invalid UTF-8");     /* surrogate */
	refused("app create \xf4\x90\x80\x80", "invalid UTF-8"); /* > U+10FFFF */
	refused("app create \xe2\x82", "invalid UTF-8");         /* truncated € */
	refused("app create '\x80'", "invalid UTF-8");           /* lone continuation */
}

Test(sshcmd, unterminated_quotes_are_refused)
{
	refused("app create 'web", "unterminated single quote (opened at byte 12");
	refused("app create \"web", "unterminated double quote");
	refused("app create web'", "unterminated single quote");
	refused("'a'\"", "unterminated double quote");
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

Test(sshcmd, word_limit)
{
	char *w = repeat('a', MECH_SSHCMD_MAX_WORD), *cmd;
	mech_strv v;

	cmd = mech_sprintf("app create %s", w);
	v = split_ok(cmd);
	cr_assert_eq(strlen(v.items[2]), MECH_SSHCMD_MAX_WORD);
	mech_strv_dispose(&v);
	free(cmd);

	cmd = mech_sprintf("app create %sa", w);
	refused(cmd, "word 3 of the SSH command is longer than 1024 bytes");
	free(cmd);
	/* Quoted parts count toward the same word. */
	cmd = mech_sprintf("app create '%s'\"a\"", w);
	refused(cmd, "longer than 1024 bytes");
	free(cmd);
	free(w);
}

Test(sshcmd, command_limit)
{
	char *cmd = repeat(' ', MECH_SSHCMD_MAX);
	mech_strv v;

	memcpy(cmd, "app list", 8);
	v = split_ok(cmd);
	cr_assert_eq(v.len, 2);
	mech_strv_dispose(&v);
	free(cmd);

	cmd = repeat(' ', MECH_SSHCMD_MAX + 1);
	memcpy(cmd, "app list", 8);
	refused(cmd, "longer than 8192 bytes");
	free(cmd);

	cmd = repeat('x', 1 << 20);
	refused(cmd, "8192");
	free(cmd);
}

/* ---- the request may not pick its tenant or home ---- */

static int check(const char *cmd)
{
	mech_strv v = split_ok(cmd);
	int rc = mech_sshcmd_check_request(&v);
	mech_strv_dispose(&v);
	return rc;
}

static void forbidden(const char *cmd, const char *flag)
{
	const mech_error *e;
	cr_assert_eq(check(cmd), -1, "allowed: %s", cmd);
	e = mech_error_last();
	cr_assert_eq(mech_error_exit(e->code), 77, "exit code for %s", cmd);
	cr_assert_not_null(strstr(e->message, flag), "%s", e->message);
	cr_assert_not_null(strstr(e->message, "key"), "%s", e->message);
	cr_assert_not_null(e->hint);
}

Test(sshcmd, tenant_and_home_are_forbidden)
{
	forbidden("--tenant bob app list", "--tenant");
	forbidden("app list --tenant bob", "--tenant");
	forbidden("app list --tenant=bob", "--tenant");
	forbidden("app create web --image x -- --tenant", "--tenant");
	forbidden("--home /tmp/x app list", "--home");
	forbidden("app list --home=/tmp/x", "--home");
	/* Abbreviations getopt_long would expand. */
	forbidden("app list --ten bob", "--tenant");
	forbidden("app list --t=bob", "--tenant");
	forbidden("app list --hom /x", "--home");
	forbidden("app list --ho=/x", "--home");
	forbidden("app create web --env '--tenant=bob'", "--tenant");
}

Test(sshcmd, similar_flags_are_allowed)
{
	const char *ok[] = {"app -a web deploy --tag v1",
			    "help",
			    "app list --help",
			    "app list --h",
			    "app create web --env TENANT=bob",
			    "app list --tenants",
			    "app list --homes",
			    "app list -t",
			    "tenant home",
			    "app create web --timeout 5m"};
	size_t i;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		cr_assert_eq(check(ok[i]), 0, "refused: %s", ok[i]);
	cr_assert_eq(mech_sshcmd_check_request(NULL), 0);
}

/* ---- properties ---- */

/* Quote `w` for mech the way a careful client would: '…' with ' as "'". */
static void quote_word(mech_buf *b, const char *w)
{
	mech_buf_putc(b, '\'');
	for (; *w; w++) {
		if (*w == '\'')
			mech_buf_puts(b, "'\"'\"'");
		else
			mech_buf_putc(b, *w);
	}
	mech_buf_putc(b, '\'');
}

Test(sshcmd, any_quoted_words_round_trip)
{
	static const char *const pieces[] = {"a", "Z", "0", " ",        "'", "\"", ";",  "&&", "|",
					     "$", "`", ">", "<",        "(", ")",  "\\", "é",  "€",
					     "😀", "=", "-", "--tenant", "*", "#",  "~"};
	unsigned seed = 12345;
	int round;

	for (round = 0; round < 2000; round++) {
		mech_strv words = MECH_STRV_INIT, got = MECH_STRV_INIT;
		mech_buf cmd = MECH_BUF_INIT;
		size_t nw, i;

		seed = seed * 1103515245u + 12345u;
		nw = (seed >> 16) % 6;
		for (i = 0; i < nw; i++) {
			mech_buf w = MECH_BUF_INIT;
			size_t np, j;
			seed = seed * 1103515245u + 12345u;
			np = (seed >> 16) % 8;
			for (j = 0; j < np; j++) {
				seed = seed * 1103515245u + 12345u;
				mech_buf_puts(&w, pieces[(seed >> 16) %
							 (sizeof(pieces) / sizeof(pieces[0]))]);
			}
			mech_strv_push(&words, mech_buf_cstr(&w));
			if (i)
				mech_buf_putc(&cmd, (seed >> 8) & 1 ? ' ' : '\t');
			quote_word(&cmd, mech_buf_cstr(&w));
			mech_buf_dispose(&w);
		}
		cr_assert_eq(mech_sshcmd_split(mech_buf_cstr(&cmd), &got), 0, "%s: %s",
			     mech_buf_cstr(&cmd), mech_error_last()->message);
		cr_assert_eq(got.len, words.len, "%s", mech_buf_cstr(&cmd));
		for (i = 0; i < got.len; i++)
			cr_assert_str_eq(got.items[i], words.items[i], "%s", mech_buf_cstr(&cmd));
		mech_strv_dispose(&words);
		mech_strv_dispose(&got);
		mech_buf_dispose(&cmd);
	}
}

/* Every word that comes out is clean text within the limits. */
static void assert_clean(const mech_strv *v)
{
	size_t i, j;
	for (i = 0; i < v->len; i++) {
		const char *w = v->items[i];
		cr_assert_leq(strlen(w), MECH_SSHCMD_MAX_WORD);
		for (j = 0; w[j]; j++)
			cr_assert((unsigned char)w[j] >= 0x20 && w[j] != 0x7f);
	}
}

/* The fuzz seed corpus doubles as a regression suite for the plain build. */
static void replay_sshcmd(const char *path, const char *data, size_t len, void *ctx)
{
	mech_strv v = MECH_STRV_INIT;
	(void)len;
	(void)ctx;
	if (mech_sshcmd_split(data, &v) == 0) {
		assert_clean(&v);
		mech_sshcmd_check_request(&v);
	} else {
		cr_assert_eq(mech_error_exit(mech_error_last()->code), 64, "%s", path);
	}
	mech_strv_dispose(&v);
}

Test(sshcmd, fuzz_corpus_replays)
{
	int files = test_each_file("tests/fuzz/corpus/sshcmd", NULL, replay_sshcmd, NULL);
	cr_assert_geq(files, 10, "the corpus has only %d files", files);
}
