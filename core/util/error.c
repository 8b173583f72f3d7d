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

void mech_error_clear(void)
{
	size_t i;
	free(last.message);
	free(last.hint);
	for (i = 0; i < last.nconflicts; i++) {
		mech_conflict *c = &last.conflicts[i];
		free(c->path);
		free(c->commit);
		free(c->author);
		free(c->date);
		free(c->subject);
	}
	free(last.conflicts);
	memset(&last, 0, sizeof(last));
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

const char *mech_error_escape_n(char out[MECH_ESCAPE_SIZE], const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = len > MECH_ESCAPE_MAX ? MECH_ESCAPE_MAX : len;
	char *o = out;
	for (i = 0; s && i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			*o++ = '\\';
			*o++ = 'x';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		} else {
			*o++ = (char)c;
		}
	}
	if (s && n < len) {
		memcpy(o, "...", 3);
		o += 3;
	}
	*o = '\0';
	return out;
}

const char *mech_error_escape(char out[MECH_ESCAPE_SIZE], const char *s)
{
	return mech_error_escape_n(out, s, s ? strlen(s) : 0);
}
