/* SPDX-License-Identifier: Apache-2.0 */
#include "mech/validate.h"
#include "mech/buf.h"
#include "mech/error.h"
#include "mech/layout.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* No control characters (a value that is written into a file or a header). */
static int printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int mech_validate_name(const char *what, const char *v)
{
	char q[MECH_ESCAPE_SIZE];
	size_t i, n = strlen(v);
	int ok = n > 0 && n <= MECH_NAME_MAX;
	for (i = 0; ok && i < n; i++) {
		char c = v[i];
		if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-'))
			ok = 0;
	}
	if (ok && (v[0] == '-' || v[n - 1] == '-'))
		ok = 0;
	if (ok && strstr(v, MECH_LAYOUT_SEP)) {
		mech_error_set(MECH_EINVALID,
			       "invalid %s \"%s\": \"" MECH_LAYOUT_SEP "\" separates names in "
			       "the names mech derives (tenant--app--instance), so a name may not "
			       "contain it",
			       what, mech_error_escape(q, v));
		return mech_error_hint("use a single '-', e.g. api-v2");
	}
	if (ok)
		return 0;
	mech_error_set(MECH_EINVALID,
		       "invalid %s \"%s\": use 1-%d lower-case letters, digits and '-', "
		       "starting and ending with a letter or digit",
		       what, mech_error_escape(q, v), MECH_NAME_MAX);
	return mech_error_hint("e.g. web, api-v2, billing");
}

/*
 * Tenant names whose Argo CD project or Kubernetes names are owned by Argo
 * CD or Kubernetes themselves: the project "default" every Argo CD has, the
 * namespace and components "argocd", and everything "kube-" (kube-system,
 * kube-public, kube-node-lease, …).
 */
static const char *const reserved_tenants[] = {"default", "argocd", "kube-*"};

int mech_validate_tenant_name(const char *v)
{
	size_t i;
	if (mech_validate_name("tenant name", v) < 0)
		return -1;
	for (i = 0; i < sizeof(reserved_tenants) / sizeof(*reserved_tenants); i++) {
		const char *r = reserved_tenants[i];
		size_t n = strlen(r);
		int hit = r[n - 1] == '*' ? !strncmp(v, r, n - 1) : !strcmp(v, r);
		if (!hit)
			continue;
		mech_error_set(MECH_EINVALID,
			       "invalid tenant name \"%s\": reserved, Argo CD or Kubernetes owns "
			       "the names it would take (default, argocd, kube-*)",
			       v);
		return mech_error_hint("choose another name, e.g. team-%s", v);
	}
	return 0;
}

int mech_validate_int(const char *what, const char *v, long min, long max, long *out)
{
	char q[MECH_ESCAPE_SIZE], *end;
	long n;
	errno = 0;
	n = strtol(v, &end, 10);
	if (!*v || *end || errno || n < min || n > max || !isdigit((unsigned char)v[0]))
		return mech_error_set(MECH_EINVALID,
				      "invalid %s \"%s\": expected an integer %ld-%ld", what,
				      mech_error_escape(q, v), min, max);
	*out = n;
	return 0;
}

/* The key rule of env variables: a C identifier of at most 128 characters. */
static int env_key_ok(const char *v, size_t klen)
{
	size_t i;
	if (!klen || klen > 128)
		return 0;
	for (i = 0; i < klen; i++) {
		char c = v[i];
		if (!(isalpha((unsigned char)c) || c == '_' || (i && isdigit((unsigned char)c))))
			return 0;
	}
	return 1;
}

static int bad_env_key(const char *what, const char *v, size_t klen)
{
	char q[MECH_ESCAPE_SIZE];
	return mech_error_set(MECH_EINVALID,
			      "invalid %s \"%s\": use letters, digits and '_', not starting with a "
			      "digit (at most 128)",
			      what, mech_error_escape_n(q, v, klen));
}

