/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The console's data: desired state and receipts from each tenant's Git
 * repo, and live Argo CD state kept current by a watch thread
 * (mech_argocd_app_watch with reconnect). Git is read on the loop's thread
 * only, and only what a view shows: the first screen reads the apps, the
 * history a page of receipts at a time, and the forced writes (which need
 * the whole history) when their view opens. The thread touches only the
 * live map, under `mu`, and wakes the loop through a self-pipe.
 */
#include "tui.h"

#include "mech/error.h"
#include "mech/live.h"
#include "mech/tenant.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define HISTORY_PAGE 200 /* receipts read at a time as the history view scrolls */
#define HISTORY_MAX 5000 /* the history view keeps at most this many; `mech log` reads on */
#define FORCED_MAX 200

long long tui_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

tui_area tui_status_area(const char *s)
{
	if (!s || !*s)
		return TUI_AREA_UNKNOWN;
	if (!strcmp(s, "Synced"))
		return TUI_AREA_SYNCED;
	if (!strcmp(s, "OutOfSync"))
		return TUI_AREA_OUT_OF_SYNC;
	if (!strcmp(s, "Healthy"))
		return TUI_AREA_HEALTHY;
	if (!strcmp(s, "Progressing") || !strcmp(s, "Suspended"))
		return TUI_AREA_PROGRESSING;
	if (!strcmp(s, "Degraded"))
		return TUI_AREA_DEGRADED;
	if (!strcmp(s, "Missing"))
		return TUI_AREA_MISSING;
	return TUI_AREA_UNKNOWN;
}

tui_area tui_class_area(mech_class cls)
{
	switch (cls) {
	case MECH_CLASS_MACHINE:
		return TUI_AREA_MACHINE;
	case MECH_CLASS_HUMAN:
		return TUI_AREA_HUMAN;
	case MECH_CLASS_FORCED:
		return TUI_AREA_FORCED;
	default:
		return TUI_AREA_DEFAULT;
	}
}

static void wake(tui_data *d)
{
	ssize_t n;
	do
		n = write(d->wake[1], "x", 1);
	while (n < 0 && errno == EINTR);
}

static void set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? mech_strdup(src) : NULL;
}

/* ---- tenants ---- */

static void git_failed(tui_tenant *tn)
{
	const mech_error *e = mech_error_last();
	set_str(&tn->git_error, e && e->message ? e->message : "cannot read the repository");
	mech_error_clear();
}

static void tenant_drop(tui_tenant *tn, unsigned what)
{
	if (what & TUI_HAVE_APPS) {
		mech_app_state_free(tn->apps, tn->napps);
		tn->apps = NULL;
		tn->napps = 0;
		tn->apps_listed = 0;
	}
	if (what & TUI_HAVE_ROUTES) {
		mech_route_state_free(tn->routes, tn->nroutes);
		tn->routes = NULL;
		tn->nroutes = 0;
	}
	if (what & TUI_HAVE_ADDONS) {
		mech_addon_state_free(tn->addons, tn->naddons);
		tn->addons = NULL;
		tn->naddons = 0;
	}
	if (what & TUI_HAVE_LOG) {
		mech_log_entries_free(tn->log, tn->nlog);
		tn->log = NULL;
		tn->nlog = 0;
		tn->log_more = 0;
	}
	if (what & TUI_HAVE_FORCED) {
		mech_log_entries_free(tn->forced, tn->nforced);
		tn->forced = NULL;
		tn->nforced = 0;
	}
	tn->have &= ~what;
}

/*
 * What the views show of the commits they name (last writers, receipts),
 * kept for the tenant's life and, between consoles, in the tenant's brief
 * cache: a list of 10,000 apps otherwise reads 10,000 commits from Git at
 * every start and maps most of the pack and its index (mech/brief.h).
 */
const mech_brief *tui_brief(tui_tenant *tn, const git_oid *id)
{
	if (!tn->repo)
		return NULL;
	if (!tn->briefs)
		tn->briefs = mech_briefs_open(tn->repo, 1);
	return mech_brief_of(tn->briefs, id);
}

