/* SPDX-License-Identifier: Apache-2.0 */
#include "mech/sshkey.h"
#include "mech/buf.h"
#include "mech/error.h"
#include "mech/sshcmd.h"

#include <nettle/bignum.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <nettle/sha2.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Public keys in OpenSSH's wire format (RFC 4253 §6.6, RFC 5656 §3.1,
 * RFC 8709, PROTOCOL.u2f): a sequence of length-prefixed strings and
 * mpints, the first one repeating the key type. One table row per
 * accepted type says how the rest of the blob must look.
 */

enum kind { KIND_ED25519, KIND_RSA, KIND_ECDSA };

static const struct key_type {
	const char *name;
	enum kind kind;
	const char *curve;                    /* ECDSA: curve name inside the blob */
	const struct ecc_curve *(*ecc)(void); /* ECDSA: nettle's curve */
	size_t point_len; /* Ed25519 public key / ECDSA uncompressed point length */
	int sk;           /* FIDO key: an application string follows */
} key_types[] = {
	{"ssh-ed25519", KIND_ED25519, NULL, NULL, 32, 0},
	{"ssh-rsa", KIND_RSA, NULL, NULL, 0, 0},
	{"ecdsa-sha2-nistp256", KIND_ECDSA, "nistp256", nettle_get_secp_256r1, 65, 0},
	{"ecdsa-sha2-nistp384", KIND_ECDSA, "nistp384", nettle_get_secp_384r1, 97, 0},
	{"ecdsa-sha2-nistp521", KIND_ECDSA, "nistp521", nettle_get_secp_521r1, 133, 0},
	{"sk-ssh-ed25519@openssh.com", KIND_ED25519, NULL, NULL, 32, 1},
	{"sk-ecdsa-sha2-nistp256@openssh.com", KIND_ECDSA, "nistp256", nettle_get_secp_256r1, 65, 1},
};

/* sshd's defaults: RequiredRSASize 1024, and OpenSSL's 16384-bit ceiling. */
#define RSA_MIN_BITS 1024
#define RSA_MAX_BITS 16384
/* An RSA-16384 key is ~2.8 KB of base64; anything far larger is not a key. */
#define MAX_BASE64 8192
#define MAX_COMMENT 1024
#define MAX_APPLICATION 1024
#define MAX_PATH_VALUE 4096

static const struct key_type *find_type(const char *name, size_t len)
{
	size_t i;
	for (i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (strlen(key_types[i].name) == len && !memcmp(key_types[i].name, name, len))
			return &key_types[i];
	return NULL;
}

static int malformed(const char *why)
{
	mech_error_set(MECH_EINVALID, "the public key is malformed: %s", why);
	return mech_error_hint("copy the whole line of the .pub file that ssh-keygen wrote");
}

/* ---- base64, strictly: padded, canonical, nothing but the alphabet ---- */

static int decode_base64(const char *s, size_t len, unsigned char **out, size_t *outlen)
{
	mech_buf d = MECH_BUF_INIT;

	if (len > MAX_BASE64)
		return malformed("the key data is far longer than any key");
	switch (mech_unbase64(s, len, &d)) {
	case MECH_BASE64_OK:
		break;
	case MECH_BASE64_UNPADDED:
		mech_buf_dispose(&d);
		return malformed("the key data is not padded base64");
	case MECH_BASE64_ALPHABET:
		mech_buf_dispose(&d);
		return malformed("the key data contains a character that is not base64");
	case MECH_BASE64_NONCANONICAL:
		/* stray '=' or padding bits set: a second spelling of the same key */
		mech_buf_dispose(&d);
		return malformed("the key data is not canonical base64");
	case MECH_BASE64_TOO_LARGE: /* d has no ceiling; MAX_BASE64 bounds it */
		mech_buf_dispose(&d);
		return malformed("the key data is far longer than any key");
	}
	*outlen = d.len;
	*out = (unsigned char *)mech_buf_detach(&d);
	return 0;
}

/* ---- the blob ---- */

typedef struct {
	const unsigned char *p;
	size_t len;
} reader;

static int read_string(reader *r, const unsigned char **s, size_t *n)
{
	uint32_t l;
	if (r->len < 4)
		return -1;
	l = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
	if (l > r->len - 4)
		return -1;
	*s = r->p + 4;
	*n = l;
	r->p += 4 + (size_t)l;
	r->len -= 4 + (size_t)l;
	return 0;
}

static int check_rsa(reader *r)
{
	const unsigned char *e, *n;
	size_t elen, nlen, bits;
	unsigned char top;

	if (read_string(r, &e, &elen) < 0 || read_string(r, &n, &nlen) < 0)
		return malformed("the RSA key is truncated");
	if ((elen && (e[0] & 0x80)) || (nlen && (n[0] & 0x80)))
		return malformed("the RSA key has a negative number");
	while (elen && !*e)
		e++, elen--;
	while (nlen && !*n)
		n++, nlen--;
	if (!elen)
		return malformed("the RSA exponent is zero");
	for (bits = nlen * 8, top = nlen ? n[0] : 0; nlen && !(top & 0x80); top <<= 1)
		bits--;
	if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
		mech_error_set(MECH_EINVALID,
			       "the RSA key has %zu bits; mech (like sshd) accepts %d to %d bits",
			       bits, RSA_MIN_BITS, RSA_MAX_BITS);
		return mech_error_hint("generate a new key: ssh-keygen -t ed25519");
	}
	return 0;
}

