/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shell/jsonw.c against cJSON_PrintUnformatted: the same values, written
 * straight and built as a cJSON tree, print byte for byte alike (`app list
 * --json` writes its result so, and must print as it did when it built one).
 * Strings hold every byte but NUL, UTF-8 valid and not; numbers the ints an
 * app's port and replicas are.
 */
#include <criterion/criterion.h>

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static unsigned rnd(unsigned n)
{
	/* xorshift64*: the same values on every run and machine */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

static void random_string(char *s, size_t max)
{
	static const char *const pieces[] =
		{"\"",   "\\",   "\b",   "\f",       "\n",           "\r",   "\t",
		 "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x80\xa8", "\xff", "\xf0\x9f\x98\x80",
		 "/",    "a"};
	size_t len = 0, n = rnd(12);
	while (n--) {
		const char *p;
		char one[2] = {(char)(1 + rnd(255)), 0};
		p = rnd(2) ? pieces[rnd(sizeof(pieces) / sizeof(*pieces))] : one;
		if (len + strlen(p) + 1 > max)
			break;
		memcpy(s + len, p, strlen(p));
		len += strlen(p);
	}
	s[len] = '\0';
}

/* One random value, written to `w` and added to `into` (key NULL: an array's element). */
static void random_value(sh_jw *w, cJSON *into, const char *key, int depth)
{
	char s[64];
	int k = rnd(depth > 4 ? 5 : 7), i, n;
	cJSON *v = NULL;
	switch (k) {
	case 0:
		random_string(s, sizeof(s));
		sh_jw_string(w, key, s);
		v = cJSON_CreateString(s);
		break;
	case 1: {
		static const int ints[] = {0, 1, -1, 8080, INT_MAX, INT_MIN, 65535};
		int x = rnd(2) ? ints[rnd(7)] : (int)rnd(100000) - 50000;
		sh_jw_int(w, key, x);
		v = cJSON_CreateNumber(x);
		break;
	}
	case 2:
		n = rnd(2);
		sh_jw_bool(w, key, n);
		v = cJSON_CreateBool(n);
		break;
	case 3:
		sh_jw_null(w, key);
		v = cJSON_CreateNull();
		break;
	case 4:
		/* NULL adds nothing, in both */
		sh_jw_string(w, key, NULL);
		if (key)
			cJSON_AddStringToObject(into, key, NULL);
		return;
	case 5:
	case 6:
		n = rnd(5);
		v = k == 5 ? cJSON_CreateObject() : cJSON_CreateArray();
		if (k == 5)
			sh_jw_object(w, key);
		else
			sh_jw_array(w, key);
		for (i = 0; i < n; i++) {
			char name[64];
			random_string(name, sizeof(name));
			random_value(w, v, k == 5 ? name : NULL, depth + 1);
		}
		sh_jw_end(w);
		break;
	}
	if (key)
		cJSON_AddItemToObject(into, key, v);
	else
		cJSON_AddItemToArray(into, v);
}

Test(jsonw, prints_as_cjson_prints)
{
	int i;
	for (i = 0; i < 5000; i++) {
		mech_buf b = MECH_BUF_INIT;
		cJSON *top = cJSON_CreateArray(), *back;
		sh_jw w;
		char *want, *again;
		sh_jw_init(&w, &b);
		sh_jw_array(&w, NULL);
		random_value(&w, top, NULL, 0);
		sh_jw_end(&w);
		cr_assert_eq(w.depth, 0);
		want = cJSON_PrintUnformatted(top);
		cr_assert_str_eq(mech_buf_cstr(&b), want);
		/* and reads back as the same tree (sh_jw_tree) */
		back = sh_jw_tree(&b);
		again = cJSON_PrintUnformatted(back);
		cr_assert_str_eq(again, want);
		free(again);
		cJSON_Delete(back);
		free(want);
		cJSON_Delete(top);
		mech_buf_dispose(&b);
	}
}

Test(jsonw, every_byte_escaped_as_cjson_escapes_it)
{
	char s[256];
	mech_buf b = MECH_BUF_INIT;
	sh_jw w;
	cJSON *o = cJSON_CreateObject();
	char *want;
	int c;
	for (c = 1; c < 256; c++)
		s[c - 1] = (char)c;
	s[255] = '\0';
	sh_jw_init(&w, &b);
	sh_jw_object(&w, NULL);
	sh_jw_string(&w, s, s);
	sh_jw_end(&w);
	cJSON_AddStringToObject(o, s, s);
	want = cJSON_PrintUnformatted(o);
	cr_expect_str_eq(mech_buf_cstr(&b), want);
	free(want);
	cJSON_Delete(o);
	mech_buf_dispose(&b);
}
