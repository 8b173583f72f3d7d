/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Generated manual pages: mech(1) and mech.yaml(5), each printed from the
 * tables that drive mech itself (the command table, the global and write
 * flags, the error table, the mech.yaml key table), so a new verb, flag,
 * exit code or key reaches them without an edit here. The bash completion,
 * from the same tables, is gen_bash.c.
 */
#include "cmd.h"
#include "handlers.h"
#include "mech/config.h"
#include "mech/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef MECH_THEMES_DIR
#define MECH_THEMES_DIR "/usr/share/mech/themes"
#endif

/* ---- roff ------------------------------------------------------------ */

/* Decode one UTF-8 sequence at `s` into *cp; returns its length (1 for a bad byte). */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
	size_t n, i;
	if (s[0] < 0xc0 || s[0] >= 0xf8) {
		*cp = s[0] < 0x80 ? s[0] : 0xfffd;
		return 1;
	}
	n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	*cp = s[0] & (0x3f >> (n - 1));
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return i;
		}
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return n;
}

/*
 * Append `n` bytes of `s` as roff text: backslashes and hyphens escaped, a
 * leading control character neutralised, `code` in bold, anything beyond
 * ASCII as a \[uXXXX] escape (so groff needs no input-encoding guess).
 */
static void roff_n(mech_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	int bold = 0;
	if (p < end && (*p == '.' || *p == '\''))
		mech_buf_puts(b, "\\&");
	while (p < end) {
		uint32_t cp;
		switch (*p) {
		case '\\':
			mech_buf_puts(b, "\\e");
			break;
		case '-':
			mech_buf_puts(b, "\\-");
			break;
		case '`':
			mech_buf_puts(b, bold ? "\\fR" : "\\fB");
			bold = !bold;
			break;
		default:
			if (*p < 0x80) {
				mech_buf_putc(b, (char)*p);
				break;
			}
			p += utf8_decode(p, &cp);
			mech_buf_printf(b, "\\[u%04X]", (unsigned)cp);
			continue;
		}
		p++;
	}
	if (bold)
		mech_buf_puts(b, "\\fR");
}

static void roff(mech_buf *b, const char *s)
{
	roff_n(b, s, strlen(s));
}

/* A paragraph per line of `text`, or one no-fill block when `literal`. */
static void roff_lines(mech_buf *b, const char *text, int literal)
{
	const char *p = text;
	if (literal)
		mech_buf_puts(b, ".RS 4\n.PP\n.nf\n");
	while (*p) {
		size_t n = strcspn(p, "\n");
		while (!literal && n && *p == ' ') {
			p++;
			n--;
		}
		if (n) {
			if (!literal)
				mech_buf_puts(b, ".PP\n");
			roff_n(b, p, n);
			mech_buf_putc(b, '\n');
		}
		p += n;
		if (*p)
			p++;
	}
	if (literal)
		mech_buf_puts(b, ".fi\n.RE\n");
}

/*
 * The arguments section: "NAME  what it is" lines become tagged
 * paragraphs (the tag ends at the first run of two spaces), others plain.
 */
static void roff_arguments(mech_buf *b, const char *text)
{
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, "\n");
		const char *gap = NULL, *q;
		for (q = p; q + 1 < p + n; q++)
			if (q[0] == ' ' && q[1] == ' ') {
				gap = q;
				break;
			}
		if (gap) {
			const char *desc = gap;
			while (desc < p + n && *desc == ' ')
				desc++;
			mech_buf_puts(b, ".TP\n\\fI");
			roff_n(b, p, (size_t)(gap - p));
			mech_buf_puts(b, "\\fR\n");
			roff_n(b, desc, (size_t)(p + n - desc));
			mech_buf_putc(b, '\n');
		} else if (n) {
			mech_buf_puts(b, ".PP\n");
			roff_n(b, p, n);
			mech_buf_putc(b, '\n');
		}
		p += n;
		if (*p)
			p++;
	}
}

