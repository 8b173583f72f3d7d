/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Count Argo CD watch events through mech's own client (core/live/http.c SSE
 * reader + core/live/argocd.c parsing): connect, count every event until half a
 * second passes without one after at least EXPECT arrived (or LIMIT_MS),
 * and print: total events, the active window, and the time the first
 * REPLAY events took (on connect the server replays every Application,
 * the densest burst the stream carries).
 *
 *   watch_probe URL PROJECT EXPECT LIMIT_MS REPLAY
 */
#include "mech/argocd.h"
#include "mech/error.h"
#include "mech/live.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static atomic_int cancel;
static atomic_long count;
static long long first_ms, last_ms, replay_ms;
static long expect, replay;

static int on_event(mech_argocd_event *ev, void *ctx)
{
	long long now = mech_now_ms();
	(void)ev;
	(void)ctx;
	if (!first_ms)
		first_ms = now;
	last_ms = now;
	count++;
	if (count == replay)
		replay_ms = now - first_ms;
	return 0;
}

static void *stopper(void *arg)
{
	long limit = *(long *)arg;
	long long start = mech_now_ms();
	for (;;) {
		long long now = mech_now_ms();
		mech_sleep_ms(20);
		if (now - start > limit || (count >= expect && last_ms && now - last_ms > 500)) {
			cancel = 1;
			return NULL;
		}
	}
}

int main(int argc, char **argv)
{
	mech_argocd *c = NULL;
	mech_argocd_watch_opts o = {0};
	pthread_t t;
	long limit;
	if (argc != 6) {
		fprintf(stderr, "usage: watch_probe URL PROJECT EXPECT LIMIT_MS REPLAY\n");
		return 64;
	}
	expect = atol(argv[3]);
	limit = atol(argv[4]);
	replay = atol(argv[5]);
	if (mech_argocd_open(&c, argv[1], NULL, NULL, 60000) < 0)
		return 69;
	o.on_event = on_event;
	o.cancel = &cancel;
	o.idle_timeout_ms = limit + 1000;
	pthread_create(&t, NULL, stopper, &limit);
	mech_argocd_app_watch(c, argv[2], &o);
	pthread_join(t, NULL);
	mech_error_clear();
	mech_argocd_free(c);
	printf("%ld %lld %lld\n", (long)count, last_ms - first_ms, replay_ms);
	return 0;
}
