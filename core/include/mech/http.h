/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_HTTP_H
#define MECH_HTTP_H

#include <stdatomic.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "mech/buf.h"
#include "mech/error.h"

/*
 * The HTTP client under the Argo CD and Kubernetes readers (DESIGN §8,
 * §8b): libcurl with a bearer token read from a file, a CA file, a timeout
 * on every call, transparent gzip, a hard ceiling on body size enforced
 * while bytes arrive, JSON parsed with an explicit length, and every
 * failure mapped to the error table with a message naming the endpoint:
 *
 *   401, 403                       MECH_EFORBIDDEN (77), the server's message
 *   404                            MECH_ENOT_FOUND (4), the server's message
 *   400, 409, 422 …                MECH_EFAILED (1), the server's message
 *   refused, unreachable, timeout,
 *   408, 429, 5xx, not JSON,
 *   malformed or oversized body    MECH_EUNAVAILABLE (69)
 *
 * A client keeps one connection for its unary calls and is not meant to be
 * shared between threads; open one client per thread.
 */

#define MECH_HTTP_MAX_BODY_DEFAULT (16u << 20)
#define MECH_HTTP_MAX_EVENT_DEFAULT (4u << 20)
#define MECH_HTTP_TIMEOUT_DEFAULT 5000

typedef struct mech_http mech_http;

typedef struct {
	const char *name;        /* upstream in messages: "Argo CD", "Kubernetes" */
	const char *url;         /* base URL: http(s)://host[:port][/prefix] */
	const char *token_file;  /* bearer token, re-read on every call; NULL/"" = none */
	const char *ca_file;     /* PEM bundle for TLS; NULL/"" = system store */
	long timeout_ms;         /* whole unary call; 0 = MECH_HTTP_TIMEOUT_DEFAULT */
	long connect_timeout_ms; /* 0 = the smaller of timeout_ms and 3000 */
	size_t max_body;         /* ceiling on a response body; 0 = MECH_HTTP_MAX_BODY_DEFAULT */
} mech_http_opts;

/** A raw response (see mech_http_request). */
typedef struct {
	long status;
	char *content_type; /* NULL when absent */
	mech_buf body;
} mech_http_response;

/** Open a client. Fails with MECH_ECONFIG on an empty or non-http(s) URL. */
int mech_http_new(mech_http **out, const mech_http_opts *opts);
void mech_http_free(mech_http *h);
/** The base URL (borrowed). */
const char *mech_http_url(const mech_http *h);

/**
 * One request; `path` is appended to the base URL and must start with "/".
 * `body` (may be NULL) is sent as application/json. Returns 0 when a
 * response of any status arrived (the caller judges it), -1 on transport
 * failure, timeout or an oversized body (MECH_EUNAVAILABLE).
 * Release `resp` with mech_http_response_dispose.
 */
int mech_http_request(mech_http *h, const char *method, const char *path, const char *body,
		      mech_http_response *resp);
/**
 * The same for an answer that holds secrets (a Kubernetes Secret): the
 * body is a secret mech_buf, wiped whenever it grows or is disposed.
 */
int mech_http_request_secret(mech_http *h, const char *method, const char *path, const char *body,
			     mech_http_response *resp);
/**
 * A request whose body holds secrets (a Secret's data), sent as
 * `content_type` (NULL: application/json), e.g.
 * application/merge-patch+json. libcurl sends from `body` without copying
 * it: the caller wipes it. The answer is a secret buffer as above.
 */
int mech_http_send_secret(mech_http *h, const char *method, const char *path,
			  const char *content_type, const char *body, mech_http_response *resp);
void mech_http_response_dispose(mech_http_response *resp);

/**
 * GET `path` and parse the JSON answer into `*out` (caller frees with
 * cJSON_Delete). Non-2xx statuses are mapped as described above.
 */
int mech_http_get_json(mech_http *h, const char *path, cJSON **out);
/** POST `body` (JSON text, NULL = "{}") and parse the JSON answer. */
int mech_http_post_json(mech_http *h, const char *path, const char *body, cJSON **out);

