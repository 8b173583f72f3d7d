/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `mech secret`: the value is read from stdin only (never argv: argv shows
 * in `ps` and in SSH logs), written to the Kubernetes Secret in the
 * tenant's namespace, and only then recorded in the ledger in Git
 * (mech/secret.h). The value lives in one secret buffer, wiped as soon as
 * the cluster has it; no message, log line or JSON field ever holds it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handlers.h"
#include "mech/error.h"
#include "mech/kube.h"
#include "mech/layout.h"
#include "mech/secret.h"
#include "mech/validate.h"

/* Kubernetes is where the values go: without it nothing is written (78). */
static int need_kube(sh_ctx *ctx, mech_kube **k)
{
	*k = NULL;
	if (!ctx->cfg->kube_url || !*ctx->cfg->kube_url) {
		mech_error_set(MECH_ECONFIG,
			       "Kubernetes is not configured: a secret's value goes only to the "
			       "cluster (a Secret in x-%s), never to Git; nothing was written",
			       ctx->tenant_name);
		return mech_error_hint("set kubernetes.url and kubernetes.token_file in "
				       "%s/mech.yaml (the RBAC it needs: docs/compatibility.md, "
				       "\"Kubernetes\")",
				       ctx->home ? ctx->home : "MECH_HOME");
	}
	return mech_kube_new(k, ctx->cfg);
}

/*
 * The value: stdin up to MECH_SECRET_VALUE_MAX bytes after one trailing
 * newline is taken off. A terminal is refused (the value would echo and
 * could land in shell history); an empty value too.
 */
