/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An instance's pod logs and Kubernetes events, read as `mech app logs` and
 * `mech app events` read them (the core's instance pods and events). The
 * logs view shows the last lines of one pod, or of every pod of the
 * instance (each line prefixed [pod]); `p` switches to the previous
 * container's log, `f` follows: the tail is read again about every second
 * from the event loop's timer while the view is shown, and the view stays
 * at the end when it was there. Bytes from a pod are drawn, never sent.
 */
#include "tui.h"

#include "mech/error.h"
#include "mech/kube.h"
#include "mech/layout.h"
#include "mech/tenant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_TAIL 200
#define LOG_MAX_BYTES (256L << 10)
#define EVENTS_MAX 100

typedef struct {
	tui_tenant *tenant;         /* borrowed from the data */
	char *app, *instance, *pod; /* pod NULL: every pod of the instance */
	int previous, follow;
	mech_kube *k;
	char *ns;
	mech_strv lines; /* what the last read returned, ready to draw */
	char *error;
} logs_priv;

/* The client and the tenant's namespace, once; -1 with the reason in *error. */
static int open_kube(struct tui *t, tui_tenant *tn, mech_kube **k, char **ns, char **error)
{
	mech_tenant *te = NULL;
	if (*k && *ns)
		return 0;
	if (!*t->data.cfg->kube_url) {
		free(*error);
		*error = mech_strdup("Kubernetes is not configured (kubernetes.url in "
				     "MECH_HOME/mech.yaml; or run `mech sim`)");
		return -1;
	}
	if ((!*ns && mech_tenant_load(t->data.cfg, tn->name, &te) < 0) ||
	    (!*k && mech_kube_new(k, t->data.cfg) < 0)) {
		const mech_error *e = mech_error_last();
		free(*error);
		*error = mech_strdup(e && e->message ? e->message : "cannot reach Kubernetes");
		mech_error_clear();
		mech_tenant_free(te);
		return -1;
	}
	if (te)
		*ns = mech_strdup(te->ns);
	mech_tenant_free(te);
	return 0;
}

static void error_text(char **error, const char *fallback)
{
	const mech_error *e = mech_error_last();
	free(*error);
	*error = mech_strdup(e && e->message ? e->message : fallback);
	mech_error_clear();
}

/* One pod's log into the lines, prefixed when several are shown. */
static void read_pod(logs_priv *p, const mech_kube_pod *pod, int prefix)
{
	mech_kube_log_opts o;
	mech_buf body = MECH_BUF_INIT;
	const char *s, *end;
	memset(&o, 0, sizeof(o));
	o.container = pod->ncontainers > 1 ? pod->containers[0] : NULL;
	o.tail_lines = LOG_TAIL;
	o.limit_bytes = LOG_MAX_BYTES;
	o.previous = p->previous;
	if (mech_kube_pod_log(p->k, p->ns, pod->name, &o, &body) < 0) {
		const mech_error *e = mech_error_last();
		const char *why = e && e->message ? e->message : "no log", *q;
		char *l;
		/* the API's reason, not the endpoint: "…/log?previous=true: 400: previous …" */
		for (q = why; (q = strstr(q, ": ")); q += 2)
			why = q + 2;
		l = mech_sprintf("\x01%s: %s", pod->name, why);
		mech_strv_push(&p->lines, l); /* \x01 marks an error line */
		free(l);
		mech_error_clear();
		mech_buf_dispose(&body);
		return;
	}
	for (s = mech_buf_cstr(&body); *s; s = *end ? end + 1 : end) {
		char *l;
		end = strchr(s, '\n');
		if (!end)
			end = s + strlen(s);
		l = prefix ? mech_sprintf("[%s] %.*s", pod->name, (int)(end - s), s)
			   : mech_strndup(s, (size_t)(end - s));
		mech_strv_push(&p->lines, l);
		free(l);
	}
	mech_buf_dispose(&body);
}

static void fetch_logs(struct tui *t, logs_priv *p)
{
	mech_kube_pod *pods = NULL;
	size_t npods = 0, i, shown = 0;

	mech_strv_dispose(&p->lines);
	free(p->error);
	p->error = NULL;
	if (open_kube(t, p->tenant, &p->k, &p->ns, &p->error) < 0)
		return;
	if (mech_kube_instance_pods(p->k, p->ns, p->app, p->instance, &pods, &npods) < 0) {
		error_text(&p->error, "cannot list the pods");
		return;
	}
	for (i = 0; i < npods; i++)
		if (!p->pod || !strcmp(pods[i].name, p->pod))
			shown++;
	if (!shown)
		p->error = p->pod ? mech_sprintf("pod %s is gone (Esc, then l again)", p->pod)
				  : mech_sprintf("%s/%s has no pods in %s", p->app, p->instance,
						 p->ns);
	for (i = 0; i < npods; i++)
		if (!p->pod || !strcmp(pods[i].name, p->pod))
			read_pod(p, &pods[i], shown > 1);
	mech_kube_pods_free(pods, npods);
}

static int logs_load(struct tui *t, tui_view *v)
{
	logs_priv *p = v->priv;
	size_t i;
	tui_line *l;
	(void)t;
	l = tui_view_add(v, TUI_LINE_TITLE, NULL);
	tui_line_cell(l, TUI_AREA_TITLE, "%s %s", p->pod ? "pod" : "every pod of",
		      p->pod ? p->pod : p->instance);
	tui_line_cell(l, TUI_AREA_LABEL, "  %s",
		      p->previous ? "previous container" : "current container");
	tui_line_cell(l, p->follow ? TUI_AREA_SYNCED : TUI_AREA_DIM, "  %s",
		      p->follow ? "following" : "not following");
	if (p->error)
		tui_view_text(v, TUI_AREA_ERROR, "%s", p->error);
	else if (!p->lines.len)
		tui_view_text(v, TUI_AREA_DIM, "(no log lines)");
	for (i = 0; i < p->lines.len; i++) {
		const char *s = p->lines.items[i];
		if (*s == '\x01')
			tui_view_text(v, TUI_AREA_ERROR, "%s", s + 1);
		else
			tui_view_text(v, TUI_AREA_DEFAULT, "%s", s);
	}
	return 0;
}

/* At the end (or less than a screen of lines): stay at the end as lines come. */
static int at_end(const tui_view *v, int rows)
{
	return rows <= 0 || v->cursor + (size_t)rows >= v->nvis;
}

static void to_end(tui_view *v, int rows)
{
	v->cursor = rows > 0 && v->nvis > (size_t)rows ? v->nvis - (size_t)rows : 0;
}

static void refetch(struct tui *t, tui_view *v)
{
	int end = at_end(v, t->body_rows);
	fetch_logs(t, v->priv);
	tui_view_reload(t, v);
	if (end)
		to_end(v, t->body_rows);
}

static tui_action logs_request(struct tui *t, tui_view *v, tui_action a)
{
	logs_priv *p = v->priv;
	switch (a) {
	case TUI_ACT_PREV_CONTAINER:
		p->previous = !p->previous;
		refetch(t, v);
		tui_message(t, 0, "%s container's log", p->previous ? "previous" : "current");
		return TUI_ACT_NONE;
	case TUI_ACT_FOLLOW:
		p->follow = !p->follow;
		if (p->follow) {
			refetch(t, v);
			to_end(v, t->body_rows);
		} else {
			tui_view_reload(t, v);
		}
		tui_message(t, 0, "%s", p->follow ? "following the log" : "stopped following");
		return TUI_ACT_NONE;
	case TUI_ACT_REFRESH:
		refetch(t, v);
		tui_message(t, 0, "log read again");
		return TUI_ACT_NONE;
	case TUI_ACT_LOGS:
		return TUI_ACT_NONE; /* already here */
	case TUI_ACT_EVENTS:
		tui_push(t, tui_events_view(t, p->tenant, p->app, p->instance));
		return TUI_ACT_NONE;
	default:
		return a;
	}
}

static int logs_tick(struct tui *t, tui_view *v)
{
	logs_priv *p = v->priv;
	if (!p->follow)
		return 0;
	refetch(t, v);
	return 1;
}

static void logs_summary(struct tui *t, tui_view *v, mech_buf *out)
{
	logs_priv *p = v->priv;
	(void)t;
	mech_buf_printf(out, "%zu lines (last %d per pod) │ f %s, p %s, e events, Esc back",
			p->lines.len, LOG_TAIL, p->follow ? "stops following" : "follows",
			p->previous ? "current container" : "previous container");
}

static void logs_done(tui_view *v)
{
	logs_priv *p = v->priv;
	if (!p)
		return;
	free(p->app);
	free(p->instance);
	free(p->pod);
	free(p->ns);
	free(p->error);
	mech_strv_dispose(&p->lines);
	mech_kube_free(p->k);
	free(p);
}

const struct tui_view_ops tui_logs_ops = {
	"logs", "logs", logs_load, NULL, logs_request, logs_summary, logs_done, 0, logs_tick,
};

tui_view *tui_logs_view(struct tui *t, tui_tenant *tn, const char *app, const char *instance,
			const char *pod)
{
	tui_view *v = tui_view_new(&tui_logs_ops, NULL, 0, 0);
	logs_priv *p = mech_calloc(1, sizeof(*p));
	p->tenant = tn;
	p->app = mech_strdup(app);
	p->instance = mech_strdup(instance);
	p->pod = pod ? mech_strdup(pod) : NULL;
	p->follow = !t->script; /* a script's screens do not change under it */
	v->priv = p;
	v->tenant = tn;
	v->title = tui_instance_title(t, tn, "logs", app, instance);
	fetch_logs(t, p);
	tui_view_reload(t, v);
	to_end(v, t->body_rows);
	return v;
}

/* ---- events ---- */

static void event_age(const char *rfc3339, char *out, size_t n)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (!rfc3339 || !*rfc3339 || !strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(out, n, "?");
		return;
	}
	mech_age_text((long long)time(NULL) - (long long)timegm(&tm), out, n);
}

