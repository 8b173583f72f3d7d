/* SPDX-License-Identifier: Apache-2.0 */
/*
 * GitOps transactions. One verb, one commit: the plan runs against the
 * branch head, every touched path passes the write policy, the tree is
 * built in the object database and the branch moves by compare-and-swap
 * under the tenant's flock. With a remote, the plan runs on the remote
 * head and the commit is pushed before the local mirror moves, so an
 * unreachable remote leaves nothing half-done.
 *
 * A receipt is on disk before it is reported: its pack (objstore.c) and
 * then the branch (ref.c, which shares git's ref lock and never removes
 * one it did not take) are flushed as git's core.fsync does, unless
 * gitops.fsync is off.
 *
 * The repository handle is repo.c, the remote remote.c, the tenant lock
 * lock.c, moving a ref ref.c, tree reads tree.c; the pack merge a write may
 * leave due runs after the command (maint.c).
 */
#include "gitops_int.h"
#include "mech/error.h"
#include "mech/gitops.h"
#include "mech/layout.h"
#include "mech/live.h"
#include "mech/lock.h"
#include "mech/maint.h"
#include "mech/policy.h"
#include "mech/random.h"
#include "mech/sign.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILE (1024 * 1024)

typedef struct {
	char *path;
	char *data; /* NULL: delete */
	size_t len;
} planned;

struct mech_txn {
	mech_repo *repo;
	git_tree *base; /* NULL on an unborn branch */
	planned *plan;
	size_t nplan;
	mech_buf summary;
	mech_buf body;
	mech_buf trailers; /* "Mechanics-Reverts: <sha>\n", … after the standard ones */
};

/* ---- planning ---- */

static planned *find_planned(mech_txn *txn, const char *path)
{
	size_t i;
	for (i = 0; i < txn->nplan; i++)
		if (!strcmp(txn->plan[i].path, path))
			return &txn->plan[i];
	return NULL;
}

int mech_txn_read(mech_txn *txn, const char *path, mech_buf *out)
{
	planned *p = find_planned(txn, path);
	if (p) {
		if (!p->data)
			return 0;
		mech_buf_clear(out);
		mech_buf_put(out, p->data, p->len);
		return 1;
	}
	return mech_tree_read(txn->repo->git, txn->base, path, MAX_FILE, out);
}

int mech_txn_list_files(mech_txn *txn, const char *dir, mech_strv *out)
{
	char *prefix = mech_sprintf("%s/", dir);
	size_t i, plen = strlen(prefix);
	mech_strv all = MECH_STRV_INIT;
	mech_tree_list_files(txn->repo->git, txn->base, dir, &all);
	for (i = 0; i < all.len; i++) {
		planned *p = find_planned(txn, all.items[i]);
		if (!p || p->data)
			mech_strv_push(out, all.items[i]);
	}
	for (i = 0; i < txn->nplan; i++)
		if (txn->plan[i].data && !strncmp(txn->plan[i].path, prefix, plen) &&
		    !mech_strv_contains(&all, txn->plan[i].path))
			mech_strv_push(out, txn->plan[i].path);
	mech_strv_dispose(&all);
	free(prefix);
	mech_strv_sort(out);
	return out->len > 0;
}

int mech_txn_list(mech_txn *txn, const char *dir, mech_strv *out)
{
	mech_strv files = MECH_STRV_INIT;
	size_t i, plen = strlen(dir) + 1;
	mech_txn_list_files(txn, dir, &files);
	for (i = 0; i < files.len; i++) {
		const char *rest = files.items[i] + plen;
		char *name = mech_strndup(rest, strcspn(rest, "/"));
		if (!mech_strv_contains(out, name))
			mech_strv_push(out, name);
		free(name);
	}
	mech_strv_dispose(&files);
	mech_strv_sort(out);
	return out->len > 0;
}

int mech_txn_exists(mech_txn *txn, const char *path)
{
	mech_buf b = MECH_BUF_INIT;
	mech_strv v = MECH_STRV_INIT;
	int found = mech_txn_read(txn, path, &b) > 0 || mech_txn_list_files(txn, path, &v) > 0;
	mech_buf_dispose(&b);
	mech_strv_dispose(&v);
	return found;
}

