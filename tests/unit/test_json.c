/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mech_json_parse_kept against mech_json_parse (cJSON) on random documents,
 * valid and broken: the same ones are refused, a parse that keeps
 * everything prints byte for byte as cJSON's tree, and one that keeps some
 * members gives cJSON's tree with the others removed. The generator leans
 * on what differs between JSON readers: escapes (surrogates, \u0000, bad
 * hex), odd numbers, control bytes as white space, duplicate keys, keys
 * spelled with escapes, deep nesting.
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mech/buf.h"
#include "mech/error.h"
#include "mech/http.h"

static uint64_t rng_state;

static unsigned rnd(unsigned n)
{
	/* xorshift64*: the same documents on every run and machine */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

static const char *const keys[] = {
	"name",         "status",         "items", "sync", "health", "message", "x", "",
	"na\\u006de",   /* "name", spelled with an escape */
	"name\\u0000x", /* cut at the NUL: "name" as cJSON reads it */
	"st\\/atus",    "\\ud83d\\ude00",
};

static void ws(mech_buf *b)
{
	static const char w[] = {' ', '\t', '\n', '\r', '\x01', '\x1f', '\x0b'};
	while (rnd(4) == 0)
		mech_buf_putc(b, w[rnd(sizeof(w))]);
}

static void gen_string(mech_buf *b)
{
	static const char *const esc[] = {
		"\\\"",
		"\\\\",
		"\\/",
		"\\b",
		"\\f",
		"\\n",
		"\\r",
		"\\t",
		"\\u0041",
		"\\u00e9",
		"\\u20ac",
		"\\u0000",
		"\\ud83d\\ude00",
		"\\ud800",
		"\\udc00",
		"\\ud800\\u0041",
		"\\uzz12",
		"\\u12",
		"\\x",
		"\\u007f",
		"\\uDBFF\\uDFFF",
	};
	unsigned n = rnd(8), i;
	mech_buf_putc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned k = rnd(10);
		if (k < 5)
			mech_buf_putc(b, (char)('a' + rnd(26)));
		else if (k < 7)
			mech_buf_puts(b, esc[rnd(sizeof(esc) / sizeof(*esc))]);
		else if (k < 8)
			mech_buf_putc(b, (char)(1 + rnd(31))); /* raw control bytes pass */
		else if (k < 9)
			mech_buf_putc(b, (char)(0x80 + rnd(128))); /* and bytes of no UTF-8 */
		else
			mech_buf_puts(b, "\xc3\xa9");
	}
	mech_buf_putc(b, '"');
}

static void gen_number(mech_buf *b)
{
	static const char *const odd[] = {"-",      "1e",
					  "1.2.3",  "1e400",
					  "-0",     "01",
					  "1.",     ".5",
					  "1e+2",   "2E-3",
					  "-1-2",   "0.1e1.5",
					  "1e-400", "123456789012345678901234567890"};
	if (rnd(5) == 0) {
		mech_buf_puts(b, odd[rnd(sizeof(odd) / sizeof(*odd))]);
		return;
	}
	if (rnd(3) == 0)
		mech_buf_putc(b, '-');
	mech_buf_printf(b, "%u", rnd(100000));
	if (rnd(2))
		mech_buf_printf(b, ".%u", rnd(1000));
	if (rnd(4) == 0)
		mech_buf_printf(b, "e%s%u", rnd(2) ? "-" : "+", rnd(30));
}

static void gen_value(mech_buf *b, int depth)
{
	unsigned k = rnd(depth > 5 ? 6 : 10), n, i;
	ws(b);
	switch (k) {
	case 0:
		mech_buf_puts(b, "null");
		break;
	case 1:
		mech_buf_puts(b, rnd(2) ? "true" : "false");
		break;
	case 2:
	case 3:
		gen_string(b);
		break;
	case 4:
	case 5:
		gen_number(b);
		break;
	case 6:
	case 7:
		mech_buf_putc(b, '[');
		n = rnd(4);
		for (i = 0; i < n; i++) {
			if (i)
				mech_buf_putc(b, ',');
			gen_value(b, depth + 1);
		}
		ws(b);
		mech_buf_putc(b, ']');
		break;
	default:
		mech_buf_putc(b, '{');
		n = rnd(5);
		for (i = 0; i < n; i++) {
			if (i)
				mech_buf_putc(b, ',');
			ws(b);
			mech_buf_printf(b, "\"%s\"", keys[rnd(sizeof(keys) / sizeof(*keys))]);
			ws(b);
			mech_buf_putc(b, ':');
			gen_value(b, depth + 1);
		}
		ws(b);
		mech_buf_putc(b, '}');
		break;
	}
	ws(b);
}

