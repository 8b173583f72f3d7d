/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A write's objects as one pack; see mech/objstore.h for why.
 *
 * Staging: a backend is added to the repository's object database above
 * the loose and pack backends, so libgit2 writes new objects there (objects
 * already on disk are found first and not written again). It keeps them in
 * libgit2's mempack backend and remembers their ids; the flush packs exactly
 * those (git_mempack_dump would pack every tree and blob the commits reach,
 * the whole repository) and the pack builder's indexer moves pack and index
 * into objects/pack. The branch moves only after that, so no ref ever names
 * an object that is only in memory.
 *
 * Before writing an object libgit2 checks that no backend has it, and on a
 * miss rescans objects/pack (a directory listing and a multi-pack-index
 * probe): for a write's dozen new objects, most of its system calls. While
 * a commit is built that rescan cannot matter: every object read then is
 * the base tree's, found before the build started, or a new one, staged
 * here; an object a concurrent push put in a pack not yet listed is merely
 * written again. So the writer's database wraps the pack backend and skips
 * rescans between mech_objstore_begin() and the flush.
 *
 * Compaction keeps the number of packs small, the way `git repack
 * --geometric=2` does: once there are MECH_PACK_LIMIT packs, the small ones
 * are merged so that the object counts left form a geometric progression. An object
 * is rewritten a logarithmic number of times over its life, and the big
 * pack of a long history is left alone. The merge runs after the command
 * has answered (mech/maint.h), without the tenant lock: the new
 * pack is complete before the old ones are removed, and only their removal
 * waits for the lock, so no write loses a pack it listed. libgit2 and git
 * both skip a listed pack that has gone, finding its objects in the merged
 * one.
 */
#include "mech/objstore.h"
#include "mech/buf.h"
#include "mech/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>
#include <nettle/sha1.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* A mempack that remembers what was written to it. */
typedef struct {
	git_odb_backend parent;
	git_odb_backend *mem;
	git_oid *ids;
	size_t n;
} staging;

/* git_repository_path() ends in '/' */
static char *objects_dir(git_repository *repo, const char *sub)
{
	return mech_sprintf("%sobjects%s", git_repository_path(repo), sub);
}

/* The pack backend, with its rescans paused while a commit is built. */
typedef struct {
	git_odb_backend parent;
	git_odb_backend *inner;
	int paused;
} gated;

struct mech_objstore {
	git_repository *repo;
	int durable; /* flush the pack to disk (gitops.fsync) */
	git_odb *odb;
	staging *st;  /* owned by odb */
	gated *packs; /* owned by odb; NULL when the default database is kept */
};

#define INNER(b) (((gated *)(b))->inner)

static int g_read(void **data, size_t *len, git_object_t *type, git_odb_backend *b,
		  const git_oid *id)
{
	return INNER(b)->read(data, len, type, INNER(b), id);
}

static int g_read_prefix(git_oid *out, void **data, size_t *len, git_object_t *type,
			 git_odb_backend *b, const git_oid *id, size_t n)
{
	return INNER(b)->read_prefix(out, data, len, type, INNER(b), id, n);
}

static int g_read_header(size_t *len, git_object_t *type, git_odb_backend *b, const git_oid *id)
{
	return INNER(b)->read_header(len, type, INNER(b), id);
}

static int g_exists(git_odb_backend *b, const git_oid *id)
{
	return INNER(b)->exists(INNER(b), id);
}

static int g_exists_prefix(git_oid *out, git_odb_backend *b, const git_oid *id, size_t n)
{
	return INNER(b)->exists_prefix(out, INNER(b), id, n);
}

static int g_refresh(git_odb_backend *b)
{
	return ((gated *)b)->paused ? 0 : INNER(b)->refresh(INNER(b));
}

static int g_foreach(git_odb_backend *b, git_odb_foreach_cb cb, void *payload)
{
	return INNER(b)->foreach(INNER(b), cb, payload);
}

