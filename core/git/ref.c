/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Moving a ref of a tenant repository the way git moves one, so that mech
 * and people's git commands can share the repository: take git's lock file
 * (refs/heads/main.lock), compare the ref with the value the write planned
 * on, rename the lock over the ref. libgit2 does the same, except for two
 * things a write needs:
 *
 *  - Knowing that a lock is its own. A write killed while it holds the lock
 *    leaves it behind, and every later write and every human push then
 *    finds the ref locked. A lock file does not say who holds it, and git's
 *    rule (lockfile.c) is never to remove a lock another process may hold.
 *    So mech's lock appears as a hard link to a claim file,
 *    gitops.git/mech-claims/<ref>, written first with the new value in it.
 *    Only a write holding the tenant lock writes a claim: a claim found by
 *    the next write was left by a killed one, and a lock that is the same
 *    file (device and inode) as that claim is the killed write's own, which
 *    the next write removes. Any other lock is someone else's (a push
 *    running its hooks), and is waited for, never removed
 *    (mech_lock_file_wait).
 *
 *  - Durability as git's core.fsync does it: the new value is flushed
 *    before it takes the lock's name, the ref's directory after the rename.
 *    The objects the ref names were flushed before it moves (libgit2's
 *    GIT_OPT_ENABLE_FSYNC_GITDIR, set in repo.c, covers the pack writer).
 *    A write claims first (mech_ref_claim) so that the claim is flushed
 *    together with its pack, and flushes the ref's directory once it has
 *    let go of the tenant lock (mech_ref_flush): both before it reports.
 */
#include "gitops_int.h"
#include "mech/buf.h"
#include "mech/error.h"
#include "mech/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CLAIMS "mech-claims"

static char *parent_of(const char *path)
{
	return mech_strndup(path, (size_t)(strrchr(path, '/') - path));
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	return rc;
}

/* Flush `dir` and each directory above it up to and including `top`. */
static int fsync_up(const char *dir, const char *top)
{
	char *d = mech_strdup(dir);
	size_t stop = strlen(top);
	int rc = 0;
	for (;;) {
		if (fsync_dir(d) < 0) {
			rc = mech_error_set(MECH_EFAILED, "cannot flush %s to disk: %s", d,
					    strerror(errno));
			break;
		}
		if (strlen(d) <= stop || !strrchr(d, '/') || strrchr(d, '/') == d)
			break;
		*strrchr(d, '/') = '\0';
	}
	free(d);
	return rc;
}

/*
 * The tenant lock is ours, and only its holder writes a claim: one found now
 * was left by a killed write, and a lock that is the same file is that
 * write's lock. (While the claim exists its inode cannot be reused, so the
 * comparison cannot mistake another process's lock for it.)
 */
static void reclaim(const char *claim, const char *lock)
{
	struct stat c, l;
	if (lstat(claim, &c) < 0)
		return;
	if (lstat(lock, &l) == 0 && l.st_dev == c.st_dev && l.st_ino == c.st_ino)
		unlink(lock);
	unlink(claim);
}

/*
 * The claim holds the ref's new value, as the ref file will, flushed when
 * `durable`; with `keep`, not flushed but left open in *keep for the caller
 * to flush.
 */
static int write_claim(const char *claim, const git_oid *id, int durable, int *keep)
{
	char line[GIT_OID_HEXSZ + 1];
	int fd = open(claim, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0 && errno == ENOENT) {
		char *dir = parent_of(claim);
		int made = mech_mkdir_p(dir, 0);
		free(dir);
		if (made < 0)
			return -1;
		fd = open(claim, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	}
	if (fd < 0)
		return mech_error_set(MECH_EFAILED, "cannot write %s: %s", claim, strerror(errno));
	git_oid_fmt(line, id);
	line[GIT_OID_HEXSZ] = '\n';
	if (write(fd, line, sizeof(line)) != (ssize_t)sizeof(line) ||
	    (durable && !keep && fsync(fd) < 0)) {
		mech_error_set(MECH_EFAILED, "cannot write %s: %s", claim, strerror(errno));
		close(fd);
		unlink(claim);
		return -1;
	}
	if (keep)
		*keep = fd;
	else
		close(fd);
	return 0;
}

int mech_ref_claim(mech_repo *r, const char *ref, const git_oid *id, int *fd)
{
	char *lock = mech_sprintf("%s/%s.lock", r->path, ref);
	char *claim = mech_sprintf("%s/" CLAIMS "/%s", r->path, ref);
	int rc;

	*fd = -1;
	reclaim(claim, lock);
	rc = write_claim(claim, id, r->cfg->gitops_fsync, fd);
	free(lock);
	free(claim);
	return rc;
}

void mech_ref_unclaim(mech_repo *r, const char *ref)
{
	char *claim = mech_sprintf("%s/" CLAIMS "/%s", r->path, ref);
	unlink(claim);
	free(claim);
}

void mech_ref_drop_old(mech_repo *r)
{
	if (r->old_ref_fd >= 0)
		close(r->old_ref_fd);
	r->old_ref_fd = -1;
}

int mech_ref_flush(mech_repo *r, const char *dir)
{
	if (fsync_dir(dir) == 0)
		return 0;
	mech_error_set(MECH_EFAILED, "cannot flush %s to disk: %s", dir, strerror(errno));
	return mech_error_hint("the branch moved but may not survive a power loss; check the "
			       "disk (%s)",
			       r->path);
}

/* Give the claim the lock's name: the lock appears at once, holding the new value. */
static int take(const char *claim, const char *lock)
{
	long waited = 0;
	int made_dir = 0;
	for (;;) {
		if (link(claim, lock) == 0)
			return 0;
		if (errno == ENOENT && !made_dir) {
			/* a branch in a directory of its own (release/1) */
			char *dir = parent_of(lock);
			int made = mech_mkdir_p(dir, 0);
			free(dir);
			if (made < 0)
				return -1;
			made_dir = 1;
			continue;
		}
		if (errno != EEXIST)
			return mech_error_set(MECH_EFAILED, "cannot lock %s: %s", lock,
					      strerror(errno));
		if (mech_lock_file_wait(lock, &waited) < 0)
			return -1;
	}
}

/* The ref's value (it stays put while we hold its lock): 1 found, 0 absent, -1 error. */
static int current(git_repository *repo, const char *ref, git_oid *out)
{
	git_reference *r = NULL;
	int rc = git_reference_lookup(&r, repo, ref);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return 0;
	}
	if (rc < 0)
		return mech_error_git(MECH_EFAILED, "cannot read the branch");
	rc = 1;
	if (git_reference_type(r) == GIT_REFERENCE_DIRECT)
		git_oid_cpy(out, git_reference_target(r));
	else
		rc = mech_error_set(MECH_EFAILED,
				    "%s is a symbolic ref; mech writes only to a branch", ref);
	git_reference_free(r);
	return rc;
}

