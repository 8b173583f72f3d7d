/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SSH front door (DESIGN §7): `mech ssh --tenant T` is the forced
 * command sshd runs for a registered key; `mech ssh --guest FP` for an
 * unknown one; `mech ssh-keys %u %t %k` is the AuthorizedKeysCommand.
 * The request comes from SSH_ORIGINAL_COMMAND and is split by our own
 * tokenizer: nothing is ever run by a shell.
 */
#include "cmd.h"
#include "handlers.h"
#include "mech/argocd.h"
#include "mech/error.h"
#include "mech/kube.h"
#include "mech/sshcmd.h"
#include "mech/sshkey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The key this session authenticated with, from sshd's ExposeAuthInfo file. */
static int session_key(mech_sshkey *out)
{
	const char *file = getenv("SSH_USER_AUTH");
	mech_buf b = MECH_BUF_INIT;
	char *p;
	int found = 0;
	if (!file || mech_buf_read_file(&b, file, 65536) < 0) {
		mech_error_clear();
		return 0;
	}
	for (p = b.ptr; p && *p && !found;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		if (!strncmp(p, "publickey ", 10) && mech_sshkey_parse_line(p + 10, out) == 0)
			found = 1;
		mech_error_clear();
		p = nl ? nl + 1 : NULL;
	}
	mech_buf_dispose(&b);
	return found;
}

/*
 * Act as the key that logged in: the one `--key` names (the forced command
 * ssh-keys wrote), else the one sshd's ExposeAuthInfo file names. A --key
 * that is malformed, not this tenant's (removed since the lookup) or not the
 * key sshd saw is refused.
 */
static int acting_identity(sh_ctx *ctx, const char *forced_fp)
{
	mech_sshkey seen = MECH_SSHKEY_INIT;
	const char *fp = forced_fp;
	int have_seen = session_key(&seen), rc = 0;
	size_t i;

	if (forced_fp && mech_sshkey_check_fingerprint("--key", forced_fp) < 0) {
		rc = -1;
		goto done;
	}
	if (forced_fp && have_seen && strcmp(seen.fingerprint, forced_fp)) {
		mech_error_set(MECH_EFORBIDDEN, "--key is not the key this session logged in with");
		mech_error_hint("the forced command comes from `mech ssh-keys`; do not edit it");
		rc = -1;
		goto done;
	}
	if (!fp && have_seen)
		fp = seen.fingerprint;
	if (!fp)
		goto done;
	for (i = 0; i < ctx->tenant->nkeys; i++) {
		const mech_tenant_key *k = &ctx->tenant->keys[i];
		if (strcmp(k->fingerprint, fp))
			continue;
		free(ctx->identity.name);
		free(ctx->identity.email);
		ctx->identity.name = mech_strdup(k->name);
		ctx->identity.email = mech_strdup(k->email);
		ctx->key_fingerprint = mech_strdup(k->fingerprint);
		goto done;
	}
	if (forced_fp) {
		mech_error_set(MECH_EFORBIDDEN, "key %s is not registered to tenant %s", forced_fp,
			       ctx->tenant_name);
		mech_error_hint(
			"it was removed, or the forced command was edited; ask the operator");
		rc = -1;
	}
done:
	mech_sshkey_dispose(&seen);
	return rc;
}

/* Split and vet the request; on success argv holds it. */
static int read_request(mech_strv *argv)
{
	const char *cmd = getenv("SSH_ORIGINAL_COMMAND");
	if (mech_sshcmd_split(cmd ? cmd : "", argv) < 0)
		return -1;
	return mech_sshcmd_check_request(argv);
}

static int run_request(sh_ctx *outer, sh_ctx *ctx)
{
	mech_strv argv = MECH_STRV_INIT;
	int code;
	if (read_request(&argv) < 0) {
		/* report in the format the request asked for, if it got that far */
		const char *cmd = getenv("SSH_ORIGINAL_COMMAND");
		ctx->json = cmd && strstr(cmd, "--json") != NULL;
		code = sh_finish(ctx, -1);
	} else {
		code = sh_run((int)argv.len, argv.items, ctx);
	}
	mech_strv_dispose(&argv);
	outer->exit_override = code;
	return 0;
}

/* End the session before running the request: the error in the request's format. */
static int refuse(sh_ctx *outer, sh_ctx *ctx)
{
	const char *cmd = getenv("SSH_ORIGINAL_COMMAND");
	ctx->json = cmd && strstr(cmd, "--json") != NULL;
	outer->exit_override = sh_finish(ctx, -1);
	outer->quiet = 1;
	ctx->via_ssh = 0;
	sh_ctx_reset(ctx);
	return 0;
}

