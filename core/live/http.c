/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libcurl under the Argo CD and Kubernetes readers. Everything that comes
 * back from the network is bounded: bodies by a ceiling checked in the
 * write callback (CURLOPT_MAXFILESIZE does not cover chunked answers in
 * curl 7.88), events by a per-event ceiling, JSON by an explicit length.
 */
#include "mech/http.h"

/* libcurl is loaded on first use (mech/dl.h); its calls go through pointers */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#include "mech/dl.h"
#include "mech/random.h"

#include <ctype.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TOKEN_MAX (64u << 10)
#define SERVER_MESSAGE_MAX 300

struct mech_http {
	char *name;
	char *url; /* without trailing "/" */
	char *token_file;
	char *ca_file;
	long timeout_ms;
	long connect_timeout_ms;
	size_t max_body;
	CURL *easy; /* kept between unary calls for connection reuse */
};

#define CURL_SYMBOLS(X)                                                                            \
	X(curl_global_init)                                                                        \
	X(curl_easy_init)                                                                          \
	X(curl_easy_reset)                                                                         \
	X(curl_easy_setopt)                                                                        \
	X(curl_easy_perform)                                                                       \
	X(curl_easy_getinfo)                                                                       \
	X(curl_easy_cleanup)                                                                       \
	X(curl_easy_strerror)                                                                      \
	X(curl_slist_append)                                                                       \
	X(curl_slist_free_all)

static struct {
	CURL_SYMBOLS(MECH_DL_FIELD)
} curl_lib;
static const char *const curl_names[] = {CURL_SYMBOLS(MECH_DL_NAME)};

/* curl.h wraps these two in checking macros that would call the real symbols */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init (*curl_lib.curl_global_init)
#define curl_easy_init (*curl_lib.curl_easy_init)
#define curl_easy_reset (*curl_lib.curl_easy_reset)
#define curl_easy_setopt (*curl_lib.curl_easy_setopt)
#define curl_easy_perform (*curl_lib.curl_easy_perform)
#define curl_easy_getinfo (*curl_lib.curl_easy_getinfo)
#define curl_easy_cleanup (*curl_lib.curl_easy_cleanup)
#define curl_easy_strerror (*curl_lib.curl_easy_strerror)
#define curl_slist_append (*curl_lib.curl_slist_append)
#define curl_slist_free_all (*curl_lib.curl_slist_free_all)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static char curl_init_error[512]; /* empty when libcurl is ready */

static void curl_init(void)
{
	CURLcode rc;

	_Static_assert(sizeof(curl_lib) == sizeof(curl_names) / sizeof(*curl_names) * sizeof(void *),
		       "one pointer per libcurl symbol");
	if (mech_dl_load("libcurl.so.4", "libcurl4", curl_names, (void **)&curl_lib,
			 sizeof(curl_names) / sizeof(*curl_names)) < 0) {
		snprintf(curl_init_error, sizeof(curl_init_error), "%s (%s)",
			 mech_error_last()->message, mech_error_last()->hint);
		return;
	}
	if ((rc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK)
		snprintf(curl_init_error, sizeof(curl_init_error), "cannot initialise libcurl: %s",
			 curl_easy_strerror(rc));
}

static char *dup_or_null(const char *s)
{
	return s && *s ? mech_strdup(s) : NULL;
}

int mech_http_new(mech_http **out, const mech_http_opts *opts)
{
	mech_http *h;
	const char *url = opts ? opts->url : NULL;
	const char *name = opts && opts->name && *opts->name ? opts->name : "upstream";
	const char *rest;
	size_t len;

	*out = NULL;
	if (!url || !*url)
		return mech_error_set(MECH_ECONFIG, "%s: no URL configured", name);
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return mech_error_set(MECH_ECONFIG, "%s: URL %s is not http:// or https://", name,
				      url);
	/* Credentials belong in the token file: a URL is printed in messages. */
	rest = strstr(url, "://") + 3;
	len = strcspn(rest, "/?#");
	if (memchr(rest, '@', len))
		return mech_error_set(MECH_ECONFIG,
				      "%s: URL must not carry credentials; use a token file", name);
	pthread_once(&curl_once, curl_init);
	if (*curl_init_error)
		return mech_error_set(MECH_EUNAVAILABLE, "%s", curl_init_error);

	h = mech_calloc(1, sizeof(*h));
	h->name = mech_strdup(name);
	h->url = mech_strdup(url);
	len = strlen(h->url);
	while (len > 0 && h->url[len - 1] == '/')
		h->url[--len] = '\0';
	h->token_file = dup_or_null(opts->token_file);
	h->ca_file = dup_or_null(opts->ca_file);
	h->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : MECH_HTTP_TIMEOUT_DEFAULT;
	h->connect_timeout_ms = opts->connect_timeout_ms > 0
					? opts->connect_timeout_ms
					: (h->timeout_ms < 3000 ? h->timeout_ms : 3000);
	h->max_body = opts->max_body ? opts->max_body : MECH_HTTP_MAX_BODY_DEFAULT;
	*out = h;
	return 0;
}

void mech_http_free(mech_http *h)
{
	if (!h)
		return;
	if (h->easy)
		curl_easy_cleanup(h->easy);
	free(h->name);
	free(h->url);
	free(h->token_file);
	free(h->ca_file);
	free(h);
}

const char *mech_http_url(const mech_http *h)
{
	return h->url;
}

void mech_http_response_dispose(mech_http_response *resp)
{
	if (!resp)
		return;
	free(resp->content_type);
	mech_buf_dispose(&resp->body);
	memset(resp, 0, sizeof(*resp));
}

char *mech_http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	mech_buf b = MECH_BUF_INIT;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			mech_buf_putc(&b, (char)c);
		} else {
			mech_buf_putc(&b, '%');
			mech_buf_putc(&b, hex[c >> 4]);
			mech_buf_putc(&b, hex[c & 15]);
		}
	}
	return mech_buf_detach(&b);
}

