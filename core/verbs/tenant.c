/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tenant records and tenant creation: tenant.yaml, the repo seed, and the
 * rule that a key belongs to at most one tenant.
 */
#include "mech/tenant.h"
#include "mech/app.h"
#include "mech/error.h"
#include "mech/layout.h"
#include "mech/lock.h"
#include "mech/manifest.h"
#include "mech/validate.h"
#include "mech/yaml.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TENANT_MAX (256 * 1024)

static char *tenant_file(const mech_config *cfg, const char *name)
{
	return mech_sprintf("%s/tenants/%s/tenant.yaml", cfg->home, name);
}

void mech_tenant_free(mech_tenant *t)
{
	size_t i;
	if (!t)
		return;
	for (i = 0; i < t->nkeys; i++) {
		mech_tenant_key *k = &t->keys[i];
		free(k->fingerprint);
		free(k->type);
		free(k->key);
		free(k->comment);
		free(k->name);
		free(k->email);
	}
	free(t->keys);
	free(t->name);
	free(t->ns);
	free(t->identity.name);
	free(t->identity.email);
	free(t->repo_url);
	free(t);
}

static char *text_or(const mech_yaml *n, const char *path, const char *def)
{
	const char *v = mech_yaml_path_text(n, path);
	return mech_strdup(v ? v : def);
}

static int parse_tenant(const char *file, const char *name, const mech_buf *b, mech_tenant **out)
{
	mech_yaml *doc = NULL, *keys;
	mech_tenant *t = mech_calloc(1, sizeof(*t));
	char *def_email = mech_sprintf("%s@localhost", name);
	size_t i;

	if (mech_yaml_parse(&doc, b->ptr, b->len, file, NULL) < 0) {
		free(def_email);
		mech_tenant_free(t);
		return -1;
	}
	t->name = mech_strdup(name);
	t->ns = text_or(doc, "namespace", "");
	if (!*t->ns) {
		free(t->ns);
		t->ns = mech_layout_namespace(name);
	}
	t->repo_url = text_or(doc, "repo_url", "");
	if (*t->repo_url) {
		char *what = mech_sprintf("%s: repo_url", file);
		int bad = mech_validate_url(what, t->repo_url);
		free(what);
		if (bad < 0) {
			free(def_email);
			mech_yaml_free(doc);
			mech_tenant_free(t);
			return -1;
		}
	}
	t->identity.name = text_or(doc, "identity.name", name);
	t->identity.email = text_or(doc, "identity.email", def_email);
	keys = mech_yaml_get(doc, "keys");
	if (keys && keys->kind == MECH_YAML_SEQ) {
		t->keys = mech_calloc(keys->len, sizeof(*t->keys));
		for (i = 0; i < keys->len; i++) {
			const mech_yaml *k = keys->items[i];
			mech_tenant_key *tk = &t->keys[t->nkeys++];
			tk->fingerprint = text_or(k, "fingerprint", "");
			tk->type = text_or(k, "type", "");
			tk->key = text_or(k, "key", "");
			tk->comment = text_or(k, "comment", "");
			tk->name = text_or(k, "name", t->identity.name);
			tk->email = text_or(k, "email", t->identity.email);
		}
	}
	free(def_email);
	mech_yaml_free(doc);
	*out = t;
	return 0;
}

int mech_tenant_load(const mech_config *cfg, const char *name, mech_tenant **out)
{
	char *file;
	mech_buf b = MECH_BUF_INIT;
	int rc;

	if (mech_validate_name("tenant", name) < 0)
		return -1;
	file = tenant_file(cfg, name);
	if (access(file, F_OK) != 0) {
		mech_strv all = MECH_STRV_INIT;
		mech_buf known = MECH_BUF_INIT;
		size_t i;
		mech_tenant_list(cfg, &all);
		for (i = 0; i < all.len && i < 10; i++)
			mech_buf_printf(&known, "%s%s", i ? ", " : "", all.items[i]);
		mech_error_set(MECH_EINVALID, "unknown tenant \"%s\" in %s", name, cfg->home);
		if (all.len)
			mech_error_hint("known tenants: %s", known.ptr);
		else
			mech_error_hint("create it with `mech admin tenant add %s`", name);
		mech_strv_dispose(&all);
		mech_buf_dispose(&known);
		free(file);
		return -1;
	}
	rc = mech_buf_read_file(&b, file, TENANT_MAX);
	if (rc == 0)
		rc = parse_tenant(file, name, &b, out);
	mech_buf_dispose(&b);
	free(file);
	return rc;
}

