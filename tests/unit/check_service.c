/* Unit tests for service: readiness notification and socket activation.
 *
 * The notification tests bind their own AF_UNIX datagram socket (a path in a temporary
 * directory, or an abstract name), point NOTIFY_SOCKET at it and read back what was sent.
 * The activation tests put listening sockets at descriptors 3, 4, ... as a service manager
 * would, set LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES and look at what the call made of them. */
#include "autoconfig.h"

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "service.h"

#include "check_run.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define RECV_TIMEOUT_MS 2000

/* ---------------------------------------------------------------- helpers */

static int open_fd_count(void)
{
	DIR *dir = opendir("/proc/self/fd");
	ck_assert_msg(dir != NULL, "/proc/self/fd: %s", strerror(errno));
	int count = 0;
	while (readdir(dir) != NULL)
		count++;
	closedir(dir);
	return count;
}

static unsigned long long monotonic_usec(void)
{
	struct timespec ts;
	ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
}

/* ------------------------------------------------------- the receiving end */

/* The manager's side of NOTIFY_SOCKET: a bound datagram socket and the name to give. */
struct receiver {
	int fd;
	char name[sizeof(((struct sockaddr_un *)0)->sun_path) + 1]; /* NOTIFY_SOCKET's value */
	char dir[64];                                               /* "" for abstract names */
};

static void receiver_open(struct receiver *r, bool abstract)
{
	static unsigned serial;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	socklen_t len;

	r->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(r->fd >= 0, "socket: %s", strerror(errno));
	r->dir[0] = '\0';
	if (abstract) {
		snprintf(r->name, sizeof r->name, "@switchboard-check-%ld-%u", (long)getpid(),
		         serial++);
		size_t n = strlen(r->name);
		memcpy(sa.sun_path + 1, r->name + 1, n - 1); /* sun_path[0] stays NUL */
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		snprintf(r->dir, sizeof r->dir, "/tmp/check_service.XXXXXX");
		ck_assert_msg(mkdtemp(r->dir) != NULL, "mkdtemp: %s", strerror(errno));
		snprintf(r->name, sizeof r->name, "%s/notify", r->dir);
		memcpy(sa.sun_path, r->name, strlen(r->name) + 1); /* short: /tmp/... */
		len = (socklen_t)sizeof sa;
	}
	ck_assert_msg(bind(r->fd, (struct sockaddr *)&sa, len) == 0, "bind %s: %s", r->name,
	              strerror(errno));
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", r->name, 1), 0);
}

static void receiver_close(struct receiver *r)
{
	close(r->fd);
	if (r->dir[0] != '\0') {
		unlink(r->name);
		rmdir(r->dir);
	}
	unsetenv("NOTIFY_SOCKET");
}

/* The next datagram as a string, or NULL when none comes within timeout_ms. */
static char *receive(struct receiver *r, char *buf, size_t size, int timeout_ms)
{
	struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
	if (poll(&pfd, 1, timeout_ms) != 1)
		return NULL;
	ssize_t n = recv(r->fd, buf, size - 1, MSG_DONTWAIT);
	ck_assert_msg(n >= 0, "recv: %s", strerror(errno));
	buf[n] = '\0';
	return buf;
}

static void expect_datagram(struct receiver *r, const char *want)
{
	char buf[8192];
	const char *got = receive(r, buf, sizeof buf, RECV_TIMEOUT_MS);
	ck_assert_msg(got != NULL, "no datagram on %s (want \"%s\")", r->name, want);
	ck_assert_str_eq(got, want);
}

/* ------------------------------------------------------------ notification */

START_TEST(notify_unset_is_a_no_op)
{
	struct receiver r;
	char buf[256];
	receiver_open(&r, false);
	unsetenv("NOTIFY_SOCKET");
	ck_assert_int_eq(service_notify("READY=1"), 0);
	ck_assert_int_eq(service_notifyf("STATUS=%d", 1), 0);
	ck_assert_int_eq(service_notify_reloading(), 0);
	ck_assert_msg(receive(&r, buf, sizeof buf, 100) == NULL, "got \"%s\"", buf);
	setenv("NOTIFY_SOCKET", "", 1); /* set but empty: nobody to tell either */
	ck_assert_int_eq(service_notify("READY=1"), 0);
	receiver_close(&r);
}
END_TEST