/* Break a document now and then: cut it short or change a byte. */
static void mutate(mech_buf *b)
{
	static const char bytes[] = "\"\\{}[],:0-e.uxn \x01";
	unsigned k = rnd(6);
	if (!b->len || k > 1)
		return;
	if (k == 0) {
		b->len = rnd((unsigned)b->len);
		b->ptr[b->len] = '\0';
	} else {
		b->ptr[rnd((unsigned)b->len)] = bytes[rnd(sizeof(bytes) - 1)];
	}
}

/* cJSON's tree with the members `keep` does not name removed, as the kept parse should give. */
static void prune(cJSON *v, const mech_json_keep *keep)
{
	cJSON *it, *next;
	if (!keep)
		return;
	for (it = v ? v->child : NULL; it; it = next) {
		const mech_json_keep *m = NULL, *k;
		next = it->next;
		if (cJSON_IsArray(v)) {
			prune(it, keep);
			continue;
		}
		for (k = keep; k->key; k++)
			if (!strcmp(k->key, it->string)) {
				m = k;
				break;
			}
		if (!cJSON_IsObject(v))
			continue;
		if (!m)
			cJSON_Delete(cJSON_DetachItemViaPointer(v, it));
		else
			prune(it, m->keep);
	}
}

static const mech_json_keep keep_none[] = {{NULL, NULL}};
static const mech_json_keep keep_inner[] = {{"name", NULL}, {"x", keep_none}, {NULL, NULL}};
static const mech_json_keep keep_some[] = {{"items", keep_inner},
					   {"status", NULL},
					   {"", keep_inner},
					   {NULL, NULL}};

static int collect(const cJSON *item, void *ctx)
{
	cJSON_AddItemToArray(ctx, cJSON_Duplicate(item, 1));
	return 0;
}

/*
 * mech_json_parse_each handing out the top level's "items": the kept
 * parse's tree once they are put back where it left an empty array.
 */
static char *parse_each_put_back(const mech_buf *b, const mech_json_keep *keep, int *rc)
{
	cJSON *got = cJSON_CreateArray(), *doc = NULL, *items;
	mech_json_each each = {"items", collect, got};
	char *text = NULL;
	*rc = mech_json_parse_each(&doc, b->ptr, b->len, "doc", keep, &each);
	mech_error_clear();
	if (*rc == 0) {
		items = cJSON_GetObjectItemCaseSensitive(doc, "items");
		if (cJSON_GetArraySize(got))
			cr_assert(cJSON_IsArray(items) && !cJSON_GetArraySize(items), "of %s",
				  b->ptr);
		while (got->child)
			cJSON_AddItemToArray(items, cJSON_DetachItemViaPointer(got, got->child));
		text = cJSON_PrintUnformatted(doc);
	}
	cJSON_Delete(doc);
	cJSON_Delete(got);
	return text;
}

/* ---- items told (mech_json_events), rebuilt as a tree ---- */

typedef struct {
	cJSON *items;      /* the items told, each rebuilt */
	cJSON *open[1100]; /* the containers being told, innermost last */
	int depth;
} rebuilt;

static void rebuild_put(rebuilt *r, const mech_json_keep *m, cJSON *v)
{
	cr_assert(v);
	if (!r->depth)
		cJSON_AddItemToArray(r->items, v);
	else if (m)
		cJSON_AddItemToObject(r->open[r->depth - 1], m->key, v);
	else
		cJSON_AddItemToArray(r->open[r->depth - 1], v);
}

