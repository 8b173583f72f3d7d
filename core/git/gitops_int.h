/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_GITOPS_INT_H
#define MECH_GITOPS_INT_H

/*
 * Inside the GitOps family only (repo.c, remote.c, ref.c, gitops.c): the
 * fields of a tenant repository handle, how a ref moves, and the push a
 * transaction makes. Every other module sees mech_repo through mech/repo.h.
 */

#include "mech/lastwriter.h"
#include "mech/objstore.h"
#include "mech/repo.h"

#include <signal.h>
#include <time.h>

struct mech_repo {
	const mech_config *cfg;
	char *tenant;
	char *path;
	char *branch_ref; /* refs/heads/<branch> */
	char *remote_url; /* NULL when none */
	git_repository *git;
	mech_lastwriter *lw;
	mech_objstore *objs;  /* staged objects of the write in progress */
	int lock_fd;          /* the tenant lock while a write holds it, else -1 */
	int old_ref_fd;       /* the file a move replaced, held open (mech_ref_move), else -1 */
	mech_strv packs_seen; /* mech_repo_forget_gone_packs */
};

/**
 * Move `ref` to `id` if it is at `old` (NULL: only if the ref does not
 * exist), or from wherever it is when `force`; call with the tenant lock
 * held. Shares git's lock file with git (core/git/ref.c): a lock another process
 * holds is waited for and never removed. With gitops.fsync the move is on
 * disk when this returns 1, except that with `flush_later` (not NULL) the
 * directory of an existing ref is left for the caller to flush with
 * mech_ref_flush() (after letting go of the tenant lock, before reporting
 * the write; *flush_later is that directory, to free). `claimed`: the
 * caller wrote the claim with mech_ref_claim() and flushed it. `why` is
 * the reflog message where the repository keeps reflogs. 1 moved, 0 the
 * ref was elsewhere (re-plan), -1 error (MECH_ECONTENTION: its lock stayed
 * taken for the whole lock budget). Either way the claim is gone. The file
 * a move replaced stays open until mech_ref_drop_old().
 */
int mech_ref_move(mech_repo *r, const char *ref, const git_oid *old, const git_oid *id, int force,
		  const char *why, int claimed, char **flush_later);
/**
 * Write the claim of `ref`'s move to `id` (core/git/ref.c) without
 * flushing it, and leave it open in *fd for the caller to flush (with the
 * pack: mech_objstore_flush_with) and close; call with the tenant lock
 * held, then mech_ref_move(…, claimed 1, …) or mech_ref_unclaim(). 0 or -1.
 */
int mech_ref_claim(mech_repo *r, const char *ref, const git_oid *id, int *fd);
/** Remove the claim mech_ref_claim() wrote, when the move will not happen. */
void mech_ref_unclaim(mech_repo *r, const char *ref);
/**
 * Close the file mech_ref_move() replaced and held open: call once the
 * tenant lock is let go (its blocks are freed then, not under the lock).
 */
void mech_ref_drop_old(mech_repo *r);
/** Flush the ref directory mech_ref_move() left to flush. 0, or -1 with the error. */
int mech_ref_flush(mech_repo *r, const char *dir);

/**
 * Push `commit` to the remote branch, whose head the plan saw at `old`
 * (NULL: the remote branch is unborn), each network step bounded by
 * gitops.timeout. 1 pushed; 2 pushed, found by fetching again after the
 * connection failed (the mirror already follows the remote); 0 rejected
 * because the remote moved or its ref was locked (re-plan); -1 error:
 * MECH_EUNAVAILABLE or MECH_EFORBIDDEN with the server's reason, or
 * MECH_EMAYBE_LANDED when the outcome cannot be known.
 */
int mech_remote_push(mech_repo *repo, const git_oid *old, const git_oid *commit);

/* A bound on one network operation (deadline.c): gitops.timeout. */
typedef struct {
	timer_t timer;
	struct sigaction old;
	long ms;
	int armed;
	int expired; /* set by mech_deadline_stop: the time ran out */
} mech_deadline;

/** Arm: from `ms` on, blocking system calls of this thread fail with EINTR. */
int mech_deadline_start(mech_deadline *d, long ms);
/** Disarm (after the remote is freed, so its teardown is bounded too); 1 if it expired. */
int mech_deadline_stop(mech_deadline *d);

#endif
