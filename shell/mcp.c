/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mech mcp: the command table as MCP tools (docs/mcp.md). Each command an
 * agent may run becomes a tool whose input schema is its flags and
 * arguments (sh_flag_json, the catalogue `mech help --json` prints, plus
 * the input rules' patterns); tools/call turns the arguments back into the
 * argv words of that command (no shell anywhere) and runs them through
 * sh_run with --json, as `mech <command> --json` would run, its stdout and
 * stderr captured. A refusal is a tool result with isError, not a protocol
 * error. Over SSH the session's key decides the tenant for every call; a
 * guest key gets help and whoami only.
 */
#include "cmd.h"
#include "handlers.h"
#include "mcp.h"

#include "mech/addon.h"
#include "mech/error.h"
#include "mech/receipt.h"
#include "mech/validate.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_CAPTURE (4 * 1024 * 1024) /* bytes of one call's output kept */
#define MAX_QUEUED (16 * 1024 * 1024) /* bytes of messages read ahead during a call */

/* One message read from the client, or the mark of one that was too large. */
typedef struct {
	char *data;
	size_t len;
	int oversized;
} mcp_line;

/* stdin split into messages: whole lines queue up, the partial one waits. */
typedef struct {
	int fd;
	int eof;
	int overflow; /* dropping the rest of a message longer than MCP_MAX_MESSAGE */
	mech_buf partial;
	mcp_line *q;
	size_t head, n, cap, queued;
} mcp_reader;

typedef struct {
	sh_ctx *ctx;   /* the session's: home, tenant (over SSH), guest, readonly */
	mcp_reader in; /* stdio: the client's messages (over HTTP: fd -1, at its end) */
	int wire; /* stdio: the protocol's stdout; HTTP: a streamed answer's connection, or -1 */
	int sse;  /* notifications on `wire` are events of a text/event-stream */
	mcp_http *http; /* over HTTP: the connections, watched while a call runs */
} mcp_server;

static void queue_line(mcp_reader *r, const char *p, size_t len, int oversized)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->q = mech_realloc(r->q, r->cap * sizeof(*r->q));
	}
	r->q[r->n].data = mech_strndup(p, len);
	r->q[r->n].len = len;
	r->q[r->n].oversized = oversized;
	r->n++;
	r->queued += len;
}

/* One read(2): queue the lines it completes. Returns 0, or -1 at end of input. */
static int reader_fill(mcp_reader *r)
{
	char buf[65536];
	ssize_t got;
	size_t from = 0, i;
	do
		got = read(r->fd, buf, sizeof(buf));
	while (got < 0 && errno == EINTR);
	if (got <= 0) {
		/* a last message without its newline */
		if (r->overflow || r->partial.len)
			queue_line(r, r->partial.ptr ? r->partial.ptr : "", r->partial.len,
				   r->overflow);
		mech_buf_clear(&r->partial);
		r->overflow = 0;
		r->eof = 1;
		return -1;
	}
	for (i = 0; i < (size_t)got; i++) {
		if (buf[i] != '\n')
			continue;
		if (r->overflow || r->partial.len + (i - from) > MCP_MAX_MESSAGE) {
			queue_line(r, "", 0, 1);
		} else {
			mech_buf_put(&r->partial, buf + from, i - from);
			queue_line(r, r->partial.ptr ? r->partial.ptr : "", r->partial.len, 0);
		}
		mech_buf_clear(&r->partial);
		r->overflow = 0;
		from = i + 1;
	}
	if (!r->overflow && r->partial.len + ((size_t)got - from) > MCP_MAX_MESSAGE) {
		r->overflow = 1; /* drop the rest of this message; answer at its newline */
		mech_buf_clear(&r->partial);
	} else if (!r->overflow) {
		mech_buf_put(&r->partial, buf + from, (size_t)got - from);
	}
	return 0;
}

/* The next queued message (caller frees data), or 0 when none is queued. */
static int reader_next(mcp_reader *r, mcp_line *out)
{
	if (r->head == r->n)
		return 0;
	*out = r->q[r->head++];
	r->queued -= out->len;
	if (r->head == r->n)
		r->head = r->n = 0;
	return 1;
}

static void reader_dispose(mcp_reader *r)
{
	size_t i;
	for (i = r->head; i < r->n; i++)
		free(r->q[i].data);
	free(r->q);
	mech_buf_dispose(&r->partial);
}

/* ---- tools from the table ---------------------------------------------------------------- */

/* Commands an agent may call: not operator-only, not interactive, not servers. */
static int offered(const sh_ctx *ctx, const sh_command *c)
{
	if (c->flags & (SH_OPERATOR | SH_TTY | SH_SERVER | SH_HIDDEN))
		return 0;
	return !ctx->guest || (c->flags & SH_GUEST);
}

/* app.instance-add → app_instance_add (the pattern MCP clients expect of names) */
static char *tool_name(const sh_command *c)
{
	char *n = mech_strdup(c->id), *p;
	for (p = n; *p; p++)
		if (*p == '.' || *p == '-' || *p == ' ')
			*p = '_';
	return n;
}

static const sh_command *command_of_tool(const sh_ctx *ctx, const char *name)
{
	size_t i;
	for (i = 0; i < sh_ncommands; i++) {
		const sh_command *c = &sh_commands[i];
		char *n;
		int hit;
		if (!offered(ctx, c))
			continue;
		n = tool_name(c);
		hit = !strcmp(n, name);
		free(n);
		if (hit)
			return c;
	}
	return NULL;
}

/* One positional argument of a command, as a tool's property. */
typedef struct {
	char *name;  /* NAME → name, I → instance, KEY=VALUE → key_value */
	char *help;  /* its line of the table's ARGUMENTS text */
	int repeats; /* KEY… or [COMMAND…]: an array */
	int index;   /* where it starts among the words */
} pos_arg;

#define MAX_POS 4

