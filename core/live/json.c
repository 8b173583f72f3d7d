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
 * mech_json_events tells a list's items to a reader instead of building them.
 * A mech_json_feed runs that same parse on a thread of its own while the
 * bytes arrive (Argo CD's answer takes tens of ms on loopback): wherever the
 * parse would look at the end of what it has, it first waits for more or
 * for the end, so every check sees what it would see in the whole document.
 */
#include "mech/http.h"

#include <ctype.h>
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "mech/buf.h"
#include "mech/error.h"

/* cJSON's limit on nested arrays and objects */
#define KEEP_NESTING CJSON_NESTING_LIMIT
/* a waiting feed's parse wakes for this many bytes (or the end): a turn of
 * the thread per 16 KiB curl gives was a tenth of the parse's time */
#define FEED_BATCH (256 * 1024)
/*
 * The bytes put and not yet taken are held to this many: past it, the
 * putting side (curl's write callback) waits for the parse, and the
 * sender for TCP's window. Unheld, a parse behind a fast sender made the
 * pending buffer grow to most of the answer, reallocated and copied as it
 * grew and faulted into fresh memory (half the page faults of `app list` at
 * 10,000 apps); held, two buffers this size take turns.
 */
#define FEED_HOLD MECH_JSON_FEED_HOLD

struct mech_json_feed {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	mech_buf pending; /* put and not yet taken by the parse (under mu) */
	int eof;          /* no more will be put (under mu) */
	int ended;        /* the parse returned (under mu) */
	int waiting;      /* the parse waits for FEED_BATCH bytes (under mu) */
	int flush;        /* mech_json_feed_sync: wake it for any (under mu) */
	size_t total;     /* bytes put, against max (the putting side's) */
	size_t held;      /* the most pending ever held (under mu) */
	size_t max;
	mech_buf doc;   /* the parse's: the bytes taken and not yet passed */
	mech_buf spare; /* the parse's: a passed document's memory, for the next pending */
	size_t dropped; /* the bytes taken and passed (freed) before doc */
	char *what;
	const mech_json_keep *keep;
	const mech_json_each *each;
	cJSON *out;
	int rc;
	mech_error *err; /* the parse's, when it failed */
	pthread_t th;
	int threaded;
};

typedef struct {
	const char *p, *end;
	mech_json_feed *feed; /* NULL: the whole document is [p, end) */
	int depth;
	mech_buf str;               /* the string last decoded */
	const mech_json_each *each; /* NULL: every element is kept */
	int handed;                 /* the top level's first `each->key` was seen */
	int refused;                /* each->fn refused an element: no more calls */
	const char *start;          /* not fed: the document's first byte */
} scan;

/*
 * Fed: wait for more bytes, or the end. 1 when some came (s->p and s->end
 * then point into the new bytes, after what was left of the old), 0 at the
 * end. The bytes before s->p are dropped: only the parse's position in the
 * document (f->dropped + s->p) is kept, for its errors. So this is called
 * only where no caller holds a pointer into the document but s->p.
 */
static int more(scan *s)
{
	mech_json_feed *f = s->feed;
	mech_buf got;
	size_t at, left;
	if (!f)
		return 0;
	at = (size_t)(s->p - f->doc.ptr);
	left = f->doc.len - at;
	pthread_mutex_lock(&f->mu);
	f->waiting = 1;
	while (!f->eof && (!f->pending.len || (f->pending.len < FEED_BATCH && !f->flush)))
		pthread_cond_wait(&f->cv, &f->mu);
	f->waiting = 0;
	got = f->pending; /* taken whole: no copy under the lock */
	/* the memory of the bytes passed last time, already touched: 29 MB
	 * arriving into fresh memory were 7,000 page faults */
	f->pending = f->spare;
	f->spare = (mech_buf)MECH_BUF_INIT;
	pthread_cond_broadcast(&f->cv); /* mech_json_feed_sync */
	pthread_mutex_unlock(&f->mu);
	if (!got.len) {
		mech_buf_dispose(&got);
		return 0;
	}
	f->dropped += at;
	if (!left) { /* most often: the new bytes are the document now */
		f->spare = f->doc;
		mech_buf_clear(&f->spare);
		f->doc = got;
	} else {
		memmove(f->doc.ptr, f->doc.ptr + at, left);
		f->doc.len = left;
		if (mech_buf_put(&f->doc, got.ptr, got.len) < 0)
			mech_fatal("out of memory (parsing JSON)");
		mech_buf_dispose(&got);
	}
	s->p = f->doc.ptr;
	s->end = f->doc.ptr + f->doc.len;
	return 1;
}

/* At least n bytes from s->p, or all there will be. */
static void need(scan *s, size_t n)
{
	while (s->feed && (size_t)(s->end - s->p) < n && more(s))
		;
}

/* cJSON counts every byte up to 32 as white space */
static void ws(scan *s)
{
	do
		while (s->p < s->end && (unsigned char)*s->p <= 32)
			s->p++;
	while (s->p == s->end && more(s));
}

/*
 * Fed: the string at s->p up to its closing quote, or all there will be.
 * That quote (the first no odd run of backslashes escapes), or NULL when
 * not fed or not there.
 */
static const char *need_string(scan *s)
{
	size_t from = 1;
	while (s->feed) {
		const char *c = (size_t)(s->end - s->p) > from
					? memchr(s->p + from, '"', (size_t)(s->end - s->p) - from)
					: NULL;
		size_t k = 0;
		if (!c) {
			from = (size_t)(s->end - s->p);
			if (!more(s))
				return NULL;
			continue;
		}
		/* escaped by an odd run of backslashes */
		while (c - k - 1 > s->p && c[-1 - (long)k] == '\\')
			k++;
		if (k % 2 == 0)
			return c;
		from = (size_t)(c - s->p) + 1;
	}
	return NULL;
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
 * The first '"', '\\' or NUL in [p, end), or end: sixteen bytes at a time
 * where SSE2 is. A string it ends at a quote is plain: its bytes are its
 * text, whole, as cJSON reads it.
 */
static const char *string_stop(const char *p, const char *end)
{
#ifdef __SSE2__
	const __m128i quotes = _mm_set1_epi8('"'), backslashes = _mm_set1_epi8('\\');
	const __m128i nuls = _mm_setzero_si128();
	for (; end - p >= 16; p += 16) {
		__m128i w = _mm_loadu_si128((const __m128i *)(const void *)p);
		int hit = _mm_movemask_epi8(
			_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, quotes),
						  _mm_cmpeq_epi8(w, backslashes)),
				     _mm_cmpeq_epi8(w, nuls)));
		if (hit)
			return p + __builtin_ctz((unsigned)hit);
	}
