/* SPDX-License-Identifier: Apache-2.0 */
/* App commands: thin over core/verbs/app.c. */
#include "cmd.h"
#include "handlers.h"
#include "mech/app.h"
#include "mech/brief.h"
#include "h_live.h"
#include "jsonw.h"
#include "mech/error.h"
#include "mech/kube.h"
#include "mech/live.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static int with_repo(sh_ctx *ctx, mech_repo **repo)
{
	return mech_repo_open(repo, ctx->cfg, ctx->tenant_name);
}


int sh_app_create(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo = NULL;
	mech_write_opts w;
	mech_app_create_opts o;
	mech_txn_result res;
	int rc;

	memset(&res, 0, sizeof(res));
	memset(&o, 0, sizeof(o));
	sh_write_opts(ctx, a, &w);
	o.name = a->pos.items[0];
	o.image = sh_arg(a, SH_OPT_IMAGE);
	o.port = (int)sh_arg_int(a, SH_OPT_PORT, MECH_DEFAULT_PORT);
	o.replicas = (int)sh_arg_int(a, SH_OPT_REPLICAS, MECH_DEFAULT_REPLICAS);
	o.env = sh_arg_list(a, SH_OPT_ENV);
	o.instance = sh_arg(a, SH_OPT_INSTANCE);
	if (with_repo(ctx, &repo) < 0)
		return -1;
	rc = mech_app_create(repo, &w, &o, &res);
	mech_repo_free(repo);
	if (rc == 0) {
		sh_next(ctx, "mech route -a %s create", o.name);
		sh_next(ctx, "mech app -a %s info", o.name);
	}
	return sh_live_finish_write(ctx, a, &w, rc, &res, o.name, o.instance);
}

/* After a change of what an instance runs: watch it roll out, then look. */
static void next_watch(sh_ctx *ctx, const sh_args *a)
{
	char *t = sh_target(a);
	sh_next(ctx, "mech app %s wait", t);
	sh_next(ctx, "mech app %s info", t);
	free(t);
}

int sh_app_set_image(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo = NULL;
	mech_write_opts w;
	mech_txn_result res;
	int rc;
	memset(&res, 0, sizeof(res));
	sh_write_opts(ctx, a, &w);
	if (with_repo(ctx, &repo) < 0)
		return -1;
	rc = mech_app_set_image(repo, &w, sh_arg(a, SH_OPT_APP), sh_arg(a, SH_OPT_INSTANCE),
				a->pos.items[0], &res);
	mech_repo_free(repo);
	if (rc == 0)
		next_watch(ctx, a);
	return sh_live_finish_write(ctx, a, &w, rc, &res, sh_arg(a, SH_OPT_APP),
				    sh_arg(a, SH_OPT_INSTANCE));
}

int sh_app_deploy(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo = NULL;
	mech_write_opts w;
	mech_txn_result res;
	int rc;
	memset(&res, 0, sizeof(res));
	sh_write_opts(ctx, a, &w);
	if (with_repo(ctx, &repo) < 0)
		return -1;
	rc = mech_app_deploy(repo, &w, sh_arg(a, SH_OPT_APP), sh_arg(a, SH_OPT_INSTANCE),
			     sh_arg(a, SH_OPT_TAG), &res);
	mech_repo_free(repo);
	if (rc == 0)
		next_watch(ctx, a);
	return sh_live_finish_write(ctx, a, &w, rc, &res, sh_arg(a, SH_OPT_APP),
				    sh_arg(a, SH_OPT_INSTANCE));
}

