/* Unit tests for urlpath: request-target resolution and path encoding. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "urlpath.h"

#include "check_run.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum { OK = 0, BAD = 400, HIDDEN = 404 };

#define NO_QUERY NULL

struct resolve_case {
	const char *target;
	unsigned flags;
	int status;
	/* Only for status OK: */
	const char *path;
	bool trailing_slash;
	const char *query; /* NO_QUERY when the target has no '?' */
};

static const struct resolve_case resolve_cases[] = {
    /* Plain paths and slashes. */
    {"/", 0, OK, "", true, NO_QUERY},
    {"/index.html", 0, OK, "index.html", false, NO_QUERY},
    {"/a/b/c", 0, OK, "a/b/c", false, NO_QUERY},
    {"/a/b/", 0, OK, "a/b", true, NO_QUERY},
    {"//a//b/", 0, OK, "a/b", true, NO_QUERY},
    {"/a..b", 0, OK, "a..b", false, NO_QUERY},
    {"/a\\..\\b", 0, OK, "a\\..\\b", false, NO_QUERY},
    /* Dot segments: "." and ".." name directories, so they set trailing_slash. */
    {"/a/./b/.", 0, OK, "a/b", true, NO_QUERY},
    {"/a/b/..", 0, OK, "a", true, NO_QUERY},
    {"/a/../b", 0, OK, "b", false, NO_QUERY},
    {"/a/.", 0, OK, "a", true, NO_QUERY},
    {"/.", 0, OK, "", true, NO_QUERY},
    {"/sub/..", 0, OK, "", true, NO_QUERY},
    {"/a/b/../../", 0, OK, "", true, NO_QUERY},
    {"/a/b/%2e%2e/%2E/c/", 0, OK, "a/c", true, NO_QUERY},
    {"/a/%2e%2E/b", 0, OK, "b", false, NO_QUERY},
    {"/%2e", 0, OK, "", true, NO_QUERY},
    {"/a/%2e%2e", 0, OK, "", true, NO_QUERY},
    {"/a%2e/b", 0, OK, "a./b", false, NO_QUERY},
    /* Climbing above the root is refused, never clamped. */
    {"/..", 0, BAD, NULL, false, NO_QUERY},
    {"/../x", 0, BAD, NULL, false, NO_QUERY},
    {"/a/../../x", 0, BAD, NULL, false, NO_QUERY},
    {"/a/b/../../..", 0, BAD, NULL, false, NO_QUERY},
    {"/%2e%2e/x", 0, BAD, NULL, false, NO_QUERY},
    {"/%2E%2e/", 0, BAD, NULL, false, NO_QUERY},
    {"/.%2e/", 0, BAD, NULL, false, NO_QUERY},
    {"/..?x", 0, BAD, NULL, false, NO_QUERY},
    /* Decoding happens exactly once; decoded separators and NUL are refused. */
    {"/..%2fetc", 0, BAD, NULL, false, NO_QUERY},
    {"/%2fetc", 0, BAD, NULL, false, NO_QUERY},
    {"/a%2Fb", 0, BAD, NULL, false, NO_QUERY},
    {"/a%00b", 0, BAD, NULL, false, NO_QUERY},
    {"/%7f", 0, BAD, NULL, false, NO_QUERY},
    {"/%1F", 0, BAD, NULL, false, NO_QUERY},
    {"/%252e%252e/", 0, OK, "%2e%2e", true, NO_QUERY},
    {"/%c0%ae%c0%ae/", 0, OK, "\xc0\xae\xc0\xae", true, NO_QUERY},
    {"/%41%62c", 0, OK, "Abc", false, NO_QUERY},
    {"/a%20b", 0, OK, "a b", false, NO_QUERY},
    {"/%ff", 0, OK, "\xff", false, NO_QUERY},
    /* Malformed escapes. */
    {"/%", 0, BAD, NULL, false, NO_QUERY},
    {"/%4", 0, BAD, NULL, false, NO_QUERY},
    {"/%4/", 0, BAD, NULL, false, NO_QUERY},
    {"/%zz", 0, BAD, NULL, false, NO_QUERY},
    {"/%4g", 0, BAD, NULL, false, NO_QUERY},
    {"/a%?x", 0, BAD, NULL, false, NO_QUERY},
    /* Raw control bytes and fragments. */
    {"/a\tb", 0, BAD, NULL, false, NO_QUERY},
    {"/a\x7f", 0, BAD, NULL, false, NO_QUERY},
    {"/a?b\x01", 0, BAD, NULL, false, NO_QUERY},
    {"/a#frag", 0, BAD, NULL, false, NO_QUERY},
    {"/a?b#c", 0, BAD, NULL, false, NO_QUERY},
    /* Hidden segments. */
    {"/.git/config", 0, HIDDEN, NULL, false, NO_QUERY},
    {"/a/.hidden", 0, HIDDEN, NULL, false, NO_QUERY},
    {"/...", 0, HIDDEN, NULL, false, NO_QUERY},
    {"/%2ehidden", 0, HIDDEN, NULL, false, NO_QUERY},
    {"/.git/config", URLPATH_ALLOW_HIDDEN, OK, ".git/config", false, NO_QUERY},
    {"/a/.hidden/", URLPATH_ALLOW_HIDDEN, OK, "a/.hidden", true, NO_QUERY},
    {"/.hidden/../x", 0, OK, "x", false, NO_QUERY},
    {"/.well-known/x", 0, OK, ".well-known/x", false, NO_QUERY},
    {"/.well-known", 0, OK, ".well-known", false, NO_QUERY},
    {"//.well-known/x", 0, OK, ".well-known/x", false, NO_QUERY},
    {"/.well-known/.x", 0, HIDDEN, NULL, false, NO_QUERY},
    {"/.well-known/../.git", 0, HIDDEN, NULL, false, NO_QUERY},
    {"/a/.well-known", 0, HIDDEN, NULL, false, NO_QUERY},
    {"/.WELL-KNOWN/x", 0, HIDDEN, NULL, false, NO_QUERY},
    {"/.well-knownx", 0, HIDDEN, NULL, false, NO_QUERY},
    /* Queries are cut at the first '?' and left raw. */
    {"/a?b/../c", 0, OK, "a", false, "b/../c"},
    {"/?", 0, OK, "", true, ""},
    {"/a?", 0, OK, "a", false, ""},
    {"/a?x?y", 0, OK, "a", false, "x?y"},
    {"/a?%zz", 0, OK, "a", false, "%zz"},
    /* Absolute-form. */
    {"http://h/a", 0, OK, "a", false, NO_QUERY},
    {"HTTP://h", 0, OK, "", true, NO_QUERY},
    {"https://h?x", 0, OK, "", true, "x"},
    {"HtTpS://host:8080/a/b?q=1", 0, OK, "a/b", false, "q=1"},
    {"http://h?a/../b", 0, OK, "", true, "a/../b"},
    {"http://h/../x", 0, BAD, NULL, false, NO_QUERY},
    {"http://h/.git", 0, HIDDEN, NULL, false, NO_QUERY},
    {"http://", 0, BAD, NULL, false, NO_QUERY},
    {"http:///a", 0, BAD, NULL, false, NO_QUERY},
    {"http://?x", 0, BAD, NULL, false, NO_QUERY},
    {"http://user@h/", 0, BAD, NULL, false, NO_QUERY},
    {"http:/h/a", 0, BAD, NULL, false, NO_QUERY},
    {"httpx://h/a", 0, BAD, NULL, false, NO_QUERY},
    /* Neither origin- nor absolute-form. */
    {"ftp://x/", 0, BAD, NULL, false, NO_QUERY},
    {"x/y", 0, BAD, NULL, false, NO_QUERY},
    {"*", 0, BAD, NULL, false, NO_QUERY},
    {"", 0, BAD, NULL, false, NO_QUERY},
    {"?x", 0, BAD, NULL, false, NO_QUERY},
    {"\\a", 0, BAD, NULL, false, NO_QUERY},
    {"%2f", 0, BAD, NULL, false, NO_QUERY},
};

