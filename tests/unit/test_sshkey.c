/* SPDX-License-Identifier: Apache-2.0 */
#include "mech/buf.h"
#include "mech/error.h"
#include "mech/sshkey.h"

#include <criterion/criterion.h>

#include "corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Keys come from the real ssh-keygen and fingerprints are checked against
 * `ssh-keygen -lf`: that is what an operator compares by eye.
 */

static char tmpdir[] = "/tmp/mech-test-sshkey-XXXXXX";

static void remove_tmpdir(void)
{
	char *cmd = mech_sprintf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	free(cmd);
}

/*
 * Criterion skips .fini when a test fails or is skipped, so the temp
 * directory is removed when the test's process exits instead.
 */
static void setup(void)
{
	cr_assert_not_null(mkdtemp(tmpdir));
	atexit(remove_tmpdir);
}

TestSuite(sshkey, .init = setup);

static char *path_in(const char *name)
{
	return mech_sprintf("%s/%s", tmpdir, name);
}

static void run(const char *cmd)
{
	cr_assert_eq(system(cmd), 0, "failed: %s", cmd);
}

/* Generate `name` (+ name.pub) with ssh-keygen; returns the .pub path. */
static char *keygen(const char *name, const char *args, const char *comment)
{
	char *key = path_in(name);
	char *cmd = mech_sprintf("ssh-keygen -q %s -N '' -C '%s' -f '%s' </dev/null", args, comment,
				 key);
	char *pub = mech_sprintf("%s.pub", key);
	run(cmd);
	free(cmd);
	free(key);
	return pub;
}

/* The fingerprint `ssh-keygen -lf` prints for a public key file. */
static char *keygen_fingerprint(const char *pub)
{
	char *cmd = mech_sprintf("ssh-keygen -lf '%s'", pub);
	char line[4096], *fp;
	FILE *f = popen(cmd, "r");
	int bits;
	cr_assert_not_null(f);
	cr_assert_not_null(fgets(line, sizeof(line), f), "no output from %s", cmd);
	cr_assert_eq(pclose(f), 0, "%s failed", cmd);
	fp = calloc(1, sizeof(line));
	cr_assert_eq(sscanf(line, "%d %4095s", &bits, fp), 2, "unexpected: %s", line);
	free(cmd);
	return fp;
}

static char *read_text(const char *path)
{
	mech_buf b = MECH_BUF_INIT;
	cr_assert_eq(mech_buf_read_file(&b, path, 0), 0);
	return mech_buf_detach(&b);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

/* The n-th space-separated field of a one-line file. */
static char *field(const char *text, int n)
{
	const char *p = text;
	size_t len;
	while (n-- > 0) {
		p = strchr(p, ' ');
		cr_assert_not_null(p);
		p++;
	}
	len = strcspn(p, " \n");
	return mech_strndup(p, len);
}

static void check_generated(const char *name, const char *args, const char *type)
{
	char *pub = keygen(name, args, "alice@example.com");
	char *want_fp = keygen_fingerprint(pub);
	char *text = read_text(pub), *b64 = field(text, 1);
	mech_sshkey key = MECH_SSHKEY_INIT, parts = MECH_SSHKEY_INIT;

	cr_assert_eq(mech_sshkey_read_file(pub, &key), 0, "%s: %s", pub, mech_error_last()->message);
	cr_assert_str_eq(key.type, type);
	cr_assert_str_eq(key.base64, b64);
	cr_assert_str_eq(key.comment, "alice@example.com");
	cr_assert_str_eq(key.fingerprint, want_fp, "%s: mech %s, ssh-keygen %s", type,
			 key.fingerprint, want_fp);

	/* What sshd passes to AuthorizedKeysCommand as %t %k gives the same key. */
	cr_assert_eq(mech_sshkey_parse_parts(type, b64, &parts), 0, "%s",
		     mech_error_last()->message);
	cr_assert_str_eq(parts.fingerprint, want_fp);
	cr_assert_str_eq(parts.comment, "");

	mech_sshkey_dispose(&key);
	mech_sshkey_dispose(&parts);
	free(b64);
	free(text);
	free(want_fp);
	free(pub);
}

Test(sshkey, ed25519_matches_ssh_keygen)
{
	check_generated("ed", "-t ed25519", "ssh-ed25519");
}

Test(sshkey, rsa_matches_ssh_keygen)
{
	check_generated("rsa2048", "-t rsa -b 2048", "ssh-rsa");
	check_generated("rsa1024", "-t rsa -b 1024", "ssh-rsa");
}

Test(sshkey, ecdsa_matches_ssh_keygen)
{
	check_generated("ec256", "-t ecdsa -b 256", "ecdsa-sha2-nistp256");
	check_generated("ec384", "-t ecdsa -b 384", "ecdsa-sha2-nistp384");
	check_generated("ec521", "-t ecdsa -b 521", "ecdsa-sha2-nistp521");
}

/* ---- building blobs by hand for what ssh-keygen cannot make here ---- */

static void put_string(mech_buf *b, const void *s, size_t n)
{
	unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
				(unsigned char)(n >> 8), (unsigned char)n};
	mech_buf_put(b, len, 4);
	mech_buf_put(b, s, n);
}

