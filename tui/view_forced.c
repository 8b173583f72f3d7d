/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The forced-overwrites view: each --force receipt, and under it every
 * human commit it overrode (from its Mechanics-Forced-Over trailers).
 * Enter or d opens both commits with their diffs. Finding them walks the
 * whole history, so nothing is read before the view opens; it then says
 * "loading…" for one draw, and afterwards follows new commits only.
 *
 * The operator's review: a forced row says whether it is reviewed (a note
 * under refs/notes/mechanics-review, `mech review`), a human row whether
 * its change is still overridden at the head or restored (what `mech log
 * --json` calls still_overridden). Unreviewed writes come first. R restores
 * the human's version (`revert`, its plan first), m marks the write
 * reviewed (`review` on the prompt line): both through the `:` prompt's
 * command table, as the row's tenant.
 */
#include "tui.h"

#include "cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const tui_column cols[] = {
	{"TENANT", 6, 16, 0, 0},  {"CLASS", 7, 7, 0, 0},    {"COMMIT", 7, 7, 0, 0},
	{"STATUS", 10, 10, 0, 0}, {"WHAT", 12, 40, 0, 0},   {"AUTHOR", 6, 12, 1, 0},
	{"AGE", 3, 4, 0, 0},      {"SUBJECT", 12, 0, 0, 0},
};

typedef struct {
	int known;         /* the forced list was read when the view last loaded */
	size_t unreviewed; /* forced writes without a review note */
} forced_priv;

static void add(struct tui *t, tui_view *v, tui_tenant *tn, const mech_log_entry *e,
		const mech_review *r, long long now)
{
	tui_line *l = tui_view_row(t, v, tn, e->commit);
	char who[64], age[16];
	size_t j;

	tui_author_name(e->author, who, sizeof(who));
	mech_age_text(now - e->time, age, sizeof(age));
	tui_line_cell(l, TUI_AREA_FORCED, "forced");
	tui_line_cell(l, TUI_AREA_DIM, "%.7s", e->commit);
	if (r)
		tui_line_cell(l, TUI_AREA_DIM, "reviewed");
	else
		tui_line_cell(l, TUI_AREA_OUT_OF_SYNC, "unreviewed");
	tui_line_cell(l, TUI_AREA_DEFAULT, "%s %s", e->verb ? e->verb : "-",
		      e->target ? e->target : "");
	tui_line_cell(l, TUI_AREA_DEFAULT, "%s", who);
	tui_line_cell(l, TUI_AREA_DIM, "%s", age);
	if (r && r->comment)
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s (reviewed: %s)",
			      strstr(e->subject, "): ") ? strstr(e->subject, "): ") + 3 : e->subject,
			      r->comment);
	else
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s",
			      strstr(e->subject, "): ") ? strstr(e->subject, "): ") + 3
							: e->subject);
	for (j = 0; j < e->nforced; j++) {
		char *author = NULL, *subject = NULL;
		long long when = 0;
		int found = tui_commit_brief(tn, e->forced[j].commit, &author, &when, &subject) ==
			    0;
		int still = e->still_overridden ? e->still_overridden[j] : -1;
		l = tui_view_row(t, v, tn, e->commit);
		l->key2 = mech_strdup(e->forced[j].commit);
		mech_age_text(now - when, age, sizeof(age));
		tui_line_cell(l, TUI_AREA_HUMAN, "└ human");
		tui_line_cell(l, TUI_AREA_DIM, "%.7s", e->forced[j].commit);
		if (still > 0)
			tui_line_cell(l, TUI_AREA_FORCED, "overridden");
		else if (still == 0)
			tui_line_cell(l, TUI_AREA_SYNCED, "restored");
		else
			tui_line_cell(l, TUI_AREA_UNKNOWN, "?");
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", e->forced[j].path);
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", found ? author : "?");
		tui_line_cell(l, TUI_AREA_DIM, "%s", found ? age : "-");
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", found ? subject : "(commit not found)");
		free(author);
		free(subject);
	}
}