/* The ARGUMENTS line that starts with `metavar` (else the first line), after it. */
static char *arg_help(const sh_command *c, const char *metavar, size_t n)
{
	const char *line = c->arguments;
	while (line && *line) {
		if (!strncmp(line, metavar, n) && line[n] == ' ') {
			line += n + strspn(line + n, " ");
			return mech_strndup(line, strcspn(line, "\n"));
		}
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	line = c->arguments;
	if (strstr(line, "  ") && strstr(line, "  ") < line + strcspn(line, "\n"))
		line = strstr(line, "  ") + strspn(strstr(line, "  "), " ");
	return mech_strndup(line, strcspn(line, "\n"));
}

/* The positional arguments of `c` from its usage ("NAME KEY", "[COMMAND…|exit-codes]"). */
static size_t positionals(const sh_command *c, pos_arg *out)
{
	const char *a = c->args;
	size_t n = 0;
	while (c->max_args > 0 && *a && n < MAX_POS) {
		size_t len, i, k;
		char *name;
		a += strspn(a, " [");
		len = strcspn(a, " …|]");
		if (!len)
			break;
		name = mech_strndup(a, len);
		for (i = 0; name[i]; i++)
			name[i] = (char)(name[i] >= 'A' && name[i] <= 'Z'     ? name[i] - 'A' + 'a'
					 : (name[i] >= 'a' && name[i] <= 'z') ? name[i]
									      : '_');
		out[n].help = arg_help(c, a, len);
		if (!strcmp(name, "i")) {
			free(name);
			name = mech_strdup("instance");
		}
		for (k = 0; c->opts[k].opt; k++)
			if (!strcmp(sh_opt_name(c->opts[k].opt), name)) {
				char *prefixed = mech_sprintf("arg_%s", name);
				free(name);
				name = prefixed;
				break;
			}
		out[n].name = name;
		out[n].index = (int)n;
		a += len;
		out[n].repeats = !strncmp(a, "…", strlen("…")) ||
				 (n == 0 && c->max_args > 1 && !strchr(a, ' '));
		a += strcspn(a, " ");
		n++;
	}
	return n;
}

static void positionals_free(pos_arg *p, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].help);
	}
}

/* The ARGUMENTS line "stdin …" of a command that reads a value from stdin (secret set). */
static char *stdin_help(const sh_command *c)
{
	const char *line = c->arguments;
	while (line && *line) {
		if (!strncmp(line, "stdin ", 6)) {
			line += 6 + strspn(line + 6, " ");
			return mech_strndup(line, strcspn(line, "\n"));
		}
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	return NULL;
}

static void add_enum(cJSON *schema, const char *const *values, size_t n)
{
	cJSON *e = cJSON_AddArrayToObject(schema, "enum");
	size_t i;
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(e, cJSON_CreateString(values[i]));
}

static void addon_type_enum(cJSON *schema)
{
	size_t n, i;
	const mech_addon_type *t = mech_addon_types(&n);
	cJSON *e = cJSON_AddArrayToObject(schema, "enum");
	for (i = 0; i < n; i++)
		cJSON_AddItemToArray(e, cJSON_CreateString(t[i].type));
}

/* What the input rules (core/input/validate.c) allow, as the schema of one string value. */
static void string_rules(cJSON *s, sh_opt opt)
{
	static const char *const classes[] = {"machine", "human", "forced"};
	switch (opt) {
	case SH_OPT_APP:
	case SH_OPT_INSTANCE:
	case SH_OPT_NAME:
	case SH_OPT_FROM:
		cJSON_AddStringToObject(s, "pattern", MECH_NAME_PATTERN);
		break;
	case SH_OPT_TAG:
		cJSON_AddStringToObject(s, "pattern", MECH_TAG_PATTERN);
		break;
	case SH_OPT_ENV:
		cJSON_AddStringToObject(s, "pattern", MECH_ENV_PATTERN);
		break;
	case SH_OPT_CLASS:
		add_enum(s, classes, 3);
		break;
	case SH_OPT_TYPE:
		addon_type_enum(s);
		break;
	default:
		break;
	}
}

/* One flag's JSON Schema, from its catalogue entry (sh_flag_json). */
static cJSON *flag_schema(const sh_flag *f)
{
	cJSON *cat = sh_flag_json(f), *s = cJSON_CreateObject();
	const cJSON *def = cJSON_GetObjectItemCaseSensitive(cat, "default");
	const char *help = cJSON_GetObjectItemCaseSensitive(cat, "help")->valuestring;
	switch (f->type) {
	case SH_BOOL:
		cJSON_AddStringToObject(s, "type", "boolean");
		cJSON_AddBoolToObject(s, "default", 0);
		break;
	case SH_INT:
		cJSON_AddStringToObject(s, "type", "integer");
		cJSON_AddNumberToObject(s, "minimum", (double)f->min);
		cJSON_AddNumberToObject(s, "maximum", (double)f->max);
		if (cJSON_IsString(def)) {
			char *end;
			long v = strtol(def->valuestring, &end, 10);
			if (!*end && *def->valuestring && v >= f->min && v <= f->max)
				cJSON_AddNumberToObject(s, "default", (double)v);
		}
		break;
	case SH_LIST: {
		cJSON *items = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "type", "array");
		cJSON_AddStringToObject(items, "type", "string");
		string_rules(items, f->opt);
		cJSON_AddItemToObject(s, "items", items);
		break;
	}
	case SH_DURATION:
	case SH_STR:
		cJSON_AddStringToObject(s, "type", "string");
		string_rules(s, f->opt);
		if (cJSON_IsString(def) && !cJSON_GetObjectItemCaseSensitive(s, "pattern") &&
		    !cJSON_GetObjectItemCaseSensitive(s, "enum"))
			cJSON_AddStringToObject(s, "default", def->valuestring);
		break;
	}
	if (f->type == SH_DURATION) {
		char *d = mech_sprintf("%s (a duration: 500ms, 90s, 2m30s)", help);
		cJSON_AddStringToObject(s, "description", d);
		free(d);
	} else {
		cJSON_AddStringToObject(s, "description", help);
	}
	cJSON_Delete(cat);
	return s;
}

static void add_flag(cJSON *props, cJSON *required, const sh_flag *f)
{
	cJSON_AddItemToObject(props, sh_opt_name(f->opt), flag_schema(f));
	if (f->required)
		cJSON_AddItemToArray(required, cJSON_CreateString(sh_opt_name(f->opt)));
}

