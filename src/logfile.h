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

#endif
