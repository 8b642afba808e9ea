/* Unit tests for netmask: parsing networks (and refusing bad ones), matching
 * IPv4, IPv6 and IPv4-mapped IPv6 addresses, prefix edges, the list bound. */
#include "autoconfig.h"

#include "netmask.h"

#include "check_run.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* "1.2.3.4" or "::1" as a sockaddr (port 1234: ports never matter). */
static struct sockaddr_storage address(const char *text)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(1234);
	} else {
		ck_assert_msg(inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1,
		              "bad test address %s", text);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(1234);
	}
	return ss;
}

static struct netmask parse_ok(const char *text)
{
	struct netmask n;
	char err[200] = "";
	ck_assert_msg(netmask_parse(text, &n, err, sizeof err) == 0, "\"%s\": %s", text, err);
	return n;
}

struct match_case {
	const char *network;
	const char *address;
	bool inside;
};

static const struct match_case match_cases[] = {
    {"10.0.0.0/8", "10.0.0.0", true},
    {"10.0.0.0/8", "10.255.255.255", true},
    {"10.0.0.0/8", "11.0.0.0", false},
    {"10.0.0.0/8", "9.255.255.255", false},
    {"10.0.0.0/8", "::ffff:10.1.2.3", true}, /* IPv4-mapped */
    {"10.0.0.0/8", "::ffff:11.1.2.3", false},
    {"10.0.0.0/8", "::10.1.2.3", false}, /* IPv4-compatible is not mapped */
    {"10.0.0.0/8", "0a01:0203::", false},
    {"127.0.0.1", "127.0.0.1", true},
    {"127.0.0.1", "127.0.0.2", false},
    {"127.0.0.1", "::ffff:127.0.0.1", true},
    {"127.0.0.1", "::1", false},
    {"192.168.1.128/25", "192.168.1.128", true},
    {"192.168.1.128/25", "192.168.1.255", true},
    {"192.168.1.128/25", "192.168.1.127", false},
    {"172.16.0.0/12", "172.31.255.255", true},
    {"172.16.0.0/12", "172.32.0.0", false},
    {"0.0.0.0/0", "203.0.113.9", true},
    {"0.0.0.0/0", "::ffff:203.0.113.9", true},
    {"0.0.0.0/0", "2001:db8::1", false},
    {"::1", "::1", true},
    {"::1", "::2", false},
    {"::1", "127.0.0.1", false},
    {"fd00::/8", "fd12:3456::1", true},
    {"fd00::/8", "fc00::1", false},
    {"fd00::/8", "fe00::", false},
    {"2001:db8::/32", "2001:db8:ffff::1", true},
    {"2001:db8::/32", "2001:db9::1", false},
    {"2001:db8::/33", "2001:db8:7fff::1", true},
    {"2001:db8::/33", "2001:db8:8000::1", false},
    {"::/0", "2001:db8::1", true},
    {"::/0", "10.0.0.1", true}, /* as ::ffff:10.0.0.1 */
    {"::ffff:10.0.0.0/104", "10.1.2.3", true},
    {"::ffff:10.0.0.0/104", "::ffff:10.1.2.3", true},
    {"::ffff:10.0.0.0/104", "11.1.2.3", false},
};

START_TEST(test_match)
{
	const struct match_case *c = &match_cases[_i];
	struct netmask n = parse_ok(c->network);
	struct sockaddr_storage ss = address(c->address);
	ck_assert_msg(netmask_contains(&n, (struct sockaddr *)&ss) == c->inside, "%s in %s: %d",
	              c->address, c->network, !c->inside);
}
END_TEST

static const char *const bad_networks[] = {
    "",
    "/8",
    "unix",
    "localhost",
    "10.0.0.0/",
    "10.0.0.0/33",
    "10.0.0.0/+8",
    "10.0.0.0/08",
    "10.0.0.0/8/8",
    "10.0.0.0/-1",
    "10.0.0.0/8 ",
    " 10.0.0.0/8",
    "10.0.0.1/8", /* bits past the prefix */
    "10.0.0.0/0",
    "192.168.1.128/24",
    "10.0.0.0/a",
    "10.0.0.010",
    "10.0.0",
    "256.0.0.0",
    "::1/129",
    "::1/127",
    "fd00::/7x",
    "fe80::1%eth0",
    "[::1]",
    "2001:db8::1:/64",
    "1111:2222:3333:4444:5555:6666:7777:8888:9999",
};

START_TEST(test_bad)
{
	struct netmask n;
	char err[200] = "";
	ck_assert_msg(netmask_parse(bad_networks[_i], &n, err, sizeof err) == -1, "\"%s\" accepted",
	              bad_networks[_i]);
	ck_assert_msg(strlen(err) > 0, "\"%s\": no message", bad_networks[_i]);
}
END_TEST

START_TEST(test_prefix_parsed)
{
	struct netmask n = parse_ok("10.0.0.0/8");
	ck_assert_int_eq(n.family, AF_INET);
	ck_assert_uint_eq(n.prefix, 8);
	n = parse_ok("0.0.0.0/0");
	ck_assert_uint_eq(n.prefix, 0);
	n = parse_ok("192.0.2.7");
	ck_assert_uint_eq(n.prefix, 32);
	n = parse_ok("fd00::/8");
	ck_assert_int_eq(n.family, AF_INET6);
	ck_assert_uint_eq(n.prefix, 8);
	n = parse_ok("::1");
	ck_assert_uint_eq(n.prefix, 128);
}
END_TEST

