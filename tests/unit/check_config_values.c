/* Unit tests for config_values: sizes, counts, choices and control bytes
 * (durations: check_config). */
#include "autoconfig.h"

#include "config_values.h"

#include "check_run.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct size_case {
	const char *text;
	bool valid;
	uint64_t bytes;
};

static const struct size_case size_cases[] = {
    {"0", true, 0},
    {"off", true, 0},
    {"1", true, 1},
    {"512k", true, 524288},
    {"16m", true, 16777216},
    {"1g", true, 1073741824},
    {"1099511627776", true, UINT64_C(1) << 40},
    {"1024g", true, UINT64_C(1) << 40},
    {"1099511627777", false, 0},
    {"", false, 0},
    {"k", false, 0},
    {"16M", false, 0},
    {"16mb", false, 0},
    {"1t", false, 0},
    {"-1", false, 0},
    {" 1", false, 0},
    {"1 ", false, 0},
    {"on", false, 0},
    {"Off", false, 0},
};

START_TEST(test_size)
{
	const struct size_case *c = &size_cases[_i];
	uint64_t bytes = 42;
	bool ok = config_parse_size(c->text, &bytes);
	ck_assert_msg(ok == c->valid, "\"%s\": %s", c->text, ok ? "accepted" : "refused");
	ck_assert_msg(bytes == (c->valid ? c->bytes : 42), "\"%s\": %llu", c->text,
	              (unsigned long long)bytes);
}
END_TEST

struct count_case {
	const char *text;
	size_t max;
	bool valid;
	size_t n;
};

static const struct count_case count_cases[] = {
    {"0", 10, true, 0},
    {"10", 10, true, 10},
    {"007", 10, true, 7},
    {"11", 10, false, 0},
    {"99999999999999999999999", 1000, false, 0},
    {"", 10, false, 0},
    {"1a", 10, false, 0},
    {"+1", 10, false, 0},
    {"-1", 10, false, 0},
    {"1.0", 10, false, 0},
};

START_TEST(test_count)
{
	const struct count_case *c = &count_cases[_i];
	size_t n = 42;
	bool ok = config_parse_count(c->text, c->max, &n);
	ck_assert_msg(ok == c->valid, "\"%s\": %s", c->text, ok ? "accepted" : "refused");
	ck_assert_uint_eq(n, c->valid ? c->n : 42);
}
END_TEST

START_TEST(test_choices)
{
	static const char *const choices[] = {"never", "inside-root", "always", NULL};
	char list[64], cut[12];
	ck_assert_int_eq(config_choice_index(choices, "never"), 0);
	ck_assert_int_eq(config_choice_index(choices, "always"), 2);
	ck_assert_int_eq(config_choice_index(choices, "Always"), -1);
	ck_assert_int_eq(config_choice_index(choices, "inside"), -1);
	ck_assert_int_eq(config_choice_index(choices, ""), -1);
	config_list_choices(choices, list, sizeof list);
	ck_assert_str_eq(list, "never, inside-root, always");
	config_list_choices(choices, cut, sizeof cut);
	ck_assert_str_eq(cut, "never, insi");
}
END_TEST

START_TEST(test_control_bytes)
{
	ck_assert(!config_has_control_byte(""));
	ck_assert(!config_has_control_byte("/srv/my site/\xc3\xa9"));
	ck_assert(config_has_control_byte("a\tb"));
	ck_assert(config_has_control_byte("a\nb"));
	ck_assert(config_has_control_byte("\001"));
	ck_assert(config_has_control_byte("a\177"));
}
END_TEST

static Suite *config_values_suite(void)
{
	Suite *s = suite_create("config_values");
	TCase *tc = tcase_create("values");
	tcase_add_loop_test(tc, test_size, 0, (int)ARRAY_LEN(size_cases));
	tcase_add_loop_test(tc, test_count, 0, (int)ARRAY_LEN(count_cases));
	tcase_add_test(tc, test_choices);
	tcase_add_test(tc, test_control_bytes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(config_values_suite());
}