#endif
	for (; p < end; p++)
		if (*p == '"' || *p == '\\' || !*p)
			return p;
	return end;
}

/*
 * The string at s->p (its opening quote), checked, and decoded into s->str
 * when `decode`. The closing quote is the first one no backslash escapes;
 * between them an escape must be one of JSON's, and a \u a code point or
 * a surrogate pair.
 */
static int string_at(scan *s, int decode, const char **plain, size_t *len);

static int string(scan *s, int decode)
{
	return string_at(s, decode, NULL, NULL);
}

/*
 * string(), but a plain string (string_stop) is not copied when `plain` is
 * given: *plain points at its bytes in the document, *len long, valid until
 * the parse takes more bytes. Else *plain is NULL and the text in s->str.
 */
static int string_at(scan *s, int decode, const char **plain, size_t *len)
{
	const char *q, *close, *r, *esc = NULL;
	if (plain)
		*plain = NULL;
	need(s, 1);
	if (s->p >= s->end || *s->p != '"')
		return -1;
	q = s->p + 1;
	/* most strings have no backslash and are there whole: the first quote closes them */
	close = string_stop(q, s->end);
	if (close < s->end && *close == '"' && plain) {
		*plain = q;
		*len = (size_t)(close - q);
		s->p = close + 1;
		return 0;
	}
	if (close == s->end || *close != '"') {
		close = need_string(s);
		q = s->p + 1;
		/* the first quote, then, unless a backslash comes before it */
		if (!close)
			close = memchr(q, '"', (size_t)(s->end - q));
		esc = close ? memchr(q, '\\', (size_t)(close - q)) : NULL;
	}
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
	size_t i, n = 0;
	do
		for (; s->p + n < s->end; n++) {
			char c = s->p[n];
			if (!((c >= '0' && c <= '9') || c == '+' || c == '-' || c == 'e' ||
			      c == 'E' || c == '.'))
				break;
		}
	while (s->p + n == s->end && more(s));
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
	need(s, n);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return -1;
	s->p += n;
	return 0;
}

