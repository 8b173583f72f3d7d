/* SPDX-License-Identifier: Apache-2.0 */
/*
 * app logs, app events, and the failing pod a failed wait names: reads of
 * the Kubernetes API, scoped to one instance's objects. Pods are selected
 * by the instance's labels (app.kubernetes.io/name=<app>,
 * mech.dev/instance=<instance>); events by the objects they are about (the
 * Deployment, its ReplicaSets and Pods, the Service and the HTTPRoute, all
 * named <app>--<instance>[-…]). Everything is bounded: lines, bytes, time.
 */
#include "cmd.h"
#include "handlers.h"
#include "h_live.h"
#include "mech/app.h"
#include "mech/error.h"
#include "mech/gitops.h"
#include "mech/kube.h"
#include "mech/layout.h"
#include "mech/live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_DEFAULT_TAIL 200
#define LOG_MAX_BYTES (1L << 20) /* the whole answer, shared among the pods */
#define LOG_MIN_POD_BYTES (16L << 10)
#define FOLLOW_DEFAULT_MS 60000L
#define EVENTS_MAX 100

/* The instance's app and instance names, its namespace and workload name. */
typedef struct {
	char *app;
	char *instance;
	char *workload; /* <app>--<instance> */
	char *selector;
	mech_kube *k;
} target;

static void target_dispose(target *t)
{
	free(t->app);
	free(t->instance);
	free(t->workload);
	free(t->selector);
	mech_kube_free(t->k);
	memset(t, 0, sizeof(*t));
}

static int target_open(sh_ctx *ctx, const char *app_name, const char *instance, target *t)
{
	mech_repo *repo = NULL;
	mech_app_state *app = NULL;
	const mech_instance_state *in = NULL;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		return -1;
	if (mech_app_get(repo, app_name, &app) < 0 || mech_app_pick_instance(app, instance, &in) < 0)
		goto done;
	t->app = mech_strdup(app->name);
	t->instance = mech_strdup(in->name);
	t->workload = mech_layout_workload(app->name, in->name);
	t->selector = mech_sprintf("%s=%s,%s=%s", MECH_LAYOUT_LABEL_NAME, app->name,
				   MECH_LAYOUT_LABEL_APP_INSTANCE, in->name);
	if (!*ctx->cfg->kube_url) {
		mech_error_set(MECH_ECONFIG,
			       "Kubernetes is not configured (kubernetes.url is empty in %s/mech.yaml)",
			       ctx->home);
		mech_error_hint("point kubernetes.url at the API server, or at `mech sim`");
		goto done;
	}
	if (mech_kube_new(&t->k, ctx->cfg) < 0)
		goto done;
	rc = 0;
done:
	mech_app_state_free(app, 1);
	mech_repo_free(repo);
	return rc;
}

static int list_pods(sh_ctx *ctx, const target *t, mech_kube_pod **pods, size_t *n)
{
	return mech_kube_instance_pods(t->k, ctx->tenant->ns, t->app, t->instance, pods, n);
}

/* kubectl's short ages: 45s, 3m, 2h, 4d. */
static void age_of(const char *rfc3339, char *out, size_t n)
{
	struct tm tm;
	long s;
	memset(&tm, 0, sizeof(tm));
	if (!rfc3339 || !*rfc3339 || !strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(out, n, "<unknown>");
		return;
	}
	s = (long)(time(NULL) - timegm(&tm));
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(out, n, "%lds", s);
	else if (s < 7200)
		snprintf(out, n, "%ldm", s / 60);
	else if (s < 172800)
		snprintf(out, n, "%ldh", s / 3600);
	else
		snprintf(out, n, "%ldd", s / 86400);
}

