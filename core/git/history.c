/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Receipts as history. The path-limited walk reproduces git's default
 * history simplification: a commit TREESAME to a parent for the path is
 * hidden and only that parent is followed; commits are listed newest
 * first by commit date, as `git log` does.
 */
#include "mech/history.h"
#include "mech/error.h"
#include "mech/lastwriter.h"
#include "mech/lock.h"
#include "mech/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * The value of a "key: value" line in a receipt's body: the paragraph after
 * the subject (docs/formats.md, "Receipts"), never the trailers. Caller frees.
 */
static char *body_fact(const char *msg, const char *key)
{
	const char *p = strstr(msg, "\n\n"), *end;
	size_t k = strlen(key);
	if (!p)
		return NULL;
	p += 2;
	end = strstr(p, "\n\n");
	if (!end) /* one paragraph after the subject: the trailers, no body */
		return NULL;
	while (p < end) {
		size_t n = strcspn(p, "\n");
		if (n > k + 2 && !strncmp(p, key, k) && p[k] == ':' && p[k + 1] == ' ')
			return mech_strndup(p + k + 2, n - k - 2);
		p += n + 1;
	}
	return NULL;
}

void mech_log_entry_from_commit(mech_log_entry *e, const git_commit *c, const mech_config *cfg)
{
	const git_signature *a = git_commit_author(c), *cm = git_commit_committer(c);
	const char *msg = git_commit_message(c);
	mech_receipt r;
	char date[32];
	size_t i;

	memset(e, 0, sizeof(*e));
	git_oid_tostr(e->commit, sizeof(e->commit), git_commit_id(c));
	e->cls = mech_receipt_classify(c, cfg);
	e->author = mech_sprintf("%s <%s>", a->name, a->email);
	e->committer = mech_sprintf("%s <%s>", cm->name, cm->email);
	mech_format_time(&a->when, date, sizeof(date));
	e->date = mech_strdup(date);
	e->time = (long long)git_commit_time(c);
	e->subject = mech_strndup(msg, strcspn(msg, "\n"));
	e->message = mech_strdup(msg);
	e->nparents = git_commit_parentcount(c);
	if (e->cls == MECH_CLASS_HUMAN)
		return;
	mech_receipt_parse(msg, &r);
	e->image = body_fact(msg, "image");
	e->instance = body_fact(msg, "instance");
	e->verb = r.verb ? mech_strdup(r.verb) : NULL;
	e->target = r.target ? mech_strdup(r.target) : NULL;
	if (r.nforced) {
		e->forced = mech_calloc(r.nforced, sizeof(*e->forced));
		for (i = 0; i < r.nforced; i++) {
			memcpy(e->forced[i].commit, r.forced[i].commit, sizeof(e->forced[i].commit));
			e->forced[i].path = mech_strdup(r.forced[i].path);
		}
		e->nforced = r.nforced;
	}
	mech_receipt_dispose(&r);
}

void mech_log_entry_dispose(mech_log_entry *e)
{
	size_t i;
	free(e->verb);
	free(e->target);
	free(e->author);
	free(e->committer);
	free(e->date);
	free(e->subject);
	free(e->message);
	free(e->image);
	free(e->instance);
	for (i = 0; i < e->nforced; i++)
		free(e->forced[i].path);
	free(e->forced);
	free(e->still_overridden);
	memset(e, 0, sizeof(*e));
}

void mech_log_entries_free(mech_log_entry *e, size_t n)
{
	size_t i;
	for (i = 0; e && i < n; i++)
		mech_log_entry_dispose(&e[i]);
	free(e);
}

/* The object at `path` in a commit's tree (blob or tree); zero when absent. */
static void path_id(git_commit *c, const char *path, git_oid *out, unsigned *mode)
{
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	memset(out, 0, sizeof(*out));
	*mode = 0;
	if (git_commit_tree(&t, c) == 0 && git_tree_entry_bypath(&e, t, path) == 0) {
		*out = *git_tree_entry_id(e);
		*mode = (unsigned)git_tree_entry_filemode(e);
	}
	git_error_clear();
	git_tree_entry_free(e);
	git_tree_free(t);
}

/* a small max-heap of commits by commit time */
typedef struct {
	git_commit **items;
	size_t len, cap;
} heap;

static int newer(git_commit *a, git_commit *b)
{
	return git_commit_time(a) > git_commit_time(b);
}

