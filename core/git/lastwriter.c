/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The last-writer index. See lastwriter.h for what it answers; the walk
 * here reproduces git's default history simplification for one path:
 * at a commit, a path that is unchanged against some parent ("TREESAME")
 * follows the first such parent; a commit that differs from every parent
 * (or a root commit that has the path) is the last writer.
 */
#include "mech/lastwriter.h"
#include "mech/buf.h"
#include "mech/checksum.h"
#include "mech/error.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define INDEX_MAGIC "mech-lastwriter 4"
#define INDEX_MAX (256u * 1024 * 1024)

/* ---- path → writer map ---- */

typedef struct {
	char *path;
	mech_writer w;
} path_entry;

typedef struct {
	path_entry *slots;
	size_t cap, len;
} path_map;

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	while (n--)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static uint64_t hash_str(const char *s)
{
	return hash_bytes(s, strlen(s));
}

static path_entry *pm_find(path_map *m, const char *path, int insert)
{
	size_t i;
	if (insert && (m->len + 1) * 2 > m->cap) {
		size_t cap = mech_grow_cap(m->cap, m->cap + 1, 64, sizeof(path_entry));
		path_map n = {mech_calloc(cap, sizeof(path_entry)), cap, 0};
		for (i = 0; i < m->cap; i++) {
			if (m->slots[i].path) {
				path_entry *e = pm_find(&n, m->slots[i].path, 1);
				e->path = m->slots[i].path;
				e->w = m->slots[i].w;
				n.len++;
			}
		}
		free(m->slots);
		*m = n;
	}
	if (!m->cap)
		return NULL;
	for (i = hash_str(path) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->slots[i].path)
			return insert ? &m->slots[i] : NULL;
		if (!strcmp(m->slots[i].path, path))
			return &m->slots[i];
	}
}

static void pm_set(path_map *m, const char *path, const mech_writer *w)
{
	path_entry *e = pm_find(m, path, 1);
	if (!e->path) {
		e->path = mech_strdup(path);
		m->len++;
	}
	e->w = *w;
}

static void pm_clear(path_map *m)
{
	size_t i;
	for (i = 0; i < m->cap; i++)
		free(m->slots[i].path);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* ---- the paths of one walk, each stored once ---- */

/*
 * A walk meets the same paths in commit after commit ("apps", "apps/web",
 * ...). Each is stored once, in the walk's arena, and the commits' lists
 * and the pending sets point at it: a rebuild keeps no copy per commit,
 * and compares paths by pointer.
 */
typedef struct walk_job walk_job;

typedef struct {
	uint64_t hash;
	size_t len;
	int touched;               /* listed among the paths the walk's commits touched */
	walk_job *jobs, *last_job; /* a directory: the comparisons of its trees (walk_dirs) */
	char s[];
} walk_path;

/*
 * Two trees at one directory to compare, for one commit against one parent,
 * put off until the walk has read every commit (walk_dirs): the versions of
 * one directory are then read one after another. In a pack a tree is most
 * often a delta on another version of itself, and libgit2 resolves a chain
 * by keeping its bases for a while; read in commit order, one small
 * directory's versions lie hundreds of commits apart, every one of them
 * resolved its whole chain again (up to 50 deltas, the bulk of a rebuild).
 */
struct walk_job {
	walk_job *next;
	git_oid a, b;  /* the parent's tree and the commit's; zero: none on that side */
	uint32_t list; /* the list the paths below go to (commit_info.first_list) */
};

/* A path that differs, and the list (commit and parent) it belongs to. */
typedef struct {
	walk_path *path;
	uint32_t list;
} found_path;

typedef struct {
	found_path *items;
	size_t len, cap;
} found_vec;

/* Paths that differ in one comparison, sorted by strcmp (for path_list_has). */
typedef struct {
	walk_path **items;
	size_t len;
} path_list;

typedef struct {
	walk_path **items;
	size_t len, cap;
} path_vec;

static void pv_push(path_vec *v, walk_path *p)
{
	if (v->len == v->cap) {
		v->cap = mech_grow_cap(v->cap, v->len + 1, 64, sizeof(*v->items));
		v->items = mech_reallocarray(v->items, v->cap, sizeof(*v->items));
	}
	v->items[v->len++] = p;
}

typedef struct {
	mech_arena arena; /* the paths, the jobs, and the commits' parents and lists */
	walk_path **slots;
	size_t cap, len;
} path_pool;

static walk_path **pool_slot(walk_path **slots, size_t cap, uint64_t h, const char *s, size_t n)
{
	size_t i;
	for (i = h & (cap - 1);; i = (i + 1) & (cap - 1))
		if (!slots[i] ||
		    (slots[i]->hash == h && slots[i]->len == n && !memcmp(slots[i]->s, s, n)))
			return &slots[i];
}

/* The path of the `n` bytes at `s`, stored the first time. */
static walk_path *pool_intern(path_pool *pool, const char *s, size_t n)
{
	uint64_t h = hash_bytes(s, n);
	walk_path **slot;
	if ((pool->len + 1) * 2 > pool->cap) {
		size_t cap = mech_grow_cap(pool->cap, pool->cap + 1, 1024, sizeof(walk_path *));
		walk_path **n_slots = mech_calloc(cap, sizeof(walk_path *));
		size_t i;
		for (i = 0; i < pool->cap; i++)
			if (pool->slots[i])
				*pool_slot(n_slots, cap, pool->slots[i]->hash, pool->slots[i]->s,
					   pool->slots[i]->len) = pool->slots[i];
		free(pool->slots);
		pool->slots = n_slots;
		pool->cap = cap;
	}
	slot = pool_slot(pool->slots, pool->cap, h, s, n);
	if (!*slot) {
		walk_path *p;
		if (n > SIZE_MAX - sizeof(*p) - 1)
			mech_fatal("a path of %zu bytes does not fit in memory", n);
		p = mech_arena_alloc(&pool->arena, sizeof(*p) + n + 1);
		p->hash = h;
		p->len = n;
		p->touched = 0;
		p->jobs = p->last_job = NULL;
		memcpy(p->s, s, n);
		p->s[n] = '\0';
		*slot = p;
		pool->len++;
	}
	return *slot;
}

static void pool_dispose(path_pool *pool)
{
	free(pool->slots);
	mech_arena_dispose(&pool->arena);
	memset(pool, 0, sizeof(*pool));
}

static int cmp_walk_path(const void *a, const void *b)
{
	return strcmp((*(const walk_path *const *)a)->s, (*(const walk_path *const *)b)->s);
}

/* Is `p` in `l`? Binary search by strcmp, as the list is sorted. */
static int path_list_has(const path_list *l, const walk_path *p)
{
	size_t lo = 0, hi = l->len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = l->items[mid] == p ? 0 : strcmp(l->items[mid]->s, p->s);
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* ---- pending paths: a set of walk paths, each still pending or resolved ---- */

typedef struct {
	const walk_path *path;
	int live; /* 1 still pending; 0 resolved at this commit */
} pend_entry;

typedef struct {
	pend_entry *slots;
	size_t cap, len;
} pend_set;

static pend_entry *ps_find(pend_set *m, const walk_path *p, int insert)
{
	size_t i;
	if (insert && (m->len + 1) * 2 > m->cap) {
		size_t cap = mech_grow_cap(m->cap, m->cap + 1, 64, sizeof(pend_entry));
		pend_set n = {mech_calloc(cap, sizeof(pend_entry)), cap, m->len};
		for (i = 0; i < m->cap; i++)
			if (m->slots[i].path)
				*ps_find(&n, m->slots[i].path, 0) = m->slots[i];
		free(m->slots);
		*m = n;
	}
	if (!m->cap)
		return NULL;
	for (i = p->hash & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].path == p)
			return &m->slots[i];
		if (!m->slots[i].path) {
			if (!insert)
				return &m->slots[i]; /* where it goes (rehashing): the caller fills it */
			m->slots[i].path = p;
			m->len++;
			return &m->slots[i];
		}
	}
}

/* `p` pending (again) in `m`. */
static void ps_add(pend_set *m, const walk_path *p)
{
	ps_find(m, p, 1)->live = 1;
}

static pend_entry *ps_get(pend_set *m, const walk_path *p)
{
	pend_entry *e = ps_find(m, p, 0);
	return e && e->path ? e : NULL;
}

static void ps_free(pend_set *m)
{
	if (m) {
		free(m->slots);
		free(m);
	}
}

/* ---- commit info for a walk ---- */

typedef struct {
	git_oid id;
	size_t nparents;
	git_oid *parents;    /* in the pool's arena, as the lists */
	path_list *diffs;    /* per parent: paths differing; for a root: paths in its tree */
	pend_set *pending;   /* paths whose walk is at this commit */
	uint32_t first_list; /* its lists' numbers in the walk: first_list + parent */
	int used;
} commit_info;

typedef struct {
	commit_info *slots;
	size_t cap, len;
} commit_map;

static commit_info *cm_find(commit_map *m, const git_oid *id, int insert)
{
	size_t i;
	uint64_t h;
	if (insert && (m->len + 1) * 2 > m->cap) {
		size_t cap = mech_grow_cap(m->cap, m->cap + 1, 256, sizeof(commit_info));
		commit_map n = {mech_calloc(cap, sizeof(commit_info)), cap, 0};
		for (i = 0; i < m->cap; i++) {
			if (m->slots[i].used) {
				*cm_find(&n, &m->slots[i].id, 1) = m->slots[i];
				n.len++;
			}
		}
		free(m->slots);
		*m = n;
	}
	if (!m->cap)
		return NULL;
	memcpy(&h, id->id, sizeof(h));
	for (i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (!m->slots[i].used) {
			if (!insert)
				return NULL;
			m->slots[i].id = *id;
			return &m->slots[i];
		}
		if (git_oid_equal(&m->slots[i].id, id))
			return &m->slots[i];
	}
}

