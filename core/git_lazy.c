/*
 * What libgit2 needs only for network transports, paid for on first use.
 *
 * One command per SSH connection puts process start-up on every request
 * (DESIGN §12), and mech talks to a Git remote over https, ssh or Kerberos
 * rarely. Yet Debian's libgit2 does all of it inside git_libgit2_init():
 *
 *  - mbedTLS: parses the whole system CA bundle (most of `mech --version`
 *    was base64 decoding of certificates), and sets up its entropy pool
 *    and a CTR-DRBG seeded from it, which spin on a hardware clock;
 *  - libssh2: libssh2_init() registers every OpenSSL algorithm and engine;
 *  - GSSAPI: linking Kerberos' library loads seven shared libraries.
 *
 * With the archives linked (CMake option MECH_STATIC_DEPS), libgit2's calls
 * are routed here by `ld --wrap` (MECH_WRAPPED_DEPS): the CA parse waits
 * for mech_tls_load(), the entropy pool and the DRBG are set up before the
 * first random bytes are drawn, libssh2 initialises itself when the first session is made
 * (libssh2_session_init_ex calls libssh2_init_if_needed), and GSSAPI is
 * loaded by dlopen (mech/dl.h) when a server first asks for Negotiate.
 * Linked against the shared libraries instead, only the CA parse is
 * deferred, by interposing its symbol.
 */
#include "mech/dl.h"
#include "mech/buf.h"
#include "mech/error.h"
#include "mech/gitops.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- mbedTLS: the CA bundle ---- */

#ifdef MECH_WRAPPED_DEPS
int __real_mbedtls_x509_crt_parse_file(void *chain, const char *path);
int __wrap_mbedtls_x509_crt_parse_file(void *chain, const char *path);
#define CRT_PARSE_FILE __wrap_mbedtls_x509_crt_parse_file

static int real_crt_parse_file(void *chain, const char *path)
{
	return __real_mbedtls_x509_crt_parse_file(chain, path);
}
#else
int mbedtls_x509_crt_parse_file(void *chain, const char *path);
#define CRT_PARSE_FILE mbedtls_x509_crt_parse_file

static int real_crt_parse_file(void *chain, const char *path)
{
	int (*real)(void *, const char *);
	void *sym = dlsym(RTLD_NEXT, "mbedtls_x509_crt_parse_file");
	if (!sym)
		return -1;
	memcpy(&real, &sym, sizeof(real));
	return real(chain, path);
}
#endif

static void *deferred_chain;
static char *deferred_path;
static int loading;

int CRT_PARSE_FILE(void *chain, const char *path)
{
	if (!loading && !deferred_chain) {
		deferred_chain = chain;
		free(deferred_path);
		deferred_path = mech_strdup(path);
		return 0;
	}
	return real_crt_parse_file(chain, path);
}

void mech_tls_load(void)
{
	if (!deferred_chain || loading)
		return;
	loading = 1;
	real_crt_parse_file(deferred_chain, deferred_path);
	free(deferred_path);
	deferred_path = NULL;
}

#ifdef MECH_WRAPPED_DEPS

/* ---- mbedTLS: the random generator, seeded before its first use ---- */

/*
 * mbedtls_entropy_init() already gathers (HAVEGE fills its pool by timing
 * loops), so the entropy context waits too: it is set up right before the
 * generator that draws from it is seeded.
 */
typedef int (*entropy_fn)(void *, unsigned char *, size_t);

void __real_mbedtls_entropy_init(void *ctx);
void __wrap_mbedtls_entropy_init(void *ctx);
void __real_mbedtls_entropy_free(void *ctx);
void __wrap_mbedtls_entropy_free(void *ctx);
int __real_mbedtls_ctr_drbg_seed(void *ctx, entropy_fn f_entropy, void *p_entropy,
				 const unsigned char *custom, size_t len);
