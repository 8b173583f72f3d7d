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
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* a write waits this long for the one before it (or for git), then says the tenant is busy */
#define LOCK_WAIT_MS 60000

char *mech_lock_path(const mech_config *cfg, const char *tenant)
{
	return mech_sprintf("%s/tenants/%s/lock", cfg->home, tenant);
}

/* does nothing: its arrival makes the blocked flock() fail with EINTR */
static void on_lock_timer(int sig)
{
	(void)sig;
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * Wait in the kernel's queue. Linux chains the waiters of an flock in the
 * order they arrived and wakes only the first when the holder lets go, so
 * writes are served first come, first served (a poll let a newcomer take
 * the lock between two polls of a writer that had waited longer). The wait
 * is bounded by a timer on this thread: its signal (SIGURG, ignored by
 * default, so one delivered late is harmless) has a handler installed
 * without SA_RESTART, and makes flock() return EINTR. It repeats every
 * LOCK_KICK_MS after the minute, in case the first arrived just before the
 * call blocked.
 */
#define LOCK_KICK_MS 100
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

static int wait_queued(int fd, long *waited)
{
	struct sigaction sa, old;
	struct sigevent ev;
	struct itimerspec its;
	struct timespec t0;
	sigset_t urg, mask;
	timer_t timer;
	int rc, err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* a thread that blocks signals (mech sim's) must still hear the timer */
	sigemptyset(&urg);
	sigaddset(&urg, SIGURG);
	pthread_sigmask(SIG_UNBLOCK, &urg, &mask);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_lock_timer;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: the blocked flock must return */
	if (sigaction(SIGURG, &sa, &old) < 0) {
		err = errno;
		pthread_sigmask(SIG_SETMASK, &mask, NULL);
		errno = err;
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_THREAD_ID; /* this thread, whichever others run */
	ev.sigev_signo = SIGURG;
	ev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &ev, &timer) < 0) {
		err = errno;
		sigaction(SIGURG, &old, NULL);
		pthread_sigmask(SIG_SETMASK, &mask, NULL);
		errno = err;
		return -1;
	}
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = LOCK_WAIT_MS / 1000;
	its.it_value.tv_nsec = (LOCK_WAIT_MS % 1000) * 1000000L;
	its.it_interval.tv_nsec = LOCK_KICK_MS * 1000000L;
	timer_settime(timer, 0, &its, NULL);
	/* another signal (a handler without SA_RESTART) wakes it early: queue again */
	while ((rc = flock(fd, LOCK_EX)) < 0 && errno == EINTR &&
	       (*waited = elapsed_ms(&t0)) < LOCK_WAIT_MS)
		;
	err = errno;
	*waited = elapsed_ms(&t0);
	/* a signal already sent is delivered as timer_delete returns, to this thread */
	timer_delete(timer);
	sigaction(SIGURG, &old, NULL);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	errno = err;
	return rc;
}

int mech_lock_take(const char *path, const char *tenant, int *fd)
{
	long waited = 0;
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0)
		return mech_error_set(MECH_EFAILED, "cannot open the tenant lock: %s",
				      strerror(errno));
	/* free: no timer to set up */
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if ((errno == EWOULDBLOCK || errno == EINTR) && wait_queued(*fd, &waited) == 0)
		return 0;
	if (errno != EINTR) {
		mech_error_set(MECH_EFAILED, "cannot lock the tenant: %s", strerror(errno));
		goto fail;
	}
	mech_error_set(MECH_ECONTENTION, "another write to tenant %s held the lock for %ld s",
		       tenant, waited / 1000);
	mech_error_hint("retry the command; it is safe to repeat");
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
