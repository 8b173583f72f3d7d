/* SPDX-License-Identifier: Apache-2.0 */
/*
 * base64 as SSH keys, fingerprints and signatures use it: RFC 4648's test
 * vectors both ways, and every second spelling of a value refused; the
 * lenient mode Kubernetes Secrets need. Buffers and arrays at sizes near
 * SIZE_MAX, and what happens when memory runs out.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mech/buf.h"

/* RFC 4648 §10 */
static const char *const vectors[][2] = {
	{"", ""},
	{"f", "Zg=="},
	{"fo", "Zm8="},
	{"foo", "Zm9v"},
	{"foob", "Zm9vYg=="},
	{"fooba", "Zm9vYmE="},
	{"foobar", "Zm9vYmFy"},
};

Test(base64, rfc4648_vectors_encode)
{
	size_t i;
	for (i = 0; i < sizeof(vectors) / sizeof(*vectors); i++) {
		char *enc = mech_base64(vectors[i][0], strlen(vectors[i][0]));
		cr_expect_str_eq(enc, vectors[i][1], "encoding \"%s\"", vectors[i][0]);
		free(enc);
	}
}

Test(base64, rfc4648_vectors_decode)
{
	size_t i;
	for (i = 1; i < sizeof(vectors) / sizeof(*vectors); i++) {
		mech_buf b = MECH_BUF_INIT;
		cr_expect_eq(mech_unbase64(vectors[i][1], strlen(vectors[i][1]), &b),
			     MECH_BASE64_OK, "%s", vectors[i][1]);
		cr_expect_eq(b.len, strlen(vectors[i][0]), "%s", vectors[i][1]);
		cr_expect(b.len == 0 || !memcmp(b.ptr, vectors[i][0], b.len), "%s", vectors[i][1]);
		mech_buf_dispose(&b);
	}
}

Test(base64, every_byte_round_trips)
{
	unsigned char all[256];
	mech_buf b = MECH_BUF_INIT;
	char *enc;
	size_t i;
	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)(255 - i);
	enc = mech_base64(all, sizeof(all));
	cr_assert_eq(strlen(enc), 344);
	cr_assert_eq(mech_unbase64(enc, strlen(enc), &b), MECH_BASE64_OK);
	cr_assert_eq(b.len, sizeof(all));
	cr_assert(!memcmp(b.ptr, all, sizeof(all)));
	mech_buf_dispose(&b);
	free(enc);
}

static mech_base64_status decode(const char *s)
{
	mech_buf b = MECH_BUF_INIT;
	mech_base64_status st = mech_unbase64(s, strlen(s), &b);
	mech_buf_dispose(&b);
	return st;
}

Test(base64, refuses_what_is_not_one_canonical_spelling)
{
	cr_expect_eq(decode(""), MECH_BASE64_UNPADDED);
	cr_expect_eq(decode("Zg"), MECH_BASE64_UNPADDED, "padding left out");
	cr_expect_eq(decode("Zm9vY"), MECH_BASE64_UNPADDED);
	cr_expect_eq(decode("Zm9v\nYmFy"), MECH_BASE64_UNPADDED, "a line break makes it 9 long");
	cr_expect_eq(decode("Zm9-"), MECH_BASE64_ALPHABET, "URL-safe alphabet");
	cr_expect_eq(decode("Zm 9"), MECH_BASE64_ALPHABET);
	cr_expect_eq(decode("Zh=="), MECH_BASE64_NONCANONICAL, "padding bits set (Zg== is 'f')");
	cr_expect_eq(decode("Zm9="), MECH_BASE64_NONCANONICAL, "padding bits set (Zm8= is 'fo')");
	cr_expect_eq(decode("Z=g="), MECH_BASE64_NONCANONICAL, "'=' inside");
	cr_expect_eq(decode("===="), MECH_BASE64_NONCANONICAL);
}

/* ---- the lenient mode: Kubernetes Secret data ---- */

static mech_base64_status lenient(const char *s, mech_buf *b)
{
	mech_buf_clear(b);
	return mech_base64_decode(s, strlen(s), MECH_BASE64_LENIENT, b);
}