static int g_writepack(git_odb_writepack **out, git_odb_backend *b, git_odb *odb,
		       git_indexer_progress_cb cb, void *payload)
{
	return INNER(b)->writepack(out, INNER(b), odb, cb, payload);
}

static int g_freshen(git_odb_backend *b, const git_oid *id)
{
	return INNER(b)->freshen(INNER(b), id);
}

static void g_free(git_odb_backend *b)
{
	INNER(b)->free(INNER(b));
	free(b);
}

static gated *gate(git_odb_backend *inner)
{
	gated *g = mech_calloc(1, sizeof(*g));
	git_odb_init_backend(&g->parent, GIT_ODB_BACKEND_VERSION);
	g->inner = inner;
	g->parent.read = inner->read ? g_read : NULL;
	g->parent.read_prefix = inner->read_prefix ? g_read_prefix : NULL;
	g->parent.read_header = inner->read_header ? g_read_header : NULL;
	g->parent.exists = inner->exists ? g_exists : NULL;
	g->parent.exists_prefix = inner->exists_prefix ? g_exists_prefix : NULL;
	g->parent.refresh = inner->refresh ? g_refresh : NULL;
	g->parent.foreach = inner->foreach ? g_foreach : NULL;
	g->parent.writepack = inner->writepack ? g_writepack : NULL;
	g->parent.freshen = inner->freshen ? g_freshen : NULL;
	g->parent.free = g_free;
	return g;
}

/*
 * The database libgit2 would open (loose objects at priority 1, packs at 2),
 * with the pack backend gated. A repository with alternates keeps libgit2's
 * own database (0).
 */
static int writer_odb(git_repository *repo, git_odb **out, gated **packs)
{
	char *objects = objects_dir(repo, "");
	char *alternates = mech_sprintf("%s/info/alternates", objects);
	git_odb_backend *loose = NULL, *pack = NULL;
	git_odb *odb = NULL;
	int rc = 0;

	*packs = NULL;
	if (access(alternates, F_OK) == 0)
		goto done;
	if (git_odb_new(&odb) < 0 || git_odb_backend_loose(&loose, objects, -1, 0, 0, 0) < 0) {
		rc = -1;
		goto done;
	}
	if (git_odb_add_backend(odb, loose, 1) < 0) {
		loose->free(loose);
		rc = -1;
		goto done;
	}
	if (git_odb_backend_pack(&pack, objects) < 0) {
		rc = -1;
		goto done;
	}
	*packs = gate(pack);
	if (git_odb_add_backend(odb, &(*packs)->parent, 2) < 0) {
		g_free(&(*packs)->parent);
		*packs = NULL;
		rc = -1;
		goto done;
	}
	git_repository_set_odb(repo, odb);
	*out = odb;
	odb = NULL;
	rc = 1;
done:
	git_odb_free(odb);
	free(objects);
	free(alternates);
	return rc;
}

/* above the loose (1) and pack (2) backends: new objects are written here */
#define STAGING_PRIORITY 1000

/*
 * libgit2's mempack hands an object back without the NUL after its bytes
 * that the loose and pack backends add, and some readers rely on it
 * (libgit2 1.5's git_commit_extract_signature scans a commit's lines with
 * strchr, and read past the end a staged commit whose signature is checked
 * before it reaches its pack): the bytes are copied into a buffer with it.
 */
static int st_read(void **data, size_t *len, git_object_t *type, git_odb_backend *b,
		   const git_oid *id)
{
	git_odb_backend *mem = ((staging *)b)->mem;
	void *raw = NULL;
	char *out;
	int rc = mem->read(&raw, len, type, mem, id);
	if (rc < 0)
		return rc;
	out = git_odb_backend_data_alloc(b, *len + 1);
	if (out) {
		memcpy(out, raw, *len);
		out[*len] = '\0';
	}
	git_odb_backend_data_free(mem, raw);
	if (!out)
		return -1;
	*data = out;
	return 0;
}

