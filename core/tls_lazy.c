/*
 * Debian's libgit2 uses mbedTLS and parses the whole system CA bundle
 * inside git_libgit2_init(): about 10 ms on every mech run (measured with
 * perf; most of `mech --version` was base64 decoding of certificates),
 * while mech talks to an https Git remote rarely. One command per SSH
 * connection puts start-up on every request's path (DESIGN §12), so the
 * parse is deferred: this definition interposes libgit2's call, remembers
 * the arguments, and mech_tls_load() performs the real parse the first
 * time an https remote is used.
 */
#include "mech/buf.h"
#include "mech/gitops.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

typedef int (*parse_fn)(void *chain, const char *path);

static void *deferred_chain;
static char *deferred_path;
static int loading;

static parse_fn real_parse(void)
{
	return (parse_fn)dlsym(RTLD_NEXT, "mbedtls_x509_crt_parse_file");
}

int mbedtls_x509_crt_parse_file(void *chain, const char *path);
int mbedtls_x509_crt_parse_file(void *chain, const char *path)
{
	parse_fn real;
	if (!loading && !deferred_chain) {
		deferred_chain = chain;
		free(deferred_path);
		deferred_path = mech_strdup(path);
		return 0;
	}
	real = real_parse();
	return real ? real(chain, path) : -1;
}

void mech_tls_load(void)
{
	parse_fn real;
	if (!deferred_chain || loading)
		return;
	loading = 1;
	real = real_parse();
	if (real)
		real(deferred_chain, deferred_path);
	free(deferred_path);
	deferred_path = NULL;
}
