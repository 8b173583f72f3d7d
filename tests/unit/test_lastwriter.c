/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The last-writer index against its definition (DESIGN §5): for every path,
 * mech_lastwriter must name the commit that `git log -1 --format=%H <tip>
 * -- <path>` names, run through the git CLI. Histories are random but
 * seeded (linear commits, side branches, merges that keep either side or
 * neither, "git pull"-style merges, orphan roots, deletions, re-creations,
 * mode changes, a blob replaced by a directory and back) and built with
 * libgit2 directly in a temporary bare repository. The index is checked
 * after a fresh build, after each incremental update, after a force push,
 * and after its file was damaged.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <git2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mech/buf.h"
#include "mech/config.h"
#include "mech/error.h"
#include "mech/checksum.h"
#include "mech/history.h"
#include "mech/lastwriter.h"
#include "mech/receipt.h"

/* ---- the world: a temp dir with a bare repo, a home and an index file ---- */

typedef struct {
	char dir[64];
	char *gitdir;
	char *index_file;
	git_repository *repo;
	mech_config *cfg;
} world;

static char current[64]; /* the open world's directory, for cleanup after a failed assertion */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/*
 * $TMPDIR, else /dev/shm: these tests run the git CLI thousands of times
 * over loose objects, which is ten times slower on some disks than in memory.
 */
static const char *temp_root(void)
{
	const char *t = getenv("TMPDIR");
	if (t && *t)
		return t;
	return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

static void world_open(world *w)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->dir, sizeof(w->dir), "%s/mech-lw-XXXXXX", temp_root());
	cr_assert_not_null(mkdtemp(w->dir));
	memcpy(current, w->dir, sizeof(current));
	/* the git CLI must not read the user's configuration */
	setenv("HOME", w->dir, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
	setenv("GIT_LITERAL_PATHSPECS", "1", 1);
	setenv("TZ", "UTC", 1);
	git_libgit2_init();
	w->gitdir = mech_sprintf("%s/gitops.git", w->dir);
	w->index_file = mech_sprintf("%s/cache/lastwriter-main.idx", w->dir);
	cr_assert_eq(git_repository_init(&w->repo, w->gitdir, 1), 0);
	cr_assert_eq(mech_config_load(&w->cfg, w->dir), 0);
}

static void world_close(world *w)
{
	mech_config_free(w->cfg);
	git_repository_free(w->repo);
	nftw(w->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(w->gitdir);
	free(w->index_file);
	git_libgit2_shutdown();
	current[0] = '\0';
}

/* A failed assertion leaves the test body early: remove its directory anyway. */
static void cleanup(void)
{
	if (current[0])
		nftw(current, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(lastwriter, .fini = cleanup);

/* ---- a deterministic random source (xorshift64*) ---- */

typedef struct {
	uint64_t s;
} rng;

static unsigned rnd(rng *r, unsigned n)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return (unsigned)((r->s * 2685821657736338717ULL) >> 33) % n;
}

/* ---- tree states over a small universe of paths, so histories collide ---- */

static const char *const paths[] = {
	"README.md",
	"apps/a/base/deployment.yaml",
	"apps/a/base/service.yaml",
	"apps/a/overlays/main/kustomization.yaml",
	"apps/a-b.yaml", /* sorts between apps/a and apps/a/ in git's tree order */
	"apps/b/overlays/main/kustomization.yaml",
	"network/routes/a/main.yaml",
	"addons/db/cluster.yaml",
	"apps/c",                      /* a blob that becomes a directory and back */
	"apps/c/base/deployment.yaml", /* ... inside that directory */
	"apps/c/x.yaml",
};
#define NPATHS (sizeof(paths) / sizeof(*paths))
#define DIR_PATH 8 /* index of "apps/c" */
#define NVALUES 3  /* few values, so independent edits and reverts give equal blobs */

typedef struct {
	int val[NPATHS]; /* -1 absent */
	int exec[NPATHS];
} state;

static int nested(size_t outer, size_t inner)
{
	size_t n = strlen(paths[outer]);
	return !strncmp(paths[inner], paths[outer], n) && paths[inner][n] == '/';
}

static void state_set(state *s, size_t p, int val, int exec)
{
	size_t q;
	s->val[p] = val;
	s->exec[p] = exec;
	if (val < 0)
		return;
	/* a path cannot be both a blob and a directory */
	for (q = 0; q < NPATHS; q++)
		if (nested(p, q) || nested(q, p))
			s->val[q] = -1;
}

static void state_empty(state *s)
{
	size_t p;
	for (p = 0; p < NPATHS; p++) {
		s->val[p] = -1;
		s->exec[p] = 0;
	}
}

static void write_tree(world *w, const state *s, git_oid *out)
{
	git_index *ix;
	size_t p;
	cr_assert_eq(git_index_new(&ix), 0);
	for (p = 0; p < NPATHS; p++) {
		git_index_entry e;
		char data[64];
		if (s->val[p] < 0)
			continue;
		memset(&e, 0, sizeof(e));
		e.path = paths[p];
		e.mode = s->exec[p] ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
		snprintf(data, sizeof(data), "value: %d\n", s->val[p]);
		cr_assert_eq(git_blob_create_from_buffer(&e.id, w->repo, data, strlen(data)), 0);
		cr_assert_eq(git_index_add(ix, &e), 0, "%s", git_error_last()->message);
	}
	cr_assert_eq(git_index_write_tree_to(out, ix, w->repo), 0);
	git_index_free(ix);
}

/* ---- commits of the four kinds a tenant repo holds ---- */

typedef enum { K_MACHINE, K_HUMAN, K_FORCED, K_SPOOF } kind;

static const char *const request = "0e6a4c9e-5b1f-4c55-9a3e-0c8f1d2b7a61";

static char *message_for(kind k, unsigned n)
{
	switch (k) {
	case K_MACHINE:
		return mech_sprintf("mechanics(app.set-image): step %u\n\nMechanics-Verb: "
				    "app.set-image\nMechanics-Tenant: alice\nMechanics-Target: app/a\n"
				    "Mechanics-Request: %s\n",
				    n, request);
	case K_FORCED:
		return mech_sprintf("mechanics(app.set-image): step %u\n\nMechanics-Verb: "
				    "app.set-image\nMechanics-Tenant: alice\nMechanics-Target: app/a\n"
				    "Mechanics-Request: %s\nMechanics-Forced-Over: "
				    "0123456789abcdef0123456789abcdef01234567 %s\n",
				    n, request, paths[n % NPATHS]);
	case K_SPOOF: /* machine committer, but the trailer names another verb */
		return mech_sprintf("mechanics(app.set-image): step %u\n\nMechanics-Verb: "
				    "app.delete\nMechanics-Tenant: alice\n",
				    n);
	case K_HUMAN:
		break;
	}
	return mech_sprintf("edit by hand, step %u\n", n);
}

static void commit(world *w, const state *s, kind k, unsigned n, const git_oid *parents,
		   size_t nparents, git_oid *out)
{
	git_oid tree_id;
	git_tree *tree;
	git_signature *author, *committer;
	const git_commit *pc[2] = {NULL, NULL};
	git_commit *owned[2] = {NULL, NULL};
	git_time_t when = 1700000000 + (git_time_t)n * 60;
	char *msg = message_for(k, n);
	size_t i;

	write_tree(w, s, &tree_id);
	cr_assert_eq(git_tree_lookup(&tree, w->repo, &tree_id), 0);
	cr_assert_eq(git_signature_new(&author, "alice", "alice@example.com", when, 0), 0);
	if (k == K_HUMAN)
		cr_assert_eq(git_signature_new(&committer, "alice", "alice@example.com", when, 0),
			     0);
	else
		cr_assert_eq(git_signature_new(&committer, "Mechanics", "mechanics@localhost", when,
					       0),
			     0);
	for (i = 0; i < nparents; i++) {
		cr_assert_eq(git_commit_lookup(&owned[i], w->repo, &parents[i]), 0);
		pc[i] = owned[i];
	}
	cr_assert_eq(git_commit_create(out, w->repo, NULL, author, committer, NULL, msg, tree,
				       nparents, pc),
		     0, "%s", git_error_last()->message);
	for (i = 0; i < nparents; i++)
		git_commit_free(owned[i]);
	git_signature_free(author);
	git_signature_free(committer);
	git_tree_free(tree);
	free(msg);
}

/* ---- the reference: the git CLI ---- */

/* git log -1 for every path of the universe at once; out[p] zero when git prints nothing. */
static void git_answers(world *w, const git_oid *tip, git_oid *out)
{
	mech_buf cmd = MECH_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1], line[256];
	FILE *f;
	size_t p = 0;
	git_oid_tostr(hex, sizeof(hex), tip);
	mech_buf_puts(&cmd, "for p in");
	for (p = 0; p < NPATHS; p++)
		mech_buf_printf(&cmd, " '%s'", paths[p]);
	mech_buf_printf(&cmd,
			"; do git --git-dir='%s' log -1 --format=%%H %s -- \"$p\" || exit 1; "
			"echo .; done",
			w->gitdir, hex);
	f = popen(cmd.ptr, "r");
	cr_assert_not_null(f);
	p = 0;
	memset(out, 0, NPATHS * sizeof(*out));
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line, ".")) {
			p++;
			continue;
		}
		cr_assert_lt(p, NPATHS);
		cr_assert_eq(git_oid_fromstr(&out[p], line), 0, "git printed \"%s\"", line);
	}
	cr_assert_eq(pclose(f), 0, "git log failed");
	cr_assert_eq(p, NPATHS, "git answered %zu paths of %zu", p, NPATHS);
	mech_buf_dispose(&cmd);
}

