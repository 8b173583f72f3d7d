/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The YAML document tree: bounded parsing and deterministic emitting over
 * libyaml. libyaml 0.2.5 has no nesting limit and slows down badly on deep
 * nesting, so input size and depth are capped before and while parsing.
 */
#include "mech/yaml.h"
#include "mech/error.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define DEFAULT_MAX_BYTES (1024 * 1024)
#define DEFAULT_MAX_DEPTH 64
#define DEFAULT_MAX_NODES 100000

static mech_yaml *node_new(mech_yaml_kind kind)
{
	mech_yaml *n = mech_calloc(1, sizeof(*n));
	n->kind = kind;
	return n;
}

mech_yaml *mech_yaml_map(void)
{
	return node_new(MECH_YAML_MAP);
}

mech_yaml *mech_yaml_seq(void)
{
	return node_new(MECH_YAML_SEQ);
}

mech_yaml *mech_yaml_str(const char *s)
{
	mech_yaml *n = node_new(MECH_YAML_SCALAR);
	n->type = MECH_YAML_STR;
	n->value = mech_strdup(s);
	return n;
}

mech_yaml *mech_yaml_int(long long v)
{
	mech_yaml *n = node_new(MECH_YAML_SCALAR);
	n->type = MECH_YAML_INT;
	n->value = mech_sprintf("%lld", v);
	return n;
}

mech_yaml *mech_yaml_bool(int v)
{
	mech_yaml *n = node_new(MECH_YAML_SCALAR);
	n->type = MECH_YAML_BOOL;
	n->value = mech_strdup(v ? "true" : "false");
	return n;
}

static void reserve(mech_yaml *n)
{
	if (n->len < n->cap)
		return;
	n->cap = mech_grow_cap(n->cap, n->len + 1, 4, sizeof(*n->items));
	n->items = mech_reallocarray(n->items, n->cap, sizeof(*n->items));
	if (n->kind == MECH_YAML_MAP) {
		n->keys = mech_reallocarray(n->keys, n->cap, sizeof(*n->keys));
		if (n->key_lines)
			n->key_lines = mech_reallocarray(n->key_lines, n->cap, sizeof(int));
	}
}

int mech_yaml_key_line(const mech_yaml *map, size_t i)
{
	return map->key_lines && i < map->len ? map->key_lines[i] : map->line;
}

mech_yaml *mech_yaml_set(mech_yaml *map, const char *key, mech_yaml *value)
{
	size_t i;
	for (i = 0; i < map->len; i++) {
		if (!strcmp(map->keys[i], key)) {
			mech_yaml_free(map->items[i]);
			map->items[i] = value;
			return value;
		}
	}
	reserve(map);
	map->keys[map->len] = mech_strdup(key);
	map->items[map->len++] = value;
	return value;
}

mech_yaml *mech_yaml_set_str(mech_yaml *map, const char *key, const char *v)
{
	return mech_yaml_set(map, key, mech_yaml_str(v));
}

mech_yaml *mech_yaml_set_int(mech_yaml *map, const char *key, long long v)
{
	return mech_yaml_set(map, key, mech_yaml_int(v));
}

mech_yaml *mech_yaml_append(mech_yaml *seq, mech_yaml *value)
{
	reserve(seq);
	seq->items[seq->len++] = value;
	return value;
}

int mech_yaml_remove(mech_yaml *map, const char *key)
{
	size_t i;
	if (!map || map->kind != MECH_YAML_MAP)
		return -1;
	for (i = 0; i < map->len; i++) {
		if (strcmp(map->keys[i], key))
			continue;
		free(map->keys[i]);
		mech_yaml_free(map->items[i]);
		memmove(map->keys + i, map->keys + i + 1, (map->len - i - 1) * sizeof(char *));
		if (map->key_lines)
			memmove(map->key_lines + i, map->key_lines + i + 1,
				(map->len - i - 1) * sizeof(int));
		memmove(map->items + i, map->items + i + 1,
			(map->len - i - 1) * sizeof(mech_yaml *));
		map->len--;
		return 0;
	}
	return -1;
}

void mech_yaml_free(mech_yaml *node)
{
	size_t i;
	if (!node)
		return;
	for (i = 0; i < node->len; i++) {
		if (node->keys)
			free(node->keys[i]);
		mech_yaml_free(node->items[i]);
	}
	free(node->keys);
	free(node->key_lines);
	free(node->items);
	free(node->value);
	free(node);
}