Test(base64, lenient_takes_the_url_alphabet_and_missing_padding)
{
	mech_buf b = MECH_BUF_INIT;
	size_t i;
	for (i = 0; i < sizeof(vectors) / sizeof(*vectors); i++) {
		char *unpadded = mech_strndup(vectors[i][1], strcspn(vectors[i][1], "="));
		cr_expect_eq(lenient(vectors[i][1], &b), MECH_BASE64_OK, "%s", vectors[i][1]);
		cr_expect_str_eq(mech_buf_cstr(&b), vectors[i][0]);
		cr_expect_eq(lenient(unpadded, &b), MECH_BASE64_OK, "%s", unpadded);
		cr_expect_str_eq(mech_buf_cstr(&b), vectors[i][0]);
		free(unpadded);
	}
	cr_expect_eq(lenient("Pz8_", &b), MECH_BASE64_OK);
	cr_expect_str_eq(mech_buf_cstr(&b), "???");
	cr_expect_eq(lenient("ZGI_Pg", &b), MECH_BASE64_OK);
	cr_expect_str_eq(mech_buf_cstr(&b), "db?>");
	cr_expect_eq(lenient("ZGI/Pg==", &b), MECH_BASE64_OK);
	cr_expect_str_eq(mech_buf_cstr(&b), "db?>");
	/* the strict mode keeps refusing both */
	cr_expect_eq(decode("Pz8_"), MECH_BASE64_ALPHABET);
	cr_expect_eq(decode("ZGI/Pg"), MECH_BASE64_UNPADDED);
	mech_buf_dispose(&b);
}

Test(base64, lenient_still_refuses_what_is_not_base64)
{
	mech_buf b = MECH_BUF_INIT;
	cr_expect_eq(lenient("Z", &b), MECH_BASE64_UNPADDED, "no value is 4k+1 characters");
	cr_expect_eq(lenient("Zm9vY", &b), MECH_BASE64_UNPADDED);
	cr_expect_eq(lenient("Zg=", &b), MECH_BASE64_NONCANONICAL, "half a padding");
	cr_expect_eq(lenient("Zh==", &b), MECH_BASE64_NONCANONICAL, "padding bits set");
	cr_expect_eq(lenient("Zh", &b), MECH_BASE64_NONCANONICAL, "padding bits set, unpadded");
	cr_expect_eq(lenient("YQ==garbage", &b), MECH_BASE64_NONCANONICAL, "text after '='");
	cr_expect_eq(lenient("Zm 9", &b), MECH_BASE64_ALPHABET, "white space");
	cr_expect_eq(lenient("Zm9\n", &b), MECH_BASE64_ALPHABET);
	cr_expect_eq(lenient("Zm9*", &b), MECH_BASE64_ALPHABET);
	cr_expect_eq(lenient("", &b), MECH_BASE64_OK, "an empty Secret value");
	cr_expect_eq(b.len, 0);
	mech_buf_dispose(&b);
}

Test(base64, decoding_keeps_the_ceiling_and_leaves_out_alone_on_failure)
{
	mech_buf b = MECH_BUF_INIT;
	mech_buf_puts(&b, "kept:");
	b.max = 7;
	cr_expect_eq(mech_unbase64("Zm8=", 4, &b), MECH_BASE64_OK); /* "fo": 7 bytes in all */
	cr_expect_str_eq(mech_buf_cstr(&b), "kept:fo");
	cr_expect_eq(mech_unbase64("Zg==", 4, &b), MECH_BASE64_TOO_LARGE);
	cr_expect_eq(mech_unbase64("Zh==", 4, &b), MECH_BASE64_NONCANONICAL);
	cr_expect_str_eq(mech_buf_cstr(&b), "kept:fo");
	mech_buf_dispose(&b);
}

/* ---- sizes near SIZE_MAX ---- */

Test(buf, growth_that_would_wrap_is_refused)
{
	mech_buf b = MECH_BUF_INIT;
	const char *before;
	mech_buf_puts(&b, "abc");
	before = b.ptr;
	cr_expect_eq(mech_buf_grow(&b, SIZE_MAX), -1);
	cr_expect_eq(mech_buf_grow(&b, SIZE_MAX - 1), -1);
	cr_expect_eq(mech_buf_grow(&b, SIZE_MAX - b.len), -1, "len + extra + 1 wraps to 0");
	cr_expect_eq(mech_buf_put(&b, "x", SIZE_MAX - 2), -1);
	cr_expect_eq(b.ptr, before);
	cr_expect_str_eq(mech_buf_cstr(&b), "abc");
	cr_expect_eq(b.len, 3);
	mech_buf_dispose(&b);
}

Test(buf, a_wrapped_size_cannot_pass_the_ceiling)
{
	mech_buf b = MECH_BUF_INIT;
	b.max = 100;
	mech_buf_puts(&b, "abc");
	/* len + extra is 0 modulo 2^64: below any ceiling when it wraps */
	cr_expect_eq(mech_buf_grow(&b, SIZE_MAX - 2), -1);
	cr_expect_eq(mech_buf_grow(&b, 97), 0);
	cr_expect_eq(mech_buf_grow(&b, 98), -1);
	mech_buf_dispose(&b);
}

