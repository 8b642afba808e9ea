/* Unit tests for vhost: a request's host made canonical (case, port, IPv6
 * literal, trailing dot, what no name has), the names a site block may
 * have, and which site a name picks (exact first, the longest wildcard next,
 * any depth, the default last). */
#include "autoconfig.h"

#include "vhost.h"

#include "check_run.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ canonical */

struct canonical_case {
	const char *host;
	const char *canonical; /* NULL: names no site */
};

static const struct canonical_case canonical_cases[] = {
    {"example.com", "example.com"},
    {"Example.COM", "example.com"},
    {"example.com:8080", "example.com"},
    {"EXAMPLE.com:", "example.com"},
    {"example.com.", "example.com"},
    {"example.com.:80", "example.com"},
    {"www.example.com", "www.example.com"},
    {"my_host-1.example", "my_host-1.example"},
    {"127.0.0.1", "127.0.0.1"},
    {"127.0.0.1:80", "127.0.0.1"},
    {"[::1]", "[::1]"},
    {"[::1]:8080", "[::1]"},
    {"[2001:DB8::A]", "[2001:db8::a]"},
    {"[::ffff:127.0.0.1]:1", "[::ffff:127.0.0.1]"},
    {"", NULL},
    {":80", NULL},
    {".", NULL},
    {".example.com", NULL},
    {"example..com", NULL},
    {"example.com..", NULL},
    {"exa%6Dple.com", NULL},
    {"example.com:8o", NULL},
    {"example.com/..", NULL},
    {"../etc", NULL},
    {"a b", NULL},
    {"ex!ample.com", NULL},
    {"[::1", NULL},
    {"[::1]x", NULL},
    {"[]", NULL},
    {"[::g]", NULL},
    {"[::1]:80:80", NULL},
};

START_TEST(test_canonical)
{
	const struct canonical_case *c = &canonical_cases[_i];
	char out[VHOST_NAME_MAX + 1];
	size_t n = vhost_canonical(c->host, strlen(c->host), out, sizeof out);
	if (c->canonical == NULL) {
		ck_assert_msg(n == 0, "'%s' gave '%.*s'", c->host, (int)n, out);
		return;
	}
	ck_assert_msg(n == strlen(c->canonical), "'%s': length %zu", c->host, n);
	ck_assert_str_eq(out, c->canonical);
}
END_TEST

/* Only len bytes are read: the value is a span inside a request. */
START_TEST(test_canonical_reads_only_its_span)
{
	const char text[] = "Example.com:80\r\nX: y";
	char out[VHOST_NAME_MAX + 1];
	ck_assert_uint_eq(vhost_canonical(text, 11, out, sizeof out), 11);
	ck_assert_str_eq(out, "example.com");
	ck_assert_uint_eq(vhost_canonical(text, 14, out, sizeof out), 11);
}
END_TEST

START_TEST(test_canonical_length)
{
	char host[400], out[VHOST_NAME_MAX + 1];
	/* 63-byte labels: 4 of them and 3 dots are 255 bytes, the most. */
	memset(host, 'a', sizeof host);
	for (size_t i = 63; i < sizeof host; i += 64)
		host[i] = '.';
	ck_assert_uint_eq(vhost_canonical(host, 255, out, sizeof out), 255);
	ck_assert_uint_eq(vhost_canonical(host, 257, out, sizeof out), 0);
	/* Too small a buffer is no overflow. */
	ck_assert_uint_eq(vhost_canonical("example.com", 11, out, 8), 0);
}
END_TEST

/* ------------------------------------------------------------ names */

struct name_case {
	const char *name;
	const char *canonical; /* NULL: refused */
	const char *why;       /* part of the message */
};

static const struct name_case name_cases[] = {
    {"example.com", "example.com", NULL},
    {"WWW.Example.Com", "www.example.com", NULL},
    {"example.com.", "example.com", NULL},
    {"*.example.com", "*.example.com", NULL},
    {"*.Example.ORG", "*.example.org", NULL},
    {"localhost", "localhost", NULL},
    {"10.0.0.1", "10.0.0.1", NULL},
    {"[::1]", "[::1]", NULL},
    {"[FE80::1]", "[fe80::1]", NULL},
    {"example.com:80", NULL, "has no port"},
    {"[::1]:80", NULL, "IPv6 address in brackets, without a port"},
    {"*", NULL, "'*.' in front"},
    {"*example.com", NULL, "'*.' in front"},
    {"www.*.com", NULL, "'*.' in front"},
    {"*.*.com", NULL, "'*.' in front"},
    {"*.", NULL, "labels between dots"},
    {"a..b", NULL, "labels between dots"},
    {".a", NULL, "labels between dots"},
    {"a/b", NULL, "labels between dots"},
    {"ex%41mple", NULL, "labels between dots"},
    {"", NULL, "labels between dots"},
};