static int st_read_header(size_t *len, git_object_t *type, git_odb_backend *b, const git_oid *id)
{
	git_odb_backend *mem = ((staging *)b)->mem;
	return mem->read_header(len, type, mem, id);
}

static int st_exists(git_odb_backend *b, const git_oid *id)
{
	git_odb_backend *mem = ((staging *)b)->mem;
	return mem->exists(mem, id);
}

static int st_write(git_odb_backend *b, const git_oid *id, const void *data, size_t len,
		    git_object_t type)
{
	staging *st = (staging *)b;
	int rc = st->mem->write(st->mem, id, data, len, type);
	if (rc == 0) {
		if ((st->n & (st->n - 1)) == 0)
			st->ids = mech_reallocarray(st->ids,
						    mech_grow_cap(st->n, st->n + 1, 16,
								  sizeof(*st->ids)),
						    sizeof(*st->ids));
		st->ids[st->n++] = *id;
	}
	return rc;
}

static void st_free(git_odb_backend *b)
{
	staging *st = (staging *)b;
	st->mem->free(st->mem);
	free(st->ids);
	free(st);
}

int mech_objstore_stage(mech_objstore **out, git_repository *repo, int durable)
{
	mech_objstore *s = mech_calloc(1, sizeof(*s));
	staging *st = mech_calloc(1, sizeof(*st));
	int own;

	s->repo = repo;
	s->durable = durable;
	git_odb_init_backend(&st->parent, GIT_ODB_BACKEND_VERSION);
	st->parent.read = st_read;
	st->parent.read_header = st_read_header;
	st->parent.exists = st_exists;
	st->parent.write = st_write;
	st->parent.free = st_free;
	if (git_mempack_new(&st->mem) < 0) {
		free(st);
		mech_objstore_free(s);
		return mech_error_git(MECH_EFAILED, "cannot stage objects in memory");
	}
	own = writer_odb(repo, &s->odb, &s->packs);
	if (own < 0 || (!own && git_repository_odb(&s->odb, repo) < 0) ||
	    git_odb_add_backend(s->odb, &st->parent, STAGING_PRIORITY) < 0) {
		st_free(&st->parent);
		mech_objstore_free(s);
		return mech_error_git(MECH_EFAILED, "cannot open the object database");
	}
	s->st = st;
	*out = s;
	return 0;
}

void mech_objstore_begin(mech_objstore *s)
{
	if (s->packs)
		s->packs->paused = 1;
}

static void st_reset(mech_objstore *s)
{
	git_mempack_reset(s->st->mem);
	s->st->n = 0;
	if (s->packs)
		s->packs->paused = 0;
}

/* ---- a write's pack ---- */

/*
 * A write's pack is written here, not by libgit2's pack builder: the
 * builder hands its pack to the indexer, which inflates and hashes every
 * object again to make the index, and deflates at zlib's default level.
 * Here each object is read from memory once, deflated once at
 * MECH_PACK_WRITE_LEVEL (the merges, libgit2's builder, deflate it again at
 * the default level), and the index is made from what was just written.
 * The object ids are the ones libgit2 computed when the objects were
 * staged; the pack's and the index's trailing sums (gitformat-pack) are
 * checksums of the files, plain SHA-1 as git's own "unsafe" file hashing.
 * Temporaries are objects/pack/pack_mech_<random>_pack and _idx
 * (mech_objstore_sweep removes those a killed write left); both are
 * flushed, take their names, and the directory is flushed, before the ref
 * that names the commit moves.
 */
#define TEMP_PREFIX "pack_mech_"

typedef struct {
	git_oid id;
	size_t offset;
	uint32_t crc;
} pack_entry;

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static int by_id(const void *a, const void *b)
{
	return git_oid_cmp(&((const pack_entry *)a)->id, &((const pack_entry *)b)->id);
}

/* the object's entry: type and size header, then its bytes deflated by `z`
 * (one stream for the whole pack, reset per object: zlib allocates and clears
 * some 256 KiB for each new stream, a write's dozen objects included) */
