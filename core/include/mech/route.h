/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_ROUTE_H
#define MECH_ROUTE_H

#include "mech/app.h"

/*
 * Routes: network/routes/<app>/<instance>.yaml, a Gateway API v1 HTTPRoute
 * mech owns. Anything else under network/ is the user's and never touched.
 */

typedef struct {
	const char *app;
	const char *instance; /* NULL: the app's only instance */
	const char *host;     /* NULL: <app>[-<instance>].<tenant>.<base_domain> */
	const char *path;     /* NULL: "/" */
} mech_route_opts;

int mech_route_create(mech_repo *repo, const mech_write_opts *w, const mech_route_opts *o,
		      mech_txn_result *res);
int mech_route_delete(mech_repo *repo, const mech_write_opts *w, const char *app,
		      const char *instance, mech_txn_result *res);

typedef struct {
	char *app;
	char *instance;
	char *host;
	char *path;
	char *file;
	int owned;          /* carries mech's managed-by label */
	mech_writer writer; /* last writer of the file */
} mech_route_state;

/** Routes at the branch head; `app` NULL for all. */
int mech_route_list(mech_repo *repo, const char *app, mech_route_state **out, size_t *n);
void mech_route_state_free(mech_route_state *r, size_t n);

#endif
