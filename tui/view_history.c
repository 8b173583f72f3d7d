/*
 * The history view: receipts, newest first, each with its class badge
 * (machine, human, forced), verb, target, author, age and subject.
 */
#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const tui_column cols[] = {
    {"CLASS", 7, 7, 0},   {"COMMIT", 7, 7, 0}, {"VERB", 13, 14, 3},   {"TARGET", 6, 24, 2},
    {"AUTHOR", 6, 12, 1}, {"AGE", 3, 4, 0},    {"SUBJECT", 12, 0, 0},
};

/* The verb has its own column: show a receipt's summary without the "mechanics(…): " prefix. */
static const char *summary_of(const mech_log_entry *e)
{
	const char *colon = e->verb ? strstr(e->subject, "): ") : NULL;
	return colon && e->cls != MECH_CLASS_HUMAN ? colon + 3 : e->subject;
}

static int load(struct tui *t, tui_view *v)
{
	tui_data *d = &t->data;
	long long now = (long long)time(NULL);
	size_t i;
	for (i = 0; i < d->nlog; i++) {
		const mech_log_entry *e = &d->log[i];
		tui_line *l = tui_view_add(v, TUI_LINE_ROW, e->commit);
		char who[64], age[16];
		tui_author_name(e->author, who, sizeof(who));
		tui_age(now - e->time, age, sizeof(age));
		tui_line_cell(l, tui_class_area(e->cls), "%s", mech_class_name(e->cls));
		tui_line_cell(l, TUI_AREA_DIM, "%.7s", e->commit);
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", e->verb ? e->verb : "-");
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", e->target ? e->target : "-");
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", who);
		tui_line_cell(l, TUI_AREA_DIM, "%s", age);
		tui_line_cell(l, TUI_AREA_DEFAULT, "%s", summary_of(e));
	}
	return 0;
}

static int enter(struct tui *t, tui_view *v, const tui_line *line, int diff)
{
	const char *shas[1];
	(void)v;
	if (!line || !line->key)
		return 0;
	shas[0] = line->key;
	tui_push(t, tui_commit_view(t, shas, 1, diff));
	return 0;
}

static void summary(struct tui *t, tui_view *v, mech_buf *out)
{
	size_t i, n[4] = {0};
	(void)v;
	for (i = 0; i < t->data.nlog; i++)
		n[t->data.log[i].cls <= MECH_CLASS_FORCED ? t->data.log[i].cls : 0]++;
	mech_buf_printf(out, "%zu commits │ machine %zu, human %zu, forced %zu", t->data.nlog,
	                n[MECH_CLASS_MACHINE], n[MECH_CLASS_HUMAN], n[MECH_CLASS_FORCED]);
}

const struct tui_view_ops tui_history_ops = {
    "history", "generic", load, enter, NULL, summary, NULL, 1,
};

tui_view *tui_history_view(void)
{
	return tui_view_new(&tui_history_ops, cols, sizeof(cols) / sizeof(*cols), 1);
}