/* Read the bearer token fresh on each call: projected tokens rotate. */
static int read_token(const mech_http *h, char **out)
{
	mech_buf b = MECH_BUF_SECRET_INIT;
	size_t i;

	*out = NULL;
	if (!h->token_file)
		return 0;
	if (mech_buf_read_file(&b, h->token_file, TOKEN_MAX) < 0) {
		mech_buf_dispose(&b);
		return mech_error_set(MECH_ECONFIG, "%s: cannot read token file %s", h->name,
				      h->token_file);
	}
	while (b.len > 0 && isspace((unsigned char)b.ptr[b.len - 1]))
		b.ptr[--b.len] = '\0';
	for (i = 0; i < b.len; i++) {
		/* A header line must not be split: refuse control characters. */
		if ((unsigned char)b.ptr[i] < 0x21 || (unsigned char)b.ptr[i] == 0x7f) {
			mech_buf_dispose(&b);
			return mech_error_set(MECH_ECONFIG,
					      "%s: token file %s holds more than one token line",
					      h->name, h->token_file);
		}
	}
	if (b.len == 0) {
		mech_buf_dispose(&b);
		return mech_error_set(MECH_ECONFIG, "%s: token file %s is empty", h->name,
				      h->token_file);
	}
	*out = mech_buf_detach(&b);
	return 0;
}

#define AUTHORIZATION "Authorization: Bearer "

static struct curl_slist *make_headers(const char *token, const char *accept, int has_body,
				       const char *content_type)
{
	struct curl_slist *hdrs = NULL;
	hdrs = curl_slist_append(hdrs, accept);
	if (has_body && content_type) {
		char *line = mech_sprintf("Content-Type: %s", content_type);
		hdrs = curl_slist_append(hdrs, line);
		free(line);
	} else if (has_body) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	}
	if (token) {
		/* one allocation of the right size: no copy of the token is left behind */
		size_t n = strlen(AUTHORIZATION), t = strlen(token);
		char *line = mech_calloc(n + t + 1, 1);
		memcpy(line, AUTHORIZATION, n);
		memcpy(line + n, token, t);
		hdrs = curl_slist_append(hdrs, line); /* libcurl keeps a copy */
		mech_secret_free(line);
	}
	return hdrs;
}

/* The header list held the token: wipe each line before libcurl frees it. */
static void free_headers(struct curl_slist *hdrs)
{
	struct curl_slist *l;
	for (l = hdrs; l; l = l->next)
		if (l->data)
			explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(hdrs);
}

/* Options shared by unary calls and streams. */
static void setup_common(mech_http *h, CURL *c, const char *url, struct curl_slist *hdrs,
			 char *errbuf)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "mech/" MECH_VERSION);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (h->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
	errbuf[0] = '\0';
}

typedef struct {
	mech_buf *body;
	int overflow;
	CURL *easy;
	/* With `each` (call_json's list): a 2xx JSON answer is parsed as it
	 * arrives, in `feed`; any other answer is kept whole in `body`. */
	const char *what;
	const mech_json_keep *keep;
	const mech_json_each *each;
	int looked; /* the status and type were looked at, at the first byte */
	mech_json_feed *feed;
} body_sink;

static int is_json_type(const char *ct);