static size_t git_count(world *w, const char *range)
{
	char *cmd = mech_sprintf("git --git-dir='%s' rev-list --count %s", w->gitdir, range);
	FILE *f = popen(cmd, "r");
	unsigned long n = 0;
	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%lu", &n), 1);
	cr_assert_eq(pclose(f), 0);
	free(cmd);
	return n;
}

static const char *hex(const git_oid *id, char *buf)
{
	if (git_oid_is_zero(id))
		return "(none)";
	return git_oid_tostr(buf, GIT_OID_HEXSZ + 1, id);
}

static int is_blob_at(world *w, const git_oid *tip, const char *path)
{
	git_commit *c;
	git_tree *t;
	git_tree_entry *e = NULL;
	int blob;
	cr_assert_eq(git_commit_lookup(&c, w->repo, tip), 0);
	cr_assert_eq(git_commit_tree(&t, c), 0);
	blob = git_tree_entry_bypath(&e, t, path) == 0 && git_tree_entry_type(e) == GIT_OBJECT_BLOB;
	git_tree_entry_free(e);
	git_tree_free(t);
	git_commit_free(c);
	return blob;
}

/*
 * Every path: the index and the direct walk name git's commit; the class is
 * the receipt's. With `dir_paths` 0, "apps/c" is compared only while it is
 * a file at the tip: for a directory path git's pathspec also matches the
 * files below it, which test blob_replaced_by_directory_and_back covers.
 */
static void check_paths(world *w, mech_lastwriter *lw, const git_oid *tip, const git_oid *want,
			const char *what, unsigned seed, unsigned step, int dir_paths)
{
	size_t p;
	for (p = 0; p < NPATHS; p++) {
		mech_writer got;
		git_oid walked;
		char a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];
		if (p == DIR_PATH && !dir_paths && !is_blob_at(w, tip, paths[p]))
			continue;
		cr_assert_eq(mech_lastwriter_get(lw, paths[p], &got), 0);
		cr_assert(git_oid_equal(&got.commit, &want[p]),
			  "%s (seed %u, step %u): last writer of %s is %s, git log says %s", what,
			  seed, step, paths[p], hex(&got.commit, a), hex(&want[p], b));
		cr_assert_eq(mech_lastwriter_walk(w->repo, tip, paths[p], &walked), 0);
		cr_assert(git_oid_equal(&walked, &want[p]),
			  "walk (seed %u, step %u): last writer of %s is %s, git log says %s", seed,
			  step, paths[p], hex(&walked, a), hex(&want[p], b));
		if (!git_oid_is_zero(&got.commit)) {
			git_commit *c;
			cr_assert_eq(git_commit_lookup(&c, w->repo, &got.commit), 0);
			cr_assert_eq(got.cls, mech_receipt_classify(c, w->cfg),
				     "%s (seed %u): %s recorded as %s, receipt says %s", what, seed,
				     paths[p], mech_class_name(got.cls),
				     mech_class_name(mech_receipt_classify(c, w->cfg)));
			git_commit_free(c);
		}
	}
	/* a path that never existed has no last writer */
	{
		mech_writer none;
		cr_assert_eq(mech_lastwriter_get(lw, "apps/never/there.yaml", &none), 0);
		cr_assert(git_oid_is_zero(&none.commit));
	}
}

static void check_against_git(world *w, mech_lastwriter *lw, const git_oid *tip, const char *what,
			      unsigned seed, unsigned step)
{
	git_oid want[NPATHS];
	git_answers(w, tip, want);
	check_paths(w, lw, tip, want, what, seed, step, 0);
}

/* ---- random histories ---- */

#define MAX_SIDES 3

typedef struct {
	git_oid tip;
	state s;
	int live;
} branch;

typedef struct {
	world *w;
	rng r;
	unsigned seed;
	unsigned n; /* commits made */
	branch main, side[MAX_SIDES];
	int have_main;
} history;

/* Called whenever main moves; `old` is zero on the first commit. */
typedef void (*on_move_fn)(history *h, const git_oid *old, void *payload);

static kind random_kind(history *h)
{
	unsigned k = rnd(&h->r, 10);
	return k < 5 ? K_MACHINE : k < 8 ? K_HUMAN : k < 9 ? K_FORCED : K_SPOOF;
}

static void random_edit(history *h, state *s)
{
	unsigned i, nchanges = 1 + rnd(&h->r, 3);
	for (i = 0; i < nchanges; i++) {
		size_t p = rnd(&h->r, NPATHS);
		unsigned what = rnd(&h->r, 10);
		if (what < 6)
			state_set(s, p, (int)rnd(&h->r, NVALUES), s->exec[p]);
		else if (what < 8 && s->val[p] >= 0)
			state_set(s, p, -1, 0); /* deletion */
		else if (s->val[p] >= 0)
			state_set(s, p, s->val[p], !s->exec[p]); /* mode change only */
		else
			state_set(s, p, (int)rnd(&h->r, NVALUES), 0); /* (re-)creation */
	}
}

static void commit_on(history *h, branch *b, const git_oid *parents, size_t np)
{
	commit(h->w, &b->s, random_kind(h), h->n++, parents, np, &b->tip);
}

static void move_main(history *h, const git_oid *to, const state *s, on_move_fn fn, void *payload)
{
	git_oid old = h->have_main ? h->main.tip : (git_oid){{0}};
	h->main.tip = *to;
	h->main.s = *s;
	h->have_main = 1;
	if (fn)
		fn(h, &old, payload);
}

static void step_main_commit(history *h, on_move_fn fn, void *payload)
{
	branch b = h->main;
	random_edit(h, &b.s);
	if (h->have_main)
		commit_on(h, &b, &h->main.tip, 1);
	else
		commit_on(h, &b, NULL, 0);
	move_main(h, &b.tip, &b.s, fn, payload);
}

/* Merge a side branch: the tree keeps either side per path, or something new (an evil merge). */
static void step_merge(history *h, branch *side, on_move_fn fn, void *payload)
{
	state m = h->main.s;
	git_oid parents[2], merged;
	unsigned style = rnd(&h->r, 4); /* 0 theirs, 1 ours, 2/3 mixed */
	int pull = rnd(&h->r, 3) == 0;  /* first parent is the side branch (git pull) */
	size_t p;

	for (p = 0; p < NPATHS; p++) {
		unsigned pick = rnd(&h->r, 10);
		if (style == 0 || (style >= 2 && pick < 4))
			m.val[p] = side->s.val[p], m.exec[p] = side->s.exec[p];
		else if (style >= 2 && pick == 9 && !nested(DIR_PATH, p) && p != DIR_PATH)
			m.val[p] = (int)rnd(&h->r, NVALUES), m.exec[p] = 0;
	}
	/* a mixed pick may hold a blob and its directory at once: the blob loses */
	for (p = 0; p < NPATHS; p++)
		if (p != DIR_PATH && nested(DIR_PATH, p) && m.val[p] >= 0)
			m.val[DIR_PATH] = -1;
	parents[pull ? 1 : 0] = h->main.tip;
	parents[pull ? 0 : 1] = side->tip;
	commit(h->w, &m, random_kind(h), h->n++, parents, 2, &merged);
	/* the side branch may live on and be merged again (criss-cross history) */
	if (rnd(&h->r, 2))
		side->live = 0;
	move_main(h, &merged, &m, fn, payload);
}

static void run_history(history *h, unsigned steps, on_move_fn fn, void *payload)
{
	unsigned i;
	if (!h->have_main)
		step_main_commit(h, fn, payload);
	for (i = 0; i < steps; i++) {
		unsigned op = rnd(&h->r, 100);
		branch *side = &h->side[rnd(&h->r, MAX_SIDES)];
		if (op < 40) {
			step_main_commit(h, fn, payload);
		} else if (op < 55 && !side->live) {
			/* a new side branch: usually from main's tip, sometimes an unrelated root */
			side->live = 1;
			if (rnd(&h->r, 8)) {
				side->s = h->main.s;
				random_edit(h, &side->s);
				commit_on(h, side, &h->main.tip, 1);
			} else {
				state_empty(&side->s);
				random_edit(h, &side->s);
				commit_on(h, side, NULL, 0);
			}
		} else if (op < 75 && side->live) {
			git_oid parent = side->tip;
			random_edit(h, &side->s);
			commit_on(h, side, &parent, 1);
		} else if (op < 95 && side->live) {
			int ff = git_graph_descendant_of(h->w->repo, &side->tip, &h->main.tip) == 1;
			if (ff && rnd(&h->r, 2)) {
				move_main(h, &side->tip, &side->s, fn, payload); /* fast-forward */
				side->live = 0;
			} else {
				step_merge(h, side, fn, payload);
			}
		} else {
			step_main_commit(h, fn, payload);
		}
	}
}