static void rebuild_open(void *ctx, const mech_json_keep *m, int object)
{
	rebuilt *r = ctx;
	cJSON *v = object ? cJSON_CreateObject() : cJSON_CreateArray();
	rebuild_put(r, m, v);
	cr_assert_lt(r->depth, 1100);
	r->open[r->depth++] = v;
}

static void rebuild_leaf(void *ctx, const mech_json_keep *m, int type, const char *s, double n)
{
	rebuild_put(ctx, m,
		    type == cJSON_String   ? cJSON_CreateString(s)
		    : type == cJSON_Number ? cJSON_CreateNumber(n)
		    : type == cJSON_True   ? cJSON_CreateTrue()
		    : type == cJSON_False  ? cJSON_CreateFalse()
					   : cJSON_CreateNull());
}

static void rebuild_close(void *ctx)
{
	((rebuilt *)ctx)->depth--;
}

static int rebuild_end(void *ctx)
{
	cr_assert_eq(((rebuilt *)ctx)->depth, 0, "an item ends with its containers closed");
	return 0;
}

static const mech_json_events rebuild_events = {rebuild_open, rebuild_leaf, rebuild_close,
						rebuild_end};

/*
 * What the items told say: in each object only the first member of each
 * name its keep list gives (an object kept whole, keep NULL, is told
 * without members); an array's elements each as the array's keep says.
 */
static void told_prune(cJSON *v, const mech_json_keep *keep)
{
	cJSON *it, *next;
	for (it = v ? v->child : NULL; it; it = next) {
		const mech_json_keep *m = NULL, *k;
		const cJSON *first;
		next = it->next;
		if (cJSON_IsArray(v)) {
			told_prune(it, keep);
			continue;
		}
		for (k = keep; k && k->key; k++)
			if (!strcmp(k->key, it->string)) {
				m = k;
				break;
			}
		first = m ? cJSON_GetObjectItemCaseSensitive(v, it->string) : NULL;
		if (!m || first != it)
			cJSON_Delete(cJSON_DetachItemViaPointer(v, it));
		else
			told_prune(it, m->keep);
	}
}

/* mech_json_parse_each telling the top level's "items": the tree with them put back. */
static char *parse_told_put_back(const mech_buf *b, const mech_json_keep *keep, int *rc)
{
	rebuilt r = {cJSON_CreateArray()};
	mech_json_each each = {"items", NULL, &r, &rebuild_events};
	cJSON *doc = NULL, *items;
	char *text = NULL;
	*rc = mech_json_parse_each(&doc, b->ptr, b->len, "doc", keep, &each);
	mech_error_clear();
	if (*rc == 0) {
		items = cJSON_GetObjectItemCaseSensitive(doc, "items");
		while (r.items->child)
			cJSON_AddItemToArray(items,
					     cJSON_DetachItemViaPointer(r.items, r.items->child));
		text = cJSON_PrintUnformatted(doc);
	}
	cJSON_Delete(doc);
	cJSON_Delete(r.items);
	return text;
}

/* The kept tree `a` (printed) as the told items read: each item told_pruned. */
static char *told_expected(const char *a, const mech_json_keep *keep)
{
	cJSON *want = cJSON_Parse(a), *items = cJSON_GetObjectItemCaseSensitive(want, "items"), *it;
	const mech_json_keep *m = NULL, *k;
	char *text;
	for (k = keep; k && k->key; k++)
		if (!strcmp(k->key, "items"))
			m = k;
	if (cJSON_IsObject(want) && cJSON_IsArray(items))
		cJSON_ArrayForEach(it, items) told_prune(it, keep ? (m ? m->keep : NULL) : NULL);
	text = cJSON_PrintUnformatted(want);
	cJSON_Delete(want);
	return text;
}

