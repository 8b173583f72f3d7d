#ifndef MECH_BUF_H
#define MECH_BUF_H

#include <stdarg.h>
#include <stddef.h>

/**
 * A growable byte buffer, always NUL-terminated, with an optional ceiling
 * (`max`, 0 = none) so data from outside cannot grow it without bound.
 * Appends past the ceiling fail with -1 and leave the buffer as it was.
 */
typedef struct {
	char *ptr;
	size_t len;
	size_t cap;
	size_t max;
} mech_buf;

#define MECH_BUF_INIT {NULL, 0, 0, 0}

int mech_buf_grow(mech_buf *b, size_t extra);
int mech_buf_put(mech_buf *b, const void *data, size_t len);
int mech_buf_puts(mech_buf *b, const char *s);
int mech_buf_putc(mech_buf *b, char c);
int mech_buf_printf(mech_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int mech_buf_vprintf(mech_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/** The contents as a C string ("" when empty); borrowed. */
const char *mech_buf_cstr(const mech_buf *b);
/** Hand the storage to the caller (free() it); the buffer is reset. */
char *mech_buf_detach(mech_buf *b);
void mech_buf_clear(mech_buf *b);
void mech_buf_dispose(mech_buf *b);

/** Read a whole file, refusing files larger than `max` bytes (0 = no limit). */
int mech_buf_read_file(mech_buf *b, const char *path, size_t max);
/** Write `len` bytes to `path` atomically: temp file in the same dir, fsync, rename. */
int mech_file_write_atomic(const char *path, const void *data, size_t len, int mode);
/** The same without fsync, for caches that can be rebuilt (a crash loses nothing). */
int mech_file_write_cache(const char *path, const void *data, size_t len, int mode);

/** A growable array of owned strings. */
typedef struct {
	char **items;
	size_t len;
	size_t cap;
} mech_strv;

#define MECH_STRV_INIT {NULL, 0, 0}

void mech_strv_push(mech_strv *v, const char *s);
void mech_strv_pushf(mech_strv *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int mech_strv_contains(const mech_strv *v, const char *s);
void mech_strv_sort(mech_strv *v);
void mech_strv_dispose(mech_strv *v);

/** strdup that aborts on out-of-memory. */
char *mech_strdup(const char *s);
char *mech_strndup(const char *s, size_t n);
/** asprintf that aborts on out-of-memory. */
char *mech_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *mech_calloc(size_t n, size_t size);
void *mech_realloc(void *p, size_t size);
/** Create a directory and its parents (mode 0755 unless given). */
int mech_mkdir_p(const char *path, int mode);
/**
 * Remove a directory and everything below it (symbolic links are not
 * followed). -1 with errno set; the last error is left alone.
 */
int mech_remove_tree(const char *path);

/** Padded base64 (RFC 4648 §4) of `len` bytes. Caller frees. */
char *mech_base64(const void *data, size_t len);
/*
 * Decode base64 that is padded and canonical (nothing but the alphabet, zero
 * padding bits: exactly what mech_base64 gives back) onto `out`.
 */
typedef enum {
	MECH_BASE64_OK = 0,
	MECH_BASE64_UNPADDED = -1, /* length not a multiple of 4 (or empty) */
	MECH_BASE64_ALPHABET = -2, /* a byte outside the alphabet */
	MECH_BASE64_NONCANONICAL = -3 /* stray '=' or padding bits set */
} mech_base64_status;
mech_base64_status mech_unbase64(const char *s, size_t len, mech_buf *out);

#endif