static void put_cstring(mech_buf *b, const char *s)
{
	put_string(b, s, strlen(s));
}

/* base64 itself is checked against RFC 4648's vectors in test_buf.c */
static char *b64(const mech_buf *blob)
{
	return mech_base64(blob->ptr, blob->len);
}

static mech_buf unb64(const char *text)
{
	mech_buf b = MECH_BUF_INIT;
	cr_assert_eq(mech_unbase64(text, strlen(text), &b), MECH_BASE64_OK);
	return b;
}

/* A file with `type blob comment` checked against ssh-keygen -lf. */
static void check_handmade(const char *type, const mech_buf *blob)
{
	char *text = b64(blob), *line = mech_sprintf("%s %s fido@example.com\n", type, text);
	char *pub = path_in("handmade.pub"), *want;
	mech_sshkey key = MECH_SSHKEY_INIT;

	write_text(pub, line);
	want = keygen_fingerprint(pub);
	cr_assert_eq(mech_sshkey_read_file(pub, &key), 0, "%s: %s", type,
		     mech_error_last()->message);
	cr_assert_str_eq(key.type, type);
	cr_assert_str_eq(key.fingerprint, want);
	mech_sshkey_dispose(&key);
	free(want);
	free(pub);
	free(line);
	free(text);
}

Test(sshkey, security_keys_match_ssh_keygen)
{
	mech_buf blob = MECH_BUF_INIT, ec;
	char *pub = keygen("ec", "-t ecdsa -b 256", "x"), *text = read_text(pub);
	char *ec64 = field(text, 1);
	unsigned char pk[32];

	memset(pk, 0x42, sizeof(pk));
	put_cstring(&blob, "sk-ssh-ed25519@openssh.com");
	put_string(&blob, pk, sizeof(pk));
	put_cstring(&blob, "ssh:");
	check_handmade("sk-ssh-ed25519@openssh.com", &blob);

	/* Reuse a real P-256 point so the curve check passes. */
	ec = unb64(ec64);
	mech_buf_clear(&blob);
	put_cstring(&blob, "sk-ecdsa-sha2-nistp256@openssh.com");
	mech_buf_put(&blob, ec.ptr + 4 + 19, ec.len - 4 - 19); /* curve + point */
	put_cstring(&blob, "ssh:");
	check_handmade("sk-ecdsa-sha2-nistp256@openssh.com", &blob);

	mech_buf_dispose(&ec);
	mech_buf_dispose(&blob);
	free(ec64);
	free(text);
	free(pub);
}

/* ---- lines ---- */

static char *ed25519_line(void)
{
	char *pub = keygen("line", "-t ed25519", "bob@example.com");
	char *text = read_text(pub);
	free(pub);
	text[strcspn(text, "\n")] = '\0';
	return text;
}

static void invalid(const char *line, const char *needle)
{
	mech_sshkey key = MECH_SSHKEY_INIT;
	const mech_error *e;
	const char *p;

	cr_assert_eq(mech_sshkey_parse_line(line, &key), -1, "accepted: %s", line);
	cr_assert_null(key.type);
	cr_assert_null(key.fingerprint);
	e = mech_error_last();
	cr_assert_eq(mech_error_exit(e->code), 65, "exit for %s", line);
	cr_assert_not_null(strstr(e->message, needle), "message for [%.80s] lacks [%s]: %s", line,
			   needle, e->message);
	for (p = e->message; *p; p++)
		cr_assert((unsigned char)*p >= 0x20 && *p != 0x7f, "control byte in: %s",
			  e->message);
}

