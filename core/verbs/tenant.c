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

typedef struct {
	mech_repo *repo;
	const mech_seed_spec *spec;
} seed_ctx;

/*
 * A seeded branch is adopted, and its argocd/ files that mech wrote last are
 * brought to today's render: a repository seeded before MECH_LAYOUT_SEP gets
 * the Application names of docs/formats.md ("Names") at its next `tenant
 * add`. A file a human changed last is the human's; it stays as it is.
 */
static int plan_reseed(mech_txn *txn, seed_ctx *c)
{
	size_t i;
	for (i = 0; i < sizeof(seed_files) / sizeof(*seed_files); i++) {
		mech_buf b = MECH_BUF_INIT;
		mech_writer w;
		if (!seed_files[i].argocd || mech_txn_exists(txn, seed_files[i].path) <= 0)
			continue;
		if (mech_repo_last_writer(c->repo, seed_files[i].path, &w) < 0)
			return -1;
		if (w.cls != MECH_CLASS_MACHINE)
			continue;
		if (seed_files[i].render(c->spec, &b) < 0) {
			mech_buf_dispose(&b);
			return -1;
		}
		mech_txn_write_buf(txn, seed_files[i].path, &b);
		mech_buf_dispose(&b);
	}
	mech_txn_summary(txn, "update the argocd files of tenant %s", c->spec->tenant);
	return 0;
}

static int plan_seed(mech_txn *txn, void *payload)
{
	seed_ctx *c = payload;
	mech_strv top = MECH_STRV_INIT;
	size_t i;
	int seeded = mech_txn_list(txn, "", &top) > 0;
	mech_strv_dispose(&top);
	if (seeded)
		return plan_reseed(txn, c);
	for (i = 0; i < sizeof(seed_files) / sizeof(*seed_files); i++) {
		mech_buf b = MECH_BUF_INIT;
		if (seed_files[i].render(c->spec, &b) < 0) {
			mech_buf_dispose(&b);
			return -1;
		}
		mech_txn_write_buf(txn, seed_files[i].path, &b);
		mech_buf_dispose(&b);
	}
	mech_txn_summary(txn, "seed tenant %s", c->spec->tenant);
	return 0;
}

static int init_repo(const mech_config *cfg, const char *name)
{
	git_repository *repo = NULL;
	git_repository_init_options o = GIT_REPOSITORY_INIT_OPTIONS_INIT;
	char *path = mech_config_repo_path(cfg, name);
	char *head = mech_sprintf("refs/heads/%s", cfg->gitops_branch);
	int rc = 0;
	o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
	o.initial_head = head;
	o.description = "mech tenant GitOps repository";
	if (git_repository_init_ext(&repo, path, &o) < 0)
		rc = mech_error_git(MECH_EFAILED, "cannot create the tenant repository");
	git_repository_free(repo);
	free(path);
	free(head);
	return rc;
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
	char *dir = NULL, *repo_url = NULL, *file;
	mech_seed_spec spec;
	seed_ctx sc;
	mech_txn_opts txo;
	int rc = -1, exists, made_dir = 0;

	memset(out, 0, sizeof(*out));
	if (mech_validate_tenant_name(opts->name) < 0 || mech_layout_check_tenant(opts->name) < 0 ||
	    validate_identity(opts->ident_name, opts->ident_email) < 0)
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
	dir = mech_config_tenant_dir(cfg, opts->name);
	made_dir = access(dir, F_OK) != 0;
	if (mech_mkdir_p(dir, 0750) < 0 || save_tenant(cfg, t) < 0)
		goto done;
	out->created = !exists;
	if (!exists && init_repo(cfg, opts->name) < 0)
		goto done;
	if (mech_repo_open(&repo, cfg, opts->name) < 0)
		goto done;
	repo_url = mech_config_remote_for(cfg, opts->name);
	if (!*repo_url) {
		/* no remote: Argo CD would read the local repo itself */
		char *path = mech_config_repo_path(cfg, opts->name);
		free(repo_url);
		repo_url = mech_sprintf("file://%s", path);
		free(path);
	}
	spec.tenant = opts->name;
	spec.repo_url = repo_url;
	spec.branch = cfg->gitops_branch;
	spec.argocd_namespace = cfg->argocd_namespace;
	memset(&txo, 0, sizeof(txo));
	txo.verb = "tenant.seed";
	txo.target = mech_sprintf("tenant/%s", opts->name);
	txo.author = &t->identity;
	txo.plan = plan_seed;
	sc.repo = repo;
	sc.spec = &spec;
	txo.payload = &sc;
	rc = mech_gitops_apply(repo, &txo, &out->seed);
	free((char *)txo.target);
	if (rc == 0) {
		git_oid head;
		out->adopted = !out->seed.commit[0] && mech_repo_head(repo, &head) == 0;
		mech_error_clear();
	}
done:
	mech_repo_free(repo);
	/* a tenant that could not be seeded was never added: leave no trace of it */
	if (rc < 0 && made_dir)
		mech_remove_tree(dir);
	mech_tenant_free(t);
	free(dir);
	free(repo_url);
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

void mech_tenant_add_result_dispose(mech_tenant_add_result *r)
{
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
