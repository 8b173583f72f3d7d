/*
 * GitOps transactions. One verb, one commit: the plan runs against the
 * branch head, every touched path passes the write policy, the tree is
 * built in the object database and the branch moves by compare-and-swap
 * under the tenant's flock. With a remote, the plan runs on the remote
 * head and the commit is pushed before the local mirror moves, so an
 * unreachable remote leaves nothing half-done.
 */
#include "mech/gitops.h"
#include "mech/error.h"
#include "mech/lastwriter.h"
#include "mech/objstore.h"
#include "mech/policy.h"
#include "mech/sign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILE (1024 * 1024)
#define LOCK_WAIT_MS 60000
#define PUSH_REF "refs/mech/push"

struct mech_repo {
	const mech_config *cfg;
	char *tenant;
	char *path;
	char *branch_ref; /* refs/heads/<branch> */
	char *remote_url; /* NULL when none */
	git_repository *git;
	mech_lastwriter *lw;
	mech_objstore *objs; /* staged objects of the write in progress */
	int lock_fd;
};

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
};

/* ---- repository ---- */

int mech_repo_open(mech_repo **out, const mech_config *cfg, const char *tenant)
{
	mech_repo *r = mech_calloc(1, sizeof(*r));
	char *remote;
	r->cfg = cfg;
	r->tenant = mech_strdup(tenant);
	r->path = mech_config_repo_path(cfg, tenant);
	r->branch_ref = mech_sprintf("refs/heads/%s", cfg->gitops_branch);
	r->lock_fd = -1;
	remote = mech_config_remote_for(cfg, tenant);
	if (*remote)
		r->remote_url = remote;
	else
		free(remote);
	if (git_repository_open_bare(&r->git, r->path) < 0) {
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
	if (r->lock_fd >= 0)
		close(r->lock_fd);
	mech_lastwriter_free(r->lw);
	mech_objstore_free(r->objs);
	git_repository_free(r->git);
	free(r->tenant);
	free(r->path);
	free(r->branch_ref);
	free(r->remote_url);
	free(r);
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

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static char *tenant_lock_path(const mech_repo *r)
{
	return mech_sprintf("%s/tenants/%s/lock", r->cfg->home, r->tenant);
}

static int lock_tenant(mech_repo *r)
{
	char *file = tenant_lock_path(r);
	long waited = 0;
	r->lock_fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(file);
	if (r->lock_fd < 0)
		return mech_error_set(MECH_EFAILED, "cannot open the tenant lock: %s", strerror(errno));
	while (flock(r->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return mech_error_set(MECH_EFAILED, "cannot lock the tenant: %s",
					      strerror(errno));
		if (waited >= LOCK_WAIT_MS) {
			mech_error_set(MECH_ECONTENTION,
				       "another write to tenant %s held the lock for %ld s", r->tenant,
				       waited / 1000);
			return mech_error_hint("retry the command; it is safe to repeat");
		}
		sleep_ms(5);
		waited += 5;
	}
	return 0;
}

static void unlock_tenant(mech_repo *r)
{
	if (r->lock_fd >= 0) {
		close(r->lock_fd); /* releases the flock */
		r->lock_fd = -1;
	}
}

/* ---- merging packs, after the command ---- */

/* tenants whose writes in this process left MECH_PACK_LIMIT packs or more */
static mech_strv merge_dirs = MECH_STRV_INIT, merge_locks = MECH_STRV_INIT;
/* what the last merge of a tenant's packs left in its log, for the command to say */
static mech_strv merge_warnings = MECH_STRV_INIT;

/*
 * A merge that fails leaves the reason in gitops.git/compact.log (as
 * `git gc --auto` leaves gc.log): nobody sees a detached process's errors,
 * so every write that finds merging due says it, and merging waits
 * MERGE_RETRY_MIN minutes before trying again instead of failing in the background
 * after every write.
 */
#define MERGE_LOCK "compact.lock"
#define MERGE_LOG "compact.log"
#define MERGE_RETRY_MIN 10

static void merge_log(const char *gitdir, const char *why)
{
	char *file = mech_sprintf("%s/" MERGE_LOG, gitdir);
	if (why) {
		char *line = mech_sprintf("%s\n", why);
		mech_file_write_atomic(file, line, strlen(line), 0644);
		free(line);
	} else {
		unlink(file);
	}
	free(file);
}

/* 1 when a recent failure says not to merge yet; a logged failure is reported either way */
static int merge_failed_recently(const mech_repo *r)
{
	char *file = mech_sprintf("%s/" MERGE_LOG, r->path);
	mech_buf why = MECH_BUF_INIT;
	char when[32] = "now";
	struct stat st;
	int wait = 0;
	if (stat(file, &st) == 0 && mech_buf_read_file(&why, file, 1024) == 0) {
		wait = time(NULL) - st.st_mtime < MERGE_RETRY_MIN * 60;
		while (why.len && (why.ptr[why.len - 1] == '\n' || why.ptr[why.len - 1] == '\r'))
			why.ptr[--why.len] = '\0';
		if (wait)
			snprintf(when, sizeof(when), "%d minutes after it", MERGE_RETRY_MIN);
		mech_strv_pushf(&merge_warnings,
				"the last merge of %s's packs failed: %s (%s; merging is tried again %s)",
				r->tenant, why.ptr ? why.ptr : "", file, when);
	}
	mech_error_clear();
	mech_buf_dispose(&why);
	free(file);
	return wait;
}

static void schedule_merge(mech_repo *r)
{
	char *lock;
	size_t i;
	if (!mech_objstore_compaction_due(r->path) || merge_failed_recently(r))
		return;
	for (i = 0; i < merge_dirs.len; i++)
		if (!strcmp(merge_dirs.items[i], r->path))
			return;
	mech_strv_push(&merge_dirs, r->path);
	lock = tenant_lock_path(r);
	mech_strv_push(&merge_locks, lock);
	free(lock);
}

/* The merge lock of a repository, taken without waiting; -1 when another merge holds it. */
static int merge_lock(const char *gitdir)
{
	char *file = mech_sprintf("%s/" MERGE_LOCK, gitdir);
	int fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(file);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * Merge while holding the merge lock `fd`, then look again once it is let
 * go: a write that added a pack while this merge ran found the lock taken
 * and left the merge to whoever held it.
 */
static void merge_packs(const char *gitdir, const char *tenant_lock, int fd)
{
	int round;
	for (round = 0; round < 8 && fd >= 0; round++) {
		git_repository *repo = NULL;
		mech_pack_merge *m = NULL;
		int merged = 0, lfd;
		if (git_repository_open_bare(&repo, gitdir) < 0) {
			mech_error_git(MECH_EFAILED, "cannot open the repository");
			merge_log(gitdir, mech_error_last()->message);
		} else if (mech_objstore_merge(repo, &m) < 0) {
			merge_log(gitdir, mech_error_last()->message);
		} else if (m) {
			lfd = open(tenant_lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
			/* no write is building a commit while the packs it listed go */
			if (lfd >= 0 && flock(lfd, LOCK_EX) == 0) {
				mech_objstore_merge_finish(m);
				m = NULL;
				merged = 1;
				merge_log(gitdir, NULL);
			} else {
				merge_log(gitdir, "cannot lock the tenant to remove the merged packs");
			}
			if (lfd >= 0)
				close(lfd);
		}
		mech_objstore_merge_abandon(m);
		git_repository_free(repo);
		mech_error_clear();
		close(fd); /* releases the flock */
		fd = -1;
		if (merged && mech_objstore_compaction_due(gitdir))
			fd = merge_lock(gitdir);
	}
}

/* Does this process run other threads (the console's watcher)? fork would copy only this one. */
static int threaded(void)
{
	char buf[1024], *p;
	long n = 0;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ssize_t len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	int i;
	if (fd >= 0)
		close(fd);
	if (len <= 0)
		return 1;
	buf[len] = '\0';
	/* the command name may hold spaces: fields are counted after its ')' */
	if (!(p = strrchr(buf, ')')))
		return 1;
	for (i = 2; i < 20 && p; i++)
		p = strchr(p + 1, ' ');
	if (p)
		n = strtol(p + 1, NULL, 10);
	return n != 1;
}

void mech_gitops_maintain(mech_strv *warnings)
{
	size_t i;
	for (i = 0; i < merge_dirs.len; i++) {
		int fd = merge_lock(merge_dirs.items[i]), null;
		pid_t pid;
		if (fd < 0)
			continue; /* a merge is running; it looks again when done */
		if (threaded()) {
			merge_packs(merge_dirs.items[i], merge_locks.items[i], fd);
			continue;
		}
		fflush(NULL);
		/*
		 * Twice, so the merge is nobody's child: the command exits now and
		 * a long-lived process (the shell's REPL) has no zombie to reap.
		 * The flock goes with the open file, to the grandchild.
		 */
		pid = fork();
		if (pid < 0) {
			merge_packs(merge_dirs.items[i], merge_locks.items[i], fd);
			continue;
		}
		if (pid == 0) {
			if (fork() != 0)
				_exit(0);
			setsid();
			null = open("/dev/null", O_RDWR | O_CLOEXEC);
			if (null >= 0) {
				dup2(null, 0);
				dup2(null, 1);
				dup2(null, 2);
			}
			merge_packs(merge_dirs.items[i], merge_locks.items[i], fd);
			_exit(0);
		}
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		close(fd);
	}
	mech_strv_dispose(&merge_dirs);
	mech_strv_dispose(&merge_locks);
	for (i = 0; warnings && i < merge_warnings.len; i++)
		mech_strv_push(warnings, merge_warnings.items[i]);
	mech_strv_dispose(&merge_warnings);
}

/* ---- remote ---- */

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
		rc = git_odb_write(&written, dst, git_odb_object_data(obj), git_odb_object_size(obj),
				   git_odb_object_type(obj));
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

/* 1 pushed, 0 rejected (someone else moved the branch), -1 error. */
static int push_commit(mech_repo *r, const git_oid *old, const git_oid *commit)
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

/* ---- planning ---- */

static planned *find_planned(mech_txn *txn, const char *path)
{
	size_t i;
	for (i = 0; i < txn->nplan; i++)
		if (!strcmp(txn->plan[i].path, path))
			return &txn->plan[i];
	return NULL;
}

int mech_tree_read(git_repository *repo, git_tree *tree, const char *path, size_t max,
		   mech_buf *out)
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
	git_tree *t;
	char *prefix = mech_sprintf("%s/", dir);
	size_t i, plen = strlen(prefix);
	mech_strv all = MECH_STRV_INIT;
	if (subtree(txn->repo->git, txn->base, dir, &t) > 0) {
		list_files_rec(txn->repo->git, t, prefix, &all);
		git_tree_free(t);
	}
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
		txn->plan = mech_realloc(txn->plan, (txn->nplan + 1) * sizeof(*txn->plan));
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
		res->changes = mech_realloc(res->changes, (res->nchanges + 1) * sizeof(mech_change));
		c = &res->changes[res->nchanges++];
		memset(c, 0, sizeof(*c));
		c->path = mech_strdup(p->path);
		c->action = !p->data ? MECH_CHANGE_DELETE
				     : found ? MECH_CHANGE_UPDATE : MECH_CHANGE_CREATE;
		if (p->data) {
			c->data = mech_strndup(p->data, p->len);
			c->len = p->len;
		}
	}
	mech_buf_dispose(&cur);
	return 0;
}

static int last_writers(mech_repo *r, const git_oid *head, mech_txn_result *res)
{
	size_t i;
	if (!r->lw) {
		char *file = mech_repo_cache_file(r, "lastwriter", "idx");
		mech_lastwriter_open(&r->lw, r->git, r->cfg, file);
		free(file);
	}
	if (mech_lastwriter_update(r->lw, head) < 0)
		return -1;
	for (i = 0; i < res->nchanges; i++) {
		mech_change *c = &res->changes[i];
		mech_lastwriter_get(r->lw, c->path, &c->writer);
		c->needs_force = mech_policy_needs_force(&c->writer);
	}
	return 0;
}

static int build_commit(mech_repo *r, const mech_txn_opts *opts, mech_txn *txn,
			const git_oid *head, mech_txn_result *res, git_oid *out)
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
		if (git_treebuilder_new(&tb, r->git, NULL) < 0 || git_treebuilder_write(&empty, tb) < 0) {
			mech_error_git(MECH_EFAILED, "cannot build the tree");
			goto done;
		}
		git_treebuilder_free(tb);
		if (git_tree_lookup(&txn->base, r->git, &empty) < 0) {
			mech_error_git(MECH_EFAILED, "cannot build the tree");
			goto done;
		}
	}
	if (git_tree_create_updated(&tree_id, r->git, txn->base, res->nchanges, ups) < 0 ||
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

/*
 * A ref lock left by a process killed mid-write blocks every later write
 * (libgit2 does not wait or break locks). We hold the tenant flock, so
 * another mech cannot own it; a git process (a human's push to the bare
 * repo) holds one for milliseconds. A lock older than STALE_LOCK_S is a
 * crash leftover and is removed.
 */
#define STALE_LOCK_S 2

static void break_stale_lock(mech_repo *r)
{
	char *lock = mech_sprintf("%s/%s.lock", r->path, r->branch_ref);
	struct stat st;
	if (stat(lock, &st) == 0 && time(NULL) - st.st_mtime >= STALE_LOCK_S)
		unlink(lock);
	free(lock);
}

/* Move the local branch from `old` (NULL: unborn) to `new`. 1 moved, 0 lost the race. */
static int move_branch(mech_repo *r, const git_oid *old, const git_oid *new_id)
{
	git_reference *ref = NULL;
	int rc, tries;
	for (tries = 0; tries < 1000; tries++) {
		if (old)
			rc = git_reference_create_matching(&ref, r->git, r->branch_ref, new_id, 1,
							   old, "mech: commit");
		else
			rc = git_reference_create(&ref, r->git, r->branch_ref, new_id, 0,
						  "mech: commit");
		git_reference_free(ref);
		ref = NULL;
		if (rc == 0)
			return 1;
		if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS)
			return 0;
		if (rc != GIT_ELOCKED)
			return mech_error_git(MECH_EFAILED, "cannot move the branch");
		/* a git process (a human's push) holds the ref lock: wait briefly */
		break_stale_lock(r);
		sleep_ms(5);
	}
	mech_error_set(MECH_ECONTENTION, "the branch %s stayed locked by another Git process",
		       r->branch_ref);
	return mech_error_hint("if no git process is running, remove %s/%s.lock", r->path,
			       r->branch_ref);
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
		res->forced = mech_realloc(res->forced, (res->nforced + 1) * sizeof(*res->forced));
		f = &res->forced[res->nforced++];
		git_oid_tostr(f->commit, sizeof(f->commit), &c->writer.commit);
		f->path = mech_strdup(c->path);
	}
}

/* One attempt. 1 done, 0 lost a race (retry), -1 error. */
static int attempt(mech_repo *r, const mech_txn_opts *opts, mech_txn_result *res)
{
	mech_txn txn;
	git_oid head, commit;
	git_commit *hc = NULL;
	int have_head, rc = -1;

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
	if (!r->objs && mech_objstore_stage(&r->objs, r->git) < 0)
		return -1;
	have_head = git_reference_name_to_id(&head, r->git, r->branch_ref) == 0;
	git_error_clear();
	if (have_head && (git_commit_lookup(&hc, r->git, &head) < 0 ||
			  git_commit_tree(&txn.base, hc) < 0)) {
		mech_error_git(MECH_EFAILED, "cannot read the branch head");
		goto done;
	}
	if (opts->plan(&txn, opts->payload) < 0 || diff_plan(&txn, res) < 0)
		goto done;
	if (have_head && last_writers(r, &head, res) < 0)
		goto done;
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
	if (build_commit(r, opts, &txn, have_head ? &head : NULL, res, &commit) < 0) {
		mech_objstore_discard(r->objs);
		goto done;
	}
	if (mech_objstore_flush(r->objs) < 0)
		goto done;
	if (r->remote_url) {
		rc = push_commit(r, have_head ? &head : NULL, &commit);
		if (rc <= 0)
			goto done;
	}
	rc = move_branch(r, have_head ? &head : NULL, &commit);
	if (rc == 0 && r->remote_url) {
		/* pushed, so the remote is the truth: make the mirror follow it */
		git_reference *ref = NULL;
		rc = git_reference_create(&ref, r->git, r->branch_ref, &commit, 1, "mech: mirror") < 0
			     ? mech_error_git(MECH_EFAILED, "cannot move the branch")
			     : 1;
		git_reference_free(ref);
	}
	if (rc == 1)
		git_oid_tostr(res->commit, sizeof(res->commit), &commit);
done:
	git_commit_free(hc);
	txn_reset(&txn);
	return rc;
}

int mech_gitops_apply(mech_repo *r, const mech_txn_opts *opts, mech_txn_result *res)
{
	static int seeded;
	int tries, rc = -1;
	memset(res, 0, sizeof(*res));
	if (!seeded) {
		/* each writer needs its own jitter, or racing hosts retry in lockstep */
		srand((unsigned)getpid() ^ (unsigned)time(NULL));
		seeded = 1;
	}
	if (!opts->dry_run && lock_tenant(r) < 0)
		return -1;
	for (tries = 1; tries <= r->cfg->gitops_retries; tries++) {
		struct timespec t0, t1;
		long took;
		mech_txn_result_dispose(res);
		res->attempts = tries;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = attempt(r, opts, res);
		if (rc != 0)
			break;
		/* someone else moved the branch: back off in proportion to what an
		 * attempt costs (an ssh round trip is far longer than a local write),
		 * randomised, then re-plan */
		clock_gettime(CLOCK_MONOTONIC, &t1);
		took = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		sleep_ms(rand() % ((took + 20) * tries) + 1);
	}
	unlock_tenant(r);
	if (rc == 1 && !opts->dry_run)
		schedule_merge(r);
	if (rc == 0) {
		mech_error_set(MECH_ECONTENTION,
			       "the branch of %s/gitops kept moving; gave up after %d attempts",
			       r->tenant, r->cfg->gitops_retries);
		mech_error_hint("nothing was written; retrying the command is safe");
		return -1;
	}
	return rc < 0 ? -1 : 0;
}
