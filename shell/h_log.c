/* SPDX-License-Identifier: Apache-2.0 */
/* Receipts: mech log and mech show. */
#include "cmd.h"
#include "handlers.h"
#include "mech/app.h"
#include "mech/error.h"
#include "mech/history.h"
#include "mech/image.h"
#include "mech/tenant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pwd.h>
#include <unistd.h>

static cJSON *entry_json(const mech_log_entry *e)
{
	cJSON *o = cJSON_CreateObject(), *fo = cJSON_CreateArray();
	mech_image img = MECH_IMAGE_INIT;
	const char *tag = NULL;
	size_t i;
	if (e->image && mech_image_parse(e->image, &img) == 0)
		tag = img.tag;
	mech_error_clear();
	cJSON_AddStringToObject(o, "commit", e->commit);
	cJSON_AddStringToObject(o, "class", mech_class_name(e->cls));
	if (e->verb)
		cJSON_AddStringToObject(o, "verb", e->verb);
	else
		cJSON_AddNullToObject(o, "verb");
	if (e->target)
		cJSON_AddStringToObject(o, "target", e->target);
	else
		cJSON_AddNullToObject(o, "target");
	cJSON_AddStringToObject(o, "author", e->author);
	cJSON_AddStringToObject(o, "date", e->date);
	cJSON_AddStringToObject(o, "subject", e->subject);
	/* a receipt's facts, structured: what an agent would otherwise parse from text */
	cJSON_AddItemToObject(o, "image",
			      e->image ? cJSON_CreateString(e->image) : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "tag", tag ? cJSON_CreateString(tag) : cJSON_CreateNull());
	cJSON_AddItemToObject(o, "instance",
			      e->instance ? cJSON_CreateString(e->instance) : cJSON_CreateNull());
	for (i = 0; i < e->nforced; i++) {
		cJSON *f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "commit", e->forced[i].commit);
		cJSON_AddStringToObject(f, "path", e->forced[i].path);
		/* is the human's version still overridden at the head? (null: unknown) */
		if (e->still_overridden && e->still_overridden[i] >= 0)
			cJSON_AddBoolToObject(f, "still_overridden", e->still_overridden[i]);
		else
			cJSON_AddNullToObject(f, "still_overridden");
		cJSON_AddItemToArray(fo, f);
	}
	cJSON_AddItemToObject(o, "forced_over", fo);
	mech_image_dispose(&img);
	return o;
}

static void age(long long t, char *buf, size_t len)
{
	mech_age_text((long long)time(NULL) - t, buf, len);
}

/* `reviewed`: {by, at, comment} from the review note, or null */
static cJSON *review_json(mech_repo *repo, const char *commit)
{
	mech_review r;
	cJSON *o;
	if (mech_history_reviewed(repo, commit, &r) <= 0)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "by", r.by);
	cJSON_AddStringToObject(o, "at", r.at);
	cJSON_AddItemToObject(o, "comment",
			      r.comment ? cJSON_CreateString(r.comment) : cJSON_CreateNull());
	mech_review_dispose(&r);
	return o;
}

/* one commit of `log --all-tenants`: its tenant and its place in that tenant's list */
typedef struct {
	const char *tenant;
	size_t tenant_ix, ix;
	mech_log_entry *e;
	cJSON *reviewed;
} tagged_entry;

/* newest first; equal times keep tenant order, then each tenant's own order */
static int tagged_cmp(const void *x, const void *y)
{
	const tagged_entry *a = x, *b = y;
	if (a->e->time != b->e->time)
		return a->e->time > b->e->time ? -1 : 1;
	if (a->tenant_ix != b->tenant_ix)
		return a->tenant_ix < b->tenant_ix ? -1 : 1;
	return a->ix < b->ix ? -1 : a->ix > b->ix;
}