Test(sshkey, line_forms)
{
	char *line = ed25519_line(), *b = field(line, 1), *l;
	mech_sshkey key = MECH_SSHKEY_INIT;

	l = mech_sprintf("  ssh-ed25519\t%s   two words  \r\n", b);
	cr_assert_eq(mech_sshkey_parse_line(l, &key), 0, "%s", mech_error_last()->message);
	cr_assert_str_eq(key.comment, "two words");
	mech_sshkey_dispose(&key);
	free(l);

	l = mech_sprintf("ssh-ed25519 %s", b);
	cr_assert_eq(mech_sshkey_parse_line(l, &key), 0);
	cr_assert_str_eq(key.comment, "");
	mech_sshkey_dispose(&key);
	mech_sshkey_dispose(&key); /* twice is harmless */
	mech_sshkey_dispose(NULL);
	free(l);
	free(b);
	free(line);
}

Test(sshkey, hostile_lines_are_refused)
{
	char *line = ed25519_line(), *b = field(line, 1), *l;
	mech_buf blob = unb64(b);
	char *bad;
	size_t n = strlen(b);

	invalid("", "no public key");
	invalid("   ", "no public key");
	invalid("# ssh-ed25519 AAAA", "no public key");
	invalid(NULL, "no public key");
	invalid("ssh-ed25519", "missing");

	l = mech_sprintf("ssh-dss %s", b);
	invalid(l, "unsupported key type `ssh-dss`");
	free(l);
	l = mech_sprintf("ssh-ed25519-cert-v01@openssh.com %s", b);
	invalid(l, "certificates");
	free(l);
	l = mech_sprintf("command=\"/bin/sh\" %s", line);
	invalid(l, "options");
	free(l);
	l = mech_sprintf("restrict %s", line);
	invalid(l, "options");
	free(l);
	invalid("-----BEGIN PUBLIC KEY-----", "PEM");
	invalid("---- BEGIN SSH2 PUBLIC KEY ----", "RFC 4716");

	/* The declared type must be the key's own. */
	l = mech_sprintf("ssh-rsa %s", b);
	invalid(l, "says ssh-rsa but the key data is ssh-ed25519");
	free(l);

	/* Base64: missing padding, foreign characters, non-canonical bits. */
	l = mech_sprintf("ssh-ed25519 %.*s", (int)(n - 1), b);
	invalid(l, "base64");
	free(l);
	l = mech_sprintf("ssh-ed25519 *%s", b + 1);
	invalid(l, "base64");
	free(l);
	{
		/* Sets a padding bit of an otherwise valid encoding ("…x==" → "…y=="). */
		static const char alphabet[] =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		mech_buf longer = MECH_BUF_INIT;
		size_t m;
		mech_buf_put(&longer, blob.ptr, blob.len);
		mech_buf_putc(&longer, 'x');
		bad = b64(&longer);
		m = strlen(bad);
		cr_assert_eq(bad[m - 1], '=');
		bad[m - 3] = alphabet[(strchr(alphabet, bad[m - 3]) - alphabet) ^ 1];
		l = mech_sprintf("ssh-ed25519 %s", bad);
		invalid(l, "canonical");
		free(l);
		free(bad);
		mech_buf_dispose(&longer);
	}

	/* Truncated and padded blobs. */
	blob.len--;
	bad = b64(&blob);
	l = mech_sprintf("ssh-ed25519 %s", bad);
	invalid(l, "32 bytes");
	free(l);
	free(bad);
	blob.len++;
	mech_buf_putc(&blob, 'x');
	bad = b64(&blob);
	l = mech_sprintf("ssh-ed25519 %s", bad);
	invalid(l, "trailing bytes");
	free(l);
	free(bad);
	invalid("ssh-ed25519 AAAA", "truncated");
	invalid("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", "");

	/* Comments: no control characters, valid UTF-8, bounded. */
	l = mech_sprintf("ssh-ed25519 %s alice\x1b[31m", b);
	invalid(l, "control character");
	free(l);
	l = mech_sprintf("ssh-ed25519 %s alice\nssh-ed25519 %s", b, b);
	invalid(l, "control character");
	free(l);
	l = mech_sprintf("ssh-ed25519 %s caf\xe9", b);
	invalid(l, "invalid UTF-8");
	free(l);

	mech_buf_dispose(&blob);
	free(b);
	free(line);
}