static char *lower_kind(const char *kind, const char *name)
{
	char *s = mech_sprintf("%s/%s", kind, name), *p;
	for (p = s; *p && *p != '/'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return s;
}

/* The instance's events, filtered and sorted; `*sorted` points into `*all`. */
static int instance_events(sh_ctx *ctx, const target *t, mech_kube_event **all, size_t *nall,
			   mech_kube_event ***sorted, size_t *n)
{
	return mech_kube_instance_events(t->k, ctx->tenant->ns, t->workload, NULL, NULL, all, nall,
					 sorted, n);
}

int sh_app_events(sh_ctx *ctx, const sh_args *a)
{
	mech_kube_event *all = NULL, **ev = NULL;
	size_t nall = 0, n = 0, i, shown;
	target t;
	cJSON *arr;
	sh_table tb;
	int rc = -1;

	if (target_open(ctx, sh_arg(a, SH_OPT_APP), sh_arg(a, SH_OPT_INSTANCE), &t) < 0)
		goto done;
	if (instance_events(ctx, &t, &all, &nall, &ev, &n) < 0)
		goto done;
	shown = n > EVENTS_MAX ? EVENTS_MAX : n;
	ctx->result = cJSON_CreateObject();
	cJSON_AddStringToObject(ctx->result, "app", t.app);
	cJSON_AddStringToObject(ctx->result, "instance", t.instance);
	cJSON_AddStringToObject(ctx->result, "namespace", ctx->tenant->ns);
	arr = cJSON_AddArrayToObject(ctx->result, "events");
	cJSON_AddBoolToObject(ctx->result, "truncated", n > shown);
	sh_table_init(&tb, 6);
	sh_table_add(&tb, "LAST SEEN", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE");
	for (i = 0; i < shown; i++) {
		const mech_kube_event *e = ev[i];
		cJSON *o = cJSON_CreateObject();
		char when[32], count[16], *obj = lower_kind(e->kind, e->name);
		age_of(e->last, when, sizeof(when));
		snprintf(count, sizeof(count), "%d", e->count);
		cJSON_AddStringToObject(o, "type", e->type);
		cJSON_AddStringToObject(o, "reason", e->reason);
		cJSON_AddStringToObject(o, "object", obj);
		cJSON_AddStringToObject(o, "kind", e->kind);
		cJSON_AddStringToObject(o, "name", e->name);
		cJSON_AddNumberToObject(o, "count", e->count);
		cJSON_AddStringToObject(o, "message", e->message);
		if (*e->first)
			cJSON_AddStringToObject(o, "first_seen", e->first);
		else
			cJSON_AddNullToObject(o, "first_seen");
		if (*e->last)
			cJSON_AddStringToObject(o, "last_seen", e->last);
		else
			cJSON_AddNullToObject(o, "last_seen");
		cJSON_AddStringToObject(o, "age", when);
		cJSON_AddItemToArray(arr, o);
		sh_table_add(&tb, when, e->type, e->reason, obj, count, e->message);
		free(obj);
	}
	if (shown)
		sh_table_print(ctx, &tb);
	else
		sh_printf(ctx, "no events for %s/%s in %s\n", t.app, t.instance, ctx->tenant->ns);
	if (n > shown)
		sh_warn(ctx, "%zu older events not shown (at most %d)", n - shown, EVENTS_MAX);
	sh_table_dispose(&tb);
	if (shown && !strcmp(ev[0]->type, "Warning"))
		sh_next(ctx, "mech app -a %s -i %s logs", t.app, t.instance);
	else
		sh_next(ctx, "mech app -a %s -i %s info", t.app, t.instance);
	rc = 0;
done:
	free(ev);
	mech_kube_events_free(all, nall);
	target_dispose(&t);
	return rc;
}

/* ---- logs ---- */

/* Lines of a log body into `lines` (each escaped for a terminal in text mode later). */
static void split_lines(const char *s, size_t len, cJSON *lines)
{
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		char *l;
		while (j < len && s[j] != '\n')
			j++;
		l = mech_strndup(s + i, j - i);
		cJSON_AddItemToArray(lines, cJSON_CreateString(l));
		free(l);
		i = j + 1;
	}
}

static void print_lines(sh_ctx *ctx, const char *prefix, const char *s, size_t len)
{
	mech_buf b = MECH_BUF_INIT;
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && s[j] != '\n')
			j++;
		if (prefix)
			mech_buf_printf(&b, "[%s] ", prefix);
		mech_escape(&b, s + i, j - i, 0); /* a pod's bytes: shown, never sent raw */
		mech_buf_putc(&b, '\n');
		i = j + 1;
	}
	if (b.len)
		sh_printf(ctx, "%s", b.ptr);
	mech_buf_dispose(&b);
}

typedef struct {
	sh_ctx *ctx;
	mech_buf pending; /* a line not ended yet */
	cJSON *lines;     /* --json: every line */
	long bytes;
	int capped;
} follower;

