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

/**
 * mech's text caches (the app cache, the commit briefs) end their first
 * line in the checksum of every line after it. mech_checksum_seal() writes
 * it over the MECH_CHECKSUM_HEXSZ characters (a placeholder) before the
 * first newline of `file`; mech_checksum_sealed() is 1 when they hold the
 * sum, 0 when not or when there is no first line of that length.
 */
void mech_checksum_seal(char *file, size_t len);
int mech_checksum_sealed(const char *file, size_t len);
#endif
