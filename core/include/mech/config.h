/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_CONFIG_H
#define MECH_CONFIG_H

#include <stddef.h>

/*
 * MECH_HOME and mech.yaml (DESIGN §3, §9). Every field has a default, so a
 * home without mech.yaml works; unknown keys and bad values are errors
 * (MECH_ECONFIG) naming file, line and key.
 */

typedef struct {
	char *home; /* absolute MECH_HOME */

	char *machine_name; /* committer identity */
	char *machine_email;

	char *gitops_branch;            /* default "main" */
	char *gitops_remote;            /* "" = none; "{tenant}" is replaced by the tenant name */
	char *gitops_ssh_key;           /* private key for ssh:// remotes ("" = ssh-agent) */
	char *gitops_known_hosts;       /* ssh:// host keys ("" = ~/.ssh/known_hosts) */
	char *gitops_credentials_file;  /* HTTP(S) credentials, git-credential-store lines */
	char *gitops_credential_helper; /* a git credential helper: program and arguments */
	char *gitops_ca_file;           /* CAs for https:// remotes ("" = the system's) */
	int gitops_retries;             /* push/CAS attempts before exit 75 (default 8) */
	long gitops_timeout_ms;         /* bound of each remote network operation (default 30s) */
	int gitops_fsync; /* receipts reach the disk before they are reported (default 1) */

	char *argocd_url; /* "" = not configured */
	char *argocd_token_file;
	char *argocd_ca_file;
	char *argocd_repo_url;  /* template of Argo CD's repoURL ("" = gitops.remote) */
	char *argocd_namespace; /* default "argocd" */
	int argocd_timeout_ms;  /* default 5000 */

	char *kube_url;
	char *kube_token_file;
	char *kube_ca_file;

	char *routes_base_domain;       /* default "apps.localhost" */
	char *routes_gateway_name;      /* default "mech" */
	char *routes_gateway_namespace; /* default "mech-gateway" */
	int routes_allow_any_host;      /* default 0: hosts must be under the tenant's domain */

	char *console_theme;   /* default "default" */
	char *console_refresh; /* "live" or "paused" */

	int console_mouse;       /* default 1: clicks select, the wheel scrolls */
	char *console_clipboard; /* "osc52" (y sets the terminal's clipboard) or "off" */
} mech_config;

/**
 * Resolve MECH_HOME: `flag` if given, else $MECH_HOME, else /var/lib/mech
 * for root, else $XDG_DATA_HOME/mech (or ~/.local/share/mech). Returns a
 * newly allocated absolute path.
 */
char *mech_home_resolve(const char *flag);

/** Load `<home>/mech.yaml` (absent = defaults). */
int mech_config_load(mech_config **out, const char *home);
void mech_config_free(mech_config *cfg);

/** The remote URL for a tenant ("" when no remote), {tenant} substituted. Caller frees. */
char *mech_config_remote_for(const mech_config *cfg, const char *tenant);
/** A URL template with every {tenant} replaced by `tenant`. Caller frees. */
char *mech_config_expand(const char *tmpl, const char *tenant);

/** Paths under MECH_HOME; caller frees. */
char *mech_config_tenant_dir(const mech_config *cfg, const char *tenant);
char *mech_config_repo_path(const mech_config *cfg, const char *tenant);
char *mech_config_cache_dir(const mech_config *cfg, const char *tenant);

/** One key of mech.yaml, for documentation (mech.yaml(5)). Strings are static. */
typedef struct {
	const char *section; /* "argocd", "routes.gateway" */
	const char *key;
	const char *type;    /* "string", "integer" or "boolean" */
	const char *def;     /* the default, as written in YAML ("" for none) */
	long min, max;       /* integers: the allowed range */
	const char *choices; /* "a|b" when only these values are allowed, else NULL */
	const char *help;    /* what it means */
} mech_config_key;

/** Fill `out` with the i-th key of the table; 1 if there is one, 0 past the last. */
int mech_config_key_at(size_t i, mech_config_key *out);

#endif