/* Both parses of `b` agree, and handing out its items too; 1 when it was a document. */
static int agree(const mech_buf *b, const mech_json_keep *keep)
{
	cJSON *full = NULL, *kept = NULL;
	int rf = mech_json_parse(&full, b->ptr, b->len, "doc");
	int rk, re, rt;
	char *e, *t;
	mech_error_clear();
	rk = mech_json_parse_kept(&kept, b->ptr, b->len, "doc", keep);
	mech_error_clear();
	cr_assert_eq(rk, rf, "cJSON %s, the kept parse %s: %s", rf ? "refuses" : "accepts",
		     rk ? "refuses" : "accepts", b->ptr);
	e = parse_each_put_back(b, keep, &re);
	cr_assert_eq(re, rf, "cJSON %s, handing out items %s: %s", rf ? "refuses" : "accepts",
		     re ? "refuses" : "accepts", b->ptr);
	t = parse_told_put_back(b, keep, &rt);
	cr_assert_eq(rt, rf, "cJSON %s, telling items %s: %s", rf ? "refuses" : "accepts",
		     rt ? "refuses" : "accepts", b->ptr);
	if (rf == 0) {
		char *a, *k, *w;
		prune(full, keep);
		a = cJSON_PrintUnformatted(full);
		k = cJSON_PrintUnformatted(kept);
		cr_assert_str_eq(k, a, "of %s", b->ptr);
		cr_assert_str_eq(e, a, "items handed out, of %s", b->ptr);
		w = told_expected(a, keep);
		cr_assert_str_eq(t, w, "items told, of %s", b->ptr);
		free(a);
		free(k);
		free(w);
	}
	free(e);
	free(t);
	cJSON_Delete(full);
	cJSON_Delete(kept);
	return rf == 0;
}

Test(json_kept, random_documents_read_as_cjson_reads_them)
{
	int i, valid = 0;
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < 20000; i++) {
		mech_buf b = MECH_BUF_INIT;
		const mech_json_keep *keep = i % 3 == 0 ? NULL : i % 3 == 1 ? keep_some : keep_none;
		if (rnd(50) == 0)
			mech_buf_puts(&b, "\xef\xbb\xbf");
		gen_value(&b, 0);
		if (rnd(10) == 0)
			mech_buf_puts(&b, rnd(2) ? " x" : "\x01");
		mutate(&b);
		mech_buf_cstr(&b); /* a NUL after the bytes, as every caller has */
		valid += agree(&b, keep);
		mech_buf_dispose(&b);
	}
	/* both kinds were tried, plenty of each */
	cr_expect(valid > 5000 && valid < 19000, "%d of 20000 documents were valid", valid);
}

/* An item's object, its members often of the same few names, nested. */
static void gen_item(mech_buf *b, int depth)
{
	static const char *const names[] = {"name", "x", "", "na\\u006de", "name\\u0000x", "y"};
	unsigned n = rnd(6), i;
	mech_buf_putc(b, '{');
	for (i = 0; i < n; i++) {
		if (rnd(10) == 0) /* a raw NUL: cJSON's key is "name" */
			mech_buf_put(b, i ? ",\"name\0x\":" : "\"name\0x\":", i ? 10 : 9);
		else
			mech_buf_printf(b, "%s\"%s\":", i ? "," : "", names[rnd(6)]);
		if (depth < 3 && rnd(3) == 0)
			gen_item(b, depth + 1);
		else
			gen_value(b, depth + 3);
	}
	mech_buf_putc(b, '}');
}

static const mech_json_keep keep_deep[] = {{"y", keep_deep},
					   {"name", NULL},
					   {"", keep_inner},
					   {"x", keep_none},
					   {NULL, NULL}};
static const mech_json_keep keep_told[] = {{"items", keep_deep}, {NULL, NULL}};

/*
 * Items told read as the kept parse builds them, but for the members
 * mech_json_get would never find: later ones of a name, and those of an
 * object kept whole. Lists of objects whose members are mostly of the same
 * few names, "" and escaped spellings among them.
 */
