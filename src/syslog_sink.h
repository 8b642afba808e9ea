/* syslog_sink — log lines to the local syslog daemon (/dev/log) as syslog(3)
 * would send them, but never waiting for it.
 *
 * glibc's syslog() sends on a blocking socket: when the daemon stops reading,
 * every call blocks and the whole server with it. Here the datagram is sent
 * with MSG_DONTWAIT; a line the daemon has no room for is refused (EAGAIN) and
 * the caller counts it as lost. A socket whose daemon went away (restarted) is
 * connected again, at most once a second while the connection keeps failing. */
#ifndef SWITCHBOARD_SYSLOG_SINK_H
#define SWITCHBOARD_SYSLOG_SINK_H

#include <stdint.h>
#include <stddef.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>

#define SYSLOG_SINK_PATH "/dev/log"

struct syslog_sink {
	int fd; /* -1: not connected */
	int64_t next_connect_ms;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

void syslog_sink_init(struct syslog_sink *s, const char *path);

/* Connect now (before a chroot hides the socket). Returns 0, or -1 with errno
 * (ENOENT: no syslog daemon listens there). */
int syslog_sink_connect(struct syslog_sink *s);

/* Send one message, the text of msg (without a newline) at priority (LOG_ERR,
 * LOG_INFO... of facility daemon), tagged tag[pid]. Never blocks. Returns 0,
 * or -1 with errno: EAGAIN when the daemon has no room, ECONNREFUSED or ENOENT
 * when none listens, another errno otherwise. */
int syslog_sink_send(struct syslog_sink *s, int priority, const char *tag, const struct iovec *msg,
                     int msg_count);

void syslog_sink_close(struct syslog_sink *s);

/* The RFC 3164 header that syslog(3) writes before the message:
 * "<PRI>Mmm dd hh:mm:ss TAG[PID]: " (local time, facility daemon). Returns
 * its length (truncated to size - 1). */
size_t syslog_header(char *out, size_t size, int priority, time_t when, const char *tag, long pid);

#endif
