/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MECH_QUANTITY_H
#define MECH_QUANTITY_H

/*
 * Kubernetes quantities used as sizes (storage, memory): a non-negative
 * decimal number with an optional suffix, read as a whole number of bytes.
 *
 *   binary   Ki Mi Gi Ti Pi Ei   (powers of 1024)
 *   decimal  k  M  G  T  P  E    (powers of 1000)
 *   none     plain bytes
 *
 * A fraction is accepted only when it names a whole number of bytes
 * ("1.5Gi" yes, "0.5" no). Signs, exponents ("1e3"), milli ("500m"),
 * spaces and values above 2^64-1 bytes are refused.
 */

/**
 * Parse `s` into `*bytes`. Returns 0, or -1 with MECH_EINVALID and a
 * message that names the value and the accepted forms.
 */
int mech_quantity_parse(const char *s, unsigned long long *bytes);

/**
 * The shortest exact spelling of `bytes` with a binary suffix ("512Mi",
 * "1Gi", "1000" when no suffix divides it). Caller frees.
 */
char *mech_quantity_format(unsigned long long bytes);

#endif
