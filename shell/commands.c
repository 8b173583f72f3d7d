/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command table: every command, its flags and its help, once.
 */
#include "cmd.h"
#include "handlers.h"

#define END                                                                                        \
	{                                                                                          \
		SH_OPT_NONE, 0, SH_BOOL, NULL, NULL, 0, 0, 0                                       \
	}
#define APP_TARGET                                                                                 \
	{                                                                                          \
		SH_OPT_APP, 'a', SH_STR, "APP", "the app to act on", 0, 0, 1                       \
	}
#define INSTANCE_TARGET                                                                            \
	{                                                                                          \
		SH_OPT_INSTANCE, 'i', SH_STR, "INSTANCE",                                          \
			"the instance (default: the app's only instance)", 0, 0, 0                 \
	}

const sh_flag sh_global_flags[] = {
	{SH_OPT_HOME, 0, SH_STR, "DIR", "MECH_HOME (default $MECH_HOME, /var/lib/mech for root)", 0,
	 0, 0},
	{SH_OPT_TENANT, 0, SH_STR, "T", "tenant to act on (local use; over SSH the key decides)", 0,
	 0, 0},
	{SH_OPT_JSON, 0, SH_BOOL, NULL, "print exactly one JSON object on stdout", 0, 0, 0},
	{SH_OPT_OUTPUT, 'o', SH_STR, "FORMAT", "json (the same as --json) or text (the default)", 0,
	 0, 0},
	{SH_OPT_NO_COLOR, 0, SH_BOOL, NULL, "no colour (also when NO_COLOR is set)", 0, 0, 0},
	{SH_OPT_READONLY, 0, SH_BOOL, NULL, "refuse every command that writes", 0, 0, 0},
	{SH_OPT_HELP, 'h', SH_BOOL, NULL, "help for the command", 0, 0, 0},
	{SH_OPT_VERSION, 0, SH_BOOL, NULL, "print the version", 0, 0, 0},
	END,
};

const sh_flag sh_write_flags[] = {
	{SH_OPT_DRY_RUN, 0, SH_BOOL, NULL,
	 "print the plan (paths, actions, last writers) and write nothing", 0, 0, 0},
	{SH_OPT_FORCE, 0, SH_BOOL, NULL,
	 "overwrite human changes (each is recorded as a Mechanics-Forced-Over trailer)", 0, 0, 0},
	END,
};

static const sh_flag no_flags[] = {END};

static const sh_flag tenant_add_flags[] = {
	{SH_OPT_KEY, 0, SH_LIST, "FILE",
	 "an SSH public key file (repeatable); the key's tenant is T", 0, 0, 0},
	{SH_OPT_NAME, 0, SH_STR, "NAME", "identity name for local writes (default: T)", 0, 0, 0},
	{SH_OPT_EMAIL, 0, SH_STR, "EMAIL", "identity e-mail (default: T@localhost)", 0, 0, 0},
	{SH_OPT_REPO_URL, 0, SH_STR, "URL",
	 "the URL Argo CD reads the repo from (tenant.yaml repo_url; \"\": the default); never "
	 "with a password",
	 0, 0, 0},
	END,
};

static const sh_flag tenant_remove_flags[] = {
	{SH_OPT_FORCE, 0, SH_BOOL, NULL, "really remove it (without: exit 3, nothing changes)", 0,
	 0, 0},
	{SH_OPT_PURGE, 0, SH_BOOL, NULL,
	 "also delete its repository and cache on this host (tenants/T/, cache/T/)", 0, 0, 0},
	END,
};

static const sh_flag app_create_flags[] = {
	{SH_OPT_IMAGE, 0, SH_STR, "REF", "container image reference (OCI grammar)", 0, 0, 1},
	{SH_OPT_PORT, 0, SH_INT, "N", "container port (default 8080)", 1, 65535, 0},
	{SH_OPT_REPLICAS, 0, SH_INT, "N", "replicas (default 1)", 0, 100, 0},
	{SH_OPT_ENV, 0, SH_LIST, "K=V", "environment variable (repeatable)", 0, 0, 0},
	{SH_OPT_INSTANCE, 'i', SH_STR, "I", "first instance (default main)", 0, 0, 0},
	{SH_OPT_WAIT, 0, SH_BOOL, NULL,
	 "then wait until Synced and Healthy (exit 0/1/2 as app wait)", 0, 0, 0},
	{SH_OPT_TIMEOUT, 0, SH_DURATION, "D", "with --wait: how long (default 5m)", 0, 0, 0},
	END,
};

static const sh_flag app_wait_flags[] = {
	APP_TARGET,
	INSTANCE_TARGET,
	{SH_OPT_TAG, 0, SH_STR, "TAG", "also wait until the instance runs this image tag", 0, 0, 0},
	{SH_OPT_TIMEOUT, 0, SH_DURATION, "D", "how long to wait (default 5m; e.g. 90s, 2m30s)", 0,
	 0, 0},
	{SH_OPT_GONE, 0, SH_BOOL, NULL, "wait until the Application and its workloads are gone", 0,
	 0, 0},
	END,
};

static const sh_flag app_diff_flags[] = {
	APP_TARGET,
	INSTANCE_TARGET,
	{SH_OPT_EXIT_CODE, 0, SH_BOOL, NULL, "exit 1 when there are differences (as git diff)", 0,
	 0, 0},
	END,
};

static const sh_flag target_wait_flags[] = {
	APP_TARGET,
	INSTANCE_TARGET,
	{SH_OPT_TIMEOUT, 0, SH_DURATION, "D", "how long to wait (default 5m)", 0, 0, 0},
	END,
};

#define WAIT_FLAG                                                                                  \
	{                                                                                          \
		SH_OPT_WAIT, 0, SH_BOOL, NULL,                                                     \
			"then wait until Synced and Healthy (exit 0/1/2 as app wait)", 0, 0, 0     \
	}
#define WAIT_TIMEOUT_FLAG                                                                          \
	{                                                                                          \
		SH_OPT_TIMEOUT, 0, SH_DURATION, "D", "with --wait: how long (default 5m)", 0, 0, 0 \
	}

static const sh_flag app_target_flags[] = {APP_TARGET, INSTANCE_TARGET, END};

static const sh_flag set_image_flags[] = {APP_TARGET, INSTANCE_TARGET, WAIT_FLAG, WAIT_TIMEOUT_FLAG,
					  END};

static const sh_flag app_only_flags[] = {APP_TARGET, END};

static const sh_flag deploy_flags[] = {
	APP_TARGET,
	INSTANCE_TARGET,
	{SH_OPT_TAG, 0, SH_STR, "TAG", "the new image tag (the repository is kept)", 0, 0, 1},
	WAIT_FLAG,
	WAIT_TIMEOUT_FLAG,
	END,
};

static const sh_flag instance_add_flags[] = {
	APP_TARGET, {SH_OPT_FROM, 0, SH_STR, "I", "instance to copy (default main)", 0, 0, 0},
	WAIT_FLAG,  WAIT_TIMEOUT_FLAG,
	END,
};