/**
 * Map a response to 0 (2xx) or the error table, naming `method` and the
 * full URL of `path`. The server's message is taken from an Argo CD error
 * body ({"error","code","message"}) or a Kubernetes Status.
 */
int mech_http_check(mech_http *h, const char *method, const char *path,
		    const mech_http_response *resp);

/** The error-table code for an HTTP status (the mapping above; 2xx gives MECH_EOK). */
mech_error_code mech_http_status_code(long status);
/** "Unauthorized", "Not Found", … ("" for statuses without a well-known text). */
const char *mech_http_status_text(long status);
/**
 * A server's own words for one line of a message (its error "message"):
 * the first line, trimmed, at most 300 bytes, control bytes as spaces.
 * Values mech quotes go through mech_error_escape instead. Caller frees.
 */
char *mech_http_clean_message(const char *s, size_t n);

/**
 * Parse exactly `len` bytes of JSON (trailing garbage rejected). `what`
 * names the source in the message; failures are MECH_EUNAVAILABLE.
 */
int mech_json_parse(cJSON **out, const char *data, size_t len, const char *what);

/**
 * What a reader keeps of a JSON object: the members named in a list that
 * ends with a NULL key, each kept as its `keep` says (NULL: the whole
 * value). An array is kept element by element, each as the array's own
 * `keep` says; scalars are kept as they are.
 */
typedef struct mech_json_keep {
	const char *key;
	const struct mech_json_keep *keep;
	int id; /* the reader's name for the member, given back by mech_json_events */
} mech_json_keep;

/**
 * mech_json_parse that builds only what `keep` names (NULL: everything),
 * for answers too large to hold whole. Every byte is still checked: a
 * document mech_json_parse refuses is refused here too, and what is kept
 * is what mech_json_parse would have given (core/live/json.c).
 */
int mech_json_parse_kept(cJSON **out, const char *data, size_t len, const char *what,
			 const mech_json_keep *keep);
/**
 * A list's items handed to a reader one at a time: the elements of the
 * top-level object's array member `key` (its first, as mech_json_get finds
 * it). `fn` borrows each, built as `keep` says for `key`; < 0 refuses it
 * (with the error set) and no more are handed.
 */
typedef struct mech_json_events mech_json_events;
typedef struct {
	const char *key;
	int (*fn)(const cJSON *item, void *ctx);
	void *ctx;
	const mech_json_events *ev; /* non-NULL: the items are told, not built (fn unused) */
} mech_json_each;
/**
 * An item told as it is parsed rather than built: what a reader needs that
 * looks members up by name (mech_json_get, mech_json_path), as a list's
 * reader does. `open` and `close` bracket an object or an array, `leaf` is
 * any other value; `member` is the keep entry that named it, NULL for an
 * array's element (and the item itself). As mech_json_get finds the first
 * of duplicate members, only the first of a name is told in each object:
 * the rest are checked and passed. An object whose keep is NULL is told
 * without its members; an array's elements are told, each as the array's
 * keep says. A string is decoded as cJSON decodes it and borrowed. After
 * the item, `end` makes it: < 0 refuses it, as mech_json_each's fn does.
 */
struct mech_json_events {
	void (*open)(void *ctx, const mech_json_keep *member, int object);
	void (*leaf)(void *ctx, const mech_json_keep *member, int type, const char *s, double n);
	void (*close)(void *ctx);
	int (*end)(void *ctx);
};
/**
 * mech_json_parse_kept that never holds more than one of a list's items:
 * each element of `each->key` is built, handed to each->fn and freed; that
 * member reads as an empty array in *out. The rest of the document is still
 * checked to its end: a malformed one is refused as malformed (fn may have
 * seen items by then), whatever fn said; else a refusal by fn is returned
 * (-1, with fn's error).
 */
int mech_json_parse_each(cJSON **out, const char *data, size_t len, const char *what,
			 const mech_json_keep *keep, const mech_json_each *each);