int sh_app_rollback(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo = NULL;
	mech_write_opts w;
	mech_txn_result res;
	int rc;
	memset(&res, 0, sizeof(res));
	sh_write_opts(ctx, a, &w);
	if (with_repo(ctx, &repo) < 0)
		return -1;
	rc = mech_app_rollback(repo, &w, sh_arg(a, SH_OPT_APP), sh_arg(a, SH_OPT_INSTANCE),
			       sh_arg(a, SH_OPT_TO), &res);
	mech_repo_free(repo);
	if (rc == 0) {
		char *t = sh_target(a);
		sh_next(ctx, "mech app %s wait", t);
		free(t);
	}
	return sh_live_finish_write(ctx, a, &w, rc, &res, sh_arg(a, SH_OPT_APP),
				    sh_arg(a, SH_OPT_INSTANCE));
}

int sh_revert(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo = NULL;
	mech_write_opts w;
	mech_txn_result res;
	mech_strv skipped = MECH_STRV_INIT;
	size_t i;
	int rc;
	memset(&res, 0, sizeof(res));
	sh_write_opts(ctx, a, &w);
	if (with_repo(ctx, &repo) < 0)
		return -1;
	rc = mech_revert(repo, &w, a->pos.items[0], &res, &skipped);
	mech_repo_free(repo);
	for (i = 0; rc == 0 && i < skipped.len; i++)
		mech_strv_pushf(&res.warnings,
				"%s is not a file mech manages: the revert leaves it",
				skipped.items[i]);
	mech_strv_dispose(&skipped);
	if (rc == 0)
		sh_next(ctx, "mech log -n 2");
	return sh_finish_write(ctx, a, rc, &res);
}

int sh_app_delete(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo = NULL;
	mech_write_opts w;
	mech_txn_result res;
	int rc;
	memset(&res, 0, sizeof(res));
	sh_write_opts(ctx, a, &w);
	if (with_repo(ctx, &repo) < 0)
		return -1;
	rc = mech_app_delete(repo, &w, sh_arg(a, SH_OPT_APP), &res);
	mech_repo_free(repo);
	if (rc == 0)
		sh_next(ctx, "mech app list");
	return sh_finish_write(ctx, a, rc, &res);
}

int sh_app_instance_add(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo = NULL;
	mech_write_opts w;
	mech_txn_result res;
	int rc;
	memset(&res, 0, sizeof(res));
	sh_write_opts(ctx, a, &w);
	if (with_repo(ctx, &repo) < 0)
		return -1;
	rc = mech_app_instance_add(repo, &w, sh_arg(a, SH_OPT_APP), a->pos.items[0],
				   sh_arg(a, SH_OPT_FROM), &res);
	mech_repo_free(repo);
	if (rc == 0)
		sh_next(ctx, "mech app -a %s -i %s set-image REF", sh_arg(a, SH_OPT_APP),
			a->pos.items[0]);
	return sh_live_finish_write(ctx, a, &w, rc, &res, sh_arg(a, SH_OPT_APP), a->pos.items[0]);
}

int sh_app_instance_remove(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo = NULL;
	mech_write_opts w;
	mech_txn_result res;
	int rc;
	memset(&res, 0, sizeof(res));
	sh_write_opts(ctx, a, &w);
	if (with_repo(ctx, &repo) < 0)
		return -1;
	rc = mech_app_instance_remove(repo, &w, sh_arg(a, SH_OPT_APP), a->pos.items[0], &res);
	mech_repo_free(repo);
	if (rc == 0)
		sh_next(ctx, "mech app -a %s info", sh_arg(a, SH_OPT_APP));
	return sh_finish_write(ctx, a, rc, &res);
}

static void writer_write(sh_jw *j, const char *key, mech_briefs *who, const mech_writer *w)
{
	char sha[GIT_OID_HEXSZ + 1];
	const mech_brief *a;
	if (git_oid_is_zero(&w->commit)) {
		sh_jw_null(j, key);
		return;
	}
	sh_jw_object(j, key);
	git_oid_tostr(sha, sizeof(sha), &w->commit);
	sh_jw_string(j, "commit", sha);
	sh_jw_string(j, "class", mech_class_name(w->cls));
	a = mech_brief_of(who, &w->commit);
	if (a->author) {
		char *s = mech_sprintf("%s <%s>", a->author, a->email);
		sh_jw_string(j, "author", s);
		free(s);
	}
	sh_jw_end(j);
}