static cJSON *input_schema(const sh_command *c)
{
	cJSON *s = cJSON_CreateObject(), *props, *required;
	size_t i;
	cJSON_AddStringToObject(s, "type", "object");
	props = cJSON_AddObjectToObject(s, "properties");
	required = cJSON_CreateArray();
	{
		pos_arg pos[MAX_POS];
		size_t np = positionals(c, pos), k;
		char *in = stdin_help(c);
		for (k = 0; k < np; k++) {
			cJSON *p = cJSON_CreateObject(), *str = p;
			int left_min = c->min_args - pos[k].index,
			    left_max = c->max_args - pos[k].index;
			if (pos[k].repeats) {
				cJSON_AddStringToObject(p, "type", "array");
				str = cJSON_AddObjectToObject(p, "items");
				cJSON_AddNumberToObject(p, "minItems", left_min > 0 ? left_min : 0);
				cJSON_AddNumberToObject(p, "maxItems", left_max);
			}
			cJSON_AddStringToObject(str, "type", "string");
			if (!strcmp(pos[k].name, "name") || !strcmp(pos[k].name, "instance"))
				cJSON_AddStringToObject(str, "pattern", MECH_NAME_PATTERN);
			else if (!strcmp(pos[k].name, "type"))
				addon_type_enum(str);
			cJSON_AddStringToObject(p, "description", pos[k].help);
			cJSON_AddItemToObject(props, pos[k].name, p);
			if (left_min > 0)
				cJSON_AddItemToArray(required, cJSON_CreateString(pos[k].name));
		}
		positionals_free(pos, np);
		if (in) {
			char *d =
				mech_sprintf("%s (what the command reads from stdin; never in argv)",
					     in);
			cJSON *p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "type", "string");
			cJSON_AddStringToObject(p, "description", d);
			cJSON_AddItemToObject(props, "stdin", p);
			cJSON_AddItemToArray(required, cJSON_CreateString("stdin"));
			free(d);
			free(in);
		}
	}
	for (i = 0; c->opts[i].opt; i++)
		add_flag(props, required, &c->opts[i]);
	if (c->flags & SH_MUTATES)
		for (i = 0; sh_write_flags[i].opt; i++)
			add_flag(props, required, &sh_write_flags[i]);
	if (cJSON_GetArraySize(required))
		cJSON_AddItemToObject(s, "required", required);
	else
		cJSON_Delete(required);
	cJSON_AddBoolToObject(s, "additionalProperties", 0);
	return s;
}

static cJSON *typed(const char *type)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", type);
	return o;
}

/* structuredContent: the command's --json `result`, or {"error": …} as --json reports one. */
static cJSON *output_schema(const sh_command *c)
{
	cJSON *s = cJSON_CreateObject(), *props, *err, *ep, *conflict, *cp, *hint, *req;
	static const char *const conflict_fields[] = {"path", "commit", "author", "date", "subject"};
	size_t i;
	cJSON_AddStringToObject(s, "type", "object");
	props = cJSON_AddObjectToObject(s, "properties");
	if (c->flags & SH_MUTATES) {
		cJSON_AddItemToObject(props, "changed", typed("boolean"));
		cJSON_AddItemToObject(props, "subject", typed("string"));
		cJSON_AddItemToObject(props, "dry_run", typed("boolean"));
		cJSON_AddItemToObject(props, "plan", typed("array"));
		cJSON_AddItemToObject(props, "forced_over", typed("array"));
	}
	err = typed("object");
	cJSON_AddStringToObject(err, "description",
				"why the command failed (isError): the --json error object");
	ep = cJSON_AddObjectToObject(err, "properties");
	cJSON_AddItemToObject(ep, "code", typed("string"));
	cJSON_AddItemToObject(ep, "exit", typed("integer"));
	cJSON_AddItemToObject(ep, "message", typed("string"));
	hint = cJSON_CreateObject();
	{
		cJSON *types = cJSON_AddArrayToObject(hint, "type");
		cJSON_AddItemToArray(types, cJSON_CreateString("string"));
		cJSON_AddItemToArray(types, cJSON_CreateString("null"));
	}
	cJSON_AddItemToObject(ep, "hint", hint);
	conflict = typed("object");
	cp = cJSON_AddObjectToObject(conflict, "properties");
	for (i = 0; i < sizeof(conflict_fields) / sizeof(*conflict_fields); i++)
		cJSON_AddItemToObject(cp, conflict_fields[i], typed("string"));
	{
		cJSON *arr = typed("array");
		cJSON_AddItemToObject(arr, "items", conflict);
		cJSON_AddItemToObject(ep, "conflicts", arr);
	}
	req = cJSON_AddArrayToObject(err, "required");
	cJSON_AddItemToArray(req, cJSON_CreateString("code"));
	cJSON_AddItemToArray(req, cJSON_CreateString("exit"));
	cJSON_AddItemToArray(req, cJSON_CreateString("message"));
	cJSON_AddItemToObject(props, "error", err);
	return s;
}

/* Does the table say it changes nothing anywhere? ("None (read-only)…", "None: …") */
static int read_only(const sh_command *c)
{
	return !(c->flags & SH_MUTATES) && !strncmp(c->side_effects, "None", 4);
}

static cJSON *tool_json(const sh_command *c)
{
	cJSON *t = cJSON_CreateObject(), *ann;
	char *name = tool_name(c), *title, *desc;
	int destructive = strstr(c->id, "delete") || strstr(c->id, "remove");
	/* retried with the same arguments, a write changes nothing more; a revert or
	 * a rollback steps back again */
	int idempotent = !strstr(c->id, "revert") && !strstr(c->id, "rollback");
	title = mech_sprintf("mech %s%s%s", c->noun, c->verb ? " " : "", c->verb ? c->verb : "");
	/* the ARGUMENTS section explains the positional argument (or says "None.") */
	desc = mech_sprintf("%s\n\nSide effects: %s%s%s\n\nAs the command line:\n%s", c->purpose,
			    c->side_effects, c->max_args ? "\n\nArguments: " : "",
			    c->max_args ? c->arguments : "", c->examples);
	cJSON_AddStringToObject(t, "name", name);
	cJSON_AddStringToObject(t, "title", title);
	cJSON_AddStringToObject(t, "description", desc);
	cJSON_AddItemToObject(t, "inputSchema", input_schema(c));
	cJSON_AddItemToObject(t, "outputSchema", output_schema(c));
	ann = cJSON_AddObjectToObject(t, "annotations");
	cJSON_AddStringToObject(ann, "title", title);
	cJSON_AddBoolToObject(ann, "readOnlyHint", read_only(c));
	cJSON_AddBoolToObject(ann, "destructiveHint", (c->flags & SH_MUTATES) && destructive);
	cJSON_AddBoolToObject(ann, "idempotentHint", read_only(c) || idempotent);
	free(name);
	free(title);
	free(desc);
	return t;
}

static cJSON *list_tools(void *ud)
{
	mcp_server *srv = ud;
	cJSON *arr = cJSON_CreateArray();
	size_t i;
	for (i = 0; i < sh_ncommands; i++)
		if (offered(srv->ctx, &sh_commands[i]))
			cJSON_AddItemToArray(arr, tool_json(&sh_commands[i]));
	return arr;
}

