#include "autoconfig.h"

#include "logfile.h"

#include "syslog_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define LOGFILE_MODE 0640
#define APPEND_FLAGS (O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY)

/* Open path for appending; *created tells whether this call made the file.
 * O_EXCL first: a file made that way is new, not a symbolic link planted in
 * a writable log directory, so it is safe to give it away (logfile_give_to). */
static int open_for_append(const char *path, bool *created)
{
	for (int tries = 0; tries < 3; tries++) {
		int fd = open(path, APPEND_FLAGS | O_CREAT | O_EXCL, LOGFILE_MODE);
		if (fd >= 0 || errno != EEXIST) {
			*created = fd >= 0;
			return fd;
		}
		fd = open(path, APPEND_FLAGS);
		if (fd >= 0 || errno != ENOENT) {
			*created = false;
			return fd;
		}
		/* Removed between the two calls: once more. */
	}
	return -1;
}

int logfile_open(struct logfile *lf, const char *path, char *err, size_t err_size)
{
	char *copy = strdup(path);
	bool created = false;
	int fd = copy != NULL ? open_for_append(copy, &created) : -1;
	if (fd < 0) {
		snprintf(err, err_size, "%s: %s", path, strerror(copy != NULL ? errno : ENOMEM));
		free(copy);
		return -1;
	}
	logfile_close(lf);
	lf->fd = fd;
	lf->path = copy;
	lf->created = created;
	return 0;
}

int logfile_reopen(struct logfile *lf, char *err, size_t err_size)
{
	if (lf->fd < 0)
		return 0;
	bool created = false;
	int fd = open_for_append(lf->path, &created);
	if (fd < 0) {
		int saved = errno;
		snprintf(err, err_size, "%s: %s (as uid %ld; lines still go to the previous file)",
		         lf->path, strerror(saved), (long)geteuid());
		return -1;
	}
	close(lf->fd);
	lf->fd = fd;
	lf->created = created;
	return 0;
}

void logfile_close(struct logfile *lf)
{
	if (lf->fd >= 0)
		close(lf->fd);
	free(lf->path);
	lf->fd = -1;
	lf->path = NULL;
	lf->created = false;
}

static size_t iov_total(const struct iovec *iov, int count)
{
	size_t total = 0;
	for (int i = 0; i < count; i++)
		total += iov[i].iov_len;
	return total;
}

/* A fragment that cannot be taken back is at least ended, so that the next
 * line starts a line of its own. Keeps errno. */
static void end_fragment(int fd)
{
	int saved = errno;
	ssize_t ignored = write(fd, "\n", 1);
	(void)ignored;
	errno = saved;
}

/* Send the part of iov after its first `written` bytes, once. */
static int write_rest(int fd, const struct iovec *iov, int count, size_t written)
{
	struct iovec rest[8];
	int n = 0;
	for (int i = 0; i < count && n < 8; i++) {
		if (written >= iov[i].iov_len) {
			written -= iov[i].iov_len;
			continue;
		}
		rest[n].iov_base = (char *)iov[i].iov_base + written;
		rest[n].iov_len = iov[i].iov_len - written;
		written = 0;
		n++;
	}
	ssize_t more = writev(fd, rest, n);
	if (more >= 0 && (size_t)more == iov_total(rest, n))
		return 0;
	if (more >= 0)
		errno = EIO;
	return -1;
}

/* The first `written` bytes of a line went out, the rest did not.
 *
 * A regular file is cut back to where the line began, so that the next line
 * does not start in the middle of this one. The file is opened O_APPEND and
 * may be shared with other processes (workers), so the line's start is found
 * from the file's size, not from an offset of ours: the partial line is the
 * file's last `written` bytes. That holds because a short write to a regular
 * file means the file system (or the file size limit) is full: a write from
 * another process in the meantime gets no byte in either.
 *
 * Anything else (a pipe, a terminal) cannot be cut back: the rest is sent
 * once more, and when that fails too a newline at least ends the fragment. */
static int take_back(int fd, const struct iovec *iov, int count, size_t written)
{
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		if (st.st_size >= (off_t)written &&
		    ftruncate(fd, st.st_size - (off_t)written) == 0) {
			errno = ENOSPC;
			return -1;
		}
		end_fragment(fd);
		return -1;
	}
	if (write_rest(fd, iov, count, written) == 0)
		return 0;
	end_fragment(fd);
	return -1;
}

int logfile_append(struct logfile *lf, const struct iovec *iov, int iov_count)
{
	if (lf->fd < 0) {
		errno = EBADF;
		return -1;
	}
	size_t want = iov_total(iov, iov_count);
	ssize_t done = writev(lf->fd, iov, iov_count);
	if (done >= 0 && (size_t)done == want)
		return 0;
	if (done <= 0) {
		if (done == 0)
			errno = ENOSPC;
		return -1;
	}
	return take_back(lf->fd, iov, iov_count, (size_t)done);
}

/* Could uid:gid open st's file for writing? */
static bool writable_by(const struct stat *st, uid_t uid, gid_t gid)
{
	if (st->st_uid == uid)
		return (st->st_mode & S_IWUSR) != 0;
	if (st->st_gid == gid)
		return (st->st_mode & S_IWGRP) != 0;
	return (st->st_mode & S_IWOTH) != 0;
}

