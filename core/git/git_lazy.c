/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What libgit2 needs only for network transports, paid for on first use.
 *
 * One command per SSH connection puts process start-up on every request
 * (DESIGN §12), and mech talks to a Git remote over https, ssh or Kerberos
 * rarely. Yet Debian's libgit2 does all of it inside git_libgit2_init():
 *
 *  - mbedTLS: parses the whole system CA bundle (about 5 ms of CPU, six
 *    times the rest of a start: bench/RESULTS.md);
 *  - libssh2: libssh2_init() registers every OpenSSL algorithm and engine,
 *    and linking it brings OpenSSL's relocated tables into every start;
 *  - GSSAPI: linking Kerberos' library loads seven shared libraries.
 *
 * The CA parse waits for the first TLS session, in every build: linked
 * from the archives (CMake option MECH_STATIC_DEPS, MECH_WRAPPED_DEPS here)
 * libgit2's two calls are routed here by `ld --wrap`, linked against the
 * shared libraries mech's definitions interpose on mbedTLS's.
 * With the archives only, libssh2 is loaded by dlopen (mech/dl.h) and
 * initialises itself when the first session is made, and GSSAPI is loaded
 * the same way when a server first asks for Negotiate; a libgit2.so links
 * both itself, and mech leaves them alone.
 *
 * mbedTLS's random generator is not touched: libgit2 seeds it at start-up.
 */
#include "mech/dl.h"
#include "mech/buf.h"
#include "mech/error.h"

#include <dlfcn.h>
#ifdef MECH_WRAPPED_DEPS
#include <libssh2.h>
#endif
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- mbedTLS: the CA bundle, parsed before the first TLS session ---- */

/*
 * git_libgit2_init() parses the bundle into a chain and points its one TLS
 * configuration at it. Here that first parse is only recorded, and done
 * when libgit2 sets up a TLS session (mbedtls_ssl_setup, for every https
 * connection whatever URL or redirect led to it), before any handshake can
 * read the chain: every peer is verified against the same chain as without
 * the deferral, and a chain that failed to parse is left empty, as libgit2
 * leaves none, so verification fails closed (tests/cli/tls_remote.sh).
 * If the configuration points at another chain by then (libgit2 replaced
 * the deferred one, and freed it), the deferred parse is dropped.
 */
#ifdef MECH_WRAPPED_DEPS
int __real_mbedtls_x509_crt_parse_file(mbedtls_x509_crt *chain, const char *path);
int __wrap_mbedtls_x509_crt_parse_file(mbedtls_x509_crt *chain, const char *path);
int __real_mbedtls_ssl_setup(mbedtls_ssl_context *ssl, const mbedtls_ssl_config *conf);
int __wrap_mbedtls_ssl_setup(mbedtls_ssl_context *ssl, const mbedtls_ssl_config *conf);
#define CRT_PARSE_FILE __wrap_mbedtls_x509_crt_parse_file
#define SSL_SETUP __wrap_mbedtls_ssl_setup
#define REAL(fn) __real_##fn
#else
#define CRT_PARSE_FILE mbedtls_x509_crt_parse_file
#define SSL_SETUP mbedtls_ssl_setup
#define REAL(fn) (*(__typeof__(&fn))real_symbol(#fn))

/* the definition after mech's own, in mbedTLS's shared library */
static void *real_symbol(const char *name)
{
	void *sym = dlsym(RTLD_NEXT, name);
	if (!sym) {
		fprintf(stderr, "mech: %s not found in the loaded mbedTLS: %s\n", name, dlerror());
		abort(); /* no parse or TLS session can be made without it */
	}
	return sym;
}
#endif

/* the configuration's layout is libmbedtls' ABI (its soname; CMake links it for that) */
#ifdef MBEDTLS_PRIVATE /* mbedTLS 3 names its members through this */
#define CONF_CA_CHAIN(conf) ((conf)->MBEDTLS_PRIVATE(ca_chain))
#else
#define CONF_CA_CHAIN(conf) ((conf)->ca_chain)
#endif

static pthread_mutex_t ca_lock = PTHREAD_MUTEX_INITIALIZER;
static enum { CA_NONE, CA_DEFERRED, CA_DONE } ca_state;
static mbedtls_x509_crt *ca_chain;
static char *ca_path;