/* most members are named in no keep list: the first two letters turn them away */
static const mech_json_keep *find(const mech_json_keep *keep, const char *key)
{
	for (; keep->key; keep++)
		if (keep->key[0] == key[0] && (!key[0] || keep->key[1] == key[1]) &&
		    !strcmp(keep->key, key))
			return keep;
	return NULL;
}

/* find() for a key given as n bytes with no NUL among them */
static const mech_json_keep *find_n(const mech_json_keep *keep, const char *key, size_t n)
{
	/* a kept key that matches n bytes with no NUL is at least n long */
	for (; keep->key; keep++)
		if (n ? keep->key[0] == key[0] && !strncmp(keep->key, key, n) && !keep->key[n]
		      : !keep->key[0])
			return keep;
	return NULL;
}

static int value(scan *s, int want, const mech_json_keep *keep, cJSON **out);
static int tell(scan *s, const mech_json_keep *member, const mech_json_keep *keep);

/*
 * At "[" or "{", passed: 1 when it closes at once ("[]", "{}"), 0 when
 * members or elements follow, -1 past cJSON's nesting limit.
 */
static int container_open(scan *s, char close)
{
	if (s->depth >= KEEP_NESTING)
		return -1;
	s->depth++;
	s->p++;
	ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth--;
		return 1;
	}
	return 0;
}

/* After a member's key, its colon passed; -1 when there is none. */
static int container_colon(scan *s)
{
	ws(s);
	if (s->p >= s->end || *s->p != ':')
		return -1;
	s->p++;
	ws(s);
	return 0;
}

/* After a member or element: 1 past a comma (another follows), 0 past the close, else -1. */
static int container_next(scan *s, char close)
{
	ws(s);
	if (s->p < s->end && *s->p == ',') {
		s->p++;
		return 1;
	}
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth--;
		return 0;
	}
	return -1;
}

/*
 * After "[" or "{": the members or elements up to the closing bracket.
 * When `hand`, each element is given to s->each->fn and freed instead of
 * added to `into`.
 */
static int container(scan *s, int object, int want, const mech_json_keep *keep, cJSON *into,
		     int hand)
{
	char close = object ? '}' : ']';
	int rc = container_open(s, close);
	if (rc)
		return rc < 0 ? -1 : 0;
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
			if (container_colon(s) < 0) {
				free(key);
				return -1;
			}
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
		} else if (hand && s->each->ev) {
			/* told, not built; after a refusal only checked */
			if (s->refused ? value(s, 0, NULL, NULL) : tell(s, NULL, sub))
				return -1;
			if (!s->refused && s->each->ev->end(s->each->ctx) < 0)
				s->refused = 1;
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
		rc = container_next(s, close);
		if (rc <= 0)
			return rc;
	}
}

/* ---- an item told (mech_json_events) ---- */

/*
 * After "[" or "{", told: container()'s checks, in the same order, so that
 * the same documents are refused at the same byte. In an object, only the
 * first member of each name the keep list gives is told.
 */
