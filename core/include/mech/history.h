/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_HISTORY_H
#define MECH_HISTORY_H

#include <stddef.h>

#include "mech/buf.h"
#include "mech/gitops.h"
#include "mech/receipt.h"

/*
 * Receipts as history: `mech log` and `mech show`. Path filtering follows
 * `git log -- PATH` (default history simplification), so the two agree.
 */

typedef struct {
	char commit[GIT_OID_HEXSZ + 1];
	mech_class cls;
	char *verb;   /* NULL for human commits */
	char *target; /* NULL for human commits */
	char *author; /* "Name <email>" */
	char *committer;
	char *date; /* author date, ISO 8601 UTC */
	long long time;
	char *subject;
	char *message;
	mech_forced_over *forced;
	size_t nforced;
	/* per forced[i], after mech_history_mark_overridden: 1 the path at the
	 * head still differs from the human's version, 0 restored or
	 * superseded, -1 unknown (the human commit is missing); NULL before */
	int *still_overridden;
	size_t nparents;
	/* a receipt's body facts (NULL when absent, and always for human commits) */
	char *image;    /* "image: REF" */
	char *instance; /* "instance: NAME" */
} mech_log_entry;

typedef struct {
	const char *path;  /* NULL: all commits */
	mech_class cls;    /* MECH_CLASS_NONE: any */
	size_t max;        /* 0: no limit */
	const char *start; /* NULL: the branch head */
} mech_log_opts;

/** Receipts matching `o`, newest first, after bringing the repo up to date with its remote. */
int mech_history_log(mech_repo *repo, const mech_log_opts *o, mech_log_entry **out, size_t *n);
/** The same without the remote sync (the caller synced, e.g. the console on refresh). */
int mech_history_walk(mech_repo *repo, const mech_log_opts *o, mech_log_entry **out, size_t *n);
/**
 * Receipts matching `o` among the commits added since `since`: reachable
 * from the head (or o->start) but not from `since`, newest first, without
 * a remote sync; no path filter. Returns 1 with nothing when the head does
 * not descend from `since` (history was rewritten): read it all again then.
 */
int mech_history_walk_since(mech_repo *repo, const mech_log_opts *o, const git_oid *since,
			    mech_log_entry **out, size_t *n);
void mech_log_entries_free(mech_log_entry *e, size_t n);
/** A revision (sha or prefix, branch, HEAD~N) as a commit id; MECH_ENOT_FOUND otherwise. */
int mech_history_resolve(mech_repo *repo, const char *rev, git_oid *out);

typedef struct {
	char *path;
	char status; /* 'A', 'M', 'D' */
} mech_file_change;

/** One commit with its files (against its first parent) and a unified diff. */
int mech_history_show(mech_repo *repo, const char *rev, mech_log_entry *entry,
		      mech_file_change **files, size_t *nfiles, mech_buf *diff);
void mech_file_changes_free(mech_file_change *f, size_t n);
/** A diff as `git diff` prints its patch, appended to out (show's format). libgit2's result. */
int mech_diff_patch(git_diff *diff, mech_buf *out);
/**
 * Fill each entry's still_overridden: compare every forced-over path at
 * the branch head with the human's version at the overridden commit.
 */
int mech_history_mark_overridden(mech_repo *repo, mech_log_entry *e, size_t n);

/** An operator's review of a forced receipt: a note under refs/notes/mechanics-review. */
#define MECH_REVIEW_NOTES_REF "refs/notes/mechanics-review"
typedef struct {
	char *by;      /* "Name <email>" */
	char *at;      /* ISO 8601 UTC */
	char *comment; /* NULL without one */
} mech_review;

/**
 * Mark the forced receipt `rev` reviewed: a note authored by `name <email>`
 * (committed by the machine identity) under the tenant lock. A commit that
 * is not a forced receipt: MECH_EINVALID; an unknown rev: MECH_ENOT_FOUND.
 */
int mech_history_review(mech_repo *repo, const char *rev, const char *name, const char *email,
			const char *comment, char commit[GIT_OID_HEXSZ + 1], mech_review *out);
/** The review note of `commit`: 1 and *out filled, 0 when none. */
int mech_history_reviewed(mech_repo *repo, const char *commit, mech_review *out);
void mech_review_dispose(mech_review *r);

/** A later forced receipt that overrode one path of a commit (`show`'s `overridden_by`). */
typedef struct {
	char commit[GIT_OID_HEXSZ + 1];
	char *verb;   /* NULL if the subject does not parse */
	char *target; /* NULL without a Mechanics-Target trailer */
	char *path;
} mech_override;

/**
 * The forced receipts on the branch whose Mechanics-Forced-Over trailers
 * name `commit` (full hex id), newest first, one per (receipt, path);
 * no remote sync (call after mech_history_show).
 */
int mech_history_overridden_by(mech_repo *repo, const char *commit, mech_override **out, size_t *n);
void mech_overrides_free(mech_override *o, size_t n);
/** Fill an entry from a commit. */
void mech_log_entry_from_commit(mech_log_entry *e, const git_commit *c, const mech_config *cfg);
void mech_log_entry_dispose(mech_log_entry *e);

/*
 * How long ago, as `mech log` and the console print it: "5s", "3m", "2h",
 * "4d" (the largest whole unit; a negative age reads "0s").
 */
void mech_age_text(long long seconds, char *buf, size_t len);
/** The first age after `seconds` that mech_age_text writes differently. */
long long mech_age_next(long long seconds);

#endif