static void history_init(history *h, world *w, unsigned seed)
{
	memset(h, 0, sizeof(*h));
	h->w = w;
	h->seed = seed;
	h->r.s = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)seed * 0xbf58476d1ce4e5b9ULL);
	state_empty(&h->main.s);
}

static const unsigned seeds[] = {1, 2, 3, 5, 8, 13, 21, 34};
#define NSEEDS (sizeof(seeds) / sizeof(*seeds))
#define STEPS 70

/* ---- fresh full build ---- */

Test(lastwriter, fresh_build_matches_git_log)
{
	size_t i;
	for (i = 0; i < NSEEDS; i++) {
		world w;
		history h;
		mech_lastwriter *lw;
		size_t walked;
		int rebuilt;
		world_open(&w);
		history_init(&h, &w, seeds[i]);
		run_history(&h, STEPS, NULL, NULL);
		cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
		cr_assert_eq(mech_lastwriter_update(lw, &h.main.tip), 0, "%s",
			     mech_error_last() ? mech_error_last()->message : "");
		mech_lastwriter_stats(lw, &walked, &rebuilt);
		cr_assert_eq(rebuilt, 1, "a new index is a full build");
		{
			char tip[GIT_OID_HEXSZ + 1];
			git_oid_tostr(tip, sizeof(tip), &h.main.tip);
			cr_assert_eq(walked, git_count(&w, tip),
				     "a full build walks all of history");
		}
		check_against_git(&w, lw, &h.main.tip, "fresh build", seeds[i], STEPS);
		mech_lastwriter_free(lw);
		world_close(&w);
	}
}

/* ---- incremental, commit by commit ---- */

typedef struct {
	mech_lastwriter *kept; /* one index object updated in place */
	unsigned moves;
	unsigned incremental; /* moves answered without a rebuild */
} incr;

static void update_and_check(history *h, const git_oid *old, void *payload)
{
	incr *in = payload;
	mech_lastwriter *lw;
	size_t walked;
	int rebuilt;
	char range[2 * GIT_OID_HEXSZ + 3], a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];
	git_oid want[NPATHS];

	/* as mech does: a new process opens the index file left by the last one */
	cr_assert_eq(mech_lastwriter_open(&lw, h->w->repo, h->w->cfg, h->w->index_file), 0);
	cr_assert_eq(mech_lastwriter_update(lw, &h->main.tip), 0);
	mech_lastwriter_stats(lw, &walked, &rebuilt);
	if (git_oid_is_zero(old)) {
		cr_assert_eq(rebuilt, 1);
	} else if (!rebuilt) {
		snprintf(range, sizeof(range), "%s..%s", git_oid_tostr(a, sizeof(a), old),
			 git_oid_tostr(b, sizeof(b), &h->main.tip));
		cr_assert_eq(walked, git_count(h->w, range),
			     "seed %u: an update walks exactly the new commits", h->seed);
		in->incremental++;
	}
	git_answers(h->w, &h->main.tip, want);
	check_paths(h->w, lw, &h->main.tip, want, "incremental (reopened)", h->seed, h->n, 0);
	mech_lastwriter_free(lw);

	cr_assert_eq(mech_lastwriter_update(in->kept, &h->main.tip), 0);
	check_paths(h->w, in->kept, &h->main.tip, want, "incremental (kept open)", h->seed, h->n, 0);
	in->moves++;
}

/* Every move of main is checked against git for every path: fewer seeds, shorter histories. */
#define INCR_SEEDS 5
#define INCR_STEPS 50

Test(lastwriter, incremental_updates_match_git_log)
{
	size_t i;
	for (i = 0; i < INCR_SEEDS; i++) {
		world w;
		history h;
		incr in = {NULL, 0, 0};
		char *kept_file;
		world_open(&w);
		kept_file = mech_sprintf("%s/kept.idx", w.dir);
		cr_assert_eq(mech_lastwriter_open(&in.kept, w.repo, w.cfg, kept_file), 0);
		history_init(&h, &w, seeds[i]);
		run_history(&h, INCR_STEPS, update_and_check, &in);
		cr_assert_gt(in.moves, 10);
		/* main only moves forward here: most updates must not start over */
		cr_assert_gt(in.incremental * 4, in.moves * 3, "seed %u: %u of %u updates rebuilt",
			     seeds[i], in.moves - in.incremental, in.moves);
		mech_lastwriter_free(in.kept);
		free(kept_file);
		world_close(&w);
	}
}

/* ---- force push: the index tip is no longer an ancestor ---- */

static void build_index_at(world *w, const git_oid *tip)
{
	mech_lastwriter *lw;
	cr_assert_eq(mech_lastwriter_open(&lw, w->repo, w->cfg, w->index_file), 0);
	cr_assert_eq(mech_lastwriter_update(lw, tip), 0);
	mech_lastwriter_free(lw);
	cr_assert_eq(access(w->index_file, R_OK), 0, "the index was not persisted");
}


typedef struct {
	git_oid tips[256];
	state states[256];
	size_t n;
} tip_log;

static void remember_tip(history *h, const git_oid *old, void *payload)
{
	tip_log *t = payload;
	(void)old;
	if (t->n < 256) {
		t->tips[t->n] = h->main.tip;
		t->states[t->n++] = h->main.s;
	}
}

static void expect_rebuild_and_match(world *w, const git_oid *tip, unsigned seed, const char *what)
{
	mech_lastwriter *lw;
	size_t walked;
	int rebuilt;
	cr_assert_eq(mech_lastwriter_open(&lw, w->repo, w->cfg, w->index_file), 0);
	cr_assert_eq(mech_lastwriter_update(lw, tip), 0);
	/* damage in a block is met by the lookups that read it */
	check_against_git(w, lw, tip, what, seed, 0);
	mech_lastwriter_stats(lw, &walked, &rebuilt);
	cr_assert_eq(rebuilt, 1, "%s (seed %u): the index was not rebuilt", what, seed);
	mech_lastwriter_free(lw);
}

Test(lastwriter, force_push_rebuilds_and_matches_git_log)
{
	size_t i;
	for (i = 0; i < NSEEDS; i++) {
		world w;
		history h;
		tip_log t;
		mech_lastwriter *lw;
		size_t back;
		world_open(&w);
		memset(&t, 0, sizeof(t));
		history_init(&h, &w, seeds[i]);
		run_history(&h, STEPS / 2, remember_tip, &t);
		cr_assert_gt(t.n, 4);
		cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
		cr_assert_eq(mech_lastwriter_update(lw, &h.main.tip), 0);
		mech_lastwriter_free(lw);

		/* rewind main to an earlier tip (git push --force of an older commit) */
		back = t.n / 2;
		expect_rebuild_and_match(&w, &t.tips[back], seeds[i], "rewound");

		/* and rewrite history from there: the old tip is not an ancestor any more */
		build_index_at(&w, &t.tips[t.n - 1]);
		h.main.tip = t.tips[back];
		h.main.s = t.states[back];
		memset(h.side, 0, sizeof(h.side));
		run_history(&h, STEPS / 2, NULL, NULL);
		cr_assert_neq(git_graph_descendant_of(w.repo, &h.main.tip, &t.tips[t.n - 1]), 1);
		expect_rebuild_and_match(&w, &h.main.tip, seeds[i], "rewritten");
		world_close(&w);
	}
}

/* ---- damaged index files are rebuilt, never trusted ---- */

/*
 * The parts of a format-4 file (lastwriter.c): a 102-byte header line
 * "mech-lastwriter 4 <tip> <nblocks> <table sum> <header sum>", a table of
 * {u32 offset, u32 length, u64 sum} per block (little-endian), the blocks
 * of "<sha> <class> <path>" lines, then the deltas.
 */
#define V4_HEADER 102
#define V4_TIP 18
#define V4_NBLOCKS (V4_TIP + GIT_OID_HEXSZ + 1)
#define V4_TABLE_SUM (V4_NBLOCKS + 8 + 1)
#define V4_HEADER_SUM (V4_TABLE_SUM + MECH_CHECKSUM_HEXSZ + 1)

static uint64_t le(const char *p, int n)
{
	uint64_t v = 0;
	while (n--)
		v = v << 8 | (unsigned char)p[n];
	return v;
}

static size_t v4_nblocks(const mech_buf *b)
{
	cr_assert_geq(b->len, V4_HEADER);
	cr_assert(!memcmp(b->ptr, "mech-lastwriter 4 ", 18), "not a format-4 index");
	char digits[9];
	memcpy(digits, b->ptr + V4_NBLOCKS, 8);
	digits[8] = '\0';
	return (size_t)strtoul(digits, NULL, 16);
}

static void v4_block(const mech_buf *b, size_t i, size_t *off, size_t *len)
{
	const char *e = b->ptr + V4_HEADER + 16 * i;
	cr_assert_lt(i, v4_nblocks(b));
	*off = (size_t)le(e, 4);
	*len = (size_t)le(e + 4, 4);
}