static int read_value(mech_buf *v)
{
	char chunk[4096];
	ssize_t n;

	memset(v, 0, sizeof(*v));
	v->secret = 1;
	v->max = MECH_SECRET_VALUE_MAX + 2;
	if (isatty(0)) {
		mech_error_set(MECH_EUSAGE, "secret set reads the value from stdin, and stdin is a "
					    "terminal");
		return mech_error_hint("pipe it in: `mech secret set NAME KEY < file` (over SSH: "
				       "`ssh -T host -- secret set NAME KEY < file`)");
	}
	for (;;) {
		n = read(0, chunk, sizeof(chunk));
		if (n < 0) {
			explicit_bzero(chunk, sizeof(chunk));
			return mech_error_set(MECH_EFAILED, "cannot read the value from stdin");
		}
		if (n == 0)
			break;
		if (mech_buf_put(v, chunk, (size_t)n) < 0) {
			explicit_bzero(chunk, sizeof(chunk));
			mech_error_set(MECH_EINVALID,
				       "the value on stdin is larger than %u bytes (1 MiB, the "
				       "Kubernetes limit on a Secret)",
				       MECH_SECRET_VALUE_MAX);
			return mech_error_hint("nothing was written");
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
	if (v->len && v->ptr[v->len - 1] == '\n') {
		v->ptr[--v->len] = '\0';
		if (v->len && v->ptr[v->len - 1] == '\r')
			v->ptr[--v->len] = '\0';
	}
	if (v->len > MECH_SECRET_VALUE_MAX) {
		mech_error_set(MECH_EINVALID,
			       "the value on stdin is larger than %u bytes (1 MiB, the Kubernetes "
			       "limit on a Secret)",
			       MECH_SECRET_VALUE_MAX);
		return mech_error_hint("nothing was written");
	}
	if (!v->len) {
		mech_error_set(MECH_EINVALID, "the value on stdin is empty");
		return mech_error_hint("pipe the value in: `printf %%s VALUE | mech secret set NAME "
				       "KEY`; to remove a key use `mech secret -n NAME unset KEY`");
	}
	return 0;
}

/*
 * The cause of a failed receipt, for a message that begins "… in the
 * cluster but no receipt was written": the Git layer's "nothing was
 * written" is true of Git only, so it is said as such.
 */
static char *receipt_cause(void)
{
	const mech_error *e = mech_error_last();
	const char *m = e && e->message ? e->message : "unknown error", *at;
	static const char said[] = "nothing was written";
	mech_buf b = MECH_BUF_INIT;
	while ((at = strstr(m, said))) {
		mech_buf_put(&b, m, (size_t)(at - m));
		mech_buf_puts(&b, "nothing was written to Git");
		m = at + sizeof(said) - 1;
	}
	mech_buf_puts(&b, m);
	return mech_buf_detach(&b);
}

/* A failure after the cluster took the value: say exactly that, keeping the code. */
static int receipt_failed(const char *what)
{
	const mech_error *e = mech_error_last();
	mech_error_code code = e ? e->code : MECH_EFAILED;
	char *msg = receipt_cause();
	mech_error_set(code, "%s but no receipt was written: %s", what, msg);
	free(msg);
	return mech_error_hint("run the same command again: it repeats the cluster change and "
			       "writes the receipt");
}

static void add_result(sh_ctx *ctx, const char *name, const char *ns)
{
	if (!ctx->result)
		ctx->result = cJSON_CreateObject();
	cJSON_AddStringToObject(ctx->result, "secret", name);
	cJSON_AddStringToObject(ctx->result, "namespace", ns);
}

int sh_secret_set(sh_ctx *ctx, const sh_args *a)
{
	const char *name = a->pos.items[0], *key = a->pos.items[1];
	mech_write_opts w, dry;
	mech_txn_result res, plan;
	mech_repo *repo = NULL;
	mech_kube *k = NULL;
	mech_buf value;
	long long version = 0;
	char *ns = NULL, *file;
	int rc = -1, created = 0;

	memset(&res, 0, sizeof(res));
	memset(&plan, 0, sizeof(plan));
	memset(&value, 0, sizeof(value));
	sh_write_opts(ctx, a, &w);
	if (mech_secret_check_name(name) < 0 || mech_secret_check_key(key) < 0)
		return -1;
	if (need_kube(ctx, &k) < 0)
		return -1;
	if (read_value(&value) < 0)
		goto done;
	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		goto done;
	ns = mech_layout_namespace(ctx->tenant_name);
	/* the receipt must be possible before the cluster changes (protection, a damaged repo) */
	dry = w;
	dry.dry_run = 1;
	if (mech_secret_record_set(repo, &dry, name, key, &version, &plan) < 0)
		goto done;
	add_result(ctx, name, ns);
	cJSON_AddStringToObject(ctx->result, "key", key);
	cJSON_AddNumberToObject(ctx->result, "version", (double)version);
	if (w.dry_run) {
		cJSON_AddNullToObject(ctx->result, "cluster");
		sh_report_txn(ctx, &plan, 1);
		rc = 0;
		goto done;
	}
	rc = mech_kube_secret_set(k, ns, name, ctx->tenant_name, key, value.ptr, value.len,
				  &created);
	mech_buf_dispose(&value); /* wiped: the cluster has it */
	if (rc < 0)
		goto done;
	rc = mech_secret_record_set(repo, &w, name, key, &version, &res);
	if (rc < 0) {
		receipt_failed("the value is in the cluster");
		goto done;
	}
	cJSON_DeleteItemFromObject(ctx->result, "version");
	cJSON_AddNumberToObject(ctx->result, "version", (double)version);
	cJSON_AddStringToObject(ctx->result, "cluster", created ? "created" : "updated");
	sh_eprintf(ctx, "kubernetes:%s/secrets/%s  %s key %s\n", ns, name,
		   created ? "created with" : "updated", key);
	file = mech_layout_secret_ledger(name);
	sh_next(ctx, "mech secret -n %s info", name);
	sh_next(ctx, "mech app -a APP env set %s --from-secret %s:%s", key, name, key);
	free(file);
	rc = sh_finish_write(ctx, a, 0, &res);
done:
	mech_buf_dispose(&value);
	mech_txn_result_dispose(&plan);
	mech_txn_result_dispose(&res);
	mech_kube_free(k);
	mech_repo_free(repo);
	free(ns);
	return rc;
}

int sh_secret_unset(sh_ctx *ctx, const sh_args *a)
{
	const char *name = sh_arg(a, SH_OPT_NAME), *key = a->pos.items[0];
	mech_write_opts w, dry;
	mech_txn_result res, plan;
	mech_repo *repo = NULL;
	mech_kube *k = NULL;
	char *ns = NULL;
	int rc = -1, existed = 0;

	memset(&res, 0, sizeof(res));
	memset(&plan, 0, sizeof(plan));
	sh_write_opts(ctx, a, &w);
	if (mech_secret_check_name(name) < 0 || mech_secret_check_key(key) < 0)
		return -1;
	if (need_kube(ctx, &k) < 0)
		return -1;
	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		goto done;
	ns = mech_layout_namespace(ctx->tenant_name);
	dry = w;
	dry.dry_run = 1;
	if (mech_secret_record_unset(repo, &dry, name, key, &plan) < 0)
		goto done;
	add_result(ctx, name, ns);
	cJSON_AddStringToObject(ctx->result, "key", key);
	if (w.dry_run || !w.force) {
		/* without --force: the refusal (exit 3) and the plan; nothing changes */
		if (!w.dry_run) {
			size_t i;
			rc = mech_secret_record_unset(repo, &w, name, key, &res);
			for (i = 0; rc < 0 && i < plan.nchanges; i++)
				sh_eprintf(ctx,
					   "  would update: %s (and remove key %s from the "
					   "cluster's Secret)\n",
					   plan.changes[i].path, key);
			goto done;
		}
		sh_report_txn(ctx, &plan, 1);
		rc = 0;
		goto done;
	}
	if (mech_kube_secret_unset(k, ns, name, ctx->tenant_name, key, &existed) < 0)
		goto done;
	rc = mech_secret_record_unset(repo, &w, name, key, &res);
	if (rc < 0) {
		receipt_failed("the key is removed from the cluster");
		goto done;
	}
	cJSON_AddStringToObject(ctx->result, "cluster", existed ? "updated" : "absent");
	sh_next(ctx, "mech secret -n %s info", name);
	rc = sh_finish_write(ctx, a, 0, &res);
done:
	mech_txn_result_dispose(&plan);
	mech_txn_result_dispose(&res);
	mech_kube_free(k);
	mech_repo_free(repo);
	free(ns);
	return rc;
}

int sh_secret_delete(sh_ctx *ctx, const sh_args *a)
{
	const char *name = sh_arg(a, SH_OPT_NAME);
	mech_write_opts w, dry;
	mech_txn_result res, plan;
	mech_repo *repo = NULL;
	mech_kube *k = NULL;
	char *ns = NULL;
	int rc = -1, existed = 0;

	memset(&res, 0, sizeof(res));
	memset(&plan, 0, sizeof(plan));
	sh_write_opts(ctx, a, &w);
	if (mech_validate_name("secret name", name) < 0)
		return -1;
	if (need_kube(ctx, &k) < 0)
		return -1;
	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		goto done;
	ns = mech_layout_namespace(ctx->tenant_name);
	dry = w;
	dry.dry_run = 1;
	if (mech_secret_record_delete(repo, &dry, name, &plan) < 0)
		goto done;
	add_result(ctx, name, ns);
	if (w.dry_run || !w.force) {
		if (!w.dry_run) {
			size_t i;
			/* the refusal (exit 3, nothing written) with what --force would delete */
			rc = mech_secret_record_delete(repo, &w, name, &res);
			for (i = 0; rc < 0 && i < plan.nchanges; i++)
				sh_eprintf(ctx, "  would delete: %s and the Secret %s in %s\n",
					   plan.changes[i].path, name, ns);
			goto done;
		}
		sh_report_txn(ctx, &plan, 1);
		rc = 0;
		goto done;
	}
	if (mech_kube_secret_delete(k, ns, name, ctx->tenant_name, &existed) < 0)
		goto done;
	rc = mech_secret_record_delete(repo, &w, name, &res);
	if (rc < 0) {
		receipt_failed("the Secret is deleted from the cluster");
		goto done;
	}
	cJSON_AddStringToObject(ctx->result, "cluster", existed ? "deleted" : "absent");
	sh_eprintf(ctx, "kubernetes:%s/secrets/%s  %s\n", ns, name,
		   existed ? "deleted" : "was absent");
	sh_next(ctx, "mech secret list");
	rc = sh_finish_write(ctx, a, 0, &res);
done:
	mech_txn_result_dispose(&plan);
	mech_txn_result_dispose(&res);
	mech_kube_free(k);
	mech_repo_free(repo);
	free(ns);
	return rc;
}

/* The cluster's view of one secret, or NULL (no Kubernetes configured: not asked). */
static cJSON *cluster_state(sh_ctx *ctx, mech_kube *k, const char *ns, const char *name,
			    mech_kube_secret_info *si)
{
	cJSON *c;
	size_t i;
	memset(si, 0, sizeof(*si));
	if (!k)
		return cJSON_CreateNull();
	if (mech_kube_secret_info_get(k, ns, name, si) < 0) {
		const mech_error *e = mech_error_last();
		sh_warn(ctx, "Kubernetes: cannot read the Secret %s: %s", name,
			e && e->message ? e->message : "unknown error");
		mech_error_clear();
		return cJSON_CreateNull();
	}
	c = cJSON_CreateObject();
	cJSON_AddBoolToObject(c, "exists", si->exists);
	if (si->exists) {
		cJSON *keys = cJSON_AddArrayToObject(c, "keys");
		for (i = 0; i < si->keys.len; i++)
			cJSON_AddItemToArray(keys, cJSON_CreateString(si->keys.items[i]));
		cJSON_AddStringToObject(c, "resource_version", si->resource_version);
	}
	return c;
}

static mech_kube *maybe_kube(sh_ctx *ctx)
{
	mech_kube *k = NULL;
	if (ctx->cfg->kube_url && *ctx->cfg->kube_url && mech_kube_new(&k, ctx->cfg) < 0) {
		mech_error_clear();
		k = NULL;
	}
	return k;
}

int sh_secret_list(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo;
	mech_secret_state *s = NULL;
	mech_kube *k;
	size_t n = 0, i, j;
	cJSON *arr;
	sh_table t;
	(void)a;
	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		return -1;
	if (mech_secret_list(repo, &s, &n) < 0) {
		mech_repo_free(repo);
		return -1;
	}
	k = maybe_kube(ctx);
	ctx->result = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(ctx->result, "secrets");
	sh_table_init(&t, 5);
	sh_table_add(&t, "NAME", "KEYS", "LAST SET", "IN CLUSTER", "LAST WRITER");
	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject(), *keys, *cl;
		mech_kube_secret_info si;
		mech_buf names = MECH_BUF_INIT;
		const char *last = "";
		cJSON_AddStringToObject(o, "name", s[i].name);
		cJSON_AddStringToObject(o, "namespace", s[i].namespace);
		cJSON_AddStringToObject(o, "file", s[i].file);
		keys = cJSON_AddArrayToObject(o, "keys");
		for (j = 0; j < s[i].nkeys; j++) {
			cJSON_AddItemToArray(keys, cJSON_CreateString(s[i].keys[j].key));
			mech_buf_printf(&names, "%s%s", j ? "," : "", s[i].keys[j].key);
			if (strcmp(s[i].keys[j].set_at, last) > 0)
				last = s[i].keys[j].set_at;
		}
		cl = cluster_state(ctx, k, s[i].namespace, s[i].name, &si);
		cJSON_AddItemToObject(o, "in_cluster",
				      cJSON_IsNull(cl) ? cJSON_CreateNull()
						       : cJSON_CreateBool(si.exists));
		cJSON_Delete(cl);
		cJSON_AddStringToObject(o, "last_writer_class", mech_class_name(s[i].writer.cls));
		cJSON_AddItemToArray(arr, o);
		sh_table_add(&t, s[i].name, names.len ? names.ptr : "-", *last ? last : "-",
			     !k          ? "?"
			     : si.exists ? "yes"
					 : "no",
			     mech_class_name(s[i].writer.cls));
		mech_kube_secret_info_dispose(&si);
		mech_buf_dispose(&names);
	}
	if (n)
		sh_table_print(ctx, &t);
	else
		sh_printf(ctx, "no secrets yet\n");
	if (n && !k)
		sh_printf(ctx, "(IN CLUSTER ?: Kubernetes is not configured)\n");
	sh_table_dispose(&t);
	mech_secret_state_free(s, n);
	mech_kube_free(k);
	mech_repo_free(repo);
	return 0;
}

int sh_secret_info(sh_ctx *ctx, const sh_args *a)
{
	mech_repo *repo;
	mech_secret_state *s = NULL;
	mech_kube_secret_info si;
	mech_kube *k;
	cJSON *keys, *cl;
	size_t i;
	sh_table t;
	if (mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0)
		return -1;
	if (mech_secret_get(repo, sh_arg(a, SH_OPT_NAME), &s) < 0) {
		mech_repo_free(repo);
		return -1;
	}
	k = maybe_kube(ctx);
	ctx->result = cJSON_CreateObject();
	cJSON_AddStringToObject(ctx->result, "name", s->name);
	cJSON_AddStringToObject(ctx->result, "namespace", s->namespace);
	cJSON_AddStringToObject(ctx->result, "file", s->file);
	keys = cJSON_AddArrayToObject(ctx->result, "keys");
	sh_printf(ctx, "secret     %s\nnamespace  %s\nledger     %s\n", s->name, s->namespace,
		  s->file);
	cl = cluster_state(ctx, k, s->namespace, s->name, &si);
	sh_printf(ctx, "cluster    %s\n\n",
		  cJSON_IsNull(cl) ? "unknown (Kubernetes not configured or unreachable)"
		  : si.exists      ? "the Secret exists"
				   : "no such Secret");
	sh_table_init(&t, 5);
	sh_table_add(&t, "KEY", "VERSION", "SET BY", "SET AT", "IN CLUSTER");
	for (i = 0; i < s->nkeys; i++) {
		cJSON *o = cJSON_CreateObject();
		char ver[32];
		int in = 0;
		size_t j;
		for (j = 0; j < si.keys.len; j++)
			if (!strcmp(si.keys.items[j], s->keys[i].key))
				in = 1;
		snprintf(ver, sizeof(ver), "%lld", s->keys[i].version);
		cJSON_AddStringToObject(o, "key", s->keys[i].key);
		cJSON_AddNumberToObject(o, "version", (double)s->keys[i].version);
		cJSON_AddStringToObject(o, "set_by", s->keys[i].set_by);
		cJSON_AddStringToObject(o, "set_at", s->keys[i].set_at);
		cJSON_AddItemToObject(o, "in_cluster",
				      cJSON_IsNull(cl) ? cJSON_CreateNull() : cJSON_CreateBool(in));
		cJSON_AddItemToArray(keys, o);
		sh_table_add(&t, s->keys[i].key, ver, s->keys[i].set_by, s->keys[i].set_at,
			     cJSON_IsNull(cl) ? "?"
			     : in             ? "yes"
					      : "no");
	}
	cJSON_AddItemToObject(ctx->result, "cluster", cl);
	sh_table_print(ctx, &t);
	sh_table_dispose(&t);
	cJSON_AddStringToObject(ctx->result, "last_writer_class", mech_class_name(s->writer.cls));
	sh_next(ctx, "mech app -a APP env set KEY --from-secret %s:KEY", s->name);
	mech_kube_secret_info_dispose(&si);
	mech_secret_state_free(s, 1);
	mech_kube_free(k);
	mech_repo_free(repo);
	return 0;
}