static void cm_clear(commit_map *m)
{
	size_t i;
	for (i = 0; i < m->cap; i++)
		if (m->slots[i].used)
			ps_free(m->slots[i].pending);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* One walk: its commits, and the paths they changed, stored once. */
typedef struct {
	commit_map cm;
	path_pool pool;
	uint32_t nlists; /* a list per commit and parent (one for a root) */
	uint32_t list;   /* the list being filled */
	found_vec found; /* every path found, with its list, until walk_lists */
	path_vec dirs;   /* the directories with jobs, in the order they got their first */
} walk_state;

static void ws_dispose(walk_state *ws)
{
	cm_clear(&ws->cm);
	pool_dispose(&ws->pool);
	free(ws->found.items);
	free(ws->dirs.items);
	memset(ws, 0, sizeof(*ws));
}

/* ---- reading trees during a walk ---- */

/*
 * A walk in topological order reads a commit's trees twice: as the commit's
 * own, then one step later as its child's parent side. libgit2's object
 * cache would keep them, but under mech's cap (shell/main.c) a long walk
 * stores thousands of trees over it, and every store over the cap scans
 * the cache's hash table from its start to evict: a third of a 50,000-commit
 * rebuild went there, and the rebuild grew faster than the history. So a
 * walk turns libgit2's cache off (update_walk) and keeps, for one step, what
 * it read on the parent side: the next commit's own root tree, and the
 * parent commit itself. (The trees below the root are compared after the
 * walk, a directory at a time: walk_dirs.)
 */
typedef struct {
	git_oid id;
	git_odb_object *tree;
} memo_slot;

typedef struct {
	memo_slot *slots;
	size_t cap, len;
} tree_memo;

typedef struct {
	git_repository *repo;
	git_odb *odb;
	tree_memo cur, prev; /* read on the parent side in this step, in the one before */
	git_commit *parent;  /* the first parent read in the step before */
	int memo;            /* keep the parent side (a walk); 0: one comparison */
	int files_only;      /* list only files (and submodules), not directories */
	mech_buf path;       /* the path at which the trees are being compared */
	mech_strv *out;      /* the paths that differ, as strings; or, in a walk, */
	walk_state *walk;    /* its paths, and subdirectories as its jobs */
} tree_reader;

static size_t memo_hash(const git_oid *id)
{
	size_t h;
	memcpy(&h, id->id, sizeof(h));
	return h;
}

static memo_slot *memo_find(tree_memo *m, const git_oid *id)
{
	size_t i;
	if (!m->cap)
		return NULL;
	for (i = memo_hash(id) & (m->cap - 1);; i = (i + 1) & (m->cap - 1))
		if (!m->slots[i].tree || git_oid_equal(&m->slots[i].id, id))
			return &m->slots[i];
}

static void memo_put(tree_memo *m, const git_oid *id, git_odb_object *t)
{
	memo_slot *s;
	if ((m->len + 1) * 2 > m->cap) {
		tree_memo n = {NULL, m->cap ? 2 * m->cap : 64, 0};
		size_t i;
		n.slots = mech_calloc(n.cap, sizeof(memo_slot));
		for (i = 0; i < m->cap; i++)
			if (m->slots[i].tree)
				*memo_find(&n, &m->slots[i].id) = m->slots[i];
		n.len = m->len;
		free(m->slots);
		*m = n;
	}
	s = memo_find(m, id);
	if (s->tree) {
		git_odb_object_free(t); /* read twice in one step */
		return;
	}
	s->id = *id;
	s->tree = t;
	m->len++;
}

static void memo_clear(tree_memo *m)
{
	size_t i;
	for (i = 0; i < m->cap; i++)
		git_odb_object_free(m->slots[i].tree);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/*
 * A tree's raw object: the walk compares trees entry by entry as git
 * stores them ("MODE NAME\0" and 20 bytes of id), without libgit2
 * parsing each into an array of entries first. NULL: no tree.
 */
static int reader_odb(tree_reader *r)
{
	if (!r->odb && git_repository_odb(&r->odb, r->repo) < 0)
		return -1;
	return 0;
}

/* Tree `id`; `keep`: it is on the parent side, keep it for the next step. */
static int reader_tree(tree_reader *r, const git_oid *id, int keep, git_odb_object **out)
{
	memo_slot *s = memo_find(&r->prev, id);
	if (s && s->tree) {
		if (git_odb_object_dup(out, s->tree) < 0)
			return -1;
	} else if (reader_odb(r) < 0 || git_odb_read(out, r->odb, id) < 0) {
		return -1;
	}
	if (git_odb_object_type(*out) != GIT_OBJECT_TREE) {
		git_odb_object_free(*out);
		*out = NULL;
		git_error_set_str(GIT_ERROR_OBJECT, "the object is not a tree");
		return -1;
	}
	if (keep && r->memo) {
		git_odb_object *k;
		if (git_odb_object_dup(&k, *out) < 0)
			return -1;
		memo_put(&r->cur, id, k);
	}
	return 0;
}

/* One commit done: what its parent side read is what the next one needs. */
static void reader_step(tree_reader *r)
{
	memo_clear(&r->prev);
	r->prev = r->cur;
	memset(&r->cur, 0, sizeof(r->cur));
}

static void reader_free(tree_reader *r)
{
	memo_clear(&r->cur);
	memo_clear(&r->prev);
	git_commit_free(r->parent);
	r->parent = NULL;
	git_odb_free(r->odb);
	r->odb = NULL;
	mech_buf_dispose(&r->path);
}

/* ---- tree comparison: blob paths that differ between two trees ---- */

/* One entry of a raw tree. */
typedef struct {
	const unsigned char *at; /* its first byte */
	size_t size;             /* all of it, id included */
	const char *name;
	size_t namelen;
	unsigned mode; /* as libgit2 reads it (git_tree_entry_filemode) */
	const unsigned char *id;
} raw_entry;

/* libgit2's reading of a mode: trees, executables, submodules, links, blobs */
static unsigned normal_mode(unsigned mode)
{
	if ((mode & 0170000) == 0040000)
		return 0040000;
	if (mode & 0111)
		return 0100755;
	if ((mode & 0170000) == 0160000 || (mode & 0170000) == 0120000)
		return mode & 0170000;
	return 0100644;
}

/* the entry at *p (p < end); 0, or -1 when the tree is damaged */
static int raw_entry_at(const unsigned char *p, const unsigned char *end, raw_entry *e)
{
	const unsigned char *nul;
	unsigned mode = 0;
	e->at = p;
	while (p < end && *p >= '0' && *p <= '7' && mode < 01000000)
		mode = mode * 8 + (unsigned)(*p++ - '0');
	if (p == e->at || p >= end || *p != ' ')
		return -1;
	p++;
	nul = memchr(p, '\0', (size_t)(end - p));
	if (!nul || nul == p || (size_t)(end - nul) < 1 + GIT_OID_RAWSZ)
		return -1;
	e->name = (const char *)p;
	e->namelen = (size_t)(nul - p);
	e->id = nul + 1;
	e->size = (size_t)(e->id + GIT_OID_RAWSZ - e->at);
	e->mode = normal_mode(mode);
	return 0;
}

static int raw_damaged(void)
{
	return mech_error_set(MECH_EFAILED, "cannot read tree: an entry is damaged");
}

static int tree_diff(tree_reader *r, git_odb_object *a, git_odb_object *b);

/* r->path differs: a string for the caller, or the walk's path (returned) */
static walk_path *reader_found(tree_reader *r)
{
	walk_state *ws = r->walk;
	walk_path *p;
	if (!ws) {
		mech_strv_push(r->out, r->path.ptr);
		return NULL;
	}
	p = pool_intern(&ws->pool, r->path.ptr, r->path.len);
	if (ws->found.len == ws->found.cap) {
		ws->found.cap = mech_grow_cap(ws->found.cap, ws->found.len + 1, 1024,
					      sizeof(*ws->found.items));
		ws->found.items = mech_reallocarray(ws->found.items, ws->found.cap,
						    sizeof(*ws->found.items));
	}
	ws->found.items[ws->found.len].path = p;
	ws->found.items[ws->found.len++].list = ws->list;
	return p;
}

/* In a walk, directory `dir`'s trees are compared later: a job (see walk_job). */
static void add_job(walk_state *ws, walk_path *dir, const raw_entry *ea, const raw_entry *eb)
{
	walk_job *j = mech_arena_alloc(&ws->pool.arena, sizeof(*j));
	memset(j, 0, sizeof(*j));
	if (ea && ea->mode == 0040000)
		git_oid_fromraw(&j->a, ea->id);
	if (eb && eb->mode == 0040000)
		git_oid_fromraw(&j->b, eb->id);
	j->list = ws->list;
	if (dir->last_job)
		dir->last_job->next = j;
	else
		pv_push(&ws->dirs, dir);
	if (!dir->jobs)
		dir->jobs = j;
	dir->last_job = j;
}

static void path_cut(mech_buf *b, size_t len)
{
	b->len = len;
	b->ptr[len] = '\0';
}

/*
 * Every path whose object differs, directories included: `git log -- DIR`
 * matches anything below DIR, which is the same as the directory's tree
 * object changing.
 */
static int entry_diff(tree_reader *r, const raw_entry *ea, const raw_entry *eb)
{
	const raw_entry *e = ea ? ea : eb;
	size_t plen = r->path.len;
	int adir = ea && ea->mode == 0040000;
	int bdir = eb && eb->mode == 0040000;
	int rc = 0;

	if (ea && eb && ea->mode == eb->mode && !memcmp(ea->id, eb->id, GIT_OID_RAWSZ))
		return 0;
	mech_buf_put(&r->path, e->name, e->namelen);
	if (r->walk) {
		walk_path *p = reader_found(r);
		if (adir || bdir)
			add_job(r->walk, p, ea, eb);
		path_cut(&r->path, plen);
		return 0;
	}
	if (!r->files_only || (ea && !adir) || (eb && !bdir))
		reader_found(r);
	if (adir || bdir) {
		git_odb_object *ta = NULL, *tb = NULL;
		git_oid ida, idb;
		if (adir)
			git_oid_fromraw(&ida, ea->id);
		if (bdir)
			git_oid_fromraw(&idb, eb->id);
		if (adir && reader_tree(r, &ida, 1, &ta) < 0)
			rc = mech_error_git(MECH_EFAILED, "cannot read tree");
		if (!rc && bdir && reader_tree(r, &idb, 0, &tb) < 0)
			rc = mech_error_git(MECH_EFAILED, "cannot read tree");
		mech_buf_putc(&r->path, '/');
		if (!rc)
			rc = tree_diff(r, ta, tb);
		git_odb_object_free(ta);
		git_odb_object_free(tb);
	}
	path_cut(&r->path, plen);
	return rc;
}

/* git's tree order: names compared as if directories ended in '/'. */
static int entry_cmp(const raw_entry *a, const raw_entry *b)
{
	size_t n = a->namelen < b->namelen ? a->namelen : b->namelen;
	int c = memcmp(a->name, b->name, n);
	unsigned char ca, cb;
	if (c)
		return c;
	ca = a->namelen > n ? (unsigned char)a->name[n] : a->mode == 0040000 ? '/' : 0;
	cb = b->namelen > n ? (unsigned char)b->name[n] : b->mode == 0040000 ? '/' : 0;
	return ca - cb;
}

/* how many bytes two buffers share at their ends */
static size_t common_suffix(const unsigned char *a, size_t na, const unsigned char *b, size_t nb)
{
	size_t n = 0, max = na < nb ? na : nb, step = 64;
	while (n + step <= max && !memcmp(a + na - n - step, b + nb - n - step, step))
		n += step;
	while (n < max && a[na - n - 1] == b[nb - n - 1])
		n++;
	return n;
}

/*
 * Both trees are sorted: walk them together (no per-entry search). Most
 * entries of a big directory are byte for byte the same on both sides, and
 * past the last difference the two trees end alike: once what is left of
 * each is the same length and inside their common ending, nothing differs.
 */
static int tree_diff(tree_reader *r, git_odb_object *a, git_odb_object *b)
{
	const unsigned char *pa = a ? git_odb_object_data(a) : NULL;
	const unsigned char *pb = b ? git_odb_object_data(b) : NULL;
	const unsigned char *ea = pa + (a ? git_odb_object_size(a) : 0);
	const unsigned char *eb = pb + (b ? git_odb_object_size(b) : 0);
	size_t tail = a && b ? common_suffix(pa, (size_t)(ea - pa), pb, (size_t)(eb - pb)) : 0;
	raw_entry xa, xb;
	while (pa < ea || pb < eb) {
		int c, rc, ha = pa < ea, hb = pb < eb;
		if (ha && hb && ea - pa == eb - pb && (size_t)(ea - pa) <= tail)
			return 0;
		if ((ha && raw_entry_at(pa, ea, &xa) < 0) || (hb && raw_entry_at(pb, eb, &xb) < 0))
			return raw_damaged();
		if (ha && hb && xa.size == xb.size && !memcmp(xa.at, xb.at, xa.size)) {
			pa += xa.size;
			pb += xb.size;
			continue;
		}
		c = !ha ? 1 : !hb ? -1 : entry_cmp(&xa, &xb);
		if (c == 0 || (ha && hb && xa.namelen == xb.namelen &&
			       !memcmp(xa.name, xb.name, xa.namelen))) {
			rc = entry_diff(r, &xa, &xb);
			pa += xa.size;
			pb += xb.size;
		} else if (c < 0) {
			rc = entry_diff(r, &xa, NULL);
			pa += xa.size;
		} else {
			rc = entry_diff(r, NULL, &xb);
			pb += xb.size;
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

int mech_tree_changed_files(git_repository *repo, const git_tree *a, const git_tree *b,
			    mech_strv *out)
{
	tree_reader r = {repo, NULL, {0}, {0}, NULL, 0, 1, MECH_BUF_INIT, out, NULL};
	git_odb_object *ra = NULL, *rb = NULL;
	int rc = 0;
	if (a && reader_tree(&r, git_tree_id(a), 0, &ra) < 0)
		rc = mech_error_git(MECH_EFAILED, "cannot read tree");
	if (!rc && b && reader_tree(&r, git_tree_id(b), 0, &rb) < 0)
		rc = mech_error_git(MECH_EFAILED, "cannot read tree");
	if (!rc)
		rc = tree_diff(&r, ra, rb);
	git_odb_object_free(ra);
	git_odb_object_free(rb);
	reader_free(&r);
	return rc;
}

/* ---- the index ----
 *
 * One file per branch (format 4): a sorted snapshot in checksummed blocks,
 * read in place, followed by appended deltas.
 *
 *	mech-lastwriter 4 <tip> <nblocks> <table sum> <header sum>\n
 *	<block table: nblocks x {u32 offset, u32 length, u64 sum}, little-endian>
 *	<block 0><block 1>...			the snapshot, sorted by path
 *	+<writer sha> <class> <path>		a delta's answers ...
 *	@<from tip> <to tip> <sum>		... committed by this line
 *
 * A block is about BLOCK_TARGET bytes of whole lines "<writer sha> <class>
 * <path>\n" (paths escaped: \n, \\), sorted by path across blocks. Opening
 * the file maps it and checks the header (its sum covers the tip, the
 * block count and the table's sum) and the table (16 bytes per block); a
 * lookup searches the blocks by their first path and checks each block it
 * touches (its sum, its lines, their order) the first time, so answering
 * one path reads O(log n) of the file, not all of it. A block that does
 * not check is damage: the index is rebuilt from Git (mech_lastwriter_get,
 * save_file), never believed. Only a rewrite of the whole file reads every
 * block (save_snapshot, which copies the lines of the blocks into the new
 * file with the deltas merged in).
 *
 * A write changes a handful of paths, so an update appends one delta (one
 * write(2) with O_APPEND) instead of rewriting every path's answer; the
 * deltas are read whole on open, so they may grow to JOURNAL_MAX (or the
 * snapshot's size, if smaller) before the file is rewritten (tmp + rename).
 * Loading applies a delta only if it starts at the tip reached so far, so a
 * delta torn by a crash (no @ line) or written by a reader with an older
 * view is skipped, never half-applied. <sum> on an @ line covers the
 * delta's + lines (each chained on the one before).
 *
 * mech never shortens the file in place (a rewrite is a new file renamed over
 * it, a delta an append), so a mapping stays whole while it is used.
 *
 * A file of format 3 (the whole snapshot as text under one sum) is read
 * once, checked as before, and rewritten in format 4; older ones, or any
 * that does not check, are rebuilt from Git.
 */

#define INDEX_MAGIC_V3 "mech-lastwriter 3"
#define BLOCK_TARGET 4096
#define JOURNAL_MAX (64u * 1024)
#define TABLE_ENTRY 16
#define NBLOCKS_HEXSZ 8
/* "mech-lastwriter 4 " tip " " nblocks " " table sum: what the header's sum covers */
#define HEADER_SUMMED                                                                              \
	(sizeof(INDEX_MAGIC) + GIT_OID_HEXSZ + 1 + NBLOCKS_HEXSZ + 1 + MECH_CHECKSUM_HEXSZ)
#define HEADER_LEN (HEADER_SUMMED + 1 + MECH_CHECKSUM_HEXSZ + 1)
#define LINE_PREFIX (GIT_OID_HEXSZ + 3) /* "<sha> <class> " */

struct mech_lastwriter {
	git_repository *repo;
	const mech_config *cfg;
	char *file;
	git_oid tip;  /* zero: empty index */
	path_map map; /* the deltas' answers (over the snapshot's), or every answer */
	size_t walked;
	int rebuilt;
	int convert;           /* read from a format-3 file: rewrite it */
	size_t snapshot_bytes; /* size of the snapshot part of the file */
	size_t journal_bytes;  /* bytes of deltas after it; SIZE_MAX: rewrite */
	size_t bytes_read;     /* of the file, read and checked since open */
	int fd;                /* the file read (pins its inode), or -1 */
	size_t read_to;        /* its bytes up to the last whole delta read; 0: unknown */
	/* the snapshot, mapped; NULL after a rebuild (or none) */
	const unsigned char *mapped;
	size_t mapped_len;
	size_t nblocks;
	unsigned char *checked; /* per block: 0 not yet, 1 good, 2 damaged */
	mech_buf scratch[2];    /* unescaped paths */
};

static int update_walk(mech_lastwriter *lw, const git_oid *tip, int incremental);

static void unescape_path(char *s)
{
	char *w;
	if (!(s = strchr(s, '\\'))) /* most paths have nothing to unescape */
		return;
	for (w = s; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*w++ = *s == 'n' ? '\n' : *s;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* The `n` escaped bytes at `p` unescaped into `b`, as unescape_path does. */
static const char *unescape_into(mech_buf *b, const char *p, size_t n)
{
	size_t i;
	mech_buf_clear(b);
	if (!memchr(p, '\\', n)) {
		mech_buf_put(b, p, n);
		return mech_buf_cstr(b);
	}
	for (i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n) {
			i++;
			mech_buf_putc(b, p[i] == 'n' ? '\n' : p[i]);
		} else {
			mech_buf_putc(b, p[i]);
		}
	}
	return mech_buf_cstr(b);
}

/* 40 lower-case hex digits, as git_oid_tostr writes them (a table, no conversion) */
static int is_hex_id(const char *p)
{
	static const unsigned char hex[256] =
		{['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
		 ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1,
		 ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1};
	unsigned ok = 1;
	size_t i;
	for (i = 0; i < GIT_OID_HEXSZ; i++)
		ok &= hex[(unsigned char)p[i]];
	return (int)ok;
}

/* "<sha> <class> " then at least one byte of path, in `len` bytes (no newline) */
static int entry_ok(const char *p, size_t len)
{
	return len > LINE_PREFIX && p[GIT_OID_HEXSZ] == ' ' && p[GIT_OID_HEXSZ + 2] == ' ' &&
	       p[GIT_OID_HEXSZ + 1] >= '0' && p[GIT_OID_HEXSZ + 1] <= '3' && is_hex_id(p);
}

/* "<sha> <class> <path>" (NUL-terminated, path unescaped in place). */
static int parse_entry(char *p, size_t len, mech_writer *w, char **path)
{
	if (!entry_ok(p, len) || git_oid_fromstrn(&w->commit, p, GIT_OID_HEXSZ) < 0)
		return -1;
	*path = p + LINE_PREFIX;
	unescape_path(*path);
	w->cls = (mech_class)(p[GIT_OID_HEXSZ + 1] - '0');
	return 0;
}

/* "@<from> <to> <sum>" */
static int parse_commit_line(const char *p, size_t len, git_oid *from, git_oid *to, uint64_t *sum)
{
	if (len != 1 + 2 * GIT_OID_HEXSZ + 2 + MECH_CHECKSUM_HEXSZ || p[1 + GIT_OID_HEXSZ] != ' ' ||
	    p[2 + 2 * GIT_OID_HEXSZ] != ' ' || git_oid_fromstrn(from, p + 1, GIT_OID_HEXSZ) < 0 ||
	    git_oid_fromstrn(to, p + 2 + GIT_OID_HEXSZ, GIT_OID_HEXSZ) < 0 ||
	    mech_checksum_parse(p + 3 + 2 * GIT_OID_HEXSZ, sum) < 0)
		return -1;
	return 0;
}

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const unsigned char *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static void put_le(unsigned char *p, uint64_t v, int n)
{
	int i;
	for (i = 0; i < n; i++, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

static int parse_hex_size(const char *p, size_t n, size_t *out)
{
	uint64_t v;
	if (mech_hex_parse(p, n, &v) < 0 || v > SIZE_MAX)
		return -1;
	*out = (size_t)v;
	return 0;
}

static void drop_snapshot(mech_lastwriter *lw)
{
	if (lw->mapped)
		munmap((void *)lw->mapped, lw->mapped_len);
	lw->mapped = NULL;
	lw->mapped_len = 0;
	free(lw->checked);
	lw->checked = NULL;
	lw->nblocks = 0;
}

/*
 * The deltas at `p` (NUL-terminated, parsed in place) onto lw->tip and
 * lw->map: -1 when a complete delta does not add up (damage, not a tear).
 * *used: the bytes up to the end of the last whole delta.
 */
static int load_journal(mech_lastwriter *lw, char *p, size_t *used)
{
	const char *start = p;
	path_map delta = {0};
	uint64_t sum, delta_sum = 0;
	char *nl;
	size_t i;
	int rc = 0;

	for (; *p; p = nl + 1) {
		mech_writer w;
		git_oid from, to;
		char *path;
		/* a torn or foreign tail ends the journal; the next save rewrites it */
		if (!(nl = strchr(p, '\n'))) {
			lw->journal_bytes = SIZE_MAX;
			break;
		}
		if (*p == '+') /* summed as written, before the path is unescaped */
			delta_sum = mech_checksum(delta_sum, p, (size_t)(nl + 1 - p));
		*nl = '\0';
		if (*p == '+' && parse_entry(p + 1, (size_t)(nl - p - 1), &w, &path) == 0) {
			pm_set(&delta, path, &w);
		} else if (*p == '@' &&
			   parse_commit_line(p, (size_t)(nl - p), &from, &to, &sum) == 0) {
			if (sum != delta_sum) {
				rc = -1;
				break;
			}
			delta_sum = 0;
			if (git_oid_equal(&from, &lw->tip)) {
				for (i = 0; i < delta.cap; i++)
					if (delta.slots[i].path)
						pm_set(&lw->map, delta.slots[i].path,
						       &delta.slots[i].w);
				lw->tip = to;
			}
			pm_clear(&delta);
			*used = (size_t)(nl + 1 - start);
		} else {
			lw->journal_bytes = SIZE_MAX;
			break;
		}
	}
	pm_clear(&delta);
	return rc;
}

/*
 * Format 3: "mech-lastwriter 3 <tip> <sum>", the snapshot's lines (summed
 * together, sorted), then deltas. Read whole into the map, once: the next
 * update rewrites the file in format 4.
 */
static int load_v3(mech_lastwriter *lw, mech_buf *b)
{
	char *p = b->ptr, *nl = strchr(p, '\n'), *end;
	size_t magic = strlen(INDEX_MAGIC_V3);
	const char *prev = NULL;
	uint64_t sum;
	size_t used = 0;

	if (!nl || (size_t)(nl - p) != magic + 2 + GIT_OID_HEXSZ + MECH_CHECKSUM_HEXSZ ||
	    p[magic + 1 + GIT_OID_HEXSZ] != ' ' ||
	    git_oid_fromstrn(&lw->tip, p + magic + 1, GIT_OID_HEXSZ) < 0 ||
	    mech_checksum_parse(p + magic + 2 + GIT_OID_HEXSZ, &sum) < 0)
		return -1;
	for (end = nl + 1; *end && *end != '+' && *end != '@' && (p = strchr(end, '\n'));)
		end = p + 1;
	if (sum != mech_checksum(0, nl + 1, (size_t)(end - (nl + 1))))
		return -1;
	for (p = nl + 1; p < end; p = nl + 1) {
		mech_writer w;
		char *path;
		nl = strchr(p, '\n');
		*nl = '\0';
		if (parse_entry(p, (size_t)(nl - p), &w, &path) < 0 ||
		    (prev && strcmp(prev, path) >= 0))
			return -1;
		pm_set(&lw->map, path, &w);
		prev = path;
	}
	lw->convert = 1;
	lw->journal_bytes = SIZE_MAX; /* never append format 4's deltas to it */
	return load_journal(lw, end, &used);
}

static void load_file(mech_lastwriter *lw)
{
	mech_buf b = MECH_BUF_INIT;
	const unsigned char *m = MAP_FAILED;
	const char *h;
	struct stat st;
	size_t i, table_end, at, used = 0;
	uint64_t sum, head_sum;

	if ((lw->fd = open(lw->file, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	if (fstat(lw->fd, &st) < 0 || st.st_size < (off_t)sizeof(INDEX_MAGIC) ||
	    (uint64_t)st.st_size > INDEX_MAX)
		goto corrupt;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, lw->fd, 0);
	if (m == MAP_FAILED)
		goto corrupt;
	lw->mapped = m;
	lw->mapped_len = (size_t)st.st_size;
	h = (const char *)m;
	if (!memcmp(h, INDEX_MAGIC_V3 " ", sizeof(INDEX_MAGIC_V3))) {
		/* the old text format, converted once */
		lw->bytes_read = lw->mapped_len;
		mech_buf_put(&b, m, lw->mapped_len);
		drop_snapshot(lw);
		if (load_v3(lw, &b) < 0)
			goto corrupt;
		mech_buf_dispose(&b);
		return;
	}
	lw->bytes_read = HEADER_LEN;
	if (lw->mapped_len < HEADER_LEN || memcmp(h, INDEX_MAGIC " ", sizeof(INDEX_MAGIC)) ||
	    h[HEADER_SUMMED - MECH_CHECKSUM_HEXSZ - 1] != ' ' || h[HEADER_SUMMED] != ' ' ||
	    h[HEADER_LEN - 1] != '\n' ||
	    mech_checksum_parse(h + HEADER_SUMMED + 1, &head_sum) < 0 ||
	    head_sum != mech_checksum(0, h, HEADER_SUMMED) ||
	    git_oid_fromstrn(&lw->tip, h + sizeof(INDEX_MAGIC), GIT_OID_HEXSZ) < 0 ||
	    parse_hex_size(h + sizeof(INDEX_MAGIC) + GIT_OID_HEXSZ + 1, NBLOCKS_HEXSZ,
			   &lw->nblocks) < 0 ||
	    mech_checksum_parse(h + HEADER_SUMMED - MECH_CHECKSUM_HEXSZ, &sum) < 0 ||
	    lw->nblocks > (lw->mapped_len - HEADER_LEN) / TABLE_ENTRY)
		goto corrupt;
	table_end = HEADER_LEN + lw->nblocks * TABLE_ENTRY;
	lw->bytes_read = table_end;
	if (sum != mech_checksum(0, m + HEADER_LEN, table_end - HEADER_LEN))
		goto corrupt;
	/* the blocks follow the table, each after the one before, inside the file */
	for (i = 0, at = table_end; i < lw->nblocks; i++) {
		const unsigned char *e = m + HEADER_LEN + i * TABLE_ENTRY;
		size_t len = get_le32(e + 4);
		if (get_le32(e) != at || !len || len > lw->mapped_len - at)
			goto corrupt;
		at += len;
	}
	lw->checked = mech_calloc(lw->nblocks ? lw->nblocks : 1, 1);
	lw->snapshot_bytes = at;
	lw->journal_bytes = lw->mapped_len - at;
	lw->bytes_read += lw->journal_bytes;
	mech_buf_put(&b, m + at, lw->mapped_len - at);
	if (memchr(mech_buf_cstr(&b), '\0', b.len))
		lw->journal_bytes = SIZE_MAX; /* zeros a crash left: a torn tail */
	if (load_journal(lw, (char *)mech_buf_cstr(&b), &used) < 0)
		goto corrupt;
	lw->read_to = at + used;
	mech_buf_dispose(&b);
	if (!lw->nblocks)
		drop_snapshot(lw);
	return;
corrupt:
	/* an unreadable index is rebuilt, never trusted */
	memset(&lw->tip, 0, sizeof(lw->tip));
	pm_clear(&lw->map);
	drop_snapshot(lw);
	lw->convert = 0;
	lw->read_to = 0;
	mech_buf_dispose(&b);
}

/* Forget what was read, to read the file again. */
static void forget_file(mech_lastwriter *lw)
{
	memset(&lw->tip, 0, sizeof(lw->tip));
	pm_clear(&lw->map);
	drop_snapshot(lw);
	lw->convert = 0;
	lw->snapshot_bytes = 0;
	lw->journal_bytes = 0;
	lw->read_to = 0;
	if (lw->fd >= 0)
		close(lw->fd);
	lw->fd = -1;
}

/* The deltas appended to the file read since it was read: 0, or -1 when it must be read again. */
static int read_appended(mech_lastwriter *lw)
{
	struct stat was, now;
	mech_buf tail = MECH_BUF_INIT;
	size_t n, got = 0, used = 0;
	int rc = -1;

	if (lw->fd < 0 || !lw->read_to || lw->convert || lw->journal_bytes == SIZE_MAX ||
	    fstat(lw->fd, &was) < 0 || stat(lw->file, &now) < 0 || was.st_dev != now.st_dev ||
	    was.st_ino != now.st_ino || (uint64_t)was.st_size > INDEX_MAX ||
	    (size_t)was.st_size < lw->read_to)
		return -1;
	n = (size_t)was.st_size - lw->read_to;
	if (!n)
		return 0;
	if (mech_buf_grow(&tail, n) < 0)
		return -1;
	while (got < n) {
		ssize_t k = pread(lw->fd, tail.ptr + got, n - got, (off_t)(lw->read_to + got));
		if (k <= 0)
			goto done;
		got += (size_t)k;
	}
	tail.len = n;
	tail.ptr[n] = '\0';
	/* zeros a crash left, damage or a tear: read again, as an open would */
	if (memchr(mech_buf_cstr(&tail), '\0', n) ||
	    load_journal(lw, (char *)mech_buf_cstr(&tail), &used) < 0 ||
	    lw->journal_bytes == SIZE_MAX)
		goto done;
	lw->read_to += used;
	lw->journal_bytes = (size_t)was.st_size - lw->snapshot_bytes;
	lw->bytes_read += n;
	rc = 0;
done:
	mech_buf_dispose(&tail);
	return rc;
}

int mech_lastwriter_reload(mech_lastwriter *lw)
{
	size_t read = lw->bytes_read;
	if (read_appended(lw) == 0)
		return 0;
	forget_file(lw);
	load_file(lw);
	lw->bytes_read += read; /* since it was opened */
	return 0;
}

/* Block `i`: its bytes, and 0 when it checks (once), -1 when it is damaged. */
static int block_get(mech_lastwriter *lw, size_t i, const char **data, size_t *len)
{
	const unsigned char *e = lw->mapped + HEADER_LEN + i * TABLE_ENTRY;
	const char *p, *end, *nl;
	const char *prev = NULL;
	int cur = 0;

	*data = (const char *)lw->mapped + get_le32(e);
	*len = get_le32(e + 4);
	if (lw->checked[i])
		return lw->checked[i] == 1 ? 0 : -1;
	lw->bytes_read += *len;
	lw->checked[i] = 2;
	if (mech_checksum(0, *data, *len) != get_le64(e + 8) || (*data)[*len - 1] != '\n')
		return -1;
	/* well-formed lines in strictly increasing order of path */
	for (p = *data, end = p + *len; p < end; p = nl + 1) {
		const char *path;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!entry_ok(p, (size_t)(nl - p)))
			return -1;
		path = unescape_into(&lw->scratch[cur], p + LINE_PREFIX,
				     (size_t)(nl - p) - LINE_PREFIX);
		if (prev && strcmp(prev, path) >= 0)
			return -1;
		prev = path;
		cur ^= 1;
	}
	lw->checked[i] = 1;
	return 0;
}

/* The path of the line at `p` (ending at `nl`), unescaped into scratch[0]. */
static const char *line_path(mech_lastwriter *lw, const char *p, const char *nl)
{
	return unescape_into(&lw->scratch[0], p + LINE_PREFIX, (size_t)(nl - p) - LINE_PREFIX);
}

static void line_writer(const char *p, mech_writer *out)
{
	git_oid_fromstrn(&out->commit, p, GIT_OID_HEXSZ); /* checked with its block */
	out->cls = (mech_class)(p[GIT_OID_HEXSZ + 1] - '0');
}

/*
 * The snapshot's answer for `path`: 1 found, 0 not in the snapshot, -1 a
 * block on the way is damaged. Blocks are searched by their first path.
 */
static int snap_get(mech_lastwriter *lw, const char *path, mech_writer *out)
{
	size_t lo = 0, hi = lw->nblocks, len;
	const char *data, *p, *nl, *end;

	if (!lw->mapped)
		return 0;
	while (lo < hi) { /* the first block whose first path is after `path` */
		size_t mid = lo + (hi - lo) / 2;
		if (block_get(lw, mid, &data, &len) < 0)
			return -1;
		nl = memchr(data, '\n', len);
		if (strcmp(line_path(lw, data, nl), path) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return 0;
	if (block_get(lw, lo - 1, &data, &len) < 0)
		return -1;
	for (p = data, end = data + len; p < end; p = nl + 1) {
		int c;
		nl = memchr(p, '\n', (size_t)(end - p));
		c = strcmp(line_path(lw, p, nl), path);
		if (c == 0) {
			line_writer(p, out);
			return 1;
		}
		if (c > 0)
			break;
	}
	return 0;
}

/* The answer of the deltas, else of the snapshot: as snap_get. */
static int lookup(mech_lastwriter *lw, const char *path, mech_writer *out)
{
	path_entry *e = pm_find(&lw->map, path, 0);
	int rc;
	if (e) {
		*out = e->w;
		return 1;
	}
	rc = snap_get(lw, path, out);
	if (rc <= 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

static void put_entry(mech_buf *b, const char *prefix, const path_entry *e)
{
	char hex[GIT_OID_HEXSZ + 1];
	const char *s;

	git_oid_tostr(hex, sizeof(hex), &e->w.commit);
	mech_buf_printf(b, "%s%s %d ", prefix, hex, (int)e->w.cls);
	for (s = e->path; *s; s++) {
		if (*s == '\n')
			mech_buf_puts(b, "\\n");
		else if (*s == '\\')
			mech_buf_puts(b, "\\\\");
		else
			mech_buf_putc(b, *s);
	}
	mech_buf_putc(b, '\n');
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const path_entry *)a)->path, ((const path_entry *)b)->path);
}

/* The snapshot's lines being written: whole lines, a new block once one passes BLOCK_TARGET. */
typedef struct {
	mech_buf data;
	size_t *starts, nblocks, block;
} block_writer;

static void bw_added(block_writer *bw, size_t line)
{
	if (bw->nblocks && bw->data.len - bw->block <= BLOCK_TARGET)
		return;
	if (bw->nblocks)
		bw->block = line;
	bw->starts = mech_reallocarray(bw->starts, bw->nblocks + 1, sizeof(*bw->starts));
	bw->starts[bw->nblocks++] = bw->block;
}

static void bw_entry(block_writer *bw, const path_entry *e)
{
	size_t line = bw->data.len;
	if (git_oid_is_zero(&e->w.commit)) /* no writer: no line, and the snapshot's is gone */
		return;
	put_entry(&bw->data, "", e);
	bw_added(bw, line);
}

#define SNAPSHOT_DAMAGED (-2)

/*
 * Rewrite the whole file, no deltas: the mapped snapshot's lines (copied as
 * they are, each block checked) merged with the map's answers, which win;
 * with no snapshot, the map alone. SNAPSHOT_DAMAGED: a block did not check.
 */
static int save_snapshot(mech_lastwriter *lw)
{
	block_writer bw = {MECH_BUF_INIT, NULL, 0, 0};
	mech_buf b = MECH_BUF_INIT;
	path_entry *sorted = mech_calloc(lw->map.len ? lw->map.len : 1, sizeof(*sorted));
	size_t i, j = 0, n = 0, table, len;
	char hex[GIT_OID_HEXSZ + 1], sum[MECH_CHECKSUM_HEXSZ + 1];
	const char *data, *p, *nl, *end;
	char *dir, *slash;
	int rc = 0;

	for (i = 0; i < lw->map.cap; i++)
		if (lw->map.slots[i].path)
			sorted[n++] = lw->map.slots[i];
	qsort(sorted, n, sizeof(*sorted), cmp_entry);
	for (i = 0; lw->mapped && i < lw->nblocks; i++) {
		if (block_get(lw, i, &data, &len) < 0) {
			rc = SNAPSHOT_DAMAGED;
			goto done;
		}
		for (p = data, end = data + len; p < end; p = nl + 1) {
			const char *path;
			size_t line;
			nl = memchr(p, '\n', (size_t)(end - p));
			path = line_path(lw, p, nl);
			while (j < n && strcmp(sorted[j].path, path) < 0)
				bw_entry(&bw, &sorted[j++]);
			if (j < n && !strcmp(sorted[j].path, path)) {
				bw_entry(&bw, &sorted[j++]);
				continue;
			}
			line = bw.data.len;
			mech_buf_put(&bw.data, p, (size_t)(nl + 1 - p));
			bw_added(&bw, line);
		}
	}
	while (j < n)
		bw_entry(&bw, &sorted[j++]);
	if (bw.nblocks > 0xffffffffu || bw.data.len > INDEX_MAX) {
		rc = mech_error_set(MECH_EFAILED, "last-writer index too large");
		goto done;
	}
	/* header (sums filled in below), table, blocks */
	git_oid_tostr(hex, sizeof(hex), &lw->tip);
	mech_buf_printf(&b, "%s %s %08zx %s %s\n", INDEX_MAGIC, hex, bw.nblocks,
			mech_checksum_hex(sum, 0), sum);
	table = b.len;
	mech_buf_grow(&b, bw.nblocks * TABLE_ENTRY + bw.data.len);
	for (i = 0; i < bw.nblocks; i++) {
		unsigned char e[TABLE_ENTRY];
		size_t stop = i + 1 < bw.nblocks ? bw.starts[i + 1] : bw.data.len;
		put_le(e, table + bw.nblocks * TABLE_ENTRY + bw.starts[i], 4);
		put_le(e + 4, stop - bw.starts[i], 4);
		put_le(e + 8, mech_checksum(0, bw.data.ptr + bw.starts[i], stop - bw.starts[i]), 8);
		mech_buf_put(&b, e, sizeof(e));
	}
	mech_buf_put(&b, bw.data.ptr, bw.data.len);
	mech_checksum_hex(sum, mech_checksum(0, b.ptr + table, bw.nblocks * TABLE_ENTRY));
	memcpy(b.ptr + HEADER_SUMMED - MECH_CHECKSUM_HEXSZ, sum, MECH_CHECKSUM_HEXSZ);
	mech_checksum_hex(sum, mech_checksum(0, b.ptr, HEADER_SUMMED));
	memcpy(b.ptr + HEADER_SUMMED + 1, sum, MECH_CHECKSUM_HEXSZ);
	dir = mech_strdup(lw->file);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	rc = mech_mkdir_p(dir, 0755);
	free(dir);
	if (rc == 0)
		rc = mech_file_write_cache(lw->file, b.ptr, b.len, 0644);
	if (rc == 0) {
		lw->snapshot_bytes = b.len;
		lw->journal_bytes = 0;
		lw->convert = 0;
	}
done:
	free(sorted);
	free(bw.starts);
	mech_buf_dispose(&bw.data);
	mech_buf_dispose(&b);
	return rc;
}

/* Append the answers for `changed` as one delta from `from` to lw->tip. */
static int save_delta(mech_lastwriter *lw, const git_oid *from, const path_map *changed)
{
	mech_buf b = MECH_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1], sumhex[MECH_CHECKSUM_HEXSZ + 1];
	uint64_t sum = 0;
	size_t i, line, limit;
	ssize_t n;
	int fd, rc = -1;

	for (i = 0; i < changed->cap; i++) {
		path_entry *e;
		if (!changed->slots[i].path)
			continue;
		if ((e = pm_find(&lw->map, changed->slots[i].path, 0))) {
			line = b.len;
			put_entry(&b, "+", e);
			sum = mech_checksum(sum, b.ptr + line, b.len - line);
		}
	}
	git_oid_tostr(hex, sizeof(hex), from);
	mech_buf_printf(&b, "@%s ", hex);
	git_oid_tostr(hex, sizeof(hex), &lw->tip);
	mech_buf_printf(&b, "%s %s\n", hex, mech_checksum_hex(sumhex, sum));
	/*
	 * The deltas are read whole on every open: they may grow to the
	 * snapshot's size, and never past JOURNAL_MAX, before a rewrite.
	 */
	limit = lw->snapshot_bytes < JOURNAL_MAX ? lw->snapshot_bytes : JOURNAL_MAX;
	if (lw->journal_bytes > limit || b.len > limit - lw->journal_bytes)
		goto done;
	fd = open(lw->file, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		goto done;
	n = write(fd, b.ptr, b.len);
	if (close(fd) == 0 && n == (ssize_t)b.len) {
		lw->journal_bytes += b.len;
		rc = 0;
	}
done:
	mech_buf_dispose(&b);
	return rc;
}

/* Persist after an update; the index is a cache, so failing must not fail the verb. */
static void save_file(mech_lastwriter *lw, const git_oid *from, const path_map *changed)
{
	int rc;
	if (from && save_delta(lw, from, changed) == 0)
		return;
	rc = save_snapshot(lw);
	if (rc == SNAPSHOT_DAMAGED) {
		/* a damaged block: what it said is unknown, start over */
		git_oid tip = lw->tip;
		rc = update_walk(lw, &tip, 0);
	}
	if (rc < 0)
		mech_error_clear();
}

int mech_lastwriter_open(mech_lastwriter **out, git_repository *repo, const mech_config *cfg,
			 const char *file)
{
	mech_lastwriter *lw = mech_calloc(1, sizeof(*lw));
	lw->repo = repo;
	lw->cfg = cfg;
	lw->file = mech_strdup(file);
	lw->fd = -1;
	load_file(lw);
	*out = lw;
	return 0;
}

void mech_lastwriter_free(mech_lastwriter *lw)
{
	if (!lw)
		return;
	forget_file(lw);
	mech_buf_dispose(&lw->scratch[0]);
	mech_buf_dispose(&lw->scratch[1]);
	free(lw->file);
	free(lw);
}

void mech_lastwriter_stats(const mech_lastwriter *lw, size_t *commits_walked, int *rebuilt)
{
	if (commits_walked)
		*commits_walked = lw->walked;
	if (rebuilt)
		*rebuilt = lw->rebuilt;
}

size_t mech_lastwriter_bytes_read(const mech_lastwriter *lw)
{
	return lw->bytes_read;
}

static int classify(mech_lastwriter *lw, const git_oid *id, mech_class *cls)
{
	git_commit *c;
	if (git_commit_lookup(&c, lw->repo, id) < 0)
		return mech_error_git(MECH_EFAILED, "cannot read commit");
	*cls = mech_receipt_classify(c, lw->cfg);
	git_commit_free(c);
	return 0;
}

/* A tree for walk_dirs: one of the two the job before read, or read now. */
static int dir_tree(tree_reader *r, const git_oid *id, git_odb_object *const kept[2],
		    git_odb_object **out)
{
	int i;
	*out = NULL;
	if (git_oid_is_zero(id))
		return 0;
	for (i = 0; i < 2; i++)
		if (kept[i] && git_oid_equal(git_odb_object_id(kept[i]), id))
			return git_odb_object_dup(out, kept[i]) < 0 ? -1 : 0;
	return reader_tree(r, id, 0, out);
}

/*
 * The jobs the walk put off, a directory at a time, in commit order within
 * one: a commit's tree at a directory is most often its parent's in the job
 * before, and the versions of a directory are read one after another. The
 * jobs of subdirectories found on the way are appended, and done after.
 */
static int walk_dirs(tree_reader *r, walk_state *ws)
{
	size_t g;
	int rc = 0;
	for (g = 0; g < ws->dirs.len && !rc; g++) {
		walk_path *dir = ws->dirs.items[g];
		git_odb_object *kept[2] = {NULL, NULL};
		walk_job *j;
		for (j = dir->jobs; j && !rc; j = j->next) {
			git_odb_object *ta, *tb = NULL;
			if (dir_tree(r, &j->a, kept, &ta) < 0 || dir_tree(r, &j->b, kept, &tb) < 0) {
				rc = mech_error_git(MECH_EFAILED, "cannot read tree");
			} else {
				mech_buf_clear(&r->path);
				mech_buf_put(&r->path, dir->s, dir->len);
				mech_buf_putc(&r->path, '/');
				ws->list = j->list;
				rc = tree_diff(r, ta, tb);
			}
			git_odb_object_free(kept[0]);
			git_odb_object_free(kept[1]);
			kept[0] = ta;
			kept[1] = tb;
		}
		git_odb_object_free(kept[0]);
		git_odb_object_free(kept[1]);
	}
	mech_buf_clear(&r->path);
	return rc;
}

/* Every path found into its commit's list, each list sorted (for path_list_has). */
static void walk_lists(walk_state *ws)
{
	size_t *at = mech_calloc((size_t)ws->nlists + 1, sizeof(*at));
	walk_path **all = mech_arena_alloc(&ws->pool.arena, ws->found.len * sizeof(*all));
	size_t i, j, n;
	for (i = 0; i < ws->found.len; i++)
		at[ws->found.items[i].list + 1]++;
	for (i = 0; i < ws->nlists; i++)
		at[i + 1] += at[i];
	for (i = 0; i < ws->found.len; i++) /* at[k]: where list k's next path goes */
		all[at[ws->found.items[i].list]++] = ws->found.items[i].path;
	/* now at[k] is where list k ends, and list k - 1's end is where it starts */
	for (i = 0; i < ws->cm.cap; i++) {
		commit_info *ci = &ws->cm.slots[i];
		if (!ci->used || !ci->diffs)
			continue;
		n = ci->nparents ? ci->nparents : 1;
		for (j = 0; j < n; j++) {
			size_t k = ci->first_list + j, start = k ? at[k - 1] : 0;
			ci->diffs[j].items = all + start;
			ci->diffs[j].len = at[k] - start;
			if (ci->diffs[j].len > 1)
				qsort(ci->diffs[j].items, ci->diffs[j].len, sizeof(walk_path *),
				      cmp_walk_path);
		}
	}
	free(at);
	ws->found.len = 0;
}

/* Record the diffs of one commit against each parent (or its tree, for a root). */
static int load_commit(mech_lastwriter *lw, tree_reader *r, walk_state *ws, const git_oid *id)
{
	git_commit *c = NULL;
	git_odb_object *tree = NULL;
	commit_info *ci = cm_find(&ws->cm, id, 1);
	size_t i, nlists;
	int rc = -1;

	if (ci->used)
		return 0;
	ci->used = 1;
	ws->cm.len++;
	if (r->parent && git_oid_equal(git_commit_id(r->parent), id)) {
		c = r->parent; /* read as the previous commit's parent */
		r->parent = NULL;
	} else if (git_commit_lookup(&c, lw->repo, id) < 0) {
		mech_error_git(MECH_EFAILED, "cannot read commit");
		goto done;
	}
	if (reader_tree(r, git_commit_tree_id(c), 0, &tree) < 0) {
		mech_error_git(MECH_EFAILED, "cannot read commit");
		goto done;
	}
	ci->nparents = git_commit_parentcount(c);
	nlists = ci->nparents ? ci->nparents : 1;
	ci->parents = mech_arena_alloc(&ws->pool.arena, ci->nparents * sizeof(git_oid));
	ci->diffs = mech_arena_alloc(&ws->pool.arena, nlists * sizeof(path_list));
	memset(ci->diffs, 0, nlists * sizeof(path_list));
	if (nlists > UINT32_MAX - ws->nlists)
		mech_fatal("a walk of more than %u commits and parents", UINT32_MAX);
	ci->first_list = ws->nlists;
	ws->nlists += (uint32_t)nlists;
	if (!ci->nparents) {
		ws->list = ci->first_list;
		rc = tree_diff(r, NULL, tree); /* the lists are filled by walk_lists */
		goto done;
	}
	for (i = 0; i < ci->nparents; i++) {
		git_commit *p = NULL;
		git_odb_object *pt = NULL;
		ci->parents[i] = *git_commit_parent_id(c, (unsigned)i);
		if (git_commit_parent(&p, c, (unsigned)i) < 0 ||
		    reader_tree(r, git_commit_tree_id(p), 1, &pt) < 0) {
			git_commit_free(p);
			mech_error_git(MECH_EFAILED, "cannot read parent commit");
			goto done;
		}
		ws->list = ci->first_list + (uint32_t)i;
		rc = tree_diff(r, pt, tree);
		git_odb_object_free(pt);
		if (i == 0) { /* most often the next commit of the walk */
			git_commit_free(r->parent);
			r->parent = p;
		} else {
			git_commit_free(p);
		}
		if (rc < 0)
			goto done;
	}
	rc = 0;
done:
	reader_step(r);
	git_odb_object_free(tree);
	git_commit_free(c);
	return rc;
}

static int path_exists(git_repository *repo, const git_commit *c, const char *path)
{
	git_tree *t;
	git_tree_entry *e = NULL;
	int found;
	if (git_commit_tree(&t, c) < 0)
		return 0;
	found = git_tree_entry_bypath(&e, t, path) == 0;
	git_error_clear();
	git_tree_entry_free(e);
	git_tree_free(t);
	(void)repo;
	return found;
}

static int entry_id(git_commit *c, const char *path, git_oid *out, unsigned *mode)
{
	git_tree *t;
	git_tree_entry *e = NULL;
	int found;
	memset(out, 0, sizeof(*out));
	*mode = 0;
	if (git_commit_tree(&t, c) < 0)
		return -1;
	found = git_tree_entry_bypath(&e, t, path) == 0;
	git_error_clear();
	if (found) {
		*out = *git_tree_entry_id(e);
		*mode = (unsigned)git_tree_entry_filemode(e);
	}
	git_tree_entry_free(e);
	git_tree_free(t);
	return found;
}

int mech_lastwriter_walk(git_repository *repo, const git_oid *start, const char *path, git_oid *out)
{
	git_commit *c = NULL;
	int rc = 0;
	memset(out, 0, sizeof(*out));
	if (git_commit_lookup(&c, repo, start) < 0)
		return mech_error_git(MECH_EFAILED, "cannot read commit");
	for (;;) {
		unsigned n = git_commit_parentcount(c), i, mode, pmode;
		git_oid id, pid;
		git_commit *next = NULL;
		entry_id(c, path, &id, &mode);
		if (!n) {
			if (path_exists(repo, c, path))
				*out = *git_commit_id(c);
			break;
		}
		for (i = 0; i < n && !next; i++) {
			git_commit *p;
			if (git_commit_parent(&p, c, i) < 0) {
				rc = mech_error_git(MECH_EFAILED, "cannot read parent commit");
				goto done;
			}
			entry_id(p, path, &pid, &pmode);
			if (git_oid_equal(&id, &pid) && mode == pmode)
				next = p;
			else
				git_commit_free(p);
		}
		if (!next) {
			*out = *git_commit_id(c);
			break;
		}
		git_commit_free(c);
		c = next;
	}
done:
	git_commit_free(c);
	return rc;
}

static const mech_writer NO_WRITER; /* no writer (yet): also hides a stale snapshot answer */

static void add_pending(walk_state *ws, const git_oid *id, const walk_path *path)
{
	commit_info *ci = cm_find(&ws->cm, id, 0);
	if (!ci->pending)
		ci->pending = mech_calloc(1, sizeof(pend_set));
	ps_add(ci->pending, path);
}

/* Hand a whole pending set to a parent: moved when the parent has none yet. */
static void pass_down(walk_state *ws, commit_info *ci, const git_oid *parent)
{
	commit_info *pi = cm_find(&ws->cm, parent, 0);
	size_t i;
	if (!pi->pending) {
		pi->pending = ci->pending;
		ci->pending = NULL;
		return;
	}
	for (i = 0; i < ci->pending->cap; i++) {
		pend_entry *e = &ci->pending->slots[i];
		if (e->path && e->live)
			ps_add(pi->pending, e->path);
	}
}

/* A path's walk left the new commits at `p`: the old index knows, or walk on. */
static int resolve_exit(mech_lastwriter *lw, const git_oid *p, const char *path,
			const git_oid *old_tip, const path_map *old)
{
	mech_writer w;
	memset(&w, 0, sizeof(w));
	if (old_tip && git_oid_equal(p, old_tip)) {
		path_entry *e = pm_find((path_map *)old, path, 0);
		if (e)
			w = e->w;
	} else {
		if (mech_lastwriter_walk(lw->repo, p, path, &w.commit) < 0)
			return -1;
		if (!git_oid_is_zero(&w.commit) && classify(lw, &w.commit, &w.cls) < 0)
			return -1;
	}
	if (!git_oid_is_zero(&w.commit))
		pm_set(&lw->map, path, &w);
	return 0;
}

static int set_writer(mech_lastwriter *lw, commit_info *ci, const char *path, mech_class *cls,
		      int *have_cls)
{
	mech_writer w;
	if (!*have_cls && classify(lw, &ci->id, cls) < 0)
		return -1;
	*have_cls = 1;
	w.commit = ci->id;
	w.cls = *cls;
	pm_set(&lw->map, path, &w);
	return 0;
}

/*
 * Resolve the pending paths of one commit. On a single-parent commit only
 * the paths it changed can stop here, and the rest move to the parent as a
 * set, so a long linear history costs O(changes), not O(paths x commits).
 * The set is freed once resolved: pending state lives only along the walk's
 * front.
 */
static int resolve_commit(mech_lastwriter *lw, walk_state *ws, commit_info *ci,
			  const git_oid *old_tip, const path_map *old)
{
	pend_set *set = ci->pending;
	mech_class cls = MECH_CLASS_NONE;
	int have_cls = 0, rc = -1;
	size_t k, i;

	if (ci->nparents == 1) {
		const path_list *d = &ci->diffs[0];
		commit_info *pi = cm_find(&ws->cm, &ci->parents[0], 0);
		for (k = 0; k < d->len; k++) {
			pend_entry *e = ps_get(set, d->items[k]);
			if (!e || !e->live)
				continue;
			e->live = 0; /* resolved here */
			if (set_writer(lw, ci, d->items[k]->s, &cls, &have_cls) < 0)
				goto done;
		}
		if (pi && pi->used) {
			pass_down(ws, ci, &ci->parents[0]);
		} else {
			for (i = 0; i < set->cap; i++) {
				pend_entry *e = &set->slots[i];
				if (e->path && e->live &&
				    resolve_exit(lw, &ci->parents[0], e->path->s, old_tip, old) < 0)
					goto done;
			}
		}
		rc = 0;
		goto done;
	}
	for (i = 0; i < set->cap; i++) {
		pend_entry *e = &set->slots[i];
		const walk_path *path = e->path;
		size_t follow = ci->nparents;
		if (!path || !e->live)
			continue;
		if (!ci->nparents) {
			/* a root commit writes the paths it has; paths it lacks were never written */
			if (path_list_has(&ci->diffs[0], path) &&
			    set_writer(lw, ci, path->s, &cls, &have_cls) < 0)
				goto done;
			continue;
		}
		for (k = 0; k < ci->nparents; k++) {
			if (!path_list_has(&ci->diffs[k], path)) {
				follow = k;
				break;
			}
		}
		if (follow == ci->nparents) {
			if (set_writer(lw, ci, path->s, &cls, &have_cls) < 0)
				goto done;
			continue;
		}
		{
			commit_info *pi = cm_find(&ws->cm, &ci->parents[follow], 0);
			if (pi && pi->used)
				add_pending(ws, &ci->parents[follow], path);
			else if (resolve_exit(lw, &ci->parents[follow], path->s, old_tip, old) < 0)
				goto done;
		}
	}
	rc = 0;
done:
	ps_free(ci->pending);
	ci->pending = NULL;
	return rc;
}

/*
 * Where the first-parent chain from the tip leaves the new commits. Paths
 * no new commit touched are TREESAME everywhere, so their walk follows
 * exactly this chain: their old answers hold only if it ends at the old
 * tip (a human's `git pull` merge puts the old tip second, and then it
 * does not).
 */
static int chain_exits_at(commit_map *cm, const git_oid *tip, const git_oid *old_tip)
{
	const git_oid *id = tip;
	for (;;) {
		commit_info *ci = cm_find(cm, id, 0);
		if (!ci || !ci->used)
			return git_oid_equal(id, old_tip);
		if (!ci->nparents)
			return 0;
		id = &ci->parents[0];
	}
}

#define ONE_COMMIT 2 /* incremental, and the tip's only parent is the old tip */

/*
 * `incremental`: 0 rebuild, 1 from the old tip, ONE_COMMIT from its child.
 * 0 done, 1 the incremental walk cannot answer (rebuild), -1 error.
 */
static int update_walk(mech_lastwriter *lw, const git_oid *tip, int incremental)
{
	git_revwalk *walk = NULL;
	walk_state ws;
	path_map old = {0};
	git_oid id, old_tip = lw->tip;
	git_oid *order = NULL;
	size_t norder = 0, cap = 0, i, j;
	int rc = -1, uncached = 0;
	path_vec touched = {0};
	tree_reader r = {lw->repo, NULL, {0}, {0}, NULL, 1, 0, MECH_BUF_INIT, NULL, NULL};

	lw->read_to = 0; /* what is in memory is no longer only what was read */
	memset(&ws, 0, sizeof(ws));
	r.walk = &ws;
	if (!incremental) {
		pm_clear(&lw->map);
		drop_snapshot(lw);
		lw->rebuilt = 1;
	}
	if (incremental == ONE_COMMIT) {
		/* the common case, one write on top of the index: no walk */
		if (load_commit(lw, &r, &ws, tip) < 0)
			goto done;
		order = mech_calloc(1, sizeof(*order));
		order[norder++] = *tip;
	} else if (git_revwalk_new(&walk, lw->repo) < 0 ||
		   git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL) < 0 ||
		   git_revwalk_push(walk, tip) < 0 ||
		   (incremental && git_revwalk_hide(walk, &old_tip) < 0)) {
		mech_error_git(MECH_EFAILED, "cannot walk history");
		goto done;
	}
	if (walk) {
		/* the reader keeps what the next commit needs (see tree_reader) */
		git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
		uncached = 1;
	}
	while (walk && git_revwalk_next(&id, walk) == 0) {
		if (load_commit(lw, &r, &ws, &id) < 0)
			goto done;
		if (norder == cap) {
			cap = mech_grow_cap(cap, norder + 1, 1024, sizeof(*order));
			order = mech_reallocarray(order, cap, sizeof(*order));
		}
		order[norder++] = id;
	}
	if (walk_dirs(&r, &ws) < 0)
		goto done;
	walk_lists(&ws);
	lw->walked = norder;
	reader_free(&r);
	if (uncached) {
		git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 1); /* mech never turns it off elsewhere */
		uncached = 0;
	}
	if (incremental && !chain_exits_at(&ws.cm, tip, &old_tip)) {
		rc = 1;
		goto done;
	}
	/*
	 * every path a new commit touched is re-resolved from the tip; each
	 * listed once, in the order the commits and their sorted lists meet them
	 */
	for (i = 0; i < norder; i++) {
		commit_info *ci = cm_find(&ws.cm, &order[i], 0);
		for (j = 0; j < (ci->nparents ? ci->nparents : 1); j++) {
			size_t k;
			for (k = 0; k < ci->diffs[j].len; k++) {
				walk_path *p = ci->diffs[j].items[k];
				if (!p->touched) {
					p->touched = 1;
					pv_push(&touched, p);
				}
			}
		}
	}
	for (i = 0; norder && i < touched.len; i++)
		add_pending(&ws, tip, touched.items[i]);
	/*
	 * The old answers stay valid for untouched paths; those of touched
	 * paths seed the walks that leave the new commits at old_tip.
	 */
	if (incremental) {
		for (i = 0; i < touched.len; i++) {
			const char *path = touched.items[i]->s;
			mech_writer w;
			if (lookup(lw, path, &w) < 0) {
				rc = 1; /* a damaged block: rebuild */
				goto done;
			}
			pm_set(&old, path, &w);
			/* "no writer" until resolved, also over the snapshot's answer */
			pm_set(&lw->map, path, &NO_WRITER);
		}
	}
	for (i = 0; i < norder; i++) {
		commit_info *ci = cm_find(&ws.cm, &order[i], 0);
		if (ci->pending &&
		    resolve_commit(lw, &ws, ci, incremental ? &old_tip : NULL, &old) < 0)
			goto done;
	}
	lw->tip = *tip;
	save_file(lw, incremental ? &old_tip : NULL, &old);
	rc = 0;
done:
	reader_free(&r);
	if (uncached)
		git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 1);
	free(touched.items);
	free(order);
	pm_clear(&old);
	ws_dispose(&ws);
	git_revwalk_free(walk);
	return rc;
}

/* Is `tip` one commit on top of `base`, its only parent? */
static int one_commit_on(git_repository *repo, const git_oid *tip, const git_oid *base)
{
	git_commit *c;
	int yes;
	if (git_commit_lookup(&c, repo, tip) < 0) {
		git_error_clear();
		return 0;
	}
	yes = git_commit_parentcount(c) == 1 && git_oid_equal(git_commit_parent_id(c, 0), base);
	git_commit_free(c);
	return yes;
}

int mech_lastwriter_record(mech_lastwriter *lw, const git_oid *parent, const git_oid *commit,
			   mech_class cls, const char *const *paths, size_t n)
{
	path_map changed = {0};
	mech_writer w;
	size_t i;

	if (git_oid_is_zero(&lw->tip) || !git_oid_equal(&lw->tip, parent) || lw->convert)
		return 0;
	/* what update_walk's one-commit case leaves: each changed file written by the commit */
	w.commit = *commit;
	w.cls = cls;
	for (i = 0; i < n; i++) {
		pm_set(&lw->map, paths[i], &w);
		pm_set(&changed, paths[i], &w);
	}
	lw->tip = *commit;
	lw->read_to = 0; /* what is in memory is no longer only what was read */
	save_file(lw, parent, &changed);
	pm_clear(&changed);
	return 0;
}

int mech_lastwriter_update(mech_lastwriter *lw, const git_oid *tip)
{
	int incremental = 0, rc;
	lw->walked = 0;
	lw->rebuilt = 0;
	if (git_oid_equal(&lw->tip, tip)) {
		if (lw->convert && save_snapshot(lw) < 0) /* a format-3 file, read once */
			mech_error_clear();
		return 0;
	}
	if (git_oid_is_zero(&lw->tip))
		; /* nothing to start from: rebuild */
	else if (one_commit_on(lw->repo, tip, &lw->tip))
		incremental = ONE_COMMIT;
	else
		incremental = git_graph_descendant_of(lw->repo, tip, &lw->tip) == 1;
	rc = update_walk(lw, tip, incremental);
	if (rc == 1)
		rc = update_walk(lw, tip, 0);
	return rc;
}

int mech_lastwriter_get(mech_lastwriter *lw, const char *path, mech_writer *out)
{
	git_oid tip = lw->tip;
	if (lookup(lw, path, out) >= 0)
		return 0;
	/* a damaged block: rebuilt from Git at the same tip, as a damaged file is */
	if (update_walk(lw, &tip, 0) == 0 && lookup(lw, path, out) >= 0)
		return 0;
	/* not even that: this one answer from Git, never a guess */
	memset(out, 0, sizeof(*out));
	if (mech_lastwriter_walk(lw->repo, &tip, path, &out->commit) < 0)
		return -1;
	if (!git_oid_is_zero(&out->commit) && classify(lw, &out->commit, &out->cls) < 0)
		return -1;
	return 0;
}
