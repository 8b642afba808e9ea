#include "autoconfig.h"

#include "listener.h"

#include "container.h"
#include "log.h"
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Connections accepted per wake-up before the loop serves the others again. */
#define ACCEPT_BATCH 256
/* How long to stop accepting when descriptors or memory run out and nothing
 * can be freed. */
#define EMFILE_BACKOFF_MS 100

static int reserve_fd = -1;
static struct log_ratelimit emfile_log = LOG_RATELIMIT_INIT(10000);

static void on_backoff_over(struct loop *loop, struct loop_timer *t)
{
	struct listener *l = container_of(t, struct listener, backoff);
	(void)loop;
	listener_resume(l);
}

static void listener_init(struct listener *l)
{
	memset(l, 0, sizeof *l);
	l->fd = -1;
	loop_timer_init(&l->backoff, on_backoff_over);
}

static int set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return -1;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static bool is_tcp(int family)
{
	return family == AF_INET || family == AF_INET6;
}

/* Responses are written whole (head and body coalesced, MSG_MORE before a
 * file), so Nagle's algorithm would only delay a last segment. Set on the
 * listener, the option is inherited by every accepted socket on Linux: no
 * system call per connection. Not TCP (a Unix-domain socket): nothing to do. */
static void set_nodelay(int fd, int family)
{
	int one = 1;
	if (is_tcp(family))
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* The deferral the kernel applies, which it rounds up from what it was given. */
static void read_deferral(struct listener *l)
{
	int seconds = 0;
	socklen_t len = sizeof seconds;
	l->deferral_ms = 0;
	if (is_tcp(l->addr.ss.ss_family) &&
	    getsockopt(l->fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds, &len) == 0 && seconds > 0)
		l->deferral_ms = (int64_t)seconds * 1000;
}

static int fail(struct listener *l, char *err, size_t err_size, const char *what)
{
	char url[INET6_ADDRSTRLEN + 32];
	listen_addr_url((const struct sockaddr *)&l->addr.ss, url, sizeof url);
	snprintf(err, err_size, "%s: %s: %s", url, what, strerror(errno));
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	return -1;
}

/* A Unix-domain socket: a socket file left by an earlier run is replaced (never
 * any other kind of file), and the new one gets the configured mode and
 * group before anyone can connect. */
static int bind_unix(struct listener *l, char *err, size_t err_size)
{
	const char *path = ((const struct sockaddr_un *)&l->addr.ss)->sun_path;
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			return fail(l, err, err_size, "not a socket, left alone");
		}
		unlink(path);
	}
	if (bind(l->fd, (const struct sockaddr *)&l->addr.ss, l->addr.len) < 0)
		return fail(l, err, err_size, "cannot bind");
	l->unlink_on_close = true;
	if (chmod(path, l->addr.unix_mode) < 0)
		return fail(l, err, err_size, "chmod");
	if (l->addr.unix_group != (gid_t)-1 && chown(path, (uid_t)-1, l->addr.unix_group) < 0)
		return fail(l, err, err_size, "chown");
	if (listen(l->fd, SOMAXCONN) < 0)
		return fail(l, err, err_size, "cannot listen");
	return 0;
}

int listener_open(struct listener *l, const struct listen_addr *addr, char *err, size_t err_size)
{
	listener_init(l);
	l->addr = *addr;
	int family = addr->ss.ss_family;
	l->fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return fail(l, err, err_size, "socket");
	int one = 1;
	if (family == AF_UNIX)
		return bind_unix(l, err, err_size);
	if (setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		return fail(l, err, err_size, "SO_REUSEADDR");
	/* "[::]:80" means IPv6 only; "*:80" is there for IPv4. */
	if (family == AF_INET6 &&
	    setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)
		return fail(l, err, err_size, "IPV6_V6ONLY");
	if (bind(l->fd, (const struct sockaddr *)&addr->ss, addr->len) < 0)
		return fail(l, err, err_size, "cannot bind");
	if (listen(l->fd, SOMAXCONN) < 0)
		return fail(l, err, err_size, "cannot listen");
	set_nodelay(l->fd, family);
	l->addr.len = sizeof l->addr.ss;
	if (getsockname(l->fd, (struct sockaddr *)&l->addr.ss, &l->addr.len) < 0)
		return fail(l, err, err_size, "getsockname");
	return 0;
}

int listener_adopt(struct listener *l, int fd, char *err, size_t err_size)
{
	listener_init(l);
	l->fd = fd;
	l->addr.len = sizeof l->addr.ss;
	if (getsockname(fd, (struct sockaddr *)&l->addr.ss, &l->addr.len) < 0)
		return fail(l, err, err_size, "getsockname");
	if (set_nonblocking(fd) < 0)
		return fail(l, err, err_size, "O_NONBLOCK");
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return fail(l, err, err_size, "FD_CLOEXEC");
	set_nodelay(fd, l->addr.ss.ss_family);
	l->adopted = true;
	read_deferral(l);
	return 0;
}

void listener_defer_accept(struct listener *l, int seconds)
{
	if (!is_tcp(l->addr.ss.ss_family) || l->adopted)
		return;
	if (setsockopt(l->fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds, sizeof seconds) < 0)
		log_warn("TCP_DEFER_ACCEPT: %s", strerror(errno));
	read_deferral(l);
}

int listener_reserve_fd_init(void)
{
	if (reserve_fd < 0)
		reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return reserve_fd < 0 ? -1 : 0;
}

/* Out of descriptors: give up the reserve one to take the connection off the
 * backlog, tell the client, and take the reserve back. Returns true if one was shed. */
static bool shed_with_reserve_fd(struct listener *l)
{
	if (reserve_fd < 0)
		return false;
	close(reserve_fd);
	reserve_fd = -1;
	int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0) {
		if (l->shed != NULL)
			l->shed(fd);
		close(fd);
	}
	listener_reserve_fd_init();
	return fd >= 0;
}