static void plan_put(mech_txn *txn, const char *path, const char *data, size_t len, int del)
{
	planned *p = find_planned(txn, path);
	if (!p) {
		txn->plan = mech_reallocarray(txn->plan, txn->nplan + 1, sizeof(*txn->plan));
		p = &txn->plan[txn->nplan++];
		p->path = mech_strdup(path);
	} else {
		free(p->data);
	}
	p->data = del ? NULL : mech_strndup(data, len);
	p->len = del ? 0 : len;
}

void mech_txn_write(mech_txn *txn, const char *path, const char *data, size_t len)
{
	plan_put(txn, path, data, len, 0);
}

void mech_txn_write_buf(mech_txn *txn, const char *path, const mech_buf *b)
{
	plan_put(txn, path, mech_buf_cstr(b), b->len, 0);
}

void mech_txn_delete(mech_txn *txn, const char *path)
{
	plan_put(txn, path, NULL, 0, 1);
}

void mech_txn_summary(mech_txn *txn, const char *fmt, ...)
{
	va_list ap;
	mech_buf_clear(&txn->summary);
	va_start(ap, fmt);
	mech_buf_vprintf(&txn->summary, fmt, ap);
	va_end(ap);
}

void mech_txn_body(mech_txn *txn, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mech_buf_vprintf(&txn->body, fmt, ap);
	va_end(ap);
	mech_buf_putc(&txn->body, '\n');
}

void mech_txn_trailer(mech_txn *txn, const char *key, const char *value)
{
	mech_buf_printf(&txn->trailers, "%s: %s\n", key, value);
}

git_tree *mech_txn_base(mech_txn *txn)
{
	return txn->base;
}

static void txn_reset(mech_txn *txn)
{
	size_t i;
	for (i = 0; i < txn->nplan; i++) {
		free(txn->plan[i].path);
		free(txn->plan[i].data);
	}
	free(txn->plan);
	txn->plan = NULL;
	txn->nplan = 0;
	git_tree_free(txn->base);
	txn->base = NULL;
	mech_buf_dispose(&txn->summary);
	mech_buf_dispose(&txn->body);
	mech_buf_dispose(&txn->trailers);
}

void mech_txn_result_dispose(mech_txn_result *res)
{
	size_t i;
	for (i = 0; i < res->nchanges; i++) {
		free(res->changes[i].path);
		free(res->changes[i].data);
	}
	free(res->changes);
	for (i = 0; i < res->nforced; i++)
		free(res->forced[i].path);
	free(res->forced);
	free(res->subject);
	free(res->message);
	mech_strv_dispose(&res->warnings);
	memset(res, 0, sizeof(*res));
}

/* Turn the plan into changes against the base tree (identical bytes drop out). */
static int diff_plan(mech_txn *txn, mech_txn_result *res)
{
	mech_buf cur = MECH_BUF_INIT;
	size_t i;
	for (i = 0; i < txn->nplan; i++) {
		planned *p = &txn->plan[i];
		int found = mech_tree_read(txn->repo->git, txn->base, p->path, 0, &cur);
		mech_change *c;
		if (found < 0) {
			mech_buf_dispose(&cur);
			return -1;
		}
		if (!p->data && !found)
			continue;
		if (p->data && found && cur.len == p->len && !memcmp(cur.ptr, p->data, p->len))
			continue;
		res->changes = mech_reallocarray(res->changes, res->nchanges + 1,
						 sizeof(mech_change));
		c = &res->changes[res->nchanges++];
		memset(c, 0, sizeof(*c));
		c->path = mech_strdup(p->path);
		c->action = !p->data ? MECH_CHANGE_DELETE
			    : found  ? MECH_CHANGE_UPDATE
				     : MECH_CHANGE_CREATE;
		if (p->data) {
			c->data = mech_strndup(p->data, p->len);
			c->len = p->len;
		}
	}
	mech_buf_dispose(&cur);
	return 0;
}

static void last_writers_open(mech_repo *r)
{
	if (!r->lw) {
		char *file = mech_repo_cache_file(r, "lastwriter", "idx");
		mech_lastwriter_open(&r->lw, r->git, r->cfg, file);
		free(file);
	}
}

static int last_writers(mech_repo *r, const git_oid *head, mech_txn_result *res)
{
	size_t i;
	last_writers_open(r);
	if (mech_lastwriter_update(r->lw, head) < 0)
		return -1;
	for (i = 0; i < res->nchanges; i++) {
		mech_change *c = &res->changes[i];
		mech_lastwriter_get(r->lw, c->path, &c->writer);
		c->needs_force = mech_policy_needs_force(&c->writer);
	}
	return 0;
}