static void heap_push(heap *h, git_commit *c)
{
	size_t i;
	if (h->len == h->cap) {
		h->cap = mech_grow_cap(h->cap, h->len + 1, 64, sizeof(*h->items));
		h->items = mech_reallocarray(h->items, h->cap, sizeof(*h->items));
	}
	i = h->len++;
	h->items[i] = c;
	while (i && newer(h->items[i], h->items[(i - 1) / 2])) {
		git_commit *t = h->items[i];
		h->items[i] = h->items[(i - 1) / 2];
		h->items[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static git_commit *heap_pop(heap *h)
{
	git_commit *top;
	size_t i = 0;
	if (!h->len)
		return NULL;
	top = h->items[0];
	h->items[0] = h->items[--h->len];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->len && newer(h->items[l], h->items[m]))
			m = l;
		if (r < h->len && newer(h->items[r], h->items[m]))
			m = r;
		if (m == i)
			break;
		git_commit *t = h->items[i];
		h->items[i] = h->items[m];
		h->items[m] = t;
		i = m;
	}
	return top;
}

/* commits already queued: an open-addressing set (histories run to 100k+) */
typedef struct {
	git_oid *ids;
	unsigned char *used;
	size_t len, cap;
} oid_set;

static size_t oid_slot(const oid_set *s, const git_oid *id)
{
	size_t h;
	memcpy(&h, id->id, sizeof(h));
	return h & (s->cap - 1);
}

static int seen_add(oid_set *s, const git_oid *id)
{
	size_t i;
	if ((s->len + 1) * 2 > s->cap) {
		/* doubled (powers of two: slots are masked), fatal if it cannot be */
		oid_set n = {NULL, NULL, 0, mech_grow_cap(s->cap, s->cap + 1, 256, sizeof(git_oid))};
		n.ids = mech_calloc(n.cap, sizeof(*n.ids));
		n.used = mech_calloc(n.cap, 1);
		for (i = 0; i < s->cap; i++)
			if (s->used[i])
				seen_add(&n, &s->ids[i]);
		free(s->ids);
		free(s->used);
		*s = n;
	}
	for (i = oid_slot(s, id);; i = (i + 1) & (s->cap - 1)) {
		if (!s->used[i]) {
			s->used[i] = 1;
			s->ids[i] = *id;
			s->len++;
			return 1;
		}
		if (git_oid_equal(&s->ids[i], id))
			return 0;
	}
}

static int maybe_class(const git_commit *c, const mech_config *cfg, mech_class cls)
{
	const git_signature *cm = git_commit_committer(c);
	if (!cm || strcmp(cm->email, cfg->machine_email) || strcmp(cm->name, cfg->machine_name))
		return 0;
	return cls != MECH_CLASS_FORCED ||
	       strstr(git_commit_message(c), "\nMechanics-Forced-Over: ");
}

static int resolve_start(mech_repo *repo, const char *start, git_oid *out)
{
	char q[MECH_ESCAPE_SIZE];
	git_object *obj = NULL;
	git_commit *c = NULL;
	if (!start)
		return mech_repo_head(repo, out);
	if (git_revparse_single(&obj, mech_repo_git(repo), start) < 0 ||
	    git_object_peel((git_object **)&c, obj, GIT_OBJECT_COMMIT) < 0) {
		git_object_free(obj);
		mech_error_set(MECH_ENOT_FOUND, "revision \"%s\" not found in %s/gitops",
			       mech_error_escape(q, start), mech_repo_tenant(repo));
		return mech_error_hint("use a commit sha from `mech log`, HEAD or HEAD~N");
	}
	*out = *git_commit_id(c);
	git_commit_free(c);
	git_object_free(obj);
	return 0;
}

int mech_history_resolve(mech_repo *repo, const char *rev, git_oid *out)
{
	return resolve_start(repo, rev, out);
}

static int collect(mech_repo *repo, const mech_log_opts *o, const git_oid *head,
		   mech_log_entry **out, size_t *n)
{
	git_repository *git = mech_repo_git(repo);
	const mech_config *cfg = mech_repo_config(repo);
	heap h = {0};
	oid_set seen = {NULL, NULL, 0, 0};
	git_commit *c;
	size_t cap = 0;
	int rc = 0;

	if (git_commit_lookup(&c, git, head) < 0)
		return mech_error_git(MECH_EFAILED, "cannot read the branch head");
	seen_add(&seen, head);
	heap_push(&h, c);
	while ((c = heap_pop(&h)) != NULL && (!o->max || *n < o->max)) {
		unsigned np = git_commit_parentcount(c), i;
		int show = 1, follow_only = -1;
		if (o->path) {
			git_oid id, pid;
			unsigned mode, pmode;
			path_id(c, o->path, &id, &mode);
			if (!np) {
				show = !git_oid_is_zero(&id);
			} else {
				for (i = 0; i < np && follow_only < 0; i++) {
					git_commit *p;
					if (git_commit_parent(&p, c, i) < 0)
						continue;
					path_id(p, o->path, &pid, &pmode);
					if (git_oid_equal(&id, &pid) && mode == pmode)
						follow_only = (int)i;
					git_commit_free(p);
				}
				show = follow_only < 0;
			}
		}
		/* a class filter can rule most commits out cheaply: forced needs the
		 * trailer, machine and forced need the machine committer */
		if (show && o->cls != MECH_CLASS_NONE && o->cls != MECH_CLASS_HUMAN &&
		    !maybe_class(c, cfg, o->cls))
			show = 0;
		if (show) {
			mech_log_entry e;
			mech_log_entry_from_commit(&e, c, cfg);
			if (o->cls == MECH_CLASS_NONE || e.cls == o->cls) {
				if (*n == cap) {
					cap = mech_grow_cap(cap, *n + 1, 32, sizeof(**out));
					*out = mech_reallocarray(*out, cap, sizeof(**out));
				}
				(*out)[(*n)++] = e;
			} else {
				mech_log_entry_dispose(&e);
			}
		}
		for (i = 0; i < np; i++) {
			git_commit *p;
			if (follow_only >= 0 && (int)i != follow_only)
				continue;
			if (!seen_add(&seen, git_commit_parent_id(c, i)))
				continue;
			if (git_commit_parent(&p, c, i) < 0) {
				rc = mech_error_git(MECH_EFAILED, "cannot read a parent commit");
				break;
			}
			heap_push(&h, p);
		}
		git_commit_free(c);
		if (rc < 0)
			break;
	}
	git_commit_free(c);
	while ((c = heap_pop(&h)) != NULL)
		git_commit_free(c);
	free(h.items);
	free(seen.ids);
	free(seen.used);
	return rc;
}

int mech_history_walk(mech_repo *repo, const mech_log_opts *o, mech_log_entry **out, size_t *n)
{
	git_oid head;
	*out = NULL;
	*n = 0;
	if (o->path && mech_validate_repo_path(o->path) < 0)
		return -1;
	if (resolve_start(repo, o->start, &head) < 0)
		return -1;
	if (collect(repo, o, &head, out, n) < 0) {
		mech_log_entries_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int mech_history_log(mech_repo *repo, const mech_log_opts *o, mech_log_entry **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (mech_repo_sync(repo) < 0)
		return -1;
	return mech_history_walk(repo, o, out, n);
}

int mech_history_walk_since(mech_repo *repo, const mech_log_opts *o, const git_oid *since,
			    mech_log_entry **out, size_t *n)
{
	git_repository *git = mech_repo_git(repo);
	const mech_config *cfg = mech_repo_config(repo);
	git_revwalk *walk = NULL;
	git_oid head, id;
	size_t cap = 0;
	int rc = -1, r;

	*out = NULL;
	*n = 0;
	if (o->path)
		return mech_error_set(MECH_EUSAGE, "history since a commit: no path filter");
	if (resolve_start(repo, o->start, &head) < 0)
		return -1;
	if (git_oid_equal(&head, since))
		return 0;
	/* a head that does not descend from `since` rewrote history: read it all again */
	if (git_graph_descendant_of(git, &head, since) != 1) {
		git_error_clear();
		return 1;
	}
	if (git_revwalk_new(&walk, git) < 0 || git_revwalk_sorting(walk, GIT_SORT_TIME) < 0 ||
	    git_revwalk_push(walk, &head) < 0 || git_revwalk_hide(walk, since) < 0) {
		mech_error_git(MECH_EFAILED, "cannot walk the new commits");
		goto done;
	}
	while ((r = git_revwalk_next(&id, walk)) == 0 && (!o->max || *n < o->max)) {
		git_commit *c = NULL;
		mech_log_entry e;
		if (git_commit_lookup(&c, git, &id) < 0) {
			mech_error_git(MECH_EFAILED, "cannot read a new commit");
			goto done;
		}
		if (o->cls != MECH_CLASS_NONE && o->cls != MECH_CLASS_HUMAN &&
		    !maybe_class(c, cfg, o->cls)) {
			git_commit_free(c);
			continue;
		}
		mech_log_entry_from_commit(&e, c, cfg);
		git_commit_free(c);
		if (o->cls != MECH_CLASS_NONE && e.cls != o->cls) {
			mech_log_entry_dispose(&e);
			continue;
		}
		if (*n == cap) {
			cap = mech_grow_cap(cap, *n + 1, 8, sizeof(**out));
			*out = mech_reallocarray(*out, cap, sizeof(**out));
		}
		(*out)[(*n)++] = e;
	}
	if (r < 0 && r != GIT_ITEROVER) {
		mech_error_git(MECH_EFAILED, "cannot walk the new commits");
		goto done;
	}
	rc = 0;
done:
	git_revwalk_free(walk);
	if (rc < 0) {
		mech_log_entries_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

static int print_cb(const git_diff_delta *d, const git_diff_hunk *h, const git_diff_line *l,
		    void *payload)
{
	mech_buf *b = payload;
	(void)d;
	(void)h;
	if (l->origin == GIT_DIFF_LINE_CONTEXT || l->origin == GIT_DIFF_LINE_ADDITION ||
	    l->origin == GIT_DIFF_LINE_DELETION)
		mech_buf_putc(b, l->origin);
	mech_buf_put(b, l->content, l->content_len);
	return 0;
}

int mech_diff_patch(git_diff *diff, mech_buf *out)
{
	return git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, print_cb, out);
}

void mech_file_changes_free(mech_file_change *f, size_t n)
{
	size_t i;
	for (i = 0; f && i < n; i++)
		free(f[i].path);
	free(f);
}

int mech_history_show(mech_repo *repo, const char *rev, mech_log_entry *entry,
		      mech_file_change **files, size_t *nfiles, mech_buf *diff)
{
	git_repository *git = mech_repo_git(repo);
	git_oid id;
	git_commit *c = NULL, *p = NULL;
	git_tree *t = NULL, *pt = NULL;
	git_diff *d = NULL;
	git_diff_options opts = GIT_DIFF_OPTIONS_INIT;
	mech_strv changed = MECH_STRV_INIT;
	size_t i;
	int rc = -1;

	*files = NULL;
	*nfiles = 0;
	if (mech_repo_sync(repo) < 0 || resolve_start(repo, rev, &id) < 0)
		return -1;
	if (git_commit_lookup(&c, git, &id) < 0 || git_commit_tree(&t, c) < 0 ||
	    (git_commit_parentcount(c) &&
	     (git_commit_parent(&p, c, 0) < 0 || git_commit_tree(&pt, p) < 0)) ||
	    mech_tree_changed_files(git, pt, t, &changed) < 0) {
		mech_error_git(MECH_EFAILED, "cannot read the commit");
		goto done;
	}
	/*
	 * libgit2 diffs two trees by walking both whole (40,000 entries at
	 * 10,000 apps); given the paths that changed, found by comparing tree
	 * ids top-down, it reads only those. No change: an empty list would
	 * mean "every path", and the diff is empty anyway.
	 */
	opts.flags |= GIT_DIFF_DISABLE_PATHSPEC_MATCH;
	opts.pathspec.strings = changed.items;
	opts.pathspec.count = changed.len;
	if (changed.len && git_diff_tree_to_tree(&d, git, pt, t, &opts) < 0) {
		mech_error_git(MECH_EFAILED, "cannot read the commit");
		goto done;
	}
	mech_log_entry_from_commit(entry, c, mech_repo_config(repo));
	if (!d) {
		rc = 0;
		goto done;
	}
	*files = mech_calloc(git_diff_num_deltas(d), sizeof(**files));
	for (i = 0; i < git_diff_num_deltas(d); i++) {
		const git_diff_delta *dd = git_diff_get_delta(d, i);
		mech_file_change *f = &(*files)[(*nfiles)++];
		f->path = mech_strdup(dd->new_file.path ? dd->new_file.path : dd->old_file.path);
		f->status = dd->status == GIT_DELTA_ADDED     ? 'A'
			    : dd->status == GIT_DELTA_DELETED ? 'D'
							      : 'M';
	}
	if (mech_diff_patch(d, diff) < 0) {
		mech_error_git(MECH_EFAILED, "cannot format the diff");
		goto done;
	}
	rc = 0;
done:
	mech_strv_dispose(&changed);
	git_diff_free(d);
	git_tree_free(t);
	git_tree_free(pt);
	git_commit_free(p);
	git_commit_free(c);
	return rc;
}

int mech_history_overridden_by(mech_repo *repo, const char *commit, mech_override **out, size_t *n)
{
	mech_log_opts o;
	mech_log_entry *e = NULL;
	size_t ne = 0, i, j, cap = 0;

	git_oid id;
	int r = 1;

	*out = NULL;
	*n = 0;
	memset(&o, 0, sizeof(o));
	o.cls = MECH_CLASS_FORCED;
	/*
	 * A forced write names the last writer it overwrote, an ancestor: only
	 * the commits since `commit` can (none for the head). A commit the
	 * branch does not descend from is looked for in the whole history.
	 */
	if (git_oid_fromstr(&id, commit) == 0)
		r = mech_history_walk_since(repo, &o, &id, &e, &ne);
	if (r < 0 || (r == 1 && mech_history_walk(repo, &o, &e, &ne) < 0))
		return -1;
	for (i = 0; i < ne; i++)
		for (j = 0; j < e[i].nforced; j++) {
			mech_override *v;
			if (strcmp(e[i].forced[j].commit, commit))
				continue;
			if (*n == cap) {
				cap = cap ? 2 * cap : 4;
				*out = mech_realloc(*out, cap * sizeof(**out));
			}
			v = &(*out)[(*n)++];
			memcpy(v->commit, e[i].commit, sizeof(v->commit));
			v->verb = e[i].verb ? mech_strdup(e[i].verb) : NULL;
			v->target = e[i].target ? mech_strdup(e[i].target) : NULL;
			v->path = mech_strdup(e[i].forced[j].path);
		}
	mech_log_entries_free(e, ne);
	return 0;
}

void mech_overrides_free(mech_override *o, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(o[i].verb);
		free(o[i].target);
		free(o[i].path);
	}
	free(o);
}

int mech_history_mark_overridden(mech_repo *repo, mech_log_entry *e, size_t n)
{
	git_repository *git = mech_repo_git(repo);
	git_commit *head = NULL;
	git_oid hid;
	size_t i, j;

	for (i = 0; i < n; i++)
		if (e[i].nforced)
			break;
	if (i == n)
		return 0;
	if (mech_repo_head(repo, &hid) < 0)
		return -1;
	if (git_commit_lookup(&head, git, &hid) < 0)
		return mech_error_git(MECH_EFAILED, "cannot read the branch head");
	for (i = 0; i < n; i++) {
		if (!e[i].nforced)
			continue;
		free(e[i].still_overridden);
		e[i].still_overridden = mech_calloc(e[i].nforced, sizeof(int));
		for (j = 0; j < e[i].nforced; j++) {
			git_oid hu, at, now;
			git_commit *human = NULL;
			unsigned hmode, nmode;
			if (git_oid_fromstr(&hu, e[i].forced[j].commit) < 0 ||
			    git_commit_lookup(&human, git, &hu) < 0) {
				git_error_clear();
				e[i].still_overridden[j] = -1;
				continue;
			}
			path_id(human, e[i].forced[j].path, &at, &hmode);
			path_id(head, e[i].forced[j].path, &now, &nmode);
			e[i].still_overridden[j] = !git_oid_equal(&at, &now) || hmode != nmode;
			git_commit_free(human);
		}
	}
	git_commit_free(head);
	return 0;
}

void mech_review_dispose(mech_review *r)
{
	free(r->by);
	free(r->at);
	free(r->comment);
	memset(r, 0, sizeof(*r));
}

/* the value of "key: " on its own line of a note, or NULL */
static char *note_field(const char *msg, const char *key)
{
	size_t kl = strlen(key);
	const char *p = msg;
	while (p && *p) {
		if (!strncmp(p, key, kl) && p[kl] == ':' && p[kl + 1] == ' ')
			return mech_strndup(p + kl + 2, strcspn(p + kl + 2, "\n"));
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

int mech_history_reviewed(mech_repo *repo, const char *commit, mech_review *out)
{
	git_note *note = NULL;
	git_oid id;
	memset(out, 0, sizeof(*out));
	if (git_oid_fromstr(&id, commit) < 0 ||
	    git_note_read(&note, mech_repo_git(repo), MECH_REVIEW_NOTES_REF, &id) < 0) {
		git_error_clear();
		return 0;
	}
	out->by = note_field(git_note_message(note), "reviewed-by");
	out->at = note_field(git_note_message(note), "reviewed-at");
	out->comment = note_field(git_note_message(note), "comment");
	if (!out->by)
		out->by = mech_strdup("");
	if (!out->at)
		out->at = mech_strdup("");
	git_note_free(note);
	return 1;
}

int mech_history_review(mech_repo *repo, const char *rev, const char *name, const char *email,
			const char *comment, char commit[GIT_OID_HEXSZ + 1], mech_review *out)
{
	git_repository *git = mech_repo_git(repo);
	const mech_config *cfg = mech_repo_config(repo);
	git_signature *author = NULL, *committer = NULL;
	git_commit *c = NULL;
	git_oid id, note_id;
	mech_log_entry e;
	mech_buf body = MECH_BUF_INIT;
	char *lock, at[32];
	time_t now = time(NULL);
	struct tm tm;
	int fd = -1, rc = -1, cls;

	memset(out, 0, sizeof(*out));
	if (comment && (strchr(comment, '\n') || strchr(comment, '\r'))) {
		mech_error_set(MECH_EINVALID, "--comment is one line");
		return mech_error_hint("write the comment without line breaks");
	}
	if (mech_repo_sync(repo) < 0 || resolve_start(repo, rev, &id) < 0)
		return -1;
	if (git_commit_lookup(&c, git, &id) < 0)
		return mech_error_git(MECH_EFAILED, "cannot read the commit");
	mech_log_entry_from_commit(&e, c, cfg);
	cls = e.cls;
	git_oid_tostr(commit, GIT_OID_HEXSZ + 1, &id);
	mech_log_entry_dispose(&e);
	git_commit_free(c);
	if (cls != MECH_CLASS_FORCED) {
		mech_error_set(MECH_EINVALID, "%.12s is a %s commit, not a forced write", commit,
			       mech_class_name((mech_class)cls));
		return mech_error_hint("review marks forced writes: `mech log --class forced`");
	}
	gmtime_r(&now, &tm);
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	mech_buf_printf(&body, "reviewed-by: %s <%s>\nreviewed-at: %s\n", name, email, at);
	if (comment && *comment)
		mech_buf_printf(&body, "comment: %s\n", comment);
	lock = mech_lock_path(cfg, mech_repo_tenant(repo));
	rc = mech_lock_take(lock, mech_repo_tenant(repo), &fd);
	free(lock);
	if (rc < 0) {
		mech_buf_dispose(&body);
		return -1;
	}
	rc = -1;
	if (git_signature_now(&author, name, email) < 0 ||
	    git_signature_now(&committer, cfg->machine_name, cfg->machine_email) < 0 ||
	    git_note_create(&note_id, git, MECH_REVIEW_NOTES_REF, author, committer, &id,
			    mech_buf_cstr(&body), 1) < 0) {
		mech_error_git(MECH_EFAILED, "cannot write the review note");
		goto done;
	}
	out->by = mech_sprintf("%s <%s>", name, email);
	out->at = mech_strdup(at);
	out->comment = comment && *comment ? mech_strdup(comment) : NULL;
	rc = 0;
done:
	mech_lock_release(&fd);
	git_signature_free(author);
	git_signature_free(committer);
	mech_buf_dispose(&body);
	return rc;
}

void mech_age_text(long long s, char *buf, size_t len)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm", s / 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh", s / 3600);
	else
		snprintf(buf, len, "%lldd", s / 86400);
}

long long mech_age_next(long long s)
{
	static const long long unit[] = {1, 60, 3600, 86400};
	size_t u = s < 60 ? 0 : s < 3600 ? 1 : s < 86400 ? 2 : 3;
	if (s < 0)
		s = 0;
	/* the next whole unit: "59s" → 60 ("1m"), "1m" at 61 → 120 ("2m") */
	return (s / unit[u] + 1) * unit[u];
}