Test(sshkey, key_data_inside_blob_is_checked)
{
	char *pub = keygen("ec", "-t ecdsa -b 256", "x"), *text = read_text(pub);
	char *e64 = field(text, 1), *l, *bad;
	mech_buf blob = unb64(e64), rsa = MECH_BUF_INIT;
	unsigned char n[64], e[3] = {1, 0, 1};

	/* An ECDSA point moved off its curve. */
	blob.ptr[blob.len - 1] ^= 1;
	bad = b64(&blob);
	l = mech_sprintf("ecdsa-sha2-nistp256 %s", bad);
	invalid(l, "not on its curve");
	free(l);
	free(bad);

	/* Curve name that contradicts the type. */
	l = mech_sprintf("ecdsa-sha2-nistp384 %s", e64);
	invalid(l, "says ecdsa-sha2-nistp384 but the key data is ecdsa-sha2-nistp256");
	free(l);

	/* A 512-bit RSA key, which sshd would refuse too. */
	memset(n, 0xc5, sizeof(n));
	put_cstring(&rsa, "ssh-rsa");
	put_string(&rsa, e, sizeof(e));
	mech_buf_putc(&rsa, 0); /* n as mpint: leading 0 keeps it positive */
	mech_buf_putc(&rsa, 0);
	mech_buf_putc(&rsa, 0);
	mech_buf_putc(&rsa, sizeof(n) + 1);
	mech_buf_putc(&rsa, 0);
	mech_buf_put(&rsa, n, sizeof(n));
	bad = b64(&rsa);
	l = mech_sprintf("ssh-rsa %s", bad);
	invalid(l, "512 bits");
	free(l);
	free(bad);

	mech_buf_dispose(&rsa);
	mech_buf_dispose(&blob);
	free(e64);
	free(text);
	free(pub);
}

Test(sshkey, limits)
{
	char *huge = calloc(1, MECH_SSHKEY_MAX_LINE + 10), *line = ed25519_line(), *l;
	char comment[1100];

	memset(huge, 'A', MECH_SSHKEY_MAX_LINE + 5);
	memcpy(huge, "ssh-ed25519 ", 12);
	invalid(huge, "longer than");
	memset(comment, 'c', sizeof(comment) - 1);
	comment[sizeof(comment) - 1] = '\0';
	l = mech_sprintf("%s %s", line, comment);
	invalid(l, "comment is longer");
	free(l);
	free(line);
	free(huge);
}

Test(sshkey, parts_are_checked)
{
	mech_sshkey key = MECH_SSHKEY_INIT;
	char *line = ed25519_line(), *b = field(line, 1);

	cr_assert_eq(mech_sshkey_parse_parts("ssh-ed25519", NULL, &key), -1);
	cr_assert_eq(mech_sshkey_parse_parts(NULL, b, &key), -1);
	cr_assert_eq(mech_sshkey_parse_parts("", b, &key), -1);
	cr_assert_eq(mech_sshkey_parse_parts("ssh-ed25519\n", b, &key), -1);
	cr_assert_str_eq(mech_error_last()->message, "unsupported key type `ssh-ed25519\\x0a`");
	cr_assert_eq(mech_sshkey_parse_parts("ssh-ed25519-cert-v01@openssh.com", b, &key), -1);
	cr_assert_eq(mech_sshkey_parse_parts("ssh-rsa", b, &key), -1);
	{
		char *spaced = mech_sprintf("%s ", b);
		cr_assert_eq(mech_sshkey_parse_parts("ssh-ed25519", spaced, &key), -1);
		free(spaced);
	}
	cr_assert_null(key.type);
	free(b);
	free(line);
}

/* ---- files ---- */

