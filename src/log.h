/* log — the error log: one line per event, on stderr, in syslog or in a file.
 *
 * Lines are written with a single write() so that they never interleave. On
 * stderr a line reads "switchboard: error: what"; when stderr is the systemd
 * journal (JOURNAL_STREAM names it) it reads "<3>error: what": the priority
 * for the journal, which adds the name and the time itself. A journal that
 * does not read is not waited for: its lines are dropped and counted. */
#ifndef SWITCHBOARD_LOG_H
#define SWITCHBOARD_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void log_set_level(enum log_level level);

/* Where the error log goes: "stderr" (plain lines: a service manager adds the
 * time), "syslog" (facility daemon), or a file path (lines with the time, opened
 * for appending). Returns 0, or -1 with "PATH: reason" in err; the previous
 * target stays in use on failure. */
int log_open(const char *target, char *err, size_t err_size);

/* Reopen the log file after it was moved away (logrotate). */
int log_reopen(char *err, size_t err_size);

/* Before the drop of privileges: give the log file this process created to
 * uid:gid (see logfile_give_to); a warning when uid could not reopen it. */
void log_give_to(uid_t uid, gid_t gid);

void log_close(void);

/* Error log lines that could not be written since the start (disk full,
 * syslog not reading...). */
uint64_t log_dropped_lines(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* A condition that a flood can repeat (EMFILE, a full table) is logged at most
 * once per interval; the next line says how many were suppressed meanwhile. */
struct log_ratelimit {
	int64_t interval_ms;
	int64_t last_ms;
	unsigned long suppressed;
};

#define LOG_RATELIMIT_INIT(ms)                                                                     \
	{                                                                                          \
		(ms), INT64_MIN, 0                                                                 \
	}

void log_limited(struct log_ratelimit *rl, int64_t now_ms, enum log_level level, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));

/* ------------------------------------------------- formatting (for tests) */

/* How a line is dressed for where it goes. */
enum log_style {
	LOG_STYLE_STDERR,  /* "switchboard: error: what" */
	LOG_STYLE_JOURNAL, /* "<3>error: what": sd-daemon priority, the journal adds the rest */
	LOG_STYLE_FILE,    /* "2026-11-24T22:43:03Z switchboard[42]: error: what" */
	LOG_STYLE_SYSLOG,  /* "error: what": the syslog header is added on the way */
};

/* One line, newline included, into out (cut to fit size, newline kept).
 * Returns its length. now and pid are used by LOG_STYLE_FILE only. */
size_t log_format_line(char *out, size_t size, enum log_style style, enum log_level level,
                       time_t now, long pid, const char *text);

/* Does the value of JOURNAL_STREAM ("DEVICE:INODE", in decimal) name the file
 * whose st_dev and st_ino these are? */
bool log_journal_stream_matches(const char *value, dev_t dev, ino_t ino);

/* The style of lines written to stderr now: the journal's or the plain one. */
enum log_style log_stderr_style(void);

#endif
