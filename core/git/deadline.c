/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bound on one network operation against a Git remote (gitops.timeout).
 *
 * libgit2 1.5 has no server timeout (GIT_OPT_SET_SERVER_TIMEOUT came in
 * 1.7): its HTTP and SSH transports block in connect(), recv() and poll()
 * for as long as a server that accepted the connection stays silent, and
 * the progress callbacks that could abort only run when bytes arrive. So a
 * timer on the calling thread sends SIGALRM when the deadline passes and
 * again every DEADLINE_KICK_MS after. Its handler, installed without
 * SA_RESTART, makes the blocked system call fail with EINTR, and shuts down
 * every socket opened since the operation began (the remote's connection):
 * a read then sees the end of the stream. The EINTR alone is not enough:
 * libssh2 reports an interrupted poll() as LIBSSH2_ERROR_TIMEOUT, on which
 * libgit2 1.5 retries its handshake for ever; an ended stream is an error
 * every layer gives up on. The repeat catches a call that began just after
 * a signal. Until the deadline no signal is sent, so the file writes of a
 * fetch are never cut.
 *
 * One operation at a time per process (the snapshot of open descriptors is
 * shared): mech talks to the remote from one thread. Once time is up, a
 * socket another thread opened meanwhile (the console's Argo CD watch) is
 * cut as well; the operation is failing then anyway.
 */
#include "gitops_int.h"
#include "mech/error.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define DEADLINE_KICK_MS 100

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

/* descriptors below this are checked: the sockets libgit2 opens are the lowest free */
#define DEADLINE_FDS 1024

static volatile sig_atomic_t expired;
static unsigned char was_open[DEADLINE_FDS / 8]; /* open before the operation: not ours */

static void on_alarm(int sig)
{
	int fd, saved = errno;
	(void)sig;
	expired = 1;
	for (fd = 0; fd < DEADLINE_FDS; fd++) {
		struct stat st;
		if (was_open[fd / 8] & (1u << (fd % 8)))
			continue;
		/* fstat and shutdown are async-signal-safe */
		if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
			shutdown(fd, SHUT_RDWR);
	}
	errno = saved;
}

static struct timespec ms_spec(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	return ts;
}

int mech_deadline_start(mech_deadline *d, long ms)
{
	struct sigaction sa;
	struct sigevent ev;
	struct itimerspec its;

	int fd;

	memset(d, 0, sizeof(*d));
	expired = 0;
	memset(was_open, 0, sizeof(was_open));
	for (fd = 0; fd < DEADLINE_FDS; fd++)
		if (fcntl(fd, F_GETFD) != -1)
			was_open[fd / 8] |= (unsigned char)(1u << (fd % 8));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: the blocked call must return */
	if (sigaction(SIGALRM, &sa, &d->old) < 0)
		return mech_error_set(MECH_EFAILED, "cannot bound the network time: %s",
				      strerror(errno));
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_THREAD_ID; /* this thread, whichever others run */
	ev.sigev_signo = SIGALRM;
	ev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &ev, &d->timer) < 0) {
		int err = errno;
		sigaction(SIGALRM, &d->old, NULL);
		return mech_error_set(MECH_EFAILED, "cannot bound the network time: %s",
				      strerror(err));
	}
	its.it_value = ms_spec(ms);
	its.it_interval = ms_spec(DEADLINE_KICK_MS);
	timer_settime(d->timer, 0, &its, NULL);
	d->ms = ms;
	d->armed = 1;
	return 0;
}

int mech_deadline_stop(mech_deadline *d)
{
	if (!d->armed)
		return 0;
	/* a signal already sent is delivered as timer_delete returns, to this thread */
	timer_delete(d->timer);
	sigaction(SIGALRM, &d->old, NULL);
	d->armed = 0;
	d->expired = expired;
	return d->expired;
}