static cJSON *writer_json(mech_briefs *who, const mech_writer *w)
{
	mech_buf b = MECH_BUF_INIT;
	sh_jw j;
	sh_jw_init(&j, &b);
	writer_write(&j, NULL, who, w);
	return sh_jw_tree(&b);
}

static char *writer_text(mech_briefs *who, const mech_writer *w)
{
	char sha[13];
	const mech_brief *a;
	if (git_oid_is_zero(&w->commit))
		return mech_strdup("-");
	git_oid_tostr(sha, sizeof(sha), &w->commit);
	a = mech_brief_of(who, &w->commit);
	if (!a->author)
		return mech_sprintf("%s %s", mech_class_name(w->cls), sha);
	return mech_sprintf("%s %s (%s)", mech_class_name(w->cls), sha, a->author);
}

/* Where an instance's live state goes in text written before Argo CD answered. */
typedef struct {
	size_t at; /* its "null" */
	const mech_app_state *app;
	const mech_instance_state *in;
} live_hole;

typedef struct {
	live_hole *v;
	size_t n, cap;
} live_holes;

typedef struct {
	mech_argocd_apps *apps; /* NULL: not configured */
	char head[GIT_OID_HEXSZ + 1];
	live_holes *holes; /* non-NULL: Argo CD has not answered yet, each "live" noted here */
} live_view;

/* Live state for list/info: NULL apps when Argo CD is not configured. */
/*
 * The tenant's Applications from Argo CD's List; those of `detail`'s
 * instances (only `only` when given) read again with Get, which alone
 * carries each resource's health (Argo CD 3.x). A failed Get keeps the
 * listed Application.
 */
static int live_open(sh_ctx *ctx, mech_repo *repo, live_view *lv, const mech_app_state *detail,
		     const mech_instance_state *only)
{
	mech_argocd *cd = NULL;
	git_oid head;
	size_t i;
	int rc;
	memset(lv, 0, sizeof(*lv));
	if (mech_repo_head(repo, &head) == 0)
		git_oid_tostr(lv->head, sizeof(lv->head), &head);
	mech_error_clear();
	if (sh_live_argocd(ctx, &cd) < 0)
		return -1;
	if (!cd)
		return 0;
	rc = mech_argocd_app_list(cd, ctx->tenant_name, &lv->apps);
	for (i = 0; rc == 0 && detail && i < detail->ninstances; i++) {
		char *name;
		if (only && only != &detail->instances[i])
			continue;
		name = mech_layout_instance_app(ctx->tenant_name, detail->name,
						detail->instances[i].name);
		if (mech_argocd_apps_get_item(cd, ctx->tenant_name, lv->apps, name) < 0)
			mech_error_clear();
		free(name);
	}
	mech_argocd_free(cd);
	return rc;
}

/*
 * Argo CD's list asked on a thread of its own, so that the Git side is
 * read meanwhile: Argo CD takes most of a second to answer at 10,000 apps.
 * The thread touches nothing but its client and its answer.
 */
typedef struct {
	mech_argocd *cd;
	const char *project;
	mech_argocd_apps *apps;
	mech_error *err; /* the thread's, when the list failed */
	int rc;
	pthread_t th;
	int started;
} live_fetch;

static void *fetch_run(void *arg)
{
	live_fetch *f = arg;
	f->rc = mech_argocd_app_list(f->cd, f->project, &f->apps);
	f->err = f->rc < 0 ? mech_error_take() : NULL;
	mech_error_clear();
	return NULL;
}

