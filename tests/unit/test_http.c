/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mech_http against a scripted loopback server: each connection gets a
 * list of raw byte writes (with pauses), so the faults are exact: error
 * bodies, oversized and chunked bodies, malformed JSON, a slow server, a
 * stream cut in the middle of an event. Every case must end in its exit
 * code with a message naming the endpoint — never a crash or a hang.
 * The event splitter is also driven alone, byte by byte, and the SSE fuzz
 * seed corpus is replayed through its harness.
 */
#include <criterion/criterion.h>

#include "corpus.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mech/buf.h"
#include "mech/error.h"
#include "mech/http.h"

/* tests/fuzz/fuzz_sse.c, built into this test to replay its corpus */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- a scripted HTTP server (one thread, connections served in order) ---- */

#define MAX_STEPS 64
#define MAX_CONNS 4

typedef struct {
	const char *bytes; /* NULL ends the script */
	size_t len;        /* 0 = strlen(bytes) */
	int pause_ms;      /* before writing */
} step;

typedef struct {
	int listen_fd;
	int port;
	pthread_t thread;
	step script[MAX_CONNS][MAX_STEPS];
	int nconns;
	int hold_ms; /* keep the last connection open this long after its script */
	char request[MAX_CONNS][8192];
	int served;
} fake;

