/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mech mcp --http: MCP's Streamable HTTP transport (docs/mcp.md, "Over
 * HTTP"), for clients that speak no stdio. One endpoint, /mcp: POST carries
 * one JSON-RPC message, answered by the same dispatcher as stdio
 * (mcp_handle, with its bounds) as application/json, or as an event stream
 * for a tools/call whose progress the client asked for; initialize starts a
 * session (Mcp-Session-Id), DELETE ends it, GET is 405 (mech sends nothing
 * unasked). Loopback only, and as the spec asks of a local server, Host and
 * Origin must name a loopback host (DNS rebinding); with a token, every
 * request carries it as a bearer token.
 *
 * The request parser and mcp_http_answer are pure (bytes in, bytes out),
 * so the fuzzer drives them alone (tests/fuzz/fuzz_mcp_http.c). The
 * connections are served one request at a time from one poll loop: calls
 * run in order, as on stdio.
 */
#include "mcp.h"

#include "mech/error.h"
#include "mech/http.h"
#include "mech/random.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* ---- the request ------------------------------------------------------------------------- */

static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int span_is(mcp_span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.p && s.n == n && !strncasecmp(s.p, lit, n);
}

/* Does the comma-separated header value `s` hold `what` (case-insensitive)? */
static int span_has(mcp_span s, const char *what)
{
	size_t n = strlen(what), i;
	for (i = 0; s.p && i + n <= s.n; i++)
		if (!strncasecmp(s.p + i, what, n))
			return 1;
	return 0;
}

long mcp_http_parse(const char *buf, size_t len, mcp_http_req *r)
{
	const char *p = buf, *end, *eol, *sp;
	size_t head_len, body_len = 0, nheaders = 0;
	int has_length = 0, minor;

	memset(r, 0, sizeof(*r));
	/* the head ends at the first empty line */
	end = memmem(buf, len < MCP_HTTP_MAX_HEAD + 4 ? len : MCP_HTTP_MAX_HEAD + 4, "\r\n\r\n", 4);
	if (!end)
		return len > MCP_HTTP_MAX_HEAD ? -431 : 0;
	head_len = (size_t)(end - buf) + 4;
	if (head_len > MCP_HTTP_MAX_HEAD)
		return -431;

	/* request line: METHOD SP TARGET SP HTTP/1.x */
	eol = memchr(p, '\r', (size_t)(end + 2 - p));
	sp = memchr(p, ' ', (size_t)(eol - p));
	if (!sp || sp == p)
		return -400;
	r->method.p = p;
	r->method.n = (size_t)(sp - p);
	for (; p < sp; p++)
		if (!is_tchar((unsigned char)*p))
			return -400;
	p = sp + 1;
	sp = memchr(p, ' ', (size_t)(eol - p));
	if (!sp || sp == p || *p != '/')
		return -400;
	r->path.p = p;
	for (; p < sp; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return -400;
		if (*p == '?' && !r->path.n)
			r->path.n = (size_t)(p - r->path.p);
	}
	if (!r->path.n)
		r->path.n = (size_t)(sp - r->path.p);
	p = sp + 1;
	if (eol - p != 8 || memcmp(p, "HTTP/1.", 7))
		return eol - p >= 5 && !memcmp(p, "HTTP/", 5) ? -505 : -400;
	if (p[7] != '0' && p[7] != '1')
		return -505;
	minor = p[7] - '0';
	r->keep_alive = minor == 1;
	if (eol[1] != '\n')
		return -400;
	p = eol + 2;

	/* headers: NAME ":" OWS VALUE OWS CRLF; no folding */
	while (p < end + 2) {
		const char *colon, *v, *ve;
		mcp_span *slot = NULL, val;
		eol = memchr(p, '\r', (size_t)(end + 2 - p));
		if (!eol || eol[1] != '\n')
			return -400;
		if (++nheaders > MCP_HTTP_MAX_HEADERS)
			return -431;
		colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon || colon == p)
			return -400;
		for (v = p; v < colon; v++)
			if (!is_tchar((unsigned char)*v))
				return -400;
		for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
			;
		for (sp = v; sp < ve; sp++)
			if (((unsigned char)*sp < ' ' && *sp != '\t') || *sp == 0x7f)
				return -400;
		val.p = v;
		val.n = (size_t)(ve - v);
#define NAME_IS(lit) ((size_t)(colon - p) == strlen(lit) && !strncasecmp(p, lit, strlen(lit)))
		if (NAME_IS("Content-Length")) {
			size_t n = 0, i;
			if (!val.n || val.n > 10)
				return val.n > 10 ? -413 : -400;
			for (i = 0; i < val.n; i++) {
				if (val.p[i] < '0' || val.p[i] > '9')
					return -400;
				n = n * 10 + (size_t)(val.p[i] - '0');
			}
			if (has_length && n != body_len)
				return -400;
			if (n > MCP_MAX_MESSAGE)
				return -413;
			body_len = n;
			has_length = 1;
		} else if (NAME_IS("Transfer-Encoding")) {
			return -501;
		} else if (NAME_IS("Connection")) {
			if (span_has(val, "close"))
				r->keep_alive = 0;
			else if (span_has(val, "keep-alive"))
				r->keep_alive = 1;
		} else if (NAME_IS("Host")) {
			slot = &r->host;
		} else if (NAME_IS("Origin")) {
			slot = &r->origin;
		} else if (NAME_IS("Mcp-Session-Id")) {
			slot = &r->session;
		} else if (NAME_IS("MCP-Protocol-Version")) {
			slot = &r->protocol;
		} else if (NAME_IS("Accept")) {
			slot = &r->accept;
		} else if (NAME_IS("Authorization")) {
			slot = &r->auth;
		} else if (NAME_IS("Content-Type")) {
			slot = &r->content_type;
		}
#undef NAME_IS
		if (slot) {
			if (slot->p) /* these say one thing once */
				return -400;
			*slot = val;
		}
		p = eol + 2;
	}
	if (!r->host.p && minor == 1) /* RFC 9112: HTTP/1.1 without Host is a 400 */
		return -400;
	if (len - head_len < body_len)
		return 0;
	r->body = buf + head_len;
	r->body_len = body_len;
	return (long)(head_len + body_len);
}

