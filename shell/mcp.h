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
#include <poll.h>
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

/**
 * What one message is, before mcp_handle answers it (the HTTP transport
 * decides sessions and framing by it): 1 for a request (an object with an
 * id and a method), *initialize set when its method is initialize and
 * *progress when it is a tools/call with a progressToken; 0 for anything
 * else (a notification, a response, or what mcp_handle answers with an
 * error). The same bounds as mcp_handle apply.
 */
int mcp_peek(const char *msg, size_t len, int *initialize, int *progress);

/** Is message `msg` the client's notifications/cancelled for request `id`? */
int mcp_cancels(const char *msg, size_t len, const cJSON *id);

/** Is `v` a protocol revision this server speaks? */
int mcp_version_served(const char *v, size_t len);

/* ---- Streamable HTTP (mcp_http.c): mech mcp --http ------------------------------------- */

#define MCP_HTTP_MAX_HEAD (16 * 1024) /* bytes of request line and headers */
#define MCP_HTTP_MAX_HEADERS 64
#define MCP_HTTP_MAX_SESSIONS 64 /* the least recently used is ended for a new one */
#define MCP_HTTP_MAX_CONNS 32    /* likewise the least recently active connection */
#define MCP_HTTP_PATH "/mcp"

/* A piece of the request buffer (not NUL-terminated; p NULL when absent). */
typedef struct {
	const char *p;
	size_t n;
} mcp_span;

typedef struct {
	mcp_span method, path; /* path: the target without its ?query */
	mcp_span host, origin, session, protocol, accept, auth, content_type;
	const char *body;
	size_t body_len;
	int keep_alive; /* HTTP/1.1 without Connection: close */
} mcp_http_req;

/**
 * Parse the request at the start of `buf` (`len` bytes, anything). Returns
 * the length of the whole request (head and body) when it is all there, 0
 * when more bytes are needed, or -STATUS when it cannot be served: 400
 * (malformed), 413 (a body over MCP_MAX_MESSAGE), 431 (a head over
 * MCP_HTTP_MAX_HEAD or MCP_HTTP_MAX_HEADERS headers), 501 (Transfer-Encoding),
 * 505 (not HTTP/1.x). The spans of `r` point into `buf`.
 */
long mcp_http_parse(const char *buf, size_t len, mcp_http_req *r);

typedef struct {
	int fd; /* -1: a free slot */
	mech_buf in;
	unsigned long active;
} mcp_http_conn;

typedef struct {
	char id[33]; /* Mcp-Session-Id: 128 random bits in hex */
	mcp_session s;
	unsigned long used;
} mcp_http_session;

typedef struct {
	mcp_ops ops;
	const char *token; /* the bearer token every request carries; NULL: none (--no-auth) */
	mcp_http_session *sessions[MCP_HTTP_MAX_SESSIONS];
	unsigned long tick;
	/**
	 * Optional: a tools/call with a progressToken whose client accepts
	 * text/event-stream is answered as an event stream on `fd`: stream(ud,
	 * fd) before the call (its progress notifications go there as events),
	 * stream(ud, -1) after.
	 */
	void (*stream)(void *ud, int fd);
	void *stream_ud;
	/* mcp_http_serve's: the listening socket and the connections */
	int lfd;
	mcp_http_conn conns[MCP_HTTP_MAX_CONNS];
	unsigned long conn_tick;
	int busy;                  /* the connection whose request runs, or -1 */
	mcp_http_session *current; /* the session whose request runs, or NULL */
} mcp_http;

void mcp_http_init(mcp_http *h, const mcp_ops *ops, const char *token);
void mcp_http_dispose(mcp_http *h);

/**
 * Answer request `r` (read from connection `fd`): the whole HTTP response
 * is appended to `out` (an event stream's head may have been written to
 * `fd` already); *close is set when the connection ends after it.
 */
void mcp_http_answer(mcp_http *h, const mcp_http_req *r, int fd, mech_buf *out, int *close);

/** The response to a request mcp_http_parse refused with -status. */
void mcp_http_refuse(int status, mech_buf *out);

/**
 * While a call runs (a wait, in a child): the listening socket and the
 * other connections to poll, into `fds` (at most MCP_HTTP_MAX_CONNS + 1);
 * how many.
 */
int mcp_http_watch(mcp_http *h, struct pollfd *fds, int max);
/**
 * Take what `fds` (from mcp_http_watch, after poll) say: new connections,
 * bytes of requests. 1 when one of them is the running call's session's
 * notifications/cancelled for request `id` (answered 202); every other
 * request waits for the call to end.
 */
int mcp_http_watch_ready(mcp_http *h, const struct pollfd *fds, int n, const cJSON *id);

/**
 * Serve `h` on the listening socket `lfd` until SIGINT or SIGTERM (returns
 * 0) or a failure (-1, the error set).
 */
int mcp_http_serve(mcp_http *h, int lfd);

/**
 * Listen on ADDR (127.0.0.1:PORT, localhost:PORT or [::1]:PORT; port 0
 * picks one): the socket, with *url set (caller frees) to the endpoint,
 * e.g. http://127.0.0.1:41234/mcp. -1 with the error set (a non-loopback
 * address: MECH_EUSAGE).
 */
int mcp_http_listen(const char *addr, char **url);

#endif