/* The list asked for, when Argo CD is configured; -1 when its client cannot be made. */
static int live_fetch_start(sh_ctx *ctx, live_fetch *f)
{
	memset(f, 0, sizeof(*f));
	if (sh_live_argocd(ctx, &f->cd) < 0)
		return -1;
	if (!f->cd)
		return 0;
	f->project = ctx->tenant_name;
	f->started = pthread_create(&f->th, NULL, fetch_run, f) == 0;
	if (!f->started) /* no thread: asked here, after all */
		fetch_run(f);
	return 0;
}

/* Its answer into lv (lv->apps NULL: not configured); -1 with the list's error. */
static int live_fetch_finish(live_fetch *f, mech_repo *repo, live_view *lv)
{
	git_oid head;
	int rc = 0;
	memset(lv, 0, sizeof(*lv));
	if (f->started)
		pthread_join(f->th, NULL);
	f->started = 0;
	mech_argocd_free(f->cd);
	f->cd = NULL;
	if (f->rc < 0) {
		rc = mech_error_restore(f->err);
		f->err = NULL;
		return rc;
	}
	if (mech_repo_head(repo, &head) == 0)
		git_oid_tostr(lv->head, sizeof(lv->head), &head);
	mech_error_clear();
	lv->apps = f->apps;
	f->apps = NULL;
	return 0;
}

/* Waited for and dropped (the listing failed first). */
static void live_fetch_cancel(live_fetch *f)
{
	if (f->started)
		pthread_join(f->th, NULL);
	mech_argocd_free(f->cd);
	mech_argocd_apps_free(f->apps);
	mech_error_free(f->err);
	memset(f, 0, sizeof(*f));
}

static const mech_argocd_app *live_find(const live_view *lv, const char *tenant, const char *app,
					const char *instance)
{
	char small[256], *name = small;
	const mech_argocd_app *a;
	if (!lv || !lv->apps)
		return NULL;
	/* an allocation per instance was a tenth of app list's writing at 10,000 apps */
	if (mech_layout_instance_app_in(small, sizeof(small), tenant, app, instance) >=
	    sizeof(small))
		name = mech_layout_instance_app(tenant, app, instance);
	a = mech_argocd_apps_find(lv->apps, name);
	if (name != small)
		free(name);
	return a;
}

/* `only`: the instance picked with -i (NULL: every instance). */
static void app_write(sh_jw *j, mech_repo *repo, mech_briefs *who, const mech_app_state *app,
		      const live_view *lv, const mech_instance_state *only)
{
	size_t i;
	sh_jw_object(j, NULL);
	sh_jw_string(j, "name", app->name);
	sh_jw_string(j, "base_image", app->base_image ? app->base_image : "");
	sh_jw_int(j, "port", app->port);
	sh_jw_int(j, "replicas", app->replicas);
	sh_jw_array(j, "instances");
	for (i = 0; i < app->ninstances; i++) {
		const mech_instance_state *in = &app->instances[i];
		if (only && only != in)
			continue;
		sh_jw_object(j, NULL);
		sh_jw_string(j, "name", in->name);
		sh_jw_string(j, "image", in->image ? in->image : "");
		sh_jw_string(j, "overlay", in->overlay_path);
		if (in->route_host)
			sh_jw_string(j, "route", in->route_host);
		else
			sh_jw_null(j, "route");
		writer_write(j, "last_writer", who, &in->writer);
		if (lv && lv->holes) {
			live_holes *h = lv->holes;
			sh_jw_null(j, "live");
			if (h->n == h->cap) {
				h->cap = h->cap ? 2 * h->cap : 64;
				h->v = mech_reallocarray(h->v, h->cap, sizeof(*h->v));
			}
			h->v[h->n++] = (live_hole){j->out->len - 4, app, in};
		} else if (lv && lv->apps) {
			const mech_argocd_app *la = live_find(lv, mech_repo_tenant(repo), app->name,
							      in->name);
			if (la)
				sh_live_app_write(j, "live", la, lv->head, mech_repo_git(repo));
			else /* no Application yet: live is an object or null, never a string */
				sh_jw_null(j, "live");
		} else if (lv) {
			sh_jw_null(j, "live"); /* result.argocd: "not configured" */
		}
		sh_jw_end(j);
	}
	sh_jw_end(j);
	sh_jw_end(j);
}