/* ---- the response ------------------------------------------------------------------------ */

/* The reason phrase (RFC 9110's), from the one table core's HTTP client uses. */
static const char *reason(int status)
{
	const char *r = mech_http_status_text(status);
	return *r ? r : "Error";
}

/* One response: status, optional extra header lines (each ending in CRLF), a body. */
static void respond(mech_buf *out, int status, const char *type, const char *extra,
		    const char *body, size_t len, int close)
{
	mech_buf_printf(out, "HTTP/1.1 %d %s\r\n", status, reason(status));
	if (type)
		mech_buf_printf(out, "Content-Type: %s\r\n", type);
	mech_buf_printf(out, "Content-Length: %zu\r\nCache-Control: no-store\r\n%s%s\r\n", len,
			extra ? extra : "", close ? "Connection: close\r\n" : "");
	if (len)
		mech_buf_put(out, body, len);
}

/* An HTTP error whose body is a JSON-RPC error (id null), as MCP clients read it. */
static void refuse(mech_buf *out, int status, int code, const char *message, const char *extra,
		   int close)
{
	mech_buf body = MECH_BUF_INIT;
	mcp_error(&body, NULL, code, message);
	respond(out, status, "application/json", extra, body.ptr, body.len, close);
	mech_buf_dispose(&body);
}

