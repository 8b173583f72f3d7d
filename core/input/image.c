/* SPDX-License-Identifier: Apache-2.0 */
#include "mech/image.h"

#include "mech/buf.h"
#include "mech/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* distribution/reference: NameTotalLengthMax; tags are at most 128 characters. */
#define REPOSITORY_MAX 255
#define TAG_MAX 128
/* The longest reference the grammar can produce: repository ":" tag "@sha512:" hex. */
#define REFERENCE_MAX (REPOSITORY_MAX + 1 + TAG_MAX + 1 + 7 + 128)

static int is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int invalid(const char *ref, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int invalid(const char *ref, const char *fmt, ...)
{
	va_list ap;
	mech_buf why = MECH_BUF_INIT;
	char value[MECH_ESCAPE_SIZE];
	va_start(ap, fmt);
	mech_buf_vprintf(&why, fmt, ap);
	va_end(ap);
	mech_error_set(MECH_EINVALID, "invalid image reference \"%s\": %s",
		       mech_error_escape(value, ref), mech_buf_cstr(&why));
	mech_error_hint("use REPOSITORY[:TAG][@sha256:DIGEST], e.g. nginx:1.27 or "
			"registry.example.com/team/web:1.0");
	mech_buf_dispose(&why);
	return -1;
}

/* Name one offending character for a message: 'x', a space, or \xNN. */
static void describe_char(char c, char *out, size_t size)
{
	unsigned char u = (unsigned char)c;
	if (c == ' ')
		snprintf(out, size, "a space");
	else if (u < 0x20 || u >= 0x7f)
		snprintf(out, size, "byte \\x%02x", u);
	else
		snprintf(out, size, "'%c'", c);
}

static int check_charset(const char *ref, size_t len)
{
	static const char allowed[] = "._-/:@[]";
	char what[32];
	size_t i;
	for (i = 0; i < len; i++) {
		char c = ref[i];
		if (is_alnum(c) || (c && strchr(allowed, c)))
			continue;
		describe_char(c, what, sizeof(what));
		return invalid(ref,
			       "contains %s at position %zu; only letters, digits and . _ - / : @ "
			       "are allowed",
			       what, i + 1);
	}
	return 0;
}

static int check_digest(const char *ref, const char *d)
{
	const char *hex;
	size_t want, i;
	if (!strncmp(d, "sha256:", 7))
		want = 64, hex = d + 7;
	else if (!strncmp(d, "sha512:", 7))
		want = 128, hex = d + 7;
	else
		return invalid(ref, "digest must start with sha256: (or sha512:)");
	for (i = 0; hex[i]; i++) {
		if (!is_hex(hex[i]) || (hex[i] >= 'A' && hex[i] <= 'F'))
			return invalid(ref, "digest must be %zu lower-case hex digits after %.7s",
				       want, d);
	}
	if (i != want)
		return invalid(ref, "digest has %zu hex digits after %.7s; it needs exactly %zu", i,
			       d, want);
	return 0;
}

static int check_tag(const char *ref, const char *tag, size_t len)
{
	size_t i;
	if (len == 0)
		return invalid(ref, "tag after ':' is empty");
	if (len > TAG_MAX)
		return invalid(ref, "tag is %zu characters; at most %d are allowed", len, TAG_MAX);
	if (!is_alnum(tag[0]) && tag[0] != '_')
		return invalid(ref, "tag must start with a letter, digit or '_'");
	for (i = 1; i < len; i++) {
		char c = tag[i];
		if (!is_alnum(c) && c != '_' && c != '.' && c != '-')
			return invalid(ref,
				       "tag may only contain letters, digits, '_', '.' and '-'");
	}
	return 0;
}

/* One path component: lower-case alnum runs joined by ".", "_", "__" or dashes. */
static int check_component(const char *ref, const char *s, size_t len)
{
	char *part;
	size_t i = 0;
	int rc = 0;
	if (len == 0)
		return invalid(ref, "repository has an empty path component "
				    "(leading, trailing or double '/')");
	for (i = 0; i < len; i++) {
		if (s[i] >= 'A' && s[i] <= 'Z')
			return invalid(ref, "repository must be lower case");
		if (s[i] == ':' || s[i] == '[' || s[i] == ']' || s[i] == '@')
			return invalid(ref,
				       "'%c' may only appear in the registry host or "
				       "before the tag",
				       s[i]);
	}
	part = mech_strndup(s, len);
	if (!is_lower_alnum(s[0]))
		rc = invalid(ref, "path component \"%s\" must start with a letter or digit", part);
	else if (!is_lower_alnum(s[len - 1]))
		rc = invalid(ref, "path component \"%s\" must end with a letter or digit", part);
	for (i = 0; rc == 0 && i < len;) {
		size_t start = i, n;
		if (is_lower_alnum(s[i])) {
			i++;
			continue;
		}
		while (i < len && !is_lower_alnum(s[i]))
			i++;
		n = i - start;
		if (n == 1 && (s[start] == '.' || s[start] == '_' || s[start] == '-'))
			continue;
		if (n == 2 && s[start] == '_' && s[start + 1] == '_')
			continue;
		if (strspn(s + start, "-") >= n)
			continue;
		rc = invalid(ref,
			     "path component \"%s\" has the separator \"%.*s\"; use one '.', "
			     "one or two '_', or dashes between letters and digits",
			     part, (int)n, s + start);
	}
	free(part);
	return rc;
}

/* host[:port]: DNS-style labels of any case, or a bracketed IPv6 address. */
static int check_domain(const char *ref, const char *s, size_t len)
{
	char *dom = mech_strndup(s, len);
	const char *host_end, *p;
	size_t i;
	int rc = 0;
	if (dom[0] == '[') {
		const char *close = strchr(dom, ']');
		if (!close || close == dom + 1)
			goto bad;
		for (p = dom + 1; p < close; p++)
			if (!is_hex(*p) && *p != ':')
				goto bad;
		host_end = close + 1;
	} else {
		host_end = strchr(dom, ':');
		if (!host_end)
			host_end = dom + len;
		/* labels: alnum at both ends, dashes only inside */
		for (p = dom; p < host_end;) {
			const char *end = p;
			while (end < host_end && *end != '.')
				end++;
			if (end == p || !is_alnum(p[0]) || !is_alnum(end[-1]))
				goto bad;
			for (i = 0; p + i < end; i++)
				if (!is_alnum(p[i]) && p[i] != '-')
					goto bad;
			p = end < host_end ? end + 1 : end;
			if (end < host_end && p == host_end)
				goto bad; /* trailing dot */
		}
	}
	if (*host_end == ':') {
		unsigned long port = 0;
		for (p = host_end + 1; *p; p++) {
			if (!is_digit(*p) || p - host_end > 5)
				goto bad;
			port = port * 10 + (unsigned long)(*p - '0');
		}
		if (p == host_end + 1 || port == 0 || port > 65535)
			goto bad;
	} else if (*host_end) {
		goto bad;
	}
	goto done;
bad : {
	char value[MECH_ESCAPE_SIZE];
	rc = invalid(ref,
		     "registry \"%s\" is not a valid HOST[:PORT] (letters, digits, '-' "
		     "and '.', port 1-65535)",
		     mech_error_escape_n(value, dom, len));
}
done:
	free(dom);
	return rc;
}

/* The first component names a registry, as docker decides (splitDockerDomain). */
static int looks_like_domain(const char *s, size_t len)
{
	size_t i;
	if (len == 9 && !strncmp(s, "localhost", 9))
		return 1;
	for (i = 0; i < len; i++)
		if (s[i] == '.' || s[i] == ':' || s[i] == '[' || (s[i] >= 'A' && s[i] <= 'Z'))
			return 1;
	return 0;
}

static int check_repository(const char *ref, const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	const char *slash = memchr(s, '/', len);
	if (len == 0)
		return invalid(ref, "repository name is missing before the tag or digest");
	if (len > REPOSITORY_MAX)
		return invalid(ref, "repository is %zu characters; at most %d are allowed", len,
			       REPOSITORY_MAX);
	if (slash && looks_like_domain(s, (size_t)(slash - s))) {
		if (check_domain(ref, s, (size_t)(slash - s)) < 0)
			return -1;
		p = slash + 1;
		if (p == end)
			return invalid(ref, "repository path after the registry is empty");
	}
	for (;;) {
		const char *next = memchr(p, '/', (size_t)(end - p));
		const char *cend = next ? next : end;
		if (check_component(ref, p, (size_t)(cend - p)) < 0)
			return -1;
		if (!next)
			return 0;
		p = next + 1;
	}
}

int mech_image_parse(const char *ref, mech_image *out)
{
	const char *at, *name_end, *colon, *last_slash, *p;
	size_t len;
	if (out)
		memset(out, 0, sizeof(*out));
	if (!ref || !*ref)
		return invalid("", "it is empty; name an image such as nginx:1.27");
	len = strlen(ref);
	if (len > REFERENCE_MAX)
		return invalid(ref, "it is %zu characters; a reference is at most %d", len,
			       REFERENCE_MAX);
	if (check_charset(ref, len) < 0)
		return -1;

	at = strchr(ref, '@');
	if (at && check_digest(ref, at + 1) < 0)
		return -1;
	name_end = at ? at : ref + len;

	/* A ':' after the last '/' starts the tag; before it, it is a registry port. */
	colon = last_slash = NULL;
	for (p = ref; p < name_end; p++) {
		if (*p == '/')
			last_slash = p;
		else if (*p == ':')
			colon = p;
	}
	if (colon && last_slash && colon < last_slash)
		colon = NULL;
	if (colon && check_tag(ref, colon + 1, (size_t)(name_end - colon - 1)) < 0)
		return -1;
	if (check_repository(ref, ref, (size_t)((colon ? colon : name_end) - ref)) < 0)
		return -1;

	if (out) {
		out->repository = mech_strndup(ref, (size_t)((colon ? colon : name_end) - ref));
		out->tag = colon ? mech_strndup(colon + 1, (size_t)(name_end - colon - 1)) : NULL;
		out->digest = at ? mech_strdup(at + 1) : NULL;
	}
	return 0;
}

void mech_image_dispose(mech_image *img)
{
	if (!img)
		return;
	free(img->repository);
	free(img->tag);
	free(img->digest);
	img->repository = img->tag = img->digest = NULL;
}

char *mech_image_format(const char *repository, const char *tag, const char *digest)
{
	int has_tag = tag && *tag, has_digest = digest && *digest;
	if (!repository || !*repository)
		return NULL;
	return mech_sprintf("%s%s%s%s%s", repository, has_tag ? ":" : "", has_tag ? tag : "",
			    has_digest ? "@" : "", has_digest ? digest : "");
}
