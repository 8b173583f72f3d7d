/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Commit briefs (mech/brief.h): what a brief says is what Git says of the
 * commit, whether it was read from Git or from the cache a previous table
 * saved; a saved table answers from the file without reading Git
 * (mech_briefs_fresh counts the reads); a damaged file is not read at all;
 * the file keeps what was asked for, not what was only loaded.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mech/brief.h"
#include "mech/buf.h"
#include "mech/checksum.h"
#include "mech/config.h"
#include "mech/repo.h"

#define N 6

typedef struct {
	char dir[64];
	mech_config *cfg;
	mech_repo *repo;
	git_oid commits[N];
	char *cache;
} world;

static char current[64];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* names and subjects that need escaping in a cache line */
static const char *const names[N] = {"Alice", "Bob Q. Builder", "-dash", "back\\slash", "e", "Zoë"};
static const char *const emails[N] = {"alice@x", "b@x", "-@x", "b\\s@x", "e@x", "z@x"};
static const char *const messages[N] = {"set web image\n\nbody\n",
					"two  spaces and a trailing one \n",
					"-starts with a dash\n",
					"a \\s and \\n and \\e spelled out\n",
					"\n",
					"first line\nsecond line of the summary\n"};

static void world_open(world *w)
{
	git_repository *g;
	git_treebuilder *tb;
	git_oid tree;
	git_tree *t;
	char *path;
	int i;

	memset(w, 0, sizeof(*w));
	const char *root = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(w->dir, sizeof(w->dir), "%s/mech-brief-XXXXXX", root);
	cr_assert_not_null(mkdtemp(w->dir));
	memcpy(current, w->dir, sizeof(current));
	git_libgit2_init();
	cr_assert_eq(mech_config_load(&w->cfg, w->dir), 0);
	path = mech_config_repo_path(w->cfg, "alice");
	cr_assert_eq(git_repository_init(&g, path, 1), 0);
	free(path);
	cr_assert_eq(git_treebuilder_new(&tb, g, NULL), 0);
	cr_assert_eq(git_treebuilder_write(&tree, tb), 0);
	git_treebuilder_free(tb);
	cr_assert_eq(git_tree_lookup(&t, g, &tree), 0);
	for (i = 0; i < N; i++) {
		git_signature *a, *c;
		cr_assert_eq(git_signature_new(&a, names[i], emails[i], 1700000000 + i * 100, 60),
			     0);
		cr_assert_eq(git_signature_new(&c, "Mechanics", "m@x", 1700000000 + i * 100 + 7, 0),
			     0);
		cr_assert_eq(git_commit_create_v(&w->commits[i], g, NULL, a, c, NULL, messages[i],
						 t, 0),
			     0);
		git_signature_free(a);
		git_signature_free(c);
	}
	git_tree_free(t);
	git_repository_free(g);
	cr_assert_eq(mech_repo_open(&w->repo, w->cfg, "alice"), 0);
	w->cache = mech_repo_cache_file(w->repo, "briefs", "cache");
}

