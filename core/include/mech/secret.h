/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_SECRET_H
#define MECH_SECRET_H

#include "mech/app.h"

/*
 * `mech secret`: a value goes only to the cluster (a Kubernetes Secret in
 * x-<tenant>, mech/kube.h); Git keeps a ledger of it, secrets/<name>.yaml
 * (MECH_LAYOUT_SECRETS): the Secret's keys, each with a version that
 * grows by one with every set, who set it and when. Never a value, nor a
 * hash of one (a hash of a short value gives the value away). The verbs
 * here write the ledger only; the shell writes the cluster first.
 */

/** The most bytes a value may have (the API server's limit on a whole Secret). */
#define MECH_SECRET_VALUE_MAX (1u << 20)

typedef struct {
	char *key;
	long long version;
	char *set_by; /* "Name <email>" */
	char *set_at; /* RFC 3339 UTC */
} mech_secret_key;

typedef struct {
	char *name;
	char *file; /* secrets/<name>.yaml */
	char *namespace;
	mech_secret_key *keys;
	size_t nkeys;
	mech_writer writer; /* last writer of the ledger */
} mech_secret_state;

/**
 * A secret name: a DNS label as every mech name (mech_validate_name), and
 * none of the names CloudNativePG gives an addon's Secrets (<addon>-app,
 * -ca, -server, -replication, -superuser). MECH_EINVALID otherwise.
 */
int mech_secret_check_name(const char *name);
/** A key: [-._a-zA-Z0-9]+, at most 253 characters, not "." or "..". */
int mech_secret_check_key(const char *key);

/**
 * Record in the ledger that `key` of `name` was set: its version grows by
 * one (1 for a new key). *version receives it. Verb secret.set.
 */
int mech_secret_record_set(mech_repo *repo, const mech_write_opts *w, const char *name,
			   const char *key, long long *version, mech_txn_result *res);
/** Remove `key` from the ledger (MECH_ENOT_FOUND when absent). Verb secret.unset. */
int mech_secret_record_unset(mech_repo *repo, const mech_write_opts *w, const char *name,
			     const char *key, mech_txn_result *res);
/** Delete the ledger (destructive: needs --force). Verb secret.delete. */
int mech_secret_record_delete(mech_repo *repo, const mech_write_opts *w, const char *name,
			      mech_txn_result *res);

/** Every ledger at the branch head, sorted by name. */
int mech_secret_list(mech_repo *repo, mech_secret_state **out, size_t *n);
/** One ledger; MECH_ENOT_FOUND (with "did you mean") when absent. */
int mech_secret_get(mech_repo *repo, const char *name, mech_secret_state **out);
void mech_secret_state_free(mech_secret_state *s, size_t n);

#endif
