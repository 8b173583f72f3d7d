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

/* Both parses of `b` agree, and handing out its items too; 1 when it was a document. */
static int agree(const mech_buf *b, const mech_json_keep *keep)
{
	cJSON *full = NULL, *kept = NULL;
	int rf = mech_json_parse(&full, b->ptr, b->len, "doc");
	int rk, re;
	char *e;
	mech_error_clear();
	rk = mech_json_parse_kept(&kept, b->ptr, b->len, "doc", keep);
	mech_error_clear();
	cr_assert_eq(rk, rf, "cJSON %s, the kept parse %s: %s", rf ? "refuses" : "accepts",
		     rk ? "refuses" : "accepts", b->ptr);
	e = parse_each_put_back(b, keep, &re);
	cr_assert_eq(re, rf, "cJSON %s, handing out items %s: %s", rf ? "refuses" : "accepts",
		     re ? "refuses" : "accepts", b->ptr);
	if (rf == 0) {
		char *a, *k;
		prune(full, keep);
		a = cJSON_PrintUnformatted(full);
		k = cJSON_PrintUnformatted(kept);
		cr_assert_str_eq(k, a, "of %s", b->ptr);
		cr_assert_str_eq(e, a, "items handed out, of %s", b->ptr);
		free(a);
		free(k);
	}
	free(e);
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