/**
 * mech_json_parse_each of a document given in pieces as it arrives (an HTTP
 * body), parsed meanwhile on a thread of its own: each->fn is called on that
 * thread, never after mech_json_feed_finish or _cancel returns. Whatever the
 * pieces, the answer (items handed, refusal and its message) is the one
 * mech_json_parse_each gives the whole document.
 */
typedef struct mech_json_feed mech_json_feed;
/** Start a parse; `what` names the document in errors; max: its ceiling (0: none). */
int mech_json_feed_start(mech_json_feed **out, const char *what, const mech_json_keep *keep,
			 const mech_json_each *each, size_t max);
/** The next piece; -1 (no error set) when the document would pass the ceiling. */
int mech_json_feed_put(mech_json_feed *f, const char *data, size_t len);
/** Wait until the parse has taken every piece put (or ended): tests cut the document so. */
void mech_json_feed_sync(mech_json_feed *f);
/**
 * The most bytes held so far, put and not yet taken by the parse. A put
 * waits while MECH_JSON_FEED_HOLD are held, so a parse behind a fast
 * sender holds no more than that and one piece (the sender waits for TCP).
 */
size_t mech_json_feed_held(mech_json_feed *f);
#define MECH_JSON_FEED_HOLD (1024 * 1024)
/** The document's end: mech_json_parse_each's answer, with its error in this thread. Frees f. */
int mech_json_feed_finish(mech_json_feed *f, cJSON **out);
/** The parse ended and its answer dropped (the transfer failed). Frees f; NULL is a no-op. */
void mech_json_feed_cancel(mech_json_feed *f);
/** mech_http_get_json keeping only what `keep` names (mech_json_parse_kept). */
int mech_http_get_json_kept(mech_http *h, const char *path, const mech_json_keep *keep, cJSON **out);
/** mech_http_get_json_kept handing a list's items out one at a time (mech_json_parse_each). */
int mech_http_get_json_each(mech_http *h, const char *path, const mech_json_keep *keep,
			    const mech_json_each *each, cJSON **out);
/** A member of an object (case-sensitive), or NULL; borrowed. */
const cJSON *mech_json_get(const cJSON *o, const char *key);
/** Follow "a.b.c" through objects; NULL when a step is missing. Borrowed. */
const cJSON *mech_json_path(const cJSON *o, const char *dotted);

/** Percent-encode `s` for a path segment or query value. Caller frees. */
char *mech_http_escape(const char *s);

/* ---- Server-Sent Events (the Argo CD watch stream) ---- */

/**
 * Called once per complete event with its `data:` lines joined by "\n"
 * (NUL-terminated; borrowed for the call). Return 0 to go on, non-zero to
 * end the stream; mech_http_stream then returns 0 if the value was 1, or -1
 * (keeping the last error the callback set) otherwise.
 */
typedef int (*mech_sse_event_fn)(const char *data, size_t len, void *ctx);

typedef struct {
	mech_sse_event_fn on_event;      /* required */
	void (*on_open)(void *ctx);      /* optional: connected, 200 + text/event-stream */
	void (*on_keepalive)(void *ctx); /* optional: a comment line arrived */
	void *ctx;
	size_t max_event;     /* bytes per line/event; 0 = MECH_HTTP_MAX_EVENT_DEFAULT */
	long idle_timeout_ms; /* no byte for this long = dead stream; 0 = 45 s */
	atomic_int *cancel;   /* optional: set non-zero (any thread) to stop */
} mech_sse_opts;

/**
 * The event splitter under mech_http_stream, fed the stream's bytes in
 * pieces of any size; it needs no connection (nor libcurl), so tests and
 * the fuzz harness drive it alone. Lines end in "\n" or "\r\n"; a blank
 * line ends an event; `data:` values (one leading space dropped) are
 * joined by "\n"; a line starting with ":" is a keepalive; `event:`,
 * `id:`, `retry:` and unknown fields are ignored. A line or an event
 * longer than `max_event` sets `overflow` and stops the parser.
 */