/* Where the snapshot's blocks end and the deltas begin. */
static size_t v4_snapshot_end(const mech_buf *b)
{
	size_t n = v4_nblocks(b), off, len;
	if (!n)
		return V4_HEADER;
	v4_block(b, n - 1, &off, &len);
	return off + len;
}

/* Every sum made right again after an edit: a well-formed file saying something else. */
static void v4_reseal(mech_buf *b)
{
	size_t n = v4_nblocks(b), i, off, len;
	char hexsum[MECH_CHECKSUM_HEXSZ + 1];
	for (i = 0; i < n; i++) {
		uint64_t s;
		int k;
		v4_block(b, i, &off, &len);
		s = mech_checksum(0, b->ptr + off, len);
		for (k = 0; k < 8; k++, s >>= 8)
			b->ptr[V4_HEADER + 16 * i + 8 + k] = (char)(s & 0xff);
	}
	memcpy(b->ptr + V4_TABLE_SUM,
	       mech_checksum_hex(hexsum, mech_checksum(0, b->ptr + V4_HEADER, 16 * n)),
	       MECH_CHECKSUM_HEXSZ);
	memcpy(b->ptr + V4_HEADER_SUM,
	       mech_checksum_hex(hexsum, mech_checksum(0, b->ptr, V4_HEADER_SUM - 1)),
	       MECH_CHECKSUM_HEXSZ);
}

/* Another class digit on the line at `line` ("<sha> <class> ..."). */
static void flip_class_at(char *line)
{
	char *p = line + GIT_OID_HEXSZ + 1;
	cr_assert(*p >= '0' && *p <= '3');
	*p = *p == '3' ? '0' : (char)(*p + 1);
}

/*
 * The file as format 3 (one text snapshot under one sum) or 2 (no sums)
 * wrote it: the blocks' lines are the same lines, the deltas the same.
 */
static void write_text_version(FILE *f, mech_buf *b, int version, int flip)
{
	size_t start = V4_HEADER + 16 * v4_nblocks(b), end = v4_snapshot_end(b);
	const char *p, *nl;
	char sum[MECH_CHECKSUM_HEXSZ + 1];
	if (version == 3) {
		fprintf(f, "mech-lastwriter 3 %.*s %s\n", GIT_OID_HEXSZ, b->ptr + V4_TIP,
			mech_checksum_hex(sum, mech_checksum(0, b->ptr + start, end - start)));
		if (flip) /* after the sum: one flipped digit */
			flip_class_at(b->ptr + start);
		fwrite(b->ptr + start, 1, b->len - start, f);
		return;
	}
	fprintf(f, "mech-lastwriter 2 %.*s\n", GIT_OID_HEXSZ, b->ptr + V4_TIP);
	fwrite(b->ptr + start, 1, end - start, f);
	for (p = b->ptr + end; (nl = memchr(p, '\n', (size_t)(b->ptr + b->len - p))); p = nl + 1)
		fprintf(f, "%.*s\n",
			(int)((size_t)(nl - p) - (*p == '@' ? 1 + MECH_CHECKSUM_HEXSZ : 0)), p);
}

static void damage(world *w, const char *how)
{
	mech_buf b = MECH_BUF_INIT;
	FILE *f;
	size_t off, len;
	cr_assert_eq(mech_buf_read_file(&b, w->index_file, 0), 0);
	if (!strcmp(how, "missing")) {
		cr_assert_eq(unlink(w->index_file), 0);
		mech_buf_dispose(&b);
		return;
	}
	f = fopen(w->index_file, "w");
	cr_assert_not_null(f);
	if (!strcmp(how, "empty")) {
		/* nothing */
	} else if (!strcmp(how, "garbage")) {
		fputs("\x7f"
		      "ELF\x02\x01\x01 not an index at all\n\xff\xfe\n",
		      f);
	} else if (!strcmp(how, "truncated")) {
		fwrite(b.ptr, 1, b.len - 7, f); /* cut inside the last block */
	} else if (!strcmp(how, "unknown-tip")) {
		/* well formed, every sum right, but stamped with a commit this repo does not have */
		memcpy(b.ptr + V4_TIP, "0123456789abcdef0123456789abcdef01234567", GIT_OID_HEXSZ);
		v4_reseal(&b);
		fwrite(b.ptr, 1, b.len, f);
	} else if (!strcmp(how, "tip-digit")) {
		b.ptr[V4_TIP] = b.ptr[V4_TIP] == '0' ? '1' : '0'; /* the header's sum */
		fwrite(b.ptr, 1, b.len, f);
	} else if (!strcmp(how, "table-byte")) {
		b.ptr[V4_HEADER + 2] ^= 0x01; /* the table's sum */
		fwrite(b.ptr, 1, b.len, f);
	} else if (!strcmp(how, "unsorted")) {
		/* blocks are searched by path: two lines swapped, sums made right, are not trusted */
		char *l1, *l2, *l3;
		mech_buf t = MECH_BUF_INIT;
		v4_block(&b, 0, &off, &len);
		l1 = b.ptr + off;
		l2 = memchr(l1, '\n', len) + 1;
		l3 = memchr(l2, '\n', len - (size_t)(l2 - l1)) + 1;
		cr_assert_leq(l3, b.ptr + off + len, "block 0 has one line");
		mech_buf_put(&t, l2, (size_t)(l3 - l2));
		mech_buf_put(&t, l1, (size_t)(l2 - l1));
		memcpy(l1, t.ptr, t.len);
		mech_buf_dispose(&t);
		v4_reseal(&b);
		fwrite(b.ptr, 1, b.len, f);
	} else if (!strcmp(how, "class-digit")) {
		/* one flipped digit: a human's commit must not turn into mech's */
		v4_block(&b, 0, &off, &len);
		flip_class_at(b.ptr + off);
		fwrite(b.ptr, 1, b.len, f);
	} else if (!strcmp(how, "delta-class-digit")) {
		off = v4_snapshot_end(&b);
		cr_assert_eq(b.ptr[off], '+', "no delta to damage");
		flip_class_at(b.ptr + off + 1);
		fwrite(b.ptr, 1, b.len, f);
	} else if (!strcmp(how, "bad-delta-line")) {
		fwrite(b.ptr, 1, b.len, f);
		fputs("zzzz not a line\n", f);
	} else if (!strcmp(how, "version-2")) {
		write_text_version(f, &b, 2, 0);
	} else if (!strcmp(how, "version-3")) {
		write_text_version(f, &b, 3, 0);
	} else if (!strcmp(how, "version-3-damaged")) {
		write_text_version(f, &b, 3, 1);
	} else if (!strcmp(how, "future-version")) {
		fputs("mech-lastwriter 9", f);
		fwrite(b.ptr + strlen("mech-lastwriter 1"), 1, b.len - strlen("mech-lastwriter 1"),
		       f);
	} else {
		cr_assert_fail("unknown damage %s", how);
	}
	fclose(f);
	mech_buf_dispose(&b);
}

Test(lastwriter, damaged_or_missing_index_is_rebuilt)
{
	/* rebuilt: when opened or when a lookup meets the damage; kept: read as it is */
	static const struct {
		const char *how;
		int rebuilt;
	} cases[] = {
		{"missing", 1},
		{"empty", 1},
		{"garbage", 1},
		{"truncated", 1},
		{"unknown-tip", 1},
		{"tip-digit", 1},
		{"table-byte", 1},
		{"unsorted", 1},
		{"class-digit", 1},
		{"delta-class-digit", 1},
		{"version-2", 1},
		{"version-3-damaged", 1},
		{"future-version", 1},
		/* a line that is no delta ends the deltas, as a torn one does */
		{"bad-delta-line", 0},
		/* the previous format is converted, not walked again */
		{"version-3", 0},
	};
	size_t i;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *how = cases[i].how;
		world w;
		history h;
		world_open(&w);
		history_init(&h, &w, 40 + (unsigned)i);
		run_history(&h, 30, NULL, NULL);
		build_index_at(&w, &h.main.tip);
		if (strstr(how, "delta") || strstr(how, "version")) {
			/* one more commit: the file gets a delta (+ lines and an @ line) */
			step_main_commit(&h, NULL, NULL);
			build_index_at(&w, &h.main.tip);
		}
		damage(&w, how);
		if (cases[i].rebuilt) {
			expect_rebuild_and_match(&w, &h.main.tip, 40 + (unsigned)i, how);
		} else {
			mech_lastwriter *lw;
			size_t walked;
			int rebuilt;
			cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
			cr_assert_eq(mech_lastwriter_update(lw, &h.main.tip), 0);
			check_against_git(&w, lw, &h.main.tip, how, 40 + (unsigned)i, 0);
			mech_lastwriter_stats(lw, &walked, &rebuilt);
			cr_assert_eq(rebuilt, 0, "%s: rebuilt", how);
			cr_assert_eq(walked, 0, "%s: walked", how);
			mech_lastwriter_free(lw);
		}
		/* and the rewritten file is good again, in format 4: reopening needs no walk */
		{
			mech_lastwriter *lw;
			mech_buf b = MECH_BUF_INIT;
			size_t walked;
			int rebuilt;
			cr_assert_eq(mech_buf_read_file(&b, w.index_file, 0), 0);
			cr_assert(b.len > 18 && !memcmp(b.ptr, "mech-lastwriter 4 ", 18),
				  "%s: the file was not rewritten in format 4", how);
			mech_buf_dispose(&b);
			cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
			cr_assert_eq(mech_lastwriter_update(lw, &h.main.tip), 0);
			check_against_git(&w, lw, &h.main.tip, how, 40 + (unsigned)i, 0);
			mech_lastwriter_stats(lw, &walked, &rebuilt);
			cr_assert_eq(walked, 0, "%s: the rebuilt index was not persisted", how);
			cr_assert_eq(rebuilt, 0);
			mech_lastwriter_free(lw);
		}
		world_close(&w);
	}
}

