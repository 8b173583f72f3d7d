/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Paths in a Git tree: a file's bytes, a directory's entries, every file
 * below a directory. libgit2 answers one entry at a time; these are the
 * questions verbs ask. And the one write: a tree with some files changed.
 */
#include "mech/tree.h"
#include "mech/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mech_tree_read(git_repository *repo, git_tree *tree, const char *path, size_t max, mech_buf *out)
{
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	int rc;
	if (!tree || git_tree_entry_bypath(&e, tree, path) < 0) {
		git_error_clear();
		return 0;
	}
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		git_tree_entry_free(e);
		return 0;
	}
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0) {
		git_tree_entry_free(e);
		return mech_error_git(MECH_EFAILED, "cannot read blob");
	}
	if (max && (size_t)git_blob_rawsize(blob) > max) {
		rc = mech_error_set(MECH_EINVALID, "%s is larger than %zu bytes", path, max);
	} else {
		mech_buf_clear(out);
		mech_buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
		rc = 1;
	}
	git_blob_free(blob);
	git_tree_entry_free(e);
	return rc;
}

static int subtree(git_repository *repo, git_tree *tree, const char *dir, git_tree **out)
{
	git_tree_entry *e = NULL;
	int rc;
	*out = NULL;
	if (!tree)
		return 0;
	if (!*dir)
		return git_tree_dup(out, tree) < 0 ? -1 : 1;
	if (git_tree_entry_bypath(&e, tree, dir) < 0) {
		git_error_clear();
		return 0;
	}
	rc = git_tree_entry_type(e) == GIT_OBJECT_TREE &&
	     git_tree_lookup(out, repo, git_tree_entry_id(e)) == 0;
	git_tree_entry_free(e);
	return rc;
}

int mech_tree_list(git_repository *repo, git_tree *tree, const char *dir, mech_strv *out)
{
	git_tree *t;
	size_t i;
	if (subtree(repo, tree, dir, &t) <= 0)
		return 0;
	for (i = 0; i < git_tree_entrycount(t); i++)
		mech_strv_push(out, git_tree_entry_name(git_tree_entry_byindex(t, i)));
	git_tree_free(t);
	mech_strv_sort(out);
	return 1;
}

static void list_files_rec(git_repository *repo, git_tree *t, const char *prefix, mech_strv *out)
{
	size_t i;
	for (i = 0; i < git_tree_entrycount(t); i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		char *p = mech_sprintf("%s%s", prefix, git_tree_entry_name(e));
		if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
			git_tree *sub;
			if (git_tree_lookup(&sub, repo, git_tree_entry_id(e)) == 0) {
				char *pp = mech_sprintf("%s/", p);
				list_files_rec(repo, sub, pp, out);
				free(pp);
				git_tree_free(sub);
			}
		} else {
			mech_strv_push(out, p);
		}
		free(p);
	}
}

int mech_tree_list_files(git_repository *repo, git_tree *tree, const char *dir, mech_strv *out)
{
	git_tree *t;
	char *prefix;
	if (subtree(repo, tree, dir, &t) <= 0)
		return 0;
	prefix = mech_sprintf("%s/", dir);
	list_files_rec(repo, t, prefix, out);
	free(prefix);
	git_tree_free(t);
	return 1;
}

/* ---- writing: a tree with some files changed ---- */

/*
 * git_tree_create_updated() puts every entry of each directory it rewrites
 * into a hash map, sorts them and prints them again: at 10,000 apps, for
 * one new app, 10,000 allocations and a sort. Here a directory's new
 * entries are its base's, already in git's order, with the changed ones
 * spliced in. The bytes are libgit2's (tree.c write_tree: "%o <name>\0"
 * and the raw id, in git_tree_entry_cmp order), which the unit test
 * compares on every case it takes and every case it hands back.
 *
 * A case is handed back (0) when libgit2 would answer otherwise than by
 * splicing: a file where a directory was or the reverse (libgit2 replaces
 * one, refuses the other), a removal of what is not there, two changes
 * of one name, a name libgit2 checks against its rules for .git and
 * path traversal (here only plain names are taken), a mode beyond a
 * file's, tree, and a base whose entries are not in git's order, have
 * other modes or repeat a name (libgit2 would sort, or keep one).
 */
typedef struct {
	const git_tree_update *up;
	const char *rest; /* the path below the directory being written */
} pending;

typedef struct {
	const char *name;
	size_t len;
	int dir; /* the entry's place in git's order: a tree's name ends in '/' */
	const git_tree_update *leaf; /* a file written, or removed */
	pending *sub;                /* or changes below a directory */
	size_t nsub;
	const git_tree_entry *was; /* in the base, borrowed */
	git_oid id;                /* the new entry (not for a removal) */
	int gone;                  /* removed, or a directory left empty */
} change;

