/* SPDX-License-Identifier: Apache-2.0 */
#include "mech/quantity.h"

#include "mech/buf.h"
#include "mech/error.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Longest input worth reading: anything longer is not a size a human meant. */
#define QUANTITY_MAX_LEN 64
/* Fraction digits we keep exact; 10^18 still fits in 64 bits. */
#define FRACTION_MAX_DIGITS 18

static const struct {
	const char *suffix;
	unsigned long long mult;
} suffixes[] = {
	{"Ki", 1ULL << 10},
	{"Mi", 1ULL << 20},
	{"Gi", 1ULL << 30},
	{"Ti", 1ULL << 40},
	{"Pi", 1ULL << 50},
	{"Ei", 1ULL << 60},
	{"k", 1000ULL},
	{"M", 1000000ULL},
	{"G", 1000000000ULL},
	{"T", 1000000000000ULL},
	{"P", 1000000000000000ULL},
	{"E", 1000000000000000000ULL},
	{"", 1ULL},
};

static int refuse(const char *s, const char *why)
{
	char v[MECH_ESCAPE_SIZE];
	return mech_error_set(MECH_EINVALID,
			      "invalid size \"%s\": %s; use a whole number of bytes with an "
			      "optional suffix Ki, Mi, Gi, Ti (1024-based) or k, M, G, T "
			      "(1000-based), e.g. 512Mi or 10Gi",
			      mech_error_escape(v, s), why);
}

/* a * b, failing on 64-bit overflow. */
static int mul_ok(unsigned long long a, unsigned long long b, unsigned long long *out)
{
	if (a && b > ULLONG_MAX / a)
		return 0;
	*out = a * b;
	return 1;
}

static unsigned long long gcd(unsigned long long a, unsigned long long b)
{
	while (b) {
		unsigned long long t = a % b;
		a = b;
		b = t;
	}
	return a;
}

int mech_quantity_parse(const char *s, unsigned long long *bytes)
{
	unsigned long long whole = 0, frac = 0, scale = 1, mult = 0, total, part, g;
	const char *p, *unit;
	size_t nfrac = 0, i;
	int digits = 0;

	if (!s || !*s)
		return refuse("", "it is empty");
	if (strlen(s) > QUANTITY_MAX_LEN)
		return refuse(s, "it is too long");
	if (*s == '-')
		return refuse(s, "a size cannot be negative");
	if (*s == '+')
		return refuse(s, "write it without a sign");

	for (p = s; *p >= '0' && *p <= '9'; p++, digits++) {
		unsigned long long digit = (unsigned long long)(*p - '0');
		if (!mul_ok(whole, 10, &whole) || whole > ULLONG_MAX - digit)
			return refuse(s, "it is too large");
		whole += digit;
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, nfrac++) {
			if (nfrac >= FRACTION_MAX_DIGITS) {
				if (*p != '0')
					return refuse(s, "it has more decimal places than "
							 "bytes can express");
				continue; /* trailing zeros change nothing */
			}
			frac = frac * 10 + (unsigned long long)(*p - '0');
			scale *= 10;
		}
		if (nfrac == 0)
			return refuse(s, "a decimal point needs digits after it");
	}
	if (digits == 0)
		return refuse(s, "it must start with a digit");

	unit = p;
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (!strcmp(unit, suffixes[i].suffix)) {
			mult = suffixes[i].mult;
			break;
		}
	}
	if (!mult) {
		if (!strcmp(unit, "m"))
			return refuse(s, "'m' means thousandths, which is not a size in bytes");
		if (*unit == 'e' || *unit == 'E')
			return refuse(s, "exponent notation is not accepted");
		if (!strcmp(unit, "K"))
			return refuse(s, "the suffix is 'k' (1000) or 'Ki' (1024), not 'K'");
		return refuse(s, "unknown suffix");
	}

	if (!mul_ok(whole, mult, &total))
		return refuse(s, "it is too large");
	if (frac) {
		/* frac/scale * mult must be whole: reduce first so nothing overflows. */
		g = gcd(frac, scale);
		frac /= g;
		scale /= g;
		g = gcd(mult, scale);
		if (scale / g != 1)
			return refuse(s, "the fraction is not a whole number of bytes");
		if (!mul_ok(frac, mult / g, &part) || total > ULLONG_MAX - part)
			return refuse(s, "it is too large");
		total += part;
	}
	*bytes = total;
	return 0;
}

char *mech_quantity_format(unsigned long long bytes)
{
	static const char *const units[] = {"Ei", "Pi", "Ti", "Gi", "Mi", "Ki"};
	size_t i;
	for (i = 0; bytes && i < sizeof(units) / sizeof(units[0]); i++) {
		unsigned long long m = 1ULL << (10 * (6 - i));
		if (bytes % m == 0)
			return mech_sprintf("%llu%s", bytes / m, units[i]);
	}
	return mech_sprintf("%llu", bytes);
}
