/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The forced-overwrites view: each --force receipt, and under it every
 * human commit it overrode (from its Mechanics-Forced-Over trailers).
 * Enter or d opens both commits with their diffs. Finding them walks the
 * whole history, so nothing is read before the view opens; it then says
 * "loading…" for one draw, and afterwards follows new commits only.
 */
#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const tui_column cols[] = {
	{"TENANT", 6, 16, 0}, {"CLASS", 7, 7, 0}, {"COMMIT", 7, 7, 0},   {"WHAT", 12, 40, 0},
	{"AUTHOR", 6, 12, 1}, {"AGE", 3, 4, 0},   {"SUBJECT", 12, 0, 0},
};

static void add(struct tui *t, tui_view *v, tui_tenant *tn, const mech_log_entry *e, long long now)
{
	tui_line *l = tui_view_row(t, v, tn, e->commit);
	char who[64], age[16];
	size_t j;

	tui_author_name(e->author, who, sizeof(who));
	tui_age(now - e->time, age, sizeof(age));
	tui_line_cell(l, TUI_AREA_FORCED, "forced");
	tui_line_cell(l, TUI_AREA_DIM, "%.7s", e->commit);
	tui_line_cell(l, TUI_AREA_DEFAULT, "%s %s", e->verb ? e->verb : "-",
		      e->target ? e->target : "");
	tui_line_cell(l, TUI_AREA_DEFAULT, "%s", who);
	tui_line_cell(l, TUI_AREA_DIM, "%s", age);
	tui_line_cell(l, TUI_AREA_DEFAULT, "%s",
		      strstr(e->subject, "): ") ? strstr(e->subject, "): ") + 3 : e->subject);
	for (j = 0; j < e->nforced; j++) {
		char *author = NULL, *subject = NULL;
		long long when = 0;
		int found = tui_commit_brief(tn, e->forced[j].commit, &author, &when, &subject) ==
			    0;
		l = tui_view_row(t, v, tn, e->commit);
		l->key2 = mech_strdup(e->forced[j].commit);
		tui_age(now - when, age, sizeof(age));
		tui_line_cell(l, TUI_AREA_HUMAN, "└ human");
		tui_line_cell(l, TUI_AREA_DIM, "%.7s", e->forced[j].commit);
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", e->forced[j].path);
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", found ? author : "?");
		tui_line_cell(l, TUI_AREA_DIM, "%s", found ? age : "-");
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", found ? subject : "(commit not found)");
		free(author);
		free(subject);
	}
}

static int load(struct tui *t, tui_view *v)
{
	tui_data *d = &t->data;
	long long now = (long long)time(NULL);
	size_t *at;

	if (!tui_data_have(d, TUI_HAVE_FORCED)) {
		/* read after the next draw, so the screen says why it waits */
		t->slow |= TUI_HAVE_FORCED;
		tui_view_text(v, TUI_AREA_DIM,
			      "loading forced overwrites… (the first time walks the whole history)");
		return 0;
	}
	/* newest first across tenants */
	at = mech_calloc(d->ntenants + 1, sizeof(*at));
	for (;;) {
		size_t bi = 0;
		tui_tenant *best = tui_data_newest(d, at, 1, &bi);
		if (!best)
			break;
		add(t, v, best, &best->forced[at[bi]++], now);
	}
	free(at);
	return 0;
}

static int enter(struct tui *t, tui_view *v, const tui_line *line, int diff)
{
	tui_tenant *tn = line ? line->tenant : NULL;
	const char **shas;
	size_t i, j, n = 0;
	(void)v;
	if (!line || !line->key || !tn)
		return 0;
	for (i = 0; i < tn->nforced; i++) {
		const mech_log_entry *e = &tn->forced[i];
		if (strcmp(e->commit, line->key))
			continue;
		shas = mech_calloc(e->nforced + 1, sizeof(*shas));
		shas[n++] = e->commit;
		for (j = 0; j < e->nforced; j++) {
			size_t k;
			for (k = 1; k < n && strcmp(shas[k], e->forced[j].commit); k++)
				;
			if (k == n)
				shas[n++] = e->forced[j].commit;
		}
		tui_push(t, tui_commit_view(t, tn, shas, n, diff));
		free(shas);
		return 0;
	}
	return 0;
}

static void summary(struct tui *t, tui_view *v, mech_buf *out)
{
	size_t i, j, writes = 0, over = 0;
	(void)v;
	if (!tui_data_have(&t->data, TUI_HAVE_FORCED)) {
		mech_buf_puts(out, "loading…");
		return;
	}
	for (i = 0; i < t->data.ntenants; i++) {
		const tui_tenant *tn = t->data.tenants[i];
		for (j = 0; j < tn->nforced; j++)
			over += tn->forced[j].nforced;
		writes += tn->nforced;
	}
	mech_buf_printf(out, "%zu forced writes overrode %zu human changes │ Enter: both diffs",
			writes, over);
}

const struct tui_view_ops tui_forced_ops = {
	"forced", "generic", load, enter, NULL, summary, NULL, 1,
};

tui_view *tui_forced_view(struct tui *t)
{
	return tui_view_table(t, &tui_forced_ops, cols, sizeof(cols) / sizeof(*cols));
}
