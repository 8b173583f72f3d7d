/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mech shell: a readline REPL over the same command table. Lines are split
 * by the same tokenizer as SSH requests (quotes, no expansion, no shell
 * syntax) and run through sh_run, so a command behaves exactly as it does
 * from the command line. History is kept per tenant under MECH_HOME.
 */
#include "cmd.h"
#include "handlers.h"
#include "mech/addon.h"
#include "mech/app.h"
#include "mech/error.h"
#include "mech/sshcmd.h"

#include <readline/history.h>
#include <readline/readline.h>
#include <fcntl.h>
#include <locale.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static sh_ctx *repl_ctx;
static mech_strv cand; /* completion candidates for the current word */
static size_t cand_at;

static void add_unique(const char *s)
{
	if (!mech_strv_contains(&cand, s))
		mech_strv_push(&cand, s);
}

static const sh_command *find_command(const mech_strv *words, size_t *verb_words)
{
	size_t i;
	*verb_words = 0;
	if (!words->len)
		return NULL;
	for (i = 0; i < sh_ncommands; i++) {
		const sh_command *c = &sh_commands[i];
		size_t k, vw = sh_verb_words(c->verb), found = 0;
		if (strcmp(c->noun, words->items[0]))
			continue;
		if (!c->verb)
			return c;
		/* the verb may follow target flags: look for its words anywhere after the noun */
		for (k = 1; k + vw <= words->len && !found; k++)
			found = sh_verb_prefix(c->verb, (int)(words->len - k), words->items + k) ==
				vw;
		if (found) {
			*verb_words = vw;
			return c;
		}
	}
	return NULL;
}

/* Names from the tenant repo for -a / -n / -i values. */
static void complete_names(const char *flag, const mech_strv *words)
{
	mech_repo *repo = NULL;
	sh_ctx *ctx = repl_ctx;
	size_t i, j, n = 0;
	if (sh_need_tenant(ctx) < 0 || mech_repo_open(&repo, ctx->cfg, ctx->tenant_name) < 0) {
		mech_error_clear();
		return;
	}
	if (!strcmp(flag, "-n") || !strcmp(flag, "--name")) {
		mech_addon_state *a = NULL;
		if (mech_addon_list(repo, &a, &n) == 0)
			for (i = 0; i < n; i++)
				add_unique(a[i].name);
		mech_addon_state_free(a, n);
	} else {
		mech_app_state *apps = NULL;
		const char *app = NULL;
		for (i = 0; i + 1 < words->len; i++)
			if (!strcmp(words->items[i], "-a") || !strcmp(words->items[i], "--app"))
				app = words->items[i + 1];
		if (mech_app_list_filled(repo, 0, &apps, &n) == 0) { /* names only */
			for (i = 0; i < n; i++) {
				if (!strcmp(flag, "-a") || !strcmp(flag, "--app")) {
					add_unique(apps[i].name);
					continue;
				}
				if (app && strcmp(app, apps[i].name))
					continue;
				for (j = 0; j < apps[i].ninstances; j++)
					add_unique(apps[i].instances[j].name);
			}
		}
		mech_app_state_free(apps, n);
	}
	mech_error_clear();
	mech_repo_free(repo);
}

static void add_flags(const sh_flag *f)
{
	for (; f && f->opt; f++) {
		char *s = mech_sprintf("--%s", sh_opt_name(f->opt));
		add_unique(s);
		free(s);
	}
}

/* Fill `cand` for the word being completed, given the words before it. */
static void candidates(const mech_strv *words, const char *partial)
{
	size_t i, vw;
	const sh_command *c;
	const char *prev = words->len ? words->items[words->len - 1] : NULL;

	mech_strv_dispose(&cand);
	if (!words->len) {
		for (i = 0; i < sh_ncommands; i++)
			if (!(sh_commands[i].flags & SH_HIDDEN))
				add_unique(sh_commands[i].noun);
		add_unique("exit");
		return;
	}
	if (prev &&
	    (!strcmp(prev, "-a") || !strcmp(prev, "--app") || !strcmp(prev, "-n") ||
	     !strcmp(prev, "--name") || !strcmp(prev, "-i") || !strcmp(prev, "--instance"))) {
		complete_names(prev, words);
		return;
	}
	c = find_command(words, &vw);
	if (partial[0] == '-') {
		size_t k;
		if (c) {
			add_flags(c->opts);
			if (c->flags & SH_MUTATES)
				add_flags(sh_write_flags);
		} else {
			for (k = 0; k < sh_ncommands; k++)
				if (!strcmp(sh_commands[k].noun, words->items[0]))
					add_flags(sh_commands[k].opts);
		}
		add_flags(sh_global_flags);
		return;
	}
	if (c)
		return; /* positional arguments: nothing to offer */
	/* a verb's next word: after the words of it already typed, else its first */
	{
		size_t most = 0, k;
		for (k = 0; k < 2; k++)
			for (i = 0; i < sh_ncommands; i++) {
				const sh_command *v = &sh_commands[i];
				size_t nw = sh_verb_words(v->verb), p;
				const char *w;
				char *word;
				if (strcmp(v->noun, words->items[0]) || !v->verb)
					continue;
				/* the longest run of the verb's first words ending at prev */
				for (p = nw - 1; p > 0; p--)
					if (p < words->len &&
					    sh_verb_prefix(v->verb, (int)p,
							   words->items + words->len - p) == p)
						break;
				if (k == 0) {
					most = p > most ? p : most;
					continue;
				}
				if (p != most)
					continue;
				w = sh_verb_word(v->verb, p);
				word = mech_strndup(w, strcspn(w, " "));
				add_unique(word);
				free(word);
			}
	}
}