typedef struct {
	const mech_sse_opts *o; /* borrowed: on_event, on_keepalive, ctx, max_event */
	mech_buf line;          /* the line being read */
	mech_buf data;          /* the event being assembled */
	int has_data;           /* a data field was seen in this event */
	int overflow;           /* a line or an event outgrew max_event */
	int stopped;            /* the callback's non-zero answer */
	long events;            /* events delivered */
} mech_sse_parser;

/** Start a parser over `o` (borrowed; `o->on_event` is required). */
void mech_sse_parser_init(mech_sse_parser *p, const mech_sse_opts *o);
/**
 * Split `len` bytes, calling the callbacks for each complete line. Returns
 * 0 when every byte was taken; non-zero once the parser has stopped, for
 * good: `overflow` is set or `stopped` holds the callback's answer.
 */
int mech_sse_parser_feed(mech_sse_parser *p, const char *bytes, size_t len);
/** Non-zero in the middle of an event: a partial line, or data lines without their blank line. */
int mech_sse_parser_pending(const mech_sse_parser *p);
void mech_sse_parser_dispose(mech_sse_parser *p);

/**
 * GET `path` with `Accept: text/event-stream` and call `on_event` per event
 * until the callback stops it or `*cancel` is set (return 0). The stream
 * has no regular end: a close by the server, a cut in the middle of an
 * event, an idle timeout or a transport error all return -1 with
 * MECH_EUNAVAILABLE; a non-200 answer is mapped like a unary call.
 */
int mech_http_stream(mech_http *h, const char *path, const mech_sse_opts *opts);

/* ---- a text stream ---- */

/** Called with each piece of a text stream as it arrives; non-zero stops it. */
typedef int (*mech_text_fn)(const char *bytes, size_t len, void *ctx);

/**
 * GET `path` and hand the body to `fn` as it arrives, for at most
 * `duration_ms` (the whole call: a followed pod log is never unbounded).
 * Returns 0 when the server ended the body, `fn` stopped it or the
 * duration passed (`*timed_out` = 1); a non-200 answer is mapped like a
 * unary call, a transport failure is MECH_EUNAVAILABLE.
 */
int mech_http_follow(mech_http *h, const char *path, long duration_ms, mech_text_fn fn, void *ctx,
		     int *timed_out);

/* ---- reconnect with backoff ---- */

/** Exponential backoff with jitter: initial, ×2 per failure, capped. */
typedef struct {
	long initial_ms;
	long max_ms;
	long next_ms;
	int failures;
} mech_backoff;

void mech_backoff_init(mech_backoff *b, long initial_ms, long max_ms);
/**
 * The delay before the next attempt (grows; 50–100 % of the nominal step,
 * drawn from mech/random.h). Without random bytes it is the whole step and
 * the last error says so.
 */
long mech_backoff_next(mech_backoff *b);
/** After a success: start again from the initial delay. */
void mech_backoff_reset(mech_backoff *b);
/** Sleep `ms`, waking early when `*cancel` becomes non-zero. Returns 1 if cancelled. */
int mech_backoff_sleep(long ms, atomic_int *cancel);

typedef struct {
	mech_sse_opts sse; /* per-connection options; sse.cancel also ends the loop */
	long initial_ms;   /* first retry delay; 0 = 500 ms */
	long max_ms;       /* ceiling; 0 = 30 s */
	/* optional: called before each reconnect with the error that ended the
	 * last attempt and the wait; return non-zero to give up (mech_http_watch
	 * then returns -1 with that error). */
	int (*on_error)(const mech_error *err, long retry_in_ms, void *ctx);
} mech_http_watch_opts;

/**
 * mech_http_stream, reconnected with backoff for as long as the failures
 * are temporary (MECH_EUNAVAILABLE). The backoff restarts after an attempt
 * that delivered an event. Returns 0 when cancelled or stopped by the
 * callback, -1 on a lasting failure (forbidden, not found, …).
 */
int mech_http_watch(mech_http *h, const char *path, const mech_http_watch_opts *opts);

#endif
