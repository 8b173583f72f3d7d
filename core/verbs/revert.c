/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Undo as receipts. `revert REV` undoes one commit's changes to the files
 * mech manages, as `git revert` would (a three-way merge: the commit as
 * base, the head as ours, its parent as theirs), so later changes to other
 * lines stay. `app rollback` puts one instance's own files back as they
 * were at a commit. Both are one receipt under the write policy: a later
 * human edit of a path needs --force, as for any verb.
 */
#include "mech/app.h"
#include "mech/error.h"
#include "mech/history.h"
#include "mech/tree.h"
#include "mech/validate.h"

#include <stdlib.h>
#include <string.h>

#define MAX_FILE (1024 * 1024)

/*
 * Paths mech writes for apps, routes and addons: files in a directory of
 * apps/, network/routes/ or addons/ (not the seed's README files, nor
 * argocd/, which an operator applies).
 */
static int managed_path(const char *path)
{
	static const char *const dirs[] = {MECH_LAYOUT_APPS "/", MECH_LAYOUT_ROUTES "/",
					   MECH_LAYOUT_ADDONS "/"};
	size_t i, n;
	for (i = 0; i < sizeof(dirs) / sizeof(*dirs); i++) {
		n = strlen(dirs[i]);
		if (!strncmp(path, dirs[i], n) && strchr(path + n, '/'))
			return 1;
	}
	return 0;
}

typedef struct {
	mech_repo *repo;
	git_oid commit;
	char *short_id;
	char *subject;
	mech_strv skipped; /* paths the commit changed that mech does not manage */
} revert_ctx;

