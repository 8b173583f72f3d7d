/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Commit briefs, read from Git once and kept (mech/brief.h).
 *
 *	mech-briefs 1 <sum>
 *	<commit> <committer time> <author> <email> <summary>	one per commit
 *
 * Fields as mech_buf_put_field() writes them; <sum> is the checksum
 * (mech/checksum.h) of every line after the first. The loaded file stays in
 * memory and the briefs point into it, unescaped in place: 10,000 of them
 * are one allocation, not 30,000.
 */
#include "mech/brief.h"
#include "mech/buf.h"
#include "mech/checksum.h"
#include "mech/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "mech-briefs 1"
#define FILE_MAX (64u * 1024 * 1024)

typedef struct {
	git_oid id;
	mech_brief b;
	char *owned; /* the strings of a brief read from Git, in one block */
	unsigned char used, asked;
} slot;

struct mech_briefs {
	mech_repo *repo;
	int keep;
	slot *slots; /* open addressing; cap a power of two */
	size_t cap, len, fresh;
	mech_buf file; /* the loaded cache, which loaded briefs point into */
};

static size_t find(const mech_briefs *t, const git_oid *id)
{
	size_t h, mask = t->cap - 1;
	memcpy(&h, id->id, sizeof(h)); /* an object id is already a hash */
	for (h &= mask; t->slots[h].used && !git_oid_equal(&t->slots[h].id, id); h = (h + 1) & mask)
		;
	return h;
}

/* the empty slot for a new `id` (the table grown first when it fills) */
static slot *add(mech_briefs *t, const git_oid *id)
{
	slot *s;
	if ((t->len + 1) * 4 > t->cap * 3) {
		slot *old = t->slots;
		size_t oldcap = t->cap, i;
		t->cap = oldcap ? oldcap * 2 : 256;
		t->slots = mech_calloc(t->cap, sizeof(*t->slots));
		for (i = 0; i < oldcap; i++)
			if (old[i].used)
				t->slots[find(t, &old[i].id)] = old[i];
		free(old);
	}
	s = &t->slots[find(t, id)];
	s->used = 1;
	s->id = *id;
	t->len++;
	return s;
}

static void clear(mech_briefs *t)
{
	size_t i;
	for (i = 0; i < t->cap; i++)
		free(t->slots[i].owned);
	free(t->slots);
	t->slots = NULL;
	t->cap = t->len = 0;
}

/* The cache file's briefs; none when the file is missing, damaged or foreign. */
static void load(mech_briefs *t)
{
	char *path = mech_repo_cache_file(t->repo, "briefs", "cache"), *p, *nl;
	size_t magic = strlen(MAGIC);

	if (mech_buf_read_file(&t->file, path, FILE_MAX) < 0 || !t->file.len) {
		mech_error_clear();
		goto done;
	}
	nl = memchr(t->file.ptr, '\n', t->file.len);
	if (!nl || (size_t)(nl - t->file.ptr) != magic + 1 + MECH_CHECKSUM_HEXSZ ||
	    strncmp(t->file.ptr, MAGIC " ", magic + 1) ||
	    !mech_checksum_sealed(t->file.ptr, t->file.len))
		goto bad;
	for (p = nl + 1; p < t->file.ptr + t->file.len; p = nl + 1) {
		char *f[6];
		git_oid id;
		slot *s;
		if (!(nl = memchr(p, '\n', t->file.len - (size_t)(p - t->file.ptr))))
			goto bad;
		*nl = '\0';
		if (mech_fields_split(p, f, 6) != 5 || !f[0] || !f[1] || !f[2] || !f[3] || !f[4] ||
		    strlen(f[0]) != GIT_OID_HEXSZ || git_oid_fromstr(&id, f[0]) < 0)
			goto bad;
		if (t->cap && t->slots[find(t, &id)].used)
			continue;
		s = add(t, &id);
		s->b.time = strtoll(f[1], NULL, 10);
		s->b.author = f[2];
		s->b.email = f[3];
		s->b.summary = f[4];
	}
	goto done;
bad: /* a sum that matches a line mech does not write: another program's file */
	git_error_clear();
	clear(t);
	mech_buf_dispose(&t->file);
done:
	free(path);
}

mech_briefs *mech_briefs_open(mech_repo *repo, int keep)
{
	mech_briefs *t = mech_calloc(1, sizeof(*t));
	t->repo = repo;
	t->keep = keep;
	if (keep)
		load(t);
	return t;
}

const mech_brief *mech_brief_of(mech_briefs *t, const git_oid *id)
{
	git_commit *c = NULL;
	slot *s;
	if (t->cap) {
		s = &t->slots[find(t, id)];
		if (s->used) {
			s->asked = 1;
			return &s->b;
		}
	}
	s = add(t, id);
	s->asked = 1;
	s->b.email = s->b.summary = "";
	if (git_commit_lookup(&c, mech_repo_git(t->repo), id) == 0) {
		const git_signature *a = git_commit_author(c);
		const char *sum = git_commit_summary(c) ? git_commit_summary(c) : "";
		size_t la = strlen(a->name) + 1, le = strlen(a->email) + 1;
		s->owned = mech_realloc(NULL, la + le + strlen(sum) + 1);
		memcpy(s->owned, a->name, la);
		memcpy(s->owned + la, a->email, le);
		strcpy(s->owned + la + le, sum);
		s->b.author = s->owned;
		s->b.email = s->owned + la;
		s->b.summary = s->owned + la + le;
		s->b.time = (long long)git_commit_time(c);
		git_commit_free(c);
		t->fresh++;
	}
	git_error_clear();
	return &s->b;
}

size_t mech_briefs_fresh(const mech_briefs *t)
{
	return t->fresh;
}

void mech_briefs_save(mech_briefs *t)
{
	mech_buf b = MECH_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1], num[32], sum[MECH_CHECKSUM_HEXSZ + 1];
	size_t i;

	if (!t || !t->keep || !t->fresh)
		return;
	mech_buf_puts(&b, MAGIC);
	mech_buf_put_field(&b, mech_checksum_hex(sum, 0)); /* sealed below */
	mech_buf_putc(&b, '\n');
	for (i = 0; i < t->cap; i++) {
		const slot *s = &t->slots[i];
		if (!s->used || !s->asked || !s->b.author)
			continue;
		mech_buf_puts(&b, git_oid_tostr(hex, sizeof(hex), &s->id));
		snprintf(num, sizeof(num), "%lld", s->b.time);
		mech_buf_put_field(&b, num);
		mech_buf_put_field(&b, s->b.author);
		mech_buf_put_field(&b, s->b.email);
		mech_buf_put_field(&b, s->b.summary);
		mech_buf_putc(&b, '\n');
	}
	mech_checksum_seal(b.ptr, b.len);
	mech_repo_cache_write(t->repo, "briefs", "cache", b.ptr, b.len);
	t->fresh = 0;
	mech_buf_dispose(&b);
}

void mech_briefs_free(mech_briefs *t)
{
	if (!t)
		return;
	clear(t);
	mech_buf_dispose(&t->file);
	free(t);
}