int sh_ssh(sh_ctx *outer, const sh_args *a)
{
	sh_ctx ctx;
	const char *tenant = sh_arg(a, SH_OPT_TENANT), *guest = sh_arg(a, SH_OPT_GUEST);
	const char *key = sh_arg(a, SH_OPT_KEY);
	int rc;

	if (!!tenant == !!guest) {
		mech_error_set(MECH_EUSAGE,
			       "ssh needs exactly one of --tenant T or --guest FINGERPRINT");
		return mech_error_hint("it is the forced command `mech ssh-keys` writes for sshd");
	}
	if (guest && key) {
		mech_error_set(MECH_EUSAGE, "ssh takes --key only with --tenant");
		return mech_error_hint("it is the forced command `mech ssh-keys` writes for sshd");
	}
	sh_ctx_init(&ctx);
	ctx.home = mech_strdup(outer->home);
	ctx.via_ssh = 1;
	ctx.color = 0;
	ctx.tty = isatty(0) && isatty(1);
	if (ctx.tty)
		ctx.color = !getenv("NO_COLOR");
	if (guest) {
		ctx.guest = 1;
		ctx.key_fingerprint = mech_strdup(guest);
	} else {
		ctx.tenant_flag = tenant;
		if (sh_need_tenant(&ctx) < 0) {
			/* the key's tenant is gone: forbidden, not a usage error of the agent */
			const mech_error *e = mech_error_last();
			mech_error_set(MECH_EFORBIDDEN, "this key's tenant is not available: %s",
				       e ? e->message : tenant);
			return refuse(outer, &ctx);
		}
		if (acting_identity(&ctx, key) < 0) {
			const mech_error *e = mech_error_last();
			if (e && e->code != MECH_EFORBIDDEN) { /* a malformed --key: forged */
				char *msg = mech_strdup(e->message);
				mech_error_set(MECH_EFORBIDDEN, "%s", msg);
				mech_error_hint(
					"the forced command comes from `mech ssh-keys`; do not "
					"edit it");
				free(msg);
			}
			return refuse(outer, &ctx);
		}
	}
	rc = run_request(outer, &ctx);
	/* via_ssh keeps the tenant across resets; free it here */
	ctx.via_ssh = 0;
	sh_ctx_reset(&ctx);
	/* the request's own output is already printed; print nothing more */
	outer->quiet = 1;
	return rc;
}

int sh_ssh_keys(sh_ctx *ctx, const sh_args *a)
{
	mech_sshkey key = MECH_SSHKEY_INIT;
	mech_tenant *t = NULL;
	char *self = realpath("/proc/self/exe", NULL), *line = NULL;
	mech_strv skipped = MECH_STRV_INIT;
	size_t i;
	int found, rc = -1;

	/* %u %t %k: the user is sshd's business; the key decides the tenant */
	if (a->pos.len != 3) {
		mech_error_set(MECH_EUSAGE, "ssh-keys needs USER TYPE KEY (sshd's %%u %%t %%k)");
		goto done;
	}
	if (mech_sshkey_parse_parts(a->pos.items[1], a->pos.items[2], &key) < 0)
		goto done;
	found = mech_tenant_find_key(ctx->cfg, key.fingerprint, &t, NULL, &skipped);
	/* sshd logs the AuthorizedKeysCommand's stderr: one line per damaged record */
	for (i = 0; i < skipped.len; i++)
		fprintf(stderr, "mech ssh-keys: skipped a tenant record that cannot be read: %s\n",
			skipped.items[i]);
	if (found < 0)
		goto done;
	line = found ? mech_sshkey_authorized_line(self, ctx->home, t->name, &key)
		     : mech_sshkey_guest_line(self, ctx->home, &key);
	if (!line)
		goto done;
	sh_printf(ctx, "%s\n", line);
	rc = 0;
done:
	mech_strv_dispose(&skipped);
	free(line);
	free(self);
	mech_tenant_free(t);
	mech_sshkey_dispose(&key);
	return rc;
}

/*
 * Does an endpoint answer? "not configured", "ok (version …)" or the error.
 * `version_out` (may be NULL) gets the version it answered (caller frees).
 */
