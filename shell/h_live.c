/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Live state commands: app wait/sync/diff, route info/wait, addon
 * info/wait, and the live columns of app list/info. The rules (when is an
 * app done, failed or pending) are core's (core/live/live.c); this file asks and
 * presents.
 */
#include "cmd.h"
#include "handlers.h"
#include "h_live.h"
#include "mech/addon.h"
#include "mech/app.h"
#include "mech/argocd.h"
#include "mech/error.h"
#include "mech/image.h"
#include "mech/kube.h"
#include "mech/live.h"
#include "mech/route.h"
#include "mech/validate.h"
#include "mech/yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLL_MS 250
#define DEFAULT_TIMEOUT_MS (5 * 60 * 1000)

int sh_live_argocd(sh_ctx *ctx, mech_argocd **out)
{
	*out = NULL;
	if (!*ctx->cfg->argocd_url)
		return 0;
	return mech_argocd_new(out, ctx->cfg);
}

static int need_argocd(sh_ctx *ctx, mech_argocd **out)
{
	if (sh_live_argocd(ctx, out) < 0)
		return -1;
	if (!*out) {
		mech_error_set(MECH_ECONFIG,
			       "Argo CD is not configured (argocd.url is empty in %s/mech.yaml)",
			       ctx->home);
		return mech_error_hint(
			"point argocd.url at Argo CD, or at `mech sim` for a local run");
	}
	return 0;
}

static int need_kube(sh_ctx *ctx, mech_kube **out)
{
	*out = NULL;
	if (!*ctx->cfg->kube_url) {
		mech_error_set(MECH_ECONFIG,
			       "Kubernetes is not configured (kubernetes.url is empty in %s/mech.yaml)",
			       ctx->home);
		return mech_error_hint("point kubernetes.url at the API server, or at `mech sim`");
	}
	return mech_kube_new(out, ctx->cfg);
}

void sh_live_app_write(sh_jw *w, const char *key, const mech_argocd_app *a, const char *head,
		       git_repository *repo)
{
	size_t i;
	sh_jw_object(w, key);
	sh_jw_string(w, "application", a->name);
	sh_jw_string(w, "sync", *a->sync_status ? a->sync_status : "Unknown");
	sh_jw_string(w, "revision", a->sync_revision);
	sh_jw_bool(w, "current", head && mech_live_revision_reached(repo, a->sync_revision, head));
	sh_jw_string(w, "health", *a->health_status ? a->health_status : "Unknown");
	sh_jw_string(w, "health_message", a->health_message);
	sh_jw_string(w, "operation_phase", a->operation_phase);
	sh_jw_string(w, "operation_message", a->operation_message);
	sh_jw_array(w, "conditions");
	for (i = 0; i < a->nconditions; i++) {
		sh_jw_object(w, NULL);
		sh_jw_string(w, "type", a->conditions[i].type);
		sh_jw_string(w, "message", a->conditions[i].message);
		sh_jw_end(w);
	}
	sh_jw_end(w);
	sh_jw_array(w, "resources");
	for (i = 0; i < a->nresources; i++) {
		const mech_argocd_resource *r = &a->resources[i];
		sh_jw_object(w, NULL);
		sh_jw_string(w, "kind", r->kind);
		sh_jw_string(w, "name", r->name);
		sh_jw_string(w, "namespace", r->namespace);
		sh_jw_string(w, "sync", r->status);
		sh_jw_string(w, "health", r->health);
		sh_jw_end(w);
	}
	sh_jw_end(w);
	sh_jw_end(w);
}

cJSON *sh_live_app_json(const mech_argocd_app *a, const char *head, git_repository *repo)
{
	mech_buf b = MECH_BUF_INIT;
	sh_jw w;
	sh_jw_init(&w, &b);
	sh_live_app_write(&w, NULL, a, head, repo);
	return sh_jw_tree(&b);
}

/* ---- app wait / sync / diff ---- */

typedef struct {
	sh_ctx *ctx;
	mech_repo *repo;
	mech_argocd *cd;
	char *app_name; /* Application */
	char *app;      /* the app and instance (NULL with --gone): a failure names the pod */
	char *instance;
	char *head;      /* revision written */
	long long since; /* its commit time: conditions from before it are stale */
	const char *tag;
	int gone;
	long timeout_ms;
} waiter;

static void progress(const char *line, char **last)
{
	if (*last && !strcmp(*last, line))
		return;
	sh_eprintf(NULL, "%s\n", line); /* Argo CD's words: shown, never sent raw */
	free(*last);
	*last = mech_strdup(line);
}

/*
 * Without a Git webhook the ApplicationSet controller reads Git every 3
 * minutes: ask it to now, once. Refused or not served, the wait goes on.
 */
static void ask_appset(waiter *w, char **last)
{
	char *name = mech_layout_appset(w->ctx->tenant_name);
	if (mech_argocd_appset_refresh(w->cd, name) < 0) {
		const mech_error *e = mech_error_last();
		char *m =
			mech_sprintf("could not ask ApplicationSet %s to refresh (%s); Argo CD will notice the "
				     "commit within its 3-minute poll (a Git webhook removes the delay: "
				     "docs/usage.md, \"Argo CD's poll and the Git webhook\")",
				     name, e && e->message ? e->message : "refused");
		progress(m, last);
		free(m);
		mech_error_clear();
	}
	free(name);
}