void tui_events_lines(struct tui *t, tui_view *v, tui_tenant *tn, const char *app,
		      const char *instance, const char *kind, const char *name)
{
	mech_kube *k = NULL;
	char *ns = NULL, *error = NULL, *workload = mech_layout_workload(app, instance);
	mech_kube_event *all = NULL, **ev = NULL;
	size_t nall = 0, n = 0, i;

	if (open_kube(t, tn, &k, &ns, &error) < 0 ||
	    mech_kube_instance_events(k, ns, workload, kind, name, &all, &nall, &ev, &n) < 0) {
		if (!error)
			error_text(&error, "cannot list the events");
		tui_view_text(v, TUI_AREA_ERROR, "  %s (r retries)", error);
		goto done;
	}
	if (!n) {
		tui_view_text(v, TUI_AREA_DIM, "  no events for %s%s%s in %s", kind ? kind : app,
			      "/", kind ? name : instance, ns);
		goto done;
	}
	tui_view_text(v, TUI_AREA_COLUMN, "  %-4s %-7s %-17s %-31s %5s  %s", "AGE", "TYPE",
		      "REASON", "OBJECT", "COUNT", "MESSAGE");
	for (i = 0; i < n && i < EVENTS_MAX; i++) {
		char age[16], *obj = mech_sprintf("%s/%s", ev[i]->kind, ev[i]->name);
		event_age(ev[i]->last, age, sizeof(age));
		tui_view_text(v,
			      !strcmp(ev[i]->type, "Warning") ? TUI_AREA_ERROR : TUI_AREA_DEFAULT,
			      "  %-4s %-7s %-17s %-31s %5d  %s", age, ev[i]->type, ev[i]->reason,
			      obj, ev[i]->count, ev[i]->message);
		free(obj);
	}
	if (n > EVENTS_MAX)
		tui_view_text(v, TUI_AREA_DIM, "  %zu older events not shown", n - EVENTS_MAX);
done:
	free(ev);
	mech_kube_events_free(all, nall);
	mech_kube_free(k);
	free(ns);
	free(error);
	free(workload);
}