static char *generator(const char *text, int state)
{
	size_t n = strlen(text);
	if (!state)
		cand_at = 0;
	while (cand_at < cand.len) {
		const char *s = cand.items[cand_at++];
		if (!strncmp(s, text, n))
			return strdup(s);
	}
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	char *before = mech_strndup(rl_line_buffer, (size_t)start);
	mech_strv words = MECH_STRV_INIT;
	(void)end;
	rl_attempted_completion_over = 1; /* never fall back to file names */
	if (mech_sshcmd_split(before, &words) == 0)
		candidates(&words, text);
	else
		mech_strv_dispose(&cand);
	mech_error_clear();
	mech_strv_dispose(&words);
	free(before);
	return rl_completion_matches(text, generator);
}

void sh_readline_setup(sh_ctx *ctx)
{
	repl_ctx = ctx;
	rl_readline_name = "mech";
	rl_attempted_completion_function = complete;
	rl_catch_signals = 0;
}

void sh_readline_done(void)
{
	mech_strv_dispose(&cand);
}

static sigjmp_buf on_interrupt;
static volatile sig_atomic_t jump_ok;

static void interrupt(int sig)
{
	(void)sig;
	if (!jump_ok)
		return;
	siglongjmp(on_interrupt, 1);
}

/*
 * The history holds what was typed, values included (`app env set K=V`):
 * the file is the user's alone (0600) in a directory only the user enters
 * (0700). Both are made so when they already exist looser (an older mech
 * created the directory 0755 for its caches); a file or directory that is
 * not ours is left alone, and then history is not kept.
 */
static int private_mode(const char *path, mode_t want)
{
	struct stat st;
	if (stat(path, &st) < 0 || st.st_uid != geteuid())
		return -1;
	if ((st.st_mode & 07777) != want && chmod(path, want) < 0)
		return -1;
	return 0;
}

/* not inlined: sh_shell sets a jump point, and the locals here need not survive it */
__attribute__((noinline)) char *sh_history_file(sh_ctx *ctx, const char *name)
{
	char *dir = mech_sprintf("%s/cache/%s", ctx->home,
				 ctx->tenant_name ? ctx->tenant_name : "_");
	char *file = mech_sprintf("%s/%s", dir, name);
	int fd;
	mech_mkdir_p(dir, 0700);
	mech_error_clear();
	/* append_history needs the file to exist */
	fd = private_mode(dir, 0700) < 0
		     ? -1
		     : open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0)
		close(fd);
	free(dir);
	if (fd < 0 || private_mode(file, 0600) < 0) {
		free(file);
		return NULL;
	}
	return file;
}

int sh_shell(sh_ctx *ctx, const sh_args *a)
{
	volatile int last = 0;
	char *hist;
	struct sigaction sa, old;
	(void)a;

	setlocale(LC_CTYPE, ""); /* readline edits UTF-8 (shell/main.c leaves it to us) */
	sh_readline_setup(ctx);
	hist = sh_history_file(ctx, "shell_history");
	using_history();
	if (hist)
		read_history(hist);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = interrupt;
	sigaction(SIGINT, &sa, &old);
	printf("mech shell for tenant %s — `help` for the map, Tab completes, Ctrl-D leaves.\n",
	       ctx->tenant_name);
	for (;;) {
		char *prompt = mech_sprintf("mech %s [%d]> ", ctx->tenant_name, last);
		char *line;
		mech_strv words = MECH_STRV_INIT;
		if (sigsetjmp(on_interrupt, 1)) {
			/* Ctrl-C: abandon the line, keep the shell */
			rl_free_line_state();
			rl_cleanup_after_signal();
			rl_reset_after_signal();
			printf("\n");
			last = 130;
			free(prompt);
			continue;
		}
		jump_ok = 1;
		line = readline(prompt);
		jump_ok = 0;
		free(prompt);
		if (!line) {
			printf("\n");
			break;
		}
		if (!*line || strspn(line, " \t") == strlen(line)) {
			free(line);
			continue;
		}
		add_history(line);
		if (hist)
			append_history(1, hist);
		if (mech_sshcmd_split(line, &words) < 0) {
			const mech_error *e = mech_error_last();
			sh_eprintf(ctx, "mech: %s\n", e ? e->message : "cannot parse the line");
			last = e ? mech_error_exit(e->code) : 64;
		} else if (words.len == 1 &&
			   (!strcmp(words.items[0], "exit") || !strcmp(words.items[0], "quit"))) {
			mech_strv_dispose(&words);
			free(line);
			break;
		} else {
			sh_ctx sub;
			sh_ctx_init(&sub);
			sub.home = mech_strdup(ctx->home);
			sub.tenant_flag = ctx->tenant_name;
			sub.color = ctx->color;
			sub.tty = ctx->tty;
			sub.readonly = ctx->readonly;
			if (words.len && !strcmp(words.items[0], "shell")) {
				fprintf(stderr, "mech: already in the shell\n");
				last = 64;
			} else {
				last = sh_run((int)words.len, words.items, &sub);
			}
			sh_ctx_reset(&sub);
		}
		mech_error_clear();
		mech_strv_dispose(&words);
		free(line);
	}
	sigaction(SIGINT, &old, NULL);
	if (hist)
		history_truncate_file(hist, 1000);
	sh_readline_done();
	clear_history();
	free(hist);
	return 0;
}