START_TEST(notify_to_path)
{
	struct receiver r;
	receiver_open(&r, false);
	ck_assert_int_eq(service_notify("READY=1\nSTATUS=serving 2 addresses"), 0);
	expect_datagram(&r, "READY=1\nSTATUS=serving 2 addresses");
	ck_assert_int_eq(service_notify("STOPPING=1"), 0);
	expect_datagram(&r, "STOPPING=1");
	/* Left set: the server notifies again on every reload and at the stop. */
	ck_assert_str_eq(getenv("NOTIFY_SOCKET"), r.name);
	receiver_close(&r);
}
END_TEST

START_TEST(notify_to_abstract_name)
{
	struct receiver r;
	receiver_open(&r, true);
	ck_assert_int_eq(service_notify("READY=1"), 0);
	expect_datagram(&r, "READY=1");
	receiver_close(&r);
}
END_TEST

START_TEST(notifyf_formats)
{
	struct receiver r;
	receiver_open(&r, false);
	ck_assert_int_eq(service_notifyf("READY=1\nSTATUS=serving %s on %d", "/srv", 8080), 0);
	expect_datagram(&r, "READY=1\nSTATUS=serving /srv on 8080");
	receiver_close(&r);
}
END_TEST

/* Past the formatting buffer on the stack the message goes through the heap, intact. */
START_TEST(notifyf_long_message)
{
	struct receiver r;
	char long_status[3000], want[3100];
	memset(long_status, 'x', sizeof long_status - 1);
	long_status[sizeof long_status - 1] = '\0';
	snprintf(want, sizeof want, "STATUS=%s", long_status);
	receiver_open(&r, false);
	ck_assert_int_eq(service_notifyf("STATUS=%s", long_status), 0);
	expect_datagram(&r, want);
	receiver_close(&r);
}
END_TEST

START_TEST(notify_reloading_has_monotonic_time)
{
	struct receiver r;
	char buf[256];
	unsigned long long sent, before, after;
	int consumed = 0;

	receiver_open(&r, true);
	before = monotonic_usec();
	ck_assert_int_eq(service_notify_reloading(), 0);
	after = monotonic_usec();
	ck_assert_ptr_nonnull(receive(&r, buf, sizeof buf, RECV_TIMEOUT_MS));
	ck_assert_msg(sscanf(buf, "RELOADING=1\nMONOTONIC_USEC=%llu%n", &sent, &consumed) == 1 &&
	                  buf[consumed] == '\0',
	              "got \"%s\"", buf);
	ck_assert_msg(before <= sent && sent <= after, "%llu not in [%llu, %llu]", sent, before,
	              after);
	receiver_close(&r);
}
END_TEST

START_TEST(notify_bad_names_fail)
{
	static const char *const bad[] = {"relative/notify", "notify", "@", "/"};
	char too_long[200];
	memset(too_long, 'a', sizeof too_long - 1);
	too_long[0] = '/';
	too_long[sizeof too_long - 1] = '\0';

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		setenv("NOTIFY_SOCKET", bad[i], 1);
		ck_assert_msg(service_notify("READY=1") == -1, "NOTIFY_SOCKET=%s accepted", bad[i]);
	}
	setenv("NOTIFY_SOCKET", too_long, 1);
	ck_assert_int_eq(service_notify("READY=1"), -1);
	ck_assert_msg(errno == ENAMETOOLONG || errno == EINVAL, "errno %d", errno);
	unsetenv("NOTIFY_SOCKET");
}
END_TEST

/* A manager that went away: the call fails and says why, and nothing else happens. */
START_TEST(notify_without_receiver_fails)
{
	struct receiver r;
	receiver_open(&r, false);
	close(r.fd);
	unlink(r.name); /* NOTIFY_SOCKET still names it */
	r.fd = -1;
	errno = 0;
	ck_assert_int_eq(service_notify("READY=1"), -1);
	ck_assert_msg(errno == ENOENT || errno == ECONNREFUSED, "errno %d", errno);
	receiver_open(&r, true);
	close(r.fd);
	r.fd = -1;
	ck_assert_int_eq(service_notify("READY=1"), -1);
	receiver_close(&r);
}
END_TEST

