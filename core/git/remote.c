/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Git remote a tenant repository mirrors (gitops.remote): fetching its
 * branch into the mirror, and pushing a transaction's commit so that it
 * lands only if the remote branch is still where the plan saw it. A push
 * the remote refuses is seen in libgit2's push_update_reference callback,
 * not in the return code (DESIGN §8b).
 *
 * Every outcome is told as it is (docs/scaling.md, "Remote outcomes"):
 *  - a refusal because the branch moved or its ref was locked is re-planned;
 *    any other refusal (a hook, a branch rule) ends at once with the
 *    server's reason: forbidden (77), or unavailable (69) for its failures;
 *  - a transport failure once the update may have reached the server is
 *    settled by fetching again: the branch holds the commit (done), does not
 *    (unavailable), or cannot be read (outcome_unknown: it may have landed);
 *  - each network operation is bounded by gitops.timeout (deadline.c).
 */
#include "gitops_int.h"
#include "mech/buf.h"
#include "mech/error.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* the temporary local ref a push sends from */
#define PUSH_REF "refs/mech/push"

/* what the remote printed during a push (hooks' messages) that an error quotes */
#define SAID_MAX 2048

typedef struct {
	const mech_config *cfg;
	int cred_tries;
	int sent;       /* the push reached its upload: the remote may move the branch */
	char *rejected; /* the remote's reason for refusing our ref update */
	mech_buf said;  /* its sideband messages ("remote: ..."), at most SAID_MAX bytes */
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

/* libgit2 calls this once it knows what to send, before the upload */
static int push_negotiation_cb(const git_push_update **updates, size_t len, void *payload)
{
	remote_ctx *c = payload;
	(void)updates;
	(void)len;
	c->sent = 1;
	return 0;
}

static int sideband_cb(const char *str, int len, void *payload)
{
	remote_ctx *c = payload;
	size_t room = SAID_MAX - c->said.len;
	if (len > 0 && room > 0)
		mech_buf_put(&c->said, str, (size_t)len < room ? (size_t)len : room);
	return 0;
}

/*
 * Why a network operation failed: libgit2's last message, taken before the
 * remote's teardown can replace it, or the deadline's once it has expired
 * (after mech_deadline_stop).
 */
static char *transport_reason(mech_repo *r, const mech_deadline *d, char *git_why)
{
	if (d && d->expired) {
		free(git_why);
		return mech_sprintf("no answer within %ldms (gitops.timeout in %s/mech.yaml)",
				    d->ms, r->cfg->home);
	}
	return git_why;
}

static char *git_reason(void)
{
	const git_error *e = git_error_last();
	return mech_strdup(e && e->message ? e->message : "unknown error");
}

/* A failure before anything could have moved the remote branch. */
static int remote_error_why(mech_repo *r, const char *what, char *why)
{
	mech_error_set(MECH_EUNAVAILABLE, "cannot %s the Git remote %s: %s", what, r->remote_url,
		       why);
	free(why);
	return mech_error_hint("check gitops.remote in %s/mech.yaml and that the server is up; "
			       "nothing was written",
			       r->cfg->home);
}

static int remote_error(mech_repo *r, const char *what, const mech_deadline *d)
{
	return remote_error_why(r, what, transport_reason(r, d, git_reason()));
}

/* a progress meter line ("Resolving deltas: 100% (3/3)"), not a message */
static int is_progress(const char *p, size_t len)
{
	size_t i;
	for (i = 0; i + 2 < len; i++)
		if (p[i] == '%' && p[i + 1] == ' ' && p[i + 2] == '(')
			return 1;
	return 0;
}

/*
 * The remote's messages as one line for an error: each line it printed but
 * its progress meters (a hook's text is the server's, not ours: escaped),
 * joined.
 */
static void append_said(mech_buf *out, const mech_buf *said)
{
	const char *p = said->ptr, *end = said->ptr + said->len;
	int n = 0;
	while (p && p < end && n < 6) {
		size_t len = 0;
		char q[MECH_ESCAPE_SIZE];
		while (p + len < end && p[len] != '\n' && p[len] != '\r')
			len++;
		if (len && !is_progress(p, len))
			mech_buf_printf(out, "%s\"%s\"", n++ ? ", " : " (the remote said: ",
					mech_error_escape_n(q, p, len));
		p += len + 1;
	}
	if (n)
		mech_buf_putc(out, ')');
}

/* Make the local mirror's branch equal to the remote's (absent remote branch: leave it). */
int mech_repo_sync(mech_repo *r)
{
	git_remote *remote = NULL;
	git_fetch_options fo = GIT_FETCH_OPTIONS_INIT;
	remote_ctx ctx = {r->cfg, 0, 0, NULL, MECH_BUF_INIT};
	mech_deadline d;
	char *spec = mech_sprintf("+%s:%s", r->branch_ref, r->branch_ref);
	char *specs[] = {spec};
	git_strarray refspecs = {specs, 1};
	char *why = NULL;
	int rc = 0;

	if (!r->remote_url)
		goto done;
	fo.callbacks.credentials = credentials_cb;
	fo.callbacks.payload = &ctx;
	fo.prune = GIT_FETCH_NO_PRUNE;
	fo.update_fetchhead = 0;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	if (mech_deadline_start(&d, r->cfg->gitops_timeout_ms) < 0) {
		rc = -1;
		goto done;
	}
	if (git_remote_create_anonymous(&remote, r->git, r->remote_url) < 0 ||
	    git_remote_fetch(remote, &refspecs, &fo, NULL) < 0)
		why = git_reason();
	git_remote_free(remote); /* its connection's teardown is bounded too */
	remote = NULL;
	mech_deadline_stop(&d);
	if (why)
		rc = remote_error_why(r, "fetch from", transport_reason(r, &d, why));
done:
	git_remote_free(remote);
	free(spec);
	free(ctx.rejected);
	mech_buf_dispose(&ctx.said);
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
		remote_error(r, "open", NULL);
		goto done;
	}
	if (git_repository_odb(&src, r->git) < 0 || git_repository_odb(&dst, remote) < 0 ||
	    copy_missing(src, dst, r->git, commit) < 0) {
		remote_error(r, "write objects to", NULL);
		goto done;
	}
	if (old)
		err = git_reference_create_matching(&ref, remote, r->branch_ref, commit, 1, old,
						    "mech: push");
	else
		err = git_reference_create(&ref, remote, r->branch_ref, commit, 0, "mech: push");
	if (err == GIT_EMODIFIED || err == GIT_EEXISTS || err == GIT_ELOCKED) {
		rc = 0;
	} else if (err < 0) {
		/* the ref may have moved before a later step failed (its reflog): look */
		git_oid now;
		char *why = git_error_last() && git_error_last()->message
				    ? mech_strdup(git_error_last()->message)
				    : NULL;
		if (git_reference_name_to_id(&now, remote, r->branch_ref) == 0 &&
		    git_oid_equal(&now, commit)) {
			rc = 1;
		} else {
			git_error_set_str(GIT_ERROR_REFERENCE, why ? why : "unknown error");
			remote_error(r, "update", NULL);
		}
		free(why);
	} else {
		rc = 1;
	}
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
 * After a transport failure once the update may have reached the server:
 * fetch again and look. 2 the remote branch holds the commit (the mirror
 * now follows it), -1 it does not (MECH_EUNAVAILABLE) or cannot be known
 * (MECH_EMAYBE_LANDED: never "nothing was written").
 */
static int settle(mech_repo *r, const git_oid *commit, const char *why)
{
	git_oid head;
	int rc = -1;

	if (mech_repo_sync(r) < 0) {
		const mech_error *e = mech_error_last();
		char *again = mech_strdup(e && e->message ? e->message : "unknown error");
		mech_error_set(MECH_EMAYBE_LANDED,
			       "the push to %s may have landed: it failed (%s) after the update was "
			       "sent, and fetching again failed too (%s)",
			       r->remote_url, why, again);
		mech_error_hint("run `mech log -n 1` once the remote answers: it fetches the "
				"remote's branch and shows whether this receipt is on it; write "
				"again only if it is not");
		free(again);
	} else if (git_reference_name_to_id(&head, r->git, r->branch_ref) == 0 &&
		   (git_oid_equal(&head, commit) ||
		    git_graph_descendant_of(r->git, &head, commit) == 1)) {
		git_error_clear();
		rc = 2;
	} else {
		git_error_clear();
		mech_error_set(MECH_EUNAVAILABLE,
			       "cannot push to the Git remote %s: %s; fetched again, its branch "
			       "does not hold the commit",
			       r->remote_url, why);
		mech_error_hint("the remote kept its branch; retrying the command is safe once it "
				"answers");
	}
	return rc;
}

/* The remote's own words for a refusal that re-planning cannot change. */
static int refused(mech_repo *r, mech_error_code code, const remote_ctx *ctx)
{
	mech_buf msg = MECH_BUF_INIT;
	char q[MECH_ESCAPE_SIZE];
	mech_buf_printf(&msg, "the Git remote %s refused the push: %s", r->remote_url,
			mech_error_escape(q, ctx->rejected));
	append_said(&msg, &ctx->said);
	mech_error_set(code, "%s", mech_buf_cstr(&msg));
	mech_buf_dispose(&msg);
	if (code == MECH_EFORBIDDEN)
		return mech_error_hint("a hook or branch rule on the server declined the receipt "
				       "and retrying will not change that: ask whoever runs the "
				       "remote; nothing was written");
	return mech_error_hint("the server failed to store the receipt; nothing was written");
}

static int has(const char *s, const char *word)
{
	return s && strstr(s, word) != NULL;
}

/*
 * A status from push_update_reference. 0 the branch moved or its ref was
 * locked (re-plan), -1 a refusal (an error naming the server's reason).
 * git's receive-pack says "failed to update ref" both for a ref that moved
 * or was locked under it (its message names the lock) and for a server that
 * cannot write it: a re-fetched head tells them apart.
 */
static int classify_refusal(mech_repo *r, const git_oid *old, remote_ctx *ctx)
{
	const char *st = ctx->rejected, *said = mech_buf_cstr(&ctx->said);
	git_oid head;
	int have;

	if (has(st, "non-fast-forward") || has(st, "fetch first") || has(st, "stale info") ||
	    has(st, "failed to lock") || has(st, "cannot lock"))
		return 0;
	if (has(st, "unpack") || has(st, "missing necessary objects") || has(st, "bad pack") ||
	    has(st, "failed to write"))
		return refused(r, MECH_EUNAVAILABLE, ctx);
	if (!has(st, "failed to update ref"))
		return refused(r, MECH_EFORBIDDEN, ctx); /* a hook, a rule: final */
	if (has(said, "cannot lock ref") || has(said, "but expected") || has(said, ".lock'"))
		return 0;
	if (mech_repo_sync(r) < 0)
		return -1;
	have = git_reference_name_to_id(&head, r->git, r->branch_ref) == 0;
	git_error_clear();
	if (have != (old != NULL) || (have && !git_oid_equal(&head, old)))
		return 0;
	return refused(r, MECH_EUNAVAILABLE, ctx);
}

/*
 * A path on this machine takes push_local; any other remote gets a push
 * without force, which it refuses when its branch has moved on. 1 pushed,
 * 2 pushed and the mirror already follows the remote (a transport failure
 * settled by fetching again), 0 the remote moved (re-plan), -1 error.
 */
int mech_remote_push(mech_repo *r, const git_oid *old, const git_oid *commit)
{
	git_remote *remote = NULL;
	git_push_options po = GIT_PUSH_OPTIONS_INIT;
	git_reference *tmp = NULL;
	remote_ctx ctx = {r->cfg, 0, 0, NULL, MECH_BUF_INIT};
	mech_deadline d;
	char *spec = mech_sprintf("%s:%s", PUSH_REF, r->branch_ref);
	char *specs[] = {spec};
	git_strarray refspecs = {specs, 1};
	char *why = NULL;
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
	po.callbacks.push_negotiation = push_negotiation_cb;
	po.callbacks.sideband_progress = sideband_cb;
	po.callbacks.payload = &ctx;
	if (mech_deadline_start(&d, r->cfg->gitops_timeout_ms) < 0)
		goto done;
	err = git_remote_create_anonymous(&remote, r->git, r->remote_url);
	if (err == 0)
		err = git_remote_push(remote, &refspecs, &po);
	if (err < 0 && err != GIT_ENONFASTFORWARD)
		why = git_reason(); /* before the teardown can replace it */
	git_remote_free(remote);
	remote = NULL;
	mech_deadline_stop(&d);
	if (why) {
		why = transport_reason(r, &d, why);
		if (ctx.sent)
			rc = settle(r, commit, why); /* the branch may have moved: look */
		else
			remote_error_why(r, "push to", mech_strdup(why));
	} else if (err == GIT_ENONFASTFORWARD) {
		rc = 0; /* the remote moved: re-plan on its new head */
	} else if (ctx.rejected) {
		rc = classify_refusal(r, old, &ctx);
	} else {
		rc = 1;
	}
done:
	if (tmp)
		git_reference_delete(tmp);
	git_reference_free(tmp);
	free(why);
	free(spec);
	free(ctx.rejected);
	mech_buf_dispose(&ctx.said);
	return rc;
}