static size_t body_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	body_sink *s = userdata;
	size_t n = size * nmemb;
	if (s->each && !s->looked) {
		long status = 0;
		const char *ct = NULL;
		s->looked = 1;
		curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
		if (curl_easy_getinfo(s->easy, CURLINFO_CONTENT_TYPE, &ct) != CURLE_OK)
			ct = NULL;
		/* what call_json parses, and nothing else: its errors read the body */
		if (status >= 200 && status < 300 && (!ct || is_json_type(ct)))
			mech_json_feed_start(&s->feed, s->what, s->keep, s->each, s->body->max);
	}
	if (s->feed) {
		if (mech_json_feed_put(s->feed, ptr, n) < 0) {
			s->overflow = 1;
			return 0;
		}
		return n;
	}
	if (mech_buf_put(s->body, ptr, n) < 0) {
		s->overflow = 1;
		return 0; /* aborts the transfer: the ceiling holds for chunked bodies too */
	}
	return n;
}

static int transport_error(mech_http *h, const char *method, const char *url, CURLcode rc,
			   const char *errbuf, int overflow, size_t limit)
{
	const char *detail = errbuf && *errbuf ? errbuf : curl_easy_strerror(rc);
	if (overflow)
		return mech_error_set(MECH_EUNAVAILABLE,
				      "%s: %s %s: response larger than %zu bytes", h->name, method,
				      url, limit);
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		mech_error_set(MECH_EUNAVAILABLE, "%s: %s %s: timed out (%s)", h->name, method, url,
			       detail);
		return mech_error_hint("is %s at %s slow or unreachable? the timeout is %ld ms",
				       h->name, h->url, h->timeout_ms);
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		mech_error_set(MECH_EUNAVAILABLE, "%s: %s %s: cannot connect (%s)", h->name, method,
			       url, detail);
		return mech_error_hint("is %s running at %s? check the URL in mech.yaml", h->name,
				       h->url);
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
		mech_error_set(MECH_EUNAVAILABLE, "%s: %s %s: TLS failed (%s)", h->name, method,
			       url, detail);
		return mech_error_hint("check the CA file (%s)",
				       h->ca_file ? h->ca_file : "none set");
	default:
		return mech_error_set(MECH_EUNAVAILABLE, "%s: %s %s: %s", h->name, method, url,
				      detail);
	}
}

