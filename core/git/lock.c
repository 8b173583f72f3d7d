/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tenant lock: the one place that knows it is an flock and how long a
 * write waits for it, or for a lock file git holds. See mech/lock.h.
 */
#include "mech/lock.h"
#include "mech/buf.h"
#include "mech/error.h"
#include "mech/live.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* a write waits this long for the one before it (or for git), then says the tenant is busy */
#define LOCK_WAIT_MS 60000

char *mech_lock_path(const mech_config *cfg, const char *tenant)
{
	return mech_sprintf("%s/tenants/%s/lock", cfg->home, tenant);
}

int mech_lock_take(const char *path, const char *tenant, int *fd)
{
	long waited = 0;
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0)
		return mech_error_set(MECH_EFAILED, "cannot open the tenant lock: %s",
				      strerror(errno));
	/* polled, not blocking: a blocking flock cannot give up after a minute */
	while (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			mech_error_set(MECH_EFAILED, "cannot lock the tenant: %s", strerror(errno));
			goto fail;
		}
		if (waited >= LOCK_WAIT_MS) {
			mech_error_set(MECH_ECONTENTION,
				       "another write to tenant %s held the lock for %ld s", tenant,
				       waited / 1000);
			mech_error_hint("retry the command; it is safe to repeat");
			goto fail;
		}
		mech_sleep_ms(5);
		waited += 5;
	}
	return 0;
fail:
	mech_lock_release(fd);
	return -1;
}

int mech_lock_wait(const char *path, int *fd)
{
	int rc;
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0)
		return -1;
	while ((rc = flock(*fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (rc < 0) {
		mech_lock_release(fd);
		return -1;
	}
	return 0;
}

int mech_lock_file_wait(const char *file, long *waited)
{
	struct stat st;
	long step;
	if (stat(file, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		st.st_mtime = time(NULL); /* there, but its age unknown: wait all the same */
	}
	if (*waited >= LOCK_WAIT_MS) {
		mech_error_set(MECH_ECONTENTION,
			       "%s is held by another process (created %ld s ago); gave up after "
			       "waiting %ld s, nothing was written",
			       file, (long)(time(NULL) - st.st_mtime), *waited / 1000);
		return mech_error_hint("retry the command; it is safe to repeat. If no git process "
				       "is using the repository, one was killed holding the lock: "
				       "remove %s",
				       file);
	}
	/* a push with hooks holds it for seconds: poll often at first, then back off */
	step = *waited / 4;
	step = step < 5 ? 5 : step > 250 ? 250 : step;
	mech_sleep_ms(step);
	*waited += step;
	return 0;
}

void mech_lock_release(int *fd)
{
	if (*fd >= 0) {
		close(*fd); /* releases the flock */
		*fd = -1;
	}
}