static void assert_query(const struct resolve_case *c, const struct urlpath *res)
{
	if (c->query == NO_QUERY) {
		ck_assert_msg(res->query == NULL, "%s: unexpected query", c->target);
		ck_assert_uint_eq(res->query_len, 0);
		return;
	}
	ck_assert_msg(res->query != NULL, "%s: query missing", c->target);
	ck_assert_uint_eq(res->query_len, strlen(c->query));
	ck_assert_msg(memcmp(res->query, c->query, res->query_len) == 0, "%s: query", c->target);
}

START_TEST(test_resolve_table)
{
	const struct resolve_case *c = &resolve_cases[_i];
	char out[256];
	struct urlpath res;
	int status =
	    urlpath_resolve(c->target, strlen(c->target), c->flags, out, sizeof(out), &res);

	ck_assert_msg(status == c->status, "%s: status %d, expected %d", c->target, status,
	              c->status);
	if (c->status != OK)
		return;
	ck_assert_ptr_eq(res.path, out);
	ck_assert_str_eq(res.path, c->path);
	ck_assert_uint_eq(res.len, strlen(c->path));
	ck_assert_msg(res.trailing_slash == c->trailing_slash, "%s: trailing_slash", c->target);
	assert_query(c, &res);
}
END_TEST

/* Every control byte and DEL, raw or escaped, in the path is a 400. */
START_TEST(test_resolve_control_bytes)
{
	static const unsigned char controls[] = {0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1b, 0x1f, 0x7f};

	for (size_t i = 0; i < ARRAY_LEN(controls); i++) {
		char raw[] = "/a?b";
		char escaped[8];
		char out[16];
		struct urlpath res;

		raw[1] = (char)controls[i];
		ck_assert_int_eq(urlpath_resolve(raw, 4, 0, out, sizeof(out), &res), BAD);
		raw[1] = 'a';
		raw[3] = (char)controls[i]; /* in the query too */
		ck_assert_int_eq(urlpath_resolve(raw, 4, 0, out, sizeof(out), &res), BAD);
		snprintf(escaped, sizeof(escaped), "/%%%02x", controls[i]);
		ck_assert_int_eq(
		    urlpath_resolve(escaped, strlen(escaped), 0, out, sizeof(out), &res), BAD);
	}
}
END_TEST

