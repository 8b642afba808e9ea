/* Unit tests for listener: parsing listen addresses, formatting their URLs,
 * and opening real listening sockets on the loopback interface. */
#include "autoconfig.h"

#include "listener.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

static unsigned port_of(const struct listen_addr *a)
{
	char host[INET6_ADDRSTRLEN];
	unsigned port;
	describe(a, host, sizeof host, &port);
	return port;
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

/* ------------------------------------------------------------ real sockets */

static void open_ok(struct listener *l, const char *spec)
{
	struct listen_addr a = parse_ok(spec);
	char err[256] = "";
	ck_assert_msg(listener_open(l, &a, err, sizeof err) == 0, "%s: %s", spec, err);
	ck_assert_int_ge(l->fd, 0);
}

/* Can this machine bind the IPv6 loopback address at all? */
static bool have_ipv6_loopback(void)
{
	struct sockaddr_in6 sin6;
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	bool ok;
	if (fd < 0)
		return false;
	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	ok = bind(fd, (struct sockaddr *)&sin6, sizeof sin6) == 0;
	close(fd);
	return ok;
}

/* A client connects; the listener has the connection to accept. */
static void assert_accepts(const struct listener *l)
{
	struct pollfd pfd = {l->fd, POLLIN, 0};
	int client = socket(l->addr.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(client, 0);
	ck_assert_msg(connect(client, (const struct sockaddr *)&l->addr.ss, l->addr.len) == 0,
	              "connect: %s", strerror(errno));
	ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
	int server = accept(l->fd, NULL, NULL);
	ck_assert_int_ge(server, 0);
	close(server);
	close(client);
}

static void assert_socket_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	int fd_flags = fcntl(fd, F_GETFD);
	ck_assert_int_ge(fl, 0);
	ck_assert_int_ge(fd_flags, 0);
	ck_assert_msg(fl & O_NONBLOCK, "not non-blocking");
	ck_assert_msg(fd_flags & FD_CLOEXEC, "not close-on-exec");
}

/* The address as the kernel has it agrees with the one the listener reports. */
static void assert_bound_as_reported(const struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	ck_assert_int_eq(getsockname(l->fd, (struct sockaddr *)&ss, &len), 0);
	ck_assert_uint_eq(len, l->addr.len);
	ck_assert_mem_eq(&ss, &l->addr.ss, len);
}

START_TEST(test_open_port_zero)
{
	struct listener l;
	open_ok(&l, "127.0.0.1:0");
	ck_assert_uint_ne(port_of(&l.addr), 0);
	ck_assert_int_eq(l.addr.ss.ss_family, AF_INET);
	assert_bound_as_reported(&l);
	assert_socket_flags(l.fd);
	assert_accepts(&l);
	listener_close(&l);
	ck_assert_int_eq(l.fd, -1);
	listener_close(&l); /* twice is harmless */
}
END_TEST

START_TEST(test_open_ipv6)
{
	struct listener l;
	int v6only = 0;
	socklen_t len = sizeof v6only;
	if (!have_ipv6_loopback())
		return; /* nothing to test on a machine without IPv6 */
	open_ok(&l, "[::1]:0");
	ck_assert_int_eq(l.addr.ss.ss_family, AF_INET6);
	ck_assert_uint_ne(port_of(&l.addr), 0);
	assert_bound_as_reported(&l);
	/* "[::]:80" means IPv6 only: "*:80" is there for IPv4. */
	ck_assert_int_eq(getsockopt(l.fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &len), 0);
	ck_assert_int_eq(v6only, 1);
	assert_accepts(&l);
	listener_close(&l);
}
END_TEST

/* Binding an address in use fails, and the message names the address. */
START_TEST(test_open_in_use)
{
	struct listener first, second;
	char err[256] = "", url[64];
	open_ok(&first, "127.0.0.1:0");
	listen_addr_url((const struct sockaddr *)&first.addr.ss, url, sizeof url);

	ck_assert_int_eq(listener_open(&second, &first.addr, err, sizeof err), -1);
	ck_assert_int_eq(second.fd, -1);
	ck_assert_msg(strstr(err, url) != NULL, "the message does not name %s: %s", url, err);
	ck_assert_msg(strstr(err, strerror(EADDRINUSE)) != NULL, "no reason in: %s", err);
	listener_close(&second);
	listener_close(&first);
}
END_TEST

/* A socket made elsewhere (say by a service manager) is adopted as it is. */
START_TEST(test_adopt)
{
	struct sockaddr_in sin;
	struct listener l;
	char err[256] = "";
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(listen(fd, 8), 0);

	ck_assert_msg(listener_adopt(&l, fd, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(l.fd, fd);
	ck_assert_int_eq(l.addr.ss.ss_family, AF_INET);
	ck_assert_uint_ne(port_of(&l.addr), 0);
	assert_bound_as_reported(&l);
	assert_socket_flags(l.fd);
	assert_accepts(&l);
	listener_close(&l);
}
END_TEST

/* -------------------------------------------------------------------- suite */

static Suite *listener_suite(void)
{
	Suite *s = suite_create("listener");
	TCase *parse = tcase_create("parse");
	TCase *url = tcase_create("url");
	TCase *sockets = tcase_create("sockets");

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

	tcase_add_test(sockets, test_open_port_zero);
	tcase_add_test(sockets, test_open_ipv6);
	tcase_add_test(sockets, test_open_in_use);
	tcase_add_test(sockets, test_adopt);
	suite_add_tcase(s, sockets);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(listener_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
