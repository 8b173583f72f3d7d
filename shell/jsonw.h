/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SH_JSONW_H
#define SH_JSONW_H

#include <cjson/cJSON.h>

#include "mech/buf.h"

/*
 * JSON written straight into a buffer, byte for byte as cJSON_PrintUnformatted
 * prints the same tree: for results too large to build as a tree first (`app
 * list --json` at 10,000 apps). A shape is written in one place; a caller
 * that needs the tree parses the text back (sh_jw_tree).
 */
#define SH_JW_DEPTH 16

typedef struct {
	mech_buf *out;
	int depth;
	unsigned char items[SH_JW_DEPTH]; /* values written so far at each depth (0 or 1) */
	char close[SH_JW_DEPTH];
} sh_jw;

void sh_jw_init(sh_jw *w, mech_buf *out);
/* `key` names the member in an object; NULL in an array or at the top. */
void sh_jw_object(sh_jw *w, const char *key);
void sh_jw_array(sh_jw *w, const char *key);
/** Closes the innermost object or array. */
void sh_jw_end(sh_jw *w);
/** A string; NULL writes nothing, as cJSON_AddStringToObject adds nothing. */
void sh_jw_string(sh_jw *w, const char *key, const char *s);
void sh_jw_int(sh_jw *w, const char *key, int n);
void sh_jw_bool(sh_jw *w, const char *key, int b);
void sh_jw_null(sh_jw *w, const char *key);
/** The text written as a cJSON tree (it must be one value); caller frees. `out` is emptied. */
cJSON *sh_jw_tree(mech_buf *out);
/**
 * The text written, as a cJSON raw item that takes the buffer's memory
 * (`out` is left empty): printed in its place, never copied (8 MB for
 * `app list --json` at 10,000 apps). mech keeps cJSON's default hooks, so
 * cJSON_Delete frees it with free(), as the buffer was allocated.
 */
cJSON *sh_jw_raw(mech_buf *out);

#endif
