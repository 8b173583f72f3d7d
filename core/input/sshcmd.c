/* SPDX-License-Identifier: Apache-2.0 */
#include "mech/sshcmd.h"
#include "mech/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * SSH_ORIGINAL_COMMAND tokenizer. The rules are in sshcmd.h; this file
 * implements them in one pass so that the first offending byte is the one
 * reported. Everything is refused rather than guessed: a command mech
 * accepts either means the same thing a POSIX shell would make of it
 * (minus expansion, which is impossible here), or it is an error.
 */

#define ONE_COMMAND_HINT                                                                           \
	"run one command per `ssh` invocation; to pass one of ; & | $ ` > < ( ) as data, "         \
	"put that word in single quotes (and the whole command in double quotes at your "          \
	"local shell)"

size_t mech_sshcmd_decode_utf8(const char *str, size_t n, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len, i;
	uint32_t c, min;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2, c = s[0] & 0x1f, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3, c = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0; /* continuation byte, 0xc0/0xc1 (always overlong), or > 0xf4 */
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static int is_control(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f);
}

static int control_error(uint32_t c, size_t pos, int quoted)
{
	if (c == '\n' || c == '\r') {
		mech_error_set(MECH_EUSAGE,
			       "%s at byte %zu of the SSH command: mech runs exactly one command "
			       "per connection and no shell is involved",
			       c == '\n' ? "newline" : "carriage return", pos);
		return mech_error_hint("run one command per `ssh` invocation");
	}
	if (c == '\t') {
		mech_error_set(MECH_EUSAGE,
			       "tab inside quotes at byte %zu of the SSH command: control "
			       "characters are not accepted in values",
			       pos);
		return mech_error_hint("use spaces inside quoted values");
	}
	mech_error_set(MECH_EUSAGE,
		       "control character U+%04X at byte %zu of the SSH command%s: control "
		       "characters are not accepted",
		       (unsigned)c, pos, quoted ? " (inside quotes)" : "");
	return mech_error_hint("remove the character; values are plain printable text");
}

/* How to name the shell operator starting at `s` in a message, or NULL if none. */
static const char *shell_operator(const char *s)
{
	switch (*s) {
	case '&':
		return s[1] == '&' ? "`&&`" : "`&`";
	case '|':
		return s[1] == '|' ? "`||`" : "`|`";
	case '$':
		return s[1] == '(' ? "`$(`" : "`$`";
	case ';':
		return "`;`";
	case '`':
		return "backtick";
	case '>':
		return "`>`";
	case '<':
		return "`<`";
	case '(':
		return "`(`";
	case ')':
		return "`)`";
	default:
		return NULL;
	}
}

static int operator_error(const char *op, size_t pos)
{
	mech_error_set(MECH_EUSAGE,
		       "%s at byte %zu of the SSH command: mech runs exactly one structured "
		       "command per connection and no shell is involved, so shell syntax is "
		       "not interpreted",
		       op, pos);
	return mech_error_hint(ONE_COMMAND_HINT);
}

static int backslash_error(size_t pos, int quoted)
{
	mech_error_set(MECH_EUSAGE,
		       "backslash at byte %zu of the SSH command%s: mech does not interpret "
		       "escapes and no shell is involved",
		       pos, quoted ? " (inside double quotes)" : "");
	return mech_error_hint("put the word in single quotes: inside '…' every character, "
			       "including \\ and \", is taken literally");
}

enum quote { UNQUOTED, SINGLE, DOUBLE };