/* ---- tools/call -------------------------------------------------------------------------- */

/* A tool result for a call that never reached the command (its arguments are wrong). */
static cJSON *refused_call(mech_error_code code, const char *message)
{
	cJSON *r = cJSON_CreateObject(), *content, *text, *sc, *err;
	char *line = mech_sprintf("mech: %s\n", message);
	content = cJSON_AddArrayToObject(r, "content");
	text = cJSON_CreateObject();
	cJSON_AddStringToObject(text, "type", "text");
	cJSON_AddStringToObject(text, "text", line);
	cJSON_AddItemToArray(content, text);
	sc = cJSON_AddObjectToObject(r, "structuredContent");
	err = cJSON_AddObjectToObject(sc, "error");
	cJSON_AddStringToObject(err, "code", mech_error_name(code));
	cJSON_AddNumberToObject(err, "exit", mech_error_exit(code));
	cJSON_AddStringToObject(err, "message", message);
	cJSON_AddNullToObject(err, "hint");
	cJSON_AddBoolToObject(r, "isError", 1);
	free(line);
	return r;
}

/* The flag of `c` (or a write flag) called `name`; NULL if none. */
static const sh_flag *flag_named(const sh_command *c, const char *name)
{
	size_t i;
	for (i = 0; c->opts[i].opt; i++)
		if (!strcmp(sh_opt_name(c->opts[i].opt), name))
			return &c->opts[i];
	if (c->flags & SH_MUTATES)
		for (i = 0; sh_write_flags[i].opt; i++)
			if (!strcmp(sh_opt_name(sh_write_flags[i].opt), name))
				return &sh_write_flags[i];
	return NULL;
}

/* "--name=value": one argv word, so a value is never taken for a flag. */
static void push_flag(mech_strv *argv, const sh_flag *f, const char *value)
{
	char *w = value ? mech_sprintf("--%s=%s", sh_opt_name(f->opt), value)
			: mech_sprintf("--%s", sh_opt_name(f->opt));
	mech_strv_push(argv, w);
	free(w);
}

/* A value of the JSON type the schema says; else a message (caller frees). */
static char *flag_words(const sh_flag *f, const cJSON *v, mech_strv *argv)
{
	const char *name = sh_opt_name(f->opt);
	switch (f->type) {
	case SH_BOOL:
		if (!cJSON_IsBool(v))
			return mech_sprintf("argument %s must be true or false", name);
		if (cJSON_IsTrue(v))
			push_flag(argv, f, NULL);
		return NULL;
	case SH_INT: {
		char num[32];
		if (!cJSON_IsNumber(v) || v->valuedouble > 1e15 || v->valuedouble < -1e15 ||
		    v->valuedouble != (double)(long long)v->valuedouble)
			return mech_sprintf("argument %s must be an integer", name);
		snprintf(num, sizeof(num), "%.0f", v->valuedouble);
		push_flag(argv, f, num);
		return NULL;
	}
	case SH_LIST: {
		const cJSON *item;
		if (cJSON_IsString(v)) {
			push_flag(argv, f, v->valuestring);
			return NULL;
		}
		if (!cJSON_IsArray(v))
			return mech_sprintf("argument %s must be an array of strings", name);
		cJSON_ArrayForEach(item, v)
		{
			if (!cJSON_IsString(item))
				return mech_sprintf("argument %s must be an array of strings", name);
			push_flag(argv, f, item->valuestring);
		}
		return NULL;
	}
	case SH_STR:
	case SH_DURATION:
		if (!cJSON_IsString(v))
			return mech_sprintf("argument %s must be a string", name);
		push_flag(argv, f, v->valuestring);
		return NULL;
	}
	return NULL;
}

/*
 * The argv of `c` called with `args`: --json, the noun and verb words, a
 * --flag=value word per argument, then `--` and the positional ones. Returns
 * 0, or a message (caller frees) with `code` set.
 */
static char *build_argv(const sh_ctx *ctx, const sh_command *c, const cJSON *args, mech_strv *argv,
			mech_error_code *code, const char **stdin_value)
{
	const cJSON *a, *given[MAX_POS] = {NULL};
	pos_arg pos[MAX_POS];
	size_t np = positionals(c, pos), i, nw = sh_verb_words(c->verb);
	char *in = stdin_help(c), *why = NULL;

	*code = MECH_EUSAGE;
	*stdin_value = NULL;
	mech_strv_push(argv, "--json");
	mech_strv_push(argv, c->noun);
	for (i = 0; i < nw; i++) {
		const char *w = sh_verb_word(c->verb, i);
		char *word = mech_strndup(w, strcspn(w, " "));
		mech_strv_push(argv, word);
		free(word);
	}
	cJSON_ArrayForEach(a, args)
	{
		const sh_flag *f;
		char q[MECH_ESCAPE_SIZE];
		int taken = 0;
		for (i = 0; i < np && !taken; i++)
			if (!strcmp(a->string, pos[i].name))
				given[i] = a, taken = 1;
		if (taken)
			continue;
		if (in && !strcmp(a->string, "stdin")) {
			if (!cJSON_IsString(a)) {
				why = mech_sprintf("argument stdin must be a string");
				goto done;
			}
			*stdin_value = a->valuestring; /* borrowed from args */
			continue;
		}
		if (!strcmp(a->string, "tenant") || !strcmp(a->string, "home")) {
			*code = MECH_EFORBIDDEN;
			why = mech_sprintf("argument %s is not accepted: %s", a->string,
					   ctx->via_ssh
						   ? "the key you connect with decides the tenant"
						   : "the tenant is the session's (mech --tenant T mcp)");
			goto done;
		}
		f = flag_named(c, a->string);
		if (!f) {
			why = mech_sprintf("unknown argument \"%s\" for %s: see its inputSchema",
					   mech_error_escape(q, a->string), c->id);
			goto done;
		}
		if ((why = flag_words(f, a, argv)))
			goto done;
	}
	mech_strv_push(argv, "--");
	for (i = 0; i < np; i++) {
		const cJSON *v = given[i];
		if (!v)
			continue;
		/* a later positional without an earlier one would take its place */
		if (i > 0 && !given[i - 1]) {
			why = mech_sprintf("argument %s needs %s", pos[i].name, pos[i - 1].name);
			goto done;
		}
		if (!pos[i].repeats && cJSON_IsString(v)) {
			mech_strv_push(argv, v->valuestring);
		} else if (pos[i].repeats && cJSON_IsArray(v)) {
			cJSON_ArrayForEach(a, v)
			{
				if (!cJSON_IsString(a)) {
					why = mech_sprintf("argument %s must be strings",
							   pos[i].name);
					goto done;
				}
				mech_strv_push(argv, a->valuestring);
			}
		} else {
			why = mech_sprintf("argument %s must be %s", pos[i].name,
					   pos[i].repeats ? "an array of strings" : "a string");
			goto done;
		}
	}
done:
	positionals_free(pos, np);
	free(in);
	return why;
}