static int pack_object(mech_buf *pack, git_odb_object *o, z_stream *z)
{
	const unsigned char *data = git_odb_object_data(o);
	size_t size = git_odb_object_size(o), bound;
	unsigned char hdr[16];
	size_t h = 0, left = size;
	int rc;

	hdr[h] = (unsigned char)((git_odb_object_type(o) & 7) << 4 | (left & 15));
	for (left >>= 4; left; left >>= 7) {
		hdr[h++] |= 0x80;
		hdr[h] = (unsigned char)(left & 127);
	}
	if (mech_buf_put(pack, hdr, h + 1) < 0 || deflateReset(z) != Z_OK)
		return -1;
	bound = deflateBound(z, (uLong)size);
	if (size > UINT32_MAX || mech_buf_grow(pack, bound) < 0)
		return -1;
	z->next_in = (Bytef *)(uintptr_t)data;
	z->avail_in = (uInt)size;
	z->next_out = (Bytef *)pack->ptr + pack->len;
	z->avail_out = (uInt)bound;
	rc = deflate(z, Z_FINISH);
	if (rc == Z_STREAM_END)
		pack->len += z->total_out;
	return rc == Z_STREAM_END ? 0 : -1;
}

/* write `data` to a new temporary file in `dir` (pack_mech_<random><kind>), left open
 * in *fd for the caller to flush and close; its path, or NULL */
static char *write_temp(const char *dir, const char *kind, const void *data, size_t len, int *fd)
{
	char *path = mech_sprintf("%s/" TEMP_PREFIX "XXXXXX%s", dir, kind);
	*fd = mkostemps(path, (int)strlen(kind), O_CLOEXEC);
	if (*fd < 0) {
		free(path);
		return NULL;
	}
	if (fchmod(*fd, 0444) < 0 || mech_write_all(*fd, data, len) < 0) {
		close(*fd);
		*fd = -1;
		unlink(path);
		free(path);
		return NULL;
	}
	return path;
}

