/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_BUF_H
#define MECH_BUF_H

#include <stdarg.h>
#include <stddef.h>

/**
 * A growable byte buffer, always NUL-terminated, with an optional ceiling
 * (`max`, 0 = none) so data from outside cannot grow it without bound.
 * Appends past the ceiling, or of a size that would not fit in size_t, fail
 * with -1 and leave the buffer as it was. A `secret` buffer (a token, a
 * password, key material) wipes its storage before it is moved or freed.
 */
typedef struct mech_buf {
	char *ptr;
	size_t len;
	size_t cap;
	size_t max;
	int secret;
} mech_buf;

#define MECH_BUF_INIT                                                                              \
	{                                                                                          \
		NULL, 0, 0, 0, 0                                                                   \
	}
#define MECH_BUF_SECRET_INIT                                                                       \
	{                                                                                          \
		NULL, 0, 0, 0, 1                                                                   \
	}

/** Room for `extra` more bytes (and the NUL); -1 past the ceiling or on size overflow. */
int mech_buf_grow(mech_buf *b, size_t extra);
int mech_buf_put(mech_buf *b, const void *data, size_t len);
int mech_buf_puts(mech_buf *b, const char *s);
int mech_buf_putc(mech_buf *b, char c);
int mech_buf_printf(mech_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int mech_buf_vprintf(mech_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/** The contents as a C string ("" when empty); borrowed. */
const char *mech_buf_cstr(const mech_buf *b);
/**
 * Hand the storage to the caller (free() it; mech_secret_free() a secret
 * buffer's); the buffer is reset.
 */
char *mech_buf_detach(mech_buf *b);
void mech_buf_clear(mech_buf *b);
void mech_buf_dispose(mech_buf *b);

/**
 * The fields of mech's text cache files (the app cache, the commit briefs):
 * mech_buf_put_field() appends a space and `s`, where `\s`, `\n` and `\\`
 * stand for a space, a newline and a backslash, `\e` for the empty string,
 * a lone `-` for NULL and `\-` for a leading dash; mech_fields_split() cuts
 * a line (without its newline) into at most `max` such fields, unescaped in
 * place (NULL for `-`), and returns how many.
 */
void mech_buf_put_field(mech_buf *b, const char *s);
size_t mech_fields_split(char *line, char **f, size_t max);

/** Write all `n` bytes to `fd`, retrying short writes and EINTR. 0, or -1 with errno. */
int mech_write_all(int fd, const void *p, size_t n);

/**
 * fsync() each of the `n` files `fds` (n <= MECH_FSYNC_MAX), all at once: one
 * on the calling thread, the others each on a thread of its own, so that
 * the disk works on them together instead of one after another (on this
 * project's 2-CPU machine three flushes take about 0.6 of what they take in
 * turn: bench/RESULTS.md, issue 19). Every file is flushed as fsync() alone
 * flushes it; a thread that cannot be started leaves its file to the
 * calling thread. 0, or -1 with the errno of the first that failed.
 */
int mech_fsync_all(const int *fds, size_t n);
#define MECH_FSYNC_MAX 8

/** Read a whole file, refusing files larger than `max` bytes (0 = no limit). */
int mech_buf_read_file(mech_buf *b, const char *path, size_t max);
/** Write `len` bytes to `path` atomically: temp file in the same dir, fsync, rename. */
int mech_file_write_atomic(const char *path, const void *data, size_t len, int mode);
/** The same, but an existing file keeps its mode (`mode` is for a new one). */
int mech_file_replace(const char *path, const void *data, size_t len, int mode);
/** The same without fsync, for caches that can be rebuilt (a crash loses nothing). */
int mech_file_write_cache(const char *path, const void *data, size_t len, int mode);

/** A growable array of owned strings. */
typedef struct {
	char **items;
	size_t len;
	size_t cap;
} mech_strv;

#define MECH_STRV_INIT                                                                             \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void mech_strv_push(mech_strv *v, const char *s);
void mech_strv_pushf(mech_strv *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int mech_strv_contains(const mech_strv *v, const char *s);
void mech_strv_sort(mech_strv *v);
void mech_strv_dispose(mech_strv *v);

/**
 * An arena: many small allocations that live and die together (one walk's
 * paths and per-commit lists), taken from a few large blocks instead of
 * one malloc() each, and freed at once by mech_arena_dispose(). A block
 * is never moved, so a pointer stays valid until then.
 */
typedef struct mech_arena_block mech_arena_block;
typedef struct {
	mech_arena_block *head; /* the block being filled, then the ones before it */
} mech_arena;

#define MECH_ARENA_INIT                                                                            \
	{                                                                                          \
		NULL                                                                               \
	}

/** `n` bytes (uninitialized), aligned for any type; fatal on out-of-memory. */
void *mech_arena_alloc(mech_arena *a, size_t n);
/** A NUL-terminated copy of the `n` bytes at `s`. */
char *mech_arena_strndup(mech_arena *a, const char *s, size_t n);
/** Free every allocation of the arena; it can be used again. */
void mech_arena_dispose(mech_arena *a);

/*
 * Out of memory, or a size that does not fit in size_t, is fatal: mech
 * calls the hook a front end registered (the console restores the
 * terminal, as htop does), prints "mech: fatal: <why>" on stderr and
 * aborts. Every allocation helper below goes through mech_fatal.
 */
typedef void (*mech_fatal_hook)(void);
/** Register the hook (NULL: none); returns the previous one. */
mech_fatal_hook mech_fatal_set_hook(mech_fatal_hook hook);
_Noreturn void mech_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** strdup that is fatal on out-of-memory. */
char *mech_strdup(const char *s);
char *mech_strndup(const char *s, size_t n);
/** asprintf that is fatal on out-of-memory. */
char *mech_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** mech_sprintf with a va_list. Caller frees. */
char *mech_vsprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
void *mech_calloc(size_t n, size_t size);
void *mech_realloc(void *p, size_t size);
/** realloc of `n` elements of `size` bytes; fatal when n × size overflows. */
void *mech_reallocarray(void *p, size_t n, size_t size);
/**
 * The capacity of a growing array that must hold `need` elements of `size`
 * bytes: `cap` (or `first` when 0) doubled until it does; fatal when `need`
 * elements cannot be addressed.
 */
size_t mech_grow_cap(size_t cap, size_t need, size_t first, size_t size);
/** Wipe a string that held a token, a password or key material, then free it. */
void mech_secret_free(char *s);
/** Create a directory and its parents (mode 0755 unless given). */
int mech_mkdir_p(const char *path, int mode);
/**
 * Remove a directory and everything below it (symbolic links are not
 * followed). -1 with errno set; the last error is left alone.
 */
int mech_remove_tree(const char *path);

/*
 * base64 (RFC 4648), nettle's. Encoding is padded, standard alphabet.
 * Decoding has two modes:
 *   STRICT   padded and canonical: nothing but the standard alphabet, a
 *            length that is a multiple of 4, zero padding bits, so each
 *            value has exactly one spelling, the one mech_base64 gives
 *            (keys, fingerprints, signatures);
 *   LENIENT  also the URL alphabet ('-' and '_', §5) and the padding left
 *            out, as Kubernetes and Go encoders write Secret data; a
 *            padding that is there must be whole, and the padding bits zero.
 * Neither skips white space.
 */

/** Padded base64 of `len` bytes. Caller frees. */
char *mech_base64(const void *data, size_t len);

typedef enum {
	MECH_BASE64_OK = 0,
	MECH_BASE64_UNPADDED = -1,     /* length not a multiple of 4 (or empty), or impossible */
	MECH_BASE64_ALPHABET = -2,     /* a byte outside the alphabet */
	MECH_BASE64_NONCANONICAL = -3, /* stray or partial '=', or padding bits set */
	MECH_BASE64_TOO_LARGE = -4     /* the decoded bytes would pass out's ceiling */
} mech_base64_status;

typedef enum { MECH_BASE64_STRICT, MECH_BASE64_LENIENT } mech_base64_mode;

/** Decode `len` bytes of `s` onto `out`; on failure `out` keeps its contents. */
mech_base64_status mech_base64_decode(const char *s, size_t len, mech_base64_mode mode,
				      mech_buf *out);
/** mech_base64_decode in the STRICT mode. */
mech_base64_status mech_unbase64(const char *s, size_t len, mech_buf *out);

#endif
