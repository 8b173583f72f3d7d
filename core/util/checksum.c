/* SPDX-License-Identifier: Apache-2.0 */
/*
 * XXH3 from libxxhash's header, inlined: nothing to load at run time, and
 * the static and the packaged builds link the same.
 */
#include "mech/checksum.h"

#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

uint64_t mech_checksum(uint64_t seed, const void *data, size_t len)
{
	return XXH3_64bits_withSeed(data, len, seed);
}

char *mech_checksum_hex(char out[MECH_CHECKSUM_HEXSZ + 1], uint64_t sum)
{
	static const char hex[] = "0123456789abcdef";
	int i;
	for (i = MECH_CHECKSUM_HEXSZ - 1; i >= 0; i--, sum >>= 4)
		out[i] = hex[sum & 15];
	out[MECH_CHECKSUM_HEXSZ] = '\0';
	return out;
}

int mech_hex_parse(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;
	if (n > 16)
		return -1;
	for (i = 0; i < n; i++) {
		char c = s[i];
		unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
			     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
						    : 16;
		if (d == 16)
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

int mech_checksum_parse(const char *s, uint64_t *out)
{
	return mech_hex_parse(s, MECH_CHECKSUM_HEXSZ, out);
}

void mech_checksum_seal(char *file, size_t len)
{
	char *nl = memchr(file, '\n', len), hex[MECH_CHECKSUM_HEXSZ + 1];
	if (!nl || nl - file < MECH_CHECKSUM_HEXSZ)
		return;
	mech_checksum_hex(hex, mech_checksum(0, nl + 1, len - (size_t)(nl + 1 - file)));
	memcpy(nl - MECH_CHECKSUM_HEXSZ, hex, MECH_CHECKSUM_HEXSZ);
}

int mech_checksum_sealed(const char *file, size_t len)
{
	const char *nl = memchr(file, '\n', len);
	uint64_t sum;
	return nl && nl - file >= MECH_CHECKSUM_HEXSZ &&
	       mech_checksum_parse(nl - MECH_CHECKSUM_HEXSZ, &sum) == 0 &&
	       sum == mech_checksum(0, nl + 1, len - (size_t)(nl + 1 - file));
}
