/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mech sim: the sim row's flags (shell/commands.c) into sim_opts, then the
 * simulator (sim/) serves until it is stopped.
 */
#include "cmd.h"
#include "handlers.h"
#include "sim.h"

#include <stdio.h>

/* The answer a script waits for, given while the sim serves: its URL. */
static void listening(const char *url, void *arg)
{
	sh_ctx *ctx = arg;
	if (ctx->json) {
		ctx->result = cJSON_CreateObject();
		cJSON_AddStringToObject(ctx->result, "url", url);
		sh_next(ctx, "set argocd.url and kubernetes.url in mech.yaml to %s", url);
		sh_finish(ctx, 0);
	} else {
		/* tests and scripts read this line for the port */
		printf("mech sim: listening on %s\n", url);
		fflush(stdout);
	}
	/* the one answer is out; stopping later adds nothing to stdout */
	ctx->quiet = 1;
}

int sh_sim(sh_ctx *ctx, const sh_args *a)
{
	sim_opts o;
	const char *v;
	int rc = -1;

	sim_opts_init(&o);
	if ((v = sh_arg(a, SH_OPT_LISTEN)) && sim_opts_listen(&o, v) < 0)
		goto done;
	if ((v = sh_arg(a, SH_OPT_TOKEN_FILE)) && sim_opts_token_file(&o, v) < 0)
		goto done;
	if ((v = sh_arg(a, SH_OPT_FAIL_RATE)) && sim_opts_fail_rate(&o, v) < 0)
		goto done;
	if ((v = sh_arg(a, SH_OPT_KUSTOMIZE)) && sim_opts_kustomize(&o, v) < 0)
		goto done;
	if ((v = sh_arg(a, SH_OPT_DEGRADE_TAG)))
		sim_opts_degrade_tag(&o, v);
	o.sync_delay_ms = sh_arg_ms(a, SH_OPT_SYNC_DELAY, o.sync_delay_ms);
	o.health_delay_ms = sh_arg_ms(a, SH_OPT_HEALTH_DELAY, o.health_delay_ms);
	o.latency_ms = sh_arg_ms(a, SH_OPT_LATENCY, o.latency_ms);
	o.drop_stream_ms = sh_arg_ms(a, SH_OPT_DROP_STREAM, o.drop_stream_ms);
	o.keepalive_ms = sh_arg_ms(a, SH_OPT_KEEPALIVE, o.keepalive_ms);
	o.poll_ms = sh_arg_ms(a, SH_OPT_POLL, o.poll_ms);
	if (sh_arg_bool(a, SH_OPT_REALISTIC))
		o.poll_interval_ms = o.appset_requeue_ms = SIM_REALISTIC_MS;
	o.poll_interval_ms = sh_arg_ms(a, SH_OPT_POLL_INTERVAL, o.poll_interval_ms);
	o.appset_requeue_ms = sh_arg_ms(a, SH_OPT_APPSET_REQUEUE, o.appset_requeue_ms);
	o.malformed = sh_arg_bool(a, SH_OPT_MALFORMED);
	o.verbose = sh_arg_bool(a, SH_OPT_VERBOSE);
	o.tls = sh_arg_bool(a, SH_OPT_TLS);
	rc = sim_run(&o, ctx->cfg, listening, ctx);
done:
	sim_opts_dispose(&o);
	return rc;
}