void mcp_http_refuse(int status, mech_buf *out)
{
	char msg[160];
	switch (status) {
	case 413:
		snprintf(msg, sizeof(msg), "message too large: at most %d bytes", MCP_MAX_MESSAGE);
		break;
	case 431:
		snprintf(msg, sizeof(msg), "request head too large: at most %d bytes, %d headers",
			 MCP_HTTP_MAX_HEAD, MCP_HTTP_MAX_HEADERS);
		break;
	case 501:
		snprintf(msg, sizeof(msg),
			 "Transfer-Encoding is not supported: send Content-Length");
		break;
	case 505:
		snprintf(msg, sizeof(msg), "HTTP/1.1 only");
		break;
	default:
		snprintf(msg, sizeof(msg), "malformed HTTP request");
		break;
	}
	refuse(out, status, MCP_INVALID_REQUEST, msg, NULL, 1);
}

/* localhost, 127.0.0.1 or [::1], with an optional :PORT: what Host and Origin may name. */
static int loopback_authority(const char *p, size_t n)
{
	static const char *const hosts[] = {"localhost", "127.0.0.1", "[::1]"};
	size_t i, k;
	for (i = 0; i < sizeof(hosts) / sizeof(*hosts); i++) {
		size_t h = strlen(hosts[i]);
		if (n < h || strncasecmp(p, hosts[i], h))
			continue;
		if (n == h)
			return 1;
		if (p[h] != ':' || n == h + 1 || n > h + 6)
			continue;
		for (k = h + 1; k < n && p[k] >= '0' && p[k] <= '9'; k++)
			;
		if (k == n)
			return 1;
	}
	return 0;
}

static int origin_ok(mcp_span o)
{
	if (!o.p)
		return 1; /* not from a browser */
	if (o.n > 7 && !strncasecmp(o.p, "http://", 7))
		return loopback_authority(o.p + 7, o.n - 7);
	if (o.n > 8 && !strncasecmp(o.p, "https://", 8))
		return loopback_authority(o.p + 8, o.n - 8);
	return 0; /* "null", another scheme */
}

/* Constant-time: the comparison must not tell how much of a guess was right. */
static int same_secret(const char *a, size_t na, const char *b)
{
	size_t nb = strlen(b), i;
	unsigned char diff = (unsigned char)(na != nb);
	for (i = 0; i < na; i++)
		diff |= (unsigned char)(a[i] ^ b[i % (nb ? nb : 1)]);
	return diff == 0;
}

static int authorized(const mcp_http *h, mcp_span auth)
{
	size_t i = 7;
	if (!h->token)
		return 1;
	if (!auth.p || auth.n < 7 || strncasecmp(auth.p, "Bearer ", 7))
		return 0;
	while (i < auth.n && auth.p[i] == ' ')
		i++;
	return same_secret(auth.p + i, auth.n - i, h->token);
}

void mcp_http_init(mcp_http *h, const mcp_ops *ops, const char *token)
{
	size_t i;
	memset(h, 0, sizeof(*h));
	h->ops = *ops;
	h->token = token;
	h->lfd = h->busy = -1;
	for (i = 0; i < MCP_HTTP_MAX_CONNS; i++)
		h->conns[i].fd = -1;
}

static void session_end(mcp_http *h, size_t i)
{
	mcp_session_dispose(&h->sessions[i]->s);
	free(h->sessions[i]);
	h->sessions[i] = NULL;
}

void mcp_http_dispose(mcp_http *h)
{
	size_t i;
	for (i = 0; i < MCP_HTTP_MAX_SESSIONS; i++)
		if (h->sessions[i])
			session_end(h, i);
}

static long session_find(const mcp_http *h, mcp_span id)
{
	size_t i;
	for (i = 0; i < MCP_HTTP_MAX_SESSIONS; i++)
		if (h->sessions[i] && id.n == strlen(h->sessions[i]->id) &&
		    !memcmp(id.p, h->sessions[i]->id, id.n))
			return (long)i;
	return -1;
}