Test(sshkey, files)
{
	char *line = ed25519_line(), *f = path_in("k.pub");
	mech_sshkey key = MECH_SSHKEY_INIT;
	char *text, *priv;
	const mech_error *e;

	text = mech_sprintf("# alice's laptop\n\n%s\r\n\n", line);
	write_text(f, text);
	cr_assert_eq(mech_sshkey_read_file(f, &key), 0, "%s", mech_error_last()->message);
	mech_sshkey_dispose(&key);
	free(text);

	text = mech_sprintf("%s\n%s\n", line, line);
	write_text(f, text);
	cr_assert_eq(mech_sshkey_read_file(f, &key), -1);
	cr_assert_not_null(strstr(mech_error_last()->message, "more than one key (lines 1 and 2)"));
	free(text);

	write_text(f, "\n# nothing\n");
	cr_assert_eq(mech_sshkey_read_file(f, &key), -1);
	cr_assert_not_null(strstr(mech_error_last()->message, "holds no public key"));

	write_text(f, "\nssh-ed25519 AAAA\n");
	cr_assert_eq(mech_sshkey_read_file(f, &key), -1);
	e = mech_error_last();
	cr_assert_eq(mech_error_exit(e->code), 65);
	cr_assert_not_null(strstr(e->message, "k.pub line 2: "), "%s", e->message);
	cr_assert_not_null(e->hint);

	cr_assert_eq(mech_sshkey_read_file("/nonexistent/k.pub", &key), -1);
	cr_assert_not_null(strstr(mech_error_last()->message, "/nonexistent/k.pub"));

	/* A private key is refused without echoing any of it. */
	priv = path_in("line");
	cr_assert_eq(mech_sshkey_read_file(priv, &key), -1);
	e = mech_error_last();
	cr_assert_not_null(strstr(e->message, "is a private key"), "%s", e->message);
	cr_assert_null(strstr(e->message, "BEGIN"));
	cr_assert_null(strstr(e->message, "b3Blbn")); /* base64 of "openssh-key-v1" */
	cr_assert_null(key.type);
	free(priv);

	/* Binary and oversized files. */
	{
		FILE *fp = fopen(f, "w");
		fwrite("ssh-ed25519\0AAAA", 1, 16, fp);
		fclose(fp);
		cr_assert_eq(mech_sshkey_read_file(f, &key), -1);
		cr_assert_not_null(strstr(mech_error_last()->message, "not a text file"));
		fp = fopen(f, "w");
		for (int i = 0; i < MECH_SSHKEY_MAX_FILE / 8 + 1; i++)
			fputs("#######\n", fp);
		fclose(fp);
		cr_assert_eq(mech_sshkey_read_file(f, &key), -1);
		cr_assert_not_null(strstr(mech_error_last()->message, "larger than"));
	}
	free(f);
	free(line);
}

/* ---- authorized_keys lines ---- */

Test(sshkey, authorized_and_guest_lines)
{
	char *line = ed25519_line(), *b = field(line, 1), *want, *got;
	mech_sshkey key = MECH_SSHKEY_INIT;

	cr_assert_eq(mech_sshkey_parse_line(line, &key), 0);
	got = mech_sshkey_authorized_line("/usr/bin/mech", "/var/lib/mech", "alice", &key);
	want = mech_sprintf("command=\"/usr/bin/mech --home /var/lib/mech ssh --tenant alice "
			    "--key %s\",restrict,pty ssh-ed25519 %s",
			    key.fingerprint, b);
	cr_assert_str_eq(got, want);
	/* The key's comment (user data) never reaches the line. */
	cr_assert_null(strstr(got, "bob@example.com"));
	free(got);
	free(want);

	got = mech_sshkey_guest_line("/usr/bin/mech", "/var/lib/mech", &key);
	want = mech_sprintf("command=\"/usr/bin/mech --home /var/lib/mech ssh --guest %s\","
			    "restrict ssh-ed25519 %s",
			    key.fingerprint, b);
	cr_assert_str_eq(got, want);
	free(got);
	free(want);

	/* Values the login shell would interpret are single-quoted. */
	got = mech_sshkey_authorized_line("/opt/my mech/bin/mech", "/srv/$x;y", "a-1", &key);
	want = mech_sprintf("command=\"'/opt/my mech/bin/mech' --home '/srv/$x;y' ssh --tenant "
			    "a-1 --key %s\",restrict,pty ssh-ed25519 %s",
			    key.fingerprint, b);
	cr_assert_str_eq(got, want);
	free(got);
	free(want);

	mech_sshkey_dispose(&key);
	free(b);
	free(line);
}

