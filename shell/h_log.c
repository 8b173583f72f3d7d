/* SPDX-License-Identifier: Apache-2.0 */
/* Receipts: mech log and mech show. */
#include "cmd.h"
#include "handlers.h"
#include "mech/app.h"
#include "mech/error.h"
#include "mech/history.h"
#include "mech/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
		cJSON_AddItemToArray(fo, f);
	}
	cJSON_AddItemToObject(o, "forced_over", fo);
	mech_image_dispose(&img);
	return o;
}

static void age(long long t, char *buf, size_t len)
{
	long long d = (long long)time(NULL) - t;
	if (d < 0)
		d = 0;
	if (d < 60)
		snprintf(buf, len, "%llds", d);
	else if (d < 3600)
		snprintf(buf, len, "%lldm", d / 60);
	else if (d < 86400)
		snprintf(buf, len, "%lldh", d / 3600);
	else
		snprintf(buf, len, "%lldd", d / 86400);
}

int sh_log(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo = NULL;
	mech_log_entry *e = NULL;
	mech_log_opts o;
	size_t n = 0, i;
	cJSON *arr;
	sh_table t;

	memset(&o, 0, sizeof(o));
	o.path = sh_arg(a, SH_OPT_PATH);
	o.max = (size_t)sh_arg_int(a, SH_OPT_MAX_COUNT, 20);
	if (sh_arg(a, SH_OPT_CLASS) && mech_class_parse(sh_arg(a, SH_OPT_CLASS), &o.cls) < 0)
		return -1;
	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		return -1;
	if (mech_history_log(repo, &o, &e, &n) < 0) {
		mech_repo_free(repo);
		return -1;
	}
	ctx->result = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(ctx->result, "commits");
	sh_table_init(&t, 7);
	sh_table_add(&t, "COMMIT", "CLASS", "VERB", "TARGET", "AUTHOR", "AGE", "SUBJECT");
	for (i = 0; i < n; i++) {
		char sha[13], when[32];
		char *author = mech_strndup(e[i].author, strcspn(e[i].author, "<"));
		size_t al = strlen(author);
		while (al && author[al - 1] == ' ')
			author[--al] = '\0';
		snprintf(sha, sizeof(sha), "%.12s", e[i].commit);
		age(e[i].time, when, sizeof(when));
		cJSON_AddItemToArray(arr, entry_json(&e[i]));
		sh_table_add(&t, sha, mech_class_name(e[i].cls), e[i].verb ? e[i].verb : "-",
			     e[i].target ? e[i].target : "-", author, when, e[i].subject);
		free(author);
	}
	if (n)
		sh_table_print(ctx, &t);
	else
		sh_printf(ctx, "no commits match\n");
	sh_table_dispose(&t);
	mech_log_entries_free(e, n);
	mech_repo_free(repo);
	return 0;
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
	size_t nfiles = 0, i;
	mech_buf diff = MECH_BUF_INIT;
	cJSON *farr;
	const char *body;

	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		return -1;
	if (mech_history_show(repo, a->pos.items[0], &e, &files, &nfiles, &diff) < 0) {
		mech_repo_free(repo);
		mech_buf_dispose(&diff);
		return -1;
	}
	ctx->result = entry_json(&e);
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
	for (i = 0; i < nfiles; i++)
		sh_printf(ctx, "%c  %s\n", files[i].status, files[i].path);
	sh_printf(ctx, "\n");
	print_diff(ctx, mech_buf_cstr(&diff));
	mech_log_entry_dispose(&e);
	mech_file_changes_free(files, nfiles);
	mech_buf_dispose(&diff);
	mech_repo_free(repo);
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
