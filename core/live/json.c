/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON answers parsed with an explicit length (mech_json_parse, cJSON),
 * and a parse that builds only the members a reader asks for
 * (mech_json_parse_kept). Argo CD's list of a tenant's Applications is
 * 29 MB at 10,000 apps, and most of it (history, sync results, labels,
 * owner references) is never read: parsed whole with cJSON it was 5 million
 * nodes, allocated and freed again. Here every byte is still checked, by
 * the rules cJSON 1.7.15 applies (which mech_json_parse uses), so a
 * document is accepted or refused exactly as there, and what is kept reads
 * the same: numbers through strtod, strings decoded as cJSON decodes them
 * (cut at a \u0000), every member kept in order, duplicates too.
 * mech_json_parse_each goes further for a list: its items are built one at
 * a time, handed to the reader and freed, so that no more than one is held.
 */
#include "mech/http.h"

#include <ctype.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "mech/buf.h"
#include "mech/error.h"

/* cJSON's limit on nested arrays and objects */
#define KEEP_NESTING CJSON_NESTING_LIMIT

typedef struct {
	const char *p, *end;
	int depth;
	mech_buf str;               /* the string last decoded */
	const mech_json_each *each; /* NULL: every element is kept */
	int handed;                 /* the top level's first `each->key` was seen */
	int refused;                /* each->fn refused an element: no more calls */
} scan;

/* cJSON counts every byte up to 32 as white space */
static void ws(scan *s)
{
	while (s->p < s->end && (unsigned char)*s->p <= 32)
		s->p++;
}

/* Four hex digits; 0 when one is not (as cJSON reads them). */
static unsigned hex4(const char *h)
{
	unsigned v = 0;
	int i;
	for (i = 0; i < 4; i++) {
		char c = h[i];
		if (c >= '0' && c <= '9')
			v = v << 4 | (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v << 4 | (unsigned)(c - 'A' + 10);
		else
			return 0;
	}
	return v;
}

static void put_utf8(mech_buf *b, unsigned cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	mech_buf_put(b, u, n);
}

/*
 * The string at s->p (its opening quote), checked, and decoded into s->str
 * when `decode`. The closing quote is the first one no backslash escapes;
 * between them an escape must be one of JSON's, and a \u a code point or
 * a surrogate pair.
 */
static int string(scan *s, int decode)
{
	const char *q = s->p + 1, *close, *r, *esc;
	if (s->p >= s->end || *s->p != '"')
		return -1;
	/* most strings have no backslash: the first quote closes them */
	close = memchr(q, '"', (size_t)(s->end - q));
	esc = close ? memchr(q, '\\', (size_t)(close - q)) : NULL;
	if (!close || esc) {
		for (close = q; close < s->end && *close != '"'; close++)
			if (*close == '\\' && ++close >= s->end)
				return -1;
		if (close >= s->end)
			return -1;
	}
	if (decode)
		mech_buf_clear(&s->str);
	if (!esc) {
		if (decode)
			mech_buf_put(&s->str, q, (size_t)(close - q));
		s->p = close + 1;
		return 0;
	}
	for (r = q; r < close;) {
		const char *run = r;
		unsigned cp, lo;
		while (r < close && *r != '\\')
			r++;
		if (decode && r > run)
			mech_buf_put(&s->str, run, (size_t)(r - run));
		if (r >= close)
			break;
		switch (r[1]) {
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case '"':
		case '\\':
		case '/':
			cp = (unsigned char)r[1];
			break;
		case 'u':
			if (close - r < 6)
				return -1;
			cp = hex4(r + 2);
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -1;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (close - (r + 6) < 6 || r[6] != '\\' || r[7] != 'u')
					return -1;
				lo = hex4(r + 8);
				if (lo < 0xdc00 || lo > 0xdfff)
					return -1;
				cp = 0x10000 + ((cp & 0x3ff) << 10 | (lo & 0x3ff));
				r += 6;
			}
			r += 4;
			break;
		default:
			return -1;
		}
		if (decode)
			put_utf8(&s->str, cp);
		r += 2;
	}
	s->p = close + 1;
	return 0;
}