mech_yaml *mech_yaml_clone(const mech_yaml *node)
{
	mech_yaml *c;
	size_t i;
	if (!node)
		return NULL;
	c = node_new(node->kind);
	c->type = node->type;
	c->quoted = node->quoted;
	c->line = node->line;
	c->value = node->value ? mech_strdup(node->value) : NULL;
	for (i = 0; i < node->len; i++) {
		if (node->kind == MECH_YAML_MAP)
			mech_yaml_set(c, node->keys[i], mech_yaml_clone(node->items[i]));
		else
			mech_yaml_append(c, mech_yaml_clone(node->items[i]));
	}
	return c;
}

mech_yaml *mech_yaml_get(const mech_yaml *map, const char *key)
{
	size_t i;
	if (!map || map->kind != MECH_YAML_MAP)
		return NULL;
	for (i = 0; i < map->len; i++)
		if (!strcmp(map->keys[i], key))
			return map->items[i];
	return NULL;
}

mech_yaml *mech_yaml_path(const mech_yaml *root, const char *dotted)
{
	const char *p = dotted;
	mech_yaml *cur = (mech_yaml *)root;
	char key[256];
	while (cur && *p) {
		size_t n = strcspn(p, ".");
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		cur = mech_yaml_get(cur, key);
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}

const char *mech_yaml_text(const mech_yaml *node)
{
	return node && node->kind == MECH_YAML_SCALAR ? node->value : NULL;
}

const char *mech_yaml_path_text(const mech_yaml *root, const char *dotted)
{
	return mech_yaml_text(mech_yaml_path(root, dotted));
}

/* ---- emitting ---- */

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
	return mech_buf_put(data, buffer, size) == 0;
}

static int is_number_like(const char *s)
{
	const char *p = s;
	int digits = 0;
	if (*p == '+' || *p == '-')
		p++;
	if (!strncmp(p, "0x", 2) || !strncmp(p, "0o", 2) || !strncmp(p, "0b", 2))
		return 1;
	if (!strcasecmp(p, ".inf") || !strcasecmp(p, ".nan"))
		return 1;
	for (; *p; p++) {
		if (isdigit((unsigned char)*p))
			digits++;
		else if (!strchr("._:eE+-", *p))
			return 0;
	}
	return digits > 0;
}

/* Strings a YAML 1.1 or 1.2 reader would take for another type get quotes. */
static int needs_quotes(const char *s)
{
	static const char *const words[] = {"true", "false", "yes",  "no", "on", "off",
					    "y",    "n",     "null", "~",  ""};
	size_t i;
	for (i = 0; i < sizeof(words) / sizeof(*words); i++)
		if (!strcasecmp(s, words[i]))
			return 1;
	/* "=" and "<<" are tags to some readers; YYYY-… is a YAML 1.1 timestamp */
	if (!strcmp(s, "=") || !strcmp(s, "<<"))
		return 1;
	if (strlen(s) >= 5 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2]) && isdigit((unsigned char)s[3]) && s[4] == '-')
		return 1;
	return is_number_like(s);
}

/* What a plain (unquoted) scalar is to a YAML reader. */
static mech_yaml_type plain_type(const char *s)
{
	static const char *const bools[] = {"true", "false", "yes", "no", "on", "off"};
	size_t i;
	if (!*s || !strcmp(s, "~") || !strcasecmp(s, "null"))
		return MECH_YAML_NULL;
	for (i = 0; i < sizeof(bools) / sizeof(*bools); i++)
		if (!strcasecmp(s, bools[i]))
			return MECH_YAML_BOOL;
	return is_number_like(s) ? MECH_YAML_INT : MECH_YAML_STR;
}

static int emit_node(yaml_emitter_t *em, const mech_yaml *n)
{
	yaml_event_t ev;
	size_t i;
	switch (n->kind) {
	case MECH_YAML_SCALAR: {
		yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;
		if (n->type == MECH_YAML_STR && needs_quotes(n->value))
			style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		else if (n->type == MECH_YAML_STR && strchr(n->value, '\n'))
			style = YAML_LITERAL_SCALAR_STYLE; /* keep hand-written blocks readable */
		if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)n->value,
						  (int)strlen(n->value), 1, 1, style))
			return -1;
		return yaml_emitter_emit(em, &ev) ? 0 : -1;
	}
	case MECH_YAML_MAP:
		if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
							 n->len ? YAML_BLOCK_MAPPING_STYLE
								: YAML_FLOW_MAPPING_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return -1;
		for (i = 0; i < n->len; i++) {
			mech_yaml key = {.kind = MECH_YAML_SCALAR,
					 .type = MECH_YAML_STR,
					 .value = n->keys[i]};
			if (emit_node(em, &key) < 0 || emit_node(em, n->items[i]) < 0)
				return -1;
		}
		if (!yaml_mapping_end_event_initialize(&ev))
			return -1;
		return yaml_emitter_emit(em, &ev) ? 0 : -1;
	case MECH_YAML_SEQ:
		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
							  n->len ? YAML_BLOCK_SEQUENCE_STYLE
								 : YAML_FLOW_SEQUENCE_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return -1;
		for (i = 0; i < n->len; i++)
			if (emit_node(em, n->items[i]) < 0)
				return -1;
		if (!yaml_sequence_end_event_initialize(&ev))
			return -1;
		return yaml_emitter_emit(em, &ev) ? 0 : -1;
	}
	return -1;
}