static char *probe(const mech_config *cfg, int argocd, char **version_out)
{
	char *version = NULL, *out;
	int rc;
	if (!*(argocd ? cfg->argocd_url : cfg->kube_url))
		return mech_strdup("not configured");
	if (argocd) {
		mech_argocd *c = NULL;
		rc = mech_argocd_new(&c, cfg);
		if (rc == 0)
			rc = mech_argocd_version(c, &version);
		mech_argocd_free(c);
	} else {
		mech_kube *k = NULL;
		rc = mech_kube_new(&k, cfg);
		if (rc == 0)
			rc = mech_kube_version(k, &version);
		mech_kube_free(k);
	}
	if (rc < 0) {
		const mech_error *e = mech_error_last();
		out = mech_sprintf("unavailable: %s", e ? e->message : "no answer");
		mech_error_clear();
	} else {
		out = mech_sprintf("ok (version %s)", version && *version ? version : "unknown");
	}
	if (version_out) {
		*version_out = version;
		version = NULL;
	}
	free(version);
	return out;
}

/* Argo CD older than mech supports: a warning (the command still succeeds). */
static void warn_old_argocd(sh_ctx *ctx, const char *version)
{
	char v[MECH_ESCAPE_SIZE];
	if (mech_argocd_version_older(version, MECH_ARGOCD_MIN_VERSION) == 1)
		sh_warn(ctx,
			"Argo CD %s is older than %s, the oldest mech supports: " MECH_ARGOCD_MIN_WHY
			" (docs/compatibility.md)",
			mech_error_escape(v, version), MECH_ARGOCD_MIN_VERSION);
}

int sh_whoami(sh_ctx *ctx, const sh_args *a)
{
	const mech_config *cfg = ctx->cfg;
	(void)a;
	ctx->result = cJSON_CreateObject();
	if (ctx->guest) {
		cJSON_AddBoolToObject(ctx->result, "registered", 0);
		cJSON_AddStringToObject(ctx->result, "fingerprint", ctx->key_fingerprint);
		sh_printf(ctx,
			  "This SSH key is not registered with mech.\n"
			  "  fingerprint: %s\n\n"
			  "To get access, send this fingerprint and your public key to the operator\n"
			  "of this host. They register it with:\n"
			  "  mech admin tenant add <tenant> --key <your-key>.pub\n"
			  "Until then you can run `help` and `whoami`.\n"
			  "If you have a registered key too, your SSH agent may have offered this one\n"
			  "first: set `IdentitiesOnly yes` and `IdentityFile` for this host.\n",
			  ctx->key_fingerprint);
		return 0;
	}
	if (sh_need_tenant(ctx) < 0)
		return -1;
	{
		char *repo = mech_config_repo_path(cfg, ctx->tenant_name);
		char *remote = mech_config_remote_for(cfg, ctx->tenant_name);
		cJSON_AddBoolToObject(ctx->result, "registered", 1);
		cJSON_AddStringToObject(ctx->result, "tenant", ctx->tenant_name);
		cJSON_AddStringToObject(ctx->result, "namespace", ctx->tenant->ns);
		cJSON_AddStringToObject(ctx->result, "user", ctx->identity.name);
		cJSON_AddStringToObject(ctx->result, "email", ctx->identity.email);
		if (ctx->key_fingerprint)
			cJSON_AddStringToObject(ctx->result, "fingerprint", ctx->key_fingerprint);
		else
			cJSON_AddNullToObject(ctx->result, "fingerprint");
		cJSON_AddStringToObject(ctx->result, "repo", *remote ? remote : repo);
		char *cd_version = NULL;
		char *cd = probe(cfg, 1, &cd_version), *kube = probe(cfg, 0, NULL);
		warn_old_argocd(ctx, cd_version);
		free(cd_version);
		cJSON_AddStringToObject(ctx->result, "argocd",
					*cfg->argocd_url ? cfg->argocd_url : "not configured");
		cJSON_AddStringToObject(ctx->result, "argocd_status", cd);
		cJSON_AddStringToObject(ctx->result, "kubernetes",
					*cfg->kube_url ? cfg->kube_url : "not configured");
		cJSON_AddStringToObject(ctx->result, "kubernetes_status", kube);
		sh_printf(ctx, "tenant      %s (namespace %s)\n", ctx->tenant_name, ctx->tenant->ns);
		sh_printf(ctx, "user        %s <%s>\n", ctx->identity.name, ctx->identity.email);
		sh_printf(ctx, "key         %s\n",
			  ctx->key_fingerprint ? ctx->key_fingerprint : "- (local)");
		sh_printf(ctx, "repo        %s\n", *remote ? remote : repo);
		sh_printf(ctx, "argocd      %s%s%s\n", cfg->argocd_url,
			  *cfg->argocd_url ? "  " : "", cd);
		sh_printf(ctx, "kubernetes  %s%s%s\n", cfg->kube_url, *cfg->kube_url ? "  " : "",
			  kube);
		free(cd);
		free(kube);
		free(repo);
		free(remote);
	}
	sh_next(ctx, "mech app create NAME --image REF");
	return 0;
}
