/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_POLICY_H
#define MECH_POLICY_H

#include <git2.h>

#include "mech/receipt.h"

/*
 * The write policy (DESIGN §5): a path whose last writer is human needs
 * --force; destructive verbs always need --force.
 */

typedef struct {
	char commit[GIT_OID_HEXSZ + 1];
	char *author; /* "Name <email>" */
	char *date;   /* ISO 8601 UTC */
	char *subject;
} mech_policy_conflict;

/** Does overwriting or deleting a path last written by `w` need --force? */
int mech_policy_needs_force(const mech_writer *w);
/** Describe the commit behind a conflict (sha, author, date, subject). */
int mech_policy_describe(git_repository *repo, const git_oid *commit, mech_policy_conflict *out);
void mech_policy_conflict_dispose(mech_policy_conflict *c);

#endif
