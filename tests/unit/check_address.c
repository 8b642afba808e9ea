/* Unit tests for address: parsing listen addresses and formatting their URLs. */
#include "autoconfig.h"

#include "address.h"

#include "check_run.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ helpers */

/* The address of a parsed listen_addr as text, and its port. */
static void describe(const struct listen_addr *a, char *host, size_t host_size, unsigned *port)
{
	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a->ss;
		ck_assert_ptr_nonnull(inet_ntop(AF_INET6, &sin6->sin6_addr, host, host_size));
		*port = ntohs(sin6->sin6_port);
	} else {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;
		ck_assert_ptr_nonnull(inet_ntop(AF_INET, &sin->sin_addr, host, host_size));
		*port = ntohs(sin->sin_port);
	}
}

static struct listen_addr parse_ok(const char *spec)
{
	struct listen_addr a;
	char err[256] = "";
	ck_assert_msg(listen_addr_parse(spec, &a, err, sizeof err) == 0, "%s: %s", spec, err);
	return a;
}

/* ------------------------------------------------------------ parse, valid */

struct parse_case {
	const char *spec;
	int family;
	const char *host;
	unsigned port;
};

static const struct parse_case parse_cases[] = {
    {"127.0.0.1:8080", AF_INET, "127.0.0.1", 8080},
    {"[::1]:8080", AF_INET6, "::1", 8080},
    {"*:80", AF_INET, "0.0.0.0", 80},
    {"[::]:443", AF_INET6, "::", 443},
    {"localhost:8080", AF_INET, "127.0.0.1", 8080},
    {"8080", AF_INET, "127.0.0.1", 8080},
    {"0", AF_INET, "127.0.0.1", 0},
    {"65535", AF_INET, "127.0.0.1", 65535},
    {"127.0.0.1:0", AF_INET, "127.0.0.1", 0},
    {"0.0.0.0:65535", AF_INET, "0.0.0.0", 65535},
    {"192.168.1.20:1", AF_INET, "192.168.1.20", 1},
    {"[2001:db8::1]:8443", AF_INET6, "2001:db8::1", 8443},
    {"[fe80::1]:1", AF_INET6, "fe80::1", 1},
    {"[::ffff:192.0.2.1]:80", AF_INET6, "::ffff:192.0.2.1", 80},
    {"[2001:db8:1:2:3:4:5:6]:0", AF_INET6, "2001:db8:1:2:3:4:5:6", 0},
};

START_TEST(test_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	struct listen_addr a = parse_ok(c->spec);
	char host[INET6_ADDRSTRLEN];
	unsigned port;

	ck_assert_msg(a.ss.ss_family == c->family, "%s: family %d", c->spec, a.ss.ss_family);
	ck_assert_uint_eq(a.len, c->family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                               : sizeof(struct sockaddr_in));
	describe(&a, host, sizeof host, &port);
	ck_assert_msg(strcmp(host, c->host) == 0, "%s: address %s, expected %s", c->spec, host,
	              c->host);
	ck_assert_msg(port == c->port, "%s: port %u, expected %u", c->spec, port, c->port);
}
END_TEST

START_TEST(test_parse_any_and_loopback_constants)
{
	struct listen_addr any = parse_ok("*:80");
	struct listen_addr loop = parse_ok("localhost:80");
	struct listen_addr any6 = parse_ok("[::]:80");
	ck_assert_uint_eq(((struct sockaddr_in *)&any.ss)->sin_addr.s_addr, htonl(INADDR_ANY));
	ck_assert_uint_eq(((struct sockaddr_in *)&loop.ss)->sin_addr.s_addr,
	                  htonl(INADDR_LOOPBACK));
	ck_assert(IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&any6.ss)->sin6_addr));
}
END_TEST

/* ------------------------------------------------------------ parse, errors */

static const char *const bad_specs[] = {
    "127.0.0.1:",
    "127.0.0.1:65536",
    "127.0.0.1:99999",
    "127.0.0.1:123456",
    "127.0.0.1:80x",
    "127.0.0.1:-1",
    "127.0.0.1:+80",
    "127.0.0.1: 80",
    "127.0.0.1 :80",
    "127.0.0.1:80:80",
    "::1:80",
    "::1",
    "[::1]80",
    "[::1",
    "[::1]",
    "[::1]:",
    "[::1]:80]",
    "[::1]]:80",
    "[::1]:8080 ",
    "[]:80",
    "[*]:80",
    "[127.0.0.1]:80",
    "[localhost]:80",
    "300.1.1.1:80",
    "1.2.3:80",
    "1.2.3.4.5:80",
    "host.example:80",
    "",
    ":80",
    "*",
    "localhost",
    "80x",
    "65536",
    "-1",
};

START_TEST(test_parse_error)
{
	const char *spec = bad_specs[_i];
	struct listen_addr a;
	char err[256] = "";

	ck_assert_msg(listen_addr_parse(spec, &a, err, sizeof err) == -1, "\"%s\" was accepted",
	              spec);
	ck_assert_msg(err[0] != '\0', "\"%s\": no message", spec);
	ck_assert_msg(strstr(err, spec) != NULL, "\"%s\": the message does not name it: %s", spec,
	              err);
}
END_TEST