static void roff_flag(mech_buf *b, const sh_flag *f)
{
	mech_buf_puts(b, ".TP\n");
	if (f->short_name)
		mech_buf_printf(b, "\\fB\\-%c\\fR, ", f->short_name);
	mech_buf_puts(b, "\\fB\\-\\-");
	roff(b, sh_opt_name(f->opt));
	mech_buf_puts(b, "\\fR");
	if (f->metavar) {
		mech_buf_puts(b, " \\fI");
		roff(b, f->metavar);
		mech_buf_puts(b, "\\fR");
	}
	mech_buf_putc(b, '\n');
	roff(b, f->help);
	if (f->type == SH_INT)
		mech_buf_printf(b, "; %ld to %ld", f->min, f->max);
	if (f->type == SH_LIST && !strstr(f->help, "repeatable"))
		mech_buf_puts(b, " (repeatable)");
	if (f->required)
		mech_buf_puts(b, " (required)");
	mech_buf_putc(b, '\n');
}

static int is_target(const sh_flag *f)
{
	return f->short_name && f->type == SH_STR &&
	       (f->short_name == 'a' || f->short_name == 'n' || f->short_name == 'i');
}

/* The usage line, as `mech help` prints it: targets before the verb. */
static void roff_usage(mech_buf *b, const sh_command *c)
{
	size_t i;
	mech_buf_puts(b, "\\fBmech ");
	roff(b, c->noun);
	mech_buf_puts(b, "\\fR");
	for (i = 0; c->opts[i].opt; i++) {
		const sh_flag *f = &c->opts[i];
		if (!is_target(f))
			continue;
		mech_buf_printf(b, f->required ? " \\fB\\-%c\\fR \\fI" : " [\\fB\\-%c\\fR \\fI",
				f->short_name);
		roff(b, f->metavar);
		mech_buf_puts(b, f->required ? "\\fR" : "\\fR]");
	}
	if (c->verb) {
		mech_buf_puts(b, " \\fB");
		roff(b, c->verb);
		mech_buf_puts(b, "\\fR");
	}
	if (c->args && *c->args) {
		mech_buf_puts(b, " \\fI");
		roff(b, c->args);
		mech_buf_puts(b, "\\fR");
	}
	for (i = 0; c->opts[i].opt; i++) {
		const sh_flag *f = &c->opts[i];
		if (is_target(f))
			continue;
		mech_buf_puts(b, f->required ? " \\fB\\-\\-" : " [\\fB\\-\\-");
		roff(b, sh_opt_name(f->opt));
		mech_buf_puts(b, "\\fR");
		if (f->type != SH_BOOL) {
			mech_buf_puts(b, " \\fI");
			roff(b, f->metavar);
			mech_buf_puts(b, "\\fR");
		}
		if (!f->required)
			mech_buf_putc(b, ']');
		if (f->type == SH_LIST)
			mech_buf_puts(b, "\\&...");
	}
	if (c->flags & SH_MUTATES)
		mech_buf_puts(b, " [\\fB\\-\\-dry\\-run\\fR] [\\fB\\-\\-force\\fR]");
	mech_buf_putc(b, '\n');
}

static void roff_command(mech_buf *b, const sh_command *c)
{
	size_t i;
	mech_buf_puts(b, ".SS \"mech ");
	roff(b, c->noun);
	if (c->verb) {
		mech_buf_putc(b, ' ');
		roff(b, c->verb);
	}
	mech_buf_puts(b, "\"\n");
	roff_usage(b, c);
	mech_buf_puts(b, ".PP\n");
	roff(b, c->purpose);
	mech_buf_puts(b, "\n.PP\nCommand id \\fB");
	roff(b, c->id);
	mech_buf_puts(b, "\\fR.");
	if (c->flags & SH_MUTATES)
		mech_buf_puts(b, " Writes one receipt; takes \\fB\\-\\-dry\\-run\\fR and "
				 "\\fB\\-\\-force\\fR; refused by \\fB\\-\\-readonly\\fR.");
	if (c->flags & SH_OPERATOR)
		mech_buf_puts(b, " Operator only: refused over SSH (exit 77).");
	if (c->flags & SH_TTY)
		mech_buf_puts(b, " Needs a terminal (over SSH: \\fBssh \\-t\\fR).");
	if (c->flags & SH_GUEST)
		mech_buf_puts(b, " Allowed for SSH keys no tenant has registered.");
	mech_buf_puts(b, "\n.PP\n.I Arguments\n.RS 4\n");
	roff_arguments(b, c->arguments);
	mech_buf_puts(b, ".RE\n");
	if (c->opts[0].opt || (c->flags & SH_MUTATES)) {
		mech_buf_puts(b, ".PP\n.I Flags\n.RS 4\n");
		for (i = 0; c->opts[i].opt; i++)
			roff_flag(b, &c->opts[i]);
		if (c->flags & SH_MUTATES)
			for (i = 0; sh_write_flags[i].opt; i++)
				roff_flag(b, &sh_write_flags[i]);
		mech_buf_puts(b, ".RE\n");
	}
	mech_buf_puts(b, ".PP\n.I Side effects\n.RS 4\n");
	roff_lines(b, c->side_effects, 0);
	mech_buf_puts(b, ".RE\n.PP\n.I Examples\n");
	roff_lines(b, c->examples, 1);
	mech_buf_puts(b, ".PP\n.I Next\n");
	roff_lines(b, c->next, 1);
}