static int tell_container(scan *s, const mech_json_keep *member, int object,
			  const mech_json_keep *keep)
{
	const mech_json_events *ev = s->each->ev;
	char close = object ? '}' : ']';
	unsigned long long told = 0; /* the keep list's entries met, by index */
	int rc = container_open(s, close);
	if (rc < 0)
		return -1;
	ev->open(s->each->ctx, member, object);
	if (rc)
		return 0;
	for (;;) {
		const mech_json_keep *m = NULL;
		const char *plain;
		size_t n;
		ws(s);
		if (object) {
			if (string_at(s, 1, &plain, &n) < 0)
				return -1;
			m = !keep   ? NULL
			    : plain ? find_n(keep, plain, n)
				    : find(keep, mech_buf_cstr(&s->str));
			if (m) {
				size_t at = (size_t)(m - keep);
				if (at >= 64)
					mech_fatal("a JSON keep list of more than 64 members");
				if (told >> at & 1)
					m = NULL; /* a duplicate: mech_json_get finds the first */
				else
					told |= 1ULL << at;
			}
			if (container_colon(s) < 0)
				return -1;
		}
		if (object ? (m ? tell(s, m, m->keep) : value(s, 0, NULL, NULL))
			   : tell(s, NULL, keep)) {
			return -1;
		}
		rc = container_next(s, close);
		if (rc <= 0)
			return rc;
	}
}

