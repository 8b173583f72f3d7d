/* SPDX-License-Identifier: Apache-2.0 */
#include "mech/policy.h"
#include "mech/buf.h"
#include "mech/error.h"

#include <stdlib.h>
#include <string.h>

int mech_policy_needs_force(const mech_writer *w)
{
	/* forced commits are machine-authored: only a human's change is protected */
	return !git_oid_is_zero(&w->commit) && w->cls == MECH_CLASS_HUMAN;
}

int mech_policy_describe(git_repository *repo, const git_oid *commit, mech_policy_conflict *out)
{
	git_commit *c;
	const git_signature *a;
	const char *msg;
	char date[32];

	memset(out, 0, sizeof(*out));
	if (git_commit_lookup(&c, repo, commit) < 0)
		return mech_error_git(MECH_EFAILED, "cannot read commit");
	a = git_commit_author(c);
	msg = git_commit_message(c);
	git_oid_tostr(out->commit, sizeof(out->commit), commit);
	out->author = mech_sprintf("%s <%s>", a->name, a->email);
	mech_format_time(&a->when, date, sizeof(date));
	out->date = mech_strdup(date);
	out->subject = mech_strndup(msg, strcspn(msg, "\n"));
	git_commit_free(c);
	return 0;
}

void mech_policy_conflict_dispose(mech_policy_conflict *c)
{
	free(c->author);
	free(c->date);
	free(c->subject);
	memset(c, 0, sizeof(*c));
}
