/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image references and size quantities: what a user typing --image or
 * --storage sees accepted, refused, and told.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mech/error.h"
#include "mech/image.h"
#include "mech/quantity.h"

#define HEX64 "3f2a9c1d0e4b5a6978877665544332211ffeeddccbbaa0099887766554433221"

static void expect_image(const char *ref, const char *repo, const char *tag, const char *digest)
{
	mech_image img = MECH_IMAGE_INIT;
	int rc = mech_image_parse(ref, &img);
	cr_assert_eq(rc, 0, "%s: %s", ref, rc ? mech_error_last()->message : "");
	cr_assert_str_eq(img.repository, repo, "%s", ref);
	if (tag)
		cr_assert_str_eq(img.tag, tag, "%s", ref);
	else
		cr_assert_null(img.tag, "%s: tag %s", ref, img.tag);
	if (digest)
		cr_assert_str_eq(img.digest, digest, "%s", ref);
	else
		cr_assert_null(img.digest, "%s", ref);
	mech_image_dispose(&img);
}

Test(image, accepts_common_references)
{
	expect_image("nginx", "nginx", NULL, NULL);
	expect_image("nginx:1.27", "nginx", "1.27", NULL);
	expect_image("library/nginx:latest", "library/nginx", "latest", NULL);
	expect_image("docker.io/library/nginx:1.27-alpine", "docker.io/library/nginx",
		     "1.27-alpine", NULL);
	expect_image("registry.example.com:5000/alice/web:3f2a9c1d0e4b",
		     "registry.example.com:5000/alice/web", "3f2a9c1d0e4b", NULL);
	expect_image("ghcr.io/cloudnative-pg/postgresql:17-system-trixie",
		     "ghcr.io/cloudnative-pg/postgresql", "17-system-trixie", NULL);
	expect_image("localhost/web", "localhost/web", NULL, NULL);
	expect_image("localhost:5000/web:v1", "localhost:5000/web", "v1", NULL);
	expect_image("127.0.0.1:5000/team/app", "127.0.0.1:5000/team/app", NULL, NULL);
	expect_image("[::1]:5000/web:1", "[::1]:5000/web", "1", NULL);
	expect_image("Registry.Example.COM/web", "Registry.Example.COM/web", NULL, NULL);
}

Test(image, accepts_separators_tags_and_digests)
{
	expect_image("a/b_c/d__e/f-g/h---i/j.k:TAG_1.0-rc", "a/b_c/d__e/f-g/h---i/j.k",
		     "TAG_1.0-rc", NULL);
	expect_image("web:_private", "web", "_private", NULL);
	expect_image("nginx@sha256:" HEX64, "nginx", NULL, "sha256:" HEX64);
	expect_image("nginx:1.27@sha256:" HEX64, "nginx", "1.27", "sha256:" HEX64);
	expect_image("reg.io:443/a/b@sha512:" HEX64 HEX64, "reg.io:443/a/b", NULL,
		     "sha512:" HEX64 HEX64);
}

Test(image, accepts_the_longest_names)
{
	char repo[256], ref[256 + 1 + 128 + 1];
	memset(repo, 'a', 255);
	repo[255] = '\0';
	snprintf(ref, sizeof(ref), "%s:", repo);
	memset(ref + 256, 'b', 128);
	ref[256 + 128] = '\0';
	expect_image(repo, repo, NULL, NULL);
	expect_image(ref, repo, ref + 256, NULL);
}

Test(image, validate_only_with_null_out)
{
	cr_assert_eq(mech_image_parse("nginx:1", NULL), 0);
	cr_assert_eq(mech_image_parse("Nginx:1", NULL), -1);
}

static void expect_bad(const char *ref, const char *why)
{
	mech_image img = {(char *)"stale", (char *)"stale", (char *)"stale"};
	const mech_error *e;
	cr_assert_eq(mech_image_parse(ref, &img), -1, "accepted bad reference \"%s\"", ref);
	cr_assert_null(img.repository, "%s: out not cleared", ref);
	cr_assert_null(img.tag);
	cr_assert_null(img.digest);
	e = mech_error_last();
	cr_assert_not_null(e);
	cr_assert_eq(e->code, MECH_EINVALID, "%s", ref);
	cr_assert_eq(mech_error_exit(e->code), 65);
	cr_assert(strstr(e->message, "invalid image reference \"") == e->message, "%s", e->message);
	cr_assert(strstr(e->message, why), "%s: message \"%s\" lacks \"%s\"", ref, e->message, why);
	/* one line, whatever the input contained */
	cr_assert_null(strchr(e->message, '\n'), "%s", e->message);
}

