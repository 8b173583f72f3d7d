/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shell's flag parser and its accessors (shell/parse.c), against a
 * small command table of this file's own: values come back by SH_OPT_
 * constant and type, durations are parsed as every other command's are,
 * and a handler that asks for a flag its command does not declare — or for
 * a switch as a string — aborts instead of reading "absent". (A misspelt
 * SH_OPT_ name does not compile; tests/cli/sim_flags.sh checks that too.)
 *
 * parse.c is compiled into this test: the unit tests link the core only,
 * and the real table would pull in every handler of the shell.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "../../shell/parse.c"

static int no_handler(sh_ctx *ctx, const sh_args *a)
{
	(void)ctx;
	(void)a;
	return 0;
}

#define END                                                                                        \
	{                                                                                          \
		SH_OPT_NONE, 0, SH_BOOL, NULL, NULL, 0, 0, 0                                       \
	}

const sh_flag sh_global_flags[] = {
	{SH_OPT_JSON, 0, SH_BOOL, NULL, "one JSON object", 0, 0, 0},
	{SH_OPT_HELP, 'h', SH_BOOL, NULL, "help", 0, 0, 0},
	END,
};

const sh_flag sh_write_flags[] = {
	{SH_OPT_DRY_RUN, 0, SH_BOOL, NULL, "plan only", 0, 0, 0},
	{SH_OPT_FORCE, 0, SH_BOOL, NULL, "override", 0, 0, 0},
	END,
};

static const sh_flag deploy_flags[] = {
	{SH_OPT_APP, 'a', SH_STR, "APP", "the app", 0, 0, 1},
	{SH_OPT_TAG, 0, SH_STR, "TAG", "the tag", 0, 0, 0},
	{SH_OPT_REPLICAS, 0, SH_INT, "N", "replicas", 0, 100, 0},
	{SH_OPT_TIMEOUT, 0, SH_DURATION, "D", "how long", 0, 0, 0},
	{SH_OPT_ENV, 0, SH_LIST, "K=V", "environment", 0, 0, 0},
	END,
};

static const sh_flag no_flags[] = {END};

const sh_command sh_commands[] = {
	{"app", "deploy", "app.deploy", SH_MUTATES, "", 0, 0, deploy_flags, no_handler, "p", "a",
	 "s", "mech app -a web deploy --tag 1", "n"},
	{"admin", "tenant add", "tenant.add", 0, "T", 1, 1, no_flags, no_handler, "p", "a", "s",
	 "e", "n"},
	{"admin", "tenant key add", "tenant.key-add", 0, "T KEY", 2, 2, no_flags, no_handler, "p",
	 "a", "s", "e", "n"},
	{"admin", "tenant key list", "tenant.key-list", 0, "T", 1, 1, no_flags, no_handler, "p",
	 "a", "s", "e", "n"},
};
const size_t sh_ncommands = sizeof(sh_commands) / sizeof(*sh_commands);

static sh_args args;

static const sh_command *cmd;