static void follow_line(follower *f, const char *s, size_t n)
{
	if (f->lines) {
		char *l = mech_strndup(s, n);
		cJSON_AddItemToArray(f->lines, cJSON_CreateString(l));
		free(l);
	} else {
		mech_buf b = MECH_BUF_INIT;
		mech_escape(&b, s, n, 0);
		mech_buf_putc(&b, '\n');
		fwrite(b.ptr, 1, b.len, stdout);
		fflush(stdout); /* a follower reads as it comes */
		mech_buf_dispose(&b);
	}
}

static int follow_data(const char *bytes, size_t len, void *arg)
{
	follower *f = arg;
	size_t i, from = 0;
	if (f->bytes + (long)len > LOG_MAX_BYTES) {
		len = (size_t)(LOG_MAX_BYTES - f->bytes);
		f->capped = 1;
	}
	f->bytes += (long)len;
	for (i = 0; i < len; i++) {
		if (bytes[i] != '\n')
			continue;
		if (f->pending.len) {
			mech_buf_put(&f->pending, bytes + from, i - from);
			follow_line(f, f->pending.ptr, f->pending.len);
			mech_buf_clear(&f->pending);
		} else {
			follow_line(f, bytes + from, i - from);
		}
		from = i + 1;
	}
	if (from < len)
		mech_buf_put(&f->pending, bytes + from, len - from);
	return f->capped;
}

static const mech_kube_pod *find_pod(const mech_kube_pod *p, size_t n, const char *name)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!strcmp(p[i].name, name))
			return &p[i];
	return NULL;
}

static int pod_not_found(const target *t, const mech_kube_pod *pods, size_t n, const char *name)
{
	mech_buf b = MECH_BUF_INIT;
	char q[MECH_ESCAPE_SIZE];
	size_t i;
	for (i = 0; i < n; i++)
		mech_buf_printf(&b, "%s%s", i ? ", " : "", pods[i].name);
	mech_error_set(MECH_ENOT_FOUND, "pod %s is not one of %s/%s's pods (%s)",
		       mech_error_escape(q, name), t->app, t->instance, b.len ? b.ptr : "none");
	mech_buf_dispose(&b);
	return mech_error_hint("leave --pod out to read every pod of %s/%s", t->app, t->instance);
}