int __real_mbedtls_ctr_drbg_random(void *ctx, unsigned char *out, size_t len);
int __wrap_mbedtls_ctr_drbg_seed(void *ctx, entropy_fn f_entropy, void *p_entropy,
				 const unsigned char *custom, size_t len);
int __wrap_mbedtls_ctr_drbg_random(void *ctx, unsigned char *out, size_t len);

static void *deferred_entropy;

void __wrap_mbedtls_entropy_init(void *ctx)
{
	if (deferred_entropy) /* one context is deferred; any other is set up now */
		__real_mbedtls_entropy_init(ctx);
	else
		deferred_entropy = ctx;
}

/* a context still waiting was never set up: there is nothing to free */
void __wrap_mbedtls_entropy_free(void *ctx)
{
	if (ctx && ctx == deferred_entropy)
		deferred_entropy = NULL;
	else
		__real_mbedtls_entropy_free(ctx);
}

static void entropy_ready(void *ctx)
{
	if (ctx && ctx == deferred_entropy) {
		__real_mbedtls_entropy_init(ctx);
		deferred_entropy = (void *)&deferred_entropy; /* done: matches no context */
	}
}

static struct {
	void *ctx;
	entropy_fn f_entropy;
	void *p_entropy;
	unsigned char *custom;
	size_t len;
} drbg;

int __wrap_mbedtls_ctr_drbg_seed(void *ctx, entropy_fn f_entropy, void *p_entropy,
				 const unsigned char *custom, size_t len)
{
	if (drbg.ctx) { /* one context is deferred; any other is seeded now */
		entropy_ready(p_entropy);
		return __real_mbedtls_ctr_drbg_seed(ctx, f_entropy, p_entropy, custom, len);
	}
	drbg.ctx = ctx;
	drbg.f_entropy = f_entropy;
	drbg.p_entropy = p_entropy;
	drbg.custom = len ? mech_calloc(1, len) : NULL;
	if (len)
		memcpy(drbg.custom, custom, len);
	drbg.len = len;
	return 0;
}

int __wrap_mbedtls_ctr_drbg_random(void *ctx, unsigned char *out, size_t len)
{
	if (drbg.ctx == ctx && drbg.f_entropy) {
		int rc;
		entropy_ready(drbg.p_entropy);
		rc = __real_mbedtls_ctr_drbg_seed(ctx, drbg.f_entropy, drbg.p_entropy, drbg.custom,
						  drbg.len);
		drbg.f_entropy = NULL;
		free(drbg.custom);
		drbg.custom = NULL;
		if (rc)
			return rc;
	}
	return __real_mbedtls_ctr_drbg_random(ctx, out, len);
}

/* ---- libssh2: initialised by the first session ---- */

int __wrap_libssh2_init(int flags);
int __wrap_libssh2_init(int flags)
{
	(void)flags;
	return 0;
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
OM_uint32 gss_init_sec_context(OM_uint32 *minor, void *cred, void **ctx, void *target,
			       gss_OID mech, OM_uint32 flags, OM_uint32 time, void *bindings,
			       gss_buffer_desc *in, gss_OID *actual, gss_buffer_desc *out,
			       OM_uint32 *ret_flags, OM_uint32 *time_rec);

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
					 (void **)&gss, sizeof(gss_names) / sizeof(*gss_names)) ? -1
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

OM_uint32 gss_init_sec_context(OM_uint32 *minor, void *cred, void **ctx, void *target,
			       gss_OID mech, OM_uint32 flags, OM_uint32 time, void *bindings,
			       gss_buffer_desc *in, gss_OID *actual, gss_buffer_desc *out,
			       OM_uint32 *ret_flags, OM_uint32 *time_rec)
{
	return gss_load(minor) ? gss.gss_init_sec_context(minor, cred, ctx, target, mech, flags,
							  time, bindings, in, actual, out,
							  ret_flags, time_rec)
			       : GSS_S_FAILURE;
}

#endif /* MECH_WRAPPED_DEPS */
