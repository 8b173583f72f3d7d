#ifndef MECH_OBJSTORE_H
#define MECH_OBJSTORE_H

#include <git2.h>

/*
 * How a write's objects reach the disk. A verb writes about a dozen objects
 * (blobs, the trees above them, the commit); as loose objects that is a
 * dozen temporary files, links and directory entries, most of a write's
 * cost. Instead they are staged in memory (libgit2's mempack backend) and
 * written as one pack just before the branch moves; small packs are merged
 * once there are many of them, so readers never search more than a few.
 */
typedef struct mech_objstore mech_objstore;

/** Route new objects of `repo` to memory until mech_objstore_flush(). */
int mech_objstore_stage(mech_objstore **out, git_repository *repo);
/** A commit is about to be built: its objects are staged from here on. */
void mech_objstore_begin(mech_objstore *s);
/** Write what was staged as one pack in objects/pack (nothing staged: no pack). */
int mech_objstore_flush(mech_objstore *s);
/** Drop what was staged without writing it (a failed attempt). */
void mech_objstore_discard(mech_objstore *s);
/**
 * Merge small packs once there are MECH_PACK_LIMIT or more (call under the
 * tenant lock). A failure leaves the packs as they were; it is not an error
 * of the write that triggered it.
 */
int mech_objstore_compact(git_repository *repo);
void mech_objstore_free(mech_objstore *s);

#define MECH_PACK_LIMIT 16

#endif