static const sh_flag scale_flags[] = {
	APP_TARGET,
	INSTANCE_TARGET,
	{SH_OPT_REPLICAS, 0, SH_INT, "N", "replicas, 0-100 (0 stops the instance)", 0, 100, 1},
	WAIT_FLAG,
	WAIT_TIMEOUT_FLAG,
	END,
};

static const sh_flag env_set_flags[] = {
	APP_TARGET,
	INSTANCE_TARGET,
	{SH_OPT_ALL_INSTANCES, 0, SH_BOOL, NULL,
	 "every instance: the base Deployment's env instead of the instance's env.yaml", 0, 0, 0},
	{SH_OPT_FROM_SECRET, 0, SH_STR, "S:KEY",
	 "the value of key KEY of Kubernetes Secret S (a secretKeyRef; with one KEY argument)", 0,
	 0, 0},
	WAIT_FLAG,
	WAIT_TIMEOUT_FLAG,
	END,
};

static const sh_flag env_unset_flags[] = {
	APP_TARGET,
	INSTANCE_TARGET,
	{SH_OPT_ALL_INSTANCES, 0, SH_BOOL, NULL,
	 "every instance: remove from the base Deployment's env", 0, 0, 0},
	WAIT_FLAG,
	WAIT_TIMEOUT_FLAG,
	END,
};

static const sh_flag addon_link_flags[] = {
	{SH_OPT_NAME, 'n', SH_STR, "NAME", "the addon to act on", 0, 0, 1},
	APP_TARGET,
	INSTANCE_TARGET,
	{SH_OPT_ENV, 0, SH_STR, "NAME", "the env variable (default DATABASE_URL)", 0, 0, 0},
	WAIT_FLAG,
	WAIT_TIMEOUT_FLAG,
	END,
};

static const sh_flag addon_unlink_flags[] = {
	{SH_OPT_NAME, 'n', SH_STR, "NAME", "the addon to act on", 0, 0, 1},
	APP_TARGET,
	INSTANCE_TARGET,
	{SH_OPT_ENV, 0, SH_STR, "NAME", "only this env variable (default: every link to the addon)",
	 0, 0, 0},
	WAIT_FLAG,
	WAIT_TIMEOUT_FLAG,
	END,
};

static const sh_flag route_create_flags[] = {
	APP_TARGET,
	INSTANCE_TARGET,
	{SH_OPT_HOST, 0, SH_STR, "H", "host name (default APP[-INSTANCE].TENANT.BASE_DOMAIN)", 0, 0,
	 0},
	{SH_OPT_PATH, 0, SH_STR, "P", "path prefix (default /)", 0, 0, 0},
	{SH_OPT_WAIT, 0, SH_BOOL, NULL, "then wait until the route is Accepted with refs resolved",
	 0, 0, 0},
	{SH_OPT_TIMEOUT, 0, SH_DURATION, "D", "with --wait: how long (default 5m)", 0, 0, 0},
	END,
};

static const sh_flag route_list_flags[] = {
	{SH_OPT_APP, 'a', SH_STR, "APP", "only this app's routes", 0, 0, 0},
	END,
};

#define ADDON_TARGET                                                                               \
	{                                                                                          \
		SH_OPT_NAME, 'n', SH_STR, "NAME", "the addon to act on", 0, 0, 1                   \
	}

static const sh_flag addon_create_flags[] = {
	{SH_OPT_TYPE, 0, SH_STR, "T", "addon type (see `mech addon type list`)", 0, 0, 1},
	{SH_OPT_VERSION, 0, SH_STR, "V", "postgres major version: 17 or 18 (default 17)", 0, 0, 0},
	{SH_OPT_STORAGE, 0, SH_STR, "SIZE", "volume size, 1Gi..10Gi (default 1Gi; create only)", 0,
	 0, 0},
	{SH_OPT_MEMORY, 0, SH_STR, "SIZE", "memory, 256Mi..1Gi (default 512Mi)", 0, 0, 0},
	{SH_OPT_WAIT, 0, SH_BOOL, NULL, "then wait until the cluster is ready", 0, 0, 0},
	{SH_OPT_TIMEOUT, 0, SH_DURATION, "D", "with --wait: how long (default 5m)", 0, 0, 0},
	END,
};

static const sh_flag addon_wait_flags[] = {
	{SH_OPT_NAME, 'n', SH_STR, "NAME", "the addon to act on", 0, 0, 1},
	{SH_OPT_TIMEOUT, 0, SH_DURATION, "D", "how long to wait (default 5m)", 0, 0, 0},
	END,
};

static const sh_flag addon_set_flags[] = {
	ADDON_TARGET,
	{SH_OPT_MEMORY, 0, SH_STR, "SIZE", "memory, 256Mi..1Gi", 0, 0, 0},
	{SH_OPT_STORAGE, 0, SH_STR, "SIZE", "refused: storage is create-only", 0, 0, 0},
	{SH_OPT_VERSION, 0, SH_STR, "V", "refused: version is create-only", 0, 0, 0},
	{SH_OPT_WAIT, 0, SH_BOOL, NULL,
	 "then wait until Argo CD has applied this commit and the cluster is ready at its new "
	 "generation",
	 0, 0, 0},
	{SH_OPT_TIMEOUT, 0, SH_DURATION, "D", "with --wait: how long (default 5m)", 0, 0, 0},
	END,
};

static const sh_flag addon_target_flags[] = {ADDON_TARGET, END};

static const sh_flag secret_target_flags[] = {
	{SH_OPT_NAME, 'n', SH_STR, "NAME", "the secret to act on", 0, 0, 1},
	END,
};

static const sh_flag ssh_flags[] = {
	{SH_OPT_GUEST, 0, SH_STR, "FINGERPRINT", "session of an unregistered key", 0, 0, 0},
	{SH_OPT_KEY, 0, SH_STR, "FINGERPRINT",
	 "with --tenant: the tenant's key that logged in (its identity authors the writes)", 0, 0,
	 0},
	END,
};

static const sh_flag console_flags[] = {
	{SH_OPT_ALL_TENANTS, 0, SH_BOOL, NULL,
	 "operator mode: every tenant of MECH_HOME, with a TENANT column (local only; not with "
	 "--tenant)",
	 0, 0, 0},
	END,
};

static const sh_flag mcp_flags[] = {
	{SH_OPT_HTTP, 0, SH_STR, "ADDR",
	 "serve MCP's Streamable HTTP at http://ADDR/mcp instead of stdio: 127.0.0.1:PORT, "
	 "localhost:PORT or [::1]:PORT, loopback only; port 0 picks a free one",
	 0, 0, 0},
	{SH_OPT_TOKEN_FILE, 0, SH_STR, "FILE",
	 "with --http: every request carries the one line of FILE (mode 0600, yours) as "
	 "Authorization: Bearer",
	 0, 0, 0},
	{SH_OPT_NO_AUTH, 0, SH_BOOL, NULL,
	 "with --http: no token; any process on this host may call the tools as the tenant", 0, 0,
	 0},
	END,
};

