/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The MCP protocol itself: one newline-delimited JSON-RPC 2.0 message in,
 * its answer out. Everything from the client is outside input: a message
 * is bounded in size (MCP_MAX_MESSAGE) and nesting (MCP_MAX_DEPTH) before
 * cJSON sees it, and whatever is wrong with it is a JSON-RPC error, never
 * a crash. The lifecycle: initialize (the protocol revision negotiated),
 * then tools/list and tools/call; ping at any time. Answers are made valid
 * UTF-8 (mech_json_clean), whatever bytes the request held.
 */
#include "mcp.h"

#include "mech/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mcp_session_init(mcp_session *s, const mcp_ops *ops)
{
	memset(s, 0, sizeof(*s));
	s->ops = *ops;
	s->state = MCP_STATE_NEW;
}

void mcp_session_dispose(mcp_session *s)
{
	cJSON_Delete(s->tools);
	s->tools = NULL;
}

void mcp_emit(mech_buf *out, cJSON *msg)
{
	char *s = cJSON_PrintUnformatted(msg);
	if (s) {
		mech_json_clean(out, s, strlen(s));
		mech_buf_putc(out, '\n');
	}
	free(s);
	cJSON_Delete(msg);
}

static cJSON *envelope(const cJSON *id)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "jsonrpc", "2.0");
	cJSON_AddItemToObject(o, "id", id ? cJSON_Duplicate(id, 1) : cJSON_CreateNull());
	return o;
}

void mcp_error(mech_buf *out, const cJSON *id, int code, const char *message)
{
	cJSON *o = envelope(id), *e = cJSON_AddObjectToObject(o, "error");
	cJSON_AddNumberToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", message);
	mcp_emit(out, o);
}

void mcp_oversized(mech_buf *out)
{
	char msg[96];
	snprintf(msg, sizeof(msg), "message too large: at most %d bytes", MCP_MAX_MESSAGE);
	mcp_error(out, NULL, MCP_INVALID_REQUEST, msg);
}

static void result(mech_buf *out, const cJSON *id, cJSON *res)
{
	cJSON *o = envelope(id);
	cJSON_AddItemToObject(o, "result", res);
	mcp_emit(out, o);
}

/* Deepest nesting of arrays and objects, outside strings (no parse needed). */
static int too_deep(const char *s, size_t len)
{
	size_t i;
	int depth = 0, in_string = 0;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > MCP_MAX_DEPTH)
				return 1;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return 0;
}

int mcp_version_served(const char *v, size_t len)
{
	return (len == strlen(MCP_PROTOCOL_LATEST) && !memcmp(v, MCP_PROTOCOL_LATEST, len)) ||
	       (len == strlen(MCP_PROTOCOL_PREVIOUS) && !memcmp(v, MCP_PROTOCOL_PREVIOUS, len));
}

/* The revision to answer with: the client's when served, else the newest. */
static const char *negotiate(const char *asked)
{
	if (mcp_version_served(asked, strlen(asked)))
		return asked;
	return MCP_PROTOCOL_LATEST;
}

static void initialize(mcp_session *s, const cJSON *id, const cJSON *params, mech_buf *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, "protocolVersion");
	cJSON *res, *caps, *info;
	if (s->state != MCP_STATE_NEW) {
		mcp_error(out, id, MCP_INVALID_REQUEST, "already initialized");
		return;
	}
	if (!cJSON_IsString(v)) {
		mcp_error(out, id, MCP_INVALID_PARAMS,
			  "initialize needs params.protocolVersion (a string)");
		return;
	}
	snprintf(s->version, sizeof(s->version), "%s", negotiate(v->valuestring));
	s->state = MCP_STATE_INITIALIZED;
	res = cJSON_CreateObject();
	cJSON_AddStringToObject(res, "protocolVersion", s->version);
	caps = cJSON_AddObjectToObject(res, "capabilities");
	cJSON_AddBoolToObject(cJSON_AddObjectToObject(caps, "tools"), "listChanged", 0);
	if (s->ops.list_resources) {
		cJSON *r = cJSON_AddObjectToObject(caps, "resources");
		cJSON_AddBoolToObject(r, "subscribe", 0);
		cJSON_AddBoolToObject(r, "listChanged", 0);
	}
	info = cJSON_AddObjectToObject(res, "serverInfo");
	cJSON_AddStringToObject(info, "name", "mech");
	cJSON_AddStringToObject(info, "title", "mech: GitOps receipts for agents");
	cJSON_AddStringToObject(info, "version", MECH_VERSION);
	cJSON_AddStringToObject(
		res, "instructions",
		"Every tool is a mech command. Tools that write commit one signed receipt to the "
		"tenant's GitOps repository; a write that would overwrite a human's change is "
		"refused (isError, with the conflicts) unless called with force: true. Call "
		"dry_run: true first to see the plan. The tenant is this connection's, never an "
		"argument.");
	result(out, id, res);
}

