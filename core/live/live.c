/* SPDX-License-Identifier: Apache-2.0 */
/* Live state rules: when is an Application done, failed or still going. */
#include "mech/live.h"
#include "mech/buf.h"
#include "mech/error.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int mech_live_revision_reached(git_repository *repo, const char *revision, const char *want)
{
	git_oid a, b;
	if (!revision || !*revision)
		return 0;
	if (!strcmp(revision, want))
		return 1;
	if (!repo || git_oid_fromstr(&a, revision) < 0 || git_oid_fromstr(&b, want) < 0) {
		git_error_clear();
		return 0;
	}
	/* a later commit (another write landed meanwhile) still carries ours */
	return git_graph_descendant_of(repo, &a, &b) == 1;
}

/* ---- many wants against one head ---- */

#define REACH_SLOTS 4

typedef struct {
	git_oid rev;    /* Argo CD's synced revision S */
	int in_head;    /* S is head or in its history */
	git_oid *newer; /* in_head: the commits in head but not in S, sorted */
	size_t n, cap;
	int used;
} reach_slot;

struct mech_live_reach {
	git_oid head;
	int have_head;
	reach_slot slots[REACH_SLOTS];
	size_t next; /* the slot a new revision takes */
	size_t walked;
};

mech_live_reach *mech_live_reach_new(void)
{
	return mech_calloc(1, sizeof(mech_live_reach));
}

static void slot_clear(reach_slot *s)
{
	free(s->newer);
	memset(s, 0, sizeof(*s));
}

void mech_live_reach_free(mech_live_reach *r)
{
	size_t i;
	if (!r)
		return;
	for (i = 0; i < REACH_SLOTS; i++)
		slot_clear(&r->slots[i]);
	free(r);
}

size_t mech_live_reach_walked(const mech_live_reach *r)
{
	return r ? r->walked : 0;
}

