/*
 * base64 as SSH keys, fingerprints and signatures use it: RFC 4648's test
 * vectors both ways, and every second spelling of a value refused.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "mech/buf.h"

/* RFC 4648 §10 */
static const char *const vectors[][2] = {
	{"", ""},
	{"f", "Zg=="},
	{"fo", "Zm8="},
	{"foo", "Zm9v"},
	{"foob", "Zm9vYg=="},
	{"fooba", "Zm9vYmE="},
	{"foobar", "Zm9vYmFy"},
};

Test(base64, rfc4648_vectors_encode)
{
	size_t i;
	for (i = 0; i < sizeof(vectors) / sizeof(*vectors); i++) {
		char *enc = mech_base64(vectors[i][0], strlen(vectors[i][0]));
		cr_expect_str_eq(enc, vectors[i][1], "encoding \"%s\"", vectors[i][0]);
		free(enc);
	}
}

Test(base64, rfc4648_vectors_decode)
{
	size_t i;
	for (i = 1; i < sizeof(vectors) / sizeof(*vectors); i++) {
		mech_buf b = MECH_BUF_INIT;
		cr_expect_eq(mech_unbase64(vectors[i][1], strlen(vectors[i][1]), &b), MECH_BASE64_OK,
			     "%s", vectors[i][1]);
		cr_expect_eq(b.len, strlen(vectors[i][0]), "%s", vectors[i][1]);
		cr_expect(b.len == 0 || !memcmp(b.ptr, vectors[i][0], b.len), "%s", vectors[i][1]);
		mech_buf_dispose(&b);
	}
}

Test(base64, every_byte_round_trips)
{
	unsigned char all[256];
	mech_buf b = MECH_BUF_INIT;
	char *enc;
	size_t i;
	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)(255 - i);
	enc = mech_base64(all, sizeof(all));
	cr_assert_eq(strlen(enc), 344);
	cr_assert_eq(mech_unbase64(enc, strlen(enc), &b), MECH_BASE64_OK);
	cr_assert_eq(b.len, sizeof(all));
	cr_assert(!memcmp(b.ptr, all, sizeof(all)));
	mech_buf_dispose(&b);
	free(enc);
}

static mech_base64_status decode(const char *s)
{
	mech_buf b = MECH_BUF_INIT;
	mech_base64_status st = mech_unbase64(s, strlen(s), &b);
	mech_buf_dispose(&b);
	return st;
}

Test(base64, refuses_what_is_not_one_canonical_spelling)
{
	cr_expect_eq(decode(""), MECH_BASE64_UNPADDED);
	cr_expect_eq(decode("Zg"), MECH_BASE64_UNPADDED, "padding left out");
	cr_expect_eq(decode("Zm9vY"), MECH_BASE64_UNPADDED);
	cr_expect_eq(decode("Zm9v\nYmFy"), MECH_BASE64_UNPADDED, "a line break makes it 9 long");
	cr_expect_eq(decode("Zm9-"), MECH_BASE64_ALPHABET, "URL-safe alphabet");
	cr_expect_eq(decode("Zm 9"), MECH_BASE64_ALPHABET);
	cr_expect_eq(decode("Zh=="), MECH_BASE64_NONCANONICAL, "padding bits set (Zg== is 'f')");
	cr_expect_eq(decode("Zm9="), MECH_BASE64_NONCANONICAL, "padding bits set (Zm8= is 'fo')");
	cr_expect_eq(decode("Z=g="), MECH_BASE64_NONCANONICAL, "'=' inside");
	cr_expect_eq(decode("===="), MECH_BASE64_NONCANONICAL);
}
