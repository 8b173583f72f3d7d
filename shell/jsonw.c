/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON written as cJSON 1.7.15 prints it unformatted (print_value): no white
 * space, strings with `"`, `\` and the control bytes escaped as its
 * print_string_ptr escapes them and every other byte as it is, integers
 * through "%d". tests/unit/test_jsonw.c holds it to cJSON's own printing.
 */
#include "jsonw.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

void sh_jw_init(sh_jw *w, mech_buf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

/*
 * `s` quoted, after `before` (0: nothing) and before `after` (0: nothing),
 * in one piece, when it needs no escape (most do not); else 0, nothing put.
 */
static int put_plain(mech_buf *b, char before, const char *s, char after)
{
	size_t n = 0;
	char *at;
	while ((unsigned char)s[n] >= 32 && s[n] != '"' && s[n] != '\\')
		n++;
	if (s[n])
		return 0;
	if (mech_buf_grow(b, n + 4) < 0)
		mech_fatal("out of memory (writing JSON)");
	at = b->ptr + b->len;
	if (before)
		*at++ = before;
	*at++ = '"';
	memcpy(at, s, n);
	at += n;
	*at++ = '"';
	if (after)
		*at++ = after;
	*at = '\0';
	b->len = (size_t)(at - b->ptr);
	return 1;
}

static void put_string(mech_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;
	if (put_plain(b, 0, s, 0))
		return;
	mech_buf_putc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char e[6] = {'\\', 0, 0, 0, 0, 0};
		size_t n = 2;
		if (c >= 32 && c != '"' && c != '\\')
			continue;
		mech_buf_put(b, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"':
		case '\\':
			e[1] = (char)c;
			break;
		case '\b':
			e[1] = 'b';
			break;
		case '\f':
			e[1] = 'f';
			break;
		case '\n':
			e[1] = 'n';
			break;
		case '\r':
			e[1] = 'r';
			break;
		case '\t':
			e[1] = 't';
			break;
		default:
			memcpy(e + 1, "u00", 3);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			n = 6;
		}
		mech_buf_put(b, e, n);
	}
	if (s > run)
		mech_buf_put(b, run, (size_t)(s - run));
	mech_buf_putc(b, '"');
}

/* The comma before a value, and its key in an object. */
static void member(sh_jw *w, const char *key)
{
	char comma = w->items[w->depth] ? ',' : 0;
	w->items[w->depth] = 1;
	if (key && put_plain(w->out, comma, key, ':'))
		return;
	if (comma)
		mech_buf_putc(w->out, ',');
	if (key) {
		put_string(w->out, key);
		mech_buf_putc(w->out, ':');
	}
}

static void open_with(sh_jw *w, const char *key, char open, char close)
{
	member(w, key);
	if (w->depth + 1 >= SH_JW_DEPTH)
		mech_fatal("JSON nested past %d levels", SH_JW_DEPTH);
	mech_buf_putc(w->out, open);
	w->depth++;
	w->items[w->depth] = 0;
	w->close[w->depth] = close;
}

void sh_jw_object(sh_jw *w, const char *key)
{
	open_with(w, key, '{', '}');
}

void sh_jw_array(sh_jw *w, const char *key)
{
	open_with(w, key, '[', ']');
}

void sh_jw_end(sh_jw *w)
{
	assert(w->depth > 0);
	mech_buf_putc(w->out, w->close[w->depth]);
	w->depth--;
}

void sh_jw_string(sh_jw *w, const char *key, const char *s)
{
	if (!s)
		return;
	member(w, key);
	put_string(w->out, s);
}

void sh_jw_int(sh_jw *w, const char *key, int n)
{
	char num[16];
	member(w, key);
	snprintf(num, sizeof(num), "%d", n);
	mech_buf_puts(w->out, num);
}

void sh_jw_bool(sh_jw *w, const char *key, int b)
{
	member(w, key);
	mech_buf_puts(w->out, b ? "true" : "false");
}

void sh_jw_null(sh_jw *w, const char *key)
{
	member(w, key);
	mech_buf_puts(w->out, "null");
}

cJSON *sh_jw_raw(mech_buf *out)
{
	cJSON *r = cJSON_CreateRaw("");
	if (!r)
		mech_fatal("out of memory (a JSON result)");
	cJSON_free(r->valuestring);
	r->valuestring = mech_buf_detach(out);
	return r;
}

cJSON *sh_jw_tree(mech_buf *out)
{
	cJSON *t = cJSON_ParseWithLength(mech_buf_cstr(out), out->len);
	if (!t) /* what this file wrote is JSON: only memory can fail */
		mech_fatal("out of memory (reading back JSON)");
	mech_buf_dispose(out);
	return t;
}
