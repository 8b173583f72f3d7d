/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `mech mcp`'s protocol layer (shell/mcp_rpc.c) without the command table:
 * the fuzz harness (tests/fuzz/fuzz_mcp.c, which compiles mcp_rpc.c in) is
 * built into this test, its stub tools serve the sessions here, and its
 * seed corpus is replayed through it. tests/cli/mcp.sh covers the same
 * rules through the real binary.
 */
#include <criterion/criterion.h>

#include "../fuzz/fuzz_mcp.c"
#include "corpus.h"

/* Feed lines to a fresh session; the answers, parsed, in an array. */
static cJSON *session(const char *const *lines, size_t n)
{
	mcp_ops ops = {stub_list, stub_call, stub_resources, stub_read, NULL};
	mcp_session s;
	mech_buf out = MECH_BUF_INIT;
	cJSON *arr = cJSON_CreateArray();
	const char *p;
	size_t i;
	mcp_session_init(&s, &ops);
	for (i = 0; i < n; i++)
		mcp_handle(&s, lines[i], strlen(lines[i]), &out);
	for (p = out.ptr; p && *p;) {
		const char *nl = strchr(p, '\n');
		cr_assert_not_null(nl, "an answer without its newline");
		cJSON_AddItemToArray(arr, cJSON_ParseWithLength(p, (size_t)(nl - p)));
		p = nl + 1;
	}
	mech_buf_dispose(&out);
	mcp_session_dispose(&s);
	return arr;
}

static int error_code(const cJSON *answer)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(answer, "error");
	return e ? cJSON_GetObjectItemCaseSensitive(e, "code")->valueint : 0;
}

#define INIT                                                                                       \
	"{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":" \
	"\"2025-06-18\"}}"

Test(mcp_rpc, tools_list_pages_through_every_tool)
{
	const char *lines[] = {INIT, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}",
			       "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":"
			       "{\"cursor\":\"t64\"}}",
			       "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\",\"params\":"
			       "{\"cursor\":\"t128\"}}"};
	cJSON *a = session(lines, 4);
	const cJSON *r1 = cJSON_GetObjectItem(cJSON_GetArrayItem(a, 1), "result");
	const cJSON *r3 = cJSON_GetObjectItem(cJSON_GetArrayItem(a, 3), "result");
	cr_assert_eq(cJSON_GetArraySize(a), 4);
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r1, "tools")), MCP_PAGE_SIZE);
	cr_assert_str_eq(cJSON_GetObjectItem(r1, "nextCursor")->valuestring, "t64");
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r3, "tools")), 150 - 128);
	cr_assert_null(cJSON_GetObjectItem(r3, "nextCursor"), "the last page has no cursor");
	cJSON_Delete(a);
}

Test(mcp_rpc, cursors_not_given_out_are_invalid_params)
{
	const char *bad[] = {"t0", "t-5", "t+5", "t", "t999", "x20", "t20x"};
	size_t i;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char req[128];
		const char *lines[2] = {INIT, req};
		cJSON *a;
		snprintf(req, sizeof(req),
			 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{"
			 "\"cursor\":\"%s\"}}",
			 bad[i]);
		a = session(lines, 2);
		cr_assert_eq(error_code(cJSON_GetArrayItem(a, 1)), MCP_INVALID_PARAMS, "cursor %s",
			     bad[i]);
		cJSON_Delete(a);
	}
}

Test(mcp_rpc, an_oversized_message_is_refused_before_parsing)
{
	mcp_ops ops = {stub_list, stub_call, stub_resources, stub_read, NULL};
	mcp_session s;
	mech_buf out = MECH_BUF_INIT;
	char *big = malloc(MCP_MAX_MESSAGE + 1);
	memset(big, ' ', MCP_MAX_MESSAGE + 1);
	big[0] = '{';
	big[MCP_MAX_MESSAGE] = '}';
	mcp_session_init(&s, &ops);
	mcp_handle(&s, big, MCP_MAX_MESSAGE + 1, &out);
	cr_assert(strstr(out.ptr, "\"code\":-32600") && strstr(out.ptr, "too large"), "%s", out.ptr);
	free(big);
	mech_buf_dispose(&out);
	mcp_session_dispose(&s);
}

Test(mcp_rpc, answers_are_valid_utf8_whatever_the_request_held)
{
	const char *lines[] = {INIT,
			       "{\"jsonrpc\":\"2.0\",\"id\":\"\xff\",\"method\":\"\xc0\x80\"}"};
	cJSON *a = session(lines, 2);
	cr_assert_eq(cJSON_GetArraySize(a), 2);
	cr_assert_eq(error_code(cJSON_GetArrayItem(a, 1)), MCP_METHOD_NOT_FOUND);
	cJSON_Delete(a);
}

Test(mcp_rpc, resources_read_answers_or_says_not_found)
{
	const char *lines[] =
		{INIT,
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{\"uri\":"
		 "\"mech://t/receipt/1\"}}",
		 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/read\",\"params\":{\"uri\":"
		 "\"mech://t/receipt/2\"}}",
		 "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"resources/read\",\"params\":{}}",
		 "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"resources/templates/list\"}"};
	cJSON *a = session(lines, 5);
	cr_assert_not_null(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 1), "result"));
	cr_assert_eq(error_code(cJSON_GetArrayItem(a, 2)), MCP_RESOURCE_NOT_FOUND);
	cr_assert_eq(error_code(cJSON_GetArrayItem(a, 3)), MCP_INVALID_PARAMS);
	cr_assert_eq(cJSON_GetArraySize(
			     cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 4),
								     "result"),
						 "resourceTemplates")),
		     2);
	cJSON_Delete(a);
}

/* The fuzz seed corpus, replayed through the harness (tests/fuzz/fuzz_mcp.c). */
Test(mcp_rpc, fuzz_corpus_replays)
{
	int files = test_replay_corpus("mcp", LLVMFuzzerTestOneInput);
	cr_assert_geq(files, 5, "the corpus has only %d files", files);
}