int mech_tenant_list(const mech_config *cfg, mech_strv *out)
{
	char *dir = mech_sprintf("%s/tenants", cfg->home);
	DIR *d = opendir(dir);
	struct dirent *e;
	if (d) {
		while ((e = readdir(d)) != NULL) {
			char *f;
			if (e->d_name[0] == '.')
				continue;
			f = tenant_file(cfg, e->d_name);
			if (access(f, F_OK) == 0)
				mech_strv_push(out, e->d_name);
			free(f);
		}
		closedir(d);
	}
	free(dir);
	mech_strv_sort(out);
	return 0;
}

/* `s` on one line of a log: printable ASCII stays, every other byte is \xNN. */
static void put_escaped(mech_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c < 0x7f && c != '\\')
			mech_buf_put(b, s, 1);
		else
			mech_buf_printf(b, "\\x%02x", c);
	}
}

/* A tenant record that does not load: skipped, unless it names the key sought. */
static int skip_damaged(const mech_config *cfg, const char *name, const char *fingerprint,
			mech_strv *skipped)
{
	const mech_error *e = mech_error_last();
	char *file = tenant_file(cfg, name);
	mech_buf why = MECH_BUF_INIT, raw = MECH_BUF_INIT;
	int holds_key;

	/* the parse errors name the file; the others are prefixed with it */
	if (!e || !e->message || !strstr(e->message, file)) {
		put_escaped(&why, file);
		mech_buf_puts(&why, ": ");
	}
	put_escaped(&why, e && e->message ? e->message : "unreadable");
	mech_error_clear();
	/* the key may be in it: serving it as a guest instead must not happen silently */
	holds_key = mech_buf_read_file(&raw, file, TENANT_MAX) == 0 && raw.ptr &&
		    strstr(raw.ptr, fingerprint) != NULL;
	mech_error_clear();
	mech_strv_push(skipped, mech_buf_cstr(&why));
	if (holds_key) {
		mech_error_set(MECH_ECONFIG,
			       "a tenant record names this key but cannot be read: %s",
			       mech_buf_cstr(&why));
		mech_error_hint("repair or remove the file; until then the key is refused, not "
				"served as a guest");
	}
	mech_buf_dispose(&raw);
	mech_buf_dispose(&why);
	free(file);
	return holds_key ? -1 : 0;
}

int mech_tenant_find_key(const mech_config *cfg, const char *fingerprint, mech_tenant **out,
			 size_t *key_index, mech_strv *skipped)
{
	mech_strv all = MECH_STRV_INIT;
	size_t i, k;
	int found = 0;
	mech_tenant_list(cfg, &all);
	for (i = 0; i < all.len && !found; i++) {
		mech_tenant *t;
		if (mech_tenant_load(cfg, all.items[i], &t) < 0) {
			if (skipped && skip_damaged(cfg, all.items[i], fingerprint, skipped) == 0)
				continue;
			mech_strv_dispose(&all);
			return -1;
		}
		for (k = 0; k < t->nkeys; k++) {
			if (!strcmp(t->keys[k].fingerprint, fingerprint)) {
				*out = t;
				if (key_index)
					*key_index = k;
				found = 1;
				break;
			}
		}
		if (!found)
			mech_tenant_free(t);
	}
	mech_strv_dispose(&all);
	return found;
}

static int is_email(const char *s)
{
	const char *at = strchr(s, '@');
	size_t i;
	if (!at || at == s || !at[1] || strchr(at + 1, '@') || !strchr(at + 1, '.'))
		return 0;
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] <= 0x20 || strchr("<>\"'`\\,;()", s[i]))
			return 0;
	return 1;
}

void mech_tenant_key_identity(const mech_tenant *t, const char *comment, char **name, char **email)
{
	if (comment && is_email(comment)) {
		*name = mech_strndup(comment, strcspn(comment, "@"));
		*email = mech_strdup(comment);
	} else {
		*name = mech_strdup(t->identity.name);
		*email = mech_strdup(t->identity.email);
	}
}