/* git's order (git_tree_entry_cmp): names bytewise, a tree's as if it ended in '/' */
static int entry_cmp(const char *a, size_t alen, int adir, const char *b, size_t blen, int bdir)
{
	size_t n = alen < blen ? alen : blen;
	int c = memcmp(a, b, n);
	unsigned char ca, cb;
	if (c)
		return c;
	ca = n < alen ? (unsigned char)a[n] : adir ? '/' : 0;
	cb = n < blen ? (unsigned char)b[n] : bdir ? '/' : 0;
	return ca < cb ? -1 : ca > cb;
}

static int by_change(const void *a, const void *b)
{
	const change *x = a, *y = b;
	return entry_cmp(x->name, x->len, x->dir, y->name, y->len, y->dir);
}

static int by_update_path(const void *a, const void *b)
{
	return strcmp(((const pending *)a)->up->path, ((const pending *)b)->up->path);
}

/* a name libgit2 takes without a question: no dot first, nothing NTFS or HFS+ could fold */
static int plain_name(const char *s, size_t len)
{
	size_t i;
	if (!len || s[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == '+' || c == '@' || c == ',' ||
		      c == '='))
			return 0;
	}
	return 1;
}

/* the modes libgit2 prints back as git does ("%o"): a file's, an executable's, a link's, a tree's */
static int plain_mode(unsigned mode)
{
	return mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE ||
	       mode == GIT_FILEMODE_LINK || mode == GIT_FILEMODE_TREE;
}

static int entry_is_dir(const git_tree_entry *e)
{
	return git_tree_entry_filemode_raw(e) == GIT_FILEMODE_TREE;
}

/* a tree entry named like the file just before it, which libgit2's map would fold into one */
static int repeats_a_file(const git_tree *t, size_t i)
{
	const git_tree_entry *e = git_tree_entry_byindex(t, i);
	const char *name = git_tree_entry_name(e);
	size_t len = strlen(name);
	while (i-- > 0) {
		const char *p = git_tree_entry_name(git_tree_entry_byindex(t, i));
		if (strncmp(p, name, len))
			return 0;
		if (!p[len])
			return 1;
		if ((unsigned char)p[len] >= '/')
			return 0;
	}
	return 0;
}

static int write_dir(git_repository *repo, git_odb *odb, const git_tree *base, pending *ups,
		     size_t n, int write, git_oid *out, size_t *count);

/* the changes of one directory, one per name, in git's order; 0 when not a case taken */
static int dir_changes(const git_tree *base, pending *ups, size_t n, change **out, size_t *nout)
{
	change *v = mech_calloc(n ? n : 1, sizeof(*v));
	size_t k = 0, i = 0, j;
	while (i < n) {
		const char *rest = ups[i].rest, *slash = strchr(rest, '/');
		change *c = &v[k++];
		c->name = rest;
		c->len = slash ? (size_t)(slash - rest) : strlen(rest);
		if (!plain_name(c->name, c->len))
			goto no;
		if (!slash) {
			c->leaf = ups[i++].up;
		} else {
			/* sorted by path: everything below this directory follows */
			for (j = i; j < n && !strncmp(ups[j].rest, rest, c->len + 1); j++)
				;
			c->sub = ups + i;
			c->nsub = j - i;
			c->dir = 1;
			i = j;
		}
		if (base) {
			char *name = mech_strndup(c->name, c->len);
			c->was = git_tree_entry_byname(base, name);
			free(name);
		}
		if (c->leaf && c->leaf->action == GIT_TREE_UPDATE_REMOVE) {
			if (!c->was)
				goto no;
			c->dir = entry_is_dir(c->was);
		} else if (c->leaf) {
			if (c->leaf->action != GIT_TREE_UPDATE_UPSERT ||
			    c->leaf->filemode == GIT_FILEMODE_TREE ||
			    !plain_mode(c->leaf->filemode) || (c->was && entry_is_dir(c->was)))
				goto no;
		} else if (c->was && !entry_is_dir(c->was)) {
			goto no;
		}
	}
	qsort(v, k, sizeof(*v), by_change);
	/* one change per name: a file and a directory of one name sort apart, so look by name */
	for (i = 0; i < k; i++)
		for (j = i + 1; j < k && !strncmp(v[j].name, v[i].name, v[i].len); j++)
			if (v[j].len == v[i].len)
				goto no;
	*out = v;
	*nout = k;
	return 1;
no:
	free(v);
	return 0;
}

/*
 * One entry, "%o <name>\0" and the raw id, copied in place: a directory of
 * 10,000 apps is 10,000 entries a write, and printing each mode and growing
 * the buffer four times an entry cost more than hashing the tree.
 */
static void put_entry(mech_buf *b, unsigned mode, const char *name, size_t len, const git_oid *id)
{
	char m[16], *p;
	size_t ml;
	switch (mode) { /* plain_mode()'s, as "%o " prints them */
	case GIT_FILEMODE_BLOB:
		memcpy(m, "100644 ", ml = 7);
		break;
	case GIT_FILEMODE_TREE:
		memcpy(m, "40000 ", ml = 6);
		break;
	default:
		ml = (size_t)snprintf(m, sizeof(m), "%o ", mode);
	}
	if (mech_buf_grow(b, ml + len + 1 + GIT_OID_RAWSZ) < 0) /* a size that would wrap */
		mech_fatal("a tree too large to build in memory");
	p = b->ptr + b->len;
	memcpy(p, m, ml);
	memcpy(p + ml, name, len);
	p[ml + len] = '\0';
	memcpy(p + ml + len + 1, id->id, GIT_OID_RAWSZ);
	b->len += ml + len + 1 + GIT_OID_RAWSZ;
	b->ptr[b->len] = '\0';
}