int CRT_PARSE_FILE(mbedtls_x509_crt *chain, const char *path)
{
	pthread_mutex_lock(&ca_lock);
	if (ca_state == CA_NONE) {
		ca_state = CA_DEFERRED;
		ca_chain = chain;
		ca_path = mech_strdup(path);
		pthread_mutex_unlock(&ca_lock);
		return 0;
	}
	if (ca_state == CA_DEFERRED) {
		/*
		 * A second parse is libgit2 setting other locations
		 * (GIT_OPT_SET_SSL_CERT_LOCATIONS: gitops.ca_file). It frees the
		 * deferred chain, whose address a new chain may then reuse:
		 * drop the deferred parse now, or the system's CAs would be
		 * parsed into that chain at the first TLS session.
		 */
		ca_state = CA_DONE;
		free(ca_path);
		ca_path = NULL;
	}
	pthread_mutex_unlock(&ca_lock);
	return REAL(mbedtls_x509_crt_parse_file)(chain, path);
}

int SSL_SETUP(mbedtls_ssl_context *ssl, const mbedtls_ssl_config *conf)
{
	pthread_mutex_lock(&ca_lock);
	if (ca_state == CA_DEFERRED) {
		ca_state = CA_DONE;
		if (CONF_CA_CHAIN(conf) == ca_chain &&
		    REAL(mbedtls_x509_crt_parse_file)(ca_chain, ca_path) < 0) {
			/* what libgit2 keeps of a bundle that does not parse: no CA */
			mbedtls_x509_crt_free(ca_chain);
			mbedtls_x509_crt_init(ca_chain);
		}
		free(ca_path);
		ca_path = NULL;
	}
	pthread_mutex_unlock(&ca_lock);
	return REAL(mbedtls_ssl_setup)(ssl, conf);
}

#ifdef MECH_WRAPPED_DEPS

/* ---- libssh2: loaded with the first session ---- */

/*
 * libssh2 is built on OpenSSL, whose archive is most of the relocated data
 * a position-independent mech would map and patch at every start (340 KB
 * of .data.rel.ro: half the page faults of `mech --version`). Only ssh://
 * remotes need it, so libgit2's calls land here and the shared library is
 * opened by the first session. Every other call takes a session (or
 * something made from one), so it finds the library loaded.
 */
#define SSH2_SYMBOLS(X)                                                                            \
	X(libssh2_agent_connect)                                                                   \
	X(libssh2_agent_disconnect)                                                                \
	X(libssh2_agent_free)                                                                      \
	X(libssh2_agent_get_identity)                                                              \
	X(libssh2_agent_init)                                                                      \
	X(libssh2_agent_list_identities)                                                           \
	X(libssh2_agent_userauth)                                                                  \
	X(libssh2_channel_close)                                                                   \
	X(libssh2_channel_free)                                                                    \
	X(libssh2_channel_open_ex)                                                                 \
	X(libssh2_channel_process_startup)                                                         \
	X(libssh2_channel_read_ex)                                                                 \
	X(libssh2_channel_set_blocking)                                                            \
	X(libssh2_channel_write_ex)                                                                \
	X(libssh2_exit)                                                                            \
	X(libssh2_hostkey_hash)                                                                    \
	X(libssh2_knownhost_checkp)                                                                \
	X(libssh2_knownhost_free)                                                                  \
	X(libssh2_knownhost_init)                                                                  \
	X(libssh2_knownhost_readfile)                                                              \
	X(libssh2_session_abstract)                                                                \
	X(libssh2_session_disconnect_ex)                                                           \
	X(libssh2_session_free)                                                                    \
	X(libssh2_session_handshake)                                                               \
	X(libssh2_session_hostkey)                                                                 \
	X(libssh2_session_init_ex)                                                                 \
	X(libssh2_session_last_error)                                                              \
	X(libssh2_session_method_pref)                                                             \
	X(libssh2_session_set_blocking)                                                            \
	X(libssh2_userauth_authenticated)                                                          \
	X(libssh2_userauth_keyboard_interactive_ex)                                                \
	X(libssh2_userauth_list)                                                                   \
	X(libssh2_userauth_password_ex)                                                            \
	X(libssh2_userauth_publickey)                                                              \
	X(libssh2_userauth_publickey_fromfile_ex)                                                  \
	X(libssh2_userauth_publickey_frommemory)

