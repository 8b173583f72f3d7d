/*
 * The command table: every command, its flags and its help, once.
 */
#include "cmd.h"
#include "handlers.h"

#define END {NULL, 0, SH_BOOL, NULL, NULL, 0, 0, 0}
#define APP_TARGET {"app", 'a', SH_STR, "APP", "the app to act on", 0, 0, 1}
#define INSTANCE_TARGET                                                                       \
	{"instance", 'i', SH_STR, "INSTANCE",                                                 \
	 "the instance (default: the app's only instance)", 0, 0, 0}

const sh_flag sh_global_flags[] = {
	{"home", 0, SH_STR, "DIR", "MECH_HOME (default $MECH_HOME, /var/lib/mech for root)", 0, 0, 0},
	{"tenant", 0, SH_STR, "T", "tenant to act on (local use; over SSH the key decides)", 0, 0, 0},
	{"json", 0, SH_BOOL, NULL, "print exactly one JSON object on stdout", 0, 0, 0},
	{"no-color", 0, SH_BOOL, NULL, "no colour (also when NO_COLOR is set)", 0, 0, 0},
	{"readonly", 0, SH_BOOL, NULL, "refuse every command that writes", 0, 0, 0},
	{"help", 'h', SH_BOOL, NULL, "help for the command", 0, 0, 0},
	{"version", 0, SH_BOOL, NULL, "print the version", 0, 0, 0},
	END,
};

const sh_flag sh_write_flags[] = {
	{"dry-run", 0, SH_BOOL, NULL, "print the plan (paths, actions, last writers) and write nothing",
	 0, 0, 0},
	{"force", 0, SH_BOOL, NULL,
	 "overwrite human changes (each is recorded as a Mechanics-Forced-Over trailer)", 0, 0, 0},
	END,
};

static const sh_flag no_flags[] = {END};

static const sh_flag tenant_add_flags[] = {
	{"key", 0, SH_LIST, "FILE", "an SSH public key file (repeatable); the key's tenant is T", 0,
	 0, 0},
	{"name", 0, SH_STR, "NAME", "identity name for local writes (default: T)", 0, 0, 0},
	{"email", 0, SH_STR, "EMAIL", "identity e-mail (default: T@localhost)", 0, 0, 0},
	END,
};

static const sh_flag app_create_flags[] = {
	{"image", 0, SH_STR, "REF", "container image reference (OCI grammar)", 0, 0, 1},
	{"port", 0, SH_INT, "N", "container port (default 8080)", 1, 65535, 0},
	{"replicas", 0, SH_INT, "N", "replicas (default 1)", 0, 100, 0},
	{"env", 0, SH_LIST, "K=V", "environment variable (repeatable)", 0, 0, 0},
	{"instance", 'i', SH_STR, "I", "first instance (default main)", 0, 0, 0},
	END,
};

static const sh_flag app_target_flags[] = {APP_TARGET, INSTANCE_TARGET, END};

static const sh_flag app_only_flags[] = {APP_TARGET, END};

static const sh_flag deploy_flags[] = {
	APP_TARGET,
	INSTANCE_TARGET,
	{"tag", 0, SH_STR, "TAG", "the new image tag (the repository is kept)", 0, 0, 1},
	END,
};

static const sh_flag instance_add_flags[] = {
	APP_TARGET,
	{"from", 0, SH_STR, "I", "instance to copy (default main)", 0, 0, 0},
	END,
};

static const sh_flag log_flags[] = {
	{"max-count", 'n', SH_INT, "N", "at most N commits (default 20)", 1, 100000, 0},
	{"path", 0, SH_STR, "P", "only commits touching path P", 0, 0, 0},
	{"class", 0, SH_STR, "C", "only machine, human or forced commits", 0, 0, 0},
	END,
};