/* Read back what went to a capture file, at most MAX_CAPTURE bytes. */
static void slurp(FILE *f, mech_buf *out)
{
	char buf[4096];
	size_t n;
	fflush(f);
	rewind(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && out->len < MAX_CAPTURE)
		mech_buf_put(out, buf, n);
}

/* A fresh context per call, as the shell makes one per line (repl.c). */
static void call_ctx(const sh_ctx *ctx, sh_ctx *sub)
{
	sh_ctx_init(sub);
	sub->home = mech_strdup(ctx->home);
	sub->tenant_flag = ctx->tenant_flag;
	sub->readonly = ctx->readonly;
	sub->color = 0;
	sub->tty = 0;
	sub->text_too = 1; /* the call's answer carries the text beside the JSON */
	if (ctx->via_ssh) {
		/* the connection's tenant, identity and key, borrowed: a reset keeps them */
		sub->via_ssh = 1;
		sub->guest = ctx->guest;
		sub->tenant = ctx->tenant;
		sub->tenant_name = ctx->tenant_name;
		sub->identity = ctx->identity;
		sub->key_fingerprint = ctx->key_fingerprint;
	}
}

/*
 * Run argv as the session's user, stdout and stderr captured: the JSON
 * envelope (stdout) and what a terminal would have shown on stderr.
 */
/* A file holding `value` (anonymous: gone when closed), for a command's stdin; NULL if none. */
static FILE *stdin_file(const char *value)
{
	FILE *f;
	if (!value)
		return NULL;
	f = tmpfile();
	if (f) {
		fwrite(value, 1, strlen(value), f);
		fflush(f);
		rewind(f);
	}
	return f;
}