/*
 * The class of the commit just built, while it is still staged in memory:
 * what the index records for it (record_own) once the branch has moved.
 */
static mech_class commit_class(mech_repo *r, const git_oid *commit)
{
	git_commit *c;
	mech_class cls;
	if (git_commit_lookup(&c, r->git, commit) < 0) {
		git_error_clear();
		return MECH_CLASS_NONE;
	}
	cls = mech_receipt_classify(c, r->cfg);
	git_commit_free(c);
	return cls;
}

/*
 * The branch moved from `head` to `commit`: the last-writer index, at
 * `head` (last_writers), is moved to the commit too, from the files the
 * commit changed, so that the next write (under the tenant lock, after this
 * one) finds it at the head it builds on instead of walking this commit. A
 * spliced tree changed exactly the files of the plan (diff_plan keeps only
 * those whose bytes differ); a tree libgit2 built is left to the next
 * write's walk.
 */
static void record_own(mech_repo *r, const git_oid *head, const git_oid *commit, mech_class cls,
		       const mech_txn_result *res)
{
	const char **paths;
	size_t i;
	if (!r->lw || cls == MECH_CLASS_NONE)
		return;
	paths = mech_calloc(res->nchanges ? res->nchanges : 1, sizeof(*paths));
	for (i = 0; i < res->nchanges; i++)
		paths[i] = res->changes[i].path;
	mech_lastwriter_record(r->lw, head, commit, cls, paths, res->nchanges);
	free(paths);
}

static int build_commit(mech_repo *r, const mech_txn_opts *opts, mech_txn *txn, const git_oid *head,
			mech_txn_result *res, git_oid *out, int *spliced)
{
	git_tree_update *ups = mech_calloc(res->nchanges, sizeof(*ups));
	git_oid tree_id, *blob_ids = mech_calloc(res->nchanges, sizeof(git_oid));
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_signature *author = NULL, *committer = NULL;
	git_buf raw = GIT_BUF_INIT;
	const git_commit *parents[1];
	char *request = mech_request_id(), *summary, *signature = NULL;
	size_t i;
	int rc = -1;

	if (!request)
		goto done; /* no random bytes: the last error says why */
	for (i = 0; i < res->nchanges; i++) {
		mech_change *c = &res->changes[i];
		ups[i].path = c->path;
		if (c->action == MECH_CHANGE_DELETE) {
			ups[i].action = GIT_TREE_UPDATE_REMOVE;
			continue;
		}
		if (git_blob_create_from_buffer(&blob_ids[i], r->git, c->data, c->len) < 0) {
			mech_error_git(MECH_EFAILED, "cannot write blob");
			goto done;
		}
		ups[i].action = GIT_TREE_UPDATE_UPSERT;
		ups[i].id = blob_ids[i];
		ups[i].filemode = GIT_FILEMODE_BLOB;
	}
	if (!txn->base) {
		git_treebuilder *tb;
		git_oid empty;
		if (git_treebuilder_new(&tb, r->git, NULL) < 0 ||
		    git_treebuilder_write(&empty, tb) < 0) {
			mech_error_git(MECH_EFAILED, "cannot build the tree");
			goto done;
		}
		git_treebuilder_free(tb);
		if (git_tree_lookup(&txn->base, r->git, &empty) < 0) {
			mech_error_git(MECH_EFAILED, "cannot build the tree");
			goto done;
		}
	}
	if ((*spliced = mech_tree_update(&tree_id, r->git, txn->base, res->nchanges, ups)) < 0 ||
	    git_tree_lookup(&tree, r->git, &tree_id) < 0) {
		mech_error_git(MECH_EFAILED, "cannot build the tree");
		goto done;
	}
	if (head && git_commit_lookup(&parent, r->git, head) < 0) {
		mech_error_git(MECH_EFAILED, "cannot read the branch head");
		goto done;
	}
	if (git_signature_now(&author, opts->author->name, opts->author->email) < 0 ||
	    git_signature_now(&committer, r->cfg->machine_name, r->cfg->machine_email) < 0) {
		mech_error_git(MECH_EINVALID, "invalid identity");
		goto done;
	}
	summary = txn->summary.len ? txn->summary.ptr : (char *)opts->verb;
	mech_buf_puts(&txn->body, "files: ");
	for (i = 0; i < res->nchanges; i++)
		mech_buf_printf(&txn->body, "%s%s", i ? ", " : "", res->changes[i].path);
	mech_buf_putc(&txn->body, '\n');
	res->message = mech_receipt_format(opts->verb, summary, mech_buf_cstr(&txn->body),
					   r->tenant, opts->target, request, res->forced,
					   res->nforced);
	if (txn->trailers.len) { /* the verb's own trailers close the trailer block */
		char *m = mech_sprintf("%s%s", res->message, txn->trailers.ptr);
		free(res->message);
		res->message = m;
	}
	res->subject = mech_strndup(res->message, strcspn(res->message, "\n"));
	parents[0] = parent;
	if (git_commit_create_buffer(&raw, r->git, author, committer, NULL, res->message, tree,
				     parent ? 1 : 0, parents) < 0) {
		mech_error_git(MECH_EFAILED, "cannot write the commit");
		goto done;
	}
	/* a signed receipt: classification trusts only what verifies */
	if (mech_sign_enabled(r->cfg->home) &&
	    mech_sign_commit(r->cfg->home, raw.ptr, raw.size, &signature) < 0)
		goto done;
	if (git_commit_create_with_signature(out, r->git, raw.ptr, signature,
					     signature ? "gpgsig" : NULL) < 0) {
		mech_error_git(MECH_EFAILED, "cannot write the commit");
		goto done;
	}
	rc = 0;
done:
	git_buf_dispose(&raw);
	git_signature_free(author);
	git_signature_free(committer);
	git_commit_free(parent);
	git_tree_free(tree);
	free(blob_ids);
	free(ups);
	free(request);
	free(signature);
	return rc;
}