typedef struct {
	tui_tenant *tenant;
	char *app, *instance;
} events_priv;

static int events_load(struct tui *t, tui_view *v)
{
	events_priv *p = v->priv;
	tui_line *l = tui_view_add(v, TUI_LINE_TITLE, NULL);
	tui_line_cell(l, TUI_AREA_TITLE, "Events of %s/%s", p->app, p->instance);
	tui_line_cell(l, TUI_AREA_DIM, "  (warnings first, then the newest)");
	tui_events_lines(t, v, p->tenant, p->app, p->instance, NULL, NULL);
	return 0;
}

static tui_action events_request(struct tui *t, tui_view *v, tui_action a)
{
	events_priv *p = v->priv;
	switch (a) {
	case TUI_ACT_REFRESH:
		tui_view_reload(t, v);
		tui_message(t, 0, "events read again");
		return TUI_ACT_NONE;
	case TUI_ACT_EVENTS:
		return TUI_ACT_NONE;
	case TUI_ACT_LOGS:
		tui_push(t, tui_logs_view(t, p->tenant, p->app, p->instance, NULL));
		return TUI_ACT_NONE;
	default:
		return a;
	}
}

static void events_summary(struct tui *t, tui_view *v, mech_buf *out)
{
	(void)t;
	(void)v;
	mech_buf_puts(out, "r reads again │ l logs │ Esc back");
}

static void events_done(tui_view *v)
{
	events_priv *p = v->priv;
	if (!p)
		return;
	free(p->app);
	free(p->instance);
	free(p);
}

const struct tui_view_ops tui_events_ops = {
	"events", "generic", events_load, NULL, events_request, events_summary, events_done, 0,
};

tui_view *tui_events_view(struct tui *t, tui_tenant *tn, const char *app, const char *instance)
{
	tui_view *v = tui_view_new(&tui_events_ops, NULL, 0, 0);
	events_priv *p = mech_calloc(1, sizeof(*p));
	p->tenant = tn;
	p->app = mech_strdup(app);
	p->instance = mech_strdup(instance);
	v->priv = p;
	v->tenant = tn;
	v->title = tui_instance_title(t, tn, "events", app, instance);
	tui_view_reload(t, v);
	return v;
}

tui_action tui_instance_action(struct tui *t, tui_tenant *tn, const char *app, const char *instance,
			       const char *pod, tui_action a)
{
	if (a != TUI_ACT_LOGS && a != TUI_ACT_EVENTS && a != TUI_ACT_APP_HISTORY)
		return a;
	if (!tn || !app || !instance) {
		tui_message(t, 1, "%s: select an app instance first", tui_action_name(a));
		return TUI_ACT_NONE;
	}
	if (a == TUI_ACT_LOGS)
		tui_push(t, tui_logs_view(t, tn, app, instance, pod));
	else if (a == TUI_ACT_EVENTS)
		tui_push(t, tui_events_view(t, tn, app, instance));
	else
		tui_push(t, tui_app_history_view(t, tn, app, instance));
	return TUI_ACT_NONE;
}