static int parse(const char *line)
{
	char *copy = mech_strdup(line), *words[32], *save = NULL, *w;
	int n = 0, rc;
	sh_ctx ctx;
	for (w = strtok_r(copy, " ", &save); w && n < 32; w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	memset(&ctx, 0, sizeof(ctx));
	mech_error_clear();
	memset(&args, 0, sizeof(args));
	cmd = NULL;
	rc = sh_parse(n, words, &cmd, &args, &ctx);
	/* the values are copies: the line may go */
	free(copy);
	return rc;
}

static void done(void)
{
	sh_args_dispose(&args);
	mech_error_clear();
}

TestSuite(sh_parse, .fini = done);

Test(sh_parse, values_by_option_and_type)
{
	const mech_strv *env;
	cr_assert_eq(parse("app -a web deploy --tag 1.2 --replicas 3 --timeout 1m30s --env A=1 "
			   "--env B=2 --dry-run"),
		     0);
	cr_expect_str_eq(sh_arg(&args, SH_OPT_APP), "web");
	cr_expect_str_eq(sh_arg(&args, SH_OPT_TAG), "1.2");
	cr_expect_eq(sh_arg_int(&args, SH_OPT_REPLICAS, 1), 3);
	cr_expect_eq(sh_arg_ms(&args, SH_OPT_TIMEOUT, 5), 90000);
	env = sh_arg_list(&args, SH_OPT_ENV);
	cr_assert_eq(env->len, 2);
	cr_expect_str_eq(env->items[0], "A=1");
	cr_expect_str_eq(env->items[1], "B=2");
	cr_expect(sh_arg_bool(&args, SH_OPT_DRY_RUN));
	cr_expect(!sh_arg_bool(&args, SH_OPT_FORCE));
	cr_expect(!sh_arg_bool(&args, SH_OPT_JSON));
}

Test(sh_parse, absent_flags_give_the_defaults)
{
	cr_assert_eq(parse("app deploy --app=web"), 0);
	cr_expect_str_eq(sh_arg(&args, SH_OPT_APP), "web");
	cr_expect_null(sh_arg(&args, SH_OPT_TAG));
	cr_expect_eq(sh_arg_int(&args, SH_OPT_REPLICAS, 7), 7);
	cr_expect_eq(sh_arg_ms(&args, SH_OPT_TIMEOUT, 300000), 300000);
	cr_expect_eq(sh_arg_list(&args, SH_OPT_ENV)->len, 0);
}

Test(sh_parse, a_bad_duration_is_invalid_and_named)
{
	cr_assert_eq(parse("app -a web deploy --timeout 5 minutes"), -1);
	cr_assert_not_null(mech_error_last());
	cr_expect_eq(mech_error_last()->code, MECH_EINVALID);
	cr_expect(strstr(mech_error_last()->message, "--timeout") != NULL, "%s",
		  mech_error_last()->message);
}

Test(sh_parse, an_unknown_flag_is_usage_with_a_suggestion)
{
	cr_assert_eq(parse("app -a web deploy --tga 1"), -1);
	cr_expect_eq(mech_error_last()->code, MECH_EUSAGE);
	cr_assert_not_null(mech_error_last()->hint);
	cr_expect(strstr(mech_error_last()->hint, "--tag") != NULL, "%s", mech_error_last()->hint);
}

Test(sh_parse, option_names_are_flag_words)
{
	int i;
	cr_expect_str_eq(sh_opt_name(SH_OPT_DRY_RUN), "dry-run");
	cr_expect_str_eq(sh_opt_name(SH_OPT_SYNC_DELAY), "sync-delay");
	for (i = SH_OPT_NONE + 1; i < SH_OPT__COUNT; i++) {
		const char *n = sh_opt_name((sh_opt)i);
		int j;
		cr_expect(n[0] >= 'a' && n[0] <= 'z' &&
				  strspn(n, "abcdefghijklmnopqrstuvwxyz-") == strlen(n),
			  "option %d is named \"%s\"", i, n);
		for (j = SH_OPT_NONE + 1; j < i; j++)
			cr_expect_str_neq(sh_opt_name((sh_opt)j), n, "two options are named %s", n);
	}
}

/* What the string lookup answered NULL to: a flag this command does not take. */
Test(sh_parse, a_flag_the_command_does_not_take_aborts, .signal = SIGABRT)
{
	cr_assert_eq(parse("app -a web deploy --tag 1"), 0);
	sh_arg(&args, SH_OPT_IMAGE);
}

Test(sh_parse, a_switch_read_as_a_value_aborts, .signal = SIGABRT)
{
	cr_assert_eq(parse("app -a web deploy --dry-run"), 0);
	sh_arg(&args, SH_OPT_DRY_RUN);
}

Test(sh_parse, a_string_read_as_a_number_aborts, .signal = SIGABRT)
{
	cr_assert_eq(parse("app -a web deploy --tag 1"), 0);
	sh_arg_int(&args, SH_OPT_TAG, 0);
}

Test(sh_parse, a_duration_read_as_a_string_list_aborts, .signal = SIGABRT)
{
	cr_assert_eq(parse("app -a web deploy --timeout 2s"), 0);
	sh_arg_list(&args, SH_OPT_TIMEOUT);
}

Test(sh_parse, verbs_of_three_words)
{
	cr_assert_eq(parse("admin tenant key add alice SHA256:x"), 0);
	cr_assert_str_eq(cmd->id, "tenant.key-add");
	cr_assert_eq(args.pos.len, 2);
	cr_assert_str_eq(args.pos.items[0], "alice");
	cr_assert_str_eq(args.pos.items[1], "SHA256:x");
	done();
	cr_assert_eq(parse("admin tenant key list alice --json"), 0);
	cr_assert_str_eq(cmd->id, "tenant.key-list");
	done();
	/* the two-word verb beside them still parses */
	cr_assert_eq(parse("admin tenant add key"), 0);
	cr_assert_str_eq(cmd->id, "tenant.add");
	cr_assert_str_eq(args.pos.items[0], "key");
	done();
}

Test(sh_parse, the_first_words_of_a_verb_ask_for_the_rest)
{
	cr_assert_eq(parse("admin tenant key"), -1);
	cr_assert_eq(mech_error_last()->code, MECH_EUSAGE);
	cr_assert_not_null(strstr(mech_error_last()->message, "`admin tenant key` needs a verb"));
	done();
	cr_assert_eq(parse("admin tenant"), -1);
	cr_assert_not_null(strstr(mech_error_last()->message, "`admin tenant` needs a verb"));
	done();
	cr_assert_eq(parse("admin tenant key lst alice"), -1);
	cr_assert_not_null(
		strstr(mech_error_last()->message, "unknown command `admin tenant key lst`"));
	cr_assert_not_null(strstr(mech_error_last()->hint, "mech admin tenant key list"));
	done();
	cr_assert_eq(parse("admin tenat key add alice x"), -1);
	cr_assert_not_null(strstr(mech_error_last()->message, "unknown command `admin tenat`"));
	done();
}

Test(sh_parse, verb_words)
{
	char *argv[] = {"tenant", "key", "add", "x"};
	cr_assert_eq(sh_verb_words(NULL), 0);
	cr_assert_eq(sh_verb_words("create"), 1);
	cr_assert_eq(sh_verb_words("tenant key add"), 3);
	cr_assert_eq(sh_verb_prefix("tenant key add", 4, argv), 3);
	cr_assert_eq(sh_verb_prefix("tenant key list", 4, argv), 2);
	cr_assert_eq(sh_verb_prefix("tenant add", 4, argv), 1);
	cr_assert_eq(sh_verb_prefix("tenant key add", 2, argv), 2);
	cr_assert_eq(sh_verb_prefix("create", 4, argv), 0);
	cr_assert_str_eq(sh_verb_word("tenant key add", 0), "tenant key add");
	cr_assert_str_eq(sh_verb_word("tenant key add", 2), "add");
	cr_assert_str_eq(sh_verb_word("tenant key add", 3), "");
}
