/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `mech mcp --http`'s HTTP framing and routing (shell/mcp_http.c) without
 * sockets: the fuzz harness (tests/fuzz/fuzz_mcp_http.c, which compiles
 * mcp_http.c and mcp_rpc.c in) is built into this test, its stub tools
 * serve the requests here, and its seed corpus is replayed through it.
 * tests/cli/mcp_conformance.sh covers the same rules over real sockets.
 */
#include <criterion/criterion.h>

#include "../fuzz/fuzz_mcp_http.c"
#include "corpus.h"

static long parse(const char *s, mcp_http_req *r)
{
	return mcp_http_parse(s, strlen(s), r);
}

Test(mcp_http, parse_statuses)
{
	mcp_http_req r;
	char big[MCP_HTTP_MAX_HEAD + 64];
	const char *ok = "POST /mcp?x=1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\nmcp-session-id:  abc \r\n"
			 "Content-Length: 2\r\n\r\n{}";
	cr_assert_eq(parse(ok, &r), (long)strlen(ok));
	cr_assert_eq(r.path.n, 4, "the path without its query");
	cr_assert_eq(r.session.n, 3, "a header value without its blanks");
	cr_assert_eq(r.body_len, 2);
	cr_assert(r.keep_alive);
	cr_assert_eq(mcp_http_parse(ok, strlen(ok) - 1, &r), 0, "a body one byte short: more");
	cr_assert_eq(parse("POST /mcp HTTP/1.1\r\nHost: x\r\n", &r), 0, "a head not ended: more");
	cr_assert_eq(parse("POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n", &r),
		     -413);
	cr_assert_eq(parse("POST /mcp HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
			   &r),
		     -501);
	cr_assert_eq(parse("POST /mcp HTTP/2.0\r\nHost: x\r\n\r\n", &r), -505);
	cr_assert_eq(parse("POST /mcp HTTP/1.1\r\n\r\n", &r), -400, "HTTP/1.1 without Host");
	cr_assert_eq(parse("POST /mcp HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", &r), -400);
	cr_assert_eq(parse("POST /mcp HTTP/1.1\r\nHost: x\r\n fold\r\n\r\n", &r), -400);
	cr_assert_eq(parse("POST mcp HTTP/1.1\r\nHost: x\r\n\r\n", &r), -400);
	cr_assert_eq(parse("POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", &r), -400);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_eq(parse(big, &r), -431, "a head past the bound, unended");
}

/* One request through a server with the stub tools: the response's status. */
static int status_of(mcp_http *h, const char *req, char *session)
{
	mcp_http_req r;
	mech_buf out = MECH_BUF_INIT;
	int close = 0, status;
	long n = parse(req, &r);
	cr_assert_gt(n, 0, "%s", req);
	mcp_http_answer(h, &r, -1, &out, &close);
	check_response(&out);
	if (session)
		(void)session_of(&out, session);
	status = atoi(out.ptr + 9);
	mech_buf_dispose(&out);
	return status;
}

#define BODY_INIT                                                                                  \
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":" \
	"\"2025-11-25\"}}"
#define POST(headers, body)                                                                        \
	"POST /mcp HTTP/1.1\r\nHost: localhost:8808\r\nContent-Type: application/json\r\n" headers \
	"Content-Length: %zu\r\n\r\n%s"

Test(mcp_http, sessions_origin_and_token)
{
	mcp_ops ops = {stub_list, stub_call, stub_resources, stub_read, NULL};
	mcp_http h;
	char id[33] = "", req[1024];
	mcp_http_init(&h, &ops, NULL);
	snprintf(req, sizeof(req), POST("", ""), strlen(BODY_INIT), BODY_INIT);
	cr_assert_eq(status_of(&h, req, id), 200);
	cr_assert_eq(strlen(id), 32);
	snprintf(req, sizeof(req), POST("Mcp-Session-Id: %s\r\n", ""), id, (size_t)38,
		 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}");
	cr_assert_eq(status_of(&h, req, NULL), 200);
	snprintf(req, sizeof(req), POST("", ""), (size_t)38,
		 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}");
	cr_assert_eq(status_of(&h, req, NULL), 400, "no session");
	snprintf(req, sizeof(req), POST("Origin: http://evil.example\r\n", ""), strlen(BODY_INIT),
		 BODY_INIT);
	cr_assert_eq(status_of(&h, req, NULL), 403, "a foreign Origin");
	snprintf(req, sizeof(req), POST("Origin: http://127.0.0.1:3000\r\n", ""), strlen(BODY_INIT),
		 BODY_INIT);
	cr_assert_eq(status_of(&h, req, NULL), 200, "a loopback Origin");
	snprintf(req, sizeof(req),
		 "DELETE /mcp HTTP/1.1\r\nHost: [::1]\r\nMcp-Session-Id: %s\r\n\r\n", id);
	cr_assert_eq(status_of(&h, req, NULL), 200);
	cr_assert_eq(status_of(&h, req, NULL), 404, "a deleted session is gone");
	mcp_http_dispose(&h);

	mcp_http_init(&h, &ops, "tok");
	snprintf(req, sizeof(req), POST("Authorization: Bearer to\r\n", ""), strlen(BODY_INIT),
		 BODY_INIT);
	cr_assert_eq(status_of(&h, req, NULL), 401, "a prefix of the token");
	snprintf(req, sizeof(req), POST("Authorization: Bearer tok\r\n", ""), strlen(BODY_INIT),
		 BODY_INIT);
	cr_assert_eq(status_of(&h, req, NULL), 200);
	mcp_http_dispose(&h);
}

Test(mcp_http, sessions_beyond_the_bound_end_the_oldest)
{
	mcp_ops ops = {stub_list, stub_call, stub_resources, stub_read, NULL};
	mcp_http h;
	char first[33] = "", id[33], req[1024];
	int i;
	mcp_http_init(&h, &ops, NULL);
	snprintf(req, sizeof(req), POST("", ""), strlen(BODY_INIT), BODY_INIT);
	for (i = 0; i <= MCP_HTTP_MAX_SESSIONS; i++)
		cr_assert_eq(status_of(&h, req, i ? id : first), 200);
	snprintf(req, sizeof(req), POST("Mcp-Session-Id: %s\r\n", ""), first, (size_t)38,
		 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}");
	cr_assert_eq(status_of(&h, req, NULL), 404, "the least recently used session was ended");
	mcp_http_dispose(&h);
}

/* The fuzz seed corpus, replayed through the harness (tests/fuzz/fuzz_mcp_http.c). */
Test(mcp_http, fuzz_corpus_replays)
{
	int files = test_replay_corpus("mcp_http", LLVMFuzzerTestOneInput);
	cr_assert_geq(files, 5, "the corpus has only %d files", files);
}
