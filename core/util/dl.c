/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Run-time loading of optional libraries; see mech/dl.h for why.
 */
#include "mech/dl.h"

#include "mech/error.h"

#include <dlfcn.h>
#include <string.h>

int mech_dl_load(const char *soname, const char *package, const char *const *names, void **slots,
		 size_t n)
{
	void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	size_t i;

	if (!lib) {
		mech_error_set(MECH_EUNAVAILABLE, "cannot load %s: %s", soname, dlerror());
		return mech_error_hint("install the %s package", package);
	}
	for (i = 0; i < n; i++) {
		/* POSIX: a function pointer is read through a void * slot */
		void *sym = dlsym(lib, names[i]);

		if (!sym) {
			mech_error_set(MECH_EUNAVAILABLE, "%s has no %s: %s", soname, names[i],
				       dlerror());
			memset(slots, 0, n * sizeof(*slots));
			dlclose(lib);
			return mech_error_hint("install a current %s package", package);
		}
		memcpy(&slots[i], &sym, sizeof(sym));
	}
	return 0; /* the library stays loaded for the life of the process */
}