Test(json_told, items_read_as_their_first_members)
{
	int i, valid = 0;
	rng_state = 0x2545f4914f6cdd1dULL;
	for (i = 0; i < 5000; i++) {
		mech_buf b = MECH_BUF_INIT;
		unsigned n = rnd(5), k;
		mech_buf_puts(&b, "{\"items\":[");
		for (k = 0; k < n; k++) {
			if (k)
				mech_buf_putc(&b, ',');
			if (rnd(8))
				gen_item(&b, 0);
			else
				gen_value(&b, 0);
		}
		mech_buf_puts(&b, "]}");
		mutate(&b);
		mech_buf_cstr(&b);
		valid += agree(&b, i % 4 ? keep_told : NULL);
		mech_buf_dispose(&b);
	}
	cr_expect(valid > 1000 && valid < 4900, "%d of 5000 lists were valid", valid);
}

Test(json_kept, edges_read_as_cjson_reads_them)
{
	static const char *const docs[] = {
		"",
		" ",
		"{}",
		"[]",
		"{\"a\":1,}",
		"[1,]",
		"{\"a\" 1}",
		"{\"name\":\"a\",\"name\":\"b\"}",
		"{\"name\":{\"x\":1},\"name\":\"b\"}",
		"{\"na\\u006de\":\"esc\"}",
		"\"\\ud83d\\ude00\"",
		"\"\\ud83d\"",
		"\"\\ude00\"",
		"\"a\\u0000b\"",
		"\"\\uZZZZ\"",
		"\"abc",
		"\"abc\\",
		"\"\\u00",
		"+1",
		"-",
		"1.2.3",
		"1e400",
		"[1e400,-1e400,1e-400]",
		"nul",
		"nullx",
		"truefalse",
		"\xef\xbb\xbf{}",
		"\xef\xbb\xbf",
		"{} \n",
		"{}\x01",
		"\x01{}",
		"{\"\":[{\"name\":[1,{\"x\":2}]}]}",
		"{\"items\":[{\"name\":1,\"y\":2},[],3],\"items\":[4]}",
		"{\"items\":null,\"items\":[4]}",
		"{\"items\":[{\"items\":[1]}]}",
		"[{\"items\":[1]}]",
		"{\"items\":[1,}",
		/* longer than cJSON's 64-byte buffer of old: read whole (fuzz_json found it) */
		"000000000000000000000000000000000000000000000000000000000000000000000000000000002",
		"[1.00000000000000000000000000000000000000000000000000000000000000000000000000001]",
		"-0000000000000000000000000000000000000000000000000000000000000000000000000000e+5x",
	};
	size_t i;
	for (i = 0; i < sizeof(docs) / sizeof(*docs); i++) {
		mech_buf b = MECH_BUF_INIT;
		mech_buf_puts(&b, docs[i]);
		mech_buf_cstr(&b);
		agree(&b, NULL);
		agree(&b, keep_some);
		mech_buf_dispose(&b);
	}
}

/* cJSON nests 1000 arrays and objects and no more; so does the kept parse. */
Test(json_kept, nesting_limit)
{
	int depth;
	for (depth = 998; depth <= 1002; depth++) {
		mech_buf b = MECH_BUF_INIT;
		int i;
		for (i = 0; i < depth; i++)
			mech_buf_puts(&b, i % 2 ? "{\"items\":" : "[");
		mech_buf_putc(&b, '0');
		for (i = depth - 1; i >= 0; i--)
			mech_buf_puts(&b, i % 2 ? "}" : "]");
		mech_buf_cstr(&b);
		cr_expect_eq(agree(&b, NULL), depth <= 1000, "depth %d", depth);
		agree(&b, keep_some);
		mech_buf_dispose(&b);
	}
}

/* A refusal says where, in mech_json_parse's words. */
Test(json_kept, refusals_name_the_source)
{
	cJSON *doc = NULL;
	cr_assert_eq(mech_json_parse_kept(&doc, "{\"a\":", 5, "Argo CD: GET /x", NULL), -1);
	cr_expect_null(doc);
	cr_expect_eq(mech_error_last()->code, MECH_EUNAVAILABLE);
	cr_expect(strstr(mech_error_last()->message, "Argo CD: GET /x: malformed JSON (near byte"),
		  "%s", mech_error_last()->message);
	cr_assert_eq(mech_json_parse_kept(&doc, "{} {}", 5, "Argo CD: GET /x", NULL), -1);
	cr_expect_str_eq(mech_error_last()->message,
			 "Argo CD: GET /x: malformed JSON (trailing data at byte 3)");
}