static struct {
	SSH2_SYMBOLS(MECH_DL_FIELD)
} ssh2;
static const char *const ssh2_names[] = {SSH2_SYMBOLS(MECH_DL_NAME)};
static int ssh2_state; /* 0 not tried, 1 loaded, -1 unavailable */

static int ssh2_load(void)
{
	if (!ssh2_state) {
		ssh2_state = mech_dl_load("libssh2.so.1", "libssh2-1", ssh2_names, (void **)&ssh2,
					  sizeof(ssh2_names) / sizeof(*ssh2_names))
				     ? -1
				     : 1;
		/* libgit2 reports the session it could not make; the reason goes to stderr */
		if (ssh2_state < 0) {
			fprintf(stderr, "mech: %s\n", mech_error_last()->message);
			mech_error_clear();
		}
	}
	return ssh2_state > 0;
}

/* libgit2 calls this from git_libgit2_init(); the library sets itself up with its first session */
int libssh2_init(int flags)
{
	(void)flags;
	return 0;
}

void libssh2_exit(void)
{
	if (ssh2_state > 0)
		ssh2.libssh2_exit();
}

LIBSSH2_SESSION *libssh2_session_init_ex(LIBSSH2_ALLOC_FUNC((*my_alloc)),
					 LIBSSH2_FREE_FUNC((*my_free)),
					 LIBSSH2_REALLOC_FUNC((*my_realloc)), void *abstract)
{
	return ssh2_load() ? ssh2.libssh2_session_init_ex(my_alloc, my_free, my_realloc, abstract)
			   : NULL;
}

/* the rest need a session, so the library is loaded; ssh2_load() only checks */
#define SSH2_CALL(fn, fail, ...) return ssh2_load() ? ssh2.fn(__VA_ARGS__) : fail

int libssh2_agent_connect(LIBSSH2_AGENT *agent)
{
	SSH2_CALL(libssh2_agent_connect, LIBSSH2_ERROR_INVAL, agent);
}

int libssh2_agent_disconnect(LIBSSH2_AGENT *agent)
{
	SSH2_CALL(libssh2_agent_disconnect, LIBSSH2_ERROR_INVAL, agent);
}

void libssh2_agent_free(LIBSSH2_AGENT *agent)
{
	if (ssh2_load())
		ssh2.libssh2_agent_free(agent);
}

int libssh2_agent_get_identity(LIBSSH2_AGENT *agent, struct libssh2_agent_publickey **store,
			       struct libssh2_agent_publickey *prev)
{
	SSH2_CALL(libssh2_agent_get_identity, LIBSSH2_ERROR_INVAL, agent, store, prev);
}

LIBSSH2_AGENT *libssh2_agent_init(LIBSSH2_SESSION *session)
{
	SSH2_CALL(libssh2_agent_init, NULL, session);
}

int libssh2_agent_list_identities(LIBSSH2_AGENT *agent)
{
	SSH2_CALL(libssh2_agent_list_identities, LIBSSH2_ERROR_INVAL, agent);
}

int libssh2_agent_userauth(LIBSSH2_AGENT *agent, const char *username,
			   struct libssh2_agent_publickey *identity)
{
	SSH2_CALL(libssh2_agent_userauth, LIBSSH2_ERROR_INVAL, agent, username, identity);
}

int libssh2_channel_close(LIBSSH2_CHANNEL *channel)
{
	SSH2_CALL(libssh2_channel_close, LIBSSH2_ERROR_INVAL, channel);
}

int libssh2_channel_free(LIBSSH2_CHANNEL *channel)
{
	SSH2_CALL(libssh2_channel_free, LIBSSH2_ERROR_INVAL, channel);
}

LIBSSH2_CHANNEL *libssh2_channel_open_ex(LIBSSH2_SESSION *session, const char *channel_type,
					 unsigned int channel_type_len, unsigned int window_size,
					 unsigned int packet_size, const char *message,
					 unsigned int message_len)
{
	SSH2_CALL(libssh2_channel_open_ex, NULL, session, channel_type, channel_type_len,
		  window_size, packet_size, message, message_len);
}