static cJSON *app_json_live(mech_repo *repo, mech_briefs *who, const mech_app_state *app,
			    const live_view *lv, const mech_instance_state *only)
{
	mech_buf b = MECH_BUF_INIT;
	sh_jw j;
	sh_jw_init(&j, &b);
	app_write(&j, repo, who, app, lv, only);
	return sh_jw_tree(&b);
}

/* {"argocd": …, "apps": […]}: written as text, not built as a tree (8 MB at 10,000 apps) */
static void list_write(mech_buf *out, mech_repo *repo, mech_briefs *who, const mech_app_state *apps,
		       size_t n, const live_view *lv, const char *argocd)
{
	sh_jw w;
	size_t i;
	sh_jw_init(&w, out);
	sh_jw_object(&w, NULL);
	sh_jw_string(&w, "argocd", argocd);
	sh_jw_array(&w, "apps");
	for (i = 0; i < n; i++)
		app_write(&w, repo, who, &apps[i], lv, NULL);
	sh_jw_end(&w);
	sh_jw_end(&w);
}

/* Each instance's live state, now Argo CD has answered, where app_write left its null. */
static void holes_fill(mech_buf *text, const live_holes *h, const live_view *lv, mech_repo *repo)
{
	mech_buf out = MECH_BUF_INIT;
	size_t i, from = 0;
	if (mech_buf_grow(&out, text->len + h->n * 200) < 0)
		mech_fatal("out of memory (app list)");
	for (i = 0; i < h->n; i++) {
		const live_hole *x = &h->v[i];
		const mech_argocd_app *la = live_find(lv, mech_repo_tenant(repo), x->app->name,
						      x->in->name);
		mech_buf_put(&out, text->ptr + from, x->at - from);
		if (la) {
			sh_jw w;
			sh_jw_init(&w, &out);
			sh_live_app_write(&w, NULL, la, lv->head, mech_repo_git(repo));
		} else { /* no Application yet */
			mech_buf_puts(&out, "null");
		}
		from = x->at + 4;
	}
	mech_buf_put(&out, text->ptr + from, text->len - from);
	mech_buf_dispose(text);
	*text = out;
}

