/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_BRIEF_H
#define MECH_BRIEF_H
/*
 * What a listing shows of a commit beside the path it wrote (a LAST WRITER
 * cell, `app list`'s "author"): author, email, committer time and summary.
 * A listing of every app names thousands of commits spread over the whole
 * history, and reading them from Git maps most of the pack and its index
 * (at 10,000 apps and 100,000 commits, 29 MB of the console's 57). Commits
 * never change, so a handle opened with `keep` reads the briefs its last
 * user saved (MECH_HOME/cache/<tenant>/briefs-<branch>.cache, checksummed
 * like the app cache: a damaged or foreign file is not read at all) and
 * asks Git only for the others.
 */
#include "mech/repo.h"

#include <git2.h>
#include <stddef.h>

typedef struct {
	long long time;      /* committer time */
	const char *author;  /* NULL: the commit could not be read */
	const char *email;   /* "" when author is NULL */
	const char *summary; /* git_commit_summary, "" when none */
} mech_brief;

typedef struct mech_briefs mech_briefs;

/** A table of briefs for `repo` (borrowed: it must outlive the table); `keep`: load the cache. */
mech_briefs *mech_briefs_open(mech_repo *repo, int keep);
/** The brief of commit `id`, from the table or read from Git; never NULL, valid until free. */
const mech_brief *mech_brief_of(mech_briefs *b, const git_oid *id);
/** How many briefs were read from Git since the table was opened or last saved. */
size_t mech_briefs_fresh(const mech_briefs *b);
/**
 * With `keep`, and when some brief was read from Git: write the cache with
 * the briefs asked for since the table was opened (not those only loaded,
 * so the file follows what is listed). Errors are ignored: it is a cache.
 */
void mech_briefs_save(mech_briefs *b);
void mech_briefs_free(mech_briefs *b);

#endif
