/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mech: one binary for the agent shell, SSH front door, console and sim.
 */
#include "cmd.h"
#include "mech/error.h"

#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	sh_ctx ctx;
	int code;

	/* the locale (LC_CTYPE) is set by the console and the interactive shell,
	 * which read and draw UTF-8; loading it costs every other command ~0.2 ms */
	git_libgit2_init();
	/* mech reads only its own local object store, which git itself does not
	 * re-hash on read, and creates only objects whose references it has just
	 * written: both checks cost ~15% of a history walk (bench/RESULTS.md) */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
	/* libgit2 caches no tree over 4 KiB by default; a tenant's apps/ tree is
	 * larger, and a history walk reads each one twice (as commit and parent) */
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)1 << 20);
	/* a walk over 100k commits would otherwise keep them all (256 MiB cap) */
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)32 << 20);
	sh_ctx_init(&ctx);
	ctx.color = isatty(1) && !getenv("NO_COLOR");
	ctx.tty = isatty(0) && isatty(1);
	code = sh_run(argc - 1, argv + 1, &ctx);
	sh_ctx_reset(&ctx);
	mech_error_clear();
	git_libgit2_shutdown();
	return code;
}