/* mech_pack_write, flushing the files `also` (mech_objstore_flush_with) with the pack */
static int pack_write(git_odb *odb, const git_oid *ids, size_t n, const char *dir, int level,
		      int durable, const int *also, size_t nalso)
{
	int fds[MECH_FSYNC_MAX] = {-1, -1};
	pack_entry *e = mech_calloc(n ? n : 1, sizeof(*e));
	mech_buf pack = MECH_BUF_INIT, idx = MECH_BUF_INIT;
	unsigned char sum[SHA1_DIGEST_SIZE], word[4];
	char hex[GIT_OID_HEXSZ + 1];
	char *tpack = NULL, *tidx = NULL, *fpack = NULL, *fidx = NULL;
	struct sha1_ctx h;
	uint32_t fan[256] = {0};
	z_stream z;
	size_t i, m;
	int rc = -1, zinit = 0;

	/* each object once, in id order (the index's order) */
	for (i = 0; i < n; i++)
		e[i].id = ids[i];
	qsort(e, n, sizeof(*e), by_id);
	for (i = m = 0; i < n; i++)
		if (!m || !git_oid_equal(&e[m - 1].id, &e[i].id))
			e[m++] = e[i];
	/* gitformat-pack: "PACK", version 2, the number of objects, the objects, their SHA-1 */
	memset(&z, 0, sizeof(z));
	if (deflateInit(&z, level) != Z_OK)
		goto fail;
	zinit = 1;
	mech_buf_put(&pack, "PACK\0\0\0\2", 8);
	put_be32(word, (uint32_t)m);
	mech_buf_put(&pack, word, 4);
	for (i = 0; i < m; i++) {
		git_odb_object *o = NULL;
		size_t at = pack.len;
		if (git_odb_read(&o, odb, &e[i].id) < 0) {
			mech_error_git(MECH_EFAILED, "cannot read a new object");
			goto done;
		}
		e[i].offset = at;
		rc = pack_object(&pack, o, &z);
		git_odb_object_free(o);
		if (rc < 0 || pack.len > 0x7fffffff)
			goto fail;
		rc = -1;
		e[i].crc = (uint32_t)crc32(crc32(0, NULL, 0), (const Bytef *)pack.ptr + at,
					   (uInt)(pack.len - at));
	}
	sha1_init(&h);
	sha1_update(&h, pack.len, (const uint8_t *)pack.ptr);
	sha1_digest(&h, sizeof(sum), sum);
	mech_buf_put(&pack, sum, sizeof(sum));

	/* its version 2 index: fan-out, sorted ids, CRC-32s, offsets, the pack's sum, its own */
	for (i = 0; i < m; i++)
		fan[e[i].id.id[0]]++;
	mech_buf_put(&idx, "\377tOc\0\0\0\2", 8);
	for (i = 1; i < 256; i++)
		fan[i] += fan[i - 1];
	for (i = 0; i < 256; i++) {
		put_be32(word, fan[i]);
		mech_buf_put(&idx, word, 4);
	}
	for (i = 0; i < m; i++)
		mech_buf_put(&idx, e[i].id.id, GIT_OID_RAWSZ);
	for (i = 0; i < m; i++) {
		put_be32(word, e[i].crc);
		mech_buf_put(&idx, word, 4);
	}
	for (i = 0; i < m; i++) {
		put_be32(word, (uint32_t)e[i].offset);
		mech_buf_put(&idx, word, 4);
	}
	mech_buf_put(&idx, sum, sizeof(sum));
	sha1_init(&h);
	sha1_update(&h, idx.len, (const uint8_t *)idx.ptr);
	sha1_digest(&h, sizeof(sum), sum);
	if (mech_buf_put(&idx, sum, sizeof(sum)) < 0)
		goto fail;

	/*
	 * Both flushed (at once, with the files `also`: mech_fsync_all); then
	 * the index takes its name, then the pack (libgit2's order: an index
	 * without its pack is skipped by readers and removed by
	 * mech_objstore_sweep), then the directory is flushed.
	 */
	git_oid_fmt(hex, (const git_oid *)(const void *)(pack.ptr + pack.len - GIT_OID_RAWSZ));
	hex[GIT_OID_HEXSZ] = '\0';
	fpack = mech_sprintf("%s/pack-%s.pack", dir, hex);
	fidx = mech_sprintf("%s/pack-%s.idx", dir, hex);
	if (!(tpack = write_temp(dir, "_pack", pack.ptr, pack.len, &fds[0])) ||
	    !(tidx = write_temp(dir, "_idx", idx.ptr, idx.len, &fds[1])))
		goto fail;
	if (nalso)
		memcpy(fds + 2, also, nalso * sizeof(*also));
	if (durable && mech_fsync_all(fds, 2 + nalso) < 0)
		goto fail;
	if (close(fds[0]) < 0 || close(fds[1]) < 0) {
		fds[0] = fds[1] = -1;
		goto fail;
	}
	fds[0] = fds[1] = -1;
	if (rename(tidx, fidx) < 0)
		goto fail;
	free(tidx);
	tidx = NULL;
	if (rename(tpack, fpack) < 0) {
		int err = errno;
		unlink(fidx);
		errno = err;
		goto fail;
	}
	free(tpack);
	tpack = NULL;
	if (durable) {
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || fsync(fd) < 0) {
			if (fd >= 0)
				close(fd);
			goto fail;
		}
		close(fd);
	}
	rc = 0;
	goto done;
fail:
	git_error_clear();
	mech_error_set(MECH_EFAILED, "cannot write the new objects to %s: %s", dir,
		       errno ? strerror(errno) : "out of memory");
done:
	if (zinit)
		deflateEnd(&z);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	if (tpack)
		unlink(tpack);
	if (tidx)
		unlink(tidx);
	free(tpack);
	free(tidx);
	free(fpack);
	free(fidx);
	free(e);
	mech_buf_dispose(&pack);
	mech_buf_dispose(&idx);
	return rc;
}

