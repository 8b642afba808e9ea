#include "autoconfig.h"

#include "log.h"

#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#define LINE_MAX_BYTES 1024

static enum log_level current_level = LOG_LEVEL_INFO;
/* The plain place of the error log is stderr. */
static struct log_target target = LOG_TARGET_PLAIN;

static const char *const level_names[] = {
    [LOG_LEVEL_ERROR] = "error: ",
    [LOG_LEVEL_WARN] = "warning: ",
    [LOG_LEVEL_INFO] = "",
    [LOG_LEVEL_DEBUG] = "debug: ",
};

/* syslog(3)'s priorities, whose numbers are also sd-daemon(3)'s prefixes. */
static const int priorities[] = {
    [LOG_LEVEL_ERROR] = LOG_ERR,
    [LOG_LEVEL_WARN] = LOG_WARNING,
    [LOG_LEVEL_INFO] = LOG_INFO,
    [LOG_LEVEL_DEBUG] = LOG_DEBUG,
};

void log_set_level(enum log_level level)
{
	current_level = level;
}

/* ---------------------------------------------------------------- formatting */

size_t log_format_line(char *out, size_t size, enum log_style style, enum log_level level,
                       time_t now, long pid, const char *text)
{
	if (size < 2) {
		if (size == 1)
			out[0] = '\0';
		return 0;
	}
	size_t room = size - 1; /* for the newline */
	int n = 0;
	switch (style) {
	case LOG_STYLE_STDERR:
		n = snprintf(out, room, "%s: ", PACKAGE_NAME);
		break;
	case LOG_STYLE_JOURNAL:
		n = snprintf(out, room, "<%d>", priorities[level]);
		break;
	case LOG_STYLE_FILE: {
		struct tm tm;
		char stamp[32];
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
		n = snprintf(out, room, "%s %s[%ld]: ", stamp, PACKAGE_NAME, pid);
		break;
	}
	case LOG_STYLE_SYSLOG:
		break;
	}
	if (n < 0)
		n = 0;
	if ((size_t)n < room)
		n += snprintf(out + n, room - (size_t)n, "%s%s", level_names[level], text);
	size_t len = (size_t)n < room ? (size_t)n : room - 1;
	out[len++] = '\n';
	out[len] = '\0';
	return len;
}

bool log_journal_stream_matches(const char *value, dev_t dev, ino_t ino)
{
	if (value == NULL)
		return false;
	char *end;
	errno = 0;
	uintmax_t want_dev = strtoumax(value, &end, 10);
	if (errno != 0 || end == value || *end != ':')
		return false;
	const char *ino_text = end + 1;
	uintmax_t want_ino = strtoumax(ino_text, &end, 10);
	if (errno != 0 || end == ino_text || *end != '\0')
		return false;
	return want_dev == (uintmax_t)dev && want_ino == (uintmax_t)ino;
}

/* Checked at every line: stderr may change under us (daemon mode points it
 * at /dev/null), and error lines are few. */
static enum log_style style_of_stderr(bool *is_socket)
{
	const char *value = getenv("JOURNAL_STREAM");
	struct stat st;
	if (fstat(STDERR_FILENO, &st) < 0) {
		*is_socket = false;
		return LOG_STYLE_STDERR;
	}
	*is_socket = S_ISSOCK(st.st_mode);
	if (value != NULL && log_journal_stream_matches(value, st.st_dev, st.st_ino))
		return LOG_STYLE_JOURNAL;
	return LOG_STYLE_STDERR;
}

enum log_style log_stderr_style(void)
{
	bool is_socket;
	return style_of_stderr(&is_socket);
}

/* ---------------------------------------------------------------- stderr */

/* stderr that is a socket — the journal's stream — is written without
 * waiting, so that a journal that does not read cannot stop the server: a
 * line that does not fit is dropped and counted. A line that went in part
 * keeps its rest here, sent before any other line (or that line is dropped),
 * so that no line is cut short or glued to the next. A pipe or a terminal is
 * written as it always was. */
static char stderr_pending[LINE_MAX_BYTES];
static size_t stderr_pending_len;
static pid_t stderr_pending_pid; /* a forked child leaves the rest to its parent */
static struct log_loss stderr_loss = LOG_LOSS_INIT;

