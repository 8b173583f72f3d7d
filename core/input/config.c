/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MECH_HOME and mech.yaml. The keys are one table: section, key, type and
 * where the value lands; the parser, the defaults and the error messages
 * all read it.
 */
#include "mech/config.h"
#include "mech/buf.h"
#include "mech/error.h"
#include "mech/live.h"
#include "mech/validate.h"
#include "mech/yaml.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum { T_STR, T_INT, T_BOOL, T_DURATION, T_URL } key_type;

static const struct config_key {
	const char *section;
	const char *key;
	key_type type;
	size_t offset;
	const char *def;
	long min, max;
	const char *choices; /* "a|b": the only values allowed */
	const char *help;    /* what it means, for mech.yaml(5) */
} config_keys[] = {
#define S(sec, key, field, def, help)                                                              \
	{                                                                                          \
		sec, key, T_STR, offsetof(mech_config, field), def, 0, 0, NULL, help               \
	}
#define E(sec, key, field, def, ch, help)                                                          \
	{                                                                                          \
		sec, key, T_STR, offsetof(mech_config, field), def, 0, 0, ch, help                 \
	}
#define I(sec, key, field, def, lo, hi, help)                                                      \
	{                                                                                          \
		sec, key, T_INT, offsetof(mech_config, field), def, lo, hi, NULL, help             \
	}
#define U(sec, key, field, def, help)                                                              \
	{                                                                                          \
		sec, key, T_URL, offsetof(mech_config, field), def, 0, 0, NULL, help               \
	}
#define B(sec, key, field, def, help)                                                              \
	{                                                                                          \
		sec, key, T_BOOL, offsetof(mech_config, field), def, 0, 1, NULL, help              \
	}
/* a duration (500ms, 30s, 1m30s: mech_parse_duration) kept in milliseconds, in lo..hi ms */
#define D(sec, key, field, def, lo, hi, help)                                                      \
	{                                                                                          \
		sec, key, T_DURATION, offsetof(mech_config, field), def, lo, hi, NULL, help        \
	}
	S("machine", "name", machine_name, "Mechanics",
	  "Committer name of every receipt: the machine identity."),
	S("machine", "email", machine_email, "mechanics@localhost",
	  "Committer e-mail of every receipt. A commit counts as machine-authored only with this "
	  "committer."),
	S("gitops", "branch", gitops_branch, "main",
	  "The branch of each tenant repository that mech writes and Argo CD follows."),
	U("gitops", "remote", gitops_remote, "",
	  "URL template of the tenant repositories' shared remote, {tenant} replaced by the tenant "
	  "name (file:///srv/git/{tenant}.git, ssh://git@git.example/{tenant}/gitops.git, "
	  "https://git.example/{tenant}.git). Empty: the bare repository under MECH_HOME is the "
	  "only copy. A URL with a password is refused (exit 78): see credentials_file."),
	S("gitops", "ssh_key", gitops_ssh_key, "",
	  "Private key file for ssh:// remotes (its .pub next to it). Empty: ssh-agent."),
	S("gitops", "known_hosts", gitops_known_hosts, "",
	  "known_hosts file that ssh:// remotes' host keys are checked against (OpenSSH's "
	  "format, hashed names allowed). Empty: ~/.ssh/known_hosts of the user running mech. "
	  "An unknown or different host key is exit 69 naming this file."),
	S("gitops", "credentials_file", gitops_credentials_file, "",
	  "File of HTTP(S) remote credentials, one URL a line as git-credential-store writes "
	  "them (https://USER:PASSWORD@HOST[:PORT], user and password percent-encoded); the "
	  "line whose scheme, host and port are the remote's is used. Must not be readable by "
	  "group or others (exit 78)."),
	S("gitops", "credential_helper", gitops_credential_helper, "",
	  "A git credential helper for HTTP(S) remotes when credentials_file has no line for "
	  "them: an absolute program path and its arguments, split at spaces and run without a "
	  "shell with `get` appended, speaking git's credential protocol on stdin/stdout "
	  "(/usr/lib/git-core/git-credential-store --file /etc/mech/git-credentials)."),
	S("gitops", "ca_file", gitops_ca_file, "",
	  "CA certificate file (PEM) that https:// remotes' certificates are checked against, "
	  "instead of the system's CAs. Empty: the system's CAs."),
	I("gitops", "retries", gitops_retries, "8", 1, 100,
	  "Fetch, plan and push attempts when a push is rejected, before exit 75 (contention)."),
	D("gitops", "timeout", gitops_timeout_ms, "30s", 100, 3600000,
	  "Longest a Git remote may take to answer one network operation (connect, fetch or "
	  "push, from 100ms to 1h); a server that accepts the connection and stops answering "
	  "ends the command with exit 69 naming the remote, and the tenant lock is released."),
	B("gitops", "fsync", gitops_fsync, "true",
	  "Flush every receipt to disk (its pack, index, ref and their directories, as git's "
	  "core.fsync=all does) before the command reports it. False: faster writes that a power "
	  "loss or kernel crash can undo; only for throwaway homes (tests, demos)."),
	S("argocd", "url", argocd_url, "",
	  "Base URL of the Argo CD API (or of `mech sim`). Empty: no reconcile source; reads "
	  "report \"argocd\": \"not configured\" instead of failing."),
	S("argocd", "token_file", argocd_token_file, "",
	  "File holding the bearer token for the Argo CD API."),
	S("argocd", "ca_file", argocd_ca_file, "",
	  "CA certificate file for Argo CD's TLS certificate. Empty: the system's CAs."),
	U("argocd", "repo_url", argocd_repo_url, "",
	  "URL template ({tenant} replaced) of the repository as Argo CD reads it, written as "
	  "repoURL into argocd/*.yaml; a tenant's tenant.yaml repo_url wins over it. Empty: "
	  "gitops.remote expanded (or the local repository's file:// URL without a remote)."),
	S("argocd", "namespace", argocd_namespace, "argocd",
	  "Namespace Argo CD runs in: where the seeded AppProject and ApplicationSet live."),
	I("argocd", "timeout_ms", argocd_timeout_ms, "5000", 100, 600000,
	  "Timeout of each Argo CD and Kubernetes API call, in milliseconds."),
	S("kubernetes", "url", kube_url, "",
	  "Base URL of the Kubernetes API server. Empty: live Kubernetes fields (replicas ready, "
	  "route and addon status) are reported as not configured."),
	S("kubernetes", "token_file", kube_token_file, "",
	  "File holding the bearer token for the Kubernetes API."),
	S("kubernetes", "ca_file", kube_ca_file, "",
	  "CA certificate file for the API server. Empty: the system's CAs."),
	S("routes", "base_domain", routes_base_domain, "apps.localhost",
	  "Domain of route hosts: APP[-INSTANCE].TENANT.BASE_DOMAIN."),
	S("routes.gateway", "name", routes_gateway_name, "mech",
	  "Name of the Gateway (Gateway API) every HTTPRoute attaches to."),
	S("routes.gateway", "namespace", routes_gateway_namespace, "mech-gateway",
	  "Namespace of that Gateway."),
	B("routes", "allow_any_host", routes_allow_any_host, "false",
	  "Allow route hosts outside *.TENANT.BASE_DOMAIN. False: such a --host is refused "
	  "(exit 65)."),
	S("console", "theme", console_theme, "default",
	  "Console colour theme: NAME.theme from MECH_HOME/themes or the installed themes "
	  "directory (NO_COLOR gives monochrome)."),
	E("console", "refresh", console_refresh, "live", "live|paused",
	  "Whether the console follows the Argo CD watch stream from the start (live) or waits "
	  "for r (paused)."),
	B("console", "mouse", console_mouse, "true",
	  "Console mouse: a click selects a row or switches view, the wheel scrolls. False: the "
	  "terminal keeps the mouse (its own text selection)."),
	E("console", "clipboard", console_clipboard, "osc52", "osc52|off",
	  "What the console's y (copy) does: osc52 sends the text to the terminal's clipboard "
	  "(OSC 52; inside tmux this needs `set -g set-clipboard on`) and also shows it; off only "
	  "shows it, for copying by hand."),
#undef S
#undef E
#undef I
#undef B
#undef D
#undef U
};