int mech_pack_write(git_odb *odb, const git_oid *ids, size_t n, const char *dir, int level,
		    int durable)
{
	return pack_write(odb, ids, n, dir, level, durable, NULL, 0);
}

int mech_objstore_flush(mech_objstore *s)
{
	return mech_objstore_flush_with(s, NULL, 0);
}

int mech_objstore_flush_with(mech_objstore *s, const int *also, size_t nalso)
{
	char *dir;
	int rc;

	if (nalso > MECH_FSYNC_MAX - 2) {
		errno = EINVAL;
		return mech_error_set(MECH_EFAILED, "cannot flush %zu files with a pack", nalso);
	}
	if (!s->st->n) {
		st_reset(s);
		if (s->durable && nalso && mech_fsync_all(also, nalso) < 0)
			return mech_error_set(MECH_EFAILED, "cannot flush to disk: %s",
					      strerror(errno));
		return 0;
	}
	dir = objects_dir(s->repo, "/pack");
	errno = 0;
	rc = pack_write(s->odb, s->st->ids, s->st->n, dir, MECH_PACK_WRITE_LEVEL, s->durable, also,
			nalso);
	free(dir);
	st_reset(s);
	return rc;
}

void mech_objstore_discard(mech_objstore *s)
{
	if (s)
		st_reset(s);
}

void mech_objstore_free(mech_objstore *s)
{
	if (!s)
		return;
	git_odb_free(s->odb);
	free(s);
}

/* ---- compaction ---- */

typedef struct {
	char *base; /* .../objects/pack/pack-<sha> */
	uint32_t objects;
} pack_file;

static int by_objects(const void *a, const void *b)
{
	uint32_t x = ((const pack_file *)a)->objects, y = ((const pack_file *)b)->objects;
	return x < y ? -1 : x > y;
}

static int has_file(const char *base, const char *ext)
{
	char *p = mech_sprintf("%s%s", base, ext);
	int yes = access(p, F_OK) == 0;
	free(p);
	return yes;
}

/*
 * How many objects a pack holds: the last entry of its index's fan-out
 * table (gitformat-pack: a version 2 index starts with "\377tOc" and the
 * version, a version 1 index with the table). 0 when unreadable.
 */
static uint32_t pack_objects(const char *base)
{
	char *idx = mech_sprintf("%s.idx", base);
	unsigned char head[8], last[4];
	int fd = open(idx, O_RDONLY | O_CLOEXEC);
	off_t at = 255 * 4;
	uint32_t n = 0;

	free(idx);
	if (fd < 0)
		return 0;
	if (pread(fd, head, sizeof(head), 0) == (ssize_t)sizeof(head) &&
	    !memcmp(head, "\377tOc\0\0\0\2", 8))
		at += 8;
	if (pread(fd, last, sizeof(last), at) == (ssize_t)sizeof(last))
		n = (uint32_t)last[0] << 24 | (uint32_t)last[1] << 16 | (uint32_t)last[2] << 8 |
		    last[3];
	close(fd);
	return n;
}

/* The packs in `dir`, as .../pack-<sha> (without .pack); only the directory is read. */
static void pack_names(const char *dir, mech_strv *out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t len;

	while (d && (e = readdir(d))) {
		len = strlen(e->d_name);
		if (len > 10 && !strncmp(e->d_name, "pack-", 5) &&
		    !strcmp(e->d_name + len - 5, ".pack"))
			mech_strv_pushf(out, "%s/%.*s", dir, (int)(len - 5), e->d_name);
	}
	if (d)
		closedir(d);
}

/*
 * Packs with an index and no .keep, fewest objects first; none while there
 * are fewer than MECH_PACK_LIMIT of any kind.
 */
