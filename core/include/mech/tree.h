/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_TREE_H
#define MECH_TREE_H

#include <git2.h>
#include <stddef.h>

#include "mech/buf.h"

/*
 * Reading a Git tree by path: the files and directories of a commit, for
 * read-only commands and for a transaction's plan (which sees its own
 * writes on top, mech/gitops.h). A missing path is an answer (0), not an
 * error.
 */

/** Read a file from a tree (NULL: empty); 1 found, 0 absent, -1 error (e.g. larger than max). */
int mech_tree_read(git_repository *repo, git_tree *tree, const char *path, size_t max,
		   mech_buf *out);
/** Entry names of a directory in a tree (sorted); 0 when absent. */
int mech_tree_list(git_repository *repo, git_tree *tree, const char *dir, mech_strv *out);
/** Every file path under `dir`, recursively, as "dir/…" in tree order; 0 when dir is absent. */
int mech_tree_list_files(git_repository *repo, git_tree *tree, const char *dir, mech_strv *out);
/**
 * Write the tree `base` (NULL: empty) with the files `ups` written or
 * removed, as git_tree_create_updated() does and with the same bytes and
 * id; its id in *out. Only the directories on the changed paths are
 * written, each spliced from its base's entries in one pass instead of
 * rebuilt and sorted (at 10,000 apps, a fifth of a write's CPU). What the
 * splice does not take (a directory replaced by a file or the reverse,
 * names libgit2 would check, a base tree out of git's order) is handed to
 * git_tree_create_updated() whole, before anything is written.
 * 1 when spliced (then the files whose entries differ from the base's are
 * exactly those of `ups` whose id or mode differs), 0 when handed over,
 * -1 with libgit2's error.
 */
int mech_tree_update(git_oid *out, git_repository *repo, git_tree *base, size_t n,
		     const git_tree_update *ups);

#endif
