/* SPDX-License-Identifier: Apache-2.0 */
/*
 * argv → command + arguments, driven by the command table. Grammar:
 *   mech [global flags] <noun> [target flags] <verb> [args] [flags]
 */
#include "cmd.h"
#include "mech/error.h"
#include "mech/live.h"
#include "mech/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const opt_names[SH_OPT__COUNT] = {
#define SH__OPT_NAME(id, name) [SH_OPT_##id] = name,
	SH_OPTIONS(SH__OPT_NAME)
#undef SH__OPT_NAME
};

const char *sh_opt_name(sh_opt opt)
{
	return opt > SH_OPT_NONE && opt < SH_OPT__COUNT ? opt_names[opt] : "?";
}

static size_t count_flags(const sh_flag *f)
{
	size_t n = 0;
	while (f && f[n].opt)
		n++;
	return n;
}

static void args_init(sh_args *a, const sh_command *cmd)
{
	size_t n = 0, i;
	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	a->nflags = count_flags(cmd->opts) + count_flags(sh_global_flags) +
		    ((cmd->flags & SH_MUTATES) ? count_flags(sh_write_flags) : 0);
	a->flags = mech_calloc(a->nflags, sizeof(*a->flags));
	a->values = mech_calloc(a->nflags, sizeof(*a->values));
	a->seen = mech_calloc(a->nflags, sizeof(*a->seen));
	for (i = 0; cmd->opts[i].opt; i++)
		a->flags[n++] = &cmd->opts[i];
	if (cmd->flags & SH_MUTATES)
		for (i = 0; sh_write_flags[i].opt; i++)
			a->flags[n++] = &sh_write_flags[i];
	for (i = 0; sh_global_flags[i].opt; i++)
		a->flags[n++] = &sh_global_flags[i];
}

void sh_args_dispose(sh_args *a)
{
	size_t i;
	for (i = 0; i < a->nflags; i++)
		mech_strv_dispose(&a->values[i]);
	free(a->values);
	free(a->seen);
	free(a->flags);
	mech_strv_dispose(&a->pos);
	memset(a, 0, sizeof(*a));
}

/*
 * The slot of a flag the command takes, as the kind the caller reads it.
 * Asking for a flag the command's row does not declare, or for a string
 * of a switch, is a bug in the handler, not in the input: silently
 * answering "absent" would drop --dry-run or --force, so it aborts, and the
 * first test that runs the handler fails.
 */
static size_t slot(const sh_args *a, sh_opt opt, unsigned kinds)
{
	size_t i;
	for (i = 0; i < a->nflags; i++) {
		if (a->flags[i]->opt != opt)
			continue;
		if (kinds & (1u << a->flags[i]->type))
			return i;
		break;
	}
	fprintf(stderr, "mech: internal error: `%s` reads --%s, %s\n", a->cmd ? a->cmd->id : "?",
		sh_opt_name(opt),
		i < a->nflags ? "as the wrong kind of value" : "a flag it does not take");
	abort();
}

#define KIND(t) (1u << (t))

const char *sh_arg(const sh_args *a, sh_opt opt)
{
	size_t i = slot(a, opt, KIND(SH_STR) | KIND(SH_INT) | KIND(SH_DURATION));
	return a->values[i].len ? a->values[i].items[a->values[i].len - 1] : NULL;
}

int sh_arg_bool(const sh_args *a, sh_opt opt)
{
	return a->seen[slot(a, opt, KIND(SH_BOOL))] > 0;
}

long sh_arg_int(const sh_args *a, sh_opt opt, long def)
{
	size_t i = slot(a, opt, KIND(SH_INT));
	return a->values[i].len ? strtol(a->values[i].items[a->values[i].len - 1], NULL, 10) : def;
}

long sh_arg_ms(const sh_args *a, sh_opt opt, long def)
{
	size_t i = slot(a, opt, KIND(SH_DURATION));
	long ms = def;
	/* checked when it was parsed (take_flag), so it parses again */
	if (a->values[i].len &&
	    mech_parse_duration(sh_opt_name(opt), a->values[i].items[a->values[i].len - 1], &ms) < 0)
		abort();
	return ms;
}

const mech_strv *sh_arg_list(const sh_args *a, sh_opt opt)
{
	return &a->values[slot(a, opt, KIND(SH_LIST))];
}


