/* Unit tests for managed_headers: the fields the server writes itself. */
#include "autoconfig.h"

#include "managed_headers.h"

#include "check_run.h"

#include <check.h>
#include <stdlib.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Every field the server writes itself, spelled as it sends them. */
static const char *const managed[] = {
    "Accept-Ranges",  "Allow",         "Connection",        "Content-Encoding",
    "Content-Length", "Content-Range", "Content-Type",      "Date",
    "ETag",           "Keep-Alive",    "Last-Modified",     "Location",
    "Server",         "Trailer",       "Transfer-Encoding", "Upgrade",
    "Vary",
};

START_TEST(test_managed)
{
	ck_assert_msg(response_field_is_managed(managed[_i]), "%s", managed[_i]);
}
END_TEST

START_TEST(test_any_case)
{
	ck_assert(response_field_is_managed("content-length"));
	ck_assert(response_field_is_managed("CONTENT-LENGTH"));
	ck_assert(response_field_is_managed("eTaG"));
}
END_TEST

/* Fields an administrator may add, and near misses of managed names. */
static const char *const free_fields[] = {
    "Cache-Control", "X-Frame-Options", "Content-Security-Policy", "Link",  "",
    "Content",       "Dates",           "Server-Timing",           "Vary ", "Etag2",
};

START_TEST(test_not_managed)
{
	ck_assert_msg(!response_field_is_managed(free_fields[_i]), "'%s'", free_fields[_i]);
}
END_TEST

static Suite *managed_headers_suite(void)
{
	Suite *s = suite_create("managed_headers");
	TCase *tc = tcase_create("fields");
	tcase_add_loop_test(tc, test_managed, 0, (int)ARRAY_LEN(managed));
	tcase_add_test(tc, test_any_case);
	tcase_add_loop_test(tc, test_not_managed, 0, (int)ARRAY_LEN(free_fields));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(managed_headers_suite());
}
