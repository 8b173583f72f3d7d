/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SSH signatures for receipts (the SSHSIG format of OpenSSH's
 * PROTOCOL.sshsig, namespace "git", sha512), made and checked with
 * nettle's Ed25519. The private key file is PKCS#8 PEM (RFC 8410), as
 * `openssl genpkey -algorithm ed25519` writes it.
 */
#include "mech/sign.h"
#include "mech/error.h"
#include "mech/random.h"
#include "mech/sshkey.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <nettle/eddsa.h>
#include <nettle/sha2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KEY_FILE "keys/signing_ed25519"
#define NAMESPACE "git"
#define HASH_ALG "sha512"
#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define ARMOR_END "-----END SSH SIGNATURE-----"

static void cache_drop(void);

static void put_u32(mech_buf *b, uint32_t v)
{
	unsigned char c[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 8), (unsigned char)v};
	mech_buf_put(b, c, 4);
}

static void put_string(mech_buf *b, const void *data, size_t len)
{
	put_u32(b, (uint32_t)len);
	mech_buf_put(b, data, len);
}

static void put_cstring(mech_buf *b, const char *s)
{
	put_string(b, s, strlen(s));
}

/* The SSH wire form of an Ed25519 public key. */
static void pub_blob(const unsigned char pub[32], mech_buf *b)
{
	put_cstring(b, "ssh-ed25519");
	put_string(b, pub, 32);
}

static int unb64(const char *s, size_t n, mech_buf *out)
{
	return mech_unbase64(s, n, out) == MECH_BASE64_OK ? 0 : -1;
}

/*
 * RFC 8410's PKCS#8 for an Ed25519 key is fixed bytes and then the 32-byte
 * seed: SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 },
 * OCTET STRING { OCTET STRING seed } }.
 */
static const unsigned char pkcs8_ed25519[16] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
						0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
#define PEM_BEGIN "-----BEGIN PRIVATE KEY-----"
#define PEM_END "-----END PRIVATE KEY-----"

static char *key_path(const char *home, const char *suffix)
{
	return mech_sprintf("%s/" KEY_FILE "%s", home, suffix);
}

int mech_sign_enabled(const char *home)
{
	char *p = key_path(home, "");
	int on = access(p, R_OK) == 0;
	free(p);
	return on;
}

/* The key's seed and public half; -1 with the error set. */
static int load_private(const char *home, unsigned char seed[32], unsigned char pub[32])
{
	char *p = key_path(home, "");
	/* every buffer here holds the private key in one form or another */
	mech_buf pem = MECH_BUF_SECRET_INIT, der = MECH_BUF_SECRET_INIT;
	const char *a, *z;
	int rc = -1;

	if (mech_buf_read_file(&pem, p, 4096) == 0 && (a = strstr(pem.ptr, PEM_BEGIN)) &&
	    (z = strstr(a, PEM_END))) {
		mech_buf body = MECH_BUF_SECRET_INIT;
		for (a += strlen(PEM_BEGIN); a < z; a++)
			if (*a != '\n' && *a != '\r')
				mech_buf_putc(&body, *a);
		if (body.len && unb64(body.ptr, body.len, &der) == 0 && der.len == 48 &&
		    !memcmp(der.ptr, pkcs8_ed25519, sizeof(pkcs8_ed25519))) {
			memcpy(seed, der.ptr + 16, 32);
			ed25519_sha512_public_key(pub, seed);
			rc = 0;
		}
		mech_buf_dispose(&body);
	}
	mech_error_clear();
	if (rc < 0)
		mech_error_set(MECH_ECONFIG,
			       "cannot read the signing key %s (an Ed25519 PKCS#8 PEM file)", p);
	mech_buf_dispose(&der); /* secret buffers: wiped */
	mech_buf_dispose(&pem);
	free(p);
	return rc;
}

