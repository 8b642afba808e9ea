#include "autoconfig.h"

#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <string.h>
#include <unistd.h>

static int open_for_append(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
}

int logfile_open(struct logfile *lf, const char *path, char *err, size_t err_size)
{
	char *copy = strdup(path);
	int fd = copy != NULL ? open_for_append(copy) : -1;
	if (fd < 0) {
		snprintf(err, err_size, "%s: %s", path, strerror(copy != NULL ? errno : ENOMEM));
		free(copy);
		return -1;
	}
	logfile_close(lf);
	lf->fd = fd;
	lf->path = copy;
	return 0;
}

int logfile_reopen(struct logfile *lf, char *err, size_t err_size)
{
	if (lf->fd < 0)
		return 0;
	int fd = open_for_append(lf->path);
	if (fd < 0) {
		snprintf(err, err_size, "%s: %s", lf->path, strerror(errno));
		return -1;
	}
	close(lf->fd);
	lf->fd = fd;
	return 0;
}

void logfile_close(struct logfile *lf)
{
	if (lf->fd >= 0)
		close(lf->fd);
	free(lf->path);
	lf->fd = -1;
	lf->path = NULL;
}

int log_target_open(struct log_target *t, const char *where, const char *plain_keyword, char *err,
                    size_t err_size)
{
	if (strcmp(where, plain_keyword) == 0 || strcmp(where, "syslog") == 0) {
		logfile_close(&t->file);
		t->sink = where[0] == 's' && where[1] == 'y' ? LOG_SINK_SYSLOG : LOG_SINK_PLAIN;
		/* LOG_NDELAY: connect now, while /dev/log is still reachable (chroot). */
		if (t->sink == LOG_SINK_SYSLOG)
			openlog(PACKAGE_NAME, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		return 0;
	}
	if (logfile_open(&t->file, where, err, err_size) < 0)
		return -1;
	t->sink = LOG_SINK_FILE;
	return 0;
}

void log_target_close(struct log_target *t)
{
	logfile_close(&t->file);
	t->sink = LOG_SINK_PLAIN;
}