static int oid_order(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

/* append the commits in `tip` but not in `base` to s->newer; -1 on a Git error */
static int walk_newer(mech_live_reach *r, git_repository *repo, reach_slot *s, const git_oid *tip,
		      const git_oid *base)
{
	git_revwalk *w = NULL;
	git_oid id;
	int rc;
	if (git_revwalk_new(&w, repo) < 0 || git_revwalk_push(w, tip) < 0 ||
	    git_revwalk_hide(w, base) < 0) {
		git_revwalk_free(w);
		return -1;
	}
	while ((rc = git_revwalk_next(&id, w)) == 0) {
		if (s->n == s->cap) {
			s->cap = mech_grow_cap(s->cap, s->n + 1, 64, sizeof(git_oid));
			s->newer = mech_realloc(s->newer, s->cap * sizeof(git_oid));
		}
		git_oid_cpy(&s->newer[s->n++], &id);
		r->walked++;
	}
	git_revwalk_free(w);
	if (rc != GIT_ITEROVER)
		return -1;
	qsort(s->newer, s->n, sizeof(git_oid), oid_order);
	return 0;
}

/*
 * The head moved (on, back or aside): each walk gains the commits in the new
 * head but not the old. A want of the new head's history is then in the
 * list exactly when S lacks it: if S has it, so has the head S was first
 * asked under, and every head since (by induction) lacks none of it; if S
 * lacks it, the first head that has it put it in the list.
 */
static void move_head(mech_live_reach *r, git_repository *repo, const git_oid *head)
{
	size_t i;
	for (i = 0; i < REACH_SLOTS; i++) {
		reach_slot *s = &r->slots[i];
		if (!s->used || !s->in_head)
			continue; /* outside the history: asked of Git each time anyway */
		if (!r->have_head || walk_newer(r, repo, s, head, &r->head) < 0)
			slot_clear(s);
	}
	git_error_clear();
	git_oid_cpy(&r->head, head);
	r->have_head = 1;
}

static reach_slot *reach_slot_for(mech_live_reach *r, git_repository *repo, const git_oid *rev)
{
	size_t i;
	reach_slot *s;
	for (i = 0; i < REACH_SLOTS; i++)
		if (r->slots[i].used && git_oid_equal(&r->slots[i].rev, rev))
			return &r->slots[i];
	s = &r->slots[r->next];
	r->next = (r->next + 1) % REACH_SLOTS;
	slot_clear(s);
	s->used = 1;
	git_oid_cpy(&s->rev, rev);
	s->in_head = git_oid_equal(rev, &r->head) ||
		     git_graph_descendant_of(repo, &r->head, rev) == 1;
	if (s->in_head && walk_newer(r, repo, s, &r->head, rev) < 0) {
		free(s->newer);
		s->newer = NULL;
		s->n = s->cap = 0;
		s->in_head = 0;
	}
	git_error_clear();
	return s;
}

int mech_live_reach_check(mech_live_reach *r, git_repository *repo, const git_oid *head,
			  const char *revision, const git_oid *want)
{
	git_oid rev;
	reach_slot *s;
	if (!revision || !*revision || !repo || git_oid_fromstr(&rev, revision) < 0) {
		git_error_clear();
		return 0;
	}
	if (git_oid_equal(&rev, want))
		return 1;
	if (!r->have_head || !git_oid_equal(&r->head, head))
		move_head(r, repo, head);
	if (git_oid_equal(&rev, head))
		return 1; /* every want is in head's history */
	s = reach_slot_for(r, repo, &rev);
	if (!s->in_head) {
		int rc = git_graph_descendant_of(repo, &rev, want) == 1;
		git_error_clear();
		return rc;
	}
	return !bsearch(want, s->newer, s->n, sizeof(git_oid), oid_order);
}

static int has_tag(const mech_argocd_app *app, const char *tag)
{
	size_t i, tl = strlen(tag);
	for (i = 0; i < app->nimages; i++) {
		const char *img = app->images[i];
		const char *at = strchr(img, '@');
		size_t n = at ? (size_t)(at - img) : strlen(img);
		if (n > tl + 1 && img[n - tl - 1] == ':' && !strncmp(img + n - tl, tag, tl))
			return 1;
	}
	return 0;
}

long long mech_live_parse_time(const char *s)
{
	struct tm tm;
	const char *p;
	long long t;
	memset(&tm, 0, sizeof(tm));
	if (!s || !(p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -1;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	t = (long long)timegm(&tm);
	if (*p == 'Z' || *p == 'z')
		return p[1] ? -1 : t;
	if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && p[3] == ':' && isdigit((unsigned char)p[4]) &&
	    isdigit((unsigned char)p[5]) && !p[6]) {
		long long off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600LL +
				((p[4] - '0') * 10 + (p[5] - '0')) * 60LL;
		return *p == '+' ? t - off : t + off;
	}
	return -1;
}

/*
 * The error conditions that end a wait: the manifests cannot be generated
 * (ComparisonError), the Application is invalid (InvalidSpecError), or the
 * automated sync gave up (SyncError, after its retries).
 */
static const mech_argocd_condition *error_condition(const mech_argocd_app *app)
{
	static const char *const types[] = {"ComparisonError", "InvalidSpecError", "SyncError"};
	size_t i;
	for (i = 0; i < sizeof(types) / sizeof(*types); i++) {
		const mech_argocd_condition *c = mech_argocd_app_condition(app, types[i]);
		if (c)
			return c;
	}
	return NULL;
}

/*
 * Is a condition of this answer about the write (or a later one)? Argo CD
 * leaves sync.revision empty when generation fails, so the revision cannot
 * say; a reconcile at or after the commit, or a refreshed answer, can.
 */
static int about_want(const mech_argocd_app *app, const mech_live_want *want, int at_want)
{
	long long at;
	if (!want || !want->revision || want->fresh || at_want)
		return 1;
	at = mech_live_parse_time(app->reconciled_at);
	return want->since > 0 && at >= want->since;
}

mech_live_state mech_live_judge(const mech_argocd_app *app, const mech_live_want *want,
				char **reason)
{
	const char *op = app->operation_phase;
	int at_want = !want || !want->revision ||
		      mech_live_revision_reached(want->repo, app->sync_revision, want->revision);
	const mech_argocd_condition *cond = error_condition(app);
	*reason = NULL;
	if (cond && about_want(app, want, at_want)) {
		*reason = mech_sprintf("%s: %s", cond->type,
				       *cond->message ? cond->message : "no message");
		return MECH_LIVE_FAILED;
	}
	/* until Argo CD has compared the revision we wrote, its health is the old one's */
	if (!at_want)
		return MECH_LIVE_PROGRESSING;
	if ((!strcmp(op, "Failed") || !strcmp(op, "Error")) &&
	    (!want || !want->revision || !*app->operation_revision ||
	     mech_live_revision_reached(want->repo, app->operation_revision, want->revision))) {
		*reason = mech_sprintf("sync %s: %s", op,
				       *app->operation_message ? app->operation_message
							       : "no message");
		return MECH_LIVE_FAILED;
	}
	if (strcmp(app->sync_status, "Synced") || !strcmp(op, "Running") ||
	    !strcmp(op, "Terminating"))
		return MECH_LIVE_PROGRESSING;
	if (!strcmp(app->health_status, "Degraded")) {
		*reason = mech_sprintf("Degraded: %s", *app->health_message
							       ? app->health_message
							       : "a resource is unhealthy");
		return MECH_LIVE_FAILED;
	}
	if (strcmp(app->health_status, "Healthy"))
		return MECH_LIVE_PROGRESSING;
	if (want && want->tag && !has_tag(app, want->tag))
		return MECH_LIVE_PROGRESSING;
	return MECH_LIVE_DONE;
}

char *mech_live_describe(const mech_argocd_app *app)
{
	mech_buf b = MECH_BUF_INIT;
	mech_buf_printf(&b, "%s %s/%s", app->name, *app->sync_status ? app->sync_status : "Unknown",
			*app->health_status ? app->health_status : "Unknown");
	if (*app->sync_revision)
		mech_buf_printf(&b, " at %.12s", app->sync_revision);
	if (*app->operation_phase)
		mech_buf_printf(&b, ", sync %s", app->operation_phase);
	/* a failed attempt that Argo CD will retry: "… Retrying attempt #N at 3:04PM." */
	if (!strcmp(app->operation_phase, "Running") && app->retry_count > 0 &&
	    *app->operation_message)
		mech_buf_printf(&b, " (%s)", app->operation_message);
	if (*app->health_message)
		mech_buf_printf(&b, ": %s", app->health_message);
	return mech_buf_detach(&b);
}

/* ---- durations ---- */

#define DURATION_MAX_MS (24LL * 3600000)
/* Fraction digits kept exactly: 10^9 times an hour in ms still fits in 64 bits. */
#define FRACTION_DIGITS 9

static const struct {
	const char *unit;
	long long ms;
} duration_units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};

static int bad_duration(const char *what, const char *s, const char *why)
{
	char q[MECH_ESCAPE_SIZE];
	return mech_error_set(MECH_EINVALID,
			      "invalid %s \"%s\": %s; expected a duration such as 500ms, 1.5s, "
			      "30s, 5m or 1m30s (at most 24h)",
			      what, mech_error_escape(q, s), why);
}

/*
 * Go's time.ParseDuration without signs and below a millisecond: numbers
 * with an optional fraction, each followed by a unit, summed; a unit is
 * the whole run of letters after the number, so "1sx" names the unit "sx".
 * Everything is integer arithmetic, so "0.1s" is exactly 100 ms.
 */
int mech_parse_duration(const char *what, const char *s, long *ms)
{
	const char *p = s;
	long long total = 0;

	if (!*p)
		return bad_duration(what, s, "it is empty");
	if (*p == '-' || *p == '+')
		return bad_duration(what, s, *p == '-' ? "it is negative" : "it has a sign");
	if (!strcmp(s, "0")) {
		*ms = 0;
		return 0;
	}
	while (*p) {
		long long whole = 0, frac = 0, scale = 1, unit_ms = 0, part;
		size_t i, ulen;
		if (!isdigit((unsigned char)*p))
			return bad_duration(what, s, "each part must start with a digit");
		for (; isdigit((unsigned char)*p); p++) {
			if (whole > DURATION_MAX_MS)
				return bad_duration(what, s, "it is longer than 24h");
			whole = whole * 10 + (*p - '0');
		}
		if (*p == '.') {
			if (!isdigit((unsigned char)*++p))
				return bad_duration(what, s, "a '.' must have digits after it");
			for (i = 0; isdigit((unsigned char)*p); p++, i++) {
				if (i < FRACTION_DIGITS) {
					frac = frac * 10 + (*p - '0');
					scale *= 10;
				} else if (*p != '0') {
					return bad_duration(what, s,
							    "it is finer than a millisecond");
				}
			}
		}
		ulen = strcspn(p, "0123456789.");
		for (i = 0; i < sizeof(duration_units) / sizeof(*duration_units); i++)
			if (strlen(duration_units[i].unit) == ulen &&
			    !strncmp(p, duration_units[i].unit, ulen))
				unit_ms = duration_units[i].ms;
		if (!ulen)
			return bad_duration(what, s, "a number needs a unit (ms, s, m or h)");
		if (!unit_ms)
			return bad_duration(what, s, "unknown unit; use ms, s, m or h");
		p += ulen;
		if (whole > DURATION_MAX_MS / unit_ms)
			return bad_duration(what, s, "it is longer than 24h");
		if (frac * unit_ms % scale)
			return bad_duration(what, s, "it is finer than a millisecond");
		part = whole * unit_ms + frac * unit_ms / scale;
		total += part;
		if (total > DURATION_MAX_MS)
			return bad_duration(what, s, "it is longer than 24h");
	}
	*ms = (long)total;
	return 0;
}

long long mech_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void mech_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
