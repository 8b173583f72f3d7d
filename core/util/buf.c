/* SPDX-License-Identifier: Apache-2.0 */
#include "mech/buf.h"
#include "mech/error.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <nettle/base64.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- when mech cannot go on ---- */

static _Atomic(mech_fatal_hook) fatal_hook;

mech_fatal_hook mech_fatal_set_hook(mech_fatal_hook hook)
{
	return atomic_exchange(&fatal_hook, hook);
}

void mech_fatal(const char *fmt, ...)
{
	/* a fixed buffer and write(2): nothing here may need memory */
	char msg[512];
	va_list ap;
	int n;
	/* taken once: the first thread to fail restores the terminal, and a hook
	 * that fails in turn finds none */
	mech_fatal_hook hook = atomic_exchange(&fatal_hook, NULL);
	if (hook)
		hook();
	memcpy(msg, "mech: fatal: ", 13);
	va_start(ap, fmt);
	n = vsnprintf(msg + 13, sizeof(msg) - 14, fmt, ap);
	va_end(ap);
	n = n < 0 ? 13 : 13 + (n < (int)sizeof(msg) - 14 ? n : (int)sizeof(msg) - 15);
	msg[n++] = '\n';
	if (write(STDERR_FILENO, msg, (size_t)n) < 0) {
		/* nowhere left to say it */
	}
	abort();
}

static void out_of_memory(size_t size)
{
	mech_fatal("out of memory (%zu bytes)", size);
}

/* ---- allocation ---- */

void *mech_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		mech_fatal("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *mech_realloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);
	if (!q)
		out_of_memory(size);
	return q;
}

void *mech_reallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		mech_fatal("an array of %zu x %zu bytes does not fit in memory", n, size);
	return mech_realloc(p, n * size);
}

size_t mech_grow_cap(size_t cap, size_t need, size_t first, size_t size)
{
	size_t max = size ? SIZE_MAX / size : SIZE_MAX;
	if (need > max)
		mech_fatal("an array of %zu x %zu bytes does not fit in memory", need, size);
	if (!cap)
		cap = first ? first : 1;
	while (cap < need)
		cap = cap > max / 2 ? max : cap * 2;
	return cap;
}

/*
 * Blocks of ARENA_BLOCK bytes (or one of its own for a larger request):
 * past glibc's mmap threshold, so a walk's arena does not fragment the heap
 * that libgit2's object buffers come from.
 */
#define ARENA_BLOCK (256u * 1024)

struct mech_arena_block {
	mech_arena_block *next;
	size_t used, cap;
	max_align_t data[];
};

static void *arena_take(mech_arena *a, size_t n, size_t align)
{
	mech_arena_block *b = a->head;
	size_t at = b ? (b->used + align - 1) & ~(align - 1) : 0;
	if (!b || at > b->cap || n > b->cap - at) {
		size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
		if (cap > SIZE_MAX - sizeof(*b))
			mech_fatal("an arena block of %zu bytes does not fit in memory", n);
		b = malloc(sizeof(*b) + cap);
		if (!b)
			out_of_memory(sizeof(*b) + cap);
		b->cap = cap;
		b->used = 0;
		if (a->head && n > ARENA_BLOCK) {
			/* a large one: behind the block being filled, which goes on */
			b->next = a->head->next;
			a->head->next = b;
			b->used = n;
			return b->data;
		}
		b->next = a->head;
		a->head = b;
		at = 0;
	}
	b->used = at + n;
	return (char *)b->data + at;
}

void *mech_arena_alloc(mech_arena *a, size_t n)
{
	return arena_take(a, n, _Alignof(max_align_t));
}

