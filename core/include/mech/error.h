/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_ERROR_H
#define MECH_ERROR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct mech_buf;

/*
 * The error table: one row per outcome a user can see. The exit code is
 * the contract (DESIGN §6); the JSON code is its snake_case name.
 *   name, exit, json code, what it means
 */
#define MECH_ERROR_INFO(_)                                                                         \
	_(OK, 0, "ok", "done")                                                                     \
	_(FAILED, 1, "failed", "failed")                                                           \
	_(PENDING, 2, "pending", "pending: a wait timed out while still progressing")              \
	_(REFUSED, 3, "write_refused", "refused by write policy")                                  \
	_(NOT_FOUND, 4, "not_found", "not found")                                                  \
	_(USAGE, 64, "usage", "usage error")                                                       \
	_(INVALID, 65, "invalid", "invalid value")                                                 \
	_(EXISTS, 65, "exists", "exists with other settings: change them with their own verb")     \
	_(UNAVAILABLE, 69, "unavailable", "upstream unavailable")                                  \
	_(MAYBE_LANDED, 69, "outcome_unknown",                                                     \
	  "upstream unavailable after a push: the write may have landed")                          \
	_(CONTENTION, 75, "contention", "temporary: write contention, safe to retry")              \
	_(FORBIDDEN, 77, "forbidden", "forbidden")                                                 \
	_(CONFIG, 78, "config", "configuration error")

typedef enum {
#define MECH__ENUM(name, exit, json, msg) MECH_E##name,
	MECH_ERROR_INFO(MECH__ENUM)
#undef MECH__ENUM
		MECH_E__COUNT
} mech_error_code;

/** One human-authored change that blocks a write (DESIGN §5). */
typedef struct {
	char *path;
	char *commit; /* full sha */
	char *author; /* "Name <email>" */
	char *date;   /* ISO 8601 UTC */
	char *subject;
} mech_conflict;

typedef struct {
	mech_error_code code;
	char *message;
	char *hint;
	mech_conflict *conflicts;
	size_t nconflicts;
} mech_error;

/** Exit code of an error code. */
int mech_error_exit(mech_error_code code);
/** JSON code ("not_found", …) of an error code. */
const char *mech_error_name(mech_error_code code);
/** Short description of an error code. */
const char *mech_error_describe(mech_error_code code);

/** Set the thread's last error; returns -1 so callers can `return mech_error_set(…)`. */
int mech_error_set(mech_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/**
 * The thread's last error, moved out (the thread's is cleared); NULL when
 * there is none. For an error met on a worker thread: the caller's thread
 * makes it its own with mech_error_restore.
 */
mech_error *mech_error_take(void);
/** Make `e` (from mech_error_take, freed here) the thread's last error. Returns -1. */
int mech_error_restore(mech_error *e);
/** Free an error from mech_error_take that is not restored; NULL is a no-op. */
void mech_error_free(mech_error *e);
/** Attach a hint ("what to do") to the last error. Returns -1. */
int mech_error_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Append a conflict to the last error. */
void mech_error_add_conflict(const char *path, const char *commit, const char *author,
			     const char *date, const char *subject);
/** Wrap the last libgit2 error with context: "<what>: <libgit2 message>". Returns -1. */
int mech_error_git(mech_error_code code, const char *what);
/** Bytes of an outside value a message shows; a longer value is cut and ends in "...". */
#define MECH_ESCAPE_MAX 80
/** Room for an escaped value: each byte may become \xNN, then "..." and the NUL. */
#define MECH_ESCAPE_SIZE (4 * MECH_ESCAPE_MAX + 4)

/**
 * A value from outside (argv, an SSH command, a file, Git, an HTTP answer)
 * as it may appear inside one line of a message, e.g. between the quotes of
 * `invalid --tag "%s"`: printable ASCII stays, `"` and `\` become \" and \\,
 * every other byte becomes \xNN (control characters, DEL, and everything
 * beyond ASCII: invalid UTF-8, look-alike and bidirectional characters), so
 * a hostile value can neither forge output lines nor pose as another name.
 * Only the first MECH_ESCAPE_MAX bytes are shown. Writes `out` and returns
 * it; a NULL `s` is "".
 */
const char *mech_error_escape(char out[MECH_ESCAPE_SIZE], const char *s);
/** The same for `len` bytes of `s` (which need not be NUL-terminated). */
const char *mech_error_escape_n(char out[MECH_ESCAPE_SIZE], const char *s, size_t len);

/*
 * The one escaping rule for text from outside (Git paths, messages and
 * authors; Argo CD and Kubernetes strings; directory names) on its way to a
 * terminal: a byte a terminal would act on instead of showing becomes
 * \xNN, as git's core.quotePath turns it into \NNN. Those are C0 controls
 * (ESC starts `ESC[2J` and OSC 52), DEL, invalid UTF-8, and the characters
 * that are controls although valid UTF-8: C1 (U+0080-U+009F, 0x9b is a
 * CSI) and the bidirectional overrides and isolates, which reorder what
 * follows. Printable UTF-8 stays as it is.
 */
#define MECH_ESCAPE_QUOTED 1u /* `"` and `\` become \" and \\ (a value between quotes) */
#define MECH_ESCAPE_ASCII 2u  /* every byte beyond ASCII too (look-alike names) */
#define MECH_ESCAPE_LINES 4u  /* newline and tab stay (a multi-line body, a table) */

/** Append `len` bytes of `s`, escaped by `flags`, to `out`. */
void mech_escape(struct mech_buf *out, const char *s, size_t len, unsigned flags);

/**
 * The valid UTF-8 character at `s` (at most `len` bytes): its length, and
 * its code point in `cp`; 0 when the bytes are not one (overlong, a
 * surrogate, beyond U+10FFFF, cut short).
 */
size_t mech_utf8_char(const char *s, size_t len, uint32_t *cp);

/** Is `cp` a character a terminal acts on (see mech_escape), not one it shows? */
int mech_char_is_control(uint32_t cp);

/**
 * JSON text as mech prints it: valid UTF-8 whatever the strings held. An
 * invalid byte becomes \ufffd (it can only be inside a string: JSON's own
 * syntax is ASCII), and DEL, C1 and bidirectional controls become \u escapes,
 * so the same text cat'ed to a terminal is as safe as mech's text output.
 */
void mech_json_clean(struct mech_buf *out, const char *json, size_t len);
/**
 * mech_json_clean's text written to f a piece at a time, each ending
 * before an ASCII byte so that no character is cut: the same bytes, without
 * a copy of the whole (`app list --json` is 8 MB at 10,000 apps).
 */
void mech_json_clean_write(FILE *f, const char *json, size_t len);

/** The thread's last error, or NULL if none. Borrowed. */
const mech_error *mech_error_last(void);
void mech_error_clear(void);

/**
 * The candidate a mistyped `word` most likely meant (edit distance under 4,
 * the shorter on a tie, else one it is a prefix of), or NULL. Borrowed from
 * `cands`. The one "did you mean" rule: commands, flags and names use it.
 */
const char *mech_suggest(const char *word, const char *const *cands, size_t n);

#endif