static forced_priv *priv_of(tui_view *v)
{
	if (!v->priv)
		v->priv = mech_calloc(1, sizeof(forced_priv));
	return v->priv;
}

static int load(struct tui *t, tui_view *v)
{
	tui_data *d = &t->data;
	forced_priv *p = priv_of(v);
	long long now = (long long)time(NULL);
	mech_review **rev;
	size_t *at, i, j;
	int pass;

	if (!tui_data_have(d, TUI_HAVE_FORCED)) {
		/* read after the next draw, so the screen says why it waits */
		t->slow |= TUI_HAVE_FORCED;
		tui_view_text(v, TUI_AREA_DIM,
			      "loading forced overwrites… (the first time walks the whole history)");
		return 0;
	}
	/* the review notes: not on the branch, so read each time the view is built */
	rev = mech_calloc(d->ntenants + 1, sizeof(*rev));
	p->unreviewed = 0;
	for (i = 0; i < d->ntenants; i++) {
		tui_tenant *tn = d->tenants[i];
		rev[i] = mech_calloc(tn->nforced + 1, sizeof(**rev));
		for (j = 0; j < tn->nforced; j++)
			if (!tn->repo ||
			    !mech_history_reviewed(tn->repo, tn->forced[j].commit, &rev[i][j]))
				p->unreviewed++;
	}
	p->known = 1;
	/* unreviewed first, then reviewed; each newest first across tenants */
	at = mech_calloc(d->ntenants + 1, sizeof(*at));
	for (pass = 0; pass < 2; pass++) {
		memset(at, 0, (d->ntenants + 1) * sizeof(*at));
		for (;;) {
			size_t bi = 0, k;
			tui_tenant *best = tui_data_newest(d, at, 1, &bi);
			const mech_review *r;
			if (!best)
				break;
			k = at[bi]++;
			for (i = 0; d->tenants[i] != best; i++)
				;
			r = rev[i][k].by ? &rev[i][k] : NULL;
			if ((r != NULL) == pass)
				add(t, v, best, &best->forced[k], r, now);
		}
	}
	free(at);
	for (i = 0; i < d->ntenants; i++) {
		for (j = 0; j < d->tenants[i]->nforced; j++)
			mech_review_dispose(&rev[i][j]);
		free(rev[i]);
	}
	free(rev);
	return 0;
}

size_t tui_forced_unreviewed(const tui_view *v)
{
	const forced_priv *p = v ? v->priv : NULL;
	return p && p->known ? p->unreviewed : (size_t)-1;
}

/* The forced receipt a row stands for (its own row or a human row under it). */
static const mech_log_entry *entry_of(const tui_line *line)
{
	tui_tenant *tn = line ? line->tenant : NULL;
	size_t i;
	if (!line || !line->key || !tn)
		return NULL;
	for (i = 0; i < tn->nforced; i++)
		if (!strcmp(tn->forced[i].commit, line->key))
			return &tn->forced[i];
	return NULL;
}

static int enter(struct tui *t, tui_view *v, const tui_line *line, int diff)
{
	const mech_log_entry *e = entry_of(line);
	const char **shas;
	size_t j, n = 0;
	(void)v;
	if (!e)
		return 0;
	shas = mech_calloc(e->nforced + 1, sizeof(*shas));
	shas[n++] = e->commit;
	for (j = 0; j < e->nforced; j++) {
		size_t k;
		for (k = 1; k < n && strcmp(shas[k], e->forced[j].commit); k++)
			;
		if (k == n)
			shas[n++] = e->forced[j].commit;
	}
	tui_push(t, tui_commit_view(t, line->tenant, shas, n, diff));
	free(shas);
	return 0;
}

