/* Unit tests for conditional: ETags and conditional requests (RFC 9110 sections
 * 8.8, 13), with requests built from real request bytes through http_parser. */
#include "autoconfig.h"

#include "conditional.h"

#include "http_parser.h"
#include "httpdate.h"

#include "check_run.h"

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Sun, 06 Nov 1994 08:49:37 GMT: the example date of RFC 9110 section 5.6.7. */
#define MTIME ((time_t)784111777)

#define REQUEST_MAX 2048

/* ------------------------------------------------------------------ helpers */

static struct stat make_stat(unsigned long long ino, long long size, long long sec, long nsec)
{
	struct stat st;
	memset(&st, 0, sizeof st);
	st.st_ino = (ino_t)ino;
	st.st_size = (off_t)size;
	st.st_mtim.tv_sec = (time_t)sec;
	st.st_mtim.tv_nsec = nsec;
	return st;
}

/* The ETag the cases below are evaluated against. */
static void test_etag(char out[ETAG_MAX])
{
	struct stat st = make_stat(0x2a, 1024 * 1024, (long long)MTIME, 500000000L);
	etag_from_stat(&st, out);
}

static void append(char *buf, size_t *len, const char *text)
{
	size_t n = strlen(text);
	ck_assert_msg(*len + n < REQUEST_MAX, "test request too long");
	memcpy(buf + *len, text, n + 1);
	*len += n;
}

/* Expand a table's header lines into request bytes: "\n" ends a field line
 * (CRLF), {E} is the ETag, {M} the IMF-fixdate of mtime, {O} one second older,
 * {N} one second newer. */
static void build_request(char *buf, const char *headers, const char *etag, time_t mtime)
{
	size_t len = 0;
	buf[0] = '\0';
	append(buf, &len, "GET /file.txt HTTP/1.1\r\nHost: example.test\r\n");
	for (const char *p = headers; *p != '\0'; p++) {
		char date[HTTPDATE_LEN + 1];
		char one[2] = {*p, '\0'};
		if (*p == '\n') {
			append(buf, &len, "\r\n");
		} else if (p[0] == '{' && p[1] != '\0' && p[2] == '}') {
			switch (p[1]) {
			case 'E':
				append(buf, &len, etag);
				break;
			case 'M':
				httpdate_format(mtime, date);
				append(buf, &len, date);
				break;
			case 'O':
				httpdate_format(mtime - 1, date);
				append(buf, &len, date);
				break;
			case 'N':
				httpdate_format(mtime + 1, date);
				append(buf, &len, date);
				break;
			default:
				ck_abort_msg("unknown placeholder in \"%s\"", headers);
			}
			p += 2;
		} else {
			append(buf, &len, one);
		}
	}
	if (len > 0 && headers[0] != '\0' && buf[len - 1] != '\n')
		append(buf, &len, "\r\n");
	append(buf, &len, "\r\n");
}

/* Parse a whole request head; it must be complete and well-formed. */
static struct http_request parse_request(const char *raw)
{
	struct http_parser p;
	size_t len = strlen(raw);

	http_parser_init(&p);
	enum http_parse_result r = http_parser_feed(&p, raw, len);
	ck_assert_msg(r == HTTP_PARSE_DONE, "parse result %d (status %d) for:\n%s", (int)r,
	              p.status, raw);
	ck_assert_uint_eq(p.req.head_len, len);
	return p.req;
}

static const char *conditional_name(enum conditional_result r)
{
	switch (r) {
	case CONDITIONAL_PROCEED:
		return "PROCEED";
	case CONDITIONAL_NOT_MODIFIED:
		return "304";
	case CONDITIONAL_PRECONDITION_FAILED:
		return "412";
	}
	return "?";
}

/* ---------------------------------------------------------------- etag_from_* */

struct stat_case {
	unsigned long long ino;
	long long size;
	long long sec;
	long nsec;
};

static const struct stat_case stat_cases[] = {
    {0, 0, 0, 0},
    {1, 1, 1, 1},
    {0x2a, 1024, 784111777, 500000000},
    {12345678, 5368709120LL, 1700000000, 999999999},
    {UINT64_MAX, INT64_MAX, INT64_MAX, 999999999}, /* the longest tag */
    {UINT64_MAX, INT64_MAX, -1, 999999999},        /* before the epoch */
};

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Quoted, strong, never truncated; between the quotes hexadecimal fields
 * separated by separators (in order), each field non-empty. Returns the
 * length of the last field. */