/* ---- stats: an update walks only the new commits ---- */

Test(lastwriter, update_walks_only_new_commits)
{
	world w;
	history h;
	mech_lastwriter *lw;
	size_t walked, total;
	int rebuilt;
	char tip[GIT_OID_HEXSZ + 1];
	unsigned k;

	world_open(&w);
	history_init(&h, &w, 77);
	for (k = 0; k < 200; k++)
		step_main_commit(&h, NULL, NULL);
	build_index_at(&w, &h.main.tip);
	for (k = 0; k < 3; k++)
		step_main_commit(&h, NULL, NULL);
	cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
	cr_assert_eq(mech_lastwriter_update(lw, &h.main.tip), 0);
	mech_lastwriter_stats(lw, &walked, &rebuilt);
	git_oid_tostr(tip, sizeof(tip), &h.main.tip);
	total = git_count(&w, tip);
	cr_assert_eq(total, 203);
	cr_assert_eq(rebuilt, 0);
	cr_assert_eq(walked, 3, "3 new commits on top of %zu, walked %zu", total - 3, walked);
	check_against_git(&w, lw, &h.main.tip, "after 3 commits", 77, 203);
	/* already at the tip: nothing to do */
	cr_assert_eq(mech_lastwriter_update(lw, &h.main.tip), 0);
	mech_lastwriter_stats(lw, &walked, &rebuilt);
	cr_assert_eq(walked, 0);
	cr_assert_eq(rebuilt, 0);
	mech_lastwriter_free(lw);
	world_close(&w);
}

/* ---- the file: deltas appended, torn or foreign ones skipped, compaction ---- */

static size_t file_size(const char *path)
{
	struct stat st;
	cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
	return (size_t)st.st_size;
}

static void append_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");
	cr_assert_not_null(f);
	cr_assert_eq(fputs(text, f) >= 0, 1);
	cr_assert_eq(fclose(f), 0);
}

static void open_update_check(world *w, history *h, const char *what, size_t want_walked)
{
	mech_lastwriter *lw;
	size_t walked;
	int rebuilt;
	cr_assert_eq(mech_lastwriter_open(&lw, w->repo, w->cfg, w->index_file), 0);
	cr_assert_eq(mech_lastwriter_update(lw, &h->main.tip), 0);
	mech_lastwriter_stats(lw, &walked, &rebuilt);
	cr_assert_eq(rebuilt, 0, "%s: rebuilt", what);
	cr_assert_eq(walked, want_walked, "%s: walked %zu commits, expected %zu", what, walked,
		     want_walked);
	check_against_git(w, lw, &h->main.tip, what, h->seed, h->n);
	mech_lastwriter_free(lw);
}

Test(lastwriter, deltas_appended_torn_or_foreign_skipped_then_compacted)
{
	world w;
	history h;
	mech_buf text = MECH_BUF_INIT;
	size_t snapshot, before, k;

	world_open(&w);
	history_init(&h, &w, 91);
	run_history(&h, 30, NULL, NULL);
	build_index_at(&w, &h.main.tip);
	snapshot = file_size(w.index_file);

	/* a write appends a small delta instead of rewriting every path */
	step_main_commit(&h, NULL, NULL);
	open_update_check(&w, &h, "one delta", 1);
	before = file_size(w.index_file);
	cr_assert_gt(before, snapshot);
	cr_assert_lt(before - snapshot, snapshot, "a delta as large as the snapshot");

	/* a delta from another tip (a reader with an older view) and a torn tail */
	append_text(w.index_file, "+0123456789012345678901234567890123456789 1 README.md\n"
				  "@0000000000000000000000000000000000000001 "
				  "0123456789012345678901234567890123456789\n"
				  "+fedcba9876543210fedcba9876543210fedcba98 1 apps/a-b.yaml\n"
				  "+abcdef");
	open_update_check(&w, &h, "foreign delta and torn tail skipped", 0);

	/* the next write rewrites the damaged file whole */
	step_main_commit(&h, NULL, NULL);
	open_update_check(&w, &h, "after the rewrite", 1);
	cr_assert_eq(mech_buf_read_file(&text, w.index_file, 1 << 24), 0);
	cr_assert_null(strstr(text.ptr, "+abcdef"), "the torn tail survived a rewrite");
	cr_assert_null(strstr(text.ptr, "\n@"), "a rewrite leaves no deltas");
	mech_buf_dispose(&text);

	/* many writes: the file never grows past about twice the snapshot */
	for (k = 0; k < 120; k++) {
		step_main_commit(&h, NULL, NULL);
		open_update_check(&w, &h, "many deltas", 1);
		cr_assert_leq(file_size(w.index_file), 2 * snapshot + 4096,
			      "after %zu writes the index is %zu bytes (snapshot %zu)", k + 1,
			      file_size(w.index_file), snapshot);
	}
	world_close(&w);
}

/*
 * A write opens its index before it queues for the tenant lock; the writes
 * ahead of it append a delta each, and once it holds the lock it reads only
 * those (mech_lastwriter_reload). A file replaced, or a tail that does not
 * read as whole deltas, is read again whole. Either way the answers are
 * git's and the index is at the tip without a walk.
 */
static void reload_check(world *w, history *h, mech_lastwriter *lw, const char *what)
{
	size_t walked;
	int rebuilt;
	cr_assert_eq(mech_lastwriter_update(lw, &h->main.tip), 0);
	mech_lastwriter_stats(lw, &walked, &rebuilt);
	cr_assert_eq(rebuilt, 0, "%s: rebuilt", what);
	cr_assert_eq(walked, 0, "%s: walked %zu commits after the reload", what, walked);
	check_against_git(w, lw, &h->main.tip, what, h->seed, h->n);
}

Test(lastwriter, reload_reads_only_the_deltas_appended)
{
	world w;
	history h;
	mech_lastwriter *lw;
	size_t before, read0, k;

	world_open(&w);
	history_init(&h, &w, 57);
	run_history(&h, 30, NULL, NULL);
	build_index_at(&w, &h.main.tip);
	step_main_commit(&h, NULL, NULL);
	open_update_check(&w, &h, "one delta", 1);

	/* opened, then three writes ahead of it append their deltas */
	cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
	read0 = mech_lastwriter_bytes_read(lw);
	before = file_size(w.index_file);
	for (k = 0; k < 3; k++) {
		step_main_commit(&h, NULL, NULL);
		open_update_check(&w, &h, "a write ahead", 1);
	}
	cr_assert_eq(mech_lastwriter_reload(lw), 0);
	cr_assert_eq(mech_lastwriter_bytes_read(lw) - read0, file_size(w.index_file) - before,
		     "read %zu bytes to catch up with %zu appended",
		     mech_lastwriter_bytes_read(lw) - read0, file_size(w.index_file) - before);
	reload_check(&w, &h, lw, "three deltas caught up");
	mech_lastwriter_free(lw);

	/* nothing appended: nothing read */
	cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
	read0 = mech_lastwriter_bytes_read(lw);
	cr_assert_eq(mech_lastwriter_reload(lw), 0);
	cr_assert_eq(mech_lastwriter_bytes_read(lw), read0);
	reload_check(&w, &h, lw, "nothing appended");
	mech_lastwriter_free(lw);

	/* a torn tail after a whole delta: read again whole, the answers git's */
	cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
	step_main_commit(&h, NULL, NULL);
	open_update_check(&w, &h, "a write ahead", 1);
	append_text(w.index_file, "+abcdef");
	cr_assert_eq(mech_lastwriter_reload(lw), 0);
	reload_check(&w, &h, lw, "torn tail");
	mech_lastwriter_free(lw);

	/* the file replaced (a rewrite): read again whole */
	cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
	step_main_commit(&h, NULL, NULL);
	cr_assert_eq(unlink(w.index_file), 0);
	build_index_at(&w, &h.main.tip);
	cr_assert_eq(mech_lastwriter_reload(lw), 0);
	reload_check(&w, &h, lw, "file replaced");
	mech_lastwriter_free(lw);
	world_close(&w);
}

/*
 * A write records its own commit (mech_lastwriter_record): the files it
 * changed take it as their last writer and the move is appended as a delta,
 * so that the next write, opening the index, finds it at the head and walks
 * nothing. The answers are git's.
 */
