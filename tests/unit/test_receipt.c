/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Receipts (DESIGN §5): the commit message grammar, read back by mech and
 * by git itself (`git interpret-trailers --parse`), and the classification
 * of commits as machine, human or forced.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mech/buf.h"
#include "mech/config.h"
#include "mech/error.h"
#include "mech/receipt.h"

#define SHA1 "3f2a9c1d0e4b5a6978877665544332211ffeeddc"
#define SHA2 "0123456789abcdef0123456789abcdef01234567"
#define REQ "7c1e0b9a-4f2d-4e8b-9a1c-2b3d4e5f6a7b"

/* ---- a temp dir for git's files and repos ---- */

static char tmp[64];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void setup(void)
{
	const char *root = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(tmp, sizeof(tmp), "%s/mech-receipt-XXXXXX", root);
	cr_assert_not_null(mkdtemp(tmp));
	setenv("HOME", tmp, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
	setenv("TZ", "UTC", 1);
	git_libgit2_init();
}

static void teardown(void)
{
	git_libgit2_shutdown();
	nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(receipt, .init = setup, .fini = teardown);

/* ---- git's reading of the trailers ---- */

typedef struct {
	mech_strv keys, values;
} trailers;

static void git_trailers(const char *message, trailers *out)
{
	char *file = mech_sprintf("%s/msg", tmp), *cmd;
	char line[4096];
	FILE *f = fopen(file, "w");
	cr_assert_not_null(f);
	fputs(message, f);
	fclose(f);
	cmd = mech_sprintf("git interpret-trailers --parse '%s'", file);
	f = popen(cmd, "r");
	cr_assert_not_null(f);
	memset(out, 0, sizeof(*out));
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		line[strcspn(line, "\n")] = '\0';
		cr_assert_not_null(colon, "git printed \"%s\"", line);
		*colon = '\0';
		mech_strv_push(&out->keys, line);
		mech_strv_push(&out->values, colon[1] == ' ' ? colon + 2 : colon + 1);
	}
	cr_assert_eq(pclose(f), 0, "git interpret-trailers failed");
	free(cmd);
	free(file);
}

static void trailers_dispose(trailers *t)
{
	mech_strv_dispose(&t->keys);
	mech_strv_dispose(&t->values);
}

/* The one value git has for `key`, or NULL; fails when git has it twice. */
static const char *git_value(const trailers *t, const char *key)
{
	const char *found = NULL;
	size_t i;
	for (i = 0; i < t->keys.len; i++) {
		if (strcmp(t->keys.items[i], key))
			continue;
		cr_assert_null(found, "git sees %s twice", key);
		found = t->values.items[i];
	}
	return found;
}

static void expect_same(const char *key, const char *git, const char *mech, const char *message)
{
	if (!git || !mech) {
		cr_assert(git == mech, "%s: git reads %s, mech reads %s\n--- message:\n%s", key,
			  git ? git : "(none)", mech ? mech : "(none)", message);
		return;
	}
	cr_assert_str_eq(mech, git, "%s: git reads \"%s\", mech reads \"%s\"\n--- message:\n%s",
			 key, git, mech, message);
}

/* mech_receipt_parse and git agree on every Mechanics-* trailer of `message`. */
static void expect_git_agrees(const char *message)
{
	trailers t;
	mech_receipt r;
	size_t i, nforced = 0;

	git_trailers(message, &t);
	mech_receipt_parse(message, &r);
	expect_same("Mechanics-Verb", git_value(&t, "Mechanics-Verb"), r.trailer_verb, message);
	expect_same("Mechanics-Tenant", git_value(&t, "Mechanics-Tenant"), r.tenant, message);
	expect_same("Mechanics-Target", git_value(&t, "Mechanics-Target"), r.target, message);
	expect_same("Mechanics-Request", git_value(&t, "Mechanics-Request"), r.request, message);
	for (i = 0; i < t.keys.len; i++) {
		char *want;
		if (strcmp(t.keys.items[i], "Mechanics-Forced-Over"))
			continue;
		cr_assert_lt(nforced, r.nforced,
			     "git reads more Forced-Over trailers than mech (%zu)", r.nforced);
		want = mech_sprintf("%s %s", r.forced[nforced].commit, r.forced[nforced].path);
		cr_assert_str_eq(want, t.values.items[i], "Forced-Over #%zu", nforced);
		free(want);
		nforced++;
	}
	cr_assert_eq(nforced, r.nforced, "git reads %zu Forced-Over trailers, mech %zu", nforced,
		     r.nforced);
	mech_receipt_dispose(&r);
	trailers_dispose(&t);
}

/* ---- format / parse ---- */

static const char *subject_of(const char *message, char *buf, size_t len)
{
	size_t n = strcspn(message, "\n");
	cr_assert_lt(n, len);
	memcpy(buf, message, n);
	buf[n] = '\0';
	return buf;
}

Test(receipt, format_parse_round_trip)
{
	static const mech_forced_over forced[] = {{SHA1, "apps/web/base/deployment.yaml"},
						  {SHA2, "network/routes/web/main.yaml"}};
	static const struct {
		const char *verb, *summary, *body, *target;
		size_t nforced;
	} cases[] = {
		{"app.create", "add app web",
		 "image: registry.example.com/alice/web:3f2a9c1d0e4b\n"
		 "files: apps/web/base/deployment.yaml, "
		 "apps/web/base/service.yaml",
		 "app/web", 0},
		{"route.delete", "remove route web/main", NULL, "route/web/main", 0},
		{"app.set-image", "web/main: nginx:1.27", "", "app/web", 2},
		{"tenant.seed", "seed tenant alice", "one line\n\ntwo paragraphs\n", "tenant/alice",
		 1},
	};
	size_t i, j;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *msg = mech_receipt_format(cases[i].verb, cases[i].summary, cases[i].body,
						"alice", cases[i].target, REQ, forced,
						cases[i].nforced);
		char subject[256],
			*want = mech_sprintf("mechanics(%s): %s", cases[i].verb, cases[i].summary);
		mech_receipt r;
		cr_assert_str_eq(subject_of(msg, subject, sizeof(subject)), want);
		free(want);
		mech_receipt_parse(msg, &r);
		cr_assert_str_eq(r.verb, cases[i].verb);
		cr_assert_str_eq(r.summary, cases[i].summary);
		cr_assert_str_eq(r.trailer_verb, cases[i].verb);
		cr_assert_str_eq(r.tenant, "alice");
		cr_assert_str_eq(r.target, cases[i].target);
		cr_assert_str_eq(r.request, REQ);
		cr_assert_eq(r.nforced, cases[i].nforced);
		for (j = 0; j < r.nforced; j++) {
			cr_assert_str_eq(r.forced[j].commit, forced[j].commit);
			cr_assert_str_eq(r.forced[j].path, forced[j].path);
		}
		if (cases[i].body && *cases[i].body)
			cr_assert(strstr(msg, cases[i].body), "body lost:\n%s", msg);
		expect_git_agrees(msg);
		mech_receipt_dispose(&r);
		free(msg);
	}
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static int valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		int n = *p < 0x80             ? 0
			: (*p & 0xe0) == 0xc0 ? 1
			: (*p & 0xf0) == 0xe0 ? 2
			: (*p & 0xf8) == 0xf0 ? 3
					      : -1;
		if (n < 0)
			return 0;
		for (p++; n > 0; n--, p++)
			if ((*p & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

Test(receipt, subject_stays_within_72_characters)
{
	char summary[200], subject[256];
	size_t len;
	for (len = 40; len < 120; len += 7) {
		char *msg;
		mech_receipt r;
		memset(summary, 'x', len);
		summary[len] = '\0';
		memcpy(summary, "deploy web ", 11);
		msg = mech_receipt_format("app.deploy", summary, NULL, "alice", "app/web", REQ,
					  NULL, 0);
		subject_of(msg, subject, sizeof(subject));
		cr_assert_leq(strlen(subject), MECH_SUBJECT_MAX, "%zu-char summary gave \"%s\"",
			      len, subject);
		/* a cut subject still parses, so the commit stays machine-authored */
		mech_receipt_parse(msg, &r);
		cr_assert_str_eq(r.verb, "app.deploy", "subject \"%s\" does not parse", subject);
		if (strlen("mechanics(app.deploy): ") + len > MECH_SUBJECT_MAX)
			cr_assert(strstr(subject, "..."), "a cut summary is not marked: %s",
				  subject);
		else
			cr_assert_str_eq(r.summary, summary);
		mech_receipt_dispose(&r);
		free(msg);
	}
}

Test(receipt, subject_cut_keeps_utf8_whole)
{
	/* "é" is two bytes, "€" three: a cut at a byte count must not split one */
	static const char *const chars[] = {"\xc3\xa9", "\xe2\x82\xac"};
	size_t c, lead, i;
	for (c = 0; c < 2; c++) {
		for (lead = 0; lead < 3; lead++) {
			char summary[400] = "", subject[256], *msg;
			memset(summary, 'v', lead);
			summary[lead] = '\0';
			for (i = 0; i < 60; i++)
				strcat(summary, chars[c]);
			msg = mech_receipt_format("app.create", summary, NULL, "alice", "app/web",
						  REQ, NULL, 0);
			subject_of(msg, subject, sizeof(subject));
			cr_assert(valid_utf8(subject), "the subject is not valid UTF-8: \"%s\"",
				  subject);
			cr_assert_leq(utf8_chars(subject), MECH_SUBJECT_MAX);
			free(msg);
		}
	}
}

Test(receipt, summary_stops_at_newline)
{
	char subject[256];
	char *msg = mech_receipt_format("app.create", "add app web\nsecond line", NULL, "alice",
					"app/web", REQ, NULL, 0);
	cr_assert_str_eq(subject_of(msg, subject, sizeof(subject)),
			 "mechanics(app.create): add app web");
	expect_git_agrees(msg);
	free(msg);
}

Test(receipt, parse_tolerates_anything)
{
	static const char *const messages[] = {
		"",
		"\n\n\n",
		"fix typo",
		"mechanics(app.create): add app web", /* no body, no trailers */
		"Mechanics-Verb: app.create\n",       /* a trailer as the subject */
		"mechanics(app.create): x\n\nMechanics-Verb:\nMechanics-Tenant:   \n",
		("mechanics(app.create): x\r\n\r\nMechanics-Verb: app.create\r\nMechanics-Tenant: "
		 "alice\r\n"),
	};
	size_t i;
	mech_receipt r;
	mech_receipt_parse(NULL, &r);
	cr_assert_null(r.verb);
	cr_assert_null(r.trailer_verb);
	mech_receipt_dispose(&r);
	for (i = 0; i < sizeof(messages) / sizeof(*messages); i++) {
		mech_receipt_parse(messages[i], &r);
		mech_receipt_dispose(&r);
	}
	mech_receipt_parse(messages[6], &r);
	cr_assert_str_eq(r.trailer_verb, "app.create", "a CRLF message keeps its trailers");
	cr_assert_str_eq(r.tenant, "alice");
	mech_receipt_dispose(&r);
}

/* Trailers are git's: what `git interpret-trailers` reads from the last paragraph. */
Test(receipt, trailers_read_like_git)
{
	static const char *const messages[] = {
		/* a hand-written receipt with other trailers mixed in */
		"mechanics(app.create): add app web\n\nwhy: because\n\nMechanics-Verb: app.create\n"
		"Signed-off-by: Alice <alice@example.com>\nMechanics-Tenant: alice\n"
		"Mechanics-Target: app/web\nMechanics-Request: " REQ "\n",
		/* Forced-Over lines in order */
		"mechanics(app.delete): delete app web\n\nMechanics-Verb: app.delete\n"
		"Mechanics-Tenant: alice\nMechanics-Target: app/web\nMechanics-Request: " REQ "\n"
		"Mechanics-Forced-Over: " SHA1 " apps/web/base/deployment.yaml\n"
		"Mechanics-Forced-Over: " SHA2 " apps/web/base/service.yaml\n",
		/* no body, only some trailers */
		("mechanics(app.create): add app web\n\nMechanics-Verb: app.create\n"
		 "Mechanics-Target: app/web\n"),
	};
	size_t i;
	for (i = 0; i < sizeof(messages) / sizeof(*messages); i++)
		expect_git_agrees(messages[i]);
}

/*
 * Lines that look like trailers but sit in the body are not trailers to
 * git; a commit that quotes a receipt must not be read as one.
 */
Test(receipt, trailers_come_only_from_the_last_paragraph)
{
	static const char *const messages[] = {
		/* a human quoting a receipt in the body: the last paragraph is not trailers */
		"revert web\n\nThis reverts:\n\nMechanics-Verb: app.create\nMechanics-Tenant: alice\n\n"
		"It broke production.\n",
		/* trailer-looking lines in the body, real trailers at the end */
		"mechanics(app.create): add app web\n\nMechanics-Verb: app.delete\n\n"
		"Mechanics-Verb: app.create\nMechanics-Tenant: alice\n",
	};
	size_t i;
	for (i = 0; i < sizeof(messages) / sizeof(*messages); i++)
		expect_git_agrees(messages[i]);
}

/* ---- classification ---- */

typedef struct {
	git_repository *repo;
	mech_config *cfg;
} cls_ctx;

static void cls_open(cls_ctx *c)
{
	char *dir = mech_sprintf("%s/repo.git", tmp);
	cr_assert_eq(git_repository_init(&c->repo, dir, 1), 0);
	cr_assert_eq(mech_config_load(&c->cfg, tmp), 0);
	free(dir);
}

static void cls_close(cls_ctx *c)
{
	mech_config_free(c->cfg);
	git_repository_free(c->repo);
}

static mech_class classify_as(cls_ctx *c, const char *cname, const char *cemail, const char *msg)
{
	git_treebuilder *tb;
	git_oid tree_id, id;
	git_tree *tree;
	git_signature *author, *committer;
	git_commit *commit;
	mech_class cls;
	cr_assert_eq(git_treebuilder_new(&tb, c->repo, NULL), 0);
	cr_assert_eq(git_treebuilder_write(&tree_id, tb), 0);
	git_treebuilder_free(tb);
	cr_assert_eq(git_tree_lookup(&tree, c->repo, &tree_id), 0);
	cr_assert_eq(git_signature_new(&author, "alice", "alice@localhost", 1700000000, 0), 0);
	cr_assert_eq(git_signature_new(&committer, cname, cemail, 1700000000, 0), 0);
	cr_assert_eq(git_commit_create(&id, c->repo, NULL, author, committer, NULL, msg, tree, 0,
				       NULL),
		     0);
	cr_assert_eq(git_commit_lookup(&commit, c->repo, &id), 0);
	cls = mech_receipt_classify(commit, c->cfg);
	git_commit_free(commit);
	git_signature_free(author);
	git_signature_free(committer);
	git_tree_free(tree);
	return cls;
}

static char *receipt(const char *subject_verb, const char *trailer_verb, const char *extra)
{
	return mech_sprintf("mechanics(%s): something\n\nMechanics-Verb: %s\nMechanics-Tenant: alice\n"
			    "Mechanics-Target: app/web\nMechanics-Request: " REQ "\n%s",
			    subject_verb, trailer_verb, extra);
}

static void expect_class(cls_ctx *c, const char *cname, const char *cemail, const char *msg,
			 mech_class want)
{
	mech_class got = classify_as(c, cname, cemail, msg);
	cr_assert_eq(got, want, "committer %s <%s>, message:\n%s\nclassified %s, expected %s",
		     cname, cemail, msg, mech_class_name(got), mech_class_name(want));
}

#define MACHINE "Mechanics", "mechanics@localhost"

Test(receipt, machine_needs_machine_committer_grammar_and_matching_verb)
{
	cls_ctx c;
	char *ok = receipt("app.create", "app.create", "");
	cls_open(&c);
	expect_class(&c, MACHINE, ok, MECH_CLASS_MACHINE);
	/* wrong committer, by name or by e-mail */
	expect_class(&c, "alice", "alice@localhost", ok, MECH_CLASS_HUMAN);
	expect_class(&c, "Mechanics", "alice@localhost", ok, MECH_CLASS_HUMAN);
	expect_class(&c, "alice", "mechanics@localhost", ok, MECH_CLASS_HUMAN);
	expect_class(&c, "mechanics", "mechanics@localhost", ok, MECH_CLASS_HUMAN);
	cls_close(&c);
	free(ok);
}

Test(receipt, subject_that_does_not_parse_is_human)
{
	static const char *const subjects[] = {
		"Mechanics(app.create): add app web",  /* not lower case */
		"mechanics(App.create): add app web",  /* verb not lower case */
		"mechanics(app): add app web",         /* no noun.verb */
		"mechanics(app.create):add app web",   /* no space */
		"mechanics(app.create) add app web",   /* no colon */
		"mechanics(app.create): ",             /* no summary */
		"mechanics(app..create): add app web", /* empty word */
		"mechanics(app.create.): add app web",
		"mechanics(.create): add app web",
		"mechanics(app create): add app web",
		"fix: mechanics(app.create): add app web",
		"mechanics(app.create): a summary that runs on far past the seventy-two limit",
	};
	cls_ctx c;
	size_t i;
	cls_open(&c);
	for (i = 0; i < sizeof(subjects) / sizeof(*subjects); i++) {
		char *msg =
			mech_sprintf("%s\n\nMechanics-Verb: app.create\nMechanics-Tenant: alice\n",
				     subjects[i]);
		expect_class(&c, MACHINE, msg, MECH_CLASS_HUMAN);
		free(msg);
	}
	cls_close(&c);
}

Test(receipt, trailer_verb_must_match_subject_verb)
{
	cls_ctx c;
	char *other = receipt("app.create", "app.delete", "");
	char *missing = mech_strdup(
		"mechanics(app.create): add app web\n\nMechanics-Tenant: alice\n");
	char *prefix = receipt("app.create", "app.create-x", "");
	cls_open(&c);
	expect_class(&c, MACHINE, other, MECH_CLASS_HUMAN);
	expect_class(&c, MACHINE, missing, MECH_CLASS_HUMAN);
	expect_class(&c, MACHINE, prefix, MECH_CLASS_HUMAN);
	cls_close(&c);
	free(other);
	free(missing);
	free(prefix);
}

Test(receipt, forced_over_makes_forced_and_malformed_lines_are_ignored)
{
	static const char *const malformed[] = {
		"Mechanics-Forced-Over: " SHA1 "\n",                 /* no path */
		"Mechanics-Forced-Over: " SHA1 " \n",                /* empty path */
		"Mechanics-Forced-Over: 3f2a9c1d apps/web/x.yaml\n", /* short sha */
		"Mechanics-Forced-Over: zz2a9c1d0e4b5a6978877665544332211ffeeddc apps/x.yaml\n",
		"Mechanics-Forced-Over: " SHA1 "0 apps/x.yaml\n", /* 41 hex digits */
		"Mechanics-Forced-Over:\n",
	};
	cls_ctx c;
	size_t i;
	char *msg;
	mech_receipt r;
	cls_open(&c);

	msg = receipt("app.set-image", "app.set-image",
		      "Mechanics-Forced-Over: " SHA1
		      " apps/web/overlays/main/kustomization.yaml\n");
	expect_class(&c, MACHINE, msg, MECH_CLASS_FORCED);
	/* forced is a kind of machine commit: a human committer stays human */
	expect_class(&c, "alice", "alice@localhost", msg, MECH_CLASS_HUMAN);
	free(msg);

	for (i = 0; i < sizeof(malformed) / sizeof(*malformed); i++) {
		msg = receipt("app.set-image", "app.set-image", malformed[i]);
		expect_class(&c, MACHINE, msg, MECH_CLASS_MACHINE);
		mech_receipt_parse(msg, &r);
		cr_assert_eq(r.nforced, 0, "malformed line taken: %s", malformed[i]);
		mech_receipt_dispose(&r);
		free(msg);
	}

	/* a good line among bad ones is still read, alone */
	{
		char *extra = mech_sprintf("%s%sMechanics-Forced-Over: " SHA2 " a b.yaml\n",
					   malformed[0], malformed[2]);
		msg = receipt("app.set-image", "app.set-image", extra);
		expect_class(&c, MACHINE, msg, MECH_CLASS_FORCED);
		mech_receipt_parse(msg, &r);
		cr_assert_eq(r.nforced, 1);
		cr_assert_str_eq(r.forced[0].commit, SHA2);
		cr_assert_str_eq(r.forced[0].path, "a b.yaml");
		mech_receipt_dispose(&r);
		free(msg);
		free(extra);
	}
	cls_close(&c);
}

Test(receipt, machine_identity_comes_from_configuration)
{
	cls_ctx c;
	char *file = mech_sprintf("%s/mech.yaml", tmp);
	char *msg = receipt("app.create", "app.create", "");
	FILE *f = fopen(file, "w");
	cr_assert_not_null(f);
	fputs("machine: {name: Robot, email: robot@mech.example}\n", f);
	fclose(f);
	cls_open(&c);
	expect_class(&c, "Robot", "robot@mech.example", msg, MECH_CLASS_MACHINE);
	expect_class(&c, MACHINE, msg, MECH_CLASS_HUMAN);
	cls_close(&c);
	free(msg);
	free(file);
}

/* ---- small helpers users see ---- */

Test(receipt, class_names_round_trip)
{
	static const mech_class all[] = {MECH_CLASS_MACHINE, MECH_CLASS_HUMAN, MECH_CLASS_FORCED};
	size_t i;
	mech_class out;
	for (i = 0; i < 3; i++) {
		cr_assert_eq(mech_class_parse(mech_class_name(all[i]), &out), 0);
		cr_assert_eq(out, all[i]);
	}
	cr_assert_str_eq(mech_class_name(MECH_CLASS_MACHINE), "machine");
	cr_assert_str_eq(mech_class_name(MECH_CLASS_HUMAN), "human");
	cr_assert_str_eq(mech_class_name(MECH_CLASS_FORCED), "forced");
	cr_assert_lt(mech_class_parse("robot", &out), 0);
	cr_assert_eq(mech_error_last()->code, MECH_EINVALID);
	cr_assert(strstr(mech_error_last()->message, "robot"));
	cr_assert_lt(mech_class_parse("Machine", &out), 0);
}

Test(receipt, request_ids_are_unique_uuid_v4)
{
	mech_strv seen = MECH_STRV_INIT;
	size_t i, j;
	for (i = 0; i < 500; i++) {
		char *id = mech_request_id();
		cr_assert_eq(strlen(id), 36, "%s", id);
		for (j = 0; j < 36; j++) {
			if (j == 8 || j == 13 || j == 18 || j == 23)
				cr_assert_eq(id[j], '-', "%s", id);
			else
				cr_assert(strchr("0123456789abcdef", id[j]), "%s", id);
		}
		cr_assert_eq(id[14], '4', "not version 4: %s", id);
		cr_assert(strchr("89ab", id[19]), "not the RFC 4122 variant: %s", id);
		cr_assert(!mech_strv_contains(&seen, id), "request id repeated: %s", id);
		mech_strv_push(&seen, id);
		free(id);
	}
	mech_strv_dispose(&seen);
}

Test(receipt, times_are_utc_iso8601)
{
	static const git_time_t times[] = {0, 1700000000, 951782400 /* 2000-02-29 */, 2147483647,
					   4102444800 /* 2100 */};
	size_t i;
	for (i = 0; i < sizeof(times) / sizeof(*times); i++) {
		git_time t = {times[i], 330, '+'}; /* the commit's zone must not matter */
		char got[32], want[64], *cmd;
		FILE *f;
		mech_format_time(&t, got, sizeof(got));
		cmd = mech_sprintf("date -u -d @%lld +%%Y-%%m-%%dT%%H:%%M:%%SZ",
				   (long long)times[i]);
		f = popen(cmd, "r");
		cr_assert_not_null(f);
		cr_assert_not_null(fgets(want, sizeof(want), f));
		pclose(f);
		want[strcspn(want, "\n")] = '\0';
		cr_assert_str_eq(got, want);
		free(cmd);
	}
}
