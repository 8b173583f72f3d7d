/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one duration syntax (mech_parse_duration): what `--timeout` and the
 * sim's delays accept, exactly in milliseconds, and how a bad one is named.
 * And mech_live_judge on error conditions: fresh ones end a wait, stale ones do not;
 * mech_live_reach, the console's many "has Argo CD reached this?" at once, against Git.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mech/argocd.h"
#include "mech/buf.h"
#include "mech/error.h"
#include "mech/live.h"

static void expect_ms(const char *s, long want)
{
	long got = -1;
	int rc = mech_parse_duration("--timeout", s, &got);
	cr_expect_eq(rc, 0, "\"%s\" refused: %s", s, rc ? mech_error_last()->message : "");
	cr_expect_eq(got, want, "\"%s\": %ld ms, wanted %ld", s, got, want);
}

static void expect_bad(const char *s, const char *why)
{
	long got = 777;
	const mech_error *e;
	cr_assert_eq(mech_parse_duration("--timeout", s, &got), -1, "\"%s\" accepted as %ld", s,
		     got);
	cr_expect_eq(got, 777, "\"%s\": output written on failure", s);
	e = mech_error_last();
	cr_assert_not_null(e);
	cr_expect_eq(e->code, MECH_EINVALID);
	cr_expect_eq(mech_error_exit(e->code), 65);
	cr_expect(strstr(e->message, "invalid --timeout \""), "does not name the argument: %s",
		  e->message);
	cr_expect(strstr(e->message, why), "\"%s\": \"%s\" lacks \"%s\"", s, e->message, why);
	cr_expect(strstr(e->message, "1m30s"), "no example: %s", e->message);
	cr_expect_null(strchr(e->message, '\n'));
}

Test(duration, integers_with_units)
{
	expect_ms("500ms", 500);
	expect_ms("30s", 30000);
	expect_ms("5m", 300000);
	expect_ms("1h", 3600000);
	expect_ms("24h", 86400000);
	expect_ms("0", 0);
	expect_ms("0s", 0);
	expect_ms("1ms", 1);
	expect_ms("007s", 7000);
}

Test(duration, parts_are_summed)
{
	expect_ms("1m30s", 90000);
	expect_ms("2h45m", 9900000);
	expect_ms("1h1m1s1ms", 3661001);
	expect_ms("30s1m", 90000); /* as Go: any order */
}

Test(duration, fractions_are_exact)
{
	expect_ms("1.5s", 1500);
	expect_ms("0.25s", 250);
	expect_ms("0.1s", 100);
	expect_ms("1.5m", 90000);
	expect_ms("0.5h", 1800000);
	expect_ms("1.000000000000s", 1000); /* trailing zeros beyond what is kept */
	expect_ms("1.5m30.5s", 120500);
	expect_ms("2.0ms", 2);
}

Test(duration, refuses_what_is_not_a_duration)
{
	expect_bad("", "empty");
	expect_bad("-1s", "negative");
	expect_bad("+1s", "sign");
	expect_bad("5", "needs a unit");
	expect_bad("1s5", "needs a unit");
	expect_bad("1x", "unknown unit");
	expect_bad("1d", "unknown unit");
	expect_bad("1us", "unknown unit");
	expect_bad("1ns", "unknown unit");
	expect_bad("1S", "unknown unit");
	expect_bad("1sx", "unknown unit");
	expect_bad("1s ", "unknown unit");
	expect_bad("1 s", "unknown unit");
	expect_bad(" 1s", "start with a digit");
	expect_bad(".5s", "start with a digit");
	expect_bad("s", "start with a digit");
	expect_bad("1.s", "digits after");
	expect_bad("1..5s", "digits after");
	expect_bad("1.5.5s", "needs a unit");
	expect_bad("0.5ms", "finer than a millisecond");
	expect_bad("1.0001s", "finer than a millisecond");
	expect_bad("0.0000000001h", "finer than a millisecond");
}