static void roff_th(mech_buf *b, const char *title, int section, const char *manual)
{
	/* No date: the same sources give the same bytes. */
	mech_buf_printf(b, ".TH %s %d \"\" \"mech %s\" \"%s\"\n", title, section, MECH_VERSION,
			manual);
	/* names, paths and ids read better unbroken, and ragged-right needs no stretching */
	mech_buf_puts(b, ".nh\n.ad l\n");
}

/* One paragraph a line. */
static const char man_description[] =
	"mech is an agent control plane. Agents and humans run one compact, typed command at a "
	"time, locally or over SSH, and every platform write lands as a receipt: one structured "
	"commit in the tenant's GitOps repository, which Argo CD reconciles into Kubernetes.\n"
	"A receipt's subject is `mechanics(NOUN.VERB): SUMMARY`; its trailers name the verb "
	"(Mechanics-Verb), tenant, target and request, so plain `git log` reads it. The author "
	"is the acting user, the committer the machine identity of mech.yaml(5).\n"
	"Before a write overwrites or deletes a file, mech asks who changed it last. If that was "
	"a human, it refuses (exit 3) and names the commit, author, date and subject. "
	"`--dry-run` prints the plan and writes nothing; `--force` proceeds and records one "
	"Mechanics-Forced-Over trailer per overridden commit. Destructive verbs (`addon delete`) "
	"always need `--force`.\n"
	"Targets are persistent named flags between noun and verb: `-a`/`--app`, "
	"`-i`/`--instance` and `-n`/`--name` (an addon). `mech help` prints the workflow map, "
	"`mech help NOUN VERB` or `-h` anywhere a command's help.\n"
	"Reads print aligned tables on stdout; writes print progress lines on stderr and end with "
	"the commit and the next useful command. Colour only on a terminal, and never with "
	"NO_COLOR set.\n"
	"Over SSH, mech runs exactly one command per connection from SSH_ORIGINAL_COMMAND; the "
	"tenant comes from the key, never from the request, and shell syntax is refused.";

static void man_commands(mech_buf *b, int hidden)
{
	size_t i;
	for (i = 0; i < sh_ncommands; i++)
		if (!(sh_commands[i].flags & SH_HIDDEN) == !hidden)
			roff_command(b, &sh_commands[i]);
}

static void man_exit_status(mech_buf *b)
{
	int i;
	mech_buf_puts(b, ".SH \"EXIT STATUS\"\n.PP\nThe exit code is the outcome; with "
			 "\\fB\\-\\-json\\fR the error object carries the same number as "
			 "\\fBexit\\fR and the name as \\fBcode\\fR.\n");
	for (i = 0; i < MECH_E__COUNT; i++) {
		mech_buf_printf(b, ".TP\n\\fB%d\\fR (", mech_error_exit((mech_error_code)i));
		roff(b, mech_error_name((mech_error_code)i));
		mech_buf_puts(b, ")\n");
		roff(b, mech_error_describe((mech_error_code)i));
		mech_buf_putc(b, '\n');
	}
}

