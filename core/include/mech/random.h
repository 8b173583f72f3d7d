/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_RANDOM_H
#define MECH_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/*
 * The one source of random bytes: the kernel's generator through
 * getrandom(2), which blocks only until it is seeded at boot. There is no
 * fallback: when it fails, the caller gets an error (MECH_EFAILED) and
 * decides what cannot be done without randomness.
 */

/** Fill `buf` with `n` random bytes (interrupted and short reads are continued). */
int mech_random_bytes(void *buf, size_t n);

/** A uniform number in [0, bound), bound > 0, without modulo bias. */
int mech_random_below(uint32_t bound, uint32_t *out);

/** A random (version 4) UUID: 36 characters, lower-case hex, and a NUL. */
#define MECH_UUID_LEN 36
int mech_random_uuid(char out[MECH_UUID_LEN + 1]);

#endif