int sh_app_logs(sh_ctx *ctx, const sh_args *a)
{
	const char *pod_arg = sh_arg(a, SH_OPT_POD), *container = sh_arg(a, SH_OPT_CONTAINER);
	int follow = sh_arg_bool(a, SH_OPT_FOLLOW), ok = 0, failed = 0;
	mech_kube_log_opts o = {0};
	mech_kube_pod *pods = NULL;
	const mech_kube_pod **chosen = NULL;
	size_t npods = 0, nchosen = 0, i;
	long follow_ms = FOLLOW_DEFAULT_MS, since_ms = 0;
	cJSON *arr;
	target t;
	int rc = -1;

	memset(&t, 0, sizeof(t));
	/* flags first: bad input says so before anything is asked */
	if (sh_arg(a, SH_OPT_TIMEOUT) && !follow) {
		mech_error_set(MECH_EUSAGE, "--timeout bounds --follow; without --follow it means "
					    "nothing");
		mech_error_hint("add --follow, or drop --timeout");
		goto done;
	}
	if (follow && !sh_arg(a, SH_OPT_TIMEOUT)) {
		mech_error_set(MECH_EUSAGE, "--follow needs --timeout D: a stream is never "
					    "unbounded");
		mech_error_hint("e.g. --follow --timeout 1m");
		goto done;
	}
	follow_ms = sh_arg_ms(a, SH_OPT_TIMEOUT, FOLLOW_DEFAULT_MS);
	since_ms = sh_arg_ms(a, SH_OPT_SINCE, 0);
	o.container = container;
	o.tail_lines = sh_arg_int(a, SH_OPT_TAIL, LOG_DEFAULT_TAIL);
	o.since_s = since_ms > 0 ? (since_ms + 999) / 1000 : 0;
	o.previous = sh_arg_bool(a, SH_OPT_PREVIOUS);
	if (target_open(ctx, sh_arg(a, SH_OPT_APP), sh_arg(a, SH_OPT_INSTANCE), &t) < 0)
		goto done;
	if (list_pods(ctx, &t, &pods, &npods) < 0)
		goto done;
	chosen = mech_calloc(npods ? npods : 1, sizeof(*chosen));
	if (pod_arg) {
		const mech_kube_pod *p = find_pod(pods, npods, pod_arg);
		if (!p) {
			pod_not_found(&t, pods, npods, pod_arg);
			goto done;
		}
		chosen[nchosen++] = p;
	} else {
		for (i = 0; i < npods; i++)
			chosen[nchosen++] = &pods[i];
	}
	if (!nchosen) {
		mech_error_set(MECH_ENOT_FOUND, "%s/%s has no pods in %s (selector %s)", t.app,
			       t.instance, ctx->tenant->ns, t.selector);
		mech_error_hint("has Argo CD synced it? see `mech app -a %s -i %s wait` and `… "
				"events`",
				t.app, t.instance);
		goto done;
	}
	if (container) {
		for (i = 0; i < nchosen; i++) {
			size_t j;
			for (j = 0; j < chosen[i]->ncontainers; j++)
				if (!strcmp(chosen[i]->containers[j], container))
					break;
			if (j == chosen[i]->ncontainers) {
				char q[MECH_ESCAPE_SIZE];
				mech_error_set(MECH_ENOT_FOUND, "pod %s has no container %s",
					       chosen[i]->name, mech_error_escape(q, container));
				goto done;
			}
		}
	}
	if (follow && nchosen > 1) {
		mech_buf b = MECH_BUF_INIT;
		for (i = 0; i < nchosen; i++)
			mech_buf_printf(&b, "%s%s", i ? ", " : "", chosen[i]->name);
		mech_error_set(MECH_EUSAGE, "--follow reads one pod; %s/%s has %zu (%s)", t.app,
			       t.instance, nchosen, b.ptr);
		mech_buf_dispose(&b);
		mech_error_hint("name one with --pod POD");
		goto done;
	}
	o.limit_bytes = LOG_MAX_BYTES / (long)nchosen;
	if (o.limit_bytes < LOG_MIN_POD_BYTES)
		o.limit_bytes = LOG_MIN_POD_BYTES;

	ctx->result = cJSON_CreateObject();
	cJSON_AddStringToObject(ctx->result, "app", t.app);
	cJSON_AddStringToObject(ctx->result, "instance", t.instance);
	cJSON_AddStringToObject(ctx->result, "namespace", ctx->tenant->ns);
	cJSON_AddNumberToObject(ctx->result, "tail", (double)o.tail_lines);
	cJSON_AddBoolToObject(ctx->result, "previous", o.previous);
	cJSON_AddBoolToObject(ctx->result, "follow", follow);
	arr = cJSON_AddArrayToObject(ctx->result, "pods");

	if (follow) {
		follower f;
		int timed_out = 0;
		cJSON *po = cJSON_CreateObject();
		memset(&f, 0, sizeof(f));
		f.ctx = ctx;
		cJSON_AddStringToObject(po, "pod", chosen[0]->name);
		cJSON_AddItemToArray(arr, po);
		if (ctx->json)
			f.lines = cJSON_AddArrayToObject(po, "lines");
		o.limit_bytes = 0; /* the stream is bounded here: LOG_MAX_BYTES and the time */
		rc = mech_kube_pod_log_follow(t.k, ctx->tenant->ns, chosen[0]->name, &o, follow_ms,
					      follow_data, &f, &timed_out);
		if (rc == 0 && f.pending.len)
			follow_line(&f, f.pending.ptr, f.pending.len);
		mech_buf_dispose(&f.pending);
		if (rc < 0)
			goto done;
		cJSON_AddBoolToObject(po, "truncated", f.capped);
		cJSON_AddNullToObject(po, "error");
		cJSON_AddStringToObject(ctx->result, "ended",
					f.capped    ? "bytes"
					: timed_out ? "timeout"
						    : "closed");
		if (f.capped)
			sh_warn(ctx, "stopped after %ld bytes (the cap)", LOG_MAX_BYTES);
		else if (!timed_out) /* the server ended it: the pod went (a rollout replaced it) */
			sh_eprintf(ctx, "%s: the stream ended: the pod is gone\n", chosen[0]->name);
		sh_next(ctx, "mech app -a %s -i %s events", t.app, t.instance);
		rc = 0;
		goto done;
	}

	for (i = 0; i < nchosen; i++) {
		mech_buf body = MECH_BUF_INIT;
		cJSON *po = cJSON_CreateObject(), *lines;
		cJSON_AddStringToObject(po, "pod", chosen[i]->name);
		lines = cJSON_AddArrayToObject(po, "lines");
		cJSON_AddItemToArray(arr, po);
		if (mech_kube_pod_log(t.k, ctx->tenant->ns, chosen[i]->name, &o, &body) < 0) {
			const mech_error *e = mech_error_last();
			if (nchosen == 1) {
				mech_buf_dispose(&body);
				goto done; /* the one pod asked for: its error is the answer */
			}
			cJSON_AddBoolToObject(po, "truncated", 0);
			cJSON_AddStringToObject(po, "error", e ? e->message : "failed");
			sh_warn(ctx, "%s: %s", chosen[i]->name, e ? e->message : "failed");
			mech_error_clear();
			failed++;
		} else {
			split_lines(body.ptr ? body.ptr : "", body.len, lines);
			cJSON_AddBoolToObject(po, "truncated", (long)body.len >= o.limit_bytes);
			cJSON_AddNullToObject(po, "error");
			print_lines(ctx, nchosen > 1 ? chosen[i]->name : NULL,
				    body.ptr ? body.ptr : "", body.len);
			ok++;
		}
		mech_buf_dispose(&body);
	}
	if (!ok && failed) {
		mech_error_set(MECH_EFAILED, "no log of %s/%s could be read (%d pods)", t.app,
			       t.instance, failed);
		mech_error_hint("the warnings say why each pod has none; see `mech app -a %s -i %s "
				"events`",
				t.app, t.instance);
		goto done;
	}
	for (i = 0; i < nchosen; i++)
		if (!chosen[i]->ready) {
			sh_next(ctx, "mech app -a %s -i %s events", t.app, t.instance);
			if (!o.previous && chosen[i]->restarts)
				sh_next(ctx, "mech app -a %s -i %s logs --previous --pod %s", t.app,
					t.instance, chosen[i]->name);
			break;
		}
	rc = 0;
done:
	free(chosen);
	mech_kube_pods_free(pods, npods);
	target_dispose(&t);
	return rc;
}