int libssh2_channel_process_startup(LIBSSH2_CHANNEL *channel, const char *request,
				    unsigned int request_len, const char *message,
				    unsigned int message_len)
{
	SSH2_CALL(libssh2_channel_process_startup, LIBSSH2_ERROR_INVAL, channel, request,
		  request_len, message, message_len);
}

ssize_t libssh2_channel_read_ex(LIBSSH2_CHANNEL *channel, int stream_id, char *buf, size_t buflen)
{
	SSH2_CALL(libssh2_channel_read_ex, LIBSSH2_ERROR_INVAL, channel, stream_id, buf, buflen);
}

void libssh2_channel_set_blocking(LIBSSH2_CHANNEL *channel, int blocking)
{
	if (ssh2_load())
		ssh2.libssh2_channel_set_blocking(channel, blocking);
}

ssize_t libssh2_channel_write_ex(LIBSSH2_CHANNEL *channel, int stream_id, const char *buf,
				 size_t buflen)
{
	SSH2_CALL(libssh2_channel_write_ex, LIBSSH2_ERROR_INVAL, channel, stream_id, buf, buflen);
}

const char *libssh2_hostkey_hash(LIBSSH2_SESSION *session, int hash_type)
{
	SSH2_CALL(libssh2_hostkey_hash, NULL, session, hash_type);
}

int libssh2_knownhost_checkp(LIBSSH2_KNOWNHOSTS *hosts, const char *host, int port, const char *key,
			     size_t keylen, int typemask, struct libssh2_knownhost **knownhost)
{
	SSH2_CALL(libssh2_knownhost_checkp, LIBSSH2_KNOWNHOST_CHECK_FAILURE, hosts, host, port, key,
		  keylen, typemask, knownhost);
}

void libssh2_knownhost_free(LIBSSH2_KNOWNHOSTS *hosts)
{
	if (ssh2_load())
		ssh2.libssh2_knownhost_free(hosts);
}

LIBSSH2_KNOWNHOSTS *libssh2_knownhost_init(LIBSSH2_SESSION *session)
{
	SSH2_CALL(libssh2_knownhost_init, NULL, session);
}

int libssh2_knownhost_readfile(LIBSSH2_KNOWNHOSTS *hosts, const char *filename, int type)
{
	SSH2_CALL(libssh2_knownhost_readfile, LIBSSH2_ERROR_INVAL, hosts, filename, type);
}

void **libssh2_session_abstract(LIBSSH2_SESSION *session)
{
	SSH2_CALL(libssh2_session_abstract, NULL, session);
}

int libssh2_session_disconnect_ex(LIBSSH2_SESSION *session, int reason, const char *description,
				  const char *lang)
{
	SSH2_CALL(libssh2_session_disconnect_ex, LIBSSH2_ERROR_INVAL, session, reason, description,
		  lang);
}

int libssh2_session_free(LIBSSH2_SESSION *session)
{
	SSH2_CALL(libssh2_session_free, LIBSSH2_ERROR_INVAL, session);
}

int libssh2_session_handshake(LIBSSH2_SESSION *session, libssh2_socket_t sock)
{
	SSH2_CALL(libssh2_session_handshake, LIBSSH2_ERROR_INVAL, session, sock);
}

const char *libssh2_session_hostkey(LIBSSH2_SESSION *session, size_t *len, int *type)
{
	SSH2_CALL(libssh2_session_hostkey, NULL, session, len, type);
}

int libssh2_session_last_error(LIBSSH2_SESSION *session, char **errmsg, int *errmsg_len,
			       int want_buf)
{
	SSH2_CALL(libssh2_session_last_error, LIBSSH2_ERROR_INVAL, session, errmsg, errmsg_len,
		  want_buf);
}

int libssh2_session_method_pref(LIBSSH2_SESSION *session, int method_type, const char *prefs)
{
	SSH2_CALL(libssh2_session_method_pref, LIBSSH2_ERROR_INVAL, session, method_type, prefs);
}

