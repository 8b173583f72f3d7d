/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SH_CMD_H
#define SH_CMD_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "mech/app.h"
#include "mech/buf.h"
#include "mech/config.h"
#include "mech/gitops.h"
#include "mech/tenant.h"

/*
 * The command table (shell/commands.c) defines every command once: noun,
 * verb, flags, whether it mutates, and its help. The parser, dispatcher,
 * help, completion, --readonly and the man page are driven by it.
 */

/*
 * Every flag name, once. Table rows and handlers name a flag by its
 * SH_OPT_ constant, never by a string, so a misspelt flag does not compile;
 * a handler that asks for a flag its command does not take aborts (parse.c),
 * so the first test that runs it fails. A name may mean different things
 * to different commands (--version of `addon create` is not the global
 * --version): each row says what it means there.
 */
#define SH_OPTIONS(_)                                                                              \
	_(HOME, "home")                                                                            \
	_(TENANT, "tenant")                                                                        \
	_(JSON, "json")                                                                            \
	_(OUTPUT, "output")                                                                        \
	_(NO_COLOR, "no-color")                                                                    \
	_(READONLY, "readonly")                                                                    \
	_(HELP, "help")                                                                            \
	_(VERSION, "version")                                                                      \
	_(DRY_RUN, "dry-run")                                                                      \
	_(FORCE, "force")                                                                          \
	_(APP, "app")                                                                              \
	_(INSTANCE, "instance")                                                                    \
	_(NAME, "name")                                                                            \
	_(KEY, "key")                                                                              \
	_(REPO_URL, "repo-url")                                                                    \
	_(EMAIL, "email")                                                                          \
	_(IMAGE, "image")                                                                          \
	_(PORT, "port")                                                                            \
	_(REPLICAS, "replicas")                                                                    \
	_(ENV, "env")                                                                              \
	_(WAIT, "wait")                                                                            \
	_(TIMEOUT, "timeout")                                                                      \
	_(TAG, "tag")                                                                              \
	_(GONE, "gone")                                                                            \
	_(EXIT_CODE, "exit-code")                                                                  \
	_(FROM, "from")                                                                            \
	_(TO, "to")                                                                                \
	_(HOST, "host")                                                                            \
	_(PATH, "path")                                                                            \
	_(TYPE, "type")                                                                            \
	_(STORAGE, "storage")                                                                      \
	_(MEMORY, "memory")                                                                        \
	_(GUEST, "guest")                                                                          \
	_(ALL_TENANTS, "all-tenants")                                                              \
	_(MAX_COUNT, "max-count")                                                                  \
	_(CLASS, "class")                                                                          \
	_(UNREVIEWED, "unreviewed")                                                                \
	_(COMMENT, "comment")                                                                      \
	_(LISTEN, "listen")                                                                        \
	_(TOKEN_FILE, "token-file")                                                                \
	_(HTTP, "http")                                                                            \
	_(NO_AUTH, "no-auth")                                                                      \
	_(SYNC_DELAY, "sync-delay")                                                                \
	_(HEALTH_DELAY, "health-delay")                                                            \
	_(DEGRADE_TAG, "degrade-tag")                                                              \
	_(LATENCY, "latency")                                                                      \
	_(FAIL_RATE, "fail-rate")                                                                  \
	_(MALFORMED, "malformed")                                                                  \
	_(DROP_STREAM, "drop-stream")                                                              \
	_(KEEPALIVE, "keepalive")                                                                  \
	_(POLL, "poll")                                                                            \
	_(POLL_INTERVAL, "poll-interval")                                                          \
	_(APPSET_REQUEUE, "appset-requeue")                                                        \
	_(REALISTIC, "realistic")                                                                  \
	_(TLS, "tls")                                                                              \
	_(KUSTOMIZE, "kustomize")                                                                  \
	_(VERBOSE, "verbose")                                                                      \
	_(PURGE, "purge")                                                                          \
	_(TAIL, "tail")                                                                            \
	_(SINCE, "since")                                                                          \
	_(PREVIOUS, "previous")                                                                    \
	_(CONTAINER, "container")                                                                  \
	_(POD, "pod")                                                                              \
	_(FOLLOW, "follow")                                                                        \
	_(ALL_INSTANCES, "all-instances")                                                          \
	_(FROM_SECRET, "from-secret")

