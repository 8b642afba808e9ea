/* Unit tests for range: the Range header field for bytes (RFC 9110 section 14). */
#include "autoconfig.h"

#include "range.h"

#include "check_run.h"

#include <check.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define KIB UINT64_C(1024)
#define GIB (UINT64_C(1) << 30)
#define SIZE_5G (5 * GIB) /* 5368709120: positions need more than 32 bits */

/* A satisfiable request: exactly which bytes are selected. */
struct satisfiable_case {
	const char *value;
	uint64_t size;
	uint64_t first;
	uint64_t length;
};

/* A request with no range to serve: 416 or 200. */
struct result_case {
	const char *value;
	uint64_t size;
};

static const char *result_name(enum range_result r)
{
	switch (r) {
	case RANGE_IGNORE:
		return "RANGE_IGNORE";
	case RANGE_SATISFIABLE:
		return "RANGE_SATISFIABLE";
	case RANGE_UNSATISFIABLE:
		return "RANGE_UNSATISFIABLE";
	}
	return "?";
}

/* range_parse on a NUL-terminated value, with the result checked. */
static struct byte_range parse_expecting(const char *value, uint64_t size,
                                         enum range_result expected)
{
	struct byte_range out = {UINT64_C(0xdeadbeef), UINT64_C(0xdeadbeef)};
	enum range_result got = range_parse(value, strlen(value), size, &out);

	ck_assert_msg(got == expected, "\"%s\" on %" PRIu64 " bytes: %s, expected %s", value, size,
	              result_name(got), result_name(expected));
	return out;
}

/* What every 206 must satisfy: at least one byte, all inside the file. */
static void assert_inside(const struct byte_range *r, uint64_t size, const char *value)
{
	ck_assert_msg(r->length >= 1, "\"%s\": empty range", value);
	ck_assert_msg(r->length <= size && r->first <= size - r->length,
	              "\"%s\": [%" PRIu64 ", +%" PRIu64 ") outside %" PRIu64 " bytes", value,
	              r->first, r->length, size);
}

static const struct satisfiable_case satisfiable_cases[] = {
    /* int-range and suffix-range on 1 KiB */
    {"bytes=0-99", KIB, 0, 100},
    {"bytes=100-", KIB, 100, 924},
    {"bytes=-100", KIB, 924, 100},
    {"bytes=1000-5000", KIB, 1000, 24}, /* last-pos clipped to the last byte */
    {"bytes=0-1024", KIB, 0, 1024},
    {"bytes=-5000", KIB, 0, 1024}, /* suffix longer than the file: all of it */
    {"bytes=-1024", KIB, 0, 1024},
    {"bytes=0-0", KIB, 0, 1},
    {"bytes=0-", KIB, 0, 1024},
    {"bytes=0-1023", KIB, 0, 1024},
    {"bytes=1023-1023", KIB, 1023, 1}, /* the last byte, three ways */
    {"bytes=1023-", KIB, 1023, 1},
    {"bytes=-1", KIB, 1023, 1},
    {"bytes=0000-0099", KIB, 0, 100}, /* leading zeros */
    /* The range unit is case-insensitive (section 14.1). */
    {"BYTES=0-1", KIB, 0, 2},
    {"Bytes=0-1", KIB, 0, 2},
    {"bYtEs=-2", KIB, 1022, 2},
    /* OWS around the range-spec and around commas; empty list elements are
     * ignored (section 5.6.1), so a leading or trailing comma leaves one range. */
    {"bytes= 0-99", KIB, 0, 100},
    {"bytes=0-99 ", KIB, 0, 100},
    {"bytes=\t0-99\t", KIB, 0, 100},
    {"bytes=0-1,", KIB, 0, 2},
    {"bytes=,0-1", KIB, 0, 2},
    {"bytes=, 0-1", KIB, 0, 2},
    {"bytes= , 0-1", KIB, 0, 2},
    {"bytes=0-1 ,", KIB, 0, 2},
    {"bytes=0-1 , ", KIB, 0, 2},
    {"bytes=,,0-1,,", KIB, 0, 2},
    {"bytes=\t,\t-10\t,\t", KIB, 1014, 10},
    /* Numbers past 64 bits saturate: a huge last-pos is clipped, a huge suffix
     * selects the whole file. */
    {"bytes=0-99999999999999999999999", KIB, 0, 1024},
    {"bytes=1000-18446744073709551615", KIB, 1000, 24},
    {"bytes=1000-18446744073709551616", KIB, 1000, 24},
    {"bytes=-99999999999999999999", KIB, 0, 1024},
    {"bytes=-18446744073709551616", KIB, 0, 1024},
    {"bytes=000000000000000000000000000001-2", KIB, 1, 2},
    /* One byte */
    {"bytes=0-0", 1, 0, 1},
    {"bytes=0-", 1, 0, 1},
    {"bytes=0-99", 1, 0, 1},
    {"bytes=-1", 1, 0, 1},
    {"bytes=-100", 1, 0, 1},
    {"bytes=0-99999999999999999999999", 1, 0, 1},
    /* 5 GiB: offsets and lengths above 2^32 */
    {"bytes=0-99", SIZE_5G, 0, 100},
    {"bytes=100-", SIZE_5G, 100, SIZE_5G - 100},
    {"bytes=-100", SIZE_5G, SIZE_5G - 100, 100},
    {"bytes=1000-5000", SIZE_5G, 1000, 4001},
    {"bytes=0-0", SIZE_5G, 0, 1},
    {"bytes=5368709119-", SIZE_5G, SIZE_5G - 1, 1},
    {"bytes=5368709119-5368709119", SIZE_5G, SIZE_5G - 1, 1},
    {"bytes=5368709000-5368709999", SIZE_5G, 5368709000, 120},
    {"bytes=4294967295-4294967296", SIZE_5G, 4294967295, 2},
    {"bytes=4294967296-", SIZE_5G, 4 * GIB, GIB},
    {"bytes=0-4294967295", SIZE_5G, 0, 4 * GIB},
    {"bytes=0-", SIZE_5G, 0, SIZE_5G},
    {"bytes=-5368709120", SIZE_5G, 0, SIZE_5G},
    {"bytes=-5368709121", SIZE_5G, 0, SIZE_5G},
    {"bytes=-4294967297", SIZE_5G, GIB - 1, 4 * GIB + 1},
    {"bytes=-99999999999999999999", SIZE_5G, 0, SIZE_5G},
    {"bytes=0-99999999999999999999999", SIZE_5G, 0, SIZE_5G},
    /* The largest size a uint64_t can describe. */
    {"bytes=0-", UINT64_MAX, 0, UINT64_MAX},
    {"bytes=18446744073709551614-", UINT64_MAX, UINT64_MAX - 1, 1},
    {"bytes=-18446744073709551615", UINT64_MAX, 0, UINT64_MAX},
    {"bytes=-99999999999999999999999", UINT64_MAX, 0, UINT64_MAX},
};

