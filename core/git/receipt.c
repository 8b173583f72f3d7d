/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The receipt grammar: formatting, parsing and classification. This file
 * is the one place that knows what a mech commit message looks like.
 */
#include "mech/receipt.h"
#include "mech/buf.h"
#include "mech/error.h"
#include "mech/random.h"
#include "mech/sign.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SUBJECT_PREFIX "mechanics("

static const char *const class_names[] = {"none", "machine", "human", "forced"};

const char *mech_class_name(mech_class cls)
{
	return cls <= MECH_CLASS_FORCED ? class_names[cls] : "none";
}

int mech_class_parse(const char *s, mech_class *out)
{
	char q[MECH_ESCAPE_SIZE];
	int i;
	for (i = MECH_CLASS_MACHINE; i <= MECH_CLASS_FORCED; i++) {
		if (!strcmp(s, class_names[i])) {
			*out = (mech_class)i;
			return 0;
		}
	}
	return mech_error_set(MECH_EINVALID,
			      "invalid --class \"%s\": expected machine, human or forced",
			      mech_error_escape(q, s));
}

/* <noun>.<verb>: lower-case words of letters, digits and '-' joined by dots. */
static int valid_verb_id(const char *s, size_t n)
{
	size_t i, dots = 0;
	if (!n || !islower((unsigned char)s[0]))
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (i + 1 == n || s[i + 1] == '.')
				return 0;
			dots++;
		} else if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) &&
			   s[i] != '-') {
			return 0;
		}
	}
	return dots >= 1;
}

char *mech_receipt_format(const char *verb, const char *summary, const char *body,
			  const char *tenant, const char *target, const char *request,
			  const mech_forced_over *forced, size_t nforced)
{
	mech_buf b = MECH_BUF_INIT;
	size_t prefix, room, slen, i;

	mech_buf_printf(&b, "%s%s): ", SUBJECT_PREFIX, verb);
	prefix = b.len;
	room = prefix < MECH_SUBJECT_MAX ? MECH_SUBJECT_MAX - prefix : 0;
	slen = strcspn(summary, "\n");
	if (slen > room) {
		/* keep the subject within 72 characters, marking the cut, and never
		 * split a UTF-8 sequence */
		size_t cut = room > 3 ? room - 3 : 0;
		while (cut > 0 && ((unsigned char)summary[cut] & 0xc0) == 0x80)
			cut--;
		mech_buf_put(&b, summary, cut);
		mech_buf_puts(&b, "...");
	} else {
		mech_buf_put(&b, summary, slen);
	}
	mech_buf_puts(&b, "\n\n");
	if (body && *body) {
		mech_buf_puts(&b, body);
		if (b.ptr[b.len - 1] != '\n')
			mech_buf_putc(&b, '\n');
		mech_buf_putc(&b, '\n');
	}
	mech_buf_printf(&b, "Mechanics-Verb: %s\n", verb);
	mech_buf_printf(&b, "Mechanics-Tenant: %s\n", tenant);
	mech_buf_printf(&b, "Mechanics-Target: %s\n", target);
	mech_buf_printf(&b, "Mechanics-Request: %s\n", request);
	for (i = 0; i < nforced; i++)
		mech_buf_printf(&b, "Mechanics-Forced-Over: %s %s\n", forced[i].commit,
				forced[i].path);
	return mech_buf_detach(&b);
}

