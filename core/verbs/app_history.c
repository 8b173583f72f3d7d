/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An instance's history: the commits under apps/<app>/ (as `git log --
 * apps/<app>` finds them), each kept when it changed what that instance
 * asks Kubernetes to run — image, replicas, env — with the change spelt out.
 * Receipts and human commits alike: the desired state is read from the
 * trees, not from commit messages.
 */
#include "mech/app.h"
#include "mech/error.h"
#include "mech/history.h"
#include "mech/tree.h"
#include "mech/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_change(mech_app_history_entry *e, const char *field, const char *from,
		       const char *to)
{
	mech_app_change *c;
	e->changes = mech_reallocarray(e->changes, e->nchanges + 1, sizeof(*e->changes));
	c = &e->changes[e->nchanges++];
	c->field = mech_strdup(field);
	c->from = from ? mech_strdup(from) : NULL;
	c->to = to ? mech_strdup(to) : NULL;
}

/* The value of NAME=VALUE line for `name` in env, or NULL. */
static const char *env_value(const mech_strv *env, const char *name, size_t n)
{
	size_t i;
	for (i = 0; i < env->len; i++)
		if (!strncmp(env->items[i], name, n) && env->items[i][n] == '=')
			return env->items[i] + n + 1;
	return NULL;
}

static void diff_env(mech_app_history_entry *e, const mech_strv *was, const mech_strv *now)
{
	size_t i;
	for (i = 0; i < now->len; i++) {
		size_t n = strcspn(now->items[i], "=");
		const char *before = env_value(was, now->items[i], n);
		if (!before || strcmp(before, now->items[i] + n + 1)) {
			char *field = mech_sprintf("env.%.*s", (int)n, now->items[i]);
			add_change(e, field, before, now->items[i] + n + 1);
			free(field);
		}
	}
	for (i = 0; i < was->len; i++) {
		size_t n = strcspn(was->items[i], "=");
		if (!env_value(now, was->items[i], n)) {
			char *field = mech_sprintf("env.%.*s", (int)n, was->items[i]);
			add_change(e, field, was->items[i] + n + 1, NULL);
			free(field);
		}
	}
}

/* What changed from `was` to `now`, into e->changes. */
static void diff_states(mech_app_history_entry *e, const mech_app_desired *was,
			const mech_app_desired *now)
{
	mech_strv none = MECH_STRV_INIT;
	char a[24], b[24];
	if (was->exists != now->exists) {
		add_change(e, "instance", was->exists ? "present" : NULL,
			   now->exists ? "present" : NULL);
		if (!now->exists)
			return;
	}
	if (!now->exists)
		return;
	if ((was->image || now->image) &&
	    (!was->image || !now->image || strcmp(was->image, now->image)))
		add_change(e, "image", was->exists ? was->image : NULL, now->image);
	if (!was->exists || was->replicas != now->replicas) {
		snprintf(a, sizeof(a), "%d", was->replicas);
		snprintf(b, sizeof(b), "%d", now->replicas);
		add_change(e, "replicas", was->exists ? a : NULL, b);
	}
	/* a new instance: its env is all new */
	diff_env(e, was->exists ? &was->env : &none, &now->env);
}

static int state_at(git_repository *git, const git_oid *commit, const char *app,
		    const char *instance, mech_app_desired *out)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	int rc;
	memset(out, 0, sizeof(*out));
	if (git_commit_lookup(&c, git, commit) < 0 || git_commit_tree(&tree, c) < 0) {
		git_commit_free(c);
		return mech_error_git(MECH_EFAILED, "cannot read commit");
	}
	rc = mech_app_desired_at(git, tree, app, instance, out);
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}

int mech_app_history(mech_repo *repo, const char *app, const char *instance, size_t max,
		     mech_app_history_entry **out, size_t *n)
{
	git_repository *git = mech_repo_git(repo);
	mech_log_entry *log = NULL;
	mech_log_opts o;
	size_t nlog = 0, i, cap = 0;
	char *dir = NULL, *picked = NULL;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (mech_validate_name("app name", app) < 0 ||
	    (instance && mech_validate_name("instance name", instance) < 0))
		return -1;
	if (!instance) {
		mech_app_state *st = NULL;
		const mech_instance_state *in = NULL;
		if (mech_app_get(repo, app, &st) < 0 || mech_app_pick_instance(st, NULL, &in) < 0) {
			mech_app_state_free(st, st ? 1 : 0);
			return -1;
		}
		picked = mech_strdup(in->name);
		mech_app_state_free(st, 1);
		instance = picked;
	}
	memset(&o, 0, sizeof(o));
	dir = mech_layout_app_dir(app);
	o.path = dir;
	if (mech_history_log(repo, &o, &log, &nlog) < 0)
		goto done;
	for (i = 0; i < nlog && (!max || *n < max); i++) {
		mech_app_history_entry e;
		mech_app_desired was;
		git_oid id, parent;
		git_commit *c = NULL;
		int has_parent = 0;
		memset(&e, 0, sizeof(e));
		if (git_oid_fromstr(&id, log[i].commit) < 0 ||
		    state_at(git, &id, app, instance, &e.state) < 0)
			goto done;
		if (git_commit_lookup(&c, git, &id) == 0 && git_commit_parentcount(c) > 0) {
			git_oid_cpy(&parent, git_commit_parent_id(c, 0));
			has_parent = 1;
		}
		git_commit_free(c);
		memset(&was, 0, sizeof(was));
		if (has_parent && state_at(git, &parent, app, instance, &was) < 0) {
			mech_app_desired_dispose(&e.state);
			goto done;
		}
		diff_states(&e, &was, &e.state);
		mech_app_desired_dispose(&was);
		if (!e.nchanges) { /* another instance's commit, or no change to what runs */
			mech_app_desired_dispose(&e.state);
			continue;
		}
		e.log = log[i];
		memset(&log[i], 0, sizeof(log[i])); /* moved into e */
		if (*n == cap) {
			cap = mech_grow_cap(cap, *n + 1, 8, sizeof(**out));
			*out = mech_reallocarray(*out, cap, sizeof(**out));
		}
		(*out)[(*n)++] = e;
	}
	if (!*n && !picked) {
		/* no change ever: a name that never was an instance is not found */
		mech_app_state *st = NULL;
		const mech_instance_state *in = NULL;
		int found = mech_app_get(repo, app, &st) == 0 &&
			    mech_app_pick_instance(st, instance, &in) == 0;
		mech_app_state_free(st, st ? 1 : 0);
		if (!found)
			goto done;
	}
	rc = 0;
done:
	if (rc < 0) {
		mech_app_history_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	mech_log_entries_free(log, nlog);
	free(dir);
	free(picked);
	return rc;
}

void mech_app_history_free(mech_app_history_entry *h, size_t n)
{
	size_t i, j;
	for (i = 0; i < n; i++) {
		mech_log_entry_dispose(&h[i].log);
		mech_app_desired_dispose(&h[i].state);
		for (j = 0; j < h[i].nchanges; j++) {
			free(h[i].changes[j].field);
			free(h[i].changes[j].from);
			free(h[i].changes[j].to);
		}
		free(h[i].changes);
	}
	free(h);
}