START_TEST(notify_leaks_no_descriptor)
{
	struct receiver r;
	char buf[64];
	receiver_open(&r, false);
	int before = open_fd_count();
	for (int i = 0; i < 20; i++) {
		ck_assert_int_eq(service_notifyf("STATUS=%d", i), 0);
		ck_assert_ptr_nonnull(receive(&r, buf, sizeof buf, RECV_TIMEOUT_MS));
	}
	setenv("NOTIFY_SOCKET", "/nonexistent/notify", 1);
	ck_assert_int_eq(service_notify("READY=1"), -1);
	ck_assert_int_eq(open_fd_count(), before);
	receiver_close(&r);
}
END_TEST

#ifndef HAVE_LIBSYSTEMD
/* A manager that stops reading must not stall the event loop: once its queue is full the
 * message is dropped with EAGAIN. (libsystemd's sd_notify() would wait there instead.) */
START_TEST(notify_never_blocks)
{
	struct receiver r;
	int result = 0, sends = 0;
	receiver_open(&r, false);
	for (; sends < 100000 && result == 0; sends++)
		result = service_notify("STATUS=nobody reads this");
	ck_assert_msg(result == -1, "%d sends, none refused", sends);
	ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK, "errno %d", errno);
	receiver_close(&r);
}
END_TEST
#endif

/* ------------------------------------------------------- socket activation */

#define SLOTS 4 /* descriptors 3..6, as a manager passing up to four sockets would fill */

/* What one service_listen_fds() call returned and left behind, recorded before the test's
 * sockets leave descriptors 3.. again (Check keeps its own file at 3, so nothing may be
 * asserted while ours sit there). */
struct activation {
	int n;
	int fds[SLOTS];
	const char *names[SLOTS];
	char err[512];
	int want_port[SLOTS]; /* port of the socket put at 3 + i */
	int port[SLOTS];      /* port of the socket at fds[i] after the call */
	bool cloexec[SLOTS];  /* FD_CLOEXEC on 3 + i after the call */
	bool env_left;        /* one of LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES still set */
};

static int listening_socket(int *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0); /* no CLOEXEC: the call must set it */
	ck_assert_msg(fd >= 0, "socket: %s", strerror(errno));
	ck_assert_msg(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 8) == 0 &&
	                  getsockname(fd, (struct sockaddr *)&sa, &len) == 0,
	              "listen on 127.0.0.1:0: %s", strerror(errno));
	*port = ntohs(sa.sin_port);
	return fd;
}

static int port_of(int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0 || sa.sin_family != AF_INET)
		return -1;
	return ntohs(sa.sin_port);
}

static void set_or_unset(const char *name, const char *value)
{
	if (value != NULL)
		setenv(name, value, 1);
	else
		unsetenv(name);
}

/* pid: "self" for getpid(), "parent" for getppid(), NULL to leave LISTEN_PID unset, or
 * the literal text to put there. */
static void set_listen_env(const char *pid, const char *count, const char *names)
{
	char pid_text[32];
	if (pid != NULL && strcmp(pid, "self") == 0) {
		snprintf(pid_text, sizeof pid_text, "%ld", (long)getpid());
		pid = pid_text;
	} else if (pid != NULL && strcmp(pid, "parent") == 0) {
		snprintf(pid_text, sizeof pid_text, "%ld", (long)getppid());
		pid = pid_text;
	}
	set_or_unset("LISTEN_PID", pid);
	set_or_unset("LISTEN_FDS", count);
	set_or_unset("LISTEN_FDNAMES", names);
}

/* Put `sockets` fresh listening sockets at 3, 4, ..., leave the rest of the slots closed,
 * set the variables, call service_listen_fds(), record, and put everything back. */