static void tools_list(mcp_session *s, const cJSON *id, const cJSON *params, mech_buf *out)
{
	const cJSON *cursor = params ? cJSON_GetObjectItemCaseSensitive(params, "cursor") : NULL;
	long from = 0, i, n;
	cJSON *res, *page;
	if (cursor && !cJSON_IsNull(cursor)) {
		char *end;
		const char *c = cJSON_IsString(cursor) ? cursor->valuestring : "";
		from = c[0] == 't' ? strtol(c + 1, &end, 10) : -1;
		if (from <= 0 || c[1] == '-' || c[1] == '+' || *end) {
			mcp_error(out, id, MCP_INVALID_PARAMS,
				  "invalid cursor: pass back a nextCursor from tools/list");
			return;
		}
	}
	if (!s->tools)
		s->tools = s->ops.list_tools(s->ops.ud);
	n = cJSON_GetArraySize(s->tools);
	if (from > n) {
		mcp_error(out, id, MCP_INVALID_PARAMS,
			  "invalid cursor: pass back a nextCursor from tools/list");
		return;
	}
	res = cJSON_CreateObject();
	page = cJSON_AddArrayToObject(res, "tools");
	for (i = from; i < n && i < from + MCP_PAGE_SIZE; i++)
		cJSON_AddItemToArray(page, cJSON_Duplicate(cJSON_GetArrayItem(s->tools, (int)i), 1));
	if (i < n) {
		char next[32];
		snprintf(next, sizeof(next), "t%ld", i);
		cJSON_AddStringToObject(res, "nextCursor", next);
	}
	result(out, id, res);
}

static void tools_call(mcp_session *s, const cJSON *id, const cJSON *params, mech_buf *out)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(params, "name");
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(params, "arguments");
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(params, "_meta");
	const cJSON *token = cJSON_IsObject(meta)
				     ? cJSON_GetObjectItemCaseSensitive(meta, "progressToken")
				     : NULL;
	cJSON *empty = NULL, *res;
	char msg[160];
	int unknown = 0;
	if (!cJSON_IsString(name)) {
		mcp_error(out, id, MCP_INVALID_PARAMS, "tools/call needs params.name (a string)");
		return;
	}
	if (args && !cJSON_IsNull(args) && !cJSON_IsObject(args)) {
		mcp_error(out, id, MCP_INVALID_PARAMS, "params.arguments must be an object");
		return;
	}
	if (!cJSON_IsString(token) && !cJSON_IsNumber(token))
		token = NULL;
	if (!args || cJSON_IsNull(args))
		args = empty = cJSON_CreateObject();
	res = s->ops.call_tool(s->ops.ud, id, name->valuestring, args, token, &unknown);
	cJSON_Delete(empty);
	if (!res && !unknown)
		return; /* cancelled: the client expects no answer */
	if (!res) {
		char q[MECH_ESCAPE_SIZE];
		snprintf(msg, sizeof(msg), "unknown tool \"%s\": see tools/list",
			 mech_error_escape(q, name->valuestring));
		mcp_error(out, id, MCP_INVALID_PARAMS, msg);
		return;
	}
	result(out, id, res);
}