/*
 * Add the move to the ref's reflog where the repository keeps one (libgit2's
 * rule: core.logAllRefUpdates "always", or "true" for branches or a ref
 * that has a log; a bare repository by default keeps none). A reflog is
 * history, not state: a move is not undone because its log line failed.
 */
static void log_move(mech_repo *r, const char *ref, const git_oid *id, const char *why)
{
	git_config *cfg = NULL;
	git_buf v = GIT_BUF_INIT;
	git_reflog *log = NULL;
	git_signature *who = NULL;
	int on = 0;

	if (git_repository_config_snapshot(&cfg, r->git) == 0 &&
	    git_config_get_string_buf(&v, cfg, "core.logAllRefUpdates") == 0) {
		if (!strcasecmp(v.ptr, "always"))
			on = 1;
		else if (git_config_parse_bool(&on, v.ptr) == 0 && on)
			on = !strncmp(ref, "refs/heads/", 11) ||
			     git_reference_has_log(r->git, ref) == 1;
		else
			on = 0;
	}
	if (on && git_signature_now(&who, r->cfg->machine_name, r->cfg->machine_email) == 0 &&
	    git_reflog_read(&log, r->git, ref) == 0 && git_reflog_append(log, id, who, why) == 0)
		git_reflog_write(log);
	git_error_clear();
	git_reflog_free(log);
	git_signature_free(who);
	git_buf_dispose(&v);
	git_config_free(cfg);
}

int mech_ref_move(mech_repo *r, const char *ref, const git_oid *old, const git_oid *id, int force,
		  const char *why, int claimed, char **flush_later)
{
	char *path = mech_sprintf("%s/%s", r->path, ref);
	char *lock = mech_sprintf("%s.lock", path);
	char *claim = mech_sprintf("%s/" CLAIMS "/%s", r->path, ref);
	int durable = r->cfg->gitops_fsync, rc = -1, found;
	git_oid now;

	if (!claimed) {
		reclaim(claim, lock);
		if (write_claim(claim, id, durable, NULL) < 0)
			goto done;
	}
	if (take(claim, lock) < 0) {
		unlink(claim);
		goto done;
	}
	found = current(r->git, ref, &now);
	if (found < 0)
		goto release;
	if (!force && (old ? !found || !git_oid_equal(&now, old) : found)) {
		rc = 0;
		goto release;
	}
	/*
	 * The file the rename replaces is held open until the caller has let
	 * go of the tenant lock (mech_ref_drop_old): a file's blocks are freed
	 * with its last name and descriptor, and on a disk mounted with
	 * `discard` that free waits for the device (0.1 ms and more a write).
	 */
	if (found && r->old_ref_fd < 0)
		r->old_ref_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (rename(lock, path) < 0) {
		mech_error_set(MECH_EFAILED, "cannot move %s: %s", ref, strerror(errno));
		goto release;
	}
	unlink(claim);
	rc = 1;
	/* a new ref (the first receipt) is a new name in directories made since the last flush */
	if (durable && found && flush_later) {
		*flush_later = parent_of(path);
	} else if (durable) {
		char *dir = parent_of(path), *objects = mech_sprintf("%s/objects", r->path);
		if (fsync_up(dir, found ? dir : r->cfg->home) < 0 ||
		    (!found && fsync_up(objects, r->path) < 0)) {
			mech_error_hint("the branch moved but may not survive a power loss; check the "
					"disk (%s)",
					r->path);
			rc = -1;
		}
		free(dir);
		free(objects);
	}
	if (rc == 1)
		log_move(r, ref, id, why);
	goto done;
release:
	unlink(lock); /* ours: taken above */
	unlink(claim);
done:
	free(path);
	free(lock);
	free(claim);
	return rc;
}
