/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bash completion script, generated from the command table: nouns,
 * verbs (longer verbs word by word), each command's flags, and the names
 * only the tenant repo knows (apps, instances, addons, addon types,
 * tenants), which the script asks `mech … --json` for while completing.
 */
#include "cmd.h"
#include "handlers.h"

#include <stdlib.h>
#include <string.h>

static int is_target(const sh_flag *f)
{
	return f->short_name && f->type == SH_STR &&
	       (f->short_name == 'a' || f->short_name == 'n' || f->short_name == 'i');
}

/* Append `word` to the space-separated list `v` unless it is there. */
static void word_add(mech_buf *v, const char *word, size_t n)
{
	const char *p = mech_buf_cstr(v);
	while (*p) {
		size_t m = strcspn(p, " ");
		if (m == n && !strncmp(p, word, n))
			return;
		p += m + (p[m] == ' ');
	}
	if (v->len)
		mech_buf_putc(v, ' ');
	mech_buf_put(v, word, n);
}

static void flag_word(mech_buf *v, const sh_flag *f)
{
	char *s;
	if (f->short_name) {
		char sh[3] = {'-', f->short_name, '\0'};
		word_add(v, sh, 2);
	}
	s = mech_sprintf("--%s", sh_opt_name(f->opt));
	word_add(v, s, strlen(s));
	free(s);
}

static void flag_words(mech_buf *v, const sh_flag *f, int valued_only)
{
	for (; f->opt; f++)
		if (!valued_only || f->type != SH_BOOL)
			flag_word(v, f);
}

static void command_flags(mech_buf *v, const sh_command *c)
{
	flag_words(v, c->opts, 0);
	if (c->flags & SH_MUTATES)
		flag_words(v, sh_write_flags, 0);
}

/* Flags whose metavar names a file or directory complete as paths. */
static void path_flags(mech_buf *files, mech_buf *dirs)
{
	size_t i, j;
	for (i = 0; sh_global_flags[i].opt; i++) {
		const char *name = sh_opt_name(sh_global_flags[i].opt);
		if (sh_global_flags[i].metavar && !strcmp(sh_global_flags[i].metavar, "DIR"))
			word_add(dirs, name, strlen(name));
	}
	for (i = 0; i < sh_ncommands; i++)
		for (j = 0; sh_commands[i].opts[j].opt; j++) {
			const sh_flag *f = &sh_commands[i].opts[j];
			const char *name = sh_opt_name(f->opt);
			if (f->metavar && !strcmp(f->metavar, "FILE"))
				word_add(files, name, strlen(name));
			else if (f->metavar && !strcmp(f->metavar, "DIR"))
				word_add(dirs, name, strlen(name));
		}
}

/* Whether sh_commands[i] is the first command of its noun. */
static int first_of_noun(size_t i)
{
	size_t j;
	for (j = 0; j < i; j++)
		if (!strcmp(sh_commands[j].noun, sh_commands[i].noun))
			return 0;
	return 1;
}

/* Word lists: nouns, global flags, flags that take a value, path-valued flags. */
static void bash_words(mech_buf *b)
{
	mech_buf nouns = MECH_BUF_INIT, all = MECH_BUF_INIT, valued = MECH_BUF_INIT;
	mech_buf files = MECH_BUF_INIT, dirs = MECH_BUF_INIT, global = MECH_BUF_INIT;
	size_t i;

	for (i = 0; i < sh_ncommands; i++) {
		const sh_command *c = &sh_commands[i];
		if (!(c->flags & SH_HIDDEN))
			word_add(&nouns, c->noun, strlen(c->noun));
		word_add(&all, c->noun, strlen(c->noun));
		flag_words(&valued, c->opts, 1);
	}
	flag_words(&valued, sh_global_flags, 1);
	path_flags(&files, &dirs);
	flag_words(&global, sh_global_flags, 0);
	mech_buf_printf(b, "_mech_nouns='%s'\n_mech_all_nouns='%s'\n_mech_global='%s'\n", nouns.ptr,
			all.ptr, global.ptr);
	mech_buf_printf(b, "_mech_valued=' %s '\n_mech_file_flags=' %s '\n_mech_dir_flags=' %s '\n",
			valued.ptr, mech_buf_cstr(&files), mech_buf_cstr(&dirs));
	mech_buf_dispose(&nouns);
	mech_buf_dispose(&all);
	mech_buf_dispose(&valued);
	mech_buf_dispose(&files);
	mech_buf_dispose(&dirs);
	mech_buf_dispose(&global);
}