void tui_briefs_save(tui_tenant *tn, size_t fresh)
{
	if (tn->briefs && mech_briefs_fresh(tn->briefs) >= (fresh ? fresh : 1))
		mech_briefs_save(tn->briefs);
}

static void tenant_free(tui_tenant *tn)
{
	if (!tn)
		return;
	tui_briefs_save(tn, 0);
	mech_briefs_free(tn->briefs);
	mech_live_reach_free(tn->reach);
	tenant_drop(tn, ~0u);
	mech_repo_free(tn->repo);
	free(tn->git_error);
	free(tn->name);
	free(tn);
}

/* Add a tenant, its repo open. In operator mode a repo that cannot be opened
 * leaves the tenant with its error (shown in the header), not the console. */
static int tenant_add(tui_data *d, const char *name)
{
	tui_tenant *tn = mech_calloc(1, sizeof(*tn));
	tn->name = mech_strdup(name);
	tn->log_want = HISTORY_PAGE;
	if (mech_repo_open(&tn->repo, d->cfg, name) < 0) {
		if (!d->all_tenants) {
			tenant_free(tn);
			return -1;
		}
		git_failed(tn);
	}
	d->tenants = mech_reallocarray(d->tenants, d->ntenants + 1, sizeof(*d->tenants));
	d->tenants[d->ntenants++] = tn;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(tui_tenant *const *)a)->name, (*(tui_tenant *const *)b)->name);
}

int tui_data_rescan(tui_data *d)
{
	mech_strv names = MECH_STRV_INIT;
	size_t i, before = d->ntenants;
	if (!d->all_tenants)
		return 0;
	mech_tenant_list(d->cfg, &names);
	for (i = 0; i < names.len; i++)
		if (!tui_data_tenant(d, names.items[i]))
			tenant_add(d, names.items[i]);
	mech_strv_dispose(&names);
	if (d->ntenants == before)
		return 0;
	qsort(d->tenants, d->ntenants, sizeof(*d->tenants), by_name);
	d->git_gen++;
	return 1;
}

tui_tenant *tui_data_tenant(tui_data *d, const char *name)
{
	size_t i;
	for (i = 0; name && i < d->ntenants; i++)
		if (!strcmp(d->tenants[i]->name, name))
			return d->tenants[i];
	return NULL;
}

int tui_data_open(tui_data *d, const mech_config *cfg, const char *tenant)
{
	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	d->all_tenants = tenant == NULL;
	d->wake[0] = d->wake[1] = -1;
	pthread_mutex_init(&d->mu, NULL);
	atomic_init(&d->cancel, 0);
	if (pipe(d->wake) < 0)
		return mech_error_set(MECH_EFAILED, "console: pipe: %s", strerror(errno));
	fcntl(d->wake[0], F_SETFL, O_NONBLOCK);
	fcntl(d->wake[1], F_SETFL, O_NONBLOCK);
	fcntl(d->wake[0], F_SETFD, FD_CLOEXEC);
	fcntl(d->wake[1], F_SETFD, FD_CLOEXEC);
	if (tenant) {
		if (tenant_add(d, tenant) < 0)
			return -1;
		d->project = d->tenants[0]->name;
	} else {
		tui_data_rescan(d);
	}
	if (!*cfg->argocd_url) {
		d->conn = TUI_CONN_NOT_CONFIGURED;
		return 0;
	}
	d->configured = 1;
	d->conn = TUI_CONN_CONNECTING;
	if (mech_argocd_new(&d->ui_client, cfg) < 0) {
		d->conn = TUI_CONN_RECONNECTING;
		set_str(&d->live_error, mech_error_last() ? mech_error_last()->message : "argocd");
		mech_error_clear();
	}
	return 0;
}