static int refuse(mech_repo *r, const mech_txn_opts *opts, const mech_txn_result *res)
{
	size_t i, n = 0;
	for (i = 0; i < res->nchanges; i++)
		n += res->changes[i].needs_force;
	mech_error_set(MECH_EREFUSED,
		       "%s would overwrite %zu human change%s in %s/gitops; refusing without --force",
		       opts->verb, n, n == 1 ? "" : "s", r->tenant);
	mech_error_hint("review the commits listed, then re-run with --force to override them "
			"(each override is recorded as a Mechanics-Forced-Over trailer)");
	for (i = 0; i < res->nchanges; i++) {
		const mech_change *c = &res->changes[i];
		mech_policy_conflict conf;
		if (!c->needs_force)
			continue;
		if (mech_policy_describe(r->git, &c->writer.commit, &conf) == 0) {
			mech_error_add_conflict(c->path, conf.commit, conf.author, conf.date,
						conf.subject);
			mech_policy_conflict_dispose(&conf);
		}
	}
	return -1;
}

static void record_forced(mech_txn_result *res)
{
	size_t i, j;
	for (i = 0; i < res->nchanges; i++) {
		const mech_change *c = &res->changes[i];
		mech_forced_over *f;
		if (!c->needs_force)
			continue;
		for (j = 0; j < res->nforced; j++)
			if (!strcmp(res->forced[j].path, c->path))
				break;
		if (j < res->nforced)
			continue;
		res->forced = mech_reallocarray(res->forced, res->nforced + 1, sizeof(*res->forced));
		f = &res->forced[res->nforced++];
		git_oid_tostr(f->commit, sizeof(f->commit), &c->writer.commit);
		f->path = mech_strdup(c->path);
	}
}

/* One attempt. 1 done, 0 lost a race (retry), -1 error. */
/*
 * What a write that changes something should tell its user about the tree it
 * leaves: the receipt lands either way. Argo CD reads the tenant through
 * argocd/ (DESIGN §4); a human who removed it has cut every app off.
 */