static const sh_flag sim_flags[] = {
	{SH_OPT_LISTEN, 0, SH_STR, "ADDR",
	 "127.0.0.1:PORT or [::1]:PORT, loopback only; port 0 picks a free one (default "
	 "127.0.0.1:8089)",
	 0, 0, 0},
	{SH_OPT_TOKEN_FILE, 0, SH_STR, "FILE", "require a bearer token: the one line of FILE", 0, 0,
	 0},
	{SH_OPT_SYNC_DELAY, 0, SH_DURATION, "D",
	 "a commit leaves an app OutOfSync until its automated sync ends, D later (default 1s)", 0,
	 0, 0},
	{SH_OPT_HEALTH_DELAY, 0, SH_DURATION, "D",
	 "rollout after a sync: Progressing for D, then Healthy (default 1s)", 0, 0, 0},
	{SH_OPT_DEGRADE_TAG, 0, SH_STR, "TAG",
	 "instances running this image tag end Degraded (progress deadline exceeded; their pods "
	 "crash-loop, with a BackOff event and an error line in their logs)",
	 0, 0, 0},
	{SH_OPT_LATENCY, 0, SH_DURATION, "D", "fault: delay every answer by D", 0, 0, 0},
	{SH_OPT_FAIL_RATE, 0, SH_STR, "P",
	 "fault: answer this fraction (0..1) of requests with 500/503", 0, 0, 0},
	{SH_OPT_MALFORMED, 0, SH_BOOL, NULL, "fault: cut every JSON body in half", 0, 0, 0},
	{SH_OPT_DROP_STREAM, 0, SH_DURATION, "D",
	 "fault: cut each watch stream in the middle of an event, D after it opened", 0, 0, 0},
	{SH_OPT_KEEPALIVE, 0, SH_DURATION, "D",
	 "keepalive comments on idle watch streams every D (default 15s, as Argo CD)", 0, 0, 0},
	{SH_OPT_POLL, 0, SH_DURATION, "D",
	 "read the tenant repos for new commits every D (default 100ms)", 0, 0, 0},
	{SH_OPT_POLL_INTERVAL, 0, SH_DURATION, "D",
	 "Argo CD's timeout.reconciliation: an Application notices a new commit only every D, "
	 "unless refreshed (default 0: at once)",
	 0, 0, 0},
	{SH_OPT_APPSET_REQUEUE, 0, SH_DURATION, "D",
	 "the ApplicationSet generator re-reads Git only every D, unless its refresh annotation is "
	 "set (default 0: at once)",
	 0, 0, 0},
	{SH_OPT_REALISTIC, 0, SH_BOOL, NULL,
	 "Argo CD's timing without a webhook: --poll-interval 3m --appset-requeue 3m (explicit "
	 "flags win)",
	 0, 0, 0},
	{SH_OPT_TLS, 0, SH_BOOL, NULL,
	 "serve HTTPS with a CA of its own, made once in MECH_HOME/sim/ (clients trust its ca.crt)",
	 0, 0, 0},
	{SH_OPT_KUSTOMIZE, 0, SH_STR, "MODE",
	 "render kustomize overlays with kubectl (`kubectl kustomize`, as Argo CD renders them), "
	 "builtin (the sim's own subset: no patches, no generators) or auto: kubectl when it is on "
	 "PATH (default auto)",
	 0, 0, 0},
	{SH_OPT_VERBOSE, 'v', SH_BOOL, NULL,
	 "log on stderr every Application created or deleted and every sync and health change", 0,
	 0, 0},
	END,
};

static const sh_flag rollback_flags[] = {
	APP_TARGET,
	INSTANCE_TARGET,
	{SH_OPT_TO, 0, SH_STR, "REV",
	 "the commit whose state to restore (default: before the last deploy)", 0, 0, 0},
	{SH_OPT_WAIT, 0, SH_BOOL, NULL,
	 "then wait until Synced and Healthy (exit 0/1/2 as app wait)", 0, 0, 0},
	{SH_OPT_TIMEOUT, 0, SH_DURATION, "D", "with --wait: how long (default 5m)", 0, 0, 0},
	END,
};

static const sh_flag app_history_flags[] = {
	APP_TARGET,
	INSTANCE_TARGET,
	{SH_OPT_MAX_COUNT, 'n', SH_INT, "N", "at most N changes (default 20)", 1, 100000, 0},
	END,
};

static const sh_flag app_logs_flags[] = {
	APP_TARGET,
	INSTANCE_TARGET,
	{SH_OPT_TAIL, 0, SH_INT, "N", "the last N lines of each pod (default 200, at most 5000)", 1,
	 5000, 0},
	{SH_OPT_SINCE, 0, SH_DURATION, "D", "only lines newer than D (e.g. 10m, 1h)", 0, 0, 0},
	{SH_OPT_PREVIOUS, 0, SH_BOOL, NULL,
	 "the previous run of each container (the one that crashed)", 0, 0, 0},
	{SH_OPT_CONTAINER, 'c', SH_STR, "C", "this container (default: the pod's only one)", 0, 0,
	 0},
	{SH_OPT_POD, 0, SH_STR, "P", "only this pod of the instance", 0, 0, 0},
	{SH_OPT_FOLLOW, 'f', SH_BOOL, NULL, "stream new lines of one pod until --timeout", 0, 0, 0},
	{SH_OPT_TIMEOUT, 0, SH_DURATION, "D", "with --follow (required): how long to stream", 0, 0,
	 0},
	END,
};

static const sh_flag review_flags[] = {
	{SH_OPT_COMMENT, 0, SH_STR, "C", "a one-line comment kept in the note", 0, 0, 0},
	END,
};

static const sh_flag log_flags[] = {
	{SH_OPT_MAX_COUNT, 'n', SH_INT, "N", "at most N commits (default 20)", 1, 100000, 0},
	{SH_OPT_PATH, 0, SH_STR, "P", "only commits touching path P", 0, 0, 0},
	{SH_OPT_CLASS, 0, SH_STR, "C", "only machine, human or forced commits", 0, 0, 0},
	{SH_OPT_UNREVIEWED, 0, SH_BOOL, NULL,
	 "with --class forced: only forced writes no operator has reviewed", 0, 0, 0},
	{SH_OPT_ALL_TENANTS, 0, SH_BOOL, NULL,
	 "operator: every tenant's commits, newest first, with a TENANT column (local only; not "
	 "with --tenant)",
	 0, 0, 0},
	END,
};

