/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Paths in a Git tree: a file's bytes, a directory's entries, every file
 * below a directory. libgit2 answers one entry at a time; these are the
 * questions verbs ask.
 */
#include "mech/tree.h"
#include "mech/error.h"

#include <stdlib.h>

int mech_tree_read(git_repository *repo, git_tree *tree, const char *path, size_t max, mech_buf *out)
{
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	int rc;
	if (!tree || git_tree_entry_bypath(&e, tree, path) < 0) {
		git_error_clear();
		return 0;
	}
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		git_tree_entry_free(e);
		return 0;
	}
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0) {
		git_tree_entry_free(e);
		return mech_error_git(MECH_EFAILED, "cannot read blob");
	}
	if (max && (size_t)git_blob_rawsize(blob) > max) {
		rc = mech_error_set(MECH_EINVALID, "%s is larger than %zu bytes", path, max);
	} else {
		mech_buf_clear(out);
		mech_buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
		rc = 1;
	}
	git_blob_free(blob);
	git_tree_entry_free(e);
	return rc;
}

static int subtree(git_repository *repo, git_tree *tree, const char *dir, git_tree **out)
{
	git_tree_entry *e = NULL;
	int rc;
	*out = NULL;
	if (!tree)
		return 0;
	if (!*dir)
		return git_tree_dup(out, tree) < 0 ? -1 : 1;
	if (git_tree_entry_bypath(&e, tree, dir) < 0) {
		git_error_clear();
		return 0;
	}
	rc = git_tree_entry_type(e) == GIT_OBJECT_TREE &&
	     git_tree_lookup(out, repo, git_tree_entry_id(e)) == 0;
	git_tree_entry_free(e);
	return rc;
}

int mech_tree_list(git_repository *repo, git_tree *tree, const char *dir, mech_strv *out)
{
	git_tree *t;
	size_t i;
	if (subtree(repo, tree, dir, &t) <= 0)
		return 0;
	for (i = 0; i < git_tree_entrycount(t); i++)
		mech_strv_push(out, git_tree_entry_name(git_tree_entry_byindex(t, i)));
	git_tree_free(t);
	mech_strv_sort(out);
	return 1;
}

static void list_files_rec(git_repository *repo, git_tree *t, const char *prefix, mech_strv *out)
{
	size_t i;
	for (i = 0; i < git_tree_entrycount(t); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		char *p = mech_sprintf("%s%s", prefix, git_tree_entry_name(e));
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
			git_tree *sub;
			if (git_tree_lookup(&sub, repo, git_tree_entry_id(e)) == 0) {
				char *pp = mech_sprintf("%s/", p);
				list_files_rec(repo, sub, pp, out);
				free(pp);
				git_tree_free(sub);
			}
		} else {
			mech_strv_push(out, p);
		}
		free(p);
	}
}

int mech_tree_list_files(git_repository *repo, git_tree *tree, const char *dir, mech_strv *out)
{
	git_tree *t;
	char *prefix;
	if (subtree(repo, tree, dir, &t) <= 0)
		return 0;
	prefix = mech_sprintf("%s/", dir);
	list_files_rec(repo, t, prefix, out);
	free(prefix);
	git_tree_free(t);
	return 1;
}
