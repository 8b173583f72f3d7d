/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SH_MCP_H
#define SH_MCP_H

/*
 * mech mcp: a Model Context Protocol server over stdio. mcp_rpc.c is the
 * protocol (newline-delimited JSON-RPC 2.0, bounds, lifecycle, tools/list
 * paging): it knows nothing of commands, so the fuzzer drives it alone.
 * mcp.c supplies the tools, generated from the command table, and runs
 * tools/call through sh_run.
 */
#include <cjson/cJSON.h>
#include <stddef.h>

#include "mech/buf.h"

#define MCP_MAX_MESSAGE (1024 * 1024) /* bytes in one message, without its newline */
#define MCP_MAX_DEPTH 64              /* arrays and objects inside each other */
/* tools per tools/list page: every command fits in one, as some clients
 * (the MCP Inspector's CLI) read no page but the first */
#define MCP_PAGE_SIZE 64

/* JSON-RPC 2.0 error codes */
#define MCP_PARSE_ERROR (-32700)
#define MCP_INVALID_REQUEST (-32600)
#define MCP_METHOD_NOT_FOUND (-32601)
#define MCP_INVALID_PARAMS (-32602)
#define MCP_RESOURCE_NOT_FOUND (-32002) /* MCP's code for resources/read */

/* The protocol revisions served, newest first: the SDK's current one, the one before. */
#define MCP_PROTOCOL_LATEST "2025-11-25"
#define MCP_PROTOCOL_PREVIOUS "2025-06-18"

typedef struct {
	/** Every tool, as tools/list shows it (the session owns the array). */
	cJSON *(*list_tools)(void *ud);
	/**
	 * Run tool `name` of request `id` with `arguments` (an object, never
	 * NULL): a CallToolResult the caller frees. NULL with *unknown set when
	 * no tool has that name; NULL without it when the client cancelled the
	 * call (then nothing is answered).
	 */
	cJSON *(*call_tool)(void *ud, const cJSON *id, const char *name, const cJSON *arguments,
			    const cJSON *progress_token, int *unknown);
	/**
	 * Optional (NULL: no resources capability). resources/list's result
	 * object, and resources/read's for `uri`: NULL with *code and *message
	 * (caller frees) set when there is no such resource.
	 */
	cJSON *(*list_resources)(void *ud);
	cJSON *(*read_resource)(void *ud, const char *uri, int *code, char **message);
	void *ud;
} mcp_ops;

typedef enum {
	MCP_STATE_NEW,         /* nothing but initialize and ping */
	MCP_STATE_INITIALIZED, /* initialize answered */
} mcp_state;

typedef struct {
	mcp_ops ops;
	mcp_state state;
	char version[16]; /* the negotiated protocol revision */
	cJSON *tools;     /* ops.list_tools' answer, asked once */
} mcp_session;

void mcp_session_init(mcp_session *s, const mcp_ops *ops);
void mcp_session_dispose(mcp_session *s);

/**
 * Handle one message (a line without its newline; `len` bytes, which may
 * hold anything). Appends each answer to `out` as one line of JSON ending
 * in '\n': none for a notification or a client's response.
 */
void mcp_handle(mcp_session *s, const char *line, size_t len, mech_buf *out);

/** The answer to a message longer than MCP_MAX_MESSAGE (its bytes were dropped). */
void mcp_oversized(mech_buf *out);

/** Append a JSON-RPC error response (`id` may be NULL: null) as one line. */
void mcp_error(mech_buf *out, const cJSON *id, int code, const char *message);

/** Append `msg` (consumed) as one line of valid UTF-8 JSON. */
void mcp_emit(mech_buf *out, cJSON *msg);

#endif