Test(image, refuses_bad_references)
{
	char long_repo[300], long_tag[200];
	memset(long_repo, 'a', 256);
	long_repo[256] = '\0';
	snprintf(long_tag, sizeof(long_tag), "nginx:%0129d", 0);

	expect_bad("", "empty");
	expect_bad("Nginx:1", "repository must be lower case");
	expect_bad("alice/Web", "lower case");
	expect_bad("docker.io/Library/nginx", "lower case");
	expect_bad("nginx:1 ", "a space");
	expect_bad("ngi nx", "a space");
	expect_bad("a..b", "separator \"..\"");
	expect_bad("a___b", "separator \"___\"");
	expect_bad("a._b", "separator \"._\"");
	expect_bad("-nginx", "must start with a letter or digit");
	expect_bad("nginx-", "must end with a letter or digit");
	expect_bad("alice/_web", "must start with a letter or digit");
	expect_bad("nginx:", "tag after ':' is empty");
	expect_bad("nginx:-x", "tag must start");
	expect_bad("nginx:.x", "tag must start");
	expect_bad(long_tag, "at most 128");
	expect_bad(long_repo, "at most 255");
	expect_bad("nginx@sha256:abc", "exactly 64");
	expect_bad("nginx@sha256:3F2A9C1D0E4B5A6978877665544332211FFEEDDCCBBAA009988776655443322"
		   "1",
		   "lower-case hex");
	expect_bad("nginx@md5:d41d8cd98f00b204e9800998ecf8427e", "sha256");
	expect_bad("nginx@", "sha256");
	expect_bad("nginx@sha256:" HEX64 "@sha256:" HEX64, "hex");
	expect_bad("nginx;rm -rf /", "';'");
	expect_bad("nginx$(id)", "'$'");
	expect_bad("nginx`id`", "'`'");
	expect_bad("nginx|cat", "'|'");
	expect_bad("nginx&&true", "'&'");
	expect_bad("nginx>out", "'>'");
	expect_bad("nginx\nx", "\\x0a");
	expect_bad("ngi\tnx", "\\x09");
	expect_bad("\xef\xbd\x8eginx", "\\xef");
	expect_bad("a//b", "empty path component");
	expect_bad("/nginx", "empty path component");
	expect_bad("nginx/", "empty path component");
	expect_bad("nginx:1:2", "':' may only appear");
	expect_bad("nginx:tag/x", "registry \"nginx:tag\"");
	expect_bad(":latest", "repository name is missing");
	expect_bad("@sha256:" HEX64, "repository name is missing");
	expect_bad("registry.example.com:0/x", "registry \"registry.example.com:0\"");
	expect_bad("registry.example.com:99999/x", "HOST[:PORT]");
	expect_bad("registry.example.com:5x/x", "HOST[:PORT]");
	expect_bad("-registry.io/x", "HOST[:PORT]");
	expect_bad("registry..io/x", "HOST[:PORT]");
	expect_bad("registry.io:5000/", "repository path after the registry is empty");
	expect_bad("[zz]:5000/x", "HOST[:PORT]");
}