static int send_pending(void)
{
	if (stderr_pending_len > 0 && stderr_pending_pid != getpid())
		stderr_pending_len = 0;
	while (stderr_pending_len > 0) {
		ssize_t n = send(STDERR_FILENO, stderr_pending, stderr_pending_len,
		                 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		stderr_pending_len -= (size_t)n;
		memmove(stderr_pending, stderr_pending + n, stderr_pending_len);
	}
	return 0;
}

static int write_stderr_line(const char *line, size_t len, bool is_socket)
{
	if (!is_socket) {
		ssize_t n = write(STDERR_FILENO, line, len);
		if (n >= 0 && (size_t)n < len)
			errno = EIO;
		return n == (ssize_t)len ? 0 : -1;
	}
	if (send_pending() < 0)
		return -1;
	ssize_t n = send(STDERR_FILENO, line, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0)
		return -1;
	memcpy(stderr_pending, line + n, len - (size_t)n);
	stderr_pending_len = len - (size_t)n;
	if (stderr_pending_len > 0)
		stderr_pending_pid = getpid();
	return 0;
}

/* A line straight to stderr: the error log's plain place, and where the
 * error log's own troubles are told. A line that cannot go is counted. */
static int write_stderr(enum log_level level, const char *text)
{
	bool is_socket;
	enum log_style style = style_of_stderr(&is_socket);
	char line[LINE_MAX_BYTES];
	size_t len = log_format_line(line, sizeof line, style, level, 0, 0, text);
	if (write_stderr_line(line, len, is_socket) == 0)
		return 0;
	log_loss_count(&stderr_loss, errno);
	return -1;
}

/* Lines lost on stderr are told there, once it takes lines again. */
static void report_stderr_losses(bool force)
{
	if (stderr_loss.unreported == 0)
		return;
	int e = stderr_loss.last_errno;
	const char *reason =
	    e == EAGAIN || e == EWOULDBLOCK ? "standard error not reading" : strerror(e);
	char text[256], report[300];
	if (!log_loss_report(&stderr_loss, log_monotonic_ms(), force, reason, text, sizeof text))
		return;
	snprintf(report, sizeof report, "error log: %s", text);
	write_stderr(LOG_LEVEL_WARN, report);
}

/* ---------------------------------------------------------------- writing */

static int write_target(enum log_level level, const char *text)
{
	if (target.sink == LOG_SINK_PLAIN)
		return write_stderr(level, text);
	char line[LINE_MAX_BYTES];
	enum log_style style = target.sink == LOG_SINK_FILE ? LOG_STYLE_FILE : LOG_STYLE_SYSLOG;
	size_t len =
	    log_format_line(line, sizeof line, style, level, time(NULL), (long)getpid(), text);
	struct iovec iov = {line, len};
	return log_target_write(&target, priorities[level], &iov, 1);
}

/* Lines of the error log itself were lost: say so where it can be read —
 * on stderr while the error log fails, in the error log once it works again. */
static void report_own_losses(bool failing, bool force)
{
	if (target.sink == LOG_SINK_PLAIN) {
		if (!failing)
			report_stderr_losses(force);
		return;
	}
	char report[512];
	if (!log_target_loss_report(&target, "error log", force, report, sizeof report))
		return;
	if (failing || write_target(LOG_LEVEL_WARN, report) < 0)
		write_stderr(LOG_LEVEL_WARN, report);
}

static void emit(enum log_level level, const char *text)
{
	int rc = write_target(level, text);
	report_own_losses(rc < 0, false);
}

static void log_vmsg(enum log_level level, const char *suffix, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void log_vmsg(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
	if (level > current_level)
		return;
	int saved_errno = errno;
	char text[LINE_MAX_BYTES];
	int n = vsnprintf(text, sizeof text, fmt, ap);
	if (n >= 0 && (size_t)n < sizeof text && suffix != NULL)
		snprintf(text + n, sizeof text - (size_t)n, "%s", suffix);
	emit(level, text);
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

/* ---------------------------------------------------------------- the target */

int log_open(const char *where, char *err, size_t err_size)
{
	char warn[256];
	report_own_losses(false, true); /* what the old target lost, before it goes */
	if (log_target_open(&target, where, "stderr", warn, sizeof warn, err, err_size) < 0)
		return -1;
	/* A warning about syslog would be lost in syslog. */
	if (warn[0] != '\0')
		write_stderr(LOG_LEVEL_WARN, warn);
	return 0;
}

int log_reopen(char *err, size_t err_size)
{
	return logfile_reopen(&target.file, err, err_size);
}

void log_give_to(uid_t uid, gid_t gid)
{
	char warn[512];
	logfile_give_to(&target.file, uid, gid, warn, sizeof warn);
	if (warn[0] != '\0')
		log_warn("error log %s", warn);
}

void log_close(void)
{
	report_own_losses(false, true);
	report_stderr_losses(true);
	send_pending(); /* a last try, without waiting */
	log_target_close(&target);
}

uint64_t log_dropped_lines(void)
{
	return target.loss.total + stderr_loss.total;
}