const sh_command sh_commands[] = {
	{"help", NULL, "help", SH_GUEST, "[COMMAND…|exit-codes]", 0, 3, no_flags, sh_cmd_help,
	 "Show the workflow map, help for a command, or the exit codes.",
	 "COMMAND  a noun or noun and verb (app, app create); exit-codes for the exit-code table",
	 "None: help never needs a tenant and never writes.",
	 "mech help\nmech help app create\nmech app create -h\nmech help exit-codes",
	 "mech whoami"},
	{"version", NULL, "version", SH_GUEST | SH_HIDDEN, "", 0, 0, no_flags, sh_version,
	 "Print mech's version.", "None.", "None.", "mech --version", "mech help"},

	{"admin", "init", "admin.init", SH_OPERATOR, "", 0, 0, no_flags, sh_admin_init,
	 "Create MECH_HOME with a default mech.yaml.", "None.",
	 "Creates MECH_HOME/{mech.yaml,tenants,cache} if absent; never overwrites mech.yaml.",
	 "mech --home /var/lib/mech admin init", "mech admin tenant add alice --key alice.pub"},
	{"admin", "tenant add", "tenant.add", SH_OPERATOR, "T", 1, 1, tenant_add_flags,
	 sh_admin_tenant_add,
	 "Register a tenant (and its SSH keys) and seed its GitOps repository.",
	 "T  tenant name (DNS label, at most 40 characters)",
	 "Writes tenants/T/tenant.yaml; creates tenants/T/gitops.git and makes one "
	 "mechanics(tenant.seed) commit (README.md and argocd/*.yaml). With gitops.remote set, pushes "
	 "the seed, or adopts a remote that is already seeded. On an existing tenant, adds the keys.",
	 "mech admin tenant add alice --key alice.pub\n"
	 "mech admin tenant add bob --name 'Bob B' --email bob@example.com",
	 "mech --tenant alice app create web --image nginx:1.27"},
	{"admin", "tenant list", "tenant.list", SH_OPERATOR, "", 0, 0, no_flags,
	 sh_admin_tenant_list, "List tenants with their namespace, identity and key count.", "None.",
	 "None (read-only).", "mech admin tenant list", "mech --tenant T log"},

	{"app", "create", "app.create", SH_MUTATES | SH_TENANT, "NAME", 1, 1, app_create_flags,
	 sh_app_create, "Create an app: base manifests and its first overlay.",
	 "NAME  app name (DNS label, at most 40 characters)",
	 "Writes apps/NAME/base/{deployment,service,kustomization}.yaml and "
	 "apps/NAME/overlays/main/kustomization.yaml in one mechanics(app.create) commit. Re-running "
	 "with the same inputs writes nothing.",
	 "mech app create web --image nginx:1.27\n"
	 "mech app create api --image registry.example.com/alice/api:1.4 --port 3000 --env "
	 "LOG_LEVEL=info",
	 "mech route -a NAME create\nmech app -a NAME info"},
	{"app", "list", "app.list", SH_TENANT, "", 0, 0, no_flags, sh_app_list,
	 "List apps with their instances, images and last writers (from Git).", "None.",
	 "None (read-only).", "mech app list\nmech app list --json", "mech app -a NAME info"},
	{"app", "info", "app.info", SH_TENANT, "", 0, 0, app_target_flags, sh_app_info,
	 "Show an app's desired state per instance, its files and their last writers.", "None.",
	 "None (read-only).", "mech app -a web info", "mech app -a web deploy --tag TAG"},
	{"app", "set-image", "app.set-image", SH_MUTATES | SH_TENANT, "REF", 1, 1, app_target_flags,
	 sh_app_set_image, "Point one instance at a new image.",
	 "REF  container image reference (OCI grammar)",
	 "Rewrites the images entry of apps/APP/overlays/INSTANCE/kustomization.yaml, keeping "
	 "anything else in it, in one mechanics(app.set-image) commit.",
	 "mech app -a web set-image nginx:1.27.1\nmech app -a web -i staging set-image "
	 "registry.example.com/alice/web@sha256:<digest>",
	 "mech app -a web info\nmech log -n 5"},
	{"app", "deploy", "app.deploy", SH_MUTATES | SH_TENANT, "", 0, 0, deploy_flags,
	 sh_app_deploy, "Deploy a new tag of the instance's current image.", "None.",
	 "Rewrites the tag in apps/APP/overlays/INSTANCE/kustomization.yaml (the repository is "
	 "kept) in one mechanics(app.deploy) commit.",
	 "mech app -a web deploy --tag 1.27.2", "mech app -a web info"},
	{"app", "delete", "app.delete", SH_MUTATES | SH_TENANT, "", 0, 0, app_only_flags,
	 sh_app_delete, "Remove an app from Git (Argo CD then prunes it).", "None.",
	 "Deletes apps/APP/ and mech-owned network/routes/APP/*.yaml in one mechanics(app.delete) "
	 "commit. Addons are never deleted with an app.",
	 "mech app -a web delete --dry-run\nmech app -a web delete", "mech app list"},
	{"app", "instance add", "app.instance-add", SH_MUTATES | SH_TENANT, "I", 1, 1,
	 instance_add_flags, sh_app_instance_add,
	 "Add an instance by copying another instance's overlay.",
	 "I  new instance name (DNS label)",
	 "Writes apps/APP/overlays/I/kustomization.yaml (hand-made patches of the source are kept).",
	 "mech app -a web instance add staging\nmech app -a web instance add canary --from staging",
	 "mech app -a web -i I set-image REF\nmech route -a web -i I create"},
	{"app", "instance remove", "app.instance-remove", SH_MUTATES | SH_TENANT, "I", 1, 1,
	 app_only_flags, sh_app_instance_remove, "Remove an instance and its route.",
	 "I  instance name",
	 "Deletes apps/APP/overlays/I/ and network/routes/APP/I.yaml if mech owns it.",
	 "mech app -a web instance remove staging", "mech app -a web info"},

	{"log", NULL, "log", SH_TENANT, "", 0, 0, log_flags, sh_log,
	 "List receipts: the tenant repo's commits with class, verb and target.", "None.",
	 "None (read-only).",
	 "mech log\nmech log -n 5 --class forced\nmech log --path apps/web/base/deployment.yaml",
	 "mech show REV"},
	{"show", NULL, "show", SH_TENANT, "REV", 1, 1, no_flags, sh_show,
	 "Show one commit: class, trailers, files and diff.",
	 "REV  a commit sha (or prefix), branch, or HEAD~N", "None (read-only).",
	 "mech show HEAD\nmech show 3f2a9c1", "mech log"},

	{"demo", NULL, "demo", SH_OPERATOR | SH_HIDDEN, "", 0, 0, no_flags, sh_demo,
	 "A scripted tour on a temporary home.", "None.",
	 "Creates and removes a temporary MECH_HOME; touches nothing else.", "mech demo",
	 "mech help"},
};

const size_t sh_ncommands = sizeof(sh_commands) / sizeof(*sh_commands);
