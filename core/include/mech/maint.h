/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_MAINT_H
#define MECH_MAINT_H

#include "mech/buf.h"

/*
 * Background pack merges. Every write leaves one pack (mech/objstore.h);
 * once a tenant has MECH_PACK_LIMIT of them the small ones are merged,
 * after the command has answered, as `git gc --auto` runs after git's
 * commands, so that no command waits for it.
 *
 * Two calls, two owners:
 *  - mech_maint_note(): the transaction (mech_gitops_apply), after a write
 *    moved the branch and let go of the tenant lock.
 *  - mech_maint_run(): the program that owns the process (the shell's
 *    sh_finish, bench/write_probe.c), once a command's answer is out —
 *    stdout flushed, exit code decided — before it exits or reads the next
 *    command. What was noted waits in this process until then (main thread
 *    only).
 *
 * mech_maint_run may fork, twice, so that the merge is nobody's child: the
 * grandchild has its own session and /dev/null for stdin, stdout and
 * stderr, and holds an flock on gitops.git/compact.lock while it merges. A
 * process with other threads (the console) merges in place, since fork
 * would copy only the calling thread.
 *
 * It must never:
 *  - run before the answer is out, or be called with a tenant lock held:
 *    an in-place merge takes that lock to remove the merged packs;
 *  - hold the tenant lock while it writes the merged pack (writes go on);
 *  - wait for another merge: a held compact.lock means its holder looks
 *    again when it is done;
 *  - fail the command: a failed merge writes its reason to
 *    gitops.git/compact.log, the writes after it warn, and merging waits
 *    ten minutes before it is tried again.
 */

/**
 * After a write to the repository at `gitdir` (of `tenant`, whose lock file
 * is `tenant_lock`): queue a merge if its packs are due, and remember the
 * warning when the last merge there failed.
 */
void mech_maint_note(const char *gitdir, const char *tenant, const char *tenant_lock);
/**
 * Start the merges noted since the last call and empty the queue. What the
 * command should warn about (a failed earlier merge) is added to
 * `warnings`, one line each, when it is not NULL.
 */
void mech_maint_run(mech_strv *warnings);

#endif
