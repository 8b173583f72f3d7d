/* SPDX-License-Identifier: Apache-2.0 */
/* Operator commands: admin init, admin tenant add/list/remove, admin tenant key add/remove/list. */
#include "cmd.h"
#include "handlers.h"
#include "mech/error.h"
#include "mech/sign.h"
#include "mech/sshkey.h"
#include "mech/validate.h"

#include <stdlib.h>
#include <string.h>

int sh_admin_init(sh_ctx *ctx, const sh_args *a)
{
	int rc = mech_home_init(ctx->home), key;
	char *fp;
	(void)a;
	if (rc < 0)
		return -1;
	/* the config may not have been readable before the home existed */
	if (!ctx->cfg && mech_config_load(&ctx->cfg, ctx->home) < 0)
		return -1;
	key = mech_sign_init(ctx->home, ctx->cfg->machine_email);
	if (key < 0)
		return -1;
	fp = mech_sign_fingerprint(ctx->home);
	ctx->result = cJSON_CreateObject();
	cJSON_AddStringToObject(ctx->result, "home", ctx->home);
	cJSON_AddBoolToObject(ctx->result, "created", rc == 1);
	cJSON_AddStringToObject(ctx->result, "signing_key", fp ? fp : "");
	sh_printf(ctx, "%s %s (mech.yaml, tenants/, cache/)\n",
		  rc == 1 ? "initialised" : "already initialised:", ctx->home);
	sh_printf(ctx,
		  "signing key %s%s (receipts are signed; `mech admin allowed-signers` "
		  "prints the file for git verify-commit)\n",
		  fp ? fp : "?", key == 1 ? " created" : "");
	free(fp);
	sh_next(ctx, "mech --home %s admin tenant add T --key KEY.pub", ctx->home);
	return 0;
}

int sh_admin_tenant_add(sh_ctx *ctx, const sh_args *a)
{
	const mech_strv *files = sh_arg_list(a, SH_OPT_KEY);
	mech_sshkey *keys = mech_calloc(files->len, sizeof(*keys));
	mech_tenant_key *tk = mech_calloc(files->len, sizeof(*tk));
	mech_tenant_add_opts o;
	mech_tenant_add_result res;
	size_t i;
	int rc = -1;

	memset(&res, 0, sizeof(res));
	if (mech_home_init(ctx->home) < 0)
		goto done;
	for (i = 0; i < files->len; i++) {
		if (mech_sshkey_read_file(files->items[i], &keys[i]) < 0)
			goto done;
		tk[i].fingerprint = keys[i].fingerprint;
		tk[i].type = keys[i].type;
		tk[i].key = keys[i].base64;
		tk[i].comment = keys[i].comment;
	}
	memset(&o, 0, sizeof(o));
	o.name = a->pos.items[0];
	o.ident_name = sh_arg(a, SH_OPT_NAME);
	o.ident_email = sh_arg(a, SH_OPT_EMAIL);
	o.keys = tk;
	o.nkeys = files->len;
	o.repo_url = sh_arg(a, SH_OPT_REPO_URL);
	if (mech_tenant_add(ctx->cfg, &o, &res) < 0)
		goto done;
	ctx->tenant_name = mech_strdup(o.name);
	sh_report_txn(ctx, &res.seed, 0);
	cJSON_AddStringToObject(ctx->result, "name", o.name);
	cJSON_AddBoolToObject(ctx->result, "created", res.created);
	cJSON_AddBoolToObject(ctx->result, "adopted", res.adopted);
	cJSON_AddNumberToObject(ctx->result, "keys_added", res.keys_added);
	cJSON_AddStringToObject(ctx->result, "repo_url", res.repo_url ? res.repo_url : "");
	cJSON_AddBoolToObject(ctx->result, "retargeted", res.retargeted);
	cJSON_AddBoolToObject(ctx->result, "published", res.published);
	{
		char *repo = mech_config_repo_path(ctx->cfg, o.name);
		cJSON_AddStringToObject(ctx->result, "repo", repo);
		if (res.published)
			sh_printf(ctx,
				  "pushed the local history of tenant %s to its empty remote\n",
				  o.name);
		if (res.adopted)
			sh_printf(ctx, "adopted the seeded remote of tenant %s\n", o.name);
		if (res.retargeted)
			sh_printf(ctx, "Argo CD now reads tenant %s from %s (repoURL)\n", o.name,
				  res.repo_url);
		sh_printf(ctx, "tenant %s %s: repo %s, %d key%s added\n", o.name,
			  res.created ? "created" : "updated", repo, res.keys_added,
			  res.keys_added == 1 ? "" : "s");
		free(repo);
	}
	sh_next(ctx, "mech --tenant %s app create web --image nginx:1.27", o.name);
	rc = 0;
done:
	mech_tenant_add_result_dispose(&res);
	for (i = 0; i < files->len; i++)
		mech_sshkey_dispose(&keys[i]);
	free(keys);
	free(tk);
	return rc;
}

