/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one source of random bytes. The kernel's getrandom(2) is interposed
 * here (this program's definition comes before libc's), so the tests can
 * make it interrupted, short or failing and check that mech continues,
 * completes or reports an error, and never invents bytes of its own.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mech/error.h"
#include "mech/http.h"
#include "mech/random.h"
#include "mech/receipt.h"

static enum { KERNEL, EINTR_FIRST, ONE_BYTE, FAIL, ZERO } mode = KERNEL;
static int calls;

ssize_t getrandom(void *buf, size_t n, unsigned int flags)
{
	calls++;
	if (mode == FAIL) {
		errno = ENOSYS;
		return -1;
	}
	if (mode == ZERO)
		return 0;
	if (mode == EINTR_FIRST && calls == 1) {
		errno = EINTR;
		return -1;
	}
	if (mode == ONE_BYTE && n > 1)
		n = 1;
	return syscall(SYS_getrandom, buf, n, flags);
}

static void use(int m)
{
	mode = m;
	calls = 0;
	mech_error_clear();
}

Test(random, fills_every_byte)
{
	static unsigned char a[1 << 16], b[1 << 16];
	size_t i, same = 0, zeros = 0;
	use(KERNEL);
	cr_assert_eq(mech_random_bytes(a, sizeof(a)), 0);
	cr_assert_eq(mech_random_bytes(b, sizeof(b)), 0);
	for (i = 0; i < sizeof(a); i++) {
		same += a[i] == b[i];
		zeros += a[i] == 0;
	}
	/* 256 expected of each; thousands would mean bytes left unwritten or repeated */
	cr_expect_lt(same, 1024);
	cr_expect_lt(zeros, 1024);
	cr_expect_eq(mech_random_bytes(a, 0), 0);
}

Test(random, an_interrupted_read_is_repeated)
{
	unsigned char b[32];
	use(EINTR_FIRST);
	cr_expect_eq(mech_random_bytes(b, sizeof(b)), 0);
	cr_expect_eq(calls, 2);
}

Test(random, short_reads_are_completed)
{
	unsigned char b[64];
	memset(b, 0, sizeof(b));
	use(ONE_BYTE);
	cr_expect_eq(mech_random_bytes(b, sizeof(b)), 0);
	cr_expect_eq(calls, 64);
}

Test(random, failure_is_an_error_not_a_fallback)
{
	unsigned char b[16];
	const mech_error *e;
	use(FAIL);
	cr_assert_eq(mech_random_bytes(b, sizeof(b)), -1);
	e = mech_error_last();
	cr_assert_not_null(e);
	cr_expect_eq(e->code, MECH_EFAILED);
	cr_expect(strstr(e->message, "random"), "%s", e->message);
	cr_expect(strstr(e->message, strerror(ENOSYS)), "%s", e->message);
	use(ZERO);
	cr_expect_eq(mech_random_bytes(b, sizeof(b)), -1);
	cr_expect_eq(calls, 1, "a read of nothing must not spin");
}

/* A request id is a receipt's identity: none at all rather than a guessable one. */
Test(random, request_ids_need_random_bytes)
{
	char uuid[MECH_UUID_LEN + 1];
	char *id;
	use(FAIL);
	cr_expect_null(mech_request_id());
	cr_expect_not_null(mech_error_last());
	cr_expect_eq(mech_random_uuid(uuid), -1);
	use(KERNEL);
	id = mech_request_id();
	cr_assert_not_null(id);
	cr_expect_eq(strlen(id), MECH_UUID_LEN);
	free(id);
}

Test(random, uuids_are_version_4)
{
	char seen[200][MECH_UUID_LEN + 1];
	size_t i, j;
	use(KERNEL);
	for (i = 0; i < 200; i++) {
		char *u = seen[i];
		cr_assert_eq(mech_random_uuid(u), 0);
		cr_assert_eq(strlen(u), MECH_UUID_LEN);
		cr_expect(u[8] == '-' && u[13] == '-' && u[18] == '-' && u[23] == '-', "%s", u);
		cr_expect_eq(u[14], '4', "%s", u);
		cr_expect(strchr("89ab", u[19]), "%s", u);
		cr_expect_eq(strspn(u, "0123456789abcdef-"), MECH_UUID_LEN, "%s", u);
		for (j = 0; j < i; j++)
			cr_expect_str_neq(u, seen[j]);
	}
}

Test(random, below_stays_below_and_covers_the_range)
{
	int hits[6] = {0};
	uint32_t v;
	size_t i;
	use(KERNEL);
	for (i = 0; i < 6000; i++) {
		cr_assert_eq(mech_random_below(6, &v), 0);
		cr_assert_lt(v, 6);
		hits[v]++;
	}
	for (i = 0; i < 6; i++)
		cr_expect(hits[i] > 700 && hits[i] < 1300, "%zu came %d times of 6000", i, hits[i]);
	cr_assert_eq(mech_random_below(1, &v), 0);
	cr_expect_eq(v, 0);
	cr_assert_eq(mech_random_below(UINT32_MAX, &v), 0);
	cr_expect_lt(v, UINT32_MAX);
	use(FAIL);
	cr_expect_eq(mech_random_below(6, &v), -1);
}

/* Reconnect jitter: random within the step, the whole step when there is no randomness. */
Test(random, backoff_jitter_without_random_bytes_is_the_whole_step)
{
	mech_backoff b;
	use(FAIL);
	mech_backoff_init(&b, 100, 1000);
	cr_expect_eq(mech_backoff_next(&b), 100);
	cr_expect_eq(mech_backoff_next(&b), 200);
	cr_assert_not_null(mech_error_last(), "the missing jitter is not reported");
	cr_expect(strstr(mech_error_last()->message, "random"), "%s", mech_error_last()->message);
}