/* Look away from the listener for a moment instead of spinning on it. */
static void back_off(struct listener *l, struct loop *loop)
{
	listener_pause(l);
	loop_timer_set(loop, &l->backoff, loop_now(loop) + EMFILE_BACKOFF_MS);
}

static void on_listener_readable(struct loop *loop, int fd, unsigned events, void *arg)
{
	struct listener *l = arg;
	(void)fd;
	(void)events;
	for (int i = 0; i < ACCEPT_BATCH && l->watching; i++) {
		struct sockaddr_storage peer;
		socklen_t peer_len = sizeof peer;
		int cfd = accept4(l->fd, (struct sockaddr *)&peer, &peer_len,
		                  SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd >= 0) {
			if (!l->on_accept(l->arg, l, cfd, &peer, peer_len))
				return;
			continue;
		}
		switch (errno) {
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
			continue;
		case EMFILE:
		case ENFILE:
			log_limited(
			    &emfile_log, loop_now(loop), LOG_LEVEL_ERROR,
			    "accept: %s: shedding new connections (raise the open file limit)",
			    strerror(errno));
			if (!shed_with_reserve_fd(l)) {
				back_off(l, loop);
				return;
			}
			continue;
		case ENOBUFS:
		case ENOMEM:
		case EPERM: /* a firewall rule refused it */
			/* The listener stays readable: retrying next turn would spin. */
			log_limited(&emfile_log, loop_now(loop), LOG_LEVEL_ERROR,
			            "accept: %s: not accepting for %d ms", strerror(errno),
			            EMFILE_BACKOFF_MS);
			back_off(l, loop);
			return;
		default: /* EAGAIN: the backlog is empty. Anything else: retry next turn. */
			return;
		}
	}
}

int listener_start(struct listener *l, struct loop *loop, listener_accept_cb cb, void *arg)
{
	l->loop = loop;
	l->on_accept = cb;
	l->arg = arg;
	if (loop_add(loop, l->fd, LOOP_READ, on_listener_readable, l) < 0)
		return -1;
	/* Serve the turn's connections first: the ones that end give back their
	 * slots and per-client counts before newcomers are counted. */
	loop_set_last(loop, l->fd);
	l->watching = true;
	return 0;
}

void listener_pause(struct listener *l)
{
	if (l->watching && l->loop != NULL)
		loop_set_events(l->loop, l->fd, 0);
	l->watching = false;
}

void listener_resume(struct listener *l)
{
	if (!l->watching && l->loop != NULL && l->fd >= 0) {
		loop_set_events(l->loop, l->fd, LOOP_READ);
		l->watching = true;
	}
}

void listener_close(struct listener *l)
{
	if (l->fd < 0)
		return;
	if (l->loop != NULL) {
		loop_timer_cancel(l->loop, &l->backoff);
		loop_remove(l->loop, l->fd);
	}
	close(l->fd);
	l->fd = -1;
	l->watching = false;
	/* Best effort: after the privilege drop the directory may not let us;
	 * the next start replaces the socket file anyway. */
	if (l->unlink_on_close)
		unlink(((const struct sockaddr_un *)&l->addr.ss)->sun_path);
	l->unlink_on_close = false;
}
