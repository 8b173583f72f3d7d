/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_VALIDATE_H
#define MECH_VALIDATE_H

/*
 * Input rules (DESIGN §6): every value from a user is checked here before
 * it reaches a path, a manifest or a commit. Each check sets MECH_EINVALID
 * with a message naming the argument and what would be valid.
 */

#define MECH_NAME_MAX 40

/**
 * A DNS-1123 label of at most 40 characters without "--" (MECH_LAYOUT_SEP,
 * the separator of derived names). `what` names the argument ("app name").
 */
int mech_validate_name(const char *what, const char *value);
/** A name a new tenant may take: mech_validate_name and none Argo CD/Kubernetes own. */
int mech_validate_tenant_name(const char *value);
/** An integer in [min, max]; `what` names the flag ("--port"). */
int mech_validate_int(const char *what, const char *value, long min, long max, long *out);
/** KEY=VALUE with a C-identifier key and a value without control characters. */
int mech_validate_env(const char *value);
/** An env variable name: the key rule of mech_validate_env (`what` names the argument). */
int mech_validate_env_name(const char *what, const char *name);
/**
 * `--from-secret S:KEY`: S a Secret name (DNS-1123 subdomain, at most 253),
 * KEY a Secret data key ([-._a-zA-Z0-9]+, at most 253). On success *secret
 * and *key are new strings (caller frees).
 */
int mech_validate_secret_ref(const char *value, char **secret, char **key);
/** An image tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
int mech_validate_tag(const char *value);
/** A DNS hostname (lower case, labels ≤ 63, total ≤ 253). */
int mech_validate_host(const char *value);
/** An HTTP path prefix: starts with '/', printable ASCII without spaces, ≤ 1024. */
int mech_validate_http_path(const char *value);
/** A path inside the tenant repo (for `log --path`): relative, no "..", no control chars. */
int mech_validate_repo_path(const char *value);
/** Whether a URL carries user:password@ (scheme://…, or scp-like user:pass@host:path). */
int mech_url_has_password(const char *url);
/**
 * A Git URL mech stores or writes (gitops.remote, --repo-url): printable, at
 * most 2048 characters (MECH_EINVALID), and without a password
 * (MECH_ECONFIG, naming `what` and never echoing the value).
 */
int mech_validate_url(const char *what, const char *url);

#endif
