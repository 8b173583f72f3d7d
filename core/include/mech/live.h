/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_LIVE_H
#define MECH_LIVE_H

#include <git2.h>

#include "mech/argocd.h"
#include "mech/config.h"
#include "mech/gitops.h"
#include "mech/kube.h"
#include "mech/layout.h" /* the names of what Argo CD and Kubernetes run */

/*
 * Live state: what Argo CD and Kubernetes did with the receipts. The rules
 * that turn their answers into "done", "failed" or "still going" live here
 * (DESIGN §6 exit codes 0/1/2), so the shell and the console agree.
 */

typedef enum {
	MECH_LIVE_PROGRESSING = 0,
	MECH_LIVE_DONE = 1,
	MECH_LIVE_FAILED = -1,
} mech_live_state;

/** What a waiter wants of an Application. */
typedef struct {
	const char *revision; /* NULL: any; else sync.revision must be it or a descendant */
	const char *tag;      /* NULL: any; else an image of the app must carry this tag */
	git_repository *repo; /* to compare revisions (may be NULL: equality only) */
	/*
	 * When the wanted revision was written (Unix seconds, the commit's
	 * time; 0 = unknown). Argo CD leaves sync.revision empty with a
	 * ComparisonError, so an error condition counts as being about our
	 * write when status.reconciledAt is not older than this …
	 */
	long long since;
	/* … or when the answer is fresh: it came from ?refresh=normal, which
	 * returns once the controller compared against the current head */
	int fresh;
} mech_live_want;

/**
 * Judge an Application: DONE when Synced and Healthy at the wanted revision
 * and tag with no operation running; FAILED when Degraded, when its
 * operation failed at the wanted revision, or at once when it carries a
 * ComparisonError, InvalidSpecError or SyncError condition from a
 * reconcile at or after the write (want->since, want->fresh); reason says
 * why. Else PROGRESSING. `reason` is owned by the caller.
 */
mech_live_state mech_live_judge(const mech_argocd_app *app, const mech_live_want *want,
				char **reason);

/** An RFC 3339 time ("2026-08-22T11:02:12Z", fraction and offset allowed) as Unix seconds; -1 if not one. */
long long mech_live_parse_time(const char *s);

/** Is `revision` the wanted one, or a later commit that contains it? */
int mech_live_revision_reached(git_repository *repo, const char *revision, const char *want);

/**
 * The same question asked for many instances at once, as the console does:
 * has Argo CD's revision reached `want`, where every `want` is a commit of
 * `head`'s history (an instance's last writer at head)? One walk per synced
 * revision S, of the commits in head but not in S (Argo CD's lag), answers
 * them all: `want` is reached unless it is one of those. A moved head
 * extends the walks it can (the old head is in the new one's history) and
 * drops the rest. A revision outside head's history is asked of Git one
 * want at a time, as mech_live_revision_reached does.
 */
typedef struct mech_live_reach mech_live_reach;

mech_live_reach *mech_live_reach_new(void);
int mech_live_reach_check(mech_live_reach *r, git_repository *repo, const git_oid *head,
			  const char *revision, const git_oid *want);
/** Commits walked so far (for tests: a second question of one revision walks nothing). */
size_t mech_live_reach_walked(const mech_live_reach *r);
void mech_live_reach_free(mech_live_reach *r);

/** One line describing an Application's state, for progress output. Caller frees. */
char *mech_live_describe(const mech_argocd_app *app);

/**
 * Parse a duration into milliseconds: numbers (with an optional fraction)
 * each followed by a unit ms, s, m or h, summed, e.g. 500ms, 1.5s, 30s, 5m,
 * 1h, 1m30s, 2h45m, 0.25s, or a bare 0. At most 24h and whole milliseconds;
 * refused otherwise (and when empty, negative, with an unknown unit or
 * trailing text) with MECH_EINVALID and a message naming `what` ("--timeout").
 * The one duration syntax of mech: every flag and option that takes a
 * duration reads it here.
 */
int mech_parse_duration(const char *what, const char *s, long *ms);

/** Milliseconds on a monotonic clock. */
long long mech_now_ms(void);
void mech_sleep_ms(long ms);

#endif