/* `sink` NULL: the body kept whole; else as it says (a feed is the caller's to end) */
static int request(mech_http *h, const char *method, const char *path, const char *content_type,
		   const char *body, int secret, mech_http_response *resp, body_sink *sink)
{
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *hdrs = NULL;
	char *token = NULL, *url;
	body_sink whole = {0};
	const char *ct = NULL;
	CURLcode rc;
	int ret = -1;

	memset(resp, 0, sizeof(*resp));
	resp->body.max = h->max_body;
	resp->body.secret = secret;
	url = mech_sprintf("%s%s", h->url, path);
	if (read_token(h, &token) < 0)
		goto done;
	if (!h->easy && !(h->easy = curl_easy_init())) {
		mech_error_set(MECH_EUNAVAILABLE, "%s: cannot create a libcurl handle", h->name);
		goto done;
	}
	curl_easy_reset(h->easy); /* keeps the connection cache */
	hdrs = make_headers(token, "Accept: application/json", body != NULL, content_type);
	setup_common(h, h->easy, url, hdrs, errbuf);
	curl_easy_setopt(h->easy, CURLOPT_TIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(h->easy, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h->easy, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(h->easy, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else if (!strcmp(method, "GET")) {
		curl_easy_setopt(h->easy, CURLOPT_HTTPGET, 1L);
	}
	if (!sink)
		sink = &whole;
	sink->body = &resp->body;
	sink->overflow = 0;
	sink->easy = h->easy;
	curl_easy_setopt(h->easy, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(h->easy, CURLOPT_WRITEDATA, sink);

	rc = curl_easy_perform(h->easy);
	/* errbuf is on this stack; the handle outlives the call */
	curl_easy_setopt(h->easy, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER, NULL);
	if (rc != CURLE_OK) {
		transport_error(h, method, url, rc, errbuf, sink->overflow, h->max_body);
		mech_buf_dispose(&resp->body);
		goto done;
	}
	curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &resp->status);
	if (curl_easy_getinfo(h->easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
		resp->content_type = mech_strdup(ct);
	ret = 0;
done:
	free_headers(hdrs);
	mech_secret_free(token);
	free(url);
	return ret;
}

int mech_http_request(mech_http *h, const char *method, const char *path, const char *body,
		      mech_http_response *resp)
{
	return request(h, method, path, NULL, body, 0, resp, NULL);
}

int mech_http_request_secret(mech_http *h, const char *method, const char *path, const char *body,
			     mech_http_response *resp)
{
	return request(h, method, path, NULL, body, 1, resp, NULL);
}

int mech_http_send_secret(mech_http *h, const char *method, const char *path,
			  const char *content_type, const char *body, mech_http_response *resp)
{
	/* libcurl sends `body` from the caller's buffer (POSTFIELDS, no copy): the caller wipes it */
	return request(h, method, path, content_type, body, 1, resp, NULL);
}

static int is_json_type(const char *ct)
{
	return ct && (strstr(ct, "json") != NULL);
}

char *mech_http_clean_message(const char *s, size_t n)
{
	mech_buf b = MECH_BUF_INIT;
	size_t i;
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	for (i = 0; i < n && b.len < SERVER_MESSAGE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n' || c == '\r')
			break;
		mech_buf_putc(&b, c < 0x20 || c == 0x7f ? ' ' : (char)c);
	}
	while (b.len > 0 && isspace((unsigned char)b.ptr[b.len - 1]))
		b.ptr[--b.len] = '\0';
	if (i < n && s[i] != '\n' && s[i] != '\r')
		mech_buf_puts(&b, "…");
	return mech_buf_detach(&b);
}

/*
 * The server's message: Argo CD's runtimeError {"error","code","message"},
 * its stream form {"error":{"message"}}, a Kubernetes Status, or a short
 * plain-text body (grpc-gateway routing errors, "404 page not found").
 */
static char *server_message(const mech_http_response *resp)
{
	cJSON *doc, *m = NULL;
	char *msg = NULL;

	const char *body = resp->body.ptr;
	size_t len = resp->body.len;

	if (!len)
		return NULL;
	/* a stream refused up front: "data: {\"error\":{…}} \n\n" */
	if (len > 5 && !strncmp(body, "data:", 5)) {
		body += 5;
		len -= 5;
	}
	doc = cJSON_ParseWithLength(body, len);
	if (doc) {
		m = cJSON_GetObjectItemCaseSensitive(doc, "message");
		if (!cJSON_IsString(m)) {
			cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "error");
			m = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "message") : e;
		}
		if (cJSON_IsString(m) && m->valuestring && *m->valuestring)
			msg = mech_http_clean_message(m->valuestring, strlen(m->valuestring));
		cJSON_Delete(doc);
		return msg;
	}
	if (resp->content_type && !strncmp(resp->content_type, "text/plain", 10))
		return mech_http_clean_message(resp->body.ptr, resp->body.len);
	return NULL;
}

const char *mech_http_status_text(long status)
{
	switch (status) {
	case 200:
		return "OK";
	case 202:
		return "Accepted";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Entity";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "";
	}
}

mech_error_code mech_http_status_code(long status)
{
	if (status >= 200 && status < 300)
		return MECH_EOK;
	if (status == 401 || status == 403)
		return MECH_EFORBIDDEN;
	if (status == 404)
		return MECH_ENOT_FOUND;
	if (status == 408 || status == 429 || status >= 500 || status < 200 ||
	    (status >= 300 && status < 400))
		return MECH_EUNAVAILABLE;
	return MECH_EFAILED;
}

int mech_http_check(mech_http *h, const char *method, const char *path,
		    const mech_http_response *resp)
{
	char *msg, *url;
	mech_error_code code;

	if (resp->status >= 200 && resp->status < 300)
		return 0;
	msg = server_message(resp);
	url = mech_sprintf("%s%s", h->url, path);
	code = mech_http_status_code(resp->status);
	mech_error_set(code, "%s: %s %s: HTTP %ld %s%s%s", h->name, method, url, resp->status,
		       mech_http_status_text(resp->status), msg ? ": " : "", msg ? msg : "");
	if (resp->status == 401)
		mech_error_hint("%s rejected the token; check %s", h->name,
				h->token_file ? h->token_file : "the token file (none configured)");
	else if (resp->status == 403 && (!msg || !strncmp(msg, "permission denied", 17)))
		/* Argo CD's plain refusal; any other 403 (a sync window …) says why itself */
		mech_error_hint("the token lacks permission, or the object is not known yet");
	else if (resp->status >= 300 && resp->status < 400)
		mech_error_hint("the server redirects; configure the final URL (https?)");
	free(msg);
	free(url);
	return -1;
}

/*
 * A JSON answer. A list handed out item by item (`each`) is parsed while it
 * arrives (mech_json_feed), which gives the answer a whole parse gives.
 */
static int call_json(mech_http *h, const char *method, const char *path, const char *body,
		     const mech_json_keep *keep, const mech_json_each *each, cJSON **out)
{
	mech_http_response resp;
	body_sink sink = {0};
	char *what = mech_sprintf("%s: %s %s%s", h->name, method, h->url, path);
	int rc = -1;

	*out = NULL;
	sink.what = what;
	sink.keep = keep;
	sink.each = each;
	if (request(h, method, path, NULL, body, 0, &resp, each ? &sink : NULL) < 0)
		goto done;
	if (mech_http_check(h, method, path, &resp) < 0)
		goto done;
	if (resp.content_type && !is_json_type(resp.content_type)) {
		char q[MECH_ESCAPE_SIZE];
		rc = mech_error_set(MECH_EUNAVAILABLE, "%s: answered %s, not JSON", what,
				    mech_error_escape(q, resp.content_type));
		mech_error_hint("is %s the API server's URL?", h->url);
	} else if (sink.feed) {
		rc = mech_json_feed_finish(sink.feed, out);
		sink.feed = NULL;
	} else {
		rc = keep || each ? mech_json_parse_each(out, resp.body.ptr ? resp.body.ptr : "",
							 resp.body.len, what, keep, each)
				  : mech_json_parse(out, resp.body.ptr ? resp.body.ptr : "",
						    resp.body.len, what);
	}
done:
	mech_json_feed_cancel(sink.feed);
	free(what);
	mech_http_response_dispose(&resp);
	return rc;
}

int mech_http_get_json(mech_http *h, const char *path, cJSON **out)
{
	return call_json(h, "GET", path, NULL, NULL, NULL, out);
}

int mech_http_get_json_kept(mech_http *h, const char *path, const mech_json_keep *keep, cJSON **out)
{
	return call_json(h, "GET", path, NULL, keep, NULL, out);
}

int mech_http_get_json_each(mech_http *h, const char *path, const mech_json_keep *keep,
			    const mech_json_each *each, cJSON **out)
{
	return call_json(h, "GET", path, NULL, keep, each, out);
}

int mech_http_post_json(mech_http *h, const char *path, const char *body, cJSON **out)
{
	return call_json(h, "POST", path, body ? body : "{}", NULL, NULL, out);
}

/* ---- Server-Sent Events ---- */

void mech_sse_parser_init(mech_sse_parser *p, const mech_sse_opts *o)
{
	size_t max_event = o->max_event ? o->max_event : MECH_HTTP_MAX_EVENT_DEFAULT;
	memset(p, 0, sizeof(*p));
	p->o = o;
	p->line.max = max_event;
	p->data.max = max_event;
}

void mech_sse_parser_dispose(mech_sse_parser *p)
{
	if (!p)
		return;
	mech_buf_dispose(&p->line);
	mech_buf_dispose(&p->data);
	p->has_data = 0;
}

int mech_sse_parser_pending(const mech_sse_parser *p)
{
	return p->line.len > 0 || p->has_data;
}

static int sse_dispatch(mech_sse_parser *p)
{
	int rc = 0;
	if (p->has_data) {
		p->events++;
		rc = p->o->on_event(mech_buf_cstr(&p->data), p->data.len, p->o->ctx);
	}
	mech_buf_clear(&p->data);
	p->has_data = 0;
	return rc;
}

/* One complete line (without "\n"). Returns non-zero to stop. */
static int sse_line(mech_sse_parser *p, char *line, size_t len)
{
	const char *value;
	size_t vlen;

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len == 0)
		return sse_dispatch(p);
	if (line[0] == ':') {
		if (p->o->on_keepalive)
			p->o->on_keepalive(p->o->ctx);
		return 0;
	}
	if (len < 4 || strncmp(line, "data", 4) || (len > 4 && line[4] != ':'))
		return 0; /* event:, id:, retry: and unknown fields carry nothing for us */
	value = len > 4 ? line + 5 : "";
	vlen = len > 4 ? len - 5 : 0;
	if (vlen > 0 && *value == ' ') {
		value++;
		vlen--;
	}
	if ((p->has_data && mech_buf_putc(&p->data, '\n') < 0) ||
	    mech_buf_put(&p->data, value, vlen) < 0) {
		p->overflow = 1;
		return -1;
	}
	p->has_data = 1;
	return 0;
}

int mech_sse_parser_feed(mech_sse_parser *p, const char *bytes, size_t len)
{
	size_t off = 0;

	if (p->overflow || p->stopped)
		return -1;
	while (off < len) {
		const char *nl = memchr(bytes + off, '\n', len - off);
		size_t seg = nl ? (size_t)(nl - (bytes + off)) : len - off;
		int rc;
		if (mech_buf_put(&p->line, bytes + off, seg) < 0) {
			p->overflow = 1;
			return -1;
		}
		off += seg;
		if (!nl)
			break;
		off++; /* the "\n" */
		rc = sse_line(p, p->line.ptr ? p->line.ptr : (char *)"", p->line.len);
		mech_buf_clear(&p->line);
		if (p->overflow)
			return -1;
		if (rc) {
			p->stopped = rc;
			return -1;
		}
	}
	return 0;
}

typedef struct {
	mech_http *h;
	CURL *easy;
	const mech_sse_opts *o;
	mech_sse_parser parser;
	mech_http_response err; /* body of a non-200 answer */
	long status;            /* 0 until the first byte */
	int not_sse;            /* 200 but not text/event-stream */
} sse_ctx;

static int sse_open(sse_ctx *s)
{
	const char *ct = NULL;
	if (s->status)
		return 0;
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &s->status);
	curl_easy_getinfo(s->easy, CURLINFO_CONTENT_TYPE, &ct);
	if (ct)
		s->err.content_type = mech_strdup(ct);
	s->err.status = s->status;
	if (s->status == 200 && (!ct || strncmp(ct, "text/event-stream", 17)))
		s->not_sse = 1;
	if (s->status == 200 && !s->not_sse && s->o->on_open)
		s->o->on_open(s->o->ctx);
	return 0;
}

/* The end of the final header block: the stream is open before any event
 * arrives (an Argo CD without Applications sends nothing for 15 s). */
static size_t sse_header(char *buf, size_t size, size_t nmemb, void *userdata)
{
	sse_ctx *s = userdata;
	size_t n = size * nmemb;
	long code = 0;
	if ((n == 2 && buf[0] == '\r' && buf[1] == '\n') || (n == 1 && buf[0] == '\n')) {
		curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
		if (code >= 200) /* not a 100 Continue */
			sse_open(s);
	}
	return n;
}

static size_t sse_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	sse_ctx *s = userdata;
	size_t n = size * nmemb;

	sse_open(s); /* no-op once the headers were seen */
	if (s->status != 200 || s->not_sse)
		return mech_buf_put(&s->err.body, ptr, n) < 0 ? 0 : n;
	return mech_sse_parser_feed(&s->parser, ptr, n) ? 0 : n;
}