int sh_app_list(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo = NULL;
	mech_app_state *apps = NULL;
	size_t n = 0, i, j;
	mech_buf result = MECH_BUF_INIT;
	sh_table t;
	live_view lv, early = {0};
	live_holes holes = {0};
	live_fetch fetch;
	mech_error *config_err = NULL;
	mech_briefs *who;
	int text = !ctx->json || ctx->text_too, written;
	(void)a;
	if (with_repo(ctx, &repo) < 0)
		return -1;
	/* every last writer's author: the next listing finds them in the cache */
	who = mech_briefs_open(repo, 1);
	/* Argo CD answers while Git is read; a bad configuration is said after Git's errors */
	if (live_fetch_start(ctx, &fetch) < 0)
		config_err = mech_error_take();
	/* the overlays' last writers are shown, the other files' are not */
	if (mech_app_list_filled(repo, 0, &apps, &n) < 0) {
		live_fetch_cancel(&fetch);
		mech_error_free(config_err);
		mech_briefs_free(who);
		mech_repo_free(repo);
		return -1;
	}
	/* and written while Argo CD is still answering: only the live states wait */
	early.holes = &holes;
	written = !config_err && fetch.cd;
	if (written)
		list_write(&result, repo, who, apps, n, &early, "live");
	if (config_err || live_fetch_finish(&fetch, repo, &lv) < 0) {
		if (config_err)
			mech_error_restore(config_err);
		live_fetch_cancel(&fetch);
		free(holes.v);
		mech_buf_dispose(&result);
		mech_briefs_free(who);
		mech_app_state_free(apps, n);
		mech_repo_free(repo);
		return -1;
	}
	if (written)
		holes_fill(&result, &holes, &lv, repo);
	else
		list_write(&result, repo, who, apps, n, &lv, "not configured");
	free(holes.v);
	sh_table_init(&t, 7);
	sh_table_add(&t, "APP", "INSTANCE", "IMAGE", "SYNC", "HEALTH", "ROUTE", "LAST WRITER");
	/* the table only when it is shown: --json prints none */
	for (i = 0; text && i < n; i++) {
		for (j = 0; j < apps[i].ninstances; j++) {
			const mech_instance_state *in = &apps[i].instances[j];
			const mech_argocd_app *la = live_find(&lv, ctx->tenant_name, apps[i].name,
							      in->name);
			char *wt = writer_text(who, &in->writer);
			sh_table_add(&t, apps[i].name, in->name, in->image ? in->image : "-",
				     la        ? la->sync_status
				     : lv.apps ? "Missing"
					       : "-",
				     la ? la->health_status : "-",
				     in->route_host ? in->route_host : "-", wt);
			free(wt);
		}
	}
	ctx->result = sh_jw_raw(&result);
	mech_argocd_apps_free(lv.apps);
	if (n && text)
		sh_table_print(ctx, &t);
	else if (!n)
		sh_printf(ctx, "no apps yet\n");
	sh_table_dispose(&t);
	if (!n)
		sh_next(ctx, "mech app create NAME --image REF");
	mech_briefs_save(who);
	mech_briefs_free(who);
	mech_app_state_free(apps, n);
	mech_repo_free(repo);
	return 0;
}

/* Live lines for app info: per instance, Argo CD's state and Kubernetes' replicas. */
static void info_live_text(sh_ctx *ctx, mech_repo *repo, const mech_app_state *app,
			   const live_view *lv, const mech_instance_state *only)
{
	mech_kube *k = NULL;
	size_t i, r;
	if (!lv->apps) {
		sh_printf(ctx, "live: argocd not configured\n");
		return;
	}
	if (*ctx->cfg->kube_url && mech_kube_new(&k, ctx->cfg) < 0)
		mech_error_clear();
	for (i = 0; i < app->ninstances; i++) {
		const mech_instance_state *in = &app->instances[i];
		const mech_argocd_app *la = live_find(lv, ctx->tenant_name, app->name, in->name);
		cJSON *insts = cJSON_GetObjectItemCaseSensitive(ctx->result, "instances");
		cJSON *ij = NULL, *it;
		if (only && only != in)
			continue;
		cJSON_ArrayForEach(it, insts) if (cJSON_IsString(
							  cJSON_GetObjectItemCaseSensitive(it,
											   "name")) &&
						  !strcmp(cJSON_GetObjectItemCaseSensitive(it,
											   "name")
								  ->valuestring,
							  in->name)) ij = it;
		if (!la) {
			sh_printf(ctx, "%s: no Application yet\n", in->name);
			continue;
		}
		sh_printf(ctx, "%s: %s %s/%s at %.12s%s%s%s\n", in->name, la->name, la->sync_status,
			  la->health_status, la->sync_revision,
			  mech_live_revision_reached(mech_repo_git(repo), la->sync_revision,
						     lv->head)
				  ? " (current)"
				  : " (not yet the latest commit)",
			  *la->operation_phase ? ", sync " : "", la->operation_phase);
		if (*la->health_message)
			sh_printf(ctx, "  health: %s\n", la->health_message);
		for (r = 0; r < la->nconditions; r++)
			sh_printf(ctx, "  condition %s: %s\n", la->conditions[r].type,
				  la->conditions[r].message);
		for (r = 0; r < la->nresources; r++)
			sh_printf(ctx, "  %-12s %-28s %-10s %s\n", la->resources[r].kind,
				  la->resources[r].name, la->resources[r].status,
				  la->resources[r].health);
		if (k) {
			char *dep = mech_layout_workload(app->name, in->name);
			mech_kube_deployment *d = NULL;
			if (mech_kube_deployment_get(k, ctx->tenant->ns, dep, &d) == 0) {
				sh_printf(ctx, "  replicas: %d/%d ready\n", d->ready,
					  d->spec_replicas);
				if (ij) {
					cJSON *rep = cJSON_AddObjectToObject(ij, "replicas");
					cJSON_AddNumberToObject(rep, "ready", d->ready);
					cJSON_AddNumberToObject(rep, "desired", d->spec_replicas);
				}
			}
			mech_error_clear();
			mech_kube_deployment_free(d);
			free(dep);
		}
	}
	mech_kube_free(k);
}