/* An uncompressed point (0x04 || X || Y) that lies on the curve. */
static int point_on_curve(const struct ecc_curve *ecc, const unsigned char *q, size_t len)
{
	struct ecc_point pt;
	mpz_t x, y;
	size_t half = (len - 1) / 2;
	int ok;

	if (len < 3 || q[0] != 0x04 || (len - 1) % 2)
		return 0;
	mpz_init(x);
	mpz_init(y);
	nettle_mpz_set_str_256_u(x, half, q + 1);
	nettle_mpz_set_str_256_u(y, half, q + 1 + half);
	ecc_point_init(&pt, ecc);
	ok = ecc_point_set(&pt, x, y); /* 0 unless 0 <= x, y < p and y² = x³ + ax + b */
	ecc_point_clear(&pt);
	mpz_clear(x);
	mpz_clear(y);
	return ok;
}

static int check_blob(const struct key_type *t, const unsigned char *blob, size_t len)
{
	reader r = {blob, len};
	const unsigned char *s;
	size_t n;

	if (read_string(&r, &s, &n) < 0)
		return malformed("the key data is truncated");
	if (n != strlen(t->name) || memcmp(s, t->name, n) != 0) {
		const struct key_type *inner = find_type((const char *)s, n);
		mech_error_set(MECH_EINVALID, "the key line says %s but the key data is %s",
			       t->name, inner ? inner->name : "of another or unknown type");
		return mech_error_hint("copy the whole line of the .pub file unchanged");
	}
	switch (t->kind) {
	case KIND_RSA:
		if (check_rsa(&r) < 0)
			return -1;
		break;
	case KIND_ED25519:
		if (read_string(&r, &s, &n) < 0 || n != t->point_len)
			return malformed("the Ed25519 public key is not 32 bytes");
		break;
	case KIND_ECDSA:
		if (read_string(&r, &s, &n) < 0 || n != strlen(t->curve) ||
		    memcmp(s, t->curve, n) != 0)
			return malformed("the ECDSA curve does not match the key type");
		if (read_string(&r, &s, &n) < 0 || n != t->point_len || s[0] != 0x04)
			return malformed("the ECDSA point has the wrong size or encoding");
		if (!point_on_curve(t->ecc(), s, n))
			return malformed("the ECDSA point is not on its curve");
		break;
	}
	if (t->sk &&
	    (read_string(&r, &s, &n) < 0 || n == 0 || n > MAX_APPLICATION || memchr(s, 0, n)))
		return malformed("the security-key application string is missing or invalid");
	if (r.len != 0)
		return malformed("the key data has trailing bytes");
	return 0;
}

char *mech_sshkey_fingerprint(const void *blob, size_t len)
{
	struct sha256_ctx h;
	unsigned char md[SHA256_DIGEST_SIZE];
	char *b64, *fp;
	size_t n;

	sha256_init(&h);
	sha256_update(&h, len, blob);
	sha256_digest(&h, sizeof(md), md);
	b64 = mech_base64(md, sizeof(md));
	n = strlen(b64);
	while (n && b64[n - 1] == '=') /* ssh-keygen prints it unpadded */
		n--;
	fp = mech_sprintf("SHA256:%.*s", (int)n, b64);
	free(b64);
	return fp;
}

