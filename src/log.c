#include "autoconfig.h"

#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static enum log_level current_level = LOG_LEVEL_INFO;

static const char *const level_names[] = {
    [LOG_LEVEL_ERROR] = "error: ",
    [LOG_LEVEL_WARN] = "warning: ",
    [LOG_LEVEL_INFO] = "",
    [LOG_LEVEL_DEBUG] = "debug: ",
};

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

static void log_vmsg(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
	if (level > current_level)
		return;
	int saved_errno = errno;
	char line[1024];
	int n = snprintf(line, sizeof line, "switchboard: %s", level_names[level]);
	n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	if ((size_t)n >= sizeof line - 1)
		n = (int)sizeof line - 2;
	if (suffix != NULL)
		n += snprintf(line + n, sizeof line - (size_t)n, "%s", suffix);
	if ((size_t)n >= sizeof line - 1)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	/* Best effort: a full or closed stderr must not stop the server. */
	ssize_t ignored = write(STDERR_FILENO, line, (size_t)n);
	(void)ignored;
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