START_TEST(test_satisfiable)
{
	const struct satisfiable_case *c = &satisfiable_cases[_i];
	struct byte_range r = parse_expecting(c->value, c->size, RANGE_SATISFIABLE);

	ck_assert_msg(r.first == c->first && r.length == c->length,
	              "\"%s\" on %" PRIu64 " bytes: first %" PRIu64 " length %" PRIu64
	              ", expected first %" PRIu64 " length %" PRIu64,
	              c->value, c->size, r.first, r.length, c->first, c->length);
	assert_inside(&r, c->size, c->value);
}
END_TEST

/* One well-formed range that selects nothing: 416 (section 14.1.1). */
static const struct result_case unsatisfiable_cases[] = {
    {"bytes=1024-", KIB},
    {"bytes=1024-1024", KIB},
    {"bytes=1024-2000", KIB},
    {"bytes=2000-3000", KIB},
    {"bytes=-0", KIB}, /* a zero-length suffix selects nothing */
    {"bytes=-0000", KIB},
    {"bytes=18446744073709551615-", KIB},
    {"bytes=18446744073709551616-", KIB}, /* 2^64: saturates, still past the end */
    {"bytes=99999999999999999999999-", KIB},
    {"bytes=9223372036854775808-", KIB},
    /* An empty file has no satisfiable range at all. */
    {"bytes=0-0", 0},
    {"bytes=0-99", 0},
    {"bytes=0-", 0},
    {"bytes=100-", 0},
    {"bytes=-1", 0},
    {"bytes=-100", 0},
    {"bytes=-0", 0},
    {"bytes=-99999999999999999999", 0},
    {"BYTES=0-1", 0},
    {"bytes= 0-1 ,", 0},
    {"bytes=1-", 1},
    {"bytes=1-1", 1},
    {"bytes=-0", 1},
    {"bytes=5368709120-", SIZE_5G},
    {"bytes=5368709120-5368709120", SIZE_5G},
    {"bytes=9223372036854775807-", SIZE_5G},
    {"bytes=9223372036854775808-", SIZE_5G},
    {"bytes=9223372036854775807-9223372036854775808", SIZE_5G},
    {"bytes=18446744073709551616-", SIZE_5G},
    {"bytes=-0", SIZE_5G},
    {"bytes=18446744073709551615-", UINT64_MAX},
};