static int run_captured(mcp_server *srv, mech_strv *argv, const char *stdin_value, mech_buf *json,
			mech_buf *err, mech_buf *text)
{
	FILE *cin = stdin_file(stdin_value);
	const sh_ctx *ctx = srv->ctx;
	sh_ctx sub;
	FILE *cout = tmpfile(), *cerr = tmpfile();
	int saved_in = -1, saved_out, saved_err, code;

	if (!cout || !cerr || (stdin_value && !cin)) {
		if (cout)
			fclose(cout);
		if (cerr)
			fclose(cerr);
		if (cin)
			fclose(cin);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	if (cin) {
		saved_in = dup(0);
		dup2(fileno(cin), 0);
	}
	saved_out = dup(1);
	saved_err = dup(2);
	dup2(fileno(cout), 1);
	dup2(fileno(cerr), 2);
	call_ctx(ctx, &sub);
	code = sh_run((int)argv->len, argv->items, &sub);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	if (cin) {
		dup2(saved_in, 0); /* /dev/null again */
		close(saved_in);
		fclose(cin);
	}
	mech_escape(text, sub.out.ptr ? sub.out.ptr : "", sub.out.len, MECH_ESCAPE_LINES);
	sh_ctx_reset(&sub);
	mech_error_clear();
	slurp(cout, json);
	slurp(cerr, err);
	fclose(cout);
	fclose(cerr);
	return code;
}

/* Is message `m` the client's notifications/cancelled for request `id`? */
static int cancels(const mcp_line *m, const cJSON *id)
{
	return !m->oversized && mcp_cancels(m->data, m->len, id);
}

static void progress(mcp_server *srv, const cJSON *token, long n, const char *line, size_t len)
{
	mech_buf out = MECH_BUF_INIT, msg = MECH_BUF_INIT;
	cJSON *o = cJSON_CreateObject(), *p;
	cJSON_AddStringToObject(o, "jsonrpc", "2.0");
	cJSON_AddStringToObject(o, "method", "notifications/progress");
	p = cJSON_AddObjectToObject(o, "params");
	cJSON_AddItemToObject(p, "progressToken", cJSON_Duplicate(token, 1));
	cJSON_AddNumberToObject(p, "progress", (double)n);
	mech_escape(&msg, line, len, 0);
	cJSON_AddStringToObject(p, "message", mech_buf_cstr(&msg));
	mcp_emit(&out, o);
	if (srv->sse) {
		/* one line of JSON: one data line of an event */
		mech_buf ev = MECH_BUF_INIT;
		mech_buf_printf(&ev, "event: message\ndata: %.*s\n\n", (int)(out.len - 1), out.ptr);
		mech_buf_dispose(&out);
		out = ev;
	}
	if (srv->wire >= 0)
		(void)mech_write_all(srv->wire, out.ptr, out.len);
	mech_buf_dispose(&out);
	mech_buf_dispose(&msg);
}

/*
 * Run argv in a child process: for commands that may wait (a --timeout),
 * so that the session keeps reading. Each line the command prints on
 * stderr (a wait's state changes) is a notifications/progress when the
 * client gave a progressToken; a notifications/cancelled for this request
 * stops the child (SIGTERM) and *cancelled is set. Messages that arrive
 * meanwhile stay queued for after the call.
 */
static int run_forked(mcp_server *srv, mech_strv *argv, const char *stdin_value, const cJSON *id,
		      const cJSON *token, mech_buf *json, mech_buf *err, mech_buf *text,
		      int *cancelled)
{
	FILE *cout = tmpfile(), *ctext = tmpfile(), *cin = stdin_file(stdin_value);
	int pipefd[2] = {-1, -1}, status = 0, code = -1;
	size_t scanned = srv->in.n, line_from = 0;
	long lines = 0;
	pid_t pid;

	*cancelled = 0;
	if (!cout || !ctext || (stdin_value && !cin) || pipe(pipefd) < 0)
		goto done;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		goto done;
	if (pid == 0) {
		sh_ctx sub;
		mech_buf t = MECH_BUF_INIT;
		close(srv->in.fd);
		close(srv->wire);
		close(pipefd[0]);
		if (cin)
			dup2(fileno(cin), 0);
		dup2(fileno(cout), 1);
		dup2(pipefd[1], 2);
		close(pipefd[1]);
		signal(SIGTERM, SIG_DFL);
		call_ctx(srv->ctx, &sub);
		code = sh_run((int)argv->len, argv->items, &sub);
		mech_escape(&t, sub.out.ptr ? sub.out.ptr : "", sub.out.len, MECH_ESCAPE_LINES);
		fwrite(t.ptr ? t.ptr : "", 1, t.len, ctext);
		fflush(ctext);
		fflush(stdout);
		fflush(stderr);
		_exit(code);
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	for (;;) {
		struct pollfd fds[2 + MCP_HTTP_MAX_CONNS + 1] = {{pipefd[0], POLLIN, 0},
								 {srv->in.fd, POLLIN, 0}};
		nfds_t nfds = !srv->in.eof && srv->in.queued < MAX_QUEUED && !*cancelled ? 2 : 1;
		nfds_t base = nfds;
		if (srv->http && !*cancelled)
			nfds += (nfds_t)mcp_http_watch(srv->http, fds + base,
						       MCP_HTTP_MAX_CONNS + 1);
		if (poll(fds, nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (srv->http && !*cancelled &&
		    mcp_http_watch_ready(srv->http, fds + base, (int)(nfds - base), id)) {
			*cancelled = 1;
			kill(pid, SIGTERM);
		}
		if (base == 2 && (fds[1].revents & (POLLIN | POLLHUP))) {
			reader_fill(&srv->in);
			for (; scanned < srv->in.n; scanned++)
				if (!*cancelled && cancels(&srv->in.q[scanned], id)) {
					*cancelled = 1;
					kill(pid, SIGTERM);
				}
		}
		if (fds[0].revents & (POLLIN | POLLHUP)) {
			char buf[4096];
			ssize_t got = read(pipefd[0], buf, sizeof(buf));
			size_t i;
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0)
				break;
			if (err->len < MAX_CAPTURE)
				mech_buf_put(err, buf, (size_t)got);
			for (i = line_from; i < err->len; i++) {
				if (err->ptr[i] != '\n')
					continue;
				if (token && !*cancelled)
					progress(srv, token, ++lines, err->ptr + line_from,
						 i - line_from);
				line_from = i + 1;
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (*cancelled)
		goto done;
	code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	slurp(cout, json);
	slurp(ctext, text);
done:
	if (cin)
		fclose(cin);
	if (cout)
		fclose(cout);
	if (ctext)
		fclose(ctext);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	return code;
}

/* Can the command wait (app wait, create --wait, …)? Then it runs in a child. */
static int may_wait(const sh_command *c)
{
	size_t i;
	for (i = 0; c->opts[i].opt; i++)
		if (c->opts[i].opt == SH_OPT_TIMEOUT)
			return 1;
	return 0;
}

static void add_text(cJSON *content, const char *s)
{
	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "type", "text");
	cJSON_AddStringToObject(t, "text", s);
	cJSON_AddItemToArray(content, t);
}

/* The error as the text a terminal shows (output.c's print_error_text). */
static void error_text(mech_buf *b, const cJSON *e)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "message");
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(e, "hint");
	const cJSON *cs = cJSON_GetObjectItemCaseSensitive(e, "conflicts"), *c;
	mech_buf_printf(b, "mech: %s\n", cJSON_IsString(m) ? m->valuestring : "failed");
	cJSON_ArrayForEach(c, cs)
	{
		const char *f[5] = {"path", "commit", "author", "date", "subject"};
		const char *v[5];
		size_t i;
		for (i = 0; i < 5; i++) {
			const cJSON *x = cJSON_GetObjectItemCaseSensitive(c, f[i]);
			v[i] = cJSON_IsString(x) ? x->valuestring : "";
		}
		mech_buf_printf(b, "  conflict: %s  last changed by %s  %s  %s  \"%s\"\n", v[0],
				v[1], v[2], v[3], v[4]);
	}
	if (cJSON_IsString(h))
		mech_buf_printf(b, "  hint: %s\n", h->valuestring);
}

static cJSON *call_tool(void *ud, const cJSON *id, const char *name, const cJSON *arguments,
			const cJSON *progress_token, int *unknown)
{
	mcp_server *srv = ud;
	const sh_command *c = command_of_tool(srv->ctx, name);
	mech_strv argv = MECH_STRV_INIT;
	mech_buf json = MECH_BUF_INIT, err = MECH_BUF_INIT, text = MECH_BUF_INIT;
	mech_error_code code;
	cJSON *env = NULL, *r = NULL, *content, *meta, *x;
	const char *stdin_value = NULL;
	char *why;
	int exit_code, cancelled = 0;

	if (!c) {
		*unknown = 1;
		return NULL;
	}
	if ((why = build_argv(srv->ctx, c, arguments, &argv, &code, &stdin_value))) {
		r = refused_call(code, why);
		free(why);
		goto done;
	}
	if (may_wait(c))
		exit_code = run_forked(srv, &argv, stdin_value, id, progress_token, &json, &err,
				       &text, &cancelled);
	else
		exit_code = run_captured(srv, &argv, stdin_value, &json, &err, &text);
	if (cancelled)
		goto done; /* no answer: the client has moved on */
	env = json.len ? cJSON_ParseWithLength(json.ptr, json.len) : NULL;
	if (exit_code < 0 || !cJSON_IsObject(env)) {
		r = refused_call(MECH_EFAILED, "the command gave no JSON answer");
		goto done;
	}
	r = cJSON_CreateObject();
	content = cJSON_AddArrayToObject(r, "content");
	if ((x = cJSON_GetObjectItemCaseSensitive(env, "error"))) {
		cJSON *sc = cJSON_AddObjectToObject(r, "structuredContent");
		error_text(&text, x);
		cJSON_AddItemToObject(sc, "error", cJSON_Duplicate(x, 1));
	} else {
		x = cJSON_GetObjectItemCaseSensitive(env, "result");
		cJSON_AddItemToObject(r, "structuredContent",
				      cJSON_IsObject(x) ? cJSON_Duplicate(x, 1)
							: cJSON_CreateObject());
	}
	{
		/* stderr first, as a terminal shows a write's progress before its answer */
		mech_buf all = MECH_BUF_INIT;
		mech_escape(&all, err.ptr ? err.ptr : "", err.len, MECH_ESCAPE_LINES);
		mech_buf_put(&all, text.ptr ? text.ptr : "", text.len);
		if (!all.len) {
			char *s = cJSON_PrintUnformatted(
				cJSON_GetObjectItemCaseSensitive(r, "structuredContent"));
			mech_buf_puts(&all, s);
			free(s);
		}
		add_text(content, mech_buf_cstr(&all));
		mech_buf_dispose(&all);
	}
	/* the rest of the --json envelope: the receipt, files, exit code, next steps */
	meta = cJSON_AddObjectToObject(r, "_meta");
	cJSON_AddNumberToObject(meta, "mech/exit", exit_code);
	{
		static const char *const keep[] = {"commit", "files", "next", "warnings"};
		size_t i;
		for (i = 0; i < sizeof(keep) / sizeof(*keep); i++) {
			char key[32];
			x = cJSON_GetObjectItemCaseSensitive(env, keep[i]);
			snprintf(key, sizeof(key), "mech/%s", keep[i]);
			if (x)
				cJSON_AddItemToObject(meta, key, cJSON_Duplicate(x, 1));
		}
	}
	cJSON_AddBoolToObject(r, "isError", exit_code != 0);
done:
	cJSON_Delete(env);
	mech_strv_dispose(&argv);
	mech_buf_dispose(&json);
	mech_buf_dispose(&err);
	mech_buf_dispose(&text);
	return r;
}

/* ---- resources: receipts and apps, read-only ------------------------------------------- */

/* Run a read-only command for a resource; its --json envelope, or NULL. */
static cJSON *run_json(mcp_server *srv, mech_strv *argv)
{
	mech_buf json = MECH_BUF_INIT, err = MECH_BUF_INIT, text = MECH_BUF_INIT;
	cJSON *env = NULL;
	if (run_captured(srv, argv, NULL, &json, &err, &text) >= 0 && json.len)
		env = cJSON_ParseWithLength(json.ptr, json.len);
	mech_buf_dispose(&json);
	mech_buf_dispose(&err);
	mech_buf_dispose(&text);
	if (env && !cJSON_IsObject(env)) {
		cJSON_Delete(env);
		env = NULL;
	}
	return env;
}

static void add_resource(cJSON *arr, const char *tenant, const char *kind, const char *key,
			 const char *title)
{
	cJSON *o = cJSON_CreateObject();
	char *uri = mech_sprintf("mech://%s/%s/%s", tenant, kind, key);
	char *name = mech_sprintf("%s %s", kind, key);
	cJSON_AddStringToObject(o, "uri", uri);
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "title", title);
	cJSON_AddStringToObject(o, "mimeType", "application/json");
	cJSON_AddItemToArray(arr, o);
	free(uri);
	free(name);
}

/* The tenant's apps and its last 20 receipts (a guest's session has none). */
static cJSON *list_resources(void *ud)
{
	mcp_server *srv = ud;
	cJSON *res = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(res, "resources");
	const char *lists[][4] = {{"--json", "app", "list", NULL}, {"--json", "log", "-n", "20"}};
	size_t i;
	if (srv->ctx->guest)
		return res;
	for (i = 0; i < 2; i++) {
		mech_strv argv = MECH_STRV_INIT;
		cJSON *env, *item;
		const cJSON *tenant, *r;
		size_t k;
		for (k = 0; k < 4 && lists[i][k]; k++)
			mech_strv_push(&argv, lists[i][k]);
		env = run_json(srv, &argv);
		mech_strv_dispose(&argv);
		tenant = cJSON_GetObjectItemCaseSensitive(env, "tenant");
		r = cJSON_GetObjectItemCaseSensitive(env, "result");
		if (!cJSON_IsString(tenant) || !r) {
			cJSON_Delete(env);
			continue;
		}
		cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(r, i ? "commits" : "apps"))
		{
			const cJSON *key = cJSON_GetObjectItemCaseSensitive(item,
									    i ? "commit" : "name");
			const cJSON *subject = cJSON_GetObjectItemCaseSensitive(item, "subject");
			if (!cJSON_IsString(key))
				continue;
			add_resource(arr, tenant->valuestring, i ? "receipt" : "app",
				     key->valuestring,
				     i && cJSON_IsString(subject) ? subject->valuestring
								  : key->valuestring);
		}
		cJSON_Delete(env);
	}
	return res;
}

/* mech://TENANT/receipt/SHA or mech://TENANT/app/NAME, as `show` or `app info` answers it. */
static cJSON *read_resource(void *ud, const char *uri, int *code, char **message)
{
	mcp_server *srv = ud;
	mech_strv argv = MECH_STRV_INIT;
	const char *p = uri, *slash;
	char *tenant = NULL, *kind = NULL, *key = NULL, *s;
	cJSON *env = NULL, *res = NULL;
	const cJSON *t, *r;
	char q[MECH_ESCAPE_SIZE];

	*code = MCP_RESOURCE_NOT_FOUND;
	if (strncmp(p, "mech://", 7) || srv->ctx->guest)
		goto done;
	p += 7;
	if (!(slash = strchr(p, '/')))
		goto done;
	tenant = mech_strndup(p, (size_t)(slash - p));
	p = slash + 1;
	if (!(slash = strchr(p, '/')))
		goto done;
	kind = mech_strndup(p, (size_t)(slash - p));
	key = mech_strdup(slash + 1);
	if (!*key || strchr(key, '/'))
		goto done;
	mech_strv_push(&argv, "--json");
	if (!strcmp(kind, "receipt")) {
		mech_strv_push(&argv, "show");
		mech_strv_push(&argv, "--");
		mech_strv_push(&argv, key);
	} else if (!strcmp(kind, "app")) {
		mech_strv_push(&argv, "app");
		mech_strv_push(&argv, "info");
		s = mech_sprintf("--app=%s", key);
		mech_strv_push(&argv, s);
		free(s);
	} else {
		goto done;
	}
	env = run_json(srv, &argv);
	t = cJSON_GetObjectItemCaseSensitive(env, "tenant");
	r = cJSON_GetObjectItemCaseSensitive(env, "result");
	/* another tenant's URI names nothing this session can see */
	if (!cJSON_IsString(t) || strcmp(t->valuestring, tenant) || !cJSON_IsObject(r))
		goto done;
	{
		cJSON *content = cJSON_CreateObject();
		char *text = cJSON_PrintUnformatted(r);
		res = cJSON_CreateObject();
		cJSON_AddStringToObject(content, "uri", uri);
		cJSON_AddStringToObject(content, "mimeType", "application/json");
		cJSON_AddStringToObject(content, "text", text);
		cJSON_AddItemToArray(cJSON_AddArrayToObject(res, "contents"), content);
		free(text);
	}
done:
	if (!res)
		*message = mech_sprintf("resource not found: %s", mech_error_escape(q, uri));
	cJSON_Delete(env);
	mech_strv_dispose(&argv);
	free(tenant);
	free(kind);
	free(key);
	return res;
}

/* ---- over HTTP ---------------------------------------------------------------------------- */

/* The one line of a token file only its owner can read; NULL with the error set. */
static char *read_token(const char *path)
{
	mech_buf b = MECH_BUF_SECRET_INIT;
	char q[MECH_ESCAPE_SIZE];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), i;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		mech_error_set(MECH_EUSAGE, "--token-file %s: %s", mech_error_escape(q, path),
			       fd < 0 ? strerror(errno) : "not a regular file");
		goto fail;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		mech_error_set(MECH_EFORBIDDEN,
			       "--token-file %s: readable or writable by others than its owner, "
			       "or not yours: chmod 600 it",
			       mech_error_escape(q, path));
		goto fail;
	}
	for (;;) {
		char buf[512];
		ssize_t got = read(fd, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		mech_buf_put(&b, buf, (size_t)got);
		explicit_bzero(buf, sizeof(buf));
		if (b.len > 4096)
			break;
	}
	while (b.len && strchr("\r\n \t", b.ptr[b.len - 1]))
		b.ptr[--b.len] = '\0';
	for (i = 0; i < (int)b.len; i++)
		if ((unsigned char)b.ptr[i] <= ' ' || (unsigned char)b.ptr[i] >= 0x7f)
			break;
	if (!b.len || b.len > 4096 || i != (int)b.len) {
		mech_error_set(MECH_EUSAGE,
			       "--token-file %s: want one line, the token (visible ASCII, at most "
			       "4096 bytes)",
			       mech_error_escape(q, path));
		goto fail;
	}
	close(fd);
	return mech_buf_detach(&b);
fail:
	if (fd >= 0)
		close(fd);
	if (b.ptr)
		explicit_bzero(b.ptr, b.cap);
	mech_buf_dispose(&b);
	return NULL;
}

