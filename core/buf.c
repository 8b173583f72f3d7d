#include "mech/buf.h"
#include "mech/error.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void *mech_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		abort();
	return p;
}

void *mech_realloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);
	if (!q)
		abort();
	return q;
}

char *mech_strdup(const char *s)
{
	return mech_strndup(s ? s : "", strlen(s ? s : ""));
}

char *mech_strndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (!d)
		abort();
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *mech_sprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

int mech_buf_grow(mech_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1, cap;
	if (b->max && b->len + extra > b->max)
		return -1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->ptr = mech_realloc(b->ptr, cap);
	b->cap = cap;
	return 0;
}

int mech_buf_put(mech_buf *b, const void *data, size_t len)
{
	if (mech_buf_grow(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int mech_buf_puts(mech_buf *b, const char *s)
{
	return mech_buf_put(b, s, strlen(s));
}

int mech_buf_putc(mech_buf *b, char c)
{
	return mech_buf_put(b, &c, 1);
}

int mech_buf_vprintf(mech_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0 || mech_buf_grow(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int mech_buf_printf(mech_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;
	va_start(ap, fmt);
	rc = mech_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

const char *mech_buf_cstr(const mech_buf *b)
{
	return b->ptr ? b->ptr : "";
}

char *mech_buf_detach(mech_buf *b)
{
	char *p = b->ptr ? b->ptr : mech_strdup("");
	b->ptr = NULL;
	b->len = b->cap = 0;
	return p;
}

void mech_buf_clear(mech_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

void mech_buf_dispose(mech_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

int mech_buf_read_file(mech_buf *b, const char *path, size_t max)
{
	char chunk[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return mech_error_set(errno == ENOENT ? MECH_ENOT_FOUND : MECH_EFAILED,
				      "cannot read %s: %s", path, strerror(errno));
	/* one allocation of the right size: doubling would hold up to twice a
	 * large file (the last-writer index) and copy it on every step */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (!max || (size_t)st.st_size <= max) && b->cap < b->len + (size_t)st.st_size + 2) {
		b->cap = b->len + (size_t)st.st_size + 2; /* + NUL, + one byte to see EOF */
		b->ptr = mech_realloc(b->ptr, b->cap);
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (max && b->len + (size_t)n > max) {
			close(fd);
			return mech_error_set(MECH_EINVALID, "%s is larger than %zu bytes", path,
					      max);
		}
		mech_buf_put(b, chunk, (size_t)n);
	}
	close(fd);
	if (n < 0)
		return mech_error_set(MECH_EFAILED, "cannot read %s: %s", path, strerror(errno));
	if (!b->ptr)
		mech_buf_put(b, "", 0);
	return 0;
}

static int write_file(const char *path, const void *data, size_t len, int mode, int durable)
{
	char *tmp = mech_sprintf("%s.tmp.%ld", path, (long)getpid());
	const char *p = data;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode ? mode : 0644);
	if (fd < 0) {
		mech_error_set(MECH_EFAILED, "cannot write %s: %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			mech_error_set(MECH_EFAILED, "cannot write %s: %s", path, strerror(errno));
			close(fd);
			unlink(tmp);
			free(tmp);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	if ((durable && fsync(fd) < 0) || close(fd) < 0 || rename(tmp, path) < 0) {
		mech_error_set(MECH_EFAILED, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

int mech_file_write_atomic(const char *path, const void *data, size_t len, int mode)
{
	return write_file(path, data, len, mode, 1);
}

int mech_file_write_cache(const char *path, const void *data, size_t len, int mode)
{
	return write_file(path, data, len, mode, 0);
}

void mech_strv_push(mech_strv *v, const char *s)
{
	if (v->len == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 8;
		v->items = mech_realloc(v->items, v->cap * sizeof(*v->items));
	}
	v->items[v->len++] = mech_strdup(s);
}

void mech_strv_pushf(mech_strv *v, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	mech_strv_push(v, s);
	free(s);
}

int mech_strv_contains(const mech_strv *v, const char *s)
{
	size_t i;
	for (i = 0; i < v->len; i++)
		if (!strcmp(v->items[i], s))
			return 1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void mech_strv_sort(mech_strv *v)
{
	if (v->len > 1)
		qsort(v->items, v->len, sizeof(*v->items), cmp_str);
}

void mech_strv_dispose(mech_strv *v)
{
	size_t i;
	for (i = 0; i < v->len; i++)
		free(v->items[i]);
	free(v->items);
	v->items = NULL;
	v->len = v->cap = 0;
}

int mech_mkdir_p(const char *path, int mode)
{
	char *p = mech_strdup(path), *s;
	int rc = 0;
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode ? mode : 0755) < 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (mkdir(p, mode ? mode : 0755) < 0 && errno != EEXIST)
		rc = -1;
	if (rc < 0)
		mech_error_set(MECH_EFAILED, "cannot create directory %s: %s", path, strerror(errno));
	free(p);
	return rc;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

int mech_remove_tree(const char *path)
{
	return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT ? -1 : 0;
}

static const char base64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *mech_base64(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = mech_calloc(4 * ((len + 2) / 3) + 1, 1), *o = out;
	size_t i;
	for (i = 0; i + 2 < len; i += 3, o += 4) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		o[0] = base64_alphabet[v >> 18];
		o[1] = base64_alphabet[(v >> 12) & 63];
		o[2] = base64_alphabet[(v >> 6) & 63];
		o[3] = base64_alphabet[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
		o[0] = base64_alphabet[v >> 18];
		o[1] = base64_alphabet[(v >> 12) & 63];
		o[2] = i + 1 < len ? base64_alphabet[(v >> 6) & 63] : '=';
		o[3] = '=';
	}
	return out;
}

mech_base64_status mech_unbase64(const char *s, size_t len, mech_buf *out)
{
	size_t i, pad = 0;
	uint32_t acc = 0;

	if (len == 0 || len % 4 != 0)
		return MECH_BASE64_UNPADDED;
	if (s[len - 1] == '=')
		pad = s[len - 2] == '=' ? 2 : 1;
	for (i = 0; i < len - pad; i++) {
		const char *at = s[i] ? strchr(base64_alphabet, s[i]) : NULL;
		if (!at)
			return s[i] == '=' ? MECH_BASE64_NONCANONICAL : MECH_BASE64_ALPHABET;
		acc = (acc << 6) | (uint32_t)(at - base64_alphabet);
		if (i % 4 == 3) {
			unsigned char c[3] = {(unsigned char)(acc >> 16), (unsigned char)(acc >> 8),
					      (unsigned char)acc};
			mech_buf_put(out, c, 3);
			acc = 0;
		}
	}
	/* the bits below the last whole byte must be zero: one spelling per value */
	if ((pad == 1 && (acc & 3)) || (pad == 2 && (acc & 15)))
		return MECH_BASE64_NONCANONICAL;
	if (pad == 1) {
		unsigned char c[2] = {(unsigned char)(acc >> 10), (unsigned char)(acc >> 2)};
		mech_buf_put(out, c, 2);
	} else if (pad == 2) {
		unsigned char c = (unsigned char)(acc >> 4);
		mech_buf_put(out, &c, 1);
	}
	return MECH_BASE64_OK;
}
