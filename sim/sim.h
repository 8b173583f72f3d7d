/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_SIM_H
#define MECH_SIM_H

#include "mech/config.h"

/*
 * `mech sim`: a loopback stand-in for the Argo CD and Kubernetes API
 * subset mech reads, computing state from the tenant repos under a home.
 * Its flags are rows of the command table (shell/commands.c); the shell
 * parses them into sim_opts (shell/h_sim.c). Failures are the last error
 * (mech/error.h), so they exit and print as any command's do.
 */

/* How kustomize directories are rendered (--kustomize). */
typedef enum {
	SIM_KUSTOMIZE_AUTO,    /* kubectl kustomize when kubectl is on PATH, else the builtin */
	SIM_KUSTOMIZE_BUILTIN, /* the sim's own subset */
	SIM_KUSTOMIZE_KUBECTL  /* kubectl kustomize, or the sim does not start */
} sim_kustomize_mode;

typedef struct {
	char *host;  /* "127.0.0.1" or "::1" */
	int port;    /* 0 = pick a free one */
	char *token; /* required bearer token; NULL = no auth */
	long sync_delay_ms;
	long health_delay_ms;
	long latency_ms;
	long drop_stream_ms; /* 0 = never */
	long keepalive_ms;   /* 0 = the default */
	long poll_ms;        /* 0 = the default */
	/* Argo CD's timeout.reconciliation: a new commit is compared only this often (0 = every poll) */
	long poll_interval_ms;
	/* the ApplicationSet generator re-reads Git only this often (0 = every poll) */
	long appset_requeue_ms;
	double fail_rate;
	int malformed;
	int tls; /* --tls: HTTPS with the sim's own CA (MECH_HOME/sim/ca.crt) */
	char *degrade_tag;
	sim_kustomize_mode kustomize;
	int verbose;
} sim_opts;

/*
 * --realistic: Argo CD without a webhook. The app controller's
 * timeout.reconciliation is 120 s + up to 60 s jitter, the ApplicationSet
 * requeue 3 min (argocd-appset.md); the sim takes the longest, exactly.
 */
#define SIM_REALISTIC_MS (3L * 60 * 1000)

/** The defaults: 127.0.0.1:8089, sync and rollout 1 s each, keepalive 15 s, poll 100 ms. */
void sim_opts_init(sim_opts *o);
/** --listen: 127.0.0.1:PORT, localhost:PORT or [::1]:PORT; MECH_EINVALID for anything else. */
int sim_opts_listen(sim_opts *o, const char *addr);
/** --token-file: a file holding one token line; MECH_EINVALID when it does not. */
int sim_opts_token_file(sim_opts *o, const char *path);
/** --fail-rate: a fraction from 0 to 1; MECH_EINVALID otherwise. */
int sim_opts_fail_rate(sim_opts *o, const char *fraction);
/** --kustomize: auto, builtin or kubectl; MECH_EINVALID otherwise. */
int sim_opts_kustomize(sim_opts *o, const char *mode);
/** --degrade-tag. */
void sim_opts_degrade_tag(sim_opts *o, const char *tag);
void sim_opts_dispose(sim_opts *o);

/** Called once the server accepts connections, with its base URL (borrowed). */
typedef void (*sim_listening_fn)(const char *url, void *arg);

/**
 * Serve the tenants of cfg->home until SIGINT or SIGTERM, then return 0.
 * -1 (with the last error) when the server cannot start.
 */
int sim_run(sim_opts *o, const mech_config *cfg, sim_listening_fn listening, void *arg);

#endif
