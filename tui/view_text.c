/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Text views: the key list (`?`, generated from the key table and the
 * live bindings) and the output of a command run from the `:` prompt.
 */
#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int load(struct tui *t, tui_view *v)
{
	(void)t;
	(void)v;
	return 0; /* lines are filled once, by whoever opened the view */
}

static int enter(struct tui *t, tui_view *v, const tui_line *line, int diff)
{
	const char *shas[1];
	(void)v;
	if (!line || !line->key || !line->tenant)
		return 0;
	shas[0] = line->key; /* a receipt line: open the commit */
	tui_push(t, tui_commit_view(t, line->tenant, shas, 1, diff));
	return 0;
}

static tui_action request(struct tui *t, tui_view *v, tui_action a)
{
	size_t i;
	(void)t;
	if (a != TUI_ACT_ENTER && a != TUI_ACT_DIFF)
		return a;
	/* Enter on a text view opens the receipt it shows, if any */
	for (i = 0; i < v->nlines; i++)
		if (v->lines[i].key) {
			enter(t, v, &v->lines[i], a == TUI_ACT_DIFF);
			return TUI_ACT_NONE;
		}
	return TUI_ACT_NONE;
}

const struct tui_view_ops tui_text_ops = {
	"text", "generic", load, NULL, request, NULL, NULL, 0,
};

tui_view *tui_text_view(const char *title)
{
	tui_view *v = tui_view_new(&tui_text_ops, NULL, 0, 0);
	v->title = mech_strdup(title);
	return v;
}

tui_view *tui_help_view(void)
{
	tui_view *v = tui_text_view("keys");
	int a;
	tui_view_text(v, TUI_AREA_DEFAULT, "Theme: %s (T cycles; NO_COLOR gives mono)",
		      tui_theme_name());
	tui_view_text(v, TUI_AREA_TITLE, "%-22s %-14s %s", "KEYS", "ACTION", "WHAT IT DOES");
	for (a = 1; a < TUI_ACT__COUNT; a++) {
		char keys[128];
		tui_line *l;
		tui_keys_describe((tui_action)a, keys, sizeof(keys));
		l = tui_view_add(v, TUI_LINE_TEXT, NULL);
		tui_line_cell(l, TUI_AREA_LABEL, "%-22s ", *keys ? keys : "(unbound)");
		tui_line_cell(l, TUI_AREA_DEFAULT, "%-14s %s%s%s%s", tui_action_name((tui_action)a),
			      tui_action_help((tui_action)a),
			      strcmp(tui_action_keymap((tui_action)a), "generic") ? " [" : "",
			      strcmp(tui_action_keymap((tui_action)a), "generic")
				      ? tui_action_keymap((tui_action)a)
				      : "",
			      strcmp(tui_action_keymap((tui_action)a), "generic") ? " views]" : "");
	}
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	tui_view_text(v, TUI_AREA_TITLE, "At the : prompt");
	tui_view_text(v, TUI_AREA_DEFAULT, "  apps routes addons history forced   switch view");
	tui_view_text(v, TUI_AREA_DEFAULT, "  theme NAME   screen-save FILE   refresh   quit");
	tui_view_text(v, TUI_AREA_DEFAULT,
		      "  anything else runs as `mech <command>` (e.g. app list)");
	tui_view_text(v, TUI_AREA_DEFAULT, "  Tab completes, Up/Down recall earlier lines");
	tui_view_text(v, TUI_AREA_DEFAULT, "%s", "");
	tui_view_text(v, TUI_AREA_DIM,
		      "Rebind in MECH_HOME/console-keys: `bind generic x quit`, "
		      "`bind generic p none` unbinds.");
	return v;
}
