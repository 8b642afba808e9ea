/* Unit tests for httpdate: formatting and parsing HTTP dates. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "httpdate.h"

#include "check_run.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct format_case {
	long long t;
	const char *text;
};

static const struct format_case format_cases[] = {
    {0, "Thu, 01 Jan 1970 00:00:00 GMT"},
    {784111777, "Sun, 06 Nov 1994 08:49:37 GMT"},
    {2147483647LL, "Tue, 19 Jan 2038 03:14:07 GMT"},
    {2147483648LL, "Tue, 19 Jan 2038 03:14:08 GMT"},
    {4102444800LL, "Fri, 01 Jan 2100 00:00:00 GMT"},
    {951782400, "Tue, 29 Feb 2000 00:00:00 GMT"},
    {-1, "Wed, 31 Dec 1969 23:59:59 GMT"},
    {-2208988800LL, "Mon, 01 Jan 1900 00:00:00 GMT"},
    {253402300799LL, "Fri, 31 Dec 9999 23:59:59 GMT"},
    {-62135596800LL, "Mon, 01 Jan 0001 00:00:00 GMT"},
    /* Outside four-digit years the output is clamped, never longer. */
    {253402300800LL, "Fri, 31 Dec 9999 23:59:59 GMT"},
    {INT64_MAX, "Fri, 31 Dec 9999 23:59:59 GMT"},
    {-62135596801LL, "Mon, 01 Jan 0001 00:00:00 GMT"},
    {INT64_MIN, "Mon, 01 Jan 0001 00:00:00 GMT"},
};

START_TEST(test_format_table)
{
	const struct format_case *c = &format_cases[_i];
	char out[HTTPDATE_LEN + 1];

	httpdate_format((time_t)c->t, out);
	ck_assert_str_eq(out, c->text);
	ck_assert_uint_eq(strlen(out), HTTPDATE_LEN);
}
END_TEST

/* Whatever is formatted parses back to the same second (within 0001..9999). */
START_TEST(test_round_trip)
{
	const struct format_case *c = &format_cases[_i];
	char out[HTTPDATE_LEN + 1];
	time_t parsed;

	if (c->t < -62135596800LL || c->t > 253402300799LL)
		return; /* clamped on purpose */
	httpdate_format((time_t)c->t, out);
	ck_assert_msg(httpdate_parse(out, HTTPDATE_LEN, &parsed), "%s", out);
	ck_assert_int_eq((long long)parsed, c->t);
}
END_TEST

/* Sweep a wide range with an odd stride so every field value comes up. */
START_TEST(test_round_trip_sweep)
{
	const long long stride = 6311251; /* about 50,000 steps, prime */

	for (long long t = -62135596800LL; t <= 253402300799LL; t += stride) {
		char out[HTTPDATE_LEN + 1];
		time_t parsed;
		httpdate_format((time_t)t, out);
		ck_assert_msg(httpdate_parse(out, strlen(out), &parsed), "%s", out);
		ck_assert_msg((long long)parsed == t, "%s: %lld != %lld", out, (long long)parsed,
		              t);
	}
}
END_TEST

struct parse_case {
	const char *text;
	long long t;
};

static const struct parse_case valid_cases[] = {
    /* IMF-fixdate */
    {"Sun, 06 Nov 1994 08:49:37 GMT", 784111777},
    {"Thu, 01 Jan 1970 00:00:00 GMT", 0},
    {"Wed, 31 Dec 1969 23:59:59 GMT", -1},
    {"Tue, 29 Feb 2000 00:00:00 GMT", 951782400},
    {"Thu, 29 Feb 1996 12:00:00 GMT", 825595200},
    {"Fri, 01 Jan 2100 00:00:00 GMT", 4102444800LL},
    {"Sun, 06 Nov 1994 23:59:60 GMT", 784166400}, /* leap second: next second */
    {"Mon, 06 Nov 1994 08:49:37 GMT", 784111777}, /* weekday is not cross-checked */
    /* RFC 850: the century depends on the current year (see
     * test_rfc850_year_window); these hold while it is 2006..2043. */
    {"Sunday, 06-Nov-94 08:49:37 GMT", 784111777},
    {"Wednesday, 01-Jan-30 00:00:00 GMT", 1893456000},
    {"Friday, 01-Jul-05 00:00:00 GMT", 1120176000},
    /* asctime */
    {"Sun Nov  6 08:49:37 1994", 784111777},
    {"Sun Nov 06 08:49:37 1994", 784111777},
    {"Tue Feb 29 00:00:00 2000", 951782400},
    {"Thu Jan  1 00:00:00 1970", 0},
};

START_TEST(test_parse_valid)
{
	const struct parse_case *c = &valid_cases[_i];
	time_t parsed = 12345;

	ck_assert_msg(httpdate_parse(c->text, strlen(c->text), &parsed), "rejected: %s", c->text);
	ck_assert_msg((long long)parsed == c->t, "%s: %lld, expected %lld", c->text,
	              (long long)parsed, c->t);
}
END_TEST