typedef enum {
	SH_OPT_NONE, /* ends a list of flags */
#define SH__OPT_ENUM(id, name) SH_OPT_##id,
	SH_OPTIONS(SH__OPT_ENUM)
#undef SH__OPT_ENUM
		SH_OPT__COUNT
} sh_opt;

/** A flag's long name, without dashes ("dry-run"). */
const char *sh_opt_name(sh_opt opt);

/* SH_DURATION: 500ms, 2s, 1m30s (mech_parse_duration), checked while parsing */
typedef enum { SH_BOOL, SH_STR, SH_INT, SH_LIST, SH_DURATION } sh_flag_type;

typedef struct {
	sh_opt opt;      /* which flag; SH_OPT_NONE ends a list */
	char short_name; /* 0 if none */
	sh_flag_type type;
	const char *metavar;
	const char *help;
	long min, max; /* SH_INT bounds */
	int required;
} sh_flag;

/* command flags */
#define SH_MUTATES 0x01  /* writes (gets --dry-run and --force; refused by --readonly) */
#define SH_TENANT 0x02   /* needs a tenant */
#define SH_OPERATOR 0x04 /* operator-only: refused over SSH (77) */
#define SH_TTY 0x08      /* needs a terminal */
#define SH_GUEST 0x10    /* allowed for an unregistered key */
#define SH_HIDDEN 0x20   /* not in the workflow map */
#define SH_SERVER 0x40   /* serves until stopped (mech sim): not from the console's prompt */

typedef struct sh_ctx sh_ctx;
typedef struct sh_args sh_args;
typedef struct sh_command sh_command;
typedef int (*sh_handler)(sh_ctx *ctx, const sh_args *args);

struct sh_command {
	const char *noun;
	const char *verb; /* NULL for one-word commands; may be two words ("tenant add") */
	const char *id;   /* canonical id: app.create */
	unsigned flags;
	const char *args; /* positional usage, e.g. "NAME" */
	int min_args, max_args;
	const sh_flag *opts; /* ends with SH_OPT_NONE */
	sh_handler handler;
	const char *purpose;
	const char *arguments;
	const char *side_effects;
	const char *examples;
	const char *next;
};

struct sh_args {
	const sh_command *cmd;
	mech_strv pos;
	/* one slot per flag of cmd->opts, then the shared ones */
	mech_strv *values;
	int *seen;
	size_t nflags;
	const sh_flag **flags;
};

struct sh_ctx {
	char *home;
	mech_config *cfg;
	const char *tenant_flag;
	char *tenant_name;
	mech_tenant *tenant;
	mech_identity identity; /* acting user */
	const sh_command *cmd;
	int json;
	int color;
	int readonly;
	int via_ssh;
	int guest;
	int tty;
	char *key_fingerprint;
	/* results */
	cJSON *result;
	cJSON *files;
	char commit[64];
	int has_commit;
	mech_strv next;
	mech_strv warnings; /* stderr's "mech: warning:" lines, and the JSON's `warnings` */
	mech_buf out;       /* text for stdout */
	int text_too;       /* with --json, `out` is read as well (an MCP call): write it */
	int exit_override;  /* a result that is not an error but not 0 (wait, diff --exit-code) */
	int quiet;          /* the output was printed already (ssh runs a nested request) */
	int failed_result;  /* a failure that still has a result and next (a failed wait) */
};

extern const sh_command sh_commands[];
extern const size_t sh_ncommands;
extern const sh_flag sh_global_flags[];
extern const sh_flag sh_write_flags[];