static size_t check_tag_shape(const char *tag, const char *separators)
{
	size_t len = strnlen(tag, ETAG_MAX);
	ck_assert_msg(len < ETAG_MAX, "not NUL-terminated");
	ck_assert_msg(len >= 2 + 2 * strlen(separators), "%s: too short", tag);
	ck_assert_msg(tag[0] == '"' && tag[len - 1] == '"', "%s: not quoted", tag);
	ck_assert_msg(strncmp(tag, "W/", 2) != 0, "%s: weak", tag);
	size_t field = 0, digits = 0;
	for (size_t i = 1; i < len - 1; i++) {
		if (is_lower_hex(tag[i])) {
			digits++;
			continue;
		}
		ck_assert_msg(separators[field] != '\0' && tag[i] == separators[field] &&
		                  digits > 0,
		              "%s: unexpected '%c' at %zu", tag, tag[i], i);
		field++;
		digits = 0;
	}
	ck_assert_msg(separators[field] == '\0' && digits > 0, "%s: wrong number of fields", tag);
	/* Our own tag matches itself under both comparisons. */
	ck_assert(etag_list_matches(tag, len, tag, false));
	ck_assert(etag_list_matches(tag, len, tag, true));
	return digits;
}

/* "\"size-sec.nsec\"" for a file tagged by its time stamp. */
START_TEST(test_etag_shape)
{
	const struct stat_case *c = &stat_cases[_i];
	struct stat st = make_stat(c->ino, c->size, c->sec, c->nsec);
	char tag[ETAG_MAX];

	memset(tag, 'X', sizeof tag);
	etag_from_stat(&st, tag);
	check_tag_shape(tag, "-.");
}
END_TEST

/* "\"size-hash\"", the hash always in 16 digits. */
START_TEST(test_etag_content_shape)
{
	static const uint64_t hashes[] = {0, 1, 0x1234, UINT64_MAX, 0x8000000000000000u};
	char tag[ETAG_MAX];

	for (size_t i = 0; i < ARRAY_LEN(hashes); i++) {
		memset(tag, 'X', sizeof tag);
		etag_from_content(ETAG_HASH_MAX_FILE, hashes[i], tag);
		ck_assert_uint_eq(check_tag_shape(tag, "-"), 16);
	}
}
END_TEST

START_TEST(test_etag_exact)
{
	char tag[ETAG_MAX];
	struct stat st = make_stat(0x1234, 0x10, 0x5f5e100, 0x1);

	etag_from_stat(&st, tag);
	ck_assert_str_eq(tag, "\"10-5f5e100.1\"");

	st = make_stat(0, 0, 0, 0);
	etag_from_stat(&st, tag);
	ck_assert_str_eq(tag, "\"0-0.0\"");

	st = make_stat(UINT64_MAX, INT64_MAX, INT64_MAX, 999999999);
	etag_from_stat(&st, tag);
	ck_assert_str_eq(tag, "\"7fffffffffffffff-7fffffffffffffff.3b9ac9ff\"");

	etag_from_content(0x10, 0x1234, tag);
	ck_assert_str_eq(tag, "\"10-0000000000001234\"");
	etag_from_content(0, UINT64_MAX, tag);
	ck_assert_str_eq(tag, "\"0-ffffffffffffffff\"");
}
END_TEST

/* Any change of size, seconds or nanoseconds gives another tag. */
static const struct stat_case variant_cases[] = {
    {100, 4096, 1700000000, 123456789}, /* the base */
    {100, 4097, 1700000000, 123456789}, /* size */
    {100, 4096, 1700000001, 123456789}, /* seconds */
    {100, 4096, 1700000000, 123456788}, /* nanoseconds */
    {100, 4096, 1700000000, 0},
    {100, 1700000000, 4096, 123456789}, /* fields swapped */
    {0, 0, 0, 0},
};

