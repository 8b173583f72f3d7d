/* SPDX-License-Identifier: Apache-2.0 */
#include "mech/error.h"
#include "mech/buf.h"

#include <git2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	int exit;
	const char *name;
	const char *describe;
} error_table[] = {
#define MECH__ROW(name, exit, json, msg) {exit, json, msg},
	MECH_ERROR_INFO(MECH__ROW)
#undef MECH__ROW
};

static _Thread_local mech_error last;
static _Thread_local int has_last;

int mech_error_exit(mech_error_code code)
{
	return code < MECH_E__COUNT ? error_table[code].exit : 1;
}

const char *mech_error_name(mech_error_code code)
{
	return code < MECH_E__COUNT ? error_table[code].name : "failed";
}

const char *mech_error_describe(mech_error_code code)
{
	return code < MECH_E__COUNT ? error_table[code].describe : "failed";
}

static void error_dispose(mech_error *e)
{
	size_t i;
	free(e->message);
	free(e->hint);
	for (i = 0; i < e->nconflicts; i++) {
		mech_conflict *c = &e->conflicts[i];
		free(c->path);
		free(c->commit);
		free(c->author);
		free(c->date);
		free(c->subject);
	}
	free(e->conflicts);
	memset(e, 0, sizeof(*e));
}

void mech_error_clear(void)
{
	error_dispose(&last);
	has_last = 0;
}

int mech_error_set(mech_error_code code, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	va_start(ap, fmt);
	msg = mech_vsprintf(fmt, ap);
	va_end(ap);
	mech_error_clear();
	last.code = code;
	last.message = msg;
	has_last = 1;
	return -1;
}

int mech_error_hint(const char *fmt, ...)
{
	va_list ap;
	if (!has_last)
		return -1;
	va_start(ap, fmt);
	free(last.hint);
	last.hint = mech_vsprintf(fmt, ap);
	va_end(ap);
	return -1;
}

static char *dup_or_empty(const char *s)
{
	return mech_strdup(s ? s : "");
}

void mech_error_add_conflict(const char *path, const char *commit, const char *author,
			     const char *date, const char *subject)
{
	mech_conflict *c;
	if (!has_last)
		return;
	c = mech_reallocarray(last.conflicts, last.nconflicts + 1, sizeof(*c));
	last.conflicts = c;
	c = &last.conflicts[last.nconflicts++];
	c->path = dup_or_empty(path);
	c->commit = dup_or_empty(commit);
	c->author = dup_or_empty(author);
	c->date = dup_or_empty(date);
	c->subject = dup_or_empty(subject);
}

int mech_error_git(mech_error_code code, const char *what)
{
	const git_error *e = git_error_last();
	return mech_error_set(code, "%s: %s", what, e && e->message ? e->message : "unknown error");
}

const mech_error *mech_error_last(void)
{
	return has_last ? &last : NULL;
}

mech_error *mech_error_take(void)
{
	mech_error *e;
	if (!has_last)
		return NULL;
	e = mech_calloc(1, sizeof(*e));
	*e = last;
	memset(&last, 0, sizeof(last));
	has_last = 0;
	return e;
}

int mech_error_restore(mech_error *e)
{
	if (!e)
		return mech_error_set(MECH_EFAILED, "failed, without an error to say why");
	mech_error_clear();
	last = *e;
	has_last = 1;
	free(e);
	return -1;
}

void mech_error_free(mech_error *e)
{
	if (!e)
		return;
	error_dispose(e);
	free(e);
}