void libssh2_session_set_blocking(LIBSSH2_SESSION *session, int blocking)
{
	if (ssh2_load())
		ssh2.libssh2_session_set_blocking(session, blocking);
}

int libssh2_userauth_authenticated(LIBSSH2_SESSION *session)
{
	SSH2_CALL(libssh2_userauth_authenticated, 0, session);
}

int libssh2_userauth_keyboard_interactive_ex(
	LIBSSH2_SESSION *session, const char *username, unsigned int username_len,
	LIBSSH2_USERAUTH_KBDINT_RESPONSE_FUNC((*response_callback)))
{
	SSH2_CALL(libssh2_userauth_keyboard_interactive_ex, LIBSSH2_ERROR_INVAL, session, username,
		  username_len, response_callback);
}

char *libssh2_userauth_list(LIBSSH2_SESSION *session, const char *username,
			    unsigned int username_len)
{
	SSH2_CALL(libssh2_userauth_list, NULL, session, username, username_len);
}

int libssh2_userauth_password_ex(LIBSSH2_SESSION *session, const char *username,
				 unsigned int username_len, const char *password,
				 unsigned int password_len,
				 LIBSSH2_PASSWD_CHANGEREQ_FUNC((*passwd_change_cb)))
{
	SSH2_CALL(libssh2_userauth_password_ex, LIBSSH2_ERROR_INVAL, session, username,
		  username_len, password, password_len, passwd_change_cb);
}

int libssh2_userauth_publickey(LIBSSH2_SESSION *session, const char *username,
			       const unsigned char *pubkeydata, size_t pubkeydata_len,
			       LIBSSH2_USERAUTH_PUBLICKEY_SIGN_FUNC((*sign_callback)),
			       void **abstract)
{
	SSH2_CALL(libssh2_userauth_publickey, LIBSSH2_ERROR_INVAL, session, username, pubkeydata,
		  pubkeydata_len, sign_callback, abstract);
}

int libssh2_userauth_publickey_fromfile_ex(LIBSSH2_SESSION *session, const char *username,
					   unsigned int username_len, const char *publickey,
					   const char *privatekey, const char *passphrase)
{
	SSH2_CALL(libssh2_userauth_publickey_fromfile_ex, LIBSSH2_ERROR_INVAL, session, username,
		  username_len, publickey, privatekey, passphrase);
}

int libssh2_userauth_publickey_frommemory(LIBSSH2_SESSION *session, const char *username,
					  size_t username_len, const char *publickeyfiledata,
					  size_t publickeyfiledata_len,
					  const char *privatekeyfiledata,
					  size_t privatekeyfiledata_len, const char *passphrase)
{
	SSH2_CALL(libssh2_userauth_publickey_frommemory, LIBSSH2_ERROR_INVAL, session, username,
		  username_len, publickeyfiledata, publickeyfiledata_len, privatekeyfiledata,
		  privatekeyfiledata_len, passphrase);
}

/* ---- GSSAPI (Negotiate authentication): loaded when first called ---- */

/*
 * RFC 2744's C bindings, with the opaque handle types as void *: calls are
 * only passed through, and every handle is a pointer in Kerberos' ABI.
 */
typedef uint32_t OM_uint32;
typedef struct {
	OM_uint32 length;
	void *elements;
} gss_OID_desc;
typedef gss_OID_desc *gss_OID;
typedef struct {
	size_t length;
	void *value;
} gss_buffer_desc;

OM_uint32 gss_import_name(OM_uint32 *minor, gss_buffer_desc *name, gss_OID type, void **out);
OM_uint32 gss_release_name(OM_uint32 *minor, void **name);
OM_uint32 gss_release_buffer(OM_uint32 *minor, gss_buffer_desc *buffer);
OM_uint32 gss_delete_sec_context(OM_uint32 *minor, void **ctx, gss_buffer_desc *out);
OM_uint32 gss_display_status(OM_uint32 *minor, OM_uint32 status, int type, gss_OID mech,
			     OM_uint32 *more, gss_buffer_desc *text);