START_TEST(test_names)
{
	const struct name_case *c = &name_cases[_i];
	char out[VHOST_NAME_MAX + 1], msg[256] = "";
	int rc = vhost_name_check(c->name, out, sizeof out, msg, sizeof msg);
	if (c->canonical != NULL) {
		ck_assert_msg(rc == 0, "'%s' refused: %s", c->name, msg);
		ck_assert_str_eq(out, c->canonical);
		return;
	}
	ck_assert_msg(rc < 0, "'%s' accepted as '%s'", c->name, out);
	ck_assert_msg(strstr(msg, c->why) != NULL, "'%s': %s", c->name, msg);
	ck_assert_msg(strncmp(msg, "malformed site name '", 21) == 0, "%s", msg);
}
END_TEST

/* ------------------------------------------------------------ the map */

static const char *const map_names[] = {
    "example.com", "www.example.com", "*.example.com", "*.api.example.com",
    "*.org",       "[::1]",           "10.0.0.1",
};
static const size_t map_sites[] = {1, 1, 2, 3, 4, 5, 6};

struct find_case {
	const char *host; /* as a client sends it */
	size_t site;      /* 0: the default */
};

static const struct find_case find_cases[] = {
    {"example.com", 1},
    {"EXAMPLE.COM:8080", 1},
    {"www.example.com", 1},   /* exact wins over *.example.com */
    {"cdn.example.com", 2},   /* one label */
    {"a.b.example.com", 2},   /* any depth */
    {"x.api.example.com", 3}, /* the longer wildcard first */
    {"a.b.api.example.com", 3},
    {"api.example.com", 2}, /* not *.api.example.com itself */
    {"example.org", 4},
    {"org", 0}, /* a wildcard never matches its own suffix */
    {"notexample.com", 0},
    {"example.com.evil", 0},
    {"[::1]:443", 5},
    {"10.0.0.1:80", 6},
    {"10.0.0.2", 0},
    {"", 0},
    {"ex%61mple.com", 0},
};

START_TEST(test_find)
{
	const struct find_case *c = &find_cases[_i];
	struct vhost_map map;
	ck_assert_int_eq(vhost_map_build(&map, map_names, map_sites, ARRAY_LEN(map_names)), 0);
	ck_assert(!vhost_map_empty(&map));
	char name[VHOST_NAME_MAX + 1];
	size_t len = vhost_canonical(c->host, strlen(c->host), name, sizeof name);
	size_t site = len > 0 ? vhost_map_find(&map, name, len, 0) : 0;
	ck_assert_msg(site == c->site, "'%s': site %zu, expected %zu", c->host, site, c->site);
	vhost_map_free(&map);
}
END_TEST

START_TEST(test_empty_map)
{
	struct vhost_map map;
	ck_assert_int_eq(vhost_map_build(&map, NULL, NULL, 0), 0);
	ck_assert(vhost_map_empty(&map));
	ck_assert_uint_eq(vhost_map_find(&map, "example.com", 11, 7), 7);
	vhost_map_free(&map);
}
END_TEST

/* Many names: every one is found through the probes, none is lost. */
START_TEST(test_many_names)
{
	enum { COUNT = 300 };
	static char storage[COUNT][32];
	const char *names[COUNT];
	size_t sites[COUNT];
	for (size_t i = 0; i < COUNT; i++) {
		snprintf(storage[i], sizeof storage[i], "site%zu.example", i);
		names[i] = storage[i];
		sites[i] = i + 1;
	}
	struct vhost_map map;
	ck_assert_int_eq(vhost_map_build(&map, names, sites, COUNT), 0);
	for (size_t i = 0; i < COUNT; i++)
		ck_assert_uint_eq(vhost_map_find(&map, names[i], strlen(names[i]), 0), i + 1);
	ck_assert_uint_eq(vhost_map_find(&map, "site300.example", 15, 0), 0);
	vhost_map_free(&map);
}
END_TEST

static Suite *vhost_suite(void)
{
	Suite *s = suite_create("vhost");
	TCase *canonical = tcase_create("canonical");
	tcase_add_loop_test(canonical, test_canonical, 0, (int)ARRAY_LEN(canonical_cases));
	tcase_add_test(canonical, test_canonical_reads_only_its_span);
	tcase_add_test(canonical, test_canonical_length);
	suite_add_tcase(s, canonical);
	TCase *names = tcase_create("names");
	tcase_add_loop_test(names, test_names, 0, (int)ARRAY_LEN(name_cases));
	suite_add_tcase(s, names);
	TCase *map = tcase_create("map");
	tcase_add_loop_test(map, test_find, 0, (int)ARRAY_LEN(find_cases));
	tcase_add_test(map, test_empty_map);
	tcase_add_test(map, test_many_names);
	suite_add_tcase(s, map);
	return s;
}

int main(void)
{
	return check_run(vhost_suite());
}
