/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_LASTWRITER_H
#define MECH_LASTWRITER_H

#include <git2.h>

#include "mech/buf.h"
#include "mech/config.h"
#include "mech/receipt.h"

/*
 * The last writer of a path: the commit `git log -1 -- <path>` reports on
 * the branch head (git's default history simplification), with its class.
 *
 * Answered from an index stamped with the tip it was built at and kept in
 * a file under MECH_HOME/cache. Moving it to a new tip walks only the new
 * commits (tip_old..tip_new) and re-resolves only the paths they touched;
 * a missing or unusable index, or a tip that is no longer a descendant
 * (force push), triggers a full rebuild. The index holds no state that
 * cannot be rebuilt from Git.
 */

typedef struct mech_lastwriter mech_lastwriter;

/** Load the index from `file` (absent or corrupt → empty, rebuilt on update). */
int mech_lastwriter_open(mech_lastwriter **out, git_repository *repo, const mech_config *cfg,
			 const char *file);
/**
 * Catch up with the index file as other processes left it since it was
 * read: when they only appended deltas (a write each), only those are read;
 * otherwise the file is read again, as mech_lastwriter_open does. A write
 * opens its index before it queues for the tenant lock and reloads it once
 * it holds the lock. 0.
 */
int mech_lastwriter_reload(mech_lastwriter *lw);
/**
 * Move the index from `parent`, where it is, to `commit`, a commit on it
 * alone whose changed files are `paths` (every one of them), written by
 * this process: the `n` paths take `commit` (of class `cls`) as their last
 * writer, and the move is appended to the file as one delta, as
 * mech_lastwriter_update() would append after walking the commit. A write
 * records its own commit this way while it holds the tenant lock, so that
 * the next write finds the index at the head it builds on. Nothing is done
 * when the index is elsewhere. 0.
 */
int mech_lastwriter_record(mech_lastwriter *lw, const git_oid *parent, const git_oid *commit,
			   mech_class cls, const char *const *paths, size_t n);
/** Bring the index to `tip`, persisting it when it moved. */
int mech_lastwriter_update(mech_lastwriter *lw, const git_oid *tip);
/**
 * The last writer of `path` at the index tip; commit is zero when never
 * written. Reads only the snapshot blocks the search touches; a damaged one
 * rebuilds the index from Git at the same tip (as a damaged file does on
 * open) before answering.
 */
int mech_lastwriter_get(mech_lastwriter *lw, const char *path, mech_writer *out);
/** Statistics of the last update, for benchmarks and tests. */
void mech_lastwriter_stats(const mech_lastwriter *lw, size_t *commits_walked, int *rebuilt);
/**
 * Bytes of the index file read and checked since it was opened: the header
 * and block table, the deltas, and each snapshot block a lookup touched.
 */
size_t mech_lastwriter_bytes_read(const mech_lastwriter *lw);
void mech_lastwriter_free(mech_lastwriter *lw);

/**
 * The last writer of `path` from `start` by walking history directly (no
 * index): the reference the index is tested against, and the fallback for
 * the rare walk that leaves the new commits through another ancestor.
 */
int mech_lastwriter_walk(git_repository *repo, const git_oid *start, const char *path, git_oid *out);

/**
 * The files (and submodules) whose entry differs between trees `a` and `b`
 * (either NULL: empty), appended to `out` in tree order: the comparison the
 * index makes, reading only subtrees whose ids differ, so its cost follows
 * the change and not the tree (`mech show`).
 */
int mech_tree_changed_files(git_repository *repo, const git_tree *a, const git_tree *b,
			    mech_strv *out);

#endif