static int save_tenant(const mech_config *cfg, const mech_tenant *t)
{
	mech_yaml *doc = mech_yaml_map(), *id, *keys;
	mech_buf b = MECH_BUF_INIT;
	char *file = tenant_file(cfg, t->name);
	size_t i;
	int rc;

	mech_yaml_set_str(doc, "name", t->name);
	mech_yaml_set_str(doc, "namespace", t->ns);
	id = mech_yaml_set(doc, "identity", mech_yaml_map());
	mech_yaml_set_str(id, "name", t->identity.name);
	mech_yaml_set_str(id, "email", t->identity.email);
	if (t->repo_url && *t->repo_url)
		mech_yaml_set_str(doc, "repo_url", t->repo_url);
	keys = mech_yaml_set(doc, "keys", mech_yaml_seq());
	for (i = 0; i < t->nkeys; i++) {
		const mech_tenant_key *k = &t->keys[i];
		mech_yaml *m = mech_yaml_append(keys, mech_yaml_map());
		mech_yaml_set_str(m, "fingerprint", k->fingerprint);
		mech_yaml_set_str(m, "type", k->type);
		mech_yaml_set_str(m, "key", k->key);
		mech_yaml_set_str(m, "comment", k->comment ? k->comment : "");
		mech_yaml_set_str(m, "name", k->name);
		mech_yaml_set_str(m, "email", k->email);
	}
	rc = mech_yaml_emit(doc, &b);
	/* temp + fsync + rename; an operator's chmod of the record stays */
	if (rc == 0)
		rc = mech_file_replace(file, b.ptr, b.len, 0640);
	mech_yaml_free(doc);
	mech_buf_dispose(&b);
	free(file);
	return rc;
}

static int validate_identity(const char *name, const char *email)
{
	char q[MECH_ESCAPE_SIZE];
	size_t i;
	if (name && (!*name || strlen(name) > 100 || strpbrk(name, "<>\n\r\t")))
		return mech_error_set(MECH_EINVALID,
				      "invalid --name \"%s\": 1-100 characters without <, > or "
				      "control characters",
				      mech_error_escape(q, name));
	for (i = 0; name && name[i]; i++)
		if ((unsigned char)name[i] < 0x20)
			return mech_error_set(MECH_EINVALID, "invalid --name: control characters");
	if (email && !is_email(email))
		return mech_error_set(MECH_EINVALID,
				      "invalid --email \"%s\": expected an address like "
				      "alice@example.com",
				      mech_error_escape(q, email));
	return 0;
}

/* The seed: the files of DESIGN §4. The argocd/ ones are mech's to keep current. */
static const struct {
	const char *path;
	int (*render)(const mech_seed_spec *, mech_buf *);
	int argocd;
} seed_files[] = {
	{MECH_LAYOUT_README, mech_manifest_seed_readme, 0},
	{MECH_LAYOUT_ARGOCD_PROJECT, mech_manifest_seed_project, 1},
	{MECH_LAYOUT_ARGOCD_APPSET, mech_manifest_seed_appset, 1},
	{MECH_LAYOUT_ARGOCD_NETWORK, mech_manifest_seed_network_app, 1},
	{MECH_LAYOUT_ARGOCD_ADDONS, mech_manifest_seed_addons_app, 1},
	/* Git keeps no empty directories: without these, the network and addons
	 * Applications point at a missing path */
	{MECH_LAYOUT_NETWORK_README, mech_manifest_seed_network_readme, 0},
	{MECH_LAYOUT_ADDONS_README, mech_manifest_seed_addons_readme, 0},
};

#define NSEED (sizeof(seed_files) / sizeof(*seed_files))

typedef struct {
	mech_repo *repo;
	mech_seed_spec spec;
	int retargeted;
} seed_plan;

/* The repo URL argocd/ files name now (the network Application's source), or NULL. */
static char *current_repo_url(mech_txn *txn)
{
	mech_buf b = MECH_BUF_INIT;
	mech_yaml *doc = NULL;
	char *url = NULL;
	if (mech_txn_read(txn, MECH_LAYOUT_ARGOCD_NETWORK, &b) == 1 &&
	    mech_yaml_parse(&doc, b.ptr, b.len, MECH_LAYOUT_ARGOCD_NETWORK, NULL) == 0) {
		const char *v = mech_yaml_path_text(doc, "spec.source.repoURL");
		url = v ? mech_strdup(v) : NULL;
	}
	mech_error_clear();
	mech_yaml_free(doc);
	mech_buf_dispose(&b);
	return url;
}