void tui_data_close(tui_data *d)
{
	size_t i;
	tui_data_live_stop(d);
	for (i = 0; i < d->ntenants; i++)
		tenant_free(d->tenants[i]);
	free(d->tenants);
	d->tenants = NULL;
	d->ntenants = 0;
	mech_argocd_free(d->ui_client);
	mech_argocd_apps_free(d->live);
	d->live = NULL;
	mech_strv_dispose(&d->changed);
	free(d->live_error);
	if (d->wake[0] >= 0)
		close(d->wake[0]);
	if (d->wake[1] >= 0)
		close(d->wake[1]);
	pthread_mutex_destroy(&d->mu);
}

/* The forced list follows a moved branch by reading only the new commits. */
static void forced_follow(tui_tenant *tn)
{
	char head[GIT_OID_HEXSZ + 1];
	mech_log_opts fo = {NULL, MECH_CLASS_FORCED, 0, head};
	mech_log_entry *add = NULL;
	size_t nadd = 0;
	int rc;

	/* at the head polled, not the branch's latest: forced_at must say what was read */
	git_oid_tostr(head, sizeof(head), &tn->head);
	rc = mech_history_walk_since(tn->repo, &fo, &tn->forced_at, &add, &nadd);
	if (rc != 0) {
		/* rewritten history (or an error): read it all again when shown */
		if (rc < 0)
			mech_error_clear();
		tenant_drop(tn, TUI_HAVE_FORCED);
		return;
	}
	if (nadd) {
		tn->forced = mech_reallocarray(tn->forced, tn->nforced + nadd, sizeof(*tn->forced));
		memmove(tn->forced + nadd, tn->forced, tn->nforced * sizeof(*tn->forced));
		memcpy(tn->forced, add, nadd * sizeof(*add));
		tn->nforced += nadd;
		while (tn->nforced > FORCED_MAX)
			mech_log_entry_dispose(&tn->forced[--tn->nforced]);
	}
	free(add);
	tn->forced_at = tn->head;
	/* the branch moved: whether each human change is still overridden may have too */
	if (mech_history_mark_overridden(tn->repo, tn->forced, tn->nforced) < 0)
		mech_error_clear();
}

static int tenant_poll(tui_data *d, tui_tenant *tn, int force)
{
	git_oid head;
	int have = tn->repo && mech_repo_head(tn->repo, &head) == 0;

	mech_error_clear();
	if (!force && have == tn->have_head && (!have || git_oid_equal(&head, &tn->head)))
		return 0;
	/* a moved branch: the merge of the packs its writes left may have run */
	if (tn->repo && mech_repo_forget_gone_packs(tn->repo) < 0)
		mech_error_clear();
	tn->have_head = have;
	if (have)
		git_oid_cpy(&tn->head, &head);
	if (tn->repo)
		set_str(&tn->git_error, NULL);
	/* the forced list is kept (reading it walks the whole history): it takes the
	 * new commits; so are the apps, re-reading only those the commits changed */
	tenant_drop(tn, !have   ? ~0u
			: force ? ~0u & ~TUI_HAVE_FORCED
				: ~0u & ~TUI_HAVE_FORCED & ~TUI_HAVE_APPS);
	tn->have &= ~TUI_HAVE_APPS;
	if (tn->have & TUI_HAVE_FORCED)
		forced_follow(tn);
	d->git_gen++;
	return 1;
}

int tui_data_git_poll(tui_data *d, int force)
{
	size_t i;
	int changed = 0;
	for (i = 0; i < d->ntenants; i++)
		changed |= tenant_poll(d, d->tenants[i], force);
	return changed;
}

static int read_log(tui_tenant *tn)
{
	char head[GIT_OID_HEXSZ + 1];
	mech_log_opts lo = {NULL, MECH_CLASS_NONE, tn->log_want + 1, head};
	git_oid_tostr(head, sizeof(head), &tn->head);
	mech_log_entries_free(tn->log, tn->nlog);
	tn->log = NULL;
	tn->nlog = 0;
	if (mech_history_walk(tn->repo, &lo, &tn->log, &tn->nlog) < 0)
		return -1;
	/* one more than asked for says whether there are older ones */
	tn->log_more = tn->nlog > tn->log_want;
	if (tn->log_more)
		mech_log_entry_dispose(&tn->log[--tn->nlog]);
	/* the history marks human commits forced over, and whether they are restored */
	return mech_history_mark_overridden(tn->repo, tn->log, tn->nlog);
}