/* 0 done, 1 failed, 2 pending (timeout); -1 error. `out` gets the final state. */
static int wait_app(waiter *w, cJSON *out)
{
	long long deadline = mech_now_ms() + w->timeout_ms, start = mech_now_ms();
	char *last = NULL, *reason = NULL;
	int verdict = 2, unavailable = 0, refresh = !w->gone, asked_appset = 0;
	mech_live_want want = {w->gone ? NULL : w->head, w->tag, mech_repo_git(w->repo), w->since,
			       0};

	if (w->gone) { /* the generator deletes the Application: no need to wait for its poll */
		ask_appset(w, &last);
		asked_appset = 1;
	}
	for (;;) {
		mech_argocd_app *app = NULL;
		/* once: Argo CD compares the written commit now, not at its next poll */
		int rc = refresh ? mech_argocd_app_refresh(w->cd, w->ctx->tenant_name, w->app_name,
							   0, &app)
				 : mech_argocd_app_get(w->cd, w->ctx->tenant_name, w->app_name,
						       &app);
		const mech_error *e = mech_error_last();
		free(reason);
		reason = NULL;
		if (rc == 0 && refresh) {
			/* refresh=normal answers after the controller compared the head, which
			 * holds the written commit: its conditions are about it (or later) */
			want.fresh = 1;
			refresh = 0;
		}
		if (rc < 0 && e && e->code == MECH_ENOT_FOUND) {
			mech_error_clear();
			if (w->gone) {
				progress("gone: the Application no longer exists", &last);
				verdict = 0;
				break;
			}
			if (!asked_appset) {
				ask_appset(w, &last);
				asked_appset = 1;
			}
			progress("waiting for Argo CD to create the Application", &last);
		} else if (rc < 0 && e && e->code == MECH_EUNAVAILABLE) {
			char *m = mech_sprintf("Argo CD unavailable, retrying: %s", e->message);
			progress(m, &last);
			free(m);
			unavailable = 1;
			mech_error_clear();
		} else if (rc < 0) {
			free(last);
			return -1;
		} else {
			char *line = mech_live_describe(app);
			mech_live_state st = w->gone ? MECH_LIVE_PROGRESSING
						     : mech_live_judge(app, &want, &reason);
			unavailable = 0;
			progress(line, &last);
			free(line);
			cJSON_DeleteItemFromObject(out, "live");
			cJSON_AddItemToObject(out, "live",
					      sh_live_app_json(app, w->head,
							       mech_repo_git(w->repo)));
			mech_argocd_app_free(app);
			if (st == MECH_LIVE_DONE) {
				verdict = 0;
				break;
			}
			if (st == MECH_LIVE_FAILED) {
				verdict = 1;
				break;
			}
		}
		if (mech_now_ms() >= deadline)
			break;
		mech_sleep_ms(POLL_MS);
	}
	cJSON_AddStringToObject(out, "state",
				verdict == 0   ? "done"
				: verdict == 1 ? "failed"
					       : "pending");
	cJSON_AddNumberToObject(out, "waited_ms", (double)(mech_now_ms() - start));
	if (reason)
		cJSON_AddStringToObject(out, "reason", reason);
	free(last);
	if (verdict == 2 && unavailable) {
		free(reason);
		return mech_error_set(MECH_EUNAVAILABLE,
				      "Argo CD stayed unavailable while waiting for %s",
				      w->app_name);
	}
	if (verdict == 1) {
		mech_error_set(MECH_EFAILED, "%s failed: %s", w->app_name,
			       reason ? reason : "failed");
		free(reason);
		return -1;
	}
	free(reason);
	return verdict;
}

/*
 * `wait --tag T` when Git holds another tag for the instance: Argo CD will
 * never run T, so say so now rather than after the whole timeout.
 */
static int tag_not_in_git(const mech_app_state *app, const mech_instance_state *in, const char *tag)
{
	mech_image img = MECH_IMAGE_INIT;
	const char *have;
	int rc = 0;
	if (!in->image || mech_image_parse(in->image, &img) < 0) {
		mech_error_clear(); /* an image mech cannot read: let the wait judge */
		return 0;
	}
	have = img.tag ? img.tag : "latest";
	if (strcmp(have, tag)) {
		mech_error_set(MECH_EINVALID, "%s/%s is at %s in Git; deploy %s first", app->name,
			       in->name, have, tag);
		rc = mech_error_hint("mech app -a %s -i %s deploy --tag %s --wait", app->name,
				     in->name, tag);
	}
	mech_image_dispose(&img);
	return rc;
}

/* Resolve app/instance/Application name; fills w. */
static int open_waiter_for(sh_ctx *ctx, const char *app_name, const char *instance, const char *tag,
			   const char *timeout, int gone, waiter *w)
{
	mech_app_state *app = NULL;
	const mech_instance_state *in = NULL;
	git_oid head;
	git_commit *commit = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	memset(w, 0, sizeof(*w));
	w->ctx = ctx;
	w->timeout_ms = DEFAULT_TIMEOUT_MS;
	if (timeout && mech_parse_duration("--timeout", timeout, &w->timeout_ms) < 0)
		return -1;
	if (tag && mech_validate_tag(tag) < 0)
		return -1;
	w->tag = tag;
	if (need_argocd(ctx, &w->cd) < 0 || mech_repo_open(&w->repo, ctx->cfg, ctx->tenant_name) < 0)
		return -1;
	if (gone) {
		/* the app may already be gone from Git: name the instance or take main */
		w->gone = 1;
		w->app_name = mech_layout_instance_app(ctx->tenant_name, app_name,
						       instance ? instance : "main");
		if (mech_validate_name("app name", app_name) < 0)
			return -1;
		w->app = mech_strdup(app_name);
		w->instance = mech_strdup(instance ? instance : "main");
		return 0;
	}
	if (mech_app_get(w->repo, app_name, &app) < 0 ||
	    mech_app_pick_instance(app, instance, &in) < 0) {
		mech_app_state_free(app, 1);
		return -1;
	}
	w->app_name = mech_layout_instance_app(ctx->tenant_name, app->name, in->name);
	w->app = mech_strdup(app->name);
	w->instance = mech_strdup(in->name);
	if (tag && tag_not_in_git(app, in, tag) < 0) {
		mech_app_state_free(app, 1);
		return -1;
	}
	mech_app_state_free(app, 1);
	if (mech_repo_head(w->repo, &head) < 0)
		return -1;
	git_oid_tostr(hex, sizeof(hex), &head);
	w->head = mech_strdup(hex);
	if (git_commit_lookup(&commit, mech_repo_git(w->repo), &head) == 0) {
		w->since = (long long)git_commit_time(commit);
		git_commit_free(commit);
	}
	git_error_clear();
	return 0;
}