/* Fill `out` from a validated type and base64 text; `comment` may be NULL. */
static int parse_key(const char *type, size_t tlen, const char *b64, size_t blen,
		     const char *comment, size_t clen, mech_sshkey *out)
{
	const struct key_type *t = find_type(type, tlen);
	unsigned char *blob = NULL;
	size_t len = 0;
	char q[MECH_ESCAPE_SIZE], *fp;

	memset(out, 0, sizeof(*out));
	if (!t) {
		mech_error_set(MECH_EINVALID, "unsupported key type `%s`",
			       mech_error_escape_n(q, type, tlen));
		return mech_error_hint("mech accepts " MECH_SSHKEY_TYPES);
	}
	if (decode_base64(b64, blen, &blob, &len) < 0)
		return -1;
	if (check_blob(t, blob, len) < 0 || !(fp = mech_sshkey_fingerprint(blob, len))) {
		free(blob);
		return -1;
	}
	free(blob);
	out->type = mech_strdup(t->name);
	out->base64 = mech_strndup(b64, blen);
	out->comment = mech_strndup(comment ? comment : "", comment ? clen : 0);
	out->fingerprint = fp;
	return 0;
}

int mech_sshkey_parse_parts(const char *type, const char *b64, mech_sshkey *out)
{
	memset(out, 0, sizeof(*out));
	if (!type || !b64 || !*type || !*b64) {
		mech_error_set(MECH_EINVALID, "a key type and key data are both required");
		return mech_error_hint("sshd passes them as %%t %%k to the AuthorizedKeysCommand");
	}
	return parse_key(type, strnlen(type, 128), b64, strnlen(b64, MAX_BASE64 + 1), NULL, 0, out);
}

/* ---- lines and files ---- */

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Only text: valid UTF-8 and no control characters apart from tabs. */
static int check_text(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		uint32_t c;
		size_t n = mech_sshcmd_decode_utf8(s + i, len - i, &c);
		if (n == 0 || (c != '\t' && (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f)))) {
			mech_error_set(MECH_EINVALID, "the key line has %s at byte %zu",
				       n ? "a control character" : "invalid UTF-8", i + 1);
			return mech_error_hint(
				"give one line of a .pub file, as ssh-keygen wrote it");
		}
		i += n;
	}
	return 0;
}

/* The first word is not a key type: say what the line probably is. */
static int explain_first_word(const char *word, size_t wlen, const char *rest)
{
	const char *tail = "-cert-v01@openssh.com";
	size_t tl = strlen(tail);
	char q[MECH_ESCAPE_SIZE];

	if (wlen >= 4 && !strncmp(word, "----", 4)) {
		mech_error_set(MECH_EINVALID, "this is a PEM or RFC 4716 key, not an OpenSSH "
					      "public key line");
		return mech_error_hint("convert it with `ssh-keygen -i -f FILE`");
	}
	if (wlen > tl && !memcmp(word + wlen - tl, tail, tl)) {
		mech_error_set(MECH_EINVALID, "certificates (%s) are not accepted",
			       mech_error_escape_n(q, word, wlen));
		return mech_error_hint("register the plain public key the certificate was issued "
				       "for");
	}
	if (memchr(word, '=', wlen) || memchr(word, '"', wlen) || memchr(word, ',', wlen) ||
	    strstr(rest, "ssh-") || strstr(rest, "ecdsa-")) {
		mech_error_set(MECH_EINVALID, "the key line starts with options (`%s`)",
			       mech_error_escape_n(q, word, wlen));
		return mech_error_hint("give a bare public key `type base64 [comment]`; mech writes "
				       "the options itself");
	}
	mech_error_set(MECH_EINVALID, "unsupported key type `%s`",
		       mech_error_escape_n(q, word, wlen));
	return mech_error_hint("mech accepts " MECH_SSHKEY_TYPES);
}

int mech_sshkey_parse_line(const char *line, mech_sshkey *out)
{
	const char *p, *end, *type, *b64, *comment;
	size_t len, tlen, blen;

	memset(out, 0, sizeof(*out));
	if (!line)
		line = "";
	len = strnlen(line, MECH_SSHKEY_MAX_LINE + 1);
	if (len > MECH_SSHKEY_MAX_LINE)
		return mech_error_set(MECH_EINVALID, "the key line is longer than %d bytes",
				      MECH_SSHKEY_MAX_LINE);
	p = line;
	end = line + len;
	while (end > p && (is_blank(end[-1]) || end[-1] == '\n' || end[-1] == '\r'))
		end--;
	while (p < end && is_blank(*p))
		p++;
	if (check_text(p, (size_t)(end - p)) < 0)
		return -1;
	if (p == end || *p == '#') {
		mech_error_set(MECH_EINVALID, "no public key on the line");
		return mech_error_hint("give one line of a .pub file: `type base64 [comment]`");
	}

	type = p;
	while (p < end && !is_blank(*p))
		p++;
	tlen = (size_t)(p - type);
	while (p < end && is_blank(*p))
		p++;
	b64 = p;
	while (p < end && !is_blank(*p))
		p++;
	blen = (size_t)(p - b64);
	while (p < end && is_blank(*p))
		p++;
	comment = p;

	if (!find_type(type, tlen)) {
		char *rest = mech_strndup(b64, (size_t)(end - b64));
		explain_first_word(type, tlen, rest);
		free(rest);
		return -1;
	}
	if (blen == 0)
		return malformed("the key data after the type is missing");
	if ((size_t)(end - comment) > MAX_COMMENT)
		return mech_error_set(MECH_EINVALID, "the key comment is longer than %d bytes",
				      MAX_COMMENT);
	return parse_key(type, tlen, b64, blen, comment, (size_t)(end - comment), out);
}

