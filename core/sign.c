/*
 * SSH signatures for receipts (the SSHSIG format of OpenSSH's
 * PROTOCOL.sshsig, namespace "git", sha512), made and checked with
 * OpenSSL's Ed25519.
 */
#include "mech/sign.h"
#include "mech/error.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
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

static char *b64(const void *data, size_t len)
{
	char *out = mech_calloc(4 * ((len + 2) / 3) + 1, 1);
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

static int unb64(const char *s, size_t n, mech_buf *out)
{
	unsigned char *tmp = mech_calloc(n + 4, 1);
	int len = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n);
	size_t pad = 0;
	if (len < 0) {
		free(tmp);
		return -1;
	}
	while (n && s[n - 1] == '=') {
		pad++;
		n--;
	}
	mech_buf_put(out, tmp, (size_t)len - pad);
	free(tmp);
	return 0;
}

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

static EVP_PKEY *load_private(const char *home)
{
	char *p = key_path(home, "");
	FILE *f = fopen(p, "r");
	EVP_PKEY *k = NULL;
	if (f) {
		k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (!k)
		mech_error_set(MECH_ECONFIG, "cannot read the signing key %s", p);
	free(p);
	return k;
}

static int write_key(const char *home, const char *email)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *k = NULL;
	unsigned char pub[32];
	size_t publen = sizeof(pub);
	mech_buf blob = MECH_BUF_INIT, line = MECH_BUF_INIT;
	char *priv = key_path(home, ""), *pubf = key_path(home, ".pub"), *dir, *enc = NULL;
	FILE *f = NULL;
	int rc = -1;

	dir = mech_sprintf("%s/keys", home);
	if (mech_mkdir_p(dir, 0700) < 0)
		goto done;
	if (!pc || EVP_PKEY_keygen_init(pc) <= 0 || EVP_PKEY_keygen(pc, &k) <= 0 ||
	    EVP_PKEY_get_raw_public_key(k, pub, &publen) <= 0) {
		mech_error_set(MECH_EFAILED, "cannot generate the signing key");
		goto done;
	}
	{
		char *tmp = mech_sprintf("%s.tmp", priv);
		int fd;
		unlink(tmp);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
		f = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (!f || !PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) || fclose(f) != 0 ||
		    rename(tmp, priv) < 0) {
			f = NULL;
			free(tmp);
			mech_error_set(MECH_EFAILED, "cannot write the signing key %s", priv);
			goto done;
		}
		f = NULL;
		free(tmp);
	}
	pub_blob(pub, &blob);
	enc = b64(blob.ptr, blob.len);
	mech_buf_printf(&line, "ssh-ed25519 %s %s\n", enc, email);
	rc = mech_file_write_atomic(pubf, line.ptr, line.len, 0644);
done:
	if (f)
		fclose(f);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(pc);
	mech_buf_dispose(&blob);
	mech_buf_dispose(&line);
	free(enc);
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
			*blobs = mech_realloc(*blobs, (*n + 1) * sizeof(**blobs));
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
		return mech_error_set(MECH_ENOT_FOUND, "no signing key in %s/keys; run `mech admin init`",
				      home);
	for (i = 0; i < n; i++) {
		char *enc = b64(blobs[i].ptr, blobs[i].len);
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
	unsigned char md[32];
	unsigned int mdlen = 0;
	allowed_keys(home, &blobs, &n);
	if (n && EVP_Digest(blobs[0].ptr, blobs[0].len, md, &mdlen, EVP_sha256(), NULL)) {
		char *enc = b64(md, mdlen);
		size_t l = strlen(enc);
		while (l && enc[l - 1] == '=')
			enc[--l] = '\0';
		fp = mech_sprintf("SHA256:%s", enc);
		free(enc);
	}
	for (i = 0; i < n; i++)
		mech_buf_dispose(&blobs[i]);
	free(blobs);
	return fp;
}

/* The blob SSHSIG signs: preamble, namespace, reserved, hash algorithm, H(message). */
static void signed_blob(const char *msg, size_t len, mech_buf *out)
{
	unsigned char md[64];
	unsigned int mdlen = 0;
	EVP_Digest(msg, len, md, &mdlen, EVP_sha512(), NULL);
	mech_buf_put(out, "SSHSIG", 6);
	put_cstring(out, NAMESPACE);
	put_cstring(out, "");
	put_cstring(out, HASH_ALG);
	put_string(out, md, mdlen);
}

int mech_sign_commit(const char *home, const char *commit, size_t len, char **armored)
{
	EVP_PKEY *k = load_private(home);
	EVP_MD_CTX *md = NULL;
	unsigned char pub[32], sig[64];
	size_t publen = sizeof(pub), siglen = sizeof(sig);
	mech_buf tosign = MECH_BUF_INIT, sigblob = MECH_BUF_INIT, out = MECH_BUF_INIT, pk = MECH_BUF_INIT;
	char *enc = NULL;
	size_t i, el;
	int rc = -1;

	if (!k)
		return -1;
	signed_blob(commit, len, &tosign);
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestSignInit(md, NULL, NULL, NULL, k) <= 0 ||
	    EVP_DigestSign(md, sig, &siglen, (unsigned char *)tosign.ptr, tosign.len) <= 0 ||
	    EVP_PKEY_get_raw_public_key(k, pub, &publen) <= 0) {
		mech_error_set(MECH_EFAILED, "cannot sign the commit");
		goto done;
	}
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
		put_string(&s, sig, siglen);
		put_string(&sigblob, s.ptr, s.len);
		mech_buf_dispose(&s);
	}
	enc = b64(sigblob.ptr, sigblob.len);
	el = strlen(enc);
	mech_buf_puts(&out, ARMOR_BEGIN "\n");
	for (i = 0; i < el; i += 70) {
		mech_buf_put(&out, enc + i, el - i < 70 ? el - i : 70);
		mech_buf_putc(&out, '\n');
	}
	mech_buf_puts(&out, ARMOR_END);
	*armored = mech_buf_detach(&out);
	rc = 0;
done:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	mech_buf_dispose(&tosign);
	mech_buf_dispose(&sigblob);
	mech_buf_dispose(&pk);
	mech_buf_dispose(&out);
	free(enc);
	return rc;
}

/* Read an SSH string at *p; 0 ok. */
static int get_string(const unsigned char **p, const unsigned char *end, const unsigned char **s,
		      size_t *n)
{
	uint32_t l;
	if (end - *p < 4)
		return -1;
	l = ((uint32_t)(*p)[0] << 24) | ((uint32_t)(*p)[1] << 16) | ((uint32_t)(*p)[2] << 8) | (*p)[3];
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
		EVP_PKEY *key;
		EVP_MD_CTX *md;
		if (get_string(&kp, kend, &kt, &ktn) || get_string(&kp, kend, &kv, &kvn) || kvn != 32)
			goto done;
		key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, kv, 32);
		md = EVP_MD_CTX_new();
		signed_blob(data, dlen, &tosign);
		ok = key && md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) > 0 &&
		     EVP_DigestVerify(md, sv, svn, (const unsigned char *)tosign.ptr, tosign.len) == 1;
		EVP_MD_CTX_free(md);
		EVP_PKEY_free(key);
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