void tui_data_need(tui_tenant *tn, unsigned what)
{
	char head[GIT_OID_HEXSZ + 1];
	mech_log_opts fo = {NULL, MECH_CLASS_FORCED, FORCED_MAX, head};
	unsigned missing = what & ~tn->have;
	int rc = 0;

	if (!missing || !tn->repo || !tn->have_head)
		return;
	/* receipts as of the head polled: what forced_at and the header say was read */
	git_oid_tostr(head, sizeof(head), &tn->head);
	if (missing & TUI_HAVE_APPS) {
		rc = mech_app_list_update(tn->repo, tn->apps_listed ? &tn->apps_at : NULL,
					  &tn->apps, &tn->napps, &tn->apps_at);
		tn->apps_listed = rc == 0;
		if (rc < 0)
			tenant_drop(tn, TUI_HAVE_APPS); /* empty, with the error in the header */
	}
	if (missing & TUI_HAVE_ROUTES)
		rc = rc ? rc : mech_route_list(tn->repo, NULL, &tn->routes, &tn->nroutes);
	if (missing & TUI_HAVE_ADDONS)
		rc = rc ? rc : mech_addon_list(tn->repo, &tn->addons, &tn->naddons);
	if (missing & TUI_HAVE_LOG)
		rc = rc ? rc : read_log(tn);
	if ((missing & TUI_HAVE_FORCED) && !rc) {
		rc = mech_history_walk(tn->repo, &fo, &tn->forced, &tn->nforced);
		tn->forced_at = tn->head;
		if (!rc)
			rc = mech_history_mark_overridden(tn->repo, tn->forced, tn->nforced);
	}
	/* what failed reads as empty, with the error in the header; r tries again */
	tn->have |= missing;
	if (rc < 0)
		git_failed(tn);
}

int tui_data_have(const tui_data *d, unsigned what)
{
	size_t i;
	for (i = 0; i < d->ntenants; i++) {
		const tui_tenant *tn = d->tenants[i];
		if (tn->repo && tn->have_head && (tn->have & what) != what)
			return 0;
	}
	return 1;
}

int tui_data_more_log(tui_data *d)
{
	size_t i;
	int more = 0;
	for (i = 0; i < d->ntenants; i++) {
		tui_tenant *tn = d->tenants[i];
		size_t want;
		if (!(tn->have & TUI_HAVE_LOG) || !tn->log_more || tn->nlog >= HISTORY_MAX)
			continue;
		/* doubling keeps the re-reads to twice what is finally shown */
		want = tn->log_want * 2;
		tn->log_want = want < HISTORY_MAX ? want : HISTORY_MAX;
		if (read_log(tn) < 0)
			git_failed(tn);
		more = 1;
	}
	return more;
}

/* ---- the live map ---- */

void tui_data_lock(tui_data *d)
{
	pthread_mutex_lock(&d->mu);
}

void tui_data_unlock(tui_data *d)
{
	pthread_mutex_unlock(&d->mu);
}

static const mech_argocd_app *find(const tui_data *d, const char *name)
{
	return d->live ? mech_argocd_apps_find(d->live, name) : NULL;
}

/* An Application of the tenant's: by name, and in the tenant's project (operator mode
 * lists every project, where "a-b" + "c" and "a" + "b-c" would read alike). */
static const mech_argocd_app *find_of(const tui_data *d, const tui_tenant *tn, const char *name)
{
	const mech_argocd_app *a = find(d, name);
	return a && *a->project && strcmp(a->project, tn->name) ? NULL : a;
}

const mech_argocd_app *tui_data_app(tui_data *d, const tui_tenant *tn, const char *name)
{
	return find_of(d, tn, name);
}

const mech_argocd_app *tui_data_instance(tui_data *d, const tui_tenant *tn, const char *app,
					 const char *instance)
{
	char *name = mech_layout_instance_app(tn->name, app, instance);
	const mech_argocd_app *a = find_of(d, tn, name);
	free(name);
	return a;
}