/*
 * parse.c: a parsed command's flags. Each accessor takes the flag the
 * command's row declares, of the type it declares (a string for SH_STR,
 * SH_INT and SH_DURATION, a count for SH_BOOL); anything else is a
 * programming error and aborts.
 */
/** The value of a valued flag (the last one given), or NULL when absent. Borrowed from `a`. */
const char *sh_arg(const sh_args *a, sh_opt opt);
/** Whether a SH_BOOL flag was given. */
int sh_arg_bool(const sh_args *a, sh_opt opt);
/** A SH_INT flag's value (within its row's bounds), or `def` when absent. */
long sh_arg_int(const sh_args *a, sh_opt opt, long def);
/** A SH_DURATION flag's value in milliseconds, or `def` when absent. */
long sh_arg_ms(const sh_args *a, sh_opt opt, long def);
/** Every value of a SH_LIST flag, in order (empty when absent). */
const mech_strv *sh_arg_list(const sh_args *a, sh_opt opt);
/** Parse argv (after global flags) into a command and its arguments. */
int sh_parse(int argc, char **argv, const sh_command **cmd, sh_args *args, sh_ctx *ctx);
void sh_args_dispose(sh_args *a);
/** How many words a verb has ("tenant key add": 3; NULL: 0). */
size_t sh_verb_words(const char *verb);
/** Word `n` (from 0) of `verb` and the words after it; "" past the last. */
const char *sh_verb_word(const char *verb, size_t n);
/** How many leading words of `verb` the first of the `argc` words of `argv` spell, in order. */
size_t sh_verb_prefix(const char *verb, int argc, char *const *argv);

/* run.c */
/** Run one command line (argv without the program name). Returns the exit code. */
int sh_run(int argc, char **argv, sh_ctx *ctx);
int sh_need_tenant(sh_ctx *ctx);
void sh_ctx_init(sh_ctx *ctx);
void sh_ctx_reset(sh_ctx *ctx);

/* output.c */
void sh_printf(sh_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sh_next(sh_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** "-a APP" or "-a APP -i I" as the command named them: for next hints. Caller frees. */
char *sh_target(const sh_args *a);
/** Print to stderr as all output is printed: control characters shown, not sent. */
void sh_eprintf(const sh_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** A warning about this command's outcome: printed with the answer, and in its JSON. */
void sh_warn(sh_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Report a transaction: progress on stderr, files, commit, plan (dry run). */
void sh_report_txn(sh_ctx *ctx, const mech_txn_result *res, int dry_run);
/** A write verb's options from its flags: the acting identity, --force, --dry-run. */
void sh_write_opts(sh_ctx *ctx, const sh_args *a, mech_write_opts *w);
/** Report a write verb's result when it succeeded, dispose of it, return rc. */
int sh_finish_write(sh_ctx *ctx, const sh_args *a, int rc, mech_txn_result *res);
/** Emit the outcome (JSON object or text) and return the exit code. */
int sh_finish(sh_ctx *ctx, int rc);
/** A text table: rows of columns, aligned; header row first. */
typedef struct {
	mech_strv cells;
	size_t ncols;
} sh_table;
void sh_table_init(sh_table *t, size_t ncols);
void sh_table_add(sh_table *t, ...); /* ncols strings */
void sh_table_print(sh_ctx *ctx, sh_table *t);
void sh_table_dispose(sh_table *t);
const char *sh_color(const sh_ctx *ctx, const char *role);

/* help.c */
void sh_help_map(sh_ctx *ctx);
void sh_help_command(sh_ctx *ctx, const sh_command *cmd);
void sh_help_noun(sh_ctx *ctx, const char *noun);
void sh_help_exit_codes(sh_ctx *ctx);
int sh_cmd_help(sh_ctx *ctx, const sh_args *a);
/** One flag as `mech help --json` describes it (type, default, bounds); caller frees. */
cJSON *sh_flag_json(const sh_flag *f);

#endif