/* Receipts and apps, read-only: the URI templates resources/read takes. */
static cJSON *resource_templates(void)
{
	static const struct {
		const char *uri, *name, *description;
	} t[] = {
		{"mech://{tenant}/receipt/{sha}", "receipt",
		 "One commit of the tenant's GitOps repo: class, trailers, files and diff (mech show "
		 "SHA --json)."},
		{"mech://{tenant}/app/{name}", "app",
		 "An app's desired state per instance, its files and their last writers (mech app -a "
		 "NAME info --json)."},
	};
	cJSON *res = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(res, "resourceTemplates");
	size_t i;
	for (i = 0; i < sizeof(t) / sizeof(*t); i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "uriTemplate", t[i].uri);
		cJSON_AddStringToObject(o, "name", t[i].name);
		cJSON_AddStringToObject(o, "description", t[i].description);
		cJSON_AddStringToObject(o, "mimeType", "application/json");
		cJSON_AddItemToArray(arr, o);
	}
	return res;
}

static void resources_read(mcp_session *s, const cJSON *id, const cJSON *params, mech_buf *out)
{
	const cJSON *uri = params ? cJSON_GetObjectItemCaseSensitive(params, "uri") : NULL;
	char *message = NULL;
	int code = MCP_RESOURCE_NOT_FOUND;
	cJSON *res;
	if (!cJSON_IsString(uri)) {
		mcp_error(out, id, MCP_INVALID_PARAMS, "resources/read needs params.uri (a string)");
		return;
	}
	res = s->ops.read_resource(s->ops.ud, uri->valuestring, &code, &message);
	if (res)
		result(out, id, res);
	else
		mcp_error(out, id, code, message ? message : "resource not found");
	free(message);
}

static int valid_id(const cJSON *id)
{
	return cJSON_IsString(id) || cJSON_IsNumber(id);
}

int mcp_cancels(const char *msg, size_t len, const cJSON *id)
{
	cJSON *o, *params;
	const cJSON *method;
	int hit;
	if (len > MCP_MAX_MESSAGE || !memmem(msg, len, "notifications/cancelled", 23) ||
	    memchr(msg, '\0', len) || too_deep(msg, len))
		return 0;
	o = cJSON_ParseWithLength(msg, len);
	method = cJSON_GetObjectItemCaseSensitive(o, "method");
	params = cJSON_GetObjectItemCaseSensitive(o, "params");
	hit = cJSON_IsString(method) && !strcmp(method->valuestring, "notifications/cancelled") &&
	      cJSON_IsObject(params) &&
	      cJSON_Compare(cJSON_GetObjectItemCaseSensitive(params, "requestId"), id, 1);
	cJSON_Delete(o);
	return hit;
}

int mcp_peek(const char *msg, size_t len, int *initialize, int *progress)
{
	cJSON *o;
	const cJSON *id, *method, *params, *meta, *token;
	int request;
	*initialize = *progress = 0;
	if (len > MCP_MAX_MESSAGE || memchr(msg, '\0', len) || too_deep(msg, len))
		return 0;
	o = cJSON_ParseWithLength(msg, len);
	id = cJSON_GetObjectItemCaseSensitive(o, "id");
	method = cJSON_GetObjectItemCaseSensitive(o, "method");
	request = cJSON_IsObject(o) && valid_id(id) && cJSON_IsString(method);
	if (request) {
		params = cJSON_GetObjectItemCaseSensitive(o, "params");
		meta = cJSON_GetObjectItemCaseSensitive(params, "_meta");
		token = cJSON_GetObjectItemCaseSensitive(meta, "progressToken");
		*initialize = !strcmp(method->valuestring, "initialize");
		*progress = !strcmp(method->valuestring, "tools/call") && cJSON_IsObject(params) &&
			    cJSON_IsObject(meta) &&
			    (cJSON_IsString(token) || cJSON_IsNumber(token));
	}
	cJSON_Delete(o);
	return request;
}

