/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_DL_H
#define MECH_DL_H

#include <stddef.h>

/*
 * Libraries only some commands need (libcurl for live state, libmicrohttpd
 * for `mech sim`) are loaded on first use instead of at start-up: loading
 * them, and the forty-odd libraries they pull in, cost more than a whole
 * write does (bench/RESULTS.md). A module lists the functions it calls in
 * an X-macro and routes each name through a table of pointers:
 *
 *	#define FOO_SYMBOLS(X) X(foo_init) X(foo_free)
 *	static struct { FOO_SYMBOLS(MECH_DL_FIELD) } foo;
 *	static const char *const foo_names[] = { FOO_SYMBOLS(MECH_DL_NAME) };
 *	mech_dl_load("libfoo.so.1", "libfoo1", foo_names, (void **)&foo, n);
 *	#define foo_init (*foo.foo_init)
 */
#define MECH_DL_FIELD(f) __typeof__(f) *f;
#define MECH_DL_NAME(f) #f,

/**
 * dlopen `soname` and resolve `n` symbols into `slots` (a struct of `n`
 * function pointers). Fails with MECH_EUNAVAILABLE naming the library and
 * the Debian package that provides it; nothing is kept loaded on failure.
 */
int mech_dl_load(const char *soname, const char *package, const char *const *names, void **slots,
		 size_t n);

#endif