Test(image, message_escapes_and_bounds_the_value)
{
	char huge[2000];
	const mech_error *e;
	memset(huge, 'A', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	cr_assert_eq(mech_image_parse(huge, NULL), -1);
	e = mech_error_last();
	cr_assert_lt(strlen(e->message), 300, "message not bounded: %zu", strlen(e->message));
	cr_assert(strstr(e->message, "..."));

	cr_assert_eq(mech_image_parse("x\"y", NULL), -1);
	cr_assert(strstr(mech_error_last()->message, "\"x\\\"y\""), "%s",
		  mech_error_last()->message);
	cr_assert_not_null(mech_error_last()->hint);
}

Test(image, format_joins_parts)
{
	char *s = mech_image_format("nginx", "1.27", NULL);
	cr_assert_str_eq(s, "nginx:1.27");
	free(s);
	s = mech_image_format("reg.io:5000/a/b", "v1", "sha256:" HEX64);
	cr_assert_str_eq(s, "reg.io:5000/a/b:v1@sha256:" HEX64);
	free(s);
	s = mech_image_format("nginx", "", "");
	cr_assert_str_eq(s, "nginx");
	free(s);
	cr_assert_null(mech_image_format(NULL, "x", NULL));
	cr_assert_null(mech_image_format("", "x", NULL));
}

Test(image, parse_then_format_round_trips)
{
	static const char *const refs[] = {
		"nginx",
		"nginx:1.27",
		"reg.io:5000/a/b:v1@sha256:" HEX64,
		"a/b@sha256:" HEX64,
		"localhost:5000/web",
	};
	size_t i;
	for (i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		mech_image img = MECH_IMAGE_INIT;
		char *s;
		cr_assert_eq(mech_image_parse(refs[i], &img), 0, "%s", refs[i]);
		s = mech_image_format(img.repository, img.tag, img.digest);
		cr_assert_str_eq(s, refs[i]);
		free(s);
		mech_image_dispose(&img);
		mech_image_dispose(&img); /* twice is harmless */
	}
}

/* ---- quantities ---- */

static void expect_size(const char *s, unsigned long long want)
{
	unsigned long long got = 12345;
	int rc = mech_quantity_parse(s, &got);
	cr_assert_eq(rc, 0, "%s: %s", s, rc ? mech_error_last()->message : "");
	cr_assert_eq(got, want, "%s: got %llu, want %llu", s, got, want);
}

Test(quantity, accepts_binary_decimal_and_plain)
{
	expect_size("0", 0);
	expect_size("1", 1);
	expect_size("1000", 1000);
	expect_size("1Ki", 1024);
	expect_size("512Mi", 512ULL << 20);
	expect_size("1Gi", 1ULL << 30);
	expect_size("10Gi", 10ULL << 30);
	expect_size("2Ti", 2ULL << 40);
	expect_size("1Pi", 1ULL << 50);
	expect_size("15Ei", 15ULL << 60);
	expect_size("1k", 1000);
	expect_size("5M", 5000000);
	expect_size("1G", 1000000000ULL);
	expect_size("3T", 3000000000000ULL);
	expect_size("007Mi", 7ULL << 20);
	expect_size("18446744073709551615", 18446744073709551615ULL);
}

Test(quantity, accepts_fractions_that_are_whole_bytes)
{
	expect_size("1.5Gi", 3ULL << 29);
	expect_size("0.5Ki", 512);
	expect_size("2.5k", 2500);
	expect_size("1.50Gi", 3ULL << 29);
	expect_size("0.25Mi", 1ULL << 18);
	expect_size("1.0", 1);
	expect_size("1.000000000000000000000Gi", 1ULL << 30);
}

static void expect_bad_size(const char *s, const char *why)
{
	unsigned long long got = 777;
	const mech_error *e;
	cr_assert_eq(mech_quantity_parse(s, &got), -1, "accepted \"%s\" as %llu", s, got);
	cr_assert_eq(got, 777, "%s: output written on failure", s);
	e = mech_error_last();
	cr_assert_eq(e->code, MECH_EINVALID);
	cr_assert(strstr(e->message, "invalid size \""), "%s", e->message);
	cr_assert(strstr(e->message, why), "%s: \"%s\" lacks \"%s\"", s, e->message, why);
	cr_assert(strstr(e->message, "Ki, Mi, Gi, Ti"), "%s", e->message);
	cr_assert_null(strchr(e->message, '\n'));
}

Test(quantity, refuses_what_is_not_a_size)
{
	expect_bad_size("", "empty");
	expect_bad_size("-1Gi", "negative");
	expect_bad_size("+1Gi", "sign");
	expect_bad_size("1.5", "whole number of bytes");
	expect_bad_size("0.3Ki", "whole number of bytes");
	expect_bad_size("1.0000000000000000001Gi", "decimal places");
	expect_bad_size("1.Gi", "digits after");
	expect_bad_size(".5Gi", "start with a digit");
	expect_bad_size("Gi", "start with a digit");
	expect_bad_size("abc", "start with a digit");
	expect_bad_size("1GB", "unknown suffix");
	expect_bad_size("1gi", "unknown suffix");
	expect_bad_size("1K", "'k'");
	expect_bad_size("1 Gi", "unknown suffix");
	expect_bad_size(" 1Gi", "start with a digit");
	expect_bad_size("1Gi ", "unknown suffix");
	expect_bad_size("1e3", "exponent");
	expect_bad_size("500m", "thousandths");
	expect_bad_size("1..5Gi", "digits after");
	expect_bad_size("16Ei", "too large");
	expect_bad_size("18446744073709551616", "too large");
	expect_bad_size("99999999999999999999Ki", "too large");
	expect_bad_size("1Gi\n2", "\\x0a");
	expect_bad_size("1Gi;reboot", "unknown suffix");
}

Test(quantity, refuses_overlong_input)
{
	char s[100];
	memset(s, '1', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	expect_bad_size(s, "too long");
}

Test(quantity, format_picks_exact_binary_suffix)
{
	static const struct {
		unsigned long long v;
		const char *want;
	} cases[] = {
		{0, "0"},
		{1000, "1000"},
		{1024, "1Ki"},
		{1536, "1536"},
		{512ULL << 20, "512Mi"},
		{1ULL << 30, "1Gi"},
		{3ULL << 29, "1536Mi"},
		{5ULL << 40, "5Ti"},
	};
	size_t i;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s = mech_quantity_format(cases[i].v);
		unsigned long long back;
		cr_assert_str_eq(s, cases[i].want);
		cr_assert_eq(mech_quantity_parse(s, &back), 0);
		cr_assert_eq(back, cases[i].v);
		free(s);
	}
}