static int all_tenants_mode(sh_ctx *ctx)
{
	if (ctx->via_ssh) {
		mech_error_set(MECH_EFORBIDDEN,
			       "`log --all-tenants` is an operator command and cannot run over SSH");
		return mech_error_hint("your key decides the tenant: run `log`");
	}
	if (ctx->tenant_flag) {
		char q[MECH_ESCAPE_SIZE];
		mech_error_set(MECH_EUSAGE, "log: --all-tenants and --tenant %s exclude each other",
			       mech_error_escape(q, ctx->tenant_flag));
		return mech_error_hint("--all-tenants lists every tenant, --tenant T one of them");
	}
	return 0;
}

int sh_log(sh_ctx *ctx, const sh_args *a)
{
	mech_strv names = MECH_STRV_INIT;
	mech_log_entry **lists = NULL;
	size_t *counts = NULL, ntenants = 1, total = 0, shown, i, k;
	tagged_entry *all = NULL;
	mech_log_opts o;
	int every = sh_arg_bool(a, SH_OPT_ALL_TENANTS), rc = -1;
	int unreviewed = sh_arg_bool(a, SH_OPT_UNREVIEWED);
	cJSON *arr;
	sh_table t;

	memset(&o, 0, sizeof(o));
	o.path = sh_arg(a, SH_OPT_PATH);
	o.max = (size_t)sh_arg_int(a, SH_OPT_MAX_COUNT, 20);
	if (sh_arg(a, SH_OPT_CLASS) && mech_class_parse(sh_arg(a, SH_OPT_CLASS), &o.cls) < 0)
		return -1;
	if (unreviewed && o.cls != MECH_CLASS_FORCED) {
		mech_error_set(MECH_EUSAGE, "log: --unreviewed needs --class forced");
		return mech_error_hint("mech log --class forced --unreviewed");
	}
	if (every) {
		if (all_tenants_mode(ctx) < 0)
			return -1;
		mech_tenant_list(ctx->cfg, &names);
		ntenants = names.len;
	} else {
		mech_strv_push(&names, ctx->tenant_name);
	}
	lists = mech_calloc(ntenants ? ntenants : 1, sizeof(*lists));
	counts = mech_calloc(ntenants ? ntenants : 1, sizeof(*counts));
	/* each tenant's newest o.max are enough: the merged newest o.max are among them */
	for (i = 0; i < ntenants; i++) {
		mech_repo *repo = NULL;
		if (mech_repo_open(&repo, ctx->cfg, names.items[i]) < 0)
			goto out;
		if (mech_history_log(repo, &o, &lists[i], &counts[i]) < 0 ||
		    mech_history_mark_overridden(repo, lists[i], counts[i]) < 0) {
			mech_repo_free(repo);
			goto out;
		}
		all = mech_reallocarray(all, total + counts[i] + 1, sizeof(*all));
		for (k = 0; k < counts[i]; k++) {
			cJSON *rv = review_json(repo, lists[i][k].commit);
			if (unreviewed &&
			    (lists[i][k].cls != MECH_CLASS_FORCED || !cJSON_IsNull(rv))) {
				cJSON_Delete(rv);
				continue;
			}
			all[total].tenant = names.items[i];
			all[total].tenant_ix = i;
			all[total].ix = k;
			all[total].e = &lists[i][k];
			all[total].reviewed = rv;
			total++;
		}
		mech_repo_free(repo);
	}
	if (every && total > 1)
		qsort(all, total, sizeof(*all), tagged_cmp);
	shown = o.max && total > o.max ? o.max : total;

	ctx->result = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(ctx->result, "commits");
	sh_table_init(&t, every ? 8 : 7);
	if (every)
		sh_table_add(&t, "TENANT", "COMMIT", "CLASS", "VERB", "TARGET", "AUTHOR", "AGE",
			     "SUBJECT");
	else
		sh_table_add(&t, "COMMIT", "CLASS", "VERB", "TARGET", "AUTHOR", "AGE", "SUBJECT");
	for (i = 0; i < shown; i++) {
		const mech_log_entry *e = all[i].e;
		char sha[13], when[32];
		char *author = mech_strndup(e->author, strcspn(e->author, "<"));
		size_t al = strlen(author);
		cJSON *j = entry_json(e);
		while (al && author[al - 1] == ' ')
			author[--al] = '\0';
		snprintf(sha, sizeof(sha), "%.12s", e->commit);
		age(e->time, when, sizeof(when));
		cJSON_AddItemToObject(j, "reviewed", all[i].reviewed);
		all[i].reviewed = NULL;
		if (every)
			cJSON_AddStringToObject(j, "tenant", all[i].tenant);
		cJSON_AddItemToArray(arr, j);
		if (every)
			sh_table_add(&t, all[i].tenant, sha, mech_class_name(e->cls),
				     e->verb ? e->verb : "-", e->target ? e->target : "-", author,
				     when, e->subject);
		else
			sh_table_add(&t, sha, mech_class_name(e->cls), e->verb ? e->verb : "-",
				     e->target ? e->target : "-", author, when, e->subject);
		free(author);
	}
	if (shown)
		sh_table_print(ctx, &t);
	else
		sh_printf(ctx, "no commits match\n");
	sh_table_dispose(&t);
	rc = 0;
out:
	for (i = 0; i < total; i++)
		cJSON_Delete(all[i].reviewed);
	for (i = 0; i < ntenants; i++)
		mech_log_entries_free(lists[i], counts[i]);
	free(lists);
	free(counts);
	free(all);
	mech_strv_dispose(&names);
	return rc;
}

