/* Unit tests for listener: opening real listening sockets on the loopback
 * interface, and adopting one made elsewhere (address parsing: check_address). */
#include "autoconfig.h"

#include "listener.h"

#include "check_run.h"

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

/* ------------------------------------------------------------------ helpers */

static unsigned port_of(const struct listen_addr *a)
{
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
}

/* ------------------------------------------------------------ real sockets */

static void open_ok(struct listener *l, const char *spec)
{
	struct listen_addr a;
	char err[256] = "";
	ck_assert_msg(listen_addr_parse(spec, &a, err, sizeof err) == 0, "%s: %s", spec, err);
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
	TCase *sockets = tcase_create("sockets");

	tcase_add_test(sockets, test_open_port_zero);
	tcase_add_test(sockets, test_open_ipv6);
	tcase_add_test(sockets, test_open_in_use);
	tcase_add_test(sockets, test_adopt);
	suite_add_tcase(s, sockets);
	return s;
}

int main(void)
{
	return check_run(listener_suite());
}