static void activate(struct activation *a, int sockets, const char *pid, const char *count,
                     const char *names, bool want_names, int max)
{
	int parked[SLOTS], parked_flags[SLOTS], ours[SLOTS];

	memset(a, 0, sizeof *a);
	for (int i = 0; i < sockets; i++) { /* high up, clear of the slots emptied below */
		int fd = listening_socket(&a->want_port[i]);
		ours[i] = fcntl(fd, F_DUPFD, 200);
		close(fd);
	}
	for (int i = 0; i < SLOTS; i++) { /* move whatever sits at 3.. out of the way */
		int fd = SERVICE_LISTEN_FDS_START + i;
		parked_flags[i] = fcntl(fd, F_GETFD);
		parked[i] = parked_flags[i] < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 100);
		close(fd);
	}
	for (int i = 0; i < sockets; i++) {
		dup2(ours[i], SERVICE_LISTEN_FDS_START + i); /* dup2 leaves CLOEXEC off */
		close(ours[i]);
	}
	set_listen_env(pid, count, names);

	a->n = service_listen_fds(a->fds, want_names ? a->names : NULL, max, a->err, sizeof a->err);

	a->env_left = getenv("LISTEN_PID") || getenv("LISTEN_FDS") || getenv("LISTEN_FDNAMES");
	for (int i = 0; i < SLOTS; i++) {
		int fd = SERVICE_LISTEN_FDS_START + i;
		int flags = fcntl(fd, F_GETFD);
		a->cloexec[i] = flags >= 0 && (flags & FD_CLOEXEC);
		a->port[i] = i < a->n ? port_of(a->fds[i]) : -1;
		close(fd);
		if (parked[i] >= 0) {
			dup3(parked[i], fd, (parked_flags[i] & FD_CLOEXEC) ? O_CLOEXEC : 0);
			close(parked[i]);
		}
	}
}

static void expect_env_gone(const struct activation *a)
{
	ck_assert_msg(!a->env_left, "LISTEN_* variables left in the environment");
}

START_TEST(listen_none_when_unset)
{
	struct activation a;
	activate(&a, 0, NULL, NULL, NULL, true, SLOTS);
	ck_assert_int_eq(a.n, 0);
	ck_assert_str_eq(a.err, "");
	activate(&a, 0, "self", NULL, NULL, true, SLOTS); /* pid but no count */
	ck_assert_int_eq(a.n, 0);
	expect_env_gone(&a);
}
END_TEST

START_TEST(listen_two_sockets)
{
	struct activation a;
	activate(&a, 2, "self", "2", NULL, false, SLOTS);
	ck_assert_msg(a.n == 2, "got %d: %s", a.n, a.err);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(a.fds[i], SERVICE_LISTEN_FDS_START + i);
		ck_assert_int_eq(a.port[i], a.want_port[i]); /* in the order passed */
		ck_assert_msg(a.cloexec[i], "FD_CLOEXEC not set on %d", a.fds[i]);
	}
	expect_env_gone(&a);
}
END_TEST

START_TEST(listen_names_mapped_in_order)
{
	struct activation a;
	activate(&a, 3, "self", "3", "web:admin:web", true, SLOTS);
	ck_assert_msg(a.n == 3, "got %d: %s", a.n, a.err);
	ck_assert_str_eq(a.names[0], "web");
	ck_assert_str_eq(a.names[1], "admin");
	ck_assert_str_eq(a.names[2], "web");
	ck_assert_int_eq(a.port[1], a.want_port[1]);
	expect_env_gone(&a);
}
END_TEST

START_TEST(listen_names_unknown_without_fdnames)
{
	struct activation a;
	activate(&a, 2, "self", "2", NULL, true, SLOTS);
	ck_assert_msg(a.n == 2, "got %d: %s", a.n, a.err);
	ck_assert_str_eq(a.names[0], "unknown");
	ck_assert_str_eq(a.names[1], "unknown");
}
END_TEST

START_TEST(listen_names_count_mismatch_fails)
{
	struct activation a;
	activate(&a, 2, "self", "2", "web", true, SLOTS);
	ck_assert_int_eq(a.n, -1);
	ck_assert_msg(a.err[0] != '\0', "no message");
	expect_env_gone(&a);
	/* Names nobody asked for are not checked. */
	activate(&a, 2, "self", "2", "web", false, SLOTS);
	ck_assert_msg(a.n == 2, "got %d: %s", a.n, a.err);
}
END_TEST

/* Variables inherited from a socket-activated parent are not ours: no sockets, the
 * descriptors untouched, and the variables still removed. */
START_TEST(listen_other_process_gets_nothing)
{
	struct activation a;
	activate(&a, 1, "parent", "1", "web", true, SLOTS);
	ck_assert_int_eq(a.n, 0);
	ck_assert_msg(!a.cloexec[0], "FD_CLOEXEC set on a descriptor that is not ours");
	expect_env_gone(&a);
}
END_TEST

