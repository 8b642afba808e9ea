/* Fuzz target for range_parse.
 *
 * Input: a mode byte and eight bytes that make the representation size, then the
 * Range field value. The value is handed over in a buffer of exactly its size.
 * A satisfiable answer must lie inside the representation; the case of the unit
 * must not matter; a trailing empty list element must not matter; and the
 * plain forms "bytes=A-B", "bytes=A-" and "bytes=-N" (short numbers, nothing
 * else) must give what a direct computation gives. Any broken rule aborts. */
#include "range.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { HEADER_BYTES = 9, MAX_DIGITS = 18 };

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_range: %s\n", what);
	abort();
}

static void check(int ok, const char *what)
{
	if (!ok)
		fail(what);
}

static uint64_t read_le64(const uint8_t *b)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

/* Small sizes are the interesting ones: most modes keep them small. */
static uint64_t pick_size(const uint8_t *header)
{
	uint64_t raw = read_le64(header + 1);
	switch (header[0] & 3) {
	case 0:
		return raw & 0xff;
	case 1:
		return raw & 0xffff;
	case 2:
		return raw;
	default:
		return UINT64_MAX - (raw & 0xff);
	}
}

static enum range_result parse(const char *value, size_t len, uint64_t size, struct byte_range *out)
{
	char *copy = malloc(len > 0 ? len : 1);
	if (copy == NULL)
		fail("out of memory");
	if (len > 0)
		memcpy(copy, value, len);
	memset(out, 0, sizeof *out);
	enum range_result r = range_parse(copy, len, size, out);
	free(copy);
	return r;
}

static void check_result(enum range_result r, const struct byte_range *br, uint64_t size)
{
	check(r == RANGE_IGNORE || r == RANGE_SATISFIABLE || r == RANGE_UNSATISFIABLE,
	      "unknown result");
	if (r != RANGE_SATISFIABLE)
		return;
	check(br->length >= 1, "satisfiable range with length 0");
	check(br->first < size, "satisfiable range starts past the end");
	check(br->length <= size - br->first, "satisfiable range ends past the end");
}

static bool same(enum range_result ra, const struct byte_range *a, enum range_result rb,
                 const struct byte_range *b)
{
	if (ra != rb)
		return false;
	return ra != RANGE_SATISFIABLE || (a->first == b->first && a->length == b->length);
}

/* 1..MAX_DIGITS digits at s[*i]; false when there are none or too many. */
static bool short_number(const char *s, size_t len, size_t *i, uint64_t *out)
{
	size_t start = *i;
	uint64_t n = 0;
	while (*i < len && s[*i] >= '0' && s[*i] <= '9' && *i - start < MAX_DIGITS)
		n = n * 10 + (uint64_t)(s[(*i)++] - '0');
	*out = n;
	return *i > start && (*i == len || s[*i] < '0' || s[*i] > '9');
}

/* The expected answer for a plain single spec, computed directly; false when
 * the value is not one of the plain forms. */
static bool expected(const char *v, size_t len, uint64_t size, enum range_result *r,
                     struct byte_range *br)
{
	size_t i = 6;
	uint64_t a, b;
	if (len < 7 || memcmp(v, "bytes=", 6) != 0)
		return false;
	if (v[i] == '-') {
		i++;
		if (!short_number(v, len, &i, &b) || i != len)
			return false;
		*r = b == 0 || size == 0 ? RANGE_UNSATISFIABLE : RANGE_SATISFIABLE;
		br->length = b < size ? b : size;
		br->first = size - br->length;
		return true;
	}
	if (!short_number(v, len, &i, &a) || i == len || v[i] != '-')
		return false;
	i++;
	b = UINT64_MAX;
	if (i < len && (!short_number(v, len, &i, &b) || i != len))
		return false;
	if (b < a)
		*r = RANGE_IGNORE;
	else if (a >= size)
		*r = RANGE_UNSATISFIABLE;
	else
		*r = RANGE_SATISFIABLE;
	br->first = a;
	br->length = (b < size ? b : size - 1) - a + 1;
	return true;
}

static void check_model(const char *value, size_t len, uint64_t size, enum range_result r,
                        const struct byte_range *br)
{
	enum range_result want;
	struct byte_range want_range;
	if (expected(value, len, size, &want, &want_range) && !same(r, br, want, &want_range)) {
		fprintf(stderr, "got %d %llu+%llu, expected %d %llu+%llu\n", r,
		        (unsigned long long)br->first, (unsigned long long)br->length, want,
		        (unsigned long long)want_range.first,
		        (unsigned long long)want_range.length);
		fail("differs from the direct computation");
	}
}

/* The unit is case-insensitive; an empty list element at the end is nothing. */
static void check_variants(const char *value, size_t len, uint64_t size, enum range_result r,
                           const struct byte_range *br)
{
	char *v = malloc(len + 1);
	struct byte_range other;
	if (v == NULL)
		fail("out of memory");
	memcpy(v, value, len);
	for (size_t i = 0; i < len && i < 5; i++)
		v[i] = (char)(v[i] ^ 0x20);
	if (len >= 6 && strncmp(value, "bytes=", 6) == 0)
		check(same(r, br, parse(v, len, size, &other), &other), "unit case matters");
	memcpy(v, value, len);
	v[len] = ',';
	check(same(r, br, parse(v, len + 1, size, &other), &other), "trailing ',' matters");
	free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HEADER_BYTES)
		return 0;
	uint64_t rep_size = pick_size(data);
	const char *value = (const char *)data + HEADER_BYTES;
	size_t len = size - HEADER_BYTES;
	struct byte_range br;

	enum range_result r = parse(value, len, rep_size, &br);
	check_result(r, &br, rep_size);
	check_model(value, len, rep_size, r, &br);
	check_variants(value, len, rep_size, r, &br);
	return 0;
}