/*
 * A number as cJSON reads one: the longest run of its characters, however
 * long (Debian's 1.7.15 copies it whole), the point as the locale spells
 * it, through strtod.
 */
static int number(scan *s, double *out)
{
	char small[64], *num = small, *after;
	size_t i, n;
	for (n = 0; s->p + n < s->end; n++) {
		char c = s->p[n];
		if (!((c >= '0' && c <= '9') || c == '+' || c == '-' || c == 'e' || c == 'E' ||
		      c == '.'))
			break;
	}
	if (n >= sizeof(small))
		num = mech_calloc(n + 1, 1);
	for (i = 0; i < n; i++)
		num[i] = s->p[i] == '.' ? *localeconv()->decimal_point : s->p[i];
	num[n] = '\0';
	*out = strtod(num, &after);
	n = (size_t)(after - num);
	if (num != small)
		free(num);
	if (!n)
		return -1;
	s->p += n;
	return 0;
}

static int literal(scan *s, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return -1;
	s->p += n;
	return 0;
}

static const mech_json_keep *find(const mech_json_keep *keep, const char *key)
{
	for (; keep->key; keep++)
		if (!strcmp(keep->key, key))
			return keep;
	return NULL;
}

static int value(scan *s, int want, const mech_json_keep *keep, cJSON **out);

/*
 * After "[" or "{": the members or elements up to the closing bracket.
 * When `hand`, each element is given to s->each->fn and freed instead of
 * added to `into`.
 */
static int container(scan *s, int object, int want, const mech_json_keep *keep, cJSON *into,
		     int hand)
{
	char close = object ? '}' : ']';
	if (s->depth >= KEEP_NESTING)
		return -1;
	s->depth++;
	s->p++;
	ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth--;
		return 0;
	}
	for (;;) {
		cJSON *item = NULL;
		int take = want;
		const mech_json_keep *sub = keep;
		const char *named = NULL; /* the key as the keep list spells it */
		char *key = NULL;
		int handing = 0; /* the top level's `each->key`: its elements go one by one */
		ws(s);
		if (object) {
			if (string(s, want) < 0)
				return -1;
			if (want) {
				const char *k = mech_buf_cstr(&s->str);
				const mech_json_keep *m = keep ? find(keep, k) : NULL;
				take = !keep || m;
				sub = m ? m->keep : NULL;
				named = m ? m->key : NULL;
				if (take && !named)
					key = mech_strdup(k);
				/* the first such member, as cJSON_GetObjectItem finds it */
				handing = take && s->each && s->depth == 1 && !s->handed &&
					  !strcmp(k, s->each->key);
			}
			ws(s);
			if (s->p >= s->end || *s->p != ':') {
				free(key);
				return -1;
			}
			s->p++;
			ws(s);
		}
		if (handing)
			s->handed = 1;
		if (handing && s->p < s->end && *s->p == '[') {
			/* kept as an empty array, its elements handed out */
			item = cJSON_CreateArray();
			if (!item)
				mech_fatal("out of memory (parsing JSON)");
			if (container(s, 0, 1, sub, item, 1) < 0) {
				cJSON_Delete(item);
				free(key);
				return -1;
			}
		} else if (value(s, take, sub, take ? &item : NULL) < 0) {
			free(key);
			return -1;
		}
		if (item && hand) {
			if (!s->refused && s->each->fn(item, s->each->ctx) < 0)
				s->refused = 1;
			cJSON_Delete(item);
		} else if (item) {
			if (named) /* the same bytes, not copied: cJSON never frees a constant key */
				cJSON_AddItemToObjectCS(into, named, item);
			else if (object)
				cJSON_AddItemToObject(into, key, item);
			else
				cJSON_AddItemToArray(into, item);
		}
		free(key);
		ws(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == close) {
			s->p++;
			s->depth--;
			return 0;
		}
		return -1;
	}
}

/*
 * The value at s->p. When `want`, *out gets it: whole when keep is NULL,
 * else an object with only the members `keep` names (an array's elements
 * each so). Otherwise it is only checked.
 */