typedef struct {
	int seen;
	int refuse_at;
} each_log;

static int refuse(const cJSON *item, void *ctx)
{
	each_log *l = ctx;
	(void)item;
	if (++l->seen == l->refuse_at)
		return mech_error_set(MECH_EUNAVAILABLE, "item %d refused", l->seen);
	return 0;
}

/* A refused item stops the calls; the reader's error stands unless the document is malformed. */
Test(json_each, a_refusal_stops_and_a_malformed_document_says_so)
{
	static const char ok[] = "{\"items\":[1,2,3,4],\"x\":1}";
	static const char bad[] = "{\"items\":[1,2,3,4],\"x\":}";
	each_log l = {0, 2};
	mech_json_each each = {"items", refuse, &l};
	cJSON *doc = NULL;

	cr_assert_eq(mech_json_parse_each(&doc, ok, strlen(ok), "Argo CD", NULL, &each), -1);
	cr_expect_null(doc);
	cr_expect_eq(l.seen, 2, "no call after the refusal");
	cr_expect_str_eq(mech_error_last()->message, "item 2 refused");
	l.seen = 0;
	cr_assert_eq(mech_json_parse_each(&doc, bad, strlen(bad), "Argo CD", NULL, &each), -1);
	cr_expect_null(doc);
	cr_expect(strstr(mech_error_last()->message, "Argo CD: malformed JSON (near byte"), "%s",
		  mech_error_last()->message);
	l.seen = 0;
	l.refuse_at = 0;
	cr_assert_eq(mech_json_parse_each(&doc, ok, strlen(ok), "Argo CD", NULL, &each), 0);
	cr_expect_eq(l.seen, 4);
	cJSON_Delete(doc);
}

/* ---- mech_json_feed: the same parse, fed in pieces as they arrive ---- */

/* What a parse that hands out items said: its items, its tree, its error. */
typedef struct {
	int rc;
	char *items, *doc, *error;
} each_said;

typedef struct {
	cJSON *got;
	int seen, refuse_at;
} each_keep;

static int keep_or_refuse(const cJSON *item, void *ctx)
{
	each_keep *k = ctx;
	if (++k->seen == k->refuse_at)
		return mech_error_set(MECH_EUNAVAILABLE, "item %d refused", k->seen);
	cJSON_AddItemToArray(k->got, cJSON_Duplicate(item, 1));
	return 0;
}

/* `chunk` 0: the whole document to mech_json_parse_each; else fed in pieces
 * of 1 to `chunk` bytes, each taken by the parse before the next is put
 * (past 4096: every other one or so, the others put as they come). */
static void each_say(const mech_buf *b, const mech_json_keep *keep, int refuse_at, unsigned chunk,
		     each_said *out)
{
	each_keep k = {cJSON_CreateArray(), 0, refuse_at};
	mech_json_each each = {"items", keep_or_refuse, &k};
	cJSON *doc = NULL;
	mech_error_clear();
	if (!chunk) {
		out->rc = mech_json_parse_each(&doc, b->ptr, b->len, "doc", keep, &each);
	} else {
		mech_json_feed *f;
		size_t at = 0, n;
		cr_assert_eq(mech_json_feed_start(&f, "doc", keep, &each, 0), 0);
		while (at < b->len) {
			n = 1 + rnd(chunk);
			n = n < b->len - at ? n : b->len - at;
			cr_assert_eq(mech_json_feed_put(f, b->ptr + at, n), 0);
			if (chunk <= 4096 || rnd(2))
				mech_json_feed_sync(f);
			at += n;
		}
		out->rc = mech_json_feed_finish(f, &doc);
	}
	out->items = cJSON_PrintUnformatted(k.got);
	out->doc = doc ? cJSON_PrintUnformatted(doc) : NULL;
	out->error = out->rc < 0 ? mech_strdup(mech_error_last()->message) : NULL;
	mech_error_clear();
	cJSON_Delete(doc);
	cJSON_Delete(k.got);
}

