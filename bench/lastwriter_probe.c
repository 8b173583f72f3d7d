/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The protection check's last-writer lookup, alone, in-process: what a
 * mech verb does before it writes a path (open the tenant repo, load the
 * index from MECH_HOME/cache, bring it to the branch head, look the path
 * up), without the CLI around it. Used by bench/bench_lastwriter.sh.
 *
 *   lastwriter_probe HOME TENANT PATH
 *
 * Prints one line: "<sha> <class> open_us=… update_us=… get_us=… total_us=…
 * walked=… rebuilt=…". Exit 0 on success.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mech/config.h"
#include "mech/error.h"
#include "mech/gitops.h"
#include "mech/lastwriter.h"
#include "mech/receipt.h"

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int fail(const char *what)
{
	const mech_error *e = mech_error_last();
	fprintf(stderr, "lastwriter_probe: %s: %s\n", what, e ? e->message : "failed");
	return 1;
}

int main(int argc, char **argv)
{
	mech_config *cfg = NULL;
	mech_repo *repo = NULL;
	mech_lastwriter *lw = NULL;
	mech_writer w;
	git_oid head;
	char *file, hex[GIT_OID_HEXSZ + 1];
	long long t0, t1, t2, t3;
	size_t walked;
	int rebuilt;

	if (argc != 4) {
		fprintf(stderr, "usage: lastwriter_probe HOME TENANT PATH\n");
		return 64;
	}
	t0 = now_us();
	git_libgit2_init();
	/* the options the mech binary sets (shell/main.c), so that the figures
	 * are mech's: no re-hashing on read, its object cache limits */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)1 << 20);
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)32 << 20);
	if (mech_config_load(&cfg, argv[1]) < 0)
		return fail("config");
	if (mech_repo_open(&repo, cfg, argv[2]) < 0)
		return fail("repo");
	if (mech_repo_head(repo, &head) < 0)
		return fail("head");
	/* the index file mech's transactions use (core/git/gitops.c) */
	file = mech_sprintf("%s/cache/%s/lastwriter-%s.idx", cfg->home, argv[2], cfg->gitops_branch);
	mech_lastwriter_open(&lw, mech_repo_git(repo), cfg, file);
	t1 = now_us();
	if (mech_lastwriter_update(lw, &head) < 0)
		return fail("update");
	t2 = now_us();
	mech_lastwriter_get(lw, argv[3], &w);
	t3 = now_us();
	mech_lastwriter_stats(lw, &walked, &rebuilt);
	printf("%s %s open_us=%lld update_us=%lld get_us=%lld total_us=%lld walked=%zu rebuilt=%d\n",
	       git_oid_is_zero(&w.commit) ? "-" : git_oid_tostr(hex, sizeof(hex), &w.commit),
	       mech_class_name(w.cls), t1 - t0, t2 - t1, t3 - t2, t3 - t0, walked, rebuilt);
	free(file);
	mech_lastwriter_free(lw);
	mech_repo_free(repo);
	mech_config_free(cfg);
	git_libgit2_shutdown();
	return 0;
}