OM_uint32 gss_indicate_mechs(OM_uint32 *minor, void **mechs);
OM_uint32 gss_release_oid_set(OM_uint32 *minor, void **set);
OM_uint32 gss_init_sec_context(OM_uint32 *minor, void *cred, void **ctx, void *target, gss_OID mech,
			       OM_uint32 flags, OM_uint32 time, void *bindings, gss_buffer_desc *in,
			       gss_OID *actual, gss_buffer_desc *out, OM_uint32 *ret_flags,
			       OM_uint32 *time_rec);

/* RFC 2744 §4.4: {iso(1) member-body(2) US(840) mit(113554) infosys(1) gssapi(2) generic(1) service_name(4)} */
static gss_OID_desc hostbased_service = {10, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x04"};
gss_OID GSS_C_NT_HOSTBASED_SERVICE = &hostbased_service;

#define GSS_SYMBOLS(X)                                                                             \
	X(gss_import_name)                                                                         \
	X(gss_release_name)                                                                        \
	X(gss_release_buffer)                                                                      \
	X(gss_delete_sec_context)                                                                  \
	X(gss_display_status)                                                                      \
	X(gss_indicate_mechs)                                                                      \
	X(gss_release_oid_set)                                                                     \
	X(gss_init_sec_context)

static struct {
	GSS_SYMBOLS(MECH_DL_FIELD)
} gss;
static const char *const gss_names[] = {GSS_SYMBOLS(MECH_DL_NAME)};
static int gss_state; /* 0 not tried, 1 loaded, -1 unavailable */

#define GSS_S_FAILURE (13u << 16)

static int gss_load(OM_uint32 *minor)
{
	if (!gss_state) {
		gss_state = mech_dl_load("libgssapi_krb5.so.2", "libgssapi-krb5-2", gss_names,
					 (void **)&gss, sizeof(gss_names) / sizeof(*gss_names))
				    ? -1
				    : 1;
		mech_error_clear(); /* libgit2 reports the failed authentication */
	}
	if (minor)
		*minor = 0;
	return gss_state > 0;
}

OM_uint32 gss_import_name(OM_uint32 *minor, gss_buffer_desc *name, gss_OID type, void **out)
{
	return gss_load(minor) ? gss.gss_import_name(minor, name, type, out) : GSS_S_FAILURE;
}

OM_uint32 gss_release_name(OM_uint32 *minor, void **name)
{
	return gss_load(minor) ? gss.gss_release_name(minor, name) : GSS_S_FAILURE;
}

OM_uint32 gss_release_buffer(OM_uint32 *minor, gss_buffer_desc *buffer)
{
	return gss_load(minor) ? gss.gss_release_buffer(minor, buffer) : GSS_S_FAILURE;
}

OM_uint32 gss_delete_sec_context(OM_uint32 *minor, void **ctx, gss_buffer_desc *out)
{
	return gss_load(minor) ? gss.gss_delete_sec_context(minor, ctx, out) : GSS_S_FAILURE;
}

OM_uint32 gss_display_status(OM_uint32 *minor, OM_uint32 status, int type, gss_OID mech,
			     OM_uint32 *more, gss_buffer_desc *text)
{
	return gss_load(minor) ? gss.gss_display_status(minor, status, type, mech, more, text)
			       : GSS_S_FAILURE;
}

OM_uint32 gss_indicate_mechs(OM_uint32 *minor, void **mechs)
{
	return gss_load(minor) ? gss.gss_indicate_mechs(minor, mechs) : GSS_S_FAILURE;
}

OM_uint32 gss_release_oid_set(OM_uint32 *minor, void **set)
{
	return gss_load(minor) ? gss.gss_release_oid_set(minor, set) : GSS_S_FAILURE;
}

OM_uint32 gss_init_sec_context(OM_uint32 *minor, void *cred, void **ctx, void *target, gss_OID mech,
			       OM_uint32 flags, OM_uint32 time, void *bindings, gss_buffer_desc *in,
			       gss_OID *actual, gss_buffer_desc *out, OM_uint32 *ret_flags,
			       OM_uint32 *time_rec)
{
	return gss_load(minor)
		       ? gss.gss_init_sec_context(minor, cred, ctx, target, mech, flags, time,
						  bindings, in, actual, out, ret_flags, time_rec)
		       : GSS_S_FAILURE;
}

#endif /* MECH_WRAPPED_DEPS */
