/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_APP_H
#define MECH_APP_H

#include "mech/buf.h"
#include "mech/gitops.h"
#include "mech/history.h"
#include "mech/layout.h"
#include "mech/manifest.h"
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

/* ---- after create: scale and env (core/verbs/app_config.c) ---- */

/** `app scale`: replicas 0-100 into the instance's replicas.yaml (or its overlay entry). */
int mech_app_scale(mech_repo *repo, const mech_write_opts *w, const char *app, const char *instance,
		   int replicas, mech_txn_result *res);

typedef struct {
	const char *app;
	const char *instance;    /* NULL: the only instance */
	int all_instances;       /* the base Deployment's env instead of an instance's env.yaml */
	const mech_strv *vars;   /* set: KEY=VALUE… (with from_secret: one KEY); unset: KEY… */
	const char *from_secret; /* SECRET:KEY, or NULL */
} mech_app_env_opts;

int mech_app_env_set(mech_repo *repo, const mech_write_opts *w, const mech_app_env_opts *o,
		     mech_txn_result *res);
int mech_app_env_unset(mech_repo *repo, const mech_write_opts *w, const mech_app_env_opts *o,
		       mech_txn_result *res);

/**
 * One receipt putting app/instance's own files (its overlay directory) back
 * as they were at `to`; `to` NULL: before the instance's last image change.
 * Trailer Mechanics-Rollback-To.
 */
int mech_app_rollback(mech_repo *repo, const mech_write_opts *w, const char *app,
		      const char *instance, const char *to, mech_txn_result *res);
/**
 * One receipt undoing commit `rev`'s changes to the files mech manages (apps/,
 * network/routes/, addons/) by a three-way merge, as `git revert`; trailer
 * Mechanics-Reverts. `skipped` (may be NULL) gets the other paths it changed.
 */
int mech_revert(mech_repo *repo, const mech_write_opts *w, const char *rev, mech_txn_result *res,
		mech_strv *skipped);

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

/** What one instance asks Kubernetes to run, as Git says at some commit. */
typedef struct {
	int exists;    /* the instance's overlay is there */
	char *image;   /* the image after the overlay's images entry; NULL when unknown */
	int replicas;  /* the overlay's replicas entry, else the base Deployment's */
	mech_strv env; /* the container's env as NAME=VALUE (a secret: NAME=<from secret S:KEY>) */
	mech_env_var *vars; /* the same env: the base's merged with the instance's env.yaml */
	size_t nvars;
} mech_app_desired;

/** The desired state of app/instance in `tree` (any commit's). 0, or -1 on a read error. */
int mech_app_desired_at(git_repository *git, git_tree *tree, const char *app, const char *instance,
			mech_app_desired *out);
void mech_app_desired_dispose(mech_app_desired *d);
/** The env (and the rest of the desired state) of one instance at the head; *picked its name. */
int mech_app_env_list(mech_repo *repo, const char *app, const char *instance, mech_app_desired *out,
		      char **picked);

/** One change to an instance's desired state. */
typedef struct {
	char *field; /* "instance", "image", "replicas", "env.NAME" */
	char *from;  /* NULL: absent before */
	char *to;    /* NULL: absent after */
} mech_app_change;

/** A commit that changed an instance's desired state, and how. */
typedef struct {
	mech_log_entry log;
	mech_app_desired state; /* after the commit */
	mech_app_change *changes;
	size_t nchanges;
} mech_app_history_entry;

/**
 * Every commit (receipt or human) that changed app/instance's desired state,
 * newest first, at most `max` (0: all). `instance` NULL: the app's only
 * instance at the head.
 */
int mech_app_history(mech_repo *repo, const char *app, const char *instance, size_t max,
		     mech_app_history_entry **out, size_t *n);
void mech_app_history_free(mech_app_history_entry *h, size_t n);

/** All apps at the branch head (sorted by name), every last writer filled. */
int mech_app_list(mech_repo *repo, mech_app_state **out, size_t *n);
/** For mech_app_list_filled: fill `writers`, the last writer of every file of an app. */
#define MECH_APP_FILE_WRITERS 1u
/**
 * mech_app_list with only what `fill` asks for besides the overlays' last
 * writers, which are always filled; without MECH_APP_FILE_WRITERS each app's
 * `writers` is NULL. Such a listing is not one to bring up to date with
 * mech_app_list_update, which keeps the writers of the apps it does not read.
 */
int mech_app_list_filled(mech_repo *repo, unsigned fill, mech_app_state **out, size_t *n);
/**
 * Bring `*apps`, listed at commit `from`, to the branch head (set in `at`):
 * only the apps whose directory or routes differ between the two are read
 * again; the others keep their state and last writers, which a head that
 * continues `from` cannot have changed. With no `from`, or a head that is not
 * a descendant of it (history rewritten), it lists them all. For a process
 * that keeps the listing (the console): each write costs what it changed.
 */
int mech_app_list_update(mech_repo *repo, const git_oid *from, mech_app_state **apps, size_t *n,
			 git_oid *at);
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
