/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Git remote a tenant repository mirrors (gitops.remote): fetching its
 * branch into the mirror, and pushing a transaction's commit so that it
 * lands only if the remote branch is still where the plan saw it. A push
 * the remote refuses is seen in libgit2's push_update_reference callback,
 * not in the return code (DESIGN §8b).
 *
 * Every outcome is told as it is (docs/scaling.md, "Remote outcomes"):
 *  - a refusal because the branch moved or its ref was locked is re-planned;
 *    any other refusal (a hook, a branch rule) ends at once with the
 *    server's reason: forbidden (77), or unavailable (69) for its failures;
 *  - a transport failure once the update may have reached the server is
 *    settled by fetching again: the branch holds the commit (done), does not
 *    (unavailable), or cannot be read (outcome_unknown: it may have landed);
 *  - each network operation is bounded by gitops.timeout (deadline.c).
 *
 * What a remote is trusted with, and trusted by, is explicit (docs/scaling.md):
 * an HTTP(S) password comes from gitops.credentials_file or a git credential
 * helper, never from the URL (config.c refuses one there), and lives in
 * memory only until libgit2 has its copy; an https:// server's certificate
 * is checked against gitops.ca_file (or the system's CAs), an ssh:// server's
 * host key against gitops.known_hosts (or ~/.ssh/known_hosts).
 */
#include "gitops_int.h"
#include "mech/buf.h"
#include "mech/dl.h"
#include "mech/error.h"

#include <errno.h>
#include <libssh2.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* the temporary local ref a push sends from */
#define PUSH_REF "refs/mech/push"
/* a credentials file or a helper's answer larger than this is not one */
#define CREDS_MAX (64 * 1024)

/* what the remote printed during a push (hooks' messages) that an error quotes */
#define SAID_MAX 2048

typedef struct {
	const mech_config *cfg;
	int cred_tries;
	int sent;        /* the push reached its upload: the remote may move the branch */
	char *rejected;  /* the remote's reason for refusing our ref update */
	mech_buf said;   /* its sideband messages ("remote: ..."), at most SAID_MAX bytes */
	const char *url; /* the remote's URL as configured (never holds a password) */
} remote_ctx;

/*
 * What a callback found wrong at the edge (credentials, certificate, host
 * key). libgit2 replaces a callback's message with its own, so the reason
 * waits here for remote_error.
 */
static __thread struct {
	mech_error_code code;
	char msg[1024];
} edge;

static void edge_set(mech_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void edge_set(mech_error_code code, const char *fmt, ...)
{
	va_list ap;
	edge.code = code;
	va_start(ap, fmt);
	vsnprintf(edge.msg, sizeof(edge.msg), fmt, ap);
	va_end(ap);
}

static void wipe(char *s, size_t n)
{
	if (s)
		explicit_bzero(s, n);
}

static void free_secret(char *s)
{
	if (s) {
		wipe(s, strlen(s));
		free(s);
	}
}

/* ---- URLs ---- */

typedef struct {
	char scheme[16];
	char host[256]; /* without brackets or port */
	int port;
	char user[256];   /* percent-decoded; "" when the URL names none */
	char pass[256];   /* percent-decoded; only a credentials file's line has one */
	const char *path; /* inside the URL given */
} url_parts;

static int default_port(const char *scheme)
{
	return !strcmp(scheme, "https") ? 443 : !strcmp(scheme, "http") ? 80 : 22;
}

static int unhex(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* Percent-decode [s, s+n) into out (size outsz); -1 if it does not fit or is malformed. */
static int decode(char *out, size_t outsz, const char *s, size_t n)
{
	size_t i, o = 0;
	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n || unhex(s[i + 1]) < 0 || unhex(s[i + 2]) < 0)
				return -1;
			c = unhex(s[i + 1]) * 16 + unhex(s[i + 2]);
			i += 2;
		}
		if (o + 1 >= outsz || c == 0)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

/* scheme://[user[:pass]@]host[:port][/path] or scp-like user@host:path. */
static int url_split(const char *url, url_parts *u)
{
	const char *p = strstr(url, "://"), *auth, *end, *at, *hp, *colon;
	char hostport[300];
	size_t n;
	memset(u, 0, sizeof(*u));
	if (p) {
		n = (size_t)(p - url);
		if (n == 0 || n >= sizeof(u->scheme))
			return -1;
		memcpy(u->scheme, url, n);
		auth = p + 3;
		end = auth + strcspn(auth, "/?#");
	} else {
		strcpy(u->scheme, "ssh");
		auth = url;
		end = auth + strcspn(auth, ":");
	}
	u->path = *end == ':' ? end + 1 : end;
	at = NULL;
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	hp = auth;
	if (at) {
		const char *c = memchr(auth, ':', (size_t)(at - auth));
		if (decode(u->user, sizeof(u->user), auth, (size_t)((c ? c : at) - auth)) < 0 ||
		    (c && decode(u->pass, sizeof(u->pass), c + 1, (size_t)(at - c - 1)) < 0))
			return -1;
		hp = at + 1;
	}
	/* git-credential-store writes host:port as host%3aport */
	if (decode(hostport, sizeof(hostport), hp, (size_t)(end - hp)) < 0)
		return -1;
	hp = hostport;
	end = hostport + strlen(hostport);
	if (*hp == '[') {
		const char *rb = strchr(hp, ']');
		if (!rb)
			return -1;
		n = (size_t)(rb - hp - 1);
		colon = rb[1] == ':' ? rb + 1 : NULL;
		hp++;
	} else {
		colon = strchr(hp, ':');
		n = (size_t)((colon ? colon : end) - hp);
	}
	if (n == 0 || n >= sizeof(u->host))
		return -1;
	memcpy(u->host, hp, n);
	u->port = default_port(u->scheme);
	if (colon && colon + 1 < end) {
		char *e;
		long port = strtol(colon + 1, &e, 10);
		if (e != end || port < 1 || port > 65535)
			return -1;
		u->port = (int)port;
	}
	return 0;
}

/* ---- credentials: a file of git-credential-store lines, or a helper ---- */

/* 1 found (user, pass allocated), 0 no line for this remote, -1 refused (edge set) */
static int creds_from_file(const char *file, const url_parts *want, char **user, char **pass)
{
	mech_buf b = MECH_BUF_INIT;
	struct stat st;
	char *line, *save = NULL;
	int found = 0;

	if (stat(file, &st) < 0) {
		edge_set(MECH_ECONFIG, "gitops.credentials_file %s cannot be read: %s", file,
			 strerror(errno));
		return -1;
	}
	if (st.st_mode & 077) {
		edge_set(MECH_ECONFIG,
			 "gitops.credentials_file %s is open to group or others (mode %04o): it "
			 "holds passwords; chmod 600 it",
			 file, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (mech_buf_read_file(&b, file, CREDS_MAX) < 0) {
		mech_error_clear();
		edge_set(MECH_ECONFIG, "gitops.credentials_file %s cannot be read", file);
		return -1;
	}
	for (line = strtok_r(b.ptr, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		url_parts e;
		size_t len = strlen(line);
		if (len && line[len - 1] == '\r')
			line[len - 1] = '\0';
		if (*line == '#' || !*line || url_split(line, &e) < 0 || !strstr(line, "://"))
			continue;
		if (!strcmp(e.scheme, want->scheme) && !strcmp(e.host, want->host) &&
		    e.port == want->port && (!*want->user || !strcmp(e.user, want->user)) &&
		    (!*e.path || e.path[1] == '\0' ||
		     !strncmp(e.path, want->path, strlen(e.path)))) {
			*user = mech_strdup(e.user);
			*pass = mech_strdup(e.pass);
			found = 1;
		}
		wipe(e.pass, sizeof(e.pass));
	}
	wipe(b.ptr, b.cap); /* strtok_r split it in place: all of it */
	mech_buf_dispose(&b);
	return found;
}

/*
 * git's credential protocol: the helper gets `get` and protocol/host[/username]
 * on stdin, and answers username=/password= lines. Run without a shell; the
 * password only ever crosses the pipe.
 */
static int creds_from_helper(const char *helper, const url_parts *want, char **user, char **pass)
{
	mech_strv argv = MECH_STRV_INIT;
	mech_buf req = MECH_BUF_INIT, ans = MECH_BUF_INIT;
	struct sigaction ign, old;
	int in[2] = {-1, -1}, out[2] = {-1, -1}, status = 0, rc = -1;
	const char *p = helper;
	char **args = NULL, *line, *save = NULL;
	pid_t pid;
	size_t i;

	while (*p) {
		size_t n = strcspn(p, " \t");
		if (n) {
			char *word = mech_strndup(p, n);
			mech_strv_push(&argv, word);
			free(word);
		}
		p += n;
		p += strspn(p, " \t");
	}
	if (!argv.len || argv.items[0][0] != '/') {
		edge_set(MECH_ECONFIG,
			 "gitops.credential_helper must start with an absolute program path");
		goto done;
	}
	mech_buf_printf(&req, "protocol=%s\nhost=%s", want->scheme, want->host);
	if (want->port != default_port(want->scheme))
		mech_buf_printf(&req, ":%d", want->port);
	mech_buf_puts(&req, "\n");
	if (*want->user)
		mech_buf_printf(&req, "username=%s\n", want->user);
	mech_buf_puts(&req, "\n");
	args = mech_calloc(argv.len + 2, sizeof(*args));
	for (i = 0; i < argv.len; i++)
		args[i] = argv.items[i];
	args[i] = (char *)"get";
	if (pipe(in) < 0 || pipe(out) < 0) {
		edge_set(MECH_EFAILED, "cannot run gitops.credential_helper: %s", strerror(errno));
		goto done;
	}
	pid = fork();
	if (pid < 0) {
		edge_set(MECH_EFAILED, "cannot run gitops.credential_helper: %s", strerror(errno));
		goto done;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execv(args[0], args);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	mech_buf_grow(&ans, CREDS_MAX); /* never reallocated: no copy of a password is left behind */
	/* a helper that exits without reading must not kill mech with SIGPIPE */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old);
	if (write(in[1], req.ptr, req.len) < 0) {
		/* its exit status tells why */
	}
	sigaction(SIGPIPE, &old, NULL);
	close(in[1]);
	in[1] = -1;
	for (;;) {
		char chunk[4096];
		ssize_t n = read(out[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (ans.len + (size_t)n <= CREDS_MAX)
			mech_buf_put(&ans, chunk, (size_t)n);
		wipe(chunk, sizeof(chunk));
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		edge_set(MECH_ECONFIG, "gitops.credential_helper %s failed (exit %d)",
			 argv.items[0], WIFEXITED(status) ? WEXITSTATUS(status) : 128);
		goto done;
	}
	rc = 0;
	for (line = ans.len ? strtok_r(ans.ptr, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "username=", 9) && !*user)
			*user = mech_strdup(line + 9);
		else if (!strncmp(line, "password=", 9) && !*pass)
			*pass = mech_strdup(line + 9);
	}
	if (*pass) {
		rc = 1;
		if (!*user)
			*user = mech_strdup(want->user);
	} else {
		free_secret(*user);
		*user = NULL;
	}
done:
	for (i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	wipe(ans.ptr, ans.cap);
	mech_buf_dispose(&ans);
	mech_buf_dispose(&req);
	mech_strv_dispose(&argv);
	free(args);
	return rc;
}

static int userpass(git_credential **out, remote_ctx *c, const char *url, const char *user_from_url)
{
	const mech_config *cfg = c->cfg;
	url_parts want;
	char *user = NULL, *pass = NULL;
	const char *source = NULL;
	int found = 0, rc;

	if (url_split(url, &want) < 0) {
		edge_set(MECH_ECONFIG, "cannot read the remote URL %s", c->url);
		return GIT_EUSER;
	}
	if (user_from_url && !*want.user)
		snprintf(want.user, sizeof(want.user), "%s", user_from_url);
	if (*cfg->gitops_credentials_file) {
		found = creds_from_file(cfg->gitops_credentials_file, &want, &user, &pass);
		source = "gitops.credentials_file";
	}
	if (found == 0 && *cfg->gitops_credential_helper) {
		found = creds_from_helper(cfg->gitops_credential_helper, &want, &user, &pass);
		source = "gitops.credential_helper";
	}
	if (found < 0)
		return GIT_EUSER;
	if (!found) {
		edge_set(MECH_ECONFIG,
			 "it asks for a user name and password, and %s has none for %s://%s:%d",
			 source ? source
				: "neither gitops.credentials_file nor gitops.credential_helper is set: "
				  "mech",
			 want.scheme, want.host, want.port);
		return GIT_EUSER;
	}
	if (c->cred_tries++ > 0) {
		/* the server refused what we sent: asking again cannot help */
		edge_set(MECH_EFORBIDDEN, "it refused the password of user \"%s\" (from %s)", user,
			 source);
		rc = GIT_EUSER;
	} else {
		rc = git_credential_userpass_plaintext_new(out, user, pass);
	}
	free_secret(user);
	free_secret(pass);
	return rc;
}

static int credentials_cb(git_credential **out, const char *url, const char *user_from_url,
			  unsigned int allowed, void *payload)
{
	remote_ctx *c = payload;
	const char *user = user_from_url ? user_from_url : "git";
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)
		return userpass(out, c, url, user_from_url);
	if (c->cred_tries++ > 0)
		return GIT_PASSTHROUGH; /* one offer; never loop on a bad key */
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	if (!(allowed & GIT_CREDENTIAL_SSH_KEY))
		return GIT_PASSTHROUGH;
	if (*c->cfg->gitops_ssh_key) {
		char *pub = mech_sprintf("%s.pub", c->cfg->gitops_ssh_key);
		int rc = git_credential_ssh_key_new(out, user, access(pub, R_OK) == 0 ? pub : NULL,
						    c->cfg->gitops_ssh_key, NULL);
		free(pub);
		return rc;
	}
	return git_credential_ssh_key_from_agent(out, user);
}

/* ---- trust: the TLS certificate or the SSH host key ---- */

/* libssh2's known_hosts reader; libgit2 has loaded the library by the time a host key is seen */
#define KH_SYMBOLS(X)                                                                              \
	X(libssh2_session_init_ex)                                                                 \
	X(libssh2_session_free)                                                                    \
	X(libssh2_knownhost_init)                                                                  \
	X(libssh2_knownhost_readfile)                                                              \
	X(libssh2_knownhost_checkp)                                                                \
	X(libssh2_knownhost_free)
static struct {
	KH_SYMBOLS(MECH_DL_FIELD)
} kh;
static const char *const kh_names[] = {KH_SYMBOLS(MECH_DL_NAME)};

static char *known_hosts_file(const mech_config *cfg)
{
	const char *home = getenv("HOME");
	struct passwd *pw;
	if (*cfg->gitops_known_hosts)
		return mech_strdup(cfg->gitops_known_hosts);
	if ((!home || !*home) && (pw = getpwuid(geteuid())) != NULL)
		home = pw->pw_dir;
	return mech_sprintf("%s/.ssh/known_hosts", home ? home : "");
}

static int key_type_mask(git_cert_ssh_raw_type_t t)
{
	switch (t) {
	case GIT_CERT_SSH_RAW_TYPE_RSA:
		return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case GIT_CERT_SSH_RAW_TYPE_DSS:
		return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
	case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_256:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_384:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case GIT_CERT_SSH_RAW_TYPE_KEY_ECDSA_521:
		return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
	case GIT_CERT_SSH_RAW_TYPE_KEY_ED25519:
		return LIBSSH2_KNOWNHOST_KEY_ED25519;
	default:
		return 0;
	}
}

static int known_host_check(remote_ctx *c, const git_cert_hostkey *hk)
{
	char *file = known_hosts_file(c->cfg);
	LIBSSH2_SESSION *session = NULL;
	LIBSSH2_KNOWNHOSTS *hosts = NULL;
	url_parts u;
	int rc = GIT_ECERTIFICATE, mask, check;

	if (url_split(c->url, &u) < 0) {
		edge_set(MECH_ECONFIG, "cannot read the host of the remote URL %s", c->url);
		goto done;
	}
	mask = (hk->type & GIT_CERT_SSH_RAW) ? key_type_mask(hk->raw_type) : 0;
	if (!mask) {
		edge_set(MECH_EUNAVAILABLE,
			 "the SSH host key of %s:%d is of a type mech cannot check against %s",
			 u.host, u.port, file);
		goto done;
	}
	if (mech_dl_load("libssh2.so.1", "libssh2-1", kh_names, (void **)&kh,
			 sizeof(kh_names) / sizeof(*kh_names)) < 0) {
		edge_set(MECH_EUNAVAILABLE, "%s", mech_error_last()->message);
		mech_error_clear();
		goto done;
	}
	session = kh.libssh2_session_init_ex(NULL, NULL, NULL, NULL);
	hosts = session ? kh.libssh2_knownhost_init(session) : NULL;
	if (!hosts ||
	    kh.libssh2_knownhost_readfile(hosts, file, LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0) {
		edge_set(MECH_EUNAVAILABLE,
			 "cannot read the SSH known hosts file %s (gitops.known_hosts), so the host "
			 "key of %s:%d cannot be checked",
			 file, u.host, u.port);
		goto done;
	}
	check = kh.libssh2_knownhost_checkp(hosts, u.host, u.port, hk->hostkey, hk->hostkey_len,
					    LIBSSH2_KNOWNHOST_TYPE_PLAIN |
						    LIBSSH2_KNOWNHOST_KEYENC_RAW | mask,
					    NULL);
	if (check == LIBSSH2_KNOWNHOST_CHECK_MATCH)
		rc = 0;
	else if (check == LIBSSH2_KNOWNHOST_CHECK_MISMATCH)
		edge_set(MECH_EUNAVAILABLE,
			 "the SSH host key of %s:%d is not the one in %s (gitops.known_hosts): the "
			 "server changed its key, or someone is in between; check it before you "
			 "replace the line",
			 u.host, u.port, file);
	else
		edge_set(MECH_EUNAVAILABLE,
			 "the SSH host key of %s:%d is not in %s (gitops.known_hosts): check the "
			 "server's key and add it (ssh-keyscan -p %d %s)",
			 u.host, u.port, file, u.port, u.host);
done:
	if (hosts)
		kh.libssh2_knownhost_free(hosts);
	if (session)
		kh.libssh2_session_free(session);
	free(file);
	return rc;
}

static int certificate_cb(git_cert *cert, int valid, const char *host, void *payload)
{
	remote_ctx *c = payload;
	if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2)
		return known_host_check(c, (const git_cert_hostkey *)cert);
	if (valid)
		return 0;
	edge_set(MECH_EUNAVAILABLE,
		 "the TLS certificate of %s is not trusted: it is not signed by a CA in %s, or "
		 "does not name %s",
		 host,
		 *c->cfg->gitops_ca_file ? c->cfg->gitops_ca_file
					 : "the system's CAs (gitops.ca_file)",
		 host);
	return GIT_ECERTIFICATE;
}

/* gitops.ca_file replaces the system's CAs for https:// remotes (once: it is the process's) */
static int remote_ca(const mech_config *cfg, const char *url)
{
	static __thread const char *set;
	if (!*cfg->gitops_ca_file || strncmp(url, "https://", 8) || set == cfg->gitops_ca_file)
		return 0;
	if (access(cfg->gitops_ca_file, R_OK) < 0 ||
	    git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, cfg->gitops_ca_file, NULL) < 0) {
		mech_error_set(MECH_ECONFIG,
			       "gitops.ca_file %s cannot be read as PEM CA certificates: %s",
			       cfg->gitops_ca_file,
			       git_error_last() && git_error_last()->message
				       ? git_error_last()->message
				       : strerror(errno));
		return -1;
	}
	set = cfg->gitops_ca_file;
	return 0;
}

/* The callbacks every connection to the remote uses. */
static int remote_callbacks(git_remote_callbacks *cb, remote_ctx *ctx)
{
	edge.code = MECH_EOK;
	edge.msg[0] = '\0';
	cb->credentials = credentials_cb;
	cb->certificate_check = certificate_cb;
	cb->payload = ctx;
	return remote_ca(ctx->cfg, ctx->url);
}

static int push_update_cb(const char *refname, const char *status, void *payload)
{
	remote_ctx *c = payload;
	(void)refname;
	if (status && !c->rejected)
		c->rejected = mech_strdup(status);
	return 0;
}

/* libgit2 calls this once it knows what to send, before the upload */
static int push_negotiation_cb(const git_push_update **updates, size_t len, void *payload)
{
	remote_ctx *c = payload;
	(void)updates;
	(void)len;
	c->sent = 1;
	return 0;
}

static int sideband_cb(const char *str, int len, void *payload)
{
	remote_ctx *c = payload;
	size_t room = SAID_MAX - c->said.len;
	if (len > 0 && room > 0)
		mech_buf_put(&c->said, str, (size_t)len < room ? (size_t)len : room);
	return 0;
}

/*
 * Why a network operation failed: libgit2's last message, taken before the
 * remote's teardown can replace it, or the deadline's once it has expired
 * (after mech_deadline_stop).
 */
static char *transport_reason(mech_repo *r, const mech_deadline *d, char *git_why)
{
	if (d && d->expired) {
		free(git_why);
		return mech_sprintf("no answer within %ldms (gitops.timeout in %s/mech.yaml)",
				    d->ms, r->cfg->home);
	}
	return git_why;
}

static char *git_reason(void)
{
	const git_error *e = git_error_last();
	return mech_strdup(e && e->message ? e->message : "unknown error");
}

/* A failure before anything could have moved the remote branch. */
static int remote_error_why(mech_repo *r, const char *what, char *why)
{
	if (edge.code != MECH_EOK) {
		/* a callback's reason is the one to give; nothing was sent */
		free(why);
		mech_error_set(edge.code, "cannot %s the Git remote %s: %s", what, r->remote_url,
			       edge.msg);
		edge.code = MECH_EOK;
		return mech_error_hint("see \"Remote credentials and trust\" in docs/scaling.md; "
				       "nothing was written");
	}
	mech_error_set(MECH_EUNAVAILABLE, "cannot %s the Git remote %s: %s", what, r->remote_url,
		       why);
	free(why);
	return mech_error_hint("check gitops.remote in %s/mech.yaml and that the server is up; "
			       "nothing was written",
			       r->cfg->home);
}

static int remote_error(mech_repo *r, const char *what, const mech_deadline *d)
{
	return remote_error_why(r, what, transport_reason(r, d, git_reason()));
}

/* a progress meter line ("Resolving deltas: 100% (3/3)"), not a message */
static int is_progress(const char *p, size_t len)
{
	size_t i;
	for (i = 0; i + 2 < len; i++)
		if (p[i] == '%' && p[i + 1] == ' ' && p[i + 2] == '(')
			return 1;
	return 0;
}

/*
 * The remote's messages as one line for an error: each line it printed but
 * its progress meters (a hook's text is the server's, not ours: escaped),
 * joined.
 */
static void append_said(mech_buf *out, const mech_buf *said)
{
	const char *p = said->ptr, *end = said->ptr + said->len;
	int n = 0;
	while (p && p < end && n < 6) {
		size_t len = 0;
		char q[MECH_ESCAPE_SIZE];
		while (p + len < end && p[len] != '\n' && p[len] != '\r')
			len++;
		if (len && !is_progress(p, len))
			mech_buf_printf(out, "%s\"%s\"", n++ ? ", " : " (the remote said: ",
					mech_error_escape_n(q, p, len));
		p += len + 1;
	}
	if (n)
		mech_buf_putc(out, ')');
}

/* Make the local mirror's branch equal to the remote's (absent remote branch: leave it). */
int mech_repo_sync(mech_repo *r)
{
	git_remote *remote = NULL;
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	remote_ctx ctx = {r->cfg, 0, 0, NULL, MECH_BUF_INIT, r->remote_url};
	mech_deadline d;
	char *spec = mech_sprintf("+%s:%s", r->branch_ref, r->branch_ref);
	char *specs[] = {spec};
	git_strarray refspecs = {specs, 1};
	char *why = NULL;
	int rc = 0;

	if (!r->remote_url)
		goto done;
	if (remote_callbacks(&fo.callbacks, &ctx) < 0) {
		rc = -1;
		goto done;
	}
	fo.prune = GIT_FETCH_NO_PRUNE;
	fo.update_fetchhead = 0;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	if (mech_deadline_start(&d, r->cfg->gitops_timeout_ms) < 0) {
		rc = -1;
		goto done;
	}
	if (git_remote_create_anonymous(&remote, r->git, r->remote_url) < 0 ||
	    git_remote_fetch(remote, &refspecs, &fo, NULL) < 0)
		why = git_reason();
	git_remote_free(remote); /* its connection's teardown is bounded too */
	remote = NULL;
	mech_deadline_stop(&d);
	if (why)
		rc = remote_error_why(r, "fetch from", transport_reason(r, &d, why));
done:
	git_remote_free(remote);
	free(spec);
	free(ctx.rejected);
	mech_buf_dispose(&ctx.said);
	return rc;
}

/* Copy an object and everything it reaches that `dst` lacks. */
static int copy_missing(git_odb *src, git_odb *dst, git_repository *repo, const git_oid *id)
{
	git_odb_object *obj = NULL;
	git_oid written;
	int rc = 0;
	if (git_odb_exists(dst, id))
		return 0; /* present objects are complete: their closure is there too */
	if (git_odb_read(&obj, src, id) < 0)
		return -1;
	if (git_odb_object_type(obj) == GIT_OBJECT_TREE) {
		git_tree *t;
		size_t i;
		if (git_tree_lookup(&t, repo, id) < 0) {
			git_odb_object_free(obj);
			return -1;
		}
		for (i = 0; rc == 0 && i < git_tree_entrycount(t); i++) {
			const git_tree_entry *e = git_tree_entry_byindex(t, i);
			if (git_tree_entry_type(e) != GIT_OBJECT_COMMIT)
				rc = copy_missing(src, dst, repo, git_tree_entry_id(e));
		}
		git_tree_free(t);
	} else if (git_odb_object_type(obj) == GIT_OBJECT_COMMIT) {
		git_commit *c;
		if (git_commit_lookup(&c, repo, id) < 0) {
			git_odb_object_free(obj);
			return -1;
		}
		rc = copy_missing(src, dst, repo, git_commit_tree_id(c));
		git_commit_free(c);
	}
	if (rc == 0)
		rc = git_odb_write(&written, dst, git_odb_object_data(obj),
				   git_odb_object_size(obj), git_odb_object_type(obj));
	git_odb_object_free(obj);
	return rc;
}

/*
 * libgit2's local transport moves the remote ref without comparing its old
 * value, so two hosts pushing to one file:// remote could lose a commit.
 * For a path on this machine, write the objects and compare-and-swap the
 * remote branch ourselves. 1 pushed, 0 the remote moved, -1 error.
 */
static int push_local(mech_repo *r, const char *path, const git_oid *old, const git_oid *commit)
{
	git_repository *remote = NULL;
	git_odb *src = NULL, *dst = NULL;
	git_reference *ref = NULL;
	int rc = -1, err;

	if (git_repository_open_bare(&remote, path) < 0) {
		remote_error(r, "open", NULL);
		goto done;
	}
	if (git_repository_odb(&src, r->git) < 0 || git_repository_odb(&dst, remote) < 0 ||
	    copy_missing(src, dst, r->git, commit) < 0) {
		remote_error(r, "write objects to", NULL);
		goto done;
	}
	if (old)
		err = git_reference_create_matching(&ref, remote, r->branch_ref, commit, 1, old,
						    "mech: push");
	else
		err = git_reference_create(&ref, remote, r->branch_ref, commit, 0, "mech: push");
	if (err == GIT_EMODIFIED || err == GIT_EEXISTS || err == GIT_ELOCKED) {
		rc = 0;
	} else if (err < 0) {
		/* the ref may have moved before a later step failed (its reflog): look */
		git_oid now;
		char *why = git_error_last() && git_error_last()->message
				    ? mech_strdup(git_error_last()->message)
				    : NULL;
		if (git_reference_name_to_id(&now, remote, r->branch_ref) == 0 &&
		    git_oid_equal(&now, commit)) {
			rc = 1;
		} else {
			git_error_set_str(GIT_ERROR_REFERENCE, why ? why : "unknown error");
			remote_error(r, "update", NULL);
		}
		free(why);
	} else {
		rc = 1;
	}
done:
	git_reference_free(ref);
	git_odb_free(src);
	git_odb_free(dst);
	git_repository_free(remote);
	return rc;
}

static const char *local_remote_path(const char *url)
{
	if (!strncmp(url, "file://", 7))
		return url + 7;
	return url[0] == '/' ? url : NULL;
}

/*
 * After a transport failure once the update may have reached the server:
 * fetch again and look. 2 the remote branch holds the commit (the mirror
 * now follows it), -1 it does not (MECH_EUNAVAILABLE) or cannot be known
 * (MECH_EMAYBE_LANDED: never "nothing was written").
 */
static int settle(mech_repo *r, const git_oid *commit, const char *why)
{
	git_oid head;
	int rc = -1;

	if (mech_repo_sync(r) < 0) {
		const mech_error *e = mech_error_last();
		char *again = mech_strdup(e && e->message ? e->message : "unknown error");
		mech_error_set(MECH_EMAYBE_LANDED,
			       "the push to %s may have landed: it failed (%s) after the update was "
			       "sent, and fetching again failed too (%s)",
			       r->remote_url, why, again);
		mech_error_hint("run `mech log -n 1` once the remote answers: it fetches the "
				"remote's branch and shows whether this receipt is on it; write "
				"again only if it is not");
		free(again);
	} else if (git_reference_name_to_id(&head, r->git, r->branch_ref) == 0 &&
		   (git_oid_equal(&head, commit) ||
		    git_graph_descendant_of(r->git, &head, commit) == 1)) {
		git_error_clear();
		rc = 2;
	} else {
		git_error_clear();
		mech_error_set(MECH_EUNAVAILABLE,
			       "cannot push to the Git remote %s: %s; fetched again, its branch "
			       "does not hold the commit",
			       r->remote_url, why);
		mech_error_hint("the remote kept its branch; retrying the command is safe once it "
				"answers");
	}
	return rc;
}

/* The remote's own words for a refusal that re-planning cannot change. */
static int refused(mech_repo *r, mech_error_code code, const remote_ctx *ctx)
{
	mech_buf msg = MECH_BUF_INIT;
	char q[MECH_ESCAPE_SIZE];
	mech_buf_printf(&msg, "the Git remote %s refused the push: %s", r->remote_url,
			mech_error_escape(q, ctx->rejected));
	append_said(&msg, &ctx->said);
	mech_error_set(code, "%s", mech_buf_cstr(&msg));
	mech_buf_dispose(&msg);
	if (code == MECH_EFORBIDDEN)
		return mech_error_hint("a hook or branch rule on the server declined the receipt "
				       "and retrying will not change that: ask whoever runs the "
				       "remote; nothing was written");
	return mech_error_hint("the server failed to store the receipt; nothing was written");
}

static int has(const char *s, const char *word)
{
	return s && strstr(s, word) != NULL;
}

/*
 * A status from push_update_reference. 0 the branch moved or its ref was
 * locked (re-plan), -1 a refusal (an error naming the server's reason).
 * git's receive-pack says "failed to update ref" both for a ref that moved
 * or was locked under it (its message names the lock) and for a server that
 * cannot write it: a re-fetched head tells them apart.
 */
static int classify_refusal(mech_repo *r, const git_oid *old, remote_ctx *ctx)
{
	const char *st = ctx->rejected, *said = mech_buf_cstr(&ctx->said);
	git_oid head;
	int have;

	if (has(st, "non-fast-forward") || has(st, "fetch first") || has(st, "stale info") ||
	    has(st, "failed to lock") || has(st, "cannot lock"))
		return 0;
	if (has(st, "unpack") || has(st, "missing necessary objects") || has(st, "bad pack") ||
	    has(st, "failed to write"))
		return refused(r, MECH_EUNAVAILABLE, ctx);
	if (!has(st, "failed to update ref"))
		return refused(r, MECH_EFORBIDDEN, ctx); /* a hook, a rule: final */
	if (has(said, "cannot lock ref") || has(said, "but expected") || has(said, ".lock'"))
		return 0;
	if (mech_repo_sync(r) < 0)
		return -1;
	have = git_reference_name_to_id(&head, r->git, r->branch_ref) == 0;
	git_error_clear();
	if (have != (old != NULL) || (have && !git_oid_equal(&head, old)))
		return 0;
	return refused(r, MECH_EUNAVAILABLE, ctx);
}

/*
 * A path on this machine takes push_local; any other remote gets a push
 * without force, which it refuses when its branch has moved on. 1 pushed,
 * 2 pushed and the mirror already follows the remote (a transport failure
 * settled by fetching again), 0 the remote moved (re-plan), -1 error.
 */
int mech_remote_push(mech_repo *r, const git_oid *old, const git_oid *commit)
{
	git_remote *remote = NULL;
	git_push_options po = GIT_PUSH_OPTIONS_INIT;
	git_reference *tmp = NULL;
	remote_ctx ctx = {r->cfg, 0, 0, NULL, MECH_BUF_INIT, r->remote_url};
	mech_deadline d;
	char *spec = mech_sprintf("%s:%s", PUSH_REF, r->branch_ref);
	char *specs[] = {spec};
	git_strarray refspecs = {specs, 1};
	char *why = NULL;
	int rc = -1, err;

	if (local_remote_path(r->remote_url)) {
		free(spec);
		return push_local(r, local_remote_path(r->remote_url), old, commit);
	}
	if (git_reference_create(&tmp, r->git, PUSH_REF, commit, 1, "mech: push") < 0) {
		mech_error_git(MECH_EFAILED, "cannot prepare the push");
		goto done;
	}
	if (remote_callbacks(&po.callbacks, &ctx) < 0)
		goto done;
	po.callbacks.push_update_reference = push_update_cb;
	po.callbacks.push_negotiation = push_negotiation_cb;
	po.callbacks.sideband_progress = sideband_cb;
	po.callbacks.payload = &ctx;
	if (mech_deadline_start(&d, r->cfg->gitops_timeout_ms) < 0)
		goto done;
	err = git_remote_create_anonymous(&remote, r->git, r->remote_url);
	if (err == 0)
		err = git_remote_push(remote, &refspecs, &po);
	if (err < 0 && err != GIT_ENONFASTFORWARD)
		why = git_reason(); /* before the teardown can replace it */
	git_remote_free(remote);
	remote = NULL;
	mech_deadline_stop(&d);
	if (why) {
		why = transport_reason(r, &d, why);
		if (ctx.sent)
			rc = settle(r, commit, why); /* the branch may have moved: look */
		else
			remote_error_why(r, "push to", mech_strdup(why));
	} else if (err == GIT_ENONFASTFORWARD) {
		rc = 0; /* the remote moved: re-plan on its new head */
	} else if (ctx.rejected) {
		rc = classify_refusal(r, old, &ctx);
	} else {
		rc = 1;
	}
done:
	if (tmp)
		git_reference_delete(tmp);
	git_reference_free(tmp);
	free(why);
	free(spec);
	free(ctx.rejected);
	mech_buf_dispose(&ctx.said);
	return rc;
}

/*
 * push_local copies what a commit adds to its parents, which the remote
 * has; a remote with no branch has none of them. Oldest first, so an
 * interrupted copy never leaves a commit whose parents are missing.
 */
static int copy_history(mech_repo *r, const char *path, const git_oid *head)
{
	git_repository *remote = NULL;
	git_odb *src = NULL, *dst = NULL;
	git_revwalk *walk = NULL;
	git_oid id;
	int rc = -1, err = 0;
	if (git_repository_open_bare(&remote, path) < 0 || git_repository_odb(&src, r->git) < 0 ||
	    git_repository_odb(&dst, remote) < 0 || git_revwalk_new(&walk, r->git) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0 ||
	    git_revwalk_push(walk, head) < 0)
		goto done;
	while (err == 0 && (err = git_revwalk_next(&id, walk)) == 0)
		err = copy_missing(src, dst, r->git, &id);
	rc = err == GIT_ITEROVER ? 0 : -1;
done:
	git_revwalk_free(walk);
	git_odb_free(src);
	git_odb_free(dst);
	git_repository_free(remote);
	return rc;
}

int mech_repo_publish(mech_repo *r)
{
	git_remote *remote = NULL;
	git_remote_callbacks cb = GIT_REMOTE_CALLBACKS_INIT;
	remote_ctx ctx = {r->cfg, 0, 0, NULL, MECH_BUF_INIT, r->remote_url};
	mech_deadline d;
	const git_remote_head **heads;
	git_oid head;
	size_t i, n = 0;
	int rc = -1, exists = 0;
	char *why = NULL;

	if (!r->remote_url || mech_repo_head(r, &head) < 0) {
		mech_error_clear();
		return 0;
	}
	if (remote_callbacks(&cb, &ctx) < 0)
		return -1;
	if (mech_deadline_start(&d, r->cfg->gitops_timeout_ms) < 0)
		return -1;
	if (git_remote_create_anonymous(&remote, r->git, r->remote_url) < 0 ||
	    git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL, NULL) < 0 ||
	    git_remote_ls(&heads, &n, remote) < 0)
		why = git_reason();
	else
		for (i = 0; i < n; i++)
			exists |= !strcmp(heads[i]->name, r->branch_ref);
	git_remote_free(remote); /* its connection's teardown is bounded too */
	remote = NULL;
	mech_deadline_stop(&d);
	if (why) {
		remote_error_why(r, "list the branches of", transport_reason(r, &d, why));
		goto done;
	}
	if (exists)
		rc = 0;
	else if (local_remote_path(r->remote_url) &&
		 copy_history(r, local_remote_path(r->remote_url), &head) < 0)
		remote_error(r, "write the history to", NULL);
	else
		rc = mech_remote_push(r, NULL, &head);
done:
	git_remote_free(remote);
	free(ctx.rejected);
	mech_buf_dispose(&ctx.said);
	return rc;
}