/* _mech_verbs: a noun's verbs (first words), then the next words after a longer verb's first ones. */
static void bash_verbs(mech_buf *b)
{
	mech_buf v = MECH_BUF_INIT;
	mech_strv done = MECH_STRV_INIT;
	size_t i, j;
	mech_buf_puts(b,
		      "\n# _mech_verbs NOUN [WORDS]: the verbs of NOUN, or the words that may "
		      "follow a longer verb's first WORDS\n_mech_verbs() {\n\tcase \"$1 $2\" in\n");
	for (i = 0; i < sh_ncommands; i++) {
		const sh_command *c = &sh_commands[i];
		if (!c->verb || !first_of_noun(i))
			continue;
		mech_buf_clear(&v);
		for (j = i; j < sh_ncommands; j++)
			if (!strcmp(sh_commands[j].noun, c->noun) && sh_commands[j].verb)
				word_add(&v, sh_commands[j].verb, strcspn(sh_commands[j].verb, " "));
		mech_buf_printf(b, "\t'%s ') echo '%s' ;;\n", c->noun, v.ptr);
	}
	/* every first words of a longer verb: the words that may come next */
	for (i = 0; i < sh_ncommands; i++) {
		const sh_command *c = &sh_commands[i];
		size_t nw = sh_verb_words(c->verb), p;
		for (p = 1; p < nw; p++) {
			const char *rest = sh_verb_word(c->verb, p);
			char *key = mech_sprintf("%s %.*s", c->noun, (int)(rest - 1 - c->verb),
						 c->verb);
			if (!mech_strv_contains(&done, key)) {
				mech_strv_push(&done, key);
				mech_buf_clear(&v);
				for (j = i; j < sh_ncommands; j++) {
					const sh_command *d = &sh_commands[j];
					const char *w = sh_verb_word(d->verb, p);
					if (!strcmp(d->noun, c->noun) && d->verb && *w &&
					    (size_t)(w - d->verb) == (size_t)(rest - c->verb) &&
					    !strncmp(d->verb, c->verb, (size_t)(rest - c->verb)))
						word_add(&v, w, strcspn(w, " "));
				}
				mech_buf_printf(b, "\t'%s') echo '%s' ;;\n", key, v.ptr);
			}
			free(key);
		}
	}
	mech_strv_dispose(&done);
	mech_buf_puts(b, "\tesac\n}\n");
	mech_buf_dispose(&v);
}

/* _mech_flags per command, and _mech_targets per noun (allowed before the verb). */
static void bash_flags(mech_buf *b)
{
	mech_buf v = MECH_BUF_INIT;
	size_t i, j;
	mech_buf_puts(b, "\n# _mech_flags NOUN VERB: the flags of one command (VERB may be two "
			 "words)\n_mech_flags() {\n\tcase \"$1 $2\" in\n");
	for (i = 0; i < sh_ncommands; i++) {
		const sh_command *c = &sh_commands[i];
		mech_buf_clear(&v);
		command_flags(&v, c);
		mech_buf_printf(b, "\t'%s %s') echo '%s' ;;\n", c->noun, c->verb ? c->verb : "",
				mech_buf_cstr(&v));
	}
	mech_buf_puts(b, "\tesac\n}\n\n# _mech_targets NOUN: the target flags, which may come "
			 "before the verb\n_mech_targets() {\n\tcase \"$1\" in\n");
	for (i = 0; i < sh_ncommands; i++) {
		const sh_command *c = &sh_commands[i];
		if (!c->verb || !first_of_noun(i))
			continue;
		mech_buf_clear(&v);
		for (j = i; j < sh_ncommands; j++) {
			const sh_flag *f;
			if (strcmp(sh_commands[j].noun, c->noun))
				continue;
			for (f = sh_commands[j].opts; f->opt; f++)
				if (is_target(f))
					flag_word(&v, f);
		}
		mech_buf_printf(b, "\t%s) echo '%s' ;;\n", c->noun, mech_buf_cstr(&v));
	}
	mech_buf_puts(b, "\tesac\n}\n");
	mech_buf_dispose(&v);
}