static size_t list_packs(const char *dir, pack_file **out)
{
	mech_strv names = MECH_STRV_INIT;
	pack_file *v = NULL;
	size_t n = 0, i;

	pack_names(dir, &names);
	for (i = 0; names.len >= MECH_PACK_LIMIT && i < names.len; i++) {
		uint32_t objects = pack_objects(names.items[i]);
		if (objects && has_file(names.items[i], ".pack") &&
		    !has_file(names.items[i], ".keep")) {
			v = mech_reallocarray(v, n + 1, sizeof(*v));
			v[n].base = mech_strdup(names.items[i]);
			v[n++].objects = objects;
		}
	}
	mech_strv_dispose(&names);
	if (n)
		qsort(v, n, sizeof(*v), by_objects);
	*out = v;
	return n;
}

static int insert_object(const git_oid *id, void *payload)
{
	return git_packbuilder_insert(payload, id, NULL);
}

/* The index last: a removal cut short leaves an index without its pack, which
 * readers skip and mech_objstore_sweep() recognises, not a pack nothing names. */
static void remove_pack(const char *base)
{
	static const char *const exts[] = {".pack", ".rev", ".bitmap", ".idx"};
	size_t i;
	for (i = 0; i < sizeof(exts) / sizeof(*exts); i++) {
		char *p = mech_sprintf("%s%s", base, exts[i]);
		unlink(p);
		free(p);
	}
}

int mech_objstore_compaction_due(const char *gitdir)
{
	char *dir = mech_sprintf("%s/objects/pack", gitdir);
	mech_strv names = MECH_STRV_INIT;
	int due;

	pack_names(dir, &names);
	due = names.len >= MECH_PACK_LIMIT;
	mech_strv_dispose(&names);
	free(dir);
	return due;
}

int mech_objstore_forget_gone(git_repository *repo, mech_strv *seen)
{
	char *dir = objects_dir(repo, "/pack"), *objects;
	mech_strv now = MECH_STRV_INIT;
	git_odb *odb = NULL;
	size_t i, j;
	int gone = 0, rc = 0;

	pack_names(dir, &now);
	for (i = 0; i < seen->len && !gone; i++) {
		for (j = 0; j < now.len && strcmp(seen->items[i], now.items[j]); j++)
			;
		gone = j == now.len;
	}
	if (gone) {
		objects = objects_dir(repo, "");
		rc = git_odb_open(&odb, objects) < 0 || git_repository_set_odb(repo, odb) < 0
			     ? mech_error_git(MECH_EFAILED, "cannot open the object database again")
			     : 1;
		git_odb_free(odb); /* the repository holds it */
		free(objects);
	}
	mech_strv_dispose(seen);
	*seen = now;
	free(dir);
	return rc;
}

struct mech_pack_merge {
	pack_file *packs; /* the merged ones */
	size_t n;
	char *name; /* of the merged pack */
};

static void merge_free(pack_file *packs, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
		free(packs[i].base);
	free(packs);
}

int mech_objstore_merge(git_repository *repo, mech_pack_merge **out)
{
	char *dir = objects_dir(repo, "/pack");
	pack_file *packs = NULL;
	git_packbuilder *pb = NULL;
	size_t n = list_packs(dir, &packs), merge, i;
	uint64_t others = 0;
	const char *name;
	int rc = 0;

	*out = NULL;
	if (n < MECH_PACK_LIMIT)
		goto done;
	/*
	 * Counted in objects, as git does (by bytes, the deltified pack of a
	 * long history looks small next to a few undeltified new ones, and
	 * every merge would take it in: quadratic). Sorted, the packs that stay
	 * must each hold at least twice the next smaller one; below the first
	 * break, everything is merged, and the merged pack takes in larger ones
	 * it would break the rule with.
	 */
	for (merge = n - 1;
	     merge > 0 && packs[merge].objects >= 2 * (uint64_t)packs[merge - 1].objects; merge--)
		;
	merge = merge ? merge + 1 : 0;
	for (i = 0; i < merge; i++)
		others += packs[i].objects;
	while (merge < n && packs[merge].objects < 2 * others)
		others += packs[merge++].objects;
	/* a perfect progression that is still too long: merge its small half */
	if (merge < 2)
		merge = MECH_PACK_LIMIT / 2;
	if (git_packbuilder_new(&pb, repo) < 0)
		goto fail;
	for (i = 0; i < merge; i++) {
		git_odb_backend *one = NULL;
		char *idx = mech_sprintf("%s.idx", packs[i].base);
		int err = git_odb_backend_one_pack(&one, idx);
		free(idx);
		if (err == 0)
			err = one->foreach(one, insert_object, pb);
		if (one)
			one->free(one);
		if (err < 0)
			goto fail;
	}
	if (git_packbuilder_write(pb, dir, 0, NULL, NULL) < 0 || !(name = git_packbuilder_name(pb)))
		goto fail;
	*out = mech_calloc(1, sizeof(**out));
	(*out)->name = mech_strdup(name);
	(*out)->n = merge;
	(*out)->packs = packs;
	for (i = merge; i < n; i++)
		free(packs[i].base);
	packs = NULL;
	n = 0;
	goto done;
fail:
	rc = mech_error_git(MECH_EFAILED, "cannot merge the packs");
done:
	git_packbuilder_free(pb);
	merge_free(packs, n);
	free(dir);
	return rc;
}