Test(buf, grow_cap_doubles_and_stops_at_what_can_be_addressed)
{
	cr_expect_eq(mech_grow_cap(0, 1, 8, 8), 8);
	cr_expect_eq(mech_grow_cap(8, 9, 8, 8), 16);
	cr_expect_eq(mech_grow_cap(8, 100, 8, 8), 128);
	cr_expect_eq(mech_grow_cap(0, 1, 0, 8), 1);
	/* one doubling more would not fit: the largest capacity that does */
	cr_expect_eq(mech_grow_cap(SIZE_MAX / 16 + 1, SIZE_MAX / 16 + 2, 8, 8), SIZE_MAX / 8);
	cr_expect_eq(mech_grow_cap(SIZE_MAX / 8, SIZE_MAX / 8, 8, 8), SIZE_MAX / 8);
}

/* ---- the arena ---- */

Test(arena, allocations_stay_put_aligned_and_distinct_until_disposed)
{
	mech_arena a = MECH_ARENA_INIT;
	char *strs[5000];
	size_t i;
	char *big;
	for (i = 0; i < 5000; i++) {
		char want[32];
		void *p;
		snprintf(want, sizeof(want), "path/%zu", i);
		strs[i] = mech_arena_strndup(&a, want, strlen(want) - (i % 2));
		/* odd-length strings between them, yet every alloc is aligned */
		p = mech_arena_alloc(&a, 1 + i % 17);
		cr_assert_eq((uintptr_t)p % _Alignof(max_align_t), 0);
		memset(p, 0xa5, 1 + i % 17); /* overwrites nothing else (ASan) */
	}
	/* larger than a block, then small ones again: each in place */
	big = mech_arena_alloc(&a, 1024 * 1024);
	memset(big, 'x', 1024 * 1024);
	strs[0] = mech_arena_strndup(&a, "after", 5);
	for (i = 1; i < 5000; i++) {
		char want[32];
		snprintf(want, sizeof(want), "path/%zu", i);
		want[strlen(want) - (i % 2)] = '\0';
		cr_assert_str_eq(strs[i], want);
	}
	cr_assert_str_eq(strs[0], "after");
	cr_assert_eq(big[1024 * 1024 - 1], 'x');
	mech_arena_dispose(&a);
	cr_assert_null(a.head);
	/* usable again after dispose; the empty string too */
	cr_assert_str_eq(mech_arena_strndup(&a, "", 0), "");
	mech_arena_dispose(&a);
}

Test(buf, secret_buffers_keep_their_contents_as_they_grow)
{
	mech_buf b = MECH_BUF_SECRET_INIT;
	size_t i;
	for (i = 0; i < 1000; i++)
		mech_buf_putc(&b, (char)('a' + i % 26));
	cr_expect_eq(b.len, 1000);
	for (i = 0; i < 1000; i++)
		cr_assert_eq(b.ptr[i], (char)('a' + i % 26), "byte %zu", i);
	cr_expect_eq(b.ptr[1000], '\0');
	cr_expect(b.secret);
	mech_buf_dispose(&b);
	cr_expect_null(b.ptr);
}

/* a file of `n` bytes (a pattern) in a new temporary directory; the caller frees the path */
static char *pattern_file(size_t n)
{
	char dir[] = "/tmp/mech-buf-XXXXXX", *path;
	FILE *f;
	size_t i;
	cr_assert_not_null(mkdtemp(dir));
	path = mech_sprintf("%s/f", dir);
	f = fopen(path, "wb");
	cr_assert_not_null(f);
	for (i = 0; i < n; i++)
		fputc('a' + (int)(i % 26), f);
	fclose(f);
	return path;
}

static void remove_pattern_file(char *path)
{
	unlink(path);
	*strrchr(path, '/') = '\0';
	rmdir(path);
	free(path);
}

Test(buf, read_file_appends_the_whole_file_after_what_is_there)
{
	mech_buf b = MECH_BUF_INIT;
	char *path = pattern_file(100000);
	size_t i;
	mech_buf_puts(&b, "ab");
	cr_assert_eq(mech_buf_read_file(&b, path, 0), 0);
	cr_expect_eq(b.len, 100002);
	for (i = 0; i < 100000; i++)
		cr_assert_eq(b.ptr[2 + i], (char)('a' + i % 26), "byte %zu", i);
	cr_expect_eq(b.ptr[b.len], '\0');
	mech_buf_dispose(&b);
	remove_pattern_file(path);
}