static const sh_flag *find_flag(sh_args *a, const char *tok, int *idx, const char **inline_value)
{
	size_t i;
	*inline_value = NULL;
	if (tok[1] == '-') {
		const char *name = tok + 2, *eq = strchr(name, '=');
		size_t n = eq ? (size_t)(eq - name) : strlen(name);
		for (i = 0; i < a->nflags; i++) {
			const char *fn = sh_opt_name(a->flags[i]->opt);
			if (strlen(fn) == n && !strncmp(fn, name, n)) {
				*idx = (int)i;
				*inline_value = eq ? eq + 1 : NULL;
				return a->flags[i];
			}
		}
		return NULL;
	}
	if (!tok[1])
		return NULL;
	for (i = 0; i < a->nflags; i++) {
		if (a->flags[i]->short_name && a->flags[i]->short_name == tok[1]) {
			*idx = (int)i;
			*inline_value = tok[2] ? tok + 2 : NULL;
			return a->flags[i];
		}
	}
	return NULL;
}

static int unknown_flag(sh_args *a, const char *tok)
{
	const char **names = mech_calloc(a->nflags, sizeof(char *));
	const char *best, *word = tok + (tok[1] == '-' ? 2 : 1);
	char *bare = mech_strndup(word, strcspn(word, "=")), q[MECH_ESCAPE_SIZE];
	size_t i;
	for (i = 0; i < a->nflags; i++)
		names[i] = sh_opt_name(a->flags[i]->opt);
	best = mech_suggest(bare, names, a->nflags);
	mech_error_set(MECH_EUSAGE, "unknown flag %s for `%s%s%s`",
		       mech_error_escape_n(q, tok, strcspn(tok, "=")), a->cmd->noun,
		       a->cmd->verb ? " " : "", a->cmd->verb ? a->cmd->verb : "");
	if (best)
		mech_error_hint("did you mean --%s? See `mech %s%s%s -h`", best, a->cmd->noun,
				a->cmd->verb ? " " : "", a->cmd->verb ? a->cmd->verb : "");
	else
		mech_error_hint("see `mech %s%s%s -h` for its flags", a->cmd->noun,
				a->cmd->verb ? " " : "", a->cmd->verb ? a->cmd->verb : "");
	free(bare);
	free(names);
	return -1;
}

/* Consume one flag at argv[*i]. */
static int take_flag(sh_args *a, int argc, char **argv, int *i)
{
	const char *tok = argv[*i], *value;
	int idx;
	const sh_flag *f = find_flag(a, tok, &idx, &value);
	const char *name;
	if (!f)
		return unknown_flag(a, tok);
	name = sh_opt_name(f->opt);
	if (f->type == SH_BOOL) {
		if (value)
			return mech_error_set(MECH_EUSAGE, "flag --%s takes no value", name);
		a->seen[idx]++;
		return 0;
	}
	if (!value) {
		if (*i + 1 >= argc)
			return mech_error_set(MECH_EUSAGE, "flag --%s needs a value (%s)", name,
					      f->metavar ? f->metavar : "VALUE");
		value = argv[++*i];
	}
	if (f->type == SH_INT || f->type == SH_DURATION) {
		long v;
		char *what = mech_sprintf("--%s", name);
		int rc = f->type == SH_INT ? mech_validate_int(what, value, f->min, f->max, &v)
					   : mech_parse_duration(what, value, &v);
		free(what);
		if (rc < 0)
			return -1;
	}
	if (f->type != SH_LIST && a->seen[idx])
		return mech_error_set(MECH_EUSAGE, "flag --%s given twice", name);
	a->seen[idx]++;
	mech_strv_push(&a->values[idx], value);
	return 0;
}

static int is_flag(const char *tok)
{
	return tok[0] == '-' && tok[1] && !(tok[1] >= '0' && tok[1] <= '9');
}

static const char *verb_word_candidates(const char *noun, const char **out, size_t max)
{
	size_t i, n = 0;
	for (i = 0; i < sh_ncommands && n < max; i++)
		if (!strcmp(sh_commands[i].noun, noun) && sh_commands[i].verb)
			out[n++] = sh_commands[i].verb;
	return n < max ? (out[n] = NULL, NULL) : NULL;
}