Test(duration, refuses_overflow)
{
	expect_bad("24h1ms", "longer than 24h");
	expect_bad("25h", "longer than 24h");
	expect_bad("86400001ms", "longer than 24h");
	expect_bad("99999999999999999999999s", "longer than 24h");
	expect_bad("9223372036854775807ms", "longer than 24h");
	expect_bad("1440m1440m", "longer than 24h");
}

Test(duration, a_hostile_value_is_escaped_in_the_message)
{
	long ms;
	cr_assert_eq(mech_parse_duration("--sync-delay", "1s\n\x1b[2J", &ms), -1);
	cr_expect(strstr(mech_error_last()->message, "invalid --sync-delay \"1s\\x0a\\x1b[2J\""),
		  "%s", mech_error_last()->message);
}

/* ---- mech_live_judge: error conditions end a wait, stale ones do not ---- */

#define WRITTEN_AT "2026-08-22T11:02:05Z"
#define WRITTEN 1787396525LL /* WRITTEN_AT in Unix seconds */
#define REV "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"

/* An Application as Argo CD shows it when kustomize fails: Unknown, no revision. */
static mech_argocd_app *app_with(const char *type, const char *reconciled_at)
{
	char *text = mech_sprintf(
		"{\"metadata\":{\"name\":\"alice--web--main\"},"
		"\"status\":{\"sync\":{\"status\":\"Unknown\"},\"health\":{\"status\":\"Healthy\"},"
		"\"reconciledAt\":\"%s\",\"conditions\":[{\"type\":\"%s\",\"message\":"
		"\"Failed to load target state: failed to generate manifest for source 1 of 1: "
		"rpc error: code = Unknown desc = missing.yaml: no such file\"}]}}",
		reconciled_at, type);
	cJSON *doc = cJSON_Parse(text);
	mech_argocd_app *app = NULL;
	cr_assert_not_null(doc);
	cr_assert_eq(mech_argocd_app_parse(doc, &app), 0);
	cJSON_Delete(doc);
	free(text);
	return app;
}

static mech_live_state judge(const mech_argocd_app *app, long long since, int fresh, char **why)
{
	mech_live_want want = {REV, NULL, NULL, since, fresh};
	return mech_live_judge(app, &want, why);
}

Test(judge, time_parses_as_rfc3339)
{
	cr_expect_eq(mech_live_parse_time(WRITTEN_AT), WRITTEN);
	cr_expect_eq(mech_live_parse_time("2026-08-22T11:02:05.123456Z"), WRITTEN);
	cr_expect_eq(mech_live_parse_time("2026-08-22T13:02:05+02:00"), WRITTEN);
	cr_expect_eq(mech_live_parse_time(""), -1);
	cr_expect_eq(mech_live_parse_time("2026-08-22"), -1);
	cr_expect_eq(mech_live_parse_time("2026-08-22T11:02:05Zjunk"), -1);
}

Test(judge, a_comparison_error_after_the_write_fails_at_once)
{
	static const char *const types[] = {"ComparisonError", "InvalidSpecError", "SyncError"};
	size_t i;
	for (i = 0; i < 3; i++) {
		char *why = NULL;
		/* reconciled in the second of the commit, and a minute later */
		mech_argocd_app *same = app_with(types[i], WRITTEN_AT);
		mech_argocd_app *later = app_with(types[i], "2026-08-22T11:03:05Z");
		cr_expect_eq(judge(same, WRITTEN, 0, &why), MECH_LIVE_FAILED, "%s", types[i]);
		cr_assert_not_null(why);
		cr_expect(strstr(why, types[i]) == why, "reason names the condition: %s", why);
		cr_expect(strstr(why, "missing.yaml: no such file"),
			  "reason carries the message: %s", why);
		free(why);
		cr_expect_eq(judge(later, WRITTEN, 0, &why), MECH_LIVE_FAILED, "%s", types[i]);
		free(why);
		mech_argocd_app_free(same);
		mech_argocd_app_free(later);
	}
}