void logfile_give_to(struct logfile *lf, uid_t uid, gid_t gid, char *warn, size_t warn_size)
{
	warn[0] = '\0';
	if (lf->fd < 0)
		return;
	if (lf->created && fchown(lf->fd, uid, gid) == 0)
		return;
	struct stat st;
	if (fstat(lf->fd, &st) == 0 && S_ISREG(st.st_mode) && !writable_by(&st, uid, gid))
		snprintf(warn, warn_size,
		         "%s belongs to uid %ld and is not writable by uid %ld, who the server "
		         "runs as: SIGUSR1 cannot reopen it after a rotation that copies its "
		         "owner (chown it to that user)",
		         lf->path, (long)st.st_uid, (long)uid);
}

/* ------------------------------------------------------------ lost lines */

int64_t log_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void log_loss_count(struct log_loss *l, int errno_value)
{
	l->total++;
	l->unreported++;
	l->last_errno = errno_value;
}

bool log_loss_report(struct log_loss *l, int64_t now_ms, bool force, const char *reason, char *out,
                     size_t size)
{
	if (l->unreported == 0)
		return false;
	if (!force && l->last_report_ms != INT64_MIN &&
	    now_ms - l->last_report_ms < LOG_LOSS_REPORT_MS)
		return false;
	snprintf(out, size, "%llu log line%s dropped: %s", (unsigned long long)l->unreported,
	         l->unreported == 1 ? "" : "s", reason);
	l->unreported = 0;
	l->last_report_ms = now_ms;
	return true;
}

/* ------------------------------------------------------------ log targets */

/* One connection to the syslog daemon for every log that goes there. */
static struct syslog_sink dev_log = {-1, 0, SYSLOG_SINK_PATH};
static unsigned dev_log_users;

static void syslog_use(char *warn, size_t warn_size)
{
	dev_log_users++;
	/* Connect now, while /dev/log is still reachable (before a chroot). */
	if (dev_log.fd < 0 && syslog_sink_connect(&dev_log) < 0)
		snprintf(warn, warn_size,
		         "syslog: no daemon listens at %s (%s): log lines are dropped until "
		         "one does",
		         dev_log.path, strerror(errno));
}

static void syslog_unuse(void)
{
	if (dev_log_users > 0 && --dev_log_users == 0)
		syslog_sink_close(&dev_log);
}

static void target_set_plain_or_syslog(struct log_target *t, enum log_sink sink, char *warn,
                                       size_t warn_size)
{
	logfile_close(&t->file);
	if (sink == LOG_SINK_SYSLOG && t->sink != LOG_SINK_SYSLOG)
		syslog_use(warn, warn_size);
	else if (sink != LOG_SINK_SYSLOG && t->sink == LOG_SINK_SYSLOG)
		syslog_unuse();
	t->sink = sink;
}

int log_target_open(struct log_target *t, const char *where, const char *plain_keyword, char *warn,
                    size_t warn_size, char *err, size_t err_size)
{
	warn[0] = '\0';
	if (strcmp(where, plain_keyword) == 0) {
		target_set_plain_or_syslog(t, LOG_SINK_PLAIN, warn, warn_size);
		return 0;
	}
	if (strcmp(where, "syslog") == 0) {
		target_set_plain_or_syslog(t, LOG_SINK_SYSLOG, warn, warn_size);
		return 0;
	}
	if (logfile_open(&t->file, where, err, err_size) < 0)
		return -1;
	if (t->sink == LOG_SINK_SYSLOG)
		syslog_unuse();
	t->sink = LOG_SINK_FILE;
	return 0;
}

void log_target_close(struct log_target *t)
{
	if (t->sink == LOG_SINK_SYSLOG)
		syslog_unuse();
	logfile_close(&t->file);
	t->sink = LOG_SINK_PLAIN;
}

/* syslog wants the text without its newline. */
static int send_to_syslog(int priority, const struct iovec *iov, int iov_count)
{
	struct iovec parts[8];
	if (iov_count <= 0 || iov_count > 8) {
		errno = EINVAL;
		return -1;
	}
	memcpy(parts, iov, (size_t)iov_count * sizeof *iov);
	struct iovec *last = &parts[iov_count - 1];
	if (last->iov_len > 0 && ((const char *)last->iov_base)[last->iov_len - 1] == '\n')
		last->iov_len--;
	return syslog_sink_send(&dev_log, priority, PACKAGE_NAME, parts, iov_count);
}

int log_target_write(struct log_target *t, int priority, const struct iovec *iov, int iov_count)
{
	int rc = -1;
	if (t->sink == LOG_SINK_FILE)
		rc = logfile_append(&t->file, iov, iov_count);
	else if (t->sink == LOG_SINK_SYSLOG)
		rc = send_to_syslog(priority, iov, iov_count);
	else
		errno = EINVAL;
	if (rc < 0)
		log_loss_count(&t->loss, errno);
	return rc;
}

static const char *loss_reason(const struct log_target *t, char *buf, size_t size)
{
	int e = t->loss.last_errno;
	if (t->sink == LOG_SINK_SYSLOG) {
		if (e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS)
			return "syslog not reading";
		if (e == ECONNREFUSED || e == ENOENT)
			return "no syslog daemon listening at " SYSLOG_SINK_PATH;
		snprintf(buf, size, "syslog: %s", strerror(e));
		return buf;
	}
	return strerror(e);
}

bool log_target_loss_report(struct log_target *t, const char *what, bool force, char *out,
                            size_t size)
{
	if (t->loss.unreported == 0) /* the common case: nothing to say */
		return false;
	char reason[128], text[256];
	if (!log_loss_report(&t->loss, log_monotonic_ms(), force,
	                     loss_reason(t, reason, sizeof reason), text, sizeof text))
		return false;
	if (t->sink == LOG_SINK_FILE)
		snprintf(out, size, "%s %s: %s", what, t->file.path, text);
	else
		snprintf(out, size, "%s: %s", what, text);
	return true;
}