START_TEST(test_list)
{
	struct netmask_list list;
	char err[200];
	netmask_list_init(&list);
	struct sockaddr_storage a = address("10.1.2.3"), b = address("fd00::5"),
	                        c = address("192.0.2.1"), d = address("::ffff:127.0.0.1");

	ck_assert(!netmask_list_contains(&list, (struct sockaddr *)&a));
	ck_assert_int_eq(netmask_list_add(&list, "10.0.0.0/8", err, sizeof err), 0);
	ck_assert_int_eq(netmask_list_add(&list, "fd00::/8", err, sizeof err), 0);
	ck_assert_int_eq(netmask_list_add(&list, "127.0.0.1", err, sizeof err), 0);
	ck_assert_int_eq(netmask_list_add(&list, "unix", err, sizeof err), -1);
	ck_assert_uint_eq(list.count, 3);
	ck_assert(netmask_list_contains(&list, (struct sockaddr *)&a));
	ck_assert(netmask_list_contains(&list, (struct sockaddr *)&b));
	ck_assert(!netmask_list_contains(&list, (struct sockaddr *)&c));
	ck_assert(netmask_list_contains(&list, (struct sockaddr *)&d));

	/* a Unix socket is in no network */
	struct sockaddr_un un;
	memset(&un, 0, sizeof un);
	un.sun_family = AF_UNIX;
	ck_assert(!netmask_list_contains(&list, (struct sockaddr *)&un));
}
END_TEST

START_TEST(test_list_full)
{
	struct netmask_list list;
	char err[200] = "";
	char text[40];
	netmask_list_init(&list);
	for (int i = 0; i < NETMASK_LIST_MAX; i++) {
		snprintf(text, sizeof text, "10.%d.0.0/16", i);
		ck_assert_int_eq(netmask_list_add(&list, text, err, sizeof err), 0);
	}
	ck_assert_int_eq(netmask_list_add(&list, "192.0.2.1", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "more than"));
	ck_assert_uint_eq(list.count, NETMASK_LIST_MAX);
	struct sockaddr_storage last = address("10.63.1.1");
	ck_assert(netmask_list_contains(&list, (struct sockaddr *)&last));
}
END_TEST

/* ---------------------------------------------------------------- same host */

static const struct {
	const char *peer, *local; /* local NULL: not known */
	bool same;
} same_host_cases[] = {
    {"127.0.0.1", NULL, true},
    {"127.255.0.9", "127.0.0.1", true},
    {"::1", NULL, true},
    {"::ffff:127.0.0.1", NULL, true},
    {"::ffff:127.3.2.1", "::1", true},
    /* a process here that connected to one of this host's addresses */
    {"192.0.2.7", "192.0.2.7", true},
    {"2001:db8::5", "2001:db8::5", true},
    {"::ffff:192.0.2.7", "192.0.2.7", true},
    {"192.0.2.7", "::ffff:192.0.2.7", true},
    /* another host */
    {"192.0.2.7", "192.0.2.8", false},
    {"192.0.2.7", NULL, false},
    {"128.0.0.1", "127.0.0.1", false},
    {"2001:db8::5", "2001:db8::6", false},
    {"::2", "::1", false},
    {"::", "192.0.2.1", false},
    {"::7f00:1", NULL, false}, /* IPv4-compatible, not IPv4-mapped */
    {"0.0.0.0", "192.0.2.1", false},
};

START_TEST(test_same_host)
{
	struct sockaddr_storage peer = address(same_host_cases[_i].peer);
	struct sockaddr_storage local;
	if (same_host_cases[_i].local != NULL)
		local = address(same_host_cases[_i].local);
	bool same =
	    netmask_same_host((struct sockaddr *)&peer,
	                      same_host_cases[_i].local != NULL ? (struct sockaddr *)&local : NULL);
	ck_assert_msg(same == same_host_cases[_i].same, "%s from %s: %d", same_host_cases[_i].peer,
	              same_host_cases[_i].local ? same_host_cases[_i].local : "(unknown)", same);
}
END_TEST

START_TEST(test_same_host_other_families)
{
	struct sockaddr_storage peer, local = address("192.0.2.1");
	memset(&peer, 0, sizeof peer);
	peer.ss_family = AF_UNIX; /* a Unix-domain socket's peer is always here */
	ck_assert(netmask_same_host((struct sockaddr *)&peer, NULL));
	memset(&peer, 0, sizeof peer); /* AF_UNSPEC: nowhere */
	ck_assert(!netmask_same_host((struct sockaddr *)&peer, (struct sockaddr *)&local));
}
END_TEST

static Suite *netmask_suite(void)
{
	Suite *s = suite_create("netmask");
	TCase *tc = tcase_create("netmask");
	tcase_add_loop_test(tc, test_match, 0, (int)ARRAY_LEN(match_cases));
	tcase_add_loop_test(tc, test_bad, 0, (int)ARRAY_LEN(bad_networks));
	tcase_add_test(tc, test_prefix_parsed);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_list_full);
	tcase_add_loop_test(tc, test_same_host, 0, (int)ARRAY_LEN(same_host_cases));
	tcase_add_test(tc, test_same_host_other_families);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(netmask_suite());
}