int sh_admin_tenant_list(sh_ctx *ctx, const sh_args *a)
{
	mech_strv names = MECH_STRV_INIT;
	cJSON *arr;
	sh_table t;
	size_t i;
	(void)a;
	mech_tenant_list(ctx->cfg, &names);
	ctx->result = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(ctx->result, "tenants");
	sh_table_init(&t, 4);
	sh_table_add(&t, "TENANT", "NAMESPACE", "IDENTITY", "KEYS");
	for (i = 0; i < names.len; i++) {
		mech_tenant *tn;
		cJSON *o;
		char *ident, *nkeys;
		if (mech_tenant_load(ctx->cfg, names.items[i], &tn) < 0) {
			mech_strv_dispose(&names);
			sh_table_dispose(&t);
			return -1;
		}
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", tn->name);
		cJSON_AddStringToObject(o, "namespace", tn->ns);
		cJSON_AddStringToObject(o, "identity_name", tn->identity.name);
		cJSON_AddStringToObject(o, "identity_email", tn->identity.email);
		cJSON_AddNumberToObject(o, "keys", (double)tn->nkeys);
		cJSON_AddItemToArray(arr, o);
		ident = mech_sprintf("%s <%s>", tn->identity.name, tn->identity.email);
		nkeys = mech_sprintf("%zu", tn->nkeys);
		sh_table_add(&t, tn->name, tn->ns, ident, nkeys);
		free(ident);
		free(nkeys);
		mech_tenant_free(tn);
	}
	if (names.len)
		sh_table_print(ctx, &t);
	else
		sh_printf(ctx, "no tenants yet: mech admin tenant add T\n");
	sh_table_dispose(&t);
	mech_strv_dispose(&names);
	return 0;
}

/* ---- a tenant's keys ---- */

/*
 * KEY as the operator gives it: a fingerprint (SHA256:…, as ssh-keygen -lf
 * prints it), one public key line (`ssh-ed25519 AAAA… comment`), or a .pub
 * file. `tk` borrows from `k`, or from `arg` for a fingerprint.
 */
static int key_arg(const char *arg, mech_sshkey *k, mech_tenant_key *tk)
{
	memset(tk, 0, sizeof(*tk));
	if (!strncmp(arg, "SHA256:", 7)) {
		if (mech_sshkey_check_fingerprint("KEY", arg) < 0)
			return -1;
		tk->fingerprint = (char *)arg;
		tk->type = tk->key = tk->comment = "";
		return 0;
	}
	if (strpbrk(arg, " \t") ? mech_sshkey_parse_line(arg, k) < 0
				: mech_sshkey_read_file(arg, k) < 0) {
		const mech_error *e = mech_error_last();
		if (e && e->code != MECH_EINVALID) { /* no such file, unreadable */
			char *msg = mech_strdup(e->message);
			mech_error_set(MECH_EINVALID,
				       "KEY is neither a fingerprint, a public key line nor a readable "
				       ".pub file: %s",
				       msg);
			free(msg);
		}
		return mech_error_hint("give SHA256:… as `ssh-keygen -lf KEY.pub` prints it, the "
				       "line of the .pub file, or its path");
	}
	tk->fingerprint = k->fingerprint;
	tk->type = k->type;
	tk->key = k->base64;
	tk->comment = k->comment;
	return 0;
}

static cJSON *key_json(const mech_tenant_key *k)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "fingerprint", k->fingerprint);
	cJSON_AddStringToObject(o, "type", k->type ? k->type : "");
	cJSON_AddStringToObject(o, "comment", k->comment ? k->comment : "");
	cJSON_AddStringToObject(o, "name", k->name ? k->name : "");
	cJSON_AddStringToObject(o, "email", k->email ? k->email : "");
	return o;
}