/* Plan seed file i as today's render of the spec (identical bytes plan nothing). */
static int plan_seed_file(mech_txn *txn, const seed_plan *sp, size_t i)
{
	mech_buf b = MECH_BUF_INIT;
	int rc = seed_files[i].render(&sp->spec, &b);
	if (rc >= 0)
		mech_txn_write_buf(txn, seed_files[i].path, &b);
	mech_buf_dispose(&b);
	return rc < 0 ? -1 : 0;
}

/*
 * A seeded repository whose argocd/ files name another URL: rewrite the
 * files that change, in this one receipt (a human's edit of them needs
 * --force, as any path does).
 */
static int plan_retarget(mech_txn *txn, seed_plan *sp, const char *cur)
{
	size_t i;
	for (i = 0; i < NSEED; i++)
		if (seed_files[i].argocd && plan_seed_file(txn, sp, i) < 0)
			return -1;
	mech_txn_summary(txn, "move Argo CD's repoURL of tenant %s", sp->spec.tenant);
	mech_txn_body(txn, "repoURL: %s (was %s)", sp->spec.repo_url, cur);
	sp->retargeted = 1;
	return 0;
}

/*
 * A seeded branch is adopted, and its argocd/ files that mech wrote last are
 * brought to today's render: a repository seeded before MECH_LAYOUT_SEP gets
 * the Application names of docs/formats.md ("Names") at its next `tenant
 * add`. A file a human changed last is the human's; it stays as it is.
 */
static int plan_reseed(mech_txn *txn, seed_plan *sp)
{
	size_t i;
	for (i = 0; i < NSEED; i++) {
		mech_writer w;
		if (!seed_files[i].argocd || mech_txn_exists(txn, seed_files[i].path) <= 0)
			continue;
		if (mech_repo_last_writer(sp->repo, seed_files[i].path, &w) < 0)
			return -1;
		if (w.cls == MECH_CLASS_MACHINE && plan_seed_file(txn, sp, i) < 0)
			return -1;
	}
	mech_txn_summary(txn, "update the argocd files of tenant %s", sp->spec.tenant);
	return 0;
}

/*
 * Adopting a seeded branch: when its argocd/ files name another repo URL,
 * all of them are rewritten (retarget, which renders today's names too);
 * else the ones mech wrote last are brought to today's render (reseed).
 * Either way one receipt, or none when nothing changes.
 */
static int plan_adopt(mech_txn *txn, seed_plan *sp)
{
	char *cur = current_repo_url(txn);
	int rc;
	if (cur && strcmp(cur, sp->spec.repo_url))
		rc = plan_retarget(txn, sp, cur);
	else
		rc = plan_reseed(txn, sp);
	free(cur);
	return rc;
}

/* The seed plan: the files of DESIGN §4 on an empty branch; else adopt (reseed, retarget). */
static int plan_seed(mech_txn *txn, void *payload)
{
	seed_plan *sp = payload;
	mech_strv top = MECH_STRV_INIT;
	size_t i;
	int seeded = mech_txn_list(txn, "", &top) > 0;
	mech_strv_dispose(&top);
	sp->retargeted = 0; /* a plan may run again on a newer head */
	if (seeded)
		return plan_adopt(txn, sp);
	for (i = 0; i < NSEED; i++)
		if (plan_seed_file(txn, sp, i) < 0)
			return -1;
	mech_txn_summary(txn, "seed tenant %s", sp->spec.tenant);
	return 0;
}

