/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SH_H_LIVE_H
#define SH_H_LIVE_H

#include "cmd.h"
#include "jsonw.h"
#include "mech/argocd.h"

/** Open the Argo CD client; *out stays NULL when argocd.url is empty. */
int sh_live_argocd(sh_ctx *ctx, mech_argocd **out);
/**
 * An Application's live state as JSON, member `key` of what `w` writes (NULL
 * in an array); `current` says whether it runs `head` (or later).
 */
void sh_live_app_write(sh_jw *w, const char *key, const mech_argocd_app *a, const char *head,
		       git_repository *repo);
/** sh_live_app_write's object as a tree; caller frees. */
cJSON *sh_live_app_json(const mech_argocd_app *a, const char *head, git_repository *repo);

/** The waits behind --wait on create verbs (exit 0/1/2 via ctx). */
int sh_live_wait_app(sh_ctx *ctx, const char *app, const char *instance, const char *timeout);
int sh_live_wait_addon(sh_ctx *ctx, const char *name, const char *timeout);
/**
 * The end of a write that changes what an instance runs: report it
 * (sh_finish_write), then with --wait, unless a dry run, wait as `app wait`.
 */
int sh_live_finish_write(sh_ctx *ctx, const sh_args *a, const mech_write_opts *w, int rc,
			 mech_txn_result *res, const char *app, const char *instance);

/**
 * The pod that makes an instance fail: {pod, reason, message} from its last
 * Warning event (else its container's state), or NULL when none is found or
 * Kubernetes cannot say; leaves the thread's last error as it found it. h_logs.c.
 */
cJSON *sh_logs_failing(sh_ctx *ctx, const char *app, const char *instance);

#endif
