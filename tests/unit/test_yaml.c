/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The YAML layer: what mech emits must read back as the same values in
 * other YAML readers (PyYAML, the YAML 1.1 reader most Kubernetes tooling
 * resembles, run as /usr/bin/python3), equal inputs give equal bytes, and
 * what mech parses from outside is bounded: errors name file and line,
 * nesting and size bombs are refused before they cost time, aliases and
 * duplicate keys are refused.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mech/buf.h"
#include "mech/error.h"
#include "mech/yaml.h"

static char tmp[64];

static void setup(void)
{
	const char *root = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(tmp, sizeof(tmp), "%s/mech-yaml-XXXXXX", root);
	cr_assert_not_null(mkdtemp(tmp));
}

static void teardown(void)
{
	char *cmd = mech_sprintf("rm -rf '%s'", tmp);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
}

TestSuite(yaml, .init = setup, .fini = teardown);

/* ---- helpers ---- */

static char *write_tmp(const char *name, const char *data, size_t len)
{
	char *path = mech_sprintf("%s/%s", tmp, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

/* Run a python snippet with argv[1..] = files; return its stdout (caller frees). */
static char *python(const char *code, const char *arg1, const char *arg2)
{
	char *script = write_tmp("check.py", code, strlen(code));
	char *cmd = mech_sprintf("/usr/bin/python3 '%s' '%s' '%s' 2>&1", script, arg1,
				 arg2 ? arg2 : "");
	mech_buf out = MECH_BUF_INIT;
	char chunk[4096];
	size_t n;
	FILE *f = popen(cmd, "r");
	cr_assert_not_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		mech_buf_put(&out, chunk, n);
	pclose(f);
	free(cmd);
	free(script);
	return mech_buf_detach(&out);
}

static void json_str(mech_buf *b, const char *s)
{
	mech_buf_putc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			mech_buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			mech_buf_printf(b, "\\u%04x", c);
		else
			mech_buf_putc(b, (char)c);
	}
	mech_buf_putc(b, '"');
}

static void emit(const mech_yaml *doc, mech_buf *out)
{
	cr_assert_eq(mech_yaml_emit(doc, out), 0, "%s", mech_error_last()->message);
}

static mech_yaml *parse_ok(const char *text, const char *name)
{
	mech_yaml *doc = NULL;
	cr_assert_eq(mech_yaml_parse(&doc, text, strlen(text), name, NULL), 0, "%s\n--- input:\n%s",
		     mech_error_last() ? mech_error_last()->message : "", text);
	return doc;
}

/* Parsing fails with MECH_EINVALID and a message containing each of `parts`. */
static void expect_parse_error(const char *text, size_t len, const mech_yaml_limits *lim,
			       const char *part1, const char *part2)
{
	mech_yaml *doc = NULL;
	const mech_error *e;
	mech_error_clear();
	cr_assert_lt(mech_yaml_parse(&doc, text, len, "tenant.yaml", lim), 0, "accepted:\n%.200s",
		     text);
	e = mech_error_last();
	cr_assert_not_null(e);
	cr_assert_eq(e->code, MECH_EINVALID, "%s", e->message);
	cr_assert(strstr(e->message, part1), "\"%s\" lacks \"%s\"", e->message, part1);
	if (part2)
		cr_assert(strstr(e->message, part2), "\"%s\" lacks \"%s\"", e->message, part2);
	cr_assert_null(strchr(e->message, '\n'), "the message is not one line: %s", e->message);
}

/* ---- emitting ---- */

/* Strings that other YAML readers would take for numbers, booleans, nulls, dates or syntax. */
static const char *const tricky[] = {
	"true",
	"false",
	"True",
	"FALSE",
	"yes",
	"No",
	"ON",
	"off",
	"y",
	"n",
	"null",
	"Null",
	"NULL",
	"~",
	"",
	"1.27",
	"8080",
	"0",
	"00",
	"0755",
	"0o17",
	"0x1F",
	"0b101",
	"1e3",
	"1.0e+3",
	"-1",
	"+1",
	".5",
	"1_000",
	"12:30",
	"1:20:30",
	".inf",
	"-.inf",
	"+.inf",
	".NaN",
	"2024-01-01",
	"2001-12-14T21:59:43Z",
	"2001-12-14 21:59:43",
	"2001-12-14t21:59:43.10-05:00",
	"2001-1-1 1:00:00",
	"2001-12-14T21:59:43",
	"2001-12-14 21:59:43 +5",
	"2001-12-14\t21:59:43",
	"1.27-alpha",
	"1:60",
	"0.",
	"1.",
	"=",
	"<<",
	"-",
	"---",
	"...",
	"?",
	":",
	"- x",
	"#comment",
	"a #b",
	"a: b",
	"key:",
	"'quoted'",
	"\"dq\"",
	" leading",
	"trailing ",
	"multi\nline",
	"tab\there",
	"@at",
	"`tick",
	"%pct",
	"!bang",
	"&amp",
	"*star",
	"|",
	">",
	"[x]",
	"{y}",
	"a,b",
	"nginx:1.27",
	"registry.example.com:5000/alice/web:3f2a9c1d",
	"x-alice",
	"café",
	"日本",
};
#define NTRICKY (sizeof(tricky) / sizeof(*tricky))

/*
 * argv[1]: emitted documents separated by "\n---\n" (one per case, each
 * loaded alone so one failure does not hide the others); argv[2]: a JSON
 * list of what each document must load as.
 */
static const char *const loads_same =
	"import json, sys, yaml\n"
	"docs = open(sys.argv[1], encoding='utf-8').read().split('\\n---\\n')\n"
	"wants = json.load(open(sys.argv[2], encoding='utf-8'))\n"
	"assert len(docs) == len(wants), (len(docs), len(wants))\n"
	"for text, want in zip(docs, wants):\n"
	"    try:\n"
	"        got = yaml.safe_load(text)\n"
	"    except yaml.YAMLError as e:\n"
	"        print('%r: PyYAML cannot load %r: %s' % (want, text, str(e).splitlines()[0]))\n"
	"        continue\n"
	"    if got != want or any(type(got[k]) is not type(want[k]) for k in want):\n"
	"        print('%r: PyYAML reads %r from %r' % (want, got, text))\n"
	"print('ok')\n";

/* One case: the string as a value, as a list item and as a key. */
static void tricky_case(const char *s, mech_buf *docs, mech_buf *want, int first)
{
	mech_yaml *doc = mech_yaml_map();
	mech_yaml_set_str(doc, "value", s);
	mech_yaml_append(mech_yaml_set(doc, "items", mech_yaml_seq()), mech_yaml_str(s));
	mech_buf_puts(want, first ? "" : ", ");
	mech_buf_puts(want, "{\"value\": ");
	json_str(want, s);
	mech_buf_puts(want, ", \"items\": [");
	json_str(want, s);
	mech_buf_puts(want, "]");
	if (*s && !strchr(s, '\n') && strcmp(s, "value") && strcmp(s, "items")) {
		mech_yaml_set_int(doc, s, 7);
		mech_buf_puts(want, ", ");
		json_str(want, s);
		mech_buf_puts(want, ": 7");
	}
	mech_buf_puts(want, "}");
	if (!first)
		mech_buf_puts(docs, "---\n");
	emit(doc, docs);
	mech_yaml_free(doc);
}

Test(yaml, strings_that_look_like_other_types_stay_strings)
{
	mech_buf docs = MECH_BUF_INIT, want = MECH_BUF_INIT;
	char *yfile, *jfile, *verdict;
	size_t i;

	mech_buf_puts(&want, "[");
	for (i = 0; i < NTRICKY; i++)
		tricky_case(tricky[i], &docs, &want, i == 0);
	/* real ints and booleans next to them stay ints and booleans */
	{
		mech_yaml *doc = mech_yaml_map();
		mech_yaml_set_int(doc, "port", 8080);
		mech_yaml_set_int(doc, "negative", -3);
		mech_yaml_set(doc, "enabled", mech_yaml_bool(1));
		mech_yaml_set(doc, "disabled", mech_yaml_bool(0));
		mech_yaml_set(doc, "empty_map", mech_yaml_map());
		mech_yaml_set(doc, "empty_seq", mech_yaml_seq());
		mech_buf_puts(&docs, "---\n");
		emit(doc, &docs);
		mech_yaml_free(doc);
		mech_buf_puts(&want, ", {\"port\": 8080, \"negative\": -3, \"enabled\": true, "
				     "\"disabled\": false, \"empty_map\": {}, \"empty_seq\": []}]");
	}
	yfile = write_tmp("docs.yaml", docs.ptr, docs.len);
	jfile = write_tmp("want.json", want.ptr, want.len);
	verdict = python(loads_same, yfile, jfile);
	cr_assert_str_eq(verdict, "ok\n", "%s", verdict);
	free(verdict);
	free(yfile);
	free(jfile);
	mech_buf_dispose(&want);
	mech_buf_dispose(&docs);
}

/* mech reads its own output back as the same strings. */
Test(yaml, emitted_strings_parse_back_as_strings)
{
	size_t i;
	for (i = 0; i < NTRICKY; i++) {
		mech_yaml *doc = mech_yaml_map(), *back;
		mech_buf out = MECH_BUF_INIT;
		const mech_yaml *v;
		mech_yaml_set_str(doc, "value", tricky[i]);
		emit(doc, &out);
		back = parse_ok(out.ptr, "doc.yaml");
		v = mech_yaml_get(back, "value");
		cr_assert_not_null(v);
		cr_assert_str_eq(v->value, tricky[i]);
		cr_assert_eq(v->type, MECH_YAML_STR, "\"%s\" came back as type %d from %s",
			     tricky[i], v->type, out.ptr);
		mech_yaml_free(back);
		mech_yaml_free(doc);
		mech_buf_dispose(&out);
	}
}

static mech_yaml *sample(const char *image)
{
	mech_yaml *doc = mech_yaml_map(), *meta, *labels, *containers, *c, *ports, *env;
	mech_yaml_set_str(doc, "apiVersion", "apps/v1");
	mech_yaml_set_str(doc, "kind", "Deployment");
	meta = mech_yaml_set(doc, "metadata", mech_yaml_map());
	mech_yaml_set_str(meta, "name", "web");
	labels = mech_yaml_set(meta, "labels", mech_yaml_map());
	mech_yaml_set_str(labels, "app.kubernetes.io/name", "web");
	mech_yaml_set_str(labels, "app.kubernetes.io/managed-by", "mech");
	containers = mech_yaml_set(doc, "containers", mech_yaml_seq());
	c = mech_yaml_append(containers, mech_yaml_map());
	mech_yaml_set_str(c, "name", "web");
	mech_yaml_set_str(c, "image", image);
	ports = mech_yaml_set(c, "ports", mech_yaml_seq());
	mech_yaml_set_int(mech_yaml_append(ports, mech_yaml_map()), "containerPort", 8080);
	env = mech_yaml_set(c, "env", mech_yaml_seq());
	mech_yaml_set_str(mech_yaml_append(env, mech_yaml_map()), "name", "DEBUG");
	mech_yaml_set_str(env->items[0], "value", "true");
	return doc;
}

Test(yaml, emitting_is_deterministic)
{
	mech_yaml *a = sample("nginx:1.27"), *b = sample("nginx:1.27"), *c = sample("nginx:1.28");
	mech_yaml *clone, *back;
	mech_buf ea = MECH_BUF_INIT, eb = MECH_BUF_INIT, ec = MECH_BUF_INIT, again = MECH_BUF_INIT;
	mech_buf twice = MECH_BUF_INIT;

	emit(a, &ea);
	emit(b, &eb);
	emit(a, &twice);
	cr_assert_str_eq(ea.ptr, eb.ptr, "equal trees, different bytes");
	cr_assert_str_eq(ea.ptr, twice.ptr, "the same tree emitted twice differs");
	/* a clone, and a parse of the output, emit the same bytes */
	clone = mech_yaml_clone(a);
	emit(clone, &again);
	cr_assert_str_eq(ea.ptr, again.ptr);
	mech_buf_clear(&again);
	back = parse_ok(ea.ptr, "deployment.yaml");
	emit(back, &again);
	cr_assert_str_eq(ea.ptr, again.ptr, "emit(parse(emit(x))) != emit(x)");
	/* different input, different bytes, in exactly one line */
	emit(c, &ec);
	cr_assert_str_neq(ea.ptr, ec.ptr);
	cr_assert_eq(strlen(ea.ptr), strlen(ec.ptr));
	/* insertion order is kept, not sorted: kind after apiVersion, metadata after kind */
	cr_assert_lt(strstr(ea.ptr, "apiVersion"), strstr(ea.ptr, "kind"));
	cr_assert_lt(strstr(ea.ptr, "kind"), strstr(ea.ptr, "metadata"));
	cr_assert_lt(strstr(ea.ptr, "metadata"), strstr(ea.ptr, "containers"));
	/* no document markers or timestamps that would change between runs */
	cr_assert_null(strstr(ea.ptr, "---"));
	cr_assert_eq(ea.ptr[ea.len - 1], '\n');
	mech_yaml_free(a);
	mech_yaml_free(b);
	mech_yaml_free(c);
	mech_yaml_free(clone);
	mech_yaml_free(back);
	mech_buf_dispose(&ea);
	mech_buf_dispose(&eb);
	mech_buf_dispose(&ec);
	mech_buf_dispose(&again);
	mech_buf_dispose(&twice);
}

Test(yaml, replacing_a_key_keeps_its_place)
{
	mech_yaml *doc = mech_yaml_map();
	mech_buf out = MECH_BUF_INIT;
	mech_yaml_set_str(doc, "b", "1");
	mech_yaml_set_str(doc, "a", "2");
	mech_yaml_set_str(doc, "b", "3");
	cr_assert_eq(doc->len, 2);
	emit(doc, &out);
	cr_assert_lt(strstr(out.ptr, "b:"), strstr(out.ptr, "a:"));
	cr_assert_str_eq(mech_yaml_text(mech_yaml_get(doc, "b")), "3");
	cr_assert_eq(mech_yaml_remove(doc, "b"), 0);
	cr_assert_eq(mech_yaml_remove(doc, "b"), -1);
	cr_assert_null(mech_yaml_get(doc, "b"));
	mech_yaml_free(doc);
	mech_buf_dispose(&out);
}

/* ---- parsing ---- */

Test(yaml, parses_values_paths_and_types)
{
	mech_yaml *doc = parse_ok("spec:\n  template:\n    spec:\n      replicas: 3\n"
				  "      image: \"8080\"\n      on: yes\n      none: ~\n"
				  "      list: [a, 'b', 3]\n",
				  "d.yaml");
	const mech_yaml *list;
	cr_assert_str_eq(mech_yaml_path_text(doc, "spec.template.spec.replicas"), "3");
	cr_assert_eq(mech_yaml_path(doc, "spec.template.spec.replicas")->type, MECH_YAML_INT);
	cr_assert_eq(mech_yaml_path(doc, "spec.template.spec.image")->type, MECH_YAML_STR);
	cr_assert(mech_yaml_path(doc, "spec.template.spec.image")->quoted);
	cr_assert_eq(mech_yaml_path(doc, "spec.template.spec.on")->type, MECH_YAML_BOOL);
	cr_assert_eq(mech_yaml_path(doc, "spec.template.spec.none")->type, MECH_YAML_NULL);
	cr_assert_null(mech_yaml_path(doc, "spec.template.missing.replicas"));
	cr_assert_null(mech_yaml_path_text(doc, "spec.template")); /* a map, not a scalar */
	list = mech_yaml_path(doc, "spec.template.spec.list");
	cr_assert_eq(list->kind, MECH_YAML_SEQ);
	cr_assert_eq(list->len, 3);
	cr_assert_eq(list->items[2]->type, MECH_YAML_INT);
	cr_assert_eq(mech_yaml_path(doc, "spec.template.spec")->line, 4);
	mech_yaml_free(doc);
}

/* The line PyYAML (whose pure-Python scanner mirrors libyaml's) names for a syntax error. */
static int pyyaml_error_line(const char *text)
{
	static const char *const pymark = "import sys, yaml\n"
					  "try:\n"
					  "    list(yaml.safe_load_all(open(sys.argv[1])))\n"
					  "    print('no error')\n"
					  "except yaml.MarkedYAMLError as e:\n"
					  "    print(e.problem_mark.line + 1)\n";
	char *file = write_tmp("bad.yaml", text, strlen(text));
	char *out = python(pymark, file, NULL);
	int line = atoi(out);
	cr_assert_gt(line, 0, "PyYAML: %s", out);
	free(out);
	free(file);
	return line;
}

static void expect_syntax_error(const char *text)
{
	char *where = mech_sprintf("tenant.yaml:%d:", pyyaml_error_line(text));
	expect_parse_error(text, strlen(text), NULL, where, "invalid YAML");
	free(where);
}

Test(yaml, syntax_errors_name_file_and_line)
{
	static const char *const bad[] = {
		"a: 1\nb: 2\n  c: 3\n",        "a:\n  b: 1\n  c: 2\n\td: 3\n",
		"a: 1\nb: [1, 2\nc: 3\n",      "a: 1\nb: \"unterminated\n",
		"a: 1\n\nb: {x: 1, y\n: 2]\n", "- a\n- b\nc: d\n",
	};
	size_t i;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		expect_syntax_error(bad[i]);
}

Test(yaml, duplicate_keys_are_refused)
{
	static const char *const dup[] = {"a: 1\nb: 2\na: 3\n", "spec:\n  x: 1\n  y: 2\n  x: 3\n",
					  "{a: 1, a: 2}\n"};
	expect_parse_error(dup[0], strlen(dup[0]), NULL, "tenant.yaml:3:", "duplicate key \"a\"");
	expect_parse_error(dup[1], strlen(dup[1]), NULL, "tenant.yaml:4:", "duplicate key \"x\"");
	expect_parse_error(dup[2], strlen(dup[2]), NULL, "tenant.yaml:1:", "duplicate key \"a\"");
	/* the same key in different maps is fine */
	mech_yaml_free(parse_ok("a: {x: 1}\nb: {x: 1}\n", "ok.yaml"));
}

Test(yaml, anchors_and_aliases_are_refused)
{
	static const char *const bombs[] = {
		"a: &x 1\nb: *x\n",
		"base: &b {x: 1}\nother:\n  <<: *b\n",
		"b: *nothing\n",
		"- &a [x, x]\n- &b [*a, *a]\n- &c [*b, *b]\n",
	};
	size_t i;
	for (i = 0; i < sizeof(bombs) / sizeof(*bombs); i++) {
		mech_yaml *doc = NULL;
		const char *m;
		cr_assert_lt(mech_yaml_parse(&doc, bombs[i], strlen(bombs[i]), "t.yaml", NULL), 0,
			     "accepted:\n%s", bombs[i]);
		m = mech_error_last()->message;
		cr_assert(strstr(m, "anchor") || strstr(m, "alias"), "%s", m);
		cr_assert(!strncmp(m, "t.yaml:", 7), "%s", m);
	}
	expect_parse_error(bombs[0], strlen(bombs[0]), NULL, "tenant.yaml:1:", "anchors");
	expect_parse_error(bombs[2], strlen(bombs[2]), NULL, "tenant.yaml:1:", "aliases");
}

static char *repeat(const char *unit, size_t n, const char *tail)
{
	size_t u = strlen(unit), t = tail ? strlen(tail) : 0, i;
	char *s = malloc(u * n + t + 1);
	cr_assert_not_null(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * u, unit, u);
	if (t)
		memcpy(s + n * u, tail, t);
	s[u * n + t] = '\0';
	return s;
}

/* libyaml 0.2.5 takes minutes on these (quadratic in depth); mech refuses them up front. */
Test(yaml, flow_nesting_bombs_are_refused)
{
	static const char *const units[] = {"[", "{", "{a: ", "[{a: [", "- ["};
	size_t i;
	for (i = 0; i < sizeof(units) / sizeof(*units); i++) {
		char *bomb = repeat(units[i], 100000, NULL);
		expect_parse_error(bomb, strlen(bomb), NULL, "tenant.yaml", "nested too deeply");
		free(bomb);
	}
}

Test(yaml, block_nesting_bombs_are_refused)
{
	mech_buf deep = MECH_BUF_INIT;
	char *seq;
	size_t i;
	/* "- - - - … x" on one line: 100k nested block sequences in 200 kB */
	seq = repeat("- ", 100000, "x\n");
	expect_parse_error(seq, strlen(seq), NULL, "tenant.yaml:1:", "nested too deeply");
	free(seq);
	/* an indented mapping 1000 levels deep, within the size limit */
	for (i = 0; i < 1000; i++)
		mech_buf_printf(&deep, "%*sk%zu:\n", (int)i, "", i);
	mech_buf_printf(&deep, "%*sleaf: 1\n", 1000, "");
	cr_assert_lt(deep.len, 1024 * 1024);
	expect_parse_error(deep.ptr, deep.len, NULL, "tenant.yaml:", "nested too deeply");
	/* the limit is a limit, not a ban: 60 levels are fine */
	mech_buf_clear(&deep);
	for (i = 0; i < 60; i++)
		mech_buf_printf(&deep, "%*sk%zu:\n", (int)i, "", i);
	mech_buf_printf(&deep, "%*sleaf: 1\n", 60, "");
	mech_yaml_free(parse_ok(deep.ptr, "ok.yaml"));
	mech_buf_dispose(&deep);
}

Test(yaml, size_and_node_limits)
{
	static const char *const eleven = "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]\n";
	static const char *const four = "a:\n  b:\n    c:\n      d: 1\n";
	static const char *const three = "a:\n  b:\n    c: 1\n";
	mech_yaml_limits small = {100, 0, 0}, few = {0, 0, 10}, shallow = {0, 3, 0};
	mech_buf big = MECH_BUF_INIT;
	mech_yaml *doc = NULL;
	char *exact;
	/* the default ceiling is 1 MiB per document */
	while (big.len <= 1024 * 1024)
		mech_buf_puts(&big, "key: a value that fills the file up\n");
	expect_parse_error(big.ptr, big.len, NULL, "tenant.yaml", "larger than 1048576 bytes");
	mech_buf_dispose(&big);
	/* explicit limits */
	exact = repeat("x", 95, ": 1\n"); /* 99 bytes */
	cr_assert_eq(mech_yaml_parse(&doc, exact, strlen(exact), "t", &small), 0);
	mech_yaml_free(doc);
	free(exact);
	exact = repeat("x", 97, ": 1\n"); /* 101 bytes */
	expect_parse_error(exact, strlen(exact), &small, "tenant.yaml", "larger than 100 bytes");
	free(exact);
	expect_parse_error(eleven, strlen(eleven), &few, "tenant.yaml:1:", "too many YAML nodes");
	cr_assert_eq(mech_yaml_parse(&doc, "[1, 2, 3]\n", 10, "t", &few), 0);
	mech_yaml_free(doc);
	expect_parse_error(four, strlen(four), &shallow, "tenant.yaml:4:", "nested too deeply");
	cr_assert_eq(mech_yaml_parse(&doc, three, strlen(three), "t", &shallow), 0);
	mech_yaml_free(doc);
}

Test(yaml, multi_document_streams)
{
	static const char *const text = "# leading comment\n"
					"---\n"
					"kind: Deployment\n"
					"metadata: {name: web}\n"
					"---\n"
					"kind: Service\n"
					"...\n"
					"---\n"
					"- a\n"
					"- b\n";
	mech_yaml **docs;
	mech_yaml *first;
	size_t n, i;
	cr_assert_eq(mech_yaml_parse_all(&docs, &n, text, strlen(text), "multi.yaml", NULL), 0);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(mech_yaml_path_text(docs[0], "metadata.name"), "web");
	cr_assert_str_eq(mech_yaml_path_text(docs[1], "kind"), "Service");
	cr_assert_eq(docs[2]->kind, MECH_YAML_SEQ);
	cr_assert_eq(docs[2]->len, 2);
	cr_assert_eq(docs[1]->line, 6, "lines count from the start of the stream");
	for (i = 0; i < n; i++)
		mech_yaml_free(docs[i]);
	free(docs);
	/* mech_yaml_parse takes the first */
	first = parse_ok(text, "multi.yaml");
	cr_assert_str_eq(mech_yaml_path_text(first, "kind"), "Deployment");
	mech_yaml_free(first);
	/* an error in a later document fails the stream, naming its line */
	expect_syntax_error("a: 1\n---\nb: 2\n---\nc: [\n");
	/* no document at all: an empty stream, and parse gives an empty map */
	cr_assert_eq(mech_yaml_parse_all(&docs, &n, "# nothing\n", 10, "e.yaml", NULL), 0);
	cr_assert_eq(n, 0);
	free(docs);
	first = parse_ok("", "empty.yaml");
	cr_assert_eq(first->kind, MECH_YAML_MAP);
	cr_assert_eq(first->len, 0);
	mech_yaml_free(first);
}

/* yaml.h: "An empty document yields an empty map" -- also one that is only a marker. */
Test(yaml, empty_document_is_an_empty_map)
{
	static const char *const empties[] = {"---\n", "# config\n---\n", "---\n...\n"};
	size_t i;
	for (i = 0; i < sizeof(empties) / sizeof(*empties); i++) {
		mech_yaml *doc = parse_ok(empties[i], "empty.yaml");
		cr_assert_eq(doc->kind, MECH_YAML_MAP, "\"%s\" parsed as kind %d", empties[i],
			     doc->kind);
		cr_assert_eq(doc->len, 0);
		mech_yaml_free(doc);
	}
}

/* A nesting error, like any parse error, names the line where the nesting goes too deep. */
Test(yaml, nesting_errors_name_the_line)
{
	char *open = repeat("[", 70, NULL), *close = repeat("]", 70, NULL);
	char *text = mech_sprintf("a: 1\nb: 2\nc: %s%s\n", open, close);
	expect_parse_error(text, strlen(text), NULL, "tenant.yaml:3:", "nested too deeply");
	free(text);
	free(open);
	free(close);
}