START_TEST(test_etag_differs)
{
	char tags[ARRAY_LEN(variant_cases)][ETAG_MAX];

	for (size_t i = 0; i < ARRAY_LEN(variant_cases); i++) {
		const struct stat_case *c = &variant_cases[i];
		struct stat st = make_stat(c->ino, c->size, c->sec, c->nsec);
		etag_from_stat(&st, tags[i]);
	}
	for (size_t i = 0; i < ARRAY_LEN(variant_cases); i++)
		for (size_t j = i + 1; j < ARRAY_LEN(variant_cases); j++)
			ck_assert_msg(strcmp(tags[i], tags[j]) != 0, "cases %zu and %zu: %s", i, j,
			              tags[i]);

	/* Fields the tag is not made of do not change it: a copy of the file on
	 * another host (another inode, device, mode, link count) has the same. */
	struct stat a = make_stat(100, 4096, 1700000000, 123456789);
	struct stat b = a;
	char ta[ETAG_MAX], tb[ETAG_MAX];
	b.st_ino = 101;
	b.st_dev = 7;
	b.st_mode = S_IFREG | 0644;
	b.st_nlink = 3;
	b.st_atim.tv_sec = 1;
	b.st_ctim.tv_sec = 2;
	etag_from_stat(&a, ta);
	etag_from_stat(&b, tb);
	ck_assert_str_eq(ta, tb);
}
END_TEST

/* Content tags differ with the size or the hash, and never equal a time tag. */
START_TEST(test_etag_content_differs)
{
	char a[ETAG_MAX], b[ETAG_MAX];

	etag_from_content(100, 0xabc, a);
	etag_from_content(100, 0xabd, b);
	ck_assert_str_ne(a, b);
	etag_from_content(101, 0xabc, b);
	ck_assert_str_ne(a, b);
	etag_from_content(100, 0xabc, b);
	ck_assert_str_eq(a, b);
	/* A time tag has a '.', a content tag none. */
	for (size_t i = 0; i < ARRAY_LEN(stat_cases); i++) {
		struct stat st = make_stat(stat_cases[i].ino, stat_cases[i].size, stat_cases[i].sec,
		                           stat_cases[i].nsec);
		etag_from_stat(&st, b);
		ck_assert_ptr_nonnull(strchr(b, '.'));
		ck_assert_ptr_null(strchr(a, '.'));
	}
}
END_TEST

/* --------------------------------------------------------- etag_list_matches */

#define TAG "\"abc-1\""

struct match_case {
	const char *list;
	bool strong; /* expected under strong comparison */
	bool weak;   /* expected under weak comparison */
};

static const struct match_case match_cases[] = {
    {TAG, true, true},
    {"*", true, true},
    {" * ", true, true},
    {"\t*\t", true, true},
    {"\"other\"", false, false},
    {"\"other\", " TAG, true, true},
    {"\"other\"," TAG, true, true},
    {TAG ", \"other\"", true, true},
    {"\"a\", \"b\",\t" TAG " , \"c\"", true, true},
    {" " TAG " ", true, true},
    {"\t" TAG "\t", true, true},
    {"\"other\" ,\t" TAG "  ", true, true},
    /* empty list elements are ignored (section 5.6.1) */
    {"," TAG ",", true, true},
    {", , " TAG, true, true},
    {TAG ",,", true, true},
    /* weak tags: only the weak comparison ignores W/ */
    {"W/" TAG, false, true},
    {"\"other\", W/" TAG, false, true},
    {"W/\"other\", " TAG, true, true},
    {"W/\"other\"", false, false},
    {"w/" TAG, false, false}, /* the W/ prefix is case-sensitive */
    {"W/ " TAG, false, false},
    {"W" TAG, false, false},
    /* opaque-tag compared byte for byte, quotes included */
    {"\"ABC-1\"", false, false},
    {"\"abc-12\"", false, false},
    {"\"abc-\"", false, false},
    {"\"bc-1\"", false, false},
    {"abc-1", false, false}, /* unquoted */
    {"\"\"", false, false},
    /* empty or nothing but separators */
    {"", false, false},
    {"   ", false, false},
    {",", false, false},
    {" , ,\t", false, false},
    /* "*" only on its own */
    {"**", false, false},
    {"\"*\"", false, false},
    /* malformed: matches nothing */
    {"\"abc-1", false, false}, /* unterminated quote */
    {"\"", false, false},
    {"W/", false, false},
    {"W/\"abc-1", false, false},
    {"garbage, " TAG, false, false},
    {"\"a b\", " TAG, false, false}, /* SP is not etagc */
    {"\"other, " TAG, false, false},
    {"*, " TAG, false, false},
};