static int add_keys(const mech_config *cfg, mech_tenant *t, const mech_tenant_add_opts *opts,
		    int *added)
{
	size_t i, j;
	for (i = 0; i < opts->nkeys; i++) {
		const mech_tenant_key *k = &opts->keys[i];
		mech_tenant *owner = NULL;
		mech_tenant_key *nk;
		int dup = 0;
		/* every record must load: a damaged one might be the key's owner */
		int found = mech_tenant_find_key(cfg, k->fingerprint, &owner, NULL, NULL);
		if (found < 0) {
			const mech_error *e = mech_error_last();
			char *msg = mech_strdup(e && e->message ? e->message : "unreadable");
			mech_error_set(MECH_ECONFIG,
				       "cannot tell whether another tenant has key %s: %s",
				       k->fingerprint, msg);
			mech_error_hint("repair that tenant record, or remove the tenant with `mech "
					"admin tenant remove T --force`");
			free(msg);
			return -1;
		}
		if (found && strcmp(owner->name, t->name)) {
			mech_error_set(MECH_EINVALID, "key %s is already registered to tenant %s",
				       k->fingerprint, owner->name);
			mech_tenant_free(owner);
			return mech_error_hint(
				"a key belongs to at most one tenant; use another key");
		}
		mech_tenant_free(owner);
		for (j = 0; j < t->nkeys; j++)
			dup |= !strcmp(t->keys[j].fingerprint, k->fingerprint);
		for (j = 0; j < i; j++)
			dup |= !strcmp(opts->keys[j].fingerprint, k->fingerprint);
		if (dup)
			continue;
		t->keys = mech_reallocarray(t->keys, t->nkeys + 1, sizeof(*t->keys));
		nk = &t->keys[t->nkeys++];
		nk->fingerprint = mech_strdup(k->fingerprint);
		nk->type = mech_strdup(k->type);
		nk->key = mech_strdup(k->key);
		nk->comment = mech_strdup(k->comment ? k->comment : "");
		mech_tenant_key_identity(t, nk->comment, &nk->name, &nk->email);
		(*added)++;
	}
	return 0;
}

int mech_tenant_add(const mech_config *cfg, const mech_tenant_add_opts *opts,
		    mech_tenant_add_result *out)
{
	mech_tenant *t = NULL;
	mech_repo *repo = NULL;
	char *dir = NULL, *file;
	seed_plan plan;
	mech_txn_opts txo;
	int rc = -1, exists, made_dir = 0;

	memset(out, 0, sizeof(*out));
	if (mech_validate_tenant_name(opts->name) < 0 || mech_layout_check_tenant(opts->name) < 0 ||
	    validate_identity(opts->ident_name, opts->ident_email) < 0 ||
	    (opts->repo_url && *opts->repo_url &&
	     mech_validate_url("--repo-url", opts->repo_url) < 0))
		return -1;
	file = tenant_file(cfg, opts->name);
	exists = access(file, F_OK) == 0;
	free(file);
	if (exists) {
		if (mech_tenant_load(cfg, opts->name, &t) < 0)
			return -1;
	} else {
		t = mech_calloc(1, sizeof(*t));
		t->name = mech_strdup(opts->name);
		t->ns = mech_layout_namespace(opts->name);
		t->identity.name = mech_strdup(opts->ident_name ? opts->ident_name : opts->name);
		t->identity.email = opts->ident_email ? mech_strdup(opts->ident_email)
						      : mech_sprintf("%s@localhost", opts->name);
	}
	if (add_keys(cfg, t, opts, &out->keys_added) < 0)
		goto done;
	if (opts->repo_url) {
		free(t->repo_url);
		t->repo_url = mech_strdup(opts->repo_url);
	}
	dir = mech_config_tenant_dir(cfg, opts->name);
	made_dir = access(dir, F_OK) != 0;
	if (mech_mkdir_p(dir, 0750) < 0 || save_tenant(cfg, t) < 0)
		goto done;
	out->created = !exists;
	if (!exists && mech_repo_create(cfg, opts->name) < 0)
		goto done;
	if (mech_repo_open(&repo, cfg, opts->name) < 0)
		goto done;
	/* an empty remote gets the local history first: only then is the tenant there */
	if (exists && (out->published = mech_repo_publish(repo)) < 0)
		goto done;
	out->repo_url = mech_tenant_repo_url(cfg, t);
	memset(&plan, 0, sizeof(plan));
	plan.spec.tenant = opts->name;
	plan.spec.repo_url = out->repo_url;
	plan.spec.branch = cfg->gitops_branch;
	plan.spec.argocd_namespace = cfg->argocd_namespace;
	memset(&txo, 0, sizeof(txo));
	txo.verb = "tenant.seed";
	txo.target = mech_sprintf("tenant/%s", opts->name);
	txo.author = &t->identity;
	txo.plan = plan_seed;
	plan.repo = repo;
	txo.payload = &plan;
	rc = mech_gitops_apply(repo, &txo, &out->seed);
	free((char *)txo.target);
	if (rc == 0) {
		git_oid head;
		out->retargeted = plan.retargeted && out->seed.commit[0];
		out->adopted = !out->seed.commit[0] && !out->published &&
			       mech_repo_head(repo, &head) == 0;
		mech_error_clear();
	}
done:
	mech_repo_free(repo);
	/* a tenant that could not be seeded was never added: leave no trace of it */
	if (rc < 0 && made_dir)
		mech_remove_tree(dir);
	mech_tenant_free(t);
	free(dir);
	return rc;
}