/* Prefix the last error's message with where it happened, keeping code and hint. */
static int in_file(const char *path, size_t lineno)
{
	const mech_error *e = mech_error_last();
	mech_error_code code = e ? e->code : MECH_EINVALID;
	char *msg = mech_sprintf("%s line %zu: %s", path, lineno, e ? e->message : "invalid");
	char *hint = e && e->hint ? mech_strdup(e->hint) : NULL;

	mech_error_set(code, "%s", msg);
	if (hint)
		mech_error_hint("%s", hint);
	free(msg);
	free(hint);
	return -1;
}

int mech_sshkey_read_file(const char *path, mech_sshkey *out)
{
	/* the file may turn out to be a private key given by mistake: wiped when freed */
	mech_buf b = MECH_BUF_SECRET_INIT;
	mech_sshkey key = MECH_SSHKEY_INIT;
	size_t lineno = 0, key_line = 0;
	char *line, *next;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (mech_buf_read_file(&b, path, MECH_SSHKEY_MAX_FILE) < 0)
		goto done;
	if (memchr(b.ptr, '\0', b.len)) {
		mech_error_set(MECH_EINVALID, "%s is not a text file", path);
		mech_error_hint("give the public key file (.pub) that ssh-keygen wrote");
		goto done;
	}
	if (strstr(b.ptr, "PRIVATE KEY-----") || strstr(b.ptr, "PuTTY-User-Key-File")) {
		/* Say nothing about the contents: they are a secret. */
		mech_error_set(MECH_EINVALID, "%s is a private key", path);
		mech_error_hint("give the public key instead (usually the same name + .pub); "
				"never copy a private key to the server");
		goto done;
	}
	for (line = b.ptr; line; line = next) {
		const char *p;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		for (p = line; is_blank(*p) || *p == '\r'; p++)
			;
		if (!*p || *p == '#')
			continue;
		if (key_line) {
			mech_error_set(MECH_EINVALID,
				       "%s holds more than one key (lines %zu and %zu)", path,
				       key_line, lineno);
			mech_error_hint("give one key per file (repeat --key for several keys)");
			goto done;
		}
		if (mech_sshkey_parse_line(line, &key) < 0) {
			in_file(path, lineno);
			goto done;
		}
		key_line = lineno;
	}
	if (!key_line) {
		mech_error_set(MECH_EINVALID, "%s holds no public key", path);
		mech_error_hint("give the public key file (.pub) that ssh-keygen wrote");
		goto done;
	}
	*out = key;
	memset(&key, 0, sizeof(key));
	rc = 0;
done:
	mech_sshkey_dispose(&key);
	mech_buf_dispose(&b);
	return rc;
}

void mech_sshkey_dispose(mech_sshkey *key)
{
	if (!key)
		return;
	free(key->type);
	free(key->base64);
	free(key->comment);
	free(key->fingerprint);
	memset(key, 0, sizeof(*key));
}

/* ---- authorized_keys lines ---- */

/*
 * sshd hands the text between command="…" to the login shell as `sh -c`.
 * Inside those double quotes sshd's only escape is \" — so no value may
 * contain " or \, and without \ a ' cannot be quoted for sh either. The
 * remaining printable ASCII is safe inside '…'.
 */
static int check_path_value(const char *what, const char *v)
{
	size_t i;

	if (!v || v[0] != '/') {
		mech_error_set(MECH_EINVALID, "%s must be an absolute path", what);
		return mech_error_hint("sshd runs the command from the account's home directory");
	}
	for (i = 0; v[i]; i++) {
		unsigned char c = (unsigned char)v[i];
		if (i >= MAX_PATH_VALUE)
			return mech_error_set(MECH_EINVALID, "%s is longer than %d bytes", what,
					      MAX_PATH_VALUE);
		if (c < 0x20 || c >= 0x7f) {
			mech_error_set(MECH_EINVALID,
				       "%s has a byte (0x%02x) that is not printable ASCII", what,
				       c);
			return mech_error_hint("install mech and its home under plain ASCII paths");
		}
		if (c == '"' || c == '\\' || c == '\'') {
			mech_error_set(MECH_EINVALID,
				       "%s contains `%c`, which cannot be written safely into an "
				       "authorized_keys command",
				       what, c);
			return mech_error_hint("install mech and its home under paths without "
					       "quotes or backslashes");
		}
	}
	return 0;
}

