/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for `mech mcp`'s JSON-RPC framing (shell/mcp_rpc.c,
 * compiled in: the shell is not part of the core). The input is a stream
 * of messages, one a line, fed to one session whose tools are stubs (150 of
 * them, so tools/list has three pages; t0..t149 answer, "cancelled" acts as a
 * call the client cancelled, any other name is unknown). Besides "no crash, no leak": every answer is one line of valid
 * UTF-8 that parses as a JSON-RPC 2.0 object with an id and exactly one of
 * result and error, and no message gets more than one answer.
 * tests/unit/test_mcp_rpc.c replays the seed corpus through this function.
 */
#include "../../shell/mcp_rpc.c"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static cJSON *stub_list(void *ud)
{
	cJSON *arr = cJSON_CreateArray();
	int i;
	(void)ud;
	for (i = 0; i < 150; i++) {
		char name[16];
		cJSON *t = cJSON_CreateObject();
		snprintf(name, sizeof(name), "t%d", i);
		cJSON_AddStringToObject(t, "name", name);
		cJSON_AddObjectToObject(cJSON_AddObjectToObject(t, "inputSchema"), "properties");
		cJSON_AddItemToArray(arr, t);
	}
	return arr;
}

static cJSON *stub_call(void *ud, const cJSON *id, const char *name, const cJSON *arguments,
			const cJSON *token, int *unknown)
{
	cJSON *r;
	(void)ud;
	(void)id;
	(void)token;
	if (!strcmp(name, "cancelled"))
		return NULL; /* as a call the client cancelled: no answer */
	if (name[0] != 't' || atoi(name + 1) >= 150 || !cJSON_IsObject(arguments)) {
		*unknown = 1;
		return NULL;
	}
	r = cJSON_CreateObject();
	cJSON_AddItemToObject(r, "structuredContent", cJSON_Duplicate(arguments, 1));
	cJSON_AddBoolToObject(r, "isError", 0);
	return r;
}

static cJSON *stub_resources(void *ud)
{
	cJSON *r = cJSON_CreateObject();
	(void)ud;
	cJSON_AddArrayToObject(r, "resources");
	return r;
}

static cJSON *stub_read(void *ud, const char *uri, int *code, char **message)
{
	cJSON *r;
	(void)ud;
	if (strcmp(uri, "mech://t/receipt/1")) {
		*code = MCP_RESOURCE_NOT_FOUND;
		*message = mech_strdup("no such resource");
		return NULL;
	}
	r = cJSON_CreateObject();
	cJSON_AddArrayToObject(r, "contents");
	return r;
}

/* Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF). */
static int utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t k, len = c < 0x80         ? 1
				: (c >> 5) == 6  ? 2
				: (c >> 4) == 14 ? 3
				: (c >> 3) == 30 ? 4
						 : 0;
		unsigned cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
		if (!len || i + len > n)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

static void check_answers(const mech_buf *out, size_t messages)
{
	const char *p = out->ptr ? out->ptr : "", *end = p + out->len;
	size_t answers = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		cJSON *o;
		if (!nl || !utf8_ok((const unsigned char *)p, (size_t)(nl - p)))
			abort();
		o = cJSON_ParseWithLength(p, (size_t)(nl - p));
		if (!cJSON_IsObject(o) || !cJSON_GetObjectItemCaseSensitive(o, "id") ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "jsonrpc")) ||
		    !cJSON_GetObjectItemCaseSensitive(o, "result") ==
			    !cJSON_GetObjectItemCaseSensitive(o, "error"))
			abort();
		cJSON_Delete(o);
		answers++;
		p = nl + 1;
	}
	if (answers > messages)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mcp_ops ops = {stub_list, stub_call, stub_resources, stub_read, NULL};
	mcp_session s;
	mech_buf out = MECH_BUF_INIT;
	const char *p = (const char *)data, *end = p + size;
	size_t messages = 0;

	mcp_session_init(&s, &ops);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		/* an exact-size copy: ASan sees a read past the message */
		char *line = malloc(len ? len : 1);
		memcpy(line, p, len);
		mcp_handle(&s, line, len, &out);
		free(line);
		messages++;
		p += len + (nl != NULL);
	}
	check_answers(&out, messages);
	mech_buf_dispose(&out);
	mcp_session_dispose(&s);
	mech_error_clear();
	return 0;
}
