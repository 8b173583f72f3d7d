/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_APP_H
#define MECH_APP_H

#include "mech/buf.h"
#include "mech/gitops.h"
#include "mech/layout.h"
#include "mech/receipt.h"

/*
 * App verbs: what each writes into apps/<app>/ (and network/routes/<app>/
 * on delete), and the desired state read back from Git.
 */

#define MECH_DEFAULT_PORT 8080
#define MECH_DEFAULT_REPLICAS 1

/** Who writes, and how (shared by every mutating verb). */
typedef struct {
	const mech_identity *author;
	int force;
	int dry_run;
} mech_write_opts;

/** Run a verb's plan as one transaction with the writer's options (every write verb). */
int mech_write_apply(mech_repo *repo, const mech_write_opts *w, const char *verb,
		     const char *target, int destructive, mech_plan_fn plan, void *payload,
		     mech_txn_result *res);

typedef struct {
	const char *name;
	const char *image;
	int port;
	int replicas;
	const mech_strv *env;
	const char *instance; /* NULL: main */
} mech_app_create_opts;

int mech_app_create(mech_repo *repo, const mech_write_opts *w, const mech_app_create_opts *o,
		    mech_txn_result *res);
/** `instance` NULL: the app's only instance (refused with 64 when it has several). */
int mech_app_set_image(mech_repo *repo, const mech_write_opts *w, const char *app,
		       const char *instance, const char *image, mech_txn_result *res);
int mech_app_deploy(mech_repo *repo, const mech_write_opts *w, const char *app,
		    const char *instance, const char *tag, mech_txn_result *res);
int mech_app_delete(mech_repo *repo, const mech_write_opts *w, const char *app,
		    mech_txn_result *res);
int mech_app_instance_add(mech_repo *repo, const mech_write_opts *w, const char *app,
			  const char *instance, const char *from, mech_txn_result *res);
int mech_app_instance_remove(mech_repo *repo, const mech_write_opts *w, const char *app,
			     const char *instance, mech_txn_result *res);

/* ---- desired state, from Git ---- */

typedef struct {
	char *name;
	char *image;
	char *overlay_path;
	mech_writer writer; /* last writer of the overlay */
	char *route_path;   /* NULL when no route */
	char *route_host;
} mech_instance_state;

typedef struct {
	char *name;
	char *base_image;
	int port;
	int replicas;
	mech_instance_state *instances;
	size_t ninstances;
	mech_strv files;      /* every file under apps/<name>/ */
	mech_writer *writers; /* last writer per file */
} mech_app_state;

/**
 * Set MECH_ENOT_FOUND for `app`, with a "did you mean" hint when one of
 * `apps` (names; may be NULL) is near it. Returns -1.
 */
int mech_app_not_found(mech_repo *repo, const char *app, const mech_strv *apps);

/** All apps at the branch head (sorted by name). */
int mech_app_list(mech_repo *repo, mech_app_state **out, size_t *n);
/** One app; MECH_ENOT_FOUND when absent. */
int mech_app_get(mech_repo *repo, const char *app, mech_app_state **out);
void mech_app_state_free(mech_app_state *apps, size_t n);
/** Resolve an instance name against an app (NULL + one instance → it; NULL + several → 64). */
int mech_app_pick_instance(const mech_app_state *app, const char *instance,
			   const mech_instance_state **out);
/** Inside a plan: the instance a verb acts on (NULL: the only one). Caller frees *out. */
int mech_app_plan_instance(mech_txn *txn, mech_repo *repo, const char *app, const char *instance,
			   char **out);
/** Inside a plan: is `path` a route file mech owns (managed-by label)? */
int mech_app_owned_route(mech_txn *txn, const char *path);
/**
 * Inside a plan: bring the instance's overlay, and its route when mech owns
 * it, from the names of repositories written before MECH_LAYOUT_SEP to
 * today's (docs/formats.md, "Names"). Nothing when they already have them.
 */
int mech_app_plan_rename_legacy(mech_txn *txn, const char *app, const char *instance);
/** Last writer of a path at the head. */
int mech_repo_last_writer(mech_repo *repo, const char *path, mech_writer *out);

#endif