static void line_refused(const char *mech_path, const char *home, const char *tenant,
			 const mech_sshkey *key, const char *needle)
{
	char *got = tenant ? mech_sshkey_authorized_line(mech_path, home, tenant, key)
			   : mech_sshkey_guest_line(mech_path, home, key);
	cr_assert_null(got, "accepted: %s", got);
	cr_assert_eq(mech_error_exit(mech_error_last()->code), 65);
	cr_assert_not_null(strstr(mech_error_last()->message, needle), "%s",
			   mech_error_last()->message);
}

Test(sshkey, line_values_are_validated)
{
	char *line = ed25519_line();
	mech_sshkey key = MECH_SSHKEY_INIT, forged;

	cr_assert_eq(mech_sshkey_parse_line(line, &key), 0);
	line_refused("mech", "/var/lib/mech", "alice", &key, "absolute");
	line_refused("/usr/bin/mech", "var/lib/mech", "alice", &key, "absolute");
	line_refused("/usr/bin/mech", NULL, "alice", &key, "absolute");
	line_refused("/usr/bin/mech\"", "/h", "alice", &key, "`\"`");
	line_refused("/usr/bin/mech", "/h\\", "alice", &key, "`\\`");
	line_refused("/usr/bin/mech", "/h'", "alice", &key, "`'`");
	line_refused("/usr/bin/mech", "/h\nssh-ed25519 AAAA", "alice", &key, "printable ASCII");
	line_refused("/usr/bin/mech", "/h\xc3\xa9", "alice", &key, "printable ASCII");
	line_refused("/usr/bin/mech", "/h", "Alice", &key, "DNS label");
	line_refused("/usr/bin/mech", "/h", "-x", &key, "DNS label");
	line_refused("/usr/bin/mech", "/h", "a b", &key, "DNS label");
	line_refused("/usr/bin/mech", "/h", "a\",command=\"x", &key, "DNS label");
	line_refused("/usr/bin/mech", "/h", "", &key, "DNS label");
	line_refused("/usr/bin/mech", "/h", "alice", NULL, "no key");
	line_refused("/usr/bin/mech", "/h", NULL, NULL, "no key");

	/* A hand-made key struct is re-validated, not trusted. */
	forged = key;
	forged.base64 = "AAAA\nssh-ed25519 AAAA";
	line_refused("/usr/bin/mech", "/h", "alice", &forged, "base64");
	forged = key;
	forged.type = "ssh-ed25519 AAAA";
	line_refused("/usr/bin/mech", "/h", NULL, &forged, "unsupported");
	forged = key;
	forged.fingerprint = "SHA256:x\" && evil";
	{
		char *got = mech_sshkey_guest_line("/usr/bin/mech", "/h", &forged);
		cr_assert_not_null(got);
		cr_assert_null(strstr(got, "evil"));
		cr_assert_not_null(strstr(got, key.fingerprint));
		free(got);
	}
	mech_sshkey_dispose(&key);
	free(line);
}

/*
 * The command sshd would run, run the way sshd runs it (`sh -c`): the
 * arguments must come out exactly as intended, whatever the paths hold.
 */