Test(buf, read_file_past_either_ceiling_fails_and_keeps_the_length)
{
	mech_buf b = MECH_BUF_INIT, c = MECH_BUF_INIT;
	char *path = pattern_file(5000);
	mech_buf_puts(&b, "ab");
	cr_expect_lt(mech_buf_read_file(&b, path, 4999), 0);
	cr_expect_eq(b.len, 2);
	cr_expect_str_eq(b.ptr, "ab");
	c.max = 4000;
	cr_expect_lt(mech_buf_read_file(&c, path, 0), 0);
	cr_expect_eq(c.len, 0);
	cr_expect_eq(mech_buf_read_file(&b, path, 5002), 0);
	cr_expect_eq(b.len, 5002);
	mech_buf_dispose(&b);
	mech_buf_dispose(&c);
	remove_pattern_file(path);
}

/* ---- fatal: the hook runs first, then the message, then abort ---- */

static void exit_42(void)
{
	_exit(42);
}

/* mech_fsync_all: every file flushed (each on a thread of its own), the first failure told */
Test(buf, fsync_all_flushes_every_file_and_tells_a_failure)
{
	char path[] = "/tmp/mech-test-fsync-XXXXXX";
	int fds[MECH_FSYNC_MAX], i;
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	unlink(path);
	for (i = 0; i < 3; i++) {
		fds[i] = dup(fd);
		cr_assert(fds[i] >= 0);
	}
	cr_assert_eq(mech_fsync_all(fds, 0), 0, "nothing to flush");
	cr_assert_eq(mech_fsync_all(fds, 3), 0);
	/* a closed file among them: the others are still flushed, the call fails with its errno */
	close(fds[1]);
	fds[1] = -1;
	errno = 0;
	cr_assert_eq(mech_fsync_all(fds, 3), -1);
	cr_assert_eq(errno, EBADF);
	errno = 0;
	cr_assert_eq(mech_fsync_all(fds, MECH_FSYNC_MAX + 1), -1, "more than it can take");
	cr_assert_eq(errno, EINVAL);
	close(fds[0]);
	close(fds[2]);
	close(fd);
}

Test(fatal, strv_growth_that_overflows_is_fatal, .exit_code = 42)
{
	/* doubling this capacity and multiplying by 8 would wrap to a small size */
	mech_strv v = {NULL, SIZE_MAX / 8, SIZE_MAX / 8};
	mech_fatal_set_hook(exit_42);
	mech_strv_push(&v, "x");
}

Test(fatal, reallocarray_that_overflows_is_fatal, .exit_code = 42)
{
	mech_fatal_set_hook(exit_42);
	mech_reallocarray(NULL, SIZE_MAX / 2, 4);
}

Test(fatal, grow_cap_beyond_size_max_is_fatal, .exit_code = 42)
{
	mech_fatal_set_hook(exit_42);
	mech_grow_cap(8, SIZE_MAX / 8 + 1, 8, 8);
}

Test(fatal, strndup_of_size_max_is_fatal, .exit_code = 42)
{
	mech_fatal_set_hook(exit_42);
	mech_strndup("x", SIZE_MAX);
}

Test(fatal, base64_of_a_size_near_size_max_is_fatal, .exit_code = 42)
{
	mech_fatal_set_hook(exit_42);
	mech_base64("x", SIZE_MAX - 1);
}

/* ASan would report the failed allocation itself; mech must see NULL come back. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

Test(fatal, an_allocation_the_system_refuses_is_fatal, .exit_code = 42)
{
	mech_fatal_set_hook(exit_42);
	mech_realloc(NULL, SIZE_MAX - 4096);
}

static void say_hook(void)
{
	static const char m[] = "hook\n";
	if (write(STDERR_FILENO, m, sizeof(m) - 1) < 0)
		_exit(3);
}

/* As htop: the terminal is restored before the message, which says why, then abort. */
Test(fatal, hook_then_message_then_abort)
{
	char path[] = "/tmp/mech-fatal-XXXXXX", text[256];
	int fd = mkstemp(path), status;
	ssize_t n;
	pid_t pid;
	cr_assert_geq(fd, 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fd, STDERR_FILENO);
		mech_fatal_set_hook(say_hook);
		mech_calloc(SIZE_MAX / 2, 4);
		_exit(0); /* not reached */
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "status %d", status);
	n = pread(fd, text, sizeof(text) - 1, 0);
	cr_assert_gt(n, 0);
	text[n] = '\0';
	cr_expect_str_eq(text, "hook\nmech: fatal: out of memory (9223372036854775807 x 4 bytes)\n");
	close(fd);
	unlink(path);
}