int mech_validate_env_name(const char *what, const char *v)
{
	if (!env_key_ok(v, strlen(v)))
		return bad_env_key(what, v, strlen(v));
	return 0;
}

int mech_validate_secret_ref(const char *v, char **secret, char **key)
{
	char q[MECH_ESCAPE_SIZE];
	const char *colon = strchr(v, ':');
	size_t i, n;
	int ok = colon && colon != v && colon[1];
	*secret = *key = NULL;
	if (!ok)
		return mech_error_set(MECH_EINVALID,
				      "invalid --from-secret \"%s\": expected SECRET:KEY, e.g. "
				      "db-app:uri",
				      mech_error_escape(q, v));
	*secret = mech_strndup(v, (size_t)(colon - v));
	*key = mech_strdup(colon + 1);
	/* a DNS-1123 subdomain: lower-case labels separated by dots */
	n = strlen(*secret);
	ok = n <= 253 && (*secret)[0] != '.' && (*secret)[n - 1] != '.' && !strstr(*secret, "..");
	for (i = 0; ok && i < n; i++) {
		char c = (*secret)[i], prev = i ? (*secret)[i - 1] : '.', next = (*secret)[i + 1];
		if (c == '-' && (prev == '.' || next == '.' || !next || !i))
			ok = 0;
		else if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-' ||
			   c == '.'))
			ok = 0;
	}
	if (!ok) {
		mech_error_set(MECH_EINVALID,
			       "invalid secret name \"%s\" in --from-secret: use lower-case "
			       "letters, digits, '-' and '.' (a DNS-1123 subdomain, at most 253)",
			       mech_error_escape(q, *secret));
		goto bad;
	}
	n = strlen(*key);
	/* Kubernetes' config-map key rule: also not ".", nor starting with ".." */
	ok = n <= 253 && strcmp(*key, ".") && strncmp(*key, "..", 2);
	for (i = 0; ok && i < n; i++)
		if (!(isalnum((unsigned char)(*key)[i]) || strchr("-._", (*key)[i])))
			ok = 0;
	if (!ok) {
		mech_error_set(MECH_EINVALID,
			       "invalid secret key \"%s\" in --from-secret: use letters, digits, "
			       "'-', '.' and '_' (at most 253; not \".\" nor starting \"..\")",
			       mech_error_escape(q, *key));
		goto bad;
	}
	return 0;
bad:
	free(*secret);
	free(*key);
	*secret = *key = NULL;
	return -1;
}

int mech_validate_env(const char *v)
{
	char q[MECH_ESCAPE_SIZE];
	const char *eq = strchr(v, '=');
	size_t klen;
	if (!eq || eq == v)
		return mech_error_set(MECH_EINVALID,
				      "invalid --env \"%s\": expected KEY=VALUE, e.g. LOG_LEVEL=debug",
				      mech_error_escape(q, v));
	klen = (size_t)(eq - v);
	if (!env_key_ok(v, klen))
		return bad_env_key("--env key", v, klen);
	if (!printable(eq + 1) || strlen(eq + 1) > 4096)
		return mech_error_set(MECH_EINVALID,
				      "invalid --env value for %.*s: control characters are not "
				      "allowed and the value is at most 4096 bytes",
				      (int)klen, v);
	return 0;
}

int mech_validate_tag(const char *v)
{
	char q[MECH_ESCAPE_SIZE];
	size_t i, n = strlen(v);
	int ok = n > 0 && n <= 128 && (isalnum((unsigned char)v[0]) || v[0] == '_');
	for (i = 1; ok && i < n; i++)
		if (!(isalnum((unsigned char)v[i]) || strchr("_.-", v[i])))
			ok = 0;
	if (ok)
		return 0;
	return mech_error_set(MECH_EINVALID,
			      "invalid --tag \"%s\": use 1-128 letters, digits, '_', '.' and '-', "
			      "not starting with '.' or '-'",
			      mech_error_escape(q, v));
}