START_TEST(test_list_matches)
{
	const struct match_case *c = &match_cases[_i];
	size_t len = strlen(c->list);

	ck_assert_msg(etag_list_matches(c->list, len, TAG, false) == c->strong,
	              "strong: '%s' against %s: expected %d", c->list, TAG, (int)c->strong);
	ck_assert_msg(etag_list_matches(c->list, len, TAG, true) == c->weak,
	              "weak: '%s' against %s: expected %d", c->list, TAG, (int)c->weak);
}
END_TEST

/* A malformed list matches nothing, wherever in it the malformed part is: a
 * matching tag before it, or elements not separated by a comma (#rule). */
static const char *const malformed_after_match[] = {
    TAG ", garbage",  TAG ", \"unterminated", TAG "garbage",   TAG "\"other\"",
    TAG " \"other\"", "\"other\" " TAG,       "\"other\"" TAG, TAG ", *",
};

START_TEST(test_list_malformed_after_match)
{
	const char *list = malformed_after_match[_i];
	size_t len = strlen(list);

	ck_assert_msg(!etag_list_matches(list, len, TAG, false), "strong: '%s' matched", list);
	ck_assert_msg(!etag_list_matches(list, len, TAG, true), "weak: '%s' matched", list);
}
END_TEST

/* Only len bytes are read; bytes of etagc beyond ASCII (obs-text) are allowed,
 * controls and DEL are not. */
START_TEST(test_list_bytes)
{
	const char list[] = TAG ", \"other\"";

	ck_assert(etag_list_matches(list, strlen(TAG), TAG, false));
	ck_assert(!etag_list_matches(list, strlen(TAG) - 1, TAG, false)); /* cut quote */
	ck_assert(!etag_list_matches(list, 0, TAG, true));
	ck_assert(etag_list_matches("*x", 1, TAG, false));
	ck_assert(etag_list_matches("\"\xc3\xa9\"", 4, "\"\xc3\xa9\"", false));
	ck_assert(etag_list_matches("\"a,b\"", 5, "\"a,b\"", false)); /* ',' is etagc */
	ck_assert(!etag_list_matches("\"a\x7f\"", 4, "\"a\x7f\"", false));
	ck_assert(!etag_list_matches("\"a\x01\"", 4, "\"a\x01\"", false));
	ck_assert(!etag_list_matches("\"a\tb\"", 5, "\"a\tb\"", false));
}
END_TEST

/* ------------------------------------------------------ conditional_evaluate */

struct eval_case {
	const char *headers;
	enum conditional_result expected;
};

