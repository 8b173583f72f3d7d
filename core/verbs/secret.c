/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ledger of `mech secret` (mech/secret.h): secrets/<name>.yaml holds
 * the keys of the Kubernetes Secret <name>, each with a version, who set
 * it and when. No function here ever sees a value.
 */
#include "mech/secret.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mech/error.h"
#include "mech/layout.h"
#include "mech/tree.h"
#include "mech/validate.h"
#include "mech/yaml.h"

#define LEDGER_KIND "SecretLedger"
#define LEDGER_API "mech.dev/v1"
#define LEDGER_MAX (1024 * 1024)

/* What CloudNativePG names after a Cluster <c>: <c>-app (mech_layout_addon_secret) and these. */
static const char *const cnpg_suffixes[] = {"-app", "-ca", "-server", "-replication", "-superuser"};

int mech_secret_check_name(const char *name)
{
	char q[MECH_ESCAPE_SIZE];
	size_t i, n;
	if (mech_validate_name("secret name", name) < 0)
		return -1;
	n = strlen(name);
	for (i = 0; i < sizeof(cnpg_suffixes) / sizeof(*cnpg_suffixes); i++) {
		size_t m = strlen(cnpg_suffixes[i]);
		if (n > m && !strcmp(name + n - m, cnpg_suffixes[i])) {
			mech_error_set(MECH_EINVALID,
				       "invalid secret name \"%s\": names ending in %s are "
				       "CloudNativePG's (an addon's Secrets: <addon>-app, -ca, "
				       "-server, -replication, -superuser)",
				       mech_error_escape(q, name), cnpg_suffixes[i]);
			return mech_error_hint("choose another name, e.g. %.*s-creds", (int)(n - m),
					       name);
		}
	}
	return 0;
}

