/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SH_HANDLERS_H
#define SH_HANDLERS_H

#include "cmd.h"

int sh_admin_init(sh_ctx *ctx, const sh_args *a);
int sh_admin_tenant_add(sh_ctx *ctx, const sh_args *a);
int sh_admin_tenant_list(sh_ctx *ctx, const sh_args *a);
int sh_admin_tenant_remove(sh_ctx *ctx, const sh_args *a);
int sh_admin_tenant_key_add(sh_ctx *ctx, const sh_args *a);
int sh_admin_tenant_key_remove(sh_ctx *ctx, const sh_args *a);
int sh_admin_tenant_key_list(sh_ctx *ctx, const sh_args *a);
int sh_admin_allowed_signers(sh_ctx *ctx, const sh_args *a);
int sh_admin_rotate_key(sh_ctx *ctx, const sh_args *a);
int sh_app_create(sh_ctx *ctx, const sh_args *a);
int sh_app_set_image(sh_ctx *ctx, const sh_args *a);
int sh_app_deploy(sh_ctx *ctx, const sh_args *a);
int sh_app_delete(sh_ctx *ctx, const sh_args *a);
int sh_app_list(sh_ctx *ctx, const sh_args *a);
int sh_app_info(sh_ctx *ctx, const sh_args *a);
int sh_app_instance_add(sh_ctx *ctx, const sh_args *a);
int sh_app_instance_remove(sh_ctx *ctx, const sh_args *a);
int sh_app_scale(sh_ctx *ctx, const sh_args *a);
int sh_app_env_set(sh_ctx *ctx, const sh_args *a);
int sh_app_env_unset(sh_ctx *ctx, const sh_args *a);
int sh_app_env_list(sh_ctx *ctx, const sh_args *a);
int sh_addon_link(sh_ctx *ctx, const sh_args *a);
int sh_addon_unlink(sh_ctx *ctx, const sh_args *a);
/** addon info: result.links[] and a "linked:" line per app instance wired to `addon`. */
void sh_addon_links(sh_ctx *ctx, mech_repo *repo, cJSON *res, const char *addon);
/** app info: result.instances[].desired {replicas, env, links} and a line per instance. */
void sh_app_config_info(sh_ctx *ctx, mech_repo *repo, const mech_app_state *app,
			const mech_instance_state *only);
int sh_route_create(sh_ctx *ctx, const sh_args *a);
int sh_route_delete(sh_ctx *ctx, const sh_args *a);
int sh_route_list(sh_ctx *ctx, const sh_args *a);
int sh_addon_type_list(sh_ctx *ctx, const sh_args *a);
int sh_addon_type_info(sh_ctx *ctx, const sh_args *a);
int sh_addon_create(sh_ctx *ctx, const sh_args *a);
int sh_addon_set(sh_ctx *ctx, const sh_args *a);
int sh_addon_delete(sh_ctx *ctx, const sh_args *a);
int sh_addon_list(sh_ctx *ctx, const sh_args *a);
int sh_app_wait(sh_ctx *ctx, const sh_args *a);
int sh_app_sync(sh_ctx *ctx, const sh_args *a);
int sh_app_diff(sh_ctx *ctx, const sh_args *a);
int sh_route_info(sh_ctx *ctx, const sh_args *a);
int sh_route_wait(sh_ctx *ctx, const sh_args *a);
int sh_addon_info(sh_ctx *ctx, const sh_args *a);
int sh_addon_wait(sh_ctx *ctx, const sh_args *a);
int sh_secret_set(sh_ctx *ctx, const sh_args *a);
int sh_secret_unset(sh_ctx *ctx, const sh_args *a);
int sh_secret_delete(sh_ctx *ctx, const sh_args *a);
int sh_secret_list(sh_ctx *ctx, const sh_args *a);
int sh_secret_info(sh_ctx *ctx, const sh_args *a);
int sh_log(sh_ctx *ctx, const sh_args *a);
int sh_app_history(sh_ctx *ctx, const sh_args *a);
int sh_app_rollback(sh_ctx *ctx, const sh_args *a);
int sh_app_logs(sh_ctx *ctx, const sh_args *a);
int sh_app_events(sh_ctx *ctx, const sh_args *a);
int sh_revert(sh_ctx *ctx, const sh_args *a);
int sh_show(sh_ctx *ctx, const sh_args *a);
int sh_version(sh_ctx *ctx, const sh_args *a);
int sh_shell(sh_ctx *ctx, const sh_args *a);
int sh_console(sh_ctx *ctx, const sh_args *a);
/**
 * The history file NAME of the tenant (MECH_HOME/cache/TENANT/NAME, "_" for
 * none): the file 0600 in a 0700 directory, made so; NULL when that cannot
 * be (a file not ours), and then no history is kept. Caller frees.
 */
char *sh_history_file(sh_ctx *ctx, const char *name);
/**
 * readline as the shell sets it up: its name ("mech", for ~/.inputrc), Tab
 * completion of nouns, verbs, flags and app/instance/addon names of ctx's
 * tenant, no signal handlers. sh_readline_done frees what completion kept.
 */
void sh_readline_setup(sh_ctx *ctx);
void sh_readline_done(void);
int sh_review(sh_ctx *ctx, const sh_args *a);
int sh_ssh(sh_ctx *ctx, const sh_args *a);
int sh_ssh_keys(sh_ctx *ctx, const sh_args *a);
int sh_whoami(sh_ctx *ctx, const sh_args *a);
int sh_mcp(sh_ctx *ctx, const sh_args *a);
int sh_sim(sh_ctx *ctx, const sh_args *a);
int sh_demo(sh_ctx *ctx, const sh_args *a);
int sh_gen_man(sh_ctx *ctx, const sh_args *a);
int sh_gen_man5(sh_ctx *ctx, const sh_args *a);
int sh_gen_bash_completion(sh_ctx *ctx, const sh_args *a);
/** Put what `gen` writes on stdout (or in result.text with --json); gen.c. */
int sh_gen_emit(sh_ctx *ctx, void (*gen)(mech_buf *), const char *format);

#endif