/* Hosts longer than any address must be refused, not copied. */
START_TEST(test_parse_long_host)
{
	static const struct {
		const char *before, *after;
	} shapes[] = {{"", ":80"}, {"[", "]:80"}, {"", ""}};
	char host[300];
	memset(host, '1', sizeof host - 1);
	host[sizeof host - 1] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(shapes); i++) {
		struct listen_addr a;
		char spec[320], err[512] = "";
		snprintf(spec, sizeof spec, "%s%s%s", shapes[i].before, host, shapes[i].after);
		ck_assert_msg(listen_addr_parse(spec, &a, err, sizeof err) == -1,
		              "%s...%s accepted", shapes[i].before, shapes[i].after);
		ck_assert_uint_gt(strlen(err), 0);
	}
}
END_TEST

/* The message is cut to fit, and may be asked for not at all. */
START_TEST(test_parse_error_buffer_sizes)
{
	static const size_t sizes[] = {1, 2, 16, 40};
	struct listen_addr a;
	for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
		char err[64];
		memset(err, 'Z', sizeof err);
		ck_assert_int_eq(listen_addr_parse("127.0.0.1:80x", &a, err, sizes[i]), -1);
		ck_assert_uint_eq(strlen(err), sizes[i] - 1);
		ck_assert_int_eq(err[sizes[i]], 'Z');
	}
	ck_assert_int_eq(listen_addr_parse("127.0.0.1:80x", &a, NULL, 0), -1);
	ck_assert_int_eq(listen_addr_parse("[::1", &a, NULL, 0), -1);
	ck_assert_int_eq(listen_addr_parse("127.0.0.1:80", &a, NULL, 0), 0);
}
END_TEST

/* --------------------------------------------------------------------- URLs */

struct url_case {
	const char *spec;
	const char *url;
};

static const struct url_case url_cases[] = {
    {"127.0.0.1:8080", "http://127.0.0.1:8080/"},
    {"*:80", "http://0.0.0.0:80/"},
    {"localhost:0", "http://127.0.0.1:0/"},
    {"192.168.1.20:65535", "http://192.168.1.20:65535/"},
    {"[::1]:8080", "http://[::1]:8080/"},
    {"[::]:443", "http://[::]:443/"},
    {"[2001:0db8:0000::0001]:8443", "http://[2001:db8::1]:8443/"},
    {"[::ffff:192.0.2.1]:80", "http://[::ffff:192.0.2.1]:80/"},
};

START_TEST(test_url)
{
	const struct url_case *c = &url_cases[_i];
	struct listen_addr a = parse_ok(c->spec);
	char url[128];
	listen_addr_url((const struct sockaddr *)&a.ss, url, sizeof url);
	ck_assert_str_eq(url, c->url);
}
END_TEST

/* Built by hand rather than parsed: the URL depends only on the sockaddr. */
START_TEST(test_url_from_sockaddr)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	char url[128];

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(8080);
	sin.sin_addr.s_addr = htonl(0x7f000001);
	listen_addr_url((const struct sockaddr *)&sin, url, sizeof url);
	ck_assert_str_eq(url, "http://127.0.0.1:8080/");

	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(443);
	sin6.sin6_addr = in6addr_loopback;
	listen_addr_url((const struct sockaddr *)&sin6, url, sizeof url);
	ck_assert_str_eq(url, "http://[::1]:443/");
}
END_TEST

START_TEST(test_url_truncated)
{
	struct listen_addr a = parse_ok("[2001:db8::1]:8443");
	char url[32];
	memset(url, 'Z', sizeof url);
	listen_addr_url((const struct sockaddr *)&a.ss, url, 11);
	ck_assert_str_eq(url, "http://[20");
	ck_assert_int_eq(url[11], 'Z');
	listen_addr_url((const struct sockaddr *)&a.ss, url, 1);
	ck_assert_str_eq(url, "");
}
END_TEST

/* -------------------------------------------------------------------- suite */

static Suite *address_suite(void)
{
	Suite *s = suite_create("address");
	TCase *parse = tcase_create("parse");
	TCase *url = tcase_create("url");

	tcase_add_loop_test(parse, test_parse, 0, (int)ARRAY_LEN(parse_cases));
	tcase_add_test(parse, test_parse_any_and_loopback_constants);
	tcase_add_loop_test(parse, test_parse_error, 0, (int)ARRAY_LEN(bad_specs));
	tcase_add_test(parse, test_parse_long_host);
	tcase_add_test(parse, test_parse_error_buffer_sizes);
	suite_add_tcase(s, parse);

	tcase_add_loop_test(url, test_url, 0, (int)ARRAY_LEN(url_cases));
	tcase_add_test(url, test_url_from_sockaddr);
	tcase_add_test(url, test_url_truncated);
	suite_add_tcase(s, url);
	return s;
}

int main(void)
{
	return check_run(address_suite());
}