static void close_waiter(waiter *w)
{
	mech_argocd_free(w->cd);
	mech_repo_free(w->repo);
	free(w->app_name);
	free(w->app);
	free(w->instance);
	free(w->head);
}

/*
 * A failed wait still answers: the last state seen (result.live), the pod
 * that fails and its last warning (result.failing), and what to run next.
 */
static void explain_failure(sh_ctx *ctx, const waiter *w)
{
	const mech_error *e = mech_error_last();
	mech_error_code code = e ? e->code : MECH_EFAILED;
	char *msg = mech_strdup(e && e->message ? e->message : "failed");
	char *hint = e && e->hint ? mech_strdup(e->hint) : NULL;
	cJSON *failing = w->app ? sh_logs_failing(ctx, w->app, w->instance) : NULL;

	cJSON_AddItemToObject(ctx->result, "failing", failing ? failing : cJSON_CreateNull());
	if (failing) {
		const cJSON *pod = cJSON_GetObjectItemCaseSensitive(failing, "pod");
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(failing, "reason");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(failing, "message");
		sh_eprintf(ctx, "failing pod %s: %s: %s\n", pod->valuestring, r->valuestring,
			   m->valuestring);
	}
	if (w->app) {
		if (failing) /* a pod that fails: its log says why (a ComparisonError has none) */
			sh_next(ctx, "mech app -a %s -i %s logs", w->app, w->instance);
		sh_next(ctx, "mech app -a %s -i %s events", w->app, w->instance);
		sh_next(ctx, "mech app -a %s -i %s rollback", w->app, w->instance);
	}
	ctx->failed_result = 1;
	mech_error_set(code, "%s", msg);
	if (hint)
		mech_error_hint("%s", hint);
	free(msg);
	free(hint);
}

static int run_wait(sh_ctx *ctx, waiter *wp);

int sh_app_wait(sh_ctx *ctx, const sh_args *a)
{
	waiter w;
	if (open_waiter_for(ctx, sh_arg(a, SH_OPT_APP), sh_arg(a, SH_OPT_INSTANCE),
			    sh_arg(a, SH_OPT_TAG), sh_arg(a, SH_OPT_TIMEOUT),
			    sh_arg_bool(a, SH_OPT_GONE), &w) < 0) {
		close_waiter(&w);
		return -1;
	}
	return run_wait(ctx, &w);
}

int sh_live_finish_write(sh_ctx *ctx, const sh_args *a, const mech_write_opts *w, int rc,
			 mech_txn_result *res, const char *app, const char *instance)
{
	rc = sh_finish_write(ctx, a, rc, res);
	if (rc == 0 && sh_arg_bool(a, SH_OPT_WAIT) && !w->dry_run)
		rc = sh_live_wait_app(ctx, app, instance, sh_arg(a, SH_OPT_TIMEOUT));
	return rc;
}

int sh_live_wait_app(sh_ctx *ctx, const char *app, const char *instance, const char *timeout)
{
	waiter w;
	if (open_waiter_for(ctx, app, instance, NULL, timeout, 0, &w) < 0) {
		close_waiter(&w);
		return -1;
	}
	return run_wait(ctx, &w);
}

static int run_wait(sh_ctx *ctx, waiter *wp)
{
	waiter w = *wp;
	int rc;
	if (!ctx->result)
		ctx->result = cJSON_CreateObject();
	cJSON_AddStringToObject(ctx->result, "application", w.app_name);
	if (w.head)
		cJSON_AddStringToObject(ctx->result, "want_revision", w.head);
	rc = wait_app(&w, ctx->result);
	/* live: the last Application seen, null when Argo CD never showed one */
	if (!cJSON_HasObjectItem(ctx->result, "live"))
		cJSON_AddNullToObject(ctx->result, "live");
	/* the verdict failed (not the asking): say what fails */
	if (rc < 0 && !w.gone &&
	    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ctx->result, "state")) &&
	    !strcmp(cJSON_GetObjectItemCaseSensitive(ctx->result, "state")->valuestring, "failed"))
		explain_failure(ctx, &w);
	if (rc == 0)
		sh_printf(ctx, "%s: %s\n", w.app_name, w.gone ? "gone" : "Synced and Healthy");
	else if (rc == 2) {
		sh_printf(ctx, "%s: still progressing after the timeout\n", w.app_name);
		if (w.app) { /* wait longer, or see what holds it */
			sh_next(ctx, "mech app -a %s -i %s wait%s", w.app, w.instance,
				w.gone ? " --gone" : "");
			sh_next(ctx, "mech app -a %s -i %s events", w.app, w.instance);
		}
		ctx->exit_override = 2;
		rc = 0;
	}
	close_waiter(&w);
	return rc;
}