#define NKEYS (sizeof(config_keys) / sizeof(*config_keys))

char *mech_home_resolve(const char *flag)
{
	const char *env = getenv("MECH_HOME");
	char *home, *abs;
	if (flag && *flag)
		home = mech_strdup(flag);
	else if (env && *env)
		home = mech_strdup(env);
	else if (geteuid() == 0)
		home = mech_strdup("/var/lib/mech");
	else if (getenv("XDG_DATA_HOME") && *getenv("XDG_DATA_HOME"))
		home = mech_sprintf("%s/mech", getenv("XDG_DATA_HOME"));
	else
		home = mech_sprintf("%s/.local/share/mech", getenv("HOME") ? getenv("HOME") : "");
	if (home[0] == '/')
		return home;
	abs = realpath(home, NULL);
	if (!abs) {
		char cwd[PATH_MAX];
		abs = mech_sprintf("%s/%s", getcwd(cwd, sizeof(cwd)) ? cwd : ".", home);
	}
	free(home);
	return abs;
}

static void **field(mech_config *cfg, const struct config_key *k)
{
	return (void **)((char *)cfg + k->offset);
}

static int set_value(mech_config *cfg, const struct config_key *k, const char *v, const char *file,
		     int line)
{
	char q[MECH_ESCAPE_SIZE], *end;
	long n;
	switch (k->type) {
	case T_URL: {
		char *what = mech_sprintf("%s:%d: %s.%s", file, line, k->section, k->key);
		int rc = mech_validate_url(what, v);
		free(what);
		if (rc < 0) { /* in mech.yaml, any bad URL is a configuration error */
			char *msg = mech_strdup(mech_error_last()->message);
			mech_error_set(MECH_ECONFIG, "%s", msg);
			free(msg);
			return -1;
		}
	}
		/* fall through */
	case T_STR:
		if (k->choices) {
			const char *c = k->choices;
			int hit = 0;
			while (*c && !hit) {
				size_t cl = strcspn(c, "|");
				hit = strlen(v) == cl && !strncmp(c, v, cl);
				c += cl + (c[cl] == '|');
			}
			if (!hit)
				return mech_error_set(MECH_ECONFIG,
						      "%s:%d: %s.%s: \"%s\" is not one of %s", file,
						      line, k->section, k->key,
						      mech_error_escape(q, v), k->choices);
		}
		free(*(char **)field(cfg, k));
		*(char **)field(cfg, k) = mech_strdup(v);
		return 0;
	case T_INT:
		n = strtol(v, &end, 10);
		if (!*v || *end || n < k->min || n > k->max)
			return mech_error_set(MECH_ECONFIG,
					      "%s:%d: %s.%s: \"%s\" is not an integer in %ld..%ld",
					      file, line, k->section, k->key,
					      mech_error_escape(q, v), k->min, k->max);
		*(int *)field(cfg, k) = (int)n;
		return 0;
	case T_BOOL:
		if (strcmp(v, "true") && strcmp(v, "false"))
			return mech_error_set(MECH_ECONFIG,
					      "%s:%d: %s.%s: \"%s\" is not true or false", file,
					      line, k->section, k->key, mech_error_escape(q, v));
		*(int *)field(cfg, k) = !strcmp(v, "true");
		return 0;
	case T_DURATION:
		if (mech_parse_duration("duration", v, &n) < 0 || n < k->min || n > k->max) {
			char what[64];
			snprintf(what, sizeof(what), "%s.%s", k->section, k->key);
			mech_error_clear();
			return mech_error_set(MECH_ECONFIG,
					      "%s:%d: %s: \"%s\" is not a duration from %ldms to %ldh (500ms, 30s, "
					      "1m30s)",
					      file, line, what, mech_error_escape(q, v), k->min,
					      k->max / 3600000);
		}
		*(long *)field(cfg, k) = n;
		return 0;
	}
	return 0;
}

