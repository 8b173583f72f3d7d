/*
 * mech: one binary for the agent shell, SSH front door, console and sim.
 */
#include "cmd.h"
#include "mech/error.h"

#include <git2.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	sh_ctx ctx;
	int code;

	setlocale(LC_CTYPE, "");
	git_libgit2_init();
	sh_ctx_init(&ctx);
	ctx.color = isatty(1) && !getenv("NO_COLOR");
	ctx.tty = isatty(0) && isatty(1);
	code = sh_run(argc - 1, argv + 1, &ctx);
	sh_ctx_reset(&ctx);
	mech_error_clear();
	git_libgit2_shutdown();
	return code;
}