static void commit_tree(world *w, const git_oid *id, git_tree **out)
{
	git_commit *c;
	cr_assert_eq(git_commit_lookup(&c, w->repo, id), 0);
	cr_assert_eq(git_commit_tree(out, c), 0);
	git_commit_free(c);
}

static void record_commit(world *w, mech_lastwriter *lw, const git_oid *parent, const git_oid *id)
{
	mech_strv files = MECH_STRV_INIT;
	git_tree *a, *b;
	git_commit *c;
	mech_class cls;
	commit_tree(w, parent, &a);
	commit_tree(w, id, &b);
	cr_assert_eq(mech_tree_changed_files(w->repo, a, b, &files), 0);
	cr_assert_eq(git_commit_lookup(&c, w->repo, id), 0);
	cls = mech_receipt_classify(c, w->cfg);
	cr_assert_eq(mech_lastwriter_record(lw, parent, id, cls, (const char *const *)files.items,
					    files.len),
		     0);
	git_commit_free(c);
	git_tree_free(a);
	git_tree_free(b);
	mech_strv_dispose(&files);
}

Test(lastwriter, a_write_records_its_own_commit)
{
	world w;
	history h;
	mech_lastwriter *lw;
	git_oid parent;
	size_t before, k;

	world_open(&w);
	history_init(&h, &w, 43);
	run_history(&h, 30, NULL, NULL);
	build_index_at(&w, &h.main.tip);
	for (k = 0; k < 25; k++) {
		cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
		cr_assert_eq(mech_lastwriter_update(lw, &h.main.tip), 0);
		parent = h.main.tip;
		step_main_commit(&h, NULL, NULL);
		record_commit(&w, lw, &parent, &h.main.tip);
		check_against_git(&w, lw, &h.main.tip, "recorded", h.seed, h.n);
		mech_lastwriter_free(lw);
		/* the next write opens it at the head: nothing to walk */
		open_update_check(&w, &h, "after a recorded commit", 0);
	}

	/* an index that is not at the commit's parent is left alone */
	step_main_commit(&h, NULL, NULL);
	parent = h.main.tip;
	step_main_commit(&h, NULL, NULL);
	cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
	before = file_size(w.index_file);
	record_commit(&w, lw, &parent, &h.main.tip);
	cr_assert_eq(file_size(w.index_file), before, "recorded a commit not on the index's tip");
	cr_assert_eq(mech_lastwriter_update(lw, &h.main.tip), 0);
	check_against_git(&w, lw, &h.main.tip, "walked after a commit not recorded", h.seed, h.n);
	mech_lastwriter_free(lw);
	world_close(&w);
}

/* ---- hand-made histories for the cases that matter most ---- */

static void set(state *s, const char *path, int val)
{
	size_t p;
	for (p = 0; p < NPATHS; p++)
		if (!strcmp(paths[p], path)) {
			state_set(s, p, val, 0);
			return;
		}
	cr_assert_fail("no path %s", path);
}

static void expect_writer(world *w, mech_lastwriter *lw, const char *path, const git_oid *want,
			  mech_class cls)
{
	mech_writer got;
	char a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];
	cr_assert_eq(mech_lastwriter_get(lw, path, &got), 0);
	cr_assert(git_oid_equal(&got.commit, want), "%s: last writer %s, expected %s", path,
		  hex(&got.commit, a), hex(want, b));
	cr_assert_eq(got.cls, cls, "%s: class %s, expected %s", path, mech_class_name(got.cls),
		     mech_class_name(cls));
	(void)w;
}

Test(lastwriter, classes_recorded_match_receipts)
{
	world w;
	state s;
	git_oid c[5];
	mech_lastwriter *lw;

	world_open(&w);
	state_empty(&s);
	set(&s, "README.md", 0);
	commit(&w, &s, K_MACHINE, 0, NULL, 0, &c[0]);
	set(&s, "apps/a/base/deployment.yaml", 0);
	commit(&w, &s, K_HUMAN, 1, &c[0], 1, &c[1]);
	set(&s, "apps/a/base/service.yaml", 0);
	commit(&w, &s, K_FORCED, 2, &c[1], 1, &c[2]);
	set(&s, "network/routes/a/main.yaml", 0);
	commit(&w, &s, K_SPOOF, 3, &c[2], 1, &c[3]);
	set(&s, "addons/db/cluster.yaml", 1);
	commit(&w, &s, K_MACHINE, 4, &c[3], 1, &c[4]);

	cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
	cr_assert_eq(mech_lastwriter_update(lw, &c[4]), 0);
	expect_writer(&w, lw, "README.md", &c[0], MECH_CLASS_MACHINE);
	expect_writer(&w, lw, "apps/a/base/deployment.yaml", &c[1], MECH_CLASS_HUMAN);
	expect_writer(&w, lw, "apps/a/base/service.yaml", &c[2], MECH_CLASS_FORCED);
	expect_writer(&w, lw, "network/routes/a/main.yaml", &c[3], MECH_CLASS_HUMAN);
	expect_writer(&w, lw, "addons/db/cluster.yaml", &c[4], MECH_CLASS_MACHINE);
	check_against_git(&w, lw, &c[4], "classes", 0, 0);
	mech_lastwriter_free(lw);

	/* the classes survive the index file */
	cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
	cr_assert_eq(mech_lastwriter_update(lw, &c[4]), 0);
	expect_writer(&w, lw, "apps/a/base/deployment.yaml", &c[1], MECH_CLASS_HUMAN);
	expect_writer(&w, lw, "apps/a/base/service.yaml", &c[2], MECH_CLASS_FORCED);
	mech_lastwriter_free(lw);
	world_close(&w);
}

/*
 * A merge whose content differs from both parents is the writer; a merge
 * that takes the side branch's version passes the question to that side.
 */
Test(lastwriter, merges_evil_and_theirs)
{
	world w;
	state base, side, m;
	git_oid c0, s1, m1, c2, pm[2];
	mech_lastwriter *lw;

	world_open(&w);
	state_empty(&base);
	set(&base, "README.md", 0);
	set(&base, "apps/a/base/deployment.yaml", 0);
	set(&base, "apps/a/base/service.yaml", 0);
	commit(&w, &base, K_MACHINE, 0, NULL, 0, &c0);
	side = base;
	set(&side, "apps/a/base/deployment.yaml", 1);
	set(&side, "apps/a/base/service.yaml", 1);
	commit(&w, &side, K_HUMAN, 1, &c0, 1, &s1);
	set(&base, "README.md", 1);
	commit(&w, &base, K_MACHINE, 2, &c0, 1, &c2);
	m = base;
	set(&m, "apps/a/base/deployment.yaml", 1); /* the side's version */
	set(&m, "apps/a/base/service.yaml", 2);    /* neither parent's */
	pm[0] = c2;
	pm[1] = s1;
	commit(&w, &m, K_MACHINE, 3, pm, 2, &m1);

	cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
	cr_assert_eq(mech_lastwriter_update(lw, &m1), 0);
	expect_writer(&w, lw, "apps/a/base/deployment.yaml", &s1, MECH_CLASS_HUMAN);
	expect_writer(&w, lw, "apps/a/base/service.yaml", &m1, MECH_CLASS_MACHINE);
	expect_writer(&w, lw, "README.md", &c2, MECH_CLASS_MACHINE);
	check_against_git(&w, lw, &m1, "evil/theirs merge", 0, 0);
	mech_lastwriter_free(lw);
	world_close(&w);
}

/*
 * `git pull` on a clone that forked before the index tip, then push: the
 * new tip's first parent is the human's branch, which main had already
 * merged. The human and mech wrote the same bytes to a path, so no new
 * commit touches it, yet git (following the first parent) now names the
 * human's commit where the index, stamped at the old tip, remembers mech's.
 */
Test(lastwriter, pull_merge_moves_first_parent_to_older_branch)
{
	world w;
	state base, mainline, human;
	git_oid c0, a1, h1, a2, m, pm[2];
	mech_lastwriter *lw;

	world_open(&w);
	state_empty(&base);
	set(&base, "README.md", 0);
	commit(&w, &base, K_MACHINE, 0, NULL, 0, &c0);
	mainline = base;
	set(&mainline, "apps/a/base/deployment.yaml", 1);
	commit(&w, &mainline, K_MACHINE, 1, &c0, 1, &a1); /* mech writes the file */
	human = base;                                     /* a clone made at c0 */
	set(&human, "apps/a/base/deployment.yaml", 1);
	set(&human, "network/routes/a/main.yaml", 0);
	commit(&w, &human, K_HUMAN, 2, &c0, 1, &h1); /* the human writes the same bytes */
	pm[0] = a1;
	pm[1] = h1;
	set(&mainline, "network/routes/a/main.yaml", 0);
	commit(&w, &mainline, K_HUMAN, 3, pm, 2, &a2); /* main merges the human's branch */
	build_index_at(&w, &a2);                       /* mech saw main at a2 */

	pm[0] = h1;
	pm[1] = a2;
	commit(&w, &human, K_HUMAN, 4, pm, 2, &m); /* git pull on the clone, then push */

	cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
	cr_assert_eq(mech_lastwriter_update(lw, &m), 0);
	check_against_git(&w, lw, &m, "pull merge", 0, 0);
	expect_writer(&w, lw, "apps/a/base/deployment.yaml", &h1, MECH_CLASS_HUMAN);
	mech_lastwriter_free(lw);
	world_close(&w);
}

