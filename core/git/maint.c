/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Merging a tenant's packs in the background, after the command has
 * answered; the contract (who calls what, when, and what a merge must
 * never do) is in mech/maint.h.
 */
#include "mech/maint.h"
#include "mech/error.h"
#include "mech/lock.h"
#include "mech/objstore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* repositories whose writes in this process left MECH_PACK_LIMIT packs or more */
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

/*
 * A killed pack write or merge leaves its temporaries (mech_objstore_sweep);
 * a merge removes those older than this. It holds the merge lock and the
 * tenant lock then, so no merge and no write of this host is writing one;
 * the age keeps a file any other writer may still be filling (a read's
 * fetch, which takes no tenant lock, stalled on the network), and it is far
 * longer than the lock budget and any network timeout. (Even so, removing a
 * live writer's temporary would only make that writer fail: libgit2 links
 * a finished temporary into place, and the link then finds nothing.)
 */
#define STALE_TEMP_MIN 60

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
static int merge_failed_recently(const char *gitdir, const char *tenant)
{
	char *file = mech_sprintf("%s/" MERGE_LOG, gitdir);
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
				tenant, why.ptr ? why.ptr : "", file, when);
	}
	mech_error_clear();
	mech_buf_dispose(&why);
	free(file);
	return wait;
}

void mech_maint_note(const char *gitdir, const char *tenant, const char *tenant_lock)
{
	size_t i;
	if (!mech_objstore_compaction_due(gitdir) || merge_failed_recently(gitdir, tenant))
		return;
	for (i = 0; i < merge_dirs.len; i++)
		if (!strcmp(merge_dirs.items[i], gitdir))
			return;
	mech_strv_push(&merge_dirs, gitdir);
	mech_strv_push(&merge_locks, tenant_lock);
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
		} else if (mech_lock_wait(tenant_lock, &lfd) == 0) {
			/* no write is building a commit while the packs it listed go (the
			 * merged pack is on disk first: its writer flushes it, repo.c) */
			if (m) {
				mech_objstore_merge_finish(m);
				m = NULL;
				merged = 1;
				merge_log(gitdir, NULL);
			}
			mech_objstore_sweep(gitdir, time(NULL) - STALE_TEMP_MIN * 60);
			mech_lock_release(&lfd);
		} else if (m) {
			merge_log(gitdir, "cannot lock the tenant to remove the merged packs");
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

void mech_maint_run(mech_strv *warnings)
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