static int write_key(const char *home, const char *email)
{
	unsigned char seed[32], pub[32], der[48];
	mech_buf blob = MECH_BUF_INIT, line = MECH_BUF_INIT, pem = MECH_BUF_SECRET_INIT;
	char *priv = key_path(home, ""), *pubf = key_path(home, ".pub"), *dir, *enc = NULL;
	char *tmp = mech_sprintf("%s.tmp", priv), *body = NULL;
	int rc = -1, fd = -1;

	dir = mech_sprintf("%s/keys", home);
	if (mech_mkdir_p(dir, 0700) < 0)
		goto done;
	if (mech_random_bytes(seed, sizeof(seed)) < 0) {
		const mech_error *e = mech_error_last();
		char *why = mech_strdup(e ? e->message : "no random bytes");
		mech_error_set(MECH_EFAILED, "cannot generate the signing key: %s", why);
		free(why);
		goto done;
	}
	ed25519_sha512_public_key(pub, seed);
	memcpy(der, pkcs8_ed25519, sizeof(pkcs8_ed25519));
	memcpy(der + 16, seed, 32);
	body = mech_base64(der, sizeof(der)); /* 64 characters: one PEM line */
	mech_buf_printf(&pem, PEM_BEGIN "\n%s\n" PEM_END "\n", body);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, pem.ptr, pem.len) != (ssize_t)pem.len || fsync(fd) < 0 ||
	    close(fd) < 0 || (fd = -1, rename(tmp, priv) < 0)) {
		mech_error_set(MECH_EFAILED, "cannot write the signing key %s: %s", priv,
			       strerror(errno));
		goto done;
	}
	fd = -1;
	pub_blob(pub, &blob);
	enc = mech_base64(blob.ptr, blob.len);
	mech_buf_printf(&line, "ssh-ed25519 %s %s\n", enc, email);
	rc = mech_file_write_atomic(pubf, line.ptr, line.len, 0644);
done:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	explicit_bzero(seed, sizeof(seed));
	explicit_bzero(der, sizeof(der));
	mech_secret_free(body);
	mech_buf_dispose(&pem); /* a secret buffer: wiped */
	mech_buf_dispose(&blob);
	mech_buf_dispose(&line);
	free(enc);
	free(tmp);
	free(priv);
	free(pubf);
	free(dir);
	return rc;
}

int mech_sign_init(const char *home, const char *email)
{
	if (mech_sign_enabled(home))
		return 0;
	cache_drop();
	return write_key(home, email) < 0 ? -1 : 1;
}

int mech_sign_rotate(const char *home, const char *email)
{
	char *pubf = key_path(home, ".pub"), *dir = mech_sprintf("%s/keys/retired", home), *dst;
	int rc;
	if (mech_mkdir_p(dir, 0700) < 0) {
		free(pubf);
		free(dir);
		return -1;
	}
	dst = mech_sprintf("%s/%lld.pub", dir, (long long)time(NULL));
	if (access(pubf, R_OK) == 0 && link(pubf, dst) < 0) {
		mech_error_set(MECH_EFAILED, "cannot retire the old signing key");
		rc = -1;
	} else {
		rc = write_key(home, email);
	}
	cache_drop();
	free(pubf);
	free(dir);
	free(dst);
	return rc;
}

/* The allowed public keys (current first, then retired), as SSH wire blobs. */
static int load_allowed(const char *home, mech_buf **blobs, size_t *n);

static char *cache_home;
static mech_buf *cache_blobs;
static size_t cache_n;

static void cache_drop(void)
{
	size_t i;
	for (i = 0; i < cache_n; i++)
		mech_buf_dispose(&cache_blobs[i]);
	free(cache_blobs);
	free(cache_home);
	cache_blobs = NULL;
	cache_home = NULL;
	cache_n = 0;
}

/* Borrowed from a per-process cache; keys change only through this file. */
static void cached_keys(const char *home, const mech_buf **blobs, size_t *n)
{
	if (!cache_home || strcmp(cache_home, home)) {
		cache_drop();
		load_allowed(home, &cache_blobs, &cache_n);
		cache_home = mech_strdup(home);
		atexit(cache_drop);
	}
	*blobs = cache_blobs;
	*n = cache_n;
}

static int allowed_keys(const char *home, mech_buf **blobs, size_t *n)
{
	return load_allowed(home, blobs, n);
}

