/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_ADDON_H
#define MECH_ADDON_H

#include "mech/app.h"

/*
 * Addons: addons/<name>/ outside apps/, so deleting an app never deletes
 * its data. The catalog is one table: types, their parameters and bounds.
 */

typedef struct {
	const char *name;
	const char *help;
	const char *def;
	const char *min; /* quantity or integer bounds; NULL for a choice */
	const char *max;
	const char *choices; /* "17|18" */
	int create_only;     /* cannot be changed after create */
} mech_addon_param;

typedef struct {
	const char *type;
	const char *summary;
	const char *kind; /* the Kubernetes kind written */
	const mech_addon_param *params;
	size_t nparams;
} mech_addon_type;

const mech_addon_type *mech_addon_types(size_t *n);
const mech_addon_type *mech_addon_type_find(const char *type);

typedef struct {
	const char *name;
	const char *type;
	const char *version; /* NULL: default */
	const char *storage;
	const char *memory;
} mech_addon_opts;

int mech_addon_create(mech_repo *repo, const mech_write_opts *w, const mech_addon_opts *o,
		      mech_txn_result *res);
/** Change parameters after create; only those not create-only (memory). */
int mech_addon_set(mech_repo *repo, const mech_write_opts *w, const mech_addon_opts *o,
		   mech_txn_result *res);
/**
 * `addon -n NAME link -a APP [-i I] [--env E]`: the instance's env E
 * (default DATABASE_URL) from the addon's Secret, key uri (env.yaml, as
 * `env set E --from-secret NAME-app:uri`). unlink removes E (NULL: every
 * entry naming the addon's Secret). core/verbs/app_config.c.
 */
int mech_addon_link(mech_repo *repo, const mech_write_opts *w, const char *addon, const char *app,
		    const char *instance, const char *env, mech_txn_result *res);
int mech_addon_unlink(mech_repo *repo, const mech_write_opts *w, const char *addon, const char *app,
		      const char *instance, const char *env, mech_txn_result *res);
/** One link: app/instance's env `env` reads addon `addon`'s Secret. */
typedef struct {
	char *addon, *app, *instance, *env;
} mech_addon_link_info;
/**
 * Every link at the head (an env entry of an instance's desired state whose
 * secretKeyRef names an addon's Secret), only `addon`'s and only `app`'s
 * when not NULL; by app, instance, addon.
 */
int mech_addon_links(mech_repo *repo, const char *addon, const char *app,
		     mech_addon_link_info **out, size_t *n);
void mech_addon_links_free(mech_addon_link_info *l, size_t n);
/** MECH_ENOT_FOUND for addon `name`, with "did you mean" from `names` (may be NULL). -1. */
int mech_addon_not_found(mech_repo *repo, const char *name, const mech_strv *names);

/** Destructive: always needs --force. */
int mech_addon_delete(mech_repo *repo, const mech_write_opts *w, const char *name,
		      mech_txn_result *res);

typedef struct {
	char *name;
	char *type;
	char *version;
	char *storage;
	char *memory;
	int instances;
	char *file;
	mech_writer writer;
} mech_addon_state;

/*
 * How an app reaches an addon: the read-write Service in the tenant's
 * namespace, the database and user, and the Secret (and its key) holding
 * the credentials. Never the password: only the Secret's non-secret fields
 * are read (mech_kube_pg_secret_get).
 */
typedef struct {
	char *host; /* <service>.<ns>.svc */
	int port;
	char *database;
	char *user;
	char *secret;           /* the Secret's name */
	const char *secret_key; /* MECH_LAYOUT_ADDON_SECRET_KEY */
	const char *env;        /* MECH_LAYOUT_ADDON_LINK_ENV, what `addon link` names it */
	int secret_exists; /* the Secret was read (else the values are CloudNativePG's defaults) */
	int secret_unread; /* reading it failed for another reason than its absence */
} mech_addon_conn;

typedef struct mech_kube mech_kube;
/**
 * The connection facts of addon `name` in namespace `ns`: from its Secret
 * when `k` is given and the Secret can be read, else CloudNativePG's
 * defaults. Never fails; a failed read leaves no error set.
 */
void mech_addon_connection(mech_kube *k, const char *ns, const char *name, mech_addon_conn *out);
void mech_addon_conn_dispose(mech_addon_conn *c);

int mech_addon_list(mech_repo *repo, mech_addon_state **out, size_t *n);
int mech_addon_get(mech_repo *repo, const char *name, mech_addon_state **out);
void mech_addon_state_free(mech_addon_state *a, size_t n);

#endif
