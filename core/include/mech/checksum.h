/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_CHECKSUM_H
#define MECH_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * The checksum of mech's own cache files (the last-writer index, the app
 * cache): XXH3, 64 bits, so a damaged line is found and the file rebuilt
 * from Git instead of being believed. Not a defence against someone who
 * can write the file on purpose: they could as well write a matching sum.
 */

/** Digits of a checksum in a file: 16 lower-case hex characters. */
#define MECH_CHECKSUM_HEXSZ 16

/** The checksum of `len` bytes, chained after `seed` (0 to start). */
uint64_t mech_checksum(uint64_t seed, const void *data, size_t len);

/** `sum` as MECH_CHECKSUM_HEXSZ hex digits and a NUL; returns `out`. */
char *mech_checksum_hex(char out[MECH_CHECKSUM_HEXSZ + 1], uint64_t sum);

/** Parse exactly `n` (at most 16) lowercase hex digits at `s`: 0, or -1 if they are not. */
int mech_hex_parse(const char *s, size_t n, uint64_t *out);

/** Parse exactly MECH_CHECKSUM_HEXSZ hex digits at `s`: 0, or -1 if they are not. */
int mech_checksum_parse(const char *s, uint64_t *out);

#endif