void mech_objstore_merge_finish(mech_pack_merge *m)
{
	size_t i;
	for (i = 0; m && i < m->n; i++) {
		const char *slash = strrchr(m->packs[i].base, '/');
		/* the merged pack is named by its content: never remove it */
		if (strcmp(slash + strlen("/pack-"), m->name))
			remove_pack(m->packs[i].base);
	}
	mech_objstore_merge_abandon(m);
}

void mech_objstore_merge_abandon(mech_pack_merge *m)
{
	if (!m)
		return;
	merge_free(m->packs, m->n);
	free(m->name);
	free(m);
}

/* ---- what killed writers leave ---- */

/*
 * The temporaries libgit2 names for itself (a pack as
 * objects/pack/pack_git2_<random>, its index as pack_git2_<…>idx.lock, a
 * write's pack and index as objects/pack/pack_mech_<random>_pack, _idx
 * (above), a
 * loose object as objects/tmp_object_git2_<random>), and an index whose
 * pack a cut-short removal took. git's own temporaries (tmp_pack_*,
 * tmp_idx_*) are git's to clean.
 */
static const struct {
	const char *dir; /* under objects/ */
	const char *prefix;
	const char *suffix; /* "" for any */
	int orphan_index;   /* only when the pack is gone */
} leftovers[] = {
	{"/pack", "pack_git2_", "", 0},
	{"/pack", "pack_mech_", "", 0},
	{"/pack", "pack-", ".idx", 1},
	{"", "tmp_object_git2_", "", 0},
};

static int is_leftover(size_t k, const char *dir, const char *name)
{
	size_t len = strlen(name), plen = strlen(leftovers[k].prefix),
	       slen = strlen(leftovers[k].suffix);
	char *pack;
	int gone;
	if (len <= plen + slen || strncmp(name, leftovers[k].prefix, plen) ||
	    strcmp(name + len - slen, leftovers[k].suffix))
		return 0;
	if (!leftovers[k].orphan_index)
		return 1;
	pack = mech_sprintf("%s/%.*s.pack", dir, (int)(len - slen), name);
	gone = access(pack, F_OK) < 0;
	free(pack);
	return gone;
}

size_t mech_objstore_sweep(const char *gitdir, time_t before)
{
	size_t k, removed = 0;
	for (k = 0; k < sizeof(leftovers) / sizeof(*leftovers); k++) {
		char *dir = mech_sprintf("%s/objects%s", gitdir, leftovers[k].dir);
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			char *path;
			struct stat st;
			if (!is_leftover(k, dir, e->d_name))
				continue;
			path = mech_sprintf("%s/%s", dir, e->d_name);
			/* a file being written has a recent mtime: only old ones are gone for good */
			if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime < before &&
			    unlink(path) == 0)
				removed++;
			free(path);
		}
		if (d)
			closedir(d);
		free(dir);
	}
	return removed;
}
