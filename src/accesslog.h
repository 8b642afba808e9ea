/* accesslog — one line per response in the Combined Log Format:
 *
 *   %h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"
 *
 * %u is the user a request to a protected path named (Basic authentication),
 * whether or not its password was right; "-" when none. Unquoted, so a space
 * in it is escaped (\x20) too.
 *
 * Every byte taken from the request is escaped (", \ and anything outside
 * printable ASCII as \xHH, the quote as \" and the backslash as \\), so no
 * client can end a field early or forge a line. */
#ifndef SWITCHBOARD_ACCESSLOG_H
#define SWITCHBOARD_ACCESSLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "buffer.h"

/* "off", "syslog" (facility daemon, priority info, never waited for) or a file path, opened for
 * appending. Returns 0, or -1 with "PATH: reason" in err (the old target stays). */
int accesslog_open(const char *target, char *err, size_t err_size);
int accesslog_reopen(char *err, size_t err_size);
void accesslog_close(void);
bool accesslog_enabled(void);

/* Before the drop of privileges: give the log file this process created to
 * uid:gid (see logfile_give_to); a warning when uid could not reopen it. */
void accesslog_give_to(uid_t uid, gid_t gid);

/* Access log lines that could not be written since the start (disk full,
 * syslog not reading...); each loss is also reported in the error log. */
uint64_t accesslog_dropped_lines(void);

/* A line is written in two parts around the body's byte count, which is known
 * only once the response is over: accesslog_begin() formats everything else
 * into line and returns where the count goes. */
struct accesslog_fields {
	const struct sockaddr_storage *peer;
	time_t when;
	const char *request_line;
	size_t request_line_len;
	int status;
	const char *referer;
	size_t referer_len;
	const char *user_agent;
	size_t user_agent_len;
	const char *user; /* %u: user_len 0 for "-" */
	size_t user_len;
	/* access_log_proxy on: the proxy the connection came through, written
	 * after the user agent as nginx's "main" format writes X-Forwarded-For
	 * (AF_UNSPEC: none, "-"); NULL: the field is left out. */
	const struct sockaddr_storage *via;
};

int accesslog_begin(struct buf *line, const struct accesslog_fields *f, size_t *split);

/* Write the line with the count of body bytes sent ("-" for none). */
void accesslog_finish(const struct buf *line, size_t split, uint64_t body_bytes);

/* The same, to a buffer (for tests): the whole line, newline included. */
int accesslog_render(struct buf *out, const struct buf *line, size_t split, uint64_t body_bytes);

#endif