static void each_said_dispose(each_said *s)
{
	free(s->items);
	free(s->doc);
	free(s->error);
}

/* the strings compared, not printed: a list of megabytes would jam the report */
#define SAME(a, b) ((a) && (b) && !strcmp((a), (b)))

static void fed_as_whole(const mech_buf *b, const mech_json_keep *keep, int refuse_at,
			 unsigned chunk)
{
	each_said whole, fed;
	each_say(b, keep, refuse_at, 0, &whole);
	each_say(b, keep, refuse_at, chunk, &fed);
	cr_assert_eq(fed.rc, whole.rc, "fed in pieces of up to %u: %d, whole: %d, of %.300s", chunk,
		     fed.rc, whole.rc, b->ptr);
	cr_assert(SAME(fed.items, whole.items), "the items handed, of %.300s", b->ptr);
	cr_assert(whole.doc ? SAME(fed.doc, whole.doc) : !fed.doc, "the tree, of %.300s", b->ptr);
	cr_assert(!whole.error || SAME(fed.error, whole.error), "%s, whole: %s, of %.300s",
		  fed.error ? fed.error : "no error", whole.error, b->ptr);
	each_said_dispose(&whole);
	each_said_dispose(&fed);
}

/* A list as Argo CD sends one, or any value; broken now and then. */
static void gen_list(mech_buf *b)
{
	unsigned n = rnd(6), i;
	if (rnd(50) == 0)
		mech_buf_puts(b, "\xef\xbb\xbf");
	if (rnd(4) == 0) {
		gen_value(b, 0);
	} else {
		mech_buf_puts(b, "{\"metadata\":");
		gen_value(b, 1);
		mech_buf_puts(b, ",\"items\":[");
		for (i = 0; i < n; i++) {
			if (i)
				mech_buf_putc(b, ',');
			gen_value(b, 1);
		}
		mech_buf_puts(b, "]");
		if (rnd(3) == 0) {
			mech_buf_puts(b, ",\"x\":");
			gen_value(b, 1);
		}
		mech_buf_puts(b, "}");
	}
	if (rnd(10) == 0)
		mech_buf_puts(b, rnd(2) ? " x" : "\x01");
	mutate(b);
	mech_buf_cstr(b);
}

/* Wherever the pieces are cut (inside a string, an escape, a number, a
 * literal, a byte order mark), the feed hands the same items, keeps the same
 * tree and refuses with the same message as the whole parse. */
Test(json_feed, pieces_give_what_the_whole_gives)
{
	static const char *const edges[] = {
		"",
		" ",
		"\xef\xbb\xbf{}",
		"\xef\xbb\xbf",
		"{\"items\":[12345.5e-3,-0,1e+]}",
		"{\"items\":[\"a\\\\\\\"b\\\\\",\"\\ud83d\\ude00\",\"\\u00e9\"]}",
		"{\"items\":[true,false,null,nul]}",
		"{\"items\":[1,2]} x",
		"{\"items\":[1,2]}  ",
		"{\"items\":[\"unterminated\\\"]}",
		"123",
		"{\"items\":[{\"name\":\"a\"},[1]]}",
	};
	int i;
	unsigned c;
	rng_state = 0x2545f4914f6cdd1dULL;
	for (i = 0; i < (int)(sizeof(edges) / sizeof(*edges)); i++) {
		mech_buf b = MECH_BUF_INIT;
		mech_buf_puts(&b, edges[i]);
		mech_buf_cstr(&b);
		for (c = 1; c <= 4; c++) {
			fed_as_whole(&b, NULL, 0, c);
			fed_as_whole(&b, keep_some, 2, c);
		}
		mech_buf_dispose(&b);
	}
	for (i = 0; i < 1500; i++) {
		mech_buf b = MECH_BUF_INIT;
		const mech_json_keep *keep = i % 3 == 0 ? NULL : i % 3 == 1 ? keep_some : keep_none;
		gen_list(&b);
		fed_as_whole(&b, keep, (int)rnd(5), i % 2 ? 1 : 1 + rnd(64));
		mech_buf_dispose(&b);
	}
}