/* A new session in a free slot, or in the least recently used one's. NULL: no randomness. */
static mcp_http_session *session_new(mcp_http *h)
{
	unsigned char raw[16];
	size_t i, slot = 0;
	mcp_http_session *s;
	if (mech_random_bytes(raw, sizeof(raw)) < 0)
		return NULL;
	for (i = 0; i < MCP_HTTP_MAX_SESSIONS; i++) {
		if (!h->sessions[i]) {
			slot = i;
			break;
		}
		if (h->sessions[i]->used < h->sessions[slot]->used)
			slot = i;
	}
	if (h->sessions[slot])
		session_end(h, slot);
	s = h->sessions[slot] = mech_calloc(1, sizeof(*s));
	for (i = 0; i < sizeof(raw); i++)
		snprintf(s->id + 2 * i, 3, "%02x", raw[i]);
	mcp_session_init(&s->s, &h->ops);
	s->used = ++h->tick;
	return s;
}

/* A tools/call answered as an event stream: its progress, then its answer, as events. */
static void answer_streamed(mcp_http *h, mcp_session *s, const mcp_http_req *r, int fd,
			    mech_buf *out)
{
	mech_buf line = MECH_BUF_INIT;
	mech_buf_printf(out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
			     "Cache-Control: no-store\r\nConnection: close\r\n\r\n");
	(void)mech_write_all(fd, out->ptr, out->len);
	mech_buf_clear(out);
	h->stream(h->stream_ud, fd);
	mcp_handle(s, r->body, r->body_len, &line);
	h->stream(h->stream_ud, -1);
	if (line.len) /* one line of JSON: one data line */
		mech_buf_printf(out, "event: message\ndata: %.*s\n\n", (int)(line.len - 1),
				line.ptr);
	mech_buf_dispose(&line);
}