static void tree_warnings(mech_txn *txn, mech_txn_result *res)
{
	mech_buf b = MECH_BUF_INIT;
	size_t i, n = 0;
	int created = 1;
	if (!res->nchanges)
		return;
	if (!mech_txn_exists(txn, MECH_LAYOUT_ARGOCD))
		mech_strv_push(&res->warnings,
			       MECH_LAYOUT_ARGOCD "/ is missing: Argo CD will not see this change "
						  "(restore it from the history: `git revert` the "
						  "commit that removed it)");
	/*
	 * Argo CD reads the argocd/ files only when an operator applies them; a
	 * commit alone changes nothing there (docs/formats.md, The seed).
	 */
	for (i = 0; i < res->nchanges; i++) {
		const char *p = res->changes[i].path;
		if (strncmp(p, MECH_LAYOUT_ARGOCD "/", sizeof(MECH_LAYOUT_ARGOCD)) ||
		    strchr(p + sizeof(MECH_LAYOUT_ARGOCD), '/'))
			continue;
		mech_buf_printf(&b, "%s%s", n++ ? ", " : "", p);
		created = created && res->changes[i].action == MECH_CHANGE_CREATE;
	}
	if (n)
		mech_strv_pushf(&res->warnings,
				"%s %s: an operator must apply %s%s (kubectl apply -n argocd -f "
				"%s/)",
				mech_buf_cstr(&b), created ? "created" : "changed",
				n > 1 ? "them" : "it", created ? "" : " again", MECH_LAYOUT_ARGOCD);
	mech_buf_dispose(&b);
}

static int attempt(mech_repo *r, const mech_txn_opts *opts, mech_txn_result *res, char **flush_later)
{
	mech_txn txn;
	git_oid head, commit;
	git_commit *hc = NULL;
	mech_class cls = MECH_CLASS_NONE;
	int have_head, spliced = 0, rc = -1;

	memset(&txn, 0, sizeof(txn));
	txn.repo = r;
	if (r->remote_url && mech_repo_sync(r) < 0)
		return -1;
	/*
	 * The plan reads through the database the commit is built in: the packs
	 * are listed once, not once for reading and again for writing. (After
	 * the fetch: what it writes must reach the disk whether or not a commit
	 * follows, and only a commit flushes what is staged.)
	 */
	if (!r->objs && mech_objstore_stage(&r->objs, r->git, r->cfg->gitops_fsync) < 0)
		return -1;
	have_head = git_reference_name_to_id(&head, r->git, r->branch_ref) == 0;
	git_error_clear();
	if (have_head &&
	    (git_commit_lookup(&hc, r->git, &head) < 0 || git_commit_tree(&txn.base, hc) < 0)) {
		mech_error_git(MECH_EFAILED, "cannot read the branch head");
		goto done;
	}
	if (opts->plan(&txn, opts->payload) < 0 || diff_plan(&txn, res) < 0)
		goto done;
	if (have_head && last_writers(r, &head, res) < 0)
		goto done;
	tree_warnings(&txn, res);
	/* a dry run reports the plan, including what would need --force */
	res->destructive = opts->destructive;
	if (opts->dry_run || !res->nchanges) {
		rc = 1;
		goto done;
	}
	if (opts->destructive && !opts->force) {
		mech_error_set(MECH_EREFUSED, "%s destroys data and always needs --force",
			       opts->verb);
		mech_error_hint("review the plan with --dry-run, then re-run with --force");
		goto done;
	}
	if (!opts->force) {
		size_t i;
		for (i = 0; i < res->nchanges; i++)
			if (res->changes[i].needs_force) {
				refuse(r, opts, res);
				goto done;
			}
	}
	record_forced(res);
	/* the commit and what it adds reach objects/pack as one pack, before any ref names them */
	mech_objstore_begin(r->objs);
	if (build_commit(r, opts, &txn, have_head ? &head : NULL, res, &commit, &spliced) < 0) {
		mech_objstore_discard(r->objs);
		goto done;
	}
	if (r->remote_url) {
		if (mech_objstore_flush(r->objs) < 0)
			goto done;
		rc = mech_remote_push(r, have_head ? &head : NULL, &commit);
		if (rc <= 0)
			goto done;
		/* pushed, the remote is the truth: the mirror follows it wherever it was
		 * (2: a fetch after a cut connection found the commit and moved it there) */
		if (rc != 2 && mech_ref_move(r, r->branch_ref, have_head ? &head : NULL, &commit, 1,
					     "mech: mirror", 0, NULL) < 0)
			mech_error_clear(); /* the push landed, so the write is done; the next
					     * fetch moves the mirror */
		rc = 1;
	} else {
		/*
		 * The branch's new value (its claim) is flushed together with the
		 * pack, and the branch's directory after the tenant lock is let go
		 * (*flush_later): of a write's flushes, only two follow one another
		 * under the lock, which is what the next writer waits for.
		 */
		int claim;
		if (have_head && spliced == 1)
			cls = commit_class(r, &commit);
		if (mech_ref_claim(r, r->branch_ref, &commit, &claim) < 0) {
			mech_objstore_discard(r->objs);
			goto done;
		}
		if (mech_objstore_flush_with(r->objs, &claim, 1) < 0) {
			close(claim);
			mech_ref_unclaim(r, r->branch_ref);
			goto done;
		}
		if (close(claim) < 0) {
			mech_error_set(MECH_EFAILED, "cannot write the claim of %s: %s",
				       r->branch_ref, strerror(errno));
			mech_ref_unclaim(r, r->branch_ref);
			goto done;
		}
		rc = mech_ref_move(r, r->branch_ref, have_head ? &head : NULL, &commit, 0,
				   "mech: commit", 1, flush_later);
		/* moved: the index follows it while the lock is held, so that the
		 * next write finds it there; what is left (freeing the plan, the
		 * result, the replaced ref file) needs no lock */
		if (rc == 1) {
			record_own(r, &head, &commit, cls, res);
			mech_lock_release(&r->lock_fd);
			mech_ref_drop_old(r);
		}
	}
	if (rc == 1)
		git_oid_tostr(res->commit, sizeof(res->commit), &commit);
done:
	git_commit_free(hc);
	txn_reset(&txn);
	return rc;
}