/* The CLI's rule for a command over SSH (operator commands are refused there). */
static int operator_only(const char *noun)
{
	size_t i;
	for (i = 0; i < sh_ncommands; i++)
		if (!strcmp(sh_commands[i].noun, noun))
			return (sh_commands[i].flags & SH_OPERATOR) != 0;
	return 0;
}

static tui_action request(struct tui *t, tui_view *v, tui_action a)
{
	const tui_line *line;
	const mech_log_entry *e;
	size_t j;
	int still = 0;
	char *cmd;

	if (a != TUI_ACT_REVERT && a != TUI_ACT_REVIEW)
		return a;
	line = tui_view_selected(v);
	e = entry_of(line);
	if (!e) {
		tui_message(t, 1, "no forced write selected");
		return TUI_ACT_NONE;
	}
	if (t->readonly) {
		tui_message(t, 1, "read-only session: %s would write %s (drop --readonly)",
			    a == TUI_ACT_REVERT ? "R" : "m",
			    a == TUI_ACT_REVERT ? "a revert receipt" : "a review note");
		return TUI_ACT_NONE;
	}
	if (a == TUI_ACT_REVIEW) {
		if (t->via_ssh && operator_only("review")) {
			tui_message(t, 1, "`review` is an operator command: not over SSH");
			return TUI_ACT_NONE;
		}
		/* on the prompt line, as typed: Enter marks it, or add --comment '…' first */
		cmd = mech_sprintf("review %.12s ", e->commit);
		tui_prompt_start(t);
		for (j = 0; cmd[j]; j++)
			tui_prompt_key(t, (unsigned char)cmd[j]);
		free(cmd);
		return TUI_ACT_NONE;
	}
	for (j = 0; j < e->nforced; j++)
		still |= !e->still_overridden || e->still_overridden[j] != 0;
	if (!still) {
		tui_message(t, 0, "nothing to restore: the human's version is at the head again");
		return TUI_ACT_NONE;
	}
	cmd = mech_sprintf("revert %.12s", e->commit);
	tui_plan_and_ask(t, line->tenant, cmd, "It restores the human's version.");
	free(cmd);
	return TUI_ACT_NONE;
}

static void summary(struct tui *t, tui_view *v, mech_buf *out)
{
	size_t i, j, k, writes = 0, over = 0, still = 0, unreviewed = tui_forced_unreviewed(v);
	if (!tui_data_have(&t->data, TUI_HAVE_FORCED)) {
		mech_buf_puts(out, "loading…");
		return;
	}
	if (t->mode == TUI_MODE_PROMPT && !strncmp(mech_buf_cstr(&t->input), "review ", 7)) {
		mech_buf_puts(out, "Enter marks it reviewed; type --comment '…' first to say why");
		return;
	}
	for (i = 0; i < t->data.ntenants; i++) {
		const tui_tenant *tn = t->data.tenants[i];
		for (j = 0; j < tn->nforced; j++) {
			over += tn->forced[j].nforced;
			for (k = 0; k < tn->forced[j].nforced; k++)
				still += tn->forced[j].still_overridden &&
					 tn->forced[j].still_overridden[k] > 0;
		}
		writes += tn->nforced;
	}
	mech_buf_printf(out, "%zu forced %s overrode %zu human %s", writes,
			writes == 1 ? "write" : "writes", over, over == 1 ? "change" : "changes");
	if (unreviewed != (size_t)-1)
		mech_buf_printf(out, ", %zu unreviewed", unreviewed);
	mech_buf_printf(out, ", %zu still overridden │ Enter diffs, R restore, m reviewed", still);
}

static void done(tui_view *v)
{
	free(v->priv);
	v->priv = NULL;
}

const struct tui_view_ops tui_forced_ops = {
	"forced", "generic", load, enter, request, summary, done, 1,
};

tui_view *tui_forced_view(struct tui *t)
{
	return tui_view_table(t, &tui_forced_ops, cols, sizeof(cols) / sizeof(*cols));
}
