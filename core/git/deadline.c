/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bound on one network operation against a Git remote (gitops.timeout).
 *
 * libgit2 1.5 has no server timeout (GIT_OPT_SET_SERVER_TIMEOUT came in
 * 1.7): its HTTP and SSH transports block in connect(), recv() and poll()
 * for as long as a server that accepted the connection stays silent, and
 * the progress callbacks that could abort only run when bytes arrive. So a
 * timer on the calling thread sends SIGALRM when the deadline passes and
 * again every DEADLINE_KICK_MS after: the handler only records that time is
 * up, and installed without SA_RESTART its signal makes the blocked system
 * call fail with EINTR, which libgit2 and libssh2 report as a transport
 * error. The repeat catches a call that began just after a signal. Until the
 * deadline no signal is sent, so file writes of a fetch are never cut.
 */
#include "gitops_int.h"
#include "mech/error.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define DEADLINE_KICK_MS 100

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

static volatile sig_atomic_t expired;

static void on_alarm(int sig)
{
	(void)sig;
	expired = 1;
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

	memset(d, 0, sizeof(*d));
	expired = 0;
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