/* The table-independent part: scanning the line and asking mech for names. */
static const char bash_logic[] =
	"\n"
	"# _mech_names JSON PATTERN: the first capture of every match of PATTERN\n"
	"_mech_names() {\n"
	"\tlocal rest=$1 re=$2\n"
	"\twhile [[ $rest =~ $re ]]; do\n"
	"\t\tprintf '%s\\n' \"${BASH_REMATCH[1]}\"\n"
	"\t\trest=${rest#*\"${BASH_REMATCH[0]}\"}\n"
	"\tdone\n"
	"}\n"
	"\n"
	"# _mech_ask ARGS...: mech's JSON answer, with the line's --home/--tenant, quietly\n"
	"_mech_ask() {\n"
	"\tlocal -a t=()\n"
	"\tcommand -v timeout >/dev/null 2>&1 && t=(timeout 5)\n"
	"\t\"${t[@]}\" \"${_mech_bin:-mech}\" \"${_mech_gflags[@]}\" \"$@\" --json "
	"2>/dev/null </dev/null\n"
	"}\n"
	"\n"
	"# _mech_instances APP: instance names of APP, from `app list --json`\n"
	"_mech_instances() {\n"
	"\tlocal json cur_app='' re='\\{\"name\":\"([a-z0-9-]+)\",\"(base_image|image)\"'\n"
	"\tjson=$(_mech_ask app list) || return\n"
	"\twhile [[ $json =~ $re ]]; do\n"
	"\t\tif [[ ${BASH_REMATCH[2]} == base_image ]]; then cur_app=${BASH_REMATCH[1]}\n"
	"\t\telif [[ $cur_app == \"$1\" ]]; then printf '%s\\n' \"${BASH_REMATCH[1]}\"; fi\n"
	"\t\tjson=${json#*\"${BASH_REMATCH[0]}\"}\n"
	"\tdone\n"
	"}\n"
	"\n"
	"_mech_reply() { # WORDS: the words that start with $cur\n"
	"\tmapfile -t COMPREPLY < <(compgen -W \"$1\" -- \"$cur\")\n"
	"}\n"
	"\n"
	"_mech() {\n"
	"\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev='' w='' noun='' first='' verb='' app='' i=1\n"
	"\tlocal -a _mech_gflags=()\n"
	"\tlocal _mech_bin=${COMP_WORDS[0]}\n"
	"\tCOMPREPLY=()\n"
	"\t((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
	"\t# `--flag=value` arrives as three words: --flag = value\n"
	"\tif [[ $cur == = ]]; then prev=${COMP_WORDS[COMP_CWORD - 1]} cur=''\n"
	"\telif [[ $prev == = ]] && ((COMP_CWORD > 1)); then prev=${COMP_WORDS[COMP_CWORD - 2]}; "
	"fi\n"
	"\t# global flags, then the noun\n"
	"\twhile ((i < COMP_CWORD)); do\n"
	"\t\tw=${COMP_WORDS[i]}\n"
	"\t\tcase $w in\n"
	"\t\t--home | --tenant)\n"
	"\t\t\tif [[ ${COMP_WORDS[i + 1]} == = ]]; then i=$((i + 1)); fi\n"
	"\t\t\t((i + 1 < COMP_CWORD)) && _mech_gflags+=(\"$w\" \"${COMP_WORDS[i + 1]}\")\n"
	"\t\t\ti=$((i + 1)) ;;\n"
	"\t\t-*) ;;\n"
	"\t\t*) noun=$w; i=$((i + 1)); break ;;\n"
	"\t\tesac\n"
	"\t\ti=$((i + 1))\n"
	"\tdone\n"
	"\t# the verb (one or two words) and the target values, skipping flag values\n"
	"\twhile [[ -n $noun ]] && ((i < COMP_CWORD)); do\n"
	"\t\tw=${COMP_WORDS[i]}\n"
	"\t\tif [[ $w == -* && $_mech_valued == *\" $w \"* ]]; then\n"
	"\t\t\tif [[ ${COMP_WORDS[i + 1]} == = ]]; then i=$((i + 1)); fi\n"
	"\t\t\tcase $w in -a | --app) app=${COMP_WORDS[i + 1]} ;; esac\n"
	"\t\t\ti=$((i + 1))\n"
	"\t\telif [[ $w == -* || $w == = ]]; then :\n"
	"\t\telif [[ -z $verb && -n $(_mech_verbs \"$noun\") ]]; then\n"
	"\t\t\t# the first words of a longer verb, or the whole verb\n"
	"\t\t\tif [[ -n $(_mech_verbs \"$noun\" \"${first:+$first }$w\") ]]; then "
	"first=\"${first:+$first }$w\"\n"
	"\t\t\telse verb=\"${first:+$first }$w\"; fi\n"
	"\t\telif [[ $noun == help ]]; then first+=\" $w\"\n"
	"\t\tfi\n"
	"\t\ti=$((i + 1))\n"
	"\tdone\n"
	"\t# a flag's value\n"
	"\tif [[ $prev == -* && $_mech_valued == *\" $prev \"* ]]; then\n"
	"\t\tif [[ $_mech_dir_flags == *\" ${prev#--} \"* ]]; then\n"
	"\t\t\tcompopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -d -- \"$cur\")\n"
	"\t\telif [[ $_mech_file_flags == *\" ${prev#--} \"* ]]; then\n"
	"\t\t\tcompopt -o filenames 2>/dev/null; mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
	"\t\telse\n"
	"\t\t\tcase \"$noun $prev\" in\n"
	"\t\t\t*\" --tenant\")\n"
	"\t\t\t\t_mech_reply \"$(_mech_names \"$(_mech_ask admin tenant list)\" "
	"'\\{\"name\":\"([a-z0-9-]+)\",\"namespace\"')\" ;;\n"
	"\t\t\t*\" -a\" | *\" --app\")\n"
	"\t\t\t\t_mech_reply \"$(_mech_names \"$(_mech_ask app list)\" "
	"'\\{\"name\":\"([a-z0-9-]+)\",\"base_image\"')\" ;;\n"
	"\t\t\t*\" -i\" | *\" --instance\" | *\" --from\")\n"
	"\t\t\t\t[[ -n $app ]] && _mech_reply \"$(_mech_instances \"$app\")\" ;;\n"
	"\t\t\t\"addon -n\" | \"addon --name\")\n"
	"\t\t\t\t_mech_reply \"$(_mech_names \"$(_mech_ask addon list)\" "
	"'\\{\"name\":\"([a-z0-9-]+)\",\"type\"')\" ;;\n"
	"\t\t\t\"secret -n\" | \"secret --name\")\n"
	"\t\t\t\t_mech_reply \"$(_mech_names \"$(_mech_ask secret list)\" "
	"'\\{\"name\":\"([a-z0-9-]+)\",\"namespace\"')\" ;;\n"
	"\t\t\t\"addon --type\")\n"
	"\t\t\t\t_mech_reply \"$(_mech_names \"$(_mech_ask addon type list)\" "
	"'\\{\"type\":\"([a-z0-9-]+)\",\"kind\"')\" ;;\n"
	"\t\t\tesac\n"
	"\t\tfi\n"
	"\t\treturn 0\n"
	"\tfi\n"
	"\tif [[ -z $noun ]]; then\n"
	"\t\tif [[ $cur == -* ]]; then _mech_reply \"$_mech_global\"; else _mech_reply "
	"\"$_mech_nouns\"; fi\n"
	"\t\treturn 0\n"
	"\tfi\n"
	"\tif [[ \" $_mech_all_nouns \" != *\" $noun \"* ]]; then return 0; fi\n"
	"\tif [[ $cur == -* ]]; then\n"
	"\t\tif [[ -n $verb || -z $(_mech_verbs \"$noun\") ]]; then\n"
	"\t\t\t_mech_reply \"$(_mech_flags \"$noun\" \"$verb\") $_mech_global\"\n"
	"\t\telse\n"
	"\t\t\t_mech_reply \"$(_mech_targets \"$noun\") $_mech_global\"\n"
	"\t\tfi\n"
	"\telif [[ $noun == help ]]; then\n"
	"\t\tread -r -a w <<<\"$first\"\n"
	"\t\tcase ${#w[@]} in\n"
	"\t\t0) _mech_reply \"$_mech_nouns exit-codes\" ;;\n"
	"\t\t1) _mech_reply \"$(_mech_verbs \"${w[0]}\")\" ;;\n"
	"\t\t*) _mech_reply \"$(_mech_verbs \"${w[0]}\" \"${w[*]:1}\")\" ;;\n"
	"\t\tesac\n"
	"\telif [[ -z $verb && -n $(_mech_verbs \"$noun\") ]]; then\n"
	"\t\t_mech_reply \"$(_mech_verbs \"$noun\" \"$first\")\"\n"
	"\tfi\n"
	"\treturn 0\n"
	"}\n"
	"complete -F _mech mech\n";

static void gen_bash_completion(mech_buf *b)
{
	mech_buf_puts(b, "# bash completion for mech(1): nouns, verbs, flags, and app, instance,\n"
			 "# addon and tenant names asked of mech itself. Generated by\n"
			 "# `mech gen bash-completion` from mech's command table; do not edit.\n"
			 "# shellcheck shell=bash\n\n");
	bash_words(b);
	bash_verbs(b);
	bash_flags(b);
	mech_buf_puts(b, bash_logic);
}

int sh_gen_bash_completion(sh_ctx *ctx, const sh_args *a)
{
	return sh_gen_emit(ctx, gen_bash_completion, "bash");
}