static void man_environment(mech_buf *b)
{
	static const char *const env[][2] = {
		{"MECH_HOME",
		 "The home when `--home` is not given. Default: /var/lib/mech for root, "
		 "else $XDG_DATA_HOME/mech, else ~/.local/share/mech."},
		{"MECH_TENANT", "The tenant when `--tenant` is not given (local use). A home with a "
				"single tenant needs neither."},
		{"NO_COLOR", "When set, no colour: plain text, and a monochrome console."},
		{"SSH_ORIGINAL_COMMAND",
		 "Set by sshd: the request `mech ssh` runs as one mech command. It is split on "
		 "spaces with single and double quotes, nothing is expanded, and shell syntax "
		 "(; & | $ > < ( ), backquotes, newlines) is refused with exit 64."},
		{"SSH_USER_AUTH",
		 "Set by sshd with ExposeAuthInfo: the key of the session. Not needed: the forced "
		 "command's --key names it; when both are there they must agree. Without --key it "
		 "names the key that authors the writes and `whoami` reports."},
		{"XDG_DATA_HOME", "Where the default home lives for users other than root."},
	};
	size_t i;
	mech_buf_puts(b, ".SH ENVIRONMENT\n");
	for (i = 0; i < sizeof(env) / sizeof(*env); i++) {
		mech_buf_printf(b, ".TP\n.B %s\n", env[i][0]);
		roff(b, env[i][1]);
		mech_buf_putc(b, '\n');
	}
}

/* The data directory the themes directory sits in (/usr/share/mech). */
static char *data_dir(void)
{
	const char *t = MECH_THEMES_DIR;
	const char *slash = strrchr(t, '/');
	return slash && slash != t ? mech_strndup(t, (size_t)(slash - t)) : mech_strdup(t);
}

static void man_files(mech_buf *b)
{
	char *share = data_dir();
	const char *const files[][2] = {
		{"MECH_HOME/mech.yaml", "Configuration; see mech.yaml(5)."},
		{"MECH_HOME/tenants/T/tenant.yaml",
		 "The tenant record: namespace, SSH keys and the acting user's identity."},
		{"MECH_HOME/tenants/T/gitops.git",
		 "The tenant's GitOps repository (bare). Clone it to edit by hand; mech treats "
		 "such commits as human."},
		{"MECH_HOME/tenants/T/lock", "The per-tenant write lock."},
		{"MECH_HOME/tenants/T/gitops.git/compact.lock",
		 "Held while a write's packs are merged in the background; `flock FILE true` waits "
		 "for the merge."},
		{"MECH_HOME/tenants/T/gitops.git/compact.log",
		 "Why the last background merge failed; writes warn while it is there."},
		{"MECH_HOME/keys/", "The machine's signing key (`mech admin init`)."},
		{"MECH_HOME/cache/", "Rebuildable indexes (last writers) and shell history."},
		{"MECH_HOME/themes/", "Console themes of this home (NAME.theme)."},
		{MECH_THEMES_DIR "/", "Installed console themes."},
	};
	size_t i;
	mech_buf_puts(b, ".SH FILES\n");
	for (i = 0; i < sizeof(files) / sizeof(*files); i++) {
		mech_buf_puts(b, ".TP\n.I ");
		roff(b, files[i][0]);
		mech_buf_putc(b, '\n');
		roff(b, files[i][1]);
		mech_buf_putc(b, '\n');
	}
	mech_buf_puts(b, ".TP\n.I ");
	roff(b, share);
	mech_buf_puts(b, "/sshd_config.d/mech.conf\nThe sshd snippet of the SSH front door; an "
			 "operator copies it to /etc/ssh/sshd_config.d/.\n");
	free(share);
}