Test(judge, a_condition_from_before_the_write_is_stale)
{
	char *why = NULL;
	mech_argocd_app *app = app_with("ComparisonError", "2026-08-22T11:02:04Z");
	/* the controller has not compared our commit yet: the error is the old head's */
	cr_expect_eq(judge(app, WRITTEN, 0, &why), MECH_LIVE_PROGRESSING);
	cr_expect_null(why);
	/* unknown write time: nothing says the condition is ours */
	cr_expect_eq(judge(app, 0, 0, &why), MECH_LIVE_PROGRESSING);
	cr_expect_null(why);
	/* a refreshed answer is about the current head, whatever its clock says */
	cr_expect_eq(judge(app, WRITTEN, 1, &why), MECH_LIVE_FAILED);
	free(why);
	/* no wanted revision: any error condition counts */
	cr_expect_eq(mech_live_judge(app, NULL, &why), MECH_LIVE_FAILED);
	free(why);
	mech_argocd_app_free(app);
}

Test(judge, a_warning_condition_does_not_fail)
{
	char *why = NULL;
	mech_argocd_app *app = app_with("OrphanedResourceWarning", "2026-08-22T11:03:05Z");
	cr_expect_eq(judge(app, WRITTEN, 1, &why), MECH_LIVE_PROGRESSING);
	cr_expect_null(why);
	mech_argocd_app_free(app);
}

/* ---- many wants against one head (mech_live_reach) ---- */

static char reach_dir[64];

