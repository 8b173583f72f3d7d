/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Git remote a tenant repository mirrors (gitops.remote): fetching its
 * branch into the mirror, and pushing a transaction's commit so that it
 * lands only if the remote branch is still where the plan saw it. A push
 * the remote refuses is seen in libgit2's push_update_reference callback,
 * not in the return code (DESIGN §8b).
 */
#include "gitops_int.h"
#include "mech/buf.h"
#include "mech/error.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* the temporary local ref a push sends from */
#define PUSH_REF "refs/mech/push"

typedef struct {
	const mech_config *cfg;
	int cred_tries;
	char *rejected; /* the remote's reason for refusing our ref update */
} remote_ctx;

static int credentials_cb(git_credential **out, const char *url, const char *user_from_url,
			  unsigned int allowed, void *payload)
{
	remote_ctx *c = payload;
	const char *user = user_from_url ? user_from_url : "git";
	(void)url;
	if (c->cred_tries++ > 0)
		return GIT_PASSTHROUGH; /* one offer; never loop on a bad key */
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	if (!(allowed & GIT_CREDENTIAL_SSH_KEY))
		return GIT_PASSTHROUGH;
	if (*c->cfg->gitops_ssh_key) {
		char *pub = mech_sprintf("%s.pub", c->cfg->gitops_ssh_key);
		int rc = git_credential_ssh_key_new(out, user, access(pub, R_OK) == 0 ? pub : NULL,
						    c->cfg->gitops_ssh_key, NULL);
		free(pub);
		return rc;
	}
	return git_credential_ssh_key_from_agent(out, user);
}

static int push_update_cb(const char *refname, const char *status, void *payload)
{
	remote_ctx *c = payload;
	(void)refname;
	if (status && !c->rejected)
		c->rejected = mech_strdup(status);
	return 0;
}

static int remote_error(mech_repo *r, const char *what)
{
	const git_error *e = git_error_last();
	mech_error_set(MECH_EUNAVAILABLE, "cannot %s the Git remote %s: %s", what, r->remote_url,
		       e && e->message ? e->message : "unknown error");
	return mech_error_hint("check gitops.remote in %s/mech.yaml and that the server is up; "
			       "nothing was written",
			       r->cfg->home);
}

/* Make the local mirror's branch equal to the remote's (absent remote branch: leave it). */
int mech_repo_sync(mech_repo *r)
{
	git_remote *remote = NULL;
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	remote_ctx ctx = {r->cfg, 0, NULL};
	char *spec = mech_sprintf("+%s:%s", r->branch_ref, r->branch_ref);
	char *specs[] = {spec};
	git_strarray refspecs = {specs, 1};
	int rc = 0;

	if (!r->remote_url)
		goto done;
	fo.callbacks.credentials = credentials_cb;
	fo.callbacks.payload = &ctx;
	fo.prune = GIT_FETCH_NO_PRUNE;
	fo.update_fetchhead = 0;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	if (git_remote_create_anonymous(&remote, r->git, r->remote_url) < 0 ||
	    git_remote_fetch(remote, &refspecs, &fo, NULL) < 0)
		rc = remote_error(r, "fetch from");
done:
	git_remote_free(remote);
	free(spec);
	free(ctx.rejected);
	return rc;
}

/* Copy an object and everything it reaches that `dst` lacks. */
static int copy_missing(git_odb *src, git_odb *dst, git_repository *repo, const git_oid *id)
{
	git_odb_object *obj = NULL;
	git_oid written;
	int rc = 0;
	if (git_odb_exists(dst, id))
		return 0; /* present objects are complete: their closure is there too */
	if (git_odb_read(&obj, src, id) < 0)
		return -1;
	if (git_odb_object_type(obj) == GIT_OBJECT_TREE) {
		git_tree *t;
		size_t i;
		if (git_tree_lookup(&t, repo, id) < 0) {
			git_odb_object_free(obj);
			return -1;
		}
		for (i = 0; rc == 0 && i < git_tree_entrycount(t); i++) {
			const git_tree_entry *e = git_tree_entry_byindex(t, i);
			if (git_tree_entry_type(e) != GIT_OBJECT_COMMIT)
				rc = copy_missing(src, dst, repo, git_tree_entry_id(e));
		}
		git_tree_free(t);
	} else if (git_odb_object_type(obj) == GIT_OBJECT_COMMIT) {
		git_commit *c;
		if (git_commit_lookup(&c, repo, id) < 0) {
			git_odb_object_free(obj);
			return -1;
		}
		rc = copy_missing(src, dst, repo, git_commit_tree_id(c));
		git_commit_free(c);
	}
	if (rc == 0)
		rc = git_odb_write(&written, dst, git_odb_object_data(obj),
				   git_odb_object_size(obj), git_odb_object_type(obj));
	git_odb_object_free(obj);
	return rc;
}