/* A tools/call answered as an event stream: its progress goes there. */
static void http_stream(void *ud, int fd)
{
	mcp_server *srv = ud;
	srv->wire = fd;
	srv->sse = fd >= 0;
}

static int serve_http(sh_ctx *ctx, const char *addr, const char *token_file)
{
	mcp_server srv;
	mcp_ops ops = {list_tools, call_tool, list_resources, read_resource, &srv};
	mcp_http h;
	char *token = NULL, *url = NULL;
	int lfd = -1, null = -1, rc = -1;

	memset(&srv, 0, sizeof(srv));
	srv.ctx = ctx;
	srv.in.fd = -1;
	srv.in.eof = 1; /* nothing to read but the connections */
	srv.wire = -1;
	if (token_file && !(token = read_token(token_file)))
		goto done;
	if ((lfd = mcp_http_listen(addr, &url)) < 0)
		goto done;
	/* commands never read stdin */
	null = open("/dev/null", O_RDONLY);
	if (null >= 0)
		dup2(null, 0);
	mcp_http_init(&h, &ops, token);
	h.stream = http_stream;
	h.stream_ud = &srv;
	srv.http = &h;
	/* tests and scripts read this line for the port */
	printf("mech mcp: listening on %s\n", url);
	fflush(stdout);
	if (!token)
		fprintf(stderr, "mech mcp: --no-auth: any process on this host may call the tools "
				"as this tenant\n");
	rc = mcp_http_serve(&h, lfd);
	mcp_http_dispose(&h);
	ctx->quiet = rc == 0; /* stopped by a signal: nothing more to say */
done:
	if (lfd >= 0)
		close(lfd);
	if (null >= 0)
		close(null);
	if (token)
		mech_secret_free(token);
	free(url);
	return rc;
}

