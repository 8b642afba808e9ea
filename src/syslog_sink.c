#include "autoconfig.h"

#include "syslog_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

/* While the daemon is away, try to reach it again at most this often. */
#define RECONNECT_INTERVAL_MS 1000
#define MAX_PARTS 8

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void syslog_sink_init(struct syslog_sink *s, const char *path)
{
	s->fd = -1;
	s->next_connect_ms = 0;
	snprintf(s->path, sizeof s->path, "%s", path);
}

int syslog_sink_connect(struct syslog_sink *s)
{
	syslog_sink_close(s);
	s->next_connect_ms = monotonic_ms() + RECONNECT_INTERVAL_MS;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	memcpy(addr.sun_path, s->path, sizeof addr.sun_path);
	if (connect(fd, (const struct sockaddr *)&addr, sizeof addr) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	s->fd = fd;
	s->next_connect_ms = 0;
	return 0;
}

void syslog_sink_close(struct syslog_sink *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

size_t syslog_header(char *out, size_t size, int priority, time_t when, const char *tag, long pid)
{
	struct tm tm;
	char stamp[32];
	localtime_r(&when, &tm);
	/* "%e": the day padded with a space, as RFC 3164 and syslog(3) write it. */
	strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
	int n = snprintf(out, size, "<%d>%s %s[%ld]: ", LOG_DAEMON | (priority & LOG_PRIMASK),
	                 stamp, tag, pid);
	if (n < 0)
		return 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

/* The daemon went away (restarted, or stopped): this socket is of no more use. */
static bool connection_lost(int err)
{
	return err == ECONNREFUSED || err == ENOTCONN || err == ECONNRESET || err == EPIPE ||
	       err == EBADF;
}

static int send_once(struct syslog_sink *s, const struct iovec *iov, int count)
{
	struct msghdr mh = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)count};
	return sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int syslog_sink_send(struct syslog_sink *s, int priority, const char *tag, const struct iovec *msg,
                     int msg_count)
{
	if (msg_count < 0 || msg_count >= MAX_PARTS) {
		errno = EINVAL;
		return -1;
	}
	char header[128];
	struct iovec iov[MAX_PARTS];
	iov[0].iov_base = header;
	iov[0].iov_len =
	    syslog_header(header, sizeof header, priority, time(NULL), tag, (long)getpid());
	memcpy(iov + 1, msg, (size_t)msg_count * sizeof *msg);

	if (s->fd < 0) {
		if (monotonic_ms() < s->next_connect_ms) {
			errno = ECONNREFUSED;
			return -1;
		}
		if (syslog_sink_connect(s) < 0)
			return -1;
	}
	if (send_once(s, iov, msg_count + 1) == 0)
		return 0;
	if (!connection_lost(errno))
		return -1;
	/* Perhaps a new daemon listens at the same path: one more try. */
	if (syslog_sink_connect(s) < 0)
		return -1;
	return send_once(s, iov, msg_count + 1);
}
