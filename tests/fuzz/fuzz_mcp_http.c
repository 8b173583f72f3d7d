/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for `mech mcp --http`'s HTTP framing (shell/mcp_http.c,
 * compiled in with shell/mcp_rpc.c): the input is the byte stream of one
 * connection, parsed request by request (mcp_http_parse) and answered
 * (mcp_http_answer) by one server whose tools are fuzz_mcp.c's stubs, as
 * the poll loop does. A session id is random, so the 32 zeros
 * "00000000000000000000000000000000" in the rest of the input stand for the
 * last session id answered (same length: nothing moves). Besides "no crash,
 * no leak": a request complete at n bytes is incomplete at n - 1 (the
 * parser reads no further than it says); every response is one HTTP/1.1
 * status line, headers and a body of exactly its Content-Length (an event
 * stream is never chosen here: no connection to write to), and a body, when
 * there is one, is one JSON-RPC answer (fuzz_mcp.c's check_answers).
 * tests/unit/test_mcp_http.c replays the seed corpus through this function.
 */
#define LLVMFuzzerTestOneInput fuzz_mcp_one
#include "fuzz_mcp.c"
#undef LLVMFuzzerTestOneInput

#include "../../shell/mcp_http.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SESSION_MARK "00000000000000000000000000000000"

static void check_response(const mech_buf *out)
{
	const char *p = out->ptr, *head_end, *cl;
	size_t head, len;
	mech_buf body = MECH_BUF_INIT;
	if (!p || out->len < 12 || memcmp(p, "HTTP/1.1 ", 9))
		abort();
	head_end = memmem(p, out->len, "\r\n\r\n", 4);
	if (!head_end)
		abort();
	head = (size_t)(head_end - p) + 4;
	cl = memmem(p, head, "Content-Length: ", 16);
	if (!cl)
		abort();
	len = strtoul(cl + 16, NULL, 10);
	if (head + len != out->len)
		abort();
	if (len) {
		mech_buf_put(&body, p + head, len);
		check_answers(&body, 1);
		mech_buf_dispose(&body);
	}
}

/* The Mcp-Session-Id a response gave, into `id` (33 bytes); 0 when none. */
static int session_of(const mech_buf *out, char *id)
{
	const char *s = memmem(out->ptr, out->len, "Mcp-Session-Id: ", 16);
	if (!s)
		return 0;
	memcpy(id, s + 16, 32);
	id[32] = '\0';
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mcp_ops ops = {stub_list, stub_call, stub_resources, stub_read, NULL};
	mcp_http h;
	/* an exact-size copy: ASan sees a read past the input */
	char *buf = malloc(size ? size : 1), id[33];
	size_t at = 0;

	memcpy(buf, data, size);
	mcp_http_init(&h, &ops, size && data[0] == 'T' ? "secret-token" : NULL);
	while (at < size) {
		mech_buf out = MECH_BUF_INIT;
		mcp_http_req r;
		long n = mcp_http_parse(buf + at, size - at, &r);
		int close = 0;
		if (n == 0)
			break;
		if (n > 0) {
			mcp_http_req cut;
			if (mcp_http_parse(buf + at, (size_t)n - 1, &cut) != 0)
				abort();
			if ((size_t)n > size - at || r.body_len > MCP_MAX_MESSAGE)
				abort();
			mcp_http_answer(&h, &r, -1, &out, &close);
		} else {
			if (n != -400 && n != -413 && n != -431 && n != -501 && n != -505)
				abort();
			mcp_http_refuse((int)-n, &out);
			close = 1;
		}
		check_response(&out);
		if (session_of(&out, id)) {
			char *m = buf + at + (n > 0 ? (size_t)n : 0);
			while ((m = memmem(m, size - (size_t)(m - buf), SESSION_MARK, 32))) {
				memcpy(m, id, 32);
				m += 32;
			}
		}
		mech_buf_dispose(&out);
		if (close || n < 0)
			break;
		at += (size_t)n;
	}
	mcp_http_dispose(&h);
	free(buf);
	mech_error_clear();
	return 0;
}