static const struct eval_case eval_cases[] = {
    {"", CONDITIONAL_PROCEED},
    /* If-Match: strong comparison (section 13.1.1) */
    {"If-Match: {E}", CONDITIONAL_PROCEED},
    {"If-Match: *", CONDITIONAL_PROCEED},
    {"If-Match: \"nope\", {E}", CONDITIONAL_PROCEED},
    {"If-Match: \"nope\"", CONDITIONAL_PRECONDITION_FAILED},
    {"If-Match: W/{E}", CONDITIONAL_PRECONDITION_FAILED},
    {"If-Match: garbage", CONDITIONAL_PRECONDITION_FAILED},
    {"if-match: \"nope\"", CONDITIONAL_PRECONDITION_FAILED}, /* names are case-insensitive */
    /* If-Unmodified-Since, only without If-Match (section 13.1.4) */
    {"If-Unmodified-Since: {O}", CONDITIONAL_PRECONDITION_FAILED},
    {"If-Unmodified-Since: {M}", CONDITIONAL_PROCEED},
    {"If-Unmodified-Since: {N}", CONDITIONAL_PROCEED},
    {"If-Unmodified-Since: garbage", CONDITIONAL_PROCEED},
    {"If-Unmodified-Since: {O}, {O}", CONDITIONAL_PROCEED}, /* a list is no date */
    {"If-Unmodified-Since: Sunday, 06-Nov-94 08:49:36 GMT", CONDITIONAL_PRECONDITION_FAILED},
    {"If-Unmodified-Since: Sun Nov  6 08:49:36 1994", CONDITIONAL_PRECONDITION_FAILED},
    {"If-Unmodified-Since: Sun Nov  6 08:49:37 1994", CONDITIONAL_PROCEED},
    {"If-Match: {E}\nIf-Unmodified-Since: {O}", CONDITIONAL_PROCEED},
    {"If-Match: *\nIf-Unmodified-Since: {O}", CONDITIONAL_PROCEED},
    {"If-Match: \"nope\"\nIf-Unmodified-Since: {N}", CONDITIONAL_PRECONDITION_FAILED},
    /* If-None-Match: weak comparison (section 13.1.2) */
    {"If-None-Match: {E}", CONDITIONAL_NOT_MODIFIED},
    {"If-None-Match: W/{E}", CONDITIONAL_NOT_MODIFIED},
    {"If-None-Match: *", CONDITIONAL_NOT_MODIFIED},
    {"If-None-Match: \"nope\", {E}", CONDITIONAL_NOT_MODIFIED},
    {"If-None-Match: \"nope\"", CONDITIONAL_PROCEED},
    {"If-None-Match: garbage", CONDITIONAL_PROCEED},
    {"If-None-Match: \"unterminated", CONDITIONAL_PROCEED},
    {"If-None-Match: \"nope\"\nIf-Modified-Since: {M}", CONDITIONAL_PROCEED},
    {"If-None-Match: \"nope\"\nIf-Modified-Since: {N}", CONDITIONAL_PROCEED},
    {"If-Modified-Since: {M}\nIf-None-Match: \"nope\"", CONDITIONAL_PROCEED},
    {"If-None-Match: {E}\nIf-Modified-Since: {O}", CONDITIONAL_NOT_MODIFIED},
    /* If-Modified-Since, only without If-None-Match (section 13.1.3) */
    {"If-Modified-Since: {M}", CONDITIONAL_NOT_MODIFIED},
    {"If-Modified-Since: {O}", CONDITIONAL_PROCEED},
    {"If-Modified-Since: {N}", CONDITIONAL_NOT_MODIFIED},
    {"If-Modified-Since: garbage", CONDITIONAL_PROCEED},
    {"If-Modified-Since: {M}, {M}", CONDITIONAL_PROCEED},    /* a list is no date */
    {"If-Modified-Since: {M}   ", CONDITIONAL_NOT_MODIFIED}, /* OWS is not the value */
    {"If-Modified-Since: sun, 06 nov 1994 08:49:37 gmt", CONDITIONAL_PROCEED},
    {"if-modified-since: {M}", CONDITIONAL_NOT_MODIFIED},
    /* the three HTTP-date forms (section 5.6.7) */
    {"If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT", CONDITIONAL_NOT_MODIFIED},
    {"If-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT", CONDITIONAL_PROCEED},
    /* RFC 850: "94" is 1994 while the current year is before 2044 */
    {"If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT", CONDITIONAL_NOT_MODIFIED},
    {"If-Modified-Since: Sunday, 06-Nov-94 08:49:36 GMT", CONDITIONAL_PROCEED},
    {"If-Modified-Since: Sun Nov  6 08:49:37 1994", CONDITIONAL_NOT_MODIFIED},
    {"If-Modified-Since: Sun Nov  6 08:49:36 1994", CONDITIONAL_PROCEED},
    /* precedence (section 13.2.2): If-Match, If-Unmodified-Since, If-None-Match,
     * If-Modified-Since */
    {"If-Match: \"nope\"\nIf-None-Match: {E}", CONDITIONAL_PRECONDITION_FAILED},
    {"If-None-Match: {E}\nIf-Match: \"nope\"", CONDITIONAL_PRECONDITION_FAILED},
    {"If-Match: {E}\nIf-None-Match: {E}", CONDITIONAL_NOT_MODIFIED},
    {"If-Match: {E}\nIf-None-Match: \"nope\"", CONDITIONAL_PROCEED},
    {"If-Unmodified-Since: {O}\nIf-None-Match: {E}", CONDITIONAL_PRECONDITION_FAILED},
    {"If-Unmodified-Since: {O}\nIf-Modified-Since: {M}", CONDITIONAL_PRECONDITION_FAILED},
    {"If-Unmodified-Since: {M}\nIf-Modified-Since: {M}", CONDITIONAL_NOT_MODIFIED},
    {"If-Match: {E}\nIf-Modified-Since: {M}", CONDITIONAL_NOT_MODIFIED},
    {"If-Match: \"nope\"\nIf-Modified-Since: {M}", CONDITIONAL_PRECONDITION_FAILED},
    {"If-Match: {E}\nIf-None-Match: \"nope\"\nIf-Modified-Since: {M}", CONDITIONAL_PROCEED},
    {"If-Match: *\nIf-Unmodified-Since: {O}\nIf-None-Match: *\nIf-Modified-Since: {O}",
     CONDITIONAL_NOT_MODIFIED},
};