int sh_app_info(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo = NULL;
	mech_app_state *app = NULL;
	const mech_instance_state *only = NULL;
	live_view lv;
	mech_briefs *who;
	cJSON *files;
	sh_table t;
	size_t i;

	if (with_repo(ctx, &repo) < 0 || mech_app_get(repo, sh_arg(a, SH_OPT_APP), &app) < 0) {
		mech_repo_free(repo);
		return -1;
	}
	if (sh_arg(a, SH_OPT_INSTANCE) &&
	    mech_app_pick_instance(app, sh_arg(a, SH_OPT_INSTANCE), &only) < 0) {
		mech_app_state_free(app, 1);
		mech_repo_free(repo);
		return -1;
	}
	if (live_open(ctx, repo, &lv, app, only) < 0) {
		mech_app_state_free(app, 1);
		mech_repo_free(repo);
		return -1;
	}
	/* one app's few writers: read from Git, not the whole tenant's brief cache */
	who = mech_briefs_open(repo, 0);
	ctx->result = app_json_live(repo, who, app, &lv, only);
	files = cJSON_AddArrayToObject(ctx->result, "files");
	sh_printf(ctx, "%sapp %s%s  image %s  port %d  replicas %d\n", sh_color(ctx, "bold"),
		  app->name, sh_color(ctx, "reset"), app->base_image ? app->base_image : "-",
		  app->port, app->replicas);
	sh_table_init(&t, 4);
	sh_table_add(&t, "INSTANCE", "IMAGE", "ROUTE", "LAST WRITER");
	for (i = 0; i < app->ninstances; i++) {
		const mech_instance_state *in = &app->instances[i];
		char *wt;
		if (only && only != in)
			continue;
		wt = writer_text(who, &in->writer);
		sh_table_add(&t, in->name, in->image ? in->image : "-",
			     in->route_host ? in->route_host : "-", wt);
		free(wt);
	}
	sh_printf(ctx, "\n");
	sh_table_print(ctx, &t);
	sh_table_dispose(&t);
	sh_printf(ctx, "\n");
	sh_app_config_info(ctx, repo, app, only);
	sh_printf(ctx, "\n");
	info_live_text(ctx, repo, app, &lv, only);
	mech_argocd_apps_free(lv.apps);
	sh_table_init(&t, 2);
	sh_table_add(&t, "FILE", "LAST WRITER");
	for (i = 0; i < app->files.len; i++) {
		cJSON *f = cJSON_CreateObject();
		char *wt = writer_text(who, &app->writers[i]);
		cJSON_AddStringToObject(f, "path", app->files.items[i]);
		cJSON_AddItemToObject(f, "last_writer", writer_json(who, &app->writers[i]));
		cJSON_AddItemToArray(files, f);
		sh_table_add(&t, app->files.items[i], wt);
		free(wt);
	}
	sh_printf(ctx, "\n");
	sh_table_print(ctx, &t);
	sh_table_dispose(&t);
	sh_next(ctx, "mech log --path apps/%s", app->name);
	mech_briefs_free(who);
	mech_app_state_free(app, 1);
	mech_repo_free(repo);
	return 0;
}