void mcp_http_answer(mcp_http *h, const mcp_http_req *r, int fd, mech_buf *out, int *close)
{
	mech_buf line = MECH_BUF_INIT;
	mcp_session *s;
	long i;
	int init = 0, progress = 0, request;
	char extra[96] = "";

	*close = !r->keep_alive;
	if (!r->host.p || !loopback_authority(r->host.p, r->host.n) || !origin_ok(r->origin)) {
		refuse(out, 403, MCP_INVALID_REQUEST,
		       "forbidden: Host and Origin must name a loopback host (localhost, 127.0.0.1, "
		       "[::1]): DNS rebinding protection",
		       NULL, *close);
		return;
	}
	if (!authorized(h, r->auth)) {
		refuse(out, 401, MCP_INVALID_REQUEST,
		       "unauthorized: send Authorization: Bearer and the token of mech mcp "
		       "--token-file",
		       "WWW-Authenticate: Bearer\r\n", *close);
		return;
	}
	if (!span_is(r->path, MCP_HTTP_PATH)) {
		refuse(out, 404, MCP_INVALID_REQUEST, "not found: the MCP endpoint is /mcp", NULL,
		       *close);
		return;
	}
	if (span_is(r->method, "GET")) {
		/* no server-initiated messages: nothing to stream */
		refuse(out, 405, MCP_INVALID_REQUEST,
		       "method not allowed: this server sends nothing unasked; POST messages",
		       "Allow: POST, DELETE\r\n", *close);
		return;
	}
	if (!span_is(r->method, "POST") && !span_is(r->method, "DELETE")) {
		refuse(out, 405, MCP_INVALID_REQUEST, "method not allowed: POST or DELETE",
		       "Allow: POST, DELETE\r\n", *close);
		return;
	}
	if (r->protocol.p && !mcp_version_served(r->protocol.p, r->protocol.n)) {
		refuse(out, 400, MCP_INVALID_REQUEST,
		       "unsupported MCP-Protocol-Version: " MCP_PROTOCOL_LATEST
		       " or " MCP_PROTOCOL_PREVIOUS,
		       NULL, *close);
		return;
	}
	i = r->session.p ? session_find(h, r->session) : -1;
	if (r->session.p && i < 0) {
		refuse(out, 404, -32001, "session not found: initialize again", NULL, *close);
		return;
	}
	if (span_is(r->method, "DELETE")) {
		if (i < 0)
			refuse(out, 400, MCP_INVALID_REQUEST,
			       "bad request: DELETE needs the Mcp-Session-Id header", NULL, *close);
		else {
			session_end(h, (size_t)i);
			respond(out, 200, NULL, NULL, NULL, 0, *close);
		}
		return;
	}
	if (!r->content_type.p || !span_has(r->content_type, "application/json")) {
		refuse(out, 415, MCP_INVALID_REQUEST,
		       "unsupported media type: POST application/json", NULL, *close);
		return;
	}
	if (r->accept.p && !span_has(r->accept, "application/json") &&
	    !span_has(r->accept, "text/event-stream") && !span_has(r->accept, "*/*")) {
		refuse(out, 406, MCP_INVALID_REQUEST,
		       "not acceptable: accept application/json and text/event-stream", NULL,
		       *close);
		return;
	}
	request = mcp_peek(r->body, r->body_len, &init, &progress);
	if (i < 0) {
		mcp_http_session *n;
		mcp_session scratch;
		if (!init) {
			/* what is wrong with the message itself first, else: no session */
			mcp_session_init(&scratch, &h->ops);
			if (!request)
				mcp_handle(&scratch, r->body, r->body_len, &line);
			mcp_session_dispose(&scratch);
			if (line.len)
				respond(out, 400, "application/json", NULL, line.ptr, line.len,
					*close);
			else
				refuse(out, 400, MCP_INVALID_REQUEST,
				       "bad request: no Mcp-Session-Id header: send initialize first",
				       NULL, *close);
			mech_buf_dispose(&line);
			return;
		}
		if (!(n = session_new(h))) {
			refuse(out, 503, MCP_INVALID_REQUEST, "no randomness for a session id",
			       NULL, *close);
			return;
		}
		mcp_handle(&n->s, r->body, r->body_len, &line);
		if (n->s.state == MCP_STATE_NEW) { /* initialize refused: no session */
			session_end(h, (size_t)session_find(h, (mcp_span){n->id, strlen(n->id)}));
			respond(out, 400, "application/json", NULL, line.ptr, line.len, *close);
		} else {
			snprintf(extra, sizeof(extra), "Mcp-Session-Id: %s\r\n", n->id);
			respond(out, 200, "application/json", extra, line.ptr, line.len, *close);
		}
		mech_buf_dispose(&line);
		return;
	}
	s = &h->sessions[i]->s;
	h->sessions[i]->used = ++h->tick;
	h->current = h->sessions[i];
	if (progress && h->stream && fd >= 0 && r->accept.p &&
	    span_has(r->accept, "text/event-stream")) {
		answer_streamed(h, s, r, fd, out);
		*close = 1;
	} else {
		mcp_handle(s, r->body, r->body_len, &line);
		if (request && !line.len) /* a call the client cancelled: no answer */
			*close = 1;
		else
			respond(out, line.len ? 200 : 202, /* 202: a notification or a response */
				line.len ? "application/json" : NULL, NULL, line.ptr, line.len,
				*close);
	}
	h->current = NULL;
	mech_buf_dispose(&line);
}

/* ---- the sockets ------------------------------------------------------------------------- */

int mcp_http_listen(const char *addr, char **url)
{
	const char *colon = strrchr(addr, ':');
	struct sockaddr_storage ss;
	socklen_t sl;
	char *end = NULL, host[64];
	long port;
	int fd = -1, one = 1, v6;

	if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof(host))
		goto bad;
	port = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || port < 0 || port > 65535)
		goto bad;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	memset(&ss, 0, sizeof(ss));
	if (!strcmp(host, "127.0.0.1") || !strcmp(host, "localhost")) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof(*in);
		v6 = 0;
	} else if (!strcmp(host, "[::1]")) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		in6->sin6_addr = in6addr_loopback;
		sl = sizeof(*in6);
		v6 = 1;
	} else {
		mech_error_set(MECH_EUSAGE,
			       "refusing to listen on %s: mech mcp --http serves loopback only "
			       "(127.0.0.1:PORT, localhost:PORT or [::1]:PORT)",
			       addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 16) < 0)
		goto fail;
	sl = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		goto fail;
	port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
			: ((struct sockaddr_in *)&ss)->sin_port);
	*url = mech_sprintf("http://%s:%ld%s", v6 ? "[::1]" : "127.0.0.1", port, MCP_HTTP_PATH);
	return fd;
