/* Unit tests for encoding: which precompressed sibling a client's
 * Accept-Encoding chooses (RFC 9110 section 12.5.3), and the entity-tag of
 * a coded representation. */
#include "autoconfig.h"

#include "encoding.h"
#include "qvalue.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A field and the codings it accepts, best first, as their names
 * ("identity" for the file as it is), joined by spaces. */
struct preference_case {
	const char *field;
	const char *expected;
};

static const struct preference_case preference_cases[] = {
    /* No field, an empty one, a malformed one: the file as it is. */
    {"", "identity"},
    {" , ", "identity"},
    {"gzip;q=2", "identity"},
    {"gzip;q=0.5.", "identity"},
    {"gzip;level=1", "identity"},
    {";q=1", "identity"},
    /* Equal weights: br, zstd, gzip, then identity. */
    {"gzip, zstd, br", "br zstd gzip identity"},
    {"gzip, deflate, br, zstd", "br zstd gzip identity"},
    {"zstd", "zstd identity"},
    {"x-gzip", "gzip identity"},
    {"ZSTD, GZip", "zstd gzip identity"},
    /* Higher q first, whatever the fixed order says. */
    {"br;q=0.5, zstd;q=0.8, gzip", "gzip zstd br identity"},
    {"br;q=0.5, zstd;q=0.8, gzip, identity;q=0.9", "gzip identity zstd br"},
    {"br;q=0.001, zstd;q=0.002", "zstd br identity"},
    {"gzip;q=1.000, br;q=0.999", "gzip br identity"},
    {"gzip ; q=0.7 , br ;Q=0.6", "gzip br identity"},
    {"gzip;q=0.5, br;q=0.4", "gzip br identity"},
    /* q=0 refuses. */
    {"br;q=0, gzip", "gzip identity"},
    {"br;q=0.000, zstd;q=0", "identity"},
    {"*;q=0", ""},
    /* identity: acceptable unless refused, and then only by name or "*";
     * unnamed, it comes after the codings the client names. */
    {"gzip, identity;q=0", "gzip"},
    {"identity;q=0", ""},
    {"*;q=0, identity", "identity"},
    {"*;q=0, zstd", "zstd"},
    {"gzip;q=0.5, identity", "identity gzip"},
    /* "*" speaks for every coding not named, identity included. */
    {"*", "br zstd gzip identity"},
    {"*;q=0.5, gzip", "gzip br zstd identity"},
    {"*;q=0.5, zstd;q=0", "br gzip identity"},
    {"br;q=0, *", "zstd gzip identity"},
    /* Codings switchboard has no sibling for count for nothing. */
    {"deflate, compress", "identity"},
};

static void names_of(const enum content_coding *order, size_t n, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *name = encoding_name(order[i]);
		size_t used = strlen(out);
		snprintf(out + used, size - used, "%s%s", i > 0 ? " " : "",
		         name != NULL ? name : "identity");
	}
}

START_TEST(test_preferences)
{
	const struct preference_case *c = &preference_cases[_i];
	enum content_coding order[CODING_COUNT];
	size_t n = encoding_preferences(c->field, strlen(c->field), order);
	ck_assert_uint_le(n, CODING_COUNT);
	char got[128];
	names_of(order, n, got, sizeof got);
	ck_assert_msg(strcmp(got, c->expected) == 0, "Accept-Encoding: %s: got \"%s\", want \"%s\"",
	              c->field, got, c->expected);
}
END_TEST

/* The field is a span of the request: nothing past len is read. */
START_TEST(test_preferences_respect_length)
{
	const char field[] = "gzip;q=0, br";
	enum content_coding order[CODING_COUNT];
	size_t n = encoding_preferences(field, strlen("gzip"), order);
	char got[128];
	names_of(order, n, got, sizeof got);
	ck_assert_str_eq(got, "gzip identity");
}
END_TEST

START_TEST(test_names_and_suffixes)
{
	ck_assert_str_eq(encoding_name(CODING_BR), "br");
	ck_assert_str_eq(encoding_name(CODING_ZSTD), "zstd");
	ck_assert_str_eq(encoding_name(CODING_GZIP), "gzip");
	ck_assert_ptr_null(encoding_name(CODING_IDENTITY));
	ck_assert_str_eq(encoding_suffix(CODING_BR), ".br");
	ck_assert_str_eq(encoding_suffix(CODING_ZSTD), ".zst");
	ck_assert_str_eq(encoding_suffix(CODING_GZIP), ".gz");
	ck_assert_str_eq(encoding_suffix(CODING_IDENTITY), "");
}
END_TEST

START_TEST(test_mark_etag)
{
	char etag[32] = "\"2a-5f3e\"";
	ck_assert(encoding_mark_etag(etag, sizeof etag, NULL));
	ck_assert_str_eq(etag, "\"2a-5f3e\"");
	ck_assert(encoding_mark_etag(etag, sizeof etag, "zstd"));
	ck_assert_str_eq(etag, "\"2a-5f3e-zstd\"");

	/* "x-gzip", quoted, needs 9 bytes with its NUL: 8 are too few. */
	char small[10] = "\"x\"";
	ck_assert(!encoding_mark_etag(small, 8, "gzip"));
	ck_assert_str_eq(small, "\"x\"");
	ck_assert(encoding_mark_etag(small, 9, "gzip"));
	ck_assert_str_eq(small, "\"x-gzip\"");
}
END_TEST

struct qvalue_case {
	const char *text;
	int value;
};

static const struct qvalue_case qvalue_cases[] = {
    {"1", 1000},    {"1.", 1000}, {"1.000", 1000}, {"0", 0},      {"0.5", 500},
    {"0.05", 50},   {"0.001", 1}, {"0.999", 999},  {"1.001", -1}, {"2", -1},
    {"0.0000", -1}, {".5", -1},   {"0,5", -1},     {"", -1},      {"0.5a", -1},
};

START_TEST(test_qvalue)
{
	const struct qvalue_case *c = &qvalue_cases[_i];
	ck_assert_msg(http_qvalue(c->text, strlen(c->text)) == c->value, "qvalue \"%s\"", c->text);
}
END_TEST

static Suite *encoding_suite(void)
{
	Suite *s = suite_create("encoding");
	TCase *choice = tcase_create("choice");
	tcase_add_loop_test(choice, test_preferences, 0, (int)ARRAY_LEN(preference_cases));
	tcase_add_test(choice, test_preferences_respect_length);
	tcase_add_loop_test(choice, test_qvalue, 0, (int)ARRAY_LEN(qvalue_cases));
	suite_add_tcase(s, choice);
	TCase *names = tcase_create("names");
	tcase_add_test(names, test_names_and_suffixes);
	tcase_add_test(names, test_mark_etag);
	suite_add_tcase(s, names);
	return s;
}

int main(void)
{
	return check_run(encoding_suite());
}