int mech_secret_check_key(const char *key)
{
	char q[MECH_ESCAPE_SIZE];
	size_t i, n = strlen(key);
	int ok = n > 0 && n <= 253 && strcmp(key, ".") && strcmp(key, "..");
	for (i = 0; ok && i < n; i++) {
		char c = key[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			ok = 0;
	}
	if (ok)
		return 0;
	mech_error_set(MECH_EINVALID,
		       "invalid secret key \"%s\": use 1-253 letters, digits, '-', '_' and '.' "
		       "(a Kubernetes Secret key)",
		       mech_error_escape(q, key));
	return mech_error_hint("e.g. password, DATABASE_URL, tls.crt");
}

/* ---- the ledger file ---- */

static void key_dispose(mech_secret_key *k)
{
	free(k->key);
	free(k->set_by);
	free(k->set_at);
}

void mech_secret_state_free(mech_secret_state *s, size_t n)
{
	size_t i, j;
	for (i = 0; s && i < n; i++) {
		free(s[i].name);
		free(s[i].file);
		free(s[i].namespace);
		for (j = 0; j < s[i].nkeys; j++)
			key_dispose(&s[i].keys[j]);
		free(s[i].keys);
	}
	free(s);
}

/* Parse a ledger into `s` (name and file already set). */
static int ledger_parse(const mech_buf *b, mech_secret_state *s)
{
	mech_yaml *doc = NULL, *keys;
	size_t i;
	if (mech_yaml_parse(&doc, b->ptr ? b->ptr : "", b->len, s->file, NULL) < 0)
		return -1;
	s->namespace = mech_strdup(
		mech_yaml_path_text(doc, "namespace") ? mech_yaml_path_text(doc, "namespace") : "");
	keys = mech_yaml_get(doc, "keys");
	if (keys && keys->kind == MECH_YAML_MAP && keys->len) {
		s->keys = mech_calloc(keys->len, sizeof(*s->keys));
		for (i = 0; i < keys->len; i++) {
			mech_secret_key *k = &s->keys[s->nkeys++];
			const char *v = mech_yaml_path_text(keys->items[i], "version");
			const char *by = mech_yaml_path_text(keys->items[i], "set_by");
			const char *at = mech_yaml_path_text(keys->items[i], "set_at");
			k->key = mech_strdup(keys->keys[i]);
			k->version = v ? strtoll(v, NULL, 10) : 0;
			if (k->version < 0)
				k->version = 0;
			k->set_by = mech_strdup(by ? by : "");
			k->set_at = mech_strdup(at ? at : "");
		}
	}
	mech_yaml_free(doc);
	return 0;
}

static void now_rfc3339(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The ledger's bytes: a comment saying what it is, then the document. */
static void ledger_emit(const mech_secret_state *s, const char *tenant, mech_buf *out)
{
	mech_yaml *doc = mech_yaml_map(), *keys;
	size_t i;
	mech_buf_printf(out,
			"# Written by mech (`mech secret`): the keys of the Kubernetes Secret %s\n"
			"# in namespace %s, with a version per key and who set it when.\n"
			"# The values are only in the cluster, never in Git. Argo CD does not\n"
			"# read this directory.\n",
			s->name, s->namespace);
	mech_yaml_set_str(doc, "apiVersion", LEDGER_API);
	mech_yaml_set_str(doc, "kind", LEDGER_KIND);
	mech_yaml_set_str(doc, "secret", s->name);
	mech_yaml_set_str(doc, "namespace", s->namespace);
	mech_yaml_set_str(doc, "tenant", tenant);
	keys = mech_yaml_set(doc, "keys", mech_yaml_map());
	for (i = 0; i < s->nkeys; i++) {
		mech_yaml *k = mech_yaml_set(keys, s->keys[i].key, mech_yaml_map());
		mech_yaml_set_int(k, "version", s->keys[i].version);
		mech_yaml_set_str(k, "set_by", s->keys[i].set_by);
		mech_yaml_set_str(k, "set_at", s->keys[i].set_at);
	}
	mech_yaml_emit(doc, out);
	mech_yaml_free(doc);
}

static int not_found(mech_repo *repo, const char *name, const mech_strv *files)
{
	mech_strv names = MECH_STRV_INIT;
	const char *near;
	size_t i;
	for (i = 0; files && i < files->len; i++) {
		char *n = mech_layout_secret_of_file(files->items[i]);
		if (n)
			mech_strv_push(&names, n);
		free(n);
	}
	near = mech_suggest(name, (const char *const *)names.items, names.len);
	mech_error_set(MECH_ENOT_FOUND, "secret %s not found in %s/gitops", name,
		       mech_repo_tenant(repo));
	if (near)
		mech_error_hint("did you mean %s? (`mech secret -n %s info`)", near, near);
	else
		mech_error_hint("list secrets with `mech secret list`");
	mech_strv_dispose(&names);
	return -1;
}

static int not_found_txn(mech_txn *txn, mech_repo *repo, const char *name)
{
	mech_strv files = MECH_STRV_INIT;
	mech_txn_list(txn, MECH_LAYOUT_SECRETS, &files);
	not_found(repo, name, &files);
	mech_strv_dispose(&files);
	return -1;
}

typedef struct {
	mech_repo *repo;
	const mech_write_opts *w;
	const char *name;
	const char *key;
	long long version;
} ledger_ctx;

/* Read the ledger inside a plan: 1 found, 0 absent, -1 error. */
static int txn_load(mech_txn *txn, const char *name, mech_secret_state *s)
{
	mech_buf b = MECH_BUF_INIT;
	int found;
	memset(s, 0, sizeof(*s));
	s->name = mech_strdup(name);
	s->file = mech_layout_secret_ledger(name);
	found = mech_txn_read(txn, s->file, &b);
	if (found > 0 && ledger_parse(&b, s) < 0)
		found = -1;
	mech_buf_dispose(&b);
	return found;
}

static void state_dispose(mech_secret_state *s)
{
	size_t j;
	free(s->name);
	free(s->file);
	free(s->namespace);
	for (j = 0; j < s->nkeys; j++)
		key_dispose(&s->keys[j]);
	free(s->keys);
}

static void txn_store(mech_txn *txn, mech_repo *repo, mech_secret_state *s)
{
	mech_buf out = MECH_BUF_INIT;
	ledger_emit(s, mech_repo_tenant(repo), &out);
	mech_txn_write_buf(txn, s->file, &out);
	mech_buf_dispose(&out);
}

static int plan_set(mech_txn *txn, void *payload)
{
	ledger_ctx *c = payload;
	mech_secret_state s;
	mech_secret_key *k = NULL;
	char at[32];
	size_t i;
	int found = txn_load(txn, c->name, &s);

	if (found < 0) {
		state_dispose(&s);
		return -1;
	}
	if (!found || !*s.namespace) {
		free(s.namespace);
		s.namespace = mech_layout_namespace(mech_repo_tenant(c->repo));
	}
	for (i = 0; i < s.nkeys; i++)
		if (!strcmp(s.keys[i].key, c->key))
			k = &s.keys[i];
	if (!k) {
		s.keys = mech_reallocarray(s.keys, s.nkeys + 1, sizeof(*s.keys));
		k = &s.keys[s.nkeys++];
		memset(k, 0, sizeof(*k));
		k->key = mech_strdup(c->key);
	}
	k->version++;
	free(k->set_by);
	free(k->set_at);
	k->set_by = mech_sprintf("%s <%s>", c->w->author->name, c->w->author->email);
	now_rfc3339(at);
	k->set_at = mech_strdup(at);
	c->version = k->version;
	txn_store(txn, c->repo, &s);
	mech_txn_summary(txn, "set %s key %s (version %lld)", c->name, c->key, k->version);
	mech_txn_body(txn, "The value is in the Kubernetes Secret %s in %s; Git keeps no value.",
		      c->name, s.namespace);
	state_dispose(&s);
	return 0;
}

int mech_secret_record_set(mech_repo *repo, const mech_write_opts *w, const char *name,
			   const char *key, long long *version, mech_txn_result *res)
{
	ledger_ctx c = {repo, w, name, key, 0};
	char *target;
	int rc;
	if (mech_secret_check_name(name) < 0 || mech_secret_check_key(key) < 0)
		return -1;
	target = mech_sprintf("secret/%s", name);
	rc = mech_write_apply(repo, w, "secret.set", target, 0, plan_set, &c, res);
	free(target);
	if (version)
		*version = c.version;
	return rc;
}

static int plan_unset(mech_txn *txn, void *payload)
{
	ledger_ctx *c = payload;
	mech_secret_state s;
	size_t i;
	int found = txn_load(txn, c->name, &s), rc = -1;

	if (found <= 0) {
		if (found == 0)
			not_found_txn(txn, c->repo, c->name);
		goto done;
	}
	for (i = 0; i < s.nkeys && strcmp(s.keys[i].key, c->key); i++)
		;
	if (i == s.nkeys) {
		char q[MECH_ESCAPE_SIZE];
		mech_error_set(MECH_ENOT_FOUND, "secret %s has no key \"%s\"", c->name,
			       mech_error_escape(q, c->key));
		mech_error_hint("see its keys with `mech secret -n %s info`", c->name);
		goto done;
	}
	key_dispose(&s.keys[i]);
	memmove(&s.keys[i], &s.keys[i + 1], (s.nkeys - i - 1) * sizeof(*s.keys));
	s.nkeys--;
	txn_store(txn, c->repo, &s);
	mech_txn_summary(txn, "unset %s key %s", c->name, c->key);
	rc = 0;
done:
	state_dispose(&s);
	return rc;
}

int mech_secret_record_unset(mech_repo *repo, const mech_write_opts *w, const char *name,
			     const char *key, mech_txn_result *res)
{
	ledger_ctx c = {repo, w, name, key, 0};
	char *target;
	int rc;
	if (mech_secret_check_name(name) < 0 || mech_secret_check_key(key) < 0)
		return -1;
	target = mech_sprintf("secret/%s", name);
	rc = mech_write_apply(repo, w, "secret.unset", target, 1, plan_unset, &c, res);
	free(target);
	return rc;
}

static int plan_delete(mech_txn *txn, void *payload)
{
	ledger_ctx *c = payload;
	char *file = mech_layout_secret_ledger(c->name);
	int rc = -1;
	if (mech_txn_exists(txn, file) <= 0) {
		not_found_txn(txn, c->repo, c->name);
	} else {
		mech_txn_delete(txn, file);
		mech_txn_summary(txn, "delete secret %s", c->name);
		rc = 0;
	}
	free(file);
	return rc;
}

int mech_secret_record_delete(mech_repo *repo, const mech_write_opts *w, const char *name,
			      mech_txn_result *res)
{
	ledger_ctx c = {repo, w, name, NULL, 0};
	char *target;
	int rc;
	if (mech_validate_name("secret name", name) < 0)
		return -1;
	target = mech_sprintf("secret/%s", name);
	rc = mech_write_apply(repo, w, "secret.delete", target, 1, plan_delete, &c, res);
	free(target);
	return rc;
}

/* ---- reads ---- */

static int load_tree(mech_repo *repo, git_tree *tree, const char *name, mech_secret_state *s)
{
	mech_buf b = MECH_BUF_INIT;
	int found;
	memset(s, 0, sizeof(*s));
	s->name = mech_strdup(name);
	s->file = mech_layout_secret_ledger(name);
	found = mech_tree_read(mech_repo_git(repo), tree, s->file, LEDGER_MAX, &b);
	if (found > 0 && ledger_parse(&b, s) < 0)
		found = -1;
	mech_buf_dispose(&b);
	if (found > 0 && mech_repo_last_writer(repo, s->file, &s->writer) < 0)
		mech_error_clear();
	if (!s->namespace)
		s->namespace = mech_layout_namespace(mech_repo_tenant(repo));
	return found;
}

int mech_secret_list(mech_repo *repo, mech_secret_state **out, size_t *n)
{
	git_tree *tree;
	mech_strv files = MECH_STRV_INIT;
	size_t i;
	*out = NULL;
	*n = 0;
	if (mech_repo_head_tree(repo, &tree) < 0)
		return -1;
	mech_tree_list(mech_repo_git(repo), tree, MECH_LAYOUT_SECRETS, &files);
	*out = mech_calloc(files.len ? files.len : 1, sizeof(**out));
	for (i = 0; i < files.len; i++) {
		char *name = mech_layout_secret_of_file(files.items[i]);
		mech_secret_state s;
		if (!name)
			continue;
		if (load_tree(repo, tree, name, &s) > 0)
			(*out)[(*n)++] = s;
		else {
			mech_error_clear();
			state_dispose(&s);
		}
		free(name);
	}
	mech_strv_dispose(&files);
	git_tree_free(tree);
	return 0;
}

int mech_secret_get(mech_repo *repo, const char *name, mech_secret_state **out)
{
	git_tree *tree;
	mech_secret_state s;
	int found;
	*out = NULL;
	if (mech_validate_name("secret name", name) < 0)
		return -1;
	if (mech_repo_head_tree(repo, &tree) < 0)
		return -1;
	found = load_tree(repo, tree, name, &s);
	if (found <= 0) {
		state_dispose(&s);
		if (found == 0) {
			mech_strv files = MECH_STRV_INIT;
			mech_tree_list(mech_repo_git(repo), tree, MECH_LAYOUT_SECRETS, &files);
			not_found(repo, name, &files);
			mech_strv_dispose(&files);
		}
		git_tree_free(tree);
		return -1;
	}
	git_tree_free(tree);
	*out = mech_calloc(1, sizeof(**out));
	**out = s;
	return 0;
}
