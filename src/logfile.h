/* logfile — a file that log lines are appended to, and that can be opened
 * again at the same path after logrotate moved it away (SIGUSR1). Shared by
 * the error log and the access log. */
#ifndef SWITCHBOARD_LOGFILE_H
#define SWITCHBOARD_LOGFILE_H

#include <stddef.h>

struct logfile {
	int fd; /* -1: none */
	char *path;
};

#define LOGFILE_NONE                                                                               \
	{                                                                                          \
		-1, NULL                                                                           \
	}

/* Open path for appending (created 0640). On success lf's previous file is
 * closed; on failure lf is untouched and err says "PATH: reason". */
int logfile_open(struct logfile *lf, const char *path, char *err, size_t err_size);

/* Open the same path again; a no-op without a file. */
int logfile_reopen(struct logfile *lf, char *err, size_t err_size);

void logfile_close(struct logfile *lf);

/* Where a log goes: its plain place ("stderr" for the error log, "off" for
 * the access log), syslog (facility daemon), or a file. */
enum log_sink { LOG_SINK_PLAIN, LOG_SINK_SYSLOG, LOG_SINK_FILE };

struct log_target {
	enum log_sink sink;
	struct logfile file;
};

#define LOG_TARGET_PLAIN                                                                           \
	{                                                                                          \
		LOG_SINK_PLAIN, LOGFILE_NONE                                                       \
	}

/* Point t at where: plain_keyword, "syslog" or a path. On failure t is
 * untouched and err says "PATH: reason". */
int log_target_open(struct log_target *t, const char *where, const char *plain_keyword, char *err,
                    size_t err_size);
void log_target_close(struct log_target *t);

#endif