/* The target need not be NUL-terminated: only target_len bytes are read. */
START_TEST(test_resolve_uses_length)
{
	const char target[] = "/abc/def?q";
	char out[16];
	struct urlpath res;

	ck_assert_int_eq(urlpath_resolve(target, 4, 0, out, sizeof(out), &res), OK);
	ck_assert_str_eq(res.path, "abc");
	ck_assert_ptr_null(res.query);
	ck_assert_int_eq(urlpath_resolve(target, 2, 0, out, sizeof(out), &res), OK);
	ck_assert_str_eq(res.path, "a");
}
END_TEST

struct size_case {
	const char *target;
	size_t result_len; /* the call must work with result_len + 1 bytes, not fewer */
};

static const struct size_case size_cases[] = {
    {"/abc/def", 7},          {"/a/b/../c", 3}, /* "." and ".." never need room of their own */
    {"/a/./b/%2e%2e/c/.", 3}, {"/%41%42%43", 3}, {"/", 0}, {"/x/", 1},
};

START_TEST(test_resolve_out_size)
{
	const struct size_case *c = &size_cases[_i];
	size_t target_len = strlen(c->target);
	char out[64];
	struct urlpath res;

	/* Bytes past out_size must stay untouched. */
	memset(out, '#', sizeof(out));
	ck_assert_int_eq(urlpath_resolve(c->target, target_len, 0, out, c->result_len, &res), BAD);
	for (size_t i = c->result_len; i < sizeof(out); i++)
		ck_assert_int_eq(out[i], '#');
	ck_assert_int_eq(urlpath_resolve(c->target, target_len, 0, out, c->result_len + 1, &res),
	                 OK);
	ck_assert_uint_eq(res.len, c->result_len);
	ck_assert_int_eq(urlpath_resolve(c->target, target_len, 0, out, target_len + 1, &res), OK);
}
END_TEST

START_TEST(test_resolve_zero_out_size)
{
	struct urlpath res;

	ck_assert_int_eq(urlpath_resolve("/", 1, 0, NULL, 0, &res), BAD);
}
END_TEST

