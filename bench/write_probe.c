/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes without process start-up: N `app create` verbs in one process,
 * each as a mech process does it (load MECH_HOME's configuration, open the
 * tenant repo, plan, protection check, render, commit, compare-and-swap,
 * close), minus exec and dynamic loading. Used by bench/bench_write.sh to
 * split a write's cost into start-up and work.
 *
 *   write_probe HOME TENANT N PREFIX
 *
 * Prints "total_us=…" and exits 0 when all N writes succeeded.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mech/app.h"
#include "mech/buf.h"
#include "mech/config.h"
#include "mech/error.h"
#include "mech/gitops.h"
#include "mech/maint.h"

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
	mech_identity who = {"bench", "bench@localhost"};
	long long t0;
	int k, n;

	if (argc != 5 || (n = atoi(argv[3])) <= 0) {
		fprintf(stderr, "usage: write_probe HOME TENANT N PREFIX\n");
		return 64;
	}
	git_libgit2_init();
	t0 = now_us();
	for (k = 1; k <= n; k++) {
		mech_config *cfg = NULL;
		mech_repo *repo = NULL;
		mech_write_opts w = {&who, 0, 0};
		mech_app_create_opts o;
		mech_txn_result res;
		char *name = mech_sprintf("%s%d", argv[4], k);
		int rc;

		memset(&o, 0, sizeof(o));
		memset(&res, 0, sizeof(res));
		o.name = name;
		o.image = "nginx:1.27";
		o.port = MECH_DEFAULT_PORT;
		o.replicas = MECH_DEFAULT_REPLICAS;
		rc = mech_config_load(&cfg, argv[1]);
		if (rc == 0)
			rc = mech_repo_open(&repo, cfg, argv[2]);
		if (rc == 0)
			rc = mech_app_create(repo, &w, &o, &res);
		mech_txn_result_dispose(&res);
		mech_repo_free(repo);
		mech_maint_run(NULL); /* as the command does once its answer is out */
		mech_config_free(cfg);
		free(name);
		if (rc < 0) {
			fprintf(stderr, "write_probe: write %d: %s\n", k,
				mech_error_last()->message);
			return 1;
		}
	}
	printf("total_us=%lld\n", now_us() - t0);
	git_libgit2_shutdown();
	return 0;
}
