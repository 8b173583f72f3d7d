/* SPDX-License-Identifier: Apache-2.0 */
/* Random bytes from the kernel, and what mech makes of them (mech/random.h). */
#include "mech/random.h"
#include "mech/error.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

int mech_random_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;
	size_t got = 0;
	while (got < n) {
		ssize_t r = getrandom(p + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return mech_error_set(MECH_EFAILED, "no random bytes from the kernel: %s",
					      r < 0 ? strerror(errno)
						    : "getrandom returned nothing");
		got += (size_t)r; /* reads above 32 MiB, or interrupted ones, may be short */
	}
	return 0;
}

int mech_random_below(uint32_t bound, uint32_t *out)
{
	/* values at or above the largest multiple of `bound` would favour the small results */
	uint32_t limit, v;
	assert(bound > 0);
	limit = UINT32_MAX - UINT32_MAX % bound;
	do {
		if (mech_random_bytes(&v, sizeof(v)) < 0)
			return -1;
	} while (v >= limit);
	*out = v % bound;
	return 0;
}

int mech_random_uuid(char out[MECH_UUID_LEN + 1])
{
	unsigned char b[16];
	if (mech_random_bytes(b, sizeof(b)) < 0)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, MECH_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
		 b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
		 b[15]);
	return 0;
}