static int load_allowed(const char *home, mech_buf **blobs, size_t *n)
{
	mech_strv files = MECH_STRV_INIT;
	char *dir = mech_sprintf("%s/keys/retired", home);
	DIR *d;
	struct dirent *e;
	size_t i;
	*blobs = NULL;
	*n = 0;
	mech_strv_pushf(&files, "%s/" KEY_FILE ".pub", home);
	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (strstr(e->d_name, ".pub"))
				mech_strv_pushf(&files, "%s/%s", dir, e->d_name);
		closedir(d);
	}
	free(dir);
	for (i = 0; i < files.len; i++) {
		mech_buf line = MECH_BUF_INIT;
		char *sp1, *sp2;
		if (mech_buf_read_file(&line, files.items[i], 65536) < 0) {
			mech_error_clear();
			mech_buf_dispose(&line);
			continue;
		}
		sp1 = strchr(line.ptr, ' ');
		sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
		if (sp1 && sp2) {
			*blobs = mech_reallocarray(*blobs, *n + 1, sizeof(**blobs));
			memset(&(*blobs)[*n], 0, sizeof(mech_buf));
			if (unb64(sp1 + 1, (size_t)(sp2 - sp1 - 1), &(*blobs)[*n]) == 0)
				(*n)++;
		}
		mech_buf_dispose(&line);
	}
	mech_strv_dispose(&files);
	return 0;
}

int mech_sign_allowed_signers(const char *home, const char *principal, mech_buf *out)
{
	mech_buf *blobs;
	size_t n, i;
	allowed_keys(home, &blobs, &n);
	if (!n)
		return mech_error_set(MECH_ENOT_FOUND,
				      "no signing key in %s/keys; run `mech admin init`", home);
	for (i = 0; i < n; i++) {
		char *enc = mech_base64(blobs[i].ptr, blobs[i].len);
		mech_buf_printf(out, "%s namespaces=\"git\" ssh-ed25519 %s\n", principal, enc);
		free(enc);
		mech_buf_dispose(&blobs[i]);
	}
	free(blobs);
	return 0;
}

char *mech_sign_fingerprint(const char *home)
{
	mech_buf *blobs;
	size_t n, i;
	char *fp = NULL;
	allowed_keys(home, &blobs, &n);
	if (n)
		fp = mech_sshkey_fingerprint(blobs[0].ptr, blobs[0].len);
	for (i = 0; i < n; i++)
		mech_buf_dispose(&blobs[i]);
	free(blobs);
	return fp;
}

/* The blob SSHSIG signs: preamble, namespace, reserved, hash algorithm, H(message). */
static void signed_blob(const char *msg, size_t len, mech_buf *out)
{
	struct sha512_ctx h;
	unsigned char md[SHA512_DIGEST_SIZE];
	sha512_init(&h);
	sha512_update(&h, len, (const uint8_t *)msg);
	sha512_digest(&h, sizeof(md), md);
	mech_buf_put(out, "SSHSIG", 6);
	put_cstring(out, NAMESPACE);
	put_cstring(out, "");
	put_cstring(out, HASH_ALG);
	put_string(out, md, sizeof(md));
}

int mech_sign_commit(const char *home, const char *commit, size_t len, char **armored)
{
	unsigned char seed[32], pub[32], sig[ED25519_SIGNATURE_SIZE];
	mech_buf tosign = MECH_BUF_INIT, sigblob = MECH_BUF_INIT, out = MECH_BUF_INIT,
		 pk = MECH_BUF_INIT;
	char *enc = NULL;
	size_t i, el;

	if (load_private(home, seed, pub) < 0)
		return -1;
	signed_blob(commit, len, &tosign);
	ed25519_sha512_sign(pub, seed, tosign.len, (const uint8_t *)tosign.ptr, sig);
	explicit_bzero(seed, sizeof(seed));
	pub_blob(pub, &pk);
	mech_buf_put(&sigblob, "SSHSIG", 6);
	put_u32(&sigblob, 1);
	put_string(&sigblob, pk.ptr, pk.len);
	put_cstring(&sigblob, NAMESPACE);
	put_cstring(&sigblob, "");
	put_cstring(&sigblob, HASH_ALG);
	{
		mech_buf s = MECH_BUF_INIT;
		put_cstring(&s, "ssh-ed25519");
		put_string(&s, sig, sizeof(sig));
		put_string(&sigblob, s.ptr, s.len);
		mech_buf_dispose(&s);
	}
	enc = mech_base64(sigblob.ptr, sigblob.len);
	el = strlen(enc);
	mech_buf_puts(&out, ARMOR_BEGIN "\n");
	for (i = 0; i < el; i += 70) {
		mech_buf_put(&out, enc + i, el - i < 70 ? el - i : 70);
		mech_buf_putc(&out, '\n');
	}
	mech_buf_puts(&out, ARMOR_END);
	*armored = mech_buf_detach(&out);
	mech_buf_dispose(&tosign);
	mech_buf_dispose(&sigblob);
	mech_buf_dispose(&pk);
	free(enc);
	return 0;
}

