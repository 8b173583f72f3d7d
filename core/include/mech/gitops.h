/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_GITOPS_H
#define MECH_GITOPS_H

#include <git2.h>
#include <stddef.h>

#include "mech/buf.h"
#include "mech/config.h"
#include "mech/receipt.h"
/* every verb that writes also opens the repo and reads its trees */
#include "mech/repo.h"
#include "mech/tree.h"

/*
 * GitOps transactions (DESIGN §5): a verb states its intent as a plan
 * function; the transaction runs it against the branch head, checks the
 * write policy for every path it touches, builds the new tree in the
 * object database, commits once and moves the branch by compare-and-swap
 * under the tenant lock. With a remote it fetches, plans on the remote
 * head and pushes; a rejected push re-plans (re-running the protection
 * check) a bounded number of times. A write that leaves the tenant's packs
 * due for merging notes it for mech_maint_run() (mech/maint.h).
 */

typedef struct mech_txn mech_txn;

typedef enum { MECH_CHANGE_CREATE, MECH_CHANGE_UPDATE, MECH_CHANGE_DELETE } mech_change_action;

/** One path a transaction writes, with the policy verdict for it. */
typedef struct {
	char *path;
	mech_change_action action;
	char *data; /* new bytes (create/update) */
	size_t len;
	mech_writer writer; /* last writer of the path before this change (commit zero if none) */
	int needs_force;    /* last writer is human */
} mech_change;

typedef struct {
	char *name;
	char *email;
} mech_identity;

/** A verb's intent. Runs once per attempt, against a fresh head. */
typedef int (*mech_plan_fn)(mech_txn *txn, void *payload);

typedef struct {
	const char *verb;   /* canonical id, e.g. "app.create" */
	const char *target; /* e.g. "app/web" */
	const mech_identity *author;
	int force;
	int dry_run;
	int destructive; /* always needs --force (data is lost) */
	mech_plan_fn plan;
	void *payload;
} mech_txn_opts;

typedef struct {
	mech_change *changes;
	size_t nchanges;
	char commit[GIT_OID_HEXSZ + 1]; /* "" when nothing changed or dry run */
	char *subject;
	char *message;
	mech_forced_over *forced;
	size_t nforced;
	int attempts;
	int destructive;    /* the verb always needs --force, whoever wrote the paths */
	mech_strv warnings; /* one line each: the write stands, but the user should know */
} mech_txn_result;

/** Run a transaction. On MECH_EREFUSED the last error carries the conflicts. */
int mech_gitops_apply(mech_repo *repo, const mech_txn_opts *opts, mech_txn_result *out);
void mech_txn_result_dispose(mech_txn_result *res);

/* ---- inside a plan function ---- */

/** Read a file at the planned head (as modified so far by this plan). 1 = found, 0 = absent. */
int mech_txn_read(mech_txn *txn, const char *path, mech_buf *out);
/** Does a path (file or directory) exist at the planned head? */
int mech_txn_exists(mech_txn *txn, const char *path);
/** Names of the entries of a directory at the planned head (sorted). 0 if absent. */
int mech_txn_list(mech_txn *txn, const char *dir, mech_strv *out);
/** All file paths under a directory, recursively (sorted). */
int mech_txn_list_files(mech_txn *txn, const char *dir, mech_strv *out);
/** Plan a write (create or update); identical bytes plan nothing. */
void mech_txn_write(mech_txn *txn, const char *path, const char *data, size_t len);
void mech_txn_write_buf(mech_txn *txn, const char *path, const mech_buf *b);
/** Plan a delete of a file. */
void mech_txn_delete(mech_txn *txn, const char *path);
/** Subject summary (after "mechanics(<verb>): ") and body lines for the receipt. */
void mech_txn_summary(mech_txn *txn, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mech_txn_body(mech_txn *txn, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** A trailer of this verb's own after the standard ones ("Mechanics-Reverts", sha). */
void mech_txn_trailer(mech_txn *txn, const char *key, const char *value);
/** The tree the plan starts from (the branch head's; NULL on an unborn branch). Borrowed. */
git_tree *mech_txn_base(mech_txn *txn);

#endif