int mech_sshcmd_split(const char *cmd, mech_strv *argv_out)
{
	mech_strv words = MECH_STRV_INIT;
	mech_buf word = {NULL, 0, 0, MECH_SSHCMD_MAX_WORD};
	size_t len, i = 0, quote_pos = 0, k;
	enum quote q = UNQUOTED;
	int inword = 0;

	if (!cmd)
		return 0;
	len = strnlen(cmd, MECH_SSHCMD_MAX + 1);
	if (len > MECH_SSHCMD_MAX) {
		mech_error_set(MECH_EUSAGE, "the SSH command is longer than %d bytes (the limit)",
			       MECH_SSHCMD_MAX);
		return mech_error_hint("mech commands are short; check for a pasted file or a "
				       "runaway variable");
	}

	while (i < len) {
		uint32_t c;
		size_t n = mech_sshcmd_decode_utf8(cmd + i, len - i, &c);
		const char *op;

		if (n == 0) {
			mech_error_set(MECH_EUSAGE, "invalid UTF-8 at byte %zu of the SSH command",
				       i + 1);
			mech_error_hint("send the command as UTF-8 text");
			goto fail;
		}
		if (is_control(c) && !(c == '\t' && q == UNQUOTED)) {
			control_error(c, i + 1, q != UNQUOTED);
			goto fail;
		}

		if (q == UNQUOTED && (c == ' ' || c == '\t')) {
			if (inword) {
				mech_strv_push(&words, mech_buf_cstr(&word));
				mech_buf_clear(&word);
				inword = 0;
			}
			i++;
			continue;
		}
		if (q == UNQUOTED && (c == '\'' || c == '"')) {
			q = c == '\'' ? SINGLE : DOUBLE;
			quote_pos = i + 1;
			inword = 1;
			i++;
			continue;
		}
		if ((q == SINGLE && c == '\'') || (q == DOUBLE && c == '"')) {
			q = UNQUOTED;
			i++;
			continue;
		}
		if (c == '\\' && q != SINGLE) {
			backslash_error(i + 1, q == DOUBLE);
			goto fail;
		}
		if (q == UNQUOTED && (op = shell_operator(cmd + i)) != NULL) {
			operator_error(op, i + 1);
			goto fail;
		}

		inword = 1;
		if (mech_buf_put(&word, cmd + i, n) < 0) {
			mech_error_set(MECH_EUSAGE,
				       "word %zu of the SSH command is longer than %d bytes (the "
				       "limit per word)",
				       words.len + 1, MECH_SSHCMD_MAX_WORD);
			mech_error_hint("values passed to mech are short; check the quoting");
			goto fail;
		}
		i += n;
	}

	if (q != UNQUOTED) {
		mech_error_set(MECH_EUSAGE,
			       "unterminated %s quote (opened at byte %zu of the SSH "
			       "command)",
			       q == SINGLE ? "single" : "double", quote_pos);
		mech_error_hint("close the quote; at a local shell, wrap the whole mech command in "
				"double quotes so the inner quotes reach mech");
		goto fail;
	}
	if (inword)
		mech_strv_push(&words, mech_buf_cstr(&word));

	for (k = 0; k < words.len; k++)
		mech_strv_push(argv_out, words.items[k]);
	mech_strv_dispose(&words);
	mech_buf_dispose(&word);
	return 0;

fail:
	mech_strv_dispose(&words);
	mech_buf_dispose(&word);
	return -1;
}

/*
 * Is `word` (up to any '=') `--flag` or an abbreviation of it that
 * getopt_long would resolve to it? `min` is the shortest abbreviation to
 * refuse, so `--h` (ambiguous with --help) stays a usage question for the
 * parser rather than a forbidden one.
 */
static int names_flag(const char *word, const char *flag, size_t min)
{
	size_t n = strcspn(word, "=");
	return n >= min && n <= strlen(flag) && strncmp(word, flag, n) == 0;
}

int mech_sshcmd_check_request(const mech_strv *argv)
{
	size_t i;

	for (i = 0; argv && i < argv->len; i++) {
		const char *w = argv->items[i];
		const char *flag;

		if (names_flag(w, "--tenant", 3))
			flag = "--tenant";
		else if (names_flag(w, "--home", 4))
			flag = "--home";
		else
			continue;
		mech_error_set(MECH_EFORBIDDEN,
			       "`%s` is not accepted over SSH: the key you connect with decides "
			       "the tenant and mech's home",
			       flag);
		return mech_error_hint("drop `%s`; to act for another tenant, connect with that "
				       "tenant's key",
				       flag);
	}
	return 0;
}