int sh_app_sync(sh_ctx *ctx, const sh_args *a)
{
	waiter w;
	mech_argocd_app *app = NULL;
	int rc = -1;
	if (open_waiter_for(ctx, sh_arg(a, SH_OPT_APP), sh_arg(a, SH_OPT_INSTANCE), NULL, NULL, 0,
			    &w) < 0)
		goto done;
	if (mech_argocd_app_sync(w.cd, ctx->tenant_name, w.app_name, NULL, &app) < 0)
		goto done;
	ctx->result = app ? sh_live_app_json(app, w.head, mech_repo_git(w.repo))
			  : cJSON_CreateObject();
	sh_printf(ctx, "sync requested for %s\n", w.app_name);
	{
		char *t = sh_target(a);
		sh_next(ctx, "mech app %s wait", t);
		free(t);
	}
	rc = 0;
done:
	mech_argocd_app_free(app);
	close_waiter(&w);
	return rc;
}

/* ---- diff ---- */

static void to_yaml_lines(const cJSON *j, mech_strv *out);

static mech_yaml *json_to_yaml(const cJSON *j)
{
	mech_yaml *n;
	const cJSON *c;
	if (cJSON_IsObject(j)) {
		n = mech_yaml_map();
		cJSON_ArrayForEach(c, j) mech_yaml_set(n, c->string, json_to_yaml(c));
		return n;
	}
	if (cJSON_IsArray(j)) {
		n = mech_yaml_seq();
		cJSON_ArrayForEach(c, j) mech_yaml_append(n, json_to_yaml(c));
		return n;
	}
	if (cJSON_IsString(j))
		return mech_yaml_str(j->valuestring);
	if (cJSON_IsBool(j))
		return mech_yaml_bool(cJSON_IsTrue(j));
	if (cJSON_IsNumber(j)) {
		char buf[64];
		snprintf(buf, sizeof(buf), "%.17g", j->valuedouble);
		n = mech_yaml_str(buf);
		n->type = MECH_YAML_INT;
		return n;
	}
	n = mech_yaml_str("null");
	n->type = MECH_YAML_NULL;
	return n;
}

static void to_yaml_lines(const cJSON *j, mech_strv *out)
{
	mech_buf b = MECH_BUF_INIT;
	mech_yaml *y;
	const char *p;
	if (!j)
		return;
	y = json_to_yaml(j);
	if (mech_yaml_emit(y, &b) == 0) {
		for (p = b.ptr; *p;) {
			size_t n = strcspn(p, "\n");
			char *line = mech_strndup(p, n);
			mech_strv_push(out, line);
			free(line);
			p += n + (p[n] == '\n');
		}
	}
	mech_error_clear();
	mech_yaml_free(y);
	mech_buf_dispose(&b);
}

/* A unified diff of two line lists (LCS; manifests are small). */
static void unified(mech_buf *b, const mech_strv *x, const mech_strv *y)
{
	size_t n = x->len, m = y->len, i, j;
	unsigned *t;
	if (n > 3000 || m > 3000) {
		mech_buf_printf(b, "(%zu vs %zu lines: too large to diff here)\n", n, m);
		return;
	}
	t = mech_calloc((n + 1) * (m + 1), sizeof(*t));
	for (i = n; i-- > 0;)
		for (j = m; j-- > 0;)
			t[i * (m + 1) + j] = !strcmp(x->items[i], y->items[j])
						     ? t[(i + 1) * (m + 1) + j + 1] + 1
						     : (t[(i + 1) * (m + 1) + j] >
									t[i * (m + 1) + j + 1]
								? t[(i + 1) * (m + 1) + j]
								: t[i * (m + 1) + j + 1]);
	i = j = 0;
	mech_buf_printf(b, "@@ -1,%zu +1,%zu @@\n", n, m);
	while (i < n || j < m) {
		if (i < n && j < m && !strcmp(x->items[i], y->items[j])) {
			mech_buf_printf(b, " %s\n", x->items[i]);
			i++;
			j++;
		} else if (j < m && (i == n || t[i * (m + 1) + j + 1] >= t[(i + 1) * (m + 1) + j])) {
			mech_buf_printf(b, "+%s\n", y->items[j++]);
		} else {
			mech_buf_printf(b, "-%s\n", x->items[i++]);
		}
	}
	free(t);
}