/* ---- keys of an existing tenant, and removing a tenant ---- */

/* A registered tenant's record, locked against other writers. 0 or -1 (4 when unknown). */
static int lock_tenant(const mech_config *cfg, const char *name, int *lock)
{
	char *file, *path;
	int rc;

	*lock = -1;
	if (mech_validate_name("tenant", name) < 0)
		return -1;
	file = tenant_file(cfg, name);
	rc = access(file, F_OK);
	free(file);
	if (rc != 0) {
		mech_error_set(MECH_ENOT_FOUND, "unknown tenant \"%s\" in %s", name, cfg->home);
		return mech_error_hint("`mech admin tenant list` shows the tenants");
	}
	path = mech_lock_path(cfg, name);
	rc = mech_lock_take(path, name, lock);
	free(path);
	return rc;
}

static int open_tenant(const mech_config *cfg, const char *name, mech_tenant **t, int *lock)
{
	*t = NULL;
	if (lock_tenant(cfg, name, lock) < 0)
		return -1;
	if (mech_tenant_load(cfg, name, t) < 0) {
		mech_lock_release(lock);
		return -1;
	}
	return 0;
}

static void copy_key(mech_tenant_key *to, const mech_tenant_key *from)
{
	to->fingerprint = mech_strdup(from->fingerprint);
	to->type = mech_strdup(from->type ? from->type : "");
	to->key = mech_strdup(from->key ? from->key : "");
	to->comment = mech_strdup(from->comment ? from->comment : "");
	to->name = mech_strdup(from->name ? from->name : "");
	to->email = mech_strdup(from->email ? from->email : "");
}

void mech_tenant_key_dispose(mech_tenant_key *k)
{
	free(k->fingerprint);
	free(k->type);
	free(k->key);
	free(k->comment);
	free(k->name);
	free(k->email);
	memset(k, 0, sizeof(*k));
}

int mech_tenant_key_add(const mech_config *cfg, const char *tenant, const mech_tenant_key *key,
			mech_tenant_key *out)
{
	mech_tenant *t = NULL;
	mech_tenant_add_opts o;
	int lock, added = 0, rc = -1;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (open_tenant(cfg, tenant, &t, &lock) < 0)
		return -1;
	memset(&o, 0, sizeof(o));
	o.name = tenant;
	o.keys = key;
	o.nkeys = 1;
	/* one owner per key: refused when another tenant has it */
	if (add_keys(cfg, t, &o, &added) < 0)
		goto done;
	if (added && save_tenant(cfg, t) < 0)
		goto done;
	for (i = 0; i < t->nkeys; i++)
		if (!strcmp(t->keys[i].fingerprint, key->fingerprint))
			copy_key(out, &t->keys[i]);
	rc = added;
done:
	mech_lock_release(&lock);
	mech_tenant_free(t);
	return rc;
}