static int check_tenant(const char *t)
{
	size_t i, n = t ? strlen(t) : 0;

	if (n == 0 || n > 63 || t[0] == '-' || t[n - 1] == '-')
		goto bad;
	for (i = 0; i < n; i++)
		if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') || t[i] == '-'))
			goto bad;
	return 0;
bad:
	mech_error_set(MECH_EINVALID, "tenant name is not a DNS label");
	return mech_error_hint("tenant names are lower-case letters, digits and '-'");
}

int mech_sshkey_check_fingerprint(const char *what, const char *fp)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = fp ? strnlen(fp, 7 + 44) : 0;

	if (n != 7 + 43 || strncmp(fp, "SHA256:", 7) != 0) {
		mech_error_set(MECH_EINVALID,
			       "%s is not a key fingerprint SHA256:<43 base64 characters>", what);
		return mech_error_hint("as `ssh-keygen -lf KEY.pub` prints it");
	}
	if (fp[7 + strspn(fp + 7, b64)] != '\0') {
		mech_error_set(MECH_EINVALID, "%s is not a key fingerprint: not base64", what);
		return mech_error_hint("as `ssh-keygen -lf KEY.pub` prints it");
	}
	/* 43 characters carry 258 bits: the last 2 are 0 in the one spelling of a SHA-256 */
	if ((strchr(b64, fp[7 + 42]) - b64) & 3) {
		mech_error_set(MECH_EINVALID, "%s is not a key fingerprint: not canonical base64",
			       what);
		return mech_error_hint("as `ssh-keygen -lf KEY.pub` prints it");
	}
	return 0;
}

/* Append `v` as one sh word: bare when every byte is inert, else in '…'. */
static void put_word(mech_buf *b, const char *v)
{
	const char *safe =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._+:@%,=-";

	if (v[strspn(v, safe)] == '\0')
		mech_buf_puts(b, v);
	else
		mech_buf_printf(b, "'%s'", v);
}

/*
 * The line for `key` with `role` ("--tenant T" / "--guest FP") and `options`;
 * a tenant's line also names the key (--key FP), for authorship.
 */
static char *key_line(const char *mech_path, const char *home, const char *role_flag,
		      const char *role, const char *options, const mech_sshkey *key)
{
	mech_sshkey k = MECH_SSHKEY_INIT;
	mech_buf b = MECH_BUF_INIT;

	if (!key) {
		mech_error_set(MECH_EINVALID, "no key given");
		return NULL;
	}
	if (check_path_value("the mech binary path", mech_path) < 0 ||
	    check_path_value("mech's home", home) < 0 ||
	    mech_sshkey_parse_parts(key->type, key->base64, &k) < 0)
		return NULL;
	if (!role) /* guest: the fingerprint of the key itself */
		role = k.fingerprint;
	if (mech_sshkey_check_fingerprint("the key's fingerprint", k.fingerprint) < 0) {
		mech_sshkey_dispose(&k);
		return NULL;
	}
	mech_buf_puts(&b, "command=\"");
	put_word(&b, mech_path);
	mech_buf_puts(&b, " --home ");
	put_word(&b, home);
	mech_buf_printf(&b, " ssh %s ", role_flag);
	put_word(&b, role);
	if (strcmp(role_flag, "--guest") != 0) {
		mech_buf_puts(&b, " --key ");
		put_word(&b, k.fingerprint);
	}
	mech_buf_printf(&b, "\",%s %s %s", options, k.type, k.base64);
	mech_sshkey_dispose(&k);
	return mech_buf_detach(&b);
}

char *mech_sshkey_authorized_line(const char *mech_path, const char *home, const char *tenant,
				  const mech_sshkey *key)
{
	if (check_tenant(tenant) < 0)
		return NULL;
	return key_line(mech_path, home, "--tenant", tenant, "restrict,pty", key);
}

char *mech_sshkey_guest_line(const char *mech_path, const char *home, const mech_sshkey *key)
{
	return key_line(mech_path, home, "--guest", NULL, "restrict", key);
}