int sh_app_diff(sh_ctx *ctx, const sh_args *a)
{
	waiter w;
	mech_argocd_diffs *d = NULL;
	cJSON *arr;
	size_t i, changed = 0;
	int rc = -1;
	if (open_waiter_for(ctx, sh_arg(a, SH_OPT_APP), sh_arg(a, SH_OPT_INSTANCE), NULL, NULL, 0,
			    &w) < 0)
		goto done;
	if (mech_argocd_app_managed(w.cd, ctx->tenant_name, w.app_name, &d) < 0)
		goto done;
	ctx->result = cJSON_CreateObject();
	cJSON_AddStringToObject(ctx->result, "application", w.app_name);
	arr = cJSON_AddArrayToObject(ctx->result, "resources");
	for (i = 0; i < d->len; i++) {
		const mech_argocd_diff *r = &d->items[i];
		mech_strv live = MECH_STRV_INIT, want = MECH_STRV_INIT;
		mech_buf text = MECH_BUF_INIT;
		cJSON *o = cJSON_CreateObject();
		const cJSON *lv = r->normalized_live ? r->normalized_live : r->live;
		const cJSON *tg = r->predicted_live ? r->predicted_live : r->target;
		to_yaml_lines(lv, &live);
		to_yaml_lines(tg, &want);
		cJSON_AddStringToObject(o, "kind", r->kind);
		cJSON_AddStringToObject(o, "name", r->name);
		cJSON_AddStringToObject(o, "namespace", r->namespace);
		cJSON_AddBoolToObject(o, "modified", r->modified);
		if (r->modified || !lv || !tg) {
			mech_buf_printf(&text, "--- live/%s/%s\n+++ desired/%s/%s\n", r->kind,
					r->name, r->kind, r->name);
			unified(&text, &live, &want);
			changed++;
			sh_printf(ctx, "%s", text.ptr);
		}
		cJSON_AddStringToObject(o, "diff", mech_buf_cstr(&text));
		cJSON_AddItemToArray(arr, o);
		mech_strv_dispose(&live);
		mech_strv_dispose(&want);
		mech_buf_dispose(&text);
	}
	cJSON_AddNumberToObject(ctx->result, "differences", (double)changed);
	if (!changed)
		sh_printf(ctx, "%s: live matches desired (%zu resources)\n", w.app_name, d->len);
	/* differences are a result, not a failure; --exit-code makes them 1, as git diff */
	if (changed && sh_arg_bool(a, SH_OPT_EXIT_CODE))
		ctx->exit_override = 1;
	rc = 0;
done:
	mech_argocd_diffs_free(d);
	close_waiter(&w);
	return rc;
}

/* ---- the receipt behind a route or an addon ---- */

/*
 * A route or addon wait must not succeed on the live object as it was
 * before the write: first the directory's Application (<t>--network,
 * <t>--addons) must be Synced at the written commit or a later one (the
 * revision rule of app wait), and only then is the object judged.
 */
typedef struct {
	mech_argocd *cd; /* NULL: no Argo CD to ask (only the object is judged) */
	git_repository *repo;
	const char *project;
	char *app;  /* the Application */
	char *head; /* the commit written */
	int refreshed;
} receipt;

static int receipt_open(receipt *r, sh_ctx *ctx, mech_repo *repo, const char *dir)
{
	git_oid head;
	char hex[GIT_OID_HEXSZ + 1];
	memset(r, 0, sizeof(*r));
	if (sh_live_argocd(ctx, &r->cd) < 0)
		return -1;
	r->repo = mech_repo_git(repo);
	r->project = ctx->tenant_name;
	r->app = mech_layout_dir_app(ctx->tenant_name, dir);
	if (mech_repo_head(repo, &head) < 0)
		return -1;
	git_oid_tostr(hex, sizeof(hex), &head);
	r->head = mech_strdup(hex);
	return 0;
}

static void receipt_close(receipt *r)
{
	mech_argocd_free(r->cd);
	free(r->app);
	free(r->head);
}

/*
 * 1 applied (Synced at the commit or later), 0 not yet (`why` says what is
 * awaited; caller frees), -1 error: the sync failed at that commit
 * (MECH_EFAILED) or Argo CD answered what a wait cannot get past.
 */
static int receipt_applied(receipt *r, char **why)
{
	mech_live_want want = {r->head, NULL, r->repo};
	mech_argocd_app *a = NULL;
	char *reason = NULL;
	mech_live_state st;
	int rc;

	*why = NULL;
	if (!r->cd)
		return 1;
	/* once: Argo CD compares the written commit now, not at its next poll */
	rc = r->refreshed ? mech_argocd_app_get(r->cd, r->project, r->app, &a)
			  : mech_argocd_app_refresh(r->cd, r->project, r->app, 0, &a);
	if (rc < 0) {
		const mech_error *e = mech_error_last();
		if (!e || (e->code != MECH_ENOT_FOUND && e->code != MECH_EUNAVAILABLE))
			return -1;
		*why = mech_sprintf("waiting for %s: %s", r->app, e->message);
		mech_error_clear();
		return 0;
	}
	r->refreshed = 1;
	st = mech_live_judge(a, &want, &reason);
	/* the object's own health is judged by the caller: only a failed sync ends here */
	if (st == MECH_LIVE_FAILED && reason && strncmp(reason, "Degraded", 8)) {
		mech_error_set(MECH_EFAILED, "%s: %s", r->app, reason);
		free(reason);
		mech_argocd_app_free(a);
		return -1;
	}
	free(reason);
	rc = mech_live_revision_reached(r->repo, a->sync_revision, r->head) &&
	     !strcmp(a->sync_status, "Synced") && strcmp(a->operation_phase, "Running") &&
	     strcmp(a->operation_phase, "Terminating");
	if (!rc) {
		char *now = mech_live_describe(a);
		*why = mech_sprintf("waiting for Argo CD to sync commit %.12s: %s", r->head, now);
		free(now);
	}
	mech_argocd_app_free(a);
	return rc;
}

/* receipt_applied, with what is awaited told as progress of `name`'s wait. */
static int receipt_progress(receipt *r, const char *name, char **last)
{
	char *awaited = NULL;
	int applied = receipt_applied(r, &awaited);
	if (applied == 0) {
		char *m = mech_sprintf("%s: %s", name, awaited);
		progress(m, last);
		free(m);
	}
	free(awaited);
	return applied;
}

/* ---- routes ---- */