/* A list of megabytes in pieces of tens of KiB, taken one or more at a time:
 * the parse keeps only what it has not passed, and says what the whole says. */
Test(json_feed, a_large_list_put_as_it_comes)
{
	int i, k;
	rng_state = 0x853c49e6748fea9bULL;
	for (k = 0; k < 4; k++) {
		mech_buf b = MECH_BUF_INIT;
		mech_buf_puts(&b, "{\"metadata\":{\"resourceVersion\":\"7\"},\"items\":[");
		for (i = 0; i < 40000; i++) {
			if (i)
				mech_buf_putc(&b, ',');
			gen_value(&b, 1);
		}
		mech_buf_puts(&b, "]}");
		cr_assert_gt(b.len, 1000000, "a list of %zu bytes", b.len); /* several batches */
		if (k == 3) /* broken near the end */
			b.ptr[b.len - 40] = ':';
		mech_buf_cstr(&b);
		fed_as_whole(&b, k % 2 ? keep_some : NULL, k == 2 ? 30000 : 0, 20000 + rnd(50000));
		mech_buf_dispose(&b);
	}
}

/*
 * Put far faster than it is parsed (pieces of 64 KiB, no waiting between
 * them), a list of megabytes is held back: the putting side waits once
 * MECH_JSON_FEED_HOLD bytes are pending, so no more than that and one piece
 * are ever held, and the answer is still the whole document's. (Unheld, the
 * pending bytes grew to most of the document.)
 */
Test(json_feed, a_fast_sender_is_held_back)
{
	each_keep k = {cJSON_CreateArray(), 0, 0};
	mech_json_each each = {"items", keep_or_refuse, &k};
	mech_buf b = MECH_BUF_INIT;
	mech_json_feed *f;
	cJSON *doc = NULL;
	size_t at, n, held;
	int i;
	char *fed, *whole;
	each_said said;
	mech_buf_puts(&b, "{\"metadata\":{\"resourceVersion\":\"7\"},\"items\":[");
	for (i = 0; i < 100000; i++)
		mech_buf_printf(&b,
				"%s{\"name\":\"app%d\",\"spec\":{\"n\":[%d,-1.5e3,\"q\\\"\\u00e9\"]},"
				"\"x\":null,\"y\":true}",
				i ? "," : "", i, i);
	mech_buf_puts(&b, "]}");
	cr_assert_gt(b.len, 4 * MECH_JSON_FEED_HOLD, "a list of %zu bytes", b.len);
	cr_assert_eq(mech_json_feed_start(&f, "doc", keep_some, &each, 0), 0);
	for (at = 0; at < b.len; at += n) {
		n = b.len - at < 65536 ? b.len - at : 65536;
		cr_assert_eq(mech_json_feed_put(f, b.ptr + at, n), 0);
	}
	held = mech_json_feed_held(f);
	cr_assert_eq(mech_json_feed_finish(f, &doc), 0, "%s", mech_error_last()->message);
	cr_assert_leq(held, MECH_JSON_FEED_HOLD + 65536, "%zu bytes held at once", held);
	fed = cJSON_PrintUnformatted(k.got);
	each_say(&b, keep_some, 0, 0, &said);
	whole = said.items;
	cr_assert(SAME(fed, whole), "the items handed");
	free(fed);
	each_said_dispose(&said);
	cJSON_Delete(doc);
	cJSON_Delete(k.got);
	mech_buf_dispose(&b);
}

/* Past the ceiling a piece is refused, and the parse can still be dropped. */
Test(json_feed, the_ceiling_holds)
{
	mech_json_feed *f;
	cr_assert_eq(mech_json_feed_start(&f, "doc", NULL, NULL, 8), 0);
	cr_expect_eq(mech_json_feed_put(f, "{\"a\":", 5), 0);
	cr_expect_eq(mech_json_feed_put(f, "1}", 2), 0);
	cr_expect_eq(mech_json_feed_put(f, "  ", 2), -1);
	mech_json_feed_cancel(f);
	mech_json_feed_cancel(NULL);
}