START_TEST(test_unsatisfiable)
{
	const struct result_case *c = &unsatisfiable_cases[_i];

	parse_expecting(c->value, c->size, RANGE_UNSATISFIABLE);
}
END_TEST

/* Ignored: another unit, not a ranges-specifier, an invalid range-spec, or
 * several ranges (the documented policy in range.h): 200 with the whole file. */
static const struct result_case ignored_cases[] = {
    {"", KIB},
    {"bytes", KIB},
    {"bytes=", KIB},
    {"bytes=,", KIB},
    {"bytes= , ,", KIB},
    {"items=0-1", KIB},
    {"none", KIB},
    {"byte=0-1", KIB},
    {"bytesx=0-1", KIB},
    {"bytes 0-1", KIB}, /* missing "=" */
    {"bytes0-1", KIB},
    {"bytes:0-1", KIB},
    {"bytes =0-1", KIB},
    {" bytes=0-1", KIB},
    /* invalid range-specs */
    {"bytes=5-1", KIB}, /* last-pos < first-pos */
    {"bytes=a-b", KIB},
    {"bytes=0-b", KIB},
    {"bytes=a-", KIB},
    {"bytes=1-2-3", KIB},
    {"bytes= 1 - 2", KIB},
    {"bytes=1 -2", KIB},
    {"bytes=1- 2", KIB},
    {"bytes=- 1", KIB},
    {"bytes=--1", KIB},
    {"bytes=-", KIB},
    {"bytes=-1-2", KIB},
    {"bytes=-1-", KIB},
    {"bytes=+1-2", KIB},
    {"bytes=1-+2", KIB},
    {"bytes=0x1-2", KIB},
    {"bytes=1.5-2", KIB},
    {"bytes=1-2;", KIB},
    {"bytes=0-1 2-3", KIB}, /* two specs without a comma */
    {"bytes=0-1;5-6", KIB},
    /* several ranges: ignored whatever they are */
    {"bytes=0-1,5-6", KIB},
    {"bytes=0-1, 5-6", KIB},
    {"bytes=0-1 ,\t5-6", KIB},
    {"bytes=0-1,,5-6", KIB},
    {"bytes=0-10,5-15", KIB}, /* overlapping */
    {"bytes=0-1,0-1", KIB},
    {"bytes=0-,-1", KIB},
    {"bytes=-1,-1", KIB},
    {"bytes=0-1,2000-3000", KIB}, /* one unsatisfiable */
    {"bytes=2000-3000,0-1", KIB},
    {"bytes=2000-3000,4000-5000", KIB}, /* all unsatisfiable */
    {"bytes=-0,-0", KIB},
    {"bytes=0-1,abc", KIB},
    {"bytes=abc,0-1", KIB},
    {"bytes=0-1,5-6", 0},
    {"bytes=0-1,5-6", SIZE_5G},
    {"bytes=0-0,4294967296-4294967297,-1", SIZE_5G},
    /* Invalidity wins over the size. */
    {"bytes=5-1", 0},
    {"bytes=a-b", 0},
    {"items=0-1", 0},
    {"bytes=", 0},
    {"bytes=5-1", SIZE_5G},
    {"items=0-1", SIZE_5G},
};

START_TEST(test_ignored)
{
	const struct result_case *c = &ignored_cases[_i];

	parse_expecting(c->value, c->size, RANGE_IGNORE);
}
END_TEST

/* Both positions past 64 bits with last-pos < first-pos: the range-spec is
 * invalid (section 14.1.1) and must be ignored like "bytes=5-1", not reported
 * unsatisfiable because both numbers saturate to the same value. */
static const struct result_case saturated_invalid_cases[] = {
    {"bytes=18446744073709551617-18446744073709551616", KIB},
    {"bytes=99999999999999999999-18446744073709551616", SIZE_5G},
};

START_TEST(test_saturated_invalid)
{
	const struct result_case *c = &saturated_invalid_cases[_i];

	parse_expecting(c->value, c->size, RANGE_IGNORE);
}
END_TEST

/* Only len bytes are read: the value need not be NUL-terminated. */
struct length_case {
	const char *text;
	size_t len;
	enum range_result expected;
	uint64_t first;
	uint64_t length;
};