int mech_yaml_emit(const mech_yaml *doc, mech_buf *out)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	int rc = -1;
	if (!yaml_emitter_initialize(&em))
		return mech_error_set(MECH_EFAILED, "cannot initialise the YAML emitter");
	yaml_emitter_set_output(&em, write_handler, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_indent(&em, 2);
	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ||
	    !yaml_emitter_emit(&em, &ev))
		goto done;
	if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ||
	    !yaml_emitter_emit(&em, &ev))
		goto done;
	if (emit_node(&em, doc) < 0)
		goto done;
	if (!yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(&em, &ev))
		goto done;
	if (!yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(&em, &ev))
		goto done;
	rc = 0;
done:
	if (rc < 0)
		mech_error_set(MECH_EFAILED, "cannot emit YAML: %s",
			       em.problem ? em.problem : "out of memory");
	yaml_emitter_delete(&em);
	return rc;
}

/* ---- parsing ---- */

typedef struct {
	yaml_parser_t parser;
	const char *name;
	mech_yaml_limits lim;
	size_t nodes;
	int depth;
} parse_ctx;

static int parse_error(parse_ctx *c, int line, const char *what)
{
	return mech_error_set(MECH_EINVALID, "%s:%d: %s", c->name, line, what);
}

static int next_event(parse_ctx *c, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&c->parser, ev)) {
		int line = (int)c->parser.problem_mark.line + 1;
		return mech_error_set(MECH_EINVALID, "%s:%d: invalid YAML: %s", c->name, line,
				      c->parser.problem ? c->parser.problem : "parse error");
	}
	return 0;
}

static int parse_node(parse_ctx *c, yaml_event_t *ev, mech_yaml **out);

static int parse_children(parse_ctx *c, mech_yaml *n, yaml_event_type_t end)
{
	for (;;) {
		yaml_event_t ev;
		mech_yaml *child = NULL, *key = NULL;
		if (next_event(c, &ev) < 0)
			return -1;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (n->kind == MECH_YAML_SEQ) {
			if (parse_node(c, &ev, &child) < 0)
				return -1;
			mech_yaml_append(n, child);
			continue;
		}
		if (parse_node(c, &ev, &key) < 0)
			return -1;
		if (key->kind != MECH_YAML_SCALAR) {
			int line = key->line;
			mech_yaml_free(key);
			return parse_error(c, line, "mapping keys must be plain strings");
		}
		if (mech_yaml_get(n, key->value)) {
			int line = key->line;
			char q[MECH_ESCAPE_SIZE];
			char *what = mech_sprintf("duplicate key \"%s\"",
						  mech_error_escape(q, key->value));
			mech_yaml_free(key);
			parse_error(c, line, what);
			free(what);
			return -1;
		}
		if (next_event(c, &ev) < 0 || parse_node(c, &ev, &child) < 0) {
			mech_yaml_free(key);
			return -1;
		}
		mech_yaml_set(n, key->value, child);
		/* reserve() grows key_lines once it exists */
		if (!n->key_lines)
			n->key_lines = mech_calloc(n->cap, sizeof(int));
		n->key_lines[n->len - 1] = key->line;
		mech_yaml_free(key);
	}
}

/* Takes ownership of `ev`. */
static int parse_node(parse_ctx *c, yaml_event_t *ev, mech_yaml **out)
{
	int line = (int)ev->start_mark.line + 1;
	mech_yaml *n = NULL;
	int rc = 0;

	if (++c->nodes > c->lim.max_nodes) {
		yaml_event_delete(ev);
		return parse_error(c, line, "too many YAML nodes");
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = node_new(MECH_YAML_SCALAR);
		n->value = mech_strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		n->type = n->quoted ? MECH_YAML_STR : plain_type(n->value);
		break;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		if (++c->depth > c->lim.max_depth) {
			yaml_event_delete(ev);
			return parse_error(c, line, "YAML nested too deeply");
		}
		n = node_new(ev->type == YAML_MAPPING_START_EVENT ? MECH_YAML_MAP : MECH_YAML_SEQ);
		n->line = line;
		rc = parse_children(c, n,
				    ev->type == YAML_MAPPING_START_EVENT ? YAML_MAPPING_END_EVENT
									 : YAML_SEQUENCE_END_EVENT);
		c->depth--;
		break;
	case YAML_ALIAS_EVENT:
		yaml_event_delete(ev);
		return parse_error(c, line, "YAML aliases are not supported");
	default:
		yaml_event_delete(ev);
		return parse_error(c, line, "unexpected YAML event");
	}
	if (ev->type == YAML_SCALAR_EVENT || ev->type == YAML_MAPPING_START_EVENT ||
	    ev->type == YAML_SEQUENCE_START_EVENT) {
		if ((ev->type == YAML_SCALAR_EVENT && ev->data.scalar.anchor) ||
		    (ev->type == YAML_MAPPING_START_EVENT && ev->data.mapping_start.anchor) ||
		    (ev->type == YAML_SEQUENCE_START_EVENT && ev->data.sequence_start.anchor)) {
			yaml_event_delete(ev);
			mech_yaml_free(n);
			return parse_error(c, line, "YAML anchors are not supported");
		}
	}
	yaml_event_delete(ev);
	n->line = line;
	if (rc < 0) {
		mech_yaml_free(n);
		return -1;
	}
	*out = n;
	return 0;
}

