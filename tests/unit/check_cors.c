/* Unit tests for cors: origins as configured and as compared, header names,
 * what is a preflight, the preflight's answer (allowed, or refused for its
 * origin, its method or its headers), and the fields and Vary of every other
 * answer, for a list of origins and for "*". */
#include "autoconfig.h"

#include "buffer.h"
#include "cors.h"
#include "http_parser.h"
#include "response.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ origins */

struct origin_case {
	const char *text;
	const char *normal; /* NULL: refused */
};

static const struct origin_case origin_cases[] = {
    {"https://app.example", "https://app.example"},
    {"HTTPS://App.Example", "https://app.example"},
    {"https://app.example:443", "https://app.example"},
    {"http://app.example:80", "http://app.example"},
    {"https://app.example:80", "https://app.example:80"},
    {"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
    {"http://[::1]:8080", "http://[::1]:8080"},
    {"http://[::1]", "http://[::1]"},
    {"app+x.y-z://host", "app+x.y-z://host"},
    {"*", "*"},
    {"https://app.example/", NULL},
    {"https://app.example/path", NULL},
    {"app.example", NULL},
    {"https://", NULL},
    {"https://app.example:", NULL},
    {"https://app.example:0", NULL},
    {"https://app.example:65536", NULL},
    {"https://app.example:0443", NULL},
    {"https://app.example:44a", NULL},
    {"null", NULL},
    {"https://a b", NULL},
    {"https://[::1", NULL},
    {"1http://host", NULL},
    {"https://user@host", NULL},
};

START_TEST(test_origin_normalize)
{
	const struct origin_case *c = &origin_cases[_i];
	char out[CORS_ORIGIN_MAX + 1], err[256] = "";
	int rc = cors_origin_normalize(c->text, out, sizeof out, err, sizeof err);
	if (c->normal == NULL) {
		ck_assert_msg(rc == -1, "%s accepted as %s", c->text, out);
		ck_assert_msg(strstr(err, c->text) != NULL, "the error names the value: %s", err);
	} else {
		ck_assert_msg(rc == 0, "%s refused: %s", c->text, err);
		ck_assert_str_eq(out, c->normal);
	}
}
END_TEST

START_TEST(test_origin_too_long)
{
	char text[CORS_ORIGIN_MAX + 2], out[CORS_ORIGIN_MAX + 1], err[512];
	memset(text, 'a', sizeof text - 1);
	memcpy(text, "https://", 8);
	text[sizeof text - 1] = '\0';
	ck_assert_int_eq(cors_origin_normalize(text, out, sizeof out, err, sizeof err), -1);
	text[sizeof text - 2] = '\0'; /* exactly the longest */
	ck_assert_int_eq(cors_origin_normalize(text, out, sizeof out, err, sizeof err), 0);
}
END_TEST

START_TEST(test_header_names)
{
	char err[256];
	ck_assert_int_eq(cors_header_name_check("X-Token", err, sizeof err), 0);
	ck_assert_int_eq(cors_header_name_check("*", err, sizeof err), 0);
	ck_assert_int_eq(cors_header_name_check("X Token", err, sizeof err), -1);
	ck_assert_int_eq(cors_header_name_check("X-Token:", err, sizeof err), -1);
	ck_assert_int_eq(cors_header_name_check("", err, sizeof err), -1);
	char longest[CORS_HEADER_NAME_MAX + 2];
	memset(longest, 'x', sizeof longest - 1);
	longest[sizeof longest - 1] = '\0';
	ck_assert_int_eq(cors_header_name_check(longest, err, sizeof err), -1);
	longest[CORS_HEADER_NAME_MAX] = '\0';
	ck_assert_int_eq(cors_header_name_check(longest, err, sizeof err), 0);
}
END_TEST

/* ------------------------------------------------------------ policies */

static struct cors_policy policy;

static void build(const char *const *origins, size_t n_origins, const char *const *headers,
                  size_t n_headers, const char *const *expose, size_t n_expose)
{
	struct cors_settings s = {
	    .origins = origins,
	    .origin_count = n_origins,
	    .headers = headers,
	    .header_count = n_headers,
	    .expose = expose,
	    .expose_count = n_expose,
	    .max_age_seconds = 600,
	};
	ck_assert(cors_policy_build(&policy, &s));
}

static const char *const two_origins[] = {"https://app.example", "http://127.0.0.1:8080"};
static const char *const star[] = {"*"};
static const char *const token_headers[] = {"X-Token", "Content-Type"};
static const char *const expose_etag[] = {"ETag"};

static void list_policy(void)
{
	build(two_origins, 2, token_headers, 2, expose_etag, 1);
}

START_TEST(test_off_without_origins)
{
	struct cors_settings s = {.max_age_seconds = 600};
	ck_assert(!cors_policy_build(&policy, &s));
}
END_TEST

START_TEST(test_find_origin)
{
	list_policy();
	ck_assert_int_eq(cors_find_origin(&policy, "https://app.example", 19), 0);
	ck_assert_int_eq(cors_find_origin(&policy, "HTTPS://APP.EXAMPLE", 19), 0);
	ck_assert_int_eq(cors_find_origin(&policy, "http://127.0.0.1:8080", 21), 1);
	ck_assert_int_eq(cors_find_origin(&policy, "http://127.0.0.1:8081", 21), -1);
	ck_assert_int_eq(cors_find_origin(&policy, "https://app.example.evil", 24), -1);
	ck_assert_int_eq(cors_find_origin(&policy, "https://app.exampl", 18), -1);
	ck_assert_int_eq(cors_find_origin(&policy, "http://app.example", 18), -1);
	ck_assert_int_eq(cors_find_origin(&policy, "null", 4), -1);
	ck_assert_int_eq(cors_find_origin(&policy, "", 0), -1);
	build(star, 1, NULL, 0, NULL, 0);
	ck_assert_int_eq(cors_find_origin(&policy, "https://anyone.example", 22), 0);
}
END_TEST

struct headers_case {
	const char *list;
	bool allowed;
};

static const struct headers_case headers_cases[] = {
    {"", true},
    {"x-token", true},
    {"content-type,x-token", true},
    {" X-Token , content-type ", true},
    {"x-token,,content-type", true},
    {"x-token,authorization", false},
    {"x-other", false},
    {"x-token;q", false},
    {"x-token x-other", false},
    {"x-tok", false},
};

START_TEST(test_headers_allowed)
{
	const struct headers_case *c = &headers_cases[_i];
	list_policy();
	ck_assert_msg(cors_headers_allowed(&policy, c->list, strlen(c->list)) == c->allowed,
	              "'%s' should be %s", c->list, c->allowed ? "allowed" : "refused");
}
END_TEST

START_TEST(test_any_header)
{
	build(two_origins, 2, star, 1, NULL, 0);
	ck_assert(cors_headers_allowed(&policy, "x-anything,authorization", 24));
	ck_assert(!cors_headers_allowed(&policy, "x-a;b", 5));
	ck_assert_ptr_nonnull(
	    strstr(policy.preflight_fields, "Access-Control-Allow-Headers: *\r\n"));
}
END_TEST

/* ------------------------------------------------------------ answers */

static struct http_parser parser;

static const struct http_request *parse(const char *text)
{
	http_parser_init(&parser);
	ck_assert_int_eq(http_parser_feed(&parser, text, strlen(text)), HTTP_PARSE_DONE);
	return &parser.req;
}

/* The head r would be sent with. */
static char head[4096];

static const char *head_of(const struct response *r)
{
	struct buf out = BUF_INIT;
	ck_assert_int_eq(response_write_head(&out, r, "Sat, 05 Dec 2026 06:00:00 GMT"), 0);
	size_t n = buf_len(&out) < sizeof head - 1 ? buf_len(&out) : sizeof head - 1;
	memcpy(head, buf_head(&out), n);
	head[n] = '\0';
	buf_free(&out);
	return head;
}

static void assert_has(const char *text, const char *field)
{
	ck_assert_msg(strstr(text, field) != NULL, "no '%s' in:\n%s", field, text);
}

static void assert_lacks(const char *text, const char *field)
{
	ck_assert_msg(strstr(text, field) == NULL, "'%s' should not be in:\n%s", field, text);
}

START_TEST(test_is_preflight)
{
	ck_assert(cors_is_preflight(parse("OPTIONS /a HTTP/1.1\r\nHost: h\r\nOrigin: https://x\r\n"
	                                  "Access-Control-Request-Method: GET\r\n\r\n")));
	ck_assert(!cors_is_preflight(parse("OPTIONS /a HTTP/1.1\r\nHost: h\r\n"
	                                   "Origin: https://x\r\n\r\n")));
	ck_assert(!cors_is_preflight(parse("OPTIONS /a HTTP/1.1\r\nHost: h\r\n"
	                                   "Access-Control-Request-Method: GET\r\n\r\n")));
	ck_assert(!cors_is_preflight(parse("GET /a HTTP/1.1\r\nHost: h\r\nOrigin: https://x\r\n"
	                                   "Access-Control-Request-Method: GET\r\n\r\n")));
}
END_TEST

static const char *preflight(const char *origin, const char *method, const char *headers,
                             int *status)
{
	static char text[1024];
	snprintf(text, sizeof text,
	         "OPTIONS /data.json HTTP/1.1\r\nHost: h\r\nOrigin: %s\r\n"
	         "Access-Control-Request-Method: %s\r\n%s%s%s\r\n",
	         origin, method, headers != NULL ? "Access-Control-Request-Headers: " : "",
	         headers != NULL ? headers : "", headers != NULL ? "\r\n" : "");
	struct response r;
	response_init(&r);
	cors_plan_preflight(&policy, parse(text), text, &r);
	*status = r.status;
	const char *h = head_of(&r);
	response_release(&r);
	return h;
}

START_TEST(test_preflight_allowed)
{
	list_policy();
	int status;
	const char *h = preflight("https://app.example", "GET", "x-token", &status);
	ck_assert_int_eq(status, 204);
	ck_assert_msg(strncmp(h, "HTTP/1.1 204 No Content\r\n", 25) == 0, "%s", h);
	assert_has(h, "\r\nAccess-Control-Allow-Origin: https://app.example\r\n");
	assert_has(h, "\r\nAccess-Control-Allow-Methods: GET, HEAD\r\n");
	assert_has(h, "\r\nAccess-Control-Allow-Headers: X-Token, Content-Type\r\n");
	assert_has(h, "\r\nAccess-Control-Max-Age: 600\r\n");
	assert_has(h, "\r\nVary: Origin, Access-Control-Request-Method, "
	              "Access-Control-Request-Headers\r\n");
	assert_lacks(h, "\r\nContent-Length:");
	assert_lacks(h, "\r\nContent-Type:");
	assert_lacks(h, "Expose");
	h = preflight("HTTPS://APP.EXAMPLE", "HEAD", NULL, &status);
	ck_assert_int_eq(status, 204);
	/* The configured spelling, never the request's bytes. */
	assert_has(h, "\r\nAccess-Control-Allow-Origin: https://app.example\r\n");
}
END_TEST

START_TEST(test_preflight_refused)
{
	list_policy();
	int status;
	const char *h = preflight("https://evil.example", "GET", NULL, &status);
	ck_assert_int_eq(status, 403);
	assert_lacks(h, "\r\nAccess-Control-");
	assert_has(h, "\r\nVary: Origin, Access-Control-Request-Method, "
	              "Access-Control-Request-Headers\r\n");

	/* An allowed origin asking for another method or header: refused, with
	 * the origin's field as on every answer, but no permission. */
	const char *refusals[][2] = {
	    {"POST", NULL}, {"get", NULL}, {"GET", "x-other"}, {"GET", "x-token,authorization"}};
	for (size_t i = 0; i < ARRAY_LEN(refusals); i++) {
		h = preflight("https://app.example", refusals[i][0], refusals[i][1], &status);
		ck_assert_int_eq(status, 403);
		assert_has(h, "\r\nAccess-Control-Allow-Origin: https://app.example\r\n");
		assert_lacks(h, "Access-Control-Allow-Methods");
		assert_lacks(h, "Access-Control-Allow-Headers");
		assert_lacks(h, "Access-Control-Max-Age");
	}
}
END_TEST

START_TEST(test_preflight_any_origin)
{
	build(star, 1, NULL, 0, NULL, 0);
	int status;
	const char *h = preflight("https://anyone.example", "GET", NULL, &status);
	ck_assert_int_eq(status, 204);
	assert_has(h, "\r\nAccess-Control-Allow-Origin: *\r\n");
	assert_has(h,
	           "\r\nVary: Access-Control-Request-Method, Access-Control-Request-Headers\r\n");
	/* No header is allowed: none may be asked for, and none is listed. */
	assert_lacks(h, "Access-Control-Allow-Headers");
	preflight("https://anyone.example", "GET", "x-token", &status);
	ck_assert_int_eq(status, 403);
}
END_TEST

/* The head of an answer (status) to text after cors_add_fields. */
static const char *answer(const char *text, int status, bool vary_accept_encoding)
{
	struct response r;
	response_init(&r);
	r.status = status;
	r.vary_accept_encoding = vary_accept_encoding;
	cors_add_fields(&policy, parse(text), text, &r);
	const char *h = head_of(&r);
	response_release(&r);
	return h;
}

START_TEST(test_fields_for_a_list)
{
	list_policy();
	const char *h = answer("GET / HTTP/1.1\r\nHost: h\r\nOrigin: http://127.0.0.1:8080\r\n\r\n",
	                       404, false);
	assert_has(h, "\r\nAccess-Control-Allow-Origin: http://127.0.0.1:8080\r\n");
	assert_has(h, "\r\nAccess-Control-Expose-Headers: ETag\r\n");
	assert_has(h, "\r\nVary: Origin\r\n");
	assert_lacks(h, "Access-Control-Allow-Methods");
	/* The one Vary field names every request field the answer depends on. */
	h = answer("GET / HTTP/1.1\r\nHost: h\r\nOrigin: https://app.example\r\n\r\n", 200, true);
	assert_has(h, "\r\nVary: Accept-Encoding, Origin\r\n");
	ck_assert_ptr_null(strstr(strstr(h, "Vary:") + 1, "Vary:"));
	/* Not allowed, or no Origin at all: no CORS field, but the answer varies. */
	h = answer("GET / HTTP/1.1\r\nHost: h\r\nOrigin: https://evil.example\r\n\r\n", 200, false);
	assert_lacks(h, "\r\nAccess-Control-");
	assert_has(h, "\r\nVary: Origin\r\n");
	h = answer("GET / HTTP/1.1\r\nHost: h\r\n\r\n", 301, false);
	assert_lacks(h, "\r\nAccess-Control-");
	assert_has(h, "\r\nVary: Origin\r\n");
}
END_TEST

START_TEST(test_fields_for_any_origin)
{
	build(star, 1, NULL, 0, star, 1);
	const char *h = answer(
	    "GET / HTTP/1.1\r\nHost: h\r\nOrigin: https://anyone.example\r\n\r\n", 200, false);
	assert_has(h, "\r\nAccess-Control-Allow-Origin: *\r\n");
	assert_has(h, "\r\nAccess-Control-Expose-Headers: *\r\n");
	assert_lacks(h, "Vary");
	/* The same answer without an Origin: nothing to vary on. */
	h = answer("GET / HTTP/1.1\r\nHost: h\r\n\r\n", 304, false);
	assert_has(h, "\r\nAccess-Control-Allow-Origin: *\r\n");
	assert_lacks(h, "Vary");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cors");
	TCase *tc = tcase_create("cors");
	tcase_add_loop_test(tc, test_origin_normalize, 0, (int)ARRAY_LEN(origin_cases));
	tcase_add_test(tc, test_origin_too_long);
	tcase_add_test(tc, test_header_names);
	tcase_add_test(tc, test_off_without_origins);
	tcase_add_test(tc, test_find_origin);
	tcase_add_loop_test(tc, test_headers_allowed, 0, (int)ARRAY_LEN(headers_cases));
	tcase_add_test(tc, test_any_header);
	tcase_add_test(tc, test_is_preflight);
	tcase_add_test(tc, test_preflight_allowed);
	tcase_add_test(tc, test_preflight_refused);
	tcase_add_test(tc, test_preflight_any_origin);
	tcase_add_test(tc, test_fields_for_a_list);
	tcase_add_test(tc, test_fields_for_any_origin);
	suite_add_tcase(s, tc);
	return check_run(s);
}