static int plan_revert(mech_txn *txn, void *payload)
{
	revert_ctx *c = payload;
	git_repository *git = mech_repo_git(c->repo);
	git_commit *commit = NULL, *parent = NULL;
	git_tree *tree = NULL, *ptree = NULL, *base = mech_txn_base(txn);
	git_index *merged = NULL;
	git_diff *d = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;
	int rc = -1;

	mech_strv_dispose(&c->skipped);
	if (git_commit_lookup(&commit, git, &c->commit) < 0 || git_commit_tree(&tree, commit) < 0 ||
	    (git_commit_parentcount(commit) &&
	     (git_commit_parent(&parent, commit, 0) < 0 || git_commit_tree(&ptree, parent) < 0))) {
		mech_error_git(MECH_EFAILED, "cannot read the commit to revert");
		goto done;
	}
	/* git revert: merge (commit -> parent) into the head, with the commit as base */
	if (git_merge_trees(&merged, git, tree, base, ptree, NULL) < 0) {
		mech_error_git(MECH_EFAILED, "cannot merge the revert");
		goto done;
	}
	if (git_index_has_conflicts(merged)) {
		const git_index_entry *anc, *ours, *theirs;
		git_index_conflict_iterator *it = NULL;
		mech_buf paths = MECH_BUF_INIT;
		if (git_index_conflict_iterator_new(&it, merged) == 0) {
			while (git_index_conflict_next(&anc, &ours, &theirs, it) == 0) {
				const char *p = ours     ? ours->path
						: theirs ? theirs->path
							 : anc->path;
				mech_buf_printf(&paths, "%s%s", paths.len ? ", " : "", p);
			}
			git_index_conflict_iterator_free(it);
		}
		mech_error_set(MECH_EFAILED,
			       "cannot revert %s: later commits changed the same lines of %s",
			       c->short_id, paths.len ? paths.ptr : "its files");
		mech_buf_dispose(&paths);
		mech_error_hint("see them with `mech log --path PATH`; undo by hand in a clone, or "
				"revert the later commits first");
		goto done;
	}
	/* what the commit changed: only those paths are planned */
	if (git_diff_tree_to_tree(&d, git, ptree, tree, NULL) < 0) {
		mech_error_git(MECH_EFAILED, "cannot read the commit to revert");
		goto done;
	}
	for (i = 0; i < git_diff_num_deltas(d); i++) {
		const git_diff_delta *dd = git_diff_get_delta(d, i);
		const char *path = dd->new_file.path ? dd->new_file.path : dd->old_file.path;
		const git_index_entry *e;
		git_blob *blob = NULL;
		if (!managed_path(path)) {
			mech_strv_push(&c->skipped, path);
			continue;
		}
		e = git_index_get_bypath(merged, path, 0);
		if (!e) {
			if (mech_txn_exists(txn, path) > 0)
				mech_txn_delete(txn, path);
			continue;
		}
		if (git_blob_lookup(&blob, git, &e->id) < 0) {
			mech_error_git(MECH_EFAILED, "cannot read a file of the revert");
			goto done;
		}
		mech_txn_write(txn, path, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
		git_blob_free(blob);
	}
	git_oid_tostr(hex, sizeof(hex), &c->commit);
	mech_txn_summary(txn, "revert %s (%s)", c->short_id, c->subject);
	mech_txn_trailer(txn, "Mechanics-Reverts", hex);
	rc = 0;
done:
	git_diff_free(d);
	git_index_free(merged);
	git_tree_free(tree);
	git_tree_free(ptree);
	git_commit_free(commit);
	git_commit_free(parent);
	return rc;
}

/* REV as a commit on the branch (not merely in the object store). */
static int resolve_on_branch(mech_repo *repo, const char *rev, git_oid *out)
{
	git_oid head;
	char q[MECH_ESCAPE_SIZE];
	if (!*rev || *rev == '-') {
		mech_error_set(MECH_EINVALID, "invalid revision \"%s\"", mech_error_escape(q, rev));
		return mech_error_hint("use a commit sha from `mech log`, HEAD or HEAD~N");
	}
	if (mech_repo_sync(repo) < 0 || mech_history_resolve(repo, rev, out) < 0 ||
	    mech_repo_head(repo, &head) < 0)
		return -1;
	if (!git_oid_equal(&head, out) &&
	    git_graph_descendant_of(mech_repo_git(repo), &head, out) != 1) {
		git_error_clear();
		mech_error_set(MECH_EINVALID, "revision \"%s\" is not on %s's branch",
			       mech_error_escape(q, rev), mech_repo_tenant(repo));
		return mech_error_hint("use a commit sha from `mech log`");
	}
	return 0;
}

int mech_revert(mech_repo *repo, const mech_write_opts *w, const char *rev, mech_txn_result *res,
		mech_strv *skipped)
{
	revert_ctx c;
	git_commit *commit = NULL;
	char hex[GIT_OID_HEXSZ + 1], *target;
	int rc;

	memset(&c, 0, sizeof(c));
	c.repo = repo;
	if (resolve_on_branch(repo, rev, &c.commit) < 0)
		return -1;
	if (git_commit_lookup(&commit, mech_repo_git(repo), &c.commit) < 0)
		return mech_error_git(MECH_EFAILED, "cannot read the revision");
	if (git_commit_parentcount(commit) > 1) {
		git_commit_free(commit);
		mech_error_set(MECH_EINVALID, "%s is a merge commit: which side to undo is unclear",
			       rev);
		return mech_error_hint("revert the commits the merge brought in, one by one");
	}
	git_oid_tostr(hex, sizeof(hex), &c.commit);
	c.short_id = mech_strndup(hex, 12);
	c.subject = mech_strndup(git_commit_summary(commit) ? git_commit_summary(commit) : "", 60);
	git_commit_free(commit);
	target = mech_sprintf("commit/%s", hex);
	rc = mech_write_apply(repo, w, "commit.revert", target, 0, plan_revert, &c, res);
	if (skipped) {
		*skipped = c.skipped;
		memset(&c.skipped, 0, sizeof(c.skipped));
	}
	mech_strv_dispose(&c.skipped);
	free(target);
	free(c.short_id);
	free(c.subject);
	return rc;
}

/* ---- app rollback ---- */

typedef struct {
	mech_repo *repo;
	const char *app;
	const char *instance;
	git_oid to;
	char *picked;
} rollback_ctx;

static int plan_rollback(mech_txn *txn, void *payload)
{
	rollback_ctx *c = payload;
	git_repository *git = mech_repo_git(c->repo);
	git_commit *commit = NULL;
	git_tree *then = NULL;
	mech_strv now_files = MECH_STRV_INIT, then_files = MECH_STRV_INIT;
	char *dir = NULL, hex[GIT_OID_HEXSZ + 1];
	mech_app_desired want;
	size_t i;
	int rc = -1;

	memset(&want, 0, sizeof(want));
	free(c->picked);
	c->picked = NULL;
	if (mech_app_plan_instance(txn, c->repo, c->app, c->instance, &c->picked) < 0)
		goto done;
	if (git_commit_lookup(&commit, git, &c->to) < 0 || git_commit_tree(&then, commit) < 0) {
		mech_error_git(MECH_EFAILED, "cannot read the commit to roll back to");
		goto done;
	}
	if (mech_app_desired_at(git, then, c->app, c->picked, &want) < 0)
		goto done;
	git_oid_tostr(hex, sizeof(hex), &c->to);
	if (!want.exists) {
		mech_error_set(MECH_EINVALID,
			       "%s/%s did not exist at %.12s: nothing to roll back to", c->app,
			       c->picked, hex);
		mech_error_hint("pick a commit from `mech app -a %s -i %s history`", c->app,
				c->picked);
		goto done;
	}
	/* the instance's own files, as they were then: what is there now and was not goes */
	dir = mech_layout_overlay_dir(c->app, c->picked);
	mech_txn_list_files(txn, dir, &now_files);
	if (mech_tree_list_files(git, then, dir, &then_files) < 0)
		goto done;
	for (i = 0; i < then_files.len; i++) {
		mech_buf b = MECH_BUF_INIT;
		if (mech_tree_read(git, then, then_files.items[i], MAX_FILE, &b) < 0) {
			mech_buf_dispose(&b);
			goto done;
		}
		mech_txn_write_buf(txn, then_files.items[i], &b);
		mech_buf_dispose(&b);
	}
	for (i = 0; i < now_files.len; i++)
		if (!mech_strv_contains(&then_files, now_files.items[i]))
			mech_txn_delete(txn, now_files.items[i]);
	mech_txn_summary(txn, "roll %s/%s back to %.12s", c->app, c->picked, hex);
	if (want.image)
		mech_txn_body(txn, "image: %s", want.image);
	mech_txn_body(txn, "instance: %s", c->picked);
	mech_txn_trailer(txn, "Mechanics-Rollback-To", hex);
	rc = 0;
done:
	mech_app_desired_dispose(&want);
	mech_strv_dispose(&now_files);
	mech_strv_dispose(&then_files);
	git_tree_free(then);
	git_commit_free(commit);
	free(dir);
	return rc;
}

/* The commit before the newest change of the instance's image (its last deploy). */
static int before_last_deploy(mech_repo *repo, const char *app, const char *instance, git_oid *out)
{
	mech_app_history_entry *h = NULL;
	size_t n = 0, i, j;
	int rc = -1;
	if (mech_app_history(repo, app, instance, 0, &h, &n) < 0)
		return -1;
	for (i = 0; i < n && rc < 0; i++)
		for (j = 0; j < h[i].nchanges && rc < 0; j++) {
			git_commit *c = NULL;
			git_oid id;
			if (strcmp(h[i].changes[j].field, "image") || !h[i].changes[j].from)
				continue;
			if (git_oid_fromstr(&id, h[i].log.commit) == 0 &&
			    git_commit_lookup(&c, mech_repo_git(repo), &id) == 0 &&
			    git_commit_parentcount(c) > 0) {
				git_oid_cpy(out, git_commit_parent_id(c, 0));
				rc = 0;
			}
			git_commit_free(c);
		}
	mech_app_history_free(h, n);
	if (rc < 0) {
		mech_error_set(MECH_ENOT_FOUND, "%s has no deploy to roll back", app);
		mech_error_hint("its image never changed since it was created; see `mech app -a %s "
				"history`",
				app);
	}
	return rc;
}

int mech_app_rollback(mech_repo *repo, const mech_write_opts *w, const char *app,
		      const char *instance, const char *to, mech_txn_result *res)
{
	rollback_ctx c;
	char *target;
	int rc;

	memset(&c, 0, sizeof(c));
	c.repo = repo;
	c.app = app;
	c.instance = instance;
	if (mech_validate_name("app name", app) < 0 ||
	    (instance && mech_validate_name("instance name", instance) < 0))
		return -1;
	if (to ? resolve_on_branch(repo, to, &c.to) < 0
	       : before_last_deploy(repo, app, instance, &c.to) < 0)
		return -1;
	target = mech_sprintf("app/%s", app);
	rc = mech_write_apply(repo, w, "app.rollback", target, 0, plan_rollback, &c, res);
	free(target);
	free(c.picked);
	return rc;
}