static int check_input(const char *data, size_t len, const char *name, const mech_yaml_limits *lim)
{
	size_t i;
	int depth = 0, line = 1;
	if (len > lim->max_bytes)
		return mech_error_set(MECH_EINVALID, "%s: larger than %zu bytes", name,
				      lim->max_bytes);
	/* A cheap pre-scan for flow-collection bombs before libyaml sees them. */
	for (i = 0; i < len; i++) {
		if (data[i] == '\n')
			line++;
		if (data[i] == '[' || data[i] == '{') {
			if (++depth > lim->max_depth)
				return mech_error_set(MECH_EINVALID,
						      "%s:%d: YAML nested too deeply", name, line);
		} else if ((data[i] == ']' || data[i] == '}') && depth > 0) {
			depth--;
		}
	}
	return 0;
}

int mech_yaml_parse_all(mech_yaml ***out, size_t *ndocs, const char *data, size_t len,
			const char *name, const mech_yaml_limits *limits)
{
	parse_ctx c;
	mech_yaml **docs = NULL;
	size_t n = 0;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	c.name = name ? name : "<yaml>";
	c.lim.max_bytes = limits && limits->max_bytes ? limits->max_bytes : DEFAULT_MAX_BYTES;
	c.lim.max_depth = limits && limits->max_depth ? limits->max_depth : DEFAULT_MAX_DEPTH;
	c.lim.max_nodes = limits && limits->max_nodes ? limits->max_nodes : DEFAULT_MAX_NODES;
	*out = NULL;
	*ndocs = 0;
	if (check_input(data, len, c.name, &c.lim) < 0)
		return -1;
	if (!yaml_parser_initialize(&c.parser))
		return mech_error_set(MECH_EFAILED, "cannot initialise the YAML parser");
	yaml_parser_set_input_string(&c.parser, (const unsigned char *)data, len);
	for (;;) {
		yaml_event_t ev;
		if (next_event(&c, &ev) < 0)
			goto done;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			mech_yaml *doc = NULL;
			yaml_event_delete(&ev);
			if (next_event(&c, &ev) < 0)
				goto done;
			if (ev.type == YAML_DOCUMENT_END_EVENT) {
				doc = mech_yaml_map(); /* empty document */
			} else if (parse_node(&c, &ev, &doc) < 0) {
				goto done;
			} else if (next_event(&c, &ev) < 0) {
				mech_yaml_free(doc);
				goto done;
			}
			yaml_event_delete(&ev);
			if (doc->kind == MECH_YAML_SCALAR && doc->type == MECH_YAML_NULL &&
			    !*doc->value) {
				/* "---" with nothing after it: an empty document */
				mech_yaml_free(doc);
				doc = mech_yaml_map();
			}
			docs = mech_reallocarray(docs, n + 1, sizeof(*docs));
			docs[n++] = doc;
			continue;
		}
		yaml_event_delete(&ev);
	}
	rc = 0;
done:
	yaml_parser_delete(&c.parser);
	if (rc < 0) {
		while (n)
			mech_yaml_free(docs[--n]);
		free(docs);
		return -1;
	}
	*out = docs;
	*ndocs = n;
	return 0;
}

int mech_yaml_parse(mech_yaml **out, const char *data, size_t len, const char *name,
		    const mech_yaml_limits *limits)
{
	mech_yaml **docs;
	size_t n, i;
	if (mech_yaml_parse_all(&docs, &n, data, len, name, limits) < 0)
		return -1;
	*out = n ? docs[0] : mech_yaml_map();
	for (i = 1; i < n; i++)
		mech_yaml_free(docs[i]);
	free(docs);
	return 0;
}