/* ---- the failing pod of a failed wait ---- */

cJSON *sh_logs_failing(sh_ctx *ctx, const char *app, const char *instance)
{
	mech_kube_pod *pods = NULL;
	mech_kube_event *all = NULL, **ev = NULL;
	size_t npods = 0, nall = 0, n = 0, i;
	const mech_kube_pod *bad = NULL;
	cJSON *o = NULL;
	target t;

	if (target_open(ctx, app, instance, &t) < 0 || list_pods(ctx, &t, &pods, &npods) < 0)
		goto done;
	for (i = 0; i < npods && !bad; i++)
		if (!pods[i].ready && *pods[i].reason)
			bad = &pods[i];
	for (i = 0; i < npods && !bad; i++)
		if (!pods[i].ready)
			bad = &pods[i];
	if (!bad)
		goto done;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "pod", bad->name);
	if (instance_events(ctx, &t, &all, &nall, &ev, &n) == 0) {
		for (i = 0; i < n; i++)
			if (!strcmp(ev[i]->type, "Warning") && !strcmp(ev[i]->kind, "Pod") &&
			    !strcmp(ev[i]->name, bad->name))
				break;
		if (i < n) { /* its last warning (sorted: warnings, newest first) */
			cJSON_AddStringToObject(o, "reason", ev[i]->reason);
			cJSON_AddStringToObject(o, "message", ev[i]->message);
			goto done;
		}
	}
	cJSON_AddStringToObject(o, "reason", *bad->reason ? bad->reason : bad->phase);
	cJSON_AddStringToObject(o, "message", bad->message);
done:
	mech_error_clear(); /* a hint for a failure already reported: its own errors are not */
	free(ev);
	mech_kube_events_free(all, nall);
	mech_kube_pods_free(pods, npods);
	target_dispose(&t);
	return o;
}