/* Past this many names, the loop is told "all": a reload costs less than the lookups. */
#define CHANGED_MAX 100000

static void changed_all(tui_data *d)
{
	d->changed_all = 1;
	mech_strv_dispose(&d->changed);
}

int tui_data_live_take(tui_data *d, mech_strv *names)
{
	mech_strv none = MECH_STRV_INIT;
	int all;
	mech_strv_dispose(names);
	pthread_mutex_lock(&d->mu);
	all = d->changed_all;
	*names = d->changed;
	d->changed = none;
	d->changed_all = 0;
	pthread_mutex_unlock(&d->mu);
	return all;
}

const mech_argocd_resource *tui_data_resource(tui_data *d, const tui_tenant *tn, const char *dir,
					      const char *kind, const char *name)
{
	char *app_name = mech_layout_dir_app(tn->name, dir);
	const mech_argocd_app *a = find_of(d, tn, app_name);
	size_t i;
	free(app_name);
	for (i = 0; a && i < a->nresources; i++)
		if (!strcmp(a->resources[i].kind, kind) && !strcmp(a->resources[i].name, name))
			return &a->resources[i];
	return NULL;
}

/* Free one item of an array in place (mech_argocd_app_free frees the struct too). */
static void item_dispose(mech_argocd_app *item)
{
	mech_argocd_app *heap = mech_calloc(1, sizeof(*heap));
	*heap = *item;
	mech_argocd_app_free(heap);
	memset(item, 0, sizeof(*item));
}

/*
 * Argo CD 3.x's List carries no per-resource health, which the routes and
 * addons views show from each tenant's network and addons Applications:
 * read those again with Get (a failed Get keeps the listed one; the watch's
 * next event brings the health too).
 */
static void get_dir_apps(mech_argocd *c, mech_argocd_apps *apps)
{
	static const char *const dirs[] = {MECH_LAYOUT_NETWORK, MECH_LAYOUT_ADDONS};
	size_t i, k, n = apps ? apps->len : 0;
	for (i = 0; i < n; i++) {
		/* copies: a Get replaces the item and its strings */
		char *project = mech_strdup(apps->items[i].project);
		char *name = mech_strdup(apps->items[i].name);
		for (k = 0; k < sizeof(dirs) / sizeof(*dirs); k++) {
			/* the project is the tenant (mech_layout_project); instance apps
			 * have three names, so "<t>--network" is only the directory's */
			char *want = mech_layout_dir_app(project, dirs[k]);
			if (*project && !strcmp(name, want) &&
			    mech_argocd_apps_get_item(c, project, apps, name) < 0)
				mech_error_clear();
			free(want);
		}
		free(project);
		free(name);
	}
}

static void replace_all(tui_data *d, mech_argocd_apps *apps)
{
	mech_argocd_apps *old;
	pthread_mutex_lock(&d->mu);
	old = d->live;
	d->live = apps;
	d->live_loaded = 1;
	changed_all(d);
	d->live_fresh_ms = tui_now_ms();
	d->live_gen++;
	pthread_mutex_unlock(&d->mu);
	mech_argocd_apps_free(old);
}

