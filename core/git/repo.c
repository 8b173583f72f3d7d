/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tenant repository handle: which bare repo, which branch, which
 * remote, and the caches a write keeps open on it (last-writer index,
 * staged objects). Reading and writing live elsewhere: tree.c, remote.c,
 * gitops.c.
 */
#include "gitops_int.h"
#include "mech/buf.h"
#include "mech/error.h"
#include "mech/lock.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The host has the tenant's record (tenant.yaml), shared by every host. */
static int tenant_known(const mech_config *cfg, const char *tenant)
{
	char *file = mech_sprintf("%s/tenants/%s/tenant.yaml", cfg->home, tenant);
	int known = access(file, F_OK) == 0;
	free(file);
	return known;
}

int mech_repo_create(const mech_config *cfg, const char *tenant)
{
	git_repository *repo = NULL;
	git_repository_init_options o = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	char *path = mech_config_repo_path(cfg, tenant);
	char *head = mech_sprintf("refs/heads/%s", cfg->gitops_branch);
	int rc = 0;
	o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	o.initial_head = head;
	o.description = "mech tenant GitOps repository";
	if (git_repository_init_ext(&repo, path, &o) < 0)
		rc = mech_error_git(MECH_EFAILED, "cannot create the tenant repository");
	git_repository_free(repo);
	free(path);
	free(head);
	return rc;
}

int mech_repo_open(mech_repo **out, const mech_config *cfg, const char *tenant)
{
	mech_repo *r = mech_calloc(1, sizeof(*r));
	char *remote;
	r->cfg = cfg;
	r->tenant = mech_strdup(tenant);
	r->path = mech_config_repo_path(cfg, tenant);
	r->branch_ref = mech_sprintf("refs/heads/%s", cfg->gitops_branch);
	r->lock_fd = -1;
	r->old_ref_fd = -1;
	/*
	 * libgit2 flushes what it writes into a repository (a pack and its
	 * index, then objects/pack; loose objects; refs) only when asked, and
	 * the setting is the process's: one configuration per process, so it
	 * is set where a repository meets it. ref.c flushes the refs mech moves.
	 */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, cfg->gitops_fsync);
	remote = mech_config_remote_for(cfg, tenant);
	if (*remote)
		r->remote_url = remote;
	else
		free(remote);
	if (git_repository_open_bare(&r->git, r->path) < 0 && r->remote_url &&
	    tenant_known(cfg, tenant) && mech_repo_create(cfg, tenant) == 0)
		git_repository_open_bare(&r->git, r->path);
	if (!r->git) {
		mech_error_git(MECH_ENOT_FOUND, "cannot open the tenant repository");
		mech_error_hint("run `mech admin tenant add %s` first", tenant);
		mech_repo_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void mech_repo_free(mech_repo *r)
{
	if (!r)
		return;
	mech_lock_release(&r->lock_fd);
	mech_ref_drop_old(r);
	mech_lastwriter_free(r->lw);
	mech_objstore_free(r->objs);
	mech_strv_dispose(&r->packs_seen);
	git_repository_free(r->git);
	free(r->tenant);
	free(r->path);
	free(r->branch_ref);
	free(r->remote_url);
	free(r);
}

int mech_repo_forget_gone_packs(mech_repo *r)
{
	int rc = mech_objstore_forget_gone(r->git, &r->packs_seen);
	if (rc == 1 && r->objs) {
		/* a write's staging database still holds the old packs; the next write stages anew */
		mech_objstore_free(r->objs);
		r->objs = NULL;
	}
	return rc;
}

git_repository *mech_repo_git(mech_repo *r)
{
	return r->git;
}

const char *mech_repo_tenant(const mech_repo *r)
{
	return r->tenant;
}

const mech_config *mech_repo_config(const mech_repo *r)
{
	return r->cfg;
}

char *mech_repo_cache_file(const mech_repo *r, const char *kind, const char *ext)
{
	return mech_sprintf("%s/cache/%s/%s-%s.%s", r->cfg->home, r->tenant, kind,
			    r->cfg->gitops_branch, ext);
}

void mech_repo_cache_write(const mech_repo *r, const char *kind, const char *ext, const void *data,
			   size_t len)
{
	char *path = mech_repo_cache_file(r, kind, ext), *dir = mech_strdup(path);
	*strrchr(dir, '/') = '\0';
	if (mech_mkdir_p(dir, 0755) < 0 || mech_file_write_cache(path, data, len, 0644) < 0)
		mech_error_clear();
	free(path);
	free(dir);
}

int mech_repo_head(mech_repo *r, git_oid *out)
{
	int rc = git_reference_name_to_id(out, r->git, r->branch_ref);
	if (rc == GIT_ENOTFOUND)
		return mech_error_set(MECH_ENOT_FOUND, "%s/gitops has no branch %s yet", r->tenant,
				      r->cfg->gitops_branch);
	if (rc < 0)
		return mech_error_git(MECH_EFAILED, "cannot read the branch head");
	return 0;
}

int mech_repo_head_tree(mech_repo *r, git_tree **out)
{
	git_oid head;
	git_commit *c = NULL;
	*out = NULL;
	if (mech_repo_sync(r) < 0 || mech_repo_head(r, &head) < 0)
		return -1;
	if (git_commit_lookup(&c, r->git, &head) < 0 || git_commit_tree(out, c) < 0) {
		git_commit_free(c);
		return mech_error_git(MECH_EFAILED, "cannot read the branch head");
	}
	git_commit_free(c);
	return 0;
}
