/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_REPO_H
#define MECH_REPO_H

#include <git2.h>

#include "mech/config.h"

/*
 * A tenant's GitOps repository (DESIGN §3, §4): the bare repo under
 * MECH_HOME/tenants/T/gitops.git, its branch, and — with gitops.remote set —
 * the remote it mirrors. Reads go through this handle; writes go through a
 * transaction on it (mech/gitops.h).
 */

typedef struct mech_repo mech_repo;

/**
 * Open a tenant's repository (does not lock). MECH_ENOT_FOUND for an unknown
 * tenant. A tenant this host knows (tenants/T/tenant.yaml) whose mirror is
 * missing, with a remote, gets an empty mirror that the first sync fills:
 * the several-hosts set-up of docs/scaling.md.
 */
int mech_repo_open(mech_repo **out, const mech_config *cfg, const char *tenant);
/** Create the tenant's empty bare repository, HEAD on gitops.branch (an existing one is kept). */
int mech_repo_create(const mech_config *cfg, const char *tenant);
void mech_repo_free(mech_repo *repo);
/**
 * For a handle kept open across writes (the console): let go of the packs
 * a merge removed since the last call (mech_objstore_forget_gone). Call
 * between writes, never during one. 1 let go, 0 nothing gone, -1 error.
 */
int mech_repo_forget_gone_packs(mech_repo *repo);
/** The libgit2 repository, borrowed: it lives as long as the handle. */
git_repository *mech_repo_git(mech_repo *repo);
const char *mech_repo_tenant(const mech_repo *repo);
const mech_config *mech_repo_config(const mech_repo *repo);
/** A per-host cache file of the tenant's branch: MECH_HOME/cache/T/<kind>-<branch>.<ext>. */
char *mech_repo_cache_file(const mech_repo *repo, const char *kind, const char *ext);
/**
 * Write that cache file (its directory made if missing), not flushed: a
 * cache a crash may lose. Errors are cleared: what was listed stands
 * without it.
 */
void mech_repo_cache_write(const mech_repo *repo, const char *kind, const char *ext,
			   const void *data, size_t len);
/** Branch head; ENOTFOUND-style error (MECH_ENOT_FOUND) on an unborn branch. */
int mech_repo_head(mech_repo *repo, git_oid *out);
/** Sync with the remote, then the tree at the branch head (read-only commands). */
int mech_repo_head_tree(mech_repo *repo, git_tree **out);
/** Bring the local mirror up to date with the remote (no-op without one); core/git/remote.c. */
int mech_repo_sync(mech_repo *repo);
/**
 * Give a remote whose branch is empty the local branch's history (a tenant
 * that was local-only, moved to a remote). 1 pushed, 0 nothing to do (no
 * remote, no local history, or the remote branch exists), -1 error.
 */
int mech_repo_publish(mech_repo *repo);

#endif