/* The value at s->p told as `member`'s (value()'s checks). */
static int tell(scan *s, const mech_json_keep *member, const mech_json_keep *keep)
{
	const mech_json_events *ev = s->each->ev;
	void *ctx = s->each->ctx;
	double d;
	need(s, 1);
	if (s->p >= s->end)
		return -1;
	if (*s->p == 'n' && literal(s, "null") == 0) {
		ev->leaf(ctx, member, cJSON_NULL, NULL, 0);
	} else if (*s->p == 'f' && literal(s, "false") == 0) {
		ev->leaf(ctx, member, cJSON_False, NULL, 0);
	} else if (*s->p == 't' && literal(s, "true") == 0) {
		ev->leaf(ctx, member, cJSON_True, NULL, 0);
	} else if (*s->p == '"') {
		if (string(s, 1) < 0)
			return -1;
		ev->leaf(ctx, member, cJSON_String, mech_buf_cstr(&s->str), 0);
	} else if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) {
		if (number(s, &d) < 0)
			return -1;
		ev->leaf(ctx, member, cJSON_Number, NULL, d);
	} else if (*s->p == '[' || *s->p == '{') {
		if (tell_container(s, member, *s->p == '{', keep) < 0)
			return -1;
		ev->close(ctx);
	} else {
		return -1;
	}
	return 0;
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
	need(s, 1);
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
/* `data` is at byte `base` of the document */
static int trailing(const char *data, size_t len, const char *end, size_t base, const char *what)
{
	while (end && (size_t)(end - data) < len && isspace((unsigned char)*end))
		end++;
	if (end && (size_t)(end - data) < len)
		return mech_error_set(MECH_EUNAVAILABLE,
				      "%s: malformed JSON (trailing data at byte %zu)", what,
				      base + (size_t)(end - data));
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
	if (trailing(data, len, end, 0, what) < 0) {
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

/*
 * The parse of the document at s->p, to its end; for a feed, the bytes
 * that came to it. Errors name the document's length, so a feed's parse
 * takes every byte there will be before saying one.
 */
static int parse_scan(scan *s, const char *what, const mech_json_keep *keep, cJSON **out)
{
	cJSON *doc = NULL;
	const char *data;
	size_t len, base;
	int rc;

	*out = NULL;
	/* a UTF-8 byte order mark is skipped, as cJSON does */
	need(s, 5);
	if (s->end - s->p > 4 && !memcmp(s->p, "\xef\xbb\xbf", 3))
		s->p += 3;
	ws(s);
	rc = value(s, 1, keep, &doc);
	while (more(s))
		;
	data = s->feed ? s->feed->doc.ptr : s->start;
	base = s->feed ? s->feed->dropped : 0;
	mech_buf_dispose(&s->str);
	len = (size_t)(s->end - data);
	if (rc < 0)
		return malformed(what, base + (size_t)(s->p - data), base + len);
	if (trailing(data, len, s->p, base, what) < 0) {
		cJSON_Delete(doc);
		return -1;
	}
	if (s->refused) { /* the document is sound: each->fn's error stands */
		cJSON_Delete(doc);
		return -1;
	}
	*out = doc;
	return 0;
}

int mech_json_parse_each(cJSON **out, const char *data, size_t len, const char *what,
			 const mech_json_keep *keep, const mech_json_each *each)
{
	scan s = {data, data + len, NULL, 0, MECH_BUF_INIT, each, 0, 0, data};
	return parse_scan(&s, what, keep, out);
}

/* ---- a document parsed as it arrives ---- */

static void feed_parse(mech_json_feed *f)
{
	scan s = {f->doc.ptr, f->doc.ptr, f, 0, MECH_BUF_INIT, f->each, 0, 0, NULL};
	f->rc = parse_scan(&s, f->what, f->keep, &f->out);
	f->err = f->rc < 0 ? mech_error_take() : NULL;
	mech_error_clear();
	pthread_mutex_lock(&f->mu);
	f->ended = 1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

static void *feed_run(void *arg)
{
	feed_parse(arg);
	return NULL;
}

int mech_json_feed_start(mech_json_feed **out, const char *what, const mech_json_keep *keep,
			 const mech_json_each *each, size_t max)
{
	mech_json_feed *f = mech_calloc(1, sizeof(*f));
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	f->pending = (mech_buf)MECH_BUF_INIT;
	f->doc = (mech_buf)MECH_BUF_INIT;
	if (mech_buf_grow(&f->doc, 1) < 0) /* never NULL: the parse points into it */
		mech_fatal("out of memory (reading JSON)");
	f->max = max;
	f->what = mech_strdup(what);
	f->keep = keep;
	f->each = each;
	/* no thread: the bytes are kept and parsed at the end, as a whole */
	f->threaded = pthread_create(&f->th, NULL, feed_run, f) == 0;
	*out = f;
	return 0;
}

int mech_json_feed_put(mech_json_feed *f, const char *data, size_t len)
{
	if (f->max && len > f->max - f->total)
		return -1;
	f->total += len;
	pthread_mutex_lock(&f->mu);
	/* a parse that has ended takes no more: the bytes are only kept */
	while (f->threaded && !f->ended && f->pending.len >= FEED_HOLD) {
		pthread_cond_broadcast(&f->cv); /* a parse waiting for a batch has one */
		pthread_cond_wait(&f->cv, &f->mu);
	}
	if (mech_buf_put(&f->pending, data, len) < 0)
		mech_fatal("out of memory (reading JSON)");
	if (f->pending.len > f->held)
		f->held = f->pending.len;
	if (f->waiting && f->pending.len >= FEED_BATCH)
		pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return 0;
}

size_t mech_json_feed_held(mech_json_feed *f)
{
	size_t held;
	pthread_mutex_lock(&f->mu);
	held = f->held;
	pthread_mutex_unlock(&f->mu);
	return held;
}

void mech_json_feed_sync(mech_json_feed *f)
{
	pthread_mutex_lock(&f->mu);
	f->flush = 1;
	pthread_cond_broadcast(&f->cv);
	while (f->threaded && f->pending.len && !f->ended)
		pthread_cond_wait(&f->cv, &f->mu);
	f->flush = 0;
	pthread_mutex_unlock(&f->mu);
}

/* No more bytes; the parse's end waited for. */
static void feed_end(mech_json_feed *f)
{
	pthread_mutex_lock(&f->mu);
	f->eof = 1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	if (f->threaded)
		pthread_join(f->th, NULL);
	else
		feed_parse(f);
}

static void feed_free(mech_json_feed *f)
{
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	mech_buf_dispose(&f->pending);
	mech_buf_dispose(&f->doc);
	mech_buf_dispose(&f->spare);
	mech_error_free(f->err);
	cJSON_Delete(f->out);
	free(f->what);
	free(f);
}

int mech_json_feed_finish(mech_json_feed *f, cJSON **out)
{
	int rc;
	feed_end(f);
	rc = f->rc;
	*out = f->out;
	f->out = NULL;
	if (rc < 0) {
		mech_error_restore(f->err);
		f->err = NULL;
	}
	feed_free(f);
	return rc;
}

void mech_json_feed_cancel(mech_json_feed *f)
{
	if (!f)
		return;
	feed_end(f);
	feed_free(f);
}
