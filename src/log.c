#include "autoconfig.h"

#include "log.h"

#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static enum log_level current_level = LOG_LEVEL_INFO;
/* The plain place of the error log is stderr. */
static struct log_target target = LOG_TARGET_PLAIN;

static const char *const level_names[] = {
    [LOG_LEVEL_ERROR] = "error: ",
    [LOG_LEVEL_WARN] = "warning: ",
    [LOG_LEVEL_INFO] = "",
    [LOG_LEVEL_DEBUG] = "debug: ",
};

static const int syslog_priorities[] = {
    [LOG_LEVEL_ERROR] = LOG_ERR,
    [LOG_LEVEL_WARN] = LOG_WARNING,
    [LOG_LEVEL_INFO] = LOG_INFO,
    [LOG_LEVEL_DEBUG] = LOG_DEBUG,
};

void log_set_level(enum log_level level)
{
	current_level = level;
}

int log_open(const char *where, char *err, size_t err_size)
{
	return log_target_open(&target, where, "stderr", err, err_size);
}

int log_reopen(char *err, size_t err_size)
{
	return logfile_reopen(&target.file, err, err_size);
}

void log_close(void)
{
	if (target.sink == LOG_SINK_SYSLOG)
		closelog();
	log_target_close(&target);
}

/* "2026-11-24T22:43:03Z switchboard[42]: " for lines in a file of our own. */
static int file_prefix(char *out, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	char stamp[32];
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return snprintf(out, size, "%s %s[%ld]: ", stamp, PACKAGE_NAME, (long)getpid());
}

static void log_vmsg(enum log_level level, const char *suffix, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void log_vmsg(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
	if (level > current_level)
		return;
	int saved_errno = errno;
	char line[1024];
	size_t size = sizeof line - 1; /* room for the newline */
	int n = 0;
	if (target.sink == LOG_SINK_FILE)
		n = file_prefix(line, size);
	else if (target.sink == LOG_SINK_PLAIN)
		n = snprintf(line, size, "%s: ", PACKAGE_NAME);
	n += snprintf(line + n, size - (size_t)n, "%s", level_names[level]);
	if ((size_t)n < size)
		n += vsnprintf(line + n, size - (size_t)n, fmt, ap);
	if ((size_t)n < size && suffix != NULL)
		n += snprintf(line + n, size - (size_t)n, "%s", suffix);
	if ((size_t)n >= size)
		n = (int)size - 1;

	if (target.sink == LOG_SINK_SYSLOG) {
		syslog(syslog_priorities[level], "%.*s", n, line);
	} else {
		line[n++] = '\n';
		/* One write per line: lines never interleave. Best effort: a full
		 * disk or a closed stderr must not stop the server. */
		ssize_t ignored = write(
		    target.sink == LOG_SINK_FILE ? target.file.fd : STDERR_FILENO, line, (size_t)n);
		(void)ignored;
	}
	errno = saved_errno;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, NULL, fmt, ap);
	va_end(ap);
}

void log_limited(struct log_ratelimit *rl, int64_t now_ms, enum log_level level, const char *fmt,
                 ...)
{
	if (rl->last_ms != INT64_MIN && now_ms - rl->last_ms < rl->interval_ms) {
		rl->suppressed++;
		return;
	}
	char suffix[64] = "";
	if (rl->suppressed > 0)
		snprintf(suffix, sizeof suffix, " (%lu more suppressed)", rl->suppressed);
	rl->last_ms = now_ms;
	rl->suppressed = 0;
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, suffix, fmt, ap);
	va_end(ap);
}
