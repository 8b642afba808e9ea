/* logfile — where log lines go, and what becomes of the lines that cannot get
 * there. Shared by the error log and the access log.
 *
 * A log file is opened for appending and can be opened again at the same path
 * after logrotate moved it away (SIGUSR1). Every line is written whole or not
 * at all (see logfile_append). A line that cannot be written — disk full,
 * syslog daemon not reading — is counted, never waited for, and the count is
 * reported, at most once per LOG_LOSS_REPORT_MS. */
#ifndef SWITCHBOARD_LOGFILE_H
#define SWITCHBOARD_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct logfile {
	int fd; /* -1: none */
	char *path;
	bool created; /* made by this process (so it may give the file away) */
};

#define LOGFILE_NONE                                                                               \
	{                                                                                          \
		-1, NULL, false                                                                    \
	}

/* Open path for appending (created 0640). On success lf's previous file is
 * closed; on failure lf is untouched and err says "PATH: reason". */
int logfile_open(struct logfile *lf, const char *path, char *err, size_t err_size);

/* Open the same path again (created when logrotate did not); a no-op without
 * a file. On failure the previous file stays in use and err says why. */
int logfile_reopen(struct logfile *lf, char *err, size_t err_size);

/* Append one line, the concatenation of iov (ending in a newline), with one
 * writev: whole, or not at all. Returns 0, or -1 with errno. */
int logfile_append(struct logfile *lf, const struct iovec *iov, int iov_count);

/* Before the drop of privileges to uid:gid: a file that this process created
 * becomes theirs, so that they can open it again after a rotation that copies
 * its owner (logrotate's "create"). A file that was there before is left as it
 * is. When uid could not open the file again (or it could not be given: a
 * file system without owners), warn says so; it is "" when all is well. Not
 * an error: the file serves as it is until a rotation. */
void logfile_give_to(struct logfile *lf, uid_t uid, gid_t gid, char *warn, size_t warn_size);

void logfile_close(struct logfile *lf);

/* ------------------------------------------------------------ lost lines */

#define LOG_LOSS_REPORT_MS 10000

struct log_loss {
	uint64_t total;      /* lines lost since the start */
	uint64_t unreported; /* lost since the last report */
	int64_t last_report_ms;
	int last_errno;
};

#define LOG_LOSS_INIT                                                                              \
	{                                                                                          \
		0, 0, INT64_MIN, 0                                                                 \
	}

/* Count a line lost for the reason errno_value. */
void log_loss_count(struct log_loss *l, int errno_value);

/* When lines were lost since the last report and the last report is at least
 * LOG_LOSS_REPORT_MS old (or force), write the report into out ("N log lines
 * dropped: REASON"), start a new count and return true. now_ms:
 * CLOCK_MONOTONIC in milliseconds. */
bool log_loss_report(struct log_loss *l, int64_t now_ms, bool force, const char *reason, char *out,
                     size_t size);

int64_t log_monotonic_ms(void);

/* ------------------------------------------------------------ log targets */

/* Where a log goes: its plain place ("stderr" for the error log, "off" for
 * the access log), syslog (facility daemon), or a file. */
enum log_sink { LOG_SINK_PLAIN, LOG_SINK_SYSLOG, LOG_SINK_FILE };

struct log_target {
	enum log_sink sink;
	struct logfile file;
	struct log_loss loss;
};

#define LOG_TARGET_PLAIN                                                                           \
	{                                                                                          \
		LOG_SINK_PLAIN, LOGFILE_NONE, LOG_LOSS_INIT                                        \
	}

/* Point t at where: plain_keyword, "syslog" or a path. On failure t is
 * untouched and err says "PATH: reason". Pointed at syslog while no daemon
 * listens at /dev/log, it succeeds with a warning in warn ("" otherwise). */
int log_target_open(struct log_target *t, const char *where, const char *plain_keyword, char *warn,
                    size_t warn_size, char *err, size_t err_size);
void log_target_close(struct log_target *t);

/* Send one line (iov, ending in a newline) to the target's file or to syslog
 * at priority (LOG_ERR...); a line that cannot go is counted in t->loss.
 * Returns 0, or -1 with errno. Not for the plain sink. */
int log_target_write(struct log_target *t, int priority, const struct iovec *iov, int iov_count);

/* The report of t's lost lines when one is due (see log_loss_report), naming
 * the target ("access log /var/log/x: 12 log lines dropped: No space left on
 * device"). what: "access log" or "error log". */
bool log_target_loss_report(struct log_target *t, const char *what, bool force, char *out,
                            size_t size);

#endif
