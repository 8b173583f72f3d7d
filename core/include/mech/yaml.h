/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_YAML_H
#define MECH_YAML_H

#include <stddef.h>

#include "mech/buf.h"

/*
 * A small YAML document tree over libyaml: the one place mech parses and
 * emits YAML. Parsing is bounded (size, depth, node count) because libyaml
 * 0.2.5 has no nesting limit; emitting is deterministic (keys in insertion
 * order, block style, fixed quoting rules) so equal inputs give equal bytes.
 */

typedef enum { MECH_YAML_SCALAR, MECH_YAML_MAP, MECH_YAML_SEQ } mech_yaml_kind;

/** What a scalar is, for emitting: strings that look like other types are quoted. */
typedef enum { MECH_YAML_STR, MECH_YAML_INT, MECH_YAML_BOOL, MECH_YAML_NULL } mech_yaml_type;

typedef struct mech_yaml mech_yaml;
struct mech_yaml {
	mech_yaml_kind kind;
	mech_yaml_type type; /* scalars */
	char *value;         /* scalars: the text */
	int quoted;          /* parsed scalars: it was quoted in the source */
	int line;            /* 1-based line in the source (parsed nodes), else 0 */
	char **keys;         /* maps: keys[i] names items[i] */
	int *key_lines;      /* maps from the parser: the line of keys[i], else NULL */
	mech_yaml **items;   /* maps and sequences */
	size_t len, cap;
};

typedef struct {
	size_t max_bytes; /* default 1 MiB */
	int max_depth;    /* default 64 */
	size_t max_nodes; /* default 100000 */
} mech_yaml_limits;

mech_yaml *mech_yaml_map(void);
mech_yaml *mech_yaml_seq(void);
mech_yaml *mech_yaml_str(const char *s);
mech_yaml *mech_yaml_int(long long v);
mech_yaml *mech_yaml_bool(int v);
/** Put `value` under `key` in `map` (replacing an existing key in place); takes ownership. Returns value. */
mech_yaml *mech_yaml_set(mech_yaml *map, const char *key, mech_yaml *value);
/** Shorthands for mech_yaml_set(map, key, mech_yaml_str/int(v)). */
mech_yaml *mech_yaml_set_str(mech_yaml *map, const char *key, const char *v);
mech_yaml *mech_yaml_set_int(mech_yaml *map, const char *key, long long v);
/** Append `value` to `seq`; takes ownership. Returns value. */
mech_yaml *mech_yaml_append(mech_yaml *seq, mech_yaml *value);
/** Remove `key` from `map` (freeing its value). Returns 0 if removed, -1 if absent. */
int mech_yaml_remove(mech_yaml *map, const char *key);
void mech_yaml_free(mech_yaml *node);
mech_yaml *mech_yaml_clone(const mech_yaml *node);

/** The source line of a map's i-th key (parsed maps), else the map's line. */
int mech_yaml_key_line(const mech_yaml *map, size_t i);
/** Child of a map by key, or NULL (also NULL when `map` is NULL or not a map). Borrowed. */
mech_yaml *mech_yaml_get(const mech_yaml *map, const char *key);
/** Follow a dotted path of map keys ("spec.template.spec"); NULL if any step is missing. */
mech_yaml *mech_yaml_path(const mech_yaml *root, const char *dotted);
/** Scalar text of a node, or NULL if not a scalar. Borrowed. */
const char *mech_yaml_text(const mech_yaml *node);
/** Scalar text at a dotted path, or NULL. */
const char *mech_yaml_path_text(const mech_yaml *root, const char *dotted);

/** Emit one document (with a leading "---"? no: plain document) into `out`. */
int mech_yaml_emit(const mech_yaml *doc, mech_buf *out);

/**
 * Parse the first document of `data`. `name` is used in error messages
 * ("<name>:<line>: …"). On error sets the last error (MECH_EINVALID) and
 * returns -1. `limits` may be NULL for the defaults. An empty document
 * yields an empty map.
 */
int mech_yaml_parse(mech_yaml **out, const char *data, size_t len, const char *name,
		    const mech_yaml_limits *limits);
/** Parse every document of a stream (for multi-document manifests). */
int mech_yaml_parse_all(mech_yaml ***out, size_t *ndocs, const char *data, size_t len,
			const char *name, const mech_yaml_limits *limits);

#endif
