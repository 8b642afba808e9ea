/* log — the error log: one line per event on stderr.
 *
 * Lines are written with a single write() so that they never interleave. */
#ifndef SWITCHBOARD_LOG_H
#define SWITCHBOARD_LOG_H

#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void log_set_level(enum log_level level);

/* Where the error log goes: "stderr" (plain lines: a service manager adds the
 * time), "syslog" (facility daemon), or a file path (lines with the time, opened
 * for appending). Returns 0, or -1 with "PATH: reason" in err; the previous
 * target stays in use on failure. */
int log_open(const char *target, char *err, size_t err_size);

/* Reopen the log file after it was moved away (logrotate). */
int log_reopen(char *err, size_t err_size);

void log_close(void);

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

#endif
