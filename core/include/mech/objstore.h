/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_OBJSTORE_H
#define MECH_OBJSTORE_H

#include "mech/buf.h"

#include <git2.h>
#include <time.h>

/*
 * How a write's objects reach the disk. A verb writes about a dozen objects
 * (blobs, the trees above them, the commit); as loose objects that is a
 * dozen temporary files, links and directory entries, most of a write's
 * cost. Instead they are staged in memory (libgit2's mempack backend) and
 * written as one pack just before the branch moves; small packs are merged
 * once there are many of them, so readers never search more than a few.
 */
typedef struct mech_objstore mech_objstore;

/**
 * Route new objects of `repo` to memory until mech_objstore_flush(), which
 * flushes the pack to disk when `durable` (gitops.fsync).
 */
int mech_objstore_stage(mech_objstore **out, git_repository *repo, int durable);
/** A commit is about to be built: its objects are staged from here on. */
void mech_objstore_begin(mech_objstore *s);
/** Write what was staged as one pack in objects/pack (nothing staged: no pack). */
int mech_objstore_flush(mech_objstore *s);
/**
 * The same, and when the store is durable the open files `also` (at most
 * MECH_FSYNC_MAX - 2: the ref's new value, say) are flushed at once with the
 * pack and its index, before either takes its name (mech_fsync_all); with
 * nothing staged, only they are.
 */
int mech_objstore_flush_with(mech_objstore *s, const int *also, size_t nalso);
/**
 * Write the objects `ids` (read from `odb`; a repeated id is written once)
 * as one pack and its version 2 index in the directory `dir`
 * (objects/pack), deflated at zlib `level`, flushed with the directory when
 * `durable`. 0, or -1 and the last error, with no pack left. The pack
 * writer of mech_objstore_flush(), and bench/floor.c's.
 */
int mech_pack_write(git_odb *odb, const git_oid *ids, size_t n, const char *dir, int level,
		    int durable);
/*
 * The zlib level of a write's pack: 0, stored. A write's pack holds a
 * dozen objects and lives until the next merge, which deflates them again
 * at the default level; a tree is mostly object ids, which level 1 shrinks
 * by a quarter only (1,000 apps: 37 kB stored, 27 kB at level 1) for 0.7
 * ms of a write's CPU, and the next write and the merge read it back
 * without inflating (bench/RESULTS.md, issue 19).
 */
#define MECH_PACK_WRITE_LEVEL 0
/** Drop what was staged without writing it (a failed attempt). */
void mech_objstore_discard(mech_objstore *s);
/*
 * Merging, in two steps so that the slow one needs no lock: the merged
 * pack is written beside the small ones (readers find every object in
 * either), then the small ones are removed under the tenant lock, so no
 * write ever has a pack it listed vanish while it builds its commit.
 */
typedef struct mech_pack_merge mech_pack_merge;

/**
 * libgit2 keeps every pack it opened mapped, and so on disk, until the
 * object database is freed, and its rescans only add packs: a process that
 * stays (the console, the sim) would hold every pack a merge removed, one
 * more each write. `seen` holds the pack names the last call found (empty
 * at first); when one of them is gone, `repo` gets a new object database
 * and the old one goes with its maps. Reads only the pack directory.
 * 1 when the database was replaced, 0 when nothing was gone, -1 on error.
 */
int mech_objstore_forget_gone(git_repository *repo, mech_strv *seen);

/** Are there MECH_PACK_LIMIT packs or more? Reads only the pack directory. */
int mech_objstore_compaction_due(const char *gitdir);
/**
 * Write the small packs of `repo` merged as one pack; *out is NULL when
 * there is nothing to merge. The small packs are left in place.
 */
int mech_objstore_merge(git_repository *repo, mech_pack_merge **out);
/** Remove the packs a merge replaced (call under the tenant lock); frees `m`. */
void mech_objstore_merge_finish(mech_pack_merge *m);
/** Free `m` and keep every pack: the objects are then in two packs, which is harmless. */
void mech_objstore_merge_abandon(mech_pack_merge *m);
void mech_objstore_free(mech_objstore *s);
/**
 * Remove what killed pack writes and merges left in the repository at
 * `gitdir`: libgit2's temporary pack, index and object files, and indexes
 * whose pack is gone; only those last modified before `before`, so that a
 * file a live writer is still writing stays. Returns how many were removed.
 */
size_t mech_objstore_sweep(const char *gitdir, time_t before);

#define MECH_PACK_LIMIT 16

#endif