START_TEST(test_evaluate)
{
	const struct eval_case *c = &eval_cases[_i];
	char etag[ETAG_MAX];
	char raw[REQUEST_MAX];

	test_etag(etag);
	build_request(raw, c->headers, etag, MTIME);
	struct http_request req = parse_request(raw);
	enum conditional_result got = conditional_evaluate(&req, raw, etag, MTIME);
	ck_assert_msg(got == c->expected, "%s, expected %s, for:\n%s", conditional_name(got),
	              conditional_name(c->expected), raw);
}
END_TEST

/* A representation without validators (a listing): only "*" can match. */
static const struct eval_case untagged_cases[] = {
    {"", CONDITIONAL_PROCEED},
    {"If-None-Match: *", CONDITIONAL_NOT_MODIFIED},
    {"If-None-Match:  * ", CONDITIONAL_NOT_MODIFIED},
    {"If-None-Match: \"x\"", CONDITIONAL_PROCEED},
    {"If-None-Match: \"x\", \"y\"", CONDITIONAL_PROCEED},
    {"If-Match: *", CONDITIONAL_PROCEED},
    {"If-Match: \"x\"", CONDITIONAL_PRECONDITION_FAILED},
    {"If-Match: *\nIf-None-Match: *", CONDITIONAL_NOT_MODIFIED},
    {"If-Match: \"x\"\nIf-None-Match: *", CONDITIONAL_PRECONDITION_FAILED},
    /* No Last-Modified: the dates say nothing. */
    {"If-Modified-Since: {N}", CONDITIONAL_PROCEED},
    {"If-Unmodified-Since: {O}", CONDITIONAL_PROCEED},
};

START_TEST(test_evaluate_untagged)
{
	const struct eval_case *c = &untagged_cases[_i];
	char raw[REQUEST_MAX];

	build_request(raw, c->headers, "", MTIME);
	struct http_request req = parse_request(raw);
	enum conditional_result got = conditional_evaluate_untagged(&req, raw);
	ck_assert_msg(got == c->expected, "%s, expected %s, for:\n%s", conditional_name(got),
	              conditional_name(c->expected), raw);
}
END_TEST

/* ------------------------------------------------- conditional_range_allowed */

struct range_case {
	const char *headers;
	bool expected;
};

static const struct range_case range_cases[] = {
    {"", true},
    {"Range: bytes=0-1", true},
    {"Range: bytes=0-1\nIf-Range: {E}", true},
    {"If-Range: {E}", true},
    {"If-Range: {E}  ", true},
    {"if-range: {E}", true},
    {"If-Range: W/{E}", false}, /* a weak tag never matches (section 13.1.5) */
    {"If-Range: \"nope\"", false},
    {"If-Range: \"unterminated", false},
    {"If-Range: *", false},
    {"If-Range: {M}", true},
    {"If-Range: {O}", false},
    {"If-Range: {N}", false},
    {"If-Range: Sun, 06 Nov 1994 08:49:37 GMT", true},
    {"If-Range: Sunday, 06-Nov-94 08:49:37 GMT", true},
    {"If-Range: Sun Nov  6 08:49:37 1994", true},
    {"If-Range: Sun Nov  6 08:49:38 1994", false},
    {"If-Range: garbage", false},
    {"If-Range: W", false},
    {"If-Range: W/", false},
    {"If-Range: 784111777", false},
    {"If-Range: {M}, {M}", false},
};

START_TEST(test_range_allowed)
{
	const struct range_case *c = &range_cases[_i];
	char etag[ETAG_MAX];
	char raw[REQUEST_MAX];

	test_etag(etag);
	build_request(raw, c->headers, etag, MTIME);
	struct http_request req = parse_request(raw);
	bool got = conditional_range_allowed(&req, raw, etag, MTIME);
	ck_assert_msg(got == c->expected, "%d, expected %d, for:\n%s", (int)got, (int)c->expected,
	              raw);
}
END_TEST