static void world_close(world *w)
{
	mech_repo_free(w->repo);
	mech_config_free(w->cfg);
	free(w->cache);
	nftw(w->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	current[0] = '\0';
	git_libgit2_shutdown();
}

static void cleanup(void)
{
	if (current[0])
		nftw(current, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(brief, .fini = cleanup);

/* the brief says what Git says of commit k */
static void is_gits(world *w, const mech_brief *b, int k)
{
	git_repository *g = mech_repo_git(w->repo);
	git_commit *c;
	cr_assert_eq(git_commit_lookup(&c, g, &w->commits[k]), 0);
	cr_assert_not_null(b->author, "commit %d has no author", k);
	cr_assert_str_eq(b->author, git_commit_author(c)->name);
	cr_assert_str_eq(b->email, git_commit_author(c)->email);
	cr_assert_eq(b->time, (long long)git_commit_time(c));
	cr_assert_str_eq(b->summary, git_commit_summary(c) ? git_commit_summary(c) : "");
	git_commit_free(c);
}

static size_t lines(const char *path)
{
	mech_buf b = MECH_BUF_INIT;
	size_t n = 0, i;
	if (mech_buf_read_file(&b, path, 0) == 0)
		for (i = 0; i < b.len; i++)
			n += b.ptr[i] == '\n';
	mech_buf_dispose(&b);
	return n;
}

/* a table that asks for commits `ks` (n of them), saves and goes; the briefs read from Git */
static size_t ask_and_save(world *w, const int *ks, size_t n)
{
	mech_briefs *t = mech_briefs_open(w->repo, 1);
	size_t i, fresh;
	for (i = 0; i < n; i++)
		mech_brief_of(t, &w->commits[ks[i]]);
	fresh = mech_briefs_fresh(t);
	mech_briefs_save(t);
	cr_assert_eq(mech_briefs_fresh(t), 0, "saved: nothing fresh any more");
	mech_briefs_free(t);
	return fresh;
}

Test(brief, read_from_git_then_from_the_cache_alone)
{
	world w;
	mech_briefs *t;
	git_oid missing;
	int k;

	world_open(&w);
	t = mech_briefs_open(w.repo, 1);
	for (k = 0; k < N; k++)
		is_gits(&w, mech_brief_of(t, &w.commits[k]), k);
	cr_assert_eq(mech_briefs_fresh(t), N, "each commit read from Git once");
	for (k = 0; k < N; k++)
		is_gits(&w, mech_brief_of(t, &w.commits[k]), k);
	cr_assert_eq(mech_briefs_fresh(t), N, "asked again: from the table");
	memset(&missing, 0x5a, sizeof(missing));
	cr_assert_null(mech_brief_of(t, &missing)->author, "a commit not in the repo has no author");
	cr_assert_str_eq(mech_brief_of(t, &missing)->summary, "");
	mech_briefs_save(t);
	mech_briefs_free(t);
	cr_assert_eq(lines(w.cache), N + 1, "the header and one line per readable commit");

	t = mech_briefs_open(w.repo, 1);
	for (k = N - 1; k >= 0; k--)
		is_gits(&w, mech_brief_of(t, &w.commits[k]), k);
	cr_assert_eq(mech_briefs_fresh(t), 0, "every brief came from the cache");
	mech_briefs_free(t);

	t = mech_briefs_open(w.repo, 0);
	is_gits(&w, mech_brief_of(t, &w.commits[0]), 0);
	cr_assert_eq(mech_briefs_fresh(t), 1, "without keep, the cache is not read");
	mech_briefs_free(t);
	world_close(&w);
}

Test(brief, a_damaged_cache_is_not_read)
{
	world w;
	mech_briefs *t;
	mech_buf b = MECH_BUF_INIT;
	char *at;
	int k;

	world_open(&w);
	t = mech_briefs_open(w.repo, 1);
	for (k = 0; k < N; k++)
		mech_brief_of(t, &w.commits[k]);
	mech_briefs_save(t);
	mech_briefs_free(t);
	cr_assert_eq(mech_buf_read_file(&b, w.cache, 0), 0);
	/* Alice becomes Mlice: believed, the view would name someone else */
	cr_assert_not_null(at = strstr(b.ptr, " Alice "));
	at[1] = 'M';
	cr_assert_eq(mech_file_write_cache(w.cache, b.ptr, b.len, 0644), 0);
	t = mech_briefs_open(w.repo, 1);
	for (k = 0; k < N; k++)
		is_gits(&w, mech_brief_of(t, &w.commits[k]), k);
	cr_assert_eq(mech_briefs_fresh(t), N, "all read from Git again");
	mech_briefs_save(t);
	mech_briefs_free(t);

	/* a line mech does not write, under a sum that matches it: not read either */
	mech_buf_clear(&b);
	mech_buf_puts(&b, "0123 not a brief\n");
	{
		char sum[MECH_CHECKSUM_HEXSZ + 1];
		char *file = mech_sprintf("mech-briefs 1 %s\n%s",
					  mech_checksum_hex(sum, mech_checksum(0, b.ptr, b.len)),
					  b.ptr);
		cr_assert_eq(mech_file_write_cache(w.cache, file, strlen(file), 0644), 0);
		free(file);
	}
	t = mech_briefs_open(w.repo, 1);
	is_gits(&w, mech_brief_of(t, &w.commits[1]), 1);
	cr_assert_eq(mech_briefs_fresh(t), 1);
	mech_briefs_free(t);
	mech_buf_dispose(&b);
	world_close(&w);
}

Test(brief, a_sum_that_matches_is_believed)
{
	/* the other side of the damaged test: the file is what is shown, so a
	 * file whose sum matches is read as written (mech/checksum.h: not a
	 * defence against a writer on purpose) */
	world w;
	mech_briefs *t;
	char hex[GIT_OID_HEXSZ + 1], sum[MECH_CHECKSUM_HEXSZ + 1], *body, *file;

	world_open(&w);
	body = mech_sprintf("%s 42 Someone\\sElse s@e \\-a\\ssummary\n",
			    git_oid_tostr(hex, sizeof(hex), &w.commits[2]));
	file = mech_sprintf("mech-briefs 1 %s\n%s",
			    mech_checksum_hex(sum, mech_checksum(0, body, strlen(body))), body);
	cr_assert_not_null(strrchr(w.cache, '/'));
	{
		char *dir = mech_strdup(w.cache);
		*strrchr(dir, '/') = '\0';
		cr_assert_eq(mech_mkdir_p(dir, 0755), 0);
		free(dir);
	}
	cr_assert_eq(mech_file_write_cache(w.cache, file, strlen(file), 0644), 0);
	t = mech_briefs_open(w.repo, 1);
	cr_assert_str_eq(mech_brief_of(t, &w.commits[2])->author, "Someone Else");
	cr_assert_str_eq(mech_brief_of(t, &w.commits[2])->summary, "-a summary");
	cr_assert_eq(mech_brief_of(t, &w.commits[2])->time, 42);
	cr_assert_eq(mech_briefs_fresh(t), 0);
	mech_briefs_free(t);
	free(body);
	free(file);
	world_close(&w);
}

Test(brief, the_file_keeps_what_was_asked_for)
{
	static const int five[] = {0, 1, 2, 3, 4}, two[] = {0, 1}, three[] = {0, 1, N - 1};
	world w;
	mech_briefs *t;

	world_open(&w);
	cr_assert_eq(ask_and_save(&w, five, 5), 5);
	cr_assert_eq(lines(w.cache), N, "the header and five briefs");
	/* loads five, asks for two of them: nothing read from Git, nothing written */
	cr_assert_eq(ask_and_save(&w, two, 2), 0);
	cr_assert_eq(lines(w.cache), N, "nothing new: the file stays");
	/* the same two and the sixth, read from Git: the file holds those three */
	cr_assert_eq(ask_and_save(&w, three, 3), 1);
	cr_assert_eq(lines(w.cache), 4, "the header and the three asked for");
	t = mech_briefs_open(w.repo, 1);
	is_gits(&w, mech_brief_of(t, &w.commits[N - 1]), N - 1);
	is_gits(&w, mech_brief_of(t, &w.commits[0]), 0);
	cr_assert_eq(mech_briefs_fresh(t), 0);
	is_gits(&w, mech_brief_of(t, &w.commits[3]), 3);
	cr_assert_eq(mech_briefs_fresh(t), 1, "the one nobody asked for went");
	mech_briefs_free(t);
	world_close(&w);
}