static int known_section(const char *section)
{
	size_t i;
	for (i = 0; i < NKEYS; i++)
		if (!strcmp(config_keys[i].section, section) ||
		    (!strncmp(config_keys[i].section, section, strlen(section)) &&
		     config_keys[i].section[strlen(section)] == '.'))
			return 1;
	return 0;
}

static int load_section(mech_config *cfg, const mech_yaml *map, const char *section,
			const char *file)
{
	size_t i, j;
	for (i = 0; i < map->len; i++) {
		const char *key = map->keys[i];
		const mech_yaml *v = map->items[i];
		char *sub = mech_sprintf("%s.%s", section, key);
		int found = 0, rc = 0;
		if (v->kind == MECH_YAML_MAP && known_section(sub)) {
			rc = load_section(cfg, v, sub, file);
			free(sub);
			if (rc < 0)
				return -1;
			continue;
		}
		free(sub);
		for (j = 0; j < NKEYS; j++) {
			if (strcmp(config_keys[j].section, section) ||
			    strcmp(config_keys[j].key, key))
				continue;
			found = 1;
			if (v->kind != MECH_YAML_SCALAR)
				return mech_error_set(MECH_ECONFIG, "%s:%d: %s.%s must be a scalar",
						      file, v->line, section, key);
			rc = set_value(cfg, &config_keys[j],
				       v->type == MECH_YAML_NULL ? "" : v->value, file, v->line);
			if (rc < 0)
				return -1;
		}
		if (!found)
			return mech_error_set(MECH_ECONFIG, "%s:%d: unknown key %s.%s", file,
					      mech_yaml_key_line(map, i), section, key);
	}
	return 0;
}