/* ---- the stdio loop ---------------------------------------------------------------------- */

int sh_mcp(sh_ctx *ctx, const sh_args *a)
{
	mcp_server srv;
	mcp_ops ops = {list_tools, call_tool, list_resources, read_resource, &srv};
	mcp_session s;
	mech_buf out = MECH_BUF_INIT;
	mcp_line m;
	int null, rc = 0;
	struct sigaction ign, old;
	const char *http = sh_arg(a, SH_OPT_HTTP), *token_file = sh_arg(a, SH_OPT_TOKEN_FILE);
	int no_auth = sh_arg_bool(a, SH_OPT_NO_AUTH);

	if (!http && (token_file || no_auth))
		return mech_error_set(MECH_EUSAGE, "--token-file and --no-auth go with --http ADDR");
	if (http) {
		if (ctx->via_ssh)
			return mech_error_set(MECH_EFORBIDDEN,
					      "mcp --http is local only: over SSH, run mcp on the "
					      "session's stdin and stdout");
		if (!token_file == !no_auth)
			return mech_error_set(
				MECH_EUSAGE,
				"mcp --http needs one of --token-file FILE (every request carries "
				"its one line as a bearer token) and --no-auth (any process on this "
				"host may connect)");
		return serve_http(ctx, http, token_file);
	}
	null = open("/dev/null", O_RDWR);
	memset(&srv, 0, sizeof(srv));
	srv.ctx = ctx;
	srv.in.fd = dup(0);
	srv.wire = dup(1);
	if (srv.in.fd < 0 || srv.wire < 0 || null < 0) {
		rc = mech_error_set(MECH_EFAILED, "mcp: cannot set up stdio: %s", strerror(errno));
		goto done;
	}
	/* commands never read the protocol's stdin nor write into its stdout */
	dup2(null, 0);
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old);
	mcp_session_init(&s, &ops);
	for (;;) {
		while (reader_next(&srv.in, &m)) {
			if (m.oversized)
				mcp_oversized(&out);
			else
				mcp_handle(&s, m.data, m.len, &out);
			free(m.data);
			if (out.len && mech_write_all(srv.wire, out.ptr, out.len) < 0)
				goto closed; /* the client is gone */
			mech_buf_clear(&out);
		}
		if (srv.in.eof || reader_fill(&srv.in) < 0)
			if (srv.in.head == srv.in.n)
				break;
	}
closed:
	mcp_session_dispose(&s);
	sigaction(SIGPIPE, &old, NULL);
	dup2(srv.in.fd, 0);
	ctx->quiet = 1; /* the session said all there was to say */
done:
	if (srv.in.fd >= 0)
		close(srv.in.fd);
	if (srv.wire >= 0)
		close(srv.wire);
	if (null >= 0)
		close(null);
	reader_dispose(&srv.in);
	mech_buf_dispose(&out);
	return rc;
}