/* A blob replaced by a directory, and the directory by a blob again. */
Test(lastwriter, blob_replaced_by_directory_and_back)
{
	world w;
	state s;
	git_oid c[5];
	mech_lastwriter *lw;
	size_t k;

	world_open(&w);
	state_empty(&s);
	set(&s, "README.md", 0);
	set(&s, "apps/c", 0);
	commit(&w, &s, K_MACHINE, 0, NULL, 0, &c[0]);
	set(&s, "apps/c/x.yaml", 0); /* apps/c becomes a directory */
	commit(&w, &s, K_HUMAN, 1, &c[0], 1, &c[1]);
	set(&s, "apps/c/base/deployment.yaml", 0);
	commit(&w, &s, K_MACHINE, 2, &c[1], 1, &c[2]);
	set(&s, "apps/c", 1); /* and a blob again */
	commit(&w, &s, K_MACHINE, 3, &c[2], 1, &c[3]);
	set(&s, "README.md", 1);
	commit(&w, &s, K_HUMAN, 4, &c[3], 1, &c[4]);

	for (k = 1; k < 5; k++) {
		cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
		cr_assert_eq(mech_lastwriter_update(lw, &c[k]), 0);
		git_oid want[NPATHS];
		git_answers(&w, &c[k], want);
		check_paths(&w, lw, &c[k], want, "blob/directory", 0, (unsigned)k, 1);
		mech_lastwriter_free(lw);
	}
	cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
	expect_writer(&w, lw, "apps/c", &c[3], MECH_CLASS_MACHINE);
	expect_writer(&w, lw, "apps/c/x.yaml", &c[3], MECH_CLASS_MACHINE); /* deleted by c3 */
	mech_lastwriter_free(lw);
	world_close(&w);
}

/* Paths git allows but a line-based index file must escape survive a reopen. */
Test(lastwriter, odd_paths_survive_the_index_file)
{
	static const char *const odd[] = {"apps/sp ace.yaml",        "apps/back\\slash.yaml",
					  "apps/new\nline.yaml",     "apps/trailing\\",
					  "apps/tab\there",          "apps/caf\xc3\xa9.yaml",
					  "apps/back\\nslash-n.yaml"};
	world w;
	git_oid c[2], tree_id;
	mech_lastwriter *lw;
	size_t i, k;

	world_open(&w);
	for (k = 0; k < 2; k++) {
		git_index *ix;
		git_tree *tree;
		git_signature *sig;
		git_commit *parent = NULL;
		cr_assert_eq(git_index_new(&ix), 0);
		for (i = 0; i < sizeof(odd) / sizeof(*odd); i++) {
			git_index_entry e;
			/* the second commit changes every other path */
			char *data = mech_sprintf("v%zu\n", (i % 2 && k) ? k : 0);
			memset(&e, 0, sizeof(e));
			e.path = odd[i];
			e.mode = GIT_FILEMODE_BLOB;
			cr_assert_eq(git_blob_create_from_buffer(&e.id, w.repo, data, strlen(data)),
				     0);
			cr_assert_eq(git_index_add(ix, &e), 0, "%s", git_error_last()->message);
			free(data);
		}
		cr_assert_eq(git_index_write_tree_to(&tree_id, ix, w.repo), 0);
		git_index_free(ix);
		cr_assert_eq(git_tree_lookup(&tree, w.repo, &tree_id), 0);
		cr_assert_eq(git_signature_new(&sig, "alice", "alice@example.com",
					       1700000000 + (git_time_t)k, 0),
			     0);
		if (k)
			cr_assert_eq(git_commit_lookup(&parent, w.repo, &c[0]), 0);
		cr_assert_eq(git_commit_create(&c[k], w.repo, NULL, sig, sig, NULL, "odd paths\n",
					       tree, k, (const git_commit **)&parent),
			     0);
		git_commit_free(parent);
		git_signature_free(sig);
		git_tree_free(tree);
	}
	build_index_at(&w, &c[1]);
	cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
	cr_assert_eq(mech_lastwriter_update(lw, &c[1]), 0);
	{
		size_t walked;
		int rebuilt;
		mech_lastwriter_stats(lw, &walked, &rebuilt);
		cr_assert_eq(rebuilt, 0, "the index file with these paths was not read back");
		cr_assert_eq(walked, 0);
	}
	for (i = 0; i < sizeof(odd) / sizeof(*odd); i++) {
		/* git is given the path as one argument, through the environment */
		char *cmd = mech_sprintf("git --git-dir='%s' log -1 --format=%%H %s -- \"$P\"",
					 w.gitdir,
					 git_oid_tostr((char[GIT_OID_HEXSZ + 1]){0},
						       GIT_OID_HEXSZ + 1, &c[1]));
		char line[128] = "";
		mech_writer got;
		git_oid want;
		FILE *f;
		setenv("P", odd[i], 1);
		f = popen(cmd, "r");
		cr_assert_not_null(f);
		cr_assert_not_null(fgets(line, sizeof(line), f), "git names no writer for %s",
				   odd[i]);
		cr_assert_eq(pclose(f), 0);
		cr_assert_eq(git_oid_fromstrn(&want, line, GIT_OID_HEXSZ), 0);
		cr_assert_eq(mech_lastwriter_get(lw, odd[i], &got), 0);
		cr_assert(git_oid_equal(&got.commit, &want), "last writer of \"%s\" after a reopen",
			  odd[i]);
		free(cmd);
	}
	mech_lastwriter_free(lw);
	world_close(&w);
}

/* ---- mech show's diff: only the changed files, the same patch ---- */


static void patch_of(world *w, git_tree *a, git_tree *b, const mech_strv *only, mech_buf *out)
{
	git_diff *d = NULL;
	git_diff_options o = GIT_DIFF_OPTIONS_INIT;
	if (only) {
		o.flags |= GIT_DIFF_DISABLE_PATHSPEC_MATCH;
		o.pathspec.strings = only->items;
		o.pathspec.count = only->len;
	}
	cr_assert_eq(git_diff_tree_to_tree(&d, w->repo, a, b, &o), 0);
	cr_assert_eq(mech_diff_patch(d, out), 0);
	git_diff_free(d);
}

/*
 * Every commit of the random histories (mode changes, deletions, a blob
 * replaced by a directory and back, roots) against each parent: the files
 * mech_tree_changed_files names are exactly those libgit2's whole-tree diff
 * reports, and the diff limited to them prints the same patch.
 */
Test(lastwriter, changed_files_give_the_whole_tree_diff)
{
	size_t i;
	for (i = 0; i < NSEEDS; i++) {
		world w;
		history h;
		git_revwalk *walk;
		git_oid id;
		size_t checked = 0;
		world_open(&w);
		history_init(&h, &w, seeds[i]);
		run_history(&h, STEPS, NULL, NULL);
		cr_assert_eq(git_revwalk_new(&walk, w.repo), 0);
		cr_assert_eq(git_revwalk_push(walk, &h.main.tip), 0);
		while (git_revwalk_next(&id, walk) == 0) {
			git_commit *c;
			git_tree *t;
			unsigned np, k;
			cr_assert_eq(git_commit_lookup(&c, w.repo, &id), 0);
			cr_assert_eq(git_commit_tree(&t, c), 0);
			np = git_commit_parentcount(c);
			for (k = 0; k < (np ? np : 1); k++) {
				git_commit *p = NULL;
				git_tree *pt = NULL;
				mech_strv files = MECH_STRV_INIT;
				mech_buf whole = MECH_BUF_INIT, limited = MECH_BUF_INIT;
				if (np) {
					cr_assert_eq(git_commit_parent(&p, c, k), 0);
					cr_assert_eq(git_commit_tree(&pt, p), 0);
				}
				cr_assert_eq(mech_tree_changed_files(w.repo, pt, t, &files), 0);
				patch_of(&w, pt, t, NULL, &whole);
				if (files.len)
					patch_of(&w, pt, t, &files, &limited);
				cr_assert_str_eq(mech_buf_cstr(&limited), mech_buf_cstr(&whole),
						 "seed %u: the patch limited to the changed files",
						 seeds[i]);
				{
					git_diff *d;
					size_t j;
					cr_assert_eq(git_diff_tree_to_tree(&d, w.repo, pt, t, NULL),
						     0);
					cr_assert_eq(git_diff_num_deltas(d), files.len,
						     "seed %u: as many files as deltas", seeds[i]);
					for (j = 0; j < files.len; j++)
						cr_assert_str_eq(git_diff_get_delta(d, j)
									 ->new_file.path,
								 files.items[j],
								 "seed %u: in tree order",
								 seeds[i]);
					git_diff_free(d);
				}
				checked++;
				mech_strv_dispose(&files);
				mech_buf_dispose(&whole);
				mech_buf_dispose(&limited);
				git_tree_free(pt);
				git_commit_free(p);
			}
			git_tree_free(t);
			git_commit_free(c);
		}
		git_revwalk_free(walk);
		cr_assert_gt(checked, 20);
		world_close(&w);
	}
}