static int unknown_noun(const char *noun)
{
	const char *names[64];
	size_t i, n = 0;
	const char *best;
	char q[MECH_ESCAPE_SIZE];
	for (i = 0; i < sh_ncommands && n < 64; i++)
		if (!(sh_commands[i].flags & SH_HIDDEN))
			names[n++] = sh_commands[i].noun;
	best = mech_suggest(noun, names, n);
	mech_error_set(MECH_EUSAGE, "unknown command \"%s\"", mech_error_escape(q, noun));
	if (best)
		return mech_error_hint("did you mean `mech %s`? Run `mech help` for the map", best);
	return mech_error_hint("run `mech help` for the list of commands");
}

static int unknown_verb(const char *noun, const char *verb)
{
	const char *names[64];
	const char *best;
	char q[MECH_ESCAPE_SIZE];
	size_t n;
	verb_word_candidates(noun, names, 63);
	for (n = 0; names[n]; n++)
		;
	best = mech_suggest(verb, names, n);
	mech_error_set(MECH_EUSAGE, "unknown command `%s %s`", noun, mech_error_escape(q, verb));
	if (best)
		return mech_error_hint("did you mean `mech %s %s`? See `mech %s -h`", noun, best,
				       noun);
	return mech_error_hint("see `mech %s -h` for its commands", noun);
}

size_t sh_verb_words(const char *verb)
{
	size_t n = verb ? 1 : 0;
	for (; verb && *verb; verb++)
		n += *verb == ' ';
	return n;
}

const char *sh_verb_word(const char *verb, size_t n)
{
	while (verb && n--)
		if ((verb = strchr(verb, ' ')) != NULL)
			verb++;
	return verb ? verb : "";
}

size_t sh_verb_prefix(const char *verb, int argc, char *const *argv)
{
	size_t n = 0;
	while ((int)n < argc) {
		size_t l = strcspn(verb, " ");
		if (strlen(argv[n]) != l || strncmp(verb, argv[n], l))
			break;
		n++;
		if (!verb[l])
			break;
		verb += l + 1;
	}
	return n;
}

/*
 * No verb of `noun` is spelt by argv: the first words of a longer verb alone
 * ask for the rest ("`admin tenant key` needs a verb"); after such words a
 * wrong one is named with the words before it and the ones that would fit.
 */
static int no_verb(const char *noun, int argc, char **argv)
{
	const char *names[64], *best, *example = NULL;
	size_t k, n = 0, p = 0;
	mech_buf said = MECH_BUF_INIT;
	mech_strv next = MECH_STRV_INIT;
	char q[MECH_ESCAPE_SIZE];

	for (k = 0; k < sh_ncommands; k++) {
		const sh_command *c = &sh_commands[k];
		size_t m;
		if (strcmp(c->noun, noun) || !c->verb)
			continue;
		m = sh_verb_prefix(c->verb, argc, argv);
		if (m > p && m < sh_verb_words(c->verb))
			p = m, example = c->verb;
	}
	if (!p)
		return unknown_verb(noun, argv[0]);
	for (k = 0; k < p; k++)
		mech_buf_printf(&said, " %s", argv[k]);
	if ((int)p >= argc) {
		mech_error_set(MECH_EUSAGE, "`%s%s` needs a verb, e.g. `mech %s %s`", noun,
			       said.ptr, noun, example);
		mech_buf_dispose(&said);
		return -1;
	}
	/* the words that may follow the ones given */
	for (k = 0; k < sh_ncommands; k++) {
		const sh_command *c = &sh_commands[k];
		const char *w;
		if (strcmp(c->noun, noun) || !c->verb ||
		    sh_verb_prefix(c->verb, (int)p, argv) != p || sh_verb_words(c->verb) <= p)
			continue;
		w = sh_verb_word(c->verb, p);
		mech_strv_push(&next, "");
		free(next.items[next.len - 1]);
		next.items[next.len - 1] = mech_strndup(w, strcspn(w, " "));
	}
	for (k = 0; k < next.len && n < 64; k++)
		names[n++] = next.items[k];
	best = mech_suggest(argv[p], names, n);
	mech_error_set(MECH_EUSAGE, "unknown command `%s%s %s`", noun, said.ptr,
		       mech_error_escape(q, argv[p]));
	if (best)
		mech_error_hint("did you mean `mech %s%s %s`? See `mech %s -h`", noun, said.ptr,
				best, noun);
	else
		mech_error_hint("see `mech %s -h` for its commands", noun);
	mech_strv_dispose(&next);
	mech_buf_dispose(&said);
	return -1;
}

