/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_TENANT_H
#define MECH_TENANT_H

#include <stddef.h>

#include "mech/buf.h"
#include "mech/config.h"
#include "mech/gitops.h"

/*
 * Tenants (DESIGN §3): MECH_HOME/tenants/<t>/tenant.yaml records the
 * namespace, the acting identity and the registered SSH keys; the GitOps
 * repo lives beside it.
 */

typedef struct {
	char *fingerprint; /* SHA256:… */
	char *type;
	char *key; /* base64 blob */
	char *comment;
	char *name; /* identity the key acts as */
	char *email;
} mech_tenant_key;

typedef struct {
	char *name;
	char *ns;
	mech_identity identity;
	mech_tenant_key *keys;
	size_t nkeys;
	char *repo_url; /* tenant.yaml repo_url: Argo CD's URL of the repo ("" = the default) */
} mech_tenant;

typedef struct {
	const char *name;
	const char *ident_name;  /* NULL: the tenant name */
	const char *ident_email; /* NULL: <tenant>@localhost */
	const mech_tenant_key *keys;
	size_t nkeys;
	const char *repo_url; /* NULL: keep tenant.yaml's; "": back to the default */
} mech_tenant_add_opts;

typedef struct {
	int created; /* 0: the tenant existed (keys were added) */
	int adopted; /* the remote was already seeded */
	int keys_added;
	int retargeted; /* argocd/ files now name another repo URL (the commit in seed) */
	int published;  /* the remote branch was empty: the local history was pushed to it */
	char *repo_url; /* the URL argocd/ files name */
	mech_txn_result seed;
} mech_tenant_add_result;

/** Load a tenant; MECH_EINVALID "unknown tenant" when it does not exist. */
int mech_tenant_load(const mech_config *cfg, const char *name, mech_tenant **out);
void mech_tenant_free(mech_tenant *t);
/** Names of all tenants, sorted. */
int mech_tenant_list(const mech_config *cfg, mech_strv *out);
/**
 * Find the tenant owning a key fingerprint. 1 found, 0 not, -1 error.
 * `skipped` NULL: a tenant record that does not load is an error. Otherwise
 * such a record is skipped and one line "FILE: why" (escaped) appended to
 * `skipped`, unless its raw text holds `fingerprint`: then it is an error
 * (MECH_ECONFIG), as the key may be that tenant's.
 */
int mech_tenant_find_key(const mech_config *cfg, const char *fingerprint, mech_tenant **out,
			 size_t *key_index, mech_strv *skipped);
/**
 * The URL Argo CD reads the tenant's repository from: tenant.yaml's repo_url,
 * else argocd.repo_url, else gitops.remote (templates expanded), else the
 * local repository's file:// URL. Never the URL of a password. Caller frees.
 */
char *mech_tenant_repo_url(const mech_config *cfg, const mech_tenant *t);
/**
 * Add a tenant (or keys to an existing one), seeding or adopting its repo.
 * When argocd/ files name another URL than mech_tenant_repo_url, they are
 * rewritten in one receipt; a remote whose branch is empty gets the local
 * history pushed.
 */
int mech_tenant_add(const mech_config *cfg, const mech_tenant_add_opts *opts,
		    mech_tenant_add_result *out);
void mech_tenant_add_result_dispose(mech_tenant_add_result *r);
/*
 * Keys of an existing tenant, and removing a tenant (`mech admin tenant key
 * add|remove`, `tenant remove`). Each takes the tenant lock and rewrites
 * tenant.yaml atomically (temp file, fsync, rename; its mode kept). An
 * unknown tenant is MECH_ENOT_FOUND; nothing is written on any error.
 */
/**
 * Register `key` (fingerprint required; type/key/comment may be "" for a key
 * known by fingerprint only) to `tenant`; it acts as its comment's e-mail or
 * the tenant's identity. 1 added, 0 already this tenant's (nothing written),
 * -1 (MECH_EINVALID when another tenant has it). `out` receives the record.
 */
int mech_tenant_key_add(const mech_config *cfg, const char *tenant, const mech_tenant_key *key,
			mech_tenant_key *out);
/** Unregister a key by fingerprint; `out` receives what was removed. 0, or -1 (4 when absent). */
int mech_tenant_key_remove(const mech_config *cfg, const char *tenant, const char *fingerprint,
			   mech_tenant_key *out);
void mech_tenant_key_dispose(mech_tenant_key *k);
/**
 * Remove a tenant from this host: its tenant.yaml goes (ssh-keys stops
 * serving its keys at once); its repository and cache stay (listed in
 * `kept`) unless `purge`, which deletes tenants/T/ and cache/T/ (listed in
 * `deleted`). A record too damaged to load is removed all the same.
 */
int mech_tenant_remove(const mech_config *cfg, const char *tenant, int purge, mech_strv *deleted,
		       mech_strv *kept);
/** The identity a key acts as: its comment when it is an e-mail address, else the tenant's. */
void mech_tenant_key_identity(const mech_tenant *t, const char *comment, char **name, char **email);
/** Create MECH_HOME and a commented mech.yaml if absent. 1 created, 0 existed. */
int mech_home_init(const char *home);

#endif