static const char *const invalid_cases[] = {
    "",
    "Sun",
    /* IMF-fixdate: spacing, case, names */
    "Sun, 06 Nov 1994 08:49:37 GMT ",
    " Sun, 06 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 08:49:37 GMTx",
    "Sun, 06 Nov 1994 08:49:37 gmt",
    "Sun, 06 Nov 1994 08:49:37 UTC",
    "Sun, 06 Nov 1994 08:49:37",
    "Sun, 6 Nov 1994 08:49:37 GMT",
    "Sun,  06 Nov 1994 08:49:37 GMT",
    "Sun 06 Nov 1994 08:49:37 GMT",
    "sun, 06 Nov 1994 08:49:37 GMT",
    "Xyz, 06 Nov 1994 08:49:37 GMT",
    "Sun, 06 nov 1994 08:49:37 GMT",
    "Sun, 06 Nob 1994 08:49:37 GMT",
    "Sun, 06 Nov 94 08:49:37 GMT",
    "Sun, 06 Nov +994 08:49:37 GMT",
    "Sun, 06 Nov 1994 8:49:37 GMT",
    "Sun, 06 Nov 1994 08:49 GMT",
    "Sun, 06 Nov 1994 08.49.37 GMT",
    "Sun, 06 Nov 1994 08:49:37 GMT\r\n",
    /* out-of-range fields */
    "Sun, 00 Nov 1994 08:49:37 GMT",
    "Sun, 31 Nov 1994 08:49:37 GMT",
    "Sun, 32 Jan 1994 08:49:37 GMT",
    "Sun, 29 Feb 1999 08:49:37 GMT",
    "Sun, 29 Feb 1900 08:49:37 GMT",
    "Sun, 06 Nov 1994 24:00:00 GMT",
    "Sun, 06 Nov 1994 08:60:00 GMT",
    "Sun, 06 Nov 1994 08:49:61 GMT",
    /* RFC 850 */
    "Sun, 06-Nov-94 08:49:37 GMT",
    "Sunday, 06-Nov-1994 08:49:37 GMT",
    "Sunday, 06 Nov 94 08:49:37 GMT",
    "Sunday, 06-Nov-94 08:49:37 GMT ",
    "Sunday, 06-Nov-94 08:49:37",
    "Sundae, 06-Nov-94 08:49:37 GMT",
    "Sunday, 31-Apr-94 08:49:37 GMT",
    /* asctime */
    "Sun Nov 6 08:49:37 1994",
    "Sun Nov   6 08:49:37 1994",
    "Sun Nov  6 08:49:37 1994 ",
    "Sun Nov  6 08:49:37 94",
    "Sun Nov  6 08:49:37 1994 GMT",
    "Sunday Nov  6 08:49:37 1994",
    "Sun Nov  0 08:49:37 1994",
    "Sun, Nov  6 08:49:37 1994",
};

START_TEST(test_parse_invalid)
{
	const char *text = invalid_cases[_i];
	time_t parsed;

	ck_assert_msg(!httpdate_parse(text, strlen(text), &parsed), "accepted: \"%s\"", text);
}
END_TEST

/* Only len bytes are read: a prefix is incomplete, an embedded NUL is garbage. */
START_TEST(test_parse_uses_length)
{
	const char text[] = "Sun, 06 Nov 1994 08:49:37 GMT\0Z";
	time_t parsed;

	ck_assert(httpdate_parse(text, HTTPDATE_LEN, &parsed));
	ck_assert(!httpdate_parse(text, HTTPDATE_LEN - 1, &parsed));
	ck_assert(!httpdate_parse(text, HTTPDATE_LEN + 1, &parsed));
	ck_assert(!httpdate_parse(text, 0, &parsed));
	ck_assert(!httpdate_parse(NULL, 0, &parsed));
}
END_TEST

static int utc_year(time_t t)
{
	struct tm tm;

	ck_assert_ptr_nonnull(gmtime_r(&t, &tm));
	return tm.tm_year + 1900;
}

/* RFC 9110 5.6.7: a two-digit year never lands more than 50 years in the future,
 * and with the same last two digits the most recent such year is chosen. */
START_TEST(test_rfc850_year_window)
{
	int now = utc_year(time(NULL));

	for (int yy = 0; yy < 100; yy++) {
		char text[64];
		time_t parsed;
		snprintf(text, sizeof(text), "Monday, 01-Jan-%02d 00:00:00 GMT", yy);
		ck_assert_msg(httpdate_parse(text, strlen(text), &parsed), "%s", text);
		int year = utc_year(parsed);
		ck_assert_int_eq(year % 100, yy);
		ck_assert_msg(year <= now + 50 && year > now - 50, "%s: %d", text, year);
	}
}
END_TEST

static Suite *httpdate_suite(void)
{
	Suite *s = suite_create("httpdate");
	TCase *format = tcase_create("format");
	TCase *parse = tcase_create("parse");

	tcase_add_loop_test(format, test_format_table, 0, (int)ARRAY_LEN(format_cases));
	tcase_add_loop_test(format, test_round_trip, 0, (int)ARRAY_LEN(format_cases));
	tcase_add_test(format, test_round_trip_sweep);
	suite_add_tcase(s, format);

	tcase_add_loop_test(parse, test_parse_valid, 0, (int)ARRAY_LEN(valid_cases));
	tcase_add_loop_test(parse, test_parse_invalid, 0, (int)ARRAY_LEN(invalid_cases));
	tcase_add_test(parse, test_parse_uses_length);
	tcase_add_test(parse, test_rfc850_year_window);
	suite_add_tcase(s, parse);
	return s;
}

int main(void)
{
	return check_run(httpdate_suite());
}