static cJSON *nullable(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* "image nginx:1.27 -> nginx:1.28, replicas 1 -> 3, env.A unset" */
static char *changes_line(const mech_app_history_entry *h)
{
	mech_buf b = MECH_BUF_INIT;
	size_t j;
	for (j = 0; j < h->nchanges; j++) {
		const mech_app_change *c = &h->changes[j];
		if (j)
			mech_buf_puts(&b, ", ");
		if (!strcmp(c->field, "instance"))
			mech_buf_puts(&b, c->to ? "instance added" : "instance removed");
		else if (!c->from)
			mech_buf_printf(&b, "%s %s", c->field, c->to);
		else if (!c->to)
			mech_buf_printf(&b, "%s unset", c->field);
		else
			mech_buf_printf(&b, "%s %s -> %s", c->field, c->from, c->to);
	}
	return mech_buf_detach(&b);
}

int sh_app_history(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo = NULL;
	mech_app_history_entry *h = NULL;
	size_t n = 0, i, j;
	cJSON *arr;
	sh_table t;

	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		return -1;
	if (mech_app_history(repo, sh_arg(a, SH_OPT_APP), sh_arg(a, SH_OPT_INSTANCE),
			     (size_t)sh_arg_int(a, SH_OPT_MAX_COUNT, 20), &h, &n) < 0) {
		mech_repo_free(repo);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (mech_history_mark_overridden(repo, &h[i].log, 1) < 0) {
			mech_app_history_free(h, n);
			mech_repo_free(repo);
			return -1;
		}
	ctx->result = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(ctx->result, "history");
	sh_table_init(&t, 5);
	sh_table_add(&t, "COMMIT", "CLASS", "AGE", "CHANGES", "SUBJECT");
	for (i = 0; i < n; i++) {
		cJSON *o = entry_json(&h[i].log), *st = cJSON_CreateObject(), *ch, *env;
		char sha[13], when[32], *line = changes_line(&h[i]);
		cJSON_AddBoolToObject(st, "exists", h[i].state.exists);
		cJSON_AddItemToObject(st, "image", nullable(h[i].state.image));
		cJSON_AddNumberToObject(st, "replicas", h[i].state.replicas);
		env = cJSON_AddObjectToObject(st, "env");
		for (j = 0; j < h[i].state.env.len; j++) {
			const char *kv = h[i].state.env.items[j];
			size_t k = strcspn(kv, "=");
			char *name = mech_strndup(kv, k);
			cJSON_AddStringToObject(env, name, kv[k] ? kv + k + 1 : "");
			free(name);
		}
		cJSON_AddItemToObject(o, "state", st);
		ch = cJSON_AddArrayToObject(o, "changes");
		for (j = 0; j < h[i].nchanges; j++) {
			cJSON *c = cJSON_CreateObject();
			cJSON_AddStringToObject(c, "field", h[i].changes[j].field);
			cJSON_AddItemToObject(c, "from", nullable(h[i].changes[j].from));
			cJSON_AddItemToObject(c, "to", nullable(h[i].changes[j].to));
			cJSON_AddItemToArray(ch, c);
		}
		cJSON_AddItemToArray(arr, o);
		snprintf(sha, sizeof(sha), "%.12s", h[i].log.commit);
		age(h[i].log.time, when, sizeof(when));
		sh_table_add(&t, sha, mech_class_name(h[i].log.cls), when, line, h[i].log.subject);
		free(line);
	}
	if (n)
		sh_table_print(ctx, &t);
	else
		sh_printf(ctx, "no changes\n");
	sh_table_dispose(&t);
	mech_app_history_free(h, n);
	mech_repo_free(repo);
	return 0;
}

static void print_diff(sh_ctx *ctx, const char *diff)
{
	const char *p = diff;
	while (*p) {
		size_t n = strcspn(p, "\n");
		const char *role = NULL;
		if (!strncmp(p, "+++", 3) || !strncmp(p, "---", 3) || !strncmp(p, "diff ", 5))
			role = "bold";
		else if (*p == '+')
			role = "add";
		else if (*p == '-')
			role = "del";
		else if (!strncmp(p, "@@", 2))
			role = "hunk";
		sh_printf(ctx, "%s%.*s%s\n", role ? sh_color(ctx, role) : "", (int)n, p,
			  role ? sh_color(ctx, "reset") : "");
		p += n;
		if (*p)
			p++;
	}
}

int sh_show(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo = NULL;
	mech_log_entry e;
	mech_file_change *files = NULL;
	mech_override *over = NULL;
	size_t nfiles = 0, nover = 0, i;
	mech_buf diff = MECH_BUF_INIT;
	cJSON *farr, *oarr;
	const char *body;

	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		return -1;
	if (mech_history_show(repo, a->pos.items[0], &e, &files, &nfiles, &diff) < 0) {
		mech_repo_free(repo);
		mech_buf_dispose(&diff);
		return -1;
	}
	if (mech_history_mark_overridden(repo, &e, 1) < 0) {
		mech_log_entry_dispose(&e);
		mech_file_changes_free(files, nfiles);
		mech_buf_dispose(&diff);
		mech_repo_free(repo);
		return -1;
	}
	ctx->result = entry_json(&e);
	cJSON_AddItemToObject(ctx->result, "reviewed", review_json(repo, e.commit));
	cJSON_AddStringToObject(ctx->result, "committer", e.committer);
	cJSON_AddStringToObject(ctx->result, "message", e.message);
	farr = cJSON_AddArrayToObject(ctx->result, "files");
	for (i = 0; i < nfiles; i++) {
		cJSON *f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "path", files[i].path);
		cJSON_AddStringToObject(f, "action",
					files[i].status == 'A'   ? "create"
					: files[i].status == 'D' ? "delete"
								 : "update");
		cJSON_AddItemToArray(farr, f);
	}
	cJSON_AddStringToObject(ctx->result, "diff", mech_buf_cstr(&diff));
	if (mech_history_overridden_by(repo, e.commit, &over, &nover) < 0) {
		mech_log_entry_dispose(&e);
		mech_file_changes_free(files, nfiles);
		mech_buf_dispose(&diff);
		mech_repo_free(repo);
		return -1;
	}
	oarr = cJSON_AddArrayToObject(ctx->result, "overridden_by");
	for (i = 0; i < nover; i++) {
		cJSON *v = cJSON_CreateObject();
		cJSON_AddStringToObject(v, "commit", over[i].commit);
		cJSON_AddItemToObject(v, "verb", nullable(over[i].verb));
		cJSON_AddItemToObject(v, "target", nullable(over[i].target));
		cJSON_AddStringToObject(v, "path", over[i].path);
		cJSON_AddItemToArray(oarr, v);
	}

	sh_printf(ctx, "%scommit %s%s  [%s%s%s]\n", sh_color(ctx, "bold"), e.commit,
		  sh_color(ctx, "reset"), sh_color(ctx, mech_class_name(e.cls)),
		  mech_class_name(e.cls), sh_color(ctx, "reset"));
	sh_printf(ctx, "Author:    %s\nCommitter: %s\nDate:      %s\n\n", e.author, e.committer,
		  e.date);
	body = e.message;
	while (*body) {
		size_t n = strcspn(body, "\n");
		sh_printf(ctx, "    %.*s\n", (int)n, body);
		body += n;
		if (*body)
			body++;
	}
	sh_printf(ctx, "\n");
	/* "overridden by 5930790 app.create app/shop: apps/shop/…" */
	for (i = 0; i < nover; i++)
		sh_printf(ctx, "%soverridden by %.7s %s %s%s: %s\n", sh_color(ctx, "forced"),
			  over[i].commit, over[i].verb ? over[i].verb : "-",
			  over[i].target ? over[i].target : "-", sh_color(ctx, "reset"),
			  over[i].path);
	if (nover)
		sh_printf(ctx, "\n");
	for (i = 0; i < nfiles; i++)
		sh_printf(ctx, "%c  %s\n", files[i].status, files[i].path);
	sh_printf(ctx, "\n");
	print_diff(ctx, mech_buf_cstr(&diff));
	mech_overrides_free(over, nover);
	mech_log_entry_dispose(&e);
	mech_file_changes_free(files, nfiles);
	mech_buf_dispose(&diff);
	mech_repo_free(repo);
	return 0;
}

int sh_review(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo = NULL;
	mech_review r;
	char commit[GIT_OID_HEXSZ + 1];
	struct passwd *pw = getpwuid(geteuid());
	const char *name = pw && pw->pw_name && *pw->pw_name ? pw->pw_name : "operator";
	char *email;
	int rc;

	/* a review note is a write: a read-only session refuses it as any write */
	if (ctx->readonly) {
		mech_error_set(MECH_EFORBIDDEN,
			       "`review` writes a note, and this session is read-only");
		return mech_error_hint("drop --readonly");
	}
	email = mech_sprintf("%s@localhost", name);
	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0) {
		free(email);
		return -1;
	}
	rc = mech_history_review(repo, a->pos.items[0], name, email, sh_arg(a, SH_OPT_COMMENT),
				 commit, &r);
	free(email);
	mech_repo_free(repo);
	if (rc < 0)
		return -1;
	ctx->result = cJSON_CreateObject();
	cJSON_AddStringToObject(ctx->result, "commit", commit);
	cJSON_AddStringToObject(ctx->result, "ref", MECH_REVIEW_NOTES_REF);
	cJSON_AddStringToObject(ctx->result, "by", r.by);
	cJSON_AddStringToObject(ctx->result, "at", r.at);
	cJSON_AddItemToObject(ctx->result, "comment",
			      r.comment ? cJSON_CreateString(r.comment) : cJSON_CreateNull());
	sh_printf(ctx, "reviewed %.12s by %s (%s)\n", commit, r.by, MECH_REVIEW_NOTES_REF);
	mech_review_dispose(&r);
	return 0;
}

int sh_version(sh_ctx *ctx, const sh_args *a)
{
	(void)a;
	ctx->result = cJSON_CreateObject();
	cJSON_AddStringToObject(ctx->result, "version", MECH_VERSION);
	sh_printf(ctx, "mech %s\n", MECH_VERSION);
	return 0;
}