size_t mech_utf8_char(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n, i;
	uint32_t c, min;
	if (!len)
		return 0;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		n = 2, c = u[0] & 0x1f, min = 0x80;
	else if (u[0] >= 0xe0 && u[0] <= 0xef)
		n = 3, c = u[0] & 0x0f, min = 0x800;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		n = 4, c = u[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (u[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

int mech_char_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
	       cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static void put_hex_bytes(mech_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
		mech_buf_put(out, e, sizeof(e));
	}
}

void mech_escape(mech_buf *out, const char *s, size_t len, unsigned flags)
{
	size_t i = 0, n;
	uint32_t cp;
	while (s && i < len) {
		unsigned char c = (unsigned char)s[i];
		if ((flags & MECH_ESCAPE_QUOTED) && (c == '"' || c == '\\')) {
			mech_buf_putc(out, '\\');
			mech_buf_putc(out, (char)c);
			i++;
			continue;
		}
		if ((flags & MECH_ESCAPE_LINES) && (c == '\n' || c == '\t')) {
			mech_buf_putc(out, (char)c);
			i++;
			continue;
		}
		if ((flags & MECH_ESCAPE_ASCII) && c >= 0x80)
			n = 0;
		else
			n = mech_utf8_char(s + i, len - i, &cp);
		if (!n) /* one byte of it, then look again at the next */
			put_hex_bytes(out, s + i++, 1);
		else if (mech_char_is_control(cp))
			put_hex_bytes(out, s + i, n);
		else
			mech_buf_put(out, s + i, n);
		i += n;
	}
}

/* No byte of `w` at or above DEL (0x7f): each is below it, bit 7 clear. */
static int below_del(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	/* a byte of w + 1 reaches 0x80 exactly when the byte was 0x7f or more */
	return !((((w & ~highs) + ones) | w) & highs);
}

void mech_json_clean(mech_buf *out, const char *json, size_t len)
{
	size_t i = 0, n;
	uint32_t cp;
	/* most of it passes as it is: `app list --json` at 10,000 apps is 8 MB */
	if (mech_buf_grow(out, len) < 0)
		mech_fatal("out of memory (printing JSON)");
	while (i < len) {
		uint64_t w;
		/* ASCII below DEL passes as it is: copied a run at a time, found
		 * eight bytes at a time */
		for (n = 0; i + n + 8 <= len; n += 8) {
			memcpy(&w, json + i + n, 8);
			if (!below_del(w))
				break;
		}
		for (; i + n < len && (unsigned char)json[i + n] < 0x7f; n++)
			;
		if (n) {
			mech_buf_put(out, json + i, n);
			i += n;
			continue;
		}
		n = mech_utf8_char(json + i, len - i, &cp);
		if (!n) {
			mech_buf_puts(out, "\\ufffd");
			i++;
		} else if (cp >= 0x20 && mech_char_is_control(cp)) {
			mech_buf_printf(out, "\\u%04x", (unsigned)cp);
			i += n;
		} else {
			mech_buf_put(out, json + i, n);
			i += n;
		}
	}
}

void mech_json_clean_write(FILE *f, const char *json, size_t len)
{
	mech_buf clean = MECH_BUF_INIT;
	size_t n;
	while (len) {
		n = len < 65536 ? len : 65536;
		while (n < len && (unsigned char)json[n] >= 0x80)
			n++;
		mech_json_clean(&clean, json, n);
		fwrite(clean.ptr, 1, clean.len, f);
		mech_buf_clear(&clean);
		json += n;
		len -= n;
	}
	mech_buf_dispose(&clean);
}

const char *mech_error_escape_n(char out[MECH_ESCAPE_SIZE], const char *s, size_t len)
{
	mech_buf b = MECH_BUF_INIT;
	size_t n = len > MECH_ESCAPE_MAX ? MECH_ESCAPE_MAX : len;
	mech_escape(&b, s, n, MECH_ESCAPE_QUOTED | MECH_ESCAPE_ASCII);
	if (s && n < len)
		mech_buf_puts(&b, "...");
	memcpy(out, mech_buf_cstr(&b), b.len + 1);
	mech_buf_dispose(&b);
	return out;
}

const char *mech_error_escape(char out[MECH_ESCAPE_SIZE], const char *s)
{
	return mech_error_escape_n(out, s, s ? strlen(s) : 0);
}

/* ---- "did you mean" ---- */

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t *row, d;
	if (la > 64 || lb > 64)
		return 99;
	row = mech_calloc(lb + 1, sizeof(*row));
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	d = row[lb];
	free(row);
	return d;
}

const char *mech_suggest(const char *word, const char *const *cands, size_t n)
{
	size_t i, best = 4;
	const char *pick = NULL;
	for (i = 0; i < n; i++) {
		size_t d;
		if (!cands[i])
			continue;
		d = edit_distance(word, cands[i]);
		if (d < best || (d == best && pick && strlen(cands[i]) < strlen(pick))) {
			best = d;
			pick = cands[i];
		}
		/* a prefix is a good guess too */
		if (!pick && strlen(word) >= 2 && !strncmp(cands[i], word, strlen(word)))
			pick = cands[i];
	}
	return pick;
}