static int value(scan *s, int want, const mech_json_keep *keep, cJSON **out)
{
	cJSON *v = NULL;
	double d;
	if (s->p >= s->end)
		return -1;
	/* the literals by their first letter: most values are strings */
	if (*s->p == 'n' && literal(s, "null") == 0) {
		if (want)
			v = cJSON_CreateNull();
	} else if (*s->p == 'f' && literal(s, "false") == 0) {
		if (want)
			v = cJSON_CreateFalse();
	} else if (*s->p == 't' && literal(s, "true") == 0) {
		if (want)
			v = cJSON_CreateTrue();
	} else if (*s->p == '"') {
		if (string(s, want) < 0)
			return -1;
		if (want)
			v = cJSON_CreateString(mech_buf_cstr(&s->str));
	} else if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) {
		if (number(s, &d) < 0)
			return -1;
		if (want)
			v = cJSON_CreateNumber(d);
	} else if (*s->p == '[' || *s->p == '{') {
		int object = *s->p == '{';
		if (want)
			v = object ? cJSON_CreateObject() : cJSON_CreateArray();
		if (want && !v)
			mech_fatal("out of memory (parsing JSON)");
		if (container(s, object, want, keep, v, 0) < 0) {
			cJSON_Delete(v);
			return -1;
		}
	} else {
		return -1;
	}
	if (want && !v)
		mech_fatal("out of memory (parsing JSON)");
	if (want)
		*out = v;
	return 0;
}

/* The rest of an answer after its value: white space, else refused. */
static int trailing(const char *data, size_t len, const char *end, const char *what)
{
	while (end && (size_t)(end - data) < len && isspace((unsigned char)*end))
		end++;
	if (end && (size_t)(end - data) < len)
		return mech_error_set(MECH_EUNAVAILABLE,
				      "%s: malformed JSON (trailing data at byte %zu)", what,
				      (size_t)(end - data));
	return 0;
}

static int malformed(const char *what, size_t at, size_t len)
{
	return mech_error_set(MECH_EUNAVAILABLE, "%s: malformed JSON (near byte %zu of %zu)", what,
			      at, len);
}

int mech_json_parse(cJSON **out, const char *data, size_t len, const char *what)
{
	const char *end = NULL;
	cJSON *doc;
	*out = NULL;
	/* data[len] is a NUL in every caller (mech_buf), which also shields
	 * cJSON 1.7.15's one-byte over-read on truncated input. */
	doc = cJSON_ParseWithLengthOpts(data, len, &end, 0);
	if (!doc)
		return malformed(what, end && end >= data ? (size_t)(end - data) : 0, len);
	if (trailing(data, len, end, what) < 0) {
		cJSON_Delete(doc);
		return -1;
	}
	*out = doc;
	return 0;
}

int mech_json_parse_kept(cJSON **out, const char *data, size_t len, const char *what,
			 const mech_json_keep *keep)
{
	return mech_json_parse_each(out, data, len, what, keep, NULL);
}

int mech_json_parse_each(cJSON **out, const char *data, size_t len, const char *what,
			 const mech_json_keep *keep, const mech_json_each *each)
{
	scan s = {data, data + len, 0, MECH_BUF_INIT, each, 0, 0};
	cJSON *doc = NULL;
	int rc;

	*out = NULL;
	/* a UTF-8 byte order mark is skipped, as cJSON does */
	if (len > 4 && !memcmp(data, "\xef\xbb\xbf", 3))
		s.p += 3;
	ws(&s);
	rc = len ? value(&s, 1, keep, &doc) : -1;
	mech_buf_dispose(&s.str);
	if (rc < 0)
		return malformed(what, (size_t)(s.p - data), len);
	if (trailing(data, len, s.p, what) < 0) {
		cJSON_Delete(doc);
		return -1;
	}
	if (s.refused) { /* the document is sound: each->fn's error stands */
		cJSON_Delete(doc);
		return -1;
	}
	*out = doc;
	return 0;
}