struct encode_case {
	const char *path;
	const char *encoded;
};

static const struct encode_case encode_cases[] = {
    {"", ""},
    {"a/b/c.html", "a/b/c.html"},
    {"AZaz09-._~/", "AZaz09-._~/"},
    {"!$&'()*+,;=:@", "!$&'()*+,;=:@"},
    {"a b", "a%20b"},
    {"100%", "100%25"},
    {"what?#", "what%3F%23"},
    {"\"<>[]{}|^`\\", "%22%3C%3E%5B%5D%7B%7D%7C%5E%60%5C"},
    {"\x01\x1f\x7f", "%01%1F%7F"},
    {"caf\xc3\xa9", "caf%C3%A9"},
    {"\xff", "%FF"},
};

START_TEST(test_encode_table)
{
	const struct encode_case *c = &encode_cases[_i];
	char out[128];
	size_t n = urlpath_encode(c->path, strlen(c->path), out, sizeof(out));

	ck_assert_uint_eq(n, strlen(c->encoded));
	ck_assert_str_eq(out, c->encoded);
}
END_TEST

START_TEST(test_encode_embedded_nul)
{
	char out[16];

	ck_assert_uint_eq(urlpath_encode("a\0b", 3, out, sizeof(out)), 5);
	ck_assert_str_eq(out, "a%00b");
}
END_TEST

/* snprintf-like: the return value is the full length; output is cut between
 * whole characters or escapes and always NUL-terminated. */
START_TEST(test_encode_truncation)
{
	char out[8];

	ck_assert_uint_eq(urlpath_encode("a b", 3, NULL, 0), 5);
	memset(out, '#', sizeof(out));
	ck_assert_uint_eq(urlpath_encode("a b", 3, out, 1), 5);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(out[1], '#');
	ck_assert_uint_eq(urlpath_encode("a b", 3, out, 3), 5);
	ck_assert_str_eq(out, "a");
	ck_assert_uint_eq(urlpath_encode("a b", 3, out, 5), 5);
	ck_assert_str_eq(out, "a%20");
	ck_assert_uint_eq(urlpath_encode("a b", 3, out, 6), 5);
	ck_assert_str_eq(out, "a%20b");
}
END_TEST

/* ------------------------------------------------------- property checks */