static int reach_rm(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static void reach_cleanup(void)
{
	if (reach_dir[0])
		nftw(reach_dir, reach_rm, 16, FTW_DEPTH | FTW_PHYS);
	reach_dir[0] = '\0';
	git_libgit2_shutdown();
}

static git_repository *reach_repo(void)
{
	git_repository *repo;
	git_libgit2_init();
	snprintf(reach_dir, sizeof(reach_dir), "/tmp/mech-reach-XXXXXX");
	cr_assert_not_null(mkdtemp(reach_dir));
	cr_assert_eq(git_repository_init(&repo, reach_dir, 1), 0);
	return repo;
}

/* a commit with the empty tree, PARENTS n of them, told apart by `seq` */
static git_oid reach_commit(git_repository *repo, const git_oid *parents, size_t n, int seq)
{
	git_treebuilder *tb;
	git_oid tree_id, id;
	git_tree *tree;
	git_signature *sig;
	const git_commit *pc[2];
	git_commit *owned[2] = {NULL, NULL};
	size_t i;
	char msg[32];
	cr_assert_eq(git_treebuilder_new(&tb, repo, NULL), 0);
	cr_assert_eq(git_treebuilder_write(&tree_id, tb), 0);
	git_treebuilder_free(tb);
	cr_assert_eq(git_tree_lookup(&tree, repo, &tree_id), 0);
	cr_assert_eq(git_signature_new(&sig, "t", "t@example.com", 1700000000 + seq, 0), 0);
	for (i = 0; i < n; i++) {
		cr_assert_eq(git_commit_lookup(&owned[i], repo, &parents[i]), 0);
		pc[i] = owned[i];
	}
	snprintf(msg, sizeof(msg), "c%d\n", seq);
	cr_assert_eq(git_commit_create(&id, repo, NULL, sig, sig, NULL, msg, tree, n, pc), 0);
	for (i = 0; i < n; i++)
		git_commit_free(owned[i]);
	git_signature_free(sig);
	git_tree_free(tree);
	return id;
}

/*
 * A history with merges and side branches outside the head's history; the
 * head moves forward (and now and then sideways). For every synced revision
 * and every want in head's history, the batch answer is Git's: which
 * commits each one contains is worked out here from the parents, and
 * checked once against git_graph_descendant_of.
 */
#define REACH_N 90

Test(reach, agrees_with_git_on_random_histories, .fini = reach_cleanup)
{
	git_repository *repo = reach_repo();
	static unsigned char has[REACH_N][REACH_N]; /* has[a][b]: b is a or in a's history */
	git_oid c[REACH_N];
	size_t k, j, h, s, hi;
	unsigned seed = 19;
	mech_live_reach *r = mech_live_reach_new();
	char hex[GIT_OID_HEXSZ + 1];
	memset(has, 0, sizeof(has));
	c[0] = reach_commit(repo, NULL, 0, 0);
	has[0][0] = 1;
	for (k = 1; k < REACH_N; k++) {
		size_t p[2], np = 1, i;
		git_oid po[2];
		p[0] = k - 1 - (rand_r(&seed) % (k < 4 ? 1 : 3));
		if (k > 6 && rand_r(&seed) % 5 == 0)
			p[np++] = rand_r(&seed) % (k - 1);
		for (i = 0; i < np; i++) {
			po[i] = c[p[i]];
			for (j = 0; j < k; j++)
				has[k][j] |= has[p[i]][j];
		}
		has[k][k] = 1;
		c[k] = reach_commit(repo, po, np, (int)k);
	}
	for (k = REACH_N - 10; k < REACH_N; k++) /* the model is Git's */
		for (j = 0; j < REACH_N; j += 7)
			cr_assert_eq(has[k][j],
				     k == j || git_graph_descendant_of(repo, &c[k], &c[j]) == 1,
				     "c%zu, c%zu", k, j);
	static const size_t heads[] = {60, 65, 70, 75, 80,
				       85, 62, 89, 71, 88}; /* on, back, aside */
	for (hi = 0; hi < sizeof(heads) / sizeof(*heads); hi++) {
		h = heads[hi];
		for (s = 0; s < REACH_N; s += 3) {
			git_oid_tostr(hex, sizeof(hex), &c[s]);
			for (k = 0; k < REACH_N; k++) {
				if (!has[h][k])
					continue; /* wants are of head's history */
				cr_assert_eq(mech_live_reach_check(r, repo, &c[h], hex, &c[k]),
					     has[s][k], "head c%zu, revision c%zu, want c%zu", h, s,
					     k);
			}
		}
	}
	mech_live_reach_free(r);
	git_repository_free(repo);
}

/*
 * The console's case: Argo CD one write behind on a long history. Asking
 * for every instance walks the one commit of the lag once, not the history
 * down to each instance's last writer; a moved head walks only what is new.
 */
Test(reach, one_walk_of_the_lag_answers_every_want, .fini = reach_cleanup)
{
	git_repository *repo = reach_repo();
	git_oid c[400];
	size_t k;
	mech_live_reach *r = mech_live_reach_new();
	char behind[GIT_OID_HEXSZ + 1];
	c[0] = reach_commit(repo, NULL, 0, 0);
	for (k = 1; k < 400; k++)
		c[k] = reach_commit(repo, &c[k - 1], 1, (int)k);
	git_oid_tostr(behind, sizeof(behind), &c[398]);
	for (k = 0; k < 400; k++)
		cr_assert_eq(mech_live_reach_check(r, repo, &c[399], behind, &c[k]), k < 399,
			     "want c%zu", k);
	cr_assert_eq(mech_live_reach_walked(r), 1);
	for (k = 0; k < 400; k += 50)
		cr_assert(mech_live_reach_check(r, repo, &c[399], behind, &c[k]));
	cr_assert_eq(mech_live_reach_walked(r), 1, "the second round walked again");
	/* head moves on by one: the walk grows by that commit only */
	{
		git_oid next = reach_commit(repo, &c[399], 1, 400);
		cr_assert_not(mech_live_reach_check(r, repo, &next, behind, &c[399]));
		cr_assert(mech_live_reach_check(r, repo, &next, behind, &c[10]));
		cr_assert_eq(mech_live_reach_walked(r), 2);
	}
	mech_live_reach_free(r);
	git_repository_free(repo);
}