int mech_validate_host(const char *v)
{
	char q[MECH_ESCAPE_SIZE];
	size_t n = strlen(v), label = 0, i;
	int ok = n > 0 && n <= 253;
	for (i = 0; ok && i < n; i++) {
		char c = v[i];
		if (c == '.') {
			if (!label || v[i - 1] == '-')
				ok = 0;
			label = 0;
		} else if (islower((unsigned char)c) || isdigit((unsigned char)c) ||
			   (c == '-' && label)) {
			if (++label > 63)
				ok = 0;
		} else {
			ok = 0;
		}
	}
	if (ok && (!label || v[n - 1] == '-'))
		ok = 0;
	if (ok)
		return 0;
	return mech_error_set(MECH_EINVALID,
			      "invalid --host \"%s\": expected a lower-case DNS name such as "
			      "web.example.com",
			      mech_error_escape(q, v));
}

int mech_validate_http_path(const char *v)
{
	char q[MECH_ESCAPE_SIZE];
	size_t i, n = strlen(v);
	int ok = n > 0 && n <= 1024 && v[0] == '/';
	for (i = 0; ok && i < n; i++)
		if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f ||
		    strchr("\"'<>\\`{}|^#?%", v[i]))
			ok = 0;
	/* the HTTPRoute schema refuses these segments */
	if (ok && (strstr(v, "//") || strstr(v, "/./") || strstr(v, "/../") ||
		   (n >= 2 && !strcmp(v + n - 2, "/.")) || (n >= 3 && !strcmp(v + n - 3, "/.."))))
		ok = 0;
	if (ok)
		return 0;
	return mech_error_set(MECH_EINVALID,
			      "invalid --path \"%s\": expected a URL path starting with '/', "
			      "without spaces, quotes or query",
			      mech_error_escape(q, v));
}

int mech_validate_repo_path(const char *v)
{
	char q[MECH_ESCAPE_SIZE];
	const char *p = v;
	if (!*v || *v == '/' || !printable(v) || strlen(v) > 4096)
		goto bad;
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 2 && !strncmp(p, "..", 2)) || (n == 1 && *p == '.'))
			goto bad;
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
bad:
	return mech_error_set(MECH_EINVALID,
			      "invalid --path \"%s\": expected a path inside the repository, "
			      "e.g. apps/web/base/deployment.yaml",
			      mech_error_escape(q, v));
}

/* Where a URL's user information ends: the '@' before its host, or NULL. */
static const char *url_userinfo_end(const char *v)
{
	const char *auth = strstr(v, "://"), *end, *at;
	if (v[0] == '/')
		return NULL;        /* a path on this machine */
	auth = auth ? auth + 3 : v; /* scp-like user@host:path has no scheme */
	end = auth + strcspn(auth, auth == v ? "" : "/?#");
	at = memchr(auth, '@', (size_t)(end - auth));
	/* the last '@' of the authority: a user name may not hold one, a password may */
	while (at && memchr(at + 1, '@', (size_t)(end - at - 1)))
		at = memchr(at + 1, '@', (size_t)(end - at - 1));
	return at && memchr(auth, ':', (size_t)(at - auth)) ? at : NULL;
}

int mech_url_has_password(const char *v)
{
	return url_userinfo_end(v) != NULL;
}

int mech_validate_url(const char *what, const char *v)
{
	if (mech_url_has_password(v))
		/* the value is not echoed: it holds a secret */
		return mech_error_set(MECH_ECONFIG,
				      "%s carries a password (user:password@ in the URL); a "
				      "password never goes into a URL, where it would reach Git "
				      "and output: put it in gitops.credentials_file or a "
				      "gitops.credential_helper",
				      what);
	if (!printable(v) || strlen(v) > 2048)
		return mech_error_set(MECH_EINVALID,
				      "invalid %s: a URL of at most 2048 characters without control "
				      "characters",
				      what);
	return 0;
}
