/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A column's widest cell, kept as cells come and go: how many cells have
 * each width. A row added or changed counts its new cells and uncounts the
 * old ones, so a view of 10,000 rows whose revision moved measures the
 * cells that changed, not 90,000; the widest is found again only when the
 * last cell of that width goes, by looking down from it.
 */
#include "tui.h"

#include <stdlib.h>
#include <string.h>

void tui_widths_add(tui_widths *w, int width)
{
	size_t at = width > 0 ? (size_t)width : 0;
	if (at >= w->cap) {
		size_t cap = mech_grow_cap(w->cap, at + 1, 32, sizeof(*w->count));
		w->count = mech_reallocarray(w->count, cap, sizeof(*w->count));
		memset(w->count + w->cap, 0, (cap - w->cap) * sizeof(*w->count));
		w->cap = cap;
	}
	w->count[at]++;
	w->n++;
	if ((int)at > w->max)
		w->max = (int)at;
}

void tui_widths_remove(tui_widths *w, int width)
{
	size_t at = width > 0 ? (size_t)width : 0;
	/* only what was added is removed: anything else is a bookkeeping bug */
	if (at >= w->cap || !w->count[at])
		mech_fatal("tui_widths_remove: no cell of width %d was counted", width);
	w->count[at]--;
	w->n--;
	while (w->max > 0 && !w->count[w->max])
		w->max--;
}

int tui_widths_max(const tui_widths *w)
{
	return w->n ? w->max : 0;
}

void tui_widths_dispose(tui_widths *w)
{
	free(w->count);
	memset(w, 0, sizeof(*w));
}