/* what each change leaves: the new file's id, or the directory below written (or gone) */
static int resolve(git_repository *repo, git_odb *odb, change *c, int write)
{
	git_tree *sub = NULL;
	size_t count = 0, i;
	int rc;
	if (c->leaf) {
		c->gone = c->leaf->action == GIT_TREE_UPDATE_REMOVE;
		if (!c->gone)
			c->id = c->leaf->id;
		return 1;
	}
	if (c->was && git_tree_lookup(&sub, repo, git_tree_entry_id(c->was)) < 0)
		return -1;
	for (i = 0; i < c->nsub; i++)
		c->sub[i].rest += c->len + 1;
	rc = write_dir(repo, odb, sub, c->sub, c->nsub, write, &c->id, &count);
	for (i = 0; i < c->nsub; i++)
		c->sub[i].rest -= c->len + 1;
	git_tree_free(sub);
	/* libgit2 removes a directory left empty, and refuses one that was never there */
	c->gone = rc > 0 && !count;
	if (c->gone && !c->was)
		return 0;
	return rc;
}

/*
 * The directory `base` with `ups` applied: with `write`, written, its id in
 * *out; either way the number of its entries in *count. 1 done, 0 not a
 * case taken (nothing written when `write` is 0), -1 error.
 */
static int write_dir(git_repository *repo, git_odb *odb, const git_tree *base, pending *ups,
		     size_t n, int write, git_oid *out, size_t *count)
{
	mech_buf b = MECH_BUF_INIT;
	change *v = NULL;
	size_t nv = 0, nb = base ? git_tree_entrycount(base) : 0, i = 0, j = 0;
	const git_tree_entry *prev = NULL;
	int rc = dir_changes(base, ups, n, &v, &nv);

	for (j = 0; rc > 0 && j < nv; j++)
		rc = resolve(repo, odb, &v[j], write);
	*count = 0;
	for (j = 0; rc > 0 && (i < nb || j < nv);) {
		const git_tree_entry *e = i < nb ? git_tree_entry_byindex(base, i) : NULL;
		const char *en = e ? git_tree_entry_name(e) : NULL;
		size_t el = e ? strlen(en) : 0;
		int c = !e ? 1
			: j == nv
				? -1
				: entry_cmp(en, el, entry_is_dir(e), v[j].name, v[j].len, v[j].dir);
		if (e && e != prev && !write) {
			/* the base as libgit2 would print it back: in order, one entry per name
			 * (checked on the look before the write, over the same base) */
			if (!plain_mode(git_tree_entry_filemode_raw(e)) ||
			    (prev && git_tree_entry_cmp(prev, e) >= 0) ||
			    (entry_is_dir(e) && repeats_a_file(base, i))) {
				rc = 0;
				break;
			}
			prev = e;
		}
		if (c < 0) {
			if (write)
				put_entry(&b, git_tree_entry_filemode_raw(e), en, el,
					  git_tree_entry_id(e));
			++*count;
			i++;
			continue;
		}
		if (!v[j].gone) {
			if (write)
				put_entry(&b,
					  v[j].leaf ? (unsigned)v[j].leaf->filemode
						    : GIT_FILEMODE_TREE,
					  v[j].name, v[j].len, &v[j].id);
			++*count;
		}
		i += c == 0;
		j++;
	}
	if (rc > 0 && write &&
	    git_odb_write(out, odb, b.ptr ? b.ptr : "", b.len, GIT_OBJECT_TREE) < 0)
		rc = -1;
	mech_buf_dispose(&b);
	free(v);
	return rc;
}

int mech_tree_update(git_oid *out, git_repository *repo, git_tree *base, size_t n,
		     const git_tree_update *ups)
{
	pending *p = mech_calloc(n ? n : 1, sizeof(*p));
	git_odb *odb = NULL;
	size_t i, count;
	int rc;

	for (i = 0; i < n; i++) {
		p[i].up = &ups[i];
		p[i].rest = ups[i].path;
	}
	qsort(p, n, sizeof(*p), by_update_path);
	rc = git_repository_odb(&odb, repo);
	/* look first, write after: a case handed back leaves nothing behind */
	if (rc == 0)
		rc = write_dir(repo, odb, base, p, n, 0, out, &count);
	if (rc > 0)
		rc = write_dir(repo, odb, base, p, n, 1, out, &count);
	git_odb_free(odb);
	free(p);
	if (rc == 0)
		return git_tree_create_updated(out, repo, base, n, ups) < 0 ? -1 : 0;
	return rc > 0 ? 1 : -1;
}