int mech_tenant_key_remove(const mech_config *cfg, const char *tenant, const char *fingerprint,
			   mech_tenant_key *out)
{
	mech_tenant *t = NULL;
	int lock, rc = -1;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (open_tenant(cfg, tenant, &t, &lock) < 0)
		return -1;
	for (i = 0; i < t->nkeys; i++)
		if (!strcmp(t->keys[i].fingerprint, fingerprint))
			break;
	if (i == t->nkeys) {
		mech_error_set(MECH_ENOT_FOUND, "key %s is not registered to tenant %s",
			       fingerprint, tenant);
		mech_error_hint("`mech admin tenant key list %s` shows its keys", tenant);
		goto done;
	}
	*out = t->keys[i];
	memmove(&t->keys[i], &t->keys[i + 1], (t->nkeys - i - 1) * sizeof(*t->keys));
	t->nkeys--;
	if (save_tenant(cfg, t) < 0) {
		/* nothing was written: the record still holds the key */
		mech_tenant_key_dispose(out);
		goto done;
	}
	rc = 0;
done:
	mech_lock_release(&lock);
	mech_tenant_free(t);
	return rc;
}

int mech_tenant_remove(const mech_config *cfg, const char *tenant, int purge, mech_strv *deleted,
		       mech_strv *kept)
{
	char *file, *dir, *repo, *cache;
	int lock, rc = -1;

	/* not loaded: a record too damaged to load can be removed all the same */
	if (lock_tenant(cfg, tenant, &lock) < 0)
		return -1;
	file = tenant_file(cfg, tenant);
	dir = mech_config_tenant_dir(cfg, tenant);
	repo = mech_config_repo_path(cfg, tenant);
	cache = mech_config_cache_dir(cfg, tenant);
	/* the record first: from here on ssh-keys serves none of the tenant's keys */
	if (unlink(file) < 0) {
		mech_error_set(MECH_EFAILED, "cannot remove %s: %s", file, strerror(errno));
		goto done;
	}
	mech_strv_push(deleted, file);
	if (purge) {
		if (access(cache, F_OK) == 0) {
			if (mech_remove_tree(cache) < 0)
				goto done;
			mech_strv_push(deleted, cache);
		}
		if (mech_remove_tree(dir) < 0)
			goto done;
		mech_strv_push(deleted, dir);
	} else {
		if (access(repo, F_OK) == 0)
			mech_strv_push(kept, repo);
		if (access(cache, F_OK) == 0)
			mech_strv_push(kept, cache);
	}
	rc = 0;
done:
	mech_lock_release(&lock);
	free(file);
	free(dir);
	free(repo);
	free(cache);
	return rc;
}

char *mech_tenant_repo_url(const mech_config *cfg, const mech_tenant *t)
{
	char *url, *path;
	if (t->repo_url && *t->repo_url)
		return mech_config_expand(t->repo_url, t->name);
	if (*cfg->argocd_repo_url)
		return mech_config_expand(cfg->argocd_repo_url, t->name);
	url = mech_config_remote_for(cfg, t->name);
	if (*url)
		return url;
	/* no remote: Argo CD would read the local repo itself */
	free(url);
	path = mech_config_repo_path(cfg, t->name);
	url = mech_sprintf("file://%s", path);
	free(path);
	return url;
}

void mech_tenant_add_result_dispose(mech_tenant_add_result *r)
{
	free(r->repo_url);
	r->repo_url = NULL;
	mech_txn_result_dispose(&r->seed);
}

static const char default_config[] =
	"# mech configuration (see mech.yaml(5) and DESIGN §9). Every key is optional.\n"
	"machine: {name: Mechanics, email: mechanics@localhost}\n"
	"gitops: {branch: main, remote: \"\"}\n"
	"argocd: {url: \"\", token_file: \"\", ca_file: \"\", namespace: argocd, timeout_ms: 5000}\n"
	"kubernetes: {url: \"\", token_file: \"\", ca_file: \"\"}\n"
	"routes: {base_domain: apps.localhost, gateway: {name: mech, namespace: mech-gateway}}\n"
	"console: {theme: default, refresh: live}\n";

int mech_home_init(const char *home)
{
	char *file = mech_sprintf("%s/mech.yaml", home);
	char *tenants = mech_sprintf("%s/tenants", home);
	char *cache = mech_sprintf("%s/cache", home);
	int rc = 0;
	if (mech_mkdir_p(tenants, 0755) < 0 || mech_mkdir_p(cache, 0755) < 0)
		rc = -1;
	else if (access(file, F_OK) != 0)
		rc = mech_file_write_atomic(file, default_config, sizeof(default_config) - 1,
					    0644) < 0
			     ? -1
			     : 1;
	free(file);
	free(tenants);
	free(cache);
	return rc;
}