/* A value from tenant.yaml on a terminal: control characters become '?'. */
static char *printable(const char *s)
{
	char *p, *out = mech_strdup(s ? s : "");
	for (p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return out;
}

int sh_admin_tenant_key_add(sh_ctx *ctx, const sh_args *a)
{
	const char *tenant = a->pos.items[0];
	mech_sshkey k = MECH_SSHKEY_INIT;
	mech_tenant_key tk, rec;
	int added;
	char *who;

	memset(&rec, 0, sizeof(rec));
	if (key_arg(a->pos.items[1], &k, &tk) < 0) {
		mech_sshkey_dispose(&k);
		return -1;
	}
	added = mech_tenant_key_add(ctx->cfg, tenant, &tk, &rec);
	mech_sshkey_dispose(&k);
	if (added < 0)
		return -1;
	ctx->tenant_name = mech_strdup(tenant);
	ctx->result = key_json(&rec);
	cJSON_AddBoolToObject(ctx->result, "added", added);
	cJSON_AddBoolToObject(ctx->result, "changed", added);
	who = printable(rec.name);
	if (added)
		sh_printf(ctx, "key %s added to tenant %s (acts as %s <%s>)\n", rec.fingerprint,
			  tenant, who, rec.email);
	else
		sh_printf(ctx, "key %s is already registered to tenant %s: nothing changed\n",
			  rec.fingerprint, tenant);
	free(who);
	sh_next(ctx, "mech admin tenant key list %s", tenant);
	mech_tenant_key_dispose(&rec);
	return 0;
}

int sh_admin_tenant_key_remove(sh_ctx *ctx, const sh_args *a)
{
	const char *tenant = a->pos.items[0];
	mech_sshkey k = MECH_SSHKEY_INIT;
	mech_tenant_key tk, rec;
	int rc;

	if (key_arg(a->pos.items[1], &k, &tk) < 0) {
		mech_sshkey_dispose(&k);
		return -1;
	}
	rc = mech_tenant_key_remove(ctx->cfg, tenant, tk.fingerprint, &rec);
	mech_sshkey_dispose(&k);
	if (rc < 0)
		return -1;
	ctx->tenant_name = mech_strdup(tenant);
	ctx->result = key_json(&rec);
	cJSON_AddBoolToObject(ctx->result, "removed", 1);
	cJSON_AddBoolToObject(ctx->result, "changed", 1);
	sh_printf(ctx,
		  "key %s removed from tenant %s: its next SSH connection is refused (sessions "
		  "already open run on)\n",
		  rec.fingerprint, tenant);
	sh_next(ctx, "mech admin tenant key list %s", tenant);
	mech_tenant_key_dispose(&rec);
	return 0;
}

int sh_admin_tenant_key_list(sh_ctx *ctx, const sh_args *a)
{
	const char *tenant = a->pos.items[0];
	mech_tenant *t = NULL;
	cJSON *arr;
	sh_table tab;
	size_t i;

	if (mech_validate_name("tenant", tenant) < 0)
		return -1;
	if (mech_tenant_load(ctx->cfg, tenant, &t) < 0) {
		const mech_error *e = mech_error_last();
		if (e && !strncmp(e->message, "unknown tenant", 14)) {
			char *msg = mech_strdup(e->message);
			mech_error_set(MECH_ENOT_FOUND, "%s", msg);
			mech_error_hint("`mech admin tenant list` shows the tenants");
			free(msg);
		}
		return -1;
	}
	ctx->tenant_name = mech_strdup(tenant);
	ctx->result = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(ctx->result, "keys");
	sh_table_init(&tab, 4);
	sh_table_add(&tab, "FINGERPRINT", "TYPE", "ACTS AS", "COMMENT");
	for (i = 0; i < t->nkeys; i++) {
		const mech_tenant_key *k = &t->keys[i];
		char *name = printable(k->name), *email = printable(k->email);
		char *comment = printable(k->comment), *who = mech_sprintf("%s <%s>", name, email);
		cJSON_AddItemToArray(arr, key_json(k));
		sh_table_add(&tab, k->fingerprint, *k->type ? k->type : "-", who,
			     *comment ? comment : "-");
		free(name);
		free(email);
		free(comment);
		free(who);
	}
	if (t->nkeys)
		sh_table_print(ctx, &tab);
	else
		sh_printf(ctx, "tenant %s has no keys: mech admin tenant key add %s KEY.pub\n",
			  tenant, tenant);
	sh_table_dispose(&tab);
	mech_tenant_free(t);
	return 0;
}

int sh_admin_tenant_remove(sh_ctx *ctx, const sh_args *a)
{
	const char *tenant = a->pos.items[0];
	int purge = sh_arg_bool(a, SH_OPT_PURGE);
	mech_strv deleted = MECH_STRV_INIT, kept = MECH_STRV_INIT;
	cJSON *arr;
	size_t i;

	if (mech_validate_name("tenant", tenant) < 0)
		return -1;
	if (!sh_arg_bool(a, SH_OPT_FORCE)) {
		mech_error_set(MECH_EREFUSED,
			       "removing tenant %s needs --force: its keys stop working at once%s",
			       tenant,
			       purge ? ", and --purge deletes its repository and cache on this host"
				     : "");
		return mech_error_hint("mech admin tenant remove %s --force%s", tenant,
				       purge ? " --purge" : "");
	}
	if (mech_tenant_remove(ctx->cfg, tenant, purge, &deleted, &kept) < 0) {
		mech_strv_dispose(&deleted);
		mech_strv_dispose(&kept);
		return -1;
	}
	ctx->tenant_name = mech_strdup(tenant);
	ctx->result = cJSON_CreateObject();
	cJSON_AddStringToObject(ctx->result, "name", tenant);
	cJSON_AddBoolToObject(ctx->result, "removed", 1);
	cJSON_AddBoolToObject(ctx->result, "purged", purge);
	cJSON_AddBoolToObject(ctx->result, "changed", 1);
	arr = cJSON_AddArrayToObject(ctx->result, "deleted");
	for (i = 0; i < deleted.len; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(deleted.items[i]));
	arr = cJSON_AddArrayToObject(ctx->result, "kept");
	for (i = 0; i < kept.len; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(kept.items[i]));
	sh_printf(ctx, "tenant %s removed: its keys are no longer served\n", tenant);
	for (i = 0; i < deleted.len; i++)
		sh_printf(ctx, "  deleted %s\n", deleted.items[i]);
	for (i = 0; i < kept.len; i++)
		sh_printf(ctx, "  kept    %s\n", kept.items[i]);
	if (kept.len)
		sh_next(ctx, "mech admin tenant add %s", tenant); /* adopts the kept repository */
	mech_strv_dispose(&deleted);
	mech_strv_dispose(&kept);
	return 0;
}

int sh_admin_allowed_signers(sh_ctx *ctx, const sh_args *a)
{
	mech_buf b = MECH_BUF_INIT;
	(void)a;
	if (mech_sign_allowed_signers(ctx->home, ctx->cfg->machine_email, &b) < 0) {
		mech_buf_dispose(&b);
		return -1;
	}
	ctx->result = cJSON_CreateObject();
	cJSON_AddStringToObject(ctx->result, "allowed_signers", b.ptr);
	sh_printf(ctx, "%s", b.ptr);
	mech_buf_dispose(&b);
	return 0;
}

int sh_admin_rotate_key(sh_ctx *ctx, const sh_args *a)
{
	char *fp;
	(void)a;
	if (!mech_sign_enabled(ctx->home)) {
		mech_error_set(MECH_ENOT_FOUND, "%s has no signing key to rotate", ctx->home);
		return mech_error_hint("run `mech admin init` first");
	}
	if (mech_sign_rotate(ctx->home, ctx->cfg->machine_email) < 0)
		return -1;
	fp = mech_sign_fingerprint(ctx->home);
	ctx->result = cJSON_CreateObject();
	cJSON_AddStringToObject(ctx->result, "signing_key", fp ? fp : "");
	sh_printf(ctx,
		  "new signing key %s; the old key is retired and still verifies old receipts\n",
		  fp ? fp : "?");
	sh_next(ctx, "mech admin allowed-signers > allowed_signers");
	free(fp);
	return 0;
}
