/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_LOCK_H
#define MECH_LOCK_H

#include "mech/config.h"

/*
 * The tenant lock (DESIGN §3, §5): an flock on MECH_HOME/tenants/T/lock
 * serialises the writes to one tenant on this host. A write holds it from
 * before it reads the branch head until the branch has moved; the pack
 * merge (mech/maint.h) holds it only while it removes merged packs. The
 * kernel lets go of an flock when its holder dies, so there is never a
 * stale tenant lock to break.
 */

/** The lock file of a tenant (caller frees). */
char *mech_lock_path(const mech_config *cfg, const char *tenant);
/**
 * Take the lock at `path` for a write to `tenant`, waiting up to a minute
 * for the write that holds it. Waiters queue in the kernel and are served
 * in the order they came (a blocking flock, bounded by a SIGURG timer on the
 * calling thread). *fd receives the descriptor to release.
 * MECH_ECONTENTION when it stayed held (safe to retry), MECH_EFAILED when
 * the file cannot be opened or locked.
 */
int mech_lock_take(const char *path, const char *tenant, int *fd);
/**
 * Take it waiting as long as it takes: only for the pack merge, which runs
 * after the command has answered. 0, or -1 (no last error) when it cannot
 * be opened or locked.
 */
int mech_lock_wait(const char *path, int *fd);
/**
 * Wait for a lock file another process holds to go: git's
 * refs/heads/main.lock while a human's push runs its hooks, say. It is
 * never removed here: only the process that took a lock may remove it (git's
 * lockfile.c), and one a killed git left behind is for a human to remove.
 * Call it each time the lock is found taken; `*waited` (milliseconds, 0 at
 * first) carries the wait across the calls of one write, which together wait
 * as long as a write waits for the tenant lock. 0: gone or waited a little,
 * try again; -1: MECH_ECONTENTION naming the file and its age.
 */
int mech_lock_file_wait(const char *file, long *waited);
/** Let go of a lock taken above; *fd becomes -1. A no-op on -1. */
void mech_lock_release(int *fd);

#endif