const sh_command sh_commands[] = {
	{"help", NULL, "help", SH_GUEST, "[COMMAND…|exit-codes]", 0, 4, no_flags, sh_cmd_help,
	 "Show the workflow map, help for a command, or the exit codes.",
	 "COMMAND  a noun or noun and verb (app, app create); exit-codes for the exit-code table",
	 "None: help never needs a tenant and never writes.",
	 "mech help\nmech help app create\nmech app create -h\nmech help exit-codes", "mech whoami"},
	{"version", NULL, "version", SH_GUEST | SH_HIDDEN, "", 0, 0, no_flags, sh_version,
	 "Print mech's version.", "None.", "None.", "mech --version", "mech help"},

	{"whoami", NULL, "whoami", SH_GUEST, "", 0, 0, no_flags, sh_whoami,
	 "Who you are: tenant, acting user, key, repo, and the Argo CD/Kubernetes endpoints "
	 "(warns when Argo CD is older than v3.3.0, the oldest mech supports).",
	 "None.", "None (read-only).", "mech whoami\nssh -T mech-host -- whoami --json",
	 "mech app list"},
	{"ssh", NULL, "ssh", SH_OPERATOR | SH_HIDDEN, "", 0, 0, ssh_flags, sh_ssh,
	 "The SSH forced command: run SSH_ORIGINAL_COMMAND as one mech command.", "None.",
	 "Whatever the requested command does; the tenant and the key come from --tenant and "
	 "--key (set by `mech ssh-keys`), never from the request. A --key that is not one of the "
	 "tenant's keys is refused (exit 77). Shell syntax is refused (exit 64).",
	 "command=\"/usr/bin/mech --home /var/lib/mech ssh --tenant alice --key SHA256:…\",restrict "
	 "ssh-ed25519 AAAA…",
	 "see docs/ssh.md"},
	{"ssh-keys", NULL, "ssh-keys", SH_OPERATOR | SH_HIDDEN, "USER TYPE KEY", 0, 3, no_flags,
	 sh_ssh_keys, "sshd's AuthorizedKeysCommand: print the authorized_keys line for a key.",
	 "USER TYPE KEY  sshd's %u %t %k",
	 "None (read-only). A registered key gets `ssh --tenant T --key FINGERPRINT`; any other a "
	 "guest session. A tenant record that cannot be read is skipped (one line on stderr); a key "
	 "that such a record names gets no line (exit 78).",
	 "AuthorizedKeysCommand /usr/bin/mech --home /var/lib/mech ssh-keys %u %t %k",
	 "see docs/ssh.md"},

	{"admin", "init", "admin.init", SH_OPERATOR, "", 0, 0, no_flags, sh_admin_init,
	 "Create MECH_HOME with a default mech.yaml and the machine's signing key.", "None.",
	 "Creates MECH_HOME/{mech.yaml,tenants,cache} and keys/signing_ed25519 (Ed25519, used to "
	 "sign every receipt) if absent; never overwrites either.",
	 "mech --home /var/lib/mech admin init", "mech admin tenant add alice --key alice.pub"},
	{"admin", "allowed-signers", "admin.allowed-signers", SH_OPERATOR, "", 0, 0, no_flags,
	 sh_admin_allowed_signers,
	 "Print the allowed-signers file that verifies mech's signed receipts.", "None.",
	 "None (read-only). Lists the current signing key and every retired one.",
	 "mech admin allowed-signers > allowed_signers\n"
	 "git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile=allowed_signers verify-commit HEAD",
	 "mech log"},
	{"admin", "rotate-key", "admin.rotate-key", SH_OPERATOR, "", 0, 0, no_flags,
	 sh_admin_rotate_key, "Replace the machine's signing key (old receipts stay verifiable).",
	 "None.",
	 "Writes a new MECH_HOME/keys/signing_ed25519; the old public key moves to keys/retired/ "
	 "and stays in the allowed-signers file. Hosts sharing tenant repos need the same keys/.",
	 "mech admin rotate-key", "mech admin allowed-signers"},
	{"admin", "tenant add", "tenant.add", SH_OPERATOR, "T", 1, 1, tenant_add_flags,
	 sh_admin_tenant_add, "Register a tenant (and its SSH keys) and seed its GitOps repository.",
	 "T  tenant name (DNS label, at most 40 characters)",
	 "Writes tenants/T/tenant.yaml; creates tenants/T/gitops.git and makes one "
	 "mechanics(tenant.seed) commit (README.md and argocd/*.yaml). With gitops.remote set, pushes "
	 "the seed, or adopts a remote that is already seeded, or pushes the local history to a "
	 "remote whose branch is empty. On an existing tenant, adds the keys; when argocd/*.yaml "
	 "name another repo URL than --repo-url (or the default), rewrites them in one receipt. "
	 "Argo CD reads argocd/*.yaml only when an operator applies them (kubectl apply -n argocd "
	 "-f argocd/): a write that creates or changes them warns so.",
	 "mech admin tenant add alice --key alice.pub\n"
	 "mech admin tenant add alice --repo-url https://git.example/alice.git\n"
	 "mech admin tenant add bob --name 'Bob B' --email bob@example.com",
	 "mech --tenant alice app create web --image nginx:1.27"},
	{"admin", "tenant list", "tenant.list", SH_OPERATOR, "", 0, 0, no_flags,
	 sh_admin_tenant_list, "List tenants with their namespace, identity and key count.",
	 "None.", "None (read-only).", "mech admin tenant list", "mech --tenant T log"},
	{"admin", "tenant remove", "tenant.remove", SH_OPERATOR, "T", 1, 1, tenant_remove_flags,
	 sh_admin_tenant_remove, "Remove a tenant from this host: its SSH keys stop working.",
	 "T  tenant name",
	 "Deletes tenants/T/tenant.yaml, so `mech ssh-keys` serves none of its keys from the next "
	 "connection on. Keeps tenants/T/gitops.git and cache/T/ (`tenant add T` adopts them "
	 "again) unless --purge, which deletes both: with no gitops.remote that is the only copy "
	 "of its history. Argo CD's Applications are not touched. Without --force: exit 3.",
	 "mech admin tenant remove alice --force\nmech admin tenant remove alice --force --purge",
	 "mech admin tenant list"},
	{"admin", "tenant key add", "tenant.key-add", SH_OPERATOR, "T KEY", 2, 2, no_flags,
	 sh_admin_tenant_key_add, "Register an SSH key with a tenant.",
	 "T    tenant name\n"
	 "KEY  a .pub file, one public key line, or a fingerprint SHA256:… (as ssh-keygen -lf "
	 "prints it)",
	 "Rewrites tenants/T/tenant.yaml atomically (its mode kept). The key acts as its comment's "
	 "e-mail address, else as the tenant's identity. A key another tenant has is refused "
	 "(65); one T has already changes nothing (exit 0, changed:false).",
	 "mech admin tenant key add alice ci.pub\n"
	 "mech admin tenant key add alice SHA256:tz/5IfqcJAJEGhirFK2Aohs45wvoJ6WD+5C9vBmGHXE",
	 "mech admin tenant key list alice"},
	{"admin", "tenant key remove", "tenant.key-remove", SH_OPERATOR, "T KEY", 2, 2, no_flags,
	 sh_admin_tenant_key_remove, "Revoke an SSH key: its next connection is refused.",
	 "T    tenant name\nKEY  the key's fingerprint SHA256:…, its public key line or .pub file",
	 "Rewrites tenants/T/tenant.yaml atomically (its mode kept). From the next connection on "
	 "the key is a guest (help and whoami only); a session already open (a console) runs "
	 "until it ends. A key T does not have: exit 4.",
	 "mech admin tenant key remove alice SHA256:tz/5IfqcJAJEGhirFK2Aohs45wvoJ6WD+5C9vBmGHXE",
	 "mech admin tenant key list alice"},
	{"admin", "tenant key list", "tenant.key-list", SH_OPERATOR, "T", 1, 1, no_flags,
	 sh_admin_tenant_key_list,
	 "List a tenant's SSH keys: fingerprint, type, the identity each acts as.",
	 "T  tenant name", "None (read-only).",
	 "mech admin tenant key list alice\nmech admin tenant key list alice --json",
	 "mech admin tenant key remove alice SHA256:…"},

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
	{"app", "set-image", "app.set-image", SH_MUTATES | SH_TENANT, "REF", 1, 1, set_image_flags,
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
	{"app", "scale", "app.scale", SH_MUTATES | SH_TENANT, "", 0, 0, scale_flags, sh_app_scale,
	 "Set how many replicas an instance runs (0 stops it).", "None.",
	 "Writes apps/APP/overlays/INSTANCE/replicas.yaml (a patch of the Deployment) and lists it "
	 "in the overlay's patches, in one mechanics(app.scale) commit; when the overlay has a "
	 "replicas: entry of its own (it wins in kustomize), rewrites that entry instead and says "
	 "so. The same number again writes nothing.",
	 "mech app -a web scale --replicas 3\nmech app -a web -i staging scale --replicas 0 --wait",
	 "mech app -a web wait\nmech app -a web info"},
	{"app", "env set", "app.env-set", SH_MUTATES | SH_TENANT, "KEY=VALUE…", 1, 64,
	 env_set_flags, sh_app_env_set, "Set env variables of one instance (or of every instance).",
	 "KEY=VALUE  one or more variables; with --from-secret one KEY",
	 "Writes apps/APP/overlays/INSTANCE/env.yaml (a patch merged by name onto the base "
	 "container's env) and lists it in the overlay's patches; with --all-instances edits the env "
	 "of apps/APP/base/deployment.yaml instead. One mechanics(app.env-set) commit; the same "
	 "values again write nothing. Values are plain text in Git: put secrets in a Kubernetes "
	 "Secret and use --from-secret.",
	 "mech app -a web env set LOG_LEVEL=debug MODE=fast\n"
	 "mech app -a web env set DATABASE_URL --from-secret db-app:uri\n"
	 "mech app -a web env set --all-instances REGION=eu",
	 "mech app -a web env list\nmech app -a web wait"},
	{"app", "env unset", "app.env-unset", SH_MUTATES | SH_TENANT, "KEY…", 1, 64,
	 env_unset_flags, sh_app_env_unset, "Remove env variables from one instance (or all).",
	 "KEY  one or more variable names",
	 "Removes them from apps/APP/overlays/INSTANCE/env.yaml; a variable the base Deployment "
	 "sets gets a `$patch: delete` entry there, so this instance alone loses it. With "
	 "--all-instances removes them from the base Deployment's env. A name set nowhere writes "
	 "nothing.",
	 "mech app -a web env unset LOG_LEVEL\nmech app -a web env unset --all-instances REGION",
	 "mech app -a web env list"},
	{"app", "env list", "app.env-list", SH_TENANT, "", 0, 0, app_target_flags, sh_app_env_list,
	 "Show an instance's effective env: the base's merged with the instance's env.yaml.",
	 "None.",
	 "None (read-only). Each variable with its value or `from secret S:KEY`, and where it comes "
	 "from (base or instance).",
	 "mech app -a web env list\nmech app -a web -i staging env list --json",
	 "mech app -a web env set KEY=VALUE"},
	{"app", "history", "app.history", SH_TENANT, "", 0, 0, app_history_flags, sh_app_history,
	 "List the commits that changed what an instance runs: image, replicas, env.", "None.",
	 "None (read-only). Receipts and human commits alike, newest first, each with the fields "
	 "it changed (from and to); commits that changed only other instances or nothing that "
	 "runs are left out.",
	 "mech app -a web history\nmech app -a web -i staging history -n 5 --json", "mech show REV"},
	{"app", "rollback", "app.rollback", SH_MUTATES | SH_TENANT, "", 0, 0, rollback_flags,
	 sh_app_rollback, "Put an instance back as it was before its last deploy, or at a commit.",
	 "None.",
	 "Writes the instance's own files (apps/APP/overlays/INSTANCE/) as they were at the "
	 "commit, in one mechanics(app.rollback) commit with a Mechanics-Rollback-To trailer. "
	 "Changes to the app's base since then stay (undo them with `mech revert REV`).",
	 "mech app -a web rollback\nmech app -a web -i main rollback --to 3f2a9c1 --wait",
	 "mech app -a web wait\nmech app -a web history"},
	{"app", "logs", "app.logs", SH_TENANT, "", 0, 0, app_logs_flags, sh_app_logs,
	 "Print the logs of an instance's pods (bounded), from the Kubernetes API.", "None.",
	 "None (read-only; asks Kubernetes). Pods are the instance's (labels "
	 "app.kubernetes.io/name and mech.dev/instance); each line is prefixed [POD] when there "
	 "are several. At most 200 lines per pod by default (--tail, up to 5000) and 1 MiB in all. "
	 "--follow streams one pod's new lines until --timeout (required) and never longer. An "
	 "unknown --pod or --container: exit 4.",
	 "mech app -a web logs\nmech app -a web -i main logs --tail 50 --since 10m\n"
	 "mech app -a web logs --previous --pod web--main-5d8f9c7b6d-x2x9q\n"
	 "mech app -a web logs --follow --timeout 1m",
	 "mech app -a web events"},
	{"app", "events", "app.events", SH_TENANT, "", 0, 0, app_target_flags, sh_app_events,
	 "List the recent Kubernetes events of an instance's objects, warnings first.", "None.",
	 "None (read-only; asks Kubernetes). The events of the instance's Deployment, its "
	 "ReplicaSets and Pods, its Service and HTTPRoute, as `kubectl get events` shows them: "
	 "last seen, type, reason, object, count, message; warnings first, then newest first, at "
	 "most 100.",
	 "mech app -a web events\nmech app -a web -i staging events --json", "mech app -a web logs"},
	{"app", "wait", "app.wait", SH_TENANT, "", 0, 0, app_wait_flags, sh_app_wait,
	 "Wait until Argo CD reports the instance Synced and Healthy at the written revision.",
	 "None.",
	 "None in Git. Asks Argo CD once to refresh (compare now rather than at its 3-minute "
	 "poll; the ApplicationSet too while the Application does not exist). One progress line "
	 "per state change on stderr. Exit 0 when Synced and "
	 "Healthy at the revision mech wrote (and --tag), 1 when Degraded or the sync failed (with "
	 "the reason), 2 when the timeout passes while still progressing; 65 at once when Git "
	 "holds another tag than --tag for the instance.",
	 "mech app -a web wait\nmech app -a web wait --tag 1.27.1 --timeout 2m\nmech app -a web wait "
	 "--gone",
	 "mech app -a web info\nmech route -a web create"},
	{"app", "sync", "app.sync", SH_TENANT, "", 0, 0, app_target_flags, sh_app_sync,
	 "Ask Argo CD to sync the instance now.", "None.",
	 "Starts an Argo CD sync operation (nothing is written to Git).", "mech app -a web sync",
	 "mech app -a web wait"},
	{"app", "diff", "app.diff", SH_TENANT, "", 0, 0, app_diff_flags, sh_app_diff,
	 "Show live vs desired per resource (Argo CD managed resources).", "None.",
	 "None (read-only). Differences are a result, not a failure: exit 0, or 1 with --exit-code.",
	 "mech app -a web diff\nmech app -a web diff --exit-code --json", "mech app -a web sync"},
	{"app", "delete", "app.delete", SH_MUTATES | SH_TENANT, "", 0, 0, app_only_flags,
	 sh_app_delete, "Remove an app from Git (Argo CD then prunes it; always needs --force).",
	 "None.",
	 "Deletes apps/APP/ and mech-owned network/routes/APP/*.yaml in one mechanics(app.delete) "
	 "commit. Addons are never deleted with an app. Without --force: exit 3 and the plan.",
	 "mech app -a web delete --dry-run\nmech app -a web delete --force", "mech app list"},
	{"app", "instance add", "app.instance-add", SH_MUTATES | SH_TENANT, "I", 1, 1,
	 instance_add_flags, sh_app_instance_add,
	 "Add an instance by copying another instance's overlay.",
	 "I  new instance name (DNS label)",
	 "Writes apps/APP/overlays/I/kustomization.yaml (hand-made patches of the source are kept).",
	 "mech app -a web instance add staging\nmech app -a web instance add canary --from staging",
	 "mech app -a web -i I set-image REF\nmech route -a web -i I create"},
	{"app", "instance remove", "app.instance-remove", SH_MUTATES | SH_TENANT, "I", 1, 1,
	 app_only_flags, sh_app_instance_remove,
	 "Remove an instance and its route (always needs --force).", "I  instance name",
	 "Deletes apps/APP/overlays/I/ and network/routes/APP/I.yaml if mech owns it. Without "
	 "--force: exit 3 and the plan.",
	 "mech app -a web instance remove staging --dry-run\nmech app -a web instance remove "
	 "staging --force",
	 "mech app -a web info"},

	{"route", "create", "route.create", SH_MUTATES | SH_TENANT, "", 0, 0, route_create_flags,
	 sh_route_create, "Expose an app instance with a Gateway API HTTPRoute.", "None.",
	 "Writes network/routes/APP/INSTANCE.yaml (an HTTPRoute to the Service APP-INSTANCE on "
	 "port 80, attached to the configured Gateway) in one mechanics(route.create) commit.",
	 "mech route -a web create\nmech route -a web -i staging create --host "
	 "staging.alice.apps.localhost --path /",
	 "mech route list"},
	{"route", "list", "route.list", SH_TENANT, "", 0, 0, route_list_flags, sh_route_list,
	 "List routes: host, path, app, instance and owner.", "None.", "None (read-only).",
	 "mech route list\nmech route list -a web --json", "mech route -a APP delete"},
	{"route", "info", "route.info", SH_TENANT, "", 0, 0, app_target_flags, sh_route_info,
	 "Show a route's status: Accepted and ResolvedRefs per Gateway, with reasons.", "None.",
	 "None (read-only; asks Kubernetes).", "mech route -a web info", "mech route -a web wait"},
	{"route", "wait", "route.wait", SH_TENANT, "", 0, 0, target_wait_flags, sh_route_wait,
	 "Wait until the route is Accepted and its backend resolved.", "None.",
	 "None (read-only). Exit 0 when Accepted and ResolvedRefs, 1 when either is False (with the "
	 "reason), 2 on timeout. First waits for Argo CD to sync the latest commit (the T--network "
	 "Application Synced at it); conditions of an older generation of the route do not count. "
	 "ResolvedRefs=False with BackendNotFound is pending while the "
	 "backend's Application is not Synced and Healthy (the route often arrives first), and "
	 "fails only if it lasts a few polls after.",
	 "mech route -a web wait --timeout 1m", "mech route -a web info"},
	{"route", "delete", "route.delete", SH_MUTATES | SH_TENANT, "", 0, 0, app_target_flags,
	 sh_route_delete,
	 "Remove an app instance's route (only files mech owns; always needs --force).", "None.",
	 "Deletes network/routes/APP/INSTANCE.yaml in one mechanics(route.delete) commit. "
	 "User-authored files under network/ are never touched. Without --force: exit 3 and the "
	 "plan.",
	 "mech route -a web delete --force\nmech route -a web -i staging delete --dry-run",
	 "mech route list"},

	{"addon", "type list", "addon.type-list", SH_TENANT, "", 0, 0, no_flags, sh_addon_type_list,
	 "List the addon types mech can create.", "None.", "None (read-only).",
	 "mech addon type list", "mech addon type info postgres"},
	{"addon", "type info", "addon.type-info", SH_TENANT, "TYPE", 1, 1, no_flags,
	 sh_addon_type_info, "Show an addon type's parameters and their bounds.",
	 "TYPE  an addon type, e.g. postgres", "None (read-only).", "mech addon type info postgres",
	 "mech addon create db --type postgres"},
	{"addon", "create", "addon.create", SH_MUTATES | SH_TENANT, "NAME", 1, 1, addon_create_flags,
	 sh_addon_create, "Create an addon, e.g. a PostgreSQL cluster run by CloudNativePG.",
	 "NAME  addon name (DNS label, at most 40 characters)",
	 "Writes addons/NAME/cluster.yaml (a CloudNativePG Cluster: database app, owner app) in "
	 "one mechanics(addon.create) commit. No credential is written to Git: CloudNativePG "
	 "creates the secret NAME-app.",
	 "mech addon create db --type postgres\nmech addon create db --type postgres --version 18 "
	 "--storage 5Gi --memory 1Gi",
	 "mech addon -n NAME info\nmech app -a APP set-image REF"},
	{"addon", "list", "addon.list", SH_TENANT, "", 0, 0, no_flags, sh_addon_list,
	 "List addons with type, version, storage and memory.", "None.", "None (read-only).",
	 "mech addon list", "mech addon -n NAME info"},
	{"addon", "info", "addon.info", SH_TENANT, "", 0, 0, addon_target_flags, sh_addon_info,
	 "Show readiness and connection info: host, port, database, user, and the secret to wire "
	 "as DATABASE_URL (never a password).",
	 "None.", "None (read-only; asks Kubernetes).",
	 "mech addon -n db info\nmech addon -n db info --json", "mech app -a APP set-image REF"},
	{"addon", "wait", "addon.wait", SH_TENANT, "", 0, 0, addon_wait_flags, sh_addon_wait,
	 "Wait until the addon's cluster is ready.", "None.",
	 "None (read-only). First waits for Argo CD to sync the latest commit (the T--addons "
	 "Application Synced at it), then for the cluster's Ready condition of its current "
	 "generation. Exit 0 when ready, 1 when that sync failed, 2 on timeout.",
	 "mech addon -n db wait --timeout 5m", "mech addon -n db info"},
	{"addon", "set", "addon.set", SH_MUTATES | SH_TENANT, "", 0, 0, addon_set_flags,
	 sh_addon_set, "Change an addon's memory (version and storage are create-only).", "None.",
	 "Rewrites the memory request and limit in addons/NAME/cluster.yaml, keeping everything "
	 "else, in one mechanics(addon.set) commit.",
	 "mech addon -n db set --memory 1Gi\nmech addon -n db set --memory 1Gi --wait",
	 "mech addon list"},
	{"addon", "link", "addon.link", SH_MUTATES | SH_TENANT, "", 0, 0, addon_link_flags,
	 sh_addon_link, "Wire an addon into an app instance as DATABASE_URL (or --env NAME).",
	 "None.",
	 "Sets NAME from the addon's Secret NAME-app, key uri (a secretKeyRef in "
	 "apps/APP/overlays/INSTANCE/env.yaml), in one mechanics(addon.link) commit; no credential "
	 "enters Git. Linking again with the same env writes nothing.",
	 "mech addon -n db link -a web\nmech addon -n db link -a web -i staging --env PG_URL --wait",
	 "mech app -a web env list\nmech addon -n db wait"},
	{"addon", "unlink", "addon.unlink", SH_MUTATES | SH_TENANT, "", 0, 0, addon_unlink_flags,
	 sh_addon_unlink, "Remove an addon's wiring from an app instance.", "None.",
	 "Removes the env entries of apps/APP/overlays/INSTANCE/env.yaml that read the addon's "
	 "Secret (only --env NAME when given) in one mechanics(addon.unlink) commit; nothing linked "
	 "writes nothing. The addon and its data stay.",
	 "mech addon -n db unlink -a web", "mech app -a web env list"},
	{"addon", "delete", "addon.delete", SH_MUTATES | SH_TENANT, "", 0, 0, addon_target_flags,
	 sh_addon_delete, "Delete an addon and its data (always needs --force).", "None.",
	 "Deletes addons/NAME/ in one mechanics(addon.delete) commit; Argo CD then deletes the "
	 "cluster and its volumes. Without --force: exit 3 and the plan.",
	 "mech addon -n db delete --dry-run\nmech addon -n db delete --force", "mech addon list"},

	{"secret", "set", "secret.set", SH_MUTATES | SH_TENANT, "NAME KEY", 2, 2, no_flags,
	 sh_secret_set,
	 "Set one key of a secret; the value is read from stdin, never from the command line.",
	 "NAME  secret name (DNS label, at most 40 characters; not <addon>-app and the other "
	 "names CloudNativePG takes)\nKEY   key in the Secret: letters, digits, '-', '_', '.'\n"
	 "stdin the value, at most 1 MiB; one trailing newline is dropped; a terminal is "
	 "refused",
	 "Creates or patches the Kubernetes Secret NAME in x-TENANT (type Opaque, labelled "
	 "app.kubernetes.io/managed-by=mech) through the Kubernetes API, then records in "
	 "secrets/NAME.yaml, in one mechanics(secret.set) commit, the key, its version (one more "
	 "each set), who set it and when. The value is never in Git, argv, output or logs. Needs "
	 "kubernetes.url (78 without); with --dry-run the cluster is not touched.",
	 "mech secret set db-pass password < password.txt\n"
	 "printf %s \"$TOKEN\" | mech secret set api token\n"
	 "ssh -T mech-host -- secret set db-pass password < password.txt",
	 "mech secret -n NAME info\nmech app -a APP env set KEY --from-secret NAME:KEY"},
	{"secret", "list", "secret.list", SH_TENANT, "", 0, 0, no_flags, sh_secret_list,
	 "List secrets from the ledger in Git: keys, when last set, and whether the cluster has "
	 "each.",
	 "None.",
	 "None (read-only). Reads secrets/*.yaml; with kubernetes.url also whether each "
	 "Secret exists (never its values).",
	 "mech secret list\nmech secret list --json", "mech secret -n NAME info"},
	{"secret", "info", "secret.info", SH_TENANT, "", 0, 0, secret_target_flags, sh_secret_info,
	 "Show a secret's keys: version, who set each and when, and whether the cluster has it "
	 "(never a value).",
	 "None.", "None (read-only).",
	 "mech secret -n db-pass info\nmech secret -n db-pass info --json",
	 "mech app -a APP env set KEY --from-secret NAME:KEY"},
	{"secret", "unset", "secret.unset", SH_MUTATES | SH_TENANT, "KEY", 1, 1, secret_target_flags,
	 sh_secret_unset, "Remove one key from a secret (its value is lost: needs --force).",
	 "KEY  the key to remove",
	 "Removes KEY from the Kubernetes Secret NAME (a merge patch), then from secrets/NAME.yaml "
	 "in one mechanics(secret.unset) commit. Without --force: exit 3, nothing changes.",
	 "mech secret -n db-pass unset old-password --force", "mech secret -n NAME info"},
	{"secret", "delete", "secret.delete", SH_MUTATES | SH_TENANT, "", 0, 0, secret_target_flags,
	 sh_secret_delete,
	 "Delete a secret from the cluster and its ledger (always needs --force).", "None.",
	 "Deletes the Kubernetes Secret NAME in x-TENANT, then secrets/NAME.yaml in one "
	 "mechanics(secret.delete) commit. Without --force: exit 3 and the plan; nothing "
	 "changes.",
	 "mech secret -n db-pass delete --dry-run\nmech secret -n db-pass delete --force",
	 "mech secret list"},

	{"log", NULL, "log", SH_TENANT, "", 0, 0, log_flags, sh_log,
	 "List receipts: the tenant repo's commits with class, verb and target.", "None.",
	 "None (read-only).",
	 "mech log\nmech log -n 5 --class forced\nmech log --path apps/web/base/deployment.yaml\n"
	 "mech log --all-tenants --class forced",
	 "mech show REV"},
	{"review", NULL, "review", SH_OPERATOR | SH_TENANT, "REV", 1, 1, review_flags, sh_review,
	 "Mark a forced write reviewed: a git note on it under refs/notes/mechanics-review.",
	 "REV  the forced receipt (a sha or prefix, HEAD~N)",
	 "Writes a note on REV under refs/notes/mechanics-review (reviewed-by, reviewed-at, "
	 "comment), authored by the local user as USER@localhost, committed by the machine "
	 "identity, under the tenant lock; a second review replaces the note. The note stays in "
	 "the host's repo (not pushed). A commit that is not a forced write: exit 65.",
	 "mech review 5930790\nmech review 5930790 --comment 'agreed with hanna'",
	 "mech log --class forced --unreviewed"},
	{"revert", NULL, "revert", SH_MUTATES | SH_TENANT, "REV", 1, 1, no_flags, sh_revert,
	 "Undo one commit's changes to the files mech manages, as a new receipt.",
	 "REV  a commit on the branch: sha (or prefix), HEAD or HEAD~N",
	 "One mechanics(commit.revert) commit undoing REV's changes under apps/, network/routes/ and "
	 "addons/ by a three-way merge (later changes to other lines stay), with a "
	 "Mechanics-Reverts trailer. Reverting a forced write restores the human change it "
	 "overrode. Other paths REV changed are left and named.",
	 "mech revert 3f2a9c1\nmech revert HEAD --dry-run", "mech log\nmech show HEAD"},
	{"show", NULL, "show", SH_TENANT, "REV", 1, 1, no_flags, sh_show,
	 "Show one commit: class, trailers, files and diff.",
	 "REV  a commit sha (or prefix), branch, or HEAD~N", "None (read-only).",
	 "mech show HEAD\nmech show 3f2a9c1", "mech log"},

	/* no SH_TENANT: each tool call resolves its own (a guest's session has none) */
	{"mcp", NULL, "mcp", SH_GUEST | SH_SERVER, "", 0, 0, mcp_flags, sh_mcp,
	 "Serve these commands as typed tools to an AI agent: a Model Context Protocol server on "
	 "stdin/stdout, or with --http on a loopback HTTP port.",
	 "None. Newline-delimited JSON-RPC 2.0 on stdin, answers on stdout; with --http, MCP's "
	 "Streamable HTTP at /mcp (docs/mcp.md).",
	 "Each tools/call runs one command exactly as `mech <command> --json` would, with the "
	 "same protection and receipts. Tools: every command but operator-only, interactive and "
	 "server ones; a guest key gets help and whoami. Over SSH the key decides the tenant; "
	 "tool arguments never name one. Ends at end of input (exit 0). --http serves the local "
	 "tenant (--tenant) until SIGINT or SIGTERM (exit 0), after printing \"mech mcp: "
	 "listening on URL\"; it needs --token-file or --no-auth, refuses a non-loopback ADDR "
	 "(exit 64) and is refused over SSH (exit 77).",
	 "mech --tenant alice mcp\nssh -T mech-host -- mcp\n"
	 "mech --tenant alice mcp --http 127.0.0.1:8808 --token-file ~/.config/mech/mcp-token",
	 "see docs/mcp.md"},

	/* no SH_TENANT: with --all-tenants it needs none (sh_console resolves the tenant) */
	{"console", NULL, "console", SH_TTY, "", 0, 0, console_flags, sh_console,
	 "The inspection console: apps, routes, addons, receipts and forced overwrites, with live "
	 "Argo CD sync and health: one tenant's, or with --all-tenants every tenant's.",
	 "None. Keys: 1-5 views, j/k move, Enter drill in, Esc/q back, / filter (search in text, "
	 "n/N), d diff, y copy, r refresh, : command, ? keys, T theme, p pause, l logs, e events, "
	 "h an instance's history, R roll back (asks first; in the forced view it restores the "
	 "human's version), m mark a forced write reviewed (docs/console.md).",
	 "None by itself; a command run from its : prompt writes as `mech <command>` would "
	 "(--readonly refuses those that write), as do R (`revert`, after its plan and a "
	 "question) and m (`review`) in the forced view. With --all-tenants a : command runs as the "
	 "tenant it names (--tenant T) or the selected row's, and asks first when it writes "
	 "without naming one. --all-tenants over SSH is refused (exit 77).",
	 "mech console\nmech --readonly console\nmech console --all-tenants\n"
	 "ssh -t mech-host -- console",
	 "mech log"},

	{"shell", NULL, "shell", SH_TENANT | SH_TTY, "", 0, 0, no_flags, sh_shell,
	 "An interactive shell over the same commands, with completion and history.", "None.",
	 "Runs the commands you type, each exactly as `mech <command>` would; history is kept in "
	 "MECH_HOME/cache/TENANT/shell_history.",
	 "mech shell\nssh -t mech-host -- shell", "help (inside the shell)"},

	{"sim", NULL, "sim", SH_OPERATOR | SH_SERVER, "", 0, 0, sim_flags, sh_sim,
	 "Serve a local stand-in for Argo CD and Kubernetes, computed from the tenant repos.",
	 "None. Durations: 250ms, 2s, 1m30s. Stop it with Ctrl-C or SIGTERM (exit 0).",
	 "Reads MECH_HOME/tenants/*/gitops.git; writes nothing but, with --tls, its CA and "
	 "certificate in MECH_HOME/sim/, and, while `kubectl kustomize` renders an overlay, a "
	 "private copy of its files under $TMPDIR (removed after). Says on stderr at start which "
	 "kustomize renders overlays; without kubectl its own subset ignores patches and "
	 "generators. Listens on loopback only and prints "
	 "`mech sim: listening on URL` on stdout (with --json: one object, result.url, once it "
	 "listens). Like Argo CD it knows each tenant's argocd/*.yaml as applied: once, when it "
	 "first sees the tenant, and again on SIGHUP (what `kubectl apply -n argocd -f argocd/` "
	 "does); sync windows, the AppProject and sync retries apply as in Argo CD.",
	 "mech sim --listen 127.0.0.1:8080\nmech sim --listen 127.0.0.1:0 --sync-delay 500ms\n"
	 "mech sim --listen 127.0.0.1:0 --fail-rate 0.5 --latency 200ms\n"
	 "mech sim --listen 127.0.0.1:0 --realistic",
	 "set argocd.url and kubernetes.url in mech.yaml to its address"},

	{"demo", NULL, "demo", SH_OPERATOR | SH_HIDDEN, "", 0, 0, no_flags, sh_demo,
	 "A scripted tour on a temporary home.", "None.",
	 "Creates and removes a temporary MECH_HOME; touches nothing else.", "mech demo",
	 "mech help"},

	{"gen", "man", "gen.man", SH_OPERATOR | SH_HIDDEN, "", 0, 0, no_flags, sh_gen_man,
	 "Print the mech(1) manual page (roff), generated from this command table.", "None.",
	 "None: prints to stdout. The build writes it to build/mech.1; the package installs it.",
	 "mech gen man > mech.1\nmech gen man | man -l -", "mech gen man5"},
	{"gen", "man5", "gen.man5", SH_OPERATOR | SH_HIDDEN, "", 0, 0, no_flags, sh_gen_man5,
	 "Print the mech.yaml(5) manual page (roff): every configuration key with its default.",
	 "None.", "None: prints to stdout. The build writes it to build/mech.yaml.5.",
	 "mech gen man5 > mech.yaml.5", "mech gen bash-completion"},
	{"gen", "bash-completion", "gen.bash-completion", SH_OPERATOR | SH_HIDDEN, "", 0, 0,
	 no_flags, sh_gen_bash_completion,
	 "Print a bash completion script: nouns, verbs, flags, and app, instance and addon names.",
	 "None.",
	 "None: prints to stdout. The build writes it to build/mech.bash-completion; the package "
	 "installs it as /usr/share/bash-completion/completions/mech.",
	 "source <(mech gen bash-completion)", "mech gen man"},
};

const size_t sh_ncommands = sizeof(sh_commands) / sizeof(*sh_commands);