static int load_file(mech_config *cfg, const char *file)
{
	mech_buf b = MECH_BUF_INIT;
	mech_yaml *doc = NULL;
	size_t i;
	int rc = -1;

	if (access(file, F_OK) != 0)
		return 0;
	if (mech_buf_read_file(&b, file, 1024 * 1024) < 0) {
		const mech_error *e = mech_error_last();
		mech_error_set(MECH_ECONFIG, "%s", e ? e->message : file);
		goto done;
	}
	if (mech_yaml_parse(&doc, b.ptr, b.len, file, NULL) < 0) {
		const mech_error *e = mech_error_last();
		char *msg = mech_strdup(e ? e->message : file);
		mech_error_set(MECH_ECONFIG, "%s", msg);
		free(msg);
		goto done;
	}
	if (doc->kind != MECH_YAML_MAP) {
		mech_error_set(MECH_ECONFIG, "%s:%d: the configuration must be a mapping", file,
			       doc->line);
		goto done;
	}
	for (i = 0; i < doc->len; i++) {
		const mech_yaml *v = doc->items[i];
		if (!known_section(doc->keys[i])) {
			mech_error_set(MECH_ECONFIG, "%s:%d: unknown key %s", file,
				       mech_yaml_key_line(doc, i), doc->keys[i]);
			goto done;
		}
		if (v->kind == MECH_YAML_SCALAR && v->type == MECH_YAML_NULL)
			continue;
		if (v->kind != MECH_YAML_MAP) {
			mech_error_set(MECH_ECONFIG, "%s:%d: %s must be a mapping", file, v->line,
				       doc->keys[i]);
			goto done;
		}
		if (load_section(cfg, v, doc->keys[i], file) < 0)
			goto done;
	}
	rc = 0;
done:
	mech_yaml_free(doc);
	mech_buf_dispose(&b);
	return rc;
}

int mech_config_load(mech_config **out, const char *home)
{
	mech_config *cfg = mech_calloc(1, sizeof(*cfg));
	char *file;
	size_t i;
	int rc;

	cfg->home = mech_strdup(home);
	for (i = 0; i < NKEYS; i++)
		set_value(cfg, &config_keys[i], config_keys[i].def, "<defaults>", 0);
	file = mech_sprintf("%s/mech.yaml", home);
	rc = load_file(cfg, file);
	free(file);
	if (rc < 0) {
		mech_config_free(cfg);
		return -1;
	}
	*out = cfg;
	return 0;
}

void mech_config_free(mech_config *cfg)
{
	size_t i;
	if (!cfg)
		return;
	for (i = 0; i < NKEYS; i++)
		if (config_keys[i].type == T_STR || config_keys[i].type == T_URL)
			free(*(char **)field(cfg, &config_keys[i]));
	free(cfg->home);
	free(cfg);
}

char *mech_config_remote_for(const mech_config *cfg, const char *tenant)
{
	return mech_config_expand(cfg->gitops_remote, tenant);
}

char *mech_config_expand(const char *tmpl, const char *tenant)
{
	mech_buf b = MECH_BUF_INIT;
	const char *p = tmpl, *hit;
	while ((hit = strstr(p, "{tenant}")) != NULL) {
		mech_buf_put(&b, p, (size_t)(hit - p));
		mech_buf_puts(&b, tenant);
		p = hit + strlen("{tenant}");
	}
	mech_buf_puts(&b, p);
	return mech_buf_detach(&b);
}

char *mech_config_tenant_dir(const mech_config *cfg, const char *tenant)
{
	return mech_sprintf("%s/tenants/%s", cfg->home, tenant);
}

char *mech_config_repo_path(const mech_config *cfg, const char *tenant)
{
	return mech_sprintf("%s/tenants/%s/gitops.git", cfg->home, tenant);
}

char *mech_config_cache_dir(const mech_config *cfg, const char *tenant)
{
	return mech_sprintf("%s/cache/%s", cfg->home, tenant);
}

int mech_config_key_at(size_t i, mech_config_key *out)
{
	static const char *const type_names[] = {"string", "integer", "boolean", "duration",
						 "string"};
	const struct config_key *k;
	if (i >= NKEYS)
		return 0;
	k = &config_keys[i];
	out->section = k->section;
	out->key = k->key;
	out->type = type_names[k->type];
	out->def = k->def;
	out->min = k->min;
	out->max = k->max;
	out->choices = k->choices;
	out->help = k->help;
	return 1;
}
