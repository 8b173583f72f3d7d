/* mech sim: hands its arguments to the simulator (sim/). */
#include "cmd.h"
#include "handlers.h"
#include "sim.h"

#include <stdlib.h>

int sh_sim(sh_ctx *ctx, const sh_args *a)
{
	char **argv = calloc(a->pos.len + 2, sizeof(char *));
	size_t i;
	int code;
	argv[0] = "sim";
	for (i = 0; i < a->pos.len; i++)
		argv[i + 1] = a->pos.items[i];
	code = sim_main((int)a->pos.len + 1, argv, ctx->home);
	free(argv);
	/* the simulator prints its own output and chooses its exit code */
	ctx->quiet = 1;
	ctx->exit_override = code;
	return 0;
}