/*
 * libgit2's local transport moves the remote ref without comparing its old
 * value, so two hosts pushing to one file:// remote could lose a commit.
 * For a path on this machine, write the objects and compare-and-swap the
 * remote branch ourselves. 1 pushed, 0 the remote moved, -1 error.
 */
static int push_local(mech_repo *r, const char *path, const git_oid *old, const git_oid *commit)
{
	git_repository *remote = NULL;
	git_odb *src = NULL, *dst = NULL;
	git_reference *ref = NULL;
	int rc = -1, err;

	if (git_repository_open_bare(&remote, path) < 0) {
		remote_error(r, "open");
		goto done;
	}
	if (git_repository_odb(&src, r->git) < 0 || git_repository_odb(&dst, remote) < 0 ||
	    copy_missing(src, dst, r->git, commit) < 0) {
		remote_error(r, "write objects to");
		goto done;
	}
	if (old)
		err = git_reference_create_matching(&ref, remote, r->branch_ref, commit, 1, old,
						    "mech: push");
	else
		err = git_reference_create(&ref, remote, r->branch_ref, commit, 0, "mech: push");
	if (err == GIT_EMODIFIED || err == GIT_EEXISTS || err == GIT_ELOCKED)
		rc = 0;
	else if (err < 0)
		remote_error(r, "update");
	else
		rc = 1;
done:
	git_reference_free(ref);
	git_odb_free(src);
	git_odb_free(dst);
	git_repository_free(remote);
	return rc;
}

static const char *local_remote_path(const char *url)
{
	if (!strncmp(url, "file://", 7))
		return url + 7;
	return url[0] == '/' ? url : NULL;
}

/*
 * A path on this machine takes push_local; any other remote gets a push
 * without force, which it refuses when its branch has moved on.
 */
int mech_remote_push(mech_repo *r, const git_oid *old, const git_oid *commit)
{
	git_remote *remote = NULL;
	git_push_options po = GIT_PUSH_OPTIONS_INIT;
	git_reference *tmp = NULL;
	remote_ctx ctx = {r->cfg, 0, NULL};
	char *spec = mech_sprintf("%s:%s", PUSH_REF, r->branch_ref);
	char *specs[] = {spec};
	git_strarray refspecs = {specs, 1};
	int rc = -1, err;

	if (local_remote_path(r->remote_url)) {
		free(spec);
		return push_local(r, local_remote_path(r->remote_url), old, commit);
	}
	if (git_reference_create(&tmp, r->git, PUSH_REF, commit, 1, "mech: push") < 0) {
		mech_error_git(MECH_EFAILED, "cannot prepare the push");
		goto done;
	}
	po.callbacks.credentials = credentials_cb;
	po.callbacks.push_update_reference = push_update_cb;
	po.callbacks.payload = &ctx;
	if (git_remote_create_anonymous(&remote, r->git, r->remote_url) < 0) {
		remote_error(r, "reach");
		goto done;
	}
	err = git_remote_push(remote, &refspecs, &po);
	if (err == GIT_ENONFASTFORWARD || (err == 0 && ctx.rejected)) {
		rc = 0; /* the remote moved: re-plan on its new head */
	} else if (err < 0) {
		remote_error(r, "push to");
	} else {
		rc = 1;
	}
done:
	if (tmp)
		git_reference_delete(tmp);
	git_reference_free(tmp);
	git_remote_free(remote);
	free(spec);
	free(ctx.rejected);
	return rc;
}