static int sse_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
			curl_off_t ulnow)
{
	atomic_int *cancel = clientp;
	return cancel && atomic_load(cancel) ? 1 : 0;
}

int mech_http_stream(mech_http *h, const char *path, const mech_sse_opts *o)
{
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *hdrs = NULL;
	size_t max_event;
	long idle_s;
	char *token = NULL, *url;
	sse_ctx s;
	CURLcode rc;
	int ret = -1;

	if (!o || !o->on_event)
		return mech_error_set(MECH_EFAILED, "mech_http_stream: no event callback");
	max_event = o->max_event ? o->max_event : MECH_HTTP_MAX_EVENT_DEFAULT;
	idle_s = o->idle_timeout_ms > 0 ? (o->idle_timeout_ms + 999) / 1000 : 45;
	memset(&s, 0, sizeof(s));
	s.h = h;
	s.o = o;
	mech_sse_parser_init(&s.parser, o);
	s.err.body.max = h->max_body;
	url = mech_sprintf("%s%s", h->url, path);
	if (read_token(h, &token) < 0)
		goto done;
	if (!(s.easy = curl_easy_init())) {
		mech_error_set(MECH_EUNAVAILABLE, "%s: cannot create a libcurl handle", h->name);
		goto done;
	}
	/* Argo CD switches to SSE only when Accept is exactly text/event-stream,
	 * and does not compress it. */
	hdrs = make_headers(token, "Accept: text/event-stream", 0, NULL);
	setup_common(h, s.easy, url, hdrs, errbuf);
	curl_easy_setopt(s.easy, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(s.easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(s.easy, CURLOPT_LOW_SPEED_TIME, idle_s);
	curl_easy_setopt(s.easy, CURLOPT_WRITEFUNCTION, sse_write);
	curl_easy_setopt(s.easy, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(s.easy, CURLOPT_HEADERFUNCTION, sse_header);
	curl_easy_setopt(s.easy, CURLOPT_HEADERDATA, &s);
	curl_easy_setopt(s.easy, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(s.easy, CURLOPT_XFERINFOFUNCTION, sse_progress);
	curl_easy_setopt(s.easy, CURLOPT_XFERINFODATA, o->cancel);

	rc = curl_easy_perform(s.easy);
	if (s.parser.stopped) {
		ret = s.parser.stopped == 1 ? 0 : -1;
		if (ret < 0 && !mech_error_last())
			mech_error_set(MECH_EFAILED, "%s: GET %s: stopped", h->name, url);
		goto done;
	}
	if (o->cancel && atomic_load(o->cancel)) {
		ret = 0;
		goto done;
	}
	if (!s.status) /* a transfer that failed before its headers ended */
		curl_easy_getinfo(s.easy, CURLINFO_RESPONSE_CODE, &s.status);
	if (s.status && s.status != 200) {
		/* the status says what happened, even if its body was cut short */
		s.err.status = s.status;
		if (mech_http_check(h, "GET", path, &s.err) == 0) {
			mech_error_set(MECH_EUNAVAILABLE,
				       "%s: GET %s: HTTP %ld, not an event stream", h->name, url,
				       s.status);
		}
		goto done;
	}
	if (s.not_sse) {
		char q[MECH_ESCAPE_SIZE];
		mech_error_set(MECH_EUNAVAILABLE, "%s: GET %s: answered %s, not an event stream",
			       h->name, url,
			       s.err.content_type ? mech_error_escape(q, s.err.content_type)
						  : "no type");
		goto done;
	}
	if (s.parser.overflow) {
		mech_error_set(MECH_EUNAVAILABLE, "%s: GET %s: event larger than %zu bytes",
			       h->name, url, max_event);
		goto done;
	}
	if (mech_sse_parser_pending(&s.parser)) {
		mech_error_set(MECH_EUNAVAILABLE,
			       "%s: GET %s: stream cut in the middle of an event (%s)", h->name,
			       url,
			       rc == CURLE_OK ? "connection closed"
					      : (*errbuf ? errbuf : curl_easy_strerror(rc)));
		goto done;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT && s.status == 200) {
		mech_error_set(MECH_EUNAVAILABLE, "%s: GET %s: no data for %ld s (stream stalled)",
			       h->name, url, idle_s);
		goto done;
	}
	if (rc != CURLE_OK) {
		transport_error(h, "GET", url, rc, errbuf, 0, 0);
		goto done;
	}
	mech_error_set(MECH_EUNAVAILABLE, "%s: GET %s: stream closed by the server", h->name, url);
done:
	if (s.easy)
		curl_easy_cleanup(s.easy);
	free_headers(hdrs);
	mech_secret_free(token);
	mech_sse_parser_dispose(&s.parser);
	mech_http_response_dispose(&s.err);
	free(url);
	return ret;
}

/* ---- a text stream (a followed pod log) ---- */

typedef struct {
	CURL *easy;
	long status;
	mech_http_response err; /* a non-200 answer, for mech_http_check */
	mech_text_fn fn;
	void *ctx;
	int stopped;
} text_ctx;

static size_t text_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	text_ctx *t = userdata;
	size_t n = size * nmemb;
	if (!t->status) {
		const char *ct = NULL;
		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &t->status);
		curl_easy_getinfo(t->easy, CURLINFO_CONTENT_TYPE, &ct);
		if (ct)
			t->err.content_type = mech_strdup(ct);
		t->err.status = t->status;
	}
	if (t->status != 200)
		return mech_buf_put(&t->err.body, ptr, n) < 0 ? 0 : n;
	if (t->fn(ptr, n, t->ctx)) {
		t->stopped = 1;
		return 0;
	}
	return n;
}

int mech_http_follow(mech_http *h, const char *path, long duration_ms, mech_text_fn fn, void *ctx,
		     int *timed_out)
{
	char errbuf[CURL_ERROR_SIZE];
	struct curl_slist *hdrs = NULL;
	char *token = NULL, *url = mech_sprintf("%s%s", h->url, path);
	text_ctx t;
	CURLcode rc;
	int ret = -1;

	*timed_out = 0;
	memset(&t, 0, sizeof(t));
	t.fn = fn;
	t.ctx = ctx;
	t.err.body.max = h->max_body;
	if (read_token(h, &token) < 0)
		goto done;
	if (!(t.easy = curl_easy_init())) {
		mech_error_set(MECH_EUNAVAILABLE, "%s: cannot create a libcurl handle", h->name);
		goto done;
	}
	hdrs = make_headers(token, "Accept: */*", 0, NULL);
	setup_common(h, t.easy, url, hdrs, errbuf);
	curl_easy_setopt(t.easy, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(t.easy, CURLOPT_TIMEOUT_MS, duration_ms > 0 ? duration_ms : 1L);
	curl_easy_setopt(t.easy, CURLOPT_WRITEFUNCTION, text_write);
	curl_easy_setopt(t.easy, CURLOPT_WRITEDATA, &t);
	rc = curl_easy_perform(t.easy);
	if (!t.status)
		curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &t.status);
	if (t.stopped) {
		ret = 0;
	} else if (t.status && t.status != 200) {
		t.err.status = t.status;
		if (mech_http_check(h, "GET", path, &t.err) == 0)
			mech_error_set(MECH_EUNAVAILABLE, "%s: GET %s: HTTP %ld", h->name, url,
				       t.status);
	} else if (rc == CURLE_OPERATION_TIMEDOUT && t.status == 200) {
		*timed_out = 1; /* the bound the caller set: the stream was fine */
		ret = 0;
	} else if (rc != CURLE_OK) {
		transport_error(h, "GET", url, rc, errbuf, 0, 0);
	} else {
		ret = 0; /* the server ended it (the pod went) */
	}
done:
	if (t.easy)
		curl_easy_cleanup(t.easy);
	free_headers(hdrs);
	mech_secret_free(token);
	mech_http_response_dispose(&t.err);
	free(url);
	return ret;
}

/* ---- reconnect with backoff ---- */

void mech_backoff_init(mech_backoff *b, long initial_ms, long max_ms)
{
	b->initial_ms = initial_ms > 0 ? initial_ms : 500;
	b->max_ms = max_ms >= b->initial_ms ? max_ms : b->initial_ms;
	b->next_ms = b->initial_ms;
	b->failures = 0;
}

long mech_backoff_next(mech_backoff *b)
{
	long nominal = b->next_ms, half = nominal / 2, span = nominal - half + 1;
	uint32_t jitter;
	b->failures++;
	b->next_ms = nominal > b->max_ms / 2 ? b->max_ms : nominal * 2;
	/* jitter spreads reconnects of many consoles after an outage; without random
	 * bytes, the whole step (the slowest choice), and the last error says why */
	if (mech_random_below(span < (long)UINT32_MAX ? (uint32_t)span : UINT32_MAX, &jitter) < 0)
		return nominal;
	return half + (long)jitter;
}

void mech_backoff_reset(mech_backoff *b)
{
	b->next_ms = b->initial_ms;
	b->failures = 0;
}

int mech_backoff_sleep(long ms, atomic_int *cancel)
{
	while (ms > 0) {
		long step = ms < 50 ? ms : 50;
		struct timespec ts = {step / 1000, (step % 1000) * 1000000L};
		if (cancel && atomic_load(cancel))
			return 1;
		nanosleep(&ts, NULL);
		ms -= step;
	}
	return cancel && atomic_load(cancel) ? 1 : 0;
}

typedef struct {
	const mech_http_watch_opts *w;
	long events;
} watch_ctx;

/* The stream calls these with the watch's context; they pass the caller's on. */
static int watch_event(const char *data, size_t len, void *ctx)
{
	watch_ctx *wc = ctx;
	wc->events++;
	return wc->w->sse.on_event(data, len, wc->w->sse.ctx);
}

static void watch_keepalive(void *ctx)
{
	watch_ctx *wc = ctx;
	if (wc->w->sse.on_keepalive)
		wc->w->sse.on_keepalive(wc->w->sse.ctx);
}

static void watch_open(void *ctx)
{
	watch_ctx *wc = ctx;
	if (wc->w->sse.on_open)
		wc->w->sse.on_open(wc->w->sse.ctx);
}

int mech_http_watch(mech_http *h, const char *path, const mech_http_watch_opts *opts)
{
	mech_sse_opts so;
	mech_backoff b;
	watch_ctx wc;

	if (!opts || !opts->sse.on_event)
		return mech_error_set(MECH_EFAILED, "mech_http_watch: no event callback");
	wc.w = opts;
	wc.events = 0;
	so = opts->sse;
	so.on_event = watch_event;
	so.on_keepalive = watch_keepalive;
	so.on_open = watch_open;
	so.ctx = &wc;
	mech_backoff_init(&b, opts->initial_ms > 0 ? opts->initial_ms : 500,
			  opts->max_ms > 0 ? opts->max_ms : 30000);
	for (;;) {
		const mech_error *e;
		long delay, before = wc.events;
		if (so.cancel && atomic_load(so.cancel))
			return 0;
		if (mech_http_stream(h, path, &so) == 0)
			return 0;
		e = mech_error_last();
		if (!e || e->code != MECH_EUNAVAILABLE)
			return -1;
		if (wc.events > before)
			mech_backoff_reset(&b);
		delay = mech_backoff_next(&b);
		if (opts->on_error && opts->on_error(e, delay, opts->sse.ctx))
			return -1;
		if (mech_backoff_sleep(delay, so.cancel))
			return 0;
	}
}

/*
 * The member of `o` named by the n bytes at `key`, as
 * cJSON_GetObjectItemCaseSensitive finds it: the first of that name. An
 * Application's readers look up some twenty members each, at 10,000
 * Applications a list: the first letter turns most others away.
 */
static const cJSON *member(const cJSON *o, const char *key, size_t n)
{
	const cJSON *c;
	if (!cJSON_IsObject(o))
		return NULL;
	for (c = o->child; c && c->string; c = c->next)
		if ((!n || c->string[0] == key[0]) && !strncmp(c->string, key, n) && !c->string[n])
			return c;
	return NULL;
}

const cJSON *mech_json_get(const cJSON *o, const char *key)
{
	return member(o, key, strlen(key));
}

const cJSON *mech_json_path(const cJSON *o, const char *dotted)
{
	while (o && *dotted) {
		const char *dot = strchr(dotted, '.');
		size_t n = dot ? (size_t)(dot - dotted) : strlen(dotted);
		o = member(o, dotted, n);
		dotted += n;
		if (*dotted == '.')
			dotted++;
	}
	return o;
}
