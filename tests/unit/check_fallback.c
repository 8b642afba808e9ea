/* Unit tests for fallback: which request paths, found to name nothing, get
 * the fallback file, for each scope. */
#include "autoconfig.h"

#include "fallback.h"
#include "urlpath.h"

#include "check_run.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct scope_case {
	const char *target;
	bool extensionless; /* covered by the default scope */
};

static const struct scope_case scope_cases[] = {
    {"/app/route", true},
    {"/app/route/", true},
    {"/app/v1.2/route", true},
    {"/app/v1.2/", true}, /* a directory's name has no extension */
    {"/settings?tab=a.b", true},
    {"/missing.png", false},
    {"/assets/app.js", false},
    {"/app/route.", false},
    {"/a%2Eb", false}, /* decoded before it is looked at */
    {"/", true},
};

static struct urlpath resolve(const char *target, char *path, size_t size)
{
	struct urlpath up;
	ck_assert_int_eq(urlpath_resolve(target, strlen(target), 0, path, size, &up), 0);
	return up;
}

START_TEST(test_scopes)
{
	const struct scope_case *c = &scope_cases[_i];
	char path[256];
	struct urlpath up = resolve(c->target, path, sizeof path);
	struct fallback_rule extensionless = {(char *)"/index.html", FALLBACK_EXTENSIONLESS};
	struct fallback_rule all = {(char *)"/index.html", FALLBACK_ALL};
	ck_assert_msg(fallback_applies(&extensionless, &up) == c->extensionless, "%s: %s",
	              c->target, c->extensionless ? "covered" : "not covered");
	ck_assert_msg(fallback_applies(&all, &up), "%s: covered by 'all'", c->target);
}
END_TEST

START_TEST(test_off)
{
	char path[256];
	struct urlpath up = resolve("/app/route", path, sizeof path);
	struct fallback_rule off = {NULL, FALLBACK_ALL};
	ck_assert(!fallback_applies(&off, &up));
	ck_assert(!fallback_applies(NULL, &up));
}
END_TEST

START_TEST(test_scope_names)
{
	ck_assert_str_eq(fallback_scope_names[FALLBACK_EXTENSIONLESS], "extensionless");
	ck_assert_str_eq(fallback_scope_names[FALLBACK_ALL], "all");
	ck_assert_ptr_null(fallback_scope_names[FALLBACK_ALL + 1]);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fallback");
	TCase *tc = tcase_create("fallback");
	tcase_add_loop_test(tc, test_scopes, 0, (int)ARRAY_LEN(scope_cases));
	tcase_add_test(tc, test_off);
	tcase_add_test(tc, test_scope_names);
	suite_add_tcase(s, tc);
	return check_run(s);
}
