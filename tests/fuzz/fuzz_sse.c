/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the Server-Sent-Events splitter under the Argo CD
 * watch (mech_sse_parser in core/live/http.c; no connection, no libcurl).
 *
 * The input is a 4-byte header, then the stream's bytes. The header is
 * printable in the seeds (tests/fuzz/corpus/sse/, e.g. "3@A\0" or "0BH7"):
 *   [0] & 3     the event ceiling: 16 B, 256 B, 4 KiB or the default 4 MiB
 *   [1] & 15    stop after that many events (0 = never); bit 6: the
 *               callback stops with -1 instead of 1
 *   [2] & 63    longest piece the stream is fed in (0 = all at once)
 *   [3]         seed of the piece lengths
 *
 * Each input runs three ways: fed in pieces, fed whole, and through a
 * line-at-a-time model of the rules in mech/http.h. All three must report
 * the same events, keepalives and end state; every event must fit the
 * ceiling and be NUL-terminated; a stopped parser must take nothing more.
 * tests/unit/test_http.c replays the seed corpus through this function.
 */
#include "mech/buf.h"
#include "mech/error.h"
#include "mech/http.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const size_t ceilings[] = {16, 256, 4096, MECH_HTTP_MAX_EVENT_DEFAULT};

/* What a run saw: 'E' <len as size_t> <bytes> per event, 'K' per keepalive,
 * then the end state. Equal logs mean equal behaviour. */
typedef struct {
	mech_buf log;
	size_t max_event;
	long events;
	int stop_after;
	int stop_with;
} run;

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_sse: %s\n", why);
	abort();
}

static void log_event(run *r, const char *d, size_t len)
{
	mech_buf_putc(&r->log, 'E');
	mech_buf_put(&r->log, &len, sizeof(len));
	mech_buf_put(&r->log, d, len);
}

static int on_event(const char *d, size_t len, void *ctx)
{
	run *r = ctx;
	if (len > r->max_event)
		fail("an event outgrew the ceiling");
	if (d[len] != '\0')
		fail("an event is not NUL-terminated");
	log_event(r, d, len);
	r->events++;
	return r->stop_after && r->events >= r->stop_after ? r->stop_with : 0;
}

static void on_keepalive(void *ctx)
{
	mech_buf_putc(&((run *)ctx)->log, 'K');
}

static void log_end(run *r, int overflow, int stopped, int pending)
{
	mech_buf_printf(&r->log, "|overflow=%d stopped=%d pending=%d", overflow, stopped, pending);
}

/* The parser, fed in pieces of 1..piece bytes (0 = one piece). */
static void parse(run *r, const uint8_t *s, size_t n, unsigned piece, unsigned seed)
{
	mech_sse_opts o = {0};
	mech_sse_parser p;
	size_t off = 0;
	int rc = 0;

	o.on_event = on_event;
	o.on_keepalive = on_keepalive;
	o.ctx = r;
	o.max_event = r->max_event;
	mech_sse_parser_init(&p, &o);
	while (off < n && rc == 0) {
		size_t len = n - off;
		if (piece) {
			seed = seed * 1103515245u + 12345u;
			if (len > 1 + (seed >> 16) % piece)
				len = 1 + (seed >> 16) % piece;
		}
		rc = mech_sse_parser_feed(&p, (const char *)s + off, len);
		off += len;
	}
	if ((rc != 0) != (p.overflow || p.stopped))
		fail("feed's answer disagrees with overflow/stopped");
	if (p.overflow && p.stopped)
		fail("both overflow and stopped");
	if (p.stopped && p.stopped != r->stop_with)
		fail("stopped is not the callback's answer");
	if (p.events != r->events)
		fail("events counted differently");
	if (rc) {
		size_t before = r->log.len;
		/* a stopped parser stays stopped and calls nothing */
		if (mech_sse_parser_feed(&p, "data: x\n\n:\n", 11) == 0 || r->log.len != before)
			fail("a stopped parser went on");
	}
	log_end(r, p.overflow, p.stopped, rc ? 0 : mech_sse_parser_pending(&p));
	mech_sse_parser_dispose(&p);
}

/* The rules again, one whole line at a time, with plain buffers. */
static void model(run *r, const uint8_t *s, size_t n)
{
	const char *p = (const char *)s, *end = p + n;
	mech_buf ev = MECH_BUF_INIT;
	int has_data = 0, overflow = 0, stopped = 0, pending;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		if (len > r->max_event) { /* the line itself is too long */
			overflow = 1;
			break;
		}
		if (!nl)
			break; /* a partial line: pending */
		if (len && p[len - 1] == '\r')
			len--;
		if (len == 0) {
			if (has_data) {
				int rc;
				log_event(r, ev.ptr ? ev.ptr : "", ev.len);
				r->events++;
				rc = r->stop_after && r->events >= r->stop_after ? r->stop_with : 0;
				if (rc) {
					stopped = rc;
					break;
				}
			}
			mech_buf_clear(&ev);
			has_data = 0;
		} else if (p[0] == ':') {
			mech_buf_putc(&r->log, 'K');
		} else if (len >= 4 && !memcmp(p, "data", 4) && (len == 4 || p[4] == ':')) {
			const char *v = len > 4 ? p + 5 : p + 4;
			size_t vl = len > 4 ? len - 5 : 0;
			if (vl && *v == ' ') {
				v++;
				vl--;
			}
			if (ev.len + (has_data ? 1 : 0) + vl > r->max_event) {
				overflow = 1;
				break;
			}
			if (has_data)
				mech_buf_putc(&ev, '\n');
			mech_buf_put(&ev, v, vl);
			has_data = 1;
		}
		p = nl + 1;
	}
	pending = !overflow && !stopped && (p < end || has_data);
	log_end(r, overflow, stopped, pending);
	mech_buf_dispose(&ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run pieces = {MECH_BUF_INIT}, whole = {MECH_BUF_INIT}, rules = {MECH_BUF_INIT};
	const uint8_t *s = data + 4;
	size_t n = size - 4;

	if (size < 4)
		return 0;
	pieces.max_event = ceilings[data[0] & 3];
	pieces.stop_after = data[1] & 15;
	pieces.stop_with = data[1] & 0x40 ? -1 : 1;
	whole.max_event = rules.max_event = pieces.max_event;
	whole.stop_after = rules.stop_after = pieces.stop_after;
	whole.stop_with = rules.stop_with = pieces.stop_with;

	parse(&pieces, s, n, data[2] & 63, data[3]);
	parse(&whole, s, n, 0, 0);
	model(&rules, s, n);
	if (pieces.log.len != whole.log.len || memcmp(pieces.log.ptr, whole.log.ptr, whole.log.len))
		fail("feeding in pieces changed what was parsed");
	if (rules.log.len != whole.log.len || memcmp(rules.log.ptr, whole.log.ptr, whole.log.len))
		fail("the parser disagrees with the line-at-a-time model");
	mech_buf_dispose(&pieces.log);
	mech_buf_dispose(&whole.log);
	mech_buf_dispose(&rules.log);
	mech_error_clear();
	return 0;
}