fail:
	mech_error_set(MECH_EFAILED, "mcp --http: cannot listen on %s: %s", addr, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
bad:
	mech_error_set(MECH_EUSAGE, "--http '%s' is not HOST:PORT (e.g. 127.0.0.1:0)", addr);
	return -1;
}

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static void conn_close(mcp_http_conn *c)
{
	close(c->fd);
	c->fd = -1;
	mech_buf_dispose(&c->in);
}

/* A new connection in a free slot, or in the least recently active one's (never the busy one). */
static void conn_accept(mcp_http *h)
{
	int fd = accept4(h->lfd, NULL, NULL, SOCK_CLOEXEC);
	struct timeval tv = {30, 0}; /* a client that stops reading */
	size_t i, slot = MCP_HTTP_MAX_CONNS;
	if (fd < 0)
		return;
	for (i = 0; i < MCP_HTTP_MAX_CONNS; i++) {
		if ((int)i == h->busy)
			continue;
		if (h->conns[i].fd < 0) {
			slot = i;
			break;
		}
		if (slot == MCP_HTTP_MAX_CONNS || h->conns[i].active < h->conns[slot].active)
			slot = i;
	}
	if (h->conns[slot].fd >= 0)
		conn_close(&h->conns[slot]);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	h->conns[slot].fd = fd;
	h->conns[slot].active = ++h->conn_tick;
}

/* Read what `c` has; -1 when it ended (closed). */
static int conn_read(mcp_http *h, mcp_http_conn *c)
{
	char buf[65536];
	ssize_t got;
	do
		got = read(c->fd, buf, sizeof(buf));
	while (got < 0 && errno == EINTR);
	if (got <= 0) {
		conn_close(c);
		return -1;
	}
	c->active = ++h->conn_tick;
	mech_buf_put(&c->in, buf, (size_t)got);
	return 0;
}

/* Answer every whole request connection `k` holds. */
static void conn_serve(mcp_http *h, size_t k)
{
	mcp_http_conn *c = &h->conns[k];
	mech_buf out = MECH_BUF_INIT;
	mcp_http_req r;
	long n;
	int close_after = 0;
	while (c->fd >= 0 && (n = mcp_http_parse(c->in.ptr ? c->in.ptr : "", c->in.len, &r)) != 0) {
		if (n < 0) {
			mcp_http_refuse((int)-n, &out);
			close_after = 1;
		} else {
			h->busy = (int)k;
			mcp_http_answer(h, &r, c->fd, &out, &close_after);
			h->busy = -1;
		}
		if (out.len && mech_write_all(c->fd, out.ptr, out.len) < 0)
			close_after = 1;
		mech_buf_clear(&out);
		if (close_after) {
			conn_close(c);
			break;
		}
		memmove(c->in.ptr, c->in.ptr + n, c->in.len - (size_t)n);
		c->in.len -= (size_t)n;
	}
	mech_buf_dispose(&out);
}

int mcp_http_watch(mcp_http *h, struct pollfd *fds, int max)
{
	int n = 0;
	size_t i;
	if (h->lfd < 0 || max < 1)
		return 0;
	fds[n].fd = h->lfd;
	fds[n].events = POLLIN;
	fds[n++].revents = 0;
	for (i = 0; i < MCP_HTTP_MAX_CONNS && n < max; i++) {
		if (h->conns[i].fd < 0 || (int)i == h->busy)
			continue;
		fds[n].fd = h->conns[i].fd;
		fds[n].events = POLLIN;
		fds[n++].revents = 0;
	}
	return n;
}