/* The route's HTTPRoute name and the Application of its backend. */
static int route_name(sh_ctx *ctx, const sh_args *a, mech_repo **repo, char **name, char **backend)
{
	mech_route_state *r = NULL;
	size_t n = 0, i, hits = 0;
	const char *inst = sh_arg(a, SH_OPT_INSTANCE);
	*name = *backend = NULL;
	if (mech_repo_open(repo, ctx->cfg, ctx->tenant_name) < 0 ||
	    mech_route_list(*repo, sh_arg(a, SH_OPT_APP), &r, &n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (!inst || !strcmp(r[i].instance, inst)) {
			hits++;
			free(*name);
			free(*backend);
			*name = mech_layout_workload(r[i].app, r[i].instance);
			*backend = mech_layout_instance_app(ctx->tenant_name, r[i].app,
							    r[i].instance);
		}
	mech_route_state_free(r, n);
	if (hits == 1)
		return 0;
	free(*name);
	free(*backend);
	*name = *backend = NULL;
	if (!hits) {
		mech_error_set(MECH_ENOT_FOUND, "no route for %s%s%s", sh_arg(a, SH_OPT_APP),
			       inst ? "/" : "", inst ? inst : "");
		return mech_error_hint("create one with `mech route -a %s create`",
				       sh_arg(a, SH_OPT_APP));
	}
	return mech_error_set(MECH_EUSAGE, "app %s has %zu routes; name the instance with -i",
			      sh_arg(a, SH_OPT_APP), hits);
}

static int route_judge(mech_kube_route *rt, char **reason)
{
	size_t i, j;
	*reason = NULL;
	for (i = 0; i < rt->nparents; i++)
		for (j = 0; j < rt->parents[i].nconditions; j++) {
			const mech_kube_condition *c = &rt->parents[i].conditions[j];
			if (!strcmp(c->status, "False") && !*reason)
				*reason = mech_sprintf("%s=False (%s): %s", c->type, c->reason,
						       c->message);
		}
	if (rt->accepted == 1 && rt->resolved_refs == 1)
		return MECH_LIVE_DONE;
	if (rt->accepted == 0 || rt->resolved_refs == 0)
		return MECH_LIVE_FAILED;
	return MECH_LIVE_PROGRESSING;
}

/*
 * Is every False condition ResolvedRefs=False with reason BackendNotFound
 * (and Accepted not False)? In production the route often arrives before
 * its backend's Service: that is pending while the backend's app syncs.
 */
static int only_backend_missing(const mech_kube_route *rt)
{
	size_t i, j, missing = 0;
	if (rt->accepted == 0)
		return 0;
	for (i = 0; i < rt->nparents; i++)
		for (j = 0; j < rt->parents[i].nconditions; j++) {
			const mech_kube_condition *c = &rt->parents[i].conditions[j];
			if (strcmp(c->status, "False"))
				continue;
			if (strcmp(c->type, "ResolvedRefs") || strcmp(c->reason, "BackendNotFound"))
				return 0;
			missing++;
		}
	return missing > 0;
}

/*
 * The backend's Application Synced and Healthy? 1 yes (or no Argo CD to
 * ask: the grace alone decides), 0 not yet or not known; `why` says what
 * it is waiting for (caller frees).
 */
static int backend_settled(mech_argocd *cd, const char *project, const char *app, char **why)
{
	mech_argocd_app *a = NULL;
	int ok;
	*why = NULL;
	if (!cd)
		return 1;
	if (mech_argocd_app_get(cd, project, app, &a) < 0) {
		*why = mech_sprintf("waiting for the backend's Application %s (%s)", app,
				    mech_error_last() ? mech_error_last()->message : "not found");
		mech_error_clear();
		return 0;
	}
	ok = !strcmp(a->sync_status, "Synced") && !strcmp(a->health_status, "Healthy");
	if (!ok)
		*why = mech_sprintf("waiting for the backend's Application %s (%s/%s)", app,
				    a->sync_status, a->health_status);
	mech_argocd_app_free(a);
	return ok;
}

static cJSON *route_json(const mech_kube_route *rt)
{
	cJSON *o = cJSON_CreateObject(), *parents = cJSON_CreateArray();
	size_t i, j;
	cJSON_AddStringToObject(o, "name", rt->name);
	cJSON_AddStringToObject(o, "accepted",
				rt->accepted == 1   ? "True"
				: rt->accepted == 0 ? "False"
						    : "Unknown");
	cJSON_AddStringToObject(o, "resolved_refs",
				rt->resolved_refs == 1   ? "True"
				: rt->resolved_refs == 0 ? "False"
							 : "Unknown");
	for (i = 0; i < rt->nparents; i++) {
		cJSON *p = cJSON_CreateObject(), *conds = cJSON_CreateArray();
		cJSON_AddStringToObject(p, "gateway", rt->parents[i].parent_name);
		for (j = 0; j < rt->parents[i].nconditions; j++) {
			const mech_kube_condition *c = &rt->parents[i].conditions[j];
			cJSON *cj = cJSON_CreateObject();
			cJSON_AddStringToObject(cj, "type", c->type);
			cJSON_AddStringToObject(cj, "status", c->status);
			cJSON_AddStringToObject(cj, "reason", c->reason);
			cJSON_AddStringToObject(cj, "message", c->message);
			cJSON_AddItemToArray(conds, cj);
		}
		cJSON_AddItemToObject(p, "conditions", conds);
		cJSON_AddItemToArray(parents, p);
	}
	cJSON_AddItemToObject(o, "parents", parents);
	return o;
}

/* Polls BackendNotFound may last once the backend's app is Synced and Healthy. */
#define ROUTE_BACKEND_GRACE_POLLS 8

static int route_status(sh_ctx *ctx, const sh_args *a, int wait)
{
	mech_repo *repo = NULL;
	mech_kube *k = NULL;
	char *name = NULL, *backend = NULL, *last = NULL, *reason = NULL;
	long timeout = DEFAULT_TIMEOUT_MS;
	long long deadline;
	int rc = -1, st = MECH_LIVE_PROGRESSING, grace = 0;
	cJSON *out = NULL;
	receipt rcpt;

	memset(&rcpt, 0, sizeof(rcpt));
	if (wait && sh_arg(a, SH_OPT_TIMEOUT) &&
	    mech_parse_duration("--timeout", sh_arg(a, SH_OPT_TIMEOUT), &timeout) < 0)
		return -1;
	if (route_name(ctx, a, &repo, &name, &backend) < 0)
		goto done;
	if (wait && receipt_open(&rcpt, ctx, repo, MECH_LAYOUT_NETWORK) < 0)
		goto done;
	if (!wait && !*ctx->cfg->kube_url) {
		/* like app info without Argo CD: what Git says, and that there is no live side */
		ctx->result = cJSON_CreateObject();
		cJSON_AddStringToObject(ctx->result, "name", name);
		cJSON_AddStringToObject(ctx->result, "kubernetes", "not configured");
		sh_printf(ctx, "%s: live state unknown (kubernetes not configured)\n", name);
		rc = 0;
		goto done;
	}
	if (need_kube(ctx, &k) < 0)
		goto done;
	deadline = mech_now_ms() + timeout;
	for (;;) {
		mech_kube_route *rt = NULL;
		int applied = wait ? receipt_progress(&rcpt, name, &last) : 1;
		if (applied < 0)
			goto done;
		if (!applied) {
			/* receipt_progress said what is awaited */
		} else if (mech_kube_route_get(k, ctx->tenant->ns, name, &rt) < 0) {
			const mech_error *e = mech_error_last();
			if (!wait || !e ||
			    (e->code != MECH_ENOT_FOUND && e->code != MECH_EUNAVAILABLE))
				goto done;
			if (e->code == MECH_ENOT_FOUND) {
				char *m = mech_sprintf("%s: waiting for the HTTPRoute to appear",
						       name);
				progress(m, &last);
				free(m);
			} else {
				progress(e->message, &last);
			}
			mech_error_clear();
		} else {
			char *line, *why = NULL;
			free(reason);
			st = route_judge(rt, &reason);
			if (wait && st == MECH_LIVE_FAILED && only_backend_missing(rt)) {
				/* pending while the backend syncs; failed once it has and a
				 * few polls later the Service is still not found */
				if (!backend_settled(rcpt.cd, ctx->tenant_name, backend, &why))
					grace = 0;
				if (why || ++grace < ROUTE_BACKEND_GRACE_POLLS)
					st = MECH_LIVE_PROGRESSING;
			} else {
				grace = 0;
			}
			line = mech_sprintf("%s: Accepted=%s ResolvedRefs=%s%s%s%s%s", name,
					    rt->accepted == 1   ? "True"
					    : rt->accepted == 0 ? "False"
								: "Unknown",
					    rt->resolved_refs == 1   ? "True"
					    : rt->resolved_refs == 0 ? "False"
								     : "Unknown",
					    reason ? ": " : "", reason ? reason : "",
					    why ? "; " : "", why ? why : "");
			free(why);
			cJSON_Delete(out);
			out = route_json(rt);
			mech_kube_route_free(rt);
			if (wait)
				progress(line, &last);
			else
				sh_printf(ctx, "%s\n", line);
			free(line);
			if (!wait || st != MECH_LIVE_PROGRESSING)
				break;
		}
		if (mech_now_ms() >= deadline)
			break;
		mech_sleep_ms(POLL_MS);
	}
	if (!out)
		out = cJSON_CreateObject();
	if (wait)
		cJSON_AddStringToObject(out, "state",
					st == MECH_LIVE_DONE     ? "done"
					: st == MECH_LIVE_FAILED ? "failed"
								 : "pending");
	/* after a write (--wait) the receipt stays the result and this joins it,
	 * field by field, as `app create --wait` does: result.state is the verdict */
	if (ctx->result) {
		while (out->child) {
			cJSON *it = cJSON_DetachItemViaPointer(out, out->child);
			cJSON_AddItemToObject(ctx->result, it->string, it);
		}
	} else {
		ctx->result = out;
		out = NULL;
	}
	if (wait) {
		if (st == MECH_LIVE_FAILED) {
			mech_error_set(MECH_EFAILED, "route %s: %s", name,
				       reason ? reason : "not accepted");
			goto done;
		}
		if (st == MECH_LIVE_PROGRESSING)
			ctx->exit_override = 2;
	}
	rc = 0;
done:
	cJSON_Delete(out);
	free(name);
	free(backend);
	free(last);
	free(reason);
	mech_kube_free(k);
	receipt_close(&rcpt);
	mech_repo_free(repo);
	return rc;
}

int sh_route_info(sh_ctx *ctx, const sh_args *a)
{
	return route_status(ctx, a, 0);
}

int sh_route_wait(sh_ctx *ctx, const sh_args *a)
{
	return route_status(ctx, a, 1);
}

/* ---- addons ---- */

static int addon_status(sh_ctx *ctx, const char *name, const char *timeout_s, int wait)
{
	mech_repo *repo = NULL;
	mech_addon_state *ad = NULL;
	mech_kube *k = NULL;
	char *last = NULL;
	long timeout = DEFAULT_TIMEOUT_MS;
	long long deadline;
	int rc = -1, ready = 0;
	cJSON *res = NULL;
	receipt rcpt;

	memset(&rcpt, 0, sizeof(rcpt));
	if (wait && timeout_s && mech_parse_duration("--timeout", timeout_s, &timeout) < 0)
		return -1;
	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0 ||
	    mech_addon_get(repo, name, &ad) < 0 ||
	    ((wait || *ctx->cfg->kube_url) && need_kube(ctx, &k) < 0) ||
	    (wait && receipt_open(&rcpt, ctx, repo, MECH_LAYOUT_ADDONS) < 0))
		goto done;
	deadline = mech_now_ms() + timeout;
	/* after a write (--wait) the receipt stays the result and these fields join it */
	if (!ctx->result)
		ctx->result = cJSON_CreateObject();
	res = ctx->result;
	cJSON_AddStringToObject(res, "name", name);
	cJSON_AddStringToObject(res, "type", ad->type);
	if (!k) { /* info without kubernetes.url: the connection below is still known */
		cJSON_AddStringToObject(res, "kubernetes", "not configured");
		sh_printf(ctx, "%s: live state unknown (kubernetes not configured)\n", name);
	}
	for (; k;) {
		mech_kube_pg_cluster *c = NULL;
		int applied = wait ? receipt_progress(&rcpt, name, &last) : 1;
		if (applied < 0)
			goto done;
		if (!applied) {
			/* receipt_progress said what is awaited */
		} else if (mech_kube_pg_cluster_get(k, ctx->tenant->ns, name, &c) < 0) {
			const mech_error *e = mech_error_last();
			if (!wait || !e ||
			    (e->code != MECH_ENOT_FOUND && e->code != MECH_EUNAVAILABLE))
				goto done;
			if (e->code == MECH_ENOT_FOUND) {
				char *m = mech_sprintf("%s: waiting for the cluster to appear",
						       name);
				progress(m, &last);
				free(m);
			} else {
				progress(e->message, &last);
			}
			mech_error_clear();
		} else {
			char *line =
				mech_sprintf("%s: %d/%d ready, phase \"%s\"%s", name,
					     c->ready_instances, c->spec_instances, c->phase,
					     c->ready_generation && c->generation &&
							     c->ready_generation != c->generation
						     ? " (the operator has not seen the last change yet)"
						     : "");
			ready = c->ready;
			cJSON_DeleteItemFromObject(res, "phase");
			cJSON_DeleteItemFromObject(res, "ready_instances");
			cJSON_DeleteItemFromObject(res, "instances");
			cJSON_DeleteItemFromObject(res, "ready");
			cJSON_DeleteItemFromObject(res, "memory");
			cJSON_DeleteItemFromObject(res, "generation");
			cJSON_DeleteItemFromObject(res, "observed_generation");
			cJSON_AddStringToObject(res, "phase", c->phase);
			cJSON_AddNumberToObject(res, "ready_instances", c->ready_instances);
			cJSON_AddNumberToObject(res, "instances", c->spec_instances);
			cJSON_AddBoolToObject(res, "ready", c->ready);
			cJSON_AddStringToObject(res, "memory", c->memory);
			cJSON_AddNumberToObject(res, "generation", (double)c->generation);
			cJSON_AddNumberToObject(res, "observed_generation",
						(double)c->ready_generation);
			if (wait)
				progress(line, &last);
			else
				sh_printf(ctx, "%s\n", line);
			free(line);
			mech_kube_pg_cluster_free(c);
			if (!wait || ready)
				break;
		}
		if (mech_now_ms() >= deadline)
			break;
		mech_sleep_ms(POLL_MS);
	}
	/* connection info: the secret's non-secret fields, never its password */
	{
		mech_addon_conn cn;
		cJSON *conn = cJSON_AddObjectToObject(res, "connection");
		mech_addon_connection(k, ctx->tenant->ns, name, &cn);
		cJSON_AddStringToObject(conn, "host", cn.host);
		cJSON_AddNumberToObject(conn, "port", cn.port);
		cJSON_AddStringToObject(conn, "database", cn.database);
		cJSON_AddStringToObject(conn, "user", cn.user);
		cJSON_AddStringToObject(conn, "secret", cn.secret);
		cJSON_AddStringToObject(conn, "secret_key", cn.secret_key);
		cJSON_AddStringToObject(conn, "env", cn.env);
		cJSON_AddBoolToObject(conn, "secret_exists", cn.secret_exists);
		sh_printf(ctx, "connection: host %s port %d database %s user %s\n", cn.host,
			  cn.port, cn.database, cn.user);
		sh_printf(ctx,
			  "credentials: Kubernetes secret %s (key %s) -> wire it as %s "
			  "with `mech addon -n %s link -a APP`; the password is never shown\n",
			  cn.secret, cn.secret_key, cn.env, name);
		mech_addon_conn_dispose(&cn);
	}
	if (!wait)
		sh_addon_links(ctx, repo, res, name);
	if (wait) {
		cJSON_AddStringToObject(res, "state", ready ? "done" : "pending");
		if (!ready)
			ctx->exit_override = 2;
	}
	rc = 0;
done:
	free(last);
	receipt_close(&rcpt);
	mech_addon_state_free(ad, ad ? 1 : 0);
	mech_kube_free(k);
	mech_repo_free(repo);
	return rc;
}

int sh_addon_info(sh_ctx *ctx, const sh_args *a)
{
	return addon_status(ctx, sh_arg(a, SH_OPT_NAME), NULL, 0);
}

int sh_addon_wait(sh_ctx *ctx, const sh_args *a)
{
	return addon_status(ctx, sh_arg(a, SH_OPT_NAME), sh_arg(a, SH_OPT_TIMEOUT), 1);
}

int sh_live_wait_addon(sh_ctx *ctx, const char *name, const char *timeout)
{
	return addon_status(ctx, name, timeout, 1);
}