char *mech_arena_strndup(mech_arena *a, const char *s, size_t n)
{
	char *p;
	if (n == SIZE_MAX)
		mech_fatal("a string of %zu bytes does not fit in memory", n);
	p = arena_take(a, n + 1, 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void mech_arena_dispose(mech_arena *a)
{
	while (a->head) {
		mech_arena_block *next = a->head->next;
		free(a->head);
		a->head = next;
	}
}

char *mech_strdup(const char *s)
{
	return mech_strndup(s ? s : "", strlen(s ? s : ""));
}

char *mech_strndup(const char *s, size_t n)
{
	char *d;
	if (n == SIZE_MAX)
		mech_fatal("a string of %zu bytes does not fit in memory", n);
	d = malloc(n + 1);
	if (!d)
		out_of_memory(n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *mech_vsprintf(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		mech_fatal("out of memory (formatting a string)");
	return s;
}

char *mech_sprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	s = mech_vsprintf(fmt, ap);
	va_end(ap);
	return s;
}

void mech_secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* ---- buffers ---- */

/* Move the contents to `cap` bytes; a secret buffer's old storage is wiped first. */
static void buf_realloc(mech_buf *b, size_t cap)
{
	if (b->secret && b->ptr) {
		char *p = mech_calloc(cap, 1);
		memcpy(p, b->ptr, b->len + 1 < b->cap ? b->len + 1 : b->cap);
		explicit_bzero(b->ptr, b->cap);
		free(b->ptr);
		b->ptr = p;
	} else {
		b->ptr = mech_realloc(b->ptr, cap);
	}
	b->cap = cap;
}

int mech_buf_grow(mech_buf *b, size_t extra)
{
	size_t need, cap;
	/* len + extra + 1 must fit: a size from outside must not wrap into a small one */
	if (extra > SIZE_MAX - 1 - b->len)
		return -1;
	if (b->max && b->len + extra > b->max)
		return -1;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	buf_realloc(b, cap);
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
	b->secret = 0;
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
	if (b->secret && b->ptr)
		explicit_bzero(b->ptr, b->cap);
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

int mech_buf_read_file(mech_buf *b, const char *path, size_t max)
{
	char chunk[8192];
	size_t len0 = b->len;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return mech_error_set(errno == ENOENT ? MECH_ENOT_FOUND : MECH_EFAILED,
				      "cannot read %s: %s", path, strerror(errno));
	/* one allocation of the right size: doubling would hold up to twice a
	 * large file (the last-writer index) and copy it on every step */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    (!max || (size_t)st.st_size <= max) && (size_t)st.st_size < SIZE_MAX / 2 - b->len &&
	    b->cap < b->len + (size_t)st.st_size + 2)
		buf_realloc(b, b->len + (size_t)st.st_size + 2); /* + NUL, + one byte to see EOF */
	for (;;) {
		/* straight into the room made above: one read(2) for a file that did not grow */
		size_t room = b->cap > b->len + 1 ? b->cap - b->len - 1 : 0;
		n = read(fd, room ? b->ptr + b->len : chunk, room ? room : sizeof(chunk));
		if (n <= 0)
			break;
		if ((max && b->len + (size_t)n > max) || (b->max && b->len + (size_t)n > b->max) ||
		    (!room && mech_buf_put(b, chunk, (size_t)n) < 0)) {
			/* the buffer as it was: nothing of the file is kept */
			if (room)
				b->len += (size_t)n;
			if (b->secret)
				explicit_bzero(b->ptr + len0, b->len - len0);
			b->len = len0;
			if (b->ptr)
				b->ptr[len0] = '\0';
			if (b->secret)
				explicit_bzero(chunk, sizeof(chunk));
			close(fd);
			return mech_error_set(MECH_EINVALID, "%s is larger than %zu bytes", path,
					      max ? max : b->max);
		}
		if (room) {
			b->len += (size_t)n;
			b->ptr[b->len] = '\0';
		}
	}
	if (b->secret)
		explicit_bzero(chunk, sizeof(chunk));
	close(fd);
	if (n < 0)
		return mech_error_set(MECH_EFAILED, "cannot read %s: %s", path, strerror(errno));
	if (!b->ptr)
		mech_buf_put(b, "", 0);
	return 0;
}

/* durable: fsync before the rename; keep: the file's mode stays what it was */
static int write_file(const char *path, const void *data, size_t len, int mode, int durable,
		      int keep)
{
	char *tmp = mech_sprintf("%s.tmp.%ld", path, (long)getpid());
	const char *p = data;
	struct stat st;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode ? mode : 0644);
	if (fd < 0) {
		mech_error_set(MECH_EFAILED, "cannot write %s: %s", path, strerror(errno));
		free(tmp);
		return -1;
	}
	if (keep && stat(path, &st) == 0 && fchmod(fd, st.st_mode & 07777) < 0) {
		mech_error_set(MECH_EFAILED, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
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
	return write_file(path, data, len, mode, 1, 0);
}

int mech_file_replace(const char *path, const void *data, size_t len, int mode)
{
	return write_file(path, data, len, mode, 1, 1);
}

int mech_file_write_cache(const char *path, const void *data, size_t len, int mode)
{
	return write_file(path, data, len, mode, 0, 0);
}

void mech_strv_push(mech_strv *v, const char *s)
{
	if (v->len == v->cap) {
		size_t cap = mech_grow_cap(v->cap, v->cap + 1, 8, sizeof(*v->items));
		v->items = mech_reallocarray(v->items, cap, sizeof(*v->items));
		v->cap = cap;
	}
	v->items[v->len++] = mech_strdup(s);
}

void mech_strv_pushf(mech_strv *v, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	s = mech_vsprintf(fmt, ap);
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
		mech_error_set(MECH_EFAILED, "cannot create directory %s: %s", path,
			       strerror(errno));
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

/* ---- base64: nettle's, in two modes ---- */

char *mech_base64(const void *data, size_t len)
{
	char *out;
	if (len > (SIZE_MAX - 1) / 4 * 3 - 2)
		mech_fatal("base64 of %zu bytes does not fit in memory", len);
	out = mech_calloc(BASE64_ENCODE_RAW_LENGTH(len) + 1, 1);
	base64_encode_raw(out, len, data);
	return out;
}

static int is_std(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

mech_base64_status mech_base64_decode(const char *s, size_t len, mech_base64_mode mode,
				      mech_buf *out)
{
	struct base64_decode_ctx ctx;
	size_t body = len, pad = 0, missing = 0, i, n, url = 0;
	char *copy = NULL;
	uint8_t *bytes;
	const char *src = s;
	mech_base64_status st = MECH_BASE64_OK;

	while (body && s[body - 1] == '=' && pad < 2) {
		body--;
		pad++;
	}
	/*
	 * nettle skips white space, takes a third '=' and, unpadded, drops the
	 * last bits: the shape is checked here, and nettle decodes and checks
	 * the padding bits
	 */
	if (mode == MECH_BASE64_STRICT && (!len || len % 4))
		return MECH_BASE64_UNPADDED;
	if (body % 4 == 1 || len > SIZE_MAX / 8)
		return MECH_BASE64_UNPADDED; /* no number of bytes is 4k+1 characters */
	if (pad && len % 4)
		return MECH_BASE64_NONCANONICAL; /* a padding, but not a whole one */
	for (i = 0; i < body; i++) {
		if (s[i] == '=')
			return MECH_BASE64_NONCANONICAL;
		if (mode == MECH_BASE64_LENIENT && (s[i] == '-' || s[i] == '_'))
			url++;
		else if (!is_std(s[i]))
			return MECH_BASE64_ALPHABET;
	}
	if (mode == MECH_BASE64_LENIENT && !pad)
		missing = (4 - body % 4) % 4;
	if (url || missing) {
		/* the URL alphabet spelled in the standard one, and the padding completed */
		copy = mech_calloc(body + missing + 1, 1);
		for (i = 0; i < body; i++)
			copy[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
		memset(copy + body, '=', missing);
		src = copy;
		len = body + missing;
	}
	/* decoded apart, then appended: `out` keeps its ceiling to the byte */
	bytes = mech_calloc(BASE64_DECODE_LENGTH(len), 1);
	base64_decode_init(&ctx);
	if (!base64_decode_update(&ctx, &n, bytes, len, src) || !base64_decode_final(&ctx))
		st = MECH_BASE64_NONCANONICAL; /* padding bits set: a second spelling */
	else if (mech_buf_put(out, bytes, n) < 0)
		st = MECH_BASE64_TOO_LARGE;
	/* the bytes may be a key or a password */
	explicit_bzero(bytes, BASE64_DECODE_LENGTH(len));
	free(bytes);
	if (copy) {
		explicit_bzero(copy, len);
		free(copy);
	}
	return st;
}

mech_base64_status mech_unbase64(const char *s, size_t len, mech_buf *out)
{
	return mech_base64_decode(s, len, MECH_BASE64_STRICT, out);
}

typedef struct {
	int fd, err;
} fsync_job;

static void *fsync_one(void *arg)
{
	fsync_job *j = arg;
	j->err = fsync(j->fd) < 0 ? errno : 0;
	return NULL;
}

int mech_fsync_all(const int *fds, size_t n)
{
	fsync_job jobs[MECH_FSYNC_MAX];
	pthread_t th[MECH_FSYNC_MAX];
	int started[MECH_FSYNC_MAX] = {0};
	size_t i;

	if (n > MECH_FSYNC_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		jobs[i].fd = fds[i];
		jobs[i].err = 0;
	}
	for (i = 1; i < n; i++)
		started[i] = pthread_create(&th[i], NULL, fsync_one, &jobs[i]) == 0;
	if (n)
		fsync_one(&jobs[0]);
	for (i = 1; i < n; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			fsync_one(&jobs[i]);
	}
	for (i = 0; i < n; i++)
		if (jobs[i].err) {
			errno = jobs[i].err;
			return -1;
		}
	return 0;
}

int mech_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* ---- fields of a cache line ---- */

void mech_buf_put_field(mech_buf *b, const char *s)
{
	mech_buf_putc(b, ' ');
	if (!s || !*s) {
		mech_buf_puts(b, s ? "\\e" : "-");
		return;
	}
	if (*s == '-')
		mech_buf_putc(b, '\\');
	for (; *s; s++) {
		if (*s == ' ')
			mech_buf_puts(b, "\\s");
		else if (*s == '\n')
			mech_buf_puts(b, "\\n");
		else if (*s == '\\')
			mech_buf_puts(b, "\\\\");
		else
			mech_buf_putc(b, *s);
	}
}

size_t mech_fields_split(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *r = line, *w;
	while (*r && n < max) {
		int null = r[0] == '-' && (!r[1] || r[1] == ' ');
		f[n] = w = r;
		for (; *r && *r != ' '; r++) {
			if (*r == '\\' && r[1]) {
				r++;
				if (*r != 'e')
					*w++ = *r == 's' ? ' ' : *r == 'n' ? '\n' : *r;
			} else {
				*w++ = *r;
			}
		}
		if (*r)
			r++;
		*w = '\0';
		if (null)
			f[n] = NULL;
		n++;
	}
	return n;
}