START_TEST(listen_garbage_count_fails)
{
	static const char *const bad[] = {"two", "2x", "", "0", "-1", "99999999999999999999"};
	struct activation a;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		activate(&a, 2, "self", bad[i], NULL, true, SLOTS);
		ck_assert_msg(a.n == -1, "LISTEN_FDS=\"%s\": got %d", bad[i], a.n);
		ck_assert_msg(strstr(a.err, "LISTEN_FDS") != NULL, "message: %s", a.err);
		expect_env_gone(&a);
	}
}
END_TEST

START_TEST(listen_garbage_pid_fails)
{
	static const char *const bad[] = {"abc", "12x", "", "0"};
	struct activation a;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		activate(&a, 1, bad[i], "1", NULL, true, SLOTS);
		ck_assert_msg(a.n == -1, "LISTEN_PID=\"%s\": got %d", bad[i], a.n);
		ck_assert_msg(strstr(a.err, "LISTEN_PID") != NULL, "message: %s", a.err);
		expect_env_gone(&a);
	}
}
END_TEST

/* LISTEN_FDS counts a descriptor that this process does not have. */
START_TEST(listen_closed_descriptor_fails)
{
	struct activation a;
	activate(&a, 1, "self", "2", NULL, true, SLOTS);
	ck_assert_int_eq(a.n, -1);
	ck_assert_msg(a.err[0] != '\0', "no message");
	expect_env_gone(&a);
}
END_TEST

START_TEST(listen_more_than_max_fails)
{
	struct activation a;
	activate(&a, 2, "self", "2", NULL, true, 1);
	ck_assert_int_eq(a.n, -1);
	ck_assert_msg(strstr(a.err, "at most 1") != NULL, "message: %s", a.err);
	expect_env_gone(&a);
}
END_TEST

START_TEST(listen_second_call_finds_nothing)
{
	struct activation a;
	activate(&a, 1, "self", "1", "web", true, SLOTS);
	ck_assert_msg(a.n == 1, "got %d: %s", a.n, a.err);
	ck_assert_str_eq(a.names[0], "web");
	int fds[SLOTS];
	const char *names[SLOTS];
	char err[256] = "";
	ck_assert_int_eq(service_listen_fds(fds, names, SLOTS, err, sizeof err), 0);
}
END_TEST

/* ---------------------------------------------------------------- suite */

static Suite *service_suite(void)
{
	Suite *s = suite_create("service");

	TCase *notify = tcase_create("notify");
	tcase_set_timeout(notify, 20);
	tcase_add_test(notify, notify_unset_is_a_no_op);
	tcase_add_test(notify, notify_to_path);
	tcase_add_test(notify, notify_to_abstract_name);
	tcase_add_test(notify, notifyf_formats);
	tcase_add_test(notify, notifyf_long_message);
	tcase_add_test(notify, notify_reloading_has_monotonic_time);
	tcase_add_test(notify, notify_bad_names_fail);
	tcase_add_test(notify, notify_without_receiver_fails);
	tcase_add_test(notify, notify_leaks_no_descriptor);
#ifndef HAVE_LIBSYSTEMD
	tcase_add_test(notify, notify_never_blocks);
#endif
	suite_add_tcase(s, notify);

	TCase *listen = tcase_create("listen_fds");
	tcase_add_test(listen, listen_none_when_unset);
	tcase_add_test(listen, listen_two_sockets);
	tcase_add_test(listen, listen_names_mapped_in_order);
	tcase_add_test(listen, listen_names_unknown_without_fdnames);
	tcase_add_test(listen, listen_names_count_mismatch_fails);
	tcase_add_test(listen, listen_other_process_gets_nothing);
	tcase_add_test(listen, listen_garbage_count_fails);
	tcase_add_test(listen, listen_garbage_pid_fails);
	tcase_add_test(listen, listen_closed_descriptor_fails);
	tcase_add_test(listen, listen_more_than_max_fails);
	tcase_add_test(listen, listen_second_call_finds_nothing);
	suite_add_tcase(s, listen);
	return s;
}

int main(void)
{
	return check_run(service_suite());
}