void mcp_handle(mcp_session *s, const char *line, size_t len, mech_buf *out)
{
	cJSON *msg = NULL;
	const cJSON *id, *method, *params, *version;
	const char *m, *rest = NULL;
	size_t i;

	for (i = 0; i < len && strchr(" \t\r", line[i]); i++)
		;
	if (i == len) /* a blank line between messages */
		return;
	if (len > MCP_MAX_MESSAGE) {
		mcp_oversized(out);
		return;
	}
	if (memchr(line, '\0', len)) {
		mcp_error(out, NULL, MCP_PARSE_ERROR, "parse error: a NUL byte in the message");
		return;
	}
	if (too_deep(line, len)) {
		char why[96];
		snprintf(why, sizeof(why), "invalid request: nested deeper than %d", MCP_MAX_DEPTH);
		mcp_error(out, NULL, MCP_INVALID_REQUEST, why);
		return;
	}
	msg = cJSON_ParseWithLengthOpts(line, len, &rest, 0);
	/* one value a line: anything after it but blanks is not JSON-RPC either */
	while (msg && rest < line + len && strchr(" \t\r", *rest))
		rest++;
	if (msg && rest != line + len) {
		cJSON_Delete(msg);
		msg = NULL;
	}
	if (!msg) {
		mcp_error(out, NULL, MCP_PARSE_ERROR, "parse error: not JSON");
		return;
	}
	if (cJSON_IsArray(msg)) {
		mcp_error(out, NULL, MCP_INVALID_REQUEST,
			  "invalid request: batches are not part of MCP; send one message a line");
		goto done;
	}
	if (!cJSON_IsObject(msg)) {
		mcp_error(out, NULL, MCP_INVALID_REQUEST, "invalid request: not an object");
		goto done;
	}
	id = cJSON_GetObjectItemCaseSensitive(msg, "id");
	method = cJSON_GetObjectItemCaseSensitive(msg, "method");
	params = cJSON_GetObjectItemCaseSensitive(msg, "params");
	version = cJSON_GetObjectItemCaseSensitive(msg, "jsonrpc");
	if (id && !valid_id(id)) {
		mcp_error(out, NULL, MCP_INVALID_REQUEST,
			  "invalid request: id must be a string or a number");
		goto done;
	}
	if (!cJSON_IsString(version) || strcmp(version->valuestring, "2.0")) {
		mcp_error(out, id, MCP_INVALID_REQUEST, "invalid request: jsonrpc must be \"2.0\"");
		goto done;
	}
	if (!method && id &&
	    (cJSON_GetObjectItemCaseSensitive(msg, "result") ||
	     cJSON_GetObjectItemCaseSensitive(msg, "error")))
		goto done; /* a response: mech sends no requests, so nothing awaits one */
	if (!cJSON_IsString(method)) {
		mcp_error(out, id, MCP_INVALID_REQUEST, "invalid request: method must be a string");
		goto done;
	}
	m = method->valuestring;
	if (params && !cJSON_IsObject(params)) {
		if (id)
			mcp_error(out, id, MCP_INVALID_PARAMS, "params must be an object");
		goto done;
	}
	if (!id) {
		/* notifications: initialized, cancelled (calls run one at a time, each
		 * answered before the next is read), and any other is ignored */
		goto done;
	}
	if (!strcmp(m, "ping")) {
		result(out, id, cJSON_CreateObject());
	} else if (!strcmp(m, "initialize")) {
		initialize(s, id, params, out);
	} else if (s->state == MCP_STATE_NEW) {
		mcp_error(out, id, MCP_INVALID_REQUEST, "not initialized: send initialize first");
	} else if (!strcmp(m, "tools/list")) {
		tools_list(s, id, params, out);
	} else if (!strcmp(m, "tools/call")) {
		if (!params)
			mcp_error(out, id, MCP_INVALID_PARAMS, "tools/call needs params");
		else
			tools_call(s, id, params, out);
	} else if (s->ops.list_resources && !strcmp(m, "resources/list")) {
		result(out, id, s->ops.list_resources(s->ops.ud));
	} else if (s->ops.list_resources && !strcmp(m, "resources/templates/list")) {
		result(out, id, resource_templates());
	} else if (s->ops.list_resources && !strcmp(m, "resources/read")) {
		resources_read(s, id, params, out);
	} else {
		char q[MECH_ESCAPE_SIZE], why[160];
		snprintf(why, sizeof(why), "method not found: %s", mech_error_escape(q, m));
		mcp_error(out, id, MCP_METHOD_NOT_FOUND, why);
	}
done:
	cJSON_Delete(msg);
}
