/* Unit tests for httpchars: each class checked byte by byte against the
 * definitions of RFC 9110 section 5.6.2 (tchar), 5.6.3 (OWS) and 5.5 (field
 * values), RFC 5234 appendix B.1 (VCHAR, HEXDIG, DIGIT) and RFC 3986 section 2
 * (unreserved, sub-delims). */
#include "autoconfig.h"

#include "httpchars.h"

#include "check_run.h"

#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool rfc_tchar(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool rfc_field_value(int c)
{
	return c == '\t' || (c >= 0x20 && c <= 0x7e) || c >= 0x80;
}

static bool rfc_vchar(int c)
{
	return c >= 0x21 && c <= 0x7e;
}

/* The bytes of a reg-name but pct-encoded: unreserved / sub-delims. */
static bool rfc_host_byte(int c)
{
	bool unreserved = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	                  (c >= 'A' && c <= 'Z') || (c != 0 && strchr("-._~", c) != NULL);
	bool sub_delim = c != 0 && strchr("!$&'()*+,;=", c) != NULL;
	return unreserved || sub_delim;
}

/* ABNF strings are case-insensitive: HEXDIG matches "a" to "f" too. */
static bool rfc_hexdig(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

START_TEST(test_every_byte)
{
	for (int c = 0; c < 256; c++) {
		ck_assert_msg(http_is_tchar((unsigned char)c) == rfc_tchar(c), "tchar 0x%02x", c);
		ck_assert_msg(http_is_ows((unsigned char)c) == (c == ' ' || c == '\t'),
		              "OWS 0x%02x", c);
		ck_assert_msg(http_is_field_value_byte((unsigned char)c) == rfc_field_value(c),
		              "field value 0x%02x", c);
		ck_assert_msg(http_is_vchar((unsigned char)c) == rfc_vchar(c), "VCHAR 0x%02x", c);
		ck_assert_msg(http_is_host_byte((unsigned char)c) == rfc_host_byte(c),
		              "host byte 0x%02x", c);
		ck_assert_msg(http_is_hex((unsigned char)c) == rfc_hexdig(c), "HEXDIG 0x%02x", c);
		ck_assert_msg(http_is_digit((unsigned char)c) == (c >= '0' && c <= '9'),
		              "DIGIT 0x%02x", c);
	}
}
END_TEST

START_TEST(test_hex_value)
{
	for (int c = 0; c < 256; c++) {
		int want = c >= '0' && c <= '9'   ? c - '0'
		           : c >= 'a' && c <= 'f' ? c - 'a' + 10
		           : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                                  : -1;
		ck_assert_msg(http_hex_value((unsigned char)c) == want, "hex value of 0x%02x", c);
	}
}
END_TEST

START_TEST(test_token)
{
	ck_assert(http_is_token("Cache-Control"));
	ck_assert(http_is_token("X-a!#$%&'*+-.^_`|~9"));
	ck_assert(!http_is_token(""));
	ck_assert(!http_is_token("Bad Name"));
	ck_assert(!http_is_token("colon:"));
	ck_assert(!http_is_token("caf\xc3\xa9"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("httpchars");
	TCase *tc = tcase_create("classes");
	tcase_add_test(tc, test_every_byte);
	tcase_add_test(tc, test_token);
	tcase_add_test(tc, test_hex_value);
	suite_add_tcase(s, tc);
	return check_run(s);
}