Test(sshkey, login_shell_sees_the_intended_words)
{
	char *dir = path_in("we ird$x;(y)`id`~#"), *script, *line = ed25519_line(), *got, *cmd;
	char *home = mech_sprintf("%s/home *?[a] $(id) & |", tmpdir), *end, out[4096];
	mech_sshkey key = MECH_SSHKEY_INIT;
	FILE *f;
	size_t n;

	cr_assert_eq(mkdir(dir, 0755), 0);
	script = mech_sprintf("%s/args", dir);
	write_text(script, "#!/bin/sh\nfor a in \"$@\"; do printf '<%s>\\n' \"$a\"; done\n");
	cr_assert_eq(chmod(script, 0755), 0);
	cr_assert_eq(mech_sshkey_parse_line(line, &key), 0);
	got = mech_sshkey_authorized_line(script, home, "alice", &key);
	cr_assert_not_null(got, "%s", mech_error_last()->message);

	/* Take the text between command=" and the closing ", as sshd does. */
	cr_assert_eq(strncmp(got, "command=\"", 9), 0);
	end = strchr(got + 9, '"');
	cr_assert_not_null(end);
	*end = '\0';
	cmd = mech_sprintf("/bin/sh -c \"$MECH_TEST_CMD\"");
	setenv("MECH_TEST_CMD", got + 9, 1);
	f = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	cr_assert_eq(pclose(f), 0);
	{
		char *want =
			mech_sprintf("<--home>\n<%s>\n<ssh>\n<--tenant>\n<alice>\n<--key>\n<%s>\n",
				     home, key.fingerprint);
		cr_assert_str_eq(out, want);
		free(want);
	}
	free(cmd);
	free(got);
	mech_sshkey_dispose(&key);
	free(line);
	free(home);
	free(script);
	free(dir);
}

/* The --key of a forced command: exactly what ssh-keygen -lf prints, nothing else. */
Test(sshkey, fingerprint_check_is_strict)
{
	char *line = ed25519_line();
	mech_sshkey key = MECH_SSHKEY_INIT;
	static const char *const bad[] = {
		"",
		"SHA256:",
		"MD5:11:22:33",
		"sha256:tz/5IfqcJAJEGhirFK2Aohs45wvoJ6WD+5C9vBmGHXE",
		"SHA256:tz/5IfqcJAJEGhirFK2Aohs45wvoJ6WD+5C9vBmGHX",   /* 42 */
		"SHA256:tz/5IfqcJAJEGhirFK2Aohs45wvoJ6WD+5C9vBmGHXEA", /* 44 */
		"SHA256:tz/5IfqcJAJEGhirFK2Aohs45wvoJ6WD+5C9vBmGHX=",  /* padding */
		"SHA256:tz/5IfqcJAJEGhirFK2Aohs45wvoJ6WD+5C9vBmGH;E",  /* not base64 */
		"SHA256:tz/5IfqcJAJEGhirFK2Aohs45wvoJ6WD+5C9vBmGH E",
		"SHA256:tz_5IfqcJAJEGhirFK2Aohs45wvoJ6WD-5C9vBmGHXE", /* base64url */
		"SHA256:tz/5IfqcJAJEGhirFK2Aohs45wvoJ6WD+5C9vBmGHXF", /* low bits set */
	};
	size_t i;

	cr_assert_eq(mech_sshkey_parse_line(line, &key), 0);
	cr_assert_eq(mech_sshkey_check_fingerprint("--key", key.fingerprint), 0);
	cr_assert_eq(mech_sshkey_check_fingerprint("--key",
						   "SHA256:tz/5IfqcJAJEGhirFK2Aohs45wvoJ6WD+5C9vBmGHXE"),
		     0);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		cr_assert_eq(mech_sshkey_check_fingerprint("--key", bad[i]), -1, "%s", bad[i]);
		cr_assert_eq(mech_error_last()->code, MECH_EINVALID);
		cr_assert_not_null(strstr(mech_error_last()->message, "--key"));
	}
	cr_assert_eq(mech_sshkey_check_fingerprint("--key", NULL), -1);
	mech_sshkey_dispose(&key);
	free(line);
}

/* Replays the fuzz seed corpus: nothing in it may crash or leak. */
static void replay_sshkey(const char *path, const char *data, size_t len, void *ctx)
{
	mech_sshkey key = MECH_SSHKEY_INIT;
	int *keys = ctx;
	(void)len;
	if (mech_sshkey_parse_line(data, &key) == 0) {
		char *l = mech_sshkey_authorized_line("/usr/bin/mech", "/var/lib/mech", "alice",
						      &key);
		cr_assert_not_null(l, "%s", path);
		free(l);
		(*keys)++;
	}
	mech_sshkey_dispose(&key);
}

Test(sshkey, fuzz_corpus_replays)
{
	int keys = 0;
	cr_assert_geq(test_each_file("tests/fuzz/corpus/sshkey", NULL, replay_sshkey, &keys), 10);
	cr_assert_geq(keys, 5);
}