static char *trailer_value(const char *line, size_t len, const char *key)
{
	size_t k = strlen(key);
	if (len <= k + 1 || strncmp(line, key, k) || line[k] != ':')
		return NULL;
	line += k + 1;
	len -= k + 1;
	while (len && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\r'))
		len--;
	return mech_strndup(line, len);
}

static void parse_forced(mech_receipt *r, const char *v)
{
	const char *sp = strchr(v, ' ');
	mech_forced_over *f;
	size_t i;
	if (!sp || sp - v != GIT_OID_HEXSZ || !sp[1])
		return;
	for (i = 0; i < GIT_OID_HEXSZ; i++)
		if (!isxdigit((unsigned char)v[i]))
			return;
	r->forced = mech_reallocarray(r->forced, r->nforced + 1, sizeof(*r->forced));
	f = &r->forced[r->nforced++];
	memcpy(f->commit, v, GIT_OID_HEXSZ);
	f->commit[GIT_OID_HEXSZ] = '\0';
	f->path = mech_strdup(sp + 1);
}

void mech_receipt_parse(const char *message, mech_receipt *r)
{
	const char *p = message ? message : "", *nl, *close;
	size_t len;
	memset(r, 0, sizeof(*r));

	len = strcspn(p, "\n");
	if (!strncmp(p, SUBJECT_PREFIX, strlen(SUBJECT_PREFIX)) &&
	    (close = memchr(p, ')', len)) != NULL && close + 2 <= p + len && close[1] == ':' &&
	    close[2] == ' ' && len <= MECH_SUBJECT_MAX) {
		const char *v = p + strlen(SUBJECT_PREFIX);
		if (valid_verb_id(v, (size_t)(close - v)) && close + 3 < p + len) {
			r->verb = mech_strndup(v, (size_t)(close - v));
			r->summary = mech_strndup(close + 3, (size_t)(p + len - close - 3));
		}
	}
	/* trailers live in the last paragraph, as git reads them: a body that
	 * quotes trailer lines (a revert message) does not make a receipt */
	p += len;
	{
		const char *end = p + strlen(p), *para, *q;
		while (end > p && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\r'))
			end--;
		/* the last paragraph starts after the last blank line ("" or "\r") */
		para = p;
		for (q = p; q < end; q++) {
			if (*q != '\n')
				continue;
			if (q + 1 < end && q[1] == '\n')
				para = q + 2;
			else if (q + 2 < end && q[1] == '\r' && q[2] == '\n')
				para = q + 3;
		}
		if (para == p) {
			/* no blank line after the subject: no trailer paragraph */
			return;
		}
		p = para;
	}
	while (*p) {
		char *v;
		if (*p == '\n')
			p++;
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		if ((v = trailer_value(p, len, "Mechanics-Verb")) && !r->trailer_verb)
			r->trailer_verb = v;
		else if (v)
			free(v);
		else if ((v = trailer_value(p, len, "Mechanics-Tenant")))
			(free(r->tenant), r->tenant = v);
		else if ((v = trailer_value(p, len, "Mechanics-Target")))
			(free(r->target), r->target = v);
		else if ((v = trailer_value(p, len, "Mechanics-Request")))
			(free(r->request), r->request = v);
		else if ((v = trailer_value(p, len, "Mechanics-Forced-Over"))) {
			parse_forced(r, v);
			free(v);
		}
		p += len;
	}
}

void mech_receipt_dispose(mech_receipt *r)
{
	size_t i;
	free(r->verb);
	free(r->summary);
	free(r->trailer_verb);
	free(r->tenant);
	free(r->target);
	free(r->request);
	for (i = 0; i < r->nforced; i++)
		free(r->forced[i].path);
	free(r->forced);
	memset(r, 0, sizeof(*r));
}

mech_class mech_receipt_classify(const git_commit *commit, const mech_config *cfg)
{
	const git_signature *c = git_commit_committer(commit);
	mech_receipt r;
	mech_class cls = MECH_CLASS_HUMAN;

	if (!c || !c->name || !c->email || strcmp(c->name, cfg->machine_name) ||
	    strcmp(c->email, cfg->machine_email))
		return MECH_CLASS_HUMAN;
	mech_receipt_parse(git_commit_message(commit), &r);
	if (r.verb && r.trailer_verb && !strcmp(r.verb, r.trailer_verb))
		cls = r.nforced ? MECH_CLASS_FORCED : MECH_CLASS_MACHINE;
	mech_receipt_dispose(&r);
	/* once the home signs, the grammar and identity can be imitated; a
	 * signature from one of the machine's keys cannot */
	if (cls != MECH_CLASS_HUMAN && mech_sign_enabled(cfg->home) &&
	    mech_sign_verify(cfg->home, git_commit_owner(commit), git_commit_id(commit)) != 1)
		cls = MECH_CLASS_HUMAN;
	return cls;
}

char *mech_request_id(void)
{
	char id[MECH_UUID_LEN + 1];
	if (mech_random_uuid(id) < 0)
		return NULL;
	return mech_strdup(id);
}

void mech_format_time(const git_time *t, char *buf, size_t len)
{
	time_t secs = (time_t)t->time;
	struct tm tm;
	gmtime_r(&secs, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