static const struct length_case length_cases[] = {
    {"bytes=0-99xyz", 10, RANGE_SATISFIABLE, 0, 100},
    {"bytes=0-1,5-6", 9, RANGE_SATISFIABLE, 0, 2},
    {"bytes=0-1023", 11, RANGE_SATISFIABLE, 0, 103},
    {"bytes=-100", 8, RANGE_SATISFIABLE, 1023, 1},
    {"bytes=0-1", 5, RANGE_IGNORE, 0, 0},
    {"bytes=0-1", 6, RANGE_IGNORE, 0, 0},
    {"bytes=5-1", 7, RANGE_IGNORE, 0, 0},
    {"bytes=1024-", 10, RANGE_IGNORE, 0, 0},
    {"bytes=0-1\0", 10, RANGE_IGNORE, 0, 0},
};

START_TEST(test_uses_length)
{
	const struct length_case *c = &length_cases[_i];
	struct byte_range r = {0, 0};
	enum range_result got = range_parse(c->text, c->len, KIB, &r);

	ck_assert_msg(got == c->expected, "\"%.*s\": %s, expected %s", (int)c->len, c->text,
	              result_name(got), result_name(c->expected));
	if (got == RANGE_SATISFIABLE) {
		ck_assert_uint_eq(r.first, c->first);
		ck_assert_uint_eq(r.length, c->length);
		assert_inside(&r, KIB, c->text);
	}
}
END_TEST

/* Reference model of a single range-spec (RFC 9110 sections 14.1.1, 14.1.2).
 * last < 0 means "first-" with no last-pos; first < 0 means the suffix "-last". */
static enum range_result model(long long first, long long last, uint64_t size,
                               struct byte_range *out)
{
	if (first < 0) {
		if (last == 0 || size == 0)
			return RANGE_UNSATISFIABLE;
		out->length = (uint64_t)last < size ? (uint64_t)last : size;
		out->first = size - out->length;
		return RANGE_SATISFIABLE;
	}
	if (last >= 0 && last < first)
		return RANGE_IGNORE;
	if ((uint64_t)first >= size)
		return RANGE_UNSATISFIABLE;
	uint64_t end = last < 0 || (uint64_t)last >= size ? size - 1 : (uint64_t)last;
	out->first = (uint64_t)first;
	out->length = end - (uint64_t)first + 1;
	return RANGE_SATISFIABLE;
}

static void check_against_model(long long first, long long last, uint64_t size)
{
	char value[64];
	if (first < 0)
		snprintf(value, sizeof value, "bytes=-%lld", last);
	else if (last < 0)
		snprintf(value, sizeof value, "bytes=%lld-", first);
	else
		snprintf(value, sizeof value, "bytes=%lld-%lld", first, last);

	struct byte_range want = {0, 0}, got = {0, 0};
	enum range_result expected = model(first, last, size, &want);
	enum range_result result = range_parse(value, strlen(value), size, &got);
	ck_assert_msg(result == expected, "\"%s\" on %" PRIu64 ": %s, expected %s", value, size,
	              result_name(result), result_name(expected));
	if (result != RANGE_SATISFIABLE)
		return;
	ck_assert_msg(got.first == want.first && got.length == want.length,
	              "\"%s\" on %" PRIu64 ": [%" PRIu64 ", +%" PRIu64 "), expected [%" PRIu64
	              ", +%" PRIu64 ")",
	              value, size, got.first, got.length, want.first, want.length);
	assert_inside(&got, size, value);
}

/* Every small range against every small size, compared with the model. */
START_TEST(test_model_sweep)
{
	const uint64_t size = (uint64_t)_i;

	for (long long first = -1; first <= 24; first++)
		for (long long last = -1; last <= 24; last++)
			if (first >= 0 || last >= 0)
				check_against_model(first, last, size);
}
END_TEST

static Suite *range_suite(void)
{
	Suite *s = suite_create("range");
	TCase *valid = tcase_create("satisfiable");
	TCase *unsat = tcase_create("unsatisfiable");
	TCase *ignored = tcase_create("ignored");
	TCase *props = tcase_create("properties");

	tcase_add_loop_test(valid, test_satisfiable, 0, (int)ARRAY_LEN(satisfiable_cases));
	suite_add_tcase(s, valid);

	tcase_add_loop_test(unsat, test_unsatisfiable, 0, (int)ARRAY_LEN(unsatisfiable_cases));
	suite_add_tcase(s, unsat);

	tcase_add_loop_test(ignored, test_ignored, 0, (int)ARRAY_LEN(ignored_cases));
	tcase_add_loop_test(ignored, test_saturated_invalid, 0,
	                    (int)ARRAY_LEN(saturated_invalid_cases));
	suite_add_tcase(s, ignored);

	tcase_add_loop_test(props, test_uses_length, 0, (int)ARRAY_LEN(length_cases));
	tcase_add_loop_test(props, test_model_sweep, 0, 21);
	suite_add_tcase(s, props);
	return s;
}

int main(void)
{
	return check_run(range_suite());
}