/* A small deterministic generator so that failures reproduce. */
static uint32_t next_random(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* Fragments chosen to collide: separators, dots in every spelling, escapes good
 * and bad, hidden names, queries. */
static const char *const fragments[] = {
    "/",  "/",   ".",     "..",   "%2e", "%2E",         "%2f",    "%25",  "%",   "%4",
    "a",  "bc",  ".git",  "\\",   "?",   ".well-known", "%c0%ae", "%00",  "%20", "//",
    "/.", "/..", "/%2e.", "%2e/", "~",   "http://h",    "#",      "\x01", "%ff", "@",
};

static size_t random_target(uint32_t *state, char *buf, size_t size)
{
	size_t len = 0;
	unsigned count = 1 + next_random(state) % 10;

	/* Mostly origin-form, so that most targets get past the first check. */
	if (next_random(state) % 8 != 0)
		buf[len++] = '/';
	for (unsigned i = 0; i < count; i++) {
		const char *f = fragments[next_random(state) % ARRAY_LEN(fragments)];
		size_t n = strlen(f);
		if (len + n >= size)
			break;
		memcpy(buf + len, f, n);
		len += n;
	}
	buf[len] = '\0';
	return len;
}

static bool has_segment(const char *path, size_t len, const char *segment)
{
	size_t n = strlen(segment), begin = 0;

	while (begin <= len) {
		const char *slash = memchr(path + begin, '/', len - begin);
		size_t end = slash ? (size_t)(slash - path) : len;
		if (end - begin == n && memcmp(path + begin, segment, n) == 0)
			return true;
		begin = end + 1;
	}
	return false;
}

static bool starts_well_known(const char *path)
{
	static const char name[] = ".well-known";
	size_t n = sizeof(name) - 1;

	return strncmp(path, name, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static void assert_safe_path(const char *target, const struct urlpath *res, unsigned flags)
{
	const char *p = res->path;

	ck_assert_msg(strlen(p) == res->len, "%s: NUL inside the path", target);
	ck_assert_msg(res->len == 0 || (p[0] != '/' && p[res->len - 1] != '/'),
	              "%s: leading or trailing '/' in \"%s\"", target, p);
	ck_assert_msg(strstr(p, "//") == NULL, "%s: \"//\" in \"%s\"", target, p);
	ck_assert_msg(res->len == 0 || !has_segment(p, res->len, ".."), "%s: \"..\" in \"%s\"",
	              target, p);
	ck_assert_msg(res->len == 0 || !has_segment(p, res->len, "."), "%s: \".\" in \"%s\"",
	              target, p);
	if (!(flags & URLPATH_ALLOW_HIDDEN))
		ck_assert_msg(strstr(p, "/.") == NULL && (p[0] != '.' || starts_well_known(p)),
		              "%s: hidden segment in \"%s\"", target, p);
	ck_assert_msg(res->len > 0 || res->trailing_slash, "%s: root without trailing slash",
	              target);
}

/* A resolved path, encoded and resolved again, comes back unchanged. */
static void assert_round_trip(const char *target, const struct urlpath *res, unsigned flags)
{
	char encoded[512], out[512];
	struct urlpath again;

	encoded[0] = '/';
	size_t n = urlpath_encode(res->path, res->len, encoded + 1, sizeof(encoded) - 1);
	ck_assert_uint_lt(n, sizeof(encoded) - 1);
	ck_assert_msg(urlpath_resolve(encoded, n + 1, flags, out, sizeof(out), &again) == OK,
	              "%s: re-resolving \"%s\" failed", target, encoded);
	ck_assert_str_eq(again.path, res->path);
}

START_TEST(test_resolve_properties)
{
	uint32_t state = 0x9e3779b9u;
	unsigned successes = 0;

	for (int i = 0; i < 20000; i++) {
		char target[128], out[128], tight[129];
		struct urlpath res, tight_res;
		size_t len = random_target(&state, target, sizeof(target));
		unsigned flags = i % 3 == 0 ? URLPATH_ALLOW_HIDDEN : 0;
		int status = urlpath_resolve(target, len, flags, out, sizeof(out), &res);

		ck_assert_msg(status == OK || status == BAD || status == HIDDEN, "%s: %d", target,
		              status);
		/* out_size = target_len + 1 always suffices and changes nothing. */
		ck_assert_int_eq(urlpath_resolve(target, len, flags, tight, len + 1, &tight_res),
		                 status);
		if (status != OK)
			continue;
		successes++;
		ck_assert_str_eq(tight_res.path, res.path);
		assert_safe_path(target, &res, flags);
		assert_round_trip(target, &res, flags);
	}
	/* The generator must exercise the success path, not just the refusals. */
	ck_assert_uint_gt(successes, 2000);
}
END_TEST

static Suite *urlpath_suite(void)
{
	Suite *s = suite_create("urlpath");
	TCase *resolve = tcase_create("resolve");
	TCase *encode = tcase_create("encode");
	TCase *properties = tcase_create("properties");

	tcase_add_loop_test(resolve, test_resolve_table, 0, (int)ARRAY_LEN(resolve_cases));
	tcase_add_test(resolve, test_resolve_control_bytes);
	tcase_add_test(resolve, test_resolve_uses_length);
	tcase_add_loop_test(resolve, test_resolve_out_size, 0, (int)ARRAY_LEN(size_cases));
	tcase_add_test(resolve, test_resolve_zero_out_size);
	suite_add_tcase(s, resolve);

	tcase_add_loop_test(encode, test_encode_table, 0, (int)ARRAY_LEN(encode_cases));
	tcase_add_test(encode, test_encode_embedded_nul);
	tcase_add_test(encode, test_encode_truncation);
	suite_add_tcase(s, encode);

	tcase_add_test(properties, test_resolve_properties);
	suite_add_tcase(s, properties);
	return s;
}

int main(void)
{
	return check_run(urlpath_suite());
}