/* Is `r` a cancel of request `id` in the running call's session, from whom may send one? */
static int cancel_of(const mcp_http *h, const mcp_http_req *r, const cJSON *id)
{
	return h->current && r->host.p && loopback_authority(r->host.p, r->host.n) &&
	       origin_ok(r->origin) && authorized(h, r->auth) && span_is(r->path, MCP_HTTP_PATH) &&
	       span_is(r->method, "POST") && r->session.n == strlen(h->current->id) &&
	       !memcmp(r->session.p, h->current->id, r->session.n) &&
	       mcp_cancels(r->body, r->body_len, id);
}

int mcp_http_watch_ready(mcp_http *h, const struct pollfd *fds, int n, const cJSON *id)
{
	static const char accepted[] =
		"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nCache-Control: no-store\r\n\r\n";
	size_t i;
	int k, hit = 0;
	for (k = 0; k < n; k++) {
		if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (fds[k].fd == h->lfd) {
			conn_accept(h);
			continue;
		}
		for (i = 0; i < MCP_HTTP_MAX_CONNS; i++)
			if (h->conns[i].fd == fds[k].fd && (int)i != h->busy)
				(void)conn_read(h, &h->conns[i]);
	}
	/* the first request of each other connection: a cancel is answered now, the rest later */
	for (i = 0; i < MCP_HTTP_MAX_CONNS; i++) {
		mcp_http_conn *c = &h->conns[i];
		mcp_http_req r;
		long len;
		if (c->fd < 0 || (int)i == h->busy || !c->in.len)
			continue;
		len = mcp_http_parse(c->in.ptr, c->in.len, &r);
		if (len <= 0 || !cancel_of(h, &r, id))
			continue;
		if (mech_write_all(c->fd, accepted, sizeof(accepted) - 1) < 0 || !r.keep_alive) {
			conn_close(c);
		} else {
			memmove(c->in.ptr, c->in.ptr + len, c->in.len - (size_t)len);
			c->in.len -= (size_t)len;
		}
		hit = 1;
	}
	return hit;
}

int mcp_http_serve(mcp_http *h, int lfd)
{
	struct pollfd fds[MCP_HTTP_MAX_CONNS + 1];
	struct sigaction stop, old_int, old_term, ign, old_pipe;
	size_t i;
	int rc = 0;

	h->lfd = lfd;
	memset(&stop, 0, sizeof(stop));
	stop.sa_handler = on_stop; /* no SA_RESTART: poll returns */
	sigaction(SIGINT, &stop, &old_int);
	sigaction(SIGTERM, &stop, &old_term);
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old_pipe);
	stopping = 0;
	while (!stopping) {
		fds[0].fd = lfd;
		fds[0].events = POLLIN;
		fds[0].revents = 0;
		for (i = 0; i < MCP_HTTP_MAX_CONNS; i++) {
			fds[i + 1].fd = h->conns[i].fd;
			fds[i + 1].events = POLLIN;
			fds[i + 1].revents = 0;
		}
		if (poll(fds, MCP_HTTP_MAX_CONNS + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = mech_error_set(MECH_EFAILED, "mcp --http: poll: %s", strerror(errno));
			break;
		}
		if (fds[0].revents & POLLIN)
			conn_accept(h);
		for (i = 0; i < MCP_HTTP_MAX_CONNS; i++) {
			mcp_http_conn *c = &h->conns[i];
			if (c->fd >= 0 && fds[i + 1].fd == c->fd &&
			    (fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
				(void)conn_read(h, c);
		}
		/* every whole request, also those read while a call ran */
		for (i = 0; i < MCP_HTTP_MAX_CONNS; i++)
			if (h->conns[i].fd >= 0 && h->conns[i].in.len)
				conn_serve(h, i);
	}
	for (i = 0; i < MCP_HTTP_MAX_CONNS; i++)
		if (h->conns[i].fd >= 0)
			conn_close(&h->conns[i]);
	h->lfd = -1;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	return rc;
}