/*
 * How long to wait before re-planning: up to what the attempts so far cost
 * (an ssh round trip is far longer than a local write), chosen at random so
 * that writers racing from several hosts do not retry in lockstep. Without
 * random bytes the whole step is waited: slower, never in lockstep by choice.
 */
static long backoff_ms(long took, int tries)
{
	uint32_t step = (uint32_t)((took + 20) * tries), pick;

	if (mech_random_below(step, &pick) < 0)
		pick = step - 1;
	return (long)pick + 1;
}

int mech_gitops_apply(mech_repo *r, const mech_txn_opts *opts, mech_txn_result *res)
{
	char *flush_later = NULL;
	int tries, rc = -1;
	memset(res, 0, sizeof(*res));
	if (!opts->dry_run) {
		char *lock = mech_lock_path(r->cfg, r->tenant);
		int locked;
		/*
		 * The last-writer index is read before queueing: the writes ahead
		 * only append their deltas to it (record_own), and once the lock
		 * is held only those are read (mech_lastwriter_reload). Moving it
		 * to the head, when they did not, stays under the lock
		 * (last_writers).
		 */
		last_writers_open(r);
		locked = mech_lock_take(lock, r->tenant, &r->lock_fd);
		free(lock);
		if (locked < 0)
			return -1;
		mech_lastwriter_reload(r->lw);
	}
	for (tries = 1; tries <= r->cfg->gitops_retries; tries++) {
		struct timespec t0, t1;
		long took;
		mech_txn_result_dispose(res);
		res->attempts = tries;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = attempt(r, opts, res, &flush_later);
		if (rc != 0)
			break;
		/* someone else moved the branch: back off in proportion to what an
		 * attempt costs (an ssh round trip is far longer than a local write),
		 * randomised, then re-plan */
		clock_gettime(CLOCK_MONOTONIC, &t1);
		took = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		mech_sleep_ms(backoff_ms(took, tries));
	}
	mech_lock_release(&r->lock_fd);
	mech_ref_drop_old(r);
	/*
	 * The rename over the branch is flushed now, outside the lock: the next
	 * writer, already building on the new head, flushes its own objects
	 * before its own rename, and this write reports nothing before the flush.
	 */
	if (flush_later) {
		if (rc == 1 && mech_ref_flush(r, flush_later) < 0) {
			rc = -1;
			res->commit[0] = '\0';
		}
		free(flush_later);
	}
	if (rc == 1 && !opts->dry_run) {
		/* due merges run once the command has answered (mech/maint.h) */
		char *lock = mech_lock_path(r->cfg, r->tenant);
		mech_maint_note(r->path, r->tenant, lock);
		free(lock);
	}
	if (rc == 0) {
		mech_error_set(MECH_ECONTENTION,
			       "the branch of %s/gitops kept moving; gave up after %d attempts",
			       r->tenant, r->cfg->gitops_retries);
		mech_error_hint("nothing was written; retrying the command is safe");
		return -1;
	}
	return rc < 0 ? -1 : 0;
}
