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

mech_live_state mech_live_judge(const mech_argocd_app *app, const mech_live_want *want,
				char **reason)
{
	const char *op = app->operation_phase;
	int at_want = !want || !want->revision ||
		      mech_live_revision_reached(want->repo, app->sync_revision, want->revision);
	*reason = NULL;
	/* until Argo CD has compared the revision we wrote, its health is the old one's */
	if (!at_want)
		return MECH_LIVE_PROGRESSING;
	if ((!strcmp(op, "Failed") || !strcmp(op, "Error")) &&
	    (!want || !want->revision || !*app->operation_revision ||
	     mech_live_revision_reached(want->repo, app->operation_revision, want->revision))) {
		*reason = mech_sprintf("sync %s: %s", op,
				       *app->operation_message ? app->operation_message : "no message");
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
	if (*app->health_message)
		mech_buf_printf(&b, ": %s", app->health_message);
	return mech_buf_detach(&b);
}

int mech_parse_duration(const char *what, const char *s, long *ms)
{
	const char *p = s;
	long long total = 0;
	if (!*p)
		goto bad;
	while (*p) {
		char *end;
		long long n;
		errno = 0;
		if (!isdigit((unsigned char)*p))
			goto bad;
		n = strtoll(p, &end, 10);
		if (errno || n > 100000000)
			goto bad;
		if (!strncmp(end, "ms", 2)) {
			total += n;
			p = end + 2;
		} else if (*end == 's') {
			total += n * 1000;
			p = end + 1;
		} else if (*end == 'm') {
			total += n * 60000;
			p = end + 1;
		} else if (*end == 'h') {
			total += n * 3600000;
			p = end + 1;
		} else {
			goto bad;
		}
	}
	if (total > 24LL * 3600000)
		goto bad;
	*ms = (long)total;
	return 0;
bad:
	return mech_error_set(MECH_EINVALID,
			      "invalid %s \"%.30s\": expected a duration such as 500ms, 30s, 5m or "
			      "1m30s (at most 24h)",
			      what, s);
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