static int on_event(mech_argocd_event *ev, void *ctx)
{
	tui_data *d = ctx;
	mech_argocd_apps *l;
	size_t i;
	int cmp = 1;

	if (!ev->app)
		return 0;
	pthread_mutex_lock(&d->mu);
	if (!d->live)
		d->live = mech_calloc(1, sizeof(*d->live));
	l = d->live;
	/* the list is sorted by name: where this one is, or goes (a write moves
	 * every Application's revision, so 10,000 apps bring 10,000 events) */
	{
		size_t lo = 0, hi = l->len;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (strcmp(l->items[mid].name, ev->app->name) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		i = lo;
		cmp = i < l->len ? strcmp(l->items[i].name, ev->app->name) : 1;
	}
	if (d->changed.len >= CHANGED_MAX)
		changed_all(d);
	else if (!d->changed_all)
		mech_strv_push(&d->changed, ev->app->name);
	if (ev->type == MECH_ARGOCD_DELETED) {
		if (i < l->len && cmp == 0) {
			item_dispose(&l->items[i]);
			memmove(&l->items[i], &l->items[i + 1],
				(l->len - i - 1) * sizeof(*l->items));
			l->len--;
		}
	} else {
		if (i < l->len && cmp == 0) {
			item_dispose(&l->items[i]);
		} else {
			l->items = mech_reallocarray(l->items, l->len + 1, sizeof(*l->items));
			memmove(&l->items[i + 1], &l->items[i], (l->len - i) * sizeof(*l->items));
			l->len++;
		}
		l->items[i] = *ev->app; /* take the fields; free the shell */
		free(ev->app);
		ev->app = NULL;
	}
	d->live_fresh_ms = tui_now_ms();
	d->live_gen++;
	pthread_mutex_unlock(&d->mu);
	wake(d);
	return atomic_load(&d->cancel) ? 1 : 0;
}

static int on_error(const mech_error *err, long retry_in_ms, void *ctx)
{
	tui_data *d = ctx;
	pthread_mutex_lock(&d->mu);
	d->conn = TUI_CONN_RECONNECTING;
	set_str(&d->live_error, err && err->message ? err->message : "Argo CD unavailable");
	d->retry_at_ms = tui_now_ms() + retry_in_ms;
	pthread_mutex_unlock(&d->mu);
	wake(d);
	return atomic_load(&d->cancel) ? 1 : 0;
}

static void on_connect(void *ctx)
{
	tui_data *d = ctx;
	mech_argocd_apps *apps = NULL;
	/* catch up on what changed while disconnected, deletions included */
	if (d->list_client && mech_argocd_app_list(d->list_client, d->project, &apps) == 0) {
		get_dir_apps(d->list_client, apps);
		replace_all(d, apps);
	}
	mech_error_clear();
	pthread_mutex_lock(&d->mu);
	d->conn = TUI_CONN_LIVE;
	set_str(&d->live_error, NULL);
	d->live_fresh_ms = tui_now_ms();
	d->live_gen++;
	pthread_mutex_unlock(&d->mu);
	wake(d);
}

static void on_keepalive(void *ctx)
{
	tui_data *d = ctx;
	pthread_mutex_lock(&d->mu);
	d->live_fresh_ms = tui_now_ms();
	pthread_mutex_unlock(&d->mu);
}

static void *watch_main(void *arg)
{
	tui_data *d = arg;
	mech_argocd_watch_opts o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.on_event = on_event;
	o.ctx = d;
	o.cancel = &d->cancel;
	o.reconnect = 1;
	o.on_error = on_error;
	o.on_connect = on_connect;
	o.on_keepalive = on_keepalive;
	rc = mech_argocd_app_watch(d->watch_client, d->project, &o);
	if (rc < 0 && !atomic_load(&d->cancel)) {
		/* a lasting failure (forbidden, not found): shown until `r` retries */
		const mech_error *e = mech_error_last();
		pthread_mutex_lock(&d->mu);
		d->conn = TUI_CONN_RECONNECTING;
		d->retry_at_ms = 0;
		set_str(&d->live_error, e && e->message ? e->message : "the watch stopped");
		pthread_mutex_unlock(&d->mu);
		wake(d);
	}
	mech_error_clear();
	return NULL;
}

void tui_data_live_start(tui_data *d)
{
	if (!d->configured || d->thread_running)
		return;
	atomic_store(&d->cancel, 0);
	if (mech_argocd_new(&d->watch_client, d->cfg) < 0 ||
	    mech_argocd_new(&d->list_client, d->cfg) < 0) {
		const mech_error *e = mech_error_last();
		pthread_mutex_lock(&d->mu);
		d->conn = TUI_CONN_RECONNECTING;
		set_str(&d->live_error, e && e->message ? e->message : "argocd");
		pthread_mutex_unlock(&d->mu);
		mech_error_clear();
		mech_argocd_free(d->watch_client);
		mech_argocd_free(d->list_client);
		d->watch_client = d->list_client = NULL;
		return;
	}
	pthread_mutex_lock(&d->mu);
	if (d->conn != TUI_CONN_RECONNECTING)
		d->conn = TUI_CONN_CONNECTING;
	pthread_mutex_unlock(&d->mu);
	if (pthread_create(&d->thread, NULL, watch_main, d) == 0)
		d->thread_running = 1;
}

void tui_data_live_stop(tui_data *d)
{
	if (!d->thread_running)
		return;
	atomic_store(&d->cancel, 1);
	pthread_join(d->thread, NULL);
	d->thread_running = 0;
	mech_argocd_free(d->watch_client);
	mech_argocd_free(d->list_client);
	d->watch_client = d->list_client = NULL;
	pthread_mutex_lock(&d->mu);
	if (d->conn == TUI_CONN_LIVE || d->conn == TUI_CONN_CONNECTING)
		d->conn = TUI_CONN_PAUSED;
	pthread_mutex_unlock(&d->mu);
}

int tui_data_live_list(tui_data *d)
{
	mech_argocd_apps *apps = NULL;
	if (!d->configured || !d->ui_client)
		return 0;
	if (mech_argocd_app_list(d->ui_client, d->project, &apps) < 0) {
		const mech_error *e = mech_error_last();
		pthread_mutex_lock(&d->mu);
		set_str(&d->live_error, e && e->message ? e->message : "Argo CD unavailable");
		if (!d->thread_running)
			d->conn = TUI_CONN_RECONNECTING;
		d->retry_at_ms = 0;
		d->live_gen++;
		pthread_mutex_unlock(&d->mu);
		return -1;
	}
	get_dir_apps(d->ui_client, apps);
	replace_all(d, apps);
	pthread_mutex_lock(&d->mu);
	if (!d->thread_running) {
		d->conn = TUI_CONN_LIVE;
		set_str(&d->live_error, NULL);
	}
	pthread_mutex_unlock(&d->mu);
	return 0;
}

/* ---- small readers the views share ---- */

void tui_author_name(const char *author, char *buf, size_t len)
{
	size_t n = author ? strcspn(author, "<") : 0;
	while (n > 0 && author[n - 1] == ' ')
		n--;
	snprintf(buf, len, "%.*s", (int)n, author ? author : "");
}

int tui_commit_brief(tui_tenant *tn, const char *sha, char **author, long long *time, char **subject)
{
	const mech_brief *b;
	git_oid oid;
	*author = *subject = NULL;
	*time = 0;
	if (git_oid_fromstrp(&oid, sha) < 0 || !(b = tui_brief(tn, &oid)) || !b->author) {
		git_error_clear();
		return -1;
	}
	*author = mech_strdup(b->author);
	*time = b->time;
	*subject = mech_strdup(b->summary);
	return 0;
}

void tui_writer_text(tui_tenant *tn, const mech_writer *w, char *buf, size_t len)
{
	char sha[GIT_OID_HEXSZ + 1];
	const mech_brief *b;
	if (git_oid_is_zero(&w->commit)) {
		snprintf(buf, len, "-");
		return;
	}
	b = tui_brief(tn, &w->commit);
	if (b && b->author) {
		snprintf(buf, len, "%s %s", mech_class_name(w->cls), b->author);
		return;
	}
	git_oid_tostr(sha, sizeof(sha), &w->commit);
	snprintf(buf, len, "%s %.8s", mech_class_name(w->cls), sha);
}

tui_tenant *tui_data_newest(const tui_data *d, const size_t *at, int forced, size_t *i)
{
	tui_tenant *best = NULL;
	long long best_time = 0;
	size_t k;

	for (k = 0; k < d->ntenants; k++) {
		tui_tenant *tn = d->tenants[k];
		const mech_log_entry *list = forced ? tn->forced : tn->log;
		size_t n = forced ? tn->nforced : tn->nlog;
		if (at[k] < n && (!best || list[at[k]].time > best_time)) {
			best = tn;
			best_time = list[at[k]].time;
			*i = k;
		}
	}
	return best;
}