static void gen_man(mech_buf *b)
{
	char *share = data_dir(), *slash = strrchr(share, '/');
	size_t i;
	roff_th(b, "MECH", 1, "mech manual");
	mech_buf_puts(b, ".SH NAME\nmech \\- agent control plane: every write is a receipt in a "
			 "GitOps repository\n.SH SYNOPSIS\n"
			 "\\fBmech\\fR [\\fIglobal flags\\fR] \\fInoun\\fR [\\fItarget flags\\fR] "
			 "\\fIverb\\fR [\\fIargs\\fR] [\\fIflags\\fR]\n.br\n"
			 "\\fBmech help\\fR [\\fInoun\\fR [\\fIverb\\fR] | \\fBexit\\-codes\\fR]\n"
			 ".br\n\\fBssh\\fR \\fIhost\\fR \\fB\\-\\-\\fR \\fInoun\\fR \\fIverb\\fR "
			 "[\\fIargs\\fR] [\\fIflags\\fR]\n.SH DESCRIPTION\n");
	roff_lines(b, man_description, 0);
	mech_buf_puts(b, ".PP\nWith \\fB\\-\\-json\\fR, stdout holds exactly one JSON object, on "
			 "success and on failure:\n");
	roff_lines(b,
		   "{\"ok\":true,\"command\":\"app.create\",\"tenant\":\"alice\",\"result\":{...},\n"
		   "  \"commit\":\"SHA\"|null,\"files\":[{\"path\":...,\"action\":\"create\"}],"
		   "\"next\":[...]}\n"
		   "{\"ok\":false,\"command\":...,\"tenant\":...,\n"
		   "  \"error\":{\"code\":\"write_refused\",\"exit\":3,\"message\":...,"
		   "\"hint\":...,\"conflicts\":[...]}}",
		   1);
	mech_buf_puts(b, ".SH COMMANDS\n");
	man_commands(b, 0);
	mech_buf_puts(b, ".SH \"HIDDEN COMMANDS\"\n.PP\nNot in the workflow map: the SSH plumbing "
			 "sshd calls, and tools for operators and packagers.\n");
	man_commands(b, 1);
	mech_buf_puts(b, ".SH \"GLOBAL FLAGS\"\n.PP\nBefore the noun, or anywhere after it.\n");
	for (i = 0; sh_global_flags[i].opt; i++)
		roff_flag(b, &sh_global_flags[i]);
	mech_buf_puts(b, ".PP\nEvery command that writes also takes:\n");
	for (i = 0; sh_write_flags[i].opt; i++)
		roff_flag(b, &sh_write_flags[i]);
	man_exit_status(b);
	man_environment(b);
	man_files(b);
	mech_buf_puts(b, ".SH \"SEE ALSO\"\n.BR mech.yaml (5),\n.BR git (1),\n.BR ssh (1),\n"
			 ".BR sshd_config (5),\n.BR sshd (8)\n.PP\n");
	if (slash)
		*slash = '\0';
	roff(b, "usage.md, ssh.md and architecture.md in ");
	roff(b, share);
	roff(b, "/doc/mech: commands, JSON shapes, the SSH front door and how a write becomes a "
		"receipt.");
	mech_buf_putc(b, '\n');
	free(share);
}

/* ---- mech.yaml(5) ----------------------------------------------------- */

/* One line of the example, "KEY: VALUE" indented, as roff text. */
static void yaml_line(mech_buf *b, int indent, const mech_config_key *k)
{
	char *line = !strcmp(k->type, "string")
			     ? mech_sprintf("%*s%s: \"%s\"", indent, "", k->key, k->def)
			     : mech_sprintf("%*s%s: %s", indent, "", k->key, k->def);
	roff(b, line);
	mech_buf_putc(b, '\n');
	free(line);
}

/*
 * The sections in reading order: each top-level section (in the order the
 * table first names it), then its subsections ("routes", "routes.gateway").
 */
static void config_sections(mech_strv *out)
{
	mech_strv tops = MECH_STRV_INIT;
	mech_config_key k;
	size_t i, t;
	for (i = 0; mech_config_key_at(i, &k); i++) {
		char *top = mech_strndup(k.section, strcspn(k.section, "."));
		if (!mech_strv_contains(&tops, top))
			mech_strv_push(&tops, top);
		free(top);
	}
	for (t = 0; t < tops.len; t++) {
		size_t tl = strlen(tops.items[t]);
		mech_strv_push(out, tops.items[t]);
		for (i = 0; mech_config_key_at(i, &k); i++)
			if (!strncmp(k.section, tops.items[t], tl) && k.section[tl] == '.' &&
			    !mech_strv_contains(out, k.section))
				mech_strv_push(out, k.section);
	}
	mech_strv_dispose(&tops);
}

/* An example file with every key at its default, nested as the parser reads it. */
static void man5_example(mech_buf *b, const mech_strv *sections)
{
	mech_config_key k;
	size_t i, j;
	mech_buf_puts(b, ".RS 4\n.PP\n.nf\n");
	for (j = 0; j < sections->len; j++) {
		const char *sec = sections->items[j], *dot = strrchr(sec, '.');
		int depth = dot ? 2 : 0;
		mech_buf_printf(b, "%*s", depth, "");
		roff(b, dot ? dot + 1 : sec);
		mech_buf_puts(b, ":\n");
		for (i = 0; mech_config_key_at(i, &k); i++)
			if (!strcmp(k.section, sec))
				yaml_line(b, depth + 2, &k);
	}
	mech_buf_puts(b, ".fi\n.RE\n");
}