/* ---- a large index: a lookup reads a few blocks, damage in any block is found ---- */

#define BIG_APPS 6000

static char *big_path(size_t i)
{
	return mech_sprintf("apps/app%04zu/overlays/main/kustomization.yaml", i);
}

/*
 * Commit `gen` of BIG_APPS files on `parent` (or a root): file i holds the
 * newest k <= gen (k > 0) with i % every[k] == 0, else 0.
 */
static void big_commit(world *w, const git_oid *parent, const size_t *every, unsigned gen,
		       git_oid *out)
{
	git_index *ix;
	git_tree *tree;
	git_signature *sig;
	git_commit *pc = NULL;
	git_oid tree_id;
	size_t i;
	cr_assert_eq(git_index_new(&ix), 0);
	for (i = 0; i < BIG_APPS; i++) {
		git_index_entry e;
		char *path = big_path(i);
		unsigned k, v = 0;
		char *data;
		for (k = 1; k <= gen; k++)
			if (i % every[k] == 0)
				v = k;
		data = mech_sprintf("image: v%u\n", v);
		memset(&e, 0, sizeof(e));
		e.path = path;
		e.mode = GIT_FILEMODE_BLOB;
		cr_assert_eq(git_blob_create_from_buffer(&e.id, w->repo, data, strlen(data)), 0);
		cr_assert_eq(git_index_add(ix, &e), 0);
		free(data);
		free(path);
	}
	cr_assert_eq(git_index_write_tree_to(&tree_id, ix, w->repo), 0);
	git_index_free(ix);
	cr_assert_eq(git_tree_lookup(&tree, w->repo, &tree_id), 0);
	cr_assert_eq(git_signature_new(&sig, "alice", "alice@example.com", 1700000000 + gen, 0), 0);
	if (parent)
		cr_assert_eq(git_commit_lookup(&pc, w->repo, parent), 0);
	cr_assert_eq(git_commit_create(out, w->repo, NULL, sig, sig, NULL, "apps\n", tree,
				       parent ? 1 : 0, (const git_commit **)&pc),
		     0);
	git_commit_free(pc);
	git_signature_free(sig);
	git_tree_free(tree);
}

/* Every file's writer: the newest of `c` (c[k] wrote files i % every[k] == 0). */
static void expect_big(mech_lastwriter *lw, const git_oid *c, const size_t *every, size_t n,
		       const char *what)
{
	size_t i, k;
	for (i = 0; i < BIG_APPS; i++) {
		char *path = big_path(i);
		const git_oid *want = &c[0];
		mech_writer got;
		char a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];
		for (k = 1; k < n; k++)
			if (i % every[k] == 0)
				want = &c[k];
		cr_assert_eq(mech_lastwriter_get(lw, path, &got), 0);
		cr_assert(git_oid_equal(&got.commit, want), "%s: %s: %s, expected %s", what, path,
			  hex(&got.commit, a), hex(want, b));
		free(path);
	}
}

static void replace_file(const char *path, const mech_buf *b, size_t len)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(b->ptr, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

Test(lastwriter, large_index_reads_only_the_blocks_a_lookup_needs)
{
	static const size_t every[] = {1, 7, 11, 13};
	world w;
	git_oid c[4];
	mech_lastwriter *lw;
	mech_buf good = MECH_BUF_INIT, older = MECH_BUF_INIT, bad = MECH_BUF_INIT;
	size_t walked, size, nblocks, off, len, read_one;
	int rebuilt;
	char *one = big_path(BIG_APPS / 3);

	world_open(&w);
	big_commit(&w, NULL, every, 0, &c[0]);
	big_commit(&w, &c[0], every, 1, &c[1]);
	build_index_at(&w, &c[1]);
	cr_assert_eq(mech_buf_read_file(&older, w.index_file, 0), 0);
	big_commit(&w, &c[1], every, 2, &c[2]);
	unlink(w.index_file);
	build_index_at(&w, &c[2]);
	cr_assert_eq(mech_buf_read_file(&good, w.index_file, 0), 0);
	size = good.len;

	/* one answer reads the header, the table and a few blocks, not the file */
	cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
	cr_assert_eq(mech_lastwriter_update(lw, &c[2]), 0);
	{
		mech_writer got;
		cr_assert_eq(mech_lastwriter_get(lw, one, &got), 0);
		cr_assert(git_oid_equal(&got.commit, &c[0]) || git_oid_equal(&got.commit, &c[1]) ||
			  git_oid_equal(&got.commit, &c[2]));
	}
	read_one = mech_lastwriter_bytes_read(lw);
	cr_assert_lt(read_one, size / 4, "one lookup read %zu of %zu bytes", read_one, size);
	nblocks = v4_nblocks(&good);
	cr_log_info("one lookup read %zu of %zu bytes (%zu blocks)", read_one, size, nblocks);
	cr_assert_gt(nblocks, 64, "%zu blocks in %zu bytes", nblocks, size);
	/* the table, and about log2(blocks) + 1 blocks of about 4 KiB */
	cr_assert_lt(read_one, V4_HEADER + 16 * nblocks + 12 * 4500, "one lookup read %zu bytes",
		     read_one);
	expect_big(lw, c, every, 3, "every file");
	mech_lastwriter_stats(lw, &walked, &rebuilt);
	cr_assert_eq(rebuilt, 0);
	cr_assert_eq(walked, 0);
	/* every block was needed, each read (and checked) once */
	cr_assert_lt(mech_lastwriter_bytes_read(lw), size + 1, "read %zu of %zu bytes",
		     mech_lastwriter_bytes_read(lw), size);
	mech_lastwriter_free(lw);

	/* one flipped byte in a block in the middle: found by the lookups that read it */
	mech_buf_put(&bad, good.ptr, good.len);
	v4_block(&bad, nblocks / 2, &off, &len);
	bad.ptr[off + len / 2] ^= 0x20;
	replace_file(w.index_file, &bad, bad.len);
	cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
	cr_assert_eq(mech_lastwriter_update(lw, &c[2]), 0);
	expect_big(lw, c, every, 3, "a flipped byte in one block");
	mech_lastwriter_stats(lw, &walked, &rebuilt);
	cr_assert_eq(rebuilt, 1, "the damaged block was believed");
	mech_lastwriter_free(lw);
	mech_buf_dispose(&bad);
	cr_assert_eq(mech_buf_read_file(&bad, w.index_file, 0), 0);
	cr_assert(bad.len == good.len && !memcmp(bad.ptr, good.ptr, good.len),
		  "the rebuilt file differs from the one built before the damage");
	mech_buf_dispose(&bad);

	/* cut in the middle of a block */
	v4_block(&good, nblocks / 3, &off, &len);
	replace_file(w.index_file, &good, off + len / 2);
	expect_rebuild_and_match(&w, &c[2], 0, "cut in a block");
	cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
	cr_assert_eq(mech_lastwriter_update(lw, &c[2]), 0);
	expect_big(lw, c, every, 3, "after a cut");
	mech_lastwriter_free(lw);

	/* a file from an older tip moves forward over the new commit only */
	replace_file(w.index_file, &older, older.len);
	cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
	cr_assert_eq(mech_lastwriter_update(lw, &c[2]), 0);
	mech_lastwriter_stats(lw, &walked, &rebuilt);
	cr_assert_eq(rebuilt, 0);
	cr_assert_eq(walked, 1);
	expect_big(lw, c, every, 3, "from an older tip");
	mech_lastwriter_free(lw);

	/*
	 * A delta past the deltas' limit: the file is rewritten, the blocks'
	 * lines copied with the new answers merged in, byte for byte what a
	 * rebuild from Git writes.
	 */
	big_commit(&w, &c[2], every, 3, &c[3]);
	cr_assert_eq(mech_lastwriter_open(&lw, w.repo, w.cfg, w.index_file), 0);
	cr_assert_eq(mech_lastwriter_update(lw, &c[3]), 0);
	mech_lastwriter_stats(lw, &walked, &rebuilt);
	cr_assert_eq(rebuilt, 0);
	cr_assert_eq(walked, 1);
	expect_big(lw, c, every, 4, "merged");
	mech_lastwriter_free(lw);
	cr_assert_eq(mech_buf_read_file(&bad, w.index_file, 0), 0);
	cr_assert_eq(v4_snapshot_end(&bad), bad.len, "a delta of %zu bytes was appended",
		     bad.len - v4_snapshot_end(&bad));
	unlink(w.index_file);
	build_index_at(&w, &c[3]);
	mech_buf_dispose(&good);
	cr_assert_eq(mech_buf_read_file(&good, w.index_file, 0), 0);
	cr_assert(bad.len == good.len && !memcmp(bad.ptr, good.ptr, good.len),
		  "the merged file differs from a rebuild's");
	mech_buf_dispose(&bad);

	mech_buf_dispose(&good);
	mech_buf_dispose(&older);
	free(one);
	world_close(&w);
}
