/* Unit tests for redirect: rules from the directive's values, matching on the
 * normalised path, the Location (query kept, never a "//host" from the
 * request), and loops found before the server starts. */
#include "autoconfig.h"

#include "redirect.h"
#include "urlpath.h"

#include "check_run.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct redirect_rule rule(const char *from, const char *to, const char *status)
{
	struct redirect_rule r;
	char err[256];
	ck_assert_msg(redirect_rule_parse(from, to, status, &r, err, sizeof err) == 0, "%s: %s",
	              from, err);
	return r;
}

struct location_case {
	const char *from, *to, *target;
	const char *location; /* NULL: the rule does not match */
};

static const struct location_case location_cases[] = {
    {"/old.html", "/new.html", "/old.html", "/new.html"},
    {"/old.html", "/new.html", "/old.html?a=1&b", "/new.html?a=1&b"},
    {"/old.html", "/new.html", "/old.html/", NULL},
    {"/old.html", "/new.html", "/old.htm", NULL},
    {"/old.html", "/new.html", "/dir/../old.html", "/new.html"},
    {"/old.html", "/new.html", "/%6fld.html", "/new.html"},
    {"/old.html", "https://example.com/x?keep=1", "/old.html?q", "https://example.com/x?keep=1&q"},
    {"/dir/", "/other/", "/dir/", "/other/"},
    {"/dir/", "/other/", "/dir", NULL},
    {"/docs/*", "https://docs.example.com/", "/docs/a/b.html", "https://docs.example.com/a/b.html"},
    {"/docs/*", "https://docs.example.com/", "/docs/", "https://docs.example.com/"},
    {"/docs/*", "https://docs.example.com/", "/docs", NULL},
    {"/docs/*", "https://docs.example.com/", "/docsx/a", NULL},
    {"/docs/*", "/v2/", "/docs/a%20b/c/?q=1", "/v2/a%20b/c/?q=1"},
    /* Empty segments are gone in the normalised path: no "//host". */
    {"/go/*", "/", "/go//evil.example/x", "/evil.example/x"},
    {"/go/*", "/", "/go/%2e%2e/x", NULL},
    {"/*", "https://new.example/", "/a/b?c", "https://new.example/a/b?c"},
    {"/", "/home.html", "/", "/home.html"},
};

START_TEST(test_location)
{
	const struct location_case *c = &location_cases[_i];
	struct redirect_rule r = rule(c->from, c->to, NULL);
	char path[512], location[1024];
	struct urlpath up;
	ck_assert_int_eq(urlpath_resolve(c->target, strlen(c->target), 0, path, sizeof path, &up),
	                 0);
	const struct redirect_rule *found = redirect_find(&r, 1, &up);
	if (c->location == NULL) {
		ck_assert_msg(found == NULL, "%s matched %s", c->target, c->from);
	} else {
		ck_assert_msg(found == &r, "%s did not match %s", c->target, c->from);
		ck_assert_uint_gt(redirect_location(&r, &up, location, sizeof location), 0);
		ck_assert_str_eq(location, c->location);
	}
	redirect_rule_free(&r);
}
END_TEST

struct bad_case {
	const char *from, *to, *status, *message;
};

static const struct bad_case bad_cases[] = {
    {"old.html", "/new", NULL,
     "invalid redirect source 'old.html' (a path like /old.html, or /dir/* for all below)"},
    {"/a*b", "/new", NULL,
     "invalid redirect source '/a*b' (a path like /old.html, or /dir/* for all below)"},
    {"/a?x", "/new", NULL,
     "invalid redirect source '/a?x' (a path like /old.html, or /dir/* for all below)"},
    {"/old", "//evil.example/", NULL,
     "invalid redirect target '//evil.example/' (a path like /new.html, or an http(s) URL)"},
    {"/old", "ftp://x/", NULL,
     "invalid redirect target 'ftp://x/' (a path like /new.html, or an http(s) URL)"},
    {"/old", "https:///x", NULL,
     "invalid redirect target 'https:///x' (a path like /new.html, or an http(s) URL)"},
    {"/old", "/a b", NULL,
     "invalid redirect target '/a b' (a path like /new.html, or an http(s) URL)"},
    {"/old", "/new", "303", "invalid redirect status '303' (301, 302, 307 or 308)"},
    {"/docs/*", "https://x.example", NULL,
     "redirect target 'https://x.example' must end with '/' for /docs/* (the rest of the path "
     "is appended)"},
};

START_TEST(test_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	struct redirect_rule r;
	char err[256];
	ck_assert_int_eq(redirect_rule_parse(c->from, c->to, c->status, &r, err, sizeof err), -1);
	ck_assert_str_eq(err, c->message);
}
END_TEST

START_TEST(test_status)
{
	const char *statuses[] = {"301", "302", "307", "308"};
	for (size_t i = 0; i < ARRAY_LEN(statuses); i++) {
		struct redirect_rule r = rule("/a", "/b", statuses[i]);
		ck_assert_int_eq(r.status, atoi(statuses[i]));
		redirect_rule_free(&r);
	}
	struct redirect_rule r = rule("/a", "/b", NULL);
	ck_assert_int_eq(r.status, 301);
	redirect_rule_free(&r);
}
END_TEST

START_TEST(test_loops)
{
	char err[256];
	struct redirect_rule rules[3];
	rules[0] = rule("/a", "/b", NULL);
	rules[1] = rule("/b", "/a", NULL);
	ck_assert_int_eq(redirect_rules_check(rules, 2, err, sizeof err), -1);
	ck_assert_str_eq(err, "redirect loop: /a goes to /b, which the redirect of /b sends on");
	ck_assert_int_eq(redirect_rules_check(rules, 1, err, sizeof err), 0);
	redirect_rule_free(&rules[1]);
	rules[1] = rule("/x/*", "/x/new/", NULL);
	ck_assert_int_eq(redirect_rules_check(&rules[1], 1, err, sizeof err), -1);
	ck_assert_str_eq(err, "redirect loop: /x/* goes to /x/new/, which it redirects again");
	rules[2] = rule("/c", "https://elsewhere.example/c", NULL);
	ck_assert_int_eq(redirect_rules_check(&rules[2], 1, err, sizeof err), 0);
	for (size_t i = 0; i < 3; i++)
		redirect_rule_free(&rules[i]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("redirect");
	TCase *tc = tcase_create("redirect");
	tcase_add_loop_test(tc, test_location, 0, (int)ARRAY_LEN(location_cases));
	tcase_add_loop_test(tc, test_bad, 0, (int)ARRAY_LEN(bad_cases));
	tcase_add_test(tc, test_status);
	tcase_add_test(tc, test_loops);
	suite_add_tcase(s, tc);
	return check_run(s);
}
