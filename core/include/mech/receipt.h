/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_RECEIPT_H
#define MECH_RECEIPT_H

#include <git2.h>
#include <stddef.h>

#include "mech/config.h"

/*
 * Receipts: the commit grammar of DESIGN §5, and the classification of a
 * commit as machine, human or forced.
 *
 *   mechanics(<noun>.<verb>): <summary>
 *
 *   <body lines>
 *
 *   Mechanics-Verb: <noun>.<verb>
 *   Mechanics-Tenant: <tenant>
 *   Mechanics-Target: <target>
 *   Mechanics-Request: <uuid>
 *   Mechanics-Forced-Over: <sha> <path>      (zero or more)
 */

typedef enum {
	MECH_CLASS_NONE,
	MECH_CLASS_MACHINE,
	MECH_CLASS_HUMAN,
	MECH_CLASS_FORCED
} mech_class;

typedef struct {
	char commit[GIT_OID_HEXSZ + 1];
	char *path;
} mech_forced_over;

typedef struct {
	char *verb; /* from the subject, NULL if the subject does not parse */
	char *summary;
	char *trailer_verb;
	char *tenant;
	char *target;
	char *request;
	mech_forced_over *forced;
	size_t nforced;
} mech_receipt;

/** The last writer of a path: commit (zero when the path was never written) and its class. */
typedef struct {
	git_oid commit;
	mech_class cls;
} mech_writer;

#define MECH_SUBJECT_MAX 72

/** "machine" / "human" / "forced". */
const char *mech_class_name(mech_class cls);
int mech_class_parse(const char *s, mech_class *out);

/** Build a receipt message. The summary is cut so the subject stays within 72 characters. */
char *mech_receipt_format(const char *verb, const char *summary, const char *body,
			  const char *tenant, const char *target, const char *request,
			  const mech_forced_over *forced, size_t nforced);
/** Parse a commit message; never fails (fields stay NULL when absent). */
void mech_receipt_parse(const char *message, mech_receipt *out);
void mech_receipt_dispose(mech_receipt *r);

/** Classify a commit (DESIGN §5: committer is the machine AND grammar parses AND verbs agree). */
mech_class mech_receipt_classify(const git_commit *commit, const mech_config *cfg);

/**
 * A new random request id (UUID v4, mech/random.h). Caller frees; NULL with
 * the last error set when the kernel gives no random bytes: a receipt
 * without a unique request id is not written.
 */
char *mech_request_id(void);
/** "2026-11-26T21:30:00Z" for a git time. Writes into buf (≥ 21 bytes). */
void mech_format_time(const git_time *t, char *buf, size_t len);

#endif