/* Target flags may come between noun and verb: those any verb of the noun takes. */
static const sh_flag *noun_flag(const char *noun, const char *tok)
{
	size_t i, j;
	int want_short = tok[1] != '-';
	const char *name = tok + (want_short ? 1 : 2);
	size_t n = strcspn(name, "=");
	for (i = 0; i < sh_ncommands; i++) {
		const sh_flag *f = sh_commands[i].opts;
		if (strcmp(sh_commands[i].noun, noun))
			continue;
		for (j = 0; f[j].opt; j++) {
			const char *fn = sh_opt_name(f[j].opt);
			if (f[j].type == SH_BOOL || f[j].type == SH_LIST)
				continue;
			if ((want_short && f[j].short_name == name[0]) ||
			    (!want_short && strlen(fn) == n && !strncmp(fn, name, n)))
				return &f[j];
		}
	}
	return NULL;
}

int sh_parse(int argc, char **argv, const sh_command **out, sh_args *a, sh_ctx *ctx)
{
	const char *noun;
	const sh_command *cmd = NULL;
	int i, verb_at = -1, words = 0, pre_end;
	size_t k;
	(void)ctx;

	if (argc < 1)
		return mech_error_set(MECH_EUSAGE, "no command given");
	noun = argv[0];
	for (k = 0; k < sh_ncommands; k++)
		if (!strcmp(sh_commands[k].noun, noun))
			break;
	if (k == sh_ncommands)
		return unknown_noun(noun);
	if (!sh_commands[k].verb) {
		cmd = &sh_commands[k];
		verb_at = 1;
	} else {
		/* skip target flags (and their values) to find the verb */
		for (i = 1; i < argc; i++) {
			if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
				continue;
			if (is_flag(argv[i])) {
				const sh_flag *f = noun_flag(noun, argv[i]);
				int gidx;
				const char *gv;
				sh_args g;
				if (f) {
					if (!strchr(argv[i], '=') &&
					    !(argv[i][1] != '-' && argv[i][2]))
						i++;
					continue;
				}
				/* a global flag is fine here too */
				memset(&g, 0, sizeof(g));
				g.flags = mech_calloc(count_flags(sh_global_flags),
						      sizeof(*g.flags));
				g.nflags = count_flags(sh_global_flags);
				for (k = 0; k < g.nflags; k++)
					g.flags[k] = &sh_global_flags[k];
				f = find_flag(&g, argv[i], &gidx, &gv);
				free(g.flags);
				if (f) {
					if (f->type != SH_BOOL && !gv)
						i++;
					continue;
				}
				char q[MECH_ESCAPE_SIZE];
				mech_error_set(MECH_EUSAGE,
					       "unknown flag %s before the verb of `%s`",
					       mech_error_escape_n(q, argv[i],
								   strcspn(argv[i], "=")),
					       noun);
				return mech_error_hint("see `mech %s -h`", noun);
			}
			break;
		}
		if (i >= argc) {
			/* a noun alone: its help */
			*out = NULL;
			return 1;
		}
		for (k = 0; k < sh_ncommands; k++) {
			const sh_command *c = &sh_commands[k];
			size_t nw;
			if (strcmp(c->noun, noun) || !c->verb)
				continue;
			nw = sh_verb_words(c->verb);
			if ((int)nw > words && sh_verb_prefix(c->verb, argc - i, argv + i) == nw) {
				cmd = c;
				words = (int)nw;
			}
		}
		if (!cmd)
			return no_verb(noun, argc - i, argv + i);
		verb_at = i;
	}
	args_init(a, cmd);
	pre_end = verb_at;
	/* flags before the verb, then everything after it */
	for (i = 1; i < argc; i++) {
		if (words && i == pre_end) {
			i += words - 1;
			continue;
		}
		if (!strcmp(argv[i], "--")) {
			for (i++; i < argc; i++)
				mech_strv_push(&a->pos, argv[i]);
			break;
		}
		if (is_flag(argv[i])) {
			if (take_flag(a, argc, argv, &i) < 0)
				return -1;
			continue;
		}
		mech_strv_push(&a->pos, argv[i]);
	}
	*out = cmd;
	return 0;
}