/* If-Range holds one entity-tag, not a list (section 13.1.5): anything more is
 * not a match, even when the list would contain our tag. */
static const char *const range_not_single_tag[] = {
    "If-Range: \"nope\", {E}",
    "If-Range: {E}, \"nope\"",
    "If-Range: {E}garbage",
    "If-Range: , {E}",
};

START_TEST(test_range_not_single_tag)
{
	char etag[ETAG_MAX];
	char raw[REQUEST_MAX];

	test_etag(etag);
	build_request(raw, range_not_single_tag[_i], etag, MTIME);
	struct http_request req = parse_request(raw);
	ck_assert_msg(!conditional_range_allowed(&req, raw, etag, MTIME), "allowed:\n%s", raw);
}
END_TEST

/* A date equal to mtime allows the range on every day of the week, in every
 * HTTP-date form; "Wed" and "Wednesday" begin with 'W' like a weak tag. */
static const char *const weekday_forms[] = {"{M}", "RFC850", "ASCTIME"};

START_TEST(test_range_date_every_weekday)
{
	static const char *const long_days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
	                                        "Thursday", "Friday", "Saturday"};
	static const char *const short_days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	const char *form = weekday_forms[_i / 7];
	int day = _i % 7;
	/* Sun 06 .. Sat 12 Nov 1994, 08:49:37 */
	time_t mtime = MTIME + (time_t)day * 86400;
	int mday = 6 + day;
	char etag[ETAG_MAX];
	char header[128];
	char raw[REQUEST_MAX];

	test_etag(etag);
	if (strcmp(form, "RFC850") == 0)
		snprintf(header, sizeof header, "If-Range: %s, %02d-Nov-94 08:49:37 GMT",
		         long_days[day], mday);
	else if (strcmp(form, "ASCTIME") == 0)
		snprintf(header, sizeof header, "If-Range: %s Nov %2d 08:49:37 1994",
		         short_days[day], mday);
	else
		snprintf(header, sizeof header, "If-Range: {M}");
	build_request(raw, header, etag, mtime);
	struct http_request req = parse_request(raw);
	ck_assert_msg(conditional_range_allowed(&req, raw, etag, mtime), "not allowed:\n%s", raw);
	ck_assert_msg(!conditional_range_allowed(&req, raw, etag, mtime + 1),
	              "allowed with a later mtime:\n%s", raw);
}
END_TEST

static Suite *conditional_suite(void)
{
	Suite *s = suite_create("conditional");
	TCase *etag = tcase_create("etag_from");
	TCase *list = tcase_create("etag_list_matches");
	TCase *eval = tcase_create("conditional_evaluate");
	TCase *range = tcase_create("conditional_range_allowed");

	tcase_add_loop_test(etag, test_etag_shape, 0, (int)ARRAY_LEN(stat_cases));
	tcase_add_test(etag, test_etag_exact);
	tcase_add_test(etag, test_etag_differs);
	tcase_add_test(etag, test_etag_content_shape);
	tcase_add_test(etag, test_etag_content_differs);
	suite_add_tcase(s, etag);

	tcase_add_loop_test(list, test_list_matches, 0, (int)ARRAY_LEN(match_cases));
	tcase_add_loop_test(list, test_list_malformed_after_match, 0,
	                    (int)ARRAY_LEN(malformed_after_match));
	tcase_add_test(list, test_list_bytes);
	suite_add_tcase(s, list);

	tcase_add_loop_test(eval, test_evaluate, 0, (int)ARRAY_LEN(eval_cases));
	tcase_add_loop_test(eval, test_evaluate_untagged, 0, (int)ARRAY_LEN(untagged_cases));
	suite_add_tcase(s, eval);

	tcase_add_loop_test(range, test_range_allowed, 0, (int)ARRAY_LEN(range_cases));
	tcase_add_loop_test(range, test_range_not_single_tag, 0,
	                    (int)ARRAY_LEN(range_not_single_tag));
	tcase_add_loop_test(range, test_range_date_every_weekday, 0,
	                    7 * (int)ARRAY_LEN(weekday_forms));
	suite_add_tcase(s, range);
	return s;
}

int main(void)
{
	return check_run(conditional_suite());
}