/* Read an SSH string at *p; 0 ok. */
static int get_string(const unsigned char **p, const unsigned char *end, const unsigned char **s,
		      size_t *n)
{
	uint32_t l;
	if (end - *p < 4)
		return -1;
	l = ((uint32_t)(*p)[0] << 24) | ((uint32_t)(*p)[1] << 16) | ((uint32_t)(*p)[2] << 8) |
	    (*p)[3];
	*p += 4;
	if ((size_t)(end - *p) < l)
		return -1;
	*s = *p;
	*n = l;
	*p += l;
	return 0;
}

static int check_sig(const char *home, const char *armored, const char *data, size_t dlen)
{
	mech_buf raw = MECH_BUF_INIT, b64s = MECH_BUF_INIT, tosign = MECH_BUF_INIT;
	const mech_buf *allowed = NULL;
	size_t nallowed = 0, i;
	const unsigned char *p, *end, *pk, *ns, *res, *alg, *sig, *st, *sv;
	size_t pkn, nsn, resn, algn, sign, stn, svn;
	const char *a = strstr(armored, ARMOR_BEGIN), *z = strstr(armored, ARMOR_END);
	int ok = 0;

	if (!a || !z || z < a)
		return 0;
	for (a += strlen(ARMOR_BEGIN); a < z; a++)
		if (*a != '\n' && *a != '\r' && *a != ' ')
			mech_buf_putc(&b64s, *a);
	if (!b64s.len || unb64(b64s.ptr, b64s.len, &raw) < 0 || raw.len < 10)
		goto done;
	p = (const unsigned char *)raw.ptr;
	end = p + raw.len;
	if (memcmp(p, "SSHSIG", 6) || p[6] || p[7] || p[8] || p[9] != 1)
		goto done;
	p += 10;
	if (get_string(&p, end, &pk, &pkn) || get_string(&p, end, &ns, &nsn) ||
	    get_string(&p, end, &res, &resn) || get_string(&p, end, &alg, &algn) ||
	    get_string(&p, end, &sig, &sign))
		goto done;
	if (nsn != strlen(NAMESPACE) || memcmp(ns, NAMESPACE, nsn) || algn != strlen(HASH_ALG) ||
	    memcmp(alg, HASH_ALG, algn))
		goto done;
	cached_keys(home, &allowed, &nallowed);
	for (i = 0; i < nallowed && !ok; i++)
		ok = allowed[i].len == pkn && !memcmp(allowed[i].ptr, pk, pkn);
	if (!ok)
		goto done;
	ok = 0;
	/* signature blob: string "ssh-ed25519", string sig */
	p = sig;
	end = sig + sign;
	if (get_string(&p, end, &st, &stn) || get_string(&p, end, &sv, &svn) ||
	    stn != strlen("ssh-ed25519") || memcmp(st, "ssh-ed25519", stn) || svn != 64)
		goto done;
	{
		const unsigned char *kp = pk, *kend = pk + pkn, *kt, *kv;
		size_t ktn, kvn;
		if (get_string(&kp, kend, &kt, &ktn) || get_string(&kp, kend, &kv, &kvn) ||
		    kvn != 32)
			goto done;
		signed_blob(data, dlen, &tosign);
		ok = ed25519_sha512_verify(kv, tosign.len, (const uint8_t *)tosign.ptr, sv) == 1;
	}
done:
	mech_buf_dispose(&raw);
	mech_buf_dispose(&b64s);
	mech_buf_dispose(&tosign);
	return ok;
}

int mech_sign_verify(const char *home, git_repository *repo, const git_oid *commit)
{
	git_buf sig = GIT_BUF_INIT, data = GIT_BUF_INIT;
	int ok;
	if (git_commit_extract_signature(&sig, &data, repo, (git_oid *)commit, "gpgsig") < 0) {
		git_error_clear();
		return 0; /* unsigned */
	}
	ok = check_sig(home, sig.ptr, data.ptr, data.size);
	git_buf_dispose(&sig);
	git_buf_dispose(&data);
	return ok;
}