static void man5_key(mech_buf *b, const mech_config_key *k)
{
	mech_buf_puts(b, ".TP\n\\fB");
	roff(b, k->section);
	mech_buf_putc(b, '.');
	roff(b, k->key);
	mech_buf_puts(b, "\\fR (");
	roff(b, k->type);
	if (!strcmp(k->type, "integer"))
		mech_buf_printf(b, ", %ld to %ld", k->min, k->max);
	if (k->choices) {
		const char *c = k->choices;
		mech_buf_puts(b, ", one of ");
		while (*c) {
			size_t n = strcspn(c, "|");
			roff_n(b, c, n);
			c += n;
			if (*c) {
				mech_buf_puts(b, ", ");
				c++;
			}
		}
	}
	mech_buf_puts(b, "; default ");
	if (!*k->def)
		mech_buf_puts(b, "empty");
	else if (!strcmp(k->type, "string"))
		mech_buf_puts(b, "\\(lq");
	roff(b, k->def);
	if (*k->def && !strcmp(k->type, "string"))
		mech_buf_puts(b, "\\(rq");
	mech_buf_puts(b, ")\n");
	roff(b, k->help);
	mech_buf_putc(b, '\n');
}

static void gen_man5(mech_buf *b)
{
	mech_strv sections = MECH_STRV_INIT;
	mech_config_key k;
	size_t i, j;
	config_sections(&sections);
	roff_th(b, "MECH.YAML", 5, "mech manual");
	mech_buf_puts(b, ".SH NAME\nmech.yaml \\- configuration of mech\n.SH SYNOPSIS\n"
			 ".I MECH_HOME/mech.yaml\n.SH DESCRIPTION\n.PP\n");
	roff(b,
	     "The configuration of one mech home: a YAML mapping of sections, each a mapping "
	     "of keys to scalars. The file is optional and so is every key: what is absent "
	     "takes its default. `mech admin init` writes a file with the defaults. Unknown "
	     "keys, non-scalar values, integers and durations out of range, and values outside a key's "
	     "choices are configuration errors: every command then exits 78 and names the "
	     "file, line and key.");
	mech_buf_puts(b, "\n.SH KEYS\n");
	for (j = 0; j < sections.len; j++) {
		int heading = 0;
		for (i = 0; mech_config_key_at(i, &k); i++) {
			if (strcmp(k.section, sections.items[j]))
				continue;
			if (!heading++) {
				mech_buf_puts(b, ".SS ");
				roff(b, sections.items[j]);
				mech_buf_putc(b, '\n');
			}
			man5_key(b, &k);
		}
	}
	mech_buf_puts(b, ".SH EXAMPLE\n.PP\nEvery key at its default:\n");
	man5_example(b, &sections);
	mech_buf_puts(b, ".SH FILES\n.TP\n.I MECH_HOME/mech.yaml\nThis file; MECH_HOME is "
			 "\\fB\\-\\-home\\fR, else $MECH_HOME, else /var/lib/mech for root, else "
			 "$XDG_DATA_HOME/mech.\n.SH \"SEE ALSO\"\n.BR mech (1)\n");
	mech_strv_dispose(&sections);
}

/* ---- handlers --------------------------------------------------------- */

int sh_gen_emit(sh_ctx *ctx, void (*gen)(mech_buf *), const char *format)
{
	mech_buf b = MECH_BUF_INIT;
	gen(&b);
	if (ctx->json) {
		cJSON_Delete(ctx->result);
		ctx->result = cJSON_CreateObject();
		cJSON_AddStringToObject(ctx->result, "format", format);
		cJSON_AddStringToObject(ctx->result, "text", mech_buf_cstr(&b));
	} else {
		mech_buf_put(&ctx->out, mech_buf_cstr(&b), b.len);
	}
	mech_buf_dispose(&b);
	return 0;
}

int sh_gen_man(sh_ctx *ctx, const sh_args *a)
{
	return sh_gen_emit(ctx, gen_man, "roff");
}

int sh_gen_man5(sh_ctx *ctx, const sh_args *a)
{
	return sh_gen_emit(ctx, gen_man5, "roff");
}
