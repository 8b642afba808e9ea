#include "autoconfig.h"

#include "daemon.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int ready_fd = -1;
/* Detached by daemon_detach(): inherited by the workers, whose stdio also
 * leaves the terminal once they serve. */
static bool detached;

/* The original process: wait for the word from the detached one. */
static void wait_for_ready(int fd)
{
	char status = 1;
	ssize_t n;
	do
		n = read(fd, &status, 1);
	while (n < 0 && errno == EINTR);
	_exit(n == 1 && status == 0 ? 0 : 1);
}

int daemon_detach(char *err, size_t err_size)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(err, err_size, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, err_size, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0) {
		close(fds[1]);
		wait_for_ready(fds[0]);
	}
	close(fds[0]);
	/* A new session without a controlling terminal, then a second fork so that
	 * the daemon, not being a session leader, can never acquire one. */
	if (setsid() < 0)
		_exit(1);
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	umask(022);
	if (chdir("/") < 0)
		_exit(1);
	ready_fd = fds[1];
	detached = true;
	return 0;
}

void daemon_ready(void)
{
	if (!detached)
		return;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	if (ready_fd < 0)
		return;
	char ok = 0;
	ssize_t ignored = write(ready_fd, &ok, 1);
	(void)ignored;
	close(ready_fd);
	ready_fd = -1;
}

void daemon_forget_ready(void)
{
	if (ready_fd >= 0)
		close(ready_fd);
	ready_fd = -1;
}

/* The pidfile we hold locked, open for as long as we run (and inherited by
 * the workers, so that it stays locked while any of them serves). */
static int pidfile_fd = -1;

/* Whether fd is still the file at path: a stopping instance unlinks its
 * pidfile, and we may have opened it just before. */
static bool names_same_file(int fd, const char *path)
{
	struct stat held, named;
	return fstat(fd, &held) == 0 && stat(path, &named) == 0 && held.st_dev == named.st_dev &&
	       held.st_ino == named.st_ino;
}

/* The pid written in a pidfile another instance holds, for the message. */
static long pid_in(int fd)
{
	char text[32];
	ssize_t n = pread(fd, text, sizeof text - 1, 0);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	return strtol(text, NULL, 10);
}

int pidfile_lock(const char *path, char *err, size_t err_size)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0) {
			snprintf(err, err_size, "pidfile %s: %s", path, strerror(errno));
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno == EWOULDBLOCK)
				snprintf(
				    err, err_size,
				    "pidfile %s is locked by another running instance (pid %ld): "
				    "not starting a second one",
				    path, pid_in(fd));
			else
				snprintf(err, err_size, "pidfile %s: lock: %s", path,
				         strerror(errno));
			close(fd);
			return -1;
		}
		if (names_same_file(fd, path)) {
			pidfile_fd = fd;
			return 0;
		}
		close(fd); /* unlinked under us by an instance on its way out: again */
	}
	snprintf(err, err_size, "pidfile %s: keeps being replaced", path);
	return -1;
}

int pidfile_write(const char *path, char *err, size_t err_size)
{
	char line[32];
	int len = snprintf(line, sizeof line, "%ld\n", (long)getpid());
	if (pidfile_fd < 0 || ftruncate(pidfile_fd, 0) < 0 ||
	    pwrite(pidfile_fd, line, (size_t)len, 0) != len) {
		snprintf(err, err_size, "pidfile %s: %s", path,
		         pidfile_fd < 0 ? "not locked" : strerror(errno));
		return -1;
	}
	return 0;
}

void pidfile_remove(const char *path)
{
	if (path == NULL || pidfile_fd < 0)
		return;
	if (names_same_file(pidfile_fd, path))
		unlink(path);
	close(pidfile_fd);
	pidfile_fd = -1;
}