static void pause_ms(int ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void read_request(int fd, char *out, size_t max)
{
	size_t n = 0;
	while (n + 1 < max) {
		ssize_t r = recv(fd, out + n, max - 1 - n, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
		out[n] = '\0';
		if (strstr(out, "\r\n\r\n")) {
			const char *cl = strcasestr(out, "Content-Length:");
			size_t body = cl ? (size_t)atol(cl + 15) : 0;
			if (n >= (size_t)(strstr(out, "\r\n\r\n") - out) + 4 + body)
				break;
		}
	}
	out[n] = '\0';
}

static void *fake_run(void *arg)
{
	fake *f = arg;
	int c;
	for (c = 0; c < f->nconns; c++) {
		int fd = accept(f->listen_fd, NULL, NULL);
		size_t i;
		if (fd < 0)
			break;
		read_request(fd, f->request[c], sizeof(f->request[c]));
		for (i = 0; f->script[c][i].bytes; i++) {
			const step *s = &f->script[c][i];
			size_t len = s->len ? s->len : strlen(s->bytes), off = 0;
			if (s->pause_ms)
				pause_ms(s->pause_ms);
			while (off < len) {
				ssize_t w = send(fd, s->bytes + off, len - off, MSG_NOSIGNAL);
				if (w <= 0)
					break;
				off += (size_t)w;
			}
		}
		if (c == f->nconns - 1 && f->hold_ms)
			pause_ms(f->hold_ms);
		f->served++;
		close(fd);
	}
	return NULL;
}

static void fake_start(fake *f)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int one = 1;
	f->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert(f->listen_fd >= 0);
	setsockopt(f->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert(bind(f->listen_fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	cr_assert(listen(f->listen_fd, 8) == 0);
	getsockname(f->listen_fd, (struct sockaddr *)&a, &len);
	f->port = ntohs(a.sin_port);
	if (!f->nconns)
		f->nconns = 1;
	pthread_create(&f->thread, NULL, fake_run, f);
}

static void fake_stop(fake *f)
{
	/* unblock accept() if the client never came */
	shutdown(f->listen_fd, SHUT_RDWR);
	pthread_join(f->thread, NULL);
	close(f->listen_fd);
}

static fake *fake_one(const char *response)
{
	fake *f = calloc(1, sizeof(*f));
	f->script[0][0].bytes = response;
	fake_start(f);
	return f;
}

static char *token_file(const char *token)
{
	char path[] = "/tmp/mech-test-token-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert(write(fd, token, strlen(token)) == (ssize_t)strlen(token));
	close(fd);
	return mech_strdup(path);
}

static mech_http *client(const fake *f, const char *token_path, long timeout_ms, size_t max_body)
{
	mech_http_opts o = {0};
	mech_http *h;
	char *url = mech_sprintf("http://127.0.0.1:%d", f ? f->port : 1);
	o.name = "Argo CD";
	o.url = url;
	o.token_file = token_path;
	o.timeout_ms = timeout_ms;
	o.max_body = max_body;
	cr_assert(mech_http_new(&h, &o) == 0);
	free(url);
	return h;
}

static const mech_error *expect_error(mech_error_code code, int exit_code)
{
	const mech_error *e = mech_error_last();
	cr_assert_not_null(e);
	cr_expect_eq(e->code, code, "code %d (%s), message: %s", e->code, mech_error_name(e->code),
		     e->message);
	cr_expect_eq(mech_error_exit(e->code), exit_code);
	return e;
}

static void expect_names_endpoint(const mech_error *e, const fake *f, const char *path)
{
	char *endpoint = mech_sprintf("GET http://127.0.0.1:%d%s", f->port, path);
	cr_expect(strstr(e->message, endpoint) != NULL, "message names %s: %s", endpoint,
		  e->message);
	free(endpoint);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

#define JSON_HDR                                                                                   \
	"HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s"

static char *json_response(const char *status, const char *body)
{
	return mech_sprintf(JSON_HDR, status, strlen(body), body);
}

/* ---- unary calls ---- */

Test(http, get_json_sends_token_and_parses)
{
	char *resp = json_response("200 OK", "{\"items\":[1,2,3]}");
	char *tok = token_file("s3cret-token\n");
	fake *f = fake_one(resp);
	mech_http *h = client(f, tok, 2000, 0);
	cJSON *doc = NULL;

	cr_assert_eq(mech_http_get_json(h, "/api/v1/applications?projects=alice", &doc), 0);
	cr_expect_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "items")), 3);
	fake_stop(f);
	cr_expect(strstr(f->request[0], "GET /api/v1/applications?projects=alice HTTP/1.1\r\n"));
	cr_expect(strstr(f->request[0], "Authorization: Bearer s3cret-token\r\n"),
		  "token without its newline: %s", f->request[0]);
	cr_expect(strstr(f->request[0], "Accept: application/json\r\n"));
	cr_expect(strcasestr(f->request[0], "Accept-Encoding:") != NULL, "gzip offered");
	cJSON_Delete(doc);
	mech_http_free(h);
	unlink(tok);
	free(tok);
	free(resp);
	free(f);
}

Test(http, gzip_is_decoded)
{
	static const char gz[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xab\x56\x4a\xaf\xca"
				 "\x2c\x28\x48\x4d\x51\xb2\x2a\x29\x2a\x4d\xad\x05\x00\x53\x92"
				 "\x98\x8b\x10\x00\x00\x00";
	fake *f = calloc(1, sizeof(*f));
	mech_http *h;
	cJSON *doc = NULL;
	f->script[0][0].bytes = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				"Content-Encoding: gzip\r\nContent-Length: 36\r\n\r\n";
	f->script[0][1].bytes = gz;
	f->script[0][1].len = 36;
	fake_start(f);
	h = client(f, NULL, 2000, 0);
	cr_assert_eq(mech_http_get_json(h, "/x", &doc), 0, "%s", mech_error_last()->message);
	cr_expect(cJSON_IsTrue(cJSON_GetObjectItem(doc, "gzipped")));
	cJSON_Delete(doc);
	fake_stop(f);
	mech_http_free(h);
	free(f);
}

Test(http, unauthorized_maps_to_forbidden_with_server_message)
{
	char *resp = json_response("401 Unauthorized", "{\"error\":\"no session information\","
						       "\"code\":16,\"message\":\"no session "
						       "information\"}");
	char *tok = token_file("wrong-token");
	fake *f = fake_one(resp);
	mech_http *h = client(f, tok, 2000, 0);
	cJSON *doc = NULL;
	const mech_error *e;

	cr_assert_eq(mech_http_get_json(h, "/api/v1/applications", &doc), -1);
	e = expect_error(MECH_EFORBIDDEN, 77);
	expect_names_endpoint(e, f, "/api/v1/applications");
	cr_expect(strstr(e->message, "no session information"), "%s", e->message);
	cr_expect(!strstr(e->message, "wrong-token"), "the token never appears");
	cr_expect(e->hint && strstr(e->hint, tok), "hint names the token file");
	fake_stop(f);
	mech_http_free(h);
	unlink(tok);
	free(tok);
	free(resp);
	free(f);
}

Test(http, kubernetes_status_forbidden)
{
	char *resp = json_response("403 Forbidden",
				   "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
				   "\"status\":\"Failure\",\"message\":\"secrets \\\"db-app\\\" is "
				   "forbidden: User \\\"x\\\" cannot get resource\",\"reason\":"
				   "\"Forbidden\",\"code\":403}");
	fake *f = fake_one(resp);
	mech_http *h = client(f, NULL, 2000, 0);
	cJSON *doc = NULL;
	const mech_error *e;

	cr_assert_eq(mech_http_get_json(h, "/api/v1/namespaces/x/secrets/db-app", &doc), -1);
	e = expect_error(MECH_EFORBIDDEN, 77);
	cr_expect(strstr(e->message, "secrets \"db-app\" is forbidden"), "%s", e->message);
	fake_stop(f);
	mech_http_free(h);
	free(resp);
	free(f);
}

/* Argo CD's 403 that says why (a sync window) is shown as is, without the token hint. */
Test(http, forbidden_with_a_reason_is_not_about_the_token)
{
	static const char *const bodies[] = {
		"{\"error\":\"cannot sync: blocked by sync window\",\"code\":7,"
		"\"message\":\"cannot sync: blocked by sync window\"}",
		"{\"error\":\"permission denied\",\"code\":7,\"message\":\"permission denied\"}",
	};
	int i;
	for (i = 0; i < 2; i++) {
		char *resp = json_response("403 Forbidden", bodies[i]);
		fake *f = fake_one(resp);
		mech_http *h = client(f, NULL, 2000, 0);
		cJSON *doc = NULL;
		const mech_error *e;

		cr_assert_eq(mech_http_get_json(h, "/api/v1/applications/web/sync", &doc), -1);
		e = expect_error(MECH_EFORBIDDEN, 77);
		if (i == 0) {
			cr_expect(strstr(e->message, "cannot sync: blocked by sync window"), "%s",
				  e->message);
			cr_expect(!e->hint || !strstr(e->hint, "token"), "token hint: %s", e->hint);
		} else {
			cr_expect(e->hint && strstr(e->hint, "token"),
				  "plain refusal: the hint stays");
		}
		fake_stop(f);
		mech_http_free(h);
		free(resp);
		free(f);
	}
}

Test(http, not_found)
{
	char *resp = json_response("404 Not Found",
				   "{\"error\":\"applications.argoproj.io \\\"web\\\" not found\","
				   "\"code\":5,\"message\":\"applications.argoproj.io \\\"web\\\" "
				   "not found\"}");
	fake *f = fake_one(resp);
	mech_http *h = client(f, NULL, 2000, 0);
	cJSON *doc = NULL;
	const mech_error *e;

	cr_assert_eq(mech_http_get_json(h, "/api/v1/applications/web?project=a", &doc), -1);
	e = expect_error(MECH_ENOT_FOUND, 4);
	expect_names_endpoint(e, f, "/api/v1/applications/web?project=a");
	cr_expect(strstr(e->message, "\"web\" not found"), "%s", e->message);
	fake_stop(f);
	mech_http_free(h);
	free(resp);
	free(f);
}

Test(http, server_errors_are_unavailable)
{
	static const char *const statuses[] = {"500 Internal Server Error",
					       "503 Service Unavailable", "502 Bad Gateway",
					       "429 Too Many Requests"};
	size_t i;
	for (i = 0; i < 4; i++) {
		char *resp = json_response(statuses[i], "{\"error\":\"boom\",\"code\":13,"
							"\"message\":\"boom\"}");
		fake *f = fake_one(resp);
		mech_http *h = client(f, NULL, 2000, 0);
		cJSON *doc = NULL;
		const mech_error *e;
		cr_assert_eq(mech_http_get_json(h, "/api/v1/applications", &doc), -1);
		e = expect_error(MECH_EUNAVAILABLE, 69);
		expect_names_endpoint(e, f, "/api/v1/applications");
		cr_expect(strstr(e->message, "boom"), "%s", e->message);
		fake_stop(f);
		mech_http_free(h);
		free(resp);
		free(f);
	}
}

Test(http, bad_request_is_failed_with_message)
{
	char *resp = json_response("400 Bad Request",
				   "{\"error\":\"another operation is already in progress\","
				   "\"code\":9,\"message\":\"another operation is already in "
				   "progress\"}");
	fake *f = fake_one(resp);
	mech_http *h = client(f, NULL, 2000, 0);
	cJSON *doc = NULL;
	const mech_error *e;
	cr_assert_eq(mech_http_post_json(h, "/api/v1/applications/web/sync", "{}", &doc), -1);
	e = expect_error(MECH_EFAILED, 1);
	cr_expect(strstr(e->message, "POST http://127.0.0.1:"), "%s", e->message);
	cr_expect(strstr(e->message, "another operation"), "%s", e->message);
	fake_stop(f);
	cr_expect(strstr(f->request[0], "Content-Type: application/json\r\n"),
		  "Argo CD refuses writes without it (415)");
	cr_expect(strstr(f->request[0], "\r\n\r\n{}"), "body sent: %s", f->request[0]);
	mech_http_free(h);
	free(resp);
	free(f);
}

Test(http, oversized_body_with_length)
{
	char *body = malloc(20001), *resp;
	fake *f;
	mech_http *h;
	cJSON *doc = NULL;
	const mech_error *e;
	memset(body, ' ', 20000);
	body[0] = '[';
	body[19999] = ']';
	body[20000] = '\0';
	resp = json_response("200 OK", body);
	f = fake_one(resp);
	h = client(f, NULL, 2000, 4096);
	cr_assert_eq(mech_http_get_json(h, "/big", &doc), -1);
	e = expect_error(MECH_EUNAVAILABLE, 69);
	cr_expect(strstr(e->message, "larger than 4096 bytes"), "%s", e->message);
	expect_names_endpoint(e, f, "/big");
	fake_stop(f);
	mech_http_free(h);
	free(resp);
	free(body);
	free(f);
}

Test(http, chunked_body_past_the_ceiling_is_cut)
{
	/* no Content-Length: only the write callback can stop it */
	fake *f = calloc(1, sizeof(*f));
	mech_http *h;
	cJSON *doc = NULL;
	const mech_error *e;
	char *chunk = malloc(8192 + 32);
	int i;
	f->script[0][0].bytes = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				"Transfer-Encoding: chunked\r\n\r\n";
	snprintf(chunk, 32, "2000\r\n");
	memset(chunk + 6, ' ', 8192);
	memcpy(chunk + 6 + 8192, "\r\n", 3);
	for (i = 1; i < 40; i++)
		f->script[0][i].bytes = chunk; /* 39 × 8 KiB, far past 16 KiB */
	fake_start(f);
	h = client(f, NULL, 2000, 16384);
	cr_assert_eq(mech_http_get_json(h, "/chunked", &doc), -1);
	e = expect_error(MECH_EUNAVAILABLE, 69);
	cr_expect(strstr(e->message, "larger than 16384 bytes"), "%s", e->message);
	fake_stop(f);
	mech_http_free(h);
	free(chunk);
	free(f);
}

static int count_item(const cJSON *item, void *ctx)
{
	mech_buf *b = ctx;
	char *t = cJSON_PrintUnformatted(item);
	mech_buf_puts(b, t);
	mech_buf_putc(b, ';');
	free(t);
	return 0;
}

/* A list handed out item by item is parsed as it arrives (mech_json_feed):
 * cut anywhere and slow, it gives what it gives whole; past the ceiling it
 * is cut; an error status or a page that is not JSON is said as before. */
Test(http, each_list_parsed_as_it_arrives)
{
	fake *f = calloc(1, sizeof(*f));
	mech_http *h;
	cJSON *doc = NULL;
	mech_buf items = MECH_BUF_INIT;
	mech_json_each each = {"items", count_item, &items};
	const mech_error *e;
	char *resp;
	f->script[0][0].bytes = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				"Transfer-Encoding: chunked\r\n\r\n";
	f->script[0][1].bytes = "c\r\n{\"items\":[\"a\r\n";
	f->script[0][2].bytes = "9\r\n\\\"b\",12.5\r\n";
	f->script[0][2].pause_ms = 50;
	f->script[0][3].bytes = "b\r\n,tr],\"x\":1}\r\n0\r\n\r\n";
	f->script[0][3].pause_ms = 50;
	fake_start(f);
	h = client(f, NULL, 2000, 0);
	cr_assert_eq(mech_http_get_json_each(h, "/list", NULL, &each, &doc), -1);
	e = expect_error(MECH_EUNAVAILABLE, 69);
	cr_expect(strstr(e->message, "malformed JSON (near byte 22 of 32)"), "%s", e->message);
	cr_expect_str_eq(mech_buf_cstr(&items), "\"a\\\"b\";12.5;");
	fake_stop(f);
	mech_http_free(h);
	free(f);

	mech_buf_clear(&items);
	f = calloc(1, sizeof(*f));
	f->script[0][0].bytes = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				"Transfer-Encoding: chunked\r\n\r\n";
	f->script[0][1].bytes = "7\r\n{\"items\r\n";
	f->script[0][2].bytes = "10\r\n\":[1,{\"a\":[]},nu\r\n";
	f->script[0][2].pause_ms = 30;
	f->script[0][3].bytes = "4\r\nll]}\r\n0\r\n\r\n";
	f->script[0][3].pause_ms = 30;
	fake_start(f);
	h = client(f, NULL, 2000, 0);
	cr_assert_eq(mech_http_get_json_each(h, "/list", NULL, &each, &doc), 0);
	cr_expect_str_eq(mech_buf_cstr(&items), "1;{\"a\":[]};null;");
	cJSON_Delete(doc);
	fake_stop(f);
	mech_http_free(h);
	free(f);

	resp = json_response("500 Internal Server Error",
			     "{\"error\":\"boom\",\"message\":\"boom\"}");
	f = fake_one(resp);
	h = client(f, NULL, 2000, 0);
	cr_assert_eq(mech_http_get_json_each(h, "/list", NULL, &each, &doc), -1);
	e = expect_error(MECH_EUNAVAILABLE, 69);
	cr_expect(strstr(e->message, "HTTP 500 Internal Server Error: boom"), "%s", e->message);
	fake_stop(f);
	mech_http_free(h);
	free(resp);
	free(f);

	f = fake_one("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 14\r\n\r\n"
		     "<html></html>\n");
	h = client(f, NULL, 2000, 0);
	cr_assert_eq(mech_http_get_json_each(h, "/list", NULL, &each, &doc), -1);
	e = expect_error(MECH_EUNAVAILABLE, 69);
	cr_expect(strstr(e->message, "not JSON"), "%s", e->message);
	fake_stop(f);
	mech_http_free(h);
	free(f);
	mech_buf_dispose(&items);
}

Test(http, each_list_past_the_ceiling_is_cut)
{
	fake *f = calloc(1, sizeof(*f));
	mech_http *h;
	cJSON *doc = NULL;
	mech_buf items = MECH_BUF_INIT;
	mech_json_each each = {"items", count_item, &items};
	const mech_error *e;
	char *chunk = malloc(8192 + 32);
	int i;
	f->script[0][0].bytes = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				"Transfer-Encoding: chunked\r\n\r\n";
	snprintf(chunk, 32, "2000\r\n");
	memset(chunk + 6, ' ', 8192);
	memcpy(chunk + 6 + 8192, "\r\n", 3);
	f->script[0][1].bytes = "b\r\n{\"items\":[1\r\n";
	for (i = 2; i < 40; i++)
		f->script[0][i].bytes = chunk;
	fake_start(f);
	h = client(f, NULL, 2000, 16384);
	cr_assert_eq(mech_http_get_json_each(h, "/chunked", NULL, &each, &doc), -1);
	cr_expect_null(doc);
	e = expect_error(MECH_EUNAVAILABLE, 69);
	cr_expect(strstr(e->message, "larger than 16384 bytes"), "%s", e->message);
	fake_stop(f);
	mech_http_free(h);
	mech_buf_dispose(&items);
	free(chunk);
	free(f);
}

Test(http, malformed_and_truncated_json)
{
	static const char *const bodies[] = {"{\"items\":[1,2", "{\"a\":1,", "not json",
					     "{\"a\":1} trailing", ""};
	size_t i;
	for (i = 0; i < sizeof(bodies) / sizeof(*bodies); i++) {
		char *resp = json_response("200 OK", bodies[i]);
		fake *f = fake_one(resp);
		mech_http *h = client(f, NULL, 2000, 0);
		cJSON *doc = NULL;
		const mech_error *e;
		cr_assert_eq(mech_http_get_json(h, "/api/v1/applications", &doc), -1, "%s",
			     bodies[i]);
		cr_expect_null(doc);
		e = expect_error(MECH_EUNAVAILABLE, 69);
		cr_expect(strstr(e->message, "malformed JSON"), "%s", e->message);
		expect_names_endpoint(e, f, "/api/v1/applications");
		fake_stop(f);
		mech_http_free(h);
		free(resp);
		free(f);
	}
}

Test(http, html_is_not_json)
{
	/* Argo CD serves its UI (200, HTML) for any path outside /api/ */
	fake *f = fake_one("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 14\r\n"
			   "\r\n<html></html>\n");
	mech_http *h = client(f, NULL, 2000, 0);
	cJSON *doc = NULL;
	const mech_error *e;
	cr_assert_eq(mech_http_get_json(h, "/applications", &doc), -1);
	e = expect_error(MECH_EUNAVAILABLE, 69);
	cr_expect(strstr(e->message, "not JSON"), "%s", e->message);
	fake_stop(f);
	mech_http_free(h);
	free(f);
}

Test(http, slow_server_times_out)
{
	fake *f = calloc(1, sizeof(*f));
	mech_http *h;
	cJSON *doc = NULL;
	const mech_error *e;
	double t0;
	f->script[0][0].bytes = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				"Content-Length: 2\r\n\r\n{}";
	f->script[0][0].pause_ms = 1500;
	fake_start(f);
	h = client(f, NULL, 300, 0);
	t0 = now_ms();
	cr_assert_eq(mech_http_get_json(h, "/slow", &doc), -1);
	cr_expect(now_ms() - t0 < 1200, "the deadline fired (%.0f ms)", now_ms() - t0);
	e = expect_error(MECH_EUNAVAILABLE, 69);
	cr_expect(strstr(e->message, "timed out"), "%s", e->message);
	expect_names_endpoint(e, f, "/slow");
	fake_stop(f);
	mech_http_free(h);
	free(f);
}

Test(http, connection_refused)
{
	fake f;
	mech_http *h;
	cJSON *doc = NULL;
	const mech_error *e;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	/* a port that was free a moment ago and has no listener */
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&a, sizeof(a));
	getsockname(fd, (struct sockaddr *)&a, &len);
	close(fd);
	memset(&f, 0, sizeof(f));
	f.port = ntohs(a.sin_port);
	h = client(&f, NULL, 2000, 0);
	cr_assert_eq(mech_http_get_json(h, "/api/version", &doc), -1);
	e = expect_error(MECH_EUNAVAILABLE, 69);
	cr_expect(strstr(e->message, "cannot connect"), "%s", e->message);
	expect_names_endpoint(e, &f, "/api/version");
	cr_expect(e->hint != NULL);
	mech_http_free(h);
}

Test(http, configuration_errors)
{
	mech_http_opts o = {0};
	mech_http *h = NULL;
	o.name = "Argo CD";
	o.url = "";
	cr_expect_eq(mech_http_new(&h, &o), -1);
	expect_error(MECH_ECONFIG, 78);
	o.url = "ftp://example";
	cr_expect_eq(mech_http_new(&h, &o), -1);
	o.url = "https://admin:pw@argocd.example";
	cr_expect_eq(mech_http_new(&h, &o), -1);
	expect_error(MECH_ECONFIG, 78);
	cr_expect(!strstr(mech_error_last()->message, "pw"));

	/* a missing token file is a configuration error, reported before connecting */
	o.url = "http://127.0.0.1:1";
	o.token_file = "/nonexistent/token";
	cr_assert_eq(mech_http_new(&h, &o), 0);
	cJSON *doc = NULL;
	cr_expect_eq(mech_http_get_json(h, "/x", &doc), -1);
	expect_error(MECH_ECONFIG, 78);
	mech_http_free(h);
}

Test(http, escape)
{
	char *s = mech_http_escape("a b/c?d&e=f~_.-Z9");
	cr_expect_str_eq(s, "a%20b%2Fc%3Fd%26e%3Df~_.-Z9");
	free(s);
}

/* ---- Server-Sent Events ---- */

typedef struct {
	mech_strv events;
	int keepalives;
	int opens;
	int stop_after; /* 0 = never */
} sink;

static int on_event(const char *data, size_t len, void *ctx)
{
	sink *s = ctx;
	cr_expect_eq(strlen(data), len);
	mech_strv_push(&s->events, data);
	return s->stop_after && (int)s->events.len >= s->stop_after ? 1 : 0;
}

static void on_keepalive(void *ctx)
{
	((sink *)ctx)->keepalives++;
}

static void on_open(void *ctx)
{
	((sink *)ctx)->opens++;
}

#define SSE_HDR                                                                                    \
	"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"

/* one HTTP chunk carrying `s` */
static char *chunk(const char *s)
{
	return mech_sprintf("%zx\r\n%s\r\n", strlen(s), s);
}

Test(http, sse_frames_split_across_reads)
{
	fake *f = calloc(1, sizeof(*f));
	mech_http *h;
	mech_sse_opts o = {0};
	sink s = {MECH_STRV_INIT, 0, 0, 0};
	const mech_error *e;
	char *c[8];
	int i;

	/* Argo CD's framing: "data: <json> \n\n" then "\n"; keepalive ":\n" */
	c[0] = chunk("data: {\"result\":{\"ty");
	c[1] = chunk("pe\":\"ADDED\"}} \n");
	c[2] = chunk("\n\n:\n");
	c[3] = chunk("data: {\"a\":\r\ndata: 1}\r\n\r\n");
	c[4] = chunk("event: ignored\nid: 7\ndata: third\n");
	c[5] = chunk("\n");
	c[6] = mech_strdup("0\r\n\r\n");
	c[7] = NULL;
	f->script[0][0].bytes = SSE_HDR;
	for (i = 0; c[i]; i++) {
		f->script[0][i + 1].bytes = c[i];
		f->script[0][i + 1].pause_ms = 20;
	}
	fake_start(f);
	h = client(f, NULL, 2000, 0);
	o.on_event = on_event;
	o.on_keepalive = on_keepalive;
	o.on_open = on_open;
	o.ctx = &s;
	cr_assert_eq(mech_http_stream(h, "/api/v1/stream/applications", &o), -1);
	/* the stream has no regular end: a close is a retriable disconnect */
	e = expect_error(MECH_EUNAVAILABLE, 69);
	cr_expect(strstr(e->message, "closed by the server"), "%s", e->message);
	cr_assert_eq(s.events.len, 3);
	cr_expect_str_eq(s.events.items[0], "{\"result\":{\"type\":\"ADDED\"}} ");
	cr_expect_str_eq(s.events.items[1], "{\"a\":\n1}");
	cr_expect_str_eq(s.events.items[2], "third");
	cr_expect_eq(s.keepalives, 1);
	cr_expect_eq(s.opens, 1);
	fake_stop(f);
	cr_expect(strstr(f->request[0], "Accept: text/event-stream\r\n"));
	for (i = 0; c[i]; i++)
		free(c[i]);
	mech_strv_dispose(&s.events);
	mech_http_free(h);
	free(f);
}

Test(http, sse_cut_mid_frame)
{
	fake *f = calloc(1, sizeof(*f));
	mech_http *h;
	mech_sse_opts o = {0};
	sink s = {MECH_STRV_INIT, 0, 0, 0};
	const mech_error *e;
	char *c1 = chunk("data: {\"ok\":1} \n\n\n"),
	     *c2 = chunk("data: {\"result\":{\"type\":\"MOD");
	f->script[0][0].bytes = SSE_HDR;
	f->script[0][1].bytes = c1;
	f->script[0][2].bytes = c2; /* then the connection dies: no last chunk */
	fake_start(f);
	h = client(f, NULL, 2000, 0);
	o.on_event = on_event;
	o.ctx = &s;
	cr_assert_eq(mech_http_stream(h, "/api/v1/stream/applications", &o), -1);
	e = expect_error(MECH_EUNAVAILABLE, 69);
	cr_expect(strstr(e->message, "cut in the middle of an event"), "%s", e->message);
	expect_names_endpoint(e, f, "/api/v1/stream/applications");
	cr_expect_eq(s.events.len, 1);
	fake_stop(f);
	mech_strv_dispose(&s.events);
	mech_http_free(h);
	free(c1);
	free(c2);
	free(f);
}

Test(http, sse_event_ceiling)
{
	fake *f = calloc(1, sizeof(*f));
	mech_http *h;
	mech_sse_opts o = {0};
	sink s = {MECH_STRV_INIT, 0, 0, 0};
	char *big = malloc(3000), *c;
	memset(big, 'x', 2999);
	big[2999] = '\0';
	memcpy(big, "data: ", 6);
	c = chunk(big); /* one line without end, past 1 KiB */
	f->script[0][0].bytes = SSE_HDR;
	f->script[0][1].bytes = c;
	f->hold_ms = 300;
	fake_start(f);
	h = client(f, NULL, 2000, 0);
	o.on_event = on_event;
	o.ctx = &s;
	o.max_event = 1024;
	cr_assert_eq(mech_http_stream(h, "/s", &o), -1);
	cr_expect(strstr(expect_error(MECH_EUNAVAILABLE, 69)->message, "larger than 1024"));
	fake_stop(f);
	mech_strv_dispose(&s.events);
	mech_http_free(h);
	free(big);
	free(c);
	free(f);
}

Test(http, sse_callback_stops)
{
	fake *f = calloc(1, sizeof(*f));
	mech_http *h;
	mech_sse_opts o = {0};
	sink s = {MECH_STRV_INIT, 0, 0, 2};
	char *c = chunk("data: 1\n\ndata: 2\n\ndata: 3\n\n");
	f->script[0][0].bytes = SSE_HDR;
	f->script[0][1].bytes = c;
	f->hold_ms = 1000; /* the server would keep going: we must not wait for it */
	fake_start(f);
	h = client(f, NULL, 2000, 0);
	o.on_event = on_event;
	o.ctx = &s;
	cr_assert_eq(mech_http_stream(h, "/s", &o), 0);
	cr_expect_eq(s.events.len, 2);
	fake_stop(f);
	mech_strv_dispose(&s.events);
	mech_http_free(h);
	free(c);
	free(f);
}

Test(http, sse_error_status_uses_stream_error_body)
{
	static const char body[] = "data: {\"error\":{\"grpc_code\":16,\"http_code\":401,"
				   "\"message\":\"no session information\",\"http_status\":"
				   "\"Unauthorized\"}} \n\n";
	char *resp = mech_sprintf("HTTP/1.1 401 Unauthorized\r\nContent-Type: text/event-stream\r\n"
				  "Content-Length: %zu\r\n\r\n%s",
				  strlen(body), body);
	fake *f = fake_one(resp);
	mech_http *h = client(f, NULL, 2000, 0);
	mech_sse_opts o = {0};
	sink s = {MECH_STRV_INIT, 0, 0, 0};
	const mech_error *e;
	o.on_event = on_event;
	o.ctx = &s;
	cr_assert_eq(mech_http_stream(h, "/api/v1/stream/applications", &o), -1);
	e = expect_error(MECH_EFORBIDDEN, 77);
	cr_expect(strstr(e->message, "no session information"), "%s", e->message);
	cr_expect_eq(s.events.len, 0);
	fake_stop(f);
	mech_http_free(h);
	free(resp);
	free(f);
}

typedef struct {
	atomic_int *flag;
	int after_ms;
} canceller;

static void *cancel_later(void *arg)
{
	canceller *c = arg;
	pause_ms(c->after_ms);
	atomic_store(c->flag, 1);
	return NULL;
}

Test(http, sse_cancel_from_another_thread)
{
	fake *f = calloc(1, sizeof(*f));
	mech_http *h;
	mech_sse_opts o = {0};
	sink s = {MECH_STRV_INIT, 0, 0, 0};
	atomic_int flag = 0;
	canceller c = {&flag, 200};
	pthread_t t;
	double t0;
	f->script[0][0].bytes = SSE_HDR;
	f->hold_ms = 2000; /* an idle stream */
	fake_start(f);
	h = client(f, NULL, 2000, 0);
	o.on_event = on_event;
	o.on_open = on_open;
	o.ctx = &s;
	o.cancel = &flag;
	pthread_create(&t, NULL, cancel_later, &c);
	t0 = now_ms();
	cr_expect_eq(mech_http_stream(h, "/s", &o), 0);
	cr_expect(now_ms() - t0 < 1500, "cancelled promptly (%.0f ms)", now_ms() - t0);
	cr_expect_eq(s.opens, 1, "open is reported before any event");
	pthread_join(t, NULL);
	fake_stop(f);
	mech_http_free(h);
	free(f);
}

Test(http, sse_idle_stream_is_dead)
{
	fake *f = calloc(1, sizeof(*f));
	mech_http *h;
	mech_sse_opts o = {0};
	sink s = {MECH_STRV_INIT, 0, 0, 0};
	f->script[0][0].bytes = SSE_HDR;
	f->hold_ms = 2500; /* no keepalive ever */
	fake_start(f);
	h = client(f, NULL, 2000, 0);
	o.on_event = on_event;
	o.ctx = &s;
	o.idle_timeout_ms = 1000;
	cr_assert_eq(mech_http_stream(h, "/s", &o), -1);
	cr_expect(strstr(expect_error(MECH_EUNAVAILABLE, 69)->message, "no data for 1 s"), "%s",
		  mech_error_last()->message);
	fake_stop(f);
	mech_http_free(h);
	free(f);
}

/* ---- the event splitter alone: no connection, the bytes as given ---- */

/* A parser whose events and keepalives land in `s`. */
typedef struct {
	mech_sse_opts o;
	mech_sse_parser p;
	sink s;
} parser_fixture;

static void parser_open(parser_fixture *f, size_t max_event, int stop_after)
{
	memset(f, 0, sizeof(*f));
	f->s.stop_after = stop_after;
	f->o.on_event = on_event;
	f->o.on_keepalive = on_keepalive;
	f->o.ctx = &f->s;
	f->o.max_event = max_event;
	mech_sse_parser_init(&f->p, &f->o);
}

static void parser_close(parser_fixture *f)
{
	mech_sse_parser_dispose(&f->p);
	mech_strv_dispose(&f->s.events);
}

static void feed_all(mech_sse_parser *p, const char *bytes)
{
	cr_assert_eq(mech_sse_parser_feed(p, bytes, strlen(bytes)), 0, "feed(%s)", bytes);
}

Test(http, sse_parser_crlf_and_ignored_fields)
{
	parser_fixture f;

	parser_open(&f, 0, 0);
	feed_all(&f.p, "event: message\r\nid: 7\r\nretry: 10\r\ndata: {\"a\":\r\ndata:1}\r\n\r\n");
	feed_all(&f.p, "data\r\n\r\ndata:  two\r\nfoo: bar\r\n\r\n");
	cr_assert_eq(f.s.events.len, 3);
	cr_expect_str_eq(f.s.events.items[0], "{\"a\":\n1}");
	cr_expect_str_eq(f.s.events.items[1], "", "a bare `data` is an empty value");
	cr_expect_str_eq(f.s.events.items[2], " two", "only one leading space is dropped");
	cr_expect_eq(f.p.events, 3);
	cr_expect_not(mech_sse_parser_pending(&f.p));
	parser_close(&f);
}

/* The same stream cut at every byte gives the same events. */
Test(http, sse_parser_any_split)
{
	static const char stream[] =
		"data: {\"result\":{\"type\":\"ADDED\",\"application\":{\"metadata\":"
		"{\"name\":\"web\"}}}} \n\n\n: ping\r\ndata: {\"result\":\r\ndata: 1}\r\n\r\n"
		"event: x\nid: 2\ndata: third\n\n";
	size_t n = sizeof(stream) - 1, cut, i;

	for (cut = 0; cut <= n + 1; cut++) {
		parser_fixture f;

		parser_open(&f, 0, 0);
		if (cut <= n) { /* two pieces */
			cr_assert_eq(mech_sse_parser_feed(&f.p, stream, cut), 0);
			cr_assert_eq(mech_sse_parser_feed(&f.p, stream + cut, n - cut), 0);
		} else { /* byte by byte */
			for (i = 0; i < n; i++)
				cr_assert_eq(mech_sse_parser_feed(&f.p, stream + i, 1), 0);
		}
		cr_assert_eq(f.s.events.len, 3, "cut at %zu", cut);
		cr_expect_str_eq(f.s.events.items[0],
				 "{\"result\":{\"type\":\"ADDED\",\"application\":"
				 "{\"metadata\":{\"name\":\"web\"}}}} ");
		cr_expect_str_eq(f.s.events.items[1], "{\"result\":\n1}", "cut at %zu", cut);
		cr_expect_str_eq(f.s.events.items[2], "third", "cut at %zu", cut);
		cr_expect_eq(f.s.keepalives, 1, "cut at %zu", cut);
		cr_expect_not(mech_sse_parser_pending(&f.p));
		parser_close(&f);
	}
}

Test(http, sse_parser_comments_only)
{
	parser_fixture f;

	parser_open(&f, 0, 0);
	feed_all(&f.p, ":\n: ping\r\n\n\n:keepalive\n");
	cr_expect_eq(f.s.events.len, 0);
	cr_expect_eq(f.s.keepalives, 3);
	cr_expect_not(mech_sse_parser_pending(&f.p));
	parser_close(&f);
}

/* An event is delivered at its blank line, never at the end of the bytes. */
Test(http, sse_parser_unfinished_event_is_held)
{
	parser_fixture f;

	parser_open(&f, 0, 0);
	feed_all(&f.p, "data: {\"result\":{}}\n");
	cr_expect_eq(f.s.events.len, 0);
	cr_expect(mech_sse_parser_pending(&f.p), "data lines without their blank line");
	feed_all(&f.p, "data: more");
	cr_expect(mech_sse_parser_pending(&f.p), "a line without its end");
	feed_all(&f.p, "\r\n\r");
	cr_expect_eq(f.s.events.len, 0, "\"\\r\" alone ends no line");
	feed_all(&f.p, "\n");
	cr_assert_eq(f.s.events.len, 1);
	cr_expect_str_eq(f.s.events.items[0], "{\"result\":{}}\nmore");
	cr_expect_not(mech_sse_parser_pending(&f.p));
	parser_close(&f);
}

Test(http, sse_parser_ceiling)
{
	static const char *const over[] = {
		"data: 0123456789abcdef\n\n",                 /* one line of 22 bytes */
		"data: 0123456789a",                          /* 17 bytes, no line end yet */
		"data: 0123456\ndata: 789abcd\ndata: xy\n\n", /* lines fit, the event does not */
	};
	size_t i;

	for (i = 0; i < sizeof(over) / sizeof(*over); i++) {
		parser_fixture f;

		parser_open(&f, 16, 0);
		feed_all(&f.p, "data: 0123456789\n\n"); /* a 16-byte line, a 10-byte event */
		cr_assert_neq(mech_sse_parser_feed(&f.p, over[i], strlen(over[i])), 0, "%s",
			      over[i]);
		cr_expect(f.p.overflow, "%s", over[i]);
		cr_expect_eq(f.p.stopped, 0);
		/* stopped for good */
		cr_expect_neq(mech_sse_parser_feed(&f.p, "data: x\n\n", 9), 0);
		cr_assert_eq(f.s.events.len, 1, "%s", over[i]);
		cr_expect_str_eq(f.s.events.items[0], "0123456789");
		parser_close(&f);
	}
}

Test(http, sse_parser_callback_stops)
{
	parser_fixture f;

	parser_open(&f, 0, 1);
	cr_assert_neq(mech_sse_parser_feed(&f.p, "data: 1\n\ndata: 2\n\n", 18), 0);
	cr_expect_eq(f.p.stopped, 1);
	cr_expect_not(f.p.overflow);
	cr_expect_neq(mech_sse_parser_feed(&f.p, "data: 3\n\n", 9), 0);
	cr_expect_eq(f.s.events.len, 1);
	parser_close(&f);
}

/* The fuzz seed corpus, replayed through the harness itself
 * (tests/fuzz/fuzz_sse.c): a crash input added there fails here. */
Test(http, sse_fuzz_corpus_replays)
{
	int files = test_replay_corpus("sse", LLVMFuzzerTestOneInput);
	cr_assert_geq(files, 15, "the corpus has only %d files", files);
}

/* ---- reconnect with backoff ---- */

typedef struct {
	sink s;
	int errors;
	long delays[8];
} watcher;

static int watch_event(const char *data, size_t len, void *ctx)
{
	watcher *w = ctx;
	mech_strv_push(&w->s.events, data);
	return !strcmp(data, "last") ? 1 : 0;
}

static int watch_error(const mech_error *err, long retry_in_ms, void *ctx)
{
	watcher *w = ctx;
	cr_expect_eq(err->code, MECH_EUNAVAILABLE);
	if (w->errors < 8)
		w->delays[w->errors] = retry_in_ms;
	w->errors++;
	return 0;
}

Test(http, watch_reconnects_after_drops)
{
	fake *f = calloc(1, sizeof(*f));
	mech_http *h;
	mech_http_watch_opts o;
	watcher w;
	char *a = chunk("data: one\n\n"), *b = chunk("data: two\n\ndata: tr"),
	     *c = chunk("data: last\n\n");
	memset(&w, 0, sizeof(w));
	memset(&o, 0, sizeof(o));
	f->nconns = 3;
	f->script[0][0].bytes = SSE_HDR; /* 1: one event, then a clean close */
	f->script[0][1].bytes = a;
	f->script[0][2].bytes = "0\r\n\r\n";
	f->script[1][0].bytes = SSE_HDR; /* 2: one event, then cut mid-event */
	f->script[1][1].bytes = b;
	f->script[2][0].bytes = SSE_HDR; /* 3: the event that stops the watch */
	f->script[2][1].bytes = c;
	f->hold_ms = 1000;
	fake_start(f);
	h = client(f, NULL, 2000, 0);
	o.sse.on_event = watch_event;
	o.sse.ctx = &w;
	o.on_error = watch_error;
	o.initial_ms = 20;
	o.max_ms = 100;
	cr_assert_eq(mech_http_watch(h, "/api/v1/stream/applications", &o), 0);
	cr_expect_eq(w.errors, 2);
	cr_assert_eq(w.s.events.len, 3);
	cr_expect_str_eq(w.s.events.items[1], "two");
	cr_expect(w.delays[0] >= 10 && w.delays[0] <= 20, "%ld", w.delays[0]);
	fake_stop(f);
	mech_strv_dispose(&w.s.events);
	mech_http_free(h);
	free(a);
	free(b);
	free(c);
	free(f);
}

Test(http, watch_gives_up_on_lasting_errors)
{
	char *resp = json_response("403 Forbidden", "{\"error\":\"permission denied\",\"code\":7,"
						    "\"message\":\"permission denied\"}");
	fake *f = fake_one(resp);
	mech_http *h = client(f, NULL, 2000, 0);
	mech_http_watch_opts o;
	watcher w;
	memset(&w, 0, sizeof(w));
	memset(&o, 0, sizeof(o));
	o.sse.on_event = watch_event;
	o.sse.ctx = &w;
	o.on_error = watch_error;
	o.initial_ms = 10;
	cr_assert_eq(mech_http_watch(h, "/api/v1/stream/applications", &o), -1);
	expect_error(MECH_EFORBIDDEN, 77);
	cr_expect_eq(w.errors, 0, "no retry for a forbidden stream");
	fake_stop(f);
	mech_http_free(h);
	free(resp);
	free(f);
}

Test(http, backoff_grows_with_jitter_and_caps)
{
	mech_backoff b;
	long prev_nominal = 100;
	int i;
	mech_backoff_init(&b, 100, 1000);
	for (i = 0; i < 10; i++) {
		long d = mech_backoff_next(&b);
		long nominal = i == 0 ? 100 : prev_nominal * 2 > 1000 ? 1000 : prev_nominal * 2;
		cr_expect(d >= nominal / 2 && d <= nominal, "step %d: %ld not in [%ld,%ld]", i, d,
			  nominal / 2, nominal);
		prev_nominal = nominal;
	}
	mech_backoff_reset(&b);
	cr_expect(mech_backoff_next(&b) <= 100);
}
